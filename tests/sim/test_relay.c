/*
 * test_relay.c - the relay end to end (teredo-requirements.md §4,
 * REL-TX-1..6, REL-RX-1..6; HARD-6/7): the real relay, server and client
 * cores on the simulated IPv4 and native IPv6 fabrics (world.h), through
 * each cone NAT type; peer trust and its 30 s validity; a relay restart
 * mid-flow.  Every test's name carries its seed.
 */
#include <stdlib.h>
#include <string.h>

#include "world.h"

struct nat_case {
	int type;			/* enum sim_nat_type or W_NO_NAT */
	uint64_t seed;
};

static void
setup(struct world *w, uint64_t seed, int c1_nat, bool direct)
{
	struct world_opts o;

	world_opts_default(&o, seed, c1_nat, W_NONE);
	o.rconf.always_direct_bubble = direct;
	world_init(w, &o);
	world_qualify(w);
}

static struct sw_relay_stats
rstats(const struct world *w)
{
	struct sw_relay_status st;

	sim_relay_status(w->relay, &st);
	return st.stats;
}

/* H answers the relay: a bubble from its Teredo address to the relay's
 * native address, straight to the relay's UDP port (REL-RX-4). */
static void
h_answer(struct world *w)
{
	const struct sw_v4ep r = { W_R_ADDR, W_R_PORT };
	uint8_t b[64];
	size_t len = w_bubble(b, sizeof b, w->h6, w->rel6);

	sim_send(w->h, W_H_PORT, &r, b, len);
}

/* H sends an IPv6 packet to the relay. */
static void
h_to_relay(struct world *w, const uint8_t *pkt, size_t len)
{
	const struct sw_v4ep r = { W_R_ADDR, W_R_PORT };

	sim_send(w->h, W_H_PORT, &r, pkt, len);
}

/* Datagrams the relay sent (to addr, 0: any) in [t0, t1). */
static unsigned
relay_sends(const struct world *w, uint32_t addr, sw_time t0, sw_time t1)
{
	unsigned c = 0;

	for (unsigned i = 0; i < w->relay->n_log; i++) {
		const struct sim_ev *e = &w->relay->log[i];

		c += e->kind == SIM_EV_SEND && (addr == 0 ||
		    e->dst.addr == addr) && e->t >= t0 && e->t < t1;
	}
	return c;
}

/* ---- end to end through each NAT type ---------------------------------- */

/*
 * REL-TX-2/4/5, REL-RX-1/4/5, CLI-RX-3/9: N pings C1 (never contacted):
 * the relay queues the request and bubbles through C1's server, C1
 * answers with a direct bubble, the relay trusts it and flushes; C1 runs
 * its ping test, delivers, answers.  Then C1 pings N back, and N pings
 * five more times: straight through, no more bubbles.
 */
static void
test_e2e(void **state)
{
	const struct nat_case *nc = *state;
	struct sw_relay_stats rs;
	struct world w;
	sw_time t0;

	setup(&w, nc->seed, nc->type, false);
	t0 = w.sim->now;
	w_native_ping(&w, w.c1_6, 100);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6, 100,
	    NULL, NULL), 1);
	rs = rstats(&w);
	W_CHECK_EQ(&w, rs.bubble_rounds, 1);
	W_CHECK_EQ(&w, rs.queued, 1);
	W_CHECK_EQ(&w, rs.flushed, 1);
	W_CHECK_EQ(&w, rs.trusted, 1);
	/* the relay's bubble went to S:3544, only there */
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, 0, t0, w.sim->now), 1);
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, W_S_P, t0, w.sim->now), 1);
	/* C1 answered it with one direct bubble to the relay */
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, W_R_ADDR, t0, w.sim->now), 1);

	w_client_ping(&w, w.c1, w.n6, 200, 64);
	for (unsigned i = 0; i < 5; i++) {
		world_run(&w, w.sim->now + SW_SEC);
		w_native_ping(&w, w.c1_6, (uint16_t)(101 + i));
	}
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.n6, 200, NULL,
	    NULL), 1);
	for (unsigned i = 0; i < 5; i++)
		W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6,
		    (int)(101 + i), NULL, NULL), 1);
	rs = rstats(&w);
	W_CHECK_EQ(&w, rs.bubble_rounds, 1);
	W_CHECK_EQ(&w, rs.to_native, 7);	/* 6 replies + 1 request */
	/* 6 requests + the replies to C1's ping test and to its ping */
	W_CHECK_EQ(&w, rs.to_clients, 8);
	W_CHECK_EQ(&w, w_drops(w.relay), 0);
	W_CHECK_EQ(&w, w_drops(w.c1), 0);
	W_CHECK_EQ(&w, w.native->st.bad_checksum, 0);
	W_CHECK_EQ(&w, w.c1->st.bad_checksum, 0);
	world_free(&w);
}

