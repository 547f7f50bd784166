/*
 * test_addr.c - Teredo address encode/decode, flags and link-local forms
 * (RFC 4380 §4, RFC 5991 §3.1, RFC 6081 fig. 2; COM-ADDR-*, COM-FLAG-*,
 * COM-LL-*).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "addr.h"

/* ---- known addresses, both directions ------------------------------- */

static const struct vector {
	const char *name;
	const char *text;	/* RFC 5952 form */
	uint32_t prefix;
	uint32_t server;
	uint16_t flags;
	uint32_t mapped;
	uint16_t port;
} vectors[] = {
	/* RFC 6081 fig. 2 (teredo-requirements.md §1.1) */
	{ "rfc6081", "2001:0:cb00:7178:0:efff:3fff:fdfe", SW_TEREDO_PREFIX,
	    SW_IP4(203, 0, 113, 120), 0x0000, SW_IP4(192, 0, 2, 1), 4096 },
	/* seed example: cone client of 65.54.227.126 */
	{ "seed-cone", "2001:0:4136:e37e:8000:eefb:3fff:dd59",
	    SW_TEREDO_PREFIX, SW_IP4(65, 54, 227, 126), 0x8000,
	    SW_IP4(192, 0, 34, 166), 4356 },
	/* miredo-sample.pcap frames 3..: Miredo 1.2.6 client behind NAT
	 * 198.51.100.1:45131, server 192.0.2.10, RFC 5991 random flags */
	{ "capture", "2001:0:c000:20a:2c39:4fb4:39cc:9bfe", SW_TEREDO_PREFIX,
	    SW_IP4(192, 0, 2, 10), 0x2c39, SW_IP4(198, 51, 100, 1), 45131 },
	/* extremes: all-zero and all-one fields, another prefix */
	{ "zeros", "3ffe:831f::ffff:ffff:ffff", 0x3ffe831fu, 0, 0, 0, 0 },
	{ "ones", "2001:0:ffff:ffff:ffff::", SW_TEREDO_PREFIX, 0xffffffffu,
	    0xffff, 0xffffffffu, 0xffff },
};
#define NVECTORS (sizeof vectors / sizeof vectors[0])

static void
test_encode_vectors(void **state)
{
	uint8_t a[16], want[16];
	char buf[46];

	(void)state;
	for (size_t i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];
		struct sw_teredo t = {
			.prefix = v->prefix, .server = v->server,
			.flags = v->flags,
			.mapped = { .addr = v->mapped, .port = v->port },
		};

		memset(a, 0xa5, sizeof a);
		sw_addr_encode(a, &t);
		assert_int_equal(sw_addr_parse6(v->text, want), 0);
		assert_memory_equal(a, want, 16);
		assert_string_equal(sw_addr_format6(a, buf), v->text);
	}
}

static void
test_decode_vectors(void **state)
{
	uint8_t a[16];
	struct sw_teredo t;

	(void)state;
	for (size_t i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];

		assert_int_equal(sw_addr_parse6(v->text, a), 0);
		memset(&t, 0x5a, sizeof t);
		sw_addr_decode(a, &t);
		assert_int_equal(t.prefix, v->prefix);
		assert_int_equal(t.server, v->server);
		assert_int_equal(t.flags, v->flags);
		assert_int_equal(t.mapped.addr, v->mapped);
		assert_int_equal(t.mapped.port, v->port);
	}
}

/* COM-ADDR-3: the port and IPv4 are stored XOR all-ones, byte-exact. */
static void
test_obfuscation_bytes(void **state)
{
	static const uint8_t want[16] = {
		0x20, 0x01, 0x00, 0x00, 0xcb, 0x00, 0x71, 0x78,
		0x00, 0x00, 0xef, 0xff, 0x3f, 0xff, 0xfd, 0xfe,
	};
	struct sw_teredo t = {
		.prefix = SW_TEREDO_PREFIX, .server = SW_IP4(203, 0, 113, 120),
		.mapped = { .addr = SW_IP4(192, 0, 2, 1), .port = 4096 },
	};
	uint8_t a[16];

	(void)state;
	sw_addr_encode(a, &t);
	assert_memory_equal(a, want, 16);
	assert_int_equal(sw_addr_obf16(4096), 0xefff);
	assert_int_equal(sw_addr_obf32(SW_IP4(192, 0, 2, 1)), 0x3ffffdfe);
	assert_int_equal(sw_addr_obf16(sw_addr_obf16(3544)), 3544);
}

