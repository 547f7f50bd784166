/*
 * test_conf.c - shipwormd.conf(5): every setting's good values and the
 * nearest bad ones, defaults, whole-file checks, and that every error is
 * one printable line naming the setting and the line.  The shipped
 * examples (doc/examples/) are read from the repository root.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "conf.h"

/* A client needs a server, a server its address: appended after the line
 * under test, which therefore stays line 1. */
#define C(x) x "\nServerAddress teredo.example.net\n"
#define R(x) x "\nRole relay\nRelayAddress 2001:db8::1\n"
#define S(x) \
	x "\nRole server\nAddressPolicy lab\nServerBindAddress 192.0.2.10\n"

/* Every message: NUL-terminated, one line, printable, short enough. */
static void
assert_err_shape(const char *err)
{
	size_t n = strnlen(err, SW_CONF_ERR_MAX);

	assert_true(n > 0);
	assert_true(n < SW_CONF_ERR_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)err[i];

		if (ch < 0x20 || ch >= 0x7f)
			fail_msg("unprintable byte 0x%02x in \"%s\"", ch, err);
	}
}

static void
assert_contains(const char *err, const char *want)
{
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static int
parse_len(struct sw_conf *c, const char *text, size_t len, char *err)
{
	int r;

	/* An exact-size copy without a NUL: ASan sees any read past len. */
	char *buf = malloc(len > 0 ? len : 1);

	assert_non_null(buf);
	memcpy(buf, text, len);
	memset(err, 'X', SW_CONF_ERR_MAX);
	r = sw_conf_parse(c, buf, len, err);
	free(buf);
	if (r == 0)
		assert_string_equal(err, "");
	else
		assert_err_shape(err);
	return r;
}

static int
parse(struct sw_conf *c, const char *text, char *err)
{
	return parse_len(c, text, strlen(text), err);
}

static void
expect_ok(struct sw_conf *c, const char *text)
{
	char err[SW_CONF_ERR_MAX];

	if (parse(c, text, err) != 0)
		fail_msg("\"%s\": unexpected error \"%s\"", text, err);
}

static void
expect_err(const char *text, const char *w1, const char *w2, const char *w3)
{
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX];

	if (parse(&c, text, err) != -EINVAL)
		fail_msg("\"%s\": accepted", text);
	assert_contains(err, w1);
	assert_contains(err, w2);
	assert_contains(err, w3);
}

/* ---- whole configurations ------------------------------------------------ */

static void
test_defaults(void **state)
{
	struct sw_conf c;

	(void)state;
	sw_conf_init(&c);
	assert_int_equal(c.role, SW_ROLE_CLIENT);
	assert_string_equal(c.ifname, "teredo");
	assert_int_equal(c.prefix, SW_TEREDO_PREFIX);
	assert_int_equal(c.mtu, 1280);
	assert_int_equal(c.v4_policy, SW_V4_HARDENED);
	assert_int_equal(c.n_servers, 0);
	assert_int_equal(c.bind_addr, 0);
	assert_int_equal(c.bind_port, 0);
	assert_int_equal(c.refresh, 30);
	assert_int_equal(c.client_id_len, 0);
	assert_string_equal(c.key_file, "");
	assert_false(c.require_auth);
	assert_int_equal(c.n_client_keys, 0);
	assert_int_equal(c.relay_max_payload, 88);

	/* The smallest client: one server, everything else default. */
	expect_ok(&c, "ServerAddress teredo.example.net");
	assert_int_equal(c.n_servers, 1);
	assert_string_equal(c.servers[0].primary, "teredo.example.net");
	assert_string_equal(c.servers[0].secondary, "");
	assert_int_equal(c.mtu, 1280);
	assert_int_equal(c.refresh, 30);
	assert_int_equal(c.lineno, 1);

	/* A relay needs only its own address (REL-TX-4); it listens on
	 * 3544 and serves everything by default, a host-specific one only
	 * that address (HSR-4). */
	expect_ok(&c, "Role relay\nRelayAddress 2001:db8::1\n");
	assert_int_equal(c.role, SW_ROLE_RELAY);
	assert_int_equal(c.n_servers, 0);
	assert_int_equal(c.bind_port, 3544);
	assert_false(c.host_specific);
	assert_int_equal(c.n_served, 1);
	assert_int_equal(c.served[0].plen, 0);
	assert_memory_equal(c.served[0].addr,
	    (const uint8_t[16]){ 0 }, 16);
	expect_ok(&c, "Role relay\nRelayAddress 2001:db8::1\n"
	    "HostSpecific yes\nBindPort 0\n");
	assert_true(c.host_specific);
	assert_int_equal(c.bind_port, 0);
	assert_int_equal(c.n_served, 1);
	assert_int_equal(c.served[0].plen, 128);
	assert_memory_equal(c.served[0].addr, c.relay_addr, 16);
	expect_ok(&c, "Role relay\nRelayAddress 2001:db8::1\n"
	    "ServedPrefix 2001:db8:1::/48\nServedPrefix 2001:db8:2::5/128\n");
	assert_int_equal(c.n_served, 2);
	assert_int_equal(c.served[0].plen, 48);
	assert_int_equal(c.served[1].addr[15], 5);

	assert_string_equal(sw_role_name(SW_ROLE_CLIENT), "client");
	assert_string_equal(sw_role_name(SW_ROLE_SERVER), "server");
	assert_string_equal(sw_role_name(SW_ROLE_RELAY), "relay");
	assert_string_equal(sw_role_name((enum sw_role)7), "?");
}

static void
test_full_client(void **state)
{
	static const char text[] =
	    "# a client with everything\n"
	    "Role client\n"
	    "InterfaceName tun-teredo.0\n"
	    "Prefix 2001:db8::/32\n"
	    "MTU 1400\n"
	    "AddressPolicy strict\n"
	    "ServerAddress teredo.example.net\n"
	    "ServerAddress 11.0.0.1 11.0.0.9\n"
	    "ServerAddress Teredo-2.Example.ORG.\n"
	    "ServerAddress 100.64.0.1\n"
	    "BindAddress 192.168.1.20\n"
	    "BindPort 3545\n"
	    "RefreshInterval 60\n"
	    "ClientId 0102A0ff\n"
	    "KeyFile /etc/shipworm/client.key\n";
	static const uint8_t id[] = { 0x01, 0x02, 0xa0, 0xff };
	struct sw_conf c;

	(void)state;
	expect_ok(&c, text);
	assert_int_equal(c.role, SW_ROLE_CLIENT);
	assert_string_equal(c.ifname, "tun-teredo.0");
	assert_int_equal(c.prefix, 0x20010db8);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.v4_policy, SW_V4_STRICT);
	assert_int_equal(c.n_servers, 4);
	assert_string_equal(c.servers[0].primary, "teredo.example.net");
	assert_string_equal(c.servers[0].secondary, "");
	assert_string_equal(c.servers[1].primary, "11.0.0.1");
	assert_string_equal(c.servers[1].secondary, "11.0.0.9");
	assert_string_equal(c.servers[2].primary, "Teredo-2.Example.ORG.");
	assert_string_equal(c.servers[3].primary, "100.64.0.1");
	assert_int_equal(c.bind_addr, SW_IP4(192, 168, 1, 20));
	assert_int_equal(c.bind_port, 3545);
	assert_int_equal(c.refresh, 60);
	assert_int_equal(c.client_id_len, sizeof id);
	assert_memory_equal(c.client_id, id, sizeof id);
	assert_string_equal(c.key_file, "/etc/shipworm/client.key");
	assert_int_equal(c.lineno, 15);
}

