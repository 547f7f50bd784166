#!/usr/bin/env bash
# test_edge_view.sh BUILD_DIR - the daemon's view of the listeners and of
# the policy's cgroup trees when they are large (issue 10 item 18: the
# listener view stopped at 4096 sockets; a large cgroup tree made later
# deny rules stop matching).  Prints TAP.
#
#   clV 10.63.0.2 --- natV (full-cone, 198.51.100.63) --- br0 (no server
#   needed: the parent's view works before the client qualifies)
#
# Policy: allow cgroup /P-ok, allow cgroup /P-big, deny cgroup /P-big/no;
# listeners tcp/8201 and udp/8202 (in ok), tcp/8301 (in big), tcp/8302
# (in big/no).
#  1. 8000 IPv6 UDP sockets of a process in no granted cgroup: the view
#     stays complete and the granted listeners are still found (only
#     grantable sockets take room in it; before, the first 4096 of all
#     were kept, and udp/8202 was among them by chance only).
#  2. 4200 UDP sockets in the allowed cgroup ok: the view says it is cut
#     ("cut: listeners"); complete again once they close.
#  3. 8200 cgroups made below /P-big (more than GUARD_TREE_MAX, 8192, in
#     all): no cgroup rule grants anything ("cut: cgroups", no port
#     granted): the deny for big/no, whose tree no longer fits, cannot be
#     bypassed (fail closed); once they are gone the grants are back.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/tap.sh
. "$HERE/tap.sh"
B=${1:-build/default}
tap_require ip nft python3 nsenter
tap_require_bins "$B"
# shellcheck source=tests/netns/lab.sh
. "$HERE/lab.sh"

lab_init "swev$$"
trap 'show_logs; lab_cleanup' EXIT
if ! CGR=$(lab_cgroup_root); then
	echo "1..0 # SKIP no cgroup2 hierarchy"
	exit 0
fi
echo "1..11"

lab_wan
lab_nat natV full-cone 198.51.100.63 10.63.0.0/24
lab_client clV natV
lab_config clV client "ServerAddress 192.0.2.10" >/dev/null
lab_cgroup_make ok
lab_cgroup_make big
lab_cgroup_make big/no
lab_edge_policy clV "$(lab_cgroup_rule ok)" "$(lab_cgroup_rule big)" \
    "$(lab_cgroup_rule big/no deny)"

sj() { status_get clV clV "$1"; }
view_is() { [ "$(sj edge_ports)" = "$1" ] && [ "$(sj edge_view)" = "$2" ]; }

LISTEN='
import socket, sys, time
for p in sys.argv[1:]:
    proto, port = p.split("/")
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM if proto == "tcp"
                      else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(port)))
    if proto == "tcp":
        s.listen(8)
    globals()["s" + port] = s
time.sleep(3600)'
# MANY N: N IPv6 UDP sockets bound to ports of the kernel's choice.
MANY='
import resource, socket, sys, time
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
ss = []
for _ in range(n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", 0)); ss.append(s)
print("ready", flush=True); time.sleep(3600)'

lab_daemon clV clV
lab_granted clV ok python3 -c "$LISTEN" tcp/8201 udp/8202
lab_granted clV big python3 -c "$LISTEN" tcp/8301
lab_granted clV big/no python3 -c "$LISTEN" tcp/8302
want=tcp/8201,tcp/8301,udp/8202
check "granted: tcp/8201, udp/8202 (ok), tcp/8301 (big); not tcp/8302 (deny big/no); view complete" \
    wait_for 10 view_is "$want" complete

# ---- 1. many sockets that could not be granted ----------------------------
lab_run clV python3 -c "$MANY" 8000 >"$LAB_DIR/many.out"
MANY_PID=$LAB_LAST_PID
wait_for 20 grep -q ready "$LAB_DIR/many.out"
n6=$(lab_exec clV ss -H -uln -6 | wc -l)
check "8000 UDP sockets of an ungranted process listen ($n6 IPv6 UDP sockets)" \
    test "$n6" -ge 8000
sleep 2.2	# two listener rounds
is "with them: the view is complete" "$(sj edge_view)" complete
is "with them: the granted listeners are still found" "$(sj edge_ports)" "$want"

# ---- 2. more grantable sockets than the view holds --------------------------
lab_granted clV ok python3 -c "$MANY" 4200 >"$LAB_DIR/many-ok.out"
OK_PID=$LAB_LAST_PID
wait_for 20 grep -q ready "$LAB_DIR/many-ok.out"
check "4200 sockets in the allowed cgroup: the view says it is cut (listeners)" \
    wait_for 5 eval '[ "$(sj edge_view)" = "cut: listeners" ]'
lab_kill "$OK_PID"
lab_kill "$MANY_PID"
check "once they close: complete again, the same grants" \
    wait_for 5 view_is "$want" complete

# ---- 3. a cgroup tree larger than the daemon's view --------------------------
BIG="$CGR$(lab_cgroup_path big)"
t0=$(now_ms)
mkdir "$BIG"/c{1..8200}
diag "8200 cgroups made below $(lab_cgroup_path big) in $(($(now_ms) - t0)) ms"
check "more than 8192 cgroups in the rules' trees: the view says so (cut: cgroups)" \
    wait_for 5 eval '[ "$(sj edge_view)" = "cut: cgroups" ]'
is "...and no cgroup rule grants anything: tcp/8302 (deny big/no) is not let through by allow big" \
    "$(sj edge_ports)" none
check "the daemon logged it once" \
    test "$(grep -c 'cgroup trees have more than 8192' "$LAB_DIR/clV.log")" -eq 1
rmdir "$BIG"/c{1..8200}
check "the cgroups gone: complete again, the same grants (tcp/8302 still not)" \
    wait_for 5 view_is "$want" complete

tap_lab_end
