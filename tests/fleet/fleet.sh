#!/bin/bash
# fleet.sh — a fleet of test hosts on this machine, each a network namespace
# plus a private mount namespace running a real sshd (see README.md).
#
#   fleet.sh up N [--dir DIR] [--prefix NAME] [--port PORT]
#   fleet.sh down [--dir DIR]
#   fleet.sh exec HOST [--dir DIR] [--user USER] -- CMD...
#   fleet.sh image HOST [--dir DIR] [--user USER]
#   fleet.sh list [--dir DIR]
#
# HOST is a host name (mu-h1), its index (1) or its address.
# Must run as root. Only addresses in 198.18.0.0/15 are ever configured.
set -Eeuo pipefail
# Say where a command failed: a silent exit from set -e helps nobody.
trap 'printf "fleet: command failed (line %s): %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

FLEET_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly FLEET_HOME
readonly CONTROLLER_IP=198.18.0.1
# 198.19.254.0/24 and 198.19.255.0/24 are kept for container networks inside
# hosts, so a host address never collides with one.
readonly CONTAINER_SUBNET=198.19.255.0/24
readonly SLIRP_CIDR=198.19.254.0/24
readonly DEPLOY_UID=1000

dir=${FLEET_DIR:-/tmp/muster-fleet}
prefix=mu-h
port=${FLEET_SSH_PORT:-22}
user=

die() { printf 'fleet: %s\n' "$*" >&2; exit 1; }
note() { printf 'fleet: %s\n' "$*" >&2; }

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# ---------------------------------------------------------------- helpers --

# Resolve DIR once; refuse places the host overlays or binds would shadow or
# where the overlay's upper directory would sit inside its own lower layer.
set_dir() { # set_dir [create]
	[[ -n $dir ]] || die "empty --dir"
	dir=$(realpath -m -- "$dir")
	case $dir/ in
	/ | /etc/* | /var/* | /opt/* | /proc/* | /sys/* | /dev/*)
		die "fleet directory '$dir' is not allowed (overlaid or virtual path)" ;;
	esac
	if [[ ${1:-} == create ]]; then
		mkdir -p "$dir"
	elif [[ ! -d $dir ]]; then
		[[ $cmd == down ]] && exit 0 # nothing to take down
		die "no fleet in '$dir'"
	fi
}

# The fleets of all helpers share the root namespace's routes and netns names;
# allocation and teardown of those are serialised by a lock on this script
# itself, so no lock file of ours litters the machine. (Not /run/netns: `ip
# netns add` takes its own lock on that directory and would wait for us.)
lock_fd=
lock_net() { # re-entrant: the failure trap may tear down while we hold it
	[[ -n $lock_fd ]] && return 0
	exec {lock_fd}<"$FLEET_HOME/fleet.sh"
	flock "$lock_fd"
}
unlock_net() {
	[[ -n $lock_fd ]] && exec {lock_fd}<&-
	lock_fd=
}

# Print "name ip port pid" for each host of the fleet in DIR, including hosts
# of an up that died before it wrote its final state.
read_state() {
	local f
	for f in "$dir/hosts" "$dir/hosts.pending"; do
		[[ -f $f ]] && cat "$f"
	done
	return 0
}

# Print the pids of every process that belongs to the hosts whose network or
# mount namespaces are given (tokens such as 'net:[4026532001]'):
#  - processes in those namespaces (sshd, sessions, rootful conmon, the
#    rootless pause process, slirp4netns);
#  - their descendants (rootful containers have namespaces of their own but
#    descend from conmon);
#  - every process in a user namespace such a process created (rootless
#    podman's rootlessport is reparented to pid 1 and lives in the container's
#    network namespace; only its user namespace ties it to the host).
# The initial user namespace is never followed, so nothing outside spreads in.
procs_in() {
	local want=" $* " init_user
	init_user=$(readlink /proc/self/ns/user)
	{
		stat -c '%n %N' /proc/[0-9]*/ns/net /proc/[0-9]*/ns/mnt /proc/[0-9]*/ns/user 2>/dev/null |
			sed -n "s|^/proc/\([0-9]*\)/ns/[a-z]* .* -> '\(.*\)'$|N \1 \2|p" || true
		cat /proc/[0-9]*/stat 2>/dev/null |
			sed -n 's/^\([0-9]*\) (.*) [A-Za-z] \([0-9]*\) .*/P \1 \2/p' || true
	} | awk -v want="$want" -v init_user="$init_user" -v self=$$ '
		$1 == "N" {
			if ($2 == self) next
			if (index(want, " " $3 " ")) seed[$2] = 1
			if ($3 ~ /^user:/) user[$2] = $3
		}
		$1 == "P" { parent[$2] = $3 }
		END {
			do {
				grew = 0
				for (p in seed)
					if ((p in user) && user[p] != init_user) owned[user[p]] = 1
				for (p in user)
					if (!(p in seed) && (user[p] in owned)) { seed[p] = 1; grew = 1 }
				for (p in parent)
					if (!(p in seed) && (parent[p] in seed)) { seed[p] = 1; grew = 1 }
			} while (grew)
			for (p in seed) print p
		}'
}

