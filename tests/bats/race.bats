#!/usr/bin/env bats
# race.bats - connection racing (RFC 8305) end to end: dnconnect in
# namespace A resolves names through tests/dnsd.py on A's loopback (slow,
# negative and missing answers per record type) and races the addresses
# across a veth to B, some of them black holes, some refused.
#
#   NS_A  vethA 192.0.2.1 2001:db8:77::a  <--->  vethB .2 .3 ::b ::c  NS_B
#   A's /etc/netns resolv.conf names 127.0.0.1, where dnsd serves the zone.
#   Black holes from A: 192.0.2.99 .98, 2001:db8:77::99 ::98 (permanent
#   neighbour entries to B's MAC; B does not own them and drops them).
#   Refused: B's own addresses on a port nothing listens on.
#
# Winners and order come from the -v trace and --json events; the only
# clocks are the programs' own options (an overall -w shorter than the
# attempt delay proves an attempt started early), never a measured time.

load helpers

# bats 1.8 cannot skip from setup_file: it records why, setup() skips.
setup_file() {
	dn_ns_skip_setup
	if [ -z "$NS_SKIP" ] && ! race_setup; then
		ns_teardown
		NS_SKIP="could not set up the race hosts and dnsd: $NS_WHY"
	fi
	export NS_SKIP
}

teardown_file() {
	dnsd_stop "${DNSD53_PID:-}"
	ns_teardown
}

# B's second addresses, two more black holes, hosts entries for the system
# resolver, and dnsd on A's 127.0.0.1:53 (what A's resolv.conf names).
race_setup() {
	local i
	BH4B=192.0.2.98 BH6B=2001:db8:77::98
	B4=192.0.2.2 B4C=192.0.2.3 B6=2001:db8:77::b B6C=2001:db8:77::c
	export BH4B BH6B B4 B4C B6 B6C
	ip -n "$NS_B" addr add "$B4C/24" dev vethB || { NS_WHY="ip addr add $B4C"; return 1; }
	ip -n "$NS_B" -6 addr add "$B6C/64" dev vethB nodad || { NS_WHY="ip addr add $B6C"; return 1; }
	ip -n "$NS_A" neigh replace "$BH4B" lladdr "$MAC_B" dev vethA nud permanent
	ip -n "$NS_A" -6 neigh replace "$BH6B" lladdr "$MAC_B" dev vethA nud permanent
	for ((i = 0; i < 100; i++)); do
		[ -z "$(ip -n "$NS_B" -6 addr show dev vethB tentative)" ] && break
		sleep 0.05
	done
	cat >> "/etc/netns/$NS_A/hosts" <<-EOF
	$BH6 bhsys.dnt.test
	$B4 bhsys.dnt.test
	EOF
	ZONE="$BATS_FILE_TMPDIR/race.zone"
	cat > "$ZONE" <<-EOF
	dual.race.test     AAAA $B6
	dual.race.test     A    $B4
	bh6.race.test      AAAA $BH6
	bh6.race.test      A    $B4
	slow6.race.test    AAAA $B6 delay=400
	slow6.race.test    A    $B4
	slow6bh4.race.test AAAA $B6 delay=400
	slow6bh4.race.test A    $BH4
	slow4.race.test    AAAA $B6
	slow4.race.test    A    $B4 delay=400
	slow4bh6.race.test AAAA $BH6
	slow4bh6.race.test A    $B4 delay=400
	nodata6.race.test  AAAA nodata
	nodata6.race.test  A    $B4
	nodata4.race.test  AAAA $B6
	nodata4.race.test  A    nodata
	nx6.race.test      AAAA nxdomain
	nx6.race.test      A    $B4
	fail6.race.test    AAAA servfail
	fail6.race.test    A    $B4
	drop6.race.test    AAAA drop
	drop6.race.test    A    $B4
	several.race.test  AAAA $BH6 $BH6B $B6C
	several.race.test  A    $BH4 $B4C
	allbh.race.test    AAAA $BH6 $BH6B
	allbh.race.test    A    $BH4 $BH4B
	allref.race.test   AAAA $B6 $B6C
	allref.race.test   A    $B4 $B4C
	severals.race.test AAAA $BH6 $BH6B $B6C delay=100
	severals.race.test A    $BH4 $B4C
	allbhs.race.test   AAAA $BH6 $BH6B delay=100
	allbhs.race.test   A    $BH4 $BH4B
	allrefs.race.test  AAAA $B6 $B6C delay=100
	allrefs.race.test  A    $B4 $B4C
	late6.race.test    AAAA $B6 delay=400
	late6.race.test    A    $BH4 $BH4B $B4
	four.race.test     AAAA $B6 $B6C
	four.race.test     A    $B4 $B4C
	only6.race.test    AAAA $B6
	only4.race.test    A    $B4
	empty.race.test    ANY  nodata
	silent.race.test   ANY  drop
	gone.race.test     ANY  nxdomain
	unroute.race.test  AAAA 2001:db8:99::1 $B6
	unroute.race.test  A    203.0.113.1 $B4
	broken.race.test   ANY  servfail
	EOF
	export ZONE
	if ! dnsd_start "$NS_A" "$ZONE" 127.0.0.1 53; then
		NS_WHY="dnsd.py did not start on 127.0.0.1:53 in $NS_A"
		return 1
	fi
	DNSD53_PID=$DNSD_PID DNSD53_LOG=$DNSD_LOG
	export DNSD53_PID DNSD53_LOG
}

setup() {
	dn_ns_setup
}

teardown() {
	dn_kill_all
	dn_dump_logs
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "${T:-/nonexistent}/trace" ]; then
		echo "# dnconnect stderr:"
		sed 's/^/#   /' "$T/trace"
	fi
}

# --- helpers ------------------------------------------------------------------

