/*
 * tun.c - the Teredo tunnel interface (see tun.h).
 *
 * IFF_TUN | IFF_NO_PI: each read(2)/write(2) is one bare IPv6 packet.  The
 * interface is not made persistent (no TUNSETPERSIST), so the kernel
 * removes it when the last descriptor closes: a daemon that dies leaves
 * no stale interface, address or route behind.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <stdio.h>

#include "tun.h"

#define TUN_DEV	"/dev/net/tun"
#define TUN_CONF "/proc/sys/net/ipv6/conf"

int
sys_tun_open(const char *name, int *ifindex)
{
	struct ifreq	 ifr;
	unsigned	 idx;
	int		 fd, rc;

	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ)
		return -EINVAL;

	fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		rc = -errno;
		goto err_close;
	}

	/* The kernel may have changed the name (a "%d" template). */
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	if ((idx = if_nametoindex(ifr.ifr_name)) == 0) {
		rc = -errno;
		goto err_close;
	}
	if (ifindex != NULL)
		*ifindex = (int)idx;
	return fd;

 err_close:
	close(fd);
	return rc;
}

int
sys_tun_no_ra(const char *name, const char **what)
{
	static const char *const off[] = {
		"accept_ra", "accept_redirects", "autoconf",
	};
	char	 path[sizeof(TUN_CONF) + IFNAMSIZ + 32];
	size_t	 i;
	int	 fd, rc;

	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ ||
	    strchr(name, '/') != NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		*what = off[i];
		(void)snprintf(path, sizeof(path), "%s/%s/%s", TUN_CONF, name,
		    off[i]);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
			return -errno;
		rc = write(fd, "0\n", 2) == 2 ? 0 : -errno;
		close(fd);
		if (rc != 0)
			return rc;
	}
	return 0;
}
