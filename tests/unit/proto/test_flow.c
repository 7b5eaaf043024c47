// SPDX-License-Identifier: GPL-2.0
/*
 * Flow keys, flow hash, source port and flow label: extraction from IPv4,
 * IPv6 (with extension headers) and Ethernet frames, truncation safety,
 * stability and spread of the derived source ports.
 */
#include "proto/bytes.h"
#include "proto/flow.h"
#include "proto/ip.h"
#include "t.h"

#define SEED 0x5eed1234u

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* An IPv4 packet src 198.19.1.1 -> 198.19.1.2 with an 8-byte L4 header. */
static size_t mk4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport, uint16_t frag)
{
	memset(p, 0, 28);
	p[0] = 0x45;
	put_be16(p + 2, 28);
	put_be16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, "\xc6\x13\x01\x01\xc6\x13\x01\x02", 8);
	put_be16(p + 20, sport);
	put_be16(p + 22, dport);
	return 28;
}

/* IPv6 fd00::1 -> fd00::2, ext = chain of 8-byte headers (next header values). */
static size_t mk6(uint8_t *p, const uint8_t *chain, int n, uint8_t proto, uint16_t sport,
		  uint16_t dport)
{
	size_t off = 40;
	int i;

	memset(p, 0, 40 + 8 * (size_t)n + 8);
	p[0] = 0x60;
	p[6] = n ? chain[0] : proto;
	p[7] = 64;
	p[8] = 0xfd;
	p[23] = 1;
	p[24] = 0xfd;
	p[39] = 2;
	for (i = 0; i < n; i++, off += 8)
		p[off] = i + 1 < n ? chain[i + 1] : proto;
	put_be16(p + off, sport);
	put_be16(p + off + 2, dport);
	put_be16(p + 4, (uint16_t)(off + 8 - 40));
	return off + 8;
}

static void test_extract4(void)
{
	static const uint8_t port_protos[] = { 6, 17, 132, 136 };
	uint8_t p[64], e[80];
	struct uf_flow f;
	size_t n, i;

	TEST("IPv4: ports for TCP, UDP, SCTP, UDP-Lite");
	for (i = 0; i < sizeof(port_protos); i++) {
		n = mk4(p, port_protos[i], 1234, 80, 0);
		uf_flow_extract(p, n, 0, &f);
		CHECK_EQ(f.family, 4);
		CHECK_EQ(f.proto, port_protos[i]);
		CHECK_EQ(f.sport, 1234);
		CHECK_EQ(f.dport, 80);
		CHECK_MEM(f.src, "\xc6\x13\x01\x01", 4);
		CHECK_MEM(f.dst, "\xc6\x13\x01\x02", 4);
	}

	TEST("IPv4: no ports for ICMP, GRE, fragments, short L4");
	n = mk4(p, UF_IPPROTO_ICMP, 0x0800, 1204, 0);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.family == 4 && f.proto == 1 && f.sport == 0 && f.dport == 0);
	n = mk4(p, UF_IPPROTO_GRE, 1, 2, 0);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.proto == 47 && f.sport == 0 && f.dport == 0);
	n = mk4(p, UF_IPPROTO_UDP, 1, 2, 0x2000);   /* first fragment */
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.proto == 17 && f.sport == 0 && f.dport == 0);
	n = mk4(p, UF_IPPROTO_UDP, 1, 2, 0x0010);   /* last fragment */
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.proto == 17 && f.sport == 0 && f.dport == 0);
	n = mk4(p, UF_IPPROTO_UDP, 1, 2, 0x4000);   /* DF is not a fragment */
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.sport == 1 && f.dport == 2);
	n = mk4(p, UF_IPPROTO_UDP, 1, 2, 0);
	uf_flow_extract(p, 23, 0, &f);
	CHECK(f.family == 4 && f.proto == 17 && f.sport == 0);
	p[0] = 0x46;   /* IHL 6: the ports move by 4 bytes */
	put_be32(p + 20, 0x01010101);   /* an option word (NOPs) */
	put_be16(p + 24, 1);
	put_be16(p + 26, 2);
	uf_flow_extract(p, 27, 0, &f);
	CHECK(f.sport == 0 && f.dport == 0);
	uf_flow_extract(p, 28, 0, &f);
	CHECK(f.sport == 1 && f.dport == 2);
	p[0] = 0x44;   /* bad IHL: addresses only */
	uf_flow_extract(p, 28, 0, &f);
	CHECK(f.family == 4 && f.sport == 0 && f.dport == 0);

	TEST("Ethernet: IPv4/IPv6 after 14 bytes, other ethertypes by MAC");
	n = mk4(p, UF_IPPROTO_TCP, 5, 6, 0);
	memcpy(e, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	memcpy(e + 14, p, n);
	uf_flow_extract(e, n + 14, 1, &f);
	CHECK(f.family == 4 && f.proto == 6 && f.sport == 5 && f.dport == 6);
	put_be16(e + 12, 0x86dd);    /* IPv4 bytes under an IPv6 ethertype */
	uf_flow_extract(e, n + 14, 1, &f);
	CHECK_EQ(f.family, 0);
	put_be16(e + 12, 0x0806);
	uf_flow_extract(e, n + 14, 1, &f);
	CHECK_EQ(f.family, 0);
	CHECK_EQ(f.dport, 0x0806);
	CHECK_MEM(f.dst, e, 6);
	CHECK_MEM(f.src, e + 6, 6);
	uf_flow_extract(e, 13, 1, &f);
	CHECK_EQ(f.family, 0);
	CHECK_EQ(f.dport, 0);
}

