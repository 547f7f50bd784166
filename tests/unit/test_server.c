/*
 * test_server.c - the Teredo server (lib/server.c; RFC 4380 §5.3, spec §3).
 *
 * Every receive rule (SRV-RX-1..7, D1/D2/D10..D15, SRV-OP-3/4, HARD-8) is
 * exercised both ways: the packet that must be discarded, counted under
 * its reason, and the nearest one that must go through.  RAs are checked
 * with the client's own validator (sw_check_ra) and byte for byte against
 * Miredo's answer in shared/captures/miredo-sample.pcap; forwarding
 * (SRV-FWD-1..5) is checked for socket, destination, origin indication
 * and zero copy.
 *
 * Addresses are RFC 5737 documentation ones, as in the capture, so the
 * servers here run with the lab COM-V4G policy; test_hardened_policy
 * shows the default refusing them.
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
#include "check.h"
#include "server.h"
#include "weaken.h"
#include "wire.h"
#include "../common/prng.h"
#include "acts.h"

#define PRIMARY		SW_IP4(192, 0, 2, 10)
#define SECONDARY	SW_IP4(192, 0, 2, 11)
#define OTHER_SERVER	SW_IP4(192, 0, 2, 99)

/* The capture's client (frames 1..7): 198.51.100.1:45131. */
static const struct sw_v4ep from_a = { SW_IP4(198, 51, 100, 1), 45131 };
/* Another client of ours, and one of another server. */
static const struct sw_v4ep map_b = { SW_IP4(203, 0, 113, 5), 40000 };
static const struct sw_v4ep map_f = { SW_IP4(203, 0, 113, 7), 5000 };
/* The capture's relay (frame 3). */
static const struct sw_v4ep from_relay = { SW_IP4(192, 0, 2, 20), 3545 };

/* ---- Miredo capture, UDP payloads --------------------------------------- */

/* frame 1: RS, nonce-only auth, 198.51.100.1:45131 -> 192.0.2.10:3544 */
#define PCAP_RS \
	"000100001350343ef2f3255000" \
	"6000000000083afffe800000000000000000ffffffffffffff0200000000000000" \
	"0000000000000285007d3700000000"
/* frame 2: Miredo's RA, 192.0.2.10:3544 -> 198.51.100.1:45131 */
#define PCAP_RA \
	"000100001350343ef2f3255000" "0000" "4fb439cc9bfe" \
	"6000000000383afffe800000000000008000f2273ffffdf5fe80000000000000" \
	"0000ffffffffffff8600954c0000000000000000000007d003044040ffffffff" \
	"ffffffff0000000020010000c000020a00000000000000000501000000000500"
/* frame 3: relay bubble, 192.0.2.20:3545 -> 192.0.2.10:3544 */
#define PCAP_BUBBLE \
	"6000000000003b00fe800000000000005cf3f4dc6d881b3920010000c000020a" \
	"2c394fb439cc9bfe"
/* frame 4: the server relays it to the client, with origin indication */
#define PCAP_BUBBLE_OI "0000f2263ffffdeb" PCAP_BUBBLE
/* frame 7: echo request for the connectivity test to 2001:db8:1::100 */
#define PCAP_ECHO \
	"60000000001a3a8020010000c000020a2c394fb439cc9bfe20010db800010000" \
	"000000000000010080004dd479cde2836b0259a4bb4e33b50a029a687fe86f48" \
	"2bc1"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
unhex(uint8_t *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; s[0] != '\0'; s += 2) {
		int hi = hexval(s[0]), lo = hexval(s[1]);

		assert_true(hi >= 0 && lo >= 0 && n < cap);
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

/* ---- fixture ------------------------------------------------------------ */

static const uint8_t alice_id[] = "alice";
static const uint8_t alice_secret[] = "alice's shared secret";

struct fx {
	struct sw_server *s;
	struct sw_server_conf conf;
	struct sw_auth *alice;
	unsigned key_calls;
	uint64_t seed;			/* the rate table's hash key */
	struct sw_drop_counters drops;
	struct sw_actions acts;
};

/* CLI-SQ-*, SRV-RA-6: the key store knows one client id. */
static struct sw_auth *
key_for(void *ctx, const uint8_t *id, uint8_t id_len)
{
	struct fx *f = ctx;

	f->key_calls++;
	if (id_len == sizeof alice_id - 1 && memcmp(id, alice_id, id_len) == 0)
		return f->alice;
	return NULL;
}

static struct fx *
fx_new(enum sw_v4_policy pol, bool require_auth)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(sw_auth_new(&f->alice, alice_secret,
	    sizeof alice_secret - 1), 0);
	sw_server_conf_default(&f->conf);
	f->conf.primary = PRIMARY;
	f->conf.secondary = SECONDARY;
	f->conf.v4.policy = pol;
	f->conf.require_auth = require_auth;
	f->conf.key_for = key_for;
	f->conf.key_ctx = f;
	f->conf.rng = (struct sw_rng){ .fill = prng_fill, .ctx = &f->seed };
	assert_int_equal(sw_server_new(&f->s, &f->conf), 0);
	return f;
}

static void
fx_free(struct fx *f)
{
	sw_server_free(f->s);
	sw_auth_free(f->alice);
	free(f);
}

static void
fx_reset(struct fx *f)
{
	sw_actions_reset(&f->acts);
	memset(&f->drops, 0, sizeof f->drops);
	f->acts.drops = &f->drops;
}

static void
rx(struct fx *f, enum sw_sock sock, const struct sw_v4ep *from,
    const uint8_t *buf, size_t len)
{
	fx_reset(f);
	sw_server_input(f->s, 0, sock, from, buf, len, &f->acts);
}

static void
rx6(struct fx *f, const uint8_t *buf, size_t len)
{
	fx_reset(f);
	sw_server_input_ip6(f->s, 0, buf, len, &f->acts);
}

static uint64_t
ndrops(const struct fx *f)
{
	return drops_total(&f->drops);
}

/* The outcome of one input: exactly one drop, counted under why. */
static void
want_drop(const struct fx *f, enum sw_drop why, const char *what)
{
	acts_want_drop(&f->acts, &f->drops, why, what);
}

/* ... or exactly one action of that kind and no drop. */
static const struct sw_action *
want_action(const struct fx *f, enum sw_action_kind kind, const char *what)
{
	if (f->acts.n != 1 || ndrops(f) != 0 || f->acts.a[0].kind != kind) {
		int got = -1;

		for (int i = 0; i < SW_DROP__COUNT; i++)
			if (f->drops.n[i] != 0)
				got = i;
		fail_msg("%s: want one action %d, got %u actions, drop %s",
		    what, (int)kind, f->acts.n,
		    got < 0 ? "none" : sw_drop_name((enum sw_drop)got));
	}
	return &f->acts.a[0];
}

/* The bytes an action sends, segments joined. */
static size_t
flat(const struct sw_action *a, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (int i = 0; i < 2; i++) {
		assert_true(a->seg[i].len <= cap - n);
		if (a->seg[i].len > 0)
			memcpy(out + n, a->seg[i].p, a->seg[i].len);
		n += a->seg[i].len;
	}
	return n;
}

static bool
inside(const void *p, size_t len, const void *base, size_t blen)
{
	const uint8_t *q = p, *b = base;

	return q >= b && len <= blen && (size_t)(q - b) <= blen - len;
}

/* ---- packets ------------------------------------------------------------ */

static void
teredo(uint8_t out[16], uint32_t server, const struct sw_v4ep *m,
    uint16_t flags)
{
	struct sw_teredo t = { SW_TEREDO_PREFIX, server, flags, *m };

	sw_addr_encode(out, &t);
}

static void
a6(const char *s, uint8_t out[16])
{
	assert_int_equal(sw_addr_parse6(s, out), 0);
}

/* An RS as a client sends it (CLI-QUAL-2, CLI-SQ-1): auth header with
 * nonce, and client id + MAC when key != NULL.  nonce NULL: no auth. */
