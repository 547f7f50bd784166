/*
 * edge.c - the core's edge check on unsolicited inbound packets (HARD-2,
 * HARD-3, SEC-7; CVE-2006-6265/6266).  See edge.h.
 */
#include <errno.h>
#include <string.h>

#include "edge.h"
#include "weaken.h"

/* Insertion sort + dedup of n ports into out (at most SW_EDGE_MAX_PORTS
 * kept, the smallest); -E2BIG when some were left out. */
static int
sort_unique(uint16_t *out, uint16_t *n_out, const uint16_t *in, size_t n)
{
	size_t k = 0;
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		uint16_t v = in[i];
		size_t j = k;

		while (j > 0 && out[j - 1] > v)
			j--;
		if (j > 0 && out[j - 1] == v)
			continue;		/* duplicate */
		if (k == SW_EDGE_MAX_PORTS) {
			err = -E2BIG;
			if (j == k)
				continue;	/* larger than all kept */
			k--;			/* drop the largest */
		}
		memmove(out + j + 1, out + j, (k - j) * sizeof *out);
		out[j] = v;
		k++;
	}
	*n_out = (uint16_t)k;
	return err;
}

int
sw_edge_set(struct sw_edge *e, const uint16_t *tcp, size_t n_tcp,
    const uint16_t *udp, size_t n_udp)
{
	int a, b;

	memset(e, 0, sizeof *e);
	a = sort_unique(e->tcp, &e->n_tcp, tcp, tcp != NULL ? n_tcp : 0);
	b = sort_unique(e->udp, &e->n_udp, udp, udp != NULL ? n_udp : 0);
	return a != 0 ? a : b;
}

bool
sw_edge_has(const uint16_t *ports, uint16_t n, uint16_t port)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ports[mid] == port)
			return true;
		if (ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The ICMPv6 types an unsolicited source may always send (the firewall's
 * list, guard-contract §2): echo requests and neighbour solicitations and
 * advertisements.  Errors and echo replies answer something the host
 * sent: they pass as part of its flows (flow.h), not on their own; router
 * solicitations, advertisements and redirects never come from a tunnel
 * peer.  Without SW_DEFENCE(FLOW), the older list: errors, echo, router
 * and neighbour discovery. */
static bool
icmp6_allowed(uint8_t type)
{
	if (SW_DEFENCE(FLOW))
		return type == SW_ICMP6_ECHO_REQ || type == 135 || type == 136;
	return (type >= SW_ICMP6_DST_UNREACH && type <= SW_ICMP6_PARAM_PROB) ||
	    type == SW_ICMP6_ECHO_REQ || type == SW_ICMP6_ECHO_REPLY ||
	    (type >= SW_ICMP6_RS && type <= 136);
}

/*
 * The chain was walked already (sw_ip6_walk accepted it): find its
 * Fragment header again and tell whether its offset is non-zero.
 */
static bool
non_first_fragment(const struct sw_ip6_view *ip)
{
	const uint8_t *p = ip->payload;
	size_t off = 0, plen = ip->plen;
	uint8_t nxt = ip->nxt;

	while (off < plen) {
		switch (nxt) {
		case SW_NH_HOPOPTS:
		case SW_NH_ROUTING:
		case SW_NH_DSTOPTS:
			if (plen - off < 2)
				return false;
			nxt = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			break;
		case SW_NH_FRAGMENT:
			return plen - off >= 8 &&
			    (sw_get16(p + off + 2) & 0xfff8u) != 0;
		default:
			return false;
		}
	}
	return false;
}

enum sw_drop
sw_edge_check(const struct sw_edge *e, const struct sw_ip6_view *ip)
{
	struct sw_ip6_chain c;
	enum sw_drop why = SW_DROP_NONE;
	size_t left;
	uint16_t port;

	if (sw_ip6_walk(ip, &c, &why) != 0)
		return SW_DROP_BAD_EXT_HEADER;
	/* A non-first fragment carries no upper-layer header to judge it
	 * by; on its own it is harmless (the stack cannot reassemble it
	 * without the first fragment, which was judged), and refusing it
	 * would break granted flows that fragment. */
	if (c.fragment && non_first_fragment(ip))
		return SW_DROP_NONE;
	left = (size_t)ip->plen - c.ulp_off;
	switch (c.ulp) {
	case SW_NH_ICMP6:
		if (left < 1)
			return SW_DROP_BAD_EXT_HEADER;
		return icmp6_allowed(ip->payload[c.ulp_off]) ? SW_DROP_NONE :
		    SW_DROP_EDGE_NOT_GRANTED;
	case SW_NH_TCP:
	case SW_NH_UDP:
		/* Source port, destination port: the first 4 bytes. */
		if (left < 4)
			return SW_DROP_BAD_EXT_HEADER;
		if (e == NULL)
			return SW_DROP_EDGE_NOT_GRANTED;
		port = sw_get16(ip->payload + c.ulp_off + 2);
		if (c.ulp == SW_NH_TCP ? sw_edge_has(e->tcp, e->n_tcp, port) :
		    sw_edge_has(e->udp, e->n_udp, port))
			return SW_DROP_NONE;
		return SW_DROP_EDGE_NOT_GRANTED;
	default:
		return SW_DROP_EDGE_NOT_GRANTED;
	}
}
