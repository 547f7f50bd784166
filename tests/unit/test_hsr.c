/*
 * test_hsr.c - the host-specific relay's security model (lib/relay.c
 * with host_guard; issue 10 item 16): stopped until started (the
 * firewall), the per-flow edge check on what Teredo peers send the host,
 * grants, fragments, dormancy.  Each defence both ways: what it refuses
 * (counted) and the good packet next to it; the SW_DEFENCE(HSR_GUARD)
 * branches are what a WEAKEN=hsr-guard build of this program shows (the
 * attack works).
 *
 * The host is 2001:db8::1, its relay's bubble source and only served
 * /128 (HSR-3, HSR-4); the peer a Teredo client at 198.51.100.1:45131.
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
#include "relay.h"
#include "weaken.h"
#include "wire.h"
#include "../common/prng.h"
#include "acts.h"

#define SERVER	SW_IP4(192, 0, 2, 10)
#define SEC	SW_SEC
#define GUARD	SW_DEFENCE(HSR_GUARD)

static const struct sw_v4ep map_a = { SW_IP4(198, 51, 100, 1), 45131 };
static const uint8_t host[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

struct fx {
	struct sw_relay *r;
	struct sw_drop_counters drops;
	struct sw_actions acts;
	uint64_t seed;
	uint8_t peer[16];		/* the Teredo client, at map_a */
};

static void
fx_conf(struct sw_relay_conf *c)
{
	sw_relay_conf_default(c);
	c->v4.policy = SW_V4_LAB;
	memcpy(c->bubble_src, host, 16);
	memcpy(c->served[0].addr, host, 16);
	c->served[0].plen = 128;
	c->n_served = 1;
	c->capacity = 16;
	c->max_packet = 256;
	c->queue_peer_bytes = 1024;
	c->queue_total_bytes = 4096;
	c->always_direct_bubble = true;
	c->decrement_hop_limit = false;
	c->host_guard = true;
	c->flows = 64;
}

static struct fx *
fx_new_conf(const struct sw_relay_conf *c, bool start)
{
	struct fx *f = calloc(1, sizeof *f);
	struct sw_teredo t = {
		.prefix = SW_TEREDO_PREFIX, .server = SERVER, .mapped = map_a,
	};
	struct sw_rng rng;

	assert_non_null(f);
	f->seed = 0x45a1bULL;
	rng = (struct sw_rng){ prng_fill, &f->seed };
	assert_int_equal(sw_relay_new(&f->r, c, &rng), 0);
	f->acts.drops = &f->drops;
	sw_addr_encode(f->peer, &t);
	if (start)
		sw_relay_start(f->r, 0);
	return f;
}

