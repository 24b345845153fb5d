/**
 * Jest helpers around the govc double (./govc) and, behind the same shape, the real govc against a vcsim
 * of the test's own (test-support/vcsim.ts): a vSphere "backend" a test can point the product at, seed with
 * VMs, and inspect. (Not a test file: jest only runs *.test.ts.)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { VsphereSpec } from "../../lib/model/config/model";

const SIM_BINARY = path.join(__dirname, "govc");

/** The login both backends accept (vcsim is started with -username/-password). */
export const VCSIM_USER = "user";
export const VCSIM_PASSWORD = "pass";

/** The vsphere block of a site on vcsim's default inventory (the values of cluster.vsphere.example.yaml). */
export function vcsimSite(server: string, folder = "k8s-lab"): VsphereSpec {
  return {
    server,
    allowUnverifiedSsl: true,
    datacenter: "DC0",
    cluster: "DC0_C0",
    datastore: "LocalDS_0",
    folder,
    networks: { lan: "VM Network", internal: "DC0_DVPG0" },
    template: "DC0_H0_VM0",
    diskProvisioning: "thin",
  };
}

/** What the tests need of a vSphere to talk to: the double, or the real govc and vcsim. */
export interface GovcBackend {
  /** "double" or "vcsim". */
  readonly kind: string;
  /** host:port of the (simulated) vCenter, for the vsphere block's server. */
  readonly server: string;
  /** The govc the product should run. */
  readonly binary: string;
  /** Variables a child (an entry point) needs: GOVC, VSPHERE_USER, VSPHERE_PASSWORD, and the double's state. */
  readonly env: Record<string, string>;
  /** Runs govc as the test's own admin (setup and inspection); throws with its output when it fails. */
  govc(...args: string[]): string;
  /** Creates `/DC0/vm/<folder>` (if needed) and clones vcsim's DC0_H0_VM0 into it once per name, powered off. */
  cloneVms(folder: string, names: readonly string[]): void;
  cleanup(): void;
}

/** The admin connection of a backend: everything but the credentials and the server comes from here. */
export function adminEnv(server: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ["PATH", "HOME", "TMPDIR"])
    if (process.env[name] !== undefined) env[name] = process.env[name];
  return {
    ...env,
    GOVC_URL: `https://${server}/sdk`,
    GOVC_USERNAME: VCSIM_USER,
    GOVC_PASSWORD: VCSIM_PASSWORD,
    GOVC_INSECURE: "1",
    GOVC_PERSIST_SESSION: "false",
    ...extra,
  };
}

