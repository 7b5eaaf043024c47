// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "common/ctlproto.h"
#include "t.h"

static uint8_t buf[CTLP_MAX_REQ + 64];

static void test_req_roundtrip(void)
{
	char *argv[] = { "fou", "add", "port", "5555", "ipproto", "4", "" };
	struct ctlp_req r;
	ssize_t n;

	TEST("request round trip (flags, stats, words, empty word)");
	n = ctlp_req_encode(buf, sizeof(buf), CTLP_F_JSON | CTLP_F_PRETTY, 2, 7, argv);
	CHECK(n > 0);
	CHECK_EQ(ctlp_frame_len(buf, (size_t)n, CTLP_REQ_HDR, CTLP_MAX_REQ), n);
	CHECK_EQ(ctlp_req_decode(buf, (size_t)n, &r), 0);
	CHECK_EQ(r.argc, 7);
	CHECK_EQ(r.flags, CTLP_F_JSON | CTLP_F_PRETTY);
	CHECK_EQ(r.stats, 2);
	for (int i = 0; i < 7 && r.argc == 7; i++)
		CHECK_STR(r.argv[i], argv[i]);
	CHECK(r.argv[7] == NULL);

	TEST("request with no words");
	n = ctlp_req_encode(buf, sizeof(buf), 0, 0, 0, NULL);
	CHECK_EQ(n, CTLP_REQ_HDR);
	CHECK_EQ(ctlp_req_decode(buf, (size_t)n, &r), 0);
	CHECK_EQ(r.argc, 0);

	TEST("ufou --prometheus: no words, the prometheus flag; flags past it refused");
	n = ctlp_req_encode(buf, sizeof(buf), CTLP_F_PROM, 0, 0, NULL);
	CHECK_EQ(ctlp_req_decode(buf, (size_t)n, &r), 0);
	CHECK_EQ(r.flags, CTLP_F_PROM);
	CHECK_EQ(ctlp_req_encode(buf, sizeof(buf), CTLP_F_DETAILS << 1, 0, 0, NULL), -EINVAL);
	buf[5] = CTLP_F_DETAILS << 1;
	CHECK_EQ(ctlp_req_decode(buf, (size_t)n, &r), -EBADMSG);
}

static void test_req_truncated(void)
{
	char *argv[] = { "link", "show", "tun1" };
	struct ctlp_req r;
	ssize_t n = ctlp_req_encode(buf, sizeof(buf), 0, 1, 3, argv);
	uint8_t copy[64];

	TEST("every truncation of a request is rejected");
	CHECK(n > 0 && (size_t)n <= sizeof(copy));
	for (size_t len = 0; len < (size_t)n; len++) {
		memcpy(copy, buf, len);
		CHECK(ctlp_req_decode(copy, len, &r) < 0);
	}
	TEST("truncations with a fixed-up length prefix are rejected too");
	for (size_t len = CTLP_PREFIX; len < (size_t)n; len++) {
		memcpy(copy, buf, len);
		copy[0] = copy[1] = 0;
		copy[2] = (uint8_t)((len - 4) >> 8);
		copy[3] = (uint8_t)(len - 4);
		CHECK(ctlp_req_decode(copy, len, &r) < 0);
	}
}

static void test_req_malformed(void)
{
	char *argv[] = { "fou", "show" };
	struct ctlp_req r;
	ssize_t n = ctlp_req_encode(buf, sizeof(buf), 0, 0, 2, argv);
	uint8_t m[64];

	TEST("malformed requests");
	memcpy(m, buf, (size_t)n);
	m[4] = 2;                                     /* version */
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EPROTONOSUPPORT);
	memcpy(m, buf, (size_t)n);
	m[5] = 0x80;                                  /* unknown flag */
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EBADMSG);
	memcpy(m, buf, (size_t)n);
	m[7] = 1;                                     /* reserved byte */
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EBADMSG);
	memcpy(m, buf, (size_t)n);
	m[9] = 3;                                     /* argc beyond the words */
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EBADMSG);
	memcpy(m, buf, (size_t)n);
	m[9] = 1;                                     /* trailing bytes */
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EBADMSG);
	memcpy(m, buf, (size_t)n);
	m[n - 1] = 'x';                               /* last word not NUL-terminated */
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EBADMSG);
	memcpy(m, buf, (size_t)n);
	m[8] = 0x01;                                  /* argc 257 */
	m[9] = 0x01;
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EBADMSG);
	memcpy(m, buf, (size_t)n);
	m[3]++;                                       /* prefix disagrees with len */
	CHECK_EQ(ctlp_req_decode(m, (size_t)n, &r), -EBADMSG);
}

