#!/usr/bin/env bash
# accept.sh - connections per second through a keep-open TCP listener:
# dnlisten -k beside the C accept loop (baseline serve; and serve -e, the
# same loop waiting in epoll_wait before each accept, to show what an
# event loop's wait costs by itself), nc.openbsd -k -l,
# ncat -k -l and socat (fork), each driven by the same in-process C client
# (baseline connrate), in the same run over 127.0.0.1 and ::1; with
# DN_BENCH_EXEC, dnlisten -k -e true beside the same C loop forking
# sh -c true per connection (baseline serve -x); prints
# medians and dualnet/tool ratios.
#
# Usage: bench/accept.sh          (loopback only; needs bash 5 and ss)
# Environment:
#   DN_BIN             directory with dnlisten ($(dirname $0)/../cmd)
#   DN_BENCH_BASELINE  the C baseline (DN_BIN/../bench/baseline, built by
#                      make; else compiled from bench/baseline.c with
#                      ${CC:-cc} -O2 into the scratch directory)
#   DN_BENCH_SECONDS   seconds the client runs per sample (2)
#   DN_BENCH_RUNS      samples per server, median reported (5; at least 5)
#   DN_BENCH_EXEC      1: also dnlisten -k -e true, a process per
#                      connection, shown beside socat's fork (1); 0: not
#   DN_BENCH_TOOLS     tools to compare ("nc.openbsd ncat socat")
#   DN_BENCH_ADDRS     loopback addresses ("127.0.0.1 ::1")
#   DN_BENCH_PIN       "CCPU SCPU": the client on CPU CCPU, the server on
#                      SCPU (taskset); none: the scheduler's choice
#                      (default "0 1" with taskset and two CPUs or more)
#   DN_BENCH_STRICT    1: exit 1 when a target is not met
#
# Targets (issue 8): dnlisten -k >= 0.95x the C accept loop, and faster
# than nc.openbsd -k -l, over 127.0.0.1 and over ::1; dnlisten -k -e
# >= 0.95x the C loop that forks the same command.
#
# A connection, as the client makes it: connect, write "hello\n",
# half-close, read until end of file (a reset is an end too), close. Every
# server has standard input and output at /dev/null, and every one
# completes each connection that way: dnlisten -k and the C loop half-close
# a connection as soon as they accept it (their standard input is at its
# end) and close it at the client's end of file; nc.openbsd (without -N)
# and ncat never half-close and close at the client's end of file; socat
# -u forks a child per connection, which copies to stdout and exits at the
# client's end of file; dnlisten -e true forks a shell per connection,
# which exits at once. A server that half-closes at once lets the client
# start its next connection while the server finishes the previous one, at
# most one ahead: the listener serves one connection at a time, so the
# rate is still its accept-to-accept cycle.
#
# Ports: every server binds port 0; dnlisten's and the C loop's come from
# their "listening on" line, the other tools' from ss(8) by their PID. A
# fresh server runs for each sample.

set -u

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
DURATION=${DN_BENCH_SECONDS:-2}
RUNS=${DN_BENCH_RUNS:-5}
EXEC=${DN_BENCH_EXEC:-1}
TOOLS=${DN_BENCH_TOOLS:-nc.openbsd ncat socat}
ADDRS=${DN_BENCH_ADDRS:-127.0.0.1 ::1}
# shellcheck source=bench/baseline.sh
. "$here/baseline.sh"
dn_bench_programs "$DN_BIN" dnlisten
DNLISTEN=$DN_BENCH_dnlisten

dn_bench_counts DURATION RUNS
(( DURATION > 0 && DURATION <= 60 )) || die "DN_BENCH_SECONDS must be 1 to 60"
[[ $EXEC == [01] ]] || die "DN_BENCH_EXEC must be 0 or 1"
dn_bench_loopback
[[ -x $DNLISTEN ]] || die "no dnlisten in $DN_BIN: build first"
dn_bench_pin
dn_bench_tools "nc.openbsd ncat socat" "its column stays n/a" "$TOOLS"
servers=(dualnet C C-epoll)
(( EXEC )) && servers+=(dualnet-e C-x)
servers+=("${DN_BENCH_HAVE[@]}")

dn_bench_workdir dn-bench-accept
dn_bench_baseline

# --- commands per server ---------------------------------------------------

# SERVER=(argv) keep-open on $2 port 0, relaying to stdout; NAME for
# dn_bench_start.
server_cmd() {
	local srv=$1 addr=$2
	case $srv in
	dualnet)    NAME=dnlisten SERVER=("$DNLISTEN" -k "$addr" 0) ;;
	dualnet-e)  NAME=dnlisten SERVER=("$DNLISTEN" -k -e true "$addr" 0) ;;
	C)          NAME=baseline SERVER=("$BASELINE" serve "$addr") ;;
	C-epoll)    NAME=baseline SERVER=("$BASELINE" serve -e "$addr") ;;
	C-x)        NAME=baseline SERVER=("$BASELINE" serve -x true "$addr") ;;
	nc.openbsd) NAME=$srv SERVER=(nc.openbsd -k -l "$addr" 0) ;;
	ncat)       NAME=$srv SERVER=(ncat -k -l "$addr" 0) ;;
	socat)
		dn_bench_socat "$addr"
		NAME=$srv SERVER=(socat -u "TCP$SV-LISTEN:0,bind=$SH,reuseaddr,fork" STDOUT) ;;
	esac
}

