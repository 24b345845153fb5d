import { modelFixture } from "../../test-support/model-fixture";
import { dataSources, one, resources, TfJson } from "../../test-support/synth";
import { synthStacks } from "../../test-support/stacks";

const { aptCache } = synthStacks(modelFixture());

describe("apt-cache stack", () => {
  it("has its own state file, so a cluster teardown never touches it", () => {
    expect(aptCache.terraform.backend).toEqual({ local: { path: "../../../terraform.apt-cache.tfstate" } });
  });

  it("holds only the APT cache VM and its base image", () => {
    const ids = Object.keys(resources(aptCache, "null_resource")).map((id) =>
      id.replace(/_[0-9A-F]{8}$/, ""),
    );
    expect(ids.sort()).toEqual([
      "apt-cache-server_disk",
      "apt-cache-server_power",
      "apt-cache-server_seed_iso",
      "base-image",
    ]);
    expect(
      Object.keys(dataSources(aptCache, "external")).map((id) => id.replace(/_[0-9A-F]{8}$/, "")),
    ).toEqual(["ips_lookup", "steps_check"]);
    expect(Object.keys(resources(aptCache, "local_file")).some((id) => id.startsWith("inventory"))).toBe(
      false,
    );
  });

  it("gives the cache its static address, apt-cacher-ng, and no proxy pointing at itself", () => {
    const [, userData] = one(resources(aptCache, "local_file"), "apt-cache-server_seed_user_data");
    const [, network] = one(resources(aptCache, "local_file"), "apt-cache-server_seed_network_config");
    expect(userData.content).toContain("apt-cacher-ng");
    expect(userData.content).not.toContain("Acquire::http::Proxy");
    expect(network.content).toContain("10.10.0.148/24");
  });

  it("declares only the DNS variables and outputs its IP and URL", () => {
    expect(Object.keys(aptCache.variable).sort()).toEqual(["dns_search_domains", "dns_servers"]);
    expect(Object.keys(aptCache.output).sort()).toEqual(["apt_cache_ip", "apt_cache_url"]);
    expect((aptCache.output as TfJson).apt_cache_url.value).toBe("http://10.10.0.148:3142");
  });

  it("matches the wiring snapshot (resource ids and dependencies)", () => {
    const wiring = Object.fromEntries(
      Object.entries(resources(aptCache, "null_resource")).map(([id, r]) => [
        id,
        { depends_on: r.depends_on ?? [], triggers: r.triggers },
      ]),
    );
    expect(wiring).toMatchSnapshot();
  });
});
