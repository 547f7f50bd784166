#!/usr/bin/env bash
# test_hsr.sh BUILD_DIR - the host-specific relay (RFC 4380 §5.4 as a
# host's own relay, spec HSR-1..7): a dual-stack host reaches a Teredo
# client directly, with no relay in the path.  Prints TAP.
#
#   cl  10.51.0.2 --- nat (port-restricted, 198.51.100.51) --- br0 (wan)
#   srv 192.0.2.10/.11 on br0, 2001:db8:6::1 on br6 (emits ping tests)
#   rly 192.0.2.20 on br0, 2001:db8:6::3 on br6: a public relay, running,
#       which must see nothing of this
#   hsr 192.0.2.30 on br0, 2001:db8:6::4 on br6 (dual stack); shipwormd
#       Role relay, HostSpecific yes: 2001::/32 routed to its own tunnel,
#       serving only 2001:db8:6::4/128 (HSR-4), direct bubbles (HSR-5)
#
# 1. hsr pings the client first: its relay bubbles (directly and through
#    the client's server), the client answers it directly, then ping-tests
#    hsr's native address through the server (CLI-RX-9); hsr's kernel
#    answers into its tunnel, and the reply goes straight to the client.
# 2. a fresh client pings hsr first (CLI-TX-2; hsr's reply bubbles).
# 3. a capture on the public relay's interfaces holds no Teredo datagram
#    and no packet of the client's address; the relay's status counts
#    nothing; hsr's status does.
# 4. HSR-4: hsr does not relay for others: a packet from the client to
#    another native address, sent to hsr's UDP port, is dropped
#    (destination-not-served).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft python3 ping tshark
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

PLAN=17
PREFIX="swhs$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"

N6=$LAB_N6 RLY6=$LAB_RLY6 HSR6=2001:db8:6::4
sj() { status_get "$1" "$2" "$3"; }
cnt() { status_num "$@"; }
replies() { lab_ping_replies "$@"; }

lab_relay_world
# hsr: a dual-stack host, public IPv4 and native IPv6
lab_host hsr 192.0.2.30
lab_native_join hsr "$HSR6"
lab_nat nat port-restricted 198.51.100.51 10.51.0.0/24
lab_client cl nat

lab_config srv server "ServerBindAddress 192.0.2.10" \
    "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_config rly relay "RelayAddress $RLY6" "BindAddress 192.0.2.20" >/dev/null
lab_config hsr relay "RelayAddress $HSR6" "HostSpecific yes" \
    "BindAddress 192.0.2.30" >/dev/null
lab_config cl client "ServerAddress 192.0.2.10" >/dev/null
HTUN=$(lab_ifname hsr)

lab_daemon srv srv
lab_daemon rly rly
lab_daemon hsr hsr
if wait_for 5 status_is srv srv state serving &&
    wait_for 5 status_is rly rly state relaying &&
    wait_for 5 status_is hsr hsr state relaying; then
	ok "server, public relay and host-specific relay up"
else
	not_ok "server, public relay and host-specific relay up" \
	    "$(lab_status hsr hsr 2>&1 | head -3 | tr '\n' ' ')"
fi
is "hsr status: host_specific yes, relay_address $HSR6, serves only that" \
    "$(sj hsr hsr host_specific) $(sj hsr hsr relay_address) $(sj hsr hsr served)" \
    "yes $HSR6 $HSR6/128"
is "hsr: 2001::/32 routed to its own tunnel $HTUN" \
    "$(lab_exec hsr ip -6 route show 2001::/32 | awk '{print $1, $2, $3}')" \
    "2001::/32 dev $HTUN"

# Everything the public relay's host sees from now on.
CAPW="$LAB_DIR/rly-wan.pcapng" CAP6="$LAB_DIR/rly-six.pcapng"
lab_capture rly wan "$CAPW"
lab_capture rly six "$CAP6"

client_up() {
	addr=
	lab_daemon cl cl
	if wait_for 15 status_is cl cl state qualified; then
		addr=$(sj cl cl address)
	fi
}

# 1. hsr first
client_up
if [ -n "$addr" ]; then ok "client qualified ($addr)"; else
	not_ok "client qualified" "$(lab_status cl cl 2>&1 | head -3 | tr '\n' ' ')"; fi
