/*
 * client_fix.h - the fixture shared by test_client_data.c and
 * test_client_disc.c: a client on a fake clock and a seeded RNG, behind
 * the NAT mapping map1, qualified through a small fake server S1 that
 * answers its RSs, and the packets fed to it.
 *
 * Each test is its own program: static inline, so a program that leaves
 * one unused does not trip -Wunused-function.
 */
#ifndef SW_TEST_CLIENT_FIX_H
#define SW_TEST_CLIENT_FIX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "client.h"
#include "wire.h"
#include "../common/prng.h"
#include "acts.h"

/* RFC 5737 addresses throughout, with the SW_V4_LAB policy. */
#define S1		SW_IP4(192, 0, 2, 10)		/* our server */
#define S2		SW_IP4(198, 51, 100, 20)	/* another server */
#define T0		(1000 * SW_SEC)
#define SEC		SW_SEC

static const struct sw_v4ep map1 = { SW_IP4(203, 0, 113, 5), 40000 };
static const uint8_t native1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

struct fix {
	struct sw_client *c;
	struct sw_client_conf conf;
	struct sw_drop_counters drops;
	struct sw_actions acts;
	uint64_t seed;
	sw_time now;
	struct sw_v4ep map;	/* what the fake server's RAs say */
	uint8_t me[16];		/* our Teredo address */
	uint8_t peer[16];	/* a peer's Teredo address, if the test has one */
	void (*qualified)(struct fix *f);	/* if set, qualify() calls it */
};

/* ---- fixture ------------------------------------------------------------- */

/* Configured for the server S1 and the lab policy, at T0, the server's
 * RAs saying map1; the client is not created yet (qualify() does it). */
static inline struct fix *
fix_conf(uint64_t seed)
{
	struct fix *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->seed = seed;
	f->now = T0;
	f->map = map1;
	sw_client_conf_default(&f->conf);
	f->conf.servers[0].primary = S1;
	f->conf.n_servers = 1;
	f->conf.v4.policy = SW_V4_LAB;
	f->conf.rng.fill = prng_fill;
	f->conf.rng.ctx = &f->seed;
	return f;
}

static inline void
fix_free(struct fix *f)
{
	sw_client_free(f->c);
	free(f);
}

static inline void
reset(struct fix *f)
{
	acts_reset(&f->acts, &f->drops);
}

static inline struct sw_client_status
status(const struct fix *f)
{
	struct sw_client_status st;

	sw_client_status(f->c, &st);
	return st;
}

static inline unsigned
count(const struct fix *f, enum sw_action_kind k)
{
	return acts_count(&f->acts, k);
}

/* The i-th action of kind k (0-based). */
static inline const struct sw_action *
nth(const struct fix *f, enum sw_action_kind k, unsigned i)
{
	return acts_nth(&f->acts, k, i);
}

/* SEND_UDPs to dst. */
static inline unsigned
count_to(const struct fix *f, const struct sw_v4ep *dst)
{
	return acts_count_to(&f->acts, dst);
}

/* The first SEND_UDP to dst, or NULL. */
static inline const struct sw_action *
sent_to(const struct fix *f, const struct sw_v4ep *dst)
{
	return acts_sent_to(&f->acts, dst);
}

static inline uint64_t
total_drops(const struct fix *f)
{
	return drops_total(&f->drops);
}

static inline void
input(struct fix *f, const struct sw_v4ep *from, const uint8_t *buf,
    size_t len)
{
	reset(f);
	sw_client_input(f->c, f->now, from, buf, len, &f->acts);
}

static inline void
send6(struct fix *f, const uint8_t *pkt, size_t len)
{
	reset(f);
	sw_client_send(f->c, f->now, pkt, len, &f->acts);
}

static inline void
tick_at(struct fix *f, sw_time t)
{
	f->now = t;
	reset(f);
	sw_client_tick(f->c, f->now, &f->acts);
}

/* ---- the fake server -------------------------------------------------------- */

/* Answer the (last) RS to S1 among the current actions with an RA for
 * f->map. */
