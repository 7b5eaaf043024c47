// SPDX-License-Identifier: GPL-2.0
/* GUE decode drop rules (gue_udp_recv + validate_gue_flags), encode, remcsum. */
#include <errno.h>

#include "t.h"

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/gue.h"

struct dec_row {
	const char *name;
	uint8_t hdr[16];
	size_t hdr_n;        /* header bytes given in hdr */
	size_t len;          /* total length (zero-filled after hdr) */
	enum uf_drop want;
	uint8_t version, proto, hlen;
	uint16_t hdr_len;
	bool remcsum;
};

#define D(x) UF_DROP_##x
#define H(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })
/* Byte 0 (ver/C/hlen), start and offset bytes of a PRIV+REMCSUM header. */
#define RCO(b0, s1, s0, o1, o0) H(b0, 0x04, 0x00, 0x01, 0x80, 0, 0, 0, s1, s0, o1, o0)

static const struct dec_row rows[] = {
	{ "empty datagram", { 0 }, 0, 0, D(GUE_TRUNCATED), 0, 0, 0, 0, false },
	{ "1 byte", H(0x00), 1, D(GUE_TRUNCATED), 0, 0, 0, 0, false },
	{ "3 bytes", H(0x00, 0x04, 0x00), 3, D(GUE_TRUNCATED), 0, 0, 0, 0, false },
	{ "4 bytes ipip", H(0x00, 0x04, 0x00, 0x00), 4, D(NONE), 0, 4, 0, 4, false },
	{ "sit + payload", H(0x00, 0x29, 0x00, 0x00), 100, D(NONE), 0, 41, 0, 4, false },
	{ "gre", H(0x00, 0x2f, 0x00, 0x00), 40, D(NONE), 0, 47, 0, 4, false },
	{ "proto 255", H(0x00, 0xff, 0x00, 0x00), 4, D(NONE), 0, 255, 0, 4, false },
	{ "proto 0", H(0x00, 0x00, 0x00, 0x00), 40, D(GUE_BAD_PROTO), 0, 0, 0, 4, false },
	{ "v1 IPv4", H(0x45, 0x00, 0x00, 0x54), 84, D(NONE), 1, 4, 0, 0, false },
	{ "v1 IPv6", H(0x60, 0x00, 0x00, 0x00), 40, D(NONE), 1, 41, 0, 0, false },
	{ "v1 4 bytes only", H(0x40, 0x00, 0x00, 0x00), 4, D(NONE), 1, 4, 0, 0, false },
	{ "v1 IP version 5", H(0x50, 0x00, 0x00, 0x00), 40, D(GUE_V1_BAD_IP), 1, 0, 0, 0, false },
	{ "v1 IP version 7", H(0x7f, 0x00, 0x00, 0x00), 40, D(GUE_V1_BAD_IP), 1, 0, 0, 0, false },
	{ "v1 3 bytes", H(0x45, 0x00, 0x00), 3, D(GUE_TRUNCATED), 0, 0, 0, 0, false },
	{ "version 2", H(0x80, 0x04, 0x00, 0x00), 40, D(GUE_BAD_VERSION), 2, 0, 0, 0, false },
	{ "version 3", H(0xc0, 0x04, 0x00, 0x00), 40, D(GUE_BAD_VERSION), 3, 0, 0, 0, false },
	{ "hlen 1, 4 bytes", H(0x01, 0x04, 0x00, 0x00), 4, D(GUE_BAD_HLEN), 0, 4, 1, 8, false },
	{ "hlen 1, 7 bytes", H(0x01, 0x04, 0x00, 0x00), 7, D(GUE_BAD_HLEN), 0, 4, 1, 8, false },
	{ "hlen 1, 8 bytes (unused option word)", H(0x01, 0x04, 0x00, 0x00), 8, D(NONE), 0, 4, 1,
	  8, false },
	{ "hlen 31, 128 bytes", H(0x1f, 0x04, 0x00, 0x00), 128, D(NONE), 0, 4, 31, 128, false },
	{ "hlen 31, 127 bytes", H(0x1f, 0x04, 0x00, 0x00), 127, D(GUE_BAD_HLEN), 0, 4, 31, 128,
	  false },
	{ "flag 0x8000 (captured rx-gue-badflags)", H(0x00, 0x04, 0x80, 0x00), 72,
	  D(GUE_BAD_FLAGS), 0, 4, 0, 4, false },
	{ "flag 0x0002", H(0x01, 0x04, 0x00, 0x02), 72, D(GUE_BAD_FLAGS), 0, 4, 1, 8, false },
	{ "PRIV without room", H(0x00, 0x04, 0x00, 0x01), 72, D(GUE_BAD_FLAGS), 0, 4, 0, 4, false },
	{ "PRIV, no private flags", H(0x01, 0x04, 0x00, 0x01, 0, 0, 0, 0), 72, D(NONE), 0, 4, 1,
	  8, false },
	{ "PRIV, private flag bit 30", H(0x01, 0x04, 0x00, 0x01, 0x40, 0, 0, 0), 72,
	  D(GUE_BAD_FLAGS), 0, 4, 1, 8, false },
	{ "PRIV, private flag bit 0", H(0x01, 0x04, 0x00, 0x01, 0, 0, 0, 1), 72,
	  D(GUE_BAD_FLAGS), 0, 4, 1, 8, false },
	{ "REMCSUM without room (hlen 1)", RCO(0x01, 0, 0x14, 0, 0x1a), 72,
	  D(GUE_BAD_FLAGS), 0, 4, 1, 8, false },
	{ "REMCSUM captured 20/26", RCO(0x02, 0, 0x14, 0, 0x1a), 80,
	  D(NONE), 0, 4, 2, 12, true },
	{ "REMCSUM offset+2 = payload", RCO(0x02, 0, 0x14, 0, 0x1a), 12 + 28,
	  D(NONE), 0, 4, 2, 12, true },
	{ "REMCSUM offset+2 = payload+1", RCO(0x02, 0, 0x14, 0, 0x1a), 12 + 27,
	  D(GUE_BAD_REMCSUM), 0, 4, 2, 12, true },
	{ "REMCSUM start = payload", RCO(0x02, 0, 40, 0, 0), 12 + 40,
	  D(NONE), 0, 4, 2, 12, true },
	{ "REMCSUM start = payload+1", RCO(0x02, 0, 40, 0, 0), 12 + 39,
	  D(GUE_BAD_REMCSUM), 0, 4, 2, 12, true },
	{ "REMCSUM max values", RCO(0x02, 0xff, 0xff, 0xff, 0xff), 200,
	  D(GUE_BAD_REMCSUM), 0, 4, 2, 12, true },
	{ "REMCSUM in hlen 3 (extra word)", RCO(0x03, 0, 0x14, 0, 0x1a), 80,
	  D(NONE), 0, 4, 3, 16, true },
	{ "control (captured rx-gue-ctl)", H(0x20, 0x04, 0x00, 0x00), 72, D(GUE_CONTROL), 0, 4,
	  0, 4, false },
	{ "control, proto 0", H(0x20, 0x00, 0x00, 0x00), 72, D(GUE_CONTROL), 0, 0, 0, 4, false },
	{ "control checked after flags", H(0x20, 0x04, 0x80, 0x00), 72, D(GUE_BAD_FLAGS), 0, 4, 0,
	  4, false },
	{ "control checked after remcsum", RCO(0x22, 0, 0x14, 0, 0x1a), 20,
	  D(GUE_BAD_REMCSUM), 0, 4, 2, 12, true },
	{ "control checked after hlen", H(0x21, 0x04, 0x00, 0x00), 4, D(GUE_BAD_HLEN), 0, 4, 1, 8,
	  false },
};

