# shellcheck shell=bash
# shellcheck disable=SC2034 # the LAB_* tables are read by the scripts that source this
# tests/netns/lab.sh - a Teredo world in network namespaces, for the
# end-to-end tests and `make demo`.  Source it from bash, as root.
#
#   lab_init PREFIX           per-run prefix (e.g. "sw$$"); temp dir
#                             $LAB_DIR; cleanup trap on EXIT/INT/TERM
#   lab_wan                   the "internet": a namespace holding bridge br0
#   lab_server NAME [IP1 IP2] a public host (default 192.0.2.10 and .11)
#   lab_nat NAME TYPE PUBLIC_IP LAN_CIDR [PORTS]
#                             TYPE: full-cone | restricted | port-restricted
#                             | symmetric; PORTS (e.g. 20000-29999) maps
#                             the source port into that range
#   lab_client NAME NAT       a host on NAT's LAN, default route via it
#   lab_native6 NAME SERVER   a native IPv6 host on its own IPv6 link to
#                             public host SERVER (2001:db8:N::2, SERVER
#                             2001:db8:N::1), 2001::/32 routed back via
#                             SERVER; SERVER forwards IPv6 (call it before
#                             starting SERVER's daemon: its tunnel needs
#                             IPv6 enabled)
#   lab_exec NAME CMD...      CMD in namespace NAME, in the foreground
#   lab_native_net            the native IPv6 net: bridge br6, 2001:db8:6::/64
#   lab_native_join NAME ADDR6 [GW6]   NAME (made if new) on br6; 2001::/32
#                             via GW6 when given
#   lab_host NAME IP4         a public host with one address on br0
#   lab_relay NAME IP4 ADDR6  a relay host on br0 and br6, forwarding IPv6
#   lab_relay_world           wan, br6, server srv, relay host rly, native n6
#   lab_run NAME CMD...       CMD in NAME, in the background; PID recorded
#                             (and left in LAB_LAST_PID)
#   lab_capture NAME IF FILE  tshark capture; lab_capture_stop [PID] ends
#                             it (else cleanup does)
#   lab_kill PID / lab_alive PID   end one process we started / test it
#   lab_config NAME ROLE "Setting value"...   write $LAB_DIR/NAME.conf
#                             (AddressPolicy lab, own interface and socket;
#                             a client: its own EdgePolicyDir, empty:
#                             nothing granted, $LAB_DIR/NAME.edge.d)
#   lab_edge_policy NAME LINE...   append policy lines ("allow cgroup /x")
#                             to client NAME's EdgePolicyDir (10-lab.conf)
#   lab_cgroup_make CG        a cgroup2 group "/PREFIX-CG" (removed by the
#                             cleanup, with any cgroups made below it);
#                             lab_cgroup_path CG prints that path
#   lab_cgroup_rule CG [MODE] the policy line for it ("allow cgroup /...")
#   lab_granted NS CG CMD...  CMD in namespace NS and cgroup CG, in the
#                             background (PID recorded, in LAB_LAST_PID):
#                             a listener the edge policy can grant
#
# Clients' daemons and lab_granted enter only the network namespace
# (nsenter --net): `ip netns exec` mounts the namespace's own sysfs over
# /sys, which hides /sys/fs/cgroup, where the grants are resolved.
#   lab_daemon NS NAME        start shipwormd -d with config NAME in NS;
#                             PID in LAB_DAEMON_PID[NAME], log NAME.log;
#                             it sees $LAB_ETC/passwd and group (made by
#                             with_engine_user: the host's plus the
#                             engine's user _shipworm) over /etc's
#   lab_status NS NAME [--json]    `shipworm status` of daemon NAME
#   status_get NS NAME KEY    one key of `shipworm status --json`
#   status_is NS NAME KEY VALUE    quick test of one key, for wait_for
#   status_num NS NAME KEY    a counter (0 when absent)
#   status_drops NS NAME      "reason=count ..." of the drops counted
#   lab_ping_replies NS DST N echo replies to N pings
#   wait_for TIMEOUT CMD...   run CMD every 50 ms until it succeeds
#   lab_teredo_addrs NAME IF  global IPv6 addresses on IF
#   lab_teredo_decode ADDR    "server client_ip client_port flags"
#   lab_teredo_addr SERVER IP PORT [FLAGS]   the Teredo address of a mapping
#   lab_conntrack_mapped NAT PORT [DST]   the NAT's mapping of a client port
#   lab_cleanup               what the trap runs; idempotent
#   lab_leftovers PREFIX PIDS...   what a finished run left (empty: clean)
#
# Network rules (the project's): every host lives in a namespace made
# here; public hosts and NATs join br0 by a veth whose bridge end lives in
# the wan namespace, never in the root namespace.  Addresses: 192.0.2.0/24
# (servers), 198.51.100.0/24 and 203.0.113.0/24 (NAT publics), 10.x LANs.
#
# IPv6 only on native links (lab_native6), from 2001:db8::/32, and on
# Teredo tunnels (2001:0::/32).
#
# Names: namespace "$LAB_PREFIX-NAME"; inside a public host or NAT the wan
# side is "wan"; a NAT's LAN side is "lan"; a client's is "eth0"; a native
# IPv6 host's is "eth0", and the server's end of that link "n6-NAME".

