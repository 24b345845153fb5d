/**
 * Terraform entry point: puts the verified base cloud image at IMAGE_PATH (download, copy or keep).
 * Env: IMAGE_SOURCE, IMAGE_PATH, optional IMAGE_SHA256, IMAGE_CHECKSUMS_URL, DOWNLOAD_TIMEOUT_SECONDS.
 */
import { log, runMain } from "../lib/entry/main";
import { ensureBaseImage } from "../lib/image/base-image";
import { baseImageOptionsFromEnv } from "../lib/image/from-env";

const LABEL = "base-image";

runMain(LABEL, async () => {
  const result = await ensureBaseImage(
    baseImageOptionsFromEnv(process.cwd(), process.env, (message) => log(LABEL, message)),
  );
  log(LABEL, `${result.action} ${result.path} (sha256 ${result.sha256})`);
});
