/*
 * check.h - the silent-discard predicates (teredo-requirements.md §8.2,
 * D1..D25) and the global-unicast IPv4 check (COM-V4G).
 *
 * Every predicate returns SW_DROP_NONE when the input is acceptable, or
 * the reason to discard it.  They are pure: no state beyond their
 * arguments.  D1/D2 are sw_wire_parse(), D22 is sw_wire_parse_trailers()
 * and D21 is sw_peer_remove(); the rest are here.
 */
#ifndef SW_CHECK_H
#define SW_CHECK_H

#include "sw.h"
#include "drop.h"
#include "wire.h"

struct sw_auth;
struct sw_teredo;

/* ---- COM-V4G: is an IPv4 address global unicast? -------------------- */

enum sw_v4_policy {
	SW_V4_HARDENED = 0,	/* default: RFC 4380 list + RFC 6890 (COM-V4G-2) */
	SW_V4_STRICT,		/* exactly the RFC 4380 §5.2.4 list (interop) */
	SW_V4_LAB,		/* hardened, but the RFC 5737 documentation
				   ranges count as global: for namespace labs
				   only, never a default */
};

struct sw_v4_net {
	uint32_t addr;		/* host order */
	uint8_t plen;		/* 0..32 */
};

struct sw_v4_check {
	enum sw_v4_policy policy;
	/* Subnets the host is attached to: their directed-broadcast
	 * addresses are not global (COM-V4G-1).  May be NULL / 0. */
	const struct sw_v4_net *attached;
	size_t n_attached;
};

/* COM-V4G-1/2.  True when addr may be used as a Teredo IPv4 address. */
bool sw_check_v4_global(const struct sw_v4_check *c, uint32_t addr);
/* The same, as a predicate: V4_NOT_GLOBAL (D6, D11, D15, D16, D17). */
enum sw_drop sw_check_v4(const struct sw_v4_check *c, uint32_t addr);

/*
 * A UDP destination taken from a packet or an address (CLI-TX-6, CLI-RX-3,
 * SRV-FWD-4, REL-TX-1): its IPv4 address must be global unicast (COM-V4G,
 * V4_NOT_GLOBAL) and its port not 0 (HARD-8, DST_PORT_ZERO).
 */
enum sw_drop sw_check_udp_dst(const struct sw_v4_check *c,
    const struct sw_v4ep *dst);

/* True when addr lies in net/plen. */
bool sw_check_v4_in(uint32_t addr, const struct sw_v4_net *net);

/* ---- client ------------------------------------------------------------ */

/* What the client expects of an RA (CLI-RA-1, CLI-SQ-2/3). */
struct sw_ra_expect {
	const uint8_t *rs_src;		/* 16 bytes: the RS's link-local source */
	uint32_t prefix;		/* service prefix, 32 bits */
	uint32_t server;		/* primary server IPv4 (rfc-notes item 12) */
	const uint8_t *nonce;		/* 8 bytes sent in the RS; NULL: none */
	struct sw_auth *mac;		/* key when strong auth is in use, else NULL */
	const struct sw_v4_check *v4;	/* CLI-RA-4 (IMPL); NULL skips it */
};

/* What a good RA tells (CLI-RA-2). */
struct sw_ra_info {
	struct sw_v4ep mapped;		/* from the origin indication */
	struct sw_ra ra;
	uint8_t conf;			/* confirmation byte, 0 without auth */
};

/*
 * D3 + D4: validate a received RA in full (CLI-RA-1 items 1..6,
 * CLI-SQ-2/3, COM-MTU-4, CLI-RA-4).  Reasons: RA_NO_ORIGIN, RA_INVALID,
 * RA_WRONG_DST, RA_PREFIX_COUNT, RA_WRONG_PREFIX, RA_BAD_MTU, RA_NONCE,
 * RA_MAC, V4_NOT_GLOBAL.
 */
enum sw_drop sw_check_ra(const struct sw_teredo_view *v,
    const struct sw_ra_expect *e, struct sw_ra_info *info);

/* D5 (CLI-RA-3): a host discards every RS it receives. */
enum sw_drop sw_check_not_rs(const struct sw_ip6_view *ip);

/*
 * D7, D8, D9 (DISC-3..5): a local discovery bubble.  via_multicast: it
 * arrived on 224.0.0.253; v4src: its IPv4 source; local: the IPv4
 * subnets of the receiving interface; own_mapped: our own mapped IPv4
 * (0: not known yet, D9 not applied).
 */
enum sw_drop sw_check_discovery(const struct sw_ip6_view *ip, uint32_t prefix,
    bool via_multicast, uint32_t v4src, const struct sw_v4_net *local,
    size_t n_local, uint32_t own_mapped);

/*
 * D23 (EXT-SNS-5, EXT-HP-4): a direct bubble is accepted when its source
 * is a Teredo address (prefix) whose embedded mapping equals its IPv4/UDP
 * source from, or when it carries a Nonce trailer equal to nonce_sent
 * (4 bytes; NULL: none was sent).  t may be NULL (no trailers).
 */
