#!/usr/bin/env bash
# tests/attacks/test_server_flood.sh BUILD_DIR - a flood of HMAC-
# authenticated router solicitations against the server (SRV-OP-5,
# HARD-6; SW_DEFENCE(SERVER_RS_RATE), WEAKEN=server-rs-rate).  Prints TAP.
#
#   srv 192.0.2.10/.11  RequireAuth yes, ClientKey 0a0b0c0d (the
#                       attacker's: an insider whose key is valid, so that
#                       every RS costs the server an HMAC and earns an RA)
#                       and ClientKey 01020304 (the legitimate client's)
#   atk 192.0.2.69      floods RSs as fast as it can (tens of thousands)
#   leg 192.0.2.70      a legitimate client: 20 RSs, 0.1 s apart
#
#   normal: the flood is rate-limited per source before the HMAC is
#           computed (RsRateLimit 10 20: drop.server-rs-rate-limited
#           counts it, the attacker gets few RAs), and the legitimate
#           client gets >= 90 % of its RAs, as when unloaded;
#   weak:   the server answers the flood at its own rate (the attacker
#           gets an RA for most of its RSs).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=8
atk_begin server-rs-rate "swasf$$"
echo "1..$PLAN"

lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_host atk 192.0.2.69
lab_host leg 192.0.2.70
(
	umask 077
	printf 'attacker insider key\n' >"$LAB_DIR/atk.key"
	printf 'legitimate client key\n' >"$LAB_DIR/leg.key"
)
# The global bucket (RsRateLimitTotal) is opened wide: this test is about
# the per-source limit; test_rs_total attacks the global one.
atk_srv_config "RequireAuth yes" "RsRateLimitTotal 1000000 100000" \
    "ClientKey 0a0b0c0d $LAB_DIR/atk.key" \
    "ClientKey 01020304 $LAB_DIR/leg.key"
FLOOD=${ATK_RS_FLOOD:-30000}

probe() {
	atk leg rs-probe --server 192.0.2.10 --id 01020304 --key "$LAB_DIR/leg.key" \
	    --count 20 --interval 0.1
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 3; continue; }
	lab_daemon srv srv
	wait_for 5 status_is srv srv state serving
	if [ "$mode" = normal ]; then
		base=$(jget "$(probe)" answered)
		check "unloaded: the legitimate client gets its RAs (${base:-0}/20)" \
		    test "${base:-0}" -ge 19
	fi
	d0=$(num srv srv drop.server-rs-rate-limited)
	f="$LAB_DIR/flood.$mode.json"
	atk atk rs-flood --server 192.0.2.10 --id 0a0b0c0d --key "$LAB_DIR/atk.key" \
	    --count "$FLOOD" --wait 1 >"$f" 2>&1 &
	fpid=$!
	sleep 0.2
	leg=$(jget "$(probe)" answered)
	wait "$fpid"
	out=$(cat "$f")
	d1=$(num srv srv drop.server-rs-rate-limited)
	sent=$(jget "$out" sent) ras=$(jget "$out" ras)
	diag "$mode: flood $sent RSs in $(jget "$out" seconds) s, $ras RAs back; server rs_answered $(num srv srv rs_answered)"
	if [ "$mode" = normal ]; then
		check "normal: under the flood the legitimate client still gets >= 90 % of its RAs (${leg:-0} vs ${base:-0} unloaded)" \
		    test "$(pct "${leg:-0}" "${base:-0}")" -ge 90
		check "normal: the flood is rate-limited: drop.server-rs-rate-limited $d0 -> $d1" \
		    test "$d1" -gt $((d0 + ${sent:-0} / 2))
		check "normal: the attacker got few RAs (${ras:-?} for ${sent:-?} RSs: burst 20 + 10/s)" \
		    test "${ras:-999999}" -le 100
	else
		check "weak (no RS rate limit): the server answers the flood (${ras:-0} RAs for ${sent:-0} RSs)" \
		    test "$(pct "${ras:-0}" "${sent:-0}")" -ge 50
		is "weak: nothing counted as server-rs-rate-limited" "$d1" 0
		diag "weak: the legitimate client got ${leg:-0}/20 under the flood"
		ok "weak: the server survived the flood (pid alive: $(lab_alive "${LAB_DAEMON_PID[srv]}" && echo yes))"
	fi
	atk_stop srv
done
tap_lab_end
atk_end "$PLAN"
