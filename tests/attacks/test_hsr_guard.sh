#!/usr/bin/env bash
# tests/attacks/test_hsr_guard.sh BUILD_DIR - a Teredo client pings the
# host that runs a host-specific relay, then tries its ports (issue 10
# item 16; SW_DEFENCE(HSR_GUARD), WEAKEN=hsr-guard: the core's per-flow
# check on what Teredo peers send the host).  Prints TAP.
#
#   srv 192.0.2.10/.11 (2001:db8:6::1 on br6: ping tests go out natively)
#   hsr 192.0.2.30, 2001:db8:6::4 on br6; shipwormd Role relay,
#       HostSpecific yes; listeners: tcp 8081 in a cgroup its edge policy
#       allows (the control), tcp 8080 and udp 5300 started by hand
#   atk 10.52.0.2 behind natA (port-restricted, 198.51.100.52): a plain
#       Teredo client, shipwormd of BUILD_DIR, and sockets of its own
#
# The client pings hsr: its server's ping test reaches hsr natively, hsr's
# kernel answers into the tunnel, the relay bubbles the client, trusts
# its answer, and from then on the client's packets reach hsr directly.
# The echo reply was the kernel's, not an application's: it opens
# nothing.  Then: TCP to 8080, UDP to 5300.
#   normal, firewall table: no connection, no answer; the engine refuses
#           first (drop.edge-not-granted, flow_refused);
#   normal, AllowUnfirewalled yes (a table of the firewall's name in the
#           way, so none can be made): the same, the engine's check alone;
#   weak,   firewall table: the table alone refuses (fw.edge_denied);
#   weak,   AllowUnfirewalled yes: 8080 connects, 5300 answers.
# In every run the granted listener on 8081 connects (the path works).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=17
tap_require nsenter
atk_begin hsr-guard "swahg$$"
echo "1..$PLAN"

HSR6=2001:db8:6::4
lab_wan
lab_native_net
lab_server srv 192.0.2.10 192.0.2.11
lab_native_join srv "$LAB_SRV6"
lab_host hsr 192.0.2.30
lab_native_join hsr "$HSR6"
lab_nat natA port-restricted 198.51.100.52 10.52.0.0/24
lab_client atk natA
atk_srv_config
lab_config atk client "ServerAddress 192.0.2.10" >/dev/null

LISTEN='
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(64); time.sleep(3600)'
UDPLISTEN='
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(2048); s.sendto(d, a)'
# What the attacker tries, all at once: "PORT:connected|timeout ..." for
# TCP, "5300:answered|timeout" for UDP.
TRY='
import socket, sys, threading
host, res = sys.argv[1], {}
def tcp(p):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); s.settimeout(3)
    try:
        s.connect((host, p)); res[p] = "connected"
    except Exception:
        res[p] = "timeout"
def udp(p):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
    s.sendto(b"knock", (host, p))
    try:
        s.recvfrom(100); res[p] = "answered"
    except Exception:
        res[p] = "timeout"
t = [threading.Thread(target=tcp, args=(8081,)),
     threading.Thread(target=tcp, args=(8080,)),
     threading.Thread(target=udp, args=(5300,))]
for x in t: x.start()
for x in t: x.join()
print(" ".join("%d:%s" % (p, res[p]) for p in (8081, 8080, 5300)))'

hsr_config() {
	lab_config hsr relay "RelayAddress $HSR6" "HostSpecific yes" \
	    "BindAddress 192.0.2.30" "$@" >/dev/null
}
hsr_config
FWT="shipworm_$(lab_ifname hsr)"
lab_cgroup_make web
lab_edge_policy hsr "$(lab_cgroup_rule web)"
lab_granted hsr web python3 -c "$LISTEN" 8081
lab_run hsr python3 -c "$LISTEN" 8080
lab_run hsr python3 -c "$UDPLISTEN" 5300

atk_use normal
lab_daemon srv srv
wait_for 5 status_is srv srv state serving

