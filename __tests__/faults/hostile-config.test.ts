/**
 * Fault family: hostile values in cluster.yaml. Every field that reaches a path, a file or a command is
 * fed shell metacharacters, path escapes, control characters, non-ASCII, empty and huge values, bad
 * numbers and duplicates; each must be rejected before anything is touched, by a ConfigError whose line
 * names the field and shows the value. Values the product accepts on purpose although they hold shell
 * metacharacters (the SSH key's comment, a local image path) are then run through the pipeline's
 * entry points under a shell spy: no shell ever sees them and the canary they carry never fires.
 * Hostile values the product still accepts are in needs-fix-hostile-config.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildClusterModel, HostFacts, parseClusterConfig } from "../../lib/model/config/build-model";
import { ConfigError } from "../../lib/model/config/errors";
import { lastIpFile } from "../../lib/model/config/vm-files";
import { encodeLookupVms } from "../../lib/model/entry/contracts";
import { loadClusterConfig } from "../../lib/runtime/load/cluster-config";
import { ClusterModel } from "../../lib/model/config/model";
import { sha256File } from "../../lib/runtime/image/checksums";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { renderSeedFiles } from "../../test-support/seed-files";
import { renderVmx, vmxOptionsFor } from "../../lib/model/render/vmx";
import { createShellSpy, ShellSpy, SpawnRecord } from "../../test-support/faults/shell-spy";
import { cachedQcow2, GIB, makeTempDir, removeFixtureCache } from "../../test-support/fixtures";
import { FIXTURE_SSH_PUBLIC_KEY } from "../../test-support/model-fixture";
import { REPO_ROOT, runEntry } from "../../test-support/run-entry";
import { realTemplates } from "../../test-support/synth";
import { createVmrunSim, VmrunSim } from "../../test-support/vmrun-sim";
import { requireTools } from "../../test-support/required-tools";

const KEY = FIXTURE_SSH_PUBLIC_KEY;
const HOST: HostFacts = {
  hostArch: "arm64",
  sshPublicKey: KEY,
  sshPublicKeyPath: "/home/u/.ssh/id_ed25519.pub",
};
const SHA = "a".repeat(64);

/** The config's problems as `field = value: problem` lines; throws when it is accepted. */
function issueLines(config: unknown, host: HostFacts = HOST): string[] {
  const text = typeof config === "string" ? config : JSON.stringify(config); // JSON is YAML, and keeps \n and \0 exact
  try {
    buildClusterModel(parseClusterConfig(text, "cluster.yaml"), host, "cluster.yaml");
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.message.split("\n")[0]).toMatch(
      /^cluster\.yaml is invalid \(\d+ problems?\); nothing was changed:$/,
    );
    return err.message
      .split("\n")
      .slice(1)
      .map((l) => l.replace(/^ {2}- /, ""));
  }
  throw new Error(`accepted: ${text.slice(0, 200)}`);
}

/** How a ConfigError shows a value: JSON, cut at 80 characters. */
function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 77) : text;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Every problem line is about `field`, on one line, and at least one shows `value`. */
function expectRejected(lines: string[], field: string, value: unknown): void {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line).toMatch(new RegExp(`^${escapeRe(field)}( = .*)?: \\S`));
    // eslint-disable-next-line no-control-regex -- the control characters are what is looked for
    expect(line).not.toMatch(/[\n\r\0\u001b]/); // a hostile value cannot break or colour the message
  }
  expect(lines.some((l) => l.startsWith(`${field} = ${shown(value)}`))).toBe(true);
}

const HOSTILE_STRINGS: Record<string, string> = {
  "command substitution": "$(touch CANARY)",
  backticks: "`touch CANARY`",
  "a command separator": "x;touch CANARY",
  "a pipe and a redirection": "x|tee>CANARY",
  "a parent-directory escape": "../../etc/cron.d/x",
  "an absolute path": "/etc/cron.d/x",
  "a newline": "x\ntouch CANARY",
  "a NUL byte": "x\u0000y",
  "an escape sequence": "x\u001b[2Jy",
  "non-ASCII": "wörker",
  "an empty string": "",
  "only a space": " ",
  "a leading dash (an option to a tool)": "-rf",
  quotes: `x"y'z`,
  "a huge value": "x".repeat(5000),
};

