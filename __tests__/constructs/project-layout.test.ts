import { TerraformStack, Testing } from "cdktf";
import { BaseImage } from "../../constructs/base-image";
import { modelFixture } from "../../test-support/model-fixture";
import { ProjectLayout, selfTrigger } from "../../constructs/project-layout";
import { VM_STOP } from "../../lib/model/entry/contracts";

describe("ProjectLayout", () => {
  it("spells project paths from the stack working directory", () => {
    const layout = new ProjectLayout();
    expect(layout.fromStackDir("generated/a/user-data")).toBe("../../../generated/a/user-data");
    expect(layout.launcher).toBe("../../../scripts/run");
    expect(layout.externalProgram("guest-ip")).toEqual(["../../../scripts/run", "guest-ip"]);
  });

  it("makes local-exec provisioners whose command is a fixed string and whose values are in environment", () => {
    const p = new ProjectLayout().localExec(
      VM_STOP,
      { VM_NAME: selfTrigger("vm_name"), VMS_DIR: "VMs", VMX_PATH: "VMs/a.vmwarevm/a.vmx" },
      "destroy",
    );
    expect(p).toEqual({
      type: "local-exec",
      command: "../../../scripts/run vm-stop",
      environment: {
        VM_NAME: "${self.triggers.vm_name}",
        VMS_DIR: "VMs",
        VMX_PATH: "VMs/a.vmwarevm/a.vmx",
        VMRUN_TIMEOUT_SECONDS: "120",
      },
      when: "destroy",
    });
  });

  it("fails for a root that is not a chain of ..", () => {
    expect(() => new ProjectLayout("/abs")).toThrow(/chain of '\.\.'/);
  });

  it("is reached through the stack: a construct takes the layout its stack declares, else the default", () => {
    class LaidOutStack extends TerraformStack {
      readonly layout = new ProjectLayout("../../../..");
    }
    const app = Testing.app();
    const image = modelFixture().baseImage;
    const deep = new BaseImage(new LaidOutStack(app, "deep"), "base-image", { image });
    const plain = new BaseImage(new TerraformStack(app, "plain"), "base-image", { image });
    expect(ProjectLayout.of(deep)).toBe((TerraformStack.of(deep) as LaidOutStack).layout);
    expect(ProjectLayout.of(plain).launcher).toBe("../../../scripts/run");
    const command = (stack: TerraformStack) => JSON.parse(Testing.synth(stack)).resource.null_resource;
    expect(JSON.stringify(command(TerraformStack.of(deep)))).toContain(
      '"command":"../../../../scripts/run base-image"',
    );
    expect(JSON.stringify(command(TerraformStack.of(plain)))).toContain(
      '"command":"../../../scripts/run base-image"',
    );
  });
});
