# nat64.bash - a real NAT64 for nat64.bats: an IPv6-only client, a router
# running two tayga translators (stateless NAT64 over TUN), an IPv4-only
# server, and a dual-stack client; a DNS64 (tests/dnsd.py --dns64) on each
# client's loopback.
#
#   C  c0 2001:db8:6::c/64 (no IPv4 route)      r0 2001:db8:6::1   R  r1 198.51.100.1/24  <->  s0 198.51.100.2/24  S
#   D  d0 2001:db8:7::d/64, 192.0.2.4/24        r2 2001:db8:7::1, 192.0.2.1
#
# In R, tayga on nat64 translates 2001:db8:64::/96 <-> its dynamic pool
# 203.0.113.0/25, and a second one on nat64b 2001:db8:46::/48 <->
# 203.0.113.128/25: S sees a client from a pool. The Well-Known Prefix
# 64:ff9b::/96 may not stand for the documentation ranges (RFC 6052 section
# 3.1: tayga refuses it), hence network-specific prefixes from 2001:db8::/32.
# shellcheck shell=bash

N64_PREFIX=2001:db8:64::/96
N64_S4=198.51.100.2
N64_S6=2001:db8:64::c633:6402
N64_POOL=203.0.113.0/25
# At /48, 198.51 comes before bits 64-71 (zero) and 100.2 after them (RFC
# 6052 section 2.2).
N64_PREFIX48=2001:db8:46::/48
N64_S6_48=2001:db8:46:c633:64:200::
N64_POOL48=203.0.113.128/25

# n64_zone FILE: what the clients' DNS64 knows: names with an A record
# only, which it synthesises an AAAA for (late.n64.test's after 1.5 s) (and ipv4only.arpa, RFC 7050
# section 2.2, which dnsd.py --dns64 adds).
n64_zone() {
	printf '%s\n' "dns64.n64.test A $N64_S4" "late.n64.test A $N64_S4" \
	    "late.n64.test AAAA delay=1500" > "$1"
}

# n64_link NS1 DEV1 NS2 DEV2: a veth pair with fixed link-local addresses
# (fe80::1 on DEV1, fe80::2 on DEV2) instead of EUI-64 ones that wait for
# DAD. A router needs one: the kernel sends a neighbour solicitation for a
# forwarded packet from the interface's link-local address and, with none,
# sends nothing (ndisc_send_ns returns early). R then knows C only from
# C's own solicitations, and once that entry goes stale and is probed, the
# translated replies die as "address unreachable": connections through
# tayga hung for 30 s, seemingly at random, under load.
n64_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" addrgenmode none
	ip -n "$3" link set "$4" addrgenmode none
	ip -n "$1" -6 addr add fe80::1/64 dev "$2" nodad
	ip -n "$3" -6 addr add fe80::2/64 dev "$4" nodad
}

# n64_setup: from setup_file. Sets N64_SKIP to why it cannot run ("" when
# it can), N64_FAIL to why the network it made does not carry a connection,
# and NS_C, NS_D, NS_R, NS_S, TAYGA_PIDS, N64_DNSD_C/D.
n64_setup() {
	local tag="dnt-$$-$RANDOM" dir=$BATS_FILE_TMPDIR ns i
	N64_SKIP= N64_FAIL= TAYGA_PIDS=
	if ! ns_available; then
		N64_SKIP="network namespaces unavailable: $NS_WHY"
		return 0
	fi
	if ! command -v tayga >/dev/null; then
		N64_SKIP="tayga is not installed (apt-get install tayga): no NAT64 to test against"
		return 0
	fi
	if [ ! -c /dev/net/tun ]; then
		N64_SKIP="no /dev/net/tun: tayga needs a TUN device"
		return 0
	fi
	NS_C="$tag-c" NS_D="$tag-d" NS_R="$tag-r" NS_S="$tag-s"
	for ns in "$NS_C" "$NS_D" "$NS_R" "$NS_S"; do
		ns_make "$ns" || { N64_SKIP="ip netns add $ns failed"; return 0; }
	done
	if ! n64_link "$NS_C" c0 "$NS_R" r0 || ! n64_link "$NS_D" d0 "$NS_R" r2 ||
	    ! n64_link "$NS_R" r1 "$NS_S" s0; then
		N64_SKIP="ip link add ... type veth failed"
		return 0
	fi
	ip -n "$NS_C" -6 addr add 2001:db8:6::c/64 dev c0 nodad
	ip -n "$NS_R" -6 addr add 2001:db8:6::1/64 dev r0 nodad
	ip -n "$NS_D" -6 addr add 2001:db8:7::d/64 dev d0 nodad
	ip -n "$NS_D" addr add 192.0.2.4/24 dev d0
	ip -n "$NS_R" -6 addr add 2001:db8:7::1/64 dev r2 nodad
	ip -n "$NS_R" addr add 192.0.2.1/24 dev r2
	ip -n "$NS_R" addr add 198.51.100.1/24 dev r1
	ip -n "$NS_S" addr add "$N64_S4/24" dev s0
	ip -n "$NS_C" link set c0 up
	ip -n "$NS_D" link set d0 up
	ip -n "$NS_R" link set r0 up
	ip -n "$NS_R" link set r1 up
	ip -n "$NS_R" link set r2 up
	ip -n "$NS_S" link set s0 up
	# C has an IPv6 default route and none for IPv4: an IPv6-only host
	ip -n "$NS_C" -6 route add default via 2001:db8:6::1 dev c0
	ip -n "$NS_D" -6 route add default via 2001:db8:7::1 dev d0
	ip -n "$NS_D" route add default via 192.0.2.1 dev d0
	ip -n "$NS_S" route add default via 198.51.100.1 dev s0
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 >/dev/null
	n64_tayga nat64 "$N64_PREFIX" "$N64_POOL" 203.0.113.1 &&
	    n64_tayga nat64b "$N64_PREFIX48" "$N64_POOL48" 203.0.113.129 ||
	    return 0
	# A name only the hosts file knows, with its IPv4 address: on an
	# IPv6-only host that is an A-only answer however good the DNS64 is.
	echo "$N64_S4 v4only.n64.test" >> "/etc/netns/$NS_C/hosts"
	n64_zone "$dir/n64.zone"
	if ! dnsd_start "$NS_C" "$dir/n64.zone" 127.0.0.1 53 --dns64 "$N64_PREFIX"; then
		N64_SKIP="dnsd.py did not start in $NS_C"
		return 0
	fi
	N64_DNSD_C=$DNSD_PID
	if ! dnsd_start "$NS_D" "$dir/n64.zone" 127.0.0.1 53 --dns64 "$N64_PREFIX"; then
		N64_SKIP="dnsd.py did not start in $NS_D"
		return 0
	fi
	N64_DNSD_D=$DNSD_PID
	# tayga runs here, so a network that does not carry a connection is
	# a failure, not a reason to skip
	for i in "$N64_S6" "$N64_S6_48"; do
		n64_warm "$i" && continue
		N64_FAIL="no connection through tayga from $NS_C to $i in 12 s: $(tail -n 3 "$dir"/tayga-*.log)"
		break
	done
	export NS_C NS_D NS_R NS_S TAYGA_PIDS N64_DNSD_C N64_DNSD_D N64_SKIP N64_FAIL
}

