/*
 * test_wire.c - lib/wire.c: Teredo encapsulation (RFC 4380 §5.1.1,
 * COM-ENC-*), IPv6 header and extension chain (COM-IP6-*, RFC 8200 §4),
 * ICMPv6 checksum and echo (RFC 4443), RS/RA (RFC 4861 §4.1, §4.2, §6.1,
 * CLI-RA-1, SRV-RA-8) and RFC 6081 trailers (COM-TRL-1..7, D22, D24).
 *
 * The "real" packets are UDP payloads of shared/captures/miredo-sample.pcap
 * (frames 1, 2, 4 and 7: a Miredo client and server).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "wire.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------ */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex (spaces allowed) into out; fails the test on bad input. */
static size_t
unhex(uint8_t *out, size_t cap, const char *s)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		lo = hexval(s[1]);
		assert_true(hi >= 0 && lo >= 0);
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

/* Parse a private copy of exactly len bytes, so ASan sees any overread. */
static int
parse_exact(const uint8_t *p, size_t len, struct sw_teredo_view *v,
    enum sw_drop *why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, p, len);
	r = sw_wire_parse(copy, len, v, why);
	free(copy);
	return r;
}

/* Recompute the ICMPv6 checksum of an IPv6 packet after an edit. */
static void
reseal(uint8_t *pkt)
{
	size_t plen = sw_get16(pkt + 4);

	sw_put16(pkt + 42, 0);
	sw_put16(pkt + 42, sw_icmp6_checksum(pkt + 8, pkt + 24, pkt + 40,
	    plen));
}

static const uint8_t ll_client[16] = {	/* fe80::ffff:ffff:ffff, COM-LL-1 */
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
static const uint8_t ll_server[16] = {	/* fe80::8000:f227:3fff:fdf5 */
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0xf2, 0x27, 0x3f, 0xff,
	0xfd, 0xf5,
};
static const uint8_t teredo_a[16] = {	/* 2001:0:c000:20a:2c39:4fb4:39cc:9bfe */
	0x20, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x0a, 0x2c, 0x39, 0x4f, 0xb4,
	0x39, 0xcc, 0x9b, 0xfe,
};
static const uint8_t native_b[16] = {	/* 2001:db8:1::100 */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
};

/* Frame 1: nonce-only auth + RS from fe80::ffff:ffff:ffff to ff02::2. */
#define PCAP_RS_AUTH "000100001350343ef2f3255000"
#define PCAP_RS_IP6 \
	"6000000000083afffe800000000000000000ffffffffffffff02000000000000" \
	"000000000000000285007d3700000000"
/* Frame 2: auth + origin 198.51.100.1:45131 + Miredo's RA (SRV-RA-8). */
#define PCAP_RA_HDRS "000100001350343ef2f3255000" "00004fb439cc9bfe"
#define PCAP_RA_IP6 \
	"6000000000383afffe800000000000008000f2273ffffdf5fe80000000000000" \
	"0000ffffffffffff8600954c0000000000000000000007d003044040ffffffff" \
	"ffffffff0000000020010000c000020a00000000000000000501000000000500"
/* Frame 4: origin 192.0.2.20:3545 + indirect bubble. */
#define PCAP_BUBBLE_OI \
	"0000f2263ffffdeb6000000000003b00fe800000000000005cf3f4dc6d881b39" \
	"20010000c000020a2c394fb439cc9bfe"
/* Frame 7: echo request (direct IPv6 connectivity test), 18 data bytes. */
#define PCAP_ECHO \
	"60000000001a3a8020010000c000020a2c394fb439cc9bfe20010db800010000" \
	"000000000000010080004dd479cde2836b0259a4bb4e33b50a029a687fe86f48" \
	"2bc1"

/* Building blocks for hand-made payloads. */
#define AUTH0	"0001 0000 0102030405060708 00"		/* 13 bytes */
#define ORIGIN	"0000 feae fefdfcfb"			/* 1.2.3.4:337 */
#define ADDRS	"fe800000000000000000ffffffffffff" \
		"ff020000000000000000000000000002"
#define IP6(pl, nh) "60000000" pl nh "ff" ADDRS		/* 40 bytes */
#define BUBBLE	IP6("0000", "3b")

/* ---- origin indication (RFC 4380 §5.1.1) -------------------------------- */

static void
test_origin_rfc_example(void **state)
{
	static const uint8_t want[8] = {
		0x00, 0x00, 0xfe, 0xae, 0xfe, 0xfd, 0xfc, 0xfb,
	};
	struct sw_v4ep o = { SW_IP4(1, 2, 3, 4), 337 };
	struct sw_teredo_view v;
	uint8_t buf[64];
	size_t n;

	(void)state;
	assert_int_equal(sw_wire_build_origin(buf, sizeof buf, &o), 8);
	assert_memory_equal(buf, want, 8);
	assert_int_equal(sw_wire_build_origin(buf, 7, &o), -EMSGSIZE);

	n = unhex(buf, sizeof buf, ORIGIN BUBBLE);
	assert_int_equal(parse_exact(buf, n, &v, NULL), 0);
	assert_true(v.has_origin);
	assert_false(v.has_auth);
	assert_int_equal(v.origin.addr, SW_IP4(1, 2, 3, 4));
	assert_int_equal(v.origin.port, 337);
	assert_int_equal(v.ip6_len, 40);
	assert_int_equal(v.trailers_len, 0);
}

static void
test_parse_pcap_frames(void **state)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t buf[256];
	size_t n;

	(void)state;
	/* Frame 2: auth, origin, RA. */
	n = unhex(buf, sizeof buf, PCAP_RA_HDRS PCAP_RA_IP6);
	assert_int_equal(n, 117);
	assert_int_equal(sw_wire_parse(buf, n, &v, &why), 0);
	assert_int_equal(why, SW_DROP_NONE);
	assert_true(v.has_auth && v.has_origin);
	assert_int_equal(v.auth.id_len, 0);
	assert_int_equal(v.auth.au_len, 0);
	assert_ptr_equal(v.auth.nonce, buf + 4);
	assert_int_equal(v.auth.nonce[0], 0x13);
	assert_int_equal(v.auth.conf, 0);
	assert_ptr_equal(v.origin_raw, buf + 13);
	assert_int_equal(v.origin.addr, SW_IP4(198, 51, 100, 1));
	assert_int_equal(v.origin.port, 45131);
	assert_ptr_equal(v.ip6, buf + 21);
	assert_int_equal(v.ip6_len, 96);
	assert_ptr_equal(v.trailers, buf + n);
	assert_int_equal(v.trailers_len, 0);

	/* Frame 4: origin 192.0.2.20:3545, bubble. */
	n = unhex(buf, sizeof buf, PCAP_BUBBLE_OI);
	assert_int_equal(sw_wire_parse(buf, n, &v, &why), 0);
	assert_false(v.has_auth);
	assert_int_equal(v.origin.addr, SW_IP4(192, 0, 2, 20));
	assert_int_equal(v.origin.port, 3545);
	assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why), 0);
	assert_true(sw_ip6_is_bubble(&ip));
	assert_memory_equal(ip.dst, teredo_a, 16);
}

/* ---- auth encapsulation (COM-ENC-5/6) ---------------------------------- */

