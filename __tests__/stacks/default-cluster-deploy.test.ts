import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { inventoryVariable } from "../../lib/model/config/build-model";
import { sha256File } from "../../lib/runtime/image/checksums";
import { formatInventory } from "../../lib/model/inventory/env-file";
import { guestFilesFor } from "../../lib/model/render/guest-files";
import { FakeGuest } from "../../test-support/fake-guest";
import { makeQcow2, makeTempDir } from "../../test-support/fixtures";
import {
  applyStack,
  planStack,
  type PlanResult,
  type StackOptions,
} from "../../test-support/terraform-apply";
import { createDeployProject, DeployProject } from "../../test-support/terraform-apply/project";
import { GATEWAY_VARIABLE_EXPRESSIONS, gatewayVariableValues } from "../../test-support/variable-fixtures";
import { renderTemplate } from "../../test-support/terraform-apply/template";
import { createVmrunSim, VmrunSim } from "../../test-support/vmrun-sim";
import { realTemplates } from "../../test-support/synth";
import { knownAddresses } from "../../lib/commands/common/vm-addresses";
import { renderVmFiles } from "../../lib/commands/render/render-vm";
import { requireTools } from "../../test-support/required-tools";

const deployTools = requireTools("qemu-img", "iso-tool", "python3");

/**
 * The default cluster (7 VMs and the APT cache, only the base image and the timeouts changed) deployed
 * with the real stacks, entry points, vmrun simulator and ssh test double: every IP reaches the
 * inventory and every role file of the VM it belongs to (checked against the renderers fed the
 * addresses the simulator hands out), and each plan starts one lookup process per stack.
 */

jest.setTimeout(300_000);

const SSH_SIM = path.resolve(__dirname, "../../test-support/ssh-sim");
const STACKS = ["apt-cache", "k8s-cluster"] as const;

let fixtures: string;
let project: DeployProject;
let sim: VmrunSim;
let guest: FakeGuest;
let sshSimDir: string;
const stop = new AbortController();

beforeAll(async () => {
  fixtures = makeTempDir("fusion-lab-image-");
  const image = await makeQcow2(path.join(fixtures, "noble-test.img"));
  project = createDeployProject(
    [
      "arch: amd64",
      "baseImage:",
      `  url: ${image}`,
      `  sha256: ${await sha256File(image)}`,
      "  virtualSizeGb: 1",
      "timeouts: {vmrunSeconds: 30, ipWaitSeconds: 60, ipLookupSeconds: 10, diskSeconds: 120, downloadSeconds: 120}",
      "",
    ].join("\n"),
  );
  sim = createVmrunSim();
  guest = new FakeGuest();
  sshSimDir = makeTempDir("fusion-lab-ssh-sim-");
  fs.writeFileSync(path.join(sshSimDir, "config.json"), JSON.stringify({ applier: guest.applierArgv }));
});

afterAll(() => {
  stop.abort();
  sim?.cleanup();
  guest?.cleanup();
  if (sshSimDir) fs.rmSync(sshSimDir, { recursive: true, force: true });
  project?.cleanup();
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
});

async function run<R extends PlanResult>(fn: (opts: StackOptions) => Promise<R>): Promise<R[]> {
  const env = { ...sim.env, PATH: `${SSH_SIM}:${sim.env.PATH}`, SSH_SIM_DIR: sshSimDir };
  return Promise.all(
    STACKS.map((s) =>
      fn({ stackDir: project.stackDirs[s], env, commandTimeoutMs: 90_000, signal: stop.signal }),
    ),
  );
}

/** The stack's IP lookup reads (its step check is read beside it at every plan). */
const lookupReads = (r: PlanResult) =>
  r.runs.filter((x) => x.kind === "read" && x.address.includes("ips_lookup"));

