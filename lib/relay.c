/*
 * relay.c - the Teredo relay, pure (RFC 4380 §5.4; spec §4).  See
 * relay.h for the contract, the entry life cycle and the complexity.
 *
 * Peer fields as the relay uses them (struct sw_peer):
 *   mapped     where to send: the embedded mapping, then the UDP source
 *              of the client's answer (equal, D18)
 *   trusted    the client answered (REL-RX-4)
 *   last_rx    last datagram accepted from the client
 *   last_tx    last packet sent to the client
 *   ping_sent  time of the last bubble round (the retry clock)
 *   retries    bubble rounds done after the first one
 *   bubbles    bubble rounds done in all (saturating)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "edge.h"
#include "flow.h"
#include "peer.h"
#include "quota.h"
#include "ratelimit.h"
#include "relay.h"
#include "timerq.h"
#include "weaken.h"
#include "wire.h"

#define BUBBLE_HLIM	255
#define RELAY_EVICT_SCAN 16	/* LRU entries looked at for a victim */
#define SWEEP_EVERY	SW_SEC	/* stale trusted entries: a slice ... */
#define SWEEP_SLICES	8	/* ... of capacity / 8 slots each time */
#define ROUND_ROOM	2, 2 * SW_IP6_HLEN	/* actions, bytes: one round */

struct sw_relay {
	struct sw_relay_conf conf;
	struct sw_peer_table *peers;
	struct sw_timerq timers;	/* retry deadlines (timerq.h) */
	size_t memsize;
	struct sw_relay_stats stats;
	struct sw_tb icmp_tb;		/* SEC-9: ICMPv6 errors (zeroed:
					   full at the first error) */
	struct sw_quota *trusted_q;	/* trusted entries per IPv4 endpoint
					   and per IPv4 address */
	uint32_t n_trusted;
	struct sw_rl *bubble_rl;	/* bubbles per destination IPv4 */
	struct sw_tb bubble_tb;		/* all bubbles */
	sw_time sweep_next;
	uint32_t sweep_at;		/* slot cursor */
	/* host_guard (relay.h) */
	bool running;
	bool dormant;
	bool listening;			/* a granted listener exists */
	sw_time active;			/* idle since (dormancy clock) */
	sw_time last_data;		/* SW_TIME_NEVER: none */
	struct sw_edge edge;		/* granted ports */
	struct sw_flow_table *flows;	/* what the host's applications
					   opened; NULL without host_guard */
};

void
sw_relay_conf_default(struct sw_relay_conf *conf)
{
	memset(conf, 0, sizeof *conf);
	conf->prefix = SW_TEREDO_PREFIX;		/* COM-ADDR-1 */
	conf->v4.policy = SW_V4_HARDENED;		/* COM-V4G-2 */
	conf->n_served = 1;				/* ::/0 */
	conf->capacity = 1024;
	conf->queue_peer_bytes = 4096;
	conf->queue_total_bytes = 256 * 1024;
	conf->max_packet = 1280;			/* COM-MTU-1 */
	conf->retry_interval = 2 * SW_SEC;		/* REL-TX-4 */
	conf->retries = 3;
	conf->decrement_hop_limit = true;
	conf->icmp_rate.interval = 100 * SW_MSEC;	/* SEC-9: 10/s */
	conf->icmp_rate.burst = 10;
	conf->valid = 30 * SW_SEC;			/* rfc-notes 17 */
	conf->peers_per_mapping = 8;
	conf->peers_per_address = 64;
	conf->bubble_rate.interval = 20 * SW_MSEC;	/* 50/s per IPv4 */
	conf->bubble_rate.burst = 20;
	conf->bubble_rate_total.interval = SW_MSEC;	/* 1000/s */
	conf->bubble_rate_total.burst = 200;
	conf->flows = 4096;
}

static bool
ip6_is_zero(const uint8_t a[16])
{
	for (unsigned i = 0; i < 16; i++)
		if (a[i] != 0)
			return false;
	return true;
}

