/*
 * server.c - the Teredo server, pure (RFC 4380 §5.3; spec §3).  See
 * server.h for the contract.
 *
 * One call per datagram and no state but the configuration, the
 * per-source RS token buckets (SRV-OP-5, a bounded sw_rl table made in
 * sw_server_new) and a few counters.  sw_server_input() applies the
 * receive rules in the order of §5.3.1 (SRV-RX-1..7), each discard
 * counted by its reason in acts->drops, then handles the destination
 * (SRV-FWD-1..5):
 *
 *   ff02::2 or our link-local     an RS is answered with an RA (§3.3);
 *                                 nothing else is handled locally
 *   not global scope              never forwarded (D14)
 *   a Teredo address              UDP from the primary socket to the
 *                                 mapping in it, origin indication first
 *                                 when the client is ours (D15, SRV-FWD-4/5)
 *   anything else                 SW_ACT_SEND_IP6 (SRV-FWD-3)
 *
 * Only bubbles and ICMPv6 Echo Request/Reply are forwarded, non-bubbles
 * capped at relay_max_payload bytes of IPv6 payload (rfc-notes item 9,
 * SRV-OP-4).  Forwarded bytes are never copied: the IPv6 packet is a
 * segment pointing into the caller's buffer; only an origin indication or
 * an RA is built in the action arena.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "server.h"
#include "weaken.h"
#include "wire.h"

/* SRV-RA-8: the RA as Miredo sends it, 40 + 16 + 32 + 8 bytes. */
#define SERVER_RA_LEN	96
#define RELAY_MAX_PAYLOAD_DEFAULT 88	/* SRV-OP-4 (Miredo) */
#define MTU_MIN		1280		/* COM-MTU-1, COM-MTU-4 */
#define MTU_MAX		65535
#define RL_ENTRIES_MAX	(UINT32_C(1) << 24)
#define RS_START	4	/* a qualification: 2 servers, a retry each */

struct sw_server {
	struct sw_server_conf conf;
	uint32_t own[2];		/* primary, secondary (SRV-OP-3) */
	uint8_t ll[16];			/* our link-local (COM-LL-2) */
	struct sw_rl *rs_rl;		/* SRV-OP-5: per-source RS buckets */
	struct sw_tb rs_tb;		/* SRV-OP-5: all RSs (zeroed: full at
					   the first RS) */
	struct sw_server_stats stats;
};

static const uint8_t all_routers[16] = {	/* ff02::2, RFC 4861 §4.1 */
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
};

void
sw_server_conf_default(struct sw_server_conf *conf)
{
	memset(conf, 0, sizeof *conf);
	conf->prefix = SW_TEREDO_PREFIX;		/* COM-ADDR-1 */
	conf->mtu = MTU_MIN;				/* SRV-RA-7 */
	conf->relay_max_payload = RELAY_MAX_PAYLOAD_DEFAULT;
	conf->v4.policy = SW_V4_HARDENED;		/* COM-V4G-2 */
	conf->rs_rate.interval = 100 * SW_MSEC;		/* SRV-OP-5: 10/s */
	conf->rs_rate.burst = 20;
	conf->rs_rate_total.interval = SW_MSEC;		/* SRV-OP-5: 1000/s */
	conf->rs_rate_total.burst = 2000;
	conf->rl_entries = 4096;
}

