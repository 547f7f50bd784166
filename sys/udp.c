/*
 * udp.c - the Teredo UDP sockets, batched with recvmmsg(2)/sendmmsg(2)
 * (see udp.h).
 *
 * Every socket is IPv4, non-blocking, close-on-exec and bound to an
 * explicit endpoint; SO_BROADCAST is never set (HARD-8).  DF is off
 * (IP_PMTUDISC_DONT, COM-MTU-2): a 1280-byte IPv6 packet makes a 1308-byte
 * or larger IPv4 datagram that the path must be free to fragment.  The
 * outer TOS, ECN bits included, is 0 (COM-ECN-1/2).  Addresses cross this
 * file's boundary in host byte order, as everywhere in the core.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <ifaddrs.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp.h"

static int
setsockopt_int(int fd, int level, int name, int val)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == -1)
		return -errno;
	return 0;
}

/*
 * SO_RCVBUFFORCE/SO_SNDBUFFORCE pass net.core.[rw]mem_max when we hold
 * CAP_NET_ADMIN; without it they fail with EPERM and the plain option,
 * capped by the sysctl, is the best we can do.
 */
static int
set_sockbuf(int fd, int force, int plain)
{
	if (setsockopt_int(fd, SOL_SOCKET, force, SYS_UDP_SOCKBUF) == 0)
		return 0;
	return setsockopt_int(fd, SOL_SOCKET, plain, SYS_UDP_SOCKBUF);
}

int
sys_udp_open(const struct sw_v4ep *local, struct sw_v4ep *bound)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen;
	int			 fd, rc;

	if (local == NULL)
		return -EINVAL;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;

	/* COM-MTU-2: never DF, let the path fragment. */
	if ((rc = setsockopt_int(fd, IPPROTO_IP, IP_MTU_DISCOVER,
	    IP_PMTUDISC_DONT)) < 0)
		goto err_close;
	/* COM-ECN-1/2: outer TOS 0, hence ECN Not-ECT. */
	if ((rc = setsockopt_int(fd, IPPROTO_IP, IP_TOS, 0)) < 0)
		goto err_close;
	if ((rc = set_sockbuf(fd, SO_RCVBUFFORCE, SO_RCVBUF)) < 0)
		goto err_close;
	if ((rc = set_sockbuf(fd, SO_SNDBUFFORCE, SO_SNDBUF)) < 0)
		goto err_close;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(local->addr);
	sin.sin_port = htons(local->port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		rc = -errno;
		goto err_close;
	}

	if (bound != NULL) {
		slen = sizeof(sin);
		if (getsockname(fd, (struct sockaddr *)&sin, &slen) == -1) {
			rc = -errno;
			goto err_close;
		}
		if (slen < sizeof(sin) || sin.sin_family != AF_INET) {
			rc = -EAFNOSUPPORT;
			goto err_close;
		}
		bound->addr = ntohl(sin.sin_addr.s_addr);
		bound->port = ntohs(sin.sin_port);
	}
	return fd;

 err_close:
	close(fd);
	return rc;
}

/*
 * Local discovery, sending side (DISC-1, §6 table): multicast from the
 * service socket leaves with TTL 1, is not looped back to this host, and
 * goes out of the interface holding ifaddr (0: the routing table's
 * choice).  The service socket takes no multicast in (IP_MULTICAST_ALL
 * off): bound to 0.0.0.0:3544 it would otherwise receive the discovery
 * bubbles meant for the discovery socket too.
 */
int
sys_udp_multicast_out(int fd, uint32_t ifaddr)
{
	struct in_addr	 a = { .s_addr = htonl(ifaddr) };
	int		 rc;

	if ((rc = setsockopt_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1)) < 0 ||
	    (rc = setsockopt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0)) < 0 ||
	    (rc = setsockopt_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0)) < 0)
		return rc;
	if (ifaddr != 0 &&
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof(a)) == -1)
		return -errno;
	return 0;
}

/*
 * Local discovery, receiving side (DISC-1): a socket bound to group:port
 * (so that only datagrams sent to the group arrive: DISC-3 holds by
 * construction), address reuse on (other Teredo clients on this host
 * bind it too), joined on every IPv4 interface that is up, not loopback
 * and multicast-capable.  Returns the fd, -ENODEV when no interface could
 * join, or -errno.
 */
int
sys_udp_open_group(uint32_t group, uint16_t port)
{
	struct sockaddr_in	 sin;
	struct ifaddrs		*ifa, *i;
	unsigned		 joined = 0;
	int			 fd, rc;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if ((rc = setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0 ||
	    (rc = setsockopt_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0)) < 0)
		goto err_close;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(group);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		rc = -errno;
		goto err_close;
	}
	if (getifaddrs(&ifa) == -1) {
		rc = -errno;
		goto err_close;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		struct ip_mreqn mr;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_UP) == 0 ||
		    (i->ifa_flags & IFF_LOOPBACK) != 0 ||
		    (i->ifa_flags & IFF_MULTICAST) == 0)
			continue;
		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr.s_addr = htonl(group);
		mr.imr_ifindex = (int)if_nametoindex(i->ifa_name);
		if (mr.imr_ifindex == 0)
			continue;
		/* An interface with several addresses joins once
		 * (EADDRINUSE the second time). */
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
		    sizeof(mr)) == 0 || errno == EADDRINUSE)
			joined++;
	}
	freeifaddrs(ifa);
	if (joined == 0) {
		rc = -ENODEV;
		goto err_close;
	}
	return fd;

 err_close:
	close(fd);
	return rc;
}

