#!/usr/bin/env bash
# test_guard.sh BUILD_DIR - the Teredo security model end to end (issue
# [guard], doc/security.md): edge traversal through a real NAT, our
# server and our relay; the firewall table's life; dormancy.  Prints TAP.
#
#   cl1 10.61.0.2 --- nat1 (port-restricted, 198.51.100.61) --- br0 (wan)
#   cl2 10.62.0.2 --- nat2 (restricted, 198.51.100.62) ------- br0
#   srv 192.0.2.10/.11, rly 192.0.2.20, n6 2001:db8:6::2 (native IPv6)
#
#  1. Edge traversal (cl1): TCP listeners in three cgroups, each on its
#     own port: "ok" (allow cgroup), "no" (no rule: deny), "app" (defer:
#     the listener hands its socket over the edge socket).  From the
#     native host n6, through the relay and the client's NAT: ok and app
#     answer, no gets nothing (its SYN is dropped and counted, the
#     listener never accepts).  A connection cl1 opens to n6 works both
#     ways (replies always pass).
#  2. The table: `nft flush ruleset` in cl1's namespace leaves it; `nft
#     delete table` and `nft add rule` on it fail; SIGKILL of the daemon
#     removes the table and the interface.
#  3. Dormancy (cl2, DormantAfter 3, RefreshInterval 10): idle with no
#     granted listener -> dormant, address deprecated; no RS leaves in 12
#     s of dormancy (capture on the NAT's wan side), while RSs did leave
#     while it qualified; an outgoing ping re-qualifies and is answered.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft python3 ping tshark nsenter
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"
BLOB="$HERE/tcp_blob.py"

PREFIX="swgd$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
if ! lab_cgroup_root >/dev/null; then
	echo "1..0 # SKIP no cgroup2 hierarchy"
	exit 0
fi
echo "1..38"

N6=$LAB_N6
sj() { status_get "$1" "$2" "$3"; }
cnt() { status_num "$@"; }

# ---- the world ------------------------------------------------------------
lab_relay_world
lab_nat nat1 port-restricted 198.51.100.61 10.61.0.0/24
lab_client cl1 nat1
lab_nat nat2 restricted 198.51.100.62 10.62.0.0/24
lab_client cl2 nat2
lab_config cl1 client "ServerAddress 192.0.2.10" >/dev/null
lab_config cl2 client "ServerAddress 192.0.2.10" "DormantAfter 3" \
    "RefreshInterval 10" >/dev/null
lab_config srv server "ServerBindAddress 192.0.2.10" \
    "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_config rly relay "RelayAddress $LAB_RLY6" "BindAddress 192.0.2.20" >/dev/null
TUN1=$(lab_ifname cl1) TUN2=$(lab_ifname cl2)
FWT="shipworm_$TUN1"

lab_cgroup_make ok
lab_cgroup_make no
lab_cgroup_make app
lab_edge_policy cl1 "$(lab_cgroup_rule ok allow)" "$(lab_cgroup_rule app defer)"

lab_daemon srv srv
lab_daemon rly rly
wait_for 5 status_is srv srv state serving
wait_for 5 status_is rly rly state relaying

# cl2's qualification is captured from the start (RSs while qualifying).
CAPQ="$LAB_DIR/nat2-qualify.pcap"
lab_capture nat2 wan "$CAPQ"
CAPQ_PID=$LAB_LAST_PID
lab_daemon cl1 cl1
lab_daemon cl2 cl2
if wait_for 20 status_is cl1 cl1 state qualified &&
    wait_for 20 status_is cl2 cl2 state qualified; then
	ok "both clients qualified behind their NATs, firewall active"
else
	not_ok "both clients qualified" "cl1 $(sj cl1 cl1 state) cl2 $(sj cl2 cl2 state)"
fi
is "cl1: firewall=active" "$(sj cl1 cl1 firewall)" active
A1=$(lab_teredo_addrs cl1 "$TUN1" | head -1)

