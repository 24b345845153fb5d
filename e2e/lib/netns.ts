/**
 * The test network, entirely inside one network namespace: a bridge for the vmnet (the Mac's vmnet2,
 * host side 10.10.0.1 plus the NAT gateway/DNS address 10.10.0.2 so that DNS and the default route
 * answer at once instead of timing out) and a bridge for the LAN the gateways are bridged to, and one
 * tap device per guest NIC. QEMU, the package server and ssh run in the namespace (`ip netns exec`);
 * nothing is reachable from outside and nothing leaves the machine. Deleting the namespace removes all.
 */
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";

export type GuestNetwork = "nat" | "lan";

export interface BridgePlan {
  readonly name: string;
  readonly network: GuestNetwork;
  /** Host-side addresses with prefix, e.g. 10.10.0.1/24. */
  readonly addresses: readonly string[];
}

export interface TapPlan {
  readonly name: string;
  readonly bridge: string;
}

export interface NetnsPlan {
  readonly namespace: string;
  readonly bridges: readonly BridgePlan[];
  readonly taps: readonly TapPlan[];
}

export interface NetnsInput {
  readonly namespace: string;
  /** CIDR and host-side addresses per network. */
  readonly nat: { readonly prefixLength: number; readonly hostAddress: string; readonly gateway: string };
  readonly lan: { readonly prefixLength: number; readonly hostAddress: string };
  /** Every guest NIC: its tap name and the network it is on. */
  readonly nics: readonly { readonly tap: string; readonly network: GuestNetwork }[];
}

const BRIDGE: Record<GuestNetwork, string> = { nat: "br-vmnet", lan: "br-lan" };

/** Linux interface names: at most 15 bytes, no '/', ':' or whitespace. */
export function checkIfName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name))
    throw new Error(`interface name ${JSON.stringify(name)} is not 1-15 letters, digits, '_', '.', '-'`);
  return name;
}

/** Tap name of NIC `nic` of guest `guest` (both 0-based). */
export function tapName(guest: number, nic: number): string {
  return checkIfName(`tap-g${guest}-n${nic}`);
}

export function planNetns(input: NetnsInput): NetnsPlan {
  const taps = input.nics.map((n) => ({ name: checkIfName(n.tap), bridge: BRIDGE[n.network] }));
  const dup = taps.find((t, i) => taps.findIndex((u) => u.name === t.name) !== i);
  if (dup) throw new Error(`two guest NICs share the tap name ${dup.name}`);
  return {
    namespace: input.namespace,
    bridges: [
      {
        name: BRIDGE.nat,
        network: "nat",
        addresses: [
          `${input.nat.hostAddress}/${input.nat.prefixLength}`,
          `${input.nat.gateway}/${input.nat.prefixLength}`,
        ],
      },
      { name: BRIDGE.lan, network: "lan", addresses: [`${input.lan.hostAddress}/${input.lan.prefixLength}`] },
    ],
    taps,
  };
}

/** The `ip` invocations that build the plan, in order. */
export function setupCommands(plan: NetnsPlan): string[][] {
  const ns = plan.namespace;
  const cmds: string[][] = [
    ["netns", "add", ns],
    ["-n", ns, "link", "set", "lo", "up"],
  ];
  for (const b of plan.bridges) {
    // No STP and no forward delay: a port forwards as soon as the guest's NIC comes up.
    cmds.push(["-n", ns, "link", "add", b.name, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
    for (const a of b.addresses) cmds.push(["-n", ns, "addr", "add", a, "dev", b.name]);
    cmds.push(["-n", ns, "link", "set", b.name, "up"]);
  }
  for (const t of plan.taps) {
    cmds.push(["-n", ns, "tuntap", "add", "dev", t.name, "mode", "tap"]);
    cmds.push(["-n", ns, "link", "set", t.name, "master", t.bridge]);
    cmds.push(["-n", ns, "link", "set", t.name, "up"]);
  }
  return cmds;
}

async function ip(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const r = await runWithDeadline("ip", args, { timeoutMs: 15_000 });
  return { code: r.code, stderr: r.stderr.trim() };
}

export async function createNetns(plan: NetnsPlan): Promise<void> {
  for (const args of setupCommands(plan)) {
    const r = await ip(args);
    if (r.code !== 0)
      throw new Error(`ip ${args.join(" ")} failed: ${r.stderr}; the e2e test needs root and /dev/net/tun`);
  }
}

/** Removes the namespace (and with it the bridges and taps); absent is fine. */
export async function deleteNetns(namespace: string): Promise<void> {
  const list = await runWithDeadline("ip", ["netns", "list"], { timeoutMs: 15_000 });
  if (!list.stdout.split("\n").some((l) => l.split(" ")[0] === namespace)) return;
  const r = await ip(["netns", "del", namespace]);
  if (r.code !== 0) throw new Error(`ip netns del ${namespace} failed: ${r.stderr}; remove it by hand`);
}

/** argv prefix that runs a program inside the namespace. */
export function inNetns(namespace: string): string[] {
  return ["ip", "netns", "exec", namespace];
}
