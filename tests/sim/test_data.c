/*
 * test_data.c - the client's data path end to end (teredo-requirements.md
 * §2.6 reception, §2.7 transmission, §2.8 bubbles, §2.11 ping test,
 * HARD-3/6): the real client, server and relay cores on the simulated
 * fabrics, in the world of world.h.  Every test's name carries its seed;
 * the simulator checks its invariants after every step.
 */
#include <string.h>

#include "world.h"

struct nat_case {
	int type;			/* enum sim_nat_type or W_NO_NAT */
	uint64_t seed;
};

/* A datagram as a public host sends it: [origin] IPv6. */
static void
h_send(struct sim_node *from, uint16_t sport, const struct sw_v4ep *to,
    const uint8_t *pkt, size_t len)
{
	sim_send(from, sport, to, pkt, len);
}

/* Echo requests from the client's address with an 8-byte nonce (ping
 * tests) that n received; *t: the time of the first. */
static unsigned
ping_tests(const struct sim_node *n, const uint8_t src[16], sw_time *t)
{
	unsigned c = 0;

	for (unsigned i = 0; i < sim_pkt_count(n); i++) {
		const struct sim_pkt *k = sim_pkt_get(n, i);
		struct sw_ip6_view ip;
		struct sw_echo_view e;
		enum sw_drop why;

		if (k == NULL || sw_ip6_parse(k->pkt, k->len, &ip, &why) != 0 ||
		    sw_wire_parse_echo(&ip, &e) != 0 ||
		    e.type != SW_ICMP6_ECHO_REQ || e.data_len != 8 ||
		    memcmp(ip.src, src, 16) != 0)
			continue;
		if (c++ == 0 && t != NULL)
			*t = k->t;
	}
	return c;
}

static void
setup(struct world *w, uint64_t seed, int c1_nat, int c2_nat)
{
	struct world_opts o;

	world_opts_default(&o, seed, c1_nat, c2_nat);
	world_init(w, &o);
	world_qualify(w);
}

/* ---- §2.6 reception ---------------------------------------------------- */

/* CLI-RX-1 (D1, D2): what is not a well-formed Teredo packet carrying a
 * valid IPv6 packet is discarded, counted by reason; the control, a good
 * packet from the same sender, is delivered. */
static void
test_rx1_malformed(void **state)
{
	uint8_t a6[16], pkt[256], junk[20];
	struct world w;
	size_t len;

	(void)state;
	setup(&w, 21, SIM_NAT_FULL_CONE, W_NONE);
	w_teredo(a6, W_S_P, W_A_ADDR, 7000);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, a6, w.c1_6, 1, 16);
	h_send(w.att, 7000, &w.c1_map, pkt, 30);		/* cut short */
	memset(junk, 0, sizeof junk);				/* OI, OI */
	h_send(w.att, 7000, &w.c1_map, junk, sizeof junk);
	h_send(w.att, 7000, &w.c1_map, junk, 5);		/* half an OI */
	pkt[0] = 0x40;						/* IPv4 */
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, a6, w.c1_6, 2, 16);
	pkt[5] += 10;						/* 40 + PL > len */
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_TRUNCATED), 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_DUP_HEADER), 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_BAD_HEADER_CODE), 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_IP6_LENGTH), 2);
	W_CHECK_EQ(&w, w_drops(w.c1), 5);
	/* control */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, a6, w.c1_6, 3, 16);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, a6, 3, NULL, NULL), 1);
	world_free(&w);
}

/* CLI-RX-2, HARD-7: the destination must be our Teredo address; other
 * unicast and multicast destinations are dropped. */
static void
test_rx2_destination(void **state)
{
	uint8_t a6[16], other[16], mc[16], pkt[256];
	struct world w;
	size_t len;

	(void)state;
	setup(&w, 22, SIM_NAT_FULL_CONE, W_NONE);
	w_teredo(a6, W_S_P, W_A_ADDR, 7000);
	memcpy(other, w.c1_6, 16);
	other[15] ^= 0x01;
	assert_int_equal(sw_addr_parse6("ff02::1", mc), 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, a6, other, 1, 16);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, a6, mc, 2, 16);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_DST_NOT_OURS), 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_DST_MULTICAST), 1);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, a6, w.c1_6, 3, 16);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 1);
	world_free(&w);
}