int
sw_relay_new(struct sw_relay **out, const struct sw_relay_conf *conf,
    const struct sw_rng *rng)
{
	struct sw_peer_table_conf pc;
	struct sw_relay *r;
	int err;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (conf == NULL || rng == NULL)
		return -EINVAL;
	if (ip6_is_zero(conf->bubble_src) || conf->bubble_src[0] == 0xff ||
	    sw_addr_is_link_local(conf->bubble_src) ||
	    sw_addr_is_teredo(conf->bubble_src, conf->prefix))
		return -EINVAL;
	if (conf->n_served < 1 || conf->n_served > SW_RELAY_MAX_SERVED)
		return -EINVAL;
	for (size_t i = 0; i < conf->n_served; i++)
		if (conf->served[i].plen > 128)
			return -EINVAL;
	if (conf->n_own > SW_RELAY_MAX_OWN ||
	    conf->n_intranet > SW_RELAY_MAX_INTRANET)
		return -EINVAL;
	for (size_t i = 0; i < conf->n_intranet; i++)
		if (conf->intranet[i].plen > 32)
			return -EINVAL;
	if (conf->bubble_rate.interval == 0 || conf->bubble_rate.burst == 0 ||
	    conf->bubble_rate_total.interval == 0 ||
	    conf->bubble_rate_total.burst == 0)
		return -EINVAL;
	if (conf->host_guard && conf->flows == 0)
		return -EINVAL;
	if (conf->retry_interval == 0 || conf->valid == 0 ||
	    conf->retries > 250 || conf->capacity > (UINT32_C(1) << 24))
		return -EINVAL;

	memset(&pc, 0, sizeof pc);
	pc.capacity = conf->capacity;
	/* HARD-6: without SW_DEFENCE(RELAY_QUEUE) one peer may take the
	 * whole pool. */
	pc.queue_peer_bytes = SW_DEFENCE(RELAY_QUEUE) ?
	    conf->queue_peer_bytes : conf->queue_total_bytes;
	pc.queue_total_bytes = conf->queue_total_bytes;
	pc.slot_size = conf->max_packet;
	sw_rng_fill(rng, pc.hash_key, sizeof pc.hash_key);

	if ((r = calloc(1, sizeof *r)) == NULL)
		return -ENOMEM;
	r->conf = *conf;
	if ((err = sw_peer_table_new(&r->peers, &pc)) != 0) {
		free(r);
		return err;
	}
	if (r->conf.peers_per_mapping == 0)
		r->conf.peers_per_mapping = conf->capacity;
	if (r->conf.peers_per_address == 0)
		r->conf.peers_per_address = conf->capacity;
	sw_rng_fill(rng, pc.hash_key, sizeof pc.hash_key);
	/* Two keys per trusted entry at most: its endpoint and address. */
	if ((err = sw_timerq_init(&r->timers, 2 * conf->capacity)) != 0 ||
	    (err = sw_quota_new(&r->trusted_q, 2 * conf->capacity,
	    pc.hash_key)) != 0 ||
	    (sw_rng_fill(rng, pc.hash_key, sizeof pc.hash_key),
	    err = sw_rl_new(&r->bubble_rl, conf->capacity < 4 ? 4 :
	    conf->capacity, &conf->bubble_rate, pc.hash_key)) != 0) {
		sw_relay_free(r);
		return err;
	}
	if (conf->host_guard &&
	    (err = sw_flow_table_new(&r->flows, conf->flows, rng)) != 0) {
		sw_relay_free(r);
		return err;
	}
	r->sweep_next = SW_TIME_NEVER;
	/* Fail closed: the host's relay carries nothing until the daemon
	 * says its firewall holds (sw_relay_start). */
	r->running = !conf->host_guard;
	r->active = 0;
	r->last_data = SW_TIME_NEVER;
	r->memsize = sizeof *r + sw_timerq_memsize(&r->timers) +
	    sw_peer_table_memsize(r->peers) +
	    sw_quota_memsize(r->trusted_q) +
	    (r->flows != NULL ? sw_flow_table_memsize(r->flows) : 0);
	*out = r;
	return 0;
}

void
sw_relay_free(struct sw_relay *r)
{
	if (r == NULL)
		return;
	sw_peer_table_free(r->peers);
	sw_timerq_free(&r->timers);
	sw_quota_free(r->trusted_q);
	sw_rl_free(r->bubble_rl);
	sw_flow_table_free(r->flows);
	free(r);
}

void
sw_relay_status(const struct sw_relay *r, struct sw_relay_status *st)
{
	memset(st, 0, sizeof *st);
	st->peers = sw_peer_count(r->peers);
	st->capacity = sw_peer_capacity(r->peers);
	st->timers = sw_timerq_len(&r->timers);
	st->queued_bytes = sw_peer_queue_total(r->peers);
	st->memsize = r->memsize;
	st->stats = r->stats;
	st->running = r->running;
	st->dormant = r->dormant;
	st->listening = r->listening;
	st->flows = r->flows != NULL ? sw_flow_count(r->flows) : 0;
	st->last_data = r->last_data;
}

/* When dormancy is due (relay.h), or SW_TIME_NEVER. */
static sw_time
dormant_due(const struct sw_relay *r)
{
	if (!r->conf.host_guard || r->conf.dormant_after == 0 ||
	    !r->running || r->dormant || r->listening)
		return SW_TIME_NEVER;
	if (r->active > SW_TIME_NEVER - r->conf.dormant_after)
		return SW_TIME_NEVER;
	return r->active + r->conf.dormant_after;
}

sw_time
sw_relay_next_deadline(const struct sw_relay *r)
{
	sw_time t = sw_timerq_next(&r->timers);

	if (r->n_trusted > 0 && r->sweep_next < t)
		t = r->sweep_next;
	if (dormant_due(r) < t)
		t = dormant_due(r);
	return t;
}

/* ---- helpers ------------------------------------------------------------ */