/* ---- §4.1 transmission to clients --------------------------------------- */

/* REL-TX-1, D17, HARD-7/8: only Teredo destinations with a global
 * mapping and server, a usable port, a non-Teredo source and hop limit
 * left are taken; nothing leaves the relay for the others. */
static void
test_rel_tx1_refused(void **state)
{
	uint8_t pkt[256], d[16];
	struct world w;
	size_t len;

	(void)state;
	setup(&w, 61, SIM_NAT_FULL_CONE, false);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, w.n6, 1, 16);
	sim_relay_send(w.relay, pkt, len);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_DST_NOT_TEREDO), 1);
	w_teredo(d, W_S_P, SW_IP4(10, 0, 0, 1), 4000);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, d, 2, 16);
	sim_relay_send(w.relay, pkt, len);
	w_teredo(d, SW_IP4(10, 0, 0, 1), W_H_ADDR, 4000);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, d, 3, 16);
	sim_relay_send(w.relay, pkt, len);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_V4_NOT_GLOBAL), 2);
	w_teredo(d, W_S_P, W_H_ADDR, 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, d, 4, 16);
	sim_relay_send(w.relay, pkt, len);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_DST_PORT_ZERO), 1);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.c1_6, w.h6, 5, 16);
	sim_relay_send(w.relay, pkt, len);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_TEREDO_TRANSIT), 1);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, w.h6, 6, 16);
	pkt[7] = 1;
	sim_relay_send(w.relay, pkt, len);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_HOP_LIMIT), 1);
	W_CHECK_EQ(&w, w_drops(w.relay), 6);
	world_run(&w, w.sim->now + 20 * SW_SEC);
	W_CHECK_EQ(&w, relay_sends(&w, 0, 0, w.sim->now), 0);
	/* control: a good one is bubbled */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, w.h6, 7, 16);
	sim_relay_send(w.relay, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, relay_sends(&w, W_S_P, 0, w.sim->now), 1);
	world_free(&w);
}

/* REL-TX-2: to a trusted valid peer, straight to its mapping, no bubble;
 * hop limit decremented (a router). */
static void
test_rel_tx2_trusted(void **state)
{
	struct sw_relay_stats rs;
	const struct sim_pkt *k;
	struct world w;
	sw_time t0;

	(void)state;
	setup(&w, 62, SIM_NAT_PORT_RESTRICTED, false);
	w_client_ping(&w, w.c1, w.n6, 100, 16);	/* trust both ways */
	world_run(&w, w.sim->now + SW_SEC);
	rs = rstats(&w);
	W_CHECK_EQ(&w, rs.trusted, 1);
	t0 = w.sim->now;
	w_native_ping(&w, w.c1_6, 7);
	world_run(&w, t0 + 100 * SW_MSEC);
	W_CHECK_EQ(&w, rstats(&w).bubble_rounds, rs.bubble_rounds);
	W_CHECK_EQ(&w, relay_sends(&w, W_NAT1, t0, w.sim->now), 1);
	W_CHECK_EQ(&w, relay_sends(&w, 0, t0, w.sim->now), 1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.n6, 7, NULL, NULL),
	    1);
	k = sim_pkt_get(w.c1, sim_pkt_count(w.c1) - 1);
	W_CHECK(&w, k != NULL && k->pkt[7] == 63);
	world_free(&w);
}

