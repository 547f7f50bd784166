/*
 * status.c - the text of `shipworm status` (see status.h).  Keys are
 * stable: tools parse them.  Times are relative to now; numbers are
 * decimal (address_flags is hexadecimal, as written in the address).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "client.h"
#include "conf.h"
#include "ipc.h"
#include "relay.h"
#include "server.h"
#include "status.h"

struct out {
	char *p;
	size_t size, len;
	bool full;
};

static void kv(struct out *o, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One "key=value\n" line, all or nothing. */
static void
kv(struct out *o, const char *key, const char *fmt, ...)
{
	size_t room = o->size - o->len;
	va_list ap;
	int n, m;

	if (o->full)
		return;
	n = snprintf(o->p + o->len, room, "%s=", key);
	if (n < 0 || (size_t)n >= room)
		goto full;
	va_start(ap, fmt);
	m = vsnprintf(o->p + o->len + (size_t)n, room - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) + 1 >= room)
		goto full;
	o->len += (size_t)(n + m);
	o->p[o->len++] = '\n';
	o->p[o->len] = '\0';
	return;
full:
	o->p[o->len] = '\0';
	o->full = true;
}

static const char *
ep4(const struct sw_v4ep *ep, char buf[static 24])
{
	char a[16];

	(void)snprintf(buf, 24, "%s:%u", sw_addr_format4(ep->addr, a),
	    ep->port);
	return buf;
}

static void
common(struct out *o, const struct status_info *si, const char *role)
{
	uint8_t p6[16] = { 0 };
	char a6[46];

	sw_put32(p6, si->prefix);
	kv(o, "role", "%s", role);
	kv(o, "interface", "%s", si->ifname);
	kv(o, "pid", "%ld", (long)si->pid);
	kv(o, "uptime_s", "%llu",
	    (unsigned long long)((si->now - si->started) / SW_SEC));
	kv(o, "prefix", "%s/32", sw_addr_format6(p6, a6));
}

/* tun: the engine's tunnel counters (client, relay), else the server's
 * native IPv6 ones. */
static void
counters(struct out *o, const struct status_info *si, bool tun)
{
	const struct engine_counters *c = si->cnt;

	kv(o, "udp_rx", "%llu", (unsigned long long)c->udp_rx);
	kv(o, "udp_rx_coalesced", "%llu", (unsigned long long)c->udp_rx_gro);
	kv(o, "udp_tx", "%llu", (unsigned long long)c->udp_tx);
	kv(o, "udp_tx_errors", "%llu", (unsigned long long)c->udp_tx_errors);
	if (tun) {
		kv(o, "tun_tx", "%llu", (unsigned long long)c->tun_tx);
		kv(o, "tun_tx_errors", "%llu",
		    (unsigned long long)c->tun_tx_errors);
		kv(o, "tun_rx", "%llu", (unsigned long long)c->tun_rx);
	} else {
		kv(o, "ip6_tx", "%llu", (unsigned long long)c->ip6_tx);
		kv(o, "ip6_tx_errors", "%llu",
		    (unsigned long long)c->ip6_tx_errors);
		kv(o, "ip6_rx", "%llu", (unsigned long long)c->ip6_rx);
	}
	kv(o, "tun_rx_errors", "%llu", (unsigned long long)c->tun_rx_errors);
}

static void
drops(struct out *o, const struct sw_drop_counters *d)
{
	char key[64];

	for (unsigned i = 1; i < SW_DROP__COUNT; i++) {
		if (d->n[i] == 0)
			continue;
		(void)snprintf(key, sizeof key, "drop.%s",
		    sw_drop_name((enum sw_drop)i));
		kv(o, key, "%llu", (unsigned long long)d->n[i]);
	}
}

