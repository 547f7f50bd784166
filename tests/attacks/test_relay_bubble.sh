#!/usr/bin/env bash
# tests/attacks/test_relay_bubble.sh BUILD_DIR - the relay as a bubble
# amplifier (issue 10 item 4; SW_DEFENCE(RELAY_BUBBLE), WEAKEN=relay-
# bubble).  Prints TAP.
#
#   lab_relay_world: srv 192.0.2.10/.11, relay rly 192.0.2.20
#   (PeerTableSize 2048), native host n6 2001:db8:6::2 on br6
#   clA 10.37.0.2 --- natA (full-cone, 198.51.100.37)
#   vic 203.0.113.99   the victim: counts the bubbles it receives on
#                      port 3544 (a socket: the relay's sendmmsg may
#                      coalesce them by UDP GSO, which nft would count as
#                      one packet)
#   atk6 2001:db8:6::66 (native) sends 48-byte datagrams to Teredo
#                      addresses that embed vic as their server, each
#                      address new
#
#   hsr 192.0.2.30 / 2001:db8:6::4: a host-specific relay (HostSpecific
#                      yes: bubbles through the server and directly)
#   vic2 203.0.113.98  its victim, on ports 3544 and 40000
#   atk6 also sends hsr echo requests from Teredo sources that embed vic2
#                      as server and vic2:40000 as mapping: hsr's kernel
#                      answers them through hsr's relay
#
# Each such datagram buys a bubble round to vic now and 3 more later
# (REL-TX-4): 4 bubbles of 68 bytes for one packet of 48; from hsr, 8
# (each round to the server and to the mapping).
#   normal: vic gets at most one bubble per packet (a new entry's first
#           bubble to its server is refused only by the global budget,
#           BubbleRateLimitTotal: all clients of a server share its IPv4)
#           plus the per-destination budget (BubbleRateLimit, default
#           50/s, burst 20) that the first bubbles drain, so the retries
#           starve; bubbles_limited counts them; n6's pings to clA (a
#           trusted peer) keep >= 90 % of their unloaded replies; the
#           same for vic2 from hsr (the direct bubbles count against
#           vic2's budget);
#   weak:   vic gets >= 4 bubbles per packet, vic2 >= 8 per echo request.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=11
atk_begin relay-bubble "swarb$$"
echo "1..$PLAN"

VIC=203.0.113.99 VIC2=203.0.113.98 HSR6=2001:db8:6::4
atk_relay_world "PeerTableSize 2048"
lab_nat natA full-cone 198.51.100.37 10.37.0.0/24
lab_client clA natA
lab_host vic "$VIC"
lab_native_join atk6 2001:db8:6::66 "$LAB_RLY6"
lab_host vic2 "$VIC2"
lab_host hsr 192.0.2.30
lab_native_join hsr "$HSR6"
lab_config clA client "ServerAddress 192.0.2.10" >/dev/null
lab_config hsr relay "RelayAddress $HSR6" "HostSpecific yes" \
    "BindAddress 192.0.2.30" >/dev/null
COUNT=${ATK_PING_COUNT:-300}
FLOOD=${ATK_BUBBLE_FLOOD:-1000}

