// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>

#include "common/grammar.h"
#include "t.h"

#define MAXW 80

/* Splits s on spaces into argv (words point into a static copy). */
static int split(const char *s, char **argv)
{
	static char buf[4096];
	int n = 0;
	char *p;

	snprintf(buf, sizeof(buf), "%s", s);
	for (p = strtok(buf, " "); p && n < MAXW; p = strtok(NULL, " "))
		argv[n++] = p;
	return n;
}

static int parse(const char *s, struct gr_cmd *cmd, char *err, size_t errlen)
{
	char *argv[MAXW];
	int argc = split(s, argv);

	return gr_parse(argc, argv, cmd, err, errlen);
}

/* parse, then the add/del checks; 0 or the first error. */
static int parse_check(const char *s, struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_link_conf l;
	int ret = parse(s, cmd, err, errlen);

	if (ret)
		return ret;
	if (cmd->obj == GR_OBJ_FOU && (cmd->act == GR_ADD || cmd->act == GR_DEL))
		return gr_check_port(cmd, &cmd->port, cmd->act == GR_ADD, err, errlen);
	if (cmd->obj == GR_OBJ_LINK && cmd->act == GR_ADD) {
		l = cmd->link;
		uf_link_conf_defaults(&l);
		return gr_check_link(cmd, &l, err, errlen);
	}
	return 0;
}

static const char *const good[] = {
	"help", "fou", "fou help", "fou show", "link", "link show", "link help",
	"link show tun1", "link show dev tun1", "link del tun1", "link del dev tun1",
	"fou add port 5555 ipproto 4",
	"fou add port 1 ipproto 1", "fou add port 65535 ipproto 255",
	"fou add port 0x15b3 ipproto 0x29",
	"fou add port 5555 ipproto ipip", "fou add port 5555 ipproto ipv4",
	"fou add port 5555 ipproto ipv6", "fou add port 5555 ipproto gre",
	"fou add port 5555 ipproto udp",
	"fou add port 5555 gue",
	"fou add port 5556 gue -6 local fd00::1 peer fd00::2 peer_port 1 dev eth0",
	"fou add port 5556 gue local 10.0.0.1 dev eth0",
	"fou add port 5556 ipproto 4 local 10.0.0.1 peer 10.0.0.2 peer_port 65535",
	"fou add -6 port 5555 gue",
	"fou del port 5555", "fou del port 5555 ipproto 4", "fou del port 5555 -6",
	"fou del port 5555 local 10.0.0.1 peer 10.0.0.2 peer_port 7 dev eth0",
	"link add name tun1 type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 "
	"encap fou encap-sport auto encap-dport 5555",
	"link add name tun1 type ipip remote any local 198.18.0.2 ttl inherit tos inherit "
	"pmtudisc mode any mtu 68 encap gue encap-sport 1 encap-dport 65535 encap-csum "
	"noencap-udp6-csum encap-remcsum dev eth0",
	"link add name tun1 type ipip local 1.2.3.4 ttl 255 tos 0xff nopmtudisc ttl-dummy",
	"link add name a type sit local 1.2.3.4 mode ip6ip encap fou encap-dport 1",
	"link add name a type sit local 1.2.3.4 mode ipip encap fou encap-dport 1",
	"link add name a type gre local 1.2.3.4 key 1.2.3.4 csum seq encap fou encap-dport 1",
	"link add name a type gretap local 1.2.3.4 ikey 1 okey 4294967295 icsum ocsum iseq oseq "
	"encap gue encap-dport 1",
	"link add name a type ip6tnl remote fd00::1 local fd00::2 mode ipip6 encaplimit none "
	"hoplimit 0 tclass inherit flowlabel inherit encap fou encap-dport 5557 encap-csum6",
	"link add name a type ip6gre local fd00::2 encaplimit 255 hoplimit 255 tclass 0xff "
	"flowlabel 0xfffff key 7 encap gue encap-dport 1 encap-udp6-csum",
	"link add name a type ip6gretap local fd00::2 nocsum noseq encap gue encap-dport 1 "
	"noencap-csum6",
	"link add name 123456789012345 type ipip local 1.1.1.1 encap fou encap-dport 1",
	"link set tun1 ttl 64", "link set dev tun1 encap gue encap-sport 4000",
	"link set tun1 type ipip", "link set tun1",
	NULL,
};

static void test_good(void)
{
	char err[512];
	struct gr_cmd cmd;

	TEST("accepted commands");
	for (int i = 0; good[i]; i++) {
		int ret;

		if (strstr(good[i], "ttl-dummy"))
			continue;
		ret = parse_check(good[i], &cmd, err, sizeof(err));
		if (ret)
			printf("# %s -> %s\n", good[i], err);
		CHECK_EQ(ret, 0);
	}
}

