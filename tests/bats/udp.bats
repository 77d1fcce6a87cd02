#!/usr/bin/env bats
# udp.bats - dnudp over real sockets: on loopback (in a private namespace
# when root), and between two namespaces joined by a veth pair for link-local
# scopes, 4-tuples, ICMP errors and flow labels on the wire.
#
#   NS_A  vethA 192.0.2.1 2001:db8:77::a fe80::a  <--->  vethB .2 ::b fe80::b  NS_B

load helpers

# bats 1.8 cannot skip from setup_file: it records why, the tests skip.
setup_file() {
	dn_lb_ab_setup ulo
}

teardown_file() {
	ns_teardown
}

setup() {
	dn_require_dgram
	dn_lb_setup
}

teardown() {
	dn_kill_all
	dn_dump_logs
}

# same_file WANT GOT: byte-identical, else both are shown.
same_file() {
	cmp -s "$1" "$2" && return 0
	echo "want:" >&2
	od -c "$1" | sed 's/^/  /' >&2
	echo "got:" >&2
	od -c "$2" | sed 's/^/  /' >&2
	return 1
}

# send_from BIND DEST...: sends stdin (a file: kept in $T/send.in for the
# retries) with -b BIND, @B in BIND replaced by a random port, another one
# when that one is taken (71). Sets BP; leaves run's status/output/stderr.
send_from() {
	local bind=$1
	shift
	cat > "$T/send.in"
	DN_BOUND_IN=$T/send.in dn_run_bound dnu -b "$bind" "$@"
	[ "$status" = 0 ] || { echo "dnudp -b ${bind//@B/$BP} $*: status $status: $stderr" >&2; return 1; }
}

# closed_port ADDR: a UDP port nothing listens on (a listener that stopped).
closed_port() {
	dn_udp_listen "$1" 0 || return 1
	kill -TERM "$LPID"
	dn_wait_exit "$LPID" 5 || return 1
	CLOSED_PORT=$LPORT
}

# --- listening and output formats ------------------------------------------------

@test "-l 127.0.0.1 0: the real port, each line one datagram, empty and last lines too" {
	dn_udp_listen --count 4 127.0.0.1 0
	[ "$LADDR" = "127.0.0.1:$LPORT" ]
	[ "$LPORT" -gt 0 ]
	[ "$(cat "$LERR")" = "dnudp: listening on 127.0.0.1:$LPORT" ]
	run -0 --separate-stderr dnu 127.0.0.1 "$LPORT" < <(printf 'one\ntwo\n\nlast')
	[ -z "$output" ]
	[ -z "$stderr" ]
	wait_ok
	printf 'one\ntwo\n\nlast\n' > "$T/want"
	same_file "$T/want" "$LOUT"
	[ "$(cat "$LERR")" = "dnudp: listening on 127.0.0.1:$LPORT" ]
}

@test "-l ::1 0 and -l [::1]:0 print [::1]:PORT" {
	dn_udp_listen --count 1 ::1 0
	[ "$(cat "$LERR")" = "dnudp: listening on [::1]:$LPORT" ]
	run -0 --separate-stderr dnu ::1 "$LPORT" <<< hello6
	wait_ok
	[ "$(cat "$LOUT")" = hello6 ]
	dn_udp_listen '[::1]:0'
	[ "$LADDR" = "[::1]:$LPORT" ]
}

@test "a payload that ends in a newline gets no second one" {
	dn_udp_listen --count 2 127.0.0.1 0
	printf 'x\n' > "$T/a"
	printf 'y\n\n' > "$T/b"
	run -0 dnu --raw 127.0.0.1 "$LPORT" < "$T/a"
	run -0 dnu --raw 127.0.0.1 "$LPORT" < "$T/b"
	wait_ok
	printf 'x\ny\n\n' > "$T/want"
	same_file "$T/want" "$LOUT"
}

@test "--raw both ways: exact bytes, NUL and newlines inside, nothing added" {
	printf 'ab\0cd\n\377ef' > "$T/payload"
	dn_udp_listen --raw --count 1 127.0.0.1 0
	run -0 dnu --raw 127.0.0.1 "$LPORT" < "$T/payload"
	wait_ok
	same_file "$T/payload" "$LOUT"
}

# What a writer queues meanwhile goes out in one sendmmsg(), but nothing
# waits for company: a line alone in an open pipe leaves at once.
@test "a lone line leaves at once: input still open, no batch to fill" {
	dn_udp_listen 127.0.0.1 0
	local got=$LOUT
	mkfifo "$T/in"
	DN_LISTEN_IN=$T/in dn_bg dnudp 127.0.0.1 "$LPORT"
	exec 4> "$T/in"
	echo first >&4
	dn_wait_for "$got" '^first$' 5
	echo second >&4
	dn_wait_for "$got" '^second$' 5
	exec 4>&-
	wait_ok
	[ "$(cat "$got")" = "$(printf 'first\nsecond')" ]
}

