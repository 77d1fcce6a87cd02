#!/bin/sh
# t_consumer.sh - a program built against the *installed* library, as a
# user of the packages would build one: `make install` into a throwaway
# root, then tests/consumer/consumer.c compiled with nothing but what
# `pkg-config --cflags --libs libdualnet` (and --static) says, and run
# (TAP). The flags must be -I and -L/-l only: a consumer's own headers
# must not be replaced (the libbsd overlay once did that).

top=${DN_SRCDIR:-${srcdir:-$(dirname "$0")/../..}}
build=${DN_BUILDDIR:-.}
cc=${DN_CC:-cc}
# the build's own warnings (and sanitizers, which the library needs too)
cflags=${DN_CONSUMER_CFLAGS:-}

command -v pkg-config >/dev/null 2>&1 || { echo "1..0 # SKIP no pkg-config"; exit 0; }
[ -f "$build/Makefile" ] || { echo "1..0 # SKIP no build in $build"; exit 0; }

name=t_consumer
# shellcheck source=tests/unit/tap.sh
. "$top/tests/unit/tap.sh"

echo "1..7"
# the check's own make must not hand its jobserver to this one
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$build" install \
    DESTDIR="$dir/root" > "$dir/install.log" 2>&1
st=$?
ok $st "make install DESTDIR=... (the library, header, .pc)"
[ $st -eq 0 ] || diag "$dir/install.log"
pc=$(find "$dir/root" -name libdualnet.pc | head -n 1)
ok "$([ -n "$pc" ]; echo $?)" "libdualnet.pc installed${pc:+ in ${pc#"$dir/root"}}"
PKG_CONFIG_PATH=$(dirname "${pc:-/nonexistent/x}")
PKG_CONFIG_SYSROOT_DIR=$dir/root
PKG_CONFIG_LIBDIR=$PKG_CONFIG_PATH
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR

pcf=$(pkg-config --cflags libdualnet 2>"$dir/pc.err")
bad=
for f in $pcf; do
	case $f in -I*) ;; *) bad="$bad $f" ;; esac
done
ok "$([ -n "$pcf" ] && [ -z "$bad" ]; echo $?)" "pkg-config --cflags is -I only ('$pcf')${bad:+: drop$bad}"

libs=$(pkg-config --libs libdualnet)
# where the .pc was installed is $libdir/pkgconfig (inside the root)
libdir=$(dirname "$PKG_CONFIG_PATH")
# shellcheck disable=SC2086 # the flags are words
$cc $cflags $pcf -o "$dir/consumer" "$top/tests/consumer/consumer.c" \
    $libs > "$dir/cc.log" 2>&1
st=$?
ok $st "consumer.c builds with pkg-config --cflags --libs"
[ $st -eq 0 ] || diag "$dir/cc.log"
LD_LIBRARY_PATH=$libdir timeout 20 "$dir/consumer" > "$dir/run.log" 2>&1
st=$?
ok $st "and runs against the installed libdualnet.so: $(head -n 1 "$dir/run.log")"
[ $st -eq 0 ] || diag "$dir/run.log"

# --static: the archive, and Libs.private for what it needs
if [ ! -f "$libdir/libdualnet.a" ]; then
	ok 0 "# SKIP --static: no libdualnet.a installed (configured --disable-static)"
	ok 0 "# SKIP --static: nothing to run"
	exit 0
fi
slibs=$(pkg-config --static --libs libdualnet)
# shellcheck disable=SC2086
$cc $cflags $pcf -o "$dir/consumer-static" "$top/tests/consumer/consumer.c" \
    -Wl,-Bstatic -ldualnet -Wl,-Bdynamic $(echo " $slibs " | sed 's/ -ldualnet / /') \
    > "$dir/cc-static.log" 2>&1
st=$?
ok $st "consumer.c builds against libdualnet.a with pkg-config --static --libs"
[ $st -eq 0 ] || diag "$dir/cc-static.log"
timeout 20 "$dir/consumer-static" > "$dir/run-static.log" 2>&1
st=$?
ok $st "and runs with no libdualnet.so to find: $(head -n 1 "$dir/run-static.log")"
[ $st -eq 0 ] || diag "$dir/run-static.log"
