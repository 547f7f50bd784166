/*
 * world.h - the data-path world of the relay and data scenarios
 * (test_data.c, test_relay.c): real client, server and relay cores on the
 * simulated IPv4 fabric and the native IPv6 fabric (sim.h).
 *
 * Documentation addresses, SW_V4_LAB policy everywhere:
 *
 *	S   Teredo server 192.0.2.10/.11:3544
 *	R   relay 192.0.2.30:3544, native address 2001:db8:ffff::1, ::/0
 *	N   native IPv6 host 2001:db8:1::1, answers pings
 *	C1  client 10.1.0.2:40000 behind NAT1 198.51.100.1 (or public
 *	    203.0.113.1), its stack answers pings
 *	C2  client 10.2.0.2:40000 behind NAT2 198.51.100.2 (or public
 *	    203.0.113.2), optional
 *	H   a public "Teredo host" 192.0.2.50:5555 played by hand: its
 *	    Teredo address (server S, mapping its own endpoint) is h6
 *	A   an attacker 192.0.2.66 on the public side
 *
 * A hook on the IPv4 fabric records every bubble (an IPv6 header with
 * Next Header 59 and no payload, possibly behind an origin indication)
 * and can drop datagrams to one address.
 */
#ifndef SW_TESTS_WORLD_H
#define SW_TESTS_WORLD_H

#include "simtest.h"
#include "addr.h"
#include "wire.h"

#define W_S_P      SW_IP4(192, 0, 2, 10)
#define W_S_S      SW_IP4(192, 0, 2, 11)
#define W_R_ADDR   SW_IP4(192, 0, 2, 30)
#define W_R_PORT   3544
#define W_H_ADDR   SW_IP4(192, 0, 2, 50)
#define W_H_PORT   5555
#define W_A_ADDR   SW_IP4(192, 0, 2, 66)
#define W_NAT1     SW_IP4(198, 51, 100, 1)
#define W_NAT2     SW_IP4(198, 51, 100, 2)
#define W_C1_LAN   SW_IP4(10, 1, 0, 2)
#define W_C2_LAN   SW_IP4(10, 2, 0, 2)
#define W_C1_PUB   SW_IP4(203, 0, 113, 1)
#define W_C2_PUB   SW_IP4(203, 0, 113, 2)
#define W_C_PORT   40000
#define W_NO_NAT   (-1)		/* public client */
#define W_NONE     (-2)		/* no such client */

#define W_BUBBLES  4096

struct w_bubble {
	sw_time t;
	unsigned from;			/* sending node index */
	struct sw_v4ep src, dst;	/* on the public fabric */
	bool origin;			/* behind an origin indication */
	uint8_t src6[16], dst6[16];
};

struct world_opts {
	uint64_t seed;
	int c1_nat, c2_nat;		/* enum sim_nat_type, W_NO_NAT, W_NONE */
	struct sw_client_conf cconf;	/* both clients (servers set) */
	struct sw_relay_conf rconf;
	bool client_echo;		/* the clients' stacks answer pings */
};

struct world {
	struct sim *sim;
	struct sim_node *srv, *relay, *native, *c1, *c2, *h, *att;
	struct sim_nat *nat1, *nat2;
	uint8_t n6[16], rel6[16], h6[16];
	uint8_t c1_6[16], c2_6[16];	/* after world_qualify() */
	struct sw_v4ep c1_map, c2_map;

	/* the hook */
	struct w_bubble bub[W_BUBBLES];
	unsigned n_bub;
	uint32_t drop_dst;		/* != 0: datagrams to it are dropped */
	uint64_t dropped;
};

void world_opts_default(struct world_opts *o, uint64_t seed, int c1_nat,
    int c2_nat);
void world_init(struct world *w, const struct world_opts *o);
void world_free(struct world *w);
/* Start the clients, run 1 s: both QUALIFIED, c*_6 and c*_map set. */
void world_qualify(struct world *w);
/* Run to t; a broken invariant fails (after dumping the logs). */
void world_run(struct world *w, sw_time t);
void world_dump(const struct world *w);

/* An echo (type 128/129) from src to dst, hop limit 64, id 0x5157, data:
 * data_len bytes of (seq + i); the length. */
size_t w_echo(uint8_t *out, size_t cap, uint8_t type, const uint8_t src[16],
    const uint8_t dst[16], uint16_t seq, size_t data_len);
/* A bubble from src to dst; 40. */
size_t w_bubble(uint8_t *out, size_t cap, const uint8_t src[16],
    const uint8_t dst[16]);
/* A Teredo address for server and mapping (flags 0). */
void w_teredo(uint8_t out[16], uint32_t server, uint32_t addr, uint16_t port);

/* A client sends an echo request (from its own address) to dst. */
void w_client_ping(struct world *w, struct sim_node *c, const uint8_t dst[16],
    uint16_t seq, size_t data_len);
/* N sends an echo request to dst. */
void w_native_ping(struct world *w, const uint8_t dst[16], uint16_t seq);

/*
 * Echo messages of a type among the packets n kept (client: delivered,
 * native: received; for a plain host, the UDP payloads, parsed as Teredo)
 * with source src (NULL: any) and seq (-1: any).  first/last (may be
 * NULL): the times of the first and last.
 */
unsigned w_echoes(const struct sim_node *n, uint8_t type, const uint8_t *src,
    int seq, sw_time *first, sw_time *last);

/* Bubbles the hook saw sent by node `from` (NULL: any) to dst (0: any),
 * in [t0, t1). */
unsigned w_bubbles(const struct world *w, const struct sim_node *from,
    uint32_t dst, sw_time t0, sw_time t1);

/* Sum of a node's drop counters. */
uint64_t w_drops(const struct sim_node *n);
/* One drop counter of a node. */
uint64_t w_drop(const struct sim_node *n, enum sw_drop why);
/* Datagrams node n sent to addr (0: any) in [t0, t1). */
unsigned w_sends(const struct sim_node *n, uint32_t addr, sw_time t0,
    sw_time t1);

#define W_CHECK(w, cond) do { \
	if (!(cond)) \
		world_dump(w); \
	SIM_ASSERT((w)->sim, cond); \
} while (0)

#define W_CHECK_EQ(w, a, b) do { \
	if ((uint64_t)(a) != (uint64_t)(b)) \
		world_dump(w); \
	SIM_ASSERT_EQ((w)->sim, a, b); \
} while (0)

#endif /* SW_TESTS_WORLD_H */
