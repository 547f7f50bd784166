/*
 * parent.c - the privileged parent (see parent.h).
 *
 *	open: control socket; the tunnel (both roles); client: UDP service
 *	      socket; server: UDP on both addresses, port 3544, + raw IPv6
 *	      socket
 *	[daemonize: the starting process waits for READY, exits 0 or 1]
 *	fork the engine over a SOCK_SEQPACKET socketpair
 *	close what only the engine needs; open rtnetlink; no kernel-made
 *	      link-local on the tunnel (COM-LL-3); client: link down until
 *	      qualified; server: link up and 2001:0:<primary>::/64 (our
 *	      clients) routed to it; keep only CAP_NET_ADMIN and CAP_KILL
 *	client and host-specific relay: the security model (guard.c):
 *	      edge policy read (a bad file was fatal before the fork
 *	      already), edge socket, firewall table opened; the engine
 *	      starts the client (relay) only when told the firewall is
 *	      active (or AllowUnfirewalled); the relay's link and route
 *	      are up only then (hsr_link)
 *	loop: IPC messages (validated, anything odd is fatal), signals
 *	      (SIGTERM, SIGINT, SIGHUP: stop the engine; SIGCHLD: reap it),
 *	      client: a 1 s timer (firewall verified, grants, listeners:
 *	      IPC_FW and IPC_EDGE to the engine when they change) and the
 *	      edge socket's requests
 *	tear down: address and routes removed, link down, edge and control
 *	      sockets unlinked, firewall table gone with its netlink socket
 *	      (also from fatal(), through atexit); the tunnel vanishes with
 *	      its last descriptor
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "check.h"
#include "control.h"
#include "engine.h"
#include "guard.h"
#include "ipc.h"
#include "log.h"
#include "os.h"
#include "parent.h"
#include "rtnl.h"
#include "sandbox.h"
#include "tun.h"
#include "udp.h"
#include "weaken.h"

enum { TAG_IPC = 1, TAG_SIGNAL, TAG_TIMER, TAG_LOG, TAG_EDGE,
	TAG_EDGE_CONN };

struct parent {
	struct config *cf;
	const struct parent_opts *o;
	struct engine_setup es;
	const char *user;

	int ctl;			/* until handed over */
	bool ctl_made;			/* the socket file is ours to remove */
	bool ctl_dir_made;		/* and its directory, when empty */
	int tun, ifindex;		/* the tunnel, both roles */
	int ready_fd;			/* to the process that started us */

	pid_t engine;
	int ipc, ep, sig;
	int log_pipe;			/* -d: the engine's stderr, relayed */
	bool ready, stopping, reaped, failed;
	sw_time stop_deadline;

	struct sys_rtnl *rtnl;
	bool link_up, routes, has_addr, deprecated;
	bool clients_route;		/* server: 2001:0:<primary>::/64;
					   relay: 2001:0::/32 */
	uint8_t addr[16];

	/* client: the security model (guard.h) */
	struct guard *guard;
	const struct sw_edge_policy *policy;	/* read at start */
	int timer;			/* 1 s, the guard's tick */
	bool fw_dirty, edge_dirty;	/* the engine must hear them again */
	char edge_path[PATH_MAX];
};

static struct parent *the_parent;	/* for the atexit handler */

/* A relay with HostSpecific yes: its tunnel is a Teredo interface of the
 * host, with the client's security model (issue 10 item 16). */
static bool
hsr(const struct config *cf)
{
	return cf->conf.role == SW_ROLE_RELAY && cf->conf.host_specific;
}

/* The roles with the security model (guard.h). */
static bool
guarded(const struct config *cf)
{
	return cf->conf.role == SW_ROLE_CLIENT || hsr(cf);
}

static void stdio_null(void);
static void stdio_engine(int out);

/* ---- rtnetlink ------------------------------------------------------------ */

static bool
ok_add(int r)
{
	return r == 0 || r == -EEXIST;
}

static bool
ok_del(int r)
{
	return r == 0 || r == -ESRCH || r == -ENOENT ||
	    r == -EADDRNOTAVAIL || r == -ENODEV;
}

static void
routes(struct parent *p, bool add)
{
	static const uint8_t any[16];
	uint8_t pfx[16] = { 0 };
	int r;

	sw_put32(pfx, p->cf->conf.prefix);
	r = sys_rtnl_route6(p->rtnl, p->ifindex, pfx, 32,
	    PARENT_METRIC_PREFIX, add);
	if (!(add ? ok_add(r) : ok_del(r)))
		log_warnx("route %s prefix/32: %s", add ? "add" : "delete",
		    strerror(-r));
	r = sys_rtnl_route6(p->rtnl, p->ifindex, any, 0,
	    PARENT_METRIC_DEFAULT, add);
	if (!(add ? ok_add(r) : ok_del(r)))
		log_warnx("route %s ::/0: %s", add ? "add" : "delete",
		    strerror(-r));
	p->routes = add;
}

