// SPDX-License-Identifier: GPL-2.0
/* Tunnel lookup on receive: classes, match order, GRE keys, modes. */
#include <errno.h>
#include "t.h"

#include "dataplane/lookup.h"

static struct uf_addr a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct uf_addr x = { .family = 4, .a = { a, b, c, d } };

	return x;
}

static struct uf_addr a6(uint8_t last)
{
	struct uf_addr x = { .family = 6, .a = { 0xfd, 0, [15] = last } };

	return x;
}

static const struct uf_addr any = { 0 };

static struct dp_lk_link mk(enum uf_link_type t, enum uf_link_mode m, struct uf_addr local,
			    struct uf_addr remote)
{
	struct dp_lk_link l = { .type = t, .mode = m, .local = local, .remote = remote };

	return l;
}

static struct dp_lk_key key(uint8_t ipproto, struct uf_addr src, struct uf_addr dst)
{
	struct dp_lk_key k = { .family = src.family, .ipproto = ipproto };

	memcpy(k.src, src.a, 16);
	memcpy(k.dst, dst.a, 16);
	return k;
}

static int look(struct dp_lk_link *v, size_t n, const struct dp_lk_key *k, enum uf_drop *d)
{
	const struct dp_lk_link *pv[16];

	for (size_t i = 0; i < n; i++)
		pv[i] = &v[i];
	return dp_lookup(pv, n, k, d);
}

static void test_order(void)
{
	struct uf_addr me = a4(198, 18, 0, 1), peer = a4(198, 18, 0, 2), other = a4(198, 18, 0, 3);
	struct dp_lk_link v[] = {
		mk(UF_LINK_IPIP, UF_MODE_IPIP, any, any),          /* 0: both any */
		mk(UF_LINK_IPIP, UF_MODE_IPIP, me, any),           /* 1: local only */
		mk(UF_LINK_IPIP, UF_MODE_IPIP, any, peer),         /* 2: remote only */
		mk(UF_LINK_IPIP, UF_MODE_IPIP, me, peer),          /* 3: exact */
	};
	struct dp_lk_key k = key(4, peer, me);
	enum uf_drop d;

	TEST("lookup order: exact, remote, local, wildcard");
	CHECK_EQ(look(v, 4, &k, &d), 3);
	CHECK_EQ(d, UF_DROP_NONE);
	CHECK_EQ(look(v, 3, &k, &d), 2);
	CHECK_EQ(look(v, 2, &k, &d), 1);
	CHECK_EQ(look(v, 1, &k, &d), 0);
	CHECK_EQ(look(v, 0, &k, &d), -1);
	CHECK_EQ(d, UF_DROP_NO_TUNNEL);
	k = key(4, other, me);
	CHECK_EQ(look(v, 4, &k, &d), 1);        /* remote differs: local-only link */
	k = key(4, other, other);
	CHECK_EQ(look(v, 4, &k, &d), 0);
	CHECK_EQ(look(v + 1, 3, &k, &d), -1);
}

static void test_classes(void)
{
	struct uf_addr me = a4(198, 18, 0, 1), peer = a4(198, 18, 0, 2);
	struct uf_addr me6 = a6(1), peer6 = a6(2);
	struct dp_lk_link v[] = {
		mk(UF_LINK_SIT, UF_MODE_IP6IP, me, peer),          /* 0 */
		mk(UF_LINK_IPIP, UF_MODE_IPIP, me, peer),          /* 1 */
		mk(UF_LINK_GRE, UF_MODE_DEFAULT, me, peer),        /* 2 */
		mk(UF_LINK_GRETAP, UF_MODE_DEFAULT, me, peer),     /* 3 */
		mk(UF_LINK_IP6TNL, UF_MODE_ANY, me6, peer6),       /* 4 */
		mk(UF_LINK_IP6GRE, UF_MODE_DEFAULT, me6, peer6),   /* 5 */
		mk(UF_LINK_IP6GRETAP, UF_MODE_DEFAULT, me6, peer6),/* 6 */
	};
	struct dp_lk_key k;
	enum uf_drop d;

	TEST("lookup classes by protocol and outer family");
	k = key(4, peer, me);
	CHECK_EQ(look(v, 7, &k, &d), 1);
	k = key(41, peer, me);
	CHECK_EQ(look(v, 7, &k, &d), 0);
	k = key(47, peer, me);
	k.gre_proto = 0x0800;
	CHECK_EQ(look(v, 7, &k, &d), 2);
	k.gre_proto = 0x86dd;
	CHECK_EQ(look(v, 7, &k, &d), 2);
	k.gre_proto = 0x6558;
	CHECK_EQ(look(v, 7, &k, &d), 3);
	k = key(4, peer6, me6);
	CHECK_EQ(look(v, 7, &k, &d), 4);
	k = key(41, peer6, me6);
	CHECK_EQ(look(v, 7, &k, &d), 4);
	k = key(47, peer6, me6);
	k.gre_proto = 0x86dd;
	CHECK_EQ(look(v, 7, &k, &d), 5);
	k.gre_proto = 0x6558;
	CHECK_EQ(look(v, 7, &k, &d), 6);
	k = key(17, peer, me);
	CHECK_EQ(look(v, 7, &k, &d), -1);
	CHECK_EQ(d, UF_DROP_NO_TUNNEL);
	/* An IPv6 outer never reaches IPv4-outer links and vice versa. */
	k = key(4, peer6, me6);
	CHECK_EQ(look(v, 4, &k, &d), -1);
}

