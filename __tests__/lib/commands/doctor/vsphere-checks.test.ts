import { runDoctor } from "../../../../lib/commands/doctor/run-doctor";
import { CheckResult } from "../../../../lib/commands/doctor/types";
import { createFakeDoctorHost, FakeDoctorHost } from "../../../../test-support/doctor-env";
import { createGovcSim, GovcBackend, GovcSim } from "../../../../test-support/govc-sim";
import { requireTools } from "../../../../test-support/required-tools";
import { startVcsim } from "../../../../test-support/vcsim";
import { vsphereClusterYaml } from "../../../../test-support/vsphere-project";

/** A login whose values a test can look for in the report. */
const USER = "lab-admin-7";
const PASSWORD = "Very-S3cret-pw";
const VSPHERE_ROWS = [
  "govc",
  "vSphere credentials",
  "vCenter",
  "datacenter",
  "compute cluster",
  "datastore",
  "LAN port group",
  "internal port group",
  "VM folder",
  "template",
  "template disk",
];

const row = (results: readonly CheckResult[], check: string) => {
  const found = results.filter((r) => r.check === check);
  expect(found).toHaveLength(1);
  return found[0];
};

/** The doctor of a project whose cluster.yaml is `yaml`, with govc and the credentials from `backend` unless overridden. */
async function doctor(
  backend: GovcBackend,
  yaml: string,
  env: Record<string, string | undefined> = {},
): Promise<{ results: readonly CheckResult[]; ok: boolean }> {
  const host: FakeDoctorHost = createFakeDoctorHost({ clusterYaml: yaml });
  try {
    const login = backend.kind === "double" ? { VSPHERE_USER: USER, VSPHERE_PASSWORD: PASSWORD } : {};
    const extraEnv: NodeJS.ProcessEnv = { ...backend.env, ...login, PATH: process.env.PATH, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete extraEnv[k];
    return await runDoctor(host.env({ extraEnv, executables: [backend.binary] }));
  } finally {
    host.cleanup();
  }
}

describe("the doctor on target: vsphere, against the govc double", () => {
  let sim: GovcSim;
  let yaml: string;
  beforeEach(() => {
    sim = createGovcSim();
    sim.requireLogin(USER, PASSWORD);
    sim.cloneVms("k8s-lab", []);
    yaml = vsphereClusterYaml(sim.server);
  });
  afterEach(() => sim.cleanup());

  it("passes a good site, runs none of the Fusion checks, and never shows the credentials", async () => {
    const report = await doctor(sim, yaml);
    expect(report.results.filter((r) => r.status !== "ok")).toEqual([]);
    expect(report.results.map((r) => r.check)).toEqual([
      "terraform",
      "config",
      "SSH public key",
      ...VSPHERE_ROWS,
    ]);
    expect(row(report.results, "govc").detail).toBe(`${sim.binary} (found via GOVC): govc 0.38.0`);
    expect(row(report.results, "vCenter").detail).toBe(
      `${sim.server}: VMware vCenter Server 6.5.0 build-5973321 (govmomi simulator); login accepted`,
    );
    expect(row(report.results, "compute cluster").detail).toBe("/DC0/host/DC0_C0");
    expect(row(report.results, "VM folder").detail).toBe("/DC0/vm/k8s-lab");
    expect(row(report.results, "template disk").detail).toBe("10 GiB; the smallest diskGb is 40 (gateway1)");
    expect(JSON.stringify(report)).not.toContain(PASSWORD);
    expect(JSON.stringify(report)).not.toContain(USER);
    expect(report.ok).toBe(true);
  });

  it("names an unset VSPHERE_PASSWORD (not the user's value) and checks nothing of vCenter without it", async () => {
    const report = await doctor(sim, yaml, { VSPHERE_PASSWORD: undefined });
    expect(row(report.results, "vSphere credentials")).toMatchObject({
      status: "failure",
      detail: "VSPHERE_PASSWORD is not set",
    });
    expect(row(report.results, "vCenter").detail).toMatch(/^not checked .*: the credentials are not set$/);
    expect(report.results.some((r) => r.check === "datacenter")).toBe(false);
    expect(JSON.stringify(report)).not.toContain(USER);
  });

  it("says how to install govc when there is none", async () => {
    const report = await doctor(sim, yaml, { GOVC: undefined, PATH: "/nowhere" });
    expect(row(report.results, "govc")).toMatchObject({ status: "failure" });
    expect(row(report.results, "govc").fix).toContain("brew install govc");
    expect(report.ok).toBe(false);
  });

  it("tells a refused login, an untrusted certificate and an unreachable server apart, each with its fix", async () => {
    sim.requireLogin("someone-else", "x");
    const login = row((await doctor(sim, yaml)).results, "vCenter");
    expect(login.detail).toContain("ServerFaultCode: Login failure");
    expect(login.fix).toBe(
      "vSphere refused the login: check VSPHERE_USER and VSPHERE_PASSWORD (export them in this shell)",
    );
    sim.requireLogin(USER, PASSWORD);
    const tls = row(
      (await doctor(sim, yaml.replace("allowUnverifiedSsl: true", "allowUnverifiedSsl: false"))).results,
      "vCenter",
    );
    expect(tls.detail).toContain("x509: certificate signed by unknown authority");
    expect(tls.fix).toContain(
      "set vsphere.allowUnverifiedSsl: true in cluster.yaml if you trust this server",
    );
    const away = row((await doctor(sim, yaml.replace(sim.server, "127.0.0.1:1"))).results, "vCenter");
    expect(away.detail).toContain("connect: connection refused");
    expect(away.fix).toBe(
      "vCenter cannot be reached: check vsphere.server in cluster.yaml and the network path to it",
    );
  });

  it("fails each object the site does not have, naming the field to fix", async () => {
    const bad = yaml
      .replace("datastore: LocalDS_0", "datastore: SSD-1")
      .replace("internal: DC0_DVPG0", "internal: k8s-internal")
      .replace("template: DC0_H0_VM0", "template: noble-template")
      .replace("folder: k8s-lab", "folder: other-lab")
      .replace("cluster: DC0_C0", "cluster: DC0_C0\n  resourcePool: Resources");
    const report = await doctor(sim, bad);
    const failed = Object.fromEntries(
      report.results.filter((r) => r.status === "failure").map((r) => [r.check, r]),
    );
    expect(Object.keys(failed).sort()).toEqual([
      "VM folder",
      "datastore",
      "internal port group",
      "resource pool",
      "template",
    ]);
    expect(failed.datastore.detail).toBe('no datastore named "SSD-1" below /DC0/datastore');
    expect(failed.datastore.fix).toContain(
      "set vsphere.datastore in cluster.yaml to the name of an existing datastore",
    );
    expect(failed["internal port group"].fix).toContain("vsphere.networks.internal");
    expect(failed["resource pool"].detail).toBe(
      '2 objects named "Resources": /DC0/host/DC0_H0/Resources, /DC0/host/DC0_C0/Resources; Terraform needs exactly one',
    );
    expect(failed["VM folder"]).toMatchObject({
      detail: "/DC0/vm/other-lab does not exist",
      fix: expect.stringContaining("govc folder.create /DC0/vm/other-lab"),
    });
    expect(row(report.results, "LAN port group").status).toBe("ok");
  });

  it("warns when the template's disk is bigger than a VM's diskGb, naming the VMs", async () => {
    const small = yaml.replace(
      "{name: k8s-worker1, role: worker, address: 10.10.0.31}",
      "{name: k8s-worker1, role: worker, address: 10.10.0.31, diskGb: 8}",
    );
    const disk = row((await doctor(sim, small)).results, "template disk");
    expect(disk).toMatchObject({
      status: "warning",
      detail:
        "10 GiB; the smallest diskGb is 8 (k8s-worker1): k8s-worker1 get the template's 10 GiB instead (a clone's disk is never smaller than its template's)",
      fix: "raise diskGb of those VMs to at least 10 in cluster.yaml, or use a template with a smaller disk",
    });
  });
});

const vcsim = requireTools("vcsim");

vcsim.describe("the doctor on target: vsphere, against govc and vcsim", () => {
  let real: GovcBackend;
  beforeAll(async () => {
    real = await startVcsim();
    real.cloneVms("k8s-lab", []);
  });
  afterAll(() => real?.cleanup());

  it("passes vcsim's default inventory with the example's site, and fails a missing datastore", async () => {
    const yaml = vsphereClusterYaml(real.server);
    const good = await doctor(real, yaml);
    expect(good.results.filter((r) => r.status !== "ok")).toEqual([]);
    const bad = await doctor(real, yaml.replace("datastore: LocalDS_0", "datastore: SSD-1"));
    expect(row(bad.results, "datastore")).toMatchObject({ status: "failure" });
  });
});
