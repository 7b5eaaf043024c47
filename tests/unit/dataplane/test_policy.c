// SPDX-License-Identifier: GPL-2.0
/* Transmit inner checks, PMTU decisions, GRE receive sequence numbers. */
#include <errno.h>
#include "t.h"

#include "dataplane/policy.h"

static uint8_t pkt[2000];

static size_t mk4(uint8_t *p, size_t len, bool df)
{
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[6] = df ? 0x40 : 0;
	return len;
}

static size_t mk6(uint8_t *p, size_t len)
{
	memset(p, 0, len);
	p[0] = 0x60;
	return len;
}

static void test_inner(void)
{
	static const struct {
		enum uf_link_type type;
		enum uf_link_mode mode;
		int v4, v6;
	} rows[] = {
		{ UF_LINK_IPIP, UF_MODE_IPIP, 0, -1 },
		{ UF_LINK_IPIP, UF_MODE_ANY, 0, -1 },
		{ UF_LINK_SIT, UF_MODE_IP6IP, -1, 0 },
		{ UF_LINK_SIT, UF_MODE_IPIP, 0, -1 },
		{ UF_LINK_SIT, UF_MODE_ANY, 0, 0 },
		{ UF_LINK_IP6TNL, UF_MODE_IPIP6, 0, -1 },
		{ UF_LINK_IP6TNL, UF_MODE_IP6IP6, -1, 0 },
		{ UF_LINK_IP6TNL, UF_MODE_ANY, 0, 0 },
		{ UF_LINK_GRE, UF_MODE_DEFAULT, 0, 0 },
		{ UF_LINK_IP6GRE, UF_MODE_DEFAULT, 0, 0 },
	};
	struct dp_inner in;

	TEST("tx inner: which links carry IPv4 / IPv6");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK_EQ(dp_tx_inner(rows[i].type, rows[i].mode, pkt, mk4(pkt, 40, true), &in),
			 rows[i].v4);
		CHECK_EQ(dp_tx_inner(rows[i].type, rows[i].mode, pkt, mk6(pkt, 60), &in), rows[i].v6);
	}

	TEST("tx inner: short and bad versions refused");
	mk4(pkt, 40, false);
	CHECK_EQ(dp_tx_inner(UF_LINK_IPIP, UF_MODE_IPIP, pkt, 0, &in), -1);
	CHECK_EQ(dp_tx_inner(UF_LINK_IPIP, UF_MODE_IPIP, pkt, 19, &in), -1);
	CHECK_EQ(dp_tx_inner(UF_LINK_IPIP, UF_MODE_IPIP, pkt, 20, &in), 0);
	CHECK_EQ(in.version, 4);
	CHECK(!in.df);
	mk6(pkt, 60);
	CHECK_EQ(dp_tx_inner(UF_LINK_SIT, UF_MODE_IP6IP, pkt, 39, &in), -1);
	pkt[0] = 0x50;
	CHECK_EQ(dp_tx_inner(UF_LINK_GRE, UF_MODE_DEFAULT, pkt, 60, &in), -1);

	TEST("tx inner: tap links take any frame of 14+ bytes");
	memset(pkt, 0, 100);
	CHECK_EQ(dp_tx_inner(UF_LINK_GRETAP, UF_MODE_DEFAULT, pkt, 13, &in), -1);
	CHECK_EQ(dp_tx_inner(UF_LINK_GRETAP, UF_MODE_DEFAULT, pkt, 14, &in), 0);
	CHECK_EQ(in.version, 0);
	pkt[12] = 0x08;                          /* IPv4 EtherType, IPv4 inside */
	mk4(pkt + 14, 40, true);
	CHECK_EQ(dp_tx_inner(UF_LINK_IP6GRETAP, UF_MODE_DEFAULT, pkt, 54, &in), 0);
	CHECK_EQ(in.version, 4);
	CHECK_EQ(in.l3_off, 14);
	CHECK_EQ(in.l3_len, 40);
	CHECK(in.df);
	pkt[12] = 0x86;                          /* IPv6 EtherType, IPv4 inside: not IP */
	pkt[13] = 0xdd;
	CHECK_EQ(dp_tx_inner(UF_LINK_GRETAP, UF_MODE_DEFAULT, pkt, 54, &in), 0);
	CHECK_EQ(in.version, 0);
}

