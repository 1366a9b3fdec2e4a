#!/bin/sh
# Configure and build muster into build/ (or $1), warnings as errors.
# Extra arguments after the directory go to cmake's configure step.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMU_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
