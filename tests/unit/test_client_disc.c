/*
 * test_client_disc.c - the client's local discovery (RFC 4380 §5.2.8,
 * §5.2.3 cases 4 and 5, §5.2.4 case 3; spec §6 DISC-1..9, SEC-4, §2.6
 * CLI-RX-7/8/11, §2.7 CLI-TX-3).
 *
 * No sleeps: a fake clock and a seeded RNG.  The client is qualified
 * through a small fake server (as in test_client_data.c) behind the NAT
 * mapping 203.0.113.5:40000 on the LAN 10.1.0.0/24; "L" is another client
 * behind the same NAT, at 10.1.0.3:50001 on the LAN and 203.0.113.5:40001
 * outside.  Each filter is tested both ways: what it rejects and what it
 * lets through.
 */
#include <errno.h>
#include <stdio.h>

#include "client_fix.h"
#include "weaken.h"
#include "conf.h"

static const struct sw_v4ep map2 = { SW_IP4(203, 0, 113, 6), 40000 };
static const struct sw_v4ep lmap = { SW_IP4(203, 0, 113, 5), 40001 };
static const struct sw_v4ep lan1 = { SW_IP4(10, 1, 0, 3), 50001 };
static const struct sw_v4ep lan2 = { SW_IP4(10, 1, 0, 4), 50001 };
static const struct sw_v4ep offlink = { SW_IP4(10, 9, 0, 3), 50001 };
static const struct sw_v4ep group = { SW_IP4(224, 0, 0, 253), 3544 };
static const struct sw_v4_net lan_net[] = {
	{ SW_IP4(10, 1, 0, 0), 24 },
	{ SW_IP4(172, 16, 0, 0), 12 },
};
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

/* ---- fixture ------------------------------------------------------------- */

/* Once qualified, L is at f->peer. */
static void
set_peer(struct fix *f)
{
	teredo_addr(f->peer, S1, &lmap, 0x1234);
}

/* On the LAN lan_net; the client is not created yet. */
static struct fix *
disc_conf(uint64_t seed, bool discovery)
{
	struct fix *f = fix_conf(seed);

	f->conf.v4.attached = lan_net;
	f->conf.v4.n_attached = 2;
	f->conf.discovery = discovery;
	f->qualified = set_peer;
	return f;
}

static void
input_disc(struct fix *f, const struct sw_v4ep *from, const uint8_t *buf,
    size_t len)
{
	reset(f);
	sw_client_input_discovery(f->c, f->now, from, buf, len, &f->acts);
}

/* Qualified, with the announcement at T0 sent, now T0 + 10 s. */
static struct fix *
fix(uint64_t seed)
{
	struct fix *f = disc_conf(seed, true);

	qualify(f);
	tick_at(f, f->now);
	assert_int_equal(count_to(f, &group), 1);
	f->now += 10 * SEC;
	return f;
}

/* ---- packets ------------------------------------------------------------------ */

/* A discovery bubble from src (L by default) arriving from `from` on the
 * discovery socket. */
static void
discover(struct fix *f, const uint8_t *src, const struct sw_v4ep *from)
{
	uint8_t b[SW_IP6_HLEN];

	mk_bubble_hlim(b, src != NULL ? src : f->peer, all_nodes, 1);
	input_disc(f, from, b, sizeof b);
}

static void
parse_sent(const struct sw_action *a, struct sw_ip6_view *ip)
{
	struct sw_teredo_view v;
	enum sw_drop why;

	if (a == NULL) {
		fail_msg("not sent");
		abort();
	}
	assert_int_equal(a->kind, SW_ACT_SEND_UDP);
	assert_int_equal(a->sock, SW_SOCK_PRIMARY);
	assert_int_equal(sw_wire_parse(a->seg[0].p, a->seg[0].len, &v, &why),
	    0);
	assert_false(v.has_auth);
	assert_false(v.has_origin);
	assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, ip, &why), 0);
}

/* The action is a bubble from us to dst. */
static void
assert_bubble(const struct sw_action *a, const uint8_t dst[16])
{
	struct sw_ip6_view ip;

	parse_sent(a, &ip);
	assert_true(sw_ip6_is_bubble(&ip));
	assert_memory_equal(ip.dst, dst, 16);
}

/* ---- tests ------------------------------------------------------------------- */

