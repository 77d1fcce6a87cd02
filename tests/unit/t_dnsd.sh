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
[ "$(q +tcp +short name.test A | tr '\n' ' ')" = "198.51.100.2 198.51.100.3 " ]; ok $? "TCP"

# the AAAA answer is held 400 ms; the A answer must not wait for it
q +short name.test AAAA > "$dir/aaaa" &
qpid=$!
sleep 0.05
q +short name.test A > "$dir/a"
[ -s "$dir/a" ] && [ ! -s "$dir/aaaa" ]; ok $? "A answered while AAAA is delayed"
wait $qpid
[ "$(cat "$dir/aaaa")" = "fd00::2" ]; ok $? "then AAAA"

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
wait "$pid"; st=$?
pid=
[ "$st" -eq 0 ]; ok $? "SIGTERM: clean exit"

echo "1..$n"
[ $fails -eq 0 ]
