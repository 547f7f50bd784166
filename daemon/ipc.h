/*
 * ipc.h - the messages between the unprivileged engine and the
 * privileged parent, over a SOCK_SEQPACKET socketpair.
 *
 * One fixed-size message kind, slaacd style: the receiver checks the
 * datagram's size, the length field, the type and every field before it
 * acts, and treats anything else as a broken invariant (fatalx).  Only the
 * engine sends; the parent answers nothing (it logs what it could not do).
 *
 *	IPC_READY	the engine dropped its privileges and is running
 *	IPC_ADDR_SET	put addr on the tunnel, replacing the one before
 *			(CLI-ADDR-3, CLI-MNT-5: never two Teredo addresses)
 *	IPC_ADDR_CLEAR	remove the Teredo address and its routes
 */
#ifndef SW_DAEMON_IPC_H
#define SW_DAEMON_IPC_H

#include <stdint.h>

enum ipc_type {
	IPC_READY = 1,
	IPC_ADDR_SET,
	IPC_ADDR_CLEAR,
};

struct ipc_msg {
	uint32_t type;			/* enum ipc_type */
	uint32_t len;			/* sizeof(struct ipc_msg) */
	uint8_t addr[16];		/* IPC_ADDR_SET; zero otherwise */
};

/* Send one message; 0 or -errno (EPIPE: the parent is gone). */
int ipc_send(int fd, enum ipc_type type, const uint8_t addr[16]);

/*
 * Receive one message: 1, 0 at end of file (the engine is gone), or
 * -errno (EAGAIN: nothing waiting).  Size and length field are checked
 * here (fatalx otherwise); the type and the fields are the caller's.
 */
int ipc_recv(int fd, struct ipc_msg *m);

const char *ipc_type_name(uint32_t type);

#endif /* SW_DAEMON_IPC_H */
