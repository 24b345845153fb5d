import { realTemplates } from "../../../../test-support/synth";
import type { VmSpec } from "../../../../lib/model/config/model";
import {
  gatewayPriority,
  NGINX_CHECK_SCRIPT,
  renderKeepalivedConf,
  renderNginxConf,
  type AddressOf,
} from "../../../../lib/model/render/gateway";
import { modelFixture, vmByName } from "../../../../test-support/model-fixture";
import {
  GATEWAY_VARIABLE_EXPRESSIONS,
  gatewayVariableValues,
} from "../../../../test-support/variable-fixtures";
import { renderTemplate } from "../../../../test-support/terraform-apply/template";
import { requireTools } from "../../../../test-support/required-tools";
import { Validators } from "../../../../test-support/validators";

const keepalivedTools = requireTools("keepalived-netns");
const nginxTools = requireTools("nginx-stream");

const model = modelFixture();
const gateway1 = vmByName(model, "gateway1");
const gateway2 = vmByName(model, "gateway2");
const MASTERS = ["k8s-master1", "k8s-master2", "k8s-master3"];

/** Static mode: addresses known at synth time. */
const STATIC: Record<string, string> = {
  gateway1: "10.10.0.11",
  gateway2: "10.10.0.12",
  "k8s-master1": "10.10.0.21",
  "k8s-master2": "10.10.0.22",
  "k8s-master3": "10.10.0.23",
  "k8s-worker1": "10.10.0.31",
  "k8s-worker2": "10.10.0.32",
};
const literalAddress: AddressOf = (vm: VmSpec) => ({ literal: STATIC[vm.name] });
/** DHCP mode: each address is the discovered IP's Terraform expression. */
const discoveredAddress: AddressOf = (vm: VmSpec) => ({
  expression: `data.external.${vm.name}_ip.result.ip`,
});
/** What Terraform evaluates the rendered text against: the variables, and each VM's data source result. */
const values = {
  var: gatewayVariableValues(model),
  data: {
    external: Object.fromEntries(
      Object.entries(STATIC).map(([name, ip]) => [`${name}_ip`, { result: { ip } }]),
    ),
  },
};

const MODES: [string, AddressOf][] = [
  ["static", literalAddress],
  ["dhcp", discoveredAddress],
];

