// SPDX-License-Identifier: GPL-2.0
/*
 * Frag-needed / packet-too-big reports: decode (IPv4 with its checksum,
 * ICMPv6 with extension headers in the quote), matching a link's outer
 * packets and nothing else, the MTU floor, and every refusal reason.
 */
#include "t.h"

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/ip.h"
#include "proto/ptb.h"

static const uint8_t ha4[4] = { 198, 18, 0, 1 }, hb4[4] = { 198, 18, 1, 2 };
static const uint8_t r4[4] = { 198, 18, 0, 254 };
static const uint8_t ha6[16] = { 0xfd, 0, 0, 0x18, [15] = 1 };
static const uint8_t hb6[16] = { 0xfd, 0, 0, 0x19, [15] = 2 };

static void mk_tx(struct uf_tx *tx, uint8_t family, enum uf_encap_type encap, bool gre)
{
	memset(tx, 0, sizeof(*tx));
	tx->family = family;
	memcpy(tx->src, family == 6 ? ha6 : ha4, family == 6 ? 16 : 4);
	memcpy(tx->dst, family == 6 ? hb6 : hb4, family == 6 ? 16 : 4);
	tx->encap = encap;
	tx->gre = gre;
	tx->dport = 5555;
	tx->sport_min = 32768;
	tx->sport_max = 60999;
	tx->encap_limit = -1;
}

/*
 * The outer packet a link sent, as a router quotes it: IPv4 (DF) or IPv6
 * (optionally with an 8-byte destination options header), UDP sport/dport,
 * then the bytes `after` (the GUE header or inner packet's start).
 */
static size_t mk_quote(uint8_t *q, uint8_t family, bool dstopt, uint16_t sport, uint16_t dport,
		       const uint8_t *after, size_t alen)
{
	struct uf_ip ip;
	size_t h;

	memset(&ip, 0, sizeof(ip));
	ip.family = family;
	memcpy(ip.src, family == 6 ? ha6 : ha4, family == 6 ? 16 : 4);
	memcpy(ip.dst, family == 6 ? hb6 : hb4, family == 6 ? 16 : 4);
	ip.ttl = 64;
	ip.df = true;
	ip.proto = UF_IPPROTO_UDP;
	ip.encap_limit = dstopt ? 4 : -1;
	h = (size_t)uf_ip_encode(q, 128, &ip, 1400);
	put_be16(q + h, sport);
	put_be16(q + h + 2, dport);
	put_be16(q + h + 4, 1400);
	put_be16(q + h + 6, 0);
	if (alen)
		memcpy(q + h + 8, after, alen);
	return h + 8 + alen;
}

/* An ICMP frag-needed from the router r4 to HA, quoting qlen bytes of q. */
static size_t mk_icmp4(uint8_t *p, uint8_t type, uint8_t code, uint16_t mtu, const uint8_t *q,
		       size_t qlen)
{
	struct uf_ip ip;
	uint8_t *icmp = p + UF_IP4_HLEN;

	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	memcpy(ip.src, r4, 4);
	memcpy(ip.dst, ha4, 4);
	ip.ttl = 64;
	ip.proto = UF_IPPROTO_ICMP;
	uf_ip_encode(p, UF_IP4_HLEN, &ip, 8 + qlen);
	icmp[0] = type;
	icmp[1] = code;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 4, 0);
	put_be16(icmp + 6, mtu);
	memcpy(icmp + 8, q, qlen);
	put_be16(icmp + 2, uf_csum(icmp, 8 + qlen));
	return UF_IP4_HLEN + 8 + qlen;
}

static size_t mk_icmp6(uint8_t *p, uint8_t type, uint32_t mtu, const uint8_t *q, size_t qlen)
{
	p[0] = type;
	p[1] = 0;
	put_be16(p + 2, 0);   /* the kernel checks it for raw ICMPv6 sockets */
	put_be32(p + 4, mtu);
	memcpy(p + 8, q, qlen);
	return 8 + qlen;
}

static const uint8_t inner4[4] = { 0x45, 0x00, 0x05, 0x78 };

