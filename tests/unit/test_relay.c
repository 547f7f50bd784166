/*
 * test_relay.c - the Teredo relay (lib/relay.c; RFC 4380 §5.4, spec §4,
 * §8.2 D17-D21, §8.3 HARD-6/7).
 *
 * A fake clock (the `now` argument) drives every test.  Each transmit
 * rule (REL-TX-1..6) and each receive check (REL-RX-1..6) is exercised
 * both ways: the packet that must be discarded, counted under its reason
 * and nothing else, and the good packet next to it.  Then the entry life
 * cycle: 1 + 3 bubble rounds 2 s apart and removal with its queue (D21),
 * trust on the client's answer with the queue flushed in FIFO order,
 * expiry of trust after 30 s without reception, hop limit handling, zero
 * copy, and a flood of 100k destinations into a 64-entry table.
 *
 * Addresses are RFC 5737 / RFC 3849 documentation ones, so the relays run
 * with the lab COM-V4G policy (test_tx_hardened shows the default one).
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
#include "check.h"
#include "relay.h"
#include "weaken.h"
#include "wire.h"
#include "../common/prng.h"
#include "acts.h"

#define SERVER	SW_IP4(192, 0, 2, 10)
#define SEC	SW_SEC

static const struct sw_v4ep map_a = { SW_IP4(198, 51, 100, 1), 45131 };
static const struct sw_v4ep map_b = { SW_IP4(203, 0, 113, 5), 40000 };

/* 2001:db8::1, the relay's bubble source; 2001:db8:1::5, a native host. */
static const uint8_t relay_ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t native[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5 };

struct fx {
	struct sw_relay *r;
	struct sw_drop_counters drops;
	struct sw_actions acts;
	uint64_t seed;
};

static void
teredo(uint8_t out[16], uint32_t server, const struct sw_v4ep *m,
    uint16_t flags)
{
	struct sw_teredo t = {
		.prefix = SW_TEREDO_PREFIX, .server = server, .flags = flags,
		.mapped = *m,
	};

	sw_addr_encode(out, &t);
}

/* An IPv6 packet: header + plen bytes fill, fill+1, ... */
static size_t
mkpkt(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
    uint8_t nxt, uint8_t hlim, uint16_t plen, uint8_t fill)
{
	assert_int_equal(sw_ip6_build(out, 40 + (size_t)plen, src, dst, nxt,
	    hlim, plen), 40);
	for (size_t i = 0; i < plen; i++)
		out[40 + i] = (uint8_t)(fill + i);
	return 40 + (size_t)plen;
}

/* A Type 0 routing header with one address, Segments Left 1. */
static size_t
mkrh0(uint8_t *out, const uint8_t src[16], const uint8_t dst[16])
{
	size_t n = mkpkt(out, src, dst, SW_NH_ROUTING, 64, 24, 0);

	memset(out + 40, 0, 24);
	out[40] = SW_NH_NONE;
	out[41] = 2;
	out[42] = 0;
	out[43] = 1;
	return n;
}

static void
fx_conf(struct sw_relay_conf *c)
{
	sw_relay_conf_default(c);
	c->v4.policy = SW_V4_LAB;
	memcpy(c->bubble_src, relay_ip, 16);
	c->capacity = 8;
	c->max_packet = 256;		/* the pool has 10 slots */
	c->queue_peer_bytes = 1000;
	c->queue_total_bytes = 2560;
	/* The bubble budgets have tests of their own. */
	c->bubble_rate = (struct sw_tb_conf){ 1, 1000000 };
	c->bubble_rate_total = (struct sw_tb_conf){ 1, 1000000 };
}

static struct fx *
fx_new_conf(const struct sw_relay_conf *c)
{
	struct fx *f = calloc(1, sizeof *f);
	struct sw_rng rng;

	assert_non_null(f);
	f->seed = 0x5eed1234abcdULL;
	rng = (struct sw_rng){ prng_fill, &f->seed };
	assert_int_equal(sw_relay_new(&f->r, c, &rng), 0);
	f->acts.drops = &f->drops;
	return f;
}

static struct fx *
fx_new(void)
{
	struct sw_relay_conf c;

	fx_conf(&c);
	return fx_new_conf(&c);
}

static void
fx_free(struct fx *f)
{
	sw_relay_free(f->r);
	free(f);
}

static void
fx_reset(struct fx *f)
{
	memset(&f->drops, 0, sizeof f->drops);
	sw_actions_reset(&f->acts);
}

static void
tx(struct fx *f, sw_time now, const uint8_t *p, size_t len)
{
	fx_reset(f);
	sw_relay_send(f->r, now, p, len, &f->acts);
}

static void
rx(struct fx *f, sw_time now, const struct sw_v4ep *from, const uint8_t *p,
    size_t len)
{
	fx_reset(f);
	sw_relay_input(f->r, now, from, p, len, &f->acts);
}

static void
tick(struct fx *f, sw_time now)
{
	fx_reset(f);
	sw_relay_tick(f->r, now, &f->acts);
}

static uint64_t
ndrops(const struct fx *f)
{
	return drops_total(&f->drops);
}

static struct sw_relay_status
st(const struct fx *f)
{
	struct sw_relay_status s;

	sw_relay_status(f->r, &s);
	return s;
}

static void
want_drop(const struct fx *f, enum sw_drop why, const char *what)
{
	acts_want_drop(&f->acts, &f->drops, why, what);
}

static bool
in_arena(const struct fx *f, const uint8_t *p, size_t len)
{
	return p >= f->acts.arena && p + len <= f->acts.arena + f->acts.used;
}

/* An action is one bubble round's indirect bubble for dst. */
static void
want_bubble(const struct fx *f, const struct sw_action *a,
    const uint8_t dst[16], const struct sw_v4ep *to)
{
	struct sw_ip6_view ip;
	enum sw_drop why;

	assert_int_equal(a->kind, SW_ACT_SEND_UDP);
	assert_int_equal(a->dst.addr, to->addr);
	assert_int_equal(a->dst.port, to->port);
	assert_int_equal(a->seg[0].len, 40);
	assert_int_equal(a->seg[1].len, 0);
	assert_true(in_arena(f, a->seg[0].p, 40));
	assert_int_equal(sw_ip6_parse(a->seg[0].p, 40, &ip, &why), 0);
	assert_true(sw_ip6_is_bubble(&ip));
	assert_memory_equal(ip.src, relay_ip, 16);
	assert_memory_equal(ip.dst, dst, 16);
}

/* An action sends/delivers exactly pkt with the hop limit decremented,
 * header copied into the arena, body in place at body. */
static void
want_forward(const struct fx *f, const struct sw_action *a,
    enum sw_action_kind kind, const uint8_t *pkt, size_t len,
    const uint8_t *body)
{
	assert_int_equal(a->kind, kind);
	assert_int_equal(a->seg[0].len, 40);
	assert_true(in_arena(f, a->seg[0].p, 40));
	assert_memory_equal(a->seg[0].p, pkt, 7);
	assert_int_equal(a->seg[0].p[7], pkt[7] - 1);
	assert_memory_equal(a->seg[0].p + 8, pkt + 8, 32);
	assert_int_equal(a->seg[1].len, len - 40);
	if (len > 40) {
		assert_ptr_equal(a->seg[1].p, body);
		assert_memory_equal(a->seg[1].p, pkt + 40, len - 40);
	}
}

static unsigned
count_kind(const struct fx *f, enum sw_action_kind k)
{
	return acts_count(&f->acts, k);
}

/* A DELIVER action: ICMPv6 Destination Unreachable code 3 from the relay
 * to pkt's source, carrying pkt whole. */
static void
want_unreach(const struct sw_action *a, const uint8_t *pkt, size_t len)
{
	struct sw_ip6_view ip;
	enum sw_drop why;

	assert_int_equal(a->kind, SW_ACT_DELIVER);
	assert_int_equal(a->seg[1].len, 0);
	assert_int_equal(sw_ip6_parse(a->seg[0].p, a->seg[0].len, &ip, &why),
	    0);
	assert_memory_equal(ip.src, relay_ip, 16);
	assert_memory_equal(ip.dst, pkt + 8, 16);
	assert_int_equal(ip.nxt, SW_NH_ICMP6);
	assert_true(sw_icmp6_checksum_ok(&ip));
	assert_int_equal(ip.payload[0], SW_ICMP6_DST_UNREACH);
	assert_int_equal(ip.payload[1], SW_ICMP6_UNREACH_ADDR);
	assert_int_equal(ip.plen, 8 + len);
	assert_memory_equal(ip.payload + 8, pkt, len);
}

/*
 * Make the peer at addr (mapping m) trusted: a first packet creates the
 * entry (bubble, queued), then the client's bubble answers.  Returns with
 * the queue flushed (one SEND_UDP).
 */
static void
establish(struct fx *f, sw_time now, const uint8_t addr[16],
    const struct sw_v4ep *m)
{
	uint8_t p[100], b[40];
	size_t n;

	n = mkpkt(p, native, addr, SW_NH_UDP, 64, 20, 1);
	tx(f, now, p, n);
	assert_int_equal(ndrops(f), 0);
	mkpkt(b, addr, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, now, m, b, 40);
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(f->acts.a[0].kind, SW_ACT_SEND_UDP);
}

/* ---- configuration -------------------------------------------------------- */

