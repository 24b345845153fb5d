import * as fs from "node:fs";
import * as path from "node:path";
import type { Role } from "../../model/config/model";
import { SEED_TEMPLATE_FILES, SeedTemplates } from "../../model/render/templates";

const ROLES: readonly Role[] = ["gateway", "master", "worker", "apt-cache"];

/** Reads the templates from `dir`, every file of it (the only I/O of the renderers). A missing role overlay is fine. */
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
  const files = new Map<string, string>();
  // An unreadable folder is reported by the first named read below, with its fix.
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : [];
  for (const entry of entries) if (entry.isFile()) files.set(entry.name, read(entry.name));
  return {
    files,
    userData: read(SEED_TEMPLATE_FILES.userData),
    metaData: read(SEED_TEMPLATE_FILES.metaData),
    networkConfig: read(SEED_TEMPLATE_FILES.networkConfig),
    roleOverlays,
    guestApplier: read(SEED_TEMPLATE_FILES.guestApplier),
    aptCacheStats: read(SEED_TEMPLATE_FILES.aptCacheStats),
    aptProxyDetector: read(SEED_TEMPLATE_FILES.aptProxyDetector),
  };
}
