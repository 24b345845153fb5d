/**
 * The one way a test says it needs an outside tool. `requireTools("qemu-img")` returns jest's `it` and
 * `describe` when every tool is there; otherwise their `.skip` forms, and the skip (tool, install
 * command, test file) is appended to $TEST_SKIPS_FILE, which the global teardown prints as one summary
 * at the end of the run. With REQUIRE_TEST_TOOLS=1 (CI) a missing tool is a failing test instead, so
 * coverage never drops silently. (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { findRealTerraform, findVcsim } from "./real-tools";

export type Tool =
  | "qemu-img"
  | "iso-tool"
  | "xorriso"
  | "genisoimage"
  | "isoinfo"
  | "cloud-init"
  | "netplan"
  | "nginx-stream"
  | "keepalived-netns"
  | "shellcheck"
  | "python3"
  | "terraform"
  | "apt-get"
  | "sshd"
  | "real-terraform"
  | "vcsim";

interface ToolInfo {
  /** What the tests use it for and how to get it, in the words of the summary. */
  readonly what: string;
  readonly install: string;
  /** The path of the program when present (for validators), or true/false for a capability. */
  readonly find: () => string | boolean | undefined;
}

/** Packages install some validators in sbin, which is not on every user's PATH. */
const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** The first `name` on PATH (then in sbin when `sbin`), or undefined. */
export function findProgram(name: string, opts: { sbin?: boolean } = {}): string | undefined {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, ...(opts.sbin ? SBIN : [])]) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

const isRoot = () => process.getuid?.() === 0;

export const TOOLS: Record<Tool, ToolInfo> = {
  "qemu-img": {
    what: "qemu-img (disk conversion and qcow2 fixtures)",
    install: "apt-get install qemu-utils; brew install qemu",
    find: () => findProgram("qemu-img"),
  },
  "iso-tool": {
    what: "an ISO builder: xorriso, genisoimage or mkisofs (seed ISOs)",
    install: "apt-get install xorriso; brew install xorriso",
    find: () => findProgram("xorriso") ?? findProgram("genisoimage") ?? findProgram("mkisofs"),
  },
  xorriso: {
    what: "xorriso (byte-identical seed ISOs)",
    install: "apt-get install xorriso; brew install xorriso",
    find: () => findProgram("xorriso"),
  },
  genisoimage: {
    what: "genisoimage (a seed ISO builder)",
    install: "apt-get install genisoimage (no Homebrew formula)",
    find: () => findProgram("genisoimage"),
  },
  isoinfo: {
    what: "isoinfo (reads the seed ISOs back)",
    install: "apt-get install genisoimage; brew install cdrtools",
    find: () => findProgram("isoinfo"),
  },
  "cloud-init": {
    what: "cloud-init (cloud-init schema, devel net-convert)",
    install: "apt-get install cloud-init (no Homebrew formula)",
    find: () => findProgram("cloud-init"),
  },
  netplan: {
    what: "netplan (netplan generate)",
    install: "apt-get install netplan.io (no Homebrew formula)",
    find: () => findProgram("netplan", { sbin: true }),
  },
  "nginx-stream": {
    what: "nginx with the stream module (nginx -t; as root in a network namespace, which also needs ip and sysctl)",
    install: "apt-get install nginx libnginx-mod-stream iproute2 procps; brew install nginx",
    find: () => {
      const nginx = findProgram("nginx", { sbin: true });
      if (!nginx) return undefined;
      // Debian ships the stream module as a package; Homebrew's nginx has it built in.
      if (process.platform === "linux" && !fs.existsSync("/usr/lib/nginx/modules/ngx_stream_module.so"))
        return undefined;
      // As root nginx -t binds the VIPs, so it runs in a namespace with ip_nonlocal_bind set by sysctl.
      const netns = isRoot() && findProgram("ip", { sbin: true }) !== undefined;
      return !netns || findProgram("sysctl", { sbin: true }) ? nginx : undefined;
    },
  },
  "keepalived-netns": {
    what: "keepalived, ip (iproute2) and root (keepalived -t inside a network namespace)",
    install: "apt-get install keepalived iproute2, and run as root (no Homebrew formula)",
    find: () =>
      findProgram("keepalived", { sbin: true }) !== undefined &&
      findProgram("ip", { sbin: true }) !== undefined &&
      isRoot(),
  },
  shellcheck: {
    what: "shellcheck (lints the shell scripts)",
    install: "apt-get install shellcheck; brew install shellcheck",
    find: () => findProgram("shellcheck"),
  },
  python3: {
    what: "python3 (runs the guest-side scripts against a fake root)",
    install: "apt-get install python3; brew install python",
    find: () => findProgram("python3"),
  },
  terraform: {
    what: "terraform (terraform providers schema / validate on the synthesized JSON)",
    install: "HashiCorp's apt repository: apt-get install terraform; brew install hashicorp/tap/terraform",
    find: () => findProgram("terraform"),
  },
  sshd: {
    what: "OpenSSH's sshd and ssh-keygen (a real sshd on 127.0.0.1 proves the host key pinning)",
    install: "apt-get install openssh-server openssh-client; macOS has both",
    find: () => findProgram("sshd", { sbin: true }) !== undefined && findProgram("ssh-keygen") !== undefined,
  },
  "apt-get": {
    what: "apt-get (the APT proxy auto-detect script, as apt runs it)",
    install: "a Debian or Ubuntu host (no Homebrew formula)",
    find: () => findProgram("apt-get"),
  },
  "real-terraform": {
    what: "real Terraform providers null 3.2.4, local 2.6.1 and external 2.3.5 in a filesystem mirror at $LAB_REAL_TOOLS/providers, and terraform",
    install:
      "they cannot be downloaded in CI; build them from the providers' public sources on your own machine and set LAB_REAL_TOOLS (README, Tests: the real-Terraform tier)",
    find: () => findRealTerraform() && findProgram("terraform") !== undefined,
  },
  vcsim: {
    what: "govmomi's vcsim and govc in $LAB_REAL_TOOLS/bin, and the vmware/vsphere 2.15.0 provider in $LAB_REAL_TOOLS/providers",
    install:
      "build vcsim and govc from github.com/vmware/govmomi and the provider from its public source on your own machine, and set LAB_REAL_TOOLS (README, Tests: the real-Terraform tier)",
    find: () => findVcsim() && findRealTerraform() && findProgram("terraform") !== undefined,
  },
};