static void
test_conf(void **state)
{
	struct sw_relay_conf c;
	struct sw_relay *r;
	uint64_t seed = 7;
	struct sw_rng rng = { prng_fill, &seed };
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 1 };
	static const uint8_t mc[16] = { 0xff, 0x02, [15] = 1 };
	uint8_t ter[16];

	(void)state;
	sw_relay_conf_default(&c);
	assert_int_equal(c.prefix, SW_TEREDO_PREFIX);
	assert_int_equal(c.retry_interval, 2 * SEC);
	assert_int_equal(c.retries, 3);
	assert_int_equal(c.valid, 30 * SEC);
	assert_int_equal(c.n_served, 1);
	assert_int_equal(c.served[0].plen, 0);
	assert_false(c.always_direct_bubble);
	/* bubble_src unset */
	assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	assert_null(r);

	teredo(ter, SERVER, &map_a, 0);
	const uint8_t *bad[] = { ll, mc, ter };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(c.bubble_src, bad[i], 16);
		assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	}
	memcpy(c.bubble_src, relay_ip, 16);
	c.n_served = 0;
	assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	c.n_served = SW_RELAY_MAX_SERVED + 1;
	assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	c.n_served = 1;
	c.retry_interval = 0;
	assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	c.retry_interval = 2 * SEC;
	c.capacity = 0;
	assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	c.capacity = 16;
	c.n_own = SW_RELAY_MAX_OWN + 1;		/* RFC 6324 list */
	assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	c.n_own = SW_RELAY_MAX_OWN;
	assert_int_equal(sw_relay_new(&r, &c, &rng), 0);
	sw_relay_free(r);
	c.n_own = 0;
	assert_int_equal(sw_relay_new(&r, &c, &rng), 0);
	assert_non_null(r);
	assert_int_equal(sw_relay_next_deadline(r), SW_TIME_NEVER);
	sw_relay_free(r);
	sw_relay_free(NULL);
}

/* ---- REL-TX: native side -> clients ----------------------------------------- */

enum tx_case {
	TX_GOOD, TX_VERSION, TX_LENGTH, TX_NOT_TEREDO, TX_SRC_LL, TX_SRC_MC,
	TX_SRC_UNSPEC, TX_SRC_TEREDO, TX_MAPPED_PRIVATE, TX_SERVER_PRIVATE,
	TX_PORT_ZERO, TX_RH0, TX_HLIM1, TX_HLIM0,
};

static const struct {
	enum tx_case c;
	enum sw_drop why;
	const char *name;
} tx_cases[] = {
	{ TX_GOOD, SW_DROP_NONE, "good" },
	{ TX_VERSION, SW_DROP_IP6_VERSION, "D2 version" },
	{ TX_LENGTH, SW_DROP_IP6_LENGTH, "D2 length" },
	{ TX_NOT_TEREDO, SW_DROP_DST_NOT_TEREDO, "REL-TX-1 native dst" },
	{ TX_SRC_LL, SW_DROP_SRC_LINK_LOCAL, "HARD-7 src link-local" },
	{ TX_SRC_MC, SW_DROP_SRC_BAD, "HARD-7 src multicast" },
	{ TX_SRC_UNSPEC, SW_DROP_SRC_BAD, "HARD-7 src ::" },
	{ TX_SRC_TEREDO, SW_DROP_TEREDO_TRANSIT, "HARD-7 Teredo src" },
	{ TX_MAPPED_PRIVATE, SW_DROP_V4_NOT_GLOBAL, "D17 mapped 10/8" },
	{ TX_SERVER_PRIVATE, SW_DROP_V4_NOT_GLOBAL, "D17 server 127/8" },
	{ TX_PORT_ZERO, SW_DROP_DST_PORT_ZERO, "HARD-8 port 0" },
	{ TX_RH0, SW_DEFENCE(ROUTING_HEADER) ? SW_DROP_ROUTING_HEADER0 :
	  SW_DROP_NONE, "D25 RH0" },
	{ TX_HLIM1, SW_DROP_HOP_LIMIT, "hop limit 1" },
	{ TX_HLIM0, SW_DROP_HOP_LIMIT, "hop limit 0" },
};

static void
test_tx_checks(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof tx_cases / sizeof tx_cases[0]; i++) {
		struct fx *f = fx_new();
		uint8_t p[200], dst[16], src[16];
		struct sw_v4ep m = map_a;
		uint32_t server = SERVER;
		uint8_t hlim = 64;
		size_t n;

		memcpy(src, native, 16);
		switch (tx_cases[i].c) {
		case TX_SRC_LL:
			src[0] = 0xfe; src[1] = 0x80;
			break;
		case TX_SRC_MC:
			src[0] = 0xff;
			break;
		case TX_SRC_UNSPEC:
			memset(src, 0, 16);
			break;
		case TX_SRC_TEREDO:
			teredo(src, SERVER, &map_b, 0);
			break;
		case TX_MAPPED_PRIVATE:
			m.addr = SW_IP4(10, 1, 2, 3);
			break;
		case TX_SERVER_PRIVATE:
			server = SW_IP4(127, 0, 0, 1);
			break;
		case TX_PORT_ZERO:
			m.port = 0;
			break;
		case TX_HLIM1:
			hlim = 1;
			break;
		case TX_HLIM0:
			hlim = 0;
			break;
		default:
			break;
		}
		teredo(dst, server, &m, 0);
		if (tx_cases[i].c == TX_NOT_TEREDO)
			memcpy(dst, native, 16), dst[15] = 9;
		if (tx_cases[i].c == TX_RH0)
			n = mkrh0(p, src, dst);
		else
			n = mkpkt(p, src, dst, SW_NH_UDP, hlim, 30, 0);
		if (tx_cases[i].c == TX_VERSION)
			p[0] = 0x40;
		if (tx_cases[i].c == TX_LENGTH)
			n -= 1;
		tx(f, 0, p, n);
		if (tx_cases[i].why == SW_DROP_NONE) {
			assert_int_equal(ndrops(f), 0);
			assert_int_equal(f->acts.n, 1);
			want_bubble(f, &f->acts.a[0], dst,
			    &(struct sw_v4ep){ SERVER, SW_TEREDO_PORT });
			assert_int_equal(st(f).peers, 1);
			assert_int_equal(st(f).queued_bytes, n);
		} else {
			want_drop(f, tx_cases[i].why, tx_cases[i].name);
			assert_int_equal(st(f).peers, 0);
			assert_int_equal(st(f).queued_bytes, 0);
		}
		fx_free(f);
	}
}

/* The default (hardened) COM-V4G policy refuses documentation space. */
static void
test_tx_hardened(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[100], dst[16];
	size_t n;

	(void)state;
	fx_conf(&c);
	c.v4.policy = SW_V4_HARDENED;
	f = fx_new_conf(&c);
	teredo(dst, SERVER, &map_a, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 10, 0);
	tx(f, 0, p, n);
	want_drop(f, SW_DROP_V4_NOT_GLOBAL, "hardened D17");
	fx_free(f);
}

/* REL-TX-4, REL-GEN-5: the cone bit changes nothing; REL-TX-6: direct
 * bubble as well when configured, same bytes. */
static void
test_tx_bubbles(void **state)
{
	(void)state;
	for (int direct = 0; direct <= 1; direct++) {
		for (int cone = 0; cone <= 1; cone++) {
			struct sw_relay_conf c;
			struct fx *f;
			uint8_t p[100], dst[16];
			size_t n;

			fx_conf(&c);
			c.always_direct_bubble = direct != 0;
			f = fx_new_conf(&c);
			teredo(dst, SERVER, &map_a,
			    cone ? SW_FLAG_CONE : 0x0123);
			n = mkpkt(p, native, dst, SW_NH_TCP, 64, 20, 0);
			tx(f, 5 * SEC, p, n);
			assert_int_equal(ndrops(f), 0);
			assert_int_equal(f->acts.n, direct ? 2 : 1);
			want_bubble(f, &f->acts.a[0], dst,
			    &(struct sw_v4ep){ SERVER, SW_TEREDO_PORT });
			if (direct) {
				want_bubble(f, &f->acts.a[1], dst, &map_a);
				assert_ptr_equal(f->acts.a[1].seg[0].p,
				    f->acts.a[0].seg[0].p);
			}
			assert_int_equal(st(f).stats.bubble_rounds, 1);
			assert_int_equal(st(f).stats.bubbles_sent,
			    direct ? 2 : 1);
			assert_int_equal(st(f).stats.queued, 1);
			assert_int_equal(st(f).stats.to_clients, 0);
			assert_int_equal(sw_relay_next_deadline(f->r), 7 * SEC);
			fx_free(f);
		}
	}
}

/* Bubbles are never more frequent than one round per 2 s per peer;
 * packets meanwhile are queued, up to the per-peer bound. */
static void
test_tx_rate_limit_and_queue(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[300], dst[16];
	size_t n;
	unsigned queued = 0;

	(void)state;
	teredo(dst, SERVER, &map_a, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 160, 0);	/* 200 bytes */
	for (unsigned i = 0; i < 10; i++) {
		tx(f, i * 100 * SW_MSEC, p, n);
		if (i == 0)
			assert_int_equal(f->acts.n, 1);
		else
			assert_int_equal(f->acts.n, 0);
		if (ndrops(f) == 0)
			queued++;
		else
			want_drop(f, SW_DROP_QUEUE_PEER_FULL, "per-peer bound");
	}
	if (!SW_DEFENCE(RELAY_QUEUE)) {
		/* weakened (HARD-6): no per-peer bound, the pool's 10 slots */
		assert_int_equal(queued, 10);
		fx_free(f);
		return;
	}
	assert_int_equal(queued, 5);		/* 1000 / 200 */
	assert_int_equal(st(f).queued_bytes, 1000);
	assert_int_equal(st(f).stats.bubble_rounds, 1);
	tick(f, 1999 * SW_MSEC);
	assert_int_equal(f->acts.n, 0);
	tick(f, 2 * SEC);
	assert_int_equal(f->acts.n, 1);

	/* Too big for a slot (256). */
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 217, 0);
	tx(f, 2 * SEC, p, n);
	want_drop(f, SW_DROP_QUEUE_TOO_BIG, "packet too big");
	fx_free(f);
}

