/*
 * test_qualify.c - qualification scenarios: the real client and server
 * cores on the simulated fabric (sim.h), with the lab's NAT behaviours.
 *
 * World (documentation addresses, SW_V4_LAB policy): server S1
 * 192.0.2.10/.11, server S2 192.0.2.20/.21, client C 10.1.0.2:40000
 * behind a NAT whose public address is 198.51.100.1, an attacker A
 * 192.0.2.66 on the public side.  Every test's name carries its seed; the
 * simulator checks its invariants (one Teredo address at most, matching
 * the core's status) after every step of every scenario.
 */
#include <string.h>

#include "simtest.h"
#include "addr.h"
#include "wire.h"

#define S1_P     SW_IP4(192, 0, 2, 10)
#define S1_S     SW_IP4(192, 0, 2, 11)
#define S2_P     SW_IP4(192, 0, 2, 20)
#define S2_S     SW_IP4(192, 0, 2, 21)
#define NAT_PUB  SW_IP4(198, 51, 100, 1)
#define C_ADDR   SW_IP4(10, 1, 0, 2)
#define C_PORT   40000
#define C_PUB    SW_IP4(203, 0, 113, 1)	/* a client with no NAT */
#define ATTACKER SW_IP4(192, 0, 2, 66)
#define NO_NAT   (-1)

struct scen {
	struct sim *sim;
	struct sim_node *srv[2];
	struct sim_nat *nat;
	struct sim_node *cli;
	uint32_t cli_addr;
};

static struct sim_node *
add_server(struct sim *sim, const char *name, uint32_t p, uint32_t s)
{
	struct sw_server_conf c;

	sw_server_conf_default(&c);
	c.primary = p;
	c.secondary = s;
	c.v4.policy = SW_V4_LAB;
	return sim_add_server(sim, name, &c);
}

/* nat_type NO_NAT: the client is public.  The client is not started. */
static void
scen_init(struct scen *s, uint64_t seed, int nat_type, unsigned n_servers)
{
	struct sw_client_conf cc;

	memset(s, 0, sizeof *s);
	s->sim = sim_new(seed);
	s->srv[0] = add_server(s->sim, "S1", S1_P, S1_S);
	if (n_servers > 1)
		s->srv[1] = add_server(s->sim, "S2", S2_P, S2_S);
	sw_client_conf_default(&cc);
	cc.servers[0] = (struct sw_client_server){ S1_P, S1_S };
	cc.servers[1] = (struct sw_client_server){ S2_P, S2_S };
	cc.n_servers = n_servers;
	cc.v4.policy = SW_V4_LAB;
	if (nat_type == NO_NAT) {
		s->cli_addr = C_PUB;
		s->cli = sim_add_client(s->sim, "C", NULL, C_PUB, C_PORT, &cc);
	} else {
		struct sim_nat_conf nc;

		sim_nat_conf_default(&nc, (enum sim_nat_type)nat_type,
		    NAT_PUB);
		s->nat = sim_add_nat(s->sim, &nc);
		s->cli_addr = C_ADDR;
		s->cli = sim_add_client(s->sim, "C", s->nat, C_ADDR, C_PORT,
		    &cc);
	}
}

/* Print the logs before a failure is reported (cmocka longjmps). */
static void
dump_all(const struct scen *s)
{
	for (unsigned i = 0; i < s->sim->n_node; i++)
		if (s->sim->node[i].kind == SIM_CLIENT)
			sim_dump(&s->sim->node[i], stderr);
}

#define CHECK(s, cond) do { \
	if (!(cond)) \
		dump_all(s); \
	SIM_ASSERT((s)->sim, cond); \
} while (0)

#define CHECK_EQ(s, a, b) do { \
	if ((uint64_t)(a) != (uint64_t)(b)) \
		dump_all(s); \
	SIM_ASSERT_EQ((s)->sim, a, b); \
} while (0)

static void
run(struct scen *s, sw_time t)
{
	if (sim_run_until(s->sim, t) != 0) {
		dump_all(s);
		fail_msg("%s", sim_error(s->sim));
	}
}

/* RSs the client sent (all its datagrams go to port 3544 today) to
 * `to` (0: any server) within [from, until). */
static unsigned
rs_count(const struct sim_node *c, uint32_t to, sw_time from, sw_time until)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_log; i++) {
		const struct sim_ev *e = &c->log[i];

		n += e->kind == SIM_EV_SEND && e->dst.port == SW_TEREDO_PORT &&
		    (to == 0 || e->dst.addr == to) && e->t >= from &&
		    e->t < until;
	}
	return n;
}

