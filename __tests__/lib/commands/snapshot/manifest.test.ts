import * as fs from "node:fs";
import * as path from "node:path";
import {
  listManifests,
  manifestPath,
  readManifests,
  readManifest,
  removeManifest,
  writeManifest,
} from "../../../../lib/commands/snapshot/manifest";
import { SetManifest } from "../../../../lib/commands/snapshot/types";
import { makeTempDir } from "../../../../test-support/fixtures";

let dir: string;
beforeEach(() => {
  dir = path.join(makeTempDir("fusion-lab-manifests-"), "generated", "snapshots");
});
afterEach(() => fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true }));

const manifest = (name: string, createdAt: string): SetManifest => ({
  name,
  createdAt,
  vms: ["k8s-master1", "k8s-worker1"],
  consistent: false,
  result: "complete",
  results: [
    { vm: "k8s-master1", outcome: "done", detail: "snapshot taken" },
    { vm: "k8s-worker1", outcome: "done", detail: "snapshot taken" },
  ],
});

describe("manifests", () => {
  it("round-trips through <dir>/<set>.json, creating the directory, leaving no temporaries", async () => {
    const m = manifest("patched-20251125", "2025-11-25T10:00:00.000Z");
    await writeManifest(dir, m);
    expect(fs.readdirSync(dir)).toEqual(["patched-20251125.json"]);
    expect(JSON.parse(fs.readFileSync(manifestPath(dir, m.name), "utf8"))).toEqual(m);
    expect(await readManifest(dir, m.name)).toEqual(m);
  });

  it("reads a missing manifest, or a missing directory, as nothing", async () => {
    expect(await readManifest(dir, "nope")).toBeUndefined();
    expect(await listManifests(dir)).toEqual([]);
    expect(await removeManifest(dir, "nope")).toBe(false);
  });

  it("lists oldest first and ignores other files", async () => {
    await writeManifest(dir, manifest("newer", "2025-11-26T10:00:00.000Z"));
    await writeManifest(dir, manifest("older", "2025-11-25T10:00:00.000Z"));
    fs.writeFileSync(path.join(dir, ".older.json.partial-1"), "{");
    fs.writeFileSync(path.join(dir, "notes.txt"), "hello");
    expect((await listManifests(dir)).map((m) => m.name)).toEqual(["older", "newer"]);
    expect(await removeManifest(dir, "older")).toBe(true);
    expect((await listManifests(dir)).map((m) => m.name)).toEqual(["newer"]);
  });

  it("refuses invalid set names as file names", async () => {
    await expect(writeManifest(dir, manifest("../escape", "2025-11-25T10:00:00.000Z"))).rejects.toThrow(
      "invalid snapshot set name",
    );
    await expect(readManifest(dir, "a/b")).rejects.toThrow("invalid snapshot set name");
  });

  it("names the file and says what to do when a manifest is broken", async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "bad.json"), "{not json");
    await expect(readManifest(dir, "bad")).rejects.toThrow(
      `snapshot manifest ${path.join(dir, "bad.json")} is not valid JSON`,
    );
    fs.writeFileSync(
      path.join(dir, "bad.json"),
      JSON.stringify({ ...manifest("bad", "x"), result: "maybe" }),
    );
    await expect(listManifests(dir)).rejects.toThrow(/is malformed at result: .*fix or delete the file/);
    fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify(manifest("other", "x")));
    await expect(readManifest(dir, "bad")).rejects.toThrow('names the set "other", not "bad"');
  });

  it("reads the readable manifests past a broken one, naming it, and removes temporaries of dead writers", async () => {
    await writeManifest(dir, manifest("good", "2025-11-25T10:00:00.000Z"));
    fs.writeFileSync(path.join(dir, "bad.json"), "{not json");
    const dead = path.join(dir, ".good.json.partial-999999999");
    const live = path.join(dir, `.good.json.partial-${process.pid}`);
    fs.writeFileSync(dead, "{");
    fs.writeFileSync(live, "{");
    const { manifests, problems } = await readManifests(dir);
    expect(manifests.map((m) => m.name)).toEqual(["good"]);
    expect(problems).toEqual([expect.stringContaining(`${path.join(dir, "bad.json")} is not valid JSON`)]);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true); // a writer that still runs keeps its temporary
  });
});
