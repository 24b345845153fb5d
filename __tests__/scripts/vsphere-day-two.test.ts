import * as fs from "node:fs";
import * as path from "node:path";
import { createGovcSim, GovcBackend, GovcSim } from "../../test-support/govc-sim";
import { requireTools } from "../../test-support/required-tools";
import { startVcsim } from "../../test-support/vcsim";
import {
  createVsphereProject,
  VSPHERE_APT_CACHE,
  VSPHERE_CLUSTER_VMS,
  VSPHERE_FOLDER,
  VsphereProject,
} from "../../test-support/vsphere-project";

/**
 * The day-two commands on `target: vsphere`, run as the user runs them (snapshot, manager, teardown) in a
 * project whose VMs are clones in a vSphere folder: against the govc double here, and against the real
 * govc and a vcsim of the test's own where vcsim is installed (requireTools("vcsim"), the real-Terraform
 * tier). vcsim's guests run no tools, so no address ever appears: the double plays them the same way in
 * this script, and status and rollback must say so rather than hang.
 */
const FOLDER = `/DC0/vm/${VSPHERE_FOLDER}`;
const ALL = [VSPHERE_APT_CACHE, ...VSPHERE_CLUSTER_VMS];

function poweredOn(b: GovcBackend): string[] {
  const out = b.govc("find", "-maxdepth", "1", "-type", "m", FOLDER, "-runtime.powerState", "poweredOn");
  return out
    .split("\n")
    .filter((l) => l !== "")
    .map((p) => path.posix.basename(p))
    .sort();
}

function vmsInFolder(b: GovcBackend): string[] {
  return b
    .govc("find", "-maxdepth", "1", "-type", "m", FOLDER)
    .split("\n")
    .filter((l) => l !== "")
    .map((p) => path.posix.basename(p))
    .sort();
}

function snapshotsOf(b: GovcBackend, vm: string): string[] {
  const out = b.govc("snapshot.tree", "-json", "-vm", `${FOLDER}/${vm}`).trim();
  const walk = (nodes: Array<{ name: string; childSnapshotList: unknown }> | null): string[] =>
    (nodes ?? []).flatMap((n) => [n.name, ...walk(n.childSnapshotList as typeof nodes)]);
  return out === "" ? [] : walk(JSON.parse(out) as Array<{ name: string; childSnapshotList: unknown }>);
}

const vcsim = requireTools("vcsim");
const BACKENDS: Array<[string, () => Promise<GovcBackend>]> = [
  ["the govc double", () => Promise.resolve(createGovcSim())],
  ...(vcsim.available ? [["govc and vcsim", startVcsim] as [string, () => Promise<GovcBackend>]] : []),
];

