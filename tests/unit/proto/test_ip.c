// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4/IPv6 decode and encode against captured Linux headers, edge-case
 * tables for every drop reason, and the full RFC 6040 ECN tables.
 */
#include <errno.h>

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/ip.h"
#include "t.h"
#include "vec.h"

/* tests/vectors/fou-ipip.txt and fou6-ip4ip6.txt, first packet. */
static const char FOU_IPIP_HDR[] = "45000070a0cc4000e1116c88c6120002c6120001";
static const char FOU6_HDR[] =
	"600aee6f00643c40fd000018000000000000000000000002fd000018000000000000000000000001"
	"1100040104010100";

static void fix_csum4(uint8_t *p)
{
	put_be16(p + 10, 0);
	put_be16(p + 10, uf_csum(p, (size_t)(p[0] & 15) * 4));
}

static void test_vectors(void)
{
	uint8_t pkt[256] = { 0 }, out[64];
	struct uf_ip ip;
	size_t n;

	TEST("fou-ipip outer IPv4 header decodes and re-encodes byte for byte");
	n = vec_unhex(FOU_IPIP_HDR, pkt, sizeof(pkt));
	CHECK_EQ(uf_ip_decode(pkt, 0x70, &ip), UF_DROP_NONE);
	CHECK_EQ(ip.family, 4);
	CHECK_EQ(ip.ttl, 225);
	CHECK_EQ(ip.tos, 0);
	CHECK_EQ(ip.proto, UF_IPPROTO_UDP);
	CHECK(ip.df && !ip.mf && ip.frag_off == 0);
	CHECK_EQ(ip.id, 0xa0cc);
	CHECK_EQ(ip.hdr_len, 20);
	CHECK_EQ(ip.total_len, 0x70);
	CHECK(ip.csum_ok);
	CHECK_EQ(ip.encap_limit, -1);
	CHECK_MEM(ip.src, "\xc6\x12\x00\x02", 4);
	CHECK_MEM(ip.dst, "\xc6\x12\x00\x01", 4);
	CHECK_EQ(uf_ip_hdr_len(&ip), 20);
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 0x70 - 20), 20);
	CHECK_MEM(out, pkt, n);

	TEST("fou6-ip4ip6 outer IPv6 + encap-limit dstopt decodes and re-encodes");
	memset(pkt, 0, sizeof(pkt));
	n = vec_unhex(FOU6_HDR, pkt, sizeof(pkt));
	CHECK_EQ(n, 48);
	CHECK_EQ(uf_ip_decode(pkt, 40 + 0x64, &ip), UF_DROP_NONE);
	CHECK_EQ(ip.family, 6);
	CHECK_EQ(ip.ttl, 64);
	CHECK_EQ(ip.tos, 0);
	CHECK_EQ(ip.flowlabel, 0xaee6f);
	CHECK_EQ(ip.proto, UF_IPPROTO_UDP);
	CHECK_EQ(ip.encap_limit, 4);
	CHECK_EQ(ip.hdr_len, 48);
	CHECK_EQ(ip.total_len, 140);
	CHECK_MEM(ip.src, pkt + 8, 16);
	CHECK_MEM(ip.dst, pkt + 24, 16);
	CHECK_EQ(uf_ip_hdr_len(&ip), 48);
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 92), 48);
	CHECK_MEM(out, pkt, 48);
}

struct case4 {
	const char *name;
	size_t len;         /* bytes handed to decode */
	int ihl;            /* header words */
	int total;          /* total length field */
	int version;
	uint16_t frag;      /* flags + offset word */
	int bad_csum;
	enum uf_drop want;
};

