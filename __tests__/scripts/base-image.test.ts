import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { makeTempDir } from "../../test-support/fixtures";
import { makeTempProjectRoot, runEntry } from "../../test-support/run-entry";

const IMAGE = randomBytes(1024 * 1024);
const IMAGE_SHA = createHash("sha256").update(IMAGE).digest("hex");

let root: string;
let server: http.Server;
let url: string;
let imageRequests = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/noble.img") {
      imageRequests++;
      res.end(IMAGE);
    } else if (req.url === "/SHA256SUMS") {
      res.end(`${IMAGE_SHA} *noble.img\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  root = makeTempProjectRoot();
  imageRequests = 0;
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("scripts/base-image", () => {
  it("downloads and verifies into the project-relative IMAGE_PATH, then keeps it", async () => {
    const env = {
      IMAGE_SOURCE: `${url}/noble.img`,
      IMAGE_PATH: "base_images/noble.img",
      IMAGE_CHECKSUMS_URL: `${url}/SHA256SUMS`,
      IMAGE_SHA256: "",
      DOWNLOAD_TIMEOUT_SECONDS: "30",
    };
    const first = await runEntry("base-image", { projectRoot: root, env });
    expect(first.stderr).toContain(
      `base-image: downloaded ${path.join(root, "base_images/noble.img")} (sha256 ${IMAGE_SHA})`,
    );
    expect(first.code).toBe(0);
    expect(fs.readFileSync(path.join(root, "base_images/noble.img")).equals(IMAGE)).toBe(true);
    const second = await runEntry("base-image", { projectRoot: root, env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("verified-existing");
    expect(imageRequests).toBe(1);
  });

  it("copies a local image given by a project-relative path with a pinned hash", async () => {
    fs.mkdirSync(path.join(root, "downloads"));
    fs.writeFileSync(path.join(root, "downloads/noble.img"), IMAGE);
    const res = await runEntry("base-image", {
      projectRoot: root,
      env: {
        IMAGE_SOURCE: "downloads/noble.img",
        IMAGE_PATH: "base_images/noble.img",
        IMAGE_SHA256: IMAGE_SHA,
      },
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("base-image: copied");
  });

  it("fails with both hashes and keeps nothing when the pinned hash is wrong", async () => {
    const wrong = "f".repeat(64);
    const res = await runEntry("base-image", {
      projectRoot: root,
      env: { IMAGE_SOURCE: `${url}/noble.img`, IMAGE_PATH: "base_images/noble.img", IMAGE_SHA256: wrong },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(IMAGE_SHA);
    expect(res.stderr).toContain(wrong);
    expect(fs.readdirSync(path.join(root, "base_images"))).toEqual([]);
  });

  it("refuses an IMAGE_PATH outside the project", async () => {
    const outside = makeTempDir();
    try {
      const res = await runEntry("base-image", {
        projectRoot: root,
        env: {
          IMAGE_SOURCE: `${url}/noble.img`,
          IMAGE_PATH: path.join(outside, "noble.img"),
          IMAGE_SHA256: IMAGE_SHA,
        },
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^base-image: IMAGE_PATH=.*outside/m);
      expect(fs.readdirSync(outside)).toEqual([]);
      expect(imageRequests).toBe(0);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
