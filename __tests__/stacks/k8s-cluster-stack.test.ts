import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { buildClusterModel, parseClusterConfig } from "../../lib/model/config/build-model";
import { HOSTS_BEGIN, HOSTS_END } from "../../lib/model/render/hosts";
import { FIXTURE_SSH_PUBLIC_KEY, modelFixture, withArch } from "../../test-support/model-fixture";
import { defaultVariableValues, gatewayVariableValues } from "../../test-support/variable-fixtures";
import { planReplacements, renderTemplate } from "../../test-support/terraform-apply";
import { parseLookupVms, parseStepCheckVms } from "../../lib/model/entry/contracts";
import { allStrings, dataSources, one, resources, TfJson, withoutHash } from "../../test-support/synth";
import { entryExists, localExecs, synthStacks } from "../../test-support/stacks";
import { requireTools } from "../../test-support/required-tools";
import { Validators } from "../../test-support/validators";

const cloudInit = requireTools("cloud-init");
const netplan = requireTools("netplan");
const gatewayValidators = requireTools("keepalived-netns", "nginx-stream");

const model = modelFixture();
const { cluster, aptCache } = synthStacks(model);
const CLUSTER_VMS = [
  "gateway1",
  "gateway2",
  "k8s-master1",
  "k8s-master2",
  "k8s-master3",
  "k8s-worker1",
  "k8s-worker2",
];

describe("k8s-cluster stack", () => {
  it("keeps its state in the project root through a relative path, and pins the providers", () => {
    expect(cluster.terraform.backend).toEqual({ local: { path: "../../../terraform.k8s-cluster.tfstate" } });
    expect(cluster.terraform.required_providers).toEqual({
      external: { source: "external", version: "2.3.5" },
      local: { source: "hashicorp/local", version: "2.6.1" },
      null: { source: "null", version: "3.2.4" },
    });
  });

  it("declares the variables with the config's defaults and Terraform-side validation", () => {
    expect(Object.keys(cluster.variable).sort()).toEqual([
      "apt_proxy_url",
      "dns_search_domains",
      "dns_servers",
      "external_vip",
      "internal_vip",
      "vrrp_auth_pass",
      "vrrp_router_id_external",
      "vrrp_router_id_internal",
    ]);
    expect(cluster.variable.vrrp_router_id_external).toMatchObject({ type: "number", default: 51 });
    expect(cluster.variable.vrrp_router_id_internal).toMatchObject({ type: "number", default: 52 });
    expect(cluster.variable.vrrp_auth_pass).toMatchObject({ type: "string", default: "k8s-lab" });
    expect(cluster.variable.external_vip.default).toBe("192.168.68.210");
    expect(cluster.variable.internal_vip.default).toBe("10.10.0.100");
    expect(cluster.variable.dns_servers).toMatchObject({ type: "list(string)", default: ["10.10.0.2"] });
    expect(cluster.variable.dns_search_domains.default).toEqual([]);
    expect(cluster.variable.apt_proxy_url.default).toBe("http://10.10.0.148:3142");
    for (const v of Object.values(cluster.variable) as TfJson[]) expect(v.validation).toHaveLength(1);
  });

  it("has disk, seed ISO, power and role files for each of the 7 cluster VMs, one base image and one IP lookup", () => {
    const nulls = Object.keys(resources(cluster, "null_resource")).map((id) =>
      id.replace(/_[0-9A-F]{8}$/, ""),
    );
    expect(nulls.sort()).toEqual(
      [
        "base-image",
        ...CLUSTER_VMS.flatMap((n) => [`${n}_disk`, `${n}_power`, `${n}_seed_iso`, `${n}_config_apply`]),
      ].sort(),
    );
    expect(
      Object.keys(dataSources(cluster, "external"))
        .map((id) => id.replace(/_[0-9A-F]{8}$/, ""))
        .sort(),
    ).toEqual(["ips_lookup", "steps_check"]);
    expect(allStrings(cluster).join("\n")).not.toContain("apt-cache-server_");
  });

  it("orders base image -> disk -> seed ISO -> power -> IP lookup (after every VM) -> inventory", () => {
    const nulls = resources(cluster, "null_resource");
    const [baseId] = one(nulls, "base-image");
    const [ipId, ip] = one(dataSources(cluster, "external"), "ips_lookup");
    expect(ip.depends_on).toEqual(CLUSTER_VMS.map((n) => `null_resource.${one(nulls, `${n}_power`)[0]}`));
    const [, inventory] = one(resources(cluster, "local_file"), "inventory");
    expect(inventory.depends_on).toEqual([`data.external.${ipId}`]);
    for (const name of CLUSTER_VMS) {
      const [diskId, disk] = one(nulls, `${name}_disk`);
      const [isoId, iso] = one(nulls, `${name}_seed_iso`);
      const [, power] = one(nulls, `${name}_power`);
      expect(disk.depends_on).toEqual([`null_resource.${baseId}`]);
      expect(iso.triggers.disk).toBe(`\${null_resource.${diskId}.id}`);
      expect(power.triggers.seed).toBe(`\${null_resource.${isoId}.id}`);
      expect(power.triggers.disk).toBe(`\${null_resource.${diskId}.id}`);
    }
  });

  it("outputs each VM's IP and the inventory path", () => {
    expect(Object.keys(cluster.output).sort()).toEqual(
      [...CLUSTER_VMS.map((n) => `${n.replace(/-/g, "_")}_ip`), "inventory_file"].sort(),
    );
    expect(cluster.output.inventory_file.value).toBe("vm-ips.env");
    const [lookupId] = one(dataSources(cluster, "external"), "ips_lookup");
    expect(cluster.output.k8s_master1_ip.value).toBe(
      `\${data.external.${lookupId}.result["k8s-master1_ip"]}`,
    );
  });

  it("passes the VIP variables to start and to the IP lookup as addresses to exclude", () => {
    for (const { exec } of localExecs(cluster).filter((e) => e.exec.command.endsWith("vm-start"))) {
      expect(exec.environment.IP_EXCLUDE).toBe("${var.external_vip},${var.internal_vip}");
    }
    const [, lookup] = one(dataSources(cluster, "external"), "ips_lookup");
    expect(lookup.query.exclude).toBe("${var.external_vip},${var.internal_vip}");
    expect(parseLookupVms(lookup.query.vms).map((vm) => vm.name)).toEqual(CLUSTER_VMS);
  });
});

