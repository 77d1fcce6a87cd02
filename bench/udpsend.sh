#!/usr/bin/env bash
# udpsend.sh - the UDP send path: datagrams per second that dnudp sends
# from its standard input, one line a datagram and --raw (one read(2) a
# datagram), beside a plain C read/sendto loop (baseline udpsend), socat,
# and for --raw nc.openbsd -u and ncat --udp, in the same run over
# 127.0.0.1 and ::1 for small and large payloads; prints medians and
# dualnet/tool ratios.
#
# Usage: bench/udpsend.sh         (loopback only; needs bash 5 and ss)
# Environment:
#   DN_BIN             directory with dnudp ($(dirname $0)/../cmd)
#   DN_BENCH_BASELINE  the C baseline (DN_BIN/../bench/baseline, built by
#                      make; else compiled from bench/baseline.c with
#                      ${CC:-cc} -O2 into the scratch directory)
#   DN_BENCH_COUNT     records (datagrams) per run (50000)
#   DN_BENCH_SIZES     record sizes in bytes ("64 1400"; 1..4096)
#   DN_BENCH_RUNS      samples per measurement, median reported (5; >= 5)
#   DN_BENCH_TIMEOUT   seconds a sender may take before it is killed (60)
#   DN_BENCH_TOOLS     tools to compare ("socat nc.openbsd ncat")
#   DN_BENCH_ADDRS     loopback addresses ("127.0.0.1 ::1")
#   DN_BENCH_PIN       "SCPU RCPU [FCPU]": the sender on CPU SCPU, the
#                      receiver on RCPU and the feeder of --raw runs on
#                      FCPU (RCPU unless given); none: the scheduler's
#                      choice (default "0 1", or "0 1 2" with three CPUs
#                      or more, with taskset)
#   DN_BENCH_STRICT    1: exit 1 when a target is not met
#
# Targets (issue 8): dnudp >= 0.95x the C loop, lines and --raw, 64 B and
# 1400 B, over 127.0.0.1 and over ::1.
#
# Lines: each sender reads a file of COUNT lines of SIZE bytes. dnudp and
# the C loop send each line without its newline; socat -b SIZE+1 reads
# exactly one line a time and sends it with its newline. nc.openbsd and
# ncat send what they have read when the socket is writable, lines merged,
# so they have no line mode to compare: n/a.
# Raw: each sender reads a packet-mode pipe (baseline feed: pipe2 O_DIRECT)
# into which COUNT records of SIZE bytes are written, so that every
# read(2) returns one record however far the writer is ahead, and a
# sender that sends one datagram a read sends records. nc.openbsd (-q 0
# to end at end of input) reads on while the socket is busy and sends
# what gathered as one datagram; the receiver sees those as datagrams of
# another size, and the table marks them ("merged").
#
# The receiver is baseline udprecv (recvmmsg, an 8 MiB buffer), the same
# for every sender. A cell is COUNT over the sender's wall time (start to
# exit, start-up included) and the bytes lost on the way; a ratio compares
# those rates, and is n/a against a sender that merged records.
#
# Ports: the receiver binds port 0 and prints its port.

set -u

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
COUNT=${DN_BENCH_COUNT:-50000}
SIZES=${DN_BENCH_SIZES:-64 1400}
RUNS=${DN_BENCH_RUNS:-5}
TMO=${DN_BENCH_TIMEOUT:-60}
TOOLS=${DN_BENCH_TOOLS:-socat nc.openbsd ncat}
ADDRS=${DN_BENCH_ADDRS:-127.0.0.1 ::1}
# shellcheck source=bench/baseline.sh
. "$here/baseline.sh"
dn_bench_programs "$DN_BIN" dnudp
DNUDP=$DN_BENCH_dnudp

dn_bench_counts COUNT RUNS TMO
(( COUNT > 0 && COUNT <= 100000000 && TMO > 0 )) || die "counts and times must be over 0"
for s in $SIZES; do
	[[ $s =~ ^[0-9]+$ ]] && (( s >= 1 && s <= 4096 )) ||
	    die "DN_BENCH_SIZES: '$s' is not a size from 1 to 4096 (a pipe packet)"
done
dn_bench_loopback
[[ -x $DNUDP ]] || die "no dnudp in $DN_BIN: build first"
dn_bench_pin
dn_bench_tools "socat nc.openbsd ncat" "its column stays n/a" "$TOOLS"
senders=(dualnet C "${DN_BENCH_HAVE[@]}")

