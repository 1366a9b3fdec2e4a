#!/bin/bash
# Static checks, as CI runs them: the banned-function grep, cppcheck and
# clang-tidy (config in .clang-tidy) over agent/ common/ controller/. Any
# finding fails the run. A false positive gets an inline suppression with a
# one-line reason next to the code (NOLINTNEXTLINE(check) or
# cppcheck-suppress id), never a blanket disable here.
#
# Usage: scripts/lint.sh [build-dir]   (default build-lint; only configured,
# not built: the tools need its compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${1:-build-lint}
jobs=2
srcs=(agent/*.c common/*.c controller/*.c)

for tool in cppcheck clang-tidy; do
	if ! command -v "$tool" >/dev/null; then
		echo "lint: '$tool' not found (scripts/install-deps.sh installs it)" >&2
		exit 1
	fi
done

failed=0

echo "== lint: banned functions"
# curl's list: unbounded copies and shell spawns. Use snprintf, mu_buf,
# strtok_r and agent/child.h instead.
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|gets|system|popen)[[:space:]]*\(' \
	agent/*.[ch] common/*.[ch] controller/*.[ch]; then
	echo "lint: banned function used: use snprintf, mu_buf, strtok_r or agent/child.h" >&2
	failed=1
fi

cmake -S . -B "$bdir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null

echo "== lint: cppcheck"
# readdirCalled is off: it recommends readdir_r, which glibc deprecated
# (2.24) because readdir on a DIR* of one's own is already thread-safe.
# scripts/jansson.cfg teaches cppcheck the json_*_foreach loops.
mkdir -p "$bdir/cppcheck"
if ! cppcheck --project="$bdir/compile_commands.json" \
	--file-filter='agent/*' --file-filter='common/*' --file-filter='controller/*' \
	--file-filter="$PWD/agent/*" --file-filter="$PWD/common/*" --file-filter="$PWD/controller/*" \
	--enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
	--suppress=missingIncludeSystem --suppress=readdirCalled \
	--library=posix --library=scripts/jansson.cfg \
	--cppcheck-build-dir="$bdir/cppcheck" -j"$jobs" --quiet \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]'; then
	failed=1
fi

echo "== lint: clang-tidy"
# One file per process: clang-tidy 14 reports false va_list findings when it
# analyses several files in one run. A file that passed is stamped in
# $bdir/tidy-cache under a hash of its text, every project header, the
# config and the tool version, so a rerun only analyses what changed.
# System headers are not in the hash: LINT_NOCACHE=1 analyses everything
# (after a library upgrade, say).
cache="$bdir/tidy-cache"
[ "${LINT_NOCACHE:-0}" = 1 ] && rm -rf "$cache"
mkdir -p "$cache"
find "$cache" -type f -mtime +30 -delete
common_key=$({ clang-tidy --version; cat .clang-tidy CMakeLists.txt ./*/CMakeLists.txt \
	agent/*.h common/*.h controller/*.h; } | sha256sum | cut -d' ' -f1)
tidy_one() {
	local stamp
	stamp="$cache/$({ echo "$common_key $1"; cat "$1"; } | sha256sum | cut -d' ' -f1)"
	[ -e "$stamp" ] && return 0
	clang-tidy -p "$bdir" --quiet --warnings-as-errors='*' "$1" && touch "$stamp"
}
export -f tidy_one
export bdir cache common_key
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! printf '%s\n' "${srcs[@]}" |
	xargs -P"$jobs" -I{} bash -c 'tidy_one "$1"' _ {} >"$out" 2>&1; then
	failed=1
fi
# Drop clang-tidy's per-file "N warnings generated." chatter.
grep -vE '^[0-9]+ (warnings?|errors?)( and [0-9]+ (warnings?|errors?))? generated\.$' "$out" || true

if [ "$failed" -ne 0 ]; then
	echo "lint: FAILED" >&2
	exit 1
fi
echo "lint: clean"
