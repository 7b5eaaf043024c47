// SPDX-License-Identifier: GPL-2.0
/*
 * IPv4 / IPv6 header decode and encode, ECN per RFC 6040 as Linux does it.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "csum.h"
#include "ip.h"

#define IP4_DF          0x4000
#define IP4_MF          0x2000
#define IP4_OFFSET      0x1fff
#define IP6_NEXTHDR_HOP 0
#define TLV_PAD1        0
#define TLV_ENCAP_LIMIT 4

/*
 * Scans the TLV options of one destination-options header h[0..hlen) for the
 * RFC 2473 Tunnel Encapsulation Limit (type 4, length 1). Returns false when
 * an option runs past the header.
 */
static bool scan_dstopts(const uint8_t *h, size_t hlen, int16_t *encap_limit)
{
	size_t i = 2;

	while (i < hlen) {
		if (h[i] == TLV_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > hlen || i + 2 + h[i + 1] > hlen)
			return false;
		if (h[i] == TLV_ENCAP_LIMIT && h[i + 1] == 1 && *encap_limit < 0)
			*encap_limit = h[i + 2];
		i += 2 + (size_t)h[i + 1];
	}
	return true;
}

static enum uf_drop decode4(const uint8_t *p, size_t len, struct uf_ip *ip)
{
	size_t ihl;
	uint16_t frag;

	if (len < UF_IP4_HLEN)
		return UF_DROP_OUTER_TRUNCATED;
	ip->family = 4;
	ip->tos = p[1];
	ip->total_len = get_be16(p + 2);
	ip->id = get_be16(p + 4);
	frag = get_be16(p + 6);
	ip->df = frag & IP4_DF;
	ip->mf = frag & IP4_MF;
	ip->frag_off = frag & IP4_OFFSET;
	ip->ttl = p[8];
	ip->proto = p[9];
	memcpy(ip->src, p + 12, 4);
	memcpy(ip->dst, p + 16, 4);

	ihl = (size_t)(p[0] & 0x0f) * 4;
	ip->hdr_len = (uint16_t)ihl;
	if (ihl < UF_IP4_HLEN)
		return UF_DROP_OUTER_BAD_HDRLEN;
	if (ihl > len)
		return UF_DROP_OUTER_TRUNCATED;
	if (ip->total_len < ihl || ip->total_len > len)
		return UF_DROP_OUTER_BAD_LEN;
	ip->csum_ok = uf_csum_fold16(uf_csum_partial(p, ihl, 0)) == 0xffff;
	if (!ip->csum_ok)
		return UF_DROP_OUTER_BAD_CSUM;
	if (ip->mf || ip->frag_off)
		return UF_DROP_OUTER_FRAGMENT;
	return UF_DROP_NONE;
}

static enum uf_drop decode6(const uint8_t *p, size_t len, struct uf_ip *ip)
{
	size_t off = UF_IP6_HLEN, total, elen;
	uint8_t nh;

	if (len < UF_IP6_HLEN)
		return UF_DROP_OUTER_TRUNCATED;
	ip->family = 6;
	ip->tos = (uint8_t)(get_be16(p) >> 4);
	ip->flowlabel = get_be32(p) & 0xfffff;
	ip->ttl = p[7];
	memcpy(ip->src, p + 8, 16);
	memcpy(ip->dst, p + 24, 16);
	nh = p[6];
	ip->proto = nh;
	ip->hdr_len = UF_IP6_HLEN;
	total = UF_IP6_HLEN + (size_t)get_be16(p + 4);
	ip->total_len = (uint32_t)total;
	/* payload length 0 with hop-by-hop options is a jumbogram: not supported. */
	if (total > len || (total == UF_IP6_HLEN && nh == IP6_NEXTHDR_HOP))
		return UF_DROP_OUTER_BAD_LEN;

	/* Hop-by-hop may only come first (RFC 8200 §4.1); dstopts may repeat. */
	while (nh == UF_IPPROTO_DSTOPTS || (nh == IP6_NEXTHDR_HOP && off == UF_IP6_HLEN)) {
		if (off + 2 > total)
			return UF_DROP_OUTER_BAD_EXTHDR;
		elen = ((size_t)p[off + 1] + 1) * 8;
		if (off + elen > total)
			return UF_DROP_OUTER_BAD_EXTHDR;
		if (nh == UF_IPPROTO_DSTOPTS && !scan_dstopts(p + off, elen, &ip->encap_limit))
			return UF_DROP_OUTER_BAD_EXTHDR;
		nh = p[off];
		off += elen;
	}
	if (nh == IP6_NEXTHDR_HOP)
		return UF_DROP_OUTER_BAD_EXTHDR;
	ip->proto = nh;
	ip->hdr_len = (uint16_t)off;
	return UF_DROP_NONE;
}

enum uf_drop uf_ip_decode(const uint8_t *p, size_t len, struct uf_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->encap_limit = -1;
	if (len < 1)
		return UF_DROP_OUTER_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return decode4(p, len, ip);
	case 6:
		return decode6(p, len, ip);
	default:
		return UF_DROP_OUTER_BAD_VERSION;
	}
}

size_t uf_ip_hdr_len(const struct uf_ip *ip)
{
	if (ip->family == 4)
		return UF_IP4_HLEN;
	if (ip->family == 6)
		return UF_IP6_HLEN + (ip->encap_limit >= 0 ? UF_DSTOPT_LEN : 0);
	return 0;
}

