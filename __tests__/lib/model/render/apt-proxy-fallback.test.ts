/**
 * The rendered apt proxy client (01proxy + detector script) run by the real consumers: shellcheck and
 * bash for the script, and apt-get against two local HTTP servers, a "mirror" and a "cache". With the
 * cache up apt must go through it; with the cache down apt must fetch from the mirror directly.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import {
  APT_PROXY_CONF_PATH,
  APT_PROXY_DETECT_PATH,
  renderUserData,
} from "../../../../lib/model/render/cloud-init";
import { loadSeedTemplates } from "../../../../lib/runtime/load/seed-templates";
import { runWithDeadline } from "../../../../lib/runtime/process/run-with-deadline";
import { modelFixture, vmByName } from "../../../../test-support/model-fixture";
import { requireTools } from "../../../../test-support/required-tools";
import { SEED_VARIABLE_EXPRESSIONS } from "../../../../test-support/variable-fixtures";
import { renderTemplate } from "../../../../test-support/terraform-apply/template";

const itApt = requireTools("apt-get").it;
const itShellcheck = requireTools("shellcheck").it;

interface Recorder {
  readonly server: http.Server;
  readonly port: number;
  readonly requests: string[];
}

/** An HTTP server that records request targets and answers 404 (apt then gives up quickly). */
async function recorder(): Promise<Recorder> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

/** A local port with nothing listening (taken, then released). */
async function closedPort(): Promise<number> {
  const r = await recorder();
  await new Promise<void>((resolve) => r.server.close(() => resolve()));
  return r.port;
}

/** The two proxy files as the guest would receive them, for an apt_proxy_url value. */
function proxyFiles(proxyUrl: string): { conf: string; detector: string } {
  const model = modelFixture();
  const text = renderUserData(
    vmByName(model, "k8s-worker1"),
    model,
    loadSeedTemplates(path.join(__dirname, "../../../../templates")),
    SEED_VARIABLE_EXPRESSIONS,
  );
  const userData = YAML.parse(renderTemplate(text, { var: { apt_proxy_url: proxyUrl } }));
  const content = (p: string): string =>
    userData.write_files.find((f: { path: string }) => f.path === p).content;
  return { conf: content(APT_PROXY_CONF_PATH), detector: content(APT_PROXY_DETECT_PATH) };
}

let dir: string;
let mirror: Recorder;
let cache: Recorder;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "apt-proxy-"));
  mirror = await recorder();
  cache = await recorder();
});
afterAll(async () => {
  await Promise.all([mirror, cache].map((r) => new Promise((resolve) => r.server.close(resolve))));
  fs.rmSync(dir, { recursive: true, force: true });
});

