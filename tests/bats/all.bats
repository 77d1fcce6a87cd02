#!/usr/bin/env bats
# all.bats - the all-interfaces port (dnlisten --all-interfaces, all:,
# dnudp -l --all-interfaces, udp-all:), access control (--allow, --deny)
# and connection limits (--max-conns, running out of descriptors), on a
# server host with two links, made anew for each test:
#
#   NS_S  s1 192.0.2.1/24    2001:db8:1::1/64 fe80::1  <-->  c1 .2 ::2 fe80::2  NS_C
#         s2 198.51.100.1/24 2001:db8:2::1/64 fe80::1  <-->  c2 .2 ::2 fe80::2
#
# The same link-local address, fe80::1, is on both of the server's links.

load helpers

setup_file() {
	NS_SKIP=
	ns_available || NS_SKIP="network namespaces unavailable: $NS_WHY"
	export NS_SKIP
}

teardown_file() {
	ns_teardown
}

setup() {
	[ -z "$NS_SKIP" ] || skip "$NS_SKIP"
	dn_require_programs
	dn_require_dgram
	T=$BATS_TEST_TMPDIR
	topo || { ns_teardown; skip "could not build the two-link topology: $NS_WHY"; }
	DN_X=(ip netns exec "$NS_C")	# dnc runs on the client
	DN_LNS=$NS_S			# listeners on the server
}

teardown() {
	dn_kill_all
	dn_dump_logs
	[ -n "${NS_S:-}" ] || return 0
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	rm -rf "/etc/netns/${NS_S:?}" "/etc/netns/${NS_C:?}"
}

topo() {
	local tag="dna-$$-$BATS_TEST_NUMBER" i
	NS_S="$tag-s" NS_C="$tag-c"
	ns_make "$NS_S" && ns_make "$NS_C" || { NS_WHY="ip netns add failed"; return 1; }
	for i in 1 2; do
		ip link add "s$i" netns "$NS_S" type veth peer name "c$i" netns "$NS_C" ||
		    { NS_WHY="no veth"; return 1; }
		ip -n "$NS_S" link set "s$i" addrgenmode none
		ip -n "$NS_C" link set "c$i" addrgenmode none
		ip -n "$NS_S" -6 addr add fe80::1/64 dev "s$i" nodad
		ip -n "$NS_C" -6 addr add fe80::2/64 dev "c$i" nodad
	done
	ip -n "$NS_S" addr add 192.0.2.1/24 dev s1
	ip -n "$NS_C" addr add 192.0.2.2/24 dev c1
	ip -n "$NS_S" addr add 198.51.100.1/24 dev s2
	ip -n "$NS_C" addr add 198.51.100.2/24 dev c2
	ip -n "$NS_S" -6 addr add 2001:db8:1::1/64 dev s1 nodad
	ip -n "$NS_C" -6 addr add 2001:db8:1::2/64 dev c1 nodad
	ip -n "$NS_S" -6 addr add 2001:db8:2::1/64 dev s2 nodad
	ip -n "$NS_C" -6 addr add 2001:db8:2::2/64 dev c2 nodad
	for i in 1 2; do
		ip -n "$NS_S" link set "s$i" up
		ip -n "$NS_C" link set "c$i" up
	done
	for ((i = 0; i < 100; i++)); do
		ip -n "$NS_S" link show s1 | grep -q LOWER_UP &&
		ip -n "$NS_S" link show s2 | grep -q LOWER_UP && return 0
		sleep 0.05
	done
	NS_WHY="the links did not come up"
	return 1
}

# Every address the server has, as the aggregate prints it (port P).
ALL_S=(127.0.0.1:P 192.0.2.1:P 198.51.100.1:P '[::1]:P' '[2001:db8:1::1]:P'
    '[2001:db8:2::1]:P' '[fe80::1%s1]:P' '[fe80::1%s2]:P')

# The "listening on" addresses in LERR, sorted, one a line.
listening() { sed -n 's/^dnlisten: listening on \([^ ]*\).*/\1/p; s/^dnudp: listening on \([^ ]*\).*/\1/p' "$LERR" | LC_ALL=C sort; }