static const struct sim_ev *
first_ev(const struct sim_node *n, enum sim_ev_kind kind)
{
	for (unsigned i = 0; i < n->n_log; i++)
		if (n->log[i].kind == kind)
			return &n->log[i];
	return NULL;
}

/* An event that must exist (first or last of its kind). */
static const struct sim_ev *
must(const struct scen *s, const struct sim_ev *e, const char *what)
{
	static const struct sim_ev none;

	if (e == NULL) {
		dump_all(s);
		fail_msg("seed %" PRIu64 " t=%" PRIu64 " us: no %s event",
		    s->sim->seed, s->sim->now, what);
		return &none;
	}
	return e;
}

#define FIRST(s, n, k) must((s), first_ev((n), (k)), "first " #k)
#define LAST(s, n, k)  must((s), sim_log_last((n), (k)), "last " #k)

/* Position of the last event of a kind, -1 when none. */
static long
last_pos(const struct sim_node *n, enum sim_ev_kind kind)
{
	for (unsigned i = n->n_log; i-- > 0;)
		if (n->log[i].kind == kind)
			return (long)i;
	return -1;
}

/* The client is QUALIFIED with an address that embeds server, the public
 * address and the port the NAT allocated toward server. */
static void
check_qualified(struct scen *s, uint32_t server)
{
	struct sw_client_status st;
	struct sw_teredo t;
	struct sw_v4ep want = { s->cli_addr, C_PORT };

	sim_client_status(s->cli, &st);
	CHECK_EQ(s, st.state, SW_CLIENT_QUALIFIED);
	CHECK_EQ(s, st.reason, SW_CLIENT_REASON_NONE);
	CHECK(s, st.has_addr);
	CHECK_EQ(s, st.server.primary, server);
	if (s->nat != NULL) {
		struct sw_v4ep srv = { server, SW_TEREDO_PORT };

		want.addr = NAT_PUB;
		CHECK(s, sim_nat_lookup(s->nat,
		    &(struct sw_v4ep){ C_ADDR, C_PORT }, &srv, &want.port));
		CHECK(s, want.port != C_PORT);	/* a NAT port, not ours */
		CHECK_EQ(s, st.nat, SW_NAT_CONE_OR_RESTRICTED);
	} else {
		CHECK_EQ(s, st.nat, SW_NAT_NONE);
	}
	sw_addr_decode(st.addr, &t);
	CHECK(s, sw_addr_is_teredo(st.addr, SW_TEREDO_PREFIX));
	CHECK_EQ(s, t.server, server);
	CHECK_EQ(s, t.mapped.addr, want.addr);
	CHECK_EQ(s, t.mapped.port, want.port);
	CHECK_EQ(s, t.flags & (SW_FLAG_CONE | SW_FLAG_RESERVED), 0);
	CHECK(s, sw_v4ep_eq(&st.mapped, &want));
	/* the tunnel holds that address */
	CHECK(s, s->cli->has_addr);
	CHECK(s, memcmp(s->cli->addr6, st.addr, 16) == 0);
}

/* ---- qualifying behind each NAT type ------------------------------------ */

struct nat_case {
	int type;
	uint64_t seed;
};

static void
test_qualify_cone(void **state)
{
	const struct nat_case *nc = *state;
	struct sw_client_status st;
	struct scen s;
	const struct sim_ev *set;

	scen_init(&s, nc->seed, nc->type, 1);
	sim_client_start(s.cli);
	run(&s, 1 * SW_SEC);
	check_qualified(&s, S1_P);
	set = FIRST(&s, s.cli, SIM_EV_ADDR_SET);
	CHECK(&s, set->t <= SW_SEC);
	/* one RS per address, each answered: no retransmission */
	CHECK_EQ(&s, rs_count(s.cli, S1_P, 0, SW_SEC), 1);
	CHECK_EQ(&s, rs_count(s.cli, S1_S, 0, SW_SEC), 1);
	CHECK_EQ(&s, sw_server_stats(s.srv[0]->server)->rs, 2);

	/* Ten minutes of refreshes (NAT lifetime 60 s, refresh <= 30 s):
	 * the same address all along, never withdrawn. */
	run(&s, 10 * 60 * SW_SEC);
	check_qualified(&s, S1_P);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 1);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_CLEAR), 0);
	CHECK_EQ(&s, st.qualifications, 1);
	CHECK_EQ(&s, st.address_changes, 0);
	CHECK(&s, rs_count(s.cli, S1_P, SW_SEC, 600 * SW_SEC) >= 20);
	CHECK(&s, rs_count(s.cli, S1_P, SW_SEC, 600 * SW_SEC) <= 27);
	CHECK_EQ(&s, rs_count(s.cli, S1_S, SW_SEC, 600 * SW_SEC), 0);
	CHECK(&s, st.next_refresh > s.sim->now &&
	    st.next_refresh <= s.sim->now + 30 * SW_SEC);
	if (s.nat != NULL) {
		CHECK_EQ(&s, s.nat->st.created, 1);
		CHECK_EQ(&s, s.nat->st.filtered + s.nat->st.no_mapping, 0);
	}
	for (unsigned i = 0; i < SW_DROP__COUNT; i++)
		CHECK_EQ(&s, s.cli->drops.n[i], 0);
	sim_free(s.sim);
}