/* edge_ports=tcp/22,udp/5353 (or none) */
static void
edge_ports(struct out *o, const struct ipc_edge *e)
{
	char list[2 * SW_EDGE_MAX_PORTS * 10];
	size_t len = 0;

	list[0] = '\0';
	for (unsigned k = 0; k < 2; k++) {
		const uint16_t *p = k == 0 ? e->tcp : e->udp;
		unsigned n = k == 0 ? e->n_tcp : e->n_udp;

		for (unsigned i = 0; i < n && i < SW_EDGE_MAX_PORTS; i++) {
			int m = snprintf(list + len, sizeof list - len,
			    "%s%s/%u", len > 0 ? "," : "",
			    k == 0 ? "tcp" : "udp", p[i]);

			if (m < 0 || (size_t)m >= sizeof list - len)
				break;
			len += (size_t)m;
		}
	}
	kv(o, "edge_ports", "%s", len > 0 ? list : "none");
}

/* The security model (client, host-specific relay): firewall, edge,
 * dormancy. */
static void
guard(struct out *o, const struct status_info *si, bool dormant,
    uint64_t dormancies)
{
	static const struct ipc_edge none;
	const struct ipc_fw *fw = si->fw;
	const struct ipc_edge *e = si->edge != NULL ? si->edge : &none;

	if (fw == NULL || fw->state == 0) {
		kv(o, "firewall", "missing");
		kv(o, "firewall_reason", "not reported yet");
	} else {
		kv(o, "firewall", "%s", ipc_fw_state_name(fw->state));
		if (fw->state != IPC_FW_ACTIVE)
			kv(o, "firewall_reason", "%s", fw->reason);
		kv(o, "fw.edge_denied", "%llu",
		    (unsigned long long)fw->edge_denied);
		kv(o, "fw.routing_header", "%llu",
		    (unsigned long long)fw->routing_header);
		kv(o, "fw.p41_dropped", "%llu",
		    (unsigned long long)fw->p41_dropped);
		kv(o, "fw.edge_granted", "%llu",
		    (unsigned long long)fw->edge_granted);
		kv(o, "fw.nd_dropped", "%llu",
		    (unsigned long long)fw->nd_dropped);
	}
	kv(o, "edge_listeners", "%u", e->listeners);
	edge_ports(o, e);
	kv(o, "edge_view", "%s%s%s", e->cut == 0 ? "complete" : "cut:",
	    (e->cut & IPC_EDGE_CUT_LISTENERS) != 0 ? " listeners" : "",
	    (e->cut & IPC_EDGE_CUT_TREE) != 0 ? " cgroups" : "");
	kv(o, "edge_forged_marks", "%u", e->forged);
	kv(o, "edge_conns_shed", "%u", e->conns_shed);
	kv(o, "dormant", "%s", dormant ? "yes" : "no");
	kv(o, "dormant_after", "%llu",
	    (unsigned long long)(si->dormant_after / SW_SEC));
	kv(o, "dormancies", "%llu", (unsigned long long)dormancies);
}