# The *s names (severals, allbhs, allrefs) answer AAAA 100 ms after A; with
# SYNC, the race waits for it (RFC 8305 §3 resolution delay), so both
# families are known before the first attempt and the order is the same
# on every run. Otherwise the AAAA answer, usually first, starts IPv6
# attempts before A is in, and a refused one moves on to the next IPv6.
SYNC=(--resolution-delay 2000)

# A port of B that refuses on every address.
closed_b() { DN_LNS=$NS_B dn_closed_port --dual-stack :: 0; }

# [a]:p for IPv6, a:p for IPv4, as the programs print addresses.
ap() { case $1 in *:*) printf '[%s]:%s\n' "$1" "$2" ;; *) printf '%s:%s\n' "$1" "$2" ;; esac; }

# trace ARGS...: dnconnect -v ARGS in A, stdin /dev/null; status, output
# (stdout), stderr as from `run`, the trace also in $T/trace.
trace() {
	run --separate-stderr dnc -v "$@" < /dev/null
	printf '%s\n' "$stderr" > "$T/trace"
}

# jtrace ARGS...: the same with --json; the events in $T/trace.
jtrace() {
	run --separate-stderr dnc --json "$@" < /dev/null
	printf '%s\n' "$stderr" > "$T/trace"
}

# The addresses of the "connecting to" lines, in order, one a line.
connecting() { sed -n 's/.* connecting to \([^ ]*\).*/\1/p' "$T/trace"; }

# is_seq GOT WANT...: GOT (lines) is exactly WANT, one a line.
is_seq() {
	local got=$1 want
	shift
	want=$(printf '%s\n' "$@")
	[ "$got" = "$want" ] && return 0
	echo "got:" >&2
	printf '%s\n' "$got" | sed 's/^/  /' >&2
	echo "want:" >&2
	printf '%s\n' "$want" | sed 's/^/  /' >&2
	return 1
}

# line_of FIXED: number of the first trace line holding FIXED (0: none).
line_of() { local n; n=$(grep -nF -m1 -- "$1" "$T/trace" | cut -d: -f1); echo "${n:-0}"; }

# before A B: the first trace line with A comes before the first with B
# (both present).
before() {
	local a b
	a=$(line_of "$1") b=$(line_of "$2")
	if [ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ "$a" -lt "$b" ]; then
		return 0
	fi
	echo "want '$1' (line $a) before '$2' (line $b)" >&2
	return 1
}

# absent FIXED: no trace line holds FIXED.
absent() {
	! grep -qF -- "$1" "$T/trace" && return 0
	echo "trace has '$1' and should not" >&2
	return 1
}

# won ADDR:PORT: the trace says connected to it, and B says it was reached
# there (listen_both's answer on stdout).
won() {
	[ "$status" = 0 ] || { echo "exit status $status, want 0" >&2; return 1; }
	[ "$(dn_connected_peer "$(cat "$T/trace")")" = "$1" ] ||
	    { echo "connected to '$(dn_connected_peer "$(cat "$T/trace")")', want $1" >&2; return 1; }
	# a dual-stack listener sees IPv4 as v4-mapped
	local seen=$output
	case $seen in '[::ffff:'*.*']:'*) seen=${seen#'[::ffff:'}; seen=${seen/]:/:} ;; esac
	[ "$seen" = "$1" ] || { echo "B says reached at '$output', want $1" >&2; return 1; }
}

# jseq: the --json events of $T/trace as "EVENT DETAIL" lines (checks each
# line is a JSON object starting with event, time).
jseq() {
	dn_json_events "$T/trace" > /dev/null || return 1
	python3 - "$T/trace" <<-'PY'
	import json, sys
	for line in open(sys.argv[1], encoding="utf-8"):
	    if not line.strip():
	        continue
	    o = json.loads(line)
	    ev = o["event"]
	    if ev == "resolving":
	        d = o["family"]
	    elif ev == "resolved":
	        d = o["family"] + " " + (",".join(o["addresses"]) if "addresses" in o else o["code"])
	    elif ev == "connecting":
	        d = o["address"]
	    elif ev in ("attempt_failed", "attempt_canceled"):
	        d = o["address"] + " " + o["code"]
	    elif ev == "connected":
	        d = o["peer"]
	    elif ev == "error":
	        d = "%s %s" % (o["code"], o["exit"])
	    else:
	        d = ""
	    print(("%s %s" % (ev, d)).rstrip())
	PY
}

# attempts_are WANT...: the connecting, attempt_* and connected events of
# the --json trace, in order, are exactly WANT (all events in $T/seq).
attempts_are() {
	jseq > "$T/seq" || return 1
	is_seq "$(grep -E '^(connecting|attempt_|connected)' "$T/seq")" "$@"
}

# The dnsd log lines for queries of NAME (type and answer).
queries() { grep -F " query $1 " "$DNSD53_LOG" || true; }

# --- the usual case -------------------------------------------------------------

@test "dual-stack name: AAAA and A asked separately, IPv6 first and it wins" {
	listen_both
	trace dual.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	[ "$(connecting | head -n1)" = "$(ap "$B6" "$LPORT")" ]
	before "resolving dual.race.test (IPv6)" "resolving dual.race.test (IPv4)"
	queries dual.race.test > "$T/q"
	grep -q " AAAA from " "$T/q"
	grep -q " A from " "$T/q"
}

@test "dual-stack name, --json: AAAA asked first, events in order, IPv6 wins" {
	listen_both
	jtrace dual.race.test "$LPORT"
	[ "$status" = 0 ]
	jseq > "$T/seq"
	is_seq "$(head -n2 "$T/seq")" "resolving ipv6" "resolving ipv4"
	grep -qxF "resolved ipv6 $B6" "$T/seq"
	is_seq "$(grep -E '^(connecting|connected)' "$T/seq" | head -n2)" \
	    "connecting $(ap "$B6" "$LPORT")" "connected $(ap "$B6" "$LPORT")"
	[ "$(dn_json_get "$T/trace" connected peer)" = "$(ap "$B6" "$LPORT")" ]
	[[ $(dn_json_get "$T/trace" connected local) =~ ^\[2001:db8:77::a\]:[0-9]+$ ]]
	[ "$(tail -n1 "$T/seq")" = "closed" ]
}