# want_listening PORT ADDR...: exactly these, ADDR with P for the port.
want_listening() {
	local port=$1 a
	shift
	for a in "$@"; do echo "${a//P/$port}"; done | LC_ALL=C sort > "$T/want"
	listening > "$T/got"
	diff "$T/want" "$T/got" >&2
}

# wait_lines N: LERR holds N "listening on" lines (bounded).
wait_lines() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c 'listening on' "$LERR")" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "# wanted $1 listening lines:" >&2
	sed 's/^/#   /' "$LERR" >&2
	return 1
}

# wait_count FILE REGEX N [SECONDS]: FILE has N lines matching (bounded).
wait_count() {
	local i n
	n=$(awk -v s="${4:-5}" 'BEGIN { printf "%d", s * 20 }')
	for ((i = 0; i < n; i++)); do
		[ "$(grep -Ec -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.05
	done
	echo "# wanted $3 lines matching '$2' in $1:" >&2
	sed 's/^/#   /' "$1" >&2
	return 1
}

# reached TARGET WANT: from the client (or the server for loopback), a
# connection to TARGET port LPORT prints DN_LOCAL = WANT.
reached() {
	local target=$1 want=$2 ns=$NS_C
	case $target in 127.*|::1) ns=$NS_S ;; esac
	run --separate-stderr dn_run_in "$ns" dnconnect "$target" "$LPORT" < /dev/null
	if [ "$status" != 0 ] || [ "$output" != "$want" ]; then
		echo "$target: status $status, output '$output', want '$want' ($stderr)" >&2
		return 1
	fi
}

# shellcheck disable=SC2016 # DN_LOCAL is the server's, expanded by its shell
ECHO_LOCAL='printf "%s" "$DN_LOCAL"'

start_all() {
	dn_listen -k -e "$ECHO_LOCAL" "$@" --all-interfaces 0
	wait_lines 8
}

@test "--all-interfaces 0: one port on every address of every interface, each reached there" {
	start_all
	want_listening "$LPORT" "${ALL_S[@]}"
	for a in 192.0.2.1 198.51.100.1 2001:db8:1::1 2001:db8:2::1; do
		case $a in *:*) w="[$a]:$LPORT" ;; *) w="$a:$LPORT" ;; esac
		reached "$a" "$w"
	done
	reached 127.0.0.1 "127.0.0.1:$LPORT"
	reached ::1 "[::1]:$LPORT"
}

@test "the same link-local address on two links: two sockets, each answers on its own" {
	start_all
	reached 'fe80::1%c1' "[fe80::1%s1]:$LPORT"
	reached 'fe80::1%c2' "[fe80::1%s2]:$LPORT"
	# shellcheck disable=SC2016
	dn_listen -k -e 'printf "%s %s" "$DN_PEER" "$DN_PEER_SCOPE"' all:0:scope=link
	wait_lines 2
	run -0 dnc 'fe80::1%c2' "$LPORT" < /dev/null
	[[ $output =~ ^\[fe80::2%s2\]:[0-9]+\ s2$ ]]
}

@test "--json: a listening event per socket, every one on the same port" {
	dn_listen --json -k -e cat --all-interfaces 0
	wait_lines 0
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c '"event":"listening"' "$LERR")" -ge 8 ] && break
		sleep 0.05
	done
	run -0 dn_json_events "$LERR"
	[ "$(grep -c '^listening$' <<< "$output")" = 8 ]
	run -0 python3 -c '
import json, sys
ports = set(); fams = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["event"] == "listening":
        ports.add(o["address"].rsplit(":", 1)[1])
        fams[o["address"]] = o["v6only"]
assert len(ports) == 1, ports
assert all(v is True for a, v in fams.items() if a.startswith("[")), fams
assert all(v is None for a, v in fams.items() if not a.startswith("[")), fams
' "$LERR"
}

@test "an address added while running: announced within a bounded wait, then served" {
	start_all
	ip -n "$NS_C" addr add 203.0.113.2/24 dev c1
	ip -n "$NS_S" addr add 203.0.113.1/24 dev s1
	dn_wait_for "$LERR" "listening on 203\.0\.113\.1:$LPORT\$" 5
	reached 203.0.113.1 "203.0.113.1:$LPORT"
	ip -n "$NS_C" -6 addr add 2001:db8:9::2/64 dev c1 nodad
	ip -n "$NS_S" -6 addr add 2001:db8:9::1/64 dev s1 nodad
	dn_wait_for "$LERR" "listening on \[2001:db8:9::1\]:$LPORT\$" 5
	reached 2001:db8:9::1 "[2001:db8:9::1]:$LPORT"
}

