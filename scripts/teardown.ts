// `npm run teardown [-- --yes --include-apt-cache --purge-images --skip-destroy]`: delete the cluster for good.
import { Command } from "commander";
import { loadCliContext } from "../lib/commands/common/context";
import { cdktfDestroyStep } from "../lib/commands/cli/manager";
import { runMain } from "../lib/runtime/entry/main";
import { configureTeardownCommand } from "../lib/commands/teardown/command";

runMain("teardown", async () => {
  const root = process.cwd();
  const program = new Command("teardown").description(
    "delete the cluster VMs, their generated files, the cluster's Terraform state and the inventory",
  );
  await configureTeardownCommand(program, () => loadCliContext(root), cdktfDestroyStep(root)).parseAsync(
    process.argv,
  );
});