# --- black holes and refusals ---------------------------------------------------

@test "black-holed IPv6 falls back to IPv4 after the attempt delay" {
	listen_both
	trace bh6.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
	grep -qF "attempt $(ap "$BH6" "$LPORT") cancelled: " "$T/trace"
	before "connecting to $(ap "$B4" "$LPORT")" "connected "
}

@test "black-holed IPv6, --json: the IPv6 attempt is cancelled when IPv4 wins" {
	listen_both
	jtrace bh6.race.test "$LPORT"
	[ "$status" = 0 ]
	attempts_are \
	    "connecting $(ap "$BH6" "$LPORT")" \
	    "connecting $(ap "$B4" "$LPORT")" \
	    "attempt_canceled $(ap "$BH6" "$LPORT") ECANCELED" \
	    "connected $(ap "$B4" "$LPORT")"
}

@test "refused IPv6 moves on to IPv4 at once (not after --delay)" {
	# B serves IPv4 only: the same port on B6 refuses. An overall -w 1
	# shorter than --delay 2000 leaves IPv4 no time unless the refusal
	# starts it.
	listen_b -k -e 'printf "%s" "$DN_LOCAL"' "$B4" 0
	trace -w 1 --delay 2000 dual.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B6" "$LPORT")" "$(ap "$B4" "$LPORT")"
	grep -qF "attempt $(ap "$B6" "$LPORT") failed: " "$T/trace"
	before "attempt $(ap "$B6" "$LPORT") failed" "connecting to $(ap "$B4" "$LPORT")"
}

@test "refused IPv6, --json: attempt_failed EREFUSED, then IPv4 connects" {
	listen_b -k -e 'printf "%s" "$DN_LOCAL"' "$B4" 0
	jtrace dual.race.test "$LPORT"
	[ "$status" = 0 ]
	attempts_are \
	    "connecting $(ap "$B6" "$LPORT")" \
	    "attempt_failed $(ap "$B6" "$LPORT") EREFUSED" \
	    "connecting $(ap "$B4" "$LPORT")" \
	    "connected $(ap "$B4" "$LPORT")"
}

@test "several black holes: interleaved, each cancelled, the first live one wins" {
	listen_both
	trace "${SYNC[@]}" severals.race.test "$LPORT"
	won "$(ap "$B4C" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$BH4" "$LPORT")" \
	    "$(ap "$BH6B" "$LPORT")" "$(ap "$B4C" "$LPORT")"
	grep -qF "attempt $(ap "$BH6" "$LPORT") cancelled: " "$T/trace"
	grep -qF "attempt $(ap "$BH4" "$LPORT") cancelled: " "$T/trace"
	grep -qF "attempt $(ap "$BH6B" "$LPORT") cancelled: " "$T/trace"
	absent "connecting to $(ap "$B6C" "$LPORT")"
}

@test "everything black-holed, -w 1: 75, one line naming every address" {
	closed_b	# any port: black holes never answer
	run -75 --separate-stderr dnc "${SYNC[@]}" -w 1 --delay 100 allbhs.race.test "$CLOSED_PORT" < /dev/null
	assert_one_line_error dnconnect allbhs.race.test \
	    "$(ap "$BH6" "$CLOSED_PORT")" "$(ap "$BH4" "$CLOSED_PORT")" \
	    "$(ap "$BH6B" "$CLOSED_PORT")" "$(ap "$BH4B" "$CLOSED_PORT")"
}

@test "everything black-holed, --attempt-timeout 0.2: 75, every address named" {
	run -75 --separate-stderr dnc --attempt-timeout 0.2 allbh.race.test 80 < /dev/null
	assert_one_line_error dnconnect allbh.race.test \
	    "$(ap "$BH6" 80)" "$(ap "$BH4" 80)" "$(ap "$BH6B" 80)" "$(ap "$BH4B" 80)"
}

@test "everything black-holed, --json: four attempts, error ETIMEDOUT 75" {
	jtrace "${SYNC[@]}" -w 1 --delay 100 allbhs.race.test 80
	[ "$status" = 75 ]
	jseq > "$T/seq"
	is_seq "$(grep '^connecting' "$T/seq")" "connecting $(ap "$BH6" 80)" \
	    "connecting $(ap "$BH4" 80)" "connecting $(ap "$BH6B" 80)" \
	    "connecting $(ap "$BH4B" 80)"
	[ "$(grep -c '^attempt_canceled .* ETIMEDOUT$' "$T/seq")" = 4 ]
	[ "$(tail -n1 "$T/seq")" = "error ETIMEDOUT 75" ]
	local msg
	msg=$(dn_json_get "$T/trace" error message)
	for a in "$BH6" "$BH4" "$BH6B" "$BH4B"; do
		[[ $msg == *"$(ap "$a" 80)"* ]] || { echo "message misses $a: $msg" >&2; false; }
	done
}

@test "everything refused: 69, one line naming every address" {
	closed_b
	run -69 --separate-stderr dnc allref.race.test "$CLOSED_PORT" < /dev/null
	assert_one_line_error dnconnect allref.race.test \
	    "$(ap "$B6" "$CLOSED_PORT")" "$(ap "$B4" "$CLOSED_PORT")" \
	    "$(ap "$B6C" "$CLOSED_PORT")" "$(ap "$B4C" "$CLOSED_PORT")" refused
}

