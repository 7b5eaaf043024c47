// SPDX-License-Identifier: GPL-2.0
/* ICMP frag-needed and ICMPv6 packet-too-big construction and eligibility. */
#include <errno.h>
#include "t.h"

#include "dataplane/icmp.h"
#include "proto/bytes.h"
#include "proto/csum.h"

static uint8_t orig[2000], out[2000];

static const uint8_t me4[4] = { 198, 19, 1, 1 };
static const uint8_t me6[16] = { 0xfd, 0, 0, 1, [15] = 1 };

static size_t mk4(size_t len, uint8_t proto)
{
	for (size_t i = 0; i < len; i++)
		orig[i] = (uint8_t)(i * 7);
	orig[0] = 0x45;
	orig[1] = 0;
	put_be16(orig + 2, (uint16_t)len);
	put_be16(orig + 6, 0x4000);
	orig[8] = 64;
	orig[9] = proto;
	memcpy(orig + 12, (uint8_t[]){ 198, 19, 1, 2 }, 4);
	memcpy(orig + 16, (uint8_t[]){ 198, 19, 2, 9 }, 4);
	put_be16(orig + 10, 0);
	put_be16(orig + 10, uf_csum(orig, 20));
	return len;
}

static size_t mk6(size_t len, uint8_t nh)
{
	for (size_t i = 0; i < len; i++)
		orig[i] = (uint8_t)(i * 5);
	memset(orig, 0, 40);
	orig[0] = 0x60;
	put_be16(orig + 4, (uint16_t)(len - 40));
	orig[6] = nh;
	orig[7] = 64;
	orig[8] = 0xfd;
	orig[23] = 2;
	orig[24] = 0xfd;
	orig[39] = 9;
	return len;
}

static void test_icmp4(void)
{
	size_t len = mk4(1500, 6);
	int n;

	TEST("ICMPv4 frag-needed: 576 bytes, quote, MTU, checksums");
	n = dp_icmp4_frag_needed(out, sizeof(out), orig, len, me4, 1472, 0x1234);
	CHECK_EQ(n, 576);
	CHECK_EQ(out[0], 0x45);
	CHECK_EQ(out[1], 0xc0);
	CHECK_EQ(get_be16(out + 2), 576);
	CHECK_EQ(get_be16(out + 4), 0x1234);
	CHECK_EQ(get_be16(out + 6), 0);
	CHECK_EQ(out[8], 64);
	CHECK_EQ(out[9], 1);
	CHECK_MEM(out + 12, me4, 4);
	CHECK_MEM(out + 16, orig + 12, 4);
	CHECK_EQ(uf_csum(out, 20), 0);
	CHECK_EQ(out[20], 3);
	CHECK_EQ(out[21], 4);
	CHECK_EQ(get_be16(out + 24), 0);
	CHECK_EQ(get_be16(out + 26), 1472);
	CHECK_MEM(out + 28, orig, 548);
	CHECK_EQ(uf_csum(out + 20, 556), 0);

	TEST("ICMPv4 frag-needed: short originals quoted whole, stated length wins");
	len = mk4(100, 17);
	n = dp_icmp4_frag_needed(out, sizeof(out), orig, len, me4, 68, 0);
	CHECK_EQ(n, 128);
	CHECK_MEM(out + 28, orig, 100);
	CHECK_EQ(uf_csum(out + 20, 108), 0);
	n = dp_icmp4_frag_needed(out, sizeof(out), orig, len + 50, me4, 68, 0);
	CHECK_EQ(n, 128);                       /* trailing bytes past tot_len ignored */
	n = dp_icmp4_frag_needed(out, sizeof(out), orig, 20, me4, 68, 0);
	CHECK_EQ(n, 48);                        /* only what is present */

	TEST("ICMPv4 frag-needed: errors");
	CHECK_EQ(dp_icmp4_frag_needed(out, 127, orig, 100, me4, 68, 0), -ENOSPC);
	CHECK_EQ(dp_icmp4_frag_needed(out, sizeof(out), orig, 19, me4, 68, 0), -EINVAL);
	orig[0] = 0x65;
	CHECK_EQ(dp_icmp4_frag_needed(out, sizeof(out), orig, 100, me4, 68, 0), -EINVAL);
}

