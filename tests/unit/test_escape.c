/* test_escape.c - sw_escape: what untrusted strings become in a log line
 * (issue 10 item 18d). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

static void
test_printable_kept(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(sw_escape(out, sizeof out, "/a/b.service", 12,
	    false), 12);
	assert_string_equal(out, "/a/b.service");
}

static void
test_controls_escaped(void **state)
{
	/* a cgroup named to forge a second log line, and a terminal
	 * escape sequence */
	static const char name[] = "/x\nparent: edge: granted\x1b[2J\\\x7f\xff";
	char out[128];

	(void)state;
	sw_escape(out, sizeof out, name, sizeof name - 1, false);
	assert_string_equal(out,
	    "/x\\x0aparent: edge: granted\\x1b[2J\\\\\\x7f\\xff");
	assert_null(strchr(out, '\n'));
}

static void
test_keep_nl(void **state)
{
	char out[64];

	(void)state;
	sw_escape(out, sizeof out, "a\tb\nc\rd", 7, true);
	assert_string_equal(out, "a\tb\nc\\x0dd");
}

static void
test_bounded(void **state)
{
	char out[8];

	(void)state;
	/* "ab\x01": "ab" fits, the 4-byte escape would not: cut before */
	assert_int_equal(sw_escape(out, 6, "ab\x01" "cd", 5, false), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(sw_escape(out, sizeof out, "abcdefghij", 10, false),
	    7);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(sw_escape(out, 1, "abc", 3, false), 0);
	assert_string_equal(out, "");
	assert_int_equal(sw_escape(out, 0, "abc", 3, false), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_kept),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_keep_nl),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
