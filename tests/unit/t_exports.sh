#!/bin/sh
# t_exports.sh - the library exports exactly lib/libdualnet.sym, and the
# list is exactly what lib/dualnet.h declares DN_EXPORT and what the Debian
# symbols file names (TAP). An export that slips in or out is an ABI
# change: it has to be made on purpose.

top=${DN_SRCDIR:-${srcdir:-$(dirname "$0")/../..}}
build=${DN_BUILDDIR:-.}
list=$top/lib/libdualnet.sym
debsyms=$top/debian/libdualnet1.symbols
header=$top/lib/dualnet.h
so=$build/lib/.libs/libdualnet.so

command -v nm >/dev/null 2>&1 || { echo "1..0 # SKIP no nm (binutils)"; exit 0; }
[ -r "$so" ] || { echo "1..0 # SKIP $so not built (make first)"; exit 0; }

name=t_exports
# shellcheck source=tests/unit/tap.sh
. "$top/tests/unit/tap.sh"
# lines of file $1 not in $2, as "a, b, c" (both sorted)
only_in() { comm -23 "$1" "$2" | tr '\n' ' ' | sed 's/ $//; s/ /, /g'; }

echo "1..5"
sort -u "$list" > "$dir/list"
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWiu]$/ { print $3 }' |
    sed 's/@.*//' | sort -u > "$dir/so"
# every DN_EXPORT declaration, joined up to its '(' (they span lines)
tr '\n' ' ' < "$header" | grep -o 'DN_EXPORT[^;(]*(' |
    grep -o 'dn_[a-z0-9_]*[[:space:]]*($' | tr -d ' (' | sort -u > "$dir/header"

extra=$(only_in "$dir/so" "$dir/list")
ok "$([ -z "$extra" ]; echo $?)" "no export beyond lib/libdualnet.sym${extra:+: $extra (add to the list, or keep it out of the library)}"
missing=$(only_in "$dir/list" "$dir/so")
ok "$([ -z "$missing" ]; echo $?)" "every listed symbol exported${missing:+: $missing missing (remove from the list: an ABI break)}"
undeclared=$(only_in "$dir/list" "$dir/header")
ok "$([ -z "$undeclared" ]; echo $?)" "every listed symbol declared DN_EXPORT in dualnet.h${undeclared:+: $undeclared}"
unlisted=$(only_in "$dir/header" "$dir/list")
ok "$([ -z "$unlisted" ]; echo $?)" "every DN_EXPORT of dualnet.h in the list${unlisted:+: $unlisted (add to lib/libdualnet.sym)}"
# the package's symbols file: a new export needs its line (and version)
sed -n 's/^ \(dn_[a-z0-9_]*\)@Base .*/\1/p' "$debsyms" 2>/dev/null | sort -u > "$dir/deb"
differ=$( { only_in "$dir/list" "$dir/deb"; only_in "$dir/deb" "$dir/list"; } | tr '\n' ' ')
ok "$([ -z "${differ% }" ]; echo $?)" "debian/libdualnet1.symbols names the list's symbols${differ:+: $differ differ (add a line with the first version that has it)}"