/* Decoding keeps every flag bit as carried (COM-FLAG-2: never interpreted
 * beyond C, never cleared). */
static void
test_decode_keeps_flags(void **state)
{
	uint8_t a[16];
	struct sw_teredo t = { .prefix = SW_TEREDO_PREFIX }, d;

	(void)state;
	for (uint32_t f = 0; f <= 0xffff; f += 0x0101) {
		t.flags = (uint16_t)f;
		sw_addr_encode(a, &t);
		sw_addr_decode(a, &d);
		assert_int_equal(d.flags, f);
		assert_int_equal(sw_addr_is_cone(a), (f & SW_FLAG_CONE) != 0);
		assert_true(sw_addr_is_teredo(a, SW_TEREDO_PREFIX));
	}
}

/* ---- random flags (COM-FLAG-3..5) ------------------------------------ */

/* Deterministic test generator (splitmix64) that counts what it is asked. */
struct test_rng {
	uint64_t s;
	unsigned calls;
	size_t bytes;
	int fixed;		/* -1: pseudo-random, else every byte = fixed */
};

static void
test_rng_fill(void *ctx, void *buf, size_t len)
{
	struct test_rng *r = ctx;
	uint8_t *p = buf;

	r->calls++;
	r->bytes += len;
	for (size_t i = 0; i < len; i++) {
		uint64_t z;

		if (r->fixed >= 0) {
			p[i] = (uint8_t)r->fixed;
			continue;
		}
		r->s += 0x9e3779b97f4a7c15ULL;
		z = r->s;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		p[i] = (uint8_t)(z ^ (z >> 31));
	}
}

static void
test_random_flags_shape(void **state)
{
	struct test_rng tr = { .s = 42, .fixed = -1 };
	struct sw_rng rng = { test_rng_fill, &tr };
	uint16_t seen1 = 0, seen0 = 0;

	(void)state;
	for (unsigned i = 0; i < 2000; i++) {
		bool cone = (i & 1) != 0;
		uint16_t f = sw_addr_random_flags(cone, &rng);

		/* C as asked; reserved, U and G zero (COM-FLAG-1/3) */
		assert_int_equal((f & SW_FLAG_CONE) != 0, cone);
		assert_int_equal(f & SW_FLAG_RESERVED, 0);
		assert_int_equal(f & (SW_FLAG_U | SW_FLAG_G), 0);
		assert_int_equal(f & ~(SW_FLAG_CONE | SW_FLAG_RANDOM_MASK), 0);
		seen1 |= f;
		seen0 |= (uint16_t)~f;
	}
	/* each of the twelve random bits took both values */
	assert_int_equal(seen1 & SW_FLAG_RANDOM_MASK, SW_FLAG_RANDOM_MASK);
	assert_int_equal(seen0 & SW_FLAG_RANDOM_MASK, SW_FLAG_RANDOM_MASK);
	/* the generator really was asked, once per draw */
	assert_int_equal(tr.calls, 2000);
	assert_true(tr.bytes >= 2 * 2000);
}

/* The random bits are the generator's bits, not a constant (COM-FLAG-4). */
static void
test_random_flags_from_rng(void **state)
{
	struct test_rng ones = { .fixed = 0xff }, zeros = { .fixed = 0x00 };
	struct sw_rng r1 = { test_rng_fill, &ones }, r0 = { test_rng_fill, &zeros };

	(void)state;
	assert_int_equal(sw_addr_random_flags(false, &r1), 0x3cff);
	assert_int_equal(sw_addr_random_flags(true, &r1), 0xbcff);
	assert_int_equal(sw_addr_random_flags(false, &r0), 0x0000);
	assert_int_equal(sw_addr_random_flags(true, &r0), 0x8000);
	assert_true(ones.calls == 2 && ones.bytes >= 4);
	assert_true(zeros.calls == 2 && zeros.bytes >= 4);
}

