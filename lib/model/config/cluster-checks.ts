import type { ConfigIssue } from "./errors";
import type { ClusterConfig } from "./schema";
import type { VmSpec } from "./model";
import { inventoryVariableName } from "./vm-files";

/** Top-level names of the project's own files and folders: no configured path may take them over. */
const PROJECT_NAMES = [
  "cluster.yaml",
  "cluster.example.yaml",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "cdktf.json",
  "main.ts",
  "readme.md",
  "node_modules",
  "cdktf.out",
  "scripts",
  "lib",
  "constructs",
  "stacks",
  "templates",
  "__tests__",
  "test-support",
  "bench",
  "e2e",
  ".git",
  ".ci",
];

/** The gateways' nginx balances the Kubernetes API over the masters: an empty upstream is invalid. */
export function checkGatewaysHaveMasters(vms: readonly VmSpec[], issues: ConfigIssue[]): void {
  if (vms.some((vm) => vm.role === "gateway") && !vms.some((vm) => vm.role === "master")) {
    issues.push({
      field: "vms",
      value: undefined,
      problem:
        "has gateways but no master; the gateways load-balance the Kubernetes API to the masters: add a VM with role: master, or remove the gateways",
    });
  }
}

/** Inventory variable names must be unique too (they are derived from the names). */
export function checkInventoryNames(vms: readonly VmSpec[], issues: ConfigIssue[]): void {
  const envNames = new Map<string, string>();
  for (const vm of vms) {
    const key = inventoryVariableName(vm.name);
    const other = envNames.get(key);
    if (other !== undefined && other !== vm.name)
      issues.push({
        field: "vms",
        value: vm.name,
        problem: `maps to the same inventory variable ${key} as ${other}; rename one of them`,
      });
    envNames.set(key, vm.name);
  }
}

/** Configured paths: no two overlap (case-insensitively, as on macOS), none takes over a project file. */
export function checkPaths(paths: ClusterConfig["paths"], issues: ConfigIssue[]): void {
  const pathValues = Object.entries(paths);
  for (const [key, value] of pathValues) {
    // macOS's APFS is case-insensitive by default: VMs and vms are one folder.
    const v = value.toLowerCase();
    for (const [otherKey, other] of pathValues) {
      const o = other.toLowerCase();
      if (key < otherKey && (v === o || v.startsWith(`${o}/`) || o.startsWith(`${v}/`))) {
        issues.push({
          field: `paths.${key}`,
          value,
          problem: `overlaps paths.${otherKey} (${other}); give each its own folder (case does not count on macOS)`,
        });
      }
    }
    const first = v.split("/")[0];
    if (PROJECT_NAMES.includes(first) || first.startsWith("terraform.")) {
      issues.push({
        field: `paths.${key}`,
        value,
        problem: `would take over the project's own ${value.split("/")[0]}; pick another name (the defaults are VMs/k8s_cluster, base_images, generated, vm-ips.env)`,
      });
    }
  }
}
