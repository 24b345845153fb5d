import * as fs from "node:fs";
import * as path from "node:path";
import { waitUntilDead } from "../../test-support/processes";
import { pidsOf } from "../../test-support/vmrun-sim";
import {
  APT_CACHE,
  CliProject,
  createCliProject,
  runCli,
  startCli,
  vmsCalled,
} from "../../test-support/cli-project";

describe("scripts/manager.ts", () => {
  let p: CliProject;
  afterEach(() => p.cleanup());
  const manager = (args: string[], input?: string) => runCli(p, "manager", args, { input });

  describe("status", () => {
    beforeEach(() => {
      p = createCliProject({ absent: ["gateway1"] });
      p.sim.powerOn(p.vmxOf("k8s-master1"));
    });

    it("prints a table of every VM, the APT cache included", async () => {
      const r = await manager(["status"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.split("\n");
      const at = (name: string) => lines.findIndex((l) => l.startsWith(`${name} `));
      expect(lines[0]).toMatch(/^VM\s+role\s+power\s+IP\s+tools\s+cloud-init\s+VIPs\s+snapshots$/);
      // The guest double answers nothing it was not told: cloud-init is unknown, with the reason under the row.
      expect(lines[at("k8s-master1")]).toMatch(
        /^k8s-master1\s+master\s+on\s+10\.10\.0\.\d+\s+running\s+unknown\s+-\s+-$/,
      );
      expect(lines[at("k8s-master1") + 1]).toMatch(/^ {2}cloud-init status: .*command not found/);
      expect(lines[at("k8s-worker1")]).toMatch(/^k8s-worker1\s+worker\s+off\s+-\s+installed/);
      expect(lines[at("gateway1")]).toMatch(/^gateway1\s+gateway\s+absent\s+-\s+-/);
      expect(lines[at("gateway1") + 1]).toBe("  not built yet: run npm run deploy (gateway1.vmx is missing)");
      expect(lines[at(APT_CACHE)]).toMatch(/^apt-cache-server\s+apt-cache\s+off/);
    });

    it("asks running guests over SSH for cloud-init's result and which VIPs a gateway holds", async () => {
      p.sim.powerOn(p.vmxOf("k8s-worker1"));
      fs.rmSync(path.join(p.root, "VMs/k8s_cluster/gateway1.vmwarevm"), { recursive: true, force: true });
      // Build gateway1 again and start it: it holds the internal VIP only.
      const { writeTestVmx } = await import("../../test-support/vmrun-sim");
      writeTestVmx(path.dirname(p.vmxOf("gateway1")), "gateway1");
      p.sim.powerOn(p.vmxOf("gateway1"));
      fs.writeFileSync(
        path.join(p.env.SSH_SIM_DIR, "config.json"),
        JSON.stringify({
          commands: {
            "cloud-init status": { stdout: "status: done\n" },
            "ip -4 -o addr show": {
              stdout:
                "1: lo    inet 127.0.0.1/8 scope host lo\n3: ens192    inet 10.10.0.140/24 scope global ens192\n3: ens192    inet 10.10.0.100/24 scope global secondary ens192\n",
            },
          },
          hosts: { "10.10.0.1": {} },
        }),
      );
      const r = await manager(["status", "--json"]);
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout) as {
        name: string;
        cloudInit?: string;
        vips?: string[];
        detail: string;
      }[];
      const row = (name: string) => rows.find((x) => x.name === name);
      expect(row("gateway1")).toMatchObject({ cloudInit: "done", vips: ["internal"], detail: "" });
      expect(row("k8s-master1")).toMatchObject({ cloudInit: "done", detail: "" });
      expect(row("k8s-master1")?.vips).toBeUndefined();
      expect(row(APT_CACHE)?.cloudInit).toBeUndefined();
      const calls = fs
        .readFileSync(path.join(p.env.SSH_SIM_DIR, "calls.log"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { remote: string[]; host: string; opts: Record<string, string> });
      expect(calls.map((c) => c.remote.join(" ")).sort()).toEqual([
        "cloud-init status",
        "cloud-init status",
        "cloud-init status",
        "ip -4 -o addr show",
      ]);
      // Each guest is asked with its own pinned host keys, filed under its name.
      const ipOf = (name: string) => row(name) as unknown as { ip: string };
      for (const c of calls) {
        const vm = ["gateway1", "k8s-master1", "k8s-worker1"].find((n) => ipOf(n).ip === c.host)!;
        expect(c.opts).toMatchObject({
          HostKeyAlias: vm,
          UserKnownHostsFile: `"${path.join(p.root, "VMs/k8s_cluster", `${vm}.vmwarevm`, "known_hosts")}"`,
        });
      }
      const skipped = await manager(["status", "--no-guest", "--json"]);
      expect(
        (JSON.parse(skipped.stdout) as { cloudInit?: string }[]).every((x) => x.cloudInit === undefined),
      ).toBe(true);
    });

    it("prints the array with --json", async () => {
      const r = await manager(["status", "--json"]);
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout) as { name: string; power: string; ip: string }[];
      expect(rows.map((x) => [x.name, x.power])).toEqual([
        [APT_CACHE, "off"],
        ["gateway1", "absent"],
        ["k8s-master1", "on"],
        ["k8s-worker1", "off"],
      ]);
      expect(rows[2].ip).toMatch(/^10\.10\.0\.\d+$/);
    });

    it("stops with the config error when cluster.yaml is invalid", async () => {
      fs.writeFileSync(path.join(p.root, "cluster.yaml"), "vms:\n  - {name: k8s-worker1, role: cook}\n");
      const r = await manager(["status"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("cluster.yaml is invalid");
      expect(r.stderr).toContain("vms[0].role");
    });
  });

  describe("start-all and stop-all", () => {
    beforeEach(() => {
      p = createCliProject();
    });

    it("start-all starts in the order APT cache, masters, workers, gateways, skipping running VMs", async () => {
      p.sim.powerOn(p.vmxOf("k8s-master1"));
      const r = await manager(["start-all"]);
      expect(r.code).toBe(0);
      expect(vmsCalled(p.sim, "start")).toEqual(["k8s-master1", APT_CACHE, "k8s-worker1", "gateway1"]);
      expect(r.stdout).toMatch(/k8s-master1\s+skipped\s+already running/);
      expect(r.stdout).toMatch(/gateway1\s+done\s+started/);
      expect(r.stderr).toContain("start-all k8s-worker1: starting (nogui)");
    });

    it("stop-all stops gateways, workers, masters, then the APT cache", async () => {
      for (const name of [APT_CACHE, "k8s-master1", "k8s-worker1", "gateway1"]) p.sim.powerOn(p.vmxOf(name));
      const r = await manager(["stop-all"]);
      expect(r.code).toBe(0);
      expect(vmsCalled(p.sim, "stop")).toEqual(["gateway1", "k8s-worker1", "k8s-master1", APT_CACHE]);
      for (const name of [APT_CACHE, "k8s-master1", "k8s-worker1", "gateway1"])
        expect(p.sim.vmState(p.vmxOf(name))?.power).toBe("off");
    });

    it("exits 1 with the summary when one VM fails", async () => {
      p.sim.setFaults({
        commands: { start: { "k8s-worker1": { fail: "Error: The file is already in use" } } },
      });
      const r = await manager(["start-all"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /k8s-worker1\s+failed\s+vmrun start k8s-worker1 failed: The file is already in use/,
      );
      expect(r.stdout).toMatch(/gateway1\s+done/);
      expect(r.stderr).toContain("manager: start-all did not succeed on 1 of 4 VMs (k8s-worker1: failed)");
    });

    it("ends a hung vmrun at the --timeout deadline and reports the VM as failed", async () => {
      p.sim.setFaults({ commands: { start: { "k8s-worker1": { hang: "with-child" } } } });
      const r = await manager(["start-all", "--timeout", "2"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/k8s-worker1\s+failed\s+vmrun start k8s-worker1 did not answer within 2 s/);
      expect(r.stdout).toMatch(/gateway1\s+done/);
      const hung = p.sim.calls().filter((c) => c.command === "start" && c.vmx?.includes("k8s-worker1"));
      expect(hung).toHaveLength(1);
      expect(await waitUntilDead(pidsOf(hung))).toEqual([]); // the deadline killed vmrun's whole group
    });

    it("refuses a second operation while the first holds the lock", async () => {
      p.sim.setFaults({ commands: { start: { [APT_CACHE]: { delayMs: 4000 } } } });
      const first = startCli(p, "manager", ["start-all"]);
      await p.sim.waitForCall((c) => c.command === "start");
      const second = await manager(["stop-all"]);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain("another operation is running: start-all");
      expect(vmsCalled(p.sim, "stop")).toEqual([]);
      const r = await first.done;
      expect(r.code).toBe(0);
      expect(fs.existsSync(path.join(p.root, "generated", "operation.lock"))).toBe(false);
    });
  });

  describe("snapshot", () => {
    beforeEach(() => {
      p = createCliProject();
    });

    it("forwards to the snapshot commands", async () => {
      const created = await manager(["snapshot", "create", "from-manager"]);
      expect(created.code).toBe(0);
      for (const vm of ["gateway1", "k8s-master1", "k8s-worker1"])
        expect(p.sim.vmState(p.vmxOf(vm))?.snapshots.map((s) => s.name)).toEqual(["from-manager"]);
      const listed = await manager(["snapshot", "list"]);
      expect(listed.stdout).toMatch(/^k8s-worker1\s+off\s+present/m);
    });

    it('menu "4" creates a set with the name typed in, "5" lists it, "6" rolls back to it', async () => {
      const r = await manager([], "4\nmenu-set\nn\n\n5\n6\nmenu-set\n\nq\n");
      expect(r.code).toBe(0);
      expect(p.sim.vmState(p.vmxOf("gateway1"))?.snapshots.map((s) => s.name)).toEqual(["menu-set"]);
      expect(r.stdout).toMatch(/^gateway1\s+off\s+present/m);
      expect(r.stdout).toContain("sets made by this tool: menu-set");
      for (const vm of ["gateway1", "k8s-master1", "k8s-worker1"])
        expect(p.sim.vmState(p.vmxOf(vm))).toMatchObject({ power: "on", current: "menu-set" });
      expect(fs.readFileSync(path.join(p.root, "vm-ips.env"), "utf8")).toMatch(
        /^K8S_WORKER1_IP=10\.10\.0\.\d+$/m,
      );
      expect(r.stdout.split("choice: ").length - 1).toBe(4);
    });
  });

  describe("menu", () => {
    beforeEach(() => {
      p = createCliProject();
    });

    it('"2" shows the status, then "q" quits', async () => {
      const r = await manager([], "2\nq\n");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("1) provision the cluster (cdktf deploy)");
      expect(r.stdout).toContain("8) delete all VMs");
      expect(r.stdout).toMatch(/k8s-worker1\s+worker\s+off/);
      expect(r.stdout).toContain("bye");
    });

    it('"1" runs the doctor first and stops on its failures, before cdktf runs', async () => {
      // No Fusion here: the doctor fails (vmnet2 missing), so deploy must not start.
      const r = await manager([], "1\nq\n");
      expect(r.stdout).toMatch(/FAIL/);
      expect(r.stderr).toMatch(
        /\d+ failures?: fix the failures above \(npm run doctor shows every check\), then deploy again/,
      );
      expect(r.stderr).not.toContain("running npx");
      expect(r.stdout).toContain("bye");
      const sub = await manager(["deploy"]);
      expect(sub.code).toBe(1);
      expect(sub.stderr).not.toContain("running npx");
    });

    it("says so for an unknown choice and shows the menu again", async () => {
      const r = await manager([], "9\nq\n");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('unknown choice "9": type 1-8 or q');
      expect(r.stdout.split("choice: ").length - 1).toBe(2);
    });

    it("quits cleanly at end of input", async () => {
      const r = await manager([], "");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("bye");
      expect(r.stderr).toBe("");
    });

    it('"3" then "start" starts all VMs and returns to the menu', async () => {
      const r = await manager([], "3\nstart\nq\n");
      expect(r.code).toBe(0);
      expect(vmsCalled(p.sim, "start")).toEqual([APT_CACHE, "k8s-master1", "k8s-worker1", "gateway1"]);
      expect(r.stdout.split("choice: ").length - 1).toBe(2);
    });

    it('"8" does nothing unless "delete" is typed', async () => {
      const r = await manager([], "8\nno\nq\n");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('type "delete" to go on: no\nnothing done');
      expect(r.stderr).not.toContain("npx");
    });

    it("shows a failed choice's error and keeps going", async () => {
      const r = await manager([], "6\nbase\nk8s-worker9\nq\n");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("no sets made by this tool yet");
      expect(r.stderr).toContain(
        "manager: unknown VM name k8s-worker9 in --vm; the cluster VMs are: gateway1, k8s-master1, k8s-worker1",
      );
      expect(p.sim.calls()).toEqual([]);
    });
  });

  describe("answers that agree", () => {
    beforeEach(() => {
      p = createCliProject();
    });

    it("a mistyped command gets the nearest one and the list of commands, at every level", async () => {
      const r = await manager(["stauts"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("error: unknown command 'stauts'\n(Did you mean status?)\n");
      expect(r.stderr).toContain("commands: deploy, status, start-all, stop-all, snapshot, delete-vms");
      expect(r.stderr).not.toContain("too many arguments");
      const nested = await manager(["snapshot", "lsit"]);
      expect(nested.code).toBe(1);
      expect(nested.stderr).toContain("(Did you mean list?)\ncommands: create, list, rollback, delete");
      const own = await runCli(p, "snapshot", ["lsit"]);
      expect(own.stderr).toContain("(Did you mean list?)\ncommands: create, list, rollback, delete");
      const cache = await runCli(p, "apt-cache", ["stauts"]);
      expect(cache.stderr).toContain("(Did you mean status?)\ncommands: status");
      expect(p.sim.calls()).toEqual([]);
    });
  });

  describe("without VMware", () => {
    const noVmrun = () => ({ VMRUN: path.join(p.root, "no-vmrun-here") });
    beforeEach(() => {
      p = createCliProject();
    });

    it("the menu opens, says what needs VMware, and lists the sets from their files", async () => {
      expect((await manager(["snapshot", "create", "before-upgrade"])).code).toBe(0);
      const calls = p.sim.calls().length;
      const r = await runCli(p, "manager", [], { input: "5\n2\nq\n", env: noVmrun() });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("(no usable vmrun: choices 1-4, 6-8 need VMware; 5 lists the sets");
      expect(r.stdout).toMatch(/^before-upgrade\s+\S+\s+complete\s+\?$/m);
      expect(r.stdout).toMatch(/^k8s-worker1\s+unknown\s+\?$/m);
      expect(r.stdout).toContain("the VMs' power and which of them hold each set need VMware");
      // Status needs vmrun: its error says so, and the menu comes back.
      expect(r.stderr).toMatch(/manager: VMRUN=.* is not an executable file/);
      expect(r.stdout).toContain("bye");
      expect(p.sim.calls()).toHaveLength(calls);
    });

    it("snapshot list works from the manifests; create refuses with the vmrun error", async () => {
      expect((await manager(["snapshot", "create", "before-upgrade"])).code).toBe(0);
      const listed = await runCli(p, "snapshot", ["list"], { env: noVmrun() });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^before-upgrade\s+\S+\s+complete\s+\?$/m);
      const json = JSON.parse((await runCli(p, "snapshot", ["list", "--json"], { env: noVmrun() })).stdout);
      expect(json.sets.map((s: { name: string }) => s.name)).toEqual(["before-upgrade"]);
      expect(json.vmrunProblem).toMatch(/is not an executable file/);
      const created = await runCli(p, "snapshot", ["create", "another"], { env: noVmrun() });
      expect(created.code).toBe(1);
      expect(created.stderr).toMatch(/^snapshot: VMRUN=.* is not an executable file: point VMRUN at vmrun/m);
    });
  });

  describe("at 80 columns (COLUMNS=80)", () => {
    beforeEach(() => {
      p = createCliProject();
    });

    it("every line of the menu, its questions and snapshot list fits", async () => {
      for (const set of [
        "patched-20251125-before-upgrade",
        "calico-3.29-installed-and-ok",
        "snap-20251201-0930",
      ])
        expect((await manager(["snapshot", "create", set, "--keep", "5"])).code).toBe(0);
      const env = { COLUMNS: "80" };
      const listed = await runCli(p, "snapshot", ["list"], { env });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^k8s-worker1\s+off\s+present: patched-20251125-before-upgrade,/m);
      const walk = ["3", "neither", "4", "x", "n", "0", "6", "", "7", "", "8", "no", "9", "2", "5", "q"];
      const menu = await runCli(p, "manager", [], { input: `${walk.join("\n")}\n`, env });
      expect(menu.code).toBe(0);
      expect(menu.stdout).toContain("8) delete all VMs");
      for (const out of [listed.stdout, menu.stdout])
        expect(out.split("\n").filter((l) => l.length > 80)).toEqual([]);
      // Without a width (a pipe), the per-VM table keeps one column a set.
      const wide = await runCli(p, "snapshot", ["list"]);
      expect(wide.stdout).toMatch(/^k8s-worker1\s+off\s+present\s+present\s+present$/m);
    });
  });
});
