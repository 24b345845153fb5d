import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type { ClusterModel, VmSpec } from "../../../../lib/model/config/model";
import {
  APT_PROXY_CONF_PATH,
  GUEST_APPLIER_PATH,
  APT_PROXY_DETECT_PATH,
  renderMetaData,
  renderNetworkConfig,
  renderUserData,
  type SeedVariables,
} from "../../../../lib/model/render/cloud-init";
import { type SeedTemplates } from "../../../../lib/model/render/templates";
import { loadSeedTemplates } from "../../../../lib/runtime/load/seed-templates";
import { parseVmx, renderVmx, vmxOptionsFor } from "../../../../lib/model/render/vmx";
import { renderSeedFiles } from "../../../../test-support/seed-files";
import {
  allVms,
  FIXTURE_SSH_PUBLIC_KEY,
  modelFixture,
  vmByName,
  withArch,
  withVm,
} from "../../../../test-support/model-fixture";
import {
  defaultVariableValues,
  literalSeedVariables,
  SEED_VARIABLE_EXPRESSIONS,
} from "../../../../test-support/variable-fixtures";
import { renderTemplate } from "../../../../test-support/terraform-apply/template";

const templates: SeedTemplates = loadSeedTemplates(path.join(__dirname, "../../../../templates"));
const EXCLUDED_NICS = ["docker*", "veth*", "cni*", "flannel*", "cali*", "cilium*", "vxlan*", "kube-ipvs*"];

interface WriteFile {
  path: string;
  content: string;
  permissions?: string;
}

function parseUserData(vm: VmSpec, model: ClusterModel, vars: SeedVariables = SEED_VARIABLE_EXPRESSIONS) {
  const text = renderTemplate(renderUserData(vm, model, templates, vars), {
    var: defaultVariableValues(model),
  });
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return YAML.parse(text, { version: "1.1" });
}

function parseNetworkConfig(vm: VmSpec, model: ClusterModel, values = defaultVariableValues(model)) {
  return YAML.parse(
    renderTemplate(renderNetworkConfig(vm, model, templates, SEED_VARIABLE_EXPRESSIONS), { var: values }),
    {
      version: "1.1",
    },
  );
}

function file(userData: { write_files: WriteFile[] }, filePath: string): WriteFile | undefined {
  return userData.write_files.find((f) => f.path === filePath);
}

const cases = (["amd64", "arm64"] as const).flatMap((arch) =>
  allVms(withArch(modelFixture(), arch)).map((vm) => [vm.name, vm.role, arch] as const),
);