static inline void
answer_rs(struct fix *f)
{
	const struct sw_action *a = NULL;
	struct sw_ra ra = {
		.retrans = 2000, .prefix_count = 1, .prefix_len = 64,
		.pio_flags = 0x40, .valid = UINT32_MAX,
		.preferred = UINT32_MAX, .has_mtu = true, .mtu = 1280,
	};
	struct sw_teredo_view v;
	struct sw_v4ep from;
	uint8_t src[16], dst[16], ip6[256], buf[512];
	enum sw_drop why;
	int len, alen;

	for (unsigned i = 0; i < f->acts.n; i++)
		if (f->acts.a[i].kind == SW_ACT_SEND_UDP &&
		    f->acts.a[i].dst.port == SW_TEREDO_PORT &&
		    (f->acts.a[i].dst.addr == S1 ||
		    f->acts.a[i].dst.addr == S1 + 1))
			a = &f->acts.a[i];
	if (a == NULL) {
		fail_msg("no RS to answer");
		abort();
	}
	from.addr = a->dst.addr;
	from.port = SW_TEREDO_PORT;
	assert_int_equal(sw_wire_parse(a->seg[0].p, a->seg[0].len, &v, &why),
	    0);
	assert_true(v.has_auth);
	sw_put32(ra.prefix, f->conf.prefix);
	sw_put32(ra.prefix + 4, S1);
	sw_addr_server_ll(src, S1);
	sw_addr_client_ll(dst, false);
	len = sw_wire_build_ra(ip6, sizeof ip6, src, dst, &ra);
	assert_true(len > 0);
	alen = sw_wire_build_auth(buf, sizeof buf, NULL, 0, NULL, 0,
	    v.auth.nonce, 0);
	assert_int_equal(alen, SW_AUTH_MIN_LEN);
	assert_int_equal(sw_wire_build_origin(buf + alen, 8, &f->map), 8);
	memcpy(buf + alen + 8, ip6, (size_t)len);
	input(f, &from, buf, (size_t)alen + 8 + (size_t)len);
}

/* Create and start the client, answer its two RSs: QUALIFIED as f->me;
 * then f->qualified(f) if set, and the drops cleared. */
static inline void
qualify(struct fix *f)
{
	assert_int_equal(sw_client_new(&f->c, &f->conf), 0);
	reset(f);
	sw_client_start(f->c, f->now, &f->acts);
	answer_rs(f);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_SECONDARY);
	answer_rs(f);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	memcpy(f->me, status(f).addr, 16);
	if (f->qualified != NULL)
		f->qualified(f);
	memset(&f->drops, 0, sizeof f->drops);
}

/* ---- packets ---------------------------------------------------------------- */

static inline void
teredo_addr(uint8_t a[16], uint32_t server, const struct sw_v4ep *m,
    uint16_t flags)
{
	const struct sw_teredo t = {
		.prefix = SW_TEREDO_PREFIX, .server = server, .flags = flags,
		.mapped = *m,
	};

	sw_addr_encode(a, &t);
}

/* An IPv6 packet with plen bytes of UDP-ish payload filled with `fill`. */
static inline size_t
mk_pkt(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
    size_t plen, uint8_t fill)
{
	assert_true(SW_IP6_HLEN + plen <= cap);
	assert_int_equal(sw_ip6_build(buf, cap, src, dst, SW_NH_UDP, 64,
	    (uint16_t)plen), SW_IP6_HLEN);
	memset(buf + SW_IP6_HLEN, fill, plen);
	return SW_IP6_HLEN + plen;
}

static inline size_t
mk_bubble_hlim(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16],
    uint8_t hlim)
{
	assert_int_equal(sw_wire_build_bubble(buf, SW_IP6_HLEN, src, dst,
	    hlim), SW_IP6_HLEN);
	return SW_IP6_HLEN;
}

/* A bubble with hop limit 64. */
static inline size_t
mk_bubble(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16])
{
	return mk_bubble_hlim(buf, src, dst, 64);
}

/* An echo reply from `src` to us carrying data. */
static inline size_t
mk_reply(const struct fix *f, uint8_t *buf, size_t cap, const uint8_t src[16],
    const uint8_t data[8])
{
	int n = sw_wire_build_echo(buf, cap, SW_ICMP6_ECHO_REPLY, src, f->me,
	    64, 7, 0, data, 8);

	assert_true(n > 0);
	return (size_t)n;
}

#endif
