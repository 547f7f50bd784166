#!/usr/bin/env bash
# tests/netns/test_nat.sh BUILD_DIR - the lab's four NAT recipes, checked
# with plain UDP (no Shipworm code): which inbound replies pass each NAT,
# that mappings are endpoint-independent except behind the symmetric NAT,
# that the NAT's conntrack table shows the mapping the far end sees, and
# that unsolicited inbound is dropped silently.  Prints TAP.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"

tap_require ip nft conntrack python3

# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"
PROBE="python3 $HERE/udp_probe.py"


TYPES="full-cone restricted port-restricted symmetric"
echo "1..32"

PREFIX="swn$$"
lab_init "$PREFIX"
lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_server far 203.0.113.200 203.0.113.201
i=0
declare -A PUB
for t in $TYPES; do
	i=$((i + 1))
	if [ $((i % 2)) -eq 1 ]; then PUB[$t]=198.51.100.$i; else PUB[$t]=203.0.113.$i; fi
	lab_nat "nat$i" "$t" "${PUB[$t]}" "10.$i.0.0/24"
	lab_client "cl$i" "nat$i"
done
# A port-restricted NAT that maps into a port range: a flushed mapping
# comes back on another port (what the mapping-loss test relies on).
lab_nat nat9 port-restricted 198.51.100.9 10.9.0.0/24 20000-29999
lab_client cl9 nat9

lab_run srv $PROBE reflect 192.0.2.10 192.0.2.11 3544 3545 >"$LAB_DIR/reflect.out" 2>&1
wait_for 5 grep -q ready "$LAB_DIR/reflect.out" || { cat "$LAB_DIR/reflect.out"; lab_die "reflector did not start"; }

json() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$@"; }

declare -A want_recv=(
	[full-cone]="other-ip,other-port,same"
	[restricted]="other-port,same"
	[port-restricted]="same"
	[symmetric]="same"
)
i=0
for t in $TYPES; do
	i=$((i + 1))
	# 1. which of the three replies to one probe pass the NAT
	out=$(lab_exec "cl$i" $PROBE probe --fan --wait 0.6 192.0.2.10:3544)
	got=$(json "$out" '",".join(d["received"])')
	is "$t: replies that pass (same endpoint / same IP other port / other IP)" "$got" "${want_recv[$t]}"

	# 2. mapping to three destinations from one socket
	out=$(lab_exec "cl$i" $PROBE probe --wait 0.5 192.0.2.10:3544 192.0.2.11:3544 192.0.2.10:3545)
	local_port=$(json "$out" 'd["local"]')
	ips=$(json "$out" '" ".join(sorted(set(v.split(":")[0] for v in d["mapped"].values())))')
	nports=$(json "$out" 'len(set(v.split(":")[1] for v in d["mapped"].values()))')
	nmapped=$(json "$out" 'len(d["mapped"])')
	is "$t: three destinations answered, seen from the NAT's public address" "$nmapped $ips" "3 ${PUB[$t]}"
	if [ "$t" = symmetric ]; then
		is "$t: a different external port per destination" "$nports" 3
	else
		is "$t: one external port for every destination (endpoint-independent)" "$nports" 1
	fi

	# 3. the NAT's conntrack table shows what the server saw
	seen=$(json "$out" 'd["mapped"]["192.0.2.10:3544"]')
	ct=$(lab_conntrack_mapped "nat$i" "$local_port" 192.0.2.10 | tr '\n' ' ')
	# symmetric: two flows to 192.0.2.10 (3544 and 3545), one must match
	if [ "$t" = symmetric ]; then
		case " $ct" in *" $seen "*) ct=$seen ;; esac
	else
		ct=${ct% }
	fi
	is "$t: conntrack mapping = the mapping the server saw" "$ct" "$seen"

	# 4. unsolicited inbound from a stranger to the mapped endpoint
	res=$(lab_exec far $PROBE unsolicited --wait 0.5 203.0.113.200 "$seen")
	if [ "$t" = full-cone ]; then
		is "$t: unsolicited inbound reaches the client (it answers: port closed)" "$res" refused
	else
		is "$t: unsolicited inbound dropped silently" "$res" silent
	fi
done

# restricted: the client has since sent to the other IP (step 2), so
# replies from it now pass
out=$(lab_exec cl2 $PROBE probe --fan --wait 0.6 192.0.2.10:3544)
got=$(json "$out" '",".join(d["received"])')
is "restricted: the other IP passes once the client has sent to it" "$got" "other-ip,other-port,same"

# unsolicited to the NAT's own address (no mapping): silent for all
i=0
for t in $TYPES; do
	i=$((i + 1))
	[ "$t" = full-cone ] && continue
	res=$(lab_exec far $PROBE unsolicited --wait 0.3 203.0.113.200 "${PUB[$t]}:9")
	is "$t: datagram to an unmapped port dropped silently" "$res" silent
done

# the port-range NAT: mapping in range, endpoint-independent, and a new
# port after its conntrack table is flushed
out=$(lab_exec cl9 $PROBE probe --bind 40001 --wait 0.5 192.0.2.10:3544 192.0.2.11:3544)
p1=$(json "$out" 'list(d["mapped"].values())[0].split(":")[1]')
is "port-range NAT: one mapping for two destinations" "$(json "$out" 'len(set(d["mapped"].values()))')" 1
check "port-range NAT: mapped port $p1 in 20000-29999" test "$p1" -ge 20000 -a "$p1" -le 29999
is "port-range NAT: conntrack agrees" "$(lab_conntrack_mapped nat9 40001 192.0.2.10)" "198.51.100.9:$p1"
lab_exec nat9 conntrack -F >/dev/null 2>&1
out=$(lab_exec cl9 $PROBE probe --bind 40001 --wait 0.5 192.0.2.10:3544)
p2=$(json "$out" 'list(d["mapped"].values())[0].split(":")[1]')
check "port-range NAT: after conntrack -F the mapping moves ($p1 -> $p2)" test "$p2" != "$p1" -a "$p2" -ge 20000 -a "$p2" -le 29999

# the lab itself: the bridge lives in the wan namespace, not in ours
check "no lab interface in the root namespace" bash -c "! ip -o link | grep -qE 'p[0-9]+-|br0'"
check "the wan bridge has $((2 + 5)) ports" test "$(ip -n "$PREFIX-wan" -o link show master br0 | wc -l)" -eq 7
check "nft tables only inside NAT namespaces" bash -c "ip netns exec $PREFIX-nat1 nft list tables | grep -q lab_nat && ! nft list tables 2>/dev/null | grep -q lab_nat"

# cleanup leaves nothing
pids=("${LAB_PIDS[@]}")
lab_cleanup
left=$(lab_leftovers "$PREFIX" "${pids[@]}")
is "cleanup: no namespace or process left" "$left" ""

[ $n -eq 32 ] || echo "# planned 32, ran $n"
[ $failed -eq 0 ]
