import { BaseImage } from "../../constructs/base-image";
import { modelFixture } from "../../test-support/model-fixture";
import { one, provisioner, resources, synthScope } from "../../test-support/synth";

describe("BaseImage", () => {
  const model = modelFixture();
  const json = synthScope(
    (s) =>
      new BaseImage(s, "base-image", {
        image: model.baseImage,
        downloadTimeoutSeconds: 600,
      }),
  );
  const [, image] = one(resources(json, "null_resource"), "base-image");

  it("downloads through base-image with every value from self.triggers", () => {
    expect(image.triggers).toEqual({
      source: "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img",
      path: "base_images/noble-server-cloudimg-amd64.img",
      sha256: "",
      checksums_url: "https://cloud-images.ubuntu.com/noble/current/SHA256SUMS",
    });
    const create = provisioner(image, "create");
    expect(create.command).toBe("../../../scripts/run base-image");
    expect(create.environment).toEqual({
      IMAGE_SOURCE: "${self.triggers.source}",
      IMAGE_PATH: "${self.triggers.path}",
      IMAGE_SHA256: "${self.triggers.sha256}",
      IMAGE_CHECKSUMS_URL: "${self.triggers.checksums_url}",
      DOWNLOAD_TIMEOUT_SECONDS: "600",
    });
  });

  it("has no destroy step: the image is kept for the next deploy", () => {
    expect(image.provisioner).toHaveLength(1);
  });

  it("fails for a bad timeout", () => {
    expect(() =>
      synthScope(
        (s) =>
          new BaseImage(s, "b", {
            image: model.baseImage,
            downloadTimeoutSeconds: 0,
          }),
      ),
    ).toThrow(/downloadTimeoutSeconds/);
  });

  it("matches the snapshot", () => {
    expect(json).toMatchSnapshot();
  });
});