@test "--raw: one datagram per read, never two merged (packet-mode pipe, 200 x 64 bytes)" {
	dn_udp_listen --hex --count 200 ::1 0
	# the sender runs where dnu would (DN_X: the test's namespace)
	python3 - timeout 20 "${DN_X[@]}" "$DN_BIN/dnudp" --raw ::1 "$LPORT" <<-'EOF'
	import os, subprocess, sys
	r, w = os.pipe2(os.O_DIRECT)  # each write one packet, each read one
	p = subprocess.Popen(sys.argv[1:], stdin=r)
	os.close(r)
	for i in range(200):
	    os.write(w, b"%064d" % i)
	os.close(w)
	sys.exit(p.wait())
	EOF
	wait_ok
	[ "$(wc -l < "$LOUT")" = 200 ]
	# 64 bytes each: 128 hex digits, and in order
	[ "$(awk 'length($0) != 128' "$LOUT" | wc -l)" = 0 ]
	[ "$(sed -n '200p' "$LOUT")" = "$(printf '%064d' 199 | od -An -v -tx1 | tr -d ' \n')" ]
}

@test "standard input's O_NONBLOCK, set while reading, is taken back at the end" {
	dn_udp_listen --count 1 127.0.0.1 0
	mkfifo "$T/in"
	# the open file is shared: the next reader of the pipe sees its flags
	{ dnu 127.0.0.1 "$LPORT"; python3 -c 'import fcntl, os; print(fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK)'; } < "$T/in" > "$T/flags" &
	local reader=$!
	dn_track "$reader"
	echo one > "$T/in"
	wait "$reader"
	wait_ok
	[ "$(cat "$T/flags")" = 0 ]
}

@test "--hex: lowercase pairs without separators, then a newline" {
	printf '\000\001\177\200\377\nA' > "$T/payload"
	dn_udp_listen --hex --count 1 ::1 0
	run -0 dnu --raw ::1 "$LPORT" < "$T/payload"
	wait_ok
	printf '00017f80ff0a41\n' > "$T/want"
	same_file "$T/want" "$LOUT"
}

@test "--from: the sender as 127.0.0.1:PORT and [::1]:PORT" {
	dn_udp_listen --from --count 1 127.0.0.1 0
	send_from '127.0.0.1:@B' 127.0.0.1 "$LPORT" <<< hello
	wait_ok
	printf '127.0.0.1:%s hello\n' "$BP" > "$T/want"
	same_file "$T/want" "$LOUT"
	dn_udp_listen --from --count 1 ::1 0
	send_from '::1,@B' "[::1]:$LPORT" <<< hello
	wait_ok
	printf '[::1]:%s hello\n' "$BP" > "$T/want"
	same_file "$T/want" "$LOUT"
}

@test "--from with --hex and with --raw" {
	dn_udp_listen --from --hex --count 1 127.0.0.1 0
	send_from '127.0.0.1:@B' 127.0.0.1 "$LPORT" <<< hi
	wait_ok
	printf '127.0.0.1:%s 6869\n' "$BP" > "$T/want"
	same_file "$T/want" "$LOUT"
	dn_udp_listen --from --raw --count 1 127.0.0.1 0
	send_from '127.0.0.1:@B' --raw 127.0.0.1 "$LPORT" < <(printf raw)
	wait_ok
	printf '127.0.0.1:%s raw' "$BP" > "$T/want"
	same_file "$T/want" "$LOUT"
}

@test "-l --count 2: exits 0 after two datagrams, prints exactly two" {
	dn_udp_listen --count 2 127.0.0.1 0
	run -0 dnu -w 0.5 127.0.0.1 "$LPORT" < <(printf 'a\nb\nc\n')
	wait_ok
	[ "$(cat "$LOUT")" = "$(printf 'a\nb')" ]
}

@test "-l -w 0.3 with nothing arriving: 75" {
	run -75 --separate-stderr dnu -l -w 0.3 127.0.0.1 0
	[ -z "$output" ]
}

@test "-l -w is an idle timeout: a datagram is printed, then silence gives 75" {
	dn_udp_listen -w 1 127.0.0.1 0
	run -0 dnu 127.0.0.1 "$LPORT" <<< early
	dn_wait_exit "$LPID" 10
	dn_status_is 75
	[ "$(cat "$LOUT")" = early ]
}

