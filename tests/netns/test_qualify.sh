#!/usr/bin/env bash
# tests/netns/test_qualify.sh BUILD_DIR - Teredo qualification end to end:
# the real shipwormd (server and clients) in network namespaces behind
# real kernel NATs (nftables).  Prints TAP.
#
#   srv1 192.0.2.10/.11    srv2 192.0.2.20/.21
#   cl1  full-cone        198.51.100.1  -> srv1
#   cl2  restricted       203.0.113.2   -> srv1
#   cl3  port-restricted  198.51.100.3  -> srv1
#   cl4  symmetric        203.0.113.4   -> srv2   (must not qualify)
#   cl5  port-restricted  203.0.113.5   -> srv1, srv2   (failover)
#   cl6  port-restricted  198.51.100.6  -> srv2   (mapping loss; the NAT
#        maps into 20000-29999 so a flushed mapping comes back elsewhere)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}

tap_require ip nft conntrack tshark python3
tap_require_bins "$B"

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"
REFRESH=10

PLAN=48


ROOT_TABLES=$(nft list tables 2>/dev/null)
ROOT_LINKS=$(ip -o link show | awk -F': ' '{print $2}' | sort)
PREFIX="swq$$"
lab_init "$PREFIX"
trap 'show_logs; lab_cleanup' EXIT

echo "1..$PLAN"

lab_wan
lab_server srv1 192.0.2.10 192.0.2.11
lab_server srv2 192.0.2.20 192.0.2.21
lab_nat nat1 full-cone 198.51.100.1 10.1.0.0/24
lab_nat nat2 restricted 203.0.113.2 10.2.0.0/24
lab_nat nat3 port-restricted 198.51.100.3 10.3.0.0/24
lab_nat nat4 symmetric 203.0.113.4 10.4.0.0/24
lab_nat nat5 port-restricted 203.0.113.5 10.5.0.0/24
lab_nat nat6 port-restricted 198.51.100.6 10.6.0.0/24 20000-29999
for i in 1 2 3 4 5 6; do lab_client "cl$i" "nat$i"; done

lab_config srv1 server "ServerBindAddress 192.0.2.10" "SecondaryBindAddress 192.0.2.11" >/dev/null
lab_config srv2 server "ServerBindAddress 192.0.2.20" "SecondaryBindAddress 192.0.2.21" >/dev/null
declare -A SERVERS=([cl1]=192.0.2.10 [cl2]=192.0.2.10 [cl3]=192.0.2.10
	[cl4]=192.0.2.20 [cl5]="192.0.2.10 192.0.2.20" [cl6]=192.0.2.20)
for c in cl1 cl2 cl3 cl4 cl5 cl6; do
	lines=()
	for s in ${SERVERS[$c]}; do lines+=("ServerAddress $s"); done
	lab_config "$c" client "${lines[@]}" "RefreshInterval $REFRESH" >/dev/null
done

# text status (fast, for polling): st NAME -> key=value lines
st() { lab_status "$1" "$1" --json 2>/dev/null; }
# one key of the JSON status
sj() { status_get "$1" "$1" "$2"; }
state_is() { status_is "$1" "$1" state "$2"; }

# ---- servers first -----------------------------------------------------------
lab_daemon srv1 srv1
lab_daemon srv2 srv2
if wait_for 5 state_is srv1 serving && wait_for 5 state_is srv2 serving; then
	ok "both servers are up (status: role $(sj srv1 role), state serving)"
else
	not_ok "both servers are up" "srv1: $(st srv1 | tr '\n' ' ')" "srv2: $(st srv2 | tr '\n' ' ')"
fi

