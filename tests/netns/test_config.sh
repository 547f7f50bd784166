#!/usr/bin/env bash
# tests/netns/test_config.sh BUILD_DIR - `shipwormd -n` on good and bad
# configurations: "configuration OK" and exit 0, or exactly one line on
# stderr, "shipwormd: FILE[:LINE]: Setting: ...", naming the setting, and
# exit 1.  Needs no namespace and no privileges.  Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${1:-build/default}
D=$B/shipwormd
T=$(mktemp -d /tmp/shipworm-conftest.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

if [ ! -x "$D" ]; then
	echo "1..0 # SKIP $D not built"
	exit 0
fi

# good NAME TEXT: -n accepts it.
good() {
	local name=$1 f="$T/$1.conf"
	printf '%b' "$2" >"$f"
	"$D" -n -f "$f" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc -eq 0 ] && [ "$(cat "$T/out")" = "configuration OK" ] &&
	    [ ! -s "$T/err" ]; then
		ok "$name: configuration OK"
	else
		not_ok "$name: expected OK, got rc=$rc: $(head -c 300 "$T/err")"
	fi
}

# bad NAME TEXT WHERE SETTING [TEXT]: -n refuses it with exit 1 and one
# line "shipwormd: FILE<WHERE>: SETTING: ..." (WHERE is ":LINE" or "")
# containing TEXT.
bad() {
	local name=$1 where=$3 setting=$4 want=${5:-} f="$T/$1.conf"
	printf '%b' "$2" >"$f"
	"$D" -n -f "$f" >"$T/out" 2>"$T/err"
	local rc=$? lines msg
	lines=$(wc -l <"$T/err")
	msg=$(cat "$T/err")
	if [ $rc -ne 1 ]; then
		not_ok "$name: exit status $rc, expected 1 ($msg)"
	elif [ "$lines" -ne 1 ]; then
		not_ok "$name: $lines lines on stderr, expected 1: $msg"
	elif [ -s "$T/out" ]; then
		not_ok "$name: unexpected stdout: $(cat "$T/out")"
	elif [[ "$msg" != "shipwormd: $f$where: $setting"* ]]; then
		not_ok "$name: '$msg' does not start with" \
		    "'shipwormd: $f$where: $setting'"
	elif [ -n "$want" ] && [[ "$msg" != *"$want"* ]]; then
		not_ok "$name: '$msg' does not say '$want'"
	else
		ok "$name: $msg"
	fi
}

LAB='AddressPolicy lab\n'

good client-lab "Role client\nServerAddress 192.0.2.10\n$LAB"
good client-two-servers "Role client\nServerAddress 192.0.2.10 192.0.2.20\nServerAddress 203.0.113.5\n${LAB}RefreshInterval 10\nBindPort 3545\n"
good server-lab "Role server\nServerBindAddress 192.0.2.10\nSecondaryBindAddress 192.0.2.11\n$LAB"
good comments-and-case "# a comment\n\nrole CLIENT   # trailing\nserveraddress 192.0.2.10\naddresspolicy LAB\n"

bad unknown-setting "Role client\nServerAddres 192.0.2.10\n$LAB" \
    ":2" "unknown setting 'ServerAddres'"
bad bad-address "Role client\nServerAddress 1.2.3.4.5\n$LAB" \
    ":2" "ServerAddress:" "'1.2.3.4.5'"
bad bad-host-name "Role client\nServerAddress bad..name\n$LAB" \
    ":2" "ServerAddress:"
bad missing-server "Role client\n$LAB" "" "ServerAddress:" "missing"
bad not-global-literal "Role client\nServerAddress 192.0.2.10\n" \
    "" "ServerAddress:" "not a global unicast"
bad not-global-private "Role client\nServerAddress 10.1.2.3\n$LAB" \
    "" "ServerAddress:" "not a global unicast"
