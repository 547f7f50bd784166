/*
 * test_client.c - the client's qualification and maintenance FSM
 * (RFC 4380 §5.2.1, §5.2.2, §5.2.5; RFC 5991 §3.2; spec §2.2-2.5, §2.9).
 *
 * No sleeps: every test owns a fake clock `now` and a seeded RNG.  A fake
 * server lives in the test: it takes the RS the client emitted, checks
 * it, and answers with an RA built by the lib's own builders that echoes
 * the RS's nonce, carries an origin indication for a chosen mapping and,
 * with a key, a MAC (SRV-RA-*).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "auth.h"
#include "client.h"
#include "wire.h"
#include "../common/prng.h"
#include "acts.h"

/* RFC 5737 addresses throughout, with the SW_V4_LAB policy. */
#define S1		SW_IP4(192, 0, 2, 10)	/* secondary: .11 */
#define S2		SW_IP4(198, 51, 100, 20)	/* secondary: .21 */
#define T		(4 * SW_SEC)		/* CLI-QUAL-3 */
#define N		3
#define T0		(1000 * SW_SEC)

static const struct sw_v4ep map1 = { SW_IP4(203, 0, 113, 5), 40000 };
static const struct sw_v4ep map2 = { SW_IP4(203, 0, 113, 6), 40001 };
static const uint8_t client_id[] = "shipworm-test-client";
static const uint8_t secret[] = "a shared secret for the test";

struct fix {
	struct sw_client *c;
	struct sw_client_conf conf;
	struct sw_auth *key;
	struct sw_drop_counters drops;
	struct sw_actions acts;
	uint64_t seed;
	sw_time now;
};

/* What the fake server saw in an RS. */
struct rs_seen {
	uint32_t dst;
	uint8_t nonce[SW_NONCE_LEN];
};

/* ---- fixture ------------------------------------------------------------- */

static struct fix *
fix_conf(unsigned n_servers, bool with_key, uint64_t seed)
{
	struct fix *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->seed = seed != 0 ? seed : 1;
	f->now = T0;
	sw_client_conf_default(&f->conf);
	f->conf.servers[0].primary = S1;
	f->conf.servers[1].primary = S2;
	f->conf.servers[2].primary = SW_IP4(192, 0, 2, 100);
	f->conf.n_servers = n_servers;
	f->conf.v4.policy = SW_V4_LAB;
	f->conf.rng.fill = prng_fill;
	f->conf.rng.ctx = &f->seed;
	if (with_key) {
		assert_int_equal(sw_auth_new(&f->key, secret,
		    sizeof secret - 1), 0);
		f->conf.key = f->key;
		f->conf.client_id = client_id;
		f->conf.client_id_len = (uint8_t)(sizeof client_id - 1);
	}
	return f;
}

static void
fix_new(struct fix *f)
{
	assert_int_equal(sw_client_new(&f->c, &f->conf), 0);
	assert_non_null(f->c);
}

static struct fix *
fix(unsigned n_servers, bool with_key, uint64_t seed)
{
	struct fix *f = fix_conf(n_servers, with_key, seed);

	fix_new(f);
	return f;
}

static void
fix_free(struct fix *f)
{
	sw_client_free(f->c);
	sw_auth_free(f->key);
	free(f);
}

static void
reset(struct fix *f)
{
	acts_reset(&f->acts, &f->drops);
}

static struct sw_client_status
status(const struct fix *f)
{
	struct sw_client_status st;

	sw_client_status(f->c, &st);
	return st;
}

static void
start(struct fix *f)
{
	reset(f);
	sw_client_start(f->c, f->now, &f->acts);
}

static unsigned
count(const struct fix *f, enum sw_action_kind k)
{
	return acts_count(&f->acts, k);
}

/* The first action of kind k. */
static const struct sw_action *
find(const struct fix *f, enum sw_action_kind k)
{
	return acts_nth(&f->acts, k, 0);
}

/* The one STATE action of the last call: its state and reason. */
static void
assert_state_action(const struct fix *f, enum sw_client_state s,
    enum sw_client_reason r)
{
	const struct sw_action *a = find(f, SW_ACT_STATE);

	assert_int_equal(count(f, SW_ACT_STATE), 1);
	assert_int_equal(a->state, s);
	assert_int_equal(a->reason, r);
	assert_int_equal(status(f).state, s);
	assert_int_equal(status(f).reason, r);
}

/*
 * Advance the clock to the next deadline.  Ticks before it are no-ops
 * (a tick 1 µs early and one at the previous now change nothing).
 */
static void
to_deadline(struct fix *f)
{
	sw_time d = sw_client_next_deadline(f->c);
	struct sw_client_status before = status(f);

	assert_true(d != SW_TIME_NEVER);
	assert_true(d > f->now);
	reset(f);
	sw_client_tick(f->c, f->now, &f->acts);
	sw_client_tick(f->c, d - 1, &f->acts);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).state, before.state);
	assert_int_equal(sw_client_next_deadline(f->c), d);
	f->now = d;
	sw_client_tick(f->c, f->now, &f->acts);
	d = sw_client_next_deadline(f->c);
	assert_true(d == SW_TIME_NEVER || d >= f->now);
}

/* ---- the fake server --------------------------------------------------- */

/*
 * The single RS of the last call: sent on the service port to dst:3544,
 * from fe80::ffff:ffff:ffff (C = 0, CLI-QUAL-4) to ff02::2, valid per
 * RFC 4861 §6.1.1, led by an auth header (CLI-SQ-1): nonce-only (13
 * bytes) without a key, else client id + HMAC-SHA1 that verifies.
 */