static void
test_auth_roundtrip(void **state)
{
	static const struct { uint8_t id_len, au_len; } lens[] = {
		{ 0, 0 }, { 0, 20 }, { 5, 0 }, { 1, 1 }, { 16, 20 },
		{ 255, 0 }, { 0, 255 }, { 255, 255 },
	};
	static const uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t id[255], au[255], buf[13 + 255 + 255 + 40 + 8];
	struct sw_teredo_view v;
	enum sw_drop why;
	size_t i, n, alen;
	int r;

	(void)state;
	for (i = 0; i < sizeof id; i++) {
		id[i] = (uint8_t)i;
		au[i] = (uint8_t)~i;
	}
	for (i = 0; i < NELEM(lens); i++) {
		alen = 13 + (size_t)lens[i].id_len + lens[i].au_len;
		r = sw_wire_build_auth(buf, alen - 1, id, lens[i].id_len, au,
		    lens[i].au_len, nonce, 7);
		assert_int_equal(r, -EMSGSIZE);
		r = sw_wire_build_auth(buf, sizeof buf, id, lens[i].id_len, au,
		    lens[i].au_len, nonce, 7);
		assert_int_equal(r, (int)alen);
		n = alen + unhex(buf + alen, sizeof buf - alen, BUBBLE);
		assert_int_equal(parse_exact(buf, n, &v, &why), 0);
		assert_true(v.has_auth);
		assert_false(v.has_origin);
		assert_int_equal(v.auth.id_len, lens[i].id_len);
		assert_int_equal(v.auth.au_len, lens[i].au_len);
		assert_int_equal(v.auth.conf, 7);
		assert_int_equal(v.ip6_len, 40);

		/* Views point into the buffer. */
		assert_int_equal(sw_wire_parse(buf, n, &v, &why), 0);
		assert_ptr_equal(v.auth.id, buf + 4);
		assert_ptr_equal(v.auth.au, buf + 4 + lens[i].id_len);
		assert_ptr_equal(v.auth.nonce, buf + alen - 9);
		assert_memory_equal(v.auth.nonce, nonce, 8);
		if (lens[i].id_len > 0)
			assert_memory_equal(v.auth.id, id, lens[i].id_len);
		if (lens[i].au_len > 0)
			assert_memory_equal(v.auth.au, au, lens[i].au_len);
		assert_ptr_equal(v.ip6, buf + alen);

		/* The auth header alone, one byte short: BAD_AUTH_LEN
		 * (or TRUNCATED under the 13-byte minimum). */
		assert_int_equal(parse_exact(buf, alen - 1, &v, &why),
		    -EBADMSG);
		assert_int_equal(why, alen - 1 < 13 ? SW_DROP_TRUNCATED :
		    SW_DROP_BAD_AUTH_LEN);
		/* Exactly fitting but no IPv6 after it. */
		assert_int_equal(parse_exact(buf, alen, &v, &why), -EBADMSG);
		assert_int_equal(why, SW_DROP_TRUNCATED);
	}
	/* NULL id / au are fine with zero lengths. */
	assert_int_equal(sw_wire_build_auth(buf, 13, NULL, 0, NULL, 0, nonce,
	    0), 13);
}

/* ---- every discard reason of sw_wire_parse, next to its nearest good
 * input (COM-ENC-2/3/6, COM-IP6-1/2, D1, D2) ------------------------------ */

static const struct parse_case {
	const char *what;
	const char *hex;
	int ret;
	enum sw_drop why;
	size_t ip6_len, trailers_len;
} parse_cases[] = {
	{ "empty", "", -EBADMSG, SW_DROP_TRUNCATED, 0, 0 },
	{ "lone 00", "00", -EBADMSG, SW_DROP_TRUNCATED, 0, 0 },
	{ "bad code 00 02", "0002" BUBBLE, -EBADMSG, SW_DROP_BAD_HEADER_CODE,
	    0, 0 },
	{ "bad code 00 ff", "00ff" BUBBLE, -EBADMSG, SW_DROP_BAD_HEADER_CODE,
	    0, 0 },
	{ "IPv4 header", "4500001c" "00000000", -EBADMSG,
	    SW_DROP_BAD_HEADER_CODE, 0, 0 },
	{ "first byte 01", "01" BUBBLE, -EBADMSG, SW_DROP_BAD_HEADER_CODE,
	    0, 0 },
	{ "first byte 7x", "70" BUBBLE, -EBADMSG, SW_DROP_BAD_HEADER_CODE,
	    0, 0 },
	{ "IPv4 after auth", AUTH0 "45000000", -EBADMSG,
	    SW_DROP_BAD_HEADER_CODE, 0, 0 },
	{ "bad code after origin", ORIGIN "0003" BUBBLE, -EBADMSG,
	    SW_DROP_BAD_HEADER_CODE, 0, 0 },
	{ "plain bubble", BUBBLE, 0, SW_DROP_NONE, 40, 0 },
	{ "auth only", AUTH0, -EBADMSG, SW_DROP_TRUNCATED, 0, 0 },
	{ "auth 12 bytes", "0001 0000 0102030405060708", -EBADMSG,
	    SW_DROP_TRUNCATED, 0, 0 },
	{ "auth + bubble", AUTH0 BUBBLE, 0, SW_DROP_NONE, 40, 0 },
	{ "auth id_len 1 au_len 2 fits", "0001 0102 aa bbcc 0102030405060708 01"
	    BUBBLE, 0, SW_DROP_NONE, 40, 0 },
	{ "auth lengths overrun", "0001 ffff 0102030405060708 00" BUBBLE,
	    -EBADMSG, SW_DROP_BAD_AUTH_LEN, 0, 0 },
	{ "auth id_len one past", "0001 0100 0102030405060708 00", -EBADMSG,
	    SW_DROP_BAD_AUTH_LEN, 0, 0 },
	{ "origin 7 bytes", "0000 feae fefdfc", -EBADMSG, SW_DROP_TRUNCATED,
	    0, 0 },
	{ "origin only", ORIGIN, -EBADMSG, SW_DROP_TRUNCATED, 0, 0 },
	{ "auth + origin + bubble", AUTH0 ORIGIN BUBBLE, 0, SW_DROP_NONE, 40,
	    0 },
	{ "origin then auth", ORIGIN AUTH0 BUBBLE, -EBADMSG,
	    SW_DROP_AUTH_AFTER_ORIGIN, 0, 0 },
	{ "two auths", AUTH0 AUTH0 BUBBLE, -EBADMSG, SW_DROP_DUP_HEADER, 0,
	    0 },
	{ "two origins", ORIGIN ORIGIN BUBBLE, -EBADMSG, SW_DROP_DUP_HEADER,
	    0, 0 },
	{ "auth, two origins", AUTH0 ORIGIN ORIGIN BUBBLE, -EBADMSG,
	    SW_DROP_DUP_HEADER, 0, 0 },
	{ "auth, origin, auth", AUTH0 ORIGIN AUTH0 BUBBLE, -EBADMSG,
	    SW_DROP_DUP_HEADER, 0, 0 },
	{ "IPv6 39 bytes", "60000000 0000 3b ff" "fe80000000000000"
	    "0000ffffffffffffff0200000000000000000000000000", -EBADMSG,
	    SW_DROP_IP6_LENGTH, 0, 0 },
	{ "IPv6 1 byte after origin", ORIGIN "60", -EBADMSG,
	    SW_DROP_IP6_LENGTH, 0, 0 },
	{ "40+PL == remaining", IP6("0008", "3b") "0102030405060708", 0,
	    SW_DROP_NONE, 48, 0 },
	{ "40+PL == remaining+1", IP6("0009", "3b") "0102030405060708",
	    -EBADMSG, SW_DROP_IP6_LENGTH, 0, 0 },
	{ "PL 0xffff", IP6("ffff", "3b") "00", -EBADMSG, SW_DROP_IP6_LENGTH,
	    0, 0 },
	{ "40+PL < remaining: trailers (COM-IP6-2)",
	    IP6("0004", "3b") "01020304" "01 04 aabbccdd", 0, SW_DROP_NONE,
	    44, 6 },
	{ "auth + origin + trailer", AUTH0 ORIGIN BUBBLE "05 02 1234", 0,
	    SW_DROP_NONE, 40, 4 },
	{ "traffic class and flow set", "6fffffff 0000 3b ff" ADDRS, 0,
	    SW_DROP_NONE, 40, 0 },
};

static void
test_parse_table(void **state)
{
	struct sw_teredo_view v;
	enum sw_drop why;
	uint8_t buf[256];
	size_t i, n;
	int r;

	(void)state;
	for (i = 0; i < NELEM(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];

		n = unhex(buf, sizeof buf, c->hex);
		why = SW_DROP__COUNT;
		r = parse_exact(buf, n, &v, &why);
		if (r != c->ret || why != c->why)
			fail_msg("case \"%s\": got %d/%s, want %d/%s", c->what,
			    r, sw_drop_name(why), c->ret, sw_drop_name(c->why));
		/* why == NULL gives the same answer. */
		assert_int_equal(parse_exact(buf, n, &v, NULL), c->ret);
		if (r != 0)
			continue;
		assert_int_equal(v.ip6_len, c->ip6_len);
		assert_int_equal(v.trailers_len, c->trailers_len);
		assert_int_equal(sw_wire_parse(buf, n, &v, NULL), 0);
		assert_ptr_equal(v.ip6 + v.ip6_len + v.trailers_len, buf + n);
	}
}

