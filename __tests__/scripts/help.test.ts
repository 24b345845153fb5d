import * as fs from "node:fs";
import * as path from "node:path";
import { CliProject, createCliProject } from "../../test-support/cli-project";
import { runEntry } from "../../test-support/run-entry";

jest.setTimeout(120_000);

/** Every day-two command and subcommand a user types, with the usage line its --help must print. */
const HELP: ReadonlyArray<[string, string[], string]> = [
  ["snapshot", ["--help"], "Usage: snapshot [options] [command]"],
  ["snapshot", ["create", "--help"], "Usage: snapshot create [options] [name]"],
  ["snapshot", ["delete", "--help"], "Usage: snapshot delete [options] <name>"],
  ["manager", ["--help"], "Usage: manager [options] [command]"],
  ["manager", ["status", "--help"], "Usage: manager status [options]"],
  ["manager", ["start-all", "--help"], "Usage: manager start-all [options]"],
  ["manager", ["delete-vms", "--help"], "Usage: manager delete-vms [options]"],
  ["manager", ["deploy", "--help"], "Usage: manager deploy [options] [cdktf-options...]"],
  ["teardown", ["--help"], "Usage: teardown [options]"],
  ["deploy", ["--help"], "Usage: deploy [options] [cdktf-options...]"],
  ["doctor", ["--help"], "Usage: doctor [options]"],
  ["apt-cache", ["--help"], "Usage: apt-cache [options] [command]"],
  ["apt-cache", ["status", "--help"], "Usage: apt-cache status [options]"],
  ["configure", ["--help"], "Usage: configure [options]"],
  ["render", ["--help"], "Usage: render [options] <vm>"],
  ["ssh", ["--help"], "Usage: ssh [options] [vm] [command...]"],
];

describe("--help on every day-two command", () => {
  let project: CliProject;
  beforeAll(() => {
    project = createCliProject();
  });
  afterAll(() => project.cleanup());

  it.each(HELP)("%s %p prints its usage, exits 0 and does nothing", async (entry, args, usage) => {
    const before = fs.readdirSync(project.root).sort();
    const r = await runEntry(entry, { projectRoot: project.root, args, env: project.env });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout.split("\n")[0]).toBe(usage);
    expect(r.stdout).toContain("-h, --help");
    expect(project.sim.calls()).toEqual([]);
    expect(fs.readdirSync(project.root).sort()).toEqual(before);
    expect(fs.existsSync(path.join(project.root, "generated"))).toBe(false);
  });
});