/*
 * What the engine reads from the tunnel.  Server: the /64 of our
 * clients, <prefix>:<primary>::/64, what the IPv6 side sends them
 * (SRV-FWD-4).  Relay: the whole Teredo prefix, /32 (REL-GEN-1; for a
 * host-specific relay, HSR-3: what the host itself sends to Teredo).
 */
static void
clients_route(struct parent *p, bool add)
{
	uint8_t pfx[16] = { 0 };
	unsigned plen = 32;
	char a6[46];
	int r;

	sw_put32(pfx, p->cf->conf.prefix);
	if (p->cf->conf.role == SW_ROLE_SERVER) {
		sw_put32(pfx + 4, p->cf->conf.server_primary);
		plen = 64;
	}
	r = sys_rtnl_route6(p->rtnl, p->ifindex, pfx, plen,
	    PARENT_METRIC_PREFIX, add);
	if (!(add ? ok_add(r) : ok_del(r)))
		log_warnx("route %s %s/%u: %s", add ? "add" : "delete",
		    sw_addr_format6(pfx, a6), plen, strerror(-r));
	p->clients_route = add && ok_add(r);
	if (add && p->clients_route)
		log_info("route %s/%u via %s", sw_addr_format6(pfx, a6), plen,
		    p->cf->conf.ifname);
}

static void
addr_del(struct parent *p)
{
	char a6[46];
	int r;

	if (!p->has_addr)
		return;
	r = sys_rtnl_addr6(p->rtnl, p->ifindex, p->addr, 128, false);
	if (!ok_del(r))
		log_warnx("address delete %s: %s",
		    sw_addr_format6(p->addr, a6), strerror(-r));
	p->has_addr = false;
	p->deprecated = false;
}

static void
link_set(struct parent *p, bool up)
{
	int r = sys_rtnl_link(p->rtnl, p->ifindex, up, p->cf->conf.mtu);

	if (r != 0 && !(r == -ENODEV && !up))
		log_warnx("link %s %s: %s", p->cf->conf.ifname,
		    up ? "up" : "down", strerror(-r));
	p->link_up = up && r == 0;
}

/* The client went dormant (or woke up): the address stays, with a
 * preferred lifetime of 0 (or forever again), so that the host starts no
 * new connection from it while no application needs Teredo. */
static void
addr_deprecate(struct parent *p, bool deprecated)
{
	char a6[46];
	int r;

	if (!p->has_addr)
		return;
	r = sys_rtnl_addr6_deprecate(p->rtnl, p->ifindex, p->addr, 128,
	    deprecated);
	if (r != 0) {
		log_warnx("address %s %s: %s", sw_addr_format6(p->addr, a6),
		    deprecated ? "deprecate" : "undeprecate", strerror(-r));
		return;
	}
	p->deprecated = deprecated;
	log_info("address %s %s", sw_addr_format6(p->addr, a6),
	    deprecated ? "deprecated (dormant)" : "preferred again");
}

/* CLI-ADDR-3: link up with the MTU, the address (/128, replacing the one
 * before: never two, CLI-MNT-5), the prefix route and a default route. */
static void
addr_set(struct parent *p, const uint8_t addr[16])
{
	char a6[46];
	int r;

	if (p->has_addr && memcmp(p->addr, addr, 16) == 0) {
		if (p->deprecated)
			addr_deprecate(p, false);
		return;
	}
	if (!p->link_up)
		link_set(p, true);
	addr_del(p);
	r = sys_rtnl_addr6(p->rtnl, p->ifindex, addr, 128, true);
	if (!ok_add(r)) {
		log_warnx("address add %s: %s", sw_addr_format6(addr, a6),
		    strerror(-r));
		return;
	}
	memcpy(p->addr, addr, 16);
	p->has_addr = true;
	p->deprecated = false;
	if (!p->routes)
		routes(p, true);
	log_info("address %s on %s", sw_addr_format6(addr, a6),
	    p->cf->conf.ifname);
}

static void
addr_clear(struct parent *p)
{
	if (p->routes)
		routes(p, false);
	if (p->has_addr) {
		addr_del(p);
		log_info("address removed from %s", p->cf->conf.ifname);
	}
	if (p->link_up)
		link_set(p, false);
}

/* Idempotent: from the normal end and from atexit (fatal). */
static void
teardown(struct parent *p)
{
	if (p->engine > 0 && !p->reaped) {
		(void)kill(p->engine, SIGKILL);
		(void)waitpid(p->engine, NULL, 0);
		p->reaped = true;
	}
	if (p->rtnl != NULL) {
		if (p->clients_route)
			clients_route(p, false);
		addr_clear(p);
		sys_rtnl_close(p->rtnl);
		p->rtnl = NULL;
	}
	if (p->tun != -1) {
		close(p->tun);		/* the interface goes with it */
		p->tun = -1;
	}
	if (p->guard != NULL) {
		/* the edge socket file; the table goes with its socket */
		guard_close(p->guard);
		p->guard = NULL;
	}
	if (p->ctl_made) {
		control_unlink(p->o->ctl_path, p->ctl_dir_made);
		p->ctl_made = false;
	}
}

