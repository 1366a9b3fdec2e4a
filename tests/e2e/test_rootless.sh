#!/bin/bash
# End to end: the seed job, playbooks/rootless.yml, on fleet hosts seeded
# with rootful containers (web on port 80 with a bind mount, db with a named
# volume, panel mounting the rootful API socket):
#   - two hosts migrated for real, everything checked inside each host;
#   - a second run reports changed=0;
#   - `muster audit` on a third, freshly seeded host reports the plan and
#     changes nothing (containers, files, sysctl, ufw compared before/after);
#   - tests/e2e/rollback.yml puts one host back as it was.
source "$(dirname "$0")/lib.sh"
e2e_build
t0=$(date +%s)
phase() { echo "-- $* ($(($(date +%s) - t0)) s)"; }
e2e_fleet_up 3
PB=$E2E_ROOT/playbooks/rootless.yml
RB=$E2E_ROOT/tests/e2e/rollback.yml
H1=$(sed -n 1p <<<"$HOSTS"); H2=$(sed -n 2p <<<"$HOSTS"); H3=$(sed -n 3p <<<"$HOSTS")
source "$E2E_ROOT/tests/e2e/podman_lib.sh"
BOOT_LINK=/etc/systemd/system/default.target.wants/podman-restart.service
SUMS='cd /data && sha256sum part1 part2 part3'

phase "seeding 3 hosts with rootful web, db, panel"
seed_hosts $H1 $H2 $H3 || { fail "seeding"; exit 1; }
declare -A sums
for h in $H1 $H2; do
	sums[$h]=$(in_host "$h" podman exec db sh -c "$SUMS")
	[ "$(wc -l <<<"${sums[$h]}")" = 3 ] || fail "$h: db checksums before: ${sums[$h]}"
	http "$h" | grep -q "hello from $h" && pass "$h rootful web answers" || fail "$h rootful web"
done

before3=$(snapshot "$H3")

