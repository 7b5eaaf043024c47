// SPDX-License-Identifier: GPL-2.0
/* UDP encode/decode: lengths, checksum computed / zero / verified, both families. */
#include "t.h"

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/udp.h"

static void mk_ip(struct uf_ip *ip, uint8_t family)
{
	static const uint8_t s6[16] = { 0xfd, 0, 0, 0x18, [15] = 2 };
	static const uint8_t d6[16] = { 0xfd, 0, 0, 0x18, [15] = 1 };
	static const uint8_t s4[4] = { 198, 18, 0, 2 }, d4[4] = { 198, 18, 0, 1 };

	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	memcpy(ip->src, family == 6 ? s6 : s4, family == 6 ? 16 : 4);
	memcpy(ip->dst, family == 6 ? d6 : d4, family == 6 ? 16 : 4);
	ip->proto = UF_IPPROTO_UDP;
}

static void test_names(void)
{
	TEST("csum state names");
	CHECK_STR(uf_csum_state_name(UF_CSUM_ZERO), "zero");
	CHECK_STR(uf_csum_state_name(UF_CSUM_VALID), "valid");
	CHECK_STR(uf_csum_state_name(UF_CSUM_BAD), "bad");
	CHECK_STR(uf_csum_state_name((enum uf_csum_state)42), "unknown");
}

/* Round trip for payload sizes 0, 1, odd, even, large, both families, csum on/off. */
static void test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 2, 7, 100, 1471, 65527 };
	static uint8_t buf[65536];
	size_t i, k;
	int fam;

	TEST("encode/decode round trip");
	for (fam = 4; fam <= 6; fam += 2) {
		struct uf_ip ip;

		mk_ip(&ip, (uint8_t)fam);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			for (k = 0; k < 2; k++) {
				struct uf_udp u;
				size_t j;

				for (j = 0; j < sizes[i]; j++)
					buf[8 + j] = (uint8_t)(j * 7 + fam + k);
				uf_udp_encode(buf, 40000, 5555, sizes[i], &ip, k);
				CHECK_EQ(uf_udp_decode(buf, 8 + sizes[i], &ip, &u), UF_DROP_NONE);
				CHECK_EQ(u.sport, 40000);
				CHECK_EQ(u.dport, 5555);
				CHECK_EQ(u.len, 8 + sizes[i]);
				CHECK_EQ(u.csum_state, k ? UF_CSUM_VALID : UF_CSUM_ZERO);
				CHECK(k ? u.csum != 0 : u.csum == 0);
			}
		}
	}
}

/* A payload word chosen so the computed checksum is 0: sent as 0xffff. */
static void test_zero_becomes_ffff(void)
{
	uint8_t buf[10] = { 0 };
	struct uf_udp u;
	struct uf_ip ip;
	uint16_t c0;
	int fam;

	TEST("computed checksum 0 is sent as 0xffff");
	for (fam = 4; fam <= 6; fam += 2) {
		mk_ip(&ip, (uint8_t)fam);
		put_be16(buf + 8, 0);
		uf_udp_encode(buf, 1, 2, 2, &ip, true);
		c0 = get_be16(buf + 6);
		put_be16(buf + 8, c0);
		uf_udp_encode(buf, 1, 2, 2, &ip, true);
		CHECK_EQ(get_be16(buf + 6), 0xffff);
		CHECK_EQ(uf_udp_decode(buf, 10, &ip, &u), UF_DROP_NONE);
		CHECK_EQ(u.csum_state, UF_CSUM_VALID);
	}
}

struct dec_row {
	const char *name;
	size_t len;          /* bytes given */
	uint16_t ulen;       /* length field */
	int corrupt;         /* flip a payload byte after encoding with csum */
	int csum;
	enum uf_drop want;
	enum uf_csum_state state;
};

static void test_decode_rows(void)
{
	static const struct dec_row rows[] = {
		{ "0 bytes", 0, 8, 0, 0, UF_DROP_UDP_TRUNCATED, UF_CSUM_ZERO },
		{ "1 byte", 1, 8, 0, 0, UF_DROP_UDP_TRUNCATED, UF_CSUM_ZERO },
		{ "7 bytes", 7, 8, 0, 0, UF_DROP_UDP_TRUNCATED, UF_CSUM_ZERO },
		{ "8 bytes, len 8", 8, 8, 0, 1, UF_DROP_NONE, UF_CSUM_VALID },
		{ "len field 0", 8, 0, 0, 0, UF_DROP_UDP_BAD_LEN, UF_CSUM_ZERO },
		{ "len field 7", 8, 7, 0, 0, UF_DROP_UDP_BAD_LEN, UF_CSUM_ZERO },
		{ "len field = bytes", 20, 20, 0, 1, UF_DROP_NONE, UF_CSUM_VALID },
		{ "len field = bytes+1", 20, 21, 0, 0, UF_DROP_UDP_BAD_LEN, UF_CSUM_ZERO },
		{ "len field < bytes (padding)", 30, 20, 0, 1, UF_DROP_NONE, UF_CSUM_VALID },
		{ "zero csum", 20, 20, 0, 0, UF_DROP_NONE, UF_CSUM_ZERO },
		{ "bad csum", 20, 20, 1, 1, UF_DROP_UDP_BAD_CSUM, UF_CSUM_BAD },
		{ "max len 65535", 65535, 65535, 0, 1, UF_DROP_NONE, UF_CSUM_VALID },
	};
	static uint8_t buf[65536];
	size_t i;
	int fam;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct dec_row *r = &rows[i];

		TEST(r->name);
		for (fam = 4; fam <= 6; fam += 2) {
			struct uf_ip ip;
			struct uf_udp u;
			uint16_t ulen = r->ulen;

			mk_ip(&ip, (uint8_t)fam);
			memset(buf, 0xa5, sizeof(buf));
			if (ulen >= 8)
				uf_udp_encode(buf, 7, 9, ulen - 8, &ip, r->csum);
			else
				put_be32(buf + 4, (uint32_t)ulen << 16);
			if (r->corrupt)
				buf[ulen - 1] ^= 0x10;
			CHECK_EQ(uf_udp_decode(buf, r->len, &ip, &u), r->want);
			CHECK_EQ(u.csum_state, r->state);
			if (r->len >= 8) {
				CHECK_EQ(u.sport, ulen >= 8 ? 7 : 0xa5a5);
				CHECK_EQ(u.len, ulen);
			}
		}
	}
}

