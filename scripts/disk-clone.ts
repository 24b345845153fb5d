/**
 * Terraform entry point: creates the VM's VMDK from the base image, or keeps the one that exists.
 * The base is converted once per size into `<base images folder>/sized/` and copied per VM, so the
 * disk-clones Terraform runs side by side wait for one conversion instead of each making their own;
 * the conversion first verifies the base image's SHA-256 (fetching it again on a mismatch).
 * Env: lib/model/entry/contracts.ts DISK_CLONE: the disk's inputs and the base image's own (IMAGE_SOURCE,
 * ...), used to fetch it again when a new disk is needed but base_images/ was emptied after the image
 * resource ran. STEP_DIR/STEP_TOKEN: the step's records (lib/runtime/steps/records.ts).
 */
import * as fs from "node:fs";
import { EntryInputError } from "../lib/model/entry/contract";
import { DISK_CLONE } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { prepareVmDisk } from "../lib/runtime/disk/prepare-disk";
import { resolveInside } from "../lib/runtime/fs/path-guard";
import { ensureBaseImage } from "../lib/runtime/image/base-image";
import { baseImageOptions } from "../lib/runtime/image/from-env";
import { resolveStepDir, runStep } from "../lib/runtime/steps/records";

runMain("disk-clone", async () => {
  const input = DISK_CLONE.parse(process.env);
  const label = `disk-clone ${input.VM_NAME}`;
  const root = process.cwd();
  const baseImage = resolveInside(root, input.BASE_IMAGE, { label: "BASE_IMAGE" });
  const vmsDir = resolveInside(root, input.VMS_DIR, { label: "VMS_DIR" });
  const diskPath = resolveInside(vmsDir, input.DISK_PATH, { label: "DISK_PATH", base: root });
  const sizeGb = input.DISK_SIZE_GB;
  const source = input.IMAGE_SOURCE;
  const stepDir = resolveStepDir(root, input.VMS_DIR, input.STEP_DIR);

  const imageOptions = (imageSource: string) => {
    if (input.IMAGE_PATH === undefined)
      throw new EntryInputError(`IMAGE_PATH is not set: it is needed with IMAGE_SOURCE (${imageSource})`);
    const inputs = { ...input, IMAGE_SOURCE: imageSource, IMAGE_PATH: input.IMAGE_PATH };
    const image = baseImageOptions(root, inputs, (message) => log(label, message));
    if (image.dest !== baseImage)
      throw new Error(
        `IMAGE_PATH ${image.dest} and BASE_IMAGE ${baseImage} differ: they must name the same file`,
      );
    return image;
  };
  const result = await runStep(stepDir, "disk", input.STEP_TOKEN ?? "", async () => {
    if (!fs.existsSync(diskPath) && !fs.existsSync(baseImage) && source !== undefined) {
      log(label, "the base image is missing: fetching it again");
      await ensureBaseImage(imageOptions(source));
    }
    return { result: await prepareDisk() };
  });
  log(
    label,
    result.action === "created" ? `created ${diskPath} (${sizeGb} GiB)` : `kept the existing ${diskPath}`,
  );

  function prepareDisk() {
    return prepareVmDisk({
      baseImage,
      target: diskPath,
      sizeGb,
      timeoutMs: input.DISK_TIMEOUT_SECONDS * 1000,
      onProgress: (message) => log(label, message),
      // Before a conversion (not for copies of an existing one): the image may have been damaged since
      // it was verified, and a damaged qcow2 still converts. A mismatch fetches it again.
      verifyBase:
        source !== undefined
          ? async () => (await ensureBaseImage(imageOptions(source))).action !== "verified-existing"
          : undefined,
    });
  }
});
