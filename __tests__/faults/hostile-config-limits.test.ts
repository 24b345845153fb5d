/**
 * Hostile cluster.yaml values at the edges of the schema (found by this suite, fixed in lib/model/config):
 *  - baseImage.url and checksumsUrl are checked whole: https (or loopback http) URLs of URL-safe
 *    characters, or local paths without control characters, quotes or shell symbols;
 *  - sshPublicKeyFile must be a regular file (a FIFO would hang every command) with a plain name (its
 *    private half's name reaches `ssh -i`);
 *  - paths.* are bounded in length, may not differ only in case, and may not take over the project's
 *    own files (cluster.yaml, package.json, terraform.*.tfstate, node_modules, ...);
 *  - DNS lists without duplicates; a YAML alias bomb and .nan/.inf give proper ConfigErrors.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildClusterModel, HostFacts, parseClusterConfig } from "../../lib/model/config/build-model";
import { ConfigError } from "../../lib/model/config/errors";
import { loadClusterConfig } from "../../lib/runtime/load/cluster-config";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { makeTempDir } from "../../test-support/fixtures";
import { FIXTURE_SSH_PUBLIC_KEY } from "../../test-support/model-fixture";
import { REPO_ROOT } from "../../test-support/run-entry";
import { tsEvalCommand } from "../../test-support/ts-runner";

const HOST: HostFacts = {
  hostArch: "arm64",
  sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
  sshPublicKeyPath: "/home/u/.ssh/id_ed25519.pub",
};
const SHA = "a".repeat(64);

/** The problems of a config (JSON is YAML, and keeps every character exact); [] when it is accepted. */
function issues(config: unknown): string[] {
  const text = typeof config === "string" ? config : JSON.stringify(config);
  try {
    buildClusterModel(parseClusterConfig(text, "cluster.yaml"), HOST, "cluster.yaml");
  } catch (err) {
    if (err instanceof ConfigError)
      return err.message
        .split("\n")
        .slice(1)
        .map((l) => l.replace(/^ {2}- /, ""));
    throw err;
  }
  return [];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const about = (field: string) =>
  expect.arrayContaining([expect.stringMatching(new RegExp(`^${escapeRe(field)} = `))]);

const HOSTILE_IN_A_URL: Record<string, string> = {
  "command substitution": "$(touch CANARY)",
  backticks: "`touch CANARY`",
  "a command separator": "x;touch CANARY",
  "a newline": "x\ntouch CANARY",
  "a NUL byte": "x\u0000y",
  "an escape sequence": "x\u001b[2Jy",
  "a space": "x y",
  quotes: `x"y'z`,
  "a backslash": "x\\y",
  "non-ASCII": "wörker",
};

describe("baseImage.url is checked as a whole, not only its file name", () => {
  it.each(Object.entries(HOSTILE_IN_A_URL))("rejects %s inside it", (_what, value) => {
    expect(issues({ baseImage: { url: `https://example.com/${value}/noble.img`, sha256: SHA } })).toEqual(
      about("baseImage.url"),
    );
  });

  it("rejects plain http to a remote host at config time (lib/runtime/image refuses it at apply time)", () => {
    expect(issues({ baseImage: { url: "http://mirror.example.com/noble.img", sha256: SHA } })).toEqual(
      about("baseImage.url"),
    );
  });
});

describe("baseImage.checksumsUrl gets the same rules as the image URL", () => {
  it.each([
    ...Object.entries(HOSTILE_IN_A_URL).map(([what, v]) => [what, `https://example.com/${v}/SHA256SUMS`]),
    ["a bare shell snippet", "$(touch CANARY)"],
    ["a relative path (read from wherever the cwd is)", "../../etc/SHA256SUMS"],
    ["plain http to a remote host", "http://mirror.example.com/SHA256SUMS"],
  ])("rejects %s", (_what, value) => {
    expect(issues({ baseImage: { url: "https://example.com/noble.img", checksumsUrl: value } })).toEqual(
      about("baseImage.checksumsUrl"),
    );
  });
});

describe("sshPublicKeyFile", () => {
  let root: string;
  beforeEach(() => (root = makeTempDir("fusion-lab-needs-fix-")));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("a FIFO is rejected with a message instead of hanging every command that loads the config", async () => {
    const fifo = path.join(root, "id.pub");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    fs.writeFileSync(path.join(root, "cluster.yaml"), "sshPublicKeyFile: id.pub\n");
    const program = `
      const { loadClusterConfig } = require(${JSON.stringify(path.join(REPO_ROOT, "lib/runtime/load/cluster-config"))});
      try { loadClusterConfig({ projectRoot: ${JSON.stringify(root)}, env: {} }); console.log("accepted"); }
      catch (e) { console.log(e.message); }`;
    // In a process group of its own, so that a hung loader is killed whole.
    const r = await runWithDeadline(...tsEvalCommand(program), {
      cwd: REPO_ROOT,
      timeoutMs: 5000,
      killGraceMs: 200,
    });
    expect({ hung: r.timedOut, out: r.stdout }).toEqual({
      hung: false,
      out: expect.stringMatching(/sshPublicKeyFile = .*id\.pub/),
    });
  });

  it.each([
    ["a newline", "id\nx.pub"],
    ["an escape sequence", "id\u001b[2J.pub"],
    ["command substitution", "$(touch CANARY).pub"],
    ["backticks", "`touch CANARY`.pub"],
  ])(
    "a name with %s is rejected even when such a file holds a valid key (the name reaches ssh -i)",
    (_what, name) => {
      fs.writeFileSync(path.join(root, name), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
      fs.writeFileSync(path.join(root, "cluster.yaml"), `sshPublicKeyFile: ${JSON.stringify(name)}\n`);
      let problems: string[] = [];
      try {
        loadClusterConfig({ projectRoot: root, env: {}, hostArch: "arm64" });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems = err.issues.map((i) => i.field);
      }
      expect(problems).toContain("sshPublicKeyFile");
    },
  );
});

describe("paths.*", () => {
  it.each(["vmsDir", "baseImagesDir", "generatedDir", "inventoryFile"])(
    "%s: a 300-character segment is rejected (macOS allows 255)",
    (key) => {
      expect(issues({ paths: { [key]: "x".repeat(300) } })).toEqual(about(`paths.${key}`));
    },
  );

  it("two paths that differ only in case are rejected: on APFS they are one folder", () => {
    expect(issues({ paths: { vmsDir: "VMs", generatedDir: "vms" } })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^paths\.(vmsDir|generatedDir) = .*overlaps/)]),
    );
  });

  it.each<[string, string]>([
    ["inventoryFile", "cluster.yaml"],
    ["inventoryFile", "package.json"],
    ["inventoryFile", "terraform.k8s-cluster.tfstate"],
    ["generatedDir", "node_modules"],
    ["generatedDir", "cdktf.out"],
    ["vmsDir", "scripts"],
    ["baseImagesDir", "lib"],
    ["vmsDir", "templates"],
  ])("%s: %s, one of the project's own files or folders, is rejected", (key, value) => {
    expect(issues({ paths: { [key]: value } })).toEqual(about(`paths.${key}`));
  });
});

describe("lists", () => {
  it.each<[string, unknown]>([
    ["network.dnsServers", { network: { dnsServers: ["10.10.0.2", "10.10.0.2"] } }],
    ["network.dnsSearchDomains", { network: { dnsSearchDomains: ["lab.local", "lab.local"] } }],
  ])("%s: a duplicate entry is rejected", (field, config) => {
    expect(issues(config)).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${escapeRe(field)}(\\[1\\])? = `))]),
    );
  });
});

describe("YAML-level attacks", () => {
  it("an alias bomb is a ConfigError naming the file, not a bare ReferenceError", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "",
    ].join("\n");
    let thrown: unknown;
    try {
      parseClusterConfig(bomb, "cluster.yaml");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(/^cluster\.yaml is invalid/);
  });

  it.each([
    [".nan", /aptCache\.port = (\.nan|NaN): /],
    [".inf", /aptCache\.port = (\.inf|Infinity): /],
  ])("a %s value is shown as such in the message, not as null", (yamlValue, line) => {
    expect(issues(`aptCache: {port: ${yamlValue}}\n`)).toEqual([expect.stringMatching(line)]);
  });
});
