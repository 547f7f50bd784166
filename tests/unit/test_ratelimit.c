/*
 * test_ratelimit.c - token buckets and the bounded keyed table (HARD-3,
 * HARD-6, SRV-OP-5, SEC-9), on a fake clock: no sleeps, no retries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "ratelimit.h"

/* ---- buckets, table-driven -------------------------------------------- */

struct step {
	sw_time now;
	bool allow;
};

#define MAX_STEPS 24

static const struct tb_case {
	const char *name;
	struct sw_tb_conf conf;
	sw_time t0;
	struct step s[MAX_STEPS];
	size_t n;
} tb_cases[] = {
	{ "burst then deny", { SW_SEC, 3 }, 0, {
		{ 0, true }, { 0, true }, { 0, true }, { 0, false },
		{ 0, false }, { 1, false } }, 6 },
	{ "refill after exactly one interval", { SW_SEC, 2 }, 0, {
		{ 0, true }, { 0, true }, { 0, false },
		{ SW_SEC, true }, { SW_SEC, false },
		{ 2 * SW_SEC, true }, { 2 * SW_SEC, false } }, 7 },
	{ "partial interval gives nothing", { SW_SEC, 1 }, 0, {
		{ 0, true }, { 1, false }, { SW_SEC / 2, false },
		{ SW_SEC - 1, false }, { SW_SEC, true },
		{ 2 * SW_SEC - 1, false }, { 2 * SW_SEC, true } }, 7 },
	/* 1.5 intervals: one token now, the half is kept for later */
	{ "remainder kept across calls", { 1000, 2 }, 0, {
		{ 0, true }, { 0, true },
		{ 1500, true }, { 1500, false },
		{ 2000, true }, { 2000, false },
		{ 2999, false }, { 3000, true }, { 3000, false } }, 9 },
	/* many small steps each under one interval still add up */
	{ "remainder over small steps", { 1000, 1 }, 0, {
		{ 0, true }, { 300, false }, { 600, false }, { 900, false },
		{ 1000, true }, { 1300, false }, { 1999, false },
		{ 2000, true } }, 8 },
	/* the grid keeps its phase even when a refill hits the cap */
	{ "phase kept when capped", { 1000, 1 }, 0, {
		{ 0, true }, { 1500, true }, { 2000, true }, { 2000, false },
		{ 7250, true }, { 7999, false }, { 8000, true } }, 7 },
	{ "capped at burst after idle", { SW_SEC, 3 }, 0, {
		{ 0, true }, { 0, true }, { 0, true }, { 0, false },
		{ 3600 * SW_SEC, true }, { 3600 * SW_SEC, true },
		{ 3600 * SW_SEC, true }, { 3600 * SW_SEC, false } }, 8 },
	{ "clock going backwards", { SW_SEC, 1 }, 10 * SW_SEC, {
		{ 10 * SW_SEC, true }, { 5 * SW_SEC, false }, { 0, false },
		{ 10 * SW_SEC + SW_SEC - 1, false },
		{ 11 * SW_SEC, true }, { 11 * SW_SEC, false },
		{ 1, false }, { 12 * SW_SEC, true } }, 8 },
	/* tokens already there can still be spent while time runs back */
	{ "backwards keeps tokens", { SW_SEC, 2 }, 10 * SW_SEC, {
		{ 9 * SW_SEC, true }, { 8 * SW_SEC, true },
		{ 7 * SW_SEC, false }, { 10 * SW_SEC, false },
		{ 11 * SW_SEC, true } }, 5 },
	{ "huge jump, tiny interval", { 1, 5 }, 0, {
		{ 0, true }, { 0, true }, { 0, true }, { 0, true }, { 0, true },
		{ 0, false },
		{ UINT64_MAX, true }, { UINT64_MAX, true }, { UINT64_MAX, true },
		{ UINT64_MAX, true }, { UINT64_MAX, true },
		{ UINT64_MAX, false }, { 0, false } }, 13 },
	{ "huge interval", { UINT64_MAX, 1 }, 0, {
		{ 0, true }, { UINT64_MAX - 1, false }, { UINT64_MAX, true },
		{ UINT64_MAX, false } }, 4 },
	{ "starts at the end of time", { SW_SEC, 2 }, UINT64_MAX - 1, {
		{ UINT64_MAX - 1, true }, { UINT64_MAX, true },
		{ UINT64_MAX, false }, { 0, false }, { UINT64_MAX, false } }, 5 },
	{ "large burst", { SW_SEC, UINT32_MAX }, 0, {
		{ 0, true }, { UINT64_MAX, true }, { 1, true } }, 3 },
};

