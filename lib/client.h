/*
 * client.h - the Teredo client's qualification and maintenance, pure
 * (RFC 4380 §5.2.1, §5.2.2, §5.2.5 as updated by RFC 5991 §3.2; spec §2.2,
 * §2.4, §2.5, §2.9), its data path (§2.6-2.8, §2.11) and local discovery
 * (§5.2.8, spec §6).
 *
 *          start                      RA ok (mapping M1)
 *  OFFLINE ------> PROBE_PRIMARY ----------------------> PROBE_SECONDARY
 *     ^  ^          | N timeouts: next server             | RA ok (M2)
 *     |  |          | (all failed: OFFLINE, backoff)      |
 *     |  +----------+              M2 != M1: OFFLINE,     |
 *     |                            reason SYMMETRIC_NAT,  | M2 == M1
 *     |                            backoff                v
 *     |  N timeouts: address withdrawn, next server   QUALIFIED
 *     +---------------------------------------------- (refresh: RS every
 *     |                                                75-100 % of the
 *     |                                                interval, CLI-MNT-*)
 *     |                       idle for dormant_after,     |          ^
 *     |                       no granted listener         v          | RAs ok
 *     |                                                DORMANT   PROBE_PRIMARY
 *     |                       host sends, or a        (no RS,    (same server,
 *     |                       granted listener:       address -> address kept)
 *     |                                               deprecated)
 *     +-- sw_client_stop(why), from any state: no timer until start
 *
 * DORMANT (guard): QUALIFIED with conf.dormant_after > 0, no granted
 * listener (sw_client_set_listening) and no data packet sent or delivered
 * for dormant_after (bubbles, pings and RSs do not count): the refreshes
 * stop (the NAT mapping may lapse), peers are forgotten and the address
 * stays but is deprecated (SW_ACT_ADDR_DEPRECATE).  A packet from the host
 * (dropped: DORMANT) or a granted listener starts qualification again
 * with the same server, the address kept; if the RAs give the same
 * mapping, QUALIFIED re-sends ADDR_SET for it (preferred again), a new
 * mapping replaces it as usual, and a failure withdraws it (ADDR_CLEAR).
 *
 * T = 4 s between RSs, N = 3 RSs per phase (CLI-QUAL-3, rfc-notes 3).  No
 * cone probe (CLI-QUAL-4): every RS has C = 0.  Every RS carries an auth
 * header with a fresh random nonce (CLI-SQ-1), plus the client id and
 * HMAC when a key is configured.  OFFLINE is never final (CLI-QUAL-9):
 * qualification restarts after a backoff that doubles from backoff_min to
 * backoff_max.  The address (CLI-ADDR-1/2) has C = 0 and RFC 5991 random
 * bits drawn once per mapping (COM-FLAG-5).  A mapping change seen in a
 * refresh replaces the address (CLI-MNT-5): one ADDR_SET with the new
 * address, never two addresses.
 *
 * Data path (spec §2.6-2.8, §2.11), only while QUALIFIED:
 *  - sw_client_send() takes an IPv6 packet from the tunnel (CLI-TX-0..7):
 *    trusted valid peer -> UDP to its mapping, zero copy; Teredo
 *    destination (C bit ignored, RFC 5991) -> queue + direct and indirect
 *    bubbles (CLI-BUB-1..5); other destinations -> queue + ping test
 *    through our server (CLI-PING-2..4).  2 s between attempts, 4 attempts
 *    (1 + 3 retries), then the queue is dropped (QUEUE_UNRESOLVED).
 *  - sw_client_input() accepts CLI-RX-1..6 (RFC 4380 §5.2.3).  A packet
 *    from a native source that is not a trusted peer there (CLI-RX-9) is
 *    queued and a ping test runs through our server; the matching echo
 *    reply (CLI-RX-5) trusts the peer at the relay it came through and
 *    delivers the queue.  HARD-3: bubbles never start a test, one test
 *    at a time per source under the global ping token bucket, and a valid
 *    trusted entry is not replaced (SRC_MAPPING).  A Teredo source that
 *    does not embed its UDP source is dropped (SRC_MAPPING) unless it is
 *    a local peer at its local address (CLI-RX-8).  A queue given up
 *    (CLI-TX-8) is answered to the host with ICMPv6 Destination
 *    Unreachable, code 3, from our address, for each packet it sent,
 *    under the icmp_rate token bucket (SEC-9).
 *
 * Security model (guard, HARD-2/3/4, RFC 6324), on top of the above:
 *  - "solicited": the host sent to that address (sw_client_send queued or
 *    sent a packet to it).  With conf.edge, a non-bubble packet from an
 *    unsolicited source is delivered, or ping-tested (CLI-RX-9), only if
 *    sw_edge_check() passes it with the ports of sw_client_set_edge();
 *    else EDGE_NOT_GRANTED.  A peer that only bubbled to us (bubble-to-
 *    open, CVE-2006-6265) is unsolicited.  The core does not track flows:
 *    once the host answered a source, that source is solicited.
 *  - HARD-3 (CVE-2006-6266) per source, for tests started by inbound
 *    packets from unsolicited native sources: at most one echo request
 *    per 2 s and 4 in the source's lifetime (the count starts again after
 *    300 s without a test, or when the source answered one), else
 *    PING_LIMIT; and the global ping bucket (RATE_LIMITED).
 *  - HARD-4 (CVE-2006-6264): the mapping embedded in a Teredo source
 *    (CLI-RX-6) and the origin of an indirect bubble (CLI-RX-3) must pass
 *    sw_check_intranet (conf.v4, conf.intranet) before we trust, deliver
 *    or answer: SRC_INTRANET.  Local peers (CLI-RX-8, DISC-*) are trusted
 *    at their LAN endpoint without it.
 *  - RFC 6324 (LOOP) on sw_client_send to a Teredo destination without a
 *    valid trusted entry: its embedded mapping is our own endpoint (our
 *    mapping, or conf.local, address and port), or its embedded server
 *    is our mapped or local address while that endpoint's port is 3544 —
 *    the bubbles would come back to us.  The same server as ours, or the
 *    same NAT address with another port (a neighbour), is normal.
 *
 * Local discovery (RFC 4380 §5.2.8, spec §6 DISC-1..9), when
 * conf.discovery is set (off by default in the core; DISC-9: a forged
 * discovery bubble can divert traffic, so it is the caller's choice):
 *  - discovery bubbles (our Teredo address -> ff02::1, hop limit 1) go out
 *    as SEND_UDP on SW_SOCK_PRIMARY (the service port: peers learn our
 *    local endpoint from its source) to 224.0.0.253:3544, once when
 *    QUALIFIED is entered or the address changes, then every 200-300 s
 *    (DISC-2, uniform, from conf.rng), and sooner when needed: a newly
 *    discovered local peer and CLI-TX-3 ask for one (at most one every
 *    2 s).  The driver must send them with IPv4 TTL 1.
 *  - sw_client_input_discovery() takes what the driver received on the
 *    224.0.0.253:3544 socket: DISC-3..5 (D7-D9, conf.v4.attached are the
 *    local subnets), DISC-6 (the peer becomes "local" at the UDP source
 *    for 600 s, DISC-8), DISC-7 (a unicast bubble to it).  A discovery
 *    bubble reaching sw_client_input() (the service port: unicast) is
 *    DISC_UNICAST.  Being a separate entry point, discovery bubbles are
 *    never seen by case 1 (CLI-RX-11).
 *  - CLI-RX-8 (case 5): a Teredo source not at its embedded mapping but
 *    at the local address of a local entry is trusted there; CLI-TX-3: to
 *    a local peer that is not a valid trusted one, queue and send a
 *    unicast bubble to its local address plus a discovery bubble.  A
 *    trusted local peer's mapping is its local address: the data stays
 *    on the LAN.
 */