# qualify NAME - start client NAME, poll its status every 50 ms until
# qualified; QMS gets the milliseconds it took (or "timeout").  Not in a
# subshell: the lab must know the daemon's PID.
qualify() {
	local name=$1 t0 i
	t0=$(date +%s%N)
	lab_daemon "$name" "$name"
	for ((i = 0; i < 200; i++)); do
		if state_is "$name" qualified; then
			QMS=$((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		sleep 0.05
	done
	QMS=timeout
	return 1
}

# tun_addrs NAME - the global addresses on client NAME's tunnel
tun_addrs() { lab_teredo_addrs "$1" "$(lab_ifname "$1")"; }

# check_qualified NAME NAT SERVER MS - the checks for one qualified client
check_qualified() {
	local c=$1 nat=$2 server=$3 ms=$4 pub=${LAB_NAT_PUB[$2]} type=${LAB_NAT_TYPE[$2]}
	local mapped amapped addr local_port ct dec addrs
	if [ "$ms" = timeout ] || [ "$ms" -ge 1000 ]; then
		not_ok "$type: $c qualifies in under 1 s" "took: $ms ms" "status: $(st "$c" | tr '\n' ' ')"
	else
		ok "$type: $c qualifies in under 1 s ($ms ms)"
	fi
	is "$type: $c status (JSON): state, nat, reason, server" \
	    "$(sj "$c" state) $(sj "$c" nat) $(sj "$c" reason) $(sj "$c" server)" \
	    "qualified cone-or-restricted none $server"
	mapped=$(sj "$c" mapped) amapped=$(sj "$c" address_mapped) addr=$(sj "$c" address)
	local_port=$(sj "$c" local); local_port=${local_port##*:}
	ct=$(lab_conntrack_mapped "$nat" "$local_port" "$server" | tr '\n' ' ')
	is "$type: $c mapped = address_mapped = the NAT's conntrack mapping ($pub:*)" \
	    "$mapped $amapped ${ct% }" "$ct$ct${ct% }"
	case $mapped in "$pub":*) ;; *) diag "mapped $mapped is not on $pub" ;; esac
	dec=$(lab_teredo_decode "$addr" 2>/dev/null)
	is "$type: $c address $addr embeds server $server and the mapping $mapped" \
	    "$(echo "$dec" | awk '{print $1, $2 ":" $3}')" "$server ${ct%% *}"
	addrs=$(tun_addrs "$c" | tr '\n' ' ')
	is "$type: $c tunnel $(lab_ifname "$c") has exactly that one address" "${addrs% }" "$addr"
}

# ---- cone / restricted / port-restricted: qualify, each alone ----------------
for i in 1 2 3; do
	qualify "cl$i"
	check_qualified "cl$i" "nat$i" 192.0.2.10 "$QMS"
done
qualify cl5
check_qualified cl5 nat5 192.0.2.10 "$QMS"
qualify cl6
check_qualified cl6 nat6 192.0.2.20 "$QMS"

# ---- symmetric NAT: offline, no address, keeps trying --------------------------
CAP4="$LAB_DIR/nat4-wan.pcapng"
lab_capture nat4 wan "$CAP4"
CAP4_PID=$LAB_LAST_PID
SYM_T0=$(date +%s)
lab_daemon cl4 cl4
sym_given_up() { status_is cl4 cl4 reason symmetric-nat; }
if wait_for 5 sym_given_up; then
	ok "symmetric: cl4 gives up on its first attempt (reason symmetric-nat)"
else
	not_ok "symmetric: cl4 gives up on its first attempt (reason symmetric-nat)" "status: $(st cl4 | tr '\n' ' ')"
fi
is "symmetric: status state, nat, reason" "$(sj cl4 state) $(sj cl4 nat) $(sj cl4 reason)" "offline symmetric symmetric-nat"
is "symmetric: no Teredo address on $(lab_ifname cl4)" "$(tun_addrs cl4 | tr '\n' ' ')" ""
is "symmetric: no address in status" "$(sj cl4 address)" ""

# ---- mapping loss (cl6) and server failure (cl5), at once ----------------------
old6=$(sj cl6 address) oldmap6=$(sj cl6 mapped) oldchg6=$(sj cl6 address_changes)
lab_exec nat6 conntrack -F >/dev/null 2>&1
FLUSH_T0=$(date +%s%N)
KILL_T0=$(date +%s%N)
lab_kill "${LAB_DAEMON_PID[srv1]}"
is "failover: the first server's daemon is gone" "$(lab_alive "${LAB_DAEMON_PID[srv1]}" && echo alive)" ""

moved6() { a=$(sj cl6 address) && [ -n "$a" ] && [ "$a" != "$old6" ] && state_is cl6 qualified; }
if wait_for $((REFRESH + 5)) moved6; then
	ok "mapping loss: cl6 has a new address within $((($(date +%s%N) - FLUSH_T0) / 1000000)) ms of conntrack -F (refresh $REFRESH s)"
else
	not_ok "mapping loss: cl6 gets a new address by the next refresh" "old: $old6 ($oldmap6)" "status: $(st cl6 | tr '\n' ' ')"
fi
new6=$(sj cl6 address) newmap6=$(sj cl6 mapped)
p6=$(sj cl6 local); p6=${p6##*:}
ct6=$(lab_conntrack_mapped nat6 "$p6" 192.0.2.20 | tr '\n' ' ')
check "mapping loss: new mapped port ($oldmap6 -> $newmap6)" test "${newmap6##*:}" != "${oldmap6##*:}"
is "mapping loss: the new mapping is the NAT's (conntrack)" "$newmap6" "${ct6% }"
is "mapping loss: the new address embeds it" "$(lab_teredo_decode "$new6" | awk '{print $1, $2 ":" $3}')" "192.0.2.20 $newmap6"
is "mapping loss: exactly one address on the tunnel, the new one" "$(tun_addrs cl6 | tr '\n' ' ')" "$new6 "
check "mapping loss: address_changes went up ($oldchg6 -> $(sj cl6 address_changes))" test "$(sj cl6 address_changes)" -gt "$oldchg6"

# symmetric: 15 s after its start, count its router solicitations
while [ $(($(date +%s) - SYM_T0)) -lt 15 ]; do sleep 0.2; done
lab_capture_stop "$CAP4_PID"
rs_primary=$(tshark -r "$CAP4" --enable-heuristic teredo_udp -Y 'icmpv6.type == 133 && ip.dst == 192.0.2.20' 2>/dev/null | wc -l)
rs_all=$(tshark -r "$CAP4" --enable-heuristic teredo_udp -Y 'icmpv6.type == 133' 2>/dev/null | wc -l)
if [ "$rs_primary" -ge 2 ]; then
	ok "symmetric: keeps retrying ($rs_primary qualification attempts, $rs_all RSs in 15 s)"
else
	not_ok "symmetric: keeps retrying" "RS to the primary in 15 s: $rs_primary (all RSs: $rs_all)"
fi
is "symmetric: still no address and never qualified" "$(tun_addrs cl4 | tr '\n' ' ')$(sj cl4 qualifications)" "0"
is "symmetric: nat still symmetric" "$(sj cl4 nat)" symmetric

# failover: cl5 re-qualifies with srv2
LIMIT=$((REFRESH + 3 * 4 + 5))
on_srv2() { state_is cl5 qualified && status_is cl5 cl5 server 192.0.2.20; }
if wait_for $((LIMIT - ($(date +%s%N) - KILL_T0) / 1000000000)) on_srv2; then
	ok "failover: cl5 qualified with the second server $((($(date +%s%N) - KILL_T0) / 1000000)) ms after the first died (limit ${LIMIT} s)"
else
	not_ok "failover: cl5 re-qualifies with the second server within $LIMIT s" "status: $(st cl5 | tr '\n' ' ')"
fi
addr5=$(sj cl5 address)
is "failover: status server, server_index, address_server" "$(sj cl5 server) $(sj cl5 server_index) $(sj cl5 address_server)" "192.0.2.20 1 192.0.2.20"
is "failover: the address embeds the second server" "$(lab_teredo_decode "$addr5" | awk '{print $1}')" "192.0.2.20"
is "failover: exactly one address on the tunnel" "$(tun_addrs cl5 | tr '\n' ' ')" "$addr5 "

# the other clients of srv1 are still there (just not served)
for c in cl1 cl2 cl3 cl4 cl5 cl6 srv2; do
	lab_alive "${LAB_DAEMON_PID[$c]}" || diag "daemon $c (pid ${LAB_DAEMON_PID[$c]}) died: $(tail -3 "$LAB_DIR/$c.log")"
done
alive=0
for c in cl1 cl2 cl3 cl4 cl5 cl6 srv2; do lab_alive "${LAB_DAEMON_PID[$c]}" && alive=$((alive + 1)); done
is "every other daemon still runs" "$alive" 7

# ---- cleanup leaves nothing ---------------------------------------------------
show_logs
pids=("${LAB_PIDS[@]}")
for c in cl1 cl2 cl3 cl4 cl5 cl6 srv1 srv2; do pids+=("${LAB_DAEMON_PID[$c]}"); done
# the daemons' helper processes (privilege separation)
for ns in "${LAB_NS[@]}"; do mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null); done
lab_cleanup
is "cleanup: no namespace or process left (${#pids[@]} PIDs checked)" "$(lab_leftovers "$PREFIX" "${pids[@]}" | tr '\n' ' ')" ""
is "cleanup: root namespace links unchanged" "$(ip -o link show | awk -F': ' '{print $2}' | sort)" "$ROOT_LINKS"
is "cleanup: root namespace nftables tables unchanged" "$(nft list tables 2>/dev/null)" "$ROOT_TABLES"

[ $n -eq $PLAN ] || echo "# planned $PLAN, ran $n"
[ $failed -eq 0 ] && [ $n -eq $PLAN ]