static void test_modes(void)
{
	struct uf_addr me = a4(198, 18, 0, 1), peer = a4(198, 18, 0, 2);
	struct dp_lk_link sit_ipip = mk(UF_LINK_SIT, UF_MODE_IPIP, me, peer);
	struct dp_lk_link sit_any = mk(UF_LINK_SIT, UF_MODE_ANY, me, peer);
	struct dp_lk_link sit_6 = mk(UF_LINK_SIT, UF_MODE_IP6IP, me, peer);
	struct dp_lk_key k4 = key(4, peer, me), k41 = key(41, peer, me);
	enum uf_drop d;

	TEST("sit modes: proto 4 reaches sit after ipip, wrong mode counts on the link");
	CHECK_EQ(look(&sit_ipip, 1, &k4, &d), 0);
	CHECK_EQ(d, UF_DROP_NONE);
	CHECK_EQ(look(&sit_ipip, 1, &k41, &d), 0);
	CHECK_EQ(d, UF_DROP_TUNNEL_MODE);
	CHECK_EQ(look(&sit_any, 1, &k4, &d), 0);
	CHECK_EQ(d, UF_DROP_NONE);
	CHECK_EQ(look(&sit_any, 1, &k41, &d), 0);
	CHECK_EQ(d, UF_DROP_NONE);
	CHECK_EQ(look(&sit_6, 1, &k4, &d), 0);
	CHECK_EQ(d, UF_DROP_TUNNEL_MODE);

	TEST("dp_mode_carries table");
	CHECK(dp_mode_carries(UF_LINK_IPIP, UF_MODE_IPIP, 4));
	CHECK(!dp_mode_carries(UF_LINK_IPIP, UF_MODE_IPIP, 41));
	CHECK(dp_mode_carries(UF_LINK_IPIP, UF_MODE_ANY, 4));
	CHECK(dp_mode_carries(UF_LINK_SIT, UF_MODE_DEFAULT, 41));
	CHECK(!dp_mode_carries(UF_LINK_SIT, UF_MODE_DEFAULT, 4));
	CHECK(dp_mode_carries(UF_LINK_IP6TNL, UF_MODE_IPIP6, 4));
	CHECK(!dp_mode_carries(UF_LINK_IP6TNL, UF_MODE_IPIP6, 41));
	CHECK(dp_mode_carries(UF_LINK_IP6TNL, UF_MODE_IP6IP6, 41));
	CHECK(!dp_mode_carries(UF_LINK_IP6TNL, UF_MODE_IP6IP6, 4));
	CHECK(dp_mode_carries(UF_LINK_IP6TNL, UF_MODE_ANY, 4));
	CHECK(dp_mode_carries(UF_LINK_GRE, UF_MODE_DEFAULT, 41));
}

static void test_keys(void)
{
	struct uf_addr me = a4(198, 18, 0, 1), peer = a4(198, 18, 0, 2);
	struct dp_lk_link v[] = {
		mk(UF_LINK_GRE, UF_MODE_DEFAULT, me, peer),        /* 0: no key */
		mk(UF_LINK_GRE, UF_MODE_DEFAULT, me, peer),        /* 1: key 7 */
		mk(UF_LINK_GRE, UF_MODE_DEFAULT, any, any),        /* 2: wildcard, key 9 */
	};
	struct dp_lk_key k = key(47, peer, me);
	enum uf_drop d;

	v[1].has_ikey = true;
	v[1].ikey = 7;
	v[2].has_ikey = true;
	v[2].ikey = 9;
	k.gre_proto = 0x0800;
	TEST("GRE keys: present iff the link has ikey, and equal");
	CHECK_EQ(look(v, 3, &k, &d), 0);
	k.has_key = true;
	k.key = 7;
	CHECK_EQ(look(v, 3, &k, &d), 1);
	k.key = 9;
	CHECK_EQ(look(v, 3, &k, &d), 2);
	k.key = 0;
	CHECK_EQ(look(v, 3, &k, &d), -1);
	CHECK_EQ(look(v, 1, &k, &d), -1);       /* unkeyed link refuses a keyed packet */
	k.has_key = false;
	CHECK_EQ(look(v + 1, 1, &k, &d), -1);   /* keyed link refuses an unkeyed packet */
	CHECK_EQ(look(v + 2, 1, &k, &d), -1);   /* GRE wildcard compares i_key with 0 */
	v[2].has_ikey = false;
	CHECK_EQ(look(v + 2, 1, &k, &d), 0);
	k = key(4, peer, me);
	v[2].type = UF_LINK_IPIP;
	v[2].mode = UF_MODE_IPIP;
	CHECK_EQ(look(v + 2, 1, &k, &d), 0);    /* ipip wildcard takes anything */
}

int main(void)
{
	test_order();
	test_classes();
	test_modes();
	test_keys();
	return t_done();
}
