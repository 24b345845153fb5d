import * as path from "node:path";
import { App } from "cdktf";
import { ConfigError } from "./lib/model/config/errors";
import { loadClusterConfig } from "./lib/runtime/load/cluster-config";
import { loadSeedTemplates } from "./lib/runtime/load/seed-templates";
import { AptCacheStack } from "./stacks/apt-cache-stack";
import { K8sClusterStack } from "./stacks/k8s-cluster-stack";

// The one place that reads the outside world: config file, SSH key, host arch, templates.
const projectRoot = __dirname;
// tsx turns source maps on, and cdktf captures a whole stack trace for every token it makes: mapping
// those was a sixth of a synth. An error's stack is formatted when it is read, after they are back on.
const sourceMaps = process.sourceMapsEnabled;
process.setSourceMapsEnabled(false);
try {
  const { model } = loadClusterConfig({ projectRoot });
  const templates = loadSeedTemplates(path.join(projectRoot, "templates"));
  const app = new App();
  new AptCacheStack(app, "apt-cache", { model, templates });
  new K8sClusterStack(app, "k8s-cluster", { model, templates });
  app.synth();
} catch (err) {
  process.setSourceMapsEnabled(sourceMaps);
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
