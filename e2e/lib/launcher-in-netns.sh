#!/usr/bin/env bash
# scripts/run of an e2e run's project folder (linked there by e2e/lib/project.ts): runs the product's
# own launcher (scripts/run.product, a link to the repository's scripts/run) inside the test network
# namespace $E2E_NETNS, where the Mac's side of vmnet2 is, so that entry points which reach the guests
# (guest-config over SSH) do so as they would on the Mac. Linux and root only; not used on the Mac.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
if [ -z "${E2E_NETNS:-}" ]; then
  echo "scripts/run (e2e): E2E_NETNS is not set; this launcher is only for e2e/run.ts" >&2
  exit 2
fi
exec ip netns exec "$E2E_NETNS" "$here/run.product" "$@"
