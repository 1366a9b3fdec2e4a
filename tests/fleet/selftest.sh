#!/bin/bash
# selftest.sh [--no-podman] [--time N] — prove the test fleet does what
# README.md says: bring up 2 hosts, check ssh, isolation, ufw and podman,
# tear down, check nothing is left. Prints TAP-like lines; exits 1 if any
# check failed.
#
#   --no-podman  skip the container checks (they take most of the time)
#   --time N     afterwards, time `up N` and `down` of a separate fleet
#
# Must run as root. Leaves the machine as it found it (that is checked too).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fleet=$here/fleet.sh
podman=1 time_n=0
while (($#)); do
	case $1 in
	--no-podman) podman=0; shift ;;
	--time) time_n=$2; shift 2 ;;
	*) echo "usage: $0 [--no-podman] [--time N]" >&2; exit 2 ;;
	esac
done
((EUID == 0)) || { echo "selftest: must run as root" >&2; exit 2; }

dir=$(mktemp -d /tmp/muster-fleet-selftest.XXXXXX)
# Unique per run, so two selftests (or a fleet of another helper) never
# fight over interface names.
prefix=st$$h
log=$dir.log
: >"$log"
fails=0 n=0

trap '"$fleet" down --dir "$dir" >>"$log" 2>&1; rm -f "$log"' EXIT

ok() { ((++n)); echo "ok $n - $1"; }
not_ok() {
	((++n, ++fails))
	echo "not ok $n - $1"
	[[ -n ${2:-} ]] && printf '#   %s\n' "$2"
	return 0
}
# check DESC CMD...: passes when CMD exits 0; its output goes to the log.
check() {
	local desc=$1
	shift
	if "$@" >>"$log" 2>&1; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}
# check_eq DESC WANT GOT
check_eq() {
	if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "want '$2', got '$3'"; fi
}
ms_since() { echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000)); }

hx() { # hx HOST CMD...: run as root inside the host
	local h=$1
	shift
	"$fleet" exec "$h" --dir "$dir" -- "$@"
}
sshf() { # sshf [ssh args] HOST CMD...: the way the controller gets in
	timeout 20 ssh -F "$dir/ssh_config" -o BatchMode=yes "$@"
}
http_get() { # http_get URL: body, from the root namespace
	if command -v curl >/dev/null; then
		curl -fsS -m 5 "$1"
	else
		busybox wget -q -T 5 -O - "$1"
	fi
}
# The root namespace's mount points, minus the netns handles `ip netns` keeps
# in /run/netns (ours and other fleets' come and go).
root_mounts() {
	awk '$5 !~ "^/run/netns/" { print $5 }' /proc/self/mountinfo | sort
}
# The root namespace's firewall, without counters and timestamps.
root_fw() {
	{ iptables-save; ip6tables-save; } 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
}

# ------------------------------------------------------------ bring up --
root_port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
root_fw_before=$(root_fw)
root_mounts_before=$(root_mounts)
root_sysctl_d=$(ls -la /etc/sysctl.d)
root_deploy=$(getent passwd deploy || true)

t0=$EPOCHREALTIME
if ! "$fleet" up 2 --dir "$dir" --prefix "$prefix" >>"$log" 2>&1; then
	not_ok "up 2"
	cat "$log" >&2
	exit 1
fi
up_ms=$(ms_since "$t0")
ok "up 2 hosts ($up_ms ms)"
h1=${prefix}1 h2=${prefix}2
ip1=$(awk -v h="$h1" '$1 == h { print $2 }' "$dir/hosts")
ip2=$(awk -v h="$h2" '$1 == h { print $2 }' "$dir/hosts")
pid1=$(awk -v h="$h1" '$1 == h { print $4 }' "$dir/hosts")

# ----------------------------------------------------- files for clients --
check "addresses are in 198.18.0.0/15" \
	bash -c '[[ $0 =~ ^198\.1[89]\. && $1 =~ ^198\.1[89]\. && $0 != "$1" ]]' "$ip1" "$ip2"
check "inventory.ini lists both hosts in [fleet]" \
	bash -c 'grep -qx "\[fleet\]" "$0" &&
		grep -qx "$1 ansible_host=$2 ansible_user=root" "$0" &&
		grep -qx "$3 ansible_host=$4 ansible_user=root" "$0"' "$dir/inventory.ini" "$h1" "$ip1" "$h2" "$ip2"
check "known_hosts holds one ed25519 key per host" \
	bash -c '[[ $(grep -c " ssh-ed25519 " "$0") == 2 ]]' "$dir/known_hosts"
check "ssh_config verifies host keys strictly" grep -q 'StrictHostKeyChecking yes' "$dir/ssh_config"