@test "an IPv6 address in duplicate address detection is bound once DAD is done" {
	start_all
	ip -n "$NS_C" -6 addr add 2001:db8:8::2/64 dev c1 nodad
	ip -n "$NS_S" -6 addr add 2001:db8:8::1/64 dev s1
	# tentative now (DAD takes a second): not announced
	ip -n "$NS_S" -6 addr show dev s1 tentative | grep -q 2001:db8:8::1
	! grep -q '2001:db8:8::1' "$LERR"
	dn_wait_for "$LERR" "listening on \[2001:db8:8::1\]:$LPORT\$" 10
	[ -z "$(ip -n "$NS_S" -6 addr show dev s1 tentative)" ]
	reached 2001:db8:8::1 "[2001:db8:8::1]:$LPORT"
}

@test "a deleted address: announced, and its established connection keeps flowing" {
	dn_listen -v -k -e cat --all-interfaces 0
	wait_lines 8
	mkfifo "$T/in"
	ip netns exec "$NS_C" "$DN_BIN/dnconnect" 192.0.2.1 "$LPORT" < "$T/in" > "$T/out" 2> "$T/cerr" &
	CPID=$!
	dn_track "$CPID"
	exec 8> "$T/in"
	echo one >&8
	dn_wait_for "$T/out" '^one$' 5
	ip -n "$NS_S" addr del 192.0.2.1/24 dev s1
	dn_wait_for "$LERR" "stopped listening on 192\.0\.2\.1:$LPORT \(address removed\)" 5
	echo two >&8
	ip -n "$NS_S" addr add 192.0.2.1/24 dev s1
	wait_count "$LERR" "^dnlisten: listening on 192\.0\.2\.1:$LPORT\$" 2
	# TCP retransmits what the address's absence dropped
	dn_wait_for "$T/out" '^two$' 10
	echo three >&8
	dn_wait_for "$T/out" '^three$' 5
	exec 8>&-
	dn_wait_exit "$CPID" 5
	dn_status_is 0
	[ "$(cat "$T/out")" = $'one\ntwo\nthree' ]
	reached_cat=$(echo four | dn_run_in "$NS_C" dnconnect 192.0.2.1 "$LPORT")
	[ "$reached_cat" = four ]
}

@test "a link set down and up: its sockets stop and come back, the others serve on" {
	start_all
	ip -n "$NS_S" link set s2 down
	dn_wait_for "$LERR" "stopped listening on 198\.51\.100\.1:$LPORT \(link down\)" 5
	dn_wait_for "$LERR" "stopped listening on \[fe80::1%s2\]:$LPORT" 5
	dn_wait_for "$LERR" "stopped listening on \[2001:db8:2::1\]:$LPORT" 5
	reached 192.0.2.1 "192.0.2.1:$LPORT"
	reached 'fe80::1%c1' "[fe80::1%s1]:$LPORT"
	ip -n "$NS_S" link set s2 up
	# IPv4 addresses outlive a link down; IPv6 ones the kernel deletes
	wait_count "$LERR" "^dnlisten: listening on 198\.51\.100\.1:$LPORT\$" 2
	ip -n "$NS_S" -6 addr add fe80::1/64 dev s2 nodad
	wait_count "$LERR" "^dnlisten: listening on \[fe80::1%s2\]:$LPORT\$" 2
	for ((i = 0; i < 100; i++)); do
		ip -n "$NS_S" link show s2 | grep -q LOWER_UP && break
		sleep 0.05
	done
	reached 198.51.100.1 "198.51.100.1:$LPORT"
	reached 'fe80::1%c2' "[fe80::1%s2]:$LPORT"
	[ "$(grep -c "listening on 192.0.2.1:$LPORT" "$LERR")" = 1 ]
}

# The server's ephemeral range is two ports; the kernel gives bind(0) the
# odd one first (inet_csk_find_open_port), 40001.
two_ports() { ip netns exec "$NS_S" sysctl -qw net.ipv4.ip_local_port_range="40000 40001"; }

