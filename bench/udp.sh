#!/usr/bin/env bash
# udp.sh - datagrams per second and loss of dnudp beside nc.openbsd (nc -u),
# ncat (--udp) and socat (UDP-RECV / UDP-SENDTO), measured in the same run
# over loopback for small and large payloads; prints medians and ratios.
#
# Usage: bench/udp.sh            (loopback only; needs bash 5 and ss)
# Environment:
#   DN_BIN            directory with dnudp ($(dirname $0)/../cmd)
#   DN_BENCH_COUNT    datagrams per run (200000)
#   DN_BENCH_SIZES    payload sizes in bytes ("64 1400"; 1..8000)
#   DN_BENCH_RUNS     samples per measurement, median reported (5; at least 5)
#   DN_BENCH_WINDOW   seconds a receiver is given from the first datagram (10)
#   DN_BENCH_TIMEOUT  seconds a sender may take before it is killed (60)
#   DN_BENCH_TOOLS    tools to compare ("nc.openbsd ncat socat")
#   DN_BENCH_ADDRS    loopback addresses ("127.0.0.1 ::1")
#   DN_BENCH_PIN      "SCPU RCPU": run senders on CPU SCPU and receivers on
#                     RCPU (taskset); "none" leaves it to the scheduler
#                     (default "0 1" with taskset and two CPUs or more)
#   DN_BENCH_STRICT   1: exit 1 when a target is not met
#   DN_BENCH_OUTDIR   where receivers write (/dev/shm when writable: on a
#                     disk, writeback throttling of the writer is measured
#                     too, and it comes and goes with the dirty pages)
#
# Receive: one sender for every receiver - dnudp reading a file of COUNT
# lines of SIZE bytes and sending each line as a datagram, as fast as it
# goes - so the offered load is the same for all. Each receiver writes what
# it gets to a file; what arrived is counted from that file once it stops
# growing (bounded by the window). The cells give that count over the time
# from the first send to the last growth, and the loss; the ratios compare
# the counts, the same COUNT having been offered to each. (On loopback the
# sender's own system calls deliver into the receiver's socket, so how
# fast the sender goes depends on the receiver: a receiver that drops
# more lets it finish sooner. Counts of the same offer do not depend on
# that.)
# Send: dnudp and socat (-b SIZE+1 reads exactly one line per datagram) send
# the file to one dnudp -l; the cells give datagrams sent per second and
# the loss, the ratios compare the send rates. nc.openbsd and ncat send
# each read(2) of their standard input as one datagram (up to 16 KiB of
# lines), so they have no per-line sender to compare: their cells say n/a.
#
# Targets: the dnudp receiver takes at least nc.openbsd's rate with under
# 1 % loss, and at least 2x socat's rate, at the same offered load.
#
# CPUs: the sender delivers into the receiver's socket from its own system
# calls and wakes it; the scheduler then sometimes moves the receiver onto
# the sender's CPU (wake-affine), and such a run loses tens of percent more
# for any tool. Pinning the two apart makes runs comparable.
#
# Ports: every receiver binds port 0; dnudp's port comes from its
# "listening on" line, the other tools' from ss(8) filtered by their PID.

set -u

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
COUNT=${DN_BENCH_COUNT:-200000}
SIZES=${DN_BENCH_SIZES:-64 1400}
RUNS=${DN_BENCH_RUNS:-5}
WINDOW=${DN_BENCH_WINDOW:-10}
TMO=${DN_BENCH_TIMEOUT:-60}
TOOLS=${DN_BENCH_TOOLS:-nc.openbsd ncat socat}
ADDRS=${DN_BENCH_ADDRS:-127.0.0.1 ::1}
STRICT=${DN_BENCH_STRICT:-0}
PIN=${DN_BENCH_PIN:-auto}
# shellcheck source=bench/common.sh
. "$here/common.sh"
dn_bench_programs "$DN_BIN" dnudp
DNUDP=$DN_BENCH_dnudp

