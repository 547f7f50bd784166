/*
 * control.h - the control socket that `shipworm status` reads.
 *
 * A SOCK_STREAM Unix socket, mode 0660 (root only, as the daemon's
 * files), created by the parent and served by the engine.  The protocol
 * is one request line ("status\n"); the answer is key=value lines (see
 * shipworm(8)), then the engine closes the connection.
 */
#ifndef SW_DAEMON_CONTROL_H
#define SW_DAEMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "sw.h"

#define CONTROL_DIR		"/run/shipworm"
#define CONTROL_CONNS		8	/* connections served at once */
#define CONTROL_REQ_MAX		64	/* bytes in a request line */
#define CONTROL_TIMEOUT		(2 * SW_SEC)	/* to send the request */

/* The default path for interface ifname: CONTROL_DIR/<ifname>.sock. */
int control_default_path(char *buf, size_t size, const char *ifname);

/*
 * Parent: create the socket at path (its directory is made, 0755, when
 * missing: *dir_made tells).  A socket left behind by a daemon that died
 * is replaced; one that answers belongs to a running daemon: -EADDRINUSE.
 * The listening fd (non-blocking), or -errno with the reason logged.
 */
int control_open(const char *path, bool *dir_made);

/* Parent: remove the socket file, and its directory when it is empty and
 * either CONTROL_DIR or made by control_open (dir_made). */
void control_unlink(const char *path, bool dir_made);

/* Engine: one connection being served. */
struct control_conn {
	int fd;				/* -1: free */
	sw_time deadline;		/* closed if no request by then */
	size_t len;
	char req[CONTROL_REQ_MAX];
};

#endif /* SW_DAEMON_CONTROL_H */
