#!/usr/bin/env bash
# test_relay.sh BUILD_DIR - the relay role end to end (RFC 4380 §5.4, the
# client's §5.2.3 case 6 and §5.2.9 ping test): a native IPv6 host and
# Teredo clients behind each cone NAT type, through our server and our
# relay.  Prints TAP.
#
#   clN 10.N.0.2 --- natN (full-cone / restricted / port-restricted,
#                          198.51.100.N) --- br0 (wan, IPv4)
#   srv 192.0.2.10/.11 on br0, 2001:db8:6::1 on br6
#   rly 192.0.2.20 on br0 (port 3544), 2001:db8:6::3 on br6, tunnel
#       swrly with 2001::/32 routed to it, IPv6 forwarding on
#   n6  2001:db8:6::2 on br6 (native IPv6), 2001::/32 via the relay
#
# Per NAT type, each with a client that has talked to nobody:
#  1. the native host speaks first: n6 pings the client.  The relay
#     queues, bubbles through the client's server; the client answers
#     the relay; the relay flushes; the client, seeing a native source it
#     never contacted (CLI-RX-9), queues the request and ping-tests n6
#     through the server; n6's reply comes back through the relay, which
#     trusts the client, and the request is delivered and answered.
#  2. the client speaks first (a restarted client: a new address, no
#     peers): it pings n6 (CLI-TX-2: ping test through the server; n6's
#     reply to it goes through the relay, which bubbles first).
#  3. a 20 MB file served over TCP by n6 is fetched by the client through
#     the relay, and arrives with the right SHA-256.
# Then: the relay's status (peers, flushed, bubbles) and no drop that
# should not be; the relay's tunnel and route; everything gone after
# SIGTERM.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft python3 ping sha256sum
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"
BLOB="$HERE/tcp_blob.py"

