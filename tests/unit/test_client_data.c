/*
 * test_client_data.c - the client's data path (RFC 4380 §5.2.3, §5.2.4,
 * §5.2.6, §5.2.9; spec §2.6 CLI-RX-*, §2.7 CLI-TX-*, §2.8 CLI-BUB-*,
 * §2.11 CLI-PING-*, §8.3 HARD-3/4/6/7).
 *
 * No sleeps: a fake clock and a seeded RNG.  The client is qualified
 * first through a small fake server (as in test_client.c), then fed IPv6
 * packets from the "tunnel" (sw_client_send) and UDP datagrams from peers,
 * relays and the server (sw_client_input).
 */
#include <errno.h>

#include "client_fix.h"
#include "weaken.h"

#define RELAY		SW_IP4(198, 51, 100, 99)	/* a native peer's relay */

static const struct sw_v4ep pmap = { SW_IP4(203, 0, 113, 50), 50000 };
static const struct sw_v4ep relay = { RELAY, 3545 };
static const uint8_t native2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* ---- fixture ------------------------------------------------------------- */

static struct fix *
fix(uint64_t seed)
{
	struct fix *f = fix_conf(seed);

	qualify(f);
	return f;
}

/* ---- packets ---------------------------------------------------------------- */

/* A sent datagram, parsed: its IPv6 view. */
static void
parse_sent(const struct sw_action *a, struct sw_teredo_view *v,
    struct sw_ip6_view *ip)
{
	enum sw_drop why;

	assert_int_equal(a->kind, SW_ACT_SEND_UDP);
	assert_int_equal(a->seg[1].len, 0);
	assert_int_equal(sw_wire_parse(a->seg[0].p, a->seg[0].len, v, &why),
	    0);
	assert_int_equal(sw_ip6_parse(v->ip6, v->ip6_len, ip, &why), 0);
}

/* The datagram is a bubble from us to peer, sent to dst. */
static void
assert_bubble(const struct fix *f, const struct sw_action *a,
    const uint8_t peer[16], const struct sw_v4ep *dst)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;

	parse_sent(a, &v, &ip);
	assert_true(sw_v4ep_eq(&a->dst, dst));
	assert_false(v.has_auth);
	assert_false(v.has_origin);
	assert_true(sw_ip6_is_bubble(&ip));
	assert_memory_equal(ip.src, f->me, 16);
	assert_memory_equal(ip.dst, peer, 16);
}

/* The datagram is a ping test to dst via our server; returns its nonce. */
static void
assert_ping(const struct fix *f, const struct sw_action *a,
    const uint8_t dst[16], uint8_t nonce[8])
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	struct sw_echo_view e;

	parse_sent(a, &v, &ip);
	assert_int_equal(a->dst.addr, S1);
	assert_int_equal(a->dst.port, SW_TEREDO_PORT);
	assert_memory_equal(ip.src, f->me, 16);
	assert_memory_equal(ip.dst, dst, 16);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), 0);
	assert_int_equal(e.type, SW_ICMP6_ECHO_REQ);
	assert_int_equal(e.data_len, 8);
	memcpy(nonce, e.data, 8);
}

/* CLI-TX-8: a DELIVER of ICMPv6 Destination Unreachable, code 3, from
 * our address to our address, carrying pkt. */
static void
want_unreach(const struct fix *f, const struct sw_action *a,
    const uint8_t *pkt, size_t len)
{
	struct sw_ip6_view ip;
	enum sw_drop why;

	assert_int_equal(a->kind, SW_ACT_DELIVER);
	assert_int_equal(sw_ip6_parse(a->seg[0].p, a->seg[0].len, &ip, &why),
	    0);
	assert_memory_equal(ip.src, f->me, 16);
	assert_memory_equal(ip.dst, f->me, 16);
	assert_int_equal(ip.nxt, SW_NH_ICMP6);
	assert_true(sw_icmp6_checksum_ok(&ip));
	assert_int_equal(ip.payload[0], SW_ICMP6_DST_UNREACH);
	assert_int_equal(ip.payload[1], SW_ICMP6_UNREACH_ADDR);
	assert_int_equal(ip.plen, 8 + len);
	assert_memory_equal(ip.payload + 8, pkt, len);
}

/* ---- transmission --------------------------------------------------------- */

static void
test_send_rejections(void **state)
{
	struct fix *f = fix_conf(11);
	uint8_t pkt[128], other[16], ll[16], mc[16] = { 0xff, 0x0e, [15] = 1 };
	size_t n;

	(void)state;
	assert_int_equal(sw_client_new(&f->c, &f->conf), 0);
	/* not qualified */
	n = mk_pkt(pkt, sizeof pkt, native2, native1, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_CLIENT_NOT_READY], 1);
	sw_client_free(f->c);
	qualify(f);
	/* source not our Teredo address */
	teredo_addr(other, S1, &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, other, native1, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_SRC_NOT_OURS], 1);
	/* destinations: link-local, multicast, ourselves */
	sw_addr_client_ll(ll, false);
	n = mk_pkt(pkt, sizeof pkt, f->me, ll, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_DST_NOT_GLOBAL], 1);
	n = mk_pkt(pkt, sizeof pkt, f->me, mc, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_DST_MULTICAST], 1);
	n = mk_pkt(pkt, sizeof pkt, f->me, f->me, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_OWN_ADDRESS], 1);
	/* malformed: payload length beyond the buffer (D2) */
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 8, 0);
	send6(f, pkt, n - 1);
	assert_int_equal(f->drops.n[SW_DROP_IP6_LENGTH], 1);
	assert_int_equal(total_drops(f), 5);	/* qualify() cleared 1 */
	assert_int_equal(status(f).peers, 0);
	fix_free(f);
}

/* CLI-TX-5/7, CLI-BUB-1/2: queue, direct + indirect bubble; the C bit
 * is ignored; retries every 2 s, 3 times, then the queue is dropped. */
static void
test_send_teredo_bubbles_and_retries(void **state)
{
	struct fix *f = fix(12);
	uint8_t peer[16], pkt[128];
	const struct sw_v4ep ind = { S2, SW_TEREDO_PORT };
	size_t n;
	sw_time t0;

	(void)state;
	teredo_addr(peer, S2, &pmap, SW_FLAG_CONE);	/* C = 1: ignored */
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 20, 0xaa);
	send6(f, pkt, n);
	t0 = f->now;
	assert_int_equal(f->acts.n, 2);
	assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 0), peer, &pmap);
	assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 1), peer, &ind);
	assert_int_equal(status(f).peers, 1);
	assert_int_equal(status(f).queued_bytes, n);
	assert_int_equal(total_drops(f), 0);
	/* a second packet joins the queue without a new bubble */
	f->now += SEC;
	send6(f, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).queued_bytes, 2 * n);
	/* 3 retries, 2 s apart */
	for (unsigned r = 1; r <= 3; r++) {
		assert_true(sw_client_next_deadline(f->c) == t0 + 2 * r * SEC);
		tick_at(f, t0 + 2 * r * SEC - 1);
		assert_int_equal(f->acts.n, 0);
		tick_at(f, t0 + 2 * r * SEC);
		assert_int_equal(count(f, SW_ACT_SEND_UDP), 2);
		assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 0), peer, &pmap);
		assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 1), peer, &ind);
	}
	/* 2 s after the last one: the queue is given up, and the host
	 * hears "address unreachable" about each packet (CLI-TX-8) */
	assert_true(sw_client_next_deadline(f->c) == t0 + 8 * SEC);
	tick_at(f, t0 + 8 * SEC);
	assert_int_equal(f->acts.n, 2);
	want_unreach(f, &f->acts.a[0], pkt, n);
	want_unreach(f, &f->acts.a[1], pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_UNRESOLVED], 2);
	assert_int_equal(status(f).queued_bytes, 0);
	/* the next deadline is the FSM's refresh again */
	assert_true(sw_client_next_deadline(f->c) == status(f).next_refresh);
	/* CLI-BUB-4: 4 bubbles went in 300 s: a new packet is queued but
	 * no bubble may go; it is dropped after the retries. */
	f->now = t0 + 10 * SEC;
	send6(f, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).queued_bytes, n);
	for (unsigned r = 1; r <= 4; r++) {
		tick_at(f, f->now + 2 * SEC);
		assert_int_equal(f->acts.n, r < 4 ? 0 : 1);
	}
	want_unreach(f, &f->acts.a[0], pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_UNRESOLVED], 3);
	fix_free(f);
}