LAB_PREFIX=
LAB_DIR=
LAB_OWNER=
LAB_NS=()		# namespaces created, in order
LAB_PIDS=()		# processes started (lab_run / lab_capture)
LAB_CGROUPS=()		# cgroup2 directories made (lab_cgroup_make)
LAB_CAPS=()		# capture PIDs (stopped first, gently)
LAB_WAN_PORTS=0
LAB_PUBLIC_NETS="192.0.2.0/24 198.51.100.0/24 203.0.113.0/24"
LAB_BIN=${LAB_BIN:-}	# directory with shipwormd and shipworm
LAB_ETC=		# passwd and group for the daemons (with_engine_user)
declare -A LAB_NAT_TYPE LAB_NAT_PUB LAB_NAT_LANIP LAB_NAT_CLIENTIP
declare -A LAB_CLIENT_NAT LAB_CONF_SOCK LAB_CONF_IF LAB_DAEMON_PID LAB_EDGE_DIR
declare -A LAB_NATIVE6_ADDR LAB_NATIVE6_GW LAB_NATIVE6_IF
LAB_NATIVE6_LINKS=0

lab_log() { [ -n "${LAB_VERBOSE:-}" ] && echo "# lab: $*" >&2; return 0; }
lab_die() { echo "# lab: ERROR: $*" >&2; exit 1; }

# lab_init PREFIX - start a lab run.  The trap cleans up on every exit of
# the shell that called lab_init (not of its subshells).
lab_init() {
	[ $# -eq 1 ] || lab_die "usage: lab_init PREFIX"
	[ "$(id -u)" -eq 0 ] || lab_die "the lab needs root"
	LAB_PREFIX=$1
	case $LAB_PREFIX in
	*[!A-Za-z0-9_-]* | "") lab_die "bad prefix '$LAB_PREFIX'" ;;
	esac
	LAB_OWNER=$BASHPID
	LAB_NS=() LAB_PIDS=() LAB_CAPS=() LAB_CGROUPS=() LAB_WAN_PORTS=0
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/shipworm-lab.$LAB_PREFIX.XXXXXX") ||
		lab_die "mktemp failed"
	LAB_ETC=$LAB_DIR/etc
	trap 'lab_cleanup' EXIT
	trap 'lab_cleanup; trap - INT; kill -INT $BASHPID' INT
	trap 'lab_cleanup; exit 143' TERM
	lab_log "prefix $LAB_PREFIX, dir $LAB_DIR"
}

lab_ns() { echo "$LAB_PREFIX-$1"; }

