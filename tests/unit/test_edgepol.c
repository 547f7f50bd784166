/*
 * test_edgepol.c - the edge policy files (lib/edgepol.c; HARD-2/HARD-3,
 * CVE-2006-6265/6266): every kind of rule parsed and refused at the
 * nearest bad value, errors one printable line "name:line: ...", and the
 * decisions: longest whole-component prefix, uid fallback, DENY default.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "edgepol.h"

static void
assert_err_shape(const char *err)
{
	size_t n = strnlen(err, SW_CONF_ERR_MAX);

	assert_true(n > 0);
	assert_true(n < SW_CONF_ERR_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)err[i];

		if (ch < 0x20 || ch >= 0x7f)
			fail_msg("unprintable byte 0x%02x in \"%s\"", ch, err);
	}
}

/* Parse text (an exact-size copy: ASan sees a read past len). */
static int
parse_into(struct sw_edge_policy *p, const char *name, const char *text,
    size_t len, char err[static SW_CONF_ERR_MAX])
{
	char *buf = malloc(len > 0 ? len : 1);
	int r;

	assert_non_null(buf);
	memcpy(buf, text, len);
	memset(err, 'X', SW_CONF_ERR_MAX);
	r = sw_edge_policy_parse(p, name, buf, len, err);
	free(buf);
	if (r == 0)
		assert_string_equal(err, "");
	else {
		assert_int_equal(r, -EINVAL);
		assert_err_shape(err);
	}
	return r;
}

static void
expect_ok(struct sw_edge_policy *p, const char *text)
{
	char err[SW_CONF_ERR_MAX];

	sw_edge_policy_init(p);
	if (parse_into(p, "t.conf", text, strlen(text), err) != 0)
		fail_msg("\"%s\": unexpected error \"%s\"", text, err);
}

static void
expect_err(const char *text, const char *want)
{
	struct sw_edge_policy p;
	char err[SW_CONF_ERR_MAX];

	sw_edge_policy_init(&p);
	if (parse_into(&p, "t.conf", text, strlen(text), err) == 0)
		fail_msg("\"%s\": accepted", text);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, want);
}

static void
test_parse_good(void **state)
{
	struct sw_edge_policy p;

	(void)state;
	expect_ok(&p,
	    "# mode  kind    subject\n"
	    "allow   cgroup  /system.slice/sshd.service\n"
	    "allow   unit    nginx.service   # a comment\n"
	    "\n"
	    "   \t\n"
	    "deny    cgroup  /lab/x\r\n"
	    "DEFER   Cgroup  /user.slice\n"
	    "defer   uid     1000\n"
	    "allow uid 0\n"
	    "deny uid 4294967294");
	assert_int_equal(p.n, 7);
	assert_int_equal(p.rules[0].mode, SW_EDGE_ALLOW);
	assert_int_equal(p.rules[0].kind, SW_EDGE_CGROUP);
	assert_string_equal(p.rules[0].path, "/system.slice/sshd.service");
	assert_string_equal(p.rules[1].path, "/system.slice/nginx.service");
	assert_int_equal(p.rules[2].mode, SW_EDGE_DENY);
	assert_string_equal(p.rules[2].path, "/lab/x");
	assert_int_equal(p.rules[3].mode, SW_EDGE_DEFER);
	assert_string_equal(p.rules[3].path, "/user.slice");
	assert_int_equal(p.rules[4].kind, SW_EDGE_UID);
	assert_int_equal(p.rules[4].uid, 1000);
	assert_int_equal(p.rules[5].uid, 0);
	assert_int_equal(p.rules[6].uid, UINT32_C(4294967294));

	/* empty, comments only, no final newline */
	expect_ok(&p, "");
	assert_int_equal(p.n, 0);
	expect_ok(&p, "# nothing\n#\n");
	assert_int_equal(p.n, 0);
	/* names of any suffix; dots inside components */
	expect_ok(&p, "allow unit foo\nallow unit a.scope\n"
	    "allow cgroup /a/.hidden/..x/b...\n");
	assert_int_equal(p.n, 3);
	assert_string_equal(p.rules[0].path, "/system.slice/foo");
	/* the longest path that fits */
	{
		char text[SW_CONF_PATH_MAX + 32];
		size_t o = (size_t)snprintf(text, sizeof text, "allow cgroup /");

		memset(text + o, 'a', SW_CONF_PATH_MAX - 2);
		text[o + SW_CONF_PATH_MAX - 2] = '\0';
		expect_ok(&p, text);
		assert_int_equal(strlen(p.rules[0].path), SW_CONF_PATH_MAX - 1);
		text[o + SW_CONF_PATH_MAX - 2] = 'a';
		text[o + SW_CONF_PATH_MAX - 1] = '\0';
		expect_err(text, "too long");
	}
}

