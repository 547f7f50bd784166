/*
 * relay.h - the Teredo relay, pure (RFC 4380 §5.4; spec §4, §5 for the
 * host-specific relay, §8.2 D17-D21, §8.3 HARD-6/7).
 *
 * A relay routes between native IPv6 and Teredo clients.  Its peer list
 * (REL-GEN-3) is a struct sw_peer_table keyed by the client's Teredo
 * address.  An entry lives through these states:
 *
 *             sw_relay_send(), no entry / trusted entry stale (> 30 s rx)
 *   (none) -------------------------------------------------------+
 *     ^                                                           v
 *     | 1 + retries bubble rounds,   +-------------------- UNTRUSTED
 *     | retry_interval apart, no     |  packets queued (REL-TX-5),
 *     | answer: entry removed, its   |  a bubble round at creation and
 *     | queue dropped (D21)          |  every retry_interval (REL-TX-4)
 *     +------------------------------+             |
 *                                                  | any packet or bubble
 *                                                  | from the client,
 *                                                  | mapping = its UDP source
 *                                                  v (REL-RX-4)
 *                                               TRUSTED: queue flushed in
 *                                               FIFO order; valid while the
 *                                               last reception is < 30 s old
 *                                               (rfc-notes 17); a send to a
 *                                               stale one starts bubbling
 *                                               again
 *
 * A "bubble round" is one indirect bubble (src = bubble_src, dst = the
 * client's Teredo address) over UDP to <the client's server IPv4>:3544,
 * plus, with always_direct_bubble (REL-TX-6, HSR-5), the same bubble to
 * the mapping embedded in the address.  The cone bit is ignored
 * (REL-GEN-5): every new peer is case 3.  Bubbles to one peer are never
 * more frequent than one round per retry_interval.
 *
 * Native side -> clients, sw_relay_send() (REL-TX-1..6), in this order:
 * valid IPv6 (D2); destination Teredo (DST_NOT_TEREDO, REL-TX-1); source
 * sane (HARD-7: SRC_BAD, SRC_LINK_LOCAL) and not Teredo (TEREDO_TRANSIT);
 * embedded mapping and server not one of our own IPv4 addresses (RFC
 * 6324, LOOP); both global unicast (D17, V4_NOT_GLOBAL),
 * mapped port not 0 (DST_PORT_ZERO); no RH0 (D25); hop limit > 1
 * (HOP_LIMIT).  Then the peer entry decides: trusted and valid, SEND_UDP
 * to its mapping; otherwise queued (QUEUE_* when it does not fit).
 *
 * Clients -> native side, sw_relay_input() (REL-RX-1..6): well-formed
 * Teredo (D1/D2); UDP source port not 0 (HARD-8) and not one of our own
 * addresses (OWN_ADDRESS from 3544, else LOOP); IPv6 source sane
 * (HARD-7); source Teredo embedding the UDP source (D18); a peer entry
 * exists (D19, as Miredo: new clients are never learnt from the UDP
 * side).  The entry is then refreshed: last_rx = now, mapping = from,
 * trusted, queue flushed.  Bubbles stop here (REL-RX-6, never
 * delivered).  Then the destination: not multicast (DST_MULTICAST), not
 * link-local (DST_LINK_LOCAL), not Teredo (TEREDO_TRANSIT, HARD-7), in a
 * served range (D20, DST_NOT_SERVED); no RH0 (D25); hop limit > 1
 * (HOP_LIMIT); then SW_ACT_DELIVER (the relay's tunnel interface, to
 * which 2001::/32 is routed; the host routes the packet on).  Trailers
 * are not forwarded: exactly the 40 + Payload Length bytes go out.
 *
 * The relay is a router: every packet it forwards, either way, leaves
 * with its hop limit decremented (decrement_hop_limit, the default; a
 * daemon whose kernel forwards between the tunnel and the native side
 * turns it off, or each hop would count twice, and the kernel sends the
 * Time Exceeded errors).  The 40-byte IPv6 header is copied into the
 * action arena (seg[0]) and modified there; seg[1] points at the rest of
 * the packet in place: the caller's buffer for sw_relay_send() and
 * sw_relay_input(), the queue slot for flushed packets.  Without the
 * decrement, seg[0] is the whole packet in place.  Segments are valid
 * until the caller reuses its buffer or calls into the relay again.
 * When an untrusted entry runs out of retries, each packet of its queue
 * is answered with ICMPv6 Destination Unreachable, code 3, from
 * bubble_src (SW_ACT_DELIVER), under the icmp_rate token bucket (SEC-9).
 *
 * Timers: retries and removals of untrusted entries sit in a FIFO ring of
 * (address, due time), 2 x capacity records.  Every record is pushed with
 * due = now + retry_interval, so with a monotonic clock the ring is sorted;
 * sw_relay_tick() pops the records that are due, O(1) each, and a record
 * whose entry has gone or moved on is skipped.  When the ring is full its
 * oldest record is processed early (an untrusted entry then loses its
 * remaining retries: counted in timer_overflows).  sw_relay_send() is
 * O(1) amortised, sw_relay_input() O(1) plus the queue flushed.
 *
 * Flood protection (HARD-6), each defence a compile-out unit for the
 * attack suite (weaken.h):
 *
 *  - SW_DEFENCE(RELAY_PEERS): a new (untrusted) entry never evicts a
 *    valid trusted peer (trusted, last reception < valid ago).  When the
 *    table is full the victim is the least recently used entry that is
 *    not one: the RELAY_EVICT_SCAN (16) oldest entries of the LRU list are
 *    looked at first (an untrusted or stale one there goes), then the
 *    oldest untrusted entry from the timer ring (every untrusted entry has
 *    a record there; popping it is O(1) amortised).  When neither finds
 *    one, the packet is dropped: PEER_TABLE_FULL.  Bounded: a stale
 *    trusted entry deeper than the scan is not found (every use moves an
 *    entry to the head, so stale ones drift to the tail).  Without the
 *    defence: plain LRU, and each valid trusted peer pushed out is counted
 *    in stats.evicted_trusted.
 *  - SW_DEFENCE(RELAY_QUEUE): queues are bounded per peer
 *    (queue_peer_bytes) and in total (queue_total_bytes).  When the pool
 *    is full, a packet for peer P is not refused while another peer V
 *    holds more queued bytes than P: V's oldest packets are dropped
 *    (counted in stats.queue_evicted and as QUEUE_TOTAL_FULL) until P's
 *    packet fits.  V is the peer in the biggest size class (bit length of
 *    its byte count), the first to enter that class (sw_peer_queue_biggest,
 *    O(1)).  So a flood of large packets towards clients that never
 *    answer holds at most what the legitimate queues leave, and a new
 *    peer's first packet always gets a slot (max-min fairness).  Without
 *    the defence: no per-peer bound (a peer may take the whole pool) and
 *    refuse-when-full, so such a flood starves new peers: every packet
 *    refused so while its peer had nothing queued is counted in
 *    stats.queue_refused_new (with the defence it stays 0 unless no other
 *    peer holds a byte more than this one, e.g. a pool smaller than one
 *    packet per waiting peer).
 *  - SW_DEFENCE(LOOP) (RFC 6324): sw_relay_send() drops a packet for a
 *    Teredo address whose embedded server or mapping is one of the
 *    relay's own IPv4 addresses (conf.own, filled by the daemon with its
 *    bind and attached addresses): LOOP, before any entry is made or
 *    bubble sent.  sw_relay_input() drops any datagram whose UDP source
 *    address is one of them (from port 3544: OWN_ADDRESS, as every role,
 *    SRV-OP-3; any other port: LOOP), so a packet that looped back to the
 *    relay dies at the first check.
 *
 * The host-specific relay's security model (issue 10 item 16; guard:
 * HARD-2/3, CVE-2006-6265), with conf.host_guard: its tunnel is a Teredo
 * interface of the host, so it gets the client's rules.
 *
 *  - Stopped until told the host's firewall holds: sw_relay_new() makes
 *    it stopped, sw_relay_start() runs it, sw_relay_stop() stops it
 *    again (every peer and queue dropped, flows forgotten).  While
 *    stopped, sw_relay_send() and sw_relay_input() drop everything:
 *    RELAY_STOPPED.  (Without host_guard a relay starts running.)
 *  - SW_DEFENCE(HSR_GUARD): a packet from a Teredo peer is delivered to
 *    the host only when it belongs to a flow the host's applications
 *    opened (flow.h: what the host sends through sw_relay_send() from a
 *    served address, not what its kernel answers by itself: one echo
 *    reply must not open every port to a peer), or else when
 *    sw_edge_check() passes it with the ports of sw_relay_set_edge()
 *    (echo requests, NS/NA, TCP/UDP to a granted listener's port); a
 *    non-first fragment only from a peer the host's applications sent
 *    to.  Else EDGE_NOT_GRANTED (stats.flow_refused) or
 *    FRAGMENT_UNSOLICITED (stats.fragment_refused), after every other
 *    check.  The peer entry (D19) is no solicitation: the host's kernel
 *    makes one when it answers anyone's ping.
 *  - Dormancy (conf.dormant_after > 0): no granted listener
 *    (sw_relay_set_listening) and no data packet carried either way for
 *    dormant_after (bubbles do not count): every peer and its queue is
 *    dropped and the flows are forgotten, so that no Teredo client
 *    reaches the host through its relay until the host sends again.
 *    The address is the host's native one: nothing to deprecate, no NAT
 *    mapping to let lapse.  The next data packet ends it.
 *
 * Every discard is counted by reason in acts->drops.  Nothing is
 * allocated after sw_relay_new().
 */
