#!/usr/bin/env bash
# bench/relay.sh [BUILD_DIR] - throughput and CPU cost of the relay path
# (issue [relay], item 7), as root, in network namespaces only:
#
#	make O=build/bench -j2 && bash bench/relay.sh build/bench
#
# (BUILD_DIR defaults to build/bench; an optimised default build.)  One lab
# run (tests/netns/lab.sh), torn down on every exit:
#
#   cl  10.41.0.2 --- nat (full-cone, 198.51.100.11) --- br0 (IPv4 "internet")
#   srv 192.0.2.10/.11 on br0, 2001:db8:6::1 on br6      (Teredo server)
#   rly 192.0.2.20 on br0, 2001:db8:6::3 on br6         (relay / tunnel end)
#   n6  2001:db8:6::2 on br6, 2001::/32 and 2001:db8:7::/64 via rly
#
# iperf3's server runs on the native host n6, its client on cl, to
# 2001:db8:6::2, through three tunnels in turn (inner MTU 1280 each):
#   ours    shipwormd client on cl, server on srv, relay on rly
#   miredo  Debian's miredo (RelayType client) on cl, miredo-server on srv,
#           miredo (RelayType cone, port 3544) on rly
#   kernel  a static VXLAN (id 42, UDP 4789) between cl and rly carrying
#           IPv6 (2001:db8:7::2 on cl, ::1 on rly), across the same NAT:
#           cl's end has remote 192.0.2.20; rly's end has remote
#           198.51.100.11 (the NAT's public address), which the full-cone
#           NAT's static 1:1 mapping (DNAT of everything to 10.41.0.2,
#           source ports kept) hands to cl:4789.  No fou/sit/ipip modules
#           here, so VXLAN is the in-kernel UDP tunnel on the same path.
# Per tunnel (inner IPv6, TCP MSS from MTU 1280; UDP datagrams of 1200
# bytes; iperf3 -w 2M on UDP so that iperf3's own sockets are not the
# bottleneck):
#   TCP up (cl -> n6) and down (-R), BENCH_TCP_SECONDS (8) each, the
#     best of BENCH_TCP_RUNS (2) runs;
#   UDP up, then down (-R): a saturating run (-b 0), then paced runs
#     (BENCH_UDP_SECONDS, 4, each) from the rate it delivered, down by 3/4
#     or up by 5/4, one bisection: the most delivered with < 1 % loss;
#   ours also at Miredo's peak rates, up and down (Miredo runs first).
# CPU, around each run:
#   per daemon: utime+stime (/proc/PID/stat) of its process tree (parent,
#     engine, threads) over the packets its tunnel interface carried
#     (rx+tx), also the user-space part alone;
#   the path: the daemons + iperf3's two ends + ksoftirqd, per datagram
#     delivered (the kernel tunnel's CPU figure: it has no daemon);
#   the machine: 2 x wall - idle (includes other users of this machine,
#     whose load is sampled for 1 s before each tunnel: "background");
#   with perf (BENCH_PERF=1, the default when perf is installed), one more
#     TCP up run through ours under `perf record -g` of the client and
#     relay engines: where their time goes, and their cost outside softirq
#     (the lab's network path runs as softirq in the sender's context, and
#     is charged to it: veth, the NAT's conntrack and nft, the bridge).
# Kernel counters tell where packets were dropped: the tunnel's queue to
# its daemon (tx_dropped), UDP receive/send buffers per namespace, softnet.
# Then a table, the ratios ours/Miredo and ours/kernel, and the targets:
# TCP >= 5x Miredo; UDP at Miredo's peak packet rate with < 1 % loss;
# <= 3 us of CPU per packet per daemon.
#
# The machine has 2 vCPUs: client daemon, relay daemon, iperf3's two ends
# and the softirq work they raise all share them (and share them with
# whatever else runs on the machine), so the numbers are noisy, and a
# daemon's throughput is bounded by what the others leave it.
#
# Installs iperf3 with apt-get if it is missing (bench/relay_install.sh:
# debconf preseeded not to start its daemon, a policy-rc.d that exits 101
# in place, the service disabled afterwards).  Needs miredo and
# miredo-server for the Miredo column (tests/netns/test_interop.sh
# installs them; skipped if absent).
# Environment: BENCH_TCP_SECONDS, BENCH_TCP_RUNS, BENCH_UDP_SECONDS,
# BENCH_ONLY="ours miredo kernel" (a subset), BENCH_PERF=0 (no perf run),
# BENCH_KEEP=DIR
# (copy the iperf3 JSON, daemon logs, perf data and results.tsv there),
# BENCH_UDP_BUF (2M), BENCH_TUN_TXQLEN=N (an experiment: the tunnel
# interfaces' txqueuelen set to N, 500 by default).
# Runtime: about 4 minutes.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
B=${1:-build/bench}
PATH=$PATH:/usr/sbin:/sbin
TCP_S=${BENCH_TCP_SECONDS:-8}
TCP_RUNS=${BENCH_TCP_RUNS:-2}
UDP_S=${BENCH_UDP_SECONDS:-4}
ONLY=${BENCH_ONLY:-ours miredo kernel}
# iperf3's UDP socket buffers (-w): big enough that iperf3's own sockets
# are not where datagrams are lost (net.core.rmem_max is 4 MiB here)
UDP_BUF=${BENCH_UDP_BUF:-2M}
PERF=${BENCH_PERF:-1}
command -v perf >/dev/null || PERF=0
T_START=$(date +%s)

