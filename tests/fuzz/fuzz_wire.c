/*
 * fuzz_wire.c - libFuzzer target: one UDP payload through every parser of
 * wire.h (sw_wire_parse, then the IPv6 view, the extension chain, echo,
 * RS, RA, checksum and trailers), with the invariants the contract
 * promises checked on each success: views inside the input, 40 + PL ==
 * ip6_len, ip6 + ip6_len + trailers_len == end, header order (COM-ENC-3),
 * origin de-obfuscation (RFC 4380 §5.1.1) and re-encoding byte for byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* [p, p + n) lies inside [b, b + len). */
static bool
inside(const uint8_t *p, size_t n, const uint8_t *b, size_t len)
{
	return p != NULL && p >= b && (size_t)(p - b) <= len &&
	    n <= len - (size_t)(p - b);
}

static bool
d1_d2(enum sw_drop why)
{
	switch (why) {
	case SW_DROP_TRUNCATED:
	case SW_DROP_BAD_HEADER_CODE:
	case SW_DROP_AUTH_AFTER_ORIGIN:
	case SW_DROP_DUP_HEADER:
	case SW_DROP_BAD_AUTH_LEN:
	case SW_DROP_IP6_VERSION:
	case SW_DROP_IP6_LENGTH:
		return true;
	default:
		return false;
	}
}

static void
check_auth(const struct sw_teredo_view *v, const uint8_t *data, size_t size)
{
	const struct sw_auth_view *a = &v->auth;
	uint8_t out[13 + 255 + 255];
	size_t alen = 13 + (size_t)a->id_len + a->au_len;
	int r;

	CHECK(data[0] == 0x00 && data[1] == 0x01);	/* auth comes first */
	CHECK(inside(a->id, a->id_len, data, size));
	CHECK(inside(a->au, a->au_len, data, size));
	CHECK(inside(a->nonce, SW_NONCE_LEN + 1, data, size));
	CHECK(a->id == data + 4 && a->au == a->id + a->id_len &&
	    a->nonce == a->au + a->au_len);
	CHECK(a->conf == a->nonce[SW_NONCE_LEN]);
	r = sw_wire_build_auth(out, sizeof out, a->id, a->id_len, a->au,
	    a->au_len, a->nonce, a->conf);
	CHECK(r == (int)alen && memcmp(out, data, alen) == 0);
}

static void
check_origin(const struct sw_teredo_view *v, const uint8_t *data, size_t size)
{
	uint8_t out[SW_ORIGIN_LEN];
	size_t want_off = v->has_auth ? 13 + (size_t)v->auth.id_len +
	    v->auth.au_len : 0;

	CHECK(v->origin_raw == data + want_off);
	CHECK(inside(v->origin_raw, SW_ORIGIN_LEN, data, size));
	CHECK(v->origin_raw[0] == 0 && v->origin_raw[1] == 0);
	CHECK(v->origin.port == (uint16_t)~sw_get16(v->origin_raw + 2));
	CHECK(v->origin.addr == ~sw_get32(v->origin_raw + 4));
	CHECK(sw_wire_build_origin(out, sizeof out, &v->origin) ==
	    SW_ORIGIN_LEN);
	CHECK(memcmp(out, v->origin_raw, SW_ORIGIN_LEN) == 0);
}

static void
check_walk(const struct sw_ip6_view *ip)
{
	struct sw_ip6_chain c;
	enum sw_drop why = SW_DROP__COUNT;
	int r;

	r = sw_ip6_walk(ip, &c, &why);
	if (r != 0) {
		CHECK(r == -EBADMSG && why == SW_DROP_BAD_EXT_HEADER);
		CHECK(sw_ip6_walk(ip, &c, NULL) == r);
		return;
	}
	CHECK(why == SW_DROP_NONE);
	CHECK(c.ulp_off <= ip->plen);
	if (c.rh_present)
		CHECK((size_t)c.rh_off + 8 <= ip->plen &&
		    ip->payload[c.rh_off + 2] == c.rh_type &&
		    ip->payload[c.rh_off + 3] == c.rh_segleft);
	if (!c.fragment)
		CHECK(c.ulp != SW_NH_HOPOPTS && c.ulp != SW_NH_ROUTING &&
		    c.ulp != SW_NH_DSTOPTS && c.ulp != SW_NH_FRAGMENT);
	if (c.ulp_off == 0)
		CHECK(c.ulp == ip->nxt);
}