/* ---- IPv6 header ------------------------------------------------------- */

static void
test_ip6_parse_build(void **state)
{
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t buf[64];
	size_t n;

	(void)state;
	assert_int_equal(sw_ip6_build(buf, 39, ll_client, native_b, 6, 64,
	    0), -EMSGSIZE);
	assert_int_equal(sw_ip6_build(buf, sizeof buf, ll_client, native_b,
	    SW_NH_TCP, 64, 20), 40);
	assert_int_equal(sw_ip6_parse(buf, 59, &ip, &why), -EBADMSG);
	assert_int_equal(why, SW_DROP_IP6_LENGTH);
	assert_int_equal(sw_ip6_parse(buf, 60, &ip, &why), 0);
	assert_ptr_equal(ip.hdr, buf);
	assert_ptr_equal(ip.src, buf + 8);
	assert_ptr_equal(ip.dst, buf + 24);
	assert_ptr_equal(ip.payload, buf + 40);
	assert_memory_equal(ip.src, ll_client, 16);
	assert_memory_equal(ip.dst, native_b, 16);
	assert_int_equal(ip.plen, 20);
	assert_int_equal(ip.nxt, SW_NH_TCP);
	assert_int_equal(ip.hlim, 64);
	assert_int_equal(ip.tclass, 0);
	assert_int_equal(ip.flow, 0);
	assert_false(sw_ip6_is_bubble(&ip));
	/* Extra bytes are ignored. */
	assert_int_equal(sw_ip6_parse(buf, 64, &ip, NULL), 0);

	/* Traffic class 0xab, flow label 0xcdef1. */
	n = unhex(buf, sizeof buf, "6abcdef1 0000 3b 01" ADDRS);
	assert_int_equal(sw_ip6_parse(buf, n, &ip, &why), 0);
	assert_int_equal(ip.tclass, 0xab);
	assert_int_equal(ip.flow, 0xcdef1);
	assert_true(sw_ip6_is_bubble(&ip));

	/* D2: version != 6, whatever the length. */
	buf[0] = 0x5b;
	assert_int_equal(sw_ip6_parse(buf, n, &ip, &why), -EBADMSG);
	assert_int_equal(why, SW_DROP_IP6_VERSION);
	assert_int_equal(sw_ip6_parse(buf, n, &ip, NULL), -EBADMSG);
	assert_int_equal(sw_ip6_parse(buf, 3, &ip, &why), -EBADMSG);
	assert_int_equal(why, SW_DROP_IP6_VERSION);
	assert_int_equal(sw_ip6_parse(NULL, 0, &ip, &why), -EBADMSG);
	assert_int_equal(why, SW_DROP_IP6_LENGTH);
}

static void
test_bubble(void **state)
{
	struct sw_ip6_view ip;
	uint8_t buf[48];

	(void)state;
	memset(buf, 0xa5, sizeof buf);
	assert_int_equal(sw_wire_build_bubble(buf, 39, teredo_a, native_b, 0),
	    -EMSGSIZE);
	assert_int_equal(buf[0], 0xa5);
	assert_int_equal(sw_wire_build_bubble(buf, 40, teredo_a, native_b, 0),
	    40);
	assert_int_equal(buf[40], 0xa5);
	assert_int_equal(sw_ip6_parse(buf, 40, &ip, NULL), 0);
	assert_true(sw_ip6_is_bubble(&ip));
	assert_int_equal(ip.nxt, SW_NH_NONE);
	assert_int_equal(ip.hlim, 0);
	assert_memory_equal(ip.src, teredo_a, 16);
	/* NH 59 with a payload is not a bubble (COM-BUB-1). */
	sw_put16(buf + 4, 1);
	assert_int_equal(sw_ip6_parse(buf, 41, &ip, NULL), 0);
	assert_false(sw_ip6_is_bubble(&ip));
	/* PL 0 with another NH is not a bubble either. */
	sw_put16(buf + 4, 0);
	buf[6] = SW_NH_ICMP6;
	assert_int_equal(sw_ip6_parse(buf, 40, &ip, NULL), 0);
	assert_false(sw_ip6_is_bubble(&ip));
}

/* ---- extension header walk (RFC 8200 §4, RFC 5095, D25) ----------------- */

struct walk_case {
	const char *what;
	uint8_t nxt;
	const char *payload;	/* hex */
	int ret;
	uint8_t ulp;
	uint16_t ulp_off;
	bool rh_present;
	uint8_t rh_type, rh_segleft;
	uint16_t rh_off;
	bool fragment;
};

#define RH0_2SEG "3b 04 00 02 00000000" \
	"20010db8000000000000000000000001" "20010db8000000000000000000000002"

static const struct walk_case walk_cases[] = {
	{ "no extension header", SW_NH_ICMP6, "80000000 00000000", 0,
	    SW_NH_ICMP6, 0, false, 0, 0, 0, false },
	{ "empty NH 59", SW_NH_NONE, "", 0, SW_NH_NONE, 0, false, 0, 0, 0,
	    false },
	{ "HBH 8 + DST 16 + TCP", SW_NH_HOPOPTS,
	    "3c 00 0104 00000000" "06 01 0000 0000 0000 0000000000000000"
	    "0000", 0, SW_NH_TCP, 24, false, 0, 0, 0, false },
	{ "RH0 segleft 2", SW_NH_ROUTING, RH0_2SEG, 0, SW_NH_NONE, 40, true,
	    0, 2, 0, false },
	{ "HBH + RH type 4", SW_NH_HOPOPTS,
	    "2b 00 0000 00000000" "3a 02 04 01 00000000"
	    "20010db8000000000000000000000001" "8000", 0, SW_NH_ICMP6, 32,
	    true, 4, 1, 8, false },
	{ "two RHs: first recorded", SW_NH_ROUTING,
	    "2b 00 02 00 00000000" "3b 00 00 05 00000000", 0, SW_NH_NONE, 16,
	    true, 2, 0, 0, false },
	{ "first fragment (M, Res set) + DST + ICMPv6", SW_NH_FRAGMENT,
	    "3c 00 0007 12345678" "3a 00 0000 00000000" "80000000", 0,
	    SW_NH_ICMP6, 16, false, 0, 0, 0, true },
	{ "later fragment: stop", SW_NH_FRAGMENT,
	    "2b 00 0100 12345678" "3b 00 00 01 00000000", 0, SW_NH_ROUTING, 8,
	    false, 0, 0, 0, true },
	{ "ESP is upper layer", SW_NH_ESP, "00000001", 0, SW_NH_ESP, 0,
	    false, 0, 0, 0, false },
	{ "HBH len 1 in 8 bytes", SW_NH_HOPOPTS, "3b 01 0000 00000000",
	    -EBADMSG, 0, 0, false, 0, 0, 0, false },
	{ "RH0 missing its last byte", SW_NH_ROUTING,
	    "3b 04 00 02 00000000" "20010db8000000000000000000000001"
	    "20010db80000000000000000000000", -EBADMSG, 0, 0, false, 0, 0, 0,
	    false },
	{ "HBH with 1 byte", SW_NH_HOPOPTS, "3b", -EBADMSG, 0, 0, false, 0, 0,
	    0, false },
	{ "DST, then nothing for HBH", SW_NH_DSTOPTS, "00 00 0000 00000000",
	    -EBADMSG, 0, 0, false, 0, 0, 0, false },
	{ "fragment 7 bytes", SW_NH_FRAGMENT, "3a 00 0000 123456", -EBADMSG,
	    0, 0, false, 0, 0, 0, false },
};

static void
test_walk_table(void **state)
{
	struct sw_ip6_chain c;
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t buf[256];
	size_t i, n;
	int r;

	(void)state;
	for (i = 0; i < NELEM(walk_cases); i++) {
		const struct walk_case *w = &walk_cases[i];

		n = unhex(buf + 40, sizeof buf - 40, w->payload);
		sw_ip6_build(buf, sizeof buf, teredo_a, native_b, w->nxt, 64,
		    (uint16_t)n);
		assert_int_equal(parse_exact(buf, 40 + n, &(struct
		    sw_teredo_view){ 0 }, NULL), 0);
		assert_int_equal(sw_ip6_parse(buf, 40 + n, &ip, NULL), 0);
		r = sw_ip6_walk(&ip, &c, &why);
		if (r != w->ret)
			fail_msg("case \"%s\": got %d, want %d", w->what, r,
			    w->ret);
		if (r != 0) {
			assert_int_equal(why, SW_DROP_BAD_EXT_HEADER);
			assert_int_equal(sw_ip6_walk(&ip, &c, NULL), r);
			continue;
		}
		assert_int_equal(why, SW_DROP_NONE);
		assert_int_equal(c.ulp, w->ulp);
		assert_int_equal(c.ulp_off, w->ulp_off);
		assert_int_equal(c.rh_present, w->rh_present);
		assert_int_equal(c.rh_type, w->rh_type);
		assert_int_equal(c.rh_segleft, w->rh_segleft);
		assert_int_equal(c.rh_off, w->rh_off);
		assert_int_equal(c.fragment, w->fragment);
	}
}

