#!/usr/bin/env bash
# tests/attacks/test_relay_tick.sh BUILD_DIR - lost relay retries (issue
# 10 item 5; SW_DEFENCE(RELAY_TICK), WEAKEN=relay-tick).  Prints TAP.
#
#   lab_relay_world: relay rly 192.0.2.20 / 2001:db8:6::3, bubble budgets
#   opened wide (BubbleRateLimit, BubbleRateLimitTotal: only the tick is
#   under test here)
#   snk 203.0.113.50   the server embedded in every destination: counts
#                      the bubbles it gets, per Teredo destination
#   atk6 2001:db8:6::66 (native) sends one datagram to each of N Teredo
#                      addresses of clients that never answer, in one burst
#
# The relay bubbles each destination 1 + 3 times (REL-TX-4), the retries
# 2 s apart.  So that the N first retries fall due in the same tick, far
# more than one action list (64) holds, whatever the timing of the burst,
# the relay's engine is stopped (SIGSTOP, by its PID) from 1 s after the
# burst to 0.6 s after they are due.
#   normal: every destination gets its 4 rounds on the wire (the sink
#           sees 4 N bubbles), tick_deferred > 0;
#   weak:   the tick handles every due retry into one list and loses what
#           does not fit while counting the entries done: fewer bubbles on
#           the wire than the 4 rounds of each expired entry.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=9
atk_begin relay-tick "swart$$"
echo "1..$PLAN"

SNK=203.0.113.50
N=${ATK_TICK_DSTS:-300}
ROUNDS=4	# the first round and 3 retries (sw_relay_conf_default)
atk_relay_world "BubbleRateLimit 10000 100000" \
    "BubbleRateLimitTotal 1000000 100000"
lab_host snk "$SNK"
lab_native_join atk6 2001:db8:6::66 "$LAB_RLY6"

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 4; continue; }
	lab_daemon rly rly
	wait_for 5 status_is rly rly state relaying
	s="$LAB_DIR/sink.$mode.json"
	lab_run snk python3 "$ATK_PY" sink --bind "$SNK" --duration 9.5 >"$s"
	spid=$LAB_LAST_PID
	wait_for 5 grep -q listening "$s"
	engine=$(cat /proc/"${LAB_DAEMON_PID[rly]}"/task/*/children | awk '{print $1}')
	f=$(atk atk6 flood6 --count "$N" --dsts "$N" --server "$SNK" --size 16)
	sleep 1
	kill -STOP "$engine"
	sleep 1.6
	kill -CONT "$engine"
	lab_wait_pid "$spid" 15
	sink=$(tail -n 1 "$s")
	got=$(jget "$sink" bubbles) dsts=$(jget "$sink" dsts)
	full=$(jget "$sink" "rounds.$ROUNDS")
	sent=$(num rly rly bubbles_sent) exp=$(num rly rly peers_expired)
	def=$(num rly rly tick_deferred)
	diag "$mode: flood $f; sink $sink; relay bubbles_sent $sent, peers_expired $exp, tick_deferred $def"
	if [ "$mode" = normal ]; then
		is "normal: the sink heard from every destination" "${dsts:-0}" "$N"
		check "normal: every destination got all $ROUNDS rounds on the wire (${full:-0} of $N)" \
		    test "${full:-0}" -eq "$N"
		check "normal: $((ROUNDS * N)) bubbles on the wire (${got:-0}; relay bubbles_sent $sent)" \
		    test "${got:-0}" -ge $((ROUNDS * N)) -a "$sent" -ge $((ROUNDS * N))
		check "normal: the tick left work due for later (tick_deferred $def)" \
		    test "$def" -gt 0
	else
		check "weak: the relay counted its entries done (peers_expired $exp of $N)" \
		    test "$exp" -ge $((N * 9 / 10))
		check "weak (no tick bound): rounds lost: ${got:-0} bubbles on the wire for $exp expired entries of $ROUNDS rounds each" \
		    test "${got:-0}" -lt $((ROUNDS * exp))
		is "weak: nothing deferred" "$def" 0
		ok "weak: the relay survived (alive: $(lab_alive "${LAB_DAEMON_PID[rly]}" && echo yes))"
	fi
	atk_stop rly
done
tap_lab_end
atk_end "$PLAN"
