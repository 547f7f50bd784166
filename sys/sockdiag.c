/*
 * sockdiag.c - listening sockets over NETLINK_SOCK_DIAG (see sockdiag.h).
 *
 * One dump per (family, protocol): SOCK_DIAG_BY_FAMILY with an
 * inet_diag_req_v2 whose state mask selects TCP LISTEN, or UDP TCP_CLOSE
 * (bound, unconnected).  The kernel adds INET_DIAG_CGROUP_ID to every
 * socket and INET_DIAG_MARK when the requester has CAP_NET_ADMIN in the
 * namespace; no extension bit needs asking for.  A short-lived socket
 * per call: the daemon asks once a second.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "nl.h"
#include "sockdiag.h"

#define SD_RBUF	(32 * 1024)	/* the kernel's dump skbs are at most this */

struct sd_state {
	struct sys_listener	*out;
	size_t			 max, n;
	uint8_t			 proto;
	sys_listener_keep	*keep;
	void			*arg;
};

struct sd_attrs {
	uint64_t	 cgroup;
	uint32_t	 mark;
};

static int
sd_attr_cb(const struct nlattr *attr, void *data)
{
	struct sd_attrs	*a = data;

	switch (mnl_attr_get_type(attr)) {
	case INET_DIAG_CGROUP_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
			a->cgroup = mnl_attr_get_u64(attr);
		break;
	case INET_DIAG_MARK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			a->mark = mnl_attr_get_u32(attr);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int
sd_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sd_state			*st = data;
	const struct inet_diag_msg	*m;
	struct sd_attrs			 a = { 0, 0 };
	struct sys_listener		 l;
	uint16_t			 port;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	m = mnl_nlmsg_get_payload(nlh);
	port = ntohs(m->id.idiag_sport);
	if (port == 0)
		return MNL_CB_OK;
	(void)mnl_attr_parse(nlh, sizeof(*m), sd_attr_cb, &a);
	memset(&l, 0, sizeof(l));
	l.proto = st->proto;
	l.family = m->idiag_family;
	l.port = port;
	l.cgroup = a.cgroup;
	l.mark = a.mark;
	l.uid = m->idiag_uid;
	l.inode = m->idiag_inode;
	/* sock_diag_save_cookie(): low word first */
	l.cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
	    m->id.idiag_cookie[0];
	/* Filtered here, so that max bounds only the ones wanted. */
	if (st->keep != NULL && !st->keep(&l, st->arg))
		return MNL_CB_OK;
	if (st->n < st->max)
		st->out[st->n] = l;
	st->n++;
	return MNL_CB_OK;
}

/* One dump: family x proto in the states of mask. */
static int
sd_dump(struct mnl_socket *nl, uint32_t portid, uint32_t seq, int family,
    uint8_t proto, uint32_t states, struct sd_state *st)
{
	union {
		char			 buf[SD_RBUF];
		struct nlmsghdr		 align;
	} u;
	struct nlmsghdr		*nlh;
	struct inet_diag_req_v2	*req;

	nlh = mnl_nlmsg_put_header(u.buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = proto;
	req->idiag_states = states;
	st->proto = proto;
	return sys_nl_talk(nl, portid, nlh, u.buf, sizeof(u.buf), sd_msg_cb, st,
	    NULL, 0);
}

int
sys_sockdiag_listeners_af(int family, struct sys_listener *out, size_t max,
    size_t *n)
{
	return sys_sockdiag_listeners_keep(family, NULL, NULL, out, max, n);
}

int
sys_sockdiag_listeners_keep(int family, sys_listener_keep *keep, void *arg,
    struct sys_listener *out, size_t max, size_t *n)
{
	struct sd_state		 st = { out, max, 0, 0, keep, arg };
	struct mnl_socket	*nl;
	uint32_t		 portid, seq = (uint32_t)time(NULL);
	int			 rc;

	*n = 0;
	if (family != AF_INET6 && family != AF_INET)
		return -EAFNOSUPPORT;
	if ((rc = sys_nl_open(NETLINK_SOCK_DIAG, &nl, &portid)) < 0)
		return rc;
	rc = sd_dump(nl, portid, seq, family, IPPROTO_TCP,
	    1u << TCP_LISTEN, &st);
	if (rc == 0)
		rc = sd_dump(nl, portid, seq + 1, family, IPPROTO_UDP,
		    1u << TCP_CLOSE, &st);
	*n = st.n;
	mnl_socket_close(nl);
	return rc;
}

static bool
cookie_is(const struct sys_listener *l, void *arg)
{
	return l->cookie == *(const uint64_t *)arg;
}

int
sys_sockdiag_find(int family, uint8_t proto, uint64_t cookie,
    struct sys_listener *out)
{
	struct sd_state		 st = { out, 1, 0, 0, cookie_is, &cookie };
	struct mnl_socket	*nl;
	uint32_t		 portid;
	int			 rc;

	if (family != AF_INET6 && family != AF_INET)
		return -EAFNOSUPPORT;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if ((rc = sys_nl_open(NETLINK_SOCK_DIAG, &nl, &portid)) < 0)
		return rc;
	/* A dump, not an exact lookup: that one wants the socket's
	 * addresses too, and the cookie alone is what we trust. */
	rc = sd_dump(nl, portid, (uint32_t)time(NULL), family, proto,
	    proto == IPPROTO_TCP ? 1u << TCP_LISTEN : 1u << TCP_CLOSE, &st);
	mnl_socket_close(nl);
	if (rc == 0 && st.n == 0)
		rc = -ENOENT;
	return rc;
}

int
sys_sockdiag_listeners(struct sys_listener *out, size_t max, size_t *n)
{
	return sys_sockdiag_listeners_af(AF_INET6, out, max, n);
}
