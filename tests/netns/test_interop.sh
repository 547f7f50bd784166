#!/usr/bin/env bash
# tests/netns/test_interop.sh BUILD_DIR - interoperability with Debian's
# Miredo 1.2.6 in network namespaces behind real kernel NATs (nftables).
# Prints TAP.
#
# Phase 1: Miredo's server (miredo-server) on srv 192.0.2.10/.11, our
# clients behind it:
#   cl1  port-restricted  198.51.100.1   (qualifies, then refreshes)
#   cl2  full-cone        198.51.100.2   (qualifies, then refreshes)
#   cl5  symmetric        203.0.113.5    (must see the NAT as symmetric)
# Phase 2: Miredo stopped, our server (shipwormd) on the same srv address,
# Miredo's clients (miredo) behind it:
#   mc3  port-restricted  203.0.113.3
#   mc4  full-cone        203.0.113.4
# and mc3 pings mc4's Teredo address: Miredo's indirect bubble goes
# through our server, which must relay it with an origin indication.
# The wan bridge is captured throughout and checked with tshark's Teredo
# dissector (rsra_check.py, as in test_wire_capture.sh).
#
# Miredo: if miredo or miredo-server is missing, it is installed with
# apt-get while a /usr/sbin/policy-rc.d that exits 101 keeps the service
# from starting (ours is removed afterwards; an existing one is used as it
# is if it denies starts), and both services are then disabled at boot
# (update-rc.d ... disable).  SHIPWORM_NO_INSTALL=1: skip instead of
# installing.  A Miredo process in this (root) namespace that this test did
# not start makes the test skip; one that the install started is ended by
# its PID.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
PATH=$PATH:/usr/sbin:/sbin

tap_require ip nft conntrack tshark python3 ss
tap_require_bins "$B"
[ -c /dev/net/tun ] || { echo "1..0 # SKIP no /dev/net/tun (Miredo's client needs it)"; exit 0; }

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

# ---- Miredo: install if needed, never in the root namespace ------------------
# shellcheck source=tests/netns/miredo.sh
. "$HERE/miredo.sh"
miredo_require

# ---- TAP ---------------------------------------------------------------------

PLAN=48


ROOT_TABLES=$(nft list tables 2>/dev/null)
ROOT_LINKS=$(ip -o link show | awk -F': ' '{print $2}' | sort)
PREFIX="swi$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT

echo "1..$PLAN"
diag "Miredo $MIREDO_VERSION: $INSTALL_NOTE"

lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_nat nat1 port-restricted 198.51.100.1 10.1.0.0/24
lab_nat nat2 full-cone 198.51.100.2 10.2.0.0/24
lab_nat nat5 symmetric 203.0.113.5 10.5.0.0/24
lab_nat nat3 port-restricted 203.0.113.3 10.3.0.0/24
lab_nat nat4 full-cone 203.0.113.4 10.4.0.0/24
for i in 1 2 5; do lab_client "cl$i" "nat$i"; done
lab_client mc3 nat3
lab_client mc4 nat4

REFRESH=10
for c in cl1 cl2 cl5; do
	lab_config "$c" client "ServerAddress 192.0.2.10" "RefreshInterval $REFRESH" >/dev/null
done