@test "port 0: the first pick is taken on one address, a retry finds a port free on all" {
	two_ports
	dn_listen '[2001:db8:2::1]' 40001
	HOLD=$LPID
	dn_listen -v -k -e "$ECHO_LOCAL" --all-interfaces 0
	wait_lines 8
	[ "$LPORT" = 40000 ]
	want_listening 40000 "${ALL_S[@]}"
	grep -q "port 40001 is taken on \[2001:db8:2::1\]:40001: releasing every socket and picking another port (pick 1 of 16 failed)" "$LERR"
	reached 2001:db8:2::1 "[2001:db8:2::1]:40000"
	kill "$HOLD"
}

@test "port 0: no port free on every address: 71 after 16 picks, nothing left bound" {
	two_ports
	dn_listen '[2001:db8:2::1]' 40001
	dn_listen 192.0.2.1 40000
	run -71 --separate-stderr dn_run_in "$NS_S" dnlisten --json --all-interfaces 0
	[ "$(grep -c '"event":"port_retry"' <<< "$stderr")" = 15 ]
	grep -q '"event":"error".*no port is free on every address: after 16 picks' <<< "$stderr"
	# what it bound on the way was released: both ports are free on ::1
	run -75 --separate-stderr dn_run_in "$NS_S" dnlisten -w 0.1 ::1 40000
	run -75 --separate-stderr dn_run_in "$NS_S" dnlisten -w 0.1 ::1 40001
}

@test "a fixed port taken on one address: 71 naming it; --skip-unavailable serves the others" {
	dn_listen '[fe80::1%s2]' 0
	P=$LPORT
	run -71 --separate-stderr dn_run_in "$NS_S" dnlisten --all-interfaces "$P"
	assert_one_line_error dnlisten "cannot listen on [fe80::1%s2]:$P" "Address already in use"
	dn_listen -k -e "$ECHO_LOCAL" --all-interfaces --skip-unavailable "$P"
	wait_lines 7
	grep -qx "dnlisten: cannot listen on \[fe80::1%s2\]:$P: Address already in use (left out; the other addresses serve)" "$LERR"
	want_listening "$P" 127.0.0.1:P 192.0.2.1:P 198.51.100.1:P '[::1]:P' '[2001:db8:1::1]:P' \
	    '[2001:db8:2::1]:P' '[fe80::1%s1]:P'
	reached 'fe80::1%c1' "[fe80::1%s1]:$P"
	kill "$LPID"
	dn_wait_exit "$LPID" 5
	run -75 --separate-stderr dn_run_in "$NS_S" dnlisten --json --all-interfaces --skip-unavailable -w 0.1 "$P"
	printf '%s\n' "$stderr" > "$T/j"
	[ "$(dn_json_get "$T/j" listen_failed address)" = "[fe80::1%s2]:$P" ]
	[ "$(dn_json_get "$T/j" listen_failed code)" = ELOCAL ]
}

@test "filters: interface=, -I, exclude=, family=, -4, scope=" {
	dn_listen all:0:interface=s1; wait_lines 3
	want_listening "$LPORT" 192.0.2.1:P '[2001:db8:1::1]:P' '[fe80::1%s1]:P'
	dn_listen -I s2 --all-interfaces 0; wait_lines 3
	want_listening "$LPORT" 198.51.100.1:P '[2001:db8:2::1]:P' '[fe80::1%s2]:P'
	dn_listen 'all:0:interface=s1,lo:family=6'; wait_lines 3
	want_listening "$LPORT" '[::1]:P' '[2001:db8:1::1]:P' '[fe80::1%s1]:P'
	dn_listen all:0:exclude=lo,s2; wait_lines 3
	want_listening "$LPORT" 192.0.2.1:P '[2001:db8:1::1]:P' '[fe80::1%s1]:P'
	dn_listen -4 --all-interfaces 0; wait_lines 3
	want_listening "$LPORT" 127.0.0.1:P 192.0.2.1:P 198.51.100.1:P
	dn_listen all:0:scope=link; wait_lines 2
	want_listening "$LPORT" '[fe80::1%s1]:P' '[fe80::1%s2]:P'
	dn_listen all:0:scope=loopback,global:family=4; wait_lines 3
	want_listening "$LPORT" 127.0.0.1:P 192.0.2.1:P 198.51.100.1:P
}