static void
test_full_server(void **state)
{
	static const char text[] =
	    "Role server\n"
	    "InterfaceName teredo\n"
	    "Prefix 2001:0::/32\n"
	    "MTU 1280\n"
	    "ServerBindAddress 11.0.0.1\n"
	    "SecondaryBindAddress 11.0.0.7\n"
	    "RequireAuth yes\n"
	    "ClientKey 0a0B0c0D /etc/shipworm/clients/a.key\n"
	    "clientkey ff /k\n"
	    "RelayMaxPayload 1200\n";
	static const uint8_t id[] = { 0x0a, 0x0b, 0x0c, 0x0d };
	struct sw_conf c;

	(void)state;
	expect_ok(&c, text);
	assert_int_equal(c.role, SW_ROLE_SERVER);
	assert_int_equal(c.prefix, SW_TEREDO_PREFIX);
	assert_int_equal(c.v4_policy, SW_V4_HARDENED);
	assert_int_equal(c.server_primary, SW_IP4(11, 0, 0, 1));
	assert_int_equal(c.server_secondary, SW_IP4(11, 0, 0, 7));
	assert_true(c.require_auth);
	assert_int_equal(c.n_client_keys, 2);
	assert_int_equal(c.client_keys[0].id_len, sizeof id);
	assert_memory_equal(c.client_keys[0].id, id, sizeof id);
	assert_string_equal(c.client_keys[0].key_file,
	    "/etc/shipworm/clients/a.key");
	assert_int_equal(c.client_keys[1].id_len, 1);
	assert_int_equal(c.client_keys[1].id[0], 0xff);
	assert_string_equal(c.client_keys[1].key_file, "/k");
	assert_int_equal(c.relay_max_payload, 1200);
	assert_int_equal(c.n_servers, 0);

	/* The secondary defaults to primary + 1 (SRV-CFG-1). */
	expect_ok(&c, "Role server\nServerBindAddress 11.0.0.255\n");
	assert_int_equal(c.server_primary, SW_IP4(11, 0, 0, 255));
	assert_int_equal(c.server_secondary, SW_IP4(11, 0, 1, 0));
	assert_false(c.require_auth);
	assert_int_equal(c.n_client_keys, 0);
	assert_int_equal(c.relay_max_payload, 88);
}

/* ---- each setting: good values ------------------------------------------ */

enum field {
	F_ROLE, F_IFNAME_LEN, F_PREFIX, F_MTU, F_POLICY, F_N_SERVERS,
	F_BIND_ADDR, F_BIND_PORT, F_REFRESH, F_ID_LEN, F_KEY_LEN,
	F_SRV_PRIMARY, F_SRV_SECONDARY, F_AUTH, F_RELAY_MAX, F_N_CLIENT_KEYS,
	F_CKEY_ID_LEN, F_CKEY_LEN, F_PEERS, F_QPEER, F_QTOTAL,
};

static uint64_t
field(const struct sw_conf *c, enum field f)
{
	switch (f) {
	case F_ROLE:		return c->role;
	case F_IFNAME_LEN:	return strlen(c->ifname);
	case F_PREFIX:		return c->prefix;
	case F_MTU:		return c->mtu;
	case F_POLICY:		return c->v4_policy;
	case F_N_SERVERS:	return c->n_servers;
	case F_BIND_ADDR:	return c->bind_addr;
	case F_BIND_PORT:	return c->bind_port;
	case F_REFRESH:		return c->refresh;
	case F_ID_LEN:		return c->client_id_len;
	case F_KEY_LEN:		return strlen(c->key_file);
	case F_SRV_PRIMARY:	return c->server_primary;
	case F_SRV_SECONDARY:	return c->server_secondary;
	case F_AUTH:		return c->require_auth;
	case F_RELAY_MAX:	return c->relay_max_payload;
	case F_N_CLIENT_KEYS:	return c->n_client_keys;
	case F_CKEY_ID_LEN:	return c->client_keys[0].id_len;
	case F_CKEY_LEN:	return strlen(c->client_keys[0].key_file);
	case F_PEERS:		return c->peers;
	case F_QPEER:		return c->queue_peer_bytes;
	case F_QTOTAL:		return c->queue_total_bytes;
	}
	return UINT64_MAX;
}

static void
test_good_values(void **state)
{
	static const struct {
		const char *text;
		enum field f;
		uint64_t want;
	} v[] = {
		{ C("Role client"), F_ROLE, SW_ROLE_CLIENT },
		{ C("Role CLIENT"), F_ROLE, SW_ROLE_CLIENT },
		{ "Role Server\nServerBindAddress 11.0.0.1", F_ROLE,
		    SW_ROLE_SERVER },
		{ R(""), F_ROLE, SW_ROLE_RELAY },
		{ C("InterfaceName a"), F_IFNAME_LEN, 1 },
		{ C("InterfaceName abcdefghijklmno"), F_IFNAME_LEN, 15 },
		{ C("InterfaceName A_b.9-z"), F_IFNAME_LEN, 7 },
		{ C("InterfaceName ..."), F_IFNAME_LEN, 3 },
		{ C("Prefix 2001:0::/32"), F_PREFIX, 0x20010000 },
		{ C("Prefix 2001::/32"), F_PREFIX, 0x20010000 },
		{ C("Prefix 2001:0000:0000::/32"), F_PREFIX, 0x20010000 },
		{ C("Prefix 2001:DB8::/32"), F_PREFIX, 0x20010db8 },
		{ C("Prefix fd00:1234::/32"), F_PREFIX, 0xfd001234 },
		{ C("MTU 1280"), F_MTU, 1280 },
		{ C("MTU 1281"), F_MTU, 1281 },
		{ C("MTU 65507"), F_MTU, 65507 },
		{ C("MTU 001500"), F_MTU, 1500 },
		{ C("AddressPolicy hardened"), F_POLICY, SW_V4_HARDENED },
		{ C("AddressPolicy STRICT"), F_POLICY, SW_V4_STRICT },
		{ C("AddressPolicy Lab"), F_POLICY, SW_V4_LAB },
		{ "ServerAddress a", F_N_SERVERS, 1 },
		{ "ServerAddress 1.2.3.4", F_N_SERVERS, 1 },
		{ "ServerAddress 1.2.3.4 1.2.3.9", F_N_SERVERS, 1 },
		{ "ServerAddress 1.2.3.4 teredo2.example.net", F_N_SERVERS, 1 },
		{ "ServerAddress teredo.example.net 1.2.3.9", F_N_SERVERS, 1 },
		{ "ServerAddress host.example.", F_N_SERVERS, 1 },
		{ "ServerAddress 4x.example", F_N_SERVERS, 1 },
		{ "ServerAddress 1.2.3.4\nServerAddress 5.6.7.8", F_N_SERVERS,
		    2 },
		{ C("BindAddress 192.168.1.2"), F_BIND_ADDR,
		    SW_IP4(192, 168, 1, 2) },
		{ C("BindAddress 0.0.0.0"), F_BIND_ADDR, 0 },
		{ C("BindAddress 223.255.255.255"), F_BIND_ADDR,
		    SW_IP4(223, 255, 255, 255) },
		{ C("BindAddress 255.255.255.254"), F_BIND_ADDR,
		    SW_IP4(255, 255, 255, 254) },
		{ C("BindPort 0"), F_BIND_PORT, 0 },
		{ C("BindPort 1"), F_BIND_PORT, 1 },
		{ C("BindPort 3544"), F_BIND_PORT, 3544 },
		{ C("BindPort 65535"), F_BIND_PORT, 65535 },
		{ C("RefreshInterval 10"), F_REFRESH, 10 },
		{ C("RefreshInterval 30"), F_REFRESH, 30 },
		{ C("RefreshInterval 3600"), F_REFRESH, 3600 },
		{ C("ClientId 00\nKeyFile /k"), F_ID_LEN, 1 },
		{ C("ClientId aBcD\nKeyFile /k"), F_ID_LEN, 2 },
		{ C("KeyFile /\nClientId 01"), F_KEY_LEN, 1 },
		{ C("KeyFile /etc/shipworm/k\xc3\xa9y\nClientId 01"), F_KEY_LEN,
		    18 },
		{ S("SecondaryBindAddress 192.0.2.99"), F_SRV_SECONDARY,
		    SW_IP4(192, 0, 2, 99) },
		{ S(""), F_SRV_PRIMARY, SW_IP4(192, 0, 2, 10) },
		{ S(""), F_SRV_SECONDARY, SW_IP4(192, 0, 2, 11) },
		{ S("RequireAuth yes\nClientKey 01 /k"), F_AUTH, 1 },
		{ S("RequireAuth YES\nClientKey 01 /k"), F_AUTH, 1 },
		{ S("RequireAuth No"), F_AUTH, 0 },
		{ S("RequireAuth no\nClientKey 01 /k"), F_AUTH, 0 },
		{ S("ClientKey 01 /k"), F_N_CLIENT_KEYS, 1 },
		{ S("ClientKey 00 /k"), F_CKEY_ID_LEN, 1 },
		{ S("ClientKey aBcD /k"), F_CKEY_ID_LEN, 2 },
		{ S("ClientKey 01 /"), F_CKEY_LEN, 1 },
		/* HARD-6 bounds, client and relay */
		{ C("PeerTableSize 1"), F_PEERS, 1 },
		{ C("PeerTableSize 4194304"), F_PEERS, 4194304 },
		{ R("PeerTableSize 65536"), F_PEERS, 65536 },
		{ C("QueuePeerBytes 1280"), F_QPEER, 1280 },
		{ R("QueuePeerBytes 1048576\nQueueTotalBytes 1048576"),
		    F_QPEER, 1048576 },
		{ C("QueueTotalBytes 268435456"), F_QTOTAL, 268435456 },
		{ C(""), F_PEERS, 0 },
		{ S("ClientKey 01 /etc/shipworm/k\xc3\xa9y"), F_CKEY_LEN, 18 },
		{ S("ClientKey 01 /k\nClientKey 0100 /k"), F_N_CLIENT_KEYS, 2 },
		{ S("ClientKey\t01\t\t/k   # the lab's"), F_CKEY_LEN, 2 },
		{ S(""), F_N_CLIENT_KEYS, 0 },
		{ S("RelayMaxPayload 0"), F_RELAY_MAX, 0 },
		{ S("RelayMaxPayload 88"), F_RELAY_MAX, 88 },
		{ S("RelayMaxPayload 65507"), F_RELAY_MAX, 65507 },
	};
	struct sw_conf c;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		expect_ok(&c, v[i].text);
		if (field(&c, v[i].f) != v[i].want)
			fail_msg("\"%s\": got %llu, want %llu", v[i].text,
			    (unsigned long long)field(&c, v[i].f),
			    (unsigned long long)v[i].want);
	}
}

