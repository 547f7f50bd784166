/*
 * sim.c - the simulator's clock, event queue, fabric and nodes (the model
 * is described in sim.h; the NAT models are in nat.c).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "../common/prng.h"
#include "addr.h"
#include "wire.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull
#define STUCK_STEPS 100000	/* steps at one instant before we call it a loop */

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

static uint64_t
fnv_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * FNV_PRIME;
	return h;
}

/* splitmix64 of seed and a salt: independent, never-zero xorshift states. */
static uint64_t
mix_seed(uint64_t seed, uint64_t salt)
{
	uint64_t z = seed + (salt + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z != 0 ? z : 1;
}

static void
die(const char *what)
{
	fprintf(stderr, "sim: %s\n", what);
	abort();
}

__attribute__((format(printf, 2, 3)))
static void
fail(struct sim *sim, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sim->error[0] != '\0')
		return;
	n = snprintf(sim->error, sizeof sim->error, "seed %" PRIu64
	    " t=%" PRIu64 " us: ", sim->seed, sim->now);
	if (n < 0 || (size_t)n >= sizeof sim->error)
		return;
	va_start(ap, fmt);
	vsnprintf(sim->error + n, sizeof sim->error - (size_t)n, fmt, ap);
	va_end(ap);
}

const char *
sim_error(const struct sim *sim)
{
	return sim->error[0] != '\0' ? sim->error : NULL;
}

/* ---- setup ------------------------------------------------------------- */

struct sim *
sim_new(uint64_t seed)
{
	struct sim *sim = calloc(1, sizeof *sim);

	if (sim == NULL)
		die("out of memory");
	sim->seed = seed;
	sim->net_rng = mix_seed(seed, 1000);
	sim->trace = FNV_OFFSET;
	for (unsigned i = 0; i < SIM_INFLIGHT; i++)
		sim->free_slot[i] = SIM_INFLIGHT - 1 - i;
	sim->n_free = SIM_INFLIGHT;
	return sim;
}

void
sim_free(struct sim *sim)
{
	if (sim == NULL)
		return;
	for (unsigned i = 0; i < sim->n_node; i++) {
		sw_client_free(sim->node[i].client);
		sw_server_free(sim->node[i].server);
		sw_relay_free(sim->node[i].relay);
		free(sim->node[i].log);
		free(sim->node[i].pkts);
	}
	free(sim);
}

struct sim_nat *
sim_add_nat(struct sim *sim, const struct sim_nat_conf *conf)
{
	struct sim_nat *nat;

	if (sim->n_nat == SIM_MAX_NATS)
		die("too many NATs");
	if (conf->max_mappings < 1 || conf->max_mappings > SIM_NAT_MAX ||
	    conf->timeout == 0)
		die("bad NAT configuration");
	nat = &sim->nat[sim->n_nat];
	*nat = (struct sim_nat){
		.sim = sim, .idx = sim->n_nat, .conf = *conf,
		.next_port = 1024, .rng = mix_seed(sim->seed, 100 + sim->n_nat),
	};
	sim->n_nat++;
	return nat;
}

static struct sim_node *
new_node(struct sim *sim, const char *name, enum sim_kind kind,
    struct sim_nat *nat)
{
	struct sim_node *n;

	if (sim->n_node == SIM_MAX_NODES)
		die("too many nodes");
	n = &sim->node[sim->n_node];
	memset(n, 0, sizeof *n);
	n->sim = sim;
	n->idx = sim->n_node++;
	snprintf(n->name, sizeof n->name, "%s", name);
	n->kind = kind;
	n->nat = nat;
	n->latency = SIM_LATENCY;
	n->rng = mix_seed(sim->seed, n->idx);
	n->log = calloc(SIM_LOG_MAX, sizeof *n->log);
	n->pkts = calloc(SIM_PKT_KEEP, sizeof *n->pkts);
	if (n->log == NULL || n->pkts == NULL)
		die("out of memory");
	return n;
}

struct sim_node *
sim_add_server(struct sim *sim, const char *name,
    const struct sw_server_conf *conf)
{
	struct sim_node *n = new_node(sim, name, SIM_SERVER, NULL);
	struct sw_server_conf c = *conf;

	n->addr[0] = conf->primary;
	n->addr[1] = conf->secondary;
	n->n_addr = 2;
	n->port = SW_TEREDO_PORT;
	c.rng = (struct sw_rng){ .fill = prng_fill, .ctx = &n->rng };
	if (sw_server_new(&n->server, &c) != 0)
		die("sw_server_new failed");
	return n;
}

