#!/usr/bin/env bash
# tests/netns/test_daemon.sh BUILD_DIR - smoke test of shipwormd and
# shipworm in two network namespaces joined by a veth pair: a server on
# 192.0.2.10/.11 and a client on 198.51.100.2 (documentation addresses,
# AddressPolicy lab).  The client qualifies, its address and routes
# appear on the tunnel, the engine runs unprivileged, status reads in text
# and JSON, and stopping the daemon (SIGTERM, or SIGKILL) leaves nothing
# behind.  The security model (shipwormd(8), doc/security.md): the
# firewall table is there before the client qualifies and goes with the
# daemon; a missing one keeps the client offline until it can be made
# (AllowUnfirewalled yes: runs, and says so); granted listeners (a cgroup
# allowed by EdgePolicyDir, or a socket handed over the edge socket)
# reach status and nothing else does; `shipworm edge` edits the policy
# and reloads it; a dormant client deprecates its address.  Root only (SKIP otherwise); cleans up after itself, also on
# failure.  Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${1:-build/default}
D=$(realpath "$B/shipwormd" 2>/dev/null)
CLI=$(realpath "$B/shipworm" 2>/dev/null)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP not root"
	exit 0
fi
if [ ! -x "$D" ] || [ ! -x "$CLI" ]; then
	echo "1..0 # SKIP shipwormd or shipworm not built in $B"
	exit 0
fi
if ! command -v ip >/dev/null || ! ip netns add "swdprobe$$" 2>/dev/null; then
	echo "1..0 # SKIP no ip(8) or no network namespaces"
	exit 0
fi
ip netns del "swdprobe$$"

P=swd$$				# per-run prefix: namespaces, links, cgroups
S=${P}s C=${P}c TUN=${P}t
T=$(mktemp -d /tmp/shipworm-daemontest.XXXXXX) || exit 2
PIDS=()
CGROOT=
for r in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T "$r" 2>/dev/null)" = cgroup2fs ] && { CGROOT=$r; break; }
done
CG=${CGROOT:+$CGROOT/$P-ok}	# the granted cgroup (/$P-ok)
# The daemons see a passwd with the engine's user _shipworm (the host's
# files unchanged: a mount namespace of their own).
WU=("$PWD/tests/netns/with_engine_user" "$T/etc")
# The client daemon and the granted listener enter only the network
# namespace (nsenter --net): `ip netns exec` mounts a sysfs of the
# namespace's own over /sys, which hides /sys/fs/cgroup.

