#!/usr/bin/env bats
# hardening.bats - the four programs started by a hostile or careless
# parent: standard descriptors closed, signals, a process limit, a
# descriptor limit. Runs on the host's loopback; the limit cases need root.

load helpers

setup() {
	dn_require_programs
	dn_require_dgram
	T=$BATS_TEST_TMPDIR
}

teardown() {
	exec 7>&- 2>/dev/null || true
	dn_kill_all
	[ -z "${UDIR:-}" ] || rm -rf "$UDIR"
	dn_dump_logs
}

# --- closed 0, 1, 2 ------------------------------------------------------------

# closed_bg FD PROG ARGS...: PROG in the background with descriptor FD
# closed and the other two of 0/1/2 at $T/in (a FIFO held open by fd 7),
# $T/out, $T/err. Sets CPID.
closed_bg() {
	local fd=$1 prog=$2
	shift 2
	mkfifo "$T/in"
	case $fd in
	0) env --default-signal=INT "$DN_BIN/$prog" "$@" <&- > "$T/out" 2> "$T/err" 3>&- 7>&- & ;;
	1) env --default-signal=INT "$DN_BIN/$prog" "$@" < "$T/in" >&- 2> "$T/err" 3>&- 7>&- & ;;
	2) env --default-signal=INT "$DN_BIN/$prog" "$@" < "$T/in" > "$T/out" 2>&- 3>&- 7>&- & ;;
	esac
	CPID=$!
	dn_track "$CPID"
	[ "$fd" = 0 ] || exec 7> "$T/in"
}

# stdin_closed CMD...: CMD with fd 0 closed. Inside `run`, whose own pipes
# would otherwise take the free 0 (a closed stdin on run's command line
# becomes the read end of the pipe capturing the output).
stdin_closed() { "$@" <&-; }

# fd_is_null PID FD: /proc says the program's FD is /dev/null (bounded wait
# for it to get there: the program opens it first thing).
fd_is_null() {
	local pid=$1 fd=$2 i l=
	for ((i = 0; i < 100; i++)); do
		l=$(readlink "/proc/$pid/fd/$fd" 2>/dev/null) || l=
		[ "$l" = /dev/null ] && return 0
		sleep 0.05
	done
	echo "# fd $fd of $pid is '${l:-closed}', not /dev/null" >&2
	ls -l "/proc/$pid/fd/" >&2 2>/dev/null
	return 1
}

# Each program, each descriptor: what it finds closed is /dev/null, never
# one of its own sockets, its epoll or its signalfd.
for_each_closed() {
	local prog=$1 fd=$2 port
	shift 2
	case $prog in
	dnlisten) closed_bg "$fd" dnlisten -k 127.0.0.1 0 ;;
	dnudp) closed_bg "$fd" dnudp -l 127.0.0.1 0 ;;
	dnmcast)
		port=$(dn_random_port)
		closed_bg "$fd" dnmcast recv -I lo ff01::1:2 "$port" ;;
	dnconnect)
		dn_listen -k 127.0.0.1 0
		closed_bg "$fd" dnconnect 127.0.0.1 "$LPORT" ;;
	esac
	fd_is_null "$CPID" "$fd"
	# and none of its own descriptors landed below 3 in its place
	[ "$(readlink "/proc/$CPID/fd/$fd")" = /dev/null ]
}

@test "closed stdin: dnlisten has /dev/null at 0" { for_each_closed dnlisten 0; }
@test "closed stdout: dnlisten has /dev/null at 1" { for_each_closed dnlisten 1; }
@test "closed stderr: dnlisten has /dev/null at 2" { for_each_closed dnlisten 2; }
@test "closed stdin: dnudp has /dev/null at 0" { for_each_closed dnudp 0; }
@test "closed stdout: dnudp has /dev/null at 1" { for_each_closed dnudp 1; }
@test "closed stderr: dnudp has /dev/null at 2" { for_each_closed dnudp 2; }
@test "closed stdin: dnmcast has /dev/null at 0" { for_each_closed dnmcast 0; }
@test "closed stdout: dnmcast has /dev/null at 1" { for_each_closed dnmcast 1; }
@test "closed stderr: dnmcast has /dev/null at 2" { for_each_closed dnmcast 2; }
@test "closed stdout: dnconnect has /dev/null at 1" { for_each_closed dnconnect 1; }
@test "closed stderr: dnconnect has /dev/null at 2" { for_each_closed dnconnect 2; }

@test "closed stdin: dnconnect sends nothing, half-closes and exits 0" {
	DN_LISTEN_IN=<(printf 'from-server\n') dn_listen --once 127.0.0.1 0
	run --separate-stderr stdin_closed dnc 127.0.0.1 "$LPORT"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	[ -z "$stderr" ]
	[ "$output" = from-server ]
	wait_ok
	[ ! -s "$LOUT" ]
}

