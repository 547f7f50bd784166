#!/usr/bin/env bash
# tests/netns/test_firewall.sh BUILD_DIR - sys/fw (the client's nftables
# table), sys/sockdiag and sys/cgroup for real, in network namespaces of
# its own; prints TAP.  HARD-2 (edge traversal only for granted
# listeners, CVE-2006-6265), D25 (routing headers, CVE-2006-6263), the
# protocol-41 bypass, and the owner table's life cycle.
#
#   H (the Teredo host, table inet swfw<pid>)     X (the outside)
#     tsw0  2001:db8:f::1/64  ------------------  x0  2001:db8:f::2/64
#     eth4  192.0.2.1/24      ------------------  x4  192.0.2.2/24
# tsw0 stands in for the Teredo interface (fw_probe hold gets its name);
# eth4 is H's IPv4 uplink, where protocol-41 packets come in.
#
# Listeners in H, each started in a cgroup2 cgroup made here (per-run
# name swfw<pid> below the cgroup2 root, removed on exit):
#   tcp 8001, udp 8001   cgroup /swfw<pid>/g      granted
#   tcp 8004             cgroup /swfw<pid>/g/sub  granted (below g)
#   tcp 8002, udp 8002   cgroup /swfw<pid>/d      not granted
#   tcp 8003             /d, SO_MARK 0x5357e000   granted by mark (hold1)
#   tcp 8005             /d, SO_MARK 0x1          not granted
# Every security check is made both ways (refused / let through), and the
# attacks are first shown to work without the table (baseline).
#
# Only namespaces, cgroups and processes made here are touched; the table
# lives in H.  Everything runs through `nsenter --net` (not `ip netns
# exec`, which remounts /sys and would hide the cgroup2 mount).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"

B=${1:-build/default}
PROBE=$(cd "$B" 2>/dev/null && pwd)/tests/netns/fw_probe
P=swfw$$
NS_H=$P-h NS_X=$P-x
TABLE=swfw$$
MARK=0x5357e000
H6=2001:db8:f::1 X6=2001:db8:f::2 H4=192.0.2.1 X4=192.0.2.2
NAMESPACES=()
PIDS=()
TMP=
CGROOT='' CG=''
planned=0
cleaned=0

skip_all() { echo "1..0 # SKIP $*"; planned=1; exit 0; }

# ours PID: PID is still a live child of this shell (never signal others).
ours() {
	[ -r "/proc/$1/status" ] &&
	    [ "$(awk '/^PPid:/ {print $2}' "/proc/$1/status" 2>/dev/null)" = $$ ]
}

cleanup() {
	local pid ns i d
	[ $cleaned -eq 1 ] && return 0
	cleaned=1
	for pid in "${PIDS[@]}"; do
		ours "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 40; i++)); do
			ours "$pid" || break
			sleep 0.05
		done
		ours "$pid" && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		# deepest first; a cgroup with no process left can go
		while read -r d; do
			for ((i = 0; i < 40; i++)); do
				rmdir "$d" 2>/dev/null && break
				sleep 0.05
			done
		done < <(find "$CG" -depth -type d 2>/dev/null)
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	return 0
}

on_exit() {
	trap - EXIT INT TERM
	cleanup
	[ $planned -eq 0 ] && echo "1..$n"
	[ $failed -eq 0 ]
	exit
}
trap on_exit EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || skip_all "not root"
for t in ip nft nsenter setpriv; do
	command -v "$t" >/dev/null 2>&1 || skip_all "no $t"
