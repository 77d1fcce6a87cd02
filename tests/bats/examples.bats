#!/usr/bin/env bats
# examples.bats - the programs of examples/, built against libdualnet as a
# stranger's would be: echo (the all-interfaces server endpoint) talked to
# by dnconnect, and head (Happy Eyeballs HTTP HEAD) asking a dnlisten -e
# responder, over 127.0.0.1 and ::1.
#
# As root the file runs inside a private namespace (lo only), so that echo
# binds no address of the host's own links; otherwise on the host's
# loopback.

load helpers

EX="${DN_EXBIN:-${DN_BUILDDIR:-$repo}/examples}"

setup_file() {
	LB_NS=
	if ns_available; then
		LB_NS="dnt-$$-$RANDOM-ex"
		ns_make "$LB_NS" || LB_NS=
	fi
	export LB_NS NS_WHY
}

teardown_file() {
	ns_teardown
}

setup() {
	dn_require_programs
	DN_BIN=$EX dn_require examples echo head
	dn_lb_setup
}

teardown() {
	dn_kill_all
	dn_dump_logs
}

# ex PROG ARGS...: examples/PROG bounded in time, where dnc runs.
ex() { local p=$1; shift; timeout -k 2 "$DN_TIMEOUT" "${DN_X[@]}" "$EX/$p" "$@"; }

# echo_start: examples/echo in the background; waits (bounded) for its
# "port N" line. Sets LPID, LOUT, LERR and EPORT.
echo_start() {
	DN_BIN=$EX dn_bg echo "$@"
	dn_wait_for "$LOUT" '^port [0-9]+$' 10 || return 1
	EPORT=$(sed -n 's/^port //p' "$LOUT")
}

# http_start STATUS [dnlisten address args]: dnlisten -k answering each
# connection with "HTTP/1.0 STATUS" once the request's head has come; the
# request lines go to $T/req (without CRs).
http_start() {
	export HTTP_STATUS=$1 HTTP_LOG=$T/req
	shift
	# shellcheck disable=SC2016 # expanded by dnlisten's shell
	dn_listen -k -e 'IFS= read -r rq; printf "%s\n" "$rq" | tr -d "\r" >> "$HTTP_LOG"
	    while IFS= read -r h && [ ${#h} -gt 1 ]; do :; done
	    printf "HTTP/1.0 %s\r\nContent-Length: 0\r\n\r\n" "$HTTP_STATUS"' "$@"
}

# --- echo ---------------------------------------------------------------------

@test "echo: one port on 127.0.0.1 and ::1, each echoing to the half-close" {
	echo_start
	[ "$EPORT" -gt 0 ]
	run -0 --separate-stderr dnc 127.0.0.1 "$EPORT" <<< "over IPv4"
	[ "$output" = "over IPv4" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr dnc ::1 "$EPORT" <<< "over IPv6"
	[ "$output" = "over IPv6" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr dnc localhost "$EPORT" <<< "by name"
	[ "$output" = "by name" ]
}

@test "echo: 4 MiB each way over ::1 and 127.0.0.1 at once, byte for byte" {
	head -c 4M /dev/urandom > "$T/in"
	echo_start
	DN_TIMEOUT=60 dnc ::1 "$EPORT" < "$T/in" > "$T/out6" &
	local p6=$!
	DN_TIMEOUT=60 dnc 127.0.0.1 "$EPORT" < "$T/in" > "$T/out4"
	wait "$p6"
	cmp "$T/in" "$T/out6"
	cmp "$T/in" "$T/out4"
}

@test "echo: a port given is the one it serves on" {
	dn_closed_port 127.0.0.1 0
	echo_start "$CLOSED_PORT"
	[ "$EPORT" = "$CLOSED_PORT" ]
	run -0 dnc ::1 "$EPORT" <<< again
	[ "$output" = again ]
}

@test "echo: SIGTERM ends it with exit 0" {
	echo_start
	kill -TERM "$LPID"
	dn_wait_exit "$LPID" 10
	dn_status_is 0
	[ ! -s "$LERR" ]
}

@test "echo: a bad port is a usage error, exit 64" {
	run -64 --separate-stderr ex echo 65536
	[[ $stderr == "usage: echo [PORT]"* ]]
	run -64 ex echo 80x
}

# --- head ---------------------------------------------------------------------

@test "head localhost: ::1 refuses, 127.0.0.1 wins the race; HEAD / HTTP/1.0 sent" {
	http_start "200 OK" 127.0.0.1 0
	run -0 --separate-stderr ex head localhost "$LPORT"
	[ "${lines[0]}" = "connected to 127.0.0.1:$LPORT" ]
	[ "${lines[1]}" = "HTTP/1.0 200 OK" ]
	[ "${#lines[@]}" = 2 ]
	[ -z "$stderr" ]
	[ "$(cat "$T/req")" = "HEAD / HTTP/1.0" ]
}

@test "head localhost: a server on ::1 wins at once" {
	http_start "301 Moved Permanently" ::1 0
	run -0 ex head localhost "$LPORT"
	[ "${lines[0]}" = "connected to [::1]:$LPORT" ]
	[ "${lines[1]}" = "HTTP/1.0 301 Moved Permanently" ]
}

@test "head by literal: 127.0.0.1 and ::1 on a dual-stack listener" {
	http_start "204 No Content" --dual-stack :: 0
	run -0 ex head 127.0.0.1 "$LPORT"
	[ "${lines[0]}" = "connected to 127.0.0.1:$LPORT" ]
	[ "${lines[1]}" = "HTTP/1.0 204 No Content" ]
	run -0 ex head ::1 "$LPORT"
	[ "${lines[0]}" = "connected to [::1]:$LPORT" ]
	[ "${lines[1]}" = "HTTP/1.0 204 No Content" ]
	[ "$(grep -c '^HEAD / HTTP/1.0$' "$T/req")" = 2 ]
}

@test "head: a 404 is printed and exits 1" {
	http_start "404 Not Found" ::1 0
	run -1 ex head ::1 "$LPORT"
	[ "${lines[1]}" = "HTTP/1.0 404 Not Found" ]
}

@test "head: nothing listening: every address named, exit 69" {
	dn_closed_port --dual-stack :: 0
	run -69 --separate-stderr ex head localhost "$CLOSED_PORT"
	[ -z "$output" ]
	[[ $stderr == "head: no connection to localhost: "* ]]
	[[ $stderr == *"[::1]:$CLOSED_PORT connection refused"* ]]
	[[ $stderr == *"127.0.0.1:$CLOSED_PORT connection refused"* ]]
}

@test "head: usage errors exit 64" {
	run -64 --separate-stderr ex head
	[ "$stderr" = "head: usage: head HOST [PORT]" ]
	run -64 --separate-stderr ex head localhost 0
	[ "$stderr" = "head: port 0 is out of range: give 1 to 65535" ]
	run -64 --separate-stderr ex head localhost no-such-service
	[[ $stderr == "head: "*"no-such-service"* ]]
	run -64 ex head a b c
}

# --- README -------------------------------------------------------------------

@test "README: its on_connect() of head.c is the file's, to the letter" {
	python3 - "$repo/README.md" "$repo/examples/head.c" <<-'PY'
	import re, sys
	readme, src = (open(f, encoding="utf-8").read() for f in sys.argv[1:3])
	part = readme.split("## Using the library", 1)[-1]
	m = re.search(r"^static void\non_connect\(.*?^}\n", part, re.S | re.M)
	if m is None:
	    sys.exit("README's Using the library shows no on_connect()")
	if m.group(0) not in src:
	    sys.exit("README's on_connect() differs from examples/head.c: copy it again")
	PY
}
