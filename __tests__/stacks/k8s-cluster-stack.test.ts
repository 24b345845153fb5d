import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { modelFixture, withArch } from "../../test-support/model-fixture";
import { defaultVariableValues, resolveTerraformText } from "../../test-support/terraform-template";
import { allStrings, dataSources, one, resources, TfJson } from "../../test-support/synth";
import { entryExists, localExecs, synthStacks } from "../../test-support/stacks";
import { HAVE_CLOUD_INIT, HAVE_NETPLAN, hasTool, Validators } from "../../test-support/validators";

const model = modelFixture();
const { cluster, aptCache } = synthStacks(model);
const CLUSTER_VMS = ["gateway1", "gateway2", "k8s-master1", "k8s-master2", "k8s-master3", "k8s-worker1", "k8s-worker2"];

describe("k8s-cluster stack", () => {
  it("keeps its state in the project root through a relative path, and pins the providers", () => {
    expect(cluster.terraform.backend).toEqual({ local: { path: "../../../terraform.k8s-cluster.tfstate" } });
    expect(cluster.terraform.required_providers).toEqual({
      external: { source: "external", version: "2.3.5" },
      local: { source: "hashicorp/local", version: "2.6.1" },
      null: { source: "null", version: "3.2.4" },
    });
  });

  it("declares the variables with the config's defaults and Terraform-side validation", () => {
    expect(Object.keys(cluster.variable).sort()).toEqual(["apt_proxy_url", "dns_search_domains", "dns_servers", "external_vip", "internal_vip"]);
    expect(cluster.variable.external_vip.default).toBe("192.168.68.210");
    expect(cluster.variable.internal_vip.default).toBe("10.10.0.100");
    expect(cluster.variable.dns_servers).toMatchObject({ type: "list(string)", default: ["10.10.0.2"] });
    expect(cluster.variable.dns_search_domains.default).toEqual([]);
    expect(cluster.variable.apt_proxy_url.default).toBe("http://10.10.0.148:3142");
    for (const v of Object.values(cluster.variable) as TfJson[]) expect(v.validation).toHaveLength(1);
  });

  it("has disk, seed ISO, power and IP lookup for each of the 7 cluster VMs, and one base image", () => {
    const nulls = Object.keys(resources(cluster, "null_resource")).map((id) => id.replace(/_[0-9A-F]{8}$/, ""));
    expect(nulls.sort()).toEqual(["base-image", ...CLUSTER_VMS.flatMap((n) => [`${n}_disk`, `${n}_power`, `${n}_seed_iso`])].sort());
    expect(Object.keys(dataSources(cluster, "external")).map((id) => id.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual(CLUSTER_VMS.map((n) => `${n}_ip`));
    expect(allStrings(cluster).join("\n")).not.toContain("apt-cache-server_");
  });

  it("orders base image -> disk -> seed ISO -> power -> IP -> inventory", () => {
    const nulls = resources(cluster, "null_resource");
    const [baseId] = one(nulls, "base-image");
    for (const name of CLUSTER_VMS) {
      const [diskId, disk] = one(nulls, `${name}_disk`);
      const [isoId, iso] = one(nulls, `${name}_seed_iso`);
      const [powerId, power] = one(nulls, `${name}_power`);
      const [ipId, ip] = one(dataSources(cluster, "external"), `${name}_ip`);
      expect(disk.depends_on).toEqual([`null_resource.${baseId}`]);
      expect(iso.triggers.disk).toBe(`\${null_resource.${diskId}.id}`);
      expect(power.triggers.seed).toBe(`\${null_resource.${isoId}.id}`);
      expect(power.triggers.disk).toBe(`\${null_resource.${diskId}.id}`);
      expect(ip.depends_on).toEqual([`null_resource.${powerId}`]);
      const [, inventory] = one(resources(cluster, "local_file"), "inventory");
      expect(inventory.depends_on).toContain(`data.external.${ipId}`);
    }
  });

  it("outputs each VM's IP and the inventory path", () => {
    expect(Object.keys(cluster.output).sort()).toEqual([...CLUSTER_VMS.map((n) => `${n.replace(/-/g, "_")}_ip`), "inventory_file"].sort());
    expect(cluster.output.inventory_file.value).toBe("vm-ips.env");
    const [masterIp] = one(dataSources(cluster, "external"), "k8s-master1_ip");
    expect(cluster.output.k8s_master1_ip.value).toBe(`\${data.external.${masterIp}.result["ip"]}`);
  });

  it("passes the VIP variables to start and to the IP lookup as addresses to exclude", () => {
    for (const { exec } of localExecs(cluster).filter((e) => e.exec.command.endsWith("vm-start"))) {
      expect(exec.environment.IP_EXCLUDE).toBe("${var.external_vip},${var.internal_vip}");
    }
  });
});

describe.each([
  ["k8s-cluster", cluster],
  ["apt-cache", aptCache],
])("the provisioner rule in %s", (_name, json) => {
  const execs = localExecs(json);

  it("runs only the fixed launcher with an existing entry point, never a spliced value", () => {
    expect(execs.length).toBeGreaterThan(0);
    for (const { exec } of execs) {
      expect(exec.command).toMatch(/^\.\.\/\.\.\/\.\.\/scripts\/run [a-z][a-z0-9-]*$/);
      expect(entryExists(exec.command.split(" ")[1])).toBe(true);
      expect(Object.keys(exec).sort()).toEqual(exec.when ? ["command", "environment", "when"] : ["command", "environment"]);
    }
    for (const data of Object.values(dataSources(json, "external")) as TfJson[]) {
      expect(data.program[0]).toBe("../../../scripts/run");
      expect(entryExists(data.program[1])).toBe(true);
    }
  });

  it("reads names and paths from self.triggers, and destroy-time blocks read nothing else", () => {
    // Identity values come from triggers; tuning values (timeouts, the image URL) are literals, so
    // changing them never replaces a resource. Either way they travel only in `environment`.
    for (const { exec } of execs) {
      for (const [key, value] of Object.entries(exec.environment as Record<string, string>)) {
        if (/(_NAME|_PATH|_DIR|VMX_SOURCE|BASE_IMAGE)$/.test(key)) expect(value).toMatch(/^\$\{self\.triggers\.[a-z_0-9]+\}$/);
        if (exec.when !== "destroy") expect(value.replace(/\$\{(self\.triggers\.[a-z_0-9]+|var\.[a-z_]+)\}/g, "")).not.toContain("${");
        if (exec.when === "destroy") expect(value.replace(/\$\{self\.triggers\.[a-z_0-9]+\}/g, "")).not.toContain("${");
      }
    }
  });

  it("holds no absolute machine path in any path-like field", () => {
    const pathFields: string[] = [json.terraform.backend.local.path];
    for (const f of Object.values(resources(json, "local_file")) as TfJson[]) pathFields.push(f.filename);
    for (const { exec } of execs) pathFields.push(exec.command, ...Object.values(exec.environment as Record<string, string>));
    for (const r of Object.values(resources(json, "null_resource")) as TfJson[]) pathFields.push(...(Object.values(r.triggers) as string[]));
    for (const d of Object.values(dataSources(json, "external")) as TfJson[]) pathFields.push(...d.program, ...(Object.values(d.query) as string[]));
    for (const value of pathFields) expect(value).not.toMatch(/^\/|(^|[^.])\/(Users|home|root|tmp|work|private|var)\//);
    expect(JSON.stringify(json)).not.toContain(os.homedir());
  });
});

describe("every rendered seed file passes its real consumer", () => {
  const validators = new Validators();
  afterAll(() => validators.cleanup());
  const files = (json: TfJson, kind: string) =>
    Object.entries(resources(json, "local_file")).filter(([id]) => id.includes(`_seed_${kind}_`)).map(([id, f]) => [id, resolveTerraformText(f.content as string, defaultVariableValues(model))] as const);
  const userData = [...files(cluster, "user_data"), ...files(aptCache, "user_data")];
  const networkConfig = [...files(cluster, "network_config"), ...files(aptCache, "network_config")];

  it("has all eight VMs' files", () => {
    expect(userData).toHaveLength(8);
    expect(networkConfig).toHaveLength(8);
  });

  (HAVE_CLOUD_INIT ? it.concurrent.each(userData) : it.skip.each(userData))("cloud-init schema accepts %s", async (_id, text) => {
    const r = await validators.cloudInitSchema(text);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: expect.stringContaining("Valid cloud-config") });
  });

  (HAVE_NETPLAN ? it.concurrent.each(networkConfig) : it.skip.each(networkConfig))("netplan generate accepts %s", async (_id, text) => {
    const r = await validators.netplanGenerate(text);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
  });
});

// `terraform providers` parses the configuration offline and rejects what Terraform itself would:
// a destroy provisioner that reads anything but self, a bad `when`, a malformed reference.
const HAVE_TERRAFORM = hasTool("terraform");
if (!HAVE_TERRAFORM) console.warn("skipping `terraform providers` checks: no terraform binary on PATH");
(HAVE_TERRAFORM ? describe : describe.skip)("terraform parses the synthesized JSON", () => {
  function terraformProviders(json: TfJson): { code: number | null; out: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tf-parse-"));
    try {
      const copy = JSON.parse(JSON.stringify(json)) as TfJson;
      delete copy.terraform.backend; // a backend would ask for `terraform init`
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(copy));
      const r = spawnSync("terraform", ["providers"], { cwd: dir, env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null", NO_COLOR: "1" }, encoding: "utf8", timeout: 30_000 });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ["k8s-cluster", cluster],
    ["apt-cache", aptCache],
  ])("accepts %s", (_name, json) => {
    const r = terraformProviders(json);
    expect(r.out).not.toMatch(/Error/);
    expect(r.code).toBe(0);
  });

  it("rejects a destroy provisioner that reads a variable (the check can fail)", () => {
    const broken = JSON.parse(JSON.stringify(cluster)) as TfJson;
    const [id] = one(resources(broken, "null_resource"), "k8s-master1_disk");
    broken.resource.null_resource[id].provisioner[1]["local-exec"].environment.X = "${var.internal_vip}";
    expect(terraformProviders(broken).out).toMatch(/Invalid reference from destroy provisioner/);
  });
});

describe("arm64", () => {
  it("uses the arm64 image and arm VMX settings", () => {
    const arm = synthStacks(withArch(model, "arm64")).cluster;
    const [, image] = one(resources(arm, "null_resource"), "base-image");
    expect(image.triggers.source).toMatch(/noble-server-cloudimg-arm64\.img$/);
    const [, vmx] = one(resources(arm, "local_file"), "k8s-master1_vmx");
    expect(vmx.content).toContain('guestOS = "arm-ubuntu-64"');
  });
});
