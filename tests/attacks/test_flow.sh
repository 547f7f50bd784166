#!/usr/bin/env bash
# tests/attacks/test_flow.sh BUILD_DIR - the engine's edge check without
# the firewall table: one ping must not open the host, non-first fragments
# must not pass ([harden] items 8, 9; SW_DEFENCE(FLOW), WEAKEN=flow).
# Prints TAP.
#
#   clA 10.42.0.2:40001 --- natA (restricted, 198.51.100.42) --- br0
#       AllowUnfirewalled yes: no firewall table, the engine's check is
#       the only filter (doc/security.md); a TCP listener on 8080 and a
#       UDP echo on 9999, started by hand: no grant
#   srv 192.0.2.10/.11;  atk 192.0.2.77 with a Teredo address of its own
#       (192.0.2.77:7100, server 192.0.2.10)
#
# Item 8: the attacker opens clA's NAT with an indirect bubble (bubble-to-
# open), sends a SYN to 8080 and a datagram to 9999 (refused: no grant),
# then one echo request, which is delivered; the kernel's echo reply goes
# out through the tunnel; then the SYN and the datagram again.
#   normal: solicitation is per flow and from what applications send:
#           after the ping, still no SYN-ACK, no UDP answer; drop.edge-
#           not-granted counts; a flow clA's application opens to the
#           attacker (UDP 7000 -> 7001) gets its answers;
#   weak:   the echo reply marked the attacker solicited: SYN-ACK from
#           8080 and the echo from 9999 after the ping.
# Item 9: non-first fragments (UDP, offset 8) from the attacker's Teredo
# address, then from a native source 2001:db8:66::9 through the
# attacker's "relay" endpoint 192.0.2.77:7101.
#   normal: dropped (drop.fragment-unsolicited), nothing reaches the
#           tunnel, no connectivity test (echo request to srv) starts;
#   weak:   the fragments reach the tunnel and the native one starts a
#           connectivity test.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=23
atk_begin flow "swafl$$"
echo "1..$PLAN"

ATK=192.0.2.77
atk_client_world restricted 198.51.100.42 10.42.0.0/24 "$ATK" \
    "AllowUnfirewalled yes"
TUN=$(lab_ifname clA)
LISTEN='
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8080)); s.listen(64); time.sleep(3600)'
ECHO='
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 9999))
while True:
    d, a = s.recvfrom(2048); s.sendto(d, a)'
APP='
import select, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 7000))
for i in range(6):
    s.sendto(b"app", (sys.argv[1], 7001))
    if select.select([s], [], [], 0.5)[0]:
        print("answered"); sys.exit(0)
