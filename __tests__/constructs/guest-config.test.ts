import { virtualMachineInputs } from "../../constructs/fusion-machines";
import { BaseImage } from "../../constructs/base-image";
import { GuestConfig } from "../../constructs/guest-config";
import { GuestIpLookup } from "../../constructs/guest-ip-lookup";
import { VirtualMachine } from "../../constructs/virtual-machine";
import { vmByName, modelFixture } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";
import { one, realTemplates, resources, synthScope } from "../../test-support/synth";
import type { Construct } from "constructs";
import type { GuestFile } from "../../lib/model/render/guest-files";

const model = modelFixture();
const vm = vmByName(model, "k8s-master1");
const HOSTS: GuestFile = {
  name: "hosts",
  target: "/etc/hosts",
  kind: "hosts-block",
  content: "# BEGIN k8s-lab\n${var.internal_vip} k8s-api\n# END k8s-lab\n",
};

function build(files: readonly GuestFile[], extra: Partial<{ identityFile: string }> = {}) {
  return (s: Construct) => {
    const baseImage = new BaseImage(s, "base-image", { image: model.baseImage });
    const machine = new VirtualMachine(s, vm.name, {
      ...virtualMachineInputs(vm, model, realTemplates(), SEED_VARIABLE_EXPRESSIONS),
      baseImage,
    });
    const lookup = new GuestIpLookup(s, "ips", { machines: [machine], vmsDir: model.paths.vmsDir });
    new GuestConfig(machine, "config", {
      machine,
      files,
      address: { expression: lookup.ipExpressionOf(vm.name) },
      sshUser: "ubuntu",
      ...extra,
    });
  };
}

describe("GuestConfig", () => {
  const json = synthScope(
    build([
      HOSTS,
      {
        name: "extra.conf",
        target: "/etc/x/extra.conf",
        content: "a=1\n",
        mode: "0600",
        units: ["x.service"],
      },
    ]),
  );
  const files = resources(json, "local_file");
  const [, apply] = one(resources(json, "null_resource"), "k8s-master1_config_apply");

  it("renders each file and a manifest under generated/<vm>/guest", () => {
    expect(one(files, "k8s-master1_config_hosts")[1]).toMatchObject({
      filename: "../../../generated/k8s-master1/guest/hosts",
      content: HOSTS.content,
      file_permission: "0644",
    });
    expect(JSON.parse(one(files, "k8s-master1_config_manifest")[1].content)).toEqual({
      vm: "k8s-master1",
      files: [
        {
          source: "hosts",
          target: "/etc/hosts",
          kind: "hosts-block",
          mode: "0644",
          validate: null,
          units: [],
        },
        {
          source: "extra.conf",
          target: "/etc/x/extra.conf",
          kind: "file",
          mode: "0600",
          validate: null,
          units: ["x.service"],
        },
      ],
    });
  });

  it("keys its apply step on the files, the address and the VM's power resource", () => {
    expect(Object.keys(apply.triggers).sort()).toEqual([
      "files",
      "host",
      "manifest",
      "manifest_path",
      "power",
      "vm_name",
    ]);
    expect(apply.triggers.host).toMatch(
      /^\$\{data\.external\.ips_lookup_[0-9A-F]{8}\.result\["k8s-master1_ip"\]\}$/,
    );
    expect(apply.provisioner).toHaveLength(1);
  });

  it("passes a configured private key to the script, never a default one", () => {
    expect(apply.provisioner[0]["local-exec"].environment.SSH_IDENTITY_FILE).toBeUndefined();
    const withKey = synthScope(build([HOSTS], { identityFile: "~/.ssh/lab" }));
    const [, a] = one(resources(withKey, "null_resource"), "k8s-master1_config_apply");
    expect(a.provisioner[0]["local-exec"].environment.SSH_IDENTITY_FILE).toBe("~/.ssh/lab");
  });

  it("matches its snapshot", () => {
    expect({
      files: Object.fromEntries(Object.entries(files).filter(([id]) => id.includes("_config_"))),
      apply,
    }).toMatchSnapshot();
  });

  it.each([
    [[], /has no files/],
    [[{ ...HOSTS, name: "../x" }], /must be a plain lower-case file name/],
    [[{ ...HOSTS, name: "manifest.json" }], /other than manifest.json/],
    [[{ ...HOSTS, target: "etc/hosts" }], /must be an absolute path/],
    [[{ ...HOSTS, target: "/etc/../x" }], /without '\.\.'/],
    [[HOSTS, { ...HOSTS, name: "hosts2" }], /twice/],
  ] as [GuestFile[], RegExp][])("refuses bad files %#", (files, message) => {
    expect(() => synthScope(build(files))).toThrow(message);
  });
});