/* The pool bound, across peers. */
static void
test_tx_queue_total(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[300], dst[16];
	size_t n;
	unsigned full = 0;

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		struct sw_v4ep m = map_a;

		m.port = (uint16_t)(1000 + k);
		teredo(dst, SERVER, &m, 0);
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 160, 0);
		for (unsigned i = 0; i < 5; i++) {
			tx(f, 0, p, n);
			if (f->drops.n[SW_DROP_QUEUE_TOTAL_FULL] == 1)
				full++;
		}
	}
	assert_int_equal(full, 5);
	assert_int_equal(st(f).queued_bytes, 2000);
	assert_int_equal(st(f).peers, 3);
	if (SW_DEFENCE(RELAY_QUEUE)) {
		/* HARD-6: the third peer took slots from the bigger queues
		 * until they were no bigger than its own (4 of its 5: 800
		 * bytes each way), and its first packet was never refused */
		assert_int_equal(st(f).stats.queue_evicted, 4);
		assert_int_equal(st(f).stats.queue_refused_new, 0);
	} else {
		/* weakened: each of the third peer's packets refused */
		assert_int_equal(st(f).stats.queue_evicted, 0);
		assert_int_equal(st(f).stats.queue_refused_new, 5);
	}
	fx_free(f);
}

/* D21: 1 + 3 bubble rounds at t, t+2, t+4, t+6, removal at t+8 with the
 * queue dropped; nothing in between. */
static void
test_tx_retry_exhaustion(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[100], dst[16];
	size_t n;
	const sw_time t0 = 100 * SEC;
	unsigned rounds = 0;

	(void)state;
	teredo(dst, SERVER, &map_a, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, t0, p, n);
	rounds += f->acts.n;
	tx(f, t0 + 1, p, n);
	tx(f, t0 + 2, p, n);
	assert_int_equal(st(f).stats.queued, 3);
	for (sw_time now = t0 + 100 * SW_MSEC; now <= t0 + 12 * SEC;
	    now += 100 * SW_MSEC) {
		sw_time due = sw_relay_next_deadline(f->r);

		tick(f, now);
		if (now < due) {
			assert_int_equal(f->acts.n, 0);
			assert_int_equal(ndrops(f), 0);
			continue;
		}
		assert_int_equal((now - t0) % (2 * SEC), 0);
		if (now < t0 + 8 * SEC) {
			assert_int_equal(f->acts.n, 1);
			want_bubble(f, &f->acts.a[0], dst,
			    &(struct sw_v4ep){ SERVER, SW_TEREDO_PORT });
			assert_int_equal(sw_relay_next_deadline(f->r),
			    now + 2 * SEC);
			rounds++;
		} else {
			assert_int_equal(now, t0 + 8 * SEC);
			/* each sender hears Destination Unreachable, code
			 * 3, from the relay, with its packet (SEC-9) */
			assert_int_equal(f->acts.n, 3);
			for (unsigned i = 0; i < 3; i++)
				want_unreach(&f->acts.a[i], p, n);
			assert_int_equal(st(f).stats.unreachable_sent, 3);
			assert_int_equal(f->drops.n[SW_DROP_QUEUE_PEER_GONE], 3);
			assert_int_equal(ndrops(f), 3);
			assert_int_equal(st(f).peers, 0);
			assert_int_equal(st(f).queued_bytes, 0);
			assert_int_equal(st(f).stats.expired, 1);
		}
	}
	assert_int_equal(rounds, 4);
	assert_int_equal(st(f).stats.bubble_rounds, 4);
	assert_int_equal(sw_relay_next_deadline(f->r), SW_TIME_NEVER);
	/* A new packet starts over. */
	tx(f, t0 + 20 * SEC, p, n);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(st(f).peers, 1);
	fx_free(f);
}

/*
 * decrement_hop_limit off (the daemon: the kernel forwards and
 * decrements): packets leave exactly as they came, zero copy, also with
 * hop limit 1 (the kernel already refused what it may not forward); with
 * it on (the default, tested throughout) hop limit 1 is dropped.
 */
static void
test_kernel_routes(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[100], dst[16], b[100];
	size_t n, bn;

	(void)state;
	fx_conf(&c);
	c.decrement_hop_limit = false;
	f = fx_new_conf(&c);
	teredo(dst, SERVER, &map_a, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 1, 20, 0x11);
	tx(f, SEC, p, n);
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(st(f).stats.queued, 1);
	/* the client answers from its mapping: the queued packet goes out
	 * as it is (from the queue slot), then the answer is delivered
	 * zero copy from the receive buffer */
	bn = mkpkt(b, dst, native, SW_NH_UDP, 1, 8, 0x22);
	rx(f, 2 * SEC, &map_a, b, bn);
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(f->acts.n, 2);
	assert_int_equal(f->acts.a[0].kind, SW_ACT_SEND_UDP);
	assert_int_equal(f->acts.a[0].seg[0].len, n);
	assert_int_equal(f->acts.a[0].seg[1].len, 0);
	assert_memory_equal(f->acts.a[0].seg[0].p, p, n);
	assert_int_equal(f->acts.a[1].kind, SW_ACT_DELIVER);
	assert_ptr_equal(f->acts.a[1].seg[0].p, b);
	assert_int_equal(f->acts.a[1].seg[0].len, bn);
	assert_int_equal(f->acts.a[1].seg[1].len, 0);
	/* trusted: straight out, zero copy, hop limit untouched */
	tx(f, 3 * SEC, p, n);
	assert_int_equal(f->acts.n, 1);
	assert_ptr_equal(f->acts.a[0].seg[0].p, p);
	assert_int_equal(f->acts.a[0].seg[0].len, n);
	assert_int_equal(f->acts.a[0].seg[0].p[7], 1);
	fx_free(f);
	/* the default: hop limit 1 is not forwarded */
	f = fx_new();
	tx(f, SEC, p, n);
	want_drop(f, SW_DROP_HOP_LIMIT, "hop limit 1, decrementing");
	fx_free(f);
}

/*
 * SEC-9: errors for given-up queues share one token bucket (here 2, one
 * more per second); none about an ICMPv6 error; burst 0 turns them off.
 */
static void
test_unreach_rate_limit(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[6][100], dst[6][16];
	size_t n[6];
	sw_time t = 10 * SEC;

	(void)state;
	fx_conf(&c);
	c.icmp_rate.interval = SEC;
	c.icmp_rate.burst = 2;
	f = fx_new_conf(&c);
	for (unsigned i = 0; i < 6; i++) {
		struct sw_v4ep m = { map_a.addr, (uint16_t)(map_a.port + i) };

		teredo(dst[i], SERVER, &m, 0);
		n[i] = mkpkt(p[i], native, dst[i], SW_NH_UDP, 64, 8,
		    (uint8_t)i);
	}
	/* an ICMPv6 error as the only packet of peer 5 */
	n[5] = mkpkt(p[5], native, dst[5], SW_NH_ICMP6, 64, 8, 0);
	p[5][40] = SW_ICMP6_DST_UNREACH;
	for (unsigned i = 0; i < 6; i++)
		tx(f, t, p[i], n[i]);
	for (unsigned r = 1; r <= 4; r++)
		tick(f, t + 2 * r * SEC);
	assert_int_equal(st(f).stats.expired, 6);
	assert_int_equal(count_kind(f, SW_ACT_DELIVER), 2);
	assert_int_equal(st(f).stats.unreachable_sent, 2);
	assert_int_equal(st(f).stats.unreachable_limited, 3);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_PEER_GONE], 6);
	fx_free(f);
	/* off */
	fx_conf(&c);
	c.icmp_rate.burst = 0;
	f = fx_new_conf(&c);
	tx(f, t, p[0], n[0]);
	for (unsigned r = 1; r <= 4; r++)
		tick(f, t + 2 * r * SEC);
	assert_int_equal(count_kind(f, SW_ACT_DELIVER), 0);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_PEER_GONE], 1);
	fx_free(f);
}

/* REL-TX-4/5, REL-RX-4: the client's answer makes the entry trusted and
 * flushes its queue, oldest first, to the mapping; later packets go
 * straight out, zero copy, hop limit decremented; no more bubbles. */
