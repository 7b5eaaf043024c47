// SPDX-License-Identifier: GPL-2.0
/*
 * Outer fragmentation. IPv4: sizes, offsets, flags, options, checksums,
 * reassembly. IPv6: fragment headers, offsets, the M flag, one ID, reassembly.
 */
#include <errno.h>
#include <stdbool.h>
#include "t.h"

#include "dataplane/frag.h"
#include "proto/bytes.h"
#include "proto/csum.h"

static uint8_t pkt[70000], out[70000], re[70000];

static size_t mk(size_t hlen, size_t plen, uint16_t fo)
{
	size_t len = hlen + plen;

	memset(pkt, 0, hlen);
	pkt[0] = (uint8_t)(0x40 | hlen / 4);
	put_be16(pkt + 2, (uint16_t)len);
	put_be16(pkt + 4, 0xbeef);
	put_be16(pkt + 6, fo);
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, (uint8_t[]){ 198, 18, 0, 1, 198, 18, 0, 2 }, 8);
	for (size_t i = 0; i < plen; i++)
		pkt[hlen + i] = (uint8_t)(i * 13 + 1);
	put_be16(pkt + 10, uf_csum(pkt, hlen));
	return len;
}

/* Splits, checks each fragment, reassembles the payload into re; returns the count. */
static int split(size_t len, unsigned int mtu, size_t *plen_out)
{
	struct dp_frag4 f;
	int n, count = 0;
	size_t plen = 0;

	if (dp_frag4_init(&f, pkt, len, mtu) < 0)
		return -1;
	while ((n = dp_frag4_next(&f, out, sizeof(out))) > 0) {
		size_t hl = (size_t)(out[0] & 15) * 4, off = (size_t)(get_be16(out + 6) & 0x1fff) * 8;

		CHECK((unsigned int)n <= mtu);
		CHECK_EQ(get_be16(out + 2), n);
		CHECK_EQ(uf_csum(out, hl), 0);
		CHECK_EQ(get_be16(out + 4), 0xbeef);
		CHECK_EQ(get_be16(out + 6) & 0x4000, 0);
		memcpy(re + off, out + hl, (size_t)n - hl);
		if (off + (size_t)n - hl > plen)
			plen = off + (size_t)n - hl;
		if (!(get_be16(out + 6) & 0x2000))
			CHECK_EQ(off + (size_t)n - hl, plen);
		else
			CHECK_EQ(((size_t)n - hl) % 8, 0);
		count++;
	}
	CHECK_EQ(n, 0);
	*plen_out = plen;
	return count;
}

static void test_sizes(void)
{
	static const struct {
		size_t plen;
		unsigned int mtu;
		int want;
	} rows[] = {
		{ 1480, 1500, 1 },      /* exactly fits */
		{ 1481, 1500, 2 },
		{ 2960, 1500, 2 },
		{ 2961, 1500, 3 },
		{ 8, 28, 1 },           /* smallest mtu: 8 payload bytes each */
		{ 9, 28, 2 },
		{ 100, 35, 13 },        /* 15 usable -> 8 per fragment */
		{ 65515, 1500, 45 },    /* maximum packet */
		{ 0, 1500, 1 },
	};

	TEST("fragment counts and reassembly (table)");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = mk(20, rows[i].plen, 0x4000), plen = 0;

		CHECK_EQ(split(len, rows[i].mtu, &plen), rows[i].want);
		CHECK_EQ(plen, rows[i].plen);
		CHECK(memcmp(re, pkt + 20, rows[i].plen) == 0);
		if (t_cur_failed) {
			printf("# row %zu\n", i);
			break;
		}
	}
}

static void test_edges(void)
{
	struct dp_frag4 f;
	size_t len, plen;

	TEST("too small mtu, not IPv4, truncated");
	len = mk(20, 100, 0);
	CHECK_EQ(dp_frag4_init(&f, pkt, len, 27), -EMSGSIZE);
	CHECK_EQ(dp_frag4_init(&f, pkt, len - 1, 1500), -EINVAL);
	pkt[0] = 0x65;
	CHECK_EQ(dp_frag4_init(&f, pkt, len, 1500), -EINVAL);
	CHECK_EQ(dp_frag4_init(&f, pkt, 19, 1500), -EINVAL);

	TEST("output buffer too small");
	len = mk(20, 100, 0);
	CHECK_EQ(dp_frag4_init(&f, pkt, len, 60), 3);
	CHECK_EQ(dp_frag4_next(&f, out, 59), -ENOSPC);
	CHECK_EQ(dp_frag4_next(&f, out, 60), 60);

	TEST("already a fragment: offsets add, MF kept on the last");
	len = mk(20, 96, 0x2000 | 10);
	CHECK_EQ(split(len, 60, &plen), 3);
	CHECK(dp_frag4_init(&f, pkt, len, 60) == 3);
	dp_frag4_next(&f, out, sizeof(out));
	CHECK_EQ(get_be16(out + 6), 0x2000 | 10);
	dp_frag4_next(&f, out, sizeof(out));
	CHECK_EQ(get_be16(out + 6), 0x2000 | 15);
	dp_frag4_next(&f, out, sizeof(out));
	CHECK_EQ(get_be16(out + 6), 0x2000 | 20);
	CHECK_EQ(dp_frag4_next(&f, out, sizeof(out)), 0);

	TEST("options: all in the first fragment, copied ones in the rest");
	len = mk(32, 64, 0);
	/* NOP, then an uncopied option (type 0x44, len 4), then a copied one (0x94, len 4), END */
	memcpy(pkt + 20, (uint8_t[]){ 1, 0x44, 4, 0, 0, 0x94, 4, 0xaa, 0xbb, 0, 0, 0 }, 12);
	put_be16(pkt + 10, 0);
	put_be16(pkt + 10, uf_csum(pkt, 32));
	CHECK_EQ(dp_frag4_init(&f, pkt, len, 72), 2);
	CHECK_EQ(dp_frag4_next(&f, out, sizeof(out)), 72);
	CHECK_EQ(out[0], 0x48);
	CHECK_MEM(out + 20, pkt + 20, 12);
	CHECK_EQ(dp_frag4_next(&f, out, sizeof(out)), 24 + 24);
	CHECK_EQ(out[0], 0x46);
	CHECK_MEM(out + 20, ((uint8_t[]){ 0x94, 4, 0xaa, 0xbb }), 4);
	CHECK_EQ(uf_csum(out, 24), 0);
	CHECK_EQ(get_be16(out + 6), 5);
	CHECK_MEM(out + 24, pkt + 32 + 40, 24);
}