static void
teardown_atexit(void)
{
	if (the_parent != NULL && the_parent->engine != 0)
		teardown(the_parent);
}

/* ---- IPC from the engine ------------------------------------------------- */

/*
 * What a client's address must be (CLI-ADDR-1): in the Teredo prefix
 * (neither link-local nor multicast, which that already excludes), with
 * the primary address of one of our servers (rfc-notes item 12) and a
 * global mapped IPv4 address (CLI-RA-4), as the core checked already.
 */
static bool
addr_valid(const struct parent *p, const uint8_t a[16])
{
	const struct sw_v4_check chk = {
		.policy = p->cf->conf.v4_policy,
		.attached = p->es.attached,
		.n_attached = p->es.n_attached,
	};
	struct sw_teredo t;
	bool server = false;

	if (!sw_addr_is_teredo(a, p->cf->conf.prefix) ||
	    sw_addr_is_link_local(a) || a[0] == 0xff)
		return false;
	sw_addr_decode(a, &t);
	for (unsigned i = 0; i < p->cf->n_servers; i++)
		if (t.server == p->cf->servers[i].primary)
			server = true;
	return server && sw_check_v4_global(&chk, t.mapped.addr);
}

/* What the guard last saw, to the engine (client role, once READY); a
 * full socket buffer leaves it for the next tick. */
static void
to_engine(struct parent *p)
{
	struct ipc_fw fw;
	struct ipc_edge edge;
	int r;

	if (p->guard == NULL || !p->ready || p->ipc == -1)
		return;
	if (p->fw_dirty) {
		guard_fw_msg(p->guard, &fw);
		if ((r = ipc_send(p->ipc, IPC_FW, &fw)) == 0)
			p->fw_dirty = false;
		else if (r != -EAGAIN)
			log_warnx("ipc: send FW: %s", strerror(-r));
	}
	if (p->edge_dirty) {
		guard_edge_msg(p->guard, &edge);
		if ((r = ipc_send(p->ipc, IPC_EDGE, &edge)) == 0)
			p->edge_dirty = false;
		else if (r != -EAGAIN)
			log_warnx("ipc: send EDGE: %s", strerror(-r));
	}
}

/*
 * Issue 10 item 16: the host-specific relay's tunnel is up, with the
 * Teredo prefix routed to it, only while the firewall table holds (or
 * AllowUnfirewalled runs without one); lost, link and route go, so that
 * the host sends nothing through it and nothing comes in unfiltered.
 */
static void
hsr_link(struct parent *p)
{
	struct ipc_fw fw;
	bool want;

	if (!hsr(p->cf) || p->guard == NULL || p->rtnl == NULL)
		return;
	guard_fw_msg(p->guard, &fw);
	want = fw.state == IPC_FW_ACTIVE || fw.state == IPC_FW_UNFIREWALLED;
	if (want && !p->link_up) {
		link_set(p, true);	/* the MTU, link up */
		if (p->link_up)
			clients_route(p, true);
	} else if (!want && p->link_up) {
		if (p->clients_route)
			clients_route(p, false);
		link_set(p, false);
		log_warnx("%s down: no firewall", p->cf->conf.ifname);
	}
}

static void
guard_timer(struct parent *p)
{
	uint64_t n;
	bool fw, edge;

	if (read(p->timer, &n, sizeof n) == -1 && errno != EAGAIN &&
	    errno != EINTR)
		fatal("timerfd read");
	if (p->guard == NULL)
		return;
	guard_tick(p->guard, &fw, &edge);
	p->fw_dirty |= fw;
	p->edge_dirty |= edge;
	hsr_link(p);
	to_engine(p);
}

/* Every message is checked in full; anything unexpected means the engine
 * is not the engine any more: fatal (the engine dies with us). */
