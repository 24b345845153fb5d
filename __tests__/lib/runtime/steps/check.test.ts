import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeStepCheckVms, STEP_NAMES, type StepName } from "../../../../lib/model/entry/contracts";
import { checkSteps, decideToken, planStepCheck } from "../../../../lib/runtime/steps/check";
import { makeTempDir } from "../../../../test-support/fixtures";

const VMS = "VMs/k8s_cluster";
let root: string;
beforeEach(() => (root = makeTempDir("fusion-lab-step-check-")));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const vmDir = (name: string) => path.join(root, VMS, `${name}.vmwarevm`);
const stepsDir = (name: string) => path.join(vmDir(name), ".lab-steps");
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;
/** Repair tokens made predictable: the reason, numbered. */
let made: string[];
const repair = (reason: string) => (made.push(reason), `repair ${made.length}: ${reason}`);
beforeEach(() => (made = []));

function query(names: string[], steps: readonly StepName[] = STEP_NAMES) {
  return {
    vms_dir: VMS,
    vms: encodeStepCheckVms(
      names.map((name) => ({
        name,
        steps_dir: `${VMS}/${name}.vmwarevm/.lab-steps`,
        disk_path: `${VMS}/${name}.vmwarevm/${name}.vmdk`,
        seed_path: `${VMS}/${name}.vmwarevm/seed.iso`,
        vmx_path: `${VMS}/${name}.vmwarevm/${name}.vmx`,
        steps,
      })),
    ),
  };
}
const check = (names: string[], steps?: readonly StepName[]) =>
  checkSteps(planStepCheck(root, query(names, steps)), repair);

function writeProducts(name: string, which: { disk?: boolean; seed?: string; vmx?: boolean } = {}): void {
  fs.mkdirSync(vmDir(name), { recursive: true });
  if (which.disk ?? true) fs.writeFileSync(path.join(vmDir(name), `${name}.vmdk`), "disk");
  if (which.seed !== null) fs.writeFileSync(path.join(vmDir(name), "seed.iso"), which.seed ?? "iso");
  if (which.vmx ?? true) fs.writeFileSync(path.join(vmDir(name), `${name}.vmx`), "vmx");
}
function receipt(name: string, step: StepName, token: string, facts: Record<string, string> = {}): void {
  fs.mkdirSync(stepsDir(name), { recursive: true });
  fs.writeFileSync(
    path.join(stepsDir(name), `${step}.done.json`),
    JSON.stringify({ token, finishedAt: "2026-01-01T00:00:00Z", facts }),
  );
}
function attempt(name: string, step: StepName, token: string, pid = deadPid()): void {
  fs.mkdirSync(stepsDir(name), { recursive: true });
  fs.writeFileSync(
    path.join(stepsDir(name), `${step}.attempt.json`),
    JSON.stringify({ token, pid, startedAt: "2026-01-01T00:00:00Z" }),
  );
}
const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
function doneVm(name: string, token = ""): void {
  writeProducts(name);
  receipt(name, "disk", token);
  receipt(name, "seed", token, { sha256: sha("iso") });
  receipt(name, "power", token);
  receipt(name, "config", token);
}