static size_t
mk_rs(uint8_t *buf, size_t cap, bool cone, const uint8_t *nonce,
    const uint8_t *id, uint8_t id_len, struct sw_auth *key)
{
	uint8_t rs[48], src[16], mac[SW_AUTH_HMAC_LEN];
	int h = 0;

	sw_addr_client_ll(src, cone);
	assert_int_equal(sw_wire_build_rs(rs, sizeof rs, src), 48);
	if (nonce != NULL) {
		if (key != NULL)
			assert_int_equal(sw_auth_compute(key, nonce, 0, NULL,
			    rs, 48, mac), 0);
		h = sw_wire_build_auth(buf, cap, id, id_len,
		    key != NULL ? mac : NULL,
		    key != NULL ? SW_AUTH_HMAC_LEN : 0, nonce, 0);
		assert_true(h > 0);
	}
	assert_true((size_t)h + 48 <= cap);
	memcpy(buf + h, rs, 48);
	return (size_t)h + 48;
}

static const uint8_t nonce1[8] = { 0x13, 0x50, 0x34, 0x3e, 0xf2, 0xf3,
    0x25, 0x50 };

/* Validate an emitted RA as the client would (CLI-RA-1, CLI-SQ-2/3). */
static enum sw_drop
client_check(const struct sw_action *a, bool cone, const uint8_t *nonce,
    struct sw_auth *mac, struct sw_ra_info *info, struct sw_teredo_view *v,
    uint8_t *buf, size_t cap)
{
	const struct sw_v4_check lab = { .policy = SW_V4_LAB };
	uint8_t ll[16];
	enum sw_drop why;
	size_t n = flat(a, buf, cap);
	struct sw_ra_expect e = {
		.rs_src = ll, .prefix = SW_TEREDO_PREFIX, .server = PRIMARY,
		.nonce = nonce, .mac = mac, .v4 = &lab,
	};

	sw_addr_client_ll(ll, cone);
	assert_int_equal(sw_wire_parse(buf, n, v, &why), 0);
	return sw_check_ra(v, &e, info);
}

/* ---- configuration ------------------------------------------------------ */

static void
test_conf(void **state)
{
	static const struct {
		uint32_t primary, secondary, mtu;
		int want;
	} v[] = {
		{ PRIMARY, SECONDARY, 1280, 0 },
		{ PRIMARY, SECONDARY, 65535, 0 },
		{ PRIMARY, SECONDARY, 1279, -EINVAL },	/* COM-MTU-4 */
		{ PRIMARY, SECONDARY, 65536, -EINVAL },
		{ PRIMARY, PRIMARY, 1280, -EINVAL },	/* SRV-CFG-1 */
		{ 0, SECONDARY, 1280, -EINVAL },
		{ PRIMARY, 0, 1280, -EINVAL },
	};
	struct sw_server_conf c;
	struct sw_server *s;
	uint64_t seed = 7;

	(void)state;
	sw_server_conf_default(&c);
	assert_int_equal(c.prefix, SW_TEREDO_PREFIX);	/* COM-ADDR-1 */
	assert_int_equal(c.mtu, 1280);			/* SRV-RA-7 */
	assert_int_equal(c.relay_max_payload, 88);	/* SRV-OP-4 */
	assert_int_equal(c.v4.policy, SW_V4_HARDENED);	/* COM-V4G-2 */
	assert_false(c.require_auth);
	assert_null(c.key_for);
	assert_int_equal(c.rs_rate.interval, 100 * SW_MSEC);	/* SRV-OP-5 */
	assert_int_equal(c.rs_rate.burst, 20);
	assert_int_equal(c.rl_entries, 4096);
	assert_null(c.rng.fill);
	/* like the client and the relay: no RNG, no server */
	c.primary = PRIMARY;
	c.secondary = SECONDARY;
	assert_int_equal(sw_server_new(&s, &c), -EINVAL);
	c.rng = (struct sw_rng){ .fill = prng_fill, .ctx = &seed };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		c.primary = v[i].primary;
		c.secondary = v[i].secondary;
		c.mtu = v[i].mtu;
		/* a non-NULL value that sw_server_new must overwrite */
		s = (struct sw_server *)&c;
		assert_int_equal(sw_server_new(&s, &c), v[i].want);
		if (v[i].want == 0) {
			assert_non_null(s);
			assert_int_equal(sw_server_stats(s)->rs, 0);
		} else
			assert_null(s);
		sw_server_free(s);
	}
	assert_int_equal(sw_server_new(NULL, &c), -EINVAL);
	sw_server_free(NULL);

	/* SRV-OP-5: the rate table's settings */
	c.primary = PRIMARY;
	c.secondary = SECONDARY;
	c.mtu = 1280;
	c.rs_rate.interval = 0;
	assert_int_equal(sw_server_new(&s, &c), -EINVAL);
	c.rs_rate.interval = SW_SEC;
	c.rs_rate.burst = 0;
	assert_int_equal(sw_server_new(&s, &c), -EINVAL);
	c.rs_rate.burst = 1;
	c.rl_entries = 3;
	assert_int_equal(sw_server_new(&s, &c), -EINVAL);
	c.rl_entries = 4;
	assert_int_equal(sw_server_new(&s, &c), 0);
	sw_server_free(s);
}

/* The table's key comes from the RNG when there is one. */
static unsigned rng_calls;

static void
counting_fill(void *ctx, void *buf, size_t len)
{
	rng_calls++;
	prng_fill(ctx, buf, len);
}

static void
test_conf_rng(void **state)
{
	uint64_t seed = 42;
	struct sw_server_conf c;
	struct sw_server *s;

	(void)state;
	sw_server_conf_default(&c);
	c.primary = PRIMARY;
	c.secondary = SECONDARY;
	c.rng = (struct sw_rng){ .fill = counting_fill, .ctx = &seed };
	rng_calls = 0;
	assert_int_equal(sw_server_new(&s, &c), 0);
	assert_int_equal(rng_calls, 1);
	sw_server_free(s);
}

/* ---- §3.3 Router Solicitation -> Router Advertisement ------------------- */

static void
test_rs_nonce_ra(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200], out[300], ll[16];
	struct sw_teredo_view v;
	struct sw_ra_info info;
	const struct sw_action *a;
	struct sw_ip6_view ip;
	enum sw_drop why;
	size_t n;

	(void)state;
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "RS");
	/* SRV-RA-3: to the mapping the RS came from */
	assert_true(sw_v4ep_eq(&a->dst, &from_a));
	assert_int_equal(a->sock, SW_SOCK_PRIMARY);
	assert_int_equal(sw_action_len(a), 13 + 8 + 96);	/* §3.3: 117 */
	assert_true(inside(a->seg[0].p, a->seg[0].len, f->acts.arena,
	    f->acts.used));
	/* CLI-RA-1: the client accepts it; CLI-RA-2: it learns `from`. */
	assert_int_equal(client_check(a, false, nonce1, NULL, &info, &v, out,
	    sizeof out), SW_DROP_NONE);
	assert_true(sw_v4ep_eq(&info.mapped, &from_a));	/* SRV-RA-1 */
	assert_int_equal(info.conf, 0);
	/* SRV-RA-8 values, SRV-RA-2 source/destination */
	assert_int_equal(info.ra.cur_hlim, 0);
	assert_int_equal(info.ra.flags, 0);
	assert_int_equal(info.ra.lifetime, 0);
	assert_int_equal(info.ra.reachable, 0);
	assert_int_equal(info.ra.retrans, 2000);
	assert_int_equal(info.ra.pio_flags, 0x40);
	assert_int_equal(info.ra.valid, UINT32_MAX);
	assert_int_equal(info.ra.preferred, UINT32_MAX);
	assert_int_equal(info.ra.mtu, 1280);		/* SRV-RA-7 */
	assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why), 0);
	sw_addr_server_ll(ll, PRIMARY);			/* COM-LL-2 */
	assert_memory_equal(ip.src, ll, 16);
	assert_int_equal(v.auth.id_len, 0);
	assert_int_equal(v.auth.au_len, 0);
	assert_int_equal(sw_server_stats(f->s)->rs, 1);

	/* An RS without auth header gets an RA without one (SRV-RA-8). */
	n = mk_rs(pkt, sizeof pkt, false, NULL, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "RS without auth");
	assert_int_equal(sw_action_len(a), 8 + 96);
	assert_int_equal(client_check(a, false, NULL, NULL, &info, &v, out,
	    sizeof out), SW_DROP_NONE);
	assert_false(v.has_auth);

	/* The advertised MTU is the configured one. */
	fx_free(f);
	f = fx_new(SW_V4_LAB, false);
	sw_server_free(f->s);
	f->conf.mtu = 1400;
	assert_int_equal(sw_server_new(&f->s, &f->conf), 0);
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "RS, MTU 1400");
	assert_int_equal(client_check(a, false, nonce1, NULL, &info, &v, out,
	    sizeof out), SW_DROP_NONE);
	assert_int_equal(info.ra.mtu, 1400);
	fx_free(f);
}

