#!/usr/bin/env bash
# test_discovery.sh BUILD_DIR - local client discovery end to end (RFC 4380
# §5.2.8, §5.2.3 cases 4/5, §5.2.4 case 3; spec §6 DISC-1..9, SEC-4).
# Prints TAP.
#
# Three clients share one LAN (a bridge inside the NAT's namespace) behind
# one port-restricted NAT, which does not hairpin: a and b run with the
# default LocalDiscovery yes, d with LocalDiscovery no.
#  - a and b find each other by their discovery bubbles (224.0.0.253:3544)
#    and exchange pings over the LAN: a capture on a's LAN link shows the
#    echoes between their LAN addresses; a capture on the NAT's wan side
#    shows none of that traffic (no datagram carrying IPv6 between their
#    Teredo addresses, none from the NAT's public address to itself) and
#    the server relays nothing for them.
#  - d, without discovery, cannot reach a (its bubbles need the NAT to
#    hairpin): the control that shows what discovery buys; its bubbles are
#    on the wan capture (the capture's positive control).
#  - Forged discovery bubbles injected into the LAN from the NAT's box are
#    dropped and counted (SEC-4): from an off-link IPv4 source
#    (discovery-off-link), embedding another NAT's address
#    (discovery-foreign-mapping), from a non-Teredo source
#    (discovery-source-not-teredo), sent by unicast to a's service port
#    (discovery-via-unicast); a well-formed one from the same injector is
#    accepted and answered by a and b with a unicast bubble (DISC-7),
#    which shows that the rejected ones did reach the daemons.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft python3 ping tshark
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

PLAN=32
PREFIX="swdisc$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"

PUB=198.51.100.10
LANNET=10.10.0
OFFLINK=10.99.0.1

sj() { status_get "$1" "$1" "$2"; }
state_is() { status_is "$1" "$1" state "$2"; }
num() { local v; v=$(sj "$1" "$2") || v=0; echo "${v:-0}"; }
pings() { lab_exec "$1" ping -6 -q -c "$3" -i 0.2 -W 2 "$2" 2>/dev/null |
	awk '/received/ {print $4}'; }
# nonzero_drops NAME - "reason=count ..." of the nonzero drop counters
nonzero_drops() { status_drops "$1" "$1"; }
disc_drops() { echo "$(num "$1" drop.discovery-via-unicast)" \
	"$(num "$1" drop.discovery-source-not-teredo)" \
	"$(num "$1" drop.discovery-off-link)" \
	"$(num "$1" drop.discovery-foreign-mapping)"; }
# tcount FILE FILTER - frames of a capture matching a display filter
# The heuristic alone misses some datagrams between two service ports
# (neither is 3544): once a's and b's ports are known they are decoded as
# Teredo explicitly (DECODE).
DECODE=()
tcount() { tshark -r "$1" --enable-heuristic teredo_udp "${DECODE[@]}" -Y "$2" 2>/dev/null | wc -l; }

# lan_bridge NAT NAME... - the NAT's LAN as a bridge "lan" (the name its
# nftables rules use) with LAN address .1, and a host per NAME at .2, .3,
# ... on it, default route via the NAT.  (lab_client gives each client a
# LAN of its own.)
lan_bridge() {
	local nat=$1 natns ns i=2 name port; shift
	natns=$(lab_ns "$nat")
	ip -n "$natns" link add lan type bridge || lab_die "bridge lan failed"
	ip -n "$natns" link set lan type bridge mcast_snooping 0
	# A plain switch: bridged frames must not go through the NAT's
	# forward chain (br_netfilter is built in here; its default policy
	# there is drop for anything but lan -> wan).
	ip netns exec "$natns" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null ||
		ip -n "$natns" link set lan type bridge nf_call_iptables 0
	ip -n "$natns" addr add "$LANNET.1/24" dev lan
	ip -n "$natns" link set lan up
	for name in "$@"; do
		lab_netns "$name"
		ns=$(lab_ns "$name")
		port="l-$name"; port=${port:0:15}
		ip -n "$natns" link add "$port" type veth peer name eth0 netns "$ns" ||
			lab_die "veth $port failed"
		ip -n "$natns" link set "$port" master lan up
		ip -n "$ns" addr add "$LANNET.$i/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add default via "$LANNET.1"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
		# shellcheck disable=SC2034 # lab.sh's table
		LAB_CLIENT_NAT[$name]=$nat
		i=$((i + 1))
	done
}

