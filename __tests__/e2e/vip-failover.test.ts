import { realTemplates } from "../../test-support/synth";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  bannerServerScript,
  failoverLimitSeconds,
  loadBalancerFailoverCheck,
  masterDownSeconds,
  nginxLogShows,
  preemptionLimitSeconds,
  stopBannerScript,
  vipWatchScript,
  vrrpTiming,
} from "../../e2e/checks/vip-failover";
import { renderKeepalivedConf } from "../../lib/model/render/gateway";
import { vmByName, withOverrides } from "../../test-support/model-fixture";
import { e2eModel, literalAddress, literalGatewayVars } from "./cluster-fixture";
import { requireTools } from "../../test-support/required-tools";

// The banner server is a python3 one-liner, as on the guest.
const python = requireTools("python3");

const model = e2eModel();
const vars = literalGatewayVars(model);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-vip-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the watcher with a fake `ip` that prints `addrs` (a file the test may change). */
function watch(
  vips: string[],
  want: number,
  bound: number,
  addrs: string,
): { code: number | null; out: string; readyLeft: boolean } {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(dir, "addrs"), addrs);
  fs.writeFileSync(path.join(bin, "ip"), `#!/bin/sh\ncat ${path.join(dir, "addrs")}\n`, { mode: 0o755 });
  const ready = `/tmp/${path.basename(dir)}.ready`;
  const r = spawnSync("sh", ["-c", vipWatchScript(vips, want, bound, ready)], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    timeout: 20_000,
  });
  const readyLeft = fs.existsSync(ready);
  fs.rmSync(ready, { force: true });
  return { code: r.status, out: r.stdout, readyLeft };
}

const held =
  "2: ens160    inet 192.168.68.210/24 scope global ens160\n3: ens192    inet 10.10.0.11/24 scope global ens192\n3: ens192    inet 10.10.0.100/24 scope global secondary ens192\n";
const none = "3: ens192    inet 10.10.0.11/24 scope global ens192\n";

describe("VIP watcher (guest shell loop)", () => {
  it("ends at once when the wanted number of VIPs is present", () => {
    const r = watch(["10.10.0.100", "192.168.68.210"], 2, 5, held);
    expect(r.code).toBe(0);
    expect(r.out).toContain("@@vip-watch reached");
    expect(r.readyLeft).toBe(false);
    expect(watch(["10.10.0.100", "192.168.68.210"], 0, 5, none).code).toBe(0);
  });

  it("gives up after its bound when only one VIP is there, and does not match an address that merely starts alike", () => {
    const r = watch(
      ["10.10.0.100", "192.168.68.210"],
      2,
      1,
      none.replace("10.10.0.11/", "10.10.0.100") +
        "2: ens160    inet 192.168.68.210/24 scope global ens160\n",
    );
    expect(r.code).toBe(3);
    expect(r.out).toContain("@@vip-watch timeout");
  });

  it("refuses what is not an address or a plain ready file", () => {
    expect(() => vipWatchScript(["10.10.0.100; reboot"], 1, 5, "/tmp/x.ready")).toThrow(/not an IPv4/);
    expect(() => vipWatchScript(["10.10.0.100"], 1, 5, "/etc/x")).toThrow(/plain name under \/tmp/);
  });
});

describe("banner server", () => {
  python.it("listens, sends the banner to each client, and is gone after the stop script", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const start = spawnSync("sh", ["-c", bannerServerScript(port, "hello-e2e", 60, dir)], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(start.status).toBe(0);
    try {
      for (let i = 0; i < 2; i++) {
        const got = await new Promise<string>((resolve, reject) => {
          let data = "";
          const c = net.connect({ host: "127.0.0.1", port });
          c.on("data", (d) => (data += d));
          c.on("end", () => resolve(data));
          c.on("error", reject);
        });
        expect(got).toBe("hello-e2e\n");
      }
    } finally {
      const stop = spawnSync("sh", ["-c", stopBannerScript(port, dir)], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(stop.status).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, "e2e-banner.pid"))).toBe(false);
  });

  it("refuses a banner the shell would interpret", () => {
    expect(() => bannerServerScript(6443, "$(reboot)", 60)).toThrow(/must be letters/);
  });
});

describe("VRRP limits", () => {
  it("come from the rendered keepalived.conf: health-check failures plus the backup's master-down time", () => {
    const gw1 = vrrpTiming(
      renderKeepalivedConf(vmByName(model, "gateway1"), model, literalAddress, vars, realTemplates()),
    );
    const gw2 = vrrpTiming(
      renderKeepalivedConf(vmByName(model, "gateway2"), model, literalAddress, vars, realTemplates()),
    );
    expect(gw1).toEqual({ interval: 2, fall: 2, rise: 2, advertInt: 1, priority: 150 });
    expect(gw2.priority).toBe(140);
    expect(masterDownSeconds(gw2)).toBeCloseTo(3 + 116 / 256, 6);
    // fall 2 x interval 2 + gateway2's master-down 3.45 + 2 measuring
    expect(failoverLimitSeconds(gw1, gw2)).toBe(9.5);
    expect(preemptionLimitSeconds(gw1)).toBe(9.4);
    expect(preemptionLimitSeconds({ ...gw1, rise: 5 })).toBe(15.4);
    expect(vrrpTiming(undefined)).toEqual({ interval: 1, fall: 1, rise: 1, advertInt: 1, priority: 100 });
  });

  it("nginx's stream log must show the client and the master", () => {
    const log = "10.10.0.1 [24/Nov/2026:04:20:01 +0000] 200 10.10.0.20:6443 0.004\n";
    expect(nginxLogShows(log, "10.10.0.1", "10.10.0.20:6443")).toBe(true);
    expect(nginxLogShows(log, "192.168.68.1", "10.10.0.20:6443")).toBe(false);
    expect(nginxLogShows(log.replace("10.10.0.20", "10.10.0.21"), "10.10.0.1", "10.10.0.20:6443")).toBe(
      false,
    );
  });
});

describe("cluster check wiring", () => {
  it("applies with a gateway and a master; fails, without acting, when a gateway never answered", async () => {
    expect(loadBalancerFailoverCheck.appliesTo(model)).toBe(true);
    expect(
      loadBalancerFailoverCheck.appliesTo(
        withOverrides(model, { vms: model.vms.filter((v) => v.role !== "master") }),
      ),
    ).toBe(false);
    const calls: string[] = [];
    const shell = { run: async (c: string) => (calls.push(c), { rc: 0, out: "" }) };
    const { results } = await loadBalancerFailoverCheck.run({
      model,
      guests: new Map([
        ["gateway1", shell],
        ["k8s-master1", shell],
      ]),
      renderedFile: () => undefined,
      hostAddresses: { nat: "10.10.0.1", lan: "192.168.68.1" },
      hostConnect: async () => ({ ok: false, data: "" }),
      log: () => undefined,
      runProduct: async () => ({ code: 1, stdout: "", stderr: "", timedOut: false }),
      projectFile: (rel) => rel,
    });
    expect(results).toEqual([
      expect.objectContaining({ vm: "gateway2", id: "lb-path", ok: false, seen: "no ssh to gateway2" }),
    ]);
    expect(calls).toEqual([]);
  });
});
