#!/usr/bin/env bash
# race.sh - time to connect to a dual-stack name under RFC 8305 racing:
# dnconnect (default and --delay 200) beside curl, nc.openbsd and ncat, in
# the same run, across a veth between two network namespaces, with the
# names served by tests/dnsd.py on the client namespace's loopback.
#
# Usage: bench/race.sh                (root: it makes its own namespaces)
# Environment:
#   DN_BIN            directory with dnconnect ($(dirname $0)/../cmd)
#   DN_BENCH_RUNS     samples per tool and case, median reported (15; >= 10)
#   DN_BENCH_NCWAIT   -w for nc.openbsd and ncat, seconds (1)
#   DN_BENCH_TOOLS    other tools to compare ("curl nc.openbsd ncat")
#   DN_BENCH_STRICT   1: exit 1 when a target is not met
#
# Cases (the names' zone lines, B is the server namespace):
#   both fine         AAAA B6, A B4
#   AAAA black-holed  AAAA 2001:db8:78::99 (a black hole), A B4
#   AAAA slow 400 ms  AAAA B6 answered after 400 ms, A B4
#   A slow 400 ms     AAAA B6, A B4 answered after 400 ms
#
# Time to connect: the wall time of one invocation that connects and
# closes (dnconnect -z, nc -z, ncat -z; curl fetches a tiny HTTP reply),
# process start and name resolution included; for curl also its own
# %{time_connect}, and for dnconnect the "+T connected" of its -v trace.
# Every loop runs inside the client namespace (ip netns exec costs
# milliseconds of its own, so it is paid once, not per sample).
#
# Targets (issue): dnconnect's time over the configured attempt delay
# (250 ms, or 200 ms with --delay 200) <= 5 ms when AAAA is black-holed;
# <= 60 ms when AAAA is slow (the 50 ms resolution delay, then IPv4);
# <= 15 ms when A is slow (IPv6 goes at once).

set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

# --- inner: runs in the client namespace, prints raw samples ---------------

if [[ ${1:-} == --inner ]]; then
	# env: DNCONNECT PORT RUNS NCWAIT TOOLS CASES OUT
	: > "$OUT"
	sample() {	# case tool cmd...: one timed invocation
		local c=$1 t=$2 t0 t1 st=0 extra=-
		shift 2
		t0=$EPOCHREALTIME
		timeout -k 1 10 "$@" > "$OUT.stdout" 2> "$OUT.stderr" < /dev/null || st=$?
		t1=$EPOCHREALTIME
		case $t in
		dnconnect*)
			extra=$(sed -n 's/^dnconnect: +\([0-9.]*\)s connected .*/\1/p' "$OUT.stderr")
			extra=${extra:--} ;;
		curl)
			extra=$(cat "$OUT.stdout")
			# curl: exit 52 (empty reply) would still have connected
			[[ $extra =~ ^[0-9.]+$ && $extra != 0.000000 ]] || extra=- ;;
		esac
		[[ $t == curl && $extra != - ]] && st=0
		printf '%s %s %s %s %s\n' "$c" "$t" \
		    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')" \
		    "$extra" "$st" >> "$OUT"
	}
	for ((r = 0; r < RUNS; r++)); do
		sample spawn true true
		for c in $CASES; do
			name=$c.bench.test
			sample "$c" dnconnect "$DNCONNECT" -v -z "$name" "$PORT"
			sample "$c" dnconnect-d200 "$DNCONNECT" -v -z --delay 200 "$name" "$PORT"
			for t in $TOOLS; do
				case $t in
				curl) sample "$c" curl curl -s -o /dev/null --noproxy '*' \
				    --connect-timeout 5 -w '%{time_connect}' "http://$name:$PORT/" ;;
				nc.openbsd) sample "$c" nc.openbsd nc.openbsd -z -w "$NCWAIT" "$name" "$PORT" ;;
				ncat) sample "$c" ncat ncat -z -w "$NCWAIT" "$name" "$PORT" ;;
				esac
			done
		done
	done
	rm -f "$OUT.stdout" "$OUT.stderr"
	exit 0
fi

# --- outer: namespaces, responder, server, report ----------------------------

DN_BIN=${DN_BIN:-$here/../cmd}
RUNS=${DN_BENCH_RUNS:-15}
NCWAIT=${DN_BENCH_NCWAIT:-1}
TOOLS_WANT=${DN_BENCH_TOOLS:-curl nc.openbsd ncat}
STRICT=${DN_BENCH_STRICT:-0}
# shellcheck source=bench/common.sh
. "$here/common.sh"
dn_bench_programs "$DN_BIN" dnconnect
DNCONNECT=${DN_BENCH_dnconnect:?}

if ! [[ $RUNS =~ ^[0-9]+$ ]] || (( RUNS < 10 || RUNS > 1000 )); then
	die "DN_BENCH_RUNS must be 10 to 1000, not '$RUNS': medians of fewer say little"
