import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import { FIXTURE_SSH_PUBLIC_KEY } from "../test-support/model-fixture";

const ROOT = path.resolve(__dirname, "..");
/** The command cdktf runs for every synth (cdktf.json `app`: plain words, no shell quoting). */
const APP = (JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8")) as { app: string }).app.split(
  " ",
);

/**
 * Runs cdktf.json's app from the project root as `cdktf synth` does, with a fake HOME holding the SSH
 * key and a temp output dir. CLUSTER_CONFIG names an empty file (the defaults), so a cluster.yaml the
 * user wrote in the project (npm run configure) does not change what is tested.
 */
async function synth(env: Record<string, string> = {}, key: string | null = FIXTURE_SSH_PUBLIC_KEY) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "main-home-"));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "main-out-"));
  const defaults = path.join(home, "cluster.yaml");
  fs.writeFileSync(defaults, "");
  if (key !== null) {
    fs.mkdirSync(path.join(home, ".ssh"));
    fs.writeFileSync(path.join(home, ".ssh", "id_ed25519.pub"), `${key}\n`);
  }
  const r = await runWithDeadline(APP[0], APP.slice(1), {
    cwd: ROOT,
    timeoutMs: 60_000,
    env: { ...process.env, HOME: home, CDKTF_OUTDIR: out, CLUSTER_CONFIG: defaults, ...env },
  });
  return {
    ...r,
    out,
    home,
    cleanup: () => [home, out].forEach((d) => fs.rmSync(d, { recursive: true, force: true })),
  };
}

describe("main.ts", () => {
  it("synthesizes both stacks with the user's key and no machine path", async () => {
    const r = await synth();
    try {
      expect(r.code).toBe(0);
      for (const stack of ["apt-cache", "k8s-cluster"]) {
        const text = fs.readFileSync(path.join(r.out, "stacks", stack, "cdk.tf.json"), "utf8");
        expect(text).toContain(FIXTURE_SSH_PUBLIC_KEY);
        expect(text).not.toContain(ROOT);
        expect(text).not.toContain(r.home);
        expect(text).not.toContain(r.out);
      }
    } finally {
      r.cleanup();
    }
  });

  it("stops before synthesizing when the config is invalid, naming the field, the value and the fix", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "main-cfg-"));
    const config = path.join(dir, "bad.yaml");
    fs.writeFileSync(config, "vms:\n  - {name: 'worker;reboot', role: worker}\n");
    const r = await synth({ CLUSTER_CONFIG: config });
    try {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('vms[0].name = "worker;reboot": is not a valid VM name');
      expect(fs.existsSync(path.join(r.out, "stacks"))).toBe(false);
    } finally {
      r.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops when the SSH public key is missing, saying how to make one", async () => {
    const r = await synth({}, null);
    try {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^\S*cluster\.yaml is invalid \(1 problem\); nothing was changed/);
      expect(r.stderr).toMatch(
        /sshPublicKeyFile = ".*id_ed25519\.pub": the SSH public key file does not exist; create one with: ssh-keygen -t ed25519/,
      );
    } finally {
      r.cleanup();
    }
  });

  it("shows an unexpected error's stack at main.ts's own lines (source maps are off only while it builds)", async () => {
    const lines = fs.readFileSync(path.join(ROOT, "main.ts"), "utf8").split("\n");
    const appLine = lines.findIndex((l) => l.includes("new App(")) + 1;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "main-outfile-")), "not-a-folder");
    fs.writeFileSync(file, "");
    // cdktf cannot write its manifest into a regular file: a plain Error, not a ConfigError.
    const r = await synth({ CDKTF_OUTDIR: file });
    try {
      expect(r.code).not.toBe(0);
      expect(appLine).toBeGreaterThan(0);
      expect(r.stderr).toContain(`main.ts:${appLine}:`);
    } finally {
      r.cleanup();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
