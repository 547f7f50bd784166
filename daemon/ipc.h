/*
 * ipc.h - the messages between the unprivileged engine and the
 * privileged parent, over a SOCK_SEQPACKET socketpair.
 *
 * Fixed-size messages, slaacd style: every type has exactly one size
 * (header + its payload); the receiver checks the datagram's size against
 * the type, the length field, and (ipc_check) every field of the payload
 * before anyone acts on it.  Anything else is a broken invariant (fatalx):
 * the other side is not the program it should be.
 *
 * engine -> parent
 *	IPC_READY	the engine dropped its privileges and is running
 *	IPC_ADDR_SET	put addr on the tunnel, replacing the one before
 *			(CLI-ADDR-3, CLI-MNT-5: never two Teredo addresses);
 *			the same address again: undeprecate it
 *	IPC_ADDR_CLEAR	remove the Teredo address and its routes
 *	IPC_ADDR_DEPRECATE  the client went dormant: the address stays but
 *			is deprecated (preferred_lft 0), so that the host
 *			picks it for no new connection
 *
 * parent -> engine (client role)
 *	IPC_FW		the firewall's state: active, missing (+ reason) or
 *			unfirewalled (AllowUnfirewalled yes), and its counters.
 *			The client is started only on active or unfirewalled,
 *			stopped (NO_FIREWALL) on missing.
 *	IPC_EDGE	what sock_diag shows: the TCP and UDP ports that a
 *			granted listener holds (sorted, unique, nonzero, at
 *			most SW_EDGE_MAX_PORTS each), their number, and
 *			whether any exists (no dormancy while one does)
 */
#ifndef SW_DAEMON_IPC_H
#define SW_DAEMON_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "edge.h"

enum ipc_type {
	IPC_READY = 1,
	IPC_ADDR_SET,
	IPC_ADDR_CLEAR,
	IPC_ADDR_DEPRECATE,
	IPC_FW,
	IPC_EDGE,
};

enum ipc_fw_state {
	IPC_FW_ACTIVE = 1,
	IPC_FW_MISSING,
	IPC_FW_UNFIREWALLED,
};

#define IPC_REASON_MAX	160	/* bytes of a reason, NUL included */

struct ipc_fw {
	uint32_t state;			/* enum ipc_fw_state */
	uint32_t pad;			/* zero */
	char reason[IPC_REASON_MAX];	/* NUL-terminated, printable ASCII;
					   "" when active */
	uint64_t edge_denied;		/* struct sys_fw_counters */
	uint64_t routing_header;
	uint64_t p41_dropped;
	uint64_t edge_granted;
	uint64_t nd_dropped;
};

/* What the parent's view of the listeners lacks (fail closed). */
#define IPC_EDGE_CUT_LISTENERS	0x01	/* > GUARD_LISTENERS_MAX grantable */
#define IPC_EDGE_CUT_TREE	0x02	/* > GUARD_TREE_MAX cgroups: no cgroup
					   rule matches */

struct ipc_edge {
	uint16_t n_tcp, n_udp;		/* <= SW_EDGE_MAX_PORTS */
	uint32_t listeners;		/* granted listening sockets */
	uint8_t granted;		/* 0 or 1: listeners > 0 */
	uint8_t cut;			/* IPC_EDGE_CUT_* */
	uint8_t pad[2];			/* zero */
	uint32_t forged;		/* marks withdrawn: another socket
					   carried one (issue 10 item 13) */
	uint32_t conns_shed;		/* edge socket connections closed
					   unserved for want of a slot */
	uint16_t tcp[SW_EDGE_MAX_PORTS];	/* [0, n_tcp): strictly */
	uint16_t udp[SW_EDGE_MAX_PORTS];	/* increasing, nonzero; rest 0 */
};

struct ipc_msg {
	uint32_t type;			/* enum ipc_type */
	uint32_t len;			/* ipc_size(type) */
	union {
		uint8_t addr[16];	/* ADDR_SET, ADDR_DEPRECATE */
		struct ipc_fw fw;
		struct ipc_edge edge;
	} u;
};

#define IPC_HDR	offsetof(struct ipc_msg, u)

/* The size of a message of this type (0: no such type). */
size_t ipc_size(uint32_t type);

/*
 * Send one message of type, payload: ipc_size(type) - IPC_HDR bytes (NULL
 * when there are none); 0 or -errno (EPIPE: the other side is gone).
 */
int ipc_send(int fd, enum ipc_type type, const void *payload);

/*
 * Receive one message: 1, 0 at end of file (the other side is gone), or
 * -errno (EAGAIN: nothing waiting).  Size, type and length field are
 * checked here, and the payload by ipc_check (fatalx otherwise); whether
 * the type is expected at this point is the caller's.
 */
int ipc_recv(int fd, struct ipc_msg *m);

/* The payload's fields: NULL when valid, else what is wrong. */
const char *ipc_check(const struct ipc_msg *m);

const char *ipc_type_name(uint32_t type);
const char *ipc_fw_state_name(uint32_t state);

#endif /* SW_DAEMON_IPC_H */