static void test_decode4_table(void)
{
	static const struct case4 rows[] = {
		{ "len 0", 0, 5, 20, 4, 0, 0, UF_DROP_OUTER_TRUNCATED },
		{ "len 1", 1, 5, 20, 4, 0, 0, UF_DROP_OUTER_TRUNCATED },
		{ "len 19", 19, 5, 19, 4, 0, 0, UF_DROP_OUTER_TRUNCATED },
		{ "len 20 exact", 20, 5, 20, 4, 0, 0, UF_DROP_NONE },
		{ "trailing bytes ok", 60, 5, 40, 4, 0, 0, UF_DROP_NONE },
		{ "IHL 0", 40, 0, 40, 4, 0, 0, UF_DROP_OUTER_BAD_HDRLEN },
		{ "IHL 4", 40, 4, 40, 4, 0, 0, UF_DROP_OUTER_BAD_HDRLEN },
		{ "IHL 6 options", 40, 6, 40, 4, 0, 0, UF_DROP_NONE },
		{ "IHL 15 options", 60, 15, 60, 4, 0, 0, UF_DROP_NONE },
		{ "IHL 6 > len 20", 20, 6, 20, 4, 0, 0, UF_DROP_OUTER_TRUNCATED },
		{ "IHL 15 > len 59", 59, 15, 59, 4, 0, 0, UF_DROP_OUTER_TRUNCATED },
		{ "total len > len", 40, 5, 41, 4, 0, 0, UF_DROP_OUTER_BAD_LEN },
		{ "total len 65535 > len", 40, 5, 65535, 4, 0, 0, UF_DROP_OUTER_BAD_LEN },
		{ "total len 19", 40, 5, 19, 4, 0, 0, UF_DROP_OUTER_BAD_LEN },
		{ "total len 0", 40, 5, 0, 4, 0, 0, UF_DROP_OUTER_BAD_LEN },
		{ "total len < IHL", 40, 6, 20, 4, 0, 0, UF_DROP_OUTER_BAD_LEN },
		{ "bad checksum", 40, 5, 40, 4, 0, 1, UF_DROP_OUTER_BAD_CSUM },
		{ "DF is fine", 40, 5, 40, 4, 0x4000, 0, UF_DROP_NONE },
		{ "MF first fragment", 40, 5, 40, 4, 0x2000, 0, UF_DROP_OUTER_FRAGMENT },
		{ "last fragment", 40, 5, 40, 4, 0x0064, 0, UF_DROP_OUTER_FRAGMENT },
		{ "middle fragment", 40, 5, 40, 4, 0x3fff, 0, UF_DROP_OUTER_FRAGMENT },
		{ "version 0", 40, 5, 40, 0, 0, 0, UF_DROP_OUTER_BAD_VERSION },
		{ "version 5", 40, 5, 40, 5, 0, 0, UF_DROP_OUTER_BAD_VERSION },
		{ "version 15", 40, 5, 40, 15, 0, 0, UF_DROP_OUTER_BAD_VERSION },
		{ "version 6 in a v4 header: short", 39, 5, 39, 6, 0, 0, UF_DROP_OUTER_TRUNCATED },
	};
	uint8_t pkt[128];
	struct uf_ip ip;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct case4 *r = &rows[i];
		static char names[sizeof(rows) / sizeof(rows[0])][96];

		/* TEST() keeps the pointer until the next test point */
		snprintf(names[i], sizeof(names[i]), "decode IPv4: %s", r->name);
		TEST(names[i]);
		memset(pkt, 0xa5, sizeof(pkt));
		pkt[0] = (uint8_t)(r->version << 4 | r->ihl);
		pkt[1] = 0xb8;
		put_be16(pkt + 2, (uint16_t)r->total);
		put_be16(pkt + 4, 0x1234);
		put_be16(pkt + 6, r->frag);
		pkt[8] = 64;
		pkt[9] = UF_IPPROTO_UDP;
		if (r->ihl >= 5)
			fix_csum4(pkt);
		if (r->bad_csum)
			pkt[10] ^= 1;
		CHECK_EQ(uf_ip_decode(pkt, r->len, &ip), r->want);
		if (r->want == UF_DROP_NONE || r->want == UF_DROP_OUTER_FRAGMENT ||
		    r->want == UF_DROP_OUTER_BAD_CSUM) {
			CHECK_EQ(ip.hdr_len, r->ihl * 4);
			CHECK_EQ(ip.total_len, r->total);
			CHECK_EQ(ip.tos, 0xb8);
			CHECK_EQ(ip.id, 0x1234);
			CHECK_EQ(ip.mf, !!(r->frag & 0x2000));
			CHECK_EQ(ip.df, !!(r->frag & 0x4000));
			CHECK_EQ(ip.frag_off, r->frag & 0x1fff);
			CHECK_EQ(ip.csum_ok, !r->bad_csum);
			CHECK_EQ(ip.encap_limit, -1);
		}
	}
}

