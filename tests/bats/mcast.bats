#!/usr/bin/env bats
# mcast.bats - dnmcast: IPv4 groups over loopback (in a private namespace
# when root), and IPv4/IPv6 groups, ASM and SSM, hop limits, loop and
# memberships between two namespaces joined by a veth pair (IPv6 multicast
# cannot go through lo).
#
#   NS_A  vethA 192.0.2.1 2001:db8:77::a fe80::a  <--->  vethB .2 ::b fe80::b  NS_B
#   A also has 192.0.2.3 (secondary) and 2001:db8:77::c (deprecated): other
#   sources that a source-specific receiver must not hear, never picked as
#   the default source.

load helpers

# bats 1.8 cannot skip from setup_file: it records why, the tests skip.
setup_file() {
	dn_lb_ab_setup mlo
	if [ -z "$AB_SKIP" ] && { ! ip -n "$NS_A" addr add 192.0.2.3/24 dev vethA ||
	    ! ip -n "$NS_A" -6 addr add 2001:db8:77::c/64 dev vethA nodad preferred_lft 0; }; then
		AB_SKIP="could not add the second source addresses to $NS_A"
	fi
}

teardown_file() {
	ns_teardown
}

setup() {
	dn_require_dgram
	dn_lb_setup
	MP=$(dn_random_port)
	# A group of our own on a shared host loopback.
	G4="239.77.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
}

teardown() {
	dn_kill_all
	dn_dump_logs
}

# send ARGS... <<< payload: dnmcast send in DN_X, must exit 0.
send() {
	run --separate-stderr dnm send "$@"
	[ "$status" = 0 ] || { echo "dnmcast send $*: status $status: $stderr" >&2; return 1; }
}

# The namespace (or "") that loopback receivers run in, for dn_maddr_wait.
lb_ns() { printf '%s' "$LB_NS"; }

# --- IPv4 over loopback ------------------------------------------------------

@test "recv -I lo: -v joined, the datagram, --count 1 exits 0, left" {
	dn_mcast_recv -v --count 1 -I lo "$G4" "$MP"
	grep -qE "^dnmcast: \+[0-9]+\.[0-9]{3}s joined $G4 on lo \(any-source\)\$" "$LERR"
	send -I lo -b 127.0.0.1 "$G4" "$MP" <<< hello
	[ -z "$output$stderr" ]
	wait_ok
	[ "$(cat "$LOUT")" = hello ]
	grep -qE "datagram from 127\.0\.0\.1:[0-9]+ to $G4:$MP on lo: 5 bytes\$" "$LERR"
	grep -qE "^dnmcast: \+[0-9]+\.[0-9]{3}s left $G4 on lo \(any-source\)\$" "$LERR"
}

@test "recv output: --from with the sender's port, --hex, --raw" {
	local bp
	# any port but the group's, which the receiver holds
	bp=$(dn_random_port)
	while [ "$bp" = "$MP" ]; do bp=$(dn_random_port); done
	dn_mcast_recv -v --from --count 1 -I lo "$G4" "$MP"
	send -I lo -b "127.0.0.1:$bp" "$G4" "$MP" <<< from
	wait_ok
	printf '127.0.0.1:%s from\n' "$bp" > "$T/want"
	cmp "$T/want" "$LOUT"
	dn_mcast_recv -v --hex --count 1 -I lo "$G4" "$MP"
	send --raw -I lo -b 127.0.0.1 "$G4" "$MP" < <(printf '\000\377a\n')
	wait_ok
	[ "$(cat "$LOUT")" = 00ff610a ]
	printf 'r\0aw\n\n' > "$T/payload"
	dn_mcast_recv -v --raw --count 1 -I lo "$G4" "$MP"
	send --raw -I lo -b 127.0.0.1 "$G4" "$MP" < "$T/payload"
	wait_ok
	cmp "$T/payload" "$LOUT"
}

