import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyDirect, applyOrder, commandArgv } from "../../e2e/lib/apply-direct";

function stack(): Record<string, unknown> {
  return {
    variable: { greeting: { default: "hello" } },
    resource: {
      local_file: {
        note: { filename: "../out/note.txt", content: "say $${x} ${var.greeting}\n", file_permission: "0640" },
      },
      null_resource: {
        step: {
          triggers: { file: "${local_file.note.content_sha256}", name: "vm1" },
          provisioner: [
            { "local-exec": { command: "./record.sh step", environment: { WHO: "${self.triggers.name}", SHA: "${self.triggers.file}" } } },
            { "local-exec": { command: "./record.sh destroy", when: "destroy" } },
          ],
        },
      },
    },
    data: { external: { ask: { program: ["./answer.sh"], query: { who: "${var.greeting}" }, depends_on: ["null_resource.step"] } } },
  };
}

describe("direct apply of a synthesized stack (e2e fallback)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-apply-"));
    fs.mkdirSync(path.join(dir, "stack"));
    fs.writeFileSync(path.join(dir, "stack/record.sh"), '#!/bin/sh\necho "$1 $WHO $SHA" >> ../out/calls.txt\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "stack/answer.sh"), '#!/bin/sh\nread q\necho "{\\"got\\": \\"$(echo $q | tr -d \\" )\\"}"\n', { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("orders resources by their references and depends_on", () => {
    expect(applyOrder(stack())).toEqual(["local_file.note", "null_resource.step", "data.external.ask"]);
  });

  it("writes files, runs create-time provisioners with their environment and reads data sources", async () => {
    const lines: string[] = [];
    const steps = await applyDirect(stack(), { stackDir: path.join(dir, "stack"), env: { PATH: process.env.PATH }, commandTimeoutMs: 20_000, log: (l) => lines.push(l) });
    const note = path.join(dir, "out/note.txt");
    expect(fs.readFileSync(note, "utf8")).toBe("say ${x} hello\n");
    expect(fs.statSync(note).mode & 0o777).toBe(0o640);
    const sha = require("node:crypto").createHash("sha256").update("say ${x} hello\n").digest("hex");
    expect(fs.readFileSync(path.join(dir, "out/calls.txt"), "utf8")).toBe(`step vm1 ${sha}\n`);
    expect(steps.map((s) => s.address)).toEqual(["local_file.note", "null_resource.step", "data.external.ask"]);
  });

  it("stops at a failing provisioner with its output", async () => {
    fs.writeFileSync(path.join(dir, "stack/record.sh"), "#!/bin/sh\necho broken >&2\nexit 3\n", { mode: 0o755 });
    await expect(applyDirect(stack(), { stackDir: path.join(dir, "stack"), env: { PATH: process.env.PATH }, commandTimeoutMs: 20_000, log: () => undefined })).rejects.toThrow(/null_resource.step: .*exited 3: broken/);
  });

  it("runs commands without a shell and refuses shell syntax", () => {
    expect(commandArgv("../../../scripts/run disk-clone")).toEqual(["../../../scripts/run", "disk-clone"]);
    expect(() => commandArgv("run x; rm -rf /")).toThrow(/no shell/);
    expect(() => commandArgv("run $(id)")).toThrow(/no shell/);
  });

  it("refuses resource types it does not know", async () => {
    await expect(applyDirect({ resource: { random_id: { x: {} } } }, { stackDir: dir, env: {}, commandTimeoutMs: 1000, log: () => undefined })).rejects.toThrow(/random_id/);
  });
});
