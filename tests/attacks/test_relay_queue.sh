#!/usr/bin/env bash
# tests/attacks/test_relay_queue.sh BUILD_DIR - queue flood against the
# relay: large packets to restricted clients that do not exist (HARD-6;
# SW_DEFENCE(RELAY_QUEUE), WEAKEN=relay-queue).  Prints TAP.
#
#   lab_relay_world: srv 192.0.2.10/.11, relay rly 192.0.2.20
#   (QueuePeerBytes 8192, QueueTotalBytes 65536), native host n6
#   leg  192.0.2.74: legitimate Teredo clients with public mappings
#        (ports 4100, 4101), each a peer the relay has never seen, which
#        answer the relay's bubble 0.3 s late (a distant client): the
#        relay must queue their traffic meanwhile
#   atk6 2001:db8:6::66 on br6 (2001::/32 via the relay)
#
# n6 sends a new peer 200 small UDP datagrams at 100/s, counted where
# they arrive: to leg:4100 unloaded, then to leg:4101 while atk6 sends
# 1200-byte datagrams to 8 Teredo addresses (flags 0, mappings nobody
# has) that never answer a bubble, filling the relay's queues.
#   normal: the queues stay bounded and fair (the flood is dropped or
#           evicted: drop.queue-*), the new peer gets >= 90 % of the
#           datagrams it gets unloaded;
#   weak:   the flood holds the whole queue: the new peer's first 0.3
#           s of traffic is lost (< 90 %).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=7
atk_begin relay-queue "swarq$$"
echo "1..$PLAN"

TOTAL=65536
atk_relay_world "QueuePeerBytes 8192" "QueueTotalBytes $TOTAL"
lab_host leg 192.0.2.74
lab_native_join atk6 2001:db8:6::66 "$LAB_RLY6"
COUNT=200

qdrops() {
	echo $(($(num rly rly drop.queue-peer-full) + $(num rly rly drop.queue-total-full) + \
	    $(num rly rly drop.peer-table-full) + $(num rly rly drop.queue-packet-too-big)))
}
# legit PORT - n6 sends COUNT datagrams to the new peer leg:PORT; prints
# how many arrived
legit() {
	local f="$LAB_DIR/peer.$1.json" t
	atk leg slowpeer --server 192.0.2.10 --me 192.0.2.74 --port "$1" \
	    --delay 0.3 --duration 4 >"$f" 2>&1 &
	local ppid=$!
	wait_for 3 grep -q teredo "$f"
	t=$(jget "$(head -1 "$f")" teredo)
	atk n6 flood6 --dst "$t" --count "$COUNT" --rate 100 --size 20 >/dev/null
	wait "$ppid"
	diag "peer $1: $(tail -1 "$f")" >&2
	jget "$(tail -1 "$f")" received
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon rly rly
	wait_for 5 status_is rly rly state relaying
	if [ "$mode" = normal ]; then
		base=$(legit 4100)
		check "unloaded: a new peer gets n6's datagrams (${base:-0}/$COUNT)" \
		    test "${base:-0}" -ge $((COUNT * 9 / 10))
	fi
	d0=$(qdrops)
	f="$LAB_DIR/flood.$mode.json"
	atk atk6 flood6 --count "${ATK_FLOOD:-12000}" --dsts 8 --size 1200 \
	    --rate 3000 >"$f" 2>&1 &
	fpid=$!
	sleep 0.5
	got=$(legit 4101)
	wait "$fpid"
	d1=$(qdrops)
	diag "$mode: flood $(cat "$f"); the new peer got ${got:-0}/$COUNT under it (${base:-0} unloaded); queue drops $d0 -> $d1; queued_bytes $(num rly rly queued_bytes)"
	if [ "$mode" = normal ]; then
		check "normal: under the flood a new legitimate peer keeps >= 90 % (${got:-0} vs ${base:-0})" \
		    test "$(pct "${got:-0}" "${base:-0}")" -ge 90
		check "normal: the queue bounds dropped the flood (drop.queue-*, peer-table-full: $d0 -> $d1)" \
		    test "$d1" -gt "$d0"
		check "normal: queued bytes within QueueTotalBytes ($(num rly rly queued_bytes) <= $TOTAL)" \
		    test "$(num rly rly queued_bytes)" -le "$TOTAL"
	else
		check "weak (no queue bounds/fairness): the new peer is starved (${got:-0} vs ${base:-0}: < 90 %)" \
		    test "$(pct "${got:-0}" "${base:-0}")" -lt 90
		ok "weak: the relay survived (alive: $(lab_alive "${LAB_DAEMON_PID[rly]}" && echo yes))"
	fi
	atk_stop rly srv
done
tap_lab_end
atk_end "$PLAN"