static struct fx *
fx_new(void)
{
	struct sw_relay_conf c;

	fx_conf(&c);
	return fx_new_conf(&c, true);
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

static struct sw_relay_status
st(const struct fx *f)
{
	struct sw_relay_status s;

	sw_relay_status(f->r, &s);
	return s;
}

/* ---- packets --------------------------------------------------------------- */

/* IPv6 header + the upper layer `ul` (n bytes), next header nxt. */
static size_t
pkt(uint8_t *out, const uint8_t src[16], const uint8_t dst[16], uint8_t nxt,
    const uint8_t *ul, size_t n)
{
	assert_int_equal(sw_ip6_build(out, 40 + n, src, dst, nxt, 64,
	    (uint16_t)n), 40);
	if (n > 0)
		memcpy(out + 40, ul, n);
	return 40 + n;
}

static size_t
tcp(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
    uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t h[20] = { 0 };

	sw_put16(h, sport);
	sw_put16(h + 2, dport);
	h[12] = 5 << 4;
	h[13] = flags;
	return pkt(out, src, dst, SW_NH_TCP, h, sizeof h);
}

static size_t
udp(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
    uint16_t sport, uint16_t dport)
{
	uint8_t h[12] = { 0 };

	sw_put16(h, sport);
	sw_put16(h + 2, dport);
	sw_put16(h + 4, sizeof h);
	return pkt(out, src, dst, SW_NH_UDP, h, sizeof h);
}

static size_t
echo(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
    uint8_t type, uint16_t id)
{
	uint8_t h[16] = { type };

	sw_put16(h + 4, id);
	return pkt(out, src, dst, SW_NH_ICMP6, h, sizeof h);
}

/* A non-first fragment (offset 8, more fragments) of a UDP packet. */
static size_t
fragment(uint8_t *out, const uint8_t src[16], const uint8_t dst[16])
{
	uint8_t h[24] = { SW_NH_UDP, 0, 0, 8 | 1, 0, 0, 0, 7 };

	return pkt(out, src, dst, SW_NH_FRAGMENT, h, sizeof h);
}

/* An ICMPv6 error (type) from `from` to `to` quoting q (n bytes). */
static size_t
icmp_error(uint8_t *out, const uint8_t from[16], const uint8_t to[16],
    uint8_t type, const uint8_t *q, size_t n)
{
	uint8_t h[256] = { type };

	assert_true(n + 8 <= sizeof h);
	memcpy(h + 8, q, n);
	return pkt(out, from, to, SW_NH_ICMP6, h, n + 8);
}

/* ---- driving ---------------------------------------------------------------- */

/* What the host sends into its tunnel. */
static void
host_sends(struct fx *f, sw_time now, const uint8_t *p, size_t n)
{
	fx_reset(f);
	sw_relay_send(f->r, now, p, n, &f->acts);
}

/* A datagram from the peer's mapping; true when it reached the host. */
static bool
peer_sends(struct fx *f, sw_time now, const uint8_t *p, size_t n)
{
	fx_reset(f);
	sw_relay_input(f->r, now, &map_a, p, n, &f->acts);
	return acts_count(&f->acts, SW_ACT_DELIVER) == 1;
}

/* The host's kernel answers the peer's ping (an echo reply: the peer
 * entry is made), and the peer answers the relay's bubble (trusted). */
static void
ping_first(struct fx *f, sw_time now)
{
	uint8_t p[80], b[40];
	size_t n = echo(p, host, f->peer, SW_ICMP6_ECHO_REPLY, 0x77);

	host_sends(f, now, p, n);
	assert_int_equal(drops_total(&f->drops), 0);
	assert_int_equal(st(f).peers, 1);
	pkt(b, f->peer, host, SW_NH_NONE, NULL, 0);
	(void)peer_sends(f, now, b, 40);
	assert_int_equal(acts_count(&f->acts, SW_ACT_SEND_UDP), 1); /* flush */
	assert_int_equal(drops_total(&f->drops), 0);
}

/* Refused as `why` (and only that), or, without the defence, delivered. */
static void
want_refused(struct fx *f, sw_time now, const uint8_t *p, size_t n,
    enum sw_drop why, const char *what)
{
	bool got = peer_sends(f, now, p, n);

	if (GUARD) {
		assert_false(got);
		acts_want_drop(&f->acts, &f->drops, why, what);
	} else {
		assert_true(got);
		assert_int_equal(drops_total(&f->drops), 0);
	}
}

static void
want_delivered(struct fx *f, sw_time now, const uint8_t *p, size_t n)
{
	assert_true(peer_sends(f, now, p, n));
	assert_int_equal(drops_total(&f->drops), 0);
}

/* ---- tests ---------------------------------------------------------------- */

/* Fail closed: nothing either way until started; stop forgets all. */
static void
test_stopped(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[80];
	size_t n;

	(void)state;
	fx_conf(&c);
	f = fx_new_conf(&c, false);
	assert_false(st(f).running);
	n = tcp(p, host, f->peer, 40000, 80, 0x02);
	host_sends(f, 0, p, n);
	acts_want_drop(&f->acts, &f->drops, SW_DROP_RELAY_STOPPED,
	    "a send while stopped");
	assert_int_equal(st(f).peers, 0);
	n = echo(p, f->peer, host, SW_ICMP6_ECHO_REQ, 1);
	assert_false(peer_sends(f, 0, p, n));
	acts_want_drop(&f->acts, &f->drops, SW_DROP_RELAY_STOPPED,
	    "a datagram while stopped");

	sw_relay_start(f->r, SEC);
	assert_true(st(f).running);
	ping_first(f, SEC);
	want_delivered(f, SEC, p, n);
	assert_int_equal(st(f).peers, 1);
	fx_reset(f);
	sw_relay_stop(f->r, &f->acts);
	assert_false(st(f).running);
	assert_int_equal(st(f).peers, 0);
	assert_int_equal(st(f).flows, 0);
	assert_false(peer_sends(f, 2 * SEC, p, n));
	acts_want_drop(&f->acts, &f->drops, SW_DROP_RELAY_STOPPED,
	    "stopped again");
	/* the timer records of the dropped peer lead nowhere */
	fx_reset(f);
	sw_relay_tick(f->r, 30 * SEC, &f->acts);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(sw_relay_next_deadline(f->r), SW_TIME_NEVER);
	fx_free(f);
}

/* The attack: the peer pings the host first (the kernel's echo reply
 * makes and trusts its entry), then tries every port. */
static void
test_ping_first(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[80];
	size_t n;

	(void)state;
	ping_first(f, 0);
	assert_int_equal(st(f).flows, 0);	/* an echo reply opens nothing */
	n = tcp(p, f->peer, host, 50000, 22, 0x02);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "SYN to 22");
	n = udp(p, f->peer, host, 50000, 53);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "UDP to 53");
	n = pkt(p, f->peer, host, 17 + 115, (const uint8_t *)"xxxxxxxx", 8);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "another protocol");
	/* an echo reply to an echo the host never sent */
	n = echo(p, f->peer, host, SW_ICMP6_ECHO_REPLY, 0x99);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "echo reply");
	assert_int_equal(st(f).stats.flow_refused, GUARD ? 4 : 0);
	/* what the host always takes: echo requests */
	n = echo(p, f->peer, host, SW_ICMP6_ECHO_REQ, 5);
	want_delivered(f, 0, p, n);
	fx_free(f);
}

