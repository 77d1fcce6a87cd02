#!/usr/bin/env bash
# nat64.sh - what NAT64 costs dnconnect (issue 11): the time to connect to
# an IPv4 literal through NAT64 with the prefix discovered (RFC 7050),
# beside the same connect to a name that resolves to the same IPv6 address
# (one DNS round trip and the connect: the target is within 2 ms of it) and
# to the IPv6 address itself; and, on a host with an IPv4 route, the cost
# of --nat64 auto against --nat64 off (the target: none that shows; auto
# adds one look at the routing table, a connect()ed UDP socket: four
# system calls).
#
# Usage: bench/nat64.sh         (root: it makes a network namespace)
# Environment:
#   DN_BIN            directory with dnconnect ($(dirname $0)/../cmd)
#   DN_BENCH_RUNS     samples per command, median reported (5; >= 5)
#   DN_BENCH_COUNT    invocations timed per sample, their median taken (30)
#   DN_BENCH_STRICT   1: exit 1 when a target is not met
#
# The IPv6-only host is a namespace with loopback only: no IPv4 route
# leaves it. The translator's side is not needed to time the client: the
# synthesised address 2001:db8:64::c633:6402 (198.51.100.2 behind
# 2001:db8:64::/96) is on lo, with the C accept loop (baseline serve)
# listening there, and tests/dnsd.py on ::1 answers ipv4only.arpa and
# syn.test. Every command is timed from fork to exit by the same bash loop,
# so process start counts alike in all of them. Outside the namespace the
# same loop times dnconnect -z 127.0.0.1 with auto and with off.

set -u

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
RUNS=${DN_BENCH_RUNS:-5}
COUNT=${DN_BENCH_COUNT:-30}
STRICT=${DN_BENCH_STRICT:-0}
# shellcheck source=bench/baseline.sh
. "$here/baseline.sh"
dn_bench_programs "$DN_BIN" dnconnect
DNCONNECT=$DN_BENCH_dnconnect
dn_bench_counts RUNS COUNT
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"
[[ $(id -u) == 0 ]] || die "needs root for a network namespace (unshare -n)"
command -v python3 >/dev/null || die "needs python3 for tests/dnsd.py"
SYN=2001:db8:64::c633:6402

# --- inside the namespace ----------------------------------------------------

# median_ms CMD...: the median wall time of COUNT runs of CMD, in ms.
median_ms() {
	local i t0 t1
	for ((i = 0; i < COUNT; i++)); do
		t0=$EPOCHREALTIME
		"$@" </dev/null >/dev/null 2>&1 || { echo fail; return; }
		t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{ printf "%.3f\n", ($2 - $1) * 1000 }'
	done | dn_bench_median 3
}

inside() {
	local dport lport pid dpid s
	ip link set lo up || die "no lo in the namespace"
	ip -6 addr add "$SYN/128" dev lo nodad || die "cannot put $SYN on lo"
	dn_bench_workdir dn-bench-nat64
	cat >"$work/zone" <<-EOF
	ipv4only.arpa AAAA 2001:db8:64::c000:aa 2001:db8:64::c000:ab
	syn.test AAAA $SYN
	EOF
	python3 "$here/../tests/dnsd.py" --listen ::1 --port 0 \
	    --port-file "$work/dport" --zone "$work/zone" 2>"$work/dnsd.err" &
	dpid=$!
	track "$dpid"
	dn_bench_start baseline "" /dev/null "$work/serve.err" \
	    "$BASELINE" serve "$SYN" || die "the C listener did not start: $(cat "$work/serve.err")"
	pid=$SPID lport=$SPORT
	for ((s = 0; s < 500; s++)); do
		[[ -s $work/dport ]] && break
		sleep 0.01
	done
	dport=$(cat "$work/dport" 2>/dev/null)
	[[ -n $dport ]] || die "dnsd did not start: $(cat "$work/dnsd.err")"
	local dns=(--dns-server "[::1]:$dport")
	# warm the page cache and the server
	"$DNCONNECT" -z "${dns[@]}" 198.51.100.2 "$lport" ||
	    die "dnconnect -z 198.51.100.2 through NAT64 failed"
	for ((s = 0; s < RUNS; s++)); do
		printf '%s %s %s\n' \
		    "$(median_ms "$DNCONNECT" -z "$SYN" "$lport")" \
		    "$(median_ms "$DNCONNECT" -6 -z "${dns[@]}" syn.test "$lport")" \
		    "$(median_ms "$DNCONNECT" -z "${dns[@]}" 198.51.100.2 "$lport")"
	done >"$work/samples"
	for s in 1 2 3; do
		cut -d' ' -f"$s" "$work/samples" | dn_bench_median 3
	done | paste -sd' '
	dn_bench_stop "$pid"
	dn_bench_stop "$dpid"
}

if [[ ${1:-} == --inside ]]; then
	BASELINE=$2
	inside
	exit 0
fi

# --- on this host: auto against off ------------------------------------------

dn_bench_workdir dn-bench-nat64-host
dn_bench_baseline
dn_bench_start baseline "" /dev/null "$work/serve.err" \
    "$BASELINE" serve 127.0.0.1 || die "the C listener did not start: $(cat "$work/serve.err")"
pid=$SPID lport=$SPORT
for ((s = 0; s < RUNS; s++)); do
	printf '%s %s\n' \
	    "$(median_ms "$DNCONNECT" -z 127.0.0.1 "$lport")" \
	    "$(median_ms "$DNCONNECT" --nat64 off -z 127.0.0.1 "$lport")"
done >"$work/host"
dn_bench_stop "$pid"
read -r auto off < <(for s in 1 2; do cut -d' ' -f"$s" "$work/host" |
    dn_bench_median 3; done | paste -sd' ')

read -r lit name nat < <(unshare -n "$BASH" "$0" --inside "$BASELINE") ||
    die "the namespace part failed"
[[ -n ${nat:-} && $nat != fail ]] || die "the namespace part gave no figures"

miss=0
over=$(awk -v a="$nat" -v b="$name" 'BEGIN { printf "%.3f", a - b }')
dn_bench_verdict "$over" le 2
v1=$VERDICT
ratio=$(awk -v a="$auto" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
dn_bench_verdict "$ratio" le 1.05
v2=$VERDICT
printf 'dualnet NAT64 benchmark: median of %d samples, each the median of %d runs (ms, fork to exit)\n\n' \
    "$RUNS" "$COUNT"
printf 'IPv6-only namespace (synthesised address on lo, dnsd on ::1):\n'
printf '  dnconnect -z %-34s %8s\n' "$SYN" "$lit"
printf '  dnconnect -6 -z syn.test (AAAA: one DNS round trip) %5s\n' "$name"
printf '  dnconnect -z 198.51.100.2 (discovery + connect) %9s\n' "$nat"
printf '  NAT64 over the name: %s ms (target <= 2 ms: %s)\n\n' "$over" "$v1"
printf 'host with an IPv4 route, dnconnect -z 127.0.0.1:\n'
printf '  --nat64 auto %8s\n  --nat64 off  %8s\n' "$auto" "$off"
printf '  auto/off %s (target: no cost; within the noise of a fork, <= 1.05: %s)\n' "$ratio" "$v2"
[[ $STRICT == 1 && $miss == 1 ]] && exit 1
exit 0