/* The core's default is off: nothing announced, nothing taken from the
 * discovery socket, ff02::1 on the service port stays DST_MULTICAST. */
static void
test_off_by_default(void **state)
{
	struct sw_client_conf conf;
	struct fix *f = disc_conf(1, false);
	uint8_t b[SW_IP6_HLEN];

	(void)state;
	sw_client_conf_default(&conf);
	assert_false(conf.discovery);
	qualify(f);
	assert_false(status(f).discovery);
	assert_true(status(f).next_discovery == SW_TIME_NEVER);
	assert_true(sw_client_next_deadline(f->c) > f->now);
	tick_at(f, f->now + 500 * SEC);
	assert_int_equal(count_to(f, &group), 0);
	discover(f, NULL, &lan1);
	assert_int_equal(f->drops.n[SW_DROP_CLIENT_NOT_READY], 1);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(status(f).peers, 0);
	mk_bubble_hlim(b, f->peer, all_nodes, 1);
	input(f, &lan1, b, sizeof b);
	assert_int_equal(f->drops.n[SW_DROP_DST_MULTICAST], 1);
	assert_int_equal(f->drops.n[SW_DROP_DISC_UNICAST], 0);
	assert_int_equal(status(f).discovery_sent, 0);
	fix_free(f);
}

/* DISC-2 and the §6 table: announced when QUALIFIED is entered, then at
 * intervals uniform in [200 s, 300 s]; a bubble from our address to
 * ff02::1, hop limit 1, to 224.0.0.253:3544 from the service port. */
static void
test_announce_and_interval(void **state)
{
	struct fix *f = disc_conf(2, true);
	const struct sw_action *a;
	struct sw_ip6_view ip;
	sw_time lo = SW_TIME_NEVER, hi = 0, last;

	(void)state;
	/* nothing before qualification */
	assert_int_equal(sw_client_new(&f->c, &f->conf), 0);
	reset(f);
	sw_client_start(f->c, f->now, &f->acts);
	assert_int_equal(count_to(f, &group), 0);
	sw_client_free(f->c);
	f->c = NULL;

	qualify(f);
	assert_true(status(f).discovery);
	assert_true(sw_client_next_deadline(f->c) == f->now);
	tick_at(f, f->now);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	a = sent_to(f, &group);
	parse_sent(a, &ip);
	assert_true(sw_ip6_is_bubble(&ip));
	assert_int_equal(ip.nxt, 59);
	assert_int_equal(ip.plen, 0);
	assert_int_equal(ip.hlim, 1);
	assert_memory_equal(ip.src, f->me, 16);
	assert_memory_equal(ip.dst, all_nodes, 16);
	assert_int_equal(status(f).discovery_sent, 1);
	last = f->now;
	/* 40 periodic bubbles (the server keeps answering the refreshes) */
	for (unsigned i = 0; i < 40; i++) {
		sw_time next = status(f).next_discovery, d = next - last;

		assert_true(d >= 200 * SEC && d <= 300 * SEC);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		/* refreshes on the way keep the client qualified */
		while (sw_client_next_deadline(f->c) < next) {
			tick_at(f, sw_client_next_deadline(f->c));
			assert_int_equal(count_to(f, &group), 0);
			if (count(f, SW_ACT_SEND_UDP) > 0)
				answer_rs(f);
		}
		tick_at(f, next);
		assert_int_equal(count_to(f, &group), 1);
		last = next;
	}
	assert_int_equal(status(f).state, SW_CLIENT_QUALIFIED);
	assert_int_equal(status(f).discovery_sent, 41);
	/* random, not fixed */
	assert_true(lo < 230 * SEC && hi > 270 * SEC);
	assert_int_equal(total_drops(f), 0);
	fix_free(f);
}

