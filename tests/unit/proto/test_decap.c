// SPDX-License-Identifier: GPL-2.0
/*
 * Receive decode: every captured Linux packet (tests/vectors) decodes as
 * Linux handled it, and every drop reason has rows built from a valid
 * packet (made with uf_encap) with one thing broken.
 */
#include <errno.h>

#include "t.h"
#include "vec.h"

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/decap.h"
#include "proto/encap.h"

/* Receive ports of the capture setup (ip fou add ... on both hosts). */
static const struct uf_port_kind ports[] = {
	{ 5555, 4, false, 4 },  { 5541, 4, false, 41 }, { 5547, 4, false, 47 },
	{ 5556, 4, true, 0 },   { 5557, 6, false, 4 },  { 5561, 6, false, 41 },
	{ 5558, 6, true, 0 },
};
#define NPORTS (sizeof(ports) / sizeof(ports[0]))

struct vec {
	const char *name;
	enum uf_drop want;     /* for packets to a tunnel port */
	int tunnel_pkts;       /* at least this many */
	uint8_t inner_family;  /* of the first tunnel packet (0 = don't check) */
	bool eth, remcsum, v1;
};

static const struct vec vecs[] = {
	{ "rx-fou-ipip", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-fou-ipip-csum", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-fou-ipip-udp", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-fou-sit", UF_DROP_NONE, 3, 6, 0, 0, 0 },
	{ "rx-fou-gre", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-fou-gre-v6inner", UF_DROP_NONE, 3, 6, 0, 0, 0 },
	{ "rx-fou-gretap", UF_DROP_NONE, 3, 0, 1, 0, 0 },
	{ "rx-fou6-ip4ip6", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-fou6-ip4ip6-zerocsum", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-fou6-ip6ip6", UF_DROP_NONE, 3, 6, 0, 0, 0 },
	{ "rx-gue-ipip", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-gue-ipip-csum", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-gue-sit", UF_DROP_NONE, 3, 6, 0, 0, 0 },
	{ "rx-gue-gre", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "rx-gue-remcsum", UF_DROP_NONE, 3, 4, 0, 1, 0 },
	{ "rx-gue-v1-ipip", UF_DROP_NONE, 3, 4, 0, 0, 1 },
	{ "rx-gue6-ip6ip6", UF_DROP_NONE, 3, 6, 0, 0, 0 },
	{ "rx-gue-badflags", UF_DROP_GUE_BAD_FLAGS, 1, 0, 0, 0, 0 },
	{ "rx-gue-ctl", UF_DROP_GUE_CONTROL, 1, 0, 0, 0, 0 },
	{ "fou-ipip", UF_DROP_NONE, 8, 4, 0, 0, 0 },
	{ "fou-sit", UF_DROP_NONE, 6, 6, 0, 0, 0 },
	{ "fou-gre", UF_DROP_NONE, 4, 4, 0, 0, 0 },
	{ "fou-gretap", UF_DROP_NONE, 4, 0, 1, 0, 0 },
	{ "gue-ipip", UF_DROP_NONE, 6, 4, 0, 0, 0 },
	{ "gue-ipip-csum", UF_DROP_NONE, 3, 4, 0, 0, 0 },
	{ "gue-sit", UF_DROP_NONE, 3, 6, 0, 0, 0 },
	{ "gue-gre", UF_DROP_NONE, 4, 4, 0, 0, 0 },
	{ "gue-ipip-remcsum", UF_DROP_NONE, 5, 4, 0, 1, 0 },
	{ "fou6-ip4ip6", UF_DROP_NONE, 6, 4, 0, 0, 0 },
	{ "fou6-ip6ip6", UF_DROP_NONE, 6, 6, 0, 0, 0 },
	{ "gue6-ip6ip6", UF_DROP_NONE, 3, 6, 0, 0, 0 },
};

/* Checks one decoded tunnel packet of a vector whose packets all deliver. */
static void check_delivered(const struct vec *v, const struct uf_pkt *pkt, size_t len)
{
	CHECK(pkt->has_outer && pkt->has_udp && pkt->has_inner && pkt->has_l4);
	CHECK(pkt->udp.csum_state != UF_CSUM_BAD);
	CHECK(pkt->inner.csum_ok || pkt->inner.family == 6);
	CHECK(pkt->l4.csum_known);
	CHECK(pkt->l4.csum_state != UF_CSUM_BAD);
	CHECK(pkt->tun_off + pkt->tun_len <= len);
	CHECK_EQ(pkt->udp_payload_off, pkt->outer.hdr_len + 8);
	if (v->eth) {
		CHECK(pkt->has_eth && pkt->has_gre);
		CHECK_EQ(pkt->gre.proto, UF_ETH_P_TEB);
		CHECK_EQ(pkt->tun_off + pkt->tun_len, pkt->outer.total_len);
		CHECK_EQ(pkt->eth_src[0], 0x02);
	} else {
		CHECK_EQ(pkt->tun_len, pkt->inner.total_len);
	}
	if (pkt->gue.version == 1)
		CHECK_EQ(pkt->tun_off, pkt->udp_payload_off);
	if (pkt->gue.remcsum)
		CHECK_EQ(pkt->l4.csum_state, UF_CSUM_VALID);
}

static void test_vector(const struct vec *v, size_t idx)
{
	static char names[64][96];    /* t.h keeps the pointer until the next TEST */
	static uint8_t copy[65536];
	char *name = names[idx % 64];
	int rc, tun = 0, rco = 0, v1 = 0;
	struct vec_pcap cap;
	struct vec_rec rec;

	snprintf(name, sizeof(names[0]), "vector %s decodes (%s)", v->name, uf_drop_name(v->want));
	TEST(name);
	rc = vec_pcap_open_name(&cap, v->name);
	CHECK_EQ(rc, 0);
	if (rc)
		goto out;
	CHECK_EQ(cap.pc.linktype, UF_DLT_EN10MB);
	while ((rc = vec_pcap_next(&cap, &rec)) == 1) {
		struct uf_pkt pkt;
		enum uf_drop r;

		if (!rec.ip)
			continue;
		memcpy(copy, rec.ip, rec.ip_len);
		r = uf_decode_ip(copy, rec.ip_len, ports, NPORTS, &pkt);
		CHECK_EQ(r, pkt.drop);
		if (!pkt.has_udp || r == UF_DROP_NO_PORT) {
			/* ARP/NDP/other traffic in the capture: never a tunnel drop. */
			CHECK(r == UF_DROP_NOT_UDP || r == UF_DROP_NO_PORT);
			continue;
		}
		CHECK_EQ(r, v->want);
		if (v->inner_family && tun == 0)
			CHECK_EQ(pkt.inner.family, v->inner_family);
		if (v->want == UF_DROP_NONE)
			check_delivered(v, &pkt, rec.ip_len);
		rco += pkt.gue.remcsum;
		v1 += pkt.has_gue && pkt.gue.version == 1;
		tun++;
	}
	CHECK_EQ(rc, 0);   /* no truncated record */
	CHECK(tun >= v->tunnel_pkts);
	if (v->remcsum)
		CHECK(rco >= 1);
	if (v->v1)
		CHECK(v1 >= 1);   /* requests are variant 1, Linux replies variant 0 */
out:
	vec_pcap_close(&cap);
}

/* ---- synthetic packets ---- */

static const uint8_t G4[4] = { 198, 18, 0, 2 }, H4[4] = { 198, 18, 0, 1 };
static const uint8_t G6[16] = { 0xfd, 0, 0, 0x18, [15] = 2 };
static const uint8_t H6[16] = { 0xfd, 0, 0, 0x18, [15] = 1 };
static const uint8_t A4[4] = { 10, 0, 0, 1 }, B4[4] = { 10, 0, 0, 2 };
static const uint8_t A6[16] = { 0xfd, 0, 0, 1, [15] = 1 }, B6[16] = { 0xfd, 0, 0, 1, [15] = 2 };

#define HR 128
static uint8_t buf[HR + 4096];

enum l4kind { L4_UDP, L4_TCP, L4_ICMP };

/* Inner IPv4/IPv6 packet with a valid L4 checksum (UDP, TCP or ICMP/ICMPv6). */
static size_t mk_inner(uint8_t *p, int ver, enum l4kind k, size_t plen)
{
	size_t hl = ver == 4 ? 20 : 40, l4len, i;
	uint8_t proto;
	uint32_t ps = 0;
	size_t csum_at;

	proto = k == L4_UDP ? 17 : k == L4_TCP ? 6 : ver == 4 ? 1 : 58;
	l4len = (k == L4_TCP ? 20 : 8) + plen;
	memset(p, 0, hl + l4len);
	if (ver == 4) {
		p[0] = 0x45;
		put_be16(p + 2, (uint16_t)(hl + l4len));
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, A4, 4);
		memcpy(p + 16, B4, 4);
		put_be16(p + 10, uf_csum(p, 20));
		if (k != L4_ICMP)
			ps = uf_csum_pseudo4(A4, B4, proto, (uint32_t)l4len);
	} else {
		p[0] = 0x60;
		put_be16(p + 4, (uint16_t)l4len);
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, A6, 16);
		memcpy(p + 24, B6, 16);
		ps = uf_csum_pseudo6(A6, B6, proto, (uint32_t)l4len);
	}
	for (i = 0; i < plen; i++)
		p[hl + l4len - plen + i] = (uint8_t)(i * 3 + 1);
	if (k == L4_ICMP) {
		p[hl] = 8;
		p[hl + 1] = 0;
		csum_at = hl + 2;
	} else {
		put_be16(p + hl, 1234);
		put_be16(p + hl + 2, 80);
		if (k == L4_UDP)
			put_be16(p + hl + 4, (uint16_t)l4len);
		else
			p[hl + 12] = 0x50;
		csum_at = hl + (k == L4_UDP ? 6 : 16);
	}
	put_be16(p + csum_at, uf_csum_finish(uf_csum_partial(p + hl, l4len, ps)));
	if (k == L4_UDP && get_be16(p + csum_at) == 0)
		put_be16(p + csum_at, 0xffff);
	return hl + l4len;
}