done
[ -x "$PROBE" ] || { not_ok "$B/tests/netns/fw_probe is built"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$P.XXXXXX")

inh() { nsenter --net="/run/netns/$NS_H" "$@"; }
inx() { nsenter --net="/run/netns/$NS_X" "$@"; }

# bg NS CGROUP OUT CMD...: CMD in namespace NS, in cgroup CGROUP (a path
# below the cgroup2 root, "" for ours), in the background, stdout+stderr
# to OUT; its PID (sh execs nsenter execs CMD) is recorded in PIDS and
# BG_PID.
bg() {
	local ns=$1 cg=$2 out=$3
	shift 3
	if [ -n "$cg" ]; then
		sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh \
		    "$CGROOT$cg" nsenter --net="/run/netns/$ns" "$@" \
		    >"$out" 2>&1 </dev/null 7>&- 8>&- &
	else
		nsenter --net="/run/netns/$ns" "$@" >"$out" 2>&1 </dev/null \
		    7>&- 8>&- &
	fi
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# wait_for SECONDS CMD...: run CMD every 50 ms until it succeeds.
wait_for() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# ---- the hold process: a table, commands on a fifo -----------------------
HOLD_PID='' HOLD_OUT='' HOLD_FD=''

# hold_start NAME ARGS...: fw_probe hold ARGS in H, commands via fd
# HOLD_FD (7 or 8 by NAME), answers in HOLD_OUT; waits for its first line.
hold_start() {
	local name=$1 fifo
	shift
	fifo=$TMP/$name.in HOLD_OUT=$TMP/$name.out
	mkfifo "$fifo"
	if [ "$name" = hold1 ]; then exec 7<>"$fifo"; HOLD_FD=7
	else exec 8<>"$fifo"; HOLD_FD=8; fi
	nsenter --net="/run/netns/$NS_H" "$PROBE" hold "$@" <"$fifo" \
	    >"$HOLD_OUT" 2>&1 7>&- 8>&- &
	HOLD_PID=$!
	PIDS+=("$HOLD_PID")
	wait_for 5 grep -q . "$HOLD_OUT"
}

# hold_cmd LINE: send LINE, print the answer (one line).
hold_cmd() {
	local before i
	before=$(wc -l <"$HOLD_OUT")
	echo "$*" >&"$HOLD_FD"
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l <"$HOLD_OUT")" -gt "$before" ] && break
		sleep 0.05
	done
	tail -n 1 "$HOLD_OUT"
}

# ctr NAME: that counter, read now.
ctr() {
	hold_cmd counters | sed -n "s/.* $1=\([0-9]*\).*/\1/p"
}

tables_h() { inh nft list tables 2>&1 | tr '\n' ';'; }

# ---- the namespaces -----------------------------------------------------
for ns in "$NS_H" "$NS_X"; do
	ip netns add "$ns" || skip_all "ip netns unavailable"
	NAMESPACES+=("$ns")
	nsenter --net="/run/netns/$ns" sh -c '
	    ip link set lo up
	    sysctl -qw net.ipv6.conf.default.disable_ipv6=0
	    sysctl -qw net.ipv6.conf.default.accept_dad=0'
done
ip -n "$NS_H" link add tsw0 type veth peer name x0 netns "$NS_X" ||
	skip_all "no veth"
ip -n "$NS_H" link add eth4 type veth peer name x4 netns "$NS_X" ||
	skip_all "no veth"
ip netns exec "$NS_H" sysctl -qw net.ipv6.conf.eth4.disable_ipv6=1
ip netns exec "$NS_X" sysctl -qw net.ipv6.conf.x4.disable_ipv6=1
ip -n "$NS_H" addr add "$H6/64" dev tsw0 nodad
ip -n "$NS_H" addr add "$H4/24" dev eth4
ip -n "$NS_X" addr add "$X6/64" dev x0 nodad
ip -n "$NS_X" addr add "$X4/24" dev x4
for l in tsw0 eth4; do ip -n "$NS_H" link set "$l" up; done
for l in x0 x4; do ip -n "$NS_X" link set "$l" up; done

# ---- cgroups ------------------------------------------------------------
CGROOT=$("$PROBE" cgroup / | sed -n 's/.* root=//p')
if [ -z "$CGROOT" ] || ! [ -w "$CGROOT/cgroup.procs" ]; then
	skip_all "no writable cgroup2 root"
fi
CG=$CGROOT/$P
mkdir "$CG" "$CG/g" "$CG/g/sub" "$CG/d" || skip_all "cannot make cgroups"
ok "cgroup2 root found ($CGROOT), cgroups /$P/{g,g/sub,d} made"

# ---- listeners ----------------------------------------------------------
bg "$NS_H" "/$P/g" "$TMP/l8001" "$PROBE" listen tcp 8001
bg "$NS_H" "/$P/g" "$TMP/u8001" "$PROBE" listen udp 8001
bg "$NS_H" "/$P/g/sub" "$TMP/l8004" "$PROBE" listen tcp 8004
bg "$NS_H" "/$P/d" "$TMP/l8002" "$PROBE" listen tcp 8002
bg "$NS_H" "/$P/d" "$TMP/u8002" "$PROBE" listen udp 8002
bg "$NS_H" "/$P/d" "$TMP/l8003" "$PROBE" listen tcp 8003 "$MARK"
bg "$NS_H" "/$P/d" "$TMP/l8005" "$PROBE" listen tcp 8005 0x1
bg "$NS_X" "" "$TMP/x9000" "$PROBE" listen tcp 9000
bg "$NS_X" "" "$TMP/x9001" "$PROBE" listen udp 9001
all_listening() {
	local f
	for f in l8001 u8001 l8004 l8002 u8002 l8003 l8005 x9000 x9001; do
		grep -q listening "$TMP/$f" || return 1
	done
}
if wait_for 5 all_listening; then ok "listeners up"
else not_ok "listeners up" "$(head -n 3 "$TMP"/l* "$TMP"/u* 2>&1)"; exit 1; fi

# ---- baseline: without the table, the attacks work ------------------------
is "baseline: the non-granted TCP listener is reachable without the table" \
    "$(inx "$PROBE" connect "$H6" 8002 2000)" "connected"
is "baseline: H answers an echo request carrying a type 0 routing header" \
    "$(inx "$PROBE" rh "$X6" "$H6" 1000)" "reply"
is "baseline: IPv4 protocol 41 reaches H's stack (protocol unreachable)" \
    "$(inx "$PROBE" p41 "$X4" "$H4" "$X6" "$H6" 8002 1000)" "unreach"

ra_route() { inh ip -6 route show default dev tsw0 proto ra 2>/dev/null | grep -c .; }
ND="$HERE/nd_probe.py"
wait_for 5 eval "inx ip -6 addr show dev x0 scope link | grep -q fe80"
inx python3 "$ND" send ra x0 ff02::1 >/dev/null
check "baseline: an RA from X on tsw0 gives H a default route via X" \
    wait_for 3 eval '[ "$(ra_route)" -ge 1 ]'
inh ip -6 route flush proto ra dev tsw0 2>/dev/null
inh ip -6 route del 2001:db8:bad::/64 dev tsw0 2>/dev/null
for a in $(inh ip -6 -o addr show dev tsw0 | awk '/2001:db8:bad:/ { print $4 }'); do
	inh ip -6 addr del "$a" dev tsw0
done
is "baseline: an unsolicited ICMPv6 error reaches H (counted in Icmp6InDestUnreachs)" \
    "$(a=$(inh awk '$1 == "Icmp6InDestUnreachs" { print $2 }' /proc/net/snmp6)
       inx python3 "$ND" send unreach x0 "$H6" >/dev/null; sleep 0.3
       echo $(($(inh awk '$1 == "Icmp6InDestUnreachs" { print $2 }' /proc/net/snmp6) - a)))" 1

