/*
 * client.c - the Teredo client's qualification and maintenance FSM
 * (RFC 4380 §5.2.1, §5.2.2, §5.2.5; RFC 5991 §3.2; RFC 6081 §5.1.1;
 * teredo-requirements.md §2.2-2.5, §2.9).
 *
 *                         start (from any state)
 *                           |
 *      backoff expiry       v              RA ok: mapping M1
 *   +---------------> PROBE_PRIMARY ---------------------> PROBE_SECONDARY
 *   |  (server 0)      ^  |     |                            |    |    |
 *   |                  |  |     | N RSs unanswered, or the   |    |    |
 *   |                  +--+-----+ mapping is not global:     |    |    |
 *   |                     |      next server of the round <--+    |    |
 *   |                     |                                       |    | RA ok:
 *   |                     | ... and that was the last server      |    | M2 == M1
 *   |                     v                                       |    v
 *   +---------------- OFFLINE <-----------------------------------+  QUALIFIED
 *                       ^      NO_ANSWER, MAPPING_NOT_GLOBAL;          |
 *                       |      M2 != M1: SYMMETRIC_NAT (§5.2.1);       |
 *                       |      conf != 0: KEY_REJECTED (§5.2.2)        |
 *                       +---- conf != 0: ADDR_CLEAR, KEY_REJECTED -----+
 *
 * QUALIFIED (§5.2.5, CLI-MNT-*): 75-100 % of the refresh interval after
 * the last RA, N RSs T apart to the primary; an RA with a new mapping
 * replaces the address (one ADDR_SET, CLI-MNT-5); no RA after N RSs, or a
 * mapping that is not global: ADDR_CLEAR, then PROBE_PRIMARY with the
 * next server (failover, CLI-MNT-6).
 *
 * Events and their transition functions:
 *
 *	start			ev_start()		sw_client_start()
 *	RA accepted		ev_ra()			sw_client_input()
 *	RS timer expiry		ev_rs_timeout()		sw_client_tick()
 *	backoff expiry		ev_backoff()		sw_client_tick()
 *	refresh due		ev_refresh()		sw_client_tick()
 *
 * One timer runs at a time (c->deadline, its meaning in c->timer): the RS
 * retransmission timer in PROBE_* and during a refresh, the backoff in
 * OFFLINE, the refresh in QUALIFIED.  Each RS phase sends N RSs T apart
 * (CLI-QUAL-3, rfc-notes item 3) and gives up T after the last one.
 * Every RS carries a fresh nonce (CLI-SQ-1); only the latest RS's nonce
 * is outstanding, and it is forgotten once an RA matched it, so late
 * answers and replays are dropped as RA_NONCE (CLI-SQ-2).
 *
 * Server rounds: start and backoff expiry begin a round at server 0 (the
 * configured order is a preference order); a failover from QUALIFIED
 * begins it at the next server, wrapping, so the failed one is retried
 * last.  A round ends in OFFLINE after every server failed once.  The
 * backoff doubles from backoff_min at each OFFLINE entry, up to
 * backoff_max, and returns to backoff_min when QUALIFIED is entered
 * (CLI-QUAL-9).
 *
 * A STATE action is emitted on every state entry, including PROBE_PRIMARY
 * entered again with the next server; not for a refresh inside QUALIFIED.
 *
 * Data path (spec §2.6-2.8, §2.11), QUALIFIED only.  Peers live in a
 * bounded peer table (peer.h) allocated in sw_client_new(); struct
 * sw_peer fields are used as:
 *	trusted, mapped, last_rx, last_tx	CLI-ST-2 (SW_TIME_NEVER: never,
 *						which stands for "now - 30 s")
 *	bubbles					CLI-BUB-4/5 count
 *	retries					attempts of the current resolution
 *						(0: none running, 1..4)
 *	ping_sent				time of the last attempt
 *	nonce					ping-test nonce (CLI-PING-3)
 *
 * Resolution of a destination without a valid trusted entry (CLI-TX-2/5):
 * the packet is queued (copied into the peer's queue) and an attempt is
 * made at once, then every 2 s, 4 attempts in all (first + 3 retries,
 * CLI-PING-4); 2 s after the 4th the queue is dropped (QUEUE_UNRESOLVED)
 * and a non-Teredo entry is removed (HARD-6).  An attempt towards a Teredo
 * destination is one direct bubble to the embedded mapping plus one
 * indirect bubble to <its server>:3544, the pair counting as one bubble for
 * CLI-BUB-3/4 (both go in the same instant); towards another destination
 * it is an ICMPv6 echo request to our server (ping test), globally rate
 * limited by a token bucket (HARD-3); the nonce is drawn once per test and
 * the echo identifier per attempt.  Teredo entries are kept after a failed
 * resolution: they hold the bubble budget (CLI-BUB-4, rfc-notes item 6).
 *
 * Retry timers: a FIFO ring of (address, due time), capacity = peer
 * capacity.  Every entry is pushed with due = now + 2 s and now never goes
 * back, so the ring is sorted; sw_client_next_deadline() is O(1) and
 * sw_client_tick() handles at most RETRIES_PER_TICK due entries (O(1) each:
 * one hash lookup), leaving the rest for the next call (the deadline is
 * then already past).  An entry whose peer was resolved, removed or
 * re-armed since is stale and skipped.  A new resolution that finds the
 * ring full is refused (packet dropped, RATE_LIMITED).
 *
 * The address changing or going away removes every peer (their queued
 * packets carry the old source): O(peers), on that rare event only.
 *
 * Local discovery (RFC 4380 §5.2.8, §5.2.3 case 4/5, §5.2.4 case 3; spec
 * §6), only with conf.discovery and while QUALIFIED.  More peer fields:
 *	local, local_peer, last_discovery	DISC-6/8: the peer's LAN
 *						endpoint, heard on 224.0.0.253
 *						within 600 s (is_local())
 * One more deadline, c->disc_next: the next discovery bubble (DISC-2,
 * 200-300 s apart, drawn at each send).  It is due at once when QUALIFIED
 * is entered or the address changes (announce ourselves), and is pulled
 * in (never sooner than 2 s after the last one, DISC_GAP) when:
 *  - a discovery bubble comes from a peer that was not local (IMPL): the
 *    newcomer may have missed ours, and without it its host drops our
 *    unicast answers (no local entry for CLI-RX-8) until our next periodic
 *    bubble, minutes later.  Terminates: a peer is new once per 600 s;
 *  - CLI-TX-3 tries to reach a local peer: our discovery bubble makes the
 *    peer answer with a unicast bubble (DISC-7) from its local address,
 *    which is what trusts it here (CLI-RX-8).
 * Discovery bubbles come in through their own entry point,
 * sw_client_input_discovery(), so they never meet case 1 (CLI-RX-11): the
 * DISC-7 answer goes out even to a trusted local peer (subject to
 * CLI-BUB-3/4), or that peer could never come to trust us.
 * A local peer is trusted at its local endpoint (mapped := the LAN
 * address), so its data goes over the LAN, never through the NAT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "client.h"
#include "flow.h"
#include "peer.h"
#include "quota.h"
#include "timerq.h"
#include "weaken.h"
#include "wire.h"

#define RS_LEN		(SW_IP6_HLEN + 8)	/* RS without options */

#define PEER_VALID	(30 * SW_SEC)		/* CLI-TX-0 */
#define RETRY_DELAY	(2 * SW_SEC)		/* CLI-TX-2/5, CLI-PING-4 */
#define ATTEMPTS	4			/* first + 3 repeats */
#define BUB_SPACING	(2 * SW_SEC)		/* CLI-BUB-3 */
#define BUB_BUDGET	4			/* CLI-BUB-4 */
#define BUB_WINDOW	(300 * SW_SEC)		/* CLI-BUB-4, rfc-notes 6 */
#define RETRIES_PER_TICK 16			/* <= 2 actions each */
#define DATA_HLIM	64			/* bubbles and pings */
#define DISC_MIN	(200 * SW_SEC)		/* DISC-2 */
#define DISC_MAX	(300 * SW_SEC)
#define DISC_GAP	(2 * SW_SEC)		/* IMPL: extra ones no closer */
#define DISC_HLIM	1			/* §6 table */
#define LOCAL_LIFE	(600 * SW_SEC)		/* DISC-8 */
#define PING_LEN	(SW_IP6_HLEN + 8 + SW_PEER_NONCE_LEN)
#define PING_SPACING	(2 * SW_SEC)		/* HARD-3: per source */
#define PING_BUDGET	4			/* HARD-3: per source lifetime */
#define PING_LIFE	(300 * SW_SEC)		/* HARD-3: the count restarts */
#define EVICT_SCAN	16			/* [harden]: LRU entries looked
						   at for a victim */
#define SWEEP_EVERY	SW_SEC			/* stale trusted Teredo peers: */
#define SWEEP_SLICES	8			/* capacity / 8 slots a time */

/* One pending retry (see the data path comment above). */
enum timer {
	TIMER_NONE,
	TIMER_RS,		/* next RS, or give up the phase */
	TIMER_BACKOFF,		/* OFFLINE: qualify again */
	TIMER_REFRESH,		/* QUALIFIED: start a refresh (CLI-MNT-3) */
};

struct sw_client {
	struct sw_client_conf conf;	/* client_id points at id[] */
	uint8_t id[255];
	uint8_t ll[16];			/* RS source (COM-LL-1) */

	enum sw_client_state state;
	enum sw_client_reason reason;
	enum sw_nat_type nat;
	unsigned server;		/* index into conf.servers */
	unsigned tried;			/* servers failed in this round */

	enum timer timer;
	sw_time deadline;		/* SW_TIME_NEVER when timer is NONE */

	/* RS phase (PROBE_*, or QUALIFIED while refreshing) */
	bool refreshing;
	bool nonce_valid;		/* an RS is outstanding */
	uint8_t nonce[SW_NONCE_LEN];
	unsigned rs_sent;		/* RSs sent in this phase */
	struct sw_v4ep m1;		/* PROBE_SECONDARY: the primary's M1 */

	sw_time backoff;		/* the next OFFLINE wait */
	sw_time last_server_rx;
	sw_time next_refresh;

	/* The address, and the (server, mapping) its random flag bits
	 * were drawn for (COM-FLAG-5); flags_* survive ADDR_CLEAR. */
	bool has_addr;
	uint8_t addr[16];
	bool flags_valid;
	uint32_t flags_server;
	struct sw_v4ep flags_mapped;
	uint16_t flags;

	uint64_t qualifications;
	uint64_t address_changes;

	/* data path */
	struct sw_peer_table *peers;
	struct sw_timerq rq;		/* retry deadlines (timerq.h) */
	struct sw_tb ping_tb;		/* HARD-3 (zeroed: full at first use) */
	struct sw_tb icmp_tb;		/* CLI-TX-8, SEC-9 (likewise) */

	/* local discovery (conf.discovery) */
	sw_time disc_next;		/* next discovery bubble, or NEVER */
	sw_time disc_last;		/* the last one sent, or NEVER */
	uint64_t disc_sent;
	uint64_t disc_accepted;

	/* guard (see the comment at the top of the guard section) */
	struct sw_edge edge;		/* granted ports (conf.edge) */
	bool listening;			/* a granted listener exists */
	bool deprecated;		/* the address was deprecated (DORMANT) */
	sw_time active;			/* dormancy clock: last data packet,
					   QUALIFIED entry or listener loss */
	sw_time last_data;
	uint64_t dormancies;
	struct sw_peer_table *sol;	/* solicited addresses (edge, HARD-3) */
	struct sw_peer_table *pinged;	/* HARD-3 per-source test counts */
	struct sw_flow_table *flows;	/* flows the host opened (flow.h) */
	struct sw_quota *trust_q;	/* trusted Teredo peers per embedded
					   endpoint and address */
	uint32_t n_trust_q;		/* peers counted there */
	struct sw_quota *inbound_q;	/* unsolicited resolutions per UDP
					   source endpoint and address */
	uint32_t n_inbound;
	struct sw_tb inbound_ping_tb;	/* their echo requests */
	struct sw_rl *reflect_ep_rl;	/* answers to indirect bubbles per
					   origin endpoint ... */
	struct sw_rl *reflect_v4_rl;	/* ... per origin IPv4 ... */
	struct sw_tb reflect_tb;	/* ... and in total */
	sw_time sweep_next;
	uint32_t sweep_at;
	struct sw_client_guard_stats gs;
};

