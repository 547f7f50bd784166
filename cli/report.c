/*
 * report.c - parse and render a status answer (see report.h).
 *
 * The daemon is trusted no further than its syntax: every key and value
 * is checked before it is printed, so a confused daemon cannot write
 * escape sequences to the terminal or break the JSON.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define DROP_PREFIX "drop."

static bool
key_ok(const char *k)
{
	if (*k == '\0')
		return false;
	for (; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		    *k == '_' || *k == '.' || *k == '-'))
			return false;
	return true;
}

static bool
value_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
			return false;
	return true;
}

int
report_parse(struct report *r, char *text, const char **why)
{
	char *line = text;

	r->n = 0;
	while (*line != '\0') {
		char *nl = strchr(line, '\n'), *eq;

		if (nl == NULL) {
			*why = "last line not terminated";
			return -1;
		}
		*nl = '\0';
		if ((eq = strchr(line, '=')) == NULL) {
			*why = "line without '='";
			return -1;
		}
		*eq = '\0';
		if (!key_ok(line) || !value_ok(eq + 1)) {
			*why = "bad characters";
			return -1;
		}
		if (report_get(r, line) != NULL) {
			*why = "duplicate key";
			return -1;
		}
		if (r->n == REPORT_MAX_LINES) {
			*why = "too many lines";
			return -1;
		}
		r->kv[r->n].key = line;
		r->kv[r->n].value = eq + 1;
		r->n++;
		line = nl + 1;
	}
	if (r->n == 0) {
		*why = "empty answer";
		return -1;
	}
	return 0;
}

const char *
report_get(const struct report *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->kv[i].key, key) == 0)
			return r->kv[i].value;
	return NULL;
}

/* ---- text ------------------------------------------------------------------- */

static void
row(FILE *f, const char *label, const char *value)
{
	fprintf(f, "%-24s: %s\n", label, value);
}

/* A row from one key, when present. */
static void
row_key(FILE *f, const struct report *r, const char *label, const char *key)
{
	const char *v = report_get(r, key);

	if (v != NULL)
		row(f, label, v);
}

static const char *
dflt(const char *v, const char *otherwise)
{
	return v != NULL ? v : otherwise;
}

/* "1234" ms -> "1.2 s" */
static void
ms_text(char *buf, size_t size, const char *ms)
{
	unsigned long long v = strtoull(ms, NULL, 10);

	if (v < 10000)
		(void)snprintf(buf, size, "%llu.%llu s", v / 1000,
		    (v % 1000) / 100);
	else
		(void)snprintf(buf, size, "%llu s", v / 1000);
}

/* Every role: the UDP socket(s). */
static void
row_datagrams(FILE *f, const struct report *r)
{
	char buf[160];

	(void)snprintf(buf, sizeof buf, "%s received, %s sent, %s refused",
	    dflt(report_get(r, "udp_rx"), "?"), dflt(report_get(r, "udp_tx"), "?"),
	    dflt(report_get(r, "udp_tx_errors"), "?"));
	row(f, "Datagrams", buf);
}

/*
 * The security model (client, host-specific relay): the firewall, in
 * capitals when there is none; the granted listeners; dormancy.
 */
static void
text_guard(FILE *f, const struct report *r)
{
	const char *v = report_get(r, "firewall"), *why;
	char buf[320];

	why = dflt(report_get(r, "firewall_reason"), "unknown");
	if (v == NULL)
		return;
	if (strcmp(v, "UNFIREWALLED") == 0) {
		row(f, "FIREWALL", "NONE (AllowUnfirewalled)");
		row(f, "  WHY", why);
	} else if (strcmp(v, "active") == 0) {
		(void)snprintf(buf, sizeof buf, "active (%s denied, %s "
		    "granted, %s routing headers, %s protocol 41 dropped)",
		    dflt(report_get(r, "fw.edge_denied"), "?"),
		    dflt(report_get(r, "fw.edge_granted"), "?"),
		    dflt(report_get(r, "fw.routing_header"), "?"),
		    dflt(report_get(r, "fw.p41_dropped"), "?"));
		row(f, "Firewall", buf);
	} else {
		(void)snprintf(buf, sizeof buf, "%s: %s (%s)", v, why,
		    strcmp(dflt(report_get(r, "role"), ""), "relay") == 0 ?
		    "the relay's interface stays down" :
		    "the client does not qualify");
		row(f, "Firewall", buf);
	}
	if ((v = report_get(r, "edge_listeners")) != NULL) {
		(void)snprintf(buf, sizeof buf, "%s (%s)", v,
		    dflt(report_get(r, "edge_ports"), "none"));
		row(f, "Granted Listeners", buf);
	}
	if ((v = report_get(r, "dormant")) != NULL) {
		const char *after = dflt(report_get(r, "dormant_after"), "?");

		if (strcmp(after, "0") == 0)
			(void)snprintf(buf, sizeof buf, "%s (never when "
			    "idle; %s times)", v,
			    dflt(report_get(r, "dormancies"), "?"));
		else
			(void)snprintf(buf, sizeof buf, "%s (after %s s "
			    "idle; %s times)", v, after,
			    dflt(report_get(r, "dormancies"), "?"));
		row(f, "Dormant", buf);
	}
}