static void
get_rs(const struct fix *f, struct rs_seen *rs)
{
	static const uint8_t all_routers[16] = { 0xff, 0x02,
	    [15] = 0x02 };
	const struct sw_action *a = find(f, SW_ACT_SEND_UDP);
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t ll[16];

	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	assert_int_equal(a->sock, SW_SOCK_PRIMARY);
	assert_int_equal(a->dst.port, SW_TEREDO_PORT);
	assert_int_equal(a->seg[1].len, 0);
	assert_int_equal(sw_wire_parse(a->seg[0].p, a->seg[0].len, &v, &why),
	    0);
	assert_true(v.has_auth);
	assert_false(v.has_origin);
	assert_int_equal(v.trailers_len, 0);
	assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why), 0);
	assert_int_equal(sw_wire_parse_rs(&ip), 0);
	sw_addr_client_ll(ll, false);
	assert_memory_equal(ip.src, ll, 16);
	assert_memory_equal(ip.dst, all_routers, 16);
	assert_int_equal(v.auth.conf, 0);
	if (f->key != NULL) {
		assert_int_equal(v.auth.id_len, sizeof client_id - 1);
		assert_memory_equal(v.auth.id, client_id, sizeof client_id - 1);
		assert_int_equal(v.auth.au_len, SW_AUTH_HMAC_LEN);
		assert_true(sw_auth_verify(f->key, &v));	/* CLI-SQ-4 */
	} else {
		assert_int_equal(v.auth.id_len, 0);
		assert_int_equal(v.auth.au_len, 0);
		assert_int_equal(v.ip6 - a->seg[0].p, SW_AUTH_MIN_LEN);
	}
	rs->dst = a->dst.addr;
	memcpy(rs->nonce, v.auth.nonce, SW_NONCE_LEN);
}

struct ra_opts {
	uint8_t conf;		/* confirmation byte (CLI-SQ-5) */
	unsigned n_pio;		/* 0 means 1 */
	bool no_mac;		/* omit the MAC even with a key */
	bool bad_nonce;
	uint16_t port;		/* UDP source; 0 means 3544 */
};

/* The server's RA (SRV-RA-*): auth (nonce echoed, MAC), origin, RA. */
static size_t
mk_ra(const struct fix *f, uint8_t *buf, size_t cap, uint32_t primary,
    const uint8_t nonce[SW_NONCE_LEN], const struct sw_v4ep *mapped,
    const struct ra_opts *o)
{
	struct sw_ra ra = {
		.retrans = 2000, .prefix_count = o->n_pio ? o->n_pio : 1,
		.prefix_len = 64, .pio_flags = 0x40, .valid = UINT32_MAX,
		.preferred = UINT32_MAX, .has_mtu = true, .mtu = 1280,
	};
	uint8_t src[16], dst[16], ip6[256], au[SW_AUTH_HMAC_LEN], ob[8];
	uint8_t n[SW_NONCE_LEN];
	bool mac = f->key != NULL && !o->no_mac;
	int len, alen;

	memcpy(n, nonce, sizeof n);
	if (o->bad_nonce)
		n[3] ^= 0x40;
	sw_put32(ra.prefix, f->conf.prefix);
	sw_put32(ra.prefix + 4, primary);
	sw_addr_server_ll(src, primary);
	sw_addr_client_ll(dst, false);
	len = sw_wire_build_ra(ip6, sizeof ip6, src, dst, &ra);
	assert_true(len > 0);
	assert_int_equal(sw_wire_build_origin(ob, sizeof ob, mapped), 8);
	if (mac)
		assert_int_equal(sw_auth_compute(f->key, n, o->conf, ob, ip6,
		    (size_t)len, au), 0);
	alen = sw_wire_build_auth(buf, cap, NULL, 0, mac ? au : NULL,
	    mac ? SW_AUTH_HMAC_LEN : 0, n, o->conf);
	assert_true(alen > 0);
	assert_true((size_t)alen + 8 + (size_t)len <= cap);
	memcpy(buf + alen, ob, 8);
	memcpy(buf + alen + 8, ip6, (size_t)len);
	return (size_t)alen + 8 + (size_t)len;
}

static void
deliver(struct fix *f, uint32_t from, uint16_t port, const uint8_t *buf,
    size_t len)
{
	struct sw_v4ep ep = { from, port };

	reset(f);
	sw_client_input(f->c, f->now, &ep, buf, len, &f->acts);
}

/* Answer the RS of the last call from `from` with mapping `m`. */
static void
answer_opts(struct fix *f, uint32_t from, const struct sw_v4ep *m,
    const struct ra_opts *o)
{
	const struct sw_client_status st = status(f);
	struct rs_seen rs;
	uint8_t buf[512];
	size_t len;

	get_rs(f, &rs);
	len = mk_ra(f, buf, sizeof buf, st.server.primary, rs.nonce, m, o);
	deliver(f, from, o->port ? o->port : SW_TEREDO_PORT, buf, len);
}

static void
answer(struct fix *f, const struct sw_v4ep *m)
{
	const struct ra_opts o = { 0 };
	struct rs_seen rs;

	get_rs(f, &rs);
	answer_opts(f, rs.dst, m, &o);	/* from where the RS went */
}

/* COM-ADDR-*, COM-FLAG-*: what an address set by the client must be. */
static void
check_addr(const struct fix *f, const uint8_t a[16], uint32_t server,
    const struct sw_v4ep *m)
{
	struct sw_teredo t;

	sw_addr_decode(a, &t);
	assert_int_equal(t.prefix, f->conf.prefix);
	assert_int_equal(t.server, server);
	assert_true(sw_v4ep_eq(&t.mapped, m));
	assert_int_equal(t.flags & SW_FLAG_CONE, 0);		/* CLI-ADDR-2 */
	assert_int_equal(t.flags & SW_FLAG_RESERVED, 0);	/* COM-FLAG-3 */
	assert_int_equal(t.flags & ~SW_FLAG_RANDOM_MASK, 0);	/* U = G = 0 */
}

/* Full qualification with mapping m; leaves the ADDR_SET call in acts. */
static void
qualify(struct fix *f, const struct sw_v4ep *m)
{
	uint32_t primary;

	start(f);
	primary = status(f).server.primary;
	answer(f, m);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
	answer(f, m);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_int_equal(count(f, SW_ACT_ADDR_SET), 1);
	check_addr(f, find(f, SW_ACT_ADDR_SET)->addr, primary, m);
}

/* ---- configuration and names -------------------------------------------- */

