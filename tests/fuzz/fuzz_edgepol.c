/*
 * fuzz_edgepol.c - sw_edge_policy_parse() on arbitrary text, then the
 * decisions on paths taken from the input (lib/edgepol.c, HARD-2/3).
 *
 * Input: the policy file's bytes.  The same bytes are also parsed again
 * into the same policy as a second file (rules append or replace), and
 * every line of the input is tried as a cgroup path.
 *
 * Invariants: the error is one NUL-terminated printable line, empty on
 * success and starting with "name:"; at most SW_EDGE_MAX_RULES rules, each
 * a well-formed cgroup path (starts with '/', no empty, "." or ".."
 * component, printable, bounded) or a uid <= 4294967294, subjects
 * distinct; formatting each rule and parsing the text again gives the
 * same rules; a decision is a known mode and DENY when no rule could
 * match (no cgroup rule is a component prefix of the path).
 */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "edgepol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_edge_policy pol, again;
static char text[SW_EDGE_MAX_RULES * (SW_CONF_PATH_MAX + 32)];

static void
require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void
check_err(const char *err, int r)
{
	size_t n = strnlen(err, SW_CONF_ERR_MAX);

	require(n < SW_CONF_ERR_MAX);
	for (size_t i = 0; i < n; i++)
		require(err[i] >= 0x20 && err[i] < 0x7f);
	if (r == 0)
		require(n == 0);
	else {
		require(r == -EINVAL);
		require(strncmp(err, "fuzz.conf:", 10) == 0);
	}
}

static void
check_rule(const struct sw_edge_rule *r)
{
	size_t n, start;

	require(r->mode == SW_EDGE_DENY || r->mode == SW_EDGE_ALLOW ||
	    r->mode == SW_EDGE_DEFER);
	if (r->kind == SW_EDGE_UID) {
		require(r->uid <= UINT32_C(4294967294));
		return;
	}
	require(r->kind == SW_EDGE_CGROUP);
	n = strnlen(r->path, SW_CONF_PATH_MAX);
	require(n >= 2 && n < SW_CONF_PATH_MAX && r->path[0] == '/');
	start = 1;
	for (size_t i = 1; i <= n; i++) {
		if (i < n) {
			require(r->path[i] > 0x20 && r->path[i] < 0x7f);
			if (r->path[i] != '/')
				continue;
		}
		require(i > start);
		require(!(i - start == 1 && r->path[start] == '.'));
		require(!(i - start == 2 && r->path[start] == '.' &&
		    r->path[start + 1] == '.'));
		start = i + 1;
	}
}

static bool
same_subject(const struct sw_edge_rule *a, const struct sw_edge_rule *b)
{
	if (a->kind != b->kind)
		return false;
	return a->kind == SW_EDGE_UID ? a->uid == b->uid :
	    strcmp(a->path, b->path) == 0;
}

/* Could any cgroup rule match path (component prefix)? */
static bool
may_match(const struct sw_edge_policy *p, const char *path)
{
	for (unsigned i = 0; i < p->n; i++) {
		size_t l;

		if (p->rules[i].kind != SW_EDGE_CGROUP)
			continue;
		l = strlen(p->rules[i].path);
		if (strncmp(path, p->rules[i].path, l) == 0 &&
		    (path[l] == '\0' || path[l] == '/'))
			return true;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SW_CONF_ERR_MAX + 1], path[SW_CONF_PATH_MAX + 1];
	char *buf = malloc(size > 0 ? size : 1);
	size_t o = 0, off = 0;
	int r;

	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	sw_edge_policy_init(&pol);
	memset(err, 'X', sizeof err);
	err[SW_CONF_ERR_MAX] = '\0';
	r = sw_edge_policy_parse(&pol, "fuzz.conf", buf, size, err);
	require(err[SW_CONF_ERR_MAX] == '\0');
	check_err(err, r);
	r = sw_edge_policy_parse(&pol, "fuzz.conf", buf, size, err);
	check_err(err, r);
	require(pol.n <= SW_EDGE_MAX_RULES);
	for (unsigned i = 0; i < pol.n; i++) {
		check_rule(&pol.rules[i]);
		for (unsigned j = 0; j < i; j++)
			require(!same_subject(&pol.rules[i], &pol.rules[j]));
	}

	/* format, parse again: the same rules */
	for (unsigned i = 0; i < pol.n; i++) {
		int n = sw_edge_rule_format(&pol.rules[i], text + o,
		    sizeof text - o);

		require(n > 0 && (size_t)n < sizeof text - o);
		o += (size_t)n;
		text[o++] = '\n';
	}
	sw_edge_policy_init(&again);
	require(sw_edge_policy_parse(&again, "fuzz.conf", text, o, err) == 0);
	require(again.n == pol.n);
	for (unsigned i = 0; i < pol.n; i++)
		require(again.rules[i].mode == pol.rules[i].mode &&
		    same_subject(&again.rules[i], &pol.rules[i]));

	/* every input line as a cgroup path */
	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : size - off;
		size_t k = n < SW_CONF_PATH_MAX ? n : SW_CONF_PATH_MAX;
		enum sw_edge_mode m, mc;

		memcpy(path, buf + off, k);
		path[k] = '\0';
		m = sw_edge_policy_cgroup(&pol, path);
		require(m == SW_EDGE_DENY || m == SW_EDGE_ALLOW ||
		    m == SW_EDGE_DEFER);
		if (!may_match(&pol, path))
			require(m == SW_EDGE_DENY);
		mc = sw_edge_policy_caller(&pol, path, (uint32_t)k * 97u);
		require(mc == SW_EDGE_DENY || mc == SW_EDGE_ALLOW ||
		    mc == SW_EDGE_DEFER);
		if (may_match(&pol, path))
			require(mc == m);
		off += n + 1;
	}
	free(buf);
	return 0;
}