/* RFC 1071 one byte at a time, as a reference for sw_icmp6_checksum:
 * even offsets are high bytes; the pseudo-header is 40 bytes. */
static uint16_t
ref_checksum(const struct sw_ip6_view *ip)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < 32; i++)
		sum += (uint64_t)ip->src[i] << (i % 2 ? 0 : 8);
	sum += ip->plen;		/* 32-bit length, high half 0 */
	sum += SW_NH_ICMP6;
	for (i = 0; i < ip->plen; i++)
		sum += (uint64_t)ip->payload[i] << (i % 2 ? 0 : 8);
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)~sum;
}

/*
 * A rebuilt ICMPv6 packet equals the received one, except that a received
 * checksum of 0xffff is rebuilt as 0x0000: both are one's-complement
 * zero, and both verify (found by the 600 s fuzz run).
 */
static bool
same_but_checksum(const uint8_t *built, const uint8_t *got, size_t len)
{
	const size_t ck = SW_IP6_HLEN + 2;
	uint16_t b = sw_get16(built + ck), g = sw_get16(got + ck);

	if (memcmp(built, got, ck) != 0 ||
	    memcmp(built + ck + 2, got + ck + 2, len - ck - 2) != 0)
		return false;
	return b == g || (b == 0x0000 && g == 0xffff);
}

static void
check_icmp6(const struct sw_ip6_view *ip)
{
	struct sw_echo_view e;
	struct sw_ra ra;
	enum sw_drop why = SW_DROP__COUNT;
	uint8_t out[SW_IP6_HLEN + 65535];
	bool ck = sw_icmp6_checksum_ok(ip);
	int r;

	/* src and dst are contiguous in the header. */
	CHECK(ip->dst == ip->src + 16);
	CHECK(sw_icmp6_checksum(ip->src, ip->dst, ip->payload, ip->plen) ==
	    ref_checksum(ip));
	CHECK(ck == (ip->nxt == SW_NH_ICMP6 && ip->plen >= 4 &&
	    ref_checksum(ip) == 0));

	if (sw_wire_parse_echo(ip, &e) == 0) {
		CHECK(ck && ip->nxt == SW_NH_ICMP6);
		CHECK(e.type == SW_ICMP6_ECHO_REQ ||
		    e.type == SW_ICMP6_ECHO_REPLY);
		CHECK(e.data == ip->payload + 8 &&
		    e.data_len + 8 == ip->plen);
		/* Rebuilt from the view: identical when class/flow are 0. */
		if (ip->tclass == 0 && ip->flow == 0) {
			r = sw_wire_build_echo(out, sizeof out, e.type,
			    ip->src, ip->dst, ip->hlim, e.id, e.seq, e.data,
			    e.data_len);
			CHECK(r == SW_IP6_HLEN + (int)ip->plen);
			CHECK(same_but_checksum(out, ip->hdr, (size_t)r));
		}
	}

	if (sw_wire_parse_rs(ip) == 0) {
		CHECK(ck && ip->hlim == 255 && ip->plen >= 8 &&
		    ip->payload[0] == SW_ICMP6_RS && ip->payload[1] == 0);
		/* Without options it is what sw_wire_build_rs makes. */
		if (ip->plen == 8 && ip->tclass == 0 && ip->flow == 0 &&
		    sw_get32(ip->payload + 4) == 0 &&
		    ip->dst[0] == 0xff && ip->dst[1] == 0x02 &&
		    ip->dst[15] == 0x02 && sw_get32(ip->dst + 2) == 0 &&
		    sw_get32(ip->dst + 6) == 0 && sw_get32(ip->dst + 10) == 0 &&
		    ip->dst[14] == 0) {
			CHECK(sw_wire_build_rs(out, sizeof out, ip->src) == 48);
			CHECK(same_but_checksum(out, ip->hdr, 48));
		}
	}

	r = sw_wire_parse_ra(ip, &ra, &why);
	if (r == 0) {
		CHECK(why == SW_DROP_NONE);
		CHECK(ck && ip->hlim == 255 && ip->plen >= 16 &&
		    ip->payload[0] == SW_ICMP6_RA && ip->payload[1] == 0);
		CHECK(ip->src[0] == 0xfe && (ip->src[1] & 0xc0) == 0x80);
		CHECK(16 + 32 * (size_t)ra.prefix_count +
		    (ra.has_mtu ? 8 : 0) <= ip->plen);
		CHECK(ra.lifetime == sw_get16(ip->payload + 6));
	} else {
		CHECK(r == -EBADMSG && why == SW_DROP_RA_INVALID);
	}
}

