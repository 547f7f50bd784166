#!/usr/bin/env bash
# tests/attacks/test_intranet.sh BUILD_DIR - ingress-filtering bypass via a
# Teredo source with an internal IPv4 (HARD-4, CVE-2006-6264;
# SW_DEFENCE(INTRANET), WEAKEN=intranet).  Prints TAP.
#
#   clA 10.34.0.2:40001 --- natA (full-cone, 198.51.100.34) --- br0
#       IntranetPrefix 203.0.113.96/27: the site's own (global) IPv4
#       range, behind its border filter; host 203.0.113.99 is in it
#   srv 192.0.2.10/.11;  atk 192.0.2.72 (raw socket: spoofs IPv4 sources)
#
# The attacker sends the server bubbles "from" 203.0.113.99:5555 (spoofed
# IPv4 source; the Teredo source embeds that mapping, so the server
# relays them to clA with it as origin indication).  A client that
# answers sends a direct bubble to 203.0.113.99:5555 from inside: a packet
# the site's ingress filter would never let the attacker send.  An nft
# counter in clA's namespace sees what clA sends there.
#   control (both builds): the same from 203.0.113.150:5556 (outside the
#           prefix) is answered: clA sends its bubble there;
#   normal: nothing goes to 203.0.113.99; drop.source-intranet-ipv4 counts;
#   weak:   clA sends its bubble to 203.0.113.99:5555.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=7
atk_begin intranet "swain$$"
echo "1..$PLAN"

PUB=198.51.100.34 INT=203.0.113.99 EXT=203.0.113.150
atk_client_world full-cone "$PUB" 10.34.0.0/24 192.0.2.72 \
    "IntranetPrefix 203.0.113.96/27"
nft_counter_add clA toint "ip daddr $INT udp dport 5555"
nft_counter_add clA toext "ip daddr $EXT udp dport 5556"

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address)
	i0=$(nft_counter clA toint) e0=$(nft_counter clA toext)
	d0=$(num clA clA drop.source-intranet-ipv4)
	atk atk spoof-bubble --via 192.0.2.10 --src-ep "$EXT:5556" --dst "$addr" \
	    --count 3 --interval 0.3 >/dev/null
	atk atk spoof-bubble --via 192.0.2.10 --src-ep "$INT:5555" --dst "$addr" \
	    --count 3 --interval 0.3 >/dev/null
	sleep 0.5
	i1=$(nft_counter clA toint) e1=$(nft_counter clA toext)
	d1=$(num clA clA drop.source-intranet-ipv4)
	check "$mode: control: clA answers a relayed bubble from $EXT:5556 (outside the prefix: $((e1 - e0)) packets)" \
	    test "$e1" -gt "$e0"
	if [ "$mode" = normal ]; then
		is "normal: clA sends nothing to the internal $INT:5555" "$((i1 - i0))" 0
		check "normal: drop.source-intranet-ipv4 counts the bubbles ($d0 -> $d1)" \
		    test "$d1" -gt "$d0"
	else
		check "weak (no HARD-4 check): clA sends packets to the internal $INT:5555 ($((i1 - i0)))" \
		    test "$i1" -gt "$i0"
		is "weak: nothing counted as source-intranet-ipv4" "$d1" 0
	fi
	atk_stop clA srv
done
tap_lab_end
atk_end "$PLAN"
