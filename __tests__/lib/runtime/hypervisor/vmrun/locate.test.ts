import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isExecutable, locateVmrun } from "../../../../../lib/runtime/hypervisor/vmrun/locate";

const FUSION_PUBLIC = "/Applications/VMware Fusion.app/Contents/Public/vmrun";
const FUSION_LIBRARY = "/Applications/VMware Fusion.app/Contents/Library/vmrun";

/** isExecutable that answers true only for the given paths, and records what was asked. */
function only(...existing: string[]) {
  const asked: string[] = [];
  const fn = (p: string) => {
    asked.push(p);
    return existing.includes(p);
  };
  return Object.assign(fn, { asked });
}

describe("locateVmrun", () => {
  it("prefers VMRUN over everything else", () => {
    const exe = only("/opt/vmrun", "/usr/bin/vmrun", FUSION_PUBLIC);
    const found = locateVmrun({
      env: { VMRUN: "/opt/vmrun", PATH: "/usr/bin" },
      platform: "darwin",
      isExecutable: exe,
    });
    expect(found).toEqual({ binary: "/opt/vmrun", hostType: "fusion", source: "VMRUN" });
    expect(exe.asked).toEqual(["/opt/vmrun"]);
  });

  it("fails clearly when VMRUN is not executable, without falling back", () => {
    expect(() =>
      locateVmrun({
        env: { VMRUN: "/nope/vmrun", PATH: "/usr/bin" },
        platform: "darwin",
        isExecutable: only("/usr/bin/vmrun"),
      }),
    ).toThrow(
      "VMRUN=/nope/vmrun is not an executable file: point VMRUN at vmrun (e.g. /Applications/VMware Fusion.app/Contents/Public/vmrun) or unset it",
    );
    // On Linux the example is Workstation's place.
    expect(() =>
      locateVmrun({ env: { VMRUN: "/nope/vmrun" }, platform: "linux", isExecutable: only() }),
    ).toThrow("point VMRUN at vmrun (e.g. /usr/bin/vmrun) or unset it");
  });

  it("searches PATH in order, skipping empty entries", () => {
    const exe = only("/b/vmrun", "/c/vmrun");
    const found = locateVmrun({ env: { PATH: "/a::/b:/c" }, platform: "linux", isExecutable: exe });
    expect(found).toEqual({ binary: "/b/vmrun", hostType: "ws", source: "PATH" });
    expect(exe.asked).toEqual(["/a/vmrun", "/b/vmrun"]);
  });

  it("falls back to Fusion's Public, then Library folder on macOS", () => {
    expect(
      locateVmrun({
        env: { PATH: "/usr/bin" },
        platform: "darwin",
        isExecutable: only(FUSION_PUBLIC, FUSION_LIBRARY),
      }),
    ).toEqual({
      binary: FUSION_PUBLIC,
      hostType: "fusion",
      source: "VMware Fusion",
    });
    expect(
      locateVmrun({ env: { PATH: "/usr/bin" }, platform: "darwin", isExecutable: only(FUSION_LIBRARY) })
        .binary,
    ).toBe(FUSION_LIBRARY);
  });

  it("honours FUSION_APP_PATH", () => {
    const found = locateVmrun({
      env: { PATH: "", FUSION_APP_PATH: "/Volumes/Apps/VMware Fusion.app" },
      platform: "darwin",
      isExecutable: only("/Volumes/Apps/VMware Fusion.app/Contents/Library/vmrun", FUSION_PUBLIC),
    });
    expect(found.binary).toBe("/Volumes/Apps/VMware Fusion.app/Contents/Library/vmrun");
  });

  it("falls back to Workstation's places on Linux, not Fusion's", () => {
    const exe = only("/usr/local/bin/vmrun", FUSION_PUBLIC);
    const found = locateVmrun({ env: { PATH: "/x" }, platform: "linux", isExecutable: exe });
    expect(found).toEqual({ binary: "/usr/local/bin/vmrun", hostType: "ws", source: "VMware Workstation" });
    expect(exe.asked).toEqual(["/x/vmrun", "/usr/bin/vmrun", "/usr/local/bin/vmrun"]);
  });

  it("lists where it looked when nothing is found", () => {
    expect(() => locateVmrun({ env: { PATH: "/x:/y" }, platform: "darwin", isExecutable: only() })).toThrow(
      `vmrun not found: VMRUN is not set, not in any of the 2 folders on PATH, and none of these exist: ${FUSION_PUBLIC}, ${FUSION_LIBRARY}; ` +
        "install VMware Fusion 13.5 or newer (or set VMRUN=/path/to/vmrun)",
    );
  });

  it("names how many PATH folders it searched, not each one (a long PATH buried the message)", () => {
    const dirs = Array.from({ length: 30 }, (_, i) => `/opt/tool${i}/bin`);
    expect(() =>
      locateVmrun({ env: { PATH: dirs.join(":") }, platform: "darwin", isExecutable: only() }),
    ).toThrow(
      /^vmrun not found: VMRUN is not set, not in any of the 30 folders on PATH, and none of these exist: [^:]*; install/,
    );
    expect(() => locateVmrun({ env: {}, platform: "linux", isExecutable: only() })).toThrow(
      "vmrun not found: VMRUN is not set, and none of these exist: PATH (empty), /usr/bin/vmrun, /usr/local/bin/vmrun; install VMware Workstation 17.5 or newer (or set VMRUN=/path/to/vmrun)",
    );
  });

  it("takes VMRUN_HOST_TYPE when valid and rejects anything else", () => {
    const exe = only("/opt/vmrun");
    expect(
      locateVmrun({
        env: { VMRUN: "/opt/vmrun", VMRUN_HOST_TYPE: "player" },
        platform: "linux",
        isExecutable: exe,
      }).hostType,
    ).toBe("player");
    expect(() =>
      locateVmrun({
        env: { VMRUN: "/opt/vmrun", VMRUN_HOST_TYPE: "esx" },
        platform: "linux",
        isExecutable: exe,
      }),
    ).toThrow('VMRUN_HOST_TYPE="esx" is not one of fusion, ws, player');
  });
});

describe("isExecutable", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "locate-test-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is true only for an executable regular file", () => {
    const exe = path.join(dir, "exe");
    const plain = path.join(dir, "plain");
    fs.writeFileSync(exe, "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(plain, "", { mode: 0o644 });
    expect([isExecutable(exe), isExecutable(dir), isExecutable(path.join(dir, "missing"))]).toEqual([
      true,
      false,
      false,
    ]);
    // root may execute-check anything with an x bit; a file without any x bit is refused even for root.
    expect(isExecutable(plain)).toBe(false);
  });
});