print("none")'
lab_run clA python3 -c "$LISTEN"
lab_run clA python3 -c "$ECHO"
wait_for 5 lab_exec clA sh -c "ss -ltn | grep -q ':8080 '"
# What reaches the tunnel as a fragment (before any reassembly), and the
# connectivity tests clA sends srv (echo request with an 8-byte nonce:
# 56 bytes of IPv6, 64 of UDP).
lab_exec clA nft -f - <<EOF
table inet atk_fragin {
	counter fragin { }
	chain pre {
		type filter hook prerouting priority -500; policy accept;
		iifname "$TUN" ip6 nexthdr 44 counter name fragin
	}
}
EOF
nft_counter_add clA ptest "ip daddr 192.0.2.10 udp dport 3544 udp length 64"
# A table of the firewall's name already there: the daemon cannot make
# its own, and runs unfirewalled (as tests/netns/test_daemon.sh does).
lab_exec clA nft add table inet "shipworm_$TUN"

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 10; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address)
	d0=$(num clA clA drop.edge-not-granted)
	out=$(atk atk flow --server 192.0.2.10 --dst "$addr" --me "$ATK" \
	    --port 7100 --tcp 8080 --udp 9999)
	d1=$(num clA clA drop.edge-not-granted)
	diag "$mode: $out"
	is "$mode: no firewall table (firewall=$(sj clA firewall)), the bubble opened clA's NAT" \
	    "$(sj clA firewall) $(jget "$out" opened)" "UNFIREWALLED true"
	is "$mode: before the ping: no SYN-ACK from 8080, no answer from 9999" \
	    "$(jget "$out" before.synack) $(jget "$out" before.udp)" "false false"
	is "$mode: the attacker's echo request is answered (the kernel's echo reply)" \
	    "$(jget "$out" ping_answered)" true
	if [ "$mode" = normal ]; then
		is "normal: after the ping: still no SYN-ACK (nor RST) from 8080" \
		    "$(jget "$out" after.synack) $(jget "$out" after.rst)" "false false"
		is "normal: after the ping: still no answer from 9999" \
		    "$(jget "$out" after.udp)" false
		check "normal: the SYNs and datagrams were counted (drop.edge-not-granted $d0 -> $d1)" \
		    test $((d1 - d0)) -ge 6
	else
		is "weak (one ping opens every port): SYN-ACK from 8080 after the ping" \
		    "$(jget "$out" after.synack)" true
		is "weak: the datagram to 9999 is answered after the ping" \
		    "$(jget "$out" after.udp)" true
		ok "weak: drop.edge-not-granted $d0 -> $d1 (before the ping only)"
	fi

	# item 9: fragments from the attacker's own address, then native
	me=$(jget "$out" me) cl=$(jget "$out" client)
	f0=$(nft_counter clA fragin) p0=$(nft_counter clA ptest)
	r0=$(num clA clA drop.fragment-unsolicited)
	atk atk frag --client "$cl" --dst "$addr" --src "$me" --bind 7100 >/dev/null
	sleep 0.3
	f1=$(nft_counter clA fragin) r1=$(num clA clA drop.fragment-unsolicited)
	atk atk frag --client "$cl" --dst "$addr" --src 2001:db8:66::9 \
	    --bind 7101 >/dev/null
	sleep 0.5
	f2=$(nft_counter clA fragin) p2=$(nft_counter clA ptest)
	r2=$(num clA clA drop.fragment-unsolicited)
	diag "$mode: fragments to the tunnel $f0 -> $f1 -> $f2, tests to srv $p0 -> $p2, fragment-unsolicited $r0 -> $r1 -> $r2"
	if [ "$mode" = normal ]; then
		is "normal: no fragment from the attacker's Teredo address reaches the tunnel" \
		    "$((f1 - f0))" 0
		is "normal: ... they were counted (drop.fragment-unsolicited)" \
		    "$((r1 - r0))" 3
		is "normal: no fragment from the native source reaches the tunnel" \
		    "$((f2 - f1))" 0
		is "normal: ... and none started a connectivity test (echo requests to srv)" \
		    "$((p2 - p0))" 0
		is "normal: ... they were counted (drop.fragment-unsolicited)" \
		    "$((r2 - r1))" 3
	else
		check "weak (fragments unchecked): the attacker's fragments reach the tunnel ($((f1 - f0)))" \
		    test $((f1 - f0)) -ge 3
		check "weak: the native source's fragment starts a connectivity test ($((p2 - p0)) echo requests to srv)" \
		    test $((p2 - p0)) -ge 1
		is "weak: nothing counted as fragment-unsolicited" "$r2" 0
	fi

	# item 8, the other way: a flow clA's application opens passes
	rdy="$LAB_DIR/ready.$mode"
	atk atk udp-answer --server 192.0.2.10 --me "$ATK" --port 7100 \
	    --listen 7001 --wait 4 --ready "$rdy" >"$LAB_DIR/ans.$mode" &
	apid=$!
	wait_for 5 test -e "$rdy"
	app=$(lab_exec clA python3 -c "$APP" "$me")
	wait "$apid"
	diag "$mode: attacker's side: $(cat "$LAB_DIR/ans.$mode"); clA drops: $(status_drops clA clA)"
	is "$mode: control: the flow clA's application opened to the attacker gets its answer" \
	    "$app" answered
	atk_stop clA srv
done
tap_lab_end
atk_end "$PLAN"
