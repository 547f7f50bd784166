/*
 * wire.c - parse and build the bytes Teredo carries in a UDP payload:
 * auth encapsulation and origin indication (RFC 4380 §5.1.1), the IPv6
 * header and its extension-header chain (RFC 8200 §4), ICMPv6 echo and
 * checksum (RFC 4443), RS/RA (RFC 4861 §4.1, §4.2, §6.1) and RFC 6081
 * trailers (§4).  See wire.h for the contract.
 *
 * Every read is checked against the bytes that remain, never against what
 * a length field claims; views point into the caller's buffer.  Nothing
 * here allocates, copies untrusted data or keeps state.
 */
#include <errno.h>
#include <string.h>

#include "wire.h"

#define ICMP6_HLEN	8	/* type, code, checksum, 4 bytes (RFC 4443 §2.1) */
#define RA_HLEN		16	/* RFC 4861 §4.2 */
#define ND_OPT_PIO	3	/* RFC 4861 §4.6.2 */
#define ND_OPT_PIO_LEN	32
#define ND_OPT_MTU	5	/* RFC 4861 §4.6.4 */
#define ND_OPT_MTU_LEN	8
#define MAX_EXT_HDRS	16	/* most extension headers sw_ip6_walk takes */

static const uint8_t all_routers[16] = {	/* ff02::2, RFC 4861 §4.1 */
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
};

static int
bad(enum sw_drop *why, enum sw_drop reason)
{
	if (why != NULL)
		*why = reason;
	return -EBADMSG;
}

static void
ok(enum sw_drop *why)
{
	if (why != NULL)
		*why = SW_DROP_NONE;
}

/* ---- Teredo encapsulation (RFC 4380 §5.1.1, COM-ENC-*) --------------- */

static int
parse_auth(const uint8_t *p, size_t rem, struct sw_auth_view *a, size_t *hlen,
    enum sw_drop *why)
{
	size_t need;

	if (rem < SW_AUTH_MIN_LEN)
		return bad(why, SW_DROP_TRUNCATED);
	/* COM-ENC-6: 4 + ID-len + AU-len + 9 <= remaining. */
	need = SW_AUTH_MIN_LEN + (size_t)p[2] + (size_t)p[3];
	if (need > rem)
		return bad(why, SW_DROP_BAD_AUTH_LEN);
	a->id_len = p[2];
	a->au_len = p[3];
	a->id = p + 4;
	a->au = a->id + a->id_len;
	a->nonce = a->au + a->au_len;
	a->conf = a->nonce[SW_NONCE_LEN];
	*hlen = need;
	return 0;
}

int
sw_wire_parse(const uint8_t *buf, size_t len, struct sw_teredo_view *v,
    enum sw_drop *why)
{
	struct sw_ip6_view ip;
	size_t off = 0, hlen, rem;
	int error;

	memset(v, 0, sizeof *v);
	ok(why);
	/*
	 * COM-ENC-2/3: [auth] [origin] IPv6, demultiplexed on the first
	 * bytes.  Anything but 00 xx or 6x there is BAD_HEADER_CODE, so the
	 * IPv6 version check below cannot fail: IP6_VERSION comes only from
	 * sw_ip6_parse() called on its own.
	 */
	for (;;) {
		rem = len - off;
		if (rem == 0)
			return bad(why, SW_DROP_TRUNCATED);
		if ((buf[off] >> 4) == 6)
			break;
		if (buf[off] != 0x00)
			return bad(why, SW_DROP_BAD_HEADER_CODE);
		if (rem < 2)
			return bad(why, SW_DROP_TRUNCATED);
		switch (buf[off + 1]) {
		case 0x01:	/* authentication encapsulation */
			if (v->has_auth)
				return bad(why, SW_DROP_DUP_HEADER);
			if (v->has_origin)
				return bad(why, SW_DROP_AUTH_AFTER_ORIGIN);
			error = parse_auth(buf + off, rem, &v->auth, &hlen, why);
			if (error != 0)
				return error;
			v->has_auth = true;
			off += hlen;
			break;
		case 0x00:	/* origin indication */
			if (v->has_origin)
				return bad(why, SW_DROP_DUP_HEADER);
			if (rem < SW_ORIGIN_LEN)
				return bad(why, SW_DROP_TRUNCATED);
			v->has_origin = true;
			v->origin_raw = buf + off;
			v->origin.port = (uint16_t)~sw_get16(buf + off + 2);
			v->origin.addr = ~sw_get32(buf + off + 4);
			off += SW_ORIGIN_LEN;
			break;
		default:
			return bad(why, SW_DROP_BAD_HEADER_CODE);
		}
	}

