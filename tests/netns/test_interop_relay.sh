#!/usr/bin/env bash
# tests/netns/test_interop_relay.sh BUILD_DIR - the relay interop matrix
# with Debian's Miredo, in network namespaces behind real kernel NATs
# (nftables).  Prints TAP.
#
#   ourA 10.1.0.2 - natA full-cone        198.51.100.1 \
#   ourB 10.2.0.2 - natB port-restricted  198.51.100.2  \
#   mcC  10.3.0.2 - natC full-cone        203.0.113.3    >-- br0 (IPv4)
#   mcD  10.4.0.2 - natD port-restricted  203.0.113.4   /
#   srv  192.0.2.10/.11 (our server, shipwormd), 2001:db8:6::1 on br6
#   msrv 192.0.2.40/.41 (miredo-server, part c2 only)
#   rly  192.0.2.20:3544 (our relay, shipwormd), 2001:db8:6::3 on br6
#   mrly 192.0.2.30:3544 (Miredo's relay, RelayType cone), 2001:db8:6::4
#   n6m  2001:db8:6::2, 2001::/32 via mrly (native host of part a)
#   n6s  2001:db8:6::5, 2001::/32 via rly  (native host of part b)
# ourA/ourB run our client (shipwormd Role client), mcC/mcD Miredo's
# (miredo, RelayType client), all qualified with our server unless said.
#
# (a) our clients (full-cone, port-restricted) through Miredo's relay to
#     the native host: the native host pings a fresh client first; a
#     restarted client (new address, nothing known) pings it first; a
#     4 MB TCP transfer from the native host arrives whole (SHA-256).
# (b) Miredo's clients through our relay to the native host: the same.
# (c) our client <-> Miredo's client, Teredo to Teredo, each side pinging
#     first with fresh state (our client restarted in between: a new
#     address that neither side knows):
#     c1 ourA (full-cone) & mcD (port-restricted), our server;
#     c2 ourB (port-restricted) & mcD (port-restricted), our server;
#     c3 ourB (port-restricted) & mcC (full-cone), both qualified with
#        miredo-server.
# The wan bridge is captured: Miredo sources its bubbles (relay's and
# client's) from fe80::<hash of the target's mapping>, and each such
# indirect bubble that reached our clients through a server must have been
# answered by a direct bubble to its origin, to that fe80:: address; no
# malformed packet; on failure every bubble seen is printed.
#
# Miredo is installed as in test_interop.sh (apt-get with a policy-rc.d
# that denies service starts, services disabled at boot); the test skips
# only when that is impossible (SHIPWORM_NO_INSTALL=1: skip instead of
# installing).  Every Miredo runs in the foreground (-f) with its own
# config, pid file and interface, inside a lab namespace; only the PIDs
# started here are ended.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
PATH=$PATH:/usr/sbin:/sbin

tap_require ip nft python3 ping ss tshark sha256sum
tap_require_bins "$B"
[ -c /dev/net/tun ] || { echo "1..0 # SKIP no /dev/net/tun (Miredo needs it)"; exit 0; }

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"
BLOB="$HERE/tcp_blob.py"

# ---- Miredo: install if needed, never in the root namespace ------------------
# shellcheck source=tests/netns/miredo.sh
. "$HERE/miredo.sh"
miredo_require

# ---- TAP -----------------------------------------------------------------------