/* Interop: for the RS of frame 1, the bytes Miredo sent in frame 2. */
static void
test_ra_matches_miredo(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t rs[200], want[200], got[300];
	const struct sw_action *a;
	size_t nrs, nwant, ngot;

	(void)state;
	nrs = unhex(rs, sizeof rs, PCAP_RS);
	nwant = unhex(want, sizeof want, PCAP_RA);
	assert_int_equal(nwant, 117);
	rx(f, SW_SOCK_PRIMARY, &from_a, rs, nrs);
	a = want_action(f, SW_ACT_SEND_UDP, "capture RS");
	assert_true(sw_v4ep_eq(&a->dst, &from_a));
	assert_int_equal(a->sock, SW_SOCK_PRIMARY);	/* C = 0 */
	ngot = flat(a, got, sizeof got);
	assert_int_equal(ngot, nwant);
	assert_memory_equal(got, want, nwant);
	/* and our RS builder produces the capture's RS */
	ngot = mk_rs(got, sizeof got, false, nonce1, NULL, 0, NULL);
	assert_int_equal(ngot, nrs);
	assert_memory_equal(got, rs, nrs);
	fx_free(f);
}

/* SRV-RA-4, rfc-notes item 18: C = 1 is answered from the other address,
 * C = 0 from the same one, whichever socket the RS came to. */
static void
test_rs_cone_socket(void **state)
{
	static const struct {
		enum sw_sock in;
		bool cone;
		enum sw_sock out;
	} v[] = {
		{ SW_SOCK_PRIMARY,   false, SW_SOCK_PRIMARY },
		{ SW_SOCK_SECONDARY, false, SW_SOCK_SECONDARY },
		{ SW_SOCK_PRIMARY,   true,  SW_SOCK_SECONDARY },
		{ SW_SOCK_SECONDARY, true,  SW_SOCK_PRIMARY },
	};
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200], out[300];
	struct sw_teredo_view tv;
	struct sw_ra_info info;
	const struct sw_action *a;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		n = mk_rs(pkt, sizeof pkt, v[i].cone, nonce1, NULL, 0, NULL);
		rx(f, v[i].in, &from_a, pkt, n);
		a = want_action(f, SW_ACT_SEND_UDP, "cone RS");
		if (a->sock != v[i].out)
			fail_msg("case %zu: RA from socket %d", i, a->sock);
		assert_true(sw_v4ep_eq(&a->dst, &from_a));
		/* rfc-notes item 12: the prefix embeds the primary always,
		 * and the RA goes to the (cone) RS source. */
		assert_int_equal(client_check(a, v[i].cone, nonce1, NULL,
		    &info, &tv, out, sizeof out), SW_DROP_NONE);
	}
	assert_int_equal(sw_server_stats(f->s)->rs, 4);
	fx_free(f);
}

/* SRV-RX-4 / D12, SRV-RA-6: secure qualification. */
static void
test_rs_secure(void **state)
{
	static const uint8_t bob[] = "bob";
	static const uint8_t wrong_secret[] = "not alice's secret";
	struct fx *f = fx_new(SW_V4_LAB, true);
	struct sw_auth *wrong;
	uint8_t pkt[200], out[300];
	struct sw_teredo_view v;
	struct sw_ra_info info;
	const struct sw_action *a;
	size_t n;

	(void)state;
	assert_int_equal(sw_auth_new(&wrong, wrong_secret,
	    sizeof wrong_secret - 1), 0);

	/* id + valid MAC: RA with the same id and nonce, conf 0, a MAC under
	 * alice's key over nonce, conf, origin and RA (CLI-SQ-3/4) */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, alice_id,
	    sizeof alice_id - 1, f->alice);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "secure RS");
	assert_int_equal(sw_action_len(a), 13 + 5 + 20 + 8 + 96);
	assert_int_equal(client_check(a, false, nonce1, f->alice, &info, &v,
	    out, sizeof out), SW_DROP_NONE);
	assert_true(v.has_auth);
	assert_int_equal(v.auth.id_len, sizeof alice_id - 1);
	assert_memory_equal(v.auth.id, alice_id, sizeof alice_id - 1);
	assert_int_equal(v.auth.au_len, SW_AUTH_HMAC_LEN);
	assert_int_equal(v.auth.conf, 0);
	assert_true(sw_auth_verify(f->alice, &v));
	assert_false(sw_auth_verify(wrong, &v));
	assert_int_equal(client_check(a, false, nonce1, wrong, &info, &v,
	    out, sizeof out), SW_DROP_RA_MAC);

	/* D12: bad MAC, unknown id, nonce only, no auth at all */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, alice_id,
	    sizeof alice_id - 1, wrong);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_AUTH, "D12 bad MAC");
	n = mk_rs(pkt, sizeof pkt, false, nonce1, bob, sizeof bob - 1, wrong);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_AUTH, "D12 unknown id");
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_AUTH, "D12 nonce only");
	n = mk_rs(pkt, sizeof pkt, false, NULL, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_AUTH, "D12 no auth");
	/* the nonce changed after the MAC was computed (CLI-SQ-4 covers it) */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, alice_id,
	    sizeof alice_id - 1, f->alice);
	pkt[4 + 5 + 20] ^= 0x01;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_AUTH, "D12 nonce changed");
	assert_int_equal(sw_server_stats(f->s)->rs, 1);

	/* Without require_auth every RS is answered: a bad MAC still gets
	 * an RA with alice's MAC; an unknown id gets conf != 0 and no MAC
	 * (SRV-RA-6); nonce-only gets nonce-only. */
	fx_free(f);
	f = fx_new(SW_V4_LAB, false);
	n = mk_rs(pkt, sizeof pkt, false, nonce1, alice_id,
	    sizeof alice_id - 1, wrong);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "bad MAC, not required");
	assert_int_equal(client_check(a, false, nonce1, f->alice, &info, &v,
	    out, sizeof out), SW_DROP_NONE);
	n = mk_rs(pkt, sizeof pkt, false, nonce1, bob, sizeof bob - 1, wrong);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "unknown id, not required");
	assert_int_equal(client_check(a, false, nonce1, NULL, &info, &v,
	    out, sizeof out), SW_DROP_NONE);
	assert_int_not_equal(info.conf, 0);
	assert_int_equal(v.auth.id_len, sizeof bob - 1);
	assert_memory_equal(v.auth.id, bob, sizeof bob - 1);
	assert_int_equal(v.auth.au_len, 0);
	/* no key store at all */
	f->key_calls = 0;
	sw_server_free(f->s);
	f->conf.key_for = NULL;
	assert_int_equal(sw_server_new(&f->s, &f->conf), 0);
	n = mk_rs(pkt, sizeof pkt, false, nonce1, alice_id,
	    sizeof alice_id - 1, f->alice);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "no key store");
	assert_int_equal(client_check(a, false, nonce1, NULL, &info, &v,
	    out, sizeof out), SW_DROP_NONE);
	assert_int_not_equal(info.conf, 0);
	assert_int_equal(f->key_calls, 0);
	sw_auth_free(wrong);
	fx_free(f);
}