/* ff02::1, the destination of discovery bubbles (§6). */
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

static const char *const state_names[SW_CLIENT__STATES] = {
	[SW_CLIENT_OFFLINE] = "offline",
	[SW_CLIENT_PROBE_PRIMARY] = "probe-primary",
	[SW_CLIENT_PROBE_SECONDARY] = "probe-secondary",
	[SW_CLIENT_QUALIFIED] = "qualified",
	[SW_CLIENT_DORMANT] = "dormant",
};

static const char *const reason_names[SW_CLIENT__REASONS] = {
	[SW_CLIENT_REASON_NONE] = "none",
	[SW_CLIENT_REASON_NO_ANSWER] = "no-answer",
	[SW_CLIENT_REASON_SYMMETRIC_NAT] = "symmetric-nat",
	[SW_CLIENT_REASON_MAPPING_NOT_GLOBAL] = "mapping-not-global",
	[SW_CLIENT_REASON_KEY_REJECTED] = "key-rejected",
	[SW_CLIENT_REASON_NO_FIREWALL] = "no-firewall",
	[SW_CLIENT_REASON_DORMANT] = "dormant",
};

static const char *const nat_names[] = {
	[SW_NAT_UNKNOWN] = "unknown",
	[SW_NAT_NONE] = "none",
	[SW_NAT_CONE_OR_RESTRICTED] = "cone-or-restricted",
	[SW_NAT_SYMMETRIC] = "symmetric",
};

/* ---- helpers ------------------------------------------------------------- */

/* now + d, saturating at SW_TIME_NEVER. */
static sw_time
after(sw_time now, sw_time d)
{
	return d >= SW_TIME_NEVER - now ? SW_TIME_NEVER : now + d;
}

static void
arm(struct sw_client *c, enum timer t, sw_time at)
{
	c->timer = at == SW_TIME_NEVER ? TIMER_NONE : t;
	c->deadline = c->timer == TIMER_NONE ? SW_TIME_NEVER : at;
}

static const struct sw_client_server *
cur_server(const struct sw_client *c)
{
	return &c->conf.servers[c->server];
}

/* CLI-MNT-1/2: uniform in [75 %, 100 %] of the refresh interval. */
static sw_time
refresh_jitter(const struct sw_client *c)
{
	sw_time r = c->conf.refresh, span = r / 4;
	uint8_t b[8];

	sw_rng_fill(&c->conf.rng, b, sizeof b);
	/* 64 random bits: the modulo bias is below 2^-30 for any span
	 * that fits a realistic interval. */
	return r - span + ((uint64_t)sw_get32(b) << 32 | sw_get32(b + 4)) %
	    (span + 1);
}

static void
emit_state(struct sw_client *c, struct sw_actions *acts)
{
	struct sw_action *a = sw_actions_push(acts, SW_ACT_STATE);

	if (a != NULL) {
		a->state = (int)c->state;
		a->reason = (int)c->reason;
	}
}

/* Forget every peer and retry (the address changed or went away). */
static void
peers_reset(struct sw_client *c, struct sw_actions *acts)
{
	struct sw_peer *p;

	while ((p = sw_peer_lru(c->peers)) != NULL)
		sw_peer_remove(c->peers, p, acts->drops);	/* D21 */
	sw_timerq_clear(&c->rq);
	sw_quota_clear(c->trust_q);
	sw_quota_clear(c->inbound_q);
	c->n_trust_q = c->n_inbound = 0;
	sw_flow_clear(c->flows);
	/* What the host sent to, and the tests made, from the old
	 * address. */
	while ((p = sw_peer_lru(c->sol)) != NULL)
		sw_peer_remove(c->sol, p, NULL);
	while ((p = sw_peer_lru(c->pinged)) != NULL)
		sw_peer_remove(c->pinged, p, NULL);
}

static void
clear_address(struct sw_client *c, struct sw_actions *acts)
{
	if (!c->has_addr)
		return;
	peers_reset(c, acts);
	c->has_addr = false;
	c->deprecated = false;
	memset(c->addr, 0, sizeof c->addr);
	c->disc_next = SW_TIME_NEVER;	/* nothing to announce */
	(void)sw_actions_addr_clear(acts);
}

/*
 * CLI-ADDR-1/2, COM-FLAG-3..5: the address for `mapped` behind the
 * current server.  The random bits are drawn only when (server, mapping)
 * differs from what the last address was formed for; ADDR_SET only when
 * the address differs from the one configured (CLI-MNT-5: it replaces it),
 * or when it was deprecated (DORMANT): then it is preferred again.
 */
static void
set_address(struct sw_client *c, const struct sw_v4ep *mapped,
    struct sw_actions *acts)
{
	struct sw_teredo t;
	uint8_t addr[16];
	bool had = c->has_addr;

	if (!c->flags_valid || c->flags_server != cur_server(c)->primary ||
	    !sw_v4ep_eq(&c->flags_mapped, mapped)) {
		c->flags = sw_addr_random_flags(false, &c->conf.rng);
		c->flags_valid = true;
		c->flags_server = cur_server(c)->primary;
		c->flags_mapped = *mapped;
	}
	t.prefix = c->conf.prefix;
	t.server = cur_server(c)->primary;
	t.flags = c->flags;
	t.mapped = *mapped;
	sw_addr_encode(addr, &t);
	if (had && memcmp(addr, c->addr, 16) == 0) {
		if (c->deprecated) {
			c->deprecated = false;
			(void)sw_actions_addr_set(acts, addr);
		}
		return;
	}
	if (had)
		peers_reset(c, acts);
	memcpy(c->addr, addr, 16);
	c->has_addr = true;
	c->deprecated = false;
	if (had)
		c->address_changes++;
	(void)sw_actions_addr_set(acts, addr);
}

static enum sw_nat_type
nat_of(const struct sw_client *c, const struct sw_v4ep *mapped)
{
	/* The mapping is our own socket: no NAT in between. */
	if (c->conf.local.addr != 0 && sw_v4ep_eq(mapped, &c->conf.local))
		return SW_NAT_NONE;
	return SW_NAT_CONE_OR_RESTRICTED;
}

/*
 * CLI-QUAL-2, CLI-SQ-1: one RS from fe80::ffff:ffff:ffff (C = 0,
 * CLI-QUAL-4) to ff02::2, with an auth header and a fresh nonce, over
 * the service port to dst:3544.  Arms the RS timer.
 */
static void
send_rs(struct sw_client *c, sw_time now, uint32_t dst,
    struct sw_actions *acts)
{
	uint8_t mac[SW_AUTH_HMAC_LEN];
	struct sw_auth *key = c->conf.key;
	const uint8_t *id = key != NULL ? c->id : NULL;
	uint8_t id_len = key != NULL ? c->conf.client_id_len : 0;
	size_t alen = (size_t)SW_AUTH_MIN_LEN + id_len +
	    (key != NULL ? (size_t)SW_AUTH_HMAC_LEN : 0);
	struct sw_action *a;
	uint8_t *p;

	/* The old nonce is forgotten even if this RS cannot be sent. */
	sw_rng_fill(&c->conf.rng, c->nonce, sizeof c->nonce);
	c->nonce_valid = true;
	c->rs_sent++;
	arm(c, TIMER_RS, after(now, c->conf.rs_timeout));

	if ((p = sw_actions_alloc(acts, alen + RS_LEN)) == NULL)
		return;
	if (sw_wire_build_rs(p + alen, RS_LEN, c->ll) != RS_LEN)
		goto undo;
	/* CLI-SQ-4: MAC over nonce, confirmation 0 and the RS (no origin
	 * indication in what a client sends). */
	if (key != NULL && sw_auth_compute(key, c->nonce, 0, NULL, p + alen,
	    RS_LEN, mac) != 0)
		goto undo;		/* libcrypto failed: the timer retries */
	if (sw_wire_build_auth(p, alen, id, id_len, key != NULL ? mac : NULL,
	    key != NULL ? SW_AUTH_HMAC_LEN : 0, c->nonce, 0) != (int)alen)
		goto undo;
	if ((a = sw_actions_push(acts, SW_ACT_SEND_UDP)) == NULL)
		goto undo;
	a->sock = SW_SOCK_PRIMARY;
	a->dst.addr = dst;
	a->dst.port = SW_TEREDO_PORT;
	a->seg[0].p = p;
	a->seg[0].len = alen + RS_LEN;
	return;
undo:
	sw_actions_trim(acts, p, alen + RS_LEN, 0);
}

/* Begin an RS phase towards dst (CLI-QUAL-3). */
static void
begin_phase(struct sw_client *c, sw_time now, uint32_t dst,
    struct sw_actions *acts)
{
	c->rs_sent = 0;
	send_rs(c, now, dst, acts);
}

/* ---- state entries --------------------------------------------------------- */

static void
enter_offline(struct sw_client *c, sw_time now, enum sw_client_reason why,
    struct sw_actions *acts)
{
	clear_address(c, acts);
	c->state = SW_CLIENT_OFFLINE;
	c->reason = why;
	c->refreshing = false;
	c->nonce_valid = false;
	/* CLI-QUAL-9: not final; retry after a doubling backoff. */
	arm(c, TIMER_BACKOFF, after(now, c->backoff));
	c->backoff = c->backoff > c->conf.backoff_max / 2 ?
	    c->conf.backoff_max : c->backoff * 2;
	emit_state(c, acts);
}

/* PROBE_PRIMARY with c->server, the address (if any) kept. */
static void
probe_primary(struct sw_client *c, sw_time now, enum sw_client_reason why,
    struct sw_actions *acts)
{
	c->state = SW_CLIENT_PROBE_PRIMARY;
	c->reason = why;
	c->refreshing = false;
	emit_state(c, acts);
	begin_phase(c, now, cur_server(c)->primary, acts);
}

/* CLI-QUAL-4: qualification starts at P2 (C = 0) with c->server. */
static void
enter_probe_primary(struct sw_client *c, sw_time now,
    enum sw_client_reason why, struct sw_actions *acts)
{
	clear_address(c, acts);
	probe_primary(c, now, why, acts);
}

/* CLI-QUAL-6: the same procedure towards the secondary address. */
static void
enter_probe_secondary(struct sw_client *c, sw_time now,
    const struct sw_v4ep *m1, struct sw_actions *acts)
{
	c->state = SW_CLIENT_PROBE_SECONDARY;
	c->m1 = *m1;
	emit_state(c, acts);
	begin_phase(c, now, cur_server(c)->secondary, acts);
}

static void
schedule_refresh(struct sw_client *c, sw_time now)
{
	c->refreshing = false;
	c->next_refresh = after(now, refresh_jitter(c));
	arm(c, TIMER_REFRESH, c->next_refresh);
}

static void
enter_qualified(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	c->state = SW_CLIENT_QUALIFIED;
	c->reason = SW_CLIENT_REASON_NONE;
	c->nat = nat_of(c, &c->m1);
	c->qualifications++;
	c->backoff = c->conf.backoff_min;
	c->active = now;		/* the dormancy clock starts */
	set_address(c, &c->m1, acts);
	emit_state(c, acts);
	schedule_refresh(c, now);
	if (c->conf.discovery)
		c->disc_next = now;	/* announce ourselves (§6) */
}

