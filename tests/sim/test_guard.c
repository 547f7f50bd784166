/*
 * test_guard.c - the client's part of the Teredo security model end to
 * end (guard contract §1; HARD-2/3/4, CVE-2006-6264/6265/6266, CLI-RX-5,
 * dormancy): the real client, server and relay cores on the simulated
 * fabrics (world.h), virtual time.  Each attack is run against the
 * defence AND next to the legitimate exchange it must not break.  The
 * simulator checks its invariants after every step (one address, only
 * QUALIFIED has it preferred, DORMANT and its wake-up a deprecated one).
 */
#include <string.h>

#include "world.h"
#include "weaken.h"

#define MIN	(60 * SW_SEC)

/* Events of a kind in [t0, t1). */
static unsigned
events(const struct sim_node *n, enum sim_ev_kind k, sw_time t0, sw_time t1)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n->n_log; i++)
		c += n->log[i].kind == k && n->log[i].t >= t0 &&
		    n->log[i].t < t1;
	return c;
}

/* A UDP packet (8-byte header + 8 bytes) from src to dst:dport. */
static size_t
w_udp(uint8_t *out, size_t cap, const uint8_t src[16], const uint8_t dst[16],
    uint16_t dport)
{
	if (sw_ip6_build(out, cap, src, dst, SW_NH_UDP, 64, 16) != SW_IP6_HLEN)
		fail_msg("w_udp: build failed");
	memset(out + SW_IP6_HLEN, 0x5a, 16);
	sw_put16(out + SW_IP6_HLEN, 5000);
	sw_put16(out + SW_IP6_HLEN + 2, dport);
	sw_put16(out + SW_IP6_HLEN + 4, 16);
	sw_put16(out + SW_IP6_HLEN + 6, 0);	/* no checksum: not checked */
	return SW_IP6_HLEN + 16;
}

static enum sw_client_state
state_of(const struct sim_node *c)
{
	struct sw_client_status st;

	sim_client_status(c, &st);
	return st.state;
}

static void
setup(struct world *w, uint64_t seed, int c1_nat, int c2_nat,
    sw_time dormant_after)
{
	struct world_opts o;

	world_opts_default(&o, seed, c1_nat, c2_nat);
	o.cconf.edge = true;			/* as the daemon runs it */
	o.cconf.dormant_after = dormant_after;
	world_init(w, &o);
	world_qualify(w);
}

/* ---- dormancy ---------------------------------------------------------- */

/*
 * Ten idle minutes (DormantAfter 600): DORMANT, the address deprecated;
 * then not one RS for an hour.  The host pings N: that packet is lost,
 * qualification runs again with the same server, the address is
 * preferred again (or replaced: the NAT's mapping lapsed), and the next
 * ping goes through.
 */
static void
test_dormant_wakes_on_send(void **state)
{
	struct sw_client_status st;
	struct world w;
	sw_time t0, td;

	(void)state;
	setup(&w, 501, SIM_NAT_PORT_RESTRICTED, W_NONE, 10 * MIN);
	t0 = w.sim->now;
	world_run(&w, t0 + 10 * MIN - 2 * SW_SEC);
	W_CHECK_EQ(&w, state_of(w.c1), SW_CLIENT_QUALIFIED);
	W_CHECK(&w, w_sends(w.c1, W_S_P, t0, w.sim->now) >= 10);
	world_run(&w, t0 + 11 * MIN);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.state, SW_CLIENT_DORMANT);
	W_CHECK_EQ(&w, st.dormancies, 1);
	W_CHECK(&w, w.c1->has_addr && w.c1->deprecated);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_ADDR_DEPRECATE), 1);
	td = w.sim->now;
	world_run(&w, td + 60 * MIN);
	W_CHECK_EQ(&w, w_sends(w.c1, 0, td, w.sim->now), 0);	/* no RS */
	W_CHECK_EQ(&w, state_of(w.c1), SW_CLIENT_DORMANT);
	/* the host sends: dropped, wakes the client */
	w_client_ping(&w, w.c1, w.n6, 1, 16);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_DORMANT), 1);
	world_run(&w, w.sim->now + SW_SEC);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.state, SW_CLIENT_QUALIFIED);
	/* the NAT forgot the idle mapping in that hour: a new mapping, so
	 * the address is replaced (never withdrawn); with the same mapping
	 * it would be the same address (test_dormant_listener) */
	W_CHECK_EQ(&w, st.address_changes,
	    memcmp(st.addr, w.c1_6, 16) == 0 ? 0 : 1);
	memcpy(w.c1_6, st.addr, 16);
	W_CHECK(&w, w.c1->has_addr && !w.c1->deprecated);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_ADDR_CLEAR), 0);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REQ, w.c1_6, 1, NULL,
	    NULL), 0);
	/* delivery works again, both ways */
	w_client_ping(&w, w.c1, w.n6, 2, 16);
	world_run(&w, w.sim->now + 2 * SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REQ, w.c1_6, 2, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.n6, 2, NULL,
	    NULL), 1);
	world_free(&w);
}