describe.each([
  ["k8s-cluster", cluster],
  ["apt-cache", aptCache],
])("the provisioner rule in %s", (_name, json) => {
  const execs = localExecs(json);

  it("runs only the fixed launcher with an existing entry point, never a spliced value", () => {
    expect(execs.length).toBeGreaterThan(0);
    for (const { exec } of execs) {
      expect(exec.command).toMatch(/^\.\.\/\.\.\/\.\.\/scripts\/run [a-z][a-z0-9-]*$/);
      expect(entryExists(exec.command.split(" ")[1])).toBe(true);
      expect(Object.keys(exec).sort()).toEqual(
        exec.when ? ["command", "environment", "when"] : ["command", "environment"],
      );
    }
    for (const data of Object.values(dataSources(json, "external")) as TfJson[]) {
      expect(data.program[0]).toBe("../../../scripts/run");
      expect(entryExists(data.program[1])).toBe(true);
    }
  });

  it("reads names and paths from self.triggers, and destroy-time blocks read nothing else", () => {
    // Identity values come from triggers; tuning values (timeouts, the image URL) are literals, so
    // changing them never replaces a resource. Either way they travel only in `environment`. The paths
    // added with the step check (STEP_DIR; SEED_ISO_PATH on power, VMX_PATH on the role files) are
    // literals too: a new trigger key would replace every existing VM's resources on upgrade. Each names
    // a file in the VM folder of the resource's own VM, whose identity is in its triggers.
    const LATER_PATHS = ["STEP_DIR", "SEED_ISO_PATH", "VMX_PATH"];
    const nulls = resources(json, "null_resource");
    for (const { id, exec } of execs) {
      const triggers = nulls[id].triggers as Record<string, string>;
      const vmDir = `${triggers.vms_dir ?? "VMs/k8s_cluster"}/${triggers.vm_name}.vmwarevm/`;
      for (const [key, value] of Object.entries(exec.environment as Record<string, string>)) {
        const literalPath = exec.when !== "destroy" && LATER_PATHS.includes(key) && !/\$\{/.test(value);
        if (literalPath) expect(value.startsWith(vmDir)).toBe(true);
        else if (/(_NAME|_PATH|_DIR|VMX_SOURCE|BASE_IMAGE)$/.test(key))
          expect(value).toMatch(/^\$\{self\.triggers\.[a-z_0-9]+\}$/);
        // A create-time block may also read its step's token from the stack's step check.
        if (exec.when !== "destroy")
          expect(
            value.replace(
              /\$\{(self\.triggers\.[a-z_0-9]+|var\.[a-z_]+|data\.external\.steps_check_[0-9A-F]{8}\.result\["[a-z0-9-]+_(disk|seed|power|config)"\])\}/g,
              "",
            ),
          ).not.toContain("${");
        if (exec.when === "destroy")
          expect(value.replace(/\$\{self\.triggers\.[a-z_0-9]+\}/g, "")).not.toContain("${");
      }
    }
  });

  it("holds no absolute machine path in any path-like field", () => {
    const pathFields: string[] = [json.terraform.backend.local.path];
    for (const f of Object.values(resources(json, "local_file")) as TfJson[]) pathFields.push(f.filename);
    for (const { exec } of execs)
      pathFields.push(exec.command, ...Object.values(exec.environment as Record<string, string>));
    for (const r of Object.values(resources(json, "null_resource")) as TfJson[])
      pathFields.push(...(Object.values(r.triggers) as string[]));
    for (const d of Object.values(dataSources(json, "external")) as TfJson[]) {
      pathFields.push(...d.program, ...(Object.values(d.query) as string[]));
      if (d.program[1] === "guest-ip")
        for (const vm of parseLookupVms(d.query.vms)) pathFields.push(vm.vmx_path, vm.last_ip_file);
      else
        for (const vm of parseStepCheckVms(d.query.vms))
          pathFields.push(vm.steps_dir, vm.disk_path, vm.seed_path, vm.vmx_path);
    }
    for (const value of pathFields)
      expect(value).not.toMatch(/^\/|(^|[^.])\/(Users|home|root|tmp|work|private|var)\//);
    expect(JSON.stringify(json)).not.toContain(os.homedir());
  });
});

describe("every rendered seed file passes its real consumer", () => {
  const validators = new Validators();
  afterAll(() => validators.cleanup());
  const files = (json: TfJson, kind: string) =>
    Object.entries(resources(json, "local_file"))
      .filter(([id]) => id.includes(`_seed_${kind}_`))
      .map(
        ([id, f]) =>
          [id, renderTemplate(f.content as string, { var: defaultVariableValues(model) })] as const,
      );
  const userData = [...files(cluster, "user_data"), ...files(aptCache, "user_data")];
  const networkConfig = [...files(cluster, "network_config"), ...files(aptCache, "network_config")];

  it("has all eight VMs' files", () => {
    expect(userData).toHaveLength(8);
    expect(networkConfig).toHaveLength(8);
  });

  cloudInit.itConcurrent.each(userData)("cloud-init schema accepts %s", async (_id, text) => {
    const r = await validators.cloudInitSchema(text);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({
      code: 0,
      out: expect.stringContaining("Valid cloud-config"),
    });
  });

  netplan.itConcurrent.each(networkConfig)("netplan generate accepts %s", async (_id, text) => {
    const r = await validators.netplanGenerate(text);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
  });
});

// `terraform providers` parses the configuration offline and rejects what Terraform itself would:
// a destroy provisioner that reads anything but self, a bad `when`, a malformed reference.
requireTools("terraform").describe("terraform parses the synthesized JSON", () => {
  function terraformProviders(json: TfJson): { code: number | null; out: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tf-parse-"));
    try {
      const copy = JSON.parse(JSON.stringify(json)) as TfJson;
      delete copy.terraform.backend; // a backend would ask for `terraform init`
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(copy));
      const r = spawnSync("terraform", ["providers"], {
        cwd: dir,
        env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null", NO_COLOR: "1" },
        encoding: "utf8",
        timeout: 30_000,
      });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ["k8s-cluster", cluster],
    ["apt-cache", aptCache],
  ])("accepts %s", (_name, json) => {
    const r = terraformProviders(json);
    expect(r.out).not.toMatch(/Error/);
    expect(r.code).toBe(0);
  });

  it("rejects a destroy provisioner that reads a variable (the check can fail)", () => {
    const broken = JSON.parse(JSON.stringify(cluster)) as TfJson;
    const [id] = one(resources(broken, "null_resource"), "k8s-master1_disk");
    broken.resource.null_resource[id].provisioner[1]["local-exec"].environment.X = "${var.internal_vip}";
    expect(terraformProviders(broken).out).toMatch(/Invalid reference from destroy provisioner/);
  });
});

describe("arm64", () => {
  it("uses the arm64 image and arm VMX settings", () => {
    const arm = synthStacks(withArch(model, "arm64")).cluster;
    const [, image] = one(resources(arm, "null_resource"), "base-image");
    expect(image.triggers.source).toMatch(/noble-server-cloudimg-arm64\.img$/);
    const [, vmx] = one(resources(arm, "local_file"), "k8s-master1_vmx");
    expect(vmx.content).toContain('guestOS = "arm-ubuntu-64"');
  });
});

describe("role files installed once the addresses are known (guest-config)", () => {
  const files = resources(cluster, "local_file");
  const nulls = resources(cluster, "null_resource");
  const ips = dataSources(cluster, "external");
  const ipRef = (name: string) => `\${data.external.${one(ips, "ips_lookup")[0]}.result["${name}_ip"]}`;
  const MASTERS = CLUSTER_VMS.filter((n) => n.includes("master"));

  it("gives every VM the hosts block and the gateways nginx and keepalived, under generated/<vm>/guest", () => {
    const names = Object.values(files)
      .map((f) => f.filename as string)
      .filter((f) => f.includes("/guest/"))
      .sort();
    const expected = CLUSTER_VMS.flatMap((n) => [
      `../../../generated/${n}/guest/hosts`,
      `../../../generated/${n}/guest/manifest.json`,
      ...(n.startsWith("gateway")
        ? [`../../../generated/${n}/guest/keepalived.conf`, `../../../generated/${n}/guest/nginx.conf`]
        : []),
    ]).sort();
    expect(names).toEqual(expected);
  });

  it("fills them with the discovered addresses (dhcp), so they are written after every lookup", () => {
    const [, hosts] = one(files, "k8s-worker1_config_hosts");
    for (const n of CLUSTER_VMS) expect(hosts.content).toContain(`${ipRef(n)} ${n}\n`);
    expect(hosts.content).toContain("10.10.0.148 apt-cache-server\n");
    expect(hosts.content).toContain("${var.internal_vip} k8s-api\n");
    const [, nginx] = one(files, "gateway1_config_nginx_conf");
    for (const m of MASTERS) expect(nginx.content).toContain(`server ${ipRef(m)}:6443`);
    const [, keepalived] = one(files, "gateway2_config_keepalived_conf");
    expect(keepalived.content).toContain(`unicast_src_ip ${ipRef("gateway2")}`);
    expect(keepalived.content).toContain(`    ${ipRef("gateway1")}\n`);
  });

  it("installs them over SSH on the VM's own address, re-running when a file or the VM changes", () => {
    for (const n of CLUSTER_VMS) {
      const [, apply] = one(nulls, `${n}_config_apply`);
      const [powerId] = one(nulls, `${n}_power`);
      expect(apply.triggers).toMatchObject({
        vm_name: n,
        host: ipRef(n),
        manifest_path: `generated/${n}/guest/manifest.json`,
        power: `\${null_resource.${powerId}.id}`,
      });
      expect(apply.triggers.files).toMatch(/^\$\{sha256\(join\(",", \[local_file\..*content_sha256/);
      const exec = apply.provisioner[0]["local-exec"];
      expect(exec.command).toBe("../../../scripts/run guest-config");
      expect(exec.environment).toEqual({
        VM_NAME: "${self.triggers.vm_name}",
        SSH_HOST: "${self.triggers.host}",
        SSH_USER: "ubuntu",
        GUEST_MANIFEST: "${self.triggers.manifest_path}",
        GUEST_WAIT_SECONDS: "900",
        // Where the VM's host keys are pinned, and the console cloud-init prints them on.
        SSH_KNOWN_HOSTS: `VMs/k8s_cluster/${n}.vmwarevm/known_hosts`,
        SSH_CONSOLE_LOG: `VMs/k8s_cluster/${n}.vmwarevm/console.log`,
        VMX_PATH: `VMs/k8s_cluster/${n}.vmwarevm/${n}.vmx`,
        STEP_DIR: `VMs/k8s_cluster/${n}.vmwarevm/.lab-steps`,
        STEP_TOKEN: expect.stringMatching(
          new RegExp(`^\\$\\{data\\.external\\.steps_check_[0-9A-F]{8}\\.result\\["${n}_config"\\]\\}$`),
        ),
      });
      expect(apply.lifecycle).toEqual({
        replace_triggered_by: [
          expect.stringMatching(
            new RegExp(`^terraform_data\\.steps_tokens_[0-9A-F]{8}\\.input\\["${n}_config"\\]$`),
          ),
        ],
      });
    }
  });

  it("writes a manifest that names each file's target, check and units", () => {
    const [, manifest] = one(files, "gateway1_config_manifest");
    expect(JSON.parse(manifest.content)).toEqual({
      vm: "gateway1",
      files: [
        {
          source: "hosts",
          target: "/etc/hosts",
          kind: "hosts-block",
          mode: "0644",
          validate: null,
          units: [],
        },
        {
          source: "nginx.conf",
          target: "/etc/nginx/nginx.conf",
          kind: "file",
          mode: "0644",
          validate: "nginx",
          units: ["nginx.service"],
        },
        {
          source: "keepalived.conf",
          target: "/etc/keepalived/keepalived.conf",
          kind: "file",
          mode: "0600",
          validate: "keepalived",
          units: ["keepalived.service"],
        },
      ],
    });
  });

  /**
   * Asked of the interpreter's planner: the stack applied with the defaults, then planned with one
   * variable changed (the lookup answering every VM's address, the step check every step done).
   */
  const replaced = async (variable: string, value: unknown) =>
    (
      await planReplacements(cluster, {
        after: { [variable]: value },
        readData: (_address, query) => {
          const vms = JSON.parse(String(query.vms)) as { name: string; steps?: string[] }[];
          return Object.fromEntries(
            vms.flatMap((vm, i) =>
              vm.steps
                ? vm.steps.map((step) => [`${vm.name}_${step}`, ""])
                : [[`${vm.name}_ip`, `10.10.0.${131 + i}`]],
            ),
          );
        },
      })
    )
      .map((c) => `${withoutHash(c.address)} ${c.action}`)
      .sort();
  const gateways = ["gateway1", "gateway2"];
  const replace = (addresses: string[]) => addresses.map((a) => `${a} replace`).sort();

  it("re-writes only the files that carry a changed VIP and re-installs them, touching no disk, seed or VM", async () => {
    expect(await replaced("external_vip", "192.168.68.211")).toEqual(
      replace(
        gateways.flatMap((g) => [
          `local_file.${g}_config_keepalived_conf`,
          `local_file.${g}_config_nginx_conf`,
          `null_resource.${g}_config_apply`,
        ]),
      ),
    );
    expect(await replaced("internal_vip", "10.10.0.101")).toEqual(
      replace([
        ...CLUSTER_VMS.flatMap((n) => [`local_file.${n}_config_hosts`, `null_resource.${n}_config_apply`]),
        ...gateways.flatMap((g) => [
          `local_file.${g}_config_keepalived_conf`,
          `local_file.${g}_config_nginx_conf`,
        ]),
      ]),
    );
    expect(await replaced("vrrp_auth_pass", "other-1")).toEqual(
      replace(
        gateways.flatMap((g) => [
          `local_file.${g}_config_keepalived_conf`,
          `null_resource.${g}_config_apply`,
        ]),
      ),
    );
  });

  it("gives each VM a new seed and a restart for a changed DNS list, and never re-clones a disk", async () => {
    // DNS lives in the seed's network-config: the VM restarts on a new seed, its disk stays. Its restart
    // leaves the addresses unknown until apply, so every file that names one is planned again too.
    const dns = await replaced("dns_servers", ["10.10.0.3"]);
    expect(dns).toEqual(
      replace([
        ...CLUSTER_VMS.flatMap((n) => [
          `local_file.${n}_seed_meta_data`,
          `local_file.${n}_seed_network_config`,
          `null_resource.${n}_power`,
          `null_resource.${n}_seed_iso`,
          `local_file.${n}_config_hosts`,
          `null_resource.${n}_config_apply`,
        ]),
        ...gateways.flatMap((g) => [
          `local_file.${g}_config_keepalived_conf`,
          `local_file.${g}_config_nginx_conf`,
        ]),
        "local_file.inventory_file",
      ]),
    );
    for (const [variable, value] of [
      ["dns_search_domains", ["lab.example"]],
      ["apt_proxy_url", "http://10.10.0.149:3142"],
      ["vrrp_router_id_external", 61],
    ] as const) {
      const hit = await replaced(variable, value);
      expect({ variable, hit: hit.filter((a) => /_disk |_vmx |base-image/.test(a)) }).toEqual({
        variable,
        hit: [],
      });
    }
  });
});

describe("static addressing", () => {
  const text = [
    "addressing: static",
    "vms:",
    "  - {name: gateway1, role: gateway, address: 10.10.0.11}",
    "  - {name: gateway2, role: gateway, address: 10.10.0.12}",
    "  - {name: k8s-master1, role: master, address: 10.10.0.21}",
    "  - {name: k8s-worker1, role: worker, address: 10.10.0.31}",
    "",
  ].join("\n");
  const staticModel = buildClusterModel(parseClusterConfig(text, "test"), {
    hostArch: "x64",
    sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
    sshPublicKeyPath: "/k.pub",
  });
  const { cluster: json } = synthStacks(staticModel);
  const files = resources(json, "local_file");

  it("uses the configured addresses in every role file and as the SSH address, without waiting for a lookup", () => {
    const [, hosts] = one(files, "k8s-worker1_config_hosts");
    expect(hosts.content).toBe(
      [
        HOSTS_BEGIN,
        "10.10.0.11 gateway1",
        "10.10.0.12 gateway2",
        "10.10.0.21 k8s-master1",
        "10.10.0.31 k8s-worker1",
        "10.10.0.148 apt-cache-server",
        "${var.internal_vip} k8s-api",
        HOSTS_END,
        "",
      ].join("\n"),
    );
    const [, nginx] = one(files, "gateway1_config_nginx_conf");
    expect(nginx.content).toContain("server 10.10.0.21:6443");
    expect(nginx.content).not.toContain("data.external");
    const [, apply] = one(resources(json, "null_resource"), "gateway2_config_apply");
    expect(apply.triggers.host).toBe("10.10.0.12");
  });

  gatewayValidators.it("renders files that keepalived -t and nginx -t accept", async () => {
    const v = new Validators();
    try {
      const values = gatewayVariableValues(staticModel);
      for (const g of ["gateway1", "gateway2"]) {
        const keepalived = renderTemplate(one(files, `${g}_config_keepalived_conf`)[1].content, {
          var: values,
        });
        expect((await v.keepalivedCheck(keepalived, ["ens160", "ens192"])).code).toBe(0);
        const nginx = renderTemplate(one(files, `${g}_config_nginx_conf`)[1].content, { var: values });
        expect((await v.nginxCheck(nginx)).code).toBe(0);
      }
    } finally {
      v.cleanup();
    }
  });
});

describe("a partial role default (roleDefaults: {worker: {memoryMb: 8192}})", () => {
  const partial = buildClusterModel(
    parseClusterConfig("roleDefaults: {worker: {memoryMb: 8192}}\n", "test"),
    {
      hostArch: "x64",
      sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
      sshPublicKeyPath: "/k.pub",
    },
  );
  const files = resources(synthStacks(partial).cluster, "local_file");
  const vmxOf = (vm: string) => one(files, `${vm}_vmx`)[1].content as string;

  it("synthesizes the workers at 8192 MB with the built-in vCPUs and disk, the other roles unchanged", () => {
    for (const vm of ["k8s-worker1", "k8s-worker2"]) {
      expect(vmxOf(vm)).toContain('memsize = "8192"\n');
      expect(vmxOf(vm)).toContain('numvcpus = "4"\n');
      expect(partial.vms.find((v) => v.name === vm)?.diskGb).toBe(40);
    }
    expect(vmxOf("k8s-master1")).toContain('memsize = "4096"\n');
    expect(vmxOf("gateway1")).toContain('memsize = "2048"\n');
  });
});