/* The server comes up 20 s after the client: OFFLINE first, then it
 * qualifies on a backoff retry. */
static void
test_qualify_server_late(void **state)
{
	struct sw_client_status st;
	struct scen s;

	(void)state;
	scen_init(&s, 7, SIM_NAT_PORT_RESTRICTED, 1);
	s.srv[0]->cut = true;
	sim_client_start(s.cli);
	run(&s, 12 * SW_SEC + SW_MSEC);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.state, SW_CLIENT_OFFLINE);
	CHECK_EQ(&s, st.reason, SW_CLIENT_REASON_NO_ANSWER);
	CHECK_EQ(&s, rs_count(s.cli, 0, 0, s.sim->now), 3);
	run(&s, 19 * SW_SEC);
	s.srv[0]->cut = false;
	run(&s, 60 * SW_SEC);
	check_qualified(&s, S1_P);
	CHECK(&s, FIRST(&s, s.cli, SIM_EV_ADDR_SET)->t < 25 * SW_SEC);
	sim_free(s.sim);
}

/* ---- symmetric NAT ---------------------------------------------------------- */

static void
test_symmetric(void **state)
{
	const struct nat_case *nc = *state;
	struct sw_client_status st;
	struct scen s;
	sw_time start[64];
	unsigned n = 0;

	scen_init(&s, nc->seed, SIM_NAT_SYMMETRIC, 1);
	sim_client_start(s.cli);
	run(&s, SW_SEC);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.state, SW_CLIENT_OFFLINE);
	CHECK_EQ(&s, st.reason, SW_CLIENT_REASON_SYMMETRIC_NAT);
	CHECK_EQ(&s, st.nat, SW_NAT_SYMMETRIC);

	run(&s, 30 * 60 * SW_SEC);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.state, SW_CLIENT_OFFLINE);
	CHECK_EQ(&s, st.reason, SW_CLIENT_REASON_SYMMETRIC_NAT);
	CHECK_EQ(&s, st.nat, SW_NAT_SYMMETRIC);
	CHECK(&s, !st.has_addr);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 0);
	CHECK_EQ(&s, st.qualifications, 0);

	/* Attempts: each is one RS to the primary and one to the
	 * secondary (both answered, with different mappings). */
	for (unsigned i = 0; i < s.cli->n_log && n < 64; i++)
		if (s.cli->log[i].kind == SIM_EV_SEND &&
		    s.cli->log[i].dst.addr == S1_P)
			start[n++] = s.cli->log[i].t;
	CHECK_EQ(&s, rs_count(s.cli, S1_S, 0, s.sim->now), n);
	/* 4, 8, 16, ... 256, then capped at 300 s: 12 in 30 minutes */
	CHECK(&s, n >= 10 && n <= 14);
	for (unsigned i = 1; i + 1 < n; i++) {
		sw_time g0 = start[i] - start[i - 1];
		sw_time g1 = start[i + 1] - start[i];

		CHECK(&s, g1 >= g0);			/* growing */
		CHECK(&s, g0 >= 4 * SW_SEC);
		CHECK(&s, g1 <= 301 * SW_SEC);		/* capped */
		if (g0 < 150 * SW_SEC)
			CHECK(&s, g1 >= 2 * g0 - SW_SEC); /* doubling */
	}
	CHECK(&s, start[n - 1] - start[n - 2] >= 299 * SW_SEC);
	/* two mappings per attempt, reused while they live (60 s) */
	CHECK(&s, s.nat->st.created >= 2 && s.nat->st.created <= 2 * n);
	sim_free(s.sim);
}

