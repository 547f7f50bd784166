#!/usr/bin/env bash
# tests/attacks/test_client_reflect.sh BUILD_DIR - the client as a bubble
# reflector ([harden] item 7; SW_DEFENCE(CLIENT_REFLECT),
# WEAKEN=client-reflect).  Prints TAP.
#
#   clA 10.40.0.2:40001 --- natA (full-cone, 198.51.100.40)
#   clB 10.41.0.2:40002 --- natB (full-cone, 198.51.100.41)
#   srv 192.0.2.10/.11;  atk 192.0.2.76 (raw socket: spoofs IPv4 sources)
#   vic 192.0.2.80 (the victim: port 9999), oth 192.0.2.81 (port 5556)
#
# The attacker sends srv 3000 bubbles to clA at 1000/s "from" vic's
# 192.0.2.80:9999 (spoofed IPv4 source), each from another Teredo
# address embedding that endpoint (flag and server bits varied: the
# CLI-BUB-3/4 limits are keyed by that address).  srv relays them with
# 192.0.2.80:9999 as origin; each answered is a direct bubble from clA to
# the victim, which counts what it receives.  Meanwhile clB pings clA
# (300 at 100/s; unloaded first), and oth sends clA 3 indirect bubbles of
# its own (a legitimate new peer: they must be answered).
#   normal: answers budgeted per origin endpoint (2/s, burst 4), IPv4
#           (4/s, 8) and in total (50/s, 100): the victim gets at most a
#           handful, drop.bubble-rate-limited counts the rest; clB keeps
#           >= 90 % of its replies; oth is answered;
#   weak:   the victim gets about one bubble per attacker bubble (judged:
#           at least half of them; the normal bound is 16).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=11
atk_begin client-reflect "swacr$$"
echo "1..$PLAN"

PUBA=198.51.100.40 VIC=192.0.2.80 OTH=192.0.2.81
atk_client_world full-cone "$PUBA" 10.40.0.0/24 192.0.2.76
lab_nat natB full-cone 198.51.100.41 10.41.0.0/24
lab_client clB natB
lab_config clB client "ServerAddress 192.0.2.10" "BindPort 40002" >/dev/null
lab_host vic "$VIC"
lab_host oth "$OTH"
nft_counter_in_add vic hit "ip saddr $PUBA udp dport 9999"
nft_counter_in_add oth hit "ip saddr $PUBA udp dport 5556"
COUNT=${ATK_PING_COUNT:-300}
FLOOD=${ATK_FLOOD:-3000}

pings() { atk_pings clB "$COUNT" 0.01 "$1"; }	# at 100/s from clB

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 5; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	lab_daemon clB clB
	wait_for 15 status_is clA clA state qualified
	wait_for 15 status_is clB clB state qualified
	addr=$(sj clA address)
	wait_for 10 lab_exec clB ping -6 -q -c 1 -W 1 "$addr"
	base=$(pings "$addr")
	v0=$(nft_counter vic hit) o0=$(nft_counter oth hit)
	l0=$(num clA clA drop.bubble-rate-limited)
	f="$LAB_DIR/flood.$mode.json"
	atk atk reflect-flood --via 192.0.2.10 --src-ep "$VIC:9999" --dst "$addr" \
	    --count "$FLOOD" --rate 1000 >"$f" 2>&1 &
	fpid=$!
	pings "$addr" >"$LAB_DIR/got.$mode" &
	ppid=$!
	sleep 1
	atk atk spoof-bubble --via 192.0.2.10 --src-ep "$OTH:5556" --dst "$addr" \
	    --count 3 --interval 0.2 >/dev/null
	wait "$ppid"
	wait "$fpid"
	got=$(cat "$LAB_DIR/got.$mode")
	sleep 0.3
	v1=$(nft_counter vic hit) o1=$(nft_counter oth hit)
	l1=$(num clA clA drop.bubble-rate-limited)
	sent=$(jget "$(cat "$f")" sent)
	diag "$mode: flood $(cat "$f"); the victim received $((v1 - v0)) bubbles, oth $((o1 - o0)); clB replies ${got:-0} under it, ${base:-0} unloaded; clA drops: $(status_drops clA clA)"
	check "$mode: unloaded, clB gets clA's replies (${base:-0}/$COUNT)" \
	    test "${base:-0}" -ge $((COUNT * 9 / 10))
	check "$mode: a legitimate new peer's indirect bubbles are answered under the flood (oth: $((o1 - o0)))" \
	    test "$o1" -gt "$o0"
	if [ "$mode" = normal ]; then
		check "normal: the victim receives at most a handful ($((v1 - v0)) of ${sent:-0})" \
		    test $((v1 - v0)) -le 16
		check "normal: the rest were counted (drop.bubble-rate-limited $l0 -> $l1)" \
		    test $((l1 - l0)) -ge $(( ${sent:-0} - 16 ))
		check "normal: under the flood clB keeps >= 90 % (${got:-0} vs ${base:-0})" \
		    test "$(pct "${got:-0}" "${base:-0}")" -ge 90
	else
		check "weak (no reflect budget): the victim receives about one bubble per attacker bubble ($((v1 - v0)) of ${sent:-0})" \
		    test "$(pct $((v1 - v0)) "${sent:-0}")" -ge 50
		is "weak: nothing counted as bubble-rate-limited" "$l1" 0
		ok "weak: clB's replies under the flood: ${got:-0} of ${base:-0} (not judged)"
	fi
	atk_stop clB clA srv
done
tap_lab_end
atk_end "$PLAN"
