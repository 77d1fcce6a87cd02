# common.sh - sourced by the bench/ scripts.
# shellcheck shell=bash

# dn_bench_programs DIR PROG...: sets DN_BENCH_<PROG> to the program to time.
# In a build tree DIR/PROG is libtool's wrapper, a shell script that sets up
# the library path and execs DIR/.libs/PROG: some 10 ms a call, which would
# swamp a one-shot measurement. Time the real program, as an installed one
# runs, with the uninstalled library on LD_LIBRARY_PATH.
# The programs now link the library's objects and DIR/PROG is the program
# itself: a .libs/PROG beside it is then a leftover of an older link.
dn_bench_programs() {
	local dir=$1 p
	shift
	for p in "$@"; do
		if [[ -x $dir/$p && $(head -c 2 "$dir/$p") != "#!" ]]; then
			printf -v "DN_BENCH_$p" '%s' "$dir/$p"
		elif [[ -x $dir/.libs/$p && -d $dir/../lib/.libs ]]; then
			printf -v "DN_BENCH_$p" '%s' "$dir/.libs/$p"
			case ":${LD_LIBRARY_PATH:-}:" in
			*":$dir/../lib/.libs:"*) ;;
			*) export LD_LIBRARY_PATH=$dir/../lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;;
			esac
		else
			printf -v "DN_BENCH_$p" '%s' "$dir/$p"
		fi
	done
}

# die MESSAGE: a bench script cannot run as asked; exit 2 as for bad usage.
die() { echo "${0##*/}: $*" >&2; exit 2; }

# dn_bench_counts NAME...: dies unless each variable NAME holds a whole
# number, and unless RUNS is at least 5.
dn_bench_counts() {
	local v
	for v in "$@"; do
		[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
	done
	(( RUNS >= 5 )) || die "DN_BENCH_RUNS must be at least 5: medians of fewer say little"
}

# dn_bench_loopback: dies without bash 5 or ss(8), or when an address in
# ADDRS is not a loopback one (traffic stays on this host).
dn_bench_loopback() {
	local a
	[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"
	command -v ss >/dev/null || die "needs ss(8) to read back the ports of nc/ncat/socat"
	for a in $ADDRS; do
		case $a in
		127.*|::1) ;;
		*) die "DN_BENCH_ADDRS: $a is not a loopback address" ;;
		esac
	done
}

# dn_bench_tools KNOWN NOTE WANTED: sets the array DN_BENCH_HAVE to the
# tools of WANTED that are installed, dying on one not in KNOWN; NOTE says
# what becomes of a missing one.
dn_bench_tools() {
	local known=$1 note=$2 t
	DN_BENCH_HAVE=()
	for t in $3; do
		[[ " $known " == *" $t "* ]] ||
		    die "DN_BENCH_TOOLS: unknown tool '$t' (${known// /, })"
		if command -v "$t" >/dev/null; then
			DN_BENCH_HAVE+=("$t")
		else
			echo "${0##*/}: $t is not installed: $note" >&2
		fi
	done
}

# dn_bench_workdir PREFIX: makes the scratch directory $work and the traps
# that clean it up. Measurements run in command substitutions (subshells):
# track keeps the PIDs they start in a file, so that an interrupted run
# kills them too; paths listed in $work/files are removed as well.
dn_bench_workdir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || die "mktemp failed"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}
track() { echo "$1" >>"$work/pids"; }
cleanup() {
	local p
	if [[ -f $work/pids ]]; then
		while read -r p; do
			kill -TERM "$p" 2>/dev/null
		done <"$work/pids"
	fi
	if [[ -f $work/files ]]; then
		while read -r p; do
			rm -f "$p"
		done <"$work/files"
	fi
	rm -rf "$work"
}

# dn_bench_stop PID: ends a child and reaps it.
dn_bench_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# dn_bench_port PROG SSOPTS TOOL PID ERRF: prints the port PID listens on:
# for TOOL dualnet from PROG's "listening on" line in ERRF, else from
# ss SSOPTS (-ltnpH, -lunpH) filtered by the PID. Waits at most 5 s.
dn_bench_port() {
	local prog=$1 ssopts=$2 tool=$3 pid=$4 errf=$5 i port
	for ((i = 0; i < 500; i++)); do
		if [[ $tool == dualnet ]]; then
			port=$(sed -n "s/^$prog: listening on .*:\([0-9][0-9]*\).*\$/\1/p" \
			    "$errf" | head -n 1)
		else
			port=$(ss "$ssopts" 2>/dev/null | awk -v p="pid=$pid," \
			    'index($0, p) { n = split($4, f, ":"); print f[n]; exit }')
		fi
		if [[ -n $port ]]; then
			echo "$port"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# dn_bench_nolisten TOOL ADDR PID ERRF: after dn_bench_port failed: says
# so with the start of ERRF, stops PID and prints the sample "fail".
dn_bench_nolisten() {
	echo "${0##*/}: $1 did not listen on $2: $(head -c 300 "$4")" >&2
	dn_bench_stop "$3"
	echo fail
}

# dn_bench_median DIGITS: median of the numbers on stdin, with DIGITS
# decimals when it is the mean of two ("fail" lines make it "fail").
dn_bench_median() {
	sort -g | awk -v f="%.${1}f\n" '
	    /fail/ { bad = 1 }
	    { v[NR] = $1 }
	    END {
		if (bad || NR == 0) { print "fail"; exit }
		if (NR % 2) print v[(NR + 1) / 2]
		else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2
	    }'
}

# dn_bench_verdict R OP X: sets VERDICT to "met" or "NOT met" for R OP X
# (OP: ge, gt or le), and miss=1 when not met; to n/a for an n/a ratio (a
# failed measurement), which is a miss too: no run showed the target met.
# Not for $(...): miss would be set in the subshell only.
dn_bench_verdict() {
	local r=$1 op=$2 x=$3
	if [[ $r == n/a ]]; then
		VERDICT=n/a
	elif awk -v r="$r" -v x="$x" -v op="$op" 'BEGIN {
	    exit !(op == "ge" ? r >= x : op == "gt" ? r > x : r <= x) }'; then
		VERDICT=met
		return 0
	else
		VERDICT="NOT met"
	fi
	miss=1
}
