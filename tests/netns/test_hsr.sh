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
# 5. The host's security model (issue 10 item 16): hsr's tunnel is a
#    Teredo interface of the host.  With a table of the firewall's name in
#    the way, hsr stays down (state stopped, link down, no 2001::/32
#    route); once it is gone, the table is made and verified and hsr comes
#    up.  From the client that pinged it: a listener hsr's edge policy
#    grants (cgroup) answers, one started by hand does not
#    (drop.edge-not-granted), nor does a UDP port.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft python3 ping tshark nsenter
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

PLAN=25
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

# 5. listeners on hsr (its policy is read at start): 8081 in a cgroup
# the edge policy allows, 8080 and
# UDP 5300 started by hand (no grant)
LISTEN='
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(64); time.sleep(3600)'
UDPLISTEN='
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(2048); s.sendto(d, a)'
lab_cgroup_make web
lab_edge_policy hsr "$(lab_cgroup_rule web)"
lab_granted hsr web python3 -c "$LISTEN" 8081
lab_run hsr python3 -c "$LISTEN" 8080
lab_run hsr python3 -c "$UDPLISTEN" 5300
# 5. no firewall table, no interface: a table of its name is in the way
FWT="shipworm_$HTUN"
lab_exec hsr nft add table inet "$FWT"
lab_daemon srv srv
lab_daemon rly rly
lab_daemon hsr hsr
wait_for 5 status_is hsr hsr firewall missing
is "5. hsr without its firewall table: stopped, link down, no 2001::/32 route" \
    "$(sj hsr hsr state) $(lab_exec hsr ip -o link show dev "$HTUN" | grep -c ',UP') $(lab_exec hsr ip -6 route show 2001::/32 | wc -l)" \
    "stopped 0 0"
lab_exec hsr nft delete table inet "$FWT"
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
is "5. ... then the table is made and verified: firewall active, table inet $FWT" \
    "$(sj hsr hsr firewall) $(lab_exec hsr nft list tables | grep -c "^table inet $FWT\$")" \
    "active 1"

check "5. hsr grants the listener on 8081 only: edge_ports tcp/8081" \
    wait_for 5 status_is hsr hsr edge_ports tcp/8081

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
# 5. the client pinged hsr (its kernel answered: no solicitation)
CONNECT='
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); print("connected")
except Exception as e:
    print("refused" if isinstance(e, ConnectionRefusedError) else "timeout")'
UDPASK='
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"hello", (sys.argv[1], int(sys.argv[2])))
try:
    s.recvfrom(100); print("answered")
except Exception:
    print("timeout")'
is "5. the client reaches hsr's granted listener (8081) through hsr" \
    "$(lab_exec cl python3 -c "$CONNECT" "$HSR6" 8081)" connected
e0=$(cnt hsr hsr drop.edge-not-granted)
is "5. ... but not the listener started by hand (8080), nor UDP 5300" \
    "$(lab_exec cl python3 -c "$CONNECT" "$HSR6" 8080) $(lab_exec cl python3 -c "$UDPASK" "$HSR6" 5300)" \
    "timeout timeout"
e1=$(cnt hsr hsr drop.edge-not-granted)
check "5. ... refused by hsr's engine and counted (drop.edge-not-granted $e0 -> $e1, flow_refused $(cnt hsr hsr flow_refused))" \
    test "$e1" -gt "$e0" -a "$(cnt hsr hsr flow_refused)" -ge "$e1"
is "5. hsr: the host's flows are counted, none refused as fragments" \
    "$(test "$(cnt hsr hsr flows)" -ge 1 && echo flows) $(cnt hsr hsr fragment_refused)" "flows 0"
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
is "HSR-4: ... and only that (no other drop at hsr but section 5's)" \
    "$(lab_status hsr hsr --json | python3 -c 'import json,sys; print(sorted(k for k,v in json.load(sys.stdin).get("drops",{}).items() if v and k not in ("relay-destination-not-teredo", "edge-not-granted")))')" \
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
is "5. ... and its firewall table with it" \
    "$(lab_exec hsr nft list tables | grep -c "^table inet $FWT\$")" 0

[ "$n" -eq "$PLAN" ] || diag "plan $PLAN, ran $n"
exit $((failed > 0))
