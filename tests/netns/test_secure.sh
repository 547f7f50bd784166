#!/usr/bin/env bash
# tests/netns/test_secure.sh BUILD_DIR - secure qualification end to end
# (RFC 4380 §5.2.2; CLI-SQ-1..6, SRV-RX-4 with D12, SRV-RA-6): a server
# with RequireAuth yes and a ClientKey for id 0a0b0c0d, and three clients,
# each behind its own NAT, in network namespaces.  Prints TAP.
#
#   srv  192.0.2.10/.11   RequireAuth yes, ClientKey 0a0b0c0d (+ one other)
#   clA  full-cone        198.51.100.1  ClientId 0a0b0c0d, the right key
#                                       -> qualifies
#   clB  port-restricted  203.0.113.2   ClientId 0a0b0c0d, the key without
#                                       its final newline (a wrong key)
#                                       -> never qualifies
#   clC  port-restricted  198.51.100.3  no ClientId (nonce only)
#                                       -> never qualifies
#
# The wan bridge is captured throughout; tshark's Teredo dissector must
# show clA's RSs and the server's RAs to clA with an authentication header
# of id length 4, authentication length 20 and the id, and the MACs in
# them are recomputed here from the key file (HMAC-SHA1 over nonce,
# confirmation byte, origin indication and IPv6 packet, CLI-SQ-4).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}

tap_require ip nft tshark python3
tap_require_bins "$B"

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

PLAN=21
ID=0a0b0c0d
PUB_A=198.51.100.1 PUB_B=203.0.113.2 PUB_C=198.51.100.3
# How long a client that gets no answer is watched (it sends an RS at
# once and again after 4 s while qualifying).
WATCH=6

ROOT_TABLES=$(nft list tables 2>/dev/null)
ROOT_LINKS=$(ip -o link show | awk -F': ' '{print $2}' | sort)
PREFIX="sws$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"

lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_nat natA full-cone "$PUB_A" 10.1.0.0/24
lab_nat natB port-restricted "$PUB_B" 10.2.0.0/24
lab_nat natC port-restricted "$PUB_C" 10.3.0.0/24
lab_client clA natA
lab_client clB natB
lab_client clC natC

# The key files, mode 0600 from the start.  The secret is the file byte
# for byte, its final newline included: clB's file lacks that newline,
# so its key is wrong.
(
	umask 077
	printf 'lab secret for 0a0b0c0d\n' >"$LAB_DIR/srv-$ID.key"
	printf 'lab secret for 0a0b0c0d\n' >"$LAB_DIR/clA.key"
	printf 'lab secret for 0a0b0c0d' >"$LAB_DIR/clB.key"
	printf 'another client\n' >"$LAB_DIR/srv-01020304.key"
)

lab_config srv server "ServerBindAddress 192.0.2.10" "SecondaryBindAddress 192.0.2.11" \
    "RequireAuth yes" "ClientKey 01020304 $LAB_DIR/srv-01020304.key" \
    "ClientKey $ID $LAB_DIR/srv-$ID.key" >/dev/null
lab_config clA client "ServerAddress 192.0.2.10" "RefreshInterval 10" \
    "ClientId $ID" "KeyFile $LAB_DIR/clA.key" >/dev/null
lab_config clB client "ServerAddress 192.0.2.10" "RefreshInterval 10" \
    "ClientId $ID" "KeyFile $LAB_DIR/clB.key" >/dev/null
lab_config clC client "ServerAddress 192.0.2.10" "RefreshInterval 10" >/dev/null

st() { lab_status "$1" "$1" --json 2>/dev/null; }
sj() { status_get "$1" "$1" "$2"; }
state_is() { status_is "$1" "$1" state "$2"; }
# the server's count of RSs dropped for their authentication (0 if none)
auth_drops() { local v; v=$(sj srv drop.server-rs-auth) || v=0; echo "${v:-0}"; }
auth_drops_above() { [ "$(auth_drops)" -gt "$1" ]; }
tun_addrs() { lab_teredo_addrs "$1" "$(lab_ifname "$1")"; }