struct case6 {
	const char *name;
	const char *ext;    /* hex of the bytes after the fixed header */
	uint8_t nh;         /* next header in the fixed header */
	int plen;           /* payload length field, -1 = length of ext */
	size_t extra;       /* bytes handed to decode beyond 40 + strlen(ext)/2 */
	enum uf_drop want;
	uint8_t proto;
	int hdr_len;
	int encap_limit;
};

static void test_decode6_table(void)
{
	static const struct case6 rows[] = {
		{ "no payload", "", 59, -1, 0, UF_DROP_NONE, 59, 40, -1 },
		{ "udp payload", "0000000000000000", 17, -1, 0, UF_DROP_NONE, 17, 40, -1 },
		{ "trailing bytes ok", "", 17, -1, 30, UF_DROP_NONE, 17, 40, -1 },
		{ "payload len > bytes", "00000000", 17, 5, 0, UF_DROP_OUTER_BAD_LEN, 17, 40, -1 },
		{ "payload len 65535", "", 17, 65535, 0, UF_DROP_OUTER_BAD_LEN, 17, 40, -1 },
		{ "jumbogram", "c2040000ffffffff", 0, 0, 8, UF_DROP_OUTER_BAD_LEN, 0, 40, -1 },
		{ "hop-by-hop then udp", "1100010400000000", 0, -1, 0, UF_DROP_NONE, 17, 48, -1 },
		{ "hop-by-hop 16 bytes", "110101020000" "0000000000000000" "0000", 0, -1, 0,
		  UF_DROP_NONE, 17, 56, -1 },
		{ "hop-by-hop cut at 1 byte", "11", 0, -1, 0, UF_DROP_OUTER_BAD_EXTHDR, 0, 40, -1 },
		{ "hop-by-hop cut at 4 bytes", "11000104", 0, -1, 0, UF_DROP_OUTER_BAD_EXTHDR, 0,
		  40, -1 },
		{ "hop-by-hop len past payload", "1101010400000000", 0, -1, 8,
		  UF_DROP_OUTER_BAD_EXTHDR, 0, 40, -1 },
		{ "dstopt encap limit 4", "1100040104010100", 60, -1, 0, UF_DROP_NONE, 17, 48, 4 },
		{ "dstopt encap limit 0", "0400040100010100", 60, -1, 0, UF_DROP_NONE, 4, 48, 0 },
		{ "dstopt encap limit 255", "29000401ff010100", 60, -1, 0, UF_DROP_NONE, 41, 48,
		  255 },
		{ "dstopt Pad1s then limit", "2f00000000040107", 60, -1, 0, UF_DROP_NONE, 47, 48, 7 },
		{ "dstopt PadN only", "1100010400000000", 60, -1, 0, UF_DROP_NONE, 17, 48, -1 },
		{ "dstopt type 4 len 2 ignored", "1100040205050000", 60, -1, 0, UF_DROP_NONE, 17, 48,
		  -1 },
		{ "dstopt option past header", "1100010500000000", 60, -1, 0,
		  UF_DROP_OUTER_BAD_EXTHDR, 60, 40, -1 },
		{ "dstopt option type at last byte", "1100010300000005", 60, -1, 0,
		  UF_DROP_OUTER_BAD_EXTHDR, 60, 40, -1 },
		{ "dstopt cut", "110004010401", 60, -1, 0, UF_DROP_OUTER_BAD_EXTHDR, 60, 40, -1 },
		{ "hop-by-hop + dstopt", "3c00010400000000" "1100040103010100", 0, -1, 0,
		  UF_DROP_NONE, 17, 56, 3 },
		{ "two dstopts, first limit wins", "3c00040102010100" "1100040109010100", 60, -1, 0,
		  UF_DROP_NONE, 17, 56, 2 },
		{ "hop-by-hop after dstopt", "0000010400000000" "1100010400000000", 60, -1, 0,
		  UF_DROP_OUTER_BAD_EXTHDR, 60, 40, -1 },
		{ "routing header not walked", "1100000000000000", 43, -1, 0, UF_DROP_NONE, 43, 40,
		  -1 },
	};
	uint8_t pkt[256];
	struct uf_ip ip;
	size_t i, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct case6 *r = &rows[i];
		static char names[sizeof(rows) / sizeof(rows[0])][96];

		snprintf(names[i], sizeof(names[i]), "decode IPv6: %s", r->name);
		TEST(names[i]);
		memset(pkt, 0, sizeof(pkt));
		put_be32(pkt, 0x6b812345);   /* tclass 0xb8, flow label 0x12345 */
		n = vec_unhex(r->ext, pkt + 40, sizeof(pkt) - 40);
		put_be16(pkt + 4, (uint16_t)(r->plen < 0 ? (int)n : r->plen));
		pkt[6] = r->nh;
		pkt[7] = 17;
		CHECK_EQ(uf_ip_decode(pkt, 40 + n + r->extra, &ip), r->want);
		CHECK_EQ(ip.family, 6);
		CHECK_EQ(ip.tos, 0xb8);
		CHECK_EQ(ip.flowlabel, 0x12345);
		CHECK_EQ(ip.ttl, 17);
		if (r->want == UF_DROP_NONE || r->want == UF_DROP_OUTER_BAD_EXTHDR) {
			CHECK_EQ(ip.proto, r->proto);
			CHECK_EQ(ip.hdr_len, r->hdr_len);
			CHECK_EQ(ip.encap_limit, r->encap_limit);
		}
	}

	TEST("decode IPv6: short headers");
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[6] = 59;
	for (n = 0; n < 40; n++)
		CHECK_EQ(uf_ip_decode(pkt, n, &ip), UF_DROP_OUTER_TRUNCATED);
	CHECK_EQ(uf_ip_decode(pkt, 40, &ip), UF_DROP_NONE);
}