@test "send: each line one datagram, -v 'sent N bytes to GROUP via lo (hops H)'" {
	dn_mcast_recv -v --count 3 -I lo "$G4" "$MP"
	send -v -I lo --hops 3 -b 127.0.0.1 "$G4" "$MP" < <(printf 'one\n\nthree')
	[ -z "$output" ]
	grep -qE "^dnmcast: \+[0-9]+\.[0-9]{3}s sent 3 bytes to $G4 via lo \(hops 3\)\$" <<< "$stderr"
	grep -qE "sent 0 bytes to $G4 via lo \(hops 3\)\$" <<< "$stderr"
	grep -qE "sent 5 bytes to $G4 via lo \(hops 3\)\$" <<< "$stderr"
	wait_ok
	[ "$(cat "$LOUT")" = "$(printf 'one\n\nthree')" ]
}

@test "send --count 2 stops after two datagrams" {
	dn_mcast_recv -v -w 1 -I lo "$G4" "$MP"
	send --count 2 -I lo -b 127.0.0.1 "$G4" "$MP" < <(printf 'a\nb\nc\n')
	dn_wait_exit "$LPID" 10
	dn_status_is 75
	[ "$(cat "$LOUT")" = "$(printf 'a\nb')" ]
}

@test "-I by IPv4 address: -I 127.0.0.1 joins on lo" {
	dn_mcast_recv -v --count 1 -I 127.0.0.1 "$G4" "$MP"
	grep -qE "joined $G4 on lo \(any-source\)\$" "$LERR"
	send -I 127.0.0.1 -b 127.0.0.1 "$G4" "$MP" <<< by-address
	wait_ok
	[ "$(cat "$LOUT")" = by-address ]
}

@test "two receivers share the port (SO_REUSEADDR), both get the datagram" {
	dn_mcast_recv -v --count 1 -I lo "$G4" "$MP"
	local p1=$LPID o1=$LOUT
	dn_mcast_recv -v --count 1 -I lo "$G4" "$MP"
	send -I lo -b 127.0.0.1 "$G4" "$MP" <<< shared
	wait_ok
	LPID=$p1 wait_ok
	[ "$(cat "$o1")" = shared ]
	[ "$(cat "$LOUT")" = shared ]
}

@test "truncation: --max-size 2 keeps 2 bytes and reports the real size" {
	local bp
	bp=$(dn_random_port)
	dn_mcast_recv -v --max-size 2 --count 1 -I lo "$G4" "$MP"
	send -I lo -b "127.0.0.1:$bp" "$G4" "$MP" <<< abcde
	wait_ok
	[ "$(cat "$LOUT")" = ab ]
	grep -qxF "dnmcast: datagram from 127.0.0.1:$bp truncated: 5 bytes, kept 2" "$LERR"
}

@test "--json: joined, datagram, left and sent with the documented keys" {
	dn_mcast_recv --json --count 1 -I lo "$G4" "$MP"
	send --json -I lo --hops 2 -b 127.0.0.1 "$G4" "$MP" <<< js
	printf '%s\n' "$stderr" > "$T/s.json"
	[ "$(dn_json_events "$T/s.json")" = sent ]
	[ "$(dn_json_keys "$T/s.json" sent)" = event,time,address,bytes,interface,hops ]
	[ "$(dn_json_get "$T/s.json" sent address)" = "$G4:$MP" ]
	[ "$(dn_json_get "$T/s.json" sent bytes)" = 2 ]
	[ "$(dn_json_get "$T/s.json" sent interface)" = lo ]
	[ "$(dn_json_get "$T/s.json" sent hops)" = 2 ]
	wait_ok
	[ "$(cat "$LOUT")" = js ]
	[ "$(dn_json_events "$LERR" | tr '\n' ' ')" = "joined datagram left " ]
	[ "$(dn_json_keys "$LERR" joined)" = event,time,group,interface,source ]
	[ "$(dn_json_get "$LERR" joined group)" = "$G4" ]
	[ "$(dn_json_get "$LERR" joined interface)" = lo ]
	[ "$(dn_json_get "$LERR" joined source)" = null ]
	[ "$(dn_json_keys "$LERR" datagram)" = event,time,from,to,interface,bytes,truncated ]
	[[ $(dn_json_get "$LERR" datagram from) =~ ^127\.0\.0\.1:[0-9]+$ ]]
	[ "$(dn_json_get "$LERR" datagram to)" = "$G4:$MP" ]
	[ "$(dn_json_get "$LERR" datagram interface)" = lo ]
	[ "$(dn_json_get "$LERR" datagram bytes)" = 2 ]
	[ "$(dn_json_get "$LERR" datagram truncated)" = false ]
	[ "$(dn_json_keys "$LERR" left)" = event,time,group,interface,source ]
	[ "$(dn_json_get "$LERR" left group)" = "$G4" ]
	! grep -vE '^\{"event":"[a-z]+","time":[0-9]+\.[0-9]{3},' "$LERR" "$T/s.json"
}

