/*
 * edgepol.c - the edge policy files (see edgepol.h, shipworm-edge.d(5)).
 *
 * The text is untrusted as any configuration: lines are bounded
 * (LINE_MAX_LEN), a NUL byte is an error, nothing is read past len, and
 * error messages carry values only through sw_conf_quote(), which keeps printable
 * ASCII and truncates, so each is one printable line.  No allocation, no
 * I/O: the rules live in the caller's struct sw_edge_policy.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "edgepol.h"

#define LINE_MAX_LEN	4096
#define QUOTE_BUF	SW_CONF_QUOTE_BUF
#define NAME_SHOW	64
#define MAX_TOKENS	4	/* mode, kind, subject, one too many */
#define UNIT_SLICE	"/system.slice/"
#define UID_MAX_VALUE	UINT32_C(4294967294)

#define tok sw_conf_tok	/* shorter, inside this file */

static const char *const mode_names[] = {
	[SW_EDGE_DENY] = "deny",
	[SW_EDGE_ALLOW] = "allow",
	[SW_EDGE_DEFER] = "defer",
};

const char *
sw_edge_mode_name(enum sw_edge_mode m)
{
	if ((unsigned)m >= sizeof mode_names / sizeof mode_names[0])
		return "?";
	return mode_names[m];
}

void
sw_edge_policy_init(struct sw_edge_policy *p)
{
	memset(p, 0, sizeof *p);
}

/* ---- text helpers ----------------------------------------------------------- */

static bool
is_print(char ch)
{
	return (unsigned char)ch > 0x20 && (unsigned char)ch < 0x7f;
}

struct pctx {
	const char *name;
	unsigned lineno;
	char *err;
};

