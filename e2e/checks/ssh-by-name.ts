/**
 * `npm run ssh -- <vm> true` on every guest (issue 25), run in the run's project folder as a user
 * runs it (inside the test network, as the Mac sits on vmnet2): it must reach the guest by its name,
 * and the VM folder's known_hosts must then hold exactly the guest's own host keys, which only its
 * console (cloud-init's key block) can have given all of (a first use records one). Then, on the
 * first guest, a changed key must be refused: with its console moved aside (QEMU keeps writing to the
 * moved file) and another key pinned, ssh must refuse it and say what to do; with the console back,
 * the guest's own keys are pinned again and ssh works.
 */
import * as fs from "node:fs";
import { consoleLogFile, knownHostsFile } from "../../lib/model/config/vm-files";
import type { VmSpec } from "../../lib/model/config/model";
import type { ClusterCheck, ClusterContext, ClusterResult, GuestShell } from "./types";

/** A well-formed ed25519 key that no guest has. */
export const FOREIGN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkpPlnBXAdkLhOcbzKmC+Vdn8S9tF1SNvB6j3sV5d0N";

const keyOf = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(" ");

/** `<type> <base64>` of each line of `text` (host key files, or known_hosts without its first field). */
function keys(text: string, skipFirstField = false): string[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => keyOf(skipFirstField ? l.trim().split(/\s+/).slice(1).join(" ") : l))
    .sort();
}

async function reachByName(ctx: ClusterContext, vm: VmSpec, guest: GuestShell): Promise<ClusterResult[]> {
  const r = await ctx.runProduct("ssh", [vm.name, "true"], 120_000);
  const reached: ClusterResult = {
    vm: vm.name,
    id: "ssh-by-name",
    ok: r.code === 0,
    seen: `npm run ssh -- ${vm.name} true: ${r.timedOut ? "timed out" : `exit ${r.code}`}`,
    ...(r.code === 0 ? {} : { detail: r.stderr.trim().split("\n").slice(-4).join("\n") }),
  };
  const own = await guest.run("cat /etc/ssh/ssh_host_*_key.pub");
  const file = ctx.projectFile(knownHostsFile(vm));
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const aliases = [
    ...new Set(
      text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => l.split(/\s+/)[0]),
    ),
  ];
  const pinned = keys(text, true);
  const ok =
    own.rc === 0 && pinned.length > 1 && aliases.join() === vm.name && pinned.join() === keys(own.out).join();
  return [
    reached,
    {
      vm: vm.name,
      id: "host-keys-pinned",
      ok,
      seen: `${pinned.length} key(s) under ${aliases.join(", ") || "no name"} in ${knownHostsFile(vm)}; the guest has ${keys(own.out).length}`,
      ...(ok ? {} : { detail: `pinned:\n${text}guest's /etc/ssh/ssh_host_*_key.pub:\n${own.out}` }),
    },
  ];
}

/** A changed key is refused (console moved aside, another key pinned), then the console's keys hold again. */
async function refusesChangedKey(ctx: ClusterContext, vm: VmSpec): Promise<ClusterResult> {
  const consoleLog = ctx.projectFile(consoleLogFile(vm));
  const aside = `${consoleLog}.e2e-aside`;
  const file = ctx.projectFile(knownHostsFile(vm));
  fs.renameSync(consoleLog, aside);
  let refused: { code: number | null; stderr: string };
  try {
    fs.writeFileSync(file, `${vm.name} ${FOREIGN_KEY}\n`);
    refused = await ctx.runProduct("ssh", [vm.name, "true"], 120_000);
  } finally {
    fs.renameSync(aside, consoleLog);
  }
  const again = await ctx.runProduct("ssh", [vm.name, "true"], 120_000);
  const said = /shows a host key other than the one recorded .* npm run ssh -- --forget/.test(refused.stderr);
  const ok = refused.code === 255 && said && again.code === 0;
  return {
    vm: vm.name,
    id: "host-key-changed-refused",
    ok,
    seen: `with another key pinned: exit ${refused.code}${said ? ", with what to do" : ""}; console's keys again: exit ${again.code}`,
    ...(ok ? {} : { detail: `${refused.stderr.trim()}\n${again.stderr.trim()}` }),
  };
}

export const sshByNameCheck: ClusterCheck = {
  name: "npm run ssh by name, host keys pinned",
  appliesTo: (model) => model.vms.length > 0,
  async run(ctx) {
    const results: ClusterResult[] = [];
    const started = Date.now();
    for (const vm of ctx.model.vms) {
      const guest = ctx.guests.get(vm.name);
      if (guest !== undefined) results.push(...(await reachByName(ctx, vm, guest)));
    }
    const first = ctx.model.vms.find((vm) => ctx.guests.has(vm.name));
    if (first !== undefined && results.every((r) => r.ok)) results.push(await refusesChangedKey(ctx, first));
    return { results, timings: { sshByName: (Date.now() - started) / 1000 } };
  },
};
