import { Construct } from "constructs";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { BaseImageSpec } from "../lib/model/config/model";
import { BASE_IMAGE } from "../lib/model/entry/contracts";
import { ProjectLayout, selfTrigger } from "./project-layout";

export interface BaseImageProps {
  readonly image: BaseImageSpec;
  /** Deadline for the download, in seconds. @default BASE_IMAGE's DOWNLOAD_TIMEOUT_SECONDS (1800) */
  readonly downloadTimeoutSeconds?: number;
}

/**
 * The golden cloud image in `base_images/`: downloaded once, checksum-verified, renamed into place
 * only when verified. A newer upstream image does not change the triggers, so it never re-clones a VM.
 */
export class BaseImage extends Construct {
  /** Project-relative path of the verified image. */
  public readonly path: string;
  public readonly spec: BaseImageSpec;
  /** Deadline for the download, in seconds. */
  public readonly downloadTimeoutSeconds: number;
  public readonly resource: Resource;

  constructor(scope: Construct, id: string, props: BaseImageProps) {
    super(scope, id);
    const timeout = props.downloadTimeoutSeconds ?? BASE_IMAGE.fields.DOWNLOAD_TIMEOUT_SECONDS.default;
    if (!Number.isInteger(timeout) || timeout < 1)
      throw new Error(`downloadTimeoutSeconds must be a positive whole number, got ${timeout}`);
    this.path = props.image.path;
    this.spec = props.image;
    this.downloadTimeoutSeconds = timeout;
    this.resource = new Resource(this, "image", {
      triggers: {
        source: props.image.url,
        path: props.image.path,
        sha256: props.image.sha256 ?? "",
        checksums_url: props.image.checksumsUrl ?? "",
      },
      provisioners: [
        ProjectLayout.of(this).localExec(BASE_IMAGE, {
          IMAGE_SOURCE: selfTrigger("source"),
          IMAGE_PATH: selfTrigger("path"),
          IMAGE_SHA256: selfTrigger("sha256"),
          IMAGE_CHECKSUMS_URL: selfTrigger("checksums_url"),
          DOWNLOAD_TIMEOUT_SECONDS: timeout,
        }),
      ],
    });
  }
}
