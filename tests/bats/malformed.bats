#!/usr/bin/env bats
# malformed.bats - a table of malformed command lines across the four
# programs. Each row: exit 64, exactly one stderr line "PROG: ...", nothing
# on stdout, and the bad part quoted in the line. Nothing waits on the
# network: destinations are loopback, names are under .invalid (RFC 6761:
# never asked) or fail their own check before any resolver, and a row that
# wrongly passes is cut short by a timeout and reported.

load helpers

setup() {
	dn_require programs dnconnect dnlisten dnudp dnmcast
	T=$BATS_TEST_TMPDIR
	L63=$(printf 'a%.0s' {1..63})
	L64=$(printf 'a%.0s' {1..64})
	L200=$(printf 'b%.0s' {1..200})
	# names of 253 (valid), 254 and 256 bytes: labels of 63 and their dots
	N253="$L63.$L63.$L63.${L63:0:61}"
	N254="$N253"c
	N256="$N253".cd
	printf '192.0.2.0/24\n# a comment\n2001:db8::/129\n' > "$T/bad.acl"
	: > "$T/empty.acl"
}

# The rows, one a line: PROG | EXPECTED | ARGS, EXPECTED one shell word
# and ARGS shell words ($L64 and the like are the setup's). EXPECTED must
# appear in the one stderr line; where the program quotes the bad part,
# so does EXPECTED ("'0'").
rows() {
	sed -n "/^# >>> $1\$/,/^# <<< $1\$/p" "$BATS_TEST_FILENAME" |
	    grep -v '^#' | grep -v '^[[:space:]]*$'
}

