# dualnet.bash - bash completion for dnconnect, dnlisten, dnudp and dnmcast.
#
# Installed as completions/dnconnect (the others link to it), where
# bash-completion loads it the first time one of them is completed; or
# source it from a build tree: . cmd/completion/dualnet.bash
#
# The options come from the program's own --help, read once per shell: an
# option the program gains is completed without a change here, and one
# followed by a word in capitals there (-b ADDR, --race MODE) takes a
# value; after a mode word (dnmcast send, dnudp -l) only the options of
# that mode's usage line. Values: the modes of --race, --order,
# --resolver and --nat64 (and of the description keys of those names);
# interface names for -I and after % in an address (fe80::1%<Tab>);
# commands for -e; files for --allow-file and --deny-file; description
# types and their keys (dualnet-addresses(7)) for the operand.
#
# It needs no bash-completion functions: the word under the cursor is
# taken whole from COMP_LINE, since ':' and '=' split words for bash.

# _dualnet_help CMD: sets _dn_flags and _dn_valued (space-separated,
# padded with spaces) from CMD --help, once per program.
_dualnet_help()
{
	local cmd=$1 var=_dn_help_${1##*/} line tok prev flags='' valued=''
	var=${var//[^a-zA-Z_]/}
	if [[ -n ${!var-} ]]; then
		_dn_flags=${!var%%|*} _dn_valued=${!var#*|}
		return
	fi
	while IFS= read -r line; do
		# option lines: "  -b ADDR  text", "  -4, -6  text"
		[[ $line =~ ^\ +- ]] || continue
		line=${line#"${line%%[! ]*}"}
		line=${line%%  [! ]*}	# up to the two spaces before the text
		line=${line//,/ }
		prev=
		for tok in $line; do
			if [[ $tok =~ ^--?[a-zA-Z0-9][-a-zA-Z0-9]*$ ]]; then
				if [[ -n $prev ]]; then
					flags+=" $prev"
				fi
				prev=$tok
			elif [[ -n $prev && $tok =~ ^[A-Z][A-Z/]*$ ]]; then
				valued+=" $prev"
				prev=
			fi
		done
		if [[ -n $prev ]]; then
			flags+=" $prev"
		fi
	done < <(command "$cmd" --help 2>/dev/null)
	_dn_flags="$flags " _dn_valued="$valued "
	printf -v "$var" '%s|%s' "$_dn_flags" "$_dn_valued"
}

# _dualnet_mode_opts CMD MODE: the options of CMD's usage lines for MODE
# (dnmcast recv or send, dnudp -l): a usage line whose first word after the
# program is MODE and the lines under it; --help and --version go with all.
_dualnet_mode_opts()
{
	local prog=${1##*/} mode=$2 line rest='' on=0 tok
	while IFS= read -r line; do
		[[ -z $line ]] && break
		if [[ $line =~ ^(usage:)?\ +$prog\ +([^ ]+)(.*)$ ]]; then
			on=0
			[[ ${BASH_REMATCH[2]} == "$mode" ]] && on=1
			line=${BASH_REMATCH[3]}
		fi
		(( on )) && rest+=" $line"
	done < <(command "$1" --help 2>/dev/null)
	printf '%s\n' --help --version
	for tok in ${rest//[][|]/ }; do
		if [[ $tok =~ ^--[a-zA-Z0-9][-a-zA-Z0-9]*$ ]]; then
			echo "$tok"
		elif [[ $tok =~ ^-[a-zA-Z0-9]+$ ]]; then
			tok=${tok#-}
			while [[ -n $tok ]]; do
				echo "-${tok:0:1}"
				tok=${tok:1}
			done
		fi
	done
}

# _dualnet_mode PROG WORD...: the mode the words so far chose, or nothing:
# dnmcast's recv or send (its first operand), dnudp's -l.
_dualnet_mode()
{
	local prog=$1 w skip=0
	shift
	for w; do
		if (( skip )); then
			skip=0
			continue
		fi
		case $prog:$w in
		dnmcast:recv|dnmcast:send|dnudp:-l) echo "$w"; return ;;
		*:-*) [[ $_dn_valued == *" $w "* ]] && skip=1 ;;
		dnmcast:*) return ;;	# a description first: no mode word
		esac
	done
}

# _dualnet_ifaces: the machine's interface names.
_dualnet_ifaces()
{
	local i
	for i in /sys/class/net/*; do
		if [[ -e $i ]]; then
			printf '%s\n' "${i##*/}"
		fi
	done
}

# _dualnet_reply CUR WORD...: the words starting with CUR, cut as bash
# wants them: after the last ':' or '=' of CUR (its word breaks).
_dualnet_reply()
{
	local cur=$1 pre w
	shift
	pre=${cur%"${cur##*[:=]}"}
	COMPREPLY=()
	for w in "$@"; do
		if [[ $w == "$cur"* ]]; then
			COMPREPLY+=("${w#"$pre"}")
		fi
	done
}

# _dualnet_nospace: a type or key (ending in ':' or '=') takes no space
# after it. compopt fails outside a completion (a test): no matter.
_dualnet_nospace()
{
	if (( ${#COMPREPLY[@]} > 0 )); then
		compopt -o nospace 2>/dev/null || :
	fi
}

# _dualnet_types PROG: the description types PROG takes.
_dualnet_types()
{
	case $1 in
	dnconnect) echo "tcp: tcp6: hostname:" ;;
	dnlisten)  echo "tcp: tcp6: all:" ;;
	dnudp)     echo "udp: udp6: udp-all: multicast:" ;;
	dnmcast)   echo "multicast:" ;;
	esac
}

# _dualnet_desc PROG CUR: completes a description: its type, then a key
# of that type, then the values of keys that have a few.
_dualnet_desc()
{
	local prog=$1 cur=$2 type keys w k v vals=() words=()
	if [[ $cur != *:* ]]; then
		# shellcheck disable=SC2046	# a list of words
		_dualnet_reply "$cur" $(_dualnet_types "$prog")
		_dualnet_nospace
		return
	fi
	type=${cur%%:*}
	case $prog:$type in
	dnconnect:tcp|dnconnect:tcp6)
		keys="host= port= timeout= bindAddress=" ;;
	dnconnect:hostname)
		keys="host= port= race= order= delay= resolution-delay= family=
		    timeout= attempt-timeout= max-concurrent= first-family-count=
		    resolver= bindAddress= bind4= bind6= nat64= nat64-prefix=" ;;
	dnlisten:tcp)   keys="port= interface= backlog=" ;;
	dnlisten:tcp6)  keys="port= interface= v6only= backlog=" ;;
	dnlisten:all)
		keys="port= interface= exclude= family= scope= follow=
		    skip-unavailable= backlog=" ;;
	dnudp:udp-all)
		keys="port= interface= exclude= family= scope= follow=
		    skip-unavailable=" ;;
	dnudp:udp|dnudp:udp6)
		keys="host= port= bindAddress= interface= v6only=" ;;
	dnudp:multicast|dnmcast:multicast)
		keys="group= port= interface= source= hops= loop=" ;;
	*) return ;;
	esac
	w=${cur##*:}
	if [[ $w == *=* ]]; then
		k=${w%%=*} v=${w#*=}
		case $k in
		race|order|resolver|nat64)
			read -r -a vals <<< "$(_dualnet_modes "$k")" ;;
		family) vals=(any v4 v6) ;;
		scope)  vals=(loopback link global) ;;
		v6only|follow|skip-unavailable|loop) vals=(yes no) ;;
		interface|exclude) mapfile -t vals < <(_dualnet_ifaces) ;;
		*) return ;;
		esac
		for v in "${vals[@]}"; do
			words+=("${cur%=*}=$v")
		done
		_dualnet_reply "$cur" "${words[@]}"
		return
	fi
	for k in $keys; do
		words+=("${cur%:*}:$k")
	done
	_dualnet_reply "$cur" "${words[@]}"
	_dualnet_nospace
}