/* DISC-3..5, SEC-4 (D7, D8, D9): each filter rejects and accepts. */
static void
test_filters(void **state)
{
	struct fix *f = fix(3);
	uint8_t src[16], b[64], pkt[128];
	size_t n;

	(void)state;
	/* DISC-3: via unicast (the service port) */
	mk_bubble_hlim(b, f->peer, all_nodes, 1);
	input(f, &lan1, b, SW_IP6_HLEN);
	assert_int_equal(f->drops.n[SW_DROP_DISC_UNICAST], 1);
	assert_int_equal(f->acts.n, 0);
	/* DISC-4: not a Teredo source */
	discover(f, native1, &lan1);
	assert_int_equal(f->drops.n[SW_DROP_DISC_NOT_TEREDO], 1);
	teredo_addr(src, S1, &lmap, 0);
	src[0] = 0x30;			/* another prefix */
	discover(f, src, &lan1);
	assert_int_equal(f->drops.n[SW_DROP_DISC_NOT_TEREDO], 2);
	/* DISC-4: IPv4 source outside the local subnets */
	discover(f, NULL, &offlink);
	assert_int_equal(f->drops.n[SW_DROP_DISC_OFF_LINK], 1);
	/* DISC-5: behind another NAT (mapped IPv4 not ours); the port may
	 * differ, the address may not */
	teredo_addr(src, S1, &map2, 0);
	discover(f, src, &lan1);
	assert_int_equal(f->drops.n[SW_DROP_DISC_FOREIGN], 1);
	/* our own bubble looped back */
	discover(f, f->me, &lan1);
	assert_int_equal(f->drops.n[SW_DROP_OWN_ADDRESS], 1);
	/* HARD-8 */
	{
		const struct sw_v4ep p0 = { lan1.addr, 0 };

		discover(f, NULL, &p0);
		assert_int_equal(f->drops.n[SW_DROP_SRC_PORT_ZERO], 1);
	}
	/* not a discovery bubble: data to ff02::1, or a bubble elsewhere */
	n = mk_pkt(pkt, sizeof pkt, f->peer, all_nodes, 8, 0);
	input_disc(f, &lan1, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_DST_MULTICAST], 1);
	mk_bubble_hlim(b, f->peer, f->me, 1);
	input_disc(f, &lan1, b, SW_IP6_HLEN);
	assert_int_equal(f->drops.n[SW_DROP_DST_NOT_OURS], 1);
	memcpy(src, all_nodes, 16);
	src[1] = 0x05;			/* ff05::1 */
	mk_bubble_hlim(b, f->peer, src, 1);
	input_disc(f, &lan1, b, SW_IP6_HLEN);
	assert_int_equal(f->drops.n[SW_DROP_DST_MULTICAST], 2);
	/* D1/D2: cut short */
	input_disc(f, &lan1, b, 20);
	assert_int_equal(f->drops.n[SW_DROP_TRUNCATED] +
	    f->drops.n[SW_DROP_IP6_LENGTH], 1);
	assert_int_equal(total_drops(f), 11);
	assert_int_equal(status(f).peers, 0);
	assert_int_equal(status(f).discovery_accepted, 0);

	/* accepted: another server, other flags, another port of our NAT,
	 * from the second local subnet */
	{
		const struct sw_v4ep lan3 = { SW_IP4(172, 20, 1, 1), 3544 };

		teredo_addr(src, S2, &lmap, 0x8000);
		discover(f, src, &lan3);
		assert_int_equal(status(f).discovery_accepted, 1);
		assert_bubble(sent_to(f, &lan3), src);
	}
	discover(f, NULL, &lan1);
	assert_int_equal(status(f).discovery_accepted, 2);
	assert_int_equal(status(f).peers, 2);
	assert_int_equal(total_drops(f), 11);
	fix_free(f);
}

/* Without a subnet list nothing is on-link; before qualification the
 * mapping (DISC-5) is unknown: not ready. */
static void
test_not_ready_no_subnets(void **state)
{
	struct fix *f = disc_conf(4, true);

	(void)state;
	f->conf.v4.attached = NULL;
	f->conf.v4.n_attached = 0;
	assert_int_equal(sw_client_new(&f->c, &f->conf), 0);
	reset(f);
	sw_client_start(f->c, f->now, &f->acts);
	teredo_addr(f->peer, S1, &lmap, 0);
	discover(f, NULL, &lan1);
	assert_int_equal(f->drops.n[SW_DROP_CLIENT_NOT_READY], 1);
	sw_client_free(f->c);
	f->c = NULL;
	qualify(f);
	discover(f, NULL, &lan1);
	assert_int_equal(f->drops.n[SW_DROP_DISC_OFF_LINK], 1);
	assert_int_equal(status(f).peers, 0);
	fix_free(f);
}

