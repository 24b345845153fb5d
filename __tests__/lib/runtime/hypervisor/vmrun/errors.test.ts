import { VmrunError } from "../../../../../lib/runtime/hypervisor/vmrun/errors";
import {
  isAlreadyRunning,
  isNotPoweredOn,
  isSnapshotNotFound,
  isVmNotFound,
} from "../../../../../lib/runtime/hypervisor/errors";

const VMX = "/Users/me/lab/VMs/k8s-master1.vmwarevm/k8s-master1.vmx";

const failed = (output: string, exitCode = 255) =>
  new VmrunError({ operation: "start", vmx: VMX, kind: "failed", exitCode, output });

describe("VmrunError messages", () => {
  it("timeout names the VM, the step and the Fusion dialog", () => {
    const err = new VmrunError({ operation: "start", vmx: VMX, kind: "timeout", timeoutMs: 120_000 });
    expect(err.message).toBe(
      "vmrun start k8s-master1 did not answer within 120 s and was stopped; the VM may be waiting on a dialog in the " +
        "Fusion window: open Fusion, close any dialog for k8s-master1, then retry",
    );
    expect([err.vmName, err.kind, err.exitCode, err.output, err.name]).toEqual([
      "k8s-master1",
      "timeout",
      null,
      "",
      "VmrunError",
    ]);
  });

  it("a timeout without a VM (list) still says what to do", () => {
    const err = new VmrunError({ operation: "list", kind: "timeout", timeoutMs: 10_000 });
    expect(err.message).toBe(
      "vmrun list did not answer within 10 s and was stopped; the VM may be waiting on a dialog in the Fusion window: open Fusion, close any dialog, then retry",
    );
    expect(err.vmName).toBeUndefined();
  });

  it("Tools not running explains the first-boot wait", () => {
    const err = failed(`Error: The VMware Tools are not running in the virtual machine: ${VMX}\n`);
    expect(err.message).toBe(
      "vmrun start k8s-master1 failed: VMware Tools are not running in k8s-master1 yet; open-vm-tools starts after cloud-init installs it (minutes on first boot)",
    );
  });

  it("cannot be found names the path", () => {
    expect(failed(`Error: Cannot open VM: ${VMX}, The virtual machine cannot be found\n`).message).toBe(
      `vmrun start k8s-master1 failed: the VM file ${VMX} does not exist or is not a VM`,
    );
  });

  it("anything else keeps vmrun's text on one line and points at vmware.log", () => {
    expect(failed("Error: Unable to open file\n  disk.vmdk: locked\n").message).toBe(
      "vmrun start k8s-master1 failed: Unable to open file disk.vmdk: locked (exit 255); see /Users/me/lab/VMs/k8s-master1.vmwarevm/vmware.log",
    );
  });

  it("spawn failures name the product of the driver's host type", () => {
    const err = new VmrunError({ operation: "list", kind: "spawn", detail: "EACCES", hostType: "ws" });
    expect(err.message).toBe(
      "cannot run vmrun: EACCES; install VMware Workstation 17.5 or newer (or set VMRUN=/path/to/vmrun)",
    );
  });

  it("spawn failures say how to install vmrun", () => {
    const err = new VmrunError({
      operation: "list",
      kind: "spawn",
      detail: "cannot run /x/vmrun: no such program",
    });
    expect(err.message).toBe(
      "cannot run vmrun: cannot run /x/vmrun: no such program; install VMware Fusion 13.5 or newer (or set VMRUN=/path/to/vmrun)",
    );
  });
});

describe("classifiers", () => {
  it("recognise vmrun's wording and nothing else", () => {
    const cases: Array<[(e: unknown) => boolean, string]> = [
      [isNotPoweredOn, `Error: The virtual machine is not powered on: ${VMX}`],
      [isVmNotFound, `Error: Cannot open VM: ${VMX}, The virtual machine cannot be found`],
      [isSnapshotNotFound, "Error: The snapshot does not exist"],
      [isSnapshotNotFound, "Error: The name does not uniquely identify one snapshot"],
      [
        isAlreadyRunning,
        "Error: The virtual machine should not be powered on. It appears to be running already.",
      ],
    ];
    for (const [is, output] of cases) {
      expect(is(failed(output))).toBe(true);
      expect(is(failed("Error: Unable to connect to host."))).toBe(false);
      expect(is(new Error(output))).toBe(false);
      // A timeout never counts as a specific vmrun answer, even if partial output matched.
      expect(
        is(new VmrunError({ operation: "start", vmx: VMX, kind: "timeout", timeoutMs: 1, output })),
      ).toBe(false);
    }
  });
});
