#!/usr/bin/env bats
# nat64.bats - IPv6-only networks through a real NAT64 (tayga): an IPv4
# literal and an A-only name from an IPv6-only client, the prefix
# discovered (RFC 7050) or given, two prefixes, no NAT64, a silent DNS
# server within -w, datagrams, and a dual-stack client that keeps native
# IPv4 unless told --nat64 always. The network is drawn in nat64.bash.

load helpers
load nat64

# bats 1.8 cannot skip from setup_file: it records why, setup() skips.
setup_file() {
	n64_setup
}

teardown_file() {
	n64_teardown
}

setup() {
	[ -z "$N64_SKIP" ] || skip "$N64_SKIP"
	[ -z "$N64_FAIL" ] || { echo "# $N64_FAIL" >&2; return 1; }
	dn_require_programs
	dn_require_dgram
	T=$BATS_TEST_TMPDIR
	DN_X=(ip netns exec "$NS_C")	# dnc runs in the IPv6-only client
}

teardown() {
	dn_kill_all
	dn_dump_logs
	n64_dump
}

# serve: in S, a keep-open listener on its IPv4 address that answers each
# connection with the peer it saw. Sets LPORT.
serve() {
	DN_LNS=$NS_S dn_listen -k -e 'printf "%s\n" "$DN_PEER"' "$N64_S4" 0
}

# pool_peer TEXT [POOL]: whether TEXT is ADDR:PORT with ADDR in POOL, a
# pool of tayga's (default N64_POOL): S saw the client through that
# translator.
pool_peer() {
	local pool=${2:-$N64_POOL} o
	[[ $1 =~ ^203\.0\.113\.([0-9]+):[0-9]+$ ]] || return 1
	o=${BASH_REMATCH[1]}
	case $pool in
	"$N64_POOL") [ "$o" -lt 128 ] ;;
	"$N64_POOL48") [ "$o" -ge 128 ] && [ "$o" -le 255 ] ;;
	*) return 1 ;;
	esac
}

# The network itself: R must reach C when it has forgotten it (see
# n64_link), or any case may hang once R's entry for C goes stale.
@test "the test network: R finds C again after forgetting it" {
	serve
	ip -n "$NS_R" neigh flush dev r0
	run -0 --separate-stderr dnc -w 5 "$N64_S6" "$LPORT" < /dev/null
	pool_peer "$output"
}

@test "IPv4 literal from an IPv6-only host: through NAT64, the server sees the translator's pool" {
	serve
	run -0 --separate-stderr dnc -v 198.51.100.2 "$LPORT" < /dev/null
	pool_peer "$output" || { echo "S saw '$output'" >&2; return 1; }
	[[ $stderr == *"NAT64: looking for the prefix (AAAA ipv4only.arpa, RFC 7050)"* ]]
	[[ $stderr == *"NAT64: prefix 2001:db8:64::/96"* ]]
	[[ $stderr == *"NAT64: 198.51.100.2 is $N64_S6 (no IPv4 route)"* ]]
	[[ $stderr == *"connected [2001:db8:6::c]:"*" -> [$N64_S6]:$LPORT (198.51.100.2 via NAT64)"* ]]
	# no native attempt: there is no route for one
	[[ $stderr != *"connecting to 198.51.100.2:"* ]]
}

@test "an A-only name: its IPv4 answer goes through NAT64 in its place" {
	serve
	run -0 --separate-stderr dnc -v v4only.n64.test "$LPORT" < /dev/null
	pool_peer "$output"
	[[ $stderr == *"resolved v4only.n64.test: 198.51.100.2"* ]]
	[[ $stderr == *"connecting to [$N64_S6]:$LPORT (198.51.100.2 via NAT64)"* ]]
}

# A real DNS64 answers AAAA with the synthesis and A with the IPv4 address:
# the AAAA answer races as plain IPv6, and the A answer's synthesis, the
# same address, joins no second attempt.
# The DNS64 answers A too, which sets off discovery and a synthesis of the
# same address: one attempt, named plain IPv6 from start to end. An A
# answer handled before the AAAA one (a loaded machine) would rightly make
# it a NAT64 attempt after the Resolution Delay; a long one keeps this case
# about the AAAA answer.
@test "a name the DNS64 synthesised: plain IPv6, one attempt" {
	serve
	run -0 --separate-stderr dnc -v --resolution-delay 5000 dns64.n64.test \
	    "$LPORT" < /dev/null
	pool_peer "$output"
	[[ $stderr == *"resolved dns64.n64.test: $N64_S6"* ]]
	[[ $stderr =~ "connecting to [$N64_S6]:$LPORT"$'\n' ]]
	[[ $stderr =~ "connected [2001:db8:6::c]:"[0-9]+" -> [$N64_S6]:$LPORT"$'\n' ]]
	[ "$(grep -c 'connecting to' <<< "$stderr")" = 1 ]
}

