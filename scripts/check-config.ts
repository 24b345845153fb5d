// `scripts/run check-config`: validates the config as the synth will, before cdktf starts, so a mistake
// is printed once (cdktf prints an app's stderr twice: live, then again inside its error banner).
import { ConfigError } from "../lib/model/config/errors";
import { loadClusterConfig } from "../lib/runtime/load/cluster-config";

try {
  loadClusterConfig({ projectRoot: process.cwd() });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