/* What a decoded report must say: family, our addresses, the ports, what follows UDP. */
static void check_report(const struct uf_ptb *r, uint8_t family, uint16_t sport, uint16_t dport,
			 size_t after_len)
{
	size_t alen = family == 6 ? 16 : 4;

	CHECK_EQ(r->mtu, 1300);
	CHECK_EQ(r->family, family);
	CHECK_MEM(r->src, family == 6 ? ha6 : ha4, alen);
	CHECK_MEM(r->dst, family == 6 ? hb6 : hb4, alen);
	CHECK_EQ(r->sport, sport);
	CHECK_EQ(r->dport, dport);
	CHECK_EQ(r->after_len, after_len);
}

static void test_decode4(void)
{
	uint8_t q[128], p[256];
	struct uf_ptb r;
	size_t ql, n;

	TEST("IPv4 frag-needed: MTU, quoted addresses, ports and what follows UDP");
	ql = mk_quote(q, 4, false, 40000, 5555, inner4, sizeof(inner4));
	n = mk_icmp4(p, 3, 4, 1300, q, ql);
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_NONE);
	check_report(&r, 4, 40000, 5555, sizeof(inner4));
	CHECK(r.after && r.after[0] == 0x45);

	TEST("IPv4: a quote of exactly IP + 8 bytes (RFC 792's minimum) decodes");
	n = mk_icmp4(p, 3, 4, 1300, q, UF_IP4_HLEN + 8);
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_NONE);
	CHECK_EQ(r.after_len, 0);

	TEST("IPv4: other ICMP types and codes are not reports");
	n = mk_icmp4(p, 3, 3, 0, q, ql);      /* port unreachable */
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_OTHER);
	n = mk_icmp4(p, 11, 0, 0, q, ql);     /* time exceeded */
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_OTHER);
	n = mk_icmp4(p, 3, 4, 1300, q, ql);
	p[9] = UF_IPPROTO_UDP;                /* not ICMP at all */
	uf_ip4_fix_csum(p, UF_IP4_HLEN);
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_OTHER);

	TEST("IPv4: a bad ICMP checksum is refused (raw sockets see it unchecked)");
	n = mk_icmp4(p, 3, 4, 1300, q, ql);
	p[UF_IP4_HLEN + 7] ^= 0x01;           /* MTU changed after the sum */
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_BAD_CSUM);

	TEST("IPv4: every cut of the packet is refused, none read past it");
	n = mk_icmp4(p, 3, 4, 1300, q, UF_IP4_HLEN + 8);
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t c[256];

		memcpy(c, p, cut);
		if (cut >= UF_IP4_HLEN) {      /* a consistent header, short payload */
			put_be16(c + 2, (uint16_t)cut);
			uf_ip4_fix_csum(c, UF_IP4_HLEN);
			put_be16(c + UF_IP4_HLEN + 2, 0);
			if (cut >= UF_IP4_HLEN + 4)
				put_be16(c + UF_IP4_HLEN + 2,
					 uf_csum(c + UF_IP4_HLEN, cut - UF_IP4_HLEN));
		}
		CHECK(uf_ptb4_decode(c, cut, &r) != UF_PTB_NONE);
	}

	TEST("IPv4: a quote of a non-first fragment, or not IPv4, is refused; of TCP not ours");
	ql = mk_quote(q, 4, false, 40000, 5555, inner4, sizeof(inner4));
	q[9] = UF_IPPROTO_TCP;                /* sound, but no tunnel's */
	n = mk_icmp4(p, 3, 4, 1300, q, ql);
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_NOT_OURS);
	ql = mk_quote(q, 4, false, 40000, 5555, inner4, sizeof(inner4));
	put_be16(q + 6, 0x2000 | 185);        /* MF, offset 1480 */
	n = mk_icmp4(p, 3, 4, 1300, q, ql);
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_BAD_QUOTE);
	ql = mk_quote(q, 4, false, 40000, 5555, inner4, sizeof(inner4));
	q[0] = 0x65;                          /* version 6 in an IPv4 report */
	n = mk_icmp4(p, 3, 4, 1300, q, ql);
	CHECK_EQ(uf_ptb4_decode(p, n, &r), UF_PTB_BAD_QUOTE);
}