	/* COM-IP6-1/2: 40 + PL <= what is left; the rest is trailers. */
	error = sw_ip6_parse(buf + off, rem, &ip, why);
	if (error != 0)
		return error;
	v->ip6 = buf + off;
	v->ip6_len = SW_IP6_HLEN + (size_t)ip.plen;
	v->trailers = v->ip6 + v->ip6_len;
	v->trailers_len = rem - v->ip6_len;
	return 0;
}

int
sw_wire_build_auth(uint8_t *out, size_t cap, const uint8_t *id,
    uint8_t id_len, const uint8_t *au, uint8_t au_len,
    const uint8_t nonce[static SW_NONCE_LEN], uint8_t conf)
{
	size_t n = SW_AUTH_MIN_LEN + (size_t)id_len + (size_t)au_len;

	if (cap < n)
		return -EMSGSIZE;
	out[0] = 0x00;
	out[1] = 0x01;
	out[2] = id_len;
	out[3] = au_len;
	if (id_len > 0)
		memcpy(out + 4, id, id_len);
	if (au_len > 0)
		memcpy(out + 4 + id_len, au, au_len);
	memcpy(out + 4 + id_len + au_len, nonce, SW_NONCE_LEN);
	out[n - 1] = conf;
	return (int)n;
}

int
sw_wire_build_origin(uint8_t *out, size_t cap, const struct sw_v4ep *o)
{
	if (cap < SW_ORIGIN_LEN)
		return -EMSGSIZE;
	/* RFC 4380 §5.1.1: 00 00, then port and IPv4 XOR all-ones. */
	out[0] = 0x00;
	out[1] = 0x00;
	sw_put16(out + 2, (uint16_t)~o->port);
	sw_put32(out + 4, ~o->addr);
	return SW_ORIGIN_LEN;
}

/* ---- IPv6 header (RFC 8200 §3) and extension headers (§4) ----------- */

int
sw_ip6_parse(const uint8_t *p, size_t len, struct sw_ip6_view *ip,
    enum sw_drop *why)
{
	uint32_t w;

	memset(ip, 0, sizeof *ip);
	ok(why);
	if (len > 0 && (p[0] >> 4) != 6)
		return bad(why, SW_DROP_IP6_VERSION);
	if (len < SW_IP6_HLEN)
		return bad(why, SW_DROP_IP6_LENGTH);
	ip->plen = sw_get16(p + 4);
	/* COM-IP6-2: a shorter packet than the bytes left is fine. */
	if ((size_t)ip->plen > len - SW_IP6_HLEN)
		return bad(why, SW_DROP_IP6_LENGTH);
	w = sw_get32(p);
	ip->hdr = p;
	ip->src = p + 8;
	ip->dst = p + 24;
	ip->payload = p + SW_IP6_HLEN;
	ip->flow = w & 0xfffffu;
	ip->tclass = (uint8_t)(w >> 20);
	ip->nxt = p[6];
	ip->hlim = p[7];
	return 0;
}

int
sw_ip6_build(uint8_t *out, size_t cap, const uint8_t src[static 16],
    const uint8_t dst[static 16], uint8_t nxt, uint8_t hlim, uint16_t plen)
{
	if (cap < SW_IP6_HLEN)
		return -EMSGSIZE;
	sw_put32(out, 0x60000000u);	/* version 6, class 0, flow 0 */
	sw_put16(out + 4, plen);
	out[6] = nxt;
	out[7] = hlim;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	return SW_IP6_HLEN;
}

bool
sw_ip6_is_bubble(const struct sw_ip6_view *ip)
{
	/* COM-BUB-1 */
	return ip->nxt == SW_NH_NONE && ip->plen == 0;
}

