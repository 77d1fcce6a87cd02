#!/usr/bin/env bats
# loopback.bats - dnconnect and dnlisten over real sockets on 127.0.0.1 and ::1.
#
# As root the whole file runs inside a private namespace (lo only, its own
# /etc/hosts mapping localhost to ::1 and 127.0.0.1, a resolv.conf pointing
# at nothing); otherwise on the host's loopback, and the tests that need the
# namespace skip.

load helpers

setup_file() {
	LB_NS=
	if ns_available; then
		LB_NS="dnt-$$-$RANDOM-lo"
		if ns_make "$LB_NS"; then
			printf '127.0.0.2 multi.dnt.test\n127.0.0.1 multi.dnt.test\n' \
			    >> "/etc/netns/$LB_NS/hosts"
		else
			LB_NS=
		fi
	fi
	export LB_NS NS_WHY
	dn_big_files
}

teardown_file() {
	ns_teardown
}

setup() {
	dn_require_programs
	dn_lb_setup
}

teardown() {
	exec 7>&- 2>/dev/null || true
	dn_kill_all
	dn_dump_logs
}

# --- basic connections -------------------------------------------------------

@test "127.0.0.1: port 0 read back, data both ways, quiet by default" {
	printf 'from-server\n' > "$T/s.in"
	printf 'from-client\n' > "$T/c.in"
	DN_LISTEN_IN="$T/s.in" dn_listen 127.0.0.1 0
	[ "$LADDR" = "127.0.0.1:$LPORT" ]
	[ "$LPORT" -gt 0 ]
	[ "$(cat "$LERR")" = "dnlisten: listening on 127.0.0.1:$LPORT" ]
	run -0 --separate-stderr dnc 127.0.0.1 "$LPORT" < "$T/c.in"
	[ "$output" = from-server ]
	[ -z "$stderr" ]
	dn_wait_exit "$LPID" 10
	dn_status_is 0
	[ "$(cat "$LOUT")" = from-client ]
	[ "$(cat "$LERR")" = "dnlisten: listening on 127.0.0.1:$LPORT" ]
}

@test "::1: port 0 read back, data both ways" {
	printf 'from-server\n' > "$T/s.in"
	printf 'from-client\n' > "$T/c.in"
	DN_LISTEN_IN="$T/s.in" dn_listen ::1 0
	[ "$LADDR" = "[::1]:$LPORT" ]
	run -0 --separate-stderr dnc ::1 "$LPORT" < "$T/c.in"
	[ "$output" = from-server ]
	[ -z "$stderr" ]
	dn_wait_exit "$LPID" 10
	dn_status_is 0
	[ "$(cat "$LOUT")" = from-client ]
}

@test "dnlisten ADDR:PORT form: [::1]:0" {
	dn_listen -e 'printf ok' '[::1]:0'
	[ "$LADDR" = "[::1]:$LPORT" ]
	run -0 dnc ::1 "$LPORT" < /dev/null
	[ "$output" = ok ]
}

# check_form LISTEN_ADDR FORM...: each FORM (with @P for the port) reaches a
# listener on LISTEN_ADDR, which answers with its DN_LOCAL.
check_form() {
	local laddr=$1 f want args
	shift
	dn_listen -k -e 'printf "%s" "$DN_LOCAL"' "$laddr" 0
	want=$LADDR
	for f in "$@"; do
		read -ra args <<< "${f//@P/$LPORT}"
		run -0 --separate-stderr dnc "${args[@]}" < /dev/null
		if [ "$output" != "$want" ]; then
			echo "form '$f': got '$output' (stderr: $stderr), want '$want'" >&2
			return 1
		fi
	done
}

@test "forms: HOST PORT, ADDR:PORT and tcp: for 127.0.0.1" {
	check_form 127.0.0.1 "127.0.0.1 @P" "127.0.0.1:@P" \
	    "tcp:host=127.0.0.1:port=@P" "127.0.0.1,@P" "tcp:host=127.0.0.1:port=@P:timeout=5"
}

@test "forms: [::1]:PORT" {
	check_form ::1 "[::1]:@P"
}

