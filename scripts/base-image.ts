/**
 * Terraform entry point: puts the verified base cloud image at IMAGE_PATH (download, copy or keep).
 * Env: IMAGE_SOURCE, IMAGE_PATH, optional IMAGE_SHA256, IMAGE_CHECKSUMS_URL, DOWNLOAD_TIMEOUT_SECONDS.
 */
import { optionalEnv, optionalIntEnv, requireEnv } from "../lib/entry/env";
import { log, runMain } from "../lib/entry/main";
import { resolveInside } from "../lib/fs/path-guard";
import { ensureBaseImage } from "../lib/image/base-image";

const LABEL = "base-image";

runMain(LABEL, async () => {
  const source = requireEnv("IMAGE_SOURCE");
  const dest = resolveInside(process.cwd(), requireEnv("IMAGE_PATH"), { label: "IMAGE_PATH" });
  const sha256 = optionalEnv("IMAGE_SHA256", "") || undefined;
  const checksumsUrl = optionalEnv("IMAGE_CHECKSUMS_URL", "") || undefined;
  const timeoutSeconds = optionalIntEnv("DOWNLOAD_TIMEOUT_SECONDS", 1800);

  const result = await ensureBaseImage({
    source,
    dest,
    sha256,
    checksumsUrl,
    timeoutMs: timeoutSeconds * 1000,
    onProgress: (message) => log(LABEL, message),
  });
  log(LABEL, `${result.action} ${result.path} (sha256 ${result.sha256})`);
});