/* ---- each setting: the nearest bad values ------------------------------ */

static void
test_bad_values(void **state)
{
	static const struct {
		const char *text;
		const char *w1, *w2;
	} v[] = {
		{ C("Role clients"), "line 1: Role: ", "'clients'" },
		{ C("Role 0"), "line 1: Role: ", "'0'" },
		{ C("InterfaceName abcdefghijklmnop"),
		    "line 1: InterfaceName: ", "'abcdefghijklmnop'" },
		{ C("InterfaceName ."), "line 1: InterfaceName: ", "'.'" },
		{ C("InterfaceName .."), "line 1: InterfaceName: ", "'..'" },
		{ C("InterfaceName a/b"), "line 1: InterfaceName: ", "'a/b'" },
		{ C("InterfaceName a:b"), "line 1: InterfaceName: ", "'a:b'" },
		{ C("Prefix 2001::/31"), "line 1: Prefix: ", "/32" },
		{ C("Prefix 2001::/33"), "line 1: Prefix: ", "'2001::/33'" },
		{ C("Prefix 2001::/"), "line 1: Prefix: ", "/32" },
		{ C("Prefix 2001::/32x"), "line 1: Prefix: ", "/32" },
		{ C("Prefix 2001::"), "line 1: Prefix: ", "/32" },
		{ C("Prefix /32"), "line 1: Prefix: ", "not an IPv6 prefix" },
		{ C("Prefix 2001::1/32"), "line 1: Prefix: ", "bits set" },
		{ C("Prefix 2001:0:1::/32"), "line 1: Prefix: ", "bits set" },
		{ C("Prefix 2001:zz::/32"), "line 1: Prefix: ", "IPv6 prefix" },
		{ C("Prefix 2001:0:0:0:0:0:0:0:0/32"), "line 1: Prefix: ",
		    "IPv6 prefix" },
		{ C("Prefix 2001:0::%eth0/32"), "line 1: Prefix: ",
		    "IPv6 prefix" },
		{ C("Prefix 1.2.3.4/32"), "line 1: Prefix: ", "IPv6 prefix" },
		{ C("Prefix ::/32"), "line 1: Prefix: ", "global unicast" },
		{ C("Prefix ff02::/32"), "line 1: Prefix: ", "global unicast" },
		{ C("Prefix fe80::/32"), "line 1: Prefix: ", "global unicast" },
		{ C("MTU 1279"), "line 1: MTU: ", "'1279' is out of range" },
		{ C("MTU 65508"), "line 1: MTU: ", "'65508' is out of range" },
		{ C("MTU 0"), "line 1: MTU: ", "out of range (1280..65507)" },
		{ C("MTU 18446744073709551617"), "line 1: MTU: ",
		    "out of range" },
		{ C("MTU -1"), "line 1: MTU: ", "not a number" },
		{ C("MTU +1500"), "line 1: MTU: ", "not a number" },
		{ C("MTU 1500b"), "line 1: MTU: ", "not a number" },
		{ C("MTU 0x500"), "line 1: MTU: ", "not a number" },
		{ C("AddressPolicy labs"), "line 1: AddressPolicy: ",
		    "'labs'" },
		{ C("AddressPolicy none"), "line 1: AddressPolicy: ",
		    "'none'" },
		{ "ServerAddress 1.2.3.4.5", "line 1: ServerAddress: ",
		    "'1.2.3.4.5' is not a valid IPv4 address" },
		{ "ServerAddress 1.2.3", "line 1: ServerAddress: ", "'1.2.3'" },
		{ "ServerAddress 1.2.3.256", "line 1: ServerAddress: ",
		    "'1.2.3.256'" },
		{ "ServerAddress 01.2.3.4", "line 1: ServerAddress: ",
		    "'01.2.3.4'" },
		{ "ServerAddress 1.2.3.4.", "line 1: ServerAddress: ",
		    "not a valid IPv4" },
		{ "ServerAddress host.123", "line 1: ServerAddress: ",
		    "'host.123'" },
		{ "ServerAddress x..y", "line 1: ServerAddress: ",
		    "'x..y' is not a host name or IPv4 address" },
		{ "ServerAddress .x", "line 1: ServerAddress: ", "'.x'" },
		{ "ServerAddress .", "line 1: ServerAddress: ", "'.'" },
		{ "ServerAddress -x.example", "line 1: ServerAddress: ",
		    "'-x.example'" },
		{ "ServerAddress x-.example", "line 1: ServerAddress: ",
		    "'x-.example'" },
		{ "ServerAddress a_b.example", "line 1: ServerAddress: ",
		    "'a_b.example'" },
		{ "ServerAddress a.example a..b", "line 1: ServerAddress: ",
		    "secondary 'a..b'" },
		{ "ServerAddress a.example 1.2.3.256",
		    "line 1: ServerAddress: ",
		    "secondary '1.2.3.256' is not a valid IPv4" },
		{ "ServerAddress a.example A.Example",
		    "line 1: ServerAddress: ", "the primary itself" },
		{ "ServerAddress a.example\nServerAddress A.EXAMPLE",
		    "line 2: ServerAddress: ", "already listed" },
		{ C("BindAddress 1.2.3.4.5"), "line 1: BindAddress: ",
		    "'1.2.3.4.5' is not an IPv4 address" },
		{ C("BindAddress 1.2.3"), "line 1: BindAddress: ", "'1.2.3'" },
		{ C("BindAddress 256.1.1.1"), "line 1: BindAddress: ",
		    "'256.1.1.1'" },
		{ C("BindAddress 1.2.3.04"), "line 1: BindAddress: ",
		    "'1.2.3.04'" },
		{ C("BindAddress any"), "line 1: BindAddress: ", "'any'" },
		{ C("BindAddress 224.0.0.1"), "line 1: BindAddress: ",
		    "not a unicast" },
		{ C("BindAddress 255.255.255.255"), "line 1: BindAddress: ",
		    "not a unicast" },
		{ C("BindPort 65536"), "line 1: BindPort: ", "'65536'" },
		{ C("BindPort -1"), "line 1: BindPort: ", "(0..65535)" },
		{ C("RefreshInterval 9"), "line 1: RefreshInterval: ",
		    "'9' is out of range (10..3600)" },
		{ C("RefreshInterval 3601"), "line 1: RefreshInterval: ",
		    "'3601'" },
		{ C("RefreshInterval 30s"), "line 1: RefreshInterval: ",
		    "not a number" },
		{ C("ClientId 0\nKeyFile /k"), "line 1: ClientId: ", "odd" },
		{ C("ClientId 012\nKeyFile /k"), "line 1: ClientId: ", "odd" },
		{ C("ClientId 0g\nKeyFile /k"), "line 1: ClientId: ",
		    "'0g' is not hexadecimal" },
		{ C("ClientId 0x01\nKeyFile /k"), "line 1: ClientId: ",
		    "not hexadecimal" },
		{ C("KeyFile k\nClientId 01"), "line 1: KeyFile: ",
		    "'k' is not an absolute path" },
		{ C("KeyFile ./k\nClientId 01"), "line 1: KeyFile: ",
		    "absolute" },
		{ C("KeyFile /a\x01z\nClientId 01"), "line 1: KeyFile: ",
		    "'/a\\x01z' contains a control character" },
		{ S("SecondaryBindAddress 192.0.2.256"),
		    "line 1: SecondaryBindAddress: ", "'192.0.2.256'" },
		{ "Role server\nServerBindAddress 1.2.3.4.5",
		    "line 2: ServerBindAddress: ", "'1.2.3.4.5'" },
		{ S("RequireAuth true"), "line 1: RequireAuth: ", "'true'" },
		{ S("RequireAuth 1"), "line 1: RequireAuth: ", "yes or no" },
		{ S("ClientKey 0 /k"), "line 1: ClientKey: ", "odd" },
		{ S("ClientKey 012 /k"), "line 1: ClientKey: ", "odd" },
		{ S("ClientKey 0g /k"), "line 1: ClientKey: ",
		    "'0g' is not hexadecimal" },
		{ S("ClientKey 0x01 /k"), "line 1: ClientKey: ",
		    "not hexadecimal" },
		{ S("ClientKey /k 01"), "line 1: ClientKey: ",
		    "'/k' is not hexadecimal" },
		{ S("ClientKey 01 k"), "line 1: ClientKey: ",
		    "'k' is not an absolute path" },
		{ S("ClientKey 01 ./k"), "line 1: ClientKey: ", "absolute" },
		{ S("ClientKey 01 /a\x01z"), "line 1: ClientKey: ",
		    "'/a\\x01z' contains a control character" },
		{ S("ClientKey 01"), "line 1: ClientKey: ", "missing value" },
		{ S("ClientKey"), "line 1: ClientKey: ", "missing value" },
		{ S("ClientKey 01 /k /j"), "line 1: ClientKey: ",
		    "unexpected extra value '/j'" },
		{ S("ClientKey 0a0b /k\nClientKey 0A0B /j"),
		    "line 2: ClientKey: ", "client id '0A0B' is already listed" },
		{ S("ClientKey 01 /k\n# again\nClientKey 01 /k"),
		    "line 3: ClientKey: ", "'01' is already listed" },
		{ S("RelayMaxPayload 65508"), "line 1: RelayMaxPayload: ",
		    "'65508' is out of range (0..65507)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		expect_err(v[i].text, v[i].w1, v[i].w2, NULL);
}

static void
test_host_name_limits(void **state)
{
	char text[700], label[70], name[600];
	struct sw_conf c;

	(void)state;
	/* 63-character labels are fine, 64 is not. */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(text, sizeof text, "ServerAddress %s.example", label);
	expect_ok(&c, text);
	snprintf(text, sizeof text, "ServerAddress b%s.example", label);
	expect_err(text, "line 1: ServerAddress: ", "not a host name", "...");

	/* 253 characters in all (a final dot aside), not 254. */
	memset(name, 'a', 253);
	for (size_t i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	snprintf(text, sizeof text, "ServerAddress %s", name);
	expect_ok(&c, text);
	assert_int_equal(strlen(c.servers[0].primary), 253);
	snprintf(text, sizeof text, "ServerAddress %s.", name);
	expect_ok(&c, text);
	snprintf(text, sizeof text, "ServerAddress %sb", name);
	expect_err(text, "line 1: ServerAddress: ", "not a host name", NULL);

	/* ClientId: 255 bytes, not 256. */
	memset(name, 'f', 255 * 2);
	name[255 * 2] = '\0';
	snprintf(text, sizeof text, C("ClientId %s\nKeyFile /k"), name);
	assert_true(strlen(text) < sizeof text);
	expect_ok(&c, text);
	assert_int_equal(c.client_id_len, 255);
	assert_int_equal(c.client_id[254], 0xff);
	snprintf(text, sizeof text, C("ClientId %sff\nKeyFile /k"), name);
	expect_err(text, "line 1: ClientId: ", "256 bytes long", NULL);

	/* KeyFile: at most 255 bytes. */
	memset(name, 'k', 255);
	name[0] = '/';
	name[255] = '\0';
	snprintf(text, sizeof text, C("KeyFile %s\nClientId 01"), name);
	expect_ok(&c, text);
	assert_int_equal(strlen(c.key_file), 255);
	snprintf(text, sizeof text, C("KeyFile %sk\nClientId 01"), name);
	expect_err(text, "line 1: KeyFile: ", "too long (256 bytes", NULL);

	/* ClientKey: a path of at most 255 bytes ... */
	snprintf(text, sizeof text, S("ClientKey 01 %s"), name);
	expect_ok(&c, text);
	assert_int_equal(strlen(c.client_keys[0].key_file), 255);
	snprintf(text, sizeof text, S("ClientKey 01 %sk"), name);
	expect_err(text, "line 1: ClientKey: ", "too long (256 bytes", NULL);
}

/* ClientKey: its id as long as a ClientId, and at most 64 lines. */
static void
test_client_key_limits(void **state)
{
	char text[700], id[600];
	struct sw_conf c;
	char *big;
	size_t len = 0, cap = 64 * 1024;

	(void)state;
	memset(id, 'e', 255 * 2);
	id[255 * 2] = '\0';
	snprintf(text, sizeof text, S("ClientKey %s /k"), id);
	expect_ok(&c, text);
	assert_int_equal(c.client_keys[0].id_len, 255);
	assert_int_equal(c.client_keys[0].id[254], 0xee);
	snprintf(text, sizeof text, S("ClientKey %see /k"), id);
	expect_err(text, "line 1: ClientKey: ", "256 bytes long", NULL);

	/* 64 distinct ids are fine, a 65th is not; ids of different
	 * lengths are different ids ("01" and "0100"). */
	big = malloc(cap);
	assert_non_null(big);
	len += (size_t)snprintf(big + len, cap - len, "RequireAuth yes\n");
	for (unsigned i = 0; i < SW_CONF_MAX_CLIENT_KEYS; i++)
		len += (size_t)snprintf(big + len, cap - len,
		    "ClientKey %02x%s /etc/shipworm/%u.key\n", i & 0xff,
		    i % 2 ? "00" : "", i);
	len += (size_t)snprintf(big + len, cap - len, S(""));
	expect_ok(&c, big);
	assert_true(c.require_auth);
	assert_int_equal(c.n_client_keys, SW_CONF_MAX_CLIENT_KEYS);
	assert_int_equal(c.client_keys[63].id_len, 2);
	assert_int_equal(c.client_keys[63].id[0], 63);
	assert_int_equal(c.client_keys[63].id[1], 0);
	assert_string_equal(c.client_keys[63].key_file,
	    "/etc/shipworm/63.key");
	len = (size_t)snprintf(big, cap, "RequireAuth yes\n");
	for (unsigned i = 0; i <= SW_CONF_MAX_CLIENT_KEYS; i++)
		len += (size_t)snprintf(big + len, cap - len,
		    "ClientKey %04x /k\n", i);
	len += (size_t)snprintf(big + len, cap - len, S(""));
	assert_true(len < cap);
	expect_err(big, "line 66: ClientKey: ", "more than 64 client keys",
	    NULL);
	free(big);
}

/* ---- the shape of lines ------------------------------------------------- */

static void
test_syntax_errors(void **state)
{
	static const struct {
		const char *text;
		const char *w1, *w2;
	} v[] = {
		{ C("Serveraddres x"), "line 1: unknown setting 'Serveraddres'",
		    NULL },
		{ C("MTU=1280"), "line 1: unknown setting 'MTU=1280'", NULL },
		{ C("# fine\nBogus"), "line 2: unknown setting 'Bogus'", NULL },
		{ C("MTU"), "line 1: MTU: missing value", NULL },
		{ C("MTU   # 1280"), "line 1: MTU: missing value", NULL },
		{ C("MTU\r"), "line 1: MTU: missing value", NULL },
		{ C("MTU 1280 1300"), "line 1: MTU: ",
		    "unexpected extra value '1300'" },
		{ "ServerAddress a b c", "line 1: ServerAddress: ",
		    "extra value 'c'" },
		{ "ServerAddress a b c d e", "line 1: ServerAddress: ",
		    "extra value 'c'" },
		{ C("MTU 1280\nMTU 1280"), "line 2: MTU: given twice", NULL },
		{ C("Role client\nrole client"), "line 2: Role: given twice",
		    NULL },
		{ C("MTU 1280\n\n# x\nmtu 1400"), "line 4: MTU: given twice",
		    NULL },
		{ C("MTU 1280\r\nMTU\t1400\r\n"), "line 2: MTU: given twice",
		    NULL },
		/* a CR inside the line is not blank */
		{ C("MTU 1280\r1"), "line 1: MTU: ", "'1280\\x0d1'" },
		{ C("InterfaceName te\x7fst"), "line 1: InterfaceName: ",
		    "'te\\x7fst'" },
		{ C("InterfaceName \xff\xfe"), "line 1: InterfaceName: ",
		    "'\\xff\\xfe'" },
		{ C("InterfaceName it's"), "line 1: InterfaceName: ",
		    "'it\\'s'" },
		{ C("InterfaceName a\\b"), "line 1: InterfaceName: ",
		    "'a\\\\b'" },
		{ C("\x1b[2J"), "line 1: unknown setting '\\x1b[2J'", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		expect_err(v[i].text, v[i].w1, v[i].w2, NULL);
}

static void
test_comments_blank_crlf_case(void **state)
{
	static const char text[] =
	    "# comment\r\n"
	    "\r\n"
	    "   \t  \n"
	    "\n"
	    "  # indented comment\n"
	    "mtu 1400 # trailing comment\r\n"
	    "\tSERVERADDRESS\t\tteredo.example.net   \t\r\n"
	    "rOLE   cLiEnT#no blank before the comment\n"
	    "refreshinterval 45\t\r\r\n"
	    "BindPort 7#\n"
	    "#\n"
	    "addresspolicy LAB";		/* no final newline */
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX];

	(void)state;
	expect_ok(&c, text);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.n_servers, 1);
	assert_string_equal(c.servers[0].primary, "teredo.example.net");
	assert_int_equal(c.role, SW_ROLE_CLIENT);
	assert_int_equal(c.refresh, 45);
	assert_int_equal(c.bind_port, 7);
	assert_int_equal(c.v4_policy, SW_V4_LAB);
	assert_int_equal(c.lineno, 12);

	/* Line numbers count every line, blank ones and comments too. */
	assert_int_equal(parse(&c, "# a\n\n\r\nServerAddress x\nMTU 1\n", err),
	    -EINVAL);
	assert_contains(err, "line 5: MTU: ");

	/* Only comments: a client without a server. */
	assert_int_equal(parse(&c, "# nothing\n\n", err), -EINVAL);
	assert_string_equal(err,
	    "ServerAddress: missing (Role client needs at least one server)");
	assert_int_equal(parse(&c, "", err), -EINVAL);
	assert_string_equal(err,
	    "ServerAddress: missing (Role client needs at least one server)");
	assert_int_equal(sw_conf_parse(&c, NULL, 0, err), -EINVAL);
	assert_err_shape(err);
}

static void
test_line_api(void **state)
{
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX];

	(void)state;
	sw_conf_init(&c);
	assert_int_equal(sw_conf_line(&c, "", 0, err), 0);
	assert_int_equal(sw_conf_line(&c, NULL, 0, err), 0);
	/* len bounds the line: "MTU 1400" cut to "MTU 14". */
	assert_int_equal(sw_conf_line(&c, "MTU 1400", 6, err), -EINVAL);
	assert_string_equal(err,
	    "line 3: MTU: '14' is out of range (1280..65507)");
	assert_int_equal(sw_conf_line(&c, "MTU 1400", 8, err), 0);
	assert_string_equal(err, "");
	assert_int_equal(sw_conf_line(&c, "ServerAddress 192.0.2.1", 23, err),
	    0);
	assert_int_equal(c.lineno, 5);
	assert_int_equal(sw_conf_finish(&c, err), -EINVAL);
	assert_string_equal(err, "ServerAddress: '192.0.2.1' is not a global "
	    "unicast IPv4 address (AddressPolicy hardened)");
	assert_int_equal(sw_conf_line(&c, "AddressPolicy lab", 17, err), 0);
	assert_int_equal(sw_conf_finish(&c, err), 0);
	assert_string_equal(err, "");
}

static void
test_long_lines_and_nul(void **state)
{
	size_t big = 10000;
	char *text = malloc(big);
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX];

	(void)state;
	assert_non_null(text);

	/* A 4096-byte line is fine, 4097 is not. */
	memset(text, ' ', big);
	memcpy(text, "MTU 1400 #", 10);
	memcpy(text + 4096, "\nServerAddress a", 16);
	assert_int_equal(parse_len(&c, text, 4096 + 16, err), 0);
	assert_int_equal(c.mtu, 1400);
	memcpy(text + 4096, " \nServerAddress a", 17);
	assert_int_equal(parse_len(&c, text, 4097 + 17, err), -EINVAL);
	assert_string_equal(err,
	    "line 1: MTU: line too long (4097 bytes, at most 4096)");

	/* Not a setting: the error cannot name one. */
	memset(text, 'x', big);
	assert_int_equal(parse_len(&c, text, big, err), -EINVAL);
	assert_string_equal(err,
	    "line 1: line too long (10000 bytes, at most 4096)");

	/* A long value is quoted in part; the message stays one line. */
	memcpy(text, "ServerAddress ", 14);
	memset(text + 14, 'a', 1000);
	assert_int_equal(parse_len(&c, text, 1014, err), -EINVAL);
	assert_contains(err, "line 1: ServerAddress: 'aaaa");
	assert_contains(err, "...' is not a host name");
	memset(text + 14, '\x01', 1000);
	assert_int_equal(parse_len(&c, text, 1014, err), -EINVAL);
	assert_contains(err, "line 1: ServerAddress: '\\x01\\x01");
	memset(text, '\x01', 4000);
	assert_int_equal(parse_len(&c, text, 4000, err), -EINVAL);
	assert_contains(err, "line 1: unknown setting '\\x01");
	assert_true(strlen(err) < 100);

	/* NUL bytes, anywhere in a line, comments included. */
	assert_int_equal(parse_len(&c, C("MTU 12\0" "80"), 22, err), -EINVAL);
	assert_string_equal(err, "line 1: MTU: NUL byte at column 7");
	assert_int_equal(parse_len(&c, "ServerAddress a\n# x\0y", 21, err),
	    -EINVAL);
	assert_string_equal(err, "line 2: NUL byte at column 4");
	assert_int_equal(parse_len(&c, "\0", 1, err), -EINVAL);
	assert_string_equal(err, "line 1: NUL byte at column 1");
	free(text);
}

/* ---- whole-file checks --------------------------------------------------- */

static void
test_server_address_repeat(void **state)
{
	struct sw_conf c;

	(void)state;
	expect_ok(&c, "ServerAddress a\nServerAddress b\n"
	    "ServerAddress c 1.2.3.4\nServerAddress d\n");
	assert_int_equal(c.n_servers, 4);
	assert_string_equal(c.servers[0].primary, "a");
	assert_string_equal(c.servers[1].primary, "b");
	assert_string_equal(c.servers[2].primary, "c");
	assert_string_equal(c.servers[2].secondary, "1.2.3.4");
	assert_string_equal(c.servers[3].primary, "d");
	expect_err("ServerAddress a\nServerAddress b\nServerAddress c\n"
	    "ServerAddress d\n# fifth:\nServerAddress e\n",
	    "line 6: ServerAddress: ", "more than 4", NULL);
}

static void
test_role_misuse(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} v[] = {
		{ S("ServerAddress a"),
		    "ServerAddress: only for Role client" },
		{ S("BindAddress 1.2.3.4"),
		    "BindAddress: only for Role client" },
		{ S("BindPort 1"), "BindPort: only for Role client" },
		{ S("RefreshInterval 10"),
		    "RefreshInterval: only for Role client" },
		{ S("ClientId 01\nKeyFile /k"),
		    "ClientId: only for Role client" },
		{ S("KeyFile /k"), "KeyFile: only for Role client" },
		{ C("ServerBindAddress 11.0.0.1"),
		    "ServerBindAddress: only for Role server" },
		{ C("SecondaryBindAddress 11.0.0.1"),
		    "SecondaryBindAddress: only for Role server" },
		{ C("RequireAuth no"), "RequireAuth: only for Role server" },
		{ C("RelayMaxPayload 88"),
		    "RelayMaxPayload: only for Role server" },
		{ C("ClientKey 01 /k"), "ClientKey: only for Role server" },
		{ R("ClientKey 01 /k"),
		    "ClientKey: only for Role server" },
		{ C("ClientId 01\nKeyFile /k\nClientKey 01 /k"),
		    "ClientKey: only for Role server" },
		/* D12: a server that requires a MAC needs a key to check. */
		{ S("RequireAuth yes"),
		    "RequireAuth: yes needs at least one ClientKey" },
		{ "RequireAuth yes\nRole server\nServerBindAddress 11.0.0.1",
		    "RequireAuth: yes needs at least one ClientKey" },
		{ S("BindPort 3545"),
		    "BindPort: only for Role client or relay" },
		{ S("PeerTableSize 10"),
		    "PeerTableSize: only for Role client or relay" },
		{ C("PeerTableSize 0"), "line 1: PeerTableSize:" },
		{ C("PeerTableSize 4194305"), "line 1: PeerTableSize:" },
		{ C("QueuePeerBytes 1279"), "line 1: QueuePeerBytes:" },
		{ C("QueuePeerBytes 1048577"), "line 1: QueuePeerBytes:" },
		{ C("QueueTotalBytes 268435457"), "line 1: QueueTotalBytes:" },
		{ R("QueuePeerBytes 8192\nQueueTotalBytes 4096"),
		    "QueueTotalBytes: 4096 is less than QueuePeerBytes 8192" },
		{ C("QueuePeerBytes 300000"), "QueueTotalBytes: 262144 is "
		    "less than QueuePeerBytes 300000 (the default)" },
		{ C("RelayAddress 2001:db8::1"),
		    "RelayAddress: only for Role relay" },
		{ C("HostSpecific yes"), "HostSpecific: only for Role relay" },
		{ C("ServedPrefix ::/0"), "ServedPrefix: only for Role relay" },
		/* REL-TX-4, HSR-2..4 */
		{ "Role relay", "RelayAddress: missing" },
		{ "Role relay\nRelayAddress 2001:0:c000:20a::1",
		    "RelayAddress: is a Teredo address" },
		{ "Role relay\nRelayAddress fe80::1",
		    "line 2: RelayAddress: 'fe80::1' is not a global unicast "
		    "IPv6" },
		{ "Role relay\nRelayAddress ff02::1",
		    "line 2: RelayAddress: 'ff02::1' is not a global unicast "
		    "IPv6" },
		{ "Role relay\nRelayAddress ::1",
		    "line 2: RelayAddress: '::1' is not a global unicast "
		    "IPv6" },
		{ "Role relay\nRelayAddress 192.0.2.1",
		    "line 2: RelayAddress: '192.0.2.1' is not an IPv6 address" },
		{ R("ServedPrefix 2001::/16"),
		    "ServedPrefix: covers the Teredo prefix" },
		{ R("ServedPrefix 2001:db8::"),
		    "line 1: ServedPrefix: '2001:db8::' is not ADDRESS/LENGTH" },
		{ R("ServedPrefix 2001:db8::/129"), "line 1: ServedPrefix:" },
		{ R("ServedPrefix x/64"),
		    "line 1: ServedPrefix: 'x' is not an IPv6 address" },
		{ R("HostSpecific maybe"),
		    "line 1: HostSpecific: 'maybe' is not yes or no" },
		{ "ServerBindAddress 11.0.0.1\nRole relay",
		    "ServerBindAddress: only for Role server" },
		/* Role may come last: the check waits for the whole file. */
		{ "ServerAddress a\nRole relay",
		    "ServerAddress: only for Role client" },
		{ "ClientId 01\nServerAddress a", "ClientId: needs KeyFile" },
		{ "KeyFile /k\nServerAddress a", "KeyFile: needs ClientId" },
		{ "Role server",
		    "ServerBindAddress: missing (Role server needs its primary "
		    "IPv4 address)" },
		{ "Role server\nSecondaryBindAddress 11.0.0.2",
		    "ServerBindAddress: missing" },
		{ "Role client",
		    "ServerAddress: missing (Role client needs at least one "
		    "server)" },
	};
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(parse(&c, v[i].text, err), -EINVAL);
		if (strcmp(err, v[i].want) != 0 &&
		    strncmp(err, v[i].want, strlen(v[i].want)) != 0)
			fail_msg("\"%s\": got \"%s\"", v[i].text, err);
	}
	/* Role last, server settings before it. */
	expect_ok(&c, "ServerBindAddress 11.0.0.1\nRequireAuth yes\n"
	    "ClientKey 01 /k\nRole server\n");
	assert_int_equal(c.role, SW_ROLE_SERVER);
	assert_int_equal(c.n_client_keys, 1);
}