static void
test_conf_validation(void **state)
{
	static const struct {
		const char *what;
		int field;
	} v[] = {
		{ "no server", 0 }, { "too many servers", 1 },
		{ "refresh 0", 2 }, { "rs_timeout 0", 3 }, { "rs_tries 0", 4 },
		{ "backoff_min 0", 5 }, { "backoff_max < min", 6 },
		{ "no rng", 7 }, { "id length without id", 8 },
		{ "primary 0.0.0.0", 9 },
	};
	static int not_null;
	struct sw_client *c = (struct sw_client *)(void *)&not_null;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct fix *f = fix_conf(2, false, 1);

		switch (v[i].field) {
		case 0: f->conf.n_servers = 0; break;
		case 1: f->conf.n_servers = SW_CLIENT_MAX_SERVERS + 1; break;
		case 2: f->conf.refresh = 0; break;
		case 3: f->conf.rs_timeout = 0; break;
		case 4: f->conf.rs_tries = 0; break;
		case 5: f->conf.backoff_min = 0; break;
		case 6: f->conf.backoff_max = f->conf.backoff_min - 1; break;
		case 7: f->conf.rng.fill = NULL; break;
		case 8: f->conf.client_id_len = 4; break;
		case 9: f->conf.servers[1].primary = 0; break;
		default: break;
		}
		if (sw_client_new(&c, &f->conf) != -EINVAL || c != NULL)
			fail_msg("accepted: %s", v[i].what);
		fix_free(f);
	}
}

static void
test_conf_default_and_copy(void **state)
{
	struct sw_client_conf d;
	struct fix *f = fix_conf(2, true, 7);
	uint8_t id[] = "shipworm-test-client";

	(void)state;
	sw_client_conf_default(&d);
	assert_int_equal(d.prefix, SW_TEREDO_PREFIX);
	assert_int_equal(d.refresh, 30 * SW_SEC);	/* CLI-MNT-2 */
	assert_int_equal(d.rs_timeout, T);		/* CLI-QUAL-3 */
	assert_int_equal(d.rs_tries, N);
	assert_int_equal(d.backoff_min, 4 * SW_SEC);
	assert_int_equal(d.backoff_max, 300 * SW_SEC);
	assert_int_equal(d.v4.policy, SW_V4_HARDENED);
	assert_null(d.key);

	/* The client id is copied: the caller's buffer may go away. */
	f->conf.client_id = id;
	fix_new(f);
	memset(id, 'X', sizeof id);
	start(f);
	get_rs(f, &(struct rs_seen){ 0 });	/* checks the id bytes */
	/* CLI-CFG-1: secondary = primary + 1 by default. */
	assert_int_equal(status(f).server.secondary, S1 + 1);
	fix_free(f);

	f = fix_conf(2, false, 7);
	f->conf.servers[0].secondary = SW_IP4(192, 0, 2, 77);
	fix_new(f);
	assert_int_equal(status(f).server.secondary, SW_IP4(192, 0, 2, 77));
	fix_free(f);
}

/* CLI-CFG-2: the longest client id (255 bytes) fits the RS and its MAC. */
static void
test_long_client_id(void **state)
{
	struct fix *f = fix_conf(1, true, 9);
	uint8_t id[255];
	const struct sw_action *a;
	struct sw_teredo_view v;
	enum sw_drop why;

	(void)state;
	for (size_t i = 0; i < sizeof id; i++)
		id[i] = (uint8_t)i;
	f->conf.client_id = id;
	f->conf.client_id_len = sizeof id;
	fix_new(f);
	start(f);
	a = find(f, SW_ACT_SEND_UDP);
	assert_int_equal(a->seg[0].len, SW_AUTH_MIN_LEN + 255 +
	    SW_AUTH_HMAC_LEN + 48);
	assert_int_equal(sw_wire_parse(a->seg[0].p, a->seg[0].len, &v, &why),
	    0);
	assert_int_equal(v.auth.id_len, 255);
	assert_memory_equal(v.auth.id, id, sizeof id);
	assert_true(sw_auth_verify(f->key, &v));
	fix_free(f);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(sw_client_state_name(SW_CLIENT_OFFLINE),
	    "offline");
	assert_string_equal(sw_client_state_name(SW_CLIENT_PROBE_PRIMARY),
	    "probe-primary");
	assert_string_equal(sw_client_state_name(SW_CLIENT_PROBE_SECONDARY),
	    "probe-secondary");
	assert_string_equal(sw_client_state_name(SW_CLIENT_QUALIFIED),
	    "qualified");
	assert_string_equal(sw_client_state_name(SW_CLIENT__STATES), "?");
	for (int r = 0; r < SW_CLIENT__REASONS; r++) {
		const char *n = sw_client_reason_name((enum sw_client_reason)r);

		assert_true(strlen(n) > 1);
		for (int q = 0; q < r; q++)
			assert_string_not_equal(n,
			    sw_client_reason_name((enum sw_client_reason)q));
	}
	assert_string_equal(sw_client_reason_name(SW_CLIENT__REASONS), "?");
	assert_string_equal(sw_nat_type_name(SW_NAT_SYMMETRIC), "symmetric");
	assert_string_equal(sw_nat_type_name(SW_NAT_NONE), "none");
	assert_string_equal(sw_nat_type_name((enum sw_nat_type)99), "?");
	assert_string_equal(sw_drop_name(SW_DROP_RA_WRONG_SOURCE),
	    "ra-wrong-source");
	assert_string_equal(sw_drop_name(SW_DROP_CLIENT_NOT_READY),
	    "client-not-ready");
}

/* ---- qualification (CLI-QUAL-*) ----------------------------------------- */

static void
test_before_start(void **state)
{
	struct fix *f = fix(1, false, 3);
	struct rs_seen rs = { .dst = S1 };
	uint8_t buf[512];
	size_t len;

	(void)state;
	/* CLI-QUAL-1: nothing is sent before start; no timer runs. */
	assert_int_equal(status(f).state, SW_CLIENT_OFFLINE);
	assert_int_equal(status(f).reason, SW_CLIENT_REASON_NONE);
	assert_int_equal(status(f).nat, SW_NAT_UNKNOWN);
	assert_int_equal(status(f).last_server_rx, SW_TIME_NEVER);
	assert_false(status(f).has_addr);
	assert_int_equal(sw_client_next_deadline(f->c), SW_TIME_NEVER);
	reset(f);
	sw_client_tick(f->c, f->now, &f->acts);
	sw_client_tick(f->c, SW_TIME_NEVER - 1, &f->acts);
	assert_int_equal(f->acts.n, 0);
	/* An RA with no RS outstanding cannot match a nonce (CLI-SQ-2). */
	len = mk_ra(f, buf, sizeof buf, S1, rs.nonce, &map1,
	    &(struct ra_opts){ 0 });
	deliver(f, S1, SW_TEREDO_PORT, buf, len);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_RA_NONCE], 1);
	assert_int_equal(status(f).state, SW_CLIENT_OFFLINE);
	fix_free(f);
}