static void test_extract6(void)
{
	static const uint8_t c_hop[] = { 0 }, c_all[] = { 0, 60, 43, 60 };
	static const uint8_t c_frag[] = { 0, 44 };
	uint8_t p[192], e[160];
	uint8_t chain[12];
	struct uf_flow f;
	size_t n;

	TEST("IPv6: UDP directly and behind hop-by-hop, dstopts, routing");
	n = mk6(p, NULL, 0, UF_IPPROTO_UDP, 4000, 53);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.family == 6 && f.proto == 17 && f.sport == 4000 && f.dport == 53);
	CHECK_EQ(f.src[0], 0xfd);
	CHECK_EQ(f.dst[15], 2);
	n = mk6(p, c_hop, 1, UF_IPPROTO_TCP, 4000, 53);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.proto == 6 && f.sport == 4000 && f.dport == 53);
	n = mk6(p, c_all, 4, 132, 7, 8);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.proto == 132 && f.sport == 7 && f.dport == 8);
	memcpy(e, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x86\xdd", 14);
	memcpy(e + 14, p, n);
	uf_flow_extract(e, n + 14, 1, &f);
	CHECK(f.family == 6 && f.proto == 132 && f.sport == 7 && f.dport == 8);

	TEST("IPv6: ICMPv6 and fragments have no ports; the walk is bounded");
	n = mk6(p, NULL, 0, UF_IPPROTO_ICMPV6, 0x8000, 1);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.proto == 58 && f.sport == 0 && f.dport == 0);
	n = mk6(p, c_frag, 2, UF_IPPROTO_UDP, 1, 2);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.proto == 17 && f.sport == 0 && f.dport == 0);
	/* Twelve dstopts: the walk gives up; no ports, whatever proto it stopped at. */
	memset(chain, 60, sizeof(chain));
	n = mk6(p, chain, 12, UF_IPPROTO_UDP, 1, 2);
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.family == 6 && f.sport == 0 && f.dport == 0);
	/* An ext header claiming 2 KiB: ports would lie past len. */
	n = mk6(p, c_hop, 1, UF_IPPROTO_UDP, 1, 2);
	p[41] = 255;
	uf_flow_extract(p, n, 0, &f);
	CHECK(f.family == 6 && f.sport == 0 && f.dport == 0);
}