struct link {
	uint8_t family;
	enum uf_encap_type encap;
	bool gre, gre_csum, udp_csum, eth;
	int inner_ver;
};

/* Builds a whole outer packet at buf+*off; returns its length. */
static size_t build(const struct link *l, enum l4kind k, size_t plen, int *off)
{
	struct uf_tx_state st = { 1, 0 };
	struct uf_tx tx;
	size_t len, out = 0;

	memset(&tx, 0, sizeof(tx));
	tx.family = l->family;
	memcpy(tx.src, l->family == 4 ? G4 : G6, l->family == 4 ? 4 : 16);
	memcpy(tx.dst, l->family == 4 ? H4 : H6, l->family == 4 ? 4 : 16);
	tx.encap = l->encap;
	tx.ttl = 64;
	tx.pmtudisc = true;
	tx.encap_limit = -1;
	tx.dport = l->encap == UF_ENCAP_GUE ? (l->family == 4 ? 5556 : 5558) :
		   l->gre ? 5547 : l->family == 4 ? (l->inner_ver == 4 ? 5555 : 5541) :
		   (l->inner_ver == 4 ? 5557 : 5561);
	tx.udp_csum = l->udp_csum;
	tx.gre = l->gre;
	tx.gre_csum = l->gre_csum;
	tx.inner_kind = l->eth ? UF_INNER_ETH : UF_INNER_IP;
	if (l->eth) {
		memset(buf + HR, 0, 14);
		buf[HR] = 0x02;
		buf[HR + 6] = 0x02;
		buf[HR + 11] = 1;
		put_be16(buf + HR + 12, l->inner_ver == 4 ? 0x0800 : 0x86dd);
		len = 14 + mk_inner(buf + HR + 14, l->inner_ver, k, plen);
	} else {
		len = mk_inner(buf + HR, l->inner_ver, k, plen);
	}
	*off = uf_encap(&tx, &st, buf, HR, len, NULL, &out);
	return out;
}