/*
 * DISC-6/7, CLI-RX-8: a discovery bubble makes L local at its LAN
 * endpoint, untrusted, and is answered by a unicast bubble there; a packet
 * from L at that endpoint (not its mapping) trusts it, and what we send L
 * then goes to the LAN endpoint, never to the NAT's mapping.
 */
static void
test_reply_and_case5(void **state)
{
	struct fix *f = fix(5);
	uint8_t other[16], pkt[128];
	size_t n;

	(void)state;
	discover(f, NULL, &lan1);
	assert_int_equal(status(f).peers, 1);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 2);
	assert_bubble(nth(f, SW_ACT_SEND_UDP, 0), f->peer);
	assert_true(sw_v4ep_eq(&nth(f, SW_ACT_SEND_UDP, 0)->dst, &lan1));
	/* a newcomer: we announce ourselves again (our last was 10 s ago) */
	assert_bubble(sent_to(f, &group), all_nodes);
	assert_int_equal(status(f).discovery_sent, 2);

	/* case 5 rejects: L at another LAN endpoint; another Teredo
	 * address at L's endpoint (no local entry) */
	f->now += 1 * SEC;
	n = mk_pkt(pkt, sizeof pkt, f->peer, f->me, 8, 0x11);
	input(f, &lan2, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_SRC_MAPPING], 1);
	teredo_addr(other, S1, &lmap, 0x4321);
	n = mk_pkt(pkt, sizeof pkt, other, f->me, 8, 0x11);
	input(f, &lan1, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_SRC_MAPPING], 2);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);

	/* case 5 accepts: L's bubble from lan1 (consumed), then data */
	mk_bubble(pkt, f->peer, f->me);
	input(f, &lan1, pkt, SW_IP6_HLEN);
	assert_int_equal(f->acts.n, 0);
	assert_int_equal(f->drops.n[SW_DROP_SRC_MAPPING], 2);
	n = mk_pkt(pkt, sizeof pkt, f->peer, f->me, 8, 0x22);
	input(f, &lan1, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);

	/* CLI-TX-1: to the LAN endpoint, zero copy */
	n = mk_pkt(pkt, sizeof pkt, f->me, f->peer, 8, 0x33);
	send6(f, pkt, n);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	assert_true(sw_v4ep_eq(&nth(f, SW_ACT_SEND_UDP, 0)->dst, &lan1));
	assert_ptr_equal(nth(f, SW_ACT_SEND_UDP, 0)->seg[0].p, pkt);
	assert_int_equal(count_to(f, &lmap), 0);
	assert_int_equal(total_drops(f), 2);
	fix_free(f);
}

/*
 * CLI-TX-3: to a local peer that is not trusted, queue; a unicast bubble
 * to its local endpoint and a discovery bubble (nothing to its mapping
 * or its server); its answer from the LAN flushes the queue there.
 */
static void
test_tx3(void **state)
{
	struct fix *f = fix(6);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	struct sw_ip6_view ip;
	uint8_t pkt[128], b[SW_IP6_HLEN];
	size_t n;

	(void)state;
	discover(f, NULL, &lan1);
	f->now += 5 * SEC;
	n = mk_pkt(pkt, sizeof pkt, f->me, f->peer, 8, 0x55);
	send6(f, pkt, n);
	assert_int_equal(status(f).queued_bytes, n);
	assert_int_equal(count_to(f, &lmap), 0);
	assert_int_equal(count_to(f, &srv), 0);
	assert_int_equal(count_to(f, &lan1), 1);
	assert_bubble(sent_to(f, &lan1), f->peer);
	assert_int_equal(count_to(f, &group), 1);
	/* no answer: 2 s later the same again (4 attempts, CLI-TX-2/5) */
	tick_at(f, f->now + 2 * SEC);
	assert_int_equal(count_to(f, &lan1), 1);
	assert_int_equal(count_to(f, &group), 1);
	assert_int_equal(count_to(f, &lmap) + count_to(f, &srv), 0);
	/* L answers from the LAN: trusted there, the queue goes there */
	f->now += 100 * SW_MSEC;
	mk_bubble(b, f->peer, f->me);
	input(f, &lan1, b, sizeof b);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	parse_sent(sent_to(f, &lan1), &ip);
	assert_memory_equal(ip.dst, f->peer, 16);
	assert_int_equal(ip.plen, 8);
	assert_int_equal(status(f).queued_bytes, 0);
	/* the retry timer is stale now */
	tick_at(f, f->now + 2 * SEC);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 0);
	assert_int_equal(total_drops(f), 0);
	fix_free(f);
}