/* COM-V4G, CLI-CFG-4, SRV-CFG-1: addresses judged under AddressPolicy,
 * wherever in the file it is. */
static void
test_address_policy(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* NULL: accepted */
	} v[] = {
		{ "ServerAddress 192.0.2.10\nAddressPolicy lab", NULL },
		{ "AddressPolicy lab\nServerAddress 192.0.2.10", NULL },
		{ "ServerAddress 192.0.2.10",
		    "ServerAddress: '192.0.2.10' is not a global unicast IPv4 "
		    "address (AddressPolicy hardened)" },
		{ "ServerAddress 192.0.2.10\nAddressPolicy hardened",
		    "ServerAddress: '192.0.2.10'" },
		{ "ServerAddress 192.0.2.10\nAddressPolicy strict", NULL },
		{ "ServerAddress 100.64.0.1\nAddressPolicy strict", NULL },
		{ "ServerAddress 100.64.0.1",
		    "ServerAddress: '100.64.0.1' is not a global" },
		{ "ServerAddress 100.64.0.1\nAddressPolicy lab",
		    "ServerAddress: '100.64.0.1'" },
		{ "ServerAddress 10.0.0.1\nAddressPolicy lab",
		    "ServerAddress: '10.0.0.1'" },
		{ "ServerAddress 10.0.0.1\nAddressPolicy strict",
		    "ServerAddress: '10.0.0.1' is not a global unicast IPv4 "
		    "address (AddressPolicy strict)" },
		{ "ServerAddress 224.0.0.253", "ServerAddress: '224.0.0.253'" },
		{ "ServerAddress 1.2.3.4\nServerAddress 127.0.0.1",
		    "ServerAddress: '127.0.0.1'" },
		/* the secondary, given or implied (primary + 1) */
		{ "ServerAddress 1.2.3.4 10.0.0.1",
		    "ServerAddress: secondary '10.0.0.1' is not a global" },
		{ "ServerAddress 9.255.255.255",
		    "ServerAddress: secondary 10.0.0.0 (primary "
		    "'9.255.255.255' + 1) is not a global" },
		{ "ServerAddress 9.255.255.255 9.255.255.254", NULL },
		{ "ServerAddress 100.63.255.255\nAddressPolicy lab",
		    "ServerAddress: secondary 100.64.0.0 (primary" },
		{ "ServerAddress 100.63.255.255\nAddressPolicy strict", NULL },
		{ "ServerAddress 192.0.2.1 192.0.2.2\nAddressPolicy lab",
		    NULL },
		/* names are resolved, and checked, by the daemon */
		{ "ServerAddress localhost", NULL },
		/* the server's own addresses */
		{ "Role server\nServerBindAddress 192.0.2.10",
		    "ServerBindAddress: '192.0.2.10' is not a global unicast "
		    "IPv4 address (AddressPolicy hardened)" },
		{ "Role server\nServerBindAddress 192.0.2.10\n"
		    "AddressPolicy lab", NULL },
		{ "Role server\nServerBindAddress 0.0.0.0",
		    "ServerBindAddress: '0.0.0.0'" },
		{ "Role server\nServerBindAddress 11.0.0.1\n"
		    "SecondaryBindAddress 10.0.0.1",
		    "SecondaryBindAddress: '10.0.0.1' is not a global" },
		{ "Role server\nServerBindAddress 9.255.255.255",
		    "SecondaryBindAddress: 10.0.0.0 (ServerBindAddress + 1)" },
		{ "Role server\nServerBindAddress 9.255.255.255\n"
		    "SecondaryBindAddress 9.255.255.254", NULL },
		{ "Role server\nServerBindAddress 11.0.0.1\n"
		    "SecondaryBindAddress 11.0.0.1",
		    "SecondaryBindAddress: '11.0.0.1' is also the "
		    "ServerBindAddress" },
	};
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int r = parse(&c, v[i].text, err);

		if (v[i].want == NULL && r != 0)
			fail_msg("\"%s\": unexpected \"%s\"", v[i].text, err);
		if (v[i].want != NULL && r == 0)
			fail_msg("\"%s\": accepted", v[i].text);
		if (v[i].want != NULL &&
		    strncmp(err, v[i].want, strlen(v[i].want)) != 0)
			fail_msg("\"%s\": got \"%s\"", v[i].text, err);
	}
}

