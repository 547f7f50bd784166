/*
 * sim.h - a deterministic simulator: the real libshipworm core on a virtual
 * IPv4 fabric, with NAT models, a virtual clock and seeded loss.
 *
 * The model
 * ---------
 *  - Time is virtual (sw_time, µs) and only moves inside sim_run_until().
 *    Pending work is (a) datagram deliveries, kept in a bounded binary heap
 *    ordered by (time, sequence number), and (b) node deadlines, asked of
 *    each core (sw_client_next_deadline) before every step.  A step takes
 *    the earliest: a delivery wins a tie with a deadline, deliveries tie on
 *    their sequence number, deadlines on the node index.  Same seed, same
 *    calls: same run, byte for byte.
 *  - Nodes: a Teredo server (two public addresses, port 3544), a Teredo
 *    client (one socket; public or behind a NAT), and plain hosts (any port;
 *    optionally echoing every datagram back; tests send from them, also
 *    with a spoofed source).  After each input or tick the node's actions
 *    are carried out in order: SEND_UDP enters the fabric, SEND_IP6 goes to
 *    the native IPv6 sink, ADDR_SET/ADDR_CLEAR configure the node's virtual
 *    tunnel (one Teredo address at most, ADDR_SET replaces), STATE and
 *    everything else is appended to the node's event log.  Native IPv6
 *    reaches a server through sim_server_input_ip6().
 *  - A datagram leaves its sender after the sender's one-way latency
 *    (+ seeded jitter), crossing two links: the sender's and the receiver's.
 *    Each link has a loss probability (seeded xorshift64) and can be cut
 *    (a killed server: nothing in, nothing out).  Behind a NAT the LAN hop
 *    is instantaneous: the outbound translation happens at send time, the
 *    inbound one (filtering, expiry) at delivery time.
 *  - The public fabric routes by destination IPv4 address to a public node
 *    or a NAT; anything else is dropped and counted.  A hook sees every
 *    datagram on the public fabric just before delivery (an on-path
 *    observer: tests capture RSs there and may drop datagrams).
 *  - NATs (nat.c): bounded mapping tables with a lifetime refreshed by
 *    outbound traffic only; full cone, restricted, port-restricted (all
 *    endpoint-independent mapping) and symmetric (one external port per
 *    destination endpoint).  Unsolicited inbound is dropped and counted.
 *  - A relay node drives struct sw_relay (relay.h) on a UDP socket like a
 *    client's (public or behind a NAT); sim_relay_restart() replaces its
 *    core with a fresh one (empty peer table), same address and port.
 *  - The native IPv6 fabric: SEND_IP6 of every node (a server's echo
 *    test) and DELIVER of a relay (its tunnel; the host routes on) go to
 *    sim_route6(): a destination in the Teredo prefix goes to the relay
 *    (sw_relay_send), any other to the native host with that address, else
 *    it is dropped (no_route6).  Native packets are deliveries in the same
 *    heap (sender's latency + jitter; both links' loss and cut apply);
 *    the hook does not see them.  A native host logs SIM_EV_IP6_RECV,
 *    keeps what it received, and answers ICMPv6 echo requests (checksum
 *    verified) when its echo flag is set; tests send from it with
 *    sim_native_send().
 *  - Clients: sim_client_send() hands the core an IPv6 packet as if read
 *    from the tunnel; each DELIVER is logged and kept (sim_pkt_*).  With
 *    the client's echo flag, a delivered echo request to its address is
 *    answered by its "IP stack": an echo reply goes through
 *    sw_client_send() at the same virtual time (a zero-delay heap entry).
 *  - After every step the driver checks its invariants on each client: the
 *    tunnel holds at most one Teredo address, and it is the one the core's
 *    status reports (with the service prefix and the current server), an
 *    address only while QUALIFIED, and the last STATE action equals the
 *    status's state.  The first violation stops the run: sim_run_until()
 *    returns -1 and sim_error() says what and when.
 *
 * Misuse (too many nodes, bad arguments) aborts: this is test code.
 */
