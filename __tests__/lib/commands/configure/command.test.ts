import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { AddressProbe } from "../../../../lib/commands/configure/address-probe";
import { runConfigure } from "../../../../lib/commands/configure/command";
import { footprint, PROFILES, profileInput } from "../../../../lib/commands/configure/plan";
import { MEMORY_WARN_SHARE } from "../../../../lib/commands/doctor/capacity";
import { HostFacts, LanInterface } from "../../../../lib/commands/configure/host-facts";
import { loadClusterConfig } from "../../../../lib/runtime/load/cluster-config";
import { runDoctor } from "../../../../lib/commands/doctor/run-doctor";
import { createFakeDoctorHost } from "../../../../test-support/doctor-env";
import { FIXTURE_SSH_PUBLIC_KEY } from "../../../../test-support/model-fixture";

const GiB = 2 ** 30;
const REPO = path.resolve(__dirname, "../../../..");

function fakeFacts(opts: {
  memGb: number;
  cores: number;
  lan: LanInterface | undefined;
  freeGb?: number;
}): HostFacts {
  return {
    platform: "darwin",
    defaultLan: async () => opts.lan,
    totalMemBytes: opts.memGb * GiB,
    cpuCount: opts.cores,
    freeDiskBytes: async () => (opts.freeGb ?? 500) * GiB,
  };
}

/** A probe that records what it was asked and answers `taken` for the listed addresses; sends nothing. */
function fakeProbe(taken: readonly string[]): AddressProbe & { asked: string[] } {
  const asked: string[] = [];
  const probe = async (ip: string) => {
    asked.push(ip);
    return taken.includes(ip) ? ("taken" as const) : ("free" as const);
  };
  return Object.assign(probe, { asked });
}

const HOME_LAN: LanInterface = {
  name: "en0",
  address: "192.168.1.23",
  prefixLength: 24,
  router: "192.168.1.1",
};
const OFFICE_LAN: LanInterface = { name: "en7", address: "10.0.0.17", prefixLength: 24, router: "10.0.0.1" };

