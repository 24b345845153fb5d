/**
 * Terraform entry point: puts the verified base cloud image at IMAGE_PATH (download, copy or keep).
 * Env: lib/entry/contracts.ts BASE_IMAGE.
 */
import { BASE_IMAGE } from "../lib/entry/contracts";
import { log, runMain } from "../lib/entry/main";
import { ensureBaseImage } from "../lib/image/base-image";
import { baseImageOptions } from "../lib/image/from-env";

const LABEL = "base-image";

runMain(LABEL, async () => {
  const input = BASE_IMAGE.parse(process.env);
  const result = await ensureBaseImage(
    baseImageOptions(process.cwd(), input, (message) => log(LABEL, message)),
  );
  log(LABEL, `${result.action} ${result.path} (sha256 ${result.sha256})`);
});
