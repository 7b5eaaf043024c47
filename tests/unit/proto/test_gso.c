// SPDX-License-Identifier: GPL-2.0
/*
 * uf_gso: TSO4/TSO6/USO segmentation of TUN super-packets (segment sizes,
 * last segment, IPv4 ID increments, sequence numbers, FIN/PSH/CWR
 * placement, lengths, checksums checked by the decoder), the vnet header
 * codec, refusals, and uf_csum_complete.
 */
#include <errno.h>

#include "t.h"

#include "proto/decap.h"
#include "proto/gso.h"
#include "proto/vnet.h"
#include "unit/proto/tcpkt.h"

static uint8_t super[70000], seg[70000];

static struct uf_vnet_hdr vh_gso(uint8_t type, uint16_t mss, size_t l4_off, uint16_t csum_off)
{
	struct uf_vnet_hdr h = {
		.flags = UF_VNET_F_NEEDS_CSUM, .gso_type = type, .gso_size = mss,
		.csum_start = (uint16_t)l4_off, .csum_offset = csum_off,
	};
	return h;
}

/* The decoder agrees the segment's inner checksums are valid (FOU ipproto 4/41). */
static bool decoder_ok(uint8_t *p, size_t len, uint8_t version)
{
	struct uf_port_kind k = { .port = 5555, .family = 4,
				  .ipproto = version == 4 ? 4 : 41 };
	struct uf_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	if (uf_decap_payload(p, len, &k, &pkt) != UF_DROP_NONE)
		return false;
	uf_pkt_verify_l4(p, &pkt);
	return pkt.has_l4 && pkt.l4.csum_known && pkt.l4.csum_state == UF_CSUM_VALID &&
	       pkt.inner.total_len == len && (version == 6 || pkt.inner.csum_ok);
}

static void test_vnet_codec(void)
{
	const uint8_t raw[10] = { 1, 0x81, 0x42, 0, 0xa8, 0x05, 0x22, 0, 0x10, 0 };
	struct uf_vnet_hdr h;
	uint8_t out[10];

	TEST("vnet: decode little-endian fields");
	CHECK_EQ(uf_vnet_decode(raw, 10, &h), 0);
	CHECK_EQ(h.flags, UF_VNET_F_NEEDS_CSUM);
	CHECK_EQ(h.gso_type, UF_VNET_GSO_TCPV4 | UF_VNET_GSO_ECN);
	CHECK_EQ(h.hdr_len, 0x42);
	CHECK_EQ(h.gso_size, 1448);
	CHECK_EQ(h.csum_start, 34);
	CHECK_EQ(h.csum_offset, 16);
	TEST("vnet: encode round trip");
	uf_vnet_encode(out, &h);
	CHECK_MEM(out, raw, 10);
	TEST("vnet: short header refused");
	CHECK_EQ(uf_vnet_decode(raw, 9, &h), -1);
	CHECK_EQ(uf_vnet_decode(raw, 0, &h), -1);
}

struct seg_row {
	const char *name;
	uint8_t version, proto;
	size_t l2, plen;
	uint16_t mss;
	uint8_t flags;
	size_t nseg, last_payload;
};

static const struct seg_row seg_rows[] = {
	{ "tcp4: 1 byte, 1 segment", 4, 6, 0, 1, 1000, 0x18, 1, 1 },
	{ "tcp4: exactly mss", 4, 6, 0, 1000, 1000, 0x18, 1, 1000 },
	{ "tcp4: mss + 1", 4, 6, 0, 1001, 1000, 0x18, 2, 1 },
	{ "tcp4: 3 full segments", 4, 6, 0, 3000, 1000, 0x19, 3, 1000 },
	{ "tcp4: 64 KB, mss 1448", 4, 6, 0, 65535 - 20 - 32, 1448, 0x18, 46, 65483 - 45 * 1448 },
	{ "tcp4: mss 1, 5 bytes", 4, 6, 0, 5, 1, 0x10, 5, 1 },
	{ "tcp4 in ethernet (tap)", 4, 6, 14, 2500, 1200, 0x18, 3, 100 },
	{ "tcp6: 3 segments + tail", 6, 6, 0, 4000, 1300, 0x18, 4, 100 },
	{ "tcp6: 64 KB payload", 6, 6, 0, 65535 - 32, 1428, 0x10, 46, 65503 - 45 * 1428 },
	{ "tcp6 in ethernet (tap)", 6, 6, 14, 3000, 1000, 0x10, 3, 1000 },
	{ "udp4: USO 4 datagrams", 4, 17, 0, 3500, 1000, 0, 4, 500 },
	{ "udp6: USO 2 datagrams", 6, 17, 0, 2000, 1000, 0, 2, 1000 },
	{ "udp4: USO 1 byte", 4, 17, 0, 1, 1400, 0, 1, 1 },
};

