// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>

#include "common/model.h"
#include "t.h"

static struct uf_addr a4(const char *s)
{
	struct uf_addr a = { .family = 4 };

	inet_pton(AF_INET, s, a.a);
	return a;
}

static struct uf_addr a6(const char *s)
{
	struct uf_addr a = { .family = 6 };

	inet_pton(AF_INET6, s, a.a);
	return a;
}

static void test_types(void)
{
	static const struct { const char *n; int fam; bool gre, tap; } rows[UF_LINK__COUNT] = {
		{ "ipip", 4, false, false }, { "sit", 4, false, false },
		{ "gre", 4, true, false }, { "gretap", 4, true, true },
		{ "ip6tnl", 6, false, false }, { "ip6gre", 6, true, false },
		{ "ip6gretap", 6, true, true },
	};

	TEST("link type names, families, gre/tap");
	for (int t = 0; t < UF_LINK__COUNT; t++) {
		CHECK_STR(uf_link_type_name(t), rows[t].n);
		CHECK_EQ(uf_link_type_parse(rows[t].n), t);
		CHECK_EQ(uf_link_type_family(t), rows[t].fam);
		CHECK_EQ(uf_link_type_is_gre(t), rows[t].gre);
		CHECK_EQ(uf_link_type_is_tap(t), rows[t].tap);
	}
	CHECK_EQ(uf_link_type_parse("vxlan"), -1);
	CHECK_EQ(uf_link_type_parse(""), -1);
	CHECK_EQ(uf_link_type_parse("IPIP"), -1);
	CHECK_STR(uf_link_type_name(UF_LINK__COUNT), "unknown");
}

static void test_port_same(void)
{
	struct uf_port_conf base = { .port = 5555, .family = 4, .ipproto = 4 }, o;

	TEST("uf_port_same: identity as fou_cfg_cmp");
	o = base;
	CHECK(uf_port_same(&base, &o));
	o.ipproto = 41;              /* not part of the identity */
	o.gue = true;
	CHECK(uf_port_same(&base, &o));
	o = base;
	o.family = 0;                /* unset family means IPv4 */
	CHECK(uf_port_same(&base, &o));
	o.family = 6;
	CHECK(!uf_port_same(&base, &o));
	o = base;
	o.port = 5556;
	CHECK(!uf_port_same(&base, &o));
	o = base;
	o.local = a4("10.0.0.1");
	CHECK(!uf_port_same(&base, &o));
	o = base;
	o.peer = a4("10.0.0.2");
	CHECK(!uf_port_same(&base, &o));
	o = base;
	o.peer_port = 1;
	CHECK(!uf_port_same(&base, &o));
	o = base;
	snprintf(o.dev, sizeof(o.dev), "eth0");
	CHECK(!uf_port_same(&base, &o));
	base.local = a6("fd00::1");
	base.family = 6;
	o = base;
	CHECK(uf_port_same(&base, &o));
	o.local.a[15] = 2;
	CHECK(!uf_port_same(&base, &o));
}

static void test_defaults(void)
{
	struct uf_link_conf c = { .type = UF_LINK_IPIP };

	TEST("defaults: Linux values for fields not given");
	memset(&c, 0xff, sizeof(c));
	c.has = UF_LINK_HAS_TYPE;
	c.type = UF_LINK_IPIP;
	uf_link_conf_defaults(&c);
	CHECK_EQ(c.ttl, 0);
	CHECK_EQ(c.tos, 0);
	CHECK(!c.tos_inherit);
	CHECK(c.pmtudisc);
	CHECK_EQ(c.mode, UF_MODE_IPIP);
	CHECK_EQ(c.encaplimit, 4);
	CHECK_EQ(c.hoplimit, 64);
	CHECK_EQ(c.tclass, 0);
	CHECK_EQ(c.flowlabel, 0);
	CHECK(!c.icsum && !c.ocsum && !c.iseq && !c.oseq);
	CHECK_EQ(c.mtu, 0);
	CHECK_EQ(c.sport, 0);
	CHECK(!c.encap_csum && !c.encap_csum6 && !c.encap_remcsum);

	TEST("defaults: given fields stay; modes per type");
	memset(&c, 0, sizeof(c));
	c.has = UF_LINK_HAS_TTL | UF_LINK_HAS_PMTUDISC | UF_LINK_HAS_ENCAPLIMIT;
	c.ttl = 9;
	c.pmtudisc = false;
	c.encaplimit = -1;
	c.type = UF_LINK_SIT;
	uf_link_conf_defaults(&c);
	CHECK_EQ(c.ttl, 9);
	CHECK(!c.pmtudisc);
	CHECK_EQ(c.encaplimit, -1);
	CHECK_EQ(c.mode, UF_MODE_IP6IP);
	memset(&c, 0, sizeof(c));
	c.type = UF_LINK_IP6TNL;
	uf_link_conf_defaults(&c);
	CHECK_EQ(c.mode, UF_MODE_IP6IP6);
	memset(&c, 0, sizeof(c));
	c.type = UF_LINK_GRE;
	uf_link_conf_defaults(&c);
	CHECK_EQ(c.mode, UF_MODE_DEFAULT);
	memset(&c, 0, sizeof(c));
	c.type = UF_LINK_IP6TNL;
	c.has = UF_LINK_HAS_MODE;
	c.mode = UF_MODE_ANY;
	uf_link_conf_defaults(&c);
	CHECK_EQ(c.mode, UF_MODE_ANY);
}