static void
test_qualify_full_path(void **state)
{
	struct fix *f = fix(2, false, 11);
	struct rs_seen rs1, rs2;
	struct sw_client_status st;
	const struct sw_action *a;
	sw_time t_ra;

	(void)state;
	/* CLI-QUAL-2: RS to the primary of server 0, status PROBE_PRIMARY. */
	start(f);
	assert_state_action(f, SW_CLIENT_PROBE_PRIMARY, SW_CLIENT_REASON_NONE);
	get_rs(f, &rs1);
	assert_int_equal(rs1.dst, S1);
	assert_int_equal(sw_client_next_deadline(f->c), f->now + T);
	assert_int_equal(status(f).server_index, 0);

	/* RA with M1: CLI-QUAL-6, RS to the secondary with a new nonce. */
	f->now += SW_SEC;
	answer(f, &map1);
	assert_state_action(f, SW_CLIENT_PROBE_SECONDARY,
	    SW_CLIENT_REASON_NONE);
	get_rs(f, &rs2);
	assert_int_equal(rs2.dst, S1 + 1);
	assert_memory_not_equal(rs1.nonce, rs2.nonce, SW_NONCE_LEN);
	assert_int_equal(sw_client_next_deadline(f->c), f->now + T);
	assert_int_equal(status(f).last_server_rx, f->now);
	assert_false(status(f).has_addr);

	/* RA with M2 == M1: QUALIFIED, one ADDR_SET then STATE. */
	f->now += SW_SEC;
	t_ra = f->now;
	answer(f, &map1);
	assert_int_equal(f->acts.n, 2);
	assert_int_equal(f->acts.a[0].kind, SW_ACT_ADDR_SET);
	assert_int_equal(f->acts.a[1].kind, SW_ACT_STATE);
	assert_state_action(f, SW_CLIENT_QUALIFIED, SW_CLIENT_REASON_NONE);
	a = find(f, SW_ACT_ADDR_SET);
	check_addr(f, a->addr, S1, &map1);	/* CLI-ADDR-1/2 */

	st = status(f);
	assert_true(st.has_addr);
	assert_memory_equal(st.addr, a->addr, 16);
	assert_true(sw_v4ep_eq(&st.mapped, &map1));
	assert_int_equal(st.nat, SW_NAT_CONE_OR_RESTRICTED);
	assert_int_equal(st.server.primary, S1);
	assert_int_equal(st.server_index, 0);
	assert_int_equal(st.qualifications, 1);
	assert_int_equal(st.address_changes, 0);
	assert_int_equal(st.last_server_rx, t_ra);
	assert_int_equal(st.refresh, 30 * SW_SEC);
	assert_true(st.next_refresh >= t_ra + 30 * SW_SEC * 3 / 4);
	assert_true(st.next_refresh <= t_ra + 30 * SW_SEC);
	assert_int_equal(sw_client_next_deadline(f->c), st.next_refresh);
	assert_int_equal(f->drops.n[SW_DROP_RA_NONCE], 0);
	fix_free(f);
}

static void
test_nat_none(void **state)
{
	struct fix *f = fix_conf(1, false, 5);

	(void)state;
	f->conf.local = map1;	/* our socket is the mapping: no NAT */
	fix_new(f);
	qualify(f, &map1);
	assert_int_equal(status(f).nat, SW_NAT_NONE);
	fix_free(f);
	/* local 0.0.0.0 (unknown) never means "no NAT" */
	f = fix_conf(1, false, 5);
	f->conf.local.port = map1.port;
	fix_new(f);
	qualify(f, &map1);
	assert_int_equal(status(f).nat, SW_NAT_CONE_OR_RESTRICTED);
	fix_free(f);
}

/* CLI-SQ-1: every RS has a fresh nonce, in either auth form, including
 * the retransmissions; CLI-SQ-3: with a key, RAs must carry the MAC. */
static void
test_rs_nonce_and_auth(void **state)
{
	(void)state;
	for (int with_key = 0; with_key < 2; with_key++) {
		struct fix *f = fix(2, with_key, 21);
		uint8_t seen[16][SW_NONCE_LEN];
		unsigned n = 0;
		struct rs_seen rs;

		start(f);
		for (int i = 0; i < 2 * N; i++) {	/* two servers */
			get_rs(f, &rs);
			memcpy(seen[n++], rs.nonce, SW_NONCE_LEN);
			to_deadline(f);
		}
		assert_int_equal(status(f).state, SW_CLIENT_OFFLINE);
		to_deadline(f);
		get_rs(f, &rs);
		memcpy(seen[n++], rs.nonce, SW_NONCE_LEN);
		answer(f, &map1);
		get_rs(f, &rs);
		memcpy(seen[n++], rs.nonce, SW_NONCE_LEN);
		for (unsigned i = 0; i < n; i++)
			for (unsigned j = 0; j < i; j++)
				assert_memory_not_equal(seen[i], seen[j],
				    SW_NONCE_LEN);
		if (with_key) {
			/* An RA without the MAC is dropped (CLI-SQ-3). */
			answer_opts(f, S1 + 1, &map1,
			    &(struct ra_opts){ .no_mac = true });
			assert_int_equal(f->acts.n, 0);
			assert_int_equal(f->drops.n[SW_DROP_RA_MAC], 1);
			assert_int_equal(status(f).state,
			    SW_CLIENT_PROBE_SECONDARY);
		}
		fix_free(f);
	}
}

static void
test_qualify_with_key(void **state)
{
	struct fix *f = fix(1, true, 33);

	(void)state;
	qualify(f, &map1);
	assert_int_equal(status(f).qualifications, 1);
	assert_int_equal(f->drops.n[SW_DROP_RA_MAC], 0);
	fix_free(f);
}

/* CLI-QUAL-3/5: N RSs T apart per server, then the next server; after
 * the last, OFFLINE NO_ANSWER with a backoff that doubles up to its cap
 * (CLI-QUAL-9). */
