/*
 * world.c - the data-path world of the relay and data scenarios (see
 * world.h).
 */
#include <string.h>

#include "world.h"

static bool
world_hook(void *ctx, struct sim *sim, const struct sim_dgram *d)
{
	struct world *w = ctx;
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why;

	if (sw_wire_parse(d->buf, d->len, &v, &why) == 0 &&
	    sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) == 0 &&
	    sw_ip6_is_bubble(&ip) && w->n_bub < W_BUBBLES) {
		struct w_bubble *b = &w->bub[w->n_bub++];

		b->t = sim->now;
		b->from = d->from;
		b->src = d->src;
		b->dst = d->dst;
		b->origin = v.has_origin;
		memcpy(b->src6, ip.src, 16);
		memcpy(b->dst6, ip.dst, 16);
	}
	if (w->drop_dst != 0 && d->dst.addr == w->drop_dst) {
		w->dropped++;
		return false;
	}
	return true;
}

void
world_opts_default(struct world_opts *o, uint64_t seed, int c1_nat,
    int c2_nat)
{
	memset(o, 0, sizeof *o);
	o->seed = seed;
	o->c1_nat = c1_nat;
	o->c2_nat = c2_nat;
	o->client_echo = true;
	sw_client_conf_default(&o->cconf);
	o->cconf.servers[0] = (struct sw_client_server){ W_S_P, W_S_S };
	o->cconf.n_servers = 1;
	o->cconf.v4.policy = SW_V4_LAB;
	sw_relay_conf_default(&o->rconf);
	o->rconf.v4.policy = SW_V4_LAB;
	if (sw_addr_parse6("2001:db8:ffff::1", o->rconf.bubble_src) != 0)
		fail_msg("bubble_src");
}

static struct sim_node *
add_client(struct world *w, const struct world_opts *o, int type,
    const char *name, uint32_t lan, uint32_t pub, uint32_t nat_pub,
    struct sim_nat **natp)
{
	struct sim_node *c;

	if (type == W_NONE)
		return NULL;
	if (type == W_NO_NAT) {
		c = sim_add_client(w->sim, name, NULL, pub, W_C_PORT, &o->cconf);
	} else {
		struct sim_nat_conf nc;

		sim_nat_conf_default(&nc, (enum sim_nat_type)type, nat_pub);
		*natp = sim_add_nat(w->sim, &nc);
		c = sim_add_client(w->sim, name, *natp, lan, W_C_PORT,
		    &o->cconf);
	}
	c->echo = o->client_echo;
	return c;
}

void
world_init(struct world *w, const struct world_opts *o)
{
	struct sw_server_conf sc;

	memset(w, 0, sizeof *w);
	w->sim = sim_new(o->seed);
	sw_server_conf_default(&sc);
	sc.primary = W_S_P;
	sc.secondary = W_S_S;
	sc.v4.policy = SW_V4_LAB;
	w->srv = sim_add_server(w->sim, "S", &sc);
	w->relay = sim_add_relay(w->sim, "R", NULL, W_R_ADDR, W_R_PORT,
	    &o->rconf);
	memcpy(w->rel6, o->rconf.bubble_src, 16);
	if (sw_addr_parse6("2001:db8:1::1", w->n6) != 0)
		fail_msg("n6");
	w->native = sim_add_native(w->sim, "N", w->n6, true);
	w->c1 = add_client(w, o, o->c1_nat, "C1", W_C1_LAN, W_C1_PUB, W_NAT1,
	    &w->nat1);
	w->c2 = add_client(w, o, o->c2_nat, "C2", W_C2_LAN, W_C2_PUB, W_NAT2,
	    &w->nat2);
	w->h = sim_add_host(w->sim, "H", NULL, W_H_ADDR, false);
	w_teredo(w->h6, W_S_P, W_H_ADDR, W_H_PORT);
	w->att = sim_add_host(w->sim, "A", NULL, W_A_ADDR, false);
	sim_set_hook(w->sim, world_hook, w);
}

void
world_free(struct world *w)
{
	sim_free(w->sim);
	w->sim = NULL;
}

void
world_dump(const struct world *w)
{
	for (unsigned i = 0; i < w->sim->n_node; i++) {
		const struct sim_node *n = &w->sim->node[i];

		if (n->kind == SIM_CLIENT || n->kind == SIM_RELAY ||
		    n->kind == SIM_NATIVE)
			sim_dump(n, stderr);
		for (unsigned k = 0; k < SW_DROP__COUNT; k++)
			if (n->drops.n[k] != 0)
				fprintf(stderr, "# %s drop %s: %" PRIu64 "\n",
				    n->name, sw_drop_name((enum sw_drop)k),
				    n->drops.n[k]);
	}
}

void
world_run(struct world *w, sw_time t)
{
	if (sim_run_until(w->sim, t) != 0) {
		world_dump(w);
		fail_msg("%s", sim_error(w->sim));
	}
}

static void
qualified(struct world *w, struct sim_node *c, uint8_t a[16],
    struct sw_v4ep *map)
{
	struct sw_client_status st;

