/*
 * nl.h - what the netlink users of sys/ (rtnl.c, fw.c, sockdiag.c) share
 * over libmnl: the socket, one request and its answers, the kernel's
 * reason text of an error.
 */
#ifndef SW_SYS_NL_H
#define SW_SYS_NL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/*
 * A NETLINK_<bus> socket (close-on-exec), bound to a port id of the
 * kernel's choice (*portid), asking for short ACKs (NETLINK_CAP_ACK) with
 * reason texts (NETLINK_EXT_ACK), both best effort.  0 or -errno.
 */
int sys_nl_open(int bus, struct mnl_socket **out, uint32_t *portid);

/*
 * Send req on nl, then read the answers into buf (size bytes) and run
 * them through mnl_cb_run2 (cb for data messages, ctl[nctl] for control
 * types; NULL and 0 for libmnl's defaults) until one says MNL_CB_STOP
 * (NLMSG_DONE, or the ACK: 0) or MNL_CB_ERROR (-errno).  A receive
 * timeout that expires is -ETIMEDOUT.
 */
int sys_nl_talk(struct mnl_socket *nl, uint32_t portid,
    const struct nlmsghdr *req, void *buf, size_t size, mnl_cb_t cb,
    void *data, mnl_cb_t *ctl, unsigned nctl);

/* The reason text (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR message (at
 * least a struct nlmsgerr long) with an extended ACK, or NULL. */
const char *sys_nl_exterr(const struct nlmsghdr *nlh);

#endif /* SW_SYS_NL_H */
