import { optionalEnv, optionalIntEnv, requireEnv } from "../entry/env";
import { resolveInside } from "../fs/path-guard";
import { EnsureBaseImageOptions } from "./base-image";

/**
 * The base image's inputs as Terraform passes them (IMAGE_SOURCE, IMAGE_PATH, optional IMAGE_SHA256,
 * IMAGE_CHECKSUMS_URL, DOWNLOAD_TIMEOUT_SECONDS); shared by base-image and disk-clone.
 */
export function baseImageOptionsFromEnv(
  root: string,
  env: NodeJS.ProcessEnv,
  onProgress: (m: string) => void,
): EnsureBaseImageOptions {
  return {
    source: requireEnv("IMAGE_SOURCE", env),
    dest: resolveInside(root, requireEnv("IMAGE_PATH", env), { label: "IMAGE_PATH" }),
    sha256: optionalEnv("IMAGE_SHA256", "", env) || undefined,
    checksumsUrl: optionalEnv("IMAGE_CHECKSUMS_URL", "", env) || undefined,
    timeoutMs: optionalIntEnv("DOWNLOAD_TIMEOUT_SECONDS", 1800, env) * 1000,
    onProgress,
  };
}
