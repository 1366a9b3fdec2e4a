# Shared helpers for the end-to-end tests: build, fleet up/down, assertions.
# Each test sources this, calls e2e_fleet_up N, and the EXIT trap tears down.
set -euo pipefail
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${MU_BUILD_DIR:-$E2E_ROOT/build}
MUSTER=$BUILD/controller/muster
export MU_AGENT_PATH=$BUILD/agent/muster-agent
FLEET=$E2E_ROOT/tests/fleet/fleet.sh
E2E_FAILS=0
E2E_PASSES=0

e2e_build() {
	[ -x "$MUSTER" ] && [ -x "$MU_AGENT_PATH" ] || "$E2E_ROOT/scripts/build.sh" "$BUILD"
}

# e2e_fleet_up N [PREFIX]: hosts PREFIX1..N in a fresh dir; sets FDIR, INV, SSHCFG.
e2e_fleet_up() {
	local n=$1 prefix=${2:-e2e$$-}
	FDIR=$(mktemp -d /tmp/mu-e2e-XXXXXX)
	trap e2e_fleet_down EXIT
	"$FLEET" up "$n" --dir "$FDIR" --prefix "$prefix" >"$FDIR/up.log" 2>&1 || {
		cat "$FDIR/up.log" >&2
		return 1
	}
	INV=$FDIR/inventory.ini
	SSHCFG=$FDIR/ssh_config
	KNOWN=$FDIR/known_hosts
	HOSTS=$(awk '{print $1}' "$FDIR/hosts")
	export FDIR FLEET
}

e2e_fleet_down() {
	local rc=$?
	[ -n "${FDIR:-}" ] && "$FLEET" down --dir "$FDIR" >/dev/null 2>&1 || true
	[ -n "${FDIR:-}" ] && rm -rf "$FDIR"
	return $rc
}

# muster with the fleet's keys and known_hosts.
m() {
	"$MUSTER" "$@" --ssh-config "$SSHCFG" --known-hosts "$KNOWN" -i "$INV"
}

# in HOST CMD...: run inside a fleet host.
in_host() {
	local h=$1
	shift
	"$FLEET" exec "$h" --dir "$FDIR" -- "$@"
}

export -f in_host

pass() { echo "  ok: $*"; E2E_PASSES=$((E2E_PASSES + 1)); }
fail() { echo "  FAIL: $*" >&2; E2E_FAILS=$((E2E_FAILS + 1)); }
check() { # check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$d"; else fail "$d"; fi
}
# recap_field OUTPUT HOST FIELD -> the number in PLAY RECAP
recap_field() {
	awk -v h="$2" -v f="$3" '/^PLAY RECAP/{r=1;next} r && $1==h {for(i=1;i<=NF;i++) if ($i ~ "^"f"=") {split($i,a,"="); print a[2]}}' <<<"$1"
}
e2e_finish() {
	echo "$E2E_PASSES passed, $E2E_FAILS failed"
	[ "$E2E_FAILS" -eq 0 ]
}