static const struct link FOU4 = { 4, UF_ENCAP_FOU, 0, 0, 1, 0, 4 };
static const struct link GUE4 = { 4, UF_ENCAP_GUE, 0, 0, 1, 0, 4 };
static const struct link GUE4GRE = { 4, UF_ENCAP_GUE, 1, 1, 0, 0, 4 };
static const struct link FOU4TAP = { 4, UF_ENCAP_FOU, 1, 0, 0, 1, 4 };
static const struct link FOU6 = { 6, UF_ENCAP_FOU, 0, 0, 1, 0, 6 };
static const struct link GUE6 = { 6, UF_ENCAP_GUE, 0, 0, 0, 0, 6 };

/* Sets byte p[at] and repairs the outer IPv4 header checksum. */
static void poke(uint8_t *p, size_t at, uint8_t v)
{
	p[at] = v;
	if (p[0] >> 4 == 4) {
		put_be16(p + 10, 0);
		put_be16(p + 10, uf_csum(p, 20));
	}
}

/* Rewrites the outer UDP checksum after a payload change (0 stays 0). */
static void fix_udp(uint8_t *p)
{
	size_t hl = p[0] >> 4 == 4 ? 20 : 40;
	uint16_t ulen = get_be16(p + hl + 4);
	uint32_t ps;
	uint16_t c;

	if (!get_be16(p + hl + 6))
		return;
	ps = hl == 20 ? uf_csum_pseudo4(p + 12, p + 16, 17, ulen) :
			uf_csum_pseudo6(p + 8, p + 24, 17, ulen);
	put_be16(p + hl + 6, 0);
	c = uf_csum_finish(uf_csum_partial(p + hl, ulen, ps));
	put_be16(p + hl + 6, c ? c : 0xffff);
}