@test "--json error: one error event, exit 64, no text line" {
	run -64 --separate-stderr dnm recv --json 192.0.2.1 "$MP"
	[ "${#stderr_lines[@]}" = 1 ]
	printf '%s\n' "$stderr" > "$T/e.json"
	[ "$(dn_json_events "$T/e.json")" = error ]
	[ "$(dn_json_keys "$T/e.json" error)" = event,time,code,exit,message ]
	[ "$(dn_json_get "$T/e.json" error exit)" = 64 ]
	grep -qF 192.0.2.1 "$T/e.json"
}

@test "multicast: descriptions receive and send, with and without recv/send" {
	dn_bg dnmcast -v "multicast:$G4:$MP:interface=lo"
	dn_wait_for "$LERR" "joined $G4 on lo" 10
	local p1=$LPID o1=$LOUT
	kill -TERM "$p1"
	LPID=$p1 wait_ok
	dn_mcast_recv -v --count 2 "multicast:group=$G4:port=$MP:interface=lo"
	grep -qE "joined $G4 on lo \(any-source\)\$" "$LERR"
	# hops= makes a description send
	run -0 --separate-stderr dnm -b 127.0.0.1 "multicast:$G4:$MP:interface=lo:hops=1:loop=yes" <<< d1
	run -0 --separate-stderr dnm send -b 127.0.0.1 "multicast:$G4:$MP:interface=lo" <<< d2
	wait_ok
	[ "$(cat "$LOUT")" = "$(printf 'd1\nd2')" ]
}

@test "GROUP:PORT as one argument" {
	dn_mcast_recv -v --count 1 -I lo "$G4:$MP"
	send -I lo -b 127.0.0.1 "$G4:$MP" <<< joined-form
	wait_ok
	[ "$(cat "$LOUT")" = joined-form ]
}

@test "SIGTERM: exit 0, the group is left and gone from ip maddr" {
	dn_mcast_recv -v -I lo "$G4" "$MP"
	dn_maddr_wait "$(lb_ns)" lo "$G4" present
	kill -TERM "$LPID"
	wait_ok
	grep -qE "left $G4 on lo \(any-source\)\$" "$LERR"
	dn_maddr_wait "$(lb_ns)" lo "$G4" absent
}

@test "SIGINT: exit 0, the group is left" {
	dn_mcast_recv --json -I lo "$G4" "$MP"
	dn_maddr_wait "$(lb_ns)" lo "$G4" present
	kill -INT "$LPID"
	wait_ok
	[ "$(dn_json_events "$LERR" | tr '\n' ' ')" = "joined left " ]
	dn_maddr_wait "$(lb_ns)" lo "$G4" absent
}

@test "-w 0.3 with nothing arriving: 75, and the group is left" {
	run -75 --separate-stderr dnm recv -v -w 0.3 -I lo "$G4" "$MP"
	[ -z "$output" ]
	grep -qE "left $G4 on lo \(any-source\)\$" <<< "$stderr"
	dn_maddr_wait "$(lb_ns)" lo "$G4" absent
}

@test "no route for the group and no -I: the kernel refuses, 71" {
	need_ns
	run -71 --separate-stderr dnm recv "$G4" "$MP"
	[ "${#stderr_lines[@]}" = 1 ]
	grep -qF "$G4" <<< "$stderr"
	run -71 --separate-stderr dnm send "$G4" "$MP" <<< nowhere
	[ "${#stderr_lines[@]}" = 1 ]
}

@test "an IPv6 group through lo: 71 (lo has no IPv6 multicast route)" {
	need_ns
	run -71 --separate-stderr dnm send -I lo ff02::4242 "$MP" <<< x
	[ "${#stderr_lines[@]}" = 1 ]
}

# --- bad input: 64, one line naming the bad part --------------------------------

