/* ipc.c - messages between the engine and the parent (see ipc.h). */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "ipc.h"
#include "log.h"

size_t
ipc_size(uint32_t type)
{
	switch (type) {
	case IPC_READY:
	case IPC_ADDR_CLEAR:
		return IPC_HDR;
	case IPC_ADDR_SET:
	case IPC_ADDR_DEPRECATE:
		return IPC_HDR + 16;
	case IPC_FW:
		return IPC_HDR + sizeof(struct ipc_fw);
	case IPC_EDGE:
		return IPC_HDR + sizeof(struct ipc_edge);
	default:
		return 0;
	}
}

int
ipc_send(int fd, enum ipc_type type, const void *payload)
{
	struct ipc_msg m;
	size_t size = ipc_size((uint32_t)type);
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	memset(&m, 0, sizeof m);
	m.type = (uint32_t)type;
	m.len = (uint32_t)size;
	if (size > IPC_HDR) {
		if (payload == NULL)
			return -EINVAL;
		memcpy(&m.u, payload, size - IPC_HDR);
	}
	do
		n = send(fd, &m, size, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	if ((size_t)n != size)
		return -EMSGSIZE;
	return 0;
}

static bool
ports_ok(const uint16_t *p, uint16_t n)
{
	if (n > SW_EDGE_MAX_PORTS)
		return false;
	for (unsigned i = 0; i < SW_EDGE_MAX_PORTS; i++) {
		if (i < n && (p[i] == 0 || (i > 0 && p[i] <= p[i - 1])))
			return false;
		if (i >= n && p[i] != 0)
			return false;
	}
	return true;
}

static bool
text_ok(const char *s, size_t size)
{
	const char *nul = memchr(s, '\0', size);

	if (nul == NULL)
		return false;
	for (const char *c = s; c < nul; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			return false;
	/* Nothing after the terminator: no stale bytes cross over. */
	for (const char *c = nul; c < s + size; c++)
		if (*c != '\0')
			return false;
	return true;
}

const char *
ipc_check(const struct ipc_msg *m)
{
	switch (m->type) {
	case IPC_FW:
		if (m->u.fw.state < IPC_FW_ACTIVE ||
		    m->u.fw.state > IPC_FW_UNFIREWALLED)
			return "bad firewall state";
		if (m->u.fw.pad != 0)
			return "padding not zero";
		if (!text_ok(m->u.fw.reason, sizeof m->u.fw.reason))
			return "bad reason text";
		if (m->u.fw.state == IPC_FW_ACTIVE &&
		    m->u.fw.reason[0] != '\0')
			return "reason with an active firewall";
		return NULL;
	case IPC_EDGE:
		if (!ports_ok(m->u.edge.tcp, m->u.edge.n_tcp) ||
		    !ports_ok(m->u.edge.udp, m->u.edge.n_udp))
			return "bad port list";
		if ((m->u.edge.cut & ~(IPC_EDGE_CUT_LISTENERS |
		    IPC_EDGE_CUT_TREE)) != 0)
			return "bad cut flags";
		if (m->u.edge.granted > 1 ||
		    (m->u.edge.granted == 1) != (m->u.edge.listeners > 0))
			return "bad listener flag";
		if ((m->u.edge.n_tcp > 0 || m->u.edge.n_udp > 0) &&
		    m->u.edge.granted == 0)
			return "ports without listeners";
		for (size_t i = 0; i < sizeof m->u.edge.pad; i++)
			if (m->u.edge.pad[i] != 0)
				return "padding not zero";
		return NULL;
	default:
		return NULL;	/* addresses: the receiver checks them */
	}
}

int
ipc_recv(int fd, struct ipc_msg *m)
{
	struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	const char *why;
	size_t want;
	ssize_t n;

	memset(m, 0, sizeof *m);
	do
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	if (n == 0)
		return 0;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    (size_t)n < IPC_HDR)
		fatalx("ipc: message of %zd bytes", n);
	if ((want = ipc_size(m->type)) == 0)
		fatalx("ipc: unknown message type %u", m->type);
	if ((size_t)n != want)
		fatalx("ipc: %s of %zd bytes, expected %zu",
		    ipc_type_name(m->type), n, want);
	if (m->len != want)
		fatalx("ipc: %s: length field %u, expected %zu",
		    ipc_type_name(m->type), m->len, want);
	if ((why = ipc_check(m)) != NULL)
		fatalx("ipc: %s: %s", ipc_type_name(m->type), why);
	return 1;
}

const char *
ipc_type_name(uint32_t type)
{
	switch (type) {
	case IPC_READY:
		return "READY";
	case IPC_ADDR_SET:
		return "ADDR_SET";
	case IPC_ADDR_CLEAR:
		return "ADDR_CLEAR";
	case IPC_ADDR_DEPRECATE:
		return "ADDR_DEPRECATE";
	case IPC_FW:
		return "FW";
	case IPC_EDGE:
		return "EDGE";
	default:
		return "unknown";
	}
}

const char *
ipc_fw_state_name(uint32_t state)
{
	switch (state) {
	case IPC_FW_ACTIVE:
		return "active";
	case IPC_FW_MISSING:
		return "missing";
	case IPC_FW_UNFIREWALLED:
		return "UNFIREWALLED";
	default:
		return "unknown";
	}
}