/* RFC 4861 §6.1.1 on the RS, and what else reaches ff02::2 / our LL. */
static void
test_rs_invalid(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200], src[16], dst[16], ll[16];
	size_t n;
	int r;

	(void)state;
	/* hop limit 254 */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	pkt[13 + 7] = 254;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_INVALID, "RS hop limit 254");
	/* bad checksum */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	pkt[13 + 40 + 2] ^= 0x10;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_INVALID, "RS checksum");
	/* code 1 */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	pkt[13 + 40 + 1] = 1;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_RS_INVALID, "RS code 1");

	/* SRV-FWD-1: an RS from a client's Teredo address (rule 5) to our
	 * link-local is answered too, to that address */
	teredo(src, PRIMARY, &from_a, 0);
	sw_addr_server_ll(ll, PRIMARY);
	r = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_RS, src, ll, 255, 0,
	    0, NULL, 0);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, (size_t)r);
	want_action(f, SW_ACT_SEND_UDP, "RS to our link-local");
	/* but other local traffic is not handled, nor forwarded (D14) */
	r = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, src, ll,
	    64, 1, 1, NULL, 0);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, (size_t)r);
	want_drop(f, SW_DROP_DST_NOT_GLOBAL, "echo to our link-local");
	a6("ff02::2", dst);
	r = sw_wire_build_bubble(pkt, sizeof pkt, src, dst, 0);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, (size_t)r);
	want_drop(f, SW_DROP_DST_NOT_GLOBAL, "bubble to ff02::2");
	/* the secondary address's link-local is no address of ours */
	sw_addr_server_ll(ll, SECONDARY);
	r = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_RS, src, ll, 255, 0,
	    0, NULL, 0);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, (size_t)r);
	want_drop(f, SW_DROP_DST_NOT_GLOBAL, "RS to another link-local");
	assert_int_equal(sw_server_stats(f->s)->rs, 1);
	fx_free(f);
}

/* ---- §3.1 receive rules, both ways -------------------------------------- */

enum who {
	W_SENDER,	/* Teredo address of ours embedding the UDP source */
	W_SENDER_PORT,	/* ... with the port off by one */
	W_B,		/* another client of ours */
	W_FOREIGN,	/* a client of another server */
	W_B_PRIVATE,	/* a client of ours "mapped" at 10.1.2.3 */
	W_B_PORT0,	/* ... at port 0 */
	W_B_OWN,	/* ... at our secondary address */
	W_NATIVE,	/* 2001:db8:1::100 */
	W_RELAY_LL,	/* the capture relay's link-local bubble source */
	W_CLIENT_LL,	/* fe80::ffff:ffff:ffff */
	W_LL,		/* fe80::1 */
	W_SITE,		/* fec0::1 */
	W_MCAST,	/* ff0e::1 */
	W_ALLR,		/* ff02::2 */
};

enum body {
	BUBBLE,
	ECHO,		/* request, `data` bytes of data */
	RS,		/* hop limit 255, any destination */
	UDP,		/* next header 17 */
	UNREACH,	/* ICMPv6 destination unreachable */
};

static void
who(uint8_t out[16], enum who w, const struct sw_v4ep *from)
{
	struct sw_v4ep m = *from;

	switch (w) {
	case W_SENDER:
		teredo(out, PRIMARY, from, 0x2c39);
		return;
	case W_SENDER_PORT:
		m.port++;
		teredo(out, PRIMARY, &m, 0);
		return;
	case W_B:
		teredo(out, PRIMARY, &map_b, 0);
		return;
	case W_FOREIGN:
		teredo(out, OTHER_SERVER, &map_f, 0);
		return;
	case W_B_PRIVATE:
		m = (struct sw_v4ep){ SW_IP4(10, 1, 2, 3), 4000 };
		teredo(out, PRIMARY, &m, 0);
		return;
	case W_B_PORT0:
		m = (struct sw_v4ep){ map_b.addr, 0 };
		teredo(out, PRIMARY, &m, 0);
		return;
	case W_B_OWN:
		m = (struct sw_v4ep){ SECONDARY, 3544 };
		teredo(out, PRIMARY, &m, 0);
		return;
	case W_NATIVE:
		a6("2001:db8:1::100", out);
		return;
	case W_RELAY_LL:
		a6("fe80::5cf3:f4dc:6d88:1b39", out);
		return;
	case W_CLIENT_LL:
		sw_addr_client_ll(out, false);
		return;
	case W_LL:
		a6("fe80::1", out);
		return;
	case W_SITE:
		a6("fec0::1", out);
		return;
	case W_MCAST:
		a6("ff0e::1", out);
		return;
	case W_ALLR:
		a6("ff02::2", out);
		return;
	}
	fail();
}

static size_t
build(uint8_t *buf, size_t cap, enum who src, enum who dst, enum body b,
    size_t data, const struct sw_v4ep *from)
{
	uint8_t s[16], d[16], payload[1500];
	int n = -1;

	who(s, src, from);
	who(d, dst, from);
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)i;
	switch (b) {
	case BUBBLE:
		n = sw_wire_build_bubble(buf, cap, s, d, 0);
		break;
	case ECHO:
		n = sw_wire_build_echo(buf, cap, SW_ICMP6_ECHO_REQ, s, d, 64,
		    0x79cd, 1, payload, data);
		break;
	case RS:
		n = sw_wire_build_echo(buf, cap, SW_ICMP6_RS, s, d, 255, 0, 0,
		    NULL, 0);
		break;
	case UNREACH:
		n = sw_wire_build_echo(buf, cap, SW_ICMP6_DST_UNREACH, s, d,
		    64, 0, 0, payload, 40);
		break;
	case UDP:
		n = sw_ip6_build(buf, cap, s, d, SW_NH_UDP, 64, 8);
		assert_true(n == 40 && cap >= 48);
		memset(buf + 40, 0, 8);
		n = 48;
		break;
	}
	assert_true(n > 0);
	return (size_t)n;
}

