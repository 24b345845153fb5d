import { CliContext } from "../../../../lib/commands/common/context";
import { findVsphereOrphans } from "../../../../lib/commands/teardown/vsphere";
import { modelFixture, withOverrides } from "../../../../test-support/model-fixture";

const FOLDER = "/DC0/vm/k8s-lab";

/** A vSphere context whose lab folder holds `inFolder` (names); only what the orphan finder reads. */
function vsphereContext(inFolder: readonly string[]): CliContext {
  const model = withOverrides(modelFixture(), {
    target: "vsphere",
    vsphere: {
      server: "vcenter.lab.local",
      allowUnverifiedSsl: false,
      datacenter: "DC0",
      cluster: "C0",
      datastore: "ds0",
      folder: "k8s-lab",
      networks: { lan: "VM Network", internal: "k8s-internal" },
      template: "ubuntu-noble-template",
      diskProvisioning: "thin",
    },
  });
  const inventory = { listVms: async () => inFolder.map((n) => `${FOLDER}/${n}`) };
  return { projectRoot: "/nowhere", model, inventory } as unknown as CliContext;
}

describe("findVsphereOrphans", () => {
  it("names the lab folder's VMs the config does not, never the template the README puts in that folder", async () => {
    const model = modelFixture();
    const ctx = vsphereContext([
      ...model.vms.map((vm) => vm.name),
      model.aptCache.vm.name,
      "ubuntu-noble-template",
      "old-worker",
    ]);
    const orphans = await findVsphereOrphans(ctx);
    expect(orphans.map((o) => o.inventoryPath)).toEqual([`${FOLDER}/old-worker`]);
    expect(orphans[0]).toMatchObject({ name: "old-worker", orphan: true });
  });
});
