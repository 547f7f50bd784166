/*
 * engine.c - the unprivileged engine (see engine.h).
 *
 * The loop, after ntpd's nextaction made explicit:
 *
 *	epoll_wait
 *	  UDP socket readable	sys_udp_recv batch -> sw_*_input per datagram
 *	  timerfd		(wakes the loop; the deadline is checked below)
 *	  signalfd		SIGTERM, SIGINT, SIGHUP: clean exit
 *	  control socket	accept; a connection's request -> status text
 *	  IPC socket		end of file: the parent is gone, exit;
 *				client: IPC_FW (the firewall: start the
 *				client when active or unfirewalled, stop it,
 *				NO_FIREWALL, when missing), IPC_EDGE (granted
 *				ports and listeners: sw_client_set_edge,
 *				sw_client_set_listening); the same for a
 *				host-specific relay (sw_relay_start/stop,
 *				sw_relay_set_edge/set_listening)
 *	  tunnel		server: read in bursts -> sw_server_input_ip6
 *				(what the IPv6 side sends our clients);
 *				client: read in bursts -> sw_client_send
 *				(what the host sends through Teredo)
 *	while the client's deadline has passed: sw_client_tick
 *	re-arm the timerfd to sw_client_next_deadline
 *
 * After each batch (or sooner, when the action list runs low) the actions
 * are carried out in order, then the list is reset: the UDP sends of a
 * batch go out in one sendmmsg per socket.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "addr.h"
#include "auth.h"
#include "client.h"
#include "control.h"
#include "edge.h"
#include "engine.h"
#include "ipc.h"
#include "log.h"
#include "os.h"
#include "relay.h"
#include "sandbox.h"
#include "server.h"
#include "status.h"
#include "udp.h"

#define EPOLL_EVENTS	32
#define UDP_ROUNDS	8	/* batches per socket per wake-up (fairness) */
#define TUN_BATCH	32	/* packets read from the tunnel per burst */
#define TUN_ROUNDS	2	/* bursts per wake-up (fairness) */
#define TUN_BUFSIZE	65536	/* > any IPv6 packet without jumbogram */
#define TICKS_MAX	16	/* ticks per loop iteration */
#define STATUS_MAX	16384	/* bytes of a status answer */

/* Flush the action list before an input when less than this is left:
 * no single input or tick comes near it (a client tick: STATE, ADDR_*,
 * one RS; a server input: one RA or one relayed packet). */
#define ACTS_ROOM_N	8
#define ACTS_ROOM_BYTES	2048

/* epoll tags */
enum {
	TAG_SIGNAL,
	TAG_TIMER,
	TAG_IPC,
	TAG_CTL,
	TAG_TUN,
	TAG_UDP,			/* + socket index */
	TAG_CONN = TAG_UDP + ENGINE_MAX_UDP, /* + connection index */
};

struct engine {
	struct config *cf;
	const struct engine_setup *es;
	int ep, sig, timer;
	sw_time started;
	sw_time armed;			/* what the timerfd is set to */
	bool quit;

	/* client: what the parent says of the firewall and the listeners */
	struct ipc_fw fw;		/* state 0: not heard yet */
	struct ipc_edge edge;
	bool client_running;		/* sw_client_start called, not stopped
					   (or sw_relay_start) */
	bool guarded;			/* client, or host-specific relay */

	struct sw_client *client;	/* one of these three */
	struct sw_server *server;
	struct sw_relay *relay;
	struct sw_auth *key;

	struct sw_actions acts;
	struct sw_drop_counters drops;
	struct engine_counters cnt;
	struct sys_udp_batch batch;

	struct control_conn conns[CONTROL_CONNS];
	char status[STATUS_MAX];
	uint8_t (*tunbuf)[TUN_BUFSIZE];	/* TUN_BATCH buffers: the actions
					   of a burst point into them */
	bool tun_gone;
};

/* ---- carrying out actions ---------------------------------------------- */

/* len bytes at offset off of the action's segments into out; false when
 * the packet is shorter. */
static bool
seg_copy(const struct sw_action *a, size_t off, size_t len, uint8_t *out)
{
	for (unsigned i = 0; i < 2 && len > 0; i++) {
		const struct sw_seg *s = &a->seg[i];
		size_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len ? s->len - off : len;
		memcpy(out, s->p + off, n);
		out += n;
		len -= n;
		off = 0;
	}
	return len == 0;
}