TYPES=(full-cone restricted port-restricted)
PLAN=$(( 7 + ${#TYPES[@]} * 6 + 9 ))

PREFIX="swrl$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"

N6=$LAB_N6 RLY6=$LAB_RLY6
sj() { status_get "$1" "$2" "$3"; }
cnt() { status_num "$@"; }
nonzero_drops() { status_drops "$@"; }
replies() { lab_ping_replies "$@"; }

# ---- the world ------------------------------------------------------------
lab_relay_world
i=0
for t in "${TYPES[@]}"; do
	i=$((i + 1))
	lab_nat "nat$i" "$t" "198.51.100.$((10 + i))" "10.$((40 + i)).0.0/24"
	lab_client "cl$i" "nat$i"
	lab_config "cl$i" client "ServerAddress 192.0.2.10" >/dev/null
done
lab_config srv server "ServerBindAddress 192.0.2.10" \
    "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_config rly relay "RelayAddress $RLY6" "BindAddress 192.0.2.20" \
    "PeerTableSize 4096" >/dev/null
RTUN=$(lab_ifname rly)

lab_daemon srv srv
lab_daemon rly rly
if wait_for 5 status_is srv srv state serving &&
    wait_for 5 status_is rly rly state relaying; then
	ok "server serving, relay relaying"
else
	not_ok "server serving, relay relaying" "$(lab_status rly rly 2>&1 | head -5 | tr '\n' ' ')"
fi
is "relay status: role relay, local 192.0.2.20:3544, not host-specific" \
    "$(sj rly rly role) $(sj rly rly local) $(sj rly rly host_specific)" \
    "relay 192.0.2.20:3544 no"
is "relay status: relay_address $RLY6, serves ::/0, no peers yet of 4096 (PeerTableSize)" \
    "$(sj rly rly relay_address) $(sj rly rly served) $(sj rly rly peers) $(sj rly rly peers_max)" "$RLY6 ::/0 0 4096"
txt=$(lab_status rly rly 2>&1)
check "shipworm status (text): Type relay, Relay Type public, Served ::/0" \
    grep -qzE 'Type +: relay.*Relay Type +: public.*Served Prefixes +: ::/0' <<<"$txt"
is "relay tunnel $RTUN: up, MTU 1280, queue 4096, no address of its own" \
    "$(lab_exec rly ip -o link show dev "$RTUN" | grep -oE 'UP|mtu 1280|qlen 4096' | sort -u | tr '\n' ' ')$(lab_exec rly ip -6 -o addr show dev "$RTUN" | wc -l)" \
    "UP mtu 1280 qlen 4096 0"
is "route 2001::/32 via $RTUN on the relay (REL-GEN-1)" \
    "$(lab_exec rly ip -6 route show 2001::/32 | awk '{print $1, $2, $3}')" \
    "2001::/32 dev $RTUN"

ping1() { lab_exec "$1" ping -6 -q -c 1 -W 2 "$2" >/dev/null; }
check "native link works (n6 pings the relay's native address)" \
    ping1 n6 "$RLY6"

head -c $((20 * 1024 * 1024)) /dev/urandom >"$LAB_DIR/blob"
WANT=$(sha256sum "$LAB_DIR/blob" | awk '{print $1}')
PORT=8080

# client_up NAME - start client NAME (in this shell: its PID is
# recorded), wait for its address; sets addr ("" when it did not qualify)
client_up() {
	addr=
	lab_daemon "$1" "$1"
	if wait_for 15 status_is "$1" "$1" state qualified; then
		addr=$(sj "$1" "$1" address)
	fi
}

i=0
for t in "${TYPES[@]}"; do
	i=$((i + 1))
	cl=cl$i
	# 1. the native host first
	client_up "$cl"
	if [ -z "$addr" ]; then
		not_ok "$t: client qualified" "$(lab_status "$cl" "$cl" 2>&1 | head -3 | tr '\n' ' ')"
	else
		ok "$t: client qualified ($addr)"
	fi
	got=$(replies n6 "$addr" 5)
	check "$t: the native host pings the client first: ${got:-0}/5 replies" \
	    test "${got:-0}" -ge 3
	is "$t: the client ping-tested the native host (CLI-RX-9), nothing dropped" \
	    "$(nonzero_drops "$cl" "$cl")" ""
	# 2. the client first: a restarted client, nothing known
	lab_kill "${LAB_DAEMON_PID[$cl]}"
	client_up "$cl"
	got=$(replies "$cl" "$N6" 5)
	check "$t: the client pings the native host first: ${got:-0}/5 replies" \
	    test "${got:-0}" -ge 3
	# 3. 20 MB over TCP, served by the native host
	lab_run n6 python3 "$BLOB" serve "$PORT" "$LAB_DIR/blob"
	spid=$LAB_LAST_PID
	wait_for 5 lab_exec n6 sh -c "ss -ltn | grep -q ':$PORT '"
	out=$(lab_exec "$cl" python3 "$BLOB" fetch "$N6" "$PORT" --timeout 30 2>&1)
	is "$t: 20 MB over TCP from the native host arrive whole (SHA-256)" \
	    "$out" "$((20 * 1024 * 1024)) $WANT"
	diag "$t: client udp_rx $(cnt "$cl" "$cl" udp_rx), coalesced buffers $(cnt "$cl" "$cl" udp_rx_coalesced); relay udp_tx $(cnt rly rly udp_tx)"
	lab_wait_pid "$spid" 5 2>/dev/null || lab_kill "$spid"
	is "$t: the address still embeds the NAT's mapping, via our server" \
	    "$(lab_teredo_decode "$addr" | awk '{print $1, $2}')" \
	    "192.0.2.10 198.51.100.$((10 + i))"
	PORT=$((PORT + 1))
done

# ---- the relay's view -------------------------------------------------------
check "relay: clients trusted ($(cnt rly rly peers_trusted)), queues flushed ($(cnt rly rly flushed))" \
    test "$(cnt rly rly peers_trusted)" -ge 6 -a "$(cnt rly rly flushed)" -ge 6
check "relay: bubbles sent ($(cnt rly rly bubbles_sent)), packets both ways ($(cnt rly rly to_clients)/$(cnt rly rly to_native))" \
    test "$(cnt rly rly bubbles_sent)" -ge 6 -a "$(cnt rly rly to_clients)" -gt 14000 -a "$(cnt rly rly to_native)" -gt 1000
# The kernel's own MLD reports for the tunnel (to ff02::16, from ::) are
# read from it too, and refused as not Teredo: the only drops allowed.
is "relay: no packet dropped but the kernel's MLD reports" \
    "$(nonzero_drops rly rly | tr ' ' '\n' | grep -v '^relay-destination-not-teredo=' | tr '\n' ' ')" ""
is "relay: no tunnel or UDP errors" \
    "$(cnt rly rly tun_tx_errors) $(cnt rly rly udp_tx_errors) $(cnt rly rly tun_rx_errors)" "0 0 0"

# ---- a client that never answers: ICMPv6 Destination Unreachable --------------
# A Teredo address on nat1's public address, at a port nat1 has not
# mapped: the NAT drops the bubbles, the relay gives up after 4 rounds
# (8 s) and tells n6 the address is unreachable (code 3, rate-limited).
NOBODY=$(lab_teredo_addr 192.0.2.10 198.51.100.11 9)
out=$(lab_exec n6 ping -6 -n -c 1 -W 12 "$NOBODY" 2>&1)
check "an unanswered client: n6 hears 'Address unreachable' from the relay" \
    grep -q "From $RLY6.*Address unreachable" <<<"$out"
[ "$failed" -eq 0 ] || diag "ping: $(tr '\n' ' ' <<<"$out")"
is "relay: one entry expired, one error sent" \
    "$(cnt rly rly peers_expired) $(cnt rly rly unreachable_sent)" "1 1"
# The same from a client: its own peer never answers (CLI-TX-8).
NOBODY2=$(sed 's/:fff6:/:fff5:/' <<<"$NOBODY")
addr3=$(sj cl3 cl3 address)
out=$(lab_exec cl3 ping -6 -n -c 1 -W 12 "$NOBODY2" 2>&1)
check "an unanswered Teredo peer: the client's host hears 'Address unreachable' (CLI-TX-8)" \
    grep -q "From $addr3.*Address unreachable" <<<"$out"

# ---- shut down ----------------------------------------------------------------
RPID=${LAB_DAEMON_PID[rly]}
lab_kill "$RPID"
check "relay exits on SIGTERM" lab_wait_pid "$RPID" 5
is "relay tunnel and route gone" \
    "$(lab_exec rly ip -o link show dev "$RTUN" 2>/dev/null | wc -l) $(lab_exec rly ip -6 route show 2001::/32 | wc -l)" "0 0"

[ "$n" -eq "$PLAN" ] || diag "plan $PLAN, ran $n"
exit $((failed > 0))