static void
test_parse_bad(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} v[] = {
		{ "permit cgroup /a", "t.conf:1: unknown mode 'permit'" },
		{ "allow", "t.conf:1: missing kind" },
		{ "allow cgroup", "t.conf:1: missing subject" },
		{ "allow cgroup /a extra", "unexpected extra value 'extra'" },
		{ "allow group /a", "t.conf:1: unknown kind 'group'" },
		{ "allow cgroup a/b", "does not start with '/'" },
		{ "allow cgroup /", "is the root" },
		{ "allow cgroup //a", "empty component" },
		{ "allow cgroup /a//b", "empty component" },
		{ "allow cgroup /a/", "empty component" },
		{ "allow cgroup /a/../b", "'.' or '..' component" },
		{ "allow cgroup /..", "'.' or '..' component" },
		{ "allow cgroup /a/./b", "'.' or '..' component" },
		{ "allow cgroup /a/.", "'.' or '..' component" },
		{ "allow cgroup /a\x7f", "printable" },
		{ "allow cgroup /a\xc3\xa9", "printable" },
		{ "allow unit a/b.service", "must not contain '/'" },
		{ "allow unit /sshd.service", "must not contain '/'" },
		{ "allow unit ..", "not a unit name" },
		{ "allow unit .", "not a unit name" },
		{ "allow unit \x01x", "printable" },
		{ "allow uid -1", "uid '-1' is not a number" },
		{ "allow uid 4294967295", "'4294967295' is not a number" },
		{ "allow uid 99999999999", "is not a number" },
		{ "allow uid 1e3", "is not a number" },
		{ "allow uid +5", "is not a number" },
		{ "allow uid 0x10", "is not a number" },
		{ "allow uid alice", "is not a number" },
		{ "# fine\nallow cgroup /a\nallow cgroup ../x",
		    "t.conf:3: cgroup '../x'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		expect_err(v[i].text, v[i].want);
}

static void
test_parse_limits(void **state)
{
	struct sw_edge_policy p;
	char err[SW_CONF_ERR_MAX], line[64];
	char *big;

	(void)state;
	/* 128 rules, then one too many (rules before the error stay) */
	sw_edge_policy_init(&p);
	for (unsigned i = 0; i < SW_EDGE_MAX_RULES; i++) {
		int n = snprintf(line, sizeof line, "allow uid %u\n", i);

		assert_int_equal(parse_into(&p, "a.conf", line, (size_t)n,
		    err), 0);
	}
	assert_int_equal(p.n, SW_EDGE_MAX_RULES);
	assert_int_equal(parse_into(&p, "b.conf", "deny uid 5000", 13, err),
	    -EINVAL);
	assert_non_null(strstr(err, "b.conf:1: too many rules (at most 128)"));
	assert_int_equal(p.n, SW_EDGE_MAX_RULES);
	/* a rule for an existing subject replaces it even when full */
	assert_int_equal(parse_into(&p, "c.conf", "deny uid 7", 10, err), 0);
	assert_int_equal(p.n, SW_EDGE_MAX_RULES);
	assert_int_equal(sw_edge_policy_caller(&p, NULL, 7), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_caller(&p, NULL, 8), SW_EDGE_ALLOW);

	/* a NUL byte, a line too long */
	sw_edge_policy_init(&p);
	assert_int_equal(parse_into(&p, "t.conf", "allow uid 1\nallow\0uid 2",
	    23, err), -EINVAL);
	assert_non_null(strstr(err, "t.conf:2: NUL byte at column 6"));
	big = malloc(5000);
	assert_non_null(big);
	memset(big, ' ', 5000);
	assert_int_equal(parse_into(&p, "t.conf", big, 5000, err), -EINVAL);
	assert_non_null(strstr(err, "line too long"));
	free(big);

	/* the file name in messages is made printable and bounded */
	assert_int_equal(parse_into(&p, "bad\nname\x1b.conf", "x", 1, err),
	    -EINVAL);
	assert_non_null(strstr(err, "bad?name?.conf:1:"));
	{
		char name[100];

		memset(name, 'n', sizeof name);
		name[sizeof name - 1] = '\0';
		assert_int_equal(parse_into(&p, name, "x", 1, err), -EINVAL);
	}
	assert_non_null(strstr(err, "...:1:"));
	assert_int_equal(parse_into(&p, NULL, "x", 1, err), -EINVAL);
	/* NULL buffer: nothing */
	assert_int_equal(sw_edge_policy_parse(&p, "t", NULL, 5, err), 0);
}

/* Files append; a later rule for the same subject replaces the earlier. */
static void
test_files_append_override(void **state)
{
	struct sw_edge_policy p;
	char err[SW_CONF_ERR_MAX];
	const char *a = "allow unit sshd.service\ndefer uid 1000\n";
	const char *b = "deny cgroup /system.slice/sshd.service\n"
	    "allow cgroup /lab\n";

	(void)state;
	sw_edge_policy_init(&p);
	assert_int_equal(parse_into(&p, "10-a.conf", a, strlen(a), err), 0);
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/system.slice/sshd.service"), SW_EDGE_ALLOW);
	assert_int_equal(parse_into(&p, "50-b.conf", b, strlen(b), err), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/system.slice/sshd.service"), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, "/lab"), SW_EDGE_ALLOW);
}

static void
test_decisions(void **state)
{
	struct sw_edge_policy p;

	(void)state;
	expect_ok(&p,
	    "allow cgroup /system.slice/sshd.service\n"
	    "deny cgroup /user.slice/user-1000.slice/x.scope\n"
	    "defer cgroup /user.slice\n"
	    "allow cgroup /a/b\n"
	    "deny cgroup /a/b/c\n"
	    "defer uid 1000\n"
	    "allow uid 0\n");
	/* exact and below */
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/system.slice/sshd.service"), SW_EDGE_ALLOW);
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/system.slice/sshd.service/child"), SW_EDGE_ALLOW);
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/system.slice/sshd.service/"), SW_EDGE_ALLOW);
	/* by whole components only */
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/system.slice/sshd.services"), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, "/system.slice"),
	    SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, "/a/bc"), SW_EDGE_DENY);
	/* the longest prefix wins, whatever the order of the rules */
	assert_int_equal(sw_edge_policy_cgroup(&p, "/a/b"), SW_EDGE_ALLOW);
	assert_int_equal(sw_edge_policy_cgroup(&p, "/a/b/d"), SW_EDGE_ALLOW);
	assert_int_equal(sw_edge_policy_cgroup(&p, "/a/b/c"), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, "/a/b/c/d"), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/user.slice/user-1000.slice/y.scope"), SW_EDGE_DEFER);
	assert_int_equal(sw_edge_policy_cgroup(&p,
	    "/user.slice/user-1000.slice/x.scope"), SW_EDGE_DENY);
	/* nothing matches: DENY; bad inputs: DENY */
	assert_int_equal(sw_edge_policy_cgroup(&p, "/lab/x"), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, "/"), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, ""), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, "a/b"), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_cgroup(&p, NULL), SW_EDGE_DENY);

	/* callers: cgroup rule first (an explicit deny beats the uid) */
	assert_int_equal(sw_edge_policy_caller(&p,
	    "/user.slice/user-1000.slice/x.scope", 0), SW_EDGE_DENY);
	assert_int_equal(sw_edge_policy_caller(&p,
	    "/system.slice/sshd.service", 1000), SW_EDGE_ALLOW);
	/* no cgroup rule: the uid's */
	assert_int_equal(sw_edge_policy_caller(&p, "/lab/x", 1000),
	    SW_EDGE_DEFER);
	assert_int_equal(sw_edge_policy_caller(&p, "/lab/x", 0),
	    SW_EDGE_ALLOW);
	assert_int_equal(sw_edge_policy_caller(&p, NULL, 0), SW_EDGE_ALLOW);
	/* neither: DENY */
	assert_int_equal(sw_edge_policy_caller(&p, "/lab/x", 1001),
	    SW_EDGE_DENY);
	/* uid rules never decide a cgroup */
	expect_ok(&p, "allow uid 1000\n");
	assert_int_equal(sw_edge_policy_cgroup(&p, "/anything"),
	    SW_EDGE_DENY);
	/* an empty policy denies */
	sw_edge_policy_init(&p);
	assert_int_equal(sw_edge_policy_caller(&p, "/a", 0), SW_EDGE_DENY);
}