static void test_decode6(void)
{
	static const uint8_t inner6[2] = { 0x60, 0x00 };
	uint8_t q[160], p[256];
	struct uf_ptb r;
	size_t ql, n;

	TEST("ICMPv6 packet too big: MTU, addresses, ports; destination options walked");
	for (int opt = 0; opt < 2; opt++) {
		ql = mk_quote(q, 6, opt, 50000, 5556, inner6, sizeof(inner6));
		n = mk_icmp6(p, 2, 1300, q, ql);
		CHECK_EQ(uf_ptb6_decode(p, n, &r), UF_PTB_NONE);
		check_report(&r, 6, 50000, 5556, sizeof(inner6));
	}

	TEST("ICMPv6: other types, short messages and cut quotes are refused");
	n = mk_icmp6(p, 1, 0, q, ql);         /* destination unreachable */
	CHECK_EQ(uf_ptb6_decode(p, n, &r), UF_PTB_OTHER);
	for (size_t cut = 0; cut < 8 + UF_IP6_HLEN + 8 + 8; cut++) {
		n = mk_icmp6(p, 2, 1300, q, ql);
		CHECK(uf_ptb6_decode(p, cut, &r) != UF_PTB_NONE);
	}

	TEST("ICMPv6: a quoted fragment header is refused, a non-UDP packet not ours");
	ql = mk_quote(q, 6, false, 50000, 5556, inner6, sizeof(inner6));
	q[6] = 44;                            /* fragment */
	n = mk_icmp6(p, 2, 1300, q, ql);
	CHECK_EQ(uf_ptb6_decode(p, n, &r), UF_PTB_BAD_QUOTE);
	ql = mk_quote(q, 6, true, 50000, 5556, inner6, sizeof(inner6));
	q[UF_IP6_HLEN] = UF_IPPROTO_TCP;      /* the option header's next header */
	n = mk_icmp6(p, 2, 1300, q, ql);
	CHECK_EQ(uf_ptb6_decode(p, n, &r), UF_PTB_NOT_OURS);
	ql = mk_quote(q, 6, true, 50000, 5556, inner6, sizeof(inner6));
	q[UF_IP6_HLEN + 1] = 200;             /* its length beyond the quote */
	n = mk_icmp6(p, 2, 1300, q, ql);
	CHECK_EQ(uf_ptb6_decode(p, n, &r), UF_PTB_TRUNCATED);
}

/* Decodes a report quoting (sport, dport, after) and matches it against tx. */
static bool report_matches(const struct uf_tx *tx, uint16_t sport, uint16_t dport,
			   const uint8_t *after, size_t alen, const uint8_t *src)
{
	uint8_t q[160], p[256];
	struct uf_ptb r;
	size_t ql = mk_quote(q, tx->family, tx->encap_limit >= 0, sport, dport, after, alen);
	size_t n = tx->family == 6 ? mk_icmp6(p, 2, 1300, q, ql) : mk_icmp4(p, 3, 4, 1300, q, ql);
	enum uf_ptb_reason e = tx->family == 6 ? uf_ptb6_decode(p, n, &r) : uf_ptb4_decode(p, n, &r);

	return e == UF_PTB_NONE && uf_ptb_matches(&r, tx, src);
}

