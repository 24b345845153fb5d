/**
 * Fault family: vmrun never answers. One row per state-changing or waiting vmrun command, each through
 * the real entry point that issues it, with a short deadline. Every row asserts the same outcome: the
 * call is cut at its deadline, the entry ends with the documented result and a message naming the VM
 * and the step, and afterwards nothing of the simulator runs: neither the hung vmrun, nor the helper
 * it started in its process group, nor anything else carrying this simulator's state directory.
 */
import { spawnSync } from "node:child_process";
import { CLUSTER_VMS, createCliProject, runCli } from "../../test-support/cli-project";
import { liveGroupMembers, pidsWithEnv, waitForNone } from "../../test-support/faults/process-table";
import { waitUntilDead } from "../../test-support/processes";
import { EntryResult, runEntry } from "../../test-support/run-entry";
import { createVmProject, VMS_DIR } from "../../test-support/vm-project";
import { pidsOf, SimCall, VmrunSim } from "../../test-support/vmrun-sim";
import { encodeLookupVms } from "../../lib/model/entry/contracts";

const DEADLINE_S = 2;
/**
 * The harness kills an entry still running after this long (it then ends by SIGKILL and the row fails):
 * every step here has a 2 s deadline, so an entry that waits on some longer, built-in allowance shows up.
 */
const HARNESS_LIMIT_MS = 20_000;

interface Scenario {
  readonly sim: VmrunSim;
  readonly run: () => Promise<EntryResult>;
  readonly cleanup: () => void;
}

/** vm-start / vm-stop / guest-ip: one VM, as Terraform runs them. */
function singleVm(
  entry: "vm-start" | "vm-stop" | "guest-ip",
  vm: string,
  command: string,
  poweredOn: boolean,
): Scenario {
  const p = createVmProject(vm, { renderedVmx: true });
  if (poweredOn) p.sim.powerOn(p.vmxAbs);
  p.sim.setFaults({ commands: { [command]: { [vm]: { hang: "with-child" } } } });
  const env = p.entryEnv({
    VMX_SOURCE: p.vmxSource,
    IP_NETWORKS: "10.10.0.0/24",
    IP_EXCLUDE: "10.10.0.100",
    IP_WAIT_SECONDS: "30",
    VMRUN_TIMEOUT_SECONDS: String(DEADLINE_S),
  });
  const query = {
    vms_dir: VMS_DIR,
    vms: encodeLookupVms([
      { name: vm, vmx_path: p.vmx, networks: ["10.10.0.0/24"], last_ip_file: `generated/${vm}/last-ip` },
    ]),
    exclude: "10.10.0.100",
    timeout_seconds: String(DEADLINE_S),
  };
  return {
    sim: p.sim,
    run: () =>
      runEntry(entry, {
        projectRoot: p.root,
        env,
        timeoutMs: HARNESS_LIMIT_MS,
        ...(entry === "guest-ip" ? { input: JSON.stringify(query) } : {}),
      }),
    cleanup: () => p.cleanup(),
  };
}