/*
 * The current server failed (no answer, or an unusable mapping): the next
 * server of the round, or OFFLINE when every one has failed.
 */
static void
server_failed(struct sw_client *c, sw_time now, enum sw_client_reason why,
    struct sw_actions *acts)
{
	if (++c->tried >= c->conf.n_servers) {
		enter_offline(c, now, why, acts);
		return;
	}
	c->server = (c->server + 1) % c->conf.n_servers;
	enter_probe_primary(c, now, why, acts);
}

/*
 * CLI-MNT-6 (IMPL): the server stopped answering a qualified client.
 * Withdraw the address and start a round at the next server, wrapping, so
 * that the failed one is tried last.
 */
static void
fail_over(struct sw_client *c, sw_time now, enum sw_client_reason why,
    struct sw_actions *acts)
{
	clear_address(c, acts);
	c->tried = 0;
	c->server = (c->server + 1) % c->conf.n_servers;
	enter_probe_primary(c, now, why, acts);
}

/* A state with no timer of its own (DORMANT, or OFFLINE after
 * sw_client_stop): no RS, refresh or discovery bubble pending. */
static void
halt(struct sw_client *c, enum sw_client_state s, enum sw_client_reason why)
{
	c->state = s;
	c->reason = why;
	c->refreshing = false;
	c->nonce_valid = false;
	c->next_refresh = SW_TIME_NEVER;
	c->disc_next = SW_TIME_NEVER;
	arm(c, TIMER_NONE, SW_TIME_NEVER);
}

/*
 * DORMANT (guard): idle, no granted listener.  No RS any more (the NAT
 * mapping may lapse), no peers (their mappings lapse with it), the
 * address kept but deprecated: connections bound to it stay, new ones
 * prefer other addresses.
 */
static void
enter_dormant(struct sw_client *c, struct sw_actions *acts)
{
	peers_reset(c, acts);
	halt(c, SW_CLIENT_DORMANT, SW_CLIENT_REASON_DORMANT);
	c->dormancies++;
	if (c->has_addr && !c->deprecated) {
		c->deprecated = true;
		(void)sw_actions_addr_deprecate(acts, c->addr);
	}
	emit_state(c, acts);
}

/*
 * Out of DORMANT (the host sends, or a granted listener appeared):
 * qualify again with the same server, keeping the deprecated address
 * until the RAs tell whether it still holds (set_address).
 */
static void
wake(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	c->tried = 0;
	probe_primary(c, now, SW_CLIENT_REASON_DORMANT, acts);
}

/* When QUALIFIED turns DORMANT (SW_TIME_NEVER: not while a granted
 * listener exists, or with dormant_after 0). */
static sw_time
dormant_due(const struct sw_client *c)
{
	if (c->state != SW_CLIENT_QUALIFIED || c->conf.dormant_after == 0 ||
	    c->listening)
		return SW_TIME_NEVER;
	return after(c->active, c->conf.dormant_after);
}

/* ---- events ------------------------------------------------------------------ */

static void
ev_start(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	c->server = 0;
	c->tried = 0;
	c->nat = SW_NAT_UNKNOWN;
	c->backoff = c->conf.backoff_min;
	enter_probe_primary(c, now, SW_CLIENT_REASON_NONE, acts);
}

static void
ev_backoff(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	if (c->state != SW_CLIENT_OFFLINE)
		return;
	c->server = 0;
	c->tried = 0;
	enter_probe_primary(c, now, c->reason, acts);
}

static void
ev_refresh(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	if (c->state != SW_CLIENT_QUALIFIED)
		return;
	/* CLI-MNT-3: nothing from the server within the randomized
	 * interval: RS to the primary, C = 0, with T/N retries. */
	c->refreshing = true;
	begin_phase(c, now, cur_server(c)->primary, acts);
}

static void
ev_rs_timeout(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	const struct sw_client_server *s = cur_server(c);

	if (c->rs_sent < c->conf.rs_tries) {
		send_rs(c, now, c->state == SW_CLIENT_PROBE_SECONDARY ?
		    s->secondary : s->primary, acts);
		return;
	}
	c->nonce_valid = false;
	switch (c->state) {
	case SW_CLIENT_PROBE_PRIMARY:
	case SW_CLIENT_PROBE_SECONDARY:
		/* CLI-QUAL-5/6: this server is not usable. */
		server_failed(c, now, SW_CLIENT_REASON_NO_ANSWER, acts);
		break;
	case SW_CLIENT_QUALIFIED:
		fail_over(c, now, SW_CLIENT_REASON_NO_ANSWER, acts);
		break;
	default:
		arm(c, TIMER_NONE, SW_TIME_NEVER);
		break;
	}
}

/* A valid RA (CLI-RA-1, CLI-SQ-2/3, CLI-RA-4 passed) answering our RS. */
static void
ev_ra(struct sw_client *c, sw_time now, const struct sw_ra_info *info,
    struct sw_actions *acts)
{
	c->nonce_valid = false;
	c->last_server_rx = now;

	/* CLI-SQ-5: a non-zero confirmation asks for a new key. */
	if (c->conf.key != NULL && info->conf != 0) {
		enter_offline(c, now, SW_CLIENT_REASON_KEY_REJECTED, acts);
		return;
	}
	switch (c->state) {
	case SW_CLIENT_PROBE_PRIMARY:
		enter_probe_secondary(c, now, &info->mapped, acts);
		break;
	case SW_CLIENT_PROBE_SECONDARY:
		if (sw_v4ep_eq(&info->mapped, &c->m1)) {
			enter_qualified(c, now, acts);
		} else {
			/* CLI-QUAL-6: symmetric NAT, unusable (RFC 4380). */
			c->nat = SW_NAT_SYMMETRIC;
			enter_offline(c, now, SW_CLIENT_REASON_SYMMETRIC_NAT,
			    acts);
		}
		break;
	case SW_CLIENT_QUALIFIED: {
		uint64_t changes = c->address_changes;

		/* CLI-MNT-5: a new mapping replaces the address. */
		c->nat = nat_of(c, &info->mapped);
		set_address(c, &info->mapped, acts);
		schedule_refresh(c, now);
		/* The local peers were forgotten with the old address:
		 * announce the new one. */
		if (c->conf.discovery && c->address_changes != changes)
			c->disc_next = now;
		break;
	}
	default:
		break;
	}
}

/* ---- data path (spec §2.6-2.8, §2.11) ------------------------------------ */

/* t happened less than d before now (SW_TIME_NEVER: never). */
static bool
within(sw_time now, sw_time t, sw_time d)
{
	return t != SW_TIME_NEVER && t <= now && now - t < d;
}

/* CLI-TX-0: a trusted entry heard from within 30 s. */
static bool
peer_valid(const struct sw_peer *p, sw_time now)
{
	return p->trusted && within(now, p->last_rx, PEER_VALID);
}

static bool
is_teredo(const struct sw_client *c, const uint8_t a[static 16])
{
	return sw_addr_is_teredo(a, c->conf.prefix);
}

/* DISC-8, CLI-TX-3: a discovery bubble came from p within 600 s. */
static bool
is_local(const struct sw_peer *p, sw_time now)
{
	return p->local_peer && within(now, p->last_discovery, LOCAL_LIFE);
}

/*
 * [harden] HARD-6: the flag and server bits of a Teredo address are free,
 * so one IPv4:port stands for 2^48 peers.  Trusted Teredo peers are
 * counted per embedded endpoint and address (trust_q), so that one
 * endpoint cannot hold the table with valid trusted entries; resolutions
 * that inbound packets started (CLI-RX-9) are counted per UDP source
 * (inbound_q, the key kept in p->mapped until trust() overwrites it).
 * Every removal goes through forget() first, so the counts stay right.
 */
static void
ep_keys(const struct sw_v4ep *e, uint64_t *ep, uint64_t *v4)
{
	*ep = sw_quota_key_ep(e);
	*v4 = sw_quota_key_v4(e->addr);
}

static void
embedded(const uint8_t addr[static 16], struct sw_v4ep *out)
{
	struct sw_teredo t;

	sw_addr_decode(addr, &t);
	*out = t.mapped;
}

/* May the Teredo peer p become trusted?  Counted if so. */
static bool
trust_take(struct sw_client *c, struct sw_peer *p, sw_time now)
{
	struct sw_v4ep m;
	uint64_t ep, v4;

	if (p->trusted || !is_teredo(c, p->addr))
		return true;
	embedded(p->addr, &m);
	ep_keys(&m, &ep, &v4);
	if (SW_DEFENCE(CLIENT_PEERS) &&
	    (sw_quota_get(c->trust_q, ep) >= c->conf.peers_per_mapping ||
	    sw_quota_get(c->trust_q, v4) >= c->conf.peers_per_address))
		return false;
	/* Cannot fail: two keys per entry, 2 x capacity keys. */
	(void)sw_quota_add(c->trust_q, ep);
	(void)sw_quota_add(c->trust_q, v4);
	if (c->n_trust_q++ == 0)
		c->sweep_next = after(now, SWEEP_EVERY);
	return true;
}

static void
untrust(struct sw_client *c, struct sw_peer *p)
{
	struct sw_v4ep m;
	uint64_t ep, v4;

	if (p->trusted && is_teredo(c, p->addr)) {
		embedded(p->addr, &m);
		ep_keys(&m, &ep, &v4);
		sw_quota_sub(c->trust_q, ep);
		sw_quota_sub(c->trust_q, v4);
		c->n_trust_q--;
	}
	p->trusted = false;
}

/* The inbound resolution of p is over (trusted, given up or removed). */
static void
inbound_end(struct sw_client *c, struct sw_peer *p)
{
	uint64_t ep, v4;

	if (!p->inbound)
		return;
	ep_keys(&p->mapped, &ep, &v4);
	sw_quota_sub(c->inbound_q, ep);
	sw_quota_sub(c->inbound_q, v4);
	c->n_inbound--;
	p->inbound = false;
}

static void
forget(struct sw_client *c, struct sw_peer *p)
{
	untrust(c, p);
	inbound_end(c, p);
}

static void
drop_peer(struct sw_client *c, struct sw_peer *p, struct sw_actions *acts)
{
	forget(c, p);
	sw_peer_remove(c->peers, p, acts->drops);
}

/*
 * SW_DEFENCE(CLIENT_PEERS): room in a full table without evicting a
 * valid trusted peer or a running resolution.  The EVICT_SCAN least
 * recently used entries are looked at; one that is neither goes, the
 * others get a second chance (moved to the most recently used end), so
 * the next scan looks further.  False when all of them were protected:
 * the new entry is refused this time (PEER_TABLE_FULL).
 */
static bool
make_room(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	for (unsigned n = 0; n < EVICT_SCAN; n++) {
		struct sw_peer *p = sw_peer_lru(c->peers);

		if (p == NULL)
			return true;
		if (!peer_valid(p, now) && p->retries == 0) {
			drop_peer(c, p, acts);
			return true;
		}
		(void)sw_peer_lookup(c->peers, p->addr);	/* to MRU */
	}
	return false;
}

/* Find or create; a new entry has last rx = last tx = "now - 30 s" and
 * no bubble sent (CLI-BUB-1, CLI-RX-6).  NULL (PEER_TABLE_FULL counted)
 * when a full table has no room (make_room). */
static struct sw_peer *
get_peer(struct sw_client *c, const uint8_t addr[static 16], sw_time now,
    struct sw_actions *acts)
{
	struct sw_peer *p;
	bool created;

