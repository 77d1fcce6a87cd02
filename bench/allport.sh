#!/usr/bin/env bash
# allport.sh - the all-interfaces port measured: accepts per second through
# dnlisten -k on the aggregate beside a single listener (and nc.openbsd,
# ncat, socat keep-open servers, in the same run); start-up time with 10,
# 100 and 1,000 addresses beside one; and following: from `ip addr add`
# returning to the first successful connect to the new address.
#
# Usage: bench/allport.sh   (accepts: loopback, any user; start-up and
#                            following: root, in a network namespace of
#                            its own; skipped with a reason otherwise)
# Environment:
#   DN_BIN            directory with dnlisten ($(dirname $0)/../cmd)
#   DN_BENCH_RUNS     samples per measurement, median reported (5; >= 5)
#   DN_BENCH_CONNS    connections per accept sample (3000)
#   DN_BENCH_FOLLOW   addresses added one by one for following (30)
#   DN_BENCH_TOOLS    tools to compare ("nc.openbsd ncat socat")
#   DN_BENCH_STRICT   1: exit 1 when a target is not met
#
# Targets (issue 7): accepts on the aggregate >= 0.95x a single listener;
# start-up with 1,000 addresses linear and under 3x one address + 20 us per
# address; following median <= 10 ms.

set -u

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
RUNS=${DN_BENCH_RUNS:-5}
CONNS=${DN_BENCH_CONNS:-3000}
FOLLOW=${DN_BENCH_FOLLOW:-30}
TOOLS=${DN_BENCH_TOOLS:-nc.openbsd ncat socat}
STRICT=${DN_BENCH_STRICT:-0}
ADDRS=127.0.0.1
# shellcheck source=bench/common.sh
. "$here/common.sh"
dn_bench_programs "$DN_BIN" dnlisten
DNLISTEN=$DN_BENCH_dnlisten
[[ -x $DNLISTEN ]] || die "no dnlisten in $DN_BIN: build first"
dn_bench_counts RUNS CONNS FOLLOW
(( CONNS > 0 && FOLLOW > 0 )) || die "counts must be over 0"
dn_bench_loopback
command -v python3 >/dev/null || die "needs python3 for the clients"
dn_bench_tools "nc.openbsd ncat socat" "its column stays n/a" "$TOOLS"
dn_bench_workdir dn-bench-all
miss=0

# --- accepts per second ------------------------------------------------------

# The client: CONNS connections to 127.0.0.1:PORT, at most 8 open at a
# time, each closed by us at once and counted when the server has closed
# too (the server did its whole per-connection work). Prints conn/s.
cat >"$work/client.py" <<'PY'
import errno, select, socket, sys, time
port, total = int(sys.argv[1]), int(sys.argv[2])
inflight, done, started = {}, 0, 0
ep = select.epoll()
t0 = time.monotonic()
while done < total:
    while started < total and len(inflight) < 8:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        e = s.connect_ex(("127.0.0.1", port))
        if e not in (0, errno.EINPROGRESS):
            sys.exit("connect: %s" % errno.errorcode.get(e, e))
        inflight[s.fileno()] = [s, 0]
        ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLIN)
        started += 1
    for fd, ev in ep.poll(5):
        s, state = inflight[fd]
        if state == 0 and ev & select.EPOLLOUT:
            e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e:
                sys.exit("connect: %s" % errno.errorcode.get(e, e))
            s.shutdown(socket.SHUT_WR)
            inflight[fd][1] = 1
            ep.modify(fd, select.EPOLLIN)
            continue
        try:
            d = s.recv(4096)
        except ConnectionResetError:
            d = b""
        if not d:
            ep.unregister(fd)
            s.close()
            del inflight[fd]
            done += 1
print("%.0f" % (total / (time.monotonic() - t0)))
PY

# SERVER=(argv) keep-open on 127.0.0.1 port 0, relaying to /dev/null.
server_cmd() {
	case $1 in
	single)     SERVER=("$DNLISTEN" -k 127.0.0.1 0) ;;
	aggregate)  SERVER=("$DNLISTEN" -k all:0:interface=lo) ;;
	aggregate-all) SERVER=("$DNLISTEN" -k --all-interfaces 0) ;;
	nc.openbsd) SERVER=(nc.openbsd -k -l 127.0.0.1 0) ;;
	ncat)       SERVER=(ncat -k -l 127.0.0.1 0) ;;
	socat)      SERVER=(socat TCP4-LISTEN:0,bind=127.0.0.1,reuseaddr,fork STDOUT) ;;
	esac
}

