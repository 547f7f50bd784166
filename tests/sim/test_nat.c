/*
 * test_nat.c - the simulator's fabric and NAT models themselves: filtering
 * per NAT type, mapping per destination, port allocation, flush, expiry,
 * the table bound, seeded loss, cuts, routing and tie order.
 *
 * World: host H 10.1.0.2 behind a NAT whose public address is
 * 198.51.100.1; public hosts P 192.0.2.50 and Q 192.0.2.60.
 */
#include <string.h>

#include "simtest.h"
#include "sw.h"

#define NAT_PUB  SW_IP4(198, 51, 100, 1)
#define H_ADDR   SW_IP4(10, 1, 0, 2)
#define H2_ADDR  SW_IP4(10, 1, 0, 3)
#define P_ADDR   SW_IP4(192, 0, 2, 50)
#define Q_ADDR   SW_IP4(192, 0, 2, 60)
#define SEED     0x5eedull

struct world {
	struct sim *sim;
	struct sim_nat *nat;
	struct sim_node *h, *p, *q;
};

static void
world_init(struct world *w, uint64_t seed, const struct sim_nat_conf *conf)
{
	w->sim = sim_new(seed);
	w->nat = sim_add_nat(w->sim, conf);
	w->h = sim_add_host(w->sim, "H", w->nat, H_ADDR, false);
	w->p = sim_add_host(w->sim, "P", NULL, P_ADDR, false);
	w->q = sim_add_host(w->sim, "Q", NULL, Q_ADDR, false);
}

static void
world_default(struct world *w, enum sim_nat_type type)
{
	struct sim_nat_conf c;

	sim_nat_conf_default(&c, type, NAT_PUB);
	world_init(w, SEED, &c);
}

static const uint8_t payload[] = "hello";

static void
send4(struct sim_node *from, uint16_t sport, uint32_t addr, uint16_t port)
{
	struct sw_v4ep dst = { addr, port };

	sim_send(from, sport, &dst, payload, sizeof payload);
}

/* The source port n last received from (the NAT's external port). */
static uint16_t
last_src_port(struct sim *sim, const struct sim_node *n)
{
	const struct sim_ev *e = sim_log_last(n, SIM_EV_RECV);

	SIM_ASSERT(sim, e != NULL);
	SIM_ASSERT_EQ(sim, e->src.addr, NAT_PUB);
	return e->src.port;
}

/* H 5000 -> P 7000, returns the external port P saw. */
static uint16_t
open_mapping(struct world *w)
{
	send4(w->h, 5000, P_ADDR, 7000);
	SIM_RUN(w->sim, w->sim->now + 20 * SW_MSEC);
	return last_src_port(w->sim, w->p);
}

/* Does a datagram from `from` (sport) to NAT_PUB:ext reach H? */
static bool
probe(struct world *w, struct sim_node *from, uint16_t sport, uint16_t ext)
{
	uint64_t before = w->h->st.received;

	send4(from, sport, NAT_PUB, ext);
	SIM_RUN(w->sim, w->sim->now + 20 * SW_MSEC);
	return w->h->st.received == before + 1;
}

/* ---- filtering per type ------------------------------------------------ */

static const struct filter_case {
	enum sim_nat_type type;
	bool same_ep, same_host_other_port, other_host;
} filter_cases[] = {
	{ SIM_NAT_FULL_CONE,       true, true,  true  },
	{ SIM_NAT_RESTRICTED,      true, true,  false },
	{ SIM_NAT_PORT_RESTRICTED, true, false, false },
	{ SIM_NAT_SYMMETRIC,       true, false, false },
};

static void
test_filtering(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof filter_cases / sizeof filter_cases[0];
	    i++) {
		const struct filter_case *fc = &filter_cases[i];
		struct world w;
		uint16_t ext;
		unsigned denied = !fc->same_host_other_port + !fc->other_host;

		world_default(&w, fc->type);
		ext = open_mapping(&w);
		SIM_ASSERT(w.sim, ext >= 1024);
		SIM_ASSERT_EQ(w.sim, probe(&w, w.p, 7000, ext), fc->same_ep);
		SIM_ASSERT_EQ(w.sim, probe(&w, w.p, 7001, ext),
		    fc->same_host_other_port);
		SIM_ASSERT_EQ(w.sim, probe(&w, w.q, 7000, ext), fc->other_host);
		/* what the mapping passed arrived with P/Q's source */
		SIM_ASSERT_EQ(w.sim, sim_log_last(w.h, SIM_EV_RECV)->dst.port,
		    5000);
		SIM_ASSERT_EQ(w.sim, w.nat->st.filtered, denied);
		SIM_ASSERT_EQ(w.sim, w.nat->st.in, 3 - denied);
		SIM_ASSERT_EQ(w.sim, w.nat->st.no_mapping, 0);
		/* a port with no mapping: dropped for every type */
		SIM_ASSERT(w.sim, !probe(&w, w.p, 7000,
		    (uint16_t)(ext == 65535 ? 1024 : ext + 1)));
		SIM_ASSERT_EQ(w.sim, w.nat->st.no_mapping, 1);
		sim_free(w.sim);
	}
}

