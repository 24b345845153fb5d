// `npm run render -- <vm> [--out <dir>]`: the cloud-init seed, .vmx and role files of one VM, as a deploy writes them.
import { Command } from "commander";
import { renderCommand } from "../lib/commands/render/command";
import { runMain } from "../lib/runtime/entry/main";

runMain("render", async () => {
  await new Command("render")
    .description(
      "print the files a deploy writes for one VM (cloud-init user-data, meta-data, network-config, the .vmx and, on cluster VMs, /etc/hosts, keepalived and nginx), with the Terraform variables at their defaults; nothing is built or changed",
    )
    .argument("<vm>", "a VM name from cluster.yaml (or the APT cache's)")
    .option(
      "--out <dir>",
      "write the files into this folder (laid out as generated/<vm>/) instead of printing them",
    )
    .action((vm: string, opts: { out?: string }) => renderCommand(process.cwd(), vm, opts))
    .parseAsync(process.argv);
});