/* ---- the shipped examples ------------------------------------------------ */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(65536);
	assert_non_null(buf);
	n = fread(buf, 1, 65536, f);
	assert_int_equal(ferror(f), 0);
	assert_true(n < 65536);
	fclose(f);
	*len = n;
	return buf;
}

/* ---- [guard] settings ----------------------------------------------------- */

static void
test_guard_settings(void **state)
{
	static const struct {
		const char *text;
		const char *w1, *w2;
	} bad[] = {
		/* AllowUnfirewalled */
		{ C("AllowUnfirewalled maybe"), "line 1: AllowUnfirewalled: ",
		    "'maybe' is not yes or no" },
		{ C("AllowUnfirewalled"), "line 1: AllowUnfirewalled: ",
		    "missing value" },
		{ C("AllowUnfirewalled yes\nAllowUnfirewalled no"),
		    "line 2: AllowUnfirewalled: ", "given twice" },
		{ S("AllowUnfirewalled yes"), "AllowUnfirewalled: ",
		    "only for Role client" },
		{ R("AllowUnfirewalled no"), "AllowUnfirewalled: ",
		    "only for Role client, or Role relay with HostSpecific "
		    "yes" },
		/* DormantAfter */
		{ C("DormantAfter -1"), "line 1: DormantAfter: ",
		    "not a number" },
		{ C("DormantAfter 1h"), "line 1: DormantAfter: ",
		    "not a number" },
		{ C("DormantAfter 31536001"), "line 1: DormantAfter: ",
		    "out of range (0..31536000)" },
		{ C("DormantAfter 1\nDormantAfter 2"),
		    "line 2: DormantAfter: ", "given twice" },
		{ R("DormantAfter 60"), "DormantAfter: ",
		    "only for Role client, or Role relay with HostSpecific "
		    "yes" },
		/* EdgePolicyDir */
		{ C("EdgePolicyDir edge.d"), "line 1: EdgePolicyDir: ",
		    "not an absolute path" },
		{ C("EdgePolicyDir /a\x01b"), "line 1: EdgePolicyDir: ",
		    "control character" },
		{ C("EdgePolicyDir /a /b"), "line 1: EdgePolicyDir: ",
		    "unexpected extra value" },
		{ C("EdgePolicyDir /a\nEdgePolicyDir /b"),
		    "line 2: EdgePolicyDir: ", "given twice" },
		{ S("EdgePolicyDir /a"), "EdgePolicyDir: ",
		    "only for Role client or relay" },
		{ R("EdgePolicyDir /a"), "EdgePolicyDir: ",
		    "only for Role client, or Role relay with HostSpecific "
		    "yes" },
		/* IntranetPrefix */
		{ C("IntranetPrefix 10.0.0.0"), "line 1: IntranetPrefix: ",
		    "not an IPv4 prefix" },
		{ C("IntranetPrefix 10.0.0/8"), "line 1: IntranetPrefix: ",
		    "not an IPv4 prefix" },
		{ C("IntranetPrefix 2001:db8::/32"),
		    "line 1: IntranetPrefix: ", "not an IPv4 prefix" },
		{ C("IntranetPrefix 10.0.0.0/33"), "line 1: IntranetPrefix: ",
		    "out of range (1..32)" },
		{ C("IntranetPrefix 0.0.0.0/0"), "line 1: IntranetPrefix: ",
		    "out of range (1..32)" },
		{ C("IntranetPrefix 10.0.0.0/"), "line 1: IntranetPrefix: ",
		    "not a number" },
		{ C("IntranetPrefix 10.0.0.1/8"), "line 1: IntranetPrefix: ",
		    "'10.0.0.1/8' has host bits set" },
		{ C("IntranetPrefix 10.0.0.0/8\nIntranetPrefix 10.0.0.0/8"),
		    "line 2: IntranetPrefix: ", "already listed" },
		{ S("IntranetPrefix 10.0.0.0/8"), "IntranetPrefix: ",
		    "only for Role client or relay" },
		/* Protocol41Interface */
		{ C("Protocol41Interface a/b"),
		    "line 1: Protocol41Interface: ", "not an interface name" },
		{ C("Protocol41Interface abcdefghijklmnop"),
		    "line 1: Protocol41Interface: ", "not an interface name" },
		{ C("Protocol41Interface sit1\nProtocol41Interface sit1"),
		    "line 2: Protocol41Interface: ", "already listed" },
		{ C("Protocol41Interface a\nProtocol41Interface b\n"
		    "Protocol41Interface c\nProtocol41Interface d\n"
		    "Protocol41Interface e"),
		    "line 5: Protocol41Interface: ", "more than 4" },
		{ C("Protocol41Interface teredo"), "Protocol41Interface: ",
		    "'teredo' is the Teredo interface" },
		{ R("Protocol41Interface sit1"), "Protocol41Interface: ",
		    "only for Role client" },
		/* RsRateLimit */
		{ S("RsRateLimit 10"), "line 1: RsRateLimit: ",
		    "missing value" },
		{ S("RsRateLimit 10 20 30"), "line 1: RsRateLimit: ",
		    "unexpected extra value '30'" },
		{ S("RsRateLimit 0 20"), "line 1: RsRateLimit: ",
		    "'0' is out of range (1..10000)" },
		{ S("RsRateLimit 10 0"), "line 1: RsRateLimit: ",
		    "'0' is out of range (1..100000)" },
		{ S("RsRateLimit ten 20"), "line 1: RsRateLimit: ",
		    "not a number" },
		{ S("RsRateLimit 1 2\nRsRateLimit 1 2"),
		    "line 2: RsRateLimit: ", "given twice" },
		{ C("RsRateLimit 10 20"), "RsRateLimit: ",
		    "only for Role server" },
		{ R("RsRateLimit 10 20"), "RsRateLimit: ",
		    "only for Role server" },
		/* [harden] */
		{ S("RsRateLimitTotal 0 10"), "line 1: RsRateLimitTotal: ",
		    "'0' is out of range (1..1000000)" },
		{ C("RsRateLimitTotal 10 20"), "RsRateLimitTotal: ",
		    "only for Role server" },
		{ C("PeersPerMapping 0"), "line 1: PeersPerMapping: ",
		    "'0' is out of range (1..4194304)" },
		{ S("PeersPerAddress 4"), "PeersPerAddress: ",
		    "only for Role client or relay" },
		{ R("BubbleRateLimit 50"), "line 1: BubbleRateLimit: ",
		    "missing value" },
		{ C("BubbleRateLimit 50 20"), "BubbleRateLimit: ",
		    "only for Role relay" },
		{ R("BubbleRateLimitTotal 10 0"),
		    "line 1: BubbleRateLimitTotal: ",
		    "'0' is out of range (1..100000)" },
		/* RateLimitTableSize */
		{ S("RateLimitTableSize 3"), "line 1: RateLimitTableSize: ",
		    "out of range (4..16777216)" },
		{ S("RateLimitTableSize 16777217"),
		    "line 1: RateLimitTableSize: ", "out of range" },
		{ S("RateLimitTableSize 4k"), "line 1: RateLimitTableSize: ",
		    "not a number" },
		{ C("RateLimitTableSize 4096"), "RateLimitTableSize: ",
		    "only for Role server" },
	};
	struct sw_conf c;
	char text[1024];

	(void)state;
	/* defaults */
	sw_conf_init(&c);
	assert_false(c.allow_unfirewalled);
	assert_int_equal(c.dormant_after, 3600);
	assert_string_equal(c.edge_dir, "/etc/shipworm/edge.d");
	assert_int_equal(c.n_intranet, 0);
	assert_int_equal(c.n_p41, 0);
	assert_int_equal(c.rs_per_second, 10);
	assert_int_equal(c.rs_burst, 20);
	assert_int_equal(c.rl_entries, 4096);

	/* good values */
	expect_ok(&c, C("AllowUnfirewalled yes"));
	assert_true(c.allow_unfirewalled);
	expect_ok(&c, C("allowunfirewalled NO"));
	assert_false(c.allow_unfirewalled);
	expect_ok(&c, C("DormantAfter 0"));
	assert_int_equal(c.dormant_after, 0);
	expect_ok(&c, C("DormantAfter 31536000"));
	assert_int_equal(c.dormant_after, 31536000);
	expect_ok(&c, C("EdgePolicyDir /srv/edge.d"));
	assert_string_equal(c.edge_dir, "/srv/edge.d");
	expect_ok(&c, C("IntranetPrefix 10.0.0.0/8\n"
	    "IntranetPrefix 65.54.227.126/32\nIntranetPrefix 128.0.0.0/1"));
	assert_int_equal(c.n_intranet, 3);
	assert_int_equal(c.intranet[0].addr, SW_IP4(10, 0, 0, 0));
	assert_int_equal(c.intranet[0].plen, 8);
	assert_int_equal(c.intranet[1].addr, SW_IP4(65, 54, 227, 126));
	assert_int_equal(c.intranet[1].plen, 32);
	assert_int_equal(c.intranet[2].plen, 1);
	expect_ok(&c, R("IntranetPrefix 192.168.0.0/16"));	/* relay too */
	assert_int_equal(c.n_intranet, 1);
	/* a host-specific relay gets the client's model (issue 10 item 16) */
	expect_ok(&c, R("HostSpecific yes\nAllowUnfirewalled yes\n"
	    "DormantAfter 60\nEdgePolicyDir /e"));
	assert_true(c.allow_unfirewalled);
	assert_int_equal(c.dormant_after, 60);
	assert_string_equal(c.edge_dir, "/e");
	/* the same network under two lengths is two prefixes */
	expect_ok(&c, C("IntranetPrefix 10.0.0.0/8\n"
	    "IntranetPrefix 10.0.0.0/16"));
	assert_int_equal(c.n_intranet, 2);
	/* sixteen, then one too many */
	{
		size_t o = 0;

		for (unsigned i = 0; i < 16; i++)
			o += (size_t)snprintf(text + o, sizeof text - o,
			    "IntranetPrefix 10.%u.0.0/16\n", i);
		(void)snprintf(text + o, sizeof text - o,
		    "ServerAddress a\n");
		expect_ok(&c, text);
		assert_int_equal(c.n_intranet, 16);
		(void)snprintf(text + o, sizeof text - o,
		    "IntranetPrefix 11.0.0.0/8\nServerAddress a\n");
		expect_err(text, "line 17: IntranetPrefix: ", "more than 16",
		    NULL);
	}
	expect_ok(&c, C("Protocol41Interface sit1\n"
	    "Protocol41Interface he-ipv6\nProtocol41Interface a\n"
	    "Protocol41Interface b"));
	assert_int_equal(c.n_p41, 4);
	assert_string_equal(c.p41_ifnames[0], "sit1");
	assert_string_equal(c.p41_ifnames[1], "he-ipv6");
	/* the Teredo interface renamed: the old name is free */
	expect_ok(&c, C("InterfaceName tun7\nProtocol41Interface teredo"));
	assert_int_equal(c.n_p41, 1);
	expect_ok(&c, S("RsRateLimit 1 1"));
	assert_int_equal(c.rs_per_second, 1);
	assert_int_equal(c.rs_burst, 1);
	expect_ok(&c, S("RsRateLimit 10000 100000\nRateLimitTableSize 4"));
	assert_int_equal(c.rs_per_second, 10000);
	assert_int_equal(c.rs_burst, 100000);
	assert_int_equal(c.rl_entries, 4);
	expect_ok(&c, S("RateLimitTableSize 16777216"));
	assert_int_equal(c.rl_entries, 16777216);
	expect_ok(&c, S("RsRateLimitTotal 500 1000"));
	assert_int_equal(c.rs_total_per_second, 500);
	assert_int_equal(c.rs_total_burst, 1000);
	expect_ok(&c, R("PeersPerMapping 2\nPeersPerAddress 16\n"
	    "BubbleRateLimit 5 6\nBubbleRateLimitTotal 700 800"));
	assert_int_equal(c.peers_per_mapping, 2);
	assert_int_equal(c.peers_per_address, 16);
	assert_int_equal(c.bubble_per_second, 5);
	assert_int_equal(c.bubble_burst, 6);
	assert_int_equal(c.bubble_total_per_second, 700);
	assert_int_equal(c.bubble_total_burst, 800);
	expect_ok(&c, C("PeersPerMapping 3"));
	assert_int_equal(c.peers_per_mapping, 3);

	/* bad values: one line naming the setting */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_err(bad[i].text, bad[i].w1, bad[i].w2, NULL);
}