/*
 * RFC 8200 §4.  Hop-by-Hop, Routing and Destination Options are
 * (Hdr Ext Len + 1) * 8 bytes; Fragment is 8.  The walk stops after a
 * Fragment header whose offset is not zero: what follows is the middle
 * of the fragmentable part, not a header (c->fragment tells callers).
 */
int
sw_ip6_walk(const struct sw_ip6_view *ip, struct sw_ip6_chain *c,
    enum sw_drop *why)
{
	const uint8_t *p = ip->payload;
	size_t off = 0, plen = ip->plen, hlen;
	uint8_t nxt = ip->nxt;
	unsigned n;

	memset(c, 0, sizeof *c);
	ok(why);
	for (n = 0;; n++) {
		switch (nxt) {
		case SW_NH_HOPOPTS:
		case SW_NH_ROUTING:
		case SW_NH_DSTOPTS:
			if (n == MAX_EXT_HDRS || plen - off < 2)
				return bad(why, SW_DROP_BAD_EXT_HEADER);
			hlen = ((size_t)p[off + 1] + 1) * 8;
			if (hlen > plen - off)
				return bad(why, SW_DROP_BAD_EXT_HEADER);
			if (nxt == SW_NH_ROUTING && !c->rh_present) {
				c->rh_present = true;
				c->rh_type = p[off + 2];
				c->rh_segleft = p[off + 3];
				c->rh_off = (uint16_t)off;
			}
			if (nxt == SW_NH_ROUTING && p[off + 2] == 0) {
				c->rh0 = true;
				c->rh0_active |= p[off + 3] > 0;
			}
			break;
		case SW_NH_FRAGMENT:
			hlen = 8;
			if (n == MAX_EXT_HDRS || hlen > plen - off)
				return bad(why, SW_DROP_BAD_EXT_HEADER);
			c->fragment = true;
			/* Fragment Offset: the top 13 bits of bytes 2-3. */
			if ((sw_get16(p + off + 2) & 0xfff8u) != 0) {
				c->fragment_later = true;
				c->ulp = p[off];
				c->ulp_off = (uint16_t)(off + hlen);
				return 0;
			}
			break;
		default:
			c->ulp = nxt;
			c->ulp_off = (uint16_t)off;
			return 0;
		}
		nxt = p[off];
		off += hlen;
	}
}

/* ---- ICMPv6 (RFC 4443) ----------------------------------------------- */

static uint64_t
sum_bytes(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += sw_get16(p + i);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;	/* pad with a zero byte */
	return sum;
}

static uint16_t
fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* RFC 4443 §2.3 with the RFC 8200 §8.1 pseudo-header. */
uint16_t
sw_icmp6_checksum(const uint8_t src[static 16],
    const uint8_t dst[static 16], const uint8_t *msg, size_t len)
{
	uint64_t sum = 0;
	uint32_t ulen = (uint32_t)len;

	sum = sum_bytes(sum, src, 16);
	sum = sum_bytes(sum, dst, 16);
	sum += ulen >> 16;
	sum += ulen & 0xffff;
	sum += SW_NH_ICMP6;	/* 3 zero bytes, then Next Header */
	sum = sum_bytes(sum, msg, len);
	return (uint16_t)~fold(sum);
}

/* Only for ICMPv6 directly after the IPv6 header (nxt == 58). */
bool
sw_icmp6_checksum_ok(const struct sw_ip6_view *ip)
{
	if (ip->nxt != SW_NH_ICMP6 || ip->plen < 4)
		return false;
	return sw_icmp6_checksum(ip->src, ip->dst, ip->payload, ip->plen) == 0;
}

/* Write the IPv6 header, then fill the ICMPv6 checksum of the msg_len
 * bytes that follow it (already written, checksum field zero). */
static void
finish_icmp6(uint8_t *out, size_t msg_len)
{
	uint16_t ck;

	ck = sw_icmp6_checksum(out + 8, out + 24, out + SW_IP6_HLEN, msg_len);
	sw_put16(out + SW_IP6_HLEN + 2, ck);
}