die() { echo "relay.sh: $*" >&2; exit 1; }
note() { echo "# $*"; }
[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces)"
if ! [ -x "$B/shipwormd" ] || ! [ -x "$B/shipworm" ]; then
	die "no $B/shipwormd or $B/shipworm: make O=$B -j2 first"
fi
for t in ip nft python3 ss; do command -v $t >/dev/null || die "$t missing"; done
LAB_BIN=$(cd "$B" && pwd)

# ---- iperf3 -------------------------------------------------------------------
# shellcheck source=bench/relay_install.sh
. "$HERE/relay_install.sh"
ensure_iperf3 || die "iperf3 is needed"
HAVE_MIREDO=1
command -v miredo >/dev/null && command -v miredo-server >/dev/null || HAVE_MIREDO=0

# ---- the lab -----------------------------------------------------------------
# shellcheck source=tests/netns/lab.sh
. "$ROOT/tests/netns/lab.sh"
PREFIX="swb$$"
lab_init "$PREFIX"
bench_exit() {
	if [ -n "${BENCH_KEEP:-}" ] && [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		mkdir -p "$BENCH_KEEP" && cp -r "$LAB_DIR"/. "$BENCH_KEEP"/ 2>/dev/null
	fi
	lab_cleanup
}
trap bench_exit EXIT

N6=$LAB_N6 RLY6=$LAB_RLY6 SRV6=$LAB_SRV6
NATPUB=198.51.100.11 CLIP=10.41.0.2
VX_CL=2001:db8:7::2 VX_RLY=2001:db8:7::1

lab_relay_world
lab_exec n6 ip -6 route add 2001:db8:7::/64 via "$RLY6" dev six
lab_nat nat full-cone "$NATPUB" 10.41.0.0/24
lab_client cl nat
lab_exec cl sysctl -qw net.ipv6.conf.default.accept_dad=0

lab_run n6 iperf3 -s -B "$N6" -i 0 >"$LAB_DIR/iperf3-server.log" 2>&1
IPERF_SRV=$LAB_LAST_PID
wait_for 5 lab_exec n6 sh -c "ss -Hltn | grep -q ':5201 '" ||
	die "iperf3 server did not start: $(cat "$LAB_DIR/iperf3-server.log")"

# ---- measuring -----------------------------------------------------------------
HZ=$(getconf CLK_TCK) NCPU=$(nproc)
declare -A R		# results: R[scenario.key]
declare -A TREE		# role -> "pid pid..." (a daemon and its descendants)
ROLES=()		# client relay server iperf3s (those that run)
WATCH=()		# "ns:ifname": the tunnel interfaces, cl's and rly's

# descendants PID - PID and every process below it
descendants() {
	local all=" $1 " p pp changed=1
	while [ "$changed" = 1 ]; do
		changed=0
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			case $all in *" $p "*) continue ;; esac
			pp=$(sed 's/.*) [A-Za-z] \([0-9]*\).*/\1/' "/proc/$p/stat" 2>/dev/null) || continue
			case $all in *" $pp "*) all+="$p "; changed=1 ;; esac
		done
	done
	# shellcheck disable=SC2086 # one line, single spaces
	echo $all
}
# ticks PIDS... - "utime stime" of those processes (all their threads),
# in clock ticks
ticks() {
	local p u=0 s=0 f
	local -a v
	for p in "$@"; do
		f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# after "comm) ": state is v[0], utime v[11], stime v[12]
		read -r -a v <<<"$f"
		u=$((u + v[11])) s=$((s + v[12]))
	done
	echo "$u $s"
}
# nsstat NS IF - "pkts drop u4rcv u4snd u6rcv": rx+tx packets and
# tx_dropped (the kernel could not queue to the daemon / tunnel) of IF,
# and NS's UDP (IPv4 and IPv6) receive- and send-buffer errors
nsstat() {
	# shellcheck disable=SC2016 # expanded by that sh
	lab_exec "$1" sh -c '
		d=/sys/class/net/$1/statistics
		if [ -d "$d" ]; then
			echo $(($(cat $d/rx_packets) + $(cat $d/tx_packets))) $(cat $d/tx_dropped)
		else
			echo 0 0
		fi
		awk "/^Udp: [0-9]/ {print \$6, \$7}" /proc/net/snmp
		awk "/^Udp6RcvbufErrors/ {print \$2}" /proc/net/snmp6' sh "$2" 2>/dev/null | tr '\n' ' '
}
# softnet_drops - packets dropped by the backlog queues, all CPUs
softnet_drops() {
	local a b rest n=0
	while read -r a b rest; do n=$((n + 16#$b)); done </proc/net/softnet_stat
	echo "$n"
}
# snapshot - one line of key=value: time; per role, the user and system
# CPU ticks of its process tree; per watched namespace, its nsstat; the
# machine's CPU (/proc/stat, ticks) and softnet drops.  (This kernel has
# tick-based CPU accounting without IRQ time accounting: a process's
# utime+stime is its exact run time split by sampled ratios, /proc/stat's
# idle is exact (NO_HZ), its user/system/softirq are tick samples, which
# miss much of a bursty packet load; so the machine's busy time is taken
# as wall time x CPUs - idle, and only softirq's share of it is sampled.)
snapshot() {
	local r x ns ifn v
	local -a f
	local out
	out="t=$(date +%s%N)"
	for r in "${ROLES[@]}"; do
		# shellcheck disable=SC2086
		read -r -a f <<<"$(ticks ${TREE[$r]})"
		out+=" $r.uticks=${f[0]} $r.sticks=${f[1]}"
	done
	for x in "${WATCH[@]}"; do
		ns=${x%%:*} ifn=${x#*:}
		read -r -a f <<<"$(nsstat "$ns" "$ifn")"
		out+=" $ns.pkts=${f[0]:-0} $ns.tundrop=${f[1]:-0} $ns.u4rcv=${f[2]:-0} $ns.u4snd=${f[3]:-0} $ns.u6rcv=${f[4]:-0}"
	done
	v=$(awk '/^cpu /{print "cpu.user=" $2+$3, "cpu.sys=" $4, "cpu.si=" $7+$8, "cpu.idle=" $5+$6, "cpu.steal=" $9}' /proc/stat)
	out+=" $v softnet.drop=$(softnet_drops)"
	echo "$out"
}

# run_iperf SCEN KEY ARGS... - one iperf3 run (JSON in $LAB_DIR/SCEN.KEY.json),
# with CPU and counters around it; sets R[SCEN.KEY.*].  The iperf3
# client's own CPU: this shell's `times` for its children, before and
# after (iperf3 is the only child reaped in between).  It runs in the
# background so that a signal's trap (cleanup) does not wait for it.
run_iperf() {
	local scen=$1 key=$2 s0 s1 pid j="$LAB_DIR/$1.$2.json"; shift 2
	s0=$(snapshot)
	times >"$LAB_DIR/times0"
	timeout $((TCP_S + UDP_S + 20)) ip netns exec "$(lab_ns cl)" \
	    iperf3 -c "$N6" -J --connect-timeout 3000 "$@" >"$j" 2>"$j.err" &
	pid=$!
	wait "$pid"
	times >"$LAB_DIR/times1"
	s1=$(snapshot)
	eval "$(python3 "$HERE/relay_parse.py" "$j" "$scen.$key" "$HZ" "$NCPU" \
	    "${ROLES[*]}" "$s0" "$s1" "$(tail -1 "$LAB_DIR/times0")" "$(tail -1 "$LAB_DIR/times1")")"
}

# udp_at SCEN KEY PPS [ARGS...] - a paced UDP run at PPS datagrams/s
udp_at() {
	local scen=$1 key=$2 pps=$3; shift 3
	run_iperf "$scen" "$key" -u -l 1200 -w "$UDP_BUF" -b $((pps * 1200 * 8)) -t "$UDP_S" "$@"
	R[$scen.$key.offered]=$pps
}
lossy() { python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= 1.0)' "${R[$1.$2.loss]:-100}"; }

# peak_search SCEN DIR - UDP in direction DIR (u: client -> native; d:
# native -> client, iperf3 -R): a saturating run (-b 0, key DIRsat), then
# paced runs (DIR0, DIR1, ...) from the rate it delivered: down by 3/4
# until the loss is < 1 %, or up by 5/4 (twice at most) while it is and
# iperf3 still sends what it is asked to (else the sender is the limit);
# then one bisection (DIRbis) when the bracket is wider than 10 %.  Sets
# R[SCEN.DIRpeak] (the key of the run that delivered most with < 1 %
# loss), R[SCEN.DIRpeak_pps] (what it delivered) and R[SCEN.DIRlimit]
# ("sender" when iperf3's sender could not go faster).
peak_search() {
	local s=$1 dir=$2 d rate good=0 bad=0 best=0 i k name=up
	local -a rev=()
	[ "$dir" = d ] && rev=(-R) name=down
	run_iperf "$s" "${dir}sat" -u -l 1200 -w "$UDP_BUF" -b 0 -t "$UDP_S" "${rev[@]}"
	note "$s: UDP $name -b 0: offered ${R[$s.${dir}sat.tx_pps]:-?} pps, delivered ${R[$s.${dir}sat.rx_pps]:-?} pps"
	d=${R[$s.${dir}sat.rx_pps]:-0}
	[ "$d" -gt 1000 ] || d=1000
	rate=$d
	# try KEY - one paced run at $rate; 0 when its loss is < 1 %
	try() {
		udp_at "$s" "$1" "$rate" "${rev[@]}"
		note "$s: UDP $name at $rate pps: sent ${R[$s.$1.tx_pps]:-?}, delivered ${R[$s.$1.rx_pps]:-?} pps, loss ${R[$s.$1.loss]:-?} %"
		lossy "$s" "$1" && return 1
		if [ "${R[$s.$1.rx_pps]:-0}" -gt "$best" ]; then
			best=${R[$s.$1.rx_pps]} R[$s.${dir}peak]=$1
		fi
		return 0
	}
	for ((i = 0; i < 6; i++)); do
		k=$dir$i
		if ! try "$k"; then
			bad=$rate
			[ "$good" -gt 0 ] && break
			rate=$((rate * 3 / 4))
		else
			[ "$good" -lt "$rate" ] && good=$rate
			if [ "${R[$s.$k.tx_pps]:-0}" -lt $((rate * 97 / 100)) ]; then
				R[$s.${dir}limit]=sender
				break
			fi
			[ "$bad" -gt 0 ] && break
			[ "$i" -ge 2 ] && break
			rate=$((rate * 5 / 4))
		fi
	done
	if [ "$good" -gt 0 ] && [ "$bad" -gt "$good" ] && [ $((bad - good)) -gt $((good / 10)) ]; then
		rate=$(((good + bad) / 2))
		try "${dir}bis"
	fi
	R[$s.${dir}peak_pps]=$best
}

# tcp_best SCEN KEY [ARGS...] - TCP_RUNS runs (KEY.1, KEY.2, ...); the one
# with the most Mbit/s is copied to KEY (the machine is shared: best of N)
tcp_best() {
	local s=$1 key=$2 i k best='' bm=-1 m; shift 2
	R[$s.$key.all]=
	for ((i = 1; i <= TCP_RUNS; i++)); do
		run_iperf "$s" "$key.$i" -t "$TCP_S" "$@"
		m=${R[$s.$key.$i.mbps]:-0}; m=${m%.*}
		R[$s.$key.all]+=" $m"
		[ "$m" -gt "$bm" ] && bm=$m best=$i
	done
	R[$s.$key.all]=${R[$s.$key.all]# }
	for k in "${!R[@]}"; do
		case $k in "$s.$key.$best."*) R[$s.$key.${k#"$s.$key.$best."}]=${R[$k]} ;; esac
	done
}

# measure SCEN - the whole set of runs through the tunnel that is up
measure() {
	local s=$1 m
	tcp_best "$s" tcp
	note "$s: TCP up: ${R[$s.tcp.mbps]:-?} Mbit/s (best of $TCP_RUNS: ${R[$s.tcp.all]})"
	if [ "$PERF" = 1 ] && [ "$s" = ours ]; then
		perf_start
		run_iperf "$s" tcpperf -t "$TCP_S"
		perf_stop
		note "$s: TCP up under perf record: ${R[$s.tcpperf.mbps]:-?} Mbit/s (not in the table)"
	fi
	tcp_best "$s" tcpr -R
	note "$s: TCP down (-R): ${R[$s.tcpr.mbps]:-?} Mbit/s (best of $TCP_RUNS: ${R[$s.tcpr.all]})"
	peak_search "$s" u
	peak_search "$s" d
	if [ "$s" = ours ]; then
		# (a run at Miredo's rate with < 1 % loss that delivered more
		# than the search's best counts as ours' peak too: the search
		# is noisy on a shared machine)
		local d k
		for d in u d; do
			m=${R[miredo.${d}peak_pps]:-0} k=${d}mir
			[ "$m" -gt 0 ] || continue
			if [ "$d" = u ]; then udp_at "$s" "$k" "$m"; else udp_at "$s" "$k" "$m" -R; fi
			note "$s: UDP $([ "$d" = u ] && echo up || echo down) at Miredo's peak, $m pps: delivered ${R[$s.$k.rx_pps]:-?} pps, loss ${R[$s.$k.loss]:-?} %"
			if ! lossy "$s" "$k" && [ "${R[$s.$k.rx_pps]:-0}" -gt "${R[$s.${d}peak_pps]:-0}" ]; then
				R[$s.${d}peak]=$k R[$s.${d}peak_pps]=${R[$s.$k.rx_pps]}
			fi
		done
	fi
}

# ---- perf (BENCH_PERF=1) ------------------------------------------------------------
PERF_PIDS=()
perf_start() {
	local r p best bt t
	PERF_PIDS=()
	for r in client relay; do
		# the engine: the busiest process of the daemon's tree
		best='' bt=-1
		for p in ${TREE[$r]}; do
			t=$(ticks "$p"); t=$((${t% *} + ${t#* }))
			[ "$t" -gt "$bt" ] && best=$p bt=$t
		done
		[ -n "$best" ] || continue
		perf record -q -g -p "$best" -o "$LAB_DIR/perf-$r.data" >"$LAB_DIR/perf-$r.log" 2>&1 &
		PERF_PIDS+=($!)
		LAB_PIDS+=($!)
	done
	sleep 0.3
}
# perf_stop - end the recording; per engine, a summary in perf-ROLE.top and
# R[ours.perf.ROLE.softirq] / R[ours.perf.ROLE.kernel]: the share of its
# samples under handle_softirqs (the lab's network path, run in its
# context) and in the kernel at all
perf_stop() {
	local p r v
	for p in "${PERF_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${PERF_PIDS[@]}"; do lab_wait_pid "$p" 10; done
	for r in client relay; do
		[ -s "$LAB_DIR/perf-$r.data" ] || continue
		perf report -i "$LAB_DIR/perf-$r.data" --no-children --sort dso --stdio 2>/dev/null |
		    awk '/^ +[0-9.]+%/ {print $1, $2}' >"$LAB_DIR/perf-$r.dso"
		perf report -i "$LAB_DIR/perf-$r.data" --children --sort sym --stdio 2>/dev/null |
		    awk '/^ +[0-9.]+% +[0-9.]+% +\[k\]/ {print $1, $4}' >"$LAB_DIR/perf-$r.kernel"
		perf report -i "$LAB_DIR/perf-$r.data" --no-children --sort sym --stdio 2>/dev/null |
		    awk '/^ +[0-9.]+% +\[\.\]/ {print $1, $3}' >"$LAB_DIR/perf-$r.user"
		v=$(awk '$2 == "handle_softirqs" {print $1 + 0; exit}' "$LAB_DIR/perf-$r.kernel")
		R[ours.perf.$r.softirq]=${v:-0}
		v=$(awk '$2 == "[kernel.kallsyms]" {print $1 + 0; exit}' "$LAB_DIR/perf-$r.dso")
		R[ours.perf.$r.kernel]=${v:-0}
		{
			echo "# perf, our $r engine, TCP up: where its time goes (share of its samples)"
			awk '{printf "#   %-8s %s\n", $1, $2}' "$LAB_DIR/perf-$r.dso" | head -4
			echo "#   inclusive, in the kernel:"
			awk -v want="__sys_sendmmsg __sys_recvmmsg tun_chr_write_iter tun_chr_read_iter do_epoll_wait handle_softirqs __schedule nf_hook_slow br_handle_frame veth_xmit" '
				BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
				($2 in ok) && !seen[$2]++ { printf "#   %-8s %s\n", $1, $2 }' "$LAB_DIR/perf-$r.kernel"
			echo "#   user space, self:"
			awk '{printf "#   %-8s %s\n", $1, $2}' "$LAB_DIR/perf-$r.user" | head -8
		} >"$LAB_DIR/perf-$r.top"
	done
}

# ---- the three tunnels ---------------------------------------------------------------
daemons_stop() {
	local p
	for p in "$@"; do lab_kill "$p"; done
}
# the kernel's softirq threads: softirq work deferred out of the context
# that raised it runs (and is accounted) there
KSOFTIRQD=$(for p in /proc/[0-9]*; do
	case $(cat "$p/comm" 2>/dev/null) in ksoftirqd/*) echo "${p#/proc/}" ;; esac
done | tr '\n' ' ')
set_roles() {	# "role:pid" ... (iperf3's server and ksoftirqd are always watched)
	local x
	ROLES=(iperf3s ksoftirqd) TREE=([iperf3s]=$IPERF_SRV [ksoftirqd]=$KSOFTIRQD)
	for x in "$@"; do
		ROLES+=("${x%%:*}")
		TREE[${x%%:*}]=$(descendants "${x#*:}")
	done
}
# tun_txqlen NS IF - BENCH_TUN_TXQLEN=N (an experiment): the tunnel's
# queue from the kernel to the daemon (txqueuelen, 500 by default) set to N
tun_txqlen() {
	[ -n "${BENCH_TUN_TXQLEN:-}" ] || return 0
	lab_exec "$1" ip link set dev "$2" txqueuelen "$BENCH_TUN_TXQLEN" &&
		note "$1 $2: txqueuelen $BENCH_TUN_TXQLEN (BENCH_TUN_TXQLEN)"
}
ping_ok() { lab_exec cl ping -6 -q -n -c 3 -i 0.2 -W 2 "$N6" >/dev/null 2>&1; }

scenario_ours() {
	lab_config srv server "ServerBindAddress 192.0.2.10" "SecondaryBindAddress 192.0.2.11" >/dev/null
	lab_config rly relay "RelayAddress $RLY6" "BindAddress 192.0.2.20" >/dev/null
	lab_config cl client "ServerAddress 192.0.2.10" >/dev/null
	lab_daemon srv srv
	lab_daemon rly rly
	lab_daemon cl cl
	local pids=("${LAB_DAEMON_PID[cl]}" "${LAB_DAEMON_PID[rly]}" "${LAB_DAEMON_PID[srv]}")
	if ! wait_for 15 status_is cl cl state qualified ||
	    ! wait_for 5 status_is rly rly state relaying; then
		note "ours: client or relay not up: $(tail -3 "$LAB_DIR/cl.log" "$LAB_DIR/rly.log" | tr '\n' ' ')"
		daemons_stop "${pids[@]}"; return 1
	fi
	R[ours.addr]=$(status_get cl cl address)
	wait_for 10 ping_ok || { note "ours: no ping through the relay"; daemons_stop "${pids[@]}"; return 1; }
	sleep 0.5	# the engines are forked by now
	set_roles "client:${LAB_DAEMON_PID[cl]}" "relay:${LAB_DAEMON_PID[rly]}" \
	    "server:${LAB_DAEMON_PID[srv]}"
	WATCH=("cl:$(lab_ifname cl)" "rly:$(lab_ifname rly)" "n6:six")
	tun_txqlen cl "$(lab_ifname cl)"; tun_txqlen rly "$(lab_ifname rly)"
	note "ours: client ${R[ours.addr]} (pids ${TREE[client]}), relay pids ${TREE[relay]}, server pids ${TREE[server]}"
	measure ours
	R[ours.drops_cl]=$(lab_status cl cl --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin).get("drops",{}); print(" ".join("%s=%s"%kv for kv in sorted(d.items()) if kv[1]) or "none")' 2>/dev/null)
	R[ours.drops_rly]=$(lab_status rly rly --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin).get("drops",{}); print(" ".join("%s=%s"%kv for kv in sorted(d.items()) if kv[1]) or "none")' 2>/dev/null)
	daemons_stop "${pids[@]}"
}

scenario_miredo() {
	cat >"$LAB_DIR/miredo-server.conf" <<EOF
# lab $PREFIX: network-namespace laboratory only
ServerBindAddress 192.0.2.10
ServerBindAddress2 192.0.2.11
EOF
	cat >"$LAB_DIR/miredo-relay.conf" <<EOF
# lab $PREFIX: network-namespace laboratory only
RelayType cone
InterfaceName mrly
BindAddress 192.0.2.20
BindPort 3544
EOF
	cat >"$LAB_DIR/miredo-client.conf" <<EOF
# lab $PREFIX: network-namespace laboratory only
RelayType client
ServerAddress 192.0.2.10
InterfaceName mteredo
EOF
	local ms mr mc
	lab_run srv miredo-server -f -p "$LAB_DIR/ms.pid" -c "$LAB_DIR/miredo-server.conf" >"$LAB_DIR/miredo-server.log" 2>&1
	ms=$LAB_LAST_PID
	lab_run rly miredo -f -p "$LAB_DIR/mr.pid" -c "$LAB_DIR/miredo-relay.conf" >"$LAB_DIR/miredo-relay.log" 2>&1
	mr=$LAB_LAST_PID
	lab_run cl miredo -f -p "$LAB_DIR/mc.pid" -c "$LAB_DIR/miredo-client.conf" >"$LAB_DIR/miredo-client.log" 2>&1
	mc=$LAB_LAST_PID
	mc_up() { [ -n "$(lab_teredo_addrs cl mteredo)" ]; }
	mr_up() { lab_exec rly ip -6 route show 2001::/32 | grep -q mrly; }
	if ! wait_for 15 mc_up || ! wait_for 5 mr_up; then
		note "miredo: client or relay not up: $(tail -3 "$LAB_DIR"/miredo-*.log | tr '\n' ' ')"
		daemons_stop "$mc" "$mr" "$ms"; return 1
	fi
	R[miredo.addr]=$(lab_teredo_addrs cl mteredo | head -1)
	wait_for 10 ping_ok || { note "miredo: no ping through the relay"; daemons_stop "$mc" "$mr" "$ms"; return 1; }
	set_roles "client:$mc" "relay:$mr" "server:$ms"
	WATCH=("cl:mteredo" "rly:mrly" "n6:six")
	tun_txqlen cl mteredo; tun_txqlen rly mrly
	note "miredo: client ${R[miredo.addr]} (pids ${TREE[client]}), relay pids ${TREE[relay]}, server pids ${TREE[server]}"
	measure miredo
	daemons_stop "$mc" "$mr" "$ms"
}

scenario_kernel() {
	lab_exec cl ip link add vx0 type vxlan id 42 local "$CLIP" remote 192.0.2.20 dstport 4789 dev eth0 || return 1
	lab_exec rly ip link add vx0 type vxlan id 42 local 192.0.2.20 remote "$NATPUB" dstport 4789 dev wan || return 1
	local h
	for h in cl rly; do
		lab_exec "$h" sysctl -qw net.ipv6.conf.vx0.disable_ipv6=0
		lab_exec "$h" ip link set vx0 mtu 1280 up
	done
	lab_exec cl ip -6 addr add "$VX_CL/64" dev vx0 nodad
	lab_exec rly ip -6 addr add "$VX_RLY/64" dev vx0 nodad
	lab_exec cl ip -6 route add 2001:db8:6::/64 via "$VX_RLY" dev vx0
	wait_for 10 ping_ok || { note "kernel: no ping over the VXLAN"; return 1; }
	set_roles
	WATCH=("cl:vx0" "rly:vx0" "n6:six")
	note "kernel: VXLAN $VX_CL <-> $VX_RLY, rly's remote $NATPUB:4789 (full-cone NAT)"
	measure kernel
	lab_exec cl ip link del vx0
	lab_exec rly ip link del vx0
}

for s in $ONLY; do
	case $s in ours | miredo | kernel) ;; *) die "unknown scenario '$s'" ;; esac
done
# Miredo first: ours also runs at Miredo's peak packet rate.
ORDER=()
for s in miredo ours kernel; do
	case " $ONLY " in *" $s "*) ;; *) continue ;; esac
	if [ $s = miredo ] && [ "$HAVE_MIREDO" = 0 ]; then
		note "miredo: not installed, skipped (tests/netns/test_interop.sh installs it)"
		continue
	fi
	ORDER+=("$s")
done
# background NAME - the machine's busy share over 1 s with nothing of
# ours running (other users of this machine), in R[NAME.bg]
background() {
	local a b
	local t
	a=$(awk '/^cpu /{print $5 + $6}' /proc/stat) t=$(date +%s%N)
	sleep 1
	b=$(awk '/^cpu /{print $5 + $6}' /proc/stat)
	R[$1.bg]=$(python3 -c 'import sys; a, b, t0, t1, hz, n = map(int, sys.argv[1:]); w = (t1 - t0) / 1e9; print("%.0f" % max(0.0, 100 * (1 - (b - a) / hz / (w * n))))' "$a" "$b" "$t" "$(date +%s%N)" "$HZ" "$NCPU")
}
for s in "${ORDER[@]}"; do
	t0=$(date +%s)
	background "$s"
	note "$s: background load ${R[$s.bg]} % of the machine (1 s, before)"
	note "==== $s"
	"scenario_$s" || note "$s: FAILED, no numbers"
	note "$s: $(($(date +%s) - t0)) s"
done

# ---- report ----------------------------------------------------------------
{
	for k in "${!R[@]}"; do printf '%s\t%s\n' "$k" "${R[$k]}"; done
} >"$LAB_DIR/results.tsv"
python3 "$HERE/relay_report.py" "$LAB_DIR/results.tsv" "$(nproc)" "$(($(date +%s) - T_START))"
for r in client relay; do
	[ -s "$LAB_DIR/perf-$r.top" ] && cat "$LAB_DIR/perf-$r.top"
done
exit 0
