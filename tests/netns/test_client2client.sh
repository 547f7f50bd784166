#!/usr/bin/env bash
# test_client2client.sh BUILD_DIR - Teredo to Teredo through real NATs
# (RFC 4380 §5.2.4 case 5, §5.2.6 bubbles; the client data path end to
# end).  Prints TAP.
#
# Every unordered pair of the NAT types full-cone, restricted and
# port-restricted (same-type pairs too: 6 pairs), each in both orders:
# a fresh pair of clients (fresh NATs, empty peer tables) per order, so
# that each side is once the one that speaks first.  The first side pings
# the other's Teredo address (the peer is unknown: bubbles, CLI-TX-5),
# then the other pings back.  The packets must arrive, the server must
# have relayed only the indirect bubbles (the data goes straight between
# the NATs), and no drop may be counted.
#
# Then a symmetric NAT (RFC 4380 §5.2.1, CLI-QUAL-6): the client behind it
# cannot qualify (offline, nat symmetric, reason symmetric-nat, no
# address), so there is nothing to reach: a cone client trying the
# address it would have had (its server and its NAT's mapping towards the
# server) gets no answer and status says why (queue-peer-unresolved); the
# symmetric client has nothing to send from; the cone client stays
# qualified, keeps its address and still reaches a third client.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft conntrack python3 ping
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

