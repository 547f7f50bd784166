/*
 * conf.c - shipwormd.conf(5) from a buffer, one line at a time (see
 * conf.h and man/shipwormd.conf.5).
 *
 * The text is untrusted: every line is bounded (LINE_MAX_LEN), a NUL byte
 * is an error, and nothing is read past the length given.  Each setting
 * is one row of a table (name, role, value count, setter); a setter sees
 * the value tokens of one line and either stores them or writes the one
 * error line.  Checks that need the whole file (a setting under the wrong
 * Role, a missing server, AddressPolicy given after the addresses it
 * judges, RequireAuth without a ClientKey) wait for sw_conf_finish().
 *
 * Error messages are built only from constant text, numbers and values
 * passed through quote(), which escapes anything that is not printable
 * ASCII and truncates: the result is always one printable line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conf.h"

#define LINE_MAX_LEN	4096	/* bytes in a line, comment included */
#define NAME_MAX_LEN	32	/* longer than any setting name */
#define QUOTE_SHOW	SW_CONF_QUOTE_SHOW
#define QUOTE_BUF	SW_CONF_QUOTE_BUF
#define MAX_TOKENS	4	/* setting, two values, and one too many */

/* Ranges, in the order of shipwormd.conf(5). */
#define MTU_MIN		1280	/* COM-MTU-1 */
#define MTU_MAX		65507	/* largest UDP payload over IPv4 */
#define MTU_DEFAULT	1280
#define REFRESH_MIN	10
#define REFRESH_MAX	3600
#define REFRESH_DEFAULT	30	/* CLI-MNT-1/2: the default MUST be 30 s */
#define PAYLOAD_MAX	65507
#define PAYLOAD_DEFAULT	88	/* SRV-OP-4, as Miredo */
#define HOST_NAME_MAX_LEN 253	/* RFC 1035 §2.3.4, without a final dot */

/* Which roles a setting is for: a bit per enum sw_role. */
#define ROLE(r)		(1u << (r))
#define R_CLIENT	ROLE(SW_ROLE_CLIENT)
#define R_SERVER	ROLE(SW_ROLE_SERVER)
#define R_RELAY		ROLE(SW_ROLE_RELAY)
#define ROLE_ANY	(R_CLIENT | R_SERVER | R_RELAY)
#define PEERS_MIN	1
#define PEERS_MAX	(1u << 22)	/* 4 M peers, about 450 MB */
#define QUEUE_PEER_MIN	1280	/* one packet of the link MTU */
#define QUEUE_PEER_MAX	(1u << 20)
#define QUEUE_TOTAL_DEFAULT (256u << 10)
#define QUEUE_MAX	(256u << 20)
#define DORMANT_DEFAULT	3600	/* seconds */
#define DORMANT_MAX	31536000	/* a year */
#define EDGE_DIR_DEFAULT "/etc/shipworm/edge.d"
#define RS_RATE_MAX	10000	/* RSs per second per source */
#define RS_BURST_MAX	100000
#define RATE_TOTAL_MAX	1000000	/* per second, all sources together */
#define RS_RATE_DEFAULT	10	/* SRV-OP-5 */
#define RS_BURST_DEFAULT 20
#define RL_ENTRIES_MIN	4
#define RL_ENTRIES_MAX	(1u << 24)
#define RL_ENTRIES_DEFAULT 4096
#define RELAY_PORT_DEFAULT 3544	/* a relay's port is stable, and known to
				   the operator's firewall */

enum setting_id {
	S_ROLE,
	S_IFNAME,
	S_PREFIX,
	S_MTU,
	S_POLICY,
	S_SERVER,
	S_BIND_ADDR,
	S_BIND_PORT,
	S_REFRESH,
	S_CLIENT_ID,
	S_KEY_FILE,
	S_LOCAL_DISC,
	S_PEERS,
	S_QUEUE_PEER,
	S_QUEUE_TOTAL,
	S_SRV_BIND,
	S_SRV_SECONDARY,
	S_REQUIRE_AUTH,
	S_CLIENT_KEY,
	S_RELAY_MAX,
	S_RELAY_ADDR,
	S_HOST_SPECIFIC,
	S_SERVED,
	S_ALLOW_UNFW,
	S_DORMANT,
	S_EDGE_DIR,
	S_INTRANET,
	S_P41,
	S_RS_RATE,
	S_RL_ENTRIES,
	S_RS_TOTAL,
	S_PER_MAPPING,
	S_PER_ADDRESS,
	S_BUBBLE_RATE,
	S_BUBBLE_TOTAL,
	S__COUNT
};

#define tok sw_conf_tok	/* shorter, inside this file */

struct setting;

/* What a setter needs to store a value or to explain why not. */
struct ctx {
	struct sw_conf *c;
	const struct setting *s;
	char *err;
};

struct setting {
	const char *name;
	unsigned roles;		/* R_* bits: the roles it is for */
	unsigned min_vals, max_vals;
	bool repeatable;	/* ServerAddress, ClientKey: bounded by their
				   own counts */
	int (*set)(const struct ctx *x, const struct tok *v, size_t nv);
};

static const char *const role_names[] = {
	[SW_ROLE_CLIENT] = "client",
	[SW_ROLE_SERVER] = "server",
	[SW_ROLE_RELAY] = "relay",
};

