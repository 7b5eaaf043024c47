// SPDX-License-Identifier: GPL-2.0
/*
 * Internet checksum: differential test of the fast uf_csum_partial against
 * a byte-at-a-time RFC 1071 reference over every length 0..2048 at random
 * offsets, known vectors, pseudo headers and RFC 1624 incremental updates.
 */
#include "proto/bytes.h"
#include "proto/csum.h"
#include "t.h"
#include "vec.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic so failures reproduce. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* RFC 1071 the slow way: big-endian 16-bit words, end-around carry each step. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint16_t start)
{
	uint32_t s = start;
	size_t i;

	for (i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)s;
}

static void test_differential(void)
{
	static uint8_t buf[2048 + 64];
	size_t len, off, i;
	int fill, bad = 0;

	TEST("differential: every length 0..2048, random offsets and fills");
	for (fill = 0; fill < 3; fill++) {
		for (len = 0; len <= 2048; len++) {
			off = rnd() % 64;
			for (i = 0; i < len; i++)
				/* random, all-0xff (carry heavy) and all-zero bytes */
				buf[off + i] = fill == 0 ? (uint8_t)rnd() : fill == 1 ? 0xff : 0;
			uint16_t start = (uint16_t)rnd();
			uint16_t ref = ref_sum(buf + off, len, 0);
			uint16_t got = uf_csum_fold16(uf_csum_partial(buf + off, len, 0));
			uint16_t refs = ref_sum(buf + off, len, start);
			uint16_t gots = uf_csum_fold16(uf_csum_partial(buf + off, len, start));
			uint16_t fin = uf_csum(buf + off, len), want = (uint16_t)(0xffff - ref);

			if (ref != got || refs != gots ||
			    fin != want) {
				if (bad++ < 5)
					printf("# len %zu off %zu fill %d: ref %04x got %04x, "
					       "start %04x ref %04x got %04x\n",
					       len, off, fill, ref, got, start, refs, gots);
			}
		}
	}
	CHECK_EQ(bad, 0);
}

static void test_big(void)
{
	/* Long all-0xff run: millions of carries through every accumulator. */
	static uint8_t buf[1 << 20];
	size_t i;

	TEST("large buffers: 1 MiB of 0xff and random");
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(buf, sizeof(buf), 0)), 0xffff);
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(buf + 1, sizeof(buf) - 1, 0)),
		 ref_sum(buf + 1, sizeof(buf) - 1, 0));
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(buf, sizeof(buf), 0)),
		 ref_sum(buf, sizeof(buf), 0));
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(buf + 3, sizeof(buf) - 7, 0x1234)),
		 ref_sum(buf + 3, sizeof(buf) - 7, 0x1234));
	/* Super-packet sizes around the vector loop's 64-byte steps, every alignment. */
	static const size_t lens[] = { 127, 128, 129, 191, 9001, 65471, 65535, 65536 };
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
		for (size_t off = 0; off < 8; off++)
			CHECK_EQ(uf_csum_fold16(uf_csum_partial(buf + off, lens[k], 0)),
				 ref_sum(buf + off, lens[k], 0));
}

static void test_vectors(void)
{
	/* RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t h[64];
	size_t n;

	TEST("known vectors: RFC 1071 example, captured IPv4 headers");
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(rfc, sizeof(rfc), 0)), 0xddf2);
	CHECK_EQ(uf_csum(rfc, sizeof(rfc)), 0x220d);
	/* Byte-order independence: any split into even pieces adds up the same. */
	CHECK_EQ(uf_csum_fold16(uf_csum_add(uf_csum_partial(rfc, 2, 0),
					    uf_csum_partial(rfc + 2, 6, 0))), 0xddf2);
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(rfc + 4, 4, uf_csum_partial(rfc, 4, 0))),
		 0xddf2);

	/* tests/vectors/fou-ipip.txt: a valid header sums to 0xffff, checks to 0. */
	n = vec_unhex("45000070a0cc4000e1116c88c6120002c6120001", h, sizeof(h));
	CHECK_EQ(n, 20);
	CHECK_EQ(uf_csum(h, n), 0);
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(h, n, 0)), 0xffff);
	put_be16(h + 10, 0);
	CHECK_EQ(uf_csum(h, n), 0x6c88);

	/* Odd length pads with a zero byte: "ab" + "c" == "ab" "c\0". */
	CHECK_EQ(uf_csum_fold16(uf_csum_partial("abc", 3, 0)), (0x6162 + 0x6300) & 0xffff);
	CHECK_EQ(uf_csum_fold16(uf_csum_partial("", 0, 0)), 0);
	CHECK_EQ(uf_csum(h, 0), 0xffff);
}