static void
test_bucket_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof tb_cases / sizeof tb_cases[0]; i++) {
		const struct tb_case *tc = &tb_cases[i];
		struct sw_tb b;
		sw_time hi = tc->t0;

		sw_tb_init(&b, &tc->conf, tc->t0);
		assert_int_equal(b.tokens, tc->conf.burst);
		assert_int_equal(b.last, tc->t0);
		for (size_t j = 0; j < tc->n; j++) {
			const struct step *s = &tc->s[j];
			bool got = sw_tb_take(&b, &tc->conf, s->now);

			if (got != s->allow)
				fail_msg("%s: step %zu (t=%llu): got %s", tc->name,
				    j, (unsigned long long)s->now,
				    got ? "allow" : "deny");
			if (s->now > hi)
				hi = s->now;
			/* below burst after a take, empty after a denial,
			 * never ahead of the clock */
			if (got)
				assert_true(b.tokens < tc->conf.burst);
			else
				assert_int_equal(b.tokens, 0);
			assert_true(b.last <= hi);
		}
	}
}

/* A step back in time changes nothing in the bucket. */
static void
test_backwards_no_change(void **state)
{
	const struct sw_tb_conf c = { 1000, 4 };
	struct sw_tb b, saved;

	(void)state;
	sw_tb_init(&b, &c, 50000);
	assert_true(sw_tb_take(&b, &c, 50000));
	assert_true(sw_tb_take(&b, &c, 50000));
	assert_true(sw_tb_take(&b, &c, 50000));
	assert_true(sw_tb_take(&b, &c, 50000));
	assert_false(sw_tb_take(&b, &c, 50000));
	assert_true(sw_tb_take(&b, &c, 51700));	/* one, 700 kept */
	saved = b;
	for (sw_time t = 0; t < 51700; t += 997) {
		assert_false(sw_tb_take(&b, &c, t));
		assert_int_equal(b.tokens, saved.tokens);
		assert_int_equal(b.last, saved.last);
	}
	assert_false(sw_tb_take(&b, &c, 51999));
	assert_true(sw_tb_take(&b, &c, 52000));	/* the kept 700 counted */
}

/* A zeroed bucket (no clock when its owner was made) is full from its
 * first take on, as if sw_tb_init'ed then. */
static void
test_zeroed_starts_full(void **state)
{
	const struct sw_tb_conf c = { 1000, 3 };
	struct sw_tb b;

	(void)state;
	memset(&b, 0, sizeof b);
	assert_true(sw_tb_take(&b, &c, 50000));
	assert_true(b.started);
	assert_int_equal(b.last, 50000);
	assert_true(sw_tb_take(&b, &c, 50000));
	assert_true(sw_tb_take(&b, &c, 50000));
	assert_false(sw_tb_take(&b, &c, 50999));
	assert_true(sw_tb_take(&b, &c, 51000));
}

/* Over a long run with random steps, no more than burst + elapsed /
 * interval tokens are ever granted, and no fewer when asked often. */