static const char *const policy_names[] = {
	[SW_V4_HARDENED] = "hardened",
	[SW_V4_STRICT] = "strict",
	[SW_V4_LAB] = "lab",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
sw_role_name(enum sw_role r)
{
	if ((unsigned)r >= NELEM(role_names))
		return "?";
	return role_names[r];
}

static const char *
policy_name(enum sw_v4_policy p)
{
	if ((unsigned)p >= NELEM(policy_names))
		return "?";
	return policy_names[p];
}

/* ---- text helpers -------------------------------------------------------- */

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

size_t
sw_conf_split(const char *line, size_t len, struct sw_conf_tok *t, size_t max)
{
	size_t nt = 0, end = len, i;

	/* Drop the comment, then trailing blanks and CRs. */
	for (i = 0; i < len; i++)
		if (line[i] == '#') {
			end = i;
			break;
		}
	while (end > 0 && (is_blank(line[end - 1]) || line[end - 1] == '\r'))
		end--;

	for (i = 0; i < end && nt < max; ) {
		while (i < end && is_blank(line[i]))
			i++;
		if (i == end)
			break;
		t[nt].p = line + i;
		while (i < end && !is_blank(line[i]))
			i++;
		t[nt].len = (size_t)(line + i - t[nt].p);
		nt++;
	}
	return nt;
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static char
lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static int
hex_value(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	ch = lower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

bool
sw_conf_tok_eq(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	if (t->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(t->p[i]) != lower(word[i]))
			return false;
	return true;
}

/*
 * 'value' with anything but printable ASCII (and the quote and backslash
 * themselves) escaped, cut after QUOTE_SHOW characters with "...".
 */
const char *
sw_conf_quote(char q[static QUOTE_BUF], const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	q[o++] = '\'';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		size_t need = ch >= 0x20 && ch < 0x7f ?
		    (ch == '\'' || ch == '\\' ? 2 : 1) : 4;

		if (o - 1 + need > QUOTE_SHOW) {
			memcpy(q + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 4) {
			q[o++] = '\\';
			q[o++] = 'x';
			q[o++] = hex[ch >> 4];
			q[o++] = hex[ch & 0xf];
		} else {
			if (need == 2)
				q[o++] = '\\';
			q[o++] = (char)ch;
		}
	}
	q[o++] = '\'';
	q[o] = '\0';
	return q;
}

static const char *
quote_tok(char q[static QUOTE_BUF], const struct tok *t)
{
	return sw_conf_quote(q, t->p, t->len);
}

/* Append to err; snprintf keeps it bounded and NUL-terminated. */
static void __attribute__((format(printf, 2, 0)))
verr(char err[static SW_CONF_ERR_MAX], const char *fmt, va_list ap)
{
	size_t n = strlen(err);

	if (n < SW_CONF_ERR_MAX - 1)
		(void)vsnprintf(err + n, SW_CONF_ERR_MAX - n, fmt, ap);
}

/* "line N: Setting: ..." (setting may be NULL: "line N: ..."). */
static int __attribute__((format(printf, 4, 5)))
line_error(const struct sw_conf *c, const char *setting,
    char err[static SW_CONF_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	if (setting != NULL)
		(void)snprintf(err, SW_CONF_ERR_MAX, "line %u: %s: ",
		    c->lineno, setting);
	else
		(void)snprintf(err, SW_CONF_ERR_MAX, "line %u: ", c->lineno);
	va_start(ap, fmt);
	verr(err, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "Setting: ..." from sw_conf_finish(). */
static int __attribute__((format(printf, 3, 4)))
file_error(const char *setting, char err[static SW_CONF_ERR_MAX],
    const char *fmt, ...)
{
	va_list ap;

	(void)snprintf(err, SW_CONF_ERR_MAX, "%s: ", setting);
	va_start(ap, fmt);
	verr(err, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A setter's error: "line N: <its setting>: ...". */
#define FAIL(x, ...) line_error((x)->c, (x)->s->name, (x)->err, __VA_ARGS__)

/* ---- value parsers ------------------------------------------------------- */

/* Decimal digits only; saturates far above any range we accept. */
static bool
parse_uint(const struct tok *t, uint64_t *out)
{
	uint64_t v = 0;

	if (t->len == 0)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		if (!is_digit(t->p[i]))
			return false;
		if (v < UINT64_C(1) << 40)
			v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	*out = v;
	return true;
}

static int
number(const struct ctx *x, const struct tok *t, uint32_t min, uint32_t max,
    uint32_t *out)
{
	char q[QUOTE_BUF];
	uint64_t v;

	if (!parse_uint(t, &v))
		return FAIL(x, "%s is not a number (%u..%u)", quote_tok(q, t),
		    min, max);
	if (v < min || v > max)
		return FAIL(x, "%s is out of range (%u..%u)", quote_tok(q, t),
		    min, max);
	*out = (uint32_t)v;
	return 0;
}

/* Dotted-quad IPv4, exactly four decimal parts. */
static bool
parse_v4(const char *p, size_t len, uint32_t *out)
{
	char buf[16];

	if (len == 0 || len >= sizeof buf)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_digit(p[i]) && p[i] != '.')
			return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return sw_addr_parse4(buf, out) == 0;
}

static int
v4_value(const struct ctx *x, const struct tok *t, uint32_t *out)
{
	char q[QUOTE_BUF];

	if (!parse_v4(t->p, t->len, out))
		return FAIL(x, "%s is not an IPv4 address (A.B.C.D)",
		    quote_tok(q, t));
	return 0;
}

enum host_kind {
	HOST_BAD,	/* neither */
	HOST_BAD_V4,	/* looks numeric but is not a dotted quad */
	HOST_NAME,
	HOST_V4,
};

/*
 * A host name (RFC 1123 §2.1 labels: letters, digits and '-', not at
 * either end, 1..63 each, 253 in all, one final '.' allowed) or a dotted
 * IPv4 address.  A name whose last label is all digits can only be meant
 * as an address (RFC 3696 §2: no top-level domain is numeric).
 */
static enum host_kind
host_kind(const char *p, size_t len, uint32_t *v4)
{
	size_t n = len, start = 0;
	bool numeric = false;

	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0 || n > HOST_NAME_MAX_LEN)
		return HOST_BAD;
	for (size_t i = 0; i <= n; i++) {
		size_t lab;

		if (i < n && p[i] != '.') {
			if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '-')
				return HOST_BAD;
			continue;
		}
		lab = i - start;
		if (lab == 0 || lab > 63 || p[start] == '-' || p[i - 1] == '-')
			return HOST_BAD;
		numeric = true;
		for (size_t j = start; j < i; j++)
			if (!is_digit(p[j]))
				numeric = false;
		start = i + 1;
	}
	if (numeric) {
		uint32_t a;

		if (n != len || !parse_v4(p, n, &a))
			return HOST_BAD_V4;
		if (v4 != NULL)
			*v4 = a;
		return HOST_V4;
	}
	return HOST_NAME;
}

static int
host_value(const struct ctx *x, const struct tok *t, const char *what)
{
	char q[QUOTE_BUF];

	switch (host_kind(t->p, t->len, NULL)) {
	case HOST_NAME:
	case HOST_V4:
		return 0;
	case HOST_BAD_V4:
		return FAIL(x, "%s%s is not a valid IPv4 address", what,
		    quote_tok(q, t));
	case HOST_BAD:
		break;
	}
	return FAIL(x, "%s%s is not a host name or IPv4 address", what,
	    quote_tok(q, t));
}

/* Host names compare without regard to case. */
static bool
tok_eq_tok(const struct tok *a, const struct tok *b)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++)
		if (lower(a->p[i]) != lower(b->p[i]))
			return false;
	return true;
}

static bool
same_host(const char *a, const struct tok *b)
{
	return sw_conf_tok_eq(b, a);
}

/* ---- setters ------------------------------------------------------------- */

static int
set_role(const struct ctx *x, const struct tok *v, size_t nv)
{
	char q[QUOTE_BUF];

	(void)nv;
	for (size_t i = 0; i < NELEM(role_names); i++)
		if (sw_conf_tok_eq(&v[0], role_names[i])) {
			x->c->role = (enum sw_role)i;
			return 0;
		}
	return FAIL(x, "%s is not client, server or relay",
	    quote_tok(q, &v[0]));
}

/* An interface name into out (InterfaceName, Protocol41Interface). */
static int
ifname_value(const struct ctx *x, const struct tok *t,
    char out[static SW_CONF_IFNAME_MAX])
{
	char q[QUOTE_BUF];
	bool ok = t->len > 0 && t->len < SW_CONF_IFNAME_MAX &&
	    !sw_conf_tok_eq(t, ".") && !sw_conf_tok_eq(t, "..");

	for (size_t i = 0; ok && i < t->len; i++)
		ok = is_alpha(t->p[i]) || is_digit(t->p[i]) ||
		    t->p[i] == '_' || t->p[i] == '.' || t->p[i] == '-';
	if (!ok)
		return FAIL(x, "%s is not an interface name "
		    "(1..15 of A-Z a-z 0-9 _ . -)", quote_tok(q, t));
	memcpy(out, t->p, t->len);
	out[t->len] = '\0';
	return 0;
}

static int
set_ifname(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return ifname_value(x, &v[0], x->c->ifname);
}

/* COM-ADDR-1: a /32, written as an IPv6 address with "/32". */
static int
set_prefix(const struct ctx *x, const struct tok *v, size_t nv)
{
	char q[QUOTE_BUF], buf[64];
	const struct tok *t = &v[0];
	const char *slash = memchr(t->p, '/', t->len);
	struct tok plen;
	uint8_t a[16];
	uint64_t n;
	size_t alen;

	(void)nv;
	if (slash == NULL)
		return FAIL(x, "%s needs a prefix length (/32)",
		    quote_tok(q, t));
	alen = (size_t)(slash - t->p);
	plen.p = slash + 1;
	plen.len = t->len - alen - 1;
	if (alen == 0 || alen >= sizeof buf)
		return FAIL(x, "%s is not an IPv6 prefix", quote_tok(q, t));
	memcpy(buf, t->p, alen);
	buf[alen] = '\0';
	if (strspn(buf, "0123456789abcdefABCDEF:.") != alen ||
	    sw_addr_parse6(buf, a) != 0)
		return FAIL(x, "%s is not an IPv6 prefix", quote_tok(q, t));
	if (!parse_uint(&plen, &n) || n != 32)
		return FAIL(x, "%s must be a /32 (COM-ADDR-1)",
		    quote_tok(q, t));
	for (size_t i = 4; i < 16; i++)
		if (a[i] != 0)
			return FAIL(x, "%s has bits set after the first 32",
			    quote_tok(q, t));
	/* Not ::/32, link-local or multicast: those cannot carry Teredo. */
	if ((a[0] == 0 && a[1] == 0) || a[0] == 0xff ||
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return FAIL(x, "%s is not a global unicast prefix",
		    quote_tok(q, t));
	x->c->prefix = sw_get32(a);
	return 0;
}

static int
set_mtu(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], MTU_MIN, MTU_MAX, &x->c->mtu);
}

static int
set_policy(const struct ctx *x, const struct tok *v, size_t nv)
{
	char q[QUOTE_BUF];

	(void)nv;
	for (size_t i = 0; i < NELEM(policy_names); i++)
		if (sw_conf_tok_eq(&v[0], policy_names[i])) {
			x->c->v4_policy = (enum sw_v4_policy)i;
			return 0;
		}
	return FAIL(x, "%s is not hardened, strict or lab",
	    quote_tok(q, &v[0]));
}

/* CLI-CFG-1: primary [secondary]; up to SW_CONF_MAX_SERVERS lines. */
static int
set_server(const struct ctx *x, const struct tok *v, size_t nv)
{
	struct sw_conf *c = x->c;
	struct sw_conf_server *s;
	char q[QUOTE_BUF];
	int r;

	if (c->n_servers >= SW_CONF_MAX_SERVERS)
		return FAIL(x, "more than %d servers", SW_CONF_MAX_SERVERS);
	if ((r = host_value(x, &v[0], "")) != 0)
		return r;
	if (nv > 1) {
		if ((r = host_value(x, &v[1], "secondary ")) != 0)
			return r;
		if (tok_eq_tok(&v[0], &v[1]))
			return FAIL(x, "secondary %s is the primary itself",
			    quote_tok(q, &v[1]));
	}
	for (unsigned i = 0; i < c->n_servers; i++)
		if (same_host(c->servers[i].primary, &v[0]))
			return FAIL(x, "%s is already listed",
			    quote_tok(q, &v[0]));
	s = &c->servers[c->n_servers];
	memset(s, 0, sizeof *s);
	memcpy(s->primary, v[0].p, v[0].len);
	if (nv > 1)
		memcpy(s->secondary, v[1].p, v[1].len);
	c->n_servers++;
	return 0;
}

static int
set_bind_addr(const struct ctx *x, const struct tok *v, size_t nv)
{
	char q[QUOTE_BUF];
	uint32_t a;
	int r;

	(void)nv;
	if ((r = v4_value(x, &v[0], &a)) != 0)
		return r;
	if ((a >> 28) == 0xe || a == UINT32_MAX)
		return FAIL(x, "%s is not a unicast address",
		    quote_tok(q, &v[0]));
	x->c->bind_addr = a;
	return 0;
}

static int
set_bind_port(const struct ctx *x, const struct tok *v, size_t nv)
{
	uint32_t port = 0;
	int r;

	(void)nv;
	if ((r = number(x, &v[0], 0, UINT16_MAX, &port)) != 0)
		return r;
	x->c->bind_port = (uint16_t)port;
	return 0;
}

/* HARD-6: the peer table and its queues (client and relay). */
static int
set_peers(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], PEERS_MIN, PEERS_MAX, &x->c->peers);
}

