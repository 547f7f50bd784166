#!/usr/bin/env bash
# test_client2client.sh BUILD_DIR - Teredo to Teredo through real NATs
# (RFC 4380 §5.2.4 case 5, §5.2.6 bubbles; first end-to-end step of the
# client data path).  For each pair of cone NAT types, each client pings
# the other's Teredo address, each side starting first in turn; the
# packets must arrive, the server must have relayed only bubbles (the
# data goes straight between the NATs), and no drop may be counted.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft conntrack python3 ping
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

PAIRS=("full-cone port-restricted" "restricted port-restricted"
    "port-restricted port-restricted")
PLAN=$(( ${#PAIRS[@]} * 6 + 1 ))
PREFIX="swc2c$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"

state_is() { status_is "$1" "$1" state "$2"; }
drops() { lab_status "$1" "$1" --json 2>/dev/null | python3 -c '
import json, sys; print(sum(json.load(sys.stdin).get("drops", {}).values()))'; }
pings() { lab_exec "$1" ping -6 -q -c "$3" -i 0.2 -W 2 "$2" 2>/dev/null |
	awk '/received/ {print $4}'; }

lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_config srv server "ServerBindAddress 192.0.2.10" \
    "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_daemon srv srv
wait_for 5 state_is srv serving || { echo "# the server did not start"; }

i=0
for pair in "${PAIRS[@]}"; do
	read -r t1 t2 <<<"$pair"
	i=$((i + 1))
	a=a$i b=b$i
	lab_nat "na$i" "$t1" "198.51.100.$((10 + i))" "10.$((10 + i)).0.0/24"
	lab_nat "nb$i" "$t2" "203.0.113.$((10 + i))" "10.$((20 + i)).0.0/24"
	lab_client "$a" "na$i"
	lab_client "$b" "nb$i"
	lab_config "$a" client "ServerAddress 192.0.2.10" >/dev/null
	lab_config "$b" client "ServerAddress 192.0.2.10" >/dev/null
	lab_daemon "$a" "$a"
	lab_daemon "$b" "$b"
	check "$t1 & $t2: both clients qualified" \
	    eval 'wait_for 10 state_is '"$a"' qualified && wait_for 10 state_is '"$b"' qualified'
	aa=$(status_get "$a" "$a" address) ab=$(status_get "$b" "$b" address)
	relayed0=$(status_get srv srv relayed_udp)
	# Alternate which side speaks first (CLI-TX-5 from either end).
	if [ $((i % 2)) -eq 1 ]; then
		is "$t1 -> $t2: 5 of 5 echoes answered" "$(pings "$a" "$ab" 5)" 5
		is "$t2 -> $t1: 5 of 5 echoes answered" "$(pings "$b" "$aa" 5)" 5
	else
		is "$t2 -> $t1: 5 of 5 echoes answered" "$(pings "$b" "$aa" 5)" 5
		is "$t1 -> $t2: 5 of 5 echoes answered" "$(pings "$a" "$ab" 5)" 5
	fi
	relayed=$(( $(status_get srv srv relayed_udp) - relayed0 ))
	# Only indirect bubbles go through the server (one or two per
	# opening); the 20 data packets go straight between the NATs.
	check "$t1 & $t2: the server relayed only bubbles ($relayed)" \
	    test "$relayed" -ge 1 -a "$relayed" -le 4
	is "$t1 & $t2: no drop counted by either client" \
	    "$(drops "$a") $(drops "$b")" "0 0"
	tx=$(status_get "$a" "$a" tun_rx)
	check "$t1 & $t2: the host's packets went through the tunnel ($tx)" \
	    test "$tx" -ge 10
done
is "server: no drop counted" "$(drops srv)" 0

[ $n -eq "$PLAN" ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq "$PLAN" ]
