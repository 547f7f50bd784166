# miredo.sh - Debian's Miredo for the namespace tests (interoperability):
# installed with apt-get when missing, with no service started (a
# policy-rc.d of our own while apt runs) and both services disabled at
# boot; never run in the root namespace.  Source after lab.sh, then call
# miredo_require: it skips the whole test ("1..0 # SKIP") when Miredo
# cannot be had, and sets INSTALL_NOTE (what happened) and MIREDO_VERSION.
# miredo_run starts one of them with a config of its own.
# shellcheck shell=bash

MY_NETNS=$(readlink /proc/$$/ns/net)
# root_miredo - PIDs of live miredo / miredo-server processes in this
# shell's network namespace (the "root" one; the lab's are elsewhere).
root_miredo() {
	local p comm
	for p in /proc/[0-9]*; do
		comm=$(cat "$p/comm" 2>/dev/null) || continue
		case $comm in miredo | miredo-server) ;; *) continue ;; esac
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$MY_NETNS" ] || continue
		lab_alive "${p#/proc/}" && echo "${p#/proc/}"
	done
	return 0
}

# shellcheck source=scripts/quiet-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/quiet-install.sh"

# install_miredo - apt-get install miredo miredo-server with no service
# started; prints a reason and fails if it cannot.
install_miredo() {
	quiet_install miredo miredo-server || return 1
	# The packages enable both services at boot (SysV links and, with
	# systemctl present, miredo.service): a later boot would start a
	# Miredo client in the root namespace.  Disable what we installed.
	update-rc.d miredo disable >/dev/null 2>&1
	update-rc.d miredo-server disable >/dev/null 2>&1
	return 0
}

# boot_enabled - what still starts Miredo at boot (empty: nothing)
boot_enabled() {
	local f
	for f in /etc/rc[2345S].d/S*miredo* /etc/systemd/system/*.wants/miredo*; do
		[ -e "$f" ] || [ -L "$f" ] && echo "$f"
	done
	return 0
}

# miredo_run NS NAME PROG SETTING... - write $LAB_DIR/miredo-NAME.conf
# (one SETTING a line) and start PROG (miredo or miredo-server) in the
# foreground with it in namespace NS, pid file miredo-NAME.pid, log
# miredo-NAME.log (appended); its PID in LAB_LAST_PID (lab_run).
miredo_run() {
	local ns=$1 name=$2 prog=$3 l; shift 3
	{
		echo "# lab $LAB_PREFIX: network-namespace laboratory only"
		for l in "$@"; do echo "$l"; done
	} >"$LAB_DIR/miredo-$name.conf"
	lab_run "$ns" "$prog" -f -p "$LAB_DIR/miredo-$name.pid" \
	    -c "$LAB_DIR/miredo-$name.conf" >>"$LAB_DIR/miredo-$name.log" 2>&1
}

# miredo_require - see the top of this file.
miredo_require() {
	local pid why t0 left
	PRE_MIREDO=$(root_miredo | tr '\n' ' ')
	if [ -n "$PRE_MIREDO" ]; then
		echo "1..0 # SKIP a Miredo this test did not start runs in the root namespace (PIDs ${PRE_MIREDO% }): stop it first"
		exit 0
	fi
	INSTALL_NOTE="miredo and miredo-server were installed already"
	if ! command -v miredo >/dev/null || ! command -v miredo-server >/dev/null; then
		if [ -n "${SHIPWORM_NO_INSTALL:-}" ]; then
			echo "1..0 # SKIP miredo / miredo-server not installed (SHIPWORM_NO_INSTALL set)"; exit 0
		fi
		t0=$(date +%s)
		if ! why=$(install_miredo); then echo "1..0 # SKIP $why"; exit 0; fi
		INSTALL_NOTE="installed miredo and miredo-server with apt-get in $(($(date +%s) - t0)) s, service starts denied, disabled at boot"
		left=$(boot_enabled | tr '\n' ' ')
		[ -z "$left" ] || INSTALL_NOTE+=" (but still enabled: ${left% })"
		# Anything the install started in the root namespace is ours to end.
		for pid in $(root_miredo); do
			INSTALL_NOTE+="; ended a Miredo the install started (PID $pid)"
			kill -TERM "$pid" 2>/dev/null
			lab_wait_pid "$pid" 2 || { kill -KILL "$pid" 2>/dev/null; lab_wait_pid "$pid" 2; }
		done
		if ! command -v miredo >/dev/null || ! command -v miredo-server >/dev/null; then
			echo "1..0 # SKIP miredo / miredo-server still missing after apt-get install"; exit 0
		fi
	fi
	MIREDO_VERSION=$(dpkg-query -W -f '${Version}' miredo 2>/dev/null)
}
