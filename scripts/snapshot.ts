// `npm run snapshot -- <create|list|rollback|delete> ...`: snapshot sets of the cluster VMs.
import { runMain } from "../lib/runtime/entry/main";
import { loadCliContext } from "../lib/commands/common/context";
import { buildSnapshotCommand } from "../lib/commands/cli/snapshot-commands";

runMain("snapshot", async () => {
  const root = process.cwd();
  await buildSnapshotCommand((timeoutSeconds) => loadCliContext(root, { timeoutSeconds })).parseAsync(
    process.argv,
  );
});