/*
 * The segment in seg[] made partial again (for GUE remcsum) holds the
 * folded pseudo-header sum, and completing it gives back the same bytes.
 */
static void check_partial(const struct seg_row *r, const struct uf_gso *g, size_t n)
{
	static uint8_t part[70000];
	size_t iphl = r->version == 4 ? 20 : 40, l4 = r->l2 + iphl;
	uint16_t off = r->proto == 6 ? 16 : 6, start = 0, coff = 0;
	const uint8_t *ip = seg + r->l2;
	uint32_t ps;

	memcpy(part, seg, n);
	CHECK_EQ(uf_gso_make_partial(g, part, n, &start, &coff), 0);
	CHECK_EQ(start, l4);
	CHECK_EQ(coff, off);
	ps = r->version == 4 ? uf_csum_pseudo4(ip + 12, ip + 16, r->proto, (uint32_t)(n - l4))
			     : uf_csum_pseudo6(ip + 8, ip + 24, r->proto, (uint32_t)(n - l4));
	CHECK_EQ(get_be16(part + l4 + off), uf_csum_fold16(ps));
	CHECK_EQ(uf_csum_complete(part, n, start, coff), 0);
	if (get_be16(seg + l4 + off) == 0)     /* TCP 0 is sent as its twin 0xffff */
		CHECK_EQ(get_be16(part + l4 + off), 0xffff);
	else
		CHECK_MEM(part, seg, n);
	CHECK_EQ(uf_gso_make_partial(g, part, g->hdr_len - 1, &start, &coff), -EINVAL);
}

static void check_segments(const struct seg_row *r, const struct uf_gso *g, const struct tpk *t)
{
	size_t iphl = r->version == 4 ? 20 : 40, l4h = r->proto == 6 ? 32 : 8;
	size_t hdr = r->l2 + iphl + l4h;

	for (size_t i = 0; i < g->nseg; i++) {
		size_t want = i + 1 < g->nseg ? r->mss : r->last_payload;
		int n = uf_gso_segment(g, i, seg, sizeof(seg));
		uint8_t *ip = seg + r->l2, *l4 = ip + iphl;

		CHECK_EQ(n, (int)(hdr + want));
		CHECK_EQ(uf_gso_seg_len(g, i), hdr + want);
		if (n <= 0)
			return;
		CHECK(tpk_l4_ok(seg, (size_t)n, r->l2));
		CHECK(decoder_ok(ip, (size_t)n - r->l2, r->version));
		check_partial(r, g, (size_t)n);
		CHECK_MEM(seg, super, r->l2);
		/* payload is the right slice of the original */
		CHECK_MEM(seg + hdr, super + hdr + i * r->mss, want);
		if (r->version == 4) {
			CHECK_EQ(get_be16(ip + 2), (size_t)n - r->l2);
			CHECK_EQ(get_be16(ip + 4), (uint16_t)(t->id + i));
			CHECK_EQ(uf_csum(ip, 20), 0);
			CHECK_EQ(ip[6] & 0x40, 0x40);
		} else {
			CHECK_EQ(get_be16(ip + 4), (size_t)n - r->l2 - 40);
		}
		if (r->proto == 6) {
			uint8_t fl = l4[13], want_fl = r->flags;

			CHECK_EQ(get_be32(l4 + 4), (uint32_t)(t->seq + i * r->mss));
			if (i + 1 < g->nseg)
				want_fl &= (uint8_t)~0x09;
			if (i > 0)
				want_fl &= (uint8_t)~0x80;
			CHECK_EQ(fl, want_fl);
			CHECK_MEM(l4 + 20, super + r->l2 + iphl + 20, 12);
		} else {
			CHECK_EQ(get_be16(l4 + 4), (size_t)n - r->l2 - iphl);
			CHECK(get_be16(l4 + 6) != 0);
		}
	}
}

