/*
 * fw_probe.c - drives sys/fw, sys/sockdiag and sys/cgroup for
 * tests/netns/test_firewall.sh, which runs it inside network namespaces of
 * its own (nsenter --net: the cgroup2 mount stays visible).  Each
 * subcommand prints lines the script checks:
 *
 *   fw_probe hold TABLE IFNAME [P41IF...] [-- grant CGPATH|mark:M...]
 *	sys_fw_open, grants (cgroup paths below the cgroup2 root, or
 *	socket marks),
 *	sys_fw_verify; prints "ready portid-verify=OK" (or "error: REASON"
 *	and exits 2), then answers one line per command read on stdin:
 *	  counters		"counters edge_denied=N routing_header=N
 *				 p41_dropped=N edge_granted=N
 *				 nd_dropped=N"
 *	  verify		"verify OK|FAIL: REASON"
 *	  grant [CGPATH...]	"grant OK n=N" or "grant FAIL: ..."
 *	  lose-socket		closes the table's netlink socket behind
 *				sys_fw's back (the kernel drops the table):
 *				"lost N"
 *	  quit			sys_fw_close, exit
 *	At end of input it keeps the table until SIGTERM; SIGUSR1 prints
 *	the counters line.
 *   fw_probe listeners [-4]
 *	sock_diag: "PROTO PORT cgroup=ID mark=0xM uid=U" per listener.
 *   fw_probe cgroup PATH
 *	"id=ID level=L handle=H" (H from name_to_handle_at, to compare).
 *   fw_probe tree PATH		"n=N ID..." (sys_cgroup_tree)
 *   fw_probe self-cgroup	sys_cgroup_of_pid(0)
 *   fw_probe listen tcp|udp PORT [MARK]
 *	[::]:PORT dual-stack (SO_MARK MARK when given); "listening"; TCP:
 *	accepts and closes each connection; UDP: echoes.  Until SIGTERM.
 *   fw_probe connect ADDR6 PORT TIMEOUT_MS	"connected" | "timeout" | ...
 *   fw_probe udp-ask ADDR6 PORT TIMEOUT_MS	"reply" | "timeout"
 *   fw_probe rh SRC6 DST6 TIMEOUT_MS [norh]
 *	ICMPv6 echo request with a type 0 routing header (segments left
 *	0, so a host without a firewall answers it), or without one
 *	(norh), sent whole over an IPPROTO_RAW socket: "reply" | "silent".
 *   fw_probe p41 SRC4 DST4 SRC6 DST6 PORT TIMEOUT_MS
 *	IPv4 protocol 41 carrying an IPv6 TCP SYN to PORT: "unreach" when
 *	DST4 answers ICMP protocol unreachable (nothing decapsulates
 *	here), else "silent".
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/icmp6.h>
#include <arpa/inet.h>
#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fw.h"
#include "log.h"
#include "sockdiag.h"

#define MAX_GRANTS	32

static volatile sig_atomic_t	 got_usr1, got_term;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static void
signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: wake poll() */
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
}

static long
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- hold --------------------------------------------------------------- */

struct grants {
	struct sys_fw_cgroup	 g[MAX_GRANTS];
	uint32_t		 marks[MAX_GRANTS];
	size_t			 n, n_marks;
};