# accept_sample KIND [PREFIX...]: conn/s of KIND's server, both run
# under PREFIX (ip netns exec NS, with a descriptor limit for 1002
# sockets).
accept_sample() {
	local kind=$1 pid port tool=dualnet out
	shift
	server_cmd "$kind"
	case $kind in single|aggregate|aggregate-all) ;; *) tool=$kind ;; esac
	"$@" "${SERVER[@]}" </dev/null >/dev/null 2>"$work/srv.err" &
	pid=$!
	track "$pid"
	if ! port=$(dn_bench_port dnlisten -ltnpH "$tool" "$pid" "$work/srv.err"); then
		dn_bench_nolisten "$kind" 127.0.0.1 "$pid" "$work/srv.err"
		return
	fi
	if ! out=$(timeout 120 "$@" python3 "$work/client.py" "$port" "$CONNS" 2>&1); then
		echo "allport.sh: $kind: $out" >&2
		out=fail
	fi
	dn_bench_stop "$pid"
	echo "$out"
}

kinds=(single aggregate "${DN_BENCH_HAVE[@]}")
declare -A ACC
declare -A samples
for ((r = 0; r < RUNS; r++)); do
	for k in "${kinds[@]}"; do
		samples[$k]+="$(accept_sample "$k")"$'\n'
	done
done
for k in "${kinds[@]}"; do
	ACC[$k]=$(printf '%s' "${samples[$k]}" | dn_bench_median 0)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

echo
echo "== accepts per second, dnlisten -k on 127.0.0.1, $CONNS connections, medians of $RUNS"
printf '%-12s %10s %12s\n' server conn/s "vs single"
for k in "${kinds[@]}"; do
	printf '%-12s %10s %12s\n' "$k" "${ACC[$k]}" "$(ratio "${ACC[$k]}" "${ACC[single]}")"
done
# at_least WHAT RATIO: says ok or MISS against 0.95 (n/a misses).
at_least() {
	if [[ $2 == n/a ]] || awk -v r="$2" 'BEGIN { exit !(r < 0.95) }'; then
		echo "MISS $1 $2 (target >= 0.95)"
		miss=1
	else
		echo "ok   $1 $2 (target >= 0.95)"
	fi
}
at_least aggregate/single "$(ratio "${ACC[aggregate]}" "${ACC[single]}")"

# --- start-up and following: a namespace of our own ---------------------------

ns_why=
if [[ $(id -u) != 0 ]]; then
	ns_why="not root"
elif ! command -v ip >/dev/null; then
	ns_why="no ip(8)"
fi
NS=dn-bench-all-$$
if [[ -z $ns_why ]] && ! ip netns add "$NS" 2>/dev/null; then
	ns_why="ip netns add failed"
fi
if [[ -n $ns_why ]]; then
	echo
	echo "start-up and following: skipped ($ns_why)"
	exit $(( STRICT && miss ))
fi
cleanup_ns() { ip netns del "$NS" 2>/dev/null; cleanup; }
trap cleanup_ns EXIT
ip -n "$NS" link set lo up

# Seconds from starting ARGV (in the namespace) to its Nth "listening on"
# line; the process is then stopped.
cat >"$work/startup.py" <<'PY'
import os, subprocess, sys, time
want, argv = int(sys.argv[1]), sys.argv[2:]
t0 = time.monotonic()
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
n = 0
for line in p.stderr:
    if b"listening on" in line:
        n += 1
        if n == want:
            break
t1 = time.monotonic()
p.terminate()
p.wait()
if n != want:
    sys.exit("%d of %d listening lines" % (n, want))
print("%.6f" % (t1 - t0))
PY

startup() {
	local want=$1 r out
	shift
	for ((r = 0; r < RUNS; r++)); do
		if ! out=$(ip netns exec "$NS" bash -c 'ulimit -n 8192; exec "$@"' sh \
		    python3 "$work/startup.py" "$want" "$@" 2>&1); then
			echo "allport.sh: start-up of $*: $out" >&2
			out=fail
		fi
		echo "$out"
	done | dn_bench_median 6
}

# Addresses 2001:db8:1::1 and on, on lo, up to $1 in all.
have_addrs=0
addrs_upto() {
	local n=$1 i
	: >"$work/batch"
	for ((i = have_addrs + 1; i <= n; i++)); do
		printf 'addr add 2001:db8:1::%x/128 dev lo nodad\n' "$i" >>"$work/batch"
	done
	ip -n "$NS" -batch "$work/batch" || die "ip -batch failed"
	have_addrs=$n
}

declare -A ST
ST[1]=$(startup 1 "$DNLISTEN" 127.0.0.1 0)
for n in 10 100 1000; do
	addrs_upto "$n"
	# + 127.0.0.1 and ::1
	ST[$n]=$(startup $((n + 2)) "$DNLISTEN" --all-interfaces 0)
done
echo
echo "== start-up to the last 'listening on' line, medians of $RUNS"
printf '%-22s %10s %14s\n' listener ms "us/address"
printf '%-22s %10.2f\n' "one address" "$(awk -v s="${ST[1]}" 'BEGIN { print s * 1000 }')"
for n in 10 100 1000; do
	printf '%-22s %10.2f %14s\n' "all, $((n + 2)) addresses" \
	    "$(awk -v s="${ST[$n]}" 'BEGIN { print s * 1000 }')" \
	    "$(awk -v s="${ST[$n]}" -v o="${ST[1]}" -v n="$n" 'BEGIN { printf "%.1f", (s - o) * 1e6 / n }')"
