# helpers.bash - what the dualnet bats suites share: where the programs are,
# background listeners scraped for their port, and network namespaces.
# shellcheck shell=bash

bats_require_minimum_version 1.5.0

repo="${DN_SRCDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
DN_BIN="${DN_BIN:-${DN_BUILDDIR:-$repo}/cmd}"
export DN_BIN

for _l in bats-support bats-assert bats-file; do
	if [ -f "/usr/lib/bats/$_l/load.bash" ]; then
		load "/usr/lib/bats/$_l/load.bash"
	fi
done
unset _l

# Every client run is bounded: a hang is a failure, not a stuck CI job.
DN_TIMEOUT="${DN_TIMEOUT:-30}"

# The prefix (array) that runs a program in the suite's namespace, or nothing.
DN_X=()

# dn_run PROG ARGS...: $DN_BIN/PROG bounded in time, in DN_X.
dn_run() { local p=$1; shift; timeout -k 2 "$DN_TIMEOUT" "${DN_X[@]}" "$DN_BIN/$p" "$@"; }
# dn_run_in NS PROG ARGS...: the same in namespace NS.
dn_run_in() { local ns=$1 p=$2; shift 2; timeout -k 2 "$DN_TIMEOUT" ip netns exec "$ns" "$DN_BIN/$p" "$@"; }

# Runs PROG (dnconnect, dnlisten) bounded in time, in DN_X.
dnc() { dn_run dnconnect "$@"; }
dnl() { dn_run dnlisten "$@"; }
# In a given namespace.
dnc_in() { dn_run_in "$1" dnconnect "${@:2}"; }

# dn_require WHAT PROG...: under make check (DN_BUILDDIR set) a missing
# PROG is a failure; run by hand against an unbuilt tree, the suite skips
# (WHAT not built).
dn_require() {
	local what=$1 p ok=1
	shift
	for p in "$@"; do
		[ -x "$DN_BIN/$p" ] || ok=
	done
	[ -n "$ok" ] && return 0
	if [ -n "${DN_BUILDDIR:-}" ]; then
		(IFS=/; echo "no $* in $DN_BIN") >&2
		return 1
	fi
	skip "$what not built in $DN_BIN"
}
dn_require_programs() { dn_require programs dnconnect dnlisten; }

# Remembers a background PID so teardown kills it.
dn_track() { echo "$1" >> "$BATS_TEST_TMPDIR/pids"; }

dn_kill_all() {
	local pid i
	[ -f "$BATS_TEST_TMPDIR/pids" ] || return 0
	while read -r pid; do
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 40; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
	done < "$BATS_TEST_TMPDIR/pids"
	rm -f "$BATS_TEST_TMPDIR/pids"
}

