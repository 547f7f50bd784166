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

#include <stddef.h>
#include <stdint.h>

struct sys_listener {
	uint8_t		 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		 family;	/* AF_INET6 (dual-stack too) or
					   AF_INET */
	uint16_t	 port;		/* host order */
	uint64_t	 cgroup;	/* cgroup2 id; 0 unknown */
	uint32_t	 mark;
	uint32_t	 uid;
	uint32_t	 inode;
};

/* IPv6 (and dual-stack) TCP LISTEN and UDP unconnected sockets of the
 * current netns; *n may exceed max (then truncated): the ones a Teredo
 * tunnel can reach. */
int sys_sockdiag_listeners(struct sys_listener *out, size_t max, size_t *n);

/* The same for one family, AF_INET6 or AF_INET (IPv4-only sockets cannot
 * be reached through a Teredo tunnel: listed for diagnostics). */
int sys_sockdiag_listeners_af(int family, struct sys_listener *out,
    size_t max, size_t *n);

#endif /* SW_SYS_SOCKDIAG_H */
