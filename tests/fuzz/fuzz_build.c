/*
 * fuzz_build.c - libFuzzer target for the builders of wire.h.  The input
 * is a script: its bytes choose what to build (auth, origin, one of
 * bubble/echo/RS/RA, trailers), the field values and, now and then, a
 * small capacity.  Each builder must write exactly its documented size
 * and never a byte past cap (a canary follows the window), or return
 * -EMSGSIZE when cap is short.  The assembled payload must then parse back
 * to the values that went in (build -> parse round trip).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

#define CANARY_LEN	32
#define CANARY		0xa5
#define ROOM		2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads input bytes; zeros once it runs out. */
struct script {
	const uint8_t *p;
	size_t len, off;
};

static uint8_t
u8(struct script *s)
{
	return s->off < s->len ? s->p[s->off++] : 0;
}

static uint16_t
u16(struct script *s)
{
	uint16_t hi = u8(s);

	return (uint16_t)(hi << 8 | u8(s));
}

static uint32_t
u32(struct script *s)
{
	uint32_t hi = u16(s);

	return hi << 16 | u16(s);
}

/* Up to n bytes of input (the rest zero-filled) into out. */
static void
take(struct script *s, uint8_t *out, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		out[k] = u8(s);
}

/* The assembled payload, with a canary past each builder's window. */
struct asm_buf {
	uint8_t b[ROOM + CANARY_LEN];
	size_t pos;
};

/* Capacity for the next builder: usually what is left, sometimes small. */
static size_t
pick_cap(struct script *s, struct asm_buf *a, size_t need)
{
	uint8_t c = u8(s);
	size_t room = ROOM - a->pos;

	if (c >= 0xf0)		/* short by 1..16 */
		return need > (size_t)(c - 0xef) ? need - (size_t)(c - 0xef) :
		    0;
	if (c >= 0xe0)		/* any small cap */
		return (size_t)(c & 0x0f) * 4 < room ? (size_t)(c & 0x0f) * 4 :
		    room;
	return room;
}

static void
arm(struct asm_buf *a, size_t cap)
{
	memset(a->b + a->pos + cap, CANARY, CANARY_LEN);
}

/* Check one build: canary intact, result as documented.  True when the
 * bytes were written (pos advanced). */
static bool
done(struct asm_buf *a, size_t cap, int r, size_t need)
{
	size_t k;

	for (k = 0; k < CANARY_LEN; k++)
		CHECK(a->b[a->pos + cap + k] == CANARY);
	if (cap < need) {
		CHECK(r == -EMSGSIZE);
		return false;
	}
	CHECK(r == (int)need);
	a->pos += need;
	return true;
}

enum kind { K_BUBBLE, K_ECHO, K_RS, K_RA };

struct expect_trl {
	bool nonce, rport, alt, alt_bad, nd;
	uint8_t nonce_v[4], nd_type;
	uint16_t port;
	unsigned alt_count;
	struct sw_v4ep alt_v[SW_TRL_ALT_MAX];
};

