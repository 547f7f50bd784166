/*
 * sys_probe.c - drives sys/ (log, os, udp, tun, rtnl) for
 * tests/netns/test_sys.sh, which runs it inside network namespaces of its
 * own.  Each subcommand prints lines the script checks:
 *
 *   sys_probe misc LOCAL_V4
 *	os.c, udp.c and tun.c edge cases; prints "ok - ..." / "not ok - ..."
 *	per check (the script renumbers them into its TAP stream).
 *   sys_probe log
 *	exercises log.c on stderr, ending with fatal() (exit status 1).
 *   sys_probe tun NAME ADDR6/PLEN MTU ROUTE6/PLEN METRIC
 *	creates the TUN, sets MTU and up, adds the address and the route,
 *	prints "ready ifindex=N", then answers one line per command read on
 *	stdin (see tun_command) until "quit", end of input or SIGTERM; then
 *	deletes the route and the address: "bye route=OK addr=OK".
 *   sys_probe udp-echo ADDR PORT COUNT [IDLE_MS]
 *	echoes datagrams back with sys_udp_send_actions until COUNT have
 *	been echoed (or IDLE_MS pass without one); every batch also carries
 *	actions that must not be sent (wrong socket, wrong kind) and two
 *	that the kernel refuses (port 0), which must be counted as errors.
 *   sys_probe udp-send [-D] ADDR PORT COUNT
 *	sends COUNT datagrams of the sizes in sizes[] (cycled) and checks
 *	that each comes back intact; -D is the control run: DF on and TOS
 *	0x02 (ECT(0)), which the capture must tell apart from our sockets.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "log.h"
#include "os.h"
#include "rtnl.h"
#include "tun.h"
#include "udp.h"

static const char *
errname(int rc)
{
	const char	*s;

	if (rc == 0)
		return "OK";
	if (rc > 0)
		return "POSITIVE";
	s = strerrorname_np(-rc);
	return s != NULL ? s : "EUNKNOWN";
}

static void
sleep_ms(unsigned ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
parse_v4(const char *s, uint32_t *addr)
{
	struct in_addr	 in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*addr = ntohl(in.s_addr);
	return 0;
}

static int
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "2001:db8::1/64" */
static int
parse_prefix6(const char *s, uint8_t addr[16], uint8_t *plen)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash;
	uint32_t	 v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1 ||
	    parse_u32(slash + 1, 128, &v) == -1)
		return -1;
	*plen = (uint8_t)v;
	return 0;
}

static void
fmt_v4ep(char *buf, size_t len, const struct sw_v4ep *ep)
{
	struct in_addr	 in = { .s_addr = htonl(ep->addr) };
	char		 a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, (unsigned)ep->port);
}

/* ---- misc: os.c, udp.c and tun.c edge cases --------------------------- */

static int	checks_failed;

static void
check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
check(int ok, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		checks_failed++;
}

static int
getsockopt_int(int fd, int level, int name)
{
	int		 v = -1;
	socklen_t	 len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) == -1)
		return -1;
	return v;
}

static int
fd_flags_ok(int fd)
{
	int	 fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

	return fl != -1 && fdfl != -1 && (fl & O_NONBLOCK) &&
	    (fdfl & FD_CLOEXEC);
}

