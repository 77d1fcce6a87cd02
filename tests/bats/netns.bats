#!/usr/bin/env bats
# netns.bats - two hosts in network namespaces joined by a veth pair:
# link-local scopes, bind 4-tuples, names per family, a black hole, flow
# labels on the wire, and bulk data across the link.
#
#   NS_A  vethA 192.0.2.1 2001:db8:77::a fe80::a  <--->  vethB .2 ::b fe80::b  NS_B
#   From A, BH4/BH6 (192.0.2.99, 2001:db8:77::99) are black holes.

load helpers

# bats 1.8 cannot skip from setup_file: it records why, setup() skips.
setup_file() {
	dn_ns_skip_setup
	export NS_SKIP
	[ -n "$NS_SKIP" ] && return 0
	dn_big_files
}

teardown_file() {
	ns_teardown
}

setup() {
	dn_ns_setup
}

teardown() {
	dn_kill_all
	dn_dump_logs
}

# --- link-local scopes ----------------------------------------------------------

@test "dnlisten on fe80::b%vethB prints the scoped address" {
	listen_b 'fe80::b%vethB' 0
	[ "$(cat "$LERR")" = "dnlisten: listening on [fe80::b%vethB]:$LPORT" ]
}

@test "dnlisten [fe80::b%vethB]:0 and -I vethB fe80::b" {
	listen_b '[fe80::b%vethB]:0'
	[ "$LADDR" = "[fe80::b%vethB]:$LPORT" ]
	listen_b -I vethB fe80::b 0
	[ "$LADDR" = "[fe80::b%vethB]:$LPORT" ]
	listen_b "fe80::b%$IDX_B" 0
	[ "$LADDR" = "[fe80::b%vethB]:$LPORT" ]
}

# peer_is TARGET...: each target reaches B, whose command prints DN_PEER.
peer_is() {
	local want=$1 f args
	shift
	listen_b -k -e 'printf "%s" "$DN_PEER"' 'fe80::b%vethB' 0
	for f in "$@"; do
		read -ra args <<< "${f//@P/$LPORT}"
		run -0 --separate-stderr dnc "${args[@]}" < /dev/null
		if ! [[ $output =~ $want ]]; then
			echo "'$f': got '$output' (stderr: $stderr), want /$want/" >&2
			return 1
		fi
	done
}

@test "link-local by interface name: fe80::b%vethA" {
	peer_is '^\[fe80::a%vethB\]:[0-9]+$' 'fe80::b%vethA @P'
}

@test "link-local by interface index: fe80::b%IDX" {
	peer_is '^\[fe80::a%vethB\]:[0-9]+$' "fe80::b%$IDX_A @P"
}

@test "link-local ADDR:PORT forms, RFC 6874 and 4-tuples" {
	peer_is '^\[fe80::a%vethB\]:[0-9]+$' '[fe80::b%vethA]:@P' \
	    '[fe80::b%25vethA]:@P' "[fe80::b%$IDX_A]:@P" 'fe80::b,@P,0,vethA' \
	    'fe80::b%vethA,@P' "fe80::b,@P,,$IDX_A" 'fe80::b%vethA,@P,0,vethA' \
	    'tcp6:host=fe80\:\:b%vethA:port=@P'
}

@test "-I supplies the scope" {
	peer_is '^\[fe80::a%vethB\]:[0-9]+$' '-I vethA fe80::b @P' "-I $IDX_A fe80::b @P" \
	    '-I vethA [fe80::b]:@P'
}

@test "missing scope: 64, one line listing A's interfaces" {
	run -64 --separate-stderr dnc fe80::b 80
	assert_one_line_error dnconnect fe80::b lo vethA
}

@test "unknown scope: 64, names it and lists A's interfaces" {
	run -64 --separate-stderr dnc 'fe80::b%eth9' 80
	assert_one_line_error dnconnect eth9 vethA
}

@test "-v and --json show scoped addresses on both ends" {
	listen_b -v -e cat 'fe80::b%vethB' 0
	run -0 --separate-stderr dnc -v 'fe80::b%vethA' "$LPORT" <<< hi
	[ "$output" = hi ]
	grep -qE "connected \[fe80::a%vethA\]:[0-9]+ -> \[fe80::b%vethA\]:$LPORT\$" <<< "$stderr"
	dn_wait_exit "$LPID" 10
	grep -qE "connection from \[fe80::a%vethB\]:[0-9]+ to \[fe80::b%vethB\]:$LPORT\$" "$LERR"
	listen_b --json -e cat 'fe80::b%vethB' 0
	run -0 --separate-stderr dnc --json 'fe80::b%vethA' "$LPORT" <<< hi
	printf '%s\n' "$stderr" > "$T/c.json"
	[ "$(dn_json_get "$T/c.json" connected peer)" = "[fe80::b%vethA]:$LPORT" ]
	dn_wait_exit "$LPID" 10
	[[ $(dn_json_get "$LERR" accepted peer) =~ ^\[fe80::a%vethB\]:[0-9]+$ ]]
}