/** Every key path of a YAML value: `network.lan.subnet`, `vms[].name`, ... */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => keyPaths(v, `${prefix}[]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => {
      const p = prefix ? `${prefix}.${k}` : k;
      return [p, ...keyPaths(v, p)];
    });
  return [];
}

describe("runConfigure", () => {
  let root: string;
  let out: string;
  const deps = (facts: HostFacts) => ({
    facts,
    projectRoot: root,
    env: {},
    homeDir: root,
    hostArch: "arm64",
    now: () => new Date("2026-12-02T08:00:00Z"),
    out: (text: string) => {
      out += text;
    },
  });
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "configure-")));
    fs.mkdirSync(path.join(root, ".ssh"));
    fs.writeFileSync(path.join(root, ".ssh/id_ed25519.pub"), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
    out = "";
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const load = () =>
    loadClusterConfig({ projectRoot: root, env: {}, homeDir: root, hostArch: "arm64" }).model;

  it("16 GB host on 192.168.1.0/24: the minimal profile, and the next VIP when the first is taken", async () => {
    const probe = fakeProbe(["192.168.1.250"]);
    const result = await runConfigure(
      { probe },
      deps(fakeFacts({ memGb: 16, cores: 8, lan: HOME_LAN, freeGb: 20 })),
    );
    expect(result.written).toBe(true);
    expect(probe.asked).toEqual(["192.168.1.250", "192.168.1.249"]);
    const model = load();
    expect(model.network.lan.subnet).toBe("192.168.1.0/24");
    expect(model.network.externalVip).toBe("192.168.1.249");
    expect(model.vms.map((vm) => vm.name)).toEqual(["gateway1", "k8s-master1", "k8s-worker1"]);
    const memMb = [...model.vms, model.aptCache.vm].reduce((s, vm) => s + vm.memoryMb, 0);
    expect(memMb).toBe(10 * 1024);
    expect(out).toContain("192.168.1.250 answered on the LAN (in use): skipped");
    expect(out).toContain(
      "disk: WARNING only 20.0 GiB free in the project folder; a first deploy needs about 53.5 GiB",
    );
    expect(out).toContain("ha (8 VMs, 26.0 GiB) would take 163% of this host's 16.0 GiB");
    expect(out).toContain("lean-ha (8 VMs, 13.0 GiB) would take 81%");
    expect(out).toMatch(
      /minimal: 4 VMs, 10\.0 GiB = 63% of 16\.0 GiB; one gateway, one master, one worker: no VIP failover/,
    );
  });

  it("64 GB host on 10.0.0.0/24: the default HA layout, the VIP at the high end", async () => {
    const probe = fakeProbe([]);
    await runConfigure({ probe }, deps(fakeFacts({ memGb: 64, cores: 12, lan: OFFICE_LAN })));
    const model = load();
    expect(model.network.lan.subnet).toBe("10.0.0.0/24");
    expect(model.network.externalVip).toBe("10.0.0.250");
    expect(probe.asked).toEqual(["10.0.0.250"]);
    // The README's prerequisites quote these two figures of the default cluster.
    expect(out).toContain("ha: 8 VMs, 26.0 GiB");
    expect(out).toContain("disk: 500.0 GiB free in the project folder; a first deploy needs about 109.5 GiB");
    expect(model.vms.map((vm) => vm.name)).toEqual([
      "gateway1",
      "gateway2",
      "k8s-master1",
      "k8s-master2",
      "k8s-master3",
      "k8s-worker1",
      "k8s-worker2",
    ]);
    expect(model.vms.find((vm) => vm.name === "k8s-worker1")).toMatchObject({ cpus: 4, memoryMb: 4096 });
    expect(out).toMatch(/ha: 8 VMs, 26\.0 GiB = 41% of 64\.0 GiB; the default layout/);
    expect(out).toContain(
      "LAN 10.0.0.0/24: the network of en7 (10.0.0.17/24), the interface of the default route via 10.0.0.1",
    );
  });

  it("skips the router and the host's own address, and lowers worker vCPUs on few cores", async () => {
    const lan = { name: "en0", address: "10.0.0.250", prefixLength: 24, router: "10.0.0.249" };
    await runConfigure({ probe: fakeProbe([]) }, deps(fakeFacts({ memGb: 64, cores: 8, lan })));
    const model = load();
    expect(model.network.externalVip).toBe("10.0.0.248");
    expect(model.vms.find((vm) => vm.name === "k8s-worker1")?.cpus).toBe(2);
    expect(out).toContain("20 vCPUs on 8 cores is more than 2x: workers get 2 vCPUs instead of 4 (16 vCPUs)");
  });

  it("writes only keys that cluster.example.yaml documents, and the result passes the doctor on that host", async () => {
    await runConfigure({ probe: fakeProbe([]) }, deps(fakeFacts({ memGb: 16, cores: 8, lan: HOME_LAN })));
    const example = new Set(
      keyPaths(parse(fs.readFileSync(path.join(REPO, "cluster.example.yaml"), "utf8"))),
    );
    const written = keyPaths(parse(fs.readFileSync(path.join(root, "cluster.yaml"), "utf8")));
    expect(written.length).toBeGreaterThan(5);
    expect(written.filter((k) => !example.has(k))).toEqual([]);

    const host = createFakeDoctorHost({
      clusterYaml: `arch: amd64\nsshPublicKeyFile: id_test.pub\n${fs.readFileSync(path.join(root, "cluster.yaml"), "utf8")}`,
    });
    try {
      const report = await runDoctor(
        host.env({ totalMemGb: 16, cpus: 8, hostAddresses: [HOME_LAN.address] }),
      );
      const row = (check: string) => report.results.find((r) => r.check === check);
      expect(row("config")?.status).toBe("ok");
      expect(row("LAN address")?.status).toBe("ok");
      expect(row("memory")?.status).toBe("ok");
    } finally {
      host.cleanup();
    }
  });

  it("never overwrites cluster.yaml without --force; --force shows the diff and keeps the old file", async () => {
    const file = path.join(root, "cluster.yaml");
    fs.writeFileSync(file, "network:\n  lan: {subnet: 192.168.68.0/24}\n");
    const facts = fakeFacts({ memGb: 64, cores: 12, lan: HOME_LAN });
    await expect(runConfigure({ probe: fakeProbe([]) }, deps(facts))).rejects.toThrow(
      "cluster.yaml exists; nothing was written. The differences are shown above: run npm run configure -- --force",
    );
    expect(fs.readFileSync(file, "utf8")).toBe("network:\n  lan: {subnet: 192.168.68.0/24}\n");
    expect(out).toContain("-  lan: {subnet: 192.168.68.0/24}");
    expect(out).toContain("+    subnet: 192.168.1.0/24");

    out = "";
    const forced = await runConfigure({ probe: fakeProbe([]), force: true }, deps(facts));
    expect(forced.backup).toBe(path.join(root, "cluster.yaml.20261202T080000.bak"));
    expect(fs.readFileSync(forced.backup!, "utf8")).toBe("network:\n  lan: {subnet: 192.168.68.0/24}\n");
    expect(out).toContain("--- cluster.yaml (now)");
    expect(out).toContain("+++ cluster.yaml (configure)");
    expect(load().network.lan.subnet).toBe("192.168.1.0/24");
  });

  it("--dry-run prints the file and writes nothing; --no-probe takes the first candidate and says so", async () => {
    const result = await runConfigure(
      { probe: undefined, dryRun: true },
      deps(fakeFacts({ memGb: 64, cores: 12, lan: HOME_LAN })),
    );
    expect(result.written).toBe(false);
    expect(fs.existsSync(path.join(root, "cluster.yaml"))).toBe(false);
    expect(out).toContain("external VIP 192.168.1.250: not probed (--no-probe)");
    expect(out).toContain(
      `configure: --dry-run: nothing was written; cluster.yaml would be:\n${result.text}`,
    );
  });

  it("refuses, writing nothing, when the memory fits no profile, there is no LAN, or every VIP is taken", async () => {
    await expect(
      runConfigure({ probe: fakeProbe([]) }, deps(fakeFacts({ memGb: 8, cores: 8, lan: HOME_LAN }))),
    ).rejects.toThrow(/this host has 8\.0 GiB of memory; even the minimal profile needs 10\.0 GiB/);
    await expect(
      runConfigure({ probe: fakeProbe([]) }, deps(fakeFacts({ memGb: 64, cores: 8, lan: undefined }))),
    ).rejects.toThrow(/found no default route with an IPv4 address/);
    await expect(
      runConfigure({ probe: async () => "taken" }, deps(fakeFacts({ memGb: 64, cores: 8, lan: HOME_LAN }))),
    ).rejects.toThrow(
      /every candidate for the external VIP is in use \(192\.168\.1\.250, .*192\.168\.1\.241\)/,
    );
    await expect(
      runConfigure(
        { probe: fakeProbe([]) },
        deps(
          fakeFacts({ memGb: 64, cores: 8, lan: { name: "en0", address: "10.10.0.7", prefixLength: 24 } }),
        ),
      ),
    ).rejects.toThrow(
      /your LAN 10\.10\.0\.0\/24 \(en0\) overlaps the cluster's internal network 10\.10\.0\.0\/24/,
    );
    expect(fs.existsSync(path.join(root, "cluster.yaml"))).toBe(false);
  });

  it("notes a missing SSH key instead of failing, since the deploy needs it only later", async () => {
    fs.rmSync(path.join(root, ".ssh"), { recursive: true });
    await runConfigure({ probe: fakeProbe([]) }, deps(fakeFacts({ memGb: 64, cores: 12, lan: HOME_LAN })));
    expect(out).toContain(
      `  - SSH key: sshPublicKeyFile = "${root}/.ssh/id_ed25519.pub": the SSH public key file does not exist; create one with: ssh-keygen -t ed25519`,
    );
    expect(fs.existsSync(path.join(root, "cluster.yaml"))).toBe(true);
  });
});

describe("the README's figures", () => {
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  it("quote each profile's memory as computed from the defaults", () => {
    const gibOf = (name: string) =>
      footprint(profileInput(PROFILES.find((p) => p.name === name)!)).memoryMb / 1024;
    expect([gibOf("ha"), gibOf("lean-ha"), gibOf("minimal")]).toEqual([26, 13, 10]);
    expect(readme).toContain("with **26 GiB** of VM\n  memory");
    expect(readme).toContain("**ha** is the\n  default layout (26 GiB)");
    expect(readme).toContain("**lean-ha** keeps the layout with smaller VMs (13 GiB");
    expect(readme).toContain("**minimal** is\n  one gateway, one master and one worker (10 GiB");
    // 26 GiB at the doctor's 70% warning share.
    expect(Math.ceil(26 / MEMORY_WARN_SHARE)).toBe(38);
    expect(readme).toContain("at least 38 GB");
  });
});
