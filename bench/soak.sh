#!/usr/bin/env bash
# soak.sh - dnlisten -k -e under load for minutes, then checked for what a
# long-running server must not do: keep descriptors, leave zombies, grow,
# or lose bytes. Two phases: a single listener (dnlisten -k -e cat ADDR 0)
# and the all-interfaces port on lo (dnlisten -k -e cat -I lo
# --all-interfaces 0, the clients taking its addresses in turn). Each
# phase runs the C client (baseline soak) with CLIENTS connections at a
# time, each a random kind: normal (up to 256 KiB, half-close, the whole
# echo read back and checked), early half-close (0 to 64 bytes and the
# half-close at once), reset (SO_LINGER 0, while sending or while the
# echo flows back) and idle (nothing for up to 2 s, then close).
#
# Usage: bench/soak.sh   (loopback only, any user; needs bash 5, ss, ps)
# Environment:
#   DN_BIN             directory with dnlisten ($(dirname $0)/../cmd)
#   DN_BENCH_BASELINE  the client, bench/baseline (DN_BIN/../bench/baseline,
#                      built by make; else compiled from bench/baseline.c)
#   DN_SOAK_SECONDS    seconds of load per phase (180; 10 to 3600)
#   DN_SOAK_CLIENTS    connections at a time (50)
#   DN_SOAK_THINK      a client's pause between connections, up to this
#                      many ms (200): the load stays polite on a shared
#                      machine (some 130 connections/s)
#   DN_SOAK_INTERVAL   seconds between two samples of the server (5)
#   DN_SOAK_RSS_KIB    RSS growth allowed from the warm-up to the end (512)
#   DN_SOAK_PHASES     "exec all" (the single listener, the all-interfaces
#                      port) or one of them
#   DN_SOAK_SEED       the client's random seed (one from the clock)
#   DN_BENCH_ADDRS     loopback addresses ("127.0.0.1 ::1"): the single
#                      listener takes the first, the clients of the
#                      all-interfaces port each in turn
#
# Checks (issue 9), for each phase; any failed one makes the exit status 1
# (a correctness soak: no strict mode):
#   - the client: no connection failed (a short echo, a byte that differs,
#     a reset or end of file the kind did not ask for, 30 s without
#     progress), and every byte of the normal and half-close connections
#     came back;
#   - descriptors: once the clients are gone, the server holds as many as
#     before they came;
#   - zombies: none at the end, and none seen in two samples in a row,
#     that is, left unreaped DN_SOAK_INTERVAL s or longer (a child exits
#     at any moment: one sample may catch it before the reap);
#   - children: none left once the clients are gone;
#   - RSS: the end within DN_SOAK_RSS_KIB of the first sample after the
#     warm-up (a quarter of the run, at most 30 s);
#   - every command that ran was reported ended (dnlisten -v: as many
#     "exited" or "killed by signal" lines as "connection from" lines);
#   - the server still runs at the end and exits 0 on SIGTERM.
#
# The server binds port 0 and the port comes from its "listening on"
# line. Every loop is bounded: the client stops starting connections after
# DN_SOAK_SECONDS and gives the last ones 60 s; the script waits at most
# DN_SOAK_SECONDS + 120 s for it.

set -u
shopt -s nullglob

here=$(cd "$(dirname "$0")" && pwd)
DN_BIN=${DN_BIN:-$here/../cmd}
SECS=${DN_SOAK_SECONDS:-180}
CLIENTS=${DN_SOAK_CLIENTS:-50}
THINK=${DN_SOAK_THINK:-200}
INTERVAL=${DN_SOAK_INTERVAL:-5}
RSS_KIB=${DN_SOAK_RSS_KIB:-512}
PHASES=${DN_SOAK_PHASES:-exec all}
SEED=${DN_SOAK_SEED:-}
ADDRS=${DN_BENCH_ADDRS:-127.0.0.1 ::1}
RUNS=5	# dn_bench_counts wants it; a soak has no rounds
# shellcheck source=bench/baseline.sh
. "$here/baseline.sh"
dn_bench_programs "$DN_BIN" dnlisten
# shellcheck disable=SC2154	# set by dn_bench_programs
DNLISTEN=$DN_BENCH_dnlisten

dn_bench_counts SECS CLIENTS THINK INTERVAL RSS_KIB
(( SECS >= 10 && SECS <= 3600 )) || die "DN_SOAK_SECONDS must be 10 to 3600"
(( CLIENTS >= 1 && CLIENTS <= 1000 )) || die "DN_SOAK_CLIENTS must be 1 to 1000"
(( THINK <= 60000 )) || die "DN_SOAK_THINK must be 0 to 60000 (ms)"
(( INTERVAL >= 1 && INTERVAL <= 60 )) || die "DN_SOAK_INTERVAL must be 1 to 60"
[[ -z $SEED || $SEED =~ ^[0-9]+$ ]] || die "DN_SOAK_SEED must be a whole number, not '$SEED'"
for p in $PHASES; do
	case $p in exec|all) ;; *) die "DN_SOAK_PHASES: unknown phase '$p' (exec, all)" ;; esac
