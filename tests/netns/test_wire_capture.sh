#!/usr/bin/env bash
# tests/netns/test_wire_capture.sh BUILD_DIR - capture the lab's wan bridge
# while two clients (behind a full-cone and a port-restricted NAT) qualify
# with our server, and check with tshark's Teredo dissector
# (--enable-heuristic teredo_udp) that every RS and RA we sent decodes
# with its authentication (nonce) and, for RAs, origin indication, and
# that nothing is malformed or draws an expert warning.  Prints TAP.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}

tap_require ip nft tshark python3
tap_require_bins "$B"

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

PLAN=15


PREFIX="sww$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"

lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_nat nat1 full-cone 198.51.100.1 10.1.0.0/24
lab_nat nat2 port-restricted 203.0.113.2 10.2.0.0/24
lab_client cl1 nat1
lab_client cl2 nat2
lab_config srv server "ServerBindAddress 192.0.2.10" "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_config cl1 client "ServerAddress 192.0.2.10" "RefreshInterval 10" >/dev/null
lab_config cl2 client "ServerAddress 192.0.2.10" "RefreshInterval 10" >/dev/null

st() { lab_status "$1" "$1" --json 2>/dev/null; }
state_is() { status_is "$1" "$1" state "$2"; }

CAP="$LAB_DIR/wan.pcapng"
lab_daemon srv srv
check "server up" wait_for 5 state_is srv serving
lab_capture wan br0 "$CAP"
CAP_PID=$LAB_LAST_PID
lab_daemon cl1 cl1
lab_daemon cl2 cl2
check "cl1 (full-cone) qualified" wait_for 10 state_is cl1 qualified
check "cl2 (port-restricted) qualified" wait_for 10 state_is cl2 qualified
map1=$(status_get cl1 cl1 mapped) map2=$(status_get cl2 cl2 mapped)
lab_capture_stop "$CAP_PID"
frames=$(tshark -r "$CAP" 2>/dev/null | wc -l)
check "the capture holds the exchange ($frames frames)" test "$frames" -ge 4

sum=$(python3 "$HERE/rsra_check.py" "$CAP" 192.0.2.10 192.0.2.11)
j() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$sum" "$1"; }
echo "# RS/RA summary: $sum"

is "each client's RSs and RAs are on the wire, from and to its NAT mapping" \
    "$(j '" ".join("%s rs>=1:%s ra>=1:%s" % (k, v["rs"] >= 1, v["ra"] >= 1) for k, v in sorted(d["clients"].items()))')" \
    "$(printf '%s rs>=1:True ra>=1:True\n' "$map1" "$map2" | sort | tr '\n' ' ' | sed 's/ $//')"
is "every RS decodes with an authentication header and 8-byte nonce ($(j 'd["rs"]') RSs)" "$(j 'd["rs_no_nonce"] if d["rs"] else "none captured"')" "[]"
is "every RA decodes with an authentication header and 8-byte nonce ($(j 'd["ra"]') RAs)" "$(j 'd["ra_no_nonce"] if d["ra"] else "none captured"')" "[]"
is "every RA decodes with an origin indication" "$(j 'd["ra_no_origin"] if d["ra"] else "none captured"')" "[]"
is "every RA echoes the nonce of an RS from the client it goes to" "$(j 'd["ra_nonce_unknown"] if d["ra"] else "none captured"')" "[]"
is "every RA's origin indication is its UDP destination (the mapping)" "$(j 'd["ra_origin_wrong"] if d["ra"] else "none captured"')" "[]"
is "every RS goes to a server address, port 3544, link-local to ff02::2, hop limit 255" "$(j 'd["rs_bad_dst"] if d["rs"] else "none captured"')" "[]"
is "every RA comes from a server address, port 3544, link-local, hop limit 255" "$(j 'd["ra_bad_src"] if d["ra"] else "none captured"')" "[]"
is "every RA's prefix is 2001:0:<server>::/64" "$(j 'd["ra_bad_prefix"] if d["ra"] else "none captured"')" "[]"

bad=$(tshark -r "$CAP" --enable-heuristic teredo_udp -Y "_ws.malformed || _ws.expert.severity >= warning" 2>/dev/null)
is "no malformed packet and no expert warning in the capture" "$bad" ""

pids=("${LAB_PIDS[@]}")
for ns in "${LAB_NS[@]}"; do mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null); done
show_logs
lab_cleanup
is "cleanup: no namespace or process left" "$(lab_leftovers "$PREFIX" "${pids[@]}" | tr '\n' ' ')" ""

[ $n -eq $PLAN ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq $PLAN ]