static int
all_zero(const uint8_t *p, size_t len)
{
	while (len-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

static void
misc_os(void)
{
	static uint8_t	 a[4096], b[4096];
	sw_time		 t0, t1, prev, now;
	struct sw_rng	 rng;
	int		 i, mono = 1;

	t0 = sys_now();
	sleep_ms(20);
	t1 = sys_now();
	check(t1 - t0 >= 20 * SW_MSEC && t1 - t0 < 1 * SW_SEC,
	    "os: sys_now advances by 20 ms over a 20 ms sleep (%llu us)",
	    (unsigned long long)(t1 - t0));
	prev = sys_now();
	for (i = 0; i < 10000; i++) {
		now = sys_now();
		if (now < prev)
			mono = 0;
		prev = now;
	}
	check(mono, "os: sys_now never goes back over 10000 calls");

	check(sys_random(a, sizeof(a)) == 0 && sys_random(b, sizeof(b)) == 0 &&
	    !all_zero(a, sizeof(a)) && memcmp(a, b, sizeof(a)) != 0,
	    "os: sys_random fills 4096 bytes, twice differently");
	check(sys_random(a, 0) == 0, "os: sys_random of 0 bytes is 0");

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	rng = sys_rng();
	sw_rng_fill(&rng, a + 1, 64);
	sw_rng_fill(&rng, b + 1, 64);
	check(a[0] == 0 && a[65] == 0 && !all_zero(a + 1, 64) &&
	    memcmp(a + 1, b + 1, 64) != 0,
	    "os: sys_rng fills exactly the bytes asked, randomly");
}

static void
misc_udp(uint32_t local)
{
	struct sw_v4ep		 ep = { local, 0 }, bound = { 0, 0 }, b2;
	static struct sw_actions acts;
	struct sys_udp_batch	 batch;
	struct sw_action	*a;
	uint8_t			 byte = 0x5a;
	unsigned		 errors;
	int			 fd, rc, v;

	fd = sys_udp_open(&ep, &bound);
	check(fd >= 0 && bound.addr == local && bound.port != 0,
	    "udp: open on port 0 binds the address and a kernel port (%s)",
	    errname(fd < 0 ? fd : 0));
	if (fd < 0)
		return;
	check(getsockopt_int(fd, IPPROTO_IP, IP_MTU_DISCOVER) ==
	    IP_PMTUDISC_DONT, "udp: IP_MTU_DISCOVER is IP_PMTUDISC_DONT "
	    "(COM-MTU-2)");
	check(getsockopt_int(fd, IPPROTO_IP, IP_TOS) == 0,
	    "udp: IP_TOS is 0 (COM-ECN-1/2)");
	/* The kernel reports twice the size asked (bookkeeping overhead). */
	v = getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF);
	check(v >= SYS_UDP_SOCKBUF, "udp: SO_RCVBUF >= %d (%d)",
	    SYS_UDP_SOCKBUF, v);
	v = getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF);
	check(v >= SYS_UDP_SOCKBUF, "udp: SO_SNDBUF >= %d (%d)",
	    SYS_UDP_SOCKBUF, v);
	check(getsockopt_int(fd, SOL_SOCKET, SO_BROADCAST) == 0,
	    "udp: SO_BROADCAST is off (HARD-8)");
	check(fd_flags_ok(fd), "udp: socket is O_NONBLOCK and FD_CLOEXEC");

	rc = sys_udp_batch_init(&batch);
	check(rc == 0 && batch.buf != NULL, "udp: batch_init allocates");
	if (rc == 0) {
		rc = sys_udp_recv(fd, &batch);
		check(rc == 0 && batch.n == 0,
		    "udp: recv on an empty socket returns 0 at once (%d)", rc);
	}

	ep.port = bound.port;
	rc = sys_udp_open(&ep, &b2);
	check(rc == -EADDRINUSE, "udp: open on a used port is -EADDRINUSE "
	    "(%s)", errname(rc));
	if (rc >= 0)
		close(rc);
	ep.addr = SW_IP4(203, 0, 113, 9);
	ep.port = 0;
	rc = sys_udp_open(&ep, &b2);
	check(rc == -EADDRNOTAVAIL, "udp: open on a foreign address is "
	    "-EADDRNOTAVAIL (%s)", errname(rc));
	if (rc >= 0)
		close(rc);

	/* Send to ourselves: one datagram good, one to port 0 (EINVAL). */
	sw_actions_reset(&acts);
	a = sw_actions_push(&acts, SW_ACT_SEND_UDP);
	a->dst = (struct sw_v4ep){ local, 0 };
	a->seg[0] = (struct sw_seg){ &byte, 1 };
	a = sw_actions_push(&acts, SW_ACT_SEND_UDP);
	a->dst = bound;
	a->seg[0] = (struct sw_seg){ &byte, 1 };
	errors = 5;
	rc = sys_udp_send_actions(fd, SW_SOCK_PRIMARY, &acts, &errors);
	check(rc == 1 && errors == 6, "udp: a refused datagram is skipped "
	    "and added to *errors (sent %d, errors 5 -> %u)", rc, errors);
	if (batch.buf != NULL) {
		sleep_ms(50);
		rc = sys_udp_recv(fd, &batch);
		check(rc == 1 && batch.len[0] == 1 && batch.buf[0][0] == byte &&
		    sw_v4ep_eq(&batch.from[0], &bound),
		    "udp: the datagram arrives with its source (%d)", rc);
		sys_udp_batch_free(&batch);
		check(batch.buf == NULL, "udp: batch_free clears the buffers");
	}
	rc = sys_udp_send_actions(fd, SW_SOCK_PRIMARY, &acts, NULL);
	check(rc == 1, "udp: *errors may be NULL (%d)", rc);

	close(fd);	/* nothing opens in between: the number stays dead */
	errors = 0;
	rc = sys_udp_send_actions(fd, SW_SOCK_PRIMARY, &acts, &errors);
	check(rc == -EBADF, "udp: a dead socket is a fatal -EBADF (%s)",
	    errname(rc));
}