@test "filter and usage errors: one line each, 64 or 71" {
	run -64 --separate-stderr dn_run_in "$NS_S" dnlisten all:0:interface=eth9
	assert_one_line_error dnlisten "no interface named 'eth9'" s1 s2
	run -64 --separate-stderr dn_run_in "$NS_S" dnlisten -I eth9 --all-interfaces 0
	assert_one_line_error dnlisten "'eth9'"
	run -71 --separate-stderr dn_run_in "$NS_S" dnlisten all:0:interface=lo:scope=link
	assert_one_line_error dnlisten "no address to listen on" "on lo" "scopes link" "interfaces: lo"
	run -64 --separate-stderr dn_run_in "$NS_S" dnlisten all:0:scope=site
	assert_one_line_error dnlisten "scope 'site'" "loopback, link or global"
	run -64 --separate-stderr dnl all:0:family=5
	assert_one_line_error dnlisten "family"
	run -64 --separate-stderr dnl -6 all:0:family=4
	assert_one_line_error dnlisten "family=4" "-6"
	run -64 --separate-stderr dnl all:0:follow=maybe
	assert_one_line_error dnlisten "follow 'maybe'" "yes or no"
	run -64 --separate-stderr dnl all:0:v6only=yes
	assert_one_line_error dnlisten "unknown key 'v6only'" "exclude"
	run -64 --separate-stderr dnl all:0:1
	assert_one_line_error dnlisten "2 positional fields" "interface=IFACE"
	run -64 --separate-stderr dnl all:
	assert_one_line_error dnlisten "all:"
	run -64 --separate-stderr dnl --dual-stack --all-interfaces 0
	assert_one_line_error dnlisten "--dual-stack does not go with --all-interfaces"
	run -64 --separate-stderr dnl --v6only --all-interfaces 0
	assert_one_line_error dnlisten "--v6only does not go with --all-interfaces"
	run -64 --separate-stderr dnl --dual-stack all:0
	assert_one_line_error dnlisten "dual-stack does not apply"
	run -64 --separate-stderr dnl --all-interfaces ::1 0
	assert_one_line_error dnlisten "takes the port alone"
	run -64 --separate-stderr dnl --all-interfaces all:0
	assert_one_line_error dnlisten "takes a port, not the description"
	run -64 --separate-stderr dnl --skip-unavailable 0
	assert_one_line_error dnlisten "--skip-unavailable goes with --all-interfaces"
	run -64 --separate-stderr dnl --all-interfaces 70000
	assert_one_line_error dnlisten "70000"
}

@test "SIGTERM: the aggregate closes and exits 0" {
	start_all
	kill -TERM "$LPID"
	wait_ok 5
}

# --- dnudp ---------------------------------------------------------------------

# udp_echoed TARGET: from the client (the server for loopback), a connected
# dnudp -- which takes replies only from where it sent -- gets its line back.
udp_echoed() {
	local target=$1 ns=$NS_C
	case $target in 127.*|::1) ns=$NS_S ;; esac
	run --separate-stderr dn_run_in "$ns" dnudp --connect --count 1 -w 2 "$target" "$LPORT" <<< "ping $target"
	if [ "$status" != 0 ] || [ "$output" != "ping $target" ]; then
		echo "$target: status $status, output '$output' ($stderr)" >&2
		return 1
	fi
}

@test "dnudp -l --all-interfaces --echo: every address, replies leave from the address asked" {
	dn_udp_listen --echo --all-interfaces 0
	wait_lines 8
	want_listening "$LPORT" "${ALL_S[@]}"
	for a in 127.0.0.1 ::1 192.0.2.1 198.51.100.1 2001:db8:1::1 2001:db8:2::1 'fe80::1%c1' 'fe80::1%c2'; do
		udp_echoed "$a"
	done
	grep -q '^ping 2001:db8:2::1$' "$LOUT"
}