static int
set_queue_peer(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], QUEUE_PEER_MIN, QUEUE_PEER_MAX,
	    &x->c->queue_peer_bytes);
}

static int
set_queue_total(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], QUEUE_PEER_MIN, QUEUE_MAX,
	    &x->c->queue_total_bytes);
}

static int
set_refresh(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], REFRESH_MIN, REFRESH_MAX, &x->c->refresh);
}

/*
 * A client identifier, as hex (ClientId, ClientKey): an even number of
 * digits, 1..SW_CONF_ID_MAX bytes.  Nothing is stored on an error.
 */
static int
hex_id(const struct ctx *x, const struct tok *t,
    uint8_t id[static SW_CONF_ID_MAX], uint8_t *id_len)
{
	char q[QUOTE_BUF];

	for (size_t i = 0; i < t->len; i++)
		if (hex_value(t->p[i]) < 0)
			return FAIL(x, "%s is not hexadecimal",
			    quote_tok(q, t));
	if (t->len % 2 != 0)
		return FAIL(x, "%s has an odd number of hex digits",
		    quote_tok(q, t));
	if (t->len / 2 > SW_CONF_ID_MAX)
		return FAIL(x, "%s is %zu bytes long (1..%d)", quote_tok(q, t),
		    t->len / 2, SW_CONF_ID_MAX);
	for (size_t i = 0; i < t->len / 2; i++)
		id[i] = (uint8_t)(hex_value(t->p[2 * i]) << 4 |
		    hex_value(t->p[2 * i + 1]));
	*id_len = (uint8_t)(t->len / 2);
	return 0;
}