dn_bench_workdir dn-bench-udpsend
dn_bench_baseline

for s in $SIZES; do
	echo "udpsend.sh: writing $COUNT lines of $s bytes to $work/lines.$s" >&2
	line=$(printf '%*s' "$s" "" | tr ' ' u)
	yes "$line" | head -n "$COUNT" >"$work/lines.$s" || die "cannot write $work/lines.$s"
done

# --- commands per sender ---------------------------------------------------

# SEND=(argv) sending stdin to $3 port $4 in mode $2 (line, raw), empty
# when the tool has no such mode; EXP: the datagram size a record of $5
# bytes becomes.
send_cmd() {
	local tool=$1 mode=$2 addr=$3 port=$4 size=$5 dst
	SEND=() EXP=$size
	dn_bench_socat "$addr"
	dst=UDP$SV-SENDTO:$SH:$port
	case $tool/$mode in
	dualnet/line)    SEND=("$DNUDP" "$addr" "$port") ;;
	dualnet/raw)     SEND=("$DNUDP" --raw "$addr" "$port") ;;
	C/line)          SEND=("$BASELINE" udpsend -l "$addr" "$port") ;;
	C/raw)           SEND=("$BASELINE" udpsend "$addr" "$port") ;;
	socat/line)      SEND=(socat -u -b $((size + 1)) STDIN "$dst") EXP=$((size + 1)) ;;
	socat/raw)       SEND=(socat -u STDIN "$dst") ;;
	nc.openbsd/raw)  SEND=(nc.openbsd -u -q 0 "$addr" "$port") ;;
	ncat/raw)        SEND=(ncat --udp --send-only "$addr" "$port") ;;
	esac
}

# One run of sender $1 in mode $2 over $3 with $4-byte records; prints
# "RECORDS/S LOSS% ODD" (ODD: datagrams not of one record's size) or
# "fail".
# shellcheck disable=SC2317	# called through dn_bench_rounds
one_run() {
	local tool=$1 mode=$2 addr=$3 size=$4 out=$work/recv.out errf=$work/recv.err
	local t0 t1 rc got bytes odd
	send_cmd "$tool" "$mode" "$addr" 0 "$size"
	if ! dn_bench_start baseline -lunpH "$out" "$errf" "${RPIN[@]}" "$BASELINE" \
	    udprecv -n "$COUNT" -s "$EXP" -w 1 "$addr"; then
		dn_bench_nolisten "the receiver" "$addr" "$SPID" "$errf"
		return
	fi
	send_cmd "$tool" "$mode" "$addr" "$SPORT" "$size"
	t0=$EPOCHREALTIME
	if [[ $mode == line ]]; then
		timeout -k 2 "$TMO" "${SPIN[@]}" "${SEND[@]}" <"$work/lines.$size" \
		    >/dev/null 2>>"$work/send.err"
	else
		timeout -k 2 "$TMO" "${FPIN[@]}" "$BASELINE" feed "$size" "$COUNT" \
		    "${SPIN[@]}" "${SEND[@]}" >/dev/null 2>>"$work/send.err"
	fi
	rc=$?
	t1=$EPOCHREALTIME
	# it ends at COUNT records' bytes, or 1 s after the last datagram
	if ! dn_bench_reap "$SPID" 5; then
		echo "udpsend.sh: the receiver over $addr did not end" >&2
		echo fail
		return
	fi
	if (( rc != 0 )); then
		echo "udpsend.sh: $tool $mode over $addr exited $rc" >&2
		echo fail
		return
	fi
	read -r _ got _ bytes _ _ _ odd <"$out"
	if [[ ! $got =~ ^[0-9]+$ ]]; then
		echo "udpsend.sh: no count from the receiver over $addr" >&2
		echo fail
		return
	fi
	awk -v c="$COUNT" -v b="$bytes" -v e="$EXP" -v a="$t0" -v z="$t1" -v o="$odd" \
	    'BEGIN { printf "%.0f %.3f %d\n", c / (z - a), 100 * (1 - b / (c * e)), o }'
}

# Median of column $1 of the lines on stdin ("fail" makes it "fail").
column_median() {
	awk -v k="$1" '/fail/ { print "fail"; next } { print $k }' | dn_bench_median "$2"
}