static void
text_client(FILE *f, const struct report *r)
{
	const char *v, *w;
	char buf[160], t[40];

	row_key(f, r, "State", "state");
	v = report_get(r, "reason");
	if (v != NULL && strcmp(v, "none") != 0)
		row(f, "Error", v);
	else
		row(f, "Error", "none");
	v = report_get(r, "server");
	if (v != NULL) {
		(void)snprintf(buf, sizeof buf, "%s (secondary %s; server "
		    "%llu of %s)", v, dflt(report_get(r, "server_secondary"),
		    "?"), strtoull(dflt(report_get(r, "server_index"), "0"),
		    NULL, 10) + 1, dflt(report_get(r, "servers"), "?"));
		row(f, "Server Name", buf);
	}
	if ((v = report_get(r, "last_server_contact_ms_ago")) != NULL) {
		ms_text(t, sizeof t, v);
		(void)snprintf(buf, sizeof buf, "%s ago", t);
		row(f, "Last Server Contact", buf);
	} else {
		row(f, "Last Server Contact", "never");
	}
	if ((v = report_get(r, "refresh_s")) != NULL) {
		if ((w = report_get(r, "next_refresh_ms")) != NULL) {
			ms_text(t, sizeof t, w);
			(void)snprintf(buf, sizeof buf, "%s seconds (next in "
			    "%s)", v, t);
		} else {
			(void)snprintf(buf, sizeof buf, "%s seconds", v);
		}
		row(f, "Client Refresh Interval", buf);
	}
	row_key(f, r, "NAT", "nat");
	row_key(f, r, "Local Mapping", "local");
	row(f, "External NAT Mapping", dflt(report_get(r, "mapped"), "none"));
	if ((v = report_get(r, "address")) != NULL) {
		row(f, "Teredo Address", v);
		row_key(f, r, "  Server", "address_server");
		row_key(f, r, "  Flags", "address_flags");
		row_key(f, r, "  Mapped Address", "address_mapped");
	} else {
		row(f, "Teredo Address", "none");
	}
	row_key(f, r, "Qualifications", "qualifications");
	row_key(f, r, "Address Changes", "address_changes");
	text_guard(f, r);
	row_datagrams(f, r);
	(void)snprintf(buf, sizeof buf, "%s from the host, %s to the host",
	    dflt(report_get(r, "tun_rx"), "?"),
	    dflt(report_get(r, "tun_tx"), "?"));
	row(f, "Tunnel Packets", buf);
}

static void
text_server(FILE *f, const struct report *r)
{
	const char *v;
	char buf[160];

	row_key(f, r, "State", "state");
	if ((v = report_get(r, "primary")) != NULL) {
		(void)snprintf(buf, sizeof buf, "%s:%s", v,
		    dflt(report_get(r, "port"), "3544"));
		row(f, "Primary Address", buf);
	}
	if ((v = report_get(r, "secondary")) != NULL) {
		(void)snprintf(buf, sizeof buf, "%s:%s", v,
		    dflt(report_get(r, "port"), "3544"));
		row(f, "Secondary Address", buf);
	}
	row_key(f, r, "Advertised MTU", "mtu");
	if ((v = report_get(r, "require_auth")) != NULL)
		row(f, "Secure Qualification", strcmp(v, "yes") == 0 ?
		    "required" : "not required");
	if ((v = report_get(r, "relay_max_payload")) != NULL) {
		(void)snprintf(buf, sizeof buf, "%s bytes", v);
		row(f, "Relay Payload Limit", buf);
	}
	row_key(f, r, "RS Answered", "rs_answered");
	row_key(f, r, "Relayed to Clients", "relayed_udp");
	row_key(f, r, "Relayed to IPv6", "relayed_ip6");
	row_datagrams(f, r);
	(void)snprintf(buf, sizeof buf, "%s sent, %s refused",
	    dflt(report_get(r, "ip6_tx"), "?"),
	    dflt(report_get(r, "ip6_tx_errors"), "?"));
	row(f, "Native IPv6 Packets", buf);
	if (report_get(r, "ip6_rx") != NULL) {
		(void)snprintf(buf, sizeof buf, "%s received, %s read errors",
		    report_get(r, "ip6_rx"),
		    dflt(report_get(r, "tun_rx_errors"), "0"));
		row(f, "From the Tunnel", buf);
	}
}

#define G(k) dflt(report_get(r, (k)), "?")