struct sim_node *
sim_add_client(struct sim *sim, const char *name, struct sim_nat *nat,
    uint32_t addr, uint16_t port, const struct sw_client_conf *conf)
{
	struct sim_node *n = new_node(sim, name, SIM_CLIENT, nat);

	n->addr[0] = addr;
	n->n_addr = 1;
	n->port = port;
	n->cconf = *conf;
	n->cconf.rng = (struct sw_rng){ .fill = prng_fill, .ctx = &n->rng };
	if (n->cconf.local.port == 0)
		n->cconf.local = (struct sw_v4ep){ .addr = addr, .port = port };
	if (sw_client_new(&n->client, &n->cconf) != 0)
		die("sw_client_new failed");
	return n;
}

struct sim_node *
sim_add_host(struct sim *sim, const char *name, struct sim_nat *nat,
    uint32_t addr, bool echo)
{
	struct sim_node *n = new_node(sim, name, SIM_HOST, nat);

	n->addr[0] = addr;
	n->n_addr = 1;
	n->echo = echo;
	return n;
}

struct sim_node *
sim_add_relay(struct sim *sim, const char *name, struct sim_nat *nat,
    uint32_t addr, uint16_t port, const struct sw_relay_conf *conf)
{
	struct sim_node *n = new_node(sim, name, SIM_RELAY, nat);

	n->addr[0] = addr;
	n->n_addr = 1;
	n->port = port;
	n->rconf = *conf;
	n->rrng = (struct sw_rng){ .fill = prng_fill, .ctx = &n->rng };
	if (sw_relay_new(&n->relay, &n->rconf, &n->rrng) != 0)
		die("sw_relay_new failed");
	return n;
}

struct sim_node *
sim_add_native(struct sim *sim, const char *name, const uint8_t addr[16],
    bool echo)
{
	struct sim_node *n = new_node(sim, name, SIM_NATIVE, NULL);

	memcpy(n->ip6addr, addr, 16);
	n->echo = echo;
	return n;
}

void
sim_set_hook(struct sim *sim, sim_hook_fn fn, void *ctx)
{
	sim->hook = fn;
	sim->hook_ctx = ctx;
}

/* ---- event log ----------------------------------------------------------- */

static void
log_add(struct sim_node *n, struct sim_ev ev)
{
	struct sim *sim = n->sim;
	uint64_t h = sim->trace;

	ev.t = sim->now;
	h = fnv_u64(h, ev.t);
	h = fnv_u64(h, n->idx);
	h = fnv_u64(h, (uint64_t)ev.kind);
	h = fnv_u64(h, (uint64_t)ev.src.addr << 16 | ev.src.port);
	h = fnv_u64(h, (uint64_t)ev.dst.addr << 16 | ev.dst.port);
	h = fnv_u64(h, ev.len);
	h = fnv_u64(h, ev.hash);
	h = fnv(h, ev.addr, sizeof ev.addr);
	h = fnv_u64(h, (uint64_t)(uint32_t)ev.state << 32 |
	    (uint32_t)ev.reason);
	sim->trace = h;
	if (n->n_log < SIM_LOG_MAX)
		n->log[n->n_log++] = ev;
	else
		n->log_lost++;
}

unsigned
sim_log_count(const struct sim_node *n, enum sim_ev_kind kind)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n->n_log; i++)
		c += n->log[i].kind == kind;
	return c;
}

const struct sim_ev *
sim_log_last(const struct sim_node *n, enum sim_ev_kind kind)
{
	for (unsigned i = n->n_log; i-- > 0;)
		if (n->log[i].kind == kind)
			return &n->log[i];
	return NULL;
}

static bool
ev_equal(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t == b->t && a->kind == b->kind &&
	    sw_v4ep_eq(&a->src, &b->src) && sw_v4ep_eq(&a->dst, &b->dst) &&
	    a->len == b->len && a->hash == b->hash &&
	    memcmp(a->addr, b->addr, sizeof a->addr) == 0 &&
	    a->state == b->state && a->reason == b->reason;
}