@test "udp-all: follows an address added and removed; --from names the sender" {
	dn_udp_listen -v --from --echo udp-all:0:family=4
	wait_lines 3
	ip -n "$NS_C" addr add 203.0.113.2/24 dev c2
	ip -n "$NS_S" addr add 203.0.113.1/24 dev s2
	dn_wait_for "$LERR" "listening on 203\.0\.113\.1:$LPORT\$" 5
	udp_echoed 203.0.113.1
	grep -Eq '^203\.0\.113\.2:[0-9]+ ping 203\.0\.113\.1$' "$LOUT"
	grep -Eq "datagram from 203\.0\.113\.2:[0-9]+ to 203\.0\.113\.1:$LPORT on s2" "$LERR"
	ip -n "$NS_S" addr del 203.0.113.1/24 dev s2
	dn_wait_for "$LERR" "stopped listening on 203\.0\.113\.1:$LPORT \(address removed\)" 5
}

@test "dnudp: --all-interfaces and access control usage errors" {
	run -64 --separate-stderr dnu --all-interfaces 127.0.0.1 5
	assert_one_line_error dnudp "--all-interfaces goes with -l"
	run -64 --separate-stderr dnu -l --all-interfaces --dual-stack 0
	assert_one_line_error dnudp "--dual-stack does not go with --all-interfaces"
	run -64 --separate-stderr dnu -l --skip-unavailable 0
	assert_one_line_error dnudp "--skip-unavailable goes with --all-interfaces"
	run -64 --separate-stderr dnu --allow 127.0.0.1 127.0.0.1 5
	assert_one_line_error dnudp "--allow and --deny go with -l"
	run -64 --separate-stderr dnu -l --all-interfaces udp:0
	assert_one_line_error dnudp "takes a port, not the description"
	run -64 --separate-stderr dnu -l udp-all:0:interface=
	assert_one_line_error dnudp "empty interface="
	run -64 --separate-stderr dnu -l udp-all:0:bindAddress=::1
	assert_one_line_error dnudp "unknown key 'bindAddress'"
	run -64 --separate-stderr dnu -l --deny 198.51.100.1/24 0
	assert_one_line_error dnudp "--deny" "198.51.100.1/24" "198.51.100.0/24"
}

@test "dnudp -l --deny: a datagram from a denied peer is dropped, and traced" {
	dn_udp_listen -v --deny 192.0.2.0/24 --all-interfaces 0
	wait_lines 8
	dn_run_in "$NS_C" dnudp 192.0.2.1 "$LPORT" <<< denied
	dn_run_in "$NS_C" dnudp 198.51.100.1 "$LPORT" <<< admitted
	dn_wait_for "$LOUT" '^admitted$' 5
	! grep -q denied "$LOUT"
	grep -Eq "refused datagram from 192\.0\.2\.2:[0-9]+ to 192\.0\.2\.1:$LPORT: denied by 192\.0\.2\.0/24" "$LERR"
}

# --- access control ------------------------------------------------------------

@test "--allow and --deny, IPv4 and IPv6: admitted ones run -e, refused ones are closed at once" {
	dn_listen -v -k -e "$ECHO_LOCAL" --allow 192.0.2.0/24 --allow 2001:db8:2::/48 --deny 2001:db8:2::2 \
	    --all-interfaces 0
	wait_lines 8
	reached 192.0.2.1 "192.0.2.1:$LPORT"
	run --separate-stderr dnc 198.51.100.1 "$LPORT" < /dev/null
	[ "$status" = 0 ] && [ -z "$output" ]
	run --separate-stderr dnc 2001:db8:2::1 "$LPORT" < /dev/null
	[ "$status" = 0 ] && [ -z "$output" ]
	ip -n "$NS_C" -6 addr add 2001:db8:2::3/64 dev c2 nodad
	run -0 --separate-stderr dnc -b 2001:db8:2::3 2001:db8:2::1 "$LPORT" < /dev/null
	[ "$output" = "[2001:db8:2::1]:$LPORT" ]
	grep -Eq "refused connection from 198\.51\.100\.2:[0-9]+ to 198\.51\.100\.1:$LPORT: in no allowed prefix" "$LERR"
	grep -Eq "refused connection from \[2001:db8:2::2\]:[0-9]+ to \[2001:db8:2::1\]:$LPORT: denied by 2001:db8:2::2/128" "$LERR"
	[ "$(grep -c 'command for' "$LERR")" = 2 ]
}