/* Cgroup paths, or "mark:0xM" for a socket mark. */
static int
resolve_grants(char **paths, int n, struct grants *gr, char *err,
    size_t errlen)
{
	char	 root[512];
	int	 i, rc;

	memset(gr, 0, sizeof(*gr));
	if (n > MAX_GRANTS) {
		(void)snprintf(err, errlen, "too many grants");
		return -E2BIG;
	}
	if (n > 0 && (rc = sys_cgroup2_root(root, sizeof(root))) < 0) {
		(void)snprintf(err, errlen, "no cgroup2 root: %s",
		    strerror(-rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (strncmp(paths[i], "mark:", 5) == 0) {
			gr->marks[gr->n_marks++] =
			    (uint32_t)strtoul(paths[i] + 5, NULL, 0);
			continue;
		}
		if ((rc = sys_cgroup_id(root, paths[i], &gr->g[gr->n].id,
		    &gr->g[gr->n].level)) < 0) {
			(void)snprintf(err, errlen, "cgroup %s: %s", paths[i],
			    strerror(-rc));
			return rc;
		}
		gr->n++;
	}
	return 0;
}

static void
print_counters(struct sys_fw *fw)
{
	struct sys_fw_counters	 c;
	int			 rc;

	if ((rc = sys_fw_counters(fw, &c)) < 0) {
		printf("counters FAIL: %s\n", strerror(-rc));
	} else {
		printf("counters edge_denied=%llu routing_header=%llu "
		    "p41_dropped=%llu edge_granted=%llu nd_dropped=%llu\n",
		    (unsigned long long)c.edge_denied,
		    (unsigned long long)c.routing_header,
		    (unsigned long long)c.p41_dropped,
		    (unsigned long long)c.edge_granted,
		    (unsigned long long)c.nd_dropped);
	}
	fflush(stdout);
}

/* Close every NETLINK_NETFILTER socket of ours (only sys_fw's is open
 * between commands): dup2 /dev/null over it, so that sys_fw_close later
 * closes a harmless descriptor. */
static int
lose_socket(void)
{
	int		 fd, nul, dom, proto, lost = 0;
	socklen_t	 len;

	if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return -errno;
	for (fd = 3; fd < 1024; fd++) {
		if (fd == nul)
			continue;
		len = sizeof(dom);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == -1 ||
		    dom != AF_NETLINK)
			continue;
		len = sizeof(proto);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto,
		    &len) == -1 || proto != NETLINK_NETFILTER)
			continue;
		if (dup2(nul, fd) != -1)
			lost++;
	}
	(void)close(nul);
	return lost;
}

static void
hold_command(struct sys_fw *fw, char *line)
{
	struct grants		 gr;
	char			*argv[MAX_GRANTS + 2], *save, *w, err[256];
	int			 argc = 0, rc;

	for (w = strtok_r(line, " \t\n", &save); w != NULL &&
	    argc < MAX_GRANTS + 1; w = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = w;
	if (argc == 0)
		return;
	if (strcmp(argv[0], "counters") == 0) {
		print_counters(fw);
	} else if (strcmp(argv[0], "verify") == 0) {
		rc = sys_fw_verify(fw, err, sizeof(err));
		printf("verify %s: %s\n", rc == 0 ? "OK" : "FAIL", err);
	} else if (strcmp(argv[0], "grant") == 0) {
		if ((rc = resolve_grants(argv + 1, argc - 1, &gr, err,
		    sizeof(err))) < 0)
			printf("grant FAIL: %s\n", err);
		else if ((rc = sys_fw_set_grants(fw, gr.g, gr.n, gr.marks,
		    gr.n_marks)) < 0)
			printf("grant FAIL: %s\n", strerror(-rc));
		else
			printf("grant OK n=%d\n", argc - 1);
	} else if (strcmp(argv[0], "lose-socket") == 0) {
		printf("lost %d\n", lose_socket());
	} else if (strcmp(argv[0], "quit") == 0) {
		got_term = 1;
		printf("bye\n");
	} else {
		printf("unknown command %s\n", argv[0]);
	}
	fflush(stdout);
}

static int
cmd_hold(int argc, char **argv)
{
	struct sys_fw_conf	 conf;
	struct grants		 gr;
	struct sys_fw		*fw;
	struct pollfd		 pfd;
	char			 err[256], line[4096];
	size_t			 len = 0;
	ssize_t			 got;
	int			 i, n_grants = 0, rc;
	bool			 eof = false;

	if (argc < 2)
		fatalx("usage: hold TABLE IFNAME [P41IF...] [-- grant PATH...]");
	memset(&conf, 0, sizeof(conf));
	conf.table = argv[0];
	memset(&gr, 0, sizeof(gr));
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (conf.n_ifnames >= SYS_FW_MAX_IFNAMES)
			fatalx("too many interfaces");
		conf.ifnames[conf.n_ifnames++] = argv[i];
	}
	if (i < argc) {		/* -- grant PATH... */
		if (i + 1 >= argc || strcmp(argv[i + 1], "grant") != 0)
			fatalx("usage: ... -- grant PATH...");
		n_grants = argc - i - 2;
		if (resolve_grants(argv + i + 2, n_grants, &gr, err,
		    sizeof(err)) < 0) {
			printf("error: %s\n", err);
			return 2;
		}
	}
	signals();
	if ((rc = sys_fw_open(&fw, &conf, err, sizeof(err))) < 0) {
		printf("error: %s\n", err);
		fflush(stdout);
		return 2;
	}
	if ((rc = sys_fw_set_grants(fw, gr.g, gr.n, gr.marks,
	    gr.n_marks)) < 0) {
		printf("error: grants: %s\n", strerror(-rc));
		sys_fw_close(fw);
		return 2;
	}
	rc = sys_fw_verify(fw, err, sizeof(err));
	printf("ready verify=%s: %s\n", rc == 0 ? "OK" : "FAIL", err);
	fflush(stdout);

	while (!got_term) {
		if (got_usr1) {
			got_usr1 = 0;
			print_counters(fw);
		}
		pfd.fd = 0;
		pfd.events = POLLIN;
		if (poll(&pfd, eof ? 0 : 1, -1) == -1)
			continue;		/* EINTR: a signal */
		got = read(0, line + len, sizeof(line) - 1 - len);
		if (got <= 0) {
			if (got == -1 && errno == EINTR)
				continue;
			eof = true;
			continue;
		}
		len += (size_t)got;
		line[len] = '\0';
		for (;;) {
			char	*nl = strchr(line, '\n');
			size_t	 one;

			if (nl == NULL)
				break;
			*nl = '\0';
			one = (size_t)(nl - line) + 1;
			hold_command(fw, line);
			memmove(line, line + one, len - one + 1);
			len -= one;
		}
		if (len == sizeof(line) - 1)
			len = 0;	/* a line too long: dropped */
	}
	sys_fw_close(fw);
	return 0;
}

