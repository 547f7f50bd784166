/*
 * fuzz_conf.c - sw_conf_parse() on arbitrary text.  Whatever the input,
 * the error is one NUL-terminated printable line (empty on success), and
 * an accepted configuration lies within the ranges of shipwormd.conf(5).
 */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* A NUL-terminated string that fits its buffer. */
static size_t
str_in(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	require(n < cap);
	return n;
}

static void
check_host(const char *s, bool may_be_empty)
{
	size_t n = str_in(s, SW_CONF_HOST_MAX);

	require(may_be_empty || n > 0);
	require(n <= 254);
	for (size_t i = 0; i < n; i++)
		require((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.');
}

static void
check_conf(const struct sw_conf *c)
{
	const struct sw_v4_check chk = { .policy = c->v4_policy };
	size_t n;

	require(c->role == SW_ROLE_CLIENT || c->role == SW_ROLE_SERVER ||
	    c->role == SW_ROLE_RELAY);
	n = str_in(c->ifname, SW_CONF_IFNAME_MAX);
	require(n >= 1 && n <= 15);
	require(strcmp(c->ifname, ".") != 0 && strcmp(c->ifname, "..") != 0);
	require(strspn(c->ifname, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n);
	/* COM-ADDR-1: not ::/16, multicast or link-local */
	require(c->prefix >> 16 != 0 && c->prefix >> 24 != 0xff &&
	    c->prefix >> 22 != 0xfe80u >> 6);
	require(c->mtu >= 1280 && c->mtu <= 65507);
	require(c->v4_policy == SW_V4_HARDENED ||
	    c->v4_policy == SW_V4_STRICT || c->v4_policy == SW_V4_LAB);
	require(c->n_servers <= SW_CONF_MAX_SERVERS);
	require(c->refresh >= 10 && c->refresh <= 3600);
	require(c->relay_max_payload <= 65507);
	require((c->client_id_len == 0) == (c->key_file[0] == '\0'));
	n = str_in(c->key_file, SW_CONF_PATH_MAX);
	require(n == 0 || c->key_file[0] == '/');

	switch (c->role) {
	case SW_ROLE_CLIENT:
		require(c->n_servers >= 1);
		for (unsigned i = 0; i < c->n_servers; i++) {
			const struct sw_conf_server *s = &c->servers[i];
			uint32_t a;

			check_host(s->primary, false);
			check_host(s->secondary, true);
			require(strcasecmp(s->primary, s->secondary) != 0);
			/* CLI-CFG-4: a literal server is global. */
			if (sw_addr_parse4(s->primary, &a) == 0) {
				require(sw_check_v4_global(&chk, a));
				if (s->secondary[0] == '\0')
					require(sw_check_v4_global(&chk,
					    a + 1));
			}
			if (sw_addr_parse4(s->secondary, &a) == 0)
				require(sw_check_v4_global(&chk, a));
		}
		break;
	case SW_ROLE_SERVER:
		require(c->n_servers == 0 && c->client_id_len == 0);
		require(sw_check_v4_global(&chk, c->server_primary));
		require(sw_check_v4_global(&chk, c->server_secondary));
		require(c->server_primary != c->server_secondary);
		break;
	case SW_ROLE_RELAY:
		require(c->n_servers == 0 && c->client_id_len == 0);
		break;
	}
	/* BindAddress, BindPort: client and relay (a relay's port is 3544
	 * unless given) */
	if (c->role == SW_ROLE_SERVER)
		require(c->bind_addr == 0 && c->bind_port == 0);
	if (c->role != SW_ROLE_CLIENT)
		require(c->refresh == 30);
	if (c->role != SW_ROLE_SERVER)
		require(!c->require_auth && c->relay_max_payload == 88);
	/* [guard] settings: ranges, roles, lists bounded and distinct */
	require(c->dormant_after <= 31536000);
	n = str_in(c->edge_dir, SW_CONF_PATH_MAX);
	require(n >= 1 && c->edge_dir[0] == '/');
	require(c->n_intranet <= SW_CONF_MAX_INTRANET);
	require(c->role != SW_ROLE_SERVER || c->n_intranet == 0);
	for (unsigned i = 0; i < c->n_intranet; i++) {
		const struct sw_v4_net *p = &c->intranet[i];

		require(p->plen >= 1 && p->plen <= 32);
		require(p->plen == 32 ||
		    (p->addr & (UINT32_MAX >> p->plen)) == 0);
		for (unsigned j = 0; j < i; j++)
			require(c->intranet[j].addr != p->addr ||
			    c->intranet[j].plen != p->plen);
	}
	require(c->n_p41 <= SW_CONF_MAX_P41);
	require(c->role == SW_ROLE_CLIENT || c->n_p41 == 0);
	for (unsigned i = 0; i < c->n_p41; i++) {
		n = str_in(c->p41_ifnames[i], SW_CONF_IFNAME_MAX);
		require(n >= 1 && strcmp(c->p41_ifnames[i], c->ifname) != 0);
		for (unsigned j = 0; j < i; j++)
			require(strcmp(c->p41_ifnames[j],
			    c->p41_ifnames[i]) != 0);
	}
	require(c->rs_per_second >= 1 && c->rs_per_second <= 10000);
	require(c->rs_burst >= 1 && c->rs_burst <= 100000);
	require(c->rl_entries >= 4 && c->rl_entries <= (1u << 24));
	if (c->role != SW_ROLE_SERVER)
		require(c->rs_per_second == 10 && c->rs_burst == 20 &&
		    c->rl_entries == 4096);
	if (c->role != SW_ROLE_CLIENT)
		require(!c->allow_unfirewalled && c->dormant_after == 3600 &&
		    strcmp(c->edge_dir, "/etc/shipworm/edge.d") == 0);
	/* ClientKey: server only, bounded, ids distinct, absolute paths;
	 * RequireAuth needs at least one. */
	require(c->n_client_keys <= SW_CONF_MAX_CLIENT_KEYS);
	require(c->role == SW_ROLE_SERVER || c->n_client_keys == 0);
	require(!c->require_auth || c->n_client_keys >= 1);
	for (unsigned i = 0; i < c->n_client_keys; i++) {
		const struct sw_conf_client_key *k = &c->client_keys[i];

		require(k->id_len >= 1);
		n = str_in(k->key_file, SW_CONF_PATH_MAX);
		require(n >= 1 && k->key_file[0] == '/');
		for (unsigned j = 0; j < i; j++)
			require(c->client_keys[j].id_len != k->id_len ||
			    memcmp(c->client_keys[j].id, k->id,
			    k->id_len) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_conf c;
	char err[SW_CONF_ERR_MAX + 1];
	/* An exact-size copy: ASan catches a read past size. */
	char *buf = malloc(size > 0 ? size : 1);
	size_t n;
	int r;

	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	memset(err, 'X', sizeof err);
	err[SW_CONF_ERR_MAX] = '\0';	/* guard byte, never written */
	r = sw_conf_parse(&c, buf, size, err);
	free(buf);

	n = strnlen(err, SW_CONF_ERR_MAX);
	require(n < SW_CONF_ERR_MAX);
	require(err[SW_CONF_ERR_MAX] == '\0');
	for (size_t i = 0; i < n; i++)
		require(err[i] >= 0x20 && err[i] < 0x7f);
	if (r == 0) {
		require(n == 0);
		check_conf(&c);
	} else {
		require(r == -EINVAL);
		require(n > 0);
	}
	return 0;
}