@test "send: --count 2 -w 5 gets both echoed replies and exits 0" {
	dn_udp_listen --echo ::1 0
	run -0 --separate-stderr dnu --count 2 -w 5 ::1 "$LPORT" < <(printf 'a\nb\n')
	[ "$output" = "$(printf 'a\nb')" ]
	[ -z "$stderr" ]
}

@test "send: --count 1 -w 0.3 without a reply: 75" {
	dn_udp_listen 127.0.0.1 0
	run -75 --separate-stderr dnu --count 1 -w 0.3 127.0.0.1 "$LPORT" <<< nobody-answers
	[ -z "$output" ]
	dn_wait_for "$LOUT" '^nobody-answers$' 5
}

@test "send: -w 0.5 without --count prints the replies and exits 0" {
	dn_udp_listen --echo 127.0.0.1 0
	run -0 --separate-stderr dnu --from -w 0.5 127.0.0.1 "$LPORT" <<< ping
	[ "$output" = "127.0.0.1:$LPORT ping" ]
}

@test "send without -w: exits 0 once sent, prints nothing" {
	dn_udp_listen --count 1 127.0.0.1 0
	run -0 --separate-stderr dnu 127.0.0.1 "$LPORT" <<< fire-and-forget
	[ -z "$output$stderr" ]
	wait_ok
	[ "$(cat "$LOUT")" = fire-and-forget ]
}

@test "--echo on 0.0.0.0 answers from the address it was asked on (127.0.0.2)" {
	need_ns
	dn_udp_listen --echo 0.0.0.0 0
	# --connect: a reply from any other source address would not arrive.
	run -0 --separate-stderr dnu --connect --from --count 1 -w 5 127.0.0.2 "$LPORT" <<< where
	[ "$output" = "127.0.0.2:$LPORT where" ]
}

@test "--echo on :: answers a v4-mapped sender" {
	dn_udp_listen --echo --dual-stack :: 0
	run -0 --separate-stderr dnu --connect --count 1 -w 5 127.0.0.1 "$LPORT" <<< mapped
	[ "$output" = mapped ]
}

# --- errors from the network --------------------------------------------------

@test "--connect to a closed port: 69, the documented line (IPv4 and IPv6)" {
	closed_port 127.0.0.1
	run -69 --separate-stderr dnu --connect -w 2 127.0.0.1 "$CLOSED_PORT" <<< knock
	[ -z "$output" ]
	[ "$stderr" = "dnudp: 127.0.0.1:$CLOSED_PORT refused the datagram (port unreachable)" ]
	closed_port ::1
	run -69 --separate-stderr dnu --connect -w 2 ::1 "$CLOSED_PORT" <<< knock
	[ "$stderr" = "dnudp: [::1]:$CLOSED_PORT refused the datagram (port unreachable)" ]
}

@test "--connect --json to a closed port: an error event EREFUSED, exit 69" {
	closed_port ::1
	run -69 --separate-stderr dnu --json --connect -w 2 ::1 "$CLOSED_PORT" <<< knock
	printf '%s\n' "$stderr" > "$T/e.json"
	dn_json_events "$T/e.json" > "$T/events"
	grep -qx error "$T/events"
	[ "$(dn_json_keys "$T/e.json" error)" = event,time,code,exit,message ]
	[ "$(dn_json_get "$T/e.json" error code)" = EREFUSED ]
	[ "$(dn_json_get "$T/e.json" error exit)" = 69 ]
	[ "$(dn_json_get "$T/e.json" error message)" = "[::1]:$CLOSED_PORT refused the datagram (port unreachable)" ]
	! grep -q '^dnudp:' "$T/e.json"
}

@test "truncation: --max-size 4 keeps 4 bytes and reports the real size" {
	dn_udp_listen --max-size 4 --count 1 127.0.0.1 0
	send_from '127.0.0.1:@B' 127.0.0.1 "$LPORT" <<< abcdefgh
	wait_ok
	[ "$(cat "$LOUT")" = abcd ]
	grep -qxF "dnudp: datagram from 127.0.0.1:$BP truncated: 8 bytes, kept 4" "$LERR"
}