/* ---- sockdiag, cgroup --------------------------------------------------- */

static int
cmd_listeners(int argc, char **argv)
{
	struct sys_listener	 l[256];
	size_t			 n, i;
	int			 rc, family = AF_INET6;

	if (argc > 0 && strcmp(argv[0], "-4") == 0)
		family = AF_INET;
	if ((rc = sys_sockdiag_listeners_af(family, l, 256, &n)) < 0) {
		printf("error: %s\n", strerror(-rc));
		return 1;
	}
	for (i = 0; i < n && i < 256; i++)
		printf("%s %u cgroup=%llu mark=0x%x uid=%u\n",
		    l[i].proto == IPPROTO_TCP ? "tcp" : "udp", l[i].port,
		    (unsigned long long)l[i].cgroup, l[i].mark, l[i].uid);
	printf("total %zu\n", n);
	return 0;
}

static int
cmd_cgroup(int argc, char **argv)
{
	struct {
		struct file_handle	 fh;
		unsigned char		 space[64];
	} h;
	char		 root[512], full[1024];
	uint64_t	 id, hid = 0;
	uint8_t		 level;
	int		 rc, mnt;

	if (argc != 1)
		fatalx("usage: cgroup PATH");
	if ((rc = sys_cgroup2_root(root, sizeof(root))) < 0) {
		printf("error: root: %s\n", strerror(-rc));
		return 1;
	}
	if ((rc = sys_cgroup_id(root, argv[0], &id, &level)) < 0) {
		printf("error: %s\n", strerror(-rc));
		return 1;
	}
	(void)snprintf(full, sizeof(full), "%s%s", root, argv[0]);
	h.fh.handle_bytes = sizeof(h.space);
	if (name_to_handle_at(AT_FDCWD, full, &h.fh, &mnt, 0) == 0 &&
	    h.fh.handle_bytes >= sizeof(hid))
		memcpy(&hid, h.fh.f_handle, sizeof(hid));
	printf("id=%llu level=%u handle=%llu root=%s\n",
	    (unsigned long long)id, level, (unsigned long long)hid, root);
	return 0;
}