describe.each(cases)("seed of %s (role %s, %s)", (name, role, arch) => {
  const model = withArch(modelFixture(), arch);
  const vm = vmByName(model, name);
  const userData = parseUserData(vm, model);
  const network = parseNetworkConfig(vm, model);

  it("user-data sets the hostname and the ssh user with sudo and the key", () => {
    expect(userData.hostname).toBe(name);
    expect(userData.users).toEqual([
      {
        name: "ubuntu",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        shell: "/bin/bash",
        lock_passwd: true,
        ssh_authorized_keys: [FIXTURE_SSH_PUBLIC_KEY],
      },
    ]);
    expect(userData.ssh_pwauth).toBe(false);
    expect(userData.package_update).toBe(true);
  });

  it("user-data installs the common packages plus the VM's own, each once", () => {
    const packages: string[] = userData.packages;
    expect(packages.slice(0, 5)).toEqual(["open-vm-tools", "qemu-guest-agent", "curl", "wget", "vim"]);
    expect(new Set(packages).size).toBe(packages.length);
    expect(packages.includes("nginx") && packages.includes("keepalived")).toBe(role === "gateway");
    expect(packages.includes("apt-cacher-ng")).toBe(role === "apt-cache");
  });

  it("user-data installs the guest-config applier on cluster VMs, byte for byte", () => {
    const applier = file(userData, GUEST_APPLIER_PATH);
    if (role === "apt-cache") {
      expect(applier).toBeUndefined();
      return;
    }
    expect(applier?.permissions).toBe("0755");
    expect(applier?.content).toBe(
      fs.readFileSync(path.join(__dirname, "../../../../templates/guest-apply.py"), "utf8"),
    );
  });

  it("user-data points apt at the cache with a fallback, except on the cache itself", () => {
    const conf = file(userData, APT_PROXY_CONF_PATH);
    const detector = file(userData, APT_PROXY_DETECT_PATH);
    if (role === "apt-cache") {
      expect(conf).toBeUndefined();
      expect(detector).toBeUndefined();
      return;
    }
    expect(conf?.content.split("\n")).toContain('Acquire::http::Proxy "http://10.10.0.148:3142";');
    expect(conf?.content.split("\n")).toContain(
      `Acquire::http::Proxy-Auto-Detect "${APT_PROXY_DETECT_PATH}";`,
    );
    expect(detector?.permissions).toBe("0755");
    // The detector reads the URL from apt's configuration, so it carries no copy of it.
    expect(detector?.content).toContain("apt-config shell proxy_url Acquire::http::Proxy");
    expect(detector?.content).not.toContain("10.10.0.148");
  });

  it("user-data keeps container and CNI interfaces out of VMware Tools' IP report", () => {
    const tools = file(userData, "/etc/vmware-tools/tools.conf");
    const lines = tools?.content.split("\n") ?? [];
    expect(lines[0]).toBe("[guestinfo]");
    const exclude = lines.find((l) => l.startsWith("exclude-nics="));
    expect(exclude?.slice("exclude-nics=".length).split(",")).toEqual(EXCLUDED_NICS);
    const natNic = vm.nics.find((n) => n.network === "nat");
    expect(lines).toContain(`primary-nics=${natNic?.ifname}`);
  });

  it("user-data carries the role overlay", () => {
    const acng = file(userData, "/etc/apt-cacher-ng/zz-k8s-lab.conf");
    const sysctl = file(userData, "/etc/sysctl.d/60-k8s-gateway.conf");
    expect(acng !== undefined).toBe(role === "apt-cache");
    expect(sysctl !== undefined).toBe(role === "gateway");
    if (acng)
      expect(acng.content.split("\n")).toEqual(["Port: 3142", "CacheDir: /var/cache/apt-cacher-ng", ""]);
    if (sysctl) expect(userData.runcmd).toContainEqual(["sysctl", "-p", "/etc/sysctl.d/60-k8s-gateway.conf"]);
  });

  it("network-config matches each NIC by the MAC written into the VMX", () => {
    const vmx = parseVmx(renderVmx(vm, vmxOptionsFor(model)));
    expect(network.version).toBe(2);
    expect(Object.keys(network.ethernets)).toEqual(vm.nics.map((n) => n.ifname));
    vm.nics.forEach((nic, i) => {
      const entry = network.ethernets[nic.ifname];
      expect(entry.match).toEqual({ macaddress: vmx[`ethernet${i}.address`] });
      expect(entry["set-name"]).toBe(nic.ifname);
    });
  });

  it("network-config addresses each NIC and puts the nameservers on the nat NIC", () => {
    for (const nic of vm.nics) {
      const entry = network.ethernets[nic.ifname];
      if (nic.address) {
        expect(entry).toMatchObject({
          dhcp4: false,
          addresses: [`${nic.address}/24`],
          routes: [{ to: "0.0.0.0/0", via: "10.10.0.2", metric: 200 }],
        });
      } else {
        expect(entry).toMatchObject({ dhcp4: true, "dhcp-identifier": "mac" });
        expect(entry["dhcp4-overrides"]).toEqual({
          "use-dns": false,
          "route-metric": nic.network === "lan" ? 100 : 200,
        });
      }
      if (nic.network === "nat") expect(entry.nameservers).toEqual({ addresses: ["10.10.0.2"], search: [] });
      else {
        expect(entry.optional).toBe(true);
        expect(entry).not.toHaveProperty("nameservers");
      }
    }
  });
});

