import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "../../test-support/fixtures";
import { requireTools } from "../../test-support/required-tools";

const python = requireTools("python3");

/** The apt cache's report script, run for real with python3 against a fake root. */
const SCRIPT = path.resolve(__dirname, "../../templates/apt-cache-stats.py");

python.describe("apt-cache-stats.py", () => {
  let root: string;
  let systemctl: string;
  beforeEach(() => {
    root = makeTempDir("acng-root-");
    systemctl = path.join(root, "systemctl");
    fs.writeFileSync(systemctl, "#!/bin/bash\necho active\n", { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const write = (rel: string, content: string | Buffer) => {
    fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  };
  const report = () => {
    const r = spawnSync("python3", [SCRIPT, "--root", root, "--systemctl", systemctl], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  };

  it("counts hits and misses from the transfer log, the port from the config and the cache size", () => {
    write(
      "var/log/apt-cacher-ng/apt-cacher.log",
      [
        "1700000000|I|1000|10.10.0.131|ubuntu/pool/main/c/curl/curl_8.5.0_amd64.deb",
        "1700000000|O|1000|10.10.0.131|ubuntu/pool/main/c/curl/curl_8.5.0_amd64.deb",
        "1700000100|O|1000|10.10.0.132|ubuntu/pool/main/c/curl/curl_8.5.0_amd64.deb",
        "1700000200|O|1000|10.10.0.133|ubuntu/pool/main/c/curl/curl_8.5.0_amd64.deb",
        "garbage line",
        "",
      ].join("\n"),
    );
    write("etc/apt-cacher-ng/acng.conf", "Port: 3142\n");
    write("etc/apt-cacher-ng/zz-k8s-lab.conf", "Port: 3143\n");
    write("var/cache/apt-cacher-ng/ubuntu/pool/curl.deb", Buffer.alloc(64 * 1024, 1));
    expect(report()).toMatchObject({
      service: "active",
      port: 3143,
      log: "/var/log/apt-cacher-ng/apt-cacher.log",
      requests: 3,
      hits: 2,
      misses: 1,
      servedBytes: 3000,
      fetchedBytes: 1000,
      unparsedLines: 1,
      cacheDir: "/var/cache/apt-cacher-ng",
    });
    expect(report().cacheBytes).toBeGreaterThanOrEqual(64 * 1024);
  });

  it("reports a fresh cache without a log or a cache folder", () => {
    fs.writeFileSync(systemctl, "#!/bin/bash\necho inactive\nexit 3\n", { mode: 0o755 });
    expect(report()).toMatchObject({ service: "inactive", port: 3142, log: null, requests: 0, hits: 0, misses: 0, cacheBytes: null });
  });
});
