// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/grammar.h"
#include "control/ctl.h"
#include "t.h"
#include "unit/control/ctl_t.h"

/* Output of a show command (caller frees). */
static char *show_opts(struct ctl *c, const char *line, bool json, int stats)
{
	char buf[512], *argv[MAXW], *s = NULL;
	size_t n = 0;
	int argc = words(buf, sizeof(buf), line, argv);
	FILE *f = open_memstream(&s, &n);

	if (ctl_exec(c, argc, argv, json, stats, f, err, sizeof(err)))
		fprintf(f, "ERROR %s", err);
	fclose(f);
	return s;
}

static char *show(struct ctl *c, const char *line)
{
	return show_opts(c, line, false, 0);
}

static char *snapshot(struct ctl *c)
{
	char *a = show(c, "fou show"), *b = show(c, "link show"), *s;

	if (asprintf(&s, "%s--\n%s", a, b) < 0)
		s = NULL;
	free(a);
	free(b);
	return s;
}

static struct ctl *new_ctl(void)
{
	struct ctl *c = ctl_new(NULL, NULL, NULL, err, sizeof(err));

	CHECK(c != NULL);
	return c;
}

static void test_ports(void)
{
	struct ctl *c = new_ctl();
	char *s;

	TEST("fou add/del/show; exists; not found");
	CHECK_EQ(run(c, "fou add port 5555 ipproto 4"), 0);
	CHECK_EQ(run(c, "fou add port 5555 ipproto 41"), -EEXIST);
	CHECK(strstr(err, "exists") != NULL);
	CHECK_EQ(run(c, "fou add port 5555 gue"), -EEXIST);
	CHECK_EQ(run(c, "fou add port 5555 gue -6"), 0);          /* other family */
	CHECK_EQ(run(c, "fou add port 5555 gue local 10.0.0.1"), 0); /* other identity */
	CHECK_EQ(run(c, "fou add port 5556 gue -6 local fd00::1 peer fd00::2 peer_port 1 dev eth0"),
		 0);
	s = show(c, "fou show");
	CHECK_STR(s, "port 5555 ipproto 4\nport 5555 gue -6\nport 5555 gue local 10.0.0.1\n"
		  "port 5556 gue -6 local fd00::1 peer fd00::2 peer_port 1 dev eth0\n");
	free(s);
	CHECK_EQ(run(c, "fou del port 5557"), -ENOENT);
	CHECK(strstr(err, "not found") != NULL);
	CHECK_EQ(run(c, "fou del port 5556 -6"), -ENOENT);       /* identity must match */
	CHECK_EQ(run(c, "fou del port 5556 -6 local fd00::1 peer fd00::2 peer_port 1 dev eth0"), 0);
	CHECK_EQ(run(c, "fou del port 5555 ipproto 4"), 0);
	CHECK_EQ(run(c, "fou del port 5555"), -ENOENT);
	s = show(c, "fou show");
	CHECK_STR(s, "port 5555 gue -6\nport 5555 gue local 10.0.0.1\n");
	free(s);

	TEST("fou show JSON");
	s = show_opts(c, "fou show", true, 0);
	CHECK_STR(s, "[{\"port\":5555,\"gue\":null,\"family\":\"inet6\"},{\"port\":5555,"
		  "\"gue\":null,\"family\":\"inet\",\"local\":\"10.0.0.1\"}]\n");
	free(s);

	TEST("fou show -s: counters (zero without a data plane)");
	s = show_opts(c, "fou show", false, 1);
	CHECK_STR(s, "port 5555 gue -6\n    rx: packets 0 bytes 0\n"
		  "port 5555 gue local 10.0.0.1\n    rx: packets 0 bytes 0\n");
	free(s);
	s = show_opts(c, "fou show", false, 2);
	CHECK(strstr(s, "    drops: outer-truncated 0") != NULL);
	CHECK(strstr(s, "tun-write-error 0") != NULL);
	free(s);
	s = show_opts(c, "fou show", true, 1);
	CHECK(strstr(s, "\"stats64\":{\"rx\":{\"packets\":0,\"bytes\":0},\"drops\":{}}") != NULL);
	free(s);
	ctl_free(c, true);
}

static const char *const l1 =
	"link add name tun1 type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 tos inherit "
	"encap fou encap-sport auto encap-dport 5555";

