/*
 * os.c - the monotonic clock and getrandom(2), for the core's sw_time
 * and struct sw_rng (see os.h).
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "os.h"

sw_time
sys_now(void)
{
	struct timespec	 ts;

	/* Cannot fail with a valid clock id and pointer. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (sw_time)ts.tv_sec * SW_SEC + (sw_time)ts.tv_nsec / 1000;
}

int
sys_random(void *buf, size_t len)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		/* Blocks only until the pool is initialised (flags 0). */
		n = getrandom(p, len, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
rng_fill(void *ctx, void *buf, size_t len)
{
	int	 rc;

	(void)ctx;
	if ((rc = sys_random(buf, len)) < 0) {
		errno = -rc;
		fatal("getrandom");
	}
}

struct sw_rng
sys_rng(void)
{
	return (struct sw_rng){ .fill = rng_fill, .ctx = NULL };
}

int
sys_file_trusted(const struct stat *st, mode_t deny, char *why, size_t n)
{
	if ((st->st_mode & deny) != 0) {
		(void)snprintf(why, n, "is %s by group or others (mode %04o)",
		    (deny & (S_IRGRP | S_IROTH)) != 0 ? "accessible" :
		    "writable", (unsigned)(st->st_mode & 07777));
		return -EACCES;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		(void)snprintf(why, n, "is owned by uid %u, not by root",
		    (unsigned)st->st_uid);
		return -EPERM;
	}
	return 0;
}

/* deny_set: judge the open file with sys_file_trusted(deny) first. */
static ssize_t
read_small(const char *path, int oflags, bool deny_set, mode_t deny,
    char *buf, size_t size, char *why, size_t n)
{
	struct stat st;
	size_t len = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags)) == -1)
		return -errno;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (deny_set && (r = sys_file_trusted(&st, deny, why, n)) != 0) {
		close(fd);
		return r;
	}
	for (;;) {
		ssize_t got = read(fd, buf + len, size - 1 - len);

		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len == size - 1) {
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t
sys_read_small(const char *path, int oflags, char *buf, size_t size)
{
	return read_small(path, oflags, false, 0, buf, size, NULL, 0);
}

ssize_t
sys_read_trusted(const char *path, int oflags, mode_t deny, char *buf,
    size_t size, char *why, size_t n)
{
	return read_small(path, oflags, true, deny, buf, size, why, n);
}

size_t
sys_cmsg_rights(const struct msghdr *mh, ssize_t n, int *fds, size_t max)
{
	size_t got = 0;

	if (n < 0)
		return 0;
	/* CMSG_NXTHDR takes a non-const header; it only reads it */
	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h != NULL;
	    h = CMSG_NXTHDR((struct msghdr *)(uintptr_t)mh, h)) {
		size_t nfd;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
		    h->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t k = 0; k < nfd; k++, got++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + k * sizeof(int), sizeof fd);
			if (got < max)
				fds[got] = fd;
			else
				(void)close(fd);
		}
	}
	return got;
}
