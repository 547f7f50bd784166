#!/usr/bin/env bash
# tests/netns/test_sys.sh BUILD_DIR - sys/ (log, os, udp, tun, rtnl) for
# real, in network namespaces of its own; prints TAP.
#
# Everything happens in namespaces named swsys<pid>-*, created here and
# deleted on exit (trap), also when a check fails: the root namespace's
# interfaces, addresses and routes are never touched.  Only the processes
# started here are ever signalled.  Addresses: 192.0.2.0/24 and
# 198.51.100.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849) on our own TUN.
#
#   T: a TUN made by sys_probe, configured over rtnetlink.
#   A (192.0.2.1) --- R (router) --- B (198.51.100.1)
#        a0   mtu 1500   r0    r1   mtu 1400   b0
# The router's 1400-byte link is what COM-MTU-2 is about: a datagram of
# 1373..1472 bytes leaves A whole and must be fragmented on the way, so it
# comes back only when DF is clear.  A control run with DF on and TOS
# 0x02 shows that the capture checks and that path can tell the
# difference.
set -u

B=${1:-build/default}
PROBE=$B/tests/netns/sys_probe
P=swsys$$
NS_T=$P-t NS_A=$P-a NS_R=$P-r NS_B=$P-b
NAMESPACES=()
PIDS=()
TMP=
n=0
failed=0
planned=0

skip_all() {
	echo "1..0 # SKIP $*"
	planned=1
	exit 0
}

ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

notok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $* # SKIP"
}

diag() {
	sed 's/^/# /' "$@"
}

# check DESC CMD...: one TAP line from CMD's exit status.
check() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else notok "$desc"; fi
}

# ours PID: PID is still a live child of this shell (never signal others).
ours() {
	[ -r "/proc/$1/status" ] &&
	    [ "$(awk '/^PPid:/ {print $2}' "/proc/$1/status" 2>/dev/null)" = $$ ]
}