	if (c == NULL)
		return;
	sim_client_status(c, &st);
	W_CHECK_EQ(w, st.state, SW_CLIENT_QUALIFIED);
	memcpy(a, st.addr, 16);
	*map = st.mapped;
}

void
world_qualify(struct world *w)
{
	if (w->c1 != NULL)
		sim_client_start(w->c1);
	if (w->c2 != NULL)
		sim_client_start(w->c2);
	world_run(w, w->sim->now + SW_SEC);
	qualified(w, w->c1, w->c1_6, &w->c1_map);
	qualified(w, w->c2, w->c2_6, &w->c2_map);
}

/* ---- packets ---------------------------------------------------------- */

size_t
w_echo(uint8_t *out, size_t cap, uint8_t type, const uint8_t src[16],
    const uint8_t dst[16], uint16_t seq, size_t data_len)
{
	uint8_t data[1280];
	int r;

	if (data_len > sizeof data)
		fail_msg("w_echo: data too long");
	for (size_t i = 0; i < data_len; i++)
		data[i] = (uint8_t)(seq + i);
	r = sw_wire_build_echo(out, cap, type, src, dst, 64, 0x5157, seq, data,
	    data_len);
	if (r <= 0)
		fail_msg("w_echo: build failed");
	return (size_t)r;
}

size_t
w_bubble(uint8_t *out, size_t cap, const uint8_t src[16],
    const uint8_t dst[16])
{
	if (sw_wire_build_bubble(out, cap, src, dst, 64) != SW_IP6_HLEN)
		fail_msg("w_bubble: build failed");
	return SW_IP6_HLEN;
}

void
w_teredo(uint8_t out[16], uint32_t server, uint32_t addr, uint16_t port)
{
	const struct sw_teredo t = { .prefix = SW_TEREDO_PREFIX,
	    .server = server, .mapped = { addr, port } };

	sw_addr_encode(out, &t);
}

void
w_client_ping(struct world *w, struct sim_node *c, const uint8_t dst[16],
    uint16_t seq, size_t data_len)
{
	uint8_t pkt[1400];
	size_t len;

	(void)w;
	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, c->addr6, dst, seq,
	    data_len);
	sim_client_send(c, pkt, len);
}

void
w_native_ping(struct world *w, const uint8_t dst[16], uint16_t seq)
{
	uint8_t pkt[256];
	size_t len;

	len = w_echo(pkt, sizeof pkt, SW_ICMP6_ECHO_REQ, w->n6, dst, seq, 16);
	sim_native_send(w->native, pkt, len);
}

unsigned
w_echoes(const struct sim_node *n, uint8_t type, const uint8_t *src, int seq,
    sw_time *first, sw_time *last)
{
	unsigned c = 0;

	for (unsigned i = 0; i < sim_pkt_count(n); i++) {
		const struct sim_pkt *k = sim_pkt_get(n, i);
		const uint8_t *p;
		size_t len;
		struct sw_teredo_view v;
		struct sw_ip6_view ip;
		struct sw_echo_view e;
		enum sw_drop why;

		if (k == NULL)
			continue;
		p = k->pkt;
		len = k->len < SIM_PKT_MAX ? k->len : SIM_PKT_MAX;
		if (n->kind == SIM_HOST) {
			if (sw_wire_parse(p, len, &v, &why) != 0)
				continue;
			p = v.ip6;
			len = v.ip6_len;
		}
		if (sw_ip6_parse(p, len, &ip, &why) != 0 ||
		    sw_wire_parse_echo(&ip, &e) != 0 || e.type != type ||
		    (src != NULL && memcmp(ip.src, src, 16) != 0) ||
		    (seq >= 0 && e.seq != (uint16_t)seq))
			continue;
		if (c == 0 && first != NULL)
			*first = k->t;
		if (last != NULL)
			*last = k->t;
		c++;
	}
	return c;
}

unsigned
w_bubbles(const struct world *w, const struct sim_node *from, uint32_t dst,
    sw_time t0, sw_time t1)
{
	unsigned c = 0;

	for (unsigned i = 0; i < w->n_bub; i++) {
		const struct w_bubble *b = &w->bub[i];

		c += (from == NULL || b->from == from->idx) &&
		    (dst == 0 || b->dst.addr == dst) && b->t >= t0 &&
		    b->t < t1;
	}
	return c;
}

uint64_t
w_drops(const struct sim_node *n)
{
	uint64_t s = 0;

	for (unsigned k = 0; k < SW_DROP__COUNT; k++)
		s += n->drops.n[k];
	return s;
}

uint64_t
w_drop(const struct sim_node *n, enum sw_drop why)
{
	return n->drops.n[why];
}

unsigned
w_sends(const struct sim_node *n, uint32_t addr, sw_time t0, sw_time t1)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n->n_log; i++) {
		const struct sim_ev *e = &n->log[i];

		c += e->kind == SIM_EV_SEND && (addr == 0 ||
		    e->dst.addr == addr) && e->t >= t0 && e->t < t1;
	}
	return c;
}
