import { realTemplates } from "../../test-support/synth";
import {
  expectedHostsLines,
  gatewayUnitsCheck,
  hostsBlockCheck,
  hostsBlockLines,
  listeningSockets,
  nginxListenCheck,
  nonlocalBindCheck,
  vipHolderCheck,
  vipsHeld,
  vipPlacements,
} from "../../e2e/checks/role-checks";
import type { Fact, GuestContext } from "../../e2e/checks/types";
import { renderHostsBlock } from "../../lib/model/render/hosts";
import { vmByName } from "../../test-support/model-fixture";
import { e2eModel, literalAddress } from "./cluster-fixture";

const model = e2eModel();
const ctx = (name: string): GuestContext =>
  ({
    vm: vmByName(model, name),
    model,
    hardware: { arch: "x86_64", memoryMb: 1024, cpus: 1, firmware: "efi", nics: [], drives: [] },
    address: "",
    publicKey: "",
    seed: { userData: "", metaData: "", networkConfig: "" },
  }) as GuestContext;
const facts = (entries: Record<string, string | Fact>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, typeof v === "string" ? { rc: 0, out: v } : v]));

const rendered = renderHostsBlock(
  model,
  literalAddress,
  { literal: model.network.internalVip },
  realTemplates(),
);
const hostsFile = (block: string) => `127.0.0.1 localhost\n::1 localhost ip6-localhost\n${block}`;

