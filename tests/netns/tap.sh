# tap.sh - TAP output and preconditions shared by the tests/netns tests.
# Source it right after setting HERE; the counters n and failed are the
# test's own.
# shellcheck shell=bash

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"; shift
	local l
	for l in "$@"; do echo "# $l"; done
}
is() {
	if [ "$2" = "$3" ]; then ok "$1"
	else not_ok "$1" "got:      '$2'" "expected: '$3'"; fi
}
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d" "failed: $*"; fi; }
diag() { echo "# $*"; }

# tap_require TOOL...: skip the whole test ("1..0 # SKIP") unless root
# with every tool present.
tap_require() {
	local t
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root (network namespaces)"; exit 0
	fi
	for t in "$@"; do
		command -v "$t" >/dev/null ||
		    { echo "1..0 # SKIP $t not installed"; exit 0; }
	done
}

# tap_require_bins BUILD_DIR: skip unless shipwormd and shipworm are built
# there; sets LAB_BIN for lab.sh.
tap_require_bins() {
	if ! [ -x "$1/shipwormd" ] || ! [ -x "$1/shipworm" ]; then
		echo "1..0 # SKIP no $1/shipwormd or $1/shipworm (run make)"; exit 0
	fi
	LAB_BIN=$(cd "$1" && pwd)
}

# On failure, show the daemons' logs (call from the EXIT trap, before
# lab_cleanup removes them).
show_logs() {
	local f
	[ "$failed" -gt 0 ] || return 0
	for f in "$LAB_DIR"/*.log; do
		[ -f "$f" ] || continue
		echo "# ---- ${f##*/} (last 15 lines)"
		tail -15 "$f" | sed 's/^/#   /'
	done
}

# tap_lab_end - end the lab (lab_cleanup) and check that no namespace or
# process of it is left: 1 check.
tap_lab_end() {
	local pids ns prefix=$LAB_PREFIX
	pids=("${LAB_PIDS[@]}")
	for ns in "${LAB_NS[@]}"; do
		mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null)
	done
	lab_cleanup
	is "cleanup: no namespace or process left (${#pids[@]} PIDs checked)" \
	    "$(lab_leftovers "$prefix" "${pids[@]}" | tr '\n' ' ')" ""
}

# tap_lab_closing - tap_lab_end, then its temp dir and the root
# namespace's links: 3 checks.  Needs ROOT_LINKS (the root namespace's
# links, sorted, from before the lab).
tap_lab_closing() {
	local labdir=$LAB_DIR

	tap_lab_end
	is "cleanup: temp dir gone" "$(ls -d "$labdir" 2>/dev/null)" ""
	is "cleanup: root namespace links unchanged" \
	    "$(ip -o link show | awk -F': ' '{print $2}' | sort)" "$ROOT_LINKS"
}