@test "--allow: a v4-mapped peer of a dual-stack listener matches the IPv4 prefix" {
	dn_listen -k -e 'printf "%s" "$DN_PEER_ADDR"' --dual-stack --allow 127.0.0.0/8 :: 0
	run -0 --separate-stderr dn_run_in "$NS_S" dnconnect 127.0.0.1 "$LPORT" < /dev/null
	[ "$output" = "::ffff:127.0.0.1" ]
	run -0 --separate-stderr dn_run_in "$NS_S" dnconnect ::1 "$LPORT" < /dev/null
	[ -z "$output" ]
	dn_listen -v -k -e 'printf "%s" "$DN_PEER_ADDR"' --dual-stack --deny ::ffff:127.0.0.1 :: 0
	run -0 --separate-stderr dn_run_in "$NS_S" dnconnect 127.0.0.1 "$LPORT" < /dev/null
	[ -z "$output" ]
	grep -q "denied by 127.0.0.1/32" "$LERR"
}

@test "--allow fe80::/64%s1: link-local peers on that link only" {
	dn_listen -v -k -e "$ECHO_LOCAL" --allow 'fe80::/64%s1' all:0:scope=link
	wait_lines 2
	reached 'fe80::1%c1' "[fe80::1%s1]:$LPORT"
	run --separate-stderr dnc 'fe80::1%c2' "$LPORT" < /dev/null
	[ -z "$output" ]
	grep -Eq "refused connection from \[fe80::2%s2\]:[0-9]+ to \[fe80::1%s2\]:$LPORT: in no allowed prefix" "$LERR"
}

@test "--allow-file and --deny-file: one prefix a line, comments and blank lines" {
	printf '# the lab\n192.0.2.0/24   # link 1\n\n2001:db8::/32\n' > "$T/allow"
	printf '2001:db8:2::/64\n' > "$T/deny"
	dn_listen -k -e "$ECHO_LOCAL" --allow-file "$T/allow" --deny-file "$T/deny" --all-interfaces 0
	wait_lines 8
	reached 192.0.2.1 "192.0.2.1:$LPORT"
	reached 2001:db8:1::1 "[2001:db8:1::1]:$LPORT"
	run --separate-stderr dnc 2001:db8:2::1 "$LPORT" < /dev/null
	[ -z "$output" ]
	run --separate-stderr dnc 198.51.100.1 "$LPORT" < /dev/null
	[ -z "$output" ]
}

@test "a refused connection never runs -e and, without -k, the next admitted one is served" {
	dn_listen -e "touch $T/ran; printf served" --deny 192.0.2.2 --all-interfaces 0
	wait_lines 8
	run --separate-stderr dnc 192.0.2.1 "$LPORT" < /dev/null
	[ -z "$output" ]
	[ ! -e "$T/ran" ]
	kill -0 "$LPID"
	run -0 --separate-stderr dnc 198.51.100.1 "$LPORT" < /dev/null
	[ "$output" = served ]
	wait_ok 5
}

@test "--json: the refused event names peer, local and reason" {
	dn_listen --json -k -e cat --deny 0.0.0.0/0 --all-interfaces 0
	wait_lines 0
	dnc 192.0.2.1 "$LPORT" < /dev/null || true
	dn_wait_for "$LERR" '"event":"refused"' 5
	[[ $(dn_json_get "$LERR" refused peer) =~ ^192\.0\.2\.2:[0-9]+$ ]]
	[ "$(dn_json_get "$LERR" refused local)" = "192.0.2.1:$LPORT" ]
	[ "$(dn_json_get "$LERR" refused reason)" = "denied by 0.0.0.0/0" ]
	[ "$(dn_json_get "$LERR" refused what)" = connection ]
}

