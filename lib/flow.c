/*
 * flow.c - flows opened by the host's applications.  See flow.h.
 *
 * The table is a struct sw_peer_table whose 16-byte keys are digests of
 * the flow tuple: its hash, LRU and fixed allocation are what a flow
 * table needs, and no queue slot is used (one minimal slot).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "hash.h"
#include "peer.h"

#define TCP_FLAGS_OFF	13
#define TCP_RST		0x04
#define ECHO_ID_OFF	4

struct sw_flow_table {
	struct sw_peer_table *t;
	uint8_t k1[16], k2[16];
};

/* The upper-layer header of ip: its protocol, and its first `need`
 * bytes at *ulp.  False when the chain cannot be walked, it is cut
 * short, or the packet is a non-first fragment (*frag then true). */
static bool
upper(const struct sw_ip6_view *ip, size_t need, uint8_t *proto,
    const uint8_t **ulp, bool *frag)
{
	struct sw_ip6_chain c;
	enum sw_drop why;

	*frag = false;
	if (sw_ip6_walk(ip, &c, &why) != 0)
		return false;
	if (c.fragment_later) {
		*frag = true;
		return false;
	}
	*proto = c.ulp;
	if ((size_t)ip->plen - c.ulp_off < need)
		return false;
	*ulp = ip->payload + c.ulp_off;
	return true;
}

bool
sw_flow_outbound(const struct sw_ip6_view *ip, struct sw_flow *f)
{
	const uint8_t *u;
	uint8_t proto;
	bool frag;

	memset(f, 0, sizeof *f);
	memcpy(f->remote, ip->dst, 16);
	if (!upper(ip, 0, &proto, &u, &frag))
		return false;
	f->proto = proto;
	switch (proto) {
	case SW_NH_TCP:
		if ((size_t)ip->plen - (size_t)(u - ip->payload) < 14 ||
		    (u[TCP_FLAGS_OFF] & TCP_RST) != 0)
			return false;		/* the kernel's RST */
		__attribute__((fallthrough));
	case SW_NH_UDP:
		if ((size_t)ip->plen - (size_t)(u - ip->payload) < 4)
			return false;
		f->lport = sw_get16(u);
		f->rport = sw_get16(u + 2);
		return true;
	case SW_NH_ICMP6:
		if ((size_t)ip->plen - (size_t)(u - ip->payload) < 8 ||
		    u[0] != SW_ICMP6_ECHO_REQ)
			return false;		/* replies, errors, ND */
		f->lport = sw_get16(u + ECHO_ID_OFF);
		return true;
	case SW_NH_NONE:
		return false;			/* bubbles */
	default:
		return true;
	}
}

/* The flow of the packet an ICMPv6 error quotes (q, n bytes; ours, so
 * its destination is the remote end). */
static enum sw_flow_in
quoted(const uint8_t *q, size_t n, struct sw_flow *f)
{
	struct sw_ip6_view in;
	size_t plen;

	if (n < SW_IP6_HLEN || (q[0] >> 4) != 6)
		return SW_FLOW_IN_BAD;
	plen = sw_get16(q + 4);
	if (plen > n - SW_IP6_HLEN)
		plen = n - SW_IP6_HLEN;		/* errors quote a prefix */
	memset(&in, 0, sizeof in);
	in.hdr = q;
	in.src = q + 8;
	in.dst = q + 24;
	in.payload = q + SW_IP6_HLEN;
	in.plen = (uint16_t)plen;
	in.nxt = q[6];
	/* An error about a fragment, or about a reply or error of ours,
	 * belongs to no flow we opened. */
	return sw_flow_outbound(&in, f) ? SW_FLOW_IN_FLOW : SW_FLOW_IN_NONE;
}