enum mut {
	M_NONE, M_LEN0, M_LEN19, M_VER5, M_IPCSUM, M_MF, M_FRAGOFF, M_PROTO_TCP, M_UDP_TRUNC,
	M_ULEN7, M_ULEN_BIG, M_UDPCSUM, M_DPORT, M_GUE_VER2, M_GUE_FLAGS, M_GUE_CTL, M_GUE_PROTO0,
	M_GUE_HLEN, M_GUE_PROTO17, M_GRE_VER, M_GRE_ROUTING, M_GRE_CSUM, M_GRE_PROTO, M_INNER_V6,
	M_INNER_CUT, M_INNER_EMPTY, M_INNER_TOTLEN_BIG, M_ECN_CE, M_ECN_CE_ECT, M_L4_BAD,
};

struct row {
	const char *name;
	const struct link *l;
	enum l4kind k;
	enum mut m;
	enum uf_drop want;
	bool has_udp, has_inner;
};

#define D(x) UF_DROP_##x

static const struct row rows[] = {
	{ "valid FOU4 UDP", &FOU4, L4_UDP, M_NONE, D(NONE), 1, 1 },
	{ "valid GUE4 TCP", &GUE4, L4_TCP, M_NONE, D(NONE), 1, 1 },
	{ "valid GUE4/GRE csum ICMP", &GUE4GRE, L4_ICMP, M_NONE, D(NONE), 1, 1 },
	{ "valid FOU6 ICMPv6", &FOU6, L4_ICMP, M_NONE, D(NONE), 1, 1 },
	{ "valid GUE6 TCP", &GUE6, L4_TCP, M_NONE, D(NONE), 1, 1 },
	{ "valid gretap UDP", &FOU4TAP, L4_UDP, M_NONE, D(NONE), 1, 1 },
	{ "outer 0 bytes", &FOU4, L4_UDP, M_LEN0, D(OUTER_TRUNCATED), 0, 0 },
	{ "outer 19 bytes", &FOU4, L4_UDP, M_LEN19, D(OUTER_TRUNCATED), 0, 0 },
	{ "outer version 5", &FOU4, L4_UDP, M_VER5, D(OUTER_BAD_VERSION), 0, 0 },
	{ "outer bad IPv4 csum still decodes", &GUE4, L4_UDP, M_IPCSUM, D(OUTER_BAD_CSUM), 1,
	  1 },
	{ "outer MF", &FOU4, L4_UDP, M_MF, D(OUTER_FRAGMENT), 0, 0 },
	{ "outer fragment offset", &FOU4, L4_UDP, M_FRAGOFF, D(OUTER_FRAGMENT), 0, 0 },
	{ "not UDP v4", &FOU4, L4_UDP, M_PROTO_TCP, D(NOT_UDP), 0, 0 },
	{ "not UDP v6", &FOU6, L4_UDP, M_PROTO_TCP, D(NOT_UDP), 0, 0 },
	{ "UDP truncated (7 bytes)", &FOU4, L4_UDP, M_UDP_TRUNC, D(UDP_TRUNCATED), 0, 0 },
	{ "UDP length 7", &FOU4, L4_UDP, M_ULEN7, D(UDP_BAD_LEN), 0, 0 },
	{ "UDP length past IP", &FOU6, L4_UDP, M_ULEN_BIG, D(UDP_BAD_LEN), 0, 0 },
	{ "UDP bad csum v4 still decodes", &FOU4, L4_UDP, M_UDPCSUM, D(UDP_BAD_CSUM), 1, 1 },
	{ "UDP bad csum v6 still decodes", &FOU6, L4_TCP, M_UDPCSUM, D(UDP_BAD_CSUM), 1, 1 },
	{ "no port", &FOU4, L4_UDP, M_DPORT, D(NO_PORT), 1, 0 },
	{ "GUE version 2", &GUE4, L4_UDP, M_GUE_VER2, D(GUE_BAD_VERSION), 1, 0 },
	{ "GUE bad flags", &GUE6, L4_UDP, M_GUE_FLAGS, D(GUE_BAD_FLAGS), 1, 0 },
	{ "GUE control", &GUE4, L4_UDP, M_GUE_CTL, D(GUE_CONTROL), 1, 0 },
	{ "GUE proto 0", &GUE4, L4_UDP, M_GUE_PROTO0, D(GUE_BAD_PROTO), 1, 0 },
	{ "GUE hlen 31 past end", &GUE4, L4_UDP, M_GUE_HLEN, D(GUE_BAD_HLEN), 1, 0 },
	{ "GUE proto 17: nothing carries it", &GUE4, L4_UDP, M_GUE_PROTO17, D(NO_TUNNEL), 1, 0 },
	{ "GRE version 1", &GUE4GRE, L4_UDP, M_GRE_VER, D(GRE_BAD_VERSION), 1, 0 },
	{ "GRE routing", &GUE4GRE, L4_UDP, M_GRE_ROUTING, D(GRE_BAD_VERSION), 1, 0 },
	{ "GRE bad csum", &GUE4GRE, L4_UDP, M_GRE_CSUM, D(GRE_BAD_CSUM), 1, 0 },
	{ "GRE proto 0x8847", &GUE4GRE, L4_UDP, M_GRE_PROTO, D(GRE_BAD_PROTO), 1, 0 },
	{ "inner IPv6 on proto 4", &GUE4, L4_UDP, M_INNER_V6, D(INNER_BAD_VERSION), 1, 0 },
	{ "inner IPv6 in GRE 0x0800", &GUE4GRE, L4_UDP, M_INNER_V6, D(INNER_BAD_VERSION), 1, 0 },
	{ "inner cut to 19 bytes", &FOU4, L4_UDP, M_INNER_CUT, D(INNER_TRUNCATED), 1, 0 },
	{ "inner IPv6 cut to 39 bytes", &GUE6, L4_UDP, M_INNER_CUT, D(INNER_TRUNCATED), 1, 0 },
	{ "inner empty", &GUE4, L4_UDP, M_INNER_EMPTY, D(INNER_TRUNCATED), 1, 0 },
	{ "inner total length past end", &FOU4, L4_UDP, M_INNER_TOTLEN_BIG, D(INNER_BAD_LEN), 1,
	  0 },
	{ "outer CE, inner not-ECT", &FOU4, L4_UDP, M_ECN_CE, D(ECN_CE_NOT_ECT), 1, 1 },
	{ "outer CE, inner ECT(0) delivers", &FOU6, L4_UDP, M_ECN_CE_ECT, D(NONE), 1, 1 },
	{ "inner L4 bad csum is not a tunnel drop", &FOU4, L4_TCP, M_L4_BAD, D(NONE), 1, 1 },
};