/**
 * Tools whose tests CI runs only where they are present: OPTIONAL_TEST_TOOLS (space-separated, set in
 * .ci/run) names them, and under REQUIRE_TEST_TOOLS=1 their absence is a recorded skip, not a failure.
 */
export const OPTIONAL_ENV = "OPTIONAL_TEST_TOOLS";

function optionalTools(): Set<string> {
  return new Set((process.env[OPTIONAL_ENV] ?? "").split(/\s+/).filter(Boolean));
}

/** The program's path for a tool that is one program, or undefined when it is missing. */
export function toolPath(tool: Tool): string | undefined {
  const found = TOOLS[tool].find();
  return typeof found === "string" ? found : undefined;
}

export const STRICT_ENV = "REQUIRE_TEST_TOOLS";
export const SKIPS_FILE_ENV = "TEST_SKIPS_FILE";

export interface SkipRecord {
  readonly file: string;
  readonly tools: readonly Tool[];
  /** Every missing tool is declared optional (OPTIONAL_TEST_TOOLS): a skip even under REQUIRE_TEST_TOOLS=1. */
  readonly optional?: boolean;
}

export interface ToolGate {
  /** True when every tool is there. */
  readonly available: boolean;
  readonly it: jest.It;
  /** `it.concurrent` when available (it.skip has no concurrent form). */
  readonly itConcurrent: jest.It;
  readonly describe: jest.Describe;
}

function currentTestFile(): string {
  const file = expect.getState().testPath;
  return file ? path.relative(process.cwd(), file) : "(unknown test file)";
}

function recordSkip(record: SkipRecord): void {
  const file = process.env[SKIPS_FILE_ENV];
  if (file) fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
}

function missingMessage(tools: readonly Tool[]): string {
  return tools.map((t) => `${TOOLS[t].what} is missing: ${TOOLS[t].install}`).join("; ");
}

/**
 * Gates tests on outside tools: `const { it } = requireTools("qemu-img")` at the top of a file (or
 * inside a describe). Missing tools skip (recorded for the summary) or, under REQUIRE_TEST_TOOLS=1,
 * add one failing test that names them.
 */
export function requireTools(...tools: Tool[]): ToolGate {
  const missing = tools.filter((t) => !TOOLS[t].find());
  if (missing.length === 0) return { available: true, it, itConcurrent: it.concurrent, describe };
  const optional = missing.every((t) => optionalTools().has(t));
  recordSkip({ file: currentTestFile(), tools: missing, optional });
  if (process.env[STRICT_ENV] === "1" && !optional) {
    test(`has its outside tools (${STRICT_ENV}=1)`, () => {
      throw new Error(`${missingMessage(missing)}; ${STRICT_ENV}=1 turns this skip into a failure`);
    });
  }
  // The skip forms lack `.skip`/`.only`/`.concurrent` of their own, which gated tests do not use.
  const skipIt = it.skip as unknown as jest.It;
  return {
    available: false,
    it: skipIt,
    itConcurrent: skipIt,
    describe: describe.skip as unknown as jest.Describe,
  };
}
