import { spawnSync } from "node:child_process";
import { adminEnv, createGovcSim, GovcBackend, GovcSim } from "../../test-support/govc-sim";
import { requireTools } from "../../test-support/required-tools";
import { startVcsim } from "../../test-support/vcsim";

/**
 * The govc double says what the real govc says to vcsim: one script of calls (setup, power, find, vm.info,
 * vm.ip, snapshots, destroy, and the login and TLS failures) runs against both, and the answers must match
 * once what differs by nature is masked: managed object ids, times, the server's port and govc's own path.
 */
interface Step {
  readonly args: readonly string[];
  /** Overrides of the admin environment (login and TLS cases). */
  readonly env?: Record<string, string | undefined>;
  /** vm.info -json: compare the fields the driver reads, not vcsim's whole object. */
  readonly pick?: (json: unknown) => unknown;
}

const A = "/DC0/vm/lab/a";
const B = "/DC0/vm/lab/b";

const vmFields = (json: unknown) =>
  ((json as { virtualMachines: unknown[] | null }).virtualMachines ?? []).map((vm) => {
    const v = vm as {
      name: string;
      runtime: { powerState: string };
      guest: { toolsStatus?: string; toolsRunningStatus?: string; ipAddress?: string };
      config: { guestId: string; hardware: { device: Array<{ capacityInBytes?: number }> } };
    };
    return {
      name: v.name,
      power: v.runtime.powerState,
      tools: [v.guest.toolsStatus, v.guest.toolsRunningStatus, v.guest.ipAddress ?? ""],
      guestId: v.config.guestId,
      disks: v.config.hardware.device.flatMap((d) =>
        d.capacityInBytes === undefined ? [] : [d.capacityInBytes],
      ),
    };
  });

const SCRIPT: Step[] = [
  { args: ["version"] },
  { args: ["about"] },
  { args: ["folder.create", "/DC0/vm/lab"] },
  { args: ["folder.create", "/DC0/vm/lab"] },
  { args: ["folder.create", "/DC0/vm/nope/x"] },
  ...["a", "b"].map((n) => ({
    args: [
      "vm.clone",
      "-vm",
      "/DC0/vm/DC0_H0_VM0",
      "-folder",
      "/DC0/vm/lab",
      "-on=false",
      "-ds",
      "LocalDS_0",
    ].concat(["-pool", "/DC0/host/DC0_C0/Resources", n]),
  })),
  { args: ["find", "-maxdepth", "1", "-type", "m", "/DC0/vm/lab"] },
  { args: ["vm.power", "-on", A] },
  { args: ["vm.power", "-on", A] },
  { args: ["find", "-maxdepth", "1", "-type", "m", "/DC0/vm/lab", "-runtime.powerState", "poweredOn"] },
  { args: ["vm.power", "-off", B] },
  { args: ["vm.power", "-suspend", B] },
  { args: ["vm.power", "-s", B] },
  { args: ["vm.power", "-on", "/DC0/vm/lab/ghost"] },
  { args: ["vm.info", "-json", "/DC0/vm/lab/ghost"] },
  { args: ["vm.info", "-json", A], pick: vmFields },
  { args: ["vm.info", "-json", "/DC0/vm/DC0_H0_VM0"], pick: vmFields },
  { args: ["vm.ip", "-v4", "-wait", "300ms", A] },
  { args: ["vm.ip", "-v4", "-wait", "300ms", "/DC0/vm/lab/ghost"] },
  { args: ["snapshot.tree", "-json", "-D", "-vm", A] },
  { args: ["snapshot.revert", "-vm", A, "s1"] },
  { args: ["snapshot.create", "-vm", A, "s1"] },
  { args: ["snapshot.create", "-vm", A, "s2"] },
  { args: ["snapshot.tree", "-json", "-D", "-vm", A] },
  { args: ["snapshot.revert", "-vm", A, "zz"] },
  { args: ["snapshot.remove", "-vm", A, "zz"] },
  { args: ["snapshot.revert", "-vm", A, "s1"] },
  { args: ["vm.info", "-json", A], pick: vmFields },
  { args: ["snapshot.create", "-vm", A, "s1"] },
  { args: ["snapshot.revert", "-vm", A, "s1"] },
  { args: ["snapshot.remove", "-vm", A, "s2"] },
  { args: ["snapshot.tree", "-json", "-D", "-vm", A] },
  { args: ["snapshot.remove", "-r", "-vm", A, "s1"] },
  { args: ["vm.power", "-suspend", A] },
  { args: ["vm.power", "-on", A] },
  { args: ["vm.power", "-s", A] },
  { args: ["find", "-maxdepth", "1", "-type", "m", "/DC0/vm/lab", "-runtime.powerState", "poweredOn"] },
  { args: ["vm.power", "-on", B] },
  { args: ["vm.destroy", B] },
  { args: ["vm.destroy", B] },
  { args: ["snapshot.create", "-vm", B, "x"] },
  { args: ["find", "-maxdepth", "1", "-type", "m", "/DC0/vm/lab"] },
  { args: ["find", "/DC0/vm/nofolder", "-type", "m"] },
  { args: ["find", "-maxdepth", "0", "-type", "f", "/DC0/vm/lab"] },
  { args: ["find", "-type", "d", "/", "-name", "DC0"] },
  { args: ["find", "-type", "c", "/DC0/host", "-name", "DC0_C0"] },
  { args: ["find", "-type", "h", "/DC0/host", "-name", "DC0_H0"] },
  { args: ["find", "-type", "p", "/DC0/host", "-name", "Resources"] },
  { args: ["find", "-type", "s", "/DC0/datastore", "-name", "LocalDS_0"] },
  { args: ["find", "-type", "n", "/DC0/network", "-name", "VM Network"] },
  { args: ["find", "-type", "n", "/DC0/network", "-name", "DC0_DVPG0"] },
  { args: ["find", "-type", "n", "/DC0/network", "-name", "nope"] },
  { args: ["find", "-type", "n", "/DC0/network", "-name", "VM*"] },
  { args: ["find", "-type", "n", "/DC0/network", "-name", "VM Netw\\*"] },
  { args: ["find", "-type", "s", "/NODC/datastore", "-name", "LocalDS_0"] },
  { args: ["about"], env: { GOVC_PASSWORD: "wrong" } },
  { args: ["find", "-type", "d", "/"], env: { GOVC_USERNAME: undefined, GOVC_PASSWORD: undefined } },
  { args: ["about"], env: { GOVC_INSECURE: undefined } },
];