static void test_fold_add(void)
{
	TEST("fold16 / add / finish edge values");
	CHECK_EQ(uf_csum_fold16(0), 0);
	CHECK_EQ(uf_csum_fold16(0xffff), 0xffff);
	CHECK_EQ(uf_csum_fold16(0x10000), 1);
	CHECK_EQ(uf_csum_fold16(0xffffffff), 0xffff);
	CHECK_EQ(uf_csum_fold16(0x1fffe), 0xffff);
	CHECK_EQ(uf_csum_fold16(0x12345678), (0x1234 + 0x5678) & 0xffff);
	CHECK_EQ(uf_csum_add(0xffffffff, 1), 1);
	CHECK_EQ(uf_csum_add(0xffffffff, 0xffffffff), 0xffffffff);
	CHECK_EQ(uf_csum_add(5, 7), 12);
	CHECK_EQ(uf_csum_finish(0), 0xffff);
	CHECK_EQ(uf_csum_finish(0xffff), 0);
	CHECK_EQ(uf_csum_finish(0x1234), 0xedcb);
}

static void test_pseudo(void)
{
	static const uint8_t s4[4] = { 198, 18, 0, 2 }, d4[4] = { 198, 18, 0, 1 };
	uint8_t s6[16], d6[16], ph[40];
	uint32_t len;
	int i, bad = 0;

	TEST("pseudo headers equal the checksum of their byte layout");
	for (i = 0; i < 200; i++) {
		len = i == 0 ? 0 : i == 1 ? 0xffff : i == 2 ? 0xffffffff : rnd();
		memcpy(ph, s4, 4);
		memcpy(ph + 4, d4, 4);
		ph[8] = 0;
		ph[9] = 17;
		/* 16-bit length on the wire; a 32-bit one sums the same when it fits */
		put_be32(ph + 10, len);
		if (uf_csum_fold16(uf_csum_pseudo4(s4, d4, 17, len)) !=
		    uf_csum_fold16(uf_csum_partial(ph, 14, 0)))
			bad++;

		for (int j = 0; j < 16; j++) {
			s6[j] = (uint8_t)rnd();
			d6[j] = (uint8_t)rnd();
		}
		memcpy(ph, s6, 16);
		memcpy(ph + 16, d6, 16);
		put_be32(ph + 32, len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = 58;
		if (uf_csum_fold16(uf_csum_pseudo6(s6, d6, 58, len)) !=
		    uf_csum_fold16(uf_csum_partial(ph, 40, 0)))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

static void test_replace(void)
{
	uint8_t h[20];
	int i, bad = 0;

	TEST("RFC 1624 replace16/replace32 match recomputation");
	vec_unhex("45000070a0cc4000e1116c88c6120002c6120001", h, sizeof(h));
	/* TTL 225 -> 224, the classic router decrement. */
	uint16_t old = get_be16(h + 8);
	h[8] = 224;
	put_be16(h + 10, uf_csum_replace16(get_be16(h + 10), old, get_be16(h + 8)));
	CHECK_EQ(uf_csum(h, 20), 0);

	for (i = 0; i < 20000; i++) {
		size_t w = (rnd() % 9) * 2;   /* any word but the checksum */
		uint16_t o16, n16, want;
		uint32_t o32, n32;

		for (size_t j = 0; j < 20; j++)
			h[j] = (uint8_t)rnd();
		/*
		 * All-0xff headers stress the carries. (All-zero data is the one
		 * case where eqn. 3 yields 0x0000 for 0xffff; an IP header is never
		 * all zero, and Linux's csum_replace2 behaves the same.)
		 */
		if (i % 7 == 0)
			memset(h, 0xff, 20);
		put_be16(h + 10, 0);
		put_be16(h + 10, uf_csum(h, 20));
		if (w >= 10)
			w += 2;
		o16 = get_be16(h + w);
		n16 = (uint16_t)rnd();
		if (i % 5 == 0)
			n16 = i % 2 ? 0xffff : 0;
		put_be16(h + w, n16);
		put_be16(h + 10, uf_csum_replace16(get_be16(h + 10), o16, n16));
		if (uf_csum(h, 20) != 0)
			bad++;
		/* eqn. 3 never produces -0 from a nonzero sum, same as recomputing */
		put_be16(h + 10, 0);
		want = uf_csum(h, 20);
		put_be16(h + 10, uf_csum_replace16((uint16_t)want, n16, n16));
		if (get_be16(h + 10) != want && !(want == 0xffff || want == 0))
			bad++;

		/* 32-bit: the address fields */
		put_be16(h + 10, 0);
		put_be16(h + 10, uf_csum(h, 20));
		o32 = get_be32(h + 12);
		n32 = rnd();
		put_be32(h + 12, n32);
		put_be16(h + 10, uf_csum_replace32(get_be16(h + 10), o32, n32));
		if (uf_csum(h, 20) != 0)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	test_vectors();
	test_fold_add();
	test_differential();
	test_big();
	test_pseudo();
	test_replace();
	return t_done();
}
