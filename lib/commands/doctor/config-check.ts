/** Check 5 (config and SSH key): loads the config itself so a ConfigError becomes a row, not a crash. */
import * as path from "node:path";
import { buildClusterModel, parseClusterConfig } from "../../model/config/build-model";
import { ConfigError, type ConfigIssue, formatIssue } from "../../model/config/errors";
import { DEFAULT_CONFIG_FILE, loadClusterConfig } from "../../runtime/load/cluster-config";
import type { ClusterModel } from "../../model/config/model";
import { isSshSafePath, SSH_UNSAFE_PATH } from "../../runtime/ssh/ssh";
import { type CheckResult, DoctorEnv, failure, ok } from "./types";

export interface ConfigCheck {
  readonly rows: CheckResult[];
  /** The model, when the config is usable for the other checks (even if the SSH key is missing). */
  readonly model?: ClusterModel;
}

/** A syntactically valid key, used only so the other checks can run when the real key is missing. */
const PLACEHOLDER_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholderKeyForDoctorChecksOnly00000000000 doctor";

const isKeyIssue = (e: ConfigError) =>
  e.issues.length > 0 && e.issues.every((i) => i.field === "sshPublicKeyFile");

export function checkConfig(env: DoctorEnv): ConfigCheck {
  const load = {
    projectRoot: env.projectRoot,
    env: env.env,
    homeDir: env.homeDir,
    hostArch: env.hostArch,
    platform: env.platform,
  };
  try {
    const { model, configFile } = loadClusterConfig(load);
    return {
      model,
      rows: [
        ok(
          "config",
          configFile
            ? path.relative(env.projectRoot, configFile) || configFile
            : "no cluster.yaml: built-in defaults",
        ),
        ok("SSH public key", `${model.ssh.publicKey.split(/\s+/)[0]} key for user ${model.ssh.user}`),
        ...projectFolderRows(env.projectRoot),
      ],
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (isKeyIssue(err)) {
      return {
        model: modelWithoutKey(env),
        rows: err.issues.map((i) => keyRow(i)),
      };
    }
    return {
      rows: err.issues.map((i) =>
        failure("config", `${err.source}: ${formatIssue(i)}`, "fix cluster.yaml as the message says"),
      ),
    };
  }
}

/**
 * A key problem reads "what is wrong; what to do": the row shows each part once, what is wrong as
 * the detail and what to do as the fix.
 */
function keyRow(issue: ConfigIssue): CheckResult {
  const cut = issue.problem.indexOf("; ");
  const problem = cut < 0 ? issue.problem : issue.problem.slice(0, cut);
  const fix =
    cut < 0
      ? "ssh-keygen -t ed25519, or point sshPublicKeyFile in cluster.yaml at your .pub file"
      : issue.problem.slice(cut + 2);
  return failure("SSH public key", formatIssue({ ...issue, problem }), fix);
}

/** The same model the loader builds, with a placeholder key (only reached when the key alone was wrong). */
function modelWithoutKey(env: DoctorEnv): ClusterModel | undefined {
  const explicit = env.env.CLUSTER_CONFIG;
  const file = explicit
    ? path.resolve(env.projectRoot, explicit)
    : path.join(env.projectRoot, DEFAULT_CONFIG_FILE);
  const text = env.readFile(file) ?? "";
  try {
    return buildClusterModel(
      parseClusterConfig(text, file),
      {
        hostArch: env.hostArch,
        platform: env.platform,
        sshPublicKey: PLACEHOLDER_KEY,
        sshPublicKeyPath: "(placeholder)",
      },
      file,
    );
  } catch {
    return undefined;
  }
}

/**
 * The project's folder, only when ssh could not be pointed at the host keys pinned in it (the deploy's
 * guest configuration and npm run ssh would fail after the VMs were made): a row that stops the deploy first.
 */
function projectFolderRows(projectRoot: string): CheckResult[] {
  if (isSshSafePath(projectRoot)) return [];
  return [
    failure(
      "project folder",
      `${JSON.stringify(projectRoot)} ${SSH_UNSAFE_PATH} (the VMs' host keys are pinned in files below it)`,
      "move or rename the project folder so its path has none of them",
    ),
  ];
}