/*
 * DISC-8: a peer is local for 600 s after its last discovery bubble.
 * After that, case 5 no longer trusts its LAN endpoint and a send to it is
 * case 5 of §5.2.4 again (bubbles to its mapping and its server); a peer
 * trusted at its LAN endpoint stays trusted there while it is valid.
 */
static void
test_local_expires(void **state)
{
	struct fix *f = fix(7);
	const struct sw_v4ep srv = { S1, SW_TEREDO_PORT };
	const struct sw_v4ep lmap2 = { SW_IP4(203, 0, 113, 5), 40002 };
	uint8_t l2[16], pkt[128];
	size_t n;

	(void)state;
	teredo_addr(l2, S1, &lmap2, 0);
	discover(f, NULL, &lan1);
	discover(f, l2, &lan2);
	assert_int_equal(status(f).peers, 2);
	/* 599 s: L is still local */
	f->now += 599 * SEC;
	n = mk_pkt(pkt, sizeof pkt, f->peer, f->me, 8, 0);
	input(f, &lan1, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	/* 600 s: L2 is not */
	f->now += 1 * SEC;
	n = mk_pkt(pkt, sizeof pkt, l2, f->me, 8, 0);
	input(f, &lan2, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(f->drops.n[SW_DROP_SRC_MAPPING], 1);
	n = mk_pkt(pkt, sizeof pkt, f->me, l2, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &lan2), 0);
	assert_int_equal(count_to(f, &group), 0);
	assert_int_equal(count_to(f, &lmap2), 1);
	assert_int_equal(count_to(f, &srv), 1);
	/* L, trusted 1 s ago, is still reached on the LAN (CLI-TX-1) */
	n = mk_pkt(pkt, sizeof pkt, f->me, f->peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count(f, SW_ACT_SEND_UDP), 1);
	assert_int_equal(count_to(f, &lan1), 1);
	/* a fresh discovery bubble makes L2 local again */
	f->now += 3 * SEC;
	discover(f, l2, &lan2);
	assert_int_equal(count_to(f, &lan2), 1);
	n = mk_pkt(pkt, sizeof pkt, l2, f->me, 8, 0);
	input(f, &lan2, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	/* ... and flushes what waited for it, to the LAN */
	assert_int_equal(count_to(f, &lan2), 1);
	assert_int_equal(total_drops(f), 1);
	fix_free(f);
}

/*
 * CLI-RX-11: a trusted local peer's discovery bubble is not swallowed by
 * case 1: it is answered (that answer is what lets the peer trust us),
 * within CLI-BUB-3/4: not within 2 s of our last transmission to it, at
 * most 4 without a direct reception in between.
 */
static void
test_rx11_and_bubble_rules(void **state)
{
	struct fix *f = fix(8);
	uint8_t b[SW_IP6_HLEN], pkt[128];
	size_t n;

	(void)state;
	discover(f, NULL, &lan1);
	f->now += 1 * SEC;
	mk_bubble(b, f->peer, f->me);
	input(f, &lan1, b, sizeof b);		/* case 5: trusted */
	f->now += 5 * SEC;
	discover(f, NULL, &lan1);		/* trusted and local */
	assert_int_equal(count_to(f, &lan1), 1);
	assert_bubble(sent_to(f, &lan1), f->peer);
	/* a known local peer: no extra announcement */
	assert_int_equal(count_to(f, &group), 0);
	/* CLI-BUB-3: we sent L data 1 s ago: no bubble */
	f->now += 10 * SEC;
	n = mk_pkt(pkt, sizeof pkt, f->me, f->peer, 8, 0);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &lan1), 1);
	f->now += 1 * SEC;
	discover(f, NULL, &lan1);
	assert_int_equal(count_to(f, &lan1), 0);
	/* CLI-BUB-4: 4 unanswered bubbles, then none */
	for (unsigned i = 0; i < 6; i++) {
		f->now += 3 * SEC;
		discover(f, NULL, &lan1);
		/* the answer above was the first of the 4 */
		assert_int_equal(count_to(f, &lan1), i < 3 ? 1 : 0);
	}
	/* a direct reception restores the budget */
	f->now += 1 * SEC;
	input(f, &lan1, b, sizeof b);
	f->now += 3 * SEC;
	discover(f, NULL, &lan1);
	assert_int_equal(count_to(f, &lan1), 1);
	assert_int_equal(total_drops(f), 0);
	fix_free(f);
}

