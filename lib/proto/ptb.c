// SPDX-License-Identifier: GPL-2.0
/*
 * Frag-needed / packet-too-big reports about a tunnel's outer packets:
 * decode, match to a link, and the MTU Linux would take from them.
 */
#include "ptb.h"

#include <string.h>

#include "bytes.h"
#include "csum.h"
#include "ip.h"

#define ICMP_DEST_UNREACH  3
#define ICMP_FRAG_NEEDED   4
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP_HLEN          8    /* type, code, checksum, 4 bytes (MTU) */
#define UDP_HLEN           8
#define IP6_NH_HOP         0
#define IP6_NH_ROUTING     43
#define IP6_NH_FRAGMENT    44

/* The quoted UDP header at q[0..qlen): ports, and what follows it. */
static enum uf_ptb_reason quote_udp(const uint8_t *q, size_t qlen, struct uf_ptb *out)
{
	if (qlen < UDP_HLEN)
		return UF_PTB_TRUNCATED;
	out->sport = get_be16(q);
	out->dport = get_be16(q + 2);
	out->after = q + UDP_HLEN;
	out->after_len = qlen - UDP_HLEN;
	return UF_PTB_NONE;
}

/* A quoted IPv4 header: its total length is the original's, not the quote's. */
static enum uf_ptb_reason quote4(const uint8_t *q, size_t qlen, struct uf_ptb *out)
{
	size_t ihl;

	if (qlen < UF_IP4_HLEN)
		return UF_PTB_TRUNCATED;
	ihl = (size_t)(q[0] & 0x0f) * 4;
	if (q[0] >> 4 != 4 || ihl < UF_IP4_HLEN)
		return UF_PTB_BAD_QUOTE;
	/* Only a first fragment quotes a UDP header. */
	if (get_be16(q + 6) & 0x1fff)
		return UF_PTB_BAD_QUOTE;
	/* About a TCP, ICMP... packet: sound, but no tunnel sends one. */
	if (q[9] != UF_IPPROTO_UDP)
		return UF_PTB_NOT_OURS;
	if (qlen < ihl)
		return UF_PTB_TRUNCATED;
	out->family = 4;
	memcpy(out->src, q + 12, 4);
	memcpy(out->dst, q + 16, 4);
	return quote_udp(q + ihl, qlen - ihl, out);
}

/* A quoted IPv6 header, walking the extension headers a tunnel may add. */
static enum uf_ptb_reason quote6(const uint8_t *q, size_t qlen, struct uf_ptb *out)
{
	size_t off = UF_IP6_HLEN, elen;
	uint8_t nh;

	if (qlen < UF_IP6_HLEN)
		return UF_PTB_TRUNCATED;
	if (q[0] >> 4 != 6)
		return UF_PTB_BAD_QUOTE;
	nh = q[6];
	while (nh == IP6_NH_HOP || nh == UF_IPPROTO_DSTOPTS || nh == IP6_NH_ROUTING) {
		if (off + 2 > qlen)
			return UF_PTB_TRUNCATED;
		elen = ((size_t)q[off + 1] + 1) * 8;
		if (off + elen > qlen)
			return UF_PTB_TRUNCATED;
		nh = q[off];
		off += elen;
	}
	/* A tunnel sends neither fragments (a frag-needed is no answer to
	 * those) nor anything but UDP. */
	if (nh == IP6_NH_FRAGMENT)
		return UF_PTB_BAD_QUOTE;
	if (nh != UF_IPPROTO_UDP)
		return UF_PTB_NOT_OURS;
	out->family = 6;
	memcpy(out->src, q + 8, 16);
	memcpy(out->dst, q + 24, 16);
	return quote_udp(q + off, qlen - off, out);
}

enum uf_ptb_reason uf_ptb4_decode(const uint8_t *p, size_t len, struct uf_ptb *out)
{
	const uint8_t *icmp;
	struct uf_ip ip;
	size_t ilen;

	memset(out, 0, sizeof(*out));
	if (uf_ip_decode(p, len, &ip) != UF_DROP_NONE || ip.family != 4)
		return UF_PTB_TRUNCATED;
	if (ip.proto != UF_IPPROTO_ICMP)
		return UF_PTB_OTHER;
	icmp = p + ip.hdr_len;
	ilen = ip.total_len - ip.hdr_len;
	if (ilen < ICMP_HLEN)
		return UF_PTB_TRUNCATED;
	if (icmp[0] != ICMP_DEST_UNREACH || icmp[1] != ICMP_FRAG_NEEDED)
		return UF_PTB_OTHER;
	if (uf_csum_fold16(uf_csum_partial(icmp, ilen, 0)) != 0xffff)
		return UF_PTB_BAD_CSUM;
	out->mtu = get_be16(icmp + 6);
	return quote4(icmp + ICMP_HLEN, ilen - ICMP_HLEN, out);
}

enum uf_ptb_reason uf_ptb6_decode(const uint8_t *p, size_t len, struct uf_ptb *out)
{
	memset(out, 0, sizeof(*out));
	if (len < ICMP_HLEN)
		return UF_PTB_TRUNCATED;
	if (p[0] != ICMP6_PACKET_TOO_BIG)
		return UF_PTB_OTHER;
	out->mtu = get_be32(p + 4);
	return quote6(p + ICMP_HLEN, len - ICMP_HLEN, out);
}

/* The bytes after UDP, as far as quoted, are what this link puts there. */
static bool after_udp_matches(const struct uf_ptb *q, const struct uf_tx *tx)
{
	const uint8_t *a = q->after;

	if (tx->encap == UF_ENCAP_GUE) {
		if (q->after_len < 2)
			return true;
		/* Linux sends only full (version 0) data headers. */
		if (a[0] >> 6 != 0 || (a[0] & 0x20))
			return false;
		if (tx->gre)
			return a[1] == UF_IPPROTO_GRE;
		return a[1] == UF_IPPROTO_IPIP || a[1] == UF_IPPROTO_IPV6;
	}
	if (tx->gre)
		return q->after_len < 2 || (a[1] & 0x07) == 0;   /* GRE version 0 */
	return q->after_len < 1 || a[0] >> 4 == 4 || a[0] >> 4 == 6;
}

bool uf_ptb_matches(const struct uf_ptb *q, const struct uf_tx *tx, const uint8_t *src)
{
	size_t alen = tx->family == 6 ? 16 : 4;

	if (q->family != tx->family || memcmp(q->dst, tx->dst, alen))
		return false;
	if (src && memcmp(q->src, src, alen))
		return false;
	if (q->dport != tx->dport)
		return false;
	if (tx->sport ? q->sport != tx->sport :
	    tx->sport_max > tx->sport_min && (q->sport < tx->sport_min || q->sport > tx->sport_max))
		return false;
	return after_udp_matches(q, tx);
}

uint32_t uf_ptb_clamp(uint8_t family, uint32_t mtu, uint32_t min_pmtu4)
{
	uint32_t floor = family == 6 ? UF_PTB_MIN_MTU6 : min_pmtu4;

	return mtu < floor ? floor : mtu;
}

const char *uf_ptb_reason_name(enum uf_ptb_reason r)
{
	static const char *const names[] = {
#define UF_PTB_NAME(sym, str) str,
		UF_PTB_REASONS(UF_PTB_NAME)
#undef UF_PTB_NAME
	};

	return (unsigned int)r < UF_PTB__COUNT ? names[r] : "unknown";
}
