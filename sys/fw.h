/*
 * fw.h - the Teredo client's host firewall: one nftables table of its own
 * (libnftnl + libmnl), guarding what reaches the host through the Teredo
 * interface (HARD-2, HARD-3: CVE-2006-6265 "edge traversal"; D25:
 * CVE-2006-6263 routing headers) and through IPv4 protocol 41.
 *
 * The table is made with NFT_TABLE_F_OWNER over one netlink socket that
 * struct sys_fw keeps open: the kernel lets no other socket change or
 * delete it (`nft flush ruleset` leaves it), and removes it when that
 * socket is closed, so it lives exactly as long as the daemon.  A table of
 * the same name that is already there (another daemon's, or one made with
 * nft(8)) makes sys_fw_open fail and is left untouched.
 *
 *   table inet <table> { flags owner
 *     counter edge_denied, routing_header, p41_dropped, edge_granted,
 *             nd_dropped
 *     chain input   { type filter hook input priority -10; policy accept
 *       meta nfproto ipv4 meta l4proto 41 counter p41_dropped drop
 *                                (only n_ifnames == 1 and not keep_p41)
 *       iifname <ifname> jump edge                    (each ifname)
 *     }
 *     chain forward { type filter hook forward priority -10; policy accept
 *       iifname <ifname> ct state & (established|related) == 0
 *           counter edge_denied drop                  (each ifname)
 *     }
 *     chain edge {
 *       meta nfproto ipv6 exthdr rt exists counter routing_header drop
 *                                           (SW_DEFENCE(ROUTING_HEADER))
 *       ... icmpv6 type 133-134 counter nd_dropped drop; ... icmpv6
 *           type 137 counter nd_dropped drop         (SW_DEFENCE(TUN_RA))
 *       ct state established,related accept   (ICMPv6 errors: only so)
 *       meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type 128-129
 *           accept; ... icmpv6 type 135-136 accept
 *       jump grants
 *       counter edge_denied drop        (accept when !SW_DEFENCE(EDGE))
 *     }
 *     chain grants {
 *       socket cgroupv2 level <L> <id> counter edge_granted accept
 *                                                     (each cgroup grant)
 *       socket mark <mark> counter edge_granted accept
 *                                     (each mark: one per handed socket)
 *     }
 *   }
 *
 * Every call is synchronous and returns 0 or -errno; the ones with an err
 * buffer also write a one-line reason there ("nftables: cannot create
 * table inet shipworm_teredo: Operation not permitted").
 */
#ifndef SW_SYS_FW_H
#define SW_SYS_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYS_FW_MAX_IFNAMES	5
#define SYS_FW_MAX_GRANTS	256

struct sys_fw;

struct sys_fw_conf {
	const char	*table;		/* e.g. "shipworm_teredo" */
	const char	*ifnames[SYS_FW_MAX_IFNAMES];
					/* [0]: Teredo tunnel; then the
					   Protocol41Interface names */
	unsigned	 n_ifnames;
	bool		 keep_p41;	/* no protocol-41 rule: a host-specific
					   relay's host is dual-stack, maybe
					   over 6in4 */
};

/* A granted cgroup: cgroup2 id (sys_cgroup_id) and its level (depth below
 * the root); the grant covers it and everything below it. */
struct sys_fw_cgroup {
	uint64_t	 id;
	uint8_t		 level;
};

struct sys_fw_counters {		/* packets */
	uint64_t	 edge_denied;	/* new inbound, not granted */
	uint64_t	 routing_header;/* dropped: routing header */
	uint64_t	 p41_dropped;	/* IPv4 proto 41 to the host */
	uint64_t	 edge_granted;	/* new inbound accepted (grant) */
	uint64_t	 nd_dropped;	/* RS, RA, redirect from a tunnel */
};

/* Create the table with its chains, counters and rules (no grants) in one
 * atomic batch. */
int sys_fw_open(struct sys_fw **out, const struct sys_fw_conf *c,
    char *err, size_t errlen);

/* Replace the grants: n cgroups, n_marks socket marks (each matched
 * whole; never 0: -EINVAL); flush chain grants and re-add, one atomic
 * batch; at most SYS_FW_MAX_GRANTS in all (-E2BIG). */
int sys_fw_set_grants(struct sys_fw *fw, const struct sys_fw_cgroup *g,
    size_t n, const uint32_t *marks, size_t n_marks);

/* Dump the table over a separate, temporary netlink socket and check that
 * it is there, has the owner flag, is owned by our socket, and that every
 * chain has the rules we installed: 0, or -errno and the reason. */
int sys_fw_verify(struct sys_fw *fw, char *err, size_t errlen);

/* Read the named counters. */
int sys_fw_counters(struct sys_fw *fw, struct sys_fw_counters *out);

/* Close the socket: the kernel removes the table. */
void sys_fw_close(struct sys_fw *fw);

#endif /* SW_SYS_FW_H */