@test "truncation under --json: datagram bytes/truncated and a truncated event" {
	dn_udp_listen --json --max-size 3 --count 1 ::1 0
	send_from '::1,@B' ::1 "$LPORT" <<< 12345678901
	wait_ok
	[ "$(cat "$LOUT")" = 123 ]
	dn_json_events "$LERR" > /dev/null
	[ "$(dn_json_get "$LERR" datagram bytes)" = 11 ]
	[ "$(dn_json_get "$LERR" datagram truncated)" = true ]
	[ "$(dn_json_keys "$LERR" truncated)" = event,time,from,size,kept ]
	[ "$(dn_json_get "$LERR" truncated from)" = "[::1]:$BP" ]
	[ "$(dn_json_get "$LERR" truncated size)" = 11 ]
	[ "$(dn_json_get "$LERR" truncated kept)" = 3 ]
}

@test "a reply larger than --max-size is truncated and reported when sending" {
	dn_udp_listen --echo 127.0.0.1 0
	run -0 --separate-stderr dnu --max-size 2 --count 1 -w 5 127.0.0.1 "$LPORT" <<< reply
	[ "$output" = re ]
	[ "$stderr" = "dnudp: datagram from 127.0.0.1:$LPORT truncated: 5 bytes, kept 2" ]
}

# --- -v and --json ---------------------------------------------------------------

@test "-v: timed trace of listening, the datagram with its destination, and sent" {
	dn_udp_listen -v --count 1 127.0.0.1 0
	send_from '127.0.0.1:@B' -v 127.0.0.1 "$LPORT" <<< hello
	grep -qE "^dnudp: \+[0-9]+\.[0-9]{3}s sent 5 bytes to 127\.0\.0\.1:$LPORT\$" <<< "$stderr"
	wait_ok
	grep -qE "listening on 127\.0\.0\.1:$LPORT\$" "$LERR"
	grep -qE "^dnudp: \+[0-9]+\.[0-9]{3}s datagram from 127\.0\.0\.1:$BP to 127\.0\.0\.1:$LPORT on lo: 5 bytes\$" "$LERR"
}

@test "--json: every line is JSON, with the documented keys in order" {
	dn_udp_listen --json --count 1 ::1 0
	send_from '::1,@B' --json ::1 "$LPORT" <<< hello
	printf '%s\n' "$stderr" > "$T/s.json"
	[ "$(dn_json_events "$T/s.json")" = sent ]
	[ "$(dn_json_keys "$T/s.json" sent)" = event,time,address,bytes ]
	[ "$(dn_json_get "$T/s.json" sent address)" = "[::1]:$LPORT" ]
	[ "$(dn_json_get "$T/s.json" sent bytes)" = 5 ]
	wait_ok
	[ "$(dn_json_events "$LERR" | tr '\n' ' ')" = "listening datagram " ]
	[ "$(dn_json_keys "$LERR" listening)" = event,time,address,v6only ]
	[ "$(dn_json_get "$LERR" listening address)" = "[::1]:$LPORT" ]
	[ "$(dn_json_keys "$LERR" datagram)" = event,time,from,to,interface,bytes,truncated ]
	[ "$(dn_json_get "$LERR" datagram from)" = "[::1]:$BP" ]
	[ "$(dn_json_get "$LERR" datagram to)" = "[::1]:$LPORT" ]
	[ "$(dn_json_get "$LERR" datagram interface)" = lo ]
	[ "$(dn_json_get "$LERR" datagram bytes)" = 5 ]
	[ "$(dn_json_get "$LERR" datagram truncated)" = false ]
	# time: seconds with three decimals
	! grep -vE '^\{"event":"[a-z]+","time":[0-9]+\.[0-9]{3},' "$LERR" "$T/s.json"
	[ "$(cat "$LOUT")" = hello ]
}

@test "--json listening: v6only null for IPv4, true/false for IPv6 wildcards" {
	dn_udp_listen --json 127.0.0.1 0
	[ "$(dn_json_get "$LERR" listening v6only)" = null ]
	dn_udp_listen --json --v6only :: 0
	[ "$(dn_json_get "$LERR" listening address)" = "[::]:$LPORT" ]
	[ "$(dn_json_get "$LERR" listening v6only)" = true ]
	dn_udp_listen --json --dual-stack :: 0
	[ "$(dn_json_get "$LERR" listening v6only)" = false ]
}

@test "--json usage error: one error event, exit 64, no text line" {
	run -64 --separate-stderr dnu --json --count 0 127.0.0.1 9
	[ "${#stderr_lines[@]}" = 1 ]
	printf '%s\n' "$stderr" > "$T/e.json"
	[ "$(dn_json_events "$T/e.json")" = error ]
	[ "$(dn_json_get "$T/e.json" error exit)" = 64 ]
	grep -q -- --count "$T/e.json"
}

# --- dual stack, descriptions, address forms ---------------------------------------

