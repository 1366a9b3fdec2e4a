#!/bin/sh
# Benchmark: the file module's recursive owner/mode walk over 100,000 files,
# driven through the real agent binary over its stdin protocol.
#
#   bench/file_recurse.sh [AGENT] [COUNT]
#
# AGENT defaults to build/agent/muster-agent, COUNT to 100000. Everything
# happens in a fresh directory under ${TMPDIR:-/tmp} that is removed at the
# end; the owner used is the numeric id 4242 (no passwd entry needed).
# Needs root (chown). Prints one line per run: what, status, wall time.
set -eu

AGENT=${1:-build/agent/muster-agent}
COUNT=${2:-100000}
ID=4242
[ -x "$AGENT" ] || { echo "file_recurse: no agent at '$AGENT' (build first)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "file_recurse: needs root to chown" >&2; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/mu-bench-XXXXXX")
trap 'rm -rf "$DIR"' EXIT INT TERM
TREE=$DIR/tree

# 100 directories of COUNT/100 files each (touch in batches via xargs).
PER=$((COUNT / 100))
mkdir "$TREE"
i=0
while [ $i -lt 100 ]; do
	mkdir "$TREE/d$i"
	i=$((i + 1))
done
i=0
while [ $i -lt 100 ]; do
	seq -f "$TREE/d$i/f%.0f" 1 "$PER"
	i=$((i + 1))
done | xargs touch
TOTAL=$(find "$TREE" | wc -l)

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# CPU time (user + system) of the agent too, when GNU time is there: on a
# busy machine wall time overstates what the walk costs.
TIMER=
[ -x /usr/bin/time ] && TIMER="/usr/bin/time -f %U:%S -o $DIR/cpu"

# run LABEL CHECK: one task through the agent; prints status and times.
run() {
	label=$1 check=$2
	task='{"type":"task","id":1,"module":"file","check":'$check',"args":{"path":"'$TREE'","state":"directory","recurse":true,"owner":"'$ID'","group":"'$ID'","mode":"u=rwX,g=rX,o="}}'
	rm -f "$DIR/cpu"
	t0=$(now_ms)
	out=$(printf '%s\n%s\n' '{"type":"hello","protocol":1}' "$task" |
		$TIMER "$AGENT" | tail -n 1)
	t1=$(now_ms)
	status=$(printf '%s' "$out" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
	changed=$(printf '%s' "$out" | sed -n 's/.*"changed_entries":\([0-9]*\).*/\1/p')
	cpu=
	[ -s "$DIR/cpu" ] &&
		cpu=$(awk -F: '{ printf "  cpu %5d ms", ($1 + $2) * 1000 }' "$DIR/cpu")
	printf '%-22s status=%-8s changed_entries=%-7s wall %5d ms%s\n' "$label" \
		"$status" "${changed:-?}" $((t1 - t0)) "$cpu"
}

echo "file recurse benchmark: $TOTAL entries in $TREE"
run "check (all differ)" true
run "apply (all differ)" false
run "check (all correct)" true
run "apply (all correct)" false
