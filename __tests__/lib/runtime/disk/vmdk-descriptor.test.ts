import * as fs from "node:fs";
import * as path from "node:path";
import { qemuImgCheck, qemuImgInfo } from "../../../../lib/runtime/disk/qemu-img";
import { convertBaseToVmdk } from "../../../../lib/runtime/disk/sized-vmdk-cache";
import {
  patchDescriptorText,
  randomCid,
  readEmbeddedDescriptor,
  rewriteEmbeddedDescriptor,
} from "../../../../lib/runtime/disk/vmdk-descriptor";
import { runWithDeadline } from "../../../../lib/runtime/process/run-with-deadline";
import { cachedQcow2, GIB, makeTempDir, removeFixtureCache } from "../../../../test-support/fixtures";
import { requireTools } from "../../../../test-support/required-tools";

const QEMU_DESCRIPTOR = `# Disk DescriptorFile
version=1
CID=f7814599
parentCID=ffffffff
createType="monolithicSparse"

# Extent description
RW 83886080 SPARSE "disk.vmdk"

# The Disk Data Base
#DDB

ddb.adapterType = "lsilogic"
`;

let dir: string;
beforeEach(() => (dir = makeTempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
afterAll(() => removeFixtureCache());

async function vmdkOf(name: string): Promise<string> {
  const out = path.join(dir, name);
  await convertBaseToVmdk({
    baseImage: await cachedQcow2({ virtualSize: GIB }),
    sizeBytes: 2 * GIB,
    output: out,
    workDir: dir,
    timeoutMs: 60_000,
  });
  return out;
}

describe("patchDescriptorText", () => {
  it("renames the one SPARSE extent and replaces the CID, leaving every other line as it was", () => {
    const patched = patchDescriptorText(QEMU_DESCRIPTOR, {
      extentFileName: "k8s-worker1.vmdk",
      cid: "0a1b2c3d",
    });
    expect(patched).toBe(
      QEMU_DESCRIPTOR.replace("CID=f7814599", "CID=0a1b2c3d").replace('"disk.vmdk"', '"k8s-worker1.vmdk"'),
    );
    expect(patched).toContain("parentCID=ffffffff");
  });

  it("refuses descriptors that are not a single sparse extent, and names or CIDs that cannot be written", () => {
    const two = QEMU_DESCRIPTOR.replace(
      'RW 83886080 SPARSE "disk.vmdk"',
      'RW 4194304 SPARSE "disk-s001.vmdk"\nRW 4194304 SPARSE "disk-s002.vmdk"',
    );
    expect(() => patchDescriptorText(two, { extentFileName: "a.vmdk", cid: "00000001" })).toThrow(
      /2 SPARSE extents, expected 1/,
    );
    expect(() =>
      patchDescriptorText(QEMU_DESCRIPTOR.replace(/^CID=.*$/m, ""), {
        extentFileName: "a.vmdk",
        cid: "00000001",
      }),
    ).toThrow(/no CID line/);
    expect(() =>
      patchDescriptorText(QEMU_DESCRIPTOR, { extentFileName: 'a".vmdk', cid: "00000001" }),
    ).toThrow(/cannot name a VMDK extent/);
    expect(() => patchDescriptorText(QEMU_DESCRIPTOR, { extentFileName: "a.img", cid: "00000001" })).toThrow(
      /cannot name a VMDK extent/,
    );
    expect(() => patchDescriptorText(QEMU_DESCRIPTOR, { extentFileName: "a.vmdk", cid: "xyz" })).toThrow(
      /not 8 lower-case hex digits/,
    );
  });

  it("makes random CIDs of 8 hex digits, never the no-parent value", () => {
    const cids = Array.from({ length: 50 }, randomCid);
    for (const cid of cids) expect(cid).toMatch(/^[0-9a-f]{8}$/);
    expect(cids).not.toContain("ffffffff");
    expect(new Set(cids).size).toBeGreaterThan(45);
  });
});

requireTools("qemu-img").describe("embedded descriptor of a qemu-img VMDK", () => {
  it("is read from the area the sparse header names", async () => {
    const file = await vmdkOf("first.vmdk");
    const d = await readEmbeddedDescriptor(file);
    expect(d).toMatchObject({ offset: 512, size: 20 * 512 });
    expect(d.text).toMatch(/^# Disk DescriptorFile\n/);
    expect(d.text).toContain(`RW ${(2 * GIB) / 512} SPARSE "first.vmdk"`);
  });

  it("is rewritten in place: only the descriptor area changes and qemu-img still reads the same disk", async () => {
    const original = await vmdkOf("source.vmdk");
    const copy = path.join(dir, "k8s-master1.vmdk");
    fs.copyFileSync(original, copy);
    const text = await rewriteEmbeddedDescriptor(copy, {
      extentFileName: "k8s-master1.vmdk",
      cid: "12345678",
    });
    expect(text).toContain('SPARSE "k8s-master1.vmdk"');
    expect((await readEmbeddedDescriptor(copy)).text).toBe(text);

    const before = fs.readFileSync(original);
    const after = fs.readFileSync(copy);
    expect(after.length).toBe(before.length);
    const { offset, size } = await readEmbeddedDescriptor(copy);
    expect(after.subarray(0, offset).equals(before.subarray(0, offset))).toBe(true);
    expect(after.subarray(offset + size).equals(before.subarray(offset + size))).toBe(true);
    expect(after.subarray(offset + text.length, offset + size).every((b) => b === 0)).toBe(true);

    expect(await qemuImgInfo(copy)).toMatchObject({
      format: "vmdk",
      virtualSize: 2 * GIB,
      createType: "monolithicSparse",
    });
    await expect(qemuImgCheck(copy, "vmdk", 30_000)).resolves.toBeUndefined();
    const cmp = await runWithDeadline("qemu-img", ["compare", "-f", "vmdk", "-F", "vmdk", original, copy], {
      timeoutMs: 60_000,
    });
    expect(cmp.stdout).toContain("Images are identical");
  });

  it("refuses a file that is not a sparse VMDK, and a name too long for the area", async () => {
    const notVmdk = path.join(dir, "notes.vmdk");
    fs.writeFileSync(notVmdk, "not a disk\n");
    await expect(readEmbeddedDescriptor(notVmdk)).rejects.toThrow(/is not a sparse VMDK \(no KDMV header\)/);
    const file = await vmdkOf("x.vmdk");
    const before = fs.readFileSync(file);
    await expect(
      rewriteEmbeddedDescriptor(file, { extentFileName: `${"n".repeat(11_000)}.vmdk`, cid: "00000001" }),
    ).rejects.toThrow(/does not fit its 10240-byte area/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});