#ifndef SW_RELAY_H
#define SW_RELAY_H

#include "sw.h"
#include "action.h"
#include "check.h"
#include "edge.h"
#include "ratelimit.h"

#define SW_RELAY_MAX_SERVED 16
#define SW_RELAY_MAX_OWN 8	/* own IPv4 addresses (RFC 6324) */
#define SW_RELAY_MAX_INTRANET 16

struct sw_relay_conf {
	uint32_t prefix;		/* service prefix, SW_TEREDO_PREFIX */
	struct sw_v4_check v4;		/* COM-V4G policy (D17); `attached`
					   must outlive the relay */
	uint8_t bubble_src[16];		/* a local non-Teredo IPv6 address
					   of the relay (REL-TX-4, HSR-3) */
	struct sw_ip6_net served[SW_RELAY_MAX_SERVED];	/* REL-RX-5, HSR-4:
					   ::/0 for a public relay, the host's
					   /128s for a host-specific one */
	size_t n_served;		/* >= 1 */
	uint32_t capacity;		/* peers (1024) */
	uint32_t queue_peer_bytes;	/* per-peer queue bound (4096) */
	uint32_t queue_total_bytes;	/* all queues (256 KiB) */
	uint32_t max_packet;		/* largest packet queued (1280); the
					   pool is queue_total_bytes /
					   max_packet slots of that size */
	sw_time retry_interval;		/* 2 s (REL-TX-4) */
	unsigned retries;		/* 3 repeats after the first round */
	sw_time valid;			/* trusted entry validity: 30 s
					   (rfc-notes 17) */
	bool always_direct_bubble;	/* REL-TX-6, HSR-5 */
	struct sw_tb_conf icmp_rate;	/* SEC-9: ICMPv6 errors for queues
					   given up (one per 100 ms, burst 10;
					   burst 0: none) */
	bool decrement_hop_limit;	/* true: the relay routes (hop limit
					   checked and decremented, header
					   copied); false: the host's IP stack
					   routes and does that, packets are
					   sent as they are, zero copy */
	uint32_t own[SW_RELAY_MAX_OWN];	/* RFC 6324: the relay's own IPv4
					   addresses (host order; bind and
					   attached), 0 = unused */
	unsigned n_own;			/* <= SW_RELAY_MAX_OWN */
	uint32_t peers_per_mapping;	/* valid trusted entries per IPv4
					   endpoint (8; 0: capacity) */
	uint32_t peers_per_address;	/* ... per IPv4 address (64; 0:
					   capacity) */
	struct sw_tb_conf bubble_rate;	/* bubbles per destination IPv4
					   (50/s, burst 20) */
	struct sw_tb_conf bubble_rate_total;	/* all bubbles (1000/s,
					   burst 200) */
	struct sw_v4_net intranet[SW_RELAY_MAX_INTRANET];	/* HARD-4:
					   never bubbled, never trusted */
	unsigned n_intranet;
	/* issue 10 item 16: the host-specific relay's security model */
	bool host_guard;		/* the host's guard (above): false;
					   the daemon sets it for HostSpecific */
	uint32_t flows;			/* flows the host opened: 4096 */
	sw_time dormant_after;		/* idle time before dormancy; 0:
					   never (host_guard only) */
};