/* Same seed, same flags: the module adds no hidden randomness (sans-I/O). */
static void
test_random_flags_deterministic(void **state)
{
	struct test_rng a = { .s = 7, .fixed = -1 }, b = { .s = 7, .fixed = -1 };
	struct sw_rng ra = { test_rng_fill, &a }, rb = { test_rng_fill, &b };

	(void)state;
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(sw_addr_random_flags(false, &ra),
		    sw_addr_random_flags(false, &rb));
}

/* ---- link-local forms (COM-LL-1/2) ------------------------------------ */

static void
check_addr(const uint8_t a[static 16], const char *text)
{
	uint8_t want[16];
	char buf[46];

	assert_int_equal(sw_addr_parse6(text, want), 0);
	assert_string_equal(sw_addr_format6(a, buf), text);
	assert_memory_equal(a, want, 16);
}

static void
test_client_ll(void **state)
{
	uint8_t a[16];

	(void)state;
	memset(a, 0xa5, sizeof a);
	sw_addr_client_ll(a, false);
	check_addr(a, "fe80::ffff:ffff:ffff");
	assert_false(sw_addr_is_cone(a));
	assert_true(sw_addr_is_link_local(a));

	memset(a, 0xa5, sizeof a);
	sw_addr_client_ll(a, true);
	check_addr(a, "fe80::8000:ffff:ffff:fffe");
	assert_true(sw_addr_is_cone(a));
	assert_true(sw_addr_is_link_local(a));
}

static void
test_server_ll(void **state)
{
	uint8_t a[16];
	struct sw_teredo t;

	(void)state;
	/* COM-LL-2's example */
	memset(a, 0xa5, sizeof a);
	sw_addr_server_ll(a, SW_IP4(203, 0, 113, 120));
	check_addr(a, "fe80::8000:f227:34ff:8e87");
	assert_true(sw_addr_is_cone(a));
	assert_true(sw_addr_is_link_local(a));

	/* miredo-sample.pcap frame 2: the RA of server 192.0.2.10 comes
	 * from fe80::8000:f227:3fff:fdf5 */
	sw_addr_server_ll(a, SW_IP4(192, 0, 2, 10));
	check_addr(a, "fe80::8000:f227:3fff:fdf5");

	/* the identifier decodes back to server IPv4 and port 3544 */
	sw_addr_decode(a, &t);
	assert_int_equal(t.mapped.addr, SW_IP4(192, 0, 2, 10));
	assert_int_equal(t.mapped.port, SW_TEREDO_PORT);
	assert_int_equal(t.flags, SW_FLAG_CONE);
}

/* ---- classifiers ------------------------------------------------------ */