cleanup() {
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		for _ in $(seq 40); do rmdir "$CG" 2>/dev/null && break; sleep 0.05; done
	fi
	rm -rf "$T"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

# ---- the lab ----------------------------------------------------------------
ip netns add "$S" && ip netns add "$C" &&
ip link add "${P}a" netns "$S" type veth peer name "${P}b" netns "$C" &&
ip -n "$S" addr add 192.0.2.10/24 dev "${P}a" &&
ip -n "$S" addr add 192.0.2.11/24 dev "${P}a" &&
ip -n "$C" addr add 198.51.100.2/24 dev "${P}b" &&
ip -n "$S" link set lo up && ip -n "$C" link set lo up &&
ip -n "$S" link set "${P}a" up && ip -n "$C" link set "${P}b" up &&
ip -n "$S" route add 198.51.100.0/24 dev "${P}a" &&
ip -n "$C" route add 192.0.2.0/24 dev "${P}b" || {
	echo "Bail out! cannot build the namespaces"
	exit 1
}

cat >"$T/server.conf" <<EOF
# Namespace lab only: never on a real network.
Role                 server
InterfaceName        ${P}srv
ServerBindAddress    192.0.2.10
SecondaryBindAddress 192.0.2.11
AddressPolicy        lab
EOF
cat >"$T/client.conf" <<EOF
# Namespace lab only: never on a real network.
Role            client
InterfaceName   $TUN
ServerAddress   192.0.2.10
AddressPolicy   lab
RefreshInterval 10
EdgePolicyDir   $T/edge.d
EOF
mkdir -p "$T/edge.d"
[ -n "$CG" ] && mkdir "$CG" && echo "allow cgroup /$P-ok" >"$T/edge.d/10-test.conf"

ip netns exec "$S" "${WU[@]}" "$D" -d -f "$T/server.conf" -s "$T/server.sock" \
    2>"$T/server.log" &
SPID=$!
PIDS+=("$SPID")
# stdin: a file of its own, so that "not the parent's stdio" means it
: >"$T/client.stdin"
nsenter --net="/run/netns/$C" "${WU[@]}" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
    <"$T/client.stdin" 2>"$T/client.log" &
CPID=$!
PIDS+=("$CPID")

status() { ip netns exec "$C" "$CLI" status -s "$T/client.sock" "$@"; }
key() { status --json 2>/dev/null | sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"; }

state=
for _ in $(seq 100); do
	state=$(key state)
	[ "$state" = qualified ] && break
	sleep 0.1
done
check "client qualifies (state: ${state:-none})" '[ "$state" = qualified ]'

addr=$(key address)
check "status shows a Teredo address of server 192.0.2.10 ($addr)" \
    '[[ "$addr" == 2001:0:c000:20a:* ]]'
check "the address is on $TUN" \
    'ip -n "$C" -6 addr show dev "$TUN" | grep -q "inet6 $addr/128"'
check "route 2001::/32 via $TUN" \
    'ip -n "$C" -6 route show dev "$TUN" | grep -q "^2001::/32 .*metric 1024"'
check "default route via $TUN, metric 1029" \
    'ip -n "$C" -6 route show dev "$TUN" | grep -q "^default .*metric 1029"'
check "link up with MTU 1280" \
    'ip -n "$C" link show dev "$TUN" | grep -q "mtu 1280.*state UNKNOWN\|UP.*mtu 1280"'
# COM-LL-3: Teredo carries no link-local traffic: no kernel fe80::/64
# (addrgenmode none), only the one Teredo address.
check "no fe80:: address on $TUN, only the Teredo address (addrgenmode none)" \
    '[ "$(ip -n "$C" -6 -o addr show dev "$TUN" | awk "{print \$4}" | tr "\n" " ")" = "$addr/128 " ] &&
     ip -n "$C" -d link show dev "$TUN" | grep -q "addrgenmode none"'
check "status: no NAT between client and server" '[ "$(key nat)" = none ]'
check "status: mapped address is the client's" \
    '[[ "$(key mapped)" == 198.51.100.2:* ]] && [ "$(key mapped)" = "$(key address_mapped)" ]'

status >"$T/status.txt" 2>&1
check "text status has the netsh-like fields" \
    'grep -q "^State  *: qualified" "$T/status.txt" &&
     grep -q "^Teredo Address  *: $addr" "$T/status.txt" &&
     grep -q "^External NAT Mapping  *: 198.51.100.2:" "$T/status.txt"'
if command -v python3 >/dev/null; then
	check "--json is valid JSON with numbers and a drops object" \
	    'status --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert isinstance(d[\"qualifications\"], int) and isinstance(d[\"drops\"], dict)"'
fi

engine=$(pgrep -P "$CPID" | head -1)
check "engine runs as a user other than root, no capabilities, no_new_privs" \
    '[ -n "$engine" ] && awk "/^Uid:/ { exit \$2 == 0 }" /proc/$engine/status &&
     grep -q "^CapEff:[[:space:]]*0*$" /proc/$engine/status &&
     grep -q "^CapBnd:[[:space:]]*0*$" /proc/$engine/status &&
     grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$engine/status'
# Issue 10 item 12: the tunnels learn no routes (RFC 4861 §6.3.4, §8.3).
sysctls0() {
	local ns=$1 ifn=$2 k
	for k in accept_ra accept_redirects autoconf; do
		[ "$(ip netns exec "$ns" cat "/proc/sys/net/ipv6/conf/$ifn/$k")" = 0 ] || return 1
	done
}
check "client's and server's tunnels: accept_ra, accept_redirects, autoconf all 0" \
    'sysctls0 "$C" "$TUN" && sysctls0 "$S" "${P}srv"'
# Issue 10 item 15: even with -d, the engine has neither the parent's
# stdio (here the log file and the test's stdin) nor its session.
fds_apart() {
	local i
	for i in 0 1 2; do
		[ "$(readlink "/proc/$engine/fd/$i")" != "$(readlink "/proc/$CPID/fd/$i")" ] || return 1
	done
	[ "$(readlink "/proc/$engine/fd/0")" = /dev/null ]
}
sid() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $4 }'; }
check "-d: the engine's fds 0-2 are not the parent's (/dev/null in, a pipe out: $(readlink /proc/$engine/fd/2))" \
    '[ -n "$engine" ] && fds_apart && [[ "$(readlink /proc/$engine/fd/2)" == pipe:* ]]'
check "-d: the engine has a session of its own (sid $(sid "$engine"), parent's $(sid "$CPID"))" \
    '[ -n "$engine" ] && [ "$(sid "$engine")" = "$engine" ] && [ "$(sid "$engine")" != "$(sid "$CPID")" ]'
check "-d: the engine's log lines still reach the parent's stderr" \
    'grep -q "^engine: running as client" "$T/client.log"'

check "server: its tunnel ${P}srv is up, with no IPv6 address, and 2001:0:c000:20a::/64 routed to it" \
    'ip -n "$S" link show dev "${P}srv" | grep -q "UP.*mtu 1280" &&
     [ -z "$(ip -n "$S" -6 -o addr show dev "${P}srv")" ] &&
     ip -n "$S" -6 route show dev "${P}srv" | grep -q "^2001:0:c000:20a::/64 "'

srs=$(ip netns exec "$S" "$CLI" status --json -s "$T/server.sock" |
    sed -n 's/^  "rs_answered": \([0-9]*\),$/\1/p')
check "server answered the client's two RSs (rs_answered=$srs)" \
    '[ "${srs:-0}" -ge 2 ]'

# ---- the security model ---------------------------------------------------
FWT="shipworm_$TUN"
has_table() { ip netns exec "$C" nft list tables 2>/dev/null | grep -q "^table inet $FWT\$"; }
check "firewall: status says active, the table inet $FWT is in place" \
    '[ "$(key firewall)" = active ] && has_table'
check "firewall: the table has the owner flag (only the daemon may change it)" \
    'ip netns exec "$C" nft list table inet "$FWT" 2>/dev/null | grep -q "flags owner"'
check "the edge socket $T/client.edge is there, mode 0666" \
    '[ -S "$T/client.edge" ] && [ "$(stat -c %a "$T/client.edge")" = 666 ]'
check "text status: the firewall line" \
    'status | grep -q "^Firewall  *: active ("'

# A listener in the granted cgroup counts, one outside it does not.
LISTEN_PY='
import socket, sys, time
kind, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", port))
if kind == "tcp":
    s.listen(1)
time.sleep(60)'
ports() {	# (a list: key() stops at commas)
	status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("edge_ports", ""))'
}
if [ -n "$CG" ]; then
	nsenter --net="/run/netns/$C" sh -c 'echo $$ >"$1/cgroup.procs" && exec python3 -c "$2" tcp 7001' \
	    sh "$CG" "$LISTEN_PY" &
	PIDS+=("$!")
	ip netns exec "$C" python3 -c "$LISTEN_PY" tcp 7002 &
	PIDS+=("$!")
	for _ in $(seq 40); do [[ "$(ports)" == *tcp/7001* ]] && break; sleep 0.1; done
	sleep 1.2	# one more sock_diag round: tcp/7002 had its chance
	check "granted listener: tcp/7001 (cgroup /$P-ok) in edge_ports, tcp/7002 (not granted) not ($(ports))" \
	    '[ "$(ports)" = tcp/7001 ] && [ "$(key edge_listeners)" = 1 ]'