@test "the DNS64's AAAA late: after the Resolution Delay, the A answer through NAT64" {
	serve
	run -0 --separate-stderr dnc -v late.n64.test "$LPORT" < /dev/null
	pool_peer "$output"
	[[ $stderr =~ \+([0-9]+)\.([0-9]{3})"s connecting to [$N64_S6]:$LPORT (198.51.100.2 via NAT64)"$'\n' ]]
	# RFC 8305 section 3: the A answer waited 50 ms for the AAAA one
	[ $((10#${BASH_REMATCH[1]} * 1000 + 10#${BASH_REMATCH[2]})) -ge 50 ]
	[[ $stderr == *"connected "*" -> [$N64_S6]:$LPORT (198.51.100.2 via NAT64)"* ]]
	[ "$(grep -c 'connecting to' <<< "$stderr")" = 1 ]
}

@test "--nat64 off: the IPv4 literal alone, network unreachable, 69" {
	serve
	run -69 --separate-stderr dnc --nat64 off 198.51.100.2 "$LPORT" < /dev/null
	[ -z "$output" ]
	[[ $stderr == *"198.51.100.2:$LPORT"*"unreachable"* ]]
}

@test "--nat64-prefix: no DNS at all (a resolver that does not exist)" {
	serve
	run -0 --separate-stderr dnc -v --dns-server 127.0.0.1:1 \
	    --nat64-prefix "$N64_PREFIX" 198.51.100.2 "$LPORT" < /dev/null
	pool_peer "$output"
	[[ $stderr != *"looking for the prefix"* ]]
}

@test "two prefixes: one per address, raced; the translator's wins" {
	serve
	run -0 --separate-stderr dnc --plan --nat64-prefix 2001:db8:65::/96 \
	    --nat64-prefix "$N64_PREFIX" 198.51.100.2 "$LPORT"
	[ "${lines[0]}" = "1 +0.000s [2001:db8:65::c633:6402]:$LPORT (198.51.100.2 via NAT64)" ]
	[ "${lines[1]}" = "2 +0.250s [$N64_S6]:$LPORT (198.51.100.2 via NAT64)" ]
	[ "${#lines[@]}" = 2 ]
	run -0 --separate-stderr dnc -v --nat64-prefix 2001:db8:65::/96 \
	    --nat64-prefix "$N64_PREFIX" 198.51.100.2 "$LPORT" < /dev/null
	pool_peer "$output"
	[[ $stderr == *"connected "*" -> [$N64_S6]:$LPORT (198.51.100.2 via NAT64)"* ]]
}

# The second translator serves 2001:db8:46::/48: RFC 6052 puts the
# IPv4 address on both sides of bits 64-71 there, and tayga must agree.
@test "a /48 prefix from a DNS64 that has it: discovered, and through the second translator" {
	serve
	dnsd_start "$NS_C" "$BATS_FILE_TMPDIR/n64.zone" 127.0.0.1 0 --dns64 "$N64_PREFIX48"
	run -0 --separate-stderr dnc -v --dns-server "127.0.0.1:$DNSD_PORT" \
	    198.51.100.2 "$LPORT" < /dev/null
	pool_peer "$output" "$N64_POOL48"
	[[ $stderr == *"NAT64: prefix 2001:db8:46::/48"* ]]
	[[ $stderr == *"connected [2001:db8:6::c]:"*" -> [$N64_S6_48]:$LPORT (198.51.100.2 via NAT64)"* ]]
}

@test "no NAT64 on the network: the error says so, 69, at once" {
	other=$T/none.zone
	echo 'ipv4only.arpa ANY nxdomain' > "$other"
	dnsd_start "$NS_C" "$other"
	local t0=$EPOCHREALTIME
	run -69 --separate-stderr dnc --dns-server "127.0.0.1:$DNSD_PORT" \
	    198.51.100.2 80 < /dev/null
	[[ $stderr == *"198.51.100.2:80 network or host unreachable"* ]]
	[[ $stderr == *"(no IPv4 route, and NAT64 cannot help: no NAT64 prefix: "* ]]
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 2) }'
}

@test "a silent DNS server: discovery stays within -w (75)" {
	other=$T/silent.zone
	echo 'ipv4only.arpa ANY drop' > "$other"
	dnsd_start "$NS_C" "$other"
	local t0=$EPOCHREALTIME
	run -75 --separate-stderr dnc -w 1 --dns-server "127.0.0.1:$DNSD_PORT" \
	    198.51.100.2 80 < /dev/null
	[[ $stderr == *"within 1.000s"*"NAT64: still looking for the prefix"* ]]
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 2.5) }'
}

