import { Construct } from "constructs";
import { Fn } from "cdktf";
import { File } from "@cdktf/provider-local/lib/file";
import { Resource } from "@cdktf/provider-null/lib/resource";
import type { TextValue } from "../lib/model/render/terraform-text";
import { templateTextOf } from "../lib/model/render/terraform-text";
import { GUEST_MANIFEST_NAME, type GuestFileEntry } from "../lib/model/render/guest-manifest";
import type { GuestFile } from "../lib/model/render/guest-files";
import { GUEST_CONFIG } from "../lib/model/entry/contracts";
import { ProjectLayout, selfTrigger } from "./project-layout";
import type { LabMachine } from "./machine-set";
import { StepHook, stepEnvironment, stepLifecycle } from "./step-check";

export interface GuestConfigProps {
  readonly machine: LabMachine;
  readonly files: readonly GuestFile[];
  /** The VM's SSH address: a literal (static addressing) or the discovered IP's expression. */
  readonly address: TextValue;
  readonly sshUser: string;
  /** Private key guest-config uses (`~/` allowed). @default ssh's own choice (agent, ~/.ssh/id_ed25519) */
  readonly identityFile?: string;
  /** How long guest-config waits for SSH and for cloud-init to finish, in seconds. @default GUEST_CONFIG's GUEST_WAIT_SECONDS (900) */
  readonly waitSeconds?: number;
  /** This step's hook in the stack's StepCheck: its result is checked at every plan, and made again when missing. @default not checked */
  readonly step?: StepHook;
}

/**
 * The role files of one VM that depend on other VMs' addresses or on Terraform variables (the
 * /etc/hosts block, keepalived, nginx). They are rendered under `generated/<vm>/guest/` and installed
 * over SSH once the VM and every address they mention exist, so in `dhcp` mode they are configured
 * after the addresses are discovered. A changed file re-runs only this step: no disk, seed or VMX is
 * touched. A new VM (a replaced power resource) gets them again.
 */
export class GuestConfig extends Construct {
  public readonly resource: Resource;
  public readonly files: readonly File[];
  public readonly manifest: File;
  /** Project-relative folder of the rendered files. */
  public readonly dir: string;

  constructor(scope: Construct, id: string, props: GuestConfigProps) {
    super(scope, id);
    const vm = props.machine.spec;
    if (props.files.length === 0)
      throw new Error(`guest config of ${vm.name} has no files; give at least one`);
    this.dir = `${vm.generatedDir}/guest`;
    const seen = new Set<string>();
    for (const f of props.files) {
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(f.name) || f.name === GUEST_MANIFEST_NAME) {
        throw new Error(
          `guest file name ${JSON.stringify(f.name)} of ${vm.name} must be a plain lower-case file name other than ${GUEST_MANIFEST_NAME}`,
        );
      }
      if (!/^\/[A-Za-z0-9._/-]+$/.test(f.target) || f.target.split("/").includes("..")) {
        throw new Error(
          `guest file target ${JSON.stringify(f.target)} of ${vm.name} must be an absolute path without '..'`,
        );
      }
      if (seen.has(f.name) || seen.has(f.target))
        throw new Error(`guest config of ${vm.name} lists ${f.name} (${f.target}) twice`);
      seen.add(f.name).add(f.target);
    }
    const file = (fileId: string, name: string, content: string) =>
      new File(this, fileId, {
        filename: ProjectLayout.of(this).fromStackDir(`${this.dir}/${name}`),
        content,
        filePermission: "0644",
        directoryPermission: "0755",
      });
    this.files = props.files.map((f) => file(f.name.replace(/[^a-z0-9]/g, "_"), f.name, f.content));
    const entries: GuestFileEntry[] = props.files.map((f) => ({
      source: f.name,
      target: f.target,
      kind: f.kind ?? "file",
      mode: f.mode ?? "0644",
      validate: f.validate ?? null,
      units: [...(f.units ?? [])],
    }));
    // Static text: paths, modes and unit names only (the contents are in the files beside it).
    this.manifest = file(
      "manifest",
      GUEST_MANIFEST_NAME,
      templateTextOf(`${JSON.stringify({ vm: vm.name, files: entries }, null, 2)}\n`),
    );

    this.resource = new Resource(this, "apply", {
      triggers: {
        vm_name: vm.name,
        host: templateTextOf(props.address),
        manifest_path: `${this.dir}/${GUEST_MANIFEST_NAME}`,
        manifest: this.manifest.contentSha256,
        files: Fn.sha256(
          Fn.join(
            ",",
            this.files.map((f) => f.contentSha256),
          ),
        ),
        // A replaced VM (new disk, seed or VMX) starts without these files.
        power: props.machine.runningId,
      },
      lifecycle: stepLifecycle(props.step),
      provisioners: [
        ProjectLayout.of(this).localExec(GUEST_CONFIG, {
          VM_NAME: selfTrigger("vm_name"),
          SSH_HOST: selfTrigger("host"),
          SSH_USER: props.sshUser,
          GUEST_MANIFEST: selfTrigger("manifest_path"),
          GUEST_WAIT_SECONDS: props.waitSeconds,
          SSH_IDENTITY_FILE: props.identityFile,
          SSH_KNOWN_HOSTS: props.machine.hostKeys.knownHostsFile,
          SSH_CONSOLE_LOG: props.machine.hostKeys.consoleLog,
          SSH_PINS_EPOCH: props.machine.hostKeys.epoch,
          VMX_PATH: props.machine.vmxPath,
          ...stepEnvironment(props.step),
        }),
      ],
      dependsOn: [...this.files],
    });
  }
}