@test "everything refused, -v: each refusal starts the next attempt at once" {
	closed_b
	# --delay 2000 and -w 1: four attempts only fit if failures chain them
	trace "${SYNC[@]}" -w 1 --delay 2000 allrefs.race.test "$CLOSED_PORT"
	[ "$status" = 69 ]
	local p=$CLOSED_PORT
	is_seq "$(sed -n -e 's/.* connecting to \([^ ]*\)$/c \1/p' \
	    -e 's/.* attempt \([^ ]*\) failed: .*/f \1/p' "$T/trace")" \
	    "c $(ap "$B6" "$p")" "f $(ap "$B6" "$p")" "c $(ap "$B4" "$p")" "f $(ap "$B4" "$p")" \
	    "c $(ap "$B6C" "$p")" "f $(ap "$B6C" "$p")" "c $(ap "$B4C" "$p")" "f $(ap "$B4C" "$p")"
	[ "$(tail -n1 "$T/trace" | grep -c "^dnconnect: no connection to allrefs.race.test")" = 1 ]
}

@test "refused and black-holed mixed, every attempt over: 69 (something answered)" {
	closed_b
	# bh6 is BH6 then B4 (refused); --attempt-timeout ends BH6
	run -69 --separate-stderr dnc --attempt-timeout 0.5 bh6.race.test "$CLOSED_PORT" < /dev/null
	assert_one_line_error dnconnect "$(ap "$BH6" "$CLOSED_PORT")" "$(ap "$B4" "$CLOSED_PORT")"
}

# --- slow, negative and missing answers -------------------------------------------

@test "slow AAAA (400 ms): IPv4 starts after the resolution delay and wins" {
	listen_both
	# -w 0.3 ends the run before the AAAA answer can come: waiting for it
	# would time out.
	trace -w 0.3 slow6.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	[ "$(connecting | head -n1)" = "$(ap "$B4" "$LPORT")" ]
	before "resolved slow6.race.test: $B4" "connecting to $(ap "$B4" "$LPORT")"
	absent "resolved slow6.race.test: $B6"
	queries slow6.race.test | grep -q " AAAA from .* after 400 ms"
}

@test "slow AAAA, black-holed A: the late IPv6 address joins the race and wins" {
	listen_both
	trace slow6bh4.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH4" "$LPORT")" "$(ap "$B6" "$LPORT")"
	before "resolved slow6bh4.race.test: $B6" "connecting to $(ap "$B6" "$LPORT")"
	grep -qF "attempt $(ap "$BH4" "$LPORT") cancelled: " "$T/trace"
}

@test "slow AAAA, --resolution-delay 1000: waits for AAAA, starts on its arrival" {
	listen_both
	# AAAA comes at 0.4 s: IPv6 first, and before the 1 s resolution
	# delay ends (-w 0.9)
	trace -w 0.9 --resolution-delay 1000 slow6.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	[ "$(connecting | head -n1)" = "$(ap "$B6" "$LPORT")" ]
	before "resolved slow6.race.test: $B6" "connecting to "
}

@test "slow AAAA, --resolution-delay 0: IPv4 starts on the A answer" {
	listen_both
	trace -w 0.3 --resolution-delay 0 slow6.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B4" "$LPORT")"
}

@test "slow A (400 ms): IPv6 starts at once and wins; the A answer is not awaited" {
	listen_both
	trace -w 0.3 slow4.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B6" "$LPORT")"
	absent "resolved slow4.race.test: $B4"
}

@test "slow A, black-holed AAAA: IPv4 starts as soon as A arrives and wins" {
	listen_both
	trace slow4bh6.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
	before "connecting to $(ap "$BH6" "$LPORT")" "resolved slow4bh6.race.test: $B4"
	before "resolved slow4bh6.race.test: $B4" "connecting to $(ap "$B4" "$LPORT")"
	grep -qF "attempt $(ap "$BH6" "$LPORT") cancelled: " "$T/trace"
}

@test "a late AAAA answer takes its interleaved place: next after the IPv4 in flight" {
	# A: BH4 BH4B B4 at once, AAAA B6 at 0.4 s. IPv4 starts after the
	# resolution delay (BH4, then BH4B at +250 ms); B6 arrives while BH4B
	# is the latest attempt, so it comes before B4.
	listen_both
	trace late6.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH4" "$LPORT")" "$(ap "$BH4B" "$LPORT")" "$(ap "$B6" "$LPORT")"
	before "resolved late6.race.test: $B6" "connecting to $(ap "$B6" "$LPORT")"
}

# neg6 NAME: a negative AAAA answer; IPv4 goes at once. --resolution-delay
# 10000 with -w 1: only the negative answer can end the wait for AAAA.
neg6() {
	listen_both
	trace -w 1 --resolution-delay 10000 "$1" "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B4" "$LPORT")"
	before "resolving $1 failed: " "connecting to $(ap "$B4" "$LPORT")"
}

@test "NODATA for AAAA: IPv4 at once" {
	neg6 nodata6.race.test
	jtrace nodata6.race.test "$LPORT"
	[ "$status" = 0 ]
	jseq > "$T/seq"
	grep -qxF "resolved ipv6 ENODATA" "$T/seq"
	grep -qxF "resolved ipv4 $B4" "$T/seq"
}

@test "NXDOMAIN for AAAA: IPv4 at once" {
	neg6 nx6.race.test
}

@test "SERVFAIL for AAAA: IPv4 at once" {
	neg6 fail6.race.test
	jtrace fail6.race.test "$LPORT"
	jseq > "$T/seq"
	# c-ares 1.18 reports a SERVFAIL from every server as ECONNREFUSED,
	# which resolve.c maps to EDNSTIMEOUT (see req_fail_status)
	grep -qxE "resolved ipv6 (ESERVFAIL|EDNSTIMEOUT)" "$T/seq"
}

@test "AAAA never answered: IPv4 after the resolution delay, not the DNS timeout" {
	listen_both
	# resolv.conf gives the server 1 s; -w 0.8 fails if the race waits
	trace -w 0.8 drop6.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B4" "$LPORT")"
}

# resolv.conf (ns_make) says "options timeout:1 attempts:1"; DN_TIMEOUT
# bounds the run at 15 times that.
@test "a silent name server: 68 after resolv.conf's timeout, not a hang" {
	DN_TIMEOUT=15 run --separate-stderr dnc silent.race.test 80 < /dev/null
	[ "$status" = 68 ] || { echo "exit status $status, want 68 (124: killed after 15 s): $stderr" >&2; false; }
	assert_one_line_error dnconnect silent.race.test
}