/* Applies mutation m to the packet p (len) and returns the new length. */
static size_t mutate(uint8_t *p, size_t len, const struct link *l, enum mut m)
{
	size_t ih = l->family == 4 ? 20 : 40, u = ih, pl = u + 8, in;
	size_t gue = l->encap == UF_ENCAP_GUE ? 4 : 0, gre = pl + gue;

	in = pl + gue + (l->gre ? (l->gre_csum ? 8 : 4) : 0);
	switch (m) {
	case M_NONE: return len;
	case M_LEN0: return 0;
	case M_LEN19: return 19;
	case M_VER5: p[0] = 0x55; return len;
	case M_IPCSUM: p[10] ^= 0x01; return len;
	case M_MF: poke(p, 6, 0x60); return len;
	case M_FRAGOFF: poke(p, 7, 0x01); return len;
	case M_PROTO_TCP: poke(p, l->family == 4 ? 9 : 6, 6); return len;
	case M_UDP_TRUNC: put_be16(p + 2, 27); poke(p, 0, 0x45); return 27;
	case M_ULEN7: put_be16(p + u + 4, 7); return len;
	case M_ULEN_BIG: put_be16(p + u + 4, (uint16_t)(len - ih + 1)); return len;
	case M_UDPCSUM: p[len - 1] ^= 0x40; return len;
	case M_DPORT: put_be16(p + u + 2, 9999); fix_udp(p); return len;
	case M_GUE_VER2: p[pl] = 0x80; break;
	case M_GUE_FLAGS: p[pl + 2] = 0x80; break;
	case M_GUE_CTL: p[pl] = 0x20; break;
	case M_GUE_PROTO0: p[pl + 1] = 0; break;
	case M_GUE_HLEN: p[pl] = 0x1f; break;
	case M_GUE_PROTO17: p[pl + 1] = 17; break;
	case M_GRE_VER: p[gre + 1] |= 0x01; break;
	case M_GRE_ROUTING: p[gre] |= 0x40; break;
	case M_GRE_CSUM: p[len - 1] ^= 0x08; break;
	case M_GRE_PROTO: put_be16(p + gre + 2, 0x8847); break;
	case M_INNER_V6: p[in] = 0x65; break;
	case M_INNER_CUT:
		len = in + (p[in] >> 4 == 4 ? 19 : 39);
		if (l->family == 4)
			put_be16(p + 2, (uint16_t)len);
		else
			put_be16(p + 4, (uint16_t)(len - 40));
		put_be16(p + u + 4, (uint16_t)(len - u));
		poke(p, 0, p[0]);
		break;
	case M_INNER_EMPTY:
		len = in;
		put_be16(p + 2, (uint16_t)len);
		put_be16(p + u + 4, (uint16_t)(len - u));
		poke(p, 0, p[0]);
		break;
	case M_INNER_TOTLEN_BIG:
		put_be16(p + in + 2, (uint16_t)(get_be16(p + in + 2) + 1));
		put_be16(p + in + 10, 0);
		put_be16(p + in + 10, uf_csum(p + in, 20));
		break;
	case M_ECN_CE: poke(p, 1, 0x03); return len;
	case M_ECN_CE_ECT:
		p[1] |= 0x30;          /* outer tclass CE (bits 4-5 of byte 1) */
		p[in + 1] |= 0x20;     /* inner tclass ECT(0) */
		break;
	case M_L4_BAD: p[len - 1] ^= 0x01; break;
	}
	if (l->gre_csum && m != M_GRE_CSUM) {
		put_be16(p + gre + 4, 0);
		put_be16(p + gre + 4, uf_csum(p + gre, len - gre));
	}
	fix_udp(p);
	return len;
}

