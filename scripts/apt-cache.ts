// `npm run apt-cache -- status [--json]`: is the APT cache up, its hits and misses, its size (over SSH).
import { Command } from "commander";
import { loadClusterConfig } from "../lib/runtime/load/cluster-config";
import { CommandFailedError } from "../lib/commands/common/report";
import { hostWords } from "../lib/model/host-words";
import { explainSubcommands } from "../lib/commands/cli/subcommands";
import { vmSshTarget } from "../lib/runtime/ssh/vm-target";
import { runMain } from "../lib/runtime/entry/main";
import { aptCacheStatus, formatAptCacheStatus, isHealthy } from "../lib/commands/apt-cache/status";

runMain("apt-cache", async () => {
  const program = new Command("apt-cache").description("The APT cache VM (apt-cacher-ng)").exitOverride();
  program
    .command("status")
    .description("service state, hits and misses from its log, cache size; exit 1 when it is not healthy")
    .option("--json", "print the status as JSON")
    .action(async (opts: { json?: boolean }) => {
      const { model } = loadClusterConfig({ projectRoot: process.cwd() });
      const status = await aptCacheStatus({
        name: model.aptCache.vm.name,
        target: vmSshTarget(process.cwd(), model, model.aptCache.vm, model.aptCache.address),
        port: model.aptCache.port,
        timeoutMs: 30_000,
      });
      process.stdout.write(
        opts.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatAptCacheStatus(status)}\n`,
      );
      if (!isHealthy(status)) {
        throw new CommandFailedError(
          `${status.name} is not healthy: ${status.error ?? (status.reachable ? `apt-cacher-ng is ${status.report?.service}` : `${status.address}:${status.port} does not answer from ${hostWords(process.platform).thisHost}`)}`,
        );
      }
    });
  await explainSubcommands(program, "npm run apt-cache --").parseAsync(process.argv);
});