/** Where each field lives in the config; `wrap(v)` is a config whose only problem is `v` in that field. */
const STRING_FIELDS: Record<
  string,
  { wrap: (v: string) => unknown; accepts?: readonly string[]; shownAs?: (v: string) => string }
> = {
  "vms[0].name": { wrap: (v) => ({ vms: [{ name: v, role: "worker" }] }) },
  "aptCache.name": { wrap: (v) => ({ aptCache: { name: v } }) },
  // A long path is accepted today (needs-fix-hostile-config.test.ts).
  "paths.vmsDir": { wrap: (v) => ({ paths: { vmsDir: v } }), accepts: ["a huge value"] },
  "paths.baseImagesDir": { wrap: (v) => ({ paths: { baseImagesDir: v } }), accepts: ["a huge value"] },
  "paths.generatedDir": { wrap: (v) => ({ paths: { generatedDir: v } }), accepts: ["a huge value"] },
  "paths.inventoryFile": { wrap: (v) => ({ paths: { inventoryFile: v } }), accepts: ["a huge value"] },
  "network.nat.vmnet": { wrap: (v) => ({ network: { nat: { vmnet: v } } }) },
  "network.nat.subnet": { wrap: (v) => ({ network: { nat: { subnet: v } } }) },
  "network.nat.gateway": { wrap: (v) => ({ network: { nat: { gateway: v } } }) },
  "network.lan.subnet": { wrap: (v) => ({ network: { lan: { subnet: v } } }) },
  "network.externalVip": { wrap: (v) => ({ network: { externalVip: v } }) },
  "network.internalVip": { wrap: (v) => ({ network: { internalVip: v } }) },
  "network.dnsServers[0]": { wrap: (v) => ({ network: { dnsServers: [v] } }) },
  "network.dnsSearchDomains[0]": { wrap: (v) => ({ network: { dnsSearchDomains: [v] } }) },
  "aptCache.address": { wrap: (v) => ({ aptCache: { address: v } }) },
  "vms[0].address": {
    wrap: (v) => ({ addressing: "static", vms: [{ name: "w1", role: "worker", address: v }] }),
  },
  "vms[0].macs[0]": {
    wrap: (v) => ({ vms: [{ name: "w1", role: "worker", macs: [v] }] }),
    shownAs: (v) => v.trim().toLowerCase(),
  },
  "aptCache.macs[0]": { wrap: (v) => ({ aptCache: { macs: [v] } }), shownAs: (v) => v.trim().toLowerCase() },
  // An absolute path to a local image is allowed on purpose (offline use); the rest of the URL's rules are in needs-fix.
  "baseImage.url": { wrap: (v) => ({ baseImage: { url: v, sha256: SHA } }), accepts: ["an absolute path"] },
  "baseImage.sha256": {
    wrap: (v) => ({ baseImage: { url: "https://example.com/noble.img", sha256: v } }),
    shownAs: (v) => v.toLowerCase(),
  },
  "hardware.nicType": { wrap: (v) => ({ hardware: { nicType: v } }) },
  arch: { wrap: (v) => ({ arch: v }) },
  addressing: { wrap: (v) => ({ addressing: v }) },
};

const STRING_CASES = Object.entries(STRING_FIELDS).flatMap(([field, spec]) =>
  Object.entries(HOSTILE_STRINGS)
    .filter(([what]) => !spec.accepts?.includes(what))
    .map(([what, value]) => ({ field, what, value, spec })),
);

describe("a hostile string in any field is rejected, naming the field and the value", () => {
  it.each(STRING_CASES)("$field: $what", ({ field, value, spec }) => {
    expectRejected(issueLines(spec.wrap(value)), field, (spec.shownAs ?? ((v: string) => v))(value));
  });
});