/* The checksum really uses the pseudo-header: another address breaks it. */
static void test_pseudo_header(void)
{
	uint8_t buf[16] = { 0 };
	struct uf_ip ip;
	struct uf_udp u;
	int fam;

	TEST("pseudo-header covered (IPv4 and IPv6)");
	for (fam = 4; fam <= 6; fam += 2) {
		mk_ip(&ip, (uint8_t)fam);
		uf_udp_encode(buf, 1000, 2000, 8, &ip, true);
		ip.src[fam == 6 ? 15 : 3] ^= 1;
		CHECK_EQ(uf_udp_decode(buf, 16, &ip, &u), UF_DROP_UDP_BAD_CSUM);
		ip.src[fam == 6 ? 15 : 3] ^= 1;
		CHECK_EQ(uf_udp_decode(buf, 16, &ip, &u), UF_DROP_NONE);
	}
}

/* Naive RFC 1071 reference over a byte string (the test's own arithmetic). */
static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void test_reference(void)
{
	uint8_t pseudo[40 + 92], buf[92];
	struct uf_ip ip;
	size_t i;

	TEST("IPv6 checksum matches a naive reference (odd payload bytes)");
	mk_ip(&ip, 6);
	for (i = 0; i < 84; i++)
		buf[8 + i] = (uint8_t)(i * 37 + 11);
	uf_udp_encode(buf, 38702, 5557, 83, &ip, true);
	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, ip.src, 16);
	memcpy(pseudo + 16, ip.dst, 16);
	pseudo[35] = 91;
	pseudo[39] = 17;
	memcpy(pseudo + 40, buf, 91);
	pseudo[46] = pseudo[47] = 0;
	CHECK_EQ(get_be16(buf + 6), ref_csum(pseudo, 40 + 91));
}

/* uf_udp_set_csum on a header written without checksum: what uf_udp_encode(csum) writes. */
static void test_set_csum(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 83, 1400, 1401, 65527 };
	static uint8_t a[65536], b[65536];
	size_t i, j;
	int fam;

	TEST("uf_udp_set_csum after encode without csum == encode with csum (odd sizes)");
	for (fam = 4; fam <= 6; fam += 2) {
		struct uf_ip ip;

		mk_ip(&ip, (uint8_t)fam);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t ulen = 8 + sizes[i];

			for (j = 0; j < sizes[i]; j++)
				a[8 + j] = b[8 + j] = (uint8_t)(j * 13 + i + fam);
			uf_udp_encode(a, 40000, 5555, sizes[i], &ip, true);
			uf_udp_encode(b, 40000, 5555, sizes[i], &ip, false);
			CHECK_EQ(get_be16(b + 6), 0);
			uf_udp_set_csum(b, ulen, uf_ip_pseudo(&ip, UF_IPPROTO_UDP, (uint32_t)ulen));
			CHECK_MEM(a, b, ulen);
			/* Whatever the field held before does not count. */
			put_be16(b + 6, 0xbeef);
			uf_udp_set_csum(b, ulen, uf_ip_pseudo(&ip, UF_IPPROTO_UDP, (uint32_t)ulen));
			CHECK_MEM(a, b, ulen);
		}
	}

	TEST("uf_udp_set_csum: a computed 0 is sent as 0xffff");
	for (fam = 4; fam <= 6; fam += 2) {
		struct uf_ip ip;
		uint32_t ps;

		mk_ip(&ip, (uint8_t)fam);
		ps = uf_ip_pseudo(&ip, UF_IPPROTO_UDP, 10);
		uf_udp_encode(b, 1, 2, 2, &ip, false);
		put_be16(b + 8, 0);
		uf_udp_set_csum(b, 10, ps);
		put_be16(b + 8, get_be16(b + 6));
		uf_udp_set_csum(b, 10, ps);
		CHECK_EQ(get_be16(b + 6), 0xffff);
	}
}

int main(void)
{
	test_names();
	test_roundtrip();
	test_zero_becomes_ffff();
	test_decode_rows();
	test_pseudo_header();
	test_reference();
	test_set_csum();
	return t_done();
}