fi
if ! [[ $NCWAIT =~ ^[0-9]+$ ]] || (( NCWAIT < 1 || NCWAIT > 5 )); then
	die "DN_BENCH_NCWAIT must be 1 to 5 seconds, not '$NCWAIT'"
fi
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"
[[ $(id -u) == 0 ]] || die "needs root: it makes network namespaces"
command -v ip >/dev/null || die "needs ip (iproute2)"
command -v python3 >/dev/null || die "needs python3 (tests/dnsd.py and the server)"
[[ -x $DNCONNECT ]] || die "no dnconnect in $DN_BIN: build it first"
dn_bench_tools "curl nc.openbsd ncat" "its rows stay n/a" "$TOOLS_WANT"
TOOLS=
for t in "${DN_BENCH_HAVE[@]}"; do
	TOOLS="$TOOLS $t"
done

tag="dnb-$$"
NS_A="$tag-a" NS_B="$tag-b"
work=$(mktemp -d "${TMPDIR:-/tmp}/dn-race.XXXXXX") || die "mktemp failed"
pids=()
made=()

cleanup() {
	local p ns i
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || continue
		for ((i = 0; i < 20; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$p" 2>/dev/null
	done
	for ns in "${made[@]}"; do
		ip netns pids "$ns" 2>/dev/null | while read -r p; do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/${ns:?}"
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two hosts: A (client, resolver) and B (server), joined by a veth.
#   A 203.0.113.1 2001:db8:78::a   B 203.0.113.2 2001:db8:78::b
#   2001:db8:78::99: A sends it to B's MAC (permanent neighbour); B does
#   not own it and does not forward: a black hole, no reply, no ICMP.
B4=203.0.113.2 B6=2001:db8:78::b BH6=2001:db8:78::99
for ns in "$NS_A" "$NS_B"; do
	ip netns add "$ns" || die "ip netns add $ns failed (no namespace rights?)"
	made+=("$ns")
	mkdir -p "/etc/netns/$ns"
	printf '::1 localhost\n127.0.0.1 localhost\n' > "/etc/netns/$ns/hosts"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "/etc/netns/$ns/resolv.conf"
	ip -n "$ns" link set lo up
done
ip link add vethA netns "$NS_A" type veth peer name vethB netns "$NS_B" ||
    die "ip link add ... type veth failed"
ip -n "$NS_A" link set vethA addrgenmode none 2>/dev/null
ip -n "$NS_B" link set vethB addrgenmode none 2>/dev/null
ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 >/dev/null
ip -n "$NS_A" addr add 203.0.113.1/24 dev vethA
ip -n "$NS_B" addr add "$B4/24" dev vethB
ip -n "$NS_A" -6 addr add 2001:db8:78::a/64 dev vethA nodad
ip -n "$NS_B" -6 addr add "$B6/64" dev vethB nodad
ip -n "$NS_A" link set vethA up
ip -n "$NS_B" link set vethB up
for ((i = 0; i < 100; i++)); do
	ip -n "$NS_A" link show vethA | grep -q 'state UP' &&
	ip -n "$NS_B" link show vethB | grep -q 'state UP' && break
	sleep 0.05
done
MAC_B=$(ip -n "$NS_B" -o link show vethB | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$NS_A" -6 neigh replace "$BH6" lladdr "$MAC_B" dev vethA nud permanent
# B's real addresses resolved once, so no sample pays for ARP/ND
ip -n "$NS_A" neigh replace "$B4" lladdr "$MAC_B" dev vethA nud permanent
ip -n "$NS_A" -6 neigh replace "$B6" lladdr "$MAC_B" dev vethA nud permanent

cat > "$work/zone" <<EOF
fine.bench.test   AAAA $B6
fine.bench.test   A    $B4
bh6.bench.test    AAAA $BH6
bh6.bench.test    A    $B4
slow6.bench.test  AAAA $B6 delay=400
slow6.bench.test  A    $B4
slow4.bench.test  AAAA $B6
slow4.bench.test  A    $B4 delay=400
EOF
ip netns exec "$NS_A" python3 "$repo/tests/dnsd.py" --listen 127.0.0.1 --port 53 \
    --port-file "$work/dns.port" --zone "$work/zone" < /dev/null > /dev/null 2> "$work/dnsd.log" &
pids+=($!)

# The server: B, both families on one port; a tiny HTTP reply, then close.
cat > "$work/server.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 0))
s.listen(128)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(tmp, sys.argv[1])
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    c.close()
EOF
ip netns exec "$NS_B" python3 "$work/server.py" "$work/srv.port" < /dev/null > /dev/null 2> "$work/server.log" &
pids+=($!)
for ((i = 0; i < 200; i++)); do
	[[ -s $work/dns.port && -s $work/srv.port ]] && break
	sleep 0.05
done
[[ -s $work/dns.port ]] || { cat "$work/dnsd.log" >&2; die "dnsd.py did not start in $NS_A"; }
[[ -s $work/srv.port ]] || { cat "$work/server.log" >&2; die "the server did not start in $NS_B"; }
PORT=$(cat "$work/srv.port")

CASES="fine bh6 slow6 slow4"
echo "race.sh: $RUNS runs of each tool per case, server [$B6]/$B4 port $PORT, nc/ncat -w $NCWAIT" >&2
# bounded: every sample is under timeout 10, and there are
# RUNS x cases x tools of them
env DNCONNECT="$DNCONNECT" PORT="$PORT" RUNS="$RUNS" NCWAIT="$NCWAIT" TOOLS="$TOOLS" \
    CASES="$CASES" OUT="$work/samples" LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" \
    ip netns exec "$NS_A" bash "$0" --inner || die "the measurement loop failed"

python3 - "$work/samples" "$STRICT" "$TOOLS" <<'EOF'
import statistics, sys
path, strict, tools = sys.argv[1], sys.argv[2] == "1", sys.argv[3].split()
rows = {}
for line in open(path):
    c, t, wall, extra, st = line.split()
    r = rows.setdefault((c, t), {"wall": [], "extra": [], "fail": 0, "n": 0})
    r["n"] += 1
    if st != "0":
        r["fail"] += 1
        continue
    r["wall"].append(float(wall))
    if extra != "-":
        r["extra"].append(float(extra) * 1000)

def median(c, t, k="wall"):
    v = rows.get((c, t), {}).get(k)
    return statistics.median(v) if v else None

cases = [("fine", "both fine"), ("bh6", "AAAA black-holed"),
         ("slow6", "AAAA slow 400 ms"), ("slow4", "A slow 400 ms")]
order = ["dnconnect", "dnconnect-d200"] + tools
label = {"dnconnect": "dnconnect", "dnconnect-d200": "dnconnect --delay 200",
         "curl": "curl", "nc.openbsd": "nc.openbsd -w", "ncat": "ncat -w"}
# (case, tool): (limit ms, base ms, what): time - base <= limit, judged on
# dnconnect's own time to connect (the race, from its start to the
# connected socket) and shown for the wall time too
targets = {("bh6", "dnconnect"): (5, 250, "over the 250 ms delay"),
           ("bh6", "dnconnect-d200"): (5, 200, "over the 200 ms delay"),
           ("slow6", "dnconnect"): (60, 0, ""),
           ("slow6", "dnconnect-d200"): (60, 0, ""),
           ("slow4", "dnconnect"): (15, 0, ""),
           ("slow4", "dnconnect-d200"): (15, 0, "")}

def f(v):
    return "%8.1f" % v if v is not None else "     n/a"

missed = 0
print("%-17s %-22s %8s %8s %8s %6s  %s" % ("case", "tool", "wall", "min", "own", "ok", "target / ratio"))
print("%-17s %-22s %8s %8s %8s" % ("", "", "ms", "ms", "ms"))
for c, cname in cases:
    for t in order:
        r = rows.get((c, t))
        if r is None:
            continue
        note = ""
        if (c, t) in targets:
            lim, base, what = targets[(c, t)]
            own, wall = median(c, t, "extra"), median(c, t)
            if own is None or r["fail"]:
                missed += 1
                note = "%d failed runs: MISSED" % r["fail"]
            else:
                ok = own - base <= lim
                missed += not ok
                note = "target <= %d ms%s: own %.1f %s (wall %.1f)" % (
                    lim, " " + what if what else "", own - base,
                    "met" if ok else "MISSED", wall - base)
        elif t not in ("dnconnect", "dnconnect-d200") and r["wall"]:
            w = statistics.median(r["wall"])
            a, b = median(c, "dnconnect"), median(c, "dnconnect-d200")
            note = "%.2fx dnconnect, %.2fx --delay 200" % (w / a, w / b) if a and b else ""
        print("%-17s %-22s %s %s %s %3d/%-2d  %s" % (
            cname, label[t], f(median(c, t)), f(min(r["wall"]) if r["wall"] else None),
            f(median(c, t, "extra")), r["n"] - r["fail"], r["n"], note))
    print()
print("wall/min: one connect-and-close, from fork to exit: process start, name")
print("resolution and timeout(1) included (spawning timeout + true: %s ms median)."
      % f(median("spawn", "true")).strip())
print("own: dnconnect's \"+T connected\" from -v (1 ms resolution), curl's")
print("%{time_connect}. ratio: the tool's wall median over dnconnect's.")
print("targets: %s" % ("all met" if not missed else "%d MISSED" % missed))
sys.exit(1 if strict and missed else 0)
EOF
