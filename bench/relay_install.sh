# shellcheck shell=bash
# bench/relay_install.sh - sourced by bench/relay.sh: ensure_iperf3 installs
# Debian's iperf3 when it is missing, without starting its daemon:
#  - debconf is preseeded "iperf3/start_daemon false";
#  - scripts/quiet-install.sh denies every service start during the
#    install;
#  - the iperf3 service is then disabled (update-rc.d, systemctl) and any
#    iperf3 the install started in this (root) namespace is ended by PID.

# shellcheck source=scripts/quiet-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/quiet-install.sh"

# ipf_root_iperf3 - PIDs of iperf3 processes in this shell's network namespace
ipf_root_iperf3() {
	local p me
	me=$(readlink /proc/$$/ns/net)
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = iperf3 ] || continue
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] || continue
		echo "${p#/proc/}"
	done
	return 0
}

ensure_iperf3() {
	command -v iperf3 >/dev/null && return 0
	local why before pid
	before=" $(ipf_root_iperf3 | tr '\n' ' ') "
	echo "# installing iperf3 (apt-get, no service started)" >&2
	echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null
	if ! why=$(quiet_install iperf3); then
		echo "relay.sh: $why" >&2
		return 1
	fi
	update-rc.d iperf3 disable >/dev/null 2>&1
	command -v systemctl >/dev/null && systemctl disable iperf3 >/dev/null 2>&1
	for pid in $(ipf_root_iperf3); do
		case $before in *" $pid "*) continue ;; esac
		echo "# ending an iperf3 the install started (PID $pid)" >&2
		kill -TERM "$pid" 2>/dev/null
	done
	command -v iperf3 >/dev/null
}