/* CLI-RX-3: a packet from the server's address and port 3544 refreshes
 * the last interaction with the server; an indirect bubble (origin
 * indication) is answered with a direct bubble to the origin, at most one
 * per 2 s (CLI-BUB-3), and never delivered.  The answer opens the
 * port-restricted NAT to the peer: its data then gets through. */
static void
test_rx3_indirect_bubble(void **state)
{
	const struct sw_v4ep srv = { W_S_P, SW_TEREDO_PORT };
	struct sw_client_status st;
	uint8_t pkt[256];
	struct world w;
	sw_time t0;
	size_t len;

	(void)state;
	setup(&w, 23, SIM_NAT_PORT_RESTRICTED, W_NONE);
	/* H -> S -> C1: the server adds the origin indication */
	len = w_bubble(pkt, sizeof pkt, w.h6, w.c1_6);
	t0 = w.sim->now;
	h_send(w.h, W_H_PORT, &srv, pkt, len);
	world_run(&w, t0 + 100 * SW_MSEC);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.last_server_rx, t0 + 20 * SW_MSEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, W_H_ADDR, t0, w.sim->now), 1);
	W_CHECK(&w, memcmp(w.bub[w.n_bub - 1].src6, w.c1_6, 16) == 0);
	W_CHECK(&w, memcmp(w.bub[w.n_bub - 1].dst6, w.h6, 16) == 0);
	W_CHECK(&w, !w.bub[w.n_bub - 1].origin);
	W_CHECK_EQ(&w, w.bub[w.n_bub - 1].dst.port, W_H_PORT);
	W_CHECK_EQ(&w, w.h->st.received, 1);	/* C1's answer */
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
	/* 1.5 s later: too soon for another (CLI-BUB-3); 2.5 s: answered */
	world_run(&w, t0 + 1500 * SW_MSEC);
	h_send(w.h, W_H_PORT, &srv, pkt, len);
	world_run(&w, t0 + 1600 * SW_MSEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, W_H_ADDR, t0, w.sim->now), 1);
	world_run(&w, t0 + 2500 * SW_MSEC);
	h_send(w.h, W_H_PORT, &srv, pkt, len);
	world_run(&w, t0 + 2600 * SW_MSEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, W_H_ADDR, t0, w.sim->now), 2);
	/* the NAT now lets H's data in (CLI-RX-6 accepts it) */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.c1_6, 5, 16);
	h_send(w.h, W_H_PORT, &w.c1_map, pkt, len);
	world_run(&w, t0 + 3 * SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.h6, 5, NULL, NULL),
	    1);
	W_CHECK_EQ(&w, w.nat1->st.filtered + w.nat1->st.no_mapping, 0);
	world_free(&w);
}

/* CLI-RX-4: a trusted native peer (learnt by a ping test) is accepted at
 * its relay's mapping, with no new test; the same source from another
 * IPv4 endpoint is not (a spoofer cannot replace a working relay). */
static void
test_rx4_trusted(void **state)
{
	uint8_t pkt[256];
	struct world w;
	sw_time t0;
	size_t len;

	(void)state;
	setup(&w, 24, SIM_NAT_FULL_CONE, W_NONE);
	w_client_ping(&w, w.c1, w.n6, 100, 16);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.n6, 100, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6, 1);
	/* N pings C1: straight through the relay, accepted as case 1 */
	t0 = w.sim->now;
	w_native_ping(&w, w.c1_6, 7);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.n6, 7, NULL, NULL),
	    1);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6, 7, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6, 1);
	/* N's address from A's endpoint: dropped, nothing delivered */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.n6, w.c1_6, 8, 16);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + 10 * SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.n6, 8, NULL, NULL),
	    0);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_SRC_MAPPING), 1);
	W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6, 1);
	world_free(&w);
}

/* CLI-RX-5: while a ping test runs, an echo reply with the wrong data is
 * dropped (PING_NONCE) and changes nothing; the one carrying the nonce
 * trusts the peer at the reply's source, flushes the queue there, and is
 * consumed (not delivered). */
