// SPDX-License-Identifier: GPL-2.0
/* pcap reader: global header variants, record bounds, link-layer offsets. */
#include <errno.h>

#include "proto/pcap.h"
#include "t.h"

struct wbuf {
	uint8_t b[4096];
	size_t len;
	int be;
};

static void w32(struct wbuf *w, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		w->b[w->len + i] = (uint8_t)(w->be ? v >> (24 - 8 * i) : v >> (8 * i));
	w->len += 4;
}

static void w16(struct wbuf *w, uint16_t v)
{
	w->b[w->len] = (uint8_t)(w->be ? v >> 8 : v);
	w->b[w->len + 1] = (uint8_t)(w->be ? v : v >> 8);
	w->len += 2;
}

static void wbytes(struct wbuf *w, const void *p, size_t n)
{
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

/* Global header; magic is the logical value, written in the file's order. */
static void ghdr(struct wbuf *w, int be, uint32_t magic, uint16_t major, uint32_t linktype)
{
	w->len = 0;
	w->be = be;
	w32(w, magic);
	w16(w, major);
	w16(w, 4);
	w32(w, 0);
	w32(w, 0);
	w32(w, 65535);
	w32(w, linktype);
}

static void rec(struct wbuf *w, uint32_t sec, uint32_t frac, const void *data, uint32_t caplen,
		uint32_t origlen)
{
	w32(w, sec);
	w32(w, frac);
	w32(w, caplen);
	w32(w, origlen);
	wbytes(w, data, caplen);
}

static const uint8_t payload_a[] = { 0x45, 0, 0, 20, 1, 2, 3, 4, 5, 6 };
static const uint8_t payload_b[] = { 0x60, 1, 2 };

static void test_open_variants(void)
{
	static const struct {
		const char *name;
		int be;
		uint32_t magic;
		int nsec;
	} rows[] = {
		{ "usec little-endian", 0, 0xa1b2c3d4, 0 },
		{ "usec big-endian", 1, 0xa1b2c3d4, 0 },
		{ "nsec little-endian", 0, 0xa1b23c4d, 1 },
		{ "nsec big-endian", 1, 0xa1b23c4d, 1 },
	};
	struct wbuf w;
	struct uf_pcap pc;
	struct uf_pcap_rec r;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		TEST(rows[i].name);
		ghdr(&w, rows[i].be, rows[i].magic, 2, UF_DLT_RAW);
		rec(&w, 100, 999999999, payload_a, sizeof(payload_a), 60);
		rec(&w, 101, 7, payload_b, sizeof(payload_b), sizeof(payload_b));
		CHECK_EQ(uf_pcap_open(&pc, w.b, w.len), 0);
		CHECK_EQ(pc.nsec, rows[i].nsec);
		CHECK_EQ(pc.linktype, UF_DLT_RAW);
		CHECK_EQ(pc.snaplen, 65535);
		CHECK_EQ(uf_pcap_next(&pc, &r), 1);
		CHECK_EQ(r.caplen, sizeof(payload_a));
		CHECK_EQ(r.origlen, 60);
		CHECK_EQ(r.ts_sec, 100);
		CHECK_EQ(r.ts_frac, 999999999);
		CHECK(r.data == w.b + 24 + 16);
		CHECK_MEM(r.data, payload_a, sizeof(payload_a));
		CHECK_EQ(uf_pcap_next(&pc, &r), 1);
		CHECK_EQ(r.caplen, sizeof(payload_b));
		CHECK_EQ(r.ts_sec, 101);
		CHECK_EQ(r.ts_frac, 7);
		CHECK_MEM(r.data, payload_b, sizeof(payload_b));
		CHECK_EQ(uf_pcap_next(&pc, &r), 0);
		CHECK_EQ(uf_pcap_next(&pc, &r), 0);   /* stays at the end */
	}
}