done
dn_bench_loopback
command -v ps >/dev/null || die "needs ps(1) to find the server's children"
[[ -x $DNLISTEN ]] || die "no dnlisten in $DN_BIN: build first"
read -r -a addrs <<<"$ADDRS"
(( ${#addrs[@]} >= 1 && ${#addrs[@]} <= 16 )) || die "DN_BENCH_ADDRS: 1 to 16 addresses"

dn_bench_workdir dn-bench-soak
dn_bench_baseline
failed=0
# the echo; cat's complaints about the resets stay out of dnlisten's trace
CMD='exec cat 2>/dev/null'

# --- the server, seen from /proc ---------------------------------------------

# sample PID: sets FDS, RSS (KiB), KIDS (children) and the array ZOMBIES
# (the PIDs of the children that are zombies) of the server PID.
sample() {
	local pid=$1 kid st
	local -a f
	f=("/proc/$pid/fd/"*)	# nullglob: a server gone has none
	FDS=${#f[@]}
	RSS=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	KIDS=0 ZOMBIES=()
	while read -r kid st; do
		[[ -n $kid ]] || continue
		KIDS=$((KIDS + 1))
		[[ $st == Z* ]] && ZOMBIES+=("$kid")
	done < <(ps --ppid "$pid" -o pid=,stat= 2>/dev/null)
}

# cpu_secs PID: the user and system seconds PID has used.
cpu_secs() {
	awk -v hz="$(getconf CLK_TCK)" '{
	    sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# check OK WHAT: prints "ok   WHAT" or "FAIL WHAT" (and fails the run).
check() {
	if (( $1 )); then
		printf 'ok   %s\n' "$2"
	else
		printf 'FAIL %s\n' "$2"
		failed=1
	fi
}

# --- one phase ------------------------------------------------------------------

# phase NAME: starts its server, runs the client against it while sampling,
# lets it settle, stops it and prints the table and the checks.
phase() {
	local name=$1 errf=$work/$1.err i t t0 warm want a n rc
	local fd0 rss0 rssw='' rssmax=0 zmax=0 zprev='' zlong='' kids_end cpu
	local -a server clients rows=()
	case $name in
	exec)
		server=("$DNLISTEN" -v -k -e "$CMD" "${addrs[0]}" 0)
		clients=("${addrs[0]}") ;;
	all)
		server=("$DNLISTEN" -v -k -e "$CMD" -I lo --all-interfaces 0)
		clients=("${addrs[@]}") ;;
	esac
	printf '\n== %s: dnlisten %s, %s s, %s clients to %s\n' "$name" \
	    "${server[*]:1}" "$SECS" "$CLIENTS" "${clients[*]}"
	if ! dn_bench_start dnlisten -ltnpH /dev/null "$errf" "${server[@]}"; then
		echo "soak.sh: $name: dnlisten did not listen: $(head -c 300 "$errf")" >&2
		dn_bench_stop "$SPID"
		check 0 "$name: the server started"
		return
	fi
	# the all-interfaces port prints a line per address: wait for ours
	for ((i = 0; i < 500; i++)); do
		want=0
		for a in "${clients[@]}"; do
			[[ $a == *:* ]] && a="\[$a\]"
			grep -q "listening on $a:$SPORT\$" "$errf" && want=$((want + 1))
		done
		(( want == ${#clients[@]} )) && break
		sleep 0.01
	done
	(( want == ${#clients[@]} )) || {
		check 0 "$name: listening on ${clients[*]} port $SPORT"
		dn_bench_stop "$SPID"
		return
	}
	sample "$SPID"
	fd0=$FDS rss0=$RSS
	rows+=("$(printf '%6s %5s %9s %9s %8s' 0 "$FDS" "$RSS" "$KIDS" 0)")

	"$BASELINE" soak -c "$CLIENTS" -t "$THINK" ${SEED:+-s "$SEED"} "$SECS" \
	    "$SPORT" "${clients[@]}" >"$work/$name.client" 2>"$work/$name.clerr" &
	local cpid=$!
	track "$cpid"
	t0=$SECONDS
	warm=$(( SECS / 4 < 30 ? SECS / 4 : 30 ))
	# a sample every INTERVAL s while the client runs, at most SECS + 120 s
	# (by the clock: on a busy machine a tick of sleep takes longer)
	n=$INTERVAL
	while kill -0 "$cpid" 2>/dev/null && (( SECONDS - t0 < SECS + 120 )); do
		sleep 0.2
		t=$((SECONDS - t0))
		(( t < n )) && continue
		n=$((t + INTERVAL))
		kill -0 "$SPID" 2>/dev/null || break
		sample "$SPID"
		if [[ -z $rssw && $t -ge $warm ]]; then
			rssw=$RSS
		fi
		[[ -n $rssw ]] && (( RSS > rssmax )) && rssmax=$RSS
		(( ${#ZOMBIES[@]} > zmax )) && zmax=${#ZOMBIES[@]}
		for a in "${ZOMBIES[@]}"; do
			[[ " $zprev " == *" $a "* ]] && zlong+="$a "
		done
		zprev=${ZOMBIES[*]}
		rows+=("$(printf '%6s %5s %9s %9s %8s' "$t" "$FDS" "$RSS" "$KIDS" \
		    "${#ZOMBIES[@]}")")
	done
	if kill -0 "$cpid" 2>/dev/null; then
		echo "soak.sh: $name: the client still runs after $((SECS + 120)) s: stopped" >&2
		dn_bench_stop "$cpid"
		rc=124
	else
		wait "$cpid"
		rc=$?
	fi

	# the last connections close: give the server 10 s to drop them
	t=$SECONDS
	while (( SECONDS - t <= 10 )) && kill -0 "$SPID" 2>/dev/null; do
		sample "$SPID"
		(( FDS == fd0 && KIDS == 0 )) && break
		sleep 0.1
	done
	local alive=0
	if kill -0 "$SPID" 2>/dev/null; then
		alive=1
		sample "$SPID"
		cpu=$(cpu_secs "$SPID")
		rows+=("$(printf '%6s %5s %9s %9s %8s  (clients gone)' \
		    "$((SECONDS - t0))" "$FDS" "$RSS" "$KIDS" "${#ZOMBIES[@]}")")
	fi
	kids_end=$KIDS
	[[ -z $rssw ]] && rssw=$rss0
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID"
	local src=$?

	printf '%6s %5s %9s %9s %8s\n' "t(s)" fds "RSS(KiB)" children zombies
	printf '%s\n' "${rows[@]}"
	printf '\n%-10s %8s %8s %7s %13s %13s\n' kind started ok failed \
	    "bytes sent" "verified"
	local k st ok fl se ve tsent=0 tver=0 conns=0 cfail=0
	while read -r k _ st _ ok _ fl _ se _ ve; do
		printf '%-10s %8s %8s %7s %13s %13s\n' "$k" "$st" "$ok" "$fl" "$se" "$ve"
		conns=$((conns + st))
		cfail=$((cfail + fl))
		if [[ $k == normal || $k == halfclose ]]; then
			tsent=$((tsent + se))
			tver=$((tver + ve))
		fi
	done <"$work/$name.client"
	local acc ex
	acc=$(grep -c ' connection from ' "$errf")
	ex=$(grep -Ec ' command for .* (exited with status|killed by signal)' "$errf")
	printf 'dnlisten: %s connections accepted, %s commands ended (' "$acc" "$ex"
	grep -Eo ' (exited with status [0-9]+|killed by signal [A-Z0-9]+)' "$errf" |
	    sort | uniq -c | awk '{ $1 = $1 " x"; printf "%s%s", s, $0; s = ", " }'
	printf '), %s CPU s\n' "${cpu:-?}"
	grep -v '^baseline: soak: seed ' "$work/$name.clerr" | head -n 12
	printf 'client seed: %s\n\n' "$(sed -n 's/^baseline: soak: seed //p' "$work/$name.clerr")"

	check $(( rc == 0 && cfail == 0 && conns > 0 )) \
	    "$name: $conns connections, none failed (client exit $rc)"
	check $(( tsent == tver && tsent > 0 )) \
	    "$name: every byte came back: $tver of $tsent (normal and half-close)"
	check "$alive" "$name: the server ran to the end"
	check $(( alive && FDS == fd0 )) "$name: descriptors $fd0 before, ${FDS:-?} after"
	check $(( alive && kids_end == 0 )) "$name: children left: $kids_end"
	local -a zl
	read -r -a zl <<<"$zlong"
	check $(( alive && ${#ZOMBIES[@]} == 0 )) \
	    "$name: zombies at the end: ${#ZOMBIES[@]}${ZOMBIES[*]:+ (${ZOMBIES[*]})}"
	check $(( ${#zl[@]} == 0 )) \
	    "$name: zombies seen in two samples in a row (${INTERVAL} s apart): ${#zl[@]}${zl[*]:+, e.g. PIDs ${zl[*]:0:5}} (most zombies in one sample: $zmax)"
	check $(( alive && RSS - rssw <= RSS_KIB )) \
	    "$name: RSS $rss0 KiB at start, $rssw after the warm-up (${warm} s), peak $rssmax, $RSS at the end: +$((RSS - rssw)) KiB (bound $RSS_KIB)"
	check $(( acc == ex && acc > 0 )) "$name: every command reported ended ($ex of $acc)"
	check $(( src == 0 )) "$name: exit status on SIGTERM $src"
}

echo "soak.sh: ${SECS} s a phase, $CLIENTS clients, phases: $PHASES; dnlisten: $DNLISTEN" >&2
for p in $PHASES; do
	phase "$p"
done
echo
if (( failed )); then
	echo "soak: FAILED"
	exit 1
fi
echo "soak: passed"
exit 0