static const struct { const char *cmd, *msg; } bad[] = {
	{ "", "missing object; valid: fou link decode help" },
	{ "foo", "unknown object \"foo\"; valid: fou link decode help" },
	{ "help me", "unexpected argument \"me\"" },
	{ "fou frob", "unknown command \"frob\" for \"fou\"; valid: add del show help" },
	{ "link frob", "unknown command \"frob\" for \"link\"; valid: add set del show help" },
	{ "fou show x", "unexpected argument \"x\"" },
	{ "fou add port 5555 foo",
	  "unknown keyword \"foo\"; valid: port ipproto gue local peer peer_port dev -6" },
	{ "fou add port", "missing value for \"port\" (PORT)" },
	{ "fou add port 5555 ipproto", "missing value for \"ipproto\" (PROTO)" },
	{ "fou add port 0 ipproto 4", "argument \"0\" is wrong: port must be 1..65535" },
	{ "fou add port 65536 ipproto 4", "argument \"65536\" is wrong: port must be 1..65535" },
	{ "fou add port -1 ipproto 4", "argument \"-1\" is wrong: port must be 1..65535" },
	{ "fou add port 55x ipproto 4", "argument \"55x\" is wrong: port must be 1..65535" },
	{ "fou add port 5555 ipproto 300", "argument \"300\" is wrong: ipproto must be 1..255" },
	{ "fou add port 5555 ipproto 0", "argument \"0\" is wrong: ipproto must be 1..255" },
	{ "fou add port 5555 ipproto 256", "argument \"256\" is wrong: ipproto must be 1..255" },
	{ "fou add port 5555 ipproto nosuchproto",
	  "argument \"nosuchproto\" is wrong: ipproto must be 1..255" },
	{ "fou add port 5555 port 5556 gue", "duplicate keyword \"port\"" },
	{ "fou add port 5555 gue gue", "duplicate keyword \"gue\"" },
	{ "fou add port 5555 gue -6 -6", "duplicate keyword \"-6\"" },
	{ "fou add port 5555 gue local 1.2.3", "argument \"1.2.3\" is wrong: local must be an "
	  "IPv4 or IPv6 address" },
	{ "fou add port 5555 gue dev a/b", "argument \"a/b\" is wrong: dev must be 1..15 "
	  "characters without '/', ':' or whitespace" },
	{ "fou add port 5555 gue dev 1234567890123456", "argument \"1234567890123456\" is wrong: "
	  "dev must be 1..15 characters without '/', ':' or whitespace" },
	{ "link add name tun1 type ipip encap none", "argument \"none\" is wrong: ufou only does "
	  "UDP encapsulation (encap fou or encap gue)" },
	{ "link add name tun1 type vxlan", "argument \"vxlan\" is wrong: type must be one of "
	  "ipip sit gre gretap ip6tnl ip6gre ip6gretap" },
	{ "link add name tun/1", "argument \"tun/1\" is wrong: name must be 1..15 characters "
	  "without '/', ':' or whitespace" },
	{ "link add name 1234567890123456", "argument \"1234567890123456\" is wrong: name must "
	  "be 1..15 characters without '/', ':' or whitespace" },
	{ "link add name .", "argument \".\" is wrong: name must be 1..15 characters without "
	  "'/', ':' or whitespace" },
	{ "link add ttl 0x100", "argument \"0x100\" is wrong: ttl must be 1..255 or inherit" },
	{ "link add ttl 256", "argument \"256\" is wrong: ttl must be 1..255 or inherit" },
	{ "link add tos 256", "argument \"256\" is wrong: tos must be 0..255 or inherit" },
	{ "link add encaplimit 256", "argument \"256\" is wrong: encaplimit must be 0..255 or none" },
	{ "link add hoplimit 256", "argument \"256\" is wrong: hoplimit must be 0..255" },
	{ "link add tclass 256", "argument \"256\" is wrong: tclass must be 0..255 or inherit" },
	{ "link add flowlabel 0x100000",
	  "argument \"0x100000\" is wrong: flowlabel must be 0..0xfffff or inherit" },
	{ "link add key 4294967296",
	  "argument \"4294967296\" is wrong: key must be a number or a dotted quad" },
	{ "link add key 1.2.3", "argument \"1.2.3\" is wrong: key must be a number or a dotted quad" },
	{ "link add mtu 67", "argument \"67\" is wrong: mtu must be 68..65535" },
	{ "link add mtu 65536", "argument \"65536\" is wrong: mtu must be 68..65535" },
	{ "link add encap-sport 0", "argument \"0\" is wrong: encap-sport must be auto or 1..65535" },
	{ "link add encap-dport 0", "argument \"0\" is wrong: encap-dport must be 1..65535" },
	{ "link add mode ipipip", "argument \"ipipip\" is wrong: mode must be one of ipip ip6ip "
	  "ipip6 ip6ip6 any" },
	{ "link add remote nowhere", "argument \"nowhere\" is wrong: remote must be an IPv4 or "
	  "IPv6 address or any" },
	{ "link add local any", "argument \"any\" is wrong: local must be an IPv4 or IPv6 address" },
	{ "link add encap-csum noencap-csum", "\"noencap-csum\" conflicts with \"encap-csum\"" },
	{ "link add encap-udp6-csum encap-csum6",
	  "\"encap-csum6\" conflicts with \"encap-udp6-csum\"" },
	{ "link add key 1 ikey 2", "\"ikey\" conflicts with \"key\"" },
	{ "link add pmtudisc nopmtudisc", "\"nopmtudisc\" conflicts with \"pmtudisc\"" },
	{ "link add ttl 1 ttl 2", "duplicate keyword \"ttl\"" },
	{ "link add frob", "unknown keyword \"frob\"; valid: name type remote local ttl tos "
	  "pmtudisc nopmtudisc mode encaplimit hoplimit tclass hlim tc dsfield flowlabel key ikey okey csum nocsum "
	  "icsum noicsum ocsum noocsum seq noseq iseq noiseq oseq nooseq dev mtu encap encap-sport "
	  "encap-dport encap-csum noencap-csum encap-udp6-csum noencap-udp6-csum encap-csum6 "
	  "noencap-csum6 encap-remcsum noencap-remcsum up down" },
	{ "link add encap", "missing value for \"encap\" (ENCAP)" },
	{ "link set", "missing value for \"set\" (NAME)" },
	{ "link set dev", "missing value for \"dev\" (NAME)" },
	{ "link set tun1 name x name y", "duplicate keyword \"name\"" },
	{ "link set tun1 name a/b", "argument \"a/b\" is wrong: name must be 1..15 characters "
	  "without '/', ':' or whitespace" },
	{ "link set tun1 frob", "unknown keyword \"frob\"; valid: name type remote local ttl tos "
	  "pmtudisc nopmtudisc mode encaplimit hoplimit tclass hlim tc dsfield flowlabel key ikey okey csum nocsum "
	  "icsum noicsum ocsum noocsum seq noseq iseq noiseq oseq nooseq dev mtu encap encap-sport "
	  "encap-dport encap-csum noencap-csum encap-udp6-csum noencap-udp6-csum encap-csum6 "
	  "noencap-csum6 encap-remcsum noencap-remcsum up down" },
	{ "link del", "missing value for \"del\" (NAME)" },
	{ "link del tun1 tun2", "unexpected argument \"tun2\"" },
	{ "link show a b", "unexpected argument \"b\"" },
	{ "link show a:b", "argument \"a:b\" is wrong: name must be 1..15 characters without "
	  "'/', ':' or whitespace" },
	/* cross-field rules */
	{ "fou add gue", "fou: missing \"port\"" },
	{ "fou add port 5555", "fou: must set \"ipproto\" or \"gue\"" },
	{ "fou add port 5555 ipproto 4 gue", "fou: \"ipproto\" and \"gue\" are exclusive" },
	{ "fou add port 5555 gue peer 1.2.3.4", "fou: \"peer\" needs \"peer_port\"" },
	{ "fou add port 5555 gue peer_port 4", "fou: \"peer_port\" needs \"peer\"" },
	{ "fou add port 5555 gue dev eth0", "fou: \"dev\" needs \"local\"" },
	{ "fou del port 5555 dev eth0", "fou: \"dev\" needs \"local\"" },
	{ "fou add port 5555 gue local fd00::1", "argument \"fd00::1\" is wrong: local must be an "
	  "IPv4 address (add -6 for IPv6)" },
	{ "fou add port 5555 gue -6 peer 1.2.3.4 peer_port 1", "argument \"1.2.3.4\" is wrong: "
	  "peer must be an IPv6 address" },
	{ "link add type ipip local 1.1.1.1 encap fou encap-dport 1", "link: missing \"name\"" },
	{ "link add name a local 1.1.1.1 encap fou encap-dport 1", "link: missing \"type\"" },
	{ "link add name a type ipip encap fou encap-dport 1",
	  "link: missing \"local\" (ufou sends from it)" },
	{ "link add name a type ipip local 1.1.1.1 encap-dport 1", "link: missing \"encap\"" },
	{ "link add name a type ipip local 1.1.1.1 encap fou", "link: missing \"encap-dport\"" },
	{ "link add name a type ipip local fd00::1 encap fou encap-dport 1",
	  "argument \"fd00::1\" is wrong: local must be an IPv4 address for type ipip" },
	{ "link add name a type ip6tnl local 1.1.1.1 encap fou encap-dport 1",
	  "argument \"1.1.1.1\" is wrong: local must be an IPv6 address for type ip6tnl" },
	{ "link add name a type gre remote fd00::1 local 1.1.1.1 encap fou encap-dport 1",
	  "argument \"fd00::1\" is wrong: remote must be an IPv4 address for type gre" },
	{ "link add name a type ipip local 1.1.1.1 mode ip6ip6 encap fou encap-dport 1",
	  "argument \"ip6ip6\" is wrong: mode does not fit type ipip" },
	{ "link add name a type sit local 1.1.1.1 mode ipip6 encap fou encap-dport 1",
	  "argument \"ipip6\" is wrong: mode does not fit type sit" },
	{ "link add name a type ip6tnl local ::1 mode ip6ip encap fou encap-dport 1",
	  "argument \"ip6ip\" is wrong: mode does not fit type ip6tnl" },
	{ "link add name a type gre local 1.1.1.1 mode any encap fou encap-dport 1",
	  "\"mode\" is only for types ipip sit ip6tnl, not gre" },
	{ "link add name a type ipip local 1.1.1.1 key 5 encap fou encap-dport 1",
	  "\"key\" is only for GRE types (gre gretap ip6gre ip6gretap), not ipip" },
	{ "link add name a type ip6tnl local ::1 ocsum encap fou encap-dport 1",
	  "\"ocsum\" is only for GRE types (gre gretap ip6gre ip6gretap), not ip6tnl" },
	/* hoplimit on ipip and ttl on ip6gre are iproute2 synonyms; only both at once fail. */
	{ "link add name a type ipip local 1.1.1.1 hoplimit 5 ttl 6 encap fou encap-dport 1",
	  "\"hoplimit\" and \"ttl\" both given for type ipip" },
	{ "link add name a type gre local 1.1.1.1 flowlabel 5 encap fou encap-dport 1",
	  "\"flowlabel\" is only for IPv6 types (ip6tnl ip6gre ip6gretap), not gre" },
	{ "link add name a type ip6gre local ::1 ttl 5 hlim 6 encap fou encap-dport 1",
	  "\"ttl\" and \"hoplimit\" both given for type ip6gre" },
	{ "link add name a type ip6tnl local ::1 nopmtudisc encap fou encap-dport 1",
	  "\"nopmtudisc\" is only for IPv4 types (ipip sit gre gretap), not ip6tnl" },
	{ "link add name a type ipip local 1.1.1.1 ttl 64 nopmtudisc encap fou encap-dport 1",
	  "ttl != 0 and nopmtudisc are incompatible" },
	{ NULL, NULL },
};