const NUMBER_FIELDS: Record<string, { wrap: (v: unknown) => unknown; fractionsAllowed?: boolean }> = {
  "vms[0].cpus": { wrap: (v) => ({ vms: [{ name: "w1", role: "worker", cpus: v }] }) },
  "vms[0].memoryMb": { wrap: (v) => ({ vms: [{ name: "w1", role: "worker", memoryMb: v }] }) },
  "vms[0].diskGb": { wrap: (v) => ({ vms: [{ name: "w1", role: "worker", diskGb: v }] }) },
  "roleDefaults.worker.cpus": {
    wrap: (v) => ({ roleDefaults: { worker: { cpus: v, memoryMb: 4096, diskGb: 40 } } }),
  },
  "aptCache.port": { wrap: (v) => ({ aptCache: { port: v } }) },
  "aptCache.diskGb": { wrap: (v) => ({ aptCache: { diskGb: v } }) },
  "baseImage.virtualSizeGb": { wrap: (v) => ({ baseImage: { virtualSizeGb: v } }), fractionsAllowed: true },
  "hardware.virtualHwVersion": { wrap: (v) => ({ hardware: { virtualHwVersion: v } }) },
  "timeouts.vmrunSeconds": { wrap: (v) => ({ timeouts: { vmrunSeconds: v } }) },
  "timeouts.ipWaitSeconds": { wrap: (v) => ({ timeouts: { ipWaitSeconds: v } }) },
  "timeouts.ipLookupSeconds": { wrap: (v) => ({ timeouts: { ipLookupSeconds: v } }) },
  "timeouts.diskSeconds": { wrap: (v) => ({ timeouts: { diskSeconds: v } }) },
  "timeouts.downloadSeconds": { wrap: (v) => ({ timeouts: { downloadSeconds: v } }) },
};

const HOSTILE_NUMBERS: Record<string, unknown> = {
  huge: 1e300,
  "beyond exact integers": 2 ** 53 + 2,
  negative: -1,
  zero: 0,
  "not an integer": 1.5,
  "a number as a string": "4",
  "a shell snippet": "$(touch CANARY)",
  null: null,
  "a boolean": true,
  "a list": [4],
};

const NUMBER_CASES = Object.entries(NUMBER_FIELDS).flatMap(([field, spec]) =>
  Object.entries(HOSTILE_NUMBERS)
    .filter(([what]) => !(spec.fractionsAllowed && what === "not an integer"))
    .map(([what, value]) => ({ field, what, value, spec })),
);

describe("a hostile number in any field is rejected, naming the field and the value", () => {
  it.each(NUMBER_CASES)("$field: $what", ({ field, value, spec }) => {
    expectRejected(issueLines(spec.wrap(value)), field, value);
  });
});