static bool
peer_valid(const struct sw_relay *r, const struct sw_peer *p, sw_time now)
{
	return p->trusted &&
	    (now < p->last_rx || now - p->last_rx < r->conf.valid);
}

/*
 * Trusted entries are counted per IPv4 endpoint and per IPv4 address
 * embedded in their Teredo address (the UDP source that trusted them,
 * D18), so that one endpoint, which stands for 2^48 Teredo addresses,
 * cannot hold every slot with valid trusted entries (HARD-6).
 */
static void
trust_keys(const struct sw_peer *p, uint64_t *ep, uint64_t *v4)
{
	struct sw_teredo t;

	sw_addr_decode(p->addr, &t);
	*ep = sw_quota_key_ep(&t.mapped);
	*v4 = sw_quota_key_v4(t.mapped.addr);
}

/* May p become trusted (SW_DEFENCE(RELAY_MAPPING))?  Counted if so. */
static bool
trust_take(struct sw_relay *r, struct sw_peer *p, sw_time now)
{
	uint64_t ep, v4;

	trust_keys(p, &ep, &v4);
	if (SW_DEFENCE(RELAY_MAPPING) &&
	    (sw_quota_get(r->trusted_q, ep) >= r->conf.peers_per_mapping ||
	    sw_quota_get(r->trusted_q, v4) >= r->conf.peers_per_address))
		return false;
	/* Cannot fail: at most capacity trusted entries, two keys each. */
	(void)sw_quota_add(r->trusted_q, ep);
	(void)sw_quota_add(r->trusted_q, v4);
	if (r->n_trusted++ == 0)
		r->sweep_next = now + SWEEP_EVERY;
	p->trusted = true;
	return true;
}

static void
untrust(struct sw_relay *r, struct sw_peer *p)
{
	uint64_t ep, v4;

	if (!p->trusted)
		return;
	trust_keys(p, &ep, &v4);
	sw_quota_sub(r->trusted_q, ep);
	sw_quota_sub(r->trusted_q, v4);
	r->n_trusted--;
	p->trusted = false;
}

/* Every removal goes through here, so that the counts stay right. */
static void
drop_peer(struct sw_relay *r, struct sw_peer *p, struct sw_actions *acts)
{
	untrust(r, p);
	sw_peer_remove(r->peers, p, acts->drops);
}

/* Every peer and its queue dropped, every flow forgotten (stop,
 * dormancy).  Their timer records are skipped when they come due. */
static void
forget_all(struct sw_relay *r, struct sw_actions *acts)
{
	struct sw_peer *p;

	while ((p = sw_peer_lru(r->peers)) != NULL)
		drop_peer(r, p, acts);
	if (r->flows != NULL)
		sw_flow_clear(r->flows);
}

/* ---- the host's guard (host_guard, relay.h) ------------------------------
 *
 * r->flows holds the flows the host's applications opened (flow.h), and
 * beside them one "address" entry per remote the applications sent to
 * (protocol 44, ports 0: no upper layer is ever 44, the walk passes
 * Fragment headers), which is what a non-first fragment, with no ports
 * to judge it by, needs.  Only the host fills the table (sw_relay_send),
 * so a peer can neither open nor evict an entry of its own.
 */
static void
addr_key(const uint8_t remote[16], struct sw_flow *f)
{
	memset(f, 0, sizeof *f);
	memcpy(f->remote, remote, 16);
	f->proto = SW_NH_FRAGMENT;
}

/* The host sent ip (from one of its served addresses): what it opens. */
static void
note_sent(struct sw_relay *r, const struct sw_ip6_view *ip)
{
	struct sw_flow f;

	if (r->flows == NULL || !SW_DEFENCE(HSR_GUARD) ||
	    sw_check_dst_served(ip->src, r->conf.served, r->conf.n_served) !=
	    SW_DROP_NONE || !sw_flow_outbound(ip, &f))
		return;
	sw_flow_note(r->flows, &f);
	addr_key(ip->dst, &f);
	sw_flow_note(r->flows, &f);
}

/* A data packet was carried (dormancy, status). */
static void
note_data(struct sw_relay *r, sw_time now)
{
	r->last_data = now;
	r->active = now;
	r->dormant = false;
}

/*
 * HARD-2, CVE-2006-6265 for the host behind its own relay: a packet from
 * a Teredo peer reaches the host when it belongs to a flow the host's
 * applications opened, or else when sw_edge_check() grants it; a
 * non-first fragment only from a peer they sent to.  True (counted) when
 * refused.
 */
static bool
host_refused(struct sw_relay *r, const struct sw_ip6_view *ip,
    struct sw_actions *acts)
{
	struct sw_flow f;
	enum sw_drop why;

	if (r->flows == NULL || !SW_DEFENCE(HSR_GUARD))
		return false;
	switch (sw_flow_inbound(ip, &f)) {
	case SW_FLOW_IN_FRAGMENT:
		addr_key(ip->src, &f);
		if (sw_flow_open(r->flows, &f))
			return false;
		r->stats.fragment_refused++;
		sw_actions_drop(acts, SW_DROP_FRAGMENT_UNSOLICITED);
		return true;
	case SW_FLOW_IN_FLOW:
		if (sw_flow_open(r->flows, &f))
			return false;
		break;
	default:
		break;
	}
	if ((why = sw_edge_check(&r->edge, ip)) == SW_DROP_NONE)
		return false;
	r->stats.flow_refused++;
	sw_actions_drop(acts, why);
	return true;
}