/* The extra announcement for a newcomer waits for the 2 s gap; a local
 * peer moving to another LAN endpoint counts as new. */
static void
test_newcomer_gap(void **state)
{
	struct fix *f = disc_conf(9, true);
	uint8_t other[16];

	(void)state;
	qualify(f);
	tick_at(f, f->now);			/* announcement at T0 */
	assert_int_equal(count_to(f, &group), 1);
	f->now += 500 * SW_MSEC;
	discover(f, NULL, &lan1);
	assert_int_equal(count_to(f, &group), 0);
	assert_int_equal(count_to(f, &lan1), 1);
	assert_true(sw_client_next_deadline(f->c) == T0 + 2 * SEC);
	tick_at(f, T0 + 2 * SEC);
	assert_int_equal(count_to(f, &group), 1);
	assert_true(status(f).next_discovery >= f->now + 200 * SEC);
	/* known: no more */
	f->now += 5 * SEC;
	discover(f, NULL, &lan1);
	assert_int_equal(count_to(f, &group), 0);
	/* moved: new again */
	f->now += 5 * SEC;
	discover(f, NULL, &lan2);
	assert_int_equal(count_to(f, &group), 1);
	assert_int_equal(count_to(f, &lan2), 1);
	/* a second newcomer right after: postponed, not lost */
	teredo_addr(other, S1, &lmap, 0x0001);
	f->now += 1 * SEC;
	discover(f, other, &lan1);
	assert_int_equal(count_to(f, &group), 0);
	assert_true(sw_client_next_deadline(f->c) == f->now + 1 * SEC);
	assert_int_equal(total_drops(f), 0);
	fix_free(f);
}

/* A new mapping forgets the local peers and announces the new address at
 * once; losing the address stops the announcements. */
static void
test_address_change_and_loss(void **state)
{
	struct fix *f = fix(10);
	struct sw_ip6_view ip;
	uint8_t pkt[128];
	size_t n;

	(void)state;
	discover(f, NULL, &lan1);
	assert_int_equal(status(f).peers, 1);
	/* the next refresh's RA carries another mapping (same NAT
	 * address, another port) */
	f->map.port = 40010;
	while (status(f).address_changes == 0) {
		tick_at(f, sw_client_next_deadline(f->c));
		if (count(f, SW_ACT_SEND_UDP) > count_to(f, &group))
			answer_rs(f);
	}
	assert_int_equal(status(f).peers, 0);
	assert_true(status(f).next_discovery == f->now);
	tick_at(f, f->now);
	parse_sent(sent_to(f, &group), &ip);
	assert_memory_equal(ip.src, status(f).addr, 16);
	/* L was forgotten: its packets from the LAN are not trusted */
	memcpy(f->me, status(f).addr, 16);
	n = mk_pkt(pkt, sizeof pkt, f->peer, f->me, 8, 0);
	input(f, &lan1, pkt, n);
	assert_int_equal(f->drops.n[SW_DROP_SRC_MAPPING], 1);
	/* the server goes silent: the address is withdrawn */
	while (status(f).state == SW_CLIENT_QUALIFIED)
		tick_at(f, sw_client_next_deadline(f->c));
	assert_true(status(f).next_discovery == SW_TIME_NEVER);
	for (unsigned i = 0; i < 20; i++) {
		tick_at(f, sw_client_next_deadline(f->c));
		assert_int_equal(count_to(f, &group), 0);
	}
	fix_free(f);
}

/* shipwormd.conf(5) LocalDiscovery: client only, yes by default (the
 * daemon's choice, RFC 4380 §5.2.8 SHOULD), yes | no. */
