import {
  addressesCheck,
  aptProxyConfCheck,
  cloudInitCheck,
  dnsCheck,
  firmwareCheck,
  gptGrownCheck,
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
import { ClusterModel } from "../../lib/model/config/model";
import { renderUserData } from "../../lib/model/render/cloud-init";
import { parseVmx, renderVmx } from "../../lib/model/render/vmx";
import { modelFixture, vmByName, withOverrides } from "../../test-support/model-fixture";
import { realTemplates } from "../../test-support/synth";
import { literalSeedVariables } from "../../test-support/variable-fixtures";

const GIB = 1024 ** 3;

function context(name: string): GuestContext {
  const base = modelFixture();
  const model: ClusterModel = withOverrides(base, {
    addressing: "static",
    network: { ...base.network, dnsServers: ["10.10.0.2", "10.10.0.1"], dnsSearchDomains: ["lab.test"] },
  });
  const vm0 = vmByName(model, name);
  const vm = {
    ...vm0,
    nics: vm0.nics.map((n) => (n.network === "nat" ? { ...n, address: "10.10.0.10" } : n)),
  };
  const hardware = vmxHardware(
    parseVmx(renderVmx(vm, { arch: "amd64", virtualHwVersion: 21, nicType: "vmxnet3", natVmnet: "vmnet2" })),
  );
  const userData = renderUserData(vm, model, realTemplates(), literalSeedVariables(model))
    .replace(/\$\$\{/g, "${")
    .replace(/%%\{/g, "%{");
  return {
    vm,
    model,
    hardware,
    address: "10.10.0.10",
    publicKey: model.ssh.publicKey,
    seed: {
      userData,
      metaData: 'instance-id: "gateway1-abc123"\nlocal-hostname: gateway1\n',
      networkConfig: "",
    },
  };
}

const facts = (entries: Record<string, string | Fact>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, typeof v === "string" ? { rc: 0, out: v } : v]));

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
    expect(hostnameCheck.evaluate(gw, facts({ hostname: "gateway1\n" }))[0]).toMatchObject({
      ok: true,
      seen: "gateway1",
    });
    expect(hostnameCheck.evaluate(gw, facts({ hostname: "localhost" }))[0]).toMatchObject({
      ok: false,
      seen: "localhost",
    });
    expect(
      userCheck.evaluate(
        gw,
        facts({ user: "ubuntu", sudo: { rc: 1, out: "sudo: a password is required" } }),
      )[0].ok,
    ).toBe(false);
    expect(userCheck.evaluate(gw, facts({ user: "ubuntu", sudo: "" }))[0].ok).toBe(true);
  });

  it("NIC names: each .vmx MAC must carry its configured name, in ethernetN order", () => {
    const ok = nicNamesCheck.evaluate(gw, facts({ links: links(["ens160", "ens192"]) }));
    expect(ok.map((r) => [r.id, r.ok])).toEqual([
      ["nic-ens160", true],
      ["nic-ens192", true],
    ]);
    // What a broken seed leaves: the LAN NIC keeps the kernel's name.
    const broken = nicNamesCheck.evaluate(gw, facts({ links: links(["enp0s16", "ens192"]) }));
    expect(broken[0]).toMatchObject({ id: "nic-ens160", ok: false });
    expect(broken[0].seen).toContain(`${lan.mac} is enp0s16`);
    expect(broken[1].ok).toBe(true);
  });

  it("static address and default route through the NAT gateway", () => {
    const addrs = JSON.stringify([
      { ifname: "ens192", addr_info: [{ family: "inet", local: "10.10.0.10", prefixlen: 24 }] },
    ]);
    const routes = JSON.stringify([{ dst: "default", gateway: "10.10.0.2", dev: "ens192", metric: 200 }]);
    expect(addressesCheck.evaluate(gw, facts({ addrs, routes })).map((r) => [r.id, r.ok])).toEqual([
      ["address-ens192", true],
      ["default-route", true],
    ]);
    const wrong = addressesCheck.evaluate(
      gw,
      facts({ addrs: JSON.stringify([{ ifname: "ens192", addr_info: [] }]), routes: "[]" }),
    );
    expect(wrong.map((r) => [r.ok, r.seen])).toEqual([
      [false, "ens192: no IPv4 address"],
      [false, "no default route"],
    ]);
  });

  it("01proxy: must equal what user-data writes and name the apt cache", () => {
    const content = writeFileContent(gw.seed.userData, "/etc/apt/apt.conf.d/01proxy") as string;
    expect(content).toContain(`Acquire::http::Proxy "${gw.model.aptCache.proxyUrl}";`);
    expect(aptProxyConfCheck.evaluate(gw, facts({ apt_proxy: content }))[0].ok).toBe(true);
    expect(
      aptProxyConfCheck.evaluate(gw, facts({ apt_proxy: content.replace("10.10.0.148", "10.10.0.149") }))[0]
        .ok,
    ).toBe(false);
    expect(
      aptProxyConfCheck.evaluate(
        gw,
        facts({ apt_proxy: { rc: 1, out: "cat: No such file or directory" } }),
      )[0],
    ).toMatchObject({ ok: false, seen: "cat: No such file or directory" });
  });

  it("DNS: servers and search domains of the vmnet NIC, as resolvectl prints them", () => {
    const dns = "Global:\nLink 2 (ens160):\nLink 3 (ens192): 10.10.0.2 10.10.0.1\n";
    expect(resolvectlValues(dns, "ens192")).toEqual(["10.10.0.2", "10.10.0.1"]);
    expect(resolvectlValues(dns, "ens160")).toEqual([]);
    expect(
      dnsCheck.evaluate(
        gw,
        facts({ resolve_dns: dns, resolve_domain: "Global:\nLink 3 (ens192): lab.test\n" }),
      )[0].ok,
    ).toBe(true);
    expect(
      dnsCheck.evaluate(gw, facts({ resolve_dns: dns, resolve_domain: "Link 3 (ens192):\n" }))[0],
    ).toMatchObject({ ok: false, seen: "ens192: servers 10.10.0.2 10.10.0.1; search none" });
  });

  it("cloud-init: an error status is explained with result.json's errors", () => {
    const error =
      "status: error\ndetail:\n('package-update-upgrade-install', ProcessExecutionError(\"apt-get update exit 100\"))\n";
    const result = JSON.stringify({
      v1: {
        datasource: "DataSourceNoCloud [seed=/dev/sr0]",
        errors: ["('package-update-upgrade-install', ProcessExecutionError(...))"],
      },
    });
    const r = cloudInitCheck.evaluate(
      gw,
      facts({ cloud_init_status: error, result_json: result, cloud_init_problems: "" }),
    )[0];
    expect(r).toMatchObject({ ok: false, seen: "cloud-init ?: status error, 1 error(s), 0 recoverable" });
    expect(r.detail).toContain("package-update-upgrade-install");
    const done = cloudInitCheck.evaluate(
      gw,
      facts({
        cloud_init_status: "status: done\n",
        result_json: JSON.stringify({ v1: { errors: [] } }),
        cloud_init_problems: "",
      }),
    )[0];
    expect(done.ok).toBe(true);
  });

  it("cloud-init: a degraded result (cloud-init 23.4+ on a deprecated key) fails, naming the deprecation", () => {
    const status =
      "status: done\nextended_status: degraded done\nboot_status_code: enabled-by-generator\ndetail: DataSourceNoCloud [seed=/dev/sr0]\nerrors: []\nrecoverable_errors:\n  DEPRECATED:\n  - apt_reboot_if_required\n";
    const result = JSON.stringify({
      v1: {
        datasource: "DataSourceNoCloud",
        errors: [],
        recoverable_errors: {
          DEPRECATED: [
            "Deprecated cloud-config provided: apt_reboot_if_required:  Deprecated in version 22.2.",
          ],
        },
      },
    });
    const r = cloudInitCheck.evaluate(
      gw,
      facts({
        cloud_init_version: "/usr/bin/cloud-init 25.1.4",
        cloud_init_status: status,
        result_json: result,
        cloud_init_problems: "",
      }),
    )[0];
    expect(r).toMatchObject({
      ok: false,
      seen: "cloud-init 25.1.4: status done (degraded done), 0 error(s), 1 recoverable",
    });
    // cloud-init 25.1 as seen: result.json without them, `status --format json` with them (once each).
    const dep = "Deprecated cloud-config provided: apt_reboot_if_required:  Deprecated in version 22.2.";
    const statusJson = JSON.stringify({
      status: "done",
      extended_status: "degraded done",
      recoverable_errors: { DEPRECATED: [dep, dep] },
    });
    const seen25 = cloudInitCheck.evaluate(
      gw,
      facts({
        cloud_init_status: status,
        cloud_init_status_json: statusJson,
        result_json: JSON.stringify({ v1: { errors: [] } }),
        cloud_init_problems: "",
      }),
    )[0];
    expect(seen25.seen).toBe("cloud-init ?: status done (degraded done), 0 error(s), 1 recoverable");
    expect(r.detail).toContain("DEPRECATED: Deprecated cloud-config provided: apt_reboot_if_required");
    const clean = status
      .replace("degraded done", "done")
      .replace(/recoverable_errors:[\s\S]*/, "recoverable_errors: {}\n");
    const ok = cloudInitCheck.evaluate(
      gw,
      facts({
        cloud_init_version: "/usr/bin/cloud-init 25.1.4",
        cloud_init_status: clean,
        result_json: JSON.stringify({ v1: { errors: [], recoverable_errors: {} } }),
        cloud_init_problems: "",
      }),
    )[0];
    expect(ok).toMatchObject({ ok: true, seen: "cloud-init 25.1.4: status done, 0 error(s), 0 recoverable" });
  });

  it("firmware: the guest booted UEFI on the .vmx's architecture", () => {
    expect(firmwareCheck.evaluate(gw, facts({ firmware: "efi 64-bit", machine: "x86_64" }))[0]).toMatchObject(
      { ok: true, seen: "efi 64-bit on x86_64" },
    );
    expect(firmwareCheck.evaluate(gw, facts({ firmware: "bios", machine: "x86_64" }))[0]).toMatchObject({
      ok: false,
      detail: "the .vmx says firmware = efi on x86_64",
    });
    expect(firmwareCheck.evaluate(gw, facts({ firmware: "efi 64-bit", machine: "aarch64" }))[0].ok).toBe(
      false,
    );
  });

  it("GPT: the backup header moved to the grown disk's end and the root partition reaching it", () => {
    const sectors = gw.vm.diskGb * 2 * 1024 * 1024;
    const table = (lastlba: number, rootSize: number, label = "gpt") =>
      JSON.stringify({
        partitiontable: {
          label,
          lastlba,
          partitions: [
            {
              node: "/dev/nvme0n1p1",
              start: 133120,
              size: rootSize,
              type: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
            },
            {
              node: "/dev/nvme0n1p15",
              start: 2048,
              size: 131072,
              type: "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
            },
          ],
        },
      });
    const f = (t: string, verify = "No errors detected.") =>
      facts({
        root_disk: `nvme0n1 ${sectors}`,
        root_disk_table: t,
        root_disk_verify: verify,
        root_source: "/dev/nvme0n1p1",
      });
    const grown = gptGrownCheck.evaluate(gw, f(table(sectors - 34, sectors - 34 - 133120 + 1)))[0];
    expect(grown).toMatchObject({ ok: true });
    expect(grown.seen).toContain("ESP /dev/nvme0n1p15 (64 MiB)");
    // Partition grown, but the header still says the golden image's 2 GiB: the backup was not moved.
    const stale = gptGrownCheck.evaluate(gw, f(table(2 * 2048 * 1024 - 34, sectors - 34 - 133120 + 1)))[0];
    expect(stale.ok).toBe(false);
    expect(stale.detail).toContain("the backup header was not moved");
    // Not grown at all.
    expect(
      gptGrownCheck.evaluate(gw, f(table(sectors - 34, 2 * 2048 * 1024 - 133120 - 2048)))[0].detail,
    ).toContain("the root partition /dev/nvme0n1p1 ends at");
    expect(
      gptGrownCheck.evaluate(gw, f(table(sectors - 34, sectors - 34 - 133120 + 1, "dos")))[0].detail,
    ).toContain("label dos, not gpt");
    expect(
      gptGrownCheck.evaluate(
        gw,
        f(
          table(sectors - 34, sectors - 34 - 133120 + 1),
          "The backup GPT table is not on the end of the device.",
        ),
      )[0].ok,
    ).toBe(false);
  });

  it("seed: the NoCloud ISO with this seed's instance-id was used", () => {
    const result = JSON.stringify({
      v1: { datasource: "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]", errors: [] },
    });
    expect(
      seedUsedCheck.evaluate(gw, facts({ instance_id: "gateway1-abc123", result_json: result }))[0].ok,
    ).toBe(true);
    expect(
      seedUsedCheck.evaluate(gw, facts({ instance_id: "iid-datasource-none", result_json: result }))[0].ok,
    ).toBe(false);
  });

  it("root filesystem: disk of diskGb, partition and filesystem grown to fill it", () => {
    const disk = gw.vm.diskGb * GIB;
    const esp = 64 * 1024 ** 2;
    const lsblk = (part: number) =>
      JSON.stringify({
        blockdevices: [
          { name: "sr0", size: 376832, type: "rom" },
          {
            name: "nvme0n1",
            size: disk,
            type: "disk",
            children: [
              { name: "nvme0n1p1", size: part, type: "part", mountpoint: "/" },
              { name: "nvme0n1p15", size: esp, type: "part" },
            ],
          },
        ],
      });
    const grown = rootfsGrownCheck.evaluate(
      gw,
      facts({
        lsblk: lsblk(disk - esp - 2 * 1024 ** 2),
        df_root: String(Math.round((disk - esp - 2 * 1024 ** 2) * 0.98)),
      }),
    )[0];
    expect(grown.ok).toBe(true);
    expect(grown.seen).toContain(`nvme0n1 (${gw.vm.diskGb.toFixed(2)} GiB)`);
    // The golden image's 2 GiB partition, not grown.
    expect(
      rootfsGrownCheck.evaluate(
        gw,
        facts({ lsblk: lsblk(2 * GIB - 1024 ** 2), df_root: String(1.9 * GIB) }),
      )[0].ok,
    ).toBe(false);
  });
});