# ---- 1. edge traversal ------------------------------------------------------
# serve.py PORT TAG [EDGE_SOCKET]: accept, send TAG, close; with an edge
# socket, first hand the listening socket over it (defer-to-app) and
# print the answer.  Each accept is logged in $LAB_DIR/accept.TAG.
SERVE_PY='
import array, socket, sys
port, tag = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", port)); s.listen(8)
if len(sys.argv) > 3:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(sys.argv[3])
    c.sendmsg([b"hand\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                             array.array("i", [s.fileno()]))])
    print("hand: " + c.recv(200).decode().strip(), flush=True)
    c.close()
while True:
    a, _ = s.accept()
    open("'"$LAB_DIR"'/accept." + tag, "a").write("accept\n")
    a.sendall(tag.encode() + b"\n"); a.close()
'
EDGE_SOCK="${LAB_CONF_SOCK[cl1]%.sock}.edge"
lab_granted cl1 ok python3 -c "$SERVE_PY" 8001 granted
lab_granted cl1 no python3 -c "$SERVE_PY" 8002 denied
lab_granted cl1 app python3 -c "$SERVE_PY" 8003 deferred "$EDGE_SOCK" \
    >"$LAB_DIR/app.out" 2>&1
ports() { lab_status cl1 cl1 --json 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin).get("edge_ports", ""))'; }
wait_for 10 sh -c '[ -s "$1" ]' sh "$LAB_DIR/app.out"
wait_for 10 eval '[[ "$(ports)" == *tcp/8001* && "$(ports)" == *tcp/8003* ]]'
sleep 1.2	# one more listener round: tcp/8002 had its chance
is "defer-to-app: the edge socket accepted the handed listener" \
    "$(head -1 "$LAB_DIR/app.out")" "hand: ok"
is "granted listeners: tcp/8001 (allowed cgroup) and tcp/8003 (handed over); not tcp/8002" \
    "$(ports)" "tcp/8001,tcp/8003"

# get ADDR PORT TIMEOUT: what the listener sends, from n6.
GET_PY='
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(float(sys.argv[3]))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print(s.recv(100).decode().strip())
except OSError as e:
    print("error: %s" % e)
'
get() { lab_exec n6 python3 -c "$GET_PY" "$@" 2>&1; }
# First from n6 as a stranger: the core's edge check refuses the SYN
# to tcp/8002 before the tunnel (CVE-2006-6265, no ping test either).
out=$(get "$A1" 8002 6)
check "n6 (never contacted) -> cl1 tcp/8002 (no grant): no answer ($out)" \
    eval '[[ "$out" == error:* ]]'
check "the core dropped it, counted as edge-not-granted ($(cnt cl1 cl1 drop.edge-not-granted))" \
    test "$(cnt cl1 cl1 drop.edge-not-granted)" -ge 1
g0=$(cnt cl1 cl1 fw.edge_granted)
out=$(get "$A1" 8001 15)
is "n6 -> cl1 tcp/8001 (granted cgroup) through relay and NAT: answered" "$out" granted
out=$(get "$A1" 8003 15)
is "n6 -> cl1 tcp/8003 (deferred, handed over): answered" "$out" deferred
sleep 1.2	# the parent reads the counters once a second
check "the firewall's edge_granted counter saw those new flows ($g0 -> $(cnt cl1 cl1 fw.edge_granted))" \
    test "$(cnt cl1 cl1 fw.edge_granted)" -ge $((g0 + 2))
# n6 is now a peer cl1 has answered, on other flows: the core's per-flow
# check ([harden]) or the firewall (socket lookup: no grant) stops the SYN.
f0=$(( $(cnt cl1 cl1 fw.edge_denied) + $(cnt cl1 cl1 drop.edge-not-granted) ))
out=$(get "$A1" 8002 6)
sleep 1.2
f1=$(( $(cnt cl1 cl1 fw.edge_denied) + $(cnt cl1 cl1 drop.edge-not-granted) ))
check "n6 (answered before) -> cl1 tcp/8002: no answer, dropped by the engine or the firewall ($f0 -> $f1; $out)" \
    eval '[[ "$out" == error:* ]] && [ "$f1" -gt "$f0" ]'
check "the tcp/8002 listener never accepted a connection" \
    test ! -e "$LAB_DIR/accept.denied"

# Replies always pass: cl1 opens a connection to n6 and fetches a file.
head -c 2000000 /dev/urandom >"$LAB_DIR/blob"
lab_run n6 python3 "$BLOB" serve 9000 "$LAB_DIR/blob" --count 1
sleep 0.5
want=$(sha256sum <"$LAB_DIR/blob" | cut -d' ' -f1)
got=$(lab_exec cl1 python3 "$BLOB" fetch "$N6" 9000 --timeout 20 2>&1 | tail -1 | awk '{ print $NF }')
is "cl1 -> n6 (a connection cl1 opened): 2 MB back, right SHA-256" "$got" "$want"

# ---- 1b. marks and identity (issue 10 items 13, 14) --------------------------
# edge.py EDGE_SOCKET TAG OP...: L PORT (a listener, the current socket),
# M DIR (move this process to cgroup directory DIR), H (hand the current
# socket over, print "hand PORT: ANSWER"), K MARK|copy (SO_MARK on the
# current socket: a value, or the mark of the socket handed last); then
# accept on every listener, sending TAG.
EDGE_PY='
import array, os, select, socket, sys
edge, tag, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
ls, cur, last = [], None, 0
while ops:
    op = ops.pop(0)
    if op == "L":
        cur = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        cur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        cur.bind(("::", int(ops.pop(0)))); cur.listen(8); ls.append(cur)
    elif op == "M":
        open(ops.pop(0) + "/cgroup.procs", "w").write(str(os.getpid()))
    elif op == "H":
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(edge)
        c.sendmsg([b"hand\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                 array.array("i", [cur.fileno()]))])
        print("hand %d: %s" % (cur.getsockname()[1],
                               c.recv(200).decode().strip()), flush=True)
        c.close()
        last = cur.getsockopt(socket.SOL_SOCKET, socket.SO_MARK)
    elif op == "K":
        v = ops.pop(0)
        cur.setsockopt(socket.SOL_SOCKET, socket.SO_MARK,
                       last if v == "copy" else int(v, 0))
print("ready", flush=True)
while True:
    r, _, _ = select.select(ls, [], [])
    for s in r:
        a, _ = s.accept()
        a.sendall(("%s%d\n" % (tag, s.getsockname()[1])).encode()); a.close()
'
CGR=$(lab_cgroup_root)
CG_APP="$CGR$(lab_cgroup_path app)" CG_NO="$CGR$(lab_cgroup_path no)"
# 13: a listener that sets the daemon's old fixed mark itself; one that
# copies the mark of a socket handed just before (the same application,
# once in cgroup "no").
lab_granted cl1 no python3 -c "$EDGE_PY" "$EDGE_SOCK" m L 8007 K 0x5357e000 \
    >"$LAB_DIR/e7.out" 2>&1
lab_granted cl1 app python3 -c "$EDGE_PY" "$EDGE_SOCK" m L 8005 H M "$CG_NO" \
    L 8006 K copy >"$LAB_DIR/e56.out" 2>&1
# 14: identity from the socket, not from the handing process: a socket
# made in "no" handed once the process moved to "app" (defer) is refused;
# one made in "app" handed after moving to "no" is granted.
lab_granted cl1 no python3 -c "$EDGE_PY" "$EDGE_SOCK" m L 8008 M "$CG_APP" H \
    >"$LAB_DIR/e8.out" 2>&1
lab_granted cl1 app python3 -c "$EDGE_PY" "$EDGE_SOCK" m L 8009 M "$CG_NO" H \
    >"$LAB_DIR/e9.out" 2>&1
for f in e7 e56 e8 e9; do wait_for 10 grep -q ready "$LAB_DIR/$f.out"; done
wait_for 5 eval '[ "$(cnt cl1 cl1 edge_forged_marks)" -ge 1 ]'
sleep 1.2
is "13: the socket handed before its mark was copied: ok" \
    "$(grep '^hand 8005' "$LAB_DIR/e56.out")" "hand 8005: ok"
check "13: the copied mark was seen and withdrawn (edge_forged_marks $(cnt cl1 cl1 edge_forged_marks))" \
    test "$(cnt cl1 cl1 edge_forged_marks)" -ge 1
check "13: neither tcp/8006 (copied mark) nor tcp/8005 (its mark withdrawn) nor tcp/8007 (old fixed mark) is granted ($(ports))" \
    eval '[[ "$(ports)" != *tcp/8005* && "$(ports)" != *tcp/8006* && "$(ports)" != *tcp/8007* ]]'
out=$(get "$A1" 8006 5)
check "13: n6 -> tcp/8006 (a listener carrying a copied mark): no answer ($out)" \
    eval '[[ "$out" == error:* ]]'
out=$(get "$A1" 8007 5)
check "13: n6 -> tcp/8007 (a listener that set 0x5357e000 itself): no answer ($out)" \
    eval '[[ "$out" == error:* ]]'
is "14: a socket made in a denied cgroup, handed from an allowed one: refused" \
    "$(grep '^hand 8008' "$LAB_DIR/e8.out")" \
    "hand 8008: denied: not allowed by the edge policy"
is "14: a socket made in a deferred-to cgroup, handed from a denied one: granted" \
    "$(grep '^hand 8009' "$LAB_DIR/e9.out")" "hand 8009: ok"
out=$(get "$A1" 8009 15)
is "14: n6 -> tcp/8009 (the socket's own cgroup decided): answered" "$out" m8009
check "14: tcp/8008 is not granted ($(ports))" eval '[[ "$(ports)" != *tcp/8008* ]]'

# ---- 2. the table -----------------------------------------------------------
has_table() { lab_exec cl1 nft list tables 2>/dev/null | grep -q "^table inet $FWT\$"; }
lab_exec cl1 nft flush ruleset 2>/dev/null
check "nft flush ruleset: the table inet $FWT is still there" has_table
check "nft flush ruleset: status still says firewall=active" \
    eval '[ "$(sj cl1 cl1 firewall)" = active ]'
check "another process cannot delete the table" \
    eval '! lab_exec cl1 nft delete table inet "$FWT" 2>/dev/null && has_table'
check "another process cannot add a rule to it" \
    eval '! lab_exec cl1 nft add rule inet "$FWT" edge accept 2>/dev/null'
check "another process cannot flush its chains" \
    eval '! lab_exec cl1 nft flush table inet "$FWT" 2>/dev/null'
out=$(get "$A1" 8002 5)
check "after those attempts tcp/8002 is still unreachable ($out)" \
    eval '[[ "$out" == error:* ]]'

# ---- 3. dormancy (cl2) --------------------------------------------------------
lab_capture_stop "$CAPQ_PID"
rs_count() {	# RSs from the NAT's public address to the server, in a capture
	tshark -r "$1" -Y "udp.dstport == 3544 && ip.src == 198.51.100.62 && ip.dst == 192.0.2.10" \
	    2>/dev/null | wc -l
}
check "RSs left while cl2 qualified ($(rs_count "$CAPQ") in the capture)" \
    test "$(rs_count "$CAPQ")" -ge 1
if wait_for 15 status_is cl2 cl2 state dormant; then
	ok "cl2: idle with no granted listener for DormantAfter 3 s -> dormant"
else
	not_ok "cl2 dormant" "state $(sj cl2 cl2 state)"
fi
check "cl2: the Teredo address stays, deprecated" \
    eval 'lab_exec cl2 ip -6 -o addr show dev "$TUN2" scope global | grep -q deprecated'
CAPD="$LAB_DIR/nat2-dormant.pcap"
lab_capture nat2 wan "$CAPD"
sleep 12	# > RefreshInterval: a qualified client would have refreshed
lab_capture_stop
is "no RS left during 12 s of dormancy (RefreshInterval 10)" "$(rs_count "$CAPD")" 0
is "cl2 still dormant" "$(sj cl2 cl2 state)" dormant
r=$(lab_exec cl2 ping -n -c 10 -i 0.5 -w 15 "$N6" 2>/dev/null | awk '/received/ { print $4 }')
check "an outgoing ping wakes cl2: it re-qualifies and n6 answers ($r of 10)" \
    test "${r:-0}" -ge 5
is "cl2: qualified again, one dormancy counted" \
    "$(sj cl2 cl2 state) $(cnt cl2 cl2 dormancies)" "qualified 1"
check "cl2: the address is preferred again" \
    eval '! lab_exec cl2 ip -6 -o addr show dev "$TUN2" scope global | grep -q deprecated'

# ---- 2b. SIGKILL removes the table and the interface -------------------------
kill -KILL "${LAB_DAEMON_PID[cl1]}"
wait "${LAB_DAEMON_PID[cl1]}" 2>/dev/null
check "SIGKILL of cl1's daemon: the table went with it" \
    wait_for 5 eval '! has_table'
check "SIGKILL of cl1's daemon: the interface $TUN1 went too" \
    wait_for 5 eval '! lab_exec cl1 ip link show dev "$TUN1" >/dev/null 2>&1'

tap_lab_end
