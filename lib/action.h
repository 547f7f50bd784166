/*
 * action.h - what the pure core asks its driver to do.
 *
 * The core never sends, delivers, configures or logs by itself: each
 * *_input() and *_tick() call appends actions to a caller-owned struct
 * sw_actions, which the driver (daemon, simulator, fuzzer) then carries
 * out in order.  Nothing is allocated: the list and its byte arena have
 * fixed sizes, and an action that does not fit is counted as a drop
 * (ACTIONS_FULL) instead.
 *
 * A datagram is up to two segments sent as one (scatter-gather, for
 * sendmmsg): seg[0] usually holds headers the core built in the arena,
 * seg[1] may point into the input buffer the core was given (valid until
 * the driver reuses that buffer), so packet bodies are never copied.
 */
#ifndef SW_ACTION_H
#define SW_ACTION_H

#include "sw.h"
#include "drop.h"

#define SW_ACTIONS_MAX   64
#define SW_ACTIONS_ARENA 8192

enum sw_action_kind {
	SW_ACT_SEND_UDP,	/* send seg[] over UDP from socket sock to dst */
	SW_ACT_SEND_IP6,	/* hand seg[] (an IPv6 packet) to the native
				   IPv6 side: the server's echo test
				   (SRV-FWD-3), the relay's IPv6 output */
	SW_ACT_DELIVER,		/* hand seg[] (an IPv6 packet) to the tunnel
				   interface (client, relay) */
	SW_ACT_ADDR_SET,	/* configure addr on the tunnel, replacing any
				   Teredo address set before (CLI-ADDR-3) */
	SW_ACT_ADDR_CLEAR,	/* remove the Teredo address */
	SW_ACT_ADDR_DEPRECATE,	/* keep addr on the tunnel but deprecated
				   (preferred lifetime 0): the client went
				   dormant; a later ADDR_SET of the same
				   address makes it preferred again */
	SW_ACT_STATE,		/* the FSM changed state (status, logs) */
};

/* Which local UDP socket: the server has two addresses; the client one
 * service port, and a receive-only local discovery socket (224.0.0.253:
 * 3544, DISC-1) in the second slot: the core sends nothing there, its
 * discovery bubbles leave from the service port. */
enum sw_sock {
	SW_SOCK_PRIMARY = 0,
	SW_SOCK_SECONDARY = 1,
	SW_SOCK_DISCOVERY = 1,
};

struct sw_seg {
	const uint8_t *p;
	size_t len;
};

struct sw_action {
	enum sw_action_kind kind;
	enum sw_sock sock;		/* SEND_UDP */
	struct sw_v4ep dst;		/* SEND_UDP */
	struct sw_seg seg[2];		/* SEND_*, DELIVER; seg[1] may be empty */
	uint8_t addr[16];		/* ADDR_SET, ADDR_DEPRECATE */
	int state;			/* STATE: the role's state enum */
	int reason;			/* STATE: why (role-specific, 0 = none) */
};

struct sw_actions {
	unsigned n;
	size_t used;			/* bytes of arena in use */
	struct sw_drop_counters *drops;	/* where the core counts discards */
	struct sw_action a[SW_ACTIONS_MAX];
	uint8_t arena[SW_ACTIONS_ARENA];
};

/* True when n more actions and bytes more arena bytes fit: for loops
 * that must stop before the list is full rather than lose work. */
static inline bool
sw_actions_room(const struct sw_actions *acts, unsigned n, size_t bytes)
{
	return SW_ACTIONS_MAX - acts->n >= n &&
	    sizeof acts->arena - acts->used >= bytes;
}

/* Empty the list (the driver calls this before each input/tick). */
void sw_actions_reset(struct sw_actions *acts);

/*
 * Reserve len bytes of arena for a packet being built; NULL when it does
 * not fit (the caller counts ACTIONS_FULL).  The bytes stay valid until
 * the next reset.
 */
uint8_t *sw_actions_alloc(struct sw_actions *acts, size_t len);

/* Give back the tail of the last reservation: shrink it to len bytes. */
void sw_actions_trim(struct sw_actions *acts, uint8_t *p, size_t reserved,
    size_t len);

/* Append an action; NULL (and ACTIONS_FULL counted) when the list is full. */
struct sw_action *sw_actions_push(struct sw_actions *acts,
    enum sw_action_kind kind);

/* Count a discard in acts->drops (if set). */
void sw_actions_drop(struct sw_actions *acts, enum sw_drop why);

/* For predicate chains: count why unless it is SW_DROP_NONE; true when
 * the packet is to be discarded. */
bool sw_actions_drop_if(struct sw_actions *acts, enum sw_drop why);

/*
 * A SW_ACT_DELIVER of an ICMPv6 error (type, code; RFC 4443) about the
 * packet inv (its first len bytes), from src to inv's source, built in
 * the arena by sw_wire_build_icmp6_error: what the host's stack hears
 * about a packet that could not be passed on.  false when no error may be
 * sent about inv or the list is full.  The caller rate-limits (SEC-9).
 */
bool sw_actions_icmp6_error(struct sw_actions *acts, uint8_t type,
    uint8_t code, const uint8_t src[static 16], const uint8_t *inv,
    size_t len);

/*
 * Append an ADDR_SET, ADDR_CLEAR or ADDR_DEPRECATE action (addr may be
 * NULL for ADDR_CLEAR); false when the list is full (ACTIONS_FULL
 * counted).
 */
bool sw_actions_addr(struct sw_actions *acts, enum sw_action_kind kind,
    const uint8_t *addr);
static inline bool
sw_actions_addr_set(struct sw_actions *acts, const uint8_t addr[static 16])
{
	return sw_actions_addr(acts, SW_ACT_ADDR_SET, addr);
}
static inline bool
sw_actions_addr_deprecate(struct sw_actions *acts,
    const uint8_t addr[static 16])
{
	return sw_actions_addr(acts, SW_ACT_ADDR_DEPRECATE, addr);
}
static inline bool
sw_actions_addr_clear(struct sw_actions *acts)
{
	return sw_actions_addr(acts, SW_ACT_ADDR_CLEAR, NULL);
}

/* Total length of an action's segments. */
size_t sw_action_len(const struct sw_action *a);

#endif /* SW_ACTION_H */
