#!/usr/bin/env bash
# tests/netns/test_daemon.sh BUILD_DIR - smoke test of shipwormd and
# shipworm in two network namespaces joined by a veth pair: a server on
# 192.0.2.10/.11 and a client on 198.51.100.2 (documentation addresses,
# AddressPolicy lab).  The client qualifies, its address and routes
# appear on the tunnel, the engine runs unprivileged, status reads in text
# and JSON, and stopping the daemon (SIGTERM, or SIGKILL) leaves nothing
# behind.  Root only (SKIP otherwise); cleans up after itself, also on
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

P=swd$$				# per-run prefix: namespaces, links
S=${P}s C=${P}c TUN=${P}t
T=$(mktemp -d /tmp/shipworm-daemontest.XXXXXX) || exit 2
PIDS=()

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
EOF

ip netns exec "$S" "$D" -d -f "$T/server.conf" -s "$T/server.sock" \
    2>"$T/server.log" &
SPID=$!
PIDS+=("$SPID")
ip netns exec "$C" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
    2>"$T/client.log" &
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

check "server: its tunnel ${P}srv is up, with no IPv6 address, and 2001:0:c000:20a::/64 routed to it" \
    'ip -n "$S" link show dev "${P}srv" | grep -q "UP.*mtu 1280" &&
     [ -z "$(ip -n "$S" -6 -o addr show dev "${P}srv")" ] &&
     ip -n "$S" -6 route show dev "${P}srv" | grep -q "^2001:0:c000:20a::/64 "'

srs=$(ip netns exec "$S" "$CLI" status --json -s "$T/server.sock" |
    sed -n 's/^  "rs_answered": \([0-9]*\),$/\1/p')
check "server answered the client's two RSs (rs_answered=$srs)" \
    '[ "${srs:-0}" -ge 2 ]'

ip netns exec "$C" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
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
check "SIGTERM: the engine is gone" '[ -z "$engine" ] || ! kill -0 "$engine" 2>/dev/null'
out=$(status 2>&1)
rc=$?
check "status without a daemon: exit 1, one line ($out)" \
    '[ $rc -eq 1 ] && [[ "$out" == "shipworm: cannot reach shipwormd at $T/client.sock: "* ]]'

# ---- SIGKILL of the parent: the engine follows, the tunnel goes ------------
ip netns exec "$C" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
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

# A socket left by a killed daemon does not stop the next one.
ip netns exec "$C" "$D" -d -f "$T/client.conf" -s "$T/client.sock" \
    2>>"$T/client.log" &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 100); do
	state=$(key state)
	[ "$state" = qualified ] && break
	sleep 0.1
done
check "restart over a stale control socket qualifies" '[ "$state" = qualified ]'

if [ $failed -gt 0 ]; then
	for f in "$T"/*.log; do
		sed "s|^|# ${f##*/}: |" "$f"
	done
fi
echo "1..$n"
[ $failed -eq 0 ]