describe("/etc/hosts block", () => {
  it("expects every cluster VM by its vmnet address, the APT cache and the API name on the internal VIP", () => {
    expect(expectedHostsLines(model)).toEqual([
      "10.10.0.10 gateway1",
      "10.10.0.11 gateway2",
      "10.10.0.20 k8s-master1",
      "10.10.0.148 apt-cache-server",
      "10.10.0.100 k8s-api",
    ]);
  });

  it("passes on the block the product renders, placed among other lines", () => {
    expect(hostsBlockLines(hostsFile(rendered))).toHaveLength(5);
    const [r] = hostsBlockCheck.evaluate(ctx("k8s-master1"), facts({ etc_hosts: hostsFile(rendered) }));
    expect(r).toMatchObject({ id: "hosts-block", ok: true });
    expect(r.seen).toContain("10.10.0.100 k8s-api");
  });

  it("fails on a wrong VIP, a missing VM, an extra line or no block, saying which", () => {
    const wrongVip = hostsBlockCheck.evaluate(
      ctx("gateway1"),
      facts({ etc_hosts: hostsFile(rendered.replace("10.10.0.100 k8s-api", "10.10.0.101 k8s-api")) }),
    )[0];
    expect(wrongVip.ok).toBe(false);
    expect(wrongVip.detail).toContain("missing: 10.10.0.100 k8s-api");
    expect(wrongVip.detail).toContain("not configured: 10.10.0.101 k8s-api");
    expect(
      hostsBlockCheck.evaluate(
        ctx("gateway1"),
        facts({ etc_hosts: hostsFile(rendered.replace("10.10.0.11 gateway2\n", "")) }),
      )[0].detail,
    ).toContain("missing: 10.10.0.11 gateway2");
    expect(
      hostsBlockCheck.evaluate(ctx("gateway1"), facts({ etc_hosts: "127.0.0.1 localhost\n" }))[0],
    ).toMatchObject({ ok: false, seen: "no k8s-lab block in /etc/hosts" });
    // An unterminated block is not a block.
    expect(hostsBlockLines(hostsFile(rendered).replace(/# END k8s-lab\n/, ""))).toBeUndefined();
  });
});

describe("gateway checks", () => {
  it("keepalived and nginx must both be active", () => {
    expect(
      gatewayUnitsCheck
        .evaluate(ctx("gateway1"), facts({ units_active: "active\nactive\n" }))
        .map((r) => r.ok),
    ).toEqual([true, true]);
    const r = gatewayUnitsCheck.evaluate(
      ctx("gateway1"),
      facts({ units_active: { rc: 3, out: "active\nfailed\n" } }),
    );
    expect(r.map((x) => [x.id, x.ok, x.seen])).toEqual([
      ["unit-keepalived", true, "keepalived.service active"],
      ["unit-nginx", false, "nginx.service failed"],
    ]);
  });

  it("nginx must listen on both VIPs :6443", () => {
    const ss =
      "LISTEN 0 511 10.10.0.100:6443 0.0.0.0:*\nLISTEN 0 511 192.168.68.210:6443 0.0.0.0:*\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n";
    expect(listeningSockets(ss)).toEqual(["10.10.0.100:6443", "192.168.68.210:6443", "0.0.0.0:22"]);
    expect(nginxListenCheck.evaluate(ctx("gateway2"), facts({ ss_listen: ss }))[0]).toMatchObject({
      ok: true,
      seen: "10.10.0.100:6443 192.168.68.210:6443",
    });
    const one = nginxListenCheck.evaluate(
      ctx("gateway2"),
      facts({ ss_listen: "LISTEN 0 511 10.10.0.100:6443 0.0.0.0:*\n" }),
    )[0];
    expect(one.ok).toBe(false);
    expect(one.detail).toContain("not listening: 192.168.68.210:6443");
  });

  it("non-local bind must be 1", () => {
    expect(nonlocalBindCheck.evaluate(ctx("gateway1"), facts({ nonlocal_bind: "1\n" }))[0].ok).toBe(true);
    expect(nonlocalBindCheck.evaluate(ctx("gateway1"), facts({ nonlocal_bind: "0\n" }))[0]).toMatchObject({
      ok: false,
      seen: "net.ipv4.ip_nonlocal_bind=0",
    });
  });

  const ipOut = (lanExtra: string, natExtra: string) =>
    [
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
      lanExtra,
      "3: ens192    inet 10.10.0.10/24 brd 10.10.0.255 scope global ens192\\       valid_lft forever preferred_lft forever",
      natExtra,
    ]
      .filter(Boolean)
      .join("\n");
  const extVip =
    "2: ens160    inet 192.168.68.210/24 scope global ens160\\       valid_lft forever preferred_lft forever";
  const intVip =
    "3: ens192    inet 10.10.0.100/24 scope global secondary ens192\\       valid_lft forever preferred_lft forever";

  it("places the external VIP on the LAN NIC and the internal one on the vmnet NIC", () => {
    expect(vipPlacements(model, vmByName(model, "gateway1"))).toEqual([
      { vip: "192.168.68.210", ifname: "ens160", prefix: 24 },
      { vip: "10.10.0.100", ifname: "ens192", prefix: 24 },
    ]);
    expect(vipsHeld(ipOut(extVip, intVip), vipPlacements(model, vmByName(model, "gateway1")))).toEqual({
      held: ["192.168.68.210", "10.10.0.100"],
      misplaced: [],
    });
  });

  it("the preferred gateway holds both VIPs, the other none", () => {
    expect(
      vipHolderCheck.evaluate(ctx("gateway1"), facts({ ipv4_addrs: ipOut(extVip, intVip) }))[0],
    ).toMatchObject({ ok: true, seen: "holds 192.168.68.210 10.10.0.100" });
    expect(
      vipHolderCheck.evaluate(ctx("gateway1"), facts({ ipv4_addrs: ipOut("", intVip) }))[0],
    ).toMatchObject({ ok: false, seen: "holds 10.10.0.100" });
    expect(vipHolderCheck.evaluate(ctx("gateway2"), facts({ ipv4_addrs: ipOut("", "") }))[0]).toMatchObject({
      ok: true,
      seen: "holds no VIP",
    });
    expect(vipHolderCheck.evaluate(ctx("gateway2"), facts({ ipv4_addrs: ipOut(extVip, "") }))[0].ok).toBe(
      false,
    );
    // A VIP on the wrong NIC is not held.
    const wrong = vipHolderCheck.evaluate(
      ctx("gateway1"),
      facts({ ipv4_addrs: ipOut(extVip, intVip.replace(/ens192/g, "ens160")) }),
    )[0];
    expect(wrong.ok).toBe(false);
    expect(wrong.seen).toContain("misplaced 10.10.0.100/24 on ens160");
  });
});
