/**
 * apt with the apt cache absent: the test network has no host at the cache's address, so the lab's
 * proxy detector must answer DIRECT and apt must still update and install (the probe package from the
 * test network's repository), fetching it directly from the repository, not through a proxy.
 */
import { APT_PROXY_DETECT_PATH } from "../../lib/model/render/cloud-init";
import { PROBE_PACKAGE, PROBE_VERSION } from "../lib/apt-repo";
import type { ActiveCheck, CheckResult } from "./types";

function tail(text: string, lines = 6): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

export const aptWithoutCacheCheck: ActiveCheck = {
  name: "apt without the cache",
  async run(ctx, guest, services): Promise<CheckResult[]> {
    const detect = await guest.run(APT_PROXY_DETECT_PATH, 30_000);
    const answer = detect.out.trim();
    const fallback: CheckResult = {
      id: "apt-proxy-fallback",
      ok: detect.rc === 0 && answer === "DIRECT",
      seen: `${APT_PROXY_DETECT_PATH} -> ${answer || "(nothing)"} (exit ${detect.rc}); cache ${ctx.model.aptCache.proxyUrl} absent`,
      ...(detect.rc === 0 && answer === "DIRECT"
        ? {}
        : { detail: "with the cache unreachable the detector must print DIRECT" }),
    };

    const started = Date.now();
    const update = await guest.run("sudo -n apt-get update -q 2>&1", 180_000);
    const install =
      update.rc === 0
        ? await guest.run(
            `sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${PROBE_PACKAGE} 2>&1`,
            180_000,
          )
        : undefined;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const version = await guest.run(`dpkg-query -W -f='\${Version}' ${PROBE_PACKAGE}`, 30_000);
    const debFetches = services
      .repoRequests()
      .filter(
        (r) =>
          r.client?.replace(/^::ffff:/, "") === ctx.address &&
          (r.path ?? "").endsWith(".deb") &&
          r.status === 200,
      );
    const installed = version.rc === 0 && version.out.trim() === PROBE_VERSION;
    const ok = update.rc === 0 && install?.rc === 0 && installed && debFetches.length > 0;
    const seen = `apt-get update exit ${update.rc}, install exit ${install?.rc ?? "-"}, ${PROBE_PACKAGE} ${installed ? version.out.trim() : "not installed"}, .deb fetched directly by ${ctx.address}: ${debFetches.length > 0 ? "yes" : "no"} (${seconds} s)`;
    const detail =
      update.rc !== 0
        ? `apt-get update:\n${tail(update.out)}`
        : install?.rc !== 0
          ? `apt-get install:\n${tail(install?.out ?? "")}`
          : !installed
            ? `dpkg-query: ${version.out.trim()}`
            : "the package server logged no direct download of the .deb from this guest";
    return [fallback, { id: "apt-without-cache", ok, seen, ...(ok ? {} : { detail }) }];
  },
};