else
	ok "# SKIP no cgroup2 hierarchy: granted listener"
fi

# The edge socket: "hand" with a socket; answered by the policy.
HAND_PY='
import array, os, socket, sys, time
path, kind, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM, "tcp-idle": socket.SOCK_STREAM}[kind]
who = sys.argv[4] if len(sys.argv) > 4 else ""
if who == "nobody":		# the socket is uid 65534'"'"'s
    os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_INET6, t)
s.bind(("::", port))
if kind == "tcp":
    s.listen(1)
if who == "nobody-after":	# root'"'"'s socket, handed by uid 65534
    os.setgid(65534); os.setuid(65534)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(path)
c.sendmsg([b"hand\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [s.fileno()]))])
print(c.recv(200).decode().strip(), flush=True)
time.sleep(float(os.environ.get("HOLD", "0")))'
hand() { ip netns exec "$C" python3 -c "$HAND_PY" "$T/client.edge" "$@" 2>&1; }
out=$(hand udp 7003)
check "edge socket: uid 0 in cgroup / without a rule is denied ($out)" \
    '[[ "$out" == "denied: "* ]]'
edge() { ip netns exec "$C" "$CLI" edge -D "$T/edge.d" -s "$T/client.sock" "$@"; }
out=$(edge defer uid 0 2>&1)
check "shipworm edge defer uid 0: file written, daemon reloaded ($out)" \
    'grep -q "^defer uid 0$" "$T/edge.d/50-shipworm-cli.conf" &&
     [[ "$out" == *"shipwormd reloaded the edge policy"* ]]'
out=$(hand tcp-idle 7004)
check "edge socket: a TCP socket that does not listen is refused ($out)" \
    '[ "$out" = "denied: TCP socket not listening" ]'
HOLD=4 hand udp 7003 >"$T/hand.out" &
PIDS+=("$!")
for _ in $(seq 40); do [[ "$(ports)" == *udp/7003* ]] && break; sleep 0.1; done
check "edge socket: deferred uid 0 hands udp/7003: ok, and it counts as granted ($(cat "$T/hand.out"); $(ports))" \
    '[ "$(cat "$T/hand.out")" = ok ] && [[ "$(ports)" == *udp/7003* ]]'
chmod 0711 "$T"	# uid 65534 reaches the edge socket (0666) in it
out=$(hand udp 7005 nobody)
check "edge socket: uid 65534's own socket (no rule) is denied ($out)" '[[ "$out" == "denied: "* ]]'
out=$(hand udp 7006 nobody-after)
check "edge socket: root's socket handed by uid 65534: the socket's owner (deferred uid 0) decides ($out)" \
    '[ "$out" = ok ]'
out=$(ip netns exec "$C" python3 -c '
import os, socket, sys
os.setgid(65534); os.setuid(65534)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(sys.argv[1]); c.sendall(b"reload\n"); print(c.recv(200).decode().strip())' "$T/client.edge" 2>&1)
check "edge socket: reload from uid 65534 is refused ($out)" \
    '[ "$out" = "denied: reload needs uid 0" ]'
edge list >"$T/list.txt" 2>&1
check "shipworm edge list: the rules of every file, the daemon's view" \
    'grep -q "^defer uid 0 .*(50-shipworm-cli.conf)" "$T/list.txt" &&
     grep -q "^Firewall  *: active" "$T/list.txt" &&
     grep -q "^Granted Ports  *: " "$T/list.txt"'
out=$(edge remove uid 0 2>&1)
check "shipworm edge remove uid 0: the rule is gone ($out)" \
    '! grep -q "uid 0" "$T/edge.d/50-shipworm-cli.conf"'
out=$(hand udp 7006)
check "edge socket: after the removal, uid 0 is denied again ($out)" \
    '[[ "$out" == "denied: "* ]]'
echo "allow bogus /x" >"$T/edge.d/60-bad.conf"
out=$(edge allow uid 1000 2>&1)
check "reload with a bad file: refused, named with its line, the old policy stays ($out)" \
    '[[ "$out" == *"60-bad.conf:1"* ]] && [ "$(key firewall)" = active ]'
rm -f "$T/edge.d/60-bad.conf"

nsenter --net="/run/netns/$C" "${WU[@]}" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
    >/dev/null 2>"$T/second.log"
rc=$?
check "a second daemon on the same control socket exits 1" '[ $rc -eq 1 ]'

# ---- SIGTERM: nothing left behind ---------------------------------------------
kill -TERM "$CPID"
wait "$CPID"
rc=$?
check "SIGTERM: the client exits 0" '[ $rc -eq 0 ]'
check "SIGTERM: the tunnel is gone" '! ip -n "$C" link show dev "$TUN" >/dev/null 2>&1'
check "SIGTERM: no route via the tunnel left" '! ip -n "$C" -6 route | grep -q "$TUN"'
check "SIGTERM: the control socket is gone" '[ ! -e "$T/client.sock" ]'
check "SIGTERM: the edge socket is gone" '[ ! -e "$T/client.edge" ]'
check "SIGTERM: the firewall table is gone" '! has_table'
check "SIGTERM: the engine is gone" '[ -z "$engine" ] || ! kill -0 "$engine" 2>/dev/null'
out=$(status 2>&1)
rc=$?
check "status without a daemon: exit 1, one line ($out)" \
    '[ $rc -eq 1 ] && [[ "$out" == "shipworm: cannot reach shipwormd at $T/client.sock: "* ]]'

# ---- SIGKILL of the parent: the engine follows, the tunnel goes ------------
nsenter --net="/run/netns/$C" "${WU[@]}" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
    2>>"$T/client.log" &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 100); do
	[ "$(key state)" = qualified ] && break
	sleep 0.1
done
engine=$(pgrep -P "$CPID" | head -1)
kill -KILL "$CPID"
wait "$CPID" 2>/dev/null
for _ in $(seq 50); do
	kill -0 "$engine" 2>/dev/null || break
	sleep 0.1
done
check "SIGKILL of the parent: the engine exits" '! kill -0 "$engine" 2>/dev/null'
check "SIGKILL of the parent: the tunnel is gone" \
    '! ip -n "$C" link show dev "$TUN" >/dev/null 2>&1'
check "SIGKILL of the parent: the firewall table went with its socket" '! has_table'

# A socket left by a killed daemon does not stop the next one.
nsenter --net="/run/netns/$C" "${WU[@]}" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
    2>>"$T/client.log" &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 100); do
	state=$(key state)
	[ "$state" = qualified ] && break
	sleep 0.1
done
check "restart over a stale control socket qualifies" '[ "$state" = qualified ]'
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null

# ---- no firewall: the client waits; AllowUnfirewalled runs without -------
# A table of that name made by someone else: the daemon cannot make its own.
ip netns exec "$C" nft add table inet "$FWT"
nsenter --net="/run/netns/$C" "${WU[@]}" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
    2>>"$T/client.log" &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 50); do [ "$(key firewall)" = missing ] && break; sleep 0.1; done