static int encode4(uint8_t *out, const struct uf_ip *ip, size_t payload_len, bool csum)
{
	size_t total = UF_IP4_HLEN + payload_len;
	uint16_t frag = (uint16_t)((ip->df ? IP4_DF : 0) | (ip->mf ? IP4_MF : 0) |
				   (ip->frag_off & IP4_OFFSET));

	if (total > 0xffff)
		return -EMSGSIZE;
	out[0] = 0x45;
	out[1] = ip->tos;
	put_be16(out + 2, (uint16_t)total);
	put_be16(out + 4, ip->id);
	put_be16(out + 6, frag);
	out[8] = ip->ttl;
	out[9] = ip->proto;
	memcpy(out + 12, ip->src, 4);
	memcpy(out + 16, ip->dst, 4);
	if (csum)
		uf_ip4_fix_csum(out, UF_IP4_HLEN);
	else
		put_be16(out + 10, 0);
	return UF_IP4_HLEN;
}

void uf_ip4_fix_csum(uint8_t *hdr, size_t ihl)
{
	put_be16(hdr + 10, 0);
	put_be16(hdr + 10, uf_csum(hdr, ihl));
}

static int encode6(uint8_t *out, const struct uf_ip *ip, size_t payload_len)
{
	bool dstopt = ip->encap_limit >= 0;
	size_t plen = payload_len + (dstopt ? UF_DSTOPT_LEN : 0);
	uint8_t *d = out + UF_IP6_HLEN;

	if (plen > 0xffff)
		return -EMSGSIZE;
	put_be32(out, 6u << 28 | (uint32_t)ip->tos << 20 | (ip->flowlabel & 0xfffff));
	put_be16(out + 4, (uint16_t)plen);
	out[6] = dstopt ? UF_IPPROTO_DSTOPTS : ip->proto;
	out[7] = ip->ttl;
	memcpy(out + 8, ip->src, 16);
	memcpy(out + 24, ip->dst, 16);
	if (!dstopt)
		return UF_IP6_HLEN;
	/* Exactly what ip6tnl/ip6gre send (init_tel_txopt): limit option + PadN(1). */
	d[0] = ip->proto;
	d[1] = 0;
	d[2] = TLV_ENCAP_LIMIT;
	d[3] = 1;
	d[4] = (uint8_t)ip->encap_limit;
	d[5] = 1;  /* PadN */
	d[6] = 1;
	d[7] = 0;
	return UF_IP6_HLEN + UF_DSTOPT_LEN;
}

static int ip_encode(uint8_t *out, size_t cap, const struct uf_ip *ip, size_t payload_len,
		     bool csum)
{
	size_t hlen = uf_ip_hdr_len(ip);

	if (!hlen || (ip->family == 6 && ip->encap_limit > 255))
		return -EINVAL;
	if (hlen > cap)
		return -EMSGSIZE;
	return ip->family == 4 ? encode4(out, ip, payload_len, csum) :
				 encode6(out, ip, payload_len);
}

int uf_ip_encode(uint8_t *out, size_t cap, const struct uf_ip *ip, size_t payload_len)
{
	return ip_encode(out, cap, ip, payload_len, true);
}

int uf_ip_encode_nocsum(uint8_t *out, size_t cap, const struct uf_ip *ip, size_t payload_len)
{
	return ip_encode(out, cap, ip, payload_len, false);
}

uint8_t uf_ecn_encap(uint8_t outer_tos, uint8_t inner_tos)
{
	uint8_t ecn = inner_tos & UF_ECN_MASK;

	if (ecn == UF_ECN_CE)
		ecn = UF_ECN_ECT_0;
	return (uint8_t)((outer_tos & ~UF_ECN_MASK) | ecn);
}

int uf_ecn_decap(uint8_t outer_tos, uint8_t inner_tos, uint8_t *new_inner, bool *log)
{
	uint8_t outer = outer_tos & UF_ECN_MASK, inner = inner_tos & UF_ECN_MASK;

	*new_inner = inner_tos;
	*log = false;
	if (inner == UF_ECN_NOT_ECT) {
		if (outer == UF_ECN_CE)
			return -1;
		/* Linux forwards, logging "non-ECT from ..." when the outer was ECT. */
		*log = outer != UF_ECN_NOT_ECT;
		return 0;
	}
	if (outer == UF_ECN_CE)
		*new_inner = inner_tos | UF_ECN_CE;
	else if (outer == UF_ECN_ECT_1 && inner == UF_ECN_ECT_0)
		*new_inner = (uint8_t)((inner_tos & ~UF_ECN_MASK) | UF_ECN_ECT_1);
	return 0;
}

uint8_t uf_ip_get_dsfield(const uint8_t *pkt)
{
	if (pkt[0] >> 4 == 6)
		return (uint8_t)(get_be16(pkt) >> 4);
	return pkt[1];
}

void uf_ip_set_dsfield(uint8_t *pkt, uint8_t ds)
{
	uint16_t old;

	if (pkt[0] >> 4 == 6) {
		pkt[0] = (uint8_t)((pkt[0] & 0xf0) | ds >> 4);
		pkt[1] = (uint8_t)((pkt[1] & 0x0f) | ds << 4);
		return;
	}
	if (pkt[0] >> 4 != 4)
		return;
	old = get_be16(pkt);
	pkt[1] = ds;
	put_be16(pkt + 10, uf_csum_replace16(get_be16(pkt + 10), old, get_be16(pkt)));
}

uint32_t uf_ip_pseudo(const struct uf_ip *ip, uint8_t proto, uint32_t len)
{
	if (ip->family == 6)
		return uf_csum_pseudo6(ip->src, ip->dst, proto, len);
	return uf_csum_pseudo4(ip->src, ip->dst, proto, len);
}