/* REL-GEN-5, REL-TX-3/6: the cone bit is ignored (an untrusted entry and
 * a bubble round even for C = 1); with always_direct_bubble each round is
 * an indirect bubble via the server plus a direct one to the mapping. */
static void
test_rel_tx3_cone_and_direct(void **state)
{
	const bool direct = *(const bool *)*state;
	uint8_t pkt[256], d[16];
	struct world w;
	size_t len;

	setup(&w, direct ? 64 : 63, SIM_NAT_FULL_CONE, direct);
	memcpy(d, w.h6, 16);
	d[8] |= 0x80;					/* C = 1 */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, d, 1, 16);
	sim_native_send(w.native, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, rstats(&w).queued, 1);
	W_CHECK_EQ(&w, rstats(&w).to_clients, 0);
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, W_S_P, 0, w.sim->now), 1);
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, W_H_ADDR, 0, w.sim->now),
	    direct ? 1 : 0);
	/* H sees the server's forwarded copy (+ the direct one) only */
	W_CHECK_EQ(&w, w.h->st.received, direct ? 2 : 1);
	W_CHECK_EQ(&w, w_echoes(w.h, SW_ICMP6_ECHO_REQ, NULL, -1, NULL, NULL),
	    0);
	world_free(&w);
}

/* REL-TX-4, D21: a client that never answers gets 1 + 3 rounds 2 s
 * apart; then its entry goes, with its queue (QUEUE_PEER_GONE). */
static void
test_rel_tx4_expiry(void **state)
{
	struct sw_relay_status st;
	struct world w;
	sw_time t0;

	(void)state;
	setup(&w, 65, SIM_NAT_FULL_CONE, false);
	t0 = w.sim->now;
	w_native_ping(&w, w.h6, 1);
	world_run(&w, t0 + 500 * SW_MSEC);
	w_native_ping(&w, w.h6, 2);
	/* N's packet reaches the relay at t0 + 10 ms: the entry goes
	 * 8 s later */
	world_run(&w, t0 + 8 * SW_SEC + 10 * SW_MSEC - 1);
	W_CHECK_EQ(&w, rstats(&w).expired, 0);
	world_run(&w, t0 + 8 * SW_SEC + 10 * SW_MSEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, W_S_P, t0, w.sim->now), 4);
	for (unsigned i = 0, k = 0; i < w.n_bub; i++) {
		if (w.bub[i].from != w.relay->idx)
			continue;
		W_CHECK_EQ(&w, w.bub[i].t, t0 + 10 * SW_MSEC +
		    10 * SW_MSEC + k * 2 * SW_SEC);
		k++;
	}
	sim_relay_status(w.relay, &st);
	W_CHECK_EQ(&w, st.peers, 0);
	W_CHECK_EQ(&w, st.queued_bytes, 0);
	W_CHECK_EQ(&w, st.stats.expired, 1);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_QUEUE_PEER_GONE), 2);
	world_run(&w, t0 + 30 * SW_SEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, 0, t0, w.sim->now), 4);
	W_CHECK_EQ(&w, w_echoes(w.h, SW_ICMP6_ECHO_REQ, NULL, -1, NULL, NULL),
	    0);
	world_free(&w);
}

/* REL-TX-5, HARD-6: packets wait in a bounded per-peer queue (4096 bytes
 * by default: QUEUE_PEER_FULL) and go out in order when the client
 * answers. */