static void test_elig4(void)
{
	TEST("ICMPv4 eligibility");
	mk4(100, 6);
	CHECK(dp_icmp4_eligible(orig, 100));
	CHECK(!dp_icmp4_eligible(orig, 19));
	put_be16(orig + 6, 0x2000);             /* first fragment: ok */
	CHECK(dp_icmp4_eligible(orig, 100));
	put_be16(orig + 6, 0x0001);             /* later fragment: no */
	CHECK(!dp_icmp4_eligible(orig, 100));
	mk4(100, 6);
	orig[16] = 224;                         /* to multicast */
	CHECK(!dp_icmp4_eligible(orig, 100));
	mk4(100, 6);
	memset(orig + 16, 255, 4);              /* to broadcast */
	CHECK(!dp_icmp4_eligible(orig, 100));
	mk4(100, 6);
	memset(orig + 12, 0, 4);                /* from 0.0.0.0 */
	CHECK(!dp_icmp4_eligible(orig, 100));
	mk4(100, 1);
	orig[20] = 8;                           /* echo request: ok */
	CHECK(dp_icmp4_eligible(orig, 100));
	orig[20] = 3;                           /* an error about an error: no */
	CHECK(!dp_icmp4_eligible(orig, 100));
	orig[20] = 11;
	CHECK(!dp_icmp4_eligible(orig, 100));
}

static void test_icmp6(void)
{
	size_t len = mk6(1500, 17);
	uint32_t sum;
	int n;

	TEST("ICMPv6 packet-too-big: 1280 bytes, quote, MTU, checksum");
	n = dp_icmp6_ptb(out, sizeof(out), orig, len, me6, 1452);
	CHECK_EQ(n, 1280);
	CHECK_EQ(out[0], 0x60);
	CHECK_EQ(get_be16(out + 4), 1240);
	CHECK_EQ(out[6], 58);
	CHECK_EQ(out[7], 64);
	CHECK_MEM(out + 8, me6, 16);
	CHECK_MEM(out + 24, orig + 8, 16);
	CHECK_EQ(out[40], 2);
	CHECK_EQ(out[41], 0);
	CHECK_EQ(get_be32(out + 44), 1452);
	CHECK_MEM(out + 48, orig, 1232);
	sum = uf_csum_pseudo6(out + 8, out + 24, 58, 1240);
	CHECK_EQ(uf_csum_fold16(uf_csum_partial(out + 40, 1240, sum)), 0xffff);

	TEST("ICMPv6 packet-too-big: short original, errors");
	len = mk6(100, 17);
	n = dp_icmp6_ptb(out, sizeof(out), orig, len, me6, 1280);
	CHECK_EQ(n, 148);
	CHECK_MEM(out + 48, orig, 100);
	CHECK_EQ(dp_icmp6_ptb(out, 147, orig, len, me6, 1280), -ENOSPC);
	CHECK_EQ(dp_icmp6_ptb(out, sizeof(out), orig, 39, me6, 1280), -EINVAL);
}

static void test_elig6(void)
{
	TEST("ICMPv6 eligibility");
	mk6(100, 17);
	CHECK(dp_icmp6_eligible(orig, 100));
	CHECK(!dp_icmp6_eligible(orig, 39));
	memset(orig + 8, 0, 16);                /* from :: */
	CHECK(!dp_icmp6_eligible(orig, 100));
	mk6(100, 17);
	orig[8] = 0xff;                         /* from multicast */
	CHECK(!dp_icmp6_eligible(orig, 100));
	mk6(100, 17);
	orig[24] = 0xff;                        /* to multicast: PTB is allowed */
	CHECK(dp_icmp6_eligible(orig, 100));
	mk6(100, 58);
	orig[40] = 128;                         /* echo request */
	CHECK(dp_icmp6_eligible(orig, 100));
	orig[40] = 1;                           /* an error */
	CHECK(!dp_icmp6_eligible(orig, 100));
	mk6(100, 0);                            /* hop-by-hop, then ICMPv6 error */
	orig[40] = 58;
	orig[41] = 0;
	orig[48] = 2;
	CHECK(!dp_icmp6_eligible(orig, 100));
	orig[48] = 129;
	CHECK(dp_icmp6_eligible(orig, 100));
	CHECK(!dp_icmp6_eligible(orig, 44));    /* extension header cut */
}

int main(void)
{
	test_icmp4();
	test_elig4();
	test_icmp6();
	test_elig6();
	return t_done();
}