@test "a silent name server, --resolver system: 68 after resolv.conf's timeout" {
	DN_TIMEOUT=15 run --separate-stderr dnc --resolver system silent.race.test 80 < /dev/null
	[ "$status" = 68 ] || { echo "exit status $status, want 68 (124: killed after 15 s): $stderr" >&2; false; }
	assert_one_line_error dnconnect silent.race.test
}

@test "--plan with a silent AAAA server: the IPv4 plan after resolv.conf's timeout" {
	DN_TIMEOUT=15 run --separate-stderr dnc --plan drop6.race.test 80 < /dev/null
	[ "$status" = 0 ] || { echo "exit status $status, want 0 (124: killed after 15 s): $stderr" >&2; false; }
	is_seq "$output" "1 +0.000s $B4:80"
}

@test "NODATA for A: IPv6 alone" {
	listen_both
	trace nodata4.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B6" "$LPORT")"
}

@test "no address of either family: 68 naming the name (NODATA, NXDOMAIN, SERVFAIL)" {
	local n
	for n in empty.race.test gone.race.test broken.race.test nosuch.race.test; do
		run -68 --separate-stderr dnc "$n" 80 < /dev/null
		assert_one_line_error dnconnect "$n"
	done
	jtrace gone.race.test 80
	[ "$status" = 68 ]
	[ "$(jseq | tail -n1)" = "error ENONAME 68" ]
}

# --- race modes ---------------------------------------------------------------------

@test "--race concurrent: every address starts at once (-w 1 < --delay 2000)" {
	listen_both
	trace "${SYNC[@]}" --race concurrent --delay 2000 -w 1 severals.race.test "$LPORT"
	[ "$status" = 0 ]
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$BH4" "$LPORT")" \
	    "$(ap "$BH6B" "$LPORT")" "$(ap "$B4C" "$LPORT")" "$(ap "$B6C" "$LPORT")"
	before "connecting to $(ap "$B6C" "$LPORT")" "connected "
	local peer
	peer=$(dn_connected_peer "$(cat "$T/trace")")
	[ "$peer" = "$(ap "$B4C" "$LPORT")" ] || [ "$peer" = "$(ap "$B6C" "$LPORT")" ]
	won "$peer"
	grep -qF "attempt $(ap "$BH6" "$LPORT") cancelled: " "$T/trace"
}

@test "--race concurrent --max-concurrent 2: two in flight, no more" {
	trace "${SYNC[@]}" --race concurrent --max-concurrent 2 -w 1 allbhs.race.test 80
	[ "$status" = 75 ]
	is_seq "$(connecting)" "$(ap "$BH6" 80)" "$(ap "$BH4" 80)"
}

@test "staggered --max-concurrent 1: the next waits for the one in flight" {
	trace --max-concurrent 1 --delay 100 -w 1 allbh.race.test 80
	[ "$status" = 75 ]
	is_seq "$(connecting)" "$(ap "$BH6" 80)"
}

@test "--race serial --attempt-timeout 0.2: one at a time, each ended before the next" {
	listen_both
	trace "${SYNC[@]}" --race serial --attempt-timeout 0.2 severals.race.test "$LPORT"
	won "$(ap "$B4C" "$LPORT")"
	local p=$LPORT
	is_seq "$(sed -n -e 's/.* connecting to \([^ ]*\)$/c \1/p' \
	    -e 's/.* attempt \([^ ]*\) \(failed\|cancelled\): .*/x \1/p' \
	    -e 's/.* connected [^ ]* -> \(.*\)$/w \1/p' "$T/trace")" \
	    "c $(ap "$BH6" "$p")" "x $(ap "$BH6" "$p")" "c $(ap "$BH4" "$p")" "x $(ap "$BH4" "$p")" \
	    "c $(ap "$BH6B" "$p")" "x $(ap "$BH6B" "$p")" "c $(ap "$B4C" "$p")" "w $(ap "$B4C" "$p")"
}

@test "--race serial without an attempt timeout waits on the first (-w 1: 75)" {
	trace --race serial -w 1 allbh.race.test 80
	[ "$status" = 75 ]
	is_seq "$(connecting)" "$(ap "$BH6" 80)"
	grep -qF "$(ap "$BH6" 80)" <<< "$(tail -n1 "$T/trace")"
}

@test "--race serial, everything refused: 69, in order" {
	closed_b
	trace "${SYNC[@]}" --race serial allrefs.race.test "$CLOSED_PORT"
	[ "$status" = 69 ]
	local p=$CLOSED_PORT
	is_seq "$(connecting)" "$(ap "$B6" "$p")" "$(ap "$B4" "$p")" "$(ap "$B6C" "$p")" "$(ap "$B4C" "$p")"
}

@test "racing numbers out of range: 64 naming the option" {
	local o
	for o in "--delay 9" "--delay 2001" "--resolution-delay 10001" \
	    "--max-concurrent 0" "--first-family-count 0" "--attempt-timeout -1" \
	    "--delay soon"; do
		# shellcheck disable=SC2086 # option and value, split
		run -64 --separate-stderr dnc $o dual.race.test 80 < /dev/null
		assert_one_line_error dnconnect "${o%% *}"
	done
}

@test "--race with a bad mode: 64" {
	run -64 --separate-stderr dnc --race sideways dual.race.test 80
	assert_one_line_error dnconnect sideways
}

# --- orders and families --------------------------------------------------------------

# order_is ORDER-ARGS... -- WANT...: every address refused; the attempts
# in the WANT order (@P is the port).
order_is() {
	local args=() w want=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	closed_b
	for w; do want+=("${w//@P/$CLOSED_PORT}"); done
	trace "${SYNC[@]}" "${args[@]}" allrefs.race.test "$CLOSED_PORT"
	[ "$status" = 69 ]
	is_seq "$(connecting)" "${want[@]}"
}

