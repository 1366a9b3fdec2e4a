#!/bin/bash
# host-init.sh HOSTDIR NAME IP — turn a fresh namespace set into a fleet host,
# then become its sshd.
#
# fleet.sh starts this as pid 1 of a new pid namespace:
#   nsenter --net=/run/netns/NAME unshare --mount --uts --pid --fork --mount-proc ...
# so we already own a network namespace (with the host end of the veth, named
# eth0), a private mount namespace, a UTS namespace and a /proc of our own.
# Nothing here touches the root namespaces: every mount below lands in our
# private mount namespace and dies with it. The last step execs sshd, which
# stays pid 1 (it reaps orphans, and its death ends every process of the
# host); `nsenter -t PID -m -n -u -p` enters exactly this host.
set -euo pipefail

hostdir=$1 name=$2 ip=$3

# Work relative to the host folder: once /tmp, /run, /home or /root are
# covered below, the host folder's absolute path may no longer resolve inside
# this namespace, but our working directory still does.
cd "$hostdir"

# --- network: only the controller's 198.18.0.1 is reachable, no default route,
# so nothing in a host can send traffic anywhere else.
ip link set lo up
ip link set eth0 addrgenmode none
ip addr add "$ip/32" dev eth0
ip link set eth0 up
ip route add 198.18.0.1/32 dev eth0 src "$ip"

hostname "$name"

# --- /etc, /var, /opt become copy-on-write views of the real ones. The host
# can create, rename and delete anything there (useradd, atomic renames of
# /etc/passwd, mkdir of mount points) while the real files stay untouched; the
# changes land in HOSTDIR/<dir>.upper. fleet.sh pre-seeded etc.upper with the
# host's users, sshd config, host key and container config.
for d in etc var opt; do
	mount -t overlay "fleet-$d" \
		-o "lowerdir=/$d,upperdir=$PWD/$d.upper,workdir=$PWD/$d.work" "/$d"
done

# The real machine's host keys must not be usable in a host: whiteouts in the
# overlay hide them without touching the real files.
rm -f /etc/ssh/ssh_host_rsa_key* /etc/ssh/ssh_host_ecdsa_key*

# --- per-host state directories, bind-mounted from the host folder so tests
# can read them from outside (DESIGN.md "Tests and the test fleet").
bind() { # bind SRC DST: mount point created inside an overlay when missing
	[[ -e $2 ]] || mkdir -p "$2"
	mount --bind "$1" "$2"
}
bind ./etc-sysctl.d          /etc/sysctl.d
bind ./etc-ufw               /etc/ufw
bind ./var-lib-linger        /var/lib/systemd/linger
bind ./var-lib-containers    /var/lib/containers
bind ./var-lib-cni           /var/lib/cni
bind ./var-lib-muster        /var/lib/muster
bind ./var-tmp               /var/tmp
bind ./opt-containers        /opt/containers
# Rootless slirp4netns opens /dev/net/tun as the user; the real node is 0600.
# A private 0666 node with the same numbers, bound over it, fixes that for
# this host only.
bind ./dev-net-tun           /dev/net/tun
# /run holds podman's and sudo's runtime state, /run/user/UID and sshd's
# privilege-separation directory: all per host.
bind ./run                   /run
bind ./home                  /home
bind ./root                  /root
bind ./tmp                   /tmp

# --- sysfs that shows this host's interfaces; keep the real cgroup tree, but
# without the cgroup2 mount at /sys/fs/cgroup/unified: with it, podman on this
# cgroup-v1 machine fails to start containers (DESIGN.md facts).
mkdir -p /run/.fleet-cgroup
mount --rbind /sys/fs/cgroup /run/.fleet-cgroup
umount -l /sys
mount -t sysfs sysfs /sys
mount --move /run/.fleet-cgroup /sys/fs/cgroup
rmdir /run/.fleet-cgroup
if mountpoint -q /sys/fs/cgroup/unified; then
	umount /sys/fs/cgroup/unified
fi

# --- kernel-wide sysctls are shared with the real machine; only net.* is per
# network namespace. Make everything but /proc/sys/net read-only so a test
# (or `sysctl --system`) cannot change the machine it runs on by accident.
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,rw /proc/sys/net
# Those overmounts leave /proc "not fully visible", and then the kernel
# refuses the procfs mount of every rootless container (crun: "mount `proc`
# to `proc`: Operation not permitted"). One untouched proc mount anywhere in
# the namespace satisfies that check; keep it out of the way in a root-only
# directory. It is a guard against accidents, not against root.
install -d -m 0700 /run/.fleet
mkdir /run/.fleet/proc
mount -t proc -o nosuid,nodev,noexec proc /run/.fleet/proc

# Rootless podman wants / to be a shared mount (it warns otherwise). Our
# mounts are private copies, so this makes new peer groups inside this
# namespace only; nothing propagates back to the real machine.
mount --make-rshared /

cd /
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
