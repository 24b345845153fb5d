import * as fs from "node:fs";
import * as path from "node:path";
import { loadCliContext } from "../../../../lib/commands/common/context";
import { GovcDriver } from "../../../../lib/runtime/hypervisor/govc";
import { hypervisorFor } from "../../../../lib/runtime/hypervisor/for-target";
import { VmrunDriver } from "../../../../lib/runtime/hypervisor/vmrun";
import { makeTempDir } from "../../../../test-support/fixtures";
import { FIXTURE_SSH_PUBLIC_KEY, modelFixture } from "../../../../test-support/model-fixture";
import { vsphereClusterYaml } from "../../../../test-support/vsphere-project";

const executable =
  (...files: string[]) =>
  (p: string) =>
    files.includes(p);

describe("hypervisorFor", () => {
  it("on fusion: vmrun, and each VM's absolute .vmx path as its locator", () => {
    const model = modelFixture();
    const t = hypervisorFor(
      model,
      "/lab",
      { VMRUN: "/opt/vmrun" },
      {
        timeoutMs: 9_000,
        isExecutable: executable("/opt/vmrun"),
      },
    );
    expect(t.hypervisor).toBeInstanceOf(VmrunDriver);
    expect(t.hypervisor.timeoutMs).toBe(9_000);
    expect(t.inventory).toBeUndefined();
    expect(t.locatorOf(model.vms[0])).toBe(path.join("/lab", model.vms[0].vmxPath));
  });

  describe("on vsphere", () => {
    let root: string;
    beforeEach(() => {
      root = makeTempDir("for-target-");
      fs.writeFileSync(path.join(root, "id_test.pub"), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
      fs.writeFileSync(path.join(root, "cluster.yaml"), vsphereClusterYaml("vcenter.lab.local"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
    // loadCliContext checks GOVC on the real file system: the double is an executable file.
    const govc = path.resolve(__dirname, "../../../../test-support/govc-sim/govc");
    const env = { GOVC: govc, VSPHERE_USER: "u", VSPHERE_PASSWORD: "p" };

    it("the CLI context gets govc, the inventory listing, and each VM's inventory path as its locator", () => {
      const ctx = loadCliContext(root, { env, timeoutSeconds: 7 });
      expect(ctx.driver).toBeInstanceOf(GovcDriver);
      expect(ctx.driver.timeoutMs).toBe(7_000);
      expect(ctx.inventory).toBe(ctx.driver);
      expect(ctx.targets.map((t) => t.vmx)).toEqual([
        "/DC0/vm/k8s-lab/gateway1",
        "/DC0/vm/k8s-lab/k8s-master1",
        "/DC0/vm/k8s-lab/k8s-worker1",
      ]);
      expect(ctx.aptCache.vmx).toBe("/DC0/vm/k8s-lab/apt-cache-server");
    });

    it("refuses to start without the credentials, naming the variables and not their values", () => {
      expect(() => loadCliContext(root, { env: { GOVC: govc, VSPHERE_USER: "u" } }).driver).toThrow(
        "VSPHERE_PASSWORD is not set: export the vCenter account the lab uses (export VSPHERE_USER=... VSPHERE_PASSWORD=...) and run the command again",
      );
      expect(() => loadCliContext(root, { env: { GOVC: govc } }).driver).toThrow(
        /^VSPHERE_USER and VSPHERE_PASSWORD are not set/,
      );
    });

    it("a missing govc is an error that says how to install it", () => {
      expect(() => loadCliContext(root, { env: { ...env, GOVC: "", PATH: "/nowhere" } }).driver).toThrow(
        /^govc not found: .*brew install govc/,
      );
    });
  });
});