@test "dual-stack listener sees IPv4 senders as [::ffff:127.0.0.1]:PORT" {
	dn_udp_listen --dual-stack --from --count 1 :: 0
	[ "$(cat "$LERR")" = "dnudp: listening on [::]:$LPORT (dual-stack)" ]
	send_from '127.0.0.1:@B' 127.0.0.1 "$LPORT" <<< v4
	wait_ok
	printf '[::ffff:127.0.0.1]:%s v4\n' "$BP" > "$T/want"
	same_file "$T/want" "$LOUT"
}

@test "--v6only listener: (v6only), IPv6 arrives, IPv4 does not" {
	dn_udp_listen --v6only -w 1 :: 0
	[ "$(cat "$LERR")" = "dnudp: listening on [::]:$LPORT (v6only)" ]
	run -0 dnu 127.0.0.1 "$LPORT" <<< four
	run -0 dnu ::1 "$LPORT" <<< six
	dn_wait_exit "$LPID" 10
	dn_status_is 75
	[ "$(cat "$LOUT")" = six ]
}

@test "-l -6 0 listens on [::] with the system's v6only default" {
	local mode=dual-stack
	[ "$("${DN_X[@]}" cat /proc/sys/net/ipv6/bindv6only)" = 1 ] && mode=v6only
	dn_udp_listen -6 0
	[ "$(cat "$LERR")" = "dnudp: listening on [::]:$LPORT ($mode)" ]
}

@test "udp: descriptions, listening (no -l) and sending" {
	dn_udp_listen 'udp:0:interface=127.0.0.1'
	[ "$LADDR" = "127.0.0.1:$LPORT" ]
	kill -TERM "$LPID"
	wait_ok
	dn_bg dnudp --count 3 "udp:0:interface=127.0.0.1"
	dn_wait_for "$LERR" 'listening on' 10
	LPORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$LERR")
	run -0 --separate-stderr dnu "udp:host=127.0.0.1:port=$LPORT" <<< one
	run -0 --separate-stderr dnu "udp:127.0.0.1:$LPORT" <<< two
	run -0 --separate-stderr dnu "udp:host=127.0.0.1:port=$LPORT:bindAddress=127.0.0.1" <<< three
	wait_ok
	[ "$(cat "$LOUT")" = "$(printf 'one\ntwo\nthree')" ]
}

@test "udp6: descriptions: interface=\\:\\:1, v6only=yes|no, host=\\:\\:1" {
	dn_bg dnudp --count 1 'udp6:0:interface=\:\:1'
	dn_wait_for "$LERR" 'listening on' 10
	grep -qE '^dnudp: listening on \[::1\]:[0-9]+$' "$LERR"
	LPORT=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\)$/\1/p' "$LERR")
	run -0 --separate-stderr dnu "udp6:host=\\:\\:1:port=$LPORT" <<< six
	wait_ok
	[ "$(cat "$LOUT")" = six ]
	dn_bg dnudp 'udp6:0:v6only=yes'
	dn_wait_for "$LERR" 'listening on' 10
	grep -qE '^dnudp: listening on \[::\]:[0-9]+ \(v6only\)$' "$LERR"
	dn_bg dnudp 'udp6:0:v6only=no'
	dn_wait_for "$LERR" 'listening on' 10
	grep -qE '^dnudp: listening on \[::\]:[0-9]+ \(dual-stack\)$' "$LERR"
}

@test "send forms: ADDR:PORT, [::1]:PORT, 4-tuples, a service name" {
	dn_udp_listen --dual-stack --count 5 :: 0
	run -0 dnu "127.0.0.1:$LPORT" <<< f1
	run -0 dnu "[::1]:$LPORT" <<< f2
	run -0 dnu "::1,$LPORT" <<< f3
	run -0 dnu "::1,$LPORT,0" <<< f4
	run -0 dnu -6 ::1 "$LPORT" <<< f5
	wait_ok
	[ "$(sort "$LOUT" | tr '\n' ' ')" = "f1 f2 f3 f4 f5 " ]
}

@test "a name resolves to IPv4, or to IPv6 with -6; an unknown one is 68" {
	need_ns
	dn_udp_listen --dual-stack --from --count 2 :: 0
	run -0 --separate-stderr dnu localhost "$LPORT" <<< by-name-4
	run -0 --separate-stderr dnu -6 localhost "$LPORT" <<< by-name-6
	wait_ok
	grep -qE '^\[::ffff:127\.0\.0\.1\]:[0-9]+ by-name-4$' "$LOUT"
	grep -qE '^\[::1\]:[0-9]+ by-name-6$' "$LOUT"
	run -68 --separate-stderr dnu no-such-host.dnt.test 9 <<< x
	assert_one_line_error dnudp no-such-host.dnt.test
}

