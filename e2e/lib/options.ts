/** Command-line options of e2e/run.ts. */
import { Command, InvalidArgumentError, Option } from "commander";
import type { Arch } from "../../lib/model/config/model";
import { E2E_VMS, selectVms } from "./project";

/**
 * What a negative run breaks, and so which check must catch it:
 * - `mac`: the first VM's network-config matches a MAC its ethernet0 does not have (the guest never
 *   gets its network, so `<vm>/ssh` fails; the deploy, whose vm-start waits for that IP, is stopped);
 * - `degraded-seed`: the first VM's user-data gains a key cloud-init 25 reports as deprecated, which
 *   cloud-init 22.4's schema check still calls valid: `<vm>/cloud-init` must fail (status degraded);
 * - `bios-disk`: the base image is the golden image rewritten to boot only with BIOS (MBR, GRUB for
 *   BIOS, no EFI system partition), while every .vmx says `firmware = "efi"`: `<vm>/boot` must fail
 *   naming the firmware. amd64 only.
 */
export type NegativeKind = "mac" | "degraded-seed" | "bios-disk";
const NEGATIVE_KINDS: readonly NegativeKind[] = ["mac", "degraded-seed", "bios-disk"];

export interface E2eOptions {
  /** The guests' architecture: amd64 boots qemu-system-x86_64 (q35, OVMF), arm64 qemu-system-aarch64 (virt, AAVMF). */
  readonly arch: Arch;
  /** Break one thing and expect exactly its check to fail (see NegativeKind); false for a normal run. */
  readonly negative: NegativeKind | false;
  /** Names of the e2e VMs to deploy and boot (see E2E_VMS). */
  readonly vms: readonly string[];
  /** Cache and run folder, relative to the repository. */
  readonly cacheDir: string;
  /** Results file, relative to the repository. */
  readonly resultsFile: string;
  /** Hard bound on each QEMU process, seconds. */
  readonly vmLifetimeSeconds: number;
  /** Build (or find) the golden image and stop. */
  readonly goldenOnly: boolean;
  /** Keep the run's disks and ISOs after a passing run (they are always kept after a failure). */
  readonly keep: boolean;
}

/** Per architecture: the VMs a run deploys by default, and how long one QEMU may live. */
const ARCH_DEFAULTS: Readonly<
  Record<
    Arch,
    {
      readonly vms: readonly string[];
      readonly negativeVms: readonly string[];
      readonly vmLifetimeSeconds: number;
    }
  >
> = {
  // Two gateways (VIP failover needs a backup) and the master their nginx balances to.
  amd64: {
    vms: ["gateway1", "gateway2", "k8s-master1"],
    negativeVms: ["gateway1", "k8s-master1"],
    vmLifetimeSeconds: 900,
  },
  // One node: aarch64 under TCG on two x86 cores is several times slower per guest.
  arm64: { vms: ["k8s-master1"], negativeVms: ["k8s-master1"], vmLifetimeSeconds: 2400 },
};

/** The check a negative run must see fail on its target VM (the first VM of the run), and what else may fail with it. */
export function negativeExpectation(
  kind: NegativeKind,
  vms: readonly string[],
): { vm: string; check: string; tolerated: string[] } {
  const vm = vms[0];
  switch (kind) {
    case "mac":
      return { vm, check: `${vm}/ssh`, tolerated: ["-/apply"] };
    case "degraded-seed":
      return { vm, check: `${vm}/cloud-init`, tolerated: [] };
    case "bios-disk":
      // Every VM shares the base image; the deploy waits for IPs that never come and is stopped.
      return { vm, check: `${vm}/boot`, tolerated: ["-/apply", ...vms.slice(1).map((v) => `${v}/boot`)] };
  }
}

function lifetime(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 60)
    throw new InvalidArgumentError("must be a whole number of seconds, at least 60");
  return Number(value);
}

function resultsFileFor(arch: Arch, negative: NegativeKind | false): string {
  const parts = [".e2e-results", negative ? `negative-${negative}` : "", arch === "amd64" ? "" : arch].filter(
    Boolean,
  );
  return `${parts.join("-")}.json`;
}

export function parseOptions(argv: readonly string[]): E2eOptions {
  const program = new Command("e2e")
    .description(
      "Boots the VMs the product builds under QEMU in a private network namespace and checks them over ssh",
    )
    .addOption(
      new Option("--arch <arch>", "the guests' architecture (the cluster.yaml's arch)")
        .choices(["amd64", "arm64"])
        .default("amd64"),
    )
    .addOption(
      new Option(
        "--negative [kind]",
        "break one thing and pass only if its check catches it: mac (a wrong MAC in network-config), degraded-seed (a key cloud-init 25 deprecates), bios-disk (a disk that boots only with BIOS)",
      )
        .choices([...NEGATIVE_KINDS])
        .preset("mac"),
    )
    .option(
      "--vms <names>",
      `comma-separated e2e VMs to deploy and boot, from ${E2E_VMS.map((v) => v.name).join(", ")} (default per --arch: ${Object.entries(
        ARCH_DEFAULTS,
      )
        .map(([a, d]) => `${a} ${d.vms.join(",")}`)
        .join("; ")})`,
    )
    .option("--cache <dir>", "cache and run folder (ignored by git)", ".e2e-cache")
    .option("--results <file>", "results file (default .e2e-results[-negative-<kind>][-arm64].json)")
    .option(
      "--vm-lifetime <seconds>",
      "hard bound on each QEMU process (default 900 on amd64, 2400 on arm64)",
      lifetime,
    )
    .option("--golden-only", "build or find the golden image, then stop", false)
    .option(
      "--keep",
      "keep the run's disks and ISOs after a passing run (a failed run keeps everything)",
      false,
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse([...argv], { from: "user" });
  const o = program.opts<{
    arch: Arch;
    negative?: NegativeKind;
    vms?: string;
    cache: string;
    results?: string;
    vmLifetime?: number;
    goldenOnly: boolean;
    keep: boolean;
  }>();
  const negative = o.negative ?? false;
  const defaults = ARCH_DEFAULTS[o.arch];
  const names = (o.vms ?? (negative ? defaults.negativeVms : defaults.vms).join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const vms = selectVms(names).map((v) => v.name);
  if (negative === "bios-disk" && o.arch !== "amd64")
    throw new InvalidArgumentError("--negative bios-disk is for --arch amd64: there is no BIOS on arm64");
  return {
    arch: o.arch,
    negative,
    vms,
    cacheDir: o.cache,
    resultsFile: o.results ?? resultsFileFor(o.arch, negative),
    vmLifetimeSeconds: o.vmLifetime ?? defaults.vmLifetimeSeconds,
    goldenOnly: o.goldenOnly,
    keep: o.keep,
  };
}
