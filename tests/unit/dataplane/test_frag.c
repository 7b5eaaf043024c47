// SPDX-License-Identifier: GPL-2.0
/* Outer IPv4 fragmentation: sizes, offsets, flags, options, checksums, reassembly. */
#include <errno.h>
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

int main(void)
{
	test_sizes();
	test_edges();
	return t_done();
}