static void test_match(void)
{
	static const uint8_t gue4[4] = { 0x00, UF_IPPROTO_IPIP, 0, 0 };
	static const uint8_t gue6[4] = { 0x00, UF_IPPROTO_IPV6, 0, 0 };
	static const uint8_t guegre[4] = { 0x00, UF_IPPROTO_GRE, 0, 0 };
	static const uint8_t guectl[4] = { 0x20, UF_IPPROTO_IPIP, 0, 0 };
	static const uint8_t gue_v1[4] = { 0x45, 0, 0, 0 };
	static const uint8_t gre0[4] = { 0x20, 0x00, 0x08, 0x00 }, gre1[4] = { 0x00, 0x01, 0, 0 };
	static const uint8_t other4[4] = { 198, 18, 0, 9 };
	struct uf_tx tx;

	TEST("ipip/fou: its own packets match; another port, peer or source does not");
	mk_tx(&tx, 4, UF_ENCAP_FOU, false);
	CHECK(report_matches(&tx, 40000, 5555, inner4, 4, tx.src));
	CHECK(report_matches(&tx, 40000, 5555, inner4, 4, NULL));
	CHECK(report_matches(&tx, 40000, 5555, NULL, 0, tx.src));   /* 8 bytes quoted */
	CHECK(!report_matches(&tx, 40000, 5556, inner4, 4, tx.src));
	CHECK(!report_matches(&tx, 40000, 5555, inner4, 4, other4));
	CHECK(!report_matches(&tx, 1000, 5555, inner4, 4, tx.src));  /* below the auto range */
	CHECK(!report_matches(&tx, 40000, 5555, gue4, 4, tx.src));   /* version 0: not an inner IP */
	memcpy(tx.dst, other4, 4);
	CHECK(!report_matches(&tx, 40000, 5555, inner4, 4, tx.src));

	TEST("a fixed encap-sport must be the quoted one");
	mk_tx(&tx, 4, UF_ENCAP_FOU, false);
	tx.sport = 7777;
	CHECK(report_matches(&tx, 7777, 5555, inner4, 4, tx.src));
	CHECK(!report_matches(&tx, 40000, 5555, inner4, 4, tx.src));

	TEST("gue: a data header of this link's protocol; control, v1, others not");
	mk_tx(&tx, 4, UF_ENCAP_GUE, false);
	CHECK(report_matches(&tx, 40000, 5555, gue4, 4, tx.src));
	CHECK(report_matches(&tx, 40000, 5555, gue6, 4, tx.src));
	CHECK(report_matches(&tx, 40000, 5555, gue4, 1, tx.src));   /* too short to judge */
	CHECK(!report_matches(&tx, 40000, 5555, guegre, 4, tx.src));
	CHECK(!report_matches(&tx, 40000, 5555, guectl, 4, tx.src));
	CHECK(!report_matches(&tx, 40000, 5555, gue_v1, 4, tx.src));
	mk_tx(&tx, 4, UF_ENCAP_GUE, true);
	CHECK(report_matches(&tx, 40000, 5555, guegre, 4, tx.src));
	CHECK(!report_matches(&tx, 40000, 5555, gue4, 4, tx.src));

	TEST("gre/fou: GRE version 0 follows UDP");
	mk_tx(&tx, 4, UF_ENCAP_FOU, true);
	CHECK(report_matches(&tx, 40000, 5555, gre0, 4, tx.src));
	CHECK(!report_matches(&tx, 40000, 5555, gre1, 4, tx.src));

	TEST("ip6tnl/fou6 with its encap limit option; an IPv4 link never matches IPv6");
	mk_tx(&tx, 6, UF_ENCAP_FOU, false);
	tx.encap_limit = 4;
	CHECK(report_matches(&tx, 40000, 5555, (const uint8_t *)"\x60", 1, tx.src));
	CHECK(!report_matches(&tx, 40000, 5555, (const uint8_t *)"\x60", 1, hb6));
	{
		struct uf_tx t4;
		uint8_t q[160], p[256];
		struct uf_ptb r;
		size_t ql = mk_quote(q, 6, false, 40000, 5555, NULL, 0);

		mk_tx(&t4, 4, UF_ENCAP_FOU, false);
		CHECK_EQ(uf_ptb6_decode(p, mk_icmp6(p, 2, 1300, q, ql), &r), UF_PTB_NONE);
		CHECK(!uf_ptb_matches(&r, &t4, NULL));
	}
}

static void test_clamp_names(void)
{
	TEST("MTU floor: IPv4 min_pmtu (552 by default), IPv6 1280");
	CHECK_EQ(uf_ptb_clamp(4, 0, UF_PTB_MIN_PMTU4), 552);
	CHECK_EQ(uf_ptb_clamp(4, 300, UF_PTB_MIN_PMTU4), 552);
	CHECK_EQ(uf_ptb_clamp(4, 300, 1000), 1000);
	CHECK_EQ(uf_ptb_clamp(4, 1300, UF_PTB_MIN_PMTU4), 1300);
	CHECK_EQ(uf_ptb_clamp(6, 600, UF_PTB_MIN_PMTU4), 1280);
	CHECK_EQ(uf_ptb_clamp(6, 1400, UF_PTB_MIN_PMTU4), 1400);

	TEST("reason names are stable");
	CHECK_STR(uf_ptb_reason_name(UF_PTB_NONE), "none");
	CHECK_STR(uf_ptb_reason_name(UF_PTB_NOT_OURS), "not-ours");
	CHECK_STR(uf_ptb_reason_name(UF_PTB_BAD_CSUM), "bad-csum");
	CHECK_STR(uf_ptb_reason_name(UF_PTB__COUNT), "unknown");
}

int main(void)
{
	test_decode4();
	test_decode6();
	test_match();
	test_clamp_names();
	return t_done();
}