int
sw_server_new(struct sw_server **out, const struct sw_server_conf *conf)
{
	struct sw_server *s;
	uint8_t key[16];
	int err;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	/* SRV-CFG-1: two distinct addresses; COM-MTU-4 range. */
	if (conf == NULL || conf->primary == 0 || conf->secondary == 0 ||
	    conf->primary == conf->secondary ||
	    conf->mtu < MTU_MIN || conf->mtu > MTU_MAX)
		return -EINVAL;
	/* SRV-OP-5 */
	if (conf->rs_rate.interval == 0 || conf->rs_rate.burst == 0 ||
	    conf->rs_rate_total.interval == 0 ||
	    conf->rs_rate_total.burst == 0 ||
	    conf->rl_entries < 4 || conf->rl_entries > RL_ENTRIES_MAX ||
	    conf->rng.fill == NULL)
		return -EINVAL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return -ENOMEM;
	/* The table's hash key is secret, so that sources cannot be chosen
	 * to share a set (HARD-6). */
	sw_rng_fill(&conf->rng, key, sizeof key);
	err = sw_rl_new(&s->rs_rl, conf->rl_entries, &conf->rs_rate, key);
	explicit_bzero(key, sizeof key);
	if (err != 0) {
		free(s);
		return err;
	}
	/* A source new to the table, or back after being evicted by a
	 * flood of others, has RS_START tokens, not a full burst. */
	if (SW_DEFENCE(SERVER_RS_TOTAL))
		sw_rl_set_start(s->rs_rl, RS_START);
	s->conf = *conf;
	s->own[0] = conf->primary;
	s->own[1] = conf->secondary;
	sw_addr_server_ll(s->ll, conf->primary);
	*out = s;
	return 0;
}

void
sw_server_free(struct sw_server *s)
{
	if (s == NULL)
		return;
	sw_rl_free(s->rs_rl);
	free(s);
}

const struct sw_server_stats *
sw_server_stats(const struct sw_server *s)
{
	return &s->stats;
}

/* ---- helpers ------------------------------------------------------------ */

static bool
is_rs(const struct sw_ip6_view *ip)
{
	return ip->nxt == SW_NH_ICMP6 && ip->plen >= 1 &&
	    ip->payload[0] == SW_ICMP6_RS;
}

/*
 * What a server forwards (SRV-CFG-2, rfc-notes item 9): bubbles, and
 * ICMPv6 Echo Request/Reply (well formed, right checksum) whose IPv6
 * payload is at most relay_max_payload bytes (SRV-OP-4).
 */
static enum sw_drop
check_forwardable(const struct sw_server *s, const struct sw_ip6_view *ip)
{
	struct sw_echo_view e;

	if (sw_ip6_is_bubble(ip))
		return SW_DROP_NONE;
	if (sw_wire_parse_echo(ip, &e) != 0)
		return SW_DROP_SRV_NOT_RELAYABLE;
	if (ip->plen > s->conf.relay_max_payload)
		return SW_DROP_SRV_TOO_BIG;
	return SW_DROP_NONE;
}

/*
 * The mapping embedded in a Teredo destination must be a usable UDP
 * endpoint: global unicast (D15, SRV-FWD-4, COM-V4G), a port that is not
 * 0 (HARD-8), and not one of our own addresses, whatever the port: that
 * would loop (SRV-OP-3, RFC 6324: LOOP, SW_DEFENCE(LOOP)) or reach other
 * services of this host from its own address.  (The embedded server is
 * ours for our own clients: only the mapping is checked.)
 */
static enum sw_drop
check_mapping(const struct sw_server *s, const struct sw_v4ep *m)
{
	enum sw_drop why;

	if ((why = sw_check_udp_dst(&s->conf.v4, m)) != SW_DROP_NONE)
		return why;
	if (SW_DEFENCE(LOOP) && (m->addr == s->own[0] || m->addr == s->own[1]))
		return SW_DROP_LOOP;
	return SW_DROP_NONE;
}

/*
 * SRV-FWD-4/5: pkt (an IPv6 packet, plus any trailers going with it) to
 * the mapping in its Teredo destination, over UDP from the primary
 * address, port 3544.  With origin != NULL an origin indication is built
 * first, in the arena; pkt itself is never copied.
 */
static void
forward_udp(struct sw_server *s, const struct sw_ip6_view *ip,
    const uint8_t *pkt, size_t len, const struct sw_v4ep *origin,
    struct sw_actions *acts)
{
	struct sw_teredo t;
	struct sw_action *a;
	uint8_t *oi = NULL;
	enum sw_drop why;