static void
test_timeouts_failover_backoff(void **state)
{
	static const sw_time backoff[] = { 4, 8, 16, 32, 64, 128, 256, 300,
	    300, 300 };
	struct fix *f = fix(2, false, 44);
	struct rs_seen rs;

	(void)state;
	start(f);
	for (size_t round = 0; round < sizeof backoff / sizeof backoff[0];
	    round++) {
		sw_time t_round = f->now;

		for (unsigned s = 0; s < 2; s++) {
			for (unsigned i = 0; i < N; i++) {
				get_rs(f, &rs);
				assert_int_equal(rs.dst, s == 0 ? S1 : S2);
				assert_int_equal(f->now,
				    t_round + (s * N + i) * T);
				assert_int_equal(status(f).server_index, s);
				assert_int_equal(status(f).state,
				    SW_CLIENT_PROBE_PRIMARY);
				if (i == 0)
					assert_state_action(f,
					    SW_CLIENT_PROBE_PRIMARY, round == 0 &&
					    s == 0 ? SW_CLIENT_REASON_NONE :
					    SW_CLIENT_REASON_NO_ANSWER);
				else
					assert_int_equal(f->acts.n, 1);
				assert_int_equal(sw_client_next_deadline(f->c),
				    f->now + T);
				to_deadline(f);
			}
		}
		/* all servers failed: OFFLINE, nothing sent */
		assert_int_equal(f->now, t_round + 2 * N * T);
		assert_int_equal(count(f, SW_ACT_SEND_UDP), 0);
		assert_state_action(f, SW_CLIENT_OFFLINE,
		    SW_CLIENT_REASON_NO_ANSWER);
		assert_int_equal(sw_client_next_deadline(f->c),
		    f->now + backoff[round] * SW_SEC);
		/* backoff expiry: the round restarts at server 0 */
		to_deadline(f);
		assert_int_equal(status(f).server_index, 0);
	}
	assert_int_equal(status(f).qualifications, 0);
	fix_free(f);
}

/* Backoff returns to its minimum after a successful qualification. */
static void
test_backoff_reset(void **state)
{
	struct fix *f = fix(1, false, 45);

	(void)state;
	start(f);
	for (int r = 0; r < 3; r++) {		/* backoffs 4, 8, 16 */
		for (int i = 0; i < N; i++)
			to_deadline(f);
		assert_int_equal(status(f).state, SW_CLIENT_OFFLINE);
		to_deadline(f);
	}
	answer(f, &map1);
	answer(f, &map1);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	/* refresh fails (1 server: probe it again), then OFFLINE: 4 s */
	to_deadline(f);
	for (int i = 0; i < N; i++)
		to_deadline(f);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	for (int i = 0; i < N; i++)
		to_deadline(f);
	assert_state_action(f, SW_CLIENT_OFFLINE, SW_CLIENT_REASON_NO_ANSWER);
	assert_int_equal(sw_client_next_deadline(f->c), f->now + 4 * SW_SEC);
	fix_free(f);
}

/* CLI-QUAL-6: no answer from the secondary address: service not usable
 * with this server, next one. */
static void
test_secondary_no_answer(void **state)
{
	struct fix *f = fix(2, false, 55);
	struct rs_seen rs;

	(void)state;
	start(f);
	answer(f, &map1);
	for (int i = 0; i < N; i++) {
		get_rs(f, &rs);
		assert_int_equal(rs.dst, S1 + 1);
		to_deadline(f);
	}
	assert_state_action(f, SW_CLIENT_PROBE_PRIMARY,
	    SW_CLIENT_REASON_NO_ANSWER);
	get_rs(f, &rs);
	assert_int_equal(rs.dst, S2);
	assert_int_equal(status(f).server_index, 1);
	/* server 2 works: address embeds server 2 */
	answer(f, &map1);
	answer(f, &map1);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	check_addr(f, find(f, SW_ACT_ADDR_SET)->addr, S2, &map1);
	assert_int_equal(status(f).reason, SW_CLIENT_REASON_NONE);
	fix_free(f);
}

/* CLI-QUAL-6: M2 != M1 is a symmetric NAT: OFFLINE, never an address,
 * retried after a doubling backoff. */
static void
test_symmetric_nat(void **state)
{
	struct fix *f = fix(2, false, 66);
	unsigned addr_sets = 0;

	(void)state;
	start(f);
	for (int r = 0; r < 4; r++) {
		answer(f, &map1);
		addr_sets += count(f, SW_ACT_ADDR_SET);
		assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
		answer(f, &map2);
		addr_sets += count(f, SW_ACT_ADDR_SET);
		assert_int_equal(count(f, SW_ACT_SEND_UDP), 0);
		assert_state_action(f, SW_CLIENT_OFFLINE,
		    SW_CLIENT_REASON_SYMMETRIC_NAT);
		assert_int_equal(status(f).nat, SW_NAT_SYMMETRIC);
		assert_false(status(f).has_addr);
		assert_int_equal(sw_client_next_deadline(f->c),
		    f->now + ((sw_time)4 << r) * SW_SEC);
		to_deadline(f);
		/* the retry goes to server 0, keeping the reason */
		assert_state_action(f, SW_CLIENT_PROBE_PRIMARY,
		    SW_CLIENT_REASON_SYMMETRIC_NAT);
		assert_int_equal(status(f).server_index, 0);
	}
	assert_int_equal(addr_sets, 0);
	assert_int_equal(status(f).qualifications, 0);
	fix_free(f);
}

/* ---- RA acceptance (CLI-RA-1, CLI-SQ-2, CLI-QUAL-8) ---------------------- */

static void
test_forged_nonce_then_valid(void **state)
{
	struct fix *f = fix(1, false, 77);
	struct rs_seen rs;

	(void)state;
	start(f);
	get_rs(f, &rs);
	/* D4, CLI-SQ-2: wrong nonce, ignored and counted */
	answer_opts(f, S1, &map2, &(struct ra_opts){ .bad_nonce = true });
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_RA_NONCE], 1);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	assert_int_equal(status(f).last_server_rx, SW_TIME_NEVER);
	assert_int_equal(sw_client_next_deadline(f->c), f->now + T);
	/* the genuine answer to the same RS is still accepted */
	{
		uint8_t buf[512];
		size_t len = mk_ra(f, buf, sizeof buf, S1, rs.nonce, &map1,
		    &(struct ra_opts){ 0 });

		deliver(f, S1, SW_TEREDO_PORT, buf, len);
		assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
		/* a replay of it no longer matches (only the latest RS) */
		deliver(f, S1, SW_TEREDO_PORT, buf, len);
		assert_int_equal(f->acts.n, 0);
		assert_int_equal(f->drops.n[SW_DROP_RA_NONCE], 2);
	}
	fix_free(f);
}

