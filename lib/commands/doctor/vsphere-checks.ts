/**
 * The doctor on `target: vsphere`: govc, the credentials (VSPHERE_USER, VSPHERE_PASSWORD; their values are
 * never shown), vCenter reachable and the login accepted, then every object the vsphere block names, looked
 * up by name as Terraform's data sources look them up: the datacenter, the cluster or host, the resource pool
 * when named, the datastore, both port groups, the VM folder and the template, whose disk should not be
 * bigger than the smallest diskGb. Each govc call has a deadline. The Fusion checks do not run on this target.
 */
import type { ClusterModel, VsphereSpec } from "../../model/config/model";
import { vsphereFolderPath } from "../../model/config/vsphere-paths";
import {
  GovcDriver,
  GovcError,
  govcEnvironment,
  locateGovc,
  missingCredentials,
  remedyFor,
} from "../../runtime/hypervisor/govc";
import { GOVC_INSTALL_HINT } from "../../runtime/hypervisor/govc/locate";
import { CheckResult, DoctorEnv, failure, ok, warning } from "./types";
import { errorMessage as message } from "../common/report";

/** One govc question of the doctor gets this long. */
const GOVC_DEADLINE_MS = 20_000;
const GiB = 2 ** 30;

function driverFor(env: DoctorEnv, site: VsphereSpec, binary: string): GovcDriver {
  return new GovcDriver({
    binary,
    env: govcEnvironment(site, env.env),
    folder: vsphereFolderPath(site),
    timeoutMs: GOVC_DEADLINE_MS,
    readRetries: 0,
  });
}

async function checkGovc(env: DoctorEnv, site: VsphereSpec): Promise<{ row: CheckResult; binary?: string }> {
  let binary: string;
  let source: string;
  try {
    ({ binary, source } = locateGovc({ env: env.env, isExecutable: env.isExecutable }));
  } catch (err) {
    return { row: failure("govc", message(err), GOVC_INSTALL_HINT) };
  }
  try {
    const version = await driverFor(env, site, binary).version();
    return { row: ok("govc", `${binary} (found via ${source}): ${version}`), binary };
  } catch (err) {
    return { row: failure("govc", message(err), GOVC_INSTALL_HINT) };
  }
}

function checkCredentials(env: DoctorEnv): CheckResult {
  const missing = missingCredentials(env.env);
  if (missing.length === 0) return ok("vSphere credentials", "VSPHERE_USER and VSPHERE_PASSWORD are set");
  return failure(
    "vSphere credentials",
    `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set`,
    "export VSPHERE_USER=<vCenter account> VSPHERE_PASSWORD=<its password> in this shell (never in cluster.yaml); Terraform and govc read them from there",
  );
}

async function checkServer(driver: GovcDriver, site: VsphereSpec): Promise<CheckResult> {
  try {
    return ok("vCenter", `${site.server}: ${await driver.about()}; login accepted`);
  } catch (err) {
    const said = err instanceof GovcError ? err.output : "";
    return failure(
      "vCenter",
      message(err),
      remedyFor(said) ??
        `check vsphere.server (${site.server}) in cluster.yaml and that vCenter answers there`,
    );
  }
}

/** One object by name below `root`: ok with its path, or a failure that says what was found and how to list them. */
async function checkOne(
  driver: GovcDriver,
  what: { check: string; field: string; kind: string; type: string; root: string; name: string },
): Promise<{ row: CheckResult; path?: string }> {
  const list = `govc find ${what.root} -type ${what.type} lists them`;
  let found: string[];
  try {
    found = await driver.findByName(what.root, what.type, what.name);
  } catch (err) {
    return {
      row: failure(what.check, message(err), `check that vCenter answers, then run npm run doctor again`),
    };
  }
  if (found.length === 1) return { row: ok(what.check, found[0]), path: found[0] };
  const fix = `set ${what.field} in cluster.yaml to the name of an existing ${what.kind}, as the vSphere Client shows it (${list})`;
  if (found.length === 0)
    return {
      row: failure(what.check, `no ${what.kind} named ${JSON.stringify(what.name)} below ${what.root}`, fix),
    };
  return {
    row: failure(
      what.check,
      `${found.length} objects named ${JSON.stringify(what.name)}: ${found.join(", ")}; Terraform needs exactly one`,
      `rename all but one in vCenter, or ${fix}`,
    ),
  };
}

/** The folder must exist where the lab's commands look for the VMs: exactly `/<datacenter>/vm/<folder>`. */
async function checkFolder(driver: GovcDriver, site: VsphereSpec): Promise<CheckResult> {
  const want = vsphereFolderPath(site);
  const parent = want.slice(0, want.lastIndexOf("/"));
  const leaf = want.slice(want.lastIndexOf("/") + 1);
  try {
    if ((await driver.findByName(parent, "f", leaf)).includes(want)) return ok("VM folder", want);
  } catch (err) {
    return failure("VM folder", message(err), "check that vCenter answers, then run npm run doctor again");
  }
  return failure(
    "VM folder",
    `${want} does not exist`,
    `create it once: in the vSphere Client (VMs and Templates, New Folder), or govc folder.create ${want} (each missing level in turn)`,
  );
}