static void
test_rel_tx5_queue(void **state)
{
	uint8_t pkt[1400];
	struct world w;
	sw_time t0;
	size_t len;

	(void)state;
	setup(&w, 66, SIM_NAT_FULL_CONE, false);
	t0 = w.sim->now;
	for (unsigned i = 0; i < 5; i++) {
		len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, w.h6,
		    (uint16_t)(i + 1), 1000 - 48);
		sim_native_send(w.native, pkt, len);
	}
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, rstats(&w).queued, 4);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_QUEUE_PEER_FULL), 1);
	W_CHECK_EQ(&w, w.h->st.received, 1);	/* the indirect bubble */
	h_answer(&w);
	world_run(&w, t0 + 2 * SW_SEC);
	W_CHECK_EQ(&w, rstats(&w).flushed, 4);
	W_CHECK_EQ(&w, w_echoes(w.h, SW_ICMP6_ECHO_REQ, w.n6, -1, NULL, NULL),
	    4);
	for (unsigned i = 0; i < 4; i++) {
		const struct sim_pkt *k = sim_pkt_get(w.h, 1 + i);
		struct sw_ip6_view ip;
		struct sw_echo_view e;
		enum sw_drop why;

		W_CHECK(&w, k != NULL);
		W_CHECK_EQ(&w, sw_ip6_parse(k->pkt, k->len, &ip, &why), 0);
		W_CHECK_EQ(&w, sw_wire_parse_echo(&ip, &e), 0);
		W_CHECK_EQ(&w, e.seq, i + 1);	/* FIFO */
	}
	world_free(&w);
}

/* ---- §4.2 reception from clients ---------------------------------------- */

/* REL-RX-2/3 (D1, D2, D18), HARD-8: not a valid packet, a source that is
 * not Teredo, or one that does not embed the UDP source: dropped. */
static void
test_rel_rx3_source(void **state)
{
	uint8_t pkt[256], d[16];
	struct world w;
	size_t len;

	(void)state;
	setup(&w, 67, SIM_NAT_FULL_CONE, false);
	w_native_ping(&w, w.h6, 1);		/* an entry for H */
	world_run(&w, w.sim->now + SW_SEC);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, w.h6, w.n6, 1, 16);
	h_to_relay(&w, pkt, 30);			/* D2 */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, w.n6, w.n6, 1, 16);
	h_to_relay(&w, pkt, len);			/* not Teredo */
	w_teredo(d, W_S_P, W_H_ADDR, W_H_PORT + 1);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, d, w.n6, 1, 16);
	h_to_relay(&w, pkt, len);			/* mapping */
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_IP6_LENGTH), 1);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_SRC_NOT_TEREDO), 1);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_SRC_MAPPING), 1);
	W_CHECK_EQ(&w, w_drops(w.relay), 3);
	W_CHECK_EQ(&w, rstats(&w).trusted, 0);
	W_CHECK_EQ(&w, w.native->st.ip6_in, 0);
	/* control: H's own address is taken (and trusts H) */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, w.h6, w.n6, 1, 16);
	h_to_relay(&w, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, rstats(&w).trusted, 1);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.h6, 1, NULL,
	    NULL), 1);
	world_free(&w);
}

/* REL-RX-4 (D19): no peer entry for the source, nothing forwarded (new
 * clients are never learnt from the UDP side); once the native side sent
 * to it, the same packet goes through. */
static void
test_rel_rx4_no_peer(void **state)
{
	uint8_t pkt[256];
	struct world w;
	size_t len;

	(void)state;
	setup(&w, 68, SIM_NAT_FULL_CONE, false);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.n6, 1, 16);
	h_to_relay(&w, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_NO_PEER), 1);
	W_CHECK_EQ(&w, w.native->st.ip6_in, 0);
	W_CHECK_EQ(&w, rstats(&w).trusted, 0);
	/* the relay learns H from the native side */
	w_native_ping(&w, w.h6, 9);
	world_run(&w, w.sim->now + SW_SEC);
	h_to_relay(&w, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REQ, w.h6, 1, NULL,
	    NULL), 1);
	/* the queued request went to H when its packet trusted it */
	W_CHECK_EQ(&w, w_echoes(w.h, SW_ICMP6_ECHO_REQ, w.n6, 9, NULL, NULL),
	    1);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_NO_PEER), 1);
	world_free(&w);
}