# ---- (a) the owner table ------------------------------------------------
hold_start hold1 "$TABLE" tsw0 -- grant "/$P/g" "mark:$MARK"
is "hold: table made, grants set, verified" "$(head -n 1 "$HOLD_OUT")" \
    "ready verify=OK: nftables: table inet $TABLE in place"
case $(tables_h) in
*"table inet $TABLE;"*) ok "nft list tables shows table inet $TABLE" ;;
*) not_ok "nft list tables shows table inet $TABLE" "$(tables_h)" ;;
esac
check "the table has flags owner" \
    eval "inh nft list table inet $TABLE | grep -q 'flags owner'"
inh nft flush ruleset 2>/dev/null
case $(tables_h) in
*"table inet $TABLE;"*) ok "nft flush ruleset leaves it" ;;
*) not_ok "nft flush ruleset leaves it" "$(tables_h)" ;;
esac
if inh nft delete table inet "$TABLE" 2>/dev/null; then
	not_ok "nft delete table is refused"
else ok "nft delete table is refused"; fi
if inh nft add rule inet "$TABLE" edge accept 2>/dev/null; then
	not_ok "nft add rule on it is refused"
else ok "nft add rule on it is refused"; fi
is "still verified after flush/delete/add attempts" "$(hold_cmd verify)" \
    "verify OK: nftables: table inet $TABLE in place"