/*
 * UDP_SEGMENT out, UDP_GRO in (sys_udp_send_actions, sys_udp_gro,
 * sys_udp_recv): a run of equal datagrams to one endpoint, and a shorter
 * last one, leave as one message; to our own address the kernel keeps
 * them together for a socket that takes UDP_GRO, and the batch says
 * where to cut.  Every datagram must come out whole and in order.
 */
static void
misc_gso(uint32_t local)
{
	enum { RUN = 5, SEG = 1000, TAIL = 300 };
	static uint8_t		 data[RUN + 1][SEG], got[(RUN + 1) * SEG];
	static struct sw_actions acts;
	struct sw_v4ep		 ep = { local, 0 }, rxb, txb;
	struct sys_udp_batch	 batch;
	size_t			 have = 0, want = RUN * SEG + TAIL;
	unsigned		 errors = 0, dgrams = 0, coalesced = 0;
	int			 rx, tx, rc, tries;

	rx = sys_udp_open(&ep, &rxb);
	tx = sys_udp_open(&ep, &txb);
	if (rx < 0 || tx < 0 || sys_udp_batch_init(&batch) != 0) {
		check(0, "udp gso: sockets and batch");
		return;
	}
	check(sys_udp_gro(rx) == 0, "udp gso: UDP_GRO can be set");
	sw_actions_reset(&acts);
	for (unsigned i = 0; i <= RUN; i++) {
		struct sw_action *a = sw_actions_push(&acts, SW_ACT_SEND_UDP);

		memset(data[i], 0x10 + (int)i, SEG);
		data[i][0] = (uint8_t)i;
		a->sock = SW_SOCK_PRIMARY;
		a->dst = rxb;
		a->seg[0].p = data[i];
		a->seg[0].len = i < RUN ? SEG / 2 : TAIL / 2;
		a->seg[1].p = data[i] + a->seg[0].len;
		a->seg[1].len = i < RUN ? SEG / 2 : TAIL / 2;
	}
	rc = sys_udp_send_actions(tx, SW_SOCK_PRIMARY, &acts, &errors);
	check(rc == RUN + 1 && errors == 0,
	    "udp gso: %d datagrams sent as one run (%d, %u errors)", RUN + 1,
	    rc, errors);
	for (tries = 0; tries < 100 && have < want; tries++) {
		if ((rc = sys_udp_recv(rx, &batch)) <= 0) {
			usleep(10000);
			continue;
		}
		for (unsigned i = 0; i < batch.n; i++) {
			size_t seg = batch.seg[i] ? batch.seg[i] : batch.len[i];

			if (batch.seg[i] != 0 && batch.seg[i] < batch.len[i])
				coalesced++;
			for (size_t off = 0; off < batch.len[i]; off += seg) {
				size_t n = batch.len[i] - off < seg ?
				    batch.len[i] - off : seg;

				if (have + n <= sizeof got)
					memcpy(got + have, batch.buf[i] + off,
					    n);
				have += n;
				dgrams++;
			}
		}
	}
	check(dgrams == RUN + 1 && have == want,
	    "udp gso: %d datagrams, %zu bytes arrive (%u, %zu)", RUN + 1,
	    want, dgrams, have);
	check(have == want && memcmp(got, data, RUN * SEG) == 0 &&
	    memcmp(got + RUN * SEG, data[RUN], TAIL) == 0,
	    "udp gso: whole and in order");
	check(coalesced >= 1, "udp gso: the kernel kept the run together "
	    "(UDP_GRO, %u coalesced buffers)", coalesced);
	sys_udp_batch_free(&batch);
	close(rx);
	close(tx);
}

