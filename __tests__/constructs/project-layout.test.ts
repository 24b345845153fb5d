import { ProjectLayout, selfTrigger } from "../../constructs/project-layout";

describe("ProjectLayout", () => {
  it("spells project paths from the stack working directory", () => {
    const layout = new ProjectLayout();
    expect(layout.fromStackDir("generated/a/user-data")).toBe("../../../generated/a/user-data");
    expect(layout.launcher).toBe("../../../scripts/run");
    expect(layout.externalProgram("guest-ip")).toEqual(["../../../scripts/run", "guest-ip"]);
  });

  it("makes local-exec provisioners whose command is a fixed string and whose values are in environment", () => {
    const p = new ProjectLayout().localExec("vm-stop", { VM_NAME: selfTrigger("vm_name") }, "destroy");
    expect(p).toEqual({
      type: "local-exec",
      command: "../../../scripts/run vm-stop",
      environment: { VM_NAME: "${self.triggers.vm_name}" },
      when: "destroy",
    });
  });

  it("fails for an entry name that is not a plain word, and for a root that is not a chain of ..", () => {
    expect(() => new ProjectLayout().localExec("vm-stop; rm -rf /", {})).toThrow(/entry point name/);
    expect(() => new ProjectLayout().localExec("../x", {})).toThrow(/entry point name/);
    expect(() => new ProjectLayout("/abs")).toThrow(/chain of '\.\.'/);
  });
});
