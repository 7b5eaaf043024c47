// SPDX-License-Identifier: GPL-2.0
/* GRE: header lengths, decode drop rules, checksum, encode round trips. */
#include "t.h"

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/gre.h"

static void test_hdr_len(void)
{
	int m;

	TEST("header length for every csum/key/seq combination");
	for (m = 0; m < 8; m++)
		CHECK_EQ(uf_gre_hdr_len(m & 1, m & 2, m & 4),
			 4 + 4 * ((m & 1) + !!(m & 2) + !!(m & 4)));
}

struct dec_row {
	const char *name;
	uint16_t flags, proto;
	size_t len;
	enum uf_drop want;
	uint16_t hdr_len;
};

/* Rows on a zeroed buffer: flags and protocol set, options all zero. */
static const struct dec_row rows[] = {
	{ "0 bytes", 0, 0, 0, UF_DROP_GRE_TRUNCATED, 0 },
	{ "1 byte", 0, 0x0800, 1, UF_DROP_GRE_TRUNCATED, 0 },
	{ "3 bytes", 0, 0x0800, 3, UF_DROP_GRE_TRUNCATED, 0 },
	{ "4 bytes, no payload", 0, 0x0800, 4, UF_DROP_NONE, 4 },
	{ "captured 00000800", 0, 0x0800, 88, UF_DROP_NONE, 4 },
	{ "captured 000086dd", 0, 0x86dd, 108, UF_DROP_NONE, 4 },
	{ "captured 00006558", 0, 0x6558, 94, UF_DROP_NONE, 4 },
	{ "version 1", 0x0001, 0x0800, 40, UF_DROP_GRE_BAD_VERSION, 4 },
	{ "version 7", 0x0007, 0x0800, 40, UF_DROP_GRE_BAD_VERSION, 4 },
	{ "routing bit", 0x4000, 0x0800, 40, UF_DROP_GRE_BAD_VERSION, 4 },
	{ "reserved0 bits ignored", 0x0ff8, 0x0800, 40, UF_DROP_NONE, 4 },
	{ "key, 7 bytes", UF_GRE_KEY, 0x0800, 7, UF_DROP_GRE_TRUNCATED, 8 },
	{ "key, 8 bytes", UF_GRE_KEY, 0x0800, 8, UF_DROP_NONE, 8 },
	{ "seq, 7 bytes", UF_GRE_SEQ, 0x0800, 7, UF_DROP_GRE_TRUNCATED, 8 },
	{ "key+seq, 11 bytes", UF_GRE_KEY | UF_GRE_SEQ, 0x0800, 11, UF_DROP_GRE_TRUNCATED, 12 },
	{ "key+seq, 12 bytes", UF_GRE_KEY | UF_GRE_SEQ, 0x0800, 12, UF_DROP_NONE, 12 },
	{ "csum+key+seq, 15 bytes", UF_GRE_CSUM | UF_GRE_KEY | UF_GRE_SEQ, 0x0800, 15,
	  UF_DROP_GRE_TRUNCATED, 16 },
	{ "csum zero field is bad", UF_GRE_CSUM, 0x0800, 20, UF_DROP_GRE_BAD_CSUM, 8 },
};

static void test_decode_rows(void)
{
	uint8_t buf[128];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct dec_row *r = &rows[i];
		struct uf_gre g;

		TEST(r->name);
		memset(buf, 0, sizeof(buf));
		put_be16(buf, r->flags);
		put_be16(buf + 2, r->proto);
		CHECK_EQ(uf_gre_decode(buf, r->len, &g), r->want);
		CHECK_EQ(g.hdr_len, r->hdr_len);
		if (r->len >= 4) {
			CHECK_EQ(g.flags, r->flags);
			CHECK_EQ(g.proto, r->proto);
		}
		if (r->want == UF_DROP_GRE_BAD_CSUM)
			CHECK_EQ(g.csum_state, UF_CSUM_BAD);
	}
}

/* Every option combination, payload sizes 0, 1, odd, even: encode -> decode. */
static void test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 3, 64, 1453 };
	static uint8_t buf[16 + 1500];
	size_t i, j;
	int m;

	TEST("encode/decode round trip");
	for (m = 0; m < 8; m++) {
		bool csum = m & 1, key = m & 2, seq = m & 4;
		size_t hl = uf_gre_hdr_len(csum, key, seq);

		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct uf_gre g;

			for (j = 0; j < sizes[i]; j++)
				buf[hl + j] = (uint8_t)(j * 13 + m);
			CHECK_EQ(uf_gre_encode(buf, 0x6558, csum, key, 0xdeadbeef, seq, 0xffffffff,
					       sizes[i]), hl);
			CHECK_EQ(uf_gre_decode(buf, hl + sizes[i], &g), UF_DROP_NONE);
			CHECK_EQ(g.proto, 0x6558);
			CHECK_EQ(g.hdr_len, hl);
			CHECK_EQ(g.has_csum, csum);
			CHECK_EQ(g.has_key, key);
			CHECK_EQ(g.has_seq, seq);
			CHECK_EQ(g.key, key ? 0xdeadbeef : 0);
			CHECK_EQ(g.seq, seq ? 0xffffffff : 0);
			if (csum) {
				CHECK_EQ(g.csum_state, UF_CSUM_VALID);
				CHECK_EQ(g.csum, get_be16(buf + 4));
				CHECK_EQ(get_be16(buf + 6), 0);  /* reserved1 */
				/* One flipped payload bit is caught. */
				if (sizes[i]) {
					buf[hl] ^= 1;
					CHECK_EQ(uf_gre_decode(buf, hl + sizes[i], &g),
						 UF_DROP_GRE_BAD_CSUM);
					CHECK_EQ(g.key, key ? 0xdeadbeef : 0);
					buf[hl] ^= 1;
				}
			}
		}
	}
}

static void test_wire_bytes(void)
{
	static const uint8_t plain[] = { 0x00, 0x00, 0x08, 0x00 };
	static const uint8_t full[] = { 0xb0, 0x00, 0x86, 0xdd, 0x00, 0x00, 0x00, 0x00,
					0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x01 };
	uint8_t buf[16];

	TEST("wire bytes: plain and csum+key+seq order");
	CHECK_EQ(uf_gre_encode(buf, UF_ETH_P_IP, false, false, 0, false, 0, 0), 4);
	CHECK_MEM(buf, plain, 4);
	CHECK_EQ(uf_gre_encode(buf, UF_ETH_P_IPV6, true, true, 42, true, 1, 0), 16);
	CHECK_EQ(get_be16(buf + 4), uf_csum(full, 16));
	buf[4] = buf[5] = 0;
	CHECK_MEM(buf, full, 16);
}

int main(void)
{
	test_hdr_len();
	test_decode_rows();
	test_roundtrip();
	test_wire_bytes();
	return t_done();
}
