# scripts/quiet-install.sh - sourced: quiet_install PKG... installs Debian
# packages with apt-get while no service may start, for tests and
# benchmarks that need a daemon's package (miredo, iperf3) but must not
# leave that daemon running in the root namespace.
#  - A /usr/sbin/policy-rc.d that exits 101 denies every service start
#    while apt runs: ours, removed afterwards (only if still ours, also on
#    INT/TERM); an existing one is used as it is if it denies starts, and
#    the install is refused if it does not.
#  - On failure it prints one line saying why (for a TAP skip reason) and
#    returns 1.  The caller disables the services it installed.
# shellcheck shell=bash

QI_POLICY=/usr/sbin/policy-rc.d
QI_POLICY_TEXT='#!/bin/sh
# shipworm scripts/quiet-install.sh: no service starts while it installs
exit 101'
QI_POLICY_OURS=0

qi_remove_policy() {
	if [ "$QI_POLICY_OURS" = 1 ] &&
	    [ "$(cat "$QI_POLICY" 2>/dev/null)" = "$QI_POLICY_TEXT" ]; then
		rm -f "$QI_POLICY"
	fi
	QI_POLICY_OURS=0
}

quiet_install() {
	local rc log
	if [ -e "$QI_POLICY" ]; then
		"$QI_POLICY" "$1" start >/dev/null 2>&1; rc=$?
		if [ "$rc" -ne 101 ]; then
			echo "an existing $QI_POLICY allows service starts (exit $rc for '$1 start'): install $* by hand"
			return 1
		fi
	else
		trap 'qi_remove_policy' EXIT
		trap 'qi_remove_policy; trap - INT; kill -INT $$' INT
		trap 'qi_remove_policy; exit 143' TERM
		QI_POLICY_OURS=1
		if ! { printf '%s\n' "$QI_POLICY_TEXT" >"$QI_POLICY" &&
		    chmod 755 "$QI_POLICY"; }; then
			qi_remove_policy; echo "cannot write $QI_POLICY"; return 1
		fi
	fi
	log=$(mktemp "${TMPDIR:-/tmp}/shipworm-apt.XXXXXX")
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1 ||
		{ apt-get update -q >>"$log" 2>&1 &&
		  apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1; }
	rc=$?
	qi_remove_policy
	trap - EXIT INT TERM
	if [ $rc -ne 0 ]; then
		echo "apt-get install $* failed: $(tail -1 "$log")"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	return 0
}