static void
test_rx5_ping_reply(void **state)
{
	uint8_t pkt[256], nonce[8];
	struct sw_ip6_view ip;
	struct sw_echo_view e;
	enum sw_drop why;
	struct world w;
	bool found = false;
	size_t len;

	(void)state;
	setup(&w, 25, SIM_NAT_FULL_CONE, W_NONE);
	w.native->cut = true;			/* the test stays pending */
	w_client_ping(&w, w.c1, w.n6, 100, 16);
	world_run(&w, w.sim->now + 100 * SW_MSEC);
	/* the nonce, as an on-path observer sees the request leave S */
	for (unsigned i = 0; i < SIM_IP6_KEEP && i < w.sim->ip6_count; i++) {
		if (w.sim->ip6[i].from != w.srv->idx ||
		    sw_ip6_parse(w.sim->ip6[i].pkt, w.sim->ip6[i].len, &ip,
		    &why) != 0 || sw_wire_parse_echo(&ip, &e) != 0 ||
		    e.data_len != 8)
			continue;
		memcpy(nonce, e.data, 8);
		found = true;
	}
	W_CHECK(&w, found);
	nonce[0] ^= 0xff;
	len = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, w.n6,
	    w.c1_6, 64, 1, 1, nonce, 8);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + 100 * SW_MSEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_PING_NONCE), 1);
	W_CHECK_EQ(&w, w.att->st.received, 0);
	nonce[0] ^= 0xff;
	len = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, w.n6,
	    w.c1_6, 64, 1, 1, nonce, 8);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + 100 * SW_MSEC);
	/* the queued echo request went to the reply's source */
	W_CHECK_EQ(&w, w_echoes(w.att, SW_ICMP6_ECHO_REQ, w.c1_6, 100, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w.att->st.received, 1);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_PING_NONCE), 1);
	world_free(&w);
}

/* CLI-RX-6: a Teredo source embedding its UDP source is trusted at once:
 * data delivered (and answered directly, CLI-TX-1), bubbles consumed but
 * trusted too, and a queue waiting for that peer flushed to it.  A Teredo
 * source that does not embed the UDP source is dropped (SRC_MAPPING). */
static void
test_rx6_teredo_source(void **state)
{
	uint8_t pkt[256], t3[16];
	struct world w;
	sw_time t0;
	size_t len;

	(void)state;
	setup(&w, 26, SIM_NAT_FULL_CONE, W_NONE);
	t0 = w.sim->now;
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.c1_6, 1, 16);
	h_send(w.h, W_H_PORT, &w.c1_map, pkt, len);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.h6, 1, NULL, NULL),
	    1);
	W_CHECK_EQ(&w, w_echoes(w.h, SW_ICMP6_ECHO_REPLY, w.c1_6, 1, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 0);

	/* H's mapping, but from A: dropped */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.c1_6, 2, 16);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_SRC_MAPPING), 1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.h6, 2, NULL, NULL),
	    0);

	/* A Teredo peer T3 (A:7777) that C1 is resolving: its packet
	 * trusts it and flushes the queue to it. */
	w_teredo(t3, W_S_P, W_A_ADDR, 7777);
	w_client_ping(&w, w.c1, t3, 3, 16);
	world_run(&w, w.sim->now + 500 * SW_MSEC);
	W_CHECK_EQ(&w, w_echoes(w.att, SW_ICMP6_ECHO_REQ, w.c1_6, 3, NULL,
	    NULL), 0);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, t3, w.c1_6, 4, 16);
	h_send(w.att, 7777, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + 500 * SW_MSEC);
	W_CHECK_EQ(&w, w_echoes(w.att, SW_ICMP6_ECHO_REQ, w.c1_6, 3, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, t3, 4, NULL, NULL), 1);

	/* a direct bubble from a fresh Teredo peer (A:8888): consumed,
	 * trusted (the next send goes straight, no bubble) */
	w_teredo(t3, W_S_P, W_A_ADDR, 8888);
	len = w_bubble(pkt, sizeof pkt, t3, w.c1_6);
	h_send(w.att, 8888, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + 500 * SW_MSEC);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, t3, 6, 16);
	world_run(&w, t0 + 500 * SW_MSEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 0);
	W_CHECK_EQ(&w, w_echoes(w.att, SW_ICMP6_ECHO_REQ, w.c1_6, 6, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 2);
	world_free(&w);
}

