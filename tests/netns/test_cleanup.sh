#!/usr/bin/env bash
# tests/netns/test_cleanup.sh BUILD_DIR - a lab run that fails midway (on
# purpose, in a subshell: by exit, by set -e, by SIGTERM and by SIGINT)
# leaves no namespace, process, nftables table or temp dir behind.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"

tap_require ip nft tshark

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"


STATE=$(mktemp -d "${TMPDIR:-/tmp}/shipworm-cleanup.XXXXXX")
trap 'rm -rf "$STATE"' EXIT
ROOT_TABLES=$(nft list tables 2>/dev/null)

# build PREFIX STATEFILE - a small lab with processes, a grandchild and a
# capture; the state file gets the prefix, temp dir and every PID.
build() {
	lab_init "$1"
	lab_wan
	lab_server srv
	lab_nat nat1 port-restricted 198.51.100.1 10.1.0.0/24
	lab_client cl1 nat1
	lab_run srv sleep 1000
	lab_run cl1 sh -c 'sleep 1000 & echo $! >"$0"; wait' "$LAB_DIR/grandchild"
	lab_capture wan br0 "$LAB_DIR/cap.pcapng"
	wait_for 5 test -s "$LAB_DIR/grandchild"
	{
		echo "prefix $LAB_PREFIX"
		echo "dir $LAB_DIR"
		echo "pids ${LAB_PIDS[*]} $(cat "$LAB_DIR/grandchild")"
	} >"$2"
	# sanity: the lab is really there
	[ "$(ip netns list | grep -c "^$1-")" -eq 4 ] || echo "broken" >>"$2"
}

# verify NAME STATEFILE - the run recorded in STATEFILE left nothing.
verify() {
	local name=$1 st=$2 prefix dir pids
	if ! [ -s "$st" ] || grep -q broken "$st"; then
		not_ok "$name: the lab was built" "state: $(cat "$st" 2>/dev/null)"
		return
	fi
	prefix=$(awk '$1 == "prefix" {print $2}' "$st")
	dir=$(awk '$1 == "dir" {print $2}' "$st")
	read -r -a pids <<<"$(awk '$1 == "pids" {$1 = ""; print}' "$st")"
	is "$name: no namespace or process left (${#pids[@]} processes)" \
	    "$(lab_leftovers "$prefix" "${pids[@]}" | tr '\n' ' ')" ""
	is "$name: temp dir removed" "$(test -e "$dir" && echo "$dir")" ""
}

echo "1..11"

# 1. exit 1 midway
( build "swc$$a" "$STATE/a"; exit 1; echo "not reached" ) >"$STATE/a.out" 2>&1
is "exit midway: the subshell failed" "$?" 1
verify "exit midway" "$STATE/a"

# 2. set -e and a failing command
( set -e; build "swc$$b" "$STATE/b"; false; echo "not reached" >"$STATE/b.reached" ) >"$STATE/b.out" 2>&1
is "set -e midway: the subshell failed, at the right place" "$?:$(test -e "$STATE/b.reached" && echo reached)" "1:"
verify "set -e midway" "$STATE/b"

# 3. SIGTERM while it waits for a child; 4. SIGINT (job control on, so
# the background subshell does not ignore SIGINT)
for sig in TERM INT; do
	set -m
	( build "swc$$$sig" "$STATE/$sig"; lab_run srv sleep 1000; wait "$LAB_LAST_PID" ) >"$STATE/$sig.out" 2>&1 &
	pid=$!
	set +m
	wait_for 30 grep -q pids "$STATE/$sig"
	kill -"$sig" "$pid"
	wait "$pid"
	verify "SIG$sig midway" "$STATE/$sig"
done

is "no nftables table appeared in the root namespace" "$(nft list tables 2>/dev/null)" "$ROOT_TABLES"
[ $failed -eq 0 ]