static void test_decode(void)
{
	uint8_t buf[256];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct dec_row *r = &rows[i];
		struct uf_gue g;

		TEST(r->name);
		memset(buf, 0, sizeof(buf));
		memcpy(buf, r->hdr, r->hdr_n);
		CHECK_EQ(uf_gue_decode(buf, r->len, &g), r->want);
		CHECK_EQ(g.version, r->version);
		CHECK_EQ(g.proto, r->proto);
		CHECK_EQ(g.hlen, r->hlen);
		CHECK_EQ(g.hdr_len, r->hdr_len);
		CHECK_EQ(g.remcsum, r->remcsum);
		if (r->remcsum) {
			CHECK_EQ(g.remcsum_start, get_be16(r->hdr + 8));
			CHECK_EQ(g.remcsum_offset, get_be16(r->hdr + 10));
			CHECK_EQ(g.priv, UF_GUE_PFLAG_REMCSUM);
		}
		if (r->want == UF_DROP_GUE_CONTROL)
			CHECK(g.control);
	}
}

static void test_encode(void)
{
	static const uint8_t want4[] = { 0x00, 0x04, 0x00, 0x00 };
	static const uint8_t want12[] = { 0x02, 0x04, 0x00, 0x01, 0x80, 0, 0, 0, 0, 0x14, 0, 0x24 };
	uint8_t out[16];
	struct uf_gue g;
	int proto;

	TEST("encode plain and remcsum (anchors example 00140024)");
	CHECK_EQ(uf_gue_encode(out, sizeof(out), 4, false, 0, 0), 4);
	CHECK_MEM(out, want4, 4);
	CHECK_EQ(uf_gue_encode(out, sizeof(out), 4, true, 20, 36), 12);
	CHECK_MEM(out, want12, 12);

	TEST("encode capacity 0 / 3 / 4 / 11 / 12");
	CHECK_EQ(uf_gue_encode(out, 0, 4, false, 0, 0), -EMSGSIZE);
	CHECK_EQ(uf_gue_encode(out, 3, 4, false, 0, 0), -EMSGSIZE);
	CHECK_EQ(uf_gue_encode(out, 4, 4, false, 0, 0), 4);
	CHECK_EQ(uf_gue_encode(out, 11, 4, true, 0, 6), -EMSGSIZE);
	CHECK_EQ(uf_gue_encode(out, 12, 4, true, 0, 6), 12);

	TEST("encode/decode round trip for protos 1..255, both forms");
	for (proto = 1; proto <= 255; proto++) {
		uint8_t pkt[12 + 64] = { 0 };

		uf_gue_encode(pkt, sizeof(pkt), (uint8_t)proto, false, 0, 0);
		CHECK_EQ(uf_gue_decode(pkt, 4 + 20, &g), UF_DROP_NONE);
		CHECK_EQ(g.proto, proto);
		CHECK_EQ(g.hdr_len, 4);
		uf_gue_encode(pkt, sizeof(pkt), (uint8_t)proto, true, 20, 36);
		CHECK_EQ(uf_gue_decode(pkt, sizeof(pkt), &g), UF_DROP_NONE);
		CHECK_EQ(g.proto, proto);
		CHECK_EQ(g.hdr_len, 12);
		CHECK(g.remcsum);
		CHECK_EQ(g.remcsum_start, 20);
		CHECK_EQ(g.remcsum_offset, 36);
	}
}