static void
misc_tun(void)
{
	uint8_t		 pkt[2048];
	int		 fd, ifindex = -1;
	ssize_t		 n;

	fd = sys_tun_open("", &ifindex);
	check(fd == -EINVAL, "tun: empty name is -EINVAL (%s)", errname(fd));
	fd = sys_tun_open("swprobe-too-long", &ifindex);
	check(fd == -EINVAL, "tun: 16-byte name is -EINVAL (%s)",
	    errname(fd));
	fd = sys_tun_open("swprobe0", &ifindex);
	check(fd >= 0 && ifindex > 0, "tun: open gives an fd and ifindex %d",
	    ifindex);
	if (fd < 0)
		return;
	check(fd_flags_ok(fd), "tun: fd is O_NONBLOCK and FD_CLOEXEC");
	n = read(fd, pkt, sizeof(pkt));
	check(n == -1 && errno == EAGAIN, "tun: read with nothing queued "
	    "does not block (EAGAIN)");
	close(fd);
}

/* sys_cmsg_rights: the control buffer is walked only after a recvmsg
 * that succeeded; on n < 0 the bytes there are not the kernel's and the
 * descriptors they name (here ours, open) must stay open. */
static void
misc_cmsg(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 2)];
	} cm;
	struct msghdr mh;
	struct cmsghdr *h;
	int p[2], got[2] = { -1, -1 };
	size_t n;

	if (pipe(p) == -1) {
		check(0, "os: sys_cmsg_rights: pipe: %s", strerror(errno));
		return;
	}
	memset(&cm, 0, sizeof cm);
	memset(&mh, 0, sizeof mh);
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int) * 2);
	memcpy(CMSG_DATA(h), p, sizeof p);

	n = sys_cmsg_rights(&mh, -1, got, 1);
	check(n == 0 && got[0] == -1 && fcntl(p[0], F_GETFD) != -1 &&
	    fcntl(p[1], F_GETFD) != -1,
	    "os: sys_cmsg_rights after a failed recvmsg takes and closes "
	    "nothing (%zu)", n);
	n = sys_cmsg_rights(&mh, 1, got, 1);
	check(n == 2 && got[0] == p[0] && fcntl(p[0], F_GETFD) != -1 &&
	    fcntl(p[1], F_GETFD) == -1 && errno == EBADF,
	    "os: sys_cmsg_rights keeps the first descriptor, closes the "
	    "other (%zu)", n);
	close(p[0]);
}

static int
cmd_misc(int argc, char **argv)
{
	uint32_t	 local;

	if (argc != 1 || parse_v4(argv[0], &local) == -1)
		fatalx("usage: misc LOCAL_V4");
	misc_os();
	misc_cmsg();
	misc_udp(local);
	misc_gso(local);
	misc_tun();
	return checks_failed ? 1 : 0;
}

/* ---- log --------------------------------------------------------------- */

static int
cmd_log(void)
{
	log_init("sys_probe", true, 0);
	log_procinit("engine");
	log_debug("hidden %d", 1);
	log_info("info %d", 2);
	errno = ENOENT;
	log_warn("warn %d", 3);
	log_warnx("warnx %d", 4);
	errno = EEXIST;
	log_info("errno kept");
	log_warn("after info");
	log_init("sys_probe", true, 1);
	log_debug("shown %d", 5);
	errno = EACCES;
	fatal("fatal %d", 6);
}

/* ---- tun: create, configure, answer commands, clean up ------------------ */