/* ---- loss ---------------------------------------------------------------- */

static void
test_loss_30(void **state)
{
	unsigned retried = 0, total_rs = 0;
	uint64_t lost = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct scen s;
		const struct sim_ev *set;
		unsigned rs_before;

		scen_init(&s, seed, SIM_NAT_PORT_RESTRICTED, 1);
		s.cli->loss = 0.3;	/* each crossing: RS and RA */
		sim_client_start(s.cli);
		run(&s, 5 * 60 * SW_SEC);
		set = FIRST(&s, s.cli, SIM_EV_ADDR_SET);
		rs_before = rs_count(s.cli, 0, 0, set->t);
		CHECK(&s, rs_before >= 2);
		retried += rs_before > 2;
		total_rs += rs_count(s.cli, 0, 0, s.sim->now);
		lost += s.cli->st.lost;
		/* then a clean link: qualified, with the NAT's mapping */
		s.cli->loss = 0;
		run(&s, 7 * 60 * SW_SEC);
		check_qualified(&s, S1_P);
		sim_free(s.sim);
	}
	/* retries are visible: several seeds needed more than two RSs */
	assert_true(retried >= 5);
	assert_true(lost > 0);
	assert_true(total_rs > 20 * 2 + 20 * 8);	/* + refreshes */
}

static void
test_loss_total(void **state)
{
	struct sw_client_status st;
	struct scen s;

	(void)state;
	scen_init(&s, 5, SIM_NAT_PORT_RESTRICTED, 1);
	s.cli->loss = 1.0;
	sim_client_start(s.cli);
	run(&s, 12 * SW_SEC - 1);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.state, SW_CLIENT_PROBE_PRIMARY);
	run(&s, 12 * SW_SEC);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.state, SW_CLIENT_OFFLINE);
	CHECK_EQ(&s, st.reason, SW_CLIENT_REASON_NO_ANSWER);
	CHECK_EQ(&s, rs_count(s.cli, S1_P, 0, s.sim->now + 1), 3);
	/* not final: it keeps trying */
	run(&s, 10 * 60 * SW_SEC);
	sim_client_status(s.cli, &st);
	CHECK(&s, st.state == SW_CLIENT_OFFLINE ||
	    st.state == SW_CLIENT_PROBE_PRIMARY);
	CHECK(&s, rs_count(s.cli, S1_P, 0, s.sim->now) >= 15);
	CHECK_EQ(&s, rs_count(s.cli, S1_S, 0, s.sim->now), 0);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 0);
	CHECK_EQ(&s, s.srv[0]->st.received, 0);
	sim_free(s.sim);
}

/* ---- server failover --------------------------------------------------------- */

static void
test_failover(void **state)
{
	const struct nat_case *nc = *state;
	struct sw_client_status st;
	struct scen s;
	const struct sim_ev *set1, *set2;
	sw_time deadline;

	scen_init(&s, nc->seed, nc->type, 2);
	sim_client_start(s.cli);
	run(&s, SW_SEC);
	check_qualified(&s, S1_P);
	set1 = FIRST(&s, s.cli, SIM_EV_ADDR_SET);
	s.srv[0]->cut = true;			/* S1 dies */
	/* refresh within 30 s of qualifying, then 3 RSs 4 s apart and a
	 * last 4 s: the address goes; S2 answers in 2 x 20 ms */
	deadline = set1->t + 30 * SW_SEC + 3 * 4 * SW_SEC + SW_SEC;
	run(&s, deadline);
	check_qualified(&s, S2_P);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.server_index, 1);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 2);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_CLEAR), 1);
	CHECK(&s, last_pos(s.cli, SIM_EV_ADDR_SET) >
	    last_pos(s.cli, SIM_EV_ADDR_CLEAR));
	set2 = LAST(&s, s.cli, SIM_EV_ADDR_SET);
	CHECK(&s, memcmp(set2->addr, st.addr, 16) == 0);
	CHECK(&s, set2->t <= deadline);
	CHECK(&s, LAST(&s, s.cli, SIM_EV_ADDR_CLEAR)->t >=
	    set1->t + 30 * SW_SEC * 3 / 4 + 12 * SW_SEC);
	CHECK_EQ(&s, rs_count(s.cli, S1_P, set1->t, deadline), 3);
	CHECK_EQ(&s, st.qualifications, 2);
	/* and it stays with S2 */
	run(&s, deadline + 5 * 60 * SW_SEC);
	check_qualified(&s, S2_P);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 2);
	sim_free(s.sim);
}