@test "closed stdout: dnconnect's received bytes go nowhere, not back to the peer" {
	DN_LISTEN_IN=<(printf 'from-server\n') dn_listen --once 127.0.0.1 0
	run --separate-stderr dnc 127.0.0.1 "$LPORT" >&- <<< from-client
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; false; }
	wait_ok
	[ "$(cat "$LOUT")" = from-client ]
}

@test "closed stderr: dnconnect -v traces nothing into the TCP stream" {
	dn_listen --once 127.0.0.1 0
	dnc -v 127.0.0.1 "$LPORT" 2>&- <<< payload
	wait_ok
	[ "$(cat "$LOUT")" = payload ]
}

@test "closed stdin and stderr: dnlisten --once still gets what the client sends" {
	local port i
	env "$DN_BIN/dnlisten" -v --once 127.0.0.1 0 <&- > "$T/lout" 2>&- 3>&- &
	LPID=$!
	dn_track "$LPID"
	# its "listening on" line went nowhere: the port from the kernel
	for ((i = 0; i < 100; i++)); do
		port=$(ss -ltnpH 2>/dev/null | awk -v p="pid=$LPID," 'index($0, p) {
		    n = split($4, a, ":"); print a[n]; exit }')
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || skip "ss(8) does not show dnlisten's socket"
	run --separate-stderr dnc 127.0.0.1 "$port" <<< client-data
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	wait_ok
	[ "$(cat "$T/lout")" = client-data ]
}

@test "closed stderr: dnudp -v sends only the datagram, no trace" {
	dn_udp_listen --count 1 127.0.0.1 0
	dnu -v 127.0.0.1 "$LPORT" 2>&- <<< only-this
	wait_ok
	[ "$(cat "$LOUT")" = only-this ]
}

@test "closed stdin: dnudp sends nothing and exits 0" {
	dn_udp_listen -v 127.0.0.1 0
	run --separate-stderr stdin_closed dnu 127.0.0.1 "$LPORT"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	sleep 0.2
	[ ! -s "$LOUT" ]
}

# --- signals -------------------------------------------------------------------

# dnconnect holding a connection to dnlisten --once (stdin a FIFO kept open
# by fd 7): signal it, it exits 0 and the listener sees an end of file (a
# FIN), not a reset: it exits 0 itself with what was sent.
dnconnect_signalled() {
	local sig=$1
	dn_listen -v --once 127.0.0.1 0
	mkfifo "$T/hold"
	env --default-signal=INT "$DN_BIN/dnconnect" -v 127.0.0.1 "$LPORT" \
	    < "$T/hold" > "$T/cout" 2> "$T/cerr" 3>&- &
	CPID=$!
	dn_track "$CPID"
	exec 7> "$T/hold"
	echo before-signal >&7
	dn_wait_for "$LOUT" before-signal
	kill "-$sig" "$CPID"
	dn_wait_exit "$CPID" 5 || { echo "dnconnect still runs" >&2; false; }
	[ "$DN_STATUS" -eq 0 ] || { cat "$T/cerr" >&2; false; }
	grep -q "closing" "$T/cerr"
	wait_ok
	[ "$(cat "$LOUT")" = before-signal ]
	! grep -q reset "$LERR"
}

@test "SIGTERM: dnconnect closes the connection with a FIN and exits 0" {
	dnconnect_signalled TERM
}

@test "SIGINT: dnconnect closes the connection with a FIN and exits 0" {
	dnconnect_signalled INT
}

# --- per-connection failures never end a keep-open server ----------------------