/* "name:line: ..." with the file name made printable. */
static int __attribute__((format(printf, 2, 3)))
perr(const struct pctx *x, const char *fmt, ...)
{
	char name[NAME_SHOW + 4];
	size_t o = 0, n;
	va_list ap;

	for (const char *s = x->name != NULL ? x->name : "?"; *s != '\0' &&
	    o < NAME_SHOW; s++)
		name[o++] = is_print(*s) || *s == ' ' ? *s : '?';
	if (o == NAME_SHOW)
		name[o++] = '.', name[o++] = '.', name[o++] = '.';
	name[o] = '\0';
	(void)snprintf(x->err, SW_CONF_ERR_MAX, "%s:%u: ", name, x->lineno);
	n = strlen(x->err);
	va_start(ap, fmt);
	if (n < SW_CONF_ERR_MAX - 1)
		(void)vsnprintf(x->err + n, SW_CONF_ERR_MAX - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- subjects ---------------------------------------------------------------- */

/* A cgroup path (see edgepol.h) into out. */
static int
cgroup_value(const struct pctx *x, const struct tok *t,
    char out[static SW_CONF_PATH_MAX])
{
	char q[QUOTE_BUF];
	size_t start;

	if (t->len == 0 || t->p[0] != '/')
		return perr(x, "cgroup %s does not start with '/'",
		    sw_conf_quote(q, t->p, t->len));
	if (t->len >= SW_CONF_PATH_MAX)
		return perr(x, "cgroup %s is too long (%zu bytes, at most %d)",
		    sw_conf_quote(q, t->p, t->len), t->len, SW_CONF_PATH_MAX - 1);
	if (t->len == 1)
		return perr(x, "cgroup '/' is the root: it would cover "
		    "every process; name a cgroup below it");
	for (size_t i = 0; i < t->len; i++)
		if (!is_print(t->p[i]))
			return perr(x, "cgroup %s has a byte that is not "
			    "printable ASCII", sw_conf_quote(q, t->p, t->len));
	/* Components between slashes: none empty, "." or "..". */
	start = 1;
	for (size_t i = 1; i <= t->len; i++) {
		size_t n;

		if (i < t->len && t->p[i] != '/')
			continue;
		n = i - start;
		if (n == 0)
			return perr(x, "cgroup %s has an empty component",
			    sw_conf_quote(q, t->p, t->len));
		if ((n == 1 && t->p[start] == '.') ||
		    (n == 2 && t->p[start] == '.' && t->p[start + 1] == '.'))
			return perr(x, "cgroup %s has a '.' or '..' component",
			    sw_conf_quote(q, t->p, t->len));
		start = i + 1;
	}
	memcpy(out, t->p, t->len);
	out[t->len] = '\0';
	return 0;
}

/* A unit name: /system.slice/<unit>. */
static int
unit_value(const struct pctx *x, const struct tok *t,
    char out[static SW_CONF_PATH_MAX])
{
	char q[QUOTE_BUF];
	size_t pre = sizeof UNIT_SLICE - 1;

	if (t->len == 0 || memchr(t->p, '/', t->len) != NULL)
		return perr(x, "unit %s must not contain '/'",
		    sw_conf_quote(q, t->p, t->len));
	if ((t->len == 1 && t->p[0] == '.') ||
	    (t->len == 2 && t->p[0] == '.' && t->p[1] == '.'))
		return perr(x, "unit %s is not a unit name",
		    sw_conf_quote(q, t->p, t->len));
	for (size_t i = 0; i < t->len; i++)
		if (!is_print(t->p[i]))
			return perr(x, "unit %s has a byte that is not "
			    "printable ASCII", sw_conf_quote(q, t->p, t->len));
	if (pre + t->len >= SW_CONF_PATH_MAX)
		return perr(x, "unit %s is too long (at most %zu bytes)",
		    sw_conf_quote(q, t->p, t->len), SW_CONF_PATH_MAX - 1 - pre);
	memcpy(out, UNIT_SLICE, pre);
	memcpy(out + pre, t->p, t->len);
	out[pre + t->len] = '\0';
	return 0;
}

static int
uid_value(const struct pctx *x, const struct tok *t, uint32_t *out)
{
	char q[QUOTE_BUF];
	uint64_t v = 0;

	if (t->len == 0 || t->len > 10)
		goto bad;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			goto bad;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > UID_MAX_VALUE)
		goto bad;
	*out = (uint32_t)v;
	return 0;
 bad:
	return perr(x, "uid %s is not a number 0..4294967294",
	    sw_conf_quote(q, t->p, t->len));
}

/* ---- lines -------------------------------------------------------------------- */

/* Store r: replacing the rule for the same subject, else appended. */
static int
add_rule(struct sw_edge_policy *p, const struct pctx *x,
    const struct sw_edge_rule *r)
{
	for (unsigned i = 0; i < p->n && i < SW_EDGE_MAX_RULES; i++) {
		struct sw_edge_rule *o = &p->rules[i];

		if (o->kind != r->kind)
			continue;
		if ((r->kind == SW_EDGE_UID && o->uid == r->uid) ||
		    (r->kind == SW_EDGE_CGROUP &&
		    strcmp(o->path, r->path) == 0)) {
			*o = *r;
			return 0;
		}
	}
	if (p->n >= SW_EDGE_MAX_RULES)
		return perr(x, "too many rules (at most %d)",
		    SW_EDGE_MAX_RULES);
	p->rules[p->n++] = *r;
	return 0;
}

static int
parse_line(struct sw_edge_policy *p, const struct pctx *x, const char *line,
    size_t len)
{
	struct tok t[MAX_TOKENS];
	struct sw_edge_rule r;
	char q[QUOTE_BUF];
	const char *nul;
	size_t nt;
	int e;

	if (len > LINE_MAX_LEN)
		return perr(x, "line too long (%zu bytes, at most %d)", len,
		    LINE_MAX_LEN);
	if ((nul = memchr(line, '\0', len)) != NULL)
		return perr(x, "NUL byte at column %zu",
		    (size_t)(nul - line) + 1);
	nt = sw_conf_split(line, len, t, MAX_TOKENS);
	if (nt == 0)
		return 0;

	memset(&r, 0, sizeof r);
	if (sw_conf_tok_eq(&t[0], "allow"))
		r.mode = SW_EDGE_ALLOW;
	else if (sw_conf_tok_eq(&t[0], "deny"))
		r.mode = SW_EDGE_DENY;
	else if (sw_conf_tok_eq(&t[0], "defer"))
		r.mode = SW_EDGE_DEFER;
	else
		return perr(x, "unknown mode %s (allow, deny or defer)",
		    sw_conf_quote(q, t[0].p, t[0].len));
	if (nt < 2)
		return perr(x, "missing kind (cgroup, unit or uid)");
	if (nt < 3)
		return perr(x, "missing subject");
	if (nt > 3)
		return perr(x, "unexpected extra value %s",
		    sw_conf_quote(q, t[3].p, t[3].len));
	if (sw_conf_tok_eq(&t[1], "cgroup")) {
		r.kind = SW_EDGE_CGROUP;
		e = cgroup_value(x, &t[2], r.path);
	} else if (sw_conf_tok_eq(&t[1], "unit")) {
		r.kind = SW_EDGE_CGROUP;
		e = unit_value(x, &t[2], r.path);
	} else if (sw_conf_tok_eq(&t[1], "uid")) {
		r.kind = SW_EDGE_UID;
		e = uid_value(x, &t[2], &r.uid);
	} else
		return perr(x, "unknown kind %s (cgroup, unit or uid)",
		    sw_conf_quote(q, t[1].p, t[1].len));
	if (e != 0)
		return e;
	return add_rule(p, x, &r);
}

int
sw_edge_policy_parse(struct sw_edge_policy *p, const char *name,
    const char *buf, size_t len, char err[static SW_CONF_ERR_MAX])
{
	struct pctx x = { .name = name, .lineno = 0, .err = err };
	size_t off = 0;
	int r;

	err[0] = '\0';
	if (p->n > SW_EDGE_MAX_RULES)
		p->n = SW_EDGE_MAX_RULES;
	if (buf == NULL)
		len = 0;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;

		x.lineno++;
		if ((r = parse_line(p, &x, buf + off, n)) != 0)
			return r;
		off += n + 1;
	}
	return 0;
}