static enum dp_pmtu pm(uint8_t of, uint8_t ver, bool df, size_t l3, unsigned int lim, bool fits,
		       unsigned int *mtu)
{
	struct dp_inner in = { .version = ver, .l3_len = l3, .df = df };

	return dp_tx_pmtu(of, &in, lim, fits, mtu);
}

static void test_pmtu(void)
{
	static const struct {
		uint8_t of, ver;
		bool df;
		size_t l3;
		unsigned int lim;
		bool fits;
		enum dp_pmtu want;
		unsigned int mtu;
	} rows[] = {
		/* IPv4 DF: limit is the edge */
		{ 4, 4, true, 1472, 1472, true, DP_PMTU_SEND, 0 },
		{ 4, 4, true, 1473, 1472, false, DP_PMTU_ICMP, 1472 },
		{ 6, 4, true, 1453, 1452, false, DP_PMTU_ICMP, 1452 },
		/* IPv4 no DF: fragmented over IPv4, ICMP over IPv6 */
		{ 4, 4, false, 1473, 1472, false, DP_PMTU_FRAG, 0 },
		{ 4, 4, false, 1400, 1472, true, DP_PMTU_SEND, 0 },
		{ 6, 4, false, 1453, 1452, false, DP_PMTU_ICMP, 1452 },
		/* IPv6: always PTB over the limit, with at least 1280 */
		{ 4, 6, false, 1472, 1472, true, DP_PMTU_SEND, 0 },
		{ 4, 6, false, 1473, 1472, false, DP_PMTU_ICMP, 1472 },
		{ 6, 6, false, 1453, 1452, false, DP_PMTU_ICMP, 1452 },
		{ 4, 6, false, 1280, 1000, false, DP_PMTU_FRAG, 0 },
		{ 4, 6, false, 1281, 1000, false, DP_PMTU_ICMP, 1280 },
		{ 6, 6, false, 1280, 1000, false, DP_PMTU_FRAG, 0 },   /* RFC 2473 7.1 */
		/* non-IP frames on taps */
		{ 4, 0, false, 1500, 1462, false, DP_PMTU_FRAG, 0 },
		{ 6, 0, false, 1500, 1462, false, DP_PMTU_DROP, 0 },
		{ 6, 0, false, 100, 1462, true, DP_PMTU_SEND, 0 },
	};

	TEST("PMTU decisions");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned int mtu = 77;

		CHECK_EQ(pm(rows[i].of, rows[i].ver, rows[i].df, rows[i].l3, rows[i].lim,
			    rows[i].fits, &mtu), rows[i].want);
		CHECK_EQ(mtu, rows[i].mtu);
		if (t_cur_failed) {
			printf("# row %zu\n", i);
			break;
		}
	}
}

static void test_seq(void)
{
	uint32_t next = 0;

	TEST("GRE iseq: missing refused, first accepted, older refused, gaps ok");
	CHECK(!dp_gre_seq_ok(false, 5, &next));
	CHECK_EQ(next, 0);
	CHECK(dp_gre_seq_ok(true, 5, &next));
	CHECK_EQ(next, 6);
	CHECK(!dp_gre_seq_ok(true, 5, &next));
	CHECK(!dp_gre_seq_ok(true, 4, &next));
	CHECK(dp_gre_seq_ok(true, 6, &next));
	CHECK(dp_gre_seq_ok(true, 100, &next));
	CHECK_EQ(next, 101);
	CHECK(!dp_gre_seq_ok(false, 200, &next));

	TEST("GRE iseq: serial arithmetic across the wrap");
	next = 0xfffffffe;
	CHECK(dp_gre_seq_ok(true, 0xffffffff, &next));
	CHECK_EQ(next, 0);                 /* wraps to "nothing seen", as the kernel */
	CHECK(dp_gre_seq_ok(true, 0, &next));
	CHECK(dp_gre_seq_ok(true, 1, &next));
	CHECK(!dp_gre_seq_ok(true, 0xffffffff, &next));
	next = 10;
	CHECK(!dp_gre_seq_ok(true, 10 + 0x80000000u, &next));   /* half the space away: older */
	CHECK(dp_gre_seq_ok(true, 10 + 0x7fffffffu, &next));
}

int main(void)
{
	test_inner();
	test_pmtu();
	test_seq();
	return t_done();
}