# user_dnlisten UID NPROC ARGS...: dnlisten ARGS in the background as UID
# (a user of its own, so RLIMIT_NPROC counts only dnlisten and its
# children) limited to NPROC processes, its stdout and stderr at $T/lout
# and $T/l.user.err (dumped when a case fails); waits for it to listen. It runs a copy in a directory the
# user can enter: the build tree may sit where only root can (/root), and
# so may the LeakSanitizer suppressions. Sets LPID, LERR, LPORT.
user_dnlisten() {
	local uid=$1 nproc=$2 sup lsan=${LSAN_OPTIONS:-}
	shift 2
	[ "$(id -u)" -eq 0 ] || skip "needs root to run as another user under a process limit"
	command -v setpriv > /dev/null || skip "no setpriv (util-linux)"
	command -v prlimit > /dev/null || skip "no prlimit (util-linux)"
	UDIR=$(mktemp -d "${TMPDIR:-/tmp}/dn-user.XXXXXX")
	chmod 755 "$UDIR"
	install -m 755 "$DN_BIN/dnlisten" "$UDIR/dnlisten"
	if [[ $lsan == *suppressions=* ]]; then
		sup=${lsan#*suppressions=}
		sup=${sup%%:*}
		install -m 644 "$sup" "$UDIR/lsan.supp"
		lsan=${lsan/"$sup"/"$UDIR/lsan.supp"}
	fi
	LSAN_OPTIONS=$lsan setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	    "$UDIR/dnlisten" --version > /dev/null 2>&1 ||
	    skip "uid $uid cannot run a copy of dnlisten in $UDIR (noexec?)"
	( cd "$UDIR" && LSAN_OPTIONS=$lsan exec env --default-signal=INT \
	    setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	    prlimit --nproc="$nproc:$nproc" "$UDIR/dnlisten" "$@" \
	    < /dev/null > "$T/lout" 2> "$T/l.user.err" 3>&- ) &
	LPID=$! LERR=$T/l.user.err
	dn_track "$LPID"
	dn_wait_listening "dnlisten $* as uid $uid"
}

@test "dnlisten -k -e: a fork that fails drops that connection, the server goes on" {
	# two processes: dnlisten and one command; the second fork fails
	local c1
	user_dnlisten 64923 2 -k -v -e 'echo served; exec sleep 1' 127.0.0.1 0
	dnc 127.0.0.1 "$LPORT" < /dev/null > "$T/c1" &
	c1=$!
	dn_track "$c1"
	dn_wait_for "$T/c1" served
	# the first command sleeps: no process left for the second
	run --separate-stderr dnc 127.0.0.1 "$LPORT" < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	dn_wait_for "$LERR" "cannot run .* connection dropped"
	grep -q "Resource temporarily unavailable" "$LERR"
	# the first ends, its slot is free: the next one is served
	dn_wait_exit "$c1" 10
	dn_wait_for "$LERR" "exited with status 0"
	run --separate-stderr dnc 127.0.0.1 "$LPORT" < /dev/null
	[ "$status" -eq 0 ]
	[ "$output" = served ]
	kill -0 "$LPID"
}

@test "dnlisten -k -e without -v: a failed fork is said once, not per connection" {
	local i
	user_dnlisten 64924 1 -k -e true 127.0.0.1 0
	for ((i = 0; i < 3; i++)); do
		run dnc 127.0.0.1 "$LPORT" < /dev/null
		[ "$status" -eq 0 ]
	done
	kill -0 "$LPID"
	[ "$(grep -c "cannot run 'true'" "$LERR")" -eq 1 ]
	grep -q "dropping connections while this lasts" "$LERR"
}

@test "dnlisten -k -e --json: a failed fork is a 'dropped' event" {
	user_dnlisten 64925 1 --json -k -e true 127.0.0.1 0
	dnc 127.0.0.1 "$LPORT" < /dev/null
	dn_wait_for "$LERR" '"event":"dropped"'
	grep '"event":"dropped"' "$LERR" | grep -q '"reason":"fork"'
	kill -0 "$LPID"
}

# lowest_free_fd PID: the number the process's next descriptor gets; a
# limit of that many forbids it (descriptors above, inherited, stay).
lowest_free_fd() {
	local n=0
	while [ -e "/proc/$1/fd/$n" ]; do n=$((n + 1)); done
	echo "$n"
}

# Out of descriptors: the limit lowered under the running server, so the
# next accept4() fails with EMFILE; -v says so, and says when it accepts
# again after the limit is back.
@test "dnlisten -k -v: EMFILE is traced, and the server serves again" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to change another process's limit"
	command -v prlimit > /dev/null || skip "no prlimit (util-linux)"
	local n hard
	dn_listen -k -v 127.0.0.1 0
	n=$(lowest_free_fd "$LPID")
	# the soft limit only: raising a hard one back needs more than root
	# has in some containers
	hard=$(prlimit --pid "$LPID" --nofile --raw --noheadings -o HARD)
	prlimit --pid "$LPID" --nofile="$n:$hard"
	dnc 127.0.0.1 "$LPORT" <<< after-emfile > /dev/null &
	dn_track $!
	local cpid=$!
	dn_wait_for "$LERR" "out of file descriptors \(EMFILE"
	prlimit --pid "$LPID" --nofile="$hard:$hard"
	dn_wait_for "$LERR" "accepting again"
	dn_wait_exit "$cpid" 10
	[ "$DN_STATUS" -eq 0 ]
	[ "$(cat "$LOUT")" = after-emfile ]
}

