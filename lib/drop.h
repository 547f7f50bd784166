/*
 * drop.h - why a packet was silently discarded.
 *
 * Every discard in the core has a reason from this list; the daemon keeps
 * one counter per reason and `shipworm status` shows them.  The Dn labels
 * refer to the silent-discard catalogue, teredo-requirements.md §8.2;
 * HARD-n to §8.3.
 */
#ifndef SW_DROP_H
#define SW_DROP_H

#include <stdint.h>

#define SW_DROP_REASONS(X) \
	X(NONE,            "none") \
	/* D1: not a well-formed Teredo packet (COM-ENC-6) */ \
	X(TRUNCATED,       "truncated") \
	X(BAD_HEADER_CODE, "bad-header-code") \
	X(AUTH_AFTER_ORIGIN, "auth-after-origin") \
	X(DUP_HEADER,      "duplicate-header") \
	X(BAD_AUTH_LEN,    "bad-auth-length") \
	/* D2: IPv6 not version 6, or 40+PL beyond the UDP payload */ \
	X(IP6_VERSION,     "ip6-version") \
	X(IP6_LENGTH,      "ip6-length") \
	/* D3: RA fails a CLI-RA-1 check */ \
	X(RA_NO_ORIGIN,    "ra-no-origin") \
	X(RA_INVALID,      "ra-invalid") \
	X(RA_WRONG_DST,    "ra-wrong-destination") \
	X(RA_PREFIX_COUNT, "ra-prefix-count") \
	X(RA_WRONG_PREFIX, "ra-wrong-prefix") \
	X(RA_BAD_MTU,      "ra-bad-mtu") \
	/* D4 */ \
	X(RA_NONCE,        "ra-nonce-mismatch") \
	X(RA_MAC,          "ra-mac-mismatch") \
	/* D5 */ \
	X(RS_RECEIVED,     "rs-received") \
	/* D6, D11, D15, D16, D17: IPv4 address not global unicast */ \
	X(V4_NOT_GLOBAL,   "ipv4-not-global") \
	/* D7, D8, D9: local discovery bubbles */ \
	X(DISC_UNICAST,    "discovery-via-unicast") \
	X(DISC_NOT_TEREDO, "discovery-source-not-teredo") \
	X(DISC_OFF_LINK,   "discovery-off-link") \
	X(DISC_FOREIGN,    "discovery-foreign-mapping") \
	/* D10: a pure server relays only bubbles and ICMPv6 */ \
	X(SRV_NOT_RELAYABLE, "server-not-bubble-or-icmpv6") \
	/* D12 */ \
	X(SRV_RS_AUTH,     "server-rs-auth") \
	/* D13 */ \
	X(SRV_NOT_ACCEPTED, "server-not-accepted") \
	/* D14 */ \
	X(DST_NOT_GLOBAL,  "ip6-destination-not-global") \
	/* D18 */ \
	X(SRC_NOT_TEREDO,  "source-not-teredo") \
	X(SRC_MAPPING,     "source-mapping-mismatch") \
	/* D19 */ \
	X(NO_PEER,         "no-peer-entry") \
	/* D20 */ \
	X(DST_NOT_SERVED,  "destination-not-served") \
	/* D21 */ \
	X(QUEUE_PEER_GONE, "queue-peer-removed") \
	/* D22 */ \
	X(TRAILER_MUST_DROP, "trailer-unknown-must-drop") \
	/* D23 */ \
	X(BUBBLE_UNMATCHED, "direct-bubble-unmatched") \
	/* D24 */ \
	X(TRAILER_ALT_ADDR, "trailer-alternate-address") \
	/* D25, SEC-8, HARD-1 */ \
	X(ROUTING_HEADER0, "routing-header-type0") \
	/* HARD-7 */ \
	X(SRC_LINK_LOCAL,  "ip6-source-link-local") \
	X(SRC_BAD,         "ip6-source-invalid") \
	X(DST_MULTICAST,   "ip6-destination-multicast") \
	X(BAD_EXT_HEADER,  "ip6-extension-header") \
	/* HARD-8, SRV-OP-3 */ \
	X(SRC_PORT_ZERO,   "udp-source-port-zero") \
	X(OWN_ADDRESS,     "own-address-loop") \
	/* HARD-6, CLI-TX-8: bounded tables and queues */ \
	X(QUEUE_PEER_FULL, "queue-peer-full") \
	X(QUEUE_TOTAL_FULL, "queue-total-full") \
	X(QUEUE_TOO_BIG,   "queue-packet-too-big") \
	X(RATE_LIMITED,    "rate-limited") \
	/* server: RS failing RFC 4861 §6.1.1; relay cap SRV-OP-4; HARD-8 */ \
	X(SRV_RS_INVALID,  "server-rs-invalid") \
	X(SRV_TOO_BIG,     "server-relay-too-big") \
	X(DST_PORT_ZERO,   "udp-destination-port-zero") \
	/* client: RA not from the server's addresses:3544 (CLI-QUAL-8); */ \
	/* not an RA (no data path before [relay]) */ \
	X(RA_WRONG_SOURCE, "ra-wrong-source") \
	X(CLIENT_NOT_READY, "client-not-ready") \
	/* relay (REL-TX-1, HARD-7, router hop limit) */ \
	X(DST_NOT_TEREDO,  "relay-destination-not-teredo") \
	X(TEREDO_TRANSIT,  "relay-teredo-to-teredo") \
	X(DST_LINK_LOCAL,  "ip6-destination-link-local") \
	X(HOP_LIMIT,       "hop-limit-exceeded") \
	/* client data path (CLI-RX-2, CLI-TX-0, CLI-RX-5, CLI-TX-8); */ \
	/* CLIENT_NOT_READY above now also counts sends before QUALIFIED */ \
	/* and unsolicited sources (CLI-RX-9: no ping test, HARD-3) */ \
	X(DST_NOT_OURS,    "ip6-destination-not-ours") \
	X(SRC_NOT_OURS,    "ip6-source-not-ours") \
	X(PING_NONCE,      "ping-nonce-mismatch") \
	X(QUEUE_UNRESOLVED, "queue-peer-unresolved") \
	/* the driver's action list or arena was full (action.h) */ \
	X(ACTIONS_FULL,    "actions-full") \
	/* [guard]: the Teredo security model and hardening */ \
	/* CVE-2006-6265/6266: unsolicited new flow, no granted listener */ \
	X(EDGE_NOT_GRANTED, "edge-not-granted") \
	/* HARD-4, CVE-2006-6264: Teredo source embedding an internal IPv4 */ \
	X(SRC_INTRANET,    "source-intranet-ipv4") \
	/* HARD-3, CVE-2006-6266: ping test refused (2 s per source, 4 per */ \
	/* peer lifetime, global bucket) */ \
	X(PING_LIMIT,      "ping-test-limited") \
	/* RFC 6324: embedded server or mapping is our own address */ \
	X(LOOP,            "forwarding-loop") \
	/* client: a packet sent while dormant (it wakes the client) */ \
	X(DORMANT,         "dormant") \
	/* server: RS over the per-source rate (SRV-OP-5) */ \
	X(SRV_RS_RATE,     "server-rs-rate-limited") \
	/* relay: no entry could be made without evicting a valid trusted */ \
	/* peer (HARD-6) */ \
	X(PEER_TABLE_FULL, "peer-table-full") \
	/* [harden]: too many entries for one IPv4 endpoint or address */ \
	X(PEER_LIMIT,      "peer-mapping-limit") \
	/* [harden]: a bubble not sent, over its budget (per IPv4, global) */ \
	X(BUBBLE_LIMITED,  "bubble-rate-limited") \
	/* [harden]: a non-first fragment from an unsolicited source */ \
	X(FRAGMENT_UNSOLICITED, "fragment-unsolicited") \
	/* [harden]: inbound ping tests over budget (per mapping, IPv4, all) */ \
	X(INBOUND_LIMITED, "inbound-resolution-limited") \
	/* [harden]: a host-specific relay stopped (no firewall, item 16) */ \
	X(RELAY_STOPPED,   "relay-stopped")

enum sw_drop {
#define SW_DROP_ENUM(name, str) SW_DROP_##name,
	SW_DROP_REASONS(SW_DROP_ENUM)
#undef SW_DROP_ENUM
	SW_DROP__COUNT
};

/* Stable, lower-case name of a reason ("?" for out-of-range values). */
const char *sw_drop_name(enum sw_drop);

/* Per-reason counters, as the daemons keep and `shipworm status` shows. */
struct sw_drop_counters {
	uint64_t n[SW_DROP__COUNT];
};

static inline void
sw_drop_count(struct sw_drop_counters *c, enum sw_drop why)
{
	if ((unsigned)why < SW_DROP__COUNT)
		c->n[why]++;
}

#endif /* SW_DROP_H */