/* Only the latest RS's nonce is accepted: a late answer to RS 1 after RS
 * 2 went out is dropped. */
static void
test_late_answer_dropped(void **state)
{
	struct fix *f = fix(1, false, 78);
	struct rs_seen rs1, rs2;
	uint8_t buf[512];
	size_t len;

	(void)state;
	start(f);
	get_rs(f, &rs1);
	to_deadline(f);
	get_rs(f, &rs2);
	len = mk_ra(f, buf, sizeof buf, S1, rs1.nonce, &map1,
	    &(struct ra_opts){ 0 });
	deliver(f, S1, SW_TEREDO_PORT, buf, len);
	assert_int_equal(f->drops.n[SW_DROP_RA_NONCE], 1);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	len = mk_ra(f, buf, sizeof buf, S1, rs2.nonce, &map1,
	    &(struct ra_opts){ 0 });
	deliver(f, S1, SW_TEREDO_PORT, buf, len);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
	fix_free(f);
}

static void
test_ra_rejections(void **state)
{
	static const struct {
		const char *what;
		uint32_t from;
		struct ra_opts o;
		enum sw_drop want;
	} v[] = {
		{ "CLI-RA-1(4) two PIOs", S1, { .n_pio = 2 },
		    SW_DROP_RA_PREFIX_COUNT },
		{ "not a server address", SW_IP4(192, 0, 2, 99), { 0 },
		    SW_DROP_RA_WRONG_SOURCE },
		{ "the other server", S2, { 0 }, SW_DROP_RA_WRONG_SOURCE },
		{ "server address, wrong port", S1, { .port = 3545 },
		    SW_DROP_RA_WRONG_SOURCE },
		{ "secondary address, wrong port", S1 + 1, { .port = 1024 },
		    SW_DROP_RA_WRONG_SOURCE },
		{ "wrong nonce", S1, { .bad_nonce = true },
		    SW_DROP_RA_NONCE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct fix *f = fix(2, false, 88 + i);
		sw_time d;

		start(f);
		d = sw_client_next_deadline(f->c);
		answer_opts(f, v[i].from, &map1, &v[i].o);
		if (f->acts.n != 0 || f->drops.n[v[i].want] != 1 ||
		    status(f).state != SW_CLIENT_PROBE_PRIMARY ||
		    sw_client_next_deadline(f->c) != d)
			fail_msg("not ignored: %s", v[i].what);
		/* a valid one afterwards is accepted */
		to_deadline(f);
		answer(f, &map1);
		assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
		fix_free(f);
	}
}

/* rfc-notes item 11: the RA may come from the server's other address. */
static void
test_ra_from_secondary_address(void **state)
{
	struct fix *f = fix(1, false, 99);

	(void)state;
	start(f);
	answer_opts(f, S1 + 1, &map1, &(struct ra_opts){ 0 });
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
	answer_opts(f, S1, &map1, &(struct ra_opts){ 0 });
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	fix_free(f);
}

/* D1, D5 (CLI-RA-3) and the data path placeholder. */
static void
test_other_datagrams(void **state)
{
	struct fix *f = fix(1, false, 111);
	uint8_t buf[128], ll[16], dst[16];
	int n;

	(void)state;
	qualify(f, &map1);
	sw_addr_client_ll(ll, false);
	/* an RS sent to us, even from the server: D5 */
	n = sw_wire_build_rs(buf, sizeof buf, ll);
	deliver(f, S1, SW_TEREDO_PORT, buf, (size_t)n);
	assert_int_equal(f->drops.n[SW_DROP_RS_RECEIVED], 1);
	/* a bubble from a non-Teredo source: never starts a ping test
	 * (CLI-RX-9, HARD-3) */
	memcpy(dst, status(f).addr, 16);
	n = sw_wire_build_bubble(buf, sizeof buf, ll, dst, 64);
	deliver(f, SW_IP4(203, 0, 113, 77), 5000, buf, (size_t)n);
	assert_int_equal(f->drops.n[SW_DROP_BUBBLE_UNMATCHED], 1);
	/* D1: truncated */
	buf[0] = 0x00;
	deliver(f, S1, SW_TEREDO_PORT, buf, 1);
	assert_int_equal(f->drops.n[SW_DROP_TRUNCATED], 1);
	deliver(f, S1, SW_TEREDO_PORT, buf, 0);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	fix_free(f);
}

/* CLI-RA-4: a mapping that is not global unicast cannot form an address:
 * that server is failed (next one, or OFFLINE MAPPING_NOT_GLOBAL). */
static void
test_mapping_not_global(void **state)
{
	static const struct sw_v4ep priv = { SW_IP4(10, 1, 2, 3), 4096 };
	struct fix *f = fix(2, false, 122);
	struct rs_seen rs;

	(void)state;
	start(f);
	answer(f, &priv);
	assert_int_equal(f->drops.n[SW_DROP_V4_NOT_GLOBAL], 1);
	assert_state_action(f, SW_CLIENT_PROBE_PRIMARY,
	    SW_CLIENT_REASON_MAPPING_NOT_GLOBAL);
	get_rs(f, &rs);
	assert_int_equal(rs.dst, S2);
	answer(f, &map1);			/* secondary of S2 says private */
	answer(f, &priv);
	assert_state_action(f, SW_CLIENT_OFFLINE,
	    SW_CLIENT_REASON_MAPPING_NOT_GLOBAL);
	assert_int_equal(count(f, SW_ACT_ADDR_SET), 0);
	assert_int_equal(sw_client_next_deadline(f->c), f->now + 4 * SW_SEC);
	fix_free(f);

	/* during a refresh: withdraw, fail over */
	f = fix(2, false, 123);
	qualify(f, &map1);
	to_deadline(f);
	answer(f, &priv);
	assert_int_equal(f->acts.n, 3);
	assert_int_equal(f->acts.a[0].kind, SW_ACT_ADDR_CLEAR);
	assert_state_action(f, SW_CLIENT_PROBE_PRIMARY,
	    SW_CLIENT_REASON_MAPPING_NOT_GLOBAL);
	assert_false(status(f).has_addr);
	get_rs(f, &rs);
	assert_int_equal(rs.dst, S2);
	fix_free(f);
}

/* CLI-SQ-5: a non-zero confirmation with a key: OFFLINE KEY_REJECTED. */
static void
test_key_rejected(void **state)
{
	struct fix *f = fix(2, true, 133);

	(void)state;
	start(f);
	answer_opts(f, S1, &map1, &(struct ra_opts){ .conf = 1 });
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 0);
	assert_state_action(f, SW_CLIENT_OFFLINE,
	    SW_CLIENT_REASON_KEY_REJECTED);
	assert_int_equal(sw_client_next_deadline(f->c), f->now + 4 * SW_SEC);
	fix_free(f);

	/* in a refresh: the address goes too */
	f = fix(1, true, 134);
	qualify(f, &map1);
	to_deadline(f);
	answer_opts(f, S1, &map1, &(struct ra_opts){ .conf = 1 });
	assert_int_equal(f->acts.a[0].kind, SW_ACT_ADDR_CLEAR);
	assert_state_action(f, SW_CLIENT_OFFLINE,
	    SW_CLIENT_REASON_KEY_REJECTED);
	assert_false(status(f).has_addr);
	fix_free(f);

	/* without a key the confirmation byte means nothing */
	f = fix(1, false, 135);
	start(f);
	answer_opts(f, S1, &map1, &(struct ra_opts){ .conf = 1 });
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
	fix_free(f);
}

