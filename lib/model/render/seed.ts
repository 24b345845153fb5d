import type { ClusterModel, VmSpec } from "../config/model";
import {
  renderGuestinfoMetadata,
  renderMetaData,
  renderNetworkConfig,
  renderUserData,
  type SeedVariables,
} from "./cloud-init";
import type { SeedTemplates } from "./templates";

/**
 * One VM's cloud-init documents, rendered once from the model for whichever target carries them
 * (Fusion: the NoCloud seed ISO; vSphere: guestinfo), so a construct takes the documents and not the
 * model. Terraform template text: the variables appear as `${...}` expressions.
 */
export interface SeedDocuments {
  readonly userData: string;
  readonly networkConfig: string;
  /** NoCloud meta-data for an instance id (which follows the other two documents' content). */
  metaData(instanceId: string): string;
  /** VMware guestinfo.metadata: meta-data with the network config, from an HCL expression holding it. */
  guestinfoMetadata(instanceId: string, networkConfigExpression: string): string;
}

export function renderSeed(
  vm: VmSpec,
  model: ClusterModel,
  templates: SeedTemplates,
  variables: SeedVariables,
): SeedDocuments {
  return {
    userData: renderUserData(vm, model, templates, variables),
    networkConfig: renderNetworkConfig(vm, model, templates, variables),
    metaData: (instanceId) => renderMetaData(vm, instanceId, templates),
    guestinfoMetadata: (instanceId, networkConfig) =>
      renderGuestinfoMetadata(vm, instanceId, networkConfig, templates),
  };
}
