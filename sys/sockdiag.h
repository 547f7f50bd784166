/*
 * sockdiag.h - the listening sockets of the current network namespace,
 * from NETLINK_SOCK_DIAG (inet_diag), with each one's cgroup id and mark:
 * the daemon's view of which applications could take unsolicited inbound
 * connections through the tunnel, and whether the edge policy grants
 * them (HARD-2; dormancy when none is granted).
 *
 * Listed: TCP sockets in LISTEN, and UDP sockets that are bound and not
 * connected (state TCP_CLOSE in inet_diag's terms), port != 0.  The mark
 * (INET_DIAG_MARK) is only reported to a caller with CAP_NET_ADMIN (0
 * otherwise); the cgroup id (INET_DIAG_CGROUP_ID) is the kernel's
 * cgroup_id() of the socket's cgroup2 cgroup, the cgroup its creator was
 * in when it made the socket (sys_cgroup_id gives the same number).
 * Calls return 0 or -errno.
 */
#ifndef SW_SYS_SOCKDIAG_H
#define SW_SYS_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sys_listener {
	uint8_t		 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		 family;	/* AF_INET6 (dual-stack too) or
					   AF_INET */
	uint16_t	 port;		/* host order */
	uint64_t	 cgroup;	/* cgroup2 id; 0 unknown */
	uint32_t	 mark;
	uint32_t	 uid;		/* the socket's owner (its creator) */
	uint32_t	 inode;
	uint64_t	 cookie;	/* SO_COOKIE's value */
};

/* A filter: true keeps l.  Called for every socket, before the max. */
typedef bool sys_listener_keep(const struct sys_listener *l, void *arg);

/* IPv6 (and dual-stack) TCP LISTEN and UDP unconnected sockets of the
 * current netns; *n may exceed max (then truncated): the ones a Teredo
 * tunnel can reach. */
int sys_sockdiag_listeners(struct sys_listener *out, size_t max, size_t *n);

/* The same for one family, AF_INET6 or AF_INET (IPv4-only sockets cannot
 * be reached through a Teredo tunnel: listed for diagnostics). */
int sys_sockdiag_listeners_af(int family, struct sys_listener *out,
    size_t max, size_t *n);

/* The same for family, only the ones keep (NULL: all) keeps; *n counts
 * those, and may exceed max. */
int sys_sockdiag_listeners_keep(int family, sys_listener_keep *keep,
    void *arg, struct sys_listener *out, size_t max, size_t *n);

/* The listening (TCP) or bound (UDP) socket of family and proto whose
 * cookie (SO_COOKIE) is cookie: its cgroup id and owner as the kernel
 * recorded them when it was made, whoever holds it now.  -ENOENT when
 * there is none. */
int sys_sockdiag_find(int family, uint8_t proto, uint64_t cookie,
    struct sys_listener *out);

#endif /* SW_SYS_SOCKDIAG_H */
