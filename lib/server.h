/*
 * server.h - the Teredo server, pure (RFC 4380 §5.3; spec §3).
 *
 * Stateless: one call per datagram, no timers.  The server listens on
 * UDP 3544 on two IPv4 addresses (SRV-CFG-1): datagrams arriving on the
 * primary address come in with sock = SW_SOCK_PRIMARY, on the secondary
 * with SW_SOCK_SECONDARY, and replies go out of the socket the rules
 * choose (SRV-RA-4).
 *
 * Per datagram, in this order (SRV-RX-1..7): well-formed Teredo (D1/D2);
 * bubble or ICMPv6 only (D10); IPv4 source global (D11) and not one of our
 * own addresses on 3544 (SRV-OP-3); acceptance rules 4..6 (D13); for an
 * RS, the per-source rate limit (SRV-OP-5, SRV_RS_RATE: a token bucket
 * per IPv4 source in a bounded sw_rl table, checked before any MAC is
 * computed, guarded by SW_DEFENCE(SERVER_RS_RATE)) and then the
 * secure-qualification check of rule 4 (D12).  Then (SRV-FWD-*): an RS is
 * answered with an RA (§3.3); a packet for a Teredo destination is
 * forwarded over UDP to the mapping in it, with an origin indication when
 * that client is ours (SRV-FWD-4/5); a packet for a native destination
 * (the client's direct connectivity test, SRV-FWD-3) is handed to the
 * IPv6 side.  Relayed non-bubble packets are capped in size (SRV-OP-4).
 * A Teredo destination whose embedded mapping is one of the server's two
 * addresses is never forwarded (RFC 6324, SW_DEFENCE(LOOP): LOOP).
 * Every discard is counted by reason in acts->drops.  Everything is
 * allocated in sw_server_new(); nothing per packet.
 */
#ifndef SW_SERVER_H
#define SW_SERVER_H

#include "sw.h"
#include "action.h"
#include "check.h"
#include "ratelimit.h"

struct sw_auth;

/* Secure qualification (CLI-SQ-*, SRV-RA-6): the key for a client id,
 * or NULL when the id is unknown. */
typedef struct sw_auth *(*sw_server_key_fn)(void *ctx, const uint8_t *id,
    uint8_t id_len);

struct sw_server_conf {
	uint32_t primary;		/* IPv4 (host order), global unicast */
	uint32_t secondary;		/* second IPv4 address (SRV-CFG-1) */
	uint32_t prefix;		/* service prefix, SW_TEREDO_PREFIX */
	uint32_t mtu;			/* advertised MTU, 1280 (SRV-RA-7) */
	size_t relay_max_payload;	/* SRV-OP-4: largest IPv6 payload of a
					   relayed non-bubble packet (88) */
	struct sw_v4_check v4;		/* COM-V4G policy */
	bool require_auth;		/* D12: RS must carry a valid MAC */
	sw_server_key_fn key_for;	/* may be NULL: no keys */
	void *key_ctx;
	struct sw_tb_conf rs_rate;	/* SRV-OP-5: RSs per IPv4 source
					   (one per 100 ms, burst 20) */
	uint32_t rl_entries;		/* sources tracked (4096, >= 4) */
	struct sw_tb_conf rs_rate_total;	/* SRV-OP-5: all RSs (1000/s,
					   burst 2000) */
	struct sw_rng rng;		/* draws the rate table's secret hash
					   key (required, like the client's
					   and the relay's) */
};

struct sw_server_stats {
	uint64_t rs;			/* RSs answered with an RA */
	uint64_t relayed_udp;		/* forwarded to a Teredo client */
	uint64_t relayed_ip6;		/* handed to the native IPv6 side */
	uint64_t rs_limited;		/* RSs over the per-source rate
					   (SRV_RS_RATE) */
	uint64_t rs_limited_total;	/* ... over the global rate (also
					   SRV_RS_RATE) */
	uint64_t loops;			/* not forwarded: LOOP (RFC 6324) */
};

struct sw_server;

/* Fills conf with the defaults (prefix, MTU 1280, relay cap 88,
 * hardened V4 policy, RS rate 10/s burst 20 over 4096 sources, no RNG);
 * the caller then sets the addresses and the RNG. */
void sw_server_conf_default(struct sw_server_conf *conf);

/* 0, -ENOMEM, or -EINVAL naming nothing (addresses, MTU, a zero
 * rs_rate or rs_rate_total interval or burst, rl_entries < 4, no rng): callers validate addresses
 * with sw_check_v4_global first and report the bad setting. */
int sw_server_new(struct sw_server **out, const struct sw_server_conf *conf);
void sw_server_free(struct sw_server *s);

/* A UDP datagram received on sock from `from`. */
void sw_server_input(struct sw_server *s, sw_time now, enum sw_sock sock,
    const struct sw_v4ep *from, const uint8_t *buf, size_t len,
    struct sw_actions *acts);

/*
 * An IPv6 packet received on the native side for one of our clients
 * (2001:0:<primary>::/64 routed to the server): only bubbles and ICMPv6
 * echo are forwarded, over UDP from the primary address, port 3544, to the
 * mapping in the destination (SRV-FWD-4), without origin indication.
 */
void sw_server_input_ip6(struct sw_server *s, sw_time now, const uint8_t *pkt,
    size_t len, struct sw_actions *acts);

const struct sw_server_stats *sw_server_stats(const struct sw_server *s);

#endif /* SW_SERVER_H */
