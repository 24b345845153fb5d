import type { ConfigIssue } from "./errors";
import type { ClusterConfig } from "./schema";
import type { Arch, BaseImageSpec } from "./model";

const UBUNTU_IMAGE_BASE = "https://cloud-images.ubuntu.com/noble/current";
/**
 * Where the base image and its checksums may come from: https, http on this machine only, file:///
 * or an absolute path (the sources lib/runtime/image accepts). URLs are made of URL-safe characters only; a
 * local path may hold spaces and non-ASCII letters (macOS folder names) but no control character,
 * quote, backslash or shell symbol.
 */
const URL_PATH = "(/[A-Za-z0-9._~%+/-]*)?";
const LOCAL_PATH = "/[^\\u0000-\\u001f\\u007f\"'\\\\$`;|&<>(){}*?!]+";
const SAFE_IMAGE_SOURCE = new RegExp(
  `^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?${URL_PATH}|http://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]{1,5})?${URL_PATH}|file://${LOCAL_PATH}|${LOCAL_PATH})$`,
  "u",
);
function isSafeImageSource(url: string): boolean {
  return url.length <= 2048 && SAFE_IMAGE_SOURCE.test(url);
}
const IMAGE_SOURCE_FIX = (what: string) =>
  `must be an https:// URL (or http:// on localhost) of letters, digits and . _ ~ % + / -, or a file:/// URL or absolute path without quotes, control characters or shell symbols, to ${what}`;

/** The base image: Ubuntu's noble image for `arch` with its SHA256SUMS unless a source is given, which must be safe and verifiable. */
export function resolveBaseImage(config: ClusterConfig, arch: Arch, issues: ConfigIssue[]): BaseImageSpec {
  const image = config.baseImage;
  const defaultUrl = `${UBUNTU_IMAGE_BASE}/noble-server-cloudimg-${arch}.img`;
  const url = image.url ?? defaultUrl;
  const checksumsUrl =
    image.checksumsUrl ?? (image.url === undefined ? `${UBUNTU_IMAGE_BASE}/SHA256SUMS` : undefined);
  if (!isSafeImageSource(url)) {
    issues.push({ field: "baseImage.url", value: url, problem: IMAGE_SOURCE_FIX("a qcow2 cloud image") });
  }
  if (image.checksumsUrl !== undefined && !isSafeImageSource(image.checksumsUrl)) {
    issues.push({
      field: "baseImage.checksumsUrl",
      value: image.checksumsUrl,
      problem: IMAGE_SOURCE_FIX("a SHA256SUMS file"),
    });
  }
  if (image.sha256 === undefined && checksumsUrl === undefined) {
    issues.push({
      field: "baseImage.sha256",
      value: undefined,
      problem:
        "a custom baseImage.url needs a checksum to verify it: set baseImage.sha256 (shasum -a 256 <image>) or baseImage.checksumsUrl",
    });
  }
  const imageFile = url.split("/").pop() ?? "";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(imageFile)) {
    issues.push({
      field: "baseImage.url",
      value: url,
      problem:
        "must end in a plain file name (letters, digits, '.', '_', '-'), which names the file in base_images/",
    });
  }

  return {
    url,
    ...(image.sha256 !== undefined ? { sha256: image.sha256 } : {}),
    ...(checksumsUrl !== undefined ? { checksumsUrl } : {}),
    path: `${config.paths.baseImagesDir}/${imageFile}`,
    virtualSizeGb: image.virtualSizeGb,
  };
}
