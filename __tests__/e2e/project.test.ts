import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildClusterModel, parseClusterConfig } from "../../lib/model/config/build-model";
import { E2eConfigInput, e2eClusterYaml, linkProject, selectVms } from "../../e2e/lib/project";
import type { Arch } from "../../lib/model/config/model";
import { FIXTURE_SSH_PUBLIC_KEY } from "../../test-support/model-fixture";

const configInput = (arch: Arch): E2eConfigInput => ({
  arch,
  publicKeyFile: "/tmp/k.pub",
  imagePath: "/cache/golden-trixie-amd64-x/golden.qcow2",
  imageSha256: "0123456789012345678901234567890123456789012345678901234567890123",
  imageVirtualSizeGb: 2,
  vms: selectVms(["gateway1", "k8s-master1"]),
  dnsServers: ["10.10.0.2", "10.10.0.1"],
  dnsSearchDomains: ["lab.test"],
  ipWaitSeconds: 540,
  sizing: {
    gateway: { cpus: 1, memoryMb: 1024, diskGb: 8 },
    master: { cpus: 1, memoryMb: 1024, diskGb: 10 },
    worker: { cpus: 1, memoryMb: 1024, diskGb: 10 },
  },
});

describe("the e2e run's project", () => {
  it("writes a cluster.yaml the product accepts: static addresses, the golden image pinned, small VMs", () => {
    const text = e2eClusterYaml(configInput("amd64"));
    const model = buildClusterModel(parseClusterConfig(text, "e2e"), {
      hostArch: "x64",
      sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
      sshPublicKeyPath: "/tmp/k.pub",
    });
    expect(model.addressing).toBe("static");
    expect(
      model.vms.map((v) => [v.name, v.nics.find((n) => n.network === "nat")?.address, v.diskGb]),
    ).toEqual([
      ["gateway1", "10.10.0.10", 8],
      ["k8s-master1", "10.10.0.20", 10],
    ]);
    expect(model.baseImage).toMatchObject({
      url: "/cache/golden-trixie-amd64-x/golden.qcow2",
      path: "base_images/golden.qcow2",
      virtualSizeGb: 2,
    });
    expect(model.network.dnsSearchDomains).toEqual(["lab.test"]);
    expect(model.timeouts.ipWaitSeconds).toBe(540);
  });

  it("links the code in and makes scripts/run the namespace launcher in front of the product's", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-project-"));
    try {
      const repo = path.resolve(__dirname, "../..");
      linkProject(repo, path.join(dir, "p"));
      expect(fs.realpathSync(path.join(dir, "p/lib"))).toBe(path.join(repo, "lib"));
      expect(fs.realpathSync(path.join(dir, "p/scripts/run"))).toBe(
        path.join(repo, "e2e/lib/launcher-in-netns.sh"),
      );
      expect(fs.realpathSync(path.join(dir, "p/scripts/run.product"))).toBe(path.join(repo, "scripts/run"));
      expect(fs.realpathSync(path.join(dir, "p/scripts/disk-clone.ts"))).toBe(
        path.join(repo, "scripts/disk-clone.ts"),
      );
      expect(fs.lstatSync(path.join(dir, "p/scripts")).isDirectory()).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the e2e run's project on arm64", () => {
  it("says arch: arm64, so the product writes arm64 .vmx files (guestOS arm-ubuntu-64)", () => {
    const amd64 = e2eClusterYaml(configInput("amd64"));
    const text = e2eClusterYaml(configInput("arm64"));
    expect(text).toBe(amd64.replace("arch: amd64", "arch: arm64"));
    const model = buildClusterModel(parseClusterConfig(text, "e2e"), {
      hostArch: "x64",
      sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
      sshPublicKeyPath: "/tmp/k.pub",
    });
    expect(model.arch).toBe("arm64");
  });
});