TYPES=(full-cone restricted port-restricted)
PAIRS=()
for ((x = 0; x < ${#TYPES[@]}; x++)); do
	for ((y = x; y < ${#TYPES[@]}; y++)); do
		PAIRS+=("${TYPES[x]} ${TYPES[y]}")
	done
done
# one case per pair and order: "TYPE_A TYPE_B FIRST" (FIRST: a or b)
CASES=()
for pair in "${PAIRS[@]}"; do CASES+=("$pair a" "$pair b"); done
SYM_CHECKS=14
PLAN=$(( ${#CASES[@]} * 6 + SYM_CHECKS + 2 ))

PREFIX="swc2c$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT
echo "1..$PLAN"

state_is() { status_is "$1" "$1" state "$2"; }
sj() { status_get "$1" "$1" "$2"; }
st() { lab_status "$1" "$1" --json 2>/dev/null | tr -d '\n '; }
drops() { lab_status "$1" "$1" --json 2>/dev/null | python3 -c '
import json, sys; print(sum(json.load(sys.stdin).get("drops", {}).values()))'; }
# nonzero_drops NAME - "reason=count ..." of the nonzero drop counters
nonzero_drops() { status_drops "$1" "$1"; }
pings() { lab_exec "$1" ping -6 -q -c "$3" -i 0.2 -W 2 "$2" 2>/dev/null |
	awk '/received/ {print $4}'; }
tun_addrs() { lab_teredo_addrs "$1" "$(lab_ifname "$1")" | tr '\n' ' '; }
both_qualified() { wait_for 10 state_is "$1" qualified && wait_for 10 state_is "$2" qualified; }

# ---- the world: one server, 2 NATs + 2 clients per case, 3 for the
# ---- symmetric part; every daemon starts at once -------------------------
lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_config srv server "ServerBindAddress 192.0.2.10" \
    "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_daemon srv srv
wait_for 5 state_is srv serving || echo "# the server did not start"

CLIENTS=()
i=0
for c in "${CASES[@]}"; do
	read -r t1 t2 _ <<<"$c"
	i=$((i + 1))
	lab_nat "na$i" "$t1" "198.51.100.$((10 + i))" "10.$((100 + i)).0.0/24"
	lab_nat "nb$i" "$t2" "203.0.113.$((10 + i))" "10.$((200 + i)).0.0/24"
	lab_client "a$i" "na$i"
	lab_client "b$i" "nb$i"
	CLIENTS+=("a$i" "b$i")
done
lab_nat nsy symmetric 203.0.113.50 10.50.0.0/24
lab_nat nco full-cone 198.51.100.50 10.51.0.0/24
lab_nat nc2 port-restricted 198.51.100.51 10.52.0.0/24
lab_client sy nsy
lab_client co nco
lab_client c2 nc2
CLIENTS+=(sy co c2)
for c in "${CLIENTS[@]}"; do
	lab_config "$c" client "ServerAddress 192.0.2.10" >/dev/null
	lab_daemon "$c" "$c"
done

# ---- cone x cone, both orders -------------------------------------------------
i=0
for c in "${CASES[@]}"; do
	read -r t1 t2 first <<<"$c"
	i=$((i + 1))
	a=a$i b=b$i
	if [ "$first" = a ]; then
		f=$a o=$b tf=$t1 to=$t2
	else
		f=$b o=$a tf=$t2 to=$t1
	fi
	name="$t1 $a & $t2 $b, $f first"
	check "$name: both clients qualified" both_qualified "$a" "$b"
	af=$(sj "$f" address) ao=$(sj "$o" address)
	relayed0=$(status_get srv srv relayed_udp)
	# The first packet finds an empty peer table (CLI-TX-5: bubbles);
	# the answer and the reverse ping find the peer trusted.
	is "$tf $f -> $to $o (empty peer tables): 5 of 5 echoes answered" \
	    "$(pings "$f" "$ao" 5)" 5
	is "$to $o -> $tf $f (back): 5 of 5 echoes answered" \
	    "$(pings "$o" "$af" 5)" 5
	relayed=$(( $(status_get srv srv relayed_udp) - relayed0 ))
	# Only indirect bubbles go through the server (one or two per
	# opening); the 20 data packets go straight between the NATs.
	check "$name: the server relayed only bubbles ($relayed)" \
	    test "$relayed" -ge 1 -a "$relayed" -le 4
	is "$name: no drop counted by either client" \
	    "$(drops "$a") $(drops "$b")" "0 0"
	txa=$(sj "$a" tun_rx) txb=$(sj "$b" tun_rx)
	check "$name: the hosts' packets went through the tunnels ($txa, $txb)" \
	    test "${txa:-0}" -ge 10 -a "${txb:-0}" -ge 10
done

# ---- a symmetric NAT on one side ----------------------------------------------
sym_given_up() { status_is sy sy reason symmetric-nat; }
if wait_for 10 sym_given_up; then
	ok "symmetric: sy gives up qualifying (reason symmetric-nat)"
else
	not_ok "symmetric: sy gives up qualifying (reason symmetric-nat)" "status: $(st sy)"
fi
# OFFLINE is not final (CLI-QUAL-9): sy re-probes after a backoff, and
# is in probe-primary/-secondary for a few ms then; read it offline.
sy_summary() { echo "$(sj sy state) $(sj sy nat) $(sj sy reason)"; }
sy_offline() { [ "$(sy_summary)" = "offline symmetric symmetric-nat" ]; }
wait_for 3 sy_offline
is "symmetric: sy status state, nat, reason" "$(sy_summary)" \
    "offline symmetric symmetric-nat"
is "symmetric: no Teredo address on $(lab_ifname sy)" "$(tun_addrs sy)" ""
is "symmetric: no address in status, never qualified" \
    "$(sj sy address)|$(sj sy qualifications)" "|0"
check "symmetric: the cone clients co (full-cone) and c2 (port-restricted) qualified" \
    both_qualified co c2
is "symmetric: co status nat, reason" "$(sj co nat) $(sj co reason)" \
    "cone-or-restricted none"
aco=$(sj co address) ac2=$(sj c2 address) chg_co=$(sj co address_changes)

# sy -> co: sy has no Teredo address to send from; its tunnel is down,
# so its host has no route there.
sy_tx0=$(sj sy udp_tx) co_rx0=$(sj co udp_rx)
perr=$(lab_exec sy ping -6 -c 3 -i 0.2 -W 2 "$aco" 2>&1 >/dev/null) && perr="ping succeeded"
is "symmetric: sy -> co: no route on sy's host ($perr), nothing entered the tunnel" \
    "$(lab_exec sy ip -6 route get "$aco" >/dev/null 2>&1 && echo route) $(sj sy tun_rx)" " 0"

# co -> sy: the address sy would have had (server 192.0.2.10 and sy's
# NAT's mapping towards it).  co bubbles it directly (the symmetric NAT
# has no mapping for co: dropped) and through the server (relayed to
# that mapping; sy is offline and discards it).
syport=$(sj sy local); syport=${syport##*:}
symap=$(lab_conntrack_mapped nsy "$syport" 192.0.2.10 | head -1)
[ -n "$symap" ] || symap=203.0.113.50:1
asy=$(lab_teredo_addr 192.0.2.10 "${symap%:*}" "${symap##*:}")
diag "sy would be $asy (mapping $symap)"
relayed0=$(status_get srv srv relayed_udp)
sy_nr0=$(sj sy drop.client-not-ready)
is "symmetric: co -> sy's would-be address: 0 of 3 echoes answered" \
    "$(pings co "$asy" 3)" "0"
unresolved() { v=$(sj co drop.queue-peer-unresolved) && [ "$v" -ge 1 ]; }
if wait_for 12 unresolved; then
	ok "symmetric: co's status says why: $(nonzero_drops co)"
else
	not_ok "symmetric: co's status says why (queue-peer-unresolved)" "drops: $(nonzero_drops co)"
fi
is "symmetric: co counted no other drop" \
    "$(nonzero_drops co | sed 's/queue-peer-unresolved=[0-9]*//')" ""
relayed=$(( $(status_get srv srv relayed_udp) - relayed0 ))
sy_nr=$(( $(sj sy drop.client-not-ready) - sy_nr0 ))
diag "server relayed $relayed indirect bubble(s) towards sy; sy discarded $sy_nr (client-not-ready); sy udp_tx $sy_tx0 -> $(sj sy udp_tx); co udp_rx $co_rx0 -> $(sj co udp_rx)"
wait_for 3 sy_offline
is "symmetric: sy still offline symmetric symmetric-nat, no address on $(lab_ifname sy)" \
    "$(sy_summary) [$(tun_addrs sy)]" \
    "offline symmetric symmetric-nat []"
is "symmetric: co unaffected: qualified, same address, no address change" \
    "$(sj co state) $(sj co address) $(sj co address_changes)" \
    "qualified $aco $chg_co"
is "symmetric: co -> c2 still works: 3 of 3 echoes answered" \
    "$(pings co "$ac2" 3)" 3
is "symmetric: c2 counted no drop" "$(drops c2)" 0

is "server: no drop counted" "$(drops srv)" 0

# ---- cleanup leaves nothing ---------------------------------------------------
show_logs
tap_lab_end

[ $n -eq "$PLAN" ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq "$PLAN" ]
