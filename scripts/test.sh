#!/bin/bash
# The whole test suite, as CI runs it: install what is missing, build with
# -Werror, lint (scripts/lint.sh), run the Criterion unit tests, the same
# tests under ASan+UBSan, then the end-to-end tests on a namespaced test
# fleet. Must run as root (namespaces); never changes the state of the
# machine it runs on.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: run as root (the tests create network and mount namespaces)" >&2
	exit 1
fi
./scripts/install-deps.sh

echo "== build (warnings are errors)"
./scripts/build.sh build
./scripts/lint.sh
echo "== unit tests"
(cd build && ctest --output-on-failure -j1 --timeout 600)

echo "== unit tests under ASan+UBSan"
./scripts/build.sh build-asan -DMU_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j1 --timeout 900)

echo "== end-to-end tests"
failed=0
passed=0
for t in tests/e2e/test_*.sh; do
	[ -e "$t" ] || continue
	echo "-- $t"
	if bash "$t"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $t" >&2
		failed=$((failed + 1))
	fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
