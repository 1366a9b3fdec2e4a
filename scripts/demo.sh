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
# busybox PID 1 processes ignore SIGTERM: do not wait 10 s per container at the cutover
STOP=(-e container_stop_timeout=2)

step "audit first: what would the migration change? (nothing is touched)"
m audit playbooks/rootless.yml || true

step "migrate: playbooks/rootless.yml"
m play playbooks/rootless.yml "${STOP[@]}"

step "again: every step is idempotent (expect changed=0)"
again=$(mktemp)
m play playbooks/rootless.yml "${STOP[@]}" | tee "$again"
if grep -Eq 'changed=[1-9]' "$again"; then
	rm -f "$again"
	echo "demo.sh: the second run changed something" >&2
	exit 1
fi
rm -f "$again"

step "audit: the fleet is compliant"
m audit playbooks/rootless.yml

step "inside demo1: the containers now run under deploy"
"$FLEET" exec demo1 --dir "$DIR" --user deploy -- podman ps --format '{{.Names}} {{.Status}} {{.Ports}}'
ip=$(awk '$1 == "demo1" { print $2 }' "$DIR/hosts")
echo "web answers on $ip:80 through the rootless container (rootlessport holds the port):"
curl -sS -m 5 "http://$ip:80/"
"$FLEET" exec demo1 --dir "$DIR" -- ss -Hltnp 'sport = :80'
echo "rootful containers are stopped, their data kept:"
"$FLEET" exec demo1 --dir "$DIR" -- podman ps -a --format '{{.Names}} {{.Status}}'
echo "and podman 4.3 cannot set their restart policy to 'no', so the rootful boot restart is off:"
"$FLEET" exec demo1 --dir "$DIR" -- sh -c 'ls /etc/systemd/system/default.target.wants/ | grep -x podman-restart.service ||
	echo "podman-restart.service: disabled (recorded in /var/lib/muster/migrations/podman-restart.json)"'

step "done: tearing the demo fleet down"
