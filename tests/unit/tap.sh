# tap.sh - sourced by the shell TAP tests: a scratch directory $dir
# (removed at exit) and ok/diag. Set $name before sourcing.

dir=$(mktemp -d "/tmp/$name.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
n=0
ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
# diag FILE: its lines as TAP comments
diag() { sed 's/^/# /' "$1"; }
