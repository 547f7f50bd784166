#!/usr/bin/env bash
# tests/attacks/test_edge.sh BUILD_DIR - bubble-to-open from an arbitrary
# IPv4 host toward a non-granted port (HARD-2, CVE-2006-6265;
# SW_DEFENCE(EDGE), WEAKEN=edge: the core's edge check and the
# firewall's edge chain).  Prints TAP.
#
#   clA 10.35.0.2:40001 --- natA (restricted, 198.51.100.35) --- br0
#       a TCP listener on [::]:8080 started by hand: no grant
#   srv 192.0.2.10/.11;  atk 192.0.2.73, any IPv4 host with a Teredo
#   address of its own (server 192.0.2.10, its real IP:port)
#
# The attacker sends clA an indirect bubble through the server; clA
# answers with a direct bubble, which opens its restricted NAT to the
# attacker (the "bubble-to-open"); the attacker then sends TCP SYNs to
# port 8080 directly.
#   normal: the NAT opens (bubbles are answered), but no SYN-ACK comes
#           back; drop.edge-not-granted (core) or fw.edge_denied counts;
#   weak:   the listener answers: the attacker gets a SYN-ACK.
# With tests/netns/lab.sh's lab_granted (when present) a granted listener
# on 8081 must answer in both builds (the edge lets granted flows in).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=9
atk_begin edge "swaed$$"
echo "1..$PLAN"

PUB=198.51.100.35
atk_client_world restricted "$PUB" 10.35.0.0/24 192.0.2.73

edge_drops() {
	echo $(($(num clA clA drop.edge-not-granted) + $(num clA clA fw.edge_denied)))
}
LISTEN='
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(64); time.sleep(3600)'
# 8080: started by hand, in no granted cgroup
lab_run clA python3 -c "$LISTEN" 8080
PORTS=8080 GRANTED=
if declare -F lab_granted >/dev/null && declare -F lab_cgroup_make >/dev/null; then
	# 8081: in cgroup "web", which clA's edge policy allows
	lab_cgroup_make web
	lab_edge_policy clA "$(lab_cgroup_rule web)"
	lab_granted clA web python3 -c "$LISTEN" 8081
	PORTS=8080,8081 GRANTED=8081
fi
wait_for 5 lab_exec clA sh -c "ss -ltn | grep -q ':8080 '"

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 4; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	wait_for 15 status_is clA clA state qualified
	[ -z "$GRANTED" ] || wait_for 5 status_is clA clA edge_listeners 1
	addr=$(sj clA address)
	d0=$(edge_drops)
	out=$(atk atk syn --server 192.0.2.10 --dst "$addr" --me 192.0.2.73 \
	    --ports "$PORTS" --wait 2)
	d1=$(edge_drops)
	diag "$mode: clA drops: $(status_drops clA clA)"
	is "$mode: the bubble opened clA's NAT to the attacker (clA answered it directly)" \
	    "$(jget "$out" opened)" true
	if [ -n "$GRANTED" ]; then
		is "$mode: control: the granted listener on $GRANTED answers SYN-ACK" \
		    "$(jget "$out" "synack.$GRANTED")" true
	else
		ok "$mode: control: granted listener # SKIP no lab_granted in tests/netns/lab.sh yet"
	fi
	if [ "$mode" = normal ]; then
		is "normal: no SYN-ACK (nor RST) from the non-granted port 8080" \
		    "$(jget "$out" synack.8080) $(jget "$out" rst.8080)" "false false"
		check "normal: the SYNs were counted (drop.edge-not-granted + fw.edge_denied: $d0 -> $d1)" \
		    test "$d1" -gt "$d0"
	else
		is "weak (no edge defence): the attacker's SYN to 8080 gets a SYN-ACK" \
		    "$(jget "$out" synack.8080)" true
		# (the firewall's counter may still count what its rule now
		# accepts; the core's drop counter must not count at all)
		is "weak: nothing dropped as edge-not-granted" \
		    "$(num clA clA drop.edge-not-granted)" 0
	fi
	atk_stop clA srv
done
tap_lab_end
atk_end "$PLAN"
