# shellcheck shell=bash
# shellcheck disable=SC2119,SC2120 # the SETTING... arguments are optional
# tests/attacks/lib.sh - shared by the attack tests (issue 5, [guard]).
#
# Every attack runs twice in the same world (tests/netns/lab.sh):
#   normal  the daemons of BUILD_DIR: the defence must stop the attack and
#           a counter (drop.<reason> or fw.*) must record it;
#   weak    the daemons of build/weak-<name>, built here with
#           `make WEAKEN=<name>` (lib/weaken.h: that one defence compiled
#           out): the same attack must succeed, so that the test cannot
#           pass vacuously.  Production builds have no switch for this.
#
#   atk_begin WEAKEN PREFIX   TAP preconditions, the weak build, lab_init
#   atk_use normal|weak       LAB_BIN for the daemons started from now on
#   atk_client_world NAT PUB LAN ATK [SETTING...]   wan, server srv
#                             (192.0.2.10/.11), client clA:40001 behind
#                             natA (type NAT, PUB, LAN), attacker atk (ATK);
#                             configs written, SETTINGs added to clA's
#   atk_relay_world [SETTING...]   lab_relay_world with the configs of srv
#                             and rly (SETTINGs added to rly's)
#   atk_srv_config [SETTING...]    srv's config: 192.0.2.10/.11 + SETTINGs
#   sj NAME KEY               status_get of daemon NAME in namespace NAME
#   atk_stop NAME...          stop daemons NAME (started by lab_daemon)
#   atk NS ARGS...            run atk.py in namespace NS, its JSON on stdout
#   jget JSON KEY             one value of a JSON object (a.b for nesting)
#   num NS NAME KEY           a status counter (status_num), 0 when absent
#   pct GOT BASE              GOT as a percentage of BASE (integer)
#   atk_pings NS N INTERVAL ADDR  echo replies NS got for N pings to ADDR,
#                             one every INTERVAL s (legitimate traffic)
#   nft_counter_add NS NAME RULE [HOOK]   a counting rule in NS's output
#                             hook (or HOOK: prerouting, before any other
#                             table of NS sees the packet)
#   nft_counter NS NAME       its packet count
#   nft_counter_in_add NS NAME RULE   the same in NS's input hook (what
#                             a victim host receives)
set -u
ATK_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ATK_ROOT=$(cd "$ATK_HERE/../.." && pwd)
NETNS="$ATK_ROOT/tests/netns"
ATK_PY="$ATK_HERE/atk.py"
# shellcheck source=tests/netns/tap.sh
. "$NETNS/tap.sh"
# At the top level: lab.sh's tables (declare -A) must be global.
# shellcheck source=tests/netns/lab.sh
. "$NETNS/lab.sh"

# atk_begin WEAKEN PREFIX - call after B is set: skip without root or
# tools, build the weak binaries, start the lab (traps clean up).
atk_begin() {
	ATK_WEAKEN=$1
	tap_require ip nft python3 ping
	tap_require_bins "$B"
	ATK_NORMAL=$LAB_BIN
	ATK_WEAK_DIR="build/weak-$ATK_WEAKEN"
	ATK_WEAK_OK=1
	ATK_WEAK_LOG=$(mktemp)
	if ! (cd "$ATK_ROOT" && make -s O="$ATK_WEAK_DIR" WEAKEN="$ATK_WEAKEN" \
	    "$ATK_WEAK_DIR/shipwormd" "$ATK_WEAK_DIR/shipworm") \
	    >"$ATK_WEAK_LOG" 2>&1; then
		ATK_WEAK_OK=0
	fi
	ATK_WEAK="$ATK_ROOT/$ATK_WEAK_DIR"
	LAB_BIN=$ATK_NORMAL
	lab_init "$2"
	trap 'show_logs; lab_cleanup; rm -f "$ATK_WEAK_LOG"' EXIT
}

# atk_use MODE - the binaries for daemons started from now on; returns 1
# when the weak build failed (then call atk_weak_failed N).
atk_use() {
	case $1 in
	normal) LAB_BIN=$ATK_NORMAL ;;
	weak)
		[ "$ATK_WEAK_OK" -eq 1 ] || return 1
		LAB_BIN=$ATK_WEAK ;;
	esac
	return 0
}

# atk_weak_failed N - N not-ok lines for the checks of a weak run that
# could not run because the weak build failed.
atk_weak_failed() {
	local i
	for ((i = 0; i < $1; i++)); do
		not_ok "weak: no weak build ($ATK_WEAK_DIR, WEAKEN=$ATK_WEAKEN)" \
		    "$(grep -m1 -E 'error|Error' "$ATK_WEAK_LOG")"
	done
}