@test "--json: discovery, synthesis and the via key" {
	serve
	run -0 --separate-stderr dnc --json 198.51.100.2 "$LPORT" < /dev/null
	[[ $stderr == *'{"event":"nat64_discovering",'*'"host":"ipv4only.arpa","family":"ipv6"}'* ]]
	[[ $stderr == *'"event":"nat64_discovered",'*'"prefixes":["2001:db8:64::/96"]}'* ]]
	[[ $stderr == *'"event":"nat64_synthesized",'*"\"address\":\"$N64_S6\",\"why\":\"no IPv4 route\",\"via\":\"198.51.100.2\"}"* ]]
	[[ $stderr == *'"event":"connected",'*"\"peer\":\"[$N64_S6]:$LPORT\",\"via\":\"198.51.100.2\"}"* ]]
}

@test "a hostname: description with nat64-prefix= and nat64=off" {
	serve
	run -0 --separate-stderr dnc "hostname:198.51.100.2:$LPORT:nat64-prefix=2001\\:db8\\:64\\:\\:/96:resolver=system" < /dev/null
	pool_peer "$output"
	run -69 --separate-stderr dnc "hostname:198.51.100.2:$LPORT:nat64=off" < /dev/null
}

@test "dnudp to an IPv4 literal goes through the translator" {
	DN_LNS=$NS_S dn_udp_listen --echo "$N64_S4" 0
	run -0 --separate-stderr dnu_in "$NS_C" -v -w 2 --count 1 198.51.100.2 "$LPORT" <<< "ping"
	[ "$output" = ping ]
	[[ $stderr == *"sending to [$N64_S6]:$LPORT (198.51.100.2 via NAT64)"* ]]
}

# --- a dual-stack client ------------------------------------------------------

@test "dual-stack: auto keeps native IPv4 and asks nothing" {
	serve
	run -0 --separate-stderr dnc_in "$NS_D" -v 198.51.100.2 "$LPORT" < /dev/null
	[[ $output == 192.0.2.4:* ]]
	[[ $stderr != *NAT64* ]]
}

# RFC 6724 ranks the IPv6 address above IPv4 (rule 6, precedence), so the
# translator's path goes first and the native one 250 ms later.
@test "dual-stack: --nat64 always races both, the NAT64 address first" {
	serve
	run -0 --separate-stderr dnc_in "$NS_D" --plan --nat64 always \
	    --nat64-prefix "$N64_PREFIX" 198.51.100.2 "$LPORT"
	[ "${lines[0]}" = "1 +0.000s [$N64_S6]:$LPORT (198.51.100.2 via NAT64)" ]
	[ "${lines[1]}" = "2 +0.250s 198.51.100.2:$LPORT" ]
	[ "${#lines[@]}" = 2 ]
	# --delay: a loaded machine must not let native IPv4 overtake
	run -0 --separate-stderr dnc_in "$NS_D" -v --nat64 always --delay 2000 \
	    198.51.100.2 "$LPORT" < /dev/null
	[[ $stderr == *"NAT64: prefix 2001:db8:64::/96"* ]]
	[[ $stderr == *"NAT64: 198.51.100.2 is $N64_S6 (--nat64 always)"* ]]
	pool_peer "$output"
	# a prefix no translator serves: unreachable at R, native IPv4 at once
	run -0 --separate-stderr dnc_in "$NS_D" -v --nat64 always \
	    --nat64-prefix 2001:db8:65::/96 198.51.100.2 "$LPORT" < /dev/null
	[[ $output == 192.0.2.4:* ]]
}