#ifndef SW_CLIENT_H
#define SW_CLIENT_H

#include "sw.h"
#include "action.h"
#include "check.h"
#include "edge.h"
#include "ratelimit.h"

struct sw_auth;

#define SW_CLIENT_MAX_SERVERS 4
#define SW_CLIENT_MAX_INTRANET 16

enum sw_client_state {
	SW_CLIENT_OFFLINE,
	SW_CLIENT_PROBE_PRIMARY,	/* RS to the primary server address */
	SW_CLIENT_PROBE_SECONDARY,	/* RS to the secondary address */
	SW_CLIENT_QUALIFIED,
	SW_CLIENT_DORMANT,		/* idle: no refresh, address deprecated */
	SW_CLIENT__STATES
};

enum sw_client_reason {
	SW_CLIENT_REASON_NONE,
	SW_CLIENT_REASON_NO_ANSWER,	/* the server did not answer (N RSs) */
	SW_CLIENT_REASON_SYMMETRIC_NAT,	/* mappings differ (CLI-QUAL-6) */
	SW_CLIENT_REASON_MAPPING_NOT_GLOBAL, /* CLI-RA-4 */
	SW_CLIENT_REASON_KEY_REJECTED,	/* RA confirmation != 0 (CLI-SQ-5) */
	SW_CLIENT_REASON_NO_FIREWALL,	/* stopped: the edge firewall is gone */
	SW_CLIENT_REASON_DORMANT,	/* idle for dormant_after (DORMANT) */
	SW_CLIENT__REASONS
};

enum sw_nat_type {
	SW_NAT_UNKNOWN,
	SW_NAT_NONE,			/* mapping == local address */
	SW_NAT_CONE_OR_RESTRICTED,	/* same mapping from both addresses */
	SW_NAT_SYMMETRIC,
};