/* What the host's applications open, and what its kernel does not. */
static void
test_flows(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[160], q[80];
	size_t n, qn;

	(void)state;
	ping_first(f, 0);
	/* TCP: an application connects from 40000 to the peer's 80 */
	qn = tcp(q, host, f->peer, 40000, 80, 0x02);
	host_sends(f, 0, q, qn);
	n = tcp(p, f->peer, host, 80, 40000, 0x12);
	want_delivered(f, 0, p, n);
	n = tcp(p, f->peer, host, 81, 40000, 0x12);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "another port");
	/* an ICMPv6 error about the host's packet belongs to its flow */
	n = icmp_error(p, f->peer, host, SW_ICMP6_DST_UNREACH, q, qn);
	want_delivered(f, 0, p, n);
	/* the kernel's RST opens nothing */
	n = tcp(q, host, f->peer, 22, 50000, 0x04);
	host_sends(f, 0, q, n);
	n = tcp(p, f->peer, host, 50000, 22, 0x10);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "after a RST");
	/* an ICMPv6 error about the kernel's own RST: no flow of ours */
	n = icmp_error(p, f->peer, host, SW_ICMP6_DST_UNREACH, q, 60);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "error about RST");
	/* UDP, and the host's own echo */
	n = udp(q, host, f->peer, 5353, 6000);
	host_sends(f, 0, q, n);
	n = udp(p, f->peer, host, 6000, 5353);
	want_delivered(f, 0, p, n);
	n = echo(q, host, f->peer, SW_ICMP6_ECHO_REQ, 0x1234);
	host_sends(f, 0, q, n);
	n = echo(p, f->peer, host, SW_ICMP6_ECHO_REPLY, 0x1234);
	want_delivered(f, 0, p, n);
	assert_int_equal(st(f).flows, GUARD ? 4 : 0);	/* 3 + 1 address */
	fx_free(f);
}

/* A packet from another source than a served address opens nothing. */
static void
test_foreign_source(void **state)
{
	static const uint8_t other[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9,
	    [15] = 9 };
	struct fx *f = fx_new();
	uint8_t p[80];
	size_t n;

	(void)state;
	ping_first(f, 0);
	n = udp(p, other, f->peer, 5353, 6000);
	host_sends(f, 0, p, n);
	assert_int_equal(st(f).flows, 0);
	n = udp(p, f->peer, host, 6000, 5353);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "not the host's");
	fx_free(f);
}

/* Granted listeners' ports take new flows from anyone. */
static void
test_grants(void **state)
{
	static const uint16_t tports[] = { 22 }, uports[] = { 500 };
	struct fx *f = fx_new();
	struct sw_edge e;
	uint8_t p[80];
	size_t n;

	(void)state;
	assert_int_equal(sw_edge_set(&e, tports, 1, uports, 1), 0);
	sw_relay_set_edge(f->r, &e);
	ping_first(f, 0);
	n = tcp(p, f->peer, host, 50000, 22, 0x02);
	want_delivered(f, 0, p, n);
	n = udp(p, f->peer, host, 50000, 500);
	want_delivered(f, 0, p, n);
	n = tcp(p, f->peer, host, 50000, 23, 0x02);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "23, not granted");
	n = udp(p, f->peer, host, 50000, 22);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "UDP 22");
	/* grants withdrawn */
	assert_int_equal(sw_edge_set(&e, NULL, 0, NULL, 0), 0);
	sw_relay_set_edge(f->r, &e);
	n = tcp(p, f->peer, host, 50000, 22, 0x02);
	want_refused(f, 0, p, n, SW_DROP_EDGE_NOT_GRANTED, "22 withdrawn");
	fx_free(f);
}