static void
text_relay(FILE *f, const struct report *r)
{
	const char *v;
	char buf[160];

	row_key(f, r, "State", "state");
	if ((v = report_get(r, "host_specific")) != NULL)
		row(f, "Relay Type", strcmp(v, "yes") == 0 ?
		    "host-specific (this host only)" : "public");
	row_key(f, r, "Relay Address", "relay_address");
	row_key(f, r, "Served Prefixes", "served");
	row_key(f, r, "Local Mapping", "local");
	(void)snprintf(buf, sizeof buf, "%s of %s, %s bytes queued",
	    G("peers"), G("peers_max"), G("queued_bytes"));
	row(f, "Peers", buf);
	(void)snprintf(buf, sizeof buf, "%s trusted, %s expired, %s displaced",
	    G("peers_trusted"), G("peers_expired"), G("peers_displaced"));
	row(f, "Peer Entries", buf);
	(void)snprintf(buf, sizeof buf, "%s sent, %s received",
	    G("bubbles_sent"), G("bubbles_received"));
	row(f, "Bubbles", buf);
	(void)snprintf(buf, sizeof buf, "%s to clients, %s to IPv6",
	    G("to_clients"), G("to_native"));
	row(f, "Relayed", buf);
	(void)snprintf(buf, sizeof buf, "%s queued, %s flushed", G("queued"),
	    G("flushed"));
	row(f, "Queued Packets", buf);
	(void)snprintf(buf, sizeof buf, "%s sent, %s rate-limited",
	    G("unreachable_sent"), G("unreachable_limited"));
	row(f, "Unreachable Errors", buf);
	(void)snprintf(buf, sizeof buf, "%s trusted peers evicted, %s table "
	    "full, %s queued evicted, %s refused, %s loops",
	    G("evicted_trusted"), G("table_full"), G("queue_evicted"),
	    G("queue_refused_new"), G("loops"));
	row(f, "Under Flood", buf);
	text_guard(f, r);	/* a host-specific relay (issue 10 item 16) */
	if (report_get(r, "flow_refused") != NULL) {
		(void)snprintf(buf, sizeof buf, "%s open, %s refused, %s "
		    "fragments refused", G("flows"), G("flow_refused"),
		    G("fragment_refused"));
		row(f, "Host Flows", buf);
	}
	row_datagrams(f, r);
	(void)snprintf(buf, sizeof buf, "%s from the host, %s to the host, "
	    "%s refused", G("tun_rx"), G("tun_tx"), G("tun_tx_errors"));
	row(f, "Tunnel Packets", buf);
}

#undef G

void
report_text(FILE *f, const struct report *r)
{
	const char *role = dflt(report_get(r, "role"), "?");
	bool any = false;
	char buf[160];

	fprintf(f, "Teredo Parameters\n");
	fprintf(f, "---------------------------------------------\n");
	row(f, "Type", role);
	row_key(f, r, "Interface", "interface");
	row_key(f, r, "Prefix", "prefix");
	if (report_get(r, "pid") != NULL) {
		(void)snprintf(buf, sizeof buf, "pid %s, up %s s",
		    report_get(r, "pid"), dflt(report_get(r, "uptime_s"), "?"));
		row(f, "Daemon", buf);
	}
	if (strcmp(role, "client") == 0)
		text_client(f, r);
	else if (strcmp(role, "server") == 0)
		text_server(f, r);
	else if (strcmp(role, "relay") == 0)
		text_relay(f, r);

	fprintf(f, "\nDiscarded Packets\n");
	fprintf(f, "---------------------------------------------\n");
	for (size_t i = 0; i < r->n; i++) {
		const char *k = r->kv[i].key;

		if (strncmp(k, DROP_PREFIX, strlen(DROP_PREFIX)) != 0)
			continue;
		row(f, k + strlen(DROP_PREFIX), r->kv[i].value);
		any = true;
	}
	if (!any)
		fprintf(f, "none\n");
	if (report_get(r, "truncated") != NULL)
		fprintf(f, "(the daemon's answer was truncated)\n");
}

/* ---- JSON ----------------------------------------------------------------------- */

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* A decimal integer that JSON parsers keep exact: no sign, no leading
 * zero, at most 15 digits (below 2^53). */
static bool
is_number(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 15 || (v[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

static void
json_value(FILE *f, const char *v)
{
	if (is_number(v))
		fputs(v, f);
	else
		json_string(f, v);
}

void
report_json(FILE *f, const struct report *r)
{
	const char *sep = "";

	fputs("{\n", f);
	for (size_t i = 0; i < r->n; i++) {
		if (strncmp(r->kv[i].key, DROP_PREFIX,
		    strlen(DROP_PREFIX)) == 0)
			continue;
		fprintf(f, "%s  ", sep);
		json_string(f, r->kv[i].key);
		fputs(": ", f);
		json_value(f, r->kv[i].value);
		sep = ",\n";
	}
	fprintf(f, "%s  \"drops\": {", sep);
	sep = "\n";
	for (size_t i = 0; i < r->n; i++) {
		const char *k = r->kv[i].key;

		if (strncmp(k, DROP_PREFIX, strlen(DROP_PREFIX)) != 0)
			continue;
		fprintf(f, "%s    ", sep);
		json_string(f, k + strlen(DROP_PREFIX));
		fputs(": ", f);
		json_value(f, r->kv[i].value);
		sep = ",\n";
	}
	fputs(sep[0] == ',' ? "\n  }\n}\n" : "}\n}\n", f);
}