# (h) a second daemon with the same table name
second=$(inh "$PROBE" hold "$TABLE" tsw0 </dev/null 2>&1); rc=$?
is "a second owner of the same table fails with a reason (exit 2)" \
    "$rc $second" \
    "2 error: nftables: table inet $TABLE belongs to another process (another shipwormd?); left as it is"
is "... and the first table is intact" "$(hold_cmd verify)" \
    "verify OK: nftables: table inet $TABLE in place"
inh nft add table inet "${TABLE}x"
second=$(inh "$PROBE" hold "${TABLE}x" tsw0 </dev/null 2>&1); rc=$?
is "a table of that name made with nft: refused, with a reason" \
    "$rc $second" \
    "2 error: nftables: table inet ${TABLE}x already exists and is not ours (made with nft?); left as it is"
case $(tables_h) in
*"table inet ${TABLE}x;"*) ok "... and that table is left as it was" ;;
*) not_ok "... and that table is left as it was" "$(tables_h)" ;;
esac
inh nft delete table inet "${TABLE}x"
second=$(inh setpriv --reuid=65534 --regid=65534 --clear-groups \
    --inh-caps=-all --bounding-set=-all "$PROBE" hold "${TABLE}u" tsw0 \
    </dev/null 2>&1); rc=$?
is "without CAP_NET_ADMIN: one line naming what failed" "$rc $second" \
    "2 error: nftables: cannot create table inet ${TABLE}u: Operation not permitted"

# ---- (b) grants by cgroup, (c) by mark ------------------------------------
g0=$(ctr edge_granted) d0=$(ctr edge_denied)
is "granted cgroup: TCP 8001 reachable from X" \
    "$(inx "$PROBE" connect "$H6" 8001 2000)" "connected"
g1=$(ctr edge_granted)
check "... and edge_granted counts it ($g0 -> $g1)" [ "$g1" -gt "$g0" ]
is "below a granted cgroup: TCP 8004 reachable" \
    "$(inx "$PROBE" connect "$H6" 8004 2000)" "connected"
is "granted cgroup: UDP 8001 answers X" \
    "$(inx "$PROBE" udp-ask "$H6" 8001 2000)" "reply"
is "not granted: TCP 8002 SYN dropped (connect times out)" \
    "$(inx "$PROBE" connect "$H6" 8002 1000)" "timeout"
d1=$(ctr edge_denied)
check "... and edge_denied counts it ($d0 -> $d1)" [ "$d1" -gt "$d0" ]
is "not granted: UDP 8002 gets nothing through" \
    "$(inx "$PROBE" udp-ask "$H6" 8002 1000)" "timeout"
is "marked socket (SO_MARK $MARK): TCP 8003 reachable" \
    "$(inx "$PROBE" connect "$H6" 8003 2000)" "connected"
is "socket with another mark: TCP 8005 not reachable" \
    "$(inx "$PROBE" connect "$H6" 8005 1000)" "timeout"
is "grants replaced by none" "$(hold_cmd grant)" "grant OK n=0"
is "... verified (grants chain now empty)" "$(hold_cmd verify)" \
    "verify OK: nftables: table inet $TABLE in place"
is "... TCP 8001 no longer reachable" \
    "$(inx "$PROBE" connect "$H6" 8001 1000)" "timeout"
is "grants set again (g and d)" "$(hold_cmd grant "/$P/g" "/$P/d")" \
    "grant OK n=2"
is "... TCP 8001 reachable again" \
    "$(inx "$PROBE" connect "$H6" 8001 2000)" "connected"
is "... TCP 8002 now reachable (d granted)" \
    "$(inx "$PROBE" connect "$H6" 8002 2000)" "connected"
is "... verified with two grant rules" "$(hold_cmd verify)" \
    "verify OK: nftables: table inet $TABLE in place"
is "back to g only" "$(hold_cmd grant "/$P/g")" "grant OK n=1"

# ---- (d) what the host opened comes back ---------------------------------
is "H's own TCP connection to X works (established passes)" \
    "$(inh "$PROBE" connect "$X6" 9000 2000)" "connected"
is "H's own UDP exchange with X works" \
    "$(inh "$PROBE" udp-ask "$X6" 9001 2000)" "reply"

