/*
 * main.c - shipwormd(8): options, the configuration, then the parent.
 *
 *	shipwormd [-dnv] [-f file] [-s socket]
 *
 * With -n the configuration is read, its server names resolved and its
 * KeyFile read, exactly as at start-up, and a client's edge policy
 * (EdgePolicyDir); "configuration OK" (exit 0) or one line naming the
 * file and the setting or line (exit 1).  Nothing else is done,
 * so -n needs no privileges.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "guard.h"
#include "log.h"
#include "parent.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: shipwormd [-dnv] [-f file] [-s socket]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	static struct config cf;
	char err[CONFIG_ERR_MAX];
	char ctl_path[PATH_MAX];
	const char *path = CONFIG_DEFAULT_PATH, *sock = NULL;
	struct parent_opts o = { .foreground = false };
	bool nflag = false;
	int ch;

	while ((ch = getopt(argc, argv, "df:hns:v")) != -1) {
		switch (ch) {
		case 'd':
			o.foreground = true;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			nflag = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'v':
			if (o.verbose < 9)
				o.verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	/* fds 0-2 open (/dev/null for a closed one): a socket made later
	 * must never land there, where the engine's stdio goes. */
	for (int fd = 0; fd <= STDERR_FILENO; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) == -1)
			return 1;
	/* Until the daemon runs, every message goes to stderr. */
	log_init("shipwormd", true, o.verbose);
	if (config_load(&cf, path, err) != 0) {
		fprintf(stderr, "shipwormd: %s\n", err);
		return 1;
	}
	if (nflag) {
		if (cf.conf.role == SW_ROLE_CLIENT) {
			static struct sw_edge_policy pol;
			char perr[GUARD_ERR_MAX];

			if (guard_policy_load(cf.conf.edge_dir, &pol,
			    perr) != 0) {
				config_wipe(&cf);
				fprintf(stderr, "shipwormd: %s\n", perr);
				return 1;
			}
		}
		config_wipe(&cf);
		printf("configuration OK\n");
		return 0;
	}
	if (geteuid() != 0) {
		config_wipe(&cf);
		fprintf(stderr, "shipwormd: need root privileges\n");
		return 1;
	}
	if (sock == NULL) {
		if (control_default_path(ctl_path, sizeof ctl_path,
		    cf.conf.ifname) != 0) {
			fprintf(stderr, "shipwormd: control socket path too "
			    "long\n");
			return 1;
		}
		sock = ctl_path;
	}
	if (sock[0] == '\0') {
		fprintf(stderr, "shipwormd: -s: empty path\n");
		return 1;
	}
	o.ctl_path = sock;
	return parent_main(&cf, &o);
}