void
sw_relay_start(struct sw_relay *r, sw_time now)
{
	if (r->running)
		return;
	r->running = true;
	r->dormant = false;
	r->active = now;		/* idle from now on at the earliest */
}

void
sw_relay_stop(struct sw_relay *r, struct sw_actions *acts)
{
	if (!r->running)
		return;
	forget_all(r, acts);
	r->running = false;
}

void
sw_relay_set_edge(struct sw_relay *r, const struct sw_edge *e)
{
	r->edge = *e;
	/* a corrupt count must not make sw_edge_has() read past the end */
	if (r->edge.n_tcp > SW_EDGE_MAX_PORTS)
		r->edge.n_tcp = SW_EDGE_MAX_PORTS;
	if (r->edge.n_udp > SW_EDGE_MAX_PORTS)
		r->edge.n_udp = SW_EDGE_MAX_PORTS;
}

void
sw_relay_set_listening(struct sw_relay *r, sw_time now, bool granted)
{
	if (r->listening && !granted && r->active < now)
		r->active = now;
	r->listening = granted;
}

/* Idle (relay.h): forget every peer and flow. */
static void
enter_dormant(struct sw_relay *r, struct sw_actions *acts)
{
	forget_all(r, acts);
	r->dormant = true;
	r->stats.dormancies++;
}

/* The live untrusted peer a record stands for, or NULL when stale. */
static struct sw_peer *
timer_peer(struct sw_relay *r, const struct sw_timerq_ent *t)
{
	struct sw_peer *p;

	p = sw_peer_lookup(r->peers, t->addr);
	if (p == NULL || p->trusted ||
	    p->ping_sent + r->conf.retry_interval != t->due)
		return NULL;
	return p;
}

static void
ring_push(struct sw_relay *r, const uint8_t addr[16], sw_time due,
    struct sw_actions *acts)
{
	if (sw_timerq_full(&r->timers)) {
		struct sw_timerq_ent old;
		struct sw_peer *p;

		(void)sw_timerq_pop(&r->timers, &old);
		if ((p = timer_peer(r, &old)) != NULL) {
			/* HARD-6: out of timer space, give up on it. */
			r->stats.timer_overflows++;
			drop_peer(r, p, acts);
		}
	}
	sw_timerq_push(&r->timers, addr, due);
}

/*
 * A copy of the 40-byte header of pkt in the arena, hop limit
 * decremented (the caller checked it is > 1); then one action sending
 * header + the rest of pkt in place.  Without decrement_hop_limit (the
 * host's IP stack routes, and decrements) the action points at pkt as it
 * is: no copy at all.  False when the list is full (ACTIONS_FULL
 * counted).
 */
static bool
emit(const struct sw_relay *r, struct sw_actions *acts,
    enum sw_action_kind kind, const struct sw_v4ep *dst, const uint8_t *pkt,
    size_t len)
{
	struct sw_action *a;
	uint8_t *h = NULL;

	if (r->conf.decrement_hop_limit &&
	    (h = sw_actions_alloc(acts, SW_IP6_HLEN)) == NULL)
		return false;
	if ((a = sw_actions_push(acts, kind)) == NULL) {
		if (h != NULL)
			sw_actions_trim(acts, h, SW_IP6_HLEN, 0);
		return false;
	}
	a->sock = SW_SOCK_PRIMARY;
	if (dst != NULL)
		a->dst = *dst;
	if (h == NULL) {
		a->seg[0] = (struct sw_seg){ pkt, len };
		return true;
	}
	memcpy(h, pkt, SW_IP6_HLEN);
	h[7] = (uint8_t)(h[7] - 1);
	a->seg[0] = (struct sw_seg){ h, SW_IP6_HLEN };
	if (len > SW_IP6_HLEN)
		a->seg[1] = (struct sw_seg){ pkt + SW_IP6_HLEN,
		    len - SW_IP6_HLEN };
	return true;
}

/* Send p's queue to its mapping, oldest first, as far as actions fit. */
static void
flush(struct sw_relay *r, struct sw_peer *p, struct sw_actions *acts)
{
	const uint8_t *pkt;
	size_t len;

	while ((pkt = sw_peer_queue_front(r->peers, p, &len)) != NULL) {
		if (!emit(r, acts, SW_ACT_SEND_UDP, &p->mapped, pkt, len))
			return;		/* the rest waits for the next packet */
		/* The slot is only reused by a later enqueue, and the relay
		 * enqueues nothing before returning from a flush. */
		sw_peer_queue_pop(r->peers, p);
		r->stats.flushed++;
		r->stats.to_clients++;
	}
}