@test "bad: a unicast address as GROUP" {
	run -64 --separate-stderr dnm recv 192.0.2.1 5000 < /dev/null
	assert_one_line_error dnmcast 192.0.2.1
}

@test "bad: an IPv6 unicast address as GROUP" {
	run -64 --separate-stderr dnm send 2001:db8::1 5000 < /dev/null
	assert_one_line_error dnmcast 2001:db8::1
}

@test "bad: a link-local group without an interface" {
	run -64 --separate-stderr dnm recv ff02::4242 5000 < /dev/null
	assert_one_line_error dnmcast ff02::4242
}

@test "bad: an interface-local group without an interface" {
	run -64 --separate-stderr dnm send ff01::4242 5000 < /dev/null
	assert_one_line_error dnmcast ff01::4242
}

@test "bad: an IPv4 SSM group without --source" {
	run -64 --separate-stderr dnm recv -I lo 232.1.1.1 5000 < /dev/null
	assert_one_line_error dnmcast 232.1.1.1 source
}

@test "bad: an IPv6 SSM group without --source" {
	run -64 --separate-stderr dnm recv -I lo ff3e::8000:1 5000 < /dev/null
	assert_one_line_error dnmcast ff3e::8000:1 source
}

@test "bad: --source for an any-source group" {
	run -64 --separate-stderr dnm recv -I lo --source 127.0.0.1 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast source 127.0.0.1 239.1.2.3
}

@test "bad: a source of the other family" {
	run -64 --separate-stderr dnm recv -I lo --source ::1 232.1.1.1 5000 < /dev/null
	assert_one_line_error dnmcast ::1
}

@test "bad: a source that is not an address" {
	run -64 --separate-stderr dnm recv -I lo --source 1.2.3 232.1.1.1 5000 < /dev/null
	assert_one_line_error dnmcast 1.2.3
}

@test "bad: an unknown interface" {
	run -64 --separate-stderr dnm recv -I eth9 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast eth9
}

@test "bad: an unknown zone" {
	run -64 --separate-stderr dnm recv 'ff02::4242%eth9' 5000 < /dev/null
	assert_one_line_error dnmcast eth9
}

@test "bad: -I with an IPv4 address no interface has" {
	run -64 --separate-stderr dnm recv -I 192.0.2.77 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast 192.0.2.77
}

@test "bad: a zone on an IPv4 group" {
	run -64 --separate-stderr dnm recv '239.1.2.3%lo' 5000 < /dev/null
	assert_one_line_error dnmcast 239.1.2.3
}

@test "bad: --hops 256" {
	run -64 --separate-stderr dnm send -I lo --hops 256 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast --hops
}

@test "bad: --hops -1" {
	run -64 --separate-stderr dnm send -I lo --hops -1 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast --hops
}

@test "bad: --loop with --no-loop" {
	run -64 --separate-stderr dnm send -I lo --loop --no-loop 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast --loop --no-loop
}

@test "bad: --hops on recv (an option of the other command)" {
	run -64 --separate-stderr dnm recv -I lo --hops 3 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast --hops
}

@test "bad: --source on send" {
	run -64 --separate-stderr dnm send -I lo --source 127.0.0.1 232.1.1.1 5000 < /dev/null
	assert_one_line_error dnmcast --source
}

@test "bad: --from on send" {
	run -64 --separate-stderr dnm send -I lo --from 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast --from
}

@test "bad: port 0" {
	run -64 --separate-stderr dnm recv -I lo 239.1.2.3 0 < /dev/null
	assert_one_line_error dnmcast 0
}

@test "bad: port 70000" {
	run -64 --separate-stderr dnm recv -I lo 239.1.2.3 70000 < /dev/null
	assert_one_line_error dnmcast 70000
}

@test "bad: -6 with an IPv4 group" {
	run -64 --separate-stderr dnm recv -6 -I lo 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast 239.1.2.3
}

@test "bad: -4 with an IPv6 group" {
	run -64 --separate-stderr dnm recv -4 'ff02::1%lo' 5000 < /dev/null
	assert_one_line_error dnmcast ff02::1
}

@test "bad: --count 0" {
	run -64 --separate-stderr dnm recv -I lo --count 0 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast --count
}

