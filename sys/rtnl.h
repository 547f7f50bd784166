/*
 * rtnl.h - rtnetlink over libmnl: the parent's only way to configure the
 * Teredo interface (no shell hooks, no ip(8)).  Every call is synchronous
 * (request with NLM_F_ACK, wait for the answer) and returns 0 or -errno.
 */
#ifndef SW_SYS_RTNL_H
#define SW_SYS_RTNL_H

#include <stdbool.h>
#include <stdint.h>

struct sys_rtnl;

int sys_rtnl_open(struct sys_rtnl **out);
void sys_rtnl_close(struct sys_rtnl *r);

/* Set MTU and bring the link up (or down). */
int sys_rtnl_link(struct sys_rtnl *r, int ifindex, bool up, uint32_t mtu);

/*
 * No kernel-made IPv6 addresses on the link (IFLA_INET6_ADDR_GEN_MODE =
 * IN6_ADDR_GEN_MODE_NONE): no fe80::/64 link-local, which Teredo does
 * not carry (COM-LL-3).  Call it while the link is down: an address
 * made before stays.
 */
int sys_rtnl_link_addrgen_none(struct sys_rtnl *r, int ifindex);
/* The link's transmit queue length (packets the host queues for the
 * engine to read from a tunnel). */
int sys_rtnl_link_txqlen(struct sys_rtnl *r, int ifindex, uint32_t qlen);

/* Add or delete an IPv6 address with prefix length plen.  nodad: no
 * duplicate address detection (IFA_F_NODAD: a tunnel has no neighbours). */
int sys_rtnl_addr6(struct sys_rtnl *r, int ifindex, const uint8_t addr[16],
    uint8_t plen, bool add);

/*
 * Deprecate an IPv6 address on the link (preferred lifetime 0, valid
 * forever: it stays, but the host picks it for no new connection), or
 * make it preferred again (both lifetimes forever).  NLM_F_REPLACE on the
 * existing address; -ENOENT when it is not there.
 */
int sys_rtnl_addr6_deprecate(struct sys_rtnl *r, int ifindex,
    const uint8_t addr[16], uint8_t plen, bool deprecated);

/* Add or delete an IPv6 route dst/plen via the interface with a metric
 * (priority); plen 0 is a default route. */
int sys_rtnl_route6(struct sys_rtnl *r, int ifindex, const uint8_t dst[16],
    uint8_t plen, uint32_t metric, bool add);

#endif /* SW_SYS_RTNL_H */