sleep 1.5
check "firewall missing: status says so with a reason, the client does not qualify ($(key firewall): $(key firewall_reason); $(key state))" \
    '[ "$(key firewall)" = missing ] && [ -n "$(key firewall_reason)" ] &&
     [ "$(key state)" != qualified ] && [ -z "$(ip -n "$C" -6 -o addr show dev "$TUN" scope global)" ]'
check "firewall missing: logged once" \
    '[ "$(grep -c "firewall: missing" "$T/client.log")" = 1 ]'
ip netns exec "$C" nft delete table inet "$FWT"
for _ in $(seq 50); do [ "$(key state)" = qualified ] && break; sleep 0.1; done
check "firewall back (the table could be made): the client qualifies" \
    '[ "$(key firewall)" = active ] && [ "$(key state)" = qualified ]'
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null

ip netns exec "$C" nft add table inet "$FWT"
sed 's/^EdgePolicyDir.*/&\nAllowUnfirewalled yes\nDormantAfter 2/' "$T/client.conf" >"$T/unfw.conf"
: >"$T/unfw.log"
nsenter --net="/run/netns/$C" "${WU[@]}" "$D" -d -f "$T/unfw.conf" -s "$T/client.sock" \
    2>>"$T/unfw.log" &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 50); do [ "$(key state)" = qualified ] && break; sleep 0.1; done
