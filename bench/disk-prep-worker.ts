/**
 * One disk job of the disk benchmark's "all at once" runs, in a process of its own as Terraform runs
 * each disk-clone (own thread pool, locks between processes). Loads first, prints "ready", waits for
 * a line on stdin, then does the job and prints "done", so start-up stays out of the timing.
 * argv: `prepare <baseImage> <target> <sizeGb> <image source> <image sha256>` (the product's way, with
 * the base image verification disk-clone makes) or `copy <source> <target>` (the floor: a plain copy,
 * then the one `qemu-img info` of it that the product runs on every disk too, so both sides pay the
 * same processes).
 */
import * as fs from "node:fs";
import { prepareVmDisk } from "../lib/runtime/disk/prepare-disk";
import { qemuImgInfo } from "../lib/runtime/disk/qemu-img";
import { verifyBaseLikeDiskClone } from "./disk-prep";

async function job([kind, ...args]: readonly string[]): Promise<void> {
  if (kind === "prepare") {
    const [baseImage, target, sizeGb, imageSource, imageSha256] = args;
    await prepareVmDisk({
      baseImage,
      target,
      sizeGb: Number(sizeGb),
      timeoutMs: 600_000,
      verifyBase: verifyBaseLikeDiskClone(imageSource, baseImage, imageSha256),
    });
  } else if (kind === "copy") {
    const [source, target] = args;
    await fs.promises.copyFile(source, target);
    await qemuImgInfo(target);
  } else {
    throw new Error(`unknown job ${JSON.stringify(kind)}: use prepare or copy`);
  }
}

process.stdout.write("ready\n");
process.stdin.once("data", () => {
  job(process.argv.slice(2)).then(
    () => {
      process.stdout.write("done\n");
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
});
