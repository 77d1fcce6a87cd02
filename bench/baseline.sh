# baseline.sh - sourced by the scripts that hold dualnet against the plain
# C programs of bench/baseline.c (accept.sh, udpsend.sh, startup.sh), in
# place of common.sh, which it sources: finding or building that program,
# pinning client and server apart, starting a server and reading its port,
# sampling round-robin, ratios, verdicts and the end of a run.
# shellcheck shell=bash
# It sets variables for its callers and reads theirs (work, here, miss):
# shellcheck disable=SC2034,SC2154

# shellcheck source=bench/common.sh
. "$here/common.sh"

# dn_bench_baseline: sets BASELINE to the baseline program: DN_BENCH_BASELINE
# when set; else the one make built beside cmd/ ($DN_BIN/../bench/baseline);
# else one compiled from bench/baseline.c with ${CC:-cc} -O2 into $work
# (call it after dn_bench_workdir).
dn_bench_baseline() {
	if [[ -n ${DN_BENCH_BASELINE:-} ]]; then
		BASELINE=$DN_BENCH_BASELINE
		[[ -x $BASELINE ]] || die "DN_BENCH_BASELINE $BASELINE is not executable"
		return 0
	fi
	BASELINE=$DN_BIN/../bench/baseline
	[[ -x $BASELINE ]] && return 0
	BASELINE=$work/baseline
	echo "${0##*/}: no baseline in $DN_BIN/../bench: compiling $here/baseline.c" >&2
	# shellcheck disable=SC2086	# CC may carry flags, as make's does
	${CC:-cc} -O2 -o "$BASELINE" "$here/baseline.c" ||
	    die "cannot compile $here/baseline.c with ${CC:-cc}"
}

# dn_bench_pin: sets the arrays SPIN, RPIN and FPIN, the prefixes that run
# the client (sender), the server (receiver) and a feeder of the client's
# standard input, from DN_BENCH_PIN: "SCPU RCPU [FCPU]" (FCPU defaults to
# RCPU), none, or auto, the default: CPUs 0 and 1 (and 2 for the feeder
# when there is a third) with taskset and two CPUs or more. The one woken
# by the other's system call is otherwise moved onto the waker's CPU now
# and then (wake-affine), and such a run differs by tens of percent.
dn_bench_pin() {
	local pin=${DN_BENCH_PIN:-auto} n
	SPIN=() RPIN=() FPIN=()
	case $pin in
	none) return 0 ;;
	auto)
		n=$(nproc)
		if ! command -v taskset >/dev/null || (( n < 2 )); then
			echo "${0##*/}: no taskset or one CPU: client and server share the scheduler's choice" >&2
			return 0
		fi
		pin="0 1"
		(( n >= 3 )) && pin="0 1 2" ;;
	esac
	[[ $pin =~ ^([0-9]+)\ ([0-9]+)(\ ([0-9]+))?$ ]] ||
	    die "DN_BENCH_PIN must be 'SCPU RCPU [FCPU]' or none, not '$pin'"
	command -v taskset >/dev/null || die "DN_BENCH_PIN needs taskset(1)"
	SPIN=(taskset -c "${BASH_REMATCH[1]}")
	RPIN=(taskset -c "${BASH_REMATCH[2]}")
	FPIN=(taskset -c "${BASH_REMATCH[4]:-${BASH_REMATCH[2]}}")
}

# dn_bench_start NAME SSOPTS OUT ERRF ARGV...: runs ARGV in the background
# (stdin /dev/null, stdout OUT, stderr ERRF), tracked, and sets SPID to its
# PID and SPORT to the port it listens on: read from its own "NAME:
# listening on" line for dnlisten, dnudp and baseline, else from ss SSOPTS.
# Returns 1 when no port came within 5 s (SPID still runs: see
# dn_bench_nolisten).
dn_bench_start() {
	local name=$1 ssopts=$2 out=$3 errf=$4 how=ss
	shift 4
	"$@" </dev/null >"$out" 2>"$errf" &
	SPID=$!
	track "$SPID"
	case $name in dnlisten|dnudp|baseline) how=dualnet ;; esac
	SPORT=$(dn_bench_port "$name" "$ssopts" "$how" "$SPID" "$errf")
}

# dn_bench_reap PID SECS: waits at most SECS seconds for PID to end by
# itself, then stops it; returns 1 when it had to.
dn_bench_reap() {
	local pid=$1 i
	for ((i = 0; i < $2 * 100; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			return 0
		fi
		sleep 0.01
	done
	dn_bench_stop "$pid"
	return 1
}

# dn_bench_rounds SAMPLES FN ARG... -- ITEM...: RUNS rounds of FN ITEM
# ARG... for each ITEM in turn, so that drift in the machine hits every
# item alike; what FN prints is added to SAMPLES[ITEM] (an associative
# array), a line a round.
dn_bench_rounds() {
	local -n _samples=$1
	local fn=$2 r i args=()
	shift 2
	while (( $# > 0 )) && [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	shift
	for ((r = 0; r < RUNS; r++)); do
		for i in "$@"; do
			_samples[$i]+="$("$fn" "$i" "${args[@]}")"$'\n'
		done
	done
}

# dn_bench_socat ADDR: sets SV to 6 or 4, the family of ADDR as socat
# spells it in TCP6-LISTEN, UDP4-SENDTO..., and SH to ADDR as it goes in
# an address of socat's ([::1] for IPv6).
dn_bench_socat() {
	if [[ $1 == *:* ]]; then
		SV=6 SH="[$1]"
	else
		SV=4 SH=$1
	fi
}

# dn_bench_ratio A B: A/B with two decimals; n/a when either is empty or
# "fail", or B is 0.
dn_bench_ratio() {
	if [[ -z $1 || -z $2 || $1 == fail || $2 == fail ]]; then
		echo "n/a"
		return
	fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# dn_bench_end ERRF WHO: shows the first lines of ERRF, the standard error
# of WHO, when it is not empty; exits 1 when DN_BENCH_STRICT is 1 and a
# target was missed, else 0.
dn_bench_end() {
	if [[ -s $1 ]]; then
		printf '\nstderr of %s (first lines):\n' "$2"
		head -n 10 "$1"
	fi
	if [[ ${DN_BENCH_STRICT:-0} == 1 && $miss == 1 ]]; then
		exit 1
	fi
	exit 0
}
