#!/usr/bin/env bash
# tests/attacks/test_client_inbound.sh BUILD_DIR - the client's queue pool
# and ping budget held by connectivity tests an attacker starts ([harden]
# item 2; SW_DEFENCE(CLIENT_INBOUND), WEAKEN=client-inbound).  Prints TAP.
#
#   lab_relay_world: srv 192.0.2.10/.11 (2001:db8:6::1), relay rly
#   192.0.2.20, native host n6 on br6 with many addresses
#   2001:db8:6:0:S::N (new destinations, a set S per measurement)
#   clA 10.37.0.2:40001 --- natA (full-cone, 198.51.100.37)
#   atk 192.0.2.74:3545, a relay endpoint of the attacker's
#
# The attacker sends clA ICMPv6 echo requests at 60/s from its UDP
# endpoint, each from a new native source in 2001:db8:66::/64 (no host
# there: srv has no route to it).  Each is a CLI-RX-9 case: queued while a
# connectivity test runs through srv (4 echo requests, 2 s apart).  The
# host meanwhile pings new destinations (20, 4/s, one echo request each):
# unloaded first, then 4 s into the flood.
#   normal: inbound tests are bounded (4 per relay endpoint, 8 per IPv4,
#           32 in all, own ping bucket): the host reaches >= 90 % of the
#           destinations it reached unloaded; drop.inbound-resolution-
#           limited counts the flood;
#   weak:   the flood holds the queue pool and the ping bucket: the host
#           reaches fewer than 90 % of them.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=7
atk_begin client-inbound "swaci$$"
echo "1..$PLAN"

atk_relay_world
lab_nat natA full-cone 198.51.100.37 10.37.0.0/24
lab_client clA natA
lab_host atk 192.0.2.74
lab_config clA client "ServerAddress 192.0.2.10" "BindPort 40001" >/dev/null
K=${ATK_DESTS:-20}
# The destinations: set S (1..4), address N (1..K), on n6.
for s in 1 2 3 4; do
	for ((i = 1; i <= K; i++)); do
		echo "address add 2001:db8:6:0:$s::$i/64 dev six nodad"
	done
done | lab_exec n6 ip -batch -

reach() {	# how many of set $1's K addresses answer one ping from clA
	local s=$1 i pids=() got=0 pid
	for ((i = 1; i <= K; i++)); do
		lab_exec clA ping -6 -q -n -c 1 -W 3 "2001:db8:6:0:$s::$i" \
		    >/dev/null 2>&1 &
		pids+=($!)
		sleep 0.25
	done
	for pid in "${pids[@]}"; do
		wait "$pid" && got=$((got + 1))
	done
	echo "$got"
}

set=0
for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon rly rly
	lab_daemon clA clA
	wait_for 5 status_is rly rly state relaying
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address) mapped=$(sj clA mapped)
	set=$((set + 1)); base=$(reach "$set")
	l0=$(num clA clA drop.inbound-resolution-limited)
	f="$LAB_DIR/flood.$mode.json"
	atk atk echo-flood --client "$mapped" --dst "$addr" --bind 3545 \
	    --rate 60 --duration $((4 + K / 4 + 4)) >"$f" 2>&1 &
	fpid=$!
	sleep 4
	set=$((set + 1)); got=$(reach "$set")
	q=$(sj clA queued_bytes)
	wait "$fpid"
	l1=$(num clA clA drop.inbound-resolution-limited)
	diag "$mode: flood $(cat "$f"); new destinations reached: $got of $K under it, $base unloaded; queued_bytes $q; clA drops: $(status_drops clA clA)"
	if [ "$mode" = normal ]; then
		check "normal: unloaded, clA reaches its new destinations ($base/$K)" \
		    test "$base" -ge $((K * 9 / 10))
		check "normal: under the flood clA reaches >= 90 % as many ($got vs $base)" \
		    test "$(pct "$got" "$base")" -ge 90
		check "normal: the flood's tests were refused (drop.inbound-resolution-limited $l0 -> $l1)" \
		    test $((l1 - l0)) -gt 100
	else
		check "weak: unloaded, clA reaches its new destinations ($base/$K)" \
		    test "$base" -ge $((K * 9 / 10))
		check "weak (inbound tests unbounded): under the flood clA reaches < 90 % ($got vs $base)" \
		    test "$(pct "$got" "$base")" -lt 90
		is "weak: nothing counted as inbound-resolution-limited" "$l1" 0
	fi
	atk_stop clA rly srv
done
tap_lab_end
atk_end "$PLAN"