# --- measurements --------------------------------------------------------

declare -A RATE LOSS ODD	# [mode/addr/size/tool]
miss=0

measure() {
	local mode=$1 addr=$2 size=$3 t all who=()
	declare -A samples=()
	for t in "${senders[@]}"; do
		send_cmd "$t" "$mode" "$addr" 0 "$size"
		(( ${#SEND[@]} > 0 )) && who+=("$t")
	done
	dn_bench_rounds samples one_run "$mode" "$addr" "$size" -- "${who[@]}"
	for t in "${who[@]}"; do
		all=${samples[$t]}
		RATE[$mode/$addr/$size/$t]=$(printf '%s' "$all" | column_median 1 0)
		LOSS[$mode/$addr/$size/$t]=$(printf '%s' "$all" | column_median 2 3)
		ODD[$mode/$addr/$size/$t]=$(printf '%s' "$all" | column_median 3 0)
	done
}

# What is measured: MODE/ADDR/SIZE, in the order of the report.
keys=()
for addr in $ADDRS; do
	for size in $SIZES; do
		keys+=("line/$addr/$size" "raw/$addr/$size")
	done
done

echo "udpsend.sh: $COUNT records per run, median of $RUNS runs; senders: ${senders[*]}; dnudp: $DNUDP" >&2
for k in "${keys[@]}"; do
	IFS=/ read -r mode addr size <<<"$k"
	measure "$mode" "$addr" "$size"
done

# --- report --------------------------------------------------------------

short() {
	case $1 in
	nc.openbsd) echo "/nc" ;;
	*)          echo "/$1" ;;
	esac
}

# The ratio dnudp/tool for key $1, n/a against a sender that merged.
ratio_to() {
	local k=$1 t=$2 o=${ODD[$1/$2]:-}
	if [[ -n $o && $o != fail && $o != 0 ]]; then
		echo "merg"
	else
		dn_bench_ratio "${RATE[$k/dualnet]:-}" "${RATE[$k/$t]:-}"
	fi
}

report() {
	local mode=$1 addr=$2 size=$3 k=$1/$2/$3 t v r
	printf '%-5s %-10s %5s B' "$mode" "$addr" "$size"
	for t in "${senders[@]}"; do
		v=${RATE[$k/$t]:-}
		if [[ -z $v || $v == fail ]]; then
			printf ' %16s' "${v:-n/a}"
		else
			printf ' %8s %6.2f%%' "$v" "${LOSS[$k/$t]}"
		fi
	done
	for t in "${senders[@]:1}"; do
		printf ' %6s' "$(ratio_to "$k" "$t")"
	done
	r=$(dn_bench_ratio "${RATE[$k/dualnet]:-}" "${RATE[$k/C]:-}")
	dn_bench_verdict "$r" ge 0.95
	printf '  %s\n' "$VERDICT"
}

printf '\ndualnet UDP send benchmark: %s records per run, median of %s runs, loopback%s\n' \
    "$COUNT" "$RUNS" "${SPIN[*]:+, sender ${SPIN[*]}, receiver ${RPIN[*]}, feeder ${FPIN[*]}}"
printf 'line: a file of lines, one a datagram; raw: a packet pipe, one read(2) a datagram\n'
printf 'cells: records/s sent (start to exit) and bytes lost; ratios: dnudp/sender rates\n'
printf 'target: dnudp >= 0.95x C\n\n'
printf '%-5s %-10s %7s' "mode" "address" "record"
for t in "${senders[@]}"; do
	printf ' %16s' "$t"
done
for t in "${senders[@]:1}"; do
	printf ' %6s' "$(short "$t")"
done
printf '  %s\n' "verdict"
merged=
for k in "${keys[@]}"; do
	IFS=/ read -r mode addr size <<<"$k"
	report "$mode" "$addr" "$size"
	for t in "${senders[@]}"; do
		o=${ODD[$k/$t]:-0}
		[[ $o == 0 || $o == fail ]] ||
		    merged+="  $t, $mode $size B over $addr: $o datagrams of another size (median)"$'\n'
	done
done
if [[ -n $merged ]]; then
	printf '\nsenders that merged or cut records (their ratios say merg):\n%s' "$merged"
fi
dn_bench_end "$work/send.err" "the senders"
