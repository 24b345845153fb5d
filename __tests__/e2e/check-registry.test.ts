import { checksFor, CLUSTER_CHECKS, FACT_CHECKS } from "../../e2e/checks";
import { factCommands } from "../../e2e/checks/facts";

const names = (cs: readonly { name: string }[]) => cs.map((c) => c.name);

describe("check registry", () => {
  it("gives gateways the keepalived/nginx/VIP checks and every VM the /etc/hosts and installed-file checks", () => {
    const gw = checksFor("gateway");
    const master = checksFor("master");
    expect(names(gw.facts)).toEqual(
      expect.arrayContaining([
        "/etc/hosts block",
        "keepalived and nginx active",
        "nginx listens on both VIPs",
        "non-local bind",
        "VIP holder",
      ]),
    );
    expect(names(master.facts)).toContain("/etc/hosts block");
    expect(names(master.facts)).not.toContain("VIP holder");
    // The installed files are compared before the apt check changes the guest.
    expect(names(gw.active)).toEqual(["installed role files", "apt without the cache"]);
    expect(names(master.active)).toContain("installed role files");
    expect(names(CLUSTER_CHECKS)).toEqual([
      "API load balancer and VIP failover",
      "npm run ssh by name, host keys pinned",
    ]);
  });

  it("leaves out what guest-config installs when it never ran (a negative run)", () => {
    const gw = checksFor("gateway", { guestConfigApplied: false });
    expect(gw.facts.some((c) => c.needsGuestConfig)).toBe(false);
    expect(names(gw.facts)).toContain("hostname");
    expect(names(gw.active)).not.toContain("installed role files");
  });

  it("no two checks name the same fact with different commands", () => {
    expect(() => factCommands(FACT_CHECKS)).not.toThrow();
  });
});