enum sw_flow_in
sw_flow_inbound(const struct sw_ip6_view *ip, struct sw_flow *f)
{
	const uint8_t *u;
	uint8_t proto;
	bool frag;
	size_t left;

	memset(f, 0, sizeof *f);
	memcpy(f->remote, ip->src, 16);
	if (!upper(ip, 0, &proto, &u, &frag))
		return frag ? SW_FLOW_IN_FRAGMENT : SW_FLOW_IN_BAD;
	left = (size_t)ip->plen - (size_t)(u - ip->payload);
	f->proto = proto;
	switch (proto) {
	case SW_NH_TCP:
	case SW_NH_UDP:
		if (left < 4)
			return SW_FLOW_IN_BAD;
		f->rport = sw_get16(u);
		f->lport = sw_get16(u + 2);
		return SW_FLOW_IN_FLOW;
	case SW_NH_ICMP6:
		if (left < 8)
			return SW_FLOW_IN_BAD;
		if (u[0] == SW_ICMP6_ECHO_REPLY) {
			f->lport = sw_get16(u + ECHO_ID_OFF);
			return SW_FLOW_IN_FLOW;
		}
		if (u[0] >= SW_ICMP6_DST_UNREACH && u[0] <= SW_ICMP6_PARAM_PROB)
			return quoted(u + 8, left - 8, f);
		return SW_FLOW_IN_NONE;
	case SW_NH_NONE:
		return SW_FLOW_IN_NONE;
	default:
		return SW_FLOW_IN_FLOW;
	}
}

/* ---- the table ---------------------------------------------------------- */

int
sw_flow_table_new(struct sw_flow_table **out, uint32_t capacity,
    const struct sw_rng *rng)
{
	struct sw_peer_table_conf pc;
	struct sw_flow_table *ft;
	int err;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (capacity == 0 || rng == NULL)
		return -EINVAL;
	if ((ft = calloc(1, sizeof *ft)) == NULL)
		return -ENOMEM;
	memset(&pc, 0, sizeof pc);
	pc.capacity = capacity;
	pc.queue_peer_bytes = pc.queue_total_bytes = pc.slot_size =
	    SW_IP6_HLEN;
	sw_rng_fill(rng, pc.hash_key, sizeof pc.hash_key);
	sw_rng_fill(rng, ft->k1, sizeof ft->k1);
	sw_rng_fill(rng, ft->k2, sizeof ft->k2);
	if ((err = sw_peer_table_new(&ft->t, &pc)) != 0) {
		free(ft);
		return err;
	}
	*out = ft;
	return 0;
}

void
sw_flow_table_free(struct sw_flow_table *ft)
{
	if (ft == NULL)
		return;
	sw_peer_table_free(ft->t);
	explicit_bzero(ft->k1, sizeof ft->k1);
	explicit_bzero(ft->k2, sizeof ft->k2);
	free(ft);
}

size_t
sw_flow_table_memsize(const struct sw_flow_table *ft)
{
	return sizeof *ft + sw_peer_table_memsize(ft->t);
}

static void
digest(const struct sw_flow_table *ft, const struct sw_flow *f,
    uint8_t out[16])
{
	uint8_t b[21];
	uint64_t h1, h2;

	memcpy(b, f->remote, 16);
	sw_put16(b + 16, f->lport);
	sw_put16(b + 18, f->rport);
	b[20] = f->proto;
	h1 = sw_siphash(ft->k1, b, sizeof b);
	h2 = sw_siphash(ft->k2, b, sizeof b);
	for (unsigned i = 0; i < 8; i++) {
		out[i] = (uint8_t)(h1 >> (8 * i));
		out[8 + i] = (uint8_t)(h2 >> (8 * i));
	}
}

void
sw_flow_note(struct sw_flow_table *ft, const struct sw_flow *f)
{
	uint8_t k[16];
	bool created;

	digest(ft, f, k);
	(void)sw_peer_insert(ft->t, k, &created, NULL);
}

bool
sw_flow_open(struct sw_flow_table *ft, const struct sw_flow *f)
{
	uint8_t k[16];

	digest(ft, f, k);
	return sw_peer_lookup(ft->t, k) != NULL;
}

void
sw_flow_clear(struct sw_flow_table *ft)
{
	struct sw_peer *p;

	while ((p = sw_peer_lru(ft->t)) != NULL)
		sw_peer_remove(ft->t, p, NULL);
}

uint32_t
sw_flow_count(const struct sw_flow_table *ft)
{
	return sw_peer_count(ft->t);
}
