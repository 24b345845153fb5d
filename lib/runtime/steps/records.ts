/**
 * What each build step of a VM leaves in the VM's steps folder (`<vm>.vmwarevm/.lab-steps/`), so the
 * next plan can tell a finished step from one that was killed (Terraform records a resource as created
 * before its provisioner ends, and a kill leaves it that way, untainted):
 *   <step>.attempt.json  {token, pid, startedAt}: written when the step starts, removed when it is done;
 *   <step>.done.json     {token, finishedAt, facts}: the receipt, written when the step is done.
 * The token is the one the plan-time step check gave the step (./check.ts); the receipt holding it is
 * what makes the next plan clean. Every write is atomic (temp + rename), so a record is whole or absent.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { StepName } from "../../model/entry/contracts";
import { isPidAlive, writeFileAtomic } from "../fs/atomic";
import { resolveInside } from "../fs/path-guard";

export interface StepAttempt {
  readonly token: string;
  readonly pid: number;
  readonly startedAt: string;
}

export interface StepReceipt {
  readonly token: string;
  readonly finishedAt: string;
  /** What the step made, for the check (e.g. the seed ISO's sha256). */
  readonly facts: Readonly<Record<string, string>>;
}

export interface StepRecords {
  readonly attempt?: StepAttempt;
  readonly receipt?: StepReceipt;
}

const attemptFile = (dir: string, step: StepName) => path.join(dir, `${step}.attempt.json`);
const receiptFile = (dir: string, step: StepName) => path.join(dir, `${step}.done.json`);

function readJson(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // not ours, or hand-edited: as if absent
  }
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === "object" && v !== null && Object.values(v).every((x) => typeof x === "string");

/** The step's attempt and receipt as they are on disk; a malformed record counts as absent. */
export function readStepRecords(dir: string, step: StepName): StepRecords {
  const a = readJson(attemptFile(dir, step));
  const r = readJson(receiptFile(dir, step));
  const attempt =
    a && typeof a.token === "string" && Number.isInteger(a.pid) && typeof a.startedAt === "string"
      ? { token: a.token, pid: a.pid as number, startedAt: a.startedAt }
      : undefined;
  const receipt =
    r && typeof r.token === "string" && typeof r.finishedAt === "string" && isStringMap(r.facts)
      ? { token: r.token, finishedAt: r.finishedAt, facts: r.facts }
      : undefined;
  return { ...(attempt ? { attempt } : {}), ...(receipt ? { receipt } : {}) };
}

/**
 * True while the attempt's process runs. Linux reuses pids, so a live pid counts only when it is a
 * Node process (every step runs in one), where /proc tells; elsewhere the pid alone decides.
 */
export function isAttemptRunning(attempt: StepAttempt): boolean {
  if (attempt.pid === process.pid) return true;
  if (!isPidAlive(attempt.pid)) return false;
  try {
    return fs.readFileSync(`/proc/${attempt.pid}/cmdline`, "utf8").includes("node");
  } catch {
    return true;
  }
}

/** An attempt whose process is gone without a receipt of the same token: the step was killed (or failed). */
export function wasInterrupted(records: StepRecords): boolean {
  const { attempt, receipt } = records;
  return (
    attempt !== undefined &&
    !isAttemptRunning(attempt) &&
    (receipt === undefined || receipt.token !== attempt.token)
  );
}

/**
 * Runs one step: records the attempt, does the work, records the receipt with `token` and the facts the
 * work returns, then removes the attempt. A throw leaves the attempt in place (the step is not done).
 * Without a steps folder (a script run by hand) only the work runs.
 */
export async function runStep<T>(
  dir: string | undefined,
  step: StepName,
  token: string,
  work: () => Promise<{ readonly result: T; readonly facts?: Readonly<Record<string, string>> }>,
): Promise<T> {
  if (dir === undefined) return (await work()).result;
  await fs.promises.mkdir(dir, { recursive: true });
  const attempt: StepAttempt = { token, pid: process.pid, startedAt: new Date().toISOString() };
  await writeFileAtomic(attemptFile(dir, step), `${JSON.stringify(attempt)}\n`);
  const { result, facts } = await work();
  const receipt: StepReceipt = { token, finishedAt: new Date().toISOString(), facts: { ...facts } };
  await writeFileAtomic(receiptFile(dir, step), `${JSON.stringify(receipt)}\n`);
  await fs.promises.rm(attemptFile(dir, step), { force: true });
  return result;
}

/** What a VM was last started with by vm-start: a running VM started with other files is restarted. */
export interface BootRecord {
  readonly vmxSha256: string;
  /** "" when it booted without a seed ISO. */
  readonly seedSha256: string;
}

const bootFile = (dir: string) => path.join(dir, "boot.json");

/** Written just before the VM is powered on, so it describes the running VM whenever vm-start started it. */
export async function writeBootRecord(dir: string, boot: BootRecord): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  await writeFileAtomic(bootFile(dir), `${JSON.stringify(boot)}\n`);
}

export function readBootRecord(dir: string): BootRecord | undefined {
  const b = readJson(bootFile(dir));
  return b && typeof b.vmxSha256 === "string" && typeof b.seedSha256 === "string"
    ? { vmxSha256: b.vmxSha256, seedSha256: b.seedSha256 }
    : undefined;
}

/** STEP_DIR of an entry point, resolved and checked to lie inside the VMs folder; undefined when unset. */
export function resolveStepDir(
  projectRoot: string,
  vmsDir: string,
  stepDir: string | undefined,
): string | undefined {
  if (stepDir === undefined) return undefined;
  const vms = resolveInside(projectRoot, vmsDir, { label: "VMS_DIR" });
  return resolveInside(vms, stepDir, { label: "STEP_DIR", base: projectRoot });
}