int
sw_wire_build_echo(uint8_t *out, size_t cap, uint8_t type,
    const uint8_t src[static 16], const uint8_t dst[static 16], uint8_t hlim,
    uint16_t id, uint16_t seq, const uint8_t *data, size_t data_len)
{
	uint8_t *m;
	size_t plen;

	if (data_len > UINT16_MAX - ICMP6_HLEN)
		return -EMSGSIZE;
	plen = ICMP6_HLEN + data_len;
	if (cap < SW_IP6_HLEN || cap - SW_IP6_HLEN < plen)
		return -EMSGSIZE;
	m = out + SW_IP6_HLEN;
	sw_ip6_build(out, cap, src, dst, SW_NH_ICMP6, hlim, (uint16_t)plen);
	/* RFC 4443 §4.1/§4.2 */
	m[0] = type;
	m[1] = 0;
	sw_put16(m + 2, 0);
	sw_put16(m + 4, id);
	sw_put16(m + 6, seq);
	if (data_len > 0)
		memcpy(m + ICMP6_HLEN, data, data_len);
	finish_icmp6(out, plen);
	return (int)(SW_IP6_HLEN + plen);
}

/*
 * RFC 4443 §2.4: no error about an error, a redirect, or a packet sent to
 * multicast (e.2, e.3), nor to a source that cannot take one (e.6: the
 * unspecified, multicast or loopback address).  The invoking packet's
 * first bytes are taken as they are: a truncated ICMPv6 header counts as
 * an error message.
 */
bool
sw_icmp6_error_allowed(const uint8_t *inv, size_t len)
{
	static const uint8_t zero[16];
	const uint8_t *src = inv + 8, *dst = inv + 24;

	if (len < SW_IP6_HLEN || (inv[0] >> 4) != 6)
		return false;
	if (dst[0] == 0xff || src[0] == 0xff || memcmp(src, zero, 16) == 0 ||
	    (memcmp(src, zero, 15) == 0 && src[15] == 1))
		return false;
	if (inv[6] == SW_NH_ICMP6 &&
	    (len < SW_IP6_HLEN + 1 || inv[SW_IP6_HLEN] < 128 ||
	    inv[SW_IP6_HLEN] == 137))
		return false;
	return true;
}

int
sw_wire_build_icmp6_error(uint8_t *out, size_t cap, uint8_t type,
    uint8_t code, uint32_t param, const uint8_t src[static 16],
    const uint8_t *inv, size_t inv_len)
{
	uint8_t *m;
	size_t take, plen;

	if (!sw_icmp6_error_allowed(inv, inv_len))
		return -EINVAL;
	/* RFC 4443 §2.4(c): as much of it as fits in the minimum MTU. */
	take = SW_ICMP6_ERROR_MAX - SW_IP6_HLEN - ICMP6_HLEN;
	if (inv_len < take)
		take = inv_len;
	plen = ICMP6_HLEN + take;
	if (cap < SW_IP6_HLEN || cap - SW_IP6_HLEN < plen)
		return -EMSGSIZE;
	m = out + SW_IP6_HLEN;
	/* the invoking packet first: out may not overlap it, but dst is
	 * read from it before the header is written */
	memmove(m + ICMP6_HLEN, inv, take);
	sw_ip6_build(out, cap, src, m + ICMP6_HLEN + 8, SW_NH_ICMP6, 64,
	    (uint16_t)plen);
	m[0] = type;
	m[1] = code;
	sw_put16(m + 2, 0);
	sw_put32(m + 4, param);
	finish_icmp6(out, plen);
	return (int)(SW_IP6_HLEN + plen);
}

int
sw_wire_parse_echo(const struct sw_ip6_view *ip, struct sw_echo_view *e)
{
	const uint8_t *m = ip->payload;

	memset(e, 0, sizeof *e);
	if (ip->nxt != SW_NH_ICMP6 || ip->plen < ICMP6_HLEN)
		return -EBADMSG;
	if ((m[0] != SW_ICMP6_ECHO_REQ && m[0] != SW_ICMP6_ECHO_REPLY) ||
	    m[1] != 0)
		return -EBADMSG;
	if (!sw_icmp6_checksum_ok(ip))
		return -EBADMSG;
	e->type = m[0];
	e->id = sw_get16(m + 4);
	e->seq = sw_get16(m + 6);
	e->data = m + ICMP6_HLEN;
	e->data_len = (size_t)ip->plen - ICMP6_HLEN;
	return 0;
}