/*
 * A key file's name (KeyFile, ClientKey): absolute, shorter than
 * SW_CONF_PATH_MAX, no control character.  Nothing is stored on an error.
 */
static int
abs_path(const struct ctx *x, const struct tok *t,
    char path[static SW_CONF_PATH_MAX])
{
	char q[QUOTE_BUF];

	if (t->p[0] != '/')
		return FAIL(x, "%s is not an absolute path", quote_tok(q, t));
	if (t->len >= SW_CONF_PATH_MAX)
		return FAIL(x, "%s is too long (%zu bytes, at most %d)",
		    quote_tok(q, t), t->len, SW_CONF_PATH_MAX - 1);
	for (size_t i = 0; i < t->len; i++) {
		unsigned char ch = (unsigned char)t->p[i];

		if (ch < 0x20 || ch == 0x7f)
			return FAIL(x, "%s contains a control character",
			    quote_tok(q, t));
	}
	memcpy(path, t->p, t->len);
	path[t->len] = '\0';
	return 0;
}

/* CLI-CFG-2: the client identifier, as hex. */
static int
set_client_id(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return hex_id(x, &v[0], x->c->client_id, &x->c->client_id_len);
}

static int
set_key_file(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return abs_path(x, &v[0], x->c->key_file);
}

static int
set_srv_bind(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return v4_value(x, &v[0], &x->c->server_primary);
}

static int
set_srv_secondary(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return v4_value(x, &v[0], &x->c->server_secondary);
}

static int yes_no(const struct ctx *x, const struct tok *v, bool *out);

static int
set_require_auth(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return yes_no(x, &v[0], &x->c->require_auth);
}

/*
 * CLI-SQ-*, SRV-RA-6: a client's id (as ClientId) and the file with its
 * key (as KeyFile); up to SW_CONF_MAX_CLIENT_KEYS lines, one per id.
 */
static int
set_client_key(const struct ctx *x, const struct tok *v, size_t nv)
{
	struct sw_conf *c = x->c;
	struct sw_conf_client_key *k;
	uint8_t id[SW_CONF_ID_MAX], id_len = 0;
	char q[QUOTE_BUF];
	int r;

	(void)nv;
	if (c->n_client_keys >= SW_CONF_MAX_CLIENT_KEYS)
		return FAIL(x, "more than %d client keys",
		    SW_CONF_MAX_CLIENT_KEYS);
	if ((r = hex_id(x, &v[0], id, &id_len)) != 0)
		return r;
	for (unsigned i = 0; i < c->n_client_keys; i++)
		if (c->client_keys[i].id_len == id_len &&
		    memcmp(c->client_keys[i].id, id, id_len) == 0)
			return FAIL(x, "client id %s is already listed",
			    quote_tok(q, &v[0]));
	k = &c->client_keys[c->n_client_keys];
	if ((r = abs_path(x, &v[1], k->key_file)) != 0)
		return r;
	memcpy(k->id, id, id_len);
	k->id_len = id_len;
	c->n_client_keys++;
	return 0;
}

static int
set_relay_max(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], 0, PAYLOAD_MAX, &x->c->relay_max_payload);
}

static int
yes_no(const struct ctx *x, const struct tok *v, bool *out)
{
	char q[QUOTE_BUF];

	if (sw_conf_tok_eq(v, "yes"))
		*out = true;
	else if (sw_conf_tok_eq(v, "no"))
		*out = false;
	else
		return FAIL(x, "%s is not yes or no", quote_tok(q, v));
	return 0;
}

/* An IPv6 address token into out (0 or the FAIL). */
static int
ip6_tok(const struct ctx *x, const struct tok *t, uint8_t out[static 16])
{
	char buf[64], q[QUOTE_BUF];

	if (t->len == 0 || t->len >= sizeof buf)
		return FAIL(x, "%s is not an IPv6 address", quote_tok(q, t));
	memcpy(buf, t->p, t->len);
	buf[t->len] = '\0';
	if (sw_addr_parse6(buf, out) != 0)
		return FAIL(x, "%s is not an IPv6 address", quote_tok(q, t));
	return 0;
}

