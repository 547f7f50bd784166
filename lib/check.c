/*
 * check.c - the silent-discard predicates (teredo-requirements.md §8.2)
 * and the global-unicast IPv4 check (COM-V4G).  Pure functions: each
 * returns SW_DROP_NONE or the reason to discard.
 */
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "check.h"
#include "weaken.h"

/* ---- COM-V4G ------------------------------------------------------------ */

struct v4_block {
	uint32_t addr;
	uint8_t plen;
};

/* RFC 4380 §5.2.4 (COM-V4G-1). */
static const struct v4_block v4_rfc4380[] = {
	{ SW_IP4(0, 0, 0, 0), 8 },
	{ SW_IP4(10, 0, 0, 0), 8 },
	{ SW_IP4(127, 0, 0, 0), 8 },
	{ SW_IP4(169, 254, 0, 0), 16 },
	{ SW_IP4(172, 16, 0, 0), 12 },
	{ SW_IP4(192, 168, 0, 0), 16 },
	{ SW_IP4(192, 88, 99, 0), 24 },		/* 6to4 anycast */
	{ SW_IP4(224, 0, 0, 0), 4 },		/* multicast */
	{ SW_IP4(255, 255, 255, 255), 32 },	/* limited broadcast */
};

/* RFC 6890 blocks that are not globally reachable (COM-V4G-2). */
static const struct v4_block v4_hardened[] = {
	{ SW_IP4(100, 64, 0, 0), 10 },		/* RFC 6598 shared */
	{ SW_IP4(192, 0, 0, 0), 24 },		/* IETF protocol assignments */
	{ SW_IP4(198, 18, 0, 0), 15 },		/* benchmarking */
	{ SW_IP4(240, 0, 0, 0), 4 },		/* reserved */
};

/* RFC 5737 documentation ranges: not global, except in a lab. */
static const struct v4_block v4_documentation[] = {
	{ SW_IP4(192, 0, 2, 0), 24 },
	{ SW_IP4(198, 51, 100, 0), 24 },
	{ SW_IP4(203, 0, 113, 0), 24 },
};

static uint32_t
v4_mask(uint8_t plen)
{
	return plen == 0 ? 0 : plen >= 32 ? UINT32_MAX :
	    (uint32_t)(UINT32_MAX << (32 - plen));
}

bool
sw_check_v4_in(uint32_t addr, const struct sw_v4_net *net)
{
	uint32_t m = v4_mask(net->plen);

	return (addr & m) == (net->addr & m);
}

static bool
in_blocks(uint32_t addr, const struct v4_block *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sw_v4_net net = { b[i].addr, b[i].plen };

		if (sw_check_v4_in(addr, &net))
			return true;
	}
	return false;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

bool
sw_check_v4_global(const struct sw_v4_check *c, uint32_t addr)
{
	enum sw_v4_policy pol = c != NULL ? c->policy : SW_V4_HARDENED;

	if (in_blocks(addr, v4_rfc4380, NELEM(v4_rfc4380)))
		return false;
	if (pol != SW_V4_STRICT) {
		if (in_blocks(addr, v4_hardened, NELEM(v4_hardened)))
			return false;
		if (pol != SW_V4_LAB &&
		    in_blocks(addr, v4_documentation, NELEM(v4_documentation)))
			return false;
	}
	/* Directed broadcasts of the subnets we are attached to
	 * (COM-V4G-1); /31 and /32 have none. */
	for (size_t i = 0; c != NULL && i < c->n_attached; i++) {
		const struct sw_v4_net *n = &c->attached[i];

		if (n->plen <= 30 && sw_check_v4_in(addr, n) &&
		    (addr | ~v4_mask(n->plen)) == addr)
			return false;
	}
	return true;
}

enum sw_drop
sw_check_v4(const struct sw_v4_check *c, uint32_t addr)
{
	return sw_check_v4_global(c, addr) ? SW_DROP_NONE : SW_DROP_V4_NOT_GLOBAL;
}

enum sw_drop
sw_check_udp_dst(const struct sw_v4_check *c, const struct sw_v4ep *dst)
{
	if (!sw_check_v4_global(c, dst->addr))
		return SW_DROP_V4_NOT_GLOBAL;
	return dst->port == 0 ? SW_DROP_DST_PORT_ZERO : SW_DROP_NONE;
}

/* ---- IPv6 address classes ------------------------------------------------- */

static const uint8_t ip6_all_nodes[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
};
static const uint8_t ip6_all_routers[16] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
};

static bool
ip6_is_zero_upto(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != 0)
			return false;
	return true;
}

static bool
ip6_is_unspecified(const uint8_t a[static 16])
{
	return ip6_is_zero_upto(a, 16);
}