/* CLI-TX-6: COM-V4G on the embedded mapping and server. */
static void
test_send_teredo_not_global(void **state)
{
	struct fix *f = fix(13);
	const struct sw_v4ep priv = { SW_IP4(10, 1, 2, 3), 5000 };
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &priv, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_V4_NOT_GLOBAL], 1);
	teredo_addr(peer, SW_IP4(192, 168, 1, 1), &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_V4_NOT_GLOBAL], 2);
	assert_int_equal(status(f).peers, 0);
	fix_free(f);
}

/* HARD-8: nothing is sent to UDP port 0 (a fuzz_client finding); port 1,
 * the nearest good one, is bubbled to as usual. */
static void
test_send_teredo_port_zero(void **state)
{
	struct fix *f = fix(17);
	const struct sw_v4ep zero = { SW_IP4(203, 0, 113, 60), 0 };
	const struct sw_v4ep one = { SW_IP4(203, 0, 113, 60), 1 };
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &zero, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_DST_PORT_ZERO], 1);
	teredo_addr(peer, S2, &one, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &one), 1);
	assert_int_equal(f->drops.n[SW_DROP_DST_PORT_ZERO], 1);
	fix_free(f);
}

/* CLI-RX-6 both ways, FIFO flush, then CLI-TX-1 zero copy and CLI-RX-4. */
static void
test_teredo_trust_flush_fifo(void **state)
{
	struct fix *f = fix(14);
	uint8_t peer[16], pkt[3][128], in[256], back[128];
	const struct sw_v4ep other = { SW_IP4(203, 0, 113, 51), 50000 };
	size_t n[3], bn;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	for (unsigned i = 0; i < 3; i++) {
		n[i] = mk_pkt(pkt[i], sizeof pkt[i], f->me, peer, 10 + i,
		    (uint8_t)(0x10 + i));
		send6(f, pkt[i], n[i]);
	}
	assert_int_equal(status(f).queued_bytes, n[0] + n[1] + n[2]);
	/* a packet from the peer's Teredo source but another mapping: a
	 * Teredo source must embed its UDP source (CLI-RX-6/9) */
	f->now += SEC;
	bn = mk_pkt(back, sizeof back, peer, f->me, 16, 0x77);
	input(f, &other, back, bn);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_SRC_MAPPING], 1);
	assert_int_equal(status(f).queued_bytes, n[0] + n[1] + n[2]);
	/* from the embedded mapping: trusted, delivered, queue flushed in
	 * order; trailing bytes after 40 + PL are not delivered; the
	 * delivered packet points into the input buffer. */
	memcpy(in, back, bn);
	memset(in + bn, 0xee, 4);
	input(f, &pmap, in, bn + 4);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	assert_ptr_equal(nth(f, SW_ACT_DELIVER, 0)->seg[0].p, in);
	assert_int_equal(nth(f, SW_ACT_DELIVER, 0)->seg[0].len, bn);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct sw_action *a = nth(f, SW_ACT_SEND_UDP, i);

		assert_true(sw_v4ep_eq(&a->dst, &pmap));
		assert_int_equal(a->seg[0].len, n[i]);
		assert_memory_equal(a->seg[0].p, pkt[i], n[i]);
	}
	assert_int_equal(status(f).queued_bytes, 0);
	/* CLI-TX-1: straight to the mapping, zero copy, only 40 + PL */
	send6(f, pkt[1], n[1] + 5);
	assert_int_equal(f->acts.n, 1);
	assert_ptr_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p, pkt[1]);
	assert_int_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].len, n[1]);
	assert_true(sw_v4ep_eq(&nth(f, SW_ACT_SEND_UDP, 0)->dst, &pmap));
	/* CLI-RX-4 */
	f->now += 20 * SEC;
	input(f, &pmap, back, bn);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	/* CLI-TX-0: still valid 29 s after the last reception, not at 30 */
	f->now += 29 * SEC;
	send6(f, pkt[0], n[0]);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	assert_ptr_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p, pkt[0]);
	f->now += 1 * SEC;
	send6(f, pkt[0], n[0]);		/* queued; CLI-BUB-3: sent 1 s ago */
	assert_int_equal(f->acts.n, 0);
	f->now += 2 * SEC;
	send6(f, pkt[0], n[0]);
	assert_int_equal(f->acts.n, 0);		/* resolution under way */
	tick_at(f, f->now);	/* its first retry (and the FSM's refresh RS) */
	assert_int_equal(count_to(f, &pmap), 1);	/* bubbles */
	assert_int_equal(count_to(f, &(struct sw_v4ep){ S2, SW_TEREDO_PORT }),
	    1);
	assert_int_equal(status(f).queued_bytes, 2 * n[0]);
	/* a bubble from the old mapping (trusted entry): flushed again */
	bn = mk_bubble(back, peer, f->me);
	input(f, &pmap, back, bn);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 2);
	assert_memory_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p, pkt[0],
	    n[0]);
	assert_int_equal(total_drops(f), 1);
	fix_free(f);
}

/* CLI-RX-6 with a bubble: trusted, flushed, never delivered. */
static void
test_rx6_bubble_consumed(void **state)
{
	struct fix *f = fix(15);
	uint8_t peer[16], pkt[128], b[64];
	size_t n, bn;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 30, 0x42);
	send6(f, pkt, n);
	bn = mk_bubble(b, peer, f->me);
	input(f, &pmap, b, bn);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	assert_memory_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p, pkt, n);
	/* no retry left behind: the stale retry is skipped */
	tick_at(f, f->now + 2 * SEC);
	assert_int_equal(f->acts.n, 0);
	/* an unknown peer's bubble creates a trusted entry (no delivery) */
	teredo_addr(peer, S2, &(struct sw_v4ep){ SW_IP4(203, 0, 113, 60), 9 },
	    0);
	bn = mk_bubble(b, peer, f->me);
	input(f, &(struct sw_v4ep){ SW_IP4(203, 0, 113, 60), 9 }, b, bn);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).peers, 2);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	assert_ptr_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p, pkt);
	assert_int_equal(total_drops(f), 0);
	fix_free(f);
}

/* HARD-4: a Teredo source embedding an intranet IPv4 is not trusted. */
static void
test_rx6_private_mapping_not_trusted(void **state)
{
	struct fix *f = fix(16);
	const struct sw_v4ep priv = { SW_IP4(10, 1, 2, 3), 5000 };
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &priv, 0);
	n = mk_pkt(pkt, sizeof pkt, peer, f->me, 8, 0);
	input(f, &priv, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_SRC_INTRANET], 1);
	assert_int_equal(status(f).peers, 0);
	n = mk_bubble(pkt, peer, f->me);
	input(f, &priv, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_SRC_INTRANET], 2);
	assert_int_equal(status(f).peers, 0);
	fix_free(f);
}

/* CLI-TX-2, CLI-PING-2..4: queue + echo request via our server, same
 * nonce on each retry, then give up and forget the entry (HARD-6). */
static void
test_ping_test_retries(void **state)
{
	struct fix *f = fix(17);
	uint8_t pkt[128], nonce[8], again[8];
	size_t n;
	sw_time t0 = 0;

	(void)state;
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 12, 0x33);
	send6(f, pkt, n);
	t0 = f->now;
	assert_int_equal(f->acts.n, 1);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, nonce);
	assert_int_equal(status(f).queued_bytes, n);
	for (unsigned r = 1; r <= 3; r++) {
		tick_at(f, t0 + 2 * r * SEC);
		assert_int_equal(f->acts.n, 1);
		assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, again);
		assert_memory_equal(again, nonce, 8);
	}
	tick_at(f, t0 + 8 * SEC);
	assert_int_equal(f->acts.n, 1);
	want_unreach(f, &f->acts.a[0], pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_UNRESOLVED], 1);
	assert_int_equal(status(f).peers, 0);
	/* a new test has a fresh nonce */
	send6(f, pkt, n);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, again);
	assert_memory_not_equal(again, nonce, 8);
	fix_free(f);
}