struct sw_client_server {
	uint32_t primary;
	uint32_t secondary;		/* default primary + 1 (CLI-CFG-1) */
};

struct sw_client_conf {
	struct sw_client_server servers[SW_CLIENT_MAX_SERVERS];
	unsigned n_servers;		/* >= 1, tried in order */
	uint32_t prefix;		/* service prefix */
	struct sw_v4ep local;		/* the service socket's own address,
					   0.0.0.0 when unknown (NAT: NONE) */
	sw_time refresh;		/* 30 s (CLI-MNT-1/2) */
	sw_time rs_timeout;		/* T = 4 s */
	unsigned rs_tries;		/* N = 3 */
	sw_time backoff_min;		/* first retry after OFFLINE: 4 s */
	sw_time backoff_max;		/* cap: 300 s */
	const uint8_t *client_id;	/* secure qualification (CLI-CFG-2) */
	uint8_t client_id_len;
	struct sw_auth *key;		/* NULL: nonce-only auth */
	struct sw_v4_check v4;		/* COM-V4G policy (CLI-RA-4) */
	struct sw_rng rng;		/* nonces, flag bits, refresh jitter */
	/* Data path (HARD-6).  0 in any of these means the default. */
	uint32_t peers;			/* peer table capacity: 1024 */
	uint32_t queue_peer_bytes;	/* per-peer queue bound, also the
					   largest packet queued: 1280 */
	uint32_t queue_total_bytes;	/* all queues: 256 KiB */
	struct sw_tb_conf ping_rate;	/* HARD-3 global ping-test limit:
					   one per 100 ms, burst 10 */
	struct sw_tb_conf icmp_rate;	/* CLI-TX-8 errors to the host: one
					   per 100 ms, burst 10; burst 0 with
					   interval > 0: none */
	bool discovery;			/* local discovery (§6): false */
	/* guard (HARD-2/3/4) */
	bool edge;			/* edge check on unsolicited inbound
					   packets: false (the daemon: true) */
	sw_time dormant_after;		/* idle time before DORMANT; 0: never */
	struct sw_v4_net intranet[SW_CLIENT_MAX_INTRANET];	/* HARD-4 */
	unsigned n_intranet;
	/* [harden]: budgets per IPv4 endpoint, per IPv4 and in total;
	 * 0 in any of these means the default. */
	uint32_t peers_per_mapping;	/* trusted Teredo peers embedding one
					   IPv4 endpoint: 8 */
	uint32_t peers_per_address;	/* ... one IPv4 address: 64 */
	uint32_t inbound_max;		/* unsolicited resolutions (CLI-RX-9)
					   at a time: 32 */
	uint32_t inbound_per_mapping;	/* ... through one UDP source: 4 */
	uint32_t inbound_per_address;	/* ... one IPv4 address: 8 */
	struct sw_tb_conf inbound_ping_rate;	/* their echo requests, apart
					   from the host's: 5/s, burst 10 */
	struct sw_tb_conf reflect_rate;	/* answers to indirect bubbles per
					   origin endpoint: 2/s, burst 4 */
	struct sw_tb_conf reflect_rate_v4;	/* ... per origin IPv4: 4/s,
					   burst 8 */
	struct sw_tb_conf reflect_rate_total;	/* ... all: 50/s, burst 100 */
	uint32_t flows;			/* flows the host opened: 4096 */
};

/* [harden] guard counters (sw_client_status). */
struct sw_client_guard_stats {
	uint64_t trust_refused;		/* Teredo peers not trusted: their
					   endpoint or address holds its
					   share (PEER_LIMIT) */
	uint64_t table_full;		/* new entries refused: every entry
					   a valid trusted peer or resolving */
	uint64_t swept;			/* stale trusted Teredo peers let go */
	uint64_t inbound_refused;	/* unsolicited resolutions refused
					   (INBOUND_LIMITED) */
	uint64_t reflect_limited;	/* indirect bubbles not answered
					   (BUBBLE_LIMITED) */
	uint64_t flow_refused;		/* packets outside the host's flows
					   and grants */
	uint64_t fragment_refused;	/* non-first fragments from sources
					   the host never sent to */
};