/* A granted listener keeps the client qualified however idle; when it
 * goes, the client sleeps DormantAfter later; a new one wakes it. */
static void
test_dormant_listener(void **state)
{
	struct world w;
	sw_time t0;

	(void)state;
	setup(&w, 502, SIM_NAT_FULL_CONE, W_NONE, 10 * MIN);
	sim_client_set_listening(w.c1, true);
	t0 = w.sim->now;
	world_run(&w, t0 + 60 * MIN);
	W_CHECK_EQ(&w, state_of(w.c1), SW_CLIENT_QUALIFIED);
	W_CHECK(&w, w_sends(w.c1, W_S_P, w.sim->now - 5 * MIN,
	    w.sim->now) >= 5);			/* still refreshing */
	sim_client_set_listening(w.c1, false);
	t0 = w.sim->now;
	world_run(&w, t0 + 9 * MIN);
	W_CHECK_EQ(&w, state_of(w.c1), SW_CLIENT_QUALIFIED);
	world_run(&w, t0 + 10 * MIN + 5 * SW_SEC);
	W_CHECK_EQ(&w, state_of(w.c1), SW_CLIENT_DORMANT);
	sim_client_set_listening(w.c1, true);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, state_of(w.c1), SW_CLIENT_QUALIFIED);
	W_CHECK(&w, !w.c1->deprecated);
	/* within the NAT's 60 s: the same mapping, the same address */
	W_CHECK(&w, memcmp(w.c1->addr6, w.c1_6, 16) == 0);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_ADDR_SET), 2);
	world_free(&w);
}

/* ---- HARD-2: the edge ---------------------------------------------------- */

/*
 * Bubble-to-open (CVE-2006-6265): H bubbles C1 through the server, C1
 * answers (the NAT opens for H), H's direct bubble makes it a trusted
 * peer; its UDP to a port nobody granted is not delivered.  With the port
 * granted it is; an echo request always is.
 */
static void
test_bubble_to_open(void **state)
{
	const struct sw_v4ep srv = { W_S_P, SW_TEREDO_PORT };
	static const uint16_t udp[] = { 2323 };
	struct sw_edge e;
	uint8_t pkt[256];
	struct world w;
	size_t len;
	sw_time t0;

	(void)state;
	setup(&w, 503, SIM_NAT_PORT_RESTRICTED, W_NONE, 0);
	t0 = w.sim->now;
	len = w_bubble(pkt, sizeof pkt, w.h6, w.c1_6);
	sim_send(w.h, W_H_PORT, &srv, pkt, len);
	world_run(&w, t0 + 100 * SW_MSEC);
	W_CHECK_EQ(&w, w_bubbles(&w, w.c1, W_H_ADDR, t0, w.sim->now), 1);
	sim_send(w.h, W_H_PORT, &w.c1_map, pkt, len);	/* direct bubble */
	world_run(&w, t0 + 200 * SW_MSEC);
	len = w_udp(pkt, sizeof pkt, w.h6, w.c1_6, 2323);
	sim_send(w.h, W_H_PORT, &w.c1_map, pkt, len);
	world_run(&w, t0 + 300 * SW_MSEC);
	W_CHECK_EQ(&w, w.nat1->st.filtered, 0);		/* the NAT let it in */
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER),
	    SW_DEFENCE(EDGE) ? 0 : 1);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_EDGE_NOT_GRANTED),
	    SW_DEFENCE(EDGE) ? 1 : 0);
	/* an echo request: delivered (the stack answers it) */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w.h6, w.c1_6, 9, 8);
	sim_send(w.h, W_H_PORT, &w.c1_map, pkt, len);
	world_run(&w, t0 + 400 * SW_MSEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.h6, 9, NULL, NULL),
	    1);
	/* granted: delivered */
	assert_int_equal(sw_edge_set(&e, NULL, 0, udp, 1), 0);
	sim_client_set_edge(w.c1, &e);
	len = w_udp(pkt, sizeof pkt, w.h6, w.c1_6, 2323);
	sim_send(w.h, W_H_PORT, &w.c1_map, pkt, len);
	world_run(&w, t0 + 500 * SW_MSEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_EDGE_NOT_GRANTED),
	    SW_DEFENCE(EDGE) ? 1 : 0);
	W_CHECK_EQ(&w, events(w.c1, SIM_EV_DELIVER, t0 + 400 * SW_MSEC,
	    w.sim->now), 1);
	world_free(&w);
}

