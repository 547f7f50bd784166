/*
 * nat.c - the simulator's NAT models (see sim.h; RFC 4787 vocabulary).
 *
 * One table of at most conf.max_mappings entries.  A mapping binds an
 * internal endpoint (and, for SYMMETRIC, one remote endpoint) to an
 * external port of the NAT's public address; it lives conf.timeout after
 * the last outbound packet through it (inbound packets do not refresh it)
 * and is reclaimed lazily.  Filtering of inbound packets on a live mapping:
 *
 *   FULL_CONE        anyone
 *   RESTRICTED       an address the internal endpoint sent to
 *   PORT_RESTRICTED  an address and port it sent to
 *   SYMMETRIC        the one remote endpoint of the mapping
 *
 * The remote endpoints a mapping sent to are a small ring (SIM_NAT_PEERS):
 * a mapping that talked to more forgets the oldest.  Ports: the source
 * port when conf.preserve_port and it is free (and >= 1024), else
 * sequential or seeded random in 1024..65535; never a port in use, nor
 * one of the last SIM_NAT_RELEASED released ports, so a lost mapping comes
 * back with a new port (which real NATs do not promise, but tests of
 * mapping changes need).
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "../common/prng.h"

#define PORT_MIN 1024u

void
sim_nat_conf_default(struct sim_nat_conf *conf, enum sim_nat_type type,
    uint32_t public_addr)
{
	*conf = (struct sim_nat_conf){
		.type = type,
		.public_addr = public_addr,
		.timeout = 60 * SW_SEC,
		.max_mappings = SIM_NAT_MAX,
		.alloc = SIM_PORTS_RANDOM,
		.preserve_port = false,
	};
}

static void
release(struct sim_nat *nat, struct sim_mapping *m)
{
	nat->released[nat->n_released++ % SIM_NAT_RELEASED] = m->ext;
	m->used = false;
}

static bool
live(struct sim_nat *nat, struct sim_mapping *m, sw_time now)
{
	if (!m->used)
		return false;
	if (now - m->last_out >= nat->conf.timeout) {
		nat->st.expired++;
		release(nat, m);
		return false;
	}
	return true;
}

static bool
port_taken(const struct sim_nat *nat, uint16_t port)
{
	unsigned nrel = nat->n_released < SIM_NAT_RELEASED ?
	    nat->n_released : SIM_NAT_RELEASED;

	if (port < PORT_MIN)
		return true;
	for (unsigned i = 0; i < nat->conf.max_mappings; i++)
		if (nat->map[i].used && nat->map[i].ext == port)
			return true;
	for (unsigned i = 0; i < nrel; i++)
		if (nat->released[i] == port)
			return true;
	return false;
}

static uint16_t
alloc_port(struct sim_nat *nat, uint16_t want)
{
	uint16_t p = 0;

	if (nat->conf.preserve_port && !port_taken(nat, want))
		return want;
	/* A few random draws, then a sequential scan from where they ended:
	 * the table is far smaller than the port space, so this ends. */
	if (nat->conf.alloc == SIM_PORTS_RANDOM) {
		for (int i = 0; i < 16; i++) {
			p = (uint16_t)(PORT_MIN +
			    xorshift64(&nat->rng) % (65536 - PORT_MIN));
			if (!port_taken(nat, p))
				return p;
		}
		nat->next_port = p;
	}
	do {
		p = nat->next_port;
		nat->next_port = nat->next_port == 65535 ? PORT_MIN :
		    (uint16_t)(nat->next_port + 1);
	} while (port_taken(nat, p));
	return p;
}

static bool
is_symmetric(const struct sim_nat *nat)
{
	return nat->conf.type == SIM_NAT_SYMMETRIC;
}

