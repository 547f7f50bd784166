/*
 * weaken.h - the defences that an attack test can compile out.
 *
 * tests/attacks/ runs every attack twice: against the normal build, where
 * the defence must stop it (and a counter must record that), and against
 * a test build made with `make O=build/weak-<name> WEAKEN=<name>`, in which
 * that one defence is compiled out, where the attack must succeed.  So an
 * attack test cannot pass vacuously.  Production builds never define any
 * SW_WEAKEN_*: there is no run-time switch to turn a defence off.
 *
 * Code guards a defence with SW_DEFENCE(NAME), a compile-time constant:
 *
 *	if (SW_DEFENCE(RA_NONCE) && memcmp(...) != 0)
 *		return SW_DROP_RA_NONCE;
 *
 *	WEAKEN=		defence (what the attack test shows without it)
 *	routing-header	core RH0 drop (D25, HARD-1) and the firewall's
 *			routing-header rule (CVE-2006-6263)
 *	intranet	HARD-4: no trusted peer and no reply for Teredo sources
 *			embedding an internal IPv4 (CVE-2006-6264), and
 *			no native peer trusted at an intranet endpoint
 *			(CLI-RX-5)
 *	edge		the core's edge check on unsolicited inbound packets
 *			and the firewall's edge chain (CVE-2006-6265)
 *	ping-nonce	CLI-RX-5: echo reply nonce check in the direct
 *			connectivity test
 *	ra-nonce	D4: RA nonce check (CLI-SQ-2)
 *	relay-peers	relay peer table: valid trusted peers are never
 *			evicted by new untrusted ones (HARD-6)
 *	relay-queue	relay queue bounds and fairness (HARD-6)
 *	server-rs-rate	server: per-source RS rate limit (SRV-OP-5)
 *	loop		RFC 6324: packets whose embedded server or mapping is
 *			our own address are dropped
 *	relay-mapping	relay: valid trusted entries per IPv4 endpoint and
 *			per IPv4 address bounded (PeersPerMapping,
 *			PeersPerAddress), so one mapping cannot lock new
 *			clients out of the table
 *	relay-bubble	relay: bubbles per destination IPv4 and in total
 *			bounded (BubbleRateLimit): no amplifier
 *	relay-tick	relay: due retries beyond one action list stay due
 *			instead of being lost
 *	server-rs-total	server: the global RS bucket (RsRateLimitTotal),
 *			and a new or evicted source starts with one token
 *	client-peers	client: valid trusted peers are never evicted, and
 *			entries per IPv4 endpoint and address are bounded
 *	client-inbound	client: unsolicited resolutions (CLI-RX-9) bounded
 *			per relay endpoint, per IPv4 and in total; host
 *			sends keep a reserve of the queue pool
 *	client-reflect	client: answers to indirect bubbles budgeted per
 *			origin endpoint, per IPv4 and in total
 *	flow		client: solicitation per flow from what the host's
 *			applications send (not kernel echo replies, RSTs or
 *			errors); non-first fragments only for solicited
 *			sources
 *	tun-ra		the tunnel's accept_ra,
 *			accept_redirects and autoconf off, and the firewall's
 *			drop of RS, RA and redirects from it (ICMPv6 errors
 *			only as related)
 *	hsr-guard	host-specific relay: the core's per-flow edge check on
 *			what Teredo peers send the host (the firewall table
 *			stays: run with AllowUnfirewalled to see the attack)
 *	engine-user	the engine's user is _shipworm with a uid and gid of
 *			its own (not nobody's, no other passwd entry's);
 *			without it, nobody will do
 *	edge-slots	the edge socket's connections bounded per uid, root's
 *			never closed for another's (without it: the oldest
 *			goes, whoever's)
 */
#ifndef SW_WEAKEN_H
#define SW_WEAKEN_H

