/*
 * edge.h - the host's edge policy as the pure core sees it (HARD-2,
 * SEC-7; CVE-2006-6265/6266).
 *
 * A Teredo address is reachable by anyone who sends an indirect bubble
 * ("bubble-to-open"), and native sources reach it through any relay, so
 * the host must not depend on the NAT to filter for it.  The daemon
 * enforces the real policy with nftables (per flow, per granted socket);
 * the core repeats a coarse form of it before anything reaches the tunnel
 * (defence in depth): an UNSOLICITED packet, from a peer or native source
 * the host never sent to, is delivered (or ping-tested, CLI-RX-9) only if
 * it is one of the ICMPv6 messages Teredo and IPv6 need, or TCP/UDP to a
 * port on which a granted application listens.  The core cannot see
 * flows, so it does not tell a SYN from the rest of a connection: any
 * TCP/UDP packet to a port without a granted listener is refused.
 */
#ifndef SW_EDGE_H
#define SW_EDGE_H

#include "sw.h"
#include "drop.h"
#include "wire.h"

#define SW_EDGE_MAX_PORTS 256

struct sw_edge {			/* ports with a granted listener */
	uint16_t tcp[SW_EDGE_MAX_PORTS], udp[SW_EDGE_MAX_PORTS];
	uint16_t n_tcp, n_udp;		/* sorted, unique */
};

/*
 * Set e from two port lists (any order, duplicates allowed): sorted and
 * deduplicated.  0, or -E2BIG when a list holds more than
 * SW_EDGE_MAX_PORTS distinct ports (the smallest ones are kept).
 */
int sw_edge_set(struct sw_edge *e, const uint16_t *tcp, size_t n_tcp,
    const uint16_t *udp, size_t n_udp);

/* True when port is in the sorted list (binary search). */
bool sw_edge_has(const uint16_t *ports, uint16_t n, uint16_t port);

/*
 * Would the host's edge policy deliver this UNSOLICITED packet (one that
 * belongs to no flow the host opened, flow.h)?  SW_DROP_NONE for ICMPv6
 * types 128 (echo request), 135 and 136 (NS, NA), for TCP/UDP to a port in e (e may be NULL: no grants), and for a
 * non-first fragment (no ports to judge; harmless without its first
 * fragment, which is judged by its ports); else EDGE_NOT_GRANTED (other
 * ports, other ICMPv6 types, other upper layers, bubbles).  The extension
 * header chain is walked (sw_ip6_walk); BAD_EXT_HEADER when it cannot be,
 * or when the upper-layer header is cut short.
 */
enum sw_drop sw_edge_check(const struct sw_edge *e,
    const struct sw_ip6_view *ip);

#endif /* SW_EDGE_H */