bad mtu-range "Role client\nServerAddress 192.0.2.10\nMTU 1279\n$LAB" \
    ":3" "MTU:" "1279"
bad duplicate "Role client\nServerAddress 192.0.2.10\n${LAB}AddressPolicy lab\n" \
    ":4" "AddressPolicy:" "twice"
bad wrong-role "Role client\nServerAddress 192.0.2.10\nServerBindAddress 192.0.2.10\n$LAB" \
    "" "ServerBindAddress:" "only for Role server"
bad server-missing-bind "Role server\n$LAB" "" "ServerBindAddress:" "missing"
good relay-lab "Role relay\nRelayAddress 2001:db8:6::3\n$LAB"
good relay-host-specific "Role relay\nRelayAddress 2001:db8:6::4\nHostSpecific yes\n$LAB"
good relay-host-specific-guard "Role relay\nRelayAddress 2001:db8:6::4\nHostSpecific yes\nAllowUnfirewalled yes\nDormantAfter 60\n$LAB"
bad relay-public-unfirewalled "Role relay\nRelayAddress 2001:db8:6::3\nAllowUnfirewalled yes\n$LAB" \
    "" "AllowUnfirewalled:" "Role relay with HostSpecific yes"
bad relay-missing-address "Role relay\n$LAB" "" "RelayAddress:" "missing"
bad relay-teredo-address "Role relay\nRelayAddress 2001:0:c000:20a::1\n$LAB" \
    "" "RelayAddress:" "Teredo"
bad relay-served-teredo "Role relay\nRelayAddress 2001:db8:6::3\nServedPrefix 2001::/32\n$LAB" \
    "" "ServedPrefix:" "Teredo prefix"

# A host name that resolves to an address that is not global (CLI-CFG-4):
# "localhost" comes from /etc/hosts, no DNS needed.
if getent ahostsv4 localhost 2>/dev/null | grep -q '^127\.'; then
	bad resolved-not-global "Role client\nServerAddress localhost\n" \
	    "" "ServerAddress:" "resolves to 127."
	bad resolved-secondary-not-global \
	    "Role client\nServerAddress 192.0.2.10 localhost\n$LAB" \
	    "" "ServerAddress:" "resolves to 127."
else
	skip "resolved-not-global" "localhost does not resolve to 127.x"
	skip "resolved-secondary-not-global" "localhost does not resolve"
fi

# KeyFile: a secret nobody else may read.
printf 'secret' >"$T/key"
chmod 0644 "$T/key"
bad keyfile-mode "Role client\nServerAddress 192.0.2.10\n${LAB}ClientId 0102\nKeyFile $T/key\n" \
    "" "KeyFile:" "group or others"
chmod 0600 "$T/key"
good keyfile-ok "Role client\nServerAddress 192.0.2.10\n${LAB}ClientId 0102\nKeyFile $T/key\n"
bad keyfile-missing "Role client\nServerAddress 192.0.2.10\n${LAB}ClientId 0102\nKeyFile $T/nokey\n" \
    "" "KeyFile:" "No such file"
: >"$T/empty.key"
chmod 0600 "$T/empty.key"
bad keyfile-empty "Role client\nServerAddress 192.0.2.10\n${LAB}ClientId 0102\nKeyFile $T/empty.key\n" \
    "" "KeyFile:" "1 to 64 bytes"

# ClientKey: a server's keys for secure qualification, each file checked
# as a KeyFile is.
SRV="Role server\nServerBindAddress 192.0.2.10\n$LAB"
printf 'secret-a' >"$T/a.key"
printf 'secret-b\n' >"$T/b.key"
chmod 0600 "$T/a.key" "$T/b.key"
good clientkey-ok "${SRV}RequireAuth yes\nClientKey 0a0b0c0d $T/a.key\nClientKey 01 $T/b.key\n"
good clientkey-without-requireauth "${SRV}ClientKey 0a0b0c0d $T/a.key\n"
good clientkey-shared-file "${SRV}RequireAuth yes\nClientKey 0a0b0c0d $T/a.key\nClientKey 0a0b0c0e $T/a.key\n"
printf 'secret' >"$T/group.key"
chmod 0640 "$T/group.key"
bad clientkey-group-readable "${SRV}RequireAuth yes\nClientKey 0a0b0c0d $T/group.key\n" \
    "" "ClientKey:" "'$T/group.key' is accessible by group or others (mode 0640)"