/* CLI-RX-9 (case 6): N, never contacted, pings C1 through the relay.
 * The request is queued, a ping test (8-byte nonce) goes through S, and
 * the request is delivered only after the test's reply came back; C1's
 * answer reaches N. */
static void
test_rx9_unsolicited_native(void **state)
{
	const struct nat_case *nc = *state;
	sw_time t_test = 0, t_del = 0;
	struct world w;

	setup(&w, nc->seed, nc->type, W_NONE);
	w_native_ping(&w, w.c1_6, 100);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, ping_tests(w.native, w.c1_6, &t_test), 1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.n6, 100, &t_del,
	    NULL), 1);
	W_CHECK(&w, t_del > t_test);		/* the reply came first */
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 1);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6, 100,
	    NULL, NULL), 1);
	W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6, 1);
	W_CHECK_EQ(&w, w_drops(w.c1), 0);
	world_free(&w);
}

/* CLI-RX-9, HARD-3: a packet with a spoofed native source (nobody
 * answers the test) is never delivered; a flood from that source runs
 * at most one test per 2 s; bubbles from native sources start none. */
static void
test_rx9_spoofed(void **state)
{
	uint8_t fake[16], pkt[256];
	struct world w;
	uint64_t tests;
	sw_time t0, prev = 0;
	size_t len;

	(void)state;
	setup(&w, 27, SIM_NAT_FULL_CONE, W_NONE);
	assert_int_equal(sw_addr_parse6("2001:db8:dead::1", fake), 0);
	t0 = w.sim->now;
	for (unsigned i = 0; i < 100; i++) {
		len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, fake, w.c1_6,
		    (uint16_t)i, 16);
		h_send(w.att, 7000, &w.c1_map, pkt, len);
		world_run(&w, t0 + (i + 1) * 100 * SW_MSEC);
	}
	world_run(&w, t0 + 20 * SW_SEC);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
	tests = sw_server_stats(w.srv->server)->relayed_ip6;
	W_CHECK(&w, tests >= 4);
	W_CHECK_EQ(&w, sim_log_count(w.srv, SIM_EV_IP6), tests);
	/* HARD-3: tests toward that source at least 2 s apart */
	for (unsigned i = 0; i < w.srv->n_log; i++) {
		const struct sim_ev *e = &w.srv->log[i];

		if (e->kind != SIM_EV_IP6)
			continue;
		W_CHECK(&w, prev == 0 || e->t - prev >= 2 * SW_SEC);
		prev = e->t;
	}
	W_CHECK(&w, w_drop(w.c1, SW_DROP_QUEUE_UNRESOLVED) >= 1);
	/* every flooded packet is accounted for by a drop counter */
	W_CHECK_EQ(&w, w_drops(w.c1), 100);
	/* a bubble from a native source: no test */
	len = w_bubble(pkt, sizeof pkt, fake, w.c1_6);
	h_send(w.att, 7000, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + 10 * SW_SEC);
	W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6, tests);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_BUBBLE_UNMATCHED), 1);
	world_free(&w);
}

/* ---- §2.7 transmission ------------------------------------------------- */

/* CLI-TX-0/1: to a trusted peer heard from within 30 s, one datagram
 * straight to its mapping; after 30 s of silence the entry is no longer
 * valid and the peer is resolved again (bubbles, nothing sent direct). */
static void
test_tx1_trusted(void **state)
{
	uint8_t pkt[256];
	struct world w;
	sw_time t0;
	size_t len;

	(void)state;
	setup(&w, 31, SIM_NAT_FULL_CONE, W_NONE);
	w.c1->echo = false;
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.c1_6, 1, 16);
	h_send(w.h, W_H_PORT, &w.c1_map, pkt, len);
	world_run(&w, w.sim->now + SW_SEC);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.h6, 2, 100);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, w_sends(w.c1, 0, t0, w.sim->now), 1);
	W_CHECK_EQ(&w, w_echoes(w.h, SW_ICMP6_ECHO_REQ, w.c1_6, 2, NULL, NULL),
	    1);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 0);
	/* 31 s after H's packet: resolve again */
	world_run(&w, t0 + 31 * SW_SEC);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.h6, 3, 100);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.h, SW_ICMP6_ECHO_REQ, w.c1_6, 3, NULL, NULL),
	    0);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 2);
	world_free(&w);
}