static void
client(struct out *o, const struct status_info *si)
{
	struct sw_client_status st;
	struct sw_teredo t;
	char a4[16], e4[24], a6[46];

	sw_client_status(si->client, &st);
	common(o, si, "client");
	kv(o, "state", "%s", sw_client_state_name(st.state));
	kv(o, "reason", "%s", sw_client_reason_name(st.reason));
	kv(o, "nat", "%s", sw_nat_type_name(st.nat));
	kv(o, "server", "%s", sw_addr_format4(st.server.primary, a4));
	kv(o, "server_secondary", "%s",
	    sw_addr_format4(st.server.secondary, a4));
	kv(o, "server_index", "%u", st.server_index);
	kv(o, "servers", "%u", si->n_servers);
	if (st.last_server_rx != SW_TIME_NEVER && st.last_server_rx <= si->now)
		kv(o, "last_server_contact_ms_ago", "%llu",
		    (unsigned long long)((si->now - st.last_server_rx) /
		    SW_MSEC));
	kv(o, "refresh_s", "%llu", (unsigned long long)(st.refresh / SW_SEC));
	if (st.next_refresh != SW_TIME_NEVER)
		kv(o, "next_refresh_ms", "%llu", (unsigned long long)
		    (st.next_refresh > si->now ?
		    (st.next_refresh - si->now) / SW_MSEC : 0));
	kv(o, "local", "%s", ep4(&si->local, e4));
	if (st.has_addr) {
		sw_addr_decode(st.addr, &t);
		kv(o, "mapped", "%s", ep4(&st.mapped, e4));
		kv(o, "address", "%s", sw_addr_format6(st.addr, a6));
		kv(o, "address_server", "%s", sw_addr_format4(t.server, a4));
		kv(o, "address_flags", "0x%04x", t.flags);
		kv(o, "address_mapped", "%s", ep4(&t.mapped, e4));
	}
	kv(o, "peers", "%u", st.peers);
	kv(o, "queued_bytes", "%zu", st.queued_bytes);
	kv(o, "qualifications", "%llu",
	    (unsigned long long)st.qualifications);
	kv(o, "address_changes", "%llu",
	    (unsigned long long)st.address_changes);
	/* local discovery (DISC-1..9) */
	kv(o, "discovery", "%s", st.discovery ? "on" : "off");
	if (st.discovery) {
		kv(o, "discovery_sent", "%llu",
		    (unsigned long long)st.discovery_sent);
		kv(o, "discovery_accepted", "%llu",
		    (unsigned long long)st.discovery_accepted);
	}
	/* [harden] budgets an attacker cannot choose around */
	kv(o, "flows", "%u", st.flows);
	kv(o, "inbound_resolutions", "%u", st.inbound);
	kv(o, "trust_refused", "%llu",
	    (unsigned long long)st.guard.trust_refused);
	kv(o, "peers_table_full", "%llu",
	    (unsigned long long)st.guard.table_full);
	kv(o, "peers_swept", "%llu", (unsigned long long)st.guard.swept);
	kv(o, "inbound_refused", "%llu",
	    (unsigned long long)st.guard.inbound_refused);
	kv(o, "reflect_limited", "%llu",
	    (unsigned long long)st.guard.reflect_limited);
	kv(o, "flow_refused", "%llu",
	    (unsigned long long)st.guard.flow_refused);
	kv(o, "fragment_refused", "%llu",
	    (unsigned long long)st.guard.fragment_refused);
	guard(o, si, st.dormant, st.dormancies);
	counters(o, si, true);
	drops(o, si->drops);
}

static void
server(struct out *o, const struct status_info *si)
{
	const struct sw_server_stats *ss = sw_server_stats(si->server);
	char a4[16];

	common(o, si, "server");
	kv(o, "state", "serving");
	kv(o, "primary", "%s", sw_addr_format4(si->primary, a4));
	kv(o, "secondary", "%s", sw_addr_format4(si->secondary, a4));
	kv(o, "port", "%u", SW_TEREDO_PORT);
	kv(o, "mtu", "%u", si->mtu);
	kv(o, "require_auth", "%s", si->require_auth ? "yes" : "no");
	kv(o, "relay_max_payload", "%zu", si->relay_max_payload);
	kv(o, "rs_answered", "%llu", (unsigned long long)ss->rs);
	kv(o, "relayed_udp", "%llu", (unsigned long long)ss->relayed_udp);
	kv(o, "relayed_ip6", "%llu", (unsigned long long)ss->relayed_ip6);
	kv(o, "rs_limited", "%llu", (unsigned long long)ss->rs_limited);
	kv(o, "rs_limited_total", "%llu",
	    (unsigned long long)ss->rs_limited_total);
	kv(o, "loops", "%llu", (unsigned long long)ss->loops);
	counters(o, si, false);
	drops(o, si->drops);
}

/* served=2001:db8::/32,2001:db8:1::5/128 (REL-RX-5, HSR-4) */
static void
served(struct out *o, const struct status_info *si)
{
	char list[SW_CONF_MAX_SERVED * 50], a6[46];
	size_t len = 0;

	list[0] = '\0';
	for (unsigned i = 0; i < si->n_served && i < SW_CONF_MAX_SERVED;
	    i++) {
		int n = snprintf(list + len, sizeof list - len, "%s%s/%u",
		    i > 0 ? "," : "", sw_addr_format6(si->served[i].addr, a6),
		    si->served[i].plen);

		if (n < 0 || (size_t)n >= sizeof list - len)
			break;
		len += (size_t)n;
	}
	kv(o, "served", "%s", list);
}

