/** Command-line options of e2e/run.ts. */
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_E2E_VMS, E2E_VMS, NEGATIVE_E2E_VMS, selectVms } from "./project";

export interface E2eOptions {
  /** Break one VM's seed (gateway1's ethernet0 MAC in network-config) and expect exactly that check to fail. */
  readonly negative: boolean;
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

/**
 * The VM the negative run breaks (network-config matches a MAC its ethernet0 does not have) and the
 * check expected to catch it. cloud-init 22.4 then stops applying the network config altogether
 * ("Not all expected physical devices present"), so the guest never answers ssh; the deploy, whose
 * vm-start waits for that guest's IP, is stopped and fails too.
 */
export const NEGATIVE_TARGET = { vm: "gateway1", nicIndex: 0, check: "gateway1/ssh", tolerated: ["-/apply"] } as const;

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 60) throw new InvalidArgumentError("must be a whole number of seconds, at least 60");
  return Number(value);
}

export function parseOptions(argv: readonly string[]): E2eOptions {
  const program = new Command("e2e")
    .description("Boots the VMs the product builds under QEMU in a private network namespace and checks them over ssh")
    .option("--negative", `break ${NEGATIVE_TARGET.vm}'s seed (a wrong MAC in network-config) and pass only if ${NEGATIVE_TARGET.check} catches it`, false)
    .option("--vms <names>", `comma-separated e2e VMs to deploy and boot, from ${E2E_VMS.map((v) => v.name).join(", ")} (default ${DEFAULT_E2E_VMS.join(",")}; with --negative ${NEGATIVE_E2E_VMS.join(",")})`)
    .option("--cache <dir>", "cache and run folder (ignored by git)", ".e2e-cache")
    .option("--results <file>", "results file (default .e2e-results.json, or .e2e-results-negative.json with --negative)")
    .option("--vm-lifetime <seconds>", "hard bound on each QEMU process", positiveInt, 900)
    .option("--golden-only", "build or find the golden image, then stop", false)
    .option("--keep", "keep the run's disks and ISOs after a passing run (a failed run keeps everything)", false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse([...argv], { from: "user" });
  const o = program.opts<{ negative: boolean; vms?: string; cache: string; results?: string; vmLifetime: number; goldenOnly: boolean; keep: boolean }>();
  const vms = (o.vms ?? (o.negative ? NEGATIVE_E2E_VMS : DEFAULT_E2E_VMS).join(",")).split(",").map((s) => s.trim()).filter(Boolean);
  selectVms(vms);
  if (o.negative && !vms.includes(NEGATIVE_TARGET.vm)) throw new InvalidArgumentError(`--negative breaks ${NEGATIVE_TARGET.vm}: include it in --vms`);
  return {
    negative: o.negative,
    vms,
    cacheDir: o.cache,
    resultsFile: o.results ?? (o.negative ? ".e2e-results-negative.json" : ".e2e-results.json"),
    vmLifetimeSeconds: o.vmLifetime,
    goldenOnly: o.goldenOnly,
    keep: o.keep,
  };
}