	sw_addr_decode(ip->dst, &t);
	if ((why = check_mapping(s, &t.mapped)) != SW_DROP_NONE) {
		if (why == SW_DROP_LOOP)
			s->stats.loops++;
		sw_actions_drop(acts, why);
		return;
	}
	if (origin != NULL) {
		if ((oi = sw_actions_alloc(acts, SW_ORIGIN_LEN)) == NULL)
			return;		/* ACTIONS_FULL counted */
		(void)sw_wire_build_origin(oi, SW_ORIGIN_LEN, origin);
	}
	if ((a = sw_actions_push(acts, SW_ACT_SEND_UDP)) == NULL) {
		if (oi != NULL)
			sw_actions_trim(acts, oi, SW_ORIGIN_LEN, 0);
		return;
	}
	a->sock = SW_SOCK_PRIMARY;
	a->dst = t.mapped;
	if (oi != NULL) {
		a->seg[0] = (struct sw_seg){ oi, SW_ORIGIN_LEN };
		a->seg[1] = (struct sw_seg){ pkt, len };
	} else
		a->seg[0] = (struct sw_seg){ pkt, len };
	s->stats.relayed_udp++;
}

/*
 * §3.3: answer an RS (validated by the caller) with an RA to the mapping
 * it came from (SRV-RA-1..8):
 *
 *	[auth 13 + id + MAC] origin(from) IPv6+RA
 *
 * The auth encapsulation echoes the RS's (SRV-RA-6, SRV-RA-8): same
 * client id and nonce; confirmation 0 unless the id is not one we have a
 * key for; a MAC over nonce || conf || origin || RA under the client's
 * key when we have it (CLI-SQ-4), else none.
 */
static void
answer_rs(struct sw_server *s, enum sw_sock sock, const struct sw_v4ep *from,
    const struct sw_teredo_view *v, const struct sw_ip6_view *ip,
    struct sw_auth *key, struct sw_actions *acts)
{
	struct sw_ra ra = {
		.cur_hlim = 0, .flags = 0, .lifetime = 0, .reachable = 0,
		.retrans = 2000,			/* ms, SRV-RA-8 */
		.prefix_count = 1, .prefix_len = 64,
		.pio_flags = 0x40,			/* L = 0, A = 1 */
		.valid = UINT32_MAX, .preferred = UINT32_MAX,
		.has_mtu = true, .mtu = s->conf.mtu,	/* SRV-RA-7 */
	};
	uint8_t mac[SW_AUTH_HMAC_LEN], conf = 0, *p, *oi, *ra6;
	size_t alen = 0, len;
	struct sw_action *a;
	int n;

	/* SRV-RA-2: prefix = service prefix || primary || 0 (rfc-notes
	 * item 12: the primary, whichever socket answers). */
	sw_put32(ra.prefix, s->conf.prefix);
	sw_put32(ra.prefix + 4, s->conf.primary);

	if (v->has_auth) {
		alen = SW_AUTH_MIN_LEN + v->auth.id_len;
		if (key != NULL)
			alen += SW_AUTH_HMAC_LEN;
		else if (v->auth.id_len > 0)
			conf = 1;	/* SRV-RA-6: id not valid (any more) */
	}
	len = alen + SW_ORIGIN_LEN + SERVER_RA_LEN;
	if ((p = sw_actions_alloc(acts, len)) == NULL)
		return;			/* ACTIONS_FULL counted */
	oi = p + alen;
	ra6 = oi + SW_ORIGIN_LEN;

	/* SRV-RA-1: the RS's IPv4 source and port, obfuscated. */
	(void)sw_wire_build_origin(oi, SW_ORIGIN_LEN, from);
	/* SRV-RA-2: from our link-local (COM-LL-2) to the RS source. */
	n = sw_wire_build_ra(ra6, SERVER_RA_LEN, s->ll, ip->src, &ra);
	if (n != SERVER_RA_LEN)
		goto fail;
	if (v->has_auth) {
		if (key != NULL && sw_auth_compute(key, v->auth.nonce, conf,
		    oi, ra6, SERVER_RA_LEN, mac) != 0)
			goto fail;
		n = sw_wire_build_auth(p, alen, v->auth.id, v->auth.id_len,
		    key != NULL ? mac : NULL,
		    key != NULL ? SW_AUTH_HMAC_LEN : 0, v->auth.nonce, conf);
		if (n < 0 || (size_t)n != alen)
			goto fail;
	}
	if ((a = sw_actions_push(acts, SW_ACT_SEND_UDP)) == NULL) {
		sw_actions_trim(acts, p, len, 0);
		return;			/* ACTIONS_FULL counted */
	}
	/*
	 * SRV-RA-3/4: to the mapping; C = 0 in the RS source: from the
	 * address it came to; C = 1: from the other one (RFC 5991 §3.2
	 * keeps this: rfc-notes item 18).  D16 (SRV-RA-5): the destination
	 * is `from`, which passed COM-V4G as D11.
	 */
	a->sock = sock;
	if (sw_addr_is_cone(ip->src))
		a->sock = sock == SW_SOCK_PRIMARY ? SW_SOCK_SECONDARY :
		    SW_SOCK_PRIMARY;
	a->dst = *from;
	a->seg[0] = (struct sw_seg){ p, len };
	s->stats.rs++;
	return;
 fail:
	/* Cannot happen with a valid key; counted as an RS we cannot
	 * authenticate. */
	sw_actions_trim(acts, p, len, 0);
	sw_actions_drop(acts, SW_DROP_SRV_RS_AUTH);
}

