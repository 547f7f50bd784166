#!/usr/bin/env bash
# tests/attacks/test_routing_header.sh BUILD_DIR - routing-header
# reflection through the client (D25, SEC-8, HARD-1, CVE-2006-6263;
# SW_DEFENCE(ROUTING_HEADER), WEAKEN=routing-header: the core's RH0 drop
# and the firewall's routing-header rule).  Prints TAP.
#
#   clA 10.33.0.2:40001 --- natA (full-cone, 198.51.100.33) --- br0
#   srv 192.0.2.10/.11;  atk 192.0.2.68, a direct Teredo peer with its
#   own Teredo address (server 192.0.2.10, mapping = its real IP:port)
#
# The attacker first sends clA's address a plain echo request (control:
# it is answered in both builds), then echo requests behind a type 0
# routing header (segments left 1, next hop 2001:db8:66::1): a host
# stack that processes it would forward it on, or - Linux - answer with an
# ICMPv6 Parameter Problem: the reflection the attacker looks for.
#   normal: nothing comes back; drop.routing-header-type0 (core) or
#           fw.routing_header (firewall) counts the packets;
#   weak:   the Parameter Problem from clA's host comes back through clA.
#
# Issue 10 item 10: every routing header is checked, not only the first.
#   rly 192.0.2.20 / 2001:db8:6::3, a relay; atk6 2001:db8:6::66 a native
#   attacker (2001::/32 via rly); srv also on br6 (2001:db8:6::1)
# a. atk sends clA the chain [RH2 SL0][RH0 SL1] (nft counts, in clA's
#    namespace, what of it comes out of clA's tunnel);
# b. atk6 pings clA through rly (control: answered in both builds), then
#    sends it echo requests behind RH0 with Segments Left 0: a packet
#    source-routed to the relay (the relay's address was the last hop);
# c. atk6 sends clA the chain through rly.
#   normal: a. dropped by clA's core (drop.routing-header-type0), nothing
#           out of the tunnel; b. and c. dropped by the relay
#           (drop.routing-header-type0 on rly), no reply;
#   weak:   a. and c. come out of clA's tunnel (to its host's stack); b.
#           is relayed and answered.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=15
atk_begin routing-header "swarh$$"
echo "1..$PLAN"

PUB=198.51.100.33
atk_client_world full-cone "$PUB" 10.33.0.0/24 192.0.2.68
lab_native_net
lab_native_join srv "$LAB_SRV6"
lab_relay rly 192.0.2.20 "$LAB_RLY6"
lab_native_join atk6 2001:db8:6::66 "$LAB_RLY6"
lab_config rly relay "RelayAddress $LAB_RLY6" "BindAddress 192.0.2.20" >/dev/null
# what of the chain (first routing header: type 2) leaves clA's tunnel
nft_counter_add clA rhchain "iifname \"$(lab_ifname clA)\" rt type 2" prerouting

rh_drops() {
	echo $(($(num clA clA drop.routing-header-type0) + $(num clA clA fw.routing_header)))
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 7; continue; }
	lab_daemon srv srv
	lab_daemon rly rly
	lab_daemon clA clA
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address)
	d0=$(rh_drops)
	c0=$(nft_counter clA rhchain)
	out=$(atk atk rh0 --client "$PUB:40001" --dst "$addr" --server 192.0.2.10 \
	    --me 192.0.2.68 --wait 3 --chain 3)
	d1=$(rh_drops) c1=$(nft_counter clA rhchain)
	check "$mode: control: the attacker's plain echo request to $addr is answered ($(jget "$out" control))" \
	    grep -qw icmp6-129 <<<"$(jget "$out" control)"
	if [ "$mode" = normal ]; then
		is "normal: no Parameter Problem (nor anything) reflected to the attacker" \
		    "$(jget "$out" attack)" ""
		check "normal: the RH0 and chain packets were counted (drop.routing-header-type0 + fw.routing_header: $d0 -> $d1)" \
		    test "$d1" -ge $((d0 + 6))
		is "normal: nothing of the chain [RH2 SL0][RH0 SL1] left clA's tunnel" \
		    "$((c1 - c0))" 0
	else
		check "weak (no RH0 defence): clA's host reflected an ICMPv6 Parameter Problem to the attacker ($(jget "$out" attack))" \
		    test "$(jget "$out" param_problem)" -ge 1
		is "weak: nothing counted as routing-header-type0" "$d1" 0
		check "weak: the chain [RH2 SL0][RH0 SL1] left clA's tunnel ($((c1 - c0)) of 3)" \
		    test $((c1 - c0)) -ge 1
	fi
	# through the relay, from the native side
	r0=$(num rly rly drop.routing-header-type0)
	sl0=$(atk atk6 rh6 --dst "$addr" --kind rh0-sl0 --count 3)
	r1=$(num rly rly drop.routing-header-type0) c1=$(nft_counter clA rhchain)
	ch=$(atk atk6 rh6 --dst "$addr" --kind chain --count 3)
	r2=$(num rly rly drop.routing-header-type0) c2=$(nft_counter clA rhchain)
	diag "$mode: via rly: RH0 SL0 $sl0; chain $ch; rly drop.routing-header-type0 $r0 -> $r1 -> $r2; chain out of clA's tunnel $((c2 - c1))"
	check "$mode: control: atk6's plain echo request through rly is answered ($(jget "$sl0" control))" \
	    test "$(jget "$sl0" control)" -ge 1
	if [ "$mode" = normal ]; then
		check "normal: a packet source-routed to the relay (RH0 SL0) is not relayed (replies $(jget "$sl0" replies), rly drop.routing-header-type0 $r0 -> $r1)" \
		    test "$(jget "$sl0" replies)" -eq 0 -a "$r1" -ge $((r0 + 3))
		check "normal: the relay drops the chain too (rly drop.routing-header-type0 $r1 -> $r2; out of clA's tunnel $((c2 - c1)))" \
		    test "$r2" -ge $((r1 + 3)) -a "$c2" -eq "$c1"
	else
		check "weak: the relay relays RH0 SL0 and clA answers ($(jget "$sl0" replies) of 3)" \
		    test "$(jget "$sl0" replies)" -ge 1
		check "weak: the chain passes the relay and clA's core ($((c2 - c1)) of 3 out of clA's tunnel)" \
		    test $((c2 - c1)) -ge 1
	fi
	atk_stop clA rly srv
done
tap_lab_end
atk_end "$PLAN"
