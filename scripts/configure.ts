// `npm run configure [-- --dry-run] [--force] [--no-probe]`: write a cluster.yaml that fits this host.
import { Command } from "commander";
import { realAddressProbe } from "../lib/commands/configure/address-probe";
import { runConfigure } from "../lib/commands/configure/command";
import { realHostFacts } from "../lib/commands/configure/host-facts";
import { runMain } from "../lib/runtime/entry/main";

runMain("configure", async () => {
  const program = new Command("configure")
    .description(
      "write a cluster.yaml for this host: the LAN of the default route, a free external VIP at its high end, and a cluster size that fits the memory",
    )
    .option("--dry-run", "print what would be written; write nothing")
    .option(
      "--force",
      "update an existing cluster.yaml: recompute the LAN, the external VIP and the cluster size, keep every other setting (the diff is shown, the old file kept as .bak)",
    )
    .option("--no-probe", "do not ping/ARP the VIP candidates on the LAN (take the first one)")
    .parse(process.argv);
  const opts = program.opts<{ dryRun?: boolean; force?: boolean; probe: boolean }>();
  await runConfigure(
    { dryRun: opts.dryRun, force: opts.force, probe: opts.probe ? realAddressProbe() : undefined },
    { facts: realHostFacts(), projectRoot: process.cwd(), out: (text) => process.stdout.write(text) },
  );
});
