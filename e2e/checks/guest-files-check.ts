/**
 * The files guest-config installed are byte-for-byte the ones the deploy rendered under
 * `generated/<vm>/guest/` (listed by its manifest.json; already resolved by the apply, so nothing is
 * resolved here), with the manifest's mode; for `/etc/hosts` only the k8s-lab block is compared.
 * Acting check: the targets come from the manifest, read in one ssh call with sudo (keepalived.conf is 0600).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import { readGuestBundle } from "../../lib/runtime/guest/manifest";
import { GUEST_MANIFEST_NAME } from "../../lib/model/render/guest-manifest";
import { HOSTS_BEGIN, HOSTS_END } from "../../lib/model/render/hosts";
import { factScript, parseFacts } from "./facts";
import type { ActiveCheck, CheckResult, Fact } from "./types";

/** The k8s-lab block of an /etc/hosts as the applier writes it: BEGIN line to END line, each with its newline. */
export function hostsBlockText(hosts: string): string | undefined {
  const lines = hosts.split(/(?<=\n)/);
  const begin = lines.findIndex((l) => l.startsWith(HOSTS_BEGIN.split(" (")[0]));
  if (begin < 0) return undefined;
  const end = lines.findIndex((l, i) => i > begin && l.startsWith(HOSTS_END));
  return end < 0 ? undefined : lines.slice(begin, end + 1).join("");
}

const sha = (text: string) => crypto.createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12);

/** First differing line of two texts, for the failure detail. */
export function firstDifference(want: string, got: string): string {
  const a = want.split("\n");
  const b = got.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}: rendered ${JSON.stringify(a[i] ?? "(end of file)")}, installed ${JSON.stringify(b[i] ?? "(end of file)")}`;
  }
  return "same lines, different line endings";
}

export interface InstalledFile {
  readonly target: string;
  readonly kind: "file" | "hosts-block";
  readonly mode: string;
  /** The rendered content. */
  readonly content: string;
}

/** Judges one installed file from `base64 -w0` of it and `stat -c '%a'`. */
export function judgeInstalled(file: InstalledFile, base64: Fact, stat: Fact): CheckResult {
  const id = `file-${path.basename(file.target)}`;
  if (base64.rc !== 0)
    return {
      id,
      ok: false,
      seen: `cannot read ${file.target}: ${base64.out.trim().split("\n")[0]}`,
      detail: "guest-config should have installed it",
    };
  const installed = Buffer.from(base64.out.trim(), "base64").toString("utf8");
  const compared = file.kind === "hosts-block" ? hostsBlockText(installed) : installed;
  const mode = stat.out.trim().padStart(4, "0");
  const what = file.kind === "hosts-block" ? `${file.target} block` : file.target;
  if (compared === undefined)
    return { id, ok: false, seen: `${file.target} has no k8s-lab block`, detail: installed };
  const same = compared === file.content;
  // /etc/hosts keeps its own mode; the applier sets the manifest's mode on the files it replaces.
  const modeOk = file.kind === "hosts-block" || mode === file.mode;
  const ok = same && modeOk;
  const seen = `${what}: ${Buffer.byteLength(compared)} bytes sha256 ${sha(compared)}${same ? " = rendered" : ` != rendered ${sha(file.content)}`}, mode ${mode}`;
  const detail = [
    same ? "" : firstDifference(file.content, compared),
    modeOk ? "" : `mode ${mode}, manifest says ${file.mode}`,
  ]
    .filter(Boolean)
    .join("\n");
  return { id, ok, seen, ...(ok ? {} : { detail }) };
}

export const installedFilesCheck: ActiveCheck = {
  name: "installed role files",
  needsGuestConfig: true,
  async run(ctx, guest) {
    if (!ctx.guestConfigDir)
      return [
        {
          id: "guest-files",
          ok: false,
          seen: "no generated guest folder known",
          detail: "the runner did not pass generated/<vm>/guest",
        },
      ];
    let files: InstalledFile[];
    try {
      files = readGuestBundle(path.join(ctx.guestConfigDir, GUEST_MANIFEST_NAME), ctx.vm.name).files.map(
        (f) => ({ target: f.target, kind: f.kind, mode: f.mode, content: f.content }),
      );
    } catch (err) {
      return [
        {
          id: "guest-files",
          ok: false,
          seen: "the rendered guest files are missing",
          detail: (err as Error).message,
        },
      ];
    }
    const commands = new Map<string, string>();
    files.forEach((f, i) => {
      // Targets passed the manifest's schema (absolute, [A-Za-z0-9._/-] only): safe to name in the script.
      commands.set(`b64-${i}`, `sudo -n base64 -w0 ${f.target}`);
      commands.set(`mode-${i}`, `sudo -n stat -c %a ${f.target}`);
    });
    const r = await guest.run(factScript(commands), 60_000);
    const facts = parseFacts(r.out);
    const none: Fact = { rc: -1, out: `(not collected: ssh exit ${r.rc})` };
    return files.map((f, i) =>
      judgeInstalled(f, facts.get(`b64-${i}`) ?? none, facts.get(`mode-${i}`) ?? none),
    );
  },
};
