#!/bin/bash
# End to end on 3 fleet hosts: the host steps applied for real and checked
# inside each host; a second run changes nothing; --check on a fresh host
# changes nothing and reports; a changed host key and an unreachable host
# are reported while the others complete; --limit selects as documented.
source "$(dirname "$0")/lib.sh"
e2e_build
e2e_fleet_up 3
PB=$E2E_ROOT/tests/e2e/host-steps.yml
H1=$(sed -n 1p <<<"$HOSTS"); H2=$(sed -n 2p <<<"$HOSTS"); H3=$(sed -n 3p <<<"$HOSTS")

echo "-- check mode on fresh hosts changes nothing and reports the changes"
out=$(m play "$PB" --check --limit "$H3" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && pass "check exits 0" || { fail "check exits $rc"; echo "$out"; }
[ "$(recap_field "$out" "$H3" changed)" -ge 5 ] && pass "check reports changes" || { fail "check reports changes"; echo "$out"; }
check "check left sysctl file absent" bash -c "! in_host $H3 test -e /etc/sysctl.d/10-podman.conf"
check "check left port start alone" bash -c "[ \"\$(in_host $H3 cat /proc/sys/net/ipv4/ip_unprivileged_port_start)\" = 1024 ]"
check "check left linger absent" bash -c "! in_host $H3 test -e /var/lib/systemd/linger/deploy"
check "check left ufw inactive" bash -c "in_host $H3 grep -q ENABLED=no /etc/ufw/ufw.conf"

echo "-- --limit selects as documented"
out=$(m ping --list-hosts --limit "all:!$H2" 2>&1)
grep -q "$H1" <<<"$out" && grep -q "$H3" <<<"$out" && ! grep -q "$H2" <<<"$out" \
	&& pass "--limit all:!H2" || { fail "--limit all:!H2"; echo "$out"; }

echo "-- first run applies everything"
out=$(m play "$PB" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && pass "first run exits 0" || { fail "first run exits $rc"; echo "$out"; }
for h in $H1 $H2 $H3; do
	[ "$(recap_field "$out" "$h" failed)" = 0 ] && pass "$h no failures" || fail "$h failures"
	check "$h sysctl runtime 80" bash -c "[ \"\$(in_host $h cat /proc/sys/net/ipv4/ip_unprivileged_port_start)\" = 80 ]"
	check "$h sysctl persisted" in_host "$h" grep -qx 'net.ipv4.ip_unprivileged_port_start *= *80' /etc/sysctl.d/10-podman.conf
	check "$h linger file" in_host "$h" test -f /var/lib/systemd/linger/deploy
	check "$h ufw active" in_host "$h" sh -c 'ufw status | grep -q "Status: active"'
	check "$h ufw allows 22,80,443" in_host "$h" sh -c 'ufw status | grep -q "^22/tcp" && ufw status | grep -q "^80/tcp" && ufw status | grep -q "^443/tcp"'
	check "$h data owned by deploy" bash -c "[ \"\$(in_host $h stat -c %U /opt/containers/app)\" = deploy ]"
done
check "root namespace port start untouched" bash -c '[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = 1024 ]'

echo "-- second run changes nothing"
out=$(m play "$PB" 2>&1) && rc=0 || rc=$?
for h in $H1 $H2 $H3; do
	[ "$(recap_field "$out" "$h" changed)" = 0 ] && pass "$h changed=0" || { fail "$h changed=$(recap_field "$out" "$h" changed)"; echo "$out"; }
done
out=$(m audit "$PB" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 0 ] && grep -q "3 of 3 hosts compliant" <<<"$out" && pass "audit: compliant" || { fail "audit rc=$rc"; echo "$out"; }

echo "-- a changed host key is refused, the others complete"
bad=$FDIR/known_hosts.bad
ssh-keygen -q -t ed25519 -N '' -f "$FDIR/otherkey"
# The same names, another key: what a reinstalled (or spoofed) host looks like.
awk -v h="$H2" -v k="$(cut -d' ' -f1,2 "$FDIR/otherkey.pub")" \
	'{ split($1, n, ","); if (n[1] == h) print $1, k; else print }' "$KNOWN" > "$bad"
grep -q "^$H2," "$bad" || fail "test setup: no known_hosts line for $H2"
out=$("$MUSTER" play "$PB" -i "$INV" --ssh-config "$SSHCFG" --known-hosts "$bad" 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 3 ] && pass "exit 3 (unreachable)" || { fail "changed key: exit $rc"; echo "$out"; }
grep -q "UNREACHABLE" <<<"$out" && grep -qi "host key" <<<"$out" && grep -q "$bad:" <<<"$out" \
	&& pass "changed key refused, names the known_hosts line" || { fail "changed key message"; echo "$out"; }
[ "$(recap_field "$out" "$H1" unreachable)" = 0 ] && [ "$(recap_field "$out" "$H3" unreachable)" = 0 ] \
	&& pass "other hosts completed" || { fail "other hosts"; echo "$out"; }

echo "-- an unreachable host is reported, the others complete"
inv2=$FDIR/inv-unreach.ini
cp "$INV" "$inv2"
printf '\n[gone]\nghost ansible_host=198.18.255.254 ansible_user=root\n' >> "$inv2"
start=$(date +%s)
out=$("$MUSTER" play "$PB" -i "$inv2" --ssh-config "$SSHCFG" --known-hosts "$KNOWN" -T 3 2>&1) && rc=0 || rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" -eq 3 ] && pass "exit 3" || { fail "unreachable: exit $rc"; echo "$out"; }
[ "$(recap_field "$out" ghost unreachable)" = 1 ] && pass "ghost unreachable in recap" || { fail "ghost recap"; echo "$out"; }
[ "$(recap_field "$out" "$H1" ok)" -ge 1 ] && pass "others ran" || fail "others ran"
[ "$took" -lt 30 ] && pass "did not stall ($took s)" || fail "took $took s"

e2e_finish