# n64_tayga DEV PREFIX POOL ADDR4: in R, a tayga on TUN device DEV
# translating PREFIX to and from its dynamic pool POOL (ADDR4 its own
# IPv4 address, in POOL); adds its PID to TAYGA_PIDS, or sets N64_SKIP and
# fails.
n64_tayga() {
	local dev=$1 prefix=$2 pool=$3 dir=$BATS_FILE_TMPDIR/tayga-$1
	mkdir -p "$dir"
	cat > "$dir.conf" <<-EOF
	tun-device $dev
	ipv4-addr $4
	prefix $prefix
	dynamic-pool $pool
	data-dir $dir
	EOF
	if ! ip netns exec "$NS_R" tayga --mktun -c "$dir.conf" > "$dir.mktun" 2>&1; then
		N64_SKIP="tayga --mktun failed: $(head -c 200 "$dir.mktun")"
		return 1
	fi
	ip -n "$NS_R" link set "$dev" up
	ip -n "$NS_R" route add "$pool" dev "$dev"
	ip -n "$NS_R" -6 route add "$prefix" dev "$dev"
	ip netns exec "$NS_R" tayga -c "$dir.conf" --nodetach \
	    < /dev/null > "$dir.log" 2>&1 3>&- &
	TAYGA_PIDS="$TAYGA_PIDS $!"
}

# n64_warm DEST6: tayga may hold the first packet from a new IPv6 source
# while it maps it into its pool; one connection to DEST6 through it
# (bounded) before the tests, so that their timings measure dualnet, not
# the first mapping.
n64_warm() {
	local dst=$1 i port pid err
	# a file of its own: the previous call's line (a port nobody listens
	# on any more) may still be there when the loop first reads it
	err=$(mktemp "$BATS_FILE_TMPDIR/warm.XXXXXX")
	ip netns exec "$NS_S" "$DN_BIN/dnlisten" "$N64_S4" 0 < /dev/null \
	    > /dev/null 2> "$err" 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { kill "$pid"; return 1; }
	for ((i = 0; i < 10; i++)); do
		if ip netns exec "$NS_C" timeout 2 "$DN_BIN/dnconnect" -z -w 1 \
		    "$dst" "$port" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			return 0
		fi
		sleep 0.2
	done
	kill "$pid" 2>/dev/null
	return 1
}

n64_teardown() {
	local pid
	for pid in ${TAYGA_PIDS:-}; do
		kill "$pid" 2>/dev/null
	done
	dnsd_stop "${N64_DNSD_C:-}"
	dnsd_stop "${N64_DNSD_D:-}"
	ns_teardown
}

# n64_dump: after a failed case, what the last `run` printed on stderr and
# the translator's side of it, for a failure seen only under load.
n64_dump() {
	[ -z "${BATS_TEST_COMPLETED:-}" ] || return 0
	echo "# last stderr:"
	sed 's/^/#   /' <<< "${stderr:-}"
	local f pid
	for f in "$BATS_FILE_TMPDIR"/tayga-*.log; do
		echo "# ${f##*/}:"
		tail -n 20 "$f" 2>/dev/null | sed 's/^/#   /'
	done
	for pid in ${TAYGA_PIDS:-}; do
		kill -0 "$pid" 2>/dev/null || echo "#   tayga ($pid) is not running"
	done
	echo "# R's translators, C's and S's neighbours:"
	{ ip -n "$NS_R" -s link show nat64; ip -n "$NS_R" -s link show nat64b
	  ip -n "$NS_C" -6 neigh
	  ip -n "$NS_S" neigh; } 2>&1 | sed 's/^/#   /'
}