@test "--order interleave (default): v6, v4, v6, v4" {
	order_is --order interleave -- "[$B6]:@P" "$B4:@P" "[$B6C]:@P" "$B4C:@P"
	order_is -- "[$B6]:@P" "$B4:@P" "[$B6C]:@P" "$B4C:@P"
}

@test "--order v6-first: every IPv6 address, then IPv4" {
	order_is --order v6-first -- "[$B6]:@P" "[$B6C]:@P" "$B4:@P" "$B4C:@P"
}

@test "--order v4-first: every IPv4 address, then IPv6" {
	order_is --order v4-first -- "$B4:@P" "$B4C:@P" "[$B6]:@P" "[$B6C]:@P"
}

@test "--first-family-count 2: two IPv6 before alternating" {
	order_is --first-family-count 2 -- "[$B6]:@P" "[$B6C]:@P" "$B4:@P" "$B4C:@P"
}

@test "--order v4-first on a dual-stack name: IPv4 first and it wins" {
	listen_both
	trace --order v4-first dual.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	[ "$(connecting | head -n1)" = "$(ap "$B4" "$LPORT")" ]
}

@test "--order resolver keeps the answer's order; interleave sorts (RFC 6724 rule 1)" {
	# unroute: AAAA 2001:db8:99::1 (no route from A) before B6, A
	# 203.0.113.1 (no route) before B4
	run -0 --separate-stderr dnc --plan --order resolver unroute.race.test 80
	is_seq "$(cut -d' ' -f3 <<< "$output")" "[2001:db8:99::1]:80" "[$B6]:80" \
	    "203.0.113.1:80" "$B4:80"
	run -0 --separate-stderr dnc --plan unroute.race.test 80
	is_seq "$(cut -d' ' -f3 <<< "$output")" "[$B6]:80" "$B4:80" \
	    "[2001:db8:99::1]:80" "203.0.113.1:80"
}

@test "--order with a bad value: 64" {
	run -64 --separate-stderr dnc --order random dual.race.test 80
	assert_one_line_error dnconnect random
}

@test "-4: IPv4 only, the AAAA question is not asked" {
	listen_both
	trace -4 dual.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B4" "$LPORT")"
	absent "resolving dual.race.test (IPv6)"
}

@test "-6: IPv6 only, the A question is not asked" {
	listen_both
	trace -6 bh6.race.test "$LPORT" -w 0.5
	[ "$status" = 75 ]
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")"
	absent "resolving bh6.race.test (IPv4)"
	trace -6 dual.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
}

@test "-4 on an IPv6-only name and -6 on an IPv4-only name: 68" {
	run -68 --separate-stderr dnc -4 only6.race.test 80 < /dev/null
	assert_one_line_error dnconnect only6.race.test
	run -68 --separate-stderr dnc -6 only4.race.test 80 < /dev/null
	assert_one_line_error dnconnect only4.race.test
}

@test "a name with one family races it alone" {
	listen_both
	trace only4.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	trace only6.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
}

# --- --plan ---------------------------------------------------------------------------

# plan ARGS...: dnconnect --plan ARGS in A; status, output, stderr.
plan() { run --separate-stderr dnc --plan "$@" < /dev/null; }

@test "--plan: N +S.SSSs ADDR per attempt, the default delays, nothing else" {
	plan four.race.test 80
	[ "$status" = 0 ]
	is_seq "$output" "1 +0.000s [$B6]:80" "2 +0.250s $B4:80" \
	    "3 +0.500s [$B6C]:80" "4 +0.750s $B4C:80"
	[ -z "$stderr" ]
}

@test "--plan does not connect" {
	listen_b -k -v :: 0
	plan -v four.race.test "$LPORT"
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 4 ]
	! grep -q "connecting to" <<< "$stderr" || false
	grep -q "resolved four.race.test" <<< "$stderr"
	# a real connection afterwards shows up, so the listener would have
	run -0 --separate-stderr dnc -z "$B4" "$LPORT"
	dn_wait_for "$LERR" "connection from" 10
	[ "$(grep -c "connection from" "$LERR")" = 1 ]
}

@test "--plan follows --delay, --race and the timeouts" {
	plan --delay 100 four.race.test 80
	is_seq "$(cut -d' ' -f1,2 <<< "$output")" "1 +0.000s" "2 +0.100s" "3 +0.200s" "4 +0.300s"
	plan --race concurrent four.race.test 80
	is_seq "$(cut -d' ' -f1,2 <<< "$output")" "1 +0.000s" "2 +0.000s" "3 +0.000s" "4 +0.000s"
	plan --race concurrent --max-concurrent 2 --attempt-timeout 1 four.race.test 80
	is_seq "$(cut -d' ' -f1,2 <<< "$output")" "1 +0.000s" "2 +0.000s" "3 +1.000s" "4 +1.000s"
	plan --race serial --attempt-timeout 0.5 four.race.test 80
	is_seq "$(cut -d' ' -f1,2 <<< "$output")" "1 +0.000s" "2 +0.500s" "3 +1.000s" "4 +1.500s"
	plan --race serial four.race.test 80
	is_seq "$output" "1 +0.000s [$B6]:80" "2 never $B4:80" "3 never [$B6C]:80" "4 never $B4C:80"
	plan -w 0.6 four.race.test 80
	is_seq "$(cut -d' ' -f1,2 <<< "$output")" "1 +0.000s" "2 +0.250s" "3 +0.500s" "4 never"
}