struct sw_relay_stats {
	uint64_t to_clients;		/* IPv6 packets sent over UDP */
	uint64_t to_native;		/* IPv6 packets delivered */
	uint64_t bubble_rounds;		/* indirect (+ direct) rounds */
	uint64_t bubbles_sent;		/* bubble datagrams */
	uint64_t bubbles_rx;		/* bubbles consumed (REL-RX-6) */
	uint64_t queued;		/* packets put in a queue */
	uint64_t flushed;		/* queued packets sent on trust */
	uint64_t trusted;		/* untrusted -> trusted */
	uint64_t stale;			/* trusted entries found stale */
	uint64_t expired;		/* entries removed, retries exhausted */
	uint64_t displaced;		/* untrusted entries removed to make
					   room for a new one (HARD-6) */
	uint64_t timer_overflows;	/* timer ring full, processed early */
	uint64_t unreachable_sent;	/* ICMPv6 errors for given-up queues */
	uint64_t unreachable_limited;	/* ... not sent: SEC-9 rate limit */
	uint64_t evicted_trusted;	/* valid trusted peers pushed out by a
					   new entry (only without
					   SW_DEFENCE(RELAY_PEERS)) */
	uint64_t table_full;		/* packets dropped: every entry a
					   valid trusted peer (PEER_TABLE_FULL) */
	uint64_t queue_evicted;		/* queued packets dropped to make room
					   for a smaller queue (RELAY_QUEUE) */
	uint64_t queue_refused_new;	/* packets refused, pool full, while
					   their peer had nothing queued
					   (starvation) */
	uint64_t loops;			/* packets dropped as LOOP (RFC 6324) */
	uint64_t trust_refused;		/* answers not trusted: their IPv4
					   endpoint or address holds its
					   share of trusted entries */
	uint64_t bubbles_limited;	/* bubbles not sent: over budget */
	uint64_t swept;			/* stale trusted entries removed */
	uint64_t tick_deferred;		/* ticks ended with work left due
					   (no room in the action list) */
	/* host_guard */
	uint64_t flow_refused;		/* deliveries outside the host's
					   flows and grants */
	uint64_t fragment_refused;	/* non-first fragments from peers the
					   host's applications never sent to */
	uint64_t dormancies;		/* times dormancy began */
};