/* ---- mapping change ------------------------------------------------------------ */

static void
test_mapping_change(void **state)
{
	const struct nat_case *nc = *state;
	struct sw_client_status st1, st2;
	struct scen s;
	const struct sim_ev *set1;

	scen_init(&s, nc->seed, nc->type, 1);
	sim_client_start(s.cli);
	run(&s, SW_SEC);
	check_qualified(&s, S1_P);
	sim_client_status(s.cli, &st1);
	set1 = FIRST(&s, s.cli, SIM_EV_ADDR_SET);
	sim_nat_flush(s.nat);			/* conntrack -F */
	run(&s, set1->t + 30 * SW_SEC + SW_SEC);
	check_qualified(&s, S1_P);
	sim_client_status(s.cli, &st2);
	CHECK(&s, st2.mapped.port != st1.mapped.port);
	CHECK(&s, memcmp(st1.addr, st2.addr, 16) != 0);
	CHECK_EQ(&s, st2.address_changes, 1);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 2);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_CLEAR), 0);
	CHECK(&s, memcmp(LAST(&s, s.cli, SIM_EV_ADDR_SET)->addr, st2.addr,
	    16) == 0);
	CHECK_EQ(&s, s.nat->st.created, 2);
	sim_free(s.sim);
}

/* ---- forged RAs ------------------------------------------------------------------ */

enum forgery { WRONG_NONCE, TWO_PREFIXES, CONTROL_VALID, CAPTURE };

/* An attacker on the path: it sees each RS reach the server and answers
 * first (1 ms away from the client's NAT, the server is 10 ms away),
 * spoofing the server address the RS went to. */
struct attack {
	enum forgery kind;
	struct sim_node *node;
	unsigned max;			/* forgeries to send */
	unsigned forged;
	bool own_source;		/* send from its own address */
	struct sw_v4ep real_mapping;	/* the RS's public source */
	sw_time first_rs_seen;
	uint8_t captured[256];		/* CAPTURE: the first real RA */
	size_t captured_len;
};

static const struct sw_v4ep bogus = { SW_IP4(198, 51, 100, 99), 4242 };

static size_t
forge_ra(uint8_t *out, size_t cap, enum forgery kind,
    const uint8_t nonce[SW_NONCE_LEN], const uint8_t rs_src[16])
{
	struct sw_ra ra = {
		.retrans = 2000, .prefix_count = kind == TWO_PREFIXES ? 2 : 1,
		.prefix_len = 64, .pio_flags = 0x40, .valid = UINT32_MAX,
		.preferred = UINT32_MAX, .has_mtu = true, .mtu = 1280,
	};
	uint8_t n8[SW_NONCE_LEN], ll[16];
	int a, o, r;

	memcpy(n8, nonce, sizeof n8);
	if (kind == WRONG_NONCE)
		n8[7] ^= 0x01;
	sw_put32(ra.prefix, SW_TEREDO_PREFIX);
	sw_put32(ra.prefix + 4, S1_P);
	sw_addr_server_ll(ll, S1_P);
	a = sw_wire_build_auth(out, cap, NULL, 0, NULL, 0, n8, 0);
	assert_true(a > 0);
	o = sw_wire_build_origin(out + a, cap - (size_t)a, &bogus);
	assert_true(o > 0);
	r = sw_wire_build_ra(out + a + o, cap - (size_t)(a + o), ll, rs_src,
	    &ra);
	assert_true(r > 0);
	return (size_t)(a + o + r);
}

static bool
attack_hook(void *ctx, struct sim *sim, const struct sim_dgram *d)
{
	struct attack *at = ctx;
	struct sw_teredo_view v;
	enum sw_drop why;
	uint8_t ra[256];
	size_t len;

	if (at->kind == CAPTURE) {
		if (at->captured_len == 0 && d->src.addr == S1_P &&
		    d->dst.addr == NAT_PUB && d->len <= sizeof at->captured) {
			memcpy(at->captured, d->buf, d->len);
			at->captured_len = d->len;
		}
		return true;
	}
	if ((d->dst.addr != S1_P && d->dst.addr != S1_S) ||
	    d->dst.port != SW_TEREDO_PORT || at->forged >= at->max)
		return true;
	if (sw_wire_parse(d->buf, d->len, &v, &why) != 0 || !v.has_auth ||
	    v.ip6_len < SW_IP6_HLEN + 8 || v.ip6[6] != SW_NH_ICMP6 ||
	    v.ip6[SW_IP6_HLEN] != SW_ICMP6_RS)
		return true;
	if (at->forged == 0) {
		at->real_mapping = d->src;
		at->first_rs_seen = sim->now;
	}
	len = forge_ra(ra, sizeof ra, at->kind, v.auth.nonce, v.ip6 + 8);
	if (at->own_source)
		sim_send(at->node, SW_TEREDO_PORT, &d->src, ra, len);
	else
		sim_send_spoofed(at->node, &d->dst, &d->src, ra, len);
	at->forged++;
	return true;
}