# check_rows GROUP: runs every row of GROUP; a failure names its row.
check_rows() {
	local prog want args out err rc n=0 bad=0 nl
	local -a argv
	while IFS='|' read -r prog want args; do
		n=$((n + 1))
		prog=${prog// /}
		eval "argv=($args)"
		want=${want#"${want%%[! ]*}"}
		want=${want%"${want##*[! ]}"}
		eval "want=$want"
		rc=0
		timeout -k 1 5 "$DN_BIN/$prog" "${argv[@]}" < /dev/null \
		    > "$T/out" 2> "$T/err" || rc=$?
		out=$(cat "$T/out")
		err=$(cat "$T/err")
		nl=$(wc -l < "$T/err")
		if [ "$rc" -ne 64 ] || [ -n "$out" ] || [ "$nl" -ne 1 ] ||
		    [[ $err != "$prog: "* ]] || [[ $err != *"$want"* ]]; then
			bad=$((bad + 1))
			{
				echo "row $n: $prog |$want |$args"
				echo "  exit $rc (want 64), $nl stderr line(s)," \
				    "stdout ${#out} bytes"
				sed 's/^/  stderr: /' "$T/err"
			} >&2
		fi
	done < <(rows "$1")
	echo "# $1: $n rows" >&2
	[ "$n" -gt 0 ] || { echo "no rows for $1" >&2; return 1; }
	[ "$bad" -eq 0 ]
}

@test "the table has at least 250 rows (counted here)" {
	local n
	n=$(for g in connect-addr connect-names connect-opts connect-desc \
	    listen udp mcast; do rows "$g"; done | wc -l)
	echo "# $n rows" >&3
	[ "$n" -ge 250 ]
}

@test "dnconnect: addresses, ports, scopes and 4-tuples" {
	check_rows connect-addr
}

@test "dnconnect: host names (RFC 1035 lengths) on every path" {
	check_rows connect-names
}

@test "dnconnect: options, conflicts, race options, DNS servers" {
	check_rows connect-opts
}

@test "dnconnect: descriptions" {
	check_rows connect-desc
}

@test "dnlisten: addresses, flags, conflicts, ACLs, descriptions" {
	check_rows listen
}

@test "dnudp: sending, listening, flags, descriptions" {
	check_rows udp
}

@test "dnmcast: groups, sources, flags, descriptions" {
	check_rows mcast
}

# The table (read by rows(); a no-op heredoc to the shell). ----------------
: <<'TABLE'
# >>> connect-addr
dnconnect | '1.2.3.4.5' | 1.2.3.4.5 80
dnconnect | '256.1.1.1' | 256.1.1.1 80
dnconnect | '1.2.3' | 1.2.3 80
dnconnect | '127.0.0.1.' | 127.0.0.1. 80
dnconnect | '::g' | ::g 80
dnconnect | '1:2:3:4:5:6:7:8:9' | 1:2:3:4:5:6:7:8:9 80
dnconnect | ':::1' | :::1 80
dnconnect | '[::1' | '[::1:80'
dnconnect | ']' | '::1]:80'
dnconnect | 'x' | '[::1]x'
dnconnect | 'empty brackets' | '[]:80'
dnconnect | '127.0.0.1' | '[127.0.0.1]:80'
dnconnect | 'x.invalid' | '[x.invalid]:80'
dnconnect | '%lo' | '%lo' 80
dnconnect | '%lo' | '[%lo]:80'
dnconnect | "'%'" | 'fe80::1%' 80
dnconnect | 'nosuchif0' | 'fe80::1%nosuchif0' 80
dnconnect | 'nosuchif0' | '[fe80::1%25nosuchif0]:80'
dnconnect | '%zz' | '[fe80::1%25%zz]:80'
dnconnect | '99999' | 'fe80::1%99999' 80
dnconnect | 'fe80::1' | fe80::1 80
dnconnect | 'ff02::1' | ff02::1 80
dnconnect | 'ff01::1' | ff01::1 80
dnconnect | '2001:db8::1' | '2001:db8::1%lo' 80
dnconnect | '127.0.0.1' | '127.0.0.1%lo' 80
dnconnect | '::1' | '::1%lo' 80
dnconnect | 'x.invalid' | 'x.invalid%lo' 80
dnconnect | '[fe80::1%lo]:80' | 'fe80::1%lo:80'
dnconnect | 'port 0' | 127.0.0.1 0
dnconnect | '65536' | 127.0.0.1 65536
dnconnect | '-1' | 127.0.0.1 -1
dnconnect | 'nosuchservice' | 127.0.0.1 nosuchservice
dnconnect | 'port is empty' | 127.0.0.1 ''
dnconnect | '99999' | 127.0.0.1:99999
dnconnect | "'http'" | 127.0.0.1:http
dnconnect | 'empty port' | 127.0.0.1:
dnconnect | 'empty host before the port' | :80
dnconnect | '70000' | ::1,70000
dnconnect | '0x100000' | '::1,80,0x100000'
dnconnect | "'zz'" | '::1,80,zz'
dnconnect | 'too many fields' | '::1,80,0,lo,x'
dnconnect | "'::1,,,'" | ::1,,,
dnconnect | "'::1,80,'" | ::1,80,
dnconnect | "'::1,80,0,'" | ::1,80,0,
dnconnect | 'empty host in the tuple' | ,80
dnconnect | "'127.0.0.1,80,,'" | 127.0.0.1,80,,
dnconnect | '127.0.0.1' | 127.0.0.1,80,0,lo
dnconnect | '127.0.0.1' | 127.0.0.1,80,5
dnconnect | 'nosuchif0' | 'fe80::1,80,0,nosuchif0'
dnconnect | '::1,80' | '::1,80' 81
dnconnect | '127.0.0.1:80' | 127.0.0.1:80 81
dnconnect | 'has no port' | 127.0.0.1
dnconnect | 'has no port' | x.invalid
dnconnect | "'extra'" | 127.0.0.1 80 extra
dnconnect | 'contains a space' | '127.0.0.1 ' 80
dnconnect | 'a port after a bare IPv6 address' | 'fe80::1%lo:80' 80
dnconnect | 'flowinfo' | 'x.invalid,80,5'
# <<< connect-addr
#
# >>> connect-names
dnconnect | "label '${L64:0:40}...' is 64 bytes" | "$L64.invalid" 80
dnconnect | 'is 64 bytes: a label is at most 63' | "$L64" 80
dnconnect | 'is 64 bytes' | "$L64.invalid:80"
dnconnect | 'is 64 bytes' | "$L64.invalid,80"
dnconnect | 'is 64 bytes' | "x.$L64.invalid" 80
dnconnect | 'is 200 bytes' | "$L200.invalid" 80
dnconnect | 'is 254 bytes: a name is at most 253' | "$N254" 80
dnconnect | 'is 254 bytes' | "$N254:80"
dnconnect | 'is 256 bytes' | "$N256" 80
dnconnect | 'is 256 bytes' | "$N256:80"
dnconnect | 'is 256 bytes' | "$N256,80"
dnconnect | "'a..invalid' has an empty label" | a..invalid 80
dnconnect | 'empty label at offset 0' | .x.invalid 80
dnconnect | 'empty label' | x.invalid.. 80
dnconnect | 'empty label' | a..b:80
dnconnect | "'a/b'" | a/b 80
dnconnect | "'*.invalid'" | '*.invalid' 80
dnconnect | 'is 64 bytes' | --plan "$L64.invalid" 80
dnconnect | 'is 254 bytes' | --plan "$N254" 80
dnconnect | 'is 64 bytes' | --resolver system "$L64.invalid" 80
dnconnect | 'is 64 bytes' | -4 "$L64.invalid" 80
dnconnect | 'is 64 bytes' | -6 "$L64.invalid" 80
dnconnect | 'is 64 bytes' | -b 127.0.0.1 "$L64.invalid" 80
dnconnect | 'is 64 bytes' | --dns-server 127.0.0.1:1 "$L64.invalid" 80
dnconnect | 'is 64 bytes' | "tcp:host=$L64.invalid:port=80"
dnconnect | 'is 64 bytes' | "tcp:$L64.invalid:80"
dnconnect | 'is 64 bytes' | "tcp6:host=$L64.invalid:port=80"
dnconnect | 'is 64 bytes' | "hostname:host=$L64.invalid:port=80"
dnconnect | 'is 64 bytes' | "hostname:$L64.invalid:80"
dnconnect | 'is 254 bytes' | "tcp:host=$N254:port=80"
dnconnect | 'is 256 bytes' | "hostname:host=$N256:port=80"
dnconnect | 'is 256 bytes' | "tcp6:host=$N256:port=80"
dnconnect | 'empty label' | 'tcp:host=a..invalid:port=80'
dnconnect | 'empty label' | 'hostname:host=a..invalid:port=80'
dnconnect | "'a/b'" | 'hostname:host=a/b:port=80'
dnconnect | 'is 64 bytes' | -b "$L64.invalid" 127.0.0.1 80
dnconnect | 'is 64 bytes' | "tcp:host=127.0.0.1:port=80:bindAddress=$L64.invalid"
# <<< connect-names
#
# >>> connect-opts
dnconnect | '--nosuch' | --nosuch 127.0.0.1 80
dnconnect | 'option -w needs a value' | 127.0.0.1 80 -w
dnconnect | '-w' | -w abc 127.0.0.1 80
dnconnect | '-w' | -w 0 127.0.0.1 80
dnconnect | '-w' | -w -1 127.0.0.1 80
dnconnect | '-w' | -w 86401 127.0.0.1 80
dnconnect | '-w' | -w '' 127.0.0.1 80
dnconnect | '-w' | -w 1x 127.0.0.1 80
dnconnect | '-4 and -6' | -4 -6 127.0.0.1 80
dnconnect | '-4 and -6' | -6 -4 ::1 80
dnconnect | '::1' | -4 ::1 80
dnconnect | '127.0.0.1' | -6 127.0.0.1 80
dnconnect | '::1' | -4 '[::1]:80'
dnconnect | '127.0.0.1' | -6 127.0.0.1:80
dnconnect | 'nosuchif0' | -I nosuchif0 fe80::1 80
dnconnect | "-I lo" | -I lo x.invalid 80
dnconnect | '1.2.3.4.5' | -b 1.2.3.4.5 127.0.0.1 80
dnconnect | '127.0.0.1' | -b 127.0.0.1 ::1 80
dnconnect | '::1' | -b '[::1]:0' 127.0.0.1 80
dnconnect | "'::1,,,'" | -b '::1,,,' ::1 80
dnconnect | "'::1,0,'" | -b '::1,0,' ::1 80
dnconnect | 'more than twice' | -b 127.0.0.1 -b ::1 -b 127.0.0.2 127.0.0.1 80
dnconnect | 'second IPv4' | -b 127.0.0.1 -b 127.0.0.2 x.invalid 80
dnconnect | 'second IPv6' | -b ::1 -b ::1 x.invalid 80
dnconnect | '0x100000' | --flow-label 0x100000 ::1 80
dnconnect | 'xyz' | --flow-label xyz ::1 80
dnconnect | "''" | --flow-label '' ::1 80
dnconnect | '-1' | --flow-label -1 ::1 80
dnconnect | '--flow-label' | --flow-label 0x12345 127.0.0.1 80
dnconnect | '0x2' | --flow-label 0x1 '::1,80,0x2'
dnconnect | '--flow-label' | --flow-label 1 'tcp:host=\:\:1:port=80'
dnconnect | '--flow-label' | --flow-label 1 -4 x.invalid 80
dnconnect | "'fast'" | --race fast x.invalid 80
dnconnect | "''" | --race '' x.invalid 80
dnconnect | "'random'" | --order random x.invalid 80
dnconnect | "'dns'" | --resolver dns x.invalid 80
dnconnect | '--delay' | --delay 5 x.invalid 80
dnconnect | '--delay' | --delay 2001 x.invalid 80
dnconnect | '--delay' | --delay abc x.invalid 80
dnconnect | '--delay' | --delay -10 x.invalid 80
dnconnect | '--resolution-delay' | --resolution-delay 10001 x.invalid 80
dnconnect | '--resolution-delay' | --resolution-delay x x.invalid 80
dnconnect | '--attempt-timeout' | --attempt-timeout 0 x.invalid 80
dnconnect | '--attempt-timeout' | --attempt-timeout abc x.invalid 80
dnconnect | '--max-concurrent' | --max-concurrent 0 x.invalid 80
dnconnect | '--max-concurrent' | --max-concurrent 1001 x.invalid 80
dnconnect | '--first-family-count' | --first-family-count 0 x.invalid 80
dnconnect | '--first-family-count' | --first-family-count many x.invalid 80
dnconnect | "'[::1]x'" | --dns-server '[::1]x,127.0.0.1' x.invalid 80
dnconnect | "'[::1'" | --dns-server '[::1' x.invalid 80
dnconnect | "'nope'" | --dns-server nope x.invalid 80
dnconnect | "'127.0.0.1:99999': port 99999" | --dns-server 127.0.0.1:99999 x.invalid 80
dnconnect | "'127.0.0.1:0': port 0" | --dns-server 127.0.0.1:0 x.invalid 80
dnconnect | 'brackets are for IPv6' | --dns-server '[192.0.2.1]' x.invalid 80
dnconnect | "'+53' is not a number" | --dns-server 127.0.0.1:+53 x.invalid 80
dnconnect | 'fe80::1' | --dns-server 'fe80::1%lo' x.invalid 80
dnconnect | 'empty DNS server list' | --dns-server '' x.invalid 80
dnconnect | "'1.2.3.4,,127.0.0.1'" | --dns-server '1.2.3.4,,127.0.0.1' x.invalid 80
dnconnect | '--dns-server' | --resolver system --dns-server 127.0.0.1 x.invalid 80
dnconnect | '--plan' | --plan 'tcp:host=127.0.0.1:port=80'
dnconnect | '--plan and -z' | --plan -z 127.0.0.1 80
dnconnect | 'tcp: takes one bindAddress=' | -b 127.0.0.1 -b ::1 'tcp:host=127.0.0.1:port=80'
dnconnect | '-I lo' | -I lo 127.0.0.1 80
dnconnect | '-I lo' | -I lo '[2001:db8::1]:80'
dnconnect | 'missing destination' |
# <<< connect-opts
#
# >>> connect-desc
dnconnect | "'tcp:' has no fields" | tcp:
dnconnect | "'tcp6:' has no fields" | tcp6:
dnconnect | "'hostname:' has no fields" | hostname:
dnconnect | "empty 'host=' and no port" | tcp6:host=
dnconnect | "empty 'host='" | tcp:host=:port=80
dnconnect | "empty 'host=' and no port" | hostname:host=
dnconnect | 'no port' | 'tcp:host=\:\:1'
dnconnect | 'no host' | tcp:port=80
dnconnect | 'no host' | hostname:port=80
dnconnect | "'colour'" | tcp:host=127.0.0.1:port=80:colour=red
dnconnect | "'tcpx:host=127.0.0.1:port=80' is no address" | tcpx:host=127.0.0.1:port=80
dnconnect | 'backslash' | 'tcp:host=127.0.0.1:port=80\'
dnconnect | "'bogus'" | hostname:host=x.invalid:port=80:race=bogus
dnconnect | "'abc'" | tcp:host=127.0.0.1:port=80:timeout=abc
dnconnect | 'timeout' | tcp:host=127.0.0.1:port=80:timeout=0
dnconnect | 'timeout' | tcp:host=127.0.0.1:port=80:timeout=86401
dnconnect | "'0'" | tcp:host=127.0.0.1:port=0
dnconnect | "'65536'" | tcp:host=127.0.0.1:port=65536
dnconnect | "'http'" | tcp:host=127.0.0.1:port=http
dnconnect | 'empty field' | tcp:host=::1:port=80
dnconnect | "'port'" | tcp:host=127.0.0.1:port=1:port=2
dnconnect | 'host twice' | tcp:127.0.0.1:80:host=127.0.0.1
dnconnect | 'positional fields' | tcp:127.0.0.1:80:90
dnconnect | "'=5'" | tcp:=5
dnconnect | "'tcp'" | host=127.0.0.1:tcp
dnconnect | "'all:'" | all:80
dnconnect | "'udp:'" | udp:host=127.0.0.1:port=9
dnconnect | "'multicast:'" | multicast:239.1.1.1:5000
dnconnect | '1.2.3.4.5' | tcp:host=1.2.3.4.5:port=80
dnconnect | 'fe80::1' | 'tcp:host=fe80\:\:1:port=80'
dnconnect | '127.0.0.1' | 'tcp6:host=127.0.0.1:port=80'
dnconnect | 'delay 5 ms' | hostname:host=x.invalid:port=80:delay=5
dnconnect | "'2001'" | hostname:host=x.invalid:port=80:delay=2001
dnconnect | "'random'" | hostname:host=x.invalid:port=80:order=random
dnconnect | "'dns'" | hostname:host=x.invalid:port=80:resolver=dns
dnconnect | "'v5'" | hostname:host=x.invalid:port=80:family=v5
dnconnect | "'0'" | hostname:host=x.invalid:port=80:max-concurrent=0
dnconnect | "'x'" | hostname:host=x.invalid:port=80:first-family-count=x
dnconnect | "'-1'" | hostname:host=x.invalid:port=80:resolution-delay=-1
dnconnect | 'attempt-timeout' | hostname:host=x.invalid:port=80:attempt-timeout=0
dnconnect | '127.0.0.1' | 'hostname:host=127.0.0.1:port=80:bind6=127.0.0.1'
dnconnect | '::1' | 'hostname:host=\:\:1:port=80:family=v4'
dnconnect | "'1.2.3.4.5'" | tcp:host=127.0.0.1:port=80:bindAddress=1.2.3.4.5
dnconnect | '::1' | 'tcp:host=127.0.0.1:port=80:bindAddress=\:\:1'
dnconnect | "'%lo'" | 'tcp:host=%lo:port=80'
dnconnect | 'is IPv6' | -4 'tcp6:host=\:\:1:port=80'
# <<< connect-desc
#
# >>> listen
dnlisten | 'port 65536' | 127.0.0.1 65536
dnlisten | "'abc'" | abc
dnlisten | 'option -1' | 127.0.0.1 -1
dnlisten | 'port is empty' | 127.0.0.1 ''
dnlisten | 'missing port' |
dnlisten | "'extra'" | 127.0.0.1 0 extra
dnlisten | '1.2.3.4.5' | 1.2.3.4.5 0
dnlisten | 'localhost' | localhost 0
dnlisten | 'is 64 bytes' | "$L64.invalid" 0
dnlisten | 'fe80::1' | fe80::1 0
dnlisten | 'nosuchif0' | 'fe80::1%nosuchif0' 0
dnlisten | '2001:db8::1' | '2001:db8::1%lo' 0
dnlisten | '%lo' | '%lo' 0
dnlisten | "'[::1:0'" | '[::1:0'
dnlisten | 'empty port' | 127.0.0.1:
dnlisten | '::1' | -4 ::1 0
dnlisten | '127.0.0.1' | -6 127.0.0.1 0
dnlisten | '-4 and -6' | -4 -6 0
dnlisten | '-4 and -6' | -6 -4 ::1 0
dnlisten | '--backlog' | --backlog 0 127.0.0.1 0
dnlisten | '--backlog' | --backlog 65536 127.0.0.1 0
dnlisten | '--backlog' | --backlog many 127.0.0.1 0
dnlisten | '--once and -k' | --once -k 127.0.0.1 0
dnlisten | 'v6only' | --v6only --dual-stack :: 0
dnlisten | 'v6only' | --dual-stack --v6only :: 0
dnlisten | "--v6only: 127.0.0.1 is IPv4" | --v6only 127.0.0.1 0
dnlisten | "--v6only: 127.0.0.1 is IPv4" | --v6only 127.0.0.1:0
dnlisten | "--v6only on the default address: 0.0.0.0" | --v6only 0
dnlisten | "--dual-stack: ::1 is one IPv6 address" | --dual-stack ::1 0
dnlisten | "--dual-stack: ::1" | --dual-stack '[::1]:0'
dnlisten | "--dual-stack: 2001:db8::1" | --dual-stack 2001:db8::1 0
dnlisten | "--dual-stack: 127.0.0.1 is IPv4" | --dual-stack 127.0.0.1 0
dnlisten | "--dual-stack on the default address" | --dual-stack 0
dnlisten | "--v6only: ::ffff:127.0.0.1 is v4-mapped" | --v6only ::ffff:127.0.0.1 0
dnlisten | "v6only=no in tcp6: description: ::1" | 'tcp6:0:interface=\:\:1:v6only=no'
dnlisten | "tcp: description: 0.0.0.0 is IPv4" | --dual-stack tcp:0
dnlisten | "tcp: description: 127.0.0.1 is IPv4" | --v6only tcp:0:interface=127.0.0.1
dnlisten | "-e needs a command" | -e '' 0
dnlisten | "--max-conns" | --max-conns 0 -k -e cat 0
dnlisten | "--max-conns" | --max-conns 1000001 -k -e cat 0
dnlisten | "--max-conns goes with -k -e" | --max-conns 5 0
dnlisten | "--max-conns goes with -k -e" | --max-conns 5 -k 0
dnlisten | "--skip-unavailable" | --skip-unavailable 0
dnlisten | "--dual-stack does not go with --all-interfaces" | --dual-stack --all-interfaces 0
dnlisten | "--v6only does not go with --all-interfaces" | --v6only --all-interfaces 0
dnlisten | "'all:0'" | --all-interfaces all:0
dnlisten | "port alone" | --all-interfaces 127.0.0.1 0
dnlisten | 'port 70000' | --all-interfaces 70000
dnlisten | "'192.0.2.0/33'" | --allow 192.0.2.0/33 0
dnlisten | "'2001:db8::/129'" | --allow 2001:db8::/129 0
dnlisten | "'192.0.2.0/x'" | --deny 192.0.2.0/x 0
dnlisten | "'not-a-prefix'" | --allow not-a-prefix 0
dnlisten | '--allow: empty prefix' | --allow '' 0
dnlisten | "192.0.2.1/24" | --allow 192.0.2.1/24 0
dnlisten | "nosuchif0" | --allow 'fe80::/64%nosuchif0' 0
dnlisten | "/nonexistent" | --allow-file /nonexistent 0
dnlisten | "/nonexistent" | --deny-file /nonexistent 0
dnlisten | "2001:db8::/129" | --deny-file "$T/bad.acl" 0
dnlisten | "-w" | -w 0 127.0.0.1 0
dnlisten | "-w" | -w abc 127.0.0.1 0
dnlisten | "--nosuch" | --nosuch 0
dnlisten | "'tcp:' has no fields" | tcp:
dnlisten | "'all:' has no fields" | all:
dnlisten | "'maybe'" | tcp6:0:v6only=maybe
dnlisten | "'colour'" | tcp:0:colour=red
dnlisten | "'v6only'" | tcp:0:v6only=yes
dnlisten | "'v6only'" | all:0:v6only=yes
dnlisten | "dual-stack does not apply" | --dual-stack all:0
dnlisten | "'70000'" | tcp:70000
dnlisten | "'0'" | tcp:0:backlog=0
dnlisten | "x.invalid" | tcp:0:interface=x.invalid
dnlisten | "empty interface=" | tcp:0:interface=
dnlisten | "::1" | -4 'tcp:0:interface=\:\:1'
dnlisten | "tcp6:" | -4 tcp6:0
dnlisten | "'v9'" | all:0:family=v9
dnlisten | "positional fields" | tcp:0:1
dnlisten | "'hostname:'" | hostname:host=x.invalid:port=80
dnlisten | "'udp:'" | udp:0
dnlisten | "-I lo" | -I lo 127.0.0.1 0
dnlisten | "-I lo" | -I lo ::1 0
# <<< listen
#
# >>> udp
dnudp | "missing destination" |
dnudp | "missing port" | -l
dnudp | "'1.2.3.4.5'" | 1.2.3.4.5 9
dnudp | 'port 65536' | 127.0.0.1 65536
dnudp | "port 0" | 127.0.0.1 0
dnudp | "'abc'" | 127.0.0.1 abc
dnudp | "has no port" | 127.0.0.1
dnudp | "'extra'" | 127.0.0.1 9 extra
dnudp | "'%lo'" | '%lo' 9
dnudp | "fe80::1" | fe80::1 9
dnudp | "nosuchif0" | 'fe80::1%nosuchif0' 9
dnudp | "2001:db8::1" | '2001:db8::1%lo' 9
dnudp | "'::1,,,'" | '::1,,,' 9
dnudp | "'::1,9,'" | '::1,9,'
dnudp | "0x100000" | '::1,9,0x100000'
dnudp | "is 64 bytes" | "$L64.invalid" 9
dnudp | "is 254 bytes" | "$N254" 9
dnudp | "is 256 bytes" | "$N256:9"
dnudp | "empty label" | a..invalid 9
dnudp | "is 64 bytes" | "udp:host=$L64.invalid:port=9"
dnudp | "is 256 bytes" | "udp:$N256:9"
dnudp | "empty label" | 'udp6:host=a..invalid:port=9'
dnudp | "-4 and -6" | -4 -6 127.0.0.1 9
dnudp | "-4 and -6" | -l -6 -4 0
dnudp | "::1" | -4 ::1 9
dnudp | "127.0.0.1" | -6 127.0.0.1 9
dnudp | "-b given twice" | -b 127.0.0.1 -b 127.0.0.1 127.0.0.1 9
dnudp | "::1" | -b ::1 127.0.0.1 9
dnudp | "'::1,,,'" | -b '::1,,,' ::1 9
dnudp | "-b goes with sending" | -l -b 127.0.0.1 0
dnudp | "--connect goes with sending" | -l --connect 0
dnudp | "--flow-label goes with sending" | -l --flow-label 1 0
dnudp | "--echo goes with -l" | --echo 127.0.0.1 9
dnudp | "--v6only goes with -l" | --v6only ::1 9
dnudp | "--dual-stack goes with -l" | --dual-stack ::1 9
dnudp | "--raw and --hex" | -l --raw --hex 0
dnudp | "--v6only: 127.0.0.1 is IPv4" | -l --v6only 127.0.0.1 0
dnudp | "--v6only on the default address" | -l --v6only 0
dnudp | "--dual-stack: ::1 is one IPv6 address" | -l --dual-stack ::1 0
dnudp | "--dual-stack: 127.0.0.1 is IPv4" | -l --dual-stack 127.0.0.1:0
dnudp | "--dual-stack on the default address" | -l --dual-stack 0
dnudp | "v6only" | -l --v6only --dual-stack :: 0
dnudp | "v6only=no in udp6: description: ::1" | 'udp6:0:interface=\:\:1:v6only=no'
dnudp | "udp: description: 0.0.0.0 is IPv4" | -l --dual-stack udp:0
dnudp | "--all-interfaces goes with -l" | --all-interfaces 0
dnudp | "--skip-unavailable" | -l --skip-unavailable 0
dnudp | "--dual-stack does not go with --all-interfaces" | -l --all-interfaces --dual-stack 0
dnudp | "port alone" | -l --all-interfaces 127.0.0.1 0
dnudp | "--allow and --deny go with -l" | --allow 127.0.0.0/8 127.0.0.1 9
dnudp | "'192.0.2.0/33'" | -l --allow 192.0.2.0/33 0
dnudp | "/nonexistent" | -l --deny-file /nonexistent 0
dnudp | "--count" | --count 0 127.0.0.1 9
dnudp | "--count" | -l --count abc 0
dnudp | "--max-size" | --max-size 0 127.0.0.1 9
dnudp | "--max-size" | -l --max-size 65536 0
dnudp | "0x100000" | --flow-label 0x100000 ::1 9
dnudp | "--flow-label" | --flow-label 1 127.0.0.1 9
dnudp | "--flow-label" | --flow-label 1 x.invalid 9
dnudp | "-w" | -w 0 127.0.0.1 9
dnudp | "-w" | -l -w abc 0
dnudp | "-I lo" | -I lo x.invalid 9
dnudp | "--nosuch" | --nosuch 127.0.0.1 9
dnudp | "'udp:' has no fields" | udp:
dnudp | "'udp-all:' has no fields" | udp-all:
dnudp | "empty 'host=' and no port" | udp:host=
dnudp | "empty 'host='" | udp:host=:port=9
dnudp | "'colour'" | udp:9:colour=red
dnudp | "multicast: descriptions go to dnmcast" | multicast:239.1.1.1:5000
dnudp | "drop -l" | -l udp:host=127.0.0.1:port=9
dnudp | "'tcp:'" | tcp:host=127.0.0.1:port=9
dnudp | "'maybe'" | 'udp6:0:v6only=maybe'
dnudp | "v6only= goes with udp6:" | udp:0:v6only=yes
dnudp | "bindAddress=" | udp:0:bindAddress=127.0.0.1
dnudp | "interface=" | udp:host=127.0.0.1:port=9:interface=127.0.0.1
dnudp | "x.invalid" | udp:0:interface=x.invalid
dnudp | "'70000'" | udp:70000
dnudp | "'1.2.3.4.5'" | udp:host=127.0.0.1:port=9:bindAddress=1.2.3.4.5
# <<< udp
#
# >>> mcast
dnmcast | "missing group" |
dnmcast | "missing group" | recv
dnmcast | "'foo'" | foo 239.1.1.1 5000
dnmcast | "too many arguments" | recv 239.1.1.1 5000 extra
dnmcast | "127.0.0.1 is not a multicast address" | recv 127.0.0.1 5000
dnmcast | "::1" | recv ::1 5000
dnmcast | "x.invalid" | recv x.invalid 5000
dnmcast | "is 64 bytes" | recv "$L64.invalid" 5000
dnmcast | "'1.2.3.4.5'" | recv 1.2.3.4.5 5000
dnmcast | 'port 65536' | recv 239.1.1.1 65536
dnmcast | "port 0" | recv 239.1.1.1 0
dnmcast | "'abc'" | recv 239.1.1.1 abc
dnmcast | "has no port" | recv 239.1.1.1
dnmcast | "ff02::1" | recv ff02::1 5000
dnmcast | "nosuchif0" | recv 'ff02::1%nosuchif0' 5000
dnmcast | "nosuchif0" | recv -I nosuchif0 239.1.1.1 5000
dnmcast | "%lo" | recv '%lo' 5000
dnmcast | "-4 and -6" | recv -4 -6 239.1.1.1 5000
dnmcast | "ff05::1" | recv -4 ff05::1 5000
dnmcast | "239.1.1.1" | recv -6 239.1.1.1 5000
dnmcast | "--hops goes with send" | recv --hops 3 239.1.1.1 5000
dnmcast | "--hops" | send --hops 256 239.1.1.1 5000
dnmcast | "--hops" | send --hops x 239.1.1.1 5000
dnmcast | "--loop and --no-loop" | send --loop --no-loop 239.1.1.1 5000
dnmcast | "--source" | send --source 192.0.2.1 232.1.1.1 5000
dnmcast | "232.1.1.1 is not a unicast address" | recv --source 232.1.1.1 232.1.1.1 5000
dnmcast | "'1.2.3.4.5'" | recv --source 1.2.3.4.5 232.1.1.1 5000
dnmcast | "::1" | recv --source ::1 232.1.1.1 5000
dnmcast | "-b" | recv -b 127.0.0.1 239.1.1.1 5000
dnmcast | "-b given twice" | send -b 127.0.0.1 -b 127.0.0.1 239.1.1.1 5000
dnmcast | "::1" | send -b ::1 239.1.1.1 5000
dnmcast | "--count" | recv --count 0 239.1.1.1 5000
dnmcast | "--max-size" | recv --max-size 0 239.1.1.1 5000
dnmcast | "-w" | recv -w 0 239.1.1.1 5000
dnmcast | "--nosuch" | recv --nosuch 239.1.1.1 5000
dnmcast | "'multicast:' has no fields" | multicast:
dnmcast | 'group 192.0.2.1' | recv multicast:192.0.2.1:5000
dnmcast | "'colour'" | recv multicast:239.1.1.1:5000:colour=red
dnmcast | "'256'" | send multicast:239.1.1.1:5000:hops=256
dnmcast | "'maybe'" | send multicast:239.1.1.1:5000:loop=maybe
dnmcast | "unicast description" | recv udp:0
dnmcast | "'tcp:'" | recv tcp:0
dnmcast | "empty field" | recv multicast:ff02::1:5000
dnmcast | "--source and source=" | recv --source 192.0.2.1 multicast:232.1.1.1:5000:source=192.0.2.2
dnmcast | "hops given as an option and in the description" | send --hops 3 multicast:239.1.1.1:5000:hops=4
# <<< mcast
TABLE