static bool
ip6_is_loopback(const uint8_t a[static 16])
{
	return ip6_is_zero_upto(a, 15) && a[15] == 1;
}

static bool
ip6_is_v4mapped(const uint8_t a[static 16])
{
	return ip6_is_zero_upto(a, 10) && a[10] == 0xff && a[11] == 0xff;
}

static bool
ip6_is_multicast(const uint8_t a[static 16])
{
	return a[0] == 0xff;
}

static bool
ip6_is_site_local(const uint8_t a[static 16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0xc0;	/* fec0::/10 */
}

bool
sw_check_ip6_in(const uint8_t a[static 16], const struct sw_ip6_net *n)
{
	unsigned full = n->plen / 8u, rest = n->plen % 8u;

	if (n->plen > 128)
		return false;
	if (memcmp(a, n->addr, full) != 0)
		return false;
	if (rest != 0) {
		uint8_t m = (uint8_t)(0xffu << (8 - rest));

		if ((a[full] & m) != (n->addr[full] & m))
			return false;
	}
	return true;
}

/* ---- client ---------------------------------------------------------------- */

enum sw_drop
sw_check_ra(const struct sw_teredo_view *v, const struct sw_ra_expect *e,
    struct sw_ra_info *info)
{
	struct sw_ip6_view ip;
	struct sw_ra ra;
	enum sw_drop why = SW_DROP_NONE;

	/* CLI-RA-1 (1): the server always adds an origin indication. */
	if (!v->has_origin)
		return SW_DROP_RA_NO_ORIGIN;
	/* CLI-RA-1 (2): a valid RA per RFC 4861 §6.1.2. */
	if (sw_ip6_parse(v->ip6, v->ip6_len, &ip, &why) != 0 ||
	    sw_wire_parse_ra(&ip, &ra, &why) != 0)
		return SW_DROP_RA_INVALID;
	/* CLI-RA-1 (3): addressed to the link-local source of our RS. */
	if (memcmp(ip.dst, e->rs_src, 16) != 0)
		return SW_DROP_RA_WRONG_DST;
	/* CLI-RA-1 (4): exactly one Prefix Information option. */
	if (ra.prefix_count != 1)
		return SW_DROP_RA_PREFIX_COUNT;
	/* CLI-RA-1 (5): service prefix + primary server IPv4, /64
	 * (rfc-notes item 12: primary also for the secondary's RA). */
	if (ra.prefix_len != 64 || sw_get32(ra.prefix) != e->prefix ||
	    sw_get32(ra.prefix + 4) != e->server ||
	    !ip6_is_zero_upto(ra.prefix + 8, 8))
		return SW_DROP_RA_WRONG_PREFIX;
	/* COM-MTU-4 */
	if (ra.has_mtu && (ra.mtu < 1280 || ra.mtu > 65535))
		return SW_DROP_RA_BAD_MTU;
	/* CLI-RA-1 (6), CLI-SQ-2: the nonce of our RS, compared in full. */
	if (SW_DEFENCE(RA_NONCE) && e->nonce != NULL && (!v->has_auth ||
	    !sw_auth_equal(v->auth.nonce, e->nonce, SW_NONCE_LEN)))
		return SW_DROP_RA_NONCE;
	/* CLI-SQ-3 */
	if (e->mac != NULL && !sw_auth_verify(e->mac, v))
		return SW_DROP_RA_MAC;
	/* CLI-RA-4 (IMPL): the mapping must be usable in a global address
	 * (COM-ADDR-4). */
	if (e->v4 != NULL && !sw_check_v4_global(e->v4, v->origin.addr))
		return SW_DROP_V4_NOT_GLOBAL;

	if (info != NULL) {
		info->mapped = v->origin;
		info->ra = ra;
		info->conf = v->has_auth ? v->auth.conf : 0;
	}
	return SW_DROP_NONE;
}

static bool
is_icmp6_type(const struct sw_ip6_view *ip, uint8_t type)
{
	return ip->nxt == SW_NH_ICMP6 && ip->plen >= 1 && ip->payload[0] == type;
}

enum sw_drop
sw_check_not_rs(const struct sw_ip6_view *ip)
{
	/* CLI-RA-3, RFC 4861 §6.1.1 */
	return is_icmp6_type(ip, SW_ICMP6_RS) ? SW_DROP_RS_RECEIVED :
	    SW_DROP_NONE;
}

enum sw_drop
sw_check_discovery(const struct sw_ip6_view *ip, uint32_t prefix,
    bool via_multicast, uint32_t v4src, const struct sw_v4_net *local,
    size_t n_local, uint32_t own_mapped)
{
	struct sw_teredo t;
	bool on_link = false;

	/* DISC-3 (D7) */
	if (!via_multicast)
		return SW_DROP_DISC_UNICAST;
	/* DISC-4 (D8): a Teredo source, from our own IPv4 subnet. */
	if (!sw_addr_is_teredo(ip->src, prefix))
		return SW_DROP_DISC_NOT_TEREDO;
	for (size_t i = 0; i < n_local && !on_link; i++)
		on_link = sw_check_v4_in(v4src, &local[i]);
	if (!on_link)
		return SW_DROP_DISC_OFF_LINK;
	/* DISC-5 (D9): behind the same NAT as we are. */
	sw_addr_decode(ip->src, &t);
	if (own_mapped != 0 && t.mapped.addr != own_mapped)
		return SW_DROP_DISC_FOREIGN;
	return SW_DROP_NONE;
}

enum sw_drop
sw_check_direct_bubble(const struct sw_ip6_view *ip, uint32_t prefix,
    const struct sw_v4ep *from, const struct sw_trailers *t,
    const uint8_t *nonce_sent)
{
	if (sw_addr_is_teredo(ip->src, prefix)) {
		struct sw_teredo td;

		sw_addr_decode(ip->src, &td);
		if (sw_v4ep_eq(&td.mapped, from))
			return SW_DROP_NONE;
	}
	/* EXT-SNS-5: or it echoes the nonce of our indirect bubble. */
	if (t != NULL && t->has_nonce && nonce_sent != NULL &&
	    sw_auth_equal(t->nonce, nonce_sent, sizeof t->nonce))
		return SW_DROP_NONE;
	return SW_DROP_BUBBLE_UNMATCHED;
}

enum sw_drop
sw_check_alt_trailer(const struct sw_trailers *t)
{
	return t->has_alt && t->alt_malformed ? SW_DROP_TRAILER_ALT_ADDR :
	    SW_DROP_NONE;
}

/* ---- server ---------------------------------------------------------------- */

enum sw_drop
sw_check_srv_relayable(const struct sw_ip6_view *ip)
{
	/* SRV-RX-2: bubbles and ICMPv6 only. */
	if (sw_ip6_is_bubble(ip) || ip->nxt == SW_NH_ICMP6)
		return SW_DROP_NONE;
	return SW_DROP_SRV_NOT_RELAYABLE;
}

enum sw_drop
sw_check_srv_rs_auth(const struct sw_teredo_view *v, bool required,
    struct sw_auth *key)
{
	if (!required)
		return SW_DROP_NONE;
	if (!v->has_auth || key == NULL || !sw_auth_verify(key, v))
		return SW_DROP_SRV_RS_AUTH;
	return SW_DROP_NONE;
}

enum sw_drop
sw_check_srv_accept(const struct sw_ip6_view *ip, const struct sw_v4ep *from,
    uint32_t prefix, uint32_t server)
{
	struct sw_teredo t;

	/* SRV-RX-4: link-local source, ff02::2, ICMPv6 RS. */
	if (sw_addr_is_link_local(ip->src) &&
	    memcmp(ip->dst, ip6_all_routers, 16) == 0 &&
	    is_icmp6_type(ip, SW_ICMP6_RS))
		return SW_DROP_NONE;
	/* SRV-RX-5: a Teredo source that embeds the packet's source. */
	if (sw_addr_is_teredo(ip->src, prefix)) {
		sw_addr_decode(ip->src, &t);
		return sw_v4ep_eq(&t.mapped, from) ? SW_DROP_NONE :
		    SW_DROP_SRV_NOT_ACCEPTED;
	}
	/* SRV-RX-6: a non-Teredo source towards one of our clients. */
	if (sw_addr_is_teredo(ip->dst, prefix)) {
		sw_addr_decode(ip->dst, &t);
		if (t.server == server)
			return SW_DROP_NONE;
	}
	/* SRV-RX-7 */
	return SW_DROP_SRV_NOT_ACCEPTED;
}

enum sw_drop
sw_check_ip6_dst_global(const uint8_t dst[static 16])
{
	/* SRV-FWD-2: never forward beyond global scope. */
	if (ip6_is_multicast(dst))
		return (dst[1] & 0x0f) == 0x0e ? SW_DROP_NONE :
		    SW_DROP_DST_NOT_GLOBAL;
	if (ip6_is_unspecified(dst) || ip6_is_loopback(dst) ||
	    ip6_is_v4mapped(dst) || sw_addr_is_link_local(dst) ||
	    ip6_is_site_local(dst))
		return SW_DROP_DST_NOT_GLOBAL;
	return SW_DROP_NONE;
}

/* ---- relay ----------------------------------------------------------------- */

enum sw_drop
sw_check_relay_src(const struct sw_ip6_view *ip, const struct sw_v4ep *from,
    uint32_t prefix)
{
	struct sw_teredo t;

	/* REL-RX-3 */
	if (!sw_addr_is_teredo(ip->src, prefix))
		return SW_DROP_SRC_NOT_TEREDO;
	sw_addr_decode(ip->src, &t);
	if (!sw_v4ep_eq(&t.mapped, from))
		return SW_DROP_SRC_MAPPING;
	return SW_DROP_NONE;
}

enum sw_drop
sw_check_peer_known(bool found)
{
	return found ? SW_DROP_NONE : SW_DROP_NO_PEER;
}

enum sw_drop
sw_check_dst_served(const uint8_t dst[static 16],
    const struct sw_ip6_net *served, size_t n_served)
{
	for (size_t i = 0; i < n_served; i++)
		if (sw_check_ip6_in(dst, &served[i]))
			return SW_DROP_NONE;
	return SW_DROP_DST_NOT_SERVED;
}

/* ---- every role -------------------------------------------------------------- */

enum sw_drop
sw_check_routing_header(const struct sw_ip6_view *ip)
{
	struct sw_ip6_chain c;
	enum sw_drop why = SW_DROP_NONE;

	if (sw_ip6_walk(ip, &c, &why) != 0)
		return SW_DROP_BAD_EXT_HEADER;
	/* SEC-8 / RFC 5095 §3: RH0 is an unknown routing type; Segments
	 * Left 0 means the header is ignored. */
	if (SW_DEFENCE(ROUTING_HEADER) && c.rh0_active)
		return SW_DROP_ROUTING_HEADER0;
	return SW_DROP_NONE;
}

enum sw_drop
sw_check_routing_header_any(const struct sw_ip6_view *ip)
{
	struct sw_ip6_chain c;
	enum sw_drop why = SW_DROP_NONE;

	if (sw_ip6_walk(ip, &c, &why) != 0)
		return SW_DROP_BAD_EXT_HEADER;
	if (SW_DEFENCE(ROUTING_HEADER) && c.rh0)
		return SW_DROP_ROUTING_HEADER0;
	return SW_DROP_NONE;
}

enum sw_drop
sw_check_ip6_src(const uint8_t src[static 16])
{
	if (ip6_is_unspecified(src) || ip6_is_loopback(src) ||
	    ip6_is_multicast(src) || ip6_is_v4mapped(src))
		return SW_DROP_SRC_BAD;
	if (sw_addr_is_link_local(src))
		return SW_DROP_SRC_LINK_LOCAL;	/* COM-LL-3 */
	return SW_DROP_NONE;
}

enum sw_drop
sw_check_ip6_dst_unicast(const uint8_t dst[static 16], bool allow_discovery)
{
	if (!ip6_is_multicast(dst))
		return SW_DROP_NONE;
	if (allow_discovery && memcmp(dst, ip6_all_nodes, 16) == 0)
		return SW_DROP_NONE;
	return SW_DROP_DST_MULTICAST;
}

enum sw_drop
sw_check_udp_src(const struct sw_v4ep *from, const uint32_t *own,
    size_t n_own)
{
	if (from->port == 0)
		return SW_DROP_SRC_PORT_ZERO;	/* HARD-8 */
	if (from->port == SW_TEREDO_PORT)	/* SRV-OP-3 */
		for (size_t i = 0; i < n_own; i++)
			if (own[i] == from->addr)
				return SW_DROP_OWN_ADDRESS;
	return SW_DROP_NONE;
}

/* ---- [guard]: HARD-4 and RFC 6324 ------------------------------------------ */

enum sw_drop
sw_check_intranet(uint32_t v4, const struct sw_v4_check *c,
    const struct sw_v4_net *intranet, size_t n_intranet)
{
	if (!SW_DEFENCE(INTRANET))
		return SW_DROP_NONE;
	if (!sw_check_v4_global(c, v4))
		return SW_DROP_SRC_INTRANET;
	for (size_t i = 0; i < n_intranet; i++)
		if (sw_check_v4_in(v4, &intranet[i]))
			return SW_DROP_SRC_INTRANET;
	return SW_DROP_NONE;
}

enum sw_drop
sw_check_loop(const struct sw_teredo *t, const uint32_t *own, size_t n_own)
{
	if (!SW_DEFENCE(LOOP))
		return SW_DROP_NONE;
	for (size_t i = 0; i < n_own; i++)
		if (own[i] != 0 && (t->server == own[i] || t->mapped.addr == own[i]))
			return SW_DROP_LOOP;
	return SW_DROP_NONE;
}