#ifndef SW_TESTS_SIM_H
#define SW_TESTS_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sw.h"
#include "action.h"
#include "client.h"
#include "relay.h"
#include "server.h"

#define SIM_MAX_NODES     16
#define SIM_MAX_NATS      4
#define SIM_INFLIGHT      1024	/* datagrams in flight */
#define SIM_DGRAM_MAX     2048	/* largest simulated UDP payload */
#define SIM_LOG_MAX       8192	/* events kept per node */
#define SIM_NAT_MAX       64	/* mappings per NAT (compile-time bound) */
#define SIM_NAT_PEERS     8	/* remote endpoints remembered per mapping */
#define SIM_NAT_RELEASED  64	/* released ports not handed out again */
#define SIM_LATENCY       (10 * SW_MSEC)
#define SIM_IP6_KEEP      8	/* native IPv6 packets kept by the sink */
#define SIM_PKT_KEEP      128	/* packets kept per node (sim_pkt_get) */
#define SIM_PKT_MAX       1280	/* bytes kept of each */

struct sim;

/* ---- NAT models (nat.c) ----------------------------------------------- */

enum sim_nat_type {
	SIM_NAT_FULL_CONE,	/* EIM, no filtering (1:1 snat/dnat) */
	SIM_NAT_RESTRICTED,	/* EIM, address-dependent filtering */
	SIM_NAT_PORT_RESTRICTED,/* EIM, address+port filtering (masquerade) */
	SIM_NAT_SYMMETRIC,	/* mapping per destination (fully-random) */
};

enum sim_port_alloc {
	SIM_PORTS_RANDOM,	/* seeded, uniform in 1024..65535 */
	SIM_PORTS_SEQUENTIAL,	/* 1024, 1025, ... wrapping */
};

struct sim_nat_conf {
	enum sim_nat_type type;
	uint32_t public_addr;
	sw_time timeout;	/* lifetime since the last outbound packet */
	unsigned max_mappings;	/* 1..SIM_NAT_MAX */
	enum sim_port_alloc alloc;
	bool preserve_port;	/* keep the source port when it is free */
};

struct sim_mapping {
	bool used;
	struct sw_v4ep in;		/* internal endpoint */
	struct sw_v4ep remote;		/* SYMMETRIC: the one destination */
	uint16_t ext;			/* external port */
	sw_time last_out;
	struct sw_v4ep peer[SIM_NAT_PEERS]; /* sent to (filtering) */
	unsigned n_peer, next_peer;
};

struct sim_nat_stats {
	uint64_t out;		/* translated outbound */
	uint64_t in;		/* translated inbound */
	uint64_t created;	/* mappings created */
	uint64_t no_mapping;	/* unsolicited: no live mapping for the port */
	uint64_t filtered;	/* unsolicited: mapping, but filtered */
	uint64_t no_host;	/* mapping to an internal host that is gone */
	uint64_t table_full;	/* outbound dropped: no free mapping */
	uint64_t expired;	/* mappings timed out */
	uint64_t flushed;	/* mappings forgotten by sim_nat_flush */
};

struct sim_nat {
	struct sim *sim;
	unsigned idx;
	struct sim_nat_conf conf;
	struct sim_mapping map[SIM_NAT_MAX];
	uint16_t next_port;			/* SEQUENTIAL */
	uint16_t released[SIM_NAT_RELEASED];	/* ring of released ports */
	unsigned n_released;
	uint64_t rng;
	struct sim_nat_stats st;
};

/* Defaults: 60 s lifetime, SIM_NAT_MAX mappings, random ports, no
 * preservation. */
void sim_nat_conf_default(struct sim_nat_conf *conf, enum sim_nat_type type,
    uint32_t public_addr);
