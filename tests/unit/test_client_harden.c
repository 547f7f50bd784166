/*
 * test_client_harden.c - the client's [harden] defences, each both ways
 * (the SW_DEFENCE branches are what a WEAKEN= build of this program
 * shows): per-flow solicitation (no kernel answer solicits), non-first
 * fragments, the CLI-RX-5 endpoint checks, bounded inbound resolutions,
 * the bubble reflector budgets, and a peer table one endpoint cannot
 * flush.  Fake clock, fake server (client_fix.h).
 */
#include <errno.h>

#include "client_fix.h"
#include "weaken.h"

#define RELAY	SW_IP4(198, 51, 100, 99)	/* a native peer's relay */

static const struct sw_v4ep pmap = { SW_IP4(203, 0, 113, 50), 50000 };
static const struct sw_v4ep relay = { RELAY, 3545 };
static const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };

/* With the edge check on (the daemon's setting) and qualified. */
static struct fix *
fix_edge(uint64_t seed)
{
	struct fix *f = fix_conf(seed);

	f->conf.edge = true;
	qualify(f);
	return f;
}

/* TCP or UDP, 20 bytes of header; flags for TCP. */
static size_t
mk_l4(uint8_t *buf, size_t cap, uint8_t nh, const uint8_t src[16],
    const uint8_t dst[16], uint16_t sport, uint16_t dport, uint8_t flags)
{
	assert_true(cap >= SW_IP6_HLEN + 20);
	assert_int_equal(sw_ip6_build(buf, cap, src, dst, nh, 64, 20),
	    SW_IP6_HLEN);
	memset(buf + SW_IP6_HLEN, 0, 20);
	sw_put16(buf + SW_IP6_HLEN, sport);
	sw_put16(buf + SW_IP6_HLEN + 2, dport);
	if (nh == SW_NH_TCP)
		buf[SW_IP6_HLEN + 13] = flags;
	return SW_IP6_HLEN + 20;
}

static size_t
mk_echo(uint8_t *buf, size_t cap, uint8_t type, const uint8_t src[16],
    const uint8_t dst[16], uint16_t id)
{
	static const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int n = sw_wire_build_echo(buf, cap, type, src, dst, 64, id, 1, data,
	    8);

	assert_true(n > 0);
	return (size_t)n;
}

/* A non-first fragment (offset 8) of a UDP packet from src to dst. */
static size_t
mk_frag(uint8_t *buf, size_t cap, const uint8_t src[16],
    const uint8_t dst[16])
{
	assert_true(cap >= SW_IP6_HLEN + 24);
	assert_int_equal(sw_ip6_build(buf, cap, src, dst, SW_NH_FRAGMENT, 64,
	    24), SW_IP6_HLEN);
	memset(buf + SW_IP6_HLEN, 0x77, 24);
	buf[SW_IP6_HLEN] = SW_NH_UDP;
	buf[SW_IP6_HLEN + 1] = 0;
	sw_put16(buf + SW_IP6_HLEN + 2, 8 << 3);	/* offset 8, M = 0 */
	return SW_IP6_HLEN + 24;
}

/* ICMPv6 Destination Unreachable from src to dst quoting q (qn bytes). */
static size_t
mk_unreach(uint8_t *buf, size_t cap, const uint8_t src[16],
    const uint8_t dst[16], const uint8_t *q, size_t qn)
{
	assert_true(cap >= SW_IP6_HLEN + 8 + qn);
	assert_int_equal(sw_ip6_build(buf, cap, src, dst, SW_NH_ICMP6, 64,
	    (uint16_t)(8 + qn)), SW_IP6_HLEN);
	memset(buf + SW_IP6_HLEN, 0, 8);
	buf[SW_IP6_HLEN] = SW_ICMP6_DST_UNREACH;
	buf[SW_IP6_HLEN + 1] = 4;			/* port unreachable */
	memcpy(buf + SW_IP6_HLEN + 8, q, qn);
	return SW_IP6_HLEN + 8 + qn;
}

/* The peer bubbles to open (indirect through our server, then direct
 * from pmap): trusted by its bubbles alone, still unsolicited. */
static void
bubble_to_open(struct fix *f, const uint8_t peer[16])
{
	uint8_t buf[128];
	size_t n;

	assert_int_equal(sw_wire_build_origin(buf, 8, &pmap), 8);
	n = 8 + mk_bubble(buf + 8, peer, f->me);
	input(f, &srv, buf, n);
	n = mk_bubble(buf, peer, f->me);
	input(f, &pmap, buf, n);
	assert_int_equal(total_drops(f), 0);
}

#define FLOW_ON	(SW_DEFENCE(EDGE) && SW_DEFENCE(FLOW))