static void
test_trust_flush(void **state)
{
	(void)state;
	for (int answer_is_bubble = 0; answer_is_bubble <= 1;
	    answer_is_bubble++) {
		struct fx *f = fx_new();
		uint8_t p[3][100], dst[16], b[100];
		size_t n[3], bn;

		teredo(dst, SERVER, &map_a, 0);
		for (unsigned i = 0; i < 3; i++) {
			n[i] = mkpkt(p[i], native, dst, SW_NH_UDP,
			    (uint8_t)(10 + i), (uint16_t)(10 + i),
			    (uint8_t)(0x40 * i));
			tx(f, SEC, p[i], n[i]);
		}
		assert_int_equal(st(f).stats.queued, 3);
		/* The client answers from its mapping. */
		if (answer_is_bubble)
			bn = mkpkt(b, dst, relay_ip, SW_NH_NONE, 255, 0, 0);
		else
			bn = mkpkt(b, dst, native, SW_NH_UDP, 64, 8, 0);
		rx(f, 2 * SEC, &map_a, b, bn);
		assert_int_equal(ndrops(f), 0);
		assert_int_equal(f->acts.n, answer_is_bubble ? 3 : 4);
		for (unsigned i = 0; i < 3; i++) {
			const struct sw_action *a = &f->acts.a[i];

			assert_int_equal(a->dst.addr, map_a.addr);
			assert_int_equal(a->dst.port, map_a.port);
			/* the body is in the queue, not in the caller's p[i] */
			want_forward(f, a, SW_ACT_SEND_UDP, p[i], n[i],
			    a->seg[1].p);
			assert_ptr_not_equal(a->seg[1].p, p[i] + 40);
		}
		if (!answer_is_bubble)
			want_forward(f, &f->acts.a[3], SW_ACT_DELIVER, b, bn,
			    b + 40);
		assert_int_equal(st(f).queued_bytes, 0);
		assert_int_equal(st(f).stats.flushed, 3);
		assert_int_equal(st(f).stats.trusted, 1);
		assert_int_equal(st(f).stats.bubbles_rx,
		    answer_is_bubble ? 1 : 0);

		/* Trusted: straight to the mapping, body in place. */
		tx(f, 3 * SEC, p[0], n[0]);
		assert_int_equal(ndrops(f), 0);
		assert_int_equal(f->acts.n, 1);
		want_forward(f, &f->acts.a[0], SW_ACT_SEND_UDP, p[0], n[0],
		    p[0] + 40);
		assert_int_equal(f->acts.a[0].dst.addr, map_a.addr);
		assert_int_equal(f->acts.a[0].dst.port, map_a.port);
		/* The pending retry is void: no bubble, no removal. */
		tick(f, 20 * SEC);
		assert_int_equal(f->acts.n, 0);
		assert_int_equal(ndrops(f), 0);
		assert_int_equal(st(f).peers, 1);
		/* only the sweep for stale trusted entries, each second */
		assert_int_equal(sw_relay_next_deadline(f->r), 21 * SEC);
		assert_int_equal(st(f).stats.to_clients, 4);
		fx_free(f);
	}
}

/* Validity (rfc-notes 17): a trusted entry without reception for 30 s
 * goes back to bubbling; a reception revives it. */
static void
test_trust_expiry(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[100], dst[16], b[40];
	size_t n;

	(void)state;
	teredo(dst, SERVER, &map_a, 0);
	establish(f, 10 * SEC, dst, &map_a);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, 40 * SEC - 1, p, n);
	assert_int_equal(f->acts.n, 1);
	want_forward(f, &f->acts.a[0], SW_ACT_SEND_UDP, p, n, p + 40);

	tx(f, 40 * SEC, p, n);			/* stale */
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(f->acts.n, 1);
	want_bubble(f, &f->acts.a[0], dst,
	    &(struct sw_v4ep){ SERVER, SW_TEREDO_PORT });
	assert_int_equal(st(f).stats.stale, 1);
	assert_int_equal(st(f).queued_bytes, n);
	tx(f, 41 * SEC, p, n);			/* untrusted: queued only */
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(st(f).queued_bytes, 2 * n);

	/* The answer flushes both. */
	mkpkt(b, dst, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, 41 * SEC, &map_a, b, 40);
	assert_int_equal(f->acts.n, 2);
	assert_int_equal(st(f).queued_bytes, 0);
	tick(f, 60 * SEC);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(st(f).peers, 1);

	/* Stale again, and this time nobody answers: 4 rounds, removal. */
	tx(f, 100 * SEC, p, n);
	assert_int_equal(f->acts.n, 1);
	for (sw_time t = 102 * SEC; t <= 108 * SEC; t += 2 * SEC)
		tick(f, t);
	assert_int_equal(st(f).peers, 0);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_PEER_GONE], 1);
	fx_free(f);
}

/* ---- REL-RX: clients -> native side -------------------------------------- */

enum rx_case {
	RX_GOOD, RX_GARBAGE, RX_VERSION, RX_LENGTH, RX_PORT0, RX_SRC_LL,
	RX_SRC_NATIVE, RX_SRC_MAPPING, RX_SRC_PORT, RX_NO_PEER, RX_DST_MC,
	RX_DST_LL, RX_DST_TEREDO, RX_DST_NOT_SERVED, RX_RH0, RX_HLIM1,
	RX_HLIM0, RX_BUBBLE, RX_BUBBLE_NATIVE, RX_HOST_SERVED,
};

static const struct {
	enum rx_case c;
	enum sw_drop why;
	const char *name;
} rx_cases[] = {
	{ RX_GOOD, SW_DROP_NONE, "good" },
	{ RX_GARBAGE, SW_DROP_TRUNCATED, "D1 truncated" },
	{ RX_VERSION, SW_DROP_BAD_HEADER_CODE, "D1 not 6, not 0" },
	{ RX_LENGTH, SW_DROP_IP6_LENGTH, "D2 length" },
	{ RX_PORT0, SW_DROP_SRC_PORT_ZERO, "HARD-8 port 0" },
	{ RX_SRC_LL, SW_DROP_SRC_LINK_LOCAL, "HARD-7 src link-local" },
	{ RX_SRC_NATIVE, SW_DROP_SRC_NOT_TEREDO, "D18 not Teredo" },
	{ RX_SRC_MAPPING, SW_DROP_SRC_MAPPING, "D18 IPv4 mismatch" },
	{ RX_SRC_PORT, SW_DROP_SRC_MAPPING, "D18 port mismatch" },
	{ RX_NO_PEER, SW_DROP_NO_PEER, "D19 no entry" },
	{ RX_DST_MC, SW_DROP_DST_MULTICAST, "REL-RX-6 multicast" },
	{ RX_DST_LL, SW_DROP_DST_LINK_LOCAL, "REL-RX-6 link-local" },
	{ RX_DST_TEREDO, SW_DROP_TEREDO_TRANSIT, "HARD-7 Teredo dst" },
	{ RX_DST_NOT_SERVED, SW_DROP_DST_NOT_SERVED, "D20 not served" },
	{ RX_RH0, SW_DEFENCE(ROUTING_HEADER) ? SW_DROP_ROUTING_HEADER0 :
	  SW_DROP_NONE, "D25 RH0" },
	{ RX_HLIM1, SW_DROP_HOP_LIMIT, "hop limit 1" },
	{ RX_HLIM0, SW_DROP_HOP_LIMIT, "hop limit 0" },
	{ RX_BUBBLE, SW_DROP_NONE, "REL-RX-6 bubble to us" },
	{ RX_BUBBLE_NATIVE, SW_DROP_NONE, "REL-RX-6 bubble to native" },
	{ RX_HOST_SERVED, SW_DROP_NONE, "HSR-4 host address" },
};

static void
test_rx_checks(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rx_cases / sizeof rx_cases[0]; i++) {
		struct sw_relay_conf c;
		struct fx *f;
		uint8_t b[200], src[16], dst[16], peer[16];
		struct sw_v4ep from = map_a;
		uint8_t nxt = SW_NH_UDP, hlim = 64;
		uint16_t plen = 30;
		size_t n;
		enum rx_case k = rx_cases[i].c;
		bool bubble = k == RX_BUBBLE || k == RX_BUBBLE_NATIVE;

		/* A host-specific relay: served = its own /128 (HSR-4). */
		fx_conf(&c);
		memcpy(c.served[0].addr, native, 16);
		c.served[0].plen = 128;
		f = fx_new_conf(&c);
		teredo(peer, SERVER, &map_a, 0);
		if (k != RX_NO_PEER)
			establish(f, 0, peer, &map_a);
		memcpy(src, peer, 16);
		memcpy(dst, native, 16);
		switch (k) {
		case RX_PORT0:
			from.port = 0;
			break;
		case RX_SRC_LL:
			memset(src, 0, 16), src[0] = 0xfe, src[1] = 0x80;
			src[15] = 1;
			break;
		case RX_SRC_NATIVE:
			memcpy(src, native, 16), src[15] = 7;
			break;
		case RX_SRC_MAPPING:
			from.addr = map_b.addr;
			break;
		case RX_SRC_PORT:
			from.port = (uint16_t)(map_a.port + 1);
			break;
		case RX_DST_MC:
			memset(dst, 0, 16), dst[0] = 0xff, dst[1] = 0x0e;
			dst[15] = 1;
			break;
		case RX_DST_LL:
			memset(dst, 0, 16), dst[0] = 0xfe, dst[1] = 0x80;
			dst[15] = 1;
			break;
		case RX_DST_TEREDO:
			teredo(dst, SERVER, &map_b, 0);
			break;
		case RX_DST_NOT_SERVED:
			dst[15] = 6;
			break;
		case RX_HLIM1:
			hlim = 1;
			break;
		case RX_HLIM0:
			hlim = 0;
			break;
		case RX_BUBBLE:
			memcpy(dst, relay_ip, 16);
			nxt = SW_NH_NONE, plen = 0;
			break;
		case RX_BUBBLE_NATIVE:
			nxt = SW_NH_NONE, plen = 0;
			break;
		default:
			break;
		}
		if (k == RX_RH0)
			n = mkrh0(b, src, dst);
		else
			n = mkpkt(b, src, dst, nxt, hlim, plen, 3);
		if (k == RX_VERSION)
			b[0] = 0x50;
		if (k == RX_LENGTH)
			n--;
		if (k == RX_GARBAGE)
			b[0] = 0, b[1] = 0, n = 5;	/* a cut origin */
		rx(f, SEC, &from, b, n);
		if (rx_cases[i].why != SW_DROP_NONE) {
			want_drop(f, rx_cases[i].why, rx_cases[i].name);
		} else if (bubble) {
			assert_int_equal(ndrops(f), 0);
			assert_int_equal(f->acts.n, 0);	/* never delivered */
			assert_int_equal(st(f).stats.bubbles_rx, 2);
		} else {
			assert_int_equal(ndrops(f), 0);
			assert_int_equal(f->acts.n, 1);
			want_forward(f, &f->acts.a[0], SW_ACT_DELIVER, b, n,
			    b + 40);
			assert_int_equal(st(f).stats.to_native, 1);
		}
		fx_free(f);
	}
}