/* CLI-TX-2, CLI-PING-2..4: to a native destination the packet waits
 * while one ping test (8-byte nonce) goes through our server; the reply
 * comes back through the relay and the queue is flushed there.  The
 * relay forwards as a router (hop limit - 1). */
static void
test_tx2_native(void **state)
{
	const struct nat_case *nc = *state;
	struct sw_relay_status rs;
	sw_time t_test = 0, t_data = 0, t0;
	const struct sim_pkt *k;
	struct world w;

	setup(&w, nc->seed, nc->type, W_NONE);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.n6, 100, 100);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, ping_tests(w.native, w.c1_6, &t_test), 1);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REQ, w.c1_6, 100,
	    &t_data, NULL), 1);
	W_CHECK(&w, t_data > t_test);
	W_CHECK(&w, t_data < t0 + 200 * SW_MSEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.n6, 100, NULL,
	    NULL), 1);
	/* the ping test went to S:3544, the data to the relay */
	W_CHECK_EQ(&w, w_sends(w.c1, W_S_P, t0, w.sim->now), 1);
	W_CHECK_EQ(&w, w_sends(w.c1, W_R_ADDR, t0, w.sim->now), 2);
	/* N's last packet is C1's request, one hop shorter */
	k = sim_pkt_get(w.native, sim_pkt_count(w.native) - 1);
	W_CHECK(&w, k != NULL && k->pkt[7] == 63);
	sim_relay_status(w.relay, &rs);
	W_CHECK_EQ(&w, rs.stats.trusted, 1);
	W_CHECK_EQ(&w, rs.stats.bubble_rounds, 1);
	W_CHECK_EQ(&w, rs.stats.to_native, 1);
	W_CHECK_EQ(&w, w_drops(w.c1), 0);
	W_CHECK_EQ(&w, w_drops(w.relay), 0);
	world_free(&w);
}

/* CLI-TX-5, CLI-TX-7, CLI-BUB-1/2: to a Teredo peer behind a restricted
 * or port-restricted NAT: a direct bubble (filtered by the peer's NAT)
 * and an indirect one through the peer's server, at the same instant;
 * the peer's answer flushes the queue; later packets go direct. */
static void
test_tx5_teredo(void **state)
{
	const struct nat_case *nc = *state;
	int other = nc->type == SIM_NAT_RESTRICTED ? SIM_NAT_PORT_RESTRICTED :
	    SIM_NAT_RESTRICTED;
	struct sw_client_status st;
	struct world w;
	sw_time t0;
	unsigned n0;

	setup(&w, nc->seed, nc->type, other);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.c2_6, 1, 100);
	world_run(&w, t0 + SW_SEC);
	/* one round: direct to C2's NAT and indirect to S, same instant */
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 2);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, W_NAT2, t0, w.sim->now), 1);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, W_S_P, t0, w.sim->now), 1);
	n0 = w.n_bub;
	for (unsigned i = 0; i < w.n_bub; i++)
		if (w.bub[i].from == w.c1->idx && n0 == w.n_bub)
			n0 = i;
	W_CHECK_EQ(&w, w.bub[n0].t, w.bub[n0 + 1].t);
	W_CHECK(&w, w.nat2->st.filtered >= 1);	/* the direct one */
	/* C2 answered with one direct bubble; the queue went out */
	W_CHECK_EQ(&w, w_bubbles(&w, w.c2, W_NAT1, t0, w.sim->now), 1);
	W_CHECK_EQ(&w, w_echoes(w.c2, SW_ICMP6_ECHO_REQ, w.c1_6, 1, NULL, NULL),
	    1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.c2_6, 1, NULL,
	    NULL), 1);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.queued_bytes, 0);
	/* then straight through, no bubble */
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.c2_6, 2, 100);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, w_bubbles(&w, NULL, 0, t0, w.sim->now), 0);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.c2_6, 2, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w_drops(w.c1) + w_drops(w.c2), 0);
	world_free(&w);
}

/* CLI-TX-6 (D6), HARD-8: a Teredo destination whose mapping or server is
 * not global unicast, or whose port is 0, is dropped before any UDP
 * send; the control (global) is resolved with bubbles. */