describe("Terraform expressions and escaping", () => {
  const model = modelFixture();
  const master = vmByName(model, "k8s-master1");
  const cache = vmByName(model, "apt-cache-server");

  it("leaves the variables as expressions in the unresolved text", () => {
    const userData = renderUserData(master, model, templates, SEED_VARIABLE_EXPRESSIONS);
    const network = renderNetworkConfig(master, model, templates, SEED_VARIABLE_EXPRESSIONS);
    expect(userData).toContain('Acquire::http::Proxy "${var.apt_proxy_url}";');
    expect(network).toContain("addresses: ${jsonencode(var.dns_servers)}");
    expect(network).toContain("search: ${jsonencode(var.dns_search_domains)}");
    expect(renderUserData(cache, model, templates, SEED_VARIABLE_EXPRESSIONS)).not.toContain(
      "var.apt_proxy_url",
    );
  });

  it("refuses a literal apt proxy URL that would break the apt configuration line", () => {
    const vars = { ...SEED_VARIABLE_EXPRESSIONS, aptProxyUrl: { literal: 'http://x" y' } };
    expect(() => renderUserData(master, model, templates, vars)).toThrow(/invalid apt proxy URL/);
  });

  it("escapes the shell's own ${...} in the detector script", () => {
    const userData = renderUserData(master, model, templates, SEED_VARIABLE_EXPRESSIONS);
    expect(userData).toContain("hostport=$${proxy_url#*://}");
    expect(userData).not.toMatch(/[^$]\$\{proxy_url#/);
  });

  it("turns a literal ${HOME} or %{ in a template into $${HOME} and %%{", () => {
    const custom: SeedTemplates = {
      ...templates,
      userData: templates.userData + "bootcmd:\n  - echo ${HOME} %{ if x }\n",
    };
    const text = renderUserData(master, model, custom, SEED_VARIABLE_EXPRESSIONS);
    expect(text).toContain("- echo $${HOME} %%{ if x }");
    const resolved = YAML.parse(renderTemplate(text, { var: defaultVariableValues(model) }));
    expect(resolved.bootcmd).toEqual(["echo ${HOME} %{ if x }"]);
  });

  it("follows other values of the variables at apply time", () => {
    const values = {
      apt_proxy_url: "http://cache.lan:8000",
      dns_servers: ["1.1.1.1", "9.9.9.9"],
      dns_search_domains: ["lab.local"],
    };
    const userData = YAML.parse(
      renderTemplate(renderUserData(master, model, templates, SEED_VARIABLE_EXPRESSIONS), { var: values }),
    );
    expect(file(userData, APT_PROXY_CONF_PATH)?.content).toContain(
      'Acquire::http::Proxy "http://cache.lan:8000";',
    );
    const network = parseNetworkConfig(master, model, values);
    expect(network.ethernets.ens160.nameservers).toEqual({
      addresses: ["1.1.1.1", "9.9.9.9"],
      search: ["lab.local"],
    });
  });

  it("renders literal variables without any expression", () => {
    const vars = {
      ...literalSeedVariables(model),
      dnsServers: { literal: ["10.10.0.2", "1.1.1.1"] },
      dnsSearchDomains: { literal: ["lab.local"] },
    };
    const files = renderSeedFiles(master, model, templates, vars, "iid-1");
    const all = files.userData + files.metaData + files.networkConfig;
    expect(all).not.toMatch(/(^|[^$])\$\{/);
    const network = YAML.parse(renderTemplate(files.networkConfig, { var: {} }));
    expect(network.ethernets.ens160.nameservers).toEqual({
      addresses: ["10.10.0.2", "1.1.1.1"],
      search: ["lab.local"],
    });
    const userData = YAML.parse(renderTemplate(files.userData, { var: {} }));
    expect(file(userData, APT_PROXY_CONF_PATH)?.content).toContain(
      'Acquire::http::Proxy "http://10.10.0.148:3142";',
    );
  });

  it("quotes a whole-value string expression so that a numeric result stays a string", () => {
    const metaData = renderMetaData(master, "${random_id.seed.dec}", templates);
    expect(metaData).toContain('instance-id: "${random_id.seed.dec}"');
    const parsed = YAML.parse(renderTemplate(metaData, { random_id: { seed: { dec: "0123" } } }), {
      version: "1.1",
    });
    expect(parsed).toEqual({ "instance-id": "0123", "local-hostname": "k8s-master1" });
  });
});

describe("model variations", () => {
  it("gives a statically addressed node its address and a default route", () => {
    const model = withVm(modelFixture(), "k8s-worker2", (vm) => ({
      ...vm,
      nics: [{ ...vm.nics[0], address: "10.10.0.22" }],
    }));
    const entry = parseNetworkConfig(vmByName(model, "k8s-worker2"), model).ethernets.ens160;
    expect(entry).toMatchObject({
      dhcp4: false,
      addresses: ["10.10.0.22/24"],
      routes: [{ to: "0.0.0.0/0", via: "10.10.0.2" }],
    });
    expect(entry["dhcp4-overrides"]).toBeUndefined();
  });

  it("is deterministic: the same input renders the same text", () => {
    const model = modelFixture();
    const gw = vmByName(model, "gateway2");
    const a = renderSeedFiles(gw, model, templates, SEED_VARIABLE_EXPRESSIONS, "x");
    const b = renderSeedFiles(
      gw,
      modelFixture(),
      loadSeedTemplates(path.join(__dirname, "../../../../templates")),
      SEED_VARIABLE_EXPRESSIONS,
      "x",
    );
    expect(a).toEqual(b);
  });
});

describe("refusals", () => {
  const model = modelFixture();
  const master = vmByName(model, "k8s-master1");

  it("refuses a multi-line ssh key", () => {
    const bad = { ...model, ssh: { ...model.ssh, publicKey: `${FIXTURE_SSH_PUBLIC_KEY}\nssh-rsa AAAA x` } };
    expect(() => renderUserData(master, bad, templates, SEED_VARIABLE_EXPRESSIONS)).toThrow(
      /SSH public key must be one non-empty line/,
    );
  });

  it("refuses an instance id that would break the quoted scalar", () => {
    expect(() => renderMetaData(master, 'a"b', templates)).toThrow(/invalid instance id/);
    expect(() => renderMetaData(master, "a\nb", templates)).toThrow(/invalid instance id/);
    expect(() => renderMetaData(master, "", templates)).toThrow(/invalid instance id/);
  });

  it("accepts quotes inside an interpolation of the instance id (they are HCL, not output)", () => {
    const id = '${master}-${substr(sha256(join("", [local_file.a.content_sha256])), 0, 12)}';
    expect(renderMetaData(master, id, templates)).toContain(`instance-id: "${id}"`);
  });

  it("refuses a VM without exactly one nat NIC", () => {
    const lanOnly = { ...master, nics: [{ ...master.nics[0], network: "lan" as const }] };
    expect(() => renderNetworkConfig(lanOnly, model, templates, SEED_VARIABLE_EXPRESSIONS)).toThrow(
      /0 NICs on the nat network/,
    );
    expect(() => renderUserData(lanOnly, model, templates, SEED_VARIABLE_EXPRESSIONS)).toThrow(
      /0 NICs on the nat network/,
    );
  });

  it("refuses two NICs with the same MAC", () => {
    const gw = vmByName(model, "gateway1");
    const twin = { ...gw, nics: [gw.nics[0], { ...gw.nics[1], mac: gw.nics[0].mac }] };
    expect(() => renderNetworkConfig(twin, model, templates, SEED_VARIABLE_EXPRESSIONS)).toThrow(
      /two NICs with the same MAC/,
    );
  });

  it("refuses a Terraform expression given with ${} around it", () => {
    const vars = { ...SEED_VARIABLE_EXPRESSIONS, aptProxyUrl: { expression: "${var.apt_proxy_url}" } };
    expect(() => renderUserData(master, model, templates, vars)).toThrow(/without \$\{\}/);
  });

  it("refuses a template that contains the reserved sentinel marker", () => {
    const custom = { ...templates, userData: templates.userData + "bootcmd: [echo zzTfSlot0z]\n" };
    expect(() => renderUserData(master, model, custom, SEED_VARIABLE_EXPRESSIONS)).toThrow(/reserved marker/);
  });
});