# lab_netns NAME - create namespace PREFIX-NAME with lo up.
lab_netns() {
	local ns; ns=$(lab_ns "$1")
	ip netns add "$ns" || lab_die "ip netns add $ns failed"
	LAB_NS+=("$ns")
	ip -n "$ns" link set lo up
	# Quiet links: no IPv6 on the veths (keeps captures to what we send).
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

lab_exec() { local ns; ns=$(lab_ns "$1"); shift; ip netns exec "$ns" "$@"; }

# lab_wan - the "internet": namespace PREFIX-wan holding bridge br0.
lab_wan() {
	lab_netns wan
	local ns; ns=$(lab_ns wan)
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link add br0 type bridge || lab_die "bridge failed"
	ip -n "$ns" link set br0 up
}

# lab_wan_attach NAME - veth from the bridge to host NAME ("wan" there).
lab_wan_attach() {
	local wan ns port
	wan=$(lab_ns wan) ns=$(lab_ns "$1")
	LAB_WAN_PORTS=$((LAB_WAN_PORTS + 1))
	port="p$LAB_WAN_PORTS-$1"; port=${port:0:15}
	ip -n "$wan" link add "$port" type veth peer name wan netns "$ns" ||
		lab_die "veth $port failed"
	ip -n "$wan" link set "$port" master br0 up
	ip -n "$ns" link set wan up
}

# lab_public_routes NAME - on-link routes to the other public /24s.
lab_public_routes() {
	local ns net; ns=$(lab_ns "$1")
	for net in $LAB_PUBLIC_NETS; do
		ip -n "$ns" route add "$net" dev wan 2>/dev/null || true
	done
}

# lab_server NAME [IP1 [IP2]] - a public host with two addresses.
lab_server() {
	local name=$1 ip1=${2:-192.0.2.10} ip2=${3:-}
	[ -n "$ip2" ] || ip2=$(lab_ip_plus "$ip1" 1)
	lab_netns "$name"
	lab_wan_attach "$name"
	local ns; ns=$(lab_ns "$name")
	ip -n "$ns" addr add "$ip1/24" dev wan
	ip -n "$ns" addr add "$ip2/24" dev wan
	lab_public_routes "$name"
	# The server's tunnel (its clients' /64) does need IPv6.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
}

lab_ip_plus() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo "$a.$b.$c.$((d + $2))"
}