@test "bad: -w 0" {
	run -64 --separate-stderr dnm recv -I lo -w 0 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast -w
}

@test "bad: --hex with --raw" {
	run -64 --separate-stderr dnm recv -I lo --hex --raw 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast --hex --raw
}

@test "bad: a description key that does not exist" {
	run -64 --separate-stderr dnm 'multicast:239.1.2.3:5000:interface=lo:bogus=1' < /dev/null
	assert_one_line_error dnmcast bogus
}

@test "bad: loop= that is neither yes nor no" {
	run -64 --separate-stderr dnm send 'multicast:239.1.2.3:5000:interface=lo:loop=maybe' < /dev/null
	assert_one_line_error dnmcast maybe
}

@test "bad: an unknown command" {
	run -64 --separate-stderr dnm frob 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast frob
}

@test "bad: -b of the other family" {
	run -64 --separate-stderr dnm send -I lo -b ::1 239.1.2.3 5000 < /dev/null
	assert_one_line_error dnmcast ::1
}

@test "bad: a missing PORT" {
	run -64 --separate-stderr dnm recv -I lo 239.1.2.3 < /dev/null
	assert_one_line_error dnmcast PORT
}

# --- two namespaces: IPv6 and IPv4 groups on the veth ---------------------------

@test "IPv6 organisation-local group ff08::db8:1 across the veth" {
	need_ab
	dn_mcast_recv -v --from --count 1 -I vethB ff08::db8:1 "$MP"
	grep -qE "joined ff08::db8:1 on vethB \(any-source\)\$" "$LERR"
	send -v -I vethA ff08::db8:1 "$MP" <<< org-local
	grep -qE "sent 9 bytes to ff08::db8:1 via vethA \(hops 1\)\$" <<< "$stderr"
	wait_ok
	grep -qE '^\[2001:db8:77::a\]:[0-9]+ org-local$' "$LOUT"
	grep -qE "datagram from \[2001:db8:77::a\]:[0-9]+ to \[ff08::db8:1\]:$MP on vethB: 9 bytes\$" "$LERR"
}

@test "IPv6 organisation-local group without -I: the routes pick the veth" {
	need_ab
	dn_mcast_recv --json --count 1 ff08::db8:2 "$MP"
	dn_maddr_wait "$NS_B" vethB ff08::db8:2 present
	send ff08::db8:2 "$MP" <<< routed
	wait_ok
	[ "$(cat "$LOUT")" = routed ]
}

@test "link-local group with a zone: ff02::4242%vethB, sender scoped" {
	need_ab
	dn_mcast_recv -v --from --count 1 'ff02::4242%vethB' "$MP"
	grep -qE "joined ff02::4242%vethB on vethB \(any-source\)\$|joined ff02::4242 on vethB \(any-source\)\$" "$LERR"
	send -v 'ff02::4242%vethA' "$MP" <<< zoned
	grep -qE "sent 5 bytes to ff02::4242%vethA via vethA \(hops 1\)\$" <<< "$stderr"
	wait_ok
	grep -qE '^\[fe80::a%vethB\]:[0-9]+ zoned$' "$LOUT"
	grep -qE "datagram from \[fe80::a%vethB\]:[0-9]+ to \[ff02::4242%vethB\]:$MP on vethB: 5 bytes\$" "$LERR"
}

@test "link-local group forms: [ff02::4242%vethB]:PORT, -I index, -I with an agreeing zone" {
	need_ab
	dn_mcast_recv -v --count 3 "[ff02::4242%vethB]:$MP"
	send -I vethA ff02::4242 "$MP" <<< f1
	send -I "$IDX_A" "[ff02::4242]:$MP" <<< f2
	send -I vethA 'ff02::4242%vethA' "$MP" <<< f3
	wait_ok
	[ "$(cat "$LOUT")" = "$(printf 'f1\nf2\nf3')" ]
	dn_mcast_recv -v --count 1 -I "$IDX_B" ff02::4243 "$MP"
	grep -qE "joined ff02::4243(%vethB)? on vethB \(any-source\)\$" "$LERR"
	send 'multicast:ff02\:\:4243%vethA:'"$MP" <<< f4
	wait_ok
	[ "$(cat "$LOUT")" = f4 ]
}

