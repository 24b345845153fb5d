import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadSeedTemplates } from "../../../../lib/runtime/load/seed-templates";
import { parseTemplate, SEED_TEMPLATE_FILES } from "../../../../lib/model/render/templates";

const TEMPLATES_DIR = path.join(__dirname, "../../../../templates");

describe("loadSeedTemplates", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-templates-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the project's templates, with overlays for the gateway and the apt cache", () => {
    const t = loadSeedTemplates(TEMPLATES_DIR);
    expect(t.userData.startsWith("#cloud-config\n")).toBe(true);
    expect(Object.keys(t.roleOverlays).sort()).toEqual(expect.arrayContaining(["apt-cache", "gateway"]));
    for (const text of [t.userData, t.metaData, t.networkConfig, ...Object.values(t.roleOverlays)]) {
      expect(() => parseTemplate("x", text as string)).not.toThrow();
    }
  });

  it("reads a directory without overlays, and names a missing base file", () => {
    fs.writeFileSync(path.join(dir, SEED_TEMPLATE_FILES.userData), "#cloud-config\nhostname: a\n");
    fs.writeFileSync(path.join(dir, SEED_TEMPLATE_FILES.metaData), "instance-id: x\n");
    expect(() => loadSeedTemplates(dir)).toThrow(
      /cannot read seed template .*cloud-init-network-config\.yaml/,
    );
    fs.writeFileSync(path.join(dir, SEED_TEMPLATE_FILES.networkConfig), "version: 2\n");
    fs.writeFileSync(path.join(dir, SEED_TEMPLATE_FILES.roleOverlay("worker")), "runcmd: [[true]]\n");
    expect(() => loadSeedTemplates(dir)).toThrow(/cannot read seed template .*guest-apply\.py/);
    fs.writeFileSync(path.join(dir, SEED_TEMPLATE_FILES.guestApplier), "#!/usr/bin/python3\n");
    expect(() => loadSeedTemplates(dir)).toThrow(/cannot read seed template .*apt-cache-stats\.py/);
    fs.writeFileSync(path.join(dir, SEED_TEMPLATE_FILES.aptCacheStats), "#!/usr/bin/python3\n# stats\n");
    expect(() => loadSeedTemplates(dir)).toThrow(/cannot read seed template .*apt-proxy-detect\.sh/);
    fs.writeFileSync(path.join(dir, SEED_TEMPLATE_FILES.aptProxyDetector), "#!/bin/bash\necho DIRECT\n");
    const t = loadSeedTemplates(dir);
    expect(t.guestApplier).toBe("#!/usr/bin/python3\n");
    expect(t.aptProxyDetector).toBe("#!/bin/bash\necho DIRECT\n");
    expect(t.roleOverlays).toEqual({ worker: "runcmd: [[true]]\n" });
    expect(t.networkConfig).toBe("version: 2\n");
  });
});
