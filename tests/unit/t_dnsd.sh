#!/bin/sh
# t_dnsd.sh - smoke check of tests/dnsd.py with dig on a loopback port (TAP).

top=${DN_SRCDIR:-${srcdir:-$(dirname "$0")/../..}}
dnsd=$top/tests/dnsd.py
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not installed"; exit 0; }
command -v dig >/dev/null 2>&1 || { echo "1..0 # SKIP dig not installed (dnsutils)"; exit 0; }
[ -r "$dnsd" ] || { echo "1..0 # SKIP $dnsd not found (set srcdir)"; exit 0; }

dir=$(mktemp -d /tmp/t_dnsd.XXXXXX) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

cat > "$dir/zone" <<'EOF'
name.test A 198.51.100.2 198.51.100.3
name.test AAAA fd00::2
name.test AAAA delay=400
nodata.test AAAA nodata
gone.test ANY nxdomain
broken.test AAAA servfail
silent.test AAAA drop
EOF

n=0
fails=0
ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

python3 "$dnsd" --listen 127.0.0.1 --port 0 --port-file "$dir/port" \
    --zone "$dir/zone" -v 2>"$dir/log" &
pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$dir/port" 2>/dev/null)
[ -n "$port" ]; ok $? "dnsd.py reports its port ($port)"
grep -q "^dnsd: listening on 127.0.0.1:$port\$" "$dir/log"; ok $? "and prints it on stderr"

q() { dig +tries=1 +time=1 -p "$port" @127.0.0.1 "$@"; }

[ "$(q +short name.test A | tr '\n' ' ')" = "198.51.100.2 198.51.100.3 " ]; ok $? "A name.test"
[ "$(q +short NAME.Test AAAA)" = "fd00::2" ]; ok $? "AAAA, case-insensitive, delayed"
q nodata.test AAAA | grep -q 'status: NOERROR.*' && q nodata.test AAAA | grep -q 'ANSWER: 0'; ok $? "nodata: NOERROR, no answer"
q gone.test A | grep -q 'status: NXDOMAIN'; ok $? "nxdomain"
q unknown.test A | grep -q 'status: NXDOMAIN'; ok $? "unknown name: NXDOMAIN"
q broken.test AAAA | grep -q 'status: SERVFAIL'; ok $? "servfail"
q name.test MX | grep -q 'ANSWER: 0'; ok $? "other types: NODATA"
q silent.test AAAA >/dev/null; [ $? -ne 0 ]; ok $? "drop: no answer"
# a connection and a thread in dnsd.py: more than 1 s on a loaded machine
[ "$(q +tcp +time=5 +short name.test A | tr '\n' ' ')" = "198.51.100.2 198.51.100.3 " ]; ok $? "TCP"

# the AAAA answer is held 400 ms; the A answer must not wait for it
q +short name.test AAAA > "$dir/aaaa" &
qpid=$!
sleep 0.05
q +short name.test A > "$dir/a"
[ -s "$dir/a" ] && [ ! -s "$dir/aaaa" ]; ok $? "A answered while AAAA is delayed"
wait $qpid
[ "$(cat "$dir/aaaa")" = "fd00::2" ]; ok $? "then AAAA"

# stop PID: SIGTERM and a bounded wait; returns PID's exit status.
stop() {
	kill -TERM "$1"
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	wait "$1"
}

stop "$pid"; st=$?
pid=
[ "$st" -eq 0 ]; ok $? "SIGTERM: clean exit"

# --- DNS64 (RFC 6147), prefixes of /96 and /48 (RFC 6052 section 2.2) ---------

cat > "$dir/zone64" <<'EOF'
four.test A 198.51.100.2 198.51.100.3
nod.test A 198.51.100.2
nod.test AAAA nodata delay=100
native.test A 198.51.100.2
native.test AAAA 2001:db8:6::5
gone.test ANY nxdomain
EOF
printf '%s\n' 'four.test A 198.51.100.2' 'ipv4only.arpa AAAA drop' > "$dir/zone64drop"
printf '%s\n' 'ipv4only.arpa ANY nxdomain' > "$dir/zone64nx"