/* ---- maintenance (CLI-MNT-*) -------------------------------------------- */

/* CLI-MNT-1/2: the refresh RS goes at 75-100 % of the interval after the
 * RA, over many seeds, and uses most of that range. */
static void
test_refresh_timing(void **state)
{
	const sw_time r = 30 * SW_SEC;
	sw_time lo = SW_TIME_NEVER, hi = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		struct fix *f = fix(1, false, seed * 7919);
		sw_time d, t_ra;
		struct rs_seen rs;

		qualify(f, &map1);
		t_ra = f->now;
		d = sw_client_next_deadline(f->c) - t_ra;
		assert_true(d >= r * 3 / 4 && d <= r);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		/* ... and again after a refresh RA */
		to_deadline(f);
		get_rs(f, &rs);
		f->now += 100 * SW_MSEC;
		answer(f, &map1);
		d = sw_client_next_deadline(f->c) - f->now;
		assert_true(d >= r * 3 / 4 && d <= r);
		assert_int_equal(status(f).last_server_rx, f->now);
		fix_free(f);
	}
	assert_true(lo < r * 3 / 4 + SW_SEC);
	assert_true(hi > r - SW_SEC);
}

/* CLI-MNT-3/5, COM-FLAG-5: same mapping keeps the address and its flags. */
static void
test_refresh_same_mapping(void **state)
{
	struct fix *f = fix(2, false, 144);
	uint8_t addr[16];
	uint8_t nonces[N][SW_NONCE_LEN];
	struct rs_seen rs;
	sw_time due;

	(void)state;
	qualify(f, &map1);
	memcpy(addr, status(f).addr, 16);
	for (int cycle = 0; cycle < 5; cycle++) {
		due = sw_client_next_deadline(f->c);
		assert_int_equal(status(f).next_refresh, due);
		to_deadline(f);
		/* the refresh RS goes to the primary; no STATE change */
		assert_int_equal(f->acts.n, 1);
		get_rs(f, &rs);
		assert_int_equal(rs.dst, S1);
		memcpy(nonces[0], rs.nonce, SW_NONCE_LEN);
		/* lose the first two: retransmitted T apart, fresh nonces */
		for (int i = 1; i < N; i++) {
			to_deadline(f);
			assert_int_equal(f->now, due + (sw_time)i * T);
			get_rs(f, &rs);
			assert_int_equal(rs.dst, S1);
			memcpy(nonces[i], rs.nonce, SW_NONCE_LEN);
			for (int j = 0; j < i; j++)
				assert_memory_not_equal(nonces[i], nonces[j],
				    SW_NONCE_LEN);
		}
		assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
		assert_true(status(f).has_addr);
		answer(f, &map1);
		assert_int_equal(f->acts.n, 0);		/* no ADDR_SET */
		assert_memory_equal(status(f).addr, addr, 16);
		assert_int_equal(status(f).address_changes, 0);
	}
	assert_int_equal(status(f).qualifications, 1);
	fix_free(f);
}

/* CLI-MNT-5: a new mapping: exactly one ADDR_SET, replacing the old. */
static void
test_refresh_mapping_change(void **state)
{
	struct fix *f = fix(1, false, 155);
	const struct sw_action *a;
	struct sw_client_status st;
	uint8_t old[16];

	(void)state;
	qualify(f, &map1);
	memcpy(old, status(f).addr, 16);
	to_deadline(f);
	answer(f, &map2);
	assert_int_equal(f->acts.n, 1);
	a = find(f, SW_ACT_ADDR_SET);
	check_addr(f, a->addr, S1, &map2);
	assert_memory_not_equal(a->addr, old, 16);
	assert_memory_equal(status(f).addr, a->addr, 16);
	st = status(f);
	assert_true(sw_v4ep_eq(&st.mapped, &map2));
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_int_equal(status(f).address_changes, 1);
	assert_int_equal(status(f).qualifications, 1);
	fix_free(f);
}

/* CLI-MNT-6: no RA after N refresh RSs: withdraw, fail over. */
static void
test_refresh_failure(void **state)
{
	struct fix *f = fix(2, false, 166);
	struct rs_seen rs;
	sw_time due;

	(void)state;
	qualify(f, &map1);
	due = sw_client_next_deadline(f->c);
	for (int i = 0; i < N; i++) {
		to_deadline(f);
		assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
		get_rs(f, &rs);
		assert_int_equal(rs.dst, S1);
	}
	to_deadline(f);
	assert_int_equal(f->now, due + N * T);
	assert_int_equal(f->acts.n, 3);
	assert_int_equal(f->acts.a[0].kind, SW_ACT_ADDR_CLEAR);
	assert_state_action(f, SW_CLIENT_PROBE_PRIMARY,
	    SW_CLIENT_REASON_NO_ANSWER);
	assert_false(status(f).has_addr);
	assert_int_equal(status(f).server_index, 1);
	get_rs(f, &rs);
	assert_int_equal(rs.dst, S2);
	/* server 2 fails too, then server 1 (the round wraps) */
	for (int i = 0; i < N; i++)
		to_deadline(f);
	assert_int_equal(status(f).server_index, 0);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	for (int i = 0; i < N; i++)
		to_deadline(f);
	assert_state_action(f, SW_CLIENT_OFFLINE, SW_CLIENT_REASON_NO_ANSWER);
	assert_int_equal(count(f, SW_ACT_ADDR_CLEAR), 0);	/* once only */
	fix_free(f);
}