static void test_links(void)
{
	struct ctl *c = new_ctl();
	char *s, *s2;

	TEST("link add/show: the spec's example, default MTU 1472");
	CHECK_EQ(run(c, l1), 0);
	s = show(c, "link show");
	CHECK_STR(s, "tun1: type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 tos inherit "
		  "pmtudisc encap fou encap-sport auto encap-dport 5555 noencap-csum "
		  "noencap-remcsum mtu 1472\n");
	free(s);

	TEST("link: exists by name, and by type+remote+local+key");
	CHECK_EQ(run(c, l1), -EEXIST);
	CHECK_EQ(run(c, "link add name tun2 type ipip remote 198.18.0.1 local 198.18.0.2 "
		     "encap gue encap-dport 6000"), -EEXIST);
	CHECK(strstr(err, "File exists") != NULL);
	CHECK(strstr(err, "tun1") != NULL);
	CHECK_EQ(run(c, "link add name tun2 type sit remote 198.18.0.1 local 198.18.0.2 "
		     "encap fou encap-dport 5555"), 0);         /* other type */
	CHECK_EQ(run(c, "link add name g1 type gre remote 1.1.1.1 local 2.2.2.2 key 1 "
		     "encap fou encap-dport 1"), 0);
	CHECK_EQ(run(c, "link add name g2 type gre remote 1.1.1.1 local 2.2.2.2 key 2 "
		     "encap fou encap-dport 1"), 0);            /* other key */
	CHECK_EQ(run(c, "link add name g3 type gre remote 1.1.1.1 local 2.2.2.2 okey 2 ikey 1 "
		     "encap fou encap-dport 1"), -EEXIST);
	CHECK_EQ(run(c, "link add name g3 type gre remote 1.1.1.1 local 2.2.2.2 "
		     "encap fou encap-dport 1"), 0);            /* no key */

	TEST("link set: read-modify-write");
	CHECK_EQ(run(c, "link set tun1 encap gue encap-csum"), 0);
	s = show(c, "link show tun1");
	CHECK_STR(s, "tun1: type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 tos inherit "
		  "pmtudisc encap gue encap-sport auto encap-dport 5555 encap-csum "
		  "noencap-remcsum mtu 1468\n");
	free(s);
	CHECK_EQ(run(c, "link set dev tun1 mtu 1400 ttl inherit nopmtudisc"), 0);
	s = show(c, "link show dev tun1");
	CHECK_STR(s, "tun1: type ipip remote 198.18.0.1 local 198.18.0.2 ttl inherit tos inherit "
		  "nopmtudisc encap gue encap-sport auto encap-dport 5555 encap-csum "
		  "noencap-remcsum mtu 1400\n");
	/* up/down go to the device; the kept configuration does not change. */
	CHECK_EQ(run(c, "link set tun1 down"), 0);
	CHECK_EQ(run(c, "link set tun1 up"), 0);
	s2 = show(c, "link show dev tun1");
	CHECK_STR(s2, s);
	free(s2);
	free(s);
	CHECK_EQ(run(c, "link set tun1 type ipip"), 0);
	CHECK_EQ(run(c, "link set g3 key 1"), -EEXIST);          /* would twin g1 */
	CHECK_EQ(run(c, "link set g3 key 3"), 0);
	CHECK_EQ(run(c, "link set nosuch ttl 3"), -ENOENT);
	CHECK(strstr(err, "not found") != NULL);

	TEST("iproute2's synonyms: ttl/hlim and tos/tc/dsfield filed by family");
	CHECK_EQ(run(c, "link add name t6 type ip6tnl mode ip6ip6 remote fd00::2 local fd00::1 "
		     "ttl 30 tos 0x20 encap fou encap-dport 5555"), 0);
	s = show(c, "link show t6");
	CHECK_STR(s, "t6: type ip6tnl remote fd00::2 local fd00::1 encaplimit 4 "
		  "hoplimit 30 tclass 0x20 flowlabel 0x00000 encap fou encap-sport auto "
		  "encap-dport 5555 encap-csum6 noencap-remcsum mtu 1444\n");
	free(s);
	CHECK_EQ(run(c, "link set t6 hlim 31 tc 0x28"), 0);
	CHECK_EQ(run(c, "link set t6 ttl 32 dsfield inherit"), 0);
	s = show(c, "link show t6");
	CHECK(strstr(s, " hoplimit 32 tclass inherit ") != NULL);
	free(s);
	CHECK_EQ(run(c, "link add name t4 type ipip remote 198.18.0.9 local 198.18.0.2 "
		     "hoplimit 40 tclass 8 encap fou encap-dport 5555"), 0);
	s = show(c, "link show t4");
	CHECK(strstr(s, " ttl 40 tos 0x08 ") != NULL);
	free(s);
	CHECK_EQ(run(c, "link set t6 ttl 5 hoplimit 6"), -EINVAL);
	CHECK(strstr(err, "\"ttl\" and \"hoplimit\" both given for type ip6tnl") != NULL);
	CHECK_EQ(run(c, "link add name t7 type ipip remote 198.18.0.7 local 198.18.0.2 "
		     "tos 1 tc 2 encap fou encap-dport 5555"), -EINVAL);
	CHECK(strstr(err, "\"tclass\" and \"tos\" both given for type ipip") != NULL);

	TEST("link set NAME name NEW: renamed, with other changes; the same name is no change");
	CHECK_EQ(run(c, "link set t6 name t6b hoplimit 9"), 0);
	s = show(c, "link show t6b");
	CHECK(strncmp(s, "t6b: type ip6tnl ", 17) == 0 && strstr(s, " hoplimit 9 ") != NULL);
	free(s);
	s = show(c, "link show t6");
	CHECK_STR(s, "ERROR link \"t6\" not found");
	free(s);
	CHECK_EQ(run(c, "link set dev t6b name t6b"), 0);
	CHECK_EQ(run(c, "link set t6b name t4"), -EEXIST);
	CHECK(strstr(err, "argument \"t4\" is wrong: link \"t4\" exists") != NULL);
	CHECK_EQ(run(c, "link set t6b name t6"), 0);
	CHECK_EQ(run(c, "link del t6"), 0);
	CHECK_EQ(run(c, "link del t4"), 0);

	TEST("rejected commands change nothing");
	{
		static const char *const rejects[] = {
			"link set tun1 ttl 64",          /* nopmtudisc is in force */
			"link set tun1 type sit",
			"link set tun1 hoplimit 3",      /* is ttl 3 here: nopmtudisc */
			"link set tun1 ttl 3 hlim 3",
			"link set tun1 name tun2",       /* exists */
			"link set tun1 name tunx ttl 64", /* nopmtudisc: no rename either */
			"link set tun1 key 5",
			"link set tun1 local fd00::1",
			"link set tun1 mode ip6ip6",
			"link set tun1 encap none",
			"link set tun1 frob",
			"link set tun2 remote 198.18.0.9 ttl 5 nopmtudisc",
			"link add name tun3 type ipip local 1.1.1.1 encap fou",
			"link add name tun1 type gre local 1.1.1.1 encap fou encap-dport 1",
			"link del nosuch",
			"fou add port 5555",
			"fou del port 1",
			NULL,
		};
		char *before = snapshot(c), *after;

		for (int i = 0; rejects[i]; i++) {
			CHECK(run(c, rejects[i]) < 0);
			after = snapshot(c);
			CHECK_STR(after, before);
			free(after);
		}
		free(before);
	}

	TEST("link del; show of a missing link");
	CHECK_EQ(run(c, "link del tun2"), 0);
	CHECK_EQ(run(c, "link del dev tun2"), -ENOENT);
	s = show(c, "link show tun2");
	CHECK_STR(s, "ERROR link \"tun2\" not found");
	free(s);
	ctl_free(c, true);
}