static void
test_tx6_not_global(void **state)
{
	uint8_t d[16];
	struct world w;
	sw_time t0;

	(void)state;
	setup(&w, 36, SIM_NAT_FULL_CONE, W_NONE);
	t0 = w.sim->now;
	w_teredo(d, W_S_P, SW_IP4(10, 0, 0, 1), 4000);
	w_client_ping(&w, w.c1, d, 1, 16);
	w_teredo(d, W_S_P, SW_IP4(192, 168, 1, 1), 4000);
	w_client_ping(&w, w.c1, d, 2, 16);
	w_teredo(d, SW_IP4(192, 168, 1, 1), W_H_ADDR, 4000);
	w_client_ping(&w, w.c1, d, 3, 16);
	w_teredo(d, W_S_P, W_H_ADDR, 0);
	w_client_ping(&w, w.c1, d, 4, 16);
	world_run(&w, t0 + 10 * SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_V4_NOT_GLOBAL), 3);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_DST_PORT_ZERO), 1);
	W_CHECK_EQ(&w, w_drops(w.c1), 4);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 0);
	W_CHECK_EQ(&w, w_sends(w.c1, 0, t0, w.sim->now) -
	    w_sends(w.c1, W_S_P, t0, w.sim->now), 0);	/* refreshes only */
	/* control */
	t0 = w.sim->now;
	w_teredo(d, W_S_P, W_H_ADDR, 4000);
	w_client_ping(&w, w.c1, d, 5, 16);
	world_run(&w, t0 + SW_SEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 2);
	world_free(&w);
}

/* ---- §2.8 bubble limits, virtual time ---------------------------------- */

/* Bubble rounds (direct + indirect at one instant) from C1. */
static unsigned
rounds(const struct world *w, sw_time t0, sw_time t1, sw_time *times,
    unsigned max)
{
	unsigned n = 0;
	sw_time last = SW_TIME_NEVER;

	for (unsigned i = 0; i < w->n_bub; i++) {
		const struct w_bubble *b = &w->bub[i];

		if (b->from != w->c1->idx || b->t < t0 || b->t >= t1 ||
		    b->t == last)
			continue;
		last = b->t;
		if (n < max)
			times[n] = b->t;
		n++;
	}
	return n;
}

/* CLI-BUB-3/4/5: a peer that never answers, a packet for it every
 * 100 ms: rounds at least 2 s apart, 4 in all within 300 s; the budget
 * comes back 300 s after the last bubble. */
static void
test_bubble_limits(void **state)
{
	sw_time t0, tl, tm[16];
	uint8_t d[16];
	struct world w;
	unsigned n;

	(void)state;
	setup(&w, 41, SIM_NAT_FULL_CONE, W_NONE);
	w.c1->echo = false;
	w_teredo(d, W_S_P, SW_IP4(192, 0, 2, 99), 7777);	/* nobody */
	t0 = w.sim->now;
	for (unsigned i = 0; i < 200; i++) {
		w_client_ping(&w, w.c1, d, (uint16_t)i, 16);
		world_run(&w, t0 + (i + 1) * 100 * SW_MSEC);
	}
	n = rounds(&w, t0, w.sim->now, tm, 16);
	W_CHECK_EQ(&w, n, 4);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, 0, t0, w.sim->now), 8);
	for (unsigned i = 1; i < n && i < 16; i++)
		W_CHECK(&w, tm[i] - tm[i - 1] >= 2 * SW_SEC);
	tl = tm[3];
	/* one packet a second up to 300 s after the last bubble: none */
	for (sw_time t = w.sim->now; t < tl + 299 * SW_SEC; t += SW_SEC) {
		w_client_ping(&w, w.c1, d, 1, 16);
		world_run(&w, t + SW_SEC);
	}
	W_CHECK_EQ(&w, rounds(&w, t0, w.sim->now, tm, 16), 4);
	W_CHECK(&w, w_drop(w.c1, SW_DROP_QUEUE_UNRESOLVED) > 0);
	/* 300 s after the last one, the count restarts (CLI-BUB-5) */
	world_run(&w, tl + 301 * SW_SEC);
	w_client_ping(&w, w.c1, d, 2, 16);
	world_run(&w, w.sim->now + 100 * SW_MSEC);
	W_CHECK_EQ(&w, rounds(&w, t0, w.sim->now, tm, 16), 5);
	world_free(&w);
}