/*
 * SW_DEFENCE(RELAY_BUBBLE): may a bubble go to the IPv4 address dst?
 * Whoever sends to a Teredo address chooses its server and mapping, so a
 * 40-byte packet would buy bubbles to any IPv4 of its choice: one bucket
 * per destination IPv4 and one for all bound what it buys.  A bubble not
 * sent is counted (BUBBLE_LIMITED); the entry's retries go on.
 *
 * The first indirect bubble of a new entry (per_dst false) is refused by
 * the global bucket only: every client of a server shares that server's
 * IPv4, so a per-destination refusal there would let one flood of new
 * entries lock every new client of the server out.  It still takes a
 * token from its destination's bucket when there is one, so under such
 * a flood the retries to that IPv4 starve: one packet buys one bubble,
 * like any forwarding, and the multipliers (retries, the direct bubble)
 * stay bounded per destination.
 */
static bool
bubble_budget(struct sw_relay *r, uint32_t dst, bool per_dst, sw_time now,
    struct sw_actions *acts)
{
	uint8_t key[16] = { [10] = 0xff, [11] = 0xff };

	if (!SW_DEFENCE(RELAY_BUBBLE))
		return true;
	sw_put32(key + 12, dst);
	if ((!sw_rl_allow(r->bubble_rl, key, now) && per_dst) ||
	    !sw_tb_take(&r->bubble_tb, &r->conf.bubble_rate_total, now)) {
		r->stats.bubbles_limited++;
		sw_actions_drop(acts, SW_DROP_BUBBLE_LIMITED);
		return false;
	}
	return true;
}

static void
push_bubble(struct sw_relay *r, const struct sw_v4ep *dst, uint8_t *b,
    struct sw_actions *acts)
{
	struct sw_action *a;

	if ((a = sw_actions_push(acts, SW_ACT_SEND_UDP)) == NULL)
		return;
	a->sock = SW_SOCK_PRIMARY;
	a->dst = *dst;
	a->seg[0] = (struct sw_seg){ b, SW_IP6_HLEN };
	r->stats.bubbles_sent++;
}

/* One bubble round to p (REL-TX-4, REL-TX-6, COM-BUB-2). */
static void
bubble_round(struct sw_relay *r, struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	struct sw_teredo t;
	struct sw_v4ep srv;
	bool retry = p->retries > 0;
	uint8_t *b;

	p->ping_sent = now;
	if (p->bubbles < UINT8_MAX)
		p->bubbles++;
	r->stats.bubble_rounds++;
	ring_push(r, p->addr, now + r->conf.retry_interval, acts);

	sw_addr_decode(p->addr, &t);
	srv = (struct sw_v4ep){ t.server, SW_TEREDO_PORT };
	if ((b = sw_actions_alloc(acts, SW_IP6_HLEN)) == NULL)
		return;
	(void)sw_wire_build_bubble(b, SW_IP6_HLEN, r->conf.bubble_src,
	    p->addr, BUBBLE_HLIM);
	if (bubble_budget(r, t.server, retry, now, acts))
		push_bubble(r, &srv, b, acts);
	/* the same bytes */
	if (r->conf.always_direct_bubble &&
	    bubble_budget(r, t.mapped.addr, true, now, acts))
		push_bubble(r, &t.mapped, b, acts);
}

/* p is (again) untrusted: bubble now unless a round went out less than
 * retry_interval ago, in which case the retry clock of that round runs. */
static void
start_bubbling(struct sw_relay *r, struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	untrust(r, p);
	p->retries = 0;
	if (p->bubbles == 0 || now < p->ping_sent ||
	    now - p->ping_sent >= r->conf.retry_interval)
		bubble_round(r, p, now, acts);
	else
		ring_push(r, p->addr, p->ping_sent + r->conf.retry_interval,
		    acts);
}

/*
 * HARD-6, SW_DEFENCE(RELAY_PEERS): room for a new entry in a full table
 * without evicting a valid trusted peer.  First the RELAY_EVICT_SCAN
 * least recently used entries: the oldest untrusted or stale one there
 * goes; then the oldest untrusted entry of the timer ring (its records
 * come off the front; dead ones are skipped, O(1) amortised).  False
 * when neither finds one.
 */
static bool
make_room(struct sw_relay *r, sw_time now, struct sw_actions *acts)
{
	struct sw_timerq_ent t;
	struct sw_peer *p = sw_peer_lru(r->peers);

	for (unsigned n = 0; p != NULL && n < RELAY_EVICT_SCAN; n++) {
		if (!peer_valid(r, p, now)) {
			if (!p->trusted)
				r->stats.displaced++;
			drop_peer(r, p, acts);
			return true;
		}
		p = sw_peer_newer(r->peers, p);
	}
	while (sw_timerq_pop(&r->timers, &t)) {
		if ((p = timer_peer(r, &t)) != NULL) {
			r->stats.displaced++;
			drop_peer(r, p, acts);
			return true;
		}
	}
	return false;
}