static void test_link_json_stats(void)
{
	struct ctl *c = new_ctl();
	char *s;

	TEST("link JSON with stats64");
	CHECK_EQ(run(c, "link add name t6 type ip6tnl remote fd00:18::1 local fd00:18::2 "
		     "encap fou encap-dport 5557 encap-csum6"), 0);
	s = show_opts(c, "link show", true, 1);
	CHECK_STR(s, "[{\"ifname\":\"t6\",\"linkinfo\":{\"info_kind\":\"ip6tnl\",\"info_data\":{"
		  "\"remote\":\"fd00:18::1\",\"local\":\"fd00:18::2\",\"proto\":\"ip6ip6\","
		  "\"encap_limit\":4,\"ttl\":64,\"tclass\":\"0x00\",\"flowlabel\":\"0x00000\","
		  "\"encap\":{\"type\":\"fou\",\"sport\":0,\"dport\":5557,\"csum\":false,"
		  "\"csum6\":true,\"remcsum\":false}}},\"mtu\":1444,"
		  "\"stats64\":{\"rx\":{\"packets\":0,\"bytes\":0},\"tx\":{\"packets\":0,"
		  "\"bytes\":0},\"drops\":{}}}]\n");
	free(s);
	s = show_opts(c, "link show", false, 0);
	CHECK_STR(s, "t6: type ip6tnl remote fd00:18::1 local fd00:18::2 encaplimit 4 hoplimit 64 "
		  "tclass 0x00 flowlabel 0x00000 encap fou encap-sport auto encap-dport 5557 "
		  "encap-csum6 noencap-remcsum mtu 1444\n");
	free(s);
	s = show_opts(c, "link show", false, 2);
	CHECK(strstr(s, "\n    rx: packets 0 bytes 0 csum_completed 0\n    tx: packets 0 bytes 0 "
		      "icmp_sent 0 pmtu_reports 0 fragmented 0 gso 0\n    drops: outer-truncated 0")
	      != NULL);
	CHECK(strstr(s, "too-big 0 bad-inner 0") != NULL);
	free(s);
	s = show_opts(c, "link show", true, 0);
	CHECK(strstr(s, "stats64") == NULL);
	free(s);
	s = show_opts(c, "fou help", false, 0);
	CHECK(strstr(s, "Usage: ufou fou add") != NULL);
	free(s);
	ctl_free(c, false);
}