# atk_srv_config [SETTING...] - the config of server srv (192.0.2.10/.11).
atk_srv_config() {
	lab_config srv server "ServerBindAddress 192.0.2.10" \
	    "SecondaryBindAddress 192.0.2.11" "$@" >/dev/null
}

# atk_client_world NAT_TYPE PUB LAN ATK_IP [SETTING...] - the world of the
# client attacks: wan, server srv, client clA (BindPort 40001, server
# 192.0.2.10, SETTINGs) behind natA (NAT_TYPE, public PUB, LAN), attacker
# host atk (ATK_IP) on br0; configs written, no daemon started.
atk_client_world() {
	local type=$1 pub=$2 lan=$3 atk_ip=$4; shift 4
	lab_wan
	lab_server srv 192.0.2.10 192.0.2.11
	lab_nat natA "$type" "$pub" "$lan"
	lab_client clA natA
	lab_host atk "$atk_ip"
	atk_srv_config
	lab_config clA client "ServerAddress 192.0.2.10" "BindPort 40001" \
	    "$@" >/dev/null
}

# atk_relay_world [SETTING...] - lab_relay_world with the configs of srv
# and of relay rly ($LAB_RLY6, 192.0.2.20, SETTINGs); no daemon started.
atk_relay_world() {
	lab_relay_world
	atk_srv_config
	lab_config rly relay "RelayAddress $LAB_RLY6" "BindAddress 192.0.2.20" \
	    "$@" >/dev/null
}

# atk_stop NAME... - stop daemons started by lab_daemon; their tunnels go.
atk_stop() {
	local name
	for name in "$@"; do
		[ -n "${LAB_DAEMON_PID[$name]:-}" ] || continue
		lab_kill "${LAB_DAEMON_PID[$name]}"
		LAB_DAEMON_PID[$name]=
	done
}

# atk NS ARGS... - the attacker's tool in namespace NS.
atk() { local ns=$1; shift; lab_exec "$ns" python3 "$ATK_PY" "$@"; }

# jget JSON KEY - a value from a JSON object ("" when absent); a.b nests;
# lists are joined by spaces, booleans are true/false.
jget() {
	python3 -c '
import json, sys
try:
    v = json.loads(sys.argv[1])
except Exception:
    sys.exit(0)
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
if isinstance(v, bool):
    print(str(v).lower())
elif isinstance(v, list):
    print(" ".join(str(x) for x in v))
elif v is not None:
    print(v)' "$1" "$2"
}

sj() { status_get "$1" "$1" "$2"; }
num() { status_num "$1" "$2" "$3"; }

atk_pings() {
	lab_exec "$1" ping -6 -q -n -c "$2" -i "$3" -W 1 "$4" 2>/dev/null |
	    sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p'
}

pct() { [ "${2:-0}" -gt 0 ] && echo $(( ${1:-0} * 100 / $2 )) || echo 0; }

# nft_counter_add NS NAME MATCH [HOOK] - count the packets NS sends that
# match MATCH (nft syntax, e.g. "ip daddr 203.0.113.99 udp dport 5555"),
# or with HOOK prerouting those it receives, in a table of our own (gone
# with the namespace).
nft_counter_add() {
	local ns=$1 name=$2 match=$3 hook=${4:-output} prio=0
	[ "$hook" = prerouting ] && prio=-350
	lab_exec "$ns" nft -f - <<EOF
table inet atk_$name {
	counter $name { }
	chain out {
		type filter hook $hook priority $prio; policy accept;
		$match counter name $name
	}
}
EOF
}

# nft_counter_in_add NS NAME MATCH - count the packets NS receives that
# match MATCH (read with nft_counter).
nft_counter_in_add() {
	local ns=$1 name=$2 match=$3
	lab_exec "$ns" nft -f - <<EOF
table inet atk_$name {
	counter $name { }
	chain in {
		type filter hook input priority 0; policy accept;
		$match counter name $name
	}
}
EOF
}

nft_counter() {
	lab_exec "$1" nft -j list counter inet "atk_$2" "$2" 2>/dev/null |
	    python3 -c '
import json, sys
try:
    for o in json.load(sys.stdin)["nftables"]:
        if "counter" in o:
            print(o["counter"]["packets"]); break
    else:
        print(0)
except Exception:
    print(0)'
}

# atk_end PLAN - the closing lines of a test.
atk_end() {
	[ "$n" -eq "$1" ] || diag "plan $1, ran $n"
	[ "$failed" -eq 0 ] && [ "$n" -eq "$1" ]
}