enum sw_drop sw_check_direct_bubble(const struct sw_ip6_view *ip,
    uint32_t prefix, const struct sw_v4ep *from, const struct sw_trailers *t,
    const uint8_t *nonce_sent);

/* D24 (EXT-HP-3): an indirect bubble with a malformed Alternate Address
 * trailer is dropped whole. */
enum sw_drop sw_check_alt_trailer(const struct sw_trailers *t);

/* ---- server (RFC 4380 §5.3.1, applied in this order) -------------------- */

/* D10 (SRV-RX-2): a pure server relays only bubbles and ICMPv6. */
enum sw_drop sw_check_srv_relayable(const struct sw_ip6_view *ip);

/*
 * D12 (SRV-RX-4): with secure qualification required, an RS must carry an
 * auth header whose MAC verifies under key (the key found for its client
 * id; NULL when none).  required == false accepts anything.
 */
enum sw_drop sw_check_srv_rs_auth(const struct sw_teredo_view *v,
    bool required, struct sw_auth *key);

/*
 * D13 (SRV-RX-4..7): accept an RS from a link-local source to ff02::2; a
 * Teredo source whose embedded mapping equals from; or a non-Teredo source
 * sending to a Teredo address of this server (bits 32..63 == server).
 */
enum sw_drop sw_check_srv_accept(const struct sw_ip6_view *ip,
    const struct sw_v4ep *from, uint32_t prefix, uint32_t server);

/* D14 (SRV-FWD-2): the IPv6 destination must have global scope. */
enum sw_drop sw_check_ip6_dst_global(const uint8_t dst[static 16]);

/* ---- relay (RFC 4380 §5.4.2) -------------------------------------------- */

/* D18 (REL-RX-3): the source must be Teredo and embed the UDP source. */
enum sw_drop sw_check_relay_src(const struct sw_ip6_view *ip,
    const struct sw_v4ep *from, uint32_t prefix);

/* D19 (REL-RX-4): no peer entry for the source (found == false). */
enum sw_drop sw_check_peer_known(bool found);

/* An IPv6 prefix, for served ranges. */
struct sw_ip6_net {
	uint8_t addr[16];
	uint8_t plen;
};
bool sw_check_ip6_in(const uint8_t a[static 16], const struct sw_ip6_net *n);

/* D20 (REL-RX-5, HSR-4): the destination must lie in a served range. */
enum sw_drop sw_check_dst_served(const uint8_t dst[static 16],
    const struct sw_ip6_net *served, size_t n_served);

/* ---- every role: IPv6 hygiene (D25, HARD-1, HARD-7, HARD-8) -------------- */

/*
 * D25 (SEC-8): a Type 0 routing header with Segments Left > 0, in any
 * routing header of the chain.  A chain that cannot be walked is
 * BAD_EXT_HEADER.
 */
enum sw_drop sw_check_routing_header(const struct sw_ip6_view *ip);
/* D25 for a router (the relay): any Type 0 routing header, Segments Left
 * 0 too (the packet was source-routed through us). */
enum sw_drop sw_check_routing_header_any(const struct sw_ip6_view *ip);

/* HARD-7: IPv6 source unspecified, loopback, multicast, IPv4-mapped
 * (SRC_BAD) or link-local (SRC_LINK_LOCAL, COM-LL-3). */
enum sw_drop sw_check_ip6_src(const uint8_t src[static 16]);

/* HARD-7: multicast destination other than ff02::1 for discovery
 * (allow_discovery) gives DST_MULTICAST. */
enum sw_drop sw_check_ip6_dst_unicast(const uint8_t dst[static 16],
    bool allow_discovery);

/* HARD-8, SRV-OP-3: UDP source port 0 (SRC_PORT_ZERO); a packet from one of
 * our own addresses on port 3544 (OWN_ADDRESS). */
enum sw_drop sw_check_udp_src(const struct sw_v4ep *from,
    const uint32_t *own, size_t n_own);

/* ---- [guard]: HARD-4 and RFC 6324 ------------------------------------------ */

/*
 * HARD-4 (CVE-2006-6264): the IPv4 address embedded in a Teredo source
 * (its mapping) must be global unicast under c (COM-V4G) and outside
 * every configured intranet prefix, or the source gets no trusted entry
 * and no reply: SRC_INTRANET.  Guarded by SW_DEFENCE(INTRANET).
 */
enum sw_drop sw_check_intranet(uint32_t v4, const struct sw_v4_check *c,
    const struct sw_v4_net *intranet, size_t n_intranet);

/*
 * RFC 6324 §3.2: a Teredo address (as sw_addr_decode gives it) whose
 * embedded server IPv4, or whose embedded mapping, is one of our own IPv4
 * addresses (own[0..n_own), 0 = unused) would send the packet back to us:
 * LOOP.  Guarded by SW_DEFENCE(LOOP).
 */
enum sw_drop sw_check_loop(const struct sw_teredo *t, const uint32_t *own,
    size_t n_own);

#endif /* SW_CHECK_H */