struct sw_client_status {
	enum sw_client_state state;
	enum sw_client_reason reason;	/* why not qualified (or NONE) */
	enum sw_nat_type nat;
	unsigned server_index;		/* into conf.servers */
	struct sw_client_server server;
	sw_time last_server_rx;		/* SW_TIME_NEVER: never */
	sw_time refresh;		/* configured interval */
	sw_time next_refresh;		/* QUALIFIED: when the next RS goes */
	struct sw_v4ep mapped;		/* QUALIFIED: the NAT's mapping */
	bool has_addr;
	uint8_t addr[16];		/* the Teredo address */
	uint64_t qualifications;	/* times QUALIFIED was entered */
	uint64_t address_changes;
	/* data path */
	uint32_t peers;			/* entries in the peer table */
	size_t queued_bytes;		/* bytes waiting in peer queues */
	/* local discovery (§6) */
	bool discovery;			/* conf.discovery */
	sw_time next_discovery;		/* next discovery bubble, or NEVER */
	uint64_t discovery_sent;	/* discovery bubbles sent */
	uint64_t discovery_accepted;	/* received and accepted (DISC-6) */
	/* guard */
	bool dormant;			/* state == DORMANT */
	uint64_t dormancies;		/* times DORMANT was entered */
	sw_time last_data;		/* last data packet sent or delivered,
					   SW_TIME_NEVER: none */
	bool listening;			/* a granted listener exists */
	uint32_t flows;			/* flows the host opened */
	uint32_t inbound;		/* unsolicited resolutions running */
	struct sw_client_guard_stats guard;
};

struct sw_client;

/* Defaults: prefix, T/N, refresh 30 s, backoff 4 s..300 s, hardened
 * policy; the caller sets servers and rng. */
void sw_client_conf_default(struct sw_client_conf *conf);

/* 0 or -EINVAL (no server, zero times, rs_tries 0, no rng). */
int sw_client_new(struct sw_client **out, const struct sw_client_conf *conf);
void sw_client_free(struct sw_client *c);

/* Start qualifying with the first server (CLI-QUAL-2). */
void sw_client_start(struct sw_client *c, sw_time now, struct sw_actions *acts);

/*
 * Stop: OFFLINE with reason why (NO_FIREWALL when the edge firewall was
 * lost), ADDR_CLEAR if an address was set, peers and queues dropped, and
 * no timer: nothing happens until sw_client_start() again.
 */
void sw_client_stop(struct sw_client *c, sw_time now,
    enum sw_client_reason why, struct sw_actions *acts);

/* The ports with a granted listener, as the daemon last saw them (copied;
 * used with conf.edge). */
void sw_client_set_edge(struct sw_client *c, const struct sw_edge *e);

/*
 * Whether any granted listener exists.  While one does the client never
 * goes dormant; granted in DORMANT starts qualification again.
 */
void sw_client_set_listening(struct sw_client *c, sw_time now, bool granted,
    struct sw_actions *acts);

/* A UDP datagram received on the service port from `from`. */
void sw_client_input(struct sw_client *c, sw_time now,
    const struct sw_v4ep *from, const uint8_t *buf, size_t len,
    struct sw_actions *acts);

/*
 * A UDP datagram received on the local discovery socket (bound to
 * 224.0.0.253:3544, so only multicast to that group arrives there) from
 * `from` (DISC-1, CLI-RX-7).  Drops: D1/D2, CLIENT_NOT_READY (not
 * QUALIFIED, or conf.discovery off), DST_NOT_OURS / DST_MULTICAST (not a
 * bubble to ff02::1), DISC_NOT_TEREDO, DISC_OFF_LINK (IPv4 source outside
 * conf.v4.attached), DISC_FOREIGN (another NAT's mapping), OWN_ADDRESS,
 * SRC_PORT_ZERO.
 */
void sw_client_input_discovery(struct sw_client *c, sw_time now,
    const struct sw_v4ep *from, const uint8_t *buf, size_t len,
    struct sw_actions *acts);

/*
 * An IPv6 packet read from the tunnel (CLI-TX-0..7).  Sent (zero copy:
 * the SEND_UDP's seg[0] points at pkt, which must stay valid until the
 * actions are carried out), queued (copied) while the peer is being
 * resolved, or dropped and counted: CLIENT_NOT_READY when not QUALIFIED,
 * DORMANT in DORMANT (and qualification starts again), SRC_NOT_OURS,
 * DST_NOT_GLOBAL, OWN_ADDRESS, V4_NOT_GLOBAL, LOOP, QUEUE_*.
 * Only the 40 + Payload Length first bytes of pkt are sent.
 */
void sw_client_send(struct sw_client *c, sw_time now, const uint8_t *pkt,
    size_t len, struct sw_actions *acts);

/* Timers: call when now >= sw_client_next_deadline(). */
void sw_client_tick(struct sw_client *c, sw_time now, struct sw_actions *acts);
sw_time sw_client_next_deadline(const struct sw_client *c);

void sw_client_status(const struct sw_client *c, struct sw_client_status *st);

const char *sw_client_state_name(enum sw_client_state s);
const char *sw_client_reason_name(enum sw_client_reason r);
const char *sw_nat_type_name(enum sw_nat_type n);

#endif /* SW_CLIENT_H */