# ---- (e) routing header ---------------------------------------------------
r0=$(ctr routing_header)
is "echo request with a routing header: dropped" \
    "$(inx "$PROBE" rh "$X6" "$H6" 1000)" "silent"
r1=$(ctr routing_header)
is "... routing_header counts it" "$r1" "$((r0 + 1))"
is "the same echo request without it: answered" \
    "$(inx "$PROBE" rh "$X6" "$H6" 2000 norh)" "reply"
is "... routing_header unchanged" "$(ctr routing_header)" "$r1"

# ---- (i) router messages and ICMPv6 errors (issue 10 item 12) -------------
check "chain edge drops RS/RA (133-134) and redirects (137), counted" \
    eval "inh nft list chain inet $TABLE edge | grep -E '(icmpv6 type|@th,0,8) (133-134|137-137) counter name \"nd_dropped\" drop' | grep -c . | grep -qx 2"
check "chain edge accepts no ICMPv6 error (types 1-4) by type, only as related" \
    eval "! inh nft list chain inet $TABLE edge | grep -qE '(icmpv6 type|@th,0,8) 1-4 '"
nd0=$(ctr nd_dropped)
wait_for 5 eval "inx ip -6 addr show dev x0 scope link | grep -q fe80"
inx python3 "$ND" send ra x0 ff02::1 >/dev/null
sleep 0.5
is "an RA from X: dropped (no default route on H)" "$(ra_route)" 0
is "... nd_dropped counts it" "$(ctr nd_dropped)" "$((nd0 + 1))"
inx python3 "$ND" send redirect x0 "$H6" >/dev/null
sleep 0.3
is "a redirect from X: dropped, counted" "$(ctr nd_dropped)" "$((nd0 + 2))"
d0=$(ctr edge_denied)
a=$(inh awk '$1 == "Icmp6InDestUnreachs" { print $2 }' /proc/net/snmp6)
inx python3 "$ND" send unreach x0 "$H6" >/dev/null
sleep 0.3
is "an unsolicited destination unreachable: dropped (edge_denied $d0 -> $(ctr edge_denied)), not seen by H's stack" \
    "$(($(ctr edge_denied) - d0)) $(($(inh awk '$1 == "Icmp6InDestUnreachs" { print $2 }' /proc/net/snmp6) - a))" "1 0"
is "a port unreachable for H's own datagram (related) still gets back" \
    "$(inh python3 "$ND" udp-refused "$X6" 9999 2000)" refused

# ---- (f) protocol 41 ------------------------------------------------------
p0=$(ctr p41_dropped)
is "IPv4 protocol 41 (IPv6 SYN to 8002) to H: dropped" \
    "$(inx "$PROBE" p41 "$X4" "$H4" "$X6" "$H6" 8002 1000)" "silent"
is "... p41_dropped counts it" "$(ctr p41_dropped)" "$((p0 + 1))"

