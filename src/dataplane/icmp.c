// SPDX-License-Identifier: GPL-2.0
/* ICMP frag-needed / ICMPv6 packet-too-big construction, as icmp_send / icmp6_send. */
#include <errno.h>
#include <string.h>

#include "dataplane/icmp.h"

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/ip.h"

#define ICMP_HLEN 8
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMPV6_PKT_TOOBIG 2
#define IPTOS_PREC_INTERNETCONTROL 0xc0
#define ERR_TTL 64

static bool ip4_bad_addr(const uint8_t *a)
{
	static const uint8_t zero[4], bcast[4] = { 255, 255, 255, 255 };

	return memcmp(a, zero, 4) == 0 || memcmp(a, bcast, 4) == 0 || (a[0] & 0xf0) == 0xe0;
}

/* ICMP types that are errors (icmp_pointers[].error), and unknown ones. */
static bool icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12 || type > 18;
}

bool dp_icmp4_eligible(const uint8_t *pkt, size_t len)
{
	size_t hl;

	if (len < UF_IP4_HLEN || pkt[0] >> 4 != 4)
		return false;
	hl = (size_t)(pkt[0] & 0x0f) * 4;
	if (hl < UF_IP4_HLEN || hl > len)
		return false;
	if (get_be16(pkt + 6) & 0x1fff)
		return false;
	if (ip4_bad_addr(pkt + 12) || ip4_bad_addr(pkt + 16))
		return false;
	if (pkt[9] == UF_IPPROTO_ICMP && (len <= hl || icmp4_is_error(pkt[hl])))
		return false;
	return true;
}

/* Walks IPv6 extension headers to the upper layer; -1 when it cannot be read. */
static int ip6_upper(const uint8_t *pkt, size_t len, size_t *off)
{
	uint8_t nh = pkt[6];
	size_t o = UF_IP6_HLEN;

	for (int i = 0; i < 8; i++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 44) {
			*off = o;
			return nh;
		}
		if (o + 8 > len)
			return -1;
		if (nh == 44) {        /* fragment: the upper layer only in the first */
			if (get_be16(pkt + o + 2) & 0xfff8)
				return -2;
			nh = pkt[o];
			o += 8;
			continue;
		}
		nh = pkt[o];
		o += ((size_t)pkt[o + 1] + 1) * 8;
	}
	return -1;
}

static bool ip6_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

bool dp_icmp6_eligible(const uint8_t *pkt, size_t len)
{
	size_t off = 0;
	int nh;

	if (len < UF_IP6_HLEN || pkt[0] >> 4 != 6)
		return false;
	/* Source unspecified (::) or multicast: nobody to tell. */
	if (pkt[8] == 0xff || ip6_unspecified(pkt + 8))
		return false;
	nh = ip6_upper(pkt, len, &off);
	if (nh == -1)
		return false;      /* is_ineligible(): unreadable headers */
	if (nh == UF_IPPROTO_ICMPV6 && (off >= len || pkt[off] < 128))
		return false;
	return true;
}

/* Bytes of the original to quote: what it states (if less than present), at most room. */
static size_t quote_len(size_t len, size_t stated, size_t room)
{
	if (stated && stated < len)
		len = stated;
	return len < room ? len : room;
}

int dp_icmp4_frag_needed(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
			 const uint8_t src[4], uint16_t mtu, uint16_t id)
{
	size_t q, total;
	uint8_t *icmp;

	if (len < UF_IP4_HLEN || orig[0] >> 4 != 4)
		return -EINVAL;
	q = quote_len(len, get_be16(orig + 2), DP_ICMP4_MAX_LEN - UF_IP4_HLEN - ICMP_HLEN);
	total = UF_IP4_HLEN + ICMP_HLEN + q;
	if (cap < total)
		return -ENOSPC;
	memset(out, 0, UF_IP4_HLEN + ICMP_HLEN);
	out[0] = 0x45;
	out[1] = IPTOS_PREC_INTERNETCONTROL;
	put_be16(out + 2, (uint16_t)total);
	put_be16(out + 4, id);
	out[8] = ERR_TTL;
	out[9] = UF_IPPROTO_ICMP;
	memcpy(out + 12, src, 4);
	memcpy(out + 16, orig + 12, 4);
	put_be16(out + 10, uf_csum(out, UF_IP4_HLEN));
	icmp = out + UF_IP4_HLEN;
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	put_be16(icmp + 6, mtu);
	memcpy(icmp + ICMP_HLEN, orig, q);
	put_be16(icmp + 2, uf_csum(icmp, ICMP_HLEN + q));
	return (int)total;
}

int dp_icmp6_ptb(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
		 const uint8_t src[16], uint32_t mtu)
{
	size_t q, total, plen;
	uint8_t *icmp;
	uint32_t sum;

	if (len < UF_IP6_HLEN || orig[0] >> 4 != 6)
		return -EINVAL;
	q = quote_len(len, UF_IP6_HLEN + (size_t)get_be16(orig + 4),
		      DP_ICMP6_MAX_LEN - UF_IP6_HLEN - ICMP_HLEN);
	plen = ICMP_HLEN + q;
	total = UF_IP6_HLEN + plen;
	if (cap < total)
		return -ENOSPC;
	memset(out, 0, UF_IP6_HLEN + ICMP_HLEN);
	out[0] = 0x60;
	put_be16(out + 4, (uint16_t)plen);
	out[6] = UF_IPPROTO_ICMPV6;
	out[7] = ERR_TTL;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, orig + 8, 16);
	icmp = out + UF_IP6_HLEN;
	icmp[0] = ICMPV6_PKT_TOOBIG;
	put_be32(icmp + 4, mtu);
	memcpy(icmp + ICMP_HLEN, orig, q);
	sum = uf_csum_pseudo6(out + 8, out + 24, UF_IPPROTO_ICMPV6, (uint32_t)plen);
	put_be16(icmp + 2, uf_csum_finish(uf_csum_partial(icmp, plen, sum)));
	return (int)total;
}
