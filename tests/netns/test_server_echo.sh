#!/usr/bin/env bash
# tests/netns/test_server_echo.sh BUILD_DIR - the server's native IPv6 side
# end to end (SRV-FWD-3, SRV-FWD-4; the client's direct connectivity test,
# CLI-PING-*): the real shipwormd server, a native IPv6 host behind it, and
# a hand-made Teredo client (teredo_echo.py: our client has no data path
# yet) behind a port-restricted NAT.  Prints TAP.
#
#   cl  10.7.0.2 --- nat1 (port-restricted, 198.51.100.7) --- br0 (wan)
#   srv 192.0.2.10/.11 on br0; tunnel swsrv, 2001:0:c000:20a::/64 routed to it
#   n6  2001:db8:1::2 --- srv 2001:db8:1::1 (native link; 2001::/32 via srv)
#
# The client learns its mapping from an RA, sends an ICMPv6 Echo Request
# from its Teredo address to n6 through the server, which emits it on the
# native link; n6's kernel answers; the reply, routed to the server's
# tunnel, goes back over UDP from 192.0.2.10:3544 to the mapping.
# Negative: a request whose Teredo source does not match its UDP source
# (SRV-RX-5/7), and IPv6 UDP either way (SRV-RX-2, SRV-CFG-2), are not
# relayed, and nothing of them reaches the native link.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
B=${1:-build/default}

if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi
for t in ip nft tshark python3; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
if ! [ -x "$B/shipwormd" ] || ! [ -x "$B/shipworm" ]; then
	echo "1..0 # SKIP no $B/shipwormd or $B/shipworm (run make)"; exit 0
fi

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"
LAB_BIN=$(cd "$B" && pwd)
ECHO="$HERE/teredo_echo.py"

PLAN=27
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; local l; for l in "$@"; do echo "# $l"; done; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:      '$2'" "expected: '$3'"; fi; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d" "failed: $*"; fi; }

show_logs() {
	local f
	[ "$failed" -gt 0 ] || return 0
	for f in "$LAB_DIR"/*.log; do
		[ -f "$f" ] || continue
		echo "# ---- ${f##*/} (last 20 lines)"
		tail -20 "$f" | sed 's/^/#   /'
	done
}

ROOT_LINKS=$(ip -o link show | awk -F': ' '{print $2}' | sort)
PREFIX="swe$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT

echo "1..$PLAN"

lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_native6 n6 srv
lab_nat nat1 port-restricted 198.51.100.7 10.7.0.0/24
lab_client cl nat1
N6=${LAB_NATIVE6_ADDR[n6]}

lab_config srv server "ServerBindAddress 192.0.2.10" "SecondaryBindAddress 192.0.2.11" >/dev/null
TUN=$(lab_ifname srv)
CLIENTS=2001:0:c000:20a::/64

# sj KEY - one key of the server's JSON status; cnt KEY - the same, 0 when
# absent (drop counters appear once they count)
sj() { status_get srv srv "$1"; }
cnt() { local v; v=$(sj "$1") && [ -n "$v" ] && echo "$v" || echo 0; }
# echo_run MODE PORT - teredo_echo.py in the client namespace; JSON out
echo_run() { lab_exec cl python3 "$ECHO" --server 192.0.2.10 --bind "$2" --wait "${3:-2}" "$N6" "$1" 2>&1; }
jget() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null; }

# ---- the server and its tunnel ---------------------------------------------
lab_daemon srv srv
SPID=${LAB_DAEMON_PID[srv]}
route_there() { lab_exec srv ip -6 route show "$CLIENTS" dev "$TUN" | grep -q .; }
if wait_for 5 status_is srv srv state serving && wait_for 5 route_there; then
	ok "server up (state serving)"
else
	not_ok "server up (state serving)" "status: $(lab_status srv srv --json 2>&1 | tr '\n' ' ')"
fi
link=$(lab_exec srv ip -o link show dev "$TUN" 2>/dev/null)
check "server tunnel $TUN is up with MTU 1280" \
    grep -qE "<[^>]*\bUP\b[^>]*>.* mtu 1280 " <<<"$link"
is "server tunnel has no IPv6 address (no kernel link-local, COM-LL-3)" \
    "$(lab_exec srv ip -6 -o addr show dev "$TUN" | awk '{print $4}' | tr '\n' ' ')" ""
is "route $CLIENTS (our clients) via $TUN" \
    "$(lab_exec srv ip -6 route show "$CLIENTS" | awk '{print $1, $2, $3}')" "$CLIENTS dev $TUN"
is "status: relayed_ip6, relayed_udp and ip6_tx start at 0" "$(cnt relayed_ip6) $(cnt relayed_udp) $(cnt ip6_tx)" "0 0 0"
# The kernel's own MLD reports (from ::, for the all-routers groups of a
# forwarding host) come out of the tunnel too; the core drops them.
rx_start=$(cnt ip6_rx)

CAP="$LAB_DIR/native.pcapng"
lab_capture n6 eth0 "$CAP"
CAP_PID=$LAB_LAST_PID

# ---- the echo test ------------------------------------------------------------
out=$(echo_run echo 40001 3)
mapped=$(jget "$out" mapped) teredo=$(jget "$out" teredo)
case $mapped in
198.51.100.7:*) ok "RA: the client's mapping is on the NAT ($mapped)" ;;
*) not_ok "RA: the client's mapping is on the NAT" "output: $out" ;;
esac
is "the Teredo address embeds server 192.0.2.10 and the mapping, flags 0" \
    "$(lab_teredo_decode "$teredo" 2>/dev/null)" "192.0.2.10 ${mapped%:*} ${mapped##*:} 0x0000"
