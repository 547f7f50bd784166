/*
 * nl.c - netlink over libmnl, shared by rtnl.c, fw.c and sockdiag.c (see
 * nl.h).
 */
#include <sys/socket.h>
#include <linux/netlink.h>

#include <errno.h>

#include <libmnl/libmnl.h>

#include "nl.h"

int
sys_nl_open(int bus, struct mnl_socket **out, uint32_t *portid)
{
	struct mnl_socket	*nl;
	int			 one = 1, rc;

	if ((nl = mnl_socket_open2(bus, SOCK_CLOEXEC)) == NULL)
		return -errno;
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	*portid = mnl_socket_get_portid(nl);
	*out = nl;
	return 0;
}

int
sys_nl_talk(struct mnl_socket *nl, uint32_t portid,
    const struct nlmsghdr *req, void *buf, size_t size, mnl_cb_t cb,
    void *data, mnl_cb_t *ctl, unsigned nctl)
{
	uint32_t	 seq = req->nlmsg_seq;
	ssize_t		 got;
	int		 rc;

	if (mnl_socket_sendto(nl, req, req->nlmsg_len) == -1)
		return -errno;
	for (;;) {
		got = mnl_socket_recvfrom(nl, buf, size);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		rc = mnl_cb_run2(buf, (size_t)got, seq, portid, cb, data, ctl,
		    nctl);
		if (rc == MNL_CB_ERROR)
			return errno > 0 ? -errno : -EPROTO;
		if (rc == MNL_CB_STOP)	/* NLMSG_DONE, or the ACK */
			return 0;
	}
}

static int
exterr_attr(const struct nlattr *attr, void *data)
{
	const char	**msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

const char *
sys_nl_exterr(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr	*e = mnl_nlmsg_get_payload(nlh);
	const char		*msg = NULL;
	size_t			 off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	/* The request follows the header, whole unless capped. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off < mnl_nlmsg_get_payload_len(nlh))
		(void)mnl_attr_parse_payload((const char *)e + off,
		    mnl_nlmsg_get_payload_len(nlh) - off, exterr_attr, &msg);
	return msg;
}
