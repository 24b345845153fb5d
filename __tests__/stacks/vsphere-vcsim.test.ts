import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { FakeGuest } from "../../test-support/fake-guest";
import { makeTempDir } from "../../test-support/fixtures";
import { spawnSync } from "node:child_process";
import { startTerraform, terraformEnv } from "../../test-support/real-terraform";
import { requireTools } from "../../test-support/required-tools";
import { createDeployProject, DeployProject } from "../../test-support/terraform-apply/project";
import type { GovcBackend } from "../../test-support/govc-sim";
import { startVcsim } from "../../test-support/vcsim";
import { Validators } from "../../test-support/validators";

/**
 * The real-Terraform tier on vSphere: real Terraform 1.11.4 and the real vmware/vsphere, null and local
 * providers (from LAB_REAL_TOOLS) apply the synthesized stacks against govmomi's vcsim on loopback, plan
 * again, read the clones back with govc, and destroy. The guests' SSH is the ssh test double running the
 * real guest applier (vcsim boots no guest). Limits of vcsim (../shared/reference/vsphere.md): no guest
 * ever boots or reports an address, and the provider always sees swap_placement_policy differ there.
 */
const tier = requireTools("vcsim", "cloud-init", "netplan", "python3");
const SSH_SIM = path.resolve(__dirname, "../../test-support/ssh-sim");
jest.setTimeout(900_000);

function vsphereConfig(server: string, vms: string): string {
  return [
    "target: vsphere",
    "addressing: static",
    "vsphere:",
    `  server: ${server}`,
    "  allowUnverifiedSsl: true",
    "  datacenter: DC0",
    "  cluster: DC0_C0",
    "  datastore: LocalDS_0",
    "  folder: k8s-lab",
    "  networks: {lan: VM Network, internal: DC0_DVPG0}",
    "  template: DC0_H0_VM0",
    "network:",
    "  nat: {subnet: 10.10.0.0/24, gateway: 10.10.0.1, hostAddress: 10.10.0.254, dhcpStart: 10.10.0.200, dhcpEnd: 10.10.0.250}",
    "  dnsServers: [10.10.0.1]",
    vms,
    "",
  ].join("\n");
}

/** 2 gateways, 3 masters and the rest workers, addressed from .11 up. */
function vmList(count: number): string {
  const roles = Array.from({ length: count }, (_, i) => (i < 2 ? "gateway" : i < 5 ? "master" : "worker"));
  const names = { gateway: 0, master: 0, worker: 0 } as Record<string, number>;
  const lines = roles.map((role, i) => {
    names[role] += 1;
    const name = role === "gateway" ? `gateway${names[role]}` : `k8s-${role}${names[role]}`;
    return `  - {name: ${name}, role: ${role}, address: 10.10.0.${11 + i}}`;
  });
  return ["vms:", ...lines].join("\n");
}

interface Lab {
  readonly project: DeployProject;
  /** Real Terraform's environment: the backend's credentials, the ssh double, the mirror-only CLI config. */
  readonly env: NodeJS.ProcessEnv;
  readonly seconds: Record<string, number>;
}

async function timed<T>(seconds: Record<string, number>, label: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await run();
  seconds[label] = (Date.now() - started) / 1000;
  return result;
}

async function terraformOk(lab: Lab, stack: "apt-cache" | "k8s-cluster", args: string[]): Promise<string> {
  const r = await startTerraform(lab.project.stackDirs[stack], args, lab.env).done;
  if (r.code !== 0) throw new Error(`terraform ${args.join(" ")} (${stack}) failed: ${r.output}`);
  return r.output;
}