/* REL-RX-1: what the client's packet refreshes (last reception, trust)
 * even when the packet itself is not delivered. */
static void
test_rx_refreshes(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[100], dst[16], b[100], mc[16] = { 0xff, 0x0e, [15] = 1 };
	size_t n, bn;

	(void)state;
	teredo(dst, SERVER, &map_a, 0);
	establish(f, 0, dst, &map_a);
	/* 25 s later, a packet the relay drops (multicast destination)
	 * still proves the mapping: the entry stays valid past 30 s. */
	bn = mkpkt(b, dst, mc, SW_NH_UDP, 64, 8, 0);
	rx(f, 25 * SEC, &map_a, b, bn);
	want_drop(f, SW_DROP_DST_MULTICAST, "multicast");
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, 50 * SEC, p, n);
	assert_int_equal(f->acts.n, 1);
	want_forward(f, &f->acts.a[0], SW_ACT_SEND_UDP, p, n, p + 40);
	/* A packet whose mapping does not match refreshes nothing. */
	rx(f, 54 * SEC, &map_b, b, bn);
	want_drop(f, SW_DROP_SRC_MAPPING, "D18");
	tx(f, 55 * SEC, p, n);
	assert_int_equal(f->acts.n, 1);
	want_bubble(f, &f->acts.a[0], dst,
	    &(struct sw_v4ep){ SERVER, SW_TEREDO_PORT });
	fx_free(f);
}

/* Trailers and the origin indication never reach the native side; the
 * body is delivered from the input buffer, only the header is copied. */
static void
test_rx_zero_copy_trailers(void **state)
{
	struct fx *f = fx_new();
	uint8_t dst[16], buf[300];
	size_t off, n, ip6len;
	static const uint8_t trailer[] = { 0x01, 0x04, 1, 2, 3, 4, 0x3f, 0 };

	(void)state;
	teredo(dst, SERVER, &map_a, 0);
	establish(f, 0, dst, &map_a);
	off = (size_t)sw_wire_build_origin(buf, sizeof buf, &map_b);
	assert_int_equal(off, 8);
	ip6len = mkpkt(buf + off, dst, native, SW_NH_UDP, 7, 100, 9);
	memcpy(buf + off + ip6len, trailer, sizeof trailer);
	n = off + ip6len + sizeof trailer;
	rx(f, SEC, &map_a, buf, n);
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(f->acts.n, 1);
	want_forward(f, &f->acts.a[0], SW_ACT_DELIVER, buf + off, ip6len,
	    buf + off + 40);
	assert_int_equal(f->acts.a[0].seg[0].p[7], 6);
	assert_int_equal(sw_action_len(&f->acts.a[0]), ip6len);
	/* the input is untouched */
	assert_int_equal(buf[off + 7], 7);
	fx_free(f);
}

/* A bubble from a client we never sent to is not learnt (D19); bubbles
 * are consumed, whatever their destination (REL-RX-6). */
static void
test_rx_unknown_bubble(void **state)
{
	struct fx *f = fx_new();
	uint8_t b[40], src[16];

	(void)state;
	teredo(src, SERVER, &map_b, 0);
	mkpkt(b, src, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, 0, &map_b, b, 40);
	want_drop(f, SW_DROP_NO_PEER, "D19 bubble");
	assert_int_equal(st(f).peers, 0);
	fx_free(f);
}

/* ---- resource bounds (HARD-6) -------------------------------------------- */

/*
 * 100k distinct Teredo destinations into a 64-entry table while four
 * established peers keep talking (one round trip every 2000 flood
 * packets, i.e. every 2 s of fake time): the table, its queues and the
 * timer ring stay bounded, memory never changes, and every packet to an
 * established peer goes straight to its mapping.
 */
static void
test_flood(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	struct sw_relay_status s0, s;
	uint8_t p[100], legit[4][16], b[100], dst[16];
	struct sw_v4ep lm[4];
	uint64_t seed = 0x1234567890abcdefULL;
	sw_time now = 0;
	size_t n;
	unsigned direct = 0;

	(void)state;
	fx_conf(&c);
	c.capacity = 64;
	c.queue_peer_bytes = 512;
	c.queue_total_bytes = 8192;
	f = fx_new_conf(&c);
	s0 = st(f);
	for (unsigned i = 0; i < 4; i++) {
		lm[i] = (struct sw_v4ep){ SW_IP4(203, 0, 113, 50 + i),
		    (uint16_t)(5000 + i) };
		teredo(legit[i], SERVER, &lm[i], 0);
		establish(f, now, legit[i], &lm[i]);
	}
	for (unsigned k = 0; k < 100000; k++) {
		struct sw_v4ep m;
		uint64_t x = xorshift64(&seed);

		now += SW_MSEC;
		m.addr = SW_IP4(198, 51, 100, (x >> 8) & 0xff);
		m.port = (uint16_t)(1024 + ((x >> 16) & 0x7fff));
		teredo(dst, SW_IP4(192, 0, 2, 1 + (x & 0x7f)), &m,
		    (uint16_t)(x >> 40) & SW_FLAG_RANDOM_MASK);
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
		tx(f, now, p, n);
		assert_true(f->acts.n <= 1);
		if (now >= sw_relay_next_deadline(f->r))
			tick(f, now);
		if (k % 2000 == 1999 && SW_DEFENCE(RELAY_PEERS)) {
			for (unsigned i = 0; i < 4; i++) {
				n = mkpkt(p, native, legit[i], SW_NH_UDP, 64,
				    20, (uint8_t)i);
				tx(f, now, p, n);
				assert_int_equal(ndrops(f), 0);
				assert_int_equal(f->acts.n, 1);
				want_forward(f, &f->acts.a[0], SW_ACT_SEND_UDP,
				    p, n, p + 40);
				assert_int_equal(f->acts.a[0].dst.port,
				    lm[i].port);
				direct++;
				n = mkpkt(b, legit[i], native, SW_NH_UDP, 64,
				    8, 0);
				rx(f, now, &lm[i], b, n);
				assert_int_equal(f->acts.n, 1);
				assert_int_equal(f->acts.a[0].kind,
				    SW_ACT_DELIVER);
			}
		}
		if (k % 997 == 0) {
			s = st(f);
			assert_true(s.peers <= 64);
			assert_true(s.timers <= 128);
			assert_true(s.queued_bytes <= 8192);
			assert_int_equal(s.memsize, s0.memsize);
		}
	}
	s = st(f);
	if (!SW_DEFENCE(RELAY_PEERS)) {
		/* weakened: plain LRU pushed the established peers out */
		assert_int_equal(s.stats.evicted_trusted, 4);
		fx_free(f);
		return;
	}
	assert_int_equal(s.stats.evicted_trusted, 0);
	assert_int_equal(direct, 4 * 50);
	assert_int_equal(s.peers, 64);
	assert_int_equal(s.memsize, s0.memsize);
	assert_true(s.stats.displaced + s.stats.expired > 90000);
	print_message("flood: memsize %zu, displaced %llu, expired %llu, "
	    "timer overflows %llu\n", s.memsize,
	    (unsigned long long)s.stats.displaced,
	    (unsigned long long)s.stats.expired,
	    (unsigned long long)s.stats.timer_overflows);
	fx_free(f);
}

/* The flood with no tick at all (a driver that is late) and no legit
 * traffic: plain LRU eviction, still bounded. */
static void
test_flood_no_tick(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[100], dst[16];
	size_t n;

	(void)state;
	fx_conf(&c);
	c.capacity = 16;
	f = fx_new_conf(&c);
	for (unsigned k = 0; k < 20000; k++) {
		struct sw_v4ep m = { SW_IP4(198, 51, 100, 1),
		    (uint16_t)(1024 + k) };

		teredo(dst, SERVER, &m, 0);
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
		tx(f, 0, p, n);
		assert_true(st(f).peers <= 16);
		assert_true(st(f).timers <= 32);
	}
	assert_true(st(f).queued_bytes <= 2560);
	fx_free(f);
}

/* ---- [guard] HARD-6 and RFC 6324 ------------------------------------------ */

/* A Teredo address for flood destination k (never answers). */
static void
flood_dst(uint8_t out[16], unsigned k)
{
	struct sw_v4ep m = { SW_IP4(198, 51, 100, 200), (uint16_t)(2000 + k) };

	teredo(out, SERVER, &m, 0);
}