static void test_segment_table(void)
{
	for (size_t k = 0; k < sizeof(seg_rows) / sizeof(seg_rows[0]); k++) {
		const struct seg_row *r = &seg_rows[k];
		struct tpk t = tpk_default(r->version);
		size_t iphl = r->version == 4 ? 20 : 40, len;
		uint8_t type;
		struct uf_vnet_hdr h;
		struct uf_gso g;

		TEST(r->name);
		t.proto = r->proto;
		t.l2 = r->l2;
		t.plen = r->plen;
		t.flags = r->flags;
		t.partial = true;
		t.id = 0xfffe;      /* wraps */
		t.seq = 0xfffffff0; /* wraps */
		len = tpk_build(&t, super);
		if (r->proto == 17)
			type = UF_VNET_GSO_UDP_L4;
		else
			type = r->version == 4 ? UF_VNET_GSO_TCPV4 : UF_VNET_GSO_TCPV6;
		h = vh_gso(type, r->mss, r->l2 + iphl, r->proto == 6 ? 16 : 6);
		CHECK_EQ(uf_gso_init(&g, super, len, r->l2, &h), (int)r->nseg);
		CHECK_EQ(g.nseg, r->nseg);
		CHECK_EQ(g.hdr_len, r->l2 + iphl + (r->proto == 6 ? 32 : 8));
		check_segments(r, &g, &t);
		CHECK_EQ(uf_gso_segment(&g, r->nseg, seg, sizeof(seg)), -EINVAL);
		CHECK_EQ(uf_gso_seg_len(&g, r->nseg), 0);
	}
}

static void test_cwr_first_only(void)
{
	struct tpk t = tpk_default(4);
	struct uf_vnet_hdr h;
	struct uf_gso g;
	size_t len;

	TEST("tcp4: ECN CWR stays on the first segment only");
	t.plen = 2000;
	t.flags = 0x80 | 0x10 | 0x08;
	t.partial = true;
	len = tpk_build(&t, super);
	h = vh_gso(UF_VNET_GSO_TCPV4 | UF_VNET_GSO_ECN, 1000, 20, 16);
	CHECK_EQ(uf_gso_init(&g, super, len, 0, &h), 2);
	CHECK_EQ(uf_gso_segment(&g, 0, seg, sizeof(seg)), 1052);
	CHECK_EQ(seg[20 + 13], 0x90);
	CHECK_EQ(uf_gso_segment(&g, 1, seg, sizeof(seg)), 1052);
	CHECK_EQ(seg[20 + 13], 0x18);
}

static void test_short_output(void)
{
	struct tpk t = tpk_default(4);
	struct uf_vnet_hdr h = vh_gso(UF_VNET_GSO_TCPV4, 1000, 20, 16);
	struct uf_gso g;
	size_t len;

	TEST("segment: output buffer one byte short");
	t.plen = 1500;
	len = tpk_build(&t, super);
	CHECK_EQ(uf_gso_init(&g, super, len, 0, &h), 2);
	CHECK_EQ(uf_gso_segment(&g, 0, seg, 1051), -ENOSPC);
	CHECK_EQ(uf_gso_segment(&g, 0, seg, 1052), 1052);
	CHECK_EQ(uf_gso_segment(&g, 1, seg, 552), 552);
}

struct bad_row {
	const char *name;
	uint8_t version, proto, type;
	uint16_t mss;
	int mangle;  /* 0 none, 1 ipv4 MF, 2 ipv4 offset, 3 no payload, 4 doff 4,
		      * 5 cut inside TCP header, 6 ipv6 ext header, 7 ipv4 ihl 4 */
};