# dn_wait_exit PID [SECONDS]: waits (bounded) for a background child and sets
# DN_STATUS to its exit status; returns 1 (DN_STATUS=timeout) if it lives on.
dn_wait_exit() {
	local pid=$1 secs=${2:-10} i n
	n=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 20 }')
	for ((i = 0; i < n; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		DN_STATUS=timeout
		return 1
	fi
	DN_STATUS=0
	wait "$pid" || DN_STATUS=$?
	return 0
}

# The port at the end of an address as the programs print it.
dn_port_of() { printf '%s\n' "${1##*:}"; }

# dn_listen [dnlisten args...]: starts dnlisten in the background (in DN_X, or
# in the namespace DN_LNS when set), stdin from DN_LISTEN_IN (default
# /dev/null), and waits for its "listening on" line (or --json "listening"
# event). Sets LPID, LADDR (as printed), LPORT, LERR, LOUT. Each call uses
# fresh files: LERR=$BATS_TEST_TMPDIR/l.N.err.
dn_listen() {
	dn_bg dnlisten "$@"
	dn_wait_listening "dnlisten $*"
}

# dn_wait_listening WHAT: after dn_bg, waits (bounded) for the "listening
# on" line or --json "listening" event in LERR. Sets LADDR and LPORT; says
# that WHAT did not report listening otherwise.
dn_wait_listening() {
	local i line
	LADDR= LPORT=
	for ((i = 0; i < 200; i++)); do
		line=$(grep -m1 -e 'listening on ' -e '"event":"listening"' "$LERR" 2>/dev/null) || line=
		if [ -n "$line" ]; then
			case $line in
			*'"event":"listening"'*)
				LADDR=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' <<< "$line") ;;
			*)
				LADDR=${line#*listening on }
				LADDR=${LADDR%% (*} ;;
			esac
			LPORT=$(dn_port_of "$LADDR")
			return 0
		fi
		kill -0 "$LPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# $1 did not report listening; stderr:" >&2
	sed 's/^/#   /' "$LERR" >&2
	return 1
}

# dn_wait_for FILE PATTERN [SECONDS]: bounded wait until FILE has a line
# matching the extended regex PATTERN.
dn_wait_for() {
	local f=$1 pat=$2 secs=${3:-10} i n
	n=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 20 }')
	for ((i = 0; i < n; i++)); do
		grep -Eq -- "$pat" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# no line matching '$pat' in $f:" >&2
	sed 's/^/#   /' "$f" >&2 2>/dev/null
	return 1
}

# A closed port without picking a fixed one: a listener that was stopped.
dn_closed_port() {
	dn_listen "$@" || return 1
	kill -TERM "$LPID"
	dn_wait_exit "$LPID" 5 || { kill -KILL "$LPID"; return 1; }
	CLOSED_PORT=$LPORT
}

# A port for a local bind, chosen at random below the ephemeral range; the
# caller retries with another when the program says 71 (in use).
dn_random_port() { echo $(( 20000 + RANDOM % 12000 )); }

# dn_run_bound ARGS...: `run --separate-stderr ARGS` with @B in ARGS replaced
# by a random port, another one while the program says 71 (in use); at most
# 5 tries. Each try reads DN_BOUND_IN (default /dev/null). Sets BP; leaves
# run's status, output and stderr.
dn_run_bound() {
	local i
	for ((i = 0; i < 5; i++)); do
		BP=$(dn_random_port)
		run --separate-stderr "${@//@B/$BP}" < "${DN_BOUND_IN:-/dev/null}"
		[ "$status" = 71 ] || break
	done
}

# Asserts the usage-error shape: exit 64 already checked by `run -64`;
# exactly one stderr line, prefixed PROG:, holding every FRAGMENT.
assert_one_line_error() {
	local prog=$1 frag
	shift
	if [ "${#stderr_lines[@]}" -ne 1 ]; then
		echo "expected exactly one stderr line, got ${#stderr_lines[@]}:" >&2
		printf '  %s\n' "${stderr_lines[@]}" >&2
		return 1
	fi
	case ${stderr_lines[0]} in
	"$prog: "*) ;;
	*) echo "stderr line not prefixed '$prog: ': ${stderr_lines[0]}" >&2; return 1 ;;
	esac
	for frag in "$@"; do
		case ${stderr_lines[0]} in
		*"$frag"*) ;;
		*) echo "stderr line does not name '$frag': ${stderr_lines[0]}" >&2; return 1 ;;
		esac
	done
}

# --- network namespaces ------------------------------------------------------