/* Trusted peer k: mapping 203.0.113.(k / 200).(port 6000 + k). */
static void
trusted_peer(uint8_t addr[16], struct sw_v4ep *m, unsigned k)
{
	*m = (struct sw_v4ep){ SW_IP4(203, 0, 113, 100 + k / 200),
	    (uint16_t)(6000 + k) };
	teredo(addr, SERVER, m, 0);
}

/* Send one small packet to a trusted, valid peer: it goes direct. */
static void
want_direct(struct fx *f, sw_time now, const uint8_t addr[16],
    const struct sw_v4ep *m)
{
	uint8_t p[100];
	size_t n = mkpkt(p, native, addr, SW_NH_UDP, 64, 20, 9);

	tx(f, now, p, n);
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(f->acts.a[0].dst.addr, m->addr);
	assert_int_equal(f->acts.a[0].dst.port, m->port);
}

/*
 * SW_DEFENCE(RELAY_PEERS): a table full of valid trusted peers takes no
 * new entry (PEER_TABLE_FULL) and keeps every peer; without the defence
 * plain LRU pushes the oldest trusted peer out (evicted_trusted).
 */
static void
test_peers_trusted_kept(void **state)
{
	struct fx *f = fx_new();		/* capacity 8 */
	uint8_t addr[8][16], p[100], dst[16];
	struct sw_v4ep m[8];
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		trusted_peer(addr[i], &m[i], i);
		establish(f, 0, addr[i], &m[i]);
	}
	assert_int_equal(st(f).peers, 8);
	flood_dst(dst, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, SEC, p, n);
	if (SW_DEFENCE(RELAY_PEERS)) {
		want_drop(f, SW_DROP_PEER_TABLE_FULL, "table of trusted peers");
		assert_int_equal(st(f).stats.table_full, 1);
		assert_int_equal(st(f).stats.evicted_trusted, 0);
		for (unsigned i = 0; i < 8; i++)
			want_direct(f, 2 * SEC, addr[i], &m[i]);
	} else {
		/* weakened: the new entry bubbles, peer 0 (LRU) is gone */
		assert_int_equal(ndrops(f), 0);
		assert_int_equal(f->acts.n, 1);
		assert_int_equal(st(f).stats.evicted_trusted, 1);
		n = mkpkt(p, native, addr[0], SW_NH_UDP, 64, 20, 0);
		tx(f, 2 * SEC, p, n);
		assert_int_equal(f->acts.a[0].dst.port, SW_TEREDO_PORT);
		fx_free(f);
		return;
	}

	/* A trusted peer gone stale (no reception for 30 s) may go: the
	 * others are kept fresh by their answers. */
	for (unsigned i = 1; i < 8; i++) {
		uint8_t b[40];

		mkpkt(b, addr[i], relay_ip, SW_NH_NONE, 255, 0, 0);
		rx(f, 20 * SEC, &m[i], b, 40);
	}
	tx(f, 31 * SEC, p, n);			/* peer 0 is stale now */
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(f->acts.n, 1);		/* the new entry's bubble */
	assert_int_equal(st(f).peers, 8);
	for (unsigned i = 1; i < 8; i++)
		want_direct(f, 32 * SEC, addr[i], &m[i]);
	assert_int_equal(st(f).stats.evicted_trusted, 0);

	/* The table now holds one untrusted entry: the next new
	 * destination takes its place, not a trusted one's. */
	flood_dst(dst, 1);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, 33 * SEC, p, n);
	assert_int_equal(f->drops.n[SW_DROP_PEER_TABLE_FULL], 0);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(st(f).stats.displaced, 1);
	for (unsigned i = 1; i < 8; i++)
		want_direct(f, 34 * SEC, addr[i], &m[i]);
	fx_free(f);
}

/* The evictable entry lies deeper than the LRU scan: found through the
 * timer ring.  A flood of new destinations then cycles through that one
 * slot and never touches the trusted peers. */
static void
test_peers_deep_untrusted(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t addr[40][16], p[100], dst[16];
	struct sw_v4ep m[40];
	size_t n;

	(void)state;
	fx_conf(&c);
	c.capacity = 40;
	f = fx_new_conf(&c);
	for (unsigned i = 0; i < 20; i++) {
		trusted_peer(addr[i], &m[i], i);
		establish(f, 0, addr[i], &m[i]);
	}
	flood_dst(dst, 0);			/* untrusted, 21st in LRU */
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, 0, p, n);
	for (unsigned i = 20; i < 39; i++) {
		trusted_peer(addr[i], &m[i], i);
		establish(f, 0, addr[i], &m[i]);
	}
	assert_int_equal(st(f).peers, 40);
	for (unsigned k = 1; k < 200; k++) {
		flood_dst(dst, k);
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
		tx(f, SEC, p, n);
		if (SW_DEFENCE(RELAY_PEERS)) {
			assert_int_equal(f->drops.n[SW_DROP_PEER_TABLE_FULL],
			    0);
			assert_int_equal(f->acts.n, 1);
		}
	}
	if (SW_DEFENCE(RELAY_PEERS)) {
		assert_int_equal(st(f).stats.evicted_trusted, 0);
		assert_int_equal(st(f).stats.displaced, 199);
		for (unsigned i = 0; i < 39; i++)
			want_direct(f, 2 * SEC, addr[i], &m[i]);
	} else {
		assert_int_equal(st(f).stats.evicted_trusted, 39);
	}
	fx_free(f);
}

/*
 * SW_DEFENCE(RELAY_QUEUE): a flood of full-size packets towards clients
 * that never answer fills the pool; a legitimate new peer's first packet
 * is still queued, and delivered when its bubble answer comes, however
 * the flood goes on meanwhile.  Without the defence the flood starves it
 * (queue_refused_new).
 */
static void
test_queue_flood(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[1280], lp[200], dst[16], legit[16], b[40];
	struct sw_v4ep lm = { SW_IP4(203, 0, 113, 77), 7777 };
	size_t n, ln;
	unsigned k, refused = 0;

	(void)state;
	fx_conf(&c);
	c.capacity = 64;
	c.max_packet = 1280;
	c.queue_peer_bytes = 4096;		/* 3 full packets */
	c.queue_total_bytes = 25 * 1280;	/* 25 slots */
	f = fx_new_conf(&c);

	/* The flood: 20 destinations, 10 packets of 1280 bytes each. */
	for (k = 0; k < 200; k++) {
		flood_dst(dst, k / 10);
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 1240, (uint8_t)k);
		tx(f, 0, p, n);
	}
	assert_int_equal(st(f).queued_bytes, 25 * 1280);	/* full */
	if (!SW_DEFENCE(RELAY_QUEUE)) {
		/* no per-peer bound: the first destination took 10 slots */
		flood_dst(dst, 0);
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 1240, 0);
		tx(f, 0, p, n);
		want_drop(f, SW_DROP_QUEUE_TOTAL_FULL, "weak: full");
	}

	/* The legitimate new peer's first packet. */
	teredo(legit, SERVER, &lm, 0);
	ln = mkpkt(lp, native, legit, SW_NH_UDP, 64, 100, 0x5a);
	tx(f, SEC, lp, ln);
	assert_int_equal(count_kind(f, SW_ACT_SEND_UDP), 1);	/* bubble */
	if (SW_DEFENCE(RELAY_QUEUE)) {
		assert_int_equal(f->drops.n[SW_DROP_QUEUE_TOTAL_FULL], 1);
		assert_int_equal(st(f).stats.queue_refused_new, 0);
	} else {
		assert_int_equal(ndrops(f), 1);
		assert_int_equal(f->drops.n[SW_DROP_QUEUE_TOTAL_FULL], 1);
		refused = 1;
		assert_true(st(f).stats.queue_refused_new >= 1);
	}

	/* The flood goes on while the bubble travels. */
	for (k = 200; k < 400; k++) {
		flood_dst(dst, k / 10);
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 1240, (uint8_t)k);
		tx(f, SEC + k * SW_MSEC, p, n);
		assert_true(st(f).queued_bytes <= 25 * 1280);
	}

	/* The answer: its queued packet goes out, intact. */
	mkpkt(b, legit, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, 2 * SEC, &lm, b, 40);
	if (refused) {
		assert_int_equal(f->acts.n, 0);		/* nothing to flush */
		fx_free(f);
		return;
	}
	assert_int_equal(f->acts.n, 1);
	want_forward(f, &f->acts.a[0], SW_ACT_SEND_UDP, lp, ln,
	    f->acts.a[0].seg[1].p);
	assert_int_equal(f->acts.a[0].dst.port, lm.port);
	assert_true(st(f).stats.queue_evicted > 0);
	/* no flood peer ever held more than its bound */
	assert_true(st(f).stats.queue_refused_new == 0);
	fx_free(f);
}

/*
 * RFC 6324, SW_DEFENCE(LOOP): a destination embedding one of our own
 * IPv4 addresses as server or mapping is dropped before any entry or
 * bubble; a datagram from our own address dies at the first check.
 */