static void test_encode(void)
{
	uint8_t out[128], pl[8];
	struct uf_ip ip, back;
	int i, bad = 0;

	TEST("encode: header lengths, capacity and argument errors");
	memset(&ip, 0, sizeof(ip));
	ip.encap_limit = -1;
	CHECK_EQ(uf_ip_hdr_len(&ip), 0);
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 0), -EINVAL);
	ip.family = 4;
	CHECK_EQ(uf_ip_hdr_len(&ip), 20);
	CHECK_EQ(uf_ip_encode(out, 19, &ip, 0), -EMSGSIZE);
	CHECK_EQ(uf_ip_encode(out, 20, &ip, 0), 20);
	CHECK_EQ(uf_ip_encode(out, 20, &ip, 65535 - 20), 20);
	CHECK_EQ(uf_ip_encode(out, 20, &ip, 65535 - 19), -EMSGSIZE);
	ip.encap_limit = 4;   /* IPv4 ignores it */
	CHECK_EQ(uf_ip_hdr_len(&ip), 20);
	ip.family = 6;
	ip.encap_limit = -1;
	CHECK_EQ(uf_ip_hdr_len(&ip), 40);
	CHECK_EQ(uf_ip_encode(out, 39, &ip, 0), -EMSGSIZE);
	CHECK_EQ(uf_ip_encode(out, 40, &ip, 65535), 40);
	CHECK_EQ(uf_ip_encode(out, 40, &ip, 65536), -EMSGSIZE);
	ip.encap_limit = 4;
	CHECK_EQ(uf_ip_hdr_len(&ip), 48);
	CHECK_EQ(uf_ip_encode(out, 47, &ip, 0), -EMSGSIZE);
	CHECK_EQ(uf_ip_encode(out, 48, &ip, 65535 - 8), 48);
	CHECK_EQ(uf_ip_encode(out, 48, &ip, 65535 - 7), -EMSGSIZE);
	ip.encap_limit = 256;
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 0), -EINVAL);

	TEST("encode: IPv4 DF, fields and a valid checksum");
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	ip.encap_limit = -1;
	ip.ttl = 1;
	ip.tos = 0xfe;
	ip.id = 0xbeef;
	ip.proto = UF_IPPROTO_UDP;
	memcpy(ip.src, "\x0a\x00\x00\x01", 4);
	memcpy(ip.dst, "\x0a\x00\x00\x02", 4);
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 8), 20);
	CHECK_EQ(get_be16(out + 6), 0);
	CHECK_EQ(uf_csum(out, 20), 0);
	ip.df = true;
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 8), 20);
	CHECK_EQ(get_be16(out + 6), 0x4000);
	CHECK_EQ(get_be16(out + 2), 28);
	CHECK_EQ(get_be16(out + 4), 0xbeef);
	CHECK_EQ(out[0], 0x45);
	CHECK_EQ(out[1], 0xfe);
	CHECK_EQ(out[8], 1);
	CHECK_EQ(out[9], 17);
	CHECK_EQ(uf_csum(out, 20), 0);

	TEST("encode: IPv6 dstopt bytes as ip6tnl sends them");
	memset(&ip, 0, sizeof(ip));
	ip.family = 6;
	ip.proto = UF_IPPROTO_UDP;
	ip.encap_limit = 4;
	ip.ttl = 64;
	ip.tos = 0xa1;
	ip.flowlabel = 0xfffff;
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 10), 48);
	CHECK_MEM(out, "\x6a\x1f\xff\xff\x00\x12\x3c\x40", 8);
	CHECK_MEM(out + 40, "\x11\x00\x04\x01\x04\x01\x01\x00", 8);
	ip.encap_limit = -1;
	CHECK_EQ(uf_ip_encode(out, sizeof(out), &ip, 10), 40);
	CHECK_MEM(out, "\x6a\x1f\xff\xff\x00\x0a\x11\x40", 8);

	TEST("encode -> decode round trip, random headers");
	for (i = 0; i < 2000; i++) {
		memset(&ip, 0, sizeof(ip));
		ip.family = i % 2 ? 6 : 4;
		for (size_t j = 0; j < 16; j++) {
			ip.src[j] = (uint8_t)(i * 7 + j);
			ip.dst[j] = (uint8_t)(i * 13 + j * 3);
		}
		ip.ttl = (uint8_t)(i * 3);
		ip.tos = (uint8_t)(i * 5);
		ip.proto = (uint8_t)(i % 3 ? 17 : 4);
		ip.df = i % 4 < 2;
		ip.id = (uint16_t)(i * 977);
		ip.flowlabel = ip.family == 6 ? (uint32_t)(i * 7919) & 0xfffff : 0;
		ip.encap_limit = ip.family == 6 && i % 3 ? (int16_t)(i % 256) : -1;
		memset(out, 0, sizeof(out));
		int hl = uf_ip_encode(out, sizeof(out), &ip, sizeof(pl));
		if (hl != (int)uf_ip_hdr_len(&ip) ||
		    uf_ip_decode(out, (size_t)hl + sizeof(pl), &back) != UF_DROP_NONE ||
		    back.family != ip.family || back.ttl != ip.ttl || back.tos != ip.tos ||
		    back.proto != ip.proto || back.encap_limit != ip.encap_limit ||
		    back.hdr_len != hl || back.total_len != (uint32_t)hl + sizeof(pl) ||
		    memcmp(back.src, ip.src, ip.family == 4 ? 4 : 16) ||
		    memcmp(back.dst, ip.dst, ip.family == 4 ? 4 : 16) ||
		    (ip.family == 4 && (back.df != ip.df || back.id != ip.id || !back.csum_ok)) ||
		    (ip.family == 6 && back.flowlabel != ip.flowlabel))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

static void test_ecn(void)
{
	/* [outer][inner] -> outer ECN after encapsulation (inner CE -> ECT(0)) */
	static const uint8_t encap[4][4] = {
		{ 0, 1, 2, 2 }, { 0, 1, 2, 2 }, { 0, 1, 2, 2 }, { 0, 1, 2, 2 },
	};
	/* [outer][inner] -> rc, new inner ECN, log (RFC 6040 §4.2, Linux) */
	static const struct { int rc; uint8_t ecn; bool log; } decap[4][4] = {
		/* outer Not-ECT: inner unchanged */
		{ { 0, 0, false }, { 0, 1, false }, { 0, 2, false }, { 0, 3, false } },
		/* outer ECT(1): Not-ECT logged; ECT(0) -> ECT(1) */
		{ { 0, 0, true }, { 0, 1, false }, { 0, 1, false }, { 0, 3, false } },
		/* outer ECT(0): Not-ECT logged; others unchanged */
		{ { 0, 0, true }, { 0, 1, false }, { 0, 2, false }, { 0, 3, false } },
		/* outer CE: drop on Not-ECT, else CE */
		{ { -1, 0, false }, { 0, 3, false }, { 0, 3, false }, { 0, 3, false } },
	};
	int o, i;

	TEST("ECN encapsulation: all 16 combinations, DSCP from the outer");
	for (o = 0; o < 4; o++) {
		for (i = 0; i < 4; i++) {
			CHECK_EQ(uf_ecn_encap((uint8_t)(0xb8 | o), (uint8_t)(0x28 | i)),
				 0xb8 | encap[o][i]);
			CHECK_EQ(uf_ecn_encap((uint8_t)o, (uint8_t)(0xfc | i)), encap[o][i]);
		}
	}

	TEST("ECN decapsulation: all 16 combinations, DSCP of the inner kept");
	for (o = 0; o < 4; o++) {
		for (i = 0; i < 4; i++) {
			uint8_t ni = 0xee;
			bool log = !decap[o][i].log;
			int rc = uf_ecn_decap((uint8_t)(0x04 | o), (uint8_t)(0xb8 | i), &ni, &log);

			if (rc != decap[o][i].rc || log != decap[o][i].log ||
			    (rc == 0 && ni != (0xb8 | decap[o][i].ecn)))
				printf("# outer %d inner %d: rc %d new %02x log %d\n", o, i, rc,
				       ni, log);
			CHECK_EQ(rc, decap[o][i].rc);
			CHECK_EQ(log, decap[o][i].log);
			if (rc == 0)
				CHECK_EQ(ni, 0xb8 | decap[o][i].ecn);
		}
	}
}

static void test_dsfield(void)
{
	uint8_t p4[20], p6[48];
	struct uf_ip ip;
	int ds, bad = 0;

	TEST("dsfield get/set keeps the IPv4 checksum and IPv6 label valid");
	vec_unhex(FOU_IPIP_HDR, p4, sizeof(p4));
	memset(p6, 0, sizeof(p6));
	vec_unhex(FOU6_HDR, p6, sizeof(p6));
	put_be16(p6 + 4, 0);
	p6[6] = 59;
	CHECK_EQ(uf_ip_get_dsfield(p4), 0);
	CHECK_EQ(uf_ip_get_dsfield(p6), 0);
	for (ds = 0; ds < 256; ds++) {
		uf_ip_set_dsfield(p4, (uint8_t)ds);
		uf_ip_set_dsfield(p6, (uint8_t)ds);
		if (uf_ip_get_dsfield(p4) != ds || uf_ip_get_dsfield(p6) != ds ||
		    uf_ip_decode(p4, 20, &ip) == UF_DROP_OUTER_BAD_CSUM || uf_csum(p4, 20) != 0 ||
		    uf_ip_decode(p6, 40, &ip) != UF_DROP_NONE || ip.flowlabel != 0xaee6f ||
		    ip.tos != ds || p6[0] >> 4 != 6)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	test_vectors();
	test_decode4_table();
	test_decode6_table();
	test_encode();
	test_ecn();
	test_dsfield();
	return t_done();
}
