import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { buildClusterModel, parseClusterConfig } from "../../lib/model/config/build-model";
import { AptCacheStack } from "../../stacks/apt-cache-stack";
import { K8sClusterStack } from "../../stacks/k8s-cluster-stack";
import { FIXTURE_SSH_PUBLIC_KEY } from "../../test-support/model-fixture";
import { realTemplates } from "../../test-support/synth";

/**
 * The synthesized Terraform JSON is the product's contract with real VMs: a refactoring must leave
 * it byte-identical, and a deliberate change shows up here as a diff of the golden files to review
 * (UPDATE_GOLDEN=1 rewrites them). Each case is a config beside the goldens, synthesized as main.ts
 * does (App.synth, both stacks), so the bytes compared are the bytes Terraform reads.
 */
const GOLDEN_DIR = path.join(__dirname, "golden");
const CASES = ["default", "static", "vsphere"];
const STACKS = ["apt-cache", "k8s-cluster"];

function synthesize(configName: string): Map<string, string> {
  const text = fs.readFileSync(path.join(GOLDEN_DIR, `${configName}.yaml`), "utf8");
  const model = buildClusterModel(parseClusterConfig(text, `${configName}.yaml`), {
    hostArch: "x64",
    sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
    sshPublicKeyPath: "/home/user/.ssh/id_ed25519.pub",
  });
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "golden-synth-"));
  try {
    const app = new App({ outdir });
    const templates = realTemplates();
    new AptCacheStack(app, "apt-cache", { model, templates });
    new K8sClusterStack(app, "k8s-cluster", { model, templates });
    app.synth();
    return new Map(
      STACKS.map((s) => [s, fs.readFileSync(path.join(outdir, "stacks", s, "cdk.tf.json"), "utf8")]),
    );
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe.each(CASES)("golden synthesis: %s", (configName) => {
  const synthesized = synthesize(configName);
  it.each(STACKS)("%s is byte-identical to its golden file", (stack) => {
    const golden = path.join(GOLDEN_DIR, `${configName}.${stack}.tf.json`);
    const actual = synthesized.get(stack) as string;
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(golden, actual);
    expect(actual).toBe(fs.readFileSync(golden, "utf8"));
  });
});