ns_available() {
	local probe="dnt-$$-probe$RANDOM" f
	if [ "$(id -u)" -ne 0 ]; then
		NS_WHY="not root (network namespaces need CAP_SYS_ADMIN)"
		return 1
	fi
	if ! command -v ip >/dev/null; then
		NS_WHY="ip (iproute2) is not installed"
		return 1
	fi
	# ip netns exec binds /etc/netns/NAME/FILE onto /etc/FILE; without
	# the target every command there prints that the bind failed
	for f in hosts resolv.conf; do
		if [ ! -e "/etc/$f" ]; then
			NS_WHY="no /etc/$f for ip netns exec to bind a namespace's own onto (tests/run creates it)"
			return 1
		fi
	done
	if ! ip netns add "$probe" 2>/dev/null; then
		NS_WHY="'ip netns add' failed here (container without namespace rights?)"
		return 1
	fi
	if ! ip netns exec "$probe" true 2>/dev/null; then
		ip netns del "$probe" 2>/dev/null
		NS_WHY="'ip netns exec' failed here (cannot mount /sys in the namespace?)"
		return 1
	fi
	ip netns del "$probe" 2>/dev/null
	return 0
}

# ns_make NAME: a namespace with lo up, its own hosts and a resolv.conf that
# points at a port nothing listens on inside it, so no query leaves.
ns_make() {
	local ns=$1
	ip netns add "$ns" || return 1
	echo "$ns" >> "$BATS_FILE_TMPDIR/namespaces"
	mkdir -p "/etc/netns/$ns"
	printf '::1 localhost\n127.0.0.1 localhost\n' > "/etc/netns/$ns/hosts"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
	    > "/etc/netns/$ns/resolv.conf"
	ip -n "$ns" link set lo up
}

