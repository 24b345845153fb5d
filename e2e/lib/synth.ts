/**
 * Synthesizes the cluster stack for the run's project folder the way main.ts does (same config
 * loader, templates and stack class), into <project>/cdktf.out/stacks/k8s-cluster/cdk.tf.json.
 * In-process: main.ts takes its project root from its own location, which is the repository.
 */
import * as path from "node:path";
import { App } from "cdktf";
import { loadClusterConfig } from "../../lib/runtime/load/cluster-config";
import { ClusterModel } from "../../lib/model/config/model";
import { loadSeedTemplates } from "../../lib/runtime/load/seed-templates";
import { K8sClusterStack } from "../../stacks/k8s-cluster-stack";

const CLUSTER_STACK = "k8s-cluster";

export interface Synthesized {
  readonly model: ClusterModel;
  /** `<project>/cdktf.out/stacks/k8s-cluster`: Terraform's working directory for the stack. */
  readonly stackDir: string;
}

export function synthCluster(projectDir: string, repoRoot: string): Synthesized {
  const { model } = loadClusterConfig({ projectRoot: projectDir, env: {}, hostArch: "x64" });
  const templates = loadSeedTemplates(path.join(repoRoot, "templates"));
  const outdir = path.join(projectDir, "cdktf.out");
  const app = new App({ outdir });
  new K8sClusterStack(app, CLUSTER_STACK, { model, templates });
  app.synth();
  return { model, stackDir: path.join(outdir, "stacks", CLUSTER_STACK) };
}