static bool
v4_unicast(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);

	return top != 0 && top != 127 && top < 224;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct asm_buf a;
	static uint8_t echo_data[1024];
	struct script s = { data, size, 0 };
	uint8_t id[255], au[255], nonce[SW_NONCE_LEN], src[16], dst[16];
	uint8_t sel, id_len = 0, au_len = 0, conf = 0, hlim;
	struct sw_v4ep origin = { 0, 0 };
	struct sw_ra ra, ra_got;
	struct expect_trl et;
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	struct sw_echo_view e;
	struct sw_trailers t;
	uint16_t echo_id = 0, echo_seq = 0;
	size_t cap, need, dlen = 0, ip6_off, ip6_len = 0, trl_off;
	uint8_t echo_type = SW_ICMP6_ECHO_REQ;
	enum kind kind;
	enum sw_drop why;
	unsigned n, k, ntrl;
	int r;

	memset(&a, 0, sizeof a);
	memset(&et, 0, sizeof et);
	sel = u8(&s);

	/* Auth (COM-ENC-5/6): any id_len/au_len. */
	if (sel & 0x01) {
		id_len = u8(&s);
		au_len = u8(&s);
		conf = u8(&s);
		take(&s, nonce, sizeof nonce);
		take(&s, id, id_len);
		take(&s, au, au_len);
		need = 13 + (size_t)id_len + au_len;
		cap = pick_cap(&s, &a, need);
		arm(&a, cap);
		r = sw_wire_build_auth(a.b + a.pos, cap, id_len ? id : NULL,
		    id_len, au_len ? au : NULL, au_len, nonce, conf);
		if (!done(&a, cap, r, need))
			return 0;
	}
	/* Origin indication (RFC 4380 §5.1.1). */
	if (sel & 0x02) {
		origin.addr = u32(&s);
		origin.port = u16(&s);
		cap = pick_cap(&s, &a, SW_ORIGIN_LEN);
		arm(&a, cap);
		r = sw_wire_build_origin(a.b + a.pos, cap, &origin);
		if (!done(&a, cap, r, SW_ORIGIN_LEN))
			return 0;
	}

	/* The IPv6 packet. */
	ip6_off = a.pos;
	kind = (enum kind)((sel >> 2) & 3);
	take(&s, src, 16);
	take(&s, dst, 16);
	hlim = u8(&s);
	memset(&ra, 0, sizeof ra);
	switch (kind) {
	case K_BUBBLE:
		need = SW_IP6_HLEN;
		cap = pick_cap(&s, &a, need);
		arm(&a, cap);
		r = sw_wire_build_bubble(a.b + a.pos, cap, src, dst, hlim);
		break;
	case K_ECHO:
		echo_type = (sel & 0x10) ? SW_ICMP6_ECHO_REPLY :
		    SW_ICMP6_ECHO_REQ;
		echo_id = u16(&s);
		echo_seq = u16(&s);
		dlen = u16(&s) % sizeof echo_data;
		take(&s, echo_data, dlen);
		need = SW_IP6_HLEN + 8 + dlen;
		cap = pick_cap(&s, &a, need);
		arm(&a, cap);
		r = sw_wire_build_echo(a.b + a.pos, cap, echo_type, src, dst,
		    hlim, echo_id, echo_seq, dlen ? echo_data : NULL, dlen);
		break;
	case K_RS:
		need = SW_IP6_HLEN + 8;
		cap = pick_cap(&s, &a, need);
		arm(&a, cap);
		r = sw_wire_build_rs(a.b + a.pos, cap, src);
		break;
	case K_RA:
	default:
		/* RFC 4861 §6.1.2: the source must be link-local. */
		src[0] = 0xfe;
		src[1] = (uint8_t)(0x80 | (src[1] & 0x3f));
		ra.cur_hlim = u8(&s);
		ra.flags = u8(&s);
		ra.lifetime = u16(&s);
		ra.reachable = u32(&s);
		ra.retrans = u32(&s);
		ra.prefix_count = u8(&s) % (SW_RA_BUILD_MAX_PIO + 2);
		take(&s, ra.prefix, 16);
		ra.prefix_len = u8(&s);
		ra.pio_flags = u8(&s);
		ra.valid = u32(&s);
		ra.preferred = u32(&s);
		ra.has_mtu = (sel & 0x10) != 0;
		ra.mtu = u32(&s);
		need = SW_IP6_HLEN + 16 + 32 * ra.prefix_count +
		    (ra.has_mtu ? 8 : 0);
		cap = pick_cap(&s, &a, need);
		arm(&a, cap);
		r = sw_wire_build_ra(a.b + a.pos, cap, src, dst, &ra);
		if (ra.prefix_count > SW_RA_BUILD_MAX_PIO) {
			CHECK(r == -EINVAL);
			return 0;
		}
		break;
	}
	if (!done(&a, cap, r, need))
		return 0;
	ip6_len = need;

	/* RFC 6081 trailers, up to 4. */
	trl_off = a.pos;
	ntrl = (unsigned)(sel >> 5) & 7;
	for (k = 0; k < ntrl && k < 4; k++) {
		uint8_t op = u8(&s), nv[4], type;
		struct sw_v4ep alt[SW_TRL_ALT_MAX + 1];
		uint16_t port;

		switch (op & 3) {
		case 0:
			take(&s, nv, 4);
			need = 6;
			cap = pick_cap(&s, &a, need);
			arm(&a, cap);
			r = sw_wire_build_trailer_nonce(a.b + a.pos, cap, nv);
			if (!done(&a, cap, r, need))
				return 0;
			if (!et.nonce) {
				et.nonce = true;
				memcpy(et.nonce_v, nv, 4);
			}
			break;
		case 1:
			type = (op & 4) ? SW_TRL_RANDOM_PORT_IANA :
			    SW_TRL_RANDOM_PORT;
			port = u16(&s);
			need = 4;
			cap = pick_cap(&s, &a, need);
			arm(&a, cap);
			r = sw_wire_build_trailer_random_port(a.b + a.pos, cap,
			    type, port);
			if (!done(&a, cap, r, need))
				return 0;
			if (!et.rport) {
				et.rport = true;
				et.port = port;
			}
			break;
		case 2:
			n = (unsigned)(op >> 2) % 6;	/* 0..5, 0 and 5 bad */
			for (unsigned j = 0; j < n; j++) {
				alt[j].addr = u32(&s);
				alt[j].port = u16(&s);
			}
			if (n < 1 || n > SW_TRL_ALT_MAX) {
				cap = pick_cap(&s, &a, 0);
				arm(&a, cap);
				r = sw_wire_build_trailer_alt(a.b + a.pos, cap,
				    alt, n);
				CHECK(r == -EINVAL);
				for (size_t c = 0; c < CANARY_LEN; c++)
					CHECK(a.b[a.pos + cap + c] == CANARY);
				break;
			}
			need = 4 + 6 * (size_t)n;
			cap = pick_cap(&s, &a, need);
			arm(&a, cap);
			r = sw_wire_build_trailer_alt(a.b + a.pos, cap, alt, n);
			if (!done(&a, cap, r, need))
				return 0;
			if (!et.alt) {
				et.alt = true;
				for (unsigned j = 0; j < n; j++)
					if (!v4_unicast(alt[j].addr) ||
					    alt[j].port == 0)
						et.alt_bad = true;
				if (!et.alt_bad) {
					et.alt_count = n;
					memcpy(et.alt_v, alt, n * sizeof alt[0]);
				}
			}
			break;
		default:
			type = u8(&s);
			need = 6;
			cap = pick_cap(&s, &a, need);
			arm(&a, cap);
			r = sw_wire_build_trailer_nd(a.b + a.pos, cap, type);
			if (!done(&a, cap, r, need))
				return 0;
			if (!et.nd) {
				et.nd = true;
				et.nd_type = type;
			}
			break;
		}
	}

	/* Round trip: the payload parses back to what went in. */
	CHECK(sw_wire_parse(a.b, a.pos, &v, &why) == 0);
	CHECK(why == SW_DROP_NONE);
	CHECK(v.has_auth == ((sel & 0x01) != 0));
	CHECK(v.has_origin == ((sel & 0x02) != 0));
	if (v.has_auth) {
		CHECK(v.auth.id_len == id_len && v.auth.au_len == au_len);
		CHECK(v.auth.conf == conf);
		CHECK(memcmp(v.auth.nonce, nonce, SW_NONCE_LEN) == 0);
		CHECK(id_len == 0 || memcmp(v.auth.id, id, id_len) == 0);
		CHECK(au_len == 0 || memcmp(v.auth.au, au, au_len) == 0);
	}
	if (v.has_origin)
		CHECK(sw_v4ep_eq(&v.origin, &origin));
	CHECK(v.ip6 == a.b + ip6_off && v.ip6_len == ip6_len);
	CHECK(v.trailers == a.b + trl_off && v.trailers_len == a.pos - trl_off);

	CHECK(sw_ip6_parse(v.ip6, v.ip6_len, &ip, NULL) == 0);
	CHECK(memcmp(ip.src, src, 16) == 0);
	CHECK(ip.tclass == 0 && ip.flow == 0);
	switch (kind) {
	case K_BUBBLE:
		CHECK(sw_ip6_is_bubble(&ip));
		CHECK(memcmp(ip.dst, dst, 16) == 0 && ip.hlim == hlim);
		break;
	case K_ECHO:
		CHECK(sw_icmp6_checksum_ok(&ip));
		CHECK(sw_wire_parse_echo(&ip, &e) == 0);
		CHECK(e.type == echo_type && e.id == echo_id &&
		    e.seq == echo_seq && e.data_len == dlen);
		CHECK(dlen == 0 || memcmp(e.data, echo_data, dlen) == 0);
		CHECK(memcmp(ip.dst, dst, 16) == 0 && ip.hlim == hlim);
		break;
	case K_RS:
		CHECK(sw_wire_parse_rs(&ip) == 0);
		CHECK(ip.hlim == 255 && ip.dst[0] == 0xff &&
		    ip.dst[1] == 0x02 && ip.dst[15] == 0x02);
		break;
	case K_RA:
	default:
		CHECK(sw_wire_parse_ra(&ip, &ra_got, &why) == 0);
		CHECK(memcmp(ip.dst, dst, 16) == 0 && ip.hlim == 255);
		CHECK(ra_got.cur_hlim == ra.cur_hlim &&
		    ra_got.flags == ra.flags &&
		    ra_got.lifetime == ra.lifetime &&
		    ra_got.reachable == ra.reachable &&
		    ra_got.retrans == ra.retrans);
		CHECK(ra_got.prefix_count == ra.prefix_count);
		if (ra.prefix_count)
			CHECK(memcmp(ra_got.prefix, ra.prefix, 16) == 0 &&
			    ra_got.prefix_len == ra.prefix_len &&
			    ra_got.pio_flags == ra.pio_flags &&
			    ra_got.valid == ra.valid &&
			    ra_got.preferred == ra.preferred);
		CHECK(ra_got.has_mtu == ra.has_mtu);
		if (ra.has_mtu)
			CHECK(ra_got.mtu == ra.mtu);
		break;
	}

	CHECK(sw_wire_parse_trailers(v.trailers, v.trailers_len, &t, &why) ==
	    0);
	CHECK(!t.stopped && t.skipped == 0);
	CHECK(t.has_nonce == et.nonce && t.has_random_port == et.rport &&
	    t.has_alt == et.alt && t.alt_malformed == et.alt_bad &&
	    t.has_nd == et.nd && t.alt_count == et.alt_count);
	if (et.nonce)
		CHECK(memcmp(t.nonce, et.nonce_v, 4) == 0);
	if (et.rport)
		CHECK(t.random_port == et.port);
	if (et.nd)
		CHECK(t.nd_type == et.nd_type);
	for (k = 0; k < et.alt_count; k++)
		CHECK(sw_v4ep_eq(&t.alt[k], &et.alt_v[k]));
	return 0;
}
