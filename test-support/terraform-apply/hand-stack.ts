/**
 * Hand-written stacks for the interpreter's own tests: a temp dir laid out like a cdktf project
 * (`<root>/cdktf.out/stacks/s`, state at `<root>/terraform.s.tfstate`) whose provisioners are tiny sh
 * commands appending to `<root>/events.log`. (Not a test file.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EMULATED_PROVIDERS } from "./config";

export type Json = Record<string, unknown>;

export interface HandStack {
  readonly root: string;
  readonly stackDir: string;
  abs(rel: string): string;
  /** Writes cdk.tf.json: the backend, the emulated providers pinned, and `parts`. */
  write(parts: { resource?: Json; data?: Json; variable?: Json; output?: Json; terraform?: Json }): void;
  /** The lines the provisioners appended to events.log. */
  events(): string[];
  touch(rel: string): void;
  readState(): Json & { resources: Json[] };
  /** The first instance of `type.name` in the state file, or undefined. */
  stateInstance(type: string, name: string): Json | undefined;
  cleanup(): void;
}

export function makeHandStack(): HandStack {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "tf-apply-sim-")));
  const stackDir = path.join(root, "cdktf.out", "stacks", "s");
  fs.mkdirSync(stackDir, { recursive: true });
  const abs = (rel: string) => path.join(root, rel);
  const readState = () =>
    JSON.parse(fs.readFileSync(abs("terraform.s.tfstate"), "utf8")) as Json & { resources: Json[] };
  return {
    root,
    stackDir,
    abs,
    write(parts) {
      const { terraform, ...rest } = parts;
      const json = {
        "//": { metadata: { note: "cdktf metadata is ignored" } },
        terraform: {
          backend: { local: { path: "../../../terraform.s.tfstate" } },
          required_providers: { null: { source: "null", version: EMULATED_PROVIDERS.null.version } },
          ...terraform,
        },
        provider: { null: [{}], local: [{}] },
        ...rest,
      };
      fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(json, null, 2));
    },
    events: () =>
      fs.existsSync(abs("events.log")) ? fs.readFileSync(abs("events.log"), "utf8").trim().split("\n") : [],
    touch: (rel) => fs.writeFileSync(abs(rel), ""),
    readState,
    stateInstance: (type, name) =>
      (
        readState().resources.find((r) => r.type === type && r.name === name)?.instances as Json[] | undefined
      )?.[0],
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** A local-exec block appending `text` (expanded by sh, values via environment) to events.log. */
export const logExec = (text: string, environment: Json = {}, extra: Json = {}): Json => ({
  "local-exec": { command: `echo "${text}" >> ../../../events.log`, environment, ...extra },
});