static void
relay(struct out *o, const struct status_info *si)
{
	struct sw_relay_status st;
	const struct sw_relay_stats *rs = &st.stats;
	char a6[46], e4[24];

	sw_relay_status(si->relay, &st);
	common(o, si, "relay");
	/* stopped: a host-specific relay without its firewall (item 16) */
	kv(o, "state", "%s", st.running ? "relaying" : "stopped");
	kv(o, "host_specific", "%s", si->host_specific ? "yes" : "no");
	kv(o, "relay_address", "%s", sw_addr_format6(si->relay_addr, a6));
	served(o, si);
	kv(o, "local", "%s", ep4(&si->local, e4));
	kv(o, "peers", "%u", st.peers);
	kv(o, "peers_max", "%u", st.capacity);
	kv(o, "queued_bytes", "%zu", st.queued_bytes);
	kv(o, "to_clients", "%llu", (unsigned long long)rs->to_clients);
	kv(o, "to_native", "%llu", (unsigned long long)rs->to_native);
	kv(o, "bubbles_sent", "%llu", (unsigned long long)rs->bubbles_sent);
	kv(o, "bubbles_received", "%llu", (unsigned long long)rs->bubbles_rx);
	kv(o, "queued", "%llu", (unsigned long long)rs->queued);
	kv(o, "flushed", "%llu", (unsigned long long)rs->flushed);
	kv(o, "peers_trusted", "%llu", (unsigned long long)rs->trusted);
	kv(o, "peers_expired", "%llu", (unsigned long long)rs->expired);
	kv(o, "peers_displaced", "%llu", (unsigned long long)rs->displaced);
	kv(o, "unreachable_sent", "%llu",
	    (unsigned long long)rs->unreachable_sent);
	kv(o, "unreachable_limited", "%llu",
	    (unsigned long long)rs->unreachable_limited);
	/* HARD-6 under flood, RFC 6324 */
	kv(o, "evicted_trusted", "%llu",
	    (unsigned long long)rs->evicted_trusted);
	kv(o, "table_full", "%llu", (unsigned long long)rs->table_full);
	kv(o, "queue_evicted", "%llu", (unsigned long long)rs->queue_evicted);
	kv(o, "queue_refused_new", "%llu",
	    (unsigned long long)rs->queue_refused_new);
	kv(o, "loops", "%llu", (unsigned long long)rs->loops);
	/* [harden]: shares per endpoint, bubble budgets, bounded ticks */
	kv(o, "trust_refused", "%llu", (unsigned long long)rs->trust_refused);
	kv(o, "bubbles_limited", "%llu",
	    (unsigned long long)rs->bubbles_limited);
	kv(o, "peers_swept", "%llu", (unsigned long long)rs->swept);
	kv(o, "tick_deferred", "%llu", (unsigned long long)rs->tick_deferred);
	if (si->host_specific) {
		/* issue 10 item 16: the host's security model */
		guard(o, si, st.dormant, rs->dormancies);
		kv(o, "flows", "%u", st.flows);
		kv(o, "flow_refused", "%llu",
		    (unsigned long long)rs->flow_refused);
		kv(o, "fragment_refused", "%llu",
		    (unsigned long long)rs->fragment_refused);
	}
	counters(o, si, true);
	drops(o, si->drops);
}

size_t
status_format(const struct status_info *si, char *buf, size_t size)
{
	struct out o = { .p = buf, .size = size };

	buf[0] = '\0';
	if (si->client != NULL)
		client(&o, si);
	else if (si->server != NULL)
		server(&o, si);
	else if (si->relay != NULL)
		relay(&o, si);
	if (o.full) {
		/* Room for the marker: drop whole lines from the end. */
		while (o.len > 0 && o.size - o.len < sizeof "truncated=1\n") {
			o.len--;
			while (o.len > 0 && buf[o.len - 1] != '\n')
				o.len--;
		}
		o.full = false;
		kv(&o, "truncated", "1");
	}
	return o.len;
}
