// `npm run ssh -- <vm> [command...]`, `-- --config`, `-- --forget <vm>`: reach a VM by its name, its host keys pinned.
import { Command } from "commander";
import { forgetCommand, sshToVm, writeConfigCommand } from "../lib/commands/ssh/command";
import { QuietExit, runMain } from "../lib/runtime/entry/main";

runMain("ssh", async () => {
  const say = (text: string) => process.stderr.write(text);
  await new Command("ssh")
    .description(
      "ssh to a VM by its name (address from cluster.yaml, vm-ips.env or the last one it reported; host keys pinned from its console, or at first use)",
    )
    .argument("[vm]", "a VM name from cluster.yaml (or the APT cache's)")
    .argument("[command...]", "run this on the VM instead of a shell")
    .option("--config", "write .ssh/ssh_config (a Host per VM) and print the Include line for ~/.ssh/config")
    .option("--forget", "forget the host key recorded for <vm> at first use (after you rebuilt it)")
    // Everything after the VM's name is the remote command's, its options included (ssh vm ls -la).
    .passThroughOptions()
    .action(
      async (vm: string | undefined, command: string[], opts: { config?: boolean; forget?: boolean }) => {
        const root = process.cwd();
        if (opts.config) return writeConfigCommand(root, say);
        if (vm === undefined) throw new Error("name a VM: npm run ssh -- <vm> [command] (or -- --config)");
        if (opts.forget) return forgetCommand(root, vm, say);
        const code = await sshToVm(root, vm, command, say);
        if (code !== 0) throw new QuietExit(code);
      },
    )
    .parseAsync(process.argv);
});
