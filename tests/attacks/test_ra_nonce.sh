#!/usr/bin/env bash
# tests/attacks/test_ra_nonce.sh BUILD_DIR - injected router
# advertisements with a wrong nonce (D4, CLI-SQ-2, CLI-RA-1 (6);
# SW_DEFENCE(RA_NONCE), WEAKEN=ra-nonce).  Prints TAP.
#
#   clA 10.31.0.2:40001 --- natA (full-cone, 198.51.100.31) --- br0
#   srv 192.0.2.10/.11 (daemon started only after the attack)
#   atk 192.0.2.66 (raw socket: spoofs 192.0.2.10:3544 and .11:3544)
#
# While clA solicits a server that does not answer yet, the attacker
# sprays RAs "from" both server addresses to clA's mapping: right source,
# right link-local destination, right prefix, but a random nonce, and an
# origin indication naming the attacker's own endpoint 192.0.2.66:4444.
#   normal: every RA is dropped (drop.ra-nonce-mismatch counts them), clA
#           does not qualify on them; once the server runs, clA qualifies
#           with its real mapping (the good RA is accepted).
#   weak:   clA qualifies on the attacker's RA: its address embeds the
#           attacker's mapping.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/attacks/lib.sh
. "$HERE/lib.sh"
B=${1:-build/default}
PLAN=6
atk_begin ra-nonce "swara$$"
echo "1..$PLAN"

PUB=198.51.100.31 EVIL=192.0.2.66:4444
atk_client_world full-cone "$PUB" 10.31.0.0/24 192.0.2.66

spray() {
	atk atk ra-spoof --client "$PUB:40001" --servers 192.0.2.10,192.0.2.11 \
	    --mapped "$EVIL" --duration "${1:-3}" --interval 0.01
}

# ---- normal -------------------------------------------------------------------
atk_use normal
lab_daemon clA clA
wait_for 5 status_get clA clA state
d0=$(num clA clA drop.ra-nonce-mismatch)
out=$(spray 3)
d1=$(num clA clA drop.ra-nonce-mismatch)
check "normal: the spoofed RAs ($(jget "$out" sent) sent) are dropped: drop.ra-nonce-mismatch $d0 -> $d1" \
    test "$d1" -gt "$d0"
is "normal: clA is not qualified on them (no mapping of the attacker's)" \
    "$(sj clA state | grep -c qualified) $(sj clA address_mapped)" "0 "
lab_daemon srv srv
if wait_for 15 status_is clA clA state qualified; then
	is "normal: with the server up, clA qualifies with its real mapping (good RAs accepted)" \
	    "$(sj clA address_mapped)" "$PUB:40001"
else
	not_ok "normal: with the server up, clA qualifies" "$(lab_status clA clA 2>&1 | head -4 | tr '\n' ' ')"
fi
atk_stop clA srv

# ---- weak -----------------------------------------------------------------------
if atk_use weak; then
	lab_daemon clA clA
	wait_for 5 status_get clA clA state
	out=$(spray 3)
	wait_for 3 status_is clA clA state qualified
	is "weak (no RA nonce check): clA qualifies on the attacker's RA, address maps to $EVIL" \
	    "$(sj clA state) $(sj clA address_mapped)" "qualified $EVIL"
	is "weak: nothing counted as ra-nonce-mismatch" \
	    "$(num clA clA drop.ra-nonce-mismatch)" 0
	atk_stop clA
else
	atk_weak_failed 2
fi
tap_lab_end
atk_end "$PLAN"