# inject ARGS... - forge discovery bubbles from the NAT's box (see the
# script); prints what came back.
inject() {
	lab_exec nat python3 - "$@" <<'EOF'
import ipaddress, socket, struct, sys, time

def teredo(server, ip, port, flags=0):
    b = (bytes.fromhex("20010000") + ipaddress.IPv4Address(server).packed +
         flags.to_bytes(2, "big") + (port ^ 0xFFFF).to_bytes(2, "big") +
         bytes(x ^ 0xFF for x in ipaddress.IPv4Address(ip).packed))
    return ipaddress.IPv6Address(b)

def bubble(src, dst, hlim=1):
    return (struct.pack("!IHBB", 6 << 28, 0, 59, hlim) +
            ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed)

# inject KIND SRC_IP4 [DST_IP4:PORT]
kind, src4 = sys.argv[1], sys.argv[2]
pub = "198.51.100.10"
srcs = {
    "good": teredo("192.0.2.10", pub, 40000, 0x0100),
    "offlink": teredo("192.0.2.10", pub, 40001),
    "foreign": teredo("192.0.2.10", "203.0.113.99", 40002),
    "native": ipaddress.IPv6Address("2001:db8::1"),
    "unicast": teredo("192.0.2.10", pub, 40003),
}
src6 = srcs[kind]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src4, 40000))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src4))
if len(sys.argv) > 3:
    host, port = sys.argv[3].rsplit(":", 1)
    dst = (host, int(port))
else:
    dst = ("224.0.0.253", 3544)
s.sendto(bubble(src6, "ff02::1"), dst)
# DISC-7: accepted bubbles are answered with a unicast bubble to us
s.settimeout(0.2)
answers = []
end = time.time() + 1.5
while time.time() < end:
    try:
        data, frm = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(data) >= 40 and data[0] >> 4 == 6 and data[6] == 59:
        if ipaddress.IPv6Address(data[24:40]) == src6:
            answers.append(frm[0])
print(" ".join(sorted(answers)))
EOF
}

# ---- the world ---------------------------------------------------------------
lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_config srv server "ServerBindAddress 192.0.2.10" \
    "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_daemon srv srv
wait_for 5 status_is srv srv state serving || echo "# the server did not start"
lab_nat nat port-restricted "$PUB" "$LANNET.0/24"
lan_bridge nat a b d
lab_config a client "ServerAddress 192.0.2.10" >/dev/null
lab_config b client "ServerAddress 192.0.2.10" "LocalDiscovery yes" >/dev/null
lab_config d client "ServerAddress 192.0.2.10" "LocalDiscovery no" >/dev/null
# a's link is captured from the start: the announcements are on it
CAPW=$LAB_DIR/wan.pcapng CAPL=$LAB_DIR/lan-a.pcapng
lab_capture a eth0 "$CAPL"; capl=$LAB_LAST_PID
for c in a b d; do lab_daemon "$c" "$c"; done

all_qualified() { state_is a qualified && state_is b qualified && state_is d qualified; }
check "a, b and d qualified behind one NAT" wait_for 10 all_qualified
is "discovery: on for a (default) and b, off for d (LocalDiscovery no)" \
    "$(sj a discovery) $(sj b discovery) $(sj d discovery)" "on on off"
ma=$(sj a mapped) mb=$(sj b mapped)
is "a and b share the NAT's public address (${ma} ${mb})" \
    "${ma%:*} ${mb%:*}" "$PUB $PUB"
A=$(sj a address) Bd=$(sj b address) D=$(sj d address)
diag "a $A, b $Bd, d $D"

# ---- a and b find each other --------------------------------------------------
found() { [ "$(num a discovery_accepted)" -ge 1 ] && [ "$(num b discovery_accepted)" -ge 1 ]; }
check "a and b accepted each other's discovery bubbles" wait_for 10 found
check "each announced itself at least once (sent a $(num a discovery_sent), b $(num b discovery_sent))" \
    test "$(num a discovery_sent)" -ge 1 -a "$(num b discovery_sent)" -ge 1

lab_capture nat wan "$CAPW"; capw=$LAB_LAST_PID
relayed0=$(num srv relayed_udp)
is "a -> b over the LAN: 5 of 5 echoes answered" "$(pings a "$Bd" 5)" 5
is "b -> a over the LAN: 5 of 5 echoes answered" "$(pings b "$A" 5)" 5
is "the server relayed nothing for them" "$(( $(num srv relayed_udp) - relayed0 ))" 0
# control: d has no discovery; a is behind its own NAT, which does not
# hairpin: its bubbles go out to the server and a's answers are lost
is "control: d (no discovery) -> a: 0 of 2 echoes answered" "$(pings d "$A" 2)" 0
lab_capture_stop "$capl"
lab_capture_stop "$capw"