static int
cmd_tree(int argc, char **argv)
{
	char		 root[512];
	uint64_t	 ids[64];
	size_t		 n, i;
	int		 rc;

	if (argc != 1)
		fatalx("usage: tree PATH");
	if ((rc = sys_cgroup2_root(root, sizeof(root))) < 0 ||
	    (rc = sys_cgroup_tree(root, argv[0], ids, 64, &n)) < 0) {
		printf("error: %s\n", strerror(-rc));
		return 1;
	}
	printf("n=%zu", n);
	for (i = 0; i < n && i < 64; i++)
		printf(" %llu", (unsigned long long)ids[i]);
	printf("\n");
	return 0;
}

static int
cmd_self_cgroup(void)
{
	char	 buf[1024];
	int	 rc;

	if ((rc = sys_cgroup_of_pid(0, buf, sizeof(buf))) < 0) {
		printf("error: %s\n", strerror(-rc));
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

/* ---- traffic ------------------------------------------------------------ */

static int
parse_port(const char *s)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	if (*end != '\0' || v < 1 || v > 65535)
		fatalx("bad port %s", s);
	return (int)v;
}

static void
parse_v6(const char *s, struct in6_addr *a)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		fatalx("bad IPv6 address %s", s);
}

static void
parse_v4(const char *s, struct in_addr *a)
{
	if (inet_pton(AF_INET, s, a) != 1)
		fatalx("bad IPv4 address %s", s);
}

static int
cmd_listen(int argc, char **argv)
{
	struct sockaddr_in6	 sin6;
	struct pollfd		 pfd;
	char			 buf[2048];
	socklen_t		 slen;
	ssize_t			 got;
	uint32_t		 mark;
	int			 fd, c, tcp, zero = 0, one = 1;

	if (argc < 2)
		fatalx("usage: listen tcp|udp PORT [MARK]");
	tcp = strcmp(argv[0], "tcp") == 0;
	fd = socket(AF_INET6, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd == -1)
		fatal("socket");
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (argc > 2) {
		mark = (uint32_t)strtoul(argv[2], NULL, 0);
		if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark,
		    sizeof(mark)) == -1)
			fatal("SO_MARK");
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)parse_port(argv[1]));
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1)
		fatal("bind");
	if (tcp && listen(fd, 16) == -1)
		fatal("listen");
	signals();
	printf("listening\n");
	fflush(stdout);
	while (!got_term) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) <= 0)
			continue;
		if (tcp) {
			if ((c = accept(fd, NULL, NULL)) >= 0) {
				(void)write(c, "hi\n", 3);
				(void)close(c);
			}
			continue;
		}
		slen = sizeof(sin6);
		got = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&sin6, &slen);
		if (got > 0)
			(void)sendto(fd, buf, (size_t)got, 0,
			    (struct sockaddr *)&sin6, slen);
	}
	(void)close(fd);
	return 0;
}

static int
cmd_connect(int argc, char **argv)
{
	struct sockaddr_in6	 sin6;
	struct pollfd		 pfd;
	socklen_t		 len;
	int			 fd, err = 0, timeout;

	if (argc != 3)
		fatalx("usage: connect ADDR6 PORT TIMEOUT_MS");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	parse_v6(argv[0], &sin6.sin6_addr);
	sin6.sin6_port = htons((uint16_t)parse_port(argv[1]));
	timeout = atoi(argv[2]);
	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 &&
	    errno != EINPROGRESS) {
		printf("error %s\n", strerror(errno));
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout) <= 0) {
		printf("timeout\n");
		return 1;
	}
	len = sizeof(err);
	(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		printf("error %s\n", strerror(err));
		return 1;
	}
	printf("connected\n");
	(void)close(fd);
	return 0;
}