struct sim_nat *sim_add_nat(struct sim *sim, const struct sim_nat_conf *conf);

/* Forget every mapping (conntrack -F); released ports are not reused. */
void sim_nat_flush(struct sim_nat *nat);

/* The external port of the live mapping `in` would use toward remote. */
bool sim_nat_lookup(const struct sim_nat *nat, const struct sw_v4ep *in,
    const struct sw_v4ep *remote, uint16_t *ext);
unsigned sim_nat_live(const struct sim_nat *nat);

/* Used by sim.c: outbound (false: dropped) and inbound (false: dropped,
 * counted) translation. */
bool sim_nat_out(struct sim_nat *nat, sw_time now, const struct sw_v4ep *src,
    const struct sw_v4ep *dst, struct sw_v4ep *pub);
bool sim_nat_in(struct sim_nat *nat, sw_time now, const struct sw_v4ep *src,
    const struct sw_v4ep *dst, struct sw_v4ep *internal);

/* ---- nodes and their event logs ----------------------------------------- */

enum sim_kind { SIM_SERVER, SIM_CLIENT, SIM_HOST, SIM_RELAY, SIM_NATIVE };

enum sim_ev_kind {
	SIM_EV_SEND,		/* the node sent (src: its own socket) */
	SIM_EV_RECV,		/* the node received (src: as delivered) */
	SIM_EV_ADDR_SET,
	SIM_EV_ADDR_CLEAR,
	SIM_EV_STATE,
	SIM_EV_IP6,		/* SEND_IP6, or a native host's send: to
				   the native IPv6 side */
	SIM_EV_DELIVER,		/* DELIVER: to the tunnel interface */
	SIM_EV_IP6_RECV,	/* a relay or native host received an IPv6
				   packet from the native side */
	SIM_EV_TUN_SEND,	/* sim_client_send(): from the tunnel */
	SIM_EV_ADDR_DEPRECATE,	/* the tunnel's address deprecated */
};

/* A packet a client delivered, a native host received (IPv6), or a plain
 * host received (the UDP payload). */
struct sim_pkt {
	sw_time t;
	size_t len;			/* as delivered (only SIM_PKT_MAX kept) */
	uint8_t pkt[SIM_PKT_MAX];
};

struct sim_ev {
	sw_time t;
	enum sim_ev_kind kind;
	struct sw_v4ep src, dst;	/* SEND, RECV */
	size_t len;			/* SEND, RECV, IP6, DELIVER */
	uint64_t hash;			/* FNV-1a of the bytes */
	uint8_t addr[16];		/* ADDR_SET */
	int state, reason;		/* STATE */
};

struct sim_node_stats {
	uint64_t sent, received;
	uint64_t lost;		/* on this node's link, either direction */
	uint64_t cut;		/* dropped because the node is cut */
	uint64_t no_port;	/* arrived for a port with no socket */
	uint64_t ip6_in;	/* native: IPv6 packets received */
	uint64_t ip6_out;	/* native: IPv6 packets sent */
	uint64_t echo_replied;	/* native host, client stack: answered */
	uint64_t bad_checksum;	/* native host: ICMPv6 checksum wrong */
};

struct sim_node {
	struct sim *sim;
	unsigned idx;
	char name[24];
	enum sim_kind kind;
	struct sim_nat *nat;		/* NULL: on the public fabric */
	uint32_t addr[2];		/* server: primary, secondary */
	unsigned n_addr;
	uint16_t port;			/* server, client: the socket's port */
	struct sw_server *server;
	struct sw_client *client;
	struct sw_client_conf cconf;	/* client: as given, rng set */
	struct sw_relay *relay;
	struct sw_relay_conf rconf;	/* relay: as given */
	struct sw_rng rrng;		/* relay: its seeded rng */
	uint64_t restarts;		/* relay: sim_relay_restart() calls */
	uint8_t ip6addr[16];		/* native host: its address */
	bool echo;			/* host: send every datagram back;
					   native host, client: answer ICMPv6
					   echo requests */

