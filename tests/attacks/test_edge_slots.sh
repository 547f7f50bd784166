#!/usr/bin/env bash
# tests/attacks/test_edge_slots.sh BUILD_DIR - a local connect flood
# against the edge socket's connection slots (issue 10 item 17;
# SW_DEFENCE(EDGE_SLOTS), WEAKEN=edge-slots: connections bounded per uid,
# root's never closed for another's).  Prints TAP.
#
#   clA 10.36.0.2:40001 --- natA (full-cone, 198.51.100.36) --- br0
#   srv 192.0.2.10/.11 (not started: the edge socket needs no server)
#
# Two processes of uid 65534 connect to clA's edge socket (mode 0666) as
# fast as they can and never send a byte (tests/attacks/connflood.py);
# meanwhile root runs `shipworm edge allow uid 4242` 30 times, each of
# which rewrites the policy file and sends "reload" over that socket.
#   normal: all 30 reload; edge_conns_shed counts the flood's connections
#           closed unserved (only its own: it holds 2 slots at most);
#   weak:   a new connection closes the oldest, whoever's: root's reloads
#           are lost.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=7
N=30
atk_begin edge-slots "swaes$$"
echo "1..$PLAN"

atk_client_world full-cone 198.51.100.36 10.36.0.0/24 192.0.2.76
chmod 0711 "$LAB_DIR"	# uid 65534 reaches the edge socket (0666) in it
EDGE_SOCK="${LAB_CONF_SOCK[clA]%.sock}.edge"

# reloads N: how many of N policy changes the daemon confirmed.
reloads() {
	local i good=0 out
	for ((i = 0; i < $1; i++)); do
		out=$(lab_exec clA "$LAB_BIN/shipworm" edge -D "${LAB_EDGE_DIR[clA]}" \
		    -s "${LAB_CONF_SOCK[clA]}" allow uid 4242 2>&1)
		[[ "$out" == *"shipwormd reloaded the edge policy"* ]] && good=$((good + 1))
	done
	echo "$good"
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 2; continue; }
	lab_daemon clA clA
	wait_for 10 test -S "$EDGE_SOCK"
	quiet=$(reloads 3)
	f=()
	for k in 1 2; do
		lab_run clA python3 "$HERE/connflood.py" "$EDGE_SOCK" 65534 60 \
		    >"$LAB_DIR/flood.$mode.$k"
		f+=("$LAB_LAST_PID")
	done
	sleep 0.5
	t0=$(now_ms)
	got=$(reloads "$N")
	t1=$(now_ms)
	for p in "${f[@]}"; do lab_kill "$p"; done
	sleep 1.2	# the parent sends its counters once a second
	shed=$(num clA clA edge_conns_shed)
	diag "$mode: unloaded 3 of 3 -> $quiet; under the flood $got of $N in $((t1 - t0)) ms; edge_conns_shed $shed"
	if [ "$mode" = normal ]; then
		is "normal: unloaded, root's policy changes reload" "$quiet" 3
		is "normal: under uid 65534's connect flood, every one of root's $N reloads is served" \
		    "$got" "$N"
		check "normal: the flood's connections were shed, counted (edge_conns_shed $shed)" \
		    test "$shed" -ge 100
		check "normal: the daemon still runs" lab_alive "${LAB_DAEMON_PID[clA]}"
	else
		check "weak (no per-uid bound): root's reloads are lost under the flood ($got of $N served)" \
		    test "$got" -lt "$N"
		check "weak: the flood's connections were shed too ($shed)" test "$shed" -ge 100
	fi
	atk_stop clA
done
tap_lab_end
atk_end "$PLAN"