/* The walk is bounded: 16 Destination Options headers pass, 17 do not. */
static void
test_walk_bound(void **state)
{
	struct sw_ip6_chain c;
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t buf[40 + 8 * 18];
	unsigned k, nhdr;

	(void)state;
	for (nhdr = 15; nhdr <= 18; nhdr++) {
		for (k = 0; k < nhdr; k++) {
			uint8_t *h = buf + 40 + 8 * k;

			memset(h, 0, 8);
			h[0] = k + 1 < nhdr ? SW_NH_DSTOPTS : SW_NH_NONE;
		}
		sw_ip6_build(buf, sizeof buf, teredo_a, native_b,
		    SW_NH_DSTOPTS, 64, (uint16_t)(8 * nhdr));
		assert_int_equal(sw_ip6_parse(buf, 40 + 8 * nhdr, &ip, NULL),
		    0);
		if (nhdr <= 16) {
			assert_int_equal(sw_ip6_walk(&ip, &c, &why), 0);
			assert_int_equal(c.ulp, SW_NH_NONE);
			assert_int_equal(c.ulp_off, 8 * nhdr);
		} else {
			assert_int_equal(sw_ip6_walk(&ip, &c, &why), -EBADMSG);
			assert_int_equal(why, SW_DROP_BAD_EXT_HEADER);
		}
	}
}

/* ---- ICMPv6 checksum (RFC 4443 §2.3) ----------------------------------- */

static void
test_checksum_known(void **state)
{
	/* Hand-computed, odd length: ::1 -> ::2, 5 bytes 80 00 00 00 12.
	 * 0x0001 + 0x0002 + 0x0005 (length) + 0x003a (NH) + 0x8000 +
	 * 0x0000 + 0x1200 (last byte padded) = 0x9242; ~ = 0x6dbd. */
	static const uint8_t msg[5] = { 0x80, 0x00, 0x00, 0x00, 0x12 };
	uint8_t a1[16] = { 0 }, a2[16] = { 0 };
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	uint8_t buf[128];
	size_t n;

	(void)state;
	a1[15] = 1;
	a2[15] = 2;
	assert_int_equal(sw_icmp6_checksum(a1, a2, msg, sizeof msg), 0x6dbd);
	/* Folding the carry: a sum past 0xffff. */
	memset(a1, 0xff, sizeof a1);
	assert_int_equal(sw_icmp6_checksum(a1, a2, msg, 0),
	    (uint16_t)~((8 * 0xffff + 2 + 0x3a) % 0xffff));

	/* The RS of frame 1 carries 0x7d37. */
	n = unhex(buf, sizeof buf, PCAP_RS_AUTH PCAP_RS_IP6);
	assert_int_equal(sw_wire_parse(buf, n, &v, NULL), 0);
	assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, &ip, NULL), 0);
	assert_true(sw_icmp6_checksum_ok(&ip));
	buf[13 + 42] = 0;
	buf[13 + 43] = 0;
	assert_false(sw_icmp6_checksum_ok(&ip));
	assert_int_equal(sw_icmp6_checksum(ip.src, ip.dst, ip.payload, 8),
	    0x7d37);

	/* Frame 7, an echo request (even length 26), and an odd one. */
	n = unhex(buf, sizeof buf, PCAP_ECHO);
	assert_int_equal(sw_ip6_parse(buf, n, &ip, NULL), 0);
	assert_true(sw_icmp6_checksum_ok(&ip));
	buf[n - 1] ^= 0x01;
	assert_false(sw_icmp6_checksum_ok(&ip));

	/* Not ICMPv6 directly after the header: never "ok". */
	sw_wire_build_bubble(buf, sizeof buf, a1, a2, 0);
	assert_int_equal(sw_ip6_parse(buf, 40, &ip, NULL), 0);
	assert_false(sw_icmp6_checksum_ok(&ip));
}

/* ---- echo (RFC 4443 §4) ------------------------------------------------- */

static void
test_echo_roundtrip(void **state)
{
	static const size_t lens[] = { 0, 1, 7, 8, 18, 57, 1232 };
	uint8_t data[1232], buf[1280 + 1];
	struct sw_echo_view e;
	struct sw_ip6_view ip;
	size_t i, k;
	int r;

	(void)state;
	for (k = 0; k < sizeof data; k++)
		data[k] = (uint8_t)(k * 7);
	for (i = 0; i < NELEM(lens); i++) {
		r = sw_wire_build_echo(buf, 48 + lens[i] - 1,
		    SW_ICMP6_ECHO_REPLY, teredo_a, native_b, 64, 0x1234,
		    (uint16_t)i, data, lens[i]);
		assert_int_equal(r, -EMSGSIZE);
		r = sw_wire_build_echo(buf, sizeof buf, i % 2 ?
		    SW_ICMP6_ECHO_REQ : SW_ICMP6_ECHO_REPLY, teredo_a,
		    native_b, 64, 0x1234, (uint16_t)i, lens[i] ? data : NULL,
		    lens[i]);
		assert_int_equal(r, (int)(48 + lens[i]));
		assert_int_equal(sw_ip6_parse(buf, (size_t)r, &ip, NULL), 0);
		assert_true(sw_icmp6_checksum_ok(&ip));
		assert_int_equal(sw_wire_parse_echo(&ip, &e), 0);
		assert_int_equal(e.type, i % 2 ? 128 : 129);
		assert_int_equal(e.id, 0x1234);
		assert_int_equal(e.seq, i);
		assert_int_equal(e.data_len, lens[i]);
		assert_ptr_equal(e.data, buf + 48);
		if (lens[i] > 0)
			assert_memory_equal(e.data, data, lens[i]);
	}
	/* Payload Length cannot exceed 65535. */
	assert_int_equal(sw_wire_build_echo(buf, SIZE_MAX, 128, teredo_a,
	    native_b, 64, 0, 0, data, 65535 - 8 + 1), -EMSGSIZE);
}

static void
test_echo_rejects(void **state)
{
	struct sw_echo_view e;
	struct sw_ip6_view ip;
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = unhex(buf, sizeof buf, PCAP_ECHO);
	assert_int_equal(sw_ip6_parse(buf, n, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), 0);
	assert_int_equal(e.type, 128);
	assert_int_equal(e.id, 0x79cd);
	assert_int_equal(e.seq, 0xe283);
	assert_int_equal(e.data_len, 18);

	buf[41] = 1;		/* code 1 */
	reseal(buf);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), -EBADMSG);
	buf[41] = 0;
	buf[40] = 130;		/* not an echo */
	reseal(buf);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), -EBADMSG);
	buf[40] = 128;
	reseal(buf);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), 0);
	buf[50] ^= 0xff;	/* bad checksum */
	assert_int_equal(sw_wire_parse_echo(&ip, &e), -EBADMSG);
	buf[50] ^= 0xff;

	/* Shorter than 8 bytes. */
	sw_put16(buf + 4, 7);
	reseal(buf);
	assert_int_equal(sw_ip6_parse(buf, n, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), -EBADMSG);
	sw_put16(buf + 4, 8);
	reseal(buf);
	assert_int_equal(sw_ip6_parse(buf, n, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), 0);
	assert_int_equal(e.data_len, 0);

	/* Behind an extension header: not "directly" ICMPv6. */
	buf[6] = SW_NH_DSTOPTS;
	assert_int_equal(sw_ip6_parse(buf, n, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_echo(&ip, &e), -EBADMSG);
}

/* ---- Router Solicitation (RFC 4861 §4.1, §6.1.1) ------------------------ */