static void test_empty(void)
{
	struct ctl *c = new_ctl();
	char *s;

	TEST("empty shows");
	s = show(c, "fou show");
	CHECK_STR(s, "");
	free(s);
	s = show_opts(c, "link show", true, 0);
	CHECK_STR(s, "[]\n");
	free(s);
	ctl_free(c, false);
}

static int exec_text(struct ctl *c, const char *text, char *errbuf, size_t errlen)
{
	FILE *f = fmemopen(errbuf, errlen, "w");
	int ret;

	memset(errbuf, 0, errlen);
	ret = ctl_exec_buf(c, "test.conf", text, strlen(text), f);
	fclose(f);
	return ret;
}

static void test_file(void)
{
	struct ctl *c = new_ctl();
	char e[512], path[] = "/tmp/ufou-test-ctl-XXXXXX";
	char *s;
	FILE *f;
	int fd;

	TEST("config text: comments, blanks, FILE:LINE on error");
	CHECK_EQ(exec_text(c, "# ports\n\nfou add port 5555 ipproto 4   # ipip\n"
			   "  fou add   port 5556\tgue\n"
			   "link add name tun1 type ipip local 1.1.1.1 encap fou encap-dport 5555\n"
			   "fou show\n", e, sizeof(e)), 0);
	CHECK_STR(e, "");
	s = snapshot(c);
	CHECK_STR(s, "port 5555 ipproto 4\nport 5556 gue\n--\ntun1: type ipip remote any "
		  "local 1.1.1.1 ttl inherit tos 0x00 pmtudisc encap fou encap-sport auto "
		  "encap-dport 5555 noencap-csum noencap-remcsum mtu 1472\n");
	free(s);
	CHECK_EQ(exec_text(c, "fou add port 7 gue\n# c\nfou add port 7 gue\nfou add port 8 gue\n",
			   e, sizeof(e)), -EEXIST);
	CHECK_STR(e, "test.conf:3: fou: port 7 exists (File exists)\n");
	CHECK_EQ(exec_text(c, "fou add port 9 frob\n", e, sizeof(e)), -EINVAL);
	CHECK_STR(e, "test.conf:1: unknown keyword \"frob\"; valid: port ipproto gue local peer "
		  "peer_port dev -6\n");
	{
		char nb[128] = "";
		FILE *nf = fmemopen(nb, sizeof(nb), "w");

		CHECK_EQ(ctl_exec_buf(c, "nul", "fou show\n\0x\n", 11, nf), -EINVAL);
		fclose(nf);
		CHECK_STR(nb, "nul:2: NUL byte in line\n");
	}

	TEST("config file from disk");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("fou add port 6000 gue\nfou add port 6000 gue\n", f);
	fclose(f);
	{
		char buf[512] = "", want[600];
		FILE *ef = fmemopen(buf, sizeof(buf), "w");

		CHECK_EQ(ctl_exec_file(c, path, ef), -EEXIST);
		fclose(ef);
		snprintf(want, sizeof(want), "%s:2: fou: port 6000 exists (File exists)\n", path);
		CHECK_STR(buf, want);
	}
	unlink(path);
	CHECK_EQ(ctl_exec_file(c, "/nonexistent/ufou.conf", fopen("/dev/null", "w")), -ENOENT);
	ctl_free(c, false);
}