static int
cmd_udp_ask(int argc, char **argv)
{
	struct sockaddr_in6	 sin6;
	struct pollfd		 pfd;
	char			 buf[64];
	int			 fd;

	if (argc != 3)
		fatalx("usage: udp-ask ADDR6 PORT TIMEOUT_MS");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	parse_v6(argv[0], &sin6.sin6_addr);
	sin6.sin6_port = htons((uint16_t)parse_port(argv[1]));
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 ||
	    send(fd, "ping", 4, 0) != 4)
		fatal("send");
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, atoi(argv[2])) <= 0 ||
	    recv(fd, buf, sizeof(buf), 0) != 4) {
		printf("timeout\n");
		return 1;
	}
	printf("reply\n");
	return 0;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/* Upper-layer checksum over the IPv6 pseudo-header (RFC 8200 8.1). */
static uint16_t
csum6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nh,
    const void *data, size_t len)
{
	uint8_t		 ph[8] = { 0 };
	uint32_t	 sum = 0;

	ph[0] = (uint8_t)(len >> 24);
	ph[1] = (uint8_t)(len >> 16);
	ph[2] = (uint8_t)(len >> 8);
	ph[3] = (uint8_t)len;
	ph[7] = nh;
	sum = csum_add(sum, src, 16);
	sum = csum_add(sum, dst, 16);
	sum = csum_add(sum, ph, sizeof(ph));
	sum = csum_add(sum, data, len);
	return csum_fold(sum);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* IPv6 header at p for payload plen, first next header nh. */
static void
ip6_header(uint8_t *p, const struct in6_addr *src, const struct in6_addr *dst,
    uint8_t nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

static int
cmd_rh(int argc, char **argv)
{
	struct in6_addr		 src, dst;
	struct sockaddr_in6	 sin6;
	struct pollfd		 pfd;
	uint8_t			 pkt[256], buf[2048], *icmp;
	size_t			 rh_len, icmp_len = 16, len;
	uint16_t		 ident = (uint16_t)getpid(), sum;
	long			 end;
	ssize_t			 got;
	int			 s, r, timeout;
	bool			 with_rh;

	if (argc < 3)
		fatalx("usage: rh SRC6 DST6 TIMEOUT_MS [norh]");
	parse_v6(argv[0], &src);
	parse_v6(argv[1], &dst);
	timeout = atoi(argv[2]);
	with_rh = !(argc > 3 && strcmp(argv[3], "norh") == 0);
	rh_len = with_rh ? 24 : 0;	/* type 0, one address */

	ip6_header(pkt, &src, &dst, with_rh ? IPPROTO_ROUTING : IPPROTO_ICMPV6,
	    rh_len + icmp_len);
	if (with_rh) {
		uint8_t	*rh = pkt + 40;

		memset(rh, 0, rh_len);
		rh[0] = IPPROTO_ICMPV6;	/* next header */
		rh[1] = 2;		/* length: 2 x 8 octets beyond the first */
		rh[2] = 0;		/* type 0 (RFC 2460, deprecated by 5095) */
		rh[3] = 0;		/* segments left */
		memcpy(rh + 8, &dst, 16);
	}
	icmp = pkt + 40 + rh_len;
	memset(icmp, 0, icmp_len);
	icmp[0] = ICMP6_ECHO_REQUEST;
	put16(icmp + 4, ident);
	put16(icmp + 6, 1);
	memcpy(icmp + 8, "shipworm", 8);
	sum = csum6(&src, &dst, IPPROTO_ICMPV6, icmp, icmp_len);
	put16(icmp + 2, sum);
	len = 40 + rh_len + icmp_len;

	if ((r = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)) == -1)
		fatal("socket icmpv6");
	if ((s = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)) == -1)
		fatal("socket raw");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = dst;
	if (sendto(s, pkt, len, 0, (struct sockaddr *)&sin6,
	    sizeof(sin6)) != (ssize_t)len)
		fatal("sendto");
	end = now_ms() + timeout;
	while (now_ms() < end) {
		pfd.fd = r;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		got = recv(r, buf, sizeof(buf), 0);
		/* raw ICMPv6 sockets get the ICMPv6 message only */
		if (got >= 8 && buf[0] == ICMP6_ECHO_REPLY &&
		    buf[4] == (uint8_t)(ident >> 8) &&
		    buf[5] == (uint8_t)ident) {
			printf("reply\n");
			return 0;
		}
	}
	printf("silent\n");
	return 1;
}

