import * as fs from "node:fs";
import * as path from "node:path";
import { diskPrepFigures, makeRealisticBase } from "../../bench/disk-prep";
import { discoveryFigures } from "../../bench/ip-discovery";
import { CLUSTER_VMS, lookupFigures, lookupQuery } from "../../bench/ip-lookup";
import { snapshotFigures } from "../../bench/snapshot-set";
import { statusFigures } from "../../bench/status";
import { GUEST_IP, parseLookupVms } from "../../lib/model/entry/contracts";
import {
  clusterConfigYaml,
  DEFAULT_VM_COUNT,
  emptyAppCommand,
  labAppCommand,
  modelFromYaml,
  synthFigures,
} from "../../bench/synth-scaling";
import { qemuImgInfo } from "../../lib/runtime/disk/qemu-img";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { MIB, makeTempDir } from "../../test-support/fixtures";
import { requireTools } from "../../test-support/required-tools";

describe("synth scaling configs", () => {
  it("the default size is the built-in default config: 7 cluster VMs and the APT cache", () => {
    expect(clusterConfigYaml(DEFAULT_VM_COUNT)).toBe("");
    const model = modelFromYaml("");
    expect(model.vms.length + 1).toBe(8);
  });

  it.each([10, 100])(
    "a %i-VM config passes lib/model/config and builds that many VMs: 2 gateways, 3 masters, workers for the rest",
    (n) => {
      const model = modelFromYaml(clusterConfigYaml(n));
      expect(model.vms.length + 1).toBe(n);
      const roles = model.vms.map((vm) => vm.role);
      expect(roles.filter((r) => r === "gateway")).toHaveLength(2);
      expect(roles.filter((r) => r === "master")).toHaveLength(3);
      expect(roles.filter((r) => r === "worker")).toHaveLength(n - 6);
      expect(new Set(model.vms.map((vm) => vm.nics[0].mac)).size).toBe(n - 1);
    },
  );

  it("refuses sizes without room for the fixed roles", () => {
    expect(() => clusterConfigYaml(5)).toThrow(/at least 6 VMs/);
  });

  const rounds = [
    { emptyMs: 100, defaultMs: 130, largeMs: 200 },
    { emptyMs: 200, defaultMs: 300, largeMs: 420 },
    { emptyMs: 90, defaultMs: 110, largeMs: 150 },
  ];

  it("judges `cdktf synth`: the default against the empty stack and the large config against the default, the median round", () => {
    // Default vs empty: 1.30, 1.50, 1.22; the fastest of each side would be 110 / 90 (round 3).
    // Large vs default: 1.54, 1.40, 1.36; the fastest of each side would be 150 / 110.
    const [def, large] = synthFigures(rounds, "command");
    expect(def).toMatchObject({ measuredMs: 130, baselineMs: 100, goal: 1.2, ok: false });
    expect(large).toMatchObject({
      name: "synth, 100 VMs, command",
      measuredMs: 420,
      baselineMs: 300,
      goal: 1.5,
      ok: true,
    });
    expect(def.note).toContain("the median of 3 rounds; 8 VMs, both stacks; rounds: 1.30, 1.50, 1.22");
    expect(large.note).toContain("1.3 ms per added VM"); // (420 - 300) / 92
  });

  it("prints the app-alone and in-process figures as diagnostics, without a goal", () => {
    for (const mode of ["app", "in-process"] as const) {
      const figures = synthFigures(rounds, mode);
      expect(figures.map((f) => ({ goal: f.goal, ok: f.ok }))).toEqual([
        { goal: null, ok: true },
        { goal: null, ok: true },
      ]);
      expect(figures[0].ratio).toBeCloseTo(1.3);
    }
  });

  it("starts the floor with the same runner as cdktf.json's app", () => {
    const app = labAppCommand();
    expect(app).toBe("node --require tsx/cjs main.ts");
    expect(emptyAppCommand(app)).toBe("node --require tsx/cjs bench/empty-app.ts");
    expect(() => emptyAppCommand("node other.js")).toThrow(/does not end in main\.ts/);
  });
});