static void
ipc_message(struct parent *p, const struct ipc_msg *m)
{
	bool client = p->cf->conf.role == SW_ROLE_CLIENT;
	char a6[46];

	switch (m->type) {
	case IPC_READY:
		if (p->ready)
			fatalx("ipc: unexpected READY");
		p->ready = true;
		if (p->ready_fd != -1) {
			const char ok = 0;

			/* Started: from now on, syslog only. */
			log_init("shipwormd", false, p->o->verbose);
			log_procinit("parent");
			stdio_null();
			if (write(p->ready_fd, &ok, 1) != 1)
				log_warn("ready notification");
			close(p->ready_fd);
			p->ready_fd = -1;
		}
		log_info("engine %ld ready, running as %s", (long)p->engine,
		    p->user);
		/* the firewall's state first: the client waits for it */
		p->fw_dirty = p->edge_dirty = true;
		to_engine(p);
		break;
	case IPC_ADDR_SET:
		if (!client || !p->ready)
			fatalx("ipc: unexpected ADDR_SET");
		if (!addr_valid(p, m->u.addr))
			fatalx("ipc: ADDR_SET %s is not a Teredo address of "
			    "ours", sw_addr_format6(m->u.addr, a6));
		addr_set(p, m->u.addr);
		break;
	case IPC_ADDR_CLEAR:
		if (!client || !p->ready)
			fatalx("ipc: unexpected ADDR_CLEAR");
		addr_clear(p);
		break;
	case IPC_ADDR_DEPRECATE:
		/* only the address the engine set, while it is there */
		if (!client || !p->ready)
			fatalx("ipc: unexpected ADDR_DEPRECATE");
		if (!p->has_addr || memcmp(m->u.addr, p->addr, 16) != 0)
			fatalx("ipc: ADDR_DEPRECATE %s is not the address set",
			    sw_addr_format6(m->u.addr, a6));
		addr_deprecate(p, true);
		break;
	default:
		fatalx("ipc: unexpected %s from the engine",
		    ipc_type_name(m->type));
	}
}

static void
ipc_input(struct parent *p)
{
	for (;;) {
		struct ipc_msg m;
		int r = ipc_recv(p->ipc, &m);

		if (r == -EINTR)
			continue;
		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			if (r < 0)
				log_warnx("ipc: %s", strerror(-r));
			(void)epoll_ctl(p->ep, EPOLL_CTL_DEL, p->ipc, NULL);
			close(p->ipc);
			p->ipc = -1;
			return;
		}
		ipc_message(p, &m);
	}
}

/*
 * -d: what the engine wrote to its stderr pipe, to ours.  The engine is
 * the process that parses untrusted packets: its bytes never reach a
 * terminal raw (no escape sequences), only printable ASCII, tab and
 * newline; the rest as \xNN.
 */
static void
log_relay(struct parent *p)
{
	char in[1024], out[4 * sizeof in];
	size_t k = 0;
	ssize_t n;

	do
		n = read(p->log_pipe, in, sizeof in);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		(void)epoll_ctl(p->ep, EPOLL_CTL_DEL, p->log_pipe, NULL);
		close(p->log_pipe);
		p->log_pipe = -1;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t')
			out[k++] = (char)c;
		else
			k += (size_t)snprintf(out + k, sizeof out - k, "\\x%02x",
			    c);
	}
	(void)!write(STDERR_FILENO, out, k);
}

/* ---- the engine's life ------------------------------------------------- */

static void
stop(struct parent *p, const char *why)
{
	if (p->stopping || p->reaped)
		return;
	log_info("stopping (%s)", why);
	p->stopping = true;
	p->stop_deadline = sys_now() + PARENT_STOP_TIMEOUT * SW_SEC;
	if (kill(p->engine, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill engine");
}

static void
reap(struct parent *p)
{
	int st;
	pid_t r = waitpid(p->engine, &st, WNOHANG);

	if (r <= 0)
		return;
	p->reaped = true;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && p->stopping)
		return;
	if (WIFSIGNALED(st) && p->stopping &&
	    (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGKILL))
		return;
	p->failed = true;
	if (WIFEXITED(st))
		log_warnx("engine exited with status %d%s", WEXITSTATUS(st),
		    p->ready ? "" : " before it was ready");
	else if (WIFSIGNALED(st))
		log_warnx("engine killed by signal %d", WTERMSIG(st));
}

static void
signal_input(struct parent *p)
{
	struct signalfd_siginfo si;

	while (read(p->sig, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGTERM:
			stop(p, "SIGTERM");
			break;
		case SIGINT:
			stop(p, "SIGINT");
			break;
		case SIGHUP:
			stop(p, "SIGHUP");
			break;
		case SIGCHLD:
			reap(p);
			break;
		default:
			break;
		}
	}
}

static void
loop(struct parent *p)
{
	while (!p->reaped) {
		struct epoll_event ev[8];
		int timeout = -1, n;

		if (p->ipc == -1 && !p->stopping) {
			/* The engine closed its end: it is on its way out. */
			p->stopping = true;
			p->stop_deadline = sys_now() +
			    PARENT_STOP_TIMEOUT * SW_SEC;
			if (!p->failed)
				log_warnx("engine closed the ipc socket");
		}
		if (p->stopping) {
			sw_time now = sys_now();

			if (now >= p->stop_deadline) {
				log_warnx("engine did not stop; killing it");
				p->failed = true;
				(void)kill(p->engine, SIGKILL);
				p->stop_deadline = now + SW_SEC;
			}
			timeout = (int)((p->stop_deadline - now) / SW_MSEC) +
			    1;
		}
		if (p->guard != NULL) {
			int t = guard_conns_expire(p->guard);

			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		n = epoll_wait(p->ep, ev, 8, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == TAG_IPC && p->ipc != -1)
				ipc_input(p);
			else if (ev[i].data.u32 == TAG_SIGNAL)
				signal_input(p);
			else if (ev[i].data.u32 == TAG_TIMER)
				guard_timer(p);
			else if (ev[i].data.u32 == TAG_LOG &&
			    p->log_pipe != -1)
				log_relay(p);
			else if (ev[i].data.u32 == TAG_EDGE && p->guard != NULL)
				guard_edge_accept(p->guard, p->ep,
				    TAG_EDGE_CONN);
			else if (ev[i].data.u32 >= TAG_EDGE_CONN &&
			    ev[i].data.u32 < TAG_EDGE_CONN + GUARD_CONNS &&
			    p->guard != NULL)
				guard_conn_input(p->guard,
				    ev[i].data.u32 - TAG_EDGE_CONN);
		}
		reap(p);
	}
}

/* ---- set-up --------------------------------------------------------------- */

/* The address the host would use towards the first server: the client's
 * local address when bound to any (so that the core can see "no NAT"). */
static uint32_t
local_guess(uint32_t server)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(SW_TEREDO_PORT),
		.sin_addr.s_addr = htonl(server),
	};
	socklen_t len = sizeof sin;
	uint32_t a = 0;
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		a = ntohl(sin.sin_addr.s_addr);
	close(fd);
	return a;
}