/** `terraform show -json` of a saved plan (stdout alone: the JSON). */
function showPlan(lab: Lab, stack: "apt-cache" | "k8s-cluster", planFile: string): any {
  const r = spawnSync("terraform", ["show", "-json", planFile], {
    cwd: lab.project.stackDirs[stack],
    env: lab.env,
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`terraform show failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The changes a plan still has, other than vcsim's known swap_placement_policy difference. */
async function unexpectedChanges(lab: Lab, stack: "apt-cache" | "k8s-cluster"): Promise<string[]> {
  await terraformOk(lab, stack, ["plan", "-input=false", "-lock=false", "-out=again.tfplan"]);
  const plan = showPlan(lab, stack, "again.tfplan");
  return (plan.resource_changes ?? []).flatMap((c: any) => {
    if (c.change.actions.join() === "no-op" || c.change.actions.join() === "read") return [];
    const before = c.change.before ?? {};
    const after = c.change.after ?? {};
    const differ = Object.keys({ ...before, ...after }).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]) && !(c.change.after_unknown ?? {})[k],
    );
    const onlyGovcBackend = c.type === "vsphere_virtual_machine" && differ.join() === "swap_placement_policy";
    return onlyGovcBackend ? [] : [`${c.address}: ${c.change.actions.join("+")} (${differ.join(", ")})`];
  });
}

async function deployLab(vcsim: GovcBackend, vms: number, guest: FakeGuest): Promise<Lab> {
  const project = createDeployProject(vsphereConfig(vcsim.server, vmList(vms)));
  const sshState = makeTempDir("vcsim-ssh-");
  fs.writeFileSync(path.join(sshState, "config.json"), JSON.stringify({ applier: guest.applierArgv }));
  const env = terraformEnv(
    { ...process.env, ...vcsim.env, PATH: `${SSH_SIM}:${process.env.PATH}`, SSH_SIM_DIR: sshState },
    makeTempDir("vcsim-tf-"),
  );
  const lab: Lab = { project, env, seconds: {} };
  for (const stack of ["apt-cache", "k8s-cluster"] as const) {
    await terraformOk(lab, stack, ["init", "-input=false"]);
    await timed(lab.seconds, `apply ${stack}`, () =>
      terraformOk(lab, stack, ["apply", "-input=false", "-auto-approve", "-parallelism=10"]),
    );
  }
  return lab;
}

async function destroyLab(lab: Lab): Promise<void> {
  for (const stack of ["k8s-cluster", "apt-cache"] as const)
    await timed(lab.seconds, `destroy ${stack}`, () =>
      terraformOk(lab, stack, ["destroy", "-input=false", "-auto-approve", "-parallelism=10"]),
    );
}

tier.describe("the vSphere stacks applied by real Terraform against vcsim", () => {
  let vcsim: GovcBackend;
  let guest: FakeGuest;
  const validators = new Validators();
  beforeAll(async () => {
    vcsim = await startVcsim();
    guest = new FakeGuest();
    vcsim.govc("folder.create", "/DC0/vm/k8s-lab");
  });
  afterAll(async () => {
    vcsim?.cleanup();
    guest?.cleanup();
    validators.cleanup();
  });

  it("applies the 8-VM lab, plans clean, builds each clone as the model says, and destroys it", async () => {
    const lab = await deployLab(vcsim, 7, guest);
    try {
      expect(await unexpectedChanges(lab, "apt-cache")).toEqual([]);
      expect(await unexpectedChanges(lab, "k8s-cluster")).toEqual([]);
      const names = vcsim
        .govc("ls", "/DC0/vm/k8s-lab")
        .trim()
        .split("\n")
        .map((p: string) => path.basename(p))
        .sort();
      expect(names).toEqual([...lab.project.model.vms.map((v) => v.name), "apt-cache-server"].sort());
      const spec = lab.project.model.vms.find((v) => v.name === "gateway1");
      const info = JSON.parse(vcsim.govc("vm.info", "-e", "-json", "/DC0/vm/k8s-lab/gateway1"));
      const vm = (info.virtualMachines ?? info.VirtualMachines)[0];
      expect([vm.config.hardware.numCPU, vm.config.hardware.memoryMB]).toEqual([spec?.cpus, spec?.memoryMb]);
      const macs = vm.config.hardware.device
        .filter((d: any) => d.macAddress !== undefined)
        .map((d: any) => d.macAddress);
      expect(macs).toEqual(spec?.nics.map((n) => n.mac));
      const extra = Object.fromEntries(
        (vm.config.extraConfig as { key: string; value: string }[])
          .filter((e) => e.key.startsWith("guestinfo."))
          .map((e) => [e.key.slice("guestinfo.".length), e.value]),
      );
      const seed = await validators.guestinfoDecode(extra);
      expect(seed.metadata["local-hostname"]).toBe("gateway1");
      expect((await validators.cloudInitSchema(seed.userdata)).code).toBe(0);
      expect((await validators.netplanGenerate(YAML.stringify(seed.network))).code).toBe(0);
      expect(fs.readFileSync(lab.project.abs("vm-ips.env"), "utf8")).toContain("GATEWAY1_IP=10.10.0.11\n");
      await destroyLab(lab);
      expect(vcsim.govc("ls", "/DC0/vm/k8s-lab").trim()).toBe("");
      process.stdout.write(`vcsim 8 VMs: ${JSON.stringify(lab.seconds)}\n`);
    } finally {
      lab.project.cleanup();
    }
  });

  it("applies and destroys a 50-VM cluster (and its APT cache)", async () => {
    const lab = await deployLab(vcsim, 50, guest);
    try {
      expect(await unexpectedChanges(lab, "k8s-cluster")).toEqual([]);
      const listed = vcsim.govc("ls", "/DC0/vm/k8s-lab").trim().split("\n");
      expect(listed).toHaveLength(51);
      await destroyLab(lab);
      process.stdout.write(`vcsim 50 VMs: ${JSON.stringify(lab.seconds)}\n`);
    } finally {
      lab.project.cleanup();
    }
  });
});
