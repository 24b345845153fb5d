import type { ParsedEnvironment } from "../../model/entry/contract";
import type { BASE_IMAGE } from "../../model/entry/contracts";
import { resolveInside } from "../fs/path-guard";
import { EnsureBaseImageOptions } from "./base-image";

/** The base image's inputs, parsed by base-image's or disk-clone's contract (the same keys in both). */
type ImageInputs = Pick<
  ParsedEnvironment<typeof BASE_IMAGE.fields>,
  "IMAGE_SOURCE" | "IMAGE_PATH" | "IMAGE_SHA256" | "IMAGE_CHECKSUMS_URL" | "DOWNLOAD_TIMEOUT_SECONDS"
>;

/** What ensureBaseImage needs, from the base image's inputs as Terraform passes them. */
export function baseImageOptions(
  root: string,
  input: ImageInputs,
  onProgress: (m: string) => void,
): EnsureBaseImageOptions {
  return {
    source: input.IMAGE_SOURCE,
    dest: resolveInside(root, input.IMAGE_PATH, { label: "IMAGE_PATH" }),
    sha256: input.IMAGE_SHA256,
    checksumsUrl: input.IMAGE_CHECKSUMS_URL,
    timeoutMs: input.DOWNLOAD_TIMEOUT_SECONDS * 1000,
    onProgress,
  };
}