static void
test_rs(void **state)
{
	uint8_t want[48], buf[64];
	struct sw_ip6_view ip;
	size_t n;

	(void)state;
	/* Byte for byte the RS Miredo sent in frame 1. */
	n = unhex(want, sizeof want, PCAP_RS_IP6);
	assert_int_equal(n, 48);
	memset(buf, 0xa5, sizeof buf);
	assert_int_equal(sw_wire_build_rs(buf, 47, ll_client), -EMSGSIZE);
	assert_int_equal(buf[0], 0xa5);
	assert_int_equal(sw_wire_build_rs(buf, 48, ll_client), 48);
	assert_memory_equal(buf, want, 48);
	assert_int_equal(buf[48], 0xa5);
	assert_int_equal(sw_ip6_parse(buf, 48, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_rs(&ip), 0);

	/* Hop limit 254 (the view holds a copy: parse again). */
	buf[7] = 254;
	assert_int_equal(sw_ip6_parse(buf, 48, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
	buf[7] = 255;
	assert_int_equal(sw_ip6_parse(buf, 48, &ip, NULL), 0);
	/* Code 1. */
	buf[41] = 1;
	reseal(buf);
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
	buf[41] = 0;
	reseal(buf);
	assert_int_equal(sw_wire_parse_rs(&ip), 0);
	/* Bad checksum. */
	buf[43] ^= 1;
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
	buf[43] ^= 1;
	/* Not an RS. */
	buf[40] = SW_ICMP6_RA;
	reseal(buf);
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
	memcpy(buf, want, 48);

	/* With an 8-byte option (SLLA): fine; length 0 or past the end:
	 * invalid (§6.1.1). */
	memcpy(buf + 48, "\x01\x01\x00\x01\x02\x03\x04\x05", 8);
	sw_put16(buf + 4, 16);
	reseal(buf);
	assert_int_equal(sw_ip6_parse(buf, 56, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_rs(&ip), 0);
	buf[49] = 0;
	reseal(buf);
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
	buf[49] = 2;
	reseal(buf);
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
	/* A stray byte after the header. */
	sw_put16(buf + 4, 9);
	reseal(buf);
	assert_int_equal(sw_ip6_parse(buf, 49, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
	/* Shorter than 8. */
	sw_put16(buf + 4, 7);
	reseal(buf);
	assert_int_equal(sw_ip6_parse(buf, 47, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
}

/* ---- Router Advertisement (RFC 4861 §4.2, §6.1.2, SRV-RA-8) -------------- */

static void
miredo_ra(struct sw_ra *ra)
{
	/* SRV-RA-8 values, PIO for 2001:0:c000:20a::/64, MTU 1280. */
	static const uint8_t prefix[16] = {
		0x20, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x0a,
	};

	memset(ra, 0, sizeof *ra);
	ra->retrans = 2000;
	ra->prefix_count = 1;
	memcpy(ra->prefix, prefix, 16);
	ra->prefix_len = 64;
	ra->pio_flags = 0x40;
	ra->valid = 0xffffffff;
	ra->preferred = 0xffffffff;
	ra->has_mtu = true;
	ra->mtu = 1280;
}

static void
test_ra_build_parse(void **state)
{
	static const struct { unsigned pio; bool mtu; size_t len; } forms[] = {
		{ 1, true, 96 }, { 1, false, 88 }, { 0, true, 64 },
		{ 0, false, 56 },
	};
	struct sw_ra ra, got;
	struct sw_ip6_view ip;
	uint8_t want[96], buf[128];
	enum sw_drop why;
	size_t i;

	(void)state;
	/* The server's form is byte for byte Miredo's RA of frame 2. */
	unhex(want, sizeof want, PCAP_RA_IP6);
	miredo_ra(&ra);
	memset(buf, 0xa5, sizeof buf);
	assert_int_equal(sw_wire_build_ra(buf, 95, ll_server, ll_client, &ra),
	    -EMSGSIZE);
	assert_int_equal(buf[0], 0xa5);
	assert_int_equal(sw_wire_build_ra(buf, 96, ll_server, ll_client, &ra),
	    96);
	assert_memory_equal(buf, want, 96);
	assert_int_equal(buf[96], 0xa5);

	for (i = 0; i < NELEM(forms); i++) {
		miredo_ra(&ra);
		ra.cur_hlim = 64;
		ra.flags = 0xc0;
		ra.lifetime = 1800;
		ra.reachable = 30000;
		ra.prefix_count = forms[i].pio;
		ra.has_mtu = forms[i].mtu;
		assert_int_equal(sw_wire_build_ra(buf, forms[i].len - 1,
		    ll_server, ll_client, &ra), -EMSGSIZE);
		assert_int_equal(sw_wire_build_ra(buf, forms[i].len, ll_server,
		    ll_client, &ra), (int)forms[i].len);
		assert_int_equal(sw_ip6_parse(buf, forms[i].len, &ip, NULL),
		    0);
		assert_int_equal(sw_wire_parse_ra(&ip, &got, &why), 0);
		assert_int_equal(why, SW_DROP_NONE);
		assert_int_equal(got.cur_hlim, 64);
		assert_int_equal(got.flags, 0xc0);
		assert_int_equal(got.lifetime, 1800);
		assert_int_equal(got.reachable, 30000);
		assert_int_equal(got.retrans, 2000);
		assert_int_equal(got.prefix_count, forms[i].pio);
		assert_int_equal(got.has_mtu, forms[i].mtu);
		if (forms[i].pio) {
			assert_memory_equal(got.prefix, ra.prefix, 16);
			assert_int_equal(got.prefix_len, 64);
			assert_int_equal(got.pio_flags, 0x40);
			assert_int_equal(got.valid, 0xffffffff);
			assert_int_equal(got.preferred, 0xffffffff);
		}
		if (forms[i].mtu)
			assert_int_equal(got.mtu, 1280);
	}
}

static void
test_ra_pcap(void **state)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	struct sw_ra ra;
	enum sw_drop why;
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = unhex(buf, sizeof buf, PCAP_RA_HDRS PCAP_RA_IP6);
	assert_int_equal(sw_wire_parse(buf, n, &v, NULL), 0);
	assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_ra(&ip, &ra, &why), 0);
	assert_int_equal(ra.prefix_count, 1);
	assert_int_equal(ra.prefix_len, 64);
	assert_int_equal(sw_get32(ra.prefix + 4), SW_IP4(192, 0, 2, 10));
	assert_true(ra.has_mtu);
	assert_int_equal(ra.mtu, 1280);
	assert_int_equal(ra.retrans, 2000);
	/* An RA is not an RS, nor an echo. */
	assert_int_equal(sw_wire_parse_rs(&ip), -EBADMSG);
}

/* One RA edit that must make sw_wire_parse_ra fail (RFC 4861 §6.1.2). */
enum ra_edit {
	RA_HLIM, RA_SRC_GLOBAL, RA_CKSUM, RA_CODE, RA_TYPE, RA_SHORT, RA_NXT,
	RA_OPT_LEN0, RA_OPT_PAST_END, RA_STRAY_BYTE, RA_PIO_LEN, RA_MTU_LEN,
};

static void
test_ra_rejects(void **state)
{
	static const enum ra_edit edits[] = {
		RA_HLIM, RA_SRC_GLOBAL, RA_CKSUM, RA_CODE, RA_TYPE, RA_SHORT,
		RA_NXT, RA_OPT_LEN0, RA_OPT_PAST_END, RA_STRAY_BYTE,
		RA_PIO_LEN, RA_MTU_LEN,
	};
	struct sw_ip6_view ip;
	struct sw_ra ra;
	enum sw_drop why;
	uint8_t buf[128];
	size_t i, len;

	(void)state;
	for (i = 0; i < NELEM(edits); i++) {
		miredo_ra(&ra);
		len = (size_t)sw_wire_build_ra(buf, sizeof buf, ll_server,
		    ll_client, &ra);
		switch (edits[i]) {
		case RA_HLIM:
			buf[7] = 254;
			break;
		case RA_SRC_GLOBAL:
			memcpy(buf + 8, teredo_a, 16);
			reseal(buf);
			break;
		case RA_CKSUM:
			buf[43] ^= 0x80;
			break;
		case RA_CODE:
			buf[41] = 1;
			reseal(buf);
			break;
		case RA_TYPE:
			buf[40] = SW_ICMP6_RS;
			reseal(buf);
			break;
		case RA_SHORT:	/* ICMP length 15 */
			sw_put16(buf + 4, 15);
			reseal(buf);
			break;
		case RA_NXT:
			buf[6] = SW_NH_DSTOPTS;
			break;
		case RA_OPT_LEN0:	/* the MTU option, length 0 */
			buf[40 + 16 + 32 + 1] = 0;
			reseal(buf);
			break;
		case RA_OPT_PAST_END:	/* MTU option claims 16 bytes */
			buf[40 + 16 + 32 + 1] = 2;
			reseal(buf);
			break;
		case RA_STRAY_BYTE:
			buf[len] = 0x05;
			len++;
			sw_put16(buf + 4, (uint16_t)(len - 40));
			reseal(buf);
			break;
		case RA_PIO_LEN:	/* PIO length 5 with an MTU swallowed */
			buf[40 + 16 + 1] = 5;
			reseal(buf);
			break;
		case RA_MTU_LEN:	/* MTU length 2, 8 more bytes */
			buf[40 + 16 + 32 + 1] = 2;
			memset(buf + len, 0, 8);
			len += 8;
			sw_put16(buf + 4, (uint16_t)(len - 40));
			reseal(buf);
			break;
		}
		assert_int_equal(sw_ip6_parse(buf, len, &ip, NULL), 0);
		why = SW_DROP_NONE;
		if (sw_wire_parse_ra(&ip, &ra, &why) != -EBADMSG)
			fail_msg("edit %zu accepted", i);
		assert_int_equal(why, SW_DROP_RA_INVALID);
		assert_int_equal(sw_wire_parse_ra(&ip, &ra, NULL), -EBADMSG);
	}
}

/* CLI-RA-1 item 4 needs the count: two PIOs, an unknown option skipped. */
/* The builder's extra PIOs exist for tests of CLI-RA-1 item 4; bounded. */
static void
test_ra_build_multi_pio(void **state)
{
	struct sw_ra ra, got;
	struct sw_ip6_view ip;
	uint8_t buf[512];
	int n;

	(void)state;
	miredo_ra(&ra);
	ra.prefix_count = 2;
	n = sw_wire_build_ra(buf, sizeof buf, ll_server, ll_client, &ra);
	assert_int_equal(n, 40 + 16 + 2 * 32 + 8);
	assert_int_equal(sw_ip6_parse(buf, (size_t)n, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_ra(&ip, &got, NULL), 0);
	assert_int_equal(got.prefix_count, 2);
	ra.prefix_count = SW_RA_BUILD_MAX_PIO;
	assert_true(sw_wire_build_ra(buf, sizeof buf, ll_server, ll_client,
	    &ra) > 0);
	ra.prefix_count = SW_RA_BUILD_MAX_PIO + 1;
	assert_int_equal(sw_wire_build_ra(buf, sizeof buf, ll_server,
	    ll_client, &ra), -EINVAL);
}

static void
test_ra_two_pios(void **state)
{
	static const uint8_t slla[8] = { 1, 1, 0, 1, 2, 3, 4, 5 };
	struct sw_ip6_view ip;
	struct sw_ra ra;
	uint8_t buf[160], second[32];
	size_t len;

	(void)state;
	miredo_ra(&ra);
	len = (size_t)sw_wire_build_ra(buf, sizeof buf, ll_server, ll_client,
	    &ra);
	/* A second PIO (2001:db8::/48) and an SLLA option after the MTU. */
	memcpy(second, buf + 56, 32);
	second[2] = 48;
	memcpy(second + 16, native_b, 16);
	memcpy(buf + len, second, 32);
	memcpy(buf + len + 32, slla, 8);
	len += 40;
	sw_put16(buf + 4, (uint16_t)(len - 40));
	reseal(buf);
	assert_int_equal(sw_ip6_parse(buf, len, &ip, NULL), 0);
	assert_int_equal(sw_wire_parse_ra(&ip, &ra, NULL), 0);
	assert_int_equal(ra.prefix_count, 2);
	/* The first PIO is the one reported. */
	assert_int_equal(ra.prefix_len, 64);
	assert_int_equal(sw_get32(ra.prefix), 0x20010000);
	assert_true(ra.has_mtu);
}

/* ---- RFC 6081 trailers (COM-TRL-*) ------------------------------------- */

struct trl_case {
	const char *what;
	const char *hex;
	int ret;
	bool stopped;
	unsigned skipped;
	bool nonce, rport, alt, alt_bad, nd;
	unsigned alt_count;
};

#define ALT1 "c0000201 0d98"	/* 192.0.2.1:3480 */
#define ALT2 "0a000001 1000"	/* 10.0.0.1:4096, private is fine */

static const struct trl_case trl_cases[] = {
	{ "none", "", 0, false, 0, false, false, false, false, false, 0 },
	{ "nonce", "01 04 aabbccdd", 0, false, 0, true, false, false, false,
	    false, 0 },
	{ "random port 0x05", "05 02 1234", 0, false, 0, false, true, false,
	    false, false, 0 },
	{ "random port 0x02", "02 02 1234", 0, false, 0, false, true, false,
	    false, false, 0 },
	{ "ND", "04 04 01 000000", 0, false, 0, false, false, false, false,
	    true, 0 },
	{ "alt 8", "03 08 0000" ALT1, 0, false, 0, false, false, true, false,
	    false, 1 },
	{ "alt 14", "03 0e 0000" ALT1 ALT2, 0, false, 0, false, false, true,
	    false, false, 2 },
	{ "alt 20", "03 14 ffff" ALT1 ALT2 ALT1, 0, false, 0, false, false,
	    true, false, false, 3 },
	{ "alt 26", "03 1a 0000" ALT1 ALT2 ALT1 ALT2, 0, false, 0, false,
	    false, true, false, false, 4 },
	{ "alt 32 (too long)", "03 20 0000" ALT1 ALT2 ALT1 ALT2 ALT1, 0,
	    false, 0, false, false, true, true, false, 0 },
	{ "alt 9 then nonce", "03 09 0000" ALT1 "00" "01 04 aabbccdd", 0,
	    false, 0, true, false, true, true, false, 0 },
	{ "alt 2 (no entry)", "03 02 0000", 0, false, 0, false, false, true,
	    true, false, 0 },
	{ "alt 0", "03 00", 0, false, 0, false, false, true, true, false, 0 },
	{ "alt 0.0.0.1", "03 08 0000 00000001 1000", 0, false, 0, false,
	    false, true, true, false, 0 },
	{ "alt 127.0.0.1", "03 08 0000 7f000001 1000", 0, false, 0, false,
	    false, true, true, false, 0 },
	{ "alt 224.0.0.253", "03 0e 0000" ALT1 "e00000fd 1000", 0, false, 0,
	    false, false, true, true, false, 0 },
	{ "alt 240.0.0.1", "03 08 0000 f0000001 1000", 0, false, 0, false,
	    false, true, true, false, 0 },
	{ "alt 255.255.255.255", "03 08 0000 ffffffff 1000", 0, false, 0,
	    false, false, true, true, false, 0 },
	{ "alt port 0", "03 0e 0000" ALT1 "c0000202 0000", 0, false, 0,
	    false, false, true, true, false, 0 },
	{ "alt 223.255.255.255 ok", "03 08 0000 dfffffff 0001", 0, false, 0,
	    false, false, true, false, false, 1 },
	{ "second alt skipped", "03 08 0000" ALT1 "03 08 0000 00000000 0000",
	    0, false, 0, false, false, true, false, false, 1 },
	{ "unknown 0x06 skipped", "06 03 010203 01 04 aabbccdd", 0, false, 1,
	    true, false, false, false, false, 0 },
	{ "unknown 0x86, 0xc1, 0x00 skipped", "86 00 c1 01 ff 00 00", 0,
	    false, 3, false, false, false, false, false, 0 },
	{ "unknown 0x41 must drop (D22)", "41 00", -EBADMSG, false, 0, false,
	    false, false, false, false, 0 },
	{ "unknown 0x7f after nonce must drop", "01 04 aabbccdd 7f 02 0000",
	    -EBADMSG, false, 0, true, false, false, false, false, 0 },
	{ "one byte left", "01 04 aabbccdd 05", 0, true, 0, true, false, false,
	    false, false, 0 },
	{ "length past end", "01 04 aabbcc", 0, true, 0, false, false, false,
	    false, false, 0 },
	{ "unknown length past end", "06 ff 00", 0, true, 0, false, false,
	    false, false, false, 0 },
	{ "nonce length 3 stops", "01 03 aabbcc 05 02 1234", 0, true, 0,
	    false, false, false, false, false, 0 },
	{ "random port length 4 stops", "05 04 12340000 01 04 aabbccdd", 0,
	    true, 0, false, false, false, false, false, 0 },
	{ "ND length 1 stops", "04 01 00", 0, true, 0, false, false, false,
	    false, false, 0 },
	{ "must-drop after a stop is not seen", "04 00 41 00", 0, true, 0,
	    false, false, false, false, false, 0 },
	{ "all four", "01 04 aabbccdd 05 02 1234 03 08 0000" ALT1
	    " 04 04 00 000000", 0, false, 0, true, true, true, false, true,
	    1 },
};

static void
test_trailers_table(void **state)
{
	struct sw_trailers t;
	enum sw_drop why;
	uint8_t buf[128];
	size_t i, n;
	int r;

	(void)state;
	for (i = 0; i < NELEM(trl_cases); i++) {
		const struct trl_case *c = &trl_cases[i];
		uint8_t *copy;

		n = unhex(buf, sizeof buf, c->hex);
		copy = malloc(n ? n : 1);
		assert_non_null(copy);
		if (n > 0)
			memcpy(copy, buf, n);
		why = SW_DROP__COUNT;
		r = sw_wire_parse_trailers(copy, n, &t, &why);
		free(copy);
		if (r != c->ret || t.stopped != c->stopped ||
		    t.skipped != c->skipped || t.has_nonce != c->nonce ||
		    t.has_random_port != c->rport || t.has_alt != c->alt ||
		    t.alt_malformed != c->alt_bad || t.has_nd != c->nd ||
		    t.alt_count != c->alt_count)
			fail_msg("case \"%s\": r %d stopped %d skipped %u "
			    "nonce %d rport %d alt %d/%d/%u nd %d", c->what, r,
			    t.stopped, t.skipped, t.has_nonce,
			    t.has_random_port, t.has_alt, t.alt_malformed,
			    t.alt_count, t.has_nd);
		assert_int_equal(why, r == 0 ? SW_DROP_NONE :
		    SW_DROP_TRAILER_MUST_DROP);
		assert_int_equal(sw_wire_parse_trailers(buf, n, &t, NULL), r);
	}
}

static void
test_trailer_values(void **state)
{
	struct sw_trailers t;
	uint8_t buf[64];
	size_t n;

	(void)state;
	n = unhex(buf, sizeof buf, "01 04 aabbccdd" "01 04 11223344"
	    "02 02 1234" "05 02 5678" "04 04 01 ffffff" "04 04 00 000000"
	    "03 0e 0000" ALT1 ALT2);
	assert_int_equal(sw_wire_parse_trailers(buf, n, &t, NULL), 0);
	/* The first instance of each type counts. */
	assert_memory_equal(t.nonce, "\xaa\xbb\xcc\xdd", 4);
	assert_int_equal(t.random_port, 0x1234);
	assert_int_equal(t.nd_type, SW_ND_ADVERT);
	assert_int_equal(t.alt_count, 2);
	assert_int_equal(t.alt[0].addr, SW_IP4(192, 0, 2, 1));
	assert_int_equal(t.alt[0].port, 3480);
	assert_int_equal(t.alt[1].addr, SW_IP4(10, 0, 0, 1));
	assert_int_equal(t.alt[1].port, 4096);
	assert_false(t.stopped);
	assert_int_equal(t.skipped, 0);
}

static void
test_trailer_builders(void **state)
{
	static const uint8_t nonce[4] = { 0xde, 0xad, 0xbe, 0xef };
	static const struct sw_v4ep alt[4] = {
		{ SW_IP4(192, 0, 2, 1), 1 }, { SW_IP4(10, 1, 2, 3), 65535 },
		{ SW_IP4(172, 16, 0, 9), 3544 }, { SW_IP4(1, 1, 1, 1), 80 },
	};
	struct sw_trailers t;
	uint8_t buf[64];
	unsigned n, k;
	int r;

	(void)state;
	memset(buf, 0xa5, sizeof buf);
	assert_int_equal(sw_wire_build_trailer_nonce(buf, 5, nonce),
	    -EMSGSIZE);
	assert_int_equal(buf[0], 0xa5);
	assert_int_equal(sw_wire_build_trailer_nonce(buf, 6, nonce), 6);
	assert_int_equal(buf[6], 0xa5);
	assert_int_equal(sw_wire_parse_trailers(buf, 6, &t, NULL), 0);
	assert_true(t.has_nonce);
	assert_memory_equal(t.nonce, nonce, 4);

	assert_int_equal(sw_wire_build_trailer_random_port(buf, 3,
	    SW_TRL_RANDOM_PORT, 4242), -EMSGSIZE);
	for (k = 0; k < 2; k++) {
		uint8_t type = k ? SW_TRL_RANDOM_PORT_IANA :
		    SW_TRL_RANDOM_PORT;

		assert_int_equal(sw_wire_build_trailer_random_port(buf, 4,
		    type, 4242), 4);
		assert_int_equal(buf[0], type);
		assert_int_equal(sw_wire_parse_trailers(buf, 4, &t, NULL), 0);
		assert_true(t.has_random_port);
		assert_int_equal(t.random_port, 4242);
	}

	for (k = 0; k < 2; k++) {
		assert_int_equal(sw_wire_build_trailer_nd(buf, 5, (uint8_t)k),
		    -EMSGSIZE);
		assert_int_equal(sw_wire_build_trailer_nd(buf, 6, (uint8_t)k),
		    6);
		assert_int_equal(sw_wire_parse_trailers(buf, 6, &t, NULL), 0);
		assert_true(t.has_nd);
		assert_int_equal(t.nd_type, k);
	}

	for (n = 1; n <= 4; n++) {
		memset(buf, 0xa5, sizeof buf);
		assert_int_equal(sw_wire_build_trailer_alt(buf, 4 + 6 * n - 1,
		    alt, n), -EMSGSIZE);
		r = sw_wire_build_trailer_alt(buf, 4 + 6 * n, alt, n);
		assert_int_equal(r, (int)(4 + 6 * n));
		assert_int_equal(buf[4 + 6 * n], 0xa5);
		assert_int_equal(buf[1], 2 + 6 * n);
		assert_int_equal(sw_wire_parse_trailers(buf, (size_t)r, &t,
		    NULL), 0);
		assert_true(t.has_alt);
		assert_false(t.alt_malformed);
		assert_int_equal(t.alt_count, n);
		for (k = 0; k < n; k++)
			assert_true(sw_v4ep_eq(&t.alt[k], &alt[k]));
	}
	assert_int_equal(sw_wire_build_trailer_alt(buf, sizeof buf, alt, 0),
	    -EINVAL);
	assert_int_equal(sw_wire_build_trailer_alt(buf, sizeof buf, alt, 5),
	    -EINVAL);
}

/* A bubble with trailers, end to end (RFC 6081 §4, COM-IP6-2). */
static void
test_bubble_with_trailers(void **state)
{
	static const uint8_t nonce[4] = { 1, 2, 3, 4 };
	struct sw_teredo_view v;
	struct sw_trailers t;
	uint8_t buf[128];
	size_t n = 0;

	(void)state;
	n += (size_t)sw_wire_build_bubble(buf, sizeof buf, teredo_a, native_b,
	    0);
	n += (size_t)sw_wire_build_trailer_nonce(buf + n, sizeof buf - n,
	    nonce);
	n += (size_t)sw_wire_build_trailer_nd(buf + n, sizeof buf - n,
	    SW_ND_SOLICIT);
	assert_int_equal(n, 52);
	assert_int_equal(parse_exact(buf, n, &v, NULL), 0);
	assert_int_equal(sw_wire_parse(buf, n, &v, NULL), 0);
	assert_int_equal(v.ip6_len, 40);
	assert_ptr_equal(v.trailers, buf + 40);
	assert_int_equal(v.trailers_len, 12);
	assert_int_equal(sw_wire_parse_trailers(v.trailers, v.trailers_len,
	    &t, NULL), 0);
	assert_true(t.has_nonce && t.has_nd);
	assert_int_equal(t.nd_type, SW_ND_SOLICIT);
}

/* ---- truncation at every length ---------------------------------------- */

/* Frame 2 (auth 13 + origin 8 + RA 96) with two trailers: every prefix
 * either parses with the packet intact or fails with the reason its
 * length calls for; trailers cut short only stop. */
static void
test_truncation(void **state)
{
	struct sw_teredo_view v;
	struct sw_trailers t;
	struct sw_ip6_view ip;
	struct sw_ra ra;
	enum sw_drop why, want;
	uint8_t buf[160];
	size_t n, full;
	int r;

	(void)state;
	full = unhex(buf, sizeof buf, PCAP_RA_HDRS PCAP_RA_IP6
	    "01 04 aabbccdd" "05 02 1234");
	assert_int_equal(full, 127);
	for (n = 0; n <= full; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, buf, n);
		r = sw_wire_parse(copy, n, &v, &why);
		if (n < 21)
			want = SW_DROP_TRUNCATED;	/* in auth or origin */
		else if (n == 21)
			want = SW_DROP_TRUNCATED;	/* nothing after them */
		else if (n < 117)
			want = SW_DROP_IP6_LENGTH;
		else
			want = SW_DROP_NONE;
		assert_int_equal(why, want);
		assert_int_equal(r, want == SW_DROP_NONE ? 0 : -EBADMSG);
		if (r == 0) {
			assert_int_equal(v.ip6_len, 96);
			assert_int_equal(v.trailers_len, n - 117);
			assert_int_equal(sw_ip6_parse(v.ip6, v.ip6_len, &ip,
			    NULL), 0);
			assert_int_equal(sw_wire_parse_ra(&ip, &ra, NULL), 0);
			assert_int_equal(sw_wire_parse_trailers(v.trailers,
			    v.trailers_len, &t, NULL), 0);
			/* Complete trailers: 117, 123, 127 bytes. */
			assert_int_equal(t.stopped,
			    !(n == 117 || n == 123 || n == 127));
			assert_int_equal(t.has_nonce, n >= 123);
			assert_int_equal(t.has_random_port, n == 127);
		}
		free(copy);
	}
}

/* Every prefix of a packet that carries an extension chain and an RS:
 * the IPv6 parser and walker agree with the length. */
static void
test_truncation_ip6(void **state)
{
	struct sw_ip6_chain c;
	struct sw_ip6_view ip;
	uint8_t buf[64];
	size_t n, full;

	(void)state;
	full = unhex(buf, sizeof buf, PCAP_RS_IP6);
	for (n = 0; n <= full; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, buf, n);
		if (n < full) {
			assert_int_equal(sw_ip6_parse(copy, n, &ip, NULL),
			    -EBADMSG);
		} else {
			assert_int_equal(sw_ip6_parse(copy, n, &ip, NULL), 0);
			assert_int_equal(sw_ip6_walk(&ip, &c, NULL), 0);
			assert_int_equal(c.ulp, SW_NH_ICMP6);
			assert_int_equal(sw_wire_parse_rs(&ip), 0);
		}
		free(copy);
	}
}

/*
 * RFC 4443 §2.4 (SEC-9): an error about an invoking packet: addressed to
 * its source, carrying it from the start, cut so that the whole is at
 * most 1280 bytes (c), with a valid checksum; never about an ICMPv6
 * error, a redirect, a packet to multicast, or from ::, ::1 or multicast
 * (e); an informational message (echo) may get one.
 */
static void
test_icmp6_error(void **state)
{
	static uint8_t inv[1500], out[1400];
	static const uint8_t relay6[16] = { 0x20, 0x01, 0x0d, 0xb8, 6,
	    [15] = 3 };
	struct sw_ip6_view ip;
	enum sw_drop why;
	int n;

	(void)state;
	/* a small UDP packet from native_b to teredo_a */
	assert_int_equal(sw_ip6_build(inv, sizeof inv, native_b, teredo_a,
	    SW_NH_UDP, 64, 16), 40);
	memset(inv + 40, 0xab, 16);
	n = sw_wire_build_icmp6_error(out, sizeof out, SW_ICMP6_DST_UNREACH,
	    SW_ICMP6_UNREACH_ADDR, 0, relay6, inv, 56);
	assert_int_equal(n, 40 + 8 + 56);
	assert_int_equal(sw_ip6_parse(out, (size_t)n, &ip, &why), 0);
	assert_memory_equal(ip.src, relay6, 16);
	assert_memory_equal(ip.dst, native_b, 16);
	assert_int_equal(ip.nxt, SW_NH_ICMP6);
	assert_int_equal(ip.hlim, 64);
	assert_true(sw_icmp6_checksum_ok(&ip));
	assert_int_equal(ip.payload[0], 1);
	assert_int_equal(ip.payload[1], 3);
	assert_memory_equal(ip.payload + 4, "\0\0\0\0", 4);
	assert_memory_equal(ip.payload + 8, inv, 56);
	/* a 1500-byte packet: cut to 1280 in all */
	assert_int_equal(sw_ip6_build(inv, sizeof inv, native_b, teredo_a,
	    SW_NH_UDP, 64, 1460), 40);
	n = sw_wire_build_icmp6_error(out, sizeof out, 1, 3, 0, relay6, inv,
	    1500);
	assert_int_equal(n, 1280);
	assert_int_equal(sw_ip6_parse(out, (size_t)n, &ip, &why), 0);
	assert_true(sw_icmp6_checksum_ok(&ip));
	assert_memory_equal(ip.payload + 8, inv, 1280 - 48);
	/* too small a buffer */
	assert_int_equal(sw_wire_build_icmp6_error(out, 100, 1, 3, 0, relay6,
	    inv, 1500), -EMSGSIZE);
	/* allowed: UDP, echo request; refused: errors, redirect, multicast
	 * destination, unspecified / loopback / multicast source, short */
	assert_true(sw_icmp6_error_allowed(inv, 56));
	assert_int_equal(sw_wire_build_echo(inv, sizeof inv,
	    SW_ICMP6_ECHO_REQ, native_b, teredo_a, 64, 1, 1, NULL, 0), 48);
	assert_true(sw_icmp6_error_allowed(inv, 48));
	inv[40] = SW_ICMP6_DST_UNREACH;
	assert_false(sw_icmp6_error_allowed(inv, 48));
	inv[40] = 137;
	assert_false(sw_icmp6_error_allowed(inv, 48));
	assert_false(sw_icmp6_error_allowed(inv, 40));	/* no type byte */
	inv[40] = SW_ICMP6_ECHO_REQ;
	inv[24] = 0xff;
	assert_false(sw_icmp6_error_allowed(inv, 48));
	assert_int_equal(sw_wire_build_icmp6_error(out, sizeof out, 1, 3, 0,
	    relay6, inv, 48), -EINVAL);
	inv[24] = teredo_a[0];
	memset(inv + 8, 0, 16);
	assert_false(sw_icmp6_error_allowed(inv, 48));
	inv[23] = 1;
	assert_false(sw_icmp6_error_allowed(inv, 48));
	inv[8] = 0xff;
	assert_false(sw_icmp6_error_allowed(inv, 48));
	memcpy(inv + 8, native_b, 16);
	assert_true(sw_icmp6_error_allowed(inv, 48));
	assert_false(sw_icmp6_error_allowed(inv, 39));
	inv[0] = 0x40;
	assert_false(sw_icmp6_error_allowed(inv, 48));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origin_rfc_example),
		cmocka_unit_test(test_parse_pcap_frames),
		cmocka_unit_test(test_auth_roundtrip),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_ip6_parse_build),
		cmocka_unit_test(test_bubble),
		cmocka_unit_test(test_walk_table),
		cmocka_unit_test(test_walk_bound),
		cmocka_unit_test(test_checksum_known),
		cmocka_unit_test(test_echo_roundtrip),
		cmocka_unit_test(test_echo_rejects),
		cmocka_unit_test(test_rs),
		cmocka_unit_test(test_ra_build_parse),
		cmocka_unit_test(test_ra_pcap),
		cmocka_unit_test(test_ra_rejects),
		cmocka_unit_test(test_ra_two_pios),
		cmocka_unit_test(test_ra_build_multi_pio),
		cmocka_unit_test(test_trailers_table),
		cmocka_unit_test(test_trailer_values),
		cmocka_unit_test(test_trailer_builders),
		cmocka_unit_test(test_bubble_with_trailers),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_truncation_ip6),
		cmocka_unit_test(test_icmp6_error),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
