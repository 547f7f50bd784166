/*
 * guard.h - the parent's half of the security model (client role, and
 * a relay with HostSpecific yes: its tunnel is a Teredo interface of the
 * host too, issue 10 item 16):
 * the firewall, the edge policy, the granted listeners and the edge
 * socket.  See doc/security.md and shipwormd(8).
 *
 *	firewall	an nftables table "shipworm_<ifname>" (flags owner:
 *			it lives as long as the parent's netlink socket) on
 *			the tunnel and the Protocol41Interface links
 *			(sys/fw.c); opened before the client may qualify,
 *			verified every second.  Missing: the client stops
 *			(NO_FIREWALL), the host-specific relay's link and
 *			route go down, unless AllowUnfirewalled yes, which
 *			runs without it and says so.  For a relay, no
 *			protocol-41 rule (its host has native IPv6).
 *	policy		EdgePolicyDir/<*.conf>, in name order
 *			(shipworm-edge.d(5), lib/edgepol): allow rules become
 *			the firewall's cgroup grants; a bad file is fatal at
 *			start and keeps the old policy on a reload
 *	listeners	sock_diag every second: a listening TCP or unconnected
 *			UDP socket is granted when its cgroup's longest
 *			matching rule allows it, or when it is a socket the
 *			daemon marked itself (its mark and its cookie); their
 *			ports go to the engine (IPC_EDGE) for the core's edge
 *			check (HARD-2) and to keep the client from dormancy.
 *			Only grantable sockets count against
 *			GUARD_LISTENERS_MAX; a cut view is counted.  When the
 *			rules' cgroup trees exceed GUARD_TREE_MAX, no cgroup
 *			rule matches (fail closed) until they fit again
 *	edge socket	<ctl>.edge (0666): "hand\n" with one listening or
 *			bound IPv6 socket (SCM_RIGHTS): a socket whose own
 *			cgroup and owner (sock_diag, by its cookie: what the
 *			kernel recorded when it was made, not who hands it)
 *			the policy allows or defers to gets a mark of its own
 *			(32 random bits, matched whole by the firewall),
 *			"ok\n", else "denied: <why>\n"; "reload\n" from uid
 *			0 re-reads the policy.  GUARD_CONNS connections at
 *			once, GUARD_CONNS_PER_UID of them per uid but root;
 *			a new one takes its uid's oldest, else another
 *			non-root uid's oldest, never root's (shed: counted).
 *			A listener seen with such a
 *			mark but another cookie makes the daemon withdraw
 *			that mark (both un-granted, counted)
 */
#ifndef SW_DAEMON_GUARD_H
#define SW_DAEMON_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "edgepol.h"
#include "ipc.h"
#include "sw.h"

#define GUARD_CONNS		8	/* edge socket connections at once */
#define GUARD_CONNS_PER_UID	2	/* of them one uid's (not root's) */
#define GUARD_ACCEPT_BURST	64	/* accepted per wake-up */
#define GUARD_REQ_MAX		64	/* bytes in a request line */
#define GUARD_TIMEOUT		(2 * SW_SEC)	/* to send the request */
#define GUARD_POLICY_FILE_MAX	(256 * 1024)	/* bytes of one policy file */
#define GUARD_LISTENERS_MAX	4096	/* sockets looked at per second */
#define GUARD_TREE_MAX		8192	/* cgroup ids of the rules' trees */
#define GUARD_HANDED_MAX	64	/* handed-over sockets granted */
#define GUARD_ERR_MAX		(SW_CONF_ERR_MAX + 768)

struct guard;

/*
 * Read every EdgePolicyDir/<name>.conf (names not starting with '.'),
 * in byte order of the names, into p (emptied first).  A directory that
 * does not exist is an empty policy (everything denied).  0, or -1 with
 * one line in err naming the file (and line).
 */
int guard_policy_load(const char *dir, struct sw_edge_policy *p,
    char err[static GUARD_ERR_MAX]);

/*
 * Parent, client role (or host-specific relay), after the tunnel exists
 * and before the engine may qualify (relay: carry anything): take the policy (guard_policy_load of cf's EdgePolicyDir, as
 * read at start), open the edge socket at edge_path (an error is fatal:
 * -1 and err) and the firewall.  A firewall that cannot be opened is not
 * an error here: guard_fw_msg() says missing (or unfirewalled).
 */
int guard_open(struct guard **out, const struct config *cf,
    const struct sw_edge_policy *policy, const char *edge_path,
    char err[static GUARD_ERR_MAX]);

/* Remove the socket file, close the firewall (its table goes with the
 * netlink socket), free.  NULL is fine. */
void guard_close(struct guard *g);

/*
 * Once a second: verify (or reopen) the firewall, read its counters,
 * resolve the grants, read the listeners.  *fw_changed, *edge_changed:
 * what the engine should be told again.
 */
void guard_tick(struct guard *g, bool *fw_changed, bool *edge_changed);

/* The messages for the engine, as of the last tick. */
void guard_fw_msg(const struct guard *g, struct ipc_fw *m);
void guard_edge_msg(const struct guard *g, struct ipc_edge *m);

/* The edge socket (listening, non-blocking) and its connections. */
int guard_edge_fd(const struct guard *g);
void guard_edge_accept(struct guard *g, int ep, uint32_t tag0);
void guard_conn_input(struct guard *g, unsigned i);
/* Close connections past their deadline; ms until the next, or -1. */
int guard_conns_expire(struct guard *g);

#endif /* SW_DAEMON_GUARD_H */
