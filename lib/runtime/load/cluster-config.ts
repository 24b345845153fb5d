import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildClusterModel, parseClusterConfig } from "../../model/config/build-model";
import { ConfigError } from "../../model/config/errors";
import { ClusterModel } from "../../model/config/model";

export const DEFAULT_CONFIG_FILE = "cluster.yaml";

export interface LoadOptions {
  readonly projectRoot: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default os.homedir() */
  readonly homeDir?: string;
  /** @default process.arch */
  readonly hostArch?: string;
  /** @default process.platform */
  readonly platform?: string;
}

export interface LoadedConfig {
  readonly model: ClusterModel;
  /** The config file that was read, or undefined when the defaults were used. */
  readonly configFile: string | undefined;
}

/**
 * Reads the outside world once: the config file (`$CLUSTER_CONFIG`, else `cluster.yaml` in the
 * project, else built-in defaults), the SSH public key it names, and the host's architecture.
 */
export function loadClusterConfig(opts: LoadOptions): LoadedConfig {
  const env = opts.env ?? process.env;
  const explicit = env.CLUSTER_CONFIG;
  const configFile = explicit
    ? path.resolve(opts.projectRoot, explicit)
    : path.join(opts.projectRoot, DEFAULT_CONFIG_FILE);
  let text = "";
  let used: string | undefined;
  if (fs.existsSync(configFile)) {
    text = fs.readFileSync(configFile, "utf8");
    used = configFile;
  } else if (explicit) {
    throw new ConfigError(`CLUSTER_CONFIG=${explicit}`, [
      {
        field: "CLUSTER_CONFIG",
        value: explicit,
        problem: "no such file; fix the path or unset CLUSTER_CONFIG to use cluster.yaml",
      },
    ]);
  }
  const source = used
    ? path.relative(opts.projectRoot, used) || used
    : "cluster config (no cluster.yaml: built-in defaults)";
  return { model: loadClusterConfigText(text, source, opts), configFile: used };
}

/** The model of config text (what `source` names in messages), with the SSH key it names read as every command reads it. */
export function loadClusterConfigText(text: string, source: string, opts: LoadOptions): ClusterModel {
  const home = opts.homeDir ?? os.homedir();
  const config = parseClusterConfig(text, source);
  const keyPath = expandHome(config.sshPublicKeyFile, home, opts.projectRoot);
  let key: string | undefined;
  let keyProblem: string | undefined;
  // Checked before reading: a FIFO would block every command, /dev/zero would never end.
  const stat = fs.statSync(keyPath, { throwIfNoEntry: false });
  if (stat !== undefined && !stat.isFile()) {
    keyProblem =
      "is not a regular file; point sshPublicKeyFile at your .pub file (e.g. ~/.ssh/id_ed25519.pub)";
  } else if (stat !== undefined && stat.size > MAX_KEY_FILE_BYTES) {
    keyProblem = `is ${stat.size} bytes, too big for a public key; point sshPublicKeyFile at your .pub file`;
  } else {
    try {
      key = fs.readFileSync(keyPath, "utf8");
    } catch {
      key = undefined;
    }
  }
  return buildClusterModel(
    config,
    {
      hostArch: opts.hostArch ?? process.arch,
      platform: opts.platform ?? process.platform,
      sshPublicKey: key,
      sshPublicKeyPath: keyPath,
      ...(keyProblem !== undefined ? { sshPublicKeyProblem: keyProblem } : {}),
    },
    source,
  );
}

/** An OpenSSH public key line is well under 1 KiB (RSA 16384 is about 2.8 KiB). */
const MAX_KEY_FILE_BYTES = 16 * 1024;

function expandHome(p: string, home: string, root: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return path.resolve(root, p);
}