/** The template exists, and its first disk is no bigger than the smallest diskGb (a clone is never smaller). */
async function checkTemplate(
  driver: GovcDriver,
  site: VsphereSpec,
  dc: string,
  model: ClusterModel,
): Promise<CheckResult[]> {
  const found = await checkOne(driver, {
    check: "template",
    field: "vsphere.template",
    kind: "template VM",
    type: "m",
    root: `${dc}/vm`,
    name: site.template,
  });
  if (found.path === undefined) return [found.row];
  const disks = await driver.diskBytes(found.path).catch((err: unknown) => message(err));
  if (typeof disks === "string")
    return [
      found.row,
      failure("template disk", disks, "check that vCenter answers, then run npm run doctor again"),
    ];
  if (disks === undefined || disks.length === 0)
    return [
      found.row,
      failure(
        "template disk",
        `${found.path} has no virtual disk`,
        "use a template of Ubuntu 24.04's cloud image, which has one disk",
      ),
    ];
  const vms = [...model.vms, model.aptCache.vm];
  const smallest = vms.reduce((a, b) => (b.diskGb < a.diskGb ? b : a));
  const templateGb = disks[0] / GiB;
  const detail = `${Number(templateGb.toFixed(1))} GiB; the smallest diskGb is ${smallest.diskGb} (${smallest.name})`;
  if (disks[0] <= smallest.diskGb * GiB) return [found.row, ok("template disk", detail)];
  const larger = vms.filter((vm) => vm.diskGb * GiB < disks[0]).map((vm) => vm.name);
  return [
    found.row,
    warning(
      "template disk",
      `${detail}: ${larger.join(", ")} get the template's ${Number(templateGb.toFixed(1))} GiB instead (a clone's disk is never smaller than its template's)`,
      `raise diskGb of those VMs to at least ${Math.ceil(templateGb)} in cluster.yaml, or use a template with a smaller disk`,
    ),
  ];
}

/** Every object of the site, the datacenter first (without it nothing else can be found). */
async function checkSite(driver: GovcDriver, site: VsphereSpec, model: ClusterModel): Promise<CheckResult[]> {
  const one = (check: string, field: string, kind: string, type: string, root: string, name: string) =>
    checkOne(driver, { check, field, kind, type, root, name }).then((r) => r.row);
  const dcFound = await checkOne(driver, {
    check: "datacenter",
    field: "vsphere.datacenter",
    kind: "datacenter",
    type: "d",
    root: "/",
    name: site.datacenter,
  });
  if (dcFound.path === undefined) return [dcFound.row];
  const dc = dcFound.path;
  if (dc !== `/${site.datacenter}`)
    return [
      failure(
        "datacenter",
        `${dc} is inside a folder; the lab's commands address its VMs as /${site.datacenter}/vm/...`,
        "move the datacenter to the top of the vCenter inventory (or use one that is there)",
      ),
    ];
  const compute =
    site.cluster !== undefined
      ? one("compute cluster", "vsphere.cluster", "compute cluster", "c", `${dc}/host`, site.cluster)
      : one("ESXi host", "vsphere.host", "ESXi host", "h", `${dc}/host`, site.host ?? "");
  const rows = await Promise.all([
    compute,
    ...(site.resourcePool !== undefined
      ? [one("resource pool", "vsphere.resourcePool", "resource pool", "p", `${dc}/host`, site.resourcePool)]
      : []),
    one("datastore", "vsphere.datastore", "datastore", "s", `${dc}/datastore`, site.datastore),
    one("LAN port group", "vsphere.networks.lan", "port group", "n", `${dc}/network`, site.networks.lan),
    one(
      "internal port group",
      "vsphere.networks.internal",
      "port group",
      "n",
      `${dc}/network`,
      site.networks.internal,
    ),
    checkFolder(driver, site),
  ]);
  return [dcFound.row, ...rows, ...(await checkTemplate(driver, site, dc, model))];
}

export async function checkVsphere(env: DoctorEnv, model: ClusterModel): Promise<CheckResult[]> {
  const site = model.vsphere;
  if (site === undefined)
    return [
      failure(
        "vSphere",
        "target vsphere without a vsphere block",
        "add the vsphere block (cluster.vsphere.example.yaml)",
      ),
    ];
  const govc = await checkGovc(env, site);
  const credentials = checkCredentials(env);
  const rows = [govc.row, credentials];
  if (govc.binary === undefined || credentials.status !== "ok") {
    rows.push(
      failure(
        "vCenter",
        `not checked (nor the site's datacenter, cluster, datastore, port groups, folder and template): ${govc.binary === undefined ? "govc is missing" : "the credentials are not set"}`,
        "fix the rows above and run npm run doctor again",
      ),
    );
    return rows;
  }
  const driver = driverFor(env, site, govc.binary);
  const server = await checkServer(driver, site);
  rows.push(server);
  if (server.status !== "ok") return rows;
  return [...rows, ...(await checkSite(driver, site, model))];
}
