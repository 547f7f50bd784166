#!/usr/bin/env bash
# tests/attacks/test_relay_peers.sh BUILD_DIR - peer-cache flood against
# the relay: many Teredo destinations from the native net (HARD-6;
# SW_DEFENCE(RELAY_PEERS), WEAKEN=relay-peers).  Prints TAP.
#
#   lab_relay_world: srv 192.0.2.10/.11, relay rly 192.0.2.20
#   (PeerTableSize 64), native host n6 2001:db8:6::2 on br6
#   clA 10.36.0.2 --- natA (full-cone, 198.51.100.36)
#   atk6 2001:db8:6::66 on br6 (2001::/32 via the relay)
#
# n6 pings clA through the relay (a valid trusted peer), 300 pings at
# 100/s: unloaded first, then while atk6 sends tens of thousands of
# datagrams to as many Teredo addresses of clients that do not exist.
#   normal: a new untrusted entry never evicts a valid trusted peer: n6
#           keeps >= 90 % of its unloaded replies, evicted_trusted stays
#           0, the flood is absorbed (peers_displaced, drop.peer-table-
#           full);
#   weak:   the flood evicts trusted peers (evicted_trusted > 0, or the
#           legitimate rate falls below 90 %).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=10
atk_begin relay-peers "swarp$$"
echo "1..$PLAN"

atk_relay_world "PeerTableSize 64"
lab_nat natA full-cone 198.51.100.36 10.36.0.0/24
lab_client clA natA
lab_native_join atk6 2001:db8:6::66 "$LAB_RLY6"
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
	wait_for 10 lab_exec n6 ping -6 -q -c 1 -W 1 "$addr"
	check "$mode: clA is a trusted peer of the relay ($(num rly rly peers_trusted))" \
	    test "$(num rly rly peers_trusted)" -ge 1
	base=$(pings "$addr")
	f="$LAB_DIR/flood.$mode.json"
	p0=$(($(num rly rly peers_displaced) + $(num rly rly drop.peer-table-full)))
	b0=$(($(num rly rly bubbles_sent) + $(num rly rly bubbles_limited)))
	atk atk6 flood6 --count "${ATK_FLOOD:-40000}" --dsts "${ATK_FLOOD:-40000}" \
	    --size 64 >"$f" 2>&1 &
	fpid=$!
	got=$(pings "$addr")
	wait "$fpid"
	p1=$(($(num rly rly peers_displaced) + $(num rly rly drop.peer-table-full)))
	ev=$(num rly rly evicted_trusted)
	diag "$mode: flood $(cat "$f"); n6 got ${got:-0} replies under it, ${base:-0} unloaded; relay peers $(num rly rly peers)/64, displaced+full $p0 -> $p1, evicted_trusted $ev"
	if [ "$mode" = normal ]; then
		check "normal: unloaded, n6 gets its replies (${base:-0}/$COUNT)" \
		    test "${base:-0}" -ge $((COUNT * 9 / 10))
		check "normal: under the flood n6 keeps >= 90 % (${got:-0} vs ${base:-0})" \
		    test "$(pct "${got:-0}" "${base:-0}")" -ge 90
		is "normal: no valid trusted peer evicted (evicted_trusted)" "$ev" 0
	else
		check "weak (trusted peers evictable): the flood evicts trusted peers ($ev) or the legitimate rate falls (${got:-0} vs ${base:-0})" \
		    test "$ev" -gt 0 -o "$(pct "${got:-0}" "${base:-0}")" -lt 90
		ok "weak: the relay survived (alive: $(lab_alive "${LAB_DAEMON_PID[rly]}" && echo yes))"
		# Bubbles the relay's budget (BubbleRateLimit) held back count:
		# they show the flood reached the peer table.
		b1=$(($(num rly rly bubbles_sent) + $(num rly rly bubbles_limited)))
		check "weak: the flood reached the relay (it bubbled or budgeted $((b1 - b0)) rounds; evicted_trusted $ev)" \
		    test $((b1 - b0 + ev)) -gt 1000
	fi
	if [ "$mode" = normal ]; then
		check "normal: the flood was absorbed by untrusted entries (peers_displaced + drop.peer-table-full: $p0 -> $p1)" \
		    test "$p1" -gt "$p0"
	fi
	atk_stop clA rly srv
done
tap_lab_end
atk_end "$PLAN"
