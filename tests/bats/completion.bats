#!/usr/bin/env bats
# completion.bats - cmd/completion/dualnet.bash, driven as bash drives it:
# COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD set, _dualnet called,
# COMPREPLY read. The options must be the programs' own (their --help), the
# values those the man pages list, and the interfaces this machine's.

load helpers

setup() {
	dn_require_programs
	PATH=$DN_BIN:$PATH
	# shellcheck source=cmd/completion/dualnet.bash
	. "$repo/cmd/completion/dualnet.bash"
}

# comp LINE: the candidates for LINE with the cursor at its end, one a
# line in $output, as bash would show them (the word's part before its
# last ':' or '=' put back).
comp() {
	local line=$1 cur w
	COMP_LINE=$line COMP_POINT=${#line}
	read -r -a COMP_WORDS <<< "$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_dualnet "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
	    "${COMP_WORDS[COMP_CWORD - 1]}"
	cur=${line##* }
	output=
	for w in "${COMPREPLY[@]}"; do
		output+="${cur%"${cur##*[:=]}"}$w"$'\n'
	done
	output=${output%$'\n'}
}

# has WORD...: each WORD is a candidate.
has() {
	local w
	for w; do
		grep -qxF -- "$w" <<< "$output" || { echo "no '$w' in: $output" >&2; return 1; }
	done
}

# synopsis_opts PROG: the options PROG's usage lines name: -46hqv as
# -4 -6 -h -q -v, and every -x or --long in brackets.
synopsis_opts() {
	"$1" --help | sed -n '1,/^$/p' | grep -oE '\[-[-a-zA-Z0-9]+' |
	    while read -r o; do
		o=${o#[}
		if [[ $o == --* ]]; then
			echo "$o"
		else
			o=${o#-}
			while [ -n "$o" ]; do
				echo "-${o:0:1}"
				o=${o:1}
			done
		fi
	done | sort -u
}

@test "every option of the usage lines is completed, for each program" {
	local p o
	for p in dnconnect dnlisten dnudp dnmcast; do
		comp "$p -"
		[ -n "$output" ]
		for o in $(synopsis_opts "$p"); do
			has "$o" || { echo "$p: $o missing" >&2; return 1; }
		done
		# and what is completed is an option of that --help
		for o in $output; do
			"$p" --help | grep -qE -- "(^|[ ,[])$o([] ,]|$)" ||
			    { echo "$p: $o is not in --help" >&2; return 1; }
		done
	done
}

@test "the long options of the option lists too, --version and --help" {
	comp "dnconnect --"
	has --race --order --delay --resolution-delay --attempt-timeout \
	    --max-concurrent --first-family-count --resolver --dns-server \
	    --plan --nat64 --nat64-prefix --flow-label --json --help --version
	comp "dnlisten --"
	has --all-interfaces --allow-file --deny-file --max-conns --once \
	    --skip-unavailable --dual-stack --v6only --backlog
	comp "dnmcast --"
	has --source --hops --loop --no-loop
}

# lacks WORD...: no WORD is a candidate.
lacks() {
	local w
	for w; do
		! grep -qxF -- "$w" <<< "$output" || { echo "'$w' in: $output" >&2; return 1; }
	done
}

@test "a mode's own options: dnmcast send and recv, dnudp -l" {
	comp "dnmcast send -"
	has -b --hops --loop --no-loop --count --json -I --help --version
	lacks --source --from --hex --max-size -w
	comp "dnmcast -I lo recv --"
	has --source --from --hex --max-size --count --json
	lacks --hops --loop --no-loop
	comp "dnudp -v -l -"
	has --echo --allow --deny-file --all-interfaces --skip-unavailable -w --v6only
	lacks -b --connect --flow-label --nat64 --nat64-prefix -l
	# no mode word yet, or a description first: every option
	comp "dnmcast --"
	has --source --hops
	comp "dnmcast multicast:ff02::1:5 --"
	has --source --hops
	comp "dnudp -"
	has -l --nat64 --echo
}

@test "an option's value is not completed as an option" {
	comp "dnconnect -w "
	[ -z "$output" ]
	comp "dnconnect -b "
	[ -z "$output" ]
}

@test "values: --race, --order, --resolver, --nat64" {
	comp "dnconnect --race "
	[ "$output" = $'staggered\nconcurrent\nserial' ]
	comp "dnconnect --order v"
	[ "$output" = $'v6-first\nv4-first' ]
	comp "dnconnect --resolver "
	[ "$output" = $'ares\nsystem' ]
	comp "dnudp --nat64 a"
	[ "$output" = $'auto\nalways' ]
}

@test "values after --OPTION= too, as getopt_long takes them" {
	comp "dnconnect --race="
	[ "$output" = $'--race=staggered\n--race=concurrent\n--race=serial' ]
	comp "dnconnect --order=v4"
	[ "$output" = "--order=v4-first" ]
	comp "dnudp -v --nat64=o"
	[ "$output" = "--nat64=off" ]
	comp "dnlisten --allow-file=$BATS_TEST_DIRNAME/completion.b"
	[ "$output" = "--allow-file=$BATS_TEST_DIRNAME/completion.bats" ]
	comp "dnconnect --json="
	[ -z "$output" ]
	comp "dnconnect --flow-label=1"
	[ -z "$output" ]
}

# The interfaces as the kernel lists them, here.
ifaces() {
	local i
	for i in /sys/class/net/*; do
		echo "${i##*/}"
	done | sort
}

@test "-I: this machine's interfaces" {
	comp "dnconnect -I "
	[ "$(sort <<< "$output")" = "$(ifaces)" ]
	has lo
	comp "dnudp -I l"
	has lo
}

@test "an address's scope: fe80::1% offers every interface" {
	comp "dnconnect fe80::1%"
	[ "$(sort <<< "$output")" = "$(ifaces | sed 's/^/fe80::1%/')" ]
	has fe80::1%lo
	comp "dnconnect [fe80::1%l"
	has "[fe80::1%lo"
	comp "dnconnect -b fe80::a%l fe80::1%l"
	has fe80::1%lo
}

@test "description types after TYPE:, per program" {
	comp "dnconnect h"
	[ "$output" = hostname: ]
	comp "dnconnect t"
	[ "$output" = $'tcp:\ntcp6:' ]
	comp "dnlisten a"
	[ "$output" = all: ]
	comp "dnudp u"
	[ "$output" = $'udp:\nudp6:\nudp-all:' ]
	comp "dnudp m"
	[ "$output" = multicast: ]
	comp "dnmcast "
	has recv send multicast:
}

@test "description keys and their values" {
	comp "dnconnect hostname:host=example.test:port=80:ra"
	[ "$output" = "hostname:host=example.test:port=80:race=" ]
	comp "dnconnect hostname:host=h:port=1:race=s"
	[ "$output" = $'hostname:host=h:port=1:race=staggered\nhostname:host=h:port=1:race=serial' ]
	comp "dnconnect hostname:host=h:port=1:nat64="
	[ "$output" = $'hostname:host=h:port=1:nat64=auto\nhostname:host=h:port=1:nat64=off\nhostname:host=h:port=1:nat64=always' ]
	comp "dnlisten all:80:interface=l"
	has all:80:interface=lo
	comp "dnmcast send multicast:ff02::1:9:lo"
	has multicast:ff02::1:9:loop=
}

# PROG|DESCRIPTION-START: the keys offered after the start are the ones the
# program's parser names when given an unknown key.
KEYED=(
	"dnconnect|tcp:host=h:port=1"
	"dnconnect|tcp6:host=h:port=1"
	"dnconnect|hostname:host=h:port=1"
	"dnlisten|tcp:port=1"
	"dnlisten|tcp6:port=1"
	"dnlisten|all:port=1"
	"dnudp|udp:host=h:port=1"
	"dnudp|udp6:host=h:port=1"
	"dnudp|udp-all:port=1"
	"dnmcast|multicast:ff02::1:9"
)

@test "description keys: those the parsers know, for every type" {
	local e p d known offered
	for e in "${KEYED[@]}"; do
		p=${e%%|*} d=${e#*|}
		known=$("$p" "$d:bogus=1" 2>&1 | sed -n 's/.*known: //p' |
		    tr -d ' ' | tr , '\n' | sort)
		[ -n "$known" ] || { echo "$p $d: no 'known:' list" >&2; return 1; }
		comp "$p $d:"
		offered=$(sed -e "s/^$d://" -e 's/=$//' <<< "$output" | sort)
		[ "$offered" = "$known" ] ||
		    { echo "$p $d: offered '$offered', parser knows '$known'" >&2; return 1; }
	done
}

@test "-e completes commands, --allow-file files" {
	comp "dnlisten -e ech"
	has echo
	[ "$(grep -c . <<< "$output")" = "$(sort -u <<< "$output" | grep -c .)" ]
	touch "$BATS_TEST_TMPDIR/acl.txt"
	comp "dnlisten --allow-file $BATS_TEST_TMPDIR/acl"
	has "$BATS_TEST_TMPDIR/acl.txt"
}

@test "bash-completion's loader finds it under each program's name" {
	local d=$DN_BUILDDIR/_inst_completion
	rm -rf "$d"
	make -s -C "$DN_BUILDDIR" install-data-local DESTDIR="$d" > /dev/null
	local dir
	dir=$(find "$d" -type d -name completions)
	[ -f "$dir/dnconnect" ]
	for p in dnlisten dnudp dnmcast; do
		[ "$(readlink "$dir/$p")" = dnconnect ]
	done
	run bash -c ". '$dir/dnudp'; complete -p dnudp"
	[ "$output" = "complete -F _dualnet dnudp" ]
	rm -rf "$d"
}
