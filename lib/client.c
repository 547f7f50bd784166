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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "client.h"
#include "wire.h"

#define RS_LEN		(SW_IP6_HLEN + 8)	/* RS without options */

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
};

static const char *const state_names[SW_CLIENT__STATES] = {
	[SW_CLIENT_OFFLINE] = "offline",
	[SW_CLIENT_PROBE_PRIMARY] = "probe-primary",
	[SW_CLIENT_PROBE_SECONDARY] = "probe-secondary",
	[SW_CLIENT_QUALIFIED] = "qualified",
};

static const char *const reason_names[SW_CLIENT__REASONS] = {
	[SW_CLIENT_REASON_NONE] = "none",
	[SW_CLIENT_REASON_NO_ANSWER] = "no-answer",
	[SW_CLIENT_REASON_SYMMETRIC_NAT] = "symmetric-nat",
	[SW_CLIENT_REASON_MAPPING_NOT_GLOBAL] = "mapping-not-global",
	[SW_CLIENT_REASON_KEY_REJECTED] = "key-rejected",
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

static void
clear_address(struct sw_client *c, struct sw_actions *acts)
{
	if (!c->has_addr)
		return;
	c->has_addr = false;
	memset(c->addr, 0, sizeof c->addr);
	(void)sw_actions_push(acts, SW_ACT_ADDR_CLEAR);
}

/*
 * CLI-ADDR-1/2, COM-FLAG-3..5: the address for `mapped` behind the
 * current server.  The random bits are drawn only when (server, mapping)
 * differs from what the last address was formed for; ADDR_SET only when
 * the address differs from the one configured (CLI-MNT-5: it replaces it).
 */
static void
set_address(struct sw_client *c, const struct sw_v4ep *mapped,
    struct sw_actions *acts)
{
	struct sw_teredo t;
	struct sw_action *a;
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
	if (had && memcmp(addr, c->addr, 16) == 0)
		return;
	memcpy(c->addr, addr, 16);
	c->has_addr = true;
	if (had)
		c->address_changes++;
	if ((a = sw_actions_push(acts, SW_ACT_ADDR_SET)) != NULL)
		memcpy(a->addr, addr, 16);
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

/* CLI-QUAL-4: qualification starts at P2 (C = 0) with c->server. */
static void
enter_probe_primary(struct sw_client *c, sw_time now,
    enum sw_client_reason why, struct sw_actions *acts)
{
	clear_address(c, acts);
	c->state = SW_CLIENT_PROBE_PRIMARY;
	c->reason = why;
	c->refreshing = false;
	emit_state(c, acts);
	begin_phase(c, now, cur_server(c)->primary, acts);
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
	set_address(c, &c->m1, acts);
	emit_state(c, acts);
	schedule_refresh(c, now);
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
	case SW_CLIENT_QUALIFIED:
		/* CLI-MNT-5: a new mapping replaces the address. */
		c->nat = nat_of(c, &info->mapped);
		set_address(c, &info->mapped, acts);
		schedule_refresh(c, now);
		break;
	default:
		break;
	}
}

/* ---- API ------------------------------------------------------------------- */

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
}

int
sw_client_new(struct sw_client **out, const struct sw_client_conf *conf)
{
	struct sw_client *c;

	*out = NULL;
	if (conf->n_servers == 0 || conf->n_servers > SW_CLIENT_MAX_SERVERS ||
	    conf->refresh == 0 || conf->rs_timeout == 0 ||
	    conf->backoff_min == 0 || conf->backoff_max < conf->backoff_min ||
	    conf->rs_tries == 0 || conf->rng.fill == NULL ||
	    (conf->client_id_len > 0 && conf->client_id == NULL))
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
	c->state = SW_CLIENT_OFFLINE;
	c->backoff = conf->backoff_min;
	c->last_server_rx = SW_TIME_NEVER;
	c->next_refresh = SW_TIME_NEVER;
	arm(c, TIMER_NONE, SW_TIME_NEVER);
	*out = c;
	return 0;
}

void
sw_client_free(struct sw_client *c)
{
	free(c);
}

void
sw_client_start(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	ev_start(c, now, acts);
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

	/* D1, D2 */
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
	/* Anything but an RA: the data path (§2.6) is not there yet. */
	if (ip.nxt != SW_NH_ICMP6 || ip.plen < 1 ||
	    ip.payload[0] != SW_ICMP6_RA) {
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
	/* CLI-SQ-2: no RS outstanding, so no nonce can match. */
	if (!c->nonce_valid) {
		sw_actions_drop(acts, SW_DROP_RA_NONCE);
		return;
	}
	{
		const struct sw_ra_expect e = {
			.rs_src = c->ll,
			.prefix = c->conf.prefix,
			.server = s->primary,	/* rfc-notes item 12 */
			.nonce = c->nonce,
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
sw_client_tick(struct sw_client *c, sw_time now, struct sw_actions *acts)
{
	enum timer t = c->timer;

	if (t == TIMER_NONE || now < c->deadline)
		return;
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

sw_time
sw_client_next_deadline(const struct sw_client *c)
{
	return c->deadline;
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