/* COM-V4G-1: the host's IPv4 subnets (their broadcast addresses are not
 * global). */
static void
attached_nets(struct engine_setup *es)
{
	struct ifaddrs *ifa, *i;

	es->n_attached = 0;
	es->n_own = 0;
	if (es->local[0].addr != 0)
		es->own[es->n_own++] = es->local[0].addr;
	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in *a, *m;
		uint32_t mask;
		uint8_t plen = 0;

		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    i->ifa_addr->sa_family != AF_INET)
			continue;
		a = (const struct sockaddr_in *)(const void *)i->ifa_addr;
		m = (const struct sockaddr_in *)(const void *)i->ifa_netmask;
		mask = ntohl(m->sin_addr.s_addr);
		while (plen < 32 && (mask & (0x80000000u >> plen)) != 0)
			plen++;
		if (es->n_own < ENGINE_MAX_OWN && ntohl(a->sin_addr.s_addr) !=
		    INADDR_LOOPBACK)
			es->own[es->n_own++] = ntohl(a->sin_addr.s_addr);
		if (plen == 0 || plen > 30 ||
		    es->n_attached == ENGINE_MAX_ATTACHED)
			continue;
		es->attached[es->n_attached].addr =
		    ntohl(a->sin_addr.s_addr) & mask;
		es->attached[es->n_attached].plen = plen;
		es->n_attached++;
	}
	freeifaddrs(ifa);
}

static int
udp_open(uint32_t addr, uint16_t port, struct sw_v4ep *bound)
{
	const struct sw_v4ep want = { .addr = addr, .port = port };
	char a4[16];
	int fd = sys_udp_open(&want, bound);

	if (fd < 0)
		log_warnx("udp socket %s:%u: %s", sw_addr_format4(addr, a4),
		    port, strerror(-fd));
	return fd;
}

/* The first character of a /proc/sys file ('0', '1'), or -1. */
static int
proc_flag(const char *path)
{
	char v;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (read(fd, &v, 1) == 1)
		r = (unsigned char)v;
	close(fd);
	return r;
}

/*
 * The tunnel, every role.  A link made while
 * net.ipv6.conf.default.disable_ipv6 is 1 has IPv6 off and can carry
 * nothing: say so (the setting is the administrator's to change).
 */
static int
tun_open(struct parent *p)
{
	const struct sw_conf *c = &p->cf->conf;
	char path[96];
	int r;

	if ((r = sys_tun_open(c->ifname, &p->ifindex)) < 0) {
		log_warnx("tunnel %s: %s", c->ifname, strerror(-r));
		return -1;
	}
	p->tun = r;
	p->es.tun = r;
	if (SW_DEFENCE(TUN_RA)) {
		const char *what = "";

		/* Before the link ever comes up: no RA is processed. */
		if ((r = sys_tun_no_ra(c->ifname, &what)) != 0) {
			log_warnx("tunnel %s: net.ipv6.conf.%s.%s = 0: %s",
			    c->ifname, c->ifname, what, strerror(-r));
			return -1;
		}
	}
	(void)snprintf(path, sizeof path,
	    "/proc/sys/net/ipv6/conf/%s/disable_ipv6", c->ifname);
	if (proc_flag(path) == '1')
		log_warnx("%s: IPv6 is disabled on the tunnel "
		    "(net.ipv6.conf.default.disable_ipv6 = 1?): it carries "
		    "nothing", c->ifname);
	return 0;
}

/*
 * Local discovery (DISC-1, LocalDiscovery): discovery bubbles leave from
 * the service socket (their UDP source is what peers learn as our local
 * endpoint) with TTL 1, out of the interface of our local address; they
 * arrive on a second socket bound to 224.0.0.253:3544 (SW_SOCK_DISCOVERY).
 * Not fatal: without it the client works, only without discovery (e.g.
 * when BindPort 3544 holds the port without address reuse).
 */