	if ((p = sw_peer_lookup(c->peers, addr)) != NULL)
		return p;
	if (sw_peer_count(c->peers) == sw_peer_capacity(c->peers)) {
		if (!SW_DEFENCE(CLIENT_PEERS)) {
			if ((p = sw_peer_lru(c->peers)) != NULL)
				forget(c, p);	/* the insert evicts it */
		} else if (!make_room(c, now, acts)) {
			c->gs.table_full++;
			sw_actions_drop(acts, SW_DROP_PEER_TABLE_FULL);
			return NULL;
		}
	}
	p = sw_peer_insert(c->peers, addr, &created, acts->drops);
	if (created) {
		p->last_rx = SW_TIME_NEVER;
		p->last_tx = SW_TIME_NEVER;
		p->ping_sent = SW_TIME_NEVER;
		p->last_discovery = SW_TIME_NEVER;
	}
	return p;
}

/* ---- guard (HARD-2/3/4, RFC 6324) -------------------------------------------
 *
 * Two more bounded tables (struct sw_peer entries keyed by address, the
 * peer table's code, allocated in sw_client_new) beside the peer table,
 * so that neither can be thrashed through the other:
 *	c->sol		addresses the host sent to (sw_client_send queued or
 *			sent a packet): the edge check and HARD-3 exempt
 *			them; only the host creates entries, so an attacker
 *			cannot evict them
 *	c->pinged	HARD-3: per unsolicited native source, ping_sent =
 *			the last echo request of a test, retries = echo
 *			requests in its lifetime (count restarts after
 *			PING_LIFE without one, and when it answered)
 * Both are emptied with the peers (address change, DORMANT, stop).  They
 * are not fields of struct sw_peer because they must outlive its entry:
 * give_up() removes a native peer after each failed test (HARD-6), and a
 * flood of Teredo sources (CLI-RX-6, no ping needed) evicts any entry;
 * either would restore an attacker's ping budget, or drop a destination
 * the host sent to back under the edge check.
 */

/* The host sent to addr. */
static bool
solicited(struct sw_client *c, const uint8_t addr[static 16])
{
	return sw_peer_lookup(c->sol, addr) != NULL;
}

/*
 * The host sent ip: the flow it opens, if any (flow.h: what applications
 * send, not what the kernel answers by itself), and its destination as
 * solicited.  Without SW_DEFENCE(FLOW), any packet solicits its
 * destination, every port of it.
 */
static void
note_sent(struct sw_client *c, const struct sw_ip6_view *ip)
{
	struct sw_flow f;
	bool created;

	if (SW_DEFENCE(FLOW)) {
		if (!sw_flow_outbound(ip, &f))
			return;
		sw_flow_note(c->flows, &f);
	}
	(void)sw_peer_insert(c->sol, ip->dst, &created, NULL);
}

/* A data packet went to or came from a peer (dormancy, status). */
static void
note_data(struct sw_client *c, sw_time now)
{
	c->last_data = now;
	c->active = now;
}

/*
 * HARD-2, CVE-2006-6265: with conf.edge, a packet (not a bubble) passes
 * when it belongs to a flow the host opened (flow.h; an ICMPv6 error by
 * the packet it quotes), or else when sw_edge_check() grants it; a
 * non-first fragment, which has no header to judge, only from a source
 * the host sent to.  True (counted) when it is refused.  Checked before
 * delivery and before any ping test (HARD-3: tests only for packets that
 * would be delivered).  Without SW_DEFENCE(FLOW): any packet from a
 * source the host ever sent to passes, and fragments always do.
 */
static bool
edge_refused(struct sw_client *c, const struct sw_ip6_view *ip,
    struct sw_actions *acts)
{
	enum sw_drop why;
	struct sw_flow f;

	if (!SW_DEFENCE(EDGE) || !c->conf.edge)
		return false;
	if (!SW_DEFENCE(FLOW)) {
		if ((why = sw_edge_check(&c->edge, ip)) == SW_DROP_NONE ||
		    solicited(c, ip->src))
			return false;
		sw_actions_drop(acts, why);
		return true;
	}
	switch (sw_flow_inbound(ip, &f)) {
	case SW_FLOW_IN_FRAGMENT:
		if (solicited(c, ip->src))
			return false;
		c->gs.fragment_refused++;
		sw_actions_drop(acts, SW_DROP_FRAGMENT_UNSOLICITED);
		return true;
	case SW_FLOW_IN_FLOW:
		if (sw_flow_open(c->flows, &f))
			return false;
		break;
	default:
		break;
	}
	if ((why = sw_edge_check(&c->edge, ip)) == SW_DROP_NONE)
		return false;
	c->gs.flow_refused++;
	sw_actions_drop(acts, why);
	return true;
}

/* HARD-4: the IPv4 a Teredo peer would be answered at (its embedded
 * mapping, or an indirect bubble's origin). */
static enum sw_drop
intranet(const struct sw_client *c, uint32_t v4)
{
	return sw_check_intranet(v4, &c->conf.v4, c->conf.intranet,
	    c->conf.n_intranet);
}

/*
 * HARD-3: may a ping test toward the unsolicited native source addr send
 * an echo request now (one per PING_SPACING, PING_BUDGET per lifetime)?
 * Solicited sources (the host asked for them) are not limited here, only
 * by the global bucket.
 */
static enum sw_drop
ping_limit(struct sw_client *c, const uint8_t addr[static 16], sw_time now)
{
	struct sw_peer *g;

	if ((g = sw_peer_lookup(c->pinged, addr)) == NULL ||
	    solicited(c, addr))
		return SW_DROP_NONE;
	if (g->retries > 0 && !within(now, g->ping_sent, PING_LIFE))
		g->retries = 0;		/* a new lifetime */
	if (within(now, g->ping_sent, PING_SPACING) ||
	    g->retries >= PING_BUDGET)
		return SW_DROP_PING_LIMIT;
	return SW_DROP_NONE;
}

/* An echo request went to addr: count it if addr is unsolicited. */
static void
ping_note(struct sw_client *c, const uint8_t addr[static 16], sw_time now)
{
	struct sw_peer *g;
	bool created;

	if (solicited(c, addr))
		return;
	g = sw_peer_insert(c->pinged, addr, &created, NULL);
	if (created || (g->retries > 0 && !within(now, g->ping_sent,
	    PING_LIFE)))
		g->retries = 0;
	if (g->retries < UINT8_MAX)
		g->retries++;
	g->ping_sent = now;
}

/* The source answered its test (CLI-RX-5): it is real, its count ends. */
static void
ping_answered(struct sw_client *c, const uint8_t addr[static 16])
{
	struct sw_peer *g = sw_peer_lookup(c->pinged, addr);

	if (g != NULL)
		sw_peer_remove(c->pinged, g, NULL);
}

/*
 * RFC 6324 §3.2, for a client: a Teredo destination whose bubbles or data
 * would come back to us.  Its embedded mapping is our own endpoint (our
 * mapping, or conf.local when known: address AND port), or its embedded
 * server is our mapped or local address while that endpoint's port is
 * 3544 (the indirect bubble goes to server:3544).  The same server as
 * ours is normal (peers share servers), and so is our NAT's address with
 * another port (a neighbour behind the same NAT).
 */
static enum sw_drop
loop_check(const struct sw_client *c, const struct sw_teredo *t)
{
	const struct sw_v4ep *m = &c->flags_mapped, *l = &c->conf.local;

	if (!SW_DEFENCE(LOOP))
		return SW_DROP_NONE;
	if (sw_v4ep_eq(&t->mapped, m) ||
	    (l->addr != 0 && sw_v4ep_eq(&t->mapped, l)))
		return SW_DROP_LOOP;
	if ((m->port == SW_TEREDO_PORT && t->server == m->addr) ||
	    (l->addr != 0 && l->port == SW_TEREDO_PORT &&
	    t->server == l->addr))
		return SW_DROP_LOOP;
	return SW_DROP_NONE;
}

static struct sw_action *
push_udp(struct sw_actions *acts, const struct sw_v4ep *dst,
    const uint8_t *pkt, size_t len)
{
	struct sw_action *a = sw_actions_push(acts, SW_ACT_SEND_UDP);

	if (a != NULL) {
		a->sock = SW_SOCK_PRIMARY;
		a->dst = *dst;
		a->seg[0].p = pkt;
		a->seg[0].len = len;
	}
	return a;
}

/*
 * CLI-BUB-3/4/5: may a bubble go to p now?  If so it is accounted for
 * (last transmission = now, count + 1).  The count restarts when 300 s
 * have passed since the last transmission (rfc-notes item 6; a direct
 * reception resets it too, see trust()).
 */
static bool
bubble_allowed(struct sw_peer *p, sw_time now)
{
	if (p->bubbles > 0 && !within(now, p->last_tx, BUB_WINDOW))
		p->bubbles = 0;
	if (within(now, p->last_tx, BUB_SPACING) || p->bubbles >= BUB_BUDGET)
		return false;
	p->bubbles++;
	p->last_tx = now;
	return true;
}

/* A bubble (COM-BUB-1) from our address to p: to direct, and to
 * indirect unless NULL.  Both share one 40-byte arena buffer. */
static void
send_bubbles(struct sw_client *c, struct sw_peer *p, sw_time now,
    const struct sw_v4ep *direct, const struct sw_v4ep *indirect,
    struct sw_actions *acts)
{
	uint8_t *b;

	if (!bubble_allowed(p, now))
		return;
	if ((b = sw_actions_alloc(acts, SW_IP6_HLEN)) == NULL) {
		sw_actions_drop(acts, SW_DROP_ACTIONS_FULL);
		return;
	}
	if (sw_wire_build_bubble(b, SW_IP6_HLEN, c->addr, p->addr,
	    DATA_HLIM) != SW_IP6_HLEN) {
		sw_actions_trim(acts, b, SW_IP6_HLEN, 0);
		return;
	}
	(void)push_udp(acts, direct, b, SW_IP6_HLEN);
	if (indirect != NULL)
		(void)push_udp(acts, indirect, b, SW_IP6_HLEN);
}

/* DISC-2: the next interval, uniform in [200 s, 300 s]. */
static sw_time
discovery_interval(const struct sw_client *c)
{
	uint8_t b[8];

	sw_rng_fill(&c->conf.rng, b, sizeof b);
	return DISC_MIN + ((uint64_t)sw_get32(b) << 32 | sw_get32(b + 4)) %
	    (DISC_MAX - DISC_MIN + 1);
}

/*
 * A discovery bubble (§6 table: our address to ff02::1, hop limit 1) to
 * 224.0.0.253:3544 from the service port; the next one 200-300 s later.
 * The driver sends it with IPv4 TTL 1.
 */
static void
discovery_send(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	static const struct sw_v4ep group = {
		SW_DISCOVERY_V4, SW_TEREDO_PORT
	};
	uint8_t *b;

	c->disc_last = now;
	c->disc_next = after(now, discovery_interval(c));
	if ((b = sw_actions_alloc(acts, SW_IP6_HLEN)) == NULL) {
		sw_actions_drop(acts, SW_DROP_ACTIONS_FULL);
		return;
	}
	if (sw_wire_build_bubble(b, SW_IP6_HLEN, c->addr, all_nodes,
	    DISC_HLIM) != SW_IP6_HLEN ||
	    push_udp(acts, &group, b, SW_IP6_HLEN) == NULL) {
		sw_actions_trim(acts, b, SW_IP6_HLEN, 0);
		return;
	}
	c->disc_sent++;
}

/* A discovery bubble now, or as soon as DISC_GAP allows (see the data
 * path comment: new local peers, CLI-TX-3). */
static void
discovery_soon(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	sw_time at;

	if (!c->conf.discovery || c->state != SW_CLIENT_QUALIFIED ||
	    !c->has_addr)
		return;
	at = c->disc_last == SW_TIME_NEVER ? now :
	    after(c->disc_last, DISC_GAP);
	if (at <= now)
		discovery_send(c, now, acts);
	else if (at < c->disc_next)
		c->disc_next = at;
}