/*
 * A new entry for addr, or NULL (PEER_TABLE_FULL counted) when the table
 * is full of valid trusted peers (HARD-6).  Without the defence: plain
 * LRU eviction, whatever the victim.
 */
static struct sw_peer *
new_peer(struct sw_relay *r, const uint8_t addr[16], sw_time now,
    struct sw_actions *acts)
{
	bool created;

	if (sw_peer_count(r->peers) == sw_peer_capacity(r->peers)) {
		if (SW_DEFENCE(RELAY_PEERS)) {
			if (!make_room(r, now, acts)) {
				r->stats.table_full++;
				sw_actions_drop(acts, SW_DROP_PEER_TABLE_FULL);
				return NULL;
			}
		} else {
			struct sw_peer *lru = sw_peer_lru(r->peers);

			if (lru != NULL && peer_valid(r, lru, now))
				r->stats.evicted_trusted++;
			if (lru != NULL)
				untrust(r, lru);	/* insert evicts it */
		}
	}
	return sw_peer_insert(r->peers, addr, &created, acts->drops);
}

/*
 * REL-TX-5: queue pkt for p.  HARD-6, SW_DEFENCE(RELAY_QUEUE): when the
 * pool is full, the oldest packets of the peer holding the most bytes go
 * instead, as long as it holds more than p (relay.h).  False when the
 * packet was dropped (counted).
 */
static bool
enqueue(struct sw_relay *r, struct sw_peer *p, const uint8_t *pkt,
    size_t len, struct sw_actions *acts)
{
	enum sw_drop why = SW_DROP_NONE;
	bool first = p->q_pkts == 0;

	while (sw_peer_enqueue(r->peers, p, pkt, len, &why) != 0) {
		struct sw_peer *v;

		if (!SW_DEFENCE(RELAY_QUEUE) || why != SW_DROP_QUEUE_TOTAL_FULL ||
		    (v = sw_peer_queue_biggest(r->peers, p)) == NULL ||
		    v->q_bytes <= p->q_bytes) {
			if (why == SW_DROP_QUEUE_TOTAL_FULL && first)
				r->stats.queue_refused_new++;
			sw_actions_drop(acts, why);
			return false;
		}
		/* Each pop frees a slot: the loop ends. */
		sw_peer_queue_pop(r->peers, v);
		r->stats.queue_evicted++;
		sw_actions_drop(acts, SW_DROP_QUEUE_TOTAL_FULL);
	}
	r->stats.queued++;
	return true;
}

/* ---- native side -> clients (REL-TX-*) ----------------------------------- */

/* Either way, last: no RH0 at all (D25: a relay forwards, so even
 * Segments Left 0 means the packet was source-routed through us), and a
 * hop to spare when we route. */
static enum sw_drop
check_forward(const struct sw_relay *r, const struct sw_ip6_view *ip)
{
	enum sw_drop why;

	if ((why = sw_check_routing_header_any(ip)) != SW_DROP_NONE)
		return why;				/* D25 */
	if (r->conf.decrement_hop_limit && ip->hlim <= 1)
		return SW_DROP_HOP_LIMIT;
	return SW_DROP_NONE;
}

/* HARD-4 (IntranetPrefix): bubbles and packets never go to, nor are
 * trusted from, an internal IPv4. */
static enum sw_drop
intranet(const struct sw_relay *r, uint32_t v4)
{
	for (unsigned i = 0; i < r->conf.n_intranet; i++)
		if (SW_DEFENCE(INTRANET) &&
		    sw_check_v4_in(v4, &r->conf.intranet[i]))
			return SW_DROP_SRC_INTRANET;
	return SW_DROP_NONE;
}

static enum sw_drop
check_tx(const struct sw_relay *r, const struct sw_ip6_view *ip,
    struct sw_teredo *t)
{
	enum sw_drop why;

	if (!sw_addr_is_teredo(ip->dst, r->conf.prefix))
		return SW_DROP_DST_NOT_TEREDO;		/* REL-TX-1 */
	if ((why = sw_check_ip6_src(ip->src)) != SW_DROP_NONE)
		return why;				/* HARD-7 */
	if (sw_addr_is_teredo(ip->src, r->conf.prefix))
		return SW_DROP_TEREDO_TRANSIT;		/* HARD-7 */
	sw_addr_decode(ip->dst, t);			/* cone bit ignored */
	if ((why = sw_check_loop(t, r->conf.own, r->conf.n_own)) !=
	    SW_DROP_NONE)
		return why;				/* RFC 6324 */
	if ((why = sw_check_udp_dst(&r->conf.v4, &t->mapped)) != SW_DROP_NONE)
		return why;				/* D17, HARD-8 */
	if ((why = sw_check_v4(&r->conf.v4, t->server)) != SW_DROP_NONE)
		return why;				/* D17, indirect bubble */
	if ((why = intranet(r, t->mapped.addr)) != SW_DROP_NONE ||
	    (why = intranet(r, t->server)) != SW_DROP_NONE)
		return why;				/* HARD-4 */
	return check_forward(r, ip);
}

