/*
 * cgroup.c - cgroup v2 root, ids, levels and trees (see cgroup.h).
 *
 * Ids are st_ino of the cgroup directory (64-bit kernfs: the node id that
 * cgroup_id() gives nftables' `socket cgroupv2` and sock_diag's
 * INET_DIAG_CGROUP_ID).  Every directory is checked to be on a cgroup2
 * file system (statfs CGROUP2_SUPER_MAGIC), so a path into some other
 * file system never yields an id.
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <linux/magic.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

#define CG_MAX_DEPTH	256	/* levels walked below a path: the nft
				   level is a byte anyway */
#define CG_PATH_MAX	4096

static bool
is_cgroup2(const char *dir)
{
	struct statfs	 sfs;

	return statfs(dir, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Unescape mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char	*d = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) |
			    (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

int
sys_cgroup2_root(char *buf, size_t n)
{
	static const char *const guess[] = {
		"/sys/fs/cgroup", "/sys/fs/cgroup/unified",
	};
	FILE	*f;
	char	*line = NULL, *mnt, *sep, *fstype, *save;
	size_t	 cap = 0, i;
	int	 rc = -ENOENT, k;

	for (i = 0; i < sizeof(guess) / sizeof(guess[0]); i++) {
		if (is_cgroup2(guess[i])) {
			if ((size_t)snprintf(buf, n, "%s", guess[i]) >= n)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - cgroup2 ..." */
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -errno;
	while (getline(&line, &cap, f) != -1) {
		mnt = NULL;
		strtok_r(line, " ", &save);
		for (k = 1; k < 5; k++)
			mnt = strtok_r(NULL, " ", &save);
		if (mnt == NULL)
			continue;
		while ((sep = strtok_r(NULL, " ", &save)) != NULL &&
		    strcmp(sep, "-") != 0)
			;
		if (sep == NULL ||
		    (fstype = strtok_r(NULL, " ", &save)) == NULL ||
		    strcmp(fstype, "cgroup2") != 0)
			continue;
		unescape(mnt);
		if (!is_cgroup2(mnt))
			continue;
		rc = (size_t)snprintf(buf, n, "%s", mnt) >= n ?
		    -ENAMETOOLONG : 0;
		break;
	}
	free(line);
	(void)fclose(f);
	return rc;
}

/* Check path ("/", "/a/b", no "." / ".." / empty components but for
 * doubled slashes) and count its components. */
static int
path_level(const char *path, unsigned *level)
{
	const char	*p = path, *c;
	size_t		 len;
	unsigned	 l = 0;

	if (path == NULL || path[0] != '/' || strlen(path) >= CG_PATH_MAX)
		return -EINVAL;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		len = (size_t)(p - c);
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		l++;
	}
	*level = l;
	return 0;
}

int
sys_cgroup_id(const char *root, const char *path, uint64_t *id,
    uint8_t *level)
{
	struct stat	 st;
	char		 full[CG_PATH_MAX * 2];
	unsigned	 l;
	int		 rc;

	if ((rc = path_level(path, &l)) < 0)
		return rc;
	if (l > 255)
		return -ERANGE;
	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >=
	    sizeof(full))
		return -ENAMETOOLONG;
	if (stat(full, &st) == -1)
		return -errno;
	if (!S_ISDIR(st.st_mode) || !is_cgroup2(full))
		return -ENOTDIR;
	*id = (uint64_t)st.st_ino;
	*level = (uint8_t)l;
	return 0;
}

int
sys_cgroup_of_pid(pid_t pid, char *buf, size_t n)
{
	FILE	*f;
	char	 name[64], *line = NULL;
	size_t	 cap = 0, len;
	ssize_t	 got;
	int	 rc = -ENOENT;

	if (pid == 0)
		(void)snprintf(name, sizeof(name), "/proc/self/cgroup");
	else
		(void)snprintf(name, sizeof(name), "/proc/%ld/cgroup",
		    (long)pid);
	if ((f = fopen(name, "re")) == NULL)
		return -errno;
	while ((got = getline(&line, &cap, f)) != -1) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		len = (size_t)got;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		/* " (deleted)" would follow a cgroup removed under us */
		rc = (size_t)snprintf(buf, n, "%s", line + 3) >= n ?
		    -ENAMETOOLONG : 0;
		break;
	}
	free(line);
	(void)fclose(f);
	return rc;
}

/* Every subdirectory of dfd (a cgroup; closed here), depth first. */
static int
tree_walk(int dfd, unsigned depth, uint64_t *ids, size_t max, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 fd, rc = 0;

	if (depth > CG_MAX_DEPTH) {
		(void)close(dfd);
		return -ELOOP;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		rc = -errno;
		(void)close(dfd);
		return rc;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		fd = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;	/* removed meanwhile */
			rc = -errno;
			break;
		}
		if (fstat(fd, &st) == -1) {
			rc = -errno;
			(void)close(fd);
			break;
		}
		if (*n < max)
			ids[*n] = (uint64_t)st.st_ino;
		(*n)++;
		if ((rc = tree_walk(fd, depth + 1, ids, max, n)) < 0)
			break;
	}
	if (rc == 0 && errno != 0)
		rc = -errno;
	(void)closedir(d);
	return rc;
}

int
sys_cgroup_tree(const char *root, const char *path, uint64_t *ids,
    size_t max, size_t *n)
{
	char		 full[CG_PATH_MAX * 2];
	uint64_t	 id;
	uint8_t		 level;
	int		 fd, rc;

	*n = 0;
	if ((rc = sys_cgroup_id(root, path, &id, &level)) < 0)
		return rc;
	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	if ((fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	if (max > 0)
		ids[0] = id;
	*n = 1;
	return tree_walk(fd, 0, ids, max, n);
}
