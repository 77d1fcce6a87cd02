#!/usr/bin/env bash
# relay.sh - bulk relay throughput and one-shot connect time of
# dnconnect/dnlisten beside nc.openbsd, ncat and socat, measured in the same
# run over 127.0.0.1 and ::1; prints medians and dualnet/tool ratios.
#
# Usage: bench/relay.sh            (loopback only; needs bash 5, ss, python3)
# Environment:
#   DN_BIN            directory with dnconnect and dnlisten ($(dirname $0)/../cmd)
#   DN_BENCH_BYTES    bytes per transfer (1073741824: 1 GiB)
#   DN_BENCH_FILE     file to send (default: a temporary file of random bytes)
#   DN_BENCH_RUNS     samples per measurement, median reported (5; at least 5)
#   DN_BENCH_ZCOUNT   -z invocations timed per sample (20)
#   DN_BENCH_TIMEOUT  seconds a transfer may take before it is killed (120)
#   DN_BENCH_TOOLS    tools to compare ("nc.openbsd ncat socat")
#   DN_BENCH_ADDRS    loopback addresses ("127.0.0.1 ::1")
#   DN_BENCH_STRICT   1: exit 1 when a target is not met
#
# Targets (issue 2): from a file >= 1.5x nc.openbsd; from a pipe >= 1.05x
# nc.openbsd; dnconnect -z no slower than nc.openbsd -z.
#
# Ports: every listener binds port 0; dnlisten's port comes from its
# "listening on" line, the other tools' from ss(8) filtered by their PID.

set -u

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
BYTES=${DN_BENCH_BYTES:-1073741824}
RUNS=${DN_BENCH_RUNS:-5}
ZCOUNT=${DN_BENCH_ZCOUNT:-20}
TMO=${DN_BENCH_TIMEOUT:-120}
TOOLS=${DN_BENCH_TOOLS:-nc.openbsd ncat socat}
ADDRS=${DN_BENCH_ADDRS:-127.0.0.1 ::1}
STRICT=${DN_BENCH_STRICT:-0}
# shellcheck source=bench/common.sh
. "$here/common.sh"
dn_bench_programs "$DN_BIN" dnconnect dnlisten
DNCONNECT=$DN_BENCH_dnconnect
DNLISTEN=$DN_BENCH_dnlisten

dn_bench_counts BYTES RUNS ZCOUNT TMO
(( BYTES > 0 && ZCOUNT > 0 && TMO > 0 )) || die "sizes and counts must be over 0"
dn_bench_loopback
command -v python3 >/dev/null || die "needs python3 for the -z accept loop"

# Which contenders are here: "dualnet" plus the tools that exist.
have=()
if [[ -x $DNCONNECT && -x $DNLISTEN ]]; then
	have+=(dualnet)
else
	echo "relay.sh: no dnconnect/dnlisten in $DN_BIN: measuring the other tools only" >&2
fi
dn_bench_tools "nc.openbsd ncat socat" "its column stays n/a" "$TOOLS"
have+=("${DN_BENCH_HAVE[@]}")
(( ${#have[@]} > 0 )) || die "nothing to measure"

dn_bench_workdir dn-bench

if [[ -n ${DN_BENCH_FILE:-} ]]; then
	DATA=$DN_BENCH_FILE
	[[ -r $DATA ]] || die "DN_BENCH_FILE $DATA is not readable"
	BYTES=$(stat -c %s "$DATA")
else
	DATA=$work/data
	echo "relay.sh: writing $BYTES random bytes to $DATA" >&2
	head -c "$BYTES" /dev/urandom >"$DATA" || die "cannot write $DATA"
fi

# --- commands per tool ---------------------------------------------------

# LISTEN=(argv) listening once on $2 port 0, writing what it gets to stdout.
listen_cmd() {
	local tool=$1 addr=$2
	case $tool in
	dualnet)    LISTEN=("$DNLISTEN" "$addr" 0) ;;
	nc.openbsd) LISTEN=(nc.openbsd -l "$addr" 0) ;;
	ncat)       LISTEN=(ncat -l --recv-only "$addr" 0) ;;
	socat)
		if [[ $addr == *:* ]]; then
			LISTEN=(socat -u "TCP6-LISTEN:0,bind=[$addr]" STDOUT)
		else
			LISTEN=(socat -u "TCP4-LISTEN:0,bind=$addr" STDOUT)
		fi ;;
	esac
}

