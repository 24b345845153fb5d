/**
 * The state file at the local backend's path, shaped like Terraform's format version 4 (resources with
 * instances holding attributes, "status": "tainted", dependencies; outputs) so a person can read it, but
 * written only by this simulator. The engine persists the whole working state whenever an operation
 * completes, as Terraform 1.11.4's local backend does (updateStateHook -> statemgr.Filesystem.WriteState,
 * after a resource's provisioners end), and at the end of the run; so a run killed mid-way leaves what
 * the last completed operation wrote. A plan never writes. The state before the run goes to
 * `<path>.backup`, as the local backend does.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { Mode, TERRAFORM_VERSION } from "./config";
import { ObjectValue, Value } from "./expressions";

const STATE_FORMAT_VERSION = 4;
/** Terraform's own version with a pre-release tag, so a state file tells whether the interpreter wrote it. */
const SIMULATOR_VERSION = `${TERRAFORM_VERSION}-terraform-apply-sim`;

export interface ResourceState {
  readonly address: string;
  readonly mode: Mode;
  readonly type: string;
  readonly name: string;
  readonly attributes: ObjectValue;
  readonly tainted: boolean;
  /** Managed resources this one depends on, directly or not (orders destroys, as Terraform records them). */
  readonly dependencies: readonly string[];
}

interface StateFileV4 {
  version: number;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, { value: Value; type: string }>;
  resources: {
    mode: Mode;
    type: string;
    name: string;
    provider: string;
    instances: {
      schema_version: number;
      status?: "tainted";
      attributes: ObjectValue;
      dependencies?: string[];
    }[];
  }[];
}

const PROVIDERS: Record<string, string> = {
  null_resource: "registry.terraform.io/hashicorp/null",
  local_file: "registry.terraform.io/hashicorp/local",
  terraform_data: "terraform.io/builtin/terraform",
  external: "registry.terraform.io/hashicorp/external",
};

export class StateStore {
  readonly resources = new Map<string, ResourceState>();
  outputs: Record<string, Value> = {};
  private serial = 0;
  private lineage: string = crypto.randomUUID();
  private backedUp = false;

  private constructor(readonly path: string) {}

  static load(file: string): StateStore {
    const store = new StateStore(file);
    if (!fs.existsSync(file)) return store;
    let json: StateFileV4;
    try {
      json = JSON.parse(fs.readFileSync(file, "utf8")) as StateFileV4;
    } catch (err) {
      throw new Error(
        `cannot read the state file ${file}: ${(err as Error).message}; remove it only if nothing it records exists any more`,
        { cause: err },
      );
    }
    if (json.version !== STATE_FORMAT_VERSION || !Array.isArray(json.resources))
      throw new Error(`${file} is not a version ${STATE_FORMAT_VERSION} state file`);
    store.serial = json.serial ?? 0;
    store.lineage = json.lineage ?? store.lineage;
    store.outputs = Object.fromEntries(Object.entries(json.outputs ?? {}).map(([k, o]) => [k, o.value]));
    for (const r of json.resources) {
      const address = r.mode === "data" ? `data.${r.type}.${r.name}` : `${r.type}.${r.name}`;
      const inst = r.instances[0];
      if (!inst) continue;
      store.resources.set(address, {
        address,
        mode: r.mode,
        type: r.type,
        name: r.name,
        attributes: inst.attributes,
        tainted: inst.status === "tainted",
        dependencies: inst.dependencies ?? [],
      });
    }
    return store;
  }

  get(address: string): ResourceState | undefined {
    return this.resources.get(address);
  }

  /** Writes `resources` and `outputs` as they are now (changes are made in memory, then persisted). */
  persist(): void {
    if (!this.backedUp) {
      if (fs.existsSync(this.path)) fs.copyFileSync(this.path, `${this.path}.backup`);
      this.backedUp = true;
    }
    this.serial++;
    const sorted = [...this.resources.values()].sort((a, b) =>
      a.address < b.address ? -1 : a.address > b.address ? 1 : 0,
    );
    const json: StateFileV4 = {
      version: STATE_FORMAT_VERSION,
      terraform_version: SIMULATOR_VERSION,
      serial: this.serial,
      lineage: this.lineage,
      outputs: Object.fromEntries(
        Object.entries(this.outputs).map(([k, v]) => [
          k,
          { value: v, type: Array.isArray(v) ? "list" : v === null ? "null" : typeof v },
        ]),
      ),
      resources: sorted.map((r) => ({
        mode: r.mode,
        type: r.type,
        name: r.name,
        provider: `provider["${PROVIDERS[r.type] ?? r.type}"]`,
        instances: [
          {
            schema_version: 0,
            ...(r.tainted ? { status: "tainted" as const } : {}),
            attributes: r.attributes,
            ...(r.mode === "managed" ? { dependencies: [...r.dependencies] } : {}),
          },
        ],
      })),
    };
    const tmp = `${this.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(json, null, 2)}\n`);
    fs.renameSync(tmp, this.path);
  }
}
