#!/usr/bin/env bash
# tests/attacks/test_client_peers.sh BUILD_DIR - the client's peer table
# flushed by one endpoint ([harden] item 3; SW_DEFENCE(CLIENT_PEERS),
# WEAKEN=client-peers).  Prints TAP.
#
#   clA 10.38.0.2:40001 --- natA (full-cone, 198.51.100.38), PeerTableSize 64
#   clB 10.39.0.2:40002 --- natB (full-cone, 198.51.100.39)
#   srv 192.0.2.10/.11;  atk 192.0.2.75:7000
#
# clA pings clB (an established, trusted Teredo peer) 100 times at 20/s:
# unloaded first, then while the attacker sends clA direct bubbles at
# 5000/s from 192.0.2.75:7000, each from another Teredo address embedding
# that endpoint (flag and server bits varied: CLI-RX-6 would trust each).
# An nft counter sees the direct bubbles clA sends to clB's mapping: a
# clB evicted from the table must be resolved again.
#   normal: at most 8 trusted entries per endpoint (drop.peer-mapping-
#           limit), valid trusted peers never evicted: clB keeps >= 90 %
#           of its replies and is not resolved again;
#   weak:   plain LRU: the flood evicts clB, which clA must resolve
#           again (bubbles to it), or its replies fall below 90 %.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=8
atk_begin client-peers "swacp$$"
echo "1..$PLAN"

PUBB=198.51.100.39
atk_client_world full-cone 198.51.100.38 10.38.0.0/24 192.0.2.75 \
    "PeerTableSize 64"
lab_nat natB full-cone "$PUBB" 10.39.0.0/24
lab_client clB natB
lab_config clB client "ServerAddress 192.0.2.10" "BindPort 40002" >/dev/null
# direct bubbles (40 bytes of IPv6, 48 of UDP) from clA to clB's mapping
nft_counter_add clA tob "ip daddr $PUBB udp length 48"
COUNT=${ATK_PING_COUNT:-100}
RATE=${ATK_FLOOD_RATE:-5000}

pings() { atk_pings clA "$COUNT" 0.05 "$1"; }	# at 20/s from clA

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	lab_daemon clB clB
	wait_for 15 status_is clA clA state qualified
	wait_for 15 status_is clB clB state qualified
	addr=$(sj clA address) mapped=$(sj clA mapped) bddr=$(sj clB address)
	wait_for 10 lab_exec clA ping -6 -q -c 1 -W 1 "$bddr"
	base=$(pings "$bddr")
	b0=$(nft_counter clA tob)
	l0=$(num clA clA drop.peer-mapping-limit)
	f="$LAB_DIR/flood.$mode.json"
	atk atk bubble-flood --client "$mapped" --dst "$addr" --server 192.0.2.10 \
	    --me 192.0.2.75 --port 7000 --rate "$RATE" \
	    --count $((RATE * (COUNT / 20 + 1))) >"$f" 2>&1 &
	fpid=$!
	got=$(pings "$bddr")
	wait "$fpid"
	b1=$(nft_counter clA tob)
	l1=$(num clA clA drop.peer-mapping-limit)
	diag "$mode: flood $(cat "$f"); clB replies ${got:-0} under it, ${base:-0} unloaded; bubbles clA -> clB $b0 -> $b1; clA peers $(sj clA peers)/64, drops: $(status_drops clA clA)"
	check "$mode: unloaded, clA gets clB's replies (${base:-0}/$COUNT)" \
	    test "${base:-0}" -ge $((COUNT * 9 / 10))
	if [ "$mode" = normal ]; then
		check "normal: under the flood clB keeps >= 90 % (${got:-0} vs ${base:-0})" \
		    test "$(pct "${got:-0}" "${base:-0}")" -ge 90
		is "normal: clB not evicted: clA never resolves it again (direct bubbles to it)" \
		    "$((b1 - b0))" 0
		check "normal: the flood's trusted entries were bounded (drop.peer-mapping-limit $l0 -> $l1)" \
		    test $((l1 - l0)) -gt 1000
	else
		check "weak (plain LRU): the flood evicts clB: clA resolves it again ($((b1 - b0)) bubbles) or its replies fall (${got:-0} vs ${base:-0})" \
		    test $((b1 - b0)) -gt 0 -o "$(pct "${got:-0}" "${base:-0}")" -lt 90
		is "weak: nothing counted as peer-mapping-limit" "$l1" 0
	fi
	atk_stop clB clA srv
done
tap_lab_end
atk_end "$PLAN"