static int
seg_iov(const struct sw_action *a, struct iovec iov[2])
{
	int n = 0;

	for (unsigned i = 0; i < 2; i++)
		if (a->seg[i].len > 0) {
			iov[n].iov_base = (void *)(uintptr_t)a->seg[i].p;
			iov[n].iov_len = a->seg[i].len;
			n++;
		}
	return n;
}

/* SRV-FWD-3: an IPv6 packet (header included) to its destination. */
static void
send_ip6(struct engine *e, const struct sw_action *a)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	struct iovec iov[2];
	struct msghdr mh = {
		.msg_name = &dst,
		.msg_namelen = sizeof dst,
		.msg_iov = iov,
	};

	if (e->es->raw6 == -1 || !seg_copy(a, 24, 16, dst.sin6_addr.s6_addr)) {
		e->cnt.ip6_tx_errors++;
		return;
	}
	mh.msg_iovlen = (size_t)seg_iov(a, iov);
	if (sendmsg(e->es->raw6, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
		log_debug("send ip6: %s", strerror(errno));
		e->cnt.ip6_tx_errors++;
		return;
	}
	e->cnt.ip6_tx++;
}

/* An IPv6 packet into the tunnel. */
static void
deliver(struct engine *e, const struct sw_action *a)
{
	struct iovec iov[2];
	int n;

	if (e->es->tun == -1) {
		e->cnt.tun_tx_errors++;
		return;
	}
	n = seg_iov(a, iov);
	if (writev(e->es->tun, iov, n) == -1) {
		log_debug("tunnel write: %s", strerror(errno));
		e->cnt.tun_tx_errors++;
		return;
	}
	e->cnt.tun_tx++;
}

static void
to_parent(struct engine *e, enum ipc_type type, const uint8_t addr[16])
{
	int r = ipc_send(e->es->ipc, type, addr);

	if (r == -EPIPE || r == -ECONNRESET) {
		log_warnx("parent gone, exiting");
		exit(1);
	}
	if (r != 0)
		fatalx("ipc: send %s: %s", ipc_type_name(type), strerror(-r));
}

static void
log_state(struct engine *e, const struct sw_action *a)
{
	if (e->client != NULL)
		log_info("state %s (reason %s)",
		    sw_client_state_name((enum sw_client_state)a->state),
		    sw_client_reason_name((enum sw_client_reason)a->reason));
	else
		log_info("state %d (reason %d)", a->state, a->reason);
}

/* Carry out every action in order, then empty the list. */
static void
flush(struct engine *e)
{
	struct sw_actions *acts = &e->acts;
	unsigned sends[ENGINE_MAX_UDP] = { 0 };
	unsigned n_udp = e->es->n_udp < ENGINE_MAX_UDP ? e->es->n_udp :
	    ENGINE_MAX_UDP;
	char a6[46];

	for (unsigned i = 0; i < acts->n; i++) {
		const struct sw_action *a = &acts->a[i];

		switch (a->kind) {
		case SW_ACT_SEND_UDP:
			if ((unsigned)a->sock < n_udp)
				sends[a->sock]++;
			else
				e->cnt.udp_tx_errors++;
			break;
		case SW_ACT_SEND_IP6:
			send_ip6(e, a);
			break;
		case SW_ACT_DELIVER:
			deliver(e, a);
			break;
		case SW_ACT_ADDR_SET:
			log_info("address %s", sw_addr_format6(a->addr, a6));
			to_parent(e, IPC_ADDR_SET, a->addr);
			break;
		case SW_ACT_ADDR_CLEAR:
			log_info("address withdrawn");
			to_parent(e, IPC_ADDR_CLEAR, NULL);
			break;
		case SW_ACT_ADDR_DEPRECATE:
			log_info("address %s deprecated (dormant)",
			    sw_addr_format6(a->addr, a6));
			to_parent(e, IPC_ADDR_DEPRECATE, a->addr);
			break;
		case SW_ACT_STATE:
			log_state(e, a);
			break;
		default:
			log_warnx("unknown action %d", (int)a->kind);
			break;
		}
	}
	for (unsigned s = 0; s < n_udp; s++) {
		unsigned errors = 0;
		int r;

		if (sends[s] == 0)
			continue;
		r = sys_udp_send_actions(e->es->udp[s], (enum sw_sock)s, acts,
		    &errors);
		if (r < 0) {
			log_debug("udp send: %s", strerror(-r));
			e->cnt.udp_tx_errors += sends[s];
			continue;
		}
		e->cnt.udp_tx += (unsigned)r;
		e->cnt.udp_tx_errors += errors;
	}
	sw_actions_reset(acts);
}