/* REL-TX-4, HSR-3: the relay's own native address, the source of its
 * bubbles (and the host's address for a host-specific relay). */
static int
set_relay_addr(const struct ctx *x, const struct tok *v, size_t nv)
{
	uint8_t a[16];
	char q[QUOTE_BUF];
	int r;

	(void)nv;
	if ((r = ip6_tok(x, &v[0], a)) != 0)
		return r;
	if (sw_check_ip6_src(a) != SW_DROP_NONE)	/* multicast, link-local */
		return FAIL(x, "%s is not a global unicast IPv6 address",
		    quote_tok(q, &v[0]));
	memcpy(x->c->relay_addr, a, 16);
	return 0;
}

/* DISC-1..9: local client discovery (yes by default, DISC-9). */
static int
set_local_disc(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return yes_no(x, &v[0], &x->c->local_discovery);
}

static int
set_host_specific(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return yes_no(x, &v[0], &x->c->host_specific);
}

/* REL-RX-5, HSR-4: ADDRESS/LENGTH, repeatable. */
static int
set_served(const struct ctx *x, const struct tok *v, size_t nv)
{
	struct sw_conf *c = x->c;
	const char *slash = memchr(v[0].p, '/', v[0].len);
	struct tok a, l;
	uint32_t plen;
	char q[QUOTE_BUF];
	int r;

	(void)nv;
	if (c->n_served == SW_CONF_MAX_SERVED)
		return FAIL(x, "more than %d ranges", SW_CONF_MAX_SERVED);
	if (slash == NULL)
		return FAIL(x, "%s is not ADDRESS/LENGTH", quote_tok(q, &v[0]));
	a.p = v[0].p;
	a.len = (size_t)(slash - v[0].p);
	l.p = slash + 1;
	l.len = v[0].len - a.len - 1;
	if ((r = ip6_tok(x, &a, c->served[c->n_served].addr)) != 0 ||
	    (r = number(x, &l, 0, 128, &plen)) != 0)
		return r;
	c->served[c->n_served].plen = (uint8_t)plen;
	c->n_served++;
	return 0;
}

/* ---- [guard] settings ----------------------------------------------------- */

/* HARD-2/3: refuse to run without the edge firewall unless told to. */
static int
set_allow_unfw(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return yes_no(x, &v[0], &x->c->allow_unfirewalled);
}

static int
set_dormant(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], 0, DORMANT_MAX, &x->c->dormant_after);
}

static int
set_edge_dir(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return abs_path(x, &v[0], x->c->edge_dir);
}

/* HARD-4: A.B.C.D/N, no host bits, not /0; up to SW_CONF_MAX_INTRANET. */
static int
set_intranet(const struct ctx *x, const struct tok *v, size_t nv)
{
	struct sw_conf *c = x->c;
	const char *slash = memchr(v[0].p, '/', v[0].len);
	struct sw_v4_net n;
	struct tok l;
	uint32_t a, plen, mask;
	char q[QUOTE_BUF];
	int r;

	(void)nv;
	if (c->n_intranet >= SW_CONF_MAX_INTRANET)
		return FAIL(x, "more than %d prefixes", SW_CONF_MAX_INTRANET);
	if (slash == NULL ||
	    !parse_v4(v[0].p, (size_t)(slash - v[0].p), &a))
		return FAIL(x, "%s is not an IPv4 prefix (A.B.C.D/N)",
		    quote_tok(q, &v[0]));
	l.p = slash + 1;
	l.len = v[0].len - (size_t)(slash - v[0].p) - 1;
	if ((r = number(x, &l, 1, 32, &plen)) != 0)
		return r;
	mask = plen >= 32 ? UINT32_MAX : ~(UINT32_MAX >> plen);
	if ((a & ~mask) != 0)
		return FAIL(x, "%s has host bits set", quote_tok(q, &v[0]));
	n.addr = a;
	n.plen = (uint8_t)plen;
	for (unsigned i = 0; i < c->n_intranet; i++)
		if (c->intranet[i].addr == n.addr &&
		    c->intranet[i].plen == n.plen)
			return FAIL(x, "%s is already listed",
			    quote_tok(q, &v[0]));
	c->intranet[c->n_intranet++] = n;
	return 0;
}

/* Interfaces that decapsulate IPv6 (6in4 ...): the edge firewall covers
 * them too.  Up to SW_CONF_MAX_P41. */
static int
set_p41(const struct ctx *x, const struct tok *v, size_t nv)
{
	struct sw_conf *c = x->c;
	char name[SW_CONF_IFNAME_MAX], q[QUOTE_BUF];
	int r;

	(void)nv;
	if (c->n_p41 >= SW_CONF_MAX_P41)
		return FAIL(x, "more than %d interfaces", SW_CONF_MAX_P41);
	if ((r = ifname_value(x, &v[0], name)) != 0)
		return r;
	for (unsigned i = 0; i < c->n_p41; i++)
		if (strcmp(c->p41_ifnames[i], name) == 0)
			return FAIL(x, "%s is already listed",
			    quote_tok(q, &v[0]));
	memcpy(c->p41_ifnames[c->n_p41++], name, sizeof name);
	return 0;
}

/* SRV-OP-5: PER_SECOND BURST. */
static int
set_rs_rate(const struct ctx *x, const struct tok *v, size_t nv)
{
	uint32_t rate, burst;
	int r;

	(void)nv;
	if ((r = number(x, &v[0], 1, RS_RATE_MAX, &rate)) != 0 ||
	    (r = number(x, &v[1], 1, RS_BURST_MAX, &burst)) != 0)
		return r;
	x->c->rs_per_second = rate;
	x->c->rs_burst = burst;
	return 0;
}

static int
set_rl_entries(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], RL_ENTRIES_MIN, RL_ENTRIES_MAX,
	    &x->c->rl_entries);
}

/* RATE BURST: two numbers, each in [1, max]. */
static int
rate_burst(const struct ctx *x, const struct tok *v, uint32_t rate_max,
    uint32_t burst_max, uint32_t *rate, uint32_t *burst)
{
	int r;

	if ((r = number(x, &v[0], 1, rate_max, rate)) != 0 ||
	    (r = number(x, &v[1], 1, burst_max, burst)) != 0)
		return r;
	return 0;
}