static void
test_examples(void **state)
{
	static const char lab[] = "\nAddressPolicy lab\n";
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX];
	char *text;
	size_t len;

	(void)state;
	if ((text = slurp("doc/examples/client.conf", &len)) == NULL)
		skip();
	assert_int_equal(parse_len(&c, text, len, err), 0);
	assert_int_equal(c.role, SW_ROLE_CLIENT);
	assert_int_equal(c.n_servers, 2);
	assert_string_equal(c.servers[0].primary, "teredo.example.net");
	assert_string_equal(c.servers[1].secondary, "teredo-2.example.org");
	assert_int_equal(c.bind_port, 3545);
	free(text);

	/* server.conf names RFC 5737 addresses, which only a lab accepts:
	 * as shipped it must be refused, with the reason. */
	if ((text = slurp("doc/examples/server.conf", &len)) == NULL)
		skip();
	assert_int_equal(parse_len(&c, text, len, err), -EINVAL);
	assert_string_equal(err, "ServerBindAddress: '192.0.2.10' is not "
	    "a global unicast IPv4 address (AddressPolicy hardened)");
	text = realloc(text, len + sizeof lab);
	assert_non_null(text);
	memcpy(text + len, lab, sizeof lab);
	assert_int_equal(parse_len(&c, text, len + sizeof lab - 1, err), 0);
	assert_int_equal(c.role, SW_ROLE_SERVER);
	assert_int_equal(c.server_primary, SW_IP4(192, 0, 2, 10));
	assert_int_equal(c.server_secondary, SW_IP4(192, 0, 2, 11));
	assert_int_equal(c.relay_max_payload, 88);
	assert_false(c.require_auth);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_client),
		cmocka_unit_test(test_full_server),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_host_name_limits),
		cmocka_unit_test(test_client_key_limits),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_comments_blank_crlf_case),
		cmocka_unit_test(test_line_api),
		cmocka_unit_test(test_long_lines_and_nul),
		cmocka_unit_test(test_server_address_repeat),
		cmocka_unit_test(test_role_misuse),
		cmocka_unit_test(test_address_policy),
		cmocka_unit_test(test_guard_settings),
		cmocka_unit_test(test_examples),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