bool
sim_log_equal(const struct sim_node *a, const struct sim_node *b)
{
	if (a->n_log != b->n_log || a->log_lost != b->log_lost)
		return false;
	for (unsigned i = 0; i < a->n_log; i++)
		if (!ev_equal(&a->log[i], &b->log[i]))
			return false;
	return true;
}

const char *
sim_ev_name(enum sim_ev_kind kind)
{
	switch (kind) {
	case SIM_EV_SEND:	return "send";
	case SIM_EV_RECV:	return "recv";
	case SIM_EV_ADDR_SET:	return "addr-set";
	case SIM_EV_ADDR_CLEAR:	return "addr-clear";
	case SIM_EV_ADDR_DEPRECATE: return "addr-deprecate";
	case SIM_EV_STATE:	return "state";
	case SIM_EV_IP6:	return "ip6";
	case SIM_EV_DELIVER:	return "deliver";
	case SIM_EV_IP6_RECV:	return "ip6-recv";
	case SIM_EV_TUN_SEND:	return "tun-send";
	}
	return "?";
}

void
sim_dump(const struct sim_node *n, FILE *f)
{
	char a[16], b[16], six[46];

	fprintf(f, "# node %s (%u events, %" PRIu64 " not kept)\n", n->name,
	    n->n_log, n->log_lost);
	for (unsigned i = 0; i < n->n_log; i++) {
		const struct sim_ev *e = &n->log[i];

		fprintf(f, "#  %10.3f ms %-10s", (double)e->t / 1000.0,
		    sim_ev_name(e->kind));
		if (e->kind == SIM_EV_SEND || e->kind == SIM_EV_RECV)
			fprintf(f, " %s:%u -> %s:%u len %zu",
			    sw_addr_format4(e->src.addr, a), e->src.port,
			    sw_addr_format4(e->dst.addr, b), e->dst.port,
			    e->len);
		else if (e->kind == SIM_EV_ADDR_SET)
			fprintf(f, " %s", sw_addr_format6(e->addr, six));
		else if (e->kind == SIM_EV_STATE && n->kind == SIM_CLIENT)
			fprintf(f, " %s (%s)", sw_client_state_name(
			    (enum sw_client_state)e->state),
			    sw_client_reason_name(
			    (enum sw_client_reason)e->reason));
		else if (e->kind == SIM_EV_STATE)
			fprintf(f, " %d (%d)", e->state, e->reason);
		else
			fprintf(f, " len %zu", e->len);
		fputc('\n', f);
	}
}

/* ---- the fabric ---------------------------------------------------------- */

static double
uniform(struct sim *sim)
{
	return (double)(xorshift64(&sim->net_rng) >> 11) * 0x1.0p-53;
}

/* One crossing of n's link: true when the datagram is lost. */
static bool
lose(struct sim_node *n)
{
	if (n->cut) {
		n->st.cut++;
		n->sim->st.cut++;
		return true;
	}
	if (n->loss > 0 && uniform(n->sim) < n->loss) {
		n->st.lost++;
		n->sim->st.lost++;
		return true;
	}
	return false;
}

