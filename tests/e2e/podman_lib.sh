# Helpers for the e2e tests of the rootless job (source after lib.sh and
# e2e_fleet_up): run as deploy in a host, fetch a host's port 80, and take a
# picture of everything the job may change, to prove that a run changed
# nothing.

# as_user HOST CMD...: run as deploy inside a fleet host.
as_user() {
	local h=$1
	shift
	"$FLEET" exec "$h" --dir "$FDIR" --user deploy -- "$@"
}
export -f as_user

ip_of() { awk -v h="$1" '$1 == h { print $2 }' "$FDIR/hosts"; }
# busybox wget in the hosts crashes: fetch from the root namespace with curl.
http() { curl -s -m 5 "http://$(ip_of "$1"):80/"; }

# seed_hosts HOST...: seed-containers.sh on each, in parallel.
seed_hosts() {
	local h i rc=0
	local -a pids=()
	# fleet.sh builds its image tarball once per fleet, through a fixed
	# temporary name: build it before the seeds run side by side.
	"$FLEET" image "$1" --dir "$FDIR" >/dev/null 2>&1 || return 1
	for h in "$@"; do
		"$E2E_ROOT/tests/e2e/seed-containers.sh" "$FDIR" "$h" >"$FDIR/seed-$h.log" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		if ! wait "${pids[$i]}"; then
			h=$(sed -n "$((i + 1))p" <<<"$(printf '%s\n' "$@")")
			echo "seeding $h failed:" >&2
			cat "$FDIR/seed-$h.log" >&2
			rc=1
		fi
	done
	return $rc
}

# snapshot HOST: containers (root and deploy), the port start, ufw's view,
# the db volume's bytes, and owner, mode, size, mtime and link target of
# every file where the job writes. deploy's podman is asked first, so the
# storage it makes on first use is in both pictures (and left out of the
# file list: podman's own lock files are not ours). /var/tmp is compared
# by its contents: `podman image inspect` makes and removes a temporary
# entry there, which moves the directory's own mtime.
snapshot() {
	as_user "$1" podman ps -a --format '{{.ID}} {{.Names}}' 2>/dev/null
	"$FLEET" exec "$1" --dir "$FDIR" -- sh -c '
		podman ps -a --format "{{.ID}} {{.Names}} {{.Image}}"
		podman inspect --format "{{.Name}} {{.State.Status}} {{.State.StartedAt}} {{.HostConfig.RestartPolicy.Name}}" $(podman ps -aq)
		cat /proc/sys/net/ipv4/ip_unprivileged_port_start
		ufw status verbose
		sha256sum /var/lib/containers/storage/volumes/dbdata/_data/part*
		cat /etc/subuid /etc/subgid
		find /opt/containers /var/lib/muster /var/lib/systemd/linger /etc/ufw \
			/etc/sysctl.d /etc/systemd/system /home/deploy /run/user/1000 \
			/var/lib/containers/storage/volumes \
			-path /home/deploy/.local/share/containers -prune -o \
			-path /run/user/1000/libpod -prune -o \
			-path /run/user/1000/containers -prune -o \
			-printf "%p %U:%G %m %s %T@ %l\n" 2>/dev/null | sort
		find /var/tmp -mindepth 1 -printf "%p %U:%G %m %s %T@\n" | sort'
}