static void
test_receive_rules(void **state)
{
	static const struct {
		const char *what;
		enum who src, dst;
		enum body body;
		size_t data;
		uint32_t from_addr;	/* 0: from_a */
		uint16_t from_port;
		enum sw_drop want;	/* NONE: one action of `kind` */
		enum sw_action_kind kind;
	} v[] = {
		/* SRV-RX-4 */
		{ "RS ll -> ff02::2", W_CLIENT_LL, W_ALLR, RS, 0, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_UDP },
		{ "D13 RS native -> ff02::2", W_NATIVE, W_ALLR, RS, 0, 0, 0,
		  SW_DROP_SRV_NOT_ACCEPTED, 0 },
		{ "D13 echo ll -> ff02::2", W_CLIENT_LL, W_ALLR, ECHO, 0, 0, 0,
		  SW_DROP_SRV_NOT_ACCEPTED, 0 },
		/* SRV-RX-2 (D10) */
		{ "D10 UDP", W_SENDER, W_NATIVE, UDP, 0, 0, 0,
		  SW_DROP_SRV_NOT_RELAYABLE, 0 },
		{ "echo -> native", W_SENDER, W_NATIVE, ECHO, 18, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_IP6 },
		{ "bubble -> native", W_SENDER, W_NATIVE, BUBBLE, 0, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_IP6 },
		/* rfc-notes item 9: only echo of all ICMPv6 is relayed */
		{ "unreachable -> native", W_SENDER, W_NATIVE, UNREACH, 0, 0, 0,
		  SW_DROP_SRV_NOT_RELAYABLE, 0 },
		{ "RS -> native", W_SENDER, W_NATIVE, RS, 0, 0, 0,
		  SW_DROP_SRV_NOT_RELAYABLE, 0 },
		/* SRV-RX-3 (D11) */
		{ "D11 from 10.0.0.1", W_SENDER, W_NATIVE, ECHO, 0,
		  SW_IP4(10, 0, 0, 1), 45131, SW_DROP_V4_NOT_GLOBAL, 0 },
		{ "D11 from 203.0.113.9", W_SENDER, W_NATIVE, ECHO, 0,
		  SW_IP4(203, 0, 113, 9), 45131, SW_DROP_NONE,
		  SW_ACT_SEND_IP6 },
		{ "D11 RS from 224.0.0.1", W_CLIENT_LL, W_ALLR, RS, 0,
		  SW_IP4(224, 0, 0, 1), 45131, SW_DROP_V4_NOT_GLOBAL, 0 },
		/* HARD-8, SRV-OP-3 */
		{ "port 0", W_SENDER, W_NATIVE, ECHO, 0,
		  SW_IP4(198, 51, 100, 1), 0,
		  SW_DROP_SRC_PORT_ZERO, 0 },
		{ "loop primary:3544", W_SENDER, W_B, BUBBLE, 0, PRIMARY, 3544,
		  SW_DROP_OWN_ADDRESS, 0 },
		{ "loop secondary:3544", W_SENDER, W_B, BUBBLE, 0, SECONDARY,
		  3544, SW_DROP_OWN_ADDRESS, 0 },
		{ "primary:3545", W_SENDER, W_B, BUBBLE, 0, PRIMARY, 3545,
		  SW_DROP_NONE, SW_ACT_SEND_UDP },
		/* SRV-RX-5, -6, -7 (D13) */
		{ "rule 5", W_SENDER, W_B, BUBBLE, 0, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_UDP },
		{ "D13 rule 5 mapping", W_SENDER_PORT, W_B, BUBBLE, 0, 0, 0,
		  SW_DROP_SRV_NOT_ACCEPTED, 0 },
		{ "rule 6", W_RELAY_LL, W_B, BUBBLE, 0, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_UDP },
		{ "rule 6 native", W_NATIVE, W_B, ECHO, 8, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_UDP },
		{ "D13 rule 7 foreign", W_RELAY_LL, W_FOREIGN, BUBBLE, 0, 0, 0,
		  SW_DROP_SRV_NOT_ACCEPTED, 0 },
		{ "D13 rule 7 native", W_NATIVE, W_NATIVE, ECHO, 0, 0, 0,
		  SW_DROP_SRV_NOT_ACCEPTED, 0 },
		/* SRV-FWD-2 (D14), HARD-7 */
		{ "D14 fe80::1", W_SENDER, W_LL, ECHO, 0, 0, 0,
		  SW_DROP_DST_NOT_GLOBAL, 0 },
		{ "D14 fec0::1", W_SENDER, W_SITE, BUBBLE, 0, 0, 0,
		  SW_DROP_DST_NOT_GLOBAL, 0 },
		{ "ff0e::1", W_SENDER, W_MCAST, ECHO, 0, 0, 0,
		  SW_DROP_DST_MULTICAST, 0 },
		/* SRV-FWD-4 (D15) and the mapping as a UDP endpoint */
		{ "to a client of another server", W_SENDER, W_FOREIGN, BUBBLE,
		  0, 0, 0, SW_DROP_NONE, SW_ACT_SEND_UDP },
		{ "D15 10.1.2.3", W_SENDER, W_B_PRIVATE, BUBBLE, 0, 0, 0,
		  SW_DROP_V4_NOT_GLOBAL, 0 },
		{ "mapping port 0", W_SENDER, W_B_PORT0, BUBBLE, 0, 0, 0,
		  SW_DROP_DST_PORT_ZERO, 0 },
		{ "mapping = our secondary", W_SENDER, W_B_OWN, ECHO, 0, 0, 0,
		  SW_DEFENCE(LOOP) ? SW_DROP_LOOP : SW_DROP_NONE,
		  SW_DEFENCE(LOOP) ? 0 : SW_ACT_SEND_UDP },	/* RFC 6324 */
		/* SRV-OP-4: IPv6 payload 88 goes, 89 does not */
		{ "echo PL 88 -> native", W_SENDER, W_NATIVE, ECHO, 80, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_IP6 },
		{ "echo PL 89 -> native", W_SENDER, W_NATIVE, ECHO, 81, 0, 0,
		  SW_DROP_SRV_TOO_BIG, 0 },
		{ "echo PL 88 -> B", W_SENDER, W_B, ECHO, 80, 0, 0,
		  SW_DROP_NONE, SW_ACT_SEND_UDP },
		{ "echo PL 89 -> B", W_SENDER, W_B, ECHO, 81, 0, 0,
		  SW_DROP_SRV_TOO_BIG, 0 },
		{ "echo PL 1208 -> B", W_SENDER, W_B, ECHO, 1200, 0, 0,
		  SW_DROP_SRV_TOO_BIG, 0 },
	};
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[1600];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct sw_v4ep from = from_a;
		size_t n;

		if (v[i].from_addr != 0)
			from = (struct sw_v4ep){ v[i].from_addr,
			    v[i].from_port };
		n = build(pkt, sizeof pkt, v[i].src, v[i].dst, v[i].body,
		    v[i].data, &from);
		for (int sock = 0; sock < 2; sock++) {
			rx(f, (enum sw_sock)sock, &from, pkt, n);
			if (v[i].want != SW_DROP_NONE)
				want_drop(f, v[i].want, v[i].what);
			else
				want_action(f, v[i].kind, v[i].what);
		}
	}
	fx_free(f);
}

/* SRV-RX-1: D1 and D2 on the server. */
static void
test_d1_d2(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200], bad[220];
	size_t n;

	(void)state;
	n = build(pkt, sizeof pkt, W_SENDER, W_B, BUBBLE, 0, &from_a);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_action(f, SW_ACT_SEND_UDP, "bubble");
	/* D1: 00 02 header code */
	bad[0] = 0x00;
	bad[1] = 0x02;
	memcpy(bad + 2, pkt, n);
	rx(f, SW_SOCK_PRIMARY, &from_a, bad, n + 2);
	want_drop(f, SW_DROP_BAD_HEADER_CODE, "D1 00 02");
	/* D1: an origin indication then an auth header */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	assert_int_equal(sw_wire_build_origin(bad, sizeof bad, &from_a), 8);
	memcpy(bad + 8, pkt, n);
	rx(f, SW_SOCK_PRIMARY, &from_a, bad, n + 8);
	want_drop(f, SW_DROP_AUTH_AFTER_ORIGIN, "D1 auth after origin");
	/* an origin indication alone is accepted (and not echoed) */
	n = mk_rs(pkt, sizeof pkt, false, NULL, NULL, 0, NULL);
	memcpy(bad + 8, pkt, n);
	rx(f, SW_SOCK_PRIMARY, &from_a, bad, n + 8);
	want_action(f, SW_ACT_SEND_UDP, "RS after origin");
	/* D1: truncated auth; empty datagram */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, 10);
	want_drop(f, SW_DROP_TRUNCATED, "D1 truncated");
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, 0);
	want_drop(f, SW_DROP_TRUNCATED, "D1 empty");
	/* D2: 40 + PL beyond the datagram */
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n - 1);
	want_drop(f, SW_DROP_IP6_LENGTH, "D2 short");
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_action(f, SW_ACT_SEND_UDP, "RS");
	fx_free(f);
}

/* The default policy is the hardened one (COM-V4G-2): documentation
 * addresses are not global, so the lab's traffic is refused. */
static void
test_hardened_policy(void **state)
{
	struct fx *f = fx_new(SW_V4_HARDENED, false);
	struct sw_server_conf c;
	const struct sw_v4ep global = { SW_IP4(65, 54, 227, 1), 45131 };
	uint8_t pkt[200];
	size_t n;

	(void)state;
	sw_server_conf_default(&c);
	assert_int_equal(c.v4.policy, SW_V4_HARDENED);
	/* D11: RS from 198.51.100.1, bubble from 192.0.2.20 */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_V4_NOT_GLOBAL, "D11 198.51.100.1");
	n = unhex(pkt, sizeof pkt, PCAP_BUBBLE);
	rx(f, SW_SOCK_PRIMARY, &from_relay, pkt, n);
	want_drop(f, SW_DROP_V4_NOT_GLOBAL, "D11 192.0.2.20");
	/* a global source is answered */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	rx(f, SW_SOCK_PRIMARY, &global, pkt, n);
	want_action(f, SW_ACT_SEND_UDP, "RS from 65.54.227.1");
	/* D15: a global sender towards a client mapped at 203.0.113.5 */
	n = build(pkt, sizeof pkt, W_SENDER, W_B, BUBBLE, 0, &global);
	rx(f, SW_SOCK_PRIMARY, &global, pkt, n);
	want_drop(f, SW_DROP_V4_NOT_GLOBAL, "D15 203.0.113.5");
	/* COM-V4G-1: a directed broadcast of an attached subnet */
	{
		const struct sw_v4_net net = { SW_IP4(65, 54, 227, 0), 24 };
		const struct sw_v4ep bcast = { SW_IP4(65, 54, 227, 255), 1 };

		sw_server_free(f->s);
		f->conf.v4.attached = &net;
		f->conf.v4.n_attached = 1;
		assert_int_equal(sw_server_new(&f->s, &f->conf), 0);
		n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
		rx(f, SW_SOCK_PRIMARY, &bcast, pkt, n);
		want_drop(f, SW_DROP_V4_NOT_GLOBAL, "D11 broadcast");
		rx(f, SW_SOCK_PRIMARY, &global, pkt, n);
		want_action(f, SW_ACT_SEND_UDP, "RS from 65.54.227.1");
		sw_server_free(f->s);
		f->s = NULL;
	}
	fx_free(f);
}