interface AptSetup {
  readonly root: string;
  readonly detectorPath: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * An apt configuration root holding the rendered 01proxy in its parts directory (as in the guest's
 * /etc/apt/apt.conf.d) and the detector, isolated from the host's apt configuration: APT_CONFIG is read
 * before /etc/apt/apt.conf.d, so pointing Parts/Main away there shuts the host out. apt passes its
 * environment to the detector, whose apt-config then reads this same configuration.
 */
function aptSetup(
  name: string,
  proxyUrl: string,
  opts: { withDetector: boolean } = { withDetector: true },
): AptSetup {
  const root = path.join(dir, name);
  for (const d of ["lists/partial", "cache/archives/partial", "parts", "sources.d"])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  const files = proxyFiles(proxyUrl);
  const detectorPath = path.join(root, "apt-proxy-detect");
  fs.writeFileSync(detectorPath, files.detector, { mode: 0o755 });
  // The same file, with the detector at its test location instead of /usr/local/bin.
  let conf = files.conf.split(APT_PROXY_DETECT_PATH).join(detectorPath);
  if (!opts.withDetector)
    conf = conf
      .split("\n")
      .filter((l) => !l.includes("Proxy-Auto-Detect"))
      .join("\n");
  fs.writeFileSync(path.join(root, "parts/01proxy"), conf);
  fs.writeFileSync(path.join(root, "status"), "");
  fs.writeFileSync(
    path.join(root, "sources.list"),
    `deb http://127.0.0.1:${mirror.port}/ubuntu noble main\n`,
  );
  const aptConfig = path.join(root, "apt.conf");
  fs.writeFileSync(
    aptConfig,
    [
      `Dir::Etc::Parts "${root}/parts";`,
      'Dir::Etc::Main "/dev/null";',
      `Dir::Etc::SourceList "${root}/sources.list";`,
      `Dir::Etc::SourceParts "${root}/sources.d";`,
      `Dir::State::Lists "${root}/lists";`,
      `Dir::State::status "${root}/status";`,
      `Dir::Cache "${root}/cache";`,
      'Dir::Cache::pkgcache "";',
      'Dir::Cache::srcpkgcache "";',
      'Debug::NoLocking "true";',
      `APT::Sandbox::User "${os.userInfo().username}";`,
      'Acquire::Retries "0";',
      'Acquire::Languages "none";',
      "",
    ].join("\n"),
  );
  return { root, detectorPath, env: { PATH: process.env.PATH, APT_CONFIG: aptConfig, LC_ALL: "C" } };
}

/** apt-get update against the local mirror; the servers record where apt's requests went. */
async function aptUpdate(setup: AptSetup): Promise<void> {
  mirror.requests.length = 0;
  cache.requests.length = 0;
  await runWithDeadline("apt-get", ["update"], { timeoutMs: 30_000, env: setup.env });
}

describe("apt proxy client", () => {
  itShellcheck("the detector passes shellcheck", async () => {
    const file = path.join(dir, "lint-detect");
    fs.writeFileSync(file, proxyFiles("http://10.10.0.148:3142").detector);
    const r = await runWithDeadline("shellcheck", ["-s", "bash", file], { timeoutMs: 30_000 });
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: "" });
  });

  itApt("the detector prints the cache URL when it answers, else DIRECT", async () => {
    const up = `http://127.0.0.1:${cache.port}`;
    const down = `http://user@127.0.0.1:${await closedPort()}/path`;
    const detect = async (name: string, url: string) => {
      const setup = aptSetup(name, url);
      return runWithDeadline(setup.detectorPath, ["http://archive.ubuntu.com/ubuntu"], {
        timeoutMs: 30_000,
        env: setup.env,
      });
    };
    expect(await detect("detect-up", up)).toMatchObject({ code: 0, stdout: `${up}\n` });
    expect(await detect("detect-down", down)).toMatchObject({ code: 0, stdout: "DIRECT\n" });
    expect(await detect("detect-none", "")).toMatchObject({ code: 0, stdout: "DIRECT\n" });
  });

  itApt("apt goes through the cache while it answers", async () => {
    await aptUpdate(aptSetup("up", `http://127.0.0.1:${cache.port}`));
    expect(cache.requests.length).toBeGreaterThan(0);
    expect(cache.requests.every((u) => u.startsWith(`http://127.0.0.1:${mirror.port}/ubuntu/`))).toBe(true);
    expect(mirror.requests).toEqual([]);
  });

  itApt("apt fetches from the mirror directly when the cache does not answer", async () => {
    await aptUpdate(aptSetup("down", `http://127.0.0.1:${await closedPort()}`));
    expect(mirror.requests.length).toBeGreaterThan(0);
    expect(mirror.requests.every((u) => u.startsWith("/ubuntu/"))).toBe(true);
  });

  itApt(
    "without the detector, the same unreachable cache breaks apt (the fallback is what saves it)",
    async () => {
      await aptUpdate(
        aptSetup("no-detector", `http://127.0.0.1:${await closedPort()}`, { withDetector: false }),
      );
      expect(mirror.requests).toEqual([]);
    },
  );
});