# the second key is the bad one: the error names it
bad clientkey-second-missing "${SRV}RequireAuth yes\nClientKey 0a0b0c0d $T/a.key\nClientKey 01 $T/nokey\n" \
    "" "ClientKey:" "'$T/nokey': No such file"
bad clientkey-empty "${SRV}ClientKey 0a0b0c0d $T/empty.key\n" \
    "" "ClientKey:" "1 to 64 bytes"
head -c 65 /dev/zero | tr '\0' 'k' >"$T/long.key"
chmod 0600 "$T/long.key"
bad clientkey-too-long "${SRV}ClientKey 0a0b0c0d $T/long.key\n" \
    "" "ClientKey:" "1 to 64 bytes"
mkdir -m 0700 "$T/dir.key"
bad clientkey-directory "${SRV}ClientKey 0a0b0c0d $T/dir.key\n" \
    "" "ClientKey:" "not a regular file"
bad requireauth-without-clientkey "${SRV}RequireAuth yes\n" \
    "" "RequireAuth:" "yes needs at least one ClientKey"
bad clientkey-on-client "Role client\nServerAddress 192.0.2.10\n${LAB}ClientKey 0a0b0c0d $T/a.key\n" \
    "" "ClientKey:" "only for Role server"
bad clientkey-duplicate-id "${SRV}ClientKey 0a0b0c0d $T/a.key\nClientKey 0A0B0C0D $T/b.key\n" \
    ":5" "ClientKey:" "already listed"
bad clientkey-relative "${SRV}ClientKey 0a0b0c0d a.key\n" \
    ":4" "ClientKey:" "not an absolute path"

# The security model's settings ([guard]; shipwormd.conf(5)).
CL="Role client\nServerAddress 192.0.2.10\n$LAB"
good client-guard "${CL}AllowUnfirewalled no\nDormantAfter 0\nEdgePolicyDir $T/edge.d\nIntranetPrefix 10.0.0.0/8\nIntranetPrefix 172.16.0.0/12\nProtocol41Interface sit1\n"
good server-rs-rate "Role server\nServerBindAddress 192.0.2.10\n${LAB}RsRateLimit 5 10\nRateLimitTableSize 1024\n"
good relay-intranet "Role relay\nRelayAddress 2001:db8:6::3\n${LAB}IntranetPrefix 10.0.0.0/8\n"
bad dormant-after-word "${CL}DormantAfter soon\n" ":4" "DormantAfter:"
bad allow-unfirewalled-maybe "${CL}AllowUnfirewalled maybe\n" ":4" "AllowUnfirewalled:"
bad intranet-bad "${CL}IntranetPrefix 10.0.0.0/33\n" ":4" "IntranetPrefix:"
bad edge-dir-relative "${CL}EdgePolicyDir edge.d\n" ":4" "EdgePolicyDir:"
bad rs-rate-on-client "${CL}RsRateLimit 5 10\n" "" "RsRateLimit:" "only for Role server"