# Connections per second to server $1 on $2 over DURATION seconds, or
# "fail".
# shellcheck disable=SC2317	# called through dn_bench_rounds
one_sample() {
	local srv=$1 addr=$2 out errf=$work/server.err
	server_cmd "$srv" "$addr"
	if ! dn_bench_start "$NAME" -ltnpH /dev/null "$errf" "${RPIN[@]}" "${SERVER[@]}"; then
		dn_bench_nolisten "$srv" "$addr" "$SPID" "$errf"
		return
	fi
	if ! out=$(timeout -k 2 $((DURATION + 15)) "${SPIN[@]}" "$BASELINE" connrate \
	    "$addr" "$SPORT" "${DURATION}s" 2>>"$work/client.err"); then
		echo "accept.sh: $srv over $addr: the client failed" >&2
		out=fail
	fi
	dn_bench_stop "$SPID"
	echo "$out"
}

# --- measurements --------------------------------------------------------

declare -A MED	# MED[addr/server] = median conn/s
miss=0

measure() {
	local addr=$1 s
	declare -A samples=()
	dn_bench_rounds samples one_sample "$addr" -- "${servers[@]}"
	for s in "${servers[@]}"; do
		MED[$addr/$s]=$(printf '%s' "${samples[$s]}" | dn_bench_median 0)
	done
}

echo "accept.sh: ${DURATION} s per sample, median of $RUNS; servers: ${servers[*]}; dnlisten: $DNLISTEN" >&2
for addr in $ADDRS; do
	measure "$addr"
done

# --- report --------------------------------------------------------------

# Column heads: the server, and its ratio column.
label() {
	case $1 in
	dualnet)   echo "dnlisten" ;;
	dualnet-e) echo "dnlisten-e" ;;
	*)         echo "$1" ;;
	esac
}
short() {
	case $1 in
	dualnet-e)  echo "/-e" ;;
	C-epoll)    echo "/Cep" ;;
	C-x)        echo "/Cx" ;;
	nc.openbsd) echo "/nc" ;;
	*)          echo "/$1" ;;
	esac
}

printf '\ndualnet accept benchmark: connections per second, %s s per sample, median of %s, loopback%s\n' \
    "$DURATION" "$RUNS" "${SPIN[*]:+, client ${SPIN[*]}, server ${RPIN[*]}}"
printf 'client: baseline connrate (connect, write, half-close, read to EOF, close), one at a time\n'
printf 'ratios are dnlisten -k / server: higher is better\n\n'
printf '%-10s' "address"
for s in "${servers[@]}"; do
	printf ' %11s' "$(label "$s")"
done
for s in "${servers[@]:1}"; do
	printf ' %7s' "$(short "$s")"
done
printf '\n'
for addr in $ADDRS; do
	printf '%-10s' "$addr"
	for s in "${servers[@]}"; do
		printf ' %11s' "${MED[$addr/$s]:-n/a}"
	done
	for s in "${servers[@]:1}"; do
		printf ' %7s' "$(dn_bench_ratio "${MED[$addr/dualnet]}" "${MED[$addr/$s]}")"
	done
	printf '\n'
done
printf '\n'
for addr in $ADDRS; do
	r=$(dn_bench_ratio "${MED[$addr/dualnet]}" "${MED[$addr/C]}")
	dn_bench_verdict "$r" ge 0.95
	printf '%-10s dnlisten/C          %5s  target >= 0.95  %s\n' "$addr" "$r" "$VERDICT"
	if [[ -n ${MED[$addr/C-x]:-} ]]; then
		r=$(dn_bench_ratio "${MED[$addr/dualnet-e]}" "${MED[$addr/C-x]}")
		dn_bench_verdict "$r" ge 0.95
		printf '%-10s dnlisten-e/C-x      %5s  target >= 0.95  %s\n' "$addr" "$r" "$VERDICT"
	fi
	if [[ -n ${MED[$addr/nc.openbsd]:-} ]]; then
		r=$(dn_bench_ratio "${MED[$addr/dualnet]}" "${MED[$addr/nc.openbsd]}")
		dn_bench_verdict "$r" gt 1
		printf '%-10s dnlisten/nc.openbsd %5s  target >  1     %s\n' "$addr" "$r" "$VERDICT"
	fi
done
dn_bench_end "$work/client.err" "the client"