/* CLI-BUB-5 (IMPL): a direct reception from the peer resets the count:
 * with the budget spent, H's packet makes the next resolution bubble at
 * once instead of 300 s later. */
static void
test_bubble_reset_on_rx(void **state)
{
	uint8_t pkt[256];
	sw_time t0, tm[16];
	struct world w;
	size_t len;

	(void)state;
	setup(&w, 42, SIM_NAT_FULL_CONE, W_NONE);
	w.c1->echo = false;
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.h6, 1, 16);	/* H ignores bubbles */
	world_run(&w, t0 + 10 * SW_SEC);
	w_client_ping(&w, w.c1, w.h6, 2, 16);
	world_run(&w, t0 + 20 * SW_SEC);
	W_CHECK_EQ(&w, rounds(&w, t0, w.sim->now, tm, 16), 4);
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.c1_6, 3, 16);
	h_send(w.h, W_H_PORT, &w.c1_map, pkt, len);
	world_run(&w, t0 + 60 * SW_SEC);	/* the entry goes stale */
	w_client_ping(&w, w.c1, w.h6, 4, 16);
	world_run(&w, w.sim->now + 100 * SW_MSEC);
	W_CHECK_EQ(&w, rounds(&w, t0, w.sim->now, tm, 16), 5);
	W_CHECK(&w, tm[4] >= t0 + 60 * SW_SEC);
	world_free(&w);
}

/* ---- queues (HARD-6, CLI-TX-8) ------------------------------------------ */

/* Per-peer and total bounds, and the largest packet, counted by reason;
 * the queued packets are dropped when their peers stay unresolved. */
static void
test_queue_overflow(void **state)
{
	struct sw_client_status st;
	struct world_opts o;
	uint8_t d1[16], d2[16], d3[16];
	struct world w;
	sw_time t0;

	(void)state;
	world_opts_default(&o, 43, SIM_NAT_FULL_CONE, W_NONE);
	o.cconf.queue_total_bytes = 2 * 1280;
	world_init(&w, &o);
	world_qualify(&w);
	w_teredo(d1, W_S_P, SW_IP4(192, 0, 2, 91), 7001);
	w_teredo(d2, W_S_P, SW_IP4(192, 0, 2, 92), 7002);
	w_teredo(d3, W_S_P, SW_IP4(192, 0, 2, 93), 7003);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, d1, 1, 900);
	w_client_ping(&w, w.c1, d1, 2, 900);		/* peer full */
	w_client_ping(&w, w.c1, d2, 3, 900);
	w_client_ping(&w, w.c1, d3, 4, 900);		/* pool full */
	w_client_ping(&w, w.c1, d3, 5, 1250);		/* > 1280 */
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_PEER_FULL), 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_TOTAL_FULL), 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_TOO_BIG), 1);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.queued_bytes, 2 * (40 + 8 + 900));
	world_run(&w, t0 + 9 * SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_UNRESOLVED), 2);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.queued_bytes, 0);
	W_CHECK_EQ(&w, w_drops(w.c1), 5);
	world_free(&w);
}

/* CLI-TX-2/5, CLI-PING-4: 4 attempts 2 s apart, then the queue is
 * dropped, counted per packet, exactly 8 s after the first attempt. */
static void
test_queue_timeout_teredo(void **state)
{
	sw_time t0, tm[16];
	uint8_t d[16];
	struct world w;

	(void)state;
	setup(&w, 44, SIM_NAT_FULL_CONE, W_NONE);
	w_teredo(d, W_S_P, SW_IP4(192, 0, 2, 99), 7777);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, d, 1, 16);
	world_run(&w, t0 + 500 * SW_MSEC);
	w_client_ping(&w, w.c1, d, 2, 16);
	world_run(&w, t0 + 1000 * SW_MSEC);
	w_client_ping(&w, w.c1, d, 3, 16);
	world_run(&w, t0 + 8 * SW_SEC - 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_UNRESOLVED), 0);
	W_CHECK_EQ(&w, rounds(&w, t0, w.sim->now, tm, 16), 4);
	for (unsigned i = 0; i < 4; i++)
		W_CHECK_EQ(&w, tm[i], t0 + i * 2 * SW_SEC + 10 * SW_MSEC);
	world_run(&w, t0 + 8 * SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_UNRESOLVED), 3);
	world_run(&w, t0 + 20 * SW_SEC);
	W_CHECK_EQ(&w, rounds(&w, t0, w.sim->now, tm, 16), 4);
	W_CHECK_EQ(&w, w_drops(w.c1), 3);
	world_free(&w);
}

