/**
 * The rendered seed files, resolved the way Terraform would with the variables' defaults, checked by
 * the real consumers: `cloud-init schema` (user-data), `netplan generate` and cloud-init's own
 * `net-convert` (network-config). The validator runs are started together and cached by content.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type { ClusterModel, VmSpec } from "../../../../lib/model/config/model";
import { renderNetworkConfig, renderUserData } from "../../../../lib/model/render/cloud-init";
import { type SeedTemplates } from "../../../../lib/model/render/templates";
import { loadSeedTemplates } from "../../../../lib/runtime/load/seed-templates";
import { requireTools } from "../../../../test-support/required-tools";
import { Validators } from "../../../../test-support/validators";
import { allVms, modelFixture, vmByName, withArch } from "../../../../test-support/model-fixture";
import { defaultVariableValues, SEED_VARIABLE_EXPRESSIONS } from "../../../../test-support/variable-fixtures";
import { renderTemplate } from "../../../../test-support/terraform-apply/template";

const TEMPLATES_DIR = path.join(__dirname, "../../../../templates");

// Concurrent: each case waits on a child process, so the runs overlap instead of queueing.
const itCloudInit = requireTools("cloud-init").itConcurrent;
const itNetplan = requireTools("netplan").itConcurrent;

// Set up at load time rather than in beforeAll: concurrent tests must not depend on hook order.
const validators = new Validators();
const templates: SeedTemplates = loadSeedTemplates(TEMPLATES_DIR);
afterAll(() => validators.cleanup());
const cloudInitSchema = (text: string) => validators.cloudInitSchema(text);
const netplanGenerate = (text: string) => validators.netplanGenerate(text);
const netConvert = (text: string) => validators.netConvert(text);

function resolved(text: string, model: ClusterModel): string {
  return renderTemplate(text, { var: defaultVariableValues(model) });
}

const ARCHES = ["amd64", "arm64"] as const;
const cases = ARCHES.flatMap((arch) =>
  allVms(withArch(modelFixture(), arch)).map((vm) => [vm.name, arch] as const),
);

describe.each(cases)("seed of %s (%s)", (name, arch) => {
  const model = withArch(modelFixture(), arch);
  const vm: VmSpec = vmByName(model, name);

  itCloudInit("user-data passes cloud-init schema", async () => {
    const text = resolved(renderUserData(vm, model, templates, SEED_VARIABLE_EXPRESSIONS), model);
    const r = await cloudInitSchema(text);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({
      code: 0,
      out: expect.stringContaining("Valid cloud-config"),
    });
  });

  itNetplan("network-config passes netplan generate and gives one winning default route", async () => {
    const text = resolved(renderNetworkConfig(vm, model, templates, SEED_VARIABLE_EXPRESSIONS), model);
    const result = await netplanGenerate(text);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    const unitsDir = path.join(result.root, "run/systemd/network");
    for (const nic of vm.nics) {
      const link = fs.readFileSync(path.join(unitsDir, `10-netplan-${nic.ifname}.link`), "utf8");
      expect(link).toContain(`MACAddress=${nic.mac}`);
      expect(link).toContain(`Name=${nic.ifname}`);
      const unit = fs.readFileSync(path.join(unitsDir, `10-netplan-${nic.ifname}.network`), "utf8");
      if (nic.address) {
        expect(unit).toContain(`Address=${nic.address}/24`);
        expect(unit).toMatch(/\[Route\]\nDestination=0\.0\.0\.0\/0\nGateway=10\.10\.0\.2\nMetric=200/);
      } else {
        expect(unit).toContain("ClientIdentifier=mac");
        // LAN (the gateways' ethernet0) beats NAT: one default route wins, the other is a fallback.
        expect(unit).toContain(`RouteMetric=${nic.network === "lan" ? 100 : 200}`);
      }
      expect(unit.includes("DNS=10.10.0.2")).toBe(nic.network === "nat");
    }
  });

  // One VM per NIC layout (two DHCP NICs, one DHCP NIC, one static NIC) keeps the suite fast.
  if (!["gateway1", "k8s-master1", "apt-cache-server"].includes(name)) return;
  itCloudInit("network-config passes cloud-init net-convert", async () => {
    const text = resolved(renderNetworkConfig(vm, model, templates, SEED_VARIABLE_EXPRESSIONS), model);
    const r = await netConvert(text);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warn|error|traceback/i);
    const written = YAML.parse(fs.readFileSync(path.join(r.root, "etc/netplan/50-cloud-init.yaml"), "utf8"));
    for (const nic of vm.nics)
      expect(written.network.ethernets[nic.ifname].match).toEqual({ macaddress: nic.mac });
  });
});

describe("the validators can fail", () => {
  const model = modelFixture();
  const master = vmByName(model, "k8s-master1");

  itCloudInit("a template with `packages: 5` is rejected by cloud-init schema", async () => {
    const broken: SeedTemplates = {
      ...templates,
      userData: '#cloud-config\nhostname: "{{ hostname }}"\npackages: 5\n',
    };
    const r = await cloudInitSchema(
      resolved(renderUserData(master, model, broken, SEED_VARIABLE_EXPRESSIONS), model),
    );
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/packages: 5 is not of type 'array'/);
  });

  itNetplan("a malformed static address is rejected by netplan generate", async () => {
    const bad = { ...master, nics: [{ ...master.nics[0], address: "10.10.0.300" }] };
    const text = resolved(renderNetworkConfig(bad, model, templates, SEED_VARIABLE_EXPRESSIONS), model);
    const result = await netplanGenerate(text);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/malformed address '10\.10\.0\.300\/24'/);
  });
});