/* CLI-RX-5 both ways: wrong nonce (counted, not trusted), right nonce
 * (consumed, trusted, mapping := relay, FIFO flush); then CLI-RX-4. */
static void
test_ping_reply_nonce(void **state)
{
	struct fix *f = fix(18);
	uint8_t pkt[2][128], nonce[8], bad[8], rep[128], data[128];
	size_t n[2], rn, dn;

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		n[i] = mk_pkt(pkt[i], sizeof pkt[i], f->me, native1, 20 + i,
		    (uint8_t)i);
		send6(f, pkt[i], n[i]);
		if (i == 0)
			assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1,
			    nonce);
		else
			assert_int_equal(f->acts.n, 0);
	}
	/* wrong nonce */
	memcpy(bad, nonce, 8);
	bad[7] ^= 1;
	rn = mk_reply(f, rep, sizeof rep, native1, bad);
	input(f, &relay, rep, rn);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_PING_NONCE], 1);
	assert_int_equal(status(f).queued_bytes, n[0] + n[1]);
	/* data from the native peer before trust (CLI-RX-9): queued
	 * behind our packets, the test already running: nothing sent */
	dn = mk_pkt(data, sizeof data, native1, f->me, 8, 0x55);
	input(f, &relay, data, dn);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).queued_bytes, n[0] + n[1] + dn);
	/* the reply from another source does not match the entry: it is
	 * itself an unsolicited packet from native2 (CLI-RX-9), queued
	 * while native2 is tested in turn */
	rn = mk_reply(f, rep, sizeof rep, native2, nonce);
	input(f, &relay, rep, rn);
	assert_int_equal(f->acts.n, 1);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native2, bad);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(status(f).queued_bytes, n[0] + n[1] + dn + rn);
	/* right nonce: consumed, the queue flushed in order: ours to the
	 * relay, the peer's delivered */
	rn = mk_reply(f, rep, sizeof rep, native1, nonce);
	input(f, &relay, rep, rn);
	assert_int_equal(f->acts.n, 3);
	for (unsigned i = 0; i < 2; i++) {
		const struct sw_action *a = &f->acts.a[i];

		assert_int_equal(a->kind, SW_ACT_SEND_UDP);
		assert_true(sw_v4ep_eq(&a->dst, &relay));
		assert_int_equal(a->seg[0].len, n[i]);
		assert_memory_equal(a->seg[0].p, pkt[i], n[i]);
	}
	assert_int_equal(f->acts.a[2].kind, SW_ACT_DELIVER);
	assert_int_equal(f->acts.a[2].seg[0].len, dn);
	assert_memory_equal(f->acts.a[2].seg[0].p, data, dn);
	/* a replay of the reply is now an ordinary trusted packet */
	/* CLI-TX-1 */
	send6(f, pkt[0], n[0]);
	assert_int_equal(f->acts.n, 1);
	assert_ptr_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p, pkt[0]);
	assert_true(sw_v4ep_eq(&nth(f, SW_ACT_SEND_UDP, 0)->dst, &relay));
	/* CLI-RX-4: delivered; from another relay: not */
	input(f, &relay, data, dn);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	assert_ptr_equal(nth(f, SW_ACT_DELIVER, 0)->seg[0].p, data);
	/* the trusted entry is not disturbed (HARD-3) */
	input(f, &(struct sw_v4ep){ SW_IP4(198, 51, 100, 98), 3545 }, data,
	    dn);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(f->drops.n[SW_DROP_SRC_MAPPING], 1);
	/* no retry fires for native1 any more; native2's test goes on */
	tick_at(f, f->now + 2 * SEC);
	assert_int_equal(f->acts.n, 1);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native2, bad);
	fix_free(f);
}

/*
 * CLI-RX-9 both ways, the native host speaking first: its packet comes
 * through a relay we never heard of.  Not delivered before the ping
 * test: queued, one echo request with a fresh nonce through our server;
 * a second packet meanwhile starts nothing; a forged reply (wrong nonce)
 * delivers nothing; the right reply through the relay delivers both in
 * order and trusts the peer there (our answer goes straight back).  A
 * bubble from a native source never starts a test (HARD-3).
 */
static void
test_rx9_native_first(void **state)
{
	struct fix *f = fix(31);
	uint8_t d[2][128], rep[128], nonce[8], bad[8], out[128], bub[64];
	size_t n[2], rn, on;
	int bn;

	(void)state;
	/* a bubble from a native source: dropped, no test */
	bn = sw_wire_build_bubble(bub, sizeof bub, native2, f->me, 64);
	assert_true(bn > 0);
	input(f, &relay, bub, (size_t)bn);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_BUBBLE_UNMATCHED], 1);
	assert_int_equal(status(f).peers, 0);
	/* the first data packet: queued, a ping test through the server */
	for (unsigned i = 0; i < 2; i++) {
		n[i] = mk_pkt(d[i], sizeof d[i], native1, f->me, 8 + i,
		    (uint8_t)(0x30 + i));
		input(f, &relay, d[i], n[i]);
		assert_int_equal(count(f, SW_ACT_DELIVER), 0);
		if (i == 0) {
			assert_int_equal(f->acts.n, 1);
			assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1,
			    nonce);
		} else
			assert_int_equal(f->acts.n, 0);
	}
	assert_int_equal(status(f).queued_bytes, n[0] + n[1]);
	/* a forged reply: nothing delivered, counted */
	memcpy(bad, nonce, 8);
	bad[0] ^= 0x80;
	rn = mk_reply(f, rep, sizeof rep, native1, bad);
	input(f, &relay, rep, rn);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_PING_NONCE], 1);
	/* the right one: both delivered in order, the reply consumed */
	rn = mk_reply(f, rep, sizeof rep, native1, nonce);
	input(f, &relay, rep, rn);
	assert_int_equal(f->acts.n, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(f->acts.a[i].kind, SW_ACT_DELIVER);
		assert_int_equal(f->acts.a[i].seg[0].len, n[i]);
		assert_memory_equal(f->acts.a[i].seg[0].p, d[i], n[i]);
	}
	assert_int_equal(status(f).queued_bytes, 0);
	/* our answer goes straight to the relay (CLI-TX-1) */
	on = mk_pkt(out, sizeof out, f->me, native1, 8, 0x40);
	send6(f, out, on);
	assert_int_equal(f->acts.n, 1);
	assert_true(sw_v4ep_eq(&nth(f, SW_ACT_SEND_UDP, 0)->dst, &relay));
	fix_free(f);
}

/*
 * HSR-5 with CLI-RX-3: while we ping-test a native host that is its own
 * host-specific relay, its indirect bubble (from that same native
 * address) is answered at once with a direct bubble to the origin: the
 * ping went to our server, not to the peer (CLI-BUB-3 counts
 * transmissions to the peer).  The next bubble within 2 s is refused.
 */
static void
test_bubble_during_ping_test(void **state)
{
	struct fix *f = fix(32);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	const struct sw_v4ep hsr = { SW_IP4(192, 0, 2, 30), 3544 };
	uint8_t pkt[128], nonce[8], buf[128];
	size_t n, bn;

	(void)state;
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 8, 0x61);
	send6(f, pkt, n);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, nonce);
	assert_int_equal(sw_wire_build_origin(buf, 8, &hsr), 8);
	bn = 8 + mk_bubble(buf + 8, native1, f->me);
	input(f, &srv, buf, bn);
	assert_int_equal(f->acts.n, 1);
	assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 0), native1, &hsr);
	f->now += SEC;
	input(f, &srv, buf, bn);
	assert_int_equal(f->acts.n, 0);		/* CLI-BUB-3 */
	fix_free(f);
}

/* CLI-TX-8 limits (SEC-9): one bucket for all errors; none for what a
 * peer sent us (CLI-RX-9 queue) or about an ICMPv6 error; burst 0: none. */