/* Unsolicited inbound before any outbound, and a reply path (echo). */
static void
test_unsolicited_and_echo(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof filter_cases / sizeof filter_cases[0];
	    i++) {
		struct world w;
		struct sim_node *e;

		world_default(&w, filter_cases[i].type);
		e = sim_add_host(w.sim, "E", NULL, SW_IP4(192, 0, 2, 70), true);
		for (uint16_t port = 1024; port < 1034; port++)
			SIM_ASSERT(w.sim, !probe(&w, w.p, 7000, port));
		SIM_ASSERT_EQ(w.sim, w.nat->st.no_mapping, 10);
		SIM_ASSERT_EQ(w.sim, w.h->st.received, 0);

		/* H -> echo -> back through the NAT to H, for every type */
		send4(w.h, 5000, SW_IP4(192, 0, 2, 70), 9);
		SIM_RUN(w.sim, w.sim->now + 15 * SW_MSEC);
		SIM_ASSERT_EQ(w.sim, e->st.received, 1);
		SIM_ASSERT_EQ(w.sim, w.h->st.received, 0);	/* in flight */
		SIM_RUN(w.sim, w.sim->now + 10 * SW_MSEC);
		SIM_ASSERT_EQ(w.sim, w.h->st.received, 1);
		SIM_ASSERT_EQ(w.sim, sim_log_last(w.h, SIM_EV_RECV)->src.addr,
		    SW_IP4(192, 0, 2, 70));
		sim_free(w.sim);
	}
}

/* ---- mapping behaviour --------------------------------------------------- */

static void
test_mapping_per_destination(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof filter_cases / sizeof filter_cases[0];
	    i++) {
		struct world w;
		uint16_t a, b, c;
		bool sym = filter_cases[i].type == SIM_NAT_SYMMETRIC;

		world_default(&w, filter_cases[i].type);
		a = open_mapping(&w);
		send4(w.h, 5000, P_ADDR, 7001);
		SIM_RUN(w.sim, w.sim->now + 20 * SW_MSEC);
		b = last_src_port(w.sim, w.p);
		send4(w.h, 5000, Q_ADDR, 7000);
		SIM_RUN(w.sim, w.sim->now + 20 * SW_MSEC);
		c = last_src_port(w.sim, w.q);
		if (sym) {
			SIM_ASSERT(w.sim, a != b && b != c && a != c);
			SIM_ASSERT_EQ(w.sim, w.nat->st.created, 3);
			/* each mapping answers only its own destination */
			SIM_ASSERT(w.sim, !probe(&w, w.q, 7000, a));
			SIM_ASSERT(w.sim, probe(&w, w.q, 7000, c));
		} else {
			SIM_ASSERT(w.sim, a == b && b == c);
			SIM_ASSERT_EQ(w.sim, w.nat->st.created, 1);
			/* after sending to Q, Q gets in (every cone type) */
			SIM_ASSERT(w.sim, probe(&w, w.q, 7000, a));
		}
		uint16_t look = 0;
		SIM_ASSERT(w.sim, sim_nat_lookup(w.nat,
		    &(struct sw_v4ep){ H_ADDR, 5000 },
		    &(struct sw_v4ep){ Q_ADDR, 7000 }, &look));
		SIM_ASSERT_EQ(w.sim, look, c);
		sim_free(w.sim);
	}
}