# ns_setup: namespaces NS_A and NS_B joined by vethA <-> vethB.
#   A: 192.0.2.1/24 2001:db8:77::a/64 fe80::a/64     B: .2, ::b, fe80::b
#   BH4=192.0.2.99 and BH6=2001:db8:77::99 are black holes seen from A: A's
#   permanent neighbour entry sends them to B's MAC; B does not own them and
#   does not forward, so it drops them without a word (no reply, no ICMP).
ns_setup() {
	local tag="dnt-$$-$RANDOM" i
	NS_A="$tag-a" NS_B="$tag-b"
	export NS_A NS_B
	if ! ns_make "$NS_A" || ! ns_make "$NS_B"; then
		NS_WHY="ip netns add $NS_A/$NS_B failed"
		return 1
	fi
	if ! ip link add vethA netns "$NS_A" type veth peer name vethB netns "$NS_B"; then
		NS_WHY="ip link add ... type veth failed (no veth support?)"
		return 1
	fi
	# No EUI-64 link-local: fe80::a/fe80::b are the only ones, so source
	# selection is predictable.
	ip -n "$NS_A" link set vethA addrgenmode none 2>/dev/null
	ip -n "$NS_B" link set vethB addrgenmode none 2>/dev/null
	ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=0 \
	    net.ipv6.conf.all.forwarding=0 >/dev/null
	ip -n "$NS_A" addr add 192.0.2.1/24 dev vethA
	ip -n "$NS_B" addr add 192.0.2.2/24 dev vethB
	ip -n "$NS_A" -6 addr add fe80::a/64 dev vethA nodad
	ip -n "$NS_B" -6 addr add fe80::b/64 dev vethB nodad
	ip -n "$NS_A" -6 addr add 2001:db8:77::a/64 dev vethA nodad
	ip -n "$NS_B" -6 addr add 2001:db8:77::b/64 dev vethB nodad
	ip -n "$NS_A" link set vethA up
	ip -n "$NS_B" link set vethB up
	for ((i = 0; i < 100; i++)); do
		[ -z "$(ip -n "$NS_A" -6 addr show dev vethA tentative)" ] &&
		[ -z "$(ip -n "$NS_B" -6 addr show dev vethB tentative)" ] &&
		ip -n "$NS_A" link show vethA | grep -q 'state UP' &&
		ip -n "$NS_B" link show vethB | grep -q 'state UP' && break
		sleep 0.05
	done
	MAC_B=$(ip -n "$NS_B" -o link show vethB | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	IDX_A=$(ip -n "$NS_A" -o link show vethA | cut -d: -f1)
	IDX_B=$(ip -n "$NS_B" -o link show vethB | cut -d: -f1)
	BH4=192.0.2.99 BH6=2001:db8:77::99
	ip -n "$NS_A" neigh replace "$BH4" lladdr "$MAC_B" dev vethA nud permanent
	ip -n "$NS_A" -6 neigh replace "$BH6" lladdr "$MAC_B" dev vethA nud permanent
	# A name with both families, and one for each.
	cat >> "/etc/netns/$NS_A/hosts" <<-EOF
	192.0.2.2 both.dnt.test
	2001:db8:77::b both.dnt.test
	192.0.2.2 four.dnt.test
	2001:db8:77::b six.dnt.test
	EOF
	export MAC_B IDX_A IDX_B BH4 BH6
}

# Deletes every namespace this file made, and its /etc/netns directory.
ns_teardown() {
	local ns
	[ -f "$BATS_FILE_TMPDIR/namespaces" ] || return 0
	while read -r ns; do
		[ -n "$ns" ] || continue
		ip netns pids "$ns" 2>/dev/null | while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/${ns:?}"
	done < "$BATS_FILE_TMPDIR/namespaces"
	rm -f "$BATS_FILE_TMPDIR/namespaces"
}

# dn_json_events FILE: every line of FILE must be one JSON object whose first
# keys are "event" then "time" (a number); prints the events, one a line.
dn_json_events() {
	python3 - "$1" <<-'PY'
	import json, sys
	ok = True
	for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
	    line = line.rstrip("\n")
	    try:
	        o = json.loads(line)
	    except ValueError as e:
	        print("line %d is not JSON (%s): %r" % (n, e, line), file=sys.stderr)
	        ok = False
	        continue
	    keys = list(o.keys()) if isinstance(o, dict) else []
	    if keys[:2] != ["event", "time"] or not isinstance(o["time"], (int, float)):
	        print("line %d does not start with event, time: %r" % (n, line), file=sys.stderr)
	        ok = False
	        continue
	    print(o["event"])
	sys.exit(0 if ok else 1)
	PY
}

# dn_json_get FILE EVENT KEY: the value of KEY in the first EVENT object
# (JSON null prints as "null", strings bare).
dn_json_get() {
	python3 - "$@" <<-'PY'
	import json, sys
	f, ev, key = sys.argv[1:4]
	for line in open(f, encoding="utf-8"):
	    try:
	        o = json.loads(line)
	    except ValueError:
	        continue
	    if isinstance(o, dict) and o.get("event") == ev:
	        v = o.get(key, "<absent>")
	        print("null" if v is None else (json.dumps(v) if isinstance(v, (list, dict, bool)) else v))
	        sys.exit(0)
	print("<no %s event>" % ev)
	sys.exit(1)
	PY
}

# The "connected LOCAL -> PEER" pair from a dnconnect -v trace in FILE/string.
dn_connected_local() { sed -n 's/.* connected \(.*\) -> \(.*\)$/\1/p' <<< "$1" | head -n1; }
dn_connected_peer() { sed -n 's/.* connected \(.*\) -> \(.*\)$/\2/p' <<< "$1" | head -n1; }

# After a failed test: what the background listeners said.
dn_dump_logs() {
	local f
	[ -z "${BATS_TEST_COMPLETED:-}" ] || return 0
	for f in "$BATS_TEST_TMPDIR"/l.*.err; do
		[ -s "$f" ] || continue
		echo "# ${f##*/}:"
		tail -n 20 "$f" | sed 's/^/#   /'
	done
}

# After dn_wait_exit: the status was WANT (says what it was otherwise).
dn_status_is() {
	[ "$DN_STATUS" = "$1" ] && return 0
	echo "exit status $DN_STATUS, want $1" >&2
	return 1
}

# --- the test DNS responder (tests/dnsd.py) ----------------------------------

# dnsd_start NS ZONE [ADDR [PORT [OPTION...]]]: runs tests/dnsd.py -v
# OPTION... in namespace NS on ADDR (default 127.0.0.1) and PORT (default
# 0: a free one, read back), and waits (bounded) until it serves. Sets DNSD_PID, DNSD_PORT and DNSD_LOG (its
# query log). Within a test the process is tracked for dn_kill_all; from
# setup_file, stop it with dnsd_stop (ns_teardown also kills what is left
# in the namespace).
dnsd_start() {
	local ns=$1 zone=$2 addr=${3:-127.0.0.1} port=${4:-0} dir i
	shift $(($# < 4 ? $# : 4))
	dir=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}
	DN_NDNSD=$(( ${DN_NDNSD:-0} + 1 ))
	DNSD_LOG="$dir/dnsd.$DN_NDNSD.log"
	local pf="$dir/dnsd.$DN_NDNSD.port"
	rm -f "$pf"
	ip netns exec "$ns" "${PYTHON:-python3}" "$repo/tests/dnsd.py" -v \
	    --listen "$addr" --port "$port" --port-file "$pf" --zone "$zone" "$@" \
	    < /dev/null > /dev/null 2> "$DNSD_LOG" 3>&- &
	DNSD_PID=$!
	[ -z "${BATS_TEST_TMPDIR:-}" ] || dn_track "$DNSD_PID"
	DNSD_PORT=
	for ((i = 0; i < 200; i++)); do
		if [ -s "$pf" ]; then
			DNSD_PORT=$(cat "$pf")
			return 0
		fi
		kill -0 "$DNSD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# dnsd.py in $ns on $addr port $port did not start:" >&2
	sed 's/^/#   /' "$DNSD_LOG" >&2
	return 1
}

# dnsd_stop PID: SIGTERM, a bounded wait, then SIGKILL.
dnsd_stop() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		# a zombie (not our child to reap) has stopped too
		[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# --- datagrams: dnudp and dnmcast (udp.bats, mcast.bats) ----------------------

dnu() { dn_run dnudp "$@"; }
dnm() { dn_run dnmcast "$@"; }
dnu_in() { dn_run_in "$1" dnudp "${@:2}"; }
dnm_in() { dn_run_in "$1" dnmcast "${@:2}"; }

dn_require_dgram() { dn_require dnudp/dnmcast dnudp dnmcast; }

# dn_bg PROG ARGS...: starts $DN_BIN/PROG in the background (in DN_X, or in
# namespace DN_LNS when set) with stdin from DN_LISTEN_IN (default
# /dev/null), fresh LOUT/LERR files as dn_listen names them; sets LPID.
dn_bg() {
	local prog=$1 pfx=("${DN_X[@]}")
	shift
	[ -n "${DN_LNS:-}" ] && pfx=(ip netns exec "$DN_LNS")
	DN_NLISTEN=$(( ${DN_NLISTEN:-0} + 1 ))
	LERR="$BATS_TEST_TMPDIR/l.$DN_NLISTEN.err"
	LOUT="$BATS_TEST_TMPDIR/l.$DN_NLISTEN.out"
	: > "$LERR"
	# SIGINT back to default: bash makes background jobs ignore it, and a
	# program rightly leaves an ignored SIGINT ignored.
	env --default-signal=INT "${pfx[@]}" "$DN_BIN/$prog" "$@" \
	    < "${DN_LISTEN_IN:-/dev/null}" > "$LOUT" 2> "$LERR" 3>&- &
	LPID=$!
	dn_track "$LPID"
}

# dn_udp_listen ARGS...: dnudp -l ARGS in the background, waiting (bounded)
# for its "listening on" line or --json event. Sets LPID, LADDR, LPORT,
# LOUT, LERR.
dn_udp_listen() {
	dn_bg dnudp -l "$@"
	dn_wait_listening "dnudp -l $*"
}

# dn_mcast_recv ARGS...: dnmcast recv ARGS in the background; ARGS must hold
# -v or --json: waits (bounded) for the "joined" line or event. Sets LPID,
# LOUT, LERR.
dn_mcast_recv() {
	dn_bg dnmcast recv "$@"
	dn_wait_for "$LERR" '(joined |"event":"joined")' 10
}

# dn_maddr_wait NS DEV GROUP present|absent: bounded poll of `ip maddr` in
# NS ("" for this namespace) until GROUP is (or is no longer) joined on DEV.
dn_maddr_wait() {
	local ns=$1 dev=$2 group=$3 want=$4 i have pfx=()
	[ -z "$ns" ] || pfx=(-n "$ns")
	for ((i = 0; i < 100; i++)); do
		have=absent
		ip "${pfx[@]}" maddr show dev "$dev" 2>/dev/null |
		    awk '$1 == "inet" || $1 == "inet6" { print $2 }' |
		    grep -qixF -- "$group" && have=present
		[ "$have" = "$want" ] && return 0
		sleep 0.05
	done
	echo "# $group is $have on $dev${ns:+ in $ns}, want $want:" >&2
	ip "${pfx[@]}" maddr show dev "$dev" 2>&1 | sed 's/^/#   /' >&2
	return 1
}

# dn_json_keys FILE EVENT: the keys of the first EVENT object, comma-separated.
dn_json_keys() {
	python3 - "$@" <<-'PY'
	import json, sys
	for line in open(sys.argv[1], encoding="utf-8"):
	    try:
	        o = json.loads(line)
	    except ValueError:
	        continue
	    if isinstance(o, dict) and o.get("event") == sys.argv[2]:
	        print(",".join(o.keys()))
	        sys.exit(0)
	print("<no %s event>" % sys.argv[2])
	sys.exit(1)
	PY
}

# --- what several suites share: setup, skips, captures -------------------------

# dn_big_files: BIG1 and BIG2, two 64 MiB files of random bytes (exported).
dn_big_files() {
	BIG1="$BATS_FILE_TMPDIR/big1" BIG2="$BATS_FILE_TMPDIR/big2"
	head -c 64M /dev/urandom > "$BIG1"
	head -c 64M /dev/urandom > "$BIG2"
	export BIG1 BIG2
}

# dn_ns_skip_setup: from setup_file, ns_setup; bats 1.8 cannot skip from
# setup_file, so NS_SKIP records why there are no namespaces ("" when there
# are) and dn_ns_setup skips on it.
dn_ns_skip_setup() {
	NS_SKIP=
	if ! ns_available; then
		NS_SKIP="network namespaces unavailable: $NS_WHY"
	elif ! ns_setup; then
		ns_teardown
		NS_SKIP="could not build two namespaces joined by a veth pair: $NS_WHY"
	fi
}

# dn_ns_setup: from setup, a test between NS_A and NS_B: dnc runs in A.
dn_ns_setup() {
	[ -z "$NS_SKIP" ] || skip "$NS_SKIP"
	dn_require_programs
	T=$BATS_TEST_TMPDIR
	DN_X=(ip netns exec "$NS_A")	# dnc runs in A
}

# dn_lb_ab_setup SUFFIX: from setup_file, a private loopback namespace
# LB_NS (or "") and ns_setup; AB_SKIP records why the two-namespace cases
# cannot run ("" when they can). Exports LB_NS, AB_SKIP and NS_WHY.
dn_lb_ab_setup() {
	LB_NS= AB_SKIP=
	if ns_available; then
		LB_NS="dnt-$$-$RANDOM-$1"
		ns_make "$LB_NS" || LB_NS=
		if ! ns_setup; then
			AB_SKIP="could not build two namespaces joined by a veth pair: $NS_WHY"
		fi
	else
		AB_SKIP="network namespaces unavailable: $NS_WHY"
	fi
	export LB_NS AB_SKIP NS_WHY
}

# dn_lb_setup: from setup, T, and DN_X running in LB_NS when there is one.
dn_lb_setup() {
	T=$BATS_TEST_TMPDIR
	DN_X=()
	[ -z "$LB_NS" ] || DN_X=(ip netns exec "$LB_NS")
}

need_ns() {
	[ -n "$LB_NS" ] || skip "needs a private namespace: ${NS_WHY:-unavailable}"
}

# The two-namespace cases: the client runs in A, listeners in B (DN_LNS).
need_ab() {
	[ -z "$AB_SKIP" ] || skip "$AB_SKIP"
	DN_X=(ip netns exec "$NS_A")
	DN_LNS=$NS_B
}

# wait_ok [SECONDS]: the background program LPID exits 0 within SECONDS.
wait_ok() {
	dn_wait_exit "$LPID" "${1:-10}" || { echo "pid $LPID still runs" >&2; return 1; }
	dn_status_is 0
}

# Listener in B.
listen_b() { DN_LNS=$NS_B dn_listen "$@"; }
# B on every address of both families, -k (losers of a race connect too),
# answering each connection with the address it was reached on (DN_LOCAL).
# shellcheck disable=SC2016 # DN_LOCAL is the listener's, expanded by its shell
listen_both() { listen_b -k --dual-stack -e 'printf "%s" "$DN_LOCAL"' :: 0; }

sha() { sha256sum < "$1" | cut -d' ' -f1; }

# dn_dnc_big SECONDS FILE DEST...: dnc DEST... < FILE > $T/out, bounded by
# SECONDS; its stderr is shown, and it must exit 0.
dn_dnc_big() {
	local secs=$1 in=$2 st=0
	shift 2
	DN_TIMEOUT=$secs dnc "$@" < "$in" > "$T/out" 2> "$T/err" || st=$?
	cat "$T/err" >&2
	[ "$st" = 0 ]
}

# dn_echo_big SECONDS FILE DEST...: FILE sent to a listener running -e cat
# comes back byte-identical.
dn_echo_big() {
	dn_dnc_big "$@" || return 1
	[ "$(sha "$T/out")" = "$(sha "$2")" ]
}

# dn_both_ways SECONDS DEST...: BIG1 sent while the listener LPID (started
# with DN_LISTEN_IN=$BIG2) sends BIG2: both arrive byte-identical, both
# ends exit 0.
dn_both_ways() {
	local secs=$1
	shift
	dn_dnc_big "$secs" "$BIG1" "$@" || return 1
	dn_wait_exit "$LPID" 30
	dn_status_is 0 || return 1
	[ "$(sha "$T/out")" = "$(sha "$BIG2")" ] || return 1
	[ "$(sha "$LOUT")" = "$(sha "$BIG1")" ]
}

# dn_capture_start FILTER: tcpdump on A's vethA into $CAP, until it listens.
dn_capture_start() {
	command -v tcpdump > /dev/null || skip "tcpdump not installed"
	CAP="$T/cap.pcap"
	# -Z root: Debian's tcpdump drops to user tcpdump before opening the file.
	ip netns exec "$NS_A" tcpdump -Z root --immediate-mode -i vethA -n -U -w "$CAP" "$1" \
	    > "$T/td.out" 2> "$T/td.err" 3>&- &
	TDPID=$!
	dn_track "$TDPID"
	dn_wait_for "$T/td.err" 'listening on' 10
}

# dn_capture_has PATTERN: `tcpdump -r -v` of the capture shows a line
# matching the extended regex PATTERN (polled, bounded); then tcpdump stops.
dn_capture_has() {
	local i found=
	for ((i = 0; i < 50; i++)); do
		tcpdump -r "$CAP" -n -v 2>/dev/null > "$T/cap.txt"
		grep -Eq -- "$1" "$T/cap.txt" && { found=1; break; }
		sleep 0.1
	done
	kill -TERM "$TDPID"
	dn_wait_exit "$TDPID" 5
	[ -n "$found" ] && return 0
	echo "no packet matching /$1/ in:" >&2
	cat "$T/cap.txt" "$T/td.err" >&2
	return 1
}
