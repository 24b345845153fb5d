/**
 * End-to-end test: a real guest boots what the pipeline produces, the way the user's Mac boots it
 * (EFI firmware, GPT disk, amd64 or arm64). `npm run test:e2e [-- --arch arm64]`; e2e/README.md says
 * what it proves and what it cannot.
 *
 *  1. golden image: e2e/golden/build.sh (Debian trixie + cloud-init 25 + the lab's packages, GPT + EFI), cached by recipe;
 *  2. the product in a project folder of its own under the cache: cluster.yaml (static addressing, the
 *     golden image as base image), synth of the cluster stack as main.ts does;
 *  3. the test network: a namespace with the vmnet and LAN bridges and the package server on 10.10.0.1;
 *  4. the deploy, applied by the Terraform-apply simulator with the vmrun simulator standing in for vmrun;
 *     when vm-start powers a VM on, QEMU boots its VM folder's .vmx (NICs with the .vmx's MACs), and the
 *     simulator reports the guest's IP once ssh answers; guest-config then reaches the guest for real;
 *  5. checks over ssh (e2e/checks), printed PASS/FAIL with the value seen, timings, the results file;
 *  6. everything this run started is ended by PID and the namespace removed, pass or fail.
 * Needs root (namespace, taps, mmdebstrap). `--negative [kind]` breaks one thing and expects its check to catch it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Arch, ClusterModel, VmSpec } from "../lib/model/config/model";
import { withFileLock } from "../lib/runtime/fs/lock";
import { sha256File } from "../lib/runtime/image/checksums";
import { killLiveGroups, runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import { createVmrunSim, VmrunSim } from "../test-support/vmrun-sim";
import { tsCommand } from "../test-support/ts-runner";
import { CLUSTER_CHECKS } from "./checks";
import type { ClusterContext, GuestShell, RunServices } from "./checks/types";
import { applyClusterStack } from "./lib/apply";
import { buildProbeRepo } from "./lib/apt-repo";
import { BackgroundProcess, startBackground } from "./lib/background";
import { ensureGolden, goldenPackages, packagesMissingFromGolden } from "./lib/golden";
import { Guest } from "./lib/guest";
import { createNetns, deleteNetns, inNetns, NetnsPlan, planNetns, tapName } from "./lib/netns";
import { guestIpFaults, watchPowerOn } from "./lib/power-watch";
import { E2eOptions, negativeExpectation, parseOptions } from "./lib/options";
import { e2eClusterYaml, linkProject, makeSshKey, selectVms } from "./lib/project";
import { count, expectedFailureVerdict, formatRow, ResultRow, RunReport, writeReport } from "./lib/results";
import { cleanStaleRun, RunStateFile } from "./lib/run-state";
import { synthCluster } from "./lib/synth";
import { tamperNetworkConfigMac, tamperUserDataDeprecated } from "./lib/tamper";
import { kernelStarted, QEMU_MACHINES, qemuCommand } from "./lib/qemu";
import { tcpProbe } from "./lib/tcp-probe";

const REPO_ROOT = path.resolve(__dirname, "..");
const MIN = 60_000;
/**
 * Per architecture, from QEMU's start: until a kernel shows on the console (else the disk did not boot
 * with the .vmx's firmware), until ssh must answer, until cloud-init must be done. These catch a guest
 * that hangs, not a slow one: three amd64 TCG guests on two cores reached ssh in 230-290 s here, but
 * in 472 s and more on a slower CI machine, so amd64 waits as long as the product's own IP wait (900 s).
 * aarch64 under TCG on x86 cores is several times slower than x86_64.
 */
const BUDGETS: Record<Arch, { kernelSeconds: number; sshMs: number; cloudInitMs: number }> = {
  amd64: { kernelSeconds: 300, sshMs: 15 * MIN, cloudInitMs: 20 * MIN },
  arm64: { kernelSeconds: 600, sshMs: 25 * MIN, cloudInitMs: 35 * MIN },
};
const SIZING = {
  gateway: { cpus: 1, memoryMb: 1024, diskGb: 8 },
  master: { cpus: 1, memoryMb: 1024, diskGb: 10 },
  worker: { cpus: 1, memoryMb: 1024, diskGb: 10 },
};
const DNS_SERVERS = ["10.10.0.2", "10.10.0.1"];
const DNS_SEARCH = ["lab.test"];
const LAN_HOST_ADDRESS = "192.168.68.1";
const REQUIRED_TOOLS = ["qemu-img", "ip", "ssh", "ssh-keygen", "timeout", "dpkg-deb", "du"];
const QEMU_ARCH: Record<Arch, keyof typeof QEMU_MACHINES> = { amd64: "x86_64", arm64: "aarch64" };