/* IPv4 + UDP with the UDP checksum field holding the folded pseudo-header sum. */
static size_t mk_partial_udp(uint8_t *p, size_t plen)
{
	static const uint8_t src[4] = { 198, 19, 10, 1 }, dst[4] = { 198, 19, 10, 2 };
	size_t i, ulen = 8 + plen;

	memset(p, 0, 20);
	p[0] = 0x45;
	put_be16(p + 2, (uint16_t)(20 + ulen));
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	put_be16(p + 10, uf_csum(p, 20));
	put_be16(p + 20, 50797);
	put_be16(p + 22, 33435);
	put_be16(p + 24, (uint16_t)ulen);
	for (i = 0; i < plen; i++)
		p[28 + i] = (uint8_t)(0x40 + i);
	put_be16(p + 26, uf_csum_fold16(uf_csum_pseudo4(src, dst, 17, (uint32_t)ulen)));
	return 20 + ulen;
}

static bool udp_valid(const uint8_t *p, size_t len)
{
	uint32_t s = uf_csum_pseudo4(p + 12, p + 16, 17, (uint32_t)(len - 20));

	return uf_csum_fold16(uf_csum_partial(p + 20, len - 20, s)) == 0xffff;
}

static void test_remcsum(void)
{
	static const size_t plens[] = { 0, 1, 32, 33, 1400 };
	uint8_t p[1500];
	size_t i, n;

	TEST("remcsum_apply completes UDP checksums (payload 0, 1, even, odd, large)");
	for (i = 0; i < sizeof(plens) / sizeof(plens[0]); i++) {
		n = mk_partial_udp(p, plens[i]);
		CHECK(!udp_valid(p, n));
		CHECK_EQ(uf_gue_remcsum_apply(p, n, 20, 26), 0);
		CHECK(udp_valid(p, n));
		CHECK(get_be16(p + 26) != 0);
	}

	TEST("remcsum_apply range: offset+2 / start vs length");
	n = mk_partial_udp(p, 0);  /* 28 bytes */
	CHECK_EQ(uf_gue_remcsum_apply(p, 0, 0, 0), -EINVAL);
	CHECK_EQ(uf_gue_remcsum_apply(p, 1, 0, 0), -EINVAL);
	CHECK_EQ(uf_gue_remcsum_apply(p, 2, 0, 0), 0);
	CHECK_EQ(uf_gue_remcsum_apply(p, n, 20, 26), 0);
	CHECK_EQ(uf_gue_remcsum_apply(p, n, 20, 27), -EINVAL);
	CHECK_EQ(uf_gue_remcsum_apply(p, n, 28, 0), 0);
	CHECK_EQ(uf_gue_remcsum_apply(p, n, 29, 0), -EINVAL);
	CHECK_EQ(uf_gue_remcsum_apply(p, n, 0xffff, 0xffff), -EINVAL);
}

int main(void)
{
	test_decode();
	test_encode();
	test_remcsum();
	return t_done();
}