static void test_req_limits(void)
{
	static char big[CTLP_MAX_REQ];
	static char *many[CTLP_MAX_WORDS + 1];
	struct ctlp_req r;
	ssize_t n;

	TEST("limits: 256 words ok, 257 refused");
	for (int i = 0; i <= CTLP_MAX_WORDS; i++)
		many[i] = "w";
	n = ctlp_req_encode(buf, sizeof(buf), 0, 0, CTLP_MAX_WORDS, many);
	CHECK(n > 0);
	CHECK_EQ(ctlp_req_decode(buf, (size_t)n, &r), 0);
	CHECK_EQ(r.argc, CTLP_MAX_WORDS);
	CHECK_EQ(ctlp_req_encode(buf, sizeof(buf), 0, 0, CTLP_MAX_WORDS + 1, many), -E2BIG);

	TEST("limits: 64 KiB frame ok, one byte more refused");
	memset(big, 'a', sizeof(big));
	big[CTLP_MAX_REQ - CTLP_REQ_HDR - 1] = 0;     /* word + NUL fills the frame */
	many[0] = big;
	n = ctlp_req_encode(buf, sizeof(buf), 0, 0, 1, many);
	CHECK_EQ(n, CTLP_MAX_REQ);
	CHECK_EQ(ctlp_req_decode(buf, (size_t)n, &r), 0);
	big[CTLP_MAX_REQ - CTLP_REQ_HDR - 1] = 'a';
	big[CTLP_MAX_REQ - CTLP_REQ_HDR] = 0;
	CHECK_EQ(ctlp_req_encode(buf, sizeof(buf), 0, 0, 1, many), -EMSGSIZE);
	CHECK_EQ(ctlp_req_decode(buf, CTLP_MAX_REQ + 1, &r), -EMSGSIZE);
	CHECK_EQ(ctlp_req_encode(buf, 8, 0, 0, 0, NULL), -EMSGSIZE);   /* cap too small */
	CHECK_EQ(ctlp_req_encode(buf, sizeof(buf), 0x10, 0, 0, NULL), -EINVAL);
	CHECK_EQ(ctlp_req_encode(buf, sizeof(buf), 0, 0, -1, NULL), -EINVAL);
}

static void test_frame_len(void)
{
	uint8_t p[4] = { 0, 0, 0, 6 };

	TEST("frame length from the prefix");
	CHECK_EQ(ctlp_frame_len(p, 0, CTLP_REQ_HDR, CTLP_MAX_REQ), 0);
	CHECK_EQ(ctlp_frame_len(p, 3, CTLP_REQ_HDR, CTLP_MAX_REQ), 0);
	CHECK_EQ(ctlp_frame_len(p, 4, CTLP_REQ_HDR, CTLP_MAX_REQ), 10);
	p[3] = 5;
	CHECK_EQ(ctlp_frame_len(p, 4, CTLP_REQ_HDR, CTLP_MAX_REQ), -EBADMSG);
	p[0] = 0xff;
	CHECK_EQ(ctlp_frame_len(p, 4, CTLP_REQ_HDR, CTLP_MAX_REQ), -EMSGSIZE);
	p[0] = 0;
	p[1] = 1;
	p[2] = 0;
	p[3] = 0;     /* 65536 + 4 */
	CHECK_EQ(ctlp_frame_len(p, 4, CTLP_REQ_HDR, CTLP_MAX_REQ), -EMSGSIZE);
	p[3] = 0;
	p[1] = 0;
	p[2] = 0xff;
	p[3] = 0xfc;  /* 65532 + 4 = max */
	CHECK_EQ(ctlp_frame_len(p, 4, CTLP_REQ_HDR, CTLP_MAX_REQ), CTLP_MAX_REQ);
}

static void test_reply(void)
{
	const char *text;
	size_t tl;
	ssize_t n;
	int err;

	TEST("reply round trip: output and error");
	n = ctlp_rep_encode(buf, sizeof(buf), 0, "port 5555 ipproto 4\n", 20);
	CHECK_EQ(n, CTLP_REP_HDR + 20);
	CHECK_EQ(ctlp_rep_decode(buf, (size_t)n, &err, &text, &tl), 0);
	CHECK_EQ(err, 0);
	CHECK_EQ(tl, 20);
	CHECK(!memcmp(text, "port 5555 ipproto 4\n", 20));
	n = ctlp_rep_encode(buf, sizeof(buf), -EEXIST, "exists", 6);
	CHECK_EQ(ctlp_rep_decode(buf, (size_t)n, &err, &text, &tl), 0);
	CHECK_EQ(err, -EEXIST);
	CHECK_EQ(tl, 6);
	n = ctlp_rep_encode(buf, sizeof(buf), 0, NULL, 0);
	CHECK_EQ(ctlp_rep_decode(buf, (size_t)n, &err, &text, &tl), 0);
	CHECK_EQ(tl, 0);

	TEST("reply: bad errno, truncation, version");
	CHECK_EQ(ctlp_rep_encode(buf, sizeof(buf), 1, "", 0), -EINVAL);
	CHECK_EQ(ctlp_rep_encode(buf, sizeof(buf), -5000, "", 0), -EINVAL);
	CHECK_EQ(ctlp_rep_encode(buf, 10, 0, "abc", 3), -EMSGSIZE);
	n = ctlp_rep_encode(buf, sizeof(buf), -ENOENT, "not found", 9);
	for (size_t len = 0; len < (size_t)n; len++)
		CHECK(ctlp_rep_decode(buf, len, &err, &text, &tl) < 0);
	buf[4] = 9;
	CHECK_EQ(ctlp_rep_decode(buf, (size_t)n, &err, &text, &tl), -EPROTONOSUPPORT);
	buf[4] = CTLP_VERSION;
	buf[8] = 0;   /* errno becomes positive */
	CHECK_EQ(ctlp_rep_decode(buf, (size_t)n, &err, &text, &tl), -EBADMSG);
}

int main(void)
{
	test_req_roundtrip();
	test_req_truncated();
	test_req_malformed();
	test_req_limits();
	test_frame_len();
	test_reply();
	return t_done();
}
