// `npm run snapshot -- <create|list|rollback|delete> ...`: snapshot sets of the cluster VMs.
import { runMain } from "../lib/entry/main";
import { loadCliContext } from "../lib/cli/context";
import { buildSnapshotCommand } from "../lib/cli/snapshot-commands";

runMain("snapshot", async () => {
  const root = process.cwd();
  await buildSnapshotCommand((timeoutSeconds) => loadCliContext(root, { timeoutSeconds })).parseAsync(
    process.argv,
  );
});
