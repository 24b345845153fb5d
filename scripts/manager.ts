// `npm run manager`: the interactive menu; `npm run manager -- <status|start-all|stop-all|snapshot ...>` for scripts.
import { runMain } from "../lib/runtime/entry/main";
import { buildManagerProgram } from "../lib/commands/cli/manager";

runMain("manager", async () => {
  await buildManagerProgram(process.cwd()).parseAsync(process.argv);
});