void
sw_relay_send(struct sw_relay *r, sw_time now, const uint8_t *pkt,
    size_t len, struct sw_actions *acts)
{
	struct sw_ip6_view ip;
	struct sw_teredo t;
	struct sw_peer *p;
	enum sw_drop why = SW_DROP_NONE;
	size_t plen;

	if (!r->running) {
		sw_actions_drop(acts, SW_DROP_RELAY_STOPPED);
		return;
	}
	if (sw_ip6_parse(pkt, len, &ip, &why) != 0) {
		sw_actions_drop_if(acts, why);			/* D2 */
		return;
	}
	if ((why = check_tx(r, &ip, &t)) != SW_DROP_NONE) {
		if (why == SW_DROP_LOOP)
			r->stats.loops++;
		sw_actions_drop(acts, why);
		return;
	}
	plen = SW_IP6_HLEN + (size_t)ip.plen;		/* no trailing bytes */
	note_sent(r, &ip);				/* host_guard */
	if (!sw_ip6_is_bubble(&ip))
		note_data(r, now);

	p = sw_peer_lookup(r->peers, ip.dst);
	if (p != NULL && peer_valid(r, p, now)) {	/* REL-TX-2 */
		flush(r, p, acts);
		if (emit(r, acts, SW_ACT_SEND_UDP, &p->mapped, pkt, plen)) {
			p->last_tx = now;
			r->stats.to_clients++;
		}
		return;
	}
	if (p == NULL) {				/* REL-TX-4 */
		if ((p = new_peer(r, ip.dst, now, acts)) == NULL)
			return;				/* HARD-6 */
		p->mapped = t.mapped;
		start_bubbling(r, p, now, acts);
	} else if (p->trusted) {			/* stale: bubble again */
		r->stats.stale++;
		start_bubbling(r, p, now, acts);
	}
	(void)enqueue(r, p, pkt, plen, acts);		/* REL-TX-5 */
}

/* RFC 6324: a datagram from one of our own addresses looped back (or
 * is forged to look so).  Port 3544 is OWN_ADDRESS below, as for every
 * role (SRV-OP-3). */
static enum sw_drop
check_own_src(const struct sw_relay *r, const struct sw_v4ep *from)
{
	if (!SW_DEFENCE(LOOP))
		return SW_DROP_NONE;
	for (unsigned i = 0; i < r->conf.n_own; i++)
		if (r->conf.own[i] != 0 && r->conf.own[i] == from->addr)
			return SW_DROP_LOOP;
	return SW_DROP_NONE;
}

/* ---- clients -> native side (REL-RX-*) ----------------------------------- */

static enum sw_drop
check_dst(const struct sw_relay *r, const struct sw_ip6_view *ip)
{
	enum sw_drop why;

	if ((why = sw_check_ip6_dst_unicast(ip->dst, false)) != SW_DROP_NONE)
		return why;				/* HARD-7, REL-RX-6 */
	if (sw_addr_is_link_local(ip->dst))
		return SW_DROP_DST_LINK_LOCAL;		/* REL-RX-6 */
	if (sw_addr_is_teredo(ip->dst, r->conf.prefix))
		return SW_DROP_TEREDO_TRANSIT;		/* HARD-7 */
	if ((why = sw_check_dst_served(ip->dst, r->conf.served,
	    r->conf.n_served)) != SW_DROP_NONE)
		return why;				/* D20 */
	return check_forward(r, ip);
}

void
sw_relay_input(struct sw_relay *r, sw_time now, const struct sw_v4ep *from,
    const uint8_t *buf, size_t len, struct sw_actions *acts)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	struct sw_peer *p;
	enum sw_drop why = SW_DROP_NONE;

	if (!r->running) {
		sw_actions_drop(acts, SW_DROP_RELAY_STOPPED);
		return;
	}
	if (sw_wire_parse(buf, len, &v, &why) != 0 ||	/* D1, D2 */
	    sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) != 0) {
		sw_actions_drop_if(acts, why);
		return;
	}
	if (sw_actions_drop_if(acts, sw_check_udp_src(from, r->conf.own,
	    r->conf.n_own)))					/* HARD-8 */
		return;
	if ((why = check_own_src(r, from)) != SW_DROP_NONE) {	/* RFC 6324 */
		r->stats.loops++;
		sw_actions_drop(acts, why);
		return;
	}
	if (sw_actions_drop_if(acts, intranet(r, from->addr)))	/* HARD-4 */
		return;
	if (sw_actions_drop_if(acts, sw_check_ip6_src(ip.src)) ||	/* HARD-7 */
	    sw_actions_drop_if(acts, sw_check_relay_src(&ip, from, r->conf.prefix)))
		return;						/* D18 */
	p = sw_peer_lookup(r->peers, ip.src);
	if (sw_actions_drop_if(acts, sw_check_peer_known(p != NULL)))		/* D19 */
		return;

	/* REL-RX-1, REL-RX-4, REL-TX-4: the client answered. */
	if (!p->trusted) {
		if (!trust_take(r, p, now)) {		/* HARD-6 */
			r->stats.trust_refused++;
			sw_actions_drop(acts, SW_DROP_PEER_LIMIT);
			return;
		}
		r->stats.trusted++;
	}
	p->last_rx = now;
	p->mapped = *from;
	flush(r, p, acts);					/* REL-TX-5 */

	if (sw_ip6_is_bubble(&ip)) {				/* REL-RX-6 */
		r->stats.bubbles_rx++;
		return;
	}
	if (sw_actions_drop_if(acts, check_dst(r, &ip)))
		return;
	if (host_refused(r, &ip, acts))				/* item 16 */
		return;
	if (emit(r, acts, SW_ACT_DELIVER, NULL, v.ip6, v.ip6_len)) {
		r->stats.to_native++;
		note_data(r, now);
	}
}