/** The address the simulator hands the VM, asked of it directly (not through the code under test). */
function simIp(vmx: string): string {
  const r = spawnSync(sim.binary, ["-T", "ws", "getGuestIPAddress", vmx], { env: sim.env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the simulator gave no IP for ${vmx}: ${r.stdout}`);
  return r.stdout.trim();
}

deployTools.describe("the default cluster deployed against the vmrun simulator", () => {
  it("writes the inventory and every role file from one lookup per stack, and a plan with every VM stopped changes nothing", async () => {
    const { model } = project;
    expect(model.vms).toHaveLength(7);

    const deployed = await run(applyStack);
    for (const r of deployed) {
      expect({ failed: r.failed, skipped: r.skipped }).toEqual({ failed: [], skipped: [] });
      expect(lookupReads(r)).toHaveLength(1);
    }

    const ips = new Map(model.vms.map((vm) => [vm.name, simIp(project.abs(vm.vmxPath))]));
    expect(new Set(ips.values()).size).toBe(7);
    const inventory = fs.readFileSync(project.abs(model.paths.inventoryFile), "utf8");
    expect(inventory).toBe(
      formatInventory([
        [inventoryVariable(model.aptCache.vm), model.aptCache.address],
        ...model.vms.map((vm) => [inventoryVariable(vm), ips.get(vm.name)!] as const),
      ]),
    );

    // Each role file as the renderers write it when handed the literal addresses and the variables' defaults.
    const values = gatewayVariableValues(model);
    const addressOf = (vm: { readonly name: string }) => ({ literal: ips.get(vm.name)! });
    for (const vm of model.vms) {
      for (const file of guestFilesFor(vm, model, addressOf, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates())) {
        const written = fs.readFileSync(project.abs(`${vm.generatedDir}/guest/${file.name}`), "utf8");
        expect({ vm: vm.name, file: file.name, content: written }).toEqual({
          vm: vm.name,
          file: file.name,
          content: renderTemplate(file.content, { var: values }),
        });
      }
    }
    // npm run render shows exactly what the deploy wrote: every file of every VM, byte for byte.
    const addresses = knownAddresses(project.root, model);
    for (const vm of [model.aptCache.vm, ...model.vms]) {
      const rendered = renderVmFiles(vm, model, realTemplates(), addresses);
      expect(rendered.length).toBeGreaterThanOrEqual(vm.role === "gateway" ? 7 : 4);
      for (const file of rendered)
        expect({ vm: vm.name, file: file.name, content: file.content }).toEqual({
          vm: vm.name,
          file: file.name,
          content: fs.readFileSync(project.abs(`${vm.generatedDir}/${file.name}`), "utf8"),
        });
    }
    // And each VM's role files went to its own address.
    const state = JSON.parse(fs.readFileSync(deployed[1].statePath, "utf8")) as {
      resources: {
        type: string;
        name: string;
        instances: { attributes: { triggers?: Record<string, string> } }[];
      }[];
    };
    const hosts = Object.fromEntries(
      state.resources
        .filter((r) => r.type === "null_resource" && r.name.includes("_config_apply_"))
        .map((r) => [r.instances[0].attributes.triggers!.vm_name, r.instances[0].attributes.triggers!.host]),
    );
    expect(hosts).toEqual(Object.fromEntries(ips));
    expect(deployed[1].outputs).toMatchObject(
      Object.fromEntries(model.vms.map((vm) => [`${vm.name.replace(/-/g, "_")}_ip`, ips.get(vm.name)])),
    );

    // Every VM stopped: one lookup per stack, nothing to change, the inventory as it was.
    for (const vm of [model.aptCache.vm, ...model.vms]) sim.powerOff(project.abs(vm.vmxPath));
    const listsBefore = sim.calls().filter((c) => c.command === "list").length;
    const planned = await run(planStack);
    for (const r of planned) {
      expect(r.failed).toEqual([]);
      expect(lookupReads(r)).toHaveLength(1);
      expect(r.changes.filter((c) => c.action !== "keep" && c.action !== "read")).toEqual([]);
    }
    expect(sim.calls().filter((c) => c.command === "list").length - listsBefore).toBe(2);
    expect(sim.calls().filter((c) => c.command === "getGuestIPAddress" && c.exitCode === null)).toEqual([]);
    expect(fs.readFileSync(project.abs(model.paths.inventoryFile), "utf8")).toBe(inventory);
  });
});