refused() { echo $(($(num hsr hsr drop.edge-not-granted) + $(num hsr hsr drop.fragment-unsolicited))); }

# run MODE FW: hsr of build MODE, FW "table" or "unfirewalled"; a fresh
# attacker client each time (no trust left from the run before).
run() {
	local mode=$1 fw=$2 extra= got addr r0 r1 d0 d1
	[ "$fw" = unfirewalled ] && extra="AllowUnfirewalled yes"
	hsr_config ${extra:+"$extra"}
	atk_use "$mode" || return 1
	# AllowUnfirewalled runs without the table only when it cannot be
	# made: a table of its name in the way
	[ "$fw" = table ] || lab_exec hsr nft add table inet "$FWT"
	lab_daemon hsr hsr
	atk_use normal
	lab_daemon atk atk
	wait_for 5 status_is hsr hsr state relaying
	wait_for 5 status_is hsr hsr edge_ports tcp/8081
	wait_for 15 status_is atk atk state qualified
	addr=$(sj atk address)
	is "$mode/$fw: hsr relaying, firewall $([ "$fw" = table ] && echo active || echo UNFIREWALLED), granted tcp/8081" \
	    "$(sj hsr state) $(sj hsr firewall) $(sj hsr edge_ports)" \
	    "relaying $([ "$fw" = table ] && echo active || echo UNFIREWALLED) tcp/8081"
	got=$(lab_ping_replies atk "$HSR6" 3)
	check "$mode/$fw: the attacker ($addr) pings hsr first: ${got:-0}/3 replies, through hsr (trusted $(num hsr hsr peers_trusted))" \
	    test "${got:-0}" -ge 1 -a "$(num hsr hsr peers_trusted)" -ge 1
	r0=$(refused) d0=$(num hsr hsr fw.edge_denied)
	got=$(lab_exec atk python3 -c "$TRY" "$HSR6")
	r1=$(refused) d1=$(num hsr hsr fw.edge_denied)
	diag "$mode/$fw: $got; engine refused $r0 -> $r1 (flow_refused $(num hsr hsr flow_refused)), fw.edge_denied $d0 -> $d1; hsr drops: $(status_drops hsr hsr)"
	case $mode/$fw in
	normal/*)
		is "$mode/$fw: the granted 8081 connects; 8080 and udp 5300 do not" \
		    "$got" "8081:connected 8080:timeout 5300:timeout"
		check "$mode/$fw: refused by hsr's engine and counted (drop.edge-not-granted $r0 -> $r1, flow_refused $(num hsr hsr flow_refused))" \
		    test "$r1" -ge $((r0 + 2)) -a "$(num hsr hsr flow_refused)" -ge 2
		;;
	weak/table)
		is "$mode/$fw: without the engine's check the table alone refuses 8080 and 5300" \
		    "$got" "8081:connected 8080:timeout 5300:timeout"
		check "$mode/$fw: ... counted by the table (fw.edge_denied $d0 -> $d1), not the engine ($r0 -> $r1)" \
		    test "$d1" -ge $((d0 + 2)) -a "$r1" -eq "$r0"
		;;
	weak/unfirewalled)
		is "$mode/$fw (no check at all): the attacker reaches 8080 and udp 5300" \
		    "$got" "8081:connected 8080:connected 5300:answered"
		is "$mode/$fw: nothing refused by the engine" "$r1 $(num hsr hsr flow_refused)" "0 0"
		;;
	esac
	local pid=${LAB_DAEMON_PID[hsr]}
	atk_stop atk hsr
	lab_wait_pid "$pid" 5 || true	# its table goes with it
	[ "$fw" = table ] || lab_exec hsr nft delete table inet "$FWT"
}

for mode in normal weak; do
	for fw in table unfirewalled; do
		run "$mode" "$fw" || atk_weak_failed 4
	done
done
tap_lab_end
atk_end "$PLAN"