# ---- (g) sock_diag and cgroup ids -----------------------------------------
idg=$("$PROBE" cgroup "/$P/g") ids=$("$PROBE" cgroup "/$P/g/sub")
idd=$("$PROBE" cgroup "/$P/d")
gid=${idg#id=} gid=${gid%% *} sid=${ids#id=} sid=${sid%% *}
did=${idd#id=} did=${did%% *}
is "cgroup id = the kernel's (name_to_handle_at); /$P/g is level 2" \
    "${idg%% root=*}" "id=$gid level=2 handle=$gid"
check "levels: /$P/g/sub is 3" eval "echo '$ids' | grep -q ' level=3 '"
is "cgroup tree of g: g then g/sub" "$("$PROBE" tree "/$P/g")" \
    "n=2 $gid $sid"
is "a process's cgroup (sys_cgroup_of_pid)" \
    "$(sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" self-cgroup' sh \
    "$CG/g/sub" "$PROBE")" "/$P/g/sub"
inh "$PROBE" listeners >"$TMP/listeners" 2>&1
diag "$(tr '\n' '|' <"$TMP/listeners")"
is "sock_diag: TCP 8001 with g's cgroup id, no mark" \
    "$(grep '^tcp 8001 ' "$TMP/listeners")" \
    "tcp 8001 cgroup=$gid mark=0x0 uid=0"
is "sock_diag: UDP 8001 with g's cgroup id" \
    "$(grep '^udp 8001 ' "$TMP/listeners")" \
    "udp 8001 cgroup=$gid mark=0x0 uid=0"
is "sock_diag: TCP 8004 with g/sub's cgroup id" \
    "$(grep '^tcp 8004 ' "$TMP/listeners")" \
    "tcp 8004 cgroup=$sid mark=0x0 uid=0"
is "sock_diag: TCP 8002 with d's cgroup id (not g's)" \
    "$(grep '^tcp 8002 ' "$TMP/listeners")" \
    "tcp 8002 cgroup=$did mark=0x0 uid=0"
is "sock_diag: TCP 8003 with its mark" \
    "$(grep '^tcp 8003 ' "$TMP/listeners")" \
    "tcp 8003 cgroup=$did mark=$MARK uid=0"
check "sock_diag: X's listener is not in H's list" \
    eval "! grep -q '^tcp 9000 ' '$TMP/listeners'"
is "sock_diag without CAP_NET_ADMIN: no mark" \
    "$(inh setpriv --reuid=65534 --regid=65534 --clear-groups \
    --inh-caps=-all --bounding-set=-all "$PROBE" listeners |
    grep '^tcp 8003 ')" "tcp 8003 cgroup=$did mark=0x0 uid=0"

# ---- verify both ways; the table dies with its socket ---------------------
is "lose the table's netlink socket" "$(hold_cmd lose-socket)" "lost 1"
is "verify now fails: table gone" "$(hold_cmd verify)" \
    "verify FAIL: nftables: table inet $TABLE is gone"
case $(tables_h) in
*"table inet $TABLE;"*) not_ok "closing the socket removed the table" \
    "$(tables_h)" ;;
*) ok "closing the socket removed the table" ;;
esac
is "without the table, TCP 8002 is reachable again" \
    "$(inx "$PROBE" connect "$H6" 8002 2000)" "connected"

hold_start hold2 "$TABLE" tsw0 -- grant "/$P/g"
is "a new table made" "$(head -n 1 "$HOLD_OUT")" \
    "ready verify=OK: nftables: table inet $TABLE in place"
kill -KILL "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null
case $(tables_h) in
*"table inet $TABLE;"*) not_ok "killing its holder (SIGKILL) removes it" \
    "$(tables_h)" ;;
*) ok "killing its holder (SIGKILL) removes it" ;;
esac

# ---- (f) with a Protocol41Interface configured ----------------------------
hold_start hold3 "$TABLE" tsw0 sit41 -- grant "/$P/g"
is "table with a protocol-41 interface (sit41) made" \
    "$(head -n 1 "$HOLD_OUT")" \
    "ready verify=OK: nftables: table inet $TABLE in place"
is "IPv4 protocol 41 now reaches the stack (protocol unreachable)" \
    "$(inx "$PROBE" p41 "$X4" "$H4" "$X6" "$H6" 8002 1000)" "unreach"
is "... and p41_dropped stays 0" "$(ctr p41_dropped)" "0"
is "the edge still holds there: TCP 8002 dropped" \
    "$(inx "$PROBE" connect "$H6" 8002 1000)" "timeout"
is "... TCP 8001 (granted) reachable" \
    "$(inx "$PROBE" connect "$H6" 8001 2000)" "connected"
check "chain input jumps to edge from sit41" \
    eval "inh nft list chain inet $TABLE input | grep -q 'iifname \"sit41\" jump edge'"
is "quit: sys_fw_close" "$(hold_cmd quit)" "bye"
wait "$HOLD_PID"
is "... exit status 0, table gone" "$? $(tables_h)" "0 "

# ---- nothing left ---------------------------------------------------------
cleanup
is "cleanup: no namespace left" \
    "$(ip netns list | awk '{print $1}' | grep -c "^$P-")" "0"
is "cleanup: no cgroup left" "$(ls -d "$CG" 2>/dev/null)" ""
left=
for pid in "${PIDS[@]}"; do ours "$pid" && left+=" $pid"; done
is "cleanup: no process left (${#PIDS[@]} checked)" "$left" ""
is "cleanup: temp dir gone" "$(ls -d "$TMP" 2>/dev/null)" ""