@test "--plan follows --order, --first-family-count, -4 and -6" {
	plan --order v6-first several.race.test 80
	is_seq "$(cut -d' ' -f3 <<< "$output")" "[$BH6]:80" "[$BH6B]:80" "[$B6C]:80" "$BH4:80" "$B4C:80"
	plan --order v4-first several.race.test 80
	is_seq "$(cut -d' ' -f3 <<< "$output")" "$BH4:80" "$B4C:80" "[$BH6]:80" "[$BH6B]:80" "[$B6C]:80"
	plan --first-family-count 2 several.race.test 80
	is_seq "$(cut -d' ' -f3 <<< "$output")" "[$BH6]:80" "[$BH6B]:80" "$BH4:80" "[$B6C]:80" "$B4C:80"
	plan several.race.test 80
	is_seq "$(cut -d' ' -f3 <<< "$output")" "[$BH6]:80" "$BH4:80" "[$BH6B]:80" "$B4C:80" "[$B6C]:80"
	plan -4 four.race.test 80
	is_seq "$output" "1 +0.000s $B4:80" "2 +0.250s $B4C:80"
	plan -6 four.race.test 80
	is_seq "$output" "1 +0.000s [$B6]:80" "2 +0.250s [$B6C]:80"
}

@test "--plan --json: one object per attempt on stdout" {
	plan --json --race serial --attempt-timeout 0.5 several.race.test 80
	[ "$status" = 0 ]
	printf '%s\n' "$output" > "$T/plan.json"
	python3 - "$T/plan.json" "$BH6" "$BH4" "$BH6B" "$B4C" "$B6C" <<-'PY'
	import json, sys
	want = sys.argv[2:]
	got = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	assert len(got) == len(want), got
	for i, (o, a) in enumerate(zip(got, want)):
	    assert list(o) == ["attempt", "start", "family", "address"], o
	    assert o["attempt"] == i + 1, o
	    assert abs(o["start"] - 0.5 * i) < 1e-9, o
	    fam = "ipv6" if ":" in a else "ipv4"
	    assert o["family"] == fam, o
	    assert o["address"] == ("[%s]:80" % a if fam == "ipv6" else "%s:80" % a), o
	PY
	plan --json --race serial four.race.test 80
	printf '%s\n' "$output" > "$T/plan.json"
	python3 - "$T/plan.json" <<-'PY'
	import json, sys
	got = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	assert [o["start"] for o in got] == [0, None, None, None], got
	PY
}

@test "--plan with a literal, and a name that does not resolve (68)" {
	plan "$B4" 80
	is_seq "$output" "1 +0.000s $B4:80"
	plan "[$B6]:80"
	is_seq "$output" "1 +0.000s [$B6]:80"
	plan gone.race.test 80
	[ "$status" = 68 ]
	assert_one_line_error dnconnect gone.race.test
}

@test "--plan with a description: 64" {
	plan "hostname:host=dual.race.test:port=80"
	[ "$status" = 64 ]
	assert_one_line_error dnconnect --plan
}

# --- resolvers ------------------------------------------------------------------------

@test "--resolver system: names from the namespace's hosts file, IPv6 first" {
	listen_both
	trace --resolver system both.dnt.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	[ "$(connecting | head -n1)" = "$(ap "$B6" "$LPORT")" ]
	[ -z "$(queries both.dnt.test)" ]
}

@test "--resolver system: a black-holed IPv6 address from hosts falls back to IPv4" {
	listen_both
	trace --resolver system bhsys.dnt.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
	grep -qF "attempt $(ap "$BH6" "$LPORT") cancelled: " "$T/trace"
	[ -z "$(queries bhsys.dnt.test)" ]
}

@test "--resolver system: DNS through the namespace's resolv.conf (slow AAAA, NODATA)" {
	listen_both
	trace --resolver system -w 0.3 slow6.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B4" "$LPORT")"
	trace --resolver system nodata6.race.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	grep -q "resolving nodata6.race.test failed: " "$T/trace"
	trace --resolver system dual.race.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	run -68 --separate-stderr dnc --resolver system gone.race.test 80 < /dev/null
	assert_one_line_error dnconnect gone.race.test
}

@test "the default resolver (c-ares) also reads the namespace's hosts file" {
	listen_both
	trace bhsys.dnt.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
	[ -z "$(queries bhsys.dnt.test)" ]
}

@test "--resolver with a bad name: 64" {
	run -64 --separate-stderr dnc --resolver nis dual.race.test 80
	assert_one_line_error dnconnect nis
}

# A second responder, on a free port, that alone knows *.other.test.
other_dnsd() {
	cat > "$T/other.zone" <<-EOF
	both.other.test  AAAA $B6
	both.other.test  A    $B4
	slow6.other.test AAAA $B6 delay=400
	slow6.other.test A    $B4
	bh6.other.test   AAAA $BH6
	bh6.other.test   A    $B4
	EOF
	dnsd_start "$NS_A" "$T/other.zone" "${1:-127.0.0.1}"
}

@test "--dns-server ADDR:PORT: asks that server, not resolv.conf's" {
	listen_both
	other_dnsd
	trace --dns-server "127.0.0.1:$DNSD_PORT" both.other.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	grep -q " query both.other.test AAAA from " "$DNSD_LOG"
	grep -q " query both.other.test A from " "$DNSD_LOG"
	[ -z "$(queries both.other.test)" ]
	# resolv.conf's server does not know it
	run -68 --separate-stderr dnc both.other.test "$LPORT" < /dev/null
	assert_one_line_error dnconnect both.other.test
}

@test "--dns-server: the race rules hold with that server (slow AAAA, black hole)" {
	listen_both
	other_dnsd
	trace --dns-server "127.0.0.1:$DNSD_PORT" -w 0.3 slow6.other.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B4" "$LPORT")"
	trace --dns-server "127.0.0.1:$DNSD_PORT" bh6.other.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
}

