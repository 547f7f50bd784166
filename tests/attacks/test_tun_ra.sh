#!/usr/bin/env bash
# tests/attacks/test_tun_ra.sh BUILD_DIR - router advertisements written
# into the Teredo tunnel (issue 10 item 12, post-compromise: an engine
# that parses untrusted packets writes whatever it likes into the tun;
# SW_DEFENCE(TUN_RA), WEAKEN=tun-ra: accept_ra/accept_redirects/autoconf
# 0 on the tunnel and the firewall's drop of RS, RA and redirects).
# Prints TAP.
#
#   clA 10.34.0.2:40001 --- natA (full-cone, 198.51.100.34) --- br0
#   srv 192.0.2.10/.11
#
# Once clA qualified, the "compromised engine" (tests/netns/nd_probe.py
# tun: the engine's own tun descriptor, taken with pidfd_getfd(2)) writes
# an RA from fe80::1 (router lifetime 1800 s) and a redirect into the
# tunnel.
#   normal: the sysctls read 0, fw.nd_dropped counts both, the host gets
#           no route from them;
#   weak:   the host takes fe80::1 as its default router (metric 1024,
#           before the daemon's own default route, 1029): the host's IPv6
#           routing belongs to whoever writes into the tun.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
ND="$NETNS/nd_probe.py"
PLAN=9
atk_begin tun-ra "swatr$$"
echo "1..$PLAN"

atk_client_world full-cone 198.51.100.34 10.34.0.0/24 192.0.2.68
TUN=$(lab_ifname clA)

ra_route() { lab_exec clA ip -6 route show default dev "$TUN" proto ra | grep -c .; }
sysctl_sum() {	# accept_ra + accept_redirects + autoconf of the tunnel
	local k s=0
	for k in accept_ra accept_redirects autoconf; do
		s=$((s + $(lab_exec clA cat "/proc/sys/net/ipv6/conf/$TUN/$k")))
	done
	echo "$s"
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	lab_daemon clA clA
	wait_for 15 status_is clA clA state qualified
	engine=$(pgrep -P "${LAB_DAEMON_PID[clA]}" | head -1)
	addr=$(sj clA address)
	d0=$(num clA clA fw.nd_dropped)
	python3 "$ND" tun "$engine" ra fe80::1 ff02::1 >/dev/null
	python3 "$ND" tun "$engine" redirect fe80::1 "$addr" >/dev/null
	sleep 1.5	# the parent reads the counters once a second
	d1=$(num clA clA fw.nd_dropped)
	if [ "$mode" = normal ]; then
		check "normal: clA qualified (engine $engine)" test -n "$engine"
		is "normal: accept_ra, accept_redirects, autoconf of $TUN all 0" \
		    "$(sysctl_sum)" 0
		is "normal: the RA gave the host no default route" "$(ra_route)" 0
		check "normal: fw.nd_dropped counted the RA and the redirect ($d0 -> $d1)" \
		    test "$d1" -ge $((d0 + 2))
		check "normal: the daemon's own default route is still the one" \
		    eval 'lab_exec clA ip -6 route show default | grep -q "dev $TUN .*metric 1029"'
	else
		check "weak (no tun-ra defence): the sysctls are the kernel's defaults ($(sysctl_sum))" \
		    test "$(sysctl_sum)" -ge 1
		check "weak: the written RA made fe80::1 the host's default router" \
		    wait_for 3 eval '[ "$(ra_route)" -ge 1 ]'
		is "weak: nothing counted as nd_dropped" "$d1" 0
	fi
	atk_stop clA srv
done
tap_lab_end
atk_end "$PLAN"