AB="(ipv6.src == $A && ipv6.dst == $Bd) || (ipv6.src == $Bd && ipv6.dst == $A)"
aport=$(sj a local); aport=${aport##*:}
bport=$(sj b local); bport=${bport##*:}
DECODE=(-d "udp.port==$aport,teredo" -d "udp.port==$bport,teredo")
# Echo datagrams (IPv6 104 bytes: ping's 56-byte payload) between a's
# and b's LAN endpoints.  A queue flushed as one UDP GSO send shows in the
# capture as one frame of several datagrams: count datagrams, not frames.
lan_ab=$(tshark -r "$CAPL" -Y "ip.addr == $LANNET.2 && ip.addr == $LANNET.3 && udp.port == $aport && udp.port == $bport" \
    -T fields -e udp.length 2>/dev/null |
    awk '{ n = $1 - 8; if (n > 0 && n % 104 == 0) s += n / 104 } END { print s + 0 }')
check "LAN capture: the echoes between a and b went between their LAN addresses ($lan_ab)" \
    test "$lan_ab" -ge 20
# §6 table: IPv4 TTL 1, UDP from the service port to 3544, IPv6 from the
# Teredo address to ff02::1, no next header, no payload, hop limit 1
DG="ip.dst == 224.0.0.253 && udp.dstport == 3544"
DOK="$DG && ip.ttl == 1 && ipv6.dst == ff02::1 && ipv6.nxt == 59 && ipv6.plen == 0 && ipv6.hlim == 1"
da=$(tcount "$CAPL" "$DOK && ip.src == $LANNET.2 && udp.srcport == $aport && ipv6.src == $A")
db=$(tcount "$CAPL" "$DOK && ip.src == $LANNET.3 && udp.srcport == $bport && ipv6.src == $Bd")
dall=$(tcount "$CAPL" "$DG")
check "LAN capture: a's and b's discovery bubbles, as in §6 (a $da, b $db)" \
    test "$da" -ge 1 -a "$db" -ge 1
is "LAN capture: nothing else went to 224.0.0.253:3544" "$dall" "$((da + db))"
is "wan capture: no packet between a's and b's Teredo addresses" "$(tcount "$CAPW" "$AB")" 0
is "wan capture: no datagram from the NAT's public address to itself" \
    "$(tcount "$CAPW" "ip.src == $PUB && ip.dst == $PUB")" 0
is "wan capture: no discovery bubble leaves the LAN" \
    "$(tcount "$CAPW" "ip.dst == 224.0.0.253 || ipv6.dst == ff02::1")" 0
dwan=$(tcount "$CAPW" "ipv6.src == $D && ipv6.dst == $A && ipv6.nxt == 59")
check "wan capture (its control): d's bubbles to a are there ($dwan)" test "$dwan" -ge 1

is "a and b counted no discovery drop (via-unicast not-teredo off-link foreign)" \
    "$(disc_drops a) | $(disc_drops b)" "0 0 0 0 | 0 0 0 0"
other() { nonzero_drops "$1" | tr ' ' '\n' | grep -v -E '^$|^(client-not-ready|source-mapping-mismatch)=' | tr '\n' ' '; }
is "a and b counted no other drop than the start-up ones" "$(other a)$(other b)" ""
diag "drops: a [$(nonzero_drops a)] b [$(nonzero_drops b)] d [$(nonzero_drops d)]"
is "d counted no discovery drop (it has no discovery socket)" "$(disc_drops d)" "0 0 0 0"

# ---- forged discovery bubbles (SEC-4) -------------------------------------------
ip -n "$(lab_ns nat)" addr add "$OFFLINK/24" dev lan
acc_a=$(num a discovery_accepted) acc_b=$(num b discovery_accepted)
is "off-link source ($OFFLINK): no answer" "$(inject offlink "$OFFLINK")" ""
is "off-link: counted by a and b (discovery-off-link)" \
    "$(num a drop.discovery-off-link) $(num b drop.discovery-off-link)" "1 1"
is "another NAT's mapping: no answer" "$(inject foreign "$LANNET.1")" ""
is "another NAT's mapping: counted by a and b (discovery-foreign-mapping)" \
    "$(num a drop.discovery-foreign-mapping) $(num b drop.discovery-foreign-mapping)" "1 1"
is "non-Teredo source: no answer" "$(inject native "$LANNET.1")" ""
is "non-Teredo source: counted by a and b (discovery-source-not-teredo)" \
    "$(num a drop.discovery-source-not-teredo) $(num b drop.discovery-source-not-teredo)" "1 1"
is "by unicast to a's service port: no answer" \
    "$(inject unicast "$LANNET.1" "$LANNET.2:$aport")" ""
is "by unicast: counted by a (discovery-via-unicast), not b" \
    "$(num a drop.discovery-via-unicast) $(num b drop.discovery-via-unicast)" "1 0"
is "none of them accepted" \
    "$(( $(num a discovery_accepted) - acc_a )) $(( $(num b discovery_accepted) - acc_b ))" "0 0"
is "a well-formed one from the same injector: a and b answer (DISC-7)" \
    "$(inject good "$LANNET.1")" "$LANNET.2 $LANNET.3"
# (each then announces itself to the newcomer, and hears the other's
# announcement too: 1 or more)
check "... and accept it" test "$(( $(num a discovery_accepted) - acc_a ))" -ge 1 -a \
    "$(( $(num b discovery_accepted) - acc_b ))" -ge 1
is "d stayed out of it (no discovery counters, no discovery drop)" \
    "$(sj d discovery_accepted)|$(disc_drops d)" "|0 0 0 0"

# ---- cleanup leaves nothing ---------------------------------------------------
show_logs
tap_lab_end

[ $n -eq "$PLAN" ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq "$PLAN" ]
