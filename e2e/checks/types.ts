/**
 * What a check is. Most checks are pure: they name the guest commands whose output they need (facts,
 * collected in one ssh call per guest) and judge that output against what the config says. Checks that
 * must act in the guest (install a package) get a shell. Both return one or more results, each with
 * the value seen, so a failure says what the guest actually had.
 */
import type { ClusterModel, Role, VmSpec } from "../../lib/model/config/model";
import type { VmxHardware } from "../lib/qemu";

export interface CheckResult {
  /** Stable id, e.g. `hostname`, `nic-ens160` (used by --expect-fail and in the results file). */
  readonly id: string;
  readonly ok: boolean;
  /** The value found in the guest, one line. */
  readonly seen: string;
  /** Why it failed, or more of what was seen (multi-line allowed). */
  readonly detail?: string;
}

/** Output of one guest command. */
export interface Fact {
  readonly rc: number;
  readonly out: string;
}

export type Facts = ReadonlyMap<string, Fact>;

/** The seed files as the product wrote them (what went into the VM's seed ISO). */
export interface SeedFiles {
  readonly userData: string;
  readonly metaData: string;
  readonly networkConfig: string;
}

export interface GuestContext {
  readonly vm: VmSpec;
  readonly model: ClusterModel;
  /** From the .vmx installed in the VM folder (what Fusion, and here QEMU, boots). */
  readonly hardware: VmxHardware;
  /** The address the guest is reached at (its static address on the vmnet). */
  readonly address: string;
  /** The run's public key line, as sshPublicKeyFile holds it. */
  readonly publicKey: string;
  readonly seed: SeedFiles;
  /** Absolute `generated/<vm>/guest/` of the run's project: the role files as the deploy rendered them. */
  readonly guestConfigDir?: string;
}

export interface FactCheck {
  readonly name: string;
  /** Roles the check applies to; all roles when absent. */
  readonly roles?: readonly Role[];
  /** Judges what guest-config installed (skipped by a negative run, whose deploy stops before it). */
  readonly needsGuestConfig?: boolean;
  /** fact name -> guest command (run by the guest's shell as user ubuntu). */
  readonly facts: Readonly<Record<string, string>>;
  evaluate(ctx: GuestContext, facts: Facts): CheckResult[];
}

export interface GuestShell {
  run(command: string, timeoutMs?: number): Promise<Fact>;
}

/** What the run offers an acting check besides the guest. */
export interface RunServices {
  /** Requests the test network's package server has logged so far. */
  repoRequests(): readonly { client?: string; method?: string; path?: string; status?: number }[];
}

export interface ActiveCheck {
  readonly name: string;
  readonly roles?: readonly Role[];
  readonly needsGuestConfig?: boolean;
  run(ctx: GuestContext, guest: GuestShell, services: RunServices): Promise<CheckResult[]>;
}

/** A result that concerns one guest, from a check over several. */
export interface ClusterResult extends CheckResult {
  readonly vm: string;
}

/** What a check over the whole cluster (load balancer, VIP failover) gets. */
export interface ClusterContext {
  readonly model: ClusterModel;
  /** A shell on every guest that answered ssh, by VM name. */
  readonly guests: ReadonlyMap<string, GuestShell>;
  /** A rendered role file of a VM (`generated/<vm>/guest/<name>`), or undefined. */
  renderedFile(vm: string, name: string): string | undefined;
  /** The host side's address on each network (the client address the guests see). */
  readonly hostAddresses: { readonly nat: string; readonly lan: string };
  /** TCP from the host side of the test network (10.10.0.1 on the vmnet, 192.168.68.1 on the LAN). */
  hostConnect(
    address: string,
    port: number,
    timeoutMs?: number,
  ): Promise<{ ok: boolean; data: string; error?: string }>;
  readonly log: (line: string) => void;
  /** Runs a command of the product in the run's project, as `npm run <entry> -- <args>` (inside the test network). */
  runProduct(
    entry: string,
    args: readonly string[],
    timeoutMs: number,
  ): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }>;
  /** Absolute path of a project-relative file of the run's project. */
  projectFile(rel: string): string;
}

export interface ClusterCheck {
  readonly name: string;
  /** Whether the cluster has what the check needs (e.g. two gateways); otherwise it is not run. */
  appliesTo(model: ClusterModel): boolean;
  run(ctx: ClusterContext): Promise<{ results: ClusterResult[]; timings: Record<string, number> }>;
}

export function appliesTo(check: { roles?: readonly Role[] }, role: Role): boolean {
  return check.roles === undefined || check.roles.includes(role);
}