/* The periodic discovery bubble, when due. */
static void
discovery_tick(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	if (c->disc_next > now)
		return;
	if (!c->conf.discovery || c->state != SW_CLIENT_QUALIFIED ||
	    !c->has_addr) {
		c->disc_next = SW_TIME_NEVER;
		return;
	}
	discovery_send(c, now, acts);
}

/* CLI-PING-2/3: echo request from our address to p, data = the nonce,
 * through our server; HARD-3: the per-source limits (unsolicited
 * sources) and a global token bucket. */
static void
send_ping(struct sw_client *c, const struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	const struct sw_v4ep dst = { cur_server(c)->primary, SW_TEREDO_PORT };
	uint8_t id[2], *b;

	bool in = p->inbound && SW_DEFENCE(CLIENT_INBOUND);

	if (sw_actions_drop_if(acts, ping_limit(c, p->addr, now)))
		return;				/* HARD-3, per source */
	/* Tests that inbound packets started have a bucket of their own,
	 * so that a flood of them leaves the host's tests alone. */
	if (!sw_tb_take(in ? &c->inbound_ping_tb : &c->ping_tb,
	    in ? &c->conf.inbound_ping_rate : &c->conf.ping_rate, now)) {
		sw_actions_drop(acts, in ? SW_DROP_INBOUND_LIMITED :
		    SW_DROP_RATE_LIMITED);
		return;
	}
	if ((b = sw_actions_alloc(acts, PING_LEN)) == NULL) {
		sw_actions_drop(acts, SW_DROP_ACTIONS_FULL);
		return;
	}
	sw_rng_fill(&c->conf.rng, id, sizeof id);
	if (sw_wire_build_echo(b, PING_LEN, SW_ICMP6_ECHO_REQ, c->addr,
	    p->addr, DATA_HLIM, sw_get16(id), p->retries, p->nonce,
	    SW_PEER_NONCE_LEN) != PING_LEN ||
	    push_udp(acts, &dst, b, PING_LEN) == NULL) {
		sw_actions_trim(acts, b, PING_LEN, 0);
		return;
	}
	ping_note(c, p->addr, now);
	/* Not a transmission to p (CLI-BUB-3): the request goes to our
	 * server.  A host-specific relay at p (HSR-5) bubbles from p's own
	 * address while we test it, and its indirect bubble must be
	 * answered at once (CLI-RX-3), not 2 s after each of our pings. */
}

/*
 * One resolution attempt (CLI-TX-2/5, CLI-TX-7: both bubbles always;
 * CLI-TX-3: to a local peer, a unicast bubble to its local endpoint, no
 * COM-V4G check there (it is on our link, DISC-4), and a discovery
 * bubble, which makes it answer from there, DISC-7).
 */
static void
attempt(struct sw_client *c, struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	struct sw_teredo t;
	struct sw_v4ep ind;

	p->retries++;
	p->ping_sent = now;
	if (!is_teredo(c, p->addr)) {
		send_ping(c, p, now, acts);
		return;
	}
	if (is_local(p, now)) {
		send_bubbles(c, p, now, &p->local, NULL, acts);
		discovery_soon(c, now, acts);
		return;
	}
	sw_addr_decode(p->addr, &t);
	ind.addr = t.server;
	ind.port = SW_TEREDO_PORT;
	send_bubbles(c, p, now, &t.mapped, &ind, acts);	/* CLI-BUB-1/2 */
}

/* Start resolving p (no resolution running; the ring has room). */
static void
start_resolution(struct sw_client *c, struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	if (!is_teredo(c, p->addr)) {
		/* CLI-PING-2/3: a provisional, untrusted entry with a
		 * fresh nonce. */
		sw_rng_fill(&c->conf.rng, p->nonce, sizeof p->nonce);
		untrust(c, p);
	}
	attempt(c, p, now, acts);
	sw_timerq_push(&c->rq, p->addr, after(now, RETRY_DELAY));
}

/* p's queue, oldest first (copied into the arena: the queue slots are
 * reused as soon as they are popped): what we sent goes to p's mapping;
 * what p sent us (CLI-RX-9, addressed to our address) to the tunnel. */
static void
flush(struct sw_client *c, struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	const uint8_t *q;
	size_t len;
	uint8_t *b;

	while ((q = sw_peer_queue_front(c->peers, p, &len)) != NULL) {
		bool inbound = len >= SW_IP6_HLEN &&
		    memcmp(q + 24, c->addr, 16) == 0;
		struct sw_action *a;

		if ((b = sw_actions_alloc(acts, len)) == NULL) {
			sw_actions_drop(acts, SW_DROP_ACTIONS_FULL);
		} else if (inbound) {
			memcpy(b, q, len);
			if ((a = sw_actions_push(acts, SW_ACT_DELIVER)) ==
			    NULL) {
				sw_actions_trim(acts, b, len, 0);
			} else {
				a->seg[0].p = b;
				a->seg[0].len = len;
				note_data(c, now);
			}
		} else {
			memcpy(b, q, len);
			if (push_udp(acts, &p->mapped, b, len) == NULL)
				sw_actions_trim(acts, b, len, 0);
			else
				p->last_tx = now;
		}
		sw_peer_queue_pop(c->peers, p);
	}
}

/* CLI-RX-4/5/6: a direct reception from p at from; resolution over.
 * False (PEER_LIMIT counted, nothing changed) when p is a Teredo peer
 * whose embedded endpoint or address holds its share of trusted peers
 * (trust_take). */
static bool
trust(struct sw_client *c, struct sw_peer *p, const struct sw_v4ep *from,
    sw_time now, struct sw_actions *acts)
{
	if (!trust_take(c, p, now)) {
		c->gs.trust_refused++;
		sw_actions_drop(acts, SW_DROP_PEER_LIMIT);
		return false;
	}
	inbound_end(c, p);		/* before mapped, its key, changes */
	p->trusted = true;
	p->mapped = *from;
	p->last_rx = now;
	p->bubbles = 0;			/* CLI-BUB-5 (IMPL) */
	p->retries = 0;
	flush(c, p, now, acts);
	return true;
}

/*
 * CLI-TX-8: the queue of a peer that never answered is dropped; for each
 * packet the host sent, the host's stack hears ICMPv6 Destination
 * Unreachable, code 3 (address unreachable), from our address, so that
 * the application learns at once (ping prints it, connect() fails).
 * SEC-9: one token bucket; no error about an error (RFC 4443 §2.4(e)).
 * Packets the peer sent us (CLI-RX-9) are dropped silently.
 */
static void
give_up(struct sw_client *c, struct sw_peer *p, sw_time now,
    struct sw_actions *acts)
{
	bool errors = c->conf.icmp_rate.burst > 0;
	const uint8_t *q;
	size_t len;

	while ((q = sw_peer_queue_front(c->peers, p, &len)) != NULL) {
		/* what the host sent, not what the peer sent us */
		if (errors && len >= SW_IP6_HLEN &&
		    memcmp(q + 8, c->addr, 16) == 0 &&
		    sw_icmp6_error_allowed(q, len) &&
		    sw_tb_take(&c->icmp_tb, &c->conf.icmp_rate, now))
			(void)sw_actions_icmp6_error(acts, SW_ICMP6_DST_UNREACH,
			    SW_ICMP6_UNREACH_ADDR, c->addr, q, len);
		sw_peer_queue_pop(c->peers, p);
		sw_actions_drop(acts, SW_DROP_QUEUE_UNRESOLVED);
	}
	p->retries = 0;
	inbound_end(c, p);
	if (!is_teredo(c, p->addr))
		drop_peer(c, p, acts);				/* HARD-6 */
}

/*
 * Trusted Teredo peers not heard from for 30 s are no longer counted
 * against their endpoint's share (trust_take): a slice of the table per
 * SWEEP_EVERY.  They stay in the table, untrusted: the next packet from
 * or to them trusts or resolves them again, as for any stale entry.
 */
static void
sweep(struct sw_client *c, sw_time now)
{
	uint32_t cap = sw_peer_capacity(c->peers);
	uint32_t n = cap / SWEEP_SLICES + 1;

	c->sweep_next = after(now, SWEEP_EVERY);
	for (; n > 0; n--) {
		struct sw_peer *p = sw_peer_at(c->peers, c->sweep_at);

		c->sweep_at = c->sweep_at + 1 < cap ? c->sweep_at + 1 : 0;
		if (p != NULL && p->trusted && is_teredo(c, p->addr) &&
		    !peer_valid(p, now)) {
			c->gs.swept++;
			untrust(c, p);
		}
	}
}

/* The next sweep, while trusted Teredo peers are counted. */
static sw_time
sweep_due(const struct sw_client *c)
{
	return c->n_trust_q > 0 ? c->sweep_next : SW_TIME_NEVER;
}

/* Due retries, at most RETRIES_PER_TICK of them. */
static void
data_tick(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	if (c->n_trust_q > 0 && c->sweep_next <= now)
		sweep(c, now);
	for (unsigned k = 0; k < RETRIES_PER_TICK &&
	    sw_timerq_next(&c->rq) <= now; k++) {
		struct sw_timerq_ent r;
		struct sw_peer *p;

		if (!sw_timerq_pop(&c->rq, &r))
			break;
		p = sw_peer_lookup(c->peers, r.addr);
		if (p == NULL || p->retries == 0 ||
		    after(p->ping_sent, RETRY_DELAY) != r.due)
			continue;		/* stale */
		if (p->retries >= ATTEMPTS) {
			give_up(c, p, now, acts);
			continue;
		}
		attempt(c, p, now, acts);
		sw_timerq_push(&c->rq, p->addr, after(now, RETRY_DELAY));
	}
}

/* Accepted: bubbles are consumed (never delivered), anything else goes
 * to the tunnel: the 40 + PL bytes, zero copy from the input buffer. */
static void
accept_pkt(struct sw_client *c, sw_time now, const struct sw_teredo_view *v,
    bool bubble, struct sw_actions *acts)
{
	struct sw_action *a;

	if (bubble)
		return;
	if ((a = sw_actions_push(acts, SW_ACT_DELIVER)) != NULL) {
		a->seg[0].p = v->ip6;
		a->seg[0].len = v->ip6_len;
		note_data(c, now);
	}
}

/*
 * SW_DEFENCE(CLIENT_REFLECT): an indirect bubble's origin is whatever the
 * sender told the server, and the CLI-BUB-3/4 limits are keyed by its
 * IPv6 source, which the sender chooses too: without a budget per origin
 * endpoint, per origin IPv4 and in total, we would bubble any victim at
 * the rate the attacker sends.
 */
static bool
reflect_budget(struct sw_client *c, const struct sw_v4ep *origin,
    sw_time now)
{
	uint8_t key[16] = { [10] = 0xff, [11] = 0xff };

	if (!SW_DEFENCE(CLIENT_REFLECT))
		return true;
	sw_put32(key + 12, origin->addr);
	if (!sw_rl_allow(c->reflect_v4_rl, key, now))
		return false;
	sw_put16(key + 8, origin->port);
	if (!sw_rl_allow(c->reflect_ep_rl, key, now))
		return false;
	return sw_tb_take(&c->reflect_tb, &c->conf.reflect_rate_total, now);
}

/*
 * CLI-RX-3 (rfc-notes item 4): an indirect bubble relayed by our server
 * is answered with a direct bubble to its origin, under CLI-BUB-3/4.
 * The bubble's source may be link-local: Miredo's relays and clients
 * bubble from fe80::<hash of the target's mapping> and know the answer by
 * it.  That address only becomes the destination of our answer, sent
 * over UDP to the origin; nothing of it reaches the host (HARD-7).
 * HARD-4: no answer to an internal origin or embedded mapping
 * (SRC_INTRANET).
 */