int
sw_wire_build_bubble(uint8_t *out, size_t cap,
    const uint8_t src[static 16], const uint8_t dst[static 16], uint8_t hlim)
{
	/* COM-BUB-1: Next Header 59, Payload Length 0. */
	return sw_ip6_build(out, cap, src, dst, SW_NH_NONE, hlim, 0);
}

/* ---- Router Solicitation / Advertisement (RFC 4861) ------------------ */

/*
 * Next ND option at *off in p[0..len): 1 with *opt and *olen set, 0 at the
 * end, -1 when an option has length 0 or runs past the message (RFC 4861
 * §4.6, §6.1.1, §6.1.2).  A stray byte too short for an option header is
 * an option running past the end.
 */
static int
nd_opt_next(const uint8_t *p, size_t len, size_t *off, const uint8_t **opt,
    size_t *olen)
{
	size_t rem = len - *off, n;

	if (rem == 0)
		return 0;
	if (rem < 2)
		return -1;
	n = (size_t)p[*off + 1] * 8;
	if (n == 0 || n > rem)
		return -1;
	*opt = p + *off;
	*olen = n;
	*off += n;
	return 1;
}

int
sw_wire_build_rs(uint8_t *out, size_t cap, const uint8_t src[static 16])
{
	uint8_t *m;

	if (cap < SW_IP6_HLEN + ICMP6_HLEN)
		return -EMSGSIZE;
	m = out + SW_IP6_HLEN;
	/* CLI-QUAL-2, RFC 4861 §4.1: to ff02::2, hop limit 255, no option. */
	sw_ip6_build(out, cap, src, all_routers, SW_NH_ICMP6, 255, ICMP6_HLEN);
	memset(m, 0, ICMP6_HLEN);
	m[0] = SW_ICMP6_RS;
	finish_icmp6(out, ICMP6_HLEN);
	return SW_IP6_HLEN + ICMP6_HLEN;
}

int
sw_wire_parse_rs(const struct sw_ip6_view *ip)
{
	const uint8_t *m = ip->payload, *opt;
	size_t off = ICMP6_HLEN, olen;
	int r;

	/* RFC 4861 §6.1.1 */
	if (ip->nxt != SW_NH_ICMP6 || ip->hlim != 255 ||
	    ip->plen < ICMP6_HLEN)
		return -EBADMSG;
	if (m[0] != SW_ICMP6_RS || m[1] != 0)
		return -EBADMSG;
	if (!sw_icmp6_checksum_ok(ip))
		return -EBADMSG;
	while ((r = nd_opt_next(m, ip->plen, &off, &opt, &olen)) > 0)
		continue;
	return r < 0 ? -EBADMSG : 0;
}

int
sw_wire_build_ra(uint8_t *out, size_t cap, const uint8_t src[static 16],
    const uint8_t dst[static 16], const struct sw_ra *ra)
{
	uint8_t *m, *o;
	size_t plen = RA_HLEN;

	if (ra->prefix_count > SW_RA_BUILD_MAX_PIO)
		return -EINVAL;
	plen += ra->prefix_count * ND_OPT_PIO_LEN;
	if (ra->has_mtu)
		plen += ND_OPT_MTU_LEN;
	if (cap < SW_IP6_HLEN + plen)
		return -EMSGSIZE;
	m = out + SW_IP6_HLEN;
	sw_ip6_build(out, cap, src, dst, SW_NH_ICMP6, 255, (uint16_t)plen);

	/* RFC 4861 §4.2 */
	m[0] = SW_ICMP6_RA;
	m[1] = 0;
	sw_put16(m + 2, 0);
	m[4] = ra->cur_hlim;
	m[5] = ra->flags;
	sw_put16(m + 6, ra->lifetime);
	sw_put32(m + 8, ra->reachable);
	sw_put32(m + 12, ra->retrans);
	o = m + RA_HLEN;

	for (unsigned i = 0; i < ra->prefix_count; i++) {
		/* §4.6.2 Prefix Information */
		o[0] = ND_OPT_PIO;
		o[1] = ND_OPT_PIO_LEN / 8;
		o[2] = ra->prefix_len;
		o[3] = ra->pio_flags;
		sw_put32(o + 4, ra->valid);
		sw_put32(o + 8, ra->preferred);
		sw_put32(o + 12, 0);	/* Reserved2 */
		memcpy(o + 16, ra->prefix, 16);
		o += ND_OPT_PIO_LEN;
	}
	if (ra->has_mtu) {
		/* §4.6.4 MTU */
		o[0] = ND_OPT_MTU;
		o[1] = ND_OPT_MTU_LEN / 8;
		sw_put16(o + 2, 0);
		sw_put32(o + 4, ra->mtu);
	}
	finish_icmp6(out, plen);
	return (int)(SW_IP6_HLEN + plen);
}

