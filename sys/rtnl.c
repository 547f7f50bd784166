/*
 * rtnl.c - rtnetlink over libmnl: link MTU and state, IPv6 addresses and
 * routes of the Teredo interface (see rtnl.h).
 *
 * One NETLINK_ROUTE socket, kept open for the daemon's life.  Every
 * request carries NLM_F_REQUEST | NLM_F_ACK and a fresh sequence number;
 * we then read until the kernel's NLMSG_ERROR for that sequence number
 * and return its error (0 for a plain ACK).  Creations use NLM_F_CREATE |
 * NLM_F_EXCL, so an address or route that is already there is reported
 * as -EEXIST rather than silently replaced.
 *
 * The IPv6 address generation mode of a link is set like `ip link set
 * dev IF addrgenmode none`: RTM_NEWLINK on the existing index with
 * IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }.
 *
 * Routes are installed with protocol RTPROT_STATIC ("proto static" in
 * ip-route(8)), table main, scope universe, type unicast.  Deleting gives
 * the same protocol, interface and metric, which the kernel matches, so a
 * delete never removes a route that someone else added with other
 * attributes.
 *
 * When the kernel explains a refusal (extended ACK, NLMSGERR_ATTR_MSG),
 * the text is logged with log_debug().
 */
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "log.h"
#include "nl.h"
#include "rtnl.h"

/* An address lifetime that never ends (the kernel's INFINITY_LIFE_TIME). */
#define RTNL_LIFETIME_FOREVER	0xFFFFFFFFu

#define RTNL_BUFSIZE	8192	/* MNL_SOCKET_BUFFER_SIZE is not constant */
#define RTNL_PROTO	RTPROT_STATIC

struct sys_rtnl {
	struct mnl_socket	*nl;
	uint32_t		 portid;
	uint32_t		 seq;
	union {
		char		 buf[RTNL_BUFSIZE];
		struct nlmsghdr	 align;
	} u;
};

int
sys_rtnl_open(struct sys_rtnl **out)
{
	struct sys_rtnl	*r;
	int		 rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	/* Best effort: a short ACK, and a reason text with each error. */
	if ((rc = sys_nl_open(NETLINK_ROUTE, &r->nl, &r->portid)) < 0) {
		free(r);
		return rc;
	}
	r->seq = (uint32_t)time(NULL);
	*out = r;
	return 0;
}

void
sys_rtnl_close(struct sys_rtnl *r)
{
	if (r == NULL)
		return;
	mnl_socket_close(r->nl);
	free(r);
}

/* Header of a new request in r's buffer. */
static struct nlmsghdr *
rtnl_msg(struct sys_rtnl *r, uint16_t type, uint16_t flags)
{
	struct nlmsghdr	*nlh;

	nlh = mnl_nlmsg_put_header(r->u.buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++r->seq;
	return nlh;
}

/* NLMSG_ERROR: 0 is the ACK, anything else the request's -errno. */
static int
rtnl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr	*e;
	const char		*msg;
	int			 error;

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error == 0)
		return MNL_CB_STOP;
	error = -e->error;
	if (error <= 0)
		error = EPROTO;
	if ((msg = sys_nl_exterr(nlh)) != NULL)
		log_debug("rtnetlink: %s (%s)", msg, strerror(error));
	errno = error;
	return MNL_CB_ERROR;
}

/* Send the request in r's buffer and wait for its ACK: 0 or -errno. */
static int
rtnl_talk(struct sys_rtnl *r, const struct nlmsghdr *req)
{
	mnl_cb_t	 ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = rtnl_error_cb };

	return sys_nl_talk(r->nl, r->portid, req, r->u.buf, sizeof(r->u.buf),
	    NULL, NULL, ctl, MNL_ARRAY_SIZE(ctl));
}

int
sys_rtnl_link(struct sys_rtnl *r, int ifindex, bool up, uint32_t mtu)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	if (ifindex <= 0)
		return -EINVAL;
	nlh = rtnl_msg(r, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return rtnl_talk(r, nlh);
}

int
sys_rtnl_link_txqlen(struct sys_rtnl *r, int ifindex, uint32_t qlen)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	if (ifindex <= 0 || qlen == 0)
		return -EINVAL;
	nlh = rtnl_msg(r, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, qlen);
	return rtnl_talk(r, nlh);
}

int
sys_rtnl_link_addrgen_none(struct sys_rtnl *r, int ifindex)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	struct nlattr		*spec, *inet6;

	if (ifindex <= 0)
		return -EINVAL;
	nlh = rtnl_msg(r, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE,
	    IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return rtnl_talk(r, nlh);
}

int
sys_rtnl_addr6(struct sys_rtnl *r, int ifindex, const uint8_t addr[16],
    uint8_t plen, bool add)
{
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;

	if (ifindex <= 0 || plen > 128)
		return -EINVAL;
	if (add)
		nlh = rtnl_msg(r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	else
		nlh = rtnl_msg(r, RTM_DELADDR, 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_flags = IFA_F_NODAD;	/* the 8-bit copy of IFA_FLAGS */
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return rtnl_talk(r, nlh);
}

int
sys_rtnl_addr6_deprecate(struct sys_rtnl *r, int ifindex,
    const uint8_t addr[16], uint8_t plen, bool deprecated)
{
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	struct ifa_cacheinfo	 ci;

	if (ifindex <= 0 || plen > 128)
		return -EINVAL;
	nlh = rtnl_msg(r, RTM_NEWADDR, NLM_F_REPLACE);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	memset(&ci, 0, sizeof(ci));
	ci.ifa_valid = RTNL_LIFETIME_FOREVER;
	/* preferred 0: the kernel marks it IFA_F_DEPRECATED */
	ci.ifa_prefered = deprecated ? 0 : RTNL_LIFETIME_FOREVER;
	mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	return rtnl_talk(r, nlh);
}

int
sys_rtnl_route6(struct sys_rtnl *r, int ifindex, const uint8_t dst[16],
    uint8_t plen, uint32_t metric, bool add)
{
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;
	uint8_t		 prefix[16];
	unsigned	 i;

	if (ifindex <= 0 || plen > 128)
		return -EINVAL;
	if (add)
		nlh = rtnl_msg(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	else
		nlh = rtnl_msg(r, RTM_DELROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = plen;
	rtm->rtm_src_len = 0;
	rtm->rtm_tos = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTNL_PROTO;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (plen > 0) {
		/* Host bits cleared: the route is the prefix, exactly. */
		for (i = 0; i < 16; i++) {
			if (plen >= 8 * (i + 1))
				prefix[i] = dst[i];
			else if (plen > 8 * i)
				prefix[i] = (uint8_t)(dst[i] &
				    (0xff00 >> (plen - 8 * i)));
			else
				prefix[i] = 0;
		}
		mnl_attr_put(nlh, RTA_DST, sizeof(prefix), prefix);
	}
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	return rtnl_talk(r, nlh);
}
