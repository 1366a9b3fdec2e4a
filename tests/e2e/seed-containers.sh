#!/bin/bash
# Seed one fleet host with the rootful containers the migration moves:
#   web   publishes 80, httpd serving /opt/containers/web (owned by uid 101)
#   db    writes into the named volume dbdata as uid 999 (known checksums)
#   panel mounts the rootful API socket /run/podman/podman.sock
# Usage: seed-containers.sh FLEET_DIR HOST
set -euo pipefail
FLEET=$(cd "$(dirname "$0")/../fleet" && pwd)/fleet.sh
dir=$1
host=$2
x() { "$FLEET" exec "$host" --dir "$dir" -- "$@"; }

"$FLEET" image "$host" --dir "$dir" >/dev/null 2>&1
x sh -c 'mkdir -p /opt/containers/web && echo "hello from $(hostname)" > /opt/containers/web/index.html &&
	chown -R 101:101 /opt/containers/web && chmod 0755 /opt/containers/web'
# The rootful API socket, as podman.socket would provide it.
x sh -c 'mkdir -p /run/podman && (setsid podman system service --time=0 unix:///run/podman/podman.sock \
	>/dev/null 2>&1 < /dev/null &) ; for i in $(seq 50); do [ -S /run/podman/podman.sock ] && break; sleep 0.1; done'
x podman run -d --pull=never --name web --restart always -p 80:80 \
	--label app=web -e GREETING=hello \
	-v /opt/containers/web:/www:ro localhost/busybox:test httpd -f -p 80 -h /www >/dev/null
x podman volume create dbdata >/dev/null
x podman run --rm --pull=never -v dbdata:/data localhost/busybox:test sh -c 'chown 999:999 /data && chmod 0750 /data'
x podman run -d --pull=never --name db --restart always -u 999:999 --label app=db \
	-v dbdata:/data localhost/busybox:test sh -c \
	'for i in 1 2 3; do seq 1 $((i * 1000)) > /data/part$i; done; sync; touch /data/.ready; exec sleep 100000' >/dev/null
for i in $(seq 50); do x test -e /var/lib/containers/storage/volumes/dbdata/_data/.ready && break; sleep 0.1; done
x podman run -d --pull=never --name panel --restart always --label app=panel \
	-v /run/podman/podman.sock:/run/podman/podman.sock localhost/busybox:test sleep 100000 >/dev/null