	/* the link: tests may set these at any time */
	double loss;			/* 0..1 per crossing */
	sw_time latency;		/* one-way, sender's side */
	sw_time jitter;			/* + uniform 0..jitter (reorders) */
	bool cut;

	uint64_t rng;			/* the core's random bytes */
	struct sw_drop_counters drops;	/* the core's discard counters */
	struct sim_node_stats st;

	/* the virtual tunnel interface */
	bool has_addr;
	bool deprecated;		/* ADDR_DEPRECATE, until ADDR_SET */
	uint8_t addr6[16];
	bool has_state;
	int last_state;

	struct sim_ev *log;		/* SIM_LOG_MAX entries */
	unsigned n_log;
	uint64_t log_lost;		/* events beyond SIM_LOG_MAX */

	/* client: DELIVERed packets; native host: IPv6 packets received;
	 * plain host: UDP payloads received */
	struct sim_pkt *pkts;		/* SIM_PKT_KEEP, a ring */
	unsigned n_pkts;		/* ever */
};

enum sim_dg_kind {
	SIM_DG_UDP,			/* public IPv4 fabric */
	SIM_DG_IP6,			/* native IPv6 fabric, to node `to` */
	SIM_DG_TUN,			/* client `to`'s stack sends buf */
};

/* A datagram on the public fabric (after NAT translation), or an IPv6
 * packet on the native fabric (kind, to). */
struct sim_dgram {
	sw_time t;			/* delivery time */
	uint64_t seq;
	enum sim_dg_kind kind;
	unsigned from;			/* sending node index */
	unsigned to;			/* IP6, TUN: receiving node index */
	struct sw_v4ep src, dst;
	size_t len;
	uint8_t buf[SIM_DGRAM_MAX];
};

/* Return false to drop the datagram (counted as hook_drop). */
typedef bool (*sim_hook_fn)(void *ctx, struct sim *sim,
    const struct sim_dgram *d);

struct sim_stats {
	uint64_t steps;
	uint64_t delivered;
	uint64_t lost;		/* any link */
	uint64_t cut;
	uint64_t no_route;	/* public destination unknown */
	uint64_t hook_drop;
	uint64_t overflow;	/* too many in flight / too big */
	uint64_t ip6_delivered;	/* native fabric */
	uint64_t no_route6;	/* native destination unknown (or no relay) */
};

struct sim {
	uint64_t seed;
	sw_time now;
	uint64_t net_rng;		/* loss and jitter */
	uint64_t seq;
	uint64_t trace;			/* FNV-1a over every logged event */

	struct sim_node node[SIM_MAX_NODES];
	unsigned n_node;
	struct sim_nat nat[SIM_MAX_NATS];
	unsigned n_nat;

	struct sim_dgram dg[SIM_INFLIGHT];
	unsigned free_slot[SIM_INFLIGHT], n_free;
	unsigned heap[SIM_INFLIGHT], n_heap;	/* slot indices */

	sim_hook_fn hook;
	void *hook_ctx;

	/* the native IPv6 sink (SEND_IP6 of every node; they are routed
	 * on by sim_route6 as well) */
	uint64_t ip6_count;
	struct { unsigned from; size_t len; uint8_t pkt[1280]; }
	    ip6[SIM_IP6_KEEP];		/* the last ones, ring */

	struct sw_actions acts;		/* one buffer: actions never nest */
	struct sim_stats st;
	char error[256];		/* first invariant violation */
};

/* seed != 0 is not required: it is mixed before use. */
struct sim *sim_new(uint64_t seed);
void sim_free(struct sim *sim);

/* Addresses come from conf (primary, secondary); port 3544. */
struct sim_node *sim_add_server(struct sim *sim, const char *name,
    const struct sw_server_conf *conf);