check "AllowUnfirewalled yes: qualifies without the table, status says UNFIREWALLED" \
    '[ "$(key state)" = qualified ] && [ "$(key firewall)" = UNFIREWALLED ] &&
     [ -n "$(key firewall_reason)" ]'
check "AllowUnfirewalled yes: the text status says so in capitals; a warning at start" \
    'status | grep -q "^FIREWALL  *: NONE (AllowUnfirewalled)" &&
     grep -q "RUNNING WITHOUT A FIREWALL" "$T/unfw.log"'

# Dormancy: nothing granted any more (the cgroup's listener still runs:
# empty the policy) and no traffic for DormantAfter.
rm -f "$T/edge.d/"*.conf
ip netns exec "$C" python3 -c '
import socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(sys.argv[1]); c.sendall(b"reload\n"); c.recv(100)' "$T/client.edge"
for _ in $(seq 80); do [ "$(key state)" = dormant ] && break; sleep 0.1; done
a=$(key address)
check "DormantAfter 2, idle, nothing granted: dormant, address kept but deprecated ($(key state), $(key dormancies))" \
    '[ "$(key state)" = dormant ] && [ "$(key dormant)" = yes ] && [ "$(key dormancies)" -ge 1 ] &&
     ip -n "$C" -6 addr show dev "$TUN" | grep -q "inet6 $a/128 .*deprecated"'