describe("disk preparation figures", () => {
  it("compares each way with its own floor (the median round), and the product with the seed's per-VM conversion", () => {
    const round = (
      floorMs: number,
      sequentialMs: number,
      floorConcurrentMs: number,
      concurrentMs: number,
      perVmConversionMs: number,
    ) => ({ floorMs, sequentialMs, floorConcurrentMs, concurrentMs, perVmConversionMs });
    const [conc, seq, seed] = diskPrepFigures([
      round(1000, 1200, 800, 1100, 3000),
      round(3000, 3300, 900, 1260, 6000),
      round(2000, 5000, 700, 1400, 6000),
    ]);
    // All at once: round ratios 1.375, 1.4, 2.0; the fastest of each side (1100 / 700 = 1.57) would
    // pair the measured side of one round with the baseline of another.
    expect(conc).toMatchObject({
      name: "disk prep, all at once (as Terraform)",
      measuredMs: 1260,
      baselineMs: 900,
      goal: 1.3,
      ok: false,
    });
    expect(conc.ratio).toBeCloseTo(1.4);
    expect(conc.note).toContain("the median of 3 rounds");
    expect(seq).toMatchObject({
      name: "disk prep, one after another",
      measuredMs: 1200,
      baselineMs: 1000,
      goal: null,
      ok: true,
    });
    expect(seq.ratio).toBeCloseTo(1.2);
    expect(seq.note).toContain("rounds: 1.20, 1.10, 2.50");
    // Against the seed: round ratios 0.40, 0.55, 0.83; the seed's way against the floor 3, 2, 3.
    expect(seed).toMatchObject({ measuredMs: 3300, baselineMs: 6000, goal: 1.0, ok: true });
    expect(seed.note).toContain("the seed's way is 3.00 x the floor");
  });

  requireTools("qemu-img").it("makes a compressed qcow2 base holding random and real data", async () => {
    const dir = makeTempDir();
    try {
      const file = await makeRealisticBase(path.join(dir, "base.img"), {
        virtualSize: 64 * MIB,
        randomMiB: 2,
        filesMiB: 2,
      });
      expect(await qemuImgInfo(file)).toMatchObject({ format: "qcow2", virtualSize: 64 * MIB });
      expect(fs.statSync(file).size).toBeGreaterThan(2 * MIB); // the random part does not compress
      const check = await runWithDeadline("qemu-img", ["check", "--output=json", file], {
        timeoutMs: 30_000,
      });
      const report = JSON.parse(check.stdout) as {
        "compressed-clusters": number;
        "allocated-clusters": number;
      };
      expect(report["compressed-clusters"]).toBeGreaterThan(0);
      expect(report["allocated-clusters"]).toBeGreaterThanOrEqual(64); // 4 MiB of 64 KiB clusters
      expect(fs.readdirSync(dir)).toEqual(["base.img"]);
      await expect(
        makeRealisticBase(path.join(dir, "small.img"), { virtualSize: 4 * MIB, randomMiB: 2, filesMiB: 2 }),
      ).rejects.toThrow(/do not fit a base of 4194304 bytes/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("IP lookup figures", () => {
  it("sends the stack data source's query for all 7 VMs, through the GUEST_IP contract", () => {
    const query = lookupQuery(CLUSTER_VMS);
    expect(GUEST_IP.parse(query)).toMatchObject({
      vms_dir: "VMs/k8s_cluster",
      exclude: "192.168.68.210,10.10.0.100",
      timeout_seconds: 20,
    });
    const vms = parseLookupVms(query.vms);
    expect(vms.map((vm) => vm.name)).toEqual(CLUSTER_VMS.map(([name]) => name));
    expect(vms[0]).toEqual({
      name: "gateway1",
      vmx_path: "VMs/k8s_cluster/gateway1.vmwarevm/gateway1.vmx",
      networks: ["10.10.0.0/24", "192.168.68.0/24"],
      last_ip_file: "generated/gateway1/last-ip",
    });
    expect(vms[6].networks).toEqual(["10.10.0.0/24"]);
  });

  it("judges the off plan of 7 VMs against that of 1, and 7 running VMs against one lookup paying the same asks, the median round", () => {
    const round = (
      offMs: number,
      offOneMs: number,
      runningMs: number,
      oneWithAsksMs: number,
      oneMs: number,
      perVmMs: number,
    ) => ({
      offMs,
      offOneMs,
      runningMs,
      oneWithAsksMs,
      oneMs,
      perVmMs,
      startupMs: 140,
    });
    const [off, running, perVm] = lookupFigures([
      round(450, 400, 900, 800, 500, 3000),
      round(420, 410, 1000, 700, 520, 2800),
    ]);
    // Two rounds: the lower of the two ratios (the fastest of each side would pair 420 with 400).
    expect(off).toMatchObject({ measuredMs: 420, baselineMs: 410, goal: 1.2, ok: true });
    expect(off.note).toContain("start-up alone 140 ms");
    expect(off.note).toContain("rounds: 1.13, 1.02");
    expect(running).toMatchObject({ measuredMs: 900, baselineMs: 800, goal: 1.3, ok: true });
    expect(running.note).toContain("rounds: 1.13, 1.43");
    expect(perVm).toMatchObject({ measuredMs: 2800, baselineMs: 520, goal: null });
  });
});

describe("status and snapshot set figures", () => {
  it("judge status of 8 against status of 1 paying the same vmrun calls, and show the raw ratio as a diagnostic", () => {
    const [paid, raw] = statusFigures([
      { measuredMs: 1500, baselineMs: 1400, oneAloneMs: 700 },
      { measuredMs: 1600, baselineMs: 1450, oneAloneMs: 650 },
    ]);
    expect(paid).toMatchObject({ measuredMs: 1500, baselineMs: 1400, goal: 2, ok: true });
    expect(raw).toMatchObject({ measuredMs: 1500, baselineMs: 700, goal: null });
  });

  it("judge the snapshot set against the same 7 calls made bare at once", () => {
    const [set, seq] = snapshotFigures(
      [
        { measuredMs: 2000, baselineMs: 1900 },
        { measuredMs: 2400, baselineMs: 1700 },
      ],
      11000,
      1500,
    );
    expect(set).toMatchObject({ measuredMs: 2000, baselineMs: 1900, goal: 1.3, ok: true });
    expect(set.note).toContain("rounds: 1.05, 1.41");
    expect(seq).toMatchObject({ measuredMs: 2000, baselineMs: 11000, goal: 1, ok: true });
  });
});

describe("IP discovery figures", () => {
  it("judge each case against vm-start's own lookup of the same path, measured in the run", () => {
    const [during, between] = discoveryFigures({
      during: { latencyMs: 40, callStartOffsetMs: -2900 },
      alreadyThere: { latencyMs: 160, callStartOffsetMs: 20 },
      between: { latencyMs: 2600, callStartOffsetMs: 1700 },
      afterAMiss: { latencyMs: 2100, callStartOffsetMs: 2020 },
    });
    expect(during).toMatchObject({ measuredMs: 40, baselineMs: 160, ratio: 0.25, goal: 1, ok: true });
    expect(between).toMatchObject({ measuredMs: 2600, baselineMs: 2100, goal: 1, ok: false });
    expect(between.note).toContain("started 1700 ms after it appeared");
  });
});