# _dualnet_modes NAME: the values of race, order, resolver or nat64, as
# an option (--race) or a description key (race=).
_dualnet_modes()
{
	case $1 in
	race)     echo staggered concurrent serial ;;
	order)    echo interleave v6-first v4-first resolver ;;
	resolver) echo ares system ;;
	nat64)    echo auto off always ;;
	esac
}

# _dualnet_values OPT ARG: the values of OPT that start with ARG.
_dualnet_values()
{
	local arg=$2 vals=()
	case $1 in
	--race|--order|--resolver|--nat64)
		    read -r -a vals <<< "$(_dualnet_modes "${1#--}")" ;;
	-I)         mapfile -t vals < <(_dualnet_ifaces) ;;
	-e)         mapfile -t COMPREPLY < <(compgen -c -- "$arg" | sort -u)
		    return ;;
	--allow-file|--deny-file)
		    mapfile -t COMPREPLY < <(compgen -f -- "$arg")
		    return ;;
	esac
	_dualnet_reply "$arg" "${vals[@]}"
}

_dualnet()
{
	local prog=${1##*/} line cur prev i words=()
	line=${COMP_LINE:0:COMP_POINT}
	cur=${line##*[[:space:]]}
	prev=${COMP_WORDS[COMP_CWORD-1]-}
	# prev as bash split it may be a piece of a word: take it whole too
	read -r -a words <<< "${line%"$cur"}"
	if (( ${#words[@]} )); then
		prev=${words[-1]}
	fi
	_dualnet_help "$1"
	COMPREPLY=()

	# the value of the option before, or after its '=' (getopt_long
	# takes --race=serial as --race serial)
	if [[ $prev == -* && $_dn_valued == *" $prev "* ]]; then
		_dualnet_values "$prev" "$cur"
		return
	fi
	if [[ $cur == --*=* ]]; then
		if [[ $_dn_valued == *" ${cur%%=*} "* ]]; then
			_dualnet_values "${cur%%=*}" "${cur#*=}"
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		local mode all=() keep=() o
		read -r -a all <<< "$_dn_flags $_dn_valued"
		# dnmcast send --<Tab> offers what send takes, not --source
		mode=$(_dualnet_mode "$prog" "${words[@]:1}")
		if [[ -n $mode ]]; then
			mapfile -t words < <(_dualnet_mode_opts "$1" "$mode")
			for o in "${all[@]}"; do
				if [[ " ${words[*]} " == *" $o "* ]]; then
					keep+=("$o")
				fi
			done
			all=("${keep[@]}")
		fi
		_dualnet_reply "$cur" "${all[@]}"
		return
	fi
	# an interface after % in an address: fe80::1%, [fe80::1%
	if [[ $cur == *%* && ${cur##*%} != *[]:,]* ]]; then
		local ifs=()
		while IFS= read -r i; do
			ifs+=("${cur%\%*}%$i")
		done < <(_dualnet_ifaces)
		_dualnet_reply "$cur" "${ifs[@]}"
		return
	fi
	# dnmcast's first operand
	if [[ $prog == dnmcast ]]; then
		local n=0
		for i in "${words[@]:1}"; do
			[[ $i == -* ]] || n=$((n + 1))
		done
		if (( n == 0 )) && [[ recv == "$cur"* || send == "$cur"* ]]; then
			_dualnet_reply "$cur" recv send
			[[ $cur == *:* ]] || {
				local keep=("${COMPREPLY[@]}")
				_dualnet_desc "$prog" "$cur"
				COMPREPLY=("${keep[@]}" "${COMPREPLY[@]}")
			}
			return
		fi
	fi
	_dualnet_desc "$prog" "$cur"
}

complete -F _dualnet dnconnect dnlisten dnudp dnmcast