#ifndef SW_WEAKEN_ROUTING_HEADER
#define SW_WEAKEN_ROUTING_HEADER 0
#endif
#ifndef SW_WEAKEN_INTRANET
#define SW_WEAKEN_INTRANET 0
#endif
#ifndef SW_WEAKEN_EDGE
#define SW_WEAKEN_EDGE 0
#endif
#ifndef SW_WEAKEN_PING_NONCE
#define SW_WEAKEN_PING_NONCE 0
#endif
#ifndef SW_WEAKEN_RA_NONCE
#define SW_WEAKEN_RA_NONCE 0
#endif
#ifndef SW_WEAKEN_RELAY_PEERS
#define SW_WEAKEN_RELAY_PEERS 0
#endif
#ifndef SW_WEAKEN_RELAY_QUEUE
#define SW_WEAKEN_RELAY_QUEUE 0
#endif
#ifndef SW_WEAKEN_SERVER_RS_RATE
#define SW_WEAKEN_SERVER_RS_RATE 0
#endif
#ifndef SW_WEAKEN_LOOP
#define SW_WEAKEN_LOOP 0
#endif
#ifndef SW_WEAKEN_RELAY_MAPPING
#define SW_WEAKEN_RELAY_MAPPING 0
#endif
#ifndef SW_WEAKEN_RELAY_BUBBLE
#define SW_WEAKEN_RELAY_BUBBLE 0
#endif
#ifndef SW_WEAKEN_RELAY_TICK
#define SW_WEAKEN_RELAY_TICK 0
#endif
#ifndef SW_WEAKEN_SERVER_RS_TOTAL
#define SW_WEAKEN_SERVER_RS_TOTAL 0
#endif
#ifndef SW_WEAKEN_CLIENT_PEERS
#define SW_WEAKEN_CLIENT_PEERS 0
#endif
#ifndef SW_WEAKEN_CLIENT_INBOUND
#define SW_WEAKEN_CLIENT_INBOUND 0
#endif
#ifndef SW_WEAKEN_CLIENT_REFLECT
#define SW_WEAKEN_CLIENT_REFLECT 0
#endif
#ifndef SW_WEAKEN_FLOW
#define SW_WEAKEN_FLOW 0
#endif
#ifndef SW_WEAKEN_TUN_RA
#define SW_WEAKEN_TUN_RA 0
#endif
#ifndef SW_WEAKEN_HSR_GUARD
#define SW_WEAKEN_HSR_GUARD 0
#endif
#ifndef SW_WEAKEN_ENGINE_USER
#define SW_WEAKEN_ENGINE_USER 0
#endif
#ifndef SW_WEAKEN_EDGE_SLOTS
#define SW_WEAKEN_EDGE_SLOTS 0
#endif

/* True unless this test build compiled the defence out. */
#define SW_DEFENCE(name) (!SW_WEAKEN_##name)

/* True in any weakened test build (the daemon says so at start). */
#define SW_WEAKENED (SW_WEAKEN_ROUTING_HEADER || SW_WEAKEN_INTRANET || \
	SW_WEAKEN_EDGE || SW_WEAKEN_PING_NONCE || SW_WEAKEN_RA_NONCE || \
	SW_WEAKEN_RELAY_PEERS || SW_WEAKEN_RELAY_QUEUE || \
	SW_WEAKEN_SERVER_RS_RATE || SW_WEAKEN_LOOP || \
	SW_WEAKEN_RELAY_MAPPING || SW_WEAKEN_RELAY_BUBBLE || \
	SW_WEAKEN_RELAY_TICK || SW_WEAKEN_SERVER_RS_TOTAL || \
	SW_WEAKEN_CLIENT_PEERS || SW_WEAKEN_CLIENT_INBOUND || \
	SW_WEAKEN_CLIENT_REFLECT || SW_WEAKEN_FLOW || SW_WEAKEN_TUN_RA || \
	SW_WEAKEN_HSR_GUARD || SW_WEAKEN_ENGINE_USER || SW_WEAKEN_EDGE_SLOTS)

#endif /* SW_WEAKEN_H */
