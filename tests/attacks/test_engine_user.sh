#!/usr/bin/env bash
# tests/attacks/test_engine_user.sh BUILD_DIR - another service's process
# signals the engine (issue 10 item 17; SW_DEFENCE(ENGINE_USER),
# WEAKEN=engine-user: the engine's user is _shipworm with a uid and gid of
# its own).  Prints TAP.
#
#   clA 10.37.0.2:40001 --- natA (full-cone, 198.51.100.37) --- br0
#   srv 192.0.2.10/.11
#
# The daemons see passwd and group files of the test's own
# (tests/netns/with_engine_user, in a mount namespace: the host's are
# untouched), as on a host where nothing created _shipworm: before this
# fix every host, since the engine fell back to nobody.
#   normal: with no _shipworm, with a _shipworm of nobody's uid, or one
#           sharing its uid with another user, shipwormd refuses to start
#           (exit 1, one line naming the problem); with the lab's own
#           _shipworm the engine runs as that uid, and a process of uid
#           65534 can neither stop nor kill it: clA stays qualified;
#   weak:   with no _shipworm the engine runs as nobody; a process of uid
#           65534 kills it, and Teredo is down (the daemon exits, the
#           tunnel goes).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=11
atk_begin engine-user "swaeu$$"
echo "1..$PLAN"

atk_client_world full-cone 198.51.100.37 10.37.0.0/24 192.0.2.77
TUN=$(lab_ifname clA)

# Worlds: no _shipworm; _shipworm with nobody's ids; one sharing a uid.
E=$LAB_DIR
mkdir -p "$E/etc-none" "$E/etc-nobody" "$E/etc-shared"
grep -v '^_shipworm:' /etc/passwd >"$E/etc-none/passwd"
grep -v '^_shipworm:' /etc/group >"$E/etc-none/group"
OTHER=$(awk -F: '$3 != 0 && $3 != 65534 { print $1 ":" $3; exit }' "$E/etc-none/passwd")
for w in nobody shared; do cp "$E/etc-none/passwd" "$E/etc-none/group" "$E/etc-$w/"; done
echo "_shipworm:x:65534:65534::/nonexistent:/usr/sbin/nologin" >>"$E/etc-nobody/passwd"
echo "_shipworm:x:${OTHER#*:}:${OTHER#*:}::/nonexistent:/usr/sbin/nologin" >>"$E/etc-shared/passwd"

# start_fg ETC: clA's daemon seeing ETC's passwd, in the foreground; its
# stderr in $LAB_DIR/fg.err, the exit status returned.
start_fg() {
	timeout 10 nsenter --net="/run/netns/$(lab_ns clA)" "$NETNS/with_engine_user" "$1" \
	    "$LAB_BIN/shipwormd" -d -f "$LAB_DIR/clA.conf" -s "${LAB_CONF_SOCK[clA]}" \
	    >/dev/null 2>"$LAB_DIR/fg.err"
}
refused() {	# ETC TEXT: exit 1, one line on stderr, saying TEXT
	start_fg "$1"
	local rc=$?
	[ $rc -eq 1 ] && [ "$(grep -vc 'WEAKENED' "$LAB_DIR/fg.err")" -eq 1 ] &&
	    grep -q "$2" "$LAB_DIR/fg.err"
}
# as_nobody SIG PID: what a process of uid 65534 (another service) gets
as_nobody() {
	lab_exec clA setpriv --reuid=65534 --regid=65534 --clear-groups \
	    kill -s "$1" "$2" 2>/dev/null
}
engine_uid() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	if [ "$mode" = normal ]; then
		refused "$E/etc-none" "no user _shipworm"; r=$?
		check "normal: no _shipworm: refused, one line ($(cat "$LAB_DIR/fg.err"))" test $r -eq 0
		refused "$E/etc-nobody" "nobody's"; r=$?
		check "normal: _shipworm with uid 65534: refused ($(cat "$LAB_DIR/fg.err"))" test $r -eq 0
		refused "$E/etc-shared" "shares uid ${OTHER#*:} with user '${OTHER%%:*}'"; r=$?
		check "normal: _shipworm sharing a uid with ${OTHER%%:*}: refused ($(cat "$LAB_DIR/fg.err"))" \
		    test $r -eq 0
		etc=$LAB_ETC
	else
		etc=$E/etc-none
	fi
	LAB_ETC_SAVED=$LAB_ETC LAB_ETC=$etc
	lab_daemon srv srv
	lab_daemon clA clA
	LAB_ETC=$LAB_ETC_SAVED
	wait_for 15 status_is clA clA state qualified
	engine=$(pgrep -P "${LAB_DAEMON_PID[clA]}" | head -1)
	uid=$(engine_uid "$engine")
	diag "$mode: engine $engine runs as uid $uid; $(grep 'ready, running as' "$LAB_DIR/clA.log" | tail -1)"
	if [ "$mode" = normal ]; then
		want=$(awk -F: '$1 == "_shipworm" { print $3 }' "$LAB_ETC/passwd")
		check "normal: the engine runs as the lab's _shipworm (uid $uid, want $want), not 65534" \
		    eval '[ -n "$uid" ] && [ "$uid" = "$want" ] && [ "$uid" != 65534 ]'
		check "normal: uid 65534 cannot SIGSTOP the engine (EPERM)" eval '! as_nobody STOP "$engine"'
		check "normal: uid 65534 cannot SIGKILL the engine (EPERM)" eval '! as_nobody KILL "$engine"'
		sleep 1
		check "normal: the engine lives, clA still qualified" \
		    eval 'lab_alive "$engine" && status_is clA clA state qualified'
	else
		is "weak (nobody will do): with no _shipworm the engine runs as uid 65534" "$uid" 65534
		check "weak: uid 65534 kills the engine" as_nobody KILL "$engine"
		check "weak: Teredo is down: the daemon exits and $TUN goes" \
		    wait_for 5 eval '! lab_alive "${LAB_DAEMON_PID[clA]}" &&
		        ! lab_exec clA ip link show dev "$TUN" >/dev/null 2>&1'
	fi
	atk_stop clA srv
done
tap_lab_end
atk_end "$PLAN"