static void test_bad_headers(void)
{
	struct wbuf w;
	struct uf_pcap pc;

	TEST("global header: short, bad magic, bad version");
	ghdr(&w, 0, 0xa1b2c3d4, 2, UF_DLT_EN10MB);
	for (size_t n = 0; n < 24; n++)
		CHECK_EQ(uf_pcap_open(&pc, w.b, n), -EINVAL);
	CHECK_EQ(uf_pcap_open(&pc, NULL, 0), -EINVAL);
	CHECK_EQ(uf_pcap_open(&pc, w.b, 24), 0);
	ghdr(&w, 0, 0xa1b2c3d5, 2, UF_DLT_EN10MB);
	CHECK_EQ(uf_pcap_open(&pc, w.b, w.len), -EINVAL);
	ghdr(&w, 0, 0x0a0d0d0a, 2, UF_DLT_EN10MB);   /* pcapng section header */
	CHECK_EQ(uf_pcap_open(&pc, w.b, w.len), -EINVAL);
	ghdr(&w, 0, 0xa1b2c3d4, 1, UF_DLT_EN10MB);
	CHECK_EQ(uf_pcap_open(&pc, w.b, w.len), -EINVAL);
	ghdr(&w, 1, 0xa1b2c3d4, 3, UF_DLT_EN10MB);
	CHECK_EQ(uf_pcap_open(&pc, w.b, w.len), -EINVAL);

	TEST("zero records");
	ghdr(&w, 1, 0xa1b2c3d4, 2, UF_DLT_EN10MB);
	struct uf_pcap_rec r;
	CHECK_EQ(uf_pcap_open(&pc, w.b, w.len), 0);
	CHECK_EQ(uf_pcap_next(&pc, &r), 0);

	TEST("linktype upper bits (FCS info) masked");
	ghdr(&w, 0, 0xa1b2c3d4, 2, 0x10000000u | UF_DLT_EN10MB);
	CHECK_EQ(uf_pcap_open(&pc, w.b, w.len), 0);
	CHECK_EQ(pc.linktype, UF_DLT_EN10MB);
}

