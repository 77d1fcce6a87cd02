#!/bin/sh
# t_abi.sh - the library's ABI against the baseline in tests/abi (TAP).
# The ABI moves only with the libtool version in configure.ac: any change
# abidiff sees (exit bit 4: additions, and also layouts it cannot judge)
# needs CURRENT raised; an incompatible one (bit 8) also AGE set to 0, as
# libtool's rules ask. Then tests/abi/update writes the new baseline.

top=${DN_SRCDIR:-${srcdir:-$(dirname "$0")/../..}}
build=${DN_BUILDDIR:-.}
so=$build/lib/.libs/libdualnet.so
base=$top/tests/abi/libdualnet.abi

command -v abidiff >/dev/null 2>&1 || { echo "1..0 # SKIP abidiff not installed (abigail-tools)"; exit 0; }
[ -r "$so" ] || { echo "1..0 # SKIP $so not built (make first)"; exit 0; }

dir=$(mktemp -d /tmp/t_abi.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
echo "1..4"
now=$(sed -n 's/^DN_LT_VERSION = *//p' "$build/Makefile")
was=$(cat "$top/tests/abi/version" 2>/dev/null)
"$top/tests/abi/dump" "$so" "$dir/now.abi" > "$dir/abidw.log" 2>&1
st=$?
if [ $st -eq 0 ]; then echo "ok 1 - abidw read $so"; else
	echo "not ok 1 - abidw read $so"; sed 's/^/# /' "$dir/abidw.log"; fi
[ -r "$base" ] && [ -n "$was" ]
if [ $? -eq 0 ]; then echo "ok 2 - baseline at libtool version $was"; else
	echo "not ok 2 - no baseline in tests/abi: run tests/abi/update $build"; fi
abidiff "$base" "$dir/now.abi" > "$dir/diff" 2>&1
st=$?
cur_now=${now%%:*} cur_was=${was%%:*} age_now=${now##*:}
if [ $st -eq 0 ]; then
	echo "ok 3 - ABI unchanged since the baseline ($was)"
elif [ $((st & 3)) -ne 0 ]; then
	echo "not ok 3 - abidiff failed (exit $st)"
	sed 's/^/# /' "$dir/diff" | head -n 20
elif ! [ "$cur_now" -gt "$cur_was" ] 2>/dev/null; then
	echo "not ok 3 - the ABI changed but DN_LT_VERSION did not ($now, baseline $was): raise CURRENT in configure.ac (and AGE for additions only, else set it 0), or keep the ABI"
	sed 's/^/# /' "$dir/diff" | head -n 60
elif [ $((st & 8)) -ne 0 ] && [ "$age_now" != 0 ]; then
	echo "not ok 3 - incompatible ABI change with AGE $age_now in DN_LT_VERSION $now: set AGE to 0"
	sed 's/^/# /' "$dir/diff" | head -n 60
else
	echo "ok 3 - the ABI changed and DN_LT_VERSION $was -> $now says so: run tests/abi/update and commit the baseline"
	sed 's/^/# /' "$dir/diff" | head -n 30
fi
# an opaque handle's members (dn_connect_req's) are not the ABI: a
# private field added or dropped must not ask for a new version
if grep -q "name='ext_cancel_now'" "$dir/now.abi" "$base"; then
	echo "not ok 4 - the ABI dump holds dn_connect_req's private members: dump with the public header only (tests/abi/dump)"
else
	echo "ok 4 - opaque handles are opaque in the ABI dump and the baseline"
fi