/*
 * RFC 4861 §6.1.2, CLI-RA-1 item 2.  A PIO or MTU option whose length is
 * not the one §4.6.2/§4.6.4 fixes is treated as invalid too: it could not
 * be read as such, and ignoring it would hide a PIO from the count.
 */
int
sw_wire_parse_ra(const struct sw_ip6_view *ip, struct sw_ra *ra,
    enum sw_drop *why)
{
	const uint8_t *m = ip->payload, *o;
	size_t off = RA_HLEN, olen;
	int r;

	memset(ra, 0, sizeof *ra);
	ok(why);
	if (ip->nxt != SW_NH_ICMP6 || ip->hlim != 255 || ip->plen < RA_HLEN)
		return bad(why, SW_DROP_RA_INVALID);
	/* IPv6 source link-local, fe80::/10 */
	if (ip->src[0] != 0xfe || (ip->src[1] & 0xc0) != 0x80)
		return bad(why, SW_DROP_RA_INVALID);
	if (m[0] != SW_ICMP6_RA || m[1] != 0)
		return bad(why, SW_DROP_RA_INVALID);
	if (!sw_icmp6_checksum_ok(ip))
		return bad(why, SW_DROP_RA_INVALID);
	ra->cur_hlim = m[4];
	ra->flags = m[5];
	ra->lifetime = sw_get16(m + 6);
	ra->reachable = sw_get32(m + 8);
	ra->retrans = sw_get32(m + 12);

	while ((r = nd_opt_next(m, ip->plen, &off, &o, &olen)) > 0) {
		switch (o[0]) {
		case ND_OPT_PIO:
			if (olen != ND_OPT_PIO_LEN)
				return bad(why, SW_DROP_RA_INVALID);
			if (ra->prefix_count++ > 0)
				break;
			ra->prefix_len = o[2];
			ra->pio_flags = o[3];
			ra->valid = sw_get32(o + 4);
			ra->preferred = sw_get32(o + 8);
			memcpy(ra->prefix, o + 16, 16);
			break;
		case ND_OPT_MTU:
			if (olen != ND_OPT_MTU_LEN)
				return bad(why, SW_DROP_RA_INVALID);
			if (ra->has_mtu)
				break;
			ra->has_mtu = true;
			ra->mtu = sw_get32(o + 4);
			break;
		default:	/* §6.1.2: unknown options are ignored */
			break;
		}
	}
	if (r < 0)
		return bad(why, SW_DROP_RA_INVALID);
	return 0;
}

/* ---- RFC 6081 trailers (§4, §5.1.2) ---------------------------------- */

/*
 * COM-TRL-5: "a valid unicast address": not 0/8 (this network), 127/8
 * (loopback), 224/4 (multicast) or 240/4 (reserved, with the limited
 * broadcast).  Private ranges are allowed on purpose (rfc-notes item 27).
 */
static bool
v4_unicast(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);

	return top != 0 && top != 127 && top < 224;
}

static void
parse_alt(const uint8_t *v, size_t vlen, struct sw_trailers *t)
{
	struct sw_v4ep ep;
	unsigned n, i;

	t->has_alt = true;
	/* COM-TRL-5: 2 reserved bytes + n * 6, n = 1..4 (8, 14, 20, 26). */
	if (vlen < 8 || vlen > 26 || (vlen - 2) % 6 != 0) {
		t->alt_malformed = true;
		return;
	}
	n = (unsigned)((vlen - 2) / 6);
	for (i = 0; i < n; i++) {
		ep.addr = sw_get32(v + 2 + 6 * i);
		ep.port = sw_get16(v + 6 + 6 * i);
		if (!v4_unicast(ep.addr) || ep.port == 0) {
			t->alt_malformed = true;
			t->alt_count = 0;
			return;
		}
		t->alt[i] = ep;
	}
	t->alt_count = n;
}