@test "--dns-server [::1]:PORT, and a list whose first server is down" {
	listen_both
	other_dnsd ::1
	trace --dns-server "[::1]:$DNSD_PORT" both.other.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	local six=$DNSD_PORT
	# A UDP port nothing listens on answers with port unreachable: c-ares
	# moves on to the next server. One family at a time: with both, the
	# ICMP error reaches only the query that sends next on the shared
	# socket, and the other waits for its timeout (c-ares 1.18).
	other_dnsd 127.0.0.1
	dnsd_stop "$DNSD_PID"
	trace -6 --dns-server "127.0.0.1:$DNSD_PORT,[::1]:$six" both.other.test "$LPORT"
	won "$(ap "$B6" "$LPORT")"
	trace -4 --dns-server "127.0.0.1:$DNSD_PORT,[::1]:$six" both.other.test "$LPORT"
	won "$(ap "$B4" "$LPORT")"
}

@test "--dns-server with a bad address: 64" {
	run -64 --separate-stderr dnc --dns-server not-an-address dual.race.test 80
	assert_one_line_error dnconnect not-an-address
}

# --- hostname: descriptions -----------------------------------------------------------

@test "hostname: description races like HOST PORT (IPv6 first, black hole fallback)" {
	listen_both
	trace "hostname:host=dual.race.test:port=$LPORT"
	won "$(ap "$B6" "$LPORT")"
	trace "hostname:bh6.race.test:$LPORT"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
}

@test "hostname: family=v4 and family=v6" {
	listen_both
	trace "hostname:host=dual.race.test:port=$LPORT:family=v4"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$B4" "$LPORT")"
	absent "(IPv6)"
	trace "hostname:host=dual.race.test:port=$LPORT:family=v6"
	won "$(ap "$B6" "$LPORT")"
	absent "(IPv4)"
}

@test "hostname: race=concurrent:delay=2000 with timeout=1" {
	listen_both
	trace "hostname:host=bh6.race.test:port=$LPORT:race=concurrent:delay=2000:timeout=1"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
}

@test "hostname: order=v4-first:resolution-delay=2000, everything refused (69)" {
	closed_b
	trace "hostname:host=allrefs.race.test:port=$CLOSED_PORT:order=v4-first:resolution-delay=2000"
	[ "$status" = 69 ]
	local p=$CLOSED_PORT
	is_seq "$(connecting)" "$(ap "$B4" "$p")" "$(ap "$B4C" "$p")" "$(ap "$B6" "$p")" "$(ap "$B6C" "$p")"
	run -69 --separate-stderr dnc "hostname:host=allrefs.race.test:port=$p:order=v4-first" < /dev/null
	assert_one_line_error dnconnect "$(ap "$B4" "$p")" "$(ap "$B4C" "$p")" "$(ap "$B6" "$p")" "$(ap "$B6C" "$p")"
}

@test "hostname: race=serial:attempt-timeout=0.2, everything black-holed (75)" {
	trace "hostname:host=allbhs.race.test:port=80:race=serial:attempt-timeout=0.2:resolution-delay=2000"
	[ "$status" = 75 ]
	is_seq "$(connecting)" "[$BH6]:80" "$BH4:80" "[$BH6B]:80" "$BH4B:80"
	tail -n1 "$T/trace" | grep -F "[$BH6]:80" | grep -F "$BH4:80" | grep -F "[$BH6B]:80" | grep -qF "$BH4B:80"
}

@test "hostname: max-concurrent and first-family-count" {
	closed_b
	trace "hostname:host=allrefs.race.test:port=$CLOSED_PORT:first-family-count=2:resolution-delay=2000"
	[ "$status" = 69 ]
	local p=$CLOSED_PORT
	is_seq "$(connecting)" "$(ap "$B6" "$p")" "$(ap "$B6C" "$p")" "$(ap "$B4" "$p")" "$(ap "$B4C" "$p")"
	trace "hostname:host=allbhs.race.test:port=80:race=concurrent:max-concurrent=1:timeout=0.5:resolution-delay=2000"
	[ "$status" = 75 ]
	is_seq "$(connecting)" "[$BH6]:80"
}

@test "hostname: resolver=system reads the hosts file" {
	listen_both
	trace "hostname:host=bhsys.dnt.test:port=$LPORT:resolver=system"
	won "$(ap "$B4" "$LPORT")"
	is_seq "$(connecting)" "$(ap "$BH6" "$LPORT")" "$(ap "$B4" "$LPORT")"
}

@test "hostname: --json events, and a name that does not resolve (68)" {
	listen_both
	jtrace "hostname:host=slow4bh6.race.test:port=$LPORT"
	[ "$status" = 0 ]
	attempts_are \
	    "connecting $(ap "$BH6" "$LPORT")" \
	    "connecting $(ap "$B4" "$LPORT")" \
	    "attempt_canceled $(ap "$BH6" "$LPORT") ECANCELED" \
	    "connected $(ap "$B4" "$LPORT")"
	jtrace "hostname:host=gone.race.test:port=80"
	[ "$status" = 68 ]
	[ "$(jseq | tail -n1)" = "error ENONAME 68" ]
}

@test "hostname: bad keys and values: 64 naming them" {
	run -64 --separate-stderr dnc "hostname:host=dual.race.test:port=80:race=sideways"
	assert_one_line_error dnconnect sideways
	run -64 --separate-stderr dnc "hostname:host=dual.race.test:port=80:delay=5000"
	assert_one_line_error dnconnect delay
	run -64 --separate-stderr dnc "hostname:host=dual.race.test:port=80:family=v5"
	assert_one_line_error dnconnect v5
	run -64 --separate-stderr dnc "hostname:host=dual.race.test:port=80:colour=blue"
	assert_one_line_error dnconnect colour
}

# --- bind addresses per family ----------------------------------------------------------

@test "-b once per family: each attempt binds its own family's address" {
	closed_b
	trace "${SYNC[@]}" -b 192.0.2.1 -b 2001:db8:77::a allrefs.race.test "$CLOSED_PORT"
	[ "$status" = 69 ]
	local p=$CLOSED_PORT
	grep -qF "connecting to $(ap "$B6" "$p") from [2001:db8:77::a]:0" "$T/trace"
	grep -qF "connecting to $(ap "$B4" "$p") from 192.0.2.1:0" "$T/trace"
}
