// SPDX-License-Identifier: GPL-2.0
/* Control socket access rules (ctl_access.c): who may do what, and what a
 * refused client is told. The table runs every kind of peer against every
 * configuration; a real socketpair checks SO_PEERCRED is read. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/ctl_access.h"
#include "t.h"

#define ADM 1001
#define RO 1002

static const struct {
	const char *name;
	bool adm, ro;               /* configured groups */
	uid_t uid;
	gid_t gid;
	gid_t sup;                  /* one supplementary group, 0: none */
	enum ctl_level want;
} rows[] = {
	{ "root, nothing configured", false, false, 0, 0, 0, CTL_LEVEL_ADMIN },
	{ "user, nothing configured", false, false, 1000, 1000, 0, CTL_LEVEL_NONE },
	{ "root in no group", true, true, 0, 0, 0, CTL_LEVEL_ADMIN },
	{ "admin by supplementary group", true, true, 1000, 100, ADM, CTL_LEVEL_ADMIN },
	{ "admin by primary group", true, true, 1000, ADM, 0, CTL_LEVEL_ADMIN },
	{ "read-only by supplementary group", true, true, 1000, 100, RO, CTL_LEVEL_READ },
	{ "read-only by primary group", true, true, 1000, RO, 0, CTL_LEVEL_READ },
	{ "in both: admin wins", true, true, 1000, RO, ADM, CTL_LEVEL_ADMIN },
	{ "unrelated user", true, true, 1000, 100, 7, CTL_LEVEL_NONE },
	{ "admin group not configured", false, true, 1000, ADM, 0, CTL_LEVEL_NONE },
	{ "read-only group not configured", true, false, 1000, RO, 0, CTL_LEVEL_NONE },
};

static struct ctl_access access_of(bool adm, bool ro)
{
	struct ctl_access a = { .has_admin = adm, .has_ro = ro, .admin_gid = ADM, .ro_gid = RO };

	snprintf(a.admin_name, sizeof(a.admin_name), "ufou");
	snprintf(a.ro_name, sizeof(a.ro_name), "ufou-ro");
	return a;
}

static void test_levels(void)
{
	TEST("level: root, admin, read-only and other peers under each configuration");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ctl_access a = access_of(rows[i].adm, rows[i].ro);
		struct ctl_peer p = { .uid = rows[i].uid, .gid = rows[i].gid };

		if (rows[i].sup) {
			p.groups[0] = rows[i].sup;
			p.ngroups = 1;
		}
		if (ctl_access_level(&a, &p) != rows[i].want)
			printf("# row %zu (%s): level %d, want %d\n", i, rows[i].name,
			       ctl_access_level(&a, &p), rows[i].want);
		CHECK_EQ(ctl_access_level(&a, &p), rows[i].want);
	}
}

static void test_messages(void)
{
	struct ctl_access a = access_of(true, true);
	struct ctl_peer p = { .uid = 1234 };
	char err[256] = "";

	TEST("check: admin may change, read-only may show, refusals say why");
	CHECK_EQ(ctl_access_check(&a, &p, CTL_LEVEL_ADMIN, false, "link add", err, sizeof(err)), 0);
	CHECK_EQ(ctl_access_check(&a, &p, CTL_LEVEL_READ, true, "link show", err, sizeof(err)), 0);
	CHECK_EQ(ctl_access_check(&a, &p, CTL_LEVEL_READ, false, "fou add", err, sizeof(err)),
		 -EACCES);
	CHECK_STR(err, "permission denied: uid 1234 (group ufou-ro) may only show; \"fou add\" "
		       "needs root or in group ufou");
	CHECK_EQ(ctl_access_check(&a, &p, CTL_LEVEL_NONE, true, "fou show", err, sizeof(err)),
		 -EACCES);
	CHECK_STR(err, "permission denied: uid 1234 is not root or in group ufou or ufou-ro");
	a = access_of(false, false);
	CHECK_EQ(ctl_access_check(&a, &p, CTL_LEVEL_NONE, false, "fou add", err, sizeof(err)),
		 -EACCES);
	CHECK_STR(err, "permission denied: uid 1234 is not root");
	a = access_of(true, false);
	CHECK_EQ(ctl_access_check(&a, &p, CTL_LEVEL_NONE, true, "link show", err, sizeof(err)),
		 -EACCES);
	CHECK_STR(err, "permission denied: uid 1234 is not root or in group ufou");
}

static void test_groups(void)
{
	char err[128] = "";
	gid_t g = 7;

	TEST("group: names and numbers resolve, an unknown name is refused by name");
	CHECK_EQ(ctl_access_group("root", &g, err, sizeof(err)), 0);
	CHECK_EQ(g, 0);
	CHECK_EQ(ctl_access_group("4242", &g, err, sizeof(err)), 0);
	CHECK_EQ(g, 4242);
	CHECK(ctl_access_group("no-such-group-ufou", &g, err, sizeof(err)) < 0);
	CHECK(strstr(err, "\"no-such-group-ufou\"") != NULL);
}

static void test_peer(void)
{
	struct ctl_peer p;
	int sv[2];

	TEST("peer: SO_PEERCRED of a socketpair is this process");
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(ctl_access_peer(sv[0], &p), 0);
	CHECK_EQ(p.uid, getuid());
	CHECK_EQ(p.gid, getgid());
	CHECK_EQ(p.pid, getpid());
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	test_levels();
	test_messages();
	test_groups();
	test_peer();
	return t_done();
}
