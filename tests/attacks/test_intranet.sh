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
# CLI-RX-5 by another path ([harden] item 11): atk also owns a native
# host, 2001:db8:6::66 on br6 (whose kernel ignores echo requests), and
# clA pings it.  clA's connectivity test (an echo request with a nonce,
# through srv) reaches atk, which answers it twice: at once in Teredo,
# "from" 203.0.113.99:3545 (spoofed; in the intranet prefix) straight to
# clA's mapping, then natively through the real relay rly (192.0.2.20,
# 2001::/32 via it).  nft counters see where clA sends the host's pings.
#   normal: the endpoint is refused (drop.source-intranet-ipv4), the
#           answer through rly trusts the peer there: the pings go to
#           rly, nothing to 203.0.113.99:3545;
#   weak:   the first answer wins: the host's pings go to
#           203.0.113.99:3545.
# 203.0.113.99 and .150 are hosts of the lab (int, ext): nothing is sent
# to an address that no namespace has.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=13
atk_begin intranet "swain$$"
echo "1..$PLAN"

PUB=198.51.100.34 INT=203.0.113.99 EXT=203.0.113.150
atk_client_world full-cone "$PUB" 10.34.0.0/24 192.0.2.72 \
    "IntranetPrefix 203.0.113.96/27"
lab_host int "$INT"
lab_host ext "$EXT"
lab_native_net
lab_native_join srv "$LAB_SRV6"
lab_relay rly 192.0.2.20 "$LAB_RLY6"
ATK6=2001:db8:6::66
lab_native_join atk "$ATK6" "$LAB_RLY6"
lab_exec atk sysctl -qw net.ipv6.icmp.echo_ignore_all=1
lab_config rly relay "RelayAddress $LAB_RLY6" "BindAddress 192.0.2.20" >/dev/null
nft_counter_add clA toint "ip daddr $INT udp dport 5555"
nft_counter_add clA toext "ip daddr $EXT udp dport 5556"
nft_counter_add clA toint6 "ip daddr $INT udp dport 3545"
nft_counter_add clA torly "ip daddr 192.0.2.20 udp dport 3544"

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 5; continue; }
	lab_daemon srv srv
	lab_daemon rly rly
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

	# item 11: the answer to a connectivity test from the intranet
	wait_for 5 status_is rly rly state relaying
	rdy="$LAB_DIR/ready.$mode"
	atk atk ping-steal --client "$(sj clA mapped)" --me6 "$ATK6" \
	    --spoof-ep "$INT:3545" --delay 0.3 --wait 5 --ready "$rdy" \
	    >"$LAB_DIR/steal.$mode" &
	spid=$!
	wait_for 5 test -e "$rdy"
	i0=$(nft_counter clA toint6) r0=$(nft_counter clA torly)
	d0=$(num clA clA drop.source-intranet-ipv4)
	lab_exec clA ping -6 -q -n -c 6 -i 0.5 -W 1 "$ATK6" >/dev/null 2>&1
	wait "$spid"
	i1=$(nft_counter clA toint6) r1=$(nft_counter clA torly)
	d1=$(num clA clA drop.source-intranet-ipv4)
	st=$(cat "$LAB_DIR/steal.$mode")
	diag "$mode: atk's native host: $st; clA sent $INT:3545 $((i1 - i0)), rly $((r1 - r0)); clA drops: $(status_drops clA clA)"
	check "$mode: clA's connectivity test reached atk's native host, which answered it both ways ($(jget "$st" tests) tests)" \
	    test "$(jget "$st" spoofed)" -ge 1 -a "$(jget "$st" genuine)" -ge 1
	if [ "$mode" = normal ]; then
		is "normal: clA sends the host's pings nowhere near the intranet endpoint $INT:3545" \
		    "$((i1 - i0))" 0
		check "normal: they go through the real relay ($((r1 - r0)) packets to 192.0.2.20:3544)" \
		    test $((r1 - r0)) -ge 4
		check "normal: the intranet endpoint's echo reply was counted (drop.source-intranet-ipv4 $d0 -> $d1)" \
		    test "$d1" -gt "$d0"
	else
		check "weak (no HARD-4 check at CLI-RX-5): the host's pings go to the intranet endpoint $INT:3545 ($((i1 - i0)))" \
		    test $((i1 - i0)) -ge 4
	fi
	atk_stop clA rly srv
done
tap_lab_end
atk_end "$PLAN"
