/*
 * cgroup.h - cgroup v2 paths and ids, for the edge policy (HARD-2): the
 * firewall grants by cgroup id and level (nftables `socket cgroupv2 level
 * L`), sock_diag reports a socket's cgroup id (INET_DIAG_CGROUP_ID), and
 * the edge socket checks a caller's cgroup path.
 *
 * A cgroup's id is the inode number of its directory in the cgroup2 file
 * system: on 64-bit kernels that is the kernfs node id, which is what
 * cgroup_id() returns to nftables and sock_diag (name_to_handle_at(2)
 * gives the same 64-bit value).  Its level is its depth: "/" is 0,
 * "/a/b" is 2.  Paths are below the cgroup2 root, start with '/', and
 * have no "." or ".." components.  All calls return 0 or -errno.
 */
#ifndef SW_SYS_CGROUP_H
#define SW_SYS_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where cgroup2 is mounted: /sys/fs/cgroup when that is cgroup2, else
 * /sys/fs/cgroup/unified (the hybrid layout), else the first cgroup2 mount
 * in /proc/self/mountinfo; -ENOENT when there is none. */
int sys_cgroup2_root(char *buf, size_t n);

/* Id and level of cgroup path (below root); -ENOTDIR/-ENOENT when it is
 * not a cgroup directory, -EINVAL for a bad path. */
int sys_cgroup_id(const char *root, const char *path, uint64_t *id,
    uint8_t *level);

/* The cgroup2 path of process pid (0: ourselves), from the "0::" line of
 * /proc/PID/cgroup. */
int sys_cgroup_of_pid(pid_t pid, char *buf, size_t n);

/* Ids of path and every cgroup below it (directory order, path first);
 * *n counts them all and may exceed max (then only max are stored). */
int sys_cgroup_tree(const char *root, const char *path, uint64_t *ids,
    size_t max, size_t *n);

#endif /* SW_SYS_CGROUP_H */
