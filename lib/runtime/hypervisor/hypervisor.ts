/**
 * The hypervisor seam: everything the runtime and the operator commands ask of a hypervisor, and
 * nothing else. A VM is named by its locator, which only its driver interprets: the absolute .vmx path
 * for vmrun (Fusion, Workstation), the inventory path `/<datacenter>/vm/<folder>/<name>` for govc
 * (vSphere). Every call has a deadline (the driver's `timeoutMs` unless the call gives its own) and fails
 * with a HypervisorError (./errors). Drivers: ./vmrun and ./govc (./for-target picks one by the config's
 * target); an in-memory fake for the lib tests (test-support/fake-hypervisor.ts), as packer-plugin-vmware's
 * Driver/DriverMock.
 */
export interface CallOptions {
  /** Deadline for this call in milliseconds, overriding the driver's default. */
  readonly timeoutMs?: number;
}

/** How stopIfRunning ended: the VM was already off, or which stop brought it down. */
export type StopOutcome = "not-running" | "soft" | "hard";

/** What the guest tools report; drivers map their own words onto these four, anything else passes through. */
export type ToolsState = "running" | "installed" | "unknown" | "not-installed" | (string & {});

export interface Hypervisor {
  /** Deadline of one call unless the call sets its own, in milliseconds. */
  readonly timeoutMs: number;

  /** The canonical locator of a VM given as the project spells it (e.g. a relative .vmx path made absolute). */
  resolveVm(vm: string): string;

  // power
  /** Locators of every running VM, as the hypervisor spells them. */
  listRunning(opts?: CallOptions): Promise<string[]>;
  /** One listing, as a question to ask of any number of VMs. */
  runningVms(opts?: CallOptions): Promise<(vm: string) => boolean>;
  isRunning(vm: string, opts?: CallOptions): Promise<boolean>;
  /** Powers the VM on, without a window; returns at power-on, long before the guest has booted. */
  start(vm: string, opts?: CallOptions): Promise<void>;
  /** Brings the VM down if it runs: a guest shutdown first when softTimeoutMs is set, then a hard stop. */
  stopIfRunning(vm: string, opts?: CallOptions & { softTimeoutMs?: number }): Promise<StopOutcome>;
  suspend(vm: string, opts?: CallOptions): Promise<void>;

  // lifecycle
  /** The VM exists (Fusion: its .vmx file; vSphere: the inventory holds it); false for one never built or deleted. */
  isBuilt(vm: string, opts?: CallOptions): Promise<boolean>;
  /** Deletes the VM (unregisters it and removes its files); false when there was nothing to delete. */
  deleteVmIfPresent(vm: string, opts?: CallOptions): Promise<boolean>;

  // snapshots
  snapshot(vm: string, name: string, opts?: CallOptions): Promise<void>;
  /** Snapshot names, oldest first. */
  listSnapshots(vm: string, opts?: CallOptions): Promise<string[]>;
  revertToSnapshot(vm: string, name: string, opts?: CallOptions): Promise<void>;
  deleteSnapshot(
    vm: string,
    name: string,
    opts?: CallOptions & { andDeleteChildren?: boolean },
  ): Promise<void>;

  // guest
  /** The guest's IPv4 address as its tools report it; with wait, blocks until there is one (up to the deadline). */
  getGuestIPAddress(vm: string, opts?: CallOptions & { wait?: boolean }): Promise<string>;
  checkToolsState(vm: string, opts?: CallOptions): Promise<ToolsState>;
}

/**
 * What a hypervisor with an inventory of its own adds (vSphere): every VM in the lab's place, on or off.
 * vmrun has none: a Fusion VM is a folder on disk, and its day-two commands look there.
 */
export interface VmInventory {
  /** Locators of every VM in the lab's place, whatever their power state. */
  listVms(opts?: CallOptions): Promise<string[]>;
}