static void
answer_indirect(struct sw_client *c, sw_time now,
    const struct sw_ip6_view *ip, const struct sw_v4ep *origin,
    struct sw_actions *acts)
{
	enum sw_drop why;
	struct sw_peer *p;
	struct sw_teredo t;

	if ((why = sw_check_udp_dst(&c->conf.v4, origin)) != SW_DROP_NONE ||
	    /* HARD-4: the direct bubble would go to origin, a Teredo
	     * source says where it is: neither may be internal. */
	    (why = intranet(c, origin->addr)) != SW_DROP_NONE ||
	    (is_teredo(c, ip->src) && (sw_addr_decode(ip->src, &t),
	    (why = intranet(c, t.mapped.addr)) != SW_DROP_NONE)) ||
	    (!sw_addr_is_link_local(ip->src) &&
	    (why = sw_check_ip6_dst_global(ip->src)) != SW_DROP_NONE) ||
	    (why = sw_check_ip6_dst_unicast(ip->src, false)) != SW_DROP_NONE) {
		sw_actions_drop(acts, why);	/* D6, HARD-7, HARD-8 */
		return;
	}
	if (!reflect_budget(c, origin, now)) {
		c->gs.reflect_limited++;
		sw_actions_drop(acts, SW_DROP_BUBBLE_LIMITED);
		return;
	}
	if ((p = get_peer(c, ip->src, now, acts)) == NULL)	/* CLI-BUB-1 */
		return;
	/* A relay bubbles from its own native address, never the source
	 * of the packets it relays, so no direct response would ever
	 * restore the budget of CLI-BUB-4 for that entry: after 4 answers
	 * in 300 s a client that only receives would stop answering and
	 * lose its traffic (tests/sim relay/stale-quiet-5min).  Answers to
	 * a non-Teredo source keep the 2 s spacing (CLI-BUB-3) only. */
	if (!is_teredo(c, ip->src))
		p->bubbles = 0;
	send_bubbles(c, p, now, origin, NULL, acts);
}

/*
 * CLI-RX-9 (case 6): a packet from a native (non-Teredo) source that is
 * not a trusted peer at this UDP source.  The source may be spoofed, so
 * it is not delivered yet: it waits in the peer's queue while a direct
 * IPv6 connectivity test runs through our server (CLI-PING-2..4); the
 * echo reply (CLI-RX-5) trusts the peer at the relay it came through and
 * the queue is delivered.  HARD-3 (CVE-2006-6266): only packets that
 * would be delivered start a test (bubbles, bad sources and, with
 * conf.edge, packets the edge refuses, EDGE_NOT_GRANTED); one test at a
 * time per source, 2 s between attempts and 4 per resolution, and for an
 * unsolicited source one echo request per 2 s and 4 in its lifetime
 * (PING_LIMIT, ping_limit()), under the global ping token bucket; a valid
 * trusted entry is not disturbed by packets arriving from elsewhere (they
 * are dropped: a spoofer cannot make us forget a working relay).  Queued inbound and
 * outbound packets share the peer's FIFO; flush() tells them apart by
 * their destination.
 */
/*
 * [harden] SW_DEFENCE(CLIENT_INBOUND): may an inbound packet from `from`
 * start a resolution?  Each holds a queue slot and echo requests for 8 s,
 * and its native source is free for the sender to choose: so at most
 * inbound_per_mapping of them through one UDP source, inbound_per_address
 * through one IPv4 and inbound_max in all, and only when its first echo
 * request can go now (inbound_ping_rate), so that no packet waits for a
 * test that is not running.  The host's own sends keep the rest of the
 * queue pool and their own ping bucket.
 */
static bool
inbound_allowed(struct sw_client *c, const struct sw_v4ep *from, sw_time now)
{
	uint64_t ep, v4;
	struct sw_tb probe;

	if (!SW_DEFENCE(CLIENT_INBOUND))
		return true;
	ep_keys(from, &ep, &v4);
	if (c->n_inbound >= c->conf.inbound_max ||
	    sw_quota_get(c->inbound_q, ep) >= c->conf.inbound_per_mapping ||
	    sw_quota_get(c->inbound_q, v4) >= c->conf.inbound_per_address)
		return false;
	probe = c->inbound_ping_tb;	/* would its first echo request go? */
	return sw_tb_take(&probe, &c->conf.inbound_ping_rate, now);
}

static void
inbound_begin(struct sw_client *c, struct sw_peer *p,
    const struct sw_v4ep *from)
{
	uint64_t ep, v4;

	if (p->inbound)
		return;
	ep_keys(from, &ep, &v4);
	/* Cannot fail: at most capacity resolutions, two keys each. */
	(void)sw_quota_add(c->inbound_q, ep);
	(void)sw_quota_add(c->inbound_q, v4);
	c->n_inbound++;
	p->mapped = *from;
	p->inbound = true;
}