OURS=(ourA ourB) MCS=(mcC mcD)
# c: "OUR MIREDO SERVER" (SERVER srv = ours, msrv = miredo-server)
PAIRS=("ourA mcD srv" "ourB mcD srv" "ourB mcC msrv")
PLAN=$(( 4 + ${#OURS[@]} * 6 + ${#MCS[@]} * 5 + 2 + 1 + ${#PAIRS[@]} * 4 + 4 + 4 ))

ROOT_LINKS=$(ip -o link show | awk -F': ' '{print $2}' | sort)
PREFIX="swir$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"
diag "Miredo $MIREDO_VERSION: $INSTALL_NOTE"
T_START=$(now_ms)

N6M=2001:db8:6::2 N6S=2001:db8:6::5 SRV6=2001:db8:6::1
RLY6=2001:db8:6::3 MRLY6=2001:db8:6::4

sj() { status_get "$1" "$1" "$2"; }
cnt() { status_num "$1" "$1" "$2"; }
# nonzero_drops NAME - "reason=count ..." of daemon NAME's nonzero drops
nonzero_drops() { status_drops "$1" "$1" 2>/dev/null || echo no-status; }
# drops_but REASON - the "reason=count ..." on stdin less REASON's
drops_but() { tr ' ' '\n' | awk -v r="$1" -F= '$1 != "" && $1 != r' | paste -sd' '; }
replies() { lab_ping_replies "$@"; }
listening() { lab_exec "$1" ss -Hlun | awk '{print $4}' | grep -qx "$2"; }

# ---- the world -------------------------------------------------------------------
lab_wan
lab_native_net
lab_server srv 192.0.2.10 192.0.2.11
lab_native_join srv "$SRV6"
lab_server msrv 192.0.2.40 192.0.2.41
lab_relay rly 192.0.2.20 "$RLY6"
lab_relay mrly 192.0.2.30 "$MRLY6"
lab_native_join n6m "$N6M" "$MRLY6"
lab_native_join n6s "$N6S" "$RLY6"
lab_nat natA full-cone 198.51.100.1 10.1.0.0/24
lab_nat natB port-restricted 198.51.100.2 10.2.0.0/24
lab_nat natC full-cone 203.0.113.3 10.3.0.0/24
lab_nat natD port-restricted 203.0.113.4 10.4.0.0/24
lab_client ourA natA
lab_client ourB natB
lab_client mcC natC
lab_client mcD natD

CAP="$LAB_DIR/wan.pcapng"
lab_capture wan br0 "$CAP"
CAP_PID=$LAB_LAST_PID

lab_config srv server "ServerBindAddress 192.0.2.10" \
    "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_config rly relay "RelayAddress $RLY6" "BindAddress 192.0.2.20" >/dev/null
lab_daemon srv srv
lab_daemon rly rly

miredo_run mrly mrly miredo "RelayType cone" "BindAddress 192.0.2.30" \
    "BindPort 3544" "InterfaceName mrelay"
MR_PID=$LAB_LAST_PID

if wait_for 5 status_is srv srv state serving &&
    wait_for 5 status_is rly rly state relaying; then
	ok "our server serving, our relay relaying"
else
	not_ok "our server serving, our relay relaying" "$(lab_status rly rly 2>&1 | head -3 | tr '\n' ' ')"
fi
mr_up() {
	listening mrly 192.0.2.30:3544 &&
	    lab_exec mrly ip -6 route show 2001::/32 | grep -q 'dev mrelay'
}
if wait_for 5 mr_up; then
	ok "Miredo's relay listens on 192.0.2.30:3544, 2001::/32 routed to its tunnel mrelay"
else
	not_ok "Miredo's relay listens on 192.0.2.30:3544 with 2001::/32 on mrelay" \
	    "ss: $(lab_exec mrly ss -Hlun | tr '\n' ' ')" "routes: $(lab_exec mrly ip -6 route | tr '\n' ' ')" \
	    "log: $(tail -3 "$LAB_DIR/miredo-mrly.log" | tr '\n' ' ')"
fi
ping1() { lab_exec "$1" ping -6 -q -c 1 -W 2 "$2" >/dev/null; }
check "native net: n6m reaches Miredo's relay ($MRLY6), n6s ours ($RLY6)" \
    eval "ping1 n6m $MRLY6 && ping1 n6s $RLY6"
check "native net: the native hosts route 2001::/32 via their relay" \
    eval "lab_exec n6m ip -6 route show 2001::/32 | grep -q 'via $MRLY6' &&
	lab_exec n6s ip -6 route show 2001::/32 | grep -q 'via $RLY6'"

head -c $((4 * 1024 * 1024)) /dev/urandom >"$LAB_DIR/blob"
BLOB_LEN=$((4 * 1024 * 1024))
WANT=$(sha256sum "$LAB_DIR/blob" | awk '{print $1}')
PORT=8080

# fetch_blob N6 CLIENT N6ADDR - the client fetches the blob from the
# native host over TCP; FETCHED is "BYTES SHA256" (or the error).  Not in
# a subshell: the server's PID must reach LAB_PIDS.
fetch_blob() {
	local spid i
	lab_run "$1" python3 "$BLOB" serve "$PORT" "$LAB_DIR/blob"
	spid=$LAB_LAST_PID
	wait_for 5 lab_exec "$1" sh -c "ss -ltn | grep -q ':$PORT '"
	FETCHED=$(lab_exec "$2" python3 "$BLOB" fetch "$3" "$PORT" --timeout 8 2>&1 | tail -1)
	for ((i = 0; i < 40; i++)); do lab_alive "$spid" || break; sleep 0.05; done
	lab_kill "$spid"	# if the fetch failed, it still waits
	PORT=$((PORT + 1))
}

# ---- our clients ---------------------------------------------------------------------
declare -A ADDR SERVER_OF
# our_up NAME [SERVER_IP] - (re)start our client NAME with a fresh
# config; ADDR[NAME] is its address ("" when it did not qualify)
our_up() {
	local c=$1 s=${2:-192.0.2.10}
	[ -n "${LAB_DAEMON_PID[$c]:-}" ] && lab_kill "${LAB_DAEMON_PID[$c]}"
	lab_config "$c" client "ServerAddress $s" >/dev/null
	lab_daemon "$c" "$c"
	ADDR[$c]=
	if wait_for 10 status_is "$c" "$c" state qualified; then
		ADDR[$c]=$(sj "$c" address)
	fi
	SERVER_OF[$c]=$s
}

# ---- Miredo's clients -----------------------------------------------------------------
declare -A MC_PID
ns_pids() { ip netns pids "$(lab_ns "$1")" 2>/dev/null; }
mc_addr() { lab_teredo_addrs "$1" mteredo | head -1; }
mc_has_addr() { [ -n "$(mc_addr "$1")" ]; }
# mc_up NAME [SERVER_IP] - (re)start Miredo's client NAME; ADDR[NAME]
mc_up() {
	local c=$1 s=${2:-192.0.2.10} i
	if [ -n "${MC_PID[$c]:-}" ]; then
		lab_kill "${MC_PID[$c]}"
		# its helper processes go with it
		for ((i = 0; i < 60; i++)); do
			[ -z "$(ns_pids "$c")" ] && break
			sleep 0.05
		done
	fi
	miredo_run "$c" "$c" miredo "RelayType client" "ServerAddress $s" \
	    "InterfaceName mteredo"
	MC_PID[$c]=$LAB_LAST_PID
	ADDR[$c]=
	if wait_for 10 mc_has_addr "$c"; then
		ADDR[$c]=$(mc_addr "$c")
	fi
	SERVER_OF[$c]=$s
}
# server_in ADDR - the server address embedded in Teredo address ADDR
server_in() { [ -n "$1" ] && lab_teredo_decode "$1" 2>/dev/null | cut -d' ' -f1; }
# qualified NAME - check line: NAME has an address from its server
qualified() {
	local c=$1 what=$2 t0=$3 dec
	dec=$(lab_teredo_decode "${ADDR[$c]:-::}" 2>/dev/null | awk '{print $1}')
	if [ -n "${ADDR[$c]}" ] && [ "$dec" = "${SERVER_OF[$c]}" ]; then
		ok "$what $c qualified with ${SERVER_OF[$c]} in $(($(now_ms) - t0)) ms (${ADDR[$c]})"
	else
		not_ok "$what $c qualified with ${SERVER_OF[$c]}" "address '${ADDR[$c]}', server '$dec'"
	fi
}

# ==== (a) our clients through Miredo's relay ==========================================
for c in "${OURS[@]}"; do
	t=${LAB_NAT_TYPE[${LAB_CLIENT_NAT[$c]}]}
	t0=$(now_ms); our_up "$c"
	qualified "$c" "a/$t: our client" "$t0"
	got=$(replies n6m "${ADDR[$c]:-::1}" 5)
	check "a/$t: the native host pings our $c first through Miredo's relay: ${got:-0}/5 replies" \
	    test "${got:-0}" -ge 3
	is "a/$t: our $c counted no drop" "$(nonzero_drops "$c")" ""
	our_up "$c"
	got=$(replies "$c" "$N6M" 5)
	check "a/$t: our $c (restarted: ${ADDR[$c]:-none}) pings the native host first through Miredo's relay: ${got:-0}/5 replies" \
	    test "${got:-0}" -ge 3
	fetch_blob n6m "$c" "$N6M"
	is "a/$t: 4 MB over TCP from the native host to our $c through Miredo's relay (SHA-256)" \
	    "$FETCHED" "$BLOB_LEN $WANT"
	is "a/$t: our restarted $c counted no drop" "$(nonzero_drops "$c")" ""
done

# ==== (b) Miredo's clients through our relay ==========================================
for c in "${MCS[@]}"; do
	t=${LAB_NAT_TYPE[${LAB_CLIENT_NAT[$c]}]}
	t0=$(now_ms); mc_up "$c"
	qualified "$c" "b/$t: Miredo's client" "$t0"
	got=$(replies n6s "${ADDR[$c]:-::1}" 5)
	check "b/$t: the native host pings Miredo's $c first through our relay: ${got:-0}/5 replies" \
	    test "${got:-0}" -ge 3
	mc_up "$c"
	got=$(replies "$c" "$N6S" 5)
	check "b/$t: Miredo's $c (restarted: ${ADDR[$c]:-none}) pings the native host first through our relay: ${got:-0}/5 replies" \
	    test "${got:-0}" -ge 3
	fetch_blob n6s "$c" "$N6S"
	is "b/$t: 4 MB over TCP from the native host to Miredo's $c through our relay (SHA-256)" \
	    "$FETCHED" "$BLOB_LEN $WANT"
	# The kernel's own MLD reports on the tunnel (from ::) are refused
	# as not Teredo: the only drops allowed (as in test_relay.sh).
	is "b/$t: our relay counted no drop but the kernel's MLD reports" \
	    "$(nonzero_drops rly | drops_but relay-destination-not-teredo)" ""
done
check "b: our relay trusted Miredo's clients ($(cnt rly peers_trusted)) and flushed queues ($(cnt rly flushed))" \
    test "$(cnt rly peers_trusted)" -ge 4 -a "$(cnt rly flushed)" -ge 4
is "b: our relay: no tunnel or UDP errors" \
    "$(cnt rly tun_tx_errors) $(cnt rly udp_tx_errors) $(cnt rly tun_rx_errors)" "0 0 0"

# ==== (c) Teredo to Teredo ==============================================================
miredo_run msrv server miredo-server "ServerBindAddress 192.0.2.40" \
    "ServerBindAddress2 192.0.2.41"
MS_PID=$LAB_LAST_PID
ms_up() { listening msrv 192.0.2.40:3544 && listening msrv 192.0.2.41:3544; }
check "miredo-server listens on 192.0.2.40:3544 and 192.0.2.41:3544" wait_for 5 ms_up

for pair in "${PAIRS[@]}"; do
	read -r o m s <<<"$pair"
	so=${LAB_NAT_TYPE[${LAB_CLIENT_NAT[$o]}]} sm=${LAB_NAT_TYPE[${LAB_CLIENT_NAT[$m]}]}
	if [ "$s" = msrv ]; then sip=192.0.2.40 sname=miredo-server; else sip=192.0.2.10 sname="our server"; fi
	tag="c/$sname: our $o ($so) & Miredo's $m ($sm)"
	if [ "${SERVER_OF[$m]:-}" != "$sip" ] || [ -z "${ADDR[$m]}" ]; then
		mc_up "$m" "$sip"
	fi
	our_up "$o" "$sip"
	is "$tag: both qualified with $sip (${ADDR[$o]:-none}, ${ADDR[$m]:-none})" \
	    "$(server_in "${ADDR[$o]}") $(server_in "${ADDR[$m]}")" "$sip $sip"
	got=$(replies "$o" "${ADDR[$m]:-::1}" 5)
	check "$tag: ours pings first: ${got:-0}/5 replies" test "${got:-0}" -ge 3
	our_up "$o" "$sip"
	got=$(replies "$m" "${ADDR[$o]:-::1}" 5)
	check "$tag: Miredo's pings first (ours restarted: ${ADDR[$o]:-none}): ${got:-0}/5 replies" \
	    test "${got:-0}" -ge 3
	# Miredo's client bubbles from a link-local address (fe80:: and a
	# hash of the target's mapping, libteredo's SendBubbleFromDst): its
	# direct bubble, when the NAT lets it in, matches no peer and is
	# dropped (RFC 4380 5.2.3 case 6; CLI-RX-10 only MAY answer it); the
	# indirect one, through the server, is the one answered.
	dr=$(nonzero_drops "$o")
	is "$tag: our $o counted no drop but Miredo's link-local direct bubbles (${dr:-none})" \
	    "$(drops_but direct-bubble-unmatched <<<"$dr")" ""
done
is "our server counted no drop" "$(nonzero_drops srv)" ""

# ==== the wire and the end ===============================================================
is "every daemon still runs (srv rly ${OURS[*]} Miredo: relay, server, ${MCS[*]})" \
    "$(for p in "${LAB_DAEMON_PID[srv]}" "${LAB_DAEMON_PID[rly]}" "${LAB_DAEMON_PID[ourA]}" "${LAB_DAEMON_PID[ourB]}" \
	"$MR_PID" "$MS_PID" "${MC_PID[mcC]}" "${MC_PID[mcD]}"; do lab_alive "$p" && echo -n y || echo -n n; done)" yyyyyyyy
lab_capture_stop "$CAP_PID"
# Miredo bubbles from fe80::<hash of the target's mapping>; what our
# clients (behind 198.51.100.0/24) got of those through a server (with an
# origin indication) must each be answered by a direct bubble to the
# origin, IPv6 destination = that link-local source (RFC 4380 5.2.3,
# CLI-RX-3): Miredo's relay and client match the answer by it.
bub=$(tshark -r "$CAP" --enable-heuristic teredo_udp -Y "ipv6.nxt == 59 && ipv6.plen == 0" \
	-T fields -E separator=' ' -e ip.src -e udp.srcport -e ip.dst -e udp.dstport \
	-e ipv6.src -e ipv6.dst -e teredo.orig.addr -e teredo.orig.port 2>/dev/null)
ll=$(awk '$2 == 3544 && $3 ~ /^198\.51\.100\./ && $5 ~ /^fe80:/ && $7 != "" {print $3, $7 ":" $8, $5, $6}' <<<"$bub" | sort -u)
unanswered=0
while read -r pub orig src dst; do
	[ -n "$pub" ] || continue
	awk -v p="$pub" -v o="$orig" -v s="$src" -v d="$dst" \
	    '$1 == p && $3 ":" $4 == o && $5 == d && $6 == s {f = 1} END {exit !f}' <<<"$bub" ||
		{ unanswered=$((unanswered + 1)); [ "$unanswered" -le 5 ] && diag "unanswered: $src > $dst via origin $orig"; }
done <<<"$ll"
check "wire: our clients answered each of Miredo's link-local-sourced indirect bubbles ($(grep -c . <<<"$ll")) with a direct bubble to its origin ($unanswered unanswered)" \
    test "$(grep -c . <<<"$ll")" -ge 3 -a "$unanswered" -eq 0
# The TCP segments that carry tcp_blob.py's random bytes are left out:
# on its ports (8080...) tshark tries HTTP and other protocols on them,
# and random bytes are no such thing (a rare flake before).  What the
# daemons build - bubbles, RS/RA, echo, the Teredo/IPv6/TCP headers - is
# all checked.
bad=$(tshark -r "$CAP" --enable-heuristic teredo_udp --disable-protocol http \
	-Y "(_ws.malformed || _ws.expert.severity >= error) && !(tcp.len > 0)" \
	2>/dev/null | head -5)
is "wire: no malformed packet" "$bad" ""
if [ "$failed" -gt 0 ]; then
	diag "bubbles on the wan (IPv4 src:port > dst:port  IPv6 src > dst  origin):"
	tshark -r "$CAP" --enable-heuristic teredo_udp -Y "ipv6.nxt == 59 && ipv6.plen == 0" \
	    -T fields -E separator=' ' -e ip.src -e udp.srcport -e ip.dst -e udp.dstport \
	    -e ipv6.src -e ipv6.dst -e teredo.orig.addr -e teredo.orig.port 2>/dev/null |
	    head -60 | while read -r a b c d e f g h; do
		diag "  $a:$b > $c:$d  $e > $f  ${g:+origin $g:$h}"
	    done
fi

show_logs
tap_lab_closing
is "cleanup: no Miredo in the root namespace" "$(root_miredo | tr '\n' ' ')" ""
diag "runtime $(( ($(now_ms) - T_START) / 1000 )) s"

[ "$n" -eq "$PLAN" ] || echo "# planned $PLAN, ran $n"
[ "$failed" -eq 0 ] && [ "$n" -eq "$PLAN" ]