static void test_rows(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct uf_pkt pkt;
		size_t len;
		int off;

		TEST(r->name);
		memset(buf, 0, sizeof(buf));
		len = build(r->l, r->k, 31, &off);
		CHECK(off >= 0);
		if (off < 0)
			continue;
		len = mutate(buf + off, len, r->l, r->m);
		CHECK_EQ(uf_decode_ip(buf + off, len, ports, NPORTS, &pkt), r->want);
		CHECK_EQ(pkt.drop, r->want);
		CHECK_EQ(pkt.has_udp, r->has_udp);
		CHECK_EQ(pkt.has_inner, r->has_inner);
		if (r->want != UF_DROP_NONE)
			CHECK_EQ(pkt.tun_len, 0);
		if (r->m == M_GUE_FLAGS || r->m == M_GUE_CTL)
			CHECK(pkt.has_gue);
		if (r->m == M_L4_BAD)
			CHECK_EQ(pkt.l4.csum_state, UF_CSUM_BAD);
		if (r->want == UF_DROP_NONE) {
			CHECK(pkt.has_l4 && pkt.l4.csum_known);
			CHECK_EQ(pkt.l4.proto, pkt.inner.proto);
			if (r->k == L4_ICMP) {
				CHECK(pkt.l4.has_icmp);
				CHECK_EQ(pkt.l4.icmp_type, 8);
			} else {
				CHECK(pkt.l4.has_ports);
				CHECK_EQ(pkt.l4.sport, 1234);
				CHECK_EQ(pkt.l4.dport, 80);
			}
			if (r->m != M_L4_BAD)
				CHECK_EQ(pkt.l4.csum_state, UF_CSUM_VALID);
		}
		if (r->l->eth && r->want == UF_DROP_NONE) {
			CHECK(pkt.has_eth);
			CHECK_EQ(pkt.eth_type, 0x0800);
			CHECK_EQ(pkt.eth_src[5], 1);
			CHECK_EQ(pkt.tun_off, (size_t)(HR - off));
			CHECK_EQ(pkt.tun_len, 14 + pkt.inner.total_len);
		}
	}
}