pings() { atk_pings n6 "$COUNT" 0.01 "$1"; }	# at 100/s from n6

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 4; continue; }
	lab_daemon srv srv
	lab_daemon rly rly
	lab_daemon clA clA
	lab_daemon hsr hsr
	wait_for 5 status_is rly rly state relaying
	wait_for 5 status_is hsr hsr state relaying
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address)
	wait_for 10 lab_exec n6 ping -6 -q -c 1 -W 1 "$addr"
	base=$(pings "$addr")
	l0=$(num rly rly bubbles_limited)
	s="$LAB_DIR/vic.$mode.json"
	# the flood (2 s), then the last retries 6 s after its last packet
	lab_run vic python3 "$ATK_PY" sink --bind "$VIC" --duration 9.5 >"$s"
	spid=$LAB_LAST_PID
	s2="$LAB_DIR/vic2.$mode.json"
	lab_run vic2 python3 "$ATK_PY" sink --bind "$VIC2" --port 3544,40000 \
	    --duration 9.5 >"$s2"
	spid2=$LAB_LAST_PID
	wait_for 5 grep -q listening "$s"
	wait_for 5 grep -q listening "$s2"
	t0=$(now_ms)
	h="$LAB_DIR/hsr.$mode.json"
	atk atk6 echo6-spoof --dst "$HSR6" --server "$VIC2" \
	    --mapped "$VIC2:40000" --count 500 --rate 250 >"$h" 2>&1 &
	hpid=$!
	f="$LAB_DIR/flood.$mode.json"
	# FLOOD datagrams in 2 s, each to a new address embedding vic
	atk atk6 flood6 --count "$FLOOD" --dsts "$FLOOD" --server "$VIC" \
	    --size 0 --rate $((FLOOD / 2)) >"$f" 2>&1 &
	fpid=$!
	got=$(pings "$addr")
	wait "$fpid" "$hpid"
	sent=$(jget "$(cat "$f")" sent) hsent=$(jget "$(cat "$h")" sent)
	lab_wait_pid "$spid" 15
	lab_wait_pid "$spid2" 15
	vic2=$(tail -n 1 "$s2")
	hb=$(jget "$vic2" bubbles); hb=${hb:-0}
	hl=$(num hsr hsr bubbles_limited)
	diag "$mode: hsr drops $(status_drops hsr hsr); tun_rx $(num hsr hsr tun_rx), peers_expired $(num hsr hsr peers_expired)"
	diag "$mode: hsr: $(cat "$h"); vic2 got $hb bubbles ($(jget "$vic2" rounds)), hsr bubbles_sent $(num hsr hsr bubbles_sent), bubbles_limited $hl"
	secs=$(( ($(now_ms) - t0 + 999) / 1000 ))
	l1=$(num rly rly bubbles_limited)
	vic=$(tail -n 1 "$s")
	vb=$(jget "$vic" bubbles); vb=${vb:-0}
	diag "$mode: flood $(cat "$f"); vic got $vb bubbles in ${secs} s (x$((vb * 100 / ${sent:-1}))/100 per packet, $(jget "$vic" bytes) bytes), bubbles_limited $l0 -> $l1, bubbles_sent $(num rly rly bubbles_sent), peers_expired $(num rly rly peers_expired); n6 got ${got:-0} replies under it, ${base:-0} unloaded"
	if [ "$mode" = normal ]; then
		check "normal: unloaded, n6 gets its replies (${base:-0}/$COUNT)" \
		    test "${base:-0}" -ge $((COUNT * 9 / 10))
		check "normal: under the flood n6 keeps >= 90 % (${got:-0} vs ${base:-0})" \
		    test "$(pct "${got:-0}" "${base:-0}")" -ge 90
		check "normal: vic got at most one bubble per packet + burst 20 + 50/s ($vb for ${sent:-0} in $secs s)" \
		    test "$vb" -le $((${sent:-0} + 20 + 50 * secs))
		check "normal: no multiplier: at most 1.5 bubbles per packet, not 4 ($vb for ${sent:-0})" \
		    test "$((vb * 2))" -le "$((${sent:-0} * 3))"
		check "normal: the rest was counted (bubbles_limited $l0 -> $l1)" \
		    test "$((l1 - l0))" -ge $((${sent:-0} * 4 - vb - 20))
		check "normal: hsr: vic2 got at most one bubble per echo request + burst 20 + 50/s ($hb in $secs s for ${hsent:-0}; bubbles_limited $hl)" \
		    test "$hb" -le $((${hsent:-0} + 20 + 50 * secs)) -a "$hl" -gt 0
	else
		check "weak (no bubble budget): vic got >= 4 bubbles per packet ($vb for ${sent:-0})" \
		    test "$vb" -ge $((${sent:-1} * 4))
		check "weak: hsr: vic2 got >= 8 bubbles per echo request ($hb for ${hsent:-0})" \
		    test "$hb" -ge $((${hsent:-1} * 8))
		is "weak: nothing counted as limited" "$((l1 + hl))" 0
		ok "weak: the relay survived (alive: $(lab_alive "${LAB_DAEMON_PID[rly]}" && echo yes))"
	fi
	atk_stop hsr clA rly srv
done
tap_lab_end
atk_end "$PLAN"
