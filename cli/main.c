/*
 * main.c - shipworm(8): ask a running shipwormd over its control socket.
 *
 *	shipworm status [--json] [-i ifname | -s socket]
 *	shipworm edge allow|deny|defer|remove unit NAME|cgroup PATH|uid N
 *	shipworm edge list
 *	    [-c config] [-D dir] [-i ifname | -s socket]
 *
 * edge: see edge.h.  -c: the daemon's configuration file, for its
 * InterfaceName (the default sockets) and EdgePolicyDir; -D: the policy
 * directory itself (default: the configuration's, else
 * /etc/shipworm/edge.d).  The edge socket is the control socket's name
 * with ".edge" for ".sock".
 *
 * The request is one line, "status\n"; the answer, key=value lines read
 * to end of file, is checked (report.c) and printed as a report or as
 * JSON.  Exit 0, 1 when the daemon cannot be reached or answers badly,
 * 2 on a usage error.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "edge.h"
#include "report.h"

#define CONTROL_DIR	"/run/shipworm"
#define DEFAULT_IFNAME	"teredo"
#define DEFAULT_EDGE_DIR "/etc/shipworm/edge.d"
#define CONFIG_MAX	(1 << 20)

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: shipworm status [--json] "
	    "[-i ifname | -s socket]\n"
	    "       shipworm edge allow|deny|defer|remove "
	    "unit NAME|cgroup PATH|uid N\n"
	    "       shipworm edge list\n"
	    "       edge options: [-c config] [-D dir] "
	    "[-i ifname | -s socket]\n");
	exit(2);
}

void
cli_die(const char *fmt, ...)
{
	va_list ap;

	fputs("shipworm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int
cli_talk(const char *path, const char *req, char *buf, size_t size,
    size_t *len, const char **step)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CLI_TIMEOUT_S };
	size_t rlen = strlen(req);
	int fd, e;

	*len = 0;
	buf[0] = '\0';
	*step = "path";
	if (strlen(path) >= sizeof sun.sun_path)
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	*step = "socket";
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	*step = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1)
		goto fail;
	*step = "connect";
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		goto fail;
	*step = "send";
	errno = 0;
	if (send(fd, req, rlen, MSG_NOSIGNAL) != (ssize_t)rlen)
		goto fail;
	(void)shutdown(fd, SHUT_WR);
	*step = "recv";
	while (*len < size - 1) {
		ssize_t n = recv(fd, buf + *len, size - 1 - *len, 0);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	buf[*len] = '\0';
	return 0;
fail:
	e = errno != 0 ? errno : EIO;	/* a short send sets none */
	close(fd);
	buf[*len] = '\0';
	return -e;
}

/* Send the request and read the whole answer into buf (NUL-terminated);
 * any failure is the end. */
static size_t
ask(const char *path, const char *request, char *buf, size_t size)
{
	const char *step;
	size_t len;
	int r = cli_talk(path, request, buf, size, &len, &step);

	if (r == 0 && len == size - 1)
		cli_die("answer from shipwormd at %s is too long", path);
	if (r == 0)
		return len;
	if (strcmp(step, "path") == 0)
		cli_die("%s: socket path too long", path);
	if (strcmp(step, "connect") == 0)
		cli_die("cannot reach shipwormd at %s: %s", path, strerror(-r));
	if (strcmp(step, "send") == 0)
		cli_die("cannot send to shipwormd at %s: %s", path,
		    strerror(-r));
	if (strcmp(step, "recv") == 0 && (r == -EAGAIN || r == -EWOULDBLOCK))
		cli_die("shipwormd at %s did not answer in %d s", path,
		    CLI_TIMEOUT_S);
	if (strcmp(step, "recv") == 0)
		cli_die("reading from shipwormd at %s: %s", path, strerror(-r));
	cli_die("%s: %s", step, strerror(-r));
}

static int
cmd_status(const char *path, bool json)
{
	static char buf[REPORT_MAX_BYTES];
	static struct report r;
	const char *why, *err;
	size_t len = ask(path, "status\n", buf, sizeof buf);

	if (len == 0)
		cli_die("shipwormd at %s closed the connection without an answer",
		    path);
	if (memchr(buf, '\0', len) != NULL)
		cli_die("malformed answer from shipwormd at %s: NUL byte", path);
	if (report_parse(&r, buf, &why) != 0)
		cli_die("malformed answer from shipwormd at %s: %s", path, why);
	if ((err = report_get(&r, "error")) != NULL)
		cli_die("shipwormd at %s: %s", path, err);
	if (json)
		report_json(stdout, &r);
	else
		report_text(stdout, &r);
	if (fflush(stdout) == EOF || ferror(stdout))
		cli_die("stdout: %s", strerror(errno));
	return 0;
}

/* -c: the daemon's configuration, parsed as the daemon does. */
static void
read_config(const char *path, struct sw_conf *c)
{
	static char buf[CONFIG_MAX];
	char err[SW_CONF_ERR_MAX];
	size_t len = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		cli_die("%s: %s", path, strerror(errno));
	len = fread(buf, 1, sizeof buf - 1, f);
	if (ferror(f) || !feof(f))
		cli_die("%s: cannot read it whole", path);
	fclose(f);
	if (sw_conf_parse(c, buf, len, err) != 0)
		cli_die("%s: %s", path, err);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{ "policy-dir", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sw_conf conf;
	char path[PATH_MAX], edge_path[PATH_MAX];
	const char *sock = NULL, *ifname = NULL, *config = NULL, *dir = NULL;
	bool json = false, edge;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:D:hi:js:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'D':
			dir = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	edge = strcmp(argv[0], "edge") == 0;
	if (!edge && (argc != 1 || strcmp(argv[0], "status") != 0))
		usage();
	if (sock != NULL && ifname != NULL)
		usage();
	if (!edge && (config != NULL || dir != NULL))
		usage();
	if (config != NULL) {
		read_config(config, &conf);
		if (ifname == NULL && sock == NULL)
			ifname = conf.ifname;
		if (dir == NULL && conf.role == SW_ROLE_CLIENT)
			dir = conf.edge_dir;
	}
	if (sock == NULL) {
		if (ifname == NULL)
			ifname = DEFAULT_IFNAME;
		if (ifname[0] == '\0' || strchr(ifname, '/') != NULL)
			cli_die("-i %s: not an interface name", ifname);
		if (snprintf(path, sizeof path, "%s/%s.sock", CONTROL_DIR,
		    ifname) >= (int)sizeof path)
			cli_die("-i: name too long");
		sock = path;
	}
	if (edge) {
		struct edge_opts eo = {
			.dir = dir != NULL ? dir : DEFAULT_EDGE_DIR,
			.ctl_sock = sock,
			.edge_sock = edge_path,
		};
		size_t len = strlen(sock);

		if (json)
			usage();
		if (dir != NULL && dir[0] == '\0')
			cli_die("-D: empty directory name");
		if (len > 5 && strcmp(sock + len - 5, ".sock") == 0)
			len -= 5;
		if (snprintf(edge_path, sizeof edge_path, "%.*s.edge",
		    (int)len, sock) >= (int)sizeof edge_path)
			cli_die("%s: socket path too long", sock);
		return edge_main(&eo, argc - 1, argv + 1);
	}
	return cmd_status(sock, json);
}
