/**
 * Terraform entry point: puts the verified base cloud image at IMAGE_PATH (download, copy or keep).
 * Env: lib/model/entry/contracts.ts BASE_IMAGE.
 */
import { BASE_IMAGE } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { ensureBaseImage } from "../lib/runtime/image/base-image";
import { baseImageOptions } from "../lib/runtime/image/from-env";

const LABEL = "base-image";

runMain(LABEL, async () => {
  const input = BASE_IMAGE.parse(process.env);
  const result = await ensureBaseImage(
    baseImageOptions(process.cwd(), input, (message) => log(LABEL, message)),
  );
  log(LABEL, `${result.action} ${result.path} (sha256 ${result.sha256})`);
});