/*
 * Teredo to Teredo with the edge on: C1 opens, C2 answers its echo
 * request (ICMPv6 echo requests pass C2's edge; C2's reply belongs to
 * C1's echo flow).  [harden] Solicitation is per flow, from what the
 * hosts' applications send: C2's kernel answered an echo request, which
 * opens nothing at C2, and C1's echo flow opens no UDP port at C1, so
 * UDP either way to a port nobody granted is refused (without
 * SW_DEFENCE(FLOW): delivered, the reviewed defect).  Once C1 sends UDP
 * 5000 -> 7777 to C2, C2's answer 7777 -> 5000 is delivered at C1.
 */
static void
test_teredo_to_teredo(void **state)
{
	uint8_t pkt[256];
	struct world w;
	size_t len;
	sw_time t0;
	unsigned refused = SW_DEFENCE(EDGE) && SW_DEFENCE(FLOW);

	(void)state;
	setup(&w, 504, SIM_NAT_PORT_RESTRICTED, SIM_NAT_RESTRICTED, 0);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.c2_6, 1, 16);
	world_run(&w, t0 + 3 * SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c2, SW_ICMP6_ECHO_REQ, w.c1_6, 1, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REPLY, w.c2_6, 1, NULL,
	    NULL), 1);
	/* UDP from C2 to C1: C1 opened only its echo flow */
	len = w_udp(pkt, sizeof pkt, w.c2_6, w.c1_6, 7777);
	sim_client_send(w.c2, pkt, len);
	world_run(&w, t0 + 4 * SW_SEC);
	W_CHECK_EQ(&w, events(w.c1, SIM_EV_DELIVER, t0 + 3 * SW_SEC,
	    w.sim->now), 1 - refused);
	/* UDP from C1 to C2: C2's host only answered with its kernel's
	 * echo reply */
	len = w_udp(pkt, sizeof pkt, w.c1_6, w.c2_6, 7777);
	sim_client_send(w.c1, pkt, len);
	world_run(&w, t0 + 5 * SW_SEC);
	W_CHECK_EQ(&w, events(w.c2, SIM_EV_DELIVER, t0 + 4 * SW_SEC,
	    w.sim->now), 1 - refused);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_EDGE_NOT_GRANTED) +
	    w_drop(w.c2, SW_DROP_EDGE_NOT_GRANTED), 2 * refused);
	/* C1 opened UDP 5000 -> 7777 (just now): C2's answer on it */
	len = w_udp(pkt, sizeof pkt, w.c2_6, w.c1_6, 5000);
	sw_put16(pkt + SW_IP6_HLEN, 7777);
	sim_client_send(w.c2, pkt, len);
	world_run(&w, t0 + 6 * SW_SEC);
	W_CHECK_EQ(&w, events(w.c1, SIM_EV_DELIVER, t0 + 5 * SW_SEC,
	    w.sim->now), 1);
	world_free(&w);
}

/*
 * HARD-2/3: N, through the relay, sends UDP to a port of C1 nobody
 * granted: C1 runs no ping test (the server forwards no echo request),
 * delivers nothing.  N's echo request is tested and delivered.
 */
static void
test_native_unsolicited_no_ping(void **state)
{
	uint8_t pkt[256];
	struct world w;
	uint64_t tests;
	size_t len;
	sw_time t0;

	(void)state;
	setup(&w, 505, SIM_NAT_FULL_CONE, W_NONE, 0);
	t0 = w.sim->now;
	tests = sw_server_stats(w.srv->server)->relayed_ip6;
	for (unsigned i = 0; i < 5; i++) {
		len = w_udp(pkt, sizeof pkt, w.n6, w.c1_6,
		    (uint16_t)(4000 + i));
		sim_native_send(w.native, pkt, len);
		world_run(&w, t0 + (i + 1) * 3 * SW_SEC);
	}
	if (SW_DEFENCE(EDGE)) {
		W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6,
		    tests);
		W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
		W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_EDGE_NOT_GRANTED), 5);
	} else {
		W_CHECK(&w, sw_server_stats(w.srv->server)->relayed_ip6 >
		    tests);
	}
	/* its echo request: one test, delivered */
	tests = sw_server_stats(w.srv->server)->relayed_ip6;
	w_native_ping(&w, w.c1_6, 77);
	world_run(&w, w.sim->now + 2 * SW_SEC);
	W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6,
	    tests + 1);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.n6, 77, NULL,
	    NULL), 1);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REPLY, w.c1_6, 77,
	    NULL, NULL), 1);
	world_free(&w);
}