static void
test_format(void **state)
{
	struct sw_edge_policy p, q;
	char buf[SW_CONF_PATH_MAX + 32], all[4096], err[SW_CONF_ERR_MAX];
	size_t o = 0;

	(void)state;
	expect_ok(&p, "allow unit sshd.service\ndeny cgroup /lab/x\n"
	    "defer uid 1000\n");
	assert_int_equal(sw_edge_rule_format(&p.rules[0], buf, sizeof buf),
	    (int)strlen("allow cgroup /system.slice/sshd.service"));
	assert_string_equal(buf, "allow cgroup /system.slice/sshd.service");
	assert_int_equal(sw_edge_rule_format(&p.rules[1], buf, sizeof buf),
	    18);
	assert_string_equal(buf, "deny cgroup /lab/x");
	assert_int_equal(sw_edge_rule_format(&p.rules[2], buf, sizeof buf),
	    14);
	assert_string_equal(buf, "defer uid 1000");
	/* truncated, always terminated; length needed returned */
	assert_int_equal(sw_edge_rule_format(&p.rules[2], buf, 6), 14);
	assert_string_equal(buf, "defer");
	assert_int_equal(sw_edge_rule_format(&p.rules[2], NULL, 0), 14);
	assert_int_equal(sw_edge_rule_format(&p.rules[2], NULL, 5), -EINVAL);
	assert_int_equal(sw_edge_rule_format(NULL, buf, sizeof buf), -EINVAL);
	p.rules[2].mode = (enum sw_edge_mode)9;
	assert_int_equal(sw_edge_rule_format(&p.rules[2], buf, sizeof buf),
	    -EINVAL);
	p.rules[2].mode = SW_EDGE_DEFER;
	p.rules[2].kind = (enum sw_edge_kind)5;
	assert_int_equal(sw_edge_rule_format(&p.rules[2], buf, sizeof buf),
	    -EINVAL);
	p.rules[2].kind = SW_EDGE_UID;
	assert_string_equal(sw_edge_mode_name(SW_EDGE_ALLOW), "allow");
	assert_string_equal(sw_edge_mode_name((enum sw_edge_mode)3), "?");

	/* format, then parse again: the same policy */
	for (unsigned i = 0; i < p.n; i++) {
		int n = sw_edge_rule_format(&p.rules[i], all + o,
		    sizeof all - o);

		assert_true(n > 0);
		o += (size_t)n;
		all[o++] = '\n';
	}
	sw_edge_policy_init(&q);
	assert_int_equal(parse_into(&q, "round", all, o, err), 0);
	assert_int_equal(q.n, p.n);
	assert_memory_equal(q.rules, p.rules, p.n * sizeof p.rules[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_files_append_override),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests_name("edgepol", tests, NULL, NULL);
}