# SEND=(argv) sending stdin to $2 port $3 and half-closing at EOF.
send_cmd() {
	local tool=$1 addr=$2 port=$3
	case $tool in
	dualnet)    SEND=("$DNCONNECT" "$addr" "$port") ;;
	nc.openbsd) SEND=(nc.openbsd -N "$addr" "$port") ;;
	ncat)       SEND=(ncat --send-only "$addr" "$port") ;;
	socat)
		if [[ $addr == *:* ]]; then
			SEND=(socat -u STDIN "TCP6:[$addr]:$port")
		else
			SEND=(socat -u STDIN "TCP4:$addr:$port")
		fi ;;
	esac
}

# ZERO=(argv) connecting to $2 port $3 and closing at once.
zero_cmd() {
	local tool=$1 addr=$2 port=$3
	case $tool in
	dualnet)    ZERO=("$DNCONNECT" -z -w 5 "$addr" "$port") ;;
	nc.openbsd) ZERO=(nc.openbsd -z -w 5 "$addr" "$port") ;;
	ncat)       ZERO=(ncat -z -w 5 "$addr" "$port") ;;
	socat)
		if [[ $addr == *:* ]]; then
			ZERO=(socat -u /dev/null "TCP6:[$addr]:$port,connect-timeout=5")
		else
			ZERO=(socat -u /dev/null "TCP4:$addr:$port,connect-timeout=5")
		fi ;;
	esac
}

# --- helpers -------------------------------------------------------------

# Kills pid $1 after $2 seconds unless killed first; sets WD.
watchdog() {
	local target=$1 secs=$2
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$secs" & s=$!
		wait "$s"
		kill -TERM "$target" 2>/dev/null
	) &
	WD=$!
	track "$WD"
}