static int
set_rs_total(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return rate_burst(x, v, RATE_TOTAL_MAX, RS_BURST_MAX,
	    &x->c->rs_total_per_second, &x->c->rs_total_burst);
}

static int
set_per_mapping(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], PEERS_MIN, PEERS_MAX,
	    &x->c->peers_per_mapping);
}

static int
set_per_address(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return number(x, &v[0], PEERS_MIN, PEERS_MAX,
	    &x->c->peers_per_address);
}

static int
set_bubble_rate(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return rate_burst(x, v, RS_RATE_MAX, RS_BURST_MAX,
	    &x->c->bubble_per_second, &x->c->bubble_burst);
}

static int
set_bubble_total(const struct ctx *x, const struct tok *v, size_t nv)
{
	(void)nv;
	return rate_burst(x, v, RATE_TOTAL_MAX, RS_BURST_MAX,
	    &x->c->bubble_total_per_second, &x->c->bubble_total_burst);
}

static const struct setting settings[S__COUNT] = {
	[S_ROLE] = { "Role", ROLE_ANY, 1, 1, false, set_role },
	[S_IFNAME] = { "InterfaceName", ROLE_ANY, 1, 1, false, set_ifname },
	[S_PREFIX] = { "Prefix", ROLE_ANY, 1, 1, false, set_prefix },
	[S_MTU] = { "MTU", ROLE_ANY, 1, 1, false, set_mtu },
	[S_POLICY] = { "AddressPolicy", ROLE_ANY, 1, 1, false, set_policy },
	[S_SERVER] = { "ServerAddress", R_CLIENT, 1, 2, true,
	    set_server },
	[S_BIND_ADDR] = { "BindAddress", R_CLIENT | R_RELAY, 1, 1, false,
	    set_bind_addr },
	[S_BIND_PORT] = { "BindPort", R_CLIENT | R_RELAY, 1, 1, false,
	    set_bind_port },
	[S_REFRESH] = { "RefreshInterval", R_CLIENT, 1, 1, false,
	    set_refresh },
	[S_CLIENT_ID] = { "ClientId", R_CLIENT, 1, 1, false,
	    set_client_id },
	[S_KEY_FILE] = { "KeyFile", R_CLIENT, 1, 1, false,
	    set_key_file },
	[S_PEERS] = { "PeerTableSize", R_CLIENT | R_RELAY, 1, 1, false,
	    set_peers },
	[S_QUEUE_PEER] = { "QueuePeerBytes", R_CLIENT | R_RELAY, 1, 1, false,
	    set_queue_peer },
	[S_QUEUE_TOTAL] = { "QueueTotalBytes", R_CLIENT | R_RELAY, 1, 1, false,
	    set_queue_total },
	[S_LOCAL_DISC] = { "LocalDiscovery", R_CLIENT, 1, 1, false,
	    set_local_disc },
	[S_SRV_BIND] = { "ServerBindAddress", R_SERVER, 1, 1, false,
	    set_srv_bind },
	[S_SRV_SECONDARY] = { "SecondaryBindAddress", R_SERVER, 1, 1,
	    false, set_srv_secondary },
	[S_REQUIRE_AUTH] = { "RequireAuth", R_SERVER, 1, 1, false,
	    set_require_auth },
	[S_CLIENT_KEY] = { "ClientKey", R_SERVER, 2, 2, true,
	    set_client_key },
	[S_RELAY_MAX] = { "RelayMaxPayload", R_SERVER, 1, 1, false,
	    set_relay_max },
	[S_RELAY_ADDR] = { "RelayAddress", R_RELAY, 1, 1, false,
	    set_relay_addr },
	[S_HOST_SPECIFIC] = { "HostSpecific", R_RELAY, 1, 1, false,
	    set_host_specific },
	[S_SERVED] = { "ServedPrefix", R_RELAY, 1, 1, true, set_served },
	[S_ALLOW_UNFW] = { "AllowUnfirewalled", R_CLIENT | R_RELAY, 1, 1, false,
	    set_allow_unfw },
	[S_DORMANT] = { "DormantAfter", R_CLIENT | R_RELAY, 1, 1, false, set_dormant },
	[S_EDGE_DIR] = { "EdgePolicyDir", R_CLIENT | R_RELAY, 1, 1, false,
	    set_edge_dir },
	[S_INTRANET] = { "IntranetPrefix", R_CLIENT | R_RELAY, 1, 1, true,
	    set_intranet },
	[S_P41] = { "Protocol41Interface", R_CLIENT, 1, 1, true, set_p41 },
	[S_RS_RATE] = { "RsRateLimit", R_SERVER, 2, 2, false, set_rs_rate },
	[S_RL_ENTRIES] = { "RateLimitTableSize", R_SERVER, 1, 1, false,
	    set_rl_entries },
	[S_RS_TOTAL] = { "RsRateLimitTotal", R_SERVER, 2, 2, false,
	    set_rs_total },
	[S_PER_MAPPING] = { "PeersPerMapping", R_CLIENT | R_RELAY, 1, 1,
	    false, set_per_mapping },
	[S_PER_ADDRESS] = { "PeersPerAddress", R_CLIENT | R_RELAY, 1, 1,
	    false, set_per_address },
	[S_BUBBLE_RATE] = { "BubbleRateLimit", R_RELAY, 2, 2, false,
	    set_bubble_rate },
	[S_BUBBLE_TOTAL] = { "BubbleRateLimitTotal", R_RELAY, 2, 2, false,
	    set_bubble_total },
};

#define SEEN(id) (UINT64_C(1) << (id))

static const struct setting *
lookup(const struct tok *t)
{
	for (size_t i = 0; i < S__COUNT; i++)
		if (sw_conf_tok_eq(t, settings[i].name))
			return &settings[i];
	return NULL;
}

/* ---- the API ------------------------------------------------------------- */

