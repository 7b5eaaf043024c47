// SPDX-License-Identifier: GPL-2.0
/*
 * Capabilities through the capget/capset and prctl system calls directly
 * (no libcap): see priv.h for what is kept and why.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/priv.h"
#include "dataplane/dplog.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static int cap_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	*prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

/* Effective and permitted both set, inheritable empty. */
static int cap_set(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (uint32_t)eff, .permitted = (uint32_t)prm },
		{ .effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(prm >> 32) },
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* The highest capability this kernel knows (40 on Linux 5.9+). */
static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n > 63 ? 63 : n;
}

uint64_t priv_keep_mask(bool bpf)
{
	uint64_t m = 1ull << CAP_NET_ADMIN | 1ull << CAP_NET_RAW;

	/* Before Linux 5.8 the bpf() system call wants CAP_SYS_ADMIN instead. */
	if (bpf)
		m |= cap_last() >= CAP_BPF ? 1ull << CAP_BPF : 1ull << CAP_SYS_ADMIN;
	return m;
}

int priv_become(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	uint64_t eff, prm;
	int e;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "-u: user \"%s\": %s", user,
			 errno ? strerror(errno) : "no such user");
		return errno ? -errno : -ENOENT;
	}
	e = cap_get(&eff, &prm);
	/* Through the uid change with the permitted set kept; set-up needs it. */
	if (!e && (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0 ||
		   setgroups(1, &pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		   setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0))
		e = -errno;
	prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	/* The uid change emptied the effective set. */
	if (!e)
		e = cap_set(prm, prm);
	if (e)
		snprintf(err, errlen, "-u: cannot become user \"%s\" (uid %u): %s", user,
			 (unsigned int)pw->pw_uid, strerror(-e));
	return e;
}

/* Bounding set down to keep: no later execve can get more back. Needs CAP_SETPCAP. */
static int drop_bounding(uint64_t keep)
{
	int last = cap_last();

	for (int c = 0; c <= last; c++) {
		if ((keep >> c & 1) || prctl(PR_CAPBSET_READ, (long)c, 0L, 0L, 0L) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, (long)c, 0L, 0L, 0L) < 0)
			return -errno;
	}
	return 0;
}

static int fail(char *err, size_t errlen, int e, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(-e));
	return e;
}

int priv_drop(bool bpf, char *err, size_t errlen)
{
	uint64_t eff, prm, keep;
	int e = cap_get(&eff, &prm);

	if (e)
		return fail(err, errlen, e, "capget");
	keep = priv_keep_mask(bpf) & prm;
	/* Without CAP_SETPCAP (started with fewer capabilities, e.g. by a service
	 * manager that bounded them) the bounding set is whoever started us's. */
	if (eff >> CAP_SETPCAP & 1) {
		e = drop_bounding(keep);
		if (e)
			return fail(err, errlen, e, "cannot drop the capability bounding set");
	}
	/* Ambient capabilities were never ours to pass on (EINVAL before Linux 4.3). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) < 0 && errno != EINVAL)
		return fail(err, errlen, -errno, "cannot clear ambient capabilities");
	e = cap_set(keep, keep);
	if (e)
		return fail(err, errlen, e, "capset");
	dp_log("privileges: uid %u, capabilities kept: %#llx", (unsigned int)getuid(),
	       (unsigned long long)keep);
	return 0;
}
