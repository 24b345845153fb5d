import * as fs from "node:fs";
import * as path from "node:path";
import { EntryContract, EntryInputError, type Fields } from "../../../../lib/model/entry/contract";
import { LOCAL_EXEC_CONTRACTS, SEED_ISO, VM_START } from "../../../../lib/model/entry/contracts";
import { buildClusterModel, parseClusterConfig } from "../../../../lib/model/config/build-model";
import { FIXTURE_SSH_PUBLIC_KEY, modelFixture, withOverrides } from "../../../../test-support/model-fixture";
import { localExecs, synthStacks } from "../../../../test-support/stacks";

const SCRIPTS = path.resolve(__dirname, "../../../../scripts");
const fixture = modelFixture();
// With an SSH identity file, so that guest-config's optional SSH_IDENTITY_FILE is set too.
const model = withOverrides(fixture, { ssh: { ...fixture.ssh, identityFile: "~/.ssh/id_ed25519" } });
const { cluster, aptCache } = synthStacks(model);
// The vSphere stacks too: their guest-config passes the pins' epoch, which Fusion's does not.
const vsphere = synthStacks(
  buildClusterModel(
    parseClusterConfig(
      fs.readFileSync(path.resolve(__dirname, "../../../../cluster.vsphere.example.yaml"), "utf8"),
      "cluster.vsphere.example.yaml",
    ),
    { hostArch: "x64", sshPublicKey: FIXTURE_SSH_PUBLIC_KEY, sshPublicKeyPath: "/k.pub" },
  ),
);
const execs = [cluster, aptCache, vsphere.cluster].flatMap(localExecs).map(({ id, exec }) => ({
  id,
  entry: / ([a-z-]+)$/.exec(exec.command as string)![1],
  environment: exec.environment as Record<string, string>,
}));
const contractOf = (entry: string) => LOCAL_EXEC_CONTRACTS.find((c) => c.entry === entry);

describe("entry-point contracts: the construct side", () => {
  it("every local-exec of both stacks runs an entry point that has a contract, and every contract is run", () => {
    expect(execs.length).toBeGreaterThan(20);
    expect(execs.filter((e) => contractOf(e.entry) === undefined)).toEqual([]);
    expect(LOCAL_EXEC_CONTRACTS.map((c) => c.entry).sort()).toEqual([
      ...new Set(execs.map((e) => e.entry).sort()),
    ]);
  });

  it.each(LOCAL_EXEC_CONTRACTS.map((c) => [c.entry, c] as const))(
    "%s: the synthesized environments set exactly the contract's Terraform keys, the required ones always",
    (entry, contract) => {
      const mine = execs.filter((e) => e.entry === entry);
      const union = new Set(mine.flatMap((e) => Object.keys(e.environment)));
      // Every Terraform key is set by some provisioner: none is declared that the construct never passes.
      expect([...union].sort()).toEqual([...contract.terraformKeys].sort());
      for (const e of mine) {
        for (const [key, field] of Object.entries(contract.fields as Fields)) {
          const required =
            field.type === "text" ? field.required : !field.optional && field.default === undefined;
          if (field.from === "terraform" && required) expect(e.environment).toHaveProperty(key);
        }
        for (const [key, field] of Object.entries(contract.fields as Fields)) {
          if (field.type === "int" && key in e.environment) expect(e.environment[key]).toMatch(/^\d+$/);
        }
      }
    },
  );

  it("refuses a key the contract does not have, and a required key left out", () => {
    const values = { VM_NAME: "a", VMS_DIR: "VMs", SEED_DIR: "g", ISO_PATH: "VMs/a/seed.iso" };
    expect(() => SEED_ISO.environment({ ...values, ISO_LABEL: "x" } as typeof values)).toThrow(
      "seed-iso: ISO_LABEL is not a Terraform key of this entry point's contract",
    );
    // A host-only key (the user's override) is never part of the synthesized JSON.
    expect(() => SEED_ISO.environment({ ...values, ISO_TOOL: "xorriso" } as typeof values)).toThrow(
      /ISO_TOOL is not a Terraform key/,
    );
    const { VM_NAME: _left, ...rest } = values;
    expect(() => SEED_ISO.environment(rest as typeof values)).toThrow(
      "seed-iso: VM_NAME is required by the entry point's contract",
    );
    expect(SEED_ISO.environment(values)).toEqual({ ...values, ISO_TIMEOUT_SECONDS: "120" });
  });
});

describe("entry-point contracts: the script side", () => {
  it.each(LOCAL_EXEC_CONTRACTS.map((c) => [c.entry, c] as const))(
    "scripts/%s.ts reads its environment only through its contract",
    (entry, contract) => {
      const source = fs.readFileSync(path.join(SCRIPTS, `${entry}.ts`), "utf8");
      const name = Object.entries(
        require("../../../../lib/model/entry/contracts") as Record<string, unknown>,
      ).find(([, v]) => v === contract)![0];
      expect(source).toContain(`${name}.parse(process.env)`);
      // No other reading of the environment: a key read beside the contract would drift from it.
      expect(source.replace(`${name}.parse(process.env)`, "")).not.toMatch(
        /process\.env|requireEnv|optionalEnv/,
      );
    },
  );

  it("parses what the construct side builds back to the same values, defaults applied", () => {
    const env = VM_START.environment({
      VM_NAME: "k8s-master1",
      VMS_DIR: "VMs",
      VMX_PATH: "VMs/m.vmx",
      VMX_SOURCE: "generated/m.vmx",
      DISK_SIZE_GB: 40,
      IP_NETWORKS: "10.10.0.0/24",
    });
    expect(VM_START.parse(env)).toEqual({
      VM_NAME: "k8s-master1",
      VMS_DIR: "VMs",
      VMX_PATH: "VMs/m.vmx",
      VMX_SOURCE: "generated/m.vmx",
      DISK_PATH: undefined,
      DISK_SIZE_GB: 40,
      IP_NETWORKS: "10.10.0.0/24",
      IP_EXCLUDE: undefined,
      IP_WAIT_SECONDS: 900,
      LAST_IP_FILE: undefined,
      SEED_ISO_PATH: undefined,
      VMRUN_TIMEOUT_SECONDS: 120,
      STEP_DIR: undefined,
      STEP_TOKEN: undefined,
    });
  });

  it("names the variable, its value and the reason when a value is missing or out of range", () => {
    const c = new EntryContract("demo", { N: { type: "int", from: "terraform", min: 1, max: 9 } } as const);
    expect(() => c.parse({})).toThrow(
      new EntryInputError(
        "environment variable N is not set: this script is run by Terraform, which passes it from the resource's triggers",
      ),
    );
    expect(() => c.parse({ N: "12" })).toThrow("N=12 is outside 1..9");
    expect(() => c.parse({ N: "1e3" })).toThrow('N="1e3" is not a whole number');
  });

  it("refuses an entry name or key that could not be a script or an environment variable", () => {
    expect(() => new EntryContract("vm-stop; rm -rf /", {})).toThrow(/entry point name/);
    expect(() => new EntryContract("../x", {})).toThrow(/entry point name/);
    expect(
      () => new EntryContract("x", { "bad-key": { type: "text", required: true, from: "terraform" } }),
    ).toThrow(/not an environment variable name/);
  });
});
