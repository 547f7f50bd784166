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
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=7
atk_begin routing-header "swarh$$"
echo "1..$PLAN"

PUB=198.51.100.33
atk_client_world full-cone "$PUB" 10.33.0.0/24 192.0.2.68

rh_drops() {
	echo $(($(num clA clA drop.routing-header-type0) + $(num clA clA fw.routing_header)))
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	wait_for 15 status_is clA clA state qualified
	addr=$(sj clA address)
	d0=$(rh_drops)
	out=$(atk atk rh0 --client "$PUB:40001" --dst "$addr" --server 192.0.2.10 \
	    --me 192.0.2.68 --wait 3)
	d1=$(rh_drops)
	check "$mode: control: the attacker's plain echo request to $addr is answered ($(jget "$out" control))" \
	    grep -qw icmp6-129 <<<"$(jget "$out" control)"
	if [ "$mode" = normal ]; then
		is "normal: no Parameter Problem (nor anything) reflected to the attacker" \
		    "$(jget "$out" attack)" ""
		check "normal: the RH0 packets were counted (drop.routing-header-type0 + fw.routing_header: $d0 -> $d1)" \
		    test "$d1" -ge $((d0 + 3))
	else
		check "weak (no RH0 defence): clA's host reflected an ICMPv6 Parameter Problem to the attacker ($(jget "$out" attack))" \
		    test "$(jget "$out" param_problem)" -ge 1
		is "weak: nothing counted as routing-header-type0" "$d1" 0
	fi
	atk_stop clA srv
done
tap_lab_end
atk_end "$PLAN"