@test "-e environment over a link-local connection" {
	listen_b -e 'env | grep "^DN_" | LC_ALL=C sort' 'fe80::b%vethB' 0
	run -0 --separate-stderr dnc -v 'fe80::b%vethA' "$LPORT" < /dev/null
	local local_
	local_=$(dn_connected_local "$stderr")
	printf '%s\n' "$output" > "$T/env"
	grep -qxF "DN_PEER=[fe80::a%vethB]:${local_##*:}" "$T/env"
	grep -qxF "DN_PEER_ADDR=fe80::a%vethB" "$T/env"
	grep -qxF "DN_PEER_PORT=${local_##*:}" "$T/env"
	grep -qxF "DN_PEER_SCOPE=vethB" "$T/env"
	grep -qxF "DN_LOCAL=[fe80::b%vethB]:$LPORT" "$T/env"
	grep -qxF "DN_LOCAL_ADDR=fe80::b%vethB" "$T/env"
	grep -qxF "DN_LOCAL_PORT=$LPORT" "$T/env"
}

# --- bind 4-tuples ----------------------------------------------------------------

# bind_seen BIND: B sees DN_PEER [fe80::a%vethB]:PORT for a -b BIND with @B
# replaced by a random port (another one when that is taken: 71).
bind_seen() {
	local bind=$1 dest=(fe80::b%vethA)
	[ $# -lt 2 ] || dest=("${@:2}")
	listen_b -k -e 'printf "%s" "$DN_PEER"' 'fe80::b%vethB' 0
	dn_run_bound dnc -b "$bind" "${dest[@]}" "$LPORT"
	[ "$status" = 0 ] || { echo "status $status: $stderr" >&2; return 1; }
	[ "$output" = "[fe80::a%vethB]:$BP" ]
}

@test "-b fe80::a,PORT,,vethA: the server sees [fe80::a%vethB]:PORT" {
	bind_seen 'fe80::a,@B,,vethA'
}

@test "-b fe80::a%vethA,PORT (scope by %)" {
	bind_seen 'fe80::a%vethA,@B'
}

@test "-b [fe80::a%vethA]:PORT" {
	bind_seen '[fe80::a%vethA]:@B'
}

@test "-b fe80::a,PORT,0,IDX (scope by index)" {
	bind_seen "fe80::a,@B,0,$IDX_A"
}

@test "-I gives the bind address its scope too" {
	bind_seen 'fe80::a,@B' -I vethA fe80::b
}

@test "-b a link-local address without a scope: 64" {
	run -64 --separate-stderr dnc -b fe80::a 'fe80::b%vethA' 80
	assert_one_line_error dnconnect fe80::a vethA
}

# --- names ---------------------------------------------------------------------

@test "plain HOST PORT: a name with A and AAAA races, IPv6 first (RFC 8305)" {
	listen_both
	run -0 --separate-stderr dnc -v both.dnt.test "$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "[2001:db8:77::b]:$LPORT" ]
	grep -q "resolving both.dnt.test (IPv6)" <<< "$stderr"
	grep -q "resolving both.dnt.test (IPv4)" <<< "$stderr"
	grep -qE "connected \[2001:db8:77::a\]:[0-9]+ -> \[2001:db8:77::b\]:$LPORT\$" <<< "$stderr"
}

@test "tcp: a name resolves IPv4 only (both A and AAAA in hosts)" {
	listen_both
	run -0 --separate-stderr dnc --json "tcp:host=both.dnt.test:port=$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	printf '%s\n' "$stderr" > "$T/c.json"
	[ "$(dn_json_get "$T/c.json" resolving family)" = ipv4 ]
	[ "$(dn_json_get "$T/c.json" resolved addresses)" = '["192.0.2.2"]' ]
	[ "$(dn_json_get "$T/c.json" connected peer)" = "192.0.2.2:$LPORT" ]
}

@test "tcp6: and -6 names resolve IPv6 only" {
	listen_both
	run -0 --separate-stderr dnc --json "tcp6:host=both.dnt.test:port=$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "[2001:db8:77::b]:$LPORT" ]
	printf '%s\n' "$stderr" > "$T/c.json"
	[ "$(dn_json_get "$T/c.json" resolving family)" = ipv6 ]
	[ "$(dn_json_get "$T/c.json" resolved addresses)" = '["2001:db8:77::b"]' ]
	[ "$(dn_json_get "$T/c.json" connected peer)" = "[2001:db8:77::b]:$LPORT" ]
	run -0 --separate-stderr dnc -v -6 both.dnt.test "$LPORT" < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	[ "$output" = "[2001:db8:77::b]:$LPORT" ]
	grep -q "resolving both.dnt.test (IPv6)" <<< "$stderr"
}

@test "a name with only AAAA does not resolve for tcp: (68)" {
	run -68 --separate-stderr dnc tcp:host=six.dnt.test:port=80 < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	assert_one_line_error dnconnect six.dnt.test
}

@test "plain HOST PORT: a name with only AAAA races IPv6 alone (refused: 69)" {
	run -69 --separate-stderr dnc six.dnt.test 80 < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	assert_one_line_error dnconnect six.dnt.test "[2001:db8:77::b]:80"
}

@test "a name with only A does not resolve for tcp6: (68)" {
	run -68 --separate-stderr dnc tcp6:host=four.dnt.test:port=80 < /dev/null
	echo "dnconnect stderr: $stderr" >&2
	assert_one_line_error dnconnect four.dnt.test
}

# --- failures ------------------------------------------------------------------

@test "black-holed IPv4 address: -w 1 exits 75" {
	run -75 --separate-stderr dnc -w 1 "$BH4" 80 < /dev/null
	assert_one_line_error dnconnect "$BH4"
}

@test "black-holed IPv6 address: -w 1 exits 75" {
	run -75 --separate-stderr dnc -w 1 "$BH6" 80 < /dev/null
	assert_one_line_error dnconnect "$BH6"
}

@test "black hole with -w 0.5 and --json: error event ETIMEDOUT, exit 75" {
	run -75 --separate-stderr dnc --json -w 0.5 "$BH6" 80 < /dev/null
	printf '%s\n' "$stderr" > "$T/c.json"
	dn_json_events "$T/c.json" > /dev/null
	[ "$(dn_json_get "$T/c.json" error exit)" = 75 ]
	[ "$(dn_json_get "$T/c.json" error code)" = ETIMEDOUT ]
}

@test "refused across the link: 69 (IPv4, IPv6 global, link-local)" {
	DN_LNS=$NS_B dn_closed_port 0.0.0.0 0
	run -69 --separate-stderr dnc 192.0.2.2 "$CLOSED_PORT" < /dev/null
	assert_one_line_error dnconnect 192.0.2.2
	DN_LNS=$NS_B dn_closed_port --v6only :: 0
	run -69 --separate-stderr dnc 2001:db8:77::b "$CLOSED_PORT" < /dev/null
	assert_one_line_error dnconnect 2001:db8:77::b
	run -69 --separate-stderr dnc -z 'fe80::b%vethA' "$CLOSED_PORT"
	assert_one_line_error dnconnect fe80::b
}

@test "-z across the link" {
	listen_b -k 'fe80::b%vethB' 0
	run -0 --separate-stderr dnc -z 'fe80::b%vethA' "$LPORT"
	[ -z "$output$stderr" ]
}

# --- flow labels on the wire ---------------------------------------------------------

capture_stop() {
	kill -TERM "$TDPID"
	dn_wait_exit "$TDPID" 5 || { cat "$T/td.err" >&2; return 1; }
}

# syn_has_label DEST LABEL: A's SYN to DEST carried flow label LABEL. Reads
# the capture while tcpdump still runs (bounded), then stops tcpdump.
syn_has_label() {
	local dest=$1 label=$2 i found=
	for ((i = 0; i < 50; i++)); do
		tcpdump -r "$CAP" -n -v 2>/dev/null > "$T/cap.txt"
		if grep -F "Flags [S]," "$T/cap.txt" | grep -F " > $dest." |
		    grep -qF "flowlabel $label,"; then
			found=1
			break
		fi
		# Once the SYN is there with another label, waiting is useless.
		grep -F "Flags [S]," "$T/cap.txt" | grep -qF " > $dest." && break
		sleep 0.1
	done
	capture_stop
	if [ -z "$found" ]; then
		echo "no SYN to $dest with flowlabel $label in:" >&2
		cat "$T/cap.txt" "$T/td.err" >&2
		return 1
	fi
}

@test "--flow-label 0x12345 is on the SYN (link-local)" {
	listen_b -k 'fe80::b%vethB' 0
	dn_capture_start 'ip6 and tcp'
	run -0 --separate-stderr dnc -z --flow-label 0x12345 'fe80::b%vethA' "$LPORT"
	syn_has_label fe80::b 0x12345
}

@test "4-tuple FLOWINFO 0x23456 is on the SYN" {
	listen_b -k 'fe80::b%vethB' 0
	dn_capture_start 'ip6 and tcp'
	run -0 --separate-stderr dnc -z "fe80::b,$LPORT,0x23456,vethA"
	syn_has_label fe80::b 0x23456
}

@test "--flow-label in decimal to a global address, agreeing 4-tuple" {
	listen_b -k :: 0
	dn_capture_start 'ip6 and tcp'
	run -0 --separate-stderr dnc -z --flow-label 703710 "2001:db8:77::b,$LPORT,0xabcde"
	syn_has_label 2001:db8:77::b 0xabcde
}

# --- bulk data ------------------------------------------------------------------------

@test "64 MiB each way at once across the veth, byte-identical (global IPv6)" {
	DN_LISTEN_IN="$BIG2" listen_b 2001:db8:77::b 0
	dn_both_ways 300 2001:db8:77::b "$LPORT"
}

@test "64 MiB echoed over link-local by dnlisten -e cat, byte-identical" {
	listen_b -e cat 'fe80::b%vethB' 0
	dn_echo_big 300 "$BIG1" 'fe80::b%vethA' "$LPORT"
}

@test "64 MiB over IPv4 across the veth, byte-identical" {
	listen_b -e cat 192.0.2.2 0
	dn_echo_big 300 "$BIG2" 192.0.2.2 "$LPORT"
}
