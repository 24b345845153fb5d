import {
  addressesCheck,
  aptProxyConfCheck,
  cloudInitCheck,
  dnsCheck,
  hostnameCheck,
  nicNamesCheck,
  resolvectlValues,
  rootfsGrownCheck,
  seedUsedCheck,
  userCheck,
  writeFileContent,
} from "../../e2e/checks/base-checks";
import type { Fact, GuestContext } from "../../e2e/checks/types";
import { vmxHardware } from "../../e2e/lib/qemu";
import { ClusterModel } from "../../lib/config/model";
import { renderUserData } from "../../lib/render/cloud-init";
import { parseVmx, renderVmx } from "../../lib/render/vmx";
import { modelFixture, vmByName, withOverrides } from "../../test-support/model-fixture";
import { realTemplates } from "../../test-support/synth";
import { literalSeedVariables } from "../../test-support/terraform-template";

const GIB = 1024 ** 3;

function context(name: string): GuestContext {
  const base = modelFixture();
  const model: ClusterModel = withOverrides(base, { addressing: "static", network: { ...base.network, dnsServers: ["10.10.0.2", "10.10.0.1"], dnsSearchDomains: ["lab.test"] } });
  const vm0 = vmByName(model, name);
  const vm = { ...vm0, nics: vm0.nics.map((n) => (n.network === "nat" ? { ...n, address: "10.10.0.10" } : n)) };
  const hardware = vmxHardware(parseVmx(renderVmx(vm, { arch: "amd64", virtualHwVersion: 21, nicType: "vmxnet3", natVmnet: "vmnet2" })));
  const userData = renderUserData(vm, model, realTemplates(), literalSeedVariables(model)).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
  return { vm, model, hardware, address: "10.10.0.10", publicKey: model.ssh.publicKey, seed: { userData, metaData: 'instance-id: "gateway1-abc123"\nlocal-hostname: gateway1\n', networkConfig: "" } };
}

const facts = (entries: Record<string, string | Fact>) => new Map(Object.entries(entries).map(([k, v]) => [k, typeof v === "string" ? { rc: 0, out: v } : v]));