/* COM-FLAG-5: the random bits survive a withdrawal when server and
 * mapping come back the same. */
static void
test_flags_kept_on_requalify(void **state)
{
	struct fix *f = fix(1, false, 177);
	uint8_t addr[16];

	(void)state;
	qualify(f, &map1);
	memcpy(addr, status(f).addr, 16);
	for (int i = 0; i <= N; i++)
		to_deadline(f);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	answer(f, &map1);
	answer(f, &map1);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_memory_equal(find(f, SW_ACT_ADDR_SET)->addr, addr, 16);
	assert_int_equal(status(f).qualifications, 2);
	fix_free(f);
}

/* sw_client_start() again (CLI-QUAL-9: re-qualify on a change). */
static void
test_restart(void **state)
{
	struct fix *f = fix(2, false, 188);
	struct rs_seen rs;

	(void)state;
	qualify(f, &map1);
	f->now += SW_SEC;
	start(f);
	assert_int_equal(f->acts.a[0].kind, SW_ACT_ADDR_CLEAR);
	assert_state_action(f, SW_CLIENT_PROBE_PRIMARY, SW_CLIENT_REASON_NONE);
	get_rs(f, &rs);
	assert_int_equal(rs.dst, S1);
	assert_false(status(f).has_addr);
	assert_int_equal(status(f).nat, SW_NAT_UNKNOWN);
	fix_free(f);
}

/* A full action list: counted, the FSM still moves and recovers. */
static void
test_actions_full(void **state)
{
	struct fix *f = fix(1, false, 199);

	(void)state;
	reset(f);
	while (sw_actions_push(&f->acts, SW_ACT_STATE) != NULL)
		;
	f->drops.n[SW_DROP_ACTIONS_FULL] = 0;
	sw_client_start(f->c, f->now, &f->acts);
	assert_true(f->drops.n[SW_DROP_ACTIONS_FULL] >= 1);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	assert_int_equal(sw_client_next_deadline(f->c), f->now + T);
	to_deadline(f);
	answer(f, &map1);
	answer(f, &map1);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	fix_free(f);
}

/*
 * Random walks: a lossy fake server, random tick times.  Invariants:
 * ticks before the deadline change nothing, a tick leaves the deadline
 * in the future, QUALIFIED <=> an address, ADDR_SET/CLEAR pair up.
 */
static void
test_random_walk(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint64_t r = seed * 0x9e3779b97f4a7c15ull;
		struct fix *f = fix(1 + (unsigned)(seed % 3), seed & 1, seed);
		bool model_addr = false;
		uint8_t model[16] = { 0 };

		start(f);
		for (int step = 0; step < 400; step++) {
			sw_time d = sw_client_next_deadline(f->c);
			uint64_t x = xorshift64(&r);
			struct sw_client_status before = status(f);

			if (count(f, SW_ACT_SEND_UDP) == 1 && x % 4 != 0) {
				/* the server answers (mostly the same map) */
				f->now += x % 3000 * SW_MSEC;
				if (f->now >= d)
					f->now = d - 1;
				answer(f, x % 16 == 1 ? &map2 : &map1);
			} else if (x % 3 == 0 && d > f->now + 1) {
				/* early tick: a no-op */
				f->now += (x >> 8) % (d - f->now);
				reset(f);
				sw_client_tick(f->c, f->now, &f->acts);
				assert_int_equal(f->acts.n, 0);
				assert_int_equal(status(f).state, before.state);
				assert_int_equal(sw_client_next_deadline(f->c),
				    d);
			} else {
				assert_true(d != SW_TIME_NEVER);
				f->now = d + (x >> 16) % (2 * SW_SEC);
				reset(f);
				sw_client_tick(f->c, f->now, &f->acts);
				assert_true(sw_client_next_deadline(f->c) >
				    f->now);
			}
			for (unsigned i = 0; i < f->acts.n; i++) {
				const struct sw_action *a = &f->acts.a[i];

				if (a->kind == SW_ACT_ADDR_SET) {
					model_addr = true;
					memcpy(model, a->addr, 16);
				} else if (a->kind == SW_ACT_ADDR_CLEAR) {
					assert_true(model_addr);
					model_addr = false;
				}
			}
			assert_true(status(f).state < SW_CLIENT__STATES);
			assert_int_equal(status(f).has_addr, model_addr);
			assert_int_equal(status(f).has_addr,
			    status(f).state == SW_CLIENT_QUALIFIED);
			if (model_addr)
				assert_memory_equal(status(f).addr, model, 16);
		}
		fix_free(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_validation),
		cmocka_unit_test(test_conf_default_and_copy),
		cmocka_unit_test(test_long_client_id),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_before_start),
		cmocka_unit_test(test_qualify_full_path),
		cmocka_unit_test(test_nat_none),
		cmocka_unit_test(test_rs_nonce_and_auth),
		cmocka_unit_test(test_qualify_with_key),
		cmocka_unit_test(test_timeouts_failover_backoff),
		cmocka_unit_test(test_backoff_reset),
		cmocka_unit_test(test_secondary_no_answer),
		cmocka_unit_test(test_symmetric_nat),
		cmocka_unit_test(test_forged_nonce_then_valid),
		cmocka_unit_test(test_late_answer_dropped),
		cmocka_unit_test(test_ra_rejections),
		cmocka_unit_test(test_ra_from_secondary_address),
		cmocka_unit_test(test_other_datagrams),
		cmocka_unit_test(test_mapping_not_global),
		cmocka_unit_test(test_key_rejected),
		cmocka_unit_test(test_refresh_timing),
		cmocka_unit_test(test_refresh_same_mapping),
		cmocka_unit_test(test_refresh_mapping_change),
		cmocka_unit_test(test_refresh_failure),
		cmocka_unit_test(test_flags_kept_on_requalify),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_actions_full),
		cmocka_unit_test(test_random_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