static void
test_unreach_limits(void **state)
{
	struct fix *f = fix_conf(33);
	uint8_t pkt[3][128], in[128];
	size_t n[3], in_n;
	sw_time t0;

	(void)state;
	f->conf.icmp_rate.interval = 10 * SEC;
	f->conf.icmp_rate.burst = 1;
	qualify(f);
	for (unsigned i = 0; i < 3; i++)
		n[i] = mk_pkt(pkt[i], sizeof pkt[i], f->me, native1, 8,
		    (uint8_t)i);
	/* an ICMPv6 error first: never answered with one */
	pkt[0][6] = SW_NH_ICMP6;
	pkt[0][40] = SW_ICMP6_DST_UNREACH;
	for (unsigned i = 0; i < 3; i++)
		send6(f, pkt[i], n[i]);
	/* and native2 speaks to us: its packet waits for a test too */
	in_n = mk_pkt(in, sizeof in, native2, f->me, 8, 0x99);
	input(f, &relay, in, in_n);
	t0 = f->now;
	for (unsigned r = 1; r <= 4; r++)
		tick_at(f, t0 + 2 * r * SEC);
	/* pkt[1] gets the one token; pkt[2] is over the limit */
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	want_unreach(f, nth(f, SW_ACT_DELIVER, 0), pkt[1], n[1]);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_UNRESOLVED], 4);
	fix_free(f);
	/* burst 0: no error at all */
	f = fix_conf(34);
	f->conf.icmp_rate.interval = SEC;
	f->conf.icmp_rate.burst = 0;
	qualify(f);
	n[1] = mk_pkt(pkt[1], sizeof pkt[1], f->me, native1, 8, 1);
	send6(f, pkt[1], n[1]);
	t0 = f->now;
	for (unsigned r = 1; r <= 4; r++)
		tick_at(f, t0 + 2 * r * SEC);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_UNRESOLVED], 1);
	fix_free(f);
}

/*
 * CLI-RX-3 with Miredo (interop): its relays and clients bubble from a
 * link-local address, fe80::<hash>, and know our answer by it: the
 * indirect bubble is answered with one direct bubble to the origin, to
 * that address.  Still refused: the unspecified and loopback sources;
 * and a link-local source is never delivered (HARD-7).
 */
static void
test_rx3_link_local_bubble(void **state)
{
	struct fix *f = fix(35);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	static const uint8_t ll[16] = { 0xfe, 0x80, [8] = 0x12, 0x34, 0x56,
	    0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	static const uint8_t lo[16] = { [15] = 1 };
	uint8_t buf[128], pkt[128];
	size_t n;

	(void)state;
	assert_int_equal(sw_wire_build_origin(buf, 8, &relay), 8);
	n = 8 + mk_bubble(buf + 8, ll, f->me);
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 1);
	assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 0), ll, &relay);
	assert_int_equal(total_drops(f), 0);
	/* ::1 and :: are no peers */
	f->now += 10 * SEC;
	n = 8 + mk_bubble(buf + 8, lo, f->me);
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(total_drops(f), 1);
	/* data from the link-local source: not delivered */
	n = mk_pkt(pkt, sizeof pkt, ll, f->me, 8, 0);
	input(f, &relay, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(f->drops.n[SW_DROP_SRC_LINK_LOCAL], 1);
	fix_free(f);
}

/* HARD-3: the global ping-test token bucket. */
static void
test_ping_rate_limit(void **state)
{
	struct fix *f = fix_conf(19);
	uint8_t pkt[128], dst[16];
	size_t n;
	unsigned pings = 0;

	(void)state;
	f->conf.ping_rate.interval = 1 * SEC;
	f->conf.ping_rate.burst = 2;
	qualify(f);
	memcpy(dst, native1, 16);
	for (unsigned i = 0; i < 4; i++) {
		dst[14] = (uint8_t)(i + 1);
		n = mk_pkt(pkt, sizeof pkt, f->me, dst, 8, 0);
		send6(f, pkt, n);
		pings += count(f, SW_ACT_SEND_UDP);
	}
	assert_int_equal(pings, 2);
	assert_int_equal(f->drops.n[SW_DROP_RATE_LIMITED], 2);
	assert_int_equal(status(f).peers, 4);
	assert_int_equal(status(f).queued_bytes, 4 * n);
	/* 2 s later: 2 tokens again for 4 retries */
	tick_at(f, f->now + 2 * SEC);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 2);
	assert_int_equal(f->drops.n[SW_DROP_RATE_LIMITED], 4);
	fix_free(f);
}

/* ---- reception ----------------------------------------------------------- */

/* CLI-RX-2: destination must be ours; multicast dropped. */
static void
test_rx_destination(void **state)
{
	struct fix *f = fix(20);
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	uint8_t peer[16], other[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	teredo_addr(other, S1, &map1, 0x1234);	/* not our flag bits */
	n = mk_pkt(pkt, sizeof pkt, peer, other, 8, 0);
	input(f, &pmap, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_DST_NOT_OURS], 1);
	n = mk_bubble(pkt, peer, all_nodes);
	input(f, &pmap, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_DST_MULTICAST], 1);
	n = mk_pkt(pkt, sizeof pkt, peer, f->me, 8, 0);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	assert_int_equal(total_drops(f), 2);
	fix_free(f);
}

/* HARD-7 and D25 before delivery. */
static void
test_rx_hygiene(void **state)
{
	struct fix *f = fix(21);
	uint8_t peer[16], ll[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	/* Type 0 routing header, Segments Left 1 */
	assert_int_equal(sw_ip6_build(pkt, sizeof pkt, peer, f->me,
	    SW_NH_ROUTING, 64, 24), SW_IP6_HLEN);
	memset(pkt + 40, 0, 24);
	pkt[40] = SW_NH_NONE;
	pkt[41] = 2;
	pkt[42] = 0;
	pkt[43] = 1;
	input(f, &pmap, pkt, 64);
	assert_int_equal(f->drops.n[SW_DROP_ROUTING_HEADER0], 1);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).peers, 0);
	/* link-local source, even from the server */
	sw_addr_client_ll(ll, false);
	n = mk_pkt(pkt, sizeof pkt, ll, f->me, 8, 0);
	input(f, &(struct sw_v4ep){ S1, SW_TEREDO_PORT }, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_SRC_LINK_LOCAL], 1);
	assert_int_equal(f->acts.n, 0);
	fix_free(f);
}

/* CLI-RX-3: from the server, last interaction updated; an indirect bubble
 * is answered by a direct bubble to its origin, under CLI-BUB-3/4, and
 * never delivered; CLI-BUB-5 resets (rfc-notes 4, 6). */
static void
test_rx3_indirect_bubbles(void **state)
{
	struct fix *f = fix(22);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	uint8_t peer[16], buf[128], pkt[128];
	size_t n;
	sw_time t;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	assert_int_equal(sw_wire_build_origin(buf, 8, &pmap), 8);
	n = 8 + mk_bubble(buf + 8, peer, f->me);
	/* 4 bubbles, 2 s apart; one 1 s after a bubble is refused */
	t = f->now;
	for (unsigned i = 0; i < 4; i++) {
		f->now = t + 2 * i * SEC;
		input(f, &srv, buf, n);
		assert_int_equal(f->acts.n, 1);
		assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 0), peer, &pmap);
		assert_true(status(f).last_server_rx == f->now);
		f->now += SEC;
		input(f, &srv, buf, n);
		assert_int_equal(f->acts.n, 0);		/* CLI-BUB-3 */
	}
	/* CLI-BUB-4: the 5th within 300 s is refused */
	f->now = t + 10 * SEC;
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 0);
	f->now = t + 6 * SEC + 300 * SEC - 1;
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 0);
	/* 300 s after the last bubble: count reset */
	f->now = t + 6 * SEC + 300 * SEC;
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 1);
	for (unsigned i = 1; i < 4; i++) {
		f->now += 2 * SEC;
		input(f, &srv, buf, n);
		assert_int_equal(f->acts.n, 1);
	}
	f->now += 2 * SEC;
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 0);
	/* a direct reception from the peer resets the count */
	pkt[0] = 0;
	n = mk_bubble(pkt, peer, f->me);
	input(f, &pmap, pkt, n);
	assert_int_equal(f->acts.n, 0);
	n = 8 + mk_bubble(buf + 8, peer, f->me);
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	/* origin not global (D6): counted, no answer */
	assert_int_equal(sw_wire_build_origin(buf, 8,
	    &(struct sw_v4ep){ SW_IP4(10, 0, 0, 1), 1 }), 8);
	f->now += 10 * SEC;
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_V4_NOT_GLOBAL], 1);
	/* a bubble from the server without origin: consumed silently */
	input(f, &srv, buf + 8, n - 8);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(total_drops(f), 1);
	/* a packet relayed by the server from an unknown native source:
	 * the last interaction is updated; CLI-RX-9: queued, ping test */
	f->now += SEC;
	n = mk_pkt(pkt, sizeof pkt, native1, f->me, 8, 0);
	input(f, &srv, pkt, n);
	assert_int_equal(f->acts.n, 1);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(status(f).queued_bytes, n);
	assert_true(status(f).last_server_rx == f->now);
	fix_free(f);
}

