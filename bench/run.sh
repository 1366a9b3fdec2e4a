#!/bin/bash
# bench/run.sh — muster side by side with ansible-playbook and the raw SSH
# floors, on fleets of namespaced hosts (tests/fleet/fleet.sh).
#
#   bench/run.sh [--hosts "10 50"] [--tools "floors ansible muster"]
#                [--build DIR] [--prefix NAME] [--out FILE]
#
# For each host count N, and each tool on a FRESH fleet of N hosts whose
# /opt/containers/app holds a root-owned tree of 321 entries:
#   floor A   N parallel `ssh -F ssh_config HOST true`
#   floor B   N parallel ssh connections, each feeding bench/floor.sh to `sh -s`
#             (the playbook's steps as a plain script); run twice
#   ansible   ansible-playbook bench/portable.yml, forks=N, pipelining, no facts;
#             cold, then again (must report changed=0)
#   muster    muster play bench/portable.yml, forks=N; cold, then again
#             (must report changed=0)
# After each cold run every host's files are checked (sysctl.d file, ufw.conf
# ENABLED=yes and rules, tree owned by deploy, marker) and the first and last
# host are checked from inside (live sysctl value, `ufw status` active).
#
# Each run goes through bench/rusage.c (compiled on the fly): wall time, CPU
# (user+sys of the command and all its descendants, including ssh
# ControlPersist masters it daemonised), peak RSS of the largest single
# process, and the largest sampled sum of RSS over the process tree.
# Results: a table on stdout and in bench/results/latest.md; raw rows in
# bench/results/latest.tsv; every tool's output in bench/results/logs/.
# Needs root (the fleet). Only addresses in 198.18.0.0/15 are used.
set -Eeuo pipefail
trap 'printf "bench: command failed (line %s): %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
FLEET=$ROOT/tests/fleet/fleet.sh

# ------------------------------------------------- helper mode: N ssh at once --
# run.sh --par-ssh SSH_CONFIG KEX SCRIPT|- HOST...: one ssh per host, all at
# once; SCRIPT is fed to `sh -s`, '-' runs `true`; KEX is 'default' or a
# KexAlgorithms list. Exit 1 when any connection failed.
if [[ ${1:-} == --par-ssh ]]; then
	cfg=$2 kex=$3 script=$4
	shift 4
	opts=(-F "$cfg")
	[[ $kex == default ]] || opts+=(-o "KexAlgorithms=$kex")
	pids=()
	for h in "$@"; do
		if [[ $script == - ]]; then
			ssh "${opts[@]}" -n "$h" true &
		else
			ssh "${opts[@]}" "$h" sh -s <"$script" &
		fi
		pids+=($!)
	done
	bad=0
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	((bad == 0)) || { echo "par-ssh: $bad of $# connections failed" >&2; exit 1; }
	exit 0
fi

hosts_list="10 50"
tools="floors ansible muster"
build=$ROOT/build-bench
prefix=mub
out=$BENCH/results/latest.md

usage() { sed -n '2,30s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }
while (($#)); do
	case $1 in
	--hosts) hosts_list=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--prefix) prefix=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done
((EUID == 0)) || { echo "bench: must run as root (the fleet needs it)" >&2; exit 1; }
for n in $hosts_list; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench: bad host count '$n'" >&2; exit 2; }
done
for t in $tools; do
	case $t in floors | ansible | muster) ;; *) echo "bench: unknown tool '$t'" >&2; exit 2 ;; esac
done

MUSTER=$build/controller/muster
AGENT=$build/agent/muster-agent
if [[ " $tools " == *" muster "* ]]; then
	[[ -x $MUSTER && -x $AGENT ]] || { echo "bench: no muster build in '$build' (build it first)" >&2; exit 1; }
