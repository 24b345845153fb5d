// `npm run deploy [-- --remove-orphans] [--wait S] [cdktf deploy options, e.g. --auto-approve]`: the VMs
// cluster.yaml no longer names, the doctor's failing checks, then cdktf deploy apt-cache k8s-cluster.
import { Command } from "commander";
import { loadCliContext } from "../lib/commands/common/context";
import { configureDeployCommand, realDeploySteps } from "../lib/commands/deploy/run-deploy";
import { runMain } from "../lib/runtime/entry/main";

runMain("deploy", async () => {
  const root = process.cwd();
  const program = new Command("deploy").description(
    "build or update the APT cache and the cluster: npx cdktf deploy apt-cache k8s-cluster, under the project lock",
  );
  await configureDeployCommand(program, () => loadCliContext(root), realDeploySteps(root)).parseAsync(
    process.argv,
  );
});