/* REL-RX-5 (D20), HSR-4: only destinations in the served ranges. */
static void
test_rel_rx5_served(void **state)
{
	struct world_opts o;
	uint8_t pkt[256], d[16];
	struct world w;
	size_t len;

	(void)state;
	world_opts_default(&o, 69, SIM_NAT_FULL_CONE, W_NONE);
	assert_int_equal(sw_addr_parse6("2001:db8:1::", o.rconf.served[0].addr),
	    0);
	o.rconf.served[0].plen = 48;
	o.rconf.n_served = 1;
	world_init(&w, &o);
	world_qualify(&w);
	w_native_ping(&w, w.h6, 1);
	world_run(&w, w.sim->now + SW_SEC);
	h_answer(&w);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, rstats(&w).trusted, 1);
	assert_int_equal(sw_addr_parse6("2001:db8:2::1", d), 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, d, 2, 16);
	h_to_relay(&w, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_DST_NOT_SERVED), 1);
	W_CHECK_EQ(&w, rstats(&w).to_native, 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.n6, 3, 16);
	h_to_relay(&w, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REQ, w.h6, 3, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w_drops(w.relay), 1);
	world_free(&w);
}

/* REL-RX-6, HARD-7: bubbles are consumed, never forwarded; multicast,
 * link-local and Teredo destinations and an exhausted hop limit are
 * dropped; nothing reaches the native side. */
static void
test_rel_rx6_not_forwarded(void **state)
{
	uint8_t pkt[256], d[16];
	struct world w;
	size_t len;

	(void)state;
	setup(&w, 70, SIM_NAT_FULL_CONE, false);
	w_native_ping(&w, w.h6, 1);
	world_run(&w, w.sim->now + SW_SEC);
	h_answer(&w);				/* bubble 1 */
	len = w_bubble(pkt, sizeof pkt, w.h6, w.n6);
	h_to_relay(&w, pkt, len);		/* bubble 2, to N */
	assert_int_equal(sw_addr_parse6("ff0e::1", d), 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, d, 2, 16);
	h_to_relay(&w, pkt, len);
	assert_int_equal(sw_addr_parse6("fe80::1", d), 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, d, 3, 16);
	h_to_relay(&w, pkt, len);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.c1_6, 4, 16);
	h_to_relay(&w, pkt, len);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.n6, 5, 16);
	pkt[7] = 1;
	h_to_relay(&w, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, rstats(&w).bubbles_rx, 2);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_DST_MULTICAST), 1);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_DST_LINK_LOCAL), 1);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_TEREDO_TRANSIT), 1);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_HOP_LIMIT), 1);
	W_CHECK_EQ(&w, w_drops(w.relay), 4);
	W_CHECK_EQ(&w, sim_log_count(w.relay, SIM_EV_DELIVER), 0);
	W_CHECK_EQ(&w, w.native->st.ip6_in, 0);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
	world_free(&w);
}

/* ---- trust and its validity --------------------------------------------- */

/* Time of the last datagram the relay received. */
static sw_time
relay_last_rx(const struct world *w)
{
	const struct sim_ev *e = sim_log_last(w->relay, SIM_EV_RECV);

	return e != NULL ? e->t : 0;
}

/* Echo requests from N with seq in [a, b] that C1 delivered. */
static unsigned
c1_got(const struct world *w, int a, int b)
{
	unsigned n = 0;

	for (int s = a; s <= b; s++)
		n += w_echoes(w->c1, SW_ICMP6_ECHO_REQ, w->n6, s, NULL, NULL);
	return n;
}

/* rfc-notes 17: a trusted entry is valid while the client was heard from
 * within 30 s.  N pings C1 every 5 s but C1 stays silent: the relay
 * sends straight for 30 s, then bubbles once more (stale); C1 answers
 * the bubble and the traffic goes on, nothing lost. */