static void test_socket(void)
{
	char path[] = "/tmp/ufou-test-sock-XXXXXX";
	char sock[100];
	struct ctl *c, *c2;
	struct stat st;

	TEST("control socket: created 0600 in a new directory, stale one replaced");
	CHECK(mkdtemp(path) != NULL);
	snprintf(sock, sizeof(sock), "%s/sub/ufoud.sock", path);
	c = ctl_new(NULL, NULL, sock, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_EQ(stat(sock, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	/* a second daemon on the same path is refused while the first answers */
	c2 = ctl_new(NULL, NULL, sock, err, sizeof(err));
	CHECK(c2 == NULL);
	CHECK(strstr(err, "another ufoud") != NULL);
	ctl_free(c, false);
	CHECK(stat(sock, &st) < 0);
	{
		/* a socket file nobody listens on any more is stale */
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
		CHECK_EQ(stat(sock, &st), 0);
	}
	c = ctl_new(NULL, NULL, sock, err, sizeof(err));
	CHECK(c != NULL);
	ctl_free(c, false);
	TEST("control socket: a regular file in the way is refused");
	{
		FILE *f = fopen(sock, "w");

		fclose(f);
		CHECK(ctl_new(NULL, NULL, sock, err, sizeof(err)) == NULL);
		CHECK(strstr(err, "not a socket") != NULL);
		unlink(sock);
	}
	snprintf(sock, sizeof(sock), "%s/sub", path);
	rmdir(sock);
	rmdir(path);
}

/* Writes text to path, then reloads it; errors (or the summary) into errbuf. */
static int reload_text(struct ctl *c, const char *path, const char *text, char *errbuf,
		       size_t errlen)
{
	FILE *f = fopen(path, "w"), *ef;
	int ret;

	fputs(text, f);
	fclose(f);
	memset(errbuf, 0, errlen);
	ef = fmemopen(errbuf, errlen, "w");
	ret = ctl_reload_file(c, path, ef);
	fclose(ef);
	return ret;
}

#define RL_PORTS "fou add port 5555 ipproto 4\nfou add port 5556 gue\n"
#define RL_A "link add name a type ipip local 198.18.0.1 remote 198.18.0.2 encap fou encap-dport 5555\n"
#define RL_B "link add name b type ipip local 198.18.0.1 remote 198.18.0.3 encap fou encap-dport 5555\n"
#define RL_C "link add name c type sit local 198.18.0.1 remote 198.18.0.4 encap gue encap-dport 5556\n"

static void test_reload(void)
{
	struct ctl *c = new_ctl();
	char e[512], path[] = "/tmp/ufou-test-reload-XXXXXX", *before, *after;
	int fd = mkstemp(path);
	size_t nl, np;

	TEST("reload: unchanged kept, changed in place, removed gone, new added, runtime kept");
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(reload_text(c, path, RL_PORTS RL_A RL_B, e, sizeof(e)), 0);
	CHECK(strstr(e, "0 unchanged, 0 changed in place, 0 replaced, 4 added, 0 removed") != NULL);
	CHECK_EQ(run(c, "link add name rt type ipip local 198.18.0.1 remote 198.18.0.9 "
		     "encap fou encap-dport 5555"), 0);
	CHECK_EQ(run(c, "fou add port 7000 gue"), 0);
	CHECK_EQ(reload_text(c, path, RL_PORTS
			     "link add name a type ipip local 198.18.0.1 remote 198.18.0.2 "
			     "encap fou encap-dport 5555 ttl 64\n" RL_C, e, sizeof(e)), 0);
	CHECK(strstr(e, "2 unchanged, 1 changed in place, 0 replaced, 1 added, 1 removed") != NULL);
	after = snapshot(c);
	CHECK(strstr(after, "a: type ipip remote 198.18.0.2 local 198.18.0.1 ttl 64") != NULL);
	CHECK(strstr(after, "\nb:") == NULL);
	CHECK(strstr(after, "c: type sit") != NULL);
	CHECK(strstr(after, "rt: type ipip") != NULL);
	CHECK(strstr(after, "port 7000 gue") != NULL);
	ctl_counts(c, &nl, &np);
	CHECK_EQ(nl, 3);
	CHECK_EQ(np, 3);

	TEST("reload: a type change is delete + add, a changed port is bound anew");
	CHECK_EQ(reload_text(c, path, "fou add port 5555 ipproto 41\nfou add port 5556 gue\n"
			     "link add name a type sit local 198.18.0.1 remote 198.18.0.2 "
			     "encap fou encap-dport 5555\n" RL_C, e, sizeof(e)), 0);
	CHECK(strstr(e, "2 unchanged, 0 changed in place, 2 replaced, 0 added, 0 removed") != NULL);
	free(after);
	after = snapshot(c);
	CHECK(strstr(after, "port 5555 ipproto 41") != NULL);
	CHECK(strstr(after, "a: type sit") != NULL);

	TEST("reload: a bad file is refused whole, FILE:LINE naming the token");
	before = after;
	CHECK_EQ(reload_text(c, path, RL_PORTS RL_A "link add name d type ipip frob 1\n", e,
			     sizeof(e)), -EINVAL);
	CHECK(strstr(e, ":4: ") != NULL && strstr(e, "\"frob\"") != NULL);
	CHECK(strstr(e, "reload refused; the running configuration stays") != NULL);
	CHECK(strstr(e, path) == e);
	after = snapshot(c);
	CHECK_STR(after, before);
	free(after);

	TEST("reload: a file link clashing with a runtime one is refused whole");
	CHECK_EQ(reload_text(c, path, RL_PORTS "link add name rt type ipip local 198.18.0.1 "
			     "remote 198.18.0.7 encap fou encap-dport 5555\n", e, sizeof(e)),
		 -EEXIST);
	CHECK(strstr(e, ":3: link \"rt\": added at runtime") != NULL);
	after = snapshot(c);
	CHECK_STR(after, before);
	free(after);
	free(before);
	unlink(path);
	ctl_free(c, true);
}

/* ctl_prom's output for line ("" for both objects); caller frees. */
static char *prom(struct ctl *c, const char *line, int *ret)
{
	char buf[512], *argv[MAXW], *s = NULL;
	size_t n = 0;
	int argc = words(buf, sizeof(buf), line, argv);
	FILE *f = open_memstream(&s, &n);

	*ret = ctl_prom(c, argc, argv, f, err, sizeof(err));
	fclose(f);
	return s;
}

static void test_prom(void)
{
	struct ctl *c = new_ctl();
	char *s;
	int ret;

	TEST("prometheus: families, labels (escaped), one object or both");
	CHECK_EQ(run(c, "fou add port 5555 ipproto 4 local 198.18.0.2"), 0);
	CHECK_EQ(run(c, "link add name t\\\"1 type gre remote 198.18.0.1 local 198.18.0.2 "
		     "encap gue encap-dport 5555"), 0);
	s = prom(c, "", &ret);
	CHECK_EQ(ret, 0);
	CHECK(strstr(s, "# HELP ufou_link_receive_packets_total Inner packets received from the "
		     "tunnel.\n# TYPE ufou_link_receive_packets_total counter\n"
		     "ufou_link_receive_packets_total{link=\"t\\\\\\\"1\",kind=\"gre\","
		     "encap=\"gue\",datapath=\"bpf\"} 0\n") != NULL);
	CHECK(strstr(s, "ufou_port_receive_drops_total{port=\"5555\",family=\"inet\","
		     "encap=\"fou\",ipproto=\"4\",local=\"198.18.0.2\",reason=\"no-tunnel\"} 0\n")
	      != NULL);
	/* No device to ask without a data plane: no up or MTU sample. */
	CHECK(strstr(s, "ufou_link_up{") == NULL);
	free(s);
	s = prom(c, "fou show", &ret);
	CHECK_EQ(ret, 0);
	CHECK(strstr(s, "ufou_link_") == NULL && strstr(s, "ufou_port_receive_bytes_total") != NULL);
	free(s);
	s = prom(c, "link show nope", &ret);
	CHECK_EQ(ret, -ENOENT);
	CHECK_STR(err, "link \"nope\" not found");
	free(s);
	s = prom(c, "link del t1", &ret);
	CHECK_EQ(ret, -EINVAL);
	CHECK_STR(err, "argument \"del\" is wrong: --prometheus shows counters: fou show or link show");
	free(s);
	ctl_free(c, false);
}

int main(void)
{
	test_ports();
	test_links();
	test_link_json_stats();
	test_empty();
	test_prom();
	test_file();
	test_socket();
	test_reload();
	return t_done();
}
