#!/bin/sh
# t_manex.sh - the example programs of libdualnet(3), taken from the page
# itself, compiled against the built library and run (TAP): what a reader
# copies out of the manual must compile and work.
#
# An example is a literal display announced by a comment line, so that the
# page says which displays are programs and nothing is guessed:
#
#	.\" example: NAME		compiled and run: it must exit 0
#	.\" example: NAME compile-only	compiled (it needs a network or
#					arguments the test cannot give)
#	.Bd -literal
#	...C, with \e for a backslash...
#	.Ed
#
# Environment (make check sets it): DN_SRCDIR, DN_BUILDDIR; MANEX_CC and
# MANEX_CFLAGS, the build's compiler and CFLAGS; MANEX_DN_CFLAGS and
# MANEX_LDFLAGS, the build's DN_CFLAGS and DN_LDFLAGS, whose sanitizer
# options an example needs to load an ASan library.

top=${DN_SRCDIR:-$(dirname "$0")/../..}
build=${DN_BUILDDIR:-$top}
page=${MANEX_PAGE:-$top/man/libdualnet.3}
libdir=$build/lib/.libs
cc=${MANEX_CC:-cc}
secs=${MANEX_TIMEOUT:-30}

[ -r "$page" ] || { echo "Bail out! no $page: set DN_SRCDIR to the source tree"; exit 1; }
[ -e "$libdir/libdualnet.so" ] ||
	{ echo "Bail out! no $libdir/libdualnet.so: the examples link the shared library: run make (not --disable-shared)"; exit 1; }

# Only the sanitizer options of DN_CFLAGS: its warning options are the
# project's, and the examples are held to the plain -Wall -Wextra below.
san=
for f in ${MANEX_DN_CFLAGS:-}; do
	case $f in
	-fsanitize*|-fno-sanitize*|-fno-omit-frame-pointer) san="$san $f" ;;
	esac
done

dir=$(mktemp -d /tmp/t_manex.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT

# Writes each example to $dir/NAME.c and "NAME KIND" to $dir/list in page
# order, KIND being run, compile-only, or broken when its markup is wrong;
# each markup problem goes to $dir/errors as "LINE: what is wrong: the fix".
# The C is what the page shows once mdoc's escapes are undone: \e is a
# backslash, \& nothing, \- a minus; any other escape would show on the
# page as something else than what compiles.
: > "$dir/list"
awk -v dir="$dir" -v q="'" '
function problem(msg) { printf "%d: %s\n", NR, msg > (dir "/errors"); if (inside) broken = 1 }
function unescape(s,    out, i, c, n) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c != "\\") { out = out c; continue }
		c = substr(s, ++i, 1)
		if (c == "e") out = out "\\"
		else if (c == "-") out = out "-"
		else if (c != "&") {
			problem("\\" c " in example " name " is a roff escape: write \\e for a backslash")
			return ""
		}
	}
	return out
}
/^\.\\" example:/ {
	if (name != "") problem("example " name " has no .Ed before the next example")
	name = $3; kind = $4 == "" ? "run" : $4
	if (name !~ /^[a-z][a-z0-9_-]*$/) {
		problem("example name \"" name "\" is not [a-z][a-z0-9_-]*: name it like a C file"); name = ""; next
	}
	if (kind != "run" && kind != "compile-only" || NF > 4) {
		problem("example " name ": \"" $0 "\" has more than NAME [compile-only]"); name = ""; next
	}
	if (name in seen) { problem("example " name " is named twice: give each its own name"); name = ""; next }
	seen[name] = 1; want_bd = 1; next
}
want_bd {
	want_bd = 0
	if ($0 !~ /^\.Bd -literal/) {
		problem("example " name " is not followed by .Bd -literal: put the marker right above the display"); name = ""
	} else {
		inside = 1; broken = 0; file = dir "/" name ".c"; printf "" > file
	}
	next
}
inside && /^\.Ed/ {
	inside = 0; close(file)
	print name, broken ? "broken" : kind > (dir "/list"); name = ""; next
}
inside && (/^\./ || substr($0, 1, 1) == q) { problem("example " name ": a roff request inside C: start the line with \\&"); next }
inside { print unescape($0) > file; next }
# A program the test would never see: every C display must be marked.
/^\.Bd -literal/ { unmarked = NR; next }
unmarked && /^#include <dualnet\.h>/ {
	problem("a C program at line " unmarked " has no .\\\" example: NAME marker above it: add one"); unmarked = 0
}
/^\.Ed/ { unmarked = 0 }
END { if (name != "") problem("example " name " has no .Ed: end the display") }
' "$page"

n=0
fails=0
ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
# The file, each line behind "# ", at most 40 lines: enough to see why.
show() { sed -n '1,40s/^/# /p' "$1"; }

count=$(wc -l < "$dir/list" 2>/dev/null || echo 0)
[ ! -s "$dir/errors" ] && [ "$count" -gt 0 ]
ok $? "$count examples marked in ${page##*/}"
[ -s "$dir/errors" ] && sed "s|^|# ${page##*/}:|" "$dir/errors"

while read -r name kind; do
	if [ "$kind" = broken ]; then
		ok 1 "example $name: its markup is wrong (see the first test)"
		continue
	fi
	# -std=c99: a reader's compiler may be older or stricter than ours.
	# shellcheck disable=SC2086 # flag lists split on purpose
	if ! $cc ${MANEX_CFLAGS:-} $san -std=c99 -Wall -Wextra -Werror \
	    -I"$top/lib" -o "$dir/$name" "$dir/$name.c" \
	    -L"$libdir" -Wl,-rpath,"$libdir" -ldualnet ${MANEX_LDFLAGS:-} \
	    > "$dir/$name.cc" 2>&1; then
		ok 1 "example $name compiles"
		show "$dir/$name.cc"
		continue
	fi
	if [ "$kind" = compile-only ]; then
		ok 0 "example $name compiles (not run: it needs a network or arguments)"
		continue
	fi
	timeout -k 2 "$secs" "$dir/$name" < /dev/null > "$dir/$name.out" 2>&1
	st=$?
	case $st in
	0) ok 0 "example $name compiles and exits 0" ;;
	124|137) ok 1 "example $name compiles, and was still running after ${secs}s"; show "$dir/$name.out" ;;
	*) ok 1 "example $name compiles, and exits $st"; show "$dir/$name.out" ;;
	esac
done < "$dir/list"

echo "1..$n"
[ $fails -eq 0 ]