# ------------------------------------------------------------------ ssh --
check_eq "ssh root@$h1 by name reaches $h1" "$h1" "$(sshf "$h1" hostname 2>>"$log")"
check_eq "ssh by address reaches $h2" "$h2" "$(sshf "$ip2" hostname 2>>"$log")"
# The same key under the other host's name must be refused: proves the
# client really checks host keys against known_hosts.
awk 'NR == 1 { p1 = $1; k1 = $2 " " $3 } NR == 2 { p2 = $1; k2 = $2 " " $3 }
	END { print p1, k2; print p2, k1 }' "$dir/known_hosts" >"$dir/known_hosts.swapped"
if sshf -o UserKnownHostsFile="$dir/known_hosts.swapped" "$h1" true >>"$log" 2>&1; then
	not_ok "ssh refuses a wrong host key"
else
	ok "ssh refuses a wrong host key"
fi
rm -f "$dir/known_hosts.swapped"

check_eq "deploy is uid 1000 with home /home/deploy" "1000 /home/deploy" \
	"$(sshf "deploy@$h1" 'echo $(id -u) $(pwd)' 2>>"$log")"
check "deploy has passwordless sudo" sshf "deploy@$h1" sudo -n true
check "deploy has subuid and subgid 100000:65536" \
	hx "$h1" grep -qx 'deploy:100000:65536' /etc/subuid /etc/subgid
check_eq "deploy does not exist outside the hosts" "$root_deploy" "$(getent passwd deploy || true)"
check "/run/user/1000 exists, 0700, owned by deploy" \
	hx "$h1" sh -c '[ "$(stat -c %a:%U /run/user/1000)" = 700:deploy ]'
check "/dev/net/tun is usable by deploy" "$fleet" exec "$h1" --dir "$dir" --user deploy -- test -r /dev/net/tun -a -w /dev/net/tun

# --------------------------------------------------------------- exec --
hx "$h1" sh -c 'exit 7' >>"$log" 2>&1
check_eq "exec passes the exit status through" 7 "$?"
check_eq "exec runs in the host's pid namespace" 1 "$(hx "$h1" sh -c 'pgrep -x sshd | head -1')"

# ------------------------------------------------------------ sysctls --
check "sysctl -w in $h1 succeeds" hx "$h1" sysctl -qw net.ipv4.ip_unprivileged_port_start=80
check_eq "$h1 sees its own port start" 80 "$(hx "$h1" sysctl -n net.ipv4.ip_unprivileged_port_start)"
check_eq "root namespace's port start unchanged" "$root_port" "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
check_eq "$h2 keeps the default port start" 1024 "$(hx "$h2" sysctl -n net.ipv4.ip_unprivileged_port_start)"
# Writing back the current value is harmless even if the guard were missing.
pid_max=$(cat /proc/sys/kernel/pid_max)
if hx "$h1" sh -c "echo $pid_max >/proc/sys/kernel/pid_max" >>"$log" 2>&1; then
	not_ok "kernel-wide sysctls are read-only in a host"
else
	ok "kernel-wide sysctls are read-only in a host"
fi

check "a file in $h1's /etc/sysctl.d can be written" \
	hx "$h1" sh -c 'echo net.ipv4.ip_unprivileged_port_start=80 >/etc/sysctl.d/10-podman.conf'
check_eq "... and is not visible outside" "$root_sysctl_d" "$(ls -la /etc/sysctl.d)"
check "... nor in $h2" hx "$h2" test ! -e /etc/sysctl.d/10-podman.conf
check "... but in the host folder" test -f "$dir/$h1/etc-sysctl.d/10-podman.conf"
check "an atomic rename over /etc/passwd works in a host" \
	hx "$h1" sh -c 'cp -p /etc/passwd /etc/passwd.new && mv /etc/passwd.new /etc/passwd'

# ------------------------------------------------------------- podman --
if ((podman)); then
	check "image $h1 imports localhost/busybox:test" "$fleet" image "$h1" --dir "$dir"
	cid=$(hx "$h1" podman run -d --name web -p 80:80 localhost/busybox:test httpd -f -p 80 2>>"$log")
	check "rootful podman run -p 80:80 in $h1" test -n "$cid"
	got=
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		got=$(http_get "http://$ip1:80/" 2>>"$log") && break
		sleep 0.3
	done
	check_eq "the rootful container answers on $ip1:80" "busybox on fleet host" "$got"

	check "image $h2 --user deploy imports the image rootless" \
		"$fleet" image "$h2" --dir "$dir" --user deploy
	check "port start 80 in $h2" hx "$h2" sysctl -qw net.ipv4.ip_unprivileged_port_start=80
	check "rootless podman run -p 80:80 as deploy over ssh" \
		sshf "deploy@$h2" podman run -d --name web -p 80:80 localhost/busybox:test httpd -f -p 80
	got=
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		got=$(http_get "http://$ip2:80/" 2>>"$log") && break
		sleep 0.3
	done
	check_eq "the rootless container answers on $ip2:80" "busybox on fleet host" "$got"
	check_eq "it runs under deploy's user namespace" "deploy" \
		"$(hx "$h2" sh -c 'ps -o user= -p $(pgrep -x httpd | head -1)')"
