import * as fs from "node:fs";
import * as path from "node:path";
import type { Role } from "../../model/config/model";
import { SEED_TEMPLATE_FILES, SeedTemplates } from "../../model/render/templates";

const ROLES: readonly Role[] = ["gateway", "master", "worker", "apt-cache"];

/** Reads the templates from `dir` (the only I/O of the renderers). A missing role overlay is fine. */
export function loadSeedTemplates(dir: string): SeedTemplates {
  const read = (file: string): string => {
    const full = path.join(dir, file);
    try {
      return fs.readFileSync(full, "utf8");
    } catch (err) {
      throw new Error(
        `cannot read seed template ${full}: ${(err as Error).message}; restore it from the repository`,
        { cause: err },
      );
    }
  };
  const roleOverlays: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    const file = path.join(dir, SEED_TEMPLATE_FILES.roleOverlay(role));
    if (fs.existsSync(file)) roleOverlays[role] = read(SEED_TEMPLATE_FILES.roleOverlay(role));
  }
  return {
    userData: read(SEED_TEMPLATE_FILES.userData),
    metaData: read(SEED_TEMPLATE_FILES.metaData),
    networkConfig: read(SEED_TEMPLATE_FILES.networkConfig),
    roleOverlays,
    guestApplier: read(SEED_TEMPLATE_FILES.guestApplier),
    aptCacheStats: read(SEED_TEMPLATE_FILES.aptCacheStats),
    aptProxyDetector: read(SEED_TEMPLATE_FILES.aptProxyDetector),
  };
}