@test "a zone and -I that disagree: 64" {
	need_ab
	run -64 --separate-stderr dnm recv -I lo 'ff02::4242%vethA' "$MP" < /dev/null
	assert_one_line_error dnmcast vethA lo
}

@test "IPv4 group on a chosen interface: -I vethB / -I 192.0.2.2, sent with -I vethA / -I 192.0.2.1" {
	need_ab
	dn_mcast_recv -v --from --count 2 -I 192.0.2.2 "$G4" "$MP"
	grep -qE "joined $G4 on vethB \(any-source\)\$" "$LERR"
	send -v -I vethA "$G4" "$MP" <<< by-name
	grep -qE "sent 7 bytes to $G4 via vethA \(hops 1\)\$" <<< "$stderr"
	send -I 192.0.2.1 "$G4" "$MP" <<< by-addr
	wait_ok
	grep -qE '^192\.0\.2\.1:[0-9]+ by-name$' "$LOUT"
	grep -qE '^192\.0\.2\.1:[0-9]+ by-addr$' "$LOUT"
	dn_mcast_recv -v --count 1 -I vethB "$G4" "$MP"
	dn_maddr_wait "$NS_B" vethB "$G4" present
	send -I vethA "$G4" "$MP" <<< again
	wait_ok
	[ "$(cat "$LOUT")" = again ]
}

@test "IPv4 send without -I and without a route: 71" {
	need_ab
	run -71 --separate-stderr dnm send "$G4" "$MP" <<< x
	[ "${#stderr_lines[@]}" = 1 ]
	grep -qF "$G4" <<< "$stderr"
}

@test "SSM (IPv6): only the chosen source is received" {
	need_ab
	dn_mcast_recv -v --from --count 1 -I vethB --source 2001:db8:77::a ff3e::8000:1 "$MP"
	grep -qE "joined ff3e::8000:1 on vethB \(source 2001:db8:77::a\)\$" "$LERR"
	# The other source first: if the filter let it through, it would be printed.
	send -I vethA -b 2001:db8:77::c ff3e::8000:1 "$MP" <<< wrong-source
	send -I vethA -b 2001:db8:77::a ff3e::8000:1 "$MP" <<< right-source
	wait_ok
	[[ $(cat "$LOUT") =~ ^\[2001:db8:77::a\]:[0-9]+\ right-source$ ]]
	grep -qE "left ff3e::8000:1 on vethB \(source 2001:db8:77::a\)\$" "$LERR"
}

@test "SSM (IPv4, --json): only the chosen source is received" {
	need_ab
	dn_mcast_recv --json --from --count 1 -I vethB --source 192.0.2.1 232.1.1.1 "$MP"
	[ "$(dn_json_get "$LERR" joined group)" = 232.1.1.1 ]
	[ "$(dn_json_get "$LERR" joined interface)" = vethB ]
	[ "$(dn_json_get "$LERR" joined source)" = 192.0.2.1 ]
	send -I vethA -b 192.0.2.3 232.1.1.1 "$MP" <<< wrong-source
	send -I vethA -b 192.0.2.1 232.1.1.1 "$MP" <<< right-source
	wait_ok
	[[ $(cat "$LOUT") =~ ^192\.0\.2\.1:[0-9]+\ right-source$ ]]
	[ "$(dn_json_get "$LERR" left source)" = 192.0.2.1 ]
}

@test "SSM and ASM memberships are visible in ip maddr while running, gone after" {
	need_ab
	dn_bg dnmcast recv -I vethB --source 2001:db8:77::a ff3e::8000:2 "$MP"
	local ssm=$LPID
	dn_bg dnmcast recv 'ff02::4244%vethB' "$MP"
	local asm6=$LPID
	dn_bg dnmcast recv -I vethB 239.77.0.44 "$MP"
	local asm4=$LPID
	dn_maddr_wait "$NS_B" vethB ff3e::8000:2 present
	dn_maddr_wait "$NS_B" vethB ff02::4244 present
	dn_maddr_wait "$NS_B" vethB 239.77.0.44 present
	kill -TERM "$ssm" "$asm6" "$asm4"
	LPID=$ssm wait_ok
	LPID=$asm6 wait_ok
	LPID=$asm4 wait_ok
	dn_maddr_wait "$NS_B" vethB ff3e::8000:2 absent
	dn_maddr_wait "$NS_B" vethB ff02::4244 absent
	dn_maddr_wait "$NS_B" vethB 239.77.0.44 absent
}

