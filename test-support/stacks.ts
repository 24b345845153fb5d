import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { ClusterModel } from "../lib/model/config/model";
import { AptCacheStack } from "../stacks/apt-cache-stack";
import { K8sClusterStack } from "../stacks/k8s-cluster-stack";
import { realTemplates, TfJson } from "./synth";

/** Both stacks synthesized from a model, as main.ts builds them. */
export function synthStacks(model: ClusterModel): { cluster: TfJson; aptCache: TfJson } {
  const app = Testing.app();
  const templates = realTemplates();
  const aptCache = new AptCacheStack(app, "apt-cache", { model, templates });
  const cluster = new K8sClusterStack(app, "k8s-cluster", { model, templates });
  return {
    cluster: JSON.parse(Testing.synth(cluster)) as TfJson,
    aptCache: JSON.parse(Testing.synth(aptCache)) as TfJson,
  };
}

/** Every local-exec block of every null_resource, with its resource id. */
export function localExecs(json: TfJson): { id: string; exec: TfJson }[] {
  const nulls = (json.resource?.null_resource ?? {}) as Record<string, TfJson>;
  return Object.entries(nulls).flatMap(([id, r]) =>
    ((r.provisioner ?? []) as TfJson[]).map((p) => ({ id, exec: p["local-exec"] as TfJson })),
  );
}

const REPO_ROOT = path.resolve(__dirname, "..");

export function entryExists(entry: string): boolean {
  return fs.existsSync(path.join(REPO_ROOT, "scripts", `${entry}.ts`));
}