static volatile sig_atomic_t	 got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* Read packets from the TUN for up to 2 s, looking for one to dst. */
static const char *
tun_read(int fd, const uint8_t dst[16])
{
	uint8_t		 pkt[65536];
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	sw_time		 deadline = sys_now() + 2 * SW_SEC, now;
	ssize_t		 n;

	while ((now = sys_now()) < deadline) {
		if (poll(&pfd, 1, (int)((deadline - now) / SW_MSEC) + 1) <= 0)
			continue;
		while ((n = read(fd, pkt, sizeof(pkt))) > 0) {
			/* IFF_NO_PI: the first byte is the IPv6 header's. */
			if (n < 40 || (pkt[0] >> 4) != 6)
				return "badversion";
			if (memcmp(pkt + 24, dst, 16) == 0)
				return "match";
		}
	}
	return "timeout";
}

/*
 * One command, one line of answer:
 *   addr A/P add|del       -> "addr OK" or "addr EEXIST"...
 *   route A/P METRIC add|del -> "route OK"...
 *   link up|down MTU       -> "link OK"... (MTU 0: unchanged)
 *   read A                 -> "read match|timeout|badversion"
 */
static void
tun_command(struct sys_rtnl *r, int ifindex, int fd, char *line)
{
	char		*w[5];
	uint8_t		 a[16];
	uint8_t		 plen;
	uint32_t	 v;
	int		 n = 0, rc;

	while (n < 5 && (w[n] = strtok(n == 0 ? line : NULL, " \t")) != NULL)
		n++;
	if (n == 3 && strcmp(w[0], "addr") == 0 &&
	    parse_prefix6(w[1], a, &plen) == 0 &&
	    (strcmp(w[2], "add") == 0 || strcmp(w[2], "del") == 0)) {
		rc = sys_rtnl_addr6(r, ifindex, a, plen,
		    strcmp(w[2], "add") == 0);
		printf("addr %s\n", errname(rc));
	} else if (n == 4 && strcmp(w[0], "route") == 0 &&
	    parse_prefix6(w[1], a, &plen) == 0 &&
	    parse_u32(w[2], UINT32_MAX, &v) == 0 &&
	    (strcmp(w[3], "add") == 0 || strcmp(w[3], "del") == 0)) {
		rc = sys_rtnl_route6(r, ifindex, a, plen, v,
		    strcmp(w[3], "add") == 0);
		printf("route %s\n", errname(rc));
	} else if (n == 3 && strcmp(w[0], "link") == 0 &&
	    (strcmp(w[1], "up") == 0 || strcmp(w[1], "down") == 0) &&
	    parse_u32(w[2], UINT32_MAX, &v) == 0) {
		rc = sys_rtnl_link(r, ifindex, strcmp(w[1], "up") == 0, v);
		printf("link %s\n", errname(rc));
	} else if (n == 2 && strcmp(w[0], "read") == 0 &&
	    inet_pton(AF_INET6, w[1], a) == 1) {
		printf("read %s\n", tun_read(fd, a));
	} else
		printf("usage\n");
	fflush(stdout);
}

