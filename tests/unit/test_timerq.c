/* test_timerq.c - the FIFO of per-peer deadlines (timerq.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "timerq.h"

static void
addr_n(uint8_t a[16], uint8_t n)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[15] = n;
}

static void
test_init_bounds(void **state)
{
	struct sw_timerq q;

	(void)state;
	assert_int_equal(sw_timerq_init(&q, 0), -EINVAL);
	sw_timerq_free(&q);
	assert_int_equal(sw_timerq_init(&q, 1), 0);
	assert_int_equal(sw_timerq_len(&q), 0);
	assert_false(sw_timerq_full(&q));
	assert_true(sw_timerq_next(&q) == SW_TIME_NEVER);
	assert_int_equal(sw_timerq_memsize(&q), sizeof(struct sw_timerq_ent));
	sw_timerq_free(&q);
}

static void
test_fifo_order_and_wrap(void **state)
{
	struct sw_timerq q;
	struct sw_timerq_ent e;
	uint8_t a[16];

	(void)state;
	assert_int_equal(sw_timerq_init(&q, 3), 0);
	/* Push and pop through the ring several times: FIFO throughout,
	 * the head is always the next deadline. */
	for (uint8_t i = 0; i < 10; i++) {
		addr_n(a, i);
		sw_timerq_push(&q, a, 100u * i);
		if (sw_timerq_len(&q) == 3) {
			assert_true(sw_timerq_full(&q));
			assert_true(sw_timerq_pop(&q, &e));
			assert_int_equal(e.due, 100u * (i - 2u));
			assert_int_equal(e.addr[15], i - 2);
		}
		assert_true(sw_timerq_next(&q) == 100u * (i < 2 ? 0 : i - 1u));
	}
	assert_true(sw_timerq_pop(&q, &e));
	assert_true(sw_timerq_pop(&q, &e));
	assert_int_equal(e.addr[15], 9);
	assert_false(sw_timerq_pop(&q, &e));
	sw_timerq_free(&q);
}

static void
test_full_keeps_bound_and_clear(void **state)
{
	struct sw_timerq q;
	struct sw_timerq_ent e;
	uint8_t a[16];

	(void)state;
	assert_int_equal(sw_timerq_init(&q, 2), 0);
	addr_n(a, 1);
	sw_timerq_push(&q, a, 10);
	sw_timerq_push(&q, a, 20);
	sw_timerq_push(&q, a, 30);	/* full: ignored, never overwrites */
	assert_int_equal(sw_timerq_len(&q), 2);
	assert_true(sw_timerq_pop(&q, &e));
	assert_int_equal(e.due, 10);
	sw_timerq_clear(&q);
	assert_int_equal(sw_timerq_len(&q), 0);
	assert_true(sw_timerq_next(&q) == SW_TIME_NEVER);
	sw_timerq_push(&q, a, 40);
	assert_true(sw_timerq_next(&q) == 40);
	sw_timerq_free(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_fifo_order_and_wrap),
		cmocka_unit_test(test_full_keeps_bound_and_clear),
	};
	return cmocka_run_group_tests_name("timerq", tests, NULL, NULL);
}