fi

check "a mount inside $h1 works" hx "$h1" mount -t tmpfs fleet-selftest /mnt
check_eq "mounts made in hosts stay there" "$root_mounts_before" "$(root_mounts)"

# ---------------------------------------------------------------- ufw --
check "ufw allow 22/tcp and enable in $h1" \
	hx "$h1" sh -c 'ufw allow 22/tcp && ufw --force enable'
check "ufw in $h1 is active" sh -c "'$fleet' exec '$h1' --dir '$dir' -- ufw status | grep -q 'Status: active'"
check "ssh to $h1 still works with ufw on" sshf "$h1" true
check "ufw --force enable in $h2 without allowing 22" hx "$h2" ufw --force enable
if sshf -o ConnectTimeout=2 "$h2" true >>"$log" 2>&1; then
	not_ok "ufw in $h2 really blocks ssh (the fleet's firewalls are live)"
else
	ok "ufw in $h2 really blocks ssh (the fleet's firewalls are live)"
fi
check_eq "root namespace's iptables untouched" "$root_fw_before" "$(root_fw)"

# ---------------------------------------------------------- stale state --
# An up over a live fleet of the same DIR replaces it.
check "up again over a live fleet" "$fleet" up 2 --dir "$dir" --prefix "$prefix"
check "old sshd is gone" bash -c "! kill -0 $pid1 2>/dev/null"
check "new fleet answers" sshf "$h1" true
# A run that died without state files: the leftovers are found by their veth
# alias and cleaned up.
pid1=$(awk -v h="$h1" '$1 == h { print $4 }' "$dir/hosts")
mv "$dir/hosts" "$dir/hosts.lost"
check "up again after lost state" "$fleet" up 2 --dir "$dir" --prefix "$prefix"
rm -f "$dir/hosts.lost"
check "orphaned sshd was killed" bash -c "! kill -0 $pid1 2>/dev/null"
check "new fleet answers" sshf "$h2" true

# --------------------------------------------------------------- down --
pid1=$(awk -v h="$h1" '$1 == h { print $4 }' "$dir/hosts")
netns1=$(stat -L -c %i "/run/netns/$h1")
t0=$EPOCHREALTIME
check "down" "$fleet" down --dir "$dir"
down_ms=$(ms_since "$t0")
check "no netns left" bash -c "! ip netns list | grep -q '^$prefix'"
check "no links left" bash -c "! ip -o link show | grep -q ': ${prefix}[0-9]*[@:]'"
check "no routes left" bash -c "! ip -4 route show | grep -q 'dev $prefix'"
check "no process left in the hosts" \
	bash -c "! stat -L -c %i /proc/[0-9]*/ns/net 2>/dev/null | grep -qx $netns1"
check "sshd is gone and reaped (no zombie)" test ! -e "/proc/$pid1"
check "fleet directory removed" test ! -e "$dir"
if ((podman)); then
	check "no cgroup left for the rootful container" \
		bash -c "! ls -d /sys/fs/cgroup/*/libpod_parent/*${cid:-none}* 2>/dev/null | grep -q ."
fi
check_eq "root namespace's port start still unchanged" "$root_port" "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
check_eq "root namespace's iptables still untouched" "$root_fw_before" "$(root_fw)"
echo "# up 2: $up_ms ms, down 2: $down_ms ms"

# --------------------------------------------------------------- timing --
if ((time_n > 0)); then
	tdir=$(mktemp -d /tmp/muster-fleet-timing.XXXXXX)
	t0=$EPOCHREALTIME
	if "$fleet" up "$time_n" --dir "$tdir" --prefix "tm$$h" >>"$log" 2>&1; then
		up_ms=$(ms_since "$t0")
		# One command on every host, all at once, as a smoke test of scale.
		bad=0
		while read -r name _; do
			timeout 20 ssh -F "$tdir/ssh_config" -o BatchMode=yes "$name" true </dev/null >>"$log" 2>&1 &
		done <"$tdir/hosts"
		for job in $(jobs -p); do wait "$job" || ((++bad)); done
		t0=$EPOCHREALTIME
		"$fleet" down --dir "$tdir" >>"$log" 2>&1
		down_ms=$(ms_since "$t0")
		check_eq "ssh to all $time_n hosts at once" 0 "$bad"
		echo "# up $time_n: $up_ms ms, down $time_n: $down_ms ms"
	else
		not_ok "up $time_n"
		"$fleet" down --dir "$tdir" >>"$log" 2>&1
	fi
fi

if ((fails)); then
	echo "# $fails of $n checks failed; log follows"
	cat "$log"
	exit 1
fi
echo "# all $n checks passed"
