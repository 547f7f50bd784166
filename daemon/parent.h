/*
 * parent.h - the privileged half of shipwormd.
 *
 * It opens what needs privileges (the tunnel, the UDP sockets, the raw
 * IPv6 socket of a server, the control socket), starts the engine with
 * them, and then only carries out the engine's validated requests over
 * rtnetlink: the Teredo address on the tunnel, the routes, the link.  A
 * server's tunnel needs no requests: it comes up at start with the route
 * of the server's clients' /64.  On the way out (a signal, or the engine's end) it removes what it added;
 * the tunnel itself vanishes with its last descriptor.
 */
#ifndef SW_DAEMON_PARENT_H
#define SW_DAEMON_PARENT_H

#include <stdbool.h>

#include "config.h"

/* Metrics of the routes via the tunnel: the Teredo prefix, and a default
 * route that any native default route (metric 1024 or less) beats. */
#define PARENT_METRIC_PREFIX	1024
#define PARENT_TUN_TXQLEN	4096	/* packets; a TUN's default is 500 */
#define PARENT_METRIC_DEFAULT	1029

#define PARENT_STOP_TIMEOUT	5	/* seconds for the engine to exit */

struct parent_opts {
	const char *ctl_path;		/* control socket */
	bool foreground;		/* -d */
	int verbose;			/* -v count */
};

/* Runs the daemon; the exit status (0: stopped by a signal). */
int parent_main(struct config *cf, const struct parent_opts *o);

#endif /* SW_DAEMON_PARENT_H */
