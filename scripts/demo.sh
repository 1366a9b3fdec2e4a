#!/bin/bash
# The main job on a sandboxed demo fleet, start to finish:
#   install what is missing, build, bring up 3 namespaced hosts (real sshd,
#   real Podman) each running rootful containers (web on port 80, db with a
#   named volume, panel mounting the Podman socket), migrate them to
#   rootless Podman under `deploy` with playbooks/rootless.yml, run it again
#   to show changed=0, audit, and tear the fleet down.
# Run as root. Nothing outside the demo hosts' namespaces is changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (the demo fleet lives in network and mount namespaces)" >&2
	exit 1
fi
./scripts/install-deps.sh
./scripts/build.sh build >/dev/null
MUSTER=$root/build/controller/muster
export MU_AGENT_PATH=$root/build/agent/muster-agent
DIR=${DEMO_DIR:-/tmp/muster-demo}
FLEET=$root/tests/fleet/fleet.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() { "$FLEET" down --dir "$DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "bringing up 3 demo hosts (network + mount namespaces, sshd on 198.18.1.x)"
"$FLEET" up 3 --dir "$DIR" --prefix demo
for h in demo1 demo2 demo3; do
	"$root/tests/e2e/seed-containers.sh" "$DIR" "$h"
done
"$FLEET" exec demo1 --dir "$DIR" -- podman ps --format '{{.Names}} {{.Status}} {{.Ports}}'

m() { "$MUSTER" "$@" -i "$DIR/inventory.ini" --ssh-config "$DIR/ssh_config" --known-hosts "$DIR/known_hosts"; }

step "audit first: what would the migration change? (nothing is touched)"
m audit playbooks/rootless.yml || true

step "migrate: playbooks/rootless.yml"
m play playbooks/rootless.yml

step "again: every step is idempotent (expect changed=0)"
m play playbooks/rootless.yml

step "audit: the fleet is compliant"
m audit playbooks/rootless.yml

step "inside demo1: the containers now run under deploy"
"$FLEET" exec demo1 --dir "$DIR" --user deploy -- podman ps --format '{{.Names}} {{.Status}} {{.Ports}}'
echo "web answers through the rootless container:"
"$FLEET" exec demo1 --dir "$DIR" -- wget -qO- http://127.0.0.1/
echo "rootful containers are stopped, their data kept:"
"$FLEET" exec demo1 --dir "$DIR" -- podman ps -a --format '{{.Names}} {{.Status}}'

step "done: tearing the demo fleet down"