static void
test_port_allocation(void **state)
{
	struct sim_nat_conf c;
	struct world w;
	struct sim_node *h2;
	uint16_t p1, p2;

	(void)state;
	/* preserved when free; the second host with the same port gets
	 * another one */
	sim_nat_conf_default(&c, SIM_NAT_PORT_RESTRICTED, NAT_PUB);
	c.preserve_port = true;
	world_init(&w, SEED, &c);
	h2 = sim_add_host(w.sim, "H2", w.nat, H2_ADDR, false);
	SIM_ASSERT_EQ(w.sim, open_mapping(&w), 5000);
	send4(h2, 5000, P_ADDR, 7000);
	SIM_RUN(w.sim, w.sim->now + 20 * SW_MSEC);
	p2 = last_src_port(w.sim, w.p);
	SIM_ASSERT(w.sim, p2 != 5000 && p2 >= 1024);
	SIM_ASSERT(w.sim, probe(&w, w.p, 7000, 5000));
	SIM_ASSERT_EQ(w.sim, sim_log_last(w.h, SIM_EV_RECV)->dst.addr, H_ADDR);
	uint64_t h2_before = h2->st.received;
	send4(w.p, 7000, NAT_PUB, p2);
	SIM_RUN(w.sim, w.sim->now + 20 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, h2->st.received, h2_before + 1);
	sim_free(w.sim);

	/* sequential */
	sim_nat_conf_default(&c, SIM_NAT_SYMMETRIC, NAT_PUB);
	c.alloc = SIM_PORTS_SEQUENTIAL;
	world_init(&w, SEED, &c);
	p1 = open_mapping(&w);
	send4(w.h, 5000, Q_ADDR, 7000);
	SIM_RUN(w.sim, w.sim->now + 20 * SW_MSEC);
	p2 = last_src_port(w.sim, w.q);
	SIM_ASSERT_EQ(w.sim, p1, 1024);
	SIM_ASSERT_EQ(w.sim, p2, 1025);
	sim_free(w.sim);
}

/* Random ports: in range, distinct, a function of the seed. */
static void
random_ports(uint64_t seed, uint16_t out[16])
{
	struct sim_nat_conf c;
	struct world w;

	sim_nat_conf_default(&c, SIM_NAT_SYMMETRIC, NAT_PUB);
	world_init(&w, seed, &c);
	for (unsigned i = 0; i < 16; i++) {
		send4(w.h, 5000, P_ADDR, (uint16_t)(7000 + i));
		SIM_RUN(w.sim, w.sim->now + 20 * SW_MSEC);
		out[i] = last_src_port(w.sim, w.p);
		SIM_ASSERT(w.sim, out[i] >= 1024);
		for (unsigned j = 0; j < i; j++)
			SIM_ASSERT(w.sim, out[j] != out[i]);
	}
	sim_free(w.sim);
}

static void
test_random_ports_seeded(void **state)
{
	uint16_t a[16], b[16], c[16];

	(void)state;
	random_ports(11, a);
	random_ports(11, b);
	random_ports(12, c);
	assert_memory_equal(a, b, sizeof a);
	assert_memory_not_equal(a, c, sizeof a);
}

/* conntrack -F: the next outbound gets a new port, the old one is dead. */
static void
test_flush_changes_port(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof filter_cases / sizeof filter_cases[0];
	    i++) {
		for (int preserve = 0; preserve <= 1; preserve++) {
			struct sim_nat_conf c;
			struct world w;
			uint16_t p1, p2, p3;

			sim_nat_conf_default(&c, filter_cases[i].type, NAT_PUB);
			c.preserve_port = preserve;
			world_init(&w, SEED + i, &c);
			p1 = open_mapping(&w);
			sim_nat_flush(w.nat);
			SIM_ASSERT_EQ(w.sim, sim_nat_live(w.nat), 0);
			SIM_ASSERT_EQ(w.sim, w.nat->st.flushed, 1);
			SIM_ASSERT(w.sim, !probe(&w, w.p, 7000, p1));
			p2 = open_mapping(&w);
			SIM_ASSERT(w.sim, p2 != p1);
			SIM_ASSERT(w.sim, probe(&w, w.p, 7000, p2));
			/* and again: not back to the first one either */
			sim_nat_flush(w.nat);
			p3 = open_mapping(&w);
			SIM_ASSERT(w.sim, p3 != p1 && p3 != p2);
			sim_free(w.sim);
		}
	}
}