/** Runs `binary` with `args` under `env`; throws with govc's words when it fails. */
export function runGovc(binary: string, env: NodeJS.ProcessEnv, args: readonly string[]): string {
  const r = spawnSync(binary, [...args], { env, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0)
    throw new Error(`govc ${args.join(" ")} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** folder.create (unless there) and one vm.clone per name from DC0_H0_VM0, powered off, on DC0_C0. */
export function cloneInto(
  govc: (...args: string[]) => string,
  folder: string,
  names: readonly string[],
): void {
  const folderPath = `/DC0/vm/${folder}`;
  if (!govc("find", "-maxdepth", "1", "-type", "f", "/DC0/vm").split("\n").includes(folderPath))
    govc("folder.create", folderPath);
  for (const name of names)
    govc(
      ...["vm.clone", "-vm", "/DC0/vm/DC0_H0_VM0", "-folder", folderPath, "-on=false", "-ds", "LocalDS_0"],
      ...["-pool", "/DC0/host/DC0_C0/Resources", name],
    );
}

/** Faults for one command; see the header of ./govc. */
export interface GovcCommandFault {
  readonly delayMs?: number;
  readonly hang?: boolean | "with-child";
  readonly fail?: string;
  readonly answer?: string;
  readonly times?: number;
}

/** A guest, which vcsim lacks; see the header of ./govc. */
export interface GovcGuestFault {
  readonly ip?: string;
  readonly toolsDelaySeconds?: number;
  readonly ipDelaySeconds?: number;
  readonly shutdownDelaySeconds?: number;
  readonly shutdownNeedsTools?: boolean;
}

export interface GovcSimFaults {
  /** Keys: govc command (e.g. "vm.power"), then VM name or "*". */
  readonly commands?: Record<string, Record<string, GovcCommandFault>>;
  readonly vms?: Record<string, GovcGuestFault>;
}

export interface GovcSimCall {
  readonly pid: number;
  readonly argv: string[];
  readonly command: string | null;
  /** The inventory path the call names, if any. */
  readonly vm: string | null;
  /** GOVC_URL and the names (never the values) of the other GOVC_ variables it was given. */
  readonly env: { readonly GOVC_URL: string | null; readonly set: string[] };
  /** null while running, or when it was killed. */
  readonly exitCode: number | null;
  readonly childPids: number[];
}

export interface GovcSimVm {
  readonly path: string;
  readonly moid: string;
  readonly power: "poweredOn" | "poweredOff" | "suspended";
  readonly snapshots: Array<{ id: string; name: string; parent: string | null; createTime: string }>;
}

export interface GovcSim extends GovcBackend {
  readonly stateDir: string;
  setFaults(faults: GovcSimFaults): void;
  /** As vcsim's -username/-password: from now on only this login is accepted (the test's own calls use it too). */
  requireLogin(user: string, password: string): void;
  calls(): GovcSimCall[];
  /** The VM's state in the double's inventory. */
  vm(inventoryPath: string): GovcSimVm | undefined;
}

/** The server the double pretends to be; it opens no socket. */
const SIM_SERVER = "127.0.0.1:18443";

export function createGovcSim(): GovcSim {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "govc-sim-"));
  const stateDir = path.join(root, "state");
  const binDir = path.join(root, "bin");
  fs.mkdirSync(stateDir);
  fs.mkdirSync(binDir);
  const binary = path.join(binDir, "govc");
  fs.symlinkSync(SIM_BINARY, binary);
  const inventory = path.join(stateDir, "inventory.json");
  // The test's admin logs in as the double's one account, whatever requireLogin made it.
  let admin = adminEnv(SIM_SERVER, { LAB_GOVC_SIM_STATE: stateDir });
  const govc = (...args: string[]) => runGovc(binary, admin, args);
  // The first call writes vcsim's default inventory; the server is then pinned, as a real one is.
  govc("about");
  const edit = (fn: (inv: Record<string, unknown>) => void) => {
    const inv = JSON.parse(fs.readFileSync(inventory, "utf8")) as Record<string, unknown>;
    fn(inv);
    fs.writeFileSync(`${inventory}.tmp`, JSON.stringify(inv, null, 2));
    fs.renameSync(`${inventory}.tmp`, inventory);
  };
  edit((inv) => (inv.server = SIM_SERVER));
  return {
    kind: "double",
    server: SIM_SERVER,
    binary,
    stateDir,
    env: {
      GOVC: binary,
      LAB_GOVC_SIM_STATE: stateDir,
      VSPHERE_USER: VCSIM_USER,
      VSPHERE_PASSWORD: VCSIM_PASSWORD,
    },
    govc,
    cloneVms: (folder, names) => cloneInto(govc, folder, names),
    setFaults(faults) {
      const file = path.join(stateDir, "faults.json");
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(faults, null, 2));
      fs.renameSync(`${file}.tmp`, file);
    },
    requireLogin(user, password) {
      edit((inv) => (inv.credentials = { user, password }));
      admin = { ...admin, GOVC_USERNAME: user, GOVC_PASSWORD: password };
    },
    calls: () => readCalls(path.join(stateDir, "calls.log")),
    vm(inventoryPath) {
      type Stored = GovcSimVm & { type: string; shutdownAt: number | null };
      const inv = JSON.parse(fs.readFileSync(inventory, "utf8")) as { objects: Stored[] };
      const vm = inv.objects.find((o) => o.type === "VirtualMachine" && o.path === inventoryPath);
      // A guest shutdown whose time has come has ended, as the double's own reads say.
      if (vm?.shutdownAt != null && Date.now() >= vm.shutdownAt) return { ...vm, power: "poweredOff" };
      return vm;
    },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

interface LogLine {
  phase: "start" | "end" | "hang";
  pid: number;
  argv?: string[];
  command?: string | null;
  vm?: string | null;
  env?: GovcSimCall["env"];
  exit?: number;
  childPids?: number[];
}

/** One record per invocation, from its start, end and hang lines. */
function readCalls(file: string): GovcSimCall[] {
  if (!fs.existsSync(file)) return [];
  const calls: Array<{ -readonly [K in keyof GovcSimCall]: GovcSimCall[K] }> = [];
  const open = new Map<number, (typeof calls)[number]>();
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  for (const [i, line] of lines.entries()) {
    let e: LogLine;
    try {
      e = JSON.parse(line) as LogLine;
    } catch (err) {
      if (i === lines.length - 1) break; // being appended right now
      throw err;
    }
    if (e.phase === "start") {
      const call = {
        pid: e.pid,
        argv: e.argv ?? [],
        command: e.command ?? null,
        vm: e.vm ?? null,
        env: e.env ?? { GOVC_URL: null, set: [] },
        exitCode: null,
        childPids: [],
      };
      calls.push(call);
      open.set(e.pid, call); // a pid the system reuses later starts a new record
      continue;
    }
    const call = open.get(e.pid);
    if (call === undefined) continue;
    if (e.phase === "end") call.exitCode = e.exit ?? null;
    else call.childPids = e.childPids ?? [];
  }
  return calls;
}