static void
check_trailers(const uint8_t *p, size_t len)
{
	struct sw_trailers t;
	enum sw_drop why = SW_DROP__COUNT;
	int r;

	r = sw_wire_parse_trailers(p, len, &t, &why);
	if (r != 0) {
		CHECK(r == -EBADMSG && why == SW_DROP_TRAILER_MUST_DROP);
		return;
	}
	CHECK(why == SW_DROP_NONE);
	CHECK(t.alt_count <= SW_TRL_ALT_MAX);
	CHECK(t.has_alt || t.alt_count == 0);
	CHECK(!t.alt_malformed || t.alt_count == 0);
	CHECK(!t.alt_malformed || t.has_alt);
	CHECK(t.skipped <= len / 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why = SW_DROP__COUNT;
	int r;

	r = sw_wire_parse(data, size, &v, &why);
	CHECK(sw_wire_parse(data, size, &v, NULL) == r);
	if (r != 0) {
		CHECK(r == -EBADMSG && d1_d2(why));
		return 0;
	}
	CHECK(why == SW_DROP_NONE);

	/* The split covers the input exactly (COM-ENC-*, COM-IP6-2). */
	CHECK(v.ip6_len >= SW_IP6_HLEN);
	CHECK(inside(v.ip6, v.ip6_len, data, size));
	CHECK(v.trailers == v.ip6 + v.ip6_len);
	CHECK(v.ip6 + v.ip6_len + v.trailers_len == data + size);
	CHECK((v.ip6[0] >> 4) == 6);
	CHECK((size_t)(v.ip6 - data) == (v.has_auth ? 13 +
	    (size_t)v.auth.id_len + v.auth.au_len : 0) +
	    (v.has_origin ? SW_ORIGIN_LEN : 0));
	if (v.has_auth)
		check_auth(&v, data, size);
	if (v.has_origin)
		check_origin(&v, data, size);

	CHECK(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) == 0);
	CHECK(why == SW_DROP_NONE);
	CHECK(SW_IP6_HLEN + (size_t)ip.plen == v.ip6_len);
	CHECK(ip.hdr == v.ip6 && ip.src == v.ip6 + 8 &&
	    ip.dst == v.ip6 + 24 && ip.payload == v.ip6 + SW_IP6_HLEN);
	/* One byte less is IP6_LENGTH (D2). */
	CHECK(sw_ip6_parse(v.ip6, v.ip6_len - 1, &ip, &why) == -EBADMSG);
	CHECK(why == SW_DROP_IP6_LENGTH);
	CHECK(sw_ip6_parse(v.ip6, v.ip6_len, &ip, NULL) == 0);
	if (sw_ip6_is_bubble(&ip))
		CHECK(v.ip6_len == SW_IP6_HLEN && ip.nxt == SW_NH_NONE);

	check_walk(&ip);
	check_icmp6(&ip);
	check_trailers(v.trailers, v.trailers_len);
	return 0;
}
