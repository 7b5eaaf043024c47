// SPDX-License-Identifier: GPL-2.0
/* Control socket access rules: see ctl_access.h. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/ctl_access.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

int ctl_access_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group *g;
	char *end;
	unsigned long n;

	errno = 0;
	g = getgrnam(name);
	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	n = strtoul(name, &end, 10);
	if (*name && !*end && n < (gid_t)-1) {
		*gid = (gid_t)n;
		return 0;
	}
	snprintf(err, errlen, "group \"%s\": %s", name,
		 errno ? strerror(errno) : "no such group");
	return errno ? -errno : -ENOENT;
}

static bool peer_in(const struct ctl_peer *p, gid_t gid)
{
	if (p->gid == gid)
		return true;
	for (int i = 0; i < p->ngroups; i++)
		if (p->groups[i] == gid)
			return true;
	return false;
}

enum ctl_level ctl_access_level(const struct ctl_access *a, const struct ctl_peer *p)
{
	if (p->uid == 0 || (a->has_admin && peer_in(p, a->admin_gid)))
		return CTL_LEVEL_ADMIN;
	if (a->has_ro && peer_in(p, a->ro_gid))
		return CTL_LEVEL_READ;
	return CTL_LEVEL_NONE;
}

/* "root", "root or in group G", "root or in group G or H" for the messages. */
static void who_may(const struct ctl_access *a, bool readonly, char *buf, size_t len)
{
	bool ro = readonly && a->has_ro;

	if (a->has_admin && ro)
		snprintf(buf, len, "root or in group %s or %s", a->admin_name, a->ro_name);
	else if (a->has_admin)
		snprintf(buf, len, "root or in group %s", a->admin_name);
	else if (ro)
		snprintf(buf, len, "root or in group %s", a->ro_name);
	else
		snprintf(buf, len, "root");
}

int ctl_access_check(const struct ctl_access *a, const struct ctl_peer *p, enum ctl_level lv,
		     bool readonly, const char *what, char *err, size_t errlen)
{
	char who[2 * CTL_GROUP_NAME + 40];

	if (lv == CTL_LEVEL_ADMIN || (lv == CTL_LEVEL_READ && readonly))
		return 0;
	if (lv == CTL_LEVEL_READ) {
		who_may(a, false, who, sizeof(who));
		snprintf(err, errlen,
			 "permission denied: uid %u (group %s) may only show; \"%s\" needs %s",
			 (unsigned int)p->uid, a->ro_name, what, who);
		return -EACCES;
	}
	who_may(a, true, who, sizeof(who));
	snprintf(err, errlen, "permission denied: uid %u is not %s", (unsigned int)p->uid, who);
	return -EACCES;
}

/* SO_PEERGROUPS into a buffer as large as the kernel asks; the first that fit kept. */
static int peer_groups_big(int fd, struct ctl_peer *p)
{
	socklen_t len = 0;
	gid_t *g;
	int n = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) < 0 && errno != ERANGE)
		return 0;
	g = malloc(len ? len : 1);
	if (g && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
		n = (int)(len / sizeof(gid_t));
		if (n > (int)(sizeof(p->groups) / sizeof(gid_t)))
			n = (int)(sizeof(p->groups) / sizeof(gid_t));
		memcpy(p->groups, g, (size_t)n * sizeof(gid_t));
	}
	free(g);
	return n;
}

int ctl_access_peer(int fd, struct ctl_peer *p)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	p->pid = cr.pid;
	p->uid = cr.uid;
	p->gid = cr.gid;
	/* Supplementary groups as at connect (Linux 4.13+). On an older kernel
	 * the peer is judged on its primary group; with more groups than fit
	 * (ERANGE, len then says how many), on the first that fit. */
	len = sizeof(p->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0)
		p->ngroups = (int)(len / sizeof(gid_t));
	else if (errno == ERANGE)
		p->ngroups = peer_groups_big(fd, p);
	return 0;
}