static void
test_conf_setting(void **state)
{
	static const char base[] = "Role client\nServerAddress 192.0.2.10\n"
	    "AddressPolicy lab\n";
	char buf[256], err[SW_CONF_ERR_MAX];
	struct sw_conf c;

	(void)state;
	assert_int_equal(sw_conf_parse(&c, base, sizeof base - 1, err), 0);
	assert_true(c.local_discovery);
	(void)snprintf(buf, sizeof buf, "%sLocalDiscovery no\n", base);
	assert_int_equal(sw_conf_parse(&c, buf, strlen(buf), err), 0);
	assert_false(c.local_discovery);
	(void)snprintf(buf, sizeof buf, "%slocaldiscovery YES\n", base);
	assert_int_equal(sw_conf_parse(&c, buf, strlen(buf), err), 0);
	assert_true(c.local_discovery);
	(void)snprintf(buf, sizeof buf, "%sLocalDiscovery maybe\n", base);
	assert_int_equal(sw_conf_parse(&c, buf, strlen(buf), err), -EINVAL);
	assert_non_null(strstr(err, "LocalDiscovery"));
	(void)snprintf(buf, sizeof buf,
	    "%sLocalDiscovery no\nLocalDiscovery no\n", base);
	assert_int_equal(sw_conf_parse(&c, buf, strlen(buf), err), -EINVAL);
	(void)snprintf(buf, sizeof buf, "Role server\nServerBindAddress "
	    "192.0.2.10\nAddressPolicy lab\nLocalDiscovery yes\n");
	assert_int_equal(sw_conf_parse(&c, buf, strlen(buf), err), -EINVAL);
	assert_non_null(strstr(err, "only for Role client"));
}

/*
 * Guard (HARD-4, edge) with local discovery: a local peer's mapping, as
 * we trust it, is its LAN address (10.x), which is internal by any
 * measure.  With 10.0.0.0/8 configured as intranet and the edge check
 * on, L is still discovered, trusted at its LAN endpoint (CLI-RX-8) and,
 * once the host sent to it, its data is delivered.  An unsolicited UDP
 * packet from it to a port without a grant is not (EDGE_NOT_GRANTED).
 */
static void
test_guard_local_peer(void **state)
{
	struct fix *f = disc_conf(12, true);
	uint8_t pkt[128], b[SW_IP6_HLEN];
	size_t n;

	(void)state;
	f->conf.intranet[0] = (struct sw_v4_net){ SW_IP4(10, 0, 0, 0), 8 };
	f->conf.n_intranet = 1;
	f->conf.edge = true;
	qualify(f);
	tick_at(f, f->now);
	f->now += 10 * SEC;
	discover(f, NULL, &lan1);
	assert_bubble(sent_to(f, &lan1), f->peer);
	/* L bubbles from the LAN: trusted there; its unsolicited data to a
	 * port nobody granted is refused, not delivered */
	f->now += SEC;
	mk_bubble(b, f->peer, f->me);
	input(f, &lan1, b, sizeof b);
	assert_int_equal(total_drops(f), 0);
	n = mk_pkt(pkt, sizeof pkt, f->peer, f->me, 8, 0x22);
	input(f, &lan1, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 0);
	assert_int_equal(f->drops.n[SW_DROP_EDGE_NOT_GRANTED],
	    SW_DEFENCE(EDGE) ? 1 : 0);
	/* the host sends to L: over the LAN; L's answer (the same UDP
	 * flow: ports 0x3333 both ways) is delivered */
	n = mk_pkt(pkt, sizeof pkt, f->me, f->peer, 8, 0x33);
	send6(f, pkt, n);
	assert_int_equal(count_to(f, &lan1), 1);
	n = mk_pkt(pkt, sizeof pkt, f->peer, f->me, 8, 0x33);
	input(f, &lan1, pkt, n);
	assert_int_equal(count(f, SW_ACT_DELIVER), 1);
	assert_int_equal(f->drops.n[SW_DROP_SRC_INTRANET], 0);
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_announce_and_interval),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_not_ready_no_subnets),
		cmocka_unit_test(test_reply_and_case5),
		cmocka_unit_test(test_tx3),
		cmocka_unit_test(test_local_expires),
		cmocka_unit_test(test_rx11_and_bubble_rules),
		cmocka_unit_test(test_newcomer_gap),
		cmocka_unit_test(test_address_change_and_loss),
		cmocka_unit_test(test_conf_setting),
		cmocka_unit_test(test_guard_local_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