dn_bench_counts COUNT RUNS WINDOW TMO
(( COUNT > 0 && WINDOW > 0 && TMO > 0 )) || die "counts and times must be over 0"
for s in $SIZES; do
	[[ $s =~ ^[0-9]+$ ]] && (( s >= 1 && s <= 8000 )) ||
	    die "DN_BENCH_SIZES: '$s' is not a size from 1 to 8000"
done
dn_bench_loopback
[[ -x $DNUDP ]] || die "no dnudp in $DN_BIN: it is the sender of every receive run"

SPIN=() RPIN=()
case $PIN in
none) ;;
auto)
	if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
		SPIN=(taskset -c 0) RPIN=(taskset -c 1)
	else
		echo "udp.sh: no taskset or one CPU: sender and receiver share the scheduler's choice" >&2
	fi ;;
*)
	[[ $PIN =~ ^([0-9]+)\ ([0-9]+)$ ]] ||
	    die "DN_BENCH_PIN must be 'SCPU RCPU' or none, not '$PIN'"
	command -v taskset >/dev/null || die "DN_BENCH_PIN needs taskset(1)"
	SPIN=(taskset -c "${BASH_REMATCH[1]}") RPIN=(taskset -c "${BASH_REMATCH[2]}") ;;
esac

dn_bench_tools "nc.openbsd ncat socat" "its column stays n/a" "$TOOLS"
have=(dualnet "${DN_BENCH_HAVE[@]}")

dn_bench_workdir dn-bench-udp

outdir=${DN_BENCH_OUTDIR:-}
if [[ -z $outdir && -d /dev/shm && -w /dev/shm ]]; then
	outdir=/dev/shm
fi
rxout=$(mktemp "${outdir:-$work}/dn-bench-udp-out.XXXXXX") ||
    die "cannot make a file in ${outdir:-$work}"
echo "$rxout" >>"$work/files"

for s in $SIZES; do
	echo "udp.sh: writing $COUNT lines of $s bytes to $work/data.$s" >&2
	# one line: SIZE bytes of payload, then the newline the sender drops
	awk -v n="$COUNT" -v s="$s" 'BEGIN {
		l = sprintf("%*s", s, ""); gsub(/ /, "u", l)
		for (i = 0; i < n; i++) print l
	}' >"$work/data.$s" || die "cannot write $work/data.$s"
done

# --- commands per tool ---------------------------------------------------

# RECV=(argv) receiving on $2 port 0 and writing each payload to stdout.
recv_cmd() {
	local tool=$1 addr=$2
	case $tool in
	dualnet)    RECV=("$DNUDP" -l "$addr" 0) ;;
	nc.openbsd) RECV=(nc.openbsd -u -l "$addr" 0) ;;
	ncat)       RECV=(ncat --udp -l --recv-only "$addr" 0) ;;
	socat)
		if [[ $addr == *:* ]]; then
			RECV=(socat -u "UDP6-RECV:0,bind=[$addr]" STDOUT)
		else
			RECV=(socat -u "UDP4-RECV:0,bind=$addr" STDOUT)
		fi ;;
	esac
}

# SEND=(argv) sending each line of stdin to $2 port $3 ($4: line bytes).
send_cmd() {
	local tool=$1 addr=$2 port=$3 line=$4
	case $tool in
	dualnet) SEND=("$DNUDP" "$addr" "$port") ;;
	socat)
		if [[ $addr == *:* ]]; then
			SEND=(socat -u -b "$line" STDIN "UDP6-SENDTO:[$addr]:$port")
		else
			SEND=(socat -u -b "$line" STDIN "UDP4-SENDTO:$addr:$port")
		fi ;;
	*) SEND=() ;;
	esac
}

# Bytes a receiver writes per datagram of $2 bytes: dnudp -l ends each
# with a newline, the others write the payload alone.
out_per() {
	if [[ $1 == dualnet ]]; then echo $(( $2 + 1 )); else echo "$2"; fi
}

# --- helpers -------------------------------------------------------------