@test "bad prefixes and files: 64, one line naming the bad text" {
	run -64 --separate-stderr dnl --allow 192.0.2.1/24 0
	assert_one_line_error dnlisten "--allow" "192.0.2.1/24" "did you mean 192.0.2.0/24"
	run -64 --separate-stderr dnl --deny 198.51.100.0/33 0
	assert_one_line_error dnlisten "--deny" "/33"
	run -64 --separate-stderr dnl --allow 'fe80::/64%nosuch9' 0
	assert_one_line_error dnlisten "nosuch9"
	run -64 --separate-stderr dnl --allow '203.0.113.0/24%lo' 0
	assert_one_line_error dnlisten "takes no scope"
	run -64 --separate-stderr dnl --allow example.com/24 0
	assert_one_line_error dnlisten "example.com/24" "not an address"
	run -64 --separate-stderr dnl --allow '' 0
	assert_one_line_error dnlisten "--allow" "empty prefix"
	printf '192.0.2.0/24\n\n  bogus  # comment\n' > "$T/bad"
	run -64 --separate-stderr dnl --allow-file "$T/bad" 0
	assert_one_line_error dnlisten "--allow-file" "$T/bad:3:" "bogus"
	run -64 --separate-stderr dnl --deny-file "$T/missing" 0
	assert_one_line_error dnlisten "--deny-file" "$T/missing" "No such file"
}

# --- --max-conns and running out of descriptors ---------------------------------

@test "--max-conns 2: the third client waits in the backlog and is served when a slot frees" {
	dn_listen -v -k --max-conns 2 -e "echo run >> $T/runs; cat" --all-interfaces 0
	wait_lines 8
	# one after the other, so that the third is the one kept waiting
	for i in 1 2 3; do
		mkfifo "$T/in$i"
		# the writers of the other fifos stay with the test alone
		ip netns exec "$NS_C" "$DN_BIN/dnconnect" 192.0.2.1 "$LPORT" < "$T/in$i" > "$T/out$i" 2>&1 \
		    7>&- 8>&- 9>&- &
		dn_track $!
		eval "exec $((i + 6))> \"$T/in$i\""
		echo "hello $i" >&$((i + 6))
		[ "$i" = 3 ] || dn_wait_for "$T/out$i" "^hello $i\$" 5
	done
	dn_wait_for "$LERR" '2 connections \(--max-conns 2\): accepting paused' 5
	sleep 0.3
	[ "$(wc -l < "$T/runs")" = 2 ]
	[ ! -s "$T/out3" ]
	exec 7>&-
	dn_wait_for "$T/out3" '^hello 3$' 5
	[ "$(wc -l < "$T/runs")" = 3 ]
	grep -q '1 connection (--max-conns 2): accepting again' "$LERR"
	exec 8>&- 9>&-
}

@test "--max-conns and bad companions: 64" {
	run -64 --separate-stderr dnl --max-conns 2 -e cat 0
	assert_one_line_error dnlisten "--max-conns goes with -k -e"
	run -64 --separate-stderr dnl -k --max-conns 2 0
	assert_one_line_error dnlisten "--max-conns goes with -k -e"
	run -64 --separate-stderr dnl -k -e cat --max-conns 0 0
	assert_one_line_error dnlisten "--max-conns" "0"
	run -64 --separate-stderr dnl -k -e '' 0
	assert_one_line_error dnlisten "-e needs a command"
}

# cpu_ticks PID: user + system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

@test "out of descriptors (EMFILE): accepting pauses without CPU, is traced, and serves again" {
	command -v prlimit > /dev/null || skip "prlimit (util-linux) not installed"
	dn_listen -v -k -e 'printf served' --all-interfaces 0
	wait_lines 8
	# not one descriptor more for the server: the limit is the lowest
	# free number, the one the next descriptor would get
	for ((n = 0; n < 4096; n++)); do [ -e "/proc/$LPID/fd/$n" ] || break; done
	soft=$(prlimit --pid "$LPID" --nofile --noheadings --output SOFT)
	prlimit --pid "$LPID" --nofile="$n:"
	ip netns exec "$NS_C" "$DN_BIN/dnconnect" 192.0.2.1 "$LPORT" < /dev/null > "$T/out" 2>&1 &
	dn_track $!
	dn_wait_for "$LERR" 'out of file descriptors \(EMFILE' 5
	t0=$(cpu_ticks "$LPID")
	sleep 1
	t1=$(cpu_ticks "$LPID")
	[ $((t1 - t0)) -le 5 ] || { echo "used $((t1 - t0)) ticks in 1 s while starved" >&2; false; }
	kill -0 "$LPID"
	[ ! -s "$T/out" ]
	prlimit --pid "$LPID" --nofile="$soft:"
	dn_wait_for "$T/out" '^served$' 5
	grep -q 'accepting again' "$LERR"
	[ "$(grep -c 'out of file descriptors' "$LERR")" = 1 ]
}