describe("checks judged from guest facts", () => {
  const gw = context("gateway1");
  const [lan, nat] = gw.vm.nics;
  const links = (names: [string, string]) =>
    JSON.stringify([
      { ifname: "lo", address: "00:00:00:00:00:00", flags: ["LOOPBACK", "UP"] },
      { ifname: names[0], address: lan.mac, operstate: "UP", flags: ["BROADCAST", "UP"] },
      { ifname: names[1], address: nat.mac, operstate: "UP", flags: ["BROADCAST", "UP"] },
    ]);

  it("hostname and user: the seen value is what the guest said", () => {
    expect(hostnameCheck.evaluate(gw, facts({ hostname: "gateway1\n" }))[0]).toMatchObject({ ok: true, seen: "gateway1" });
    expect(hostnameCheck.evaluate(gw, facts({ hostname: "localhost" }))[0]).toMatchObject({ ok: false, seen: "localhost" });
    expect(userCheck.evaluate(gw, facts({ user: "ubuntu", sudo: { rc: 1, out: "sudo: a password is required" } }))[0].ok).toBe(false);
    expect(userCheck.evaluate(gw, facts({ user: "ubuntu", sudo: "" }))[0].ok).toBe(true);
  });

  it("NIC names: each .vmx MAC must carry its configured name, in ethernetN order", () => {
    const ok = nicNamesCheck.evaluate(gw, facts({ links: links(["ens160", "ens192"]) }));
    expect(ok.map((r) => [r.id, r.ok])).toEqual([["nic-ens160", true], ["nic-ens192", true]]);
    // What a broken seed leaves: the LAN NIC keeps the kernel's name.
    const broken = nicNamesCheck.evaluate(gw, facts({ links: links(["enp0s16", "ens192"]) }));
    expect(broken[0]).toMatchObject({ id: "nic-ens160", ok: false });
    expect(broken[0].seen).toContain(`${lan.mac} is enp0s16`);
    expect(broken[1].ok).toBe(true);
  });

  it("static address and default route through the NAT gateway", () => {
    const addrs = JSON.stringify([{ ifname: "ens192", addr_info: [{ family: "inet", local: "10.10.0.10", prefixlen: 24 }] }]);
    const routes = JSON.stringify([{ dst: "default", gateway: "10.10.0.2", dev: "ens192", metric: 200 }]);
    expect(addressesCheck.evaluate(gw, facts({ addrs, routes })).map((r) => [r.id, r.ok])).toEqual([["address-ens192", true], ["default-route", true]]);
    const wrong = addressesCheck.evaluate(gw, facts({ addrs: JSON.stringify([{ ifname: "ens192", addr_info: [] }]), routes: "[]" }));
    expect(wrong.map((r) => [r.ok, r.seen])).toEqual([[false, "ens192: no IPv4 address"], [false, "no default route"]]);
  });

  it("01proxy: must equal what user-data writes and name the apt cache", () => {
    const content = writeFileContent(gw.seed.userData, "/etc/apt/apt.conf.d/01proxy") as string;
    expect(content).toContain(`Acquire::http::Proxy "${gw.model.aptCache.proxyUrl}";`);
    expect(aptProxyConfCheck.evaluate(gw, facts({ apt_proxy: content }))[0].ok).toBe(true);
    expect(aptProxyConfCheck.evaluate(gw, facts({ apt_proxy: content.replace("10.10.0.148", "10.10.0.149") }))[0].ok).toBe(false);
    expect(aptProxyConfCheck.evaluate(gw, facts({ apt_proxy: { rc: 1, out: "cat: No such file or directory" } }))[0]).toMatchObject({ ok: false, seen: "cat: No such file or directory" });
  });

  it("DNS: servers and search domains of the vmnet NIC, as resolvectl prints them", () => {
    const dns = "Global:\nLink 2 (ens160):\nLink 3 (ens192): 10.10.0.2 10.10.0.1\n";
    expect(resolvectlValues(dns, "ens192")).toEqual(["10.10.0.2", "10.10.0.1"]);
    expect(resolvectlValues(dns, "ens160")).toEqual([]);
    expect(dnsCheck.evaluate(gw, facts({ resolve_dns: dns, resolve_domain: "Global:\nLink 3 (ens192): lab.test\n" }))[0].ok).toBe(true);
    expect(dnsCheck.evaluate(gw, facts({ resolve_dns: dns, resolve_domain: "Link 3 (ens192):\n" }))[0]).toMatchObject({ ok: false, seen: "ens192: servers 10.10.0.2 10.10.0.1; search none" });
  });

  it("cloud-init: an error status is explained with result.json's errors", () => {
    const error = 'status: error\ndetail:\n(\'package-update-upgrade-install\', ProcessExecutionError("apt-get update exit 100"))\n';
    const result = JSON.stringify({ v1: { datasource: "DataSourceNoCloud [seed=/dev/sr0]", errors: ["('package-update-upgrade-install', ProcessExecutionError(...))"] } });
    const r = cloudInitCheck.evaluate(gw, facts({ cloud_init_status: error, result_json: result, cloud_init_problems: "" }))[0];
    expect(r).toMatchObject({ ok: false, seen: "status: error, 1 error(s)" });
    expect(r.detail).toContain("package-update-upgrade-install");
    const done = cloudInitCheck.evaluate(gw, facts({ cloud_init_status: "status: done\n", result_json: JSON.stringify({ v1: { errors: [] } }), cloud_init_problems: "" }))[0];
    expect(done.ok).toBe(true);
  });

  it("seed: the NoCloud ISO with this seed's instance-id was used", () => {
    const result = JSON.stringify({ v1: { datasource: "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]", errors: [] } });
    expect(seedUsedCheck.evaluate(gw, facts({ instance_id: "gateway1-abc123", result_json: result }))[0].ok).toBe(true);
    expect(seedUsedCheck.evaluate(gw, facts({ instance_id: "iid-datasource-none", result_json: result }))[0].ok).toBe(false);
  });

  it("root filesystem: disk of diskGb, partition and filesystem grown to fill it", () => {
    const disk = gw.vm.diskGb * GIB;
    const lsblk = (part: number) => JSON.stringify({ blockdevices: [{ name: "sr0", size: 376832, type: "rom" }, { name: "nvme0n1", size: disk, type: "disk", children: [{ name: "nvme0n1p1", size: part, type: "part", mountpoint: "/" }] }] });
    const grown = rootfsGrownCheck.evaluate(gw, facts({ lsblk: lsblk(disk - 1024 ** 2), df_root: String(Math.round((disk - 1024 ** 2) * 0.98)) }))[0];
    expect(grown.ok).toBe(true);
    expect(grown.seen).toContain(`nvme0n1 (${gw.vm.diskGb.toFixed(2)} GiB)`);
    // The golden image's 2 GiB partition, not grown.
    expect(rootfsGrownCheck.evaluate(gw, facts({ lsblk: lsblk(2 * GIB - 1024 ** 2), df_root: String(1.9 * GIB) }))[0].ok).toBe(false);
  });
});
