/*
 * control.c - the control socket's file (see control.h).  Serving it is
 * the engine's business (engine.c).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

int
control_default_path(char *buf, size_t size, const char *ifname)
{
	int n = snprintf(buf, size, "%s/%s.sock", CONTROL_DIR, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

#define DIR_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* The directory part of path into dir; false when there is none. */
static bool
dir_of(const char *path, char dir[static DIR_MAX])
{
	char *slash;

	(void)snprintf(dir, DIR_MAX, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return false;
	*slash = '\0';
	return true;
}

/* Make the socket's directory when it is missing (one level, 0755). */
static int
make_dir(const char *path, bool *made)
{
	char dir[DIR_MAX];

	*made = false;
	if (!dir_of(path, dir))
		return 0;
	if (mkdir(dir, 0755) == -1) {
		if (errno == EEXIST)
			return 0;
		log_warn("control: mkdir %s", dir);
		return -errno;
	}
	*made = true;
	if (chmod(dir, 0755) == -1)	/* whatever the umask */
		log_warn("control: chmod %s", dir);
	return 0;
}

/* bind(2) with the socket file made 0660. */
static int
bind_0660(int fd, const struct sockaddr_un *sun)
{
	mode_t old = umask(0117);
	int r = bind(fd, (const struct sockaddr *)sun, sizeof *sun);
	int e = errno;

	umask(old);
	errno = e;
	return r;
}

/* True when a daemon answers on path. */
static bool
in_use(const struct sockaddr_un *sun)
{
	int fd, r;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	r = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	close(fd);
	return r == 0;
}

int
control_open(const char *path, bool *dir_made)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof sun.sun_path) {
		log_warnx("control: %s: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((r = make_dir(path, dir_made)) != 0)
		return r;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("control: %s exists and is not a socket",
			    path);
			return -EEXIST;
		}
		if (in_use(&sun)) {
			log_warnx("control: %s: another shipwormd is "
			    "running", path);
			return -EADDRINUSE;
		}
		if (unlink(path) == -1) {
			log_warn("control: unlink stale %s", path);
			return -errno;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("control: socket");
		return -errno;
	}
	r = bind_0660(fd, &sun);
	if (r == -1 && errno == ENOENT && make_dir(path, dir_made) == 0) {
		/* Another daemon's exit removed the shared directory. */
		r = bind_0660(fd, &sun);
	}
	if (r == -1) {
		r = -errno;
		log_warn("control: bind %s", path);
		goto err_close;
	}
	if (listen(fd, CONTROL_CONNS) == -1) {
		r = -errno;
		log_warn("control: listen %s", path);
		goto err_unlink;
	}
	return fd;

err_unlink:
	(void)unlink(path);
err_close:
	close(fd);
	return r;
}

void
control_unlink(const char *path, bool dir_made)
{
	char dir[DIR_MAX];

	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("control: unlink %s", path);
	/* Shared by every daemon of the host: the last one removes it. */
	if (dir_of(path, dir) && (dir_made || strcmp(dir, CONTROL_DIR) == 0))
		(void)rmdir(dir);
}