/** `npm run snapshot -- <args>` on the CLI test project (three cluster VMs and the APT cache). */
function snapshotCli(vm: string, command: string, args: string[], withSet: boolean): Scenario {
  const p = createCliProject();
  for (const name of CLUSTER_VMS) {
    if (!withSet) continue;
    const r = spawnSync(p.sim.binary, ["-T", "fusion", "snapshot", p.vmxOf(name), "base"], {
      env: p.sim.env,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`the simulator did not snapshot ${name}: ${r.stdout}`);
  }
  p.sim.setFaults({ commands: { [command]: { [vm]: { hang: "with-child" } } } });
  return {
    sim: p.sim,
    run: () =>
      runCli(p, "snapshot", [...args, "--timeout", String(DEADLINE_S)], { timeoutMs: HARNESS_LIMIT_MS }),
    cleanup: () => p.cleanup(),
  };
}

const cutOff = (command: string, vm: string) =>
  `vmrun ${command} ${vm} did not answer within ${DEADLINE_S} s and was stopped`;

const ROWS: ReadonlyArray<{
  readonly command: string;
  readonly entry: string;
  readonly vm: string;
  readonly scenario: () => Scenario;
  readonly expectOutcome: (r: EntryResult) => void;
}> = [
  {
    command: "start",
    entry: "vm-start",
    vm: "k8s-m1",
    scenario: () => singleVm("vm-start", "k8s-m1", "start", false),
    expectOutcome: (r) => {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`vm-start: ${cutOff("start", "k8s-m1")}`);
    },
  },
  {
    // A hung soft stop must be cut at the entry's deadline too, not at the 30 s guest-shutdown allowance.
    command: "stop",
    entry: "vm-stop",
    vm: "k8s-m1",
    scenario: () => singleVm("vm-stop", "k8s-m1", "stop", true),
    expectOutcome: (r) => {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`vm-stop: ${cutOff("stop", "k8s-m1")}`);
    },
  },
  {
    command: "getGuestIPAddress",
    entry: "guest-ip",
    vm: "k8s-m1",
    scenario: () => singleVm("guest-ip", "k8s-m1", "getGuestIPAddress", true),
    // The documented answer of the data source: no IP, state no-ip, exit 0 (a plan must not fail on it).
    expectOutcome: (r) => {
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(r.stdout)).toEqual({
        "k8s-m1_ip": "",
        "k8s-m1_state": "no-ip",
        "k8s-m1_detail": expect.stringMatching(/VMware Tools did not report an address/),
      });
    },
  },
  {
    command: "snapshot",
    entry: "snapshot create",
    vm: "k8s-worker1",
    scenario: () => snapshotCli("k8s-worker1", "snapshot", ["create", "s1"], false),
    expectOutcome: (r) => {
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`k8s-worker1\\s+failed\\s+${cutOff("snapshot", "k8s-worker1")}`));
      expect(r.stderr).toMatch(
        /^snapshot: snapshot create s1 did not succeed on 1 of 3 VMs \(k8s-worker1: failed\)/m,
      );
    },
  },
  {
    command: "revertToSnapshot",
    entry: "snapshot rollback",
    vm: "k8s-master1",
    scenario: () => snapshotCli("k8s-master1", "revertToSnapshot", ["rollback", "base"], true),
    expectOutcome: (r) => {
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(`k8s-master1\\s+unknown\\s+${cutOff("revertToSnapshot", "k8s-master1")}`),
      );
      expect(r.stderr).toMatch(
        /^snapshot: snapshot rollback base did not succeed on 1 of 3 VMs \(k8s-master1: unknown\)/m,
      );
    },
  },
];

describe("a hung vmrun is cut at its deadline through the real entry points", () => {
  it.each(ROWS)(
    "$command hangs in $entry: cut, reported with the VM and the step, nothing left running",
    async (row) => {
      const s = row.scenario();
      try {
        const r = await s.run();
        row.expectOutcome(r);

        const hung: SimCall[] = s.sim
          .calls()
          .filter((c) => c.command === row.command && c.vmx?.endsWith(`/${row.vm}.vmx`));
        expect(hung.length).toBeGreaterThan(0);
        // Every hung call was killed (no end line) after its helper child had been started.
        expect(hung.map((c) => ({ exit: c.exitCode, helpers: c.childPids.length }))).toEqual(
          hung.map(() => ({ exit: null, helpers: 1 })),
        );
        expect(await waitUntilDead(pidsOf(hung))).toEqual([]);
        // vmrun was its group's leader (runWithDeadline): the whole group is gone, not just the pids we know.
        for (const c of hung) expect(liveGroupMembers(c.pid)).toEqual([]);
        expect(await waitForNone(() => pidsWithEnv("VMRUN_SIM_STATE", s.sim.stateDir))).toEqual([]);
        // The other VMs were not held up by the hung one (the CLI rows act on all of them).
        if (row.entry.startsWith("snapshot"))
          expect(
            s.sim
              .calls()
              .some(
                (c) => c.command === row.command && !c.vmx?.endsWith(`/${row.vm}.vmx`) && c.exitCode === 0,
              ),
          ).toBe(true);
      } finally {
        s.cleanup();
      }
    },
  );
});