static bool
dg_before(const struct sim *sim, unsigned a, unsigned b)
{
	const struct sim_dgram *x = &sim->dg[a], *y = &sim->dg[b];

	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void
heap_swap(struct sim *sim, unsigned i, unsigned j)
{
	unsigned t = sim->heap[i];

	sim->heap[i] = sim->heap[j];
	sim->heap[j] = t;
}

static void
heap_push(struct sim *sim, unsigned slot)
{
	unsigned i = sim->n_heap++;

	sim->heap[i] = slot;
	while (i > 0 && dg_before(sim, sim->heap[i], sim->heap[(i - 1) / 2])) {
		heap_swap(sim, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static unsigned
heap_pop(struct sim *sim)
{
	unsigned top = sim->heap[0], i = 0;

	sim->heap[0] = sim->heap[--sim->n_heap];
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < sim->n_heap && dg_before(sim, sim->heap[l], sim->heap[m]))
			m = l;
		if (r < sim->n_heap && dg_before(sim, sim->heap[r], sim->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(sim, i, m);
		i = m;
	}
	return top;
}

/* A delivery of kind from `from` to `to` (IP6, TUN) or to dst (UDP);
 * TUN entries are due now, the others after the sender's latency. */
static void
enqueue_kind(struct sim_node *from, enum sim_dg_kind kind, unsigned to,
    const struct sw_v4ep *src, const struct sw_v4ep *dst, const void *buf,
    size_t len)
{
	struct sim *sim = from->sim;
	struct sim_dgram *d;
	sw_time delay = 0;
	unsigned slot;

	if (kind != SIM_DG_TUN) {
		delay = from->latency;
		if (from->jitter > 0)
			delay += xorshift64(&sim->net_rng) %
			    (from->jitter + 1);
	}
	if (sim->n_free == 0 || len > SIM_DGRAM_MAX) {
		sim->st.overflow++;
		return;
	}
	slot = sim->free_slot[--sim->n_free];
	d = &sim->dg[slot];
	d->t = sim->now + delay;
	d->seq = sim->seq++;
	d->kind = kind;
	d->from = from->idx;
	d->to = to;
	d->src = src != NULL ? *src : (struct sw_v4ep){ 0, 0 };
	d->dst = dst != NULL ? *dst : (struct sw_v4ep){ 0, 0 };
	d->len = len;
	memcpy(d->buf, buf, len);
	heap_push(sim, slot);
}

static void
enqueue(struct sim_node *from, const struct sw_v4ep *src,
    const struct sw_v4ep *dst, const void *buf, size_t len)
{
	enqueue_kind(from, SIM_DG_UDP, 0, src, dst, buf, len);
}

static void
transmit(struct sim_node *n, struct sw_v4ep src, const struct sw_v4ep *dst,
    const void *buf, size_t len, bool via_nat)
{
	log_add(n, (struct sim_ev){ .kind = SIM_EV_SEND, .src = src,
	    .dst = *dst, .len = len, .hash = fnv(FNV_OFFSET, buf, len) });
	n->st.sent++;
	if (lose(n))
		return;
	if (via_nat && n->nat != NULL &&
	    !sim_nat_out(n->nat, n->sim->now, &src, dst, &src))
		return;
	enqueue(n, &src, dst, buf, len);
}

void
sim_send(struct sim_node *n, uint16_t sport, const struct sw_v4ep *dst,
    const void *buf, size_t len)
{
	struct sw_v4ep src = { n->addr[0], sport != 0 ? sport : n->port };

	transmit(n, src, dst, buf, len, true);
}

void
sim_send_spoofed(struct sim_node *n, const struct sw_v4ep *src,
    const struct sw_v4ep *dst, const void *buf, size_t len)
{
	if (n->nat != NULL)
		die("sim_send_spoofed from behind a NAT");
	transmit(n, *src, dst, buf, len, false);
}

/* ---- the native IPv6 fabric ------------------------------------------------ */

static uint64_t
hash6(const void *buf, size_t len)
{
	return fnv(FNV_OFFSET, buf, len);
}

/* Keep a copy of a packet n delivered (client) or received (native). */
static void
keep_pkt(struct sim_node *n, const uint8_t *buf, size_t len)
{
	struct sim_pkt *k = &n->pkts[n->n_pkts++ % SIM_PKT_KEEP];

	k->t = n->sim->now;
	k->len = len;
	memcpy(k->pkt, buf, len < SIM_PKT_MAX ? len : SIM_PKT_MAX);
}

unsigned
sim_pkt_count(const struct sim_node *n)
{
	return n->n_pkts;
}

const struct sim_pkt *
sim_pkt_get(const struct sim_node *n, unsigned i)
{
	if (i >= n->n_pkts || n->n_pkts - i > SIM_PKT_KEEP)
		return NULL;
	return &n->pkts[i % SIM_PKT_KEEP];
}

/*
 * An ICMPv6 echo request to `self` in pkt: the reply (same identifier,
 * sequence and data, hop limit 64) in out; its length, or 0 when pkt is
 * not such a request.  A bad checksum is counted and not answered.
 */
static size_t
echo_answer(struct sim_node *n, const uint8_t self[16], const uint8_t *pkt,
    size_t len, uint8_t *out, size_t cap)
{
	struct sw_ip6_view ip;
	struct sw_echo_view e;
	enum sw_drop why;
	int r;

	if (sw_ip6_parse(pkt, len, &ip, &why) != 0 ||
	    memcmp(ip.dst, self, 16) != 0 || sw_wire_parse_echo(&ip, &e) != 0 ||
	    e.type != SW_ICMP6_ECHO_REQ)
		return 0;
	if (!sw_icmp6_checksum_ok(&ip)) {
		n->st.bad_checksum++;
		return 0;
	}
	r = sw_wire_build_echo(out, cap, SW_ICMP6_ECHO_REPLY, self, ip.src, 64,
	    e.id, e.seq, e.data, e.data_len);
	if (r <= 0)
		return 0;
	n->st.echo_replied++;
	return (size_t)r;
}

/* Route an IPv6 packet that left `from` on the native side: the Teredo
 * prefix to the relay, anything else to the native host that has the
 * destination address. */
static void
route6(struct sim_node *from, const uint8_t *pkt, size_t len)
{
	struct sim *sim = from->sim;
	struct sim_node *to = NULL;

	if (lose(from))
		return;
	if (len < SW_IP6_HLEN) {
		sim->st.no_route6++;
		return;
	}
	for (unsigned i = 0; i < sim->n_node && to == NULL; i++) {
		struct sim_node *n = &sim->node[i];

		if (n->kind == SIM_RELAY &&
		    sw_addr_is_teredo(pkt + 24, n->rconf.prefix))
			to = n;
		else if (n->kind == SIM_NATIVE &&
		    memcmp(pkt + 24, n->ip6addr, 16) == 0)
			to = n;
	}
	if (to == NULL) {
		sim->st.no_route6++;
		return;
	}
	enqueue_kind(from, SIM_DG_IP6, to->idx, NULL, NULL, pkt, len);
}

void
sim_native_send(struct sim_node *n, const void *pkt, size_t len)
{
	log_add(n, (struct sim_ev){ .kind = SIM_EV_IP6, .len = len,
	    .hash = hash6(pkt, len) });
	n->st.ip6_out++;
	route6(n, pkt, len);
}

/* ---- carrying out a core's actions ----------------------------------------- */

static void
exec_actions(struct sim_node *n)
{
	struct sim *sim = n->sim;
	uint8_t buf[SIM_DGRAM_MAX];

	for (unsigned i = 0; i < sim->acts.n; i++) {
		const struct sw_action *a = &sim->acts.a[i];
		size_t len = sw_action_len(a);

		if ((a->kind == SW_ACT_SEND_UDP || a->kind == SW_ACT_SEND_IP6 ||
		    a->kind == SW_ACT_DELIVER) && len > sizeof buf) {
			sim->st.overflow++;
			continue;
		}
		if (a->seg[0].len > 0)
			memcpy(buf, a->seg[0].p, a->seg[0].len);
		if (a->seg[1].len > 0)
			memcpy(buf + a->seg[0].len, a->seg[1].p, a->seg[1].len);

		switch (a->kind) {
		case SW_ACT_SEND_UDP: {
			unsigned s = (unsigned)a->sock;

			if (s >= n->n_addr) {
				fail(sim, "%s: SEND_UDP on socket %u", n->name,
				    s);
				break;
			}
			transmit(n, (struct sw_v4ep){ n->addr[s], n->port },
			    &a->dst, buf, len, true);
			break;
		}
		case SW_ACT_SEND_IP6: {
			unsigned k = (unsigned)(sim->ip6_count++ % SIM_IP6_KEEP);
			size_t keep = len < sizeof sim->ip6[k].pkt ? len :
			    sizeof sim->ip6[k].pkt;

			sim->ip6[k].from = n->idx;
			sim->ip6[k].len = len;
			memcpy(sim->ip6[k].pkt, buf, keep);
			log_add(n, (struct sim_ev){ .kind = SIM_EV_IP6,
			    .len = len, .hash = fnv(FNV_OFFSET, buf, len) });
			route6(n, buf, len);
			break;
		}
		case SW_ACT_DELIVER: {
			uint8_t reply[SIM_DGRAM_MAX];
			size_t rlen;

			log_add(n, (struct sim_ev){ .kind = SIM_EV_DELIVER,
			    .len = len, .hash = fnv(FNV_OFFSET, buf, len) });
			if (n->kind == SIM_RELAY) {
				/* its tunnel: the host routes it on */
				route6(n, buf, len);
				break;
			}
			keep_pkt(n, buf, len);
			/* the client's IP stack answers pings (later, at
			 * this same instant: actions never nest) */
			if (n->kind == SIM_CLIENT && n->echo && n->has_addr &&
			    (rlen = echo_answer(n, n->addr6, buf, len, reply,
			    sizeof reply)) > 0)
				enqueue_kind(n, SIM_DG_TUN, n->idx, NULL, NULL,
				    reply, rlen);
			break;
		}
		case SW_ACT_ADDR_SET: {
			struct sim_ev ev = { .kind = SIM_EV_ADDR_SET };

			/* replaces any address set before (action.h) */
			n->has_addr = true;
			n->deprecated = false;
			memcpy(n->addr6, a->addr, 16);
			memcpy(ev.addr, a->addr, 16);
			log_add(n, ev);
			break;
		}
		case SW_ACT_ADDR_DEPRECATE:
			if (!n->has_addr || memcmp(n->addr6, a->addr, 16) != 0)
				fail(sim, "%s: deprecating an address the "
				    "tunnel does not have", n->name);
			n->deprecated = true;
			log_add(n, (struct sim_ev){
			    .kind = SIM_EV_ADDR_DEPRECATE });
			break;
		case SW_ACT_ADDR_CLEAR:
			n->has_addr = false;
			n->deprecated = false;
			log_add(n, (struct sim_ev){ .kind = SIM_EV_ADDR_CLEAR });
			break;
		case SW_ACT_STATE:
			n->has_state = true;
			n->last_state = a->state;
			log_add(n, (struct sim_ev){ .kind = SIM_EV_STATE,
			    .state = a->state, .reason = a->reason });
			break;
		default:
			fail(sim, "%s: unknown action %d", n->name,
			    (int)a->kind);
			break;
		}
	}
}

static void
begin(struct sim_node *n)
{
	sw_actions_reset(&n->sim->acts);
	n->sim->acts.drops = &n->drops;
}

/* The datagram reached n's link; `to` is n's own address and port. */
static void
receive(struct sim_node *n, enum sw_sock sock, const struct sw_v4ep *from,
    const struct sw_v4ep *to, const uint8_t *buf, size_t len)
{
	struct sim *sim = n->sim;

	if (lose(n))
		return;
	if (n->kind != SIM_HOST && to->port != n->port) {
		n->st.no_port++;
		return;
	}
	log_add(n, (struct sim_ev){ .kind = SIM_EV_RECV, .src = *from,
	    .dst = *to, .len = len, .hash = fnv(FNV_OFFSET, buf, len) });
	n->st.received++;
	sim->st.delivered++;
	begin(n);
	switch (n->kind) {
	case SIM_SERVER:
		sw_server_input(n->server, sim->now, sock, from, buf, len,
		    &sim->acts);
		break;
	case SIM_CLIENT:
		sw_client_input(n->client, sim->now, from, buf, len,
		    &sim->acts);
		break;
	case SIM_RELAY:
		sw_relay_input(n->relay, sim->now, from, buf, len,
		    &sim->acts);
		break;
	case SIM_HOST:
		keep_pkt(n, buf, len);
		if (n->echo)
			transmit(n, *to, from, buf, len, true);
		break;
	case SIM_NATIVE:
		break;
	}
	exec_actions(n);
}

static void
client_send(struct sim_node *n, const uint8_t *pkt, size_t len)
{
	log_add(n, (struct sim_ev){ .kind = SIM_EV_TUN_SEND, .len = len,
	    .hash = hash6(pkt, len) });
	begin(n);
	sw_client_send(n->client, n->sim->now, pkt, len, &n->sim->acts);
	exec_actions(n);
}

/* An IPv6 packet from the native fabric reached n. */
static void
receive6(struct sim_node *n, const uint8_t *buf, size_t len)
{
	struct sim *sim = n->sim;
	uint8_t reply[SIM_DGRAM_MAX];
	size_t rlen;

	if (lose(n))
		return;
	log_add(n, (struct sim_ev){ .kind = SIM_EV_IP6_RECV, .len = len,
	    .hash = hash6(buf, len) });
	n->st.ip6_in++;
	sim->st.ip6_delivered++;
	if (n->kind == SIM_RELAY) {
		begin(n);
		sw_relay_send(n->relay, sim->now, buf, len, &sim->acts);
		exec_actions(n);
		return;
	}
	keep_pkt(n, buf, len);
	if (n->echo && (rlen = echo_answer(n, n->ip6addr, buf, len, reply,
	    sizeof reply)) > 0)
		sim_native_send(n, reply, rlen);
}

static void
deliver(struct sim *sim, const struct sim_dgram *d)
{
	struct sw_v4ep to = d->dst;

	if (d->kind == SIM_DG_IP6) {
		receive6(&sim->node[d->to], d->buf, d->len);
		return;
	}
	if (d->kind == SIM_DG_TUN) {
		struct sim_node *n = &sim->node[d->to];

		if (n->has_addr)	/* else the stack has no source */
			client_send(n, d->buf, d->len);
		return;
	}
	if (sim->hook != NULL && !sim->hook(sim->hook_ctx, sim, d)) {
		sim->st.hook_drop++;
		return;
	}
	for (unsigned i = 0; i < sim->n_node; i++) {
		struct sim_node *n = &sim->node[i];

		for (unsigned s = 0; n->nat == NULL && s < n->n_addr; s++) {
			if (n->addr[s] == d->dst.addr) {
				receive(n, (enum sw_sock)s, &d->src, &to,
				    d->buf, d->len);
				return;
			}
		}
	}
	for (unsigned k = 0; k < sim->n_nat; k++) {
		struct sim_nat *nat = &sim->nat[k];

		if (nat->conf.public_addr != d->dst.addr)
			continue;
		if (!sim_nat_in(nat, sim->now, &d->src, &d->dst, &to))
			return;
		for (unsigned i = 0; i < sim->n_node; i++) {
			struct sim_node *n = &sim->node[i];

			if (n->nat == nat && n->addr[0] == to.addr) {
				receive(n, SW_SOCK_PRIMARY, &d->src, &to,
				    d->buf, d->len);
				return;
			}
		}
		nat->st.no_host++;
		return;
	}
	sim->st.no_route++;
}

/* ---- driver invariants ------------------------------------------------------- */

static void
check_client(struct sim_node *n)
{
	struct sim *sim = n->sim;
	struct sw_client_status st;
	struct sw_teredo t;

	sw_client_status(n->client, &st);
	/* The tunnel holds at most one Teredo address (ADDR_SET replaces),
	 * and it is the one the core believes it has. */
	if (st.has_addr != n->has_addr ||
	    (n->has_addr && memcmp(st.addr, n->addr6, 16) != 0)) {
		fail(sim, "%s: tunnel %s an address, status %s (or differs)",
		    n->name, n->has_addr ? "has" : "has no",
		    st.has_addr ? "has one" : "has none");
		return;
	}
	if (n->has_state && n->last_state != (int)st.state) {
		fail(sim, "%s: last STATE action %d, status state %s", n->name,
		    n->last_state, sw_client_state_name(st.state));
		return;
	}
	if (!n->has_addr)
		return;
	sw_addr_decode(n->addr6, &t);
	if (t.prefix != n->cconf.prefix || t.server != st.server.primary)
		fail(sim, "%s: address not of prefix %08x and server %08x",
		    n->name, n->cconf.prefix, st.server.primary);
	else if (st.state == SW_CLIENT_QUALIFIED ? n->deprecated :
	    !n->deprecated)
		/* only QUALIFIED has a preferred address; DORMANT, and the
		 * qualification it wakes into, a deprecated one */
		fail(sim, "%s: %s address in state %s", n->name,
		    n->deprecated ? "deprecated" : "preferred",
		    sw_client_state_name(st.state));
	else if (st.dormant != (st.state == SW_CLIENT_DORMANT))
		fail(sim, "%s: status dormant %d in state %s", n->name,
		    (int)st.dormant, sw_client_state_name(st.state));
}

static void
check_invariants(struct sim *sim)
{
	for (unsigned i = 0; i < sim->n_node; i++)
		if (sim->node[i].kind == SIM_CLIENT)
			check_client(&sim->node[i]);
}

/* ---- running ------------------------------------------------------------------ */

void
sim_client_start(struct sim_node *n)
{
	if (n->kind != SIM_CLIENT)
		die("sim_client_start on a non-client");
	begin(n);
	sw_client_start(n->client, n->sim->now, &n->sim->acts);
	exec_actions(n);
	check_invariants(n->sim);
}

void
sim_client_set_edge(struct sim_node *n, const struct sw_edge *e)
{
	if (n->kind != SIM_CLIENT)
		die("sim_client_set_edge on a non-client");
	sw_client_set_edge(n->client, e);
}

void
sim_client_set_listening(struct sim_node *n, bool granted)
{
	if (n->kind != SIM_CLIENT)
		die("sim_client_set_listening on a non-client");
	begin(n);
	sw_client_set_listening(n->client, n->sim->now, granted,
	    &n->sim->acts);
	exec_actions(n);
	check_invariants(n->sim);
}

void
sim_client_stop(struct sim_node *n, enum sw_client_reason why)
{
	if (n->kind != SIM_CLIENT)
		die("sim_client_stop on a non-client");
	begin(n);
	sw_client_stop(n->client, n->sim->now, why, &n->sim->acts);
	exec_actions(n);
	check_invariants(n->sim);
}

void
sim_client_status(const struct sim_node *n, struct sw_client_status *st)
{
	if (n->kind != SIM_CLIENT)
		die("sim_client_status on a non-client");
	sw_client_status(n->client, st);
}

void
sim_server_input_ip6(struct sim_node *n, const void *pkt, size_t len)
{
	if (n->kind != SIM_SERVER)
		die("sim_server_input_ip6 on a non-server");
	begin(n);
	sw_server_input_ip6(n->server, n->sim->now, pkt, len, &n->sim->acts);
	exec_actions(n);
}

void
sim_client_send(struct sim_node *n, const void *pkt, size_t len)
{
	if (n->kind != SIM_CLIENT)
		die("sim_client_send on a non-client");
	client_send(n, pkt, len);
	check_invariants(n->sim);
}

void
sim_relay_send(struct sim_node *n, const void *pkt, size_t len)
{
	if (n->kind != SIM_RELAY)
		die("sim_relay_send on a non-relay");
	receive6(n, pkt, len);
}

void
sim_relay_restart(struct sim_node *n)
{
	if (n->kind != SIM_RELAY)
		die("sim_relay_restart on a non-relay");
	sw_relay_free(n->relay);
	n->relay = NULL;
	if (sw_relay_new(&n->relay, &n->rconf, &n->rrng) != 0)
		die("sw_relay_new failed");
	n->restarts++;
}

void
sim_relay_status(const struct sim_node *n, struct sw_relay_status *st)
{
	if (n->kind != SIM_RELAY)
		die("sim_relay_status on a non-relay");
	sw_relay_status(n->relay, st);
}

static sw_time
node_deadline(const struct sim_node *n)
{
	switch (n->kind) {
	case SIM_CLIENT:
		return sw_client_next_deadline(n->client);
	case SIM_RELAY:
		return sw_relay_next_deadline(n->relay);
	case SIM_SERVER:
	case SIM_HOST:
	case SIM_NATIVE:
		break;
	}
	return SW_TIME_NEVER;
}

int
sim_run_until(struct sim *sim, sw_time until)
{
	sw_time last = sim->now;
	unsigned same = 0;

	while (sim->error[0] == '\0') {
		sw_time tick_t = SW_TIME_NEVER, dg_t = SW_TIME_NEVER;
		struct sim_node *tick_n = NULL;

		for (unsigned i = 0; i < sim->n_node; i++) {
			sw_time d = node_deadline(&sim->node[i]);

			if (d < tick_t) {
				tick_t = d;
				tick_n = &sim->node[i];
			}
		}
		if (sim->n_heap > 0)
			dg_t = sim->dg[sim->heap[0]].t;
		if (dg_t > until && tick_t > until)
			break;
		if (dg_t <= tick_t) {
			unsigned slot = heap_pop(sim);

			if (dg_t > sim->now)
				sim->now = dg_t;
			deliver(sim, &sim->dg[slot]);
			sim->free_slot[sim->n_free++] = slot;
		} else {
			if (tick_t > sim->now)
				sim->now = tick_t;
			begin(tick_n);
			if (tick_n->kind == SIM_RELAY)
				sw_relay_tick(tick_n->relay, sim->now,
				    &sim->acts);
			else
				sw_client_tick(tick_n->client, sim->now,
				    &sim->acts);
			exec_actions(tick_n);
		}
		sim->st.steps++;
		same = sim->now == last ? same + 1 : 0;
		last = sim->now;
		if (same > STUCK_STEPS)
			fail(sim, "no progress: %u steps at one instant "
			    "(a deadline that does not move?)", same);
		check_invariants(sim);
	}
	if (sim->error[0] != '\0')
		return -1;
	if (until > sim->now)
		sim->now = until;
	return 0;
}