/* An outer IPv6 packet: 40-byte header (next header nh), then plen bytes. */
static size_t mk6(uint8_t nh, size_t plen)
{
	memset(pkt, 0, 40);
	put_be32(pkt, 6u << 28 | 0xb8u << 20 | 0x12345);
	put_be16(pkt + 4, (uint16_t)plen);
	pkt[6] = nh;
	pkt[7] = 64;
	pkt[8] = 0xfd;
	pkt[24] = 0xfd;
	pkt[39] = 2;
	for (size_t i = 0; i < plen; i++)
		pkt[40 + i] = (uint8_t)(i * 7 + 3);
	return 40 + plen;
}

/* Splits an IPv6 packet, checks every fragment, reassembles into re. */
static int split6(size_t len, unsigned int mtu, uint32_t id, size_t *plen_out)
{
	struct dp_frag6 f;
	int n, count = 0;
	size_t plen = 0;
	bool last_seen = false;

	if (dp_frag6_init(&f, pkt, len, mtu, id) < 0)
		return -1;
	while ((n = dp_frag6_next(&f, out, sizeof(out))) > 0) {
		size_t off = get_be16(out + 42) & 0xfff8, dl = (size_t)n - 48;
		bool more = get_be16(out + 42) & 1;

		CHECK((unsigned int)n <= mtu);
		CHECK_EQ(get_be16(out + 4), n - 40);
		CHECK_MEM(out, pkt, 4);                 /* version, class, label */
		CHECK_MEM(out + 7, pkt + 7, 33);        /* hop limit, addresses */
		CHECK_EQ(out[6], 44);
		CHECK_EQ(out[40], pkt[6]);              /* the original next header */
		CHECK_EQ(out[41], 0);
		CHECK_EQ(get_be32(out + 44), id);
		CHECK(!last_seen);
		if (more)
			CHECK_EQ(dl % 8, 0);
		else
			last_seen = true;
		memcpy(re + off, out + 48, dl);
		if (off + dl > plen)
			plen = off + dl;
		count++;
	}
	CHECK_EQ(n, 0);
	CHECK(last_seen);
	*plen_out = plen;
	return count;
}

static void test_ipv6(void)
{
	static const struct {
		size_t plen;
		unsigned int mtu;
		int want;
	} rows[] = {
		{ 1296, 1300, 2 },      /* 1336: ip6ip6/fou6 of 1280 on a 1300 path */
		{ 1248, 1300, 1 },      /* 1248 fits in one (1296 with both headers) */
		{ 1249, 1300, 2 },
		{ 8, 56, 1 },           /* smallest mtu: 8 bytes each */
		{ 17, 56, 3 },
		{ 65495, 1280, 54 },     /* 1232 bytes each */
		{ 0, 1280, 1 },
	};
	struct dp_frag6 f;
	size_t len, plen;

	TEST("IPv6 fragment counts, headers and reassembly (table)");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = mk6(60, rows[i].plen);
		plen = 0;
		CHECK_EQ(split6(len, rows[i].mtu, 0xc0ffee00u + (uint32_t)i, &plen),
			 rows[i].want);
		CHECK_EQ(plen, rows[i].plen);
		CHECK(memcmp(re, pkt + 40, rows[i].plen) == 0);
		if (t_cur_failed) {
			printf("# row %zu\n", i);
			break;
		}
	}

	TEST("IPv6: too small mtu, not IPv6, truncated, hop-by-hop or routing first");
	len = mk6(17, 100);
	CHECK_EQ(dp_frag6_init(&f, pkt, len, 55, 1), -EMSGSIZE);
	CHECK_EQ(dp_frag6_init(&f, pkt, len - 1, 1280, 1), -EINVAL);
	CHECK_EQ(dp_frag6_init(&f, pkt, 39, 1280, 1), -EINVAL);
	pkt[6] = 0;
	CHECK_EQ(dp_frag6_init(&f, pkt, len, 1280, 1), -EINVAL);
	pkt[6] = 43;
	CHECK_EQ(dp_frag6_init(&f, pkt, len, 1280, 1), -EINVAL);
	pkt[6] = 44;
	CHECK_EQ(dp_frag6_init(&f, pkt, len, 1280, 1), -EINVAL);
	len = mk6(17, 100);
	pkt[0] = 0x45;
	CHECK_EQ(dp_frag6_init(&f, pkt, len, 1280, 1), -EINVAL);

	TEST("IPv6: output buffer too small");
	len = mk6(17, 100);
	CHECK_EQ(dp_frag6_init(&f, pkt, len, 64, 9), 7);
	CHECK_EQ(dp_frag6_next(&f, out, 63), -ENOSPC);
	CHECK_EQ(dp_frag6_next(&f, out, 64), 64);
}

int main(void)
{
	test_sizes();
	test_edges();
	test_ipv6();
	return t_done();
}
