/*
 * flow.h - the flows the host's applications opened through a Teredo
 * interface, as the pure core sees them ([harden]; HARD-2, CVE-2006-6265).
 *
 * The engine's edge check lets an unsolicited packet through when it
 * belongs to a flow the host opened, as the firewall's conntrack does.
 * What opens a flow is what an application sends: the kernel answers by
 * itself (echo replies, TCP RSTs, ICMPv6 errors, neighbour discovery),
 * and if those counted, one ping from an attacker would open every port
 * to it.  A flow is (protocol, local port, remote address, remote port);
 * an echo request's identifier stands for its ports; another upper layer
 * is (protocol, remote address).
 *
 *   outbound (from the host)              opens
 *   TCP without RST                       (6, sport, dst, dport)
 *   UDP                                   (17, sport, dst, dport)
 *   ICMPv6 echo request                   (58, id, dst, 0)
 *   other ICMPv6, TCP RST, non-first      nothing (the kernel's own, or
 *   fragment                              no header to judge)
 *   any other upper layer                 (proto, 0, dst, 0)
 *
 *   inbound (to the host)                 belongs to
 *   TCP, UDP                              (proto, dport, src, sport)
 *   ICMPv6 echo reply                     (58, id, src, 0)
 *   ICMPv6 error (types 1-4)              the flow of the packet it
 *                                         quotes (ours: its destination
 *                                         is the remote; a router may
 *                                         send it, so not the error's
 *                                         source)
 *   other ICMPv6                          no flow (SW_FLOW_IN_NONE)
 *   non-first fragment                    SW_FLOW_IN_FRAGMENT: the caller
 *                                         asks whether the host sent to
 *                                         the source at all
 *
 * The table is bounded (its capacity fixed at creation) and filled only
 * from the host's own packets, least recently used out; an attacker
 * cannot create or evict entries.  Keys are a 128-bit keyed digest of
 * the flow (two SipHash keys drawn at creation): a collision would need
 * the secret keys.  Nothing allocates after sw_flow_table_new().
 */
#ifndef SW_FLOW_H
#define SW_FLOW_H

#include "sw.h"
#include "wire.h"

struct sw_flow {
	uint8_t remote[16];
	uint16_t lport, rport;
	uint8_t proto;
};

/* What an outbound packet (src = the host) opens: true and *f, or false
 * when it opens nothing (see the table above). */
bool sw_flow_outbound(const struct sw_ip6_view *ip, struct sw_flow *f);

enum sw_flow_in {
	SW_FLOW_IN_FLOW,	/* *f is the flow it belongs to */
	SW_FLOW_IN_NONE,	/* no flow could have solicited it */
	SW_FLOW_IN_FRAGMENT,	/* a non-first fragment */
	SW_FLOW_IN_BAD,		/* the chain or header cannot be read */
};
enum sw_flow_in sw_flow_inbound(const struct sw_ip6_view *ip,
    struct sw_flow *f);

struct sw_flow_table;

/* capacity >= 1 flows; the RNG draws the keys.  0, -EINVAL, -ENOMEM. */
int sw_flow_table_new(struct sw_flow_table **out, uint32_t capacity,
    const struct sw_rng *rng);
void sw_flow_table_free(struct sw_flow_table *t);
size_t sw_flow_table_memsize(const struct sw_flow_table *t);
/* Open or refresh f (most recently used). */
void sw_flow_note(struct sw_flow_table *t, const struct sw_flow *f);
/* Is f open?  A hit becomes most recently used. */
bool sw_flow_open(struct sw_flow_table *t, const struct sw_flow *f);
/* Forget every flow (address change, dormancy). */
void sw_flow_clear(struct sw_flow_table *t);
uint32_t sw_flow_count(const struct sw_flow_table *t);

#endif /* SW_FLOW_H */