static bool
acts_low(const struct sw_actions *acts)
{
	return acts->n + ACTS_ROOM_N > SW_ACTIONS_MAX ||
	    acts->used + ACTS_ROOM_BYTES > SW_ACTIONS_ARENA;
}

/* ---- timers ------------------------------------------------------------- */

static void
arm(struct engine *e, sw_time deadline)
{
	struct itimerspec its;

	if (deadline == e->armed)
		return;
	memset(&its, 0, sizeof its);
	if (deadline != SW_TIME_NEVER) {
		if (deadline == 0)
			deadline = 1;	/* 0 would disarm */
		its.it_value.tv_sec = (time_t)(deadline / SW_SEC);
		its.it_value.tv_nsec = (long)(deadline % SW_SEC) * 1000;
	}
	if (timerfd_settime(e->timer, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		fatal("timerfd_settime");
	e->armed = deadline;
}

static sw_time
next_deadline(const struct engine *e)
{
	if (e->client != NULL)
		return sw_client_next_deadline(e->client);
	if (e->relay != NULL)
		return sw_relay_next_deadline(e->relay);
	return SW_TIME_NEVER;		/* the server is stateless */
}

/* Tick the core while its deadline has passed; re-arm the timer. */
static void
run_timers(struct engine *e)
{
	sw_time now = sys_now();

	for (unsigned i = 0; i < TICKS_MAX && next_deadline(e) <= now; i++) {
		if (e->client != NULL)
			sw_client_tick(e->client, now, &e->acts);
		else
			sw_relay_tick(e->relay, now, &e->acts);
		flush(e);
		now = sys_now();
	}
	arm(e, next_deadline(e));
}

static void
timer_read(struct engine *e)
{
	uint64_t n;

	if (read(e->timer, &n, sizeof n) == -1 && errno != EAGAIN &&
	    errno != EINTR)
		fatal("timerfd read");
}

/* ---- UDP ---------------------------------------------------------------- */

/* One datagram received on socket s, to the core. */
static void
udp_one(struct engine *e, unsigned s, sw_time now, const struct sw_v4ep *from,
    const uint8_t *p, size_t len)
{
	if (acts_low(&e->acts))
		flush(e);
	e->cnt.udp_rx++;
	if (e->client != NULL && s == SW_SOCK_DISCOVERY)
		/* 224.0.0.253:3544 (DISC-1) */
		sw_client_input_discovery(e->client, now, from, p, len,
		    &e->acts);
	else if (e->client != NULL)
		sw_client_input(e->client, now, from, p, len, &e->acts);
	else if (e->relay != NULL)
		sw_relay_input(e->relay, now, from, p, len, &e->acts);
	else
		sw_server_input(e->server, now, (enum sw_sock)s, from, p, len,
		    &e->acts);
}

/*
 * Batches of datagrams (recvmmsg); a buffer may hold a run of datagrams
 * from one source that the kernel coalesced (UDP_GRO: b->seg bytes each,
 * the last maybe shorter), each handed to the core on its own.
 */
static void
udp_input(struct engine *e, unsigned s)
{
	struct sys_udp_batch *b = &e->batch;

	for (unsigned round = 0; round < UDP_ROUNDS; round++) {
		int n = sys_udp_recv(e->es->udp[s], b);
		sw_time now;

		if (n == -EAGAIN || n == -EINTR || n == 0)
			return;
		if (n < 0) {
			log_debug("udp receive: %s", strerror(-n));
			return;
		}
		now = sys_now();
		for (unsigned i = 0; i < (unsigned)n && i < SYS_UDP_BATCH;
		    i++) {
			size_t len = b->len[i], seg = b->seg[i], off = 0;

			if (seg == 0 || seg >= len)
				seg = len;
			else
				e->cnt.udp_rx_gro++;
			do {	/* once for an empty datagram too */
				size_t take = len - off < seg ? len - off : seg;

				udp_one(e, s, now, &b->from[i], b->buf[i] + off,
				    take);
				off += take;
			} while (off < len);
		}
		/* Before the next receive overwrites the buffers that the
		 * actions' seg[1] may point into. */
		flush(e);
		if (n < SYS_UDP_BATCH)
			return;
	}
}

/*
 * One packet from the tunnel into buf: its length, 0 when none is
 * waiting, -1 after an error (counted).  A packet larger than the buffer
 * cannot come out of a TUN interface whose MTU is at most 65535; the
 * kernel would fail the read (EFAULT) and drop it.  A tunnel that is gone
 * under us (EBADFD, EIO: someone deleted the link) is unwatched rather
 * than polled in a loop.
 */
static ssize_t
tun_read(struct engine *e, uint8_t *buf)
{
	ssize_t n;

	do
		n = read(e->es->tun, buf, TUN_BUFSIZE);
	while (n == -1 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN)
		return 0;
	e->cnt.tun_rx_errors++;
	if ((errno == EBADFD || errno == EIO) && !e->tun_gone) {
		log_warnx("tunnel %s: %s; no longer read", e->es->ifname,
		    strerror(errno));
		(void)epoll_ctl(e->ep, EPOLL_CTL_DEL, e->es->tun, NULL);
		e->tun_gone = true;
	} else
		log_debug("tunnel read: %s", strerror(errno));
	return -1;
}

/*
 * What comes out of the tunnel goes to the core a burst at a time: each
 * packet in its own buffer, since the actions point into it, and the
 * actions carried out once per burst (one sendmmsg).  Server: what the
 * kernel routes to our clients' /64 (echo replies to their connectivity
 * tests, bubbles from relays; SRV-FWD-4).  Client: what the host sends
 * through Teredo (CLI-TX, RFC 4380 §5.2.4).
 */
static void
tun_input(struct engine *e)
{
	for (unsigned round = 0; round < TUN_ROUNDS && !e->tun_gone;
	    round++) {
		unsigned got = 0;
		sw_time now = sys_now();

		for (unsigned i = 0; i < TUN_BATCH; i++) {
			ssize_t n = tun_read(e, e->tunbuf[i]);

			if (n == 0)
				break;
			if (n < 0) {
				if (e->tun_gone)
					break;
				continue;
			}
			got++;
			if (acts_low(&e->acts))
				flush(e);
			if (e->server != NULL) {
				e->cnt.ip6_rx++;
				sw_server_input_ip6(e->server, now,
				    e->tunbuf[i], (size_t)n, &e->acts);
			} else if (e->relay != NULL) {
				/* REL-TX, RFC 4380 §5.4.1 */
				e->cnt.tun_rx++;
				sw_relay_send(e->relay, now, e->tunbuf[i],
				    (size_t)n, &e->acts);
			} else {
				/* client: CLI-TX, RFC 4380 §5.2.4 */
				e->cnt.tun_rx++;
				sw_client_send(e->client, now, e->tunbuf[i],
				    (size_t)n, &e->acts);
			}
		}
		/* Before the next burst overwrites the buffers. */
		flush(e);
		if (got < TUN_BATCH)
			return;
	}
}

/* ---- control socket ------------------------------------------------------ */

static void
conn_close(struct engine *e, struct control_conn *c)
{
	(void)epoll_ctl(e->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void
ctl_accept(struct engine *e)
{
	for (unsigned tries = 0; tries < CONTROL_CONNS; tries++) {
		struct control_conn *c;
		struct epoll_event ev = { .events = EPOLLIN };
		int fd;

		fd = accept4(e->es->ctl, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control: accept");
			return;
		}
		/* A free slot, or else the one waiting longest for its
		 * request: idle connections cannot lock others out. */
		c = &e->conns[0];
		ev.data.u64 = TAG_CONN;
		for (unsigned i = 0; i < CONTROL_CONNS; i++) {
			if (e->conns[i].fd == -1 ||
			    e->conns[i].deadline < c->deadline) {
				c = &e->conns[i];
				ev.data.u64 = TAG_CONN + i;
			}
			if (c->fd == -1)
				break;
		}
		if (c->fd != -1) {
			log_debug("control: busy, oldest connection closed");
			conn_close(e, c);
		}
		c->fd = fd;
		c->len = 0;
		c->deadline = sys_now() + CONTROL_TIMEOUT;
		if (epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			fatal("epoll_ctl control connection");
	}
}

static void
status_answer(struct engine *e, struct control_conn *c)
{
	const struct config *cf = e->cf;
	const struct engine_setup *es = e->es;
	struct status_info si = {
		.ifname = es->ifname,
		.pid = es->parent,
		.now = sys_now(),
		.started = e->started,
		.prefix = cf->conf.prefix,
		.drops = &e->drops,
		.cnt = &e->cnt,
		.client = e->client,
		.local = es->local[0],
		.n_servers = cf->n_servers,
		.fw = &e->fw,
		.edge = &e->edge,
		.dormant_after = (sw_time)cf->conf.dormant_after * SW_SEC,
		.server = e->server,
		.primary = cf->conf.server_primary,
		.secondary = cf->conf.server_secondary,
		.mtu = cf->conf.mtu,
		.require_auth = cf->conf.require_auth,
		.relay_max_payload = cf->conf.relay_max_payload,
		.relay = e->relay,
		.relay_addr = cf->conf.relay_addr,
		.host_specific = cf->conf.host_specific,
		.served = cf->conf.served,
		.n_served = cf->conf.n_served,
	};
	size_t len = status_format(&si, e->status, sizeof e->status);
	ssize_t n = send(c->fd, e->status, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n == -1 || (size_t)n != len)
		log_debug("control: answer cut short");
}

static void
conn_input(struct engine *e, struct control_conn *c)
{
	static const char unknown[] = "error=unknown request\n";
	static const char too_long[] = "error=request too long\n";
	char *nl;
	ssize_t n;

	n = recv(c->fd, c->req + c->len, sizeof c->req - c->len,
	    MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(e, c);
		return;
	}
	c->len += (size_t)n;
	if ((nl = memchr(c->req, '\n', c->len)) == NULL) {
		if (c->len == sizeof c->req) {	/* no request is that long */
			(void)send(c->fd, too_long, sizeof too_long - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			conn_close(e, c);
		}
		return;
	}
	*nl = '\0';
	if (nl > c->req && nl[-1] == '\r')
		nl[-1] = '\0';
	if (strcmp(c->req, "status") == 0)
		status_answer(e, c);
	else
		(void)send(c->fd, unknown, sizeof unknown - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	conn_close(e, c);
}

/* Close connections that sent no request in time; ms until the next
 * deadline, or -1. */
static int
conns_expire(struct engine *e)
{
	sw_time now = sys_now(), next = SW_TIME_NEVER;

	for (unsigned i = 0; i < CONTROL_CONNS; i++) {
		struct control_conn *c = &e->conns[i];

		if (c->fd == -1)
			continue;
		if (c->deadline <= now)
			conn_close(e, c);
		else if (c->deadline < next)
			next = c->deadline;
	}
	if (next == SW_TIME_NEVER)
		return -1;
	return (int)((next - now + SW_MSEC - 1) / SW_MSEC);
}

/* ---- signals, parent ----------------------------------------------------- */

static void
signal_input(struct engine *e)
{
	struct signalfd_siginfo si;
	ssize_t n = read(e->sig, &si, sizeof si);

	if (n != (ssize_t)sizeof si)
		return;
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
	case SIGHUP:
		log_debug("exiting on signal %u", si.ssi_signo);
		e->quit = true;
		break;
	default:
		break;
	}
}

/*
 * The firewall (client): the client runs only while the parent says the
 * table is in place (or that we run without one, AllowUnfirewalled yes);
 * lost, it stops (NO_FIREWALL: address withdrawn, link down) until the
 * table is back.
 */
static void
fw_input(struct engine *e, const struct ipc_fw *fw)
{
	sw_time now = sys_now();
	bool run = fw->state == IPC_FW_ACTIVE ||
	    fw->state == IPC_FW_UNFIREWALLED;

	if (fw->state != e->fw.state)
		log_info("firewall %s%s%s", ipc_fw_state_name(fw->state),
		    fw->reason[0] != '\0' ? ": " : "", fw->reason);
	e->fw = *fw;
	if (run && !e->client_running) {
		if (e->client != NULL)
			sw_client_start(e->client, now, &e->acts);
		else
			sw_relay_start(e->relay, now);
		e->client_running = true;
	} else if (!run && e->client_running) {
		if (e->client != NULL)
			sw_client_stop(e->client, now,
			    SW_CLIENT_REASON_NO_FIREWALL, &e->acts);
		else
			sw_relay_stop(e->relay, &e->acts);
		e->client_running = false;
	}
	flush(e);
}

/* Granted listeners (client): their ports to the core's edge check
 * (HARD-2), and whether any exists (no dormancy while one does). */
static void
edge_input(struct engine *e, const struct ipc_edge *m)
{
	struct sw_edge se;
	int r;

	e->edge = *m;
	r = sw_edge_set(&se, m->tcp, m->n_tcp, m->udp, m->n_udp);
	if (r != 0)
		log_warnx("edge ports: %s", strerror(-r));
	if (e->client != NULL) {
		sw_client_set_edge(e->client, &se);
		sw_client_set_listening(e->client, sys_now(), m->granted != 0,
		    &e->acts);
	} else {
		sw_relay_set_edge(e->relay, &se);
		sw_relay_set_listening(e->relay, sys_now(), m->granted != 0);
	}
	flush(e);
}

static void
ipc_input(struct engine *e)
{
	for (;;) {
		struct ipc_msg m;
		int r = ipc_recv(e->es->ipc, &m);

		if (r == -EAGAIN || r == -EINTR)
			return;
		if (r <= 0) {
			log_warnx("parent gone, exiting");
			exit(1);
		}
		if (m.type == IPC_FW && e->guarded)
			fw_input(e, &m.u.fw);
		else if (m.type == IPC_EDGE && e->guarded)
			edge_input(e, &m.u.edge);
		else
			fatalx("ipc: unexpected %s from the parent",
			    ipc_type_name(m.type));
	}
}

/* ---- set-up ---------------------------------------------------------------- */

static void
watch(struct engine *e, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl");
}

/* RATE per second, BURST: a bucket (0, 0: leave the core's default). */
static void
rate_conf(struct sw_tb_conf *tb, uint32_t rate, uint32_t burst)
{
	if (rate == 0 || burst == 0)
		return;
	tb->interval = SW_SEC / rate;
	if (tb->interval == 0)
		tb->interval = 1;
	tb->burst = burst;
}

static void
core_new(struct engine *e)
{
	struct config *cf = e->cf;
	const struct engine_setup *es = e->es;
	int r;

	if (cf->conf.role == SW_ROLE_CLIENT) {
		struct sw_client_conf cc;

		sw_client_conf_default(&cc);
		for (unsigned i = 0; i < cf->n_servers &&
		    i < SW_CLIENT_MAX_SERVERS; i++)
			cc.servers[cc.n_servers++] = cf->servers[i];
		cc.prefix = cf->conf.prefix;
		cc.local = es->local[0];
		cc.refresh = (sw_time)cf->conf.refresh * SW_SEC;
		if (cf->key_len > 0) {
			r = sw_auth_new(&e->key, cf->key, cf->key_len);
			config_wipe(cf);
			if (r != 0)
				fatalx("KeyFile: cannot key the MAC: %s",
				    strerror(-r));
			cc.key = e->key;
			cc.client_id = cf->conf.client_id;
			cc.client_id_len = cf->conf.client_id_len;
		}
		cc.v4.policy = cf->conf.v4_policy;
		cc.v4.attached = es->attached;
		cc.v4.n_attached = es->n_attached;
		cc.rng = sys_rng();
		cc.peers = cf->conf.peers;		/* 0: default */
		cc.queue_peer_bytes = cf->conf.queue_peer_bytes;
		cc.queue_total_bytes = cf->conf.queue_total_bytes;
		/* DISC-1..9: only with the discovery socket the parent
		 * opened (LocalDiscovery yes); the attached subnets are the
		 * "local IPv4 subnet" of DISC-4. */
		cc.discovery = cf->conf.local_discovery &&
		    es->n_udp > SW_SOCK_DISCOVERY;
		/* The security model: the core's edge check on unsolicited
		 * inbound packets (HARD-2/3), always on in the daemon;
		 * dormancy; the intranet prefixes never trusted (HARD-4). */
		cc.edge = true;
		cc.dormant_after = (sw_time)cf->conf.dormant_after * SW_SEC;
		cc.n_intranet = 0;
		for (unsigned i = 0; i < cf->conf.n_intranet &&
		    i < SW_CLIENT_MAX_INTRANET; i++)
			cc.intranet[cc.n_intranet++] = cf->conf.intranet[i];
		if ((r = sw_client_new(&e->client, &cc)) != 0)
			fatalx("client: %s (PeerTableSize %u, QueuePeerBytes "
			    "%u, QueueTotalBytes %u; 0: default)",
			    strerror(-r), cf->conf.peers,
			    cf->conf.queue_peer_bytes,
			    cf->conf.queue_total_bytes);
	} else if (cf->conf.role == SW_ROLE_RELAY) {
		struct sw_relay_conf rc;
		struct sw_rng rng = sys_rng();

		sw_relay_conf_default(&rc);
		rc.prefix = cf->conf.prefix;
		memcpy(rc.bubble_src, cf->conf.relay_addr, 16);
		rc.n_served = 0;	/* not the default ::/0 */
		for (unsigned i = 0; i < cf->conf.n_served &&
		    i < SW_RELAY_MAX_SERVED; i++)
			rc.served[rc.n_served++] = cf->conf.served[i];
		rc.v4.policy = cf->conf.v4_policy;
		rc.v4.attached = es->attached;
		rc.v4.n_attached = es->n_attached;
		/* HSR-5: behind a NAT, always the direct bubble too. */
		rc.always_direct_bubble = cf->conf.host_specific;
		/* Issue 10 item 16: the host's own relay is a Teredo
		 * interface of the host: the per-flow edge check on what
		 * peers send it, dormancy; stopped until the parent says
		 * the firewall holds (IPC_FW). */
		rc.host_guard = cf->conf.host_specific;
		rc.dormant_after = (sw_time)cf->conf.dormant_after * SW_SEC;
		/* The kernel forwards between the tunnel and the native
		 * side, and decrements the hop limit itself. */
		rc.decrement_hop_limit = false;
		/* RFC 6324: the relay's own addresses (bound, then the
		 * host's) are never a Teredo peer's mapping or server. */
		rc.n_own = 0;
		for (unsigned i = 0; i < es->n_own &&
		    rc.n_own < SW_RELAY_MAX_OWN; i++)
			rc.own[rc.n_own++] = es->own[i];
		if (cf->conf.peers != 0)
			rc.capacity = cf->conf.peers;
		if (cf->conf.queue_peer_bytes != 0)
			rc.queue_peer_bytes = cf->conf.queue_peer_bytes;
		if (cf->conf.queue_total_bytes != 0)
			rc.queue_total_bytes = cf->conf.queue_total_bytes;
		/* [harden]: per-endpoint shares, bubble budgets, HARD-4 */
		if (cf->conf.peers_per_mapping != 0)
			rc.peers_per_mapping = cf->conf.peers_per_mapping;
		if (cf->conf.peers_per_address != 0)
			rc.peers_per_address = cf->conf.peers_per_address;
		rate_conf(&rc.bubble_rate, cf->conf.bubble_per_second,
		    cf->conf.bubble_burst);
		rate_conf(&rc.bubble_rate_total, cf->conf.bubble_total_per_second,
		    cf->conf.bubble_total_burst);
		for (unsigned i = 0; i < cf->conf.n_intranet &&
		    rc.n_intranet < SW_RELAY_MAX_INTRANET; i++)
			rc.intranet[rc.n_intranet++] = cf->conf.intranet[i];
		if ((r = sw_relay_new(&e->relay, &rc, &rng)) != 0)
			fatalx("relay: %s (PeerTableSize %u, QueuePeerBytes "
			    "%u, QueueTotalBytes %u)", strerror(-r), rc.capacity,
			    rc.queue_peer_bytes, rc.queue_total_bytes);
	} else {
		struct sw_server_conf sc;

		sw_server_conf_default(&sc);
		sc.primary = cf->conf.server_primary;
		sc.secondary = cf->conf.server_secondary;
		sc.prefix = cf->conf.prefix;
		sc.mtu = cf->conf.mtu;
		sc.relay_max_payload = cf->conf.relay_max_payload;
		sc.require_auth = cf->conf.require_auth;
		/* ClientKey: the MACs keyed by the parent (config.c) */
		sc.key_for = config_client_key;
		sc.key_ctx = cf;
		sc.v4.policy = cf->conf.v4_policy;
		sc.v4.attached = es->attached;
		sc.v4.n_attached = es->n_attached;
		/* SRV-OP-5: per-source RS rate (RsRateLimit,
		 * RateLimitTableSize), checked before any HMAC */
		if (cf->conf.rs_per_second > 0) {
			sc.rs_rate.interval = SW_SEC / cf->conf.rs_per_second;
			if (sc.rs_rate.interval == 0)
				sc.rs_rate.interval = 1;
		}
		if (cf->conf.rs_burst > 0)
			sc.rs_rate.burst = cf->conf.rs_burst;
		if (cf->conf.rl_entries > 0)
			sc.rl_entries = cf->conf.rl_entries;
		rate_conf(&sc.rs_rate_total, cf->conf.rs_total_per_second,
		    cf->conf.rs_total_burst);
		sc.rng = sys_rng();
		if ((r = sw_server_new(&e->server, &sc)) != 0)
			fatalx("server: %s", strerror(-r));
	}
}

static void
setup(struct engine *e)
{
	const struct engine_setup *es = e->es;
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1)
		fatal("sigprocmask");
	if ((e->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	if ((e->sig = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	e->timer = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->timer == -1)
		fatal("timerfd_create");
	e->armed = SW_TIME_NEVER;
	if ((r = sys_udp_batch_init(&e->batch)) != 0)
		fatalx("udp batch: %s", strerror(-r));
	/* Untouched pages cost nothing: only what packets fill is used. */
	if (es->tun != -1 &&
	    (e->tunbuf = calloc(TUN_BATCH, sizeof *e->tunbuf)) == NULL)
		fatal("tunnel buffers");
	for (unsigned i = 0; i < CONTROL_CONNS; i++)
		e->conns[i].fd = -1;
	e->acts.drops = &e->drops;
	sw_actions_reset(&e->acts);
	core_new(e);
	e->guarded = e->client != NULL ||
	    (e->relay != NULL && e->cf->conf.host_specific);

	watch(e, e->sig, TAG_SIGNAL);
	watch(e, e->timer, TAG_TIMER);
	watch(e, es->ipc, TAG_IPC);
	watch(e, es->ctl, TAG_CTL);
	for (unsigned s = 0; s < es->n_udp; s++)
		watch(e, es->udp[s], TAG_UDP + s);
	if (es->tun != -1)
		watch(e, es->tun, TAG_TUN);
}

static void
dispatch(struct engine *e, uint64_t tag)
{
	switch (tag) {
	case TAG_SIGNAL:
		signal_input(e);
		break;
	case TAG_TIMER:
		timer_read(e);
		break;
	case TAG_IPC:
		ipc_input(e);
		break;
	case TAG_CTL:
		ctl_accept(e);
		break;
	case TAG_TUN:
		tun_input(e);
		break;
	default:
		if (tag >= TAG_UDP && tag < TAG_UDP + e->es->n_udp)
			udp_input(e, (unsigned)(tag - TAG_UDP));
		else if (tag >= TAG_CONN && tag < TAG_CONN + CONTROL_CONNS &&
		    e->conns[tag - TAG_CONN].fd != -1)
			conn_input(e, &e->conns[tag - TAG_CONN]);
		break;
	}
}

void
engine_main(struct config *cf, const struct engine_setup *es)
{
	struct epoll_event ev[EPOLL_EVENTS];
	struct engine *e;

	log_procinit("engine");
	if ((e = calloc(1, sizeof *e)) == NULL)
		fatal("calloc");
	e->cf = cf;
	e->es = es;
	setup(e);

	sandbox_engine(es->uid, es->gid);
	/* Set after the uid change, which clears it; then make sure the
	 * parent did not die before. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != es->parent) {
		log_warnx("parent gone, exiting");
		exit(1);
	}
	to_parent(e, IPC_READY, NULL);

	e->started = sys_now();
	/* The client (host-specific relay) starts when the parent reports
	 * the firewall (IPC_FW, right after READY): never before it is in
	 * place. */
	log_info("running as %s", sw_role_name(cf->conf.role));

	while (!e->quit) {
		int timeout = conns_expire(e);
		int n = epoll_wait(e->ep, ev, EPOLL_EVENTS, timeout);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		for (int i = 0; i < n && !e->quit; i++)
			dispatch(e, ev[i].data.u64);
		run_timers(e);
	}

	for (unsigned i = 0; i < CONTROL_CONNS; i++)
		if (e->conns[i].fd != -1)
			conn_close(e, &e->conns[i]);
	sw_client_free(e->client);
	sw_server_free(e->server);
	sw_relay_free(e->relay);
	sw_auth_free(e->key);
	config_wipe(cf);	/* the server's ClientKey MACs */
	sys_udp_batch_free(&e->batch);
	free(e->tunbuf);
	free(e);
	exit(0);
}
