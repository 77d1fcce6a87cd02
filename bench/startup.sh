#!/usr/bin/env bash
# startup.sh - one-shot start-up: the wall time of one dnconnect -z ADDR
# PORT, and of one dnconnect ADDR PORT with standard input at /dev/null,
# beside a plain C connect-and-close (baseline zconnect), nc.openbsd -z,
# ncat -z and socat, in the same run over 127.0.0.1 and ::1; then what
# starting a process costs alone, and the dynamic linker's share of it.
#
# Usage: bench/startup.sh         (loopback only; needs bash 5 and ss;
#                                  uses hyperfine when installed)
# Environment:
#   DN_BIN             directory with dnconnect ($(dirname $0)/../cmd)
#   DN_BENCH_BASELINE  the C baseline (DN_BIN/../bench/baseline, built by
#                      make; else compiled from bench/baseline.c with
#                      ${CC:-cc} -O2 into the scratch directory)
#   DN_BENCH_RUNS      samples per command, median reported (5; >= 5)
#   DN_BENCH_ZCOUNT    invocations timed per sample, its median taken (40)
#   DN_BENCH_WARMUP    invocations before each sample, not timed (20)
#   DN_BENCH_HYPERFINE 1: time with hyperfine -N, 0: with a bash loop on
#                      EPOCHREALTIME (default: 1 when hyperfine is here)
#   DN_BENCH_TIMEOUT   seconds one sample may take before it is killed (120)
#   DN_BENCH_TOOLS     tools to compare ("nc.openbsd ncat socat")
#   DN_BENCH_ADDRS     loopback addresses ("127.0.0.1 ::1")
#   DN_BENCH_STRICT    1: exit 1 when a target is not met
#
# Targets (issue 8): dnconnect -z, and dnconnect with standard input at
# /dev/null, <= 1.15x the C connect-and-close, over 127.0.0.1 and ::1.
#
# The listener is the C accept loop (baseline serve) with standard input
# and output at /dev/null: it half-closes each connection at once and
# closes it at the client's end, so dnconnect without -z (half-close at
# its end of input, exit at the peer's end) ends as soon as it may.
# hyperfine -N runs each command without a shell, standard input and
# output at /dev/null, and gives the median of a sample; the bash loop does
# the same, but every call also pays bash's fork (2 to 3 ms on a small VM),
# which pulls the ratios towards 1: prefer hyperfine. Samples go
# round-robin over the commands, so drift in the machine hits all alike.
#
# Process start alone: baseline zconnect -n (parses its arguments and
# exits) dynamic and, when the C compiler links static programs, static,
# beside dnconnect --version; and LD_DEBUG=statistics of the two dynamic
# ones: objects mapped, relocations, and the loader's own cycles.
#
# Ports: the listener binds port 0 and prints its port.

set -u

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
RUNS=${DN_BENCH_RUNS:-5}
ZCOUNT=${DN_BENCH_ZCOUNT:-40}
WARMUP=${DN_BENCH_WARMUP:-20}
TMO=${DN_BENCH_TIMEOUT:-120}
TOOLS=${DN_BENCH_TOOLS:-nc.openbsd ncat socat}
ADDRS=${DN_BENCH_ADDRS:-127.0.0.1 ::1}
HYPERFINE=${DN_BENCH_HYPERFINE:-auto}
# shellcheck source=bench/baseline.sh
. "$here/baseline.sh"
dn_bench_programs "$DN_BIN" dnconnect
DNCONNECT=$DN_BENCH_dnconnect

dn_bench_counts RUNS ZCOUNT WARMUP TMO
(( ZCOUNT > 0 && TMO > 0 )) || die "counts and times must be over 0"
dn_bench_loopback
[[ -x $DNCONNECT ]] || die "no dnconnect in $DN_BIN: build first"
case $HYPERFINE in
auto) if command -v hyperfine >/dev/null; then HYPERFINE=1; else HYPERFINE=0; fi ;;
1) command -v hyperfine >/dev/null || die "DN_BENCH_HYPERFINE=1: no hyperfine" ;;
0) ;;
*) die "DN_BENCH_HYPERFINE must be 0 or 1" ;;
esac
dn_bench_tools "nc.openbsd ncat socat" "its row stays n/a" "$TOOLS"
clients=(dualnet-z dualnet C "${DN_BENCH_HAVE[@]}")

dn_bench_workdir dn-bench-startup
dn_bench_baseline

