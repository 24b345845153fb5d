import type { ClusterModel, VmSpec } from "../config/model";
import type { GuestFileEntry } from "./guest-manifest";
import { type AddressOf, type GatewayVariables, renderKeepalivedConf, renderNginxConf } from "./gateway";
import { renderHostsBlock } from "./hosts";
import type { SeedTemplates } from "./templates";

/** One file guest-config installs on a guest. */
export interface GuestFile {
  /** File name under `generated/<vm>/guest/` (a plain name). */
  readonly name: string;
  /** Absolute path on the guest. */
  readonly target: string;
  /** Terraform template text (escaped literals, `${...}` references). */
  readonly content: string;
  /** `file` replaces the target; `hosts-block` replaces only the k8s-lab block of /etc/hosts. @default "file" */
  readonly kind?: GuestFileEntry["kind"];
  /** Octal mode of the installed file. @default "0644" */
  readonly mode?: string;
  /** The consumer that checks the file on the guest before it is installed. @default none */
  readonly validate?: GuestFileEntry["validate"];
  /** systemd units reloaded when the file changes and kept running. @default [] */
  readonly units?: readonly string[];
}

/** The role files of `vm` that depend on addresses or variables known only at apply time. */
export function guestFilesFor(
  vm: VmSpec,
  model: ClusterModel,
  addressOf: AddressOf,
  vars: GatewayVariables,
  templates: SeedTemplates,
): GuestFile[] {
  const files: GuestFile[] = [
    {
      name: "hosts",
      target: "/etc/hosts",
      kind: "hosts-block",
      content: renderHostsBlock(model, addressOf, vars.internalVip, templates),
    },
  ];
  if (vm.role === "gateway") {
    files.push(
      {
        name: "nginx.conf",
        target: "/etc/nginx/nginx.conf",
        content: renderNginxConf(model, addressOf, vars, templates),
        validate: "nginx",
        units: ["nginx.service"],
      },
      {
        name: "keepalived.conf",
        target: "/etc/keepalived/keepalived.conf",
        // It holds the VRRP password.
        mode: "0600",
        content: renderKeepalivedConf(vm, model, addressOf, vars, templates),
        validate: "keepalived",
        units: ["keepalived.service"],
      },
    );
  }
  return files;
}
