import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { goldenPackages, packagesMissingFromGolden, readManifest } from "../../e2e/lib/golden";
import { renderUserData } from "../../lib/model/render/cloud-init";
import { allVms, modelFixture } from "../../test-support/model-fixture";
import { realTemplates } from "../../test-support/synth";
import { literalSeedVariables } from "../../test-support/variable-fixtures";

const PACKAGES_TXT = path.join(__dirname, "../../e2e/golden/packages.txt");

describe("golden image recipe", () => {
  it("reads packages.txt without comments and blank lines", () => {
    expect(goldenPackages("# c\nfoo # why\n\n  bar\n")).toEqual(["foo", "bar"]);
  });

  it("holds every package the product's seeds ask for, so first boot needs no network", () => {
    const golden = goldenPackages(fs.readFileSync(PACKAGES_TXT, "utf8"));
    const model = modelFixture();
    // The apt cache VM is not part of the e2e cluster; its apt-cacher-ng is deliberately absent.
    for (const vm of allVms(model).filter((v) => v.role !== "apt-cache")) {
      const userData = renderUserData(vm, model, realTemplates(), literalSeedVariables(model));
      expect({ vm: vm.name, missing: packagesMissingFromGolden(userData, golden) }).toEqual({
        vm: vm.name,
        missing: [],
      });
    }
  });

  it("names what a seed would have to download", () => {
    expect(
      packagesMissingFromGolden("#cloud-config\npackages:\n  - curl\n  - [htop, 3.0]\n", ["curl"]),
    ).toEqual(["htop"]);
  });

  it("refuses a manifest without its checksum", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-golden-"));
    try {
      fs.writeFileSync(
        path.join(dir, "manifest.json"),
        JSON.stringify({
          key: "k",
          arch: "amd64",
          image: "golden.qcow2",
          aptRepoUrl: "http://x/",
          cloudInit: "25.1.4-1",
        }),
      );
      expect(() => readManifest(dir)).toThrow(/has no sha256/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
