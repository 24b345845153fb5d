import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseClusterConfig } from "../../../../lib/model/config/build-model";
import { ConfigError } from "../../../../lib/model/config/errors";
import { loadClusterConfig } from "../../../../lib/runtime/load/cluster-config";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx6yV0mZl2cYtq3tBq6m0ZbTn1m7Z4pQxk0yq9w4W2v lab@mac\n";

describe("loadClusterConfig", () => {
  let root: string;
  let home: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-root-"));
    home = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-home-"));
    fs.mkdirSync(path.join(home, ".ssh"));
    fs.writeFileSync(path.join(home, ".ssh", "id_ed25519.pub"), KEY);
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("uses the built-in defaults and ~/.ssh/id_ed25519.pub when there is no cluster.yaml", () => {
    const { model, configFile } = loadClusterConfig({
      projectRoot: root,
      env: {},
      homeDir: home,
      hostArch: "x64",
    });
    expect(configFile).toBeUndefined();
    expect(model.ssh.publicKey).toBe(KEY.trim());
    expect(model.arch).toBe("amd64");
    expect(model.vms).toHaveLength(7);
  });

  it("reads cluster.yaml from the project root", () => {
    fs.writeFileSync(path.join(root, "cluster.yaml"), "vms:\n  - {name: solo, role: master}\n");
    const { model, configFile } = loadClusterConfig({
      projectRoot: root,
      env: {},
      homeDir: home,
      hostArch: "arm64",
    });
    expect(configFile).toBe(path.join(root, "cluster.yaml"));
    expect(model.vms.map((v) => v.name)).toEqual(["solo"]);
  });

  it("reads the file named by CLUSTER_CONFIG and the key file it names", () => {
    fs.writeFileSync(path.join(root, "other.yaml"), "sshPublicKeyFile: keys/lab.pub\n");
    fs.mkdirSync(path.join(root, "keys"));
    fs.writeFileSync(path.join(root, "keys", "lab.pub"), KEY.replace("lab@mac", "other"));
    const { model } = loadClusterConfig({
      projectRoot: root,
      env: { CLUSTER_CONFIG: "other.yaml" },
      homeDir: home,
      hostArch: "arm64",
    });
    expect(model.ssh.publicKey).toMatch(/ other$/);
  });

  it("fails when CLUSTER_CONFIG names a missing file", () => {
    expect(() =>
      loadClusterConfig({ projectRoot: root, env: { CLUSTER_CONFIG: "nope.yaml" }, homeDir: home }),
    ).toThrow(/CLUSTER_CONFIG = "nope.yaml": no such file/);
  });

  it("fails naming the key path when the key is missing, and names the config file", () => {
    fs.writeFileSync(path.join(root, "cluster.yaml"), "sshPublicKeyFile: ~/.ssh/missing.pub\n");
    let error: unknown;
    try {
      loadClusterConfig({ projectRoot: root, env: {}, homeDir: home, hostArch: "arm64" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^cluster\.yaml is invalid/);
    expect((error as Error).message).toContain(path.join(home, ".ssh", "missing.pub"));
  });
});

describe("cluster.example.yaml", () => {
  it("is valid and spells out exactly the built-in defaults", () => {
    const text = fs.readFileSync(
      path.join(__dirname, "..", "..", "..", "..", "cluster.example.yaml"),
      "utf8",
    );
    expect(parseClusterConfig(text, "cluster.example.yaml")).toEqual(parseClusterConfig("", "defaults"));
  });
});