/* An indirect bubble answered while our own bubbles are pending shares
 * the per-peer spacing (CLI-BUB-3). */
static void
test_bubble_spacing_shared(void **state)
{
	struct fix *f = fix(23);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	uint8_t peer[16], buf[128], pkt[128];
	size_t n, pn;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	pn = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, pn);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 2);
	assert_int_equal(sw_wire_build_origin(buf, 8, &pmap), 8);
	n = 8 + mk_bubble(buf + 8, peer, f->me);
	f->now += SEC;
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 0);
	f->now += SEC;
	input(f, &srv, buf, n);
	assert_int_equal(f->acts.n, 1);
	/* the retry due now is refused by CLI-BUB-3 (just sent) */
	tick_at(f, f->now);
	assert_int_equal(f->acts.n, 0);
	fix_free(f);
}

/* HARD-6, CLI-TX-8: queue bounds. */
static void
test_queue_bounds(void **state)
{
	struct fix *f = fix_conf(24);
	uint8_t pkt[1400], dst[16];
	size_t n;

	(void)state;
	f->conf.queue_total_bytes = 2600;	/* 2 slots */
	qualify(f);
	/* too big for a slot (1280) */
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 1241, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_TOO_BIG], 1);
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 1240, 0);
	send6(f, pkt, n);
	assert_int_equal(status(f).queued_bytes, 1280);
	/* the peer's queue is full */
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 0, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_PEER_FULL], 1);
	/* the pool is full */
	memcpy(dst, native1, 16);
	dst[15] = 9;
	n = mk_pkt(pkt, sizeof pkt, f->me, dst, 700, 0);
	send6(f, pkt, n);
	assert_int_equal(status(f).queued_bytes, 1280 + n);
	dst[15] = 10;
	n = mk_pkt(pkt, sizeof pkt, f->me, dst, 700, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_QUEUE_TOTAL_FULL], 1);
	assert_int_equal(status(f).queued_bytes, 1280 + n);
	fix_free(f);
}

/* Bounded work per tick: many retries due at once are spread over
 * several ticks, the deadline staying in the past meanwhile. */
static void
test_tick_bounded(void **state)
{
	struct fix *f = fix_conf(25);
	uint8_t pkt[128], dst[16];
	size_t n;
	unsigned sent = 0, ticks = 0;
	sw_time t0;

	(void)state;
	f->conf.ping_rate.interval = 1;
	f->conf.ping_rate.burst = 1000;
	f->conf.peers = 64;
	qualify(f);
	memcpy(dst, native1, 16);
	t0 = f->now;
	for (unsigned i = 0; i < 40; i++) {
		dst[14] = (uint8_t)(i + 1);
		n = mk_pkt(pkt, sizeof pkt, f->me, dst, 8, 0);
		send6(f, pkt, n);
		assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	}
	f->now = t0 + 2 * SEC;
	while (sw_client_next_deadline(f->c) <= f->now) {
		tick_at(f, f->now);
		assert_true(count(f, SW_ACT_SEND_UDP) <= 16);
		sent += count(f, SW_ACT_SEND_UDP);
		ticks++;
		assert_true(ticks < 10);
	}
	assert_int_equal(sent, 40);
	assert_int_equal(ticks, 3);
	assert_true(sw_client_next_deadline(f->c) == t0 + 4 * SEC);
	fix_free(f);
}

/* The peer table is emptied when the address goes away (failover); the
 * data path stops until qualified again. */
static void
test_address_loss_resets_peers(void **state)
{
	struct fix *f = fix(26);
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(status(f).peers, 1);
	/* let the refresh fail: N RSs unanswered */
	while (status(f).state == SW_CLIENT_QUALIFIED)
		tick_at(f, sw_client_next_deadline(f->c));
	assert_int_equal(status(f).peers, 0);
	assert_int_equal(status(f).queued_bytes, 0);
	assert_true(f->drops.n[SW_DROP_QUEUE_PEER_GONE] +
	    f->drops.n[SW_DROP_QUEUE_UNRESOLVED] == 1);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_CLIENT_NOT_READY], 1);
	n = mk_pkt(pkt, sizeof pkt, peer, f->me, 8, 0);
	input(f, &pmap, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_CLIENT_NOT_READY], 2);
	fix_free(f);
}

static void
test_conf_defaults(void **state)
{
	struct sw_client_conf conf;
	struct fix *f = fix_conf(27);

	(void)state;
	sw_client_conf_default(&conf);
	assert_int_equal(conf.peers, 1024);
	assert_int_equal(conf.queue_peer_bytes, 1280);
	assert_int_equal(conf.queue_total_bytes, 256 * 1024);
	assert_true(conf.ping_rate.interval > 0 && conf.ping_rate.burst > 0);
	/* zero sizes mean the defaults */
	f->conf.peers = 0;
	f->conf.queue_peer_bytes = 0;
	f->conf.queue_total_bytes = 0;
	f->conf.ping_rate.interval = 0;
	qualify(f);
	assert_int_equal(status(f).peers, 0);
	fix_free(f);
}

/* ---- guard (HARD-2/3/4, RFC 6324, dormancy, stop) ------------------------ */

/* What a guarded check gives in this build (weaken.h). */
#define EDGE_DROP(n) (SW_DEFENCE(EDGE) ? (n) : 0)

/* A UDP (or TCP) packet from src to dst, destination port dport. */
static size_t
mk_l4(uint8_t *buf, size_t cap, uint8_t nh, const uint8_t src[16],
    const uint8_t dst[16], uint16_t dport)
{
	assert_true(cap >= SW_IP6_HLEN + 20);
	assert_int_equal(sw_ip6_build(buf, cap, src, dst, nh, 64, 20),
	    SW_IP6_HLEN);
	memset(buf + SW_IP6_HLEN, 0, 20);
	sw_put16(buf + SW_IP6_HLEN, 50000);
	sw_put16(buf + SW_IP6_HLEN + 2, dport);
	return SW_IP6_HLEN + 20;
}

/* ... with both ports */
static size_t
mk_l4p(uint8_t *buf, size_t cap, uint8_t nh, const uint8_t src[16],
    const uint8_t dst[16], uint16_t sport, uint16_t dport)
{
	size_t n = mk_l4(buf, cap, nh, src, dst, dport);

	sw_put16(buf + SW_IP6_HLEN, sport);
	return n;
}

static size_t
mk_echo_req(uint8_t *buf, size_t cap, const uint8_t src[16],
    const uint8_t dst[16])
{
	static const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int n = sw_wire_build_echo(buf, cap, SW_ICMP6_ECHO_REQ, src, dst, 64,
	    9, 1, data, 8);

	assert_true(n > 0);
	return (size_t)n;
}

static struct fix *
fix_edge(uint64_t seed)
{
	struct fix *f = fix_conf(seed);

	f->conf.edge = true;
	qualify(f);
	return f;
}

/* The Teredo peer of the bubble-to-open attack: it sends an indirect
 * bubble through our server (we answer with a direct bubble), then a
 * direct one from its mapping, which trusts it (CLI-RX-6). */
static void
bubble_to_open(struct fix *f, const uint8_t peer[16])
{
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	uint8_t buf[128];
	size_t n;

	assert_int_equal(sw_wire_build_origin(buf, 8, &pmap), 8);
	n = 8 + mk_bubble(buf + 8, peer, f->me);
	input(f, &srv, buf, n);
	assert_bubble(f, nth(f, SW_ACT_SEND_UDP, 0), peer, &pmap);
	n = mk_bubble(buf, peer, f->me);
	input(f, &pmap, buf, n);
	assert_int_equal(f->acts.n, 0);
}