static void
unsolicited(struct sw_client *c, struct sw_peer *p, sw_time now,
    const struct sw_v4ep *from, const struct sw_teredo_view *v,
    const struct sw_ip6_view *ip, bool bubble, struct sw_actions *acts)
{
	struct sw_ip6_chain ch;
	enum sw_drop why;

	if (bubble) {
		sw_actions_drop(acts, SW_DROP_BUBBLE_UNMATCHED);
		return;
	}
	if (p != NULL && peer_valid(p, now)) {
		sw_actions_drop(acts, SW_DROP_SRC_MAPPING);
		return;
	}
	/* HARD-2/3: only packets that would be delivered are tested. */
	if (edge_refused(c, ip, acts))
		return;
	if (p == NULL || p->retries == 0) {
		/* A non-first fragment never starts a test: it has no
		 * header to judge it by (SW_DEFENCE(FLOW)). */
		if (SW_DEFENCE(FLOW) && sw_ip6_walk(ip, &ch, &why) == 0 &&
		    ch.fragment_later) {
			c->gs.fragment_refused++;
			sw_actions_drop(acts, SW_DROP_FRAGMENT_UNSOLICITED);
			return;
		}
		/* A new test: HARD-3 per source, then room for its timer,
		 * then the budgets of inbound tests. */
		if (sw_actions_drop_if(acts, ping_limit(c, ip->src, now)))
			return;
		if (sw_timerq_full(&c->rq)) {
			sw_actions_drop(acts, SW_DROP_RATE_LIMITED);
			return;
		}
		if ((p == NULL || !p->inbound) &&
		    !inbound_allowed(c, from, now)) {
			c->gs.inbound_refused++;
			sw_actions_drop(acts, SW_DROP_INBOUND_LIMITED);
			return;
		}
	}
	if (p == NULL && (p = get_peer(c, ip->src, now, acts)) == NULL)
		return;
	if (sw_peer_enqueue(c->peers, p, v->ip6, v->ip6_len, &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}
	if (p->retries == 0) {
		inbound_begin(c, p, from);
		start_resolution(c, p, now, acts);
	}
}

/* D25, HARD-1: RH0 with Segments Left > 0 (SW_DEFENCE(ROUTING_HEADER));
 * a chain that cannot be walked is dropped in every build. */
static enum sw_drop
routing_header(const struct sw_ip6_view *ip)
{
	enum sw_drop why = sw_check_routing_header(ip);

	if (!SW_DEFENCE(ROUTING_HEADER) && why == SW_DROP_ROUTING_HEADER0)
		return SW_DROP_NONE;
	return why;
}

/*
 * A non-RA datagram while QUALIFIED (RFC 4380 §5.2.3).  Guard: with
 * conf.edge, a packet that is not a bubble and whose source the host
 * never sent to must pass edge_refused() wherever it would be delivered
 * (cases 1, 3, 5) or ping-tested (case 6); HARD-4 before case 3.
 */
static void
data_input(struct sw_client *c, sw_time now, const struct sw_v4ep *from,
    const struct sw_teredo_view *v, const struct sw_ip6_view *ip,
    struct sw_actions *acts)
{
	const struct sw_client_server *s = cur_server(c);
	bool bubble = sw_ip6_is_bubble(ip);
	struct sw_echo_view e;
	struct sw_teredo t;
	struct sw_peer *p;
	enum sw_drop why;

	/* DISC-3 (D7): a discovery bubble sent to our unicast address. */
	if (c->conf.discovery && memcmp(ip->dst, all_nodes, 16) == 0) {
		sw_actions_drop(acts, SW_DROP_DISC_UNICAST);
		return;
	}
	/* CLI-RX-2, HARD-7 (ff02::1 too: discovery bubbles arrive through
	 * sw_client_input_discovery) */
	if ((why = sw_check_ip6_dst_unicast(ip->dst, false)) != SW_DROP_NONE) {
		sw_actions_drop(acts, why);
		return;
	}
	if (memcmp(ip->dst, c->addr, 16) != 0) {
		sw_actions_drop(acts, SW_DROP_DST_NOT_OURS);
		return;
	}
	/* HARD-7, D25: what may be delivered (bubbles never are). */
	if (!bubble && ((why = sw_check_ip6_src(ip->src)) != SW_DROP_NONE ||
	    (why = routing_header(ip)) != SW_DROP_NONE)) {
		sw_actions_drop(acts, why);
		return;
	}
	/* CLI-RX-3 */
	if ((from->addr == s->primary || from->addr == s->secondary) &&
	    from->port == SW_TEREDO_PORT) {
		c->last_server_rx = now;
		if (bubble) {
			if (v->has_origin)
				answer_indirect(c, now, ip, &v->origin, acts);
			return;
		}
	}
	p = sw_peer_lookup(c->peers, ip->src);
	/* CLI-RX-4 (a peer trusted from its bubbles alone is still
	 * unsolicited: bubble-to-open, CVE-2006-6265) */
	if (p != NULL && p->trusted && sw_v4ep_eq(&p->mapped, from)) {
		if ((!bubble && edge_refused(c, ip, acts)) ||
		    !trust(c, p, from, now, acts))
			return;
		accept_pkt(c, now, v, bubble, acts);
		return;
	}
	/* CLI-RX-5: the answer to our ping test, consumed. */
	if (p != NULL && !p->trusted && p->retries > 0 &&
	    !is_teredo(c, ip->src) && sw_wire_parse_echo(ip, &e) == 0 &&
	    e.type == SW_ICMP6_ECHO_REPLY) {
		/* HARD-5: the nonce is a secret; compared in constant
		 * time. */
		if (SW_DEFENCE(PING_NONCE) && (e.data_len != SW_PEER_NONCE_LEN ||
		    !sw_auth_equal(e.data, p->nonce, SW_PEER_NONCE_LEN))) {
			sw_actions_drop(acts, SW_DROP_PING_NONCE);
			return;
		}
		/* HARD-4, D6 (CVE-2006-6264 by another path): the peer
		 * would be trusted at `from`, and the host's packets sent
		 * there: a global unicast, non-intranet endpoint only. */
		if ((why = sw_check_udp_dst(&c->conf.v4, from)) !=
		    SW_DROP_NONE ||
		    (why = intranet(c, from->addr)) != SW_DROP_NONE) {
			sw_actions_drop(acts, why);
			return;
		}
		ping_answered(c, ip->src);
		(void)trust(c, p, from, now, acts);
		return;
	}
	/* CLI-RX-6 */
	if (is_teredo(c, ip->src)) {
		sw_addr_decode(ip->src, &t);
		if (sw_v4ep_eq(&t.mapped, from)) {
			/* HARD-4 (CVE-2006-6264): no trust, no delivery, no
			 * answer for an internal mapping. */
			if (sw_actions_drop_if(acts, intranet(c,
			    t.mapped.addr)) ||
			    (!bubble && edge_refused(c, ip, acts)))
				return;
			if ((p = get_peer(c, ip->src, now, acts)) == NULL ||
			    !trust(c, p, from, now, acts))
				return;
			accept_pkt(c, now, v, bubble, acts);
			return;
		}
	}
	/* CLI-RX-8 (case 5): a local peer at its local endpoint (the one
	 * its discovery bubble came from); the data then stays on the LAN. */
	if (is_teredo(c, ip->src) && p != NULL && is_local(p, now) &&
	    sw_v4ep_eq(&p->local, from)) {
		if ((!bubble && edge_refused(c, ip, acts)) ||
		    !trust(c, p, from, now, acts))
			return;
		accept_pkt(c, now, v, bubble, acts);
		return;
	}
	/* A Teredo source that does not embed the UDP source: spoofable
	 * and not verifiable by a ping test. */
	if (is_teredo(c, ip->src)) {
		sw_actions_drop(acts, SW_DROP_SRC_MAPPING);
		return;
	}
	unsolicited(c, p, now, from, v, ip, bubble, acts);
}

/*
 * CLI-RX-7 (case 4), DISC-3..7: a datagram from the discovery socket.
 * Only a bubble to ff02::1 is a discovery bubble; it must pass DISC-3..5
 * (sw_check_discovery: multicast, Teredo source, on-link IPv4 source,
 * our NAT's mapped address), come from another Teredo address than ours
 * and from a real port.
 */
static void
discovery_input(struct sw_client *c, sw_time now, const struct sw_v4ep *from,
    const struct sw_ip6_view *ip, struct sw_actions *acts)
{
	struct sw_peer *p;
	enum sw_drop why;
	bool created, known;

	if (memcmp(ip->dst, all_nodes, 16) != 0) {
		sw_actions_drop(acts, ip->dst[0] == 0xff ?
		    SW_DROP_DST_MULTICAST : SW_DROP_DST_NOT_OURS);
		return;
	}
	if (!sw_ip6_is_bubble(ip)) {
		sw_actions_drop(acts, SW_DROP_DST_MULTICAST);	/* HARD-7 */
		return;
	}
	if ((why = sw_check_discovery(ip, c->conf.prefix, true, from->addr,
	    c->conf.v4.attached, c->conf.v4.n_attached,
	    c->flags_mapped.addr)) != SW_DROP_NONE) {
		sw_actions_drop(acts, why);		/* D7, D8, D9 */
		return;
	}
	if (memcmp(ip->src, c->addr, 16) == 0) {
		sw_actions_drop(acts, SW_DROP_OWN_ADDRESS);	/* our echo */
		return;
	}
	if (sw_actions_drop_if(acts, sw_check_udp_src(from, NULL, 0)))
		return;					/* HARD-8 */
	c->disc_accepted++;
	/* DISC-6: a new entry is untrusted, last reception now, last
	 * transmission "now - 30 s", no bubble sent. */
	created = sw_peer_lookup(c->peers, ip->src) == NULL;
	if ((p = get_peer(c, ip->src, now, acts)) == NULL)
		return;
	if (created)
		p->last_rx = now;
	known = !created && is_local(p, now) && sw_v4ep_eq(&p->local, from);
	p->local = *from;
	p->local_peer = true;
	p->last_discovery = now;			/* DISC-8 */
	/* DISC-7: a unicast bubble to its local endpoint, CLI-BUB-3/4. */
	send_bubbles(c, p, now, &p->local, NULL, acts);
	/* IMPL: a newcomer may have missed our discovery bubble. */
	if (!known)
		discovery_soon(c, now, acts);
}

void
sw_client_send(struct sw_client *c, sw_time now, const uint8_t *pkt,
    size_t len, struct sw_actions *acts)
{
	enum sw_drop why = SW_DROP_NONE;
	struct sw_ip6_view ip;
	struct sw_teredo t;
	struct sw_peer *p;
	size_t plen;

	if (c->state == SW_CLIENT_DORMANT) {
		/* The host wants the tunnel again: this packet is lost (its
		 * sender retries), qualification starts. */
		sw_actions_drop(acts, SW_DROP_DORMANT);
		wake(c, now, acts);
		return;
	}
	if (c->state != SW_CLIENT_QUALIFIED || !c->has_addr) {
		sw_actions_drop(acts, SW_DROP_CLIENT_NOT_READY);
		return;
	}
	if (sw_ip6_parse(pkt, len, &ip, &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}
	plen = SW_IP6_HLEN + (size_t)ip.plen;
	if (memcmp(ip.src, c->addr, 16) != 0) {
		sw_actions_drop(acts, SW_DROP_SRC_NOT_OURS);
		return;
	}
	if ((why = sw_check_ip6_dst_global(ip.dst)) != SW_DROP_NONE ||
	    (why = sw_check_ip6_dst_unicast(ip.dst, false)) != SW_DROP_NONE) {
		sw_actions_drop(acts, why);
		return;
	}
	if (memcmp(ip.dst, c->addr, 16) == 0) {
		sw_actions_drop(acts, SW_DROP_OWN_ADDRESS);
		return;
	}
	p = sw_peer_lookup(c->peers, ip.dst);
	/* CLI-TX-1, zero copy */
	if (p != NULL && peer_valid(p, now)) {
		if (push_udp(acts, &p->mapped, pkt, plen) != NULL) {
			p->last_tx = now;
			note_data(c, now);
			note_sent(c, &ip);
		}
		return;
	}
	/* CLI-TX-6: COM-V4G on the mapping and the server (D6), and no
	 * UDP port 0 (HARD-8; a fuzz_client finding). */
	if (is_teredo(c, ip.dst)) {
		sw_addr_decode(ip.dst, &t);
		if ((why = sw_check_udp_dst(&c->conf.v4, &t.mapped)) !=
		    SW_DROP_NONE ||
		    (why = sw_check_v4(&c->conf.v4, t.server)) !=
		    SW_DROP_NONE ||
		    (why = loop_check(c, &t)) != SW_DROP_NONE) {
			sw_actions_drop(acts, why);	/* RFC 6324: LOOP */
			return;
		}
	}
	/* CLI-TX-2/5: queue, and resolve unless already under way. */
	if ((p == NULL || p->retries == 0) && sw_timerq_full(&c->rq)) {
		sw_actions_drop(acts, SW_DROP_RATE_LIMITED);
		return;
	}
	if (p == NULL && (p = get_peer(c, ip.dst, now, acts)) == NULL)
		return;
	if (sw_peer_enqueue(c->peers, p, pkt, plen, &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}
	note_data(c, now);
	note_sent(c, &ip);
	if (p->retries == 0)
		start_resolution(c, p, now, acts);
}

/* ---- API ------------------------------------------------------------------- */

/* [harden] budgets: fill what is 0 (the caller's "default"). */
static void
guard_defaults(struct sw_client_conf *conf)
{
	static const struct sw_tb_conf inbound_ping = { 200 * SW_MSEC, 10 },
	    reflect = { 500 * SW_MSEC, 4 }, reflect_v4 = { 250 * SW_MSEC, 8 },
	    reflect_total = { 20 * SW_MSEC, 100 };

	if (conf->peers_per_mapping == 0)
		conf->peers_per_mapping = 8;
	if (conf->peers_per_address == 0)
		conf->peers_per_address = 64;
	if (conf->inbound_max == 0)
		conf->inbound_max = 32;
	if (conf->inbound_per_mapping == 0)
		conf->inbound_per_mapping = 4;
	if (conf->inbound_per_address == 0)
		conf->inbound_per_address = 8;
	if (conf->inbound_ping_rate.interval == 0 ||
	    conf->inbound_ping_rate.burst == 0)
		conf->inbound_ping_rate = inbound_ping;
	if (conf->reflect_rate.interval == 0 || conf->reflect_rate.burst == 0)
		conf->reflect_rate = reflect;
	if (conf->reflect_rate_v4.interval == 0 ||
	    conf->reflect_rate_v4.burst == 0)
		conf->reflect_rate_v4 = reflect_v4;
	if (conf->reflect_rate_total.interval == 0 ||
	    conf->reflect_rate_total.burst == 0)
		conf->reflect_rate_total = reflect_total;
	if (conf->flows == 0)
		conf->flows = 4096;
}

void
sw_client_conf_default(struct sw_client_conf *conf)
{
	memset(conf, 0, sizeof *conf);
	conf->prefix = SW_TEREDO_PREFIX;
	conf->refresh = 30 * SW_SEC;		/* CLI-MNT-1/2 */
	conf->rs_timeout = 4 * SW_SEC;		/* CLI-QUAL-3: T */
	conf->rs_tries = 3;			/* CLI-QUAL-3: N */
	conf->backoff_min = 4 * SW_SEC;
	conf->backoff_max = 300 * SW_SEC;
	conf->v4.policy = SW_V4_HARDENED;	/* COM-V4G-2 */
	conf->peers = 1024;
	conf->queue_peer_bytes = 1280;		/* the link MTU */
	conf->queue_total_bytes = 256 * 1024;
	conf->ping_rate.interval = 100 * SW_MSEC;	/* HARD-3 */
	conf->ping_rate.burst = 10;
	conf->icmp_rate.interval = 100 * SW_MSEC;	/* CLI-TX-8, SEC-9 */
	conf->icmp_rate.burst = 10;
	guard_defaults(conf);
}

int
sw_client_new(struct sw_client **out, const struct sw_client_conf *conf)
{
	struct sw_peer_table_conf pc;
	struct sw_client *c;
	int err;

	*out = NULL;
	if (conf->n_servers == 0 || conf->n_servers > SW_CLIENT_MAX_SERVERS ||
	    conf->refresh == 0 || conf->rs_timeout == 0 ||
	    conf->backoff_min == 0 || conf->backoff_max < conf->backoff_min ||
	    conf->rs_tries == 0 || conf->rng.fill == NULL ||
	    (conf->client_id_len > 0 && conf->client_id == NULL) ||
	    conf->n_intranet > SW_CLIENT_MAX_INTRANET)
		return -EINVAL;
	for (unsigned i = 0; i < conf->n_intranet; i++)
		if (conf->intranet[i].plen > 32)
			return -EINVAL;
	for (unsigned i = 0; i < conf->n_servers; i++)
		if (conf->servers[i].primary == 0)
			return -EINVAL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return -ENOMEM;
	/* Copied, client id included; conf->key and conf->v4.attached
	 * are borrowed and must outlive the client. */
	c->conf = *conf;
	/* CLI-CFG-1: the secondary is primary + 1 unless configured. */
	for (unsigned i = 0; i < conf->n_servers; i++)
		if (c->conf.servers[i].secondary == 0)
			c->conf.servers[i].secondary =
			    conf->servers[i].primary + 1;
	if (conf->client_id_len > 0)
		memcpy(c->id, conf->client_id, conf->client_id_len);
	c->conf.client_id = c->id;
	sw_addr_client_ll(c->ll, false);	/* COM-LL-1, CLI-QUAL-4 */
	/* Data path sizes: 0 means the default. */
	if (c->conf.peers == 0)
		c->conf.peers = 1024;
	if (c->conf.queue_peer_bytes == 0)
		c->conf.queue_peer_bytes = 1280;
	if (c->conf.queue_total_bytes == 0)
		c->conf.queue_total_bytes = 256 * 1024;
	if (c->conf.icmp_rate.interval == 0) {
		c->conf.icmp_rate.interval = 100 * SW_MSEC;
		c->conf.icmp_rate.burst = 10;
	}
	if (c->conf.ping_rate.interval == 0 || c->conf.ping_rate.burst == 0) {
		c->conf.ping_rate.interval = 100 * SW_MSEC;
		c->conf.ping_rate.burst = 10;
	}
	memset(&pc, 0, sizeof pc);
	pc.capacity = c->conf.peers;
	pc.queue_peer_bytes = c->conf.queue_peer_bytes;
	pc.queue_total_bytes = c->conf.queue_total_bytes;
	pc.slot_size = c->conf.queue_peer_bytes;
	sw_rng_fill(&c->conf.rng, pc.hash_key, sizeof pc.hash_key);
	if ((err = sw_peer_table_new(&c->peers, &pc)) != 0 ||
	    (err = sw_timerq_init(&c->rq, c->conf.peers)) != 0) {
		sw_client_free(c);
		return err;
	}
	/* The guard's tables: entries only, no queues (one minimal slot). */
	pc.queue_peer_bytes = pc.queue_total_bytes = pc.slot_size =
	    SW_IP6_HLEN;
	sw_rng_fill(&c->conf.rng, pc.hash_key, sizeof pc.hash_key);
	if ((err = sw_peer_table_new(&c->sol, &pc)) != 0) {
		sw_client_free(c);
		return err;
	}
	sw_rng_fill(&c->conf.rng, pc.hash_key, sizeof pc.hash_key);
	if ((err = sw_peer_table_new(&c->pinged, &pc)) != 0) {
		sw_client_free(c);
		return err;
	}
	guard_defaults(&c->conf);
	/* Two keys (endpoint, address) per entry at most. */
	sw_rng_fill(&c->conf.rng, pc.hash_key, sizeof pc.hash_key);
	if ((err = sw_quota_new(&c->trust_q, 2 * c->conf.peers,
	    pc.hash_key)) != 0 ||
	    (sw_rng_fill(&c->conf.rng, pc.hash_key, sizeof pc.hash_key),
	    err = sw_quota_new(&c->inbound_q, 2 * c->conf.peers,
	    pc.hash_key)) != 0 ||
	    (sw_rng_fill(&c->conf.rng, pc.hash_key, sizeof pc.hash_key),
	    err = sw_rl_new(&c->reflect_ep_rl, 1024, &c->conf.reflect_rate,
	    pc.hash_key)) != 0 ||
	    (sw_rng_fill(&c->conf.rng, pc.hash_key, sizeof pc.hash_key),
	    err = sw_rl_new(&c->reflect_v4_rl, 1024, &c->conf.reflect_rate_v4,
	    pc.hash_key)) != 0 ||
	    (err = sw_flow_table_new(&c->flows, c->conf.flows,
	    &c->conf.rng)) != 0) {
		sw_client_free(c);
		return err;
	}
	/* A flood of origins must not give one back a full burst. */
	sw_rl_set_start(c->reflect_ep_rl, 1);
	sw_rl_set_start(c->reflect_v4_rl, 1);
	c->state = SW_CLIENT_OFFLINE;
	c->backoff = conf->backoff_min;
	c->last_server_rx = SW_TIME_NEVER;
	c->next_refresh = SW_TIME_NEVER;
	c->disc_next = SW_TIME_NEVER;
	c->disc_last = SW_TIME_NEVER;
	c->last_data = SW_TIME_NEVER;
	c->active = SW_TIME_NEVER;
	arm(c, TIMER_NONE, SW_TIME_NEVER);
	*out = c;
	return 0;
}

void
sw_client_free(struct sw_client *c)
{
	if (c == NULL)
		return;
	sw_peer_table_free(c->peers);
	sw_peer_table_free(c->sol);
	sw_peer_table_free(c->pinged);
	sw_flow_table_free(c->flows);
	sw_quota_free(c->trust_q);
	sw_quota_free(c->inbound_q);
	sw_rl_free(c->reflect_ep_rl);
	sw_rl_free(c->reflect_v4_rl);
	sw_timerq_free(&c->rq);
	free(c);
}

void
sw_client_start(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	ev_start(c, now, acts);
}

void
sw_client_stop(struct sw_client *c, sw_time now, enum sw_client_reason why,
    struct sw_actions *acts)
{
	(void)now;
	peers_reset(c, acts);
	clear_address(c, acts);
	halt(c, SW_CLIENT_OFFLINE, why);	/* until sw_client_start() */
	emit_state(c, acts);
}

void
sw_client_set_edge(struct sw_client *c, const struct sw_edge *e)
{
	c->edge = *e;
	/* a corrupt count must not make sw_edge_has() read past the end */
	if (c->edge.n_tcp > SW_EDGE_MAX_PORTS)
		c->edge.n_tcp = SW_EDGE_MAX_PORTS;
	if (c->edge.n_udp > SW_EDGE_MAX_PORTS)
		c->edge.n_udp = SW_EDGE_MAX_PORTS;
}

void
sw_client_set_listening(struct sw_client *c, sw_time now, bool granted,
    struct sw_actions *acts)
{
	/* Losing the last listener restarts the dormancy clock: the
	 * client is idle for dormant_after from then on at the earliest. */
	if (c->listening && !granted && c->active != SW_TIME_NEVER &&
	    c->active < now)
		c->active = now;
	c->listening = granted;
	if (granted && c->state == SW_CLIENT_DORMANT)
		wake(c, now, acts);
}

void
sw_client_input(struct sw_client *c, sw_time now, const struct sw_v4ep *from,
    const uint8_t *buf, size_t len, struct sw_actions *acts)
{
	const struct sw_client_server *s = cur_server(c);
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	struct sw_ra_info info;
	enum sw_drop why = SW_DROP_NONE;

	/* D1, D2 (CLI-RX-1) */
	if (sw_wire_parse(buf, len, &v, &why) != 0 ||
	    sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}
	/* D5, CLI-RA-3 */
	if ((why = sw_check_not_rs(&ip)) != SW_DROP_NONE) {
		sw_actions_drop(acts, why);
		return;
	}
	/* Anything but an RA: the data path (§2.6), once qualified. */
	if (ip.nxt != SW_NH_ICMP6 || ip.plen < 1 ||
	    ip.payload[0] != SW_ICMP6_RA) {
		if (c->state == SW_CLIENT_QUALIFIED && c->has_addr)
			data_input(c, now, from, &v, &ip, acts);
		else
			sw_actions_drop(acts, SW_DROP_CLIENT_NOT_READY);
		return;
	}
	/* CLI-QUAL-8 (IMPL), rfc-notes item 11: RAs come from one of the
	 * current server's two addresses, port 3544. */
	if ((from->addr != s->primary && from->addr != s->secondary) ||
	    from->port != SW_TEREDO_PORT) {
		sw_actions_drop(acts, SW_DROP_RA_WRONG_SOURCE);
		return;
	}
	/* CLI-SQ-2: no RS outstanding, so no nonce can match (D4). */
	if (SW_DEFENCE(RA_NONCE) && !c->nonce_valid) {
		sw_actions_drop(acts, SW_DROP_RA_NONCE);
		return;
	}
	{
		const struct sw_ra_expect e = {
			.rs_src = c->ll,
			.prefix = c->conf.prefix,
			.server = s->primary,	/* rfc-notes item 12 */
			/* NULL: sw_check_ra skips the nonce (a weak
			 * test build only) */
			.nonce = SW_DEFENCE(RA_NONCE) ? c->nonce : NULL,
			.mac = c->conf.key,
			.v4 = &c->conf.v4,
		};

		why = sw_check_ra(&v, &e, &info);
	}
	if (why == SW_DROP_V4_NOT_GLOBAL) {
		/* CLI-RA-4, COM-ADDR-4: an authentic answer, but the
		 * mapping cannot form a global address: this server is not
		 * usable from here. */
		sw_actions_drop(acts, why);
		c->nonce_valid = false;
		c->last_server_rx = now;
		if (c->state == SW_CLIENT_QUALIFIED)
			fail_over(c, now, SW_CLIENT_REASON_MAPPING_NOT_GLOBAL,
			    acts);
		else
			server_failed(c, now,
			    SW_CLIENT_REASON_MAPPING_NOT_GLOBAL, acts);
		return;
	}
	if (why != SW_DROP_NONE) {
		sw_actions_drop(acts, why);	/* D3, D4 */
		return;
	}
	ev_ra(c, now, &info, acts);
}

void
sw_client_input_discovery(struct sw_client *c, sw_time now,
    const struct sw_v4ep *from, const uint8_t *buf, size_t len,
    struct sw_actions *acts)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why = SW_DROP_NONE;

	/* D1, D2 (CLI-RX-1) */
	if (sw_wire_parse(buf, len, &v, &why) != 0 ||
	    sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}
	/* DISC-5 needs our mapping, DISC-7 our address. */
	if (!c->conf.discovery || c->state != SW_CLIENT_QUALIFIED ||
	    !c->has_addr) {
		sw_actions_drop(acts, SW_DROP_CLIENT_NOT_READY);
		return;
	}
	discovery_input(c, now, from, &ip, acts);
}

void
sw_client_tick(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	enum timer t;

	/* Dormancy first: a refresh due at the same time is not sent. */
	if (now >= dormant_due(c))
		enter_dormant(c, acts);
	t = c->timer;
	if (t != TIMER_NONE && now >= c->deadline) {
		arm(c, TIMER_NONE, SW_TIME_NEVER);
		switch (t) {
		case TIMER_RS:
			ev_rs_timeout(c, now, acts);
			break;
		case TIMER_BACKOFF:
			ev_backoff(c, now, acts);
			break;
		case TIMER_REFRESH:
			ev_refresh(c, now, acts);
			break;
		default:
			break;
		}
	}
	discovery_tick(c, now, acts);
	data_tick(c, now, acts);
}

sw_time
sw_client_next_deadline(const struct sw_client *c)
{
	sw_time d = c->deadline;

	if (c->disc_next < d)
		d = c->disc_next;
	if (dormant_due(c) < d)
		d = dormant_due(c);

	/* The queue is sorted: its head is the earliest retry. */
	if (sw_timerq_next(&c->rq) < d)
		d = sw_timerq_next(&c->rq);
	if (sweep_due(c) < d)
		d = sweep_due(c);
	return d;
}

void
sw_client_status(const struct sw_client *c, struct sw_client_status *st)
{
	memset(st, 0, sizeof *st);
	st->state = c->state;
	st->reason = c->reason;
	st->nat = c->nat;
	st->server_index = c->server;
	st->server = *cur_server(c);
	st->last_server_rx = c->last_server_rx;
	st->refresh = c->conf.refresh;
	st->next_refresh = SW_TIME_NEVER;
	/* While a refresh runs: its next retransmission (or give-up). */
	if (c->state == SW_CLIENT_QUALIFIED)
		st->next_refresh = c->refreshing ? c->deadline :
		    c->next_refresh;
	st->has_addr = c->has_addr;
	if (c->has_addr) {
		st->mapped = c->flags_mapped;
		memcpy(st->addr, c->addr, 16);
	}
	st->qualifications = c->qualifications;
	st->address_changes = c->address_changes;
	st->peers = sw_peer_count(c->peers);
	st->queued_bytes = sw_peer_queue_total(c->peers);
	st->discovery = c->conf.discovery;
	st->next_discovery = c->disc_next;
	st->discovery_sent = c->disc_sent;
	st->discovery_accepted = c->disc_accepted;
	st->dormant = c->state == SW_CLIENT_DORMANT;
	st->dormancies = c->dormancies;
	st->last_data = c->last_data;
	st->listening = c->listening;
	st->flows = sw_flow_count(c->flows);
	st->inbound = c->n_inbound;
	st->guard = c->gs;
}

const char *
sw_client_state_name(enum sw_client_state s)
{
	return (unsigned)s < SW_CLIENT__STATES ? state_names[s] : "?";
}

const char *
sw_client_reason_name(enum sw_client_reason r)
{
	return (unsigned)r < SW_CLIENT__REASONS ? reason_names[r] : "?";
}

const char *
sw_nat_type_name(enum sw_nat_type n)
{
	return (unsigned)n < sizeof nat_names / sizeof nat_names[0] ?
	    nat_names[n] : "?";
}
