/**
 * What a run has started (its namespace, the PIDs of its QEMU and server processes), recorded as it
 * goes, so that the next run can end what a killed run left behind: only processes whose command line
 * names that run's folder are signalled, by PID, and only that run's namespace is deleted.
 */
import * as fs from "node:fs";
import { deleteNetns } from "./netns";

export interface RunState {
  readonly runDir: string;
  readonly namespace: string;
  readonly pids: readonly number[];
}

export class RunStateFile {
  private state: RunState;

  constructor(
    private readonly file: string,
    runDir: string,
    namespace: string,
  ) {
    this.state = { runDir, namespace, pids: [] };
    this.save();
  }

  addPid(pid: number): void {
    this.state = { ...this.state, pids: [...this.state.pids, pid] };
    this.save();
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }

  private save(): void {
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.state));
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}

/** The command line of a live process, or undefined. */
function cmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return undefined;
  }
}

/** Ends what the run recorded in `file` left behind; returns what it did, for the log. */
export async function cleanStaleRun(file: string): Promise<string[]> {
  if (!fs.existsSync(file)) return [];
  const done: string[] = [];
  let state: RunState;
  try {
    state = JSON.parse(fs.readFileSync(file, "utf8")) as RunState;
  } catch {
    fs.rmSync(file, { force: true });
    return ["dropped an unreadable run state file"];
  }
  for (const pid of state.pids) {
    const cmd = cmdline(pid);
    if (cmd === undefined || !cmd.includes(state.runDir)) continue;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    done.push(`killed leftover process ${pid} (${cmd.slice(0, 80)})`);
  }
  await deleteNetns(state.namespace);
  done.push(`removed namespace ${state.namespace} if it was left`);
  fs.rmSync(file, { force: true });
  return done;
}
