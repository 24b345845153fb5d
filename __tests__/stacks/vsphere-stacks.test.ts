import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as YAML from "yaml";
import { buildClusterModel, parseClusterConfig } from "../../lib/model/config/build-model";
import { VMWARE_STATIC_MAC } from "../../lib/model/net/mac";
import { FIXTURE_SSH_PUBLIC_KEY } from "../../test-support/model-fixture";
import { requireTools } from "../../test-support/required-tools";
import { localExecs, synthStacks } from "../../test-support/stacks";
import { dataSources, resources, TfJson } from "../../test-support/synth";
import { resolveTerraformText } from "../../lib/model/render/terraform-text";
import { defaultVariableValues } from "../../test-support/variable-fixtures";
import { Validators } from "../../test-support/validators";

const REPO = path.resolve(__dirname, "../..");
const exampleText = fs.readFileSync(path.join(REPO, "cluster.vsphere.example.yaml"), "utf8");
const model = buildClusterModel(parseClusterConfig(exampleText, "cluster.vsphere.example.yaml"), {
  hostArch: "x64",
  sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
  sshPublicKeyPath: "/home/user/.ssh/id_ed25519.pub",
});
const { cluster, aptCache } = synthStacks(model);
const machines = (json: TfJson) => Object.values(resources(json, "vsphere_virtual_machine"));
const CLUSTER_VMS = model.vms.map((vm) => vm.name);

describe("the vSphere stacks of cluster.vsphere.example.yaml", () => {
  it("pin the vsphere provider and take the server and TLS choice from the config, no credential", () => {
    for (const json of [cluster, aptCache]) {
      expect(json.terraform.required_providers.vsphere).toEqual({
        source: "vmware/vsphere",
        version: "2.15.0",
      });
      expect(json.terraform.required_providers.external).toBeUndefined();
      expect(json.provider.vsphere).toEqual([
        { vsphere_server: "127.0.0.1:8989", allow_unverified_ssl: true },
      ]);
      const text = JSON.stringify(json);
      expect(text).not.toMatch(/"(user|password)"\s*:/);
      expect(text).not.toMatch(/VSPHERE_(USER|PASSWORD)/);
    }
  });

  it("clone one VM per cluster VM from the template, sized from the model, with the static MACs on vmxnet3", () => {
    const vms = machines(cluster);
    expect(vms.map((v) => v.name)).toEqual(CLUSTER_VMS);
    for (const spec of model.vms) {
      const vm = vms.find((v) => v.name === spec.name) as TfJson;
      expect([vm.num_cpus, vm.memory, vm.folder]).toEqual([spec.cpus, spec.memoryMb, "k8s-lab"]);
      expect(vm.clone.template_uuid).toMatch(/^\$\{data\.vsphere_virtual_machine\.[^.]+\.id\}$/);
      expect(vm.guest_id).toMatch(/^\$\{data\.vsphere_virtual_machine\.[^.]+\.guest_id\}$/);
      expect(vm.disk).toEqual([
        {
          label: "disk0",
          size: expect.stringMatching(
            new RegExp(
              `^\\$\\{max\\(${spec.diskGb}, data\\.vsphere_virtual_machine\\.[^.]+\\.disks\\[0\\]\\.size\\)\\}$`,
            ),
          ),
          thin_provisioned: true,
        },
      ]);
      expect(
        vm.network_interface.map((n: TfJson) => [n.mac_address, n.adapter_type, n.use_static_mac]),
      ).toEqual(spec.nics.map((nic) => [nic.mac, "vmxnet3", true]));
      for (const nic of spec.nics) expect(nic.mac).toMatch(VMWARE_STATIC_MAC);
      expect([vm.wait_for_guest_net_timeout, vm.wait_for_guest_ip_timeout]).toEqual([0, 0]);
    }
  });

  it("connect each NIC to its network's port group, and look the site up by the names in the config", () => {
    const nets = Object.entries(dataSources(cluster, "vsphere_network")).map(([id, n]) => [id, n.name]);
    expect(nets.map(([, name]) => name).sort()).toEqual(["DC0_DVPG0", "VM Network"]);
    const gateway = machines(cluster).find((v) => v.name === "gateway1") as TfJson;
    const lanId = nets.find(([, name]) => name === "VM Network")?.[0];
    expect(gateway.network_interface[0].network_id).toBe(`\${data.vsphere_network.${lanId}.id}`);
    expect(Object.values(dataSources(cluster, "vsphere_datacenter"))[0].name).toBe("DC0");
    expect(Object.values(dataSources(cluster, "vsphere_compute_cluster"))[0].name).toBe("DC0_C0");
    expect(Object.values(dataSources(cluster, "vsphere_datastore"))[0].name).toBe("LocalDS_0");
    expect(Object.values(dataSources(cluster, "vsphere_virtual_machine"))[0].name).toBe(
      "ubuntu-noble-template",
    );
  });

  it("put the APT cache in its own stack, and run no Fusion step and no IP lookup", () => {
    expect(machines(aptCache).map((v) => v.name)).toEqual(["apt-cache-server"]);
    for (const json of [cluster, aptCache]) {
      expect(dataSources(json, "external")).toEqual({});
      const entries = localExecs(json).map((e) => e.exec.command as string);
      expect(entries.filter((c) => !c.endsWith(" guest-config"))).toEqual([]);
    }
  });

  it("install the role files over SSH at the configured addresses, and write them into the inventory", () => {
    const execs = localExecs(cluster).filter((e) => e.exec.command.endsWith(" guest-config"));
    expect(execs).toHaveLength(CLUSTER_VMS.length);
    const configs = resources(cluster, "null_resource");
    const hosts = Object.values(configs)
      .map((r) => r.triggers?.host)
      .filter(Boolean);
    expect(hosts.sort()).toEqual(
      model.vms.map((vm) => vm.nics.find((n) => n.network === "nat")?.address).sort(),
    );
    const [inventory] = Object.values(resources(cluster, "local_file")).filter((f) =>
      f.filename.endsWith("vm-ips.env"),
    );
    expect(inventory.content).toContain("K8S_MASTER1_IP=10.10.0.21\n");
    expect(inventory.depends_on).toBeUndefined();
  });
});