static void test_bad(void)
{
	char err[1024];
	struct gr_cmd cmd;

	TEST("rejected commands name the token");
	for (int i = 0; bad[i].cmd; i++) {
		err[0] = 0;
		CHECK_EQ(parse_check(bad[i].cmd, &cmd, err, sizeof(err)), -EINVAL);
		if (strcmp(err, bad[i].msg))
			printf("# cmd: %s\n", bad[i].cmd);
		CHECK_STR(err, bad[i].msg);
	}
}

static void test_ok_edge(void)
{
	char err[512];
	struct gr_cmd cmd;

	TEST("ttl inherit (or 0) with nopmtudisc is fine");
	CHECK_EQ(parse_check("link add name a type ipip local 1.1.1.1 ttl inherit nopmtudisc "
			     "encap fou encap-dport 1", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(parse_check("link add name a type ipip local 1.1.1.1 ttl 0 nopmtudisc "
			     "encap fou encap-dport 1", &cmd, err, sizeof(err)), 0);

	TEST("values land in the model");
	CHECK_EQ(parse("fou add port 5556 gue -6 local fd00::1 peer fd00::2 peer_port 9 dev eth0",
		       &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.obj, GR_OBJ_FOU);
	CHECK_EQ(cmd.act, GR_ADD);
	CHECK_EQ(cmd.port.port, 5556);
	CHECK(cmd.port.gue);
	CHECK_EQ(cmd.port.family, 6);
	CHECK_EQ(cmd.port.peer_port, 9);
	CHECK_STR(cmd.port.dev, "eth0");
	CHECK_EQ(cmd.port.local.family, 6);
	CHECK_EQ(parse("link add name a type gre key 1.2.3.4 csum", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.link.ikey, 0x01020304);
	CHECK_EQ(cmd.link.okey, 0x01020304);
	CHECK(cmd.link.icsum && cmd.link.ocsum);
	CHECK((cmd.link.has & (UF_LINK_HAS_IKEY | UF_LINK_HAS_OKEY)) ==
	      (UF_LINK_HAS_IKEY | UF_LINK_HAS_OKEY));
	CHECK_EQ(parse("fou add port 1 ipproto ipv6", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.port.ipproto, 41);
	CHECK_EQ(parse("fou add port 1 ipproto gre", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.port.ipproto, 47);
	CHECK_EQ(parse("link set dev tun9 tos 0x10 encap-sport 7", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.act, GR_SET);
	CHECK_STR(cmd.link.name, "tun9");
	CHECK_EQ(cmd.link.tos, 0x10);
	CHECK_EQ(cmd.link.sport, 7);
	CHECK_EQ(cmd.link.has, UF_LINK_HAS_NAME | UF_LINK_HAS_TOS | UF_LINK_HAS_SPORT);
	CHECK_EQ(parse("link add encaplimit none", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.link.encaplimit, -1);

	TEST("link add: the other family's ttl/tos words land in this type's fields");
	CHECK_EQ(parse("link add type ip6gre ttl 5 dsfield 8", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.link.has, UF_LINK_HAS_TYPE | UF_LINK_HAS_HOPLIMIT | UF_LINK_HAS_TCLASS);
	CHECK_EQ(cmd.link.hoplimit, 5);
	CHECK_EQ(cmd.link.tclass, 8);
	CHECK_EQ(parse("link add type ipip hlim 7 tc inherit", &cmd, err, sizeof(err)), 0);
	CHECK_EQ(cmd.link.has, UF_LINK_HAS_TYPE | UF_LINK_HAS_TTL | UF_LINK_HAS_TOS);
	CHECK_EQ(cmd.link.ttl, 7);
	CHECK(cmd.link.tos_inherit);
}

/* The device print_to_str shows a link with: what the kernel would say. */
static struct uf_link_dev dev = { .known = true, .mtu = 1400,
				  .flags = IFF_UP | IFF_RUNNING | IFF_POINTOPOINT | IFF_NOARP };

static char *print_to_str(bool json, const struct uf_port_conf *p, const struct uf_link_conf *l)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	struct pr pr;

	pr_init(&pr, f, json, false);
	pr_obj_begin(&pr, NULL);
	if (p)
		gr_print_port(&pr, p);
	else
		gr_print_link(&pr, l, &dev);
	pr_obj_end(&pr);
	pr_end(&pr);
	fclose(f);
	return s;
}

static const char *const link_rt[] = {
	"type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 encap fou encap-sport auto "
	"encap-dport 5555",
	"type ipip local 198.18.0.2 tos inherit nopmtudisc mode any encap gue encap-dport 1 "
	"encap-csum encap-remcsum encap-udp6-csum mtu 9000 dev eth0",
	"type sit remote 1.1.1.1 local 2.2.2.2 ttl 1 tos 0x10 mode ipip encap fou encap-dport 7",
	"type sit local 2.2.2.2 encap fou encap-dport 7 encap-sport 65535",
	"type gre local 2.2.2.2 key 5 csum seq encap gue encap-dport 7",
	"type gretap local 2.2.2.2 ikey 1.2.3.4 ocsum iseq encap gue encap-dport 7",
	"type ip6tnl remote fd00:18::1 local fd00:18::2 encap fou encap-dport 5557 encap-csum6",
	"type ip6tnl local fd00::2 mode ipip6 encaplimit none hoplimit 0 tclass inherit "
	"flowlabel inherit encap gue encap-dport 5557 encap-csum",
	"type ip6gre local fd00::2 encaplimit 0 hoplimit 255 tclass 0xff flowlabel 0xfffff "
	"okey 9 icsum oseq encap gue encap-dport 1",
	"type ip6gretap local fd00::2 remote fd00::1 encap fou encap-dport 1 encap-remcsum",
	NULL,
};

/* show output, prefixed with "link add name", parses back to the same show. */
static void test_link_roundtrip(void)
{
	char cmdline[1024], err[512];
	struct gr_cmd cmd;

	TEST("link: show output re-creates the link (round trip)");
	for (int i = 0; link_rt[i]; i++) {
		struct uf_link_conf l1, l2;
		char *s1, *s2, *colon;

		snprintf(cmdline, sizeof(cmdline), "link add name tun%d %s", i, link_rt[i]);
		CHECK_EQ(parse_check(cmdline, &cmd, err, sizeof(err)), 0);
		/* Every other row's device is down: show says down, add takes it. */
		dev.flags = i % 2 ? IFF_POINTOPOINT | IFF_NOARP : IFF_UP | IFF_RUNNING | IFF_NOARP;
		l1 = cmd.link;
		uf_link_conf_defaults(&l1);
		s1 = print_to_str(false, NULL, &l1);
		colon = strchr(s1, ':');
		CHECK(colon != NULL);
		if (!colon) {
			free(s1);
			continue;
		}
		s1[strcspn(s1, "\n")] = 0;
		*colon = 0;
		snprintf(cmdline, sizeof(cmdline), "link add name %s%s", s1, colon + 1);
		*colon = ':';
		CHECK_EQ(parse_check(cmdline, &cmd, err, sizeof(err)), 0);
		l2 = cmd.link;
		uf_link_conf_defaults(&l2);
		s2 = print_to_str(false, NULL, &l2);
		s2[strcspn(s2, "\n")] = 0;
		CHECK_STR(s2, s1);
		/* and the model agrees field by field where it matters */
		CHECK_EQ(l1.type, l2.type);
		CHECK(!memcmp(&l1.remote, &l2.remote, sizeof(l1.remote)));
		CHECK(!memcmp(&l1.local, &l2.local, sizeof(l1.local)));
		CHECK_EQ(l1.ttl, l2.ttl);
		CHECK_EQ(l1.tos, l2.tos);
		CHECK_EQ(l1.tos_inherit, l2.tos_inherit);
		CHECK_EQ(l1.pmtudisc, l2.pmtudisc);
		CHECK_EQ(l1.mode, l2.mode);
		CHECK_EQ(l1.encaplimit, l2.encaplimit);
		CHECK_EQ(l1.hoplimit, l2.hoplimit);
		CHECK_EQ(l1.tclass, l2.tclass);
		CHECK_EQ(l1.tclass_inherit, l2.tclass_inherit);
		CHECK_EQ(l1.flowlabel, l2.flowlabel);
		CHECK_EQ(l1.flowlabel_inherit, l2.flowlabel_inherit);
		CHECK_EQ(l1.ikey, l2.ikey);
		CHECK_EQ(l1.okey, l2.okey);
		CHECK_EQ(l1.has & (UF_LINK_HAS_IKEY | UF_LINK_HAS_OKEY),
			 l2.has & (UF_LINK_HAS_IKEY | UF_LINK_HAS_OKEY));
		CHECK_EQ(l1.icsum, l2.icsum);
		CHECK_EQ(l1.ocsum, l2.ocsum);
		CHECK_EQ(l1.iseq, l2.iseq);
		CHECK_EQ(l1.oseq, l2.oseq);
		CHECK_STR(l1.dev, l2.dev);
		CHECK_EQ(l1.encap, l2.encap);
		CHECK_EQ(l1.sport, l2.sport);
		CHECK_EQ(l1.dport, l2.dport);
		CHECK_EQ(l1.encap_csum, l2.encap_csum);
		CHECK_EQ(l1.encap_csum6, l2.encap_csum6);
		CHECK_EQ(l1.encap_remcsum, l2.encap_remcsum);
		CHECK_EQ(l2.mtu, 1400);
		CHECK(l2.has & UF_LINK_HAS_UP);
		CHECK_EQ(l2.up, i % 2 == 0);
		free(s1);
		free(s2);
	}
}

static const char *const port_rt[] = {
	"port 5555 ipproto 4",
	"port 1 ipproto 255",
	"port 65535 gue",
	"port 5556 gue -6 local fd00::1 peer fd00::2 peer_port 1 dev eth0",
	"port 5557 ipproto 41 local 10.0.0.1 dev lo",
	"port 5558 ipproto 47 peer 10.0.0.2 peer_port 65535",
	NULL,
};

static void test_port_roundtrip(void)
{
	char cmdline[512], err[512];
	struct gr_cmd cmd;

	TEST("fou: show output is the add words (exactly)");
	for (int i = 0; port_rt[i]; i++) {
		char *s;

		snprintf(cmdline, sizeof(cmdline), "fou add %s", port_rt[i]);
		CHECK_EQ(parse_check(cmdline, &cmd, err, sizeof(err)), 0);
		s = print_to_str(false, &cmd.port, NULL);
		s[strcspn(s, "\n")] = 0;
		CHECK_STR(s, port_rt[i]);
		free(s);
	}
}

#define NELEM_T(a) (sizeof(a) / sizeof((a)[0]))

/* iproute2's linkinfo names and value formats: inherit, keys, flags. */
static const struct { const char *cmd, *json; } json_rows[] = {
	{ "link add name g1 type gre local 198.18.0.2 ikey 1.2.3.4 okey 5 icsum oseq tos inherit "
	  "ttl inherit dev eth0 encap gue encap-sport 4000 encap-dport 7 encap-remcsum",
	  "{\"ifname\":\"g1\",\"linkinfo\":{\"info_kind\":\"gre\",\"info_data\":{"
	  "\"remote\":\"any\",\"local\":\"198.18.0.2\",\"ttl\":0,\"tos\":\"0x1\","
	  "\"pmtudisc\":true,\"ikey\":\"1.2.3.4\",\"okey\":\"0.0.0.5\",\"icsum\":true,"
	  "\"oseq\":true,\"link\":\"eth0\",\"encap\":{\"type\":\"gue\",\"sport\":4000,"
	  "\"dport\":7,\"csum\":false,\"csum6\":false,\"remcsum\":true}}},\"mtu\":1400}\n" },
	{ "link add name s1 type sit local 198.18.0.2 tos 0x10 nopmtudisc mode any encap fou "
	  "encap-dport 7",
	  "{\"ifname\":\"s1\",\"linkinfo\":{\"info_kind\":\"sit\",\"info_data\":{"
	  "\"remote\":\"any\",\"local\":\"198.18.0.2\",\"proto\":\"any\",\"ttl\":0,"
	  "\"tos\":\"0x10\",\"pmtudisc\":false,\"encap\":{\"type\":\"fou\",\"sport\":0,"
	  "\"dport\":7,\"csum\":false,\"csum6\":false,\"remcsum\":false}}},\"mtu\":1400}\n" },
	{ "link add name i6 type ip6gre local fd00::2 encaplimit none hoplimit 0 tclass inherit "
	  "flowlabel 0x12345 encap fou encap-dport 7",
	  "{\"ifname\":\"i6\",\"linkinfo\":{\"info_kind\":\"ip6gre\",\"info_data\":{"
	  "\"remote\":\"any\",\"local\":\"fd00::2\",\"ip6_tnl_f_ign_encap_limit\":true,"
	  "\"ttl\":0,\"ip6_tnl_f_use_orig_tclass\":true,\"flowlabel\":\"0x12345\","
	  "\"encap\":{\"type\":\"fou\",\"sport\":0,\"dport\":7,\"csum\":false,"
	  "\"csum6\":true,\"remcsum\":false}}},\"mtu\":1400}\n" },
};

static void test_json(void)
{
	char err[512];
	struct gr_cmd cmd;
	struct uf_link_conf l;
	char *s;

	TEST("JSON from the same print calls");
	CHECK_EQ(parse("fou add port 5555 ipproto 4", &cmd, err, sizeof(err)), 0);
	s = print_to_str(true, &cmd.port, NULL);
	CHECK_STR(s, "{\"port\":5555,\"ipproto\":4,\"family\":\"inet\"}\n");
	free(s);
	CHECK_EQ(parse("fou add port 5556 gue -6 local fd00::1", &cmd, err, sizeof(err)), 0);
	s = print_to_str(true, &cmd.port, NULL);
	CHECK_STR(s, "{\"port\":5556,\"gue\":null,\"family\":\"inet6\",\"local\":\"fd00::1\"}\n");
	free(s);
	CHECK_EQ(parse("link add name tun1 type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 "
		       "encap fou encap-dport 5555", &cmd, err, sizeof(err)), 0);
	dev.flags = IFF_UP | IFF_POINTOPOINT | IFF_NOARP;   /* up, no carrier */
	l = cmd.link;
	uf_link_conf_defaults(&l);
	s = print_to_str(true, NULL, &l);
	CHECK_STR(s, "{\"ifname\":\"tun1\",\"linkinfo\":{\"info_kind\":\"ipip\",\"info_data\":{"
		  "\"remote\":\"198.18.0.1\",\"local\":\"198.18.0.2\",\"proto\":\"ipip\",\"ttl\":225,"
		  "\"pmtudisc\":true,\"encap\":{\"type\":\"fou\",\"sport\":0,\"dport\":5555,"
		  "\"csum\":false,\"csum6\":false,\"remcsum\":false}}},"
		  "\"mtu\":1400,\"flags\":[\"NO-CARRIER\",\"POINTOPOINT\",\"NOARP\",\"UP\"]}\n");
	free(s);
	s = print_to_str(false, NULL, &l);
	CHECK_STR(s, "tun1: type ipip remote 198.18.0.1 local 198.18.0.2 ttl 225 tos 0x00 "
		  "pmtudisc encap fou encap-sport auto encap-dport 5555 noencap-csum "
		  "noencap-remcsum mtu 1400 up\n");
	free(s);
	dev.known = false;   /* no device to ask: no flags */
	for (size_t i = 0; i < NELEM_T(json_rows); i++) {
		CHECK_EQ(parse(json_rows[i].cmd, &cmd, err, sizeof(err)), 0);
		l = cmd.link;
		uf_link_conf_defaults(&l);
		s = print_to_str(true, NULL, &l);
		CHECK_STR(s, json_rows[i].json);
		free(s);
	}
	dev.known = true;
}

static void test_merge(void)
{
	char err[512];
	struct gr_cmd cmd;
	struct uf_link_conf l;

	TEST("link set merge: named fields change, the rest stays");
	CHECK_EQ(parse("link add name tun1 type gre remote 1.1.1.1 local 2.2.2.2 ttl 9 key 4 "
		       "encap fou encap-dport 5555 encap-csum", &cmd, err, sizeof(err)), 0);
	l = cmd.link;
	uf_link_conf_defaults(&l);
	CHECK_EQ(parse("link set tun1 encap gue encap-sport 4000 noencap-csum okey 7", &cmd, err,
		       sizeof(err)), 0);
	gr_link_merge(&l, &cmd.link);
	CHECK_STR(l.name, "tun1");
	CHECK_EQ(l.type, UF_LINK_GRE);
	CHECK_EQ(l.ttl, 9);
	CHECK_EQ(l.ikey, 4);
	CHECK_EQ(l.okey, 7);
	CHECK_EQ(l.encap, UF_ENCAP_GUE);
	CHECK_EQ(l.sport, 4000);
	CHECK_EQ(l.dport, 5555);
	CHECK(!l.encap_csum);
	CHECK(l.has & UF_LINK_HAS_SPORT);
	CHECK_EQ(gr_check_link(NULL, &l, err, sizeof(err)), 0);
}

static void test_usage(void)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	TEST("usage is generated from the tables (every keyword, every domain)");
	gr_usage(f, GR_OBJ_NONE);
	fclose(f);
	CHECK(strstr(s, "ufou fou add port PORT { ipproto PROTO | gue }") != NULL);
	CHECK(strstr(s, "[ [no]encap-csum ]") != NULL);
	CHECK(strstr(s, "[ [no]encap-udp6-csum ]") != NULL);
	CHECK(strstr(s, "[ [no]pmtudisc ]") != NULL);
	CHECK(strstr(s, "encap ENCAP") != NULL);
	CHECK(strstr(s, "[ encap-sport SPORT ]") != NULL);
	CHECK(strstr(s, "Where: PORT := { 1..65535 }") != NULL);
	CHECK(strstr(s, "PROTO := { ipproto-name | 1..255 }") != NULL);
	CHECK(strstr(s, "ENCAP := { fou | gue }") != NULL);
	CHECK(strstr(s, "ufou link set { NAME | dev NAME }") != NULL);
	CHECK(strstr(s, "ufou link show [ NAME | dev NAME ]") != NULL);
	CHECK(strstr(s, "encap-csum6") == NULL);   /* alias: accepted, not advertised */
	for (char *p = s; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0))
		CHECK(strcspn(p, "\n") <= 80);
	free(s);
}

static void add_word(const char *w, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 1024 - n, "%s%s", n ? " " : "", w);
}

/* The candidates for the word after s, space-separated; want gets GR_WANT_*. */
static const char *complete(const char *s, unsigned int *want)
{
	static char buf[1024];
	char *argv[MAXW];
	int argc = split(s, argv);

	buf[0] = 0;
	*want = gr_complete(argc, argv, add_word, buf);
	return buf;
}

static bool has_cand(const char *cands, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = cands; (p = strstr(p, w)); p += n)
		if ((p == cands || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

static void test_complete(void)
{
	static const struct {
		const char *words;
		const char *in;       /* candidates that must be offered */
		const char *out;      /* and some that must not */
		unsigned int want;
	} rows[] = {
		{ "", "fou link decode help", "add", 0 },
		{ "fou", "add del show help", "set", 0 },
		{ "link", "add set del show help", "fou", 0 },
		{ "fou add", "port ipproto gue local peer peer_port dev -6", "name", 0 },
		{ "fou add port 5555 gue", "local peer -6", "port ipproto gue", 0 },
		{ "fou add ipproto", "ipip ipv6 gre", "port", 0 },
		{ "fou del", "port local peer peer_port dev -6", "ipproto gue", 0 },
		{ "fou show", "", "port", 0 },
		{ "link add", "name type remote local encap encap-dport csum ttl hoplimit",
		  "hlim tc dsfield encap-csum6", 0 },
		{ "link add type", "ipip sit gre gretap ip6tnl ip6gre ip6gretap", "name", 0 },
		{ "link add type ipip", "ttl tos pmtudisc nopmtudisc mode encap",
		  "type hoplimit encaplimit key csum seq", 0 },
		{ "link add type ip6gre", "hoplimit tclass encaplimit flowlabel key csum",
		  "ttl tos pmtudisc mode", 0 },
		{ "link add type sit mode", "ipip ip6ip any", "ipip6 ip6ip6", 0 },
		{ "link add type gre ttl 9 csum", "ikey okey key seq", "ttl hoplimit csum nocsum icsum",
		  0 },
		{ "link add encap", "fou gue", "none", 0 },
		{ "link add encap-sport", "auto", "", 0 },
		{ "link add remote", "any", "", 0 },
		{ "link add ttl", "inherit", "", 0 },
		{ "link add encaplimit", "none", "", 0 },
		{ "link add dev", "", "name", GR_WANT_IFNAME },
		{ "link set", "dev", "name", GR_WANT_LINK },
		{ "link set dev", "", "dev", GR_WANT_LINK },
		{ "link set tun1", "name type ttl encap", "", 0 },
		{ "link set dev tun1 ttl 3", "name tos", "ttl hoplimit", 0 },
		{ "link del", "dev", "name", GR_WANT_LINK },
		{ "link show tun1", "", "dev name", 0 },
		{ "link add bogus", "", "name", 0 },
		{ "link add ttl 300", "", "name", 0 },
		{ "frob", "", "add", 0 },
	};

	TEST("completion offers the words the grammar takes at that point, and no others");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char words[256], *w;
		unsigned int want;
		const char *c = complete(rows[i].words, &want);

		snprintf(words, sizeof(words), "%s", rows[i].in);
		for (w = strtok(words, " "); w; w = strtok(NULL, " "))
			CHECK(has_cand(c, w));
		snprintf(words, sizeof(words), "%s", rows[i].out);
		for (w = strtok(words, " "); w; w = strtok(NULL, " "))
			CHECK(!has_cand(c, w));
		CHECK(want == rows[i].want);
		if (!rows[i].in[0] && !rows[i].want)
			CHECK(c[0] == 0);
	}
}

int main(void)
{
	test_good();
	test_bad();
	test_ok_edge();
	test_link_roundtrip();
	test_port_roundtrip();
	test_json();
	test_merge();
	test_usage();
	test_complete();
	return t_done();
}