# start64 ZONE ARGS...: dnsd on ZONE with ARGS; sets pid and port.
start64() {
	zf=$1
	shift
	rm -f "$dir/port"
	python3 "$dnsd" --listen 127.0.0.1 --port 0 --port-file "$dir/port" \
	    --zone "$zf" "$@" 2>>"$dir/log64" &
	pid=$!
	i=0
	while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	port=$(cat "$dir/port" 2>/dev/null)
	[ -n "$port" ]
}
# ans ARGS...: the answers of dig +short ARGS on one line, sorted.
ans() { q +short "$@" | sort | tr '\n' ' '; }

start64 "$dir/zone64" --dns64 2001:db8:64::/96; ok $? "--dns64 2001:db8:64::/96 starts"
[ "$(ans four.test AAAA)" = "2001:db8:64::c633:6402 2001:db8:64::c633:6403 " ]; ok $? "dns64: AAAA synthesised from A"
[ "$(ans four.test A)" = "198.51.100.2 198.51.100.3 " ]; ok $? "dns64: A unchanged"
[ "$(ans nod.test AAAA)" = "2001:db8:64::c633:6402 " ]; ok $? "dns64: AAAA nodata line synthesised too"
[ "$(ans native.test AAAA)" = "2001:db8:6::5 " ]; ok $? "dns64: a real AAAA wins"
q gone.test AAAA | grep -q 'status: NXDOMAIN'; ok $? "dns64: NXDOMAIN stays"
[ "$(ans ipv4only.arpa AAAA)" = "2001:db8:64::c000:aa 2001:db8:64::c000:ab " ]; ok $? "dns64: ipv4only.arpa AAAA (RFC 7050)"
[ "$(ans IPv4Only.Arpa. A)" = "192.0.0.170 192.0.0.171 " ]; ok $? "dns64: ipv4only.arpa A"
stop "$pid"; pid=

start64 "$dir/zone64" --dns64 2001:db8:64::/96 --dns64 2001:db8:46::/48
[ "$(q +short ipv4only.arpa AAAA | tr '\n' ' ')" = "2001:db8:64::c000:aa 2001:db8:64::c000:ab 2001:db8:46:c000:0:aa00:: 2001:db8:46:c000:0:ab00:: " ]
ok $? "dns64: two prefixes in order, the /48 one skipping bits 64-71"
stop "$pid"; pid=

start64 "$dir/zone64drop" --dns64 2001:db8:64::/96
q ipv4only.arpa AAAA > /dev/null; [ $? -ne 0 ]; ok $? "dns64: ipv4only.arpa AAAA drop: no answer"
[ "$(ans ipv4only.arpa A)" = "192.0.0.170 192.0.0.171 " ]; ok $? "dns64: its A still answers"
[ "$(ans four.test AAAA)" = "2001:db8:64::c633:6402 " ]; ok $? "dns64: other names still synthesised"
stop "$pid"; pid=

start64 "$dir/zone64nx" --dns64 2001:db8:64::/96
q ipv4only.arpa AAAA | grep -q 'status: NXDOMAIN'; ok $? "dns64: ipv4only.arpa ANY nxdomain"
stop "$pid"; pid=

start64 "$dir/zone64"
q ipv4only.arpa AAAA | grep -q 'status: NXDOMAIN'; ok $? "no --dns64: ipv4only.arpa unknown"
q four.test AAAA | grep -q 'ANSWER: 0'; ok $? "no --dns64: no synthesis"
stop "$pid"; pid=

for bad in 2001:db8:64::/72 2001:db8:0:0:100::/96 2001:db8:46::/32 nonsense; do
	python3 "$dnsd" --port 0 --zone "$dir/zone64" --dns64 "$bad" 2> "$dir/err"
	st=$?
	[ "$st" -eq 64 ] && grep -q -e "--dns64 $bad" "$dir/err"; ok $? "--dns64 $bad: exit 64 naming it"
done

echo "1..$n"
[ $fails -eq 0 ]