# The same program linked static, to show what the dynamic linker costs
# for libc alone; glibc warns that getaddrinfo needs its shared objects at
# run time, which -n never reaches.
STATIC=$work/baseline-static
# shellcheck disable=SC2086	# CC may carry flags, as make's does
if ! ${CC:-cc} -O2 -static -o "$STATIC" "$here/baseline.c" 2>"$work/static.err"; then
	echo "startup.sh: ${CC:-cc} -static failed: the static row stays n/a" >&2
	STATIC=
fi

# --- commands ------------------------------------------------------------

# CMD=(argv) of client $1 connecting to $2 port $3 and ending.
client_cmd() {
	local c=$1 addr=$2 port=$3
	case $c in
	dualnet-z)  CMD=("$DNCONNECT" -z "$addr" "$port") ;;
	dualnet)    CMD=("$DNCONNECT" "$addr" "$port") ;;
	C)          CMD=("$BASELINE" zconnect "$addr" "$port") ;;
	nc.openbsd) CMD=(nc.openbsd -z "$addr" "$port") ;;
	ncat)       CMD=(ncat -z "$addr" "$port") ;;
	socat)
		dn_bench_socat "$addr"
		CMD=(socat -u /dev/null "TCP$SV:$SH:$port") ;;
	start-static)  CMD=("$STATIC" zconnect -n "$addr" "$port") ;;
	start-dynamic) CMD=("$BASELINE" zconnect -n "$addr" "$port") ;;
	start-dnconnect) CMD=("$DNCONNECT" --version) ;;
	esac
}

# Median seconds of one invocation of client $1 to $2 port $3 over
# ZCOUNT, or "fail". The bash loop runs in a shell of its own under one
# timeout: a timeout(1) per call would be timed too.
# shellcheck disable=SC2317	# called through dn_bench_rounds
time_sample() {
	local cmd
	client_cmd "$@"
	if (( HYPERFINE )); then
		printf -v cmd '%q ' "${CMD[@]}"
		if ! timeout -k 2 "$TMO" hyperfine -N --style none --warmup "$WARMUP" \
		    --runs "$ZCOUNT" --export-json "$work/hf.json" "$cmd" \
		    >/dev/null 2>"$work/hf.err"; then
			# its stderr warns of outliers too: kept only on failure
			cat "$work/hf.err" >>"$work/client.err"
			echo "startup.sh: failed: ${CMD[*]}" >&2
			echo fail
			return
		fi
		sed -n 's/^ *"median": *\([0-9.e+-]*\),*$/\1/p' "$work/hf.json"
		return
	fi
	# shellcheck disable=SC2016	# the inner shell expands them
	if ! timeout -k 2 "$TMO" bash -c '
	    w=$1 n=$2
	    shift 2
	    for ((i = 0; i < w + n; i++)); do
		t0=$EPOCHREALTIME
		"$@" </dev/null >/dev/null || exit 1
		t1=$EPOCHREALTIME
		(( i >= w )) && echo "$t0 $t1"
	    done' startup "$WARMUP" "$ZCOUNT" "${CMD[@]}" \
	    >"$work/loop.out" 2>>"$work/client.err"; then
		echo "startup.sh: failed: ${CMD[*]}" >&2
		echo fail
		return
	fi
	awk '{ printf "%.6f\n", $2 - $1 }' "$work/loop.out" | dn_bench_median 6
}

# --- measurements --------------------------------------------------------

declare -A MED	# MED[addr/client] = median seconds
miss=0

# measure ADDR PORT CLIENT...: medians of RUNS samples of each client.
measure() {
	local addr=$1 port=$2 c
	shift 2
	declare -A samples=()
	dn_bench_rounds samples time_sample "$addr" "$port" -- "$@"
	for c in "$@"; do
		MED[$addr/$c]=$(printf '%s' "${samples[$c]}" | dn_bench_median 6)
	done
}

echo "startup.sh: $ZCOUNT calls a sample after $WARMUP, median of $RUNS; $( ((HYPERFINE)) && echo hyperfine -N || echo a bash loop); clients: ${clients[*]}; dnconnect: $DNCONNECT" >&2
for addr in $ADDRS; do
	dn_bench_start baseline -ltnpH /dev/null "$work/serve.err" "$BASELINE" serve "$addr" ||
	    die "the C accept loop did not start on $addr: $(head -c 300 "$work/serve.err")"
	measure "$addr" "$SPORT" "${clients[@]}"
	dn_bench_stop "$SPID"
