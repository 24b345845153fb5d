/** Check 11: the base image, if already downloaded, matches its pinned checksum. */
import * as path from "node:path";
import type { ClusterModel } from "../../model/config/model";
import { CheckResult, DoctorEnv, failure, ok, warning } from "./types";

export async function checkBaseImage(env: DoctorEnv, model: ClusterModel): Promise<CheckResult> {
  const spec = model.baseImage;
  const file = path.resolve(env.projectRoot, spec.path);
  if (!env.exists(file)) return ok("base image", `${spec.path} absent: will be downloaded from ${spec.url}`);
  if (!spec.sha256) {
    return warning(
      "base image",
      `${spec.path} present, not verified offline (no pinned sha256; the deploy checks it against ${spec.checksumsUrl ?? "its checksums"})`,
      "pin baseImage.sha256 in cluster.yaml to verify it here",
    );
  }
  const actual = await env.sha256File(file);
  if (actual.toLowerCase() === spec.sha256.toLowerCase())
    return ok("base image", `${spec.path} sha256 matches`);
  return failure(
    "base image",
    `${spec.path}: sha256 ${actual}, expected ${spec.sha256}`,
    `delete ${spec.path} so the deploy downloads it again, or fix baseImage.sha256`,
  );
}