static void
test_long_run_rate(void **state)
{
	const struct sw_tb_conf c = { 1000, 10 };
	struct sw_tb b;
	sw_time now = 0;
	uint64_t granted = 0;
	uint32_t x = 1;

	(void)state;
	sw_tb_init(&b, &c, 0);
	for (unsigned i = 0; i < 200000; i++) {
		x = x * 1664525u + 1013904223u;
		now += (x >> 24) % 37;		/* 0..36 us */
		if (sw_tb_take(&b, &c, now))
			granted++;
	}
	assert_true(granted <= c.burst + now / c.interval);
	assert_true(granted >= now / c.interval);
}

/* ---- the keyed table -------------------------------------------------- */

static const uint8_t hkey[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

/* Key n: an IPv4 address in ::ffff:0:0/96 form, as the header says. */
static void
key4(uint8_t k[16], uint32_t v4)
{
	memset(k, 0, 16);
	k[10] = 0xff;
	k[11] = 0xff;
	sw_put32(k + 12, v4);
}

static void
test_rl_new_args(void **state)
{
	static const struct { uint32_t in, out; int rc; } c[] = {
		{ 0, 0, -EINVAL }, { 1, 0, -EINVAL }, { 3, 0, -EINVAL },
		{ 4, 4, 0 }, { 5, 8, 0 }, { 8, 8, 0 }, { 63, 64, 0 },
		{ 64, 64, 0 }, { 65, 128, 0 }, { 1000, 1024, 0 },
		{ (UINT32_C(1) << 31) + 1, 0, -EINVAL },
		{ UINT32_MAX, 0, -EINVAL },
	};
	const struct sw_tb_conf ok = { SW_SEC, 1 };
	const struct sw_tb_conf no_interval = { 0, 1 }, no_burst = { SW_SEC, 0 };
	struct sw_rl *rl;

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		rl = (struct sw_rl *)&rl;	/* must be overwritten */
		assert_int_equal(sw_rl_new(&rl, c[i].in, &ok, hkey), c[i].rc);
		if (c[i].rc != 0) {
			assert_null(rl);
			continue;
		}
		assert_int_equal(sw_rl_entries(rl), c[i].out);
		assert_int_equal(sw_rl_stats(rl)->allowed, 0);
		assert_int_equal(sw_rl_stats(rl)->denied, 0);
		assert_int_equal(sw_rl_stats(rl)->evictions, 0);
		sw_rl_free(rl);
	}
	assert_int_equal(sw_rl_new(&rl, 64, &no_interval, hkey), -EINVAL);
	assert_int_equal(sw_rl_new(&rl, 64, &no_burst, hkey), -EINVAL);
	assert_int_equal(sw_rl_new(&rl, 64, NULL, hkey), -EINVAL);
	assert_int_equal(sw_rl_new(NULL, 64, &ok, hkey), -EINVAL);
	sw_rl_free(NULL);
}

/* Per-key buckets: one key's use costs another nothing. */
static void
test_rl_keys_independent(void **state)
{
	const struct sw_tb_conf c = { 2 * SW_SEC, 2 };	/* HARD-3-like */
	struct sw_rl *rl;
	uint8_t a[16], b[16], a6[16];

	(void)state;
	key4(a, SW_IP4(192, 0, 2, 1));
	key4(b, SW_IP4(192, 0, 2, 2));
	memcpy(a6, a, 16);
	a6[10] = 0;			/* a different 16-byte key */
	assert_int_equal(sw_rl_new(&rl, 64, &c, hkey), 0);

	assert_true(sw_rl_allow(rl, a, 0));
	assert_true(sw_rl_allow(rl, a, 0));
	assert_false(sw_rl_allow(rl, a, 0));
	assert_false(sw_rl_allow(rl, a, SW_SEC));
	/* b and a6 have full buckets of their own */
	assert_true(sw_rl_allow(rl, b, SW_SEC));
	assert_true(sw_rl_allow(rl, a6, SW_SEC));
	assert_true(sw_rl_allow(rl, b, SW_SEC));
	assert_false(sw_rl_allow(rl, b, SW_SEC));
	/* a refills on its own schedule */
	assert_true(sw_rl_allow(rl, a, 2 * SW_SEC));
	assert_false(sw_rl_allow(rl, a, 2 * SW_SEC));
	assert_false(sw_rl_allow(rl, b, 2 * SW_SEC));
	assert_true(sw_rl_allow(rl, b, 3 * SW_SEC));

	assert_int_equal(sw_rl_stats(rl)->allowed, 7);
	assert_int_equal(sw_rl_stats(rl)->denied, 5);
	assert_int_equal(sw_rl_stats(rl)->evictions, 0);
	sw_rl_free(rl);
}