void
sw_conf_init(struct sw_conf *c)
{
	memset(c, 0, sizeof *c);
	c->role = SW_ROLE_CLIENT;
	memcpy(c->ifname, "teredo", sizeof "teredo");
	c->prefix = SW_TEREDO_PREFIX;
	c->mtu = MTU_DEFAULT;
	c->v4_policy = SW_V4_HARDENED;
	c->refresh = REFRESH_DEFAULT;
	c->local_discovery = true;		/* RFC 4380 §5.2.8: SHOULD */
	c->relay_max_payload = PAYLOAD_DEFAULT;
	c->dormant_after = DORMANT_DEFAULT;
	memcpy(c->edge_dir, EDGE_DIR_DEFAULT, sizeof EDGE_DIR_DEFAULT);
	c->rs_per_second = RS_RATE_DEFAULT;
	c->rs_burst = RS_BURST_DEFAULT;
	c->rl_entries = RL_ENTRIES_DEFAULT;
}

int
sw_conf_line(struct sw_conf *c, const char *line, size_t len,
    char err[static SW_CONF_ERR_MAX])
{
	struct tok t[MAX_TOKENS];
	const struct setting *s = NULL;
	const char *nul;
	char q[QUOTE_BUF];
	size_t nt = 0, i = 0, end, nv;
	struct ctx x;
	uint64_t bit;
	int r;

	err[0] = '\0';
	c->lineno++;
	if (line == NULL) {
		line = "";
		len = 0;
	}

	/* The setting, found before anything else so that errors about the
	 * line as a whole can name it. */
	end = len < LINE_MAX_LEN ? len : LINE_MAX_LEN;
	while (i < end && is_blank(line[i]))
		i++;
	t[0].p = line + i;
	while (i < end && !is_blank(line[i]) && line[i] != '#' &&
	    line[i] != '\0' && line[i] != '\r')
		i++;
	t[0].len = (size_t)(line + i - t[0].p);
	if (t[0].len > 0 && t[0].len <= NAME_MAX_LEN)
		s = lookup(&t[0]);

	if (len > LINE_MAX_LEN)
		return line_error(c, s != NULL ? s->name : NULL, err,
		    "line too long (%zu bytes, at most %d)", len, LINE_MAX_LEN);
	if ((nul = memchr(line, '\0', len)) != NULL)
		return line_error(c, s != NULL ? s->name : NULL, err,
		    "NUL byte at column %zu", (size_t)(nul - line) + 1);

	nt = sw_conf_split(line, len, t, MAX_TOKENS);
	if (nt == 0)
		return 0;	/* blank or comment */
	if (t[0].len > NAME_MAX_LEN || (s = lookup(&t[0])) == NULL)
		return line_error(c, NULL, err, "unknown setting %s",
		    quote_tok(q, &t[0]));

	bit = SEEN(s - settings);
	if ((c->seen & bit) != 0 && !s->repeatable)
		return line_error(c, s->name, err, "given twice");
	nv = nt - 1;
	if (nv < s->min_vals)
		return line_error(c, s->name, err, "missing value");
	if (nv > s->max_vals)
		return line_error(c, s->name, err, "unexpected extra value %s",
		    quote_tok(q, &t[s->max_vals + 1]));

	x.c = c;
	x.s = s;
	x.err = err;
	if ((r = s->set(&x, t + 1, nv)) != 0)
		return r;
	c->seen |= bit;
	return 0;
}

/* The tail of every COM-V4G complaint; %s is the AddressPolicy. */
#define NOT_GLOBAL "is not a global unicast IPv4 address (AddressPolicy %s)"

/*
 * CLI-CFG-4: a server given as an address must be global unicast under
 * the AddressPolicy in force, and so must its secondary, given or
 * implied (the daemon checks names once resolved).
 */
static int
check_servers(const struct sw_conf *c, const struct sw_v4_check *chk,
    char err[static SW_CONF_ERR_MAX])
{
	const char *name = settings[S_SERVER].name;
	const char *pol = policy_name(c->v4_policy);
	char q[QUOTE_BUF], a4[16];

	for (unsigned i = 0; i < c->n_servers && i < SW_CONF_MAX_SERVERS; i++) {
		const struct sw_conf_server *s = &c->servers[i];
		size_t plen = strnlen(s->primary, sizeof s->primary);
		size_t slen = strnlen(s->secondary, sizeof s->secondary);
		uint32_t a, b;

		if (host_kind(s->primary, plen, &a) == HOST_V4 &&
		    !sw_check_v4_global(chk, a))
			return file_error(name, err, "%s " NOT_GLOBAL,
			    sw_conf_quote(q, s->primary, plen), pol);
		if (slen > 0 && host_kind(s->secondary, slen, &b) == HOST_V4 &&
		    !sw_check_v4_global(chk, b))
			return file_error(name, err, "secondary %s " NOT_GLOBAL,
			    sw_conf_quote(q, s->secondary, slen), pol);
		if (slen == 0 && host_kind(s->primary, plen, &a) == HOST_V4 &&
		    !sw_check_v4_global(chk, a + 1))
			return file_error(name, err, "secondary %s (primary "
			    "%s + 1) " NOT_GLOBAL "; give the secondary "
			    "explicitly",
			    sw_addr_format4(a + 1, a4),
			    sw_conf_quote(q, s->primary, plen), pol);
	}
	return 0;
}

/* SRV-CFG-1: two distinct global unicast addresses. */
static int
check_server_role(struct sw_conf *c, const struct sw_v4_check *chk,
    char err[static SW_CONF_ERR_MAX])
{
	const char *primary = settings[S_SRV_BIND].name;
	const char *secondary = settings[S_SRV_SECONDARY].name;
	const char *pol = policy_name(c->v4_policy);
	char a4[16];

	if ((c->seen & SEEN(S_SRV_BIND)) == 0)
		return file_error(primary, err,
		    "missing (Role server needs its primary IPv4 address)");
	if (!sw_check_v4_global(chk, c->server_primary))
		return file_error(primary, err, "'%s' " NOT_GLOBAL,
		    sw_addr_format4(c->server_primary, a4), pol);
	if ((c->seen & SEEN(S_SRV_SECONDARY)) == 0) {
		c->server_secondary = c->server_primary + 1;
		if (!sw_check_v4_global(chk, c->server_secondary))
			return file_error(secondary, err, "%s (ServerBind"
			    "Address + 1) " NOT_GLOBAL "; set it explicitly",
			    sw_addr_format4(c->server_secondary, a4), pol);
	} else if (!sw_check_v4_global(chk, c->server_secondary)) {
		return file_error(secondary, err, "'%s' " NOT_GLOBAL,
		    sw_addr_format4(c->server_secondary, a4), pol);
	}
	if (c->server_secondary == c->server_primary)
		return file_error(secondary, err,
		    "'%s' is also the ServerBindAddress; they must differ",
		    sw_addr_format4(c->server_secondary, a4));
	return 0;
}