/* Item 8: the kernel's echo reply to an unsolicited echo request opens
 * nothing: the sender's TCP to a port without a grant is still refused
 * (without SW_DEFENCE(FLOW): every port opens). */
static void
test_flow_echo_reply_solicits_nothing(void **state)
{
	struct fix *f = fix_edge(201);
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	bubble_to_open(f, peer);
	n = mk_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, peer, f->me, 7);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	n = mk_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, f->me, peer, 7);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &pmap), 1);
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 40000, 22, 0x02);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), FLOW_ON ? 0 : 1);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED], FLOW_ON);
	assert_int_equal(status(f).guard.flow_refused, FLOW_ON);
	fix_free(f);
}

/* Item 8: a TCP RST opens nothing; a connection the host opens lets its
 * own answers in, and only those; echo replies belong to their echo
 * request's identifier. */
static void
test_flow_tcp_and_echo(void **state)
{
	struct fix *f = fix_edge(202);
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	bubble_to_open(f, peer);
	/* the kernel's RST for a closed port 22 */
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, f->me, peer, 22, 40000, 0x14);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &pmap), 1);
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 40000, 22, 0x02);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), FLOW_ON ? 0 : 1);
	/* the host connects 41000 -> 80: the SYN-ACK passes, another
	 * port pair does not */
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, f->me, peer, 41000, 80, 0x02);
	send6(f, pkt, n);
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 80, 41000, 0x12);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 80, 41001, 0x12);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), FLOW_ON ? 0 : 1);
	/* echo: a reply to id 9 after the host's request with id 9; a
	 * reply with another id is refused */
	n = mk_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, f->me, peer, 9);
	send6(f, pkt, n);
	n = mk_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, peer, f->me, 9);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	n = mk_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, peer, f->me, 10);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), FLOW_ON ? 0 : 1);
	assert_int_equal(status(f).flows, SW_DEFENCE(FLOW) ? 2 : 0);
	fix_free(f);
}

/* Item 8: an ICMPv6 error passes as part of the flow it quotes, and
 * only then (errors are never solicited on their own). */
static void
test_flow_icmp_errors(void **state)
{
	struct fix *f = fix_edge(203);
	uint8_t peer[16], pkt[256], q[128];
	size_t n, qn;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	bubble_to_open(f, peer);
	qn = mk_l4(q, sizeof q, SW_NH_UDP, f->me, peer, 5353, 53, 0);
	send6(f, q, qn);
	n = mk_unreach(pkt, sizeof pkt, peer, f->me, q, qn);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	/* quoting a packet we never sent (another port), or cut short */
	qn = mk_l4(q, sizeof q, SW_NH_UDP, f->me, peer, 5353, 54, 0);
	n = mk_unreach(pkt, sizeof pkt, peer, f->me, q, qn);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), FLOW_ON ? 0 : 1);
	n = mk_unreach(pkt, sizeof pkt, peer, f->me, q, 20);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), FLOW_ON ? 0 : 1);
	fix_free(f);
}

/* Item 9: a non-first fragment from a source the host never sent to is
 * refused and never starts a ping test; from a solicited one it passes. */
static void
test_fragments(void **state)
{
	struct fix *f = fix_edge(204);
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	bubble_to_open(f, peer);
	n = mk_frag(pkt, sizeof pkt, peer, f->me);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), FLOW_ON ? 0 : 1);
	assert_int_equal(f->drops.n[SW_DROP_FRAGMENT_UNSOLICITED], FLOW_ON);
	/* a native source through a relay: no ping test for it */
	n = mk_frag(pkt, sizeof pkt, native1, f->me);
	input(f, &relay, pkt, n);
	if (SW_DEFENCE(EDGE)) {
		assert_int_equal(count_to(f, &srv), FLOW_ON ? 0 : 1);
		assert_int_equal(status(f).guard.fragment_refused,
		    FLOW_ON ? 2 : 0);
	}
	/* the host sends to the peer: its fragments pass */
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, f->me, peer, 5000, 6000, 0);
	send6(f, pkt, n);
	n = mk_frag(pkt, sizeof pkt, peer, f->me);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	fix_free(f);
}

/* Item 11: the right nonce from an intranet or non-global endpoint does
 * not trust the native peer there (the host's packets would follow). */