struct sw_relay_status {
	uint32_t peers;
	uint32_t capacity;
	uint32_t timers;		/* records in the timer ring */
	size_t queued_bytes;
	size_t memsize;			/* bytes allocated, constant */
	struct sw_relay_stats stats;
	bool running;			/* not stopped */
	bool dormant;			/* host_guard: forgot all (above) */
	bool listening;			/* a granted listener exists */
	uint32_t flows;			/* flows the host opened */
	sw_time last_data;		/* last data packet carried, or
					   SW_TIME_NEVER */
};

struct sw_relay;

/* Defaults (above) with served = ::/0; the caller sets bubble_src. */
void sw_relay_conf_default(struct sw_relay_conf *conf);

/*
 * 0, -EINVAL (bubble_src unspecified, multicast, link-local or Teredo; no
 * served range or more than SW_RELAY_MAX_SERVED; a zero interval; a table
 * size sw_peer_table_new refuses; n_own > SW_RELAY_MAX_OWN; host_guard
 * with flows 0) or -ENOMEM.  rng draws the peer table's
 * hash key.
 */
int sw_relay_new(struct sw_relay **out, const struct sw_relay_conf *conf,
    const struct sw_rng *rng);
void sw_relay_free(struct sw_relay *r);

/* An IPv6 packet (pkt, len) from the native side for a Teredo address. */
void sw_relay_send(struct sw_relay *r, sw_time now, const uint8_t *pkt,
    size_t len, struct sw_actions *acts);

/* Run (host_guard: the host's firewall holds, or the operator chose to
 * run without one), or stop (peers, queues and flows dropped; RELAY_STOPPED
 * for everything until started again). */
void sw_relay_start(struct sw_relay *r, sw_time now);
void sw_relay_stop(struct sw_relay *r, struct sw_actions *acts);

/* host_guard: the ports with a granted listener (copied). */
void sw_relay_set_edge(struct sw_relay *r, const struct sw_edge *e);

/* host_guard: whether any granted listener exists (no dormancy while one
 * does; losing the last one restarts the idle clock). */
void sw_relay_set_listening(struct sw_relay *r, sw_time now, bool granted);

/* A UDP datagram received from `from` on the relay's service port. */
void sw_relay_input(struct sw_relay *r, sw_time now,
    const struct sw_v4ep *from, const uint8_t *buf, size_t len,
    struct sw_actions *acts);

/* Timers: call when now >= sw_relay_next_deadline().  Does what fits in
 * acts and leaves the rest due (call again with a fresh list). */
void sw_relay_tick(struct sw_relay *r, sw_time now, struct sw_actions *acts);
sw_time sw_relay_next_deadline(const struct sw_relay *r);

void sw_relay_status(const struct sw_relay *r, struct sw_relay_status *st);

#endif /* SW_RELAY_H */