/* Every prefix of a packet, copied into an exact-size buffer (ASan sees over-reads). */
static int prefixes(const uint8_t *p, size_t n, int eth)
{
	struct uf_flow f;
	size_t len;
	int odd = 0;

	for (len = 0; len <= n; len++) {
		uint8_t *b = malloc(len ? len : 1);

		memcpy(b, p, len);
		uf_flow_extract(b, len, eth, &f);
		if (f.family != 0 && f.family != 4 && f.family != 6)
			odd++;
		free(b);
	}
	return odd;
}

static void test_truncation(void)
{
	static const uint8_t c_all[] = { 0, 60, 43, 44 };
	uint8_t p[128], e[160];
	size_t n;
	int odd = 0;

	TEST("extract never reads past len: every prefix");
	n = mk4(p, UF_IPPROTO_UDP, 1, 2, 0);
	odd += prefixes(p, n, 0);
	memcpy(e, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	memcpy(e + 14, p, n);
	odd += prefixes(e, n + 14, 1);
	n = mk6(p, c_all, 4, UF_IPPROTO_TCP, 1, 2);
	odd += prefixes(p, n, 0);
	n = mk6(p, c_all, 3, UF_IPPROTO_TCP, 1, 2);
	odd += prefixes(p, n, 0);
	memcpy(e, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x86\xdd", 14);
	memcpy(e + 14, p, n);
	odd += prefixes(e, n + 14, 1);
	CHECK_EQ(odd, 0);
	/* a garbage byte that is neither v4 nor v6 */
	struct uf_flow f;
	uf_flow_extract((const uint8_t *)"\x50", 1, 0, &f);
	CHECK_EQ(f.family, 0);
}

static void test_hash_and_port(void)
{
	uint8_t p[64];
	struct uf_flow f, g;
	uint32_t h, h2;
	uint16_t port, first = 0;
	int i, same = 1;

	TEST("ICMP id/seq changes keep one flow and one port (fou-ipip vector)");
	for (i = 1204; i <= 1207; i++) {
		mk4(p, UF_IPPROTO_ICMP, 0x0800, (uint16_t)i, 0);
		put_be16(p + 24, (uint16_t)(i * 7));   /* seq, checksum bytes differ */
		uf_flow_extract(p, 28, 0, &f);
		port = uf_flow_sport(uf_flow_hash(&f, SEED), 32768, 61000);
		if (i == 1204)
			first = port;
		same &= port == first;
	}
	CHECK(same);
	CHECK(first >= 32768 && first < 61000);

	TEST("hash: stable, keyed, port-sensitive, direction-symmetric");
	mk4(p, UF_IPPROTO_TCP, 40000, 443, 0);
	uf_flow_extract(p, 28, 0, &f);
	h = uf_flow_hash(&f, SEED);
	CHECK_EQ(uf_flow_hash(&f, SEED), h);
	CHECK(uf_flow_hash(&f, SEED + 1) != h);
	g = f;
	g.sport++;
	CHECK(uf_flow_hash(&g, SEED) != h);
	g = f;
	g.proto = UF_IPPROTO_UDP;
	CHECK(uf_flow_hash(&g, SEED) != h);
	memcpy(g.src, f.dst, 16);
	memcpy(g.dst, f.src, 16);
	g.proto = f.proto;
	g.sport = f.dport;
	g.dport = f.sport;
	CHECK_EQ(uf_flow_hash(&g, SEED), h);
	/* IPv4 ignores address bytes beyond 4 */
	g = f;
	g.src[10] = 0x99;
	CHECK_EQ(uf_flow_hash(&g, SEED), h);
	/* family 0 still hashes */
	memset(&g, 0, sizeof(g));
	h2 = uf_flow_hash(&g, SEED);
	CHECK(h2 != 0);
	CHECK_EQ(uf_flow_hash(&g, SEED), h2);

	TEST("1000 random flows: ports spread over [min, max), never outside");
	{
		static uint8_t seen[65536];
		int distinct = 0, outside = 0, zero = 0;

		memset(seen, 0, sizeof(seen));
		for (i = 0; i < 1000; i++) {
			memset(&f, 0, sizeof(f));
			f.family = i % 2 ? 4 : 6;
			f.proto = i % 3 ? UF_IPPROTO_TCP : UF_IPPROTO_UDP;
			for (int j = 0; j < 16; j += 4)
				put_be32(f.src + j, rnd());
			put_be32(f.dst, rnd());
			f.sport = (uint16_t)rnd();
			f.dport = 443;
			h = uf_flow_hash(&f, SEED);
			zero += h == 0;
			port = uf_flow_sport(h, 32768, 61000);
			outside += port < 32768 || port >= 61000;
			distinct += !seen[port];
			seen[port] = 1;
		}
		CHECK_EQ(outside, 0);
		CHECK_EQ(zero, 0);
		CHECK(distinct >= 900);
		printf("# %d distinct ports for 1000 flows\n", distinct);
	}

	TEST("1000 flows differing only in source port spread too");
	{
		static uint8_t seen[65536];
		int distinct = 0;

		memset(seen, 0, sizeof(seen));
		mk4(p, UF_IPPROTO_UDP, 0, 4789, 0);
		uf_flow_extract(p, 28, 0, &f);
		for (i = 0; i < 1000; i++) {
			f.sport = (uint16_t)(10000 + i);
			port = uf_flow_sport(uf_flow_hash(&f, SEED), 1, 65535);
			distinct += !seen[port];
			seen[port] = 1;
		}
		CHECK(distinct >= 500);
	}
}

static void test_sport_formula(void)
{
	static const struct {
		uint32_t hash;
		uint16_t min, max, want;
	} rows[] = {
		{ 0, 32768, 61000, 32768 },
		/* h ^= h << 16 -> 0x0000ffff; 0xffff * 28232 >> 32 == 0 */
		{ 0xffffffff, 32768, 61000, 32768 },
		/* 0x80000000 ^ 0 -> half way */
		{ 0x80000000, 32768, 61000, 32768 + 14116 },
		/* 0x00008000 ^ 0x80000000 -> 0x80008000 */
		{ 0x00008000, 0, 65535, 32767 },
		{ 0x0000ffff, 0, 65535, 65534 },
		{ 0x12345678, 1, 2, 1 },
		{ 0xffffffff, 1, 2, 1 },
		{ 0x0000ffff, 1000, 1002, 1001 },
		{ 0x00007fff, 1000, 1002, 1000 },
		{ 0x12345678, 5, 5, 5 },   /* degenerate range: min */
	};
	size_t i;

	TEST("sport: Linux udp_flow_src_port arithmetic");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t h = rows[i].hash;

		CHECK_EQ(uf_flow_sport(h, rows[i].min, rows[i].max), rows[i].want);
		if (rows[i].min < rows[i].max) {
			h ^= h << 16;
			CHECK_EQ(uf_flow_sport(rows[i].hash, rows[i].min, rows[i].max),
				 (uint16_t)(((uint64_t)h * (rows[i].max - rows[i].min) >> 32) +
					    rows[i].min));
		}
	}

	TEST("flow label: rotate 16, 20 bits, never 0");
	CHECK_EQ(uf_flow_label(0x12345678), 0x81234);
	CHECK_EQ(uf_flow_label(0), 1);
	CHECK_EQ(uf_flow_label(0x0000fff0), 1);   /* rotates to 0xfff00000 */
	CHECK_EQ(uf_flow_label(0xffffffff), 0xfffff);
	CHECK_EQ(uf_flow_label(0x0000000f), 0xf0000);
}

int main(void)
{
	test_extract4();
	test_extract6();
	test_truncation();
	test_hash_and_port();
	test_sport_formula();
	return t_done();
}