/* ---- timers --------------------------------------------------------------- */

/*
 * The client never answered: its queued packets are dropped (D21), and
 * each of their senders hears ICMPv6 Destination Unreachable, code 3
 * (address unreachable, RFC 4443 §3.1: what a router says when it cannot
 * reach the next hop), from our native address, through the tunnel to
 * the host that routes it back.  SEC-9: one token bucket for all errors;
 * none about errors or multicast (sw_icmp6_error_allowed).
 */
static bool
unreachable(struct sw_relay *r, struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	const uint8_t *q;
	size_t len;

	if (r->conf.icmp_rate.burst == 0)
		return true;			/* errors turned off */
	while ((q = sw_peer_queue_front(r->peers, p, &len)) != NULL) {
		/* An error quotes at most the minimum MTU's worth. */
		if (SW_DEFENCE(RELAY_TICK) &&
		    !sw_actions_room(acts, 1, SW_ICMP6_ERROR_MAX))
			return false;
		if (!sw_icmp6_error_allowed(q, len))
			;
		else if (!sw_tb_take(&r->icmp_tb, &r->conf.icmp_rate, now))
			r->stats.unreachable_limited++;
		else if (sw_actions_icmp6_error(acts, SW_ICMP6_DST_UNREACH,
		    SW_ICMP6_UNREACH_ADDR, r->conf.bubble_src, q, len))
			r->stats.unreachable_sent++;
		sw_peer_queue_pop(r->peers, p);
		sw_actions_drop(acts, SW_DROP_QUEUE_PEER_GONE);
	}
	return true;
}

/*
 * HARD-6: trusted entries that went stale (no reception for `valid`)
 * leave the table, a slice of it per SWEEP_EVERY, so that an endpoint's
 * count of trusted entries (trust_take) falls again when its clients
 * move on.  A later packet for one makes a new entry, as for any peer.
 */
static void
sweep(struct sw_relay *r, sw_time now, struct sw_actions *acts)
{
	uint32_t cap = sw_peer_capacity(r->peers);
	uint32_t n = cap / SWEEP_SLICES + 1;

	r->sweep_next = now + SWEEP_EVERY;
	for (; n > 0; n--) {
		struct sw_peer *p = sw_peer_at(r->peers, r->sweep_at);

		r->sweep_at = r->sweep_at + 1 < cap ? r->sweep_at + 1 : 0;
		if (p != NULL && p->trusted && !peer_valid(r, p, now) &&
		    p->q_pkts == 0) {
			r->stats.swept++;
			drop_peer(r, p, acts);
		}
	}
}

/*
 * Due records are handled while the action list has room for what one
 * may need (a bubble round, or an ICMPv6 error per queued packet); the
 * rest stays due, the record at the head, for the next call.
 */
void
sw_relay_tick(struct sw_relay *r, sw_time now, struct sw_actions *acts)
{
	struct sw_timerq_ent t;

	/* Stopped, there is no peer: the records left are skipped. */
	if (dormant_due(r) <= now)
		enter_dormant(r, acts);
	if (r->n_trusted > 0 && r->sweep_next <= now)
		sweep(r, now, acts);
	while (sw_timerq_next(&r->timers) <= now &&
	    sw_timerq_peek(&r->timers, &t)) {
		struct sw_peer *p;

		if ((p = timer_peer(r, &t)) == NULL) {
			(void)sw_timerq_pop(&r->timers, &t);
			continue;		/* gone, trusted or re-armed */
		}
		if (SW_DEFENCE(RELAY_TICK) && !sw_actions_room(acts, ROUND_ROOM)) {
			r->stats.tick_deferred++;
			return;
		}
		if (p->retries < r->conf.retries) {
			(void)sw_timerq_pop(&r->timers, &t);
			p->retries++;
			bubble_round(r, p, now, acts);
		} else {			/* REL-TX-4 end, D21 */
			if (!unreachable(r, p, now, acts)) {
				r->stats.tick_deferred++;
				return;		/* the rest of its queue later */
			}
			(void)sw_timerq_pop(&r->timers, &t);
			r->stats.expired++;
			drop_peer(r, p, acts);
		}
	}
}