# Wait until none of the given pids holds namespaces any more. A killed
# process drops them at exit even if nobody reaps it, so this is the moment
# that matters, not the disappearance of the pid.
wait_gone() {
	local p i
	for ((i = 0; i < 250; i++)); do
		for p in "$@"; do
			[[ -e /proc/$p/ns/net ]] && break
			p=
		done
		[[ -z $p ]] && return 0
		sleep 0.02
	done
	note "processes still alive after SIGKILL: $*"
}

# Kill everything inside the named hosts.
kill_hosts() {
	local name pid tokens=() inits=() pids=() p
	while read -r name _ _ pid; do
		[[ -n $name ]] || continue
		if [[ -e /run/netns/$name ]]; then
			tokens+=("net:[$(stat -L -c %i "/run/netns/$name")]")
		fi
		# A recorded pid counts only while it still is that host's sshd:
		# after a crash the number may belong to anything.
		if [[ $pid =~ ^[0-9]+$ && -e /run/netns/$name ]] &&
			[[ $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == "$(stat -L -c %i "/run/netns/$name")" ]]; then
			tokens+=("$(readlink "/proc/$pid/ns/mnt")")
			inits+=("$pid")
		fi
	done
	# First the init of each host's pid namespace: the kernel then kills
	# every process of that host, and unshare, still waiting for it, reaps
	# it. (Killed in the same breath, unshare would leave it a zombie: pid 1
	# of this machine reaps nobody.)
	if ((${#inits[@]})); then
		kill -KILL "${inits[@]}" 2>/dev/null || true
		wait_gone "${inits[@]}"
		for ((p = 0; p < 25; p++)); do
			mapfile -t pids < <(procs_in "${tokens[@]}")
			((${#pids[@]})) || break
			sleep 0.02
		done
	fi
	# Then whatever is left: unshare if it did not exit, processes that
	# entered a host's netns from outside, hosts whose init is unknown.
	((${#tokens[@]})) || return 0
	mapfile -t pids < <(procs_in "${tokens[@]}")
	((${#pids[@]})) || return 0
	kill -KILL "${pids[@]}" 2>/dev/null || true
	wait_gone "${pids[@]}"
}

# Remove the root-side veth and the netns of each named host.
unplumb_hosts() {
	local name batch=
	while read -r name _; do
		[[ -n $name ]] || continue
		if ip link show dev "$name" >/dev/null 2>&1; then batch+="link del dev $name"$'\n'; fi
		if [[ -e /run/netns/$name ]]; then batch+="netns del $name"$'\n'; fi
	done
	[[ -n $batch ]] || return 0
	lock_net
	ip -force -batch - <<<"$batch" >/dev/null 2>&1 || true
	unlock_net
}

# Empty cgroups that rootful podman inside a host left in the real cgroup
# tree (cgroup v1 here is shared by all namespaces). Only directories named
# after this host's containers are touched.
clean_cgroups() {
	local name ids id d
	while read -r name _; do
		[[ -n $name ]] || continue
		ids=$dir/$name/var-lib-containers/storage/overlay-containers/containers.json
		[[ -f $ids ]] || continue
		for id in $(grep -o '"id":"[0-9a-f]\{64\}"' "$ids" | cut -d'"' -f4); do
			for d in /sys/fs/cgroup/*/libpod_parent/*"$id"*; do
				if [[ -d $d ]]; then rmdir "$d" 2>/dev/null || true; fi
			done
		done
	done
}

# Remove only what up created inside DIR, never DIR wholesale: DIR is user
# input and may hold other things. Host folders go a few at a time (deleting
# is disk-bound here).
remove_host_dirs() {
	local name
	while read -r name _; do
		if [[ -n $name && -d $dir/$name ]]; then printf '%s\0' "$dir/$name"; fi
	done | xargs -0 -r -n 4 -P 8 rm -rf --one-file-system
}
remove_files() {
	remove_host_dirs
	rm -rf --one-file-system "$dir/.template"
	rm -f "$dir"/{hosts,hosts.pending,fleet.conf,inventory.ini,known_hosts,ssh_config} \
		"$dir"/{id_ed25519,id_ed25519.pub,busybox.tar}
	rmdir "$dir" 2>/dev/null || true
}

# Pass through the state lines of hosts this DIR owns: their veth carries our
# alias, or has not been created. A name that another fleet took over since
# (or grabbed while our up was failing) is left alone.
owned_only() {
	local links
	links=$(ip -o link show 2>/dev/null || true)
	awk -v links="$links" -v mine="muster-fleet $dir" '
		BEGIN {
			n = split(links, l, "\n")
			for (i = 1; i <= n; i++) {
				split(l[i], f, ": ")
				name = f[2]; sub(/@.*/, "", name)
				alias[name] = (match(l[i], / alias .*$/) ? substr(l[i], RSTART + 7) : "")
			}
		}
		$1 == "" { next }
		!($1 in alias) || alias[$1] == mine { print; next }
		{ printf "fleet: leaving %s alone: it belongs to %s\n", $1, alias[$1] > "/dev/stderr" }'
}

do_down() {
	local state
	state=$(read_state | sort -u | owned_only)
	[[ -n $state ]] || { remove_files <<<""; return 0; }
	kill_hosts <<<"$state"
	clean_cgroups <<<"$state"
	unplumb_hosts <<<"$state"
	remove_files <<<"$state"
}

# Look a host up in DIR/hosts by name, index or address; sets h_name h_pid.
find_host() {
	local want=$1 name ip hport pid
	[[ -f $dir/hosts ]] || die "no fleet in '$dir'"
	[[ $want =~ ^[0-9]+$ ]] && want=$(sed -n 's/^PREFIX=//p' "$dir/fleet.conf")$want
	while read -r name ip hport pid; do
		if [[ $name == "$want" || $ip == "$want" ]]; then
			h_name=$name h_pid=$pid
			[[ -e /proc/$h_pid/ns/mnt ]] || die "host '$h_name' is not running (sshd pid $h_pid gone)"
			return 0
		fi
	done <"$dir/hosts"
	die "no host '$1' in '$dir'"
}

# Run argv inside host h_pid's namespaces (pid namespace included) with a
# clean login-like environment: the caller's TMPDIR or XDG_* mean nothing in
# a host. As USER, also XDG_RUNTIME_DIR and cwd in the user's home: rootless
# podman wants both, and cannot chdir back to /root.
host_run() {
	local u=$1
	shift
	local -a enter=(nsenter -t "$h_pid" -m -n -u -p --wd=/ --)
	local path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	if [[ -z $u || $u == root ]]; then
		exec "${enter[@]}" env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
			PATH="$path" LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
	fi
	exec "${enter[@]}" \
		setpriv --reuid="$u" --regid="$u" --init-groups --reset-env -- \
		/bin/sh -c 'export XDG_RUNTIME_DIR=/run/user/$(id -u) LANG=C.UTF-8; cd "$HOME" 2>/dev/null || cd /; exec "$@"' \
		fleet-exec "$@"
}

# ------------------------------------------------------------------- up --

# Files every host starts from: built once per up, copied per host with one
# `cp -a` (which also copies the tun device node).
build_template() {
	local t=$dir/.template
	rm -rf --one-file-system "$t"
	mkdir -p "$t"
	(
		cd "$t"
		mkdir -p etc.upper/ssh etc.upper/sudoers.d etc.upper/containers etc.upper/cni/net.d \
			etc.work var.upper var.work opt.upper opt.work \
			var-lib-linger var-lib-containers var-lib-cni var-lib-muster opt-containers \
			run/sshd run/lock run/user root/.ssh home/deploy/.ssh
		install -d -m 1777 tmp var-tmp
		chmod 1777 run/lock
		chmod 0700 root root/.ssh
		cp -a /etc/sysctl.d etc-sysctl.d
		cp -a /etc/ufw etc-ufw

		# Users: the real machine's system accounts, minus its regular
		# users (cloudsdk holds uid 1000 here), plus deploy.
		awk -F: '$3 < 1000 || $3 == 65534' /etc/passwd >etc.upper/passwd
		echo "deploy:x:$DEPLOY_UID:$DEPLOY_UID:deploy:/home/deploy:/bin/bash" >>etc.upper/passwd
		awk -F: '$3 < 1000 || $3 == 65534' /etc/group >etc.upper/group
		echo "deploy:x:$DEPLOY_UID:" >>etc.upper/group
		# sshd without PAM refuses locked accounts ('!'), so passwords are
		# '*': no password login, but key login allowed.
		awk -F: 'NR == FNR { keep[$1] = 1; next } ($1 in keep)' etc.upper/passwd /etc/shadow |
			sed 's/^root:[^:]*:/root:*:/' >etc.upper/shadow
		echo "deploy:*:20000:0:99999:7:::" >>etc.upper/shadow
		awk -F: 'NR == FNR { keep[$1] = 1; next } ($1 in keep)' etc.upper/group /etc/gshadow >etc.upper/gshadow
		echo "deploy:!::" >>etc.upper/gshadow
		chmod 0640 etc.upper/shadow etc.upper/gshadow
		chgrp shadow etc.upper/shadow etc.upper/gshadow 2>/dev/null || true
		for f in subuid subgid; do
			{ [[ -f /etc/$f ]] && awk -F: 'NR == FNR { keep[$1] = 1; next } ($1 in keep)' etc.upper/passwd "/etc/$f"
			  echo "deploy:100000:65536"; } >"etc.upper/$f"
		done
		echo "deploy ALL=(ALL:ALL) NOPASSWD: ALL" >etc.upper/sudoers.d/deploy
		chmod 0440 etc.upper/sudoers.d/deploy

		install -m 0600 "$dir/id_ed25519.pub" root/.ssh/authorized_keys
		install -m 0600 "$dir/id_ed25519.pub" home/deploy/.ssh/authorized_keys
		chmod 0700 home/deploy home/deploy/.ssh
		chown -R "$DEPLOY_UID:$DEPLOY_UID" home/deploy
		# Nothing creates /run/user/UID on this machine (no logind).
		install -d -m 0700 -o "$DEPLOY_UID" -g "$DEPLOY_UID" "run/user/$DEPLOY_UID"

		# /dev/net/tun is 0600 on the real machine; rootless port
		# publishing (slirp4netns) needs it usable by the user.
		mknod -m 0666 dev-net-tun c 10 200

		# sshd: key-only, no PAM (no logind, no pam_systemd here); the
		# per-host file adds Port and the host key.
		cat >etc.upper/ssh/sshd_config.common <<-EOF
			ListenAddress 0.0.0.0
			HostKey /etc/ssh/ssh_host_ed25519_key
			PidFile /run/sshd.pid
			PermitRootLogin prohibit-password
			PubkeyAuthentication yes
			AuthorizedKeysFile .ssh/authorized_keys
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			UsePAM no
			UseDNS no
			X11Forwarding no
			PrintMotd no
			AcceptEnv LANG LC_*
			# benches open many sessions at once
			MaxStartups 200:30:400
			MaxSessions 64
			Subsystem sftp /usr/lib/openssh/sftp-server
		EOF

		# Podman inside hosts (DESIGN.md facts): ulimits no higher than the
		# current ones, cgroupfs (no systemd), no journald; container
		# networks stay inside 198.18.0.0/15.
		cat >etc.upper/containers/containers.conf <<-EOF
			[containers]
			default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
			log_driver = "k8s-file"

			[network]
			network_backend = "cni"
			default_subnet = "$CONTAINER_SUBNET"

			[engine]
			cgroup_manager = "cgroupfs"
			events_logger = "file"
			network_cmd_options = ["cidr=$SLIRP_CIDR"]
		EOF
		if [[ -f /etc/cni/net.d/87-podman-bridge.conflist ]]; then
			sed -e "s|10\.88\.0\.0/16|$CONTAINER_SUBNET|" \
				-e "s|10\.88\.0\.1|${CONTAINER_SUBNET%.0/24}.1|" \
				/etc/cni/net.d/87-podman-bridge.conflist >etc.upper/cni/net.d/87-podman-bridge.conflist
		fi
	)
}

# Allocate N free host addresses: 198.18.1.1 upwards, skipping .0/.255 and
# anything another fleet already routes. Caller holds the net lock.
alloc_ips() {
	local n=$1 a b c used
	used=" $(ip -4 -o route show root 198.18.0.0/15 | awk '{ sub("/32", "", $1); printf "%s ", $1 }') "
	for ((a = 18; a <= 19; a++)); do
		for ((b = (a == 18 ? 1 : 0); b <= (a == 18 ? 255 : 253); b++)); do
			for ((c = 1; c <= 254; c++)); do
				[[ $used == *" 198.$a.$b.$c "* ]] && continue
				echo "198.$a.$b.$c"
				((--n)) || return 0
			done
		done
	done
	die "198.18.0.0/15 is full"
}

# Names PREFIX1..N may be left over from a run of this DIR that died hard
# (state files lost); they are ours when the veth's alias names this DIR.
# Anything else by that name belongs to someone else: refuse.
claim_names() {
	local i name alias stale=
	for ((i = 1; i <= count; i++)); do
		name=$prefix$i
		alias=$(ip -o link show dev "$name" 2>/dev/null | sed -n 's/.* alias \(.*\)$/\1/p' || true)
		if [[ -n $alias ]]; then
			[[ $alias == "muster-fleet $dir" ]] || die "host name '$name' is in use by '${alias#muster-fleet }': pick another --prefix or bring that fleet down"
			stale+="$name"$'\n'
		elif [[ -e /run/netns/$name ]] || ip link show dev "$name" >/dev/null 2>&1; then
			die "netns or link '$name' exists and is not from a fleet in '$dir'"
		fi
	done
	[[ -z $stale ]] && return 0
	note "removing stale hosts of '$dir'"
	kill_hosts <<<"$stale"
	clean_cgroups <<<"$stale"
	unplumb_hosts <<<"$stale"
	remove_host_dirs <<<"$stale"
}

# A host's own files: the template plus its host key, sshd port and names.
prep_host() {
	local name=$1 ip=$2 hport=$3 h=$dir/$1
	rm -rf --one-file-system "$h" # cp -a would copy into a leftover one
	cp -a "$dir/.template" "$h"
	ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$h/etc.upper/ssh/ssh_host_ed25519_key"
	printf 'Port %s\n%s\n' "$hport" "$(<"$h/etc.upper/ssh/sshd_config.common")" >"$h/etc.upper/ssh/sshd_config"
	echo "$name" >"$h/etc.upper/hostname"
	printf '%s\n%s %s\n' "$(</etc/hosts)" "$ip" "$name" >"$h/etc.upper/hosts"
}

wait_all() { # wait for background pids; fail if any failed
	local p rc=0
	for p in "$@"; do
		wait "$p" || rc=1
	done
	return "$rc"
}

host_port() { # per-host override FLEET_SSH_PORT_<i>, else the fleet's port
	local v=FLEET_SSH_PORT_$1
	echo "${!v:-$port}"
}

do_up() {
	local i t name pid t0 pending batch ready
	local -a names ips ports pids free_ips jobs_
	t0=$EPOCHREALTIME
	if ! [[ $count =~ ^[1-9][0-9]*$ ]] || ((count > 5000)); then
		die "bad host count '$count'"
	fi
	[[ $prefix =~ ^[a-z][a-z0-9-]*$ ]] || die "bad prefix '$prefix'"
	((${#prefix} + ${#count} <= 15)) || die "prefix '$prefix' too long for interface names"
	for cmd in ip nsenter unshare setsid flock ssh-keygen mountpoint /usr/sbin/sshd; do
		command -v "$cmd" >/dev/null || die "missing '$cmd'"
	done
	((EUID == 0)) || die "must run as root"

	set_dir create
	do_down # whatever this DIR held before
	mkdir -p "$dir"
	claim_names
	trap 'note "up failed, cleaning up"; do_down' EXIT

	ssh-keygen -q -t ed25519 -N '' -C "muster-fleet" -f "$dir/id_ed25519"
	build_template
	printf 'PREFIX=%s\nCOUNT=%s\n' "$prefix" "$count" >"$dir/fleet.conf"

	# Network plumbing, one `ip -batch` for the whole fleet. The root side of
	# every veth carries the same 198.18.0.1/32 with a /32 route per host:
	# the controller has one source address and hosts are reachable only
	# from it. No IPv6 link-local chatter on the veths (addrgenmode none).
	lock_net
	mapfile -t free_ips < <(alloc_ips "$count")
	pending=
	batch=
	for ((i = 1; i <= count; i++)); do
		name=$prefix$i
		names[i]=$name ips[i]=${free_ips[i - 1]} ports[i]=$(host_port "$i")
		pending+="$name ${ips[i]} ${ports[i]} -"$'\n'
		batch+="netns add $name
link add $name type veth peer name eth0 netns $name
link set dev $name alias \"muster-fleet $dir\"
link set dev $name addrgenmode none
address add $CONTROLLER_IP/32 dev $name
link set dev $name up
route add ${ips[i]}/32 dev $name src $CONTROLLER_IP
"
	done
	printf '%s' "$pending" >"$dir/hosts.pending"
	ip -batch - <<<"$batch"
	unlock_net

	# Per-host files, a few hosts at a time: the work is mostly waiting for
	# the disk, and 2 cores are shared with other helpers.
	jobs_=()
	for ((i = 1; i <= count; i++)); do
		prep_host "${names[i]}" "${ips[i]}" "${ports[i]}" &
		jobs_+=($!)
		if ((${#jobs_[@]} == 8)); then
			wait_all "${jobs_[@]}"
			jobs_=()
		fi
	done
	wait_all "${jobs_[@]}"

	# Start every host. Each gets its own pid namespace whose init ends up
	# being sshd: it reaps the daemons podman leaves behind (pid 1 of this
	# machine reaps nothing), and killing it takes the whole host down.
	# setsid does not fork (we are no group leader) and nsenter execs, so $!
	# is unshare, which forks that init and waits for it.
	for ((i = 1; i <= count; i++)); do
		name=${names[i]}
		: >"$dir/$name/sshd.log" # exists before we poll it
		setsid nsenter --net="/run/netns/$name" -- \
			unshare --mount --uts --pid --fork --kill-child --mount-proc --propagation private -- \
			"$FLEET_HOME/host-init.sh" "$dir/$name" "$name" "${ips[i]}" \
			</dev/null >"$dir/$name/sshd.log" 2>&1 &
		pids[i]=$!
		disown # the hosts outlive this script; no job reports
	done

	# Ready when sshd logs that it listens; a host that died shows its log.
	for ((t = 0; t < 1500; t++)); do
		ready=0
		for ((i = 1; i <= count; i++)); do
			if [[ $(<"$dir/${names[i]}/sshd.log") == *"Server listening"* ]]; then
				((++ready))
			elif ! kill -0 "${pids[i]}" 2>/dev/null; then
				note "host '${names[i]}' failed to start:"
				cat "$dir/${names[i]}/sshd.log" >&2
				exit 1
			fi
		done
		((ready == count)) && break
		sleep 0.02
	done
	((ready == count)) || die "only $ready of $count hosts came up within 30s"
	# From here on a host is known by its init (sshd): the process that
	# `nsenter -t` enters, pid namespace included.
	for ((i = 1; i <= count; i++)); do
		read -r pid _ <"/proc/${pids[i]}/task/${pids[i]}/children" || true # no newline
		[[ $pid =~ ^[0-9]+$ ]] || die "host '${names[i]}' has no init process"
		pids[i]=$pid
	done

	write_client_files
	: >"$dir/hosts"
	for ((i = 1; i <= count; i++)); do
		echo "${names[i]} ${ips[i]} ${ports[i]} ${pids[i]}" >>"$dir/hosts"
	done
	rm -f "$dir/hosts.pending"
	trap - EXIT

	printf 'fleet: %d hosts up in %s ms in %s\n' "$count" \
		"$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))" "$dir"
	printf '  %-10s %-15s %s\n' "${names[1]}" "${ips[1]}:${ports[1]}" "pid ${pids[1]}"
	((count > 1)) && printf '  %-10s %-15s %s\n' "${names[count]}" "${ips[count]}:${ports[count]}" "pid ${pids[count]}"
	printf '  ssh -F %s/ssh_config %s\n  inventory %s/inventory.ini\n' "$dir" "${names[1]}" "$dir"
}

# inventory.ini, known_hosts and ssh_config for the controller and for ssh.
write_client_files() {
	local i hostpat
	{
		echo "# written by tests/fleet/fleet.sh; removed by fleet.sh down"
		echo "[fleet]"
		for ((i = 1; i <= count; i++)); do
			printf '%s ansible_host=%s ansible_user=root' "${names[i]}" "${ips[i]}"
			[[ ${ports[i]} == 22 ]] || printf ' ansible_port=%s' "${ports[i]}"
			printf '\n'
		done
		echo
		echo "[fleet:vars]"
		echo "ansible_ssh_private_key_file=$dir/id_ed25519"
		echo "ansible_ssh_common_args='-o UserKnownHostsFile=$dir/known_hosts -o StrictHostKeyChecking=yes'"
	} >"$dir/inventory.ini"

	{
		for ((i = 1; i <= count; i++)); do
			if [[ ${ports[i]} == 22 ]]; then
				hostpat="${names[i]},${ips[i]}"
			else
				hostpat="[${names[i]}]:${ports[i]},[${ips[i]}]:${ports[i]}"
			fi
			echo "$hostpat $(cut -d' ' -f1-2 "$dir/${names[i]}/etc.upper/ssh/ssh_host_ed25519_key.pub")"
		done
	} >"$dir/known_hosts"

	{
		echo "# written by tests/fleet/fleet.sh; use: ssh -F $dir/ssh_config ${names[1]}"
		for ((i = 1; i <= count; i++)); do
			cat <<-EOF
				Host ${names[i]} ${ips[i]}
				    HostName ${ips[i]}
				    Port ${ports[i]}
				    User root
				    IdentityFile $dir/id_ed25519
				    IdentitiesOnly yes
				    UserKnownHostsFile $dir/known_hosts
				    GlobalKnownHostsFile /dev/null
				    StrictHostKeyChecking yes
				    ConnectTimeout 5
			EOF
		done
	} >"$dir/ssh_config"
}

# ---------------------------------------------------------------- image --

# A busybox image needs no registry: one static binary, a symlink per applet
# and a page for httpd to serve.
build_busybox_tar() {
	local bb=/bin/busybox root a
	[[ -f $dir/busybox.tar ]] && return 0
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		die "'$bb' is not a static busybox (install busybox-static)"
	root=$(mktemp -d "$dir/.busybox.XXXXXX")
	mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,www}
	cp "$bb" "$root/bin/busybox"
	for a in $("$bb" --list); do
		[[ $a == busybox ]] || ln -s busybox "$root/bin/$a"
	done
	echo "busybox on fleet host" >"$root/www/index.html"
	chmod 1777 "$root/tmp"
	# mktemp -d made the root 0700: rootless vfs storage applies that mode to
	# the container's /, and a non-root container process then cannot exec.
	chmod 0755 "$root"
	tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$dir/busybox.tar.tmp" .
	mv "$dir/busybox.tar.tmp" "$dir/busybox.tar"
	rm -rf --one-file-system "$root"
}

do_image() {
	find_host "$host"
	build_busybox_tar
	host_run "$user" podman import --change 'CMD ["/bin/sh"]' --change 'WORKDIR /www' \
		- localhost/busybox:test <"$dir/busybox.tar"
}

do_list() {
	[[ -f $dir/hosts ]] || die "no fleet in '$dir'"
	cat "$dir/hosts"
}

# ----------------------------------------------------------------- main --

(($#)) || usage
cmd=$1
shift
count='' host=
case $cmd in
up) (($#)) || usage; count=$1; shift ;;
exec | image) (($#)) || usage; host=$1; shift ;;
down | list) ;;
*) usage ;;
esac
while (($#)); do
	case $1 in
	--dir) dir=$2; shift 2 ;;
	--prefix) prefix=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	--user | -u) user=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done

case $cmd in
up) do_up ;;
down) set_dir; do_down ;;
exec)
	(($#)) || usage
	set_dir
	find_host "$host"
	host_run "$user" "$@"
	;;
image) set_dir; do_image ;;
list) set_dir; do_list ;;
esac
