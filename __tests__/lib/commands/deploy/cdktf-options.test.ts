import * as fs from "node:fs";
import { CDKTF_DEPLOY_OPTIONS, checkCdktfArgs } from "../../../../lib/commands/deploy/cdktf-options";

const OWN = ["--remove-orphans", "--wait"];

/** The options the installed cdktf-cli bundle declares for `deploy`, and its global ones. */
function bundleOptions(): { deploy: string[]; global: string[] } {
  const bundle = fs.readFileSync(require.resolve("cdktf-cli/bundle/bin/cdktf.js"), "utf8");
  const optionsAround = (marker: string, before: number, after: number) => {
    const at = bundle.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    return [...bundle.slice(at - before, at + after).matchAll(/\.option\("([a-z-]+)",/g)].map((m) => m[1]);
  };
  // The deploy command is the one that declares outputs-file-include-sensitive-outputs; its options
  // run from "app" (the first) to "skip-provider-lock" (the last).
  const deploy = optionsAround('"outputs-file-include-sensitive-outputs"', 800, 3000);
  const from = deploy.indexOf("app");
  const to = deploy.indexOf("skip-provider-lock");
  const global = optionsAround('"disable-plugin-cache-env"', 400, 900);
  return { deploy: deploy.slice(from, to + 1), global };
}

describe("checkCdktfArgs", () => {
  it("knows every option cdktf-cli's deploy command and its global options declare", () => {
    const { deploy, global } = bundleOptions();
    expect(deploy.length).toBeGreaterThan(10);
    for (const o of [...deploy, ...global]) expect([o, CDKTF_DEPLOY_OPTIONS.includes(o)]).toEqual([o, true]);
  });

  it.each([
    [["--auto-approve"]],
    [["--var=internal_vip=10.10.0.101", "--var", "dns_servers=[]"]],
    [["--parallelism", "-1", "--no-color", "--noColor", "--autoApprove"]],
    [["-a", "npx tsx main.ts", "--var-file=my.tfvars"]],
  ])("passes %j", (args) => {
    expect(() => checkCdktfArgs(args, OWN)).not.toThrow();
  });

  it.each([
    ["--remove-orphan", "--remove-orphan"],
    ["--auto-aprove", "--auto-aprove"],
    ["--wiat=10", "--wiat"],
    ["-y", "-y"],
    ["--no-auto-approve", "--no-auto-approve"],
  ])("refuses %s, naming it and the options there are", (arg, named) => {
    expect(() => checkCdktfArgs(["--auto-approve", arg], OWN)).toThrow(
      new RegExp(
        `^unknown option ${named}: cdktf deploy would ignore it and go on, so nothing was done; deploy's own options are --remove-orphans, --wait, and cdktf deploy takes --app, .*--auto-approve, `,
      ),
    );
  });
});