/* The same for a native destination that never answers: 4 ping tests
 * 2 s apart through S, then QUEUE_UNRESOLVED and the entry removed. */
static void
test_queue_timeout_native(void **state)
{
	struct sw_client_status st;
	struct world w;
	sw_time t0;

	(void)state;
	setup(&w, 45, SIM_NAT_PORT_RESTRICTED, W_NONE);
	w.native->cut = true;
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.n6, 1, 16);
	world_run(&w, t0 + 8 * SW_SEC - 1);
	W_CHECK_EQ(&w, sim_log_count(w.srv, SIM_EV_IP6), 4);
	W_CHECK_EQ(&w, w_sends(w.c1, W_S_P, t0, t0 + SW_MSEC), 1);
	W_CHECK_EQ(&w, w_sends(w.c1, W_S_P, t0 + 2 * SW_SEC,
	    t0 + 2 * SW_SEC + SW_MSEC), 1);
	W_CHECK_EQ(&w, w_sends(w.c1, W_S_P, t0 + 6 * SW_SEC,
	    t0 + 6 * SW_SEC + SW_MSEC), 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_UNRESOLVED), 0);
	world_run(&w, t0 + 8 * SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_QUEUE_UNRESOLVED), 1);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.peers, 0);
	world_run(&w, t0 + 20 * SW_SEC);
	W_CHECK_EQ(&w, sim_log_count(w.srv, SIM_EV_IP6), 4);
	world_free(&w);
}

/* ---- the table ------------------------------------------------------------ */

static const struct nat_case full = { SIM_NAT_FULL_CONE, 51 };
static const struct nat_case restricted = { SIM_NAT_RESTRICTED, 52 };
static const struct nat_case port_restr = { SIM_NAT_PORT_RESTRICTED, 53 };
static const struct nat_case public_c = { W_NO_NAT, 54 };

#define T(name, fn, st) { name, fn, NULL, NULL, (void *)(uintptr_t)(st) }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T("rx1/malformed seed=21", test_rx1_malformed, 0),
		T("rx2/destination seed=22", test_rx2_destination, 0),
		T("rx3/indirect-bubble seed=23", test_rx3_indirect_bubble, 0),
		T("rx4/trusted-native seed=24", test_rx4_trusted, 0),
		T("rx5/ping-reply seed=25", test_rx5_ping_reply, 0),
		T("rx6/teredo-source seed=26", test_rx6_teredo_source, 0),
		T("rx9/native/full-cone seed=51", test_rx9_unsolicited_native,
		    &full),
		T("rx9/native/restricted seed=52",
		    test_rx9_unsolicited_native, &restricted),
		T("rx9/native/port-restricted seed=53",
		    test_rx9_unsolicited_native, &port_restr),
		T("rx9/spoofed seed=27", test_rx9_spoofed, 0),
		T("tx1/trusted seed=31", test_tx1_trusted, 0),
		T("tx2/native/full-cone seed=51", test_tx2_native, &full),
		T("tx2/native/restricted seed=52", test_tx2_native,
		    &restricted),
		T("tx2/native/port-restricted seed=53", test_tx2_native,
		    &port_restr),
		T("tx2/native/no-nat seed=54", test_tx2_native, &public_c),
		T("tx5/teredo/restricted seed=52", test_tx5_teredo,
		    &restricted),
		T("tx5/teredo/port-restricted seed=53", test_tx5_teredo,
		    &port_restr),
		T("tx6/not-global seed=36", test_tx6_not_global, 0),
		T("bubbles/limits seed=41", test_bubble_limits, 0),
		T("bubbles/reset-on-rx seed=42", test_bubble_reset_on_rx, 0),
		T("queue/overflow seed=43", test_queue_overflow, 0),
		T("queue/timeout-teredo seed=44", test_queue_timeout_teredo,
		    0),
		T("queue/timeout-native seed=45", test_queue_timeout_native,
		    0),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
