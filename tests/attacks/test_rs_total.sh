#!/usr/bin/env bash
# tests/attacks/test_rs_total.sh BUILD_DIR - router solicitations from
# many sources against the server (issue 10 item 6, SRV-OP-5: per source
# *and* globally; SW_DEFENCE(SERVER_RS_TOTAL), WEAKEN=server-rs-total).
# Prints TAP.
#
#   srv 192.0.2.10/.11  RequireAuth yes, ClientKey 0a0b0c0d (the
#                       attacker's: an insider whose key is valid)
#   atk 203.0.113.1-250 one host, 250 addresses (the per-source buckets
#                       are keyed by IPv4 address): every source is
#                       assigned in our namespaces, so the RAs come back
#
# 1. The global bucket (RsRateLimitTotal 100 200): each source sends 16
#    RSs, within its own burst (RsRateLimit 10 20).
#      normal: at most 200 + 100/s are answered, rs_limited_total counts
#              the rest;
#      weak:   the server answers about every RS.
# 2. Eviction (RateLimitTableSize 64, global bucket open): each source in
#    turn sends a burst of 20, twice round; every visit finds its bucket
#    evicted by the others.
#      normal: a source back under eviction pressure starts with 4 tokens:
#              about 4 of its 20 are answered;
#      weak:   it starts with a full burst: about every RS is answered.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=11
atk_begin server-rs-total "swars$$"
echo "1..$PLAN"

SOURCES=250
lab_wan
lab_server srv 192.0.2.10 192.0.2.11
lab_host atk 203.0.113.1
for ((i = 2; i <= SOURCES; i++)); do
	echo "addr add 203.0.113.$i/24 dev wan"
done | ip -n "$(lab_ns atk)" -batch -
(
	umask 077
	printf 'attacker insider key\n' >"$LAB_DIR/atk.key"
)
KEY="ClientKey 0a0b0c0d $LAB_DIR/atk.key"

flood() {	# flood PER BURST: SOURCES x PER RSs, BURST at a time
	atk atk rs-flood --server 192.0.2.10 --id 0a0b0c0d --key "$LAB_DIR/atk.key" \
	    --sources "$SOURCES" --src-from 203.0.113.1 \
	    --count $((SOURCES * $1)) --burst "$2" --wait 1
}

for mode in normal weak; do
	atk_use "$mode" || { atk_weak_failed 4; continue; }
	# 1. the global bucket
	atk_srv_config "RequireAuth yes" "RsRateLimitTotal 100 200" "$KEY"
	lab_daemon srv srv
	wait_for 5 status_is srv srv state serving
	t0=$(now_ms)
	out=$(flood 16 1)
	secs=$(( ($(now_ms) - t0 + 999) / 1000 ))
	sent=$(jget "$out" sent) ras=$(jget "$out" ras)
	tot=$(num srv srv rs_limited_total) per=$(num srv srv rs_limited)
	diag "$mode: global: $out; rs_answered $(num srv srv rs_answered), rs_limited_total $tot, rs_limited $per (in $secs s)"
	if [ "$mode" = normal ]; then
		check "normal: the global bucket bounds the RAs (${ras:-?} for ${sent:-?} RSs in $secs s: <= 200 + 100/s)" \
		    test "${ras:-999999}" -le $((200 + 100 * secs))
		check "normal: rs_limited_total counts the rest ($tot)" \
		    test "$tot" -ge $((${sent:-0} - ${ras:-0} - per))
		check "normal: the RSs were within their sources' bursts (rs_limited $per)" \
		    test "$per" -le $((${sent:-0} / 10))
	else
		check "weak (no global bucket): the server answers about every RS (${ras:-0} for ${sent:-0})" \
		    test "$(pct "${ras:-0}" "${sent:-0}")" -ge 90
		is "weak: nothing counted as rs_limited_total" "$tot" 0
	fi
	atk_stop srv
	# 2. eviction: 250 sources, a table of 64 buckets
	atk_srv_config "RequireAuth yes" "RsRateLimitTotal 1000000 100000" \
	    "RateLimitTableSize 64" "$KEY"
	lab_daemon srv srv
	wait_for 5 status_is srv srv state serving
	out=$(flood 40 20)
	sent=$(jget "$out" sent) ras=$(jget "$out" ras)
	per=$(num srv srv rs_limited)
	diag "$mode: eviction: $out; rs_answered $(num srv srv rs_answered), rs_limited $per"
	if [ "$mode" = normal ]; then
		check "normal: a source back after eviction gets ~4 of its 20, not a full burst (${ras:-?} of ${sent:-?} answered)" \
		    test "$(pct "${ras:-999999}" "${sent:-1}")" -le 40
		check "normal: rs_limited counts the rest ($per)" \
		    test "$per" -ge $((${sent:-0} - ${ras:-0}))
	else
		check "weak (a new bucket is full): about every RS is answered (${ras:-0} of ${sent:-0})" \
		    test "$(pct "${ras:-0}" "${sent:-0}")" -ge 90
	fi
	ok "$mode: the server survived (alive: $(lab_alive "${LAB_DAEMON_PID[srv]}" && echo yes))"
	atk_stop srv
done
tap_lab_end
atk_end "$PLAN"