/**
 * What the guest reads: the rendered documents in the stack's locals, resolved with the variables'
 * defaults, encoded as Terraform's base64gzip/base64encode do, then decoded by cloud-init's own VMware
 * datasource code and checked by `cloud-init schema` and `netplan generate`.
 */
describe("the guestinfo seed, as cloud-init's VMware datasource reads it", () => {
  const cloudInit = requireTools("cloud-init", "netplan");
  const validators = new Validators();
  afterAll(() => validators.cleanup());
  const locals = cluster.locals as Record<string, string>;
  const localOf = (expr: string) => {
    const id = /^local\.(.+)$/.exec(expr)?.[1];
    if (id === undefined || !(id in locals)) throw new Error(`no local ${expr}`);
    return id;
  };
  const values = defaultVariableValues(model);
  const resolved = new Map<string, string>();
  const resolve = (id: string): string => {
    const known = resolved.get(id);
    if (known !== undefined) return known;
    const text = locals[id];
    const exprs = [
      ...text.matchAll(
        /\$\{(base64encode\((local\.[^)]+)\)|substr\(sha256\(join\("", \[([^\]]+)\]\)\), 0, 12\))\}/g,
      ),
    ];
    const extra: Record<string, string> = {};
    for (const m of exprs) {
      if (m[2] !== undefined) extra[m[1]] = Buffer.from(resolve(localOf(m[2]))).toString("base64");
      else {
        const joined = m[3]
          .split(",")
          .map((p) => resolve(localOf(p.trim())))
          .join("");
        extra[m[1]] = crypto.createHash("sha256").update(joined).digest("hex").slice(0, 12);
      }
    }
    const out = resolveTerraformText(text, { ...values, ...extra });
    resolved.set(id, out);
    return out;
  };

  cloudInit.describe.each(["gateway1", "k8s-worker2"])("%s", (name) => {
    const vm = machines(cluster).find((v) => v.name === name) as TfJson;
    const keyOf = (key: string) => {
      const m = /^\$\{base64gzip\((local\.[^)]+)\)\}$/.exec(vm.extra_config[key]);
      if (m === null) throw new Error(`${key} is not base64gzip(local.x): ${vm.extra_config[key]}`);
      return zlib.gzipSync(resolve(localOf(m[1]))).toString("base64");
    };
    const keys = () => ({
      metadata: keyOf("guestinfo.metadata"),
      "metadata.encoding": vm.extra_config["guestinfo.metadata.encoding"],
      userdata: keyOf("guestinfo.userdata"),
      "userdata.encoding": vm.extra_config["guestinfo.userdata.encoding"],
    });

    it("decodes to its hostname, an instance id that follows the content, and a valid user-data", async () => {
      const seed = await validators.guestinfoDecode(keys());
      expect(seed.metadata["local-hostname"]).toBe(name);
      expect(seed.metadata["instance-id"]).toMatch(new RegExp(`^${name}-[0-9a-f]{12}$`));
      expect(seed.userdata.startsWith("#cloud-config\n")).toBe(true);
      const schema = await validators.cloudInitSchema(seed.userdata);
      expect(schema.stderr + schema.stdout).toMatch(/Valid cloud-config/);
      expect(schema.code).toBe(0);
    });

    it("carries the netplan config by MAC that netplan generate accepts", async () => {
      const seed = await validators.guestinfoDecode(keys());
      const spec = model.vms.find((v) => v.name === name);
      const net = seed.network as {
        version: number;
        ethernets: Record<string, { match: { macaddress: string } }>;
      };
      expect(net.version).toBe(2);
      expect(Object.values(net.ethernets).map((e) => e.match.macaddress)).toEqual(
        spec?.nics.map((n) => n.mac),
      );
      const generated = await validators.netplanGenerate(YAML.stringify(net));
      expect(generated.stderr).toBe("");
      expect(generated.code).toBe(0);
    });
  });
});