static int
cmd_tun(int argc, char **argv)
{
	struct sys_rtnl		*r;
	struct sigaction	 sa;
	sigset_t		 block, orig;
	struct pollfd		 pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char			 line[512], *nl;
	size_t			 used = 0;
	uint8_t			 addr[16], route[16], aplen, rplen;
	uint32_t		 mtu, metric;
	ssize_t			 n;
	int			 fd, ifindex, rc, rc_route, rc_addr, quit = 0;

	if (argc != 5 || parse_prefix6(argv[1], addr, &aplen) == -1 ||
	    parse_u32(argv[2], 65535, &mtu) == -1 ||
	    parse_prefix6(argv[3], route, &rplen) == -1 ||
	    parse_u32(argv[4], UINT32_MAX, &metric) == -1)
		fatalx("usage: tun NAME ADDR6/PLEN MTU ROUTE6/PLEN METRIC");

	/* SIGTERM only interrupts ppoll(): no race with the check. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &orig) == -1)
		fatal("sigprocmask");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		fatal("sigaction");

	if ((fd = sys_tun_open(argv[0], &ifindex)) < 0) {
		errno = -fd;
		fatal("sys_tun_open %s", argv[0]);
	}
	if ((rc = sys_rtnl_open(&r)) < 0) {
		errno = -rc;
		fatal("sys_rtnl_open");
	}
	if ((rc = sys_rtnl_link(r, ifindex, true, mtu)) < 0) {
		errno = -rc;
		fatal("sys_rtnl_link");
	}
	if ((rc = sys_rtnl_addr6(r, ifindex, addr, aplen, true)) < 0) {
		errno = -rc;
		fatal("sys_rtnl_addr6");
	}
	if ((rc = sys_rtnl_route6(r, ifindex, route, rplen, metric,
	    true)) < 0) {
		errno = -rc;
		fatal("sys_rtnl_route6");
	}
	printf("ready ifindex=%d\n", ifindex);
	fflush(stdout);

	while (!quit && !got_term) {
		rc = ppoll(&pfd, 1, NULL, &orig);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			fatal("ppoll");
		}
		n = read(STDIN_FILENO, line + used, sizeof(line) - 1 - used);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;		/* end of input */
		}
		used += (size_t)n;
		line[used] = '\0';
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strcmp(line, "quit") == 0)
				quit = 1;
			else if (!quit)
				tun_command(r, ifindex, fd, line);
			used -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, used + 1);
		}
		if (used == sizeof(line) - 1)
			used = 0;	/* overlong line: drop it */
	}

	rc_route = sys_rtnl_route6(r, ifindex, route, rplen, metric, false);
	rc_addr = sys_rtnl_addr6(r, ifindex, addr, aplen, false);
	printf("bye route=%s addr=%s\n", errname(rc_route), errname(rc_addr));
	fflush(stdout);
	sys_rtnl_close(r);
	close(fd);
	return rc_route == 0 && rc_addr == 0 ? 0 : 1;
}

/* ---- UDP echo and sender ------------------------------------------------ */

static const size_t sizes[] = {
	1, 8, 64, 100, 512, 1000, 1280, 1308, 1316, 1321,
	1400, 1450, 1472, 1473, 1500, 2000, 4096, 9000, 20000, 65507,
};
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

static struct sw_actions	acts;
static struct sys_udp_batch	batch;

