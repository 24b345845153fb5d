/**
 * A temporary project folder laid out as `cdktf deploy` expects it, for end-to-end tests with applyStack:
 * the synthesized stacks in `cdktf.out/stacks/<stack>/cdk.tf.json` and a `scripts/` folder where Terraform's
 * fixed command `../../../scripts/run <entry>` works. scripts/ is a real directory of links (not one link to
 * the repository's scripts/): the launcher resolves its own folder with `pwd -P` and cds to the folder above,
 * which must be this project, not the repository.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClusterConfig } from "../../lib/runtime/load/cluster-config";
import { ClusterModel } from "../../lib/model/config/model";
import { makeTempDir } from "../fixtures";
import { FIXTURE_SSH_PUBLIC_KEY } from "../model-fixture";
import { REPO_ROOT } from "../run-entry";
import { synthStacks } from "../stacks";

export interface DeployProject {
  /** Real path of the project folder (the cwd the launcher gives every entry point). */
  readonly root: string;
  readonly model: ClusterModel;
  /** Stack directories (Terraform's working directories), by stack id. */
  readonly stackDirs: { readonly "apt-cache": string; readonly "k8s-cluster": string };
  abs(rel: string): string;
  cleanup(): void;
}

/**
 * Writes `configYaml` as cluster.yaml (its sshPublicKeyFile is set to a fixture key), builds the model with
 * the real config loader (host arch x64), and synthesizes both stacks into cdktf.out/.
 */
export function createDeployProject(configYaml: string): DeployProject {
  const root = fs.realpathSync(makeTempDir("fusion-lab-deploy-"));
  fs.mkdirSync(path.join(root, "scripts"));
  for (const name of fs.readdirSync(path.join(REPO_ROOT, "scripts"))) {
    fs.symlinkSync(path.join(REPO_ROOT, "scripts", name), path.join(root, "scripts", name));
  }
  for (const name of ["lib", "node_modules", "package.json", "tsconfig.json", "templates"]) {
    fs.symlinkSync(path.join(REPO_ROOT, name), path.join(root, name));
  }
  fs.writeFileSync(path.join(root, "id_fixture.pub"), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
  fs.writeFileSync(path.join(root, "cluster.yaml"), `sshPublicKeyFile: id_fixture.pub\n${configYaml}`);
  const { model } = loadClusterConfig({ projectRoot: root, env: {}, homeDir: root, hostArch: "x64" });

  const { aptCache, cluster } = synthStacks(model);
  const stackDirs = {
    "apt-cache": path.join(root, "cdktf.out", "stacks", "apt-cache"),
    "k8s-cluster": path.join(root, "cdktf.out", "stacks", "k8s-cluster"),
  };
  for (const [dir, json] of [
    [stackDirs["apt-cache"], aptCache],
    [stackDirs["k8s-cluster"], cluster],
  ] as const) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(json, null, 2));
  }
  return {
    root,
    model,
    stackDirs,
    abs: (rel) => path.join(root, rel),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