static void
test_ping_reply_endpoint(void **state)
{
	const struct sw_v4ep inside = { SW_IP4(203, 0, 113, 77), 3545 };
	const struct sw_v4ep private = { SW_IP4(10, 1, 2, 3), 3545 };
	struct fix *f = fix_conf(205);
	uint8_t pkt[128], nonce[8], rep[128];
	struct sw_ip6_view ip;
	struct sw_teredo_view v;
	struct sw_echo_view e;
	enum sw_drop why;
	size_t n, rn;

	(void)state;
	f->conf.intranet[0] = (struct sw_v4_net){ SW_IP4(203, 0, 113, 0), 24 };
	f->conf.n_intranet = 1;
	qualify(f);
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 8, 0x11);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &srv), 1);
	assert_int_equal(sw_wire_parse(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p,
	    nth(f, SW_ACT_SEND_UDP, 0)->seg[0].len, &v, &why), 0);
	assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why), 0);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), 0);
	memcpy(nonce, e.data, 8);
	rn = (size_t)sw_wire_build_echo(rep, sizeof rep, SW_ICMP6_ECHO_REPLY,
	    native1, f->me, 64, e.id, e.seq, nonce, 8);
	input(f, &inside, rep, rn);
	if (SW_DEFENCE(INTRANET)) {
		assert_int_equal(f->drops.n[SW_DROP_SRC_INTRANET], 1);
		assert_int_equal(count(f, SW_ACT_SEND_UDP), 0);
	} else {
		assert_int_equal(count_to(f, &inside), 1);	/* flushed */
		fix_free(f);
		return;
	}
	input(f, &private, rep, rn);
	assert_int_equal(f->drops.n[SW_DROP_V4_NOT_GLOBAL], 1);
	input(f, &relay, rep, rn);
	assert_int_equal(count_to(f, &relay), 1);	/* the real relay */
	fix_free(f);
}

/* Item 2: echo requests from ever new native sources through one relay
 * endpoint, one IPv4 or many: at most 4, 8 and 32 tests at a time, and
 * the host still reaches a new destination. */
static void
test_inbound_bounded(void **state)
{
	struct fix *f = fix_edge(206);
	uint8_t src[16], pkt[128];
	unsigned sent = 0;
	size_t n;

	(void)state;
	memcpy(src, native1, 16);
	for (unsigned i = 0; i < 200; i++) {
		const struct sw_v4ep from = { RELAY + i / 16,
		    (uint16_t)(3545 + i % 4) };

		src[14] = (uint8_t)(i >> 8);
		src[15] = (uint8_t)(i + 2);
		n = mk_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, src, f->me, 1);
		f->now += 10 * SW_MSEC;
		input(f, &from, pkt, n);
		sent += count_to(f, &srv);
	}
	if (SW_DEFENCE(CLIENT_INBOUND)) {
		/* 13 IPv4s x 8, but 32 in all (and the bucket: 10 + 2 s x
		 * 5/s) */
		assert_true(status(f).inbound <= 32);
		assert_true(sent <= 32);
		assert_true(f->drops.n[SW_DROP_INBOUND_LIMITED] >= 160);
		assert_true(status(f).guard.inbound_refused >= 160);
	} else {
		assert_true(status(f).inbound > 32);
	}
	/* the host's own new destination: its ping goes at once */
	memcpy(src, native1, 16);
	src[13] = 0x42;
	n = mk_pkt(pkt, sizeof pkt, f->me, src, 8, 0x11);
	send6(f, pkt, n);
	/* (without the defence the flood holds every test slot) */
	assert_int_equal(count_to(f, &srv), SW_DEFENCE(CLIENT_INBOUND) ? 1 : 0);
	fix_free(f);
}

/* One endpoint bounded: 4 tests through one relay endpoint. */
static void
test_inbound_per_endpoint(void **state)
{
	struct fix *f = fix_edge(207);
	uint8_t src[16], pkt[128];
	size_t n;

	(void)state;
	memcpy(src, native1, 16);
	for (unsigned i = 0; i < 10; i++) {
		src[15] = (uint8_t)(i + 2);
		n = mk_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, src, f->me, 1);
		input(f, &relay, pkt, n);
	}
	assert_int_equal(status(f).inbound,
	    SW_DEFENCE(CLIENT_INBOUND) ? 4 : 10);
	/* a test ends (trust or give-up): the count falls */
	for (sw_time t0 = f->now, t = t0 + SEC; t <= t0 + 9 * SEC; t += SEC)
		tick_at(f, t);
	assert_int_equal(status(f).inbound, 0);
	fix_free(f);
}

/* Item 7: indirect bubbles with the spoofed origin V:port and ever new
 * flag bits: V hears at most the burst, then the rate. */