static int
cmd_p41(int argc, char **argv)
{
	struct in_addr		 src4, dst4;
	struct in6_addr		 src6, dst6;
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	uint8_t			 pkt[60], buf[2048], *tcp;
	struct ip		*ip;
	size_t			 hl;
	long			 end;
	ssize_t			 got;
	int			 s, r, timeout, port;

	if (argc != 6)
		fatalx("usage: p41 SRC4 DST4 SRC6 DST6 PORT TIMEOUT_MS");
	parse_v4(argv[0], &src4);
	parse_v4(argv[1], &dst4);
	parse_v6(argv[2], &src6);
	parse_v6(argv[3], &dst6);
	port = parse_port(argv[4]);
	timeout = atoi(argv[5]);

	ip6_header(pkt, &src6, &dst6, IPPROTO_TCP, 20);
	tcp = pkt + 40;
	memset(tcp, 0, 20);
	put16(tcp, 40000);
	put16(tcp + 2, (uint16_t)port);
	tcp[4] = 0x12;			/* sequence number */
	tcp[12] = 5 << 4;		/* data offset */
	tcp[13] = 0x02;			/* SYN */
	put16(tcp + 14, 65535);
	put16(tcp + 16, csum6(&src6, &dst6, IPPROTO_TCP, tcp, 20));

	if ((r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) == -1)
		fatal("socket icmp");
	if ((s = socket(AF_INET, SOCK_RAW, IPPROTO_IPV6)) == -1)
		fatal("socket raw 41");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = src4;
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fatal("bind %s", argv[0]);
	sin.sin_addr = dst4;
	if (sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&sin,
	    sizeof(sin)) != (ssize_t)sizeof(pkt))
		fatal("sendto");
	end = now_ms() + timeout;
	while (now_ms() < end) {
		pfd.fd = r;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		got = recv(r, buf, sizeof(buf), 0);
		if (got < 20)
			continue;
		ip = (struct ip *)(void *)buf;
		hl = (size_t)ip->ip_hl * 4;
		if (ip->ip_src.s_addr == dst4.s_addr &&
		    (size_t)got >= hl + 2 && buf[hl] == 3 && buf[hl + 1] == 2) {
			printf("unreach\n");
			return 0;
		}
	}
	printf("silent\n");
	return 1;
}

int
main(int argc, char **argv)
{
	log_init("fw_probe", true, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		fatalx("usage: fw_probe hold|listeners|cgroup|tree|self-cgroup|"
		    "listen|connect|udp-ask|rh|p41 ...");
	if (strcmp(argv[1], "hold") == 0)
		return cmd_hold(argc - 2, argv + 2);
	if (strcmp(argv[1], "listeners") == 0)
		return cmd_listeners(argc - 2, argv + 2);
	if (strcmp(argv[1], "cgroup") == 0)
		return cmd_cgroup(argc - 2, argv + 2);
	if (strcmp(argv[1], "tree") == 0)
		return cmd_tree(argc - 2, argv + 2);
	if (strcmp(argv[1], "self-cgroup") == 0)
		return cmd_self_cgroup();
	if (strcmp(argv[1], "listen") == 0)
		return cmd_listen(argc - 2, argv + 2);
	if (strcmp(argv[1], "connect") == 0)
		return cmd_connect(argc - 2, argv + 2);
	if (strcmp(argv[1], "udp-ask") == 0)
		return cmd_udp_ask(argc - 2, argv + 2);
	if (strcmp(argv[1], "rh") == 0)
		return cmd_rh(argc - 2, argv + 2);
	if (strcmp(argv[1], "p41") == 0)
		return cmd_p41(argc - 2, argv + 2);
	fatalx("unknown subcommand %s", argv[1]);
}