cleanup() {
	local pid ns i
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		ours "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 40; i++)); do
			ours "$pid" || break
			sleep 0.05
		done
		ours "$pid" && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	exec 7>&-
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	if [ $planned -eq 0 ]; then
		echo "1..$n"
	fi
	[ $failed -eq 0 ]
	exit
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || skip_all "not root"
command -v ip >/dev/null 2>&1 || skip_all "no ip(8)"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
if ! ip netns add "$NS_T" 2>/dev/null; then
	skip_all "ip netns unavailable"
fi
NAMESPACES+=("$NS_T")
if [ ! -x "$PROBE" ]; then
	notok "$PROBE is built"
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$P.XXXXXX")

# nsrun NS CMD...: run CMD inside namespace NS, in the foreground.  What
# runs in the background is started as "ip netns exec ... &" instead:
# ip execs the program, so $! is the program itself (a shell function in
# the background would be a subshell, and a signal would miss the program).
nsrun() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# wait_for FILE ERE SECONDS: until a line of FILE matches.
wait_for() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ---- log.c ------------------------------------------------------------------

nsrun "$NS_T" "$PROBE" log >/dev/null 2>"$TMP/log.err"
rc=$?
check "log: fatal() exits with status 1" [ $rc -eq 1 ]
check "log: the process tag and message (engine: info 2)" \
    grep -qx 'engine: info 2' "$TMP/log.err"
check "log: log_warn appends strerror(errno)" \
    grep -qx 'engine: warn 3: No such file or directory' "$TMP/log.err"
check "log: log_warnx does not" grep -qx 'engine: warnx 4' "$TMP/log.err"
check "log: errno survives a log call" \
    grep -qx 'engine: after info: File exists' "$TMP/log.err"
check "log: log_debug is silent at verbose 0" \
    eval '! grep -q hidden "$TMP/log.err"'
check "log: log_debug prints at verbose 1" \
    grep -qx 'sys_probe: shown 5' "$TMP/log.err"
check "log: fatal appends strerror(errno)" \
    grep -qx 'sys_probe: fatal 6: Permission denied' "$TMP/log.err"
[ $failed -eq 0 ] || diag "$TMP/log.err"

# ---- tun.c + rtnl.c -----------------------------------------------------------

ip -n "$NS_T" link set lo up
mkfifo "$TMP/tun.in"
exec 7<>"$TMP/tun.in"
ip netns exec "$NS_T" "$PROBE" tun swtun0 2001:db8::1/64 1280 2001:db8:1::/48 777 \
    <&7 >"$TMP/tun.out" 2>"$TMP/tun.err" &
tunpid=$!
PIDS+=("$tunpid")
outlines=1

# cmd LINE: send one command; its one-line answer goes to $answer.
cmd() {
	echo "$1" >&7
	outlines=$((outlines + 1))
	if wait_for_lines "$TMP/tun.out" $outlines 5; then
		answer=$(sed -n "${outlines}p" "$TMP/tun.out")
	else
		answer="(no answer)"
	fi
}

wait_for_lines() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# expect DESC WANT LINE: the probe answered WANT to LINE.
expect() {
	cmd "$3"
	if [ "$answer" = "$2" ]; then ok "$1"; else
		notok "$1"
		echo "# sent '$3', wanted '$2', got '$answer'"
	fi
}

tunlink() { ip -n "$NS_T" -o link show dev swtun0; }
addrs() { ip -n "$NS_T" -6 -o addr show dev swtun0; }
routes6() { ip -n "$NS_T" -6 route show "$@"; }

if wait_for "$TMP/tun.out" '^ready' 5; then
	ok "tun: probe created and configured swtun0"
	ifindex=$(sed -n 's/^ready ifindex=//p' "$TMP/tun.out")
	check "tun: *ifindex is the interface's index ($ifindex)" \
	    eval 'tunlink | grep -q "^$ifindex: swtun0:"'
	check "tun: MTU 1280 set over rtnetlink (IFLA_MTU)" \
	    eval 'tunlink | grep -q " mtu 1280 "'
	check "tun: link is UP (IFF_UP)" \
	    eval 'tunlink | grep -qE "<([^>]*,)?UP[,>]"'
	check "tun: IFF_NO_PI, not IFF_TAP (link/none)" \
	    eval 'tunlink | grep -q "link/none"'
	# (A TUN is IFF_NOARP, so the kernel skips DAD anyway: "nodad" is
	# what shows that IFA_F_NODAD was asked for.)
	check "tun: 2001:db8::1/64 is there, scope global, nodad, not tentative" \
	    eval 'addrs | grep "inet6 2001:db8::1/64 scope global nodad" |
	    grep -vq tentative'
	check "tun: route 2001:db8:1::/48 dev swtun0 proto static metric 777" \
	    eval 'routes6 2001:db8:1::/48 |
	    grep -q "^2001:db8:1::/48 dev swtun0 proto static metric 777 "'

	nsrun "$NS_T" bash -c 'echo probe >/dev/udp/2001:db8:1::7/9' 2>/dev/null
	expect "tun: a packet routed to swtun0 is read, a bare IPv6 header" \
	    "read match" "read 2001:db8:1::7"

	expect "rtnl: adding the address again is -EEXIST" \
	    "addr EEXIST" "addr 2001:db8::1/64 add"
	expect "rtnl: adding the route again is -EEXIST" \
	    "route EEXIST" "route 2001:db8:1::/48 777 add"
	expect "rtnl: deleting it with another metric is -ESRCH" \
	    "route ESRCH" "route 2001:db8:1::/48 778 del"
	check "rtnl: ... and leaves the route in place" \
	    eval 'routes6 2001:db8:1::/48 | grep -q "metric 777 "'
	expect "rtnl: a route whose dst has host bits is added" \
	    "route OK" "route 2001:db8:2::99/64 100 add"
	check "rtnl: ... as the prefix 2001:db8:2::/64 metric 100" \
	    eval 'routes6 2001:db8:2::/64 | grep -q "dev swtun0 proto static metric 100 "'
	expect "rtnl: and deleted" "route OK" "route 2001:db8:2::99/64 100 del"
	check "rtnl: ... gone" eval '[ -z "$(routes6 2001:db8:2::/64)" ]'
	expect "rtnl: default route (plen 0: no RTA_DST) added" \
	    "route OK" "route ::/0 1024 add"
	check "rtnl: ... default dev swtun0 proto static metric 1024" \
	    eval 'routes6 default | grep -q "^default dev swtun0 proto static metric 1024 "'
	expect "rtnl: default route deleted" "route OK" "route ::/0 1024 del"
	check "rtnl: ... gone" eval '[ -z "$(routes6 default)" ]'
	expect "rtnl: a second address added" "addr OK" "addr 2001:db8::2/64 add"
	check "rtnl: ... 2001:db8::2/64 nodad" \
	    eval 'addrs | grep -q "inet6 2001:db8::2/64 scope global nodad"'
	expect "rtnl: and deleted" "addr OK" "addr 2001:db8::2/64 del"
	check "rtnl: ... gone" eval '! addrs | grep -q "2001:db8::2/"'
	expect "rtnl: deleting it again is -EADDRNOTAVAIL" \
	    "addr EADDRNOTAVAIL" "addr 2001:db8::2/64 del"
	expect "rtnl: link down (MTU 0: unchanged)" "link OK" "link down 0"
	check "rtnl: ... not UP, MTU still 1280" \
	    eval 'tunlink | grep -vqE "<([^>]*,)?UP[,>]" && tunlink | grep -q " mtu 1280 "'
	expect "rtnl: link up with MTU 1400" "link OK" "link up 1400"
	check "rtnl: ... UP, MTU 1400" \
	    eval 'tunlink | grep -qE "<([^>]*,)?UP[,>]" && tunlink | grep -q " mtu 1400 "'
	# Going down flushed the address and the route (kernel): put back.
	cmd "addr 2001:db8::1/64 add"
	cmd "route 2001:db8:1::/48 777 add"

	echo quit >&7
	wait "$tunpid"
	rc=$?
	check "tun: quit deletes route and address (both 0)" \
	    grep -qx 'bye route=OK addr=OK' "$TMP/tun.out"
	check "tun: probe exits 0" [ $rc -eq 0 ]
	check "tun: the interface is gone when its fd closes (not persistent)" \
	    eval '! ip -n "$NS_T" link show dev swtun0'
else
	notok "tun: probe created and configured swtun0"
	diag "$TMP/tun.err"
fi

# The same, ended by SIGTERM.
ip netns exec "$NS_T" "$PROBE" tun swtun1 2001:db8::1/64 1280 ::/0 5 \
    <&7 >"$TMP/tun1.out" 2>"$TMP/tun1.err" &
pid=$!
PIDS+=("$pid")
if wait_for "$TMP/tun1.out" '^ready' 5; then
	check "tun: default route metric 5 while running" \
	    eval 'routes6 default | grep -q "^default dev swtun1 proto static metric 5 "'
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	check "tun: SIGTERM: route and address deleted, exit 0" \
	    eval '[ $rc -eq 0 ] && grep -qx "bye route=OK addr=OK" "$TMP/tun1.out"'
	check "tun: ... and swtun1 is gone" \
	    eval '! ip -n "$NS_T" link show dev swtun1'
else
	notok "tun: second probe ready"
	diag "$TMP/tun1.err"
fi

# And killed outright: nothing may stay behind.
ip netns exec "$NS_T" "$PROBE" tun swtun2 2001:db8::3/64 1280 2001:db8:5::/48 9 \
    <&7 >"$TMP/tun2.out" 2>"$TMP/tun2.err" &
pid=$!
PIDS+=("$pid")
if wait_for "$TMP/tun2.out" '^ready' 5; then
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	check "tun: SIGKILL: swtun2, its address and route vanish" \
	    eval '! ip -n "$NS_T" link show dev swtun2 &&
	    [ -z "$(routes6 2001:db8:5::/48)" ] &&
	    ! ip -n "$NS_T" -6 addr | grep -q 2001:db8::3/'
else
	notok "tun: third probe ready"
	diag "$TMP/tun2.err"
fi

# ---- udp.c: A --- R --- B ------------------------------------------------------

setup_udp() {
	local ns
	for ns in "$NS_A" "$NS_R" "$NS_B"; do
		ip netns add "$ns" || return 1
		NAMESPACES+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_A" link add a0 type veth peer name r0 netns "$NS_R" &&
	ip -n "$NS_R" link add r1 type veth peer name b0 netns "$NS_B" &&
	ip -n "$NS_A" addr add 192.0.2.1/24 dev a0 &&
	ip -n "$NS_R" addr add 192.0.2.254/24 dev r0 &&
	ip -n "$NS_R" addr add 198.51.100.254/24 dev r1 &&
	ip -n "$NS_B" addr add 198.51.100.1/24 dev b0 &&
	ip -n "$NS_R" link set r1 mtu 1400 &&
	ip -n "$NS_B" link set b0 mtu 1400 &&
	ip -n "$NS_A" link set a0 up &&
	ip -n "$NS_R" link set r0 up &&
	ip -n "$NS_R" link set r1 up &&
	ip -n "$NS_B" link set b0 up &&
	ip -n "$NS_A" route add 198.51.100.0/24 via 192.0.2.254 dev a0 &&
	ip -n "$NS_B" route add 192.0.2.0/24 via 198.51.100.254 dev b0 &&
	nsrun "$NS_R" sysctl -qw net.ipv4.ip_forward=1
}

# capture_start NAME: dumpcap on a0 in A; sets cappid.
capture_start() {
	cappid=
	command -v dumpcap >/dev/null 2>&1 || return 1
	command -v tshark >/dev/null 2>&1 || return 1
	ip netns exec "$NS_A" dumpcap -q -i a0 -w "$TMP/$1.pcapng" 2>"$TMP/$1.cap" &
	cappid=$!
	PIDS+=("$cappid")
	wait_for "$TMP/$1.cap" 'Capturing on' 10
}

capture_stop() {
	[ -n "$cappid" ] || return 0
	sleep 0.3
	kill -INT "$cappid" 2>/dev/null
	wait "$cappid" 2>/dev/null
}

# frames NAME FILTER: how many frames of the capture match FILTER.
frames() {
	tshark -n -o ip.defragment:FALSE -r "$TMP/$1.pcapng" -Y "$2" \
	    2>/dev/null | wc -l
}

A2B='ip.src==192.0.2.1 && ip.dst==198.51.100.1 && !icmp'
B2A='ip.src==198.51.100.1 && ip.dst==192.0.2.1 && !icmp'
MARKED='(ip.flags.df==1 || ip.dsfield!=0)'
FRAG='(ip.flags.mf==1 || ip.frag_offset>0)'

if ! setup_udp >"$TMP/setup.err" 2>&1; then
	notok "udp: namespaces A, R, B and their links set up"
	diag "$TMP/setup.err"
else
	ok "udp: namespaces A, R, B and their links set up"

	nsrun "$NS_A" "$PROBE" misc 192.0.2.1 >"$TMP/misc.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) notok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$TMP/misc.out"

	havecap=0
	if capture_start main; then havecap=1; fi

	ip netns exec "$NS_B" "$PROBE" udp-echo 198.51.100.1 3544 100 \
	    >"$TMP/echo.out" 2>"$TMP/echo.err" &
	echopid=$!
	PIDS+=("$echopid")
	wait_for "$TMP/echo.out" '^bound' 5
	check "udp: echo bound to 198.51.100.1:3544 (getsockname)" \
	    grep -qx 'bound 198.51.100.1:3544' "$TMP/echo.out"
	nsrun "$NS_A" "$PROBE" udp-send 198.51.100.1 3544 100 \
	    >"$TMP/send.out" 2>"$TMP/send.err"
	sendrc=$?
	wait "$echopid"
	echorc=$?
	capture_stop

	check "udp: sender bound to 0.0.0.0 and a kernel-chosen port" \
	    grep -qE '^bound 0\.0\.0\.0:[1-9][0-9]*$' "$TMP/send.out"
	check "udp: 100 datagrams (1..65507 bytes, incl. 1308) sent, 0 errors" \
	    grep -qx 'sent 100 errors 0' "$TMP/send.out"
	check "udp: all 100 echoed back intact; nothing else came back" \
	    grep -qx 'received intact 100 corrupt 0 dup 0 unexpected 0 missing 0' \
	    "$TMP/send.out"
	check "udp: 1400..1472-byte datagrams crossed the 1400-MTU router" \
	    eval '[ $sendrc -eq 0 ] && grep -qx "missing-sizes none" "$TMP/send.out"'
	check "udp: echo sent each received datagram once (sendmmsg count)" \
	    grep -qE '^echoed 100 .* mismatch 0$' "$TMP/echo.out"
	check "udp: 2 refused datagrams per batch counted in *errors, rest sent" \
	    eval '[ $echorc -eq 0 ] && awk "/^echoed/ { f = 1; r = \$8 == 2 * \$4 }
	    END { exit !(f && r) }" "$TMP/echo.out"'
	check "udp: recvmmsg returned a full batch of 32" \
	    grep -qE '^echoed .* maxbatch 32 ' "$TMP/echo.out"
	if [ $sendrc -ne 0 ] || [ $echorc -ne 0 ]; then
		diag "$TMP/send.out" "$TMP/send.err" "$TMP/echo.out" "$TMP/echo.err"
	fi

	if [ $havecap -eq 1 ]; then
		na=$(frames main "$A2B")
		nb=$(frames main "$B2A")
		check "capture: >= 100 frames A->B ($na)" [ "$na" -ge 100 ]
		check "capture: DF clear, TOS/ECN 0 on every A->B frame (COM-MTU-2, COM-ECN)" \
		    [ "$(frames main "$A2B && $MARKED")" -eq 0 ]
		check "capture: >1500-byte datagrams left A in fragments" \
		    [ "$(frames main "$A2B && $FRAG")" -gt 0 ]
		check "capture: 1308-byte datagrams left A whole, DF clear" \
		    [ "$(frames main "$A2B && udp.length==1316 && ip.flags.df==0 && !$FRAG")" -eq 5 ]
		check "capture: >= 100 frames B->A ($nb)" [ "$nb" -ge 100 ]
		check "capture: DF clear, TOS/ECN 0 on every B->A frame" \
		    [ "$(frames main "$B2A && $MARKED")" -eq 0 ]
	else
		skip "capture: no dumpcap/tshark, or it did not start"
	fi

	# Control: DF on and TOS 0x02 on the sender's socket.
	havecap=0
	if capture_start control; then havecap=1; fi
	ip netns exec "$NS_B" "$PROBE" udp-echo 198.51.100.1 3545 10 3000 \
	    >"$TMP/echo2.out" 2>"$TMP/echo2.err" &
	echopid=$!
	PIDS+=("$echopid")
	wait_for "$TMP/echo2.out" '^bound' 5
	nsrun "$NS_A" "$PROBE" udp-send -D 198.51.100.1 3545 20 \
	    >"$TMP/send2.out" 2>"$TMP/send2.err"
	wait "$echopid"
	capture_stop
	check "control: with DF on, the 7 datagrams > 1472 bytes fail locally" \
	    awk '/^sent/ { f = 1; r = $2 + $4 == 20 && $4 >= 7 }
	    END { exit !(f && r) }' "$TMP/send2.out"
	check "control: ... and 1400..1472 die at the router: only <= 1372 return" \
	    grep -qx 'missing-sizes 1400,1450,1472,1473,1500,2000,4096,9000,20000,65507' \
	    "$TMP/send2.out"
	if [ $havecap -eq 1 ]; then
		nc=$(frames control "$A2B")
		check "control: the capture sees DF and TOS 0x02 on all $nc A->B frames" \
		    eval '[ "$nc" -gt 0 ] &&
		    [ "$(frames control "$A2B && ip.flags.df==1 && ip.dsfield==0x02")" -eq "$nc" ]'
	else
		skip "control: no dumpcap/tshark, or it did not start"
	fi
fi

exit