@test "forms: 4-tuple ::1,PORT and ::1,PORT,0" {
	check_form ::1 "::1,@P" "::1,@P,0"
}

@test "forms: tcp6:host=\\:\\:1:port=P and tcp: with an IPv6 literal" {
	check_form ::1 'tcp6:host=\:\:1:port=@P' 'tcp:host=\:\:1:port=@P'
}

@test "forms: PORT as a service name is accepted" {
	grep -qE '^http[[:space:]]+80/tcp' /etc/services || skip "no http in /etc/services"
	# Nothing listens on 80 in the namespace: refused proves the name parsed.
	need_ns
	run -69 --separate-stderr dnc -z 127.0.0.1 http
}

# --- -z ----------------------------------------------------------------------

@test "-z: open port exits 0, nothing written" {
	dn_listen 127.0.0.1 0
	run -0 --separate-stderr dnc -z 127.0.0.1 "$LPORT"
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "-z: refused port exits 69 with one line" {
	dn_closed_port 127.0.0.1 0
	run -69 --separate-stderr dnc -z 127.0.0.1 "$CLOSED_PORT"
	assert_one_line_error dnconnect "$CLOSED_PORT"
}

@test "refused on ::1 exits 69 naming the address" {
	dn_closed_port ::1 0
	run -69 --separate-stderr dnc ::1 "$CLOSED_PORT" < /dev/null
	assert_one_line_error dnconnect "::1" "$CLOSED_PORT"
}

# --- listening addresses -------------------------------------------------------

@test "dnlisten default address is 0.0.0.0" {
	dn_listen 0
	[ "$LADDR" = "0.0.0.0:$LPORT" ]
	[ "$(cat "$LERR")" = "dnlisten: listening on 0.0.0.0:$LPORT" ]
	run -0 dnc -z 127.0.0.1 "$LPORT"
}

sys_mode() {
	if [ "$("${DN_X[@]}" cat /proc/sys/net/ipv6/bindv6only)" = 1 ]; then
		echo v6only
	else
		echo dual-stack
	fi
}

@test "dnlisten :: follows net.ipv6.bindv6only" {
	local mode
	mode=$(sys_mode)
	dn_listen :: 0
	grep -qx "dnlisten: listening on \[::\]:$LPORT ($mode)" "$LERR"
}

@test "dnlisten -6 defaults to ::" {
	local mode
	mode=$(sys_mode)
	dn_listen -6 0
	grep -qx "dnlisten: listening on \[::\]:$LPORT ($mode)" "$LERR"
}

@test "dnlisten :: with net.ipv6.bindv6only=1 is v6only by default" {
	need_ns
	ip netns exec "$LB_NS" sysctl -qw net.ipv6.bindv6only=1
	dn_listen :: 0 || { ip netns exec "$LB_NS" sysctl -qw net.ipv6.bindv6only=0; false; }
	ip netns exec "$LB_NS" sysctl -qw net.ipv6.bindv6only=0
	grep -qx "dnlisten: listening on \[::\]:$LPORT (v6only)" "$LERR"
}

@test "--dual-stack: IPv4 peer seen as [::ffff:127.0.0.1]" {
	dn_listen -v --dual-stack -e 'printf "%s" "$DN_PEER"' :: 0
	grep -qx "dnlisten: listening on \[::\]:$LPORT (dual-stack)" "$LERR"
	run -0 --separate-stderr dnc 127.0.0.1 "$LPORT" < /dev/null
	[[ $output =~ ^\[::ffff:127\.0\.0\.1\]:[0-9]+$ ]]
	dn_wait_for "$LERR" "connection from \[::ffff:127\.0\.0\.1\]:[0-9]+ to \[::ffff:127\.0\.0\.1\]:$LPORT"
	grep -qF "connection from $output " "$LERR"
}

@test "--v6only: IPv4 refused (69), IPv6 served" {
	dn_listen -k --v6only -e 'printf ok' :: 0
	grep -qx "dnlisten: listening on \[::\]:$LPORT (v6only)" "$LERR"
	run -69 --separate-stderr dnc 127.0.0.1 "$LPORT" < /dev/null
	run -0 dnc ::1 "$LPORT" < /dev/null
	[ "$output" = ok ]
}

@test "tcp6: description listens on :: by default, v6only=yes" {
	dn_listen tcp6:0:v6only=yes
	grep -qx "dnlisten: listening on \[::\]:$LPORT (v6only)" "$LERR"
}

@test "tcp: description with an escaped IPv6 interface" {
	dn_listen 'tcp6:0:interface=\:\:1'
	[ "$LADDR" = "[::1]:$LPORT" ]
	dn_listen 'tcp:0:interface=127.0.0.1:backlog=5'
	[ "$LADDR" = "127.0.0.1:$LPORT" ]
}

# --- bulk data -----------------------------------------------------------------

@test "64 MiB echoed byte-identical through dnlisten -e cat (127.0.0.1)" {
	dn_listen -e cat 127.0.0.1 0
	dn_echo_big 180 "$BIG1" 127.0.0.1 "$LPORT"
}

@test "64 MiB each way at once, relay to relay, with half-close (::1)" {
	DN_LISTEN_IN="$BIG2" dn_listen ::1 0
	dn_both_ways 180 ::1 "$LPORT"
}

@test "slow reader on dnconnect's stdout: 8 MiB byte-identical" {
	local st=0
	head -c 8M "$BIG1" > "$T/in"
	dn_listen -e cat 127.0.0.1 0
	# 32 KiB every 5 ms: the relay must stop reading, not drop or spin.
	{ dnc 127.0.0.1 "$LPORT" < "$T/in" 2> "$T/err" || echo $? > "$T/st"; } |
	    python3 -c '
import sys, time
out = open(sys.argv[1], "wb")
while True:
    b = sys.stdin.buffer.read1(32768)
    if not b:
        break
    out.write(b)
    time.sleep(0.005)
' "$T/out"
	cat "$T/err" >&2
	[ ! -e "$T/st" ] || st=$(cat "$T/st")
	[ "$st" = 0 ]
	[ "$(sha "$T/out")" = "$(sha "$T/in")" ]
}

@test "half-close: dnconnect keeps reading after stdin EOF" {
	dn_listen -e 'cat > /dev/null; sleep 0.3; echo late' 127.0.0.1 0
	run -0 dnc 127.0.0.1 "$LPORT" <<< "early"
	[ "$output" = late ]
}

@test "a reset after connecting exits 74" {
	"${DN_X[@]}" python3 -c '
import socket, struct, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
time.sleep(0.2)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
' > "$T/py.out" 3>&- &
	dn_track $!
	dn_wait_for "$T/py.out" '^[0-9]+$' 10
	mkfifo "$T/fifo"
	dnc 127.0.0.1 "$(cat "$T/py.out")" < "$T/fifo" > "$T/out" 2> "$T/err" 3>&- &
	local cpid=$!
	dn_track "$cpid"
	exec 7> "$T/fifo"
	dn_wait_exit "$cpid" 10
	cat "$T/err" >&2
	dn_status_is 74
	[ "$(wc -l < "$T/err")" = 1 ]
	grep -q '^dnconnect: ' "$T/err"
}

# --- -e environment ------------------------------------------------------------

# check_env ADDR: DN_* seen by the command against dnconnect -v's own view.
check_env() {
	local addr=$1 local_ peer bare
	dn_listen -e 'env | grep "^DN_" | LC_ALL=C sort' "$addr" 0
	run -0 --separate-stderr dnc -v "$addr" "$LPORT" < /dev/null
	local_=$(dn_connected_local "$stderr")
	peer=$(dn_connected_peer "$stderr")
	[ -n "$local_" ] && [ -n "$peer" ] || { echo "no 'connected' line in: $stderr" >&2; return 1; }
	[ "$peer" = "$LADDR" ]
	bare=${addr#[}; bare=${bare%]}
	printf '%s\n' "$output" > "$T/env"
	grep -qxF "DN_PEER=$local_" "$T/env"
	grep -qxF "DN_LOCAL=$peer" "$T/env"
	grep -qxF "DN_PEER_ADDR=$bare" "$T/env"
	grep -qxF "DN_PEER_PORT=${local_##*:}" "$T/env"
	grep -qxF "DN_PEER_SCOPE=" "$T/env"
	grep -qxF "DN_LOCAL_ADDR=$bare" "$T/env"
	grep -qxF "DN_LOCAL_PORT=$LPORT" "$T/env"
}

@test "-e environment matches dnconnect -v (::1)" {
	check_env ::1
}

@test "-e environment matches dnconnect -v (127.0.0.1)" {
	check_env 127.0.0.1
}

@test "-e: the command's stderr goes to dnlisten's stderr" {
	dn_listen -e 'echo "to stderr" >&2; printf ok' 127.0.0.1 0
	run -0 dnc 127.0.0.1 "$LPORT" < /dev/null
	[ "$output" = ok ]
	dn_wait_exit "$LPID" 10
	grep -qx "to stderr" "$LERR"
}

@test "dnconnect -q: refused is 69 with nothing on stderr" {
	dn_closed_port 127.0.0.1 0
	run -69 --separate-stderr dnc -q 127.0.0.1 "$CLOSED_PORT" < /dev/null
	[ -z "$stderr" ]
}

# --- connection handling ---------------------------------------------------------

@test "-k -e serves two connections in a row" {
	dn_listen -k -e 'printf x' 127.0.0.1 0
	run -0 dnc 127.0.0.1 "$LPORT" < /dev/null
	[ "$output" = x ]
	run -0 dnc 127.0.0.1 "$LPORT" < /dev/null
	[ "$output" = x ]
	kill -0 "$LPID"
}

@test "-k relay: one connection after another" {
	dn_listen -k 127.0.0.1 0
	run -0 dnc 127.0.0.1 "$LPORT" <<< one
	dn_wait_for "$LOUT" '^one$'
	run -0 dnc 127.0.0.1 "$LPORT" <<< two
	dn_wait_for "$LOUT" '^two$'
	[ "$(cat "$LOUT")" = "$(printf 'one\ntwo')" ]
	kill -0 "$LPID"
}

# The end of /dev/null is remembered (each later connection is half-closed
# at once, stdin not read again); a pipe's is not: a new writer has more.
@test "-k relay, stdin a FIFO: each writer's lines go to the connection of the time" {
	mkfifo "$T/in"
	# opened here after dnlisten (whose open waits for this writer), so
	# that it inherits no writer of its own stdin
	DN_LISTEN_IN=$T/in dn_bg dnlisten -k 127.0.0.1 0
	exec 5> "$T/in"
	dn_wait_listening "dnlisten -k"
	echo one >&5
	exec 5>&-
	run -0 dnc 127.0.0.1 "$LPORT" < /dev/null
	[ "$output" = one ]
	exec 5> "$T/in"
	echo two >&5
	exec 5>&-
	run -0 dnc 127.0.0.1 "$LPORT" < /dev/null
	[ "$output" = two ]
	kill -0 "$LPID"
}

@test "-k relay, stdin /dev/null: every connection half-closed, the client's bytes kept" {
	dn_listen -k 127.0.0.1 0
	for i in 1 2 3; do
		run -0 dnc 127.0.0.1 "$LPORT" <<< "n$i"
		[ -z "$output" ]
	done
	dn_wait_for "$LOUT" '^n3$'
	[ "$(cat "$LOUT")" = "$(printf 'n1\nn2\nn3')" ]
}

@test "without -k: one connection, then exit 0" {
	dn_listen -e 'printf x' 127.0.0.1 0
	run -0 dnc 127.0.0.1 "$LPORT" < /dev/null
	dn_wait_exit "$LPID" 10
	dn_status_is 0
}

@test "--once: the command's exit status propagates" {
	dn_listen -v --once -e 'exit 3' 127.0.0.1 0
	run dnc -z 127.0.0.1 "$LPORT"
	dn_wait_exit "$LPID" 10
	dn_status_is 3
	# "command exited with status 3"; naming the peer between is fine
	grep -qE "command( for [^ ]+)? exited with status 3\$" "$LERR"
}

@test "--once: status 0 propagates too" {
	dn_listen --once -e 'exit 0' 127.0.0.1 0
	run dnc -z 127.0.0.1 "$LPORT"
	dn_wait_exit "$LPID" 10
	dn_status_is 0
}

# hold_open ADDR PORT: a dnconnect with its stdin held open on fd 7.
hold_open() {
	mkfifo "$T/hold"
	dnc "$1" "$2" < "$T/hold" > /dev/null 2>&1 3>&- &
	dn_track $!
	exec 7> "$T/hold"
}

@test "SIGTERM with a connection open: exit 0 promptly" {
	dn_listen -v 127.0.0.1 0
	hold_open 127.0.0.1 "$LPORT"
	dn_wait_for "$LERR" 'connection from'
	kill -TERM "$LPID"
	dn_wait_exit "$LPID" 5
	dn_status_is 0
}

@test "SIGINT with a connection open: exit 0 promptly" {
	dn_listen -v 127.0.0.1 0
	hold_open 127.0.0.1 "$LPORT"
	dn_wait_for "$LERR" 'connection from'
	kill -INT "$LPID"
	dn_wait_exit "$LPID" 5
	dn_status_is 0
}

@test "SIGTERM with an -e command running: exit 0 promptly" {
	dn_listen -v -k -e 'sleep 30' ::1 0
	hold_open ::1 "$LPORT"
	dn_wait_for "$LERR" 'connection from'
	kill -TERM "$LPID"
	dn_wait_exit "$LPID" 5
	dn_status_is 0
}

@test "SIGTERM while idle (no connection): exit 0" {
	dn_listen -k ::1 0
	kill -TERM "$LPID"
	dn_wait_exit "$LPID" 5
	dn_status_is 0
}

@test "bind in use: second dnlisten exits 71 with one line" {
	dn_listen 127.0.0.1 0
	local port=$LPORT
	run -71 --separate-stderr dnl 127.0.0.1 "$port"
	assert_one_line_error dnlisten "$port"
}

# --- bind ----------------------------------------------------------------------

# bind_seen BIND DEST WANT_PREFIX: the server sees DN_PEER = BIND's address and
# port. BIND has @B where a random port goes; retried when that port is taken.
bind_seen() {
	local bind=$1 dest=$2 want=$3
	dn_listen -k -e 'printf "%s" "$DN_PEER"' "$dest" 0
	dn_run_bound dnc -b "$bind" "$dest" "$LPORT"
	[ "$status" = 0 ] || { echo "status $status: $stderr" >&2; return 1; }
	[ "$output" = "${want//@B/$BP}" ]
}

@test "-b 127.0.0.1:PORT: the server sees that port" {
	bind_seen '127.0.0.1:@B' 127.0.0.1 '127.0.0.1:@B'
}

@test "-b 4-tuple ::1,PORT: the server sees that port" {
	bind_seen '::1,@B' ::1 '[::1]:@B'
}

@test "-b [::1]:PORT form" {
	bind_seen '[::1]:@B' ::1 '[::1]:@B'
}

@test "-b 127.0.0.2 (port 0): the server sees the bound address" {
	dn_listen -e 'printf "%s" "$DN_PEER_ADDR"' 0.0.0.0 0
	run -0 dnc -b 127.0.0.2 127.0.0.1 "$LPORT" < /dev/null
	[ "$output" = 127.0.0.2 ]
}

@test "tcp: description with bindAddress" {
	local i bp
	dn_listen -k -e 'printf "%s" "$DN_PEER"' 127.0.0.1 0
	for ((i = 0; i < 5; i++)); do
		bp=$(dn_random_port)
		run --separate-stderr dnc "tcp:host=127.0.0.1:port=$LPORT:bindAddress=127.0.0.1\:$bp" < /dev/null
		[ "$status" = 71 ] || break
	done
	[ "$status" = 0 ]
	[ "$output" = "127.0.0.1:$bp" ]
}

# --- trace and JSON -------------------------------------------------------------

@test "-v: every line is 'dnconnect: +0.NNNs ...' and tells the story" {
	dn_listen -v -e cat 127.0.0.1 0
	run -0 --separate-stderr dnc -v 127.0.0.1 "$LPORT" <<< "ping"
	[ "$output" = ping ]
	local l
	for l in "${stderr_lines[@]}"; do
		[[ $l =~ ^dnconnect:\ \+0\.[0-9]{3}s\  ]] || { echo "bad trace line: $l" >&2; return 1; }
	done
	grep -q "connecting to 127.0.0.1:$LPORT" <<< "$stderr"
	grep -qE "connected 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:$LPORT\$" <<< "$stderr"
	grep -q "sent 5 bytes, received 5 bytes" <<< "$stderr"
	dn_wait_exit "$LPID" 10
	grep -qE "^dnlisten: \+[0-9]+\.[0-9]{3}s connection from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$LPORT\$" "$LERR"
	grep -qE "command( for [^ ]+)? exited with status 0\$" "$LERR"
}

@test "dnlisten -v relay: closed line with byte counts" {
	printf 'abc' > "$T/s.in"
	DN_LISTEN_IN="$T/s.in" dn_listen -v 127.0.0.1 0
	run -0 dnc 127.0.0.1 "$LPORT" <<< "1234567"
	[ "$output" = abc ]
	dn_wait_exit "$LPID" 10
	grep -qE "closed 127\.0\.0\.1:[0-9]+: sent 3 bytes, received 8 bytes" "$LERR"
}

@test "--json: dnconnect and dnlisten events parse and are the documented ones" {
	# the command reads its input: unread bytes at close would be a reset
	dn_listen --json -e 'cat > /dev/null; printf hello' 127.0.0.1 0
	[ "$LADDR" = "127.0.0.1:$LPORT" ]
	run -0 --separate-stderr dnc --json 127.0.0.1 "$LPORT" <<< "abc"
	[ "$output" = hello ]
	printf '%s\n' "$stderr" > "$T/c.json"
	run -0 dn_json_events "$T/c.json"
	[ "$(echo $output)" = "connecting connected closed" ]
	[ "$(dn_json_get "$T/c.json" connecting address)" = "127.0.0.1:$LPORT" ]
	[ "$(dn_json_get "$T/c.json" connecting bind)" = "<absent>" ]
	[ "$(dn_json_get "$T/c.json" connected peer)" = "127.0.0.1:$LPORT" ]
	[[ $(dn_json_get "$T/c.json" connected local) =~ ^127\.0\.0\.1:[0-9]+$ ]]
	[ "$(dn_json_get "$T/c.json" closed bytes_sent)" = 4 ]
	[ "$(dn_json_get "$T/c.json" closed bytes_received)" = 5 ]
	dn_wait_exit "$LPID" 10
	run -0 dn_json_events "$LERR"
	# -e: the command moves the bytes, so a "closed" event is optional
	[[ $(echo $output) =~ ^listening\ accepted\ exited(\ closed)?$ ]]
	[ "$(dn_json_get "$LERR" listening v6only)" = null ]
	[ "$(dn_json_get "$LERR" exited status)" = 0 ]
	[ "$(dn_json_get "$LERR" accepted local)" = "127.0.0.1:$LPORT" ]
}

@test "--json: listening on :: reports v6only true/false" {
	dn_listen --json --dual-stack :: 0
	[ "$(dn_json_get "$LERR" listening v6only)" = false ]
	dn_listen --json --v6only :: 0
	[ "$(dn_json_get "$LERR" listening v6only)" = true ]
}

@test "--json: a refused connection is an error event with exit 69, no text" {
	dn_closed_port ::1 0
	run -69 --separate-stderr dnc --json -z ::1 "$CLOSED_PORT"
	printf '%s\n' "$stderr" > "$T/c.json"
	run -0 dn_json_events "$T/c.json"
	[[ $(echo $output) == connecting\ * ]]
	[ "${output##*$'\n'}" = error ]
	[ "$(grep -c '"event":"error"' "$T/c.json")" = 1 ]
	[ "$(dn_json_get "$T/c.json" error exit)" = 69 ]
}

@test "--json: a usage error is one error event with exit 64" {
	run -64 --separate-stderr dnc --json 127.0.0.1 65536
	[ "${#stderr_lines[@]}" = 1 ]
	printf '%s\n' "$stderr" > "$T/c.json"
	run -0 dn_json_events "$T/c.json"
	[ "$output" = error ]
	[ "$(dn_json_get "$T/c.json" error exit)" = 64 ]
}

# --- timeouts ------------------------------------------------------------------

@test "dnlisten -w with no client exits 75" {
	run -75 --separate-stderr dnl -w 0.3 127.0.0.1 0
	# the "listening on" line, then exactly one error line
	[ "${#stderr_lines[@]}" = 2 ]
	[[ ${stderr_lines[0]} == "dnlisten: listening on 127.0.0.1:"* ]]
	[[ ${stderr_lines[1]} == "dnlisten: "* ]]
}

# --- names -----------------------------------------------------------------------

@test "localhost with plain HOST PORT races both families: IPv6 wins" {
	dn_listen -k --dual-stack -e 'printf "%s" "$DN_LOCAL"' :: 0
	run -0 --separate-stderr dnc -v localhost "$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "[::1]:$LPORT" ]
	grep -q "resolving localhost (IPv6)" <<< "$stderr"
	grep -q "resolving localhost (IPv4)" <<< "$stderr"
	grep -qE "connected \[::1\]:[0-9]+ -> \[::1\]:$LPORT" <<< "$stderr"
}

@test "tcp:host=localhost resolves IPv4 only, even with ::1 in /etc/hosts" {
	need_ns
	grep -q '^::1 localhost' "/etc/netns/$LB_NS/hosts"
	dn_listen -k --dual-stack -e 'printf "%s" "$DN_LOCAL"' :: 0
	run -0 --separate-stderr dnc --json tcp:host=localhost:port="$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "[::ffff:127.0.0.1]:$LPORT" ]
	printf '%s\n' "$stderr" > "$T/c.json"
	[ "$(dn_json_get "$T/c.json" resolving family)" = ipv4 ]
	[ "$(dn_json_get "$T/c.json" resolved addresses)" = '["127.0.0.1"]' ]
}

@test "tcp:host=localhost refused: one message naming the host and each address, exit 69" {
	need_ns
	dn_closed_port 127.0.0.1 0
	run -69 --separate-stderr dnc tcp:host=localhost:port="$CLOSED_PORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[[ $stderr == "dnconnect: no connection to localhost: 127.0.0.1:$CLOSED_PORT connection refused (+"*"s)" ]]
}

@test "-6 localhost and tcp6:host=localhost resolve IPv6 only" {
	need_ns
	dn_listen -k --dual-stack -e 'printf "%s" "$DN_LOCAL"' :: 0
	run -0 --separate-stderr dnc -v -6 localhost "$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "[::1]:$LPORT" ]
	grep -q "resolving localhost (IPv6)" <<< "$stderr"
	run -0 --separate-stderr dnc tcp6:host=localhost:port="$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "[::1]:$LPORT" ]
}

@test "an unknown name exits 68 (no DNS leaves the namespace)" {
	need_ns
	run -68 --separate-stderr dnc nosuch.dnt.invalid 80 < /dev/null
	assert_one_line_error dnconnect nosuch.dnt.invalid
	run -68 --separate-stderr dnc tcp6:host=nosuch.dnt.invalid:port=80 < /dev/null
	assert_one_line_error dnconnect nosuch.dnt.invalid
}

@test "each resolved address is tried in turn" {
	need_ns
	dn_listen -k -e 'printf "%s" "$DN_LOCAL"' 127.0.0.1 0
	run -0 --separate-stderr dnc -v multi.dnt.test "$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "127.0.0.1:$LPORT" ]
	grep -qE "resolved multi\.dnt\.test: .*127\.0\.0\.2" <<< "$stderr"
	grep -qE "resolved multi\.dnt\.test: .*127\.0\.0\.1" <<< "$stderr"
	# 127.0.0.2 refuses (nothing listens there); if tried first, it says so
	if grep -q "connecting to 127.0.0.2:" <<< "$stderr"; then
		grep -qE "attempt 127\.0\.0\.2:$LPORT failed: .*refused" <<< "$stderr"
	fi
}

@test "every address refused: 69, one line" {
	need_ns
	dn_closed_port 0.0.0.0 0
	run -69 --separate-stderr dnc multi.dnt.test "$CLOSED_PORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	assert_one_line_error dnconnect
}
