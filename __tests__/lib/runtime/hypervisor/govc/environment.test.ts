import * as path from "node:path";
import {
  GovcDriver,
  govcEnvironment,
  locateGovc,
  missingCredentials,
} from "../../../../../lib/runtime/hypervisor/govc";
import { vcsimSite } from "../../../../../test-support/govc-sim";

const site = vcsimSite("vcenter.lab.local:8443");

describe("govcEnvironment", () => {
  const shell = {
    PATH: "/usr/bin",
    VSPHERE_USER: "admin@vsphere.local",
    VSPHERE_PASSWORD: "p@ss:word/1",
    GOVC_URL: "https://someone:else@other.example/sdk",
    GOVC_DATACENTER: "DC9",
    GOVC_INSECURE: "1",
    GOVC_TLS_CA_CERTS: "/etc/ssl/vcenter-ca.pem",
  };

  it("points govc at the config's server with no credentials in the URL; they go in GOVC_USERNAME/GOVC_PASSWORD", () => {
    const env = govcEnvironment({ ...site, allowUnverifiedSsl: false }, shell);
    expect(env.GOVC_URL).toBe("https://vcenter.lab.local:8443/sdk");
    expect(env.GOVC_USERNAME).toBe("admin@vsphere.local");
    expect(env.GOVC_PASSWORD).toBe("p@ss:word/1");
    expect(env.GOVC_PERSIST_SESSION).toBe("false");
  });

  it("drops the shell's other GOVC_ settings (a stray URL, datacenter or INSECURE), keeping only its TLS trust files", () => {
    const env = govcEnvironment({ ...site, allowUnverifiedSsl: false }, shell);
    expect(
      Object.keys(env)
        .filter((k) => k.startsWith("GOVC_"))
        .sort(),
    ).toEqual(["GOVC_PASSWORD", "GOVC_PERSIST_SESSION", "GOVC_TLS_CA_CERTS", "GOVC_URL", "GOVC_USERNAME"]);
    expect(env.PATH).toBe("/usr/bin");
  });

  it("skips TLS verification only when the config says allowUnverifiedSsl: true", () => {
    expect(govcEnvironment({ ...site, allowUnverifiedSsl: true }, shell).GOVC_INSECURE).toBe("1");
    expect(govcEnvironment({ ...site, allowUnverifiedSsl: false }, shell).GOVC_INSECURE).toBeUndefined();
  });

  it("names the credential variables that are unset or empty", () => {
    expect(missingCredentials(shell)).toEqual([]);
    expect(missingCredentials({ VSPHERE_USER: "a", VSPHERE_PASSWORD: "" })).toEqual(["VSPHERE_PASSWORD"]);
    expect(missingCredentials({})).toEqual(["VSPHERE_USER", "VSPHERE_PASSWORD"]);
  });
});

describe("locateGovc", () => {
  const only =
    (...files: string[]) =>
    (p: string) =>
      files.includes(p);

  it("takes GOVC first, then the first govc on PATH", () => {
    const env = { GOVC: "/opt/govc", PATH: ["/a", "/b"].join(path.delimiter) };
    expect(locateGovc({ env, isExecutable: only("/opt/govc", "/b/govc") })).toEqual({
      binary: "/opt/govc",
      source: "GOVC",
    });
    expect(locateGovc({ env: { PATH: env.PATH }, isExecutable: only("/b/govc") })).toEqual({
      binary: "/b/govc",
      source: "PATH",
    });
  });

  it("refuses a GOVC that is not executable, and a missing govc names how to install it", () => {
    expect(() => locateGovc({ env: { GOVC: "/nope" }, isExecutable: only() })).toThrow(
      /^GOVC=\/nope is not an executable file: point GOVC at govc or unset it; install govc: brew install govc/,
    );
    expect(() => locateGovc({ env: { PATH: "/a" }, isExecutable: only() })).toThrow(
      "govc not found: GOVC is not set and govc is in none of the 1 folders on PATH; install govc: brew install govc on macOS; on Linux govc_Linux_$(uname -m).tar.gz from https://github.com/vmware/govmomi/releases (or set GOVC=/path/to/govc)",
    );
  });
});

describe("GovcDriver.forSite", () => {
  it("locates govc, takes the folder from the site and builds govc's environment from it", () => {
    const d = GovcDriver.forSite(site, {
      env: { GOVC: "/opt/govc", VSPHERE_USER: "u", VSPHERE_PASSWORD: "p" },
      isExecutable: (p) => p === "/opt/govc",
      timeoutMs: 7_000,
    });
    expect([d.binary, d.folder, d.timeoutMs]).toEqual(["/opt/govc", "/DC0/vm/k8s-lab", 7_000]);
    expect(d.resolveVm("gateway1")).toBe("/DC0/vm/k8s-lab/gateway1");
    expect(d.resolveVm("/DC0/vm/elsewhere/x")).toBe("/DC0/vm/elsewhere/x");
  });
});