st() { lab_status "$1" "$1" --json 2>/dev/null; }
sj() { status_get "$1" "$1" "$2"; }
state_is() { status_is "$1" "$1" state "$2"; }
# drops NAME - "reason=count ..." from daemon NAME's status, or "none"
drops() {
	st "$1" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    print("no status"); sys.exit()
print(" ".join("%s=%s" % kv for kv in sorted(d.get("drops", {}).items())) or "none")'
}
tun_addrs() { lab_teredo_addrs "$1" "$(lab_ifname "$1")"; }
# listening NS ADDR:PORT - something listens on UDP ADDR:PORT in NS
listening() { lab_exec "$1" ss -Hlun | awk '{print $4}' | grep -qx "$2"; }
# miredo_port NS - the local UDP port of the Miredo client in NS
miredo_port() {
	lab_exec "$1" ss -Hunap 2>/dev/null | awk '/"miredo"/ {print $4}' | sed 's/.*://' | head -1
}
# one_addr_in "ADDR " NET - exactly one address (as from lab_teredo_addrs
# | tr '\n' ' '), and in NET
one_addr_in() { [ "$1" = "${1%% *} " ] && in_net "${1%% *}" "$2"; }
in_net() { python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

CAP="$LAB_DIR/wan.pcapng"
lab_capture wan br0 "$CAP"
CAP_PID=$LAB_LAST_PID

# ==== phase 1: our clients, Miredo's server =====================================
miredo_run srv server miredo-server "ServerBindAddress 192.0.2.10" \
    "ServerBindAddress2 192.0.2.11"
MS_PID=$LAB_LAST_PID
ms_up() { listening srv 192.0.2.10:3544 && listening srv 192.0.2.11:3544; }
if wait_for 5 ms_up; then
	ok "miredo-server listens on 192.0.2.10:3544 and 192.0.2.11:3544 in namespace srv"
else
	not_ok "miredo-server listens on 192.0.2.10:3544 and 192.0.2.11:3544" "ss: $(lab_exec srv ss -Hlun | tr '\n' ' ')" "alive: $(lab_alive "$MS_PID" && echo yes || echo no)"
fi

T0=$(date +%s%N)
for c in cl1 cl2 cl5; do lab_daemon "$c" "$c"; done
# how long each of cl1 and cl2 takes to qualify (polled together)
declare -A QMS=([cl1]=timeout [cl2]=timeout)
for ((i = 0; i < 200; i++)); do
	for c in cl1 cl2; do
		[ "${QMS[$c]}" = timeout ] && state_is "$c" qualified &&
			QMS[$c]=$((($(date +%s%N) - T0) / 1000000))
	done
	[ "${QMS[cl1]}" != timeout ] && [ "${QMS[cl2]}" != timeout ] && break
	sleep 0.05
done

# check_ours NAME NAT - our client NAME qualified with Miredo's server
check_ours() {
	local c=$1 nat=$2 type=${LAB_NAT_TYPE[$2]} pub=${LAB_NAT_PUB[$2]}
	local mapped addr lp ct dec
	if [ "${QMS[$c]}" != timeout ]; then
		ok "$type: our client $c qualifies with miredo-server (${QMS[$c]} ms after start)"
	else
		not_ok "$type: our client $c qualifies with miredo-server within 10 s" "status: $(st "$c" | tr '\n' ' ')"
	fi
	is "$type: $c status: state, nat, reason, server, server_secondary" \
	    "$(sj "$c" state) $(sj "$c" nat) $(sj "$c" reason) $(sj "$c" server) $(sj "$c" server_secondary)" \
	    "qualified cone-or-restricted none 192.0.2.10 192.0.2.11"
	mapped=$(sj "$c" mapped) addr=$(sj "$c" address)
	lp=$(sj "$c" local); lp=${lp##*:}
	ct=$(lab_conntrack_mapped "$nat" "$lp" 192.0.2.10 | tr '\n' ' '); ct=${ct% }
	is "$type: $c mapped = the NAT's conntrack mapping ($pub:*)" "$mapped" "$ct"
	dec=$(lab_teredo_decode "$addr" 2>/dev/null)
	is "$type: $c address $addr embeds server 192.0.2.10 and the NAT's mapping" \
	    "$(echo "$dec" | awk '{print $1, $2 ":" $3}')" "192.0.2.10 $ct"
	is "$type: $c tunnel has exactly that address" "$(tun_addrs "$c" | tr '\n' ' ')" "$addr "
	is "$type: $c counted no drop of Miredo's packets" "$(drops "$c")" none
}
check_ours cl1 nat1
check_ours cl2 nat2

sym_seen() { status_is cl5 cl5 reason symmetric-nat; }
if wait_for 10 sym_seen; then
	ok "symmetric: our client cl5 tells the NAT is symmetric from miredo-server's two RAs"
else
	not_ok "symmetric: our client cl5 tells the NAT is symmetric" "status: $(st cl5 | tr '\n' ' ')"
fi
is "symmetric: cl5 state, nat, reason, no address" \
    "$(sj cl5 state) $(sj cl5 nat) $(sj cl5 reason) $(tun_addrs cl5 | tr '\n' ' ')" "offline symmetric symmetric-nat "
is "symmetric: cl5 counted no drop" "$(drops cl5)" none

# Refresh: each client's next RS to miredo-server is answered, and
# nothing changes.
declare -A RX0 ADDR0
for c in cl1 cl2; do RX0[$c]=$(sj "$c" udp_rx) ADDR0[$c]=$(sj "$c" address); done
refreshed() { local r; r=$(sj "$1" udp_rx) && [ "$r" -gt "${RX0[$1]}" ]; }
for c in cl1 cl2; do
	if wait_for $((REFRESH + 5)) refreshed "$c"; then
		ok "refresh: miredo-server answers $c's refresh (udp_rx ${RX0[$c]} -> $(sj "$c" udp_rx))"
	else
		not_ok "refresh: miredo-server answers $c's refresh within $((REFRESH + 5)) s" "status: $(st "$c" | tr '\n' ' ')"
	fi
	is "refresh: $c still qualified, same address, 1 qualification, 0 address changes, no drop" \
	    "$(sj "$c" state) $(sj "$c" address) $(sj "$c" qualifications) $(sj "$c" address_changes) $(drops "$c")" \
	    "qualified ${ADDR0[$c]} 1 0 none"
done
MAP_CL1=$(sj cl1 mapped) MAP_CL2=$(sj cl2 mapped)
is "the phase-1 daemons are still running (cl1 cl2 cl5 miredo-server)" \
    "$(for p in "${LAB_DAEMON_PID[cl1]}" "${LAB_DAEMON_PID[cl2]}" "${LAB_DAEMON_PID[cl5]}" "$MS_PID"; do lab_alive "$p" && echo -n y; done)" yyyy

# end phase 1: our clients and Miredo's server (by PID)
for p in "${LAB_DAEMON_PID[cl1]}" "${LAB_DAEMON_PID[cl2]}" "${LAB_DAEMON_PID[cl5]}" "$MS_PID"; do lab_kill "$p"; done
srv_empty() { [ -z "$(ip netns pids "$(lab_ns srv)")" ]; }
check "miredo-server is gone from namespace srv (TERM to PID $MS_PID)" wait_for 5 srv_empty

# ==== phase 2: Miredo's clients, our server ========================================
lab_config srv server "ServerBindAddress 192.0.2.10" "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_daemon srv srv
if wait_for 5 state_is srv serving; then
	ok "our server serves on 192.0.2.10 and .11 in namespace srv"
else
	not_ok "our server serves on 192.0.2.10 and .11" "status: $(st srv | tr '\n' ' ')"
fi

declare -A MC_PID
for c in mc3 mc4; do
	miredo_run "$c" "$c" miredo "RelayType client" "ServerAddress 192.0.2.10" \
	    "InterfaceName mteredo"
	MC_PID[$c]=$LAB_LAST_PID
done

# check_miredo NAME NAT - Miredo's client NAME qualified with our server
check_miredo() {
	local c=$1 nat=$2 type=${LAB_NAT_TYPE[$2]} pub=${LAB_NAT_PUB[$2]}
	local addrs addr lp ct dec
	mc_addr() { [ -n "$(lab_teredo_addrs "$1" mteredo)" ]; }
	if wait_for 10 mc_addr "$c"; then
		ok "$type: Miredo's client $c qualifies with our server (address on mteredo)"
	else
		not_ok "$type: Miredo's client $c qualifies with our server" \
		    "ip: $(lab_exec "$c" ip -6 -o addr | tr '\n' ' ')" "log: $(tail -3 "$LAB_DIR/miredo-$c.log" | tr '\n' ' ')"
	fi
	addrs=$(lab_teredo_addrs "$c" mteredo | tr '\n' ' '); addr=${addrs%% *}
	check "$type: $c has one global address, $addr, in 2001:0:c000:20a::/64" \
	    one_addr_in "$addrs" 2001:0:c000:20a::/64
	lp=$(miredo_port "$c")
	ct=$(lab_conntrack_mapped "$nat" "$lp" 192.0.2.10 | tr '\n' ' '); ct=${ct% }
	dec=$(lab_teredo_decode "$addr" 2>/dev/null)
	is "$type: $c address embeds our server 192.0.2.10 and the NAT's mapping ($pub:*, local port $lp)" \
	    "$(echo "$dec" | awk '{print $1, $2 ":" $3}')" "192.0.2.10 $ct"
	case $ct in "$pub":*) ;; *) diag "mapping '$ct' is not on $pub" ;; esac
	diag "$c: $addr flags $(echo "$dec" | awk '{print $4}')"
	eval "MAP_$c=\$ct ADDR_$c=\$addr"
}
check_miredo mc3 nat3
check_miredo mc4 nat4