/* ---- HARD-4 ---------------------------------------------------------------- */

/*
 * CVE-2006-6264: the attacker spoofs its IPv4 source as an internal
 * address (C1 has no NAT; 203.0.113.0/26 is its "intranet") behind a
 * Teredo source embedding it, directly and as an indirect bubble through
 * the server.  C1 sends nothing toward the internal address and delivers
 * nothing.  The same from an outside address is answered.
 */
static void
test_intranet_source(void **state)
{
	const struct sw_v4ep srv = { W_S_P, SW_TEREDO_PORT };
	const struct sw_v4ep inside = { SW_IP4(203, 0, 113, 40), 7000 };
	const struct sw_v4ep outside = { SW_IP4(192, 0, 2, 99), 7000 };
	struct world_opts o;
	uint8_t in6[16], out6[16], pkt[256];
	struct world w;
	size_t len;
	sw_time t0;

	(void)state;
	world_opts_default(&o, 506, W_NO_NAT, W_NONE);
	o.cconf.edge = true;
	o.cconf.intranet[0] = (struct sw_v4_net){ SW_IP4(203, 0, 113, 0),
	    26 };
	o.cconf.n_intranet = 1;
	world_init(&w, &o);
	world_qualify(&w);
	t0 = w.sim->now;
	w_teredo(in6, W_S_P, inside.addr, inside.port);
	w_teredo(out6, W_S_P, outside.addr, outside.port);
	/* an echo request (passes the edge) and an indirect bubble */
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, in6, w.c1_6, 3, 8);
	sim_send_spoofed(w.att, &inside, &w.c1_map, pkt, len);
	len = w_bubble(pkt, sizeof pkt, in6, w.c1_6);
	sim_send_spoofed(w.att, &inside, &srv, pkt, len);
	world_run(&w, t0 + 5 * SW_SEC);
	if (SW_DEFENCE(INTRANET)) {
		W_CHECK_EQ(&w, w_sends(w.c1, inside.addr, t0, w.sim->now), 0);
		W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
		W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_SRC_INTRANET), 2);
	} else {
		W_CHECK(&w, w_sends(w.c1, inside.addr, t0, w.sim->now) > 0);
	}
	/* from outside: delivered, and answered (the stack's echo reply
	 * and the direct bubble go to the outside address) */
	t0 = w.sim->now;
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, out6, w.c1_6, 4, 8);
	sim_send_spoofed(w.att, &outside, &w.c1_map, pkt, len);
	world_run(&w, t0 + 3 * SW_SEC);
	len = w_bubble(pkt, sizeof pkt, out6, w.c1_6);
	sim_send_spoofed(w.att, &outside, &srv, pkt, len);
	world_run(&w, t0 + 6 * SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, out6, 4, NULL, NULL),
	    1);
	W_CHECK(&w, w_sends(w.c1, outside.addr, t0, w.sim->now) >= 2);
	world_free(&w);
}

/* ---- HARD-3 ----------------------------------------------------------------- */

/*
 * CVE-2006-6266: a flood of echo requests (they pass the edge) from a
 * spoofed native source makes C1 test that source at most 4 times in
 * its lifetime, 2 s apart (the server forwards exactly that), never
 * delivers; the rest counted as PING_LIMIT.  A real native host that
 * answers its test is delivered to as usual.
 */