static void
test_loop(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	const uint32_t own = SW_IP4(192, 0, 2, 77);
	struct sw_v4ep m = map_a;
	uint8_t p[100], dst[16];
	size_t n;

	(void)state;
	fx_conf(&c);
	c.own[0] = SW_IP4(192, 0, 2, 76);
	c.own[1] = own;
	c.n_own = 2;
	f = fx_new_conf(&c);

	/* embedded server is ours */
	teredo(dst, own, &map_a, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, 0, p, n);
	if (SW_DEFENCE(LOOP)) {
		want_drop(f, SW_DROP_LOOP, "server = own");
		assert_int_equal(st(f).peers, 0);
	} else
		assert_int_equal(f->acts.a[0].dst.addr, own);	/* loops */
	/* embedded mapping is ours */
	m.addr = own;
	teredo(dst, SERVER, &m, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, 0, p, n);
	if (SW_DEFENCE(LOOP)) {
		want_drop(f, SW_DROP_LOOP, "mapping = own");
		assert_int_equal(st(f).peers, 0);
		assert_int_equal(st(f).stats.loops, 2);
	}
	/* neither: bubbles as usual */
	teredo(dst, SERVER, &map_a, 0);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 20, 0);
	tx(f, 0, p, n);
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(f->acts.a[0].dst.addr, SERVER);

	/* A datagram from our own address: port 3544 is OWN_ADDRESS (every
	 * role), any other port LOOP; from elsewhere it gets further. */
	{
		uint8_t src[16], b[40];
		struct sw_v4ep from = { own, 4000 };

		teredo(src, SERVER, &from, 0);
		mkpkt(b, src, relay_ip, SW_NH_NONE, 255, 0, 0);
		rx(f, 0, &from, b, 40);
		if (SW_DEFENCE(LOOP)) {
			want_drop(f, SW_DROP_LOOP, "from own:4000");
			assert_int_equal(st(f).stats.loops, 3);
		} else
			want_drop(f, SW_DROP_NO_PEER, "weak: from own:4000");
		from.port = SW_TEREDO_PORT;
		teredo(src, SERVER, &from, 0);
		mkpkt(b, src, relay_ip, SW_NH_NONE, 255, 0, 0);
		rx(f, 0, &from, b, 40);
		want_drop(f, SW_DROP_OWN_ADDRESS, "from own:3544");
		from.addr = own + 1;
		teredo(src, SERVER, &from, 0);
		mkpkt(b, src, relay_ip, SW_NH_NONE, 255, 0, 0);
		rx(f, 0, &from, b, 40);
		want_drop(f, SW_DROP_NO_PEER, "from a neighbour");
	}
	fx_free(f);
}

/* The action list fills during a flush: the rest stays queued, in order,
 * and goes out with the next packet. */
static void
test_flush_actions_full(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[100], dst[16], b[40];
	size_t n;
	unsigned sent = 0;
	uint8_t next = 0;

	(void)state;
	fx_conf(&c);
	c.queue_peer_bytes = 100000;
	c.queue_total_bytes = 100000;
	f = fx_new_conf(&c);
	teredo(dst, SERVER, &map_a, 0);
	for (unsigned i = 0; i < 100; i++) {
		n = mkpkt(p, native, dst, SW_NH_UDP, 64, 1, (uint8_t)i);
		tx(f, 0, p, n);
	}
	mkpkt(b, dst, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, SEC, &map_a, b, 40);
	assert_int_equal(f->acts.n, SW_ACTIONS_MAX);
	for (unsigned i = 0; i < f->acts.n; i++, sent++)
		assert_int_equal(f->acts.a[i].seg[1].p[0], next++);
	assert_int_equal(f->drops.n[SW_DROP_ACTIONS_FULL], 1);
	n = mkpkt(p, native, dst, SW_NH_UDP, 64, 1, 200);
	tx(f, SEC, p, n);
	assert_int_equal(f->acts.n, 100 - SW_ACTIONS_MAX + 1);
	for (unsigned i = 0; i < f->acts.n - 1; i++, sent++)
		assert_int_equal(f->acts.a[i].seg[1].p[0], next++);
	assert_int_equal(f->acts.a[f->acts.n - 1].seg[1].p[0], 200);
	assert_int_equal(sent, 100);
	assert_int_equal(st(f).queued_bytes, 0);
	fx_free(f);
}


/* ---- [harden] ------------------------------------------------------------ */

/* A chain of routing headers: each (type, segments left) in turn, one
 * address each (24 bytes), then no next header. */
static size_t
mkrh_chain(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
    const uint8_t (*rh)[2], unsigned n)
{
	size_t len = mkpkt(out, src, dst, SW_NH_ROUTING, 64,
	    (uint16_t)(24 * n), 0);

	for (unsigned i = 0; i < n; i++) {
		uint8_t *h = out + 40 + 24 * i;

		memset(h, 0, 24);
		h[0] = i + 1 < n ? SW_NH_ROUTING : SW_NH_NONE;
		h[1] = 2;
		h[2] = rh[i][0];
		h[3] = rh[i][1];
	}
	return len;
}

/* Item 10: every routing header is checked, and a relay refuses RH0
 * even with Segments Left 0; an RH2 alone is fine. */
static void
test_harden_routing_headers(void **state)
{
	static const uint8_t rh2_rh0[2][2] = { { 2, 0 }, { 0, 1 } };
	static const uint8_t rh0_sl0[1][2] = { { 0, 0 } };
	static const uint8_t rh2[1][2] = { { 2, 0 } };
	uint8_t p[200], dst[16];
	struct fx *f = fx_new();
	size_t n;

	(void)state;
	teredo(dst, SERVER, &map_a, 0);
	n = mkrh_chain(p, native, dst, rh2_rh0, 2);
	tx(f, 0, p, n);
	if (SW_DEFENCE(ROUTING_HEADER))
		want_drop(f, SW_DROP_ROUTING_HEADER0, "RH0 behind an RH2");
	n = mkrh_chain(p, native, dst, rh0_sl0, 1);
	tx(f, 0, p, n);
	if (SW_DEFENCE(ROUTING_HEADER))
		want_drop(f, SW_DROP_ROUTING_HEADER0, "RH0, segments left 0");
	assert_int_equal(st(f).peers, SW_DEFENCE(ROUTING_HEADER) ? 0 : 1);
	n = mkrh_chain(p, native, dst, rh2, 1);
	tx(f, 0, p, n);
	assert_int_equal(ndrops(f), 0);
	fx_free(f);
}

/* The Teredo address k of one mapping: the flag bits vary. */
static void
alias(uint8_t out[16], const struct sw_v4ep *m, unsigned k)
{
	teredo(out, SERVER, m, (uint16_t)k);
}

/* Item 1: one mapping answers for every alias sent to it; only
 * peers_per_mapping of them become trusted, and a new client still gets
 * a slot in a table the attacker keeps full. */
static void
test_harden_mapping_lockout(void **state)
{
	struct sw_relay_conf c;
	uint8_t a[16], p[100], b[40];
	struct fx *f;
	size_t n;

	(void)state;
	fx_conf(&c);
	c.capacity = 64;
	c.peers_per_mapping = 4;
	f = fx_new_conf(&c);
	for (unsigned k = 0; k < 200; k++) {
		alias(a, &map_b, k);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, k * SW_MSEC, p, n);
		mkpkt(b, a, relay_ip, SW_NH_NONE, 255, 0, 0);
		rx(f, k * SW_MSEC, &map_b, b, 40);
	}
	if (SW_DEFENCE(RELAY_MAPPING)) {
		assert_int_equal(st(f).stats.trusted, 4);
		assert_int_equal(st(f).stats.trust_refused, 196);
		assert_int_equal(f->drops.n[SW_DROP_PEER_LIMIT], 1);
	} else {
		assert_int_equal(st(f).stats.trusted, 64);	/* locked */
	}
	/* A new client: its entry is made and trusted. */
	teredo(a, SERVER, &map_a, 0);
	n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
	tx(f, SEC, p, n);
	mkpkt(b, a, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, SEC, &map_a, b, 40);
	if (SW_DEFENCE(RELAY_MAPPING)) {
		assert_int_equal(ndrops(f), 0);
		assert_int_equal(f->acts.n, 1);		/* the queue flushed */
		assert_int_equal(st(f).stats.table_full, 0);
	} else {
		/* 64 valid trusted entries of the attacker: no room */
		assert_int_equal(f->drops.n[SW_DROP_NO_PEER], 1);
		assert_true(st(f).stats.table_full > 0);
	}
	fx_free(f);
}

/* Item 1, per IPv4 address: many ports of one address. */
static void
test_harden_address_cap(void **state)
{
	struct sw_relay_conf c;
	uint8_t a[16], p[100], b[40];
	struct fx *f;
	size_t n;

	(void)state;
	fx_conf(&c);
	c.capacity = 64;
	c.peers_per_address = 10;
	f = fx_new_conf(&c);
	for (unsigned k = 0; k < 50; k++) {
		struct sw_v4ep m = { map_b.addr, (uint16_t)(1000 + k) };

		alias(a, &m, 0);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, 0, p, n);
		mkpkt(b, a, relay_ip, SW_NH_NONE, 255, 0, 0);
		rx(f, 0, &m, b, 40);
	}
	assert_int_equal(st(f).stats.trusted,
	    SW_DEFENCE(RELAY_MAPPING) ? 10 : 50);
	fx_free(f);
}

/* Trusted entries that went stale are swept, so the mapping's share
 * comes back: a client that restarts (new flag bits) is trusted again. */
