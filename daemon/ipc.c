/* ipc.c - engine-to-parent messages (see ipc.h). */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "ipc.h"
#include "log.h"

int
ipc_send(int fd, enum ipc_type type, const uint8_t addr[16])
{
	struct ipc_msg m;
	ssize_t n;

	memset(&m, 0, sizeof m);
	m.type = (uint32_t)type;
	m.len = sizeof m;
	if (addr != NULL)
		memcpy(m.addr, addr, sizeof m.addr);
	do
		n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	if ((size_t)n != sizeof m)
		return -EMSGSIZE;
	return 0;
}

int
ipc_recv(int fd, struct ipc_msg *m)
{
	struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	if (n == 0)
		return 0;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    (size_t)n != sizeof *m)
		fatalx("ipc: message of %zd bytes, expected %zu", n,
		    sizeof *m);
	if (m->len != sizeof *m)
		fatalx("ipc: %s: length field %u, expected %zu",
		    ipc_type_name(m->type), m->len, sizeof *m);
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
	default:
		return "unknown";
	}
}