static void
open_discovery(struct engine_setup *es)
{
	int r;

	if ((r = sys_udp_multicast_out(es->udp[SW_SOCK_PRIMARY],
	    es->local[SW_SOCK_PRIMARY].addr)) < 0) {
		log_warnx("local discovery off: multicast options: %s",
		    strerror(-r));
		return;
	}
	if ((r = sys_udp_open_group(SW_DISCOVERY_V4, SW_TEREDO_PORT)) < 0) {
		log_warnx("local discovery off: 224.0.0.253:%u: %s",
		    SW_TEREDO_PORT, strerror(-r));
		return;
	}
	es->udp[SW_SOCK_DISCOVERY] = r;
	es->local[SW_SOCK_DISCOVERY].addr = SW_DISCOVERY_V4;
	es->local[SW_SOCK_DISCOVERY].port = SW_TEREDO_PORT;
	es->n_udp = SW_SOCK_DISCOVERY + 1;
}

/* Client and relay: the tunnel and one UDP socket, BindAddress:BindPort. */
static int
open_tun_udp(struct parent *p)
{
	const struct sw_conf *c = &p->cf->conf;
	struct engine_setup *es = &p->es;

	if (tun_open(p) != 0)
		return -1;
	if ((es->udp[0] = udp_open(c->bind_addr, c->bind_port,
	    &es->local[0])) < 0)
		return -1;
	es->n_udp = 1;
	return 0;
}

static int
open_client(struct parent *p)
{
	const struct sw_conf *c = &p->cf->conf;
	struct engine_setup *es = &p->es;

	if (open_tun_udp(p) != 0)
		return -1;
	if (es->local[0].addr == 0 && p->cf->n_servers > 0)
		es->local[0].addr = local_guess(p->cf->servers[0].primary);
	if (c->local_discovery)
		open_discovery(es);
	return 0;
}

/*
 * Relay (REL-GEN-1): the tunnel, where the kernel routes 2001::/32, and
 * one UDP socket (port 3544 unless BindPort says otherwise).  A public
 * relay is a router between its native side and the tunnel: without
 * IPv6 forwarding nothing would pass, so say so (the setting is the
 * administrator's).  A host-specific relay serves only the host.
 */
static int
open_relay(struct parent *p)
{
	const struct sw_conf *c = &p->cf->conf;

	if (open_tun_udp(p) != 0)
		return -1;
	if (!c->host_specific &&
	    proc_flag("/proc/sys/net/ipv6/conf/all/forwarding") == '0')
		log_warnx("IPv6 forwarding is off "
		    "(net.ipv6.conf.all.forwarding = 0): the relay cannot "
		    "route between %s and the native side", c->ifname);
	return 0;
}

static int
open_server(struct parent *p)
{
	const struct sw_conf *c = &p->cf->conf;
	struct engine_setup *es = &p->es;

	/* SRV-FWD-4: the IPv6 side reaches our clients through the tunnel. */
	if (tun_open(p) != 0)
		return -1;
	if ((es->udp[0] = udp_open(c->server_primary, SW_TEREDO_PORT,
	    &es->local[0])) < 0)
		return -1;
	es->n_udp = 1;
	if ((es->udp[1] = udp_open(c->server_secondary, SW_TEREDO_PORT,
	    &es->local[1])) < 0)
		return -1;
	es->n_udp = 2;
	/* SRV-FWD-3: echo tests go out natively; IPPROTO_RAW implies
	 * IPV6_HDRINCL: the core builds the whole packet. */
	es->raw6 = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_RAW);
	if (es->raw6 == -1) {
		log_warn("raw IPv6 socket");
		return -1;
	}
	return 0;
}

/* Close what only the engine uses (the parent's copies). */
static void
close_engine_fds(struct parent *p)
{
	struct engine_setup *es = &p->es;

	for (unsigned s = 0; s < ENGINE_MAX_UDP; s++)
		if (es->udp[s] >= 0) {
			close(es->udp[s]);
			es->udp[s] = -1;
		}
	if (es->raw6 >= 0) {
		close(es->raw6);
		es->raw6 = -1;
	}
	if (p->ctl >= 0) {
		close(p->ctl);
		p->ctl = -1;
	}
}

/*
 * Detach from the terminal, but keep the starting process until the
 * engine is READY, so that its exit status tells whether the daemon
 * started: it waits for one byte on a pipe.
 */
static int
daemonize(struct parent *p)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		log_warn("pipe");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid > 0) {
		char ok;
		ssize_t n;

		close(fds[1]);
		do
			n = read(fds[0], &ok, 1);
		while (n == -1 && errno == EINTR);
		if (n == 1 && ok == 0)
			_exit(0);
		log_warnx("start-up failed; see the system log");
		_exit(1);
	}
	close(fds[0]);
	p->ready_fd = fds[1];
	if (setsid() == -1)
		log_warn("setsid");
	if (chdir("/") == -1)
		log_warn("chdir /");
	return 0;
}