# The edge policy (shipworm-edge.d(5)): read by -n too; a bad file is one
# line naming the file and the line.
mkdir -p "$T/edge.d" "$T/edge-bad.d"
printf '# ok\nallow cgroup /system.slice/sshd.service\ndefer uid 1000\n' >"$T/edge.d/10-a.conf"
printf 'allow unit sshd.service\n' >"$T/edge.d/20-b.conf"
echo "not a rule, and not read" >"$T/edge.d/README"
good client-edge-policy "${CL}EdgePolicyDir $T/edge.d\n"
printf 'allow cgroup /a\nallow cgroup relative/path\n' >"$T/edge-bad.d/30-bad.conf"
printf "${CL}EdgePolicyDir $T/edge-bad.d\n" >"$T/edge-bad.conf"
"$D" -n -f "$T/edge-bad.conf" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "^shipwormd: $T/edge-bad.d/30-bad.conf:2: " "$T/err"; then
	ok "bad edge policy file: $(cat "$T/err")"
else
	not_ok "bad edge policy file: rc=$rc: $(cat "$T/err")"
fi

# Policy files and their directory are root's to write, as key files are
# (issue 10 item 18): one line naming the file, exit 1.
# policy_bad NAME DIR TEXT: -n with EdgePolicyDir DIR says "DIR... TEXT".
policy_bad() {
	printf "${CL}EdgePolicyDir $2\n" >"$T/$1.conf"
	"$D" -n -f "$T/$1.conf" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	    grep -qF "shipwormd: $3" "$T/err"; then
		ok "$1: $(cat "$T/err")"
	else
		not_ok "$1: rc=$rc, want 'shipwormd: $3': $(cat "$T/err")"
	fi
}
mkdir -p "$T/pol-g.d" "$T/pol-o.d" "$T/pol-u.d" "$T/pol-dir.d"
printf 'allow cgroup /a\n' >"$T/pol-g.d/10-a.conf"
chmod 0664 "$T/pol-g.d/10-a.conf"
policy_bad policy-group-writable "$T/pol-g.d" \
    "$T/pol-g.d/10-a.conf is writable by group or others (mode 0664)"
printf 'allow cgroup /a\n' >"$T/pol-o.d/10-a.conf"
chmod 0646 "$T/pol-o.d/10-a.conf"
policy_bad policy-world-writable "$T/pol-o.d" \
    "$T/pol-o.d/10-a.conf is writable by group or others (mode 0646)"
chmod 0777 "$T/pol-dir.d"
policy_bad policy-dir-world-writable "$T/pol-dir.d" \
    "$T/pol-dir.d is writable by group or others (mode 0777)"
printf 'allow cgroup /a\n' >"$T/pol-u.d/10-a.conf"
if [ "$(id -u)" -eq 0 ] && chown 65534 "$T/pol-u.d/10-a.conf" 2>/dev/null; then
	policy_bad policy-foreign-owner "$T/pol-u.d" \
	    "$T/pol-u.d/10-a.conf is owned by uid 65534, not by root"
else
	skip "policy-foreign-owner" "not root: cannot give the file away"
fi
printf 'allow cgroup /a\n' >"$T/pol-g.d/10-a.conf"	# 0664 still
chmod 0644 "$T/pol-g.d/10-a.conf"
good policy-readable-by-all "${CL}EdgePolicyDir $T/pol-g.d\n"

# The file itself.
"$D" -n -f "$T/does-not-exist.conf" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "^shipwormd: $T/does-not-exist.conf: No such file" "$T/err"; then
	ok "missing file: $(cat "$T/err")"
else
	not_ok "missing file: rc=$rc: $(cat "$T/err")"
fi

# The shipped server example uses documentation addresses, which the
# default policy refuses (as its comments say).
bad_example() {
	"$D" -n -f doc/examples/server.conf >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc -eq 1 ] && grep -q "^shipwormd: doc/examples/server.conf: ServerBindAddress: " "$T/err"; then
		ok "doc/examples/server.conf is refused as documented"
	else
		not_ok "doc/examples/server.conf: rc=$rc: $(cat "$T/err")"
	fi
}
bad_example

# A usage error.
"$D" -n -x >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^usage: shipwormd" "$T/err"; then
	ok "usage error exits 1"
else
	not_ok "usage error: rc=$rc"
fi

echo "1..$n"
[ $failed -eq 0 ]