/* nat NULL: public.  conf->rng is replaced by the node's seeded one; a
 * conf->local with port 0 becomes addr:port. */
struct sim_node *sim_add_client(struct sim *sim, const char *name,
    struct sim_nat *nat, uint32_t addr, uint16_t port,
    const struct sw_client_conf *conf);
struct sim_node *sim_add_host(struct sim *sim, const char *name,
    struct sim_nat *nat, uint32_t addr, bool echo);

/* A relay (relay.h) with one UDP socket, addr:port (nat NULL: public);
 * its peer table key comes from the node's seeded rng. */
struct sim_node *sim_add_relay(struct sim *sim, const char *name,
    struct sim_nat *nat, uint32_t addr, uint16_t port,
    const struct sw_relay_conf *conf);
/* A native IPv6 host (no IPv4). */
struct sim_node *sim_add_native(struct sim *sim, const char *name,
    const uint8_t addr[16], bool echo);

/* The relay restarts: its core is freed and a new one created with the
 * same configuration (empty peer table, no queues), same address/port. */
void sim_relay_restart(struct sim_node *n);
void sim_relay_status(const struct sim_node *n, struct sw_relay_status *st);
/* An IPv6 packet reaching the relay from the native side, now
 * (sw_relay_send), bypassing the native fabric. */
void sim_relay_send(struct sim_node *n, const void *pkt, size_t len);

/* An IPv6 packet from the client's tunnel, now (sw_client_send). */
void sim_client_send(struct sim_node *n, const void *pkt, size_t len);
/* An IPv6 packet from a node onto the native fabric (sim_route6). */
void sim_native_send(struct sim_node *n, const void *pkt, size_t len);

/* Packets a client delivered to its tunnel / a native host received / a
 * plain host received (UDP payloads): how many ever, and the i-th
 * (0-based; NULL once overwritten). */
unsigned sim_pkt_count(const struct sim_node *n);
const struct sim_pkt *sim_pkt_get(const struct sim_node *n, unsigned i);

/* sw_client_start() now, actions carried out. */
void sim_client_start(struct sim_node *n);
void sim_client_status(const struct sim_node *n, struct sw_client_status *st);
/* The guard's entry points (client.h), actions carried out. */
void sim_client_set_edge(struct sim_node *n, const struct sw_edge *e);
void sim_client_set_listening(struct sim_node *n, bool granted);
void sim_client_stop(struct sim_node *n, enum sw_client_reason why);

/* A packet from the native IPv6 side to a server (sw_server_input_ip6). */
void sim_server_input_ip6(struct sim_node *n, const void *pkt, size_t len);

/* Send from a node's socket (any node kind; sport 0: the node's port). */
void sim_send(struct sim_node *n, uint16_t sport, const struct sw_v4ep *dst,
    const void *buf, size_t len);
/* Send from a public node with a forged IPv4 source (no NAT). */
void sim_send_spoofed(struct sim_node *n, const struct sw_v4ep *src,
    const struct sw_v4ep *dst, const void *buf, size_t len);

void sim_set_hook(struct sim *sim, sim_hook_fn fn, void *ctx);

/* Process everything due up to t (inclusive); now = t afterwards.  0, or
 * -1 when an invariant broke (sim_error()). */
int sim_run_until(struct sim *sim, sw_time t);
const char *sim_error(const struct sim *sim);

/* Log helpers. */
unsigned sim_log_count(const struct sim_node *n, enum sim_ev_kind kind);
/* The last event of a kind (NULL: none). */
const struct sim_ev *sim_log_last(const struct sim_node *n,
    enum sim_ev_kind kind);
const char *sim_ev_name(enum sim_ev_kind kind);
void sim_dump(const struct sim_node *n, FILE *f);
/* True when both nodes' logs are identical, entry for entry. */
bool sim_log_equal(const struct sim_node *a, const struct sim_node *b);

#endif /* SW_TESTS_SIM_H */
