import { renderSshConfig } from "../../../../lib/commands/ssh/ssh-config";
import { modelFixture } from "../../../../test-support/model-fixture";

const address = new Map([["k8s-master1", { address: "10.10.0.21", source: "inventory" }]]);

describe("renderSshConfig", () => {
  it("quotes the paths it writes, spaces and all", () => {
    const text = renderSshConfig("/Users/me/my lab", modelFixture(), address);
    expect(text).toContain('UserKnownHostsFile "/Users/me/my lab/');
  });

  it.each(["/Users/me/100%d lab", "/Users/me/a${HOME}b", '/Users/me/a"b'])(
    "refuses a project path ssh would misread (%s), saying what to do",
    (root) => {
      expect(() => renderSshConfig(root, modelFixture(), address)).toThrow(
        /into ssh_config: it holds a quote, a control character, % or \$\{, which ssh would misread: move the project/,
      );
    },
  );
});