static int
cmd_udp_echo(int argc, char **argv)
{
	static const uint8_t	 decoy[] = "decoy";
	struct sw_v4ep		 local, bound;
	struct sw_action	*a;
	struct pollfd		 pfd;
	char			 ep[64];
	uint32_t		 port, count, idle = 10000;
	unsigned		 i, echoed = 0, batches = 0, maxbatch = 0;
	unsigned		 errors = 0, mismatch = 0, split;
	int			 fd, n, r, first = 1;

	if (argc < 3 || argc > 4 || parse_v4(argv[0], &local.addr) == -1 ||
	    parse_u32(argv[1], 65535, &port) == -1 ||
	    parse_u32(argv[2], 1000000, &count) == -1 ||
	    (argc == 4 && parse_u32(argv[3], 600000, &idle) == -1))
		fatalx("usage: udp-echo ADDR PORT COUNT [IDLE_MS]");
	local.port = (uint16_t)port;
	if ((fd = sys_udp_open(&local, &bound)) < 0) {
		errno = -fd;
		fatal("sys_udp_open");
	}
	if ((r = sys_udp_batch_init(&batch)) < 0) {
		errno = -r;
		fatal("sys_udp_batch_init");
	}
	fmt_v4ep(ep, sizeof(ep), &bound);
	printf("bound %s\n", ep);
	fflush(stdout);

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (echoed < count) {
		if ((r = poll(&pfd, 1, (int)idle)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (r == 0) {
			printf("idle timeout\n");
			break;
		}
		/* Let the sender's burst queue up: the first read must
		 * return a full batch. */
		if (first) {
			sleep_ms(300);
			first = 0;
		}
		if ((n = sys_udp_recv(fd, &batch)) < 0) {
			errno = -n;
			fatal("sys_udp_recv");
		}
		if (n == 0)
			continue;
		batches++;
		if ((unsigned)n > maxbatch)
			maxbatch = (unsigned)n;

		sw_actions_reset(&acts);
		/* Refused by the kernel (port 0: EINVAL), first in line. */
		a = sw_actions_push(&acts, SW_ACT_SEND_UDP);
		a->dst = (struct sw_v4ep){ batch.from[0].addr, 0 };
		a->seg[0] = (struct sw_seg){ decoy, sizeof(decoy) - 1 };
		for (i = 0; i < (unsigned)n; i++) {
			a = sw_actions_push(&acts, SW_ACT_SEND_UDP);
			a->dst = batch.from[i];
			/* Every other one split over two segments. */
			split = i % 2 == 0 && batch.len[i] > 1 ?
			    (unsigned)(batch.len[i] / 3) : 0;
			if (split > 0) {
				a->seg[0] = (struct sw_seg){ batch.buf[i], split };
				a->seg[1] = (struct sw_seg){ batch.buf[i] + split,
				    batch.len[i] - split };
			} else
				a->seg[0] = (struct sw_seg){ batch.buf[i],
				    batch.len[i] };
			if (i == 0) {
				/* Refused in the middle of the burst. */
				a = sw_actions_push(&acts, SW_ACT_SEND_UDP);
				a->dst = (struct sw_v4ep){ batch.from[0].addr,
				    0 };
				a->seg[0] = (struct sw_seg){ decoy,
				    sizeof(decoy) - 1 };
			}
			if (i < 15) {
				/* Not ours to send: other socket or kind. */
				a = sw_actions_push(&acts, i % 2 ?
				    SW_ACT_SEND_UDP : SW_ACT_DELIVER);
				a->sock = i % 2 ? SW_SOCK_SECONDARY :
				    SW_SOCK_PRIMARY;
				a->dst = batch.from[i];
				a->seg[0] = (struct sw_seg){ decoy,
				    sizeof(decoy) - 1 };
			}
		}
		r = sys_udp_send_actions(fd, SW_SOCK_PRIMARY, &acts, &errors);
		if (r < 0) {
			errno = -r;
			fatal("sys_udp_send_actions");
		}
		if (r != n)
			mismatch++;
		echoed += (unsigned)r;
	}
	printf("echoed %u batches %u maxbatch %u errors %u mismatch %u\n",
	    echoed, batches, maxbatch, errors, mismatch);
	fflush(stdout);
	sys_udp_batch_free(&batch);
	close(fd);
	return echoed == count && mismatch == 0 && errors == 2 * batches ?
	    0 : 1;
}

static uint8_t
pattern(unsigned idx, size_t j)
{
	return (uint8_t)(idx * 7u + j * 13u + (j >> 8) + 1u);
}

static int
cmd_udp_send(int argc, char **argv)
{
	struct sw_v4ep		 any = { 0, 0 }, bound, dst;
	struct sw_action	*a;
	struct pollfd		 pfd;
	uint8_t			**payload;
	char			*got, ep[64];
	uint32_t		 port, count;
	unsigned		 i, k, done, sent = 0, errors = 0;
	unsigned		 intact = 0, corrupt = 0, dup = 0, unexpected = 0;
	size_t			 j, len;
	sw_time			 deadline, now;
	int			 fd, n, r, control = 0, match, sizematch;

	if (argc > 0 && strcmp(argv[0], "-D") == 0) {
		control = 1;
		argc--;
		argv++;
	}
	if (argc != 3 || parse_v4(argv[0], &dst.addr) == -1 ||
	    parse_u32(argv[1], 65535, &port) == -1 ||
	    parse_u32(argv[2], 4096, &count) == -1)
		fatalx("usage: udp-send [-D] ADDR PORT COUNT");
	dst.port = (uint16_t)port;

	if ((fd = sys_udp_open(&any, &bound)) < 0) {
		errno = -fd;
		fatal("sys_udp_open");
	}
	if (control) {
		/* The control run: what our sockets must NOT look like. */
		int	 v = IP_PMTUDISC_DO, tos = 0x02;

		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v,
		    sizeof(v)) == -1 ||
		    setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) == -1)
			fatal("setsockopt");
	}
	if ((r = sys_udp_batch_init(&batch)) < 0) {
		errno = -r;
		fatal("sys_udp_batch_init");
	}
	fmt_v4ep(ep, sizeof(ep), &bound);
	printf("bound %s\n", ep);
	fflush(stdout);

	if ((payload = calloc(count, sizeof(*payload))) == NULL ||
	    (got = calloc(count, 1)) == NULL)
		fatal("calloc");
	for (i = 0; i < count; i++) {
		len = sizes[i % NSIZES];
		if ((payload[i] = malloc(len)) == NULL)
			fatal("malloc");
		for (j = 0; j < len; j++)
			payload[i][j] = pattern(i, j);
	}

	/* SW_ACTIONS_MAX per call; odd ones split over two segments. */
	for (i = 0; i < count; ) {
		sw_actions_reset(&acts);
		for (; i < count && acts.n < SW_ACTIONS_MAX; i++) {
			len = sizes[i % NSIZES];
			a = sw_actions_push(&acts, SW_ACT_SEND_UDP);
			a->dst = dst;
			if (i % 2 && len > 1) {
				a->seg[0] = (struct sw_seg){ payload[i], len / 2 };
				a->seg[1] = (struct sw_seg){ payload[i] + len / 2,
				    len - len / 2 };
			} else
				a->seg[0] = (struct sw_seg){ payload[i], len };
		}
		r = sys_udp_send_actions(fd, SW_SOCK_PRIMARY, &acts, &errors);
		if (r < 0) {
			errno = -r;
			fatal("sys_udp_send_actions");
		}
		sent += (unsigned)r;
	}
	printf("sent %u errors %u\n", sent, errors);
	fflush(stdout);

	pfd.fd = fd;
	pfd.events = POLLIN;
	deadline = sys_now() + (control ? 2 : 5) * SW_SEC;
	while (intact < sent && (now = sys_now()) < deadline) {
		r = poll(&pfd, 1, (int)((deadline - now) / SW_MSEC) + 1);
		if (r <= 0)
			continue;
		if ((n = sys_udp_recv(fd, &batch)) < 0) {
			errno = -n;
			fatal("sys_udp_recv");
		}
		for (k = 0; k < (unsigned)n; k++) {
			if (!sw_v4ep_eq(&batch.from[k], &dst)) {
				unexpected++;
				continue;
			}
			match = -1;
			sizematch = 0;
			for (i = 0; i < count; i++) {
				if (sizes[i % NSIZES] != batch.len[k])
					continue;
				sizematch = 1;
				if (memcmp(batch.buf[k], payload[i],
				    batch.len[k]) != 0)
					continue;
				match = (int)i;
				if (!got[i])
					break;
			}
			if (match < 0) {
				if (sizematch)
					corrupt++;
				else
					unexpected++;
			} else if (got[match])
				dup++;
			else {
				got[match] = 1;
				intact++;
			}
		}
	}
	printf("received intact %u corrupt %u dup %u unexpected %u "
	    "missing %u\n", intact, corrupt, dup, unexpected, count - intact);
	printf("missing-sizes");
	for (done = 0, i = 0; i < count; i++) {
		if (!got[i]) {
			printf("%s%zu", done ? "," : " ", sizes[i % NSIZES]);
			done = 1;
		}
	}
	printf("%s\n", done ? "" : " none");
	fflush(stdout);

	for (i = 0; i < count; i++)
		free(payload[i]);
	free(payload);
	free(got);
	sys_udp_batch_free(&batch);
	close(fd);
	return intact == count && errors == 0 && corrupt == 0 && dup == 0 &&
	    unexpected == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	log_init("sys_probe", true, 0);
	if (argc < 2)
		fatalx("usage: sys_probe misc|log|tun|udp-echo|udp-send ...");
	if (strcmp(argv[1], "misc") == 0)
		return cmd_misc(argc - 2, argv + 2);
	if (strcmp(argv[1], "log") == 0)
		return cmd_log();
	if (strcmp(argv[1], "tun") == 0)
		return cmd_tun(argc - 2, argv + 2);
	if (strcmp(argv[1], "udp-echo") == 0)
		return cmd_udp_echo(argc - 2, argv + 2);
	if (strcmp(argv[1], "udp-send") == 0)
		return cmd_udp_send(argc - 2, argv + 2);
	fatalx("unknown subcommand %s", argv[1]);
}