const log = (line: string) => process.stdout.write(`e2e: ${line}\n`);

class Run {
  readonly rows: ResultRow[] = [];
  readonly timings: Record<string, number> = {};
  readonly diskBytes: Record<string, number> = {};
  readonly notes: string[] = [];
  private readonly cleanups: Array<() => Promise<void>> = [];

  step(id: string, ok: boolean, seen: string, detail?: string): boolean {
    this.rows.push({ vm: "-", id, ok, seen, ...(detail ? { detail } : {}) });
    log(formatRow(this.rows[this.rows.length - 1]));
    return ok;
  }

  onCleanup(fn: () => Promise<void>): void {
    this.cleanups.unshift(fn);
  }

  async cleanup(): Promise<void> {
    const fns = this.cleanups.splice(0);
    for (const fn of fns) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup: ${(err as Error).message}`);
      }
    }
  }
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, tool), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function diskUsage(p: string): Promise<number> {
  const r = await runWithDeadline("du", ["-s", "--block-size=1", p], { timeoutMs: 60_000 });
  return Number(r.stdout.split("\t")[0]) || 0;
}

/** After a passing run only the logs are worth keeping: drop the disks, images and ISOs (GiBs). */
function pruneRun(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.(vmdk|qcow2|iso|img)$/.test(entry.name))
      fs.rmSync(path.join(entry.parentPath, entry.name), { force: true });
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** The package server, inside the namespace, at the address the golden image's sources.list names. */
async function startRepoServer(
  run: Run,
  state: RunStateFile,
  namespace: string,
  repoUrl: string,
  runDir: string,
): Promise<RunServices> {
  const url = new URL(repoUrl);
  const repoDir = path.join(runDir, "apt-repo");
  await buildProbeRepo(repoDir, path.join(runDir, "work"));
  const requestLog = path.join(runDir, "apt-repo-requests.log");
  const serverLog = path.join(runDir, "apt-repo-server.log");
  fs.writeFileSync(requestLog, "");
  const prefix = inNetns(namespace);
  const server: BackgroundProcess = startBackground({
    argv: [
      ...prefix,
      ...tsCommand(path.join(REPO_ROOT, "e2e/lib/repo-server.ts")).flat(),
      "--root",
      repoDir,
      "--host",
      url.hostname,
      "--port",
      url.port || "80",
      "--log",
      requestLog,
    ],
    timeoutAfter: prefix.length,
    lifetimeSeconds: 3600,
    logFile: serverLog,
  });
  state.addPid(server.pid);
  run.onCleanup(() => server.stop(3000));
  for (let i = 0; i < 100 && !server.hasExited(); i++) {
    if (fs.readFileSync(serverLog, "utf8").includes("listening")) {
      return {
        repoRequests: () =>
          fs
            .readFileSync(requestLog, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as ReturnType<RunServices["repoRequests"]>[number]),
      };
    }
    await sleep(200);
  }
  throw new Error(
    `the package server did not start: ${fs.readFileSync(serverLog, "utf8").trim().split("\n").slice(-3).join(" | ")}`,
  );
}

/** Edits one seed file of `vm` in the synthesized stack, so the deploy builds its ISO from the edited text. */
function editSeedFile(
  stackDir: string,
  vm: VmSpec,
  name: "network-config" | "user-data",
  edit: (text: string) => string,
): void {
  const file = path.join(stackDir, "cdk.tf.json");
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as {
    resource?: { local_file?: Record<string, { filename: string; content: string }> };
  };
  const wanted = `${vm.generatedDir}/seed/${name}`;
  const hits = Object.values(json.resource?.local_file ?? {}).filter((f) =>
    f.filename.endsWith(`/${wanted}`),
  );
  if (hits.length !== 1)
    throw new Error(`the stack has ${hits.length} local_file(s) for ${wanted}, expected 1`);
  hits[0].content = edit(hits[0].content);
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
}

/** Negative runs that break a seed: the target VM's network-config (mac) or user-data (degraded-seed). */
function breakSeed(stackDir: string, vm: VmSpec, kind: "mac" | "degraded-seed"): string {
  if (kind === "degraded-seed") {
    editSeedFile(stackDir, vm, "user-data", tamperUserDataDeprecated);
    return `user-data of ${vm.name} gains a key cloud-init deprecated in 22.2`;
  }
  const mac = vm.nics[0].mac;
  let replacement = "";
  editSeedFile(stackDir, vm, "network-config", (text) => {
    const t = tamperNetworkConfigMac(text, mac);
    replacement = t.replacement;
    return t.text;
  });
  return `network-config of ${vm.name} matches ${replacement} instead of ethernet0's ${mac}`;
}

/**
 * `--negative bios-disk`: the golden image rewritten to boot only with BIOS (e2e/golden/bios-only.sh),
 * first booted with SeaBIOS alone to show it does boot that way, so the run's failure under the
 * .vmx's EFI firmware is the firmware's and not a broken disk's.
 */
async function biosOnlyBase(
  run: Run,
  goldenImage: string,
  cacheDir: string,
): Promise<{ path: string; sha256: string }> {
  const dir = path.join(cacheDir, "negative");
  fs.mkdirSync(dir, { recursive: true });
  const image = path.join(dir, "bios-only.qcow2");
  const made = await runWithDeadline(path.join(REPO_ROOT, "e2e/golden/bios-only.sh"), [goldenImage, image], {
    timeoutMs: 5 * MIN,
  });
  if (made.code !== 0) throw new Error(`bios-only.sh failed (exit ${made.code}): ${made.stderr.trim()}`);
  const consoleLog = path.join(dir, "bios-console.log");
  const overlay = path.join(dir, "bios-boot.qcow2");
  const created = await runWithDeadline(
    "qemu-img",
    ["create", "-q", "-f", "qcow2", "-b", image, "-F", "qcow2", overlay],
    { timeoutMs: 60_000 },
  );
  if (created.code !== 0)
    throw new Error(
      `qemu-img create of the BIOS boot overlay failed (exit ${created.code}): ${created.stderr.trim()}`,
    );
  // A console left by an earlier run would show its kernel at once.
  fs.rmSync(consoleLog, { force: true });
  const started = Date.now();
  // SeaBIOS (a .vmx without firmware), the disk on NVMe, no NIC: only whether a kernel starts on the
  // serial console (the root's grub.cfg says console=ttyS0).
  const { binary, args } = qemuCommand({
    name: "bios-disk",
    vmDir: dir,
    hardware: {
      arch: "x86_64",
      memoryMb: 1024,
      cpus: 1,
      firmware: "bios",
      nics: [],
      drives: [{ slot: "nvme0:0", bus: "nvme", file: overlay, cdrom: false }],
    },
    taps: [],
    consoleLog,
    pidFile: path.join(dir, "bios-qemu.pid"),
  });
  const boot = startBackground({
    argv: [binary, ...args],
    lifetimeSeconds: 300,
    logFile: path.join(dir, "bios-qemu.log"),
  });
  let seconds = -1;
  while (Date.now() - started < 240_000 && !boot.hasExited()) {
    if (fs.existsSync(consoleLog) && kernelStarted(fs.readFileSync(consoleLog, "utf8"))) {
      seconds = (Date.now() - started) / 1000;
      break;
    }
    await sleep(1000);
  }
  await boot.stop(3000);
  fs.rmSync(overlay, { force: true });
  run.step(
    "bios-disk-boots-bios",
    seconds >= 0,
    seconds >= 0
      ? `SeaBIOS started its kernel after ${seconds.toFixed(0)} s (MBR + GRUB for BIOS, no ESP)`
      : "no kernel under SeaBIOS within 240 s",
    seconds >= 0 ? undefined : `console: ${consoleLog}`,
  );
  return { path: image, sha256: await sha256File(image) };
}

/** The checks over several guests; each result is recorded as the guest's it concerns. */
async function runClusterChecks(
  run: Run,
  model: ClusterModel,
  guests: ReadonlyMap<string, Guest>,
  projectDir: string,
  namespace: string,
): Promise<void> {
  const shells = new Map<string, GuestShell>();
  for (const [name, g] of guests) {
    const shell = await g.reachableShell();
    if (shell) shells.set(name, shell);
  }
  const ctx: ClusterContext = {
    model,
    guests: shells,
    renderedFile: (vm, name) => {
      const spec = model.vms.find((v) => v.name === vm);
      const file = spec ? path.join(projectDir, spec.generatedDir, "guest", name) : "";
      return file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    },
    hostAddresses: { nat: model.network.nat.hostAddress, lan: LAN_HOST_ADDRESS },
    hostConnect: (address, port, timeoutMs) => tcpProbe(namespace, address, port, timeoutMs),
    log,
    // The project's scripts/run enters the test network itself (e2e/lib/launcher-in-netns.sh).
    runProduct: (entry, args, timeoutMs) =>
      runWithDeadline(path.join(projectDir, "scripts", "run"), [entry, ...args], {
        cwd: projectDir,
        timeoutMs,
        env: { ...process.env, E2E_NETNS: namespace },
      }),
    projectFile: (rel) => path.join(projectDir, rel),
  };
  for (const check of CLUSTER_CHECKS.filter((c) => c.appliesTo(model))) {
    log(`cluster check: ${check.name}`);
    try {
      const { results, timings } = await check.run(ctx);
      for (const r of results) {
        const g = guests.get(r.vm);
        if (g) g.record(r.id, r.ok, r.seen, r.detail);
        else
          run.rows.push({
            vm: r.vm,
            id: r.id,
            ok: r.ok,
            seen: r.seen,
            ...(r.detail ? { detail: r.detail } : {}),
          });
        log(
          formatRow({
            vm: r.vm,
            id: r.id,
            ok: r.ok,
            seen: r.seen,
            ...(r.detail ? { detail: r.detail } : {}),
          }),
        );
      }
      Object.assign(run.timings, timings);
    } catch (err) {
      run.step(check.name.replace(/\s+/g, "-"), false, "the check itself failed", (err as Error).message);
    }
  }
}

async function deployAndBoot(run: Run, opts: E2eOptions, cacheDir: string): Promise<void> {
  const started = Date.now();
  const golden = await ensureGolden(
    path.join(REPO_ROOT, "e2e/golden/build.sh"),
    path.join(cacheDir, "golden"),
    opts.arch,
    45 * MIN,
    (l) => log(l),
  );
  run.timings[golden.built ? "goldenBuild" : "goldenCached"] = golden.seconds;
  run.diskBytes.golden = await diskUsage(golden.dir);
  const m = golden.manifest;
  run.step(
    "golden-image",
    true,
    `${golden.built ? "built" : "cached"} in ${golden.seconds.toFixed(1)} s: ${path.relative(REPO_ROOT, golden.imagePath)} (Debian ${m.suite} ${m.arch}, ${m.partitionTable} + ${m.efiLoader}, cloud-init ${m.cloudInit}, kernel ${m.kernel}, ${Math.round(m.bytes / 2 ** 20)} MiB)`,
  );
  run.notes.push(
    `guest: Debian ${m.suite} ${m.arch}, cloud-init ${m.cloudInit}, kernel ${m.kernel}, ${m.partitionTable} disk booted by ${m.firmware} (${m.efiLoader})`,
  );
  if (opts.goldenOnly) return;
  const budgets = BUDGETS[opts.arch];
  // A guest that never boots or never gets its network stops the deploy before guest-config.
  const deployCompletes = opts.negative !== "mac" && opts.negative !== "bios-disk";
  const base =
    opts.negative === "bios-disk"
      ? await biosOnlyBase(run, golden.imagePath, cacheDir)
      : { path: golden.imagePath, sha256: m.sha256 };

  // --- the product's project folder for this run
  const runDir = path.join(cacheDir, "run");
  const stateFile = path.join(cacheDir, "run-state.json");
  for (const line of await cleanStaleRun(stateFile)) log(line);
  fs.rmSync(runDir, { recursive: true, force: true });
  const projectDir = path.join(runDir, "project");
  linkProject(REPO_ROOT, projectDir);
  fs.mkdirSync(path.join(runDir, "ssh"), { mode: 0o700 });
  const keyFile = path.join(runDir, "ssh", "id_ed25519");
  const publicKey = await makeSshKey(keyFile);
  const vms = selectVms(opts.vms);
  fs.writeFileSync(
    path.join(projectDir, "cluster.yaml"),
    e2eClusterYaml({
      arch: opts.arch,
      publicKeyFile: `${keyFile}.pub`,
      imagePath: base.path,
      imageSha256: base.sha256,
      imageVirtualSizeGb: golden.manifest.virtualSizeMiB / 1024,
      vms,
      dnsServers: DNS_SERVERS,
      dnsSearchDomains: DNS_SEARCH,
      // vm-start gives up on a guest no later than the run does.
      ipWaitSeconds: budgets.sshMs / 1000,
      sizing: SIZING,
    }),
  );

  let t = Date.now();
  const { model, stackDir } = synthCluster(projectDir, REPO_ROOT);
  run.timings.synth = (Date.now() - t) / 1000;
  run.step(
    "synth",
    true,
    `${path.relative(REPO_ROOT, stackDir)}/cdk.tf.json (${model.vms.map((v) => v.name).join(", ")})`,
  );

  if (opts.negative === "mac" || opts.negative === "degraded-seed") {
    const target = model.vms.find((v) => v.name === opts.vms[0]);
    if (!target) throw new Error(`the negative run needs ${opts.vms[0]} in the cluster`);
    const what = breakSeed(stackDir, target, opts.negative);
    run.notes.push(`negative run: ${what}`);
    log(`negative run: ${what}`);
  }

  // --- the test network, before the deploy: its entry points run inside it (scripts/run of the project)
  const namespace = `fkl-e2e-${process.pid}`;
  const state = new RunStateFile(stateFile, runDir, namespace);
  run.onCleanup(async () => state.remove());
  const taps = new Map(model.vms.map((vm, g) => [vm.name, vm.nics.map((_, n) => tapName(g, n))]));
  const plan: NetnsPlan = planNetns({
    namespace,
    nat: {
      prefixLength: model.network.nat.prefixLength,
      hostAddress: model.network.nat.hostAddress,
      gateway: model.network.nat.gateway,
    },
    lan: { prefixLength: model.network.lan.prefixLength, hostAddress: LAN_HOST_ADDRESS },
    nics: model.vms.flatMap((vm) =>
      vm.nics.map((nic, n) => ({ tap: (taps.get(vm.name) as string[])[n], network: nic.network })),
    ),
  });
  run.onCleanup(() => deleteNetns(namespace));
  await createNetns(plan);
  run.step(
    "network",
    true,
    `namespace ${namespace}: ${plan.bridges.map((b) => `${b.name} ${b.addresses.join(",")}`).join("; ")}; ${plan.taps.length} taps`,
  );
  const services = await startRepoServer(run, state, namespace, golden.manifest.aptRepoUrl, runDir);
  run.step(
    "package-server",
    true,
    `${golden.manifest.aptRepoUrl} (flat repo with the probe package) inside the namespace`,
  );

  const deploy = new AbortController();
  run.onCleanup(async () => deploy.abort("the run is ending"));

  // --- guests: QEMU boots one when the deploy powers it on in the vmrun simulator
  const guests = new Map(
    model.vms.map((vm) => [
      vm.name,
      new Guest({
        vm,
        model,
        projectDir,
        namespace,
        taps: taps.get(vm.name) as string[],
        keyFile,
        publicKey,
        lifetimeSeconds: opts.vmLifetimeSeconds,
        sshBudgetMs: budgets.sshMs,
        cloudInitBudgetMs: budgets.cloudInitMs,
        kernelBudgetSeconds: budgets.kernelSeconds,
        log,
        started: (proc) => {
          state.addPid(proc.pid);
          run.onCleanup(() => proc.stop(3000));
        },
      }),
    ]),
  );
  run.onCleanup(async () => {
    await Promise.all([...guests.values()].map((g) => g.shutdown()));
  });
  const sim: VmrunSim = createVmrunSim();
  run.onCleanup(async () => sim.cleanup());
  const addresses = new Map([...guests].map(([name, g]) => [name, g.target.address]));
  const reachable = new Set<string>();
  sim.setFaults(guestIpFaults(addresses, reachable));
  const stopWatch = watchPowerOn({
    vms: model.vms.map((vm) => ({ name: vm.name, vmxAbs: path.join(projectDir, vm.vmxPath) })),
    vmState: (vmx) => sim.vmState(vmx),
    onPowerOn: (name) => {
      void (guests.get(name) as Guest).boot().then((ok) => {
        // A guest that never answers would keep vm-start waiting: stop the deploy, as a user would.
        if (!ok)
          return deploy.abort(
            `${name} never answered ssh (see ${name}/${(guests.get(name) as Guest).unreachableCheck} below)`,
          );
        reachable.add(name);
        sim.setFaults(guestIpFaults(addresses, reachable));
      });
    },
  });
  run.onCleanup(async () => stopWatch());

  // --- the deploy (cdktf deploy k8s-cluster), with the simulator standing in for vmrun
  t = Date.now();
  const applied = await applyClusterStack({
    stackDir,
    env: { ...sim.env, E2E_NETNS: namespace },
    commandTimeoutMs: 20 * MIN,
    log: (l) => log(`  ${l}`),
    signal: deploy.signal,
  });
  stopWatch();
  run.timings.apply = (Date.now() - t) / 1000;
  for (const s of applied.steps)
    log(
      `  ${(s.durationMs / 1000).toFixed(1).padStart(5)} s  ${s.address}: ${s.command.replace(/^.*scripts\/run /, "")}`,
    );
  const applyOk = run.step(
    "apply",
    applied.failures.length === 0,
    `interpreter: ${applied.steps.length} provisioner/data commands in ${run.timings.apply.toFixed(1)} s`,
    applied.failures.join("\n"),
  );
  if (applyOk) {
    const inventory = fs.readFileSync(path.join(projectDir, model.paths.inventoryFile), "utf8");
    const wantLines = model.vms.map(
      (vm) => `${vm.name.toUpperCase().replace(/-/g, "_")}_IP=${addresses.get(vm.name)}`,
    );
    const missingLines = wantLines.filter((l) => !inventory.split("\n").includes(l));
    run.step(
      "inventory",
      missingLines.length === 0,
      wantLines.filter((l) => !missingLines.includes(l)).join(" ") || "no expected line",
      missingLines.length ? `missing: ${missingLines.join(", ")}\n${inventory}` : undefined,
    );
  }
  const golds = goldenPackages(fs.readFileSync(path.join(REPO_ROOT, "e2e/golden/packages.txt"), "utf8"));
  const seeds = model.vms
    .map((vm) => path.join(projectDir, vm.generatedDir, "seed", "user-data"))
    .filter((f) => fs.existsSync(f));
  const missing = [
    ...new Set(seeds.flatMap((f) => packagesMissingFromGolden(fs.readFileSync(f, "utf8"), golds))),
  ];
  run.step(
    "golden-packages",
    missing.length === 0,
    missing.length
      ? `not in the golden image: ${missing.join(", ")}`
      : `every package ${seeds.length} seed(s) ask for is preinstalled`,
    missing.length ? "add them to e2e/golden/packages.txt (first boot has no internet here)" : undefined,
  );

  // --- checks on every guest, at once; a negative run's deploy may stop before guest-config: its checks are left out then
  t = Date.now();
  const selection = { guestConfigApplied: deployCompletes };
  await Promise.all([...guests.values()].map((g) => g.check(services, selection)));
  run.timings.checks = (Date.now() - t) / 1000;
  // --- checks over several guests (API load balancer, VIP failover), while every guest still runs
  if (deployCompletes) {
    t = Date.now();
    await runClusterChecks(run, model, guests, projectDir, namespace);
    run.timings.clusterChecks = (Date.now() - t) / 1000;
  }
  await Promise.all([...guests.values()].map((g) => g.shutdown()));
  for (const g of guests.values()) {
    run.rows.push(...g.rows);
    for (const [k, v] of Object.entries(g.timings)) run.timings[`${g.name}.${k}`] = v;
  }
  run.diskBytes.run = await diskUsage(runDir);
  run.timings.deployAndBoot = (Date.now() - started) / 1000;
}

async function main(): Promise<number> {
  let opts: E2eOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === "commander.helpDisplayed") return 0;
    process.stderr.write(`e2e: ${e.message}\n`);
    return 2;
  }
  const started = Date.now();
  const run = new Run();
  const cacheDir = path.resolve(REPO_ROOT, opts.cacheDir);
  const resultsFile = path.resolve(REPO_ROOT, opts.resultsFile);
  fs.mkdirSync(cacheDir, { recursive: true });

  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`interrupted by ${signal}: stopping what this run started`);
      // ssh calls and the apply's commands run in process groups of their own.
      killLiveGroups("SIGTERM");
      void run.cleanup().then(() => process.exit(130));
    });
  }

  try {
    if (typeof process.getuid === "function" && process.getuid() !== 0)
      throw new Error(
        "the e2e test needs root (network namespace, tap devices, mmdebstrap): run it as root in CI",
      );
    const missing: string[] = [];
    const qemu = QEMU_MACHINES[QEMU_ARCH[opts.arch]];
    for (const tool of [qemu.binary, ...REQUIRED_TOOLS]) if (!onPath(tool)) missing.push(tool);
    if (missing.length)
      throw new Error(
        `missing tools: ${missing.join(", ")}; install ${qemu.aptPackage} qemu-utils iproute2 openssh-client (see .ci/run)`,
      );
    await withFileLock(path.join(cacheDir, "run"), () => deployAndBoot(run, opts, cacheDir), {
      waitMs: 45 * MIN,
      onWait: () => log("waiting for another e2e run to finish"),
    });
  } catch (err) {
    run.step("run", false, "the run stopped early", (err as Error).message);
  } finally {
    await run.cleanup();
  }
  if (interrupted) return 130;

  run.timings.total = (Date.now() - started) / 1000;
  const { passed, failed } = count(run.rows);
  process.stdout.write("\n=== e2e checks\n");
  for (const r of run.rows) process.stdout.write(`${formatRow(r)}\n`);
  process.stdout.write("\n=== e2e timings (s)\n");
  for (const [k, v] of Object.entries(run.timings))
    process.stdout.write(`  ${k.padEnd(34)} ${v.toFixed(1)}\n`);
  for (const [k, v] of Object.entries(run.diskBytes))
    process.stdout.write(`  disk ${k.padEnd(29)} ${(v / 2 ** 20).toFixed(0)} MiB\n`);
  for (const n of run.notes) process.stdout.write(`  note: ${n}\n`);

  let ok = failed === 0;
  let report: RunReport = {
    passed,
    failed,
    mode: opts.negative ? `negative ${opts.negative} (${opts.arch})` : `positive (${opts.arch})`,
    checks: run.rows,
    timings: run.timings,
    diskBytes: run.diskBytes,
    notes: run.notes,
  };
  if (opts.negative) {
    const expect = negativeExpectation(opts.negative, opts.vms);
    const verdict = expectedFailureVerdict(run.rows, [expect.check], expect.tolerated);
    ok = verdict.ok;
    process.stdout.write(`\nnegative run: ${verdict.ok ? "PASS" : "FAIL"}: ${verdict.message}\n`);
    report = {
      ...report,
      passed: ok ? 1 : 0,
      failed: ok ? 0 : 1,
      notes: [...run.notes, `verdict: ${verdict.message}`],
    };
  }
  writeReport(resultsFile, report);
  if (ok && !opts.keep) pruneRun(path.join(cacheDir, "run"));
  process.stdout.write(
    `\ne2e: ${report.passed} passed, ${report.failed} failed (${path.relative(REPO_ROOT, resultsFile)})\n`,
  );
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`e2e: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
