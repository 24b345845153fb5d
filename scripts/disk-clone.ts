/**
 * Terraform entry point: creates the VM's VMDK from the base image, or keeps the one that exists.
 * The base is converted once per size into `<base images folder>/sized/` and copied per VM, so the
 * disk-clones Terraform runs side by side wait for one conversion instead of each making their own;
 * the conversion first verifies the base image's SHA-256 (fetching it again on a mismatch).
 * Env: VM_NAME, BASE_IMAGE, DISK_PATH (inside VMS_DIR), DISK_SIZE_GB, VMS_DIR, DISK_TIMEOUT_SECONDS;
 * and the base image's own inputs (IMAGE_SOURCE, ...), used to fetch it again when a new disk is
 * needed but base_images/ was emptied after the image resource ran.
 */
import * as fs from "node:fs";
import { optionalIntEnv, requireEnv, requireIntEnv } from "../lib/entry/env";
import { log, runMain } from "../lib/entry/main";
import { prepareVmDisk } from "../lib/disk/prepare-disk";
import { resolveInside } from "../lib/fs/path-guard";
import { ensureBaseImage } from "../lib/image/base-image";
import { baseImageOptionsFromEnv } from "../lib/image/from-env";

runMain("disk-clone", async () => {
  const vmName = requireEnv("VM_NAME");
  const label = `disk-clone ${vmName}`;
  const root = process.cwd();
  const baseImage = resolveInside(root, requireEnv("BASE_IMAGE"), { label: "BASE_IMAGE" });
  const vmsDir = resolveInside(root, requireEnv("VMS_DIR"), { label: "VMS_DIR" });
  const diskPath = resolveInside(vmsDir, requireEnv("DISK_PATH"), { label: "DISK_PATH", base: root });
  const sizeGb = requireIntEnv("DISK_SIZE_GB", process.env, 1, 65536);
  const timeoutSeconds = optionalIntEnv("DISK_TIMEOUT_SECONDS", 900);

  const imageOptions = () => {
    const image = baseImageOptionsFromEnv(root, process.env, (message) => log(label, message));
    if (image.dest !== baseImage)
      throw new Error(
        `IMAGE_PATH ${image.dest} and BASE_IMAGE ${baseImage} differ: they must name the same file`,
      );
    return image;
  };
  if (!fs.existsSync(diskPath) && !fs.existsSync(baseImage) && process.env.IMAGE_SOURCE) {
    log(label, "the base image is missing: fetching it again");
    await ensureBaseImage(imageOptions());
  }
  const result = await prepareVmDisk({
    baseImage,
    target: diskPath,
    sizeGb,
    timeoutMs: timeoutSeconds * 1000,
    onProgress: (message) => log(label, message),
    // Before a conversion (not for copies of an existing one): the image may have been damaged since
    // it was verified, and a damaged qcow2 still converts. A mismatch fetches it again.
    verifyBase: process.env.IMAGE_SOURCE
      ? async () => (await ensureBaseImage(imageOptions())).action !== "verified-existing"
      : undefined,
  });
  log(
    label,
    result.action === "created" ? `created ${diskPath} (${sizeGb} GiB)` : `kept the existing ${diskPath}`,
  );
});