@test "dnlisten -k --json: EMFILE is an accept_paused event" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to change another process's limit"
	command -v prlimit > /dev/null || skip "no prlimit (util-linux)"
	local n hard
	dn_listen -k --json 127.0.0.1 0
	n=$(lowest_free_fd "$LPID")
	# the soft limit only: raising a hard one back needs more than root
	# has in some containers
	hard=$(prlimit --pid "$LPID" --nofile --raw --noheadings -o HARD)
	prlimit --pid "$LPID" --nofile="$n:$hard"
	dnc 127.0.0.1 "$LPORT" <<< x > /dev/null &
	dn_track $!
	dn_wait_for "$LERR" '"event":"accept_paused"'
	grep '"event":"accept_paused"' "$LERR" | grep -q EMFILE
	prlimit --pid "$LPID" --nofile="$hard:$hard"
	dn_wait_for "$LERR" '"event":"accept_resumed"'
}

@test "dnlisten -k --all-interfaces -v: EMFILE pauses the aggregate, which serves again" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to change another process's limit"
	command -v prlimit > /dev/null || skip "no prlimit (util-linux)"
	local n hard cpid
	dn_listen -k -v --all-interfaces -I lo 0
	n=$(lowest_free_fd "$LPID")
	hard=$(prlimit --pid "$LPID" --nofile --raw --noheadings -o HARD)
	prlimit --pid "$LPID" --nofile="$n:$hard"
	dnc 127.0.0.1 "$LPORT" <<< through-the-aggregate > /dev/null &
	cpid=$!
	dn_track "$cpid"
	dn_wait_for "$LERR" "out of file descriptors \(EMFILE"
	prlimit --pid "$LPID" --nofile="$hard:$hard"
	dn_wait_for "$LERR" "accepting again"
	dn_wait_exit "$cpid" 10
	[ "$DN_STATUS" -eq 0 ]
	[ "$(cat "$LOUT")" = through-the-aggregate ]
}

# The listener's direction held open by a FIFO, the client's ended: a
# signalled dnlisten closes with a FIN, so the client ends with 0, not the
# 74 of a reset.
dnlisten_signalled() {
	local sig=$1
	mkfifo "$T/lin"
	# read-write: the open does not wait for the other end
	exec 7<> "$T/lin"
	DN_LISTEN_IN=$T/lin dn_listen -v --once 127.0.0.1 0
	dnc 127.0.0.1 "$LPORT" < /dev/null > "$T/cout" 2> "$T/cerr" &
	CPID=$!
	dn_track "$CPID"
	dn_wait_for "$LERR" "connection from"
	echo to-client >&7
	dn_wait_for "$T/cout" to-client
	kill "-$sig" "$LPID"
	wait_ok 5
	dn_wait_exit "$CPID" 5 || { echo "dnconnect still runs" >&2; false; }
	[ "$DN_STATUS" -eq 0 ] || { cat "$T/cerr" >&2; false; }
	[ "$(cat "$T/cout")" = to-client ]
}

@test "SIGTERM: dnlisten closes an open connection with a FIN, the client exits 0" {
	dnlisten_signalled TERM
}

@test "SIGINT: dnlisten closes an open connection with a FIN, the client exits 0" {
	dnlisten_signalled INT
}

# A burst: connections queued while the server was stopped are accepted
# in one readiness, each forking a command that exits at once. Those that
# ended are reaped between the forks of the burst, not after all of them
# (they used to stay zombies for the whole burst: seconds under load).
@test "dnlisten -k -e: commands that end during an accept burst are reaped in it" {
	command -v ss > /dev/null || skip "no ss (iproute2)"
	local i n=48 est
	dn_listen -k -v -e 'exit 0' 127.0.0.1 0
	kill -STOP "$LPID"
	for ((i = 0; i < n; i++)); do
		dnc 127.0.0.1 "$LPORT" < /dev/null > /dev/null 2>&1 &
		dn_track $!
	done
	# every handshake done by the kernel, waiting in the backlog (the
	# clients half-closed: FIN-WAIT-2 on their side)
	for ((i = 0; i < 200; i++)); do
		est=$(ss -tnH "( dport = :$LPORT )" | wc -l)
		[ "$est" -ge "$n" ] && break
		sleep 0.05
	done
	kill -CONT "$LPID"
	[ "$est" -ge "$n" ] || skip "only $est of $n connections were queued"
	for ((i = 0; i < 200; i++)); do
		[ "$(grep -c 'exited with status 0' "$LERR")" -ge "$n" ] && break
		sleep 0.05
	done
	[ "$(grep -c 'exited with status 0' "$LERR")" -eq "$n" ]
	# some exits are said before the burst's last accept
	awk '/connection from/ { last = NR } /exited with status/ { e[NR] = 1 }
	    END { for (l in e) if (l + 0 < last) k++; print k + 0; exit !(k > 0) }' "$LERR"
}