static void
test_harden_sweep(void **state)
{
	struct sw_relay_conf c;
	uint8_t a[16], p[100], b[40];
	struct fx *f;
	size_t n;

	(void)state;
	fx_conf(&c);
	c.capacity = 64;
	c.peers_per_mapping = 2;
	f = fx_new_conf(&c);
	for (unsigned k = 0; k < 3; k++) {
		alias(a, &map_a, k);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, 0, p, n);
		mkpkt(b, a, relay_ip, SW_NH_NONE, 255, 0, 0);
		rx(f, 0, &map_a, b, 40);
	}
	assert_int_equal(st(f).stats.trusted,
	    SW_DEFENCE(RELAY_MAPPING) ? 2 : 3);
	/* 30 s without reception, then the sweep: a pass takes 8 s. */
	for (sw_time t = SEC; t <= 45 * SEC; t += SEC)
		tick(f, t);
	assert_int_equal(st(f).stats.swept, SW_DEFENCE(RELAY_MAPPING) ? 2 : 3);
	alias(a, &map_a, 7);
	n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
	tx(f, 46 * SEC, p, n);
	mkpkt(b, a, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, 46 * SEC, &map_a, b, 40);
	assert_int_equal(ndrops(f), 0);
	assert_int_equal(sw_relay_next_deadline(f->r) <= 47 * SEC, true);
	fx_free(f);
}

/* Item 4: bubbles to one IPv4 (the server the sender chose, or with
 * always_direct_bubble the mapping) and in total are budgeted. */
static void
test_harden_bubble_budget(void **state)
{
	struct sw_relay_conf c;
	uint8_t a[16], p[100];
	struct fx *f;
	size_t n;
	uint64_t limited = 0;

	(void)state;
	fx_conf(&c);
	c.capacity = 4096;
	c.queue_total_bytes = 4096 * 256;
	c.always_direct_bubble = true;
	c.bubble_rate = (struct sw_tb_conf){ 100 * SW_MSEC, 5 };  /* 10/s */
	c.bubble_rate_total = (struct sw_tb_conf){ SW_MSEC, 1000 };
	f = fx_new_conf(&c);
	/* 1000 packets in 1 s to aliases of one victim endpoint: one first
	 * bubble each to its server (the global bucket only), at most 5 + 10
	 * direct ones to it. */
	for (unsigned k = 0; k < 1000; k++) {
		alias(a, &map_b, k);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, k * SW_MSEC, p, n);
		limited += f->drops.n[SW_DROP_BUBBLE_LIMITED];
	}
	if (SW_DEFENCE(RELAY_BUBBLE)) {
		assert_in_range(st(f).stats.bubbles_sent, 1000 + 14, 1000 + 15);
		assert_int_equal(st(f).stats.bubbles_limited, limited);
		assert_true(limited >= 985);
	} else {
		assert_int_equal(st(f).stats.bubbles_sent, 2000);
	}
	/* another client of the same server, its first bubbles at once: the
	 * flood of new entries to that server does not lock it out */
	{
		struct sw_v4ep m = { SW_IP4(203, 0, 113, 78), 5000 };

		teredo(a, SERVER, &m, 0);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, SEC, p, n);
		assert_int_equal(ndrops(f), 0);
		assert_int_equal(f->acts.n, 2);
	}
	/* the retries, all due at once: bounded per destination (the
	 * server's bucket, drained by the first bubbles, and the victim's
	 * at most 5 each; the new client's mapping 1) */
	{
		uint64_t sent = st(f).stats.bubbles_sent;

		for (unsigned i = 0; i < 64; i++)
			tick(f, 3 * SEC);
		if (SW_DEFENCE(RELAY_BUBBLE))
			assert_in_range(st(f).stats.bubbles_sent - sent, 0, 11);
		else
			assert_true(st(f).stats.bubbles_sent - sent >= 2000);
	}
	/* another client, other server and mapping: bubbled at once */
	{
		struct sw_v4ep m = { SW_IP4(203, 0, 113, 77), 5000 };

		teredo(a, SW_IP4(192, 0, 2, 99), &m, 0);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, SEC, p, n);
		assert_int_equal(ndrops(f), 0);
		assert_int_equal(f->acts.n, 2);
	}
	fx_free(f);

	/* The global bucket: each packet to another server and mapping. */
	fx_conf(&c);
	c.capacity = 4096;
	c.bubble_rate_total = (struct sw_tb_conf){ 10 * SW_MSEC, 50 };
	f = fx_new_conf(&c);
	for (unsigned k = 0; k < 1000; k++) {
		struct sw_v4ep m = { SW_IP4(203, 0, 113, 1) + k, 5000 };

		teredo(a, SW_IP4(198, 51, 100, 0) + k, &m, 0);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, k * SW_MSEC, p, n);
	}
	if (SW_DEFENCE(RELAY_BUBBLE))
		assert_in_range(st(f).stats.bubbles_sent, 50 + 99, 50 + 100);
	else
		assert_int_equal(st(f).stats.bubbles_sent, 1000);
	fx_free(f);
}

/* Item 5: 200 retries due at once; each tick does what one action list
 * holds and leaves the rest due, so all of them happen. */
static void
test_harden_tick_bounded(void **state)
{
	struct sw_relay_conf c;
	uint8_t a[16], p[100];
	struct fx *f;
	size_t n;
	unsigned ticks = 0;

	(void)state;
	fx_conf(&c);
	c.capacity = 256;
	c.queue_total_bytes = 256 * 256;
	f = fx_new_conf(&c);
	for (unsigned k = 0; k < 200; k++) {
		struct sw_v4ep m = { SW_IP4(203, 0, 113, 1) + k, 5000 };

		teredo(a, SERVER, &m, 0);
		n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
		tx(f, 0, p, n);
	}
	assert_int_equal(st(f).stats.bubble_rounds, 200);
	do {
		tick(f, 2 * SEC);
		assert_true(f->acts.n <= SW_ACTIONS_MAX);
		ticks++;
	} while (sw_relay_next_deadline(f->r) <= 2 * SEC && ticks < 50);
	if (SW_DEFENCE(RELAY_TICK)) {
		assert_int_equal(st(f).stats.bubble_rounds, 400);
		assert_int_equal(st(f).stats.bubbles_sent, 400);
		assert_true(ticks >= 4);
		assert_true(st(f).stats.tick_deferred >= 3);
	} else {
		/* the rounds are counted but 136 bubbles never left */
		assert_int_equal(st(f).stats.bubbles_sent, 264);
	}
	/* The last round expires every entry: 200 ICMPv6 errors (burst 10
	 * of the default SEC-9 bucket, then 10/s), none lost to a full
	 * list. */
	for (sw_time t = 4 * SEC; t <= 8 * SEC; t += 2 * SEC) {
		ticks = 0;
		do {
			tick(f, t);
			ticks++;
		} while (sw_relay_next_deadline(f->r) <= t && ticks < 50);
	}
	if (SW_DEFENCE(RELAY_TICK))
		assert_int_equal(st(f).stats.expired, 200);
	assert_int_equal(st(f).peers, 0);
	fx_free(f);
}

/* Item 18: IntranetPrefix applies to a relay. */
static void
test_harden_relay_intranet(void **state)
{
	struct sw_relay_conf c;
	uint8_t a[16], p[100], b[40];
	struct sw_v4ep in = { SW_IP4(203, 0, 113, 9), 4000 };
	struct fx *f;
	size_t n;

	(void)state;
	fx_conf(&c);
	c.intranet[0] = (struct sw_v4_net){ SW_IP4(203, 0, 113, 0), 24 };
	c.n_intranet = 1;
	f = fx_new_conf(&c);
	teredo(a, SERVER, &in, 0);
	n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
	tx(f, 0, p, n);
	if (SW_DEFENCE(INTRANET))
		want_drop(f, SW_DROP_SRC_INTRANET, "bubble to an internal IPv4");
	mkpkt(b, a, relay_ip, SW_NH_NONE, 255, 0, 0);
	rx(f, 0, &in, b, 40);
	if (SW_DEFENCE(INTRANET))
		want_drop(f, SW_DROP_SRC_INTRANET, "datagram from inside");
	teredo(a, SERVER, &map_a, 0);
	n = mkpkt(p, native, a, SW_NH_UDP, 64, 20, 1);
	tx(f, 0, p, n);
	assert_int_equal(ndrops(f), 0);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_tx_checks),
		cmocka_unit_test(test_tx_hardened),
		cmocka_unit_test(test_tx_bubbles),
		cmocka_unit_test(test_tx_rate_limit_and_queue),
		cmocka_unit_test(test_tx_queue_total),
		cmocka_unit_test(test_tx_retry_exhaustion),
		cmocka_unit_test(test_trust_flush),
		cmocka_unit_test(test_kernel_routes),
		cmocka_unit_test(test_unreach_rate_limit),
		cmocka_unit_test(test_trust_expiry),
		cmocka_unit_test(test_rx_checks),
		cmocka_unit_test(test_rx_refreshes),
		cmocka_unit_test(test_rx_zero_copy_trailers),
		cmocka_unit_test(test_rx_unknown_bubble),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_flood_no_tick),
		cmocka_unit_test(test_flush_actions_full),
		cmocka_unit_test(test_peers_trusted_kept),
		cmocka_unit_test(test_peers_deep_untrusted),
		cmocka_unit_test(test_queue_flood),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_harden_routing_headers),
		cmocka_unit_test(test_harden_mapping_lockout),
		cmocka_unit_test(test_harden_address_cap),
		cmocka_unit_test(test_harden_sweep),
		cmocka_unit_test(test_harden_bubble_budget),
		cmocka_unit_test(test_harden_tick_bounded),
		cmocka_unit_test(test_harden_relay_intranet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