interface Answer {
  readonly args: string;
  readonly exit: number | null;
  readonly stdout: unknown;
  readonly stderr: string;
}

function transcript(b: GovcBackend, extraEnv: Record<string, string> = {}): Answer[] {
  const mask = (text: string) =>
    text
      .split(b.binary)
      .join("govc")
      .split(b.server)
      .join("SERVER")
      .replace(/\b(vm|snapshot)-\d+\b/g, "$1-N")
      .replace(/"createTime": "[^"]+"/g, '"createTime": "T"')
      .split("\r\u001b[K") // vm.clone's progress line starts by clearing the terminal line
      .join("")
      .replace(/^\[[\d:\- ]+\] /gm, "[TIME] ");
  return SCRIPT.map((step) => {
    const env = { ...adminEnv(b.server, extraEnv), ...step.env };
    for (const [k, v] of Object.entries(step.env ?? {})) if (v === undefined) delete env[k];
    const r = spawnSync(b.binary, [...step.args], { env, encoding: "utf8", timeout: 20_000 });
    const stdout = step.pick && r.status === 0 ? step.pick(JSON.parse(r.stdout)) : mask(r.stdout);
    return { args: step.args.join(" "), exit: r.status, stdout, stderr: mask(r.stderr) };
  });
}

describe("the govc double against itself", () => {
  let sim: GovcSim;
  beforeAll(() => {
    sim = createGovcSim();
    sim.requireLogin("user", "pass");
  });
  afterAll(() => sim.cleanup());

  it("runs the whole script with govc's exit codes (a smoke check; the real comparison is below)", () => {
    const answers = transcript(sim, { LAB_GOVC_SIM_STATE: sim.stateDir });
    expect(answers.filter((a) => a.exit !== 0).map((a) => a.args)).toEqual([
      "folder.create /DC0/vm/lab",
      "folder.create /DC0/vm/nope/x",
      `vm.power -on ${A}`,
      `vm.power -off ${B}`,
      `vm.power -suspend ${B}`,
      `vm.power -s ${B}`,
      "vm.power -on /DC0/vm/lab/ghost",
      "vm.ip -v4 -wait 300ms /DC0/vm/lab/ghost",
      `snapshot.revert -vm ${A} s1`,
      `snapshot.revert -vm ${A} zz`,
      `snapshot.remove -vm ${A} zz`,
      `snapshot.revert -vm ${A} s1`,
      `snapshot.remove -r -vm ${A} s1`,
      `vm.destroy ${B}`,
      `snapshot.create -vm ${B} x`,
      "find /DC0/vm/nofolder -type m",
      "find -type s /NODC/datastore -name LocalDS_0",
      "about",
      "find -type d /",
      "about",
    ]);
  });
});

const vcsim = requireTools("vcsim");

vcsim.describe("the govc double against govc 0.38 and vcsim", () => {
  let real: GovcBackend;
  let sim: GovcSim;
  beforeAll(async () => {
    real = await startVcsim();
    sim = createGovcSim();
    sim.requireLogin("user", "pass");
  });
  afterAll(() => {
    real?.cleanup();
    sim?.cleanup();
  });

  it("answers every call of the script as the real pair does", () => {
    const want = transcript(real);
    const got = transcript(sim, { LAB_GOVC_SIM_STATE: sim.stateDir });
    for (const [i, w] of want.entries()) expect({ step: i, ...got[i] }).toEqual({ step: i, ...w });
  });
});