static void test_port_match(void)
{
	struct uf_port_kind any[] = { { 5555, 0, false, 4 } };
	struct uf_port_kind v6only[] = { { 5555, 6, false, 4 } };
	struct uf_port_kind both[] = { { 5555, 0, true, 0 }, { 5555, 4, false, 4 } };
	struct uf_pkt pkt;
	size_t len;
	int off;

	TEST("port match: exact family, family 0 = either, wrong family = no-port");
	len = build(&FOU4, L4_UDP, 10, &off);
	CHECK_EQ(uf_decode_ip(buf + off, len, any, 1, &pkt), UF_DROP_NONE);
	CHECK_EQ(uf_decode_ip(buf + off, len, v6only, 1, &pkt), UF_DROP_NO_PORT);
	CHECK_EQ(uf_decode_ip(buf + off, len, both, 2, &pkt), UF_DROP_NONE);
	CHECK_EQ(pkt.encap, UF_ENCAP_FOU);   /* the exact-family port wins */
	CHECK_EQ(uf_decode_ip(buf + off, len, NULL, 0, &pkt), UF_DROP_NO_PORT);
	CHECK_EQ(pkt.encap, UF_ENCAP_NONE);
}

static void test_payload_api(void)
{
	struct uf_port_kind gue = { 5556, 4, true, 0 }, fou = { 5555, 4, false, 4 };
	uint8_t p[256];
	struct uf_pkt pkt;
	size_t n;

	TEST("uf_decap_payload: outer/udp untouched, offsets into the payload");
	memset(&pkt, 0, sizeof(pkt));
	pkt.has_outer = pkt.has_udp = true;
	pkt.udp.sport = 4242;
	pkt.outer.ttl = 7;
	pkt.has_gre = pkt.has_eth = true;   /* stale fields are reset */
	p[0] = 0x00;
	p[1] = 0x04;
	p[2] = p[3] = 0;
	n = mk_inner(p + 4, 4, L4_UDP, 10);
	memset(p + 4 + n, 0xee, 6);        /* trailing padding is trimmed */
	CHECK_EQ(uf_decap_payload(p, 4 + n + 6, &gue, &pkt), UF_DROP_NONE);
	CHECK(pkt.has_outer && pkt.has_udp);
	CHECK_EQ(pkt.udp.sport, 4242);
	CHECK_EQ(pkt.outer.ttl, 7);
	CHECK(!pkt.has_gre && !pkt.has_eth);
	CHECK(pkt.has_gue && pkt.has_inner);
	CHECK_EQ(pkt.encap, UF_ENCAP_GUE);
	CHECK_EQ(pkt.ipproto, 4);
	CHECK_EQ(pkt.udp_payload_off, 0);
	CHECK_EQ(pkt.tun_off, 4);
	CHECK_EQ(pkt.tun_len, n);

	TEST("uf_decap_payload: FOU, GUE v1, empty and short datagrams");
	CHECK_EQ(uf_decap_payload(p + 4, n, &fou, &pkt), UF_DROP_NONE);
	CHECK(!pkt.has_gue);
	CHECK_EQ(pkt.tun_off, 0);
	CHECK_EQ(uf_decap_payload(p + 4, n, &gue, &pkt), UF_DROP_NONE);
	CHECK(pkt.has_gue);
	CHECK_EQ(pkt.gue.version, 1);
	CHECK_EQ(pkt.tun_off, 0);
	CHECK_EQ(uf_decap_payload(p, 0, &gue, &pkt), UF_DROP_GUE_TRUNCATED);
	CHECK(!pkt.has_gue);
	CHECK_EQ(uf_decap_payload(p, 3, &gue, &pkt), UF_DROP_GUE_TRUNCATED);
	CHECK_EQ(uf_decap_payload(p + 4, 0, &fou, &pkt), UF_DROP_INNER_TRUNCATED);
	CHECK_EQ(uf_decap_payload(p + 4, 1, &fou, &pkt), UF_DROP_INNER_TRUNCATED);
	CHECK_EQ(uf_decap_payload(p + 4, 20, &fou, &pkt), UF_DROP_INNER_BAD_LEN);
	CHECK_EQ(pkt.tun_len, 0);

	TEST("uf_decap_payload: GUE remcsum applied in place");
	{
		uint8_t q[256];
		size_t m = mk_inner(q + 12, 4, L4_UDP, 21);
		uint32_t ps = uf_csum_pseudo4(A4, B4, 17, (uint32_t)(m - 20));
		uint16_t good = get_be16(q + 12 + 26);

		put_be16(q + 12 + 26, uf_csum_fold16(ps));
		memcpy(q, "\x02\x04\x00\x01\x80\x00\x00\x00\x00\x14\x00\x1a", 12);
		CHECK_EQ(uf_decap_payload(q, 12 + m, &gue, &pkt), UF_DROP_NONE);
		CHECK_EQ(get_be16(q + 12 + 26), good);
		CHECK(!pkt.l4.csum_known);     /* the data path leaves it to the stack */
		uf_pkt_verify_l4(q, &pkt);
		CHECK(pkt.l4.csum_known);
		CHECK_EQ(pkt.l4.csum_state, UF_CSUM_VALID);
		CHECK_EQ(pkt.tun_off, 12);
		/* start past the end: dropped, packet untouched */
		put_be16(q + 12 + 26, 0x1111);
		put_be16(q + 8, (uint16_t)(m + 1));
		CHECK_EQ(uf_decap_payload(q, 12 + m, &gue, &pkt), UF_DROP_GUE_BAD_REMCSUM);
		CHECK_EQ(get_be16(q + 12 + 26), 0x1111);
	}
}

