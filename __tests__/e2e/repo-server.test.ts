import { resolveRequestPath } from "../../e2e/lib/repo-server";

describe("package server paths", () => {
  it("serves files under its root, as apt asks for them", () => {
    expect(resolveRequestPath("/srv/repo", "/./Packages")).toBe("/srv/repo/Packages");
    expect(resolveRequestPath("/srv/repo", "/e2e-apt-probe_1.0_all.deb?x=1")).toBe(
      "/srv/repo/e2e-apt-probe_1.0_all.deb",
    );
  });

  it("never leaves its root", () => {
    expect(resolveRequestPath("/srv/repo", "/../../etc/passwd")).toBe("/srv/repo/etc/passwd");
    expect(resolveRequestPath("/srv/repo", "/%2e%2e/%2e%2e/etc/passwd")).toBe("/srv/repo/etc/passwd");
    expect(resolveRequestPath("/srv/repo", "/%zz")).toBeUndefined();
  });
});