# Seconds of one transfer of $DATA from tool $1's client to its listener on
# $2, fed from a file or a pipe ($3); prints "fail" when it did not finish.
one_transfer() {
	local tool=$1 addr=$2 src=$3 lpid port t0 t1 crc lrc wd
	local errf=$work/listen.err
	listen_cmd "$tool" "$addr"
	"${LISTEN[@]}" </dev/null >/dev/null 2>"$errf" &
	lpid=$!
	track "$lpid"
	if ! port=$(dn_bench_port dnlisten -ltnpH "$tool" "$lpid" "$errf"); then
		dn_bench_nolisten "$tool" "$addr" "$lpid" "$errf"
		return
	fi
	send_cmd "$tool" "$addr" "$port"
	watchdog "$lpid" "$TMO"
	t0=$EPOCHREALTIME
	if [[ $src == file ]]; then
		timeout -k 2 "$TMO" "${SEND[@]}" <"$DATA" >/dev/null 2>>"$work/send.err"
		crc=$?
	else
		cat "$DATA" | timeout -k 2 "$TMO" "${SEND[@]}" >/dev/null 2>>"$work/send.err"
		crc=${PIPESTATUS[1]}
	fi
	wait "$lpid"
	lrc=$?
	t1=$EPOCHREALTIME
	dn_bench_stop "$WD"
	if (( crc != 0 || lrc != 0 )); then
		echo "relay.sh: $tool $src over $addr: sender exit $crc, listener exit $lrc" >&2
		echo fail
		return
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# An accept-and-close loop for -z, printing its own port; it ends itself
# after $2 idle seconds. Sets ZPID and ZPORT.
start_acceptor() {
	local addr=$1 i
	python3 -c '
import socket, sys
host, idle = sys.argv[1], float(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((host, 0))
s.listen(1024)
print(s.getsockname()[1], flush=True)
s.settimeout(idle)
while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.close()
' "$addr" "$TMO" >"$work/acceptor.out" 2>&1 &
	ZPID=$!
	track "$ZPID"
	for ((i = 0; i < 500; i++)); do
		ZPORT=$(head -n 1 "$work/acceptor.out")
		[[ $ZPORT =~ ^[0-9]+$ ]] && return 0
		kill -0 "$ZPID" 2>/dev/null || break
		sleep 0.01
	done
	die "the -z accept loop did not start on $addr: $(head -c 300 "$work/acceptor.out")"
}

# Seconds per -z invocation over $ZCOUNT in a row, or "fail".
zero_sample() {
	local tool=$1 addr=$2 i t0 t1
	zero_cmd "$tool" "$addr" "$ZPORT"
	t0=$EPOCHREALTIME
	for ((i = 0; i < ZCOUNT; i++)); do
		if ! "${ZERO[@]}" </dev/null >/dev/null 2>>"$work/zero.err"; then
			echo "relay.sh: $tool -z to $addr failed" >&2
			echo fail
			return
		fi
	done
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" -v n="$ZCOUNT" \
	    'BEGIN { printf "%.6f\n", (b - a) / n }'
}

# --- measurements --------------------------------------------------------

declare -A MED	# MED[kind/addr/tool] = median seconds
miss=0

measure_bulk() {
	local src=$1 addr=$2 r t
	declare -A samples=()
	# Round-robin, so drift in the machine hits every tool alike.
	for ((r = 0; r < RUNS; r++)); do
		for t in "${have[@]}"; do
			samples[$t]+="$(one_transfer "$t" "$addr" "$src")"$'\n'
		done
	done
	for t in "${have[@]}"; do
		MED[$src/$addr/$t]=$(printf '%s' "${samples[$t]}" | dn_bench_median 6)
	done
}

measure_zero() {
	local addr=$1 r t
	declare -A samples=()
	start_acceptor "$addr"
	for ((r = 0; r < RUNS; r++)); do
		for t in "${have[@]}"; do
			samples[$t]+="$(zero_sample "$t" "$addr")"$'\n'
		done
	done
	dn_bench_stop "$ZPID"
	for t in "${have[@]}"; do
		MED[zero/$addr/$t]=$(printf '%s' "${samples[$t]}" | dn_bench_median 6)
	done
}

# --- report --------------------------------------------------------------

# Value of a cell: MiB/s for bulk, ms for -z.
cell() {
	local kind=$1 v=$2
	[[ $v == fail || -z $v ]] && { echo "fail"; return; }
	if [[ $kind == zero ]]; then
		awk -v s="$v" 'BEGIN { printf "%.2f", s * 1000 }'
	else
		awk -v s="$v" -v b="$BYTES" 'BEGIN { printf "%.0f", b / s / 1048576 }'
	fi
}

# dualnet/tool: throughput ratio (higher is better) or time ratio (lower).
ratio() {
	local kind=$1 dn=$2 tool=$3
	if [[ -z $dn || -z $tool || $dn == fail || $tool == fail ]]; then
		echo "n/a"
		return
	fi
	if [[ $kind == zero ]]; then
		awk -v d="$dn" -v t="$tool" 'BEGIN { printf "%.2f", d / t }'
	else
		awk -v d="$dn" -v t="$tool" 'BEGIN { printf "%.2f", t / d }'
	fi
}

report() {
	local kind=$1 addr=$2 title unit t v dn r tr op x target
	case $kind in
	file) title="from a file"; unit="MiB/s"; op=ge; x=1.5 ;;
	pipe) title="from a pipe"; unit="MiB/s"; op=ge; x=1.05 ;;
	zero) title="-z connect+close"; unit="ms"; op=le; x=1.0 ;;
	esac
	dn=${MED[$kind/$addr/dualnet]:-}
	printf '%-18s %-10s' "$title" "$addr"
	for t in dualnet $TOOLS; do
		v=${MED[$kind/$addr/$t]:-}
		if [[ -z $v ]]; then
			printf ' %11s' "n/a"
		else
			printf ' %11s' "$(cell "$kind" "$v")"
		fi
	done
	printf '  %-5s' "$unit"
	for t in $TOOLS; do
		printf ' %7s' "$(ratio "$kind" "$dn" "${MED[$kind/$addr/$t]:-}")"
	done
	r=$(ratio "$kind" "$dn" "${MED[$kind/$addr/nc.openbsd]:-}")
	if [[ $op == ge ]]; then target=">= ${x}x nc"; else target="<= ${x}x nc"; fi
	dn_bench_verdict "$r" "$op" "$x"
	printf '  %-12s %s\n' "$target" "$VERDICT"
}

echo "relay.sh: $BYTES bytes per transfer, median of $RUNS runs, -z timed over $ZCOUNT calls; contenders: ${have[*]}" >&2
for addr in $ADDRS; do
	for src in file pipe; do
		measure_bulk "$src" "$addr"
	done
	measure_zero "$addr"
done

printf '\ndualnet relay benchmark: %s bytes per transfer, median of %s runs; -z per call over %s calls\n' \
    "$BYTES" "$RUNS" "$ZCOUNT"
printf 'ratios are dualnet/tool: throughput higher is better, -z time lower is better\n\n'
printf '%-18s %-10s' "measurement" "address"
for t in dualnet $TOOLS; do
	printf ' %11s' "$t"
done
printf '  %-5s' "unit"
for t in $TOOLS; do
	printf ' %7s' "/${t%%.*}"
done
printf '  %-12s %s\n' "target" "verdict"
for addr in $ADDRS; do
	for kind in file pipe zero; do
		report "$kind" "$addr"
	done
done
if [[ -s $work/send.err || -s $work/zero.err ]]; then
	printf '\nstderr of the clients (first lines):\n'
	cat "$work/send.err" "$work/zero.err" 2>/dev/null | head -n 10
fi
if [[ $STRICT == 1 && $miss == 1 ]]; then
	exit 1
fi
exit 0