static void test_inner_fragments(void)
{
	struct uf_port_kind fou = { 5555, 4, false, 4 };
	uint8_t p[256];
	struct uf_pkt pkt;
	size_t n;

	TEST("inner fragments: delivered; ports of the first, no L4 for later ones");
	memset(&pkt, 0, sizeof(pkt));
	n = mk_inner(p, 4, L4_UDP, 40);
	p[6] = 0x20;   /* MF */
	put_be16(p + 10, 0);
	put_be16(p + 10, uf_csum(p, 20));
	CHECK_EQ(uf_decap_payload(p, n, &fou, &pkt), UF_DROP_NONE);
	CHECK(pkt.has_l4 && pkt.l4.has_ports);
	uf_pkt_verify_l4(p, &pkt);
	CHECK(!pkt.l4.csum_known);     /* a first fragment lacks bytes the sum covers */
	CHECK_EQ(pkt.tun_len, n);
	p[6] = 0x00;
	p[7] = 0x05;   /* offset 40 */
	put_be16(p + 10, 0);
	put_be16(p + 10, uf_csum(p, 20));
	CHECK_EQ(uf_decap_payload(p, n, &fou, &pkt), UF_DROP_NONE);
	CHECK(!pkt.has_l4);

	TEST("inner bad IPv4 header checksum: delivered, reported");
	p[7] = 0;
	p[10] ^= 0xff;
	CHECK_EQ(uf_decap_payload(p, n, &fou, &pkt), UF_DROP_NONE);
	CHECK(pkt.has_inner && !pkt.inner.csum_ok);

	TEST("inner UDP zero checksum is ZERO");
	n = mk_inner(p, 6, L4_UDP, 3);
	put_be16(p + 46, 0);
	fou.ipproto = 41;
	CHECK_EQ(uf_decap_payload(p, n, &fou, &pkt), UF_DROP_NONE);
	uf_pkt_verify_l4(p, &pkt);
	CHECK(pkt.l4.csum_known);
	CHECK_EQ(pkt.l4.csum_state, UF_CSUM_ZERO);

	TEST("inner TCP checksum: unset by uf_decap_payload, VALID then BAD by uf_pkt_verify_l4");
	n = mk_inner(p, 4, L4_TCP, 100);
	fou.ipproto = 4;
	CHECK_EQ(uf_decap_payload(p, n, &fou, &pkt), UF_DROP_NONE);
	CHECK(pkt.has_l4 && !pkt.l4.csum_known);
	CHECK_EQ(pkt.l4_off, 20);
	uf_pkt_verify_l4(p, &pkt);
	CHECK_EQ(pkt.l4.csum_state, UF_CSUM_VALID);
	p[n - 1] ^= 0x40;
	CHECK_EQ(uf_decap_payload(p, n, &fou, &pkt), UF_DROP_NONE);
	uf_pkt_verify_l4(p, &pkt);
	CHECK(pkt.l4.csum_known);
	CHECK_EQ(pkt.l4.csum_state, UF_CSUM_BAD);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		test_vector(&vecs[i], i);
	test_rows();
	test_port_match();
	test_payload_api();
	test_inner_fragments();
	return t_done();
}
