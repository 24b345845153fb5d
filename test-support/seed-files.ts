import type { ClusterModel, VmSpec } from "../lib/model/config/model";
import {
  renderMetaData,
  renderNetworkConfig,
  renderUserData,
  type SeedVariables,
} from "../lib/model/render/cloud-init";
import type { SeedTemplates } from "../lib/model/render/templates";

/** All three seed files of one VM, as the SeedIso construct renders them (with a given instance-id). */
export function renderSeedFiles(
  vm: VmSpec,
  model: ClusterModel,
  templates: SeedTemplates,
  vars: SeedVariables,
  instanceId: string,
): { readonly userData: string; readonly metaData: string; readonly networkConfig: string } {
  return {
    userData: renderUserData(vm, model, templates, vars),
    metaData: renderMetaData(vm, instanceId, templates),
    networkConfig: renderNetworkConfig(vm, model, templates, vars),
  };
}