# After the sender is done: waits until $1 stops growing (200 ms the same)
# or the window from $2 closes; prints its size and when it last grew.
settle() {
	local f=$1 t0=$2 size last=-1 tlast=$EPOCHREALTIME same=0 now
	while :; do
		size=$(stat -c %s "$f" 2>/dev/null || echo 0)
		now=$EPOCHREALTIME
		if [[ $size != "$last" ]]; then
			last=$size
			tlast=$now
			same=0
		elif (( ++same >= 10 )); then
			break
		fi
		awk -v a="$t0" -v b="$now" -v w="$WINDOW" \
		    'BEGIN { exit !(b - a >= w) }' && break
		sleep 0.02
	done
	echo "$last $tlast"
}

# One run: sender tool $1 to receiver tool $2 over $3 with $4-byte
# payloads; prints "RECEIVED/S LOSS% RECEIVED SENT/S" or "fail".
one_run() {
	local stool=$1 rtool=$2 addr=$3 size=$4 rpid port t0 t1 src rc got
	local errf=$work/recv.err out=$rxout n
	: >"$out"
	recv_cmd "$rtool" "$addr"
	"${RPIN[@]}" "${RECV[@]}" </dev/null >"$out" 2>"$errf" &
	rpid=$!
	track "$rpid"
	if ! port=$(dn_bench_port dnudp -lunpH "$rtool" "$rpid" "$errf"); then
		dn_bench_nolisten "$rtool" "$addr" "$rpid" "$errf"
		return
	fi
	send_cmd "$stool" "$addr" "$port" $(( size + 1 ))
	t0=$EPOCHREALTIME
	timeout -k 2 "$TMO" "${SPIN[@]}" "${SEND[@]}" <"$work/data.$size" >/dev/null \
	    2>>"$work/send.err"
	rc=$?
	t1=$EPOCHREALTIME
	read -r got src < <(settle "$out" "$t0")
	dn_bench_stop "$rpid"
	if (( rc != 0 )); then
		echo "udp.sh: $stool sender over $addr exited $rc" >&2
		echo fail
		return
	fi
	# socat's -b sends the newline too, and dnudp -l adds none to a
	# datagram that ends in one
	if [[ $stool == socat ]]; then
		n=$(( got / (size + 1) ))
	else
		n=$(( got / $(out_per "$rtool" "$size") ))
	fi
	awk -v n="$n" -v c="$COUNT" -v a="$t0" -v b="$src" -v e="$t1" 'BEGIN {
		if (b < e) b = e
		printf "%.0f %.3f %d %.0f\n", n / (b - a), 100 * (c - n) / c, n,
		    c / (e - a)
	}'
}

# Median of column $1 of the lines on stdin ("fail" makes it "fail").
median() {
	awk -v k="$1" '/fail/ { bad = 1; next } { print $k }
	    END { if (bad) print "fail" }' | dn_bench_median 3
}

# --- measurements --------------------------------------------------------

declare -A RATE LOSS GOT	# [kind/addr/size/tool]
miss=0