modes=$(stat -c '%a' "$LAB_DIR"/*.key | sort -u | tr '\n' ' ')
is "key files are mode 0600" "$modes" "600 "

# ---- the server ------------------------------------------------------------
lab_daemon srv srv
if wait_for 5 state_is srv serving; then
	ok "server up with RequireAuth yes and two ClientKeys"
else
	not_ok "server up with RequireAuth yes and two ClientKeys" "status: $(st srv | tr '\n' ' ')"
fi
is "server status: require_auth" "$(sj srv require_auth)" yes

CAP="$LAB_DIR/wan.pcapng"
lab_capture wan br0 "$CAP"
CAP_PID=$LAB_LAST_PID

# ---- A: the right key ------------------------------------------------------
lab_daemon clA clA
if wait_for 10 state_is clA qualified; then
	ok "A (ClientId $ID, right key) qualifies"
else
	not_ok "A (ClientId $ID, right key) qualifies" "status: $(st clA | tr '\n' ' ')"
fi
addrA=$(sj clA address)
is "A: one Teredo address on its tunnel, from 192.0.2.10" \
    "$(tun_addrs clA | tr '\n' ' ')$(lab_teredo_decode "$addrA" 2>/dev/null | awk '{print $1}')" \
    "$addrA 192.0.2.10"
is "server: no RS dropped for its authentication while A qualified" "$(auth_drops)" 0

# ---- B: the same id, a wrong key --------------------------------------------
d0=$(auth_drops)
lab_daemon clB clB
if wait_for 5 auth_drops_above "$d0"; then
	ok "B (same id, wrong key): server drops its RS (drop.server-rs-auth $d0 -> $(auth_drops))"
else
	not_ok "B (same id, wrong key): server drops its RS" "drop.server-rs-auth: $(auth_drops)" "server: $(st srv | tr '\n' ' ')"
fi
sleep "$WATCH"
check "B: its state is not qualified after ${WATCH} s ($(sj clB state))" test "$(sj clB state)" != qualified
is "B: never qualified, no Teredo address" "$(sj clB qualifications) $(tun_addrs clB | tr '\n' ' ')" "0 "

# ---- C: no ClientId (nonce only) ---------------------------------------------
d1=$(auth_drops)
lab_daemon clC clC
if wait_for 5 auth_drops_above "$d1"; then
	ok "C (no ClientId): server drops its RS as server-rs-auth ($d1 -> $(auth_drops))"
else
	not_ok "C (no ClientId): server drops its RS as server-rs-auth" "drop.server-rs-auth: $(auth_drops)" "server: $(st srv | tr '\n' ' ')"
fi
sleep "$WATCH"
check "C: its state is not qualified after ${WATCH} s ($(sj clC state))" test "$(sj clC state)" != qualified
is "C: never qualified, no Teredo address" "$(sj clC qualifications) $(tun_addrs clC | tr '\n' ' ')" "0 "
is "A: still qualified" "$(sj clA state)" qualified

lab_capture_stop "$CAP_PID"

# ---- the wire ---------------------------------------------------------------
# auth FILTER: the distinct "idlen,aulen,id" of the matching Teredo
# packets, space-separated ("" when none matches).
auth() {
	tshark -r "$CAP" --enable-heuristic teredo_udp -Y "$1" -T fields \
	    -E separator=, -e teredo.auth.idlen -e teredo.auth.aulen \
	    -e teredo.auth.id 2>/dev/null | tr -d ':' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# count FILTER: how many packets match.
count() {
	tshark -r "$CAP" --enable-heuristic teredo_udp -Y "$1" 2>/dev/null | wc -l
}
RS_A="icmpv6.type == 133 && ip.src == $PUB_A"
RA_A="icmpv6.type == 134 && ip.dst == $PUB_A"
nrsA=$(count "$RS_A") nraA=$(count "$RA_A")
is "wire: A's RSs ($nrsA) carry idlen 4, aulen 20 and id $ID" "$(auth "$RS_A")" "4,20,$ID"
is "wire: the server's RAs to A ($nraA) carry idlen 4, aulen 20 and id $ID" "$(auth "$RA_A")" "4,20,$ID"
is "wire: B's RSs carry the id and a MAC, C's neither" \
    "$(auth "icmpv6.type == 133 && ip.src == $PUB_B") / $(auth "icmpv6.type == 133 && ip.src == $PUB_C")" \
    "4,20,$ID / 0,0,"
is "wire: no RA went to B or C" \
    "$(count "icmpv6.type == 134 && (ip.dst == $PUB_B || ip.dst == $PUB_C)")" 0

# The MACs, recomputed from the key file: A's RSs and the RAs to A.
macs=$(tshark -r "$CAP" --enable-heuristic teredo_udp \
    -Y "(icmpv6.type == 133 && ip.src == $PUB_A) || (icmpv6.type == 134 && ip.dst == $PUB_A)" \
    -T fields -e icmpv6.type -e udp.payload 2>/dev/null |
    python3 -c '
import hashlib, hmac, sys
key = open(sys.argv[1], "rb").read()
good = bad = 0
for line in sys.stdin:
    typ, hexp = line.split()
    p = bytes.fromhex(hexp.replace(":", ""))
    # auth header: 0x0001, id len, au len, id, au, nonce (8), conf (1)
    assert p[0:2] == b"\x00\x01", p[:4].hex()
    idl, aul = p[2], p[3]
    mac = p[4 + idl:4 + idl + aul]
    rest = p[4 + idl + aul:]
    nonce, conf, rest = rest[:8], rest[8:9], rest[9:]
    origin = b""
    if rest[0:2] == b"\x00\x00":	# origin indication (8 bytes)
        origin, rest = rest[:8], rest[8:]
    want = hmac.new(key, nonce + conf + origin + rest, hashlib.sha1).digest()
    if aul == 20 and hmac.compare_digest(mac, want):
        good += 1
    else:
        bad += 1
print(good, bad)
' "$LAB_DIR/srv-$ID.key")
macs_ok() { [ "${macs% *}" -ge 2 ] 2>/dev/null && [ "${macs#* }" -eq 0 ] 2>/dev/null; }
check "wire: every MAC to and from A verifies with the key file ($macs: good bad)" macs_ok

# ---- cleanup leaves nothing ---------------------------------------------------
show_logs
pids=("${LAB_PIDS[@]}")
for c in srv clA clB clC; do pids+=("${LAB_DAEMON_PID[$c]}"); done
for ns in "${LAB_NS[@]}"; do mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null); done
lab_cleanup
is "cleanup: no namespace or process left (${#pids[@]} PIDs checked)" "$(lab_leftovers "$PREFIX" "${pids[@]}" | tr '\n' ' ')" ""
is "cleanup: root namespace links unchanged" "$(ip -o link show | awk -F': ' '{print $2}' | sort)" "$ROOT_LINKS"
is "cleanup: root namespace nftables tables unchanged" "$(nft list tables 2>/dev/null)" "$ROOT_TABLES"

[ $n -eq $PLAN ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq $PLAN ]