if [ -n "$CG" ]; then
	edge allow cgroup "/$P-ok" >/dev/null 2>&1
	for _ in $(seq 80); do [ "$(key state)" = qualified ] && break; sleep 0.1; done
	check "a granted listener again: qualified, the address preferred again" \
	    '[ "$(key state)" = qualified ] && [ "$(key dormant)" = no ] &&
	     ip -n "$C" -6 addr show dev "$TUN" | grep "inet6 .*/128" | grep -qv deprecated'
fi
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
ip netns exec "$C" nft delete table inet "$FWT" 2>/dev/null

# ---- a bad edge policy file is fatal at start, one line naming it ---------
printf 'allow cgroup /a\nallow nonsense here\n' >"$T/edge.d/20-bad.conf"
out=$(nsenter --net="/run/netns/$C" "${WU[@]}" "$D" -d -f "$T/client.conf" -s "$T/client.sock" 2>&1 >/dev/null)
rc=$?
check "a bad policy file: shipwormd exits 1 naming file and line ($out)" \
    '[ $rc -eq 1 ] && [[ "$out" == *"$T/edge.d/20-bad.conf:2"* ]] && [ ! -e "$T/client.sock" ]'
rm -f "$T/edge.d/20-bad.conf"

if [ $failed -gt 0 ]; then
	for f in "$T"/*.log; do
		sed "s|^|# ${f##*/}: |" "$f"
	done
fi
echo "1..$n"
[ $failed -eq 0 ]
