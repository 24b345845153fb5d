/**
 * Links the vmrun simulator to the real guests: when the deploy's `vmrun start` powers a VM on in the
 * simulator, the guest boots under QEMU; the simulator reports the guest's IP (what VMware Tools
 * would) only once the guest answers, so vm-start waits for a real boot as it does on Fusion.
 */
import type { SimFaults, SimVmState } from "../../test-support/vmrun-sim";

export interface PowerWatchOptions {
  readonly vms: readonly { readonly name: string; readonly vmxAbs: string }[];
  readonly vmState: (vmxAbs: string) => SimVmState | undefined;
  readonly onPowerOn: (name: string) => void;
  /** @default 500 */
  readonly pollMs?: number;
}

/** Polls the simulator's power state; calls onPowerOn once per VM. Returns a stop function. */
export function watchPowerOn(opts: PowerWatchOptions): () => void {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const vm of opts.vms) {
      if (seen.has(vm.name)) continue;
      const st = opts.vmState(vm.vmxAbs);
      if (st && st.power === "on") {
        seen.add(vm.name);
        opts.onPowerOn(vm.name);
      }
    }
  }, opts.pollMs ?? 500);
  return () => clearInterval(timer);
}

/** The simulator's guest behaviour: every VM reports `ip` once it is in `reachable`, nothing before. */
export function guestIpFaults(
  addresses: ReadonlyMap<string, string>,
  reachable: ReadonlySet<string>,
): SimFaults {
  return {
    vms: Object.fromEntries(
      [...addresses].map(([name, ip]) => [name, { ip: reachable.has(name) ? ip : "" }]),
    ),
  };
}