describe.each(BACKENDS)("day two on vSphere, against %s", (_name, start) => {
  let backend: GovcBackend;
  let p: VsphereProject;
  beforeAll(async () => {
    backend = await start();
    p = createVsphereProject(backend, { extra: ["old-worker"] });
  });
  afterAll(() => {
    p?.cleanup();
    backend?.cleanup();
  });

  it("status shows every VM off, with vSphere's tools state and no address", async () => {
    const r = await p.run("manager", ["status", "--json", "--no-guest"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((row) => [row.name, row.power, row.ip, row.tools, row.detail])).toEqual(
      ALL.map((name) => [name, "off", "", "not-installed", ""]),
    );
  });

  it("start-all powers every VM on, the APT cache first", async () => {
    const r = await p.run("manager", ["start-all"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").slice(2, 3)[0]).toMatch(/^apt-cache-server\s+done\s+started/);
    expect(poweredOn(backend)).toEqual([...ALL].sort());
  });

  it("status of running VMs whose guests run no tools says so at once: no address, tools not installed", async () => {
    const r = await p.run("manager", ["status", "--no-guest"]);
    expect(r.code).toBe(0);
    for (const name of ALL)
      expect(r.stdout).toMatch(new RegExp(`^${name}\\s+\\S+\\s+on\\s+-\\s+not-installed`, "m"));
  });

  it("snapshot create takes the set on every cluster VM (not the APT cache)", async () => {
    const r = await p.run("snapshot", ["create", "before-upgrade"]);
    expect(r.code).toBe(0);
    for (const vm of VSPHERE_CLUSTER_VMS) expect(snapshotsOf(backend, vm)).toEqual(["before-upgrade"]);
    expect(snapshotsOf(backend, VSPHERE_APT_CACHE)).toEqual([]);
  });

  it("snapshot list shows the set complete and present on every VM", async () => {
    const r = await p.run("snapshot", ["list", "--json"]);
    expect(r.code).toBe(0);
    const listing = JSON.parse(r.stdout) as {
      sets: Array<{ name: string; result: string; presence: Record<string, boolean> }>;
      vms: Array<{ vm: string; power: string }>;
    };
    expect(listing.sets).toEqual([
      expect.objectContaining({
        name: "before-upgrade",
        result: "complete",
        presence: Object.fromEntries(VSPHERE_CLUSTER_VMS.map((vm) => [vm, true])),
      }),
    ]);
    expect(listing.vms.map((v) => v.power)).toEqual(["on", "on", "on"]);
  });

  it("snapshot rollback reverts and keeps the VM running, then says no address came within the wait", async () => {
    const r = await p.run("snapshot", ["rollback", "before-upgrade", "--vm", "k8s-master1"], {
      timeoutMs: 120_000,
    });
    expect(r.stderr).toContain("snapshot rollback k8s-master1: reverting to before-upgrade");
    expect(r.stdout).toMatch(
      /k8s-master1\s+unknown\s+reverted to before-upgrade and started, but no IP within 30 s/,
    );
    expect(r.code).toBe(1);
    expect(poweredOn(backend)).toContain("k8s-master1");
    expect(fs.readFileSync(path.join(p.root, "vm-ips.env"), "utf8")).toContain(
      "APT_CACHE_SERVER_IP=10.10.0.148",
    );
  });

  it("snapshot delete removes the set from every VM", async () => {
    const r = await p.run("snapshot", ["delete", "before-upgrade"]);
    expect(r.code).toBe(0);
    for (const vm of VSPHERE_CLUSTER_VMS) expect(snapshotsOf(backend, vm)).toEqual([]);
  });

  it("stop-all powers every VM off, gateways first", async () => {
    const r = await p.run("manager", ["stop-all"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[2]).toMatch(/^gateway1\s+done/);
    expect(poweredOn(backend)).toEqual([]);
  });

  it("teardown destroys the cluster VMs, keeps the APT cache and names a VM the config no longer has", async () => {
    const r = await p.run("teardown", ["--yes", "--skip-destroy"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${FOLDER}/gateway1\\s+removed`));
    expect(r.stdout).toContain("teardown complete: nothing of the cluster remains");
    expect(r.stderr).toContain(`teardown: left alone, not in the config: ${FOLDER}/old-worker;`);
    expect(vmsInFolder(backend)).toEqual([VSPHERE_APT_CACHE, "old-worker"]);
  });

  it("teardown --orphans --include-apt-cache removes the rest", async () => {
    const r = await p.run("teardown", ["--yes", "--skip-destroy", "--orphans", "--include-apt-cache"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${FOLDER}/old-worker\\s+removed`));
    expect(r.stdout).toMatch(new RegExp(`${FOLDER}/gateway1\\s+already gone\\s+not in vCenter`));
    expect(vmsInFolder(backend)).toEqual([]);
  });
});

describe("day two on vSphere: what only the double can play", () => {
  let sim: GovcSim;
  afterEach(() => sim.cleanup());

  it("rollback waits for each guest's address and writes it to vm-ips.env", async () => {
    sim = createGovcSim();
    const p = createVsphereProject(sim);
    try {
      sim.setFaults({ vms: { "k8s-master1": { ip: "10.10.0.21", ipDelaySeconds: 0.5 } } });
      expect((await p.run("snapshot", ["create", "s1"])).code).toBe(0);
      const r = await p.run("snapshot", ["rollback", "s1", "--vm", "k8s-master1"]);
      expect(r.stdout).toMatch(/k8s-master1\s+done\s+reverted to s1, running at 10\.10\.0\.21/);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(p.root, "vm-ips.env"), "utf8")).toContain("K8S_MASTER1_IP=10.10.0.21");
    } finally {
      p.cleanup();
    }
  });

  it("a VM that was never cloned is absent in status and stops a snapshot set before anything is done", async () => {
    sim = createGovcSim();
    const p = createVsphereProject(sim, { absent: ["k8s-worker1"] });
    try {
      const status = await p.run("manager", ["status", "--json", "--no-guest"]);
      const row = (JSON.parse(status.stdout) as Array<{ name: string; power: string; detail: string }>).find(
        (s) => s.name === "k8s-worker1",
      );
      expect(row).toMatchObject({
        power: "absent",
        detail: "not built yet: run npm run deploy (k8s-worker1 is missing)",
      });
      const create = await p.run("snapshot", ["create", "s1"]);
      expect(create.code).toBe(1);
      expect(create.stderr).toContain(
        "k8s-worker1 not built yet: run npm run deploy (a set is taken on every cluster VM)",
      );
      expect(snapshotsOf(sim, "gateway1")).toEqual([]);
    } finally {
      p.cleanup();
    }
  });

  it('npm run ssh reaches a VM by its configured address: a vSphere VM has no .vmx here to be "not built" by', async () => {
    sim = createGovcSim();
    const p = createVsphereProject(sim);
    const sshState = path.join(p.root, ".ssh-sim");
    fs.mkdirSync(sshState);
    try {
      const r = await p.run("ssh", ["k8s-master1", "true"], {
        env: {
          PATH: `${path.resolve(__dirname, "../../test-support/ssh-sim")}:${process.env.PATH ?? ""}`,
          SSH_SIM_DIR: sshState,
        },
      });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      const call = JSON.parse(fs.readFileSync(path.join(sshState, "calls.log"), "utf8").trim()) as {
        host: string;
        remote: string[];
      };
      expect(call).toMatchObject({ host: "10.10.0.21", remote: ["true"] });
    } finally {
      p.cleanup();
    }
  });

  it("logs in with VSPHERE_USER / VSPHERE_PASSWORD through govc's environment only, and refuses to run without them", async () => {
    sim = createGovcSim();
    sim.requireLogin("lab-admin", "Very-S3cret-pw");
    const p = createVsphereProject(sim);
    const login = { VSPHERE_USER: "lab-admin", VSPHERE_PASSWORD: "Very-S3cret-pw" };
    try {
      const before = sim.calls().length;
      expect((await p.run("snapshot", ["list"], { env: login })).code).toBe(0);
      const calls = sim.calls().slice(before);
      expect(calls.length).toBeGreaterThan(0);
      for (const c of calls) {
        expect(c.argv.join(" ")).not.toContain("Very-S3cret-pw");
        expect(c.env.GOVC_URL).toBe(`https://${sim.server}/sdk`);
      }
      const wrong = await p.run("snapshot", ["list"], { env: { ...login, VSPHERE_PASSWORD: "nope" } });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain("vSphere refused the login: check VSPHERE_USER and VSPHERE_PASSWORD");
      const none = await p.run("snapshot", ["list"], {
        env: { VSPHERE_USER: "lab-admin", VSPHERE_PASSWORD: "" },
      });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain("VSPHERE_PASSWORD is not set: export the vCenter account the lab uses");
      expect(`${wrong.stdout}${wrong.stderr}${none.stderr}`).not.toContain("Very-S3cret-pw");
    } finally {
      p.cleanup();
    }
  });
});
