#!/bin/sh
# Install every Debian package muster needs to build, test and run its demo.
# Idempotent: quiet and quick when everything is already there.
set -eu

PKGS="build-essential cmake pkg-config file
libssh-dev libyaml-dev libssl-dev libjansson-dev libcriterion-dev
openssh-server openssh-client ufw iptables iproute2 procps util-linux
podman crun conmon uidmap slirp4netns fuse-overlayfs catatonit
busybox-static sudo ansible clang clang-tidy cppcheck
curl libxml2-utils openssl"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