static void
forged_scenario(struct scen *s, struct attack *at, uint64_t seed,
    enum forgery kind, unsigned max, int nat_type)
{
	scen_init(s, seed, nat_type, 1);
	*at = (struct attack){ .kind = kind, .max = max };
	at->node = sim_add_host(s->sim, "A", NULL, ATTACKER, false);
	at->node->latency = SW_MSEC;
	sim_set_hook(s->sim, attack_hook, at);
	sim_client_start(s->cli);
}

static void
test_forged_wrong_nonce(void **state)
{
	struct scen s;
	struct attack at;
	struct sw_client_status st;

	(void)state;
	forged_scenario(&s, &at, 3, WRONG_NONCE, 100, SIM_NAT_PORT_RESTRICTED);
	run(&s, 5 * 60 * SW_SEC);
	check_qualified(&s, S1_P);
	sim_client_status(s.cli, &st);
	CHECK(&s, sw_v4ep_eq(&st.mapped, &at.real_mapping));
	CHECK(&s, at.forged >= 2 + 10);		/* qualification + refreshes */
	CHECK_EQ(&s, s.cli->drops.n[SW_DROP_RA_NONCE], at.forged);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 1);
	CHECK_EQ(&s, st.address_changes, 0);
	sim_free(s.sim);
}

static void
test_forged_two_prefixes(void **state)
{
	struct scen s;
	struct attack at;
	struct sw_client_status st;

	(void)state;
	forged_scenario(&s, &at, 4, TWO_PREFIXES, 100, SIM_NAT_PORT_RESTRICTED);
	run(&s, 5 * 60 * SW_SEC);
	check_qualified(&s, S1_P);
	sim_client_status(s.cli, &st);
	CHECK(&s, sw_v4ep_eq(&st.mapped, &at.real_mapping));
	CHECK(&s, at.forged >= 2 + 10);
	CHECK_EQ(&s, s.cli->drops.n[SW_DROP_RA_PREFIX_COUNT], at.forged);
	/* the real RAs (late, nonce already used) are not counted here */
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 1);
	sim_free(s.sim);
}

/* Control: the same forgery with the right nonce and one prefix is taken
 * (nonce-only authentication cannot stop an on-path attacker), which
 * shows the two forgeries above are refused for the reason tested. */
static void
test_forged_control(void **state)
{
	struct scen s;
	struct attack at;
	struct sw_client_status st;

	(void)state;
	forged_scenario(&s, &at, 5, CONTROL_VALID, 1, SIM_NAT_PORT_RESTRICTED);
	run(&s, 15 * SW_MSEC);	/* RS at 10 ms, forged RA at 11 ms */
	CHECK_EQ(&s, at.forged, 1);
	CHECK_EQ(&s, at.first_rs_seen, 10 * SW_MSEC);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.state, SW_CLIENT_PROBE_SECONDARY);
	for (unsigned i = 0; i < SW_DROP__COUNT; i++)
		CHECK_EQ(&s, s.cli->drops.n[i], 0);
	sim_free(s.sim);
}

/* The right nonce, but from the attacker's own address: a full cone NAT
 * lets it in and the client refuses it (CLI-QUAL-8); a port-restricted
 * NAT filters it before. */
static void
test_forged_own_source(void **state)
{
	const struct nat_case *nc = *state;
	struct scen s;
	struct attack at;

	forged_scenario(&s, &at, nc->seed, CONTROL_VALID, 100, nc->type);
	at.own_source = true;
	run(&s, 5 * 60 * SW_SEC);
	check_qualified(&s, S1_P);
	CHECK(&s, at.forged >= 2 + 10);
	if (nc->type == SIM_NAT_FULL_CONE) {
		CHECK_EQ(&s, s.cli->drops.n[SW_DROP_RA_WRONG_SOURCE],
		    at.forged);
		CHECK_EQ(&s, s.nat->st.filtered, 0);
	} else {
		CHECK_EQ(&s, s.cli->drops.n[SW_DROP_RA_WRONG_SOURCE], 0);
		CHECK_EQ(&s, s.nat->st.filtered, at.forged);
	}
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 1);
	sim_free(s.sim);
}

