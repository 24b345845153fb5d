import type { ClusterModel, NicNetwork, VmSpec } from "../config/model";
import { type SeedTemplates, templateFile } from "./templates";
import type { TextValue } from "./terraform-text";
import { renderTextTemplate } from "./text-template";

/**
 * Pure renderers of the gateways' role files: keepalived (the two VIPs) and nginx (the Kubernetes API
 * load balancer). Output is Terraform template text: addresses that are discovered at apply time and
 * the Terraform variables appear as `${...}` expressions.
 */

/** Terraform variables the gateway files carry. */
export interface GatewayVariables {
  readonly externalVip: TextValue;
  readonly internalVip: TextValue;
  readonly externalRouterId: TextValue;
  readonly internalRouterId: TextValue;
  readonly authPass: TextValue;
}

/** A cluster VM's vmnet address: the configured one (static) or the discovered one (an expression). */
export type AddressOf = (vm: VmSpec) => TextValue;

export const KUBE_API_PORT = 6443;
/** keepalived priority of the first gateway; each next one is 10 lower, so the config order decides. */
const FIRST_GATEWAY_PRIORITY = 150;
/** The keepalived health check: a holder whose nginx is not running gives both VIPs up. */
export const NGINX_CHECK_SCRIPT = "/usr/bin/systemctl is-active --quiet nginx.service";

export function gatewaysOf(model: ClusterModel): VmSpec[] {
  return model.vms.filter((vm) => vm.role === "gateway");
}

export function mastersOf(model: ClusterModel): VmSpec[] {
  return model.vms.filter((vm) => vm.role === "master");
}

export function nicOn(vm: VmSpec, network: NicNetwork): string {
  const nic = vm.nics.find((n) => n.network === network);
  if (nic === undefined)
    throw new Error(
      `VM ${vm.name} has no NIC on the ${network} network; a gateway needs one on lan and one on nat`,
    );
  return nic.ifname;
}

/** keepalived priority of a gateway: the first in the config is preferred. */
export function gatewayPriority(model: ClusterModel, gateway: VmSpec): number {
  const index = gatewaysOf(model).findIndex((g) => g.name === gateway.name);
  if (index < 0) throw new Error(`${gateway.name} is not a gateway of this cluster`);
  return FIRST_GATEWAY_PRIORITY - 10 * index;
}

/** The template files of the gateways' role files, in templates/. */
const GATEWAY_TEMPLATE_FILES = {
  keepalived: "keepalived.conf.mustache",
  nginx: "nginx.conf.mustache",
} as const;

/**
 * `/etc/keepalived/keepalived.conf` of one gateway (templates/keepalived.conf.mustache). Both VRRP
 * instances advertise by unicast over the vmnet NIC, whose addresses the project knows in both
 * addressing modes (a gateway's LAN address comes from the LAN's own DHCP and is never discovered). A lone
 * gateway has no peer: keepalived refuses unicast settings without one, so none are written.
 */
export function renderKeepalivedConf(
  gateway: VmSpec,
  model: ClusterModel,
  addressOf: AddressOf,
  vars: GatewayVariables,
  templates: SeedTemplates,
): string {
  const priority = gatewayPriority(model, gateway);
  const lanIf = nicOn(gateway, "lan");
  const natIf = nicOn(gateway, "nat");
  const peers = gatewaysOf(model).filter((g) => g.name !== gateway.name);
  const unicast =
    peers.length === 0
      ? false
      : { source: addressOf(gateway), peers: peers.map((p) => ({ address: addressOf(p) })) };
  const instance = (name: string, routerId: TextValue, vip: TextValue, prefix: number, dev: string) => ({
    name,
    routerId,
    vip,
    prefix,
    dev,
    unicast,
  });
  return renderTextTemplate(
    GATEWAY_TEMPLATE_FILES.keepalived,
    templateFile(templates, GATEWAY_TEMPLATE_FILES.keepalived),
    {
      gateway: gateway.name,
      preferred: gatewaysOf(model)[0].name,
      natIf,
      lanIf,
      state: priority === FIRST_GATEWAY_PRIORITY ? "MASTER" : "BACKUP",
      priority,
      authPass: vars.authPass,
      checkScript: NGINX_CHECK_SCRIPT,
      instances: [
        instance(
          "VI_EXTERNAL",
          vars.externalRouterId,
          vars.externalVip,
          model.network.lan.prefixLength,
          lanIf,
        ),
        instance(
          "VI_INTERNAL",
          vars.internalRouterId,
          vars.internalVip,
          model.network.nat.prefixLength,
          natIf,
        ),
      ],
    },
  );
}

/**
 * `/etc/nginx/nginx.conf` of every gateway (templates/nginx.conf.mustache): a TCP (stream) load
 * balancer on port 6443 of both VIPs to every master's 6443. With `net.ipv4.ip_nonlocal_bind=1` the
 * backup gateway binds the VIPs before it holds them. Health checks are nginx's passive ones: a master
 * that fails two connections is skipped for 10 s and the connection is retried on the next master.
 */
export function renderNginxConf(
  model: ClusterModel,
  addressOf: AddressOf,
  vars: GatewayVariables,
  templates: SeedTemplates,
): string {
  const masters = mastersOf(model);
  if (masters.length === 0)
    throw new Error("the gateways' nginx needs at least one master to balance the Kubernetes API to");
  return renderTextTemplate(
    GATEWAY_TEMPLATE_FILES.nginx,
    templateFile(templates, GATEWAY_TEMPLATE_FILES.nginx),
    {
      port: KUBE_API_PORT,
      masters: masters.map((m) => ({ address: addressOf(m), name: m.name })),
      internalVip: vars.internalVip,
      externalVip: vars.externalVip,
    },
  );
}
