import * as fs from "node:fs";
import { encodeStepCheckVms } from "../../lib/model/entry/contracts";
import { runEntry } from "../../test-support/run-entry";
import { createVmProject, VmProject, VMS_DIR } from "../../test-support/vm-project";

let vm: VmProject;
beforeEach(() => (vm = createVmProject("k8s-m1")));
afterEach(() => vm.cleanup());

const QUERY = {
  vms_dir: VMS_DIR,
  vms: encodeStepCheckVms([
    {
      name: "k8s-m1",
      steps_dir: `${VMS_DIR}/k8s-m1.vmwarevm/.lab-steps`,
      disk_path: `${VMS_DIR}/k8s-m1.vmwarevm/k8s-m1.vmdk`,
      seed_path: `${VMS_DIR}/k8s-m1.vmwarevm/k8s-m1-seed.iso`,
      vmx_path: `${VMS_DIR}/k8s-m1.vmwarevm/k8s-m1.vmx`,
      steps: ["disk", "seed", "power", "config"],
    },
  ]),
};

/** As Terraform's external data source runs it: the query on stdin, no vmrun on PATH. */
const stepCheck = (stdin: string) => runEntry("step-check", { env: {}, projectRoot: vm.root, input: stdin });

describe("step-check", () => {
  it("answers every step's token as a flat object of strings, reading files only", async () => {
    const r = await stepCheck(JSON.stringify(QUERY));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout)).toEqual({
      "k8s-m1_disk": "",
      "k8s-m1_seed": "",
      "k8s-m1_power": "",
      "k8s-m1_config": "",
    });
    fs.rmSync(vm.abs(`${VMS_DIR}/k8s-m1.vmwarevm/k8s-m1.vmdk`));
    const again = JSON.parse((await stepCheck(JSON.stringify(QUERY))).stdout) as Record<string, string>;
    expect(again["k8s-m1_disk"]).toMatch(/^[0-9a-f]{6}: the disk k8s-m1\.vmdk is missing$/);
    expect(vm.sim.calls()).toEqual([]);
  });

  it("refuses a query that is not the data source's, naming the field", async () => {
    expect((await stepCheck("[]")).stderr).toBe(
      "step-check: stdin is not a JSON object: this program is run by Terraform's external data source\n",
    );
    const r = await stepCheck(JSON.stringify({ ...QUERY, vms_dir: "../elsewhere" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^step-check: query\.vms_dir="\.\.\/elsewhere" resolves to .* outside/);
  });
});
