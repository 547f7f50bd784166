#!/usr/bin/env bash
# tests/attacks/test_loop.sh BUILD_DIR - a forwarding-loop attempt through
# the relay (RFC 6324; SW_DEFENCE(LOOP), WEAKEN=loop).  Prints TAP.
#
#   lab_relay_world: srv 192.0.2.10/.11, relay rly 192.0.2.20, n6
#   atk6 2001:db8:6::66 on br6 (2001::/32 via the relay)
#
# atk6 pings two Teredo addresses that point back at the relay itself:
#   LOOP1  server 192.0.2.10, mapping 192.0.2.20:3544 (the relay's own
#          endpoint), cone flag set
#   LOOP2  server 192.0.2.20 (the relay's own IPv4), mapping elsewhere
# A relay that forwards them sends its bubbles/packets to itself, directly
# or through the server: the packet loops.  nft counters see what the
# relay sends to its own endpoint and what the server forwards to it.
#   control (both builds): n6 reaches a real client clA through the relay;
#   normal: nothing goes to the relay's own endpoint; drop.forwarding-loop
#           counts the packets;
#   weak:   packets go around: to 192.0.2.20:3544 from the relay itself or
#           from the server on its behalf.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=7
atk_begin loop "swalp$$"
echo "1..$PLAN"

# shellcheck disable=SC2119 # no relay setting of its own
atk_relay_world
lab_nat natA full-cone 198.51.100.39 10.39.0.0/24
lab_client clA natA
lab_native_join atk6 2001:db8:6::66 "$LAB_RLY6"
lab_config clA client "ServerAddress 192.0.2.10" >/dev/null
LOOP1=$(lab_teredo_addr 192.0.2.10 192.0.2.20 3544 0x8000)
LOOP2=$(lab_teredo_addr 192.0.2.20 198.51.100.39 4000)
nft_counter_add rly self "ip daddr 192.0.2.20 udp dport 3544"
nft_counter_add srv fwd "ip daddr 192.0.2.20 udp dport 3544"

loops() { echo $(($(nft_counter rly self) + $(nft_counter srv fwd))); }

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon rly rly
	lab_daemon clA clA
	wait_for 5 status_is rly rly state relaying
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address)
	check "$mode: control: n6 reaches clA ($addr) through the relay" \
	    wait_for 10 lab_exec n6 ping -6 -q -c 1 -W 1 "$addr"
	l0=$(loops) d0=$(num rly rly drop.forwarding-loop)
	lab_exec atk6 ping -6 -q -c 3 -i 0.3 -W 1 "$LOOP1" >/dev/null 2>&1
	lab_exec atk6 ping -6 -q -c 3 -i 0.3 -W 1 "$LOOP2" >/dev/null 2>&1
	sleep 1
	l1=$(loops) d1=$(num rly rly drop.forwarding-loop)
	diag "$mode: to the relay's own endpoint: $l0 -> $l1; drops: $(status_drops rly rly)"
	if [ "$mode" = normal ]; then
		is "normal: nothing sent back to the relay's own endpoint 192.0.2.20:3544" "$((l1 - l0))" 0
		check "normal: drop.forwarding-loop counts the attempts ($d0 -> $d1)" \
		    test "$d1" -ge $((d0 + 2))
	else
		check "weak (no RFC 6324 check): the packets loop back to 192.0.2.20:3544 ($((l1 - l0)))" \
		    test "$l1" -gt "$l0"
		is "weak: nothing counted as forwarding-loop" "$d1" 0
	fi
	atk_stop clA rly srv
done
tap_lab_end
atk_end "$PLAN"
