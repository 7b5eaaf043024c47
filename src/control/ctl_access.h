/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who may use the control socket (ufoud -g ADMIN_GROUP -r READONLY_GROUP),
 * decided from the peer's credentials as the kernel recorded them at
 * connect (SO_PEERCRED, SO_PEERGROUPS): uid 0 and members of the admin
 * group may change things, members of the read-only group may show them,
 * nobody else may do anything. Pure: no I/O but the group lookups.
 */
#ifndef UFOU_CONTROL_CTL_ACCESS_H
#define UFOU_CONTROL_CTL_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum ctl_level { CTL_LEVEL_NONE, CTL_LEVEL_READ, CTL_LEVEL_ADMIN };

#define CTL_GROUP_NAME 64

struct ctl_access {
	bool has_admin, has_ro;
	gid_t admin_gid, ro_gid;
	char admin_name[CTL_GROUP_NAME], ro_name[CTL_GROUP_NAME];
};

/* A peer's identity: uid, primary gid and supplementary groups. */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[256];     /* more than that: judged on the first 256 */
};

/* Resolves a group name (or number) into *gid; -ENOENT with a message naming it. */
int ctl_access_group(const char *name, gid_t *gid, char *err, size_t errlen);
/* What a peer may do. */
enum ctl_level ctl_access_level(const struct ctl_access *a, const struct ctl_peer *p);
/*
 * Whether a peer of level lv may run the request: 0, or -EACCES with the
 * reason in err (naming the uid and the groups that would have let it in).
 * readonly: the request only shows.
 */
int ctl_access_check(const struct ctl_access *a, const struct ctl_peer *p, enum ctl_level lv,
		     bool readonly, const char *what, char *err, size_t errlen);
/* The peer's credentials of a connected Unix socket; 0 or -errno. */
int ctl_access_peer(int fd, struct ctl_peer *p);

#endif