int
sys_udp_batch_init(struct sys_udp_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->buf = calloc(SYS_UDP_BATCH, sizeof(*b->buf));
	if (b->buf == NULL)
		return -ENOMEM;
	return 0;
}

void
sys_udp_batch_free(struct sys_udp_batch *b)
{
	free(b->buf);
	b->buf = NULL;
	b->n = 0;
}

#ifndef UDP_GRO
#define UDP_GRO		104
#endif

int
sys_udp_gro(int fd)
{
	return setsockopt_int(fd, SOL_UDP, UDP_GRO, 1);
}

/* The UDP_GRO segment size of a received message, 0 without one. */
static size_t
gro_seg(struct msghdr *mh)
{
	struct cmsghdr *cm;
	int v;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(v))) {
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	return 0;
}

/*
 * Datagrams that were cut (MSG_TRUNC: cannot happen with 64 KiB buffers,
 * but then it would be a lie to hand them on) or that do not come from an
 * IPv4 address are skipped; the rest are packed to the front of the batch.
 * A batch made only of skipped datagrams is not reported as "nothing
 * waiting": we read on until a datagram is kept or the queue is empty.
 */
int
sys_udp_recv(int fd, struct sys_udp_batch *b)
{
	struct mmsghdr		 msgs[SYS_UDP_BATCH];
	struct iovec		 iov[SYS_UDP_BATCH];
	struct sockaddr_in	 from[SYS_UDP_BATCH];
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	}			 ctl[SYS_UDP_BATCH];
	unsigned		 i, k;
	int			 n;

	b->n = 0;
	if (b->buf == NULL)
		return -EINVAL;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < SYS_UDP_BATCH; i++) {
			iov[i].iov_base = b->buf[i];
			iov[i].iov_len = sizeof(b->buf[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_control = ctl[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		n = recvmmsg(fd, msgs, SYS_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0)
			return 0;

		for (i = 0, k = 0; i < (unsigned)n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			if (msgs[i].msg_hdr.msg_namelen < sizeof(from[i]) ||
			    from[i].sin_family != AF_INET)
				continue;
			if (k != i)
				memmove(b->buf[k], b->buf[i], msgs[i].msg_len);
			b->from[k].addr = ntohl(from[i].sin_addr.s_addr);
			b->from[k].port = ntohs(from[i].sin_port);
			b->len[k] = msgs[i].msg_len;
			b->seg[k] = gro_seg(&msgs[i].msg_hdr);
			k++;
		}
		if (k > 0) {
			b->n = k;
			return (int)k;
		}
	}
}

/* Errors of the socket itself, not of one datagram: give up the batch. */
static int
send_fatal(int error)
{
	switch (error) {
	case EBADF:
	case ENOTSOCK:
	case EFAULT:
	case EOPNOTSUPP:
		return 1;
	default:
		return 0;
	}
}

/*
 * UDP segmentation offload (UDP_SEGMENT, Linux 4.18): consecutive
 * datagrams to one destination, all of one size but the last (which may
 * be shorter), leave as one message that the kernel carries as one
 * packet as far as it can (through our own stack, a veth, a NAT's
 * conntrack) and cuts up at the last moment: a TCP burst read from the
 * tunnel is mostly such a run.  Only runs of datagrams that fit a
 * 1500-byte link (the kernel refuses a segment above the route's MTU),
 * at most GSO_MAX_SEGS and 64 KiB.  A kernel or route that refuses it
 * (EINVAL, EIO, ENOPROTOOPT) turns it off for the process; that batch's
 * datagrams are counted as lost.
 */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#define GSO_MAX_SEG	1472	/* 1500 - IPv4 - UDP */
#define GSO_MAX_SEGS	64
#define GSO_MAX_BYTES	65000

static bool gso_off;

struct out_msg {
	unsigned	 dgrams;	/* datagrams in this message */
	size_t		 seg;		/* their size (all but the last) */
	size_t		 last;		/* the last one's size */
	union {
		char		 buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr	 align;
	} ctl;
};

/*
 * Send msgs[0..cnt) with as few sendmmsg(2) calls as the kernel allows.
 * sendmmsg returns -1 only when the first message fails, and stops early
 * (returning how many went) when a later one does: the next call then
 * starts with the failing message and reports its error.  Returns the
 * number of datagrams sent or -errno; *errors is incremented per
 * datagram lost.
 */
static int
send_chunk(int fd, struct mmsghdr *msgs, const struct out_msg *om,
    unsigned cnt, unsigned *errors)
{
	unsigned	 i = 0, sent = 0;
	int		 r;

	while (i < cnt) {
		r = sendmmsg(fd, msgs + i, cnt - i, 0);
		if (r > 0) {
			for (int k = 0; k < r; k++)
				sent += om[i++].dgrams;
			continue;
		}
		if (r == 0) {		/* not documented; do not spin */
			for (; i < cnt; i++)
				*errors += om[i].dgrams;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* Socket buffer full: drop the rest, never block. */
			for (; i < cnt; i++)
				*errors += om[i].dgrams;
			break;
		}
		if (send_fatal(errno))
			return -errno;
		if (om[i].dgrams > 1 && (errno == EINVAL || errno == EIO ||
		    errno == ENOPROTOOPT))
			gso_off = true;
		/* EPERM (firewall), EMSGSIZE, EINVAL (port 0), EACCES
		 * (broadcast), ENETUNREACH, ENOBUFS...: skip that one. */
		*errors += om[i].dgrams;
		i++;
	}
	return (int)sent;
}

/* Can datagram a (len bytes, to dst) join message m? */
static bool
gso_joins(const struct out_msg *m, const struct sockaddr_in *mdst,
    const struct sockaddr_in *dst, size_t len)
{
	return !gso_off && m->last == m->seg && len <= m->seg &&
	    m->seg <= GSO_MAX_SEG && m->dgrams < GSO_MAX_SEGS &&
	    m->seg * m->dgrams + len <= GSO_MAX_BYTES &&
	    mdst->sin_addr.s_addr == dst->sin_addr.s_addr &&
	    mdst->sin_port == dst->sin_port;
}

int
sys_udp_send_actions(int fd, enum sw_sock sock,
    const struct sw_actions *acts, unsigned *errors)
{
	struct mmsghdr		 msgs[SW_ACTIONS_MAX];
	struct out_msg		 om[SW_ACTIONS_MAX];
	struct iovec		 iov[SW_ACTIONS_MAX * 2];
	struct sockaddr_in	 dst[SW_ACTIONS_MAX];
	const struct sw_action	*a;
	unsigned		 i, n, cnt, nio, total = 0, dummy = 0;
	int			 r;

	if (errors == NULL)
		errors = &dummy;
	n = acts->n < SW_ACTIONS_MAX ? acts->n : SW_ACTIONS_MAX;

	for (i = 0; i < n; ) {
		/* Collect up to SW_ACTIONS_MAX datagrams for this socket;
		 * the iovecs of one message are consecutive in iov[]. */
		for (cnt = 0, nio = 0; i < n && nio + 2 <= SW_ACTIONS_MAX * 2;
		    i++) {
			struct sockaddr_in d = { .sin_family = AF_INET };
			struct msghdr *mh;
			size_t len;

			a = &acts->a[i];
			if (a->kind != SW_ACT_SEND_UDP || a->sock != sock)
				continue;
			d.sin_addr.s_addr = htonl(a->dst.addr);
			d.sin_port = htons(a->dst.port);
			len = a->seg[0].len + a->seg[1].len;
			if (cnt > 0 && gso_joins(&om[cnt - 1], &dst[cnt - 1], &d,
			    len)) {
				mh = &msgs[cnt - 1].msg_hdr;
				om[cnt - 1].dgrams++;
				om[cnt - 1].last = len;
			} else {
				if (cnt == SW_ACTIONS_MAX)
					break;
				dst[cnt] = d;
				memset(&msgs[cnt], 0, sizeof(msgs[cnt]));
				mh = &msgs[cnt].msg_hdr;
				mh->msg_name = &dst[cnt];
				mh->msg_namelen = sizeof(dst[cnt]);
				mh->msg_iov = &iov[nio];
				om[cnt].dgrams = 1;
				om[cnt].seg = om[cnt].last = len;
				cnt++;
			}
			/* iov_base is not const: sendmmsg only reads it. */
			iov[nio].iov_base = (void *)(uintptr_t)a->seg[0].p;
			iov[nio++].iov_len = a->seg[0].len;
			mh->msg_iovlen++;
			if (a->seg[1].len > 0) {
				iov[nio].iov_base = (void *)(uintptr_t)a->seg[1].p;
				iov[nio++].iov_len = a->seg[1].len;
				mh->msg_iovlen++;
			}
		}
		if (cnt == 0)
			break;
		for (unsigned m = 0; m < cnt; m++) {
			struct msghdr *mh = &msgs[m].msg_hdr;
			struct cmsghdr *cm;
			uint16_t gs = (uint16_t)om[m].seg;

			if (om[m].dgrams < 2)
				continue;
			mh->msg_control = om[m].ctl.buf;
			mh->msg_controllen = sizeof(om[m].ctl.buf);
			cm = CMSG_FIRSTHDR(mh);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(gs));
			memcpy(CMSG_DATA(cm), &gs, sizeof(gs));
		}
		if ((r = send_chunk(fd, msgs, om, cnt, errors)) < 0)
			return r;
		total += (unsigned)r;
	}
	return (int)total;
}