ADDRS=("$addr")
got=$(replies hsr "$addr" 5)
check "hsr pings the client first: ${got:-0}/5 replies" test "${got:-0}" -ge 3
is "the client trusts hsr at hsr's own IPv4 (no relay between)" \
    "$(cnt hsr hsr peers_trusted) $(cnt cl cl drop.ping-nonce-mismatch)" "1 0"
# 2. the client first (restarted: new address, no peers)
lab_kill "${LAB_DAEMON_PID[cl]}"
client_up
ADDRS+=("$addr")
got=$(replies cl "$HSR6" 5)
check "a fresh client pings hsr first: ${got:-0}/5 replies" test "${got:-0}" -ge 3
check "hsr sent direct bubbles too (HSR-5): $(cnt hsr hsr bubbles_sent) bubbles in $(cnt hsr hsr peers_trusted) rounds" \
    test "$(cnt hsr hsr bubbles_sent)" -ge 4
check "hsr carried both ways: $(cnt hsr hsr to_clients) to clients, $(cnt hsr hsr to_native) to the host" \
    test "$(cnt hsr hsr to_clients)" -ge 6 -a "$(cnt hsr hsr to_native)" -ge 6
# 4. HSR-4: not a relay for others.  A packet from the client's Teredo
# address to n6 (native, not served by hsr), sent from the client's
# service port (a raw socket: the daemon holds the port) so that the NAT
# maps it onto the mapping hsr trusts: the core's checks pass up to the
# destination, which hsr does not serve.
lport=$(sj cl cl local | sed 's/.*://')
lab_exec cl python3 - "$addr" "$N6" "$lport" <<'PY'
import socket, struct, sys
src = socket.inet_pton(socket.AF_INET6, sys.argv[1])
dst = socket.inet_pton(socket.AF_INET6, sys.argv[2])
sport = int(sys.argv[3])
# IPv6 header: no next header (59), 8 bytes of payload (not a bubble)
ip6 = struct.pack("!IHBB", 6 << 28, 8, 59, 64) + src + dst + bytes(8)
udp = struct.pack("!HHHH", sport, 3544, 8 + len(ip6), 0) + ip6  # no sum
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.sendto(udp, ("192.0.2.30", 0))
PY
served_drop() { [ "$(cnt hsr hsr drop.destination-not-served)" -ge 1 ]; }
check "HSR-4: a client's packet to another native host is refused (destination-not-served)" \
    wait_for 3 served_drop
is "HSR-4: ... and only that (no other drop at hsr)" \
    "$(lab_status hsr hsr --json | python3 -c 'import json,sys; print(sorted(k for k,v in json.load(sys.stdin).get("drops",{}).items() if v and k != "relay-destination-not-teredo"))')" \
    "['destination-not-served']"

# 3. the public relay saw nothing
lab_capture_stop
teredo_w=$(tshark -r "$CAPW" -Y 'udp' 2>/dev/null | wc -l)
filt="ipv6.addr == ${ADDRS[0]} || ipv6.addr == ${ADDRS[1]}"
teredo_6=$(tshark -r "$CAP6" -Y "$filt" 2>/dev/null | wc -l)
is "capture on the public relay's wan side: no UDP at all" "$teredo_w" 0
is "capture on the public relay's native side: no packet of the client's addresses" "$teredo_6" 0
is "public relay status: no peers, nothing received or sent" \
    "$(cnt rly rly peers) $(cnt rly rly udp_rx) $(cnt rly rly to_clients) $(cnt rly rly to_native)" "0 0 0 0"
is "hsr: no tunnel or UDP errors" \
    "$(cnt hsr hsr tun_tx_errors) $(cnt hsr hsr udp_tx_errors)" "0 0"

HPID=${LAB_DAEMON_PID[hsr]}
lab_kill "$HPID"
check "hsr exits on SIGTERM" lab_wait_pid "$HPID" 5
is "hsr's tunnel and route are gone" \
    "$(lab_exec hsr ip -o link show dev "$HTUN" 2>/dev/null | wc -l) $(lab_exec hsr ip -6 route show 2001::/32 | wc -l)" "0 0"

[ "$n" -eq "$PLAN" ] || diag "plan $PLAN, ran $n"
exit $((failed > 0))