static void test_to_tx_v4(void)
{
	struct uf_link_conf c = { 0 };
	struct uf_tx tx;

	TEST("to_tx: ipip/fou");
	c.type = UF_LINK_IPIP;
	c.remote = a4("198.18.0.1");
	c.local = a4("198.18.0.2");
	c.encap = UF_ENCAP_FOU;
	c.dport = 5555;
	uf_link_conf_defaults(&c);
	c.ttl = 225;
	c.tos_inherit = true;
	c.encap_csum6 = true;     /* the IPv6 flag must not leak into IPv4 */
	c.encap_remcsum = true;   /* FOU has no remcsum */
	uf_link_conf_to_tx(&c, &tx);
	CHECK_EQ(tx.family, 4);
	CHECK_MEM(tx.src, c.local.a, 4);
	CHECK_MEM(tx.dst, c.remote.a, 4);
	CHECK_EQ(tx.ttl, 225);
	CHECK(tx.tos_inherit);
	CHECK(tx.pmtudisc);
	CHECK_EQ(tx.encap_limit, -1);
	CHECK_EQ(tx.encap, UF_ENCAP_FOU);
	CHECK_EQ(tx.sport, 0);
	CHECK_EQ(tx.sport_min, 32768);
	CHECK_EQ(tx.sport_max, 60999);   /* exclusive: 32768..60998 as Linux */
	CHECK_EQ(tx.dport, 5555);
	CHECK(!tx.udp_csum);
	CHECK(!tx.remcsum);
	CHECK(!tx.gre);
	CHECK_EQ(tx.inner_kind, UF_INNER_IP);
	CHECK_EQ(tx.hash_seed, 0);

	TEST("to_tx: gretap/gue with keys, csum, seq");
	memset(&c, 0, sizeof(c));
	c.type = UF_LINK_GRETAP;
	c.local = a4("10.0.0.1");
	c.encap = UF_ENCAP_GUE;
	c.dport = 6000;
	c.sport = 1234;
	c.has = UF_LINK_HAS_OKEY | UF_LINK_HAS_IKEY | UF_LINK_HAS_SPORT;
	uf_link_conf_defaults(&c);
	c.okey = 0x01020304;
	c.ikey = 7;
	c.ocsum = true;
	c.oseq = true;
	c.encap_csum = true;
	c.encap_remcsum = true;
	uf_link_conf_to_tx(&c, &tx);
	CHECK(tx.gre && tx.gre_key && tx.gre_csum && tx.gre_seq);
	CHECK_EQ(tx.gre_okey, 0x01020304);
	CHECK_EQ(tx.inner_kind, UF_INNER_ETH);
	CHECK_EQ(tx.sport, 1234);
	CHECK(tx.udp_csum);
	CHECK(tx.remcsum);
	CHECK_EQ(tx.dst[0], 0);   /* remote any */
}

static void test_to_tx_v6(void)
{
	struct uf_link_conf c = { 0 };
	struct uf_tx tx;

	TEST("to_tx: ip6tnl: hoplimit as ttl, tclass as tos, csum6");
	c.type = UF_LINK_IP6TNL;
	c.remote = a6("fd00:18::1");
	c.local = a6("fd00:18::2");
	c.encap = UF_ENCAP_FOU;
	c.dport = 5557;
	uf_link_conf_defaults(&c);
	c.encap_csum6 = true;
	c.flowlabel = 0x12345;
	c.tclass = 0x10;
	uf_link_conf_to_tx(&c, &tx);
	CHECK_EQ(tx.family, 6);
	CHECK_MEM(tx.src, c.local.a, 16);
	CHECK_MEM(tx.dst, c.remote.a, 16);
	CHECK_EQ(tx.ttl, 64);
	CHECK_EQ(tx.encap_limit, 4);
	CHECK_EQ(tx.tos, 0x10);
	CHECK(!tx.tos_inherit);
	CHECK_EQ(tx.flowlabel, 0x12345);
	CHECK(tx.udp_csum);
	CHECK(!tx.gre);

	TEST("to_tx: ip6gre without key");
	memset(&c, 0, sizeof(c));
	c.type = UF_LINK_IP6GRE;
	c.local = a6("fd00::1");
	c.encap = UF_ENCAP_GUE;
	c.dport = 1;
	uf_link_conf_defaults(&c);
	c.encaplimit = -1;
	c.tclass_inherit = true;
	c.flowlabel_inherit = true;
	CHECK(c.encap_csum6);    /* iproute2's default for ip6 types */
	c.encap_csum6 = false;
	c.encap_csum = true;     /* IPv4 flag must not leak into IPv6 */
	uf_link_conf_to_tx(&c, &tx);
	CHECK(tx.gre && !tx.gre_key && !tx.gre_csum && !tx.gre_seq);
	CHECK_EQ(tx.encap_limit, -1);
	CHECK(tx.tos_inherit && tx.flowlabel_inherit);
	CHECK(!tx.udp_csum);
	CHECK_EQ(tx.inner_kind, UF_INNER_IP);
}

static void test_tx_drop_names(void)
{
	TEST("tx drop names are distinct and not rx names");
	for (int i = 0; i < UF_TXD__COUNT; i++) {
		CHECK(strcmp(uf_tx_drop_name(i), "unknown") != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(uf_tx_drop_name(i), uf_tx_drop_name(j)) != 0);
		for (int r = 0; r < UF_DROP__COUNT; r++)
			CHECK(strcmp(uf_tx_drop_name(i), uf_drop_name(r)) != 0);
	}
	CHECK_STR(uf_tx_drop_name(UF_TXD__COUNT), "unknown");
}

int main(void)
{
	test_types();
	test_port_same();
	test_defaults();
	test_to_tx_v4();
	test_to_tx_v6();
	test_tx_drop_names();
	return t_done();
}