/* "client", "client or relay": the roles of a setting. */
static const char *
roles_text(unsigned roles)
{
	switch (roles) {
	case R_CLIENT:
		return "client";
	case R_SERVER:
		return "server";
	case R_RELAY:
		return "relay";
	case R_CLIENT | R_RELAY:
		return "client or relay";
	default:
		return "client, server or relay";
	}
}

/* REL-TX-4, REL-RX-5, HSR-2..4. */
static int
check_relay_role(struct sw_conf *c, char err[static SW_CONF_ERR_MAX])
{
	static const unsigned hsr_only[] = { S_ALLOW_UNFW, S_DORMANT,
	    S_EDGE_DIR };
	const char *ra = settings[S_RELAY_ADDR].name;
	uint8_t pfx[16] = { 0 };

	sw_put32(pfx, c->prefix);
	if ((c->seen & SEEN(S_RELAY_ADDR)) == 0)
		return file_error(ra, err, "missing (Role relay needs its own "
		    "native IPv6 address, the source of its bubbles)");
	if (sw_addr_is_teredo(c->relay_addr, c->prefix))
		return file_error(ra, err, "is a Teredo address; a relay's "
		    "address is native IPv6");
	for (unsigned i = 0; i < c->n_served; i++)
		if (c->served[i].plen > 0 && c->served[i].plen <= 32 &&
		    sw_check_ip6_in(pfx, &c->served[i]))
			return file_error(settings[S_SERVED].name, err,
			    "covers the Teredo prefix; served ranges are "
			    "native IPv6");
	if (c->n_served == 0) {
		/* A public relay serves everything; a host-specific one
		 * only its own address (HSR-4). */
		if (c->host_specific) {
			memcpy(c->served[0].addr, c->relay_addr, 16);
			c->served[0].plen = 128;
		}			/* else ::/0, as sw_conf_init left it */
		c->n_served = 1;
	}
	/* Issue 10 item 16: the host's security model is for a relay that
	 * is a Teredo interface of the host; a public relay routes for hosts
	 * that keep their own firewalls. */
	for (size_t i = 0; !c->host_specific && i < sizeof hsr_only /
	    sizeof hsr_only[0]; i++)
		if ((c->seen & SEEN(hsr_only[i])) != 0)
			return file_error(settings[hsr_only[i]].name, err,
			    "only for Role client, or Role relay with "
			    "HostSpecific yes");
	if ((c->seen & SEEN(S_BIND_PORT)) == 0)
		c->bind_port = RELAY_PORT_DEFAULT;
	return 0;
}

int
sw_conf_finish(struct sw_conf *c, char err[static SW_CONF_ERR_MAX])
{
	const struct sw_v4_check chk = { .policy = c->v4_policy };
	int r;

	err[0] = '\0';
	for (size_t i = 0; i < S__COUNT; i++) {
		const struct setting *s = &settings[i];

		if ((c->seen & SEEN(i)) != 0 &&
		    (s->roles & ROLE(c->role)) == 0)
			return file_error(s->name, err, "only for Role %s",
			    roles_text(s->roles));
	}

	/* One peer's queue must fit in the total (the cores' default total
	 * is 256 KiB for both roles). */
	if (c->queue_peer_bytes > (c->queue_total_bytes != 0 ?
	    c->queue_total_bytes : QUEUE_TOTAL_DEFAULT))
		return file_error(settings[S_QUEUE_TOTAL].name, err,
		    "%u is less than QueuePeerBytes %u%s",
		    c->queue_total_bytes != 0 ? c->queue_total_bytes :
		    QUEUE_TOTAL_DEFAULT, c->queue_peer_bytes,
		    c->queue_total_bytes != 0 ? "" : " (the default)");
	switch (c->role) {
	case SW_ROLE_CLIENT:
		if (c->n_servers == 0)
			return file_error(settings[S_SERVER].name, err,
			    "missing (Role client needs at least one server)");
		if ((c->seen & SEEN(S_CLIENT_ID)) != 0 &&
		    (c->seen & SEEN(S_KEY_FILE)) == 0)
			return file_error(settings[S_CLIENT_ID].name, err,
			    "needs KeyFile (the shared secret, CLI-CFG-2)");
		if ((c->seen & SEEN(S_KEY_FILE)) != 0 &&
		    (c->seen & SEEN(S_CLIENT_ID)) == 0)
			return file_error(settings[S_KEY_FILE].name, err,
			    "needs ClientId (CLI-CFG-2)");
		if ((r = check_servers(c, &chk, err)) != 0)
			return r;
		for (unsigned i = 0; i < c->n_p41 && i < SW_CONF_MAX_P41; i++)
			if (strncmp(c->p41_ifnames[i], c->ifname,
			    SW_CONF_IFNAME_MAX) == 0)
				return file_error(settings[S_P41].name, err,
				    "'%s' is the Teredo interface "
				    "(InterfaceName)", c->ifname);
		break;
	case SW_ROLE_SERVER:
		if ((r = check_server_role(c, &chk, err)) != 0)
			return r;
		/* D12: without a key no RS could pass. */
		if (c->require_auth && c->n_client_keys == 0)
			return file_error(settings[S_REQUIRE_AUTH].name, err,
			    "yes needs at least one ClientKey");
		break;
	case SW_ROLE_RELAY:
		if ((r = check_relay_role(c, err)) != 0)
			return r;
		break;
	default:
		return file_error(settings[S_ROLE].name, err, "unknown role %d",
		    (int)c->role);
	}
	return 0;
}

int
sw_conf_parse(struct sw_conf *c, const char *buf, size_t len,
    char err[static SW_CONF_ERR_MAX])
{
	size_t off = 0;
	int r;

	sw_conf_init(c);
	err[0] = '\0';
	if (buf == NULL) {
		buf = "";
		len = 0;
	}
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;

		if ((r = sw_conf_line(c, buf + off, n, err)) != 0)
			return r;
		off += n + 1;
	}
	return sw_conf_finish(c, err);
}