static const struct bad_row bad_rows[] = {
	{ "refuse: gso_size 0", 4, 6, UF_VNET_GSO_TCPV4, 0, 0 },
	{ "refuse: UFO (gso UDP)", 4, 17, UF_VNET_GSO_UDP, 1000, 0 },
	{ "refuse: GSO NONE", 4, 6, UF_VNET_GSO_NONE, 1000, 0 },
	{ "refuse: unknown type 2", 4, 6, 2, 1000, 0 },
	{ "refuse: TCPV4 on IPv6", 6, 6, UF_VNET_GSO_TCPV4, 1000, 0 },
	{ "refuse: TCPV6 on IPv4", 4, 6, UF_VNET_GSO_TCPV6, 1000, 0 },
	{ "refuse: TCPV4 on UDP", 4, 17, UF_VNET_GSO_TCPV4, 1000, 0 },
	{ "refuse: UDP_L4 on TCP", 4, 6, UF_VNET_GSO_UDP_L4, 1000, 0 },
	{ "refuse: IPv4 MF", 4, 6, UF_VNET_GSO_TCPV4, 1000, 1 },
	{ "refuse: IPv4 fragment offset", 4, 6, UF_VNET_GSO_TCPV4, 1000, 2 },
	{ "refuse: no payload", 4, 6, UF_VNET_GSO_TCPV4, 1000, 3 },
	{ "refuse: TCP doff 4", 4, 6, UF_VNET_GSO_TCPV4, 1000, 4 },
	{ "refuse: cut inside TCP header", 4, 6, UF_VNET_GSO_TCPV4, 1000, 5 },
	{ "refuse: IPv6 extension header", 6, 6, UF_VNET_GSO_TCPV6, 1000, 6 },
	{ "refuse: IPv4 ihl 4", 4, 6, UF_VNET_GSO_TCPV4, 1000, 7 },
};

static void test_refusals(void)
{
	for (size_t k = 0; k < sizeof(bad_rows) / sizeof(bad_rows[0]); k++) {
		const struct bad_row *r = &bad_rows[k];
		struct tpk t = tpk_default(r->version);
		struct uf_vnet_hdr h = vh_gso(r->type, r->mss, r->version == 4 ? 20 : 40, 16);
		struct uf_gso g;
		size_t len;

		TEST(r->name);
		t.proto = r->proto;
		t.plen = r->mangle == 3 ? 0 : 3000;
		len = tpk_build(&t, super);
		switch (r->mangle) {
		case 1:
			super[6] |= 0x20;
			break;
		case 2:
			super[7] = 1;
			break;
		case 4:
			super[20 + 12] = 0x40;
			break;
		case 5:
			len = 20 + 19;
			break;
		case 6:
			super[6] = 60;
			break;
		case 7:
			super[0] = 0x44;
			break;
		}
		CHECK_EQ(uf_gso_init(&g, super, len, 0, &h), -EINVAL);
	}
	TEST("refuse: l3_off at or past the end, empty");
	{
		struct uf_vnet_hdr h = vh_gso(UF_VNET_GSO_TCPV4, 100, 20, 16);
		struct uf_gso g;

		CHECK_EQ(uf_gso_init(&g, super, 14, 14, &h), -EINVAL);
		CHECK_EQ(uf_gso_init(&g, super, 0, 0, &h), -EINVAL);
		CHECK_EQ(uf_gso_init(&g, super, 10, 0, &h), -EINVAL);
	}
}

static void test_csum_complete(void)
{
	struct tpk t = tpk_default(4);
	size_t len;

	TEST("csum_complete: TCP partial becomes valid");
	t.partial = true;
	t.plen = 333;
	len = tpk_build(&t, super);
	CHECK(!tpk_l4_ok(super, len, 0));
	CHECK_EQ(uf_csum_complete(super, len, 20, 16), 0);
	CHECK(tpk_l4_ok(super, len, 0));
	TEST("csum_complete: UDP over IPv6");
	t = tpk_default(6);
	t.proto = 17;
	t.partial = true;
	len = tpk_build(&t, super);
	CHECK_EQ(uf_csum_complete(super, len, 40, 6), 0);
	CHECK(tpk_l4_ok(super, len, 0));
	CHECK(get_be16(super + 46) != 0);
	TEST("csum_complete: field out of range");
	CHECK_EQ(uf_csum_complete(super, 40, 40, 0), -EINVAL);
	CHECK_EQ(uf_csum_complete(super, 40, 39, 0), -EINVAL);
	CHECK_EQ(uf_csum_complete(super, 40, 41, 0), -EINVAL);
	CHECK_EQ(uf_csum_complete(super, 40, 20, 18), 0);
	CHECK_EQ(uf_csum_complete(super, 40, 20, 19), -EINVAL);
}

int main(void)
{
	test_vnet_codec();
	test_segment_table();
	test_cwr_first_only();
	test_short_output();
	test_refusals();
	test_csum_complete();
	return t_done();
}