describe("the step check", () => {
  it("answers new tokens for a VM not built yet, and '' for every step of one built before the records existed", () => {
    writeProducts("m2");
    expect(check(["m1", "m2"])).toEqual({
      m1_disk: "repair 1: the disk m1.vmdk is missing",
      m1_seed: "repair 2: the seed seed.iso is missing",
      m1_power: "repair 3: m1.vmx is not installed",
      m1_config: "",
      m2_disk: "",
      m2_seed: "",
      m2_power: "",
      m2_config: "",
    });
  });

  it("answers each finished step's receipt token, so the plan after a deploy is clean", () => {
    doneVm("m1", "");
    doneVm("w1", "repair 9: earlier");
    expect(check(["m1", "w1"])).toEqual({
      m1_disk: "",
      m1_seed: "",
      m1_power: "",
      m1_config: "",
      w1_disk: "repair 9: earlier",
      w1_seed: "repair 9: earlier",
      w1_power: "repair 9: earlier",
      w1_config: "repair 9: earlier",
    });
    expect(made).toEqual([]);
  });

  it("answers a new token for a missing or foreign product, and only for that step", () => {
    doneVm("m1");
    fs.rmSync(path.join(vmDir("m1"), "m1.vmx"));
    fs.writeFileSync(path.join(vmDir("m1"), "seed.iso"), "another iso");
    expect(check(["m1"])).toEqual({
      m1_disk: "",
      m1_seed: "repair 1: the seed seed.iso is not the one built",
      m1_power: "repair 2: m1.vmx is not installed",
      m1_config: "",
    });
    doneVm("w1");
    fs.rmSync(path.join(vmDir("w1"), "w1.vmdk"));
    expect(check(["w1"]).w1_disk).toBe("repair 3: the disk w1.vmdk is missing");
  });

  it("sees the issue's state: power recorded, the .vmx missing and a partial .vmx of a dead process beside it", () => {
    writeProducts("m3", { vmx: false });
    receipt("m3", "disk", "");
    receipt("m3", "seed", "", { sha256: sha("iso") });
    fs.writeFileSync(path.join(vmDir("m3"), `.m3.vmx.partial-${deadPid()}`), "half");
    expect(check(["m3"]).m3_power).toMatch(
      /^repair 1: an interrupted write of m3\.vmx left \.m3\.vmx\.partial-\d+$/,
    );
    // Even with an older .vmx in place: the VM would start with the old settings.
    fs.writeFileSync(path.join(vmDir("m3"), "m3.vmx"), "old");
    expect(check(["m3"]).m3_power).toMatch(/interrupted write of m3\.vmx/);
  });

  it("answers a new token for a step whose attempt ended without a receipt, but keeps a disk that is there", () => {
    doneVm("m1");
    attempt("m1", "seed", "t-seed");
    attempt("m1", "power", "t-power");
    attempt("m1", "config", "t-config");
    attempt("m1", "disk", "t-disk");
    expect(check(["m1"])).toEqual({
      m1_disk: "t-disk",
      m1_seed: "repair 1: the last seed step was interrupted",
      m1_power: "repair 2: the last power step was interrupted",
      m1_config: "repair 3: the last config step was interrupted",
    });
  });

  it("leaves a step that runs right now alone, and sees role files never installed after a finished start", () => {
    doneVm("m1");
    attempt("m1", "power", "running-token", process.pid);
    expect(check(["m1"]).m1_power).toBe("running-token");
    writeProducts("w1");
    receipt("w1", "power", "");
    expect(check(["w1"]).w1_config).toBe("repair 1: the role files were never installed");
    // the APT cache has no config step
    expect(check(["w1"], ["disk", "seed", "power"])).toEqual({ w1_disk: "", w1_seed: "", w1_power: "" });
  });

  it("makes a different token at each plan: a repair killed before it leaves a trace is still seen", () => {
    writeProducts("m1", { disk: false });
    const q = planStepCheck(root, query(["m1"]));
    expect(checkSteps(q).m1_disk).toMatch(/^[0-9a-f]{6}: the disk m1\.vmdk is missing$/);
    expect(checkSteps(q).m1_disk).not.toBe(checkSteps(q).m1_disk);
  });

  it("refuses a path outside the VMs folder, naming the field", () => {
    const q = query(["m1"]);
    const vms = JSON.parse(q.vms) as Record<string, unknown>[];
    vms[0].disk_path = "../outside.vmdk";
    expect(() => planStepCheck(root, { ...q, vms: JSON.stringify(vms) })).toThrow(
      /query\.vms\[0\]\.disk_path/,
    );
  });
});

it("decideToken: a failed step (attempt left, process gone) is made again like a killed one", () => {
  const pid = deadPid();
  expect(
    decideToken(
      "config",
      { records: { attempt: { token: "a", pid, startedAt: "" } } },
      { powerDone: true },
      (r) => `new: ${r}`,
    ),
  ).toBe("new: the last config step was interrupted");
});
