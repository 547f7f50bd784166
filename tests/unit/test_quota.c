/*
 * test_quota.c - the fixed table of counts per IPv4 endpoint/address
 * (HARD-6), against a plain array model under random operations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "quota.h"

static const uint8_t key16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void
keys_are_distinct(void **state)
{
	struct sw_v4ep e = { 0xc0000201, 0 };

	(void)state;
	/* port 0 endpoint vs the address alone */
	assert_true(sw_quota_key_ep(&e) != sw_quota_key_v4(e.addr));
}

static void
add_get_sub(void **state)
{
	struct sw_quota *q;

	(void)state;
	assert_int_equal(sw_quota_new(&q, 0, key16), -EINVAL);
	assert_int_equal(sw_quota_new(&q, 2, key16), 0);
	assert_int_equal(sw_quota_get(q, 7), 0);
	assert_int_equal(sw_quota_add(q, 7), 0);
	assert_int_equal(sw_quota_add(q, 7), 0);
	assert_int_equal(sw_quota_add(q, 8), 0);
	/* a third distinct key does not fit; more of a held one does */
	assert_int_equal(sw_quota_add(q, 9), -ENOSPC);
	assert_int_equal(sw_quota_get(q, 9), 0);
	assert_int_equal(sw_quota_add(q, 8), 0);
	assert_int_equal(sw_quota_get(q, 7), 2);
	assert_int_equal(sw_quota_get(q, 8), 2);
	sw_quota_sub(q, 7);
	sw_quota_sub(q, 7);
	sw_quota_sub(q, 7);			/* at 0: stays 0 */
	assert_int_equal(sw_quota_get(q, 7), 0);
	assert_int_equal(sw_quota_keys(q), 1);
	assert_int_equal(sw_quota_add(q, 9), 0);	/* the key came free */
	sw_quota_clear(q);
	assert_int_equal(sw_quota_keys(q), 0);
	assert_int_equal(sw_quota_get(q, 8), 0);
	sw_quota_free(q);
}

/* Random adds and subs over few keys (many collisions in a small table)
 * agree with an array of counts: backward-shift deletion keeps every
 * key reachable. */
static void
random_against_model(void **state)
{
	enum { KEYS = 48, MAX = 40 };
	uint32_t model[KEYS] = { 0 }, held = 0, x = 12345;
	struct sw_quota *q;

	(void)state;
	assert_int_equal(sw_quota_new(&q, MAX, key16), 0);
	for (int i = 0; i < 200000; i++) {
		unsigned k;

		x = x * 1103515245 + 12345;
		k = (x >> 8) % KEYS;
		if ((x >> 20) & 1) {
			int rc = sw_quota_add(q, k * 0x10001ULL);

			if (model[k] == 0 && held == MAX) {
				assert_int_equal(rc, -ENOSPC);
			} else {
				assert_int_equal(rc, 0);
				held += model[k] == 0;
				model[k]++;
			}
		} else {
			sw_quota_sub(q, k * 0x10001ULL);
			if (model[k] > 0 && --model[k] == 0)
				held--;
		}
		if (i % 997 == 0)
			for (unsigned j = 0; j < KEYS; j++)
				assert_int_equal(sw_quota_get(q,
				    j * 0x10001ULL), model[j]);
	}
	assert_int_equal(sw_quota_keys(q), held);
	sw_quota_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_are_distinct),
		cmocka_unit_test(add_get_sub),
		cmocka_unit_test(random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
