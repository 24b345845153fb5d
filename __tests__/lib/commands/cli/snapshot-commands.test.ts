import { loadCliContext } from "../../../../lib/commands/common/context";
import { inventoryAfterRollback } from "../../../../lib/commands/cli/snapshot-commands";
import { INVENTORY_HEADER } from "../../../../lib/model/inventory/env-file";
import { CliProject, createCliProject } from "../../../../test-support/cli-project";

describe("inventoryAfterRollback", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject();
  });
  afterEach(() => p.cleanup());
  const ctx = () => loadCliContext(p.root, { env: { ...process.env, ...p.env } });

  it("writes the APT cache's address and the addresses found when there is no inventory yet", () => {
    expect(inventoryAfterRollback(ctx(), { "k8s-worker1": "10.10.0.140" }, "")).toBe(
      `${INVENTORY_HEADER}\nAPT_CACHE_SERVER_IP=10.10.0.148\nK8S_WORKER1_IP=10.10.0.140\n`,
    );
  });

  it("replaces the addresses found and keeps the other lines, in cluster order", () => {
    const existing =
      "# old\nK8S_WORKER1_IP=10.10.0.199\nGATEWAY1_IP=192.168.68.50\nK8S_MASTER1_IP=10.10.0.131\nAPT_CACHE_SERVER_IP=10.10.0.9\n";
    // k8s-master1 was rolled back but reported no address: its line stays as it was.
    expect(inventoryAfterRollback(ctx(), { "k8s-worker1": "10.10.0.140", "k8s-master1": "" }, existing)).toBe(
      `${INVENTORY_HEADER}\nAPT_CACHE_SERVER_IP=10.10.0.148\nGATEWAY1_IP=192.168.68.50\nK8S_MASTER1_IP=10.10.0.131\nK8S_WORKER1_IP=10.10.0.140\n`,
    );
  });
});