/*
 * The engine's fds 0-2, whether or not we run in the foreground: never
 * the terminal (with it, a compromised engine could TIOCSTI commands into
 * root's shell), /dev/null in, out (-1: /dev/null too) out and err.
 */
static void
stdio_engine(int out)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		fatal("/dev/null");
	if (out == -1)
		out = fd;
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(out, STDERR_FILENO) == -1)
		fatal("dup2");
	if (fd > STDERR_FILENO)
		close(fd);
	if (out > STDERR_FILENO)
		close(out);
}

static void
stdio_null(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return;
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static void
watch(struct parent *p, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl");
}

/* <ctl>.edge beside the control socket: /run/shipworm/<if>.edge by
 * default (a name ending in .sock loses it). */
static void
edge_path(struct parent *p)
{
	const char *c = p->o->ctl_path;
	size_t len = strlen(c);

	if (len > 5 && strcmp(c + len - 5, ".sock") == 0)
		len -= 5;
	if (snprintf(p->edge_path, sizeof p->edge_path, "%.*s.edge",
	    (int)len, c) >= (int)sizeof p->edge_path)
		fatalx("edge socket: path too long");
}

/*
 * Client: the security model, after the tunnel exists (the table names
 * it) and before the engine may qualify (it waits for IPC_FW), with the
 * policy read before the fork.
 */
static void
guard_start(struct parent *p)
{
	char err[GUARD_ERR_MAX];

	edge_path(p);
	if (guard_open(&p->guard, p->cf, p->policy, p->edge_path, err) != 0)
		fatalx("%s", err);
}

/* Fork the engine; in the parent, return once it runs. */
static int
start_engine(struct parent *p, const sigset_t *mask)
{
	int sv[2], lp[2] = { -1, -1 }, r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	if (p->o->foreground &&
	    pipe2(lp, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("pipe");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if ((p->engine = fork()) == -1) {
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		if (lp[0] != -1) {
			close(lp[0]);
			close(lp[1]);
		}
		return -1;
	}
	if (p->engine == 0) {
		close(sv[0]);
		if (p->ready_fd != -1)
			close(p->ready_fd);
		/* Issue 10 item 15: a session of its own, no terminal. */
		if (setsid() == -1)
			fatal("setsid");
		if (lp[0] != -1) {
			close(lp[0]);
			/* blocking: a log line is never dropped half-way */
			if (fcntl(lp[1], F_SETFL, 0) == -1)
				fatal("fcntl log pipe");
		} else
			log_init("shipwormd", false, p->o->verbose);
		stdio_engine(lp[1]);
		p->es.ipc = sv[1];
		p->es.ctl = p->ctl;
		p->es.parent = getppid();
		engine_main(p->cf, &p->es);
	}
	close(sv[1]);
	if (lp[1] != -1)
		close(lp[1]);
	p->log_pipe = lp[0];
	p->ipc = sv[0];
	if (fcntl(p->ipc, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl ipc");
	close_engine_fds(p);
	config_wipe(p->cf);
	the_parent = p;
	if (atexit(teardown_atexit) != 0)
		fatalx("atexit");

	if (p->tun != -1) {
		if ((r = sys_rtnl_open(&p->rtnl)) != 0)
			fatalx("rtnetlink: %s", strerror(-r));
		/* COM-LL-3: no fe80::/64 of the kernel's (while down). */
		if ((r = sys_rtnl_link_addrgen_none(p->rtnl, p->ifindex)) != 0)
			log_warnx("%s: addrgenmode none: %s",
			    p->cf->conf.ifname, strerror(-r));
		/* A TUN's default queue, 500 packets, overflows while the
		 * engine waits for the CPU under a TCP burst (bench/relay.sh:
		 * thousands of retransmits; none with 5000). */
		if ((r = sys_rtnl_link_txqlen(p->rtnl, p->ifindex,
		    PARENT_TUN_TXQLEN)) != 0)
			log_warnx("%s: txqueuelen %u: %s", p->cf->conf.ifname,
			    PARENT_TUN_TXQLEN, strerror(-r));
		/* Client: up when qualified; host-specific relay: when the
		 * firewall holds (hsr_link). */
		if (guarded(p->cf))
			link_set(p, false);	/* the MTU, link down */
		else {
			link_set(p, true);	/* the MTU, link up */
			if (p->link_up)
				clients_route(p, true);
		}
	}
	if (guarded(p->cf) && p->tun != -1) {
		guard_start(p);
		hsr_link(p);
	}
	sandbox_parent(p->tun != -1);
	if ((p->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	if ((p->sig = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	watch(p, p->ipc, TAG_IPC);
	watch(p, p->sig, TAG_SIGNAL);
	if (p->log_pipe != -1)
		watch(p, p->log_pipe, TAG_LOG);
	if (p->guard != NULL) {
		struct itimerspec its = {
			.it_value = { .tv_sec = 1 },
			.it_interval = { .tv_sec = 1 },
		};

		p->timer = timerfd_create(CLOCK_MONOTONIC,
		    TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->timer == -1 ||
		    timerfd_settime(p->timer, 0, &its, NULL) == -1)
			fatal("timerfd");
		watch(p, p->timer, TAG_TIMER);
		watch(p, guard_edge_fd(p->guard), TAG_EDGE);
	}
	return 0;
}

/* A test build with a defence compiled out (lib/weaken.h) says so,
 * loudly, every start. */
static void
weakened_warning(void)
{
#if SW_WEAKENED
	static const struct { bool on; const char *name; } d[] = {
		{ SW_WEAKEN_ROUTING_HEADER, "routing-header" },
		{ SW_WEAKEN_INTRANET, "intranet" },
		{ SW_WEAKEN_EDGE, "edge" },
		{ SW_WEAKEN_PING_NONCE, "ping-nonce" },
		{ SW_WEAKEN_RA_NONCE, "ra-nonce" },
		{ SW_WEAKEN_RELAY_PEERS, "relay-peers" },
		{ SW_WEAKEN_RELAY_QUEUE, "relay-queue" },
		{ SW_WEAKEN_SERVER_RS_RATE, "server-rs-rate" },
		{ SW_WEAKEN_LOOP, "loop" },
		{ SW_WEAKEN_RELAY_MAPPING, "relay-mapping" },
		{ SW_WEAKEN_RELAY_BUBBLE, "relay-bubble" },
		{ SW_WEAKEN_RELAY_TICK, "relay-tick" },
		{ SW_WEAKEN_SERVER_RS_TOTAL, "server-rs-total" },
		{ SW_WEAKEN_CLIENT_PEERS, "client-peers" },
		{ SW_WEAKEN_CLIENT_INBOUND, "client-inbound" },
		{ SW_WEAKEN_CLIENT_REFLECT, "client-reflect" },
		{ SW_WEAKEN_FLOW, "flow" },
		{ SW_WEAKEN_TUN_RA, "tun-ra" },
		{ SW_WEAKEN_HSR_GUARD, "hsr-guard" },
		{ SW_WEAKEN_ENGINE_USER, "engine-user" },
		{ SW_WEAKEN_EDGE_SLOTS, "edge-slots" },
	};

	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
		if (d[i].on)
			log_warnx("WEAKENED TEST BUILD: the %s defence is "
			    "COMPILED OUT; for the attack tests only, never "
			    "for use", d[i].name);
#endif
}

int
parent_main(struct config *cf, const struct parent_opts *o)
{
	struct parent p = {
		.cf = cf,
		.o = o,
		.ctl = -1,
		.tun = -1,
		.ready_fd = -1,
		.ipc = -1,
		.ep = -1,
		.sig = -1,
		.log_pipe = -1,
		.timer = -1,
		.es = {
			.ifname = cf->conf.ifname,
			.udp = { -1, -1 },
			.tun = -1,
			.raw6 = -1,
			.ipc = -1,
			.ctl = -1,
		},
	};
	sigset_t mask;
	int status, r;

	log_procinit("parent");
	weakened_warning();
	if (guarded(cf)) {
		/* A bad policy file is fatal at start (one line naming it);
		 * on a reload it keeps the old policy. */
		static struct sw_edge_policy pol;
		char err[GUARD_ERR_MAX];

		if (guard_policy_load(cf->conf.edge_dir, &pol, err) != 0) {
			log_warnx("%s", err);
			return 1;
		}
		p.policy = &pol;
	}
	{
		char why[256];

		if (sandbox_user(&p.es.uid, &p.es.gid, &p.user, why,
		    sizeof why) != 0) {
			log_warnx("%s", why);
			return 1;
		}
	}
	if ((p.ctl = control_open(o->ctl_path, &p.ctl_dir_made)) < 0)
		return 1;
	p.ctl_made = true;
	switch (cf->conf.role) {
	case SW_ROLE_CLIENT:
		r = open_client(&p);
		break;
	case SW_ROLE_SERVER:
		r = open_server(&p);
		break;
	case SW_ROLE_RELAY:
		r = open_relay(&p);
		break;
	default:
		r = -1;
		break;
	}
	if (r != 0)
		goto err;
	attached_nets(&p.es);
	if (!o->foreground && daemonize(&p) != 0)
		goto err;

	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1) {
		log_warn("sigprocmask");
		goto err;
	}
	if (start_engine(&p, &mask) != 0)
		goto err;

	loop(&p);
	status = p.failed || !p.ready ? 1 : 0;
	teardown(&p);
	the_parent = NULL;
	log_info("exiting");
	return status;

err:
	close_engine_fds(&p);
	teardown(&p);
	return 1;
}