fi
if [[ " $tools " == *" ansible "* ]]; then
	command -v ansible-playbook >/dev/null || { echo "bench: ansible-playbook not found" >&2; exit 1; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mu-bench.XXXXXX")
FDIR=$WORK/fleet
RESULTS=$BENCH/results
LOGS=$RESULTS/logs
TSV=$RESULTS/latest.tsv
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
cleanup() {
	"$FLEET" down --dir "$FDIR" >/dev/null 2>&1 || true
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -Wextra -Werror -o "$WORK/rusage" "$BENCH/rusage.c"

note() { printf 'bench: %s\n' "$*" >&2; }

# The seed tree: 20 directories of 15 files, plus the app root; root-owned.
SEED=$WORK/seed
mkdir -p "$SEED/app"
for ((d = 1; d <= 20; d++)); do
	mkdir "$SEED/app/d$d"
	for ((f = 1; f <= 15; f++)); do echo "file $d.$f" >"$SEED/app/d$d/f$f"; done
done
SEED_ENTRIES=$(find "$SEED/app" | wc -l)

# ----------------------------------------------------------------- fleet --

names=()
fleet_up() { # N
	local n=$1 i
	"$FLEET" down --dir "$FDIR" >/dev/null 2>&1 || true
	"$FLEET" up "$n" --dir "$FDIR" --prefix "$prefix" >"$LOGS/fleet-up.log" 2>&1 ||
		{ cat "$LOGS/fleet-up.log" >&2; note "fleet up $n failed"; exit 1; }
	names=()
	while read -r name _; do names+=("$name"); done <"$FDIR/hosts"
	((${#names[@]} == n)) || { note "fleet has ${#names[@]} hosts, wanted $n"; exit 1; }
	# /opt/containers of a host is bind-mounted from HOSTDIR/opt-containers
	for i in "${names[@]}"; do
		cp -a "$SEED/app" "$FDIR/$i/opt-containers/app"
	done
}
fleet_down() { "$FLEET" down --dir "$FDIR" >/dev/null 2>&1 || true; }

# Check every host's resulting state; print "ok" or what is wrong (first few).
verify() {
	local h problems=() n
	for h in "${names[@]}"; do
		local hd=$FDIR/$h
		grep -Eq '^net\.ipv4\.ip_unprivileged_port_start ?= ?80$' "$hd/etc-sysctl.d/10-podman.conf" 2>/dev/null ||
			problems+=("$h: /etc/sysctl.d/10-podman.conf lacks the setting")
		grep -q '^ENABLED=yes' "$hd/etc-ufw/ufw.conf" 2>/dev/null ||
			problems+=("$h: ufw.conf not ENABLED=yes")
		for p in 22 80 443; do
			grep -q "^### tuple ### allow tcp $p 0.0.0.0/0 any 0.0.0.0/0 in" "$hd/etc-ufw/user.rules" 2>/dev/null ||
				problems+=("$h: no ufw rule for $p/tcp")
		done
		n=$(find "$hd/opt-containers/app" \( ! -uid 1000 -o ! -gid 1000 \) | wc -l)
		((n == 0)) || problems+=("$h: $n entries of the tree not owned by deploy:deploy")
		n=$(find "$hd/opt-containers/app" | wc -l)
		((n == SEED_ENTRIES)) || problems+=("$h: tree has $n entries, seeded $SEED_ENTRIES")
		[[ -e $hd/var-tmp/marker ]] || problems+=("$h: no /var/tmp/marker")
	done
	# live state, from inside the first and the last host
	for h in "${names[0]}" "${names[-1]}"; do
		local v st
		v=$("$FLEET" exec "$h" --dir "$FDIR" -- sysctl -n net.ipv4.ip_unprivileged_port_start 2>&1 || true)
		[[ $v == 80 ]] || problems+=("$h: live net.ipv4.ip_unprivileged_port_start is '$v'")
		st=$("$FLEET" exec "$h" --dir "$FDIR" -- ufw status 2>&1 || true)
		[[ $st == *"Status: active"* ]] || problems+=("$h: ufw status says '${st%%$'\n'*}'")
		[[ $st == *"443/tcp"*ALLOW* ]] || problems+=("$h: ufw status lacks 443/tcp ALLOW")
		st=$("$FLEET" exec "$h" --dir "$FDIR" -- stat -c %U:%G /opt/containers/app/d20/f15 2>&1 || true)
		[[ $st == deploy:deploy ]] || problems+=("$h: /opt/containers/app/d20/f15 is owned by '$st'")
	done
	if ((${#problems[@]} == 0)); then
		echo ok
	else
		printf '%s\n' "${problems[@]}" >>"$LOGS/verify.log"
		echo "FAIL(${#problems[@]}): ${problems[0]}"
	fi
}

# ----------------------------------------------------------- measurement --

# Sum the recap: "hosts changed failed unreachable" from an Ansible-style
# PLAY RECAP in the log.
recap() {
	awk '/^PLAY RECAP/ { r = 1; next }
		r && / : ok=/ {
			h++
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "changed") c += kv[2]
				if (kv[1] == "failed") f += kv[2]
				if (kv[1] == "unreachable") u += kv[2]
			}
		}
		END { printf "%d %d %d %d\n", h, c, f, u }' "$1"
}

# measure N TOOL PHASE CMD...: run CMD under rusage, append a TSV row, print
# a line.
measure() {
	local n=$1 tool=$2 phase=$3
	shift 3
	local log=$LOGS/$n-$tool-$phase.log ru=$WORK/ru load status=0
	load=$(cut -d' ' -f1 /proc/loadavg)
	"$WORK/rusage" "$ru" timeout -k 10 900 "$@" </dev/null >"$log" 2>&1 || status=$?
	local wall=0 user=0 sys=0 maxrss=0 tree=0 procs=0 leftover=0 kv
	for kv in $(<"$ru"); do
		case ${kv%%=*} in
		wall) wall=${kv#*=} ;;
		user) user=${kv#*=} ;;
		sys) sys=${kv#*=} ;;
		maxrss_kb) maxrss=${kv#*=} ;;
		tree_rss_kb) tree=${kv#*=} ;;
		procs) procs=${kv#*=} ;;
		leftover) leftover=${kv#*=} ;;
		esac
	done
	local rh=- rc=- rf=- ru_=- changed=-
	if [[ $tool == ansible || $tool == muster ]]; then
		read -r rh rc rf ru_ < <(recap "$log")
		changed=$rc
		if ((rh != n || rf != 0 || ru_ != 0)); then
			changed="$rc (hosts=$rh failed=$rf unreachable=$ru_)"
		fi
	fi
	ROW=("$n" "$tool" "$phase" "$wall" "$user" "$sys" "$maxrss" "$tree" "$procs" "$status" "$changed" "$load" "$leftover")
	printf 'bench: %3s hosts  %-13s %-6s wall %7.2fs  cpu %7.2fs  rss %6.1f MB  exit %s  changed %s\n' \
		"$n" "$tool" "$phase" "$wall" "$(awk "BEGIN { print $user + $sys }")" "$(awk "BEGIN { print $maxrss / 1024 }")" \
		"$status" "$changed" >&2
	if ((status != 0)); then
		note "$tool $phase exited $status; last lines of $log:"
		tail -n 15 "$log" >&2
	fi
}

# Append the row in ROW plus a check result to the TSV.
record() { # CHECK
	local IFS=$'\t'
	echo "${ROW[*]}"$'\t'"$1" >>"$TSV"
}

# Assert the idempotent run changed nothing.
idem_check() {
	local changed=${ROW[10]} status=${ROW[9]}
	if [[ $status == 0 && $changed == 0 ]]; then echo ok; else echo "FAIL: exit $status, changed=$changed"; fi
}

ansible_env() { # N
	local n=$1 a=$WORK/ansible
	rm -rf "$a"
	mkdir -p "$a/cp" "$a/tmp" "$a/home"
	cat >"$a/ansible.cfg" <<-EOF
		[defaults]
		forks = $n
		host_key_checking = True
		gathering = explicit
		interpreter_python = /usr/bin/python3
		retry_files_enabled = False
		nocolor = True
		local_tmp = $a/tmp

		[ssh_connection]
		pipelining = True
	EOF
	# host keys: the fleet's known_hosts, named in ssh_config (and the
	# inventory's ansible_ssh_common_args), checked strictly
	ANSIBLE_ENV=(env ANSIBLE_CONFIG="$a/ansible.cfg" ANSIBLE_PIPELINING=1 ANSIBLE_FORKS="$n"
		ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_HOME="$a/home" ANSIBLE_NOCOLOR=1
		ANSIBLE_SSH_ARGS="-F $FDIR/ssh_config -o ControlMaster=auto -o ControlPersist=60s"
		ANSIBLE_SSH_CONTROL_PATH_DIR="$a/cp")
}

# The floors twice, each on a fresh fleet: with OpenSSH's default key
# exchange (sntrup761x25519-sha512, costly on both ends) and with
# curve25519-sha256, the key exchange libssh 0.10 (muster) negotiates.
run_floors() { # N
	local n=$1 kex sfx
	for kex in default curve25519-sha256; do
		sfx=
		[[ $kex == default ]] || sfx=-x25519
		fleet_up "$n"
		measure "$n" "floorA$sfx" run "$BENCH/run.sh" --par-ssh "$FDIR/ssh_config" "$kex" - "${names[@]}"
		record -
		measure "$n" "floorB$sfx" cold "$BENCH/run.sh" --par-ssh "$FDIR/ssh_config" "$kex" "$BENCH/floor.sh" "${names[@]}"
		record "$(verify)"
		measure "$n" "floorB$sfx" again "$BENCH/run.sh" --par-ssh "$FDIR/ssh_config" "$kex" "$BENCH/floor.sh" "${names[@]}"
		record "$(verify)"
		fleet_down
	done
}

run_ansible() { # N
	local n=$1
	fleet_up "$n"
	ansible_env "$n"
	measure "$n" ansible cold "${ANSIBLE_ENV[@]}" ansible-playbook -i "$FDIR/inventory.ini" "$BENCH/portable.yml"
	record "$(verify)"
	measure "$n" ansible idem "${ANSIBLE_ENV[@]}" ansible-playbook -i "$FDIR/inventory.ini" "$BENCH/portable.yml"
	record "$(idem_check)"
	fleet_down
}

run_muster() { # N
	local n=$1
	fleet_up "$n"
	local cmd=(env MU_AGENT_PATH="$AGENT" NO_COLOR=1 "$MUSTER" play "$BENCH/portable.yml"
		-i "$FDIR/inventory.ini" --ssh-config "$FDIR/ssh_config" --known-hosts "$FDIR/known_hosts"
		--forks "$n")
	measure "$n" muster cold "${cmd[@]}"
	record "$(verify)"
	measure "$n" muster idem "${cmd[@]}"
	record "$(idem_check)"
	fleet_down
}

# ---------------------------------------------------------------- report --

machine() {
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)
	echo "$(nproc) x $cpu, $mem RAM, Linux $(uname -r)"
}

muster_version() {
	local v=
	[[ -x $MUSTER ]] && v=$("$MUSTER" --version 2>/dev/null || true)
	echo "${v%%$'\n'*}"
}

# Markdown report from the TSV.
report() {
	local started=$1
	echo "# muster benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- machine: $(machine); load average at start $started (shared machine)"
	echo "- $(ansible-playbook --version 2>/dev/null | head -n1), $(ssh -V 2>&1), muster $(muster_version)"
	echo "- workload: bench/portable.yml on fresh namespaced hosts (tests/fleet), tree of $SEED_ENTRIES entries per host"
	echo
	echo "| hosts | run | wall s | CPU s (user+sys) | peak RSS MB (largest process) | tree RSS MB (sum, sampled) | procs | exit | changed | check | load |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|"
	awk -F'\t' '{
		printf "| %s | %s %s | %.2f | %.2f | %.1f | %.1f | %s | %s | %s | %s | %s |\n",
			$1, $2, $3, $4, $5 + $6, $7 / 1024, $8 / 1024, $9, $10, $11, $14, $12
	}' "$TSV"
	echo
	echo "## Ratios"
	echo
	echo "Floor B is the plain script over OpenSSH's default key exchange; floor B x25519 the same"
	echo "with curve25519-sha256, the key exchange muster's libssh negotiates."
	echo
	echo "| hosts | muster / floor B wall, cold | muster / floor B wall, again | muster / floor B x25519 wall, cold | muster / floor B x25519 wall, again | ansible / muster wall, cold | ansible / muster wall, idem | ansible / muster CPU, cold | ansible / muster CPU, idem | muster peak RSS MB |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' '
		{ k = $1 SUBSEP $2 SUBSEP $3; wall[k] = $4; cpu[k] = $5 + $6; rss[k] = $7; ns[$1] = 1 }
		function r(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
		function w(n, t, p) { return wall[n SUBSEP t SUBSEP p] }
		function c(n, t, p) { return cpu[n SUBSEP t SUBSEP p] }
		END {
			for (n in ns) {
				m = rss[n SUBSEP "muster" SUBSEP "cold"]
				if (rss[n SUBSEP "muster" SUBSEP "idem"] > m) m = rss[n SUBSEP "muster" SUBSEP "idem"]
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n,
					r(w(n, "muster", "cold"), w(n, "floorB", "cold")),
					r(w(n, "muster", "idem"), w(n, "floorB", "again")),
					r(w(n, "muster", "cold"), w(n, "floorB-x25519", "cold")),
					r(w(n, "muster", "idem"), w(n, "floorB-x25519", "again")),
					r(w(n, "ansible", "cold"), w(n, "muster", "cold")),
					r(w(n, "ansible", "idem"), w(n, "muster", "idem")),
					r(c(n, "ansible", "cold"), c(n, "muster", "cold")),
					r(c(n, "ansible", "idem"), c(n, "muster", "idem")),
					(m == "" ? "-" : sprintf("%.1f", m / 1024))
			}
		}' "$TSV" | sort -t'|' -k2 -n
	echo
	targets
	echo
	echo "## What is measured"
	echo
	cat <<-'EOF'
		- **wall**: fork to exit of the controller command (bench/rusage.c), fleet setup excluded.
		- **CPU**: user+sys from getrusage(RUSAGE_CHILDREN) after every descendant is reaped: the
		  controller, its threads, forked workers and ssh client processes, and ssh ControlPersist
		  masters that ansible daemonises (rusage is a child subreaper, ends them after the run and
		  reaps them). The hosts' sshd and everything they run are not descendants: not counted.
		- **peak RSS (largest process)**: ru_maxrss of RUSAGE_CHILDREN, i.e. the peak RSS of the
		  single biggest process in the tree. For muster that is the muster process; for
		  ansible-playbook it is the biggest of the main process, its forked workers and ssh.
		- **tree RSS (sum, sampled)**: the largest sum of RSS over all live descendants, sampled
		  every 50 ms from /proc; pages shared after fork count once per process, so it
		  over-states ansible's workers (upper bound).
		- **floor A**: N parallel `ssh -F ssh_config HOST true` (no connection sharing).
		- **floor B**: N parallel ssh connections, each running bench/floor.sh with `sh -s`;
		  "again" is the same script on the already-converged hosts.
		- **x25519** floors: the same with `-o KexAlgorithms=curve25519-sha256`. OpenSSH 9.2
		  picks sntrup761x25519-sha512 by default, which costs ~80 ms of CPU per connection on
		  each end on this machine; libssh 0.10 (muster) does not implement it and
		  negotiates curve25519-sha256 (~5 ms). Both ends run on the same 2 cores here.
		- **ansible**: ansible-playbook, forks=N, pipelining, gather_facts false,
		  interpreter_python=/usr/bin/python3, ssh_args `-F ssh_config -o ControlMaster=auto
		  -o ControlPersist=60s` (Ansible's defaults minus compression), strict host keys.
		- **muster**: `muster play --forks N` with the fleet's ssh_config and known_hosts;
		  cold includes uploading the agent to every host.
		- **check**: after each cold run every host's files are checked (sysctl.d file, ufw
		  enabled with the three rules, the whole tree owned by deploy:deploy, the marker) and
		  the first and last host from inside (live sysctl, `ufw status` active, owner); an
		  idempotent run must exit 0 with changed=0 on every host in its recap.
		- **procs**: the most descendants alive at one sample; every command runs under
		  `timeout` (one extra small process, counted in CPU and procs, as is the bash
		  wrapper that starts the floors' ssh processes).
		- **load**: 1-minute load average when the run started (the machine is shared).
	EOF
}

targets() {
	local n=${hosts_list##* }
	awk -F'\t' -v n="$n" '
		$1 == n { k = $2 SUBSEP $3; wall[k] = $4; cpu[k] = $5 + $6; rss[k] = $7; have[k] = 1
			if ($14 != "ok" && $14 != "-") bad = bad " " $2 "/" $3 }
		function t(name, ok, val) {
			printf "| %s | %s | %s |\n", name, val, bad != "" ? "invalid (failed checks:" bad ")" : ok ? "met" : "**not met**"
		}
		END {
			printf "## Targets (%s hosts)\n\n| target | measured | verdict |\n|---|---:|---|\n", n
			for (f = 1; f <= 2; f++) {
				fl = f == 1 ? "floorB" : "floorB-x25519"
				if (have["muster" SUBSEP "cold"] && have[fl SUBSEP "cold"]) {
					r = wall["muster" SUBSEP "cold"] / wall[fl SUBSEP "cold"]
					t("muster wall within 1.5x of " fl ", cold", r <= 1.5, sprintf("%.2fx", r))
				}
				if (have["muster" SUBSEP "idem"] && have[fl SUBSEP "again"]) {
					r = wall["muster" SUBSEP "idem"] / wall[fl SUBSEP "again"]
					t("muster wall within 1.5x of " fl ", idempotent", r <= 1.5, sprintf("%.2fx", r))
				}
			}
			if (have["muster" SUBSEP "idem"] && have["ansible" SUBSEP "idem"]) {
				r = wall["ansible" SUBSEP "idem"] / wall["muster" SUBSEP "idem"]
				t("idempotent run >= 10x faster than ansible-playbook", r >= 10, sprintf("%.1fx", r))
			}
			for (p = 1; p <= 2; p++) {
				ph = p == 1 ? "cold" : "idem"
				if (have["muster" SUBSEP ph] && have["ansible" SUBSEP ph]) {
					r = cpu["ansible" SUBSEP ph] / cpu["muster" SUBSEP ph]
					t("controller CPU >= 30x less than ansible-playbook, " ph, r >= 30, sprintf("%.1fx", r))
				}
			}
			m = 0
			for (p = 1; p <= 2; p++) {
				ph = p == 1 ? "cold" : "idem"
				if (have["muster" SUBSEP ph] && rss["muster" SUBSEP ph] > m) m = rss["muster" SUBSEP ph]
			}
			if (m > 0) t("muster controller peak RSS < 30 MB", m < 30 * 1024, sprintf("%.1f MB", m / 1024))
		}' "$TSV"
}

# ------------------------------------------------------------------ main --

started=$(cut -d' ' -f1 /proc/loadavg)
: >"$TSV"
: >"$LOGS/verify.log"
t_start=$SECONDS
for n in $hosts_list; do
	for t in $tools; do
		note "$n hosts: $t"
		"run_$t" "$n"
	done
done
mkdir -p "$(dirname "$out")"
report "$started" >"$out"
cat "$out"
note "done in $((SECONDS - t_start)) s; logs in $LOGS"