static void
test_ping_limits(void **state)
{
	uint8_t fake[16], pkt[256];
	struct world w;
	uint64_t tests;
	sw_time t0, prev = 0;
	size_t len;

	(void)state;
	setup(&w, 507, SIM_NAT_FULL_CONE, W_NONE, 0);
	assert_int_equal(sw_addr_parse6("2001:db8:dead::1", fake), 0);
	t0 = w.sim->now;
	tests = sw_server_stats(w.srv->server)->relayed_ip6;
	for (unsigned i = 0; i < 600; i++) {
		len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, fake, w.c1_6,
		    (uint16_t)i, 16);
		sim_send(w.att, 7000, &w.c1_map, pkt, len);
		world_run(&w, t0 + (i + 1) * 100 * SW_MSEC);
	}
	world_run(&w, t0 + 70 * SW_SEC);
	W_CHECK_EQ(&w, sim_log_count(w.c1, SIM_EV_DELIVER), 0);
	W_CHECK_EQ(&w, sw_server_stats(w.srv->server)->relayed_ip6 - tests, 4);
	for (unsigned i = 0; i < w.srv->n_log; i++) {
		const struct sim_ev *e = &w.srv->log[i];

		if (e->kind != SIM_EV_IP6 || e->t < t0)
			continue;
		W_CHECK(&w, prev == 0 || e->t - prev >= 2 * SW_SEC);
		prev = e->t;
	}
	W_CHECK(&w, w_drop(w.c1, SW_DROP_PING_LIMIT) >= 500);
	W_CHECK_EQ(&w, w_drops(w.c1), 600);
	/* a real host is not hurt */
	w_native_ping(&w, w.c1_6, 5);
	world_run(&w, w.sim->now + 2 * SW_SEC);
	W_CHECK_EQ(&w, w_echoes(w.c1, SW_ICMP6_ECHO_REQ, w.n6, 5, NULL, NULL),
	    1);
	world_free(&w);
}

/* ---- CLI-RX-5 ------------------------------------------------------------- */

/*
 * C1 pings N (a ping test through the server); the attacker, guessing,
 * answers first with an echo reply from N's address carrying a wrong
 * nonce.  C1 does not trust it: nothing goes to the attacker, the real
 * reply through the relay trusts N there and C1's ping reaches N.
 */
static void
test_spoofed_echo_reply(void **state)
{
	uint8_t pkt[256], guess[8] = { 0 };
	struct world w;
	int n;
	sw_time t0;

	(void)state;
	setup(&w, 508, SIM_NAT_FULL_CONE, W_NONE, 0);
	t0 = w.sim->now;
	w_client_ping(&w, w.c1, w.n6, 11, 16);
	n = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, w.n6,
	    w.c1_6, 64, 1, 1, guess, sizeof guess);
	assert_true(n > 0);
	sim_send(w.att, 7000, &w.c1_map, pkt, (size_t)n);
	world_run(&w, t0 + 3 * SW_SEC);
	W_CHECK_EQ(&w, w_drop(w.c1, SW_DROP_PING_NONCE),
	    SW_DEFENCE(PING_NONCE) ? 1 : 0);
	if (SW_DEFENCE(PING_NONCE))
		W_CHECK_EQ(&w, w.att->st.received, 0);
	W_CHECK_EQ(&w, w_echoes(w.native, SW_ICMP6_ECHO_REQ, w.c1_6, 11,
	    NULL, NULL), SW_DEFENCE(PING_NONCE) ? 1 : 0);
	world_free(&w);
}

/* ---- stop ------------------------------------------------------------------ */

/* The firewall is lost: the client stops (address withdrawn) and stays
 * silent until started again. */
static void
test_stop(void **state)
{
	struct sw_client_status st;
	struct world w;
	sw_time t0;

	(void)state;
	setup(&w, 509, SIM_NAT_FULL_CONE, W_NONE, 0);
	sim_client_stop(w.c1, SW_CLIENT_REASON_NO_FIREWALL);
	t0 = w.sim->now;
	W_CHECK(&w, !w.c1->has_addr);
	world_run(&w, t0 + 30 * MIN);
	W_CHECK_EQ(&w, w_sends(w.c1, 0, t0, w.sim->now), 0);
	sim_client_status(w.c1, &st);
	W_CHECK_EQ(&w, st.state, SW_CLIENT_OFFLINE);
	W_CHECK_EQ(&w, st.reason, SW_CLIENT_REASON_NO_FIREWALL);
	sim_client_start(w.c1);
	world_run(&w, w.sim->now + SW_SEC);
	W_CHECK_EQ(&w, state_of(w.c1), SW_CLIENT_QUALIFIED);
	world_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dormant_wakes_on_send),
		cmocka_unit_test(test_dormant_listener),
		cmocka_unit_test(test_bubble_to_open),
		cmocka_unit_test(test_teredo_to_teredo),
		cmocka_unit_test(test_native_unsolicited_no_ping),
		cmocka_unit_test(test_intranet_source),
		cmocka_unit_test(test_ping_limits),
		cmocka_unit_test(test_spoofed_echo_reply),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests_name("guard", tests, NULL, NULL);
}