static void
test_is_teredo(void **state)
{
	static const struct {
		const char *text;
		bool is_default;	/* under 2001:0::/32 (COM-ADDR-1) */
		bool is_custom;		/* under 3ffe:831f::/32 */
	} c[] = {
		{ "2001:0:cb00:7178:0:efff:3fff:fdfe", true, false },
		{ "2001::", true, false },
		{ "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", true, false },
		{ "2001:db8::1", false, false },	/* not Teredo */
		{ "2001:2::1", false, false },
		{ "2001:10::1", false, false },
		{ "2001:1::1", false, false },
		{ "2002:0:cb00:7178::", false, false },
		{ "3001:0::", false, false },
		{ "fe80::8000:f227:34ff:8e87", false, false },
		{ "3ffe:831f:cb00:7178::1", false, true },
		{ "3ffe:831e::", false, false },
		{ "::", false, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint8_t a[16];

		assert_int_equal(sw_addr_parse6(c[i].text, a), 0);
		assert_int_equal(sw_addr_is_teredo(a, SW_TEREDO_PREFIX),
		    c[i].is_default);
		assert_int_equal(sw_addr_is_teredo(a, 0x3ffe831fu),
		    c[i].is_custom);
	}
}

static void
test_is_cone(void **state)
{
	uint8_t a[16];

	(void)state;
	assert_int_equal(sw_addr_parse6("2001:0:4136:e37e:8000:eefb:3fff:dd59",
	    a), 0);
	assert_true(sw_addr_is_cone(a));
	/* only bit 0x8000 counts (COM-FLAG-2) */
	assert_int_equal(sw_addr_parse6("2001:0:4136:e37e:7fff:eefb:3fff:dd59",
	    a), 0);
	assert_false(sw_addr_is_cone(a));
	assert_int_equal(sw_addr_parse6("2001:0:cb00:7178:0:efff:3fff:fdfe",
	    a), 0);
	assert_false(sw_addr_is_cone(a));
}

static void
test_is_link_local(void **state)
{
	static const struct { const char *text; bool ll; } c[] = {
		{ "fe80::1", true },
		{ "fe80::ffff:ffff:ffff", true },
		{ "febf:ffff::1", true },	/* top of fe80::/10 */
		{ "fec0::1", false },		/* site-local, not LL */
		{ "fe7f::1", false },
		{ "ff02::2", false },
		{ "2001:0:cb00:7178:0:efff:3fff:fdfe", false },
		{ "::1", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint8_t a[16];

		assert_int_equal(sw_addr_parse6(c[i].text, a), 0);
		assert_int_equal(sw_addr_is_link_local(a), c[i].ll);
	}
}

/* ---- text helpers ----------------------------------------------------- */

static void
test_format_parse6(void **state)
{
	uint8_t a[16], keep[16];
	char buf[46];

	(void)state;
	/* RFC 5952: lower case, longest zero run compressed */
	assert_int_equal(sw_addr_parse6("2001:0000:CB00:7178:0000:EFFF:3FFF:FDFE",
	    a), 0);
	assert_string_equal(sw_addr_format6(a, buf),
	    "2001:0:cb00:7178:0:efff:3fff:fdfe");
	assert_int_equal(sw_addr_parse6("::ffff:192.0.2.1", a), 0);
	assert_string_equal(sw_addr_format6(a, buf), "::ffff:192.0.2.1");
	/* longest form fits in 46 bytes */
	memset(a, 0xff, sizeof a);
	assert_string_equal(sw_addr_format6(a, buf),
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	/* bad text: -EINVAL, out untouched */
	memset(keep, 0x77, sizeof keep);
	memcpy(a, keep, sizeof a);
	assert_int_equal(sw_addr_parse6("", a), -EINVAL);
	assert_int_equal(sw_addr_parse6("2001::cb00::1", a), -EINVAL);
	assert_int_equal(sw_addr_parse6("2001:0:cb00:7178:0:efff:3fff:fdfe:1",
	    a), -EINVAL);
	assert_int_equal(sw_addr_parse6("2001:0:gb00::", a), -EINVAL);
	assert_int_equal(sw_addr_parse6("192.0.2.1", a), -EINVAL);
	assert_int_equal(sw_addr_parse6(NULL, a), -EINVAL);
	assert_memory_equal(a, keep, 16);
}

static void
test_format_parse4(void **state)
{
	static const struct { const char *text; uint32_t v; } ok[] = {
		{ "0.0.0.0", 0 },
		{ "192.0.2.1", SW_IP4(192, 0, 2, 1) },
		{ "203.0.113.120", SW_IP4(203, 0, 113, 120) },
		{ "255.255.255.255", 0xffffffffu },
	};
	static const char *const bad[] = {
		"", "192.0.2", "192.0.2.256", "192.0.2.1.5", "0x7f.1.1.1",
		"192.0.2.1 ", "::1",
	};
	char buf[16];
	uint32_t v;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(sw_addr_parse4(ok[i].text, &v), 0);
		assert_int_equal(v, ok[i].v);
		assert_string_equal(sw_addr_format4(ok[i].v, buf), ok[i].text);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 0x12345678;
		assert_int_equal(sw_addr_parse4(bad[i], &v), -EINVAL);
		assert_int_equal(v, 0x12345678);
	}
	assert_int_equal(sw_addr_parse4(NULL, &v), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_obfuscation_bytes),
		cmocka_unit_test(test_decode_keeps_flags),
		cmocka_unit_test(test_random_flags_shape),
		cmocka_unit_test(test_random_flags_from_rng),
		cmocka_unit_test(test_random_flags_deterministic),
		cmocka_unit_test(test_client_ll),
		cmocka_unit_test(test_server_ll),
		cmocka_unit_test(test_is_teredo),
		cmocka_unit_test(test_is_cone),
		cmocka_unit_test(test_is_link_local),
		cmocka_unit_test(test_format_parse6),
		cmocka_unit_test(test_format_parse4),
	};
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