/*
 * 4 entries = one set of 4 ways: the LRU choice is observable without
 * knowing the hash.  A fresh (re-inserted) key has a full bucket; a kept
 * one has its drained bucket.
 */
static void
test_rl_lru(void **state)
{
	const struct sw_tb_conf c = { SW_SEC, 1 };
	struct sw_rl *rl;
	uint8_t k[6][16];

	(void)state;
	for (unsigned i = 0; i < 6; i++)
		key4(k[i], SW_IP4(198, 51, 100, i + 1));
	assert_int_equal(sw_rl_new(&rl, 4, &c, hkey), 0);
	assert_int_equal(sw_rl_entries(rl), 4);

	for (unsigned i = 0; i < 4; i++)	/* A B C D, all drained */
		assert_true(sw_rl_allow(rl, k[i], 0));
	assert_false(sw_rl_allow(rl, k[0], 0));	/* A used: B is LRU */
	assert_int_equal(sw_rl_stats(rl)->evictions, 0);

	assert_true(sw_rl_allow(rl, k[4], 0));	/* E evicts B */
	assert_int_equal(sw_rl_stats(rl)->evictions, 1);
	assert_false(sw_rl_allow(rl, k[0], 0));	/* A kept its state */
	assert_false(sw_rl_allow(rl, k[3], 0));	/* D kept: now C is LRU */
	assert_false(sw_rl_allow(rl, k[4], 0));	/* E kept */
	assert_int_equal(sw_rl_stats(rl)->evictions, 1);

	assert_true(sw_rl_allow(rl, k[1], 0));	/* B is back fresh, evicts C */
	assert_int_equal(sw_rl_stats(rl)->evictions, 2);
	assert_true(sw_rl_allow(rl, k[2], 0));	/* C fresh, evicts A */
	assert_int_equal(sw_rl_stats(rl)->evictions, 3);
	assert_false(sw_rl_allow(rl, k[3], 0));	/* D still kept */
	assert_true(sw_rl_allow(rl, k[0], 0));	/* A fresh, evicts E */
	assert_int_equal(sw_rl_stats(rl)->evictions, 4);
	sw_rl_free(rl);
}

/* HARD-6: 100000 distinct keys through 64 entries; the table does not
 * grow, every insertion past the first 64 evicts, and a key used just
 * before each insertion is never the one evicted. */
static void
test_rl_bounded(void **state)
{
	const struct sw_tb_conf c = { SW_SEC, 3 };
	const unsigned n = 100000;
	struct sw_rl *rl;
	uint8_t hot[16], k[16];

	(void)state;
	memset(hot, 0, sizeof hot);
	hot[0] = 0x20;
	hot[1] = 0x01;
	hot[15] = 0x01;
	assert_int_equal(sw_rl_new(&rl, 64, &c, hkey), 0);
	for (unsigned i = 0; i < c.burst; i++)
		assert_true(sw_rl_allow(rl, hot, 0));

	for (unsigned i = 0; i < n; i++) {
		/* the clock stands still: a re-created hot bucket would be
		 * full and allow */
		assert_false(sw_rl_allow(rl, hot, 0));
		key4(k, SW_IP4(10, 0, 0, 0) + i);
		assert_true(sw_rl_allow(rl, k, 0));
	}
	assert_int_equal(sw_rl_entries(rl), 64);
	/* hot took one way for good, the others filled, then each new key
	 * evicted one */
	assert_int_equal(sw_rl_stats(rl)->evictions, n - 63);
	assert_int_equal(sw_rl_stats(rl)->allowed, c.burst + n);
	assert_int_equal(sw_rl_stats(rl)->denied, n);

	/* the state survives until the hot key's own refill */
	assert_false(sw_rl_allow(rl, hot, SW_SEC - 1));
	assert_true(sw_rl_allow(rl, hot, SW_SEC));
	sw_rl_free(rl);
}