/* ---- §3.2 forwarding ---------------------------------------------------- */

/* SRV-FWD-4/5: to our client B, from the primary, with an origin
 * indication naming the sender; zero copy. */
static void
test_forward_oi(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200], oi[8];
	const struct sw_action *a;
	size_t n;

	(void)state;
	n = build(pkt, sizeof pkt, W_SENDER, W_B, BUBBLE, 0, &from_a);
	assert_int_equal(sw_wire_build_origin(oi, sizeof oi, &from_a), 8);
	for (int sock = 0; sock < 2; sock++) {
		rx(f, (enum sw_sock)sock, &from_a, pkt, n);
		a = want_action(f, SW_ACT_SEND_UDP, "bubble A -> B");
		assert_int_equal(a->sock, SW_SOCK_PRIMARY);
		assert_true(sw_v4ep_eq(&a->dst, &map_b));
		assert_int_equal(a->seg[0].len, 8);
		assert_memory_equal(a->seg[0].p, oi, 8);
		assert_true(inside(a->seg[0].p, 8, f->acts.arena,
		    f->acts.used));
		assert_ptr_equal(a->seg[1].p, pkt);	/* zero copy */
		assert_int_equal(a->seg[1].len, n);
	}
	assert_int_equal(sw_server_stats(f->s)->relayed_udp, 2);

	/* to a client of another server: no origin indication */
	n = build(pkt, sizeof pkt, W_SENDER, W_FOREIGN, ECHO, 20, &from_a);
	rx(f, SW_SOCK_SECONDARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "echo A -> foreign");
	assert_int_equal(a->sock, SW_SOCK_PRIMARY);
	assert_true(sw_v4ep_eq(&a->dst, &map_f));
	assert_ptr_equal(a->seg[0].p, pkt);
	assert_int_equal(a->seg[0].len, n);
	assert_int_equal(a->seg[1].len, 0);
	assert_int_equal(f->acts.used, 0);
	assert_int_equal(sw_server_stats(f->s)->relayed_udp, 3);
	fx_free(f);
}

/* The capture's relay bubble (frame 3, rule 6) becomes frame 4. */
static void
test_forward_matches_miredo(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200], want[200], got[200];
	const struct sw_action *a;
	size_t n, nwant;

	(void)state;
	n = unhex(pkt, sizeof pkt, PCAP_BUBBLE);
	nwant = unhex(want, sizeof want, PCAP_BUBBLE_OI);
	rx(f, SW_SOCK_PRIMARY, &from_relay, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "frame 3");
	assert_int_equal(a->sock, SW_SOCK_PRIMARY);
	assert_true(sw_v4ep_eq(&a->dst, &from_a));
	assert_int_equal(flat(a, got, sizeof got), nwant);
	assert_memory_equal(got, want, nwant);
	assert_ptr_equal(a->seg[1].p, pkt);
	fx_free(f);
}

/* SRV-FWD-3: the connectivity test's echo request goes to the IPv6 side
 * as it came (frame 7), and only the IPv6 packet. */
static void
test_forward_native(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200], tail[8] = { 0x80, 2, 0xaa, 0xbb };
	const struct sw_action *a;
	size_t n;

	(void)state;
	n = unhex(pkt, sizeof pkt, PCAP_ECHO);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_IP6, "frame 7");
	assert_ptr_equal(a->seg[0].p, pkt);
	assert_int_equal(a->seg[0].len, n);
	assert_int_equal(a->seg[1].len, 0);
	assert_int_equal(sw_server_stats(f->s)->relayed_ip6, 1);
	/* with auth and origin headers in front and a trailer behind: the
	 * IPv6 packet alone (COM-IP6-2) */
	{
		uint8_t big[300];
		int h = sw_wire_build_auth(big, sizeof big, NULL, 0, NULL, 0,
		    nonce1, 0);

		assert_int_equal(h, 13);
		assert_int_equal(sw_wire_build_origin(big + 13, 8, &from_relay),
		    8);
		memcpy(big + 21, pkt, n);
		memcpy(big + 21 + n, tail, 4);
		rx(f, SW_SOCK_SECONDARY, &from_a, big, 21 + n + 4);
		a = want_action(f, SW_ACT_SEND_IP6, "frame 7 + headers");
		assert_ptr_equal(a->seg[0].p, big + 21);
		assert_int_equal(a->seg[0].len, n);
		assert_memory_equal(a->seg[0].p, pkt, n);
	}
	fx_free(f);
}

/* RFC 6081 trailers travel with bubbles, intact; D22; SRV-OP-4 on them. */
static void
test_forward_trailers(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	const uint8_t nonce4[4] = { 1, 2, 3, 4 };
	const struct sw_v4ep alt = { SW_IP4(10, 0, 0, 7), 4000 };
	uint8_t pkt[400], got[400];
	const struct sw_action *a;
	size_t n, b;
	int r;

	(void)state;
	b = build(pkt, sizeof pkt, W_SENDER, W_B, BUBBLE, 0, &from_a);
	n = b;
	r = sw_wire_build_trailer_nonce(pkt + n, sizeof pkt - n, nonce4);
	n += (size_t)r;
	r = sw_wire_build_trailer_alt(pkt + n, sizeof pkt - n, &alt, 1);
	n += (size_t)r;
	pkt[n++] = 0x80;	/* unknown, high bits 10: skipped, kept */
	pkt[n++] = 1;
	pkt[n++] = 0x55;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "bubble + trailers");
	assert_int_equal(a->seg[0].len, 8);		/* OI */
	assert_ptr_equal(a->seg[1].p, pkt);
	assert_int_equal(a->seg[1].len, n);
	assert_int_equal(flat(a, got, sizeof got), 8 + n);
	assert_memory_equal(got + 8, pkt, n);

	/* D22: an unknown trailer with high bits 01 */
	pkt[n - 3] = 0x40;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_TRAILER_MUST_DROP, "D22");
	/* ... also in front of a native-bound packet or an RS */
	{
		uint8_t rs[200];
		size_t m = mk_rs(rs, sizeof rs, false, nonce1, NULL, 0, NULL);

		rs[m++] = 0x7f;
		rs[m++] = 0;
		rx(f, SW_SOCK_PRIMARY, &from_a, rs, m);
		want_drop(f, SW_DROP_TRAILER_MUST_DROP, "D22 RS");
		rs[m - 2] = 0x3f;	/* 00: skip */
		rx(f, SW_SOCK_PRIMARY, &from_a, rs, m);
		want_action(f, SW_ACT_SEND_UDP, "RS + skipped trailer");
	}

	/* SRV-OP-4: 88 bytes of trailers go, 89 do not */
	n = b;
	pkt[n++] = 0x80;
	pkt[n++] = 86;
	memset(pkt + n, 0xee, 86);
	n += 86;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	a = want_action(f, SW_ACT_SEND_UDP, "88 trailer bytes");
	assert_int_equal(a->seg[1].len, n);
	pkt[n++] = 0;
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	want_drop(f, SW_DROP_SRV_TOO_BIG, "89 trailer bytes");

	/* a relayed echo goes without what follows it (COM-IP6-2) */
	b = build(pkt, sizeof pkt, W_SENDER, W_B, ECHO, 10, &from_a);
	memcpy(pkt + b, "\x01\x04\x01\x02\x03\x04", 6);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, b + 6);
	a = want_action(f, SW_ACT_SEND_UDP, "echo + trailer");
	assert_int_equal(a->seg[1].len, b);
	fx_free(f);
}

/* ---- the IPv6 side ------------------------------------------------------ */