static void
test_expiry(void **state)
{
	struct sim_nat_conf c;
	struct world w;
	uint16_t ext, ext2;

	(void)state;
	sim_nat_conf_default(&c, SIM_NAT_PORT_RESTRICTED, NAT_PUB);
	c.timeout = 30 * SW_SEC;
	world_init(&w, SEED, &c);
	ext = open_mapping(&w);			/* mapped at t = 0 */
	SIM_RUN(w.sim, 29 * SW_SEC);
	SIM_ASSERT(w.sim, probe(&w, w.p, 7000, ext));	/* 29.01 s */
	SIM_RUN(w.sim, 31 * SW_SEC);
	SIM_ASSERT(w.sim, !probe(&w, w.p, 7000, ext));	/* 31.01 s */
	SIM_ASSERT_EQ(w.sim, w.nat->st.expired, 1);
	SIM_ASSERT_EQ(w.sim, w.nat->st.no_mapping, 1);
	ext2 = open_mapping(&w);
	SIM_ASSERT(w.sim, ext2 != ext);
	SIM_ASSERT_EQ(w.sim, w.nat->st.created, 2);
	sim_free(w.sim);

	/* outbound refreshes, inbound does not */
	world_init(&w, SEED, &c);
	ext = open_mapping(&w);
	SIM_RUN(w.sim, 20 * SW_SEC);
	SIM_ASSERT_EQ(w.sim, open_mapping(&w), ext);
	SIM_RUN(w.sim, 40 * SW_SEC);
	SIM_ASSERT_EQ(w.sim, open_mapping(&w), ext);	/* last out: 40 s */
	SIM_RUN(w.sim, 60 * SW_SEC);
	SIM_ASSERT(w.sim, probe(&w, w.p, 7000, ext));
	SIM_RUN(w.sim, 69 * SW_SEC);
	SIM_ASSERT(w.sim, probe(&w, w.p, 7000, ext));
	SIM_RUN(w.sim, 71 * SW_SEC);
	SIM_ASSERT(w.sim, !probe(&w, w.p, 7000, ext));
	SIM_ASSERT_EQ(w.sim, w.nat->st.created, 1);
	sim_free(w.sim);
}

static void
test_table_bound(void **state)
{
	struct sim_nat_conf c;
	struct world w;

	(void)state;
	sim_nat_conf_default(&c, SIM_NAT_FULL_CONE, NAT_PUB);
	c.max_mappings = 4;
	c.timeout = 30 * SW_SEC;
	world_init(&w, SEED, &c);
	for (uint16_t port = 5000; port < 5006; port++)
		send4(w.h, port, P_ADDR, 7000);
	SIM_RUN(w.sim, 20 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->st.received, 4);
	SIM_ASSERT_EQ(w.sim, w.nat->st.table_full, 2);
	SIM_ASSERT_EQ(w.sim, sim_nat_live(w.nat), 4);
	/* existing mappings still work while full */
	send4(w.h, 5001, P_ADDR, 7000);
	SIM_RUN(w.sim, 40 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->st.received, 5);
	/* once they expire there is room again */
	SIM_RUN(w.sim, 31 * SW_SEC);
	send4(w.h, 5005, P_ADDR, 7000);
	SIM_RUN(w.sim, w.sim->now + 20 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->st.received, 6);
	SIM_ASSERT_EQ(w.sim, w.nat->st.table_full, 2);
	SIM_ASSERT_EQ(w.sim, sim_nat_live(w.nat), 1);
	sim_free(w.sim);
}

/* ---- the fabric ---------------------------------------------------------- */

/* 1000 datagrams across a 30 % lossy link; returns how many arrived. */
static struct sim *
lossy_run(uint64_t seed)
{
	struct sim *sim = sim_new(seed);
	struct sim_node *a = sim_add_host(sim, "A", NULL, P_ADDR, false);
	struct sim_node *b = sim_add_host(sim, "B", NULL, Q_ADDR, false);

	b->loss = 0.3;
	for (uint16_t i = 0; i < 1000; i++) {
		uint8_t msg[2] = { (uint8_t)(i >> 8), (uint8_t)i };

		sim_send(a, 1000, &(struct sw_v4ep){ Q_ADDR, 2000 }, msg,
		    sizeof msg);
		SIM_RUN(sim, sim->now + SW_MSEC);
	}
	SIM_RUN(sim, sim->now + SW_SEC);
	return sim;
}

static void
test_loss_seeded(void **state)
{
	struct sim *x, *y, *z;

	(void)state;
	x = lossy_run(42);
	y = lossy_run(42);
	z = lossy_run(43);
	SIM_ASSERT(x, x->node[1].st.received >= 650 &&
	    x->node[1].st.received <= 750);
	SIM_ASSERT_EQ(x, x->node[1].st.received + x->node[1].st.lost, 1000);
	SIM_ASSERT_EQ(x, x->st.lost, x->node[1].st.lost);
	SIM_ASSERT(x, sim_log_equal(&x->node[1], &y->node[1]));
	SIM_ASSERT_EQ(x, x->trace, y->trace);
	SIM_ASSERT(z, !sim_log_equal(&x->node[1], &z->node[1]));
	SIM_ASSERT(z, x->trace != z->trace);
	sim_free(x);
	sim_free(y);
	sim_free(z);
}