static void
test_reflector(void **state)
{
	const struct sw_v4ep victim = { SW_IP4(198, 51, 100, 7), 9999 };
	struct fix *f = fix_edge(208);
	uint8_t buf[128], peer[16];
	unsigned to_victim = 0;
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 2000; i++) {
		teredo_addr(peer, S2, &victim, (uint16_t)(i * 4));
		assert_int_equal(sw_wire_build_origin(buf, 8, &victim), 8);
		n = 8 + mk_bubble(buf + 8, peer, f->me);
		f->now += SW_MSEC;
		input(f, &srv, buf, n);
		to_victim += count_to(f, &victim);
	}
	if (SW_DEFENCE(CLIENT_REFLECT)) {
		/* burst 4, then 2/s for 2 s */
		assert_in_range(to_victim, 4, 8);
		assert_true(status(f).guard.reflect_limited >= 1990);
		assert_true(f->drops.n[SW_DROP_BUBBLE_LIMITED] > 0 ||
		    to_victim > 0);
	} else {
		assert_true(to_victim >= 1900);
	}
	fix_free(f);
}

/* Item 3: direct bubbles from one endpoint with ever new Teredo sources
 * embedding it: at most 8 of them trusted, and the host's trusted peer
 * and a new destination keep their entries in a full table. */
static void
test_peer_table_flood(void **state)
{
	struct fix *f = fix_conf(209);
	const struct sw_v4ep atk = { SW_IP4(198, 51, 100, 66), 7000 };
	uint8_t peer[16], legit[16], pkt[128], b[SW_IP6_HLEN];
	size_t n;

	(void)state;
	f->conf.peers = 64;
	f->conf.edge = true;
	qualify(f);
	/* the host's peer, trusted by its answer */
	teredo_addr(legit, S2, &pmap, 0);
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, f->me, legit, 5000, 6000, 0);
	send6(f, pkt, n);
	mk_bubble(b, legit, f->me);
	input(f, &pmap, b, sizeof b);
	assert_int_equal(count_to(f, &pmap), 1);	/* queue flushed */
	for (unsigned i = 0; i < 1000; i++) {
		teredo_addr(peer, S2, &atk, (uint16_t)(i * 4));
		mk_bubble(b, peer, f->me);
		f->now += 10 * SW_MSEC;
		input(f, &atk, b, sizeof b);
	}
	if (SW_DEFENCE(CLIENT_PEERS)) {
		assert_int_equal(status(f).guard.trust_refused, 1000 - 8);
		assert_int_equal(f->drops.n[SW_DROP_PEER_LIMIT], 1000 - 8);
		assert_int_equal(status(f).guard.table_full, 0);
	}
	/* the legit peer is still trusted: straight to it */
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, f->me, legit, 5000, 6000, 0);
	send6(f, pkt, n);
	{
		const struct sw_action *a = sent_to(f, &pmap);

		/* the data itself; without the defence a new bubble */
		assert_non_null(a);
		if (a != NULL)
			assert_int_equal(a->seg[0].len == n,
			    SW_DEFENCE(CLIENT_PEERS));
	}
	fix_free(f);
}

/* Item 3: stale trusted Teredo peers stop counting against their
 * endpoint, so a peer that restarts with new flag bits is trusted. */
static void
test_peer_share_returns(void **state)
{
	struct fix *f = fix_conf(210);
	uint8_t peer[16], b[SW_IP6_HLEN];
	uint64_t before;

	(void)state;
	f->conf.peers_per_mapping = 2;
	f->conf.refresh = 3600 * SEC;	/* no RS to answer meanwhile */
	qualify(f);
	for (unsigned i = 0; i < 3; i++) {
		teredo_addr(peer, S2, &pmap, (uint16_t)(i * 4));
		mk_bubble(b, peer, f->me);
		input(f, &pmap, b, sizeof b);
	}
	assert_int_equal(f->drops.n[SW_DROP_PEER_LIMIT],
	    SW_DEFENCE(CLIENT_PEERS) ? 1 : 0);
	for (sw_time t0 = f->now, t = t0 + SEC; t < t0 + 45 * SEC; t += SEC)
		tick_at(f, t);
	assert_true(status(f).guard.swept >= 2);
	before = total_drops(f);
	teredo_addr(peer, S2, &pmap, 0x400);
	mk_bubble(b, peer, f->me);
	input(f, &pmap, b, sizeof b);
	assert_int_equal(total_drops(f), before);
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_echo_reply_solicits_nothing),
		cmocka_unit_test(test_flow_tcp_and_echo),
		cmocka_unit_test(test_flow_icmp_errors),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_ping_reply_endpoint),
		cmocka_unit_test(test_inbound_bounded),
		cmocka_unit_test(test_inbound_per_endpoint),
		cmocka_unit_test(test_reflector),
		cmocka_unit_test(test_peer_table_flood),
		cmocka_unit_test(test_peer_share_returns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