/*
 * HARD-2, CVE-2006-6265 both ways: a peer that only bubbled to us gets
 * nothing to a port without a granted listener; ICMPv6 echo passes; a
 * granted port passes; once the host sent to the peer, its packets pass
 * (the answers of the host's own flows).  Without conf.edge (the core's
 * default) everything is delivered as before.
 */
static void
test_guard_edge_bubble_to_open(void **state)
{
	struct fix *f = fix_edge(40);
	static const uint16_t tcp[] = { 22 };
	struct sw_edge e;
	uint8_t peer[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	bubble_to_open(f, peer);
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 22);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), SW_DEFENCE(EDGE) ? 0 : 1);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED], EDGE_DROP(1));
	/* ICMPv6 echo request: passes without a grant */
	n = mk_echo_req(pkt, sizeof pkt, peer, f->me);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	/* granted TCP 22: passes; UDP 22 and TCP 23 still do not */
	assert_int_equal(sw_edge_set(&e, tcp, 1, NULL, 0), 0);
	sw_client_set_edge(f->c, &e);
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 22);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, peer, f->me, 22);
	input(f, &pmap, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED], EDGE_DROP(2));
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 23);
	input(f, &pmap, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED], EDGE_DROP(3));
	/* the host sends to the peer (UDP 50000 -> 5353): the answers on
	 * that flow pass; [harden] other ports of the peer still do not
	 * (without SW_DEFENCE(FLOW): any port of a solicited peer) */
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, f->me, peer, 5353);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &pmap), 1);
	n = mk_l4p(pkt, sizeof pkt, SW_NH_UDP, peer, f->me, 5353, 50000);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, peer, f->me, 40001);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER),
	    SW_DEFENCE(EDGE) && SW_DEFENCE(FLOW) ? 0 : 1);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED],
	    EDGE_DROP(SW_DEFENCE(FLOW) ? 4 : 3));
	fix_free(f);

	/* the core's default: no edge check */
	f = fix(41);
	assert_false(f->conf.edge);
	bubble_to_open(f, peer);
	n = mk_l4(pkt, sizeof pkt, SW_NH_TCP, peer, f->me, 23);
	input(f, &pmap, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	fix_free(f);
}

/*
 * HARD-2/3: a native source we never sent to, through a relay, to a port
 * without a grant: no ping test (nothing to the server), no entry.  To a
 * granted port, or an echo request: queued and tested as before.
 */
static void
test_guard_edge_native_no_ping(void **state)
{
	struct fix *f = fix_edge(42);
	static const uint16_t udp[] = { 4500 };
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	struct sw_edge e;
	uint8_t pkt[128], nonce[8];
	size_t n, en;

	(void)state;
	if (!SW_DEFENCE(EDGE))
		skip();
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, native1, f->me, 4500);
	input(f, &relay, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(count_to(f, &srv), 0);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED], 1);
	assert_int_equal(status(f).peers, 0);
	assert_int_equal(status(f).queued_bytes, 0);
	/* echo request from native2: passes the edge, tested */
	en = mk_echo_req(pkt, sizeof pkt, native2, f->me);
	input(f, &relay, pkt, en);
	assert_int_equal(count_to(f, &srv), 1);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native2, nonce);
	/* the port granted: native1 is tested */
	assert_int_equal(sw_edge_set(&e, NULL, 0, udp, 1), 0);
	sw_client_set_edge(f->c, &e);
	n = mk_l4(pkt, sizeof pkt, SW_NH_UDP, native1, f->me, 4500);
	input(f, &relay, pkt, n);
	assert_int_equal(count_to(f, &srv), 1);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, nonce);
	assert_int_equal(status(f).queued_bytes, n + en);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED], 1);
	fix_free(f);
}

/*
 * HARD-3 per source, both ways: an unsolicited native source gets at
 * most 4 echo requests in its lifetime (one resolution's worth), then
 * PING_LIMIT (nothing to the server); 300 s later a new lifetime.  A
 * destination the host sends to is not limited per source.  One echo
 * request per 2 s per source even when its entry was evicted meanwhile.
 */
static void
test_guard_ping_limits(void **state)
{
	struct fix *f = fix(43);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	uint8_t pkt[128], nonce[8];
	size_t n;
	sw_time t0;

	(void)state;
	n = mk_pkt(pkt, sizeof pkt, native1, f->me, 8, 0x10);
	input(f, &relay, pkt, n);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, nonce);
	t0 = f->now;
	for (unsigned r = 1; r <= 3; r++) {
		tick_at(f, t0 + 2 * r * SEC);
		assert_int_equal(count_to(f, &srv), 1);
	}
	tick_at(f, t0 + 8 * SEC);		/* given up */
	assert_int_equal(status(f).peers, 0);
	/* a 5th test in the same lifetime: refused */
	input(f, &relay, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_PING_LIMIT], 1);
	assert_int_equal(status(f).queued_bytes, 0);
	f->now = t0 + 6 * SEC + 300 * SEC - 1;
	input(f, &relay, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_PING_LIMIT], 2);
	/* 300 s after its last test: a new lifetime */
	f->now = t0 + 6 * SEC + 300 * SEC;
	input(f, &relay, pkt, n);
	assert_int_equal(count_to(f, &srv), 1);
	fix_free(f);

	/* the host's own destination: resolution after resolution */
	f = fix(44);
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 8, 0x11);
	for (unsigned k = 0; k < 3; k++) {
		send6(f, pkt, n);
		assert_int_equal(count_to(f, &srv), 1);
		t0 = f->now;
		for (unsigned r = 1; r <= 4; r++)
			tick_at(f, t0 + 2 * r * SEC);
		assert_int_equal(status(f).peers, 0);
	}
	assert_int_equal(f->drops.n[SW_DROP_PING_LIMIT], 0);
	fix_free(f);

	/* 2 s per source: native1's entry is evicted by indirect bubbles
	 * (a table of 2), its next packet within 2 s of its last echo
	 * request starts no test; 2 s after, it does */
	f = fix_conf(45);
	f->conf.peers = 2;
	qualify(f);
	n = mk_pkt(pkt, sizeof pkt, native1, f->me, 8, 0x12);
	input(f, &relay, pkt, n);
	assert_int_equal(count_to(f, &srv), 1);
	t0 = f->now;
	for (unsigned i = 0; i < 2; i++) {
		const struct sw_v4ep m = { SW_IP4(203, 0, 113, 60),
		    (uint16_t)(1000 + i) };
		uint8_t peer[16], buf[128];
		size_t bn;

		teredo_addr(peer, S2, &m, 0);
		assert_int_equal(sw_wire_build_origin(buf, 8, &m), 8);
		bn = 8 + mk_bubble(buf + 8, peer, f->me);
		input(f, &srv, buf, bn);
	}
	assert_int_equal(status(f).peers, 2);
	if (SW_DEFENCE(CLIENT_PEERS)) {
		/* [harden]: a running resolution is never evicted: the
		 * bubbles' entries went instead, native1's test goes on */
		f->now = t0 + SEC;
		input(f, &relay, pkt, n);
		assert_int_equal(count_to(f, &srv), 0);
		assert_int_equal(total_drops(f), 0);	/* queued */
		tick_at(f, t0 + 2 * SEC);
		assert_int_equal(count_to(f, &srv), 1);	/* its retry */
		fix_free(f);
		return;
	}
	f->now = t0 + SEC;
	input(f, &relay, pkt, n);
	assert_int_equal(count_to(f, &srv), 0);
	assert_int_equal(f->drops.n[SW_DROP_PING_LIMIT], 1);
	tick_at(f, t0 + 2 * SEC);		/* the stale retry goes */
	input(f, &relay, pkt, n);
	assert_int_equal(count_to(f, &srv), 1);
	fix_free(f);
}

/* CLI-RX-5 nonce, and HARD-3: a spoofed echo reply with a wrong nonce
 * trusts nobody; the right one ends the source's test count. */
