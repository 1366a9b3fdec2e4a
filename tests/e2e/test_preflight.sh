#!/bin/bash
# End to end: the migration refuses, before it changes anything, on hosts
# seeded with rootful containers (tests/e2e/seed-containers.sh), one host
# per case:
#   1. web publishes port 80 and net.ipv4.ip_unprivileged_port_start stays
#      at 1024: a play with podman_migrate alone (no sysctl task);
#   2. deploy has no sub-ids (its lines removed from /etc/subuid and
#      /etc/subgid): playbooks/rootless.yml;
#   3. no room: a 1 MB tmpfs over ~deploy/.local, where the user's storage
#      goes: playbooks/rootless.yml.
# Each run must fail, name the problem, and leave the host exactly as it
# was (tests/e2e/podman_lib.sh snapshot before and after), the rootful web
# still answering.
source "$(dirname "$0")/lib.sh"
e2e_build
t0=$(date +%s)
phase() { echo "-- $* ($(($(date +%s) - t0)) s)"; }
e2e_fleet_up 3
source "$E2E_ROOT/tests/e2e/podman_lib.sh"
PB=$E2E_ROOT/playbooks/rootless.yml
H1=$(sed -n 1p <<<"$HOSTS"); H2=$(sed -n 2p <<<"$HOSTS"); H3=$(sed -n 3p <<<"$HOSTS")
ONLY=$FDIR/migrate-only.yml
cat >"$ONLY" <<'EOF'
- name: The migration alone
  hosts: all
  become: true
  tasks:
    - name: Move the containers
      podman_migrate:
        user: deploy
        stop_timeout: 1
EOF

phase "seeding 3 hosts"
seed_hosts $H1 $H2 $H3 || { fail "seeding"; exit 1; }

# refused HOST PLAYBOOK WANT...: the play fails on HOST, nothing changed, each WANT in the output.
refused() {
	local h=$1 pb=$2 before after out rc want
	shift 2
	before=$(snapshot "$h")
	out=$(m play "$pb" --limit "$h" 2>&1) && rc=0 || rc=$?
	[ "$rc" -eq 2 ] && pass "$h: the play fails (exit 2)" || { fail "$h: exit $rc"; echo "$out"; }
	[ "$(recap_field "$out" "$h" changed)" = 0 ] && pass "$h: changed=0" || { fail "$h: changed=$(recap_field "$out" "$h" changed)"; echo "$out"; }
	for want in "$@"; do
		grep -qF -- "$want" <<<"$out" && pass "$h: says '$want'" || { fail "$h: does not say '$want'"; echo "$out"; }
	done
	grep -qF "preflight failed, nothing changed" <<<"$out" || grep -qF "not enough room" <<<"$out" ||
		fail "$h: no preflight failure in the output"
	after=$(snapshot "$h")
	[ "$before" = "$after" ] && pass "$h: host unchanged" || { fail "$h: host changed"; diff <(echo "$before") <(echo "$after") | head -20; }
	http "$h" | grep -q "hello from $h" && pass "$h: rootful web still answers" || fail "$h: rootful web"
}

phase "1. port 80 with the port start at 1024 ($H1)"
check "$H1 port start is 1024" bash -c "[ \"\$(in_host $H1 cat /proc/sys/net/ipv4/ip_unprivileged_port_start)\" = 1024 ]"
refused "$H1" "$ONLY" "'web' publishes port 80/tcp, below net.ipv4.ip_unprivileged_port_start (1024): set it to 80 or lower first"

phase "2. deploy without sub-ids ($H2)"
in_host "$H2" sed -i '/^deploy:/d' /etc/subuid /etc/subgid
check "$H2 deploy has no sub-ids" bash -c "! in_host $H2 grep -q '^deploy:' /etc/subuid /etc/subgid"
refused "$H2" "$PB" "user 'deploy' has no range in '/etc/subuid'" "'/etc/subgid'" "usermod --add-subuids"

phase "3. no room in deploy's storage ($H3)"
in_host "$H3" sh -c 'mkdir -p /home/deploy/.local && mount -t tmpfs -o size=1m,mode=0755 tmpfs /home/deploy/.local &&
	chown deploy:deploy /home/deploy/.local'
check "$H3 a 1 MB filesystem holds deploy's storage" bash -c "in_host $H3 df -k /home/deploy/.local | grep -q tmpfs"
refused "$H3" "$PB" "not enough room" "/home/deploy/.local"

phase "done"
e2e_finish