static void test_truncation(void)
{
	struct wbuf w;
	struct uf_pcap pc;
	struct uf_pcap_rec r;
	size_t full;

	TEST("truncated record header / data");
	ghdr(&w, 0, 0xa1b2c3d4, 2, UF_DLT_RAW);
	rec(&w, 1, 2, payload_a, sizeof(payload_a), sizeof(payload_a));
	rec(&w, 1, 2, payload_b, sizeof(payload_b), sizeof(payload_b));
	full = w.len;
	/* Every cut inside the second record: first comes back, second fails. */
	for (size_t cut = full - sizeof(payload_b) - 16 + 1; cut < full; cut++) {
		CHECK_EQ(uf_pcap_open(&pc, w.b, cut), 0);
		CHECK_EQ(uf_pcap_next(&pc, &r), 1);
		CHECK_EQ(uf_pcap_next(&pc, &r), -EINVAL);
		CHECK_EQ(uf_pcap_next(&pc, &r), -EINVAL);
	}
	/* Cut exactly between records: clean end. */
	CHECK_EQ(uf_pcap_open(&pc, w.b, full - sizeof(payload_b) - 16), 0);
	CHECK_EQ(uf_pcap_next(&pc, &r), 1);
	CHECK_EQ(uf_pcap_next(&pc, &r), 0);

	TEST("caplen bounds: 0, max, max+1, past end, huge");
	static uint8_t big[262144 + 64];
	static const struct {
		uint32_t caplen;
		size_t present;
		int want;
	} rows[] = {
		{ 0, 0, 1 },
		{ 1, 1, 1 },
		{ 262144, 262144, 1 },
		{ 262145, 262145, -EINVAL },
		{ 100, 99, -EINVAL },
		{ 0xffffffffu, 16, -EINVAL },
		{ 0xfffffff0u, 16, -EINVAL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wbuf h;

		ghdr(&h, 1, 0xa1b2c3d4, 2, UF_DLT_RAW);
		w32(&h, 0);
		w32(&h, 0);
		w32(&h, rows[i].caplen);
		w32(&h, rows[i].caplen);
		memset(big, 0x45, sizeof(big));
		memcpy(big, h.b, h.len);
		CHECK_EQ(uf_pcap_open(&pc, big, h.len + rows[i].present), 0);
		CHECK_EQ(uf_pcap_next(&pc, &r), rows[i].want);
		if (rows[i].want == 1) {
			CHECK_EQ(r.caplen, rows[i].caplen);
			CHECK_EQ(uf_pcap_next(&pc, &r), 0);
		}
	}
}

static void test_l3_offsets(void)
{
	static const struct {
		const char *name;
		uint32_t linktype;
		uint8_t data[40];
		size_t len;
		int want;
		size_t off;
	} rows[] = {
		{ "eth ipv4", UF_DLT_EN10MB,
		  { [12] = 0x08, [13] = 0x00, [14] = 0x45 }, 15, 0, 14 },
		{ "eth ipv6", UF_DLT_EN10MB,
		  { [12] = 0x86, [13] = 0xdd, [14] = 0x60 }, 15, 0, 14 },
		{ "eth header only", UF_DLT_EN10MB, { [12] = 0x08, [13] = 0x00 }, 14, 0, 14 },
		{ "eth 13 bytes", UF_DLT_EN10MB, { [12] = 0x08 }, 13, -EINVAL, 0 },
		{ "eth empty", UF_DLT_EN10MB, { 0 }, 0, -EINVAL, 0 },
		{ "eth arp", UF_DLT_EN10MB, { [12] = 0x08, [13] = 0x06 }, 42, -ENOENT, 0 },
		{ "eth 802.1Q", UF_DLT_EN10MB,
		  { [12] = 0x81, [13] = 0x00, [16] = 0x08, [17] = 0x00 }, 20, 0, 18 },
		{ "eth 802.1ad + 802.1Q", UF_DLT_EN10MB,
		  { [12] = 0x88, [13] = 0xa8, [16] = 0x81, [17] = 0x00, [20] = 0x86, [21] = 0xdd },
		  40, 0, 22 },
		{ "eth three tags", UF_DLT_EN10MB,
		  { [12] = 0x88, [13] = 0xa8, [16] = 0x81, [17] = 0x00, [20] = 0x81, [21] = 0x00,
		    [24] = 0x08, [25] = 0x00 }, 40, -ENOENT, 0 },
		{ "eth vlan cut", UF_DLT_EN10MB, { [12] = 0x81, [13] = 0x00 }, 17, -EINVAL, 0 },
		{ "eth vlan non-ip", UF_DLT_EN10MB,
		  { [12] = 0x81, [13] = 0x00, [16] = 0x08, [17] = 0x06 }, 40, -ENOENT, 0 },
		{ "raw v4", UF_DLT_RAW, { 0x45 }, 20, 0, 0 },
		{ "raw v6", UF_DLT_RAW, { 0x60 }, 40, 0, 0 },
		{ "raw v5", UF_DLT_RAW, { 0x50 }, 20, -ENOENT, 0 },
		{ "raw empty", UF_DLT_RAW, { 0 }, 0, -EINVAL, 0 },
		{ "ipv4 dlt v4", UF_DLT_IPV4, { 0x45 }, 1, 0, 0 },
		{ "ipv4 dlt v6", UF_DLT_IPV4, { 0x60 }, 1, -ENOENT, 0 },
		{ "ipv6 dlt v6", UF_DLT_IPV6, { 0x60 }, 1, 0, 0 },
		{ "ipv6 dlt v4", UF_DLT_IPV6, { 0x45 }, 1, -ENOENT, 0 },
		{ "sll ipv4", UF_DLT_LINUX_SLL, { [14] = 0x08, [15] = 0x00 }, 36, 0, 16 },
		{ "sll ipv6", UF_DLT_LINUX_SLL, { [14] = 0x86, [15] = 0xdd }, 16, 0, 16 },
		{ "sll short", UF_DLT_LINUX_SLL, { [14] = 0x08, [15] = 0x00 }, 15, -EINVAL, 0 },
		{ "sll arp", UF_DLT_LINUX_SLL, { [14] = 0x08, [15] = 0x06 }, 36, -ENOENT, 0 },
		{ "sll2 ipv4", UF_DLT_LINUX_SLL2, { 0x08, 0x00 }, 40, 0, 20 },
		{ "sll2 ipv6", UF_DLT_LINUX_SLL2, { 0x86, 0xdd }, 20, 0, 20 },
		{ "sll2 short", UF_DLT_LINUX_SLL2, { 0x08, 0x00 }, 19, -EINVAL, 0 },
		{ "sll2 other", UF_DLT_LINUX_SLL2, { 0x88, 0xcc }, 30, -ENOENT, 0 },
		{ "null AF_INET le", UF_DLT_NULL, { 2, 0, 0, 0 }, 24, 0, 4 },
		{ "null AF_INET be", UF_DLT_NULL, { 0, 0, 0, 2 }, 24, 0, 4 },
		{ "null AF_INET6 linux", UF_DLT_NULL, { 10, 0, 0, 0 }, 44, 0, 4 },
		{ "null AF_INET6 24", UF_DLT_NULL, { 0, 0, 0, 24 }, 44, 0, 4 },
		{ "null AF_INET6 28", UF_DLT_NULL, { 28, 0, 0, 0 }, 44, 0, 4 },
		{ "null AF_INET6 30", UF_DLT_NULL, { 30, 0, 0, 0 }, 44, 0, 4 },
		{ "null other family", UF_DLT_NULL, { 7, 0, 0, 0 }, 44, -ENOENT, 0 },
		{ "null short", UF_DLT_NULL, { 2, 0, 0 }, 3, -EINVAL, 0 },
		{ "unsupported", 105, { 0 }, 40, -EPROTONOSUPPORT, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t off = 12345;
		int rc;

		TEST(rows[i].name);
		rc = uf_pcap_l3_offset(rows[i].linktype, rows[i].data, rows[i].len, &off);
		CHECK_EQ(rc, rows[i].want);
		if (rc == 0)
			CHECK_EQ(off, rows[i].off);
		else
			CHECK_EQ(off, 12345);   /* untouched on error */
	}
}

int main(void)
{
	test_open_variants();
	test_bad_headers();
	test_truncation();
	test_l3_offsets();
	return t_done();
}