/* Non-first fragments: only from a peer the host's applications sent to
 * (the kernel's echo reply is not one). */
static void
test_fragments(void **state)
{
	struct fx *f = fx_new();
	uint8_t p[80];
	size_t n;

	(void)state;
	ping_first(f, 0);
	n = fragment(p, f->peer, host);
	want_refused(f, 0, p, n, SW_DROP_FRAGMENT_UNSOLICITED, "fragment");
	assert_int_equal(st(f).stats.fragment_refused, GUARD ? 1 : 0);
	n = udp(p, host, f->peer, 5353, 6000);
	host_sends(f, 0, p, n);
	n = fragment(p, f->peer, host);
	want_delivered(f, 0, p, n);
	fx_free(f);
}

/* Idle, no granted listener: peers and flows forgotten; data ends it. */
static void
test_dormancy(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[80];
	size_t n;

	(void)state;
	fx_conf(&c);
	c.dormant_after = 100 * SEC;
	f = fx_new_conf(&c, true);
	ping_first(f, 0);
	n = udp(p, host, f->peer, 5353, 6000);
	host_sends(f, SEC, p, n);
	assert_int_equal(sw_relay_next_deadline(f->r) <= 101 * SEC, true);
	/* a granted listener holds it off; losing it restarts the clock */
	sw_relay_set_listening(f->r, 50 * SEC, true);
	fx_reset(f);
	sw_relay_tick(f->r, 120 * SEC, &f->acts);
	assert_false(st(f).dormant);
	sw_relay_set_listening(f->r, 150 * SEC, false);
	fx_reset(f);
	sw_relay_tick(f->r, 200 * SEC, &f->acts);
	assert_false(st(f).dormant);
	fx_reset(f);
	sw_relay_tick(f->r, 250 * SEC, &f->acts);
	assert_true(st(f).dormant);
	assert_int_equal(st(f).stats.dormancies, 1);
	assert_int_equal(st(f).peers, 0);
	assert_int_equal(st(f).flows, 0);
	/* the peer is nobody now (D19), its old flow closed */
	n = udp(p, f->peer, host, 6000, 5353);
	assert_false(peer_sends(f, 251 * SEC, p, n));
	acts_want_drop(&f->acts, &f->drops, SW_DROP_NO_PEER,
	    "a forgotten peer");
	/* the host sends: awake, and carried as ever */
	n = udp(p, host, f->peer, 5353, 6000);
	host_sends(f, 260 * SEC, p, n);
	assert_false(st(f).dormant);
	assert_int_equal(st(f).peers, 1);
	fx_free(f);
}

/* A public relay (no host_guard) runs from the start and checks no flow:
 * the hosts behind it keep their own firewalls. */
static void
test_public_relay(void **state)
{
	struct sw_relay_conf c;
	struct fx *f;
	uint8_t p[80];
	size_t n;

	(void)state;
	fx_conf(&c);
	c.host_guard = false;
	c.flows = 0;
	c.dormant_after = 10 * SEC;
	f = fx_new_conf(&c, false);
	assert_true(st(f).running);
	ping_first(f, 0);
	n = tcp(p, f->peer, host, 50000, 22, 0x02);
	want_delivered(f, 0, p, n);
	fx_reset(f);
	sw_relay_tick(f->r, 100 * SEC, &f->acts);
	assert_false(st(f).dormant);
	fx_free(f);
	/* host_guard needs a flow table */
	fx_conf(&c);
	c.flows = 0;
	{
		struct sw_relay *r;
		uint64_t seed = 1;
		struct sw_rng rng = { prng_fill, &seed };

		assert_int_equal(sw_relay_new(&r, &c, &rng), -EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_ping_first),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_foreign_source),
		cmocka_unit_test(test_grants),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_dormancy),
		cmocka_unit_test(test_public_relay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