/* A real RA replayed (spoofed from the server): once while no RS is
 * outstanding, once while a refresh RS is (its nonce is a new one). */
static void
test_replayed_ra(void **state)
{
	struct sw_client_status st;
	struct scen s;
	struct attack at;
	struct sw_v4ep srv = { S1_P, SW_TEREDO_PORT }, to;
	sw_time refresh;

	(void)state;
	forged_scenario(&s, &at, 6, CAPTURE, 0, SIM_NAT_PORT_RESTRICTED);
	run(&s, 5 * SW_SEC);
	check_qualified(&s, S1_P);
	CHECK(&s, at.captured_len > 0);
	sim_client_status(s.cli, &st);
	to = st.mapped;
	sim_send_spoofed(at.node, &srv, &to, at.captured, at.captured_len);
	run(&s, s.sim->now + SW_SEC);
	CHECK_EQ(&s, s.cli->drops.n[SW_DROP_RA_NONCE], 1);
	/* the refresh RS leaves at next_refresh; its RA comes 20 ms later */
	refresh = st.next_refresh;
	run(&s, refresh + 5 * SW_MSEC);
	sim_send_spoofed(at.node, &srv, &to, at.captured, at.captured_len);
	run(&s, refresh + 7 * SW_MSEC);
	CHECK_EQ(&s, s.cli->drops.n[SW_DROP_RA_NONCE], 2);
	run(&s, refresh + SW_SEC);
	check_qualified(&s, S1_P);
	sim_client_status(s.cli, &st);
	CHECK_EQ(&s, st.address_changes, 0);
	CHECK_EQ(&s, sim_log_count(s.cli, SIM_EV_ADDR_SET), 1);
	CHECK_EQ(&s, st.last_server_rx, refresh + 20 * SW_MSEC);
	sim_free(s.sim);
}

/* ---- the server's relaying through the fabric (SRV-FWD-3/4) ------------------------------ */

/* A public Teredo host (its data path played by a plain host) sends an
 * echo request to a native address through S1: it reaches the native
 * IPv6 sink; the native reply comes back over UDP from S1's primary. */
static void
test_server_relay_echo(void **state)
{
	const struct sw_v4ep h_ep = { SW_IP4(192, 0, 2, 50), 5555 };
	const struct sw_teredo t = { .prefix = SW_TEREDO_PREFIX,
	    .server = S1_P, .mapped = h_ep };
	uint8_t teredo[16], native[16], pkt[128];
	struct sim_node *h;
	struct scen s;
	int len;

	(void)state;
	scen_init(&s, 8, SIM_NAT_PORT_RESTRICTED, 1);
	h = sim_add_host(s.sim, "H", NULL, h_ep.addr, false);
	sw_addr_encode(teredo, &t);
	assert_int_equal(sw_addr_parse6("2001:db8::1", native), 0);
	len = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, teredo,
	    native, 64, 1, 1, (const uint8_t *)"ping", 4);
	assert_true(len > 0);
	sim_send(h, h_ep.port, &(struct sw_v4ep){ S1_P, SW_TEREDO_PORT },
	    pkt, (size_t)len);
	run(&s, 20 * SW_MSEC);
	CHECK_EQ(&s, s.sim->ip6_count, 1);
	CHECK_EQ(&s, s.sim->ip6[0].len, (size_t)len);
	CHECK(&s, memcmp(s.sim->ip6[0].pkt, pkt, (size_t)len) == 0);
	CHECK_EQ(&s, sim_log_count(s.srv[0], SIM_EV_IP6), 1);
	CHECK_EQ(&s, sw_server_stats(s.srv[0]->server)->relayed_ip6, 1);

	len = sw_wire_build_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REPLY, native,
	    teredo, 64, 1, 1, (const uint8_t *)"ping", 4);
	assert_true(len > 0);
	sim_server_input_ip6(s.srv[0], pkt, (size_t)len);
	run(&s, 40 * SW_MSEC);
	CHECK_EQ(&s, h->st.received, 1);
	CHECK_EQ(&s, LAST(&s, h, SIM_EV_RECV)->src.addr, S1_P);
	CHECK_EQ(&s, LAST(&s, h, SIM_EV_RECV)->src.port, SW_TEREDO_PORT);
	CHECK_EQ(&s, LAST(&s, h, SIM_EV_RECV)->len, (size_t)len);
	sim_free(s.sim);
}