/* The live mapping `in` uses toward remote, or NULL. */
static struct sim_mapping *
find_out(struct sim_nat *nat, sw_time now, const struct sw_v4ep *in,
    const struct sw_v4ep *remote)
{
	for (unsigned i = 0; i < nat->conf.max_mappings; i++) {
		struct sim_mapping *m = &nat->map[i];

		if (live(nat, m, now) && sw_v4ep_eq(&m->in, in) &&
		    (!is_symmetric(nat) || sw_v4ep_eq(&m->remote, remote)))
			return m;
	}
	return NULL;
}

bool
sim_nat_out(struct sim_nat *nat, sw_time now, const struct sw_v4ep *src,
    const struct sw_v4ep *dst, struct sw_v4ep *pub)
{
	struct sim_mapping *m = find_out(nat, now, src, dst);

	if (m == NULL) {
		for (unsigned i = 0; i < nat->conf.max_mappings && m == NULL;
		    i++)
			if (!live(nat, &nat->map[i], now))
				m = &nat->map[i];
		if (m == NULL) {
			nat->st.table_full++;
			return false;
		}
		*m = (struct sim_mapping){
			.used = true, .in = *src, .remote = *dst,
			.ext = alloc_port(nat, src->port),
		};
		nat->st.created++;
	}
	m->last_out = now;
	bool known = false;
	unsigned n = m->n_peer < SIM_NAT_PEERS ? m->n_peer : SIM_NAT_PEERS;
	for (unsigned i = 0; i < n && !known; i++)
		known = sw_v4ep_eq(&m->peer[i], dst);
	if (!known) {
		m->peer[m->next_peer] = *dst;
		m->next_peer = (m->next_peer + 1) % SIM_NAT_PEERS;
		m->n_peer++;
	}
	*pub = (struct sw_v4ep){ .addr = nat->conf.public_addr, .port = m->ext };
	nat->st.out++;
	return true;
}

static bool
filter_pass(const struct sim_nat *nat, const struct sim_mapping *m,
    const struct sw_v4ep *src)
{
	unsigned n = m->n_peer < SIM_NAT_PEERS ? m->n_peer : SIM_NAT_PEERS;

	if (nat->conf.type == SIM_NAT_FULL_CONE)
		return true;
	for (unsigned i = 0; i < n; i++) {
		if (nat->conf.type == SIM_NAT_RESTRICTED ?
		    m->peer[i].addr == src->addr : sw_v4ep_eq(&m->peer[i], src))
			return true;
	}
	return false;
}

bool
sim_nat_in(struct sim_nat *nat, sw_time now, const struct sw_v4ep *src,
    const struct sw_v4ep *dst, struct sw_v4ep *internal)
{
	for (unsigned i = 0; i < nat->conf.max_mappings; i++) {
		struct sim_mapping *m = &nat->map[i];

		if (!live(nat, m, now) || m->ext != dst->port)
			continue;
		if (!filter_pass(nat, m, src)) {
			nat->st.filtered++;
			return false;
		}
		*internal = m->in;
		nat->st.in++;
		return true;
	}
	nat->st.no_mapping++;
	return false;
}

void
sim_nat_flush(struct sim_nat *nat)
{
	for (unsigned i = 0; i < nat->conf.max_mappings; i++) {
		if (nat->map[i].used) {
			release(nat, &nat->map[i]);
			nat->st.flushed++;
		}
	}
}

bool
sim_nat_lookup(const struct sim_nat *nat, const struct sw_v4ep *in,
    const struct sw_v4ep *remote, uint16_t *ext)
{
	sw_time now = nat->sim->now;

	for (unsigned i = 0; i < nat->conf.max_mappings; i++) {
		const struct sim_mapping *m = &nat->map[i];

		if (m->used && now - m->last_out < nat->conf.timeout &&
		    sw_v4ep_eq(&m->in, in) &&
		    (!is_symmetric(nat) || sw_v4ep_eq(&m->remote, remote))) {
			*ext = m->ext;
			return true;
		}
	}
	return false;
}

unsigned
sim_nat_live(const struct sim_nat *nat)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nat->conf.max_mappings; i++)
		n += nat->map[i].used &&
		    nat->sim->now - nat->map[i].last_out < nat->conf.timeout;
	return n;
}