done
starts=(start-dynamic start-dnconnect)
[[ -n $STATIC ]] && starts=(start-static "${starts[@]}")
measure start 0 "${starts[@]}"

# linker STAT PROG ARG...: median of RUNS of the number after STAT in the
# first LD_DEBUG=statistics report of PROG.
linker() {
	local stat=$1 r
	shift
	for ((r = 0; r < RUNS; r++)); do
		LD_DEBUG=statistics "$@" 2>&1 >/dev/null </dev/null |
		    sed -n "s/.*$stat: *\([0-9][0-9]*\).*/\1/p" | head -n 1
	done | dn_bench_median 0
}
# Objects the dynamic linker maps for PROG (the vDSO is not one).
objects() {
	LD_TRACE_LOADED_OBJECTS=1 "$@" </dev/null 2>/dev/null | grep -vc 'linux-vdso'
}

# --- report --------------------------------------------------------------

ms() {
	[[ -z $1 || $1 == fail ]] && { echo "${1:-n/a}"; return; }
	awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'
}

name() {
	case $1 in
	dualnet-z)  echo "dnconnect -z" ;;
	dualnet)    echo "dnconnect </dev/null" ;;
	C)          echo "C zconnect" ;;
	nc.openbsd) echo "nc.openbsd -z" ;;
	ncat)       echo "ncat -z" ;;
	socat)      echo "socat /dev/null" ;;
	start-static)  echo "C -n, static" ;;
	start-dynamic) echo "C -n, dynamic (libc)" ;;
	start-dnconnect) echo "dnconnect --version" ;;
	esac
}

printf '\ndualnet start-up benchmark: wall time of one call, median of %s samples of %s calls (%s)\n' \
    "$RUNS" "$ZCOUNT" "$( ((HYPERFINE)) && echo "hyperfine -N" || echo "bash loop")"
printf 'listener: the C accept loop (baseline serve); ratios: client/C, lower is better\n\n'
printf '%-22s' "client"
for addr in $ADDRS; do
	printf ' %10s %6s' "$addr ms" "/C"
done
printf '\n'
for c in "${clients[@]}"; do
	printf '%-22s' "$(name "$c")"
	for addr in $ADDRS; do
		printf ' %10s %6s' "$(ms "${MED[$addr/$c]}")" \
		    "$(dn_bench_ratio "${MED[$addr/$c]}" "${MED[$addr/C]}")"
	done
	printf '\n'
done
printf '\n'
for addr in $ADDRS; do
	for c in dualnet-z dualnet; do
		r=$(dn_bench_ratio "${MED[$addr/$c]}" "${MED[$addr/C]}")
		dn_bench_verdict "$r" le 1.15
		printf '%-10s %-22s %5s  target <= 1.15x C  %s\n' "$addr" "$(name "$c")/C" "$r" "$VERDICT"
	done
done

printf '\nprocess start alone (no connect), median ms:\n'
for c in "${starts[@]}"; do
	printf '  %-22s %8s\n' "$(name "$c")" "$(ms "${MED[start/$c]}")"
done
printf '  dnconnect --version over C -n, dynamic: %s ms' \
    "$(awk -v a="${MED[start/start-dnconnect]}" -v b="${MED[start/start-dynamic]}" \
    'BEGIN { printf "%+.2f", (a - b) * 1000 }')"
if [[ -n $STATIC ]]; then
	printf '; C -n dynamic over static: %s ms' \
	    "$(awk -v a="${MED[start/start-dynamic]}" -v b="${MED[start/start-static]}" \
	    'BEGIN { printf "%+.2f", (a - b) * 1000 }')"
fi
printf '\n\ndynamic linker (LD_DEBUG=statistics, medians of %s):\n' "$RUNS"
printf '  %-22s %8s %12s %14s\n' "program" "objects" "relocations" "loader cycles"
for c in start-dynamic start-dnconnect; do
	client_cmd "$c" 127.0.0.1 0
	printf '  %-22s %8s %12s %14s\n' "$(name "$c")" "$(objects "${CMD[@]}")" \
	    "$(linker "number of relocations" "${CMD[@]}")" \
	    "$(linker "total startup time in dynamic loader" "${CMD[@]}")"
done
dn_bench_end "$work/client.err" "the clients"