measure() {
	local kind=$1 addr=$2 size=$3 r t all
	declare -A samples=()
	# Round-robin, so drift in the machine hits every tool alike.
	for ((r = 0; r < RUNS; r++)); do
		for t in "${have[@]}"; do
			if [[ $kind == recv ]]; then
				samples[$t]+="$(one_run dualnet "$t" "$addr" "$size")"$'\n'
			else
				send_cmd "$t" "$addr" 0 0
				(( ${#SEND[@]} > 0 )) || continue
				samples[$t]+="$(one_run "$t" dualnet "$addr" "$size")"$'\n'
			fi
		done
	done
	for t in "${have[@]}"; do
		[[ -n ${samples[$t]:-} ]] || continue
		all=${samples[$t]}
		if [[ $kind == recv ]]; then
			RATE[$kind/$addr/$size/$t]=$(printf '%s' "$all" | median 1)
		else
			RATE[$kind/$addr/$size/$t]=$(printf '%s' "$all" | median 4)
		fi
		LOSS[$kind/$addr/$size/$t]=$(printf '%s' "$all" | median 2)
		GOT[$kind/$addr/$size/$t]=$(printf '%s' "$all" | median 3)
	done
}

# --- report --------------------------------------------------------------

ratio() {
	local a=$1 b=$2
	if [[ -z $a || -z $b || $a == fail || $b == fail ]] ||
	    awk -v b="$b" 'BEGIN { exit !(b == 0) }'; then
		echo "n/a"
		return
	fi
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'
}

report() {
	local kind=$1 addr=$2 size=$3 t v l dn dl rnc rso target ok
	printf '%-8s %-10s %5s B' "$kind" "$addr" "$size"
	for t in dualnet $TOOLS; do
		v=${RATE[$kind/$addr/$size/$t]:-}
		l=${LOSS[$kind/$addr/$size/$t]:-}
		if [[ -z $v ]]; then
			printf ' %16s' "n/a"
		elif [[ $v == fail ]]; then
			printf ' %16s' "fail"
		else
			printf ' %8.0f %5.2f%%' "$v" "$l"
		fi
	done
	# recv: datagrams delivered of the same offer; send: send rates
	local which=RATE
	[[ $kind == recv ]] && which=GOT
	local -n cmp=$which
	dn=${cmp[$kind/$addr/$size/dualnet]:-}
	dl=${LOSS[$kind/$addr/$size/dualnet]:-}
	for t in $TOOLS; do
		printf ' %6s' "$(ratio "$dn" "${cmp[$kind/$addr/$size/$t]:-}")"
	done
	if [[ $kind == recv ]]; then
		rnc=$(ratio "$dn" "${cmp[$kind/$addr/$size/nc.openbsd]:-}")
		rso=$(ratio "$dn" "${cmp[$kind/$addr/$size/socat]:-}")
		if [[ $rnc == n/a || $rso == n/a || $dl == fail ]]; then
			ok=n/a
		else
			awk -v a="$rnc" -v b="$rso" -v l="$dl" \
			    'BEGIN { exit !(a >= 1 && b >= 2 && l < 1) }'
			ok=$(( $? == 0 ))
		fi
		# here, not in $(...): a miss must reach DN_BENCH_STRICT
		case $ok in
		n/a) VERDICT=n/a ;;
		1) VERDICT=met ;;
		*) VERDICT="NOT met"; miss=1 ;;
		esac
		printf '  %s\n' "$VERDICT"
	else
		printf '\n'
	fi
}

echo "udp.sh: $COUNT datagrams per run, median of $RUNS runs; contenders: ${have[*]}" >&2
for addr in $ADDRS; do
	for size in $SIZES; do
		measure recv "$addr" "$size"
		measure send "$addr" "$size"
	done
done

printf '\ndualnet UDP benchmark: %s datagrams per run, median of %s runs, loopback%s\n' \
    "$COUNT" "$RUNS" "${SPIN[*]:+, sender ${SPIN[*]}, receiver ${RPIN[*]}}"
printf 'recv: dnudp sends the same %s datagrams to each tool'"'"'s receiver;\n' "$COUNT"
printf '      cells: datagrams/s received and loss; ratios: datagrams received,\n'
printf '      dualnet/tool, of the same offer\n'
printf 'send: each tool'"'"'s sender (one line a datagram) to dnudp -l;\n'
printf '      cells: datagrams/s sent and loss; ratios: send rates, dualnet/tool\n'
printf 'target (recv): >= 1x nc.openbsd with < 1%% loss, and >= 2x socat\n\n'
printf '%-8s %-10s %7s' "kind" "address" "payload"
for t in dualnet $TOOLS; do
	printf ' %16s' "$t"
done
for t in $TOOLS; do
	printf ' %6s' "/${t%%.*}"
done
printf '  %s\n' "verdict"
for addr in $ADDRS; do
	for size in $SIZES; do
		report recv "$addr" "$size"
	done
	for size in $SIZES; do
		report send "$addr" "$size"
	done
done
if [[ -s $work/send.err ]]; then
	printf '\nstderr of the senders (first lines):\n'
	head -n 10 "$work/send.err"
fi
if [[ $STRICT == 1 && $miss == 1 ]]; then
	exit 1
fi
exit 0
