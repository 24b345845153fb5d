import type { ClusterModel, NicNetwork, VmSpec } from "../config/model";
import { terraformTemplate as tf, type TextValue } from "./terraform-text";

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

/**
 * `/etc/keepalived/keepalived.conf` of one gateway. Both VRRP instances advertise by unicast over the
 * vmnet NIC, whose addresses the project knows in both addressing modes (a gateway's LAN address comes
 * from the LAN's own DHCP and is never discovered); each VIP is placed on its own NIC with `dev`. The
 * sync group moves both VIPs together, and the instance goes to FAULT (giving up both) when nginx is
 * not running or either NIC is down (the vmnet NIC is tracked as the VRRP interface itself).
 */
export function renderKeepalivedConf(
  gateway: VmSpec,
  model: ClusterModel,
  addressOf: AddressOf,
  vars: GatewayVariables,
): string {
  const priority = gatewayPriority(model, gateway);
  const lanIf = nicOn(gateway, "lan");
  const natIf = nicOn(gateway, "nat");
  const peers = gatewaysOf(model).filter((g) => g.name !== gateway.name);
  const state = priority === FIRST_GATEWAY_PRIORITY ? "MASTER" : "BACKUP";
  // A lone gateway has no peer: keepalived refuses unicast settings without one, so none are written.
  const unicast =
    peers.length === 0
      ? ""
      : tf`  unicast_src_ip ${addressOf(gateway)}\n  unicast_peer {\n` +
        peers.map((p) => tf`    ${addressOf(p)}\n`).join("") +
        tf`  }\n`;
  const instance = (name: string, routerId: TextValue, vip: TextValue, prefix: number, dev: string) =>
    tf`
vrrp_instance ${name} {
  state ${state}
  interface ${natIf}
  virtual_router_id ${routerId}
  priority ${priority}
  advert_int 1
` +
    unicast +
    tf`  authentication {
    auth_type PASS
    auth_pass ${vars.authPass}
  }
  virtual_ipaddress {
    ${vip}/${prefix} dev ${dev}
  }
  track_interface {
    ${lanIf}
  }
  track_script {
    chk_nginx
  }
}
`;
  return (
    tf`# Written by k8s-lab (guest-config) for ${gateway.name}; replaced at every deploy.
# VRRP between the gateways, advertised by unicast on the vmnet NIC (${natIf}); ${gatewaysOf(model)[0].name} is preferred.
global_defs {
  router_id ${gateway.name}
  enable_script_security
  script_user root
}

vrrp_script chk_nginx {
  script "${NGINX_CHECK_SCRIPT}"
  interval 2
  fall 2
  rise 2
}

vrrp_sync_group K8S_LAB_VIPS {
  group {
    VI_EXTERNAL
    VI_INTERNAL
  }
}
` +
    instance("VI_EXTERNAL", vars.externalRouterId, vars.externalVip, model.network.lan.prefixLength, lanIf) +
    instance("VI_INTERNAL", vars.internalRouterId, vars.internalVip, model.network.nat.prefixLength, natIf)
  );
}

/**
 * `/etc/nginx/nginx.conf` of every gateway: a TCP (stream) load balancer on port 6443 of both VIPs to
 * every master's 6443. With `net.ipv4.ip_nonlocal_bind=1` the backup gateway binds the VIPs before it
 * holds them. Health checks are nginx's passive ones: a master that fails two connections is skipped
 * for 10 s and the connection is retried on the next master (proxy_next_upstream, on by default).
 */
export function renderNginxConf(model: ClusterModel, addressOf: AddressOf, vars: GatewayVariables): string {
  const masters = mastersOf(model);
  if (masters.length === 0)
    throw new Error("the gateways' nginx needs at least one master to balance the Kubernetes API to");
  const upstreams = masters
    .map((m) => tf`    server ${addressOf(m)}:${KUBE_API_PORT} max_fails=2 fail_timeout=10s;  # ${m.name}\n`)
    .join("");
  return (
    tf`# Written by k8s-lab (guest-config); replaced at every deploy.
# This gateway's nginx is the Kubernetes API load balancer (stream module, TCP passthrough).
user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
include /etc/nginx/modules-enabled/*.conf;

events {
  worker_connections 1024;
}

stream {
  log_format k8s_api '$remote_addr [$time_local] $status $upstream_addr $session_time';
  access_log /var/log/nginx/k8s-api.log k8s_api;

  upstream kube_apiserver {
` +
    upstreams +
    tf`  }

  server {
    listen ${vars.internalVip}:${KUBE_API_PORT};
    listen ${vars.externalVip}:${KUBE_API_PORT};
    proxy_pass kube_apiserver;
    proxy_connect_timeout 2s;
    # kubectl watches and logs -f keep connections open for a long time.
    proxy_timeout 1h;
  }
}

http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /var/log/nginx/access.log;
  include /etc/nginx/conf.d/*.conf;
  include /etc/nginx/sites-enabled/*;
}
`
  );
}