is "echo: the reply came back from 192.0.2.10:3544 with our payload" \
    "$(jget "$out" reply)" ok
[ "$(jget "$out" reply)" = ok ] || echo "# output: $out"
is "status: relayed_ip6 = ip6_tx = 1 (SRV-FWD-3, one packet out natively)" \
    "$(cnt relayed_ip6) $(cnt ip6_tx) $(cnt ip6_tx_errors)" "1 1 0"
check "status: ip6_rx went up (the reply read from the tunnel: $rx_start -> $(cnt ip6_rx))" \
    test "$(cnt ip6_rx)" -gt "$rx_start"
check "status: relayed_udp >= 1 (the reply to the client: $(cnt relayed_udp))" \
    test "$(cnt relayed_udp)" -ge 1

# ---- a Teredo source that is not the UDP source ---------------------------------
na0=$(cnt drop.server-not-accepted) rx0=$(cnt udp_rx)
out=$(echo_run spoof 40002)
spoofed=$(jget "$out" src)
case $(jget "$out" mapped) in
198.51.100.7:*) ok "spoof: the RA came (mapping $(jget "$out" mapped))" ;;
*) not_ok "spoof: the RA came" "output: $out" ;;
esac
is "spoof: no reply" "$(jget "$out" reply) $(jget "$out" received)" "none 0"
is "spoof: drop.server-not-accepted went up by 1 (SRV-RX-5/7)" \
    "$(($(cnt drop.server-not-accepted) - na0))" 1
is "spoof: nothing relayed (relayed_ip6, ip6_tx still 1)" "$(cnt relayed_ip6) $(cnt ip6_tx)" "1 1"
check "spoof: the server did receive it (udp_rx $rx0 -> $(cnt udp_rx))" \
    test "$(cnt udp_rx)" -ge $((rx0 + 2))

# ---- IPv6 UDP to the native host ---------------------------------------------------
nr0=$(cnt drop.server-not-bubble-or-icmpv6)
out=$(echo_run udp 40003)
m=$(jget "$out" mapped)
is "udp: the RA came, no reply" "${m%:*} $(jget "$out" reply) $(jget "$out" received)" "198.51.100.7 none 0"
is "udp: drop.server-not-bubble-or-icmpv6 went up by 1 (SRV-RX-2)" \
    "$(($(cnt drop.server-not-bubble-or-icmpv6) - nr0))" 1
is "udp: nothing relayed (relayed_ip6, ip6_tx still 1)" "$(cnt relayed_ip6) $(cnt ip6_tx)" "1 1"

# ---- IPv6 UDP from the native host to the client: read, not relayed -------------
nr0=$(cnt drop.server-not-bubble-or-icmpv6) ip0=$(cnt ip6_rx) ru0=$(cnt relayed_udp)
lab_exec n6 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"not for a Teredo server", (sys.argv[1], 40001))' "$teredo"
native_udp_seen() { [ "$(cnt drop.server-not-bubble-or-icmpv6)" -gt "$nr0" ]; }
wait_for 3 native_udp_seen
is "native UDP to the client: read from the tunnel (ip6_rx up), dropped (not relayable), not relayed" \
    "$(($(cnt ip6_rx) > ip0)) $(($(cnt drop.server-not-bubble-or-icmpv6) - nr0)) $(($(cnt relayed_udp) - ru0))" "1 1 0"

lab_capture_stop "$CAP_PID"

# ---- what the native link saw -----------------------------------------------------
tsh() { tshark -r "$CAP" -Y "$1" 2>/dev/null | wc -l; }
is "native link: one echo request from the Teredo address to $N6" \
    "$(tsh "icmpv6.type == 128 && ipv6.src == $teredo && ipv6.dst == $N6")" 1
is "native link: one echo reply from $N6 to the Teredo address" \
    "$(tsh "icmpv6.type == 129 && ipv6.src == $N6 && ipv6.dst == $teredo")" 1
is "native link: nothing from the spoofed source $spoofed" \
    "$(tsh "ipv6.src == $spoofed || ipv6.dst == $spoofed")" 0
is "native link: the only UDP is the native host's own datagram" \
    "$(tsh "udp && ipv6.src == 2001::/32") $(tsh "udp && ipv6.src == $N6")" "0 1"

# ---- stop: the tunnel and the route go --------------------------------------------
kill -TERM "$SPID"
wait "$SPID"
rc=$?
is "SIGTERM: the server exits 0" "$rc" 0
is "SIGTERM: the tunnel and the route are gone" \
    "$(lab_exec srv ip -o link show dev "$TUN" 2>/dev/null | wc -l) $(lab_exec srv ip -6 route show "$CLIENTS" | wc -l)" "0 0"

# ---- cleanup leaves nothing --------------------------------------------------------
show_logs
pids=("${LAB_PIDS[@]}")
for ns in "${LAB_NS[@]}"; do mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null); done
lab_cleanup
is "cleanup: no namespace or process left, root links unchanged" \
    "$(lab_leftovers "$PREFIX" "${pids[@]}" | tr '\n' ' ')$(ip -o link show | awk -F': ' '{print $2}' | sort)" "$ROOT_LINKS"

[ $n -eq $PLAN ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq $PLAN ]