@test "SIGTERM and SIGINT: the listener exits 0" {
	dn_udp_listen 127.0.0.1 0
	kill -TERM "$LPID"
	wait_ok
	dn_udp_listen ::1 0
	kill -INT "$LPID"
	wait_ok
}

@test "-q: no listening line, no error message" {
	local i
	dn_bg dnudp -l -q --count 1 127.0.0.1 0
	# -q prints nothing to scrape: find the port with ss.
	for ((i = 0; i < 100; i++)); do
		LPORT=$("${DN_X[@]}" ss -Hunlp 2>/dev/null | grep "pid=$LPID," |
		    awk '{ print $4 }' | sed 's/.*://' | head -n1)
		[ -n "$LPORT" ] && break
		sleep 0.05
	done
	[ -n "$LPORT" ]
	run -0 dnu 127.0.0.1 "$LPORT" <<< quiet
	wait_ok
	[ -z "$(cat "$LERR")" ]
	[ "$(cat "$LOUT")" = quiet ]
	run -64 --separate-stderr dnu -q --count 0 127.0.0.1 9
	[ -z "$stderr" ]
}

# --- bad input: 64, one line naming the bad part ------------------------------------

@test "bad: port 70000" {
	run -64 --separate-stderr dnu 127.0.0.1 70000 < /dev/null
	assert_one_line_error dnudp 70000
}

@test "bad: a link-local address without a scope names it and the interfaces" {
	run -64 --separate-stderr dnu fe80::1 53 < /dev/null
	assert_one_line_error dnudp fe80::1 lo
}

@test "bad: a scope on an IPv4 address" {
	run -64 --separate-stderr dnu '127.0.0.1%lo' 53 < /dev/null
	assert_one_line_error dnudp 127.0.0.1 lo
}

@test "bad: a scope on a global IPv6 address" {
	run -64 --separate-stderr dnu '2001:db8::1%lo' 53 < /dev/null
	assert_one_line_error dnudp 2001:db8::1 lo
}

@test "bad: an unknown interface in -I" {
	run -64 --separate-stderr dnu -I eth9 fe80::1 53 < /dev/null
	assert_one_line_error dnudp eth9
}

@test "bad: --count 0" {
	run -64 --separate-stderr dnu --count 0 127.0.0.1 53 < /dev/null
	assert_one_line_error dnudp --count
}

@test "bad: --max-size 65536" {
	run -64 --separate-stderr dnu -l --max-size 65536 127.0.0.1 0 < /dev/null
	assert_one_line_error dnudp --max-size
}

@test "bad: -w abc" {
	run -64 --separate-stderr dnu -l -w abc 127.0.0.1 0 < /dev/null
	assert_one_line_error dnudp -w
}

@test "bad: --flow-label 0x100000" {
	run -64 --separate-stderr dnu --flow-label 0x100000 ::1 53 < /dev/null
	assert_one_line_error dnudp --flow-label
}

@test "bad: --flow-label to an IPv4 destination" {
	run -64 --separate-stderr dnu --flow-label 5 127.0.0.1 53 < /dev/null
	assert_one_line_error dnudp --flow-label
}

@test "bad: --flow-label disagreeing with the 4-tuple's FLOWINFO" {
	run -64 --separate-stderr dnu --flow-label 0x1 '::1,53,0x12345' < /dev/null
	assert_one_line_error dnudp --flow-label
}

@test "bad: --echo without -l" {
	run -64 --separate-stderr dnu --echo 127.0.0.1 53 < /dev/null
	assert_one_line_error dnudp --echo
}

@test "bad: -l with --connect" {
	run -64 --separate-stderr dnu -l --connect 127.0.0.1 0 < /dev/null
	assert_one_line_error dnudp --connect
}

@test "bad: --dual-stack with --v6only" {
	run -64 --separate-stderr dnu -l --dual-stack --v6only :: 0 < /dev/null
	assert_one_line_error dnudp --dual-stack --v6only
}

@test "bad: -l --raw --hex" {
	run -64 --separate-stderr dnu -l --raw --hex 127.0.0.1 0 < /dev/null
	assert_one_line_error dnudp --raw --hex
}

@test "bad: -b of the other family names -b" {
	run -64 --separate-stderr dnu -b ::1 127.0.0.1 53 < /dev/null
	assert_one_line_error dnudp ::1 127.0.0.1
}

@test "bad: -4 with an IPv6 literal" {
	run -64 --separate-stderr dnu -4 ::1 53 < /dev/null
	assert_one_line_error dnudp ::1
}