describe.each(MODES)("keepalived.conf (%s addressing)", (_mode, addressOf) => {
  const conf1 = renderTemplate(
    renderKeepalivedConf(gateway1, model, addressOf, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
    values,
  );
  const conf2 = renderTemplate(
    renderKeepalivedConf(gateway2, model, addressOf, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
    values,
  );
  const instance = (conf: string, name: string) => {
    const m = new RegExp(`vrrp_instance ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(conf);
    if (!m) throw new Error(`no ${name} in\n${conf}`);
    return m[1];
  };

  it("puts the external VIP on the LAN NIC and the internal VIP on the vmnet NIC, both in one sync group", () => {
    expect(instance(conf1, "VI_EXTERNAL")).toMatch(
      /virtual_ipaddress \{\n\s+192\.168\.68\.210\/24 dev ens160\n/,
    );
    expect(instance(conf1, "VI_INTERNAL")).toMatch(
      /virtual_ipaddress \{\n\s+10\.10\.0\.100\/24 dev ens192\n/,
    );
    expect(conf1).toMatch(/vrrp_sync_group K8S_LAB_VIPS \{\n\s+group \{\n\s+VI_EXTERNAL\n\s+VI_INTERNAL\n/);
  });

  it("prefers gateway1 (MASTER, higher priority) and advertises by unicast between the gateways' vmnet addresses", () => {
    for (const name of ["VI_EXTERNAL", "VI_INTERNAL"]) {
      expect(instance(conf1, name)).toMatch(/state MASTER\n[\s\S]*priority 150\n/);
      expect(instance(conf2, name)).toMatch(/state BACKUP\n[\s\S]*priority 140\n/);
      expect(instance(conf1, name)).toMatch(/interface ens192\n/);
      expect(instance(conf1, name)).toContain(
        "unicast_src_ip 10.10.0.11\n  unicast_peer {\n    10.10.0.12\n  }",
      );
      expect(instance(conf2, name)).toContain(
        "unicast_src_ip 10.10.0.12\n  unicast_peer {\n    10.10.0.11\n  }",
      );
    }
    expect(gatewayPriority(model, gateway1)).toBeGreaterThan(gatewayPriority(model, gateway2));
  });

  it("takes router ids and the password from the variables, and tracks nginx and both NICs", () => {
    expect(instance(conf1, "VI_EXTERNAL")).toMatch(/virtual_router_id 51\n/);
    expect(instance(conf1, "VI_INTERNAL")).toMatch(/virtual_router_id 52\n/);
    expect(instance(conf1, "VI_INTERNAL")).toMatch(/auth_type PASS\n\s+auth_pass k8s-lab\n/);
    expect(conf1).toContain(`script "${NGINX_CHECK_SCRIPT}"`);
    for (const name of ["VI_EXTERNAL", "VI_INTERNAL"]) {
      expect(instance(conf1, name)).toMatch(/track_interface \{\n\s+ens160\n\s+\}/);
      expect(instance(conf1, name)).toMatch(/track_script \{\n\s+chk_nginx\n/);
    }
  });

  keepalivedTools.it("passes keepalived -t in a namespace with ens160 and ens192", async () => {
    const v = new Validators();
    try {
      for (const conf of [conf1, conf2]) {
        const result = await v.keepalivedCheck(conf, ["ens160", "ens192"]);
        expect({ code: result.code, out: result.stdout + result.stderr }).toEqual({
          code: 0,
          out: expect.any(String),
        });
      }
    } finally {
      v.cleanup();
    }
  });
});

keepalivedTools.describe("keepalived -t catches a broken config", () => {
  it("fails for an out-of-range router id, and when the vmnet NIC is missing", async () => {
    const v = new Validators();
    try {
      const bad = renderTemplate(
        renderKeepalivedConf(gateway1, model, literalAddress, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
        { ...values, var: { ...values.var, vrrp_router_id_external: "300" } },
      );
      expect((await v.keepalivedCheck(bad, ["ens160", "ens192"])).code).not.toBe(0);
      const good = renderTemplate(
        renderKeepalivedConf(gateway1, model, literalAddress, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
        values,
      );
      expect((await v.keepalivedCheck(good, ["ens160"])).code).not.toBe(0);
    } finally {
      v.cleanup();
    }
  });
});

describe.each(MODES)("nginx.conf (%s addressing)", (_mode, addressOf) => {
  const conf = renderTemplate(
    renderNginxConf(model, addressOf, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
    values,
  );

  it("balances port 6443 of both VIPs over every master's 6443", () => {
    const upstream = /upstream kube_apiserver \{\n([\s\S]*?)\n\s*\}/.exec(conf)?.[1] ?? "";
    expect(upstream.match(/server \S+/g)).toEqual(MASTERS.map((m) => `server ${STATIC[m]}:6443`));
    expect(upstream).toMatch(/max_fails=2 fail_timeout=10s/);
    expect(conf).toContain("listen 10.10.0.100:6443;");
    expect(conf).toContain("listen 192.168.68.210:6443;");
    expect(conf).toContain("proxy_pass kube_apiserver;");
    expect(conf).toContain("include /etc/nginx/modules-enabled/*.conf;");
  });

  nginxTools.it("passes nginx -t with the stream module", async () => {
    const v = new Validators();
    try {
      const result = await v.nginxCheck(conf);
      expect({ code: result.code, err: result.stderr }).toEqual({
        code: 0,
        err: expect.stringContaining("test is successful"),
      });
    } finally {
      v.cleanup();
    }
  });
});

nginxTools.describe("nginx -t catches a broken config", () => {
  it("fails for a malformed upstream address", async () => {
    const v = new Validators();
    try {
      const broken = renderTemplate(
        renderNginxConf(model, literalAddress, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
        values,
      ).replace("10.10.0.21:6443", "10.10.0.21:99999");
      const result = await v.nginxCheck(broken);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/invalid port|emerg/);
    } finally {
      v.cleanup();
    }
  });
});

describe("renderers refuse a cluster they cannot serve", () => {
  it("needs masters for nginx and a LAN NIC on a gateway", () => {
    const noMasters = { ...model, vms: model.vms.filter((vm) => vm.role !== "master") };
    expect(() =>
      renderNginxConf(noMasters, literalAddress, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
    ).toThrow(/at least one master/);
    const master = vmByName(model, "k8s-master1");
    expect(() =>
      renderKeepalivedConf(master, model, literalAddress, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
    ).toThrow(/k8s-master1 is not a gateway/);
  });

  it("keeps the expressions as Terraform references in dhcp mode", () => {
    const text = renderNginxConf(model, discoveredAddress, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates());
    expect(text).toContain("server ${data.external.k8s-master1_ip.result.ip}:6443");
    expect(text).toContain("listen ${var.internal_vip}:6443;");
    // nginx's own variables are not Terraform interpolations.
    expect(text).toContain("'$remote_addr [$time_local]");
  });
});

describe("a lone gateway", () => {
  const lone = { ...model, vms: model.vms.filter((vm) => vm.name !== "gateway2") };
  const conf = renderTemplate(
    renderKeepalivedConf(gateway1, lone, literalAddress, GATEWAY_VARIABLE_EXPRESSIONS, realTemplates()),
    values,
  );

  it("holds both VIPs without unicast settings (keepalived refuses them without a peer)", () => {
    expect(conf).not.toMatch(/unicast_(src_ip|peer)/);
    expect(conf).toMatch(
      /vrrp_instance VI_INTERNAL \{\n\s+state MASTER\n[\s\S]*10\.10\.0\.100\/24 dev ens192/,
    );
  });

  keepalivedTools.it("passes keepalived -t", async () => {
    const v = new Validators();
    try {
      const result = await v.keepalivedCheck(conf, ["ens160", "ens192"]);
      expect({ code: result.code, out: result.stdout + result.stderr }).toEqual({
        code: 0,
        out: expect.any(String),
      });
    } finally {
      v.cleanup();
    }
  });
});