rs=$(sj srv rs_answered) rx=$(sj srv udp_rx)
check "our server answered both Miredo clients' RSs (rs_answered $rs, udp_rx $rx)" test "${rs:-0}" -ge 2
is "our server counted no drop of Miredo's packets" "$(drops srv)" none

# mc3 pings mc4 over Teredo: Miredo's bubbles, relayed by our server
PING_PY='
import os, select, socket, struct, sys, time
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
ident, got = os.getpid() & 0xffff, 0
for seq in range(count):
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"shipworm-interop", (dst, 0))
    end = time.time() + 1.0
    while time.time() < end:
        if not select.select([s], [], [], max(0, end - time.time()))[0]:
            break
        d = s.recv(2000)
        if d[0] == 129 and struct.unpack("!HH", d[4:8]) == (ident, seq):
            got += 1
            break
print(got)'
relayed0=$(sj srv relayed_udp)
replies=$(lab_exec mc3 python3 -c "$PING_PY" "${ADDR_mc4:-::1}" 5 2>&1)
check "Miredo mc3 pings Miredo mc4's Teredo address through our server's bubble relay ($replies of 5 echoes answered)" \
    test "${replies:-0}" -ge 3 2>/dev/null
relayed=$(sj srv relayed_udp)
check "our server relayed Miredo's indirect bubble (relayed_udp ${relayed0:-?} -> ${relayed:-?})" \
    test "${relayed:-0}" -gt "${relayed0:-0}"