@test "bad: -6 with an IPv4 literal to listen on" {
	run -64 --separate-stderr dnu -l -6 127.0.0.1 0 < /dev/null
	assert_one_line_error dnudp 127.0.0.1
}

@test "bad: a description key that does not exist" {
	run -64 --separate-stderr dnu 'udp:host=127.0.0.1:port=53:bogus=1' < /dev/null
	assert_one_line_error dnudp bogus
}

@test "bad: an address that is not one to listen on" {
	run -64 --separate-stderr dnu -l 1.2.3.4.5 0 < /dev/null
	assert_one_line_error dnudp 1.2.3.4.5
}

@test "bad: a name to listen on" {
	run -64 --separate-stderr dnu -l localhost 0 < /dev/null
	assert_one_line_error dnudp localhost
}

@test "bad: an unknown option" {
	run -64 --separate-stderr dnu --bogus 127.0.0.1 53 < /dev/null
	assert_one_line_error dnudp --bogus
}

@test "bad: a destination without a port" {
	run -64 --separate-stderr dnu 127.0.0.1 < /dev/null
	assert_one_line_error dnudp 127.0.0.1 PORT
}

@test "bad: -l without a port" {
	run -64 --separate-stderr dnu -l < /dev/null
	assert_one_line_error dnudp PORT
}

@test "bad: a FLOWINFO beyond 20 bits in a 4-tuple" {
	run -64 --separate-stderr dnu '::1,53,0x100000' < /dev/null
	assert_one_line_error dnudp 0x100000
}

# --- two namespaces: link-local scopes, 4-tuples, the wire ---------------------------

@test "link-local: B listening on fe80::b%vethB prints the scoped sender" {
	need_ab
	dn_udp_listen -v --from --count 1 'fe80::b%vethB' 0
	[ "$LADDR" = "[fe80::b%vethB]:$LPORT" ]
	send_from 'fe80::a%vethA,@B' 'fe80::b%vethA' "$LPORT" <<< hello
	wait_ok
	[ "$(cat "$LOUT")" = "[fe80::a%vethB]:$BP hello" ]
	grep -qE "datagram from \[fe80::a%vethB\]:$BP to \[fe80::b%vethB\]:$LPORT on vethB: 5 bytes\$" "$LERR"
}

@test "link-local both ways: A prints B's echo as [fe80::b%vethA]:PORT" {
	need_ab
	dn_udp_listen --echo --from 'fe80::b%vethB' 0
	run -0 --separate-stderr dnu -v --from --count 1 -w 5 'fe80::b%vethA' "$LPORT" <<< both-ways
	[ "$output" = "[fe80::b%vethA]:$LPORT both-ways" ]
	grep -qE "sent 9 bytes to \[fe80::b%vethA\]:$LPORT\$" <<< "$stderr"
	dn_wait_for "$LOUT" '^\[fe80::a%vethB\]:[0-9]+ both-ways$' 5
}

@test "link-local on a wildcard listener: the sender and pktinfo destination are scoped" {
	need_ab
	dn_udp_listen -v --from --count 1 --v6only :: 0
	send_from 'fe80::a,@B,0,vethA' 'fe80::b%vethA' "$LPORT" <<< wild
	wait_ok
	[ "$(cat "$LOUT")" = "[fe80::a%vethB]:$BP wild" ]
	grep -qE "datagram from \[fe80::a%vethB\]:$BP to \[fe80::b%vethB\]:$LPORT on vethB: 4 bytes\$" "$LERR"
}

@test "4-tuple and scoped targets all reach fe80::b" {
	need_ab
	local forms=('fe80::b,@P,0,vethA' 'fe80::b%vethA,@P' "fe80::b,@P,,$IDX_A"
	    'fe80::b%vethA,@P,0,vethA' '[fe80::b%25vethA]:@P' "[fe80::b%$IDX_A]:@P"
	    '-I vethA fe80::b @P' "-I $IDX_A [fe80::b]:@P" 'udp6:host=fe80\:\:b%vethA:port=@P'
	    "fe80::b%$IDX_A @P") f args n=0
	dn_udp_listen --from --count "${#forms[@]}" 'fe80::b%vethB' 0
	for f in "${forms[@]}"; do
		n=$((n + 1))
		read -ra args <<< "${f//@P/$LPORT}"
		run --separate-stderr dnu "${args[@]}" <<< "form$n"
		[ "$status" = 0 ] || { echo "'$f': status $status: $stderr" >&2; return 1; }
	done
	wait_ok
	[ "$(grep -cE '^\[fe80::a%vethB\]:[0-9]+ form[0-9]+$' "$LOUT")" = "${#forms[@]}" ]
}