phase "migrate $H1 and $H2: muster play playbooks/rootless.yml"
out=$(m play "$PB" --limit "all:!$H3" -e container_stop_timeout=1 --json "$FDIR/run1.json" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && pass "first run exits 0" || { fail "first run exits $rc"; echo "$out"; }
for h in $H1 $H2; do
	[ "$(recap_field "$out" "$h" failed)" = 0 ] && pass "$h no failures" || fail "$h failures"
	[ "$(recap_field "$out" "$h" changed)" -ge 8 ] && pass "$h changed" || fail "$h changed=$(recap_field "$out" "$h" changed)"
done

phase "checking inside $H1 and $H2"
for h in $H1 $H2; do
	check "$h deploy runs web, db, panel" bash -c "[ \"\$(as_user $h podman inspect --format '{{.State.Running}} {{.HostConfig.RestartPolicy.Name}}' web db panel | sort -u)\" = 'true always' ]"
	check "$h rootful web, db, panel stopped" bash -c "[ \"\$(in_host $h podman inspect --format '{{.State.Running}}' web db panel | sort -u)\" = false ]"
	http "$h" | grep -q "hello from $h" && pass "$h web answers on $(ip_of "$h"):80" || fail "$h web does not answer"
	check "$h port 80 held by rootlessport" bash -c "in_host $h ss -Hltnp 'sport = :80' | grep -q rootlessport"
	s=$(as_user "$h" podman exec db sh -c "$SUMS" 2>&1)
	[ "$s" = "${sums[$h]}" ] && pass "$h db checksums kept" || { fail "$h db checksums"; echo "$s / ${sums[$h]}"; }
	check "$h db files 999:999 inside" bash -c "[ \"\$(as_user $h podman exec db stat -c %u:%g /data /data/part1 /data/part2 /data/part3 | sort -u)\" = 999:999 ]"
	check "$h web data 101 inside, 100100 on the host" bash -c "[ \"\$(as_user $h podman exec web stat -c %u:%g /www/index.html)\" = 101:101 ] && [ \"\$(in_host $h stat -c %u:%g /opt/containers/web/index.html)\" = 100100:100100 ]"
	check "$h data tree top is deploy's" bash -c "[ \"\$(in_host $h stat -c %U /opt/containers)\" = deploy ]"
	check "$h data tree registered once" in_host "$h" test -f /var/lib/muster/shifts/deploy/opt-containers.json
	check "$h panel mounts deploy's socket" bash -c "[ \"\$(as_user $h podman inspect panel --format '{{range .Mounts}}{{.Source}}{{end}}')\" = /run/user/1000/podman/podman.sock ] && in_host $h test -S /run/user/1000/podman/podman.sock"
	pol=$(in_host "$h" podman inspect web --format '{{.HostConfig.RestartPolicy.Name}}')
	if [ "$pol" = no ]; then
		pass "$h rootful restart policy no"
	else
		check "$h rootful boot restart disabled (podman-restart.service link gone)" bash -c "! in_host $h test -L $BOOT_LINK"
		check "$h boot restart disable recorded" in_host "$h" test -f /var/lib/muster/migrations/podman-restart.json
	fi
	check "$h rootful data kept" in_host "$h" sh -c 'podman volume exists dbdata && test -s /var/lib/containers/storage/volumes/dbdata/_data/part3 && test -s /opt/containers/web/index.html && podman image exists localhost/busybox:test'
	check "$h linger" in_host "$h" test -f /var/lib/systemd/linger/deploy
	check "$h sysctl runtime 80" bash -c "[ \"\$(in_host $h cat /proc/sys/net/ipv4/ip_unprivileged_port_start)\" = 80 ]"
	check "$h sysctl persisted" in_host "$h" grep -qx 'net.ipv4.ip_unprivileged_port_start *= *80' /etc/sysctl.d/10-podman.conf
	ufw=$(in_host "$h" ufw status)
	grep -q "Status: active" <<<"$ufw" && grep -Eq '^22/tcp +ALLOW' <<<"$ufw" && grep -Eq '^80/tcp +ALLOW' <<<"$ufw" &&
		grep -Eq '^80/tcp \(v6\) +ALLOW' <<<"$ufw" && pass "$h ufw active, 22 and 80 (v4, v6) allowed" || { fail "$h ufw"; echo "$ufw"; }
	check "$h user units enabled" in_host "$h" sh -c 'test -L /home/deploy/.config/systemd/user/default.target.wants/podman-restart.service && test -L /home/deploy/.config/systemd/user/sockets.target.wants/podman.socket'
done
check "root namespace port start untouched" bash -c '[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = 1024 ]'
check "root namespace boot restart untouched" bash -c "[ -L $BOOT_LINK ] || [ ! -e /lib/systemd/system/podman-restart.service ]"

phase "second run: changed=0"
out=$(m play "$PB" --limit "all:!$H3" -e container_stop_timeout=1 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && pass "second run exits 0" || { fail "second run exits $rc"; echo "$out"; }
for h in $H1 $H2; do
	[ "$(recap_field "$out" "$h" changed)" = 0 ] && pass "$h changed=0" || { fail "$h changed=$(recap_field "$out" "$h" changed)"; echo "$out"; }
done

phase "audit of the freshly seeded $H3"
out=$(m audit "$PB" --limit "$H3" --json "$FDIR/audit.json" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 2 ] && grep -q "$H3 *: drift in" <<<"$out" && pass "audit reports drift (exit 2)" || { fail "audit rc=$rc"; echo "$out"; }
[ "$(recap_field "$out" "$H3" failed)" = 0 ] && pass "audit: no task failed" || { fail "audit failures"; echo "$out"; }
after3=$(snapshot "$H3")
[ "$before3" = "$after3" ] && pass "audit changed nothing on $H3" || { fail "audit changed $H3"; diff <(echo "$before3") <(echo "$after3") | head -20; }
plan=$(jq -r --arg h "$H3" '.hosts[$h].tasks[] | select(.module == "podman_migrate" and (.task | startswith("Recreate"))) | .changes[]' "$FDIR/audit.json")
for want in "web: copy image 'localhost/busybox:test'" "db: create volume 'dbdata' for 'deploy'" \
	"panel: mount '/run/user/1000/podman/podman.sock' in place of" "web: create the container for 'deploy' (restart always), stop the rootful one" \
	"disable the rootful podman-restart.service"; do
	grep -qF "$want" <<<"$plan" && pass "audit plan: $want" || { fail "audit plan lacks: $want"; echo "$plan"; }
done
n=$(jq -r --arg h "$H3" '.hosts[$h].tasks[] | select(.module == "podman_chown") | .data.uids["101->100100"]' "$FDIR/audit.json")
[ "${n:-0}" -ge 2 ] && pass "audit plan: podman_chown would shift 101->100100 x$n" || fail "audit chown plan: $n"

phase "rollback of $H1: tests/e2e/rollback.yml"
out=$(m play "$RB" --limit "$H1" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && [ "$(recap_field "$out" "$H1" changed)" = 3 ] && pass "rollback exits 0, 3 changed" || { fail "rollback rc=$rc"; echo "$out"; }
check "$H1 rootful web, db, panel run again" bash -c "[ \"\$(in_host $H1 podman inspect --format '{{.State.Running}}' web db panel | sort -u)\" = true ]"
check "$H1 deploy's containers gone" bash -c "! as_user $H1 podman container exists web && ! as_user $H1 podman container exists db"
http "$H1" | grep -q "hello from $H1" && pass "$H1 rootful web answers again" || fail "$H1 rootful web after rollback"
s=$(in_host "$H1" podman exec db sh -c "$SUMS" 2>&1)
[ "$s" = "${sums[$H1]}" ] && pass "$H1 rootful db checksums after rollback" || { fail "$H1 db checksums after rollback"; echo "$s"; }
check "$H1 owners back (101, root top)" bash -c "[ \"\$(in_host $H1 stat -c %u:%g /opt/containers/web/index.html /opt/containers | tr '\n' ' ')\" = '101:101 0:0 ' ]"
check "$H1 boot restart enabled again" in_host "$H1" test -L "$BOOT_LINK"
check "$H1 shift record gone" bash -c "! in_host $H1 test -e /var/lib/muster/shifts/deploy/opt-containers.json"
out=$(m play "$RB" --limit "$H1" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && [ "$(recap_field "$out" "$H1" changed)" = 0 ] && pass "second rollback changed=0" || { fail "second rollback rc=$rc"; echo "$out"; }
check "$H2 untouched by the rollback" bash -c "[ \"\$(as_user $H2 podman inspect --format '{{.State.Running}}' web)\" = true ]"

phase "done"
e2e_finish