static void
test_rel_stale(void **state)
{
	struct sw_relay_stats rs0, rs;
	struct world w;
	sw_time tr;

	(void)state;
	setup(&w, 71, SIM_NAT_RESTRICTED, false);
	w_native_ping(&w, w.c1_6, 100);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6, 100,
	    NULL, NULL), 1);
	w.c1->echo = false;			/* C1 goes quiet */
	rs0 = rstats(&w);
	tr = relay_last_rx(&w);
	for (unsigned i = 0; i < 8; i++) {
		world_run(&w, tr + SW_SEC + i * 5 * SW_SEC);
		w_native_ping(&w, w.c1_6, (uint16_t)(1 + i));
	}
	world_run(&w, w.sim->now + 5 * SW_SEC);
	rs = rstats(&w);
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, 0, tr, tr + 30 * SW_SEC), 0);
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, 0, tr + 30 * SW_SEC,
	    w.sim->now), 1);
	W_CHECK_EQ(&w, rs.stale, 1);
	W_CHECK_EQ(&w, rs.bubble_rounds, rs0.bubble_rounds + 1);
	W_CHECK_EQ(&w, c1_got(&w, 1, 8), 8);
	W_CHECK_EQ(&w, w_drops(w.relay), 0);
	world_free(&w);
}

/*
 * The same quiet client for 5 minutes: the relay finds it stale every
 * 30 s and bubbles; the client answers each of those indirect bubbles
 * with a direct one to the relay's bubble source, a peer that never
 * answers directly (the relay's packets carry the native source).  The
 * CLI-BUB-4 budget must not silence those answers (it did: after the 4th
 * answer in 300 s the relay's entry expired and N's packets were lost
 * until 300 s had passed; lib/client.c answer_indirect).
 */
static void
test_rel_stale_long(void **state)
{
	struct world w;
	sw_time tr;

	(void)state;
	setup(&w, 72, SIM_NAT_RESTRICTED, false);
	w_native_ping(&w, w.c1_6, 100);
	world_run(&w, w.sim->now + SW_SEC);
	w.c1->echo = false;
	tr = relay_last_rx(&w);
	for (unsigned i = 0; i < 60; i++) {
		world_run(&w, tr + SW_SEC + i * 5 * SW_SEC);
		w_native_ping(&w, w.c1_6, (uint16_t)(1 + i));
	}
	world_run(&w, w.sim->now + 5 * SW_SEC);
	/* before the fix: C1 answered 4 of ~70 rounds, 32 pings lost */
	/* one answer per stale round (about every 30 s), beyond the 4 */
	W_CHECK(&w, w_bubbles(&w, w.c1, W_R_ADDR, 0, w.sim->now) >= 8);
	W_CHECK_EQ(&w, w_drop(w.relay, SW_DROP_QUEUE_PEER_GONE), 0);
	W_CHECK_EQ(&w, c1_got(&w, 1, 60), 60);
	world_free(&w);
}

/* ---- relay restart -------------------------------------------------------- */

/* N pings C1 every second; the relay restarts (empty table) between two
 * pings: the next one is bubbled again, C1 answers, and every ping is
 * answered, the one after the restart within 1 s. */
static void
test_restart_native_initiated(void **state)
{
	const struct nat_case *nc = *state;
	struct sw_relay_stats rs;
	struct world w;
	sw_time t0, tl = 0;

	setup(&w, nc->seed, nc->type, false);
	t0 = w.sim->now;
	for (unsigned i = 0; i < 20; i++) {
		if (i == 10)
			sim_relay_restart(w.relay);
		w_native_ping(&w, w.c1_6, (uint16_t)(1 + i));
		world_run(&w, t0 + (i + 1) * SW_SEC);
	}
	for (unsigned i = 0; i < 20; i++)
		W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6,
		    (int)(1 + i), NULL, NULL), 1);
	(void)w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6, 11, &tl, NULL);
	W_CHECK(&w, tl < t0 + 10 * SW_SEC + SW_SEC);
	rs = rstats(&w);			/* the new relay's */
	W_CHECK_EQ(&w, rs.bubble_rounds, 1);
	W_CHECK_EQ(&w, rs.trusted, 1);
	W_CHECK_EQ(&w, rs.to_native, 10);
	W_CHECK_EQ(&w, w.relay->restarts, 1);
	/* bubbled twice in all: once per relay life */
	W_CHECK_EQ(&w, w_bubbles(&w, w.relay, W_S_P, 0, w.sim->now), 2);
	world_free(&w);
}