int
sw_wire_parse_trailers(const uint8_t *p, size_t len, struct sw_trailers *t,
    enum sw_drop *why)
{
	const uint8_t *v;
	size_t off = 0, vlen;
	uint8_t type;

	memset(t, 0, sizeof *t);
	ok(why);
	/* COM-TRL-2: in order. */
	while (off < len) {
		/* COM-TRL-3: stop at the first malformed trailer. */
		if (len - off < 2 || len - off - 2 < (size_t)p[off + 1]) {
			t->stopped = true;
			return 0;
		}
		type = p[off];
		vlen = p[off + 1];
		v = p + off + 2;
		off += 2 + vlen;

		switch (type) {
		case SW_TRL_NONCE:		/* COM-TRL-4 */
			if (vlen != 4)
				goto stop;
			if (!t->has_nonce) {
				t->has_nonce = true;
				memcpy(t->nonce, v, 4);
			}
			break;
		case SW_TRL_RANDOM_PORT:	/* COM-TRL-7, both type values */
		case SW_TRL_RANDOM_PORT_IANA:
			if (vlen != 2)
				goto stop;
			if (!t->has_random_port) {
				t->has_random_port = true;
				t->random_port = sw_get16(v);
			}
			break;
		case SW_TRL_ALT_ADDR:		/* COM-TRL-5, D24 */
			if (!t->has_alt)
				parse_alt(v, vlen, t);
			break;
		case SW_TRL_ND:			/* COM-TRL-6 */
			if (vlen != 4)
				goto stop;
			if (!t->has_nd) {
				t->has_nd = true;
				t->nd_type = v[0];
			}
			break;
		default:			/* COM-TRL-1 */
			if ((type & 0xc0) == 0x40)
				return bad(why, SW_DROP_TRAILER_MUST_DROP);
			t->skipped++;
			break;
		}
	}
	return 0;
stop:
	t->stopped = true;
	return 0;
}

int
sw_wire_build_trailer_nonce(uint8_t *out, size_t cap,
    const uint8_t nonce[static 4])
{
	if (cap < 6)
		return -EMSGSIZE;
	out[0] = SW_TRL_NONCE;
	out[1] = 4;
	memcpy(out + 2, nonce, 4);
	return 6;
}

int
sw_wire_build_trailer_random_port(uint8_t *out, size_t cap, uint8_t type,
    uint16_t port)
{
	if (cap < 4)
		return -EMSGSIZE;
	out[0] = type;		/* 0x05 or 0x02: rfc-notes item 21 */
	out[1] = 2;
	sw_put16(out + 2, port);
	return 4;
}

/* n outside 1..4 gives -EINVAL. */
int
sw_wire_build_trailer_alt(uint8_t *out, size_t cap,
    const struct sw_v4ep *alt, unsigned n)
{
	size_t vlen = 2 + 6 * (size_t)n;
	unsigned i;

	if (n < 1 || n > SW_TRL_ALT_MAX)
		return -EINVAL;
	if (cap < 2 + vlen)
		return -EMSGSIZE;
	out[0] = SW_TRL_ALT_ADDR;
	out[1] = (uint8_t)vlen;
	sw_put16(out + 2, 0);	/* reserved, COM-TRL-5 */
	for (i = 0; i < n; i++) {
		sw_put32(out + 4 + 6 * i, alt[i].addr);
		sw_put16(out + 8 + 6 * i, alt[i].port);
	}
	return (int)(2 + vlen);
}

int
sw_wire_build_trailer_nd(uint8_t *out, size_t cap, uint8_t discovery_type)
{
	if (cap < 6)
		return -EMSGSIZE;
	/* COM-TRL-6: DiscoveryType + 3 reserved bytes. */
	out[0] = SW_TRL_ND;
	out[1] = 4;
	out[2] = discovery_type;
	out[3] = 0;
	out[4] = 0;
	out[5] = 0;
	return 6;
}
