/*
 * os.c - the monotonic clock and getrandom(2), for the core's sw_time
 * and struct sw_rng (see os.h).
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

ssize_t
sys_read_small(const char *path, int oflags, char *buf, size_t size)
{
	struct stat st;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags)) == -1)
		return -errno;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}