/* C1 pings N every second; the relay restarts: C1's packets meet an
 * empty table (NO_PEER) while its entry for N is valid; once it expires
 * (30 s after N's last reply) C1 runs a new ping test, N's reply makes
 * the new relay bubble, and the flow resumes within 30 s + 3 s. */
static void
test_restart_client_initiated(void **state)
{
	const struct nat_case *nc = *state;
	struct world w;
	sw_time t0, tre, tfirst = 0;
	unsigned lost = 0;

	setup(&w, nc->seed, nc->type, false);
	t0 = w.sim->now;
	for (unsigned i = 0; i < 60; i++) {
		if (i == 10)
			sim_relay_restart(w.relay);
		w_client_ping(&w, w.c1, w.n6, (uint16_t)(1 + i), 32);
		world_run(&w, t0 + (i + 1) * SW_SEC);
	}
	tre = t0 + 9 * SW_SEC;		/* the restart came after this */
	for (unsigned i = 0; i < 10; i++)
		W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.n6,
		    (int)(1 + i), NULL, NULL), 1);
	for (unsigned i = 10; i < 60; i++) {
		sw_time t = 0;

		if (w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.n6, (int)(1 + i), &t,
		    NULL) == 0) {
			lost++;
			W_CHECK(&w, tfirst == 0);	/* no gap after */
		} else if (tfirst == 0) {
			tfirst = t;
		}
	}
	W_CHECK(&w, tfirst != 0);
	W_CHECK(&w, tfirst <= tre + 33 * SW_SEC);
	W_CHECK(&w, lost >= 1 && lost <= 33);
	W_CHECK(&w, w_drop(w.relay, SW_DROP_NO_PEER) >= 1);
	W_CHECK_EQ(&w, rstats(&w).trusted, 1);
	W_CHECK_EQ(&w, rstats(&w).bubble_rounds, 1);
	world_free(&w);
}

/* ---- the table ------------------------------------------------------------ */

static const struct nat_case full = { SIM_NAT_FULL_CONE, 81 };
static const struct nat_case restricted = { SIM_NAT_RESTRICTED, 82 };
static const struct nat_case port_restr = { SIM_NAT_PORT_RESTRICTED, 83 };
static const struct nat_case public_c = { W_NO_NAT, 84 };
static const bool no = false, yes = true;

#define T(name, fn, st) { name, fn, NULL, NULL, (void *)(uintptr_t)(st) }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T("e2e/full-cone seed=81", test_e2e, &full),
		T("e2e/restricted seed=82", test_e2e, &restricted),
		T("e2e/port-restricted seed=83", test_e2e, &port_restr),
		T("e2e/no-nat seed=84", test_e2e, &public_c),
		T("rel-tx1/refused seed=61", test_rel_tx1_refused, 0),
		T("rel-tx2/trusted seed=62", test_rel_tx2_trusted, 0),
		T("rel-tx3/cone-ignored seed=63", test_rel_tx3_cone_and_direct,
		    &no),
		T("rel-tx6/always-direct seed=64",
		    test_rel_tx3_cone_and_direct, &yes),
		T("rel-tx4/expiry seed=65", test_rel_tx4_expiry, 0),
		T("rel-tx5/queue seed=66", test_rel_tx5_queue, 0),
		T("rel-rx3/source seed=67", test_rel_rx3_source, 0),
		T("rel-rx4/no-peer seed=68", test_rel_rx4_no_peer, 0),
		T("rel-rx5/served seed=69", test_rel_rx5_served, 0),
		T("rel-rx6/not-forwarded seed=70", test_rel_rx6_not_forwarded,
		    0),
		T("relay/stale seed=71", test_rel_stale, 0),
		T("relay/stale-quiet-5min seed=72",
		    test_rel_stale_long, 0),
		T("restart/native-initiated/full-cone seed=81",
		    test_restart_native_initiated, &full),
		T("restart/native-initiated/port-restricted seed=83",
		    test_restart_native_initiated, &port_restr),
		T("restart/client-initiated/restricted seed=82",
		    test_restart_client_initiated, &restricted),
		T("restart/client-initiated/port-restricted seed=83",
		    test_restart_client_initiated, &port_restr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