describe("empty values and duplicates are rejected", () => {
  it.each<[string, unknown, string]>([
    ["no VMs", { vms: [] }, "vms"],
    ["a VM without a name", { vms: [{ role: "worker" }] }, "vms[0].name"],
    ["no DNS server", { network: { dnsServers: [] } }, "network.dnsServers"],
    ["an empty SSH key file name", { sshPublicKeyFile: "" }, "sshPublicKeyFile"],
    ["an empty image URL", { baseImage: { url: "", sha256: SHA } }, "baseImage.url"],
    [
      "an empty checksums URL",
      { baseImage: { url: "https://example.com/noble.img", checksumsUrl: "" } },
      "baseImage.checksumsUrl",
    ],
  ])("%s", (_what, config, field) => {
    const lines = issueLines(config);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^${escapeRe(field)}( = .*)?: \\S`))]);
  });

  it.each<[string, unknown, string]>([
    [
      "two VMs with one name",
      {
        vms: [
          { name: "w1", role: "worker" },
          { name: "w1", role: "worker" },
        ],
      },
      "vms[1].name",
    ],
    ["a VM named like the APT cache", { vms: [{ name: "apt-cache-server", role: "worker" }] }, "vms[0].name"],
    [
      "two VMs with one MAC",
      {
        vms: [
          { name: "w1", role: "worker", macs: ["00:50:56:00:00:01"] },
          { name: "w2", role: "worker", macs: ["00:50:56:00:00:01"] },
        ],
      },
      "vms[1].macs[0]",
    ],
    [
      "two VMs with one address",
      {
        addressing: "static",
        vms: [
          { name: "w1", role: "worker", address: "10.10.0.20" },
          { name: "w2", role: "worker", address: "10.10.0.20" },
        ],
      },
      "vms[1].address",
    ],
    [
      "a VM on the internal VIP",
      { addressing: "static", vms: [{ name: "w1", role: "worker", address: "10.10.0.100" }] },
      "vms[0].address",
    ],
    ["two paths in one folder", { paths: { vmsDir: "state", generatedDir: "state" } }, "paths.generatedDir"],
  ])("%s", (_what, config, field) => {
    expect(issueLines(config)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${escapeRe(field)} = .*(already used|duplicates|overlaps)`)),
      ]),
    );
  });

  it("a key given twice in the YAML is a syntax error, not a silent override", () => {
    expect(issueLines("arch: amd64\narch: arm64\n")).toEqual([
      expect.stringMatching(/^\(top level\): YAML syntax error at line 2, column 1: Map keys must be unique/),
    ]);
  });

  it("__proto__ is an unknown setting and pollutes nothing", () => {
    expect(issueLines("__proto__: {polluted: 1}\n")).toEqual([
      expect.stringMatching(/^__proto__: unknown setting/),
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("sshPublicKeyFile, read by the loader", () => {
  let root: string;
  let home: string;
  beforeEach(() => {
    root = makeTempDir("fusion-lab-hostile-root-");
    home = makeTempDir("fusion-lab-hostile-home-");
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });
  const load = (keyFile: string) => {
    fs.writeFileSync(path.join(root, "cluster.yaml"), `sshPublicKeyFile: ${JSON.stringify(keyFile)}\n`);
    return () => loadClusterConfig({ projectRoot: root, homeDir: home, hostArch: "arm64", env: {} });
  };
  const issuesOf = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError)
        return err.issues.map((i) => `${i.field} = ${JSON.stringify(i.value)}: ${i.problem}`);
      throw err;
    }
    throw new Error("accepted");
  };

  it.each(Object.entries(HOSTILE_STRINGS).filter(([what]) => what !== "an empty string"))(
    "a missing file named with %s is rejected, naming the field and the path",
    (_what, value) => {
      const issues = issuesOf(load(`~/${value}`));
      // Shell symbols and control characters are refused by name; anything else for want of the file.
      expect(issues).toEqual([
        expect.stringMatching(
          /^sshPublicKeyFile = .*: (the SSH public key file does not exist|is not allowed; use a path of letters)/,
        ),
      ]);
      // The value is shown: as written when refused by name, expanded when the file is missing.
      const shown = issues[0].includes("is not allowed")
        ? JSON.stringify(`~/${value}`)
        : JSON.stringify(path.join(home, value));
      expect(issues[0]).toContain(shown.slice(1, 40));
    },
  );

  it.each<[string, string]>([
    [
      "a private key",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n",
    ],
    ["two keys", `${KEY}\n${KEY}\n`],
    ["a key with a second, injected line", `${KEY}\nruncmd: [touch CANARY]\n`],
    ["a key with a carriage return inside", `${KEY}\rruncmd\n`],
    ["not a key at all", "$(touch CANARY)\n"],
    ["an empty file", ""],
  ])("a file holding %s is rejected", (_what, content) => {
    fs.writeFileSync(path.join(home, "id.pub"), content);
    expect(issuesOf(load("~/id.pub"))).toEqual([
      expect.stringMatching(
        /^sshPublicKeyFile = ".*id\.pub": (does not hold one OpenSSH public key line|the SSH public key file does not exist)/,
      ),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------

/** Files or folders named CANARY* anywhere below `dirs` (symlinks are not followed). */
function canariesIn(dirs: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith("CANARY")) found.push(path.join(dir, e.name));
      if (e.isDirectory()) walk(path.join(dir, e.name));
    }
  };
  dirs.forEach(walk);
  return found;
}

/** Shell records whose command line (program or argv) carries any of `needles`. */
const shellsThatSaw = (records: SpawnRecord[], needles: readonly string[]) =>
  records.filter((r) => r.shell && [r.file, ...r.argv].some((a) => needles.some((n) => a.includes(n))));

describe("accepted values with shell metacharacters never reach a shell", () => {
  let root: string;
  let outside: string;
  let spy: ShellSpy;
  let sim: VmrunSim;
  beforeAll(() => {
    outside = fs.realpathSync(makeTempDir("fusion-lab-hostile-"));
    // The project itself sits in a folder named like an attack (macOS users do keep projects in folders
    // with spaces and quotes), so every absolute path handed to qemu-img, xorriso or vmrun carries it.
    root = path.join(
      outside,
      "my lab $(touch CANARY-root) `touch CANARY-root2`; touch CANARY-root3 'x'",
      "project",
    );
    fs.mkdirSync(root, { recursive: true });
    for (const name of ["scripts", "lib", "node_modules", "package.json", "tsconfig.json"])
      fs.symlinkSync(path.join(REPO_ROOT, name), path.join(root, name));
    spy = createShellSpy();
    sim = createVmrunSim();
  });
  afterAll(() => {
    sim.cleanup();
    spy.cleanup();
    fs.rmSync(outside, { recursive: true, force: true });
    removeFixtureCache();
  });

  it("the spy sees a shell given the snippet, through PATH or through Node's shell option (the check below can fail)", async () => {
    const spied = { timeoutMs: 10_000, env: { ...process.env, ...spy.env() }, cwd: outside };
    expect((await runWithDeadline("bash", ["-c", "true # $(touch CANARY-control)"], spied)).code).toBe(0);
    const viaNode = [
      "-e",
      'require("child_process").execSync("true # touch CANARY-control"); require("child_process").spawnSync("true # touch CANARY-control", { shell: true })',
    ];
    expect((await runWithDeadline(process.execPath, viaNode, spied)).code).toBe(0);
    const seen = shellsThatSaw(spy.records(), ["touch CANARY-control"]);
    expect(seen.filter((s) => s.via === "path-wrapper")).toHaveLength(1);
    expect(seen.filter((s) => s.via === "node").length).toBeGreaterThanOrEqual(2);
    fs.rmSync(path.join(spy.dir, "log"), { recursive: true });
    fs.mkdirSync(path.join(spy.dir, "log"));
  });

  // qemu-img converts the disk and an ISO tool builds the seed, for real: both must be installed.
  requireTools("qemu-img", "iso-tool").it(
    "base-image, disk-clone, seed-iso, vm-start and guest-ip with them, in a project folder named like an attack: no shell saw them, no canary fired",
    async () => {
      const canary = path.join(outside, "CANARY-absolute");
      const snippets = [
        `$(touch ${canary})`,
        `\`touch ${canary}\``,
        `;touch ${canary};`,
        "$(touch CANARY-relative)",
      ];
      // The key's comment is free text (accepted on purpose); a local image may sit in a folder with
      // spaces and non-ASCII letters (shell symbols in the image path are refused by the config).
      const comment = `lab ${snippets.join(" ")} | tee CANARY-pipe`;
      const imageDir = path.join(outside, "My Images ünd more #1");
      fs.mkdirSync(imageDir, { recursive: true });
      fs.copyFileSync(await cachedQcow2({ virtualSize: 2 * GIB }), path.join(imageDir, "noble.img"));
      fs.mkdirSync(path.join(root, "keys"));
      fs.writeFileSync(
        path.join(root, "keys", "id_lab.pub"),
        `${KEY.split(" ").slice(0, 2).join(" ")} ${comment}\n`,
      );
      fs.writeFileSync(
        path.join(root, "cluster.yaml"),
        [
          "arch: amd64",
          "sshPublicKeyFile: keys/id_lab.pub",
          `baseImage: {url: ${JSON.stringify(path.join(imageDir, "noble.img"))}, sha256: ${await sha256File(path.join(imageDir, "noble.img"))}}`,
          "timeouts: {vmrunSeconds: 20, ipWaitSeconds: 30}",
          "vms: [{name: w1, role: worker, diskGb: 4}]",
          "",
        ].join("\n"),
      );
      const model: ClusterModel = loadClusterConfig({ projectRoot: root, env: {} }).model;
      expect(model.ssh.publicKey).toContain(comment);
      expect(model.baseImage.url).toContain("My Images ünd more #1");
      const vm = model.vms[0];

      const env = (over: Record<string, string>) => ({
        ...spy.env(sim.env.PATH),
        VMRUN: sim.binary,
        VMRUN_SIM_STATE: sim.stateDir,
        ...over,
      });
      // Every step runs even when one fails, so that what a shell saw is checked first, below.
      const outcomes: Array<{ entry: string; code: number | null; stderr: string }> = [];
      const run = async (entry: string, vars: Record<string, string>, input?: string) => {
        const r = await runEntry(entry, {
          projectRoot: root,
          env: env(vars),
          ...(input !== undefined ? { input } : {}),
        });
        outcomes.push({ entry, code: r.code, stderr: r.code === 0 ? "" : r.stderr });
        return r;
      };
      const image = {
        IMAGE_SOURCE: model.baseImage.url,
        IMAGE_PATH: model.baseImage.path,
        IMAGE_SHA256: model.baseImage.sha256 ?? "",
        DOWNLOAD_TIMEOUT_SECONDS: "30",
      };
      await run("base-image", image);
      fs.rmSync(path.join(root, model.paths.baseImagesDir), { recursive: true }); // so disk-clone fetches it from the hostile path too
      await run("disk-clone", {
        ...image,
        VM_NAME: vm.name,
        BASE_IMAGE: model.baseImage.path,
        VMS_DIR: model.paths.vmsDir,
        DISK_PATH: vm.diskPath,
        DISK_SIZE_GB: String(vm.diskGb),
        DISK_TIMEOUT_SECONDS: "60",
      });

      const seed = renderSeedFiles(
        vm,
        model,
        realTemplates(),
        {
          aptProxyUrl: { literal: model.aptCache.proxyUrl },
          dnsServers: { literal: model.network.dnsServers },
          dnsSearchDomains: { literal: model.network.dnsSearchDomains },
        },
        "w1-0001",
      );
      const seedDir = `${vm.generatedDir}/seed`;
      fs.mkdirSync(path.join(root, seedDir), { recursive: true });
      fs.writeFileSync(path.join(root, seedDir, "user-data"), seed.userData);
      fs.writeFileSync(path.join(root, seedDir, "meta-data"), seed.metaData);
      fs.writeFileSync(path.join(root, seedDir, "network-config"), seed.networkConfig);
      expect(seed.userData).toContain(snippets[0]);
      await run("seed-iso", {
        VM_NAME: vm.name,
        SEED_DIR: seedDir,
        ISO_PATH: vm.seedIsoPath,
        VMS_DIR: model.paths.vmsDir,
      });

      const vmxSource = `${vm.generatedDir}/${vm.name}.vmx`;
      fs.writeFileSync(path.join(root, vmxSource), renderVmx(vm, vmxOptionsFor(model)));
      const ipEnv = {
        IP_NETWORKS: model.network.nat.subnet,
        IP_EXCLUDE: `${model.network.externalVip},${model.network.internalVip}`,
        IP_WAIT_SECONDS: "30",
        VMRUN_TIMEOUT_SECONDS: "20",
      };
      await run("vm-start", {
        ...ipEnv,
        VM_NAME: vm.name,
        VMS_DIR: model.paths.vmsDir,
        VMX_PATH: vm.vmxPath,
        VMX_SOURCE: vmxSource,
        DISK_PATH: vm.diskPath,
        DISK_SIZE_GB: String(vm.diskGb),
      });
      const query = {
        vms_dir: model.paths.vmsDir,
        vms: encodeLookupVms([
          {
            name: vm.name,
            vmx_path: vm.vmxPath,
            networks: [model.network.nat.subnet],
            last_ip_file: lastIpFile(vm),
          },
        ]),
        exclude: ipEnv.IP_EXCLUDE,
        timeout_seconds: "5",
      };
      const ip = await run("guest-ip", {}, JSON.stringify(query));

      const records = spy.records();
      expect(shellsThatSaw(records, ["touch", "CANARY", "tee "])).toEqual([]);
      expect(canariesIn([outside, spy.dir, sim.stateDir])).toEqual([]);
      expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("CANARY"))).toEqual([]);
      expect(fs.readdirSync(REPO_ROOT).filter((n) => n.startsWith("CANARY"))).toEqual([]);
      // And the pipeline worked with these values: every step succeeded and the VM runs with an address.
      expect(outcomes).toEqual(
        ["base-image", "disk-clone", "seed-iso", "vm-start", "guest-ip"].map((entry) => ({
          entry,
          code: 0,
          stderr: "",
        })),
      );
      expect(JSON.parse(ip.stdout)).toMatchObject({
        [`${vm.name}_state`]: "running",
        [`${vm.name}_ip`]: expect.stringMatching(/^10\.10\.0\.\d+$/),
      });
      // The recorder was active in the entries: it saw the tools they ran, each as argv without a shell.
      const tools = records.filter((r) => r.via === "node" && !r.shell).map((r) => path.basename(r.file));
      expect(tools).toEqual(expect.arrayContaining(["qemu-img", "vmrun"]));
      expect(tools.some((t) => ["xorriso", "genisoimage", "mkisofs"].includes(t))).toBe(true);
    },
  );
});