static void
test_guard_answered_resets_count(void **state)
{
	struct fix *f = fix(46);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	const struct sw_v4ep attacker = { SW_IP4(198, 51, 100, 66), 3544 };
	const struct sw_v4ep relay2 = { SW_IP4(198, 51, 100, 98), 3545 };
	uint8_t pkt[128], rep[128], nonce[8], bad[8];
	size_t n, rn;

	(void)state;
	n = mk_pkt(pkt, sizeof pkt, native1, f->me, 8, 0x20);
	input(f, &relay, pkt, n);
	assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, nonce);
	memcpy(bad, nonce, 8);
	bad[3] ^= 4;
	rn = mk_reply(f, rep, sizeof rep, native1, bad);
	input(f, &attacker, rep, rn);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(f->drops.n[SW_DROP_PING_NONCE], SW_DEFENCE(PING_NONCE));
	/* the real relay answers: trusted there, delivered */
	rn = mk_reply(f, rep, sizeof rep, native1, nonce);
	input(f, &relay, rep, rn);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	/* 31 s of silence: no longer valid; through another relay each
	 * time, tests run again at once, more than 4 of them */
	f->now += 31 * SEC;
	for (unsigned k = 0; k < 5; k++) {
		const struct sw_v4ep *via = k % 2 == 0 ? &relay2 : &relay;

		input(f, via, pkt, n);
		assert_int_equal(count_to(f, &srv), 1);
		assert_ping(f, nth(f, SW_ACT_SEND_UDP, 0), native1, nonce);
		rn = mk_reply(f, rep, sizeof rep, native1, nonce);
		input(f, via, rep, rn);
		assert_int_equal(count(f, SW_ACT_DELIVER), 1);
		f->now += 31 * SEC;
	}
	assert_int_equal(f->drops.n[SW_DROP_PING_LIMIT], 0);
	fix_free(f);
}

/*
 * HARD-4 both ways, with 203.0.113.0/24 configured as intranet (the lab
 * policy counts it global): a Teredo source embedding it is not trusted,
 * delivered or answered, directly or through an indirect bubble (origin
 * or embedded mapping); one embedding 198.51.100.x is.
 */
static void
test_guard_intranet(void **state)
{
	struct fix *f = fix_conf(47);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	const struct sw_v4ep inside = { SW_IP4(203, 0, 113, 77), 6000 };
	const struct sw_v4ep outside = { SW_IP4(198, 51, 100, 77), 6000 };
	uint8_t in6[16], out6[16], buf[128];
	size_t n;
	unsigned want = SW_DEFENCE(INTRANET) ? 1 : 0;

	(void)state;
	f->conf.intranet[0] = (struct sw_v4_net){ SW_IP4(203, 0, 113, 64),
	    26 };
	f->conf.n_intranet = 1;
	qualify(f);
	teredo_addr(in6, S2, &inside, 0);
	teredo_addr(out6, S2, &outside, 0);
	/* CLI-RX-6 data and bubble */
	n = mk_pkt(buf, sizeof buf, in6, f->me, 8, 0);
	input(f, &inside, buf, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1 - want);
	assert_int_equal(f->drops.n[SW_DROP_SRC_INTRANET], want);
	n = mk_pkt(buf, sizeof buf, out6, f->me, 8, 0);
	input(f, &outside, buf, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	if (want) {
		assert_int_equal(status(f).peers, 1);
		/* indirect bubble with an internal origin: no answer */
		assert_int_equal(sw_wire_build_origin(buf, 8, &inside), 8);
		n = 8 + mk_bubble(buf + 8, in6, f->me);
		input(f, &srv, buf, n);
		assert_int_equal(f->acts.n, 0);
		assert_int_equal(f->drops.n[SW_DROP_SRC_INTRANET], 2);
		/* an outside origin, but the source embeds the inside */
		assert_int_equal(sw_wire_build_origin(buf, 8, &outside), 8);
		input(f, &srv, buf, n);
		assert_int_equal(f->acts.n, 0);
		assert_int_equal(f->drops.n[SW_DROP_SRC_INTRANET], 3);
		assert_int_equal(count_to(f, &inside), 0);
	}
	/* the outside peer's indirect bubble is answered */
	f->now += 10 * SEC;
	assert_int_equal(sw_wire_build_origin(buf, 8, &outside), 8);
	n = 8 + mk_bubble(buf + 8, out6, f->me);
	input(f, &srv, buf, n);
	assert_int_equal(count_to(f, &outside), 1);
	fix_free(f);
}

/*
 * RFC 6324 both ways: a Teredo destination embedding our own mapping
 * (another flags value: not our address, but our endpoint) is LOOP; our
 * NAT's address with another port (a neighbour) and our own server are
 * fine.  With our mapping on port 3544, a destination whose server is
 * our mapped address is LOOP too.
 */
static void
test_guard_loop(void **state)
{
	struct fix *f = fix(48);
	const struct sw_v4ep nb = { map1.addr, (uint16_t)(map1.port + 1) };
	uint8_t dst[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(dst, S1, &map1, 0x4242);
	n = mk_pkt(pkt, sizeof pkt, f->me, dst, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), SW_DEFENCE(LOOP) ? 0 : 2);
	assert_int_equal(f->drops.n[SW_DROP_LOOP], SW_DEFENCE(LOOP));
	teredo_addr(dst, S1, &nb, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, dst, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &nb), 1);
	assert_int_equal(f->drops.n[SW_DROP_LOOP], SW_DEFENCE(LOOP));
	fix_free(f);

	f = fix_conf(49);
	f->map.port = SW_TEREDO_PORT;
	qualify(f);
	teredo_addr(dst, map1.addr, &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, dst, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_LOOP], SW_DEFENCE(LOOP));
	teredo_addr(dst, S2, &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, dst, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &pmap), 1);
	fix_free(f);
}

/* Run the client's timers up to t, answering every RS to S1 (the fake
 * server keeps f->map); *deprecated counts ADDR_DEPRECATEs seen. */
static void
run_until(struct fix *f, sw_time t, unsigned *deprecated)
{
	for (;;) {
		sw_time d = sw_client_next_deadline(f->c);
		bool rs = false;

		if (d > t)
			break;
		tick_at(f, d);
		if (deprecated != NULL)
			*deprecated += count(f, SW_ACT_ADDR_DEPRECATE);
		for (unsigned i = 0; i < f->acts.n; i++)
			rs |= f->acts.a[i].kind == SW_ACT_SEND_UDP &&
			    f->acts.a[i].dst.addr == S1 &&
			    f->acts.a[i].dst.port == SW_TEREDO_PORT &&
			    f->acts.a[i].seg[0].len > SW_IP6_HLEN + 8 &&
			    f->acts.a[i].seg[0].p[0] == 0;	/* auth: an RS */
		if (rs)
			answer_rs(f);
	}
	f->now = t;
}

static struct fix *
fix_dormant(uint64_t seed)
{
	struct fix *f = fix_conf(seed);

	f->conf.dormant_after = 3600 * SEC;
	qualify(f);
	return f;
}

/*
 * Dormancy: an hour without data, no listener: DORMANT (address kept,
 * deprecated, STATE), and then nothing at all (no RS, no deadline).  A
 * packet from the host is dropped (DORMANT) and wakes it: RS to the same
 * server; the same mapping re-sends ADDR_SET of the same address, and
 * the data path works again.
 */
static void
test_guard_dormancy(void **state)
{
	struct fix *f = fix_dormant(50);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	uint8_t peer[16], pkt[128];
	unsigned dep = 0;
	size_t n;
	sw_time t0 = f->now;

	(void)state;
	run_until(f, t0 + 3600 * SEC - 1, &dep);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_int_equal(dep, 0);
	run_until(f, t0 + 3600 * SEC, &dep);
	assert_int_equal(dep, 1);
	assert_int_equal(status(f).state, SW_CLIENT_DORMANT);
	assert_int_equal(status(f).reason, SW_CLIENT_REASON_DORMANT);
	assert_memory_equal(nth(f, SW_ACT_ADDR_DEPRECATE, 0)->addr, f->me, 16);
	assert_int_equal(nth(f, SW_ACT_STATE, 0)->state, SW_CLIENT_DORMANT);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 0);
	assert_true(status(f).dormant);
	assert_int_equal(status(f).dormancies, 1);
	assert_true(status(f).has_addr);
	assert_true(sw_client_next_deadline(f->c) == SW_TIME_NEVER);
	tick_at(f, f->now + 7200 * SEC);
	assert_int_equal(f->acts.n, 0);
	/* the host sends: dropped, qualification starts at server 0 */
	teredo_addr(peer, S2, &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0x70);
	send6(f, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_DORMANT], 1);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	assert_int_equal(count_to(f, &srv), 1);
	assert_int_equal(count(f, SW_ACT_ADDR_CLEAR), 0);
	answer_rs(f);
	answer_rs(f);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_int_equal(count(f, SW_ACT_ADDR_SET), 1);
	assert_memory_equal(nth(f, SW_ACT_ADDR_SET, 0)->addr, f->me, 16);
	assert_false(status(f).dormant);
	assert_int_equal(status(f).address_changes, 0);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &pmap), 1);	/* bubbles again */
	assert_true(status(f).last_data == f->now);
	fix_free(f);
}

