#!/usr/bin/env bash
# tests/attacks/test_ping_nonce.sh BUILD_DIR - spoofed echo replies with a
# wrong nonce in the direct IPv6 connectivity test (CLI-RX-5, CLI-PING-*;
# SW_DEFENCE(PING_NONCE), WEAKEN=ping-nonce).  Prints TAP.
#
#   clA 10.32.0.2:40001 --- natA (full-cone, 198.51.100.32) --- br0
#   srv 192.0.2.10/.11;  atk 192.0.2.67
#   N6 = 2001:db8:6::2: a native address nobody answers for
#
# clA's host pings N6: clA queues the request and ping-tests N6 through
# its server (CLI-TX-2).  The attacker, from its own UDP socket, keeps
# sending clA echo replies "from" N6 with a random nonce, hoping to be
# taken for N6's relay.
#   normal: every spoofed reply is dropped (drop.ping-nonce-mismatch), the
#           attacker receives nothing from clA;
#   weak:   clA trusts the attacker as N6's relay and sends it the queued
#           echo request (the attacker sees a packet to N6).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=7
atk_begin ping-nonce "swapn$$"
echo "1..$PLAN"

PUB=198.51.100.32 N6=2001:db8:6::2
atk_client_world full-cone "$PUB" 10.32.0.0/24 192.0.2.67

# attack - clA pings N6 while the attacker sprays replies; sets out
attack() {
	local f="$LAB_DIR/spoof.$1.json"
	addr=$(sj clA address)
	atk atk echo-spoof --client "$PUB:40001" --dst "$addr" --src "$N6" \
	    --duration 4 >"$f" 2>&1 &
	local apid=$!
	sleep 0.3
	lab_exec clA ping -6 -n -q -c 3 -i 0.7 -W 1 "$N6" >/dev/null 2>&1
	wait "$apid"
	out=$(cat "$f")
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	if wait_for 15 status_is clA clA state qualified; then
		ok "$mode: clA qualified ($(sj clA address))"
	else
		not_ok "$mode: clA qualified" "$(lab_status clA clA 2>&1 | head -3 | tr '\n' ' ')"
	fi
	d0=$(num clA clA drop.ping-nonce-mismatch)
	attack "$mode"
	d1=$(num clA clA drop.ping-nonce-mismatch)
	if [ "$mode" = normal ]; then
		check "normal: spoofed replies ($(jget "$out" sent) sent) dropped: drop.ping-nonce-mismatch $d0 -> $d1" \
		    test "$d1" -gt "$d0"
		is "normal: the attacker received nothing from clA" \
		    "$(jget "$out" received)" 0
	else
		is "weak (no nonce check): clA trusted the attacker as N6's relay and sent it the queued packet to N6" \
		    "$(jget "$out" to)" "$N6"
		is "weak: nothing counted as ping-nonce-mismatch" "$d1" 0
	fi
	atk_stop clA srv
done
tap_lab_end
atk_end "$PLAN"