/* ---- UDP side ----------------------------------------------------------- */

/* SRV-OP-5: one token of from's IPv4 bucket (key ::ffff:a.b.c.d). */
static bool
rs_allowed(struct sw_server *s, const struct sw_v4ep *from, sw_time now)
{
	uint8_t key[16] = { [10] = 0xff, [11] = 0xff };

	sw_put32(key + 12, from->addr);
	return sw_rl_allow(s->rs_rl, key, now);
}

void
sw_server_input(struct sw_server *s, sw_time now, enum sw_sock sock,
    const struct sw_v4ep *from, const uint8_t *buf, size_t len,
    struct sw_actions *acts)
{
	const struct sw_server_conf *c = &s->conf;
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	struct sw_trailers trl;
	struct sw_auth *key = NULL;
	const uint8_t *dst;
	enum sw_drop why;

	/* SRV-RX-1 (D1, D2) */
	if (sw_wire_parse(buf, len, &v, &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}
	if (sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) != 0) {
		sw_actions_drop(acts, why);	/* cannot happen after parse */
		return;
	}
	/* HARD-8, SRV-OP-3: port 0; one of our addresses on 3544 (loop). */
	if (sw_actions_drop_if(acts, sw_check_udp_src(from, s->own, 2)))
		return;
	/* SRV-RX-2 (D10) */
	if (sw_actions_drop_if(acts, sw_check_srv_relayable(&ip)))
		return;
	/* SRV-RX-3 (D11) */
	if (sw_actions_drop_if(acts, sw_check_v4(&c->v4, from->addr)))
		return;
	/* SRV-RX-4..7 (D13) */
	if (sw_actions_drop_if(acts, sw_check_srv_accept(&ip, from, c->prefix, c->primary)))
		return;
	/* SRV-RX-4 with secure qualification (D12), CLI-SQ-*: the key of
	 * the RS's client id. */
	if (is_rs(&ip)) {
		/* SRV-OP-5: per IPv4 source, before any MAC is computed
		 * (cheap first), and before key_for. */
		if (SW_DEFENCE(SERVER_RS_RATE) && !rs_allowed(s, from, now)) {
			s->stats.rs_limited++;
			sw_actions_drop(acts, SW_DROP_SRV_RS_RATE);
			return;
		}
		/* ... and globally: spoofed sources are free. */
		if (SW_DEFENCE(SERVER_RS_TOTAL) &&
		    !sw_tb_take(&s->rs_tb, &c->rs_rate_total, now)) {
			s->stats.rs_limited_total++;
			sw_actions_drop(acts, SW_DROP_SRV_RS_RATE);
			return;
		}
		if (v.has_auth && v.auth.id_len > 0 && c->key_for != NULL)
			key = c->key_for(c->key_ctx, v.auth.id, v.auth.id_len);
		if (sw_actions_drop_if(acts, sw_check_srv_rs_auth(&v, c->require_auth, key)))
			return;
	}
	/* RFC 6081 §5.1.2 (D22): an unknown trailer that says "drop". */
	if (v.trailers_len > 0 &&
	    sw_wire_parse_trailers(v.trailers, v.trailers_len, &trl,
	    &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}

	/* SRV-FWD-1: for us.  Only RSs are answered (no echo service). */
	dst = ip.dst;
	if (memcmp(dst, all_routers, 16) == 0 || memcmp(dst, s->ll, 16) == 0) {
		if (!is_rs(&ip)) {
			/* link scope: never forwarded (SRV-FWD-2, D14) */
			sw_actions_drop(acts, SW_DROP_DST_NOT_GLOBAL);
			return;
		}
		/* RFC 4861 §6.1.1 */
		if (sw_wire_parse_rs(&ip) != 0) {
			sw_actions_drop(acts, SW_DROP_SRV_RS_INVALID);
			return;
		}
		answer_rs(s, sock, from, &v, &ip, key, acts);
		return;
	}

	/* SRV-FWD-2 (D14); HARD-7: no multicast beyond the link either. */
	if (sw_actions_drop_if(acts, sw_check_ip6_dst_global(dst)) ||
	    sw_actions_drop_if(acts, sw_check_ip6_dst_unicast(dst, false)))
		return;
	/* rfc-notes item 9, SRV-OP-4 */
	if (sw_actions_drop_if(acts, check_forwardable(s, &ip)))
		return;

	if (sw_addr_is_teredo(dst, c->prefix)) {
		struct sw_teredo t;
		size_t fwd_len = v.ip6_len;

		/*
		 * RFC 6081 trailers travel with bubbles (§4); they are
		 * capped like a relayed payload so that the server does not
		 * become an open UDP relay (SRV-OP-4).  Other packets go
		 * without them (COM-IP6-2).
		 */
		if (sw_ip6_is_bubble(&ip)) {
			if (v.trailers_len > c->relay_max_payload) {
				sw_actions_drop(acts, SW_DROP_SRV_TOO_BIG);
				return;
			}
			fwd_len += v.trailers_len;
		}
		/* SRV-FWD-5: an origin indication for our own clients. */
		sw_addr_decode(dst, &t);
		forward_udp(s, &ip, v.ip6, fwd_len,
		    t.server == c->primary ? from : NULL, acts);
		return;
	}

	/* SRV-FWD-3: native IPv6 (the clients' connectivity test). */
	{
		struct sw_action *a;

		if ((a = sw_actions_push(acts, SW_ACT_SEND_IP6)) == NULL)
			return;		/* ACTIONS_FULL counted */
		a->seg[0] = (struct sw_seg){ v.ip6, v.ip6_len };
		s->stats.relayed_ip6++;
	}
}

/* ---- IPv6 side ---------------------------------------------------------- */

void
sw_server_input_ip6(struct sw_server *s, sw_time now, const uint8_t *pkt,
    size_t len, struct sw_actions *acts)
{
	const struct sw_server_conf *c = &s->conf;
	struct sw_ip6_view ip;
	struct sw_teredo t;
	enum sw_drop why;

	(void)now;
	/* D2 */
	if (sw_ip6_parse(pkt, len, &ip, &why) != 0) {
		sw_actions_drop(acts, why);
		return;
	}
	/* HARD-7: nothing unspecified, loopback, multicast, v4-mapped or
	 * link-local comes in from the IPv6 Internet. */
	if (sw_actions_drop_if(acts, sw_check_ip6_src(ip.src)))
		return;
	/* SRV-CFG-2, rfc-notes item 9, SRV-OP-4 */
	if (sw_actions_drop_if(acts, check_forwardable(s, &ip)))
		return;
	/* Only our clients: 2001:0:<primary>::/64. */
	if (!sw_addr_is_teredo(ip.dst, c->prefix)) {
		sw_actions_drop(acts, SW_DROP_SRV_NOT_ACCEPTED);
		return;
	}
	sw_addr_decode(ip.dst, &t);
	if (t.server != c->primary) {
		sw_actions_drop(acts, SW_DROP_SRV_NOT_ACCEPTED);
		return;
	}
	/* SRV-FWD-4 (D15), no origin indication: the source is in the
	 * IPv6 header. */
	forward_udp(s, &ip, pkt, SW_IP6_HLEN + (size_t)ip.plen, NULL, acts);
}