/* Woken with a different mapping: the address is replaced as usual. */
static void
test_guard_dormancy_new_mapping(void **state)
{
	struct fix *f = fix_dormant(51);
	const struct sw_v4ep m2 = { SW_IP4(203, 0, 113, 9), 41000 };
	struct sw_client_status st;
	uint8_t pkt[128];
	size_t n;

	(void)state;
	run_until(f, f->now + 3600 * SEC, NULL);
	assert_int_equal(status(f).state, SW_CLIENT_DORMANT);
	n = mk_pkt(pkt, sizeof pkt, f->me, native1, 8, 0);
	send6(f, pkt, n);
	f->map = m2;
	answer_rs(f);
	answer_rs(f);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_int_equal(count(f, SW_ACT_ADDR_SET), 1);
	assert_memory_not_equal(nth(f, SW_ACT_ADDR_SET, 0)->addr, f->me, 16);
	assert_int_equal(status(f).address_changes, 1);
	st = status(f);
	assert_true(sw_v4ep_eq(&st.mapped, &m2));
	fix_free(f);
}

/* What keeps the client awake: data either way (not bubbles), a granted
 * listener; dormant_after 0 never sleeps.  A listener appearing wakes a
 * dormant client. */
static void
test_guard_dormancy_awake(void **state)
{
	struct fix *f = fix_dormant(52);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	uint8_t pkt[128], peer[16];
	size_t n;
	sw_time t;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	/* data from a peer every 3000 s */
	for (unsigned k = 1; k <= 2; k++) {
		run_until(f, f->now + 3000 * SEC, NULL);
		n = mk_pkt(pkt, sizeof pkt, peer, f->me, 8, 0);
		input(f, &pmap, pkt, n);
		assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	}
	t = f->now;
	/* bubbles only: they do not count */
	run_until(f, t + 3000 * SEC, NULL);
	n = mk_bubble(pkt, peer, f->me);
	input(f, &pmap, pkt, n);
	run_until(f, t + 3600 * SEC - 1, NULL);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	run_until(f, t + 3600 * SEC, NULL);
	assert_int_equal(status(f).state, SW_CLIENT_DORMANT);
	/* a granted listener wakes it */
	reset(f);
	sw_client_set_listening(f->c, f->now, true, &f->acts);
	assert_int_equal(status(f).state, SW_CLIENT_PROBE_PRIMARY);
	assert_int_equal(count_to(f, &srv), 1);
	answer_rs(f);
	answer_rs(f);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	/* ... and keeps it awake as long as it exists */
	t = f->now;
	run_until(f, t + 3 * 3600 * SEC, NULL);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_true(status(f).listening);
	reset(f);
	sw_client_set_listening(f->c, f->now, false, &f->acts);
	assert_int_equal(f->acts.n, 0);
	t = f->now;
	run_until(f, t + 3600 * SEC - 1, NULL);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	run_until(f, t + 3600 * SEC, NULL);
	assert_int_equal(status(f).state, SW_CLIENT_DORMANT);
	assert_int_equal(status(f).dormancies, 2);
	fix_free(f);

	f = fix(53);		/* dormant_after 0: never */
	run_until(f, f->now + 5 * 3600 * SEC, NULL);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_int_equal(status(f).dormancies, 0);
	fix_free(f);
}

/* sw_client_stop: OFFLINE with the reason, ADDR_CLEAR, peers gone, no
 * timer at all; only sw_client_start() qualifies again. */
static void
test_guard_stop(void **state)
{
	struct fix *f = fix(54);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	uint8_t pkt[128], peer[16];
	size_t n;

	(void)state;
	teredo_addr(peer, S2, &pmap, 0);
	n = mk_pkt(pkt, sizeof pkt, f->me, peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(status(f).peers, 1);
	reset(f);
	sw_client_stop(f->c, f->now, SW_CLIENT_REASON_NO_FIREWALL, &f->acts);
	assert_int_equal(count(f, SW_ACT_ADDR_CLEAR), 1);
	assert_int_equal(nth(f, SW_ACT_STATE, 0)->state, SW_CLIENT_OFFLINE);
	assert_int_equal(nth(f, SW_ACT_STATE, 0)->reason,
	    SW_CLIENT_REASON_NO_FIREWALL);
	assert_int_equal(status(f).state, SW_CLIENT_OFFLINE);
	assert_int_equal(status(f).reason, SW_CLIENT_REASON_NO_FIREWALL);
	assert_false(status(f).has_addr);
	assert_int_equal(status(f).peers, 0);
	assert_int_equal(status(f).queued_bytes, 0);
	assert_true(sw_client_next_deadline(f->c) == SW_TIME_NEVER);
	tick_at(f, f->now + 3600 * SEC);
	assert_int_equal(f->acts.n, 0);
	send6(f, pkt, n);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_CLIENT_NOT_READY], 1);
	/* stopped twice: no second ADDR_CLEAR */
	reset(f);
	sw_client_stop(f->c, f->now, SW_CLIENT_REASON_NO_FIREWALL, &f->acts);
	assert_int_equal(count(f, SW_ACT_ADDR_CLEAR), 0);
	reset(f);
	sw_client_start(f->c, f->now, &f->acts);
	assert_int_equal(count_to(f, &srv), 1);
	answer_rs(f);
	answer_rs(f);
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_true(sw_client_state_name(SW_CLIENT_DORMANT)[0] == 'd');
	assert_string_equal(sw_client_reason_name(
	    SW_CLIENT_REASON_NO_FIREWALL), "no-firewall");
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_send_rejections),
		cmocka_unit_test(test_send_teredo_bubbles_and_retries),
		cmocka_unit_test(test_send_teredo_not_global),
		cmocka_unit_test(test_send_teredo_port_zero),
		cmocka_unit_test(test_teredo_trust_flush_fifo),
		cmocka_unit_test(test_rx6_bubble_consumed),
		cmocka_unit_test(test_rx6_private_mapping_not_trusted),
		cmocka_unit_test(test_ping_test_retries),
		cmocka_unit_test(test_ping_reply_nonce),
		cmocka_unit_test(test_rx9_native_first),
		cmocka_unit_test(test_bubble_during_ping_test),
		cmocka_unit_test(test_unreach_limits),
		cmocka_unit_test(test_rx3_link_local_bubble),
		cmocka_unit_test(test_ping_rate_limit),
		cmocka_unit_test(test_rx_destination),
		cmocka_unit_test(test_rx_hygiene),
		cmocka_unit_test(test_rx3_indirect_bubbles),
		cmocka_unit_test(test_bubble_spacing_shared),
		cmocka_unit_test(test_queue_bounds),
		cmocka_unit_test(test_tick_bounded),
		cmocka_unit_test(test_address_loss_resets_peers),
		cmocka_unit_test(test_guard_edge_bubble_to_open),
		cmocka_unit_test(test_guard_edge_native_no_ping),
		cmocka_unit_test(test_guard_ping_limits),
		cmocka_unit_test(test_guard_answered_resets_count),
		cmocka_unit_test(test_guard_intranet),
		cmocka_unit_test(test_guard_loop),
		cmocka_unit_test(test_guard_dormancy),
		cmocka_unit_test(test_guard_dormancy_new_mapping),
		cmocka_unit_test(test_guard_dormancy_awake),
		cmocka_unit_test(test_guard_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
