/**
 * Seven VMs in a FakeHypervisor (two gateways, two masters, three workers, listed gateways first so that
 * any boot ordering is visibly the code's), each with a .vmx file on disk (the IP lookup checks it), and
 * a manifest directory. The lib tests of the snapshot sets run on it; the real vmrun process path is the
 * script and fault tests' (they keep the vmrun simulator).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Role } from "../lib/model/config/model";
import { readManifest } from "../lib/commands/snapshot/manifest";
import { SetManifest, SnapshotTarget } from "../lib/commands/snapshot/types";
import { FakeHypervisor } from "./fake-hypervisor";
import { makeTempDir } from "./fixtures";

export const CLUSTER: ReadonlyArray<{ name: string; role: Role }> = [
  { name: "k8s-gw1", role: "gateway" },
  { name: "k8s-gw2", role: "gateway" },
  { name: "k8s-master1", role: "master" },
  { name: "k8s-master2", role: "master" },
  { name: "k8s-worker1", role: "worker" },
  { name: "k8s-worker2", role: "worker" },
  { name: "k8s-worker3", role: "worker" },
];

export interface SnapshotCluster {
  readonly hv: FakeHypervisor;
  readonly root: string;
  readonly targets: SnapshotTarget[];
  /** `<root>/generated/snapshots`. */
  readonly manifestDir: string;
  target(name: string): SnapshotTarget;
  /** Snapshot names the fake holds for the VM (its own state, not through the code under test). */
  snapshotsOf(name: string): string[];
  /** Every VM's snapshots, by VM name. */
  snapshotsEverywhere(): Record<string, string[]>;
  running(name: string): boolean;
  /** The VMs the calls of `op` were made on, in call order. */
  vmsCalled(op: string): string[];
  record(name: string): Promise<SetManifest | undefined>;
  /** Rebuilds the VM: a fresh one at the same path, off, without snapshots. */
  rebuild(name: string): void;
  cleanup(): void;
}

const vmNameOf = (vmx: string | undefined) => path.basename(vmx ?? "").replace(/\.vmx$/i, "");

export function createSnapshotCluster(): SnapshotCluster {
  const root = fs.realpathSync(makeTempDir("fusion-lab-snapshots-"));
  const hv = new FakeHypervisor({ timeoutMs: 8_000, cwd: root });
  const targets = CLUSTER.map((c) => {
    const vmx = path.join(root, "VMs", "k8s_cluster", `${c.name}.vmwarevm`, `${c.name}.vmx`);
    fs.mkdirSync(path.dirname(vmx), { recursive: true });
    fs.writeFileSync(vmx, `displayName = "${c.name}"\n`);
    // A guest address per VM, as the tools would report it once the VM runs.
    hv.addVm(vmx, { ip: `10.10.0.${131 + CLUSTER.indexOf(c)}` });
    return { ...c, vmx };
  });
  const target = (name: string) => {
    const t = targets.find((x) => x.name === name);
    if (!t) throw new Error(`no VM ${name} in the test cluster`);
    return t;
  };
  const manifestDir = path.join(root, "generated", "snapshots");
  const snapshotsOf = (name: string) => [...(hv.vm(target(name).vmx)?.snapshots ?? [])];
  return {
    hv,
    root,
    targets,
    manifestDir,
    target,
    snapshotsOf,
    snapshotsEverywhere: () => Object.fromEntries(CLUSTER.map((c) => [c.name, snapshotsOf(c.name)])),
    running: (name) => hv.vm(target(name).vmx)?.running ?? false,
    vmsCalled: (op) => hv.calls.filter((c) => c.op === op).map((c) => vmNameOf(c.vm)),
    record: (name) => readManifest(manifestDir, name),
    rebuild(name) {
      const old = hv.vm(target(name).vmx)!;
      hv.addVm(target(name).vmx, { ip: old.ip });
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