is "our server still counted no drop, and answers status" "$(drops srv) $(sj srv state)" "none serving"
is "Miredo's clients and our server still run" \
    "$(for p in "${MC_PID[mc3]}" "${MC_PID[mc4]}" "${LAB_DAEMON_PID[srv]}"; do lab_alive "$p" && echo -n y; done)" yyy

# ==== the wire ======================================================================
lab_capture_stop "$CAP_PID"
sum=$(python3 "$HERE/rsra_check.py" "$CAP" 192.0.2.10 192.0.2.11)
j() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$sum" "$1" 2>/dev/null; }
echo "# RS/RA summary: $sum"
clients_ok() {
	local m
	for m in "$@"; do
		[ "$(j "(d['clients'].get('$m', {}).get('rs', 0) >= 1, d['clients'].get('$m', {}).get('ra', 0) >= 1)")" = "(True, True)" ] || return 1
	done
}
check "wire: our clients' RSs to miredo-server and its RAs back ($MAP_CL1, $MAP_CL2)" clients_ok "$MAP_CL1" "$MAP_CL2"
check "wire: Miredo clients' RSs to our server and our RAs back (${MAP_mc3:-?}, ${MAP_mc4:-?})" clients_ok "${MAP_mc3:-?}" "${MAP_mc4:-?}"
is "wire: every RS (ours and Miredo's) decodes with an authentication header and 8-byte nonce ($(j 'd["rs"]') RSs)" "$(j 'd["rs_no_nonce"]')" "[]"
is "wire: every RA (Miredo's and ours) decodes with a nonce that an RS from its client carried ($(j 'd["ra"]') RAs)" \
    "$(j 'd["ra_no_nonce"] + d["ra_nonce_unknown"]')" "[]"
is "wire: every RA decodes with an origin indication equal to its UDP destination" "$(j 'd["ra_no_origin"] + d["ra_origin_wrong"]')" "[]"
is "wire: RS/RA addressing (server:3544, link-local, ff02::2, hop limit 255) and RA prefix 2001:0:c000:20a::/64" \
    "$(j 'd["rs_bad_dst"] + d["ra_bad_src"] + d["ra_bad_prefix"]')" "[]"

# the bubble mc3 sent our server, and the one we relayed to mc4's mapping
bub=$(tshark -r "$CAP" --enable-heuristic teredo_udp -Y "ipv6.nxt == 59 && ipv6.plen == 0" \
	-T fields -E separator=' ' -e ip.src -e udp.srcport -e ip.dst -e udp.dstport \
	-e teredo.orig.addr -e teredo.orig.port -e ipv6.dst 2>/dev/null)
to_srv=$(echo "$bub" | awk -v m="${MAP_mc3:-?}" -v a="${ADDR_mc4:-?}" '$1 ":" $2 == m && $3 == "192.0.2.10" && $4 == 3544 && $5 == a' | wc -l)
relayed_b=$(echo "$bub" | awk -v m="${MAP_mc3:-?}" -v t="${MAP_mc4:-?}" -v a="${ADDR_mc4:-?}" \
	'$1 == "192.0.2.10" && $2 == 3544 && $3 ":" $4 == t && $5 ":" $6 == m && $7 == a' | wc -l)
check "wire: Miredo's indirect bubble for mc4 reached our server ($to_srv) and we relayed it to mc4's mapping with origin = mc3's mapping ($relayed_b)" \
    test "$to_srv" -ge 1 -a "$relayed_b" -ge 1
if [ "$relayed_b" -lt 1 ]; then
	while read -r l; do diag "  bubble: $l"; done <<<"$bub"
fi
bad=$(tshark -r "$CAP" --enable-heuristic teredo_udp -Y "_ws.malformed || _ws.expert.severity >= warning" 2>/dev/null)
is "wire: no malformed packet and no expert warning" "$bad" ""

# ==== cleanup ======================================================================
show_logs
tap_lab_closing
is "cleanup: no Miredo in the root namespace" "$(root_miredo | tr '\n' ' ')" ""
is "cleanup: root namespace nftables tables unchanged" "$(nft list tables 2>/dev/null)" "$ROOT_TABLES"

[ $n -eq $PLAN ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq $PLAN ]