@test "-b 4-tuples: B sees the bound scoped port" {
	need_ab
	dn_udp_listen --from --count 3 'fe80::b%vethB' 0
	send_from 'fe80::a,@B,,vethA' 'fe80::b%vethA' "$LPORT" <<< b1
	dn_wait_for "$LOUT" "^\[fe80::a%vethB\]:$BP b1\$" 5
	send_from "fe80::a%vethA,@B" 'fe80::b%vethA' "$LPORT" <<< b2
	dn_wait_for "$LOUT" "^\[fe80::a%vethB\]:$BP b2\$" 5
	send_from '[fe80::a%vethA]:@B' -I vethA fe80::b "$LPORT" <<< b3
	wait_ok
	grep -qxF "[fe80::a%vethB]:$BP b3" "$LOUT"
}

@test "a link-local target without a scope: 64, one line listing A's interfaces" {
	need_ab
	run -64 --separate-stderr dnu fe80::b 53 < /dev/null
	assert_one_line_error dnudp fe80::b lo vethA
}

@test "listening on an unscoped link-local address: 64, names the interfaces" {
	need_ab
	run -64 --separate-stderr dnu_in "$NS_B" -l fe80::b 0 < /dev/null
	assert_one_line_error dnudp fe80::b vethB
}

@test "an unknown scope: 64, names it" {
	need_ab
	run -64 --separate-stderr dnu 'fe80::b%eth9' 53 < /dev/null
	assert_one_line_error dnudp eth9
}

@test "%scope and the 4-tuple SCOPE disagree: 64" {
	need_ab
	run -64 --separate-stderr dnu "fe80::b%vethA,53,0,lo" < /dev/null
	assert_one_line_error dnudp vethA lo
}

@test "--connect to a closed port across the link: 69 (IPv4, global IPv6, link-local)" {
	need_ab
	closed_port 192.0.2.2
	run -69 --separate-stderr dnu --connect -w 3 192.0.2.2 "$CLOSED_PORT" <<< knock
	[ "$stderr" = "dnudp: 192.0.2.2:$CLOSED_PORT refused the datagram (port unreachable)" ]
	closed_port 2001:db8:77::b
	run -69 --separate-stderr dnu --connect -w 3 2001:db8:77::b "$CLOSED_PORT" <<< knock
	[ "$stderr" = "dnudp: [2001:db8:77::b]:$CLOSED_PORT refused the datagram (port unreachable)" ]
	closed_port 'fe80::b%vethB'
	run -69 --separate-stderr dnu --connect -w 3 'fe80::b%vethA' "$CLOSED_PORT" <<< knock
	[ "$stderr" = "dnudp: [fe80::b%vethA]:$CLOSED_PORT refused the datagram (port unreachable)" ]
}

@test "without --connect an ICMP error is not reported: -w 0.5 exits 0" {
	need_ab
	closed_port 192.0.2.2
	run -0 --separate-stderr dnu -w 0.5 192.0.2.2 "$CLOSED_PORT" <<< knock
	[ -z "$output$stderr" ]
}

@test "the global IPv6 path: -v shows B's pktinfo destination on vethB" {
	need_ab
	dn_udp_listen -v --from --count 1 --dual-stack :: 0
	run -0 dnu 2001:db8:77::b "$LPORT" <<< global
	wait_ok
	grep -qE '^\[2001:db8:77::a\]:[0-9]+ global$' "$LOUT"
	grep -qE "datagram from \[2001:db8:77::a\]:[0-9]+ to \[2001:db8:77::b\]:$LPORT on vethB: 6 bytes\$" "$LERR"
}

# --- flow labels on the wire ----------------------------------------------------

@test "4-tuple FLOWINFO 0x12345 is on the datagram" {
	need_ab
	dn_udp_listen --count 1 'fe80::b%vethB' 0
	dn_capture_start "ip6 and udp port $LPORT"
	run -0 --separate-stderr dnu "fe80::b,$LPORT,0x12345,vethA" <<< labelled
	wait_ok
	dn_capture_has 'flowlabel 0x12345,'
}

@test "--flow-label 0xabcde to a global address is on the datagram" {
	need_ab
	dn_udp_listen --count 1 2001:db8:77::b 0
	dn_capture_start "ip6 and udp port $LPORT"
	run -0 --separate-stderr dnu --flow-label 0xabcde 2001:db8:77::b "$LPORT" <<< labelled
	wait_ok
	dn_capture_has 'flowlabel 0xabcde,'
}