static void
test_cut_and_route(void **state)
{
	struct world w;

	(void)state;
	world_default(&w, SIM_NAT_FULL_CONE);
	w.p->cut = true;
	send4(w.q, 1, P_ADDR, 7000);		/* to a cut node */
	send4(w.p, 1, Q_ADDR, 7000);		/* from a cut node */
	SIM_RUN(w.sim, 20 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->st.received, 0);
	SIM_ASSERT_EQ(w.sim, w.q->st.received, 0);
	SIM_ASSERT_EQ(w.sim, w.p->st.cut, 2);
	SIM_ASSERT_EQ(w.sim, w.sim->st.cut, 2);
	w.p->cut = false;
	send4(w.q, 1, P_ADDR, 7000);
	send4(w.p, 1, Q_ADDR, 7000);
	SIM_RUN(w.sim, 40 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->st.received, 1);
	SIM_ASSERT_EQ(w.sim, w.q->st.received, 1);

	/* nobody has 203.0.113.99; a private address is not routed */
	send4(w.q, 1, SW_IP4(203, 0, 113, 99), 7000);
	send4(w.q, 1, H_ADDR, 7000);
	SIM_RUN(w.sim, 60 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.sim->st.no_route, 2);
	SIM_ASSERT_EQ(w.sim, w.h->st.received, 0);
	sim_free(w.sim);
}

/* Same instant: delivered in sending order; latency is the sender's. */
static void
test_order_and_latency(void **state)
{
	struct world w;
	uint8_t one = 1, two = 2;

	(void)state;
	world_default(&w, SIM_NAT_FULL_CONE);
	sim_send(w.q, 1, &(struct sw_v4ep){ P_ADDR, 7 }, &one, 1);
	sim_send(w.q, 1, &(struct sw_v4ep){ P_ADDR, 7 }, &two, 1);
	w.h->latency = 3 * SW_MSEC;
	send4(w.h, 5000, P_ADDR, 7000);
	SIM_RUN(w.sim, 3 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->n_log, 1);		/* H's, after 3 ms */
	SIM_ASSERT_EQ(w.sim, w.p->log[0].t, 3 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->log[0].src.addr, NAT_PUB);
	SIM_RUN(w.sim, 10 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->n_log, 3);
	SIM_ASSERT_EQ(w.sim, w.p->log[1].t, 10 * SW_MSEC);
	SIM_ASSERT_EQ(w.sim, w.p->log[2].t, 10 * SW_MSEC);
	SIM_ASSERT(w.sim, w.p->log[1].hash != w.p->log[2].hash);
	SIM_ASSERT_EQ(w.sim, w.q->log[0].hash, w.p->log[1].hash);
	SIM_ASSERT_EQ(w.sim, w.q->log[1].hash, w.p->log[2].hash);
	SIM_ASSERT_EQ(w.sim, w.sim->now, 10 * SW_MSEC);
	sim_free(w.sim);
}

/* Two echo hosts bouncing a datagram with no latency: caught, not hung. */
static void
test_livelock_detected(void **state)
{
	struct sim *sim = sim_new(SEED);
	struct sim_node *a = sim_add_host(sim, "A", NULL, P_ADDR, true);
	struct sim_node *b = sim_add_host(sim, "B", NULL, Q_ADDR, true);

	(void)state;
	a->latency = b->latency = 0;
	sim_send(a, 1, &(struct sw_v4ep){ Q_ADDR, 1 }, payload, 1);
	assert_int_equal(sim_run_until(sim, SW_SEC), -1);
	assert_non_null(sim_error(sim));
	assert_non_null(strstr(sim_error(sim), "no progress"));
	sim_free(sim);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filtering),
		cmocka_unit_test(test_unsolicited_and_echo),
		cmocka_unit_test(test_mapping_per_destination),
		cmocka_unit_test(test_port_allocation),
		cmocka_unit_test(test_random_ports_seeded),
		cmocka_unit_test(test_flush_changes_port),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_table_bound),
		cmocka_unit_test(test_loss_seeded),
		cmocka_unit_test(test_cut_and_route),
		cmocka_unit_test(test_order_and_latency),
		cmocka_unit_test(test_livelock_detected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