/* ---- decisions ------------------------------------------------------------------ */

/* The cgroup rule with the longest whole-component prefix of path. */
static const struct sw_edge_rule *
cgroup_match(const struct sw_edge_policy *p, const char *path)
{
	const struct sw_edge_rule *best = NULL;
	size_t best_len = 0;

	if (path == NULL || path[0] != '/')
		return NULL;
	for (unsigned i = 0; i < p->n && i < SW_EDGE_MAX_RULES; i++) {
		const struct sw_edge_rule *r = &p->rules[i];
		size_t l;

		if (r->kind != SW_EDGE_CGROUP)
			continue;
		l = strnlen(r->path, SW_CONF_PATH_MAX);
		if (l == 0 || l == SW_CONF_PATH_MAX || l <= best_len ||
		    strncmp(path, r->path, l) != 0 ||
		    (path[l] != '\0' && path[l] != '/'))
			continue;
		best = r;
		best_len = l;
	}
	return best;
}

enum sw_edge_mode
sw_edge_policy_cgroup(const struct sw_edge_policy *p, const char *cgroup_path)
{
	const struct sw_edge_rule *r = cgroup_match(p, cgroup_path);

	return r != NULL ? r->mode : SW_EDGE_DENY;
}

enum sw_edge_mode
sw_edge_policy_caller(const struct sw_edge_policy *p, const char *cgroup_path,
    uint32_t uid)
{
	const struct sw_edge_rule *r = cgroup_match(p, cgroup_path);

	if (r != NULL)
		return r->mode;
	for (unsigned i = 0; i < p->n && i < SW_EDGE_MAX_RULES; i++)
		if (p->rules[i].kind == SW_EDGE_UID && p->rules[i].uid == uid)
			return p->rules[i].mode;
	return SW_EDGE_DENY;
}

int
sw_edge_rule_format(const struct sw_edge_rule *r, char *buf, size_t n)
{
	const char *mode;
	int len;

	if (r == NULL || (buf == NULL && n > 0))
		return -EINVAL;
	mode = sw_edge_mode_name(r->mode);
	if (mode[0] == '?')
		return -EINVAL;
	switch (r->kind) {
	case SW_EDGE_CGROUP:
		if (strnlen(r->path, SW_CONF_PATH_MAX) == SW_CONF_PATH_MAX)
			return -EINVAL;
		len = snprintf(buf, n, "%s cgroup %s", mode, r->path);
		break;
	case SW_EDGE_UID:
		len = snprintf(buf, n, "%s uid %u", mode, (unsigned)r->uid);
		break;
	default:
		return -EINVAL;
	}
	return len < 0 ? -EINVAL : len;
}
