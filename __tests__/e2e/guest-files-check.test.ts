import { realTemplates } from "../../test-support/synth";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  firstDifference,
  hostsBlockText,
  installedFilesCheck,
  judgeInstalled,
} from "../../e2e/checks/guest-files-check";
import type { GuestContext, GuestShell } from "../../e2e/checks/types";
import { renderKeepalivedConf } from "../../lib/model/render/gateway";
import { renderHostsBlock } from "../../lib/model/render/hosts";
import { vmByName } from "../../test-support/model-fixture";
import { e2eModel, literalAddress, literalGatewayVars } from "./cluster-fixture";
import { requireTools } from "../../test-support/required-tools";

// Runs the guest's applier (templates/guest-apply.py) with python3.
const python = requireTools("python3");

const model = e2eModel();
const gw1 = vmByName(model, "gateway1");
const vars = literalGatewayVars(model);
const hostsBlock = renderHostsBlock(
  model,
  literalAddress,
  { literal: model.network.internalVip },
  realTemplates(),
);
const keepalived = renderKeepalivedConf(gw1, model, literalAddress, vars, realTemplates());
const b64 = (s: string) => ({ rc: 0, out: Buffer.from(s).toString("base64") });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-guest-files-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("installed role files", () => {
  python.it("the hosts block is cut out of /etc/hosts exactly as the guest's applier merges it", () => {
    // The real applier, on a fake root, with systemctl replaced by `true`.
    fs.mkdirSync(path.join(dir, "etc"));
    fs.writeFileSync(path.join(dir, "etc/hosts"), "127.0.0.1 localhost\n127.0.1.1 gateway1\n");
    const bundle = {
      vm: "gateway1",
      files: [
        {
          target: "/etc/hosts",
          kind: "hosts-block",
          content: hostsBlock,
          mode: "0644",
          validate: null,
          units: [],
        },
      ],
    };
    const r = spawnSync(
      "python3",
      [path.resolve(__dirname, "../../templates/guest-apply.py"), "--root", dir, "--systemctl", "true"],
      { input: JSON.stringify(bundle), encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    const installed = fs.readFileSync(path.join(dir, "etc/hosts"), "utf8");
    expect(hostsBlockText(installed)).toBe(hostsBlock);
    expect(
      judgeInstalled(
        { target: "/etc/hosts", kind: "hosts-block", mode: "0644", content: hostsBlock },
        b64(installed),
        { rc: 0, out: "644" },
      ),
    ).toMatchObject({ id: "file-hosts", ok: true });
  });

  it("a file must be byte-equal to the rendered one and carry the manifest's mode", () => {
    const file = {
      target: "/etc/keepalived/keepalived.conf",
      kind: "file" as const,
      mode: "0600",
      content: keepalived,
    };
    const ok = judgeInstalled(file, b64(keepalived), { rc: 0, out: "600\n" });
    expect(ok.ok).toBe(true);
    expect(ok.seen).toMatch(
      /^\/etc\/keepalived\/keepalived\.conf: \d+ bytes sha256 [0-9a-f]{12} = rendered, mode 0600$/,
    );
    const edited = judgeInstalled(file, b64(keepalived.replace("priority 150", "priority 100")), {
      rc: 0,
      out: "600",
    });
    expect(edited.ok).toBe(false);
    expect(edited.detail).toMatch(/^line \d+: rendered " {2}priority 150", installed " {2}priority 100"$/);
    // A trailing newline more is a different file.
    expect(judgeInstalled(file, b64(`${keepalived}\n`), { rc: 0, out: "600" }).ok).toBe(false);
    expect(judgeInstalled(file, b64(keepalived), { rc: 0, out: "644" })).toMatchObject({
      ok: false,
      detail: "mode 0644, manifest says 0600",
    });
    expect(
      judgeInstalled(
        file,
        { rc: 1, out: "base64: /etc/keepalived/keepalived.conf: No such file or directory" },
        { rc: 1, out: "" },
      ).seen,
    ).toContain("cannot read");
    expect(firstDifference("a\nb\n", "a\nb\n\n")).toBe('line 4: rendered "(end of file)", installed ""');
  });

  it("reads the manifest the deploy wrote and asks the guest for every target it lists", async () => {
    const guestDir = path.join(dir, "guest");
    fs.mkdirSync(guestDir);
    fs.writeFileSync(path.join(guestDir, "hosts"), hostsBlock);
    fs.writeFileSync(path.join(guestDir, "keepalived.conf"), keepalived);
    const entries = [
      { source: "hosts", target: "/etc/hosts", kind: "hosts-block", mode: "0644", validate: null, units: [] },
      {
        source: "keepalived.conf",
        target: "/etc/keepalived/keepalived.conf",
        kind: "file",
        mode: "0600",
        validate: "keepalived",
        units: ["keepalived.service"],
      },
    ];
    fs.writeFileSync(
      path.join(guestDir, "manifest.json"),
      JSON.stringify({ vm: "gateway1", files: entries }),
    );
    // The "guest" is this machine's shell over a fake root: the same script, with sudo and paths mapped.
    const root = path.join(dir, "root");
    fs.mkdirSync(path.join(root, "etc/keepalived"), { recursive: true });
    fs.writeFileSync(path.join(root, "etc/hosts"), `127.0.0.1 localhost\n${hostsBlock}`);
    fs.writeFileSync(
      path.join(root, "etc/keepalived/keepalived.conf"),
      keepalived.replace("advert_int 1", "advert_int 3"),
      { mode: 0o600 },
    );
    fs.chmodSync(path.join(root, "etc/keepalived/keepalived.conf"), 0o600);
    const commands: string[] = [];
    const guest: GuestShell = {
      run: async (command) => {
        commands.push(command);
        const local = command.replace(/sudo -n /g, "").replace(/ \/etc\//g, ` ${root}/etc/`);
        const r = spawnSync("sh", ["-c", local], { encoding: "utf8" });
        return { rc: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
      },
    };
    const ctx = { vm: gw1, model, guestConfigDir: guestDir } as unknown as GuestContext;
    const results = await installedFilesCheck.run(ctx, guest, { repoRequests: () => [] });
    expect(commands).toHaveLength(1);
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      ["file-hosts", true],
      ["file-keepalived.conf", false],
    ]);
    expect(results[1].detail).toContain('rendered "  advert_int 1", installed "  advert_int 3"');
  });

  it("says so when the deploy never rendered the files", async () => {
    const ctx = { vm: gw1, model, guestConfigDir: path.join(dir, "nothing") } as unknown as GuestContext;
    const [r] = await installedFilesCheck.run(
      ctx,
      { run: async () => ({ rc: 0, out: "" }) },
      { repoRequests: () => [] },
    );
    expect(r).toMatchObject({ id: "guest-files", ok: false, seen: "the rendered guest files are missing" });
  });
});