@test "after --count and after -w the membership is gone too" {
	need_ab
	dn_bg dnmcast recv --count 1 'ff02::4245%vethB' "$MP"
	dn_maddr_wait "$NS_B" vethB ff02::4245 present
	send 'ff02::4245%vethA' "$MP" <<< one
	wait_ok
	dn_maddr_wait "$NS_B" vethB ff02::4245 absent
	dn_bg dnmcast recv -w 0.5 -I vethB 239.77.0.45 "$MP"
	dn_maddr_wait "$NS_B" vethB 239.77.0.45 present
	dn_wait_exit "$LPID" 10
	dn_status_is 75
	dn_maddr_wait "$NS_B" vethB 239.77.0.45 absent
}

# --- the wire: hop limit, TTL -----------------------------------------------------

@test "--hops 7 on an IPv6 group: hlim 7 on the wire" {
	need_ab
	dn_capture_start "ip6 and udp port $MP"
	send -I vethA --hops 7 ff08::db8:7 "$MP" <<< hop
	dn_capture_has '[(, ]hlim 7, next-header UDP'
}

@test "IPv6 default hop limit: hlim 1 on the wire" {
	need_ab
	dn_capture_start "ip6 and udp port $MP"
	send -I vethA ff08::db8:7 "$MP" <<< hop
	dn_capture_has '[(, ]hlim 1, next-header UDP'
}

@test "--hops 9 on an IPv4 group: ttl 9 on the wire" {
	need_ab
	dn_capture_start "ip and udp port $MP"
	send -I vethA --hops 9 "$G4" "$MP" <<< ttl
	dn_capture_has ' ttl 9,.*proto UDP'
}

@test "the hops= key of a description: hlim 4" {
	need_ab
	dn_capture_start "ip6 and udp port $MP"
	run -0 --separate-stderr dnm "multicast:ff08\\:\\:db8\\:7:$MP:interface=vethA:hops=4" <<< hop
	dn_capture_has '[(, ]hlim 4, next-header UDP'
}

# --- loop ------------------------------------------------------------------------

# loop_case GROUP: receivers on A (the sender's host) and B; --no-loop
# reaches only B; --loop then reaches both. A's receiver counts one
# datagram: if the --no-loop one had come, it would be the one printed.
loop_case() {
	local g=$1 pa oa
	DN_LNS=$NS_A dn_mcast_recv -v --count 1 -I vethA "$g" "$MP"
	pa=$LPID oa=$LOUT
	dn_mcast_recv -v --count 2 -I vethB "$g" "$MP"
	send -I vethA --no-loop "$g" "$MP" <<< no-loop
	dn_wait_for "$LOUT" '^no-loop$' 10
	send -I vethA --loop "$g" "$MP" <<< loop
	wait_ok
	[ "$(cat "$LOUT")" = "$(printf 'no-loop\nloop')" ]
	LPID=$pa wait_ok
	[ "$(cat "$oa")" = loop ]
}

@test "--no-loop (IPv6): the sender's own host gets no copy, B does" {
	need_ab
	loop_case ff08::db8:9
}

@test "--no-loop (IPv4): the sender's own host gets no copy, B does" {
	need_ab
	loop_case "$G4"
}

@test "loop=no in a description: no copy on the sender's host" {
	need_ab
	local pa oa
	DN_LNS=$NS_A dn_mcast_recv -v --count 1 -I vethA ff08::db8:a "$MP"
	pa=$LPID oa=$LOUT
	dn_mcast_recv -v --count 2 -I vethB ff08::db8:a "$MP"
	run -0 --separate-stderr dnm "multicast:ff08\\:\\:db8\\:a:$MP:interface=vethA:loop=no" <<< no-loop
	dn_wait_for "$LOUT" '^no-loop$' 10
	send -I vethA ff08::db8:a "$MP" <<< default-loop
	wait_ok
	LPID=$pa wait_ok
	[ "$(cat "$oa")" = default-loop ]
}