# lab_nat NAME TYPE PUBLIC_IP LAN_CIDR [PORTS]
lab_nat() {
	local name=$1 type=$2 pub=$3 cidr=$4 ports=${5:-}
	case $type in
	full-cone | restricted | port-restricted | symmetric) ;;
	*) lab_die "unknown NAT type '$type'" ;;
	esac
	local net=${cidr%/*}
	local lanip clip
	lanip=$(lab_ip_plus "$net" 1) clip=$(lab_ip_plus "$net" 2)
	LAB_NAT_TYPE[$name]=$type LAB_NAT_PUB[$name]=$pub
	LAB_NAT_LANIP[$name]=$lanip LAB_NAT_CLIENTIP[$name]=$clip
	lab_netns "$name"
	lab_wan_attach "$name"
	local ns; ns=$(lab_ns "$name")
	ip -n "$ns" addr add "$pub/24" dev wan
	lab_public_routes "$name"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	# Our conntrack timeouts, whatever the host's defaults are.
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30 2>/dev/null || true
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=120 2>/dev/null || true
	lab_nat_rules "$type" "$pub" "$clip" "$ports" >"$LAB_DIR/nat-$name.nft"
	ip netns exec "$ns" nft -f "$LAB_DIR/nat-$name.nft" ||
		lab_die "nft rules for $name ($type) failed"
}

# lab_nat_rules TYPE PUBLIC CLIENT PORTS - print the NAT's ruleset.
lab_nat_rules() {
	local type=$1 pub=$2 cl=$3 ports=$4 post pre="" restrict="" peerset="" learn=""
	local pr="" l4=""
	[ -n "$ports" ] && pr=":$ports" l4="meta l4proto { tcp, udp } "
	case $type in
	full-cone)
		# Static 1:1: every inbound datagram to PUB goes to the client.
		pre="iifname \"wan\" ip daddr $pub dnat to $cl"
		post="oifname \"wan\" ip saddr $cl ${l4}snat to $pub$pr" ;;
	restricted)
		# 1:1, but only from addresses the client sent to.
		peerset="set peers { type ipv4_addr; flags dynamic,timeout; timeout 5m; }"
		learn="update @peers { ip daddr }"
		restrict="iifname \"wan\" ip daddr $pub ct state new ip saddr != @peers drop"
		pre="iifname \"wan\" ip daddr $pub dnat to $cl"
		post="oifname \"wan\" ip saddr $cl ${l4}snat to $pub$pr" ;;
	port-restricted)
		post="oifname \"wan\" ${l4}masquerade${pr:+ to $pr}" ;;
	symmetric)
		post="oifname \"wan\" ${l4}masquerade${pr:+ to $pr} random,fully-random" ;;
	esac
	cat <<EOF
table ip lab_nat {
	$peerset
	chain restrict_pre {
		type filter hook prerouting priority dstnat - 10; policy accept;
		$restrict
	}
	chain nat_pre {
		type nat hook prerouting priority dstnat; policy accept;
		$pre
	}
	chain filter_fwd {
		type filter hook forward priority filter; policy drop;
		iifname "lan" oifname "wan" $learn accept
		iifname "wan" oifname "lan" ct state established,related accept
		iifname "wan" oifname "lan" ct status dnat accept
	}
	chain filter_in {
		type filter hook input priority filter; policy accept;
		iifname "wan" ct state established,related accept
		iifname "wan" drop
	}
	chain nat_post {
		type nat hook postrouting priority srcnat; policy accept;
		$post
	}
}
EOF
}

# lab_client NAME NAT - a host at .2 on NAT's LAN.
lab_client() {
	local name=$1 nat=$2
	[ -n "${LAB_NAT_TYPE[$nat]:-}" ] || lab_die "no NAT '$nat'"
	lab_netns "$name"
	local ns natns
	ns=$(lab_ns "$name") natns=$(lab_ns "$nat")
	ip -n "$natns" link add lan type veth peer name eth0 netns "$ns" ||
		lab_die "veth $nat-$name failed"
	ip -n "$natns" addr add "${LAB_NAT_LANIP[$nat]}/24" dev lan
	ip -n "$natns" link set lan up
	ip -n "$ns" addr add "${LAB_NAT_CLIENTIP[$nat]}/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "${LAB_NAT_LANIP[$nat]}"
	# The tunnel interface does need IPv6.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
	LAB_CLIENT_NAT[$name]=$nat
}

# lab_native6 NAME SERVER - a native IPv6 host NAME on a link of its own
# to public host SERVER (made by lab_server): link N (1, 2, ...) is
# 2001:db8:N::/64, SERVER at ::1 on "n6-NAME", NAME at ::2 on "eth0".
# NAME routes the Teredo prefix 2001::/32 back via SERVER, which forwards
# IPv6 (net.ipv6.conf.all.forwarding=1) and gets IPv6 on interfaces made
# from now on (default.disable_ipv6=0, so that a daemon's tunnel has it);
# its wan side stays IPv6-free.  No DAD: addresses work at once.  Sets
# LAB_NATIVE6_ADDR[NAME], LAB_NATIVE6_GW[NAME] (SERVER's address) and
# LAB_NATIVE6_IF[NAME] (SERVER's interface).
lab_native6() {
	[ $# -eq 2 ] || lab_die "usage: lab_native6 NAME SERVER"
	local name=$1 srv=$2 ns sns n net sif
	sns=$(lab_ns "$srv")
	local x found=
	for x in "${LAB_NS[@]}"; do [ "$x" = "$sns" ] && found=1; done
	[ -n "$found" ] || lab_die "no host '$srv'"
	LAB_NATIVE6_LINKS=$((LAB_NATIVE6_LINKS + 1))
	n=$LAB_NATIVE6_LINKS net="2001:db8:$n:"
	sif="n6-$name"; sif=${sif:0:15}
	lab_netns "$name"
	ns=$(lab_ns "$name")
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	ip netns exec "$sns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
	ip netns exec "$sns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	ip netns exec "$sns" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$sns" link add "$sif" type veth peer name eth0 netns "$ns" ||
		lab_die "veth $srv-$name failed"
	ip netns exec "$sns" sysctl -qw "net.ipv6.conf.$sif.disable_ipv6=0"
	ip netns exec "$sns" sysctl -qw "net.ipv6.conf.$sif.accept_dad=0"
	ip -n "$sns" addr add "${net}:1/64" dev "$sif" nodad
	ip -n "$ns" addr add "${net}:2/64" dev eth0 nodad
	ip -n "$sns" link set "$sif" up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" -6 route add 2001::/32 via "${net}:1" dev eth0 ||
		lab_die "route 2001::/32 on $name failed"
	LAB_NATIVE6_ADDR[$name]="${net}:2" LAB_NATIVE6_GW[$name]="${net}:1"
	LAB_NATIVE6_IF[$name]=$sif
}

# lab_native_net - the native IPv6 "internet": bridge br6 in the wan
# namespace (beside br0; the wan namespace itself has no IPv6 addresses:
# the bridge only switches frames), 2001:db8:6::/64.
lab_native_net() {
	local ns; ns=$(lab_ns wan)
	ip -n "$ns" link add br6 type bridge || lab_die "bridge br6 failed"
	ip -n "$ns" link set br6 up
	LAB_NATIVE_PORTS=0
}

# lab_native_join NAME ADDR6 [GW6] - host NAME (made now when it does not
# exist) on br6 by interface "six" with ADDR6/64; with GW6, the Teredo
# prefix 2001::/32 is routed via GW6 (the relay).  NAME gets IPv6 on
# interfaces made from now on (a daemon's tunnel needs it); no DAD.
lab_native_join() {
	local name=$1 addr=$2 gw=${3:-} ns wan port x found=
	ns=$(lab_ns "$name") wan=$(lab_ns wan)
	for x in "${LAB_NS[@]}"; do [ "$x" = "$ns" ] && found=1; done
	[ -n "$found" ] || lab_netns "$name"
	LAB_NATIVE_PORTS=$((LAB_NATIVE_PORTS + 1))
	port="q$LAB_NATIVE_PORTS-$name"; port=${port:0:15}
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	ip -n "$wan" link add "$port" type veth peer name six netns "$ns" ||
		lab_die "veth $port failed"
	ip -n "$wan" link set "$port" master br6 up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.six.disable_ipv6=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.six.accept_dad=0
	ip -n "$ns" addr add "$addr/64" dev six nodad
	ip -n "$ns" link set six up
	if [ -n "$gw" ]; then
		ip -n "$ns" -6 route add 2001::/32 via "$gw" dev six ||
			lab_die "route 2001::/32 on $name failed"
	fi
	LAB_NATIVE6_ADDR[$name]=$addr
}

# lab_host NAME IP4 - a public host with one address, IP4, on br0.
lab_host() {
	local name=$1 ip4=$2
	lab_netns "$name"
	lab_wan_attach "$name"
	ip -n "$(lab_ns "$name")" addr add "$ip4/24" dev wan
	lab_public_routes "$name"
}

# lab_relay NAME IP4 ADDR6 - a public Teredo relay: IP4 on br0, ADDR6 on
# br6, IPv6 forwarding on (it routes between br6 and its tunnel).
lab_relay() {
	local name=$1 ip4=$2 addr=$3
	lab_host "$name" "$ip4"
	lab_native_join "$name" "$addr"
	lab_exec "$name" sysctl -qw net.ipv6.conf.all.forwarding=1
}

# lab_relay_world - the world of the relay tests: wan (br0) and native
# (br6) nets; server "srv" (192.0.2.10/.11, $LAB_SRV6 on br6), relay
# host "rly" (192.0.2.20, $LAB_RLY6), native host "n6" ($LAB_N6, the
# Teredo prefix via the relay).  No daemon is started.
LAB_SRV6=2001:db8:6::1 LAB_N6=2001:db8:6::2 LAB_RLY6=2001:db8:6::3
lab_relay_world() {
	lab_wan
	lab_native_net
	lab_server srv 192.0.2.10 192.0.2.11
	lab_native_join srv "$LAB_SRV6"
	lab_relay rly 192.0.2.20 "$LAB_RLY6"
	lab_native_join n6 "$LAB_N6" "$LAB_RLY6"
}

# lab_run NAME CMD... - run CMD in namespace NAME in the background;
# the PID (that of CMD itself: ip netns exec execs it) is in LAB_LAST_PID.
lab_run() {
	local ns; ns=$(lab_ns "$1"); shift
	ip netns exec "$ns" "$@" &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
	lab_log "started $* in $ns: pid $LAB_LAST_PID"
}

# lab_capture NAME IF FILE - capture IF in namespace NAME to FILE (pcapng);
# returns once the capture runs.  Stopped (flushed) by lab_capture_stop
# or at cleanup.
lab_capture() {
	local ns; ns=$(lab_ns "$1")
	local log="$LAB_DIR/capture.$BASHPID.$RANDOM.log"
	: >"$3"
	ip netns exec "$ns" tshark -q -i "$2" -w "$3" >"$log" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID") LAB_CAPS+=("$LAB_LAST_PID")
	# tshark says "Capturing on" once dumpcap is running.
	wait_for 10 grep -q "Capturing on" "$log" ||
		{ cat "$log" >&2; lab_die "capture on $2 did not start"; }
	sleep 0.2
}

# lab_capture_stop [PID] - stop a capture (the last one by default) and
# wait for it to write its file.
lab_capture_stop() {
	local pid=${1:-$LAB_LAST_PID}
	sleep 0.3
	kill -INT "$pid" 2>/dev/null
	lab_wait_pid "$pid" 5
}

# lab_alive PID - PID exists and is not a zombie.
lab_alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# lab_wait_pid PID SECONDS - wait for PID to exit (our child or not); reap
# it if it is our child.
lab_wait_pid() {
	local pid=$1 n=$(($2 * 20))
	while [ $n -gt 0 ] && lab_alive "$pid"; do
		sleep 0.05; n=$((n - 1))
	done
	wait "$pid" 2>/dev/null
	! lab_alive "$pid"
}

# lab_kill PID - end one process we started: TERM, then KILL after 2 s.
lab_kill() {
	local pid=$1
	lab_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	lab_wait_pid "$pid" 2 && return 0
	kill -KILL "$pid" 2>/dev/null
	lab_wait_pid "$pid" 2
}

# lab_cleanup - stop every process we started, delete every namespace we
# made (which removes their interfaces and nftables tables) and the temp
# dir.  Idempotent; only the shell that ran lab_init does it.
lab_cleanup() {
	[ -n "$LAB_OWNER" ] && [ "$BASHPID" = "$LAB_OWNER" ] || return 0
	local -
	set +e		# a trap under set -e must not stop halfway
	local pid ns i left
	for pid in "${LAB_CAPS[@]}"; do
		kill -INT "$pid" 2>/dev/null
	done
	for pid in "${LAB_CAPS[@]}"; do
		lab_wait_pid "$pid" 3
	done
	for pid in "${LAB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		lab_kill "$pid"
	done
	# Anything still inside our namespaces descends from what we started
	# (e.g. a daemon's helper process): end it by PID too.
	for ((i = ${#LAB_NS[@]} - 1; i >= 0; i--)); do
		ns=${LAB_NS[i]}
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ((i = 0; i < 40; i++)); do
		left=
		for ns in "${LAB_NS[@]}"; do
			left+=$(ip netns pids "$ns" 2>/dev/null)
		done
		[ -z "$left" ] && break
		sleep 0.05
	done
	for ((i = ${#LAB_NS[@]} - 1; i >= 0; i--)); do
		ip netns delete "${LAB_NS[i]}" 2>/dev/null
	done
	# Our cgroups, once the processes in them are gone (a cgroup with
	# a process cannot be removed): deepest first.
	for ((i = ${#LAB_CGROUPS[@]} - 1; i >= 0; i--)); do
		local cg=${LAB_CGROUPS[i]} k
		# cgroups a test made below ours (without lab_cgroup_make)
		[ -d "$cg" ] && find "$cg" -mindepth 1 -depth -type d \
		    -exec rmdir {} + 2>/dev/null
		for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		for ((k = 0; k < 40; k++)); do
			rmdir "$cg" 2>/dev/null && break
			sleep 0.05
		done
	done
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] && [ -z "${LAB_KEEP_DIR:-}" ]; then
		rm -rf "$LAB_DIR"
	fi
	LAB_NS=() LAB_PIDS=() LAB_CAPS=() LAB_CGROUPS=()
	LAB_OWNER=
}

# lab_leftovers PREFIX PIDS... - print what a finished run left behind
# (namespaces with the prefix, live PIDs); empty when clean.
lab_leftovers() {
	local prefix=$1 pid; shift
	ip netns list | awk '{print $1}' | grep -E "^$prefix-" | sed 's/^/netns /'
	local root; root=$(lab_cgroup_root 2>/dev/null)
	if [ -n "$root" ]; then
		find "$root" -maxdepth 1 -type d -name "$prefix-*" 2>/dev/null |
		    sed 's/^/cgroup /'
	fi
	for pid in "$@"; do
		if lab_alive "$pid"; then echo "pid $pid"; fi
	done
	return 0
}

# wait_for TIMEOUT CMD... - run CMD every 50 ms until it succeeds (0) or
# TIMEOUT seconds pass (1).
wait_for() {
	local timeout=$1; shift
	local end=$(($(date +%s%N) + ${timeout%.*} * 1000000000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.05
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- shipwormd ------------------------------------------------------------

# lab_config NAME ROLE [Setting value]... - write $LAB_DIR/NAME.conf for a
# daemon with its own interface and control socket.  Lines after ROLE are
# "Setting value..." strings, e.g. "ServerAddress 192.0.2.10".
lab_config() {
	local name=$1 role=$2; shift 2
	local conf="$LAB_DIR/$name.conf"
	local ifname="sw${name}"; ifname=${ifname:0:15}
	LAB_CONF_SOCK[$name]="$LAB_DIR/$name.sock"
	LAB_CONF_IF[$name]=$ifname
	{
		echo "# lab $LAB_PREFIX: network-namespace laboratory only"
		echo "Role $role"
		echo "InterfaceName $ifname"
		echo "AddressPolicy lab"
		local l has_dir= guarded=
		[ "$role" = client ] && guarded=1
		for l in "$@"; do
			echo "$l"
			case $l in
			EdgePolicyDir*) has_dir=1 ;;
			"HostSpecific yes") guarded=1 ;;
			esac
		done
		# A client's (or host-specific relay's) edge policy of its own
		# (nothing granted until a test says so), never the host's
		# /etc/shipworm/edge.d.
		if [ -n "$guarded" ] && [ -z "$has_dir" ]; then
			LAB_EDGE_DIR[$name]="$LAB_DIR/$name.edge.d"
			mkdir -p "${LAB_EDGE_DIR[$name]}"
			echo "EdgePolicyDir ${LAB_EDGE_DIR[$name]}"
		fi
	} >"$conf"
	echo "$conf"
}

# lab_edge_policy NAME LINE... - append edge policy lines to client NAME's
# EdgePolicyDir (file 10-lab.conf); a running daemon reads them on
# `shipworm edge` changes or a "reload", else at its start.
lab_edge_policy() {
	local name=$1 l; shift
	[ -n "${LAB_EDGE_DIR[$name]:-}" ] || lab_die "no edge policy dir for '$name'"
	for l in "$@"; do echo "$l"; done >>"${LAB_EDGE_DIR[$name]}/10-lab.conf"
}

# lab_cgroup_root - the cgroup2 mount: /sys/fs/cgroup when it is cgroup2
# itself, else /sys/fs/cgroup/unified (hybrid).
lab_cgroup_root() {
	local r
	for r in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ "$(stat -f -c %T "$r" 2>/dev/null)" = cgroup2fs ] && { echo "$r"; return 0; }
	done
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts | grep . || return 1
}

lab_cgroup_path() { echo "/$LAB_PREFIX-$1"; }

# lab_cgroup_make CG - the cgroup /PREFIX-CG below the cgroup2 root.
lab_cgroup_make() {
	local root dir
	root=$(lab_cgroup_root) || lab_die "no cgroup2 hierarchy"
	dir="$root$(lab_cgroup_path "$1")"
	mkdir "$dir" || lab_die "mkdir $dir failed"
	LAB_CGROUPS+=("$dir")
}

# lab_cgroup_rule CG [MODE] - the policy line for cgroup CG (allow).
lab_cgroup_rule() { echo "${2:-allow} cgroup $(lab_cgroup_path "$1")"; }

# lab_granted NS CG CMD... - CMD in namespace NS, inside cgroup CG, in
# the background (PID recorded; LAB_LAST_PID): the shell joins the cgroup
# and then execs CMD, so that CMD's sockets are CG's.
lab_granted() {
	local ns cg root; ns=$(lab_ns "$1") cg=$2; shift 2
	root=$(lab_cgroup_root) || lab_die "no cgroup2 hierarchy"
	[ -d "$root$(lab_cgroup_path "$cg")" ] || lab_die "no cgroup '$cg' (lab_cgroup_make)"
	# nsenter --net: ip netns exec would hide /sys/fs/cgroup
	nsenter --net="/run/netns/$ns" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' \
	    sh "$root$(lab_cgroup_path "$cg")" "$@" &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
	lab_log "started $* in $ns, cgroup $cg: pid $LAB_LAST_PID"
}

lab_ifname() { echo "${LAB_CONF_IF[$1]}"; }
lab_sock() { echo "${LAB_CONF_SOCK[$1]}"; }

# lab_daemon NS NAME [ARGS...] - start shipwormd in namespace NS with config
# NAME (from lab_config); log in $LAB_DIR/NAME.log; PID in LAB_DAEMON_PID.
lab_daemon() {
	local ns=$1 name=$2; shift 2
	[ -n "$LAB_BIN" ] || lab_die "LAB_BIN not set"
	# -d: in the foreground (the PID is the daemon's), logging to stderr
	if [ -n "${LAB_EDGE_DIR[$name]:-}" ]; then
		# A client: only the network namespace (nsenter --net), so
		# that it sees /sys/fs/cgroup (ip netns exec mounts a sysfs
		# of the namespace over /sys) and can resolve its grants.
		nsenter --net="/run/netns/$(lab_ns "$ns")" \
			"$LAB_HERE/with_engine_user" "$LAB_ETC" "$LAB_BIN/shipwormd" -d \
			-f "$LAB_DIR/$name.conf" -s "${LAB_CONF_SOCK[$name]}" "$@" \
			>>"$LAB_DIR/$name.log" 2>&1 &
		LAB_LAST_PID=$!
		LAB_PIDS+=("$LAB_LAST_PID")
	else
		lab_run "$ns" "$LAB_HERE/with_engine_user" "$LAB_ETC" \
			"$LAB_BIN/shipwormd" -d -f "$LAB_DIR/$name.conf" \
			-s "${LAB_CONF_SOCK[$name]}" "$@" >>"$LAB_DIR/$name.log" 2>&1
	fi
	LAB_DAEMON_PID[$name]=$LAB_LAST_PID
}

# lab_status NS NAME [--json] - `shipworm status` for daemon NAME.
lab_status() {
	local ns=$1 name=$2; shift 2
	lab_exec "$ns" "$LAB_BIN/shipworm" status "$@" -s "${LAB_CONF_SOCK[$name]}"
}

# status_get NS NAME KEY - one value from `shipworm status --json` ("" and
# status 1 if absent); drop.REASON reads the "drops" object.
status_get() {
	lab_status "$1" "$2" --json 2>/dev/null | python3 -c '
import json, sys
key = sys.argv[1]
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(1)
path = ["drops", key[5:]] if key.startswith("drop.") else [key]
v = d
for part in path:
    if isinstance(v, dict) and part in v:
        v = v[part]
    else:
        sys.exit(1)
print(str(v).lower() if isinstance(v, bool) else v)
' "$3"
}

# status_num NS NAME KEY - a counter from status_get, 0 when absent (drop
# counters appear once they count)
status_num() {
	local v
	v=$(status_get "$1" "$2" "$3") && [ -n "$v" ] && echo "$v" || echo 0
}

# status_drops NS NAME - "reason=count ..." of the nonzero drop counters
status_drops() {
	lab_status "$1" "$2" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin).get("drops", {})
print(" ".join("%s=%s" % (k, v) for k, v in sorted(d.items()) if v))'
}

# lab_ping_replies NS DST COUNT - how many echo replies `ping -6` gets
lab_ping_replies() {
	lab_exec "$1" ping -6 -q -n -c "$3" -i 0.3 -W 3 "$2" 2>/dev/null |
	    sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p'
}

# status_is NS NAME KEY VALUE - KEY is VALUE in `shipworm status --json`
# (a quick grep of its one-key-a-line output, for polling with wait_for).
status_is() {
	lab_status "$1" "$2" --json 2>/dev/null |
		grep -qE "^ *\"$3\": \"?${4//./\\.}\"?,?\$"
}

# lab_teredo_addrs NS IF - the global (Teredo) IPv6 addresses on IF.
lab_teredo_addrs() {
	lab_exec "$1" ip -6 -o addr show dev "$2" scope global 2>/dev/null |
		awk '{print $4}' | sed 's,/.*,,'
}

# lab_conntrack_mapped NAT CLIENT_PORT [DST] - the public IP:port the NAT
# maps the client's UDP port to (from its conntrack table), one per line
# and per destination address unless DST is given.
lab_conntrack_mapped() {
	local nat=$1 port=$2 dst=${3:-}
	lab_exec "$nat" conntrack -L -p udp 2>/dev/null | awk -v c="${LAB_NAT_CLIENTIP[$nat]}" \
	    -v p="$port" -v d="$dst" '
	{
		n = 0; delete f
		for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) {
			k = kv[1]; if (k in f) k = "r" k; f[k] = kv[2]
		}
		if (f["src"] == c && f["sport"] == p && (d == "" || f["dst"] == d))
			print f["rdst"] ":" f["rdport"]
	}' | sort -u
}

# lab_teredo_addr SERVER IP PORT [FLAGS] - the Teredo address of server
# SERVER and mapping IP:PORT (teredo_echo.py's encoder).
LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab_teredo_addr() {
	python3 -c '
import ipaddress, sys
sys.path.insert(0, sys.argv[1])
from teredo_echo import teredo_addr
print(ipaddress.IPv6Address(teredo_addr(sys.argv[2], sys.argv[3],
                                        int(sys.argv[4]), int(sys.argv[5], 0))))
' "$LAB_HERE" "$1" "$2" "$3" "${4:-0}"
}

# Teredo address decode: prints "server client_ip client_port flags".
lab_teredo_decode() {
	python3 - "$1" <<'EOF'
import ipaddress, sys
a = ipaddress.IPv6Address(sys.argv[1]).packed
server = ipaddress.IPv4Address(a[4:8])
flags = int.from_bytes(a[8:10], "big")
port = int.from_bytes(a[10:12], "big") ^ 0xFFFF
client = ipaddress.IPv4Address(bytes(b ^ 0xFF for b in a[12:16]))
print(server, client, port, "0x%04x" % flags)
EOF
}