static void
test_input_ip6(void **state)
{
	static const struct {
		const char *what;
		enum who src, dst;
		enum body body;
		size_t data;
		enum sw_drop want;
	} v[] = {
		{ "echo native -> A", W_NATIVE, W_SENDER, ECHO, 30,
		  SW_DROP_NONE },
		{ "bubble native -> B", W_NATIVE, W_B, BUBBLE, 0,
		  SW_DROP_NONE },
		{ "echo PL 88", W_NATIVE, W_B, ECHO, 80, SW_DROP_NONE },
		{ "echo PL 89", W_NATIVE, W_B, ECHO, 81, SW_DROP_SRV_TOO_BIG },
		{ "UDP", W_NATIVE, W_B, UDP, 0, SW_DROP_SRV_NOT_RELAYABLE },
		{ "unreachable", W_NATIVE, W_B, UNREACH, 0,
		  SW_DROP_SRV_NOT_RELAYABLE },
		{ "foreign client", W_NATIVE, W_FOREIGN, ECHO, 0,
		  SW_DROP_SRV_NOT_ACCEPTED },
		{ "native destination", W_SENDER, W_NATIVE, ECHO, 0,
		  SW_DROP_SRV_NOT_ACCEPTED },
		{ "D15 10.1.2.3", W_NATIVE, W_B_PRIVATE, ECHO, 0,
		  SW_DROP_V4_NOT_GLOBAL },
		{ "port 0", W_NATIVE, W_B_PORT0, BUBBLE, 0,
		  SW_DROP_DST_PORT_ZERO },
		{ "own address", W_NATIVE, W_B_OWN, BUBBLE, 0,
		  SW_DROP_LOOP },			/* RFC 6324 */
		{ "HARD-7 link-local source", W_LL, W_B, ECHO, 0,
		  SW_DROP_SRC_LINK_LOCAL },
		{ "HARD-7 multicast source", W_MCAST, W_B, BUBBLE, 0,
		  SW_DROP_SRC_BAD },
	};
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[400];
	const struct sw_action *a;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		if (v[i].dst == W_B_OWN && !SW_DEFENCE(LOOP))
			continue;	/* weakened build: test_loop_stats */
		n = build(pkt, sizeof pkt, v[i].src, v[i].dst, v[i].body,
		    v[i].data, &from_a);
		rx6(f, pkt, n);
		if (v[i].want != SW_DROP_NONE) {
			want_drop(f, v[i].want, v[i].what);
			continue;
		}
		/* SRV-FWD-4: from the primary, to the mapping, no OI */
		a = want_action(f, SW_ACT_SEND_UDP, v[i].what);
		assert_int_equal(a->sock, SW_SOCK_PRIMARY);
		assert_true(sw_v4ep_eq(&a->dst, v[i].dst == W_B ? &map_b :
		    &from_a));
		assert_ptr_equal(a->seg[0].p, pkt);
		assert_int_equal(a->seg[0].len, n);
		assert_int_equal(a->seg[1].len, 0);
	}
	assert_int_equal(sw_server_stats(f->s)->relayed_udp, 3);
	assert_int_equal(sw_server_stats(f->s)->relayed_ip6, 0);

	/* D2, and bytes past 40 + PL are not sent */
	n = build(pkt, sizeof pkt, W_NATIVE, W_B, ECHO, 10, &from_a);
	rx6(f, pkt, n - 1);
	want_drop(f, SW_DROP_IP6_LENGTH, "D2 short");
	rx6(f, pkt, 39);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(ndrops(f), 1);
	pkt[0] = 0x40;
	rx6(f, pkt, n);
	want_drop(f, SW_DROP_IP6_VERSION, "D2 version");
	pkt[0] = 0x60;
	rx6(f, pkt, n + 20);
	a = want_action(f, SW_ACT_SEND_UDP, "extra bytes");
	assert_int_equal(a->seg[0].len, n);
	fx_free(f);
}

/* ---- SRV-OP-5: RS rate per IPv4 source ----------------------------------- */

static void
rx_at(struct fx *f, sw_time now, const struct sw_v4ep *from,
    const uint8_t *buf, size_t len)
{
	fx_reset(f);
	sw_server_input(f->s, now, SW_SOCK_PRIMARY, from, buf, len, &f->acts);
}

/* [harden] item 6: RSs from 100000 spoofed sources are answered at the
 * global rate, not one each; a source evicted by that flood comes back
 * with RS_START (4) tokens, not a full burst. */
static void
test_rs_rate_total(void **state)
{
	const struct sw_v4ep hot = { SW_IP4(203, 0, 113, 50), 4000 };
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[200];
	unsigned answered = 0, n_hot = 0;
	size_t n;

	(void)state;
	n = mk_rs(pkt, sizeof pkt, false, nonce1, NULL, 0, NULL);
	for (unsigned i = 0; i < 20; i++) {
		rx_at(f, 0, &hot, pkt, n);
		n_hot += f->acts.n;
	}
	assert_int_equal(n_hot, 20);
	/* 100000 sources in 10 s (10000/s; bytes only, nothing is sent) */
	for (unsigned i = 0; i < 100000; i++) {
		struct sw_v4ep from = { SW_IP4(11, 0, 0, 0) + i, 1000 };

		rx_at(f, (sw_time)i * 100 * SW_USEC, &from, pkt, n);
		answered += f->acts.n;
	}
	if (SW_DEFENCE(SERVER_RS_TOTAL)) {
		/* burst 2000 + 1000/s for 10 s */
		assert_in_range(answered, 11000, 12000);
		assert_true(sw_server_stats(f->s)->rs_limited_total >= 88000);
	} else {
		assert_int_equal(answered, 100000);
	}
	/* hot was evicted; 1 s after the flood (the table still under
	 * pressure; the global bucket refilled) it comes back */
	n_hot = 0;
	for (unsigned i = 0; i < 20; i++) {
		rx_at(f, 11 * SW_SEC, &hot, pkt, n);
		n_hot += f->acts.n;
	}
	assert_int_equal(n_hot, SW_DEFENCE(SERVER_RS_TOTAL) ? 4 : 20);
	fx_free(f);
}

static void
test_rs_rate(void **state)
{
	const struct sw_v4ep from_c = { SW_IP4(198, 51, 100, 2), 45131 };
	const struct sw_v4ep from_a2 = { SW_IP4(198, 51, 100, 1), 1 };
	struct fx *f = fx_new(SW_V4_LAB, true);
	uint8_t pkt[200], bub[100];
	unsigned calls;
	size_t n, nb;

	(void)state;
	/* a secure RS: each one passing the limit costs a key lookup and a
	 * MAC (D12) */
	n = mk_rs(pkt, sizeof pkt, false, nonce1, alice_id,
	    sizeof alice_id - 1, f->alice);
	for (unsigned i = 0; i < 20; i++) {		/* the burst */
		rx_at(f, 0, &from_a, pkt, n);
		(void)want_action(f, SW_ACT_SEND_UDP, "RS within the burst");
	}
	assert_int_equal(f->key_calls, 20);
	calls = f->key_calls;
	/* 21st at the same instant: over the rate, refused before the key
	 * is looked up or any MAC computed (cheap first) */
	rx_at(f, 0, &from_a, pkt, n);
	if (SW_DEFENCE(SERVER_RS_RATE)) {
		want_drop(f, SW_DROP_SRV_RS_RATE, "RS over the rate");
		assert_int_equal(f->key_calls, calls);
		assert_int_equal(sw_server_stats(f->s)->rs_limited, 1);
	} else {
		/* weakened build: nothing stops the flood */
		(void)want_action(f, SW_ACT_SEND_UDP, "RS, no limit");
		assert_int_equal(sw_server_stats(f->s)->rs_limited, 0);
	}
	/* another port of the same IPv4 shares the bucket */
	rx_at(f, 0, &from_a2, pkt, n);
	if (SW_DEFENCE(SERVER_RS_RATE))
		want_drop(f, SW_DROP_SRV_RS_RATE, "same IPv4, other port");
	/* another source has its own bucket */
	rx_at(f, 0, &from_c, pkt, n);
	(void)want_action(f, SW_ACT_SEND_UDP, "RS from another source");
	/* non-RS traffic of the limited source is not affected */
	nb = build(bub, sizeof bub, W_SENDER, W_B, BUBBLE, 0, &from_a);
	rx_at(f, 0, &from_a, bub, nb);
	(void)want_action(f, SW_ACT_SEND_UDP, "bubble from a limited source");
	/* one token per 100 ms */
	rx_at(f, 100 * SW_MSEC, &from_a, pkt, n);
	(void)want_action(f, SW_ACT_SEND_UDP, "RS 100 ms later");
	rx_at(f, 100 * SW_MSEC, &from_a, pkt, n);
	if (SW_DEFENCE(SERVER_RS_RATE))
		want_drop(f, SW_DROP_SRV_RS_RATE, "second RS 100 ms later");
	/* after 2 s the whole burst again */
	for (unsigned i = 0; i < 20; i++) {
		rx_at(f, 3 * SW_SEC, &from_a, pkt, n);
		(void)want_action(f, SW_ACT_SEND_UDP, "burst again");
	}
	/* a flood of 1000 RSs from one source: at most the burst answered */
	{
		unsigned answered = 0;

		for (unsigned i = 0; i < 1000; i++) {
			rx_at(f, 10 * SW_SEC, &from_c, pkt, n);
			answered += f->acts.n;
		}
		if (SW_DEFENCE(SERVER_RS_RATE))
			assert_int_equal(answered, 20);
		else
			assert_int_equal(answered, 1000);
	}
	fx_free(f);
}

