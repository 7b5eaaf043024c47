// SPDX-License-Identifier: GPL-2.0
/*
 * The state file: every change recorded, read back whole by a new ctl,
 * combined with -c as documented, and a change refused whole (with the
 * file named) when the file cannot be written.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/ctl.h"
#include "t.h"
#include "unit/control/ctl_t.h"

static char dir[64], state[128], conf[128];

/* `fou show` and `link show` together (caller frees). */
static char *snapshot(struct ctl *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	char *fou[] = { "fou", "show" }, *link[] = { "link", "show" };

	ctl_exec(c, 2, fou, false, 0, f, err, sizeof(err));
	fputs("--\n", f);
	ctl_exec(c, 2, link, false, 0, f, err, sizeof(err));
	fclose(f);
	return s;
}

static struct ctl *restored(const char *cfile)
{
	struct ctl *c = ctl_new(NULL, NULL, NULL, err, sizeof(err));

	if (c && ctl_restore(c, cfile, state, stderr) != 0) {
		ctl_free(c, false);
		return NULL;
	}
	return c;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_round_trip(void)
{
	struct ctl *a, *b;
	char *sa, *sb, tmp[160];
	struct stat st;

	TEST("every kind of link and port read back as it was");
	unlink(state);
	a = restored(NULL);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_EQ(run(a, "fou add port 5555 ipproto 4"), 0);
	CHECK_EQ(run(a, "fou add port 5556 gue -6 local fd00::1 peer fd00::2 peer_port 7 dev lo"), 0);
	CHECK_EQ(run(a, "link add name t1 type ipip remote 198.18.0.2 local 198.18.0.1 ttl 33 "
		     "tos inherit encap fou encap-sport 4000 encap-dport 5555"), 0);
	CHECK_EQ(run(a, "link add name t2 type gre remote 198.18.0.2 local 198.18.0.1 ikey 5 "
		     "okey 6 icsum oseq encap gue encap-sport auto encap-dport 5556 encap-csum "
		     "encap-remcsum mtu 1300"), 0);
	CHECK_EQ(run(a, "link add name t3 type ip6tnl mode ipip6 remote fd00::2 local fd00::1 "
		     "encaplimit none hoplimit 9 tclass inherit flowlabel 0x12345 encap fou "
		     "encap-sport auto encap-dport 5555 noencap-udp6-csum"), 0);
	CHECK_EQ(run(a, "link add name t4 type gretap remote any local 198.18.0.1 encap fou "
		     "encap-sport auto encap-dport 5557 dev lo"), 0);
	CHECK_EQ(run(a, "link add name t5 type sit mode any remote 198.18.0.5 local 198.18.0.1 "
		     "nopmtudisc encap gue encap-sport auto encap-dport 5556"), 0);
	CHECK_EQ(run(a, "link set t1 ttl 44 name t1b"), 0);
	b = restored(NULL);
	CHECK(b != NULL);
	sa = snapshot(a);
	sb = b ? snapshot(b) : NULL;
	CHECK_STR(sb, sa);
	snprintf(tmp, sizeof(tmp), "%s.tmp", state);
	CHECK(access(tmp, F_OK) != 0);
	CHECK(stat(state, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(sa);
	free(sb);
	ctl_free(a, false);
	ctl_free(b, false);
}

static bool has_link(struct ctl *c, const char *name)
{
	char *s = snapshot(c), pat[32];
	bool r;

	snprintf(pat, sizeof(pat), "\n%s:", name);
	r = s && strstr(s, pat) != NULL;
	free(s);
	return r;
}

static void test_with_conf(void)
{
	struct ctl *a, *b, *c;
	char *s;

	TEST("-c first, the state over it: deleted stays deleted, changed stays changed");
	unlink(state);
	write_file(conf, "fou add port 5555 ipproto 4\n"
		   "link add name c1 type ipip remote 198.18.0.2 local 198.18.0.1 encap fou "
		   "encap-sport auto encap-dport 5555\n"
		   "link add name c2 type ipip remote 198.18.0.3 local 198.18.0.1 encap fou "
		   "encap-sport auto encap-dport 5555\n");
	a = restored(conf);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK(has_link(a, "c1") && has_link(a, "c2"));
	CHECK_EQ(run(a, "link del c1"), 0);
	CHECK_EQ(run(a, "link set c2 ttl 9"), 0);
	CHECK_EQ(run(a, "fou del port 5555"), 0);
	CHECK_EQ(run(a, "link add name r1 type sit remote 198.18.0.4 local 198.18.0.1 encap fou "
		     "encap-sport auto encap-dport 5555"), 0);
	b = restored(conf);
	CHECK(b != NULL);
	if (b) {
		s = snapshot(b);
		CHECK(!has_link(b, "c1") && has_link(b, "c2") && has_link(b, "r1"));
		CHECK(s && strstr(s, "c2: type ipip") && strstr(s, "ttl 9 "));
		CHECK(s && !strstr(s, "port 5555 ipproto"));
		free(s);
	}
	/* What the operator adds to -c later comes up too. */
	write_file(conf, "link add name c1 type ipip remote 198.18.0.2 local 198.18.0.1 encap fou "
		   "encap-sport auto encap-dport 5555\n"
		   "link add name c3 type ipip remote 198.18.0.5 local 198.18.0.1 encap fou "
		   "encap-sport auto encap-dport 5555\n");
	c = restored(conf);
	CHECK(c != NULL);
	if (c)
		CHECK(!has_link(c, "c1") && has_link(c, "c3") && has_link(c, "r1"));
	ctl_free(a, false);
	ctl_free(b, false);
	ctl_free(c, false);
}

static void test_write_fails(void)
{
	char sub[96], *before, *after;
	struct ctl *c;

	TEST("a state file that cannot be written: the change is refused whole, the file named");
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	snprintf(state, sizeof(state), "%s/state", sub);
	c = restored(NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ(run(c, "fou add port 5555 ipproto 4"), 0);
	CHECK_EQ(run(c, "link add name t1 type ipip remote 198.18.0.2 local 198.18.0.1 encap fou "
		     "encap-sport auto encap-dport 5555"), 0);
	/* The directory becomes a file: every write now fails with ENOTDIR. */
	unlink(state);
	rmdir(sub);
	write_file(sub, "not a directory\n");
	before = snapshot(c);
	CHECK_EQ(run(c, "link add name t2 type ipip remote 198.18.0.3 local 198.18.0.1 encap fou "
		     "encap-sport auto encap-dport 5555"), -ENOTDIR);
	CHECK(strstr(err, state) != NULL);
	CHECK_EQ(run(c, "link set t1 ttl 7"), -ENOTDIR);
	CHECK_EQ(run(c, "link set t1 name t9"), -ENOTDIR);
	CHECK_EQ(run(c, "link del t1"), -ENOTDIR);
	CHECK_EQ(run(c, "fou add port 5556 gue"), -ENOTDIR);
	CHECK_EQ(run(c, "fou del port 5555"), -ENOTDIR);
	CHECK(strstr(err, state) != NULL);
	after = snapshot(c);
	CHECK_STR(after, before);
	free(before);
	free(after);
	ctl_free(c, false);
	unlink(sub);
}

static void test_unreadable(void)
{
	struct ctl *c = ctl_new(NULL, NULL, NULL, err, sizeof(err));
	char *msg = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&msg, &n);

	TEST("a state path that is neither a file nor missing stops the start, named");
	snprintf(state, sizeof(state), "%s/file/state", dir);
	snprintf(conf, sizeof(conf), "%s/file", dir);
	write_file(conf, "\n");
	CHECK(c && ctl_restore(c, NULL, state, f) == -ENOTDIR);
	fclose(f);
	CHECK(msg && strstr(msg, state) != NULL);
	free(msg);
	ctl_free(c, false);
	unlink(conf);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ufou-state.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	test_round_trip();
	test_with_conf();
	test_write_fails();
	test_unreadable();
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	unlink(state);
	unlink(conf);
	rmdir(dir);
	return t_done();
}