done
limit=$(awk -v o="${ST[1]}" 'BEGIN { printf "%.6f", 3 * o + 1002 * 20e-6 }')
slope_lo=$(awk -v a="${ST[10]}" -v b="${ST[100]}" 'BEGIN { printf "%.2f", (b - a) * 1e6 / 90 }')
slope_hi=$(awk -v a="${ST[100]}" -v b="${ST[1000]}" 'BEGIN { printf "%.2f", (b - a) * 1e6 / 900 }')
echo "per address: ${slope_lo} us from 10 to 100, ${slope_hi} us from 100 to 1000 (linear: alike)"
if awk -v s="${ST[1000]}" -v l="$limit" -v a="$slope_lo" -v b="$slope_hi" \
    'BEGIN { exit !(s <= l && b <= 2 * a + 5) }'; then
	echo "ok   1002 addresses: $(awk -v s="${ST[1000]}" 'BEGIN { printf "%.2f", s * 1000 }') ms <= $(awk -v s="$limit" 'BEGIN { printf "%.2f", s * 1000 }') ms (3x one + 20 us each), linear"
else
	echo "MISS 1002 addresses: $(awk -v s="${ST[1000]}" 'BEGIN { printf "%.2f", s * 1000 }') ms, limit $(awk -v s="$limit" 'BEGIN { printf "%.2f", s * 1000 }') ms, slopes $slope_lo/$slope_hi us"
	miss=1
fi

# Accepting on 127.0.0.1 while the port holds 1002 sockets: pausing and
# resuming around each connection must not cost per socket.
in_ns=(ip netns exec "$NS" prlimit --nofile=8192)
declare -A big=()
for ((r = 0; r < RUNS; r++)); do
	for k in single aggregate-all; do
		big[$k]+="$(accept_sample "$k" "${in_ns[@]}")"$'\n'
	done
done
b1=$(printf '%s' "${big[single]}" | dn_bench_median 0)
b2=$(printf '%s' "${big[aggregate-all]}" | dn_bench_median 0)
echo
echo "== accepts per second with 1002 sockets on the port, medians of $RUNS"
printf '%-12s %10s %12s\n' server conn/s "vs single"
printf '%-12s %10s %12s\n' single "$b1" 1.00
printf '%-12s %10s %12s\n' "all, 1002" "$b2" "$(ratio "$b2" "$b1")"
at_least "1002-socket aggregate/single" "$(ratio "$b2" "$b1")"
ip -n "$NS" -6 addr flush dev lo scope global

# Following: dnlisten on every address; each new address is added with
# ip(8) and connected to in a tight loop until it is served.
cat >"$work/follow.py" <<'PY'
import errno, socket, subprocess, sys, time
ns, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lat = []
for i in range(1, count + 1):
    addr = "2001:db8:2::%x" % i
    subprocess.run(["ip", "-n", ns, "addr", "add", addr + "/128", "dev",
                    "lo", "nodad"], check=True)
    t0 = time.monotonic()
    while True:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        e = s.connect_ex((addr, port))
        s.close()
        if e == 0:
            break
        if time.monotonic() - t0 > 5:
            sys.exit("%s never served" % addr)
        time.sleep(0.0002)
    lat.append(time.monotonic() - t0)
lat.sort()
print("%.6f %.6f %.6f" % (lat[0], lat[len(lat) // 2], lat[-1]))
PY
ip netns exec "$NS" "$DNLISTEN" -k --all-interfaces 0 </dev/null >/dev/null 2>"$work/follow.err" &
fpid=$!
track "$fpid"
fport=$(dn_bench_port dnlisten -ltnpH dualnet "$fpid" "$work/follow.err") ||
    die "dnlisten --all-interfaces did not start: $(head -c 300 "$work/follow.err")"
if ! out=$(ip netns exec "$NS" python3 "$work/follow.py" "$NS" "$fport" "$FOLLOW" 2>&1); then
	echo "allport.sh: following: $out" >&2
	out="fail fail fail"
fi
dn_bench_stop "$fpid"
read -r fmin fmed fmax <<<"$out"
echo
echo "== following: ip addr add returned -> first connect served, $FOLLOW addresses"
echo "   (nc.openbsd, ncat and socat do not follow addresses: no column)"
if [[ $fmed == fail ]]; then
	echo "MISS following failed"
	miss=1
else
	awk -v a="$fmin" -v m="$fmed" -v b="$fmax" \
	    'BEGIN { printf "min %.2f ms, median %.2f ms, max %.2f ms\n", a * 1000, m * 1000, b * 1000 }'
	if awk -v m="$fmed" 'BEGIN { exit !(m <= 0.010) }'; then
		echo "ok   following median $(awk -v m="$fmed" 'BEGIN { printf "%.2f", m * 1000 }') ms (target <= 10 ms)"
	else
		echo "MISS following median $(awk -v m="$fmed" 'BEGIN { printf "%.2f", m * 1000 }') ms (target <= 10 ms)"
		miss=1
	fi
fi
exit $(( STRICT && miss ))