/* RFC 6324: the loops are counted (the drops are in test_receive_rules). */
static void
test_loop_stats(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t pkt[400];
	size_t n;

	(void)state;
	n = build(pkt, sizeof pkt, W_SENDER, W_B_OWN, BUBBLE, 0, &from_a);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	if (SW_DEFENCE(LOOP)) {
		want_drop(f, SW_DROP_LOOP, "mapping = our secondary");
		assert_int_equal(sw_server_stats(f->s)->loops, 1);
	} else {
		(void)want_action(f, SW_ACT_SEND_UDP, "loop, weakened");
		assert_int_equal(sw_server_stats(f->s)->loops, 0);
	}
	n = build(pkt, sizeof pkt, W_NATIVE, W_B_OWN, BUBBLE, 0, &from_a);
	rx6(f, pkt, n);
	if (SW_DEFENCE(LOOP))
		assert_int_equal(sw_server_stats(f->s)->loops, 2);
	/* one address off: forwarded */
	n = build(pkt, sizeof pkt, W_SENDER, W_B, BUBBLE, 0, &from_a);
	rx(f, SW_SOCK_PRIMARY, &from_a, pkt, n);
	(void)want_action(f, SW_ACT_SEND_UDP, "to a client");
	fx_free(f);
}

/* ---- bounded output ----------------------------------------------------- */

/* A full action list or arena is counted, never overrun, and leaves
 * nothing behind (action.h). */
static void
test_actions_full(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint8_t rs[200], bub[200];
	size_t nrs, nbub, used;

	(void)state;
	nrs = mk_rs(rs, sizeof rs, false, nonce1, NULL, 0, NULL);
	nbub = build(bub, sizeof bub, W_SENDER, W_B, BUBBLE, 0, &from_a);
	fx_reset(f);
	for (unsigned i = 0; i < SW_ACTIONS_MAX; i++)
		assert_non_null(sw_actions_push(&f->acts, SW_ACT_STATE));
	used = f->acts.used;
	sw_server_input(f->s, 0, SW_SOCK_PRIMARY, &from_a, rs, nrs, &f->acts);
	sw_server_input(f->s, 0, SW_SOCK_PRIMARY, &from_a, bub, nbub,
	    &f->acts);
	assert_int_equal(f->acts.n, SW_ACTIONS_MAX);
	assert_int_equal(f->acts.used, used);		/* trimmed back */
	assert_int_equal(f->drops.n[SW_DROP_ACTIONS_FULL], 2);
	assert_int_equal(ndrops(f), 2);

	/* the arena: nearly full */
	fx_reset(f);
	assert_non_null(sw_actions_alloc(&f->acts, SW_ACTIONS_ARENA - 7));
	sw_server_input(f->s, 0, SW_SOCK_PRIMARY, &from_a, rs, nrs, &f->acts);
	sw_server_input(f->s, 0, SW_SOCK_PRIMARY, &from_a, bub, nbub,
	    &f->acts);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_ACTIONS_FULL], 2);
	/* without the OI nothing is needed from the arena */
	nbub = build(bub, sizeof bub, W_SENDER, W_FOREIGN, BUBBLE, 0, &from_a);
	sw_server_input(f->s, 0, SW_SOCK_PRIMARY, &from_a, bub, nbub,
	    &f->acts);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(sw_server_stats(f->s)->rs, 0);
	assert_int_equal(sw_server_stats(f->s)->relayed_udp, 1);

	/* many inputs into one list, as a driver batching would */
	fx_reset(f);
	for (unsigned i = 0; i < 10; i++)
		sw_server_input(f->s, 0, SW_SOCK_PRIMARY, &from_a, rs, nrs,
		    &f->acts);
	assert_int_equal(f->acts.n, 10);
	assert_int_equal(f->acts.used, 10 * (13 + 8 + 96));
	fx_free(f);
}

/*
 * Every datagram has exactly one outcome - one action or one counted
 * discard - and what is sent lies in the arena or the input and parses as
 * Teredo: random mutations of good packets (seeded, reproducible).
 */
static void
test_one_outcome(void **state)
{
	struct fx *f = fx_new(SW_V4_LAB, false);
	uint64_t seed = 0x5eed5eed1234abcdULL;
	uint8_t base[6][200], pkt[256], out[600];
	size_t blen[6];

	(void)state;
	blen[0] = mk_rs(base[0], sizeof base[0], false, nonce1, NULL, 0, NULL);
	blen[1] = mk_rs(base[1], sizeof base[1], true, nonce1, alice_id,
	    sizeof alice_id - 1, f->alice);
	blen[2] = build(base[2], 200, W_SENDER, W_B, BUBBLE, 0, &from_a);
	blen[3] = build(base[3], 200, W_SENDER, W_NATIVE, ECHO, 20, &from_a);
	blen[4] = unhex(base[4], 200, PCAP_BUBBLE);
	blen[5] = build(base[5], 200, W_NATIVE, W_B, ECHO, 20, &from_a);
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t r = xorshift64(&seed);
		unsigned k = (unsigned)(r % 6);
		size_t n = blen[k];
		struct sw_v4ep from = k == 4 ? from_relay : from_a;
		enum sw_sock sock = (enum sw_sock)((r >> 8) & 1);

		memcpy(pkt, base[k], n);
		for (unsigned m = (unsigned)((r >> 9) % 4); m > 0; m--) {
			uint64_t q = xorshift64(&seed);

			pkt[q % n] ^= (uint8_t)(1u << ((q >> 16) % 8));
		}
		if ((r >> 12) % 8 == 0)
			n -= (size_t)((r >> 16) % n);
		if ((r >> 24) % 4 == 0)
			rx6(f, pkt, n);
		else
			rx(f, sock, &from, pkt, n);
		if (f->acts.n + ndrops(f) != 1)
			fail_msg("iteration %u: %u actions, %lu drops", i,
			    f->acts.n, (unsigned long)ndrops(f));
		for (unsigned j = 0; j < f->acts.n; j++) {
			const struct sw_action *a = &f->acts.a[j];
			struct sw_teredo_view v;
			enum sw_drop why;
			size_t len;

			for (int s = 0; s < 2; s++)
				assert_true(a->seg[s].len == 0 ||
				    inside(a->seg[s].p, a->seg[s].len,
				    f->acts.arena, f->acts.used) ||
				    inside(a->seg[s].p, a->seg[s].len, pkt, n));
			len = flat(a, out, sizeof out);
			if (a->kind == SW_ACT_SEND_UDP) {
				assert_int_not_equal(a->dst.port, 0);
				assert_int_equal(sw_wire_parse(out, len, &v,
				    &why), 0);
			} else {
				assert_int_equal(a->kind, SW_ACT_SEND_IP6);
				assert_int_equal(out[0] >> 4, 6);
			}
		}
	}
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_conf_rng),
		cmocka_unit_test(test_rs_nonce_ra),
		cmocka_unit_test(test_ra_matches_miredo),
		cmocka_unit_test(test_rs_cone_socket),
		cmocka_unit_test(test_rs_secure),
		cmocka_unit_test(test_rs_invalid),
		cmocka_unit_test(test_receive_rules),
		cmocka_unit_test(test_d1_d2),
		cmocka_unit_test(test_hardened_policy),
		cmocka_unit_test(test_forward_oi),
		cmocka_unit_test(test_forward_matches_miredo),
		cmocka_unit_test(test_forward_native),
		cmocka_unit_test(test_forward_trailers),
		cmocka_unit_test(test_input_ip6),
		cmocka_unit_test(test_rs_rate),
		cmocka_unit_test(test_rs_rate_total),
		cmocka_unit_test(test_loop_stats),
		cmocka_unit_test(test_actions_full),
		cmocka_unit_test(test_one_outcome),
	};
	return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
