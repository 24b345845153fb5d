import * as fs from "node:fs";
import * as path from "node:path";
import { FOREIGN_KEY, sshByNameCheck } from "../../e2e/checks/ssh-by-name";
import type { ClusterContext } from "../../e2e/checks/types";
import { makeTempDir } from "../../test-support/fixtures";
import { e2eModel } from "./cluster-fixture";

const model = e2eModel();
const GUEST_KEYS = [
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHN14OCnYTeMh09qRzmWhtXsCgMOQu5S4WLksyBkQsNFil50MPdN8EoE0hh4dw70UzctiMXmQW/vStGeeyLv7OA=",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb2JbT3LmXy3SBDjt5O1CpzWkGWlnl8l5dB6ZDGRhzT",
];

/**
 * A project folder and a stand-in for `npm run ssh`: it pins the guest's keys as the console gives
 * them, or, with the console moved aside, refuses when another key is pinned (as the real one does).
 */
function fakeRun(root: string, opts: { pinsAll: boolean }) {
  const calls: string[][] = [];
  const ctx: ClusterContext = {
    model,
    guests: new Map(
      model.vms.map((vm) => [
        vm.name,
        { run: async () => ({ rc: 0, out: GUEST_KEYS.map((k) => `${k} root@${vm.name}`).join("\n") }) },
      ]),
    ),
    renderedFile: () => undefined,
    hostAddresses: { nat: "10.10.0.1", lan: "192.168.68.1" },
    hostConnect: async () => ({ ok: true, data: "" }),
    log: () => undefined,
    projectFile: (rel) => path.join(root, rel),
    runProduct: async (entry, args) => {
      calls.push([entry, ...args]);
      const vmDir = path.join(root, model.vms.find((v) => v.name === args[0])!.vmDir);
      const pinned = fs.existsSync(path.join(vmDir, "known_hosts"))
        ? fs.readFileSync(path.join(vmDir, "known_hosts"), "utf8")
        : "";
      if (!fs.existsSync(path.join(vmDir, "console.log")) && pinned.includes(FOREIGN_KEY))
        return {
          code: 255,
          stdout: "",
          stderr: `ssh: ${args[0]} at x shows a host key other than the one recorded when it was first reached (...). forget the old one with npm run ssh -- --forget ${args[0]}`,
          timedOut: false,
        };
      const keys = opts.pinsAll ? GUEST_KEYS : GUEST_KEYS.slice(1);
      fs.writeFileSync(path.join(vmDir, "known_hosts"), keys.map((k) => `${args[0]} ${k}\n`).join(""));
      return { code: 0, stdout: "", stderr: "", timedOut: false };
    },
  };
  for (const vm of model.vms) {
    fs.mkdirSync(path.join(root, vm.vmDir), { recursive: true });
    fs.writeFileSync(path.join(root, vm.vmDir, "console.log"), "console\n");
  }
  return { ctx, calls };
}

describe("e2e check: npm run ssh by name", () => {
  let root: string;
  beforeEach(() => {
    root = makeTempDir("e2e-ssh-");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("passes when every guest is reached by name with all its own keys pinned, and a changed key is refused", async () => {
    const { ctx, calls } = fakeRun(root, { pinsAll: true });
    const { results } = await sshByNameCheck.run(ctx);
    expect(results.map((r) => [r.vm, r.id, r.ok])).toEqual([
      ["gateway1", "ssh-by-name", true],
      ["gateway1", "host-keys-pinned", true],
      ["gateway2", "ssh-by-name", true],
      ["gateway2", "host-keys-pinned", true],
      ["k8s-master1", "ssh-by-name", true],
      ["k8s-master1", "host-keys-pinned", true],
      ["gateway1", "host-key-changed-refused", true],
    ]);
    expect(calls).toContainEqual(["ssh", "k8s-master1", "true"]);
    // The console is back where QEMU writes it.
    expect(fs.readFileSync(path.join(root, model.vms[0].vmDir, "console.log"), "utf8")).toBe("console\n");
  });

  it("fails when only the first key seen was pinned (the console gave none)", async () => {
    const { ctx } = fakeRun(root, { pinsAll: false });
    const { results } = await sshByNameCheck.run(ctx);
    expect(results.filter((r) => r.id === "host-keys-pinned").every((r) => !r.ok)).toBe(true);
    expect(results.find((r) => r.id === "host-keys-pinned")?.seen).toBe(
      "1 key(s) under gateway1 in VMs/k8s_cluster/gateway1.vmwarevm/known_hosts; the guest has 2",
    );
    expect(results.some((r) => r.id === "host-key-changed-refused")).toBe(false);
  });
});
