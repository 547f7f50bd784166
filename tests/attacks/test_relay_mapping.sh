#!/usr/bin/env bash
# tests/attacks/test_relay_mapping.sh BUILD_DIR - relay lock-out by valid
# trusted entries of one attacker (issue 10 item 1; SW_DEFENCE(RELAY_
# MAPPING), WEAKEN=relay-mapping).  Prints TAP.
#
#   lab_relay_world: srv 192.0.2.10/.11, relay rly 192.0.2.20
#   (PeerTableSize 64, PeersPerMapping 8 (the default), PeersPerAddress
#   16; default bubble budgets), native host n6
#   2001:db8:6::2 on br6
#   clA 10.38.0.2 --- natA (full-cone, 198.51.100.38)
#   atk 192.0.2.66 on br0 and 2001:db8:6::66 on br6: one attacker on both
#       sides, with 4 mappings 192.0.2.66:41001-41004
#
# The flag bits of a Teredo address are free: each mapping stands for
# 64 addresses here (2^16 and more in truth).  Every second atk sends a
# datagram from the native side to each of the 256, and answers every
# bubble (or packet) the relay sends for one with a bubble from that
# address and its mapping: the relay trusts them (REL-RX-4).  Then n6
# pings clA, a client the relay has not seen since its restart, 300 at
# 100/s, as it did unloaded in the same world.
#   normal: at most 8 trusted entries per mapping and 16 per IPv4 address
#           (trust_refused, drop.peer-mapping-limit count the rest): clA
#           finds room and keeps >= 90 % of its unloaded replies;
#   weak:   the attacker's trusted entries fill the table (64) and clA is
#           refused (table_full, drop.peer-table-full): it falls below
#           90 %.
#
# The bubble budgets keep their defaults: the attacker's ~240 new entries
# a second all bubble srv, clA's server too, and a new entry's first
# bubble is refused only by the global budget, so they cannot lock clA
# out through srv's per-destination bucket either.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=10
atk_begin relay-mapping "swarm$$"
echo "1..$PLAN"

atk_relay_world "PeerTableSize 64" "PeersPerAddress 16"
lab_nat natA full-cone 198.51.100.38 10.38.0.0/24
lab_client clA natA
lab_host atk 192.0.2.66
lab_native_join atk 2001:db8:6::66 "$LAB_RLY6"
lab_config clA client "ServerAddress 192.0.2.10" >/dev/null
COUNT=${ATK_PING_COUNT:-300}

pings() { atk_pings n6 "$COUNT" 0.01 "$1"; }	# at 100/s from n6

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 4; continue; }
	lab_daemon srv srv
	lab_daemon rly rly
	lab_daemon clA clA
	wait_for 5 status_is rly rly state relaying
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address)
	base=$(pings "$addr")
	# a fresh relay: clA is new to it, as any client coming later
	atk_stop rly
	lab_daemon rly rly
	wait_for 5 status_is rly rly state relaying
	f="$LAB_DIR/fill.$mode.json"
	atk atk trust-fill --me 192.0.2.66 --ports 41001,41002,41003,41004 \
	    --per 64 --relay 192.0.2.20 --duration 8 --interval 1 >"$f" 2>&1 &
	fpid=$!
	sleep 3
	tr0=$(num rly rly peers_trusted) peers=$(num rly rly peers)
	got=$(pings "$addr")
	wait "$fpid"
	tr=$(num rly rly peers_trusted) ref=$(num rly rly trust_refused)
	lim=$(num rly rly drop.peer-mapping-limit)
	full=$(num rly rly table_full) dfull=$(num rly rly drop.peer-table-full)
	diag "$mode: relay drops $(status_drops rly rly)"
	diag "$mode: fill $(cat "$f"); before the pings: peers $peers/64, $tr0 trusted; after: peers_trusted $tr, trust_refused $ref, drop.peer-mapping-limit $lim, table_full $full, drop.peer-table-full $dfull; n6 got ${got:-0} replies under it, ${base:-0} unloaded"
	if [ "$mode" = normal ]; then
		check "normal: unloaded, n6 gets its replies (${base:-0}/$COUNT)" \
		    test "${base:-0}" -ge $((COUNT * 9 / 10))
		check "normal: the attacker got at most 16 trusted entries ($tr0 before clA)" \
		    test "$tr0" -ge 1 -a "$tr0" -le 16
		check "normal: the refusals were counted (trust_refused $ref, drop.peer-mapping-limit $lim)" \
		    test "$ref" -gt 0 -a "$lim" -gt 0
		check "normal: under the attack the new client keeps >= 90 % (${got:-0} vs ${base:-0})" \
		    test "$(pct "${got:-0}" "${base:-0}")" -ge 90
		is "normal: no packet refused for a full table" "$full" 0
	else
		check "weak (no per-mapping bound): the attacker's trusted entries fill the table ($tr0 trusted, peers $peers/64)" \
		    test "$tr0" -ge 64
		check "weak: the new client is refused (table_full $full, drop.peer-table-full $dfull)" \
		    test "$full" -gt 0 -a "$dfull" -gt 0
		check "weak: the new client falls below 90 % (${got:-0} vs ${base:-0})" \
		    test "$(pct "${got:-0}" "${base:-0}")" -lt 90
		is "weak: nothing refused trust" "$ref" 0
	fi
	atk_stop clA rly srv
done
tap_lab_end
atk_end "$PLAN"