/* ---- determinism ----------------------------------------------------------------- */

/* Loss, jitter, two servers, a failover and a mapping change. */
static struct sim *
busy_run(uint64_t seed)
{
	struct scen s;

	scen_init(&s, seed, SIM_NAT_PORT_RESTRICTED, 2);
	s.cli->loss = 0.2;
	s.cli->jitter = 5 * SW_MSEC;
	s.srv[0]->jitter = s.srv[1]->jitter = 5 * SW_MSEC;
	sim_client_start(s.cli);
	run(&s, 60 * SW_SEC);
	s.srv[0]->cut = true;
	run(&s, 120 * SW_SEC);
	sim_nat_flush(s.nat);
	run(&s, 10 * 60 * SW_SEC);
	return s.sim;
}

static void
test_determinism(void **state)
{
	struct sim *a, *b, *c;

	(void)state;
	a = busy_run(99);
	b = busy_run(99);
	c = busy_run(100);
	SIM_ASSERT(a, a->node[2].n_log > 50);
	SIM_ASSERT_EQ(a, a->n_node, b->n_node);
	for (unsigned i = 0; i < a->n_node; i++) {
		SIM_ASSERT(a, sim_log_equal(&a->node[i], &b->node[i]));
		SIM_ASSERT(a, memcmp(&a->node[i].drops, &b->node[i].drops,
		    sizeof a->node[i].drops) == 0);
	}
	SIM_ASSERT(a, memcmp(&a->nat[0].st, &b->nat[0].st,
	    sizeof a->nat[0].st) == 0);
	SIM_ASSERT_EQ(a, a->trace, b->trace);
	SIM_ASSERT_EQ(a, a->st.steps, b->st.steps);
	SIM_ASSERT(c, c->trace != a->trace);
	sim_free(a);
	sim_free(b);
	sim_free(c);
}

/* ---- the table ----------------------------------------------------------------------- */

static const struct nat_case full = { SIM_NAT_FULL_CONE, 1 };
static const struct nat_case restricted = { SIM_NAT_RESTRICTED, 2 };
static const struct nat_case port_restr = { SIM_NAT_PORT_RESTRICTED, 3 };
static const struct nat_case public_client = { NO_NAT, 4 };
static const struct nat_case symmetric = { SIM_NAT_SYMMETRIC, 11 };
static const struct nat_case symmetric2 = { SIM_NAT_SYMMETRIC, 12 };

#define T(name, fn, st) { name, fn, NULL, NULL, (void *)(uintptr_t)(st) }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T("qualify/full-cone seed=1", test_qualify_cone, &full),
		T("qualify/restricted seed=2", test_qualify_cone, &restricted),
		T("qualify/port-restricted seed=3", test_qualify_cone,
		    &port_restr),
		T("qualify/no-nat seed=4", test_qualify_cone, &public_client),
		T("qualify/server-late seed=7", test_qualify_server_late, 0),
		T("qualify/symmetric seed=11", test_symmetric, &symmetric),
		T("qualify/symmetric seed=12", test_symmetric, &symmetric2),
		T("loss/30%-link seeds=1..20", test_loss_30, 0),
		T("loss/100% seed=5", test_loss_total, 0),
		T("failover/full-cone seed=1", test_failover, &full),
		T("failover/restricted seed=2", test_failover, &restricted),
		T("failover/port-restricted seed=3", test_failover,
		    &port_restr),
		T("mapping-change/full-cone seed=1", test_mapping_change,
		    &full),
		T("mapping-change/restricted seed=2", test_mapping_change,
		    &restricted),
		T("mapping-change/port-restricted seed=3",
		    test_mapping_change, &port_restr),
		T("forged-ra/wrong-nonce seed=3", test_forged_wrong_nonce, 0),
		T("forged-ra/two-prefixes seed=4", test_forged_two_prefixes,
		    0),
		T("forged-ra/control-accepted seed=5", test_forged_control,
		    0),
		T("forged-ra/own-source/full-cone seed=1",
		    test_forged_own_source, &full),
		T("forged-ra/own-source/port-restricted seed=3",
		    test_forged_own_source, &port_restr),
		T("replayed-ra seed=6", test_replayed_ra, 0),
		T("server/relay-echo seed=8", test_server_relay_echo, 0),
		T("determinism seeds=99,100", test_determinism, 0),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