/* [harden] item 6: under eviction pressure a key new to the table, or
 * back after eviction, starts with the start tokens, not a full burst;
 * once a full refill has passed without eviction, full again. */
static void
test_rl_start_under_pressure(void **state)
{
	const struct sw_tb_conf c = { SW_SEC, 20 };
	struct sw_rl *rl;
	uint8_t k[16];
	unsigned n;

	(void)state;
	assert_int_equal(sw_rl_new(&rl, 4, &c, hkey), 0);
	sw_rl_set_start(rl, 2);
	key4(k, SW_IP4(10, 0, 0, 1));
	for (n = 0; sw_rl_allow(rl, k, 0); n++)
		;
	assert_int_equal(n, 20);		/* no pressure: full burst */
	/* a flood of other keys evicts it */
	for (unsigned i = 0; i < 100; i++) {
		uint8_t o[16];

		key4(o, SW_IP4(10, 1, 0, 0) + i);
		(void)sw_rl_allow(rl, o, SW_SEC);
	}
	for (n = 0; sw_rl_allow(rl, k, SW_SEC); n++)
		;
	assert_int_equal(n, 2);			/* back, but not full */
	/* 20 s (burst x interval) after the last eviction: full again */
	key4(k, SW_IP4(10, 0, 0, 2));
	for (n = 0; sw_rl_allow(rl, k, 22 * SW_SEC); n++)
		;
	assert_int_equal(n, 20);
	sw_rl_free(rl);
}

/* The hash key decides placement: two tables with different keys evict
 * differently, so an attacker cannot aim keys at one set (HARD-6). */
static void
test_rl_hash_key(void **state)
{
	const struct sw_tb_conf c = { SW_SEC, 1 };
	uint8_t hk2[16], k[16];
	struct sw_rl *r1, *r2;
	unsigned differ = 0;

	(void)state;
	memcpy(hk2, hkey, sizeof hk2);
	hk2[0] ^= 1;
	assert_int_equal(sw_rl_new(&r1, 16, &c, hkey), 0);
	assert_int_equal(sw_rl_new(&r2, 16, &c, hk2), 0);
	/* fill both with 16 keys, then ask which of them survived */
	for (uint32_t i = 0; i < 16; i++) {
		key4(k, SW_IP4(203, 0, 113, i));
		assert_true(sw_rl_allow(r1, k, 0));
		assert_true(sw_rl_allow(r2, k, 0));
	}
	for (uint32_t i = 0; i < 16; i++) {
		key4(k, SW_IP4(203, 0, 113, i));
		/* allowed again = was evicted and re-created */
		if (sw_rl_allow(r1, k, 0) != sw_rl_allow(r2, k, 0))
			differ++;
	}
	assert_true(differ > 0);
	sw_rl_free(r1);
	sw_rl_free(r2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_table),
		cmocka_unit_test(test_backwards_no_change),
		cmocka_unit_test(test_zeroed_starts_full),
		cmocka_unit_test(test_long_run_rate),
		cmocka_unit_test(test_rl_new_args),
		cmocka_unit_test(test_rl_keys_independent),
		cmocka_unit_test(test_rl_lru),
		cmocka_unit_test(test_rl_bounded),
		cmocka_unit_test(test_rl_hash_key),
		cmocka_unit_test(test_rl_start_under_pressure),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
