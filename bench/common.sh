# common.sh - sourced by the bench/ scripts.

# dn_bench_programs DIR PROG...: sets DN_BENCH_<PROG> to the program to time.
# In a build tree DIR/PROG is libtool's wrapper, a shell script that sets up
# the library path and execs DIR/.libs/PROG: some 10 ms a call, which would
# swamp a one-shot measurement. Time the real program, as an installed one
# runs, with the uninstalled library on LD_LIBRARY_PATH.
dn_bench_programs() {
	local dir=$1 p
	shift
	for p in "$@"; do
		if [[ -x $dir/.libs/$p && -d $dir/../lib/.libs ]]; then
			printf -v "DN_BENCH_$p" '%s' "$dir/.libs/$p"
			case ":${LD_LIBRARY_PATH:-}:" in
			*":$dir/../lib/.libs:"*) ;;
			*) export LD_LIBRARY_PATH=$dir/../lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;;
			esac
		else
			printf -v "DN_BENCH_$p" '%s' "$dir/$p"
		fi
	done
}
