// SPDX-License-Identifier: GPL-2.0
/* TSO / USO segmentation of TUN super-packets, as tcp_gso_segment / __udp_gso_segment. */
#include <errno.h>
#include <string.h>

#include "gso.h"

#include "bytes.h"
#include "csum.h"
#include "ip.h"
#include "udp.h"

#define IP4_MF_OFF 0x3fff   /* MF and fragment offset */
#define TCP_MIN_HLEN 20
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define IP_MAX_LEN 65535

static int gso_l3(struct uf_gso *g, const uint8_t *ip, size_t avail, uint8_t want_ver)
{
	size_t ihl;

	if (avail < 1 || ip[0] >> 4 != want_ver)
		return -EINVAL;
	if (want_ver == 4) {
		if (avail < UF_IP4_HLEN)
			return -EINVAL;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		if (ihl < UF_IP4_HLEN || ihl > avail || (get_be16(ip + 6) & IP4_MF_OFF))
			return -EINVAL;
		g->proto = ip[9];
		g->l4_off = (uint16_t)(g->l3_off + ihl);
	} else {
		if (avail < UF_IP6_HLEN)
			return -EINVAL;
		g->proto = ip[6];
		g->l4_off = (uint16_t)(g->l3_off + UF_IP6_HLEN);
	}
	g->version = want_ver;
	return 0;
}

int uf_gso_init(struct uf_gso *g, const uint8_t *pkt, size_t len, size_t l3_off,
		const struct uf_vnet_hdr *h)
{
	uint8_t type = h->gso_type & (uint8_t)~UF_VNET_GSO_ECN;
	uint8_t ver, want_proto;
	size_t l4_hlen;

	memset(g, 0, sizeof(*g));
	if (len > IP_MAX_LEN + UF_IP6_HLEN + l3_off || l3_off >= len || h->gso_size == 0)
		return -EINVAL;
	g->pkt = pkt;
	g->len = len;
	g->l3_off = (uint16_t)l3_off;
	switch (type) {
	case UF_VNET_GSO_TCPV4:
		ver = 4;
		want_proto = UF_IPPROTO_TCP;
		break;
	case UF_VNET_GSO_TCPV6:
		ver = 6;
		want_proto = UF_IPPROTO_TCP;
		break;
	case UF_VNET_GSO_UDP_L4:
		ver = pkt[l3_off] >> 4;
		want_proto = UF_IPPROTO_UDP;
		break;
	default:
		return -EINVAL;
	}
	if (gso_l3(g, pkt + l3_off, len - l3_off, ver) < 0 || g->proto != want_proto)
		return -EINVAL;
	if (g->proto == UF_IPPROTO_TCP) {
		if ((size_t)g->l4_off + TCP_MIN_HLEN > len)
			return -EINVAL;
		l4_hlen = (size_t)(pkt[g->l4_off + 12] >> 4) * 4;
		if (l4_hlen < TCP_MIN_HLEN)
			return -EINVAL;
	} else {
		l4_hlen = UF_UDP_HLEN;
	}
	if ((size_t)g->l4_off + l4_hlen >= len)
		return -EINVAL;     /* no payload: nothing to segment */
	g->hdr_len = (uint16_t)(g->l4_off + l4_hlen);
	g->mss = h->gso_size;
	g->nseg = (len - g->hdr_len + g->mss - 1) / g->mss;
	return (int)g->nseg;
}

size_t uf_gso_seg_len(const struct uf_gso *g, size_t i)
{
	size_t payload = g->len - g->hdr_len, off = i * g->mss;

	if (i >= g->nseg)
		return 0;
	return g->hdr_len + (payload - off < g->mss ? payload - off : g->mss);
}

static void fix_l3(const struct uf_gso *g, uint8_t *ip, size_t l3_len, size_t i)
{
	if (g->version == 4) {
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

		put_be16(ip + 2, (uint16_t)l3_len);
		put_be16(ip + 4, (uint16_t)(get_be16(ip + 4) + i));
		uf_ip4_fix_csum(ip, ihl);
	} else {
		put_be16(ip + 4, (uint16_t)(l3_len - UF_IP6_HLEN));
	}
}

int uf_gso_segment(const struct uf_gso *g, size_t i, uint8_t *out, size_t cap)
{
	size_t seg = uf_gso_seg_len(g, i), l4_len, csum_off;
	uint8_t *ip = out + g->l3_off, *l4 = out + g->l4_off;
	uint32_t sum;
	uint16_t check;

	if (!seg)
		return -EINVAL;
	if (seg > cap)
		return -ENOSPC;
	memcpy(out, g->pkt, g->hdr_len);
	memcpy(out + g->hdr_len, g->pkt + g->hdr_len + i * g->mss, seg - g->hdr_len);
	fix_l3(g, ip, seg - g->l3_off, i);
	l4_len = seg - g->l4_off;
	if (g->proto == UF_IPPROTO_TCP) {
		put_be32(l4 + 4, (uint32_t)(get_be32(l4 + 4) + i * g->mss));
		if (i > 0)
			l4[13] &= (uint8_t)~TCP_CWR;
		if (i + 1 < g->nseg)
			l4[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		csum_off = 16;
	} else {
		put_be16(l4 + 4, (uint16_t)l4_len);
		csum_off = 6;
	}
	put_be16(l4 + csum_off, 0);
	sum = uf_csum_partial(l4, l4_len, uf_csum_pseudo_hdr(g->version, ip, g->proto, (uint32_t)l4_len));
	check = uf_csum_finish(sum);
	if (check == 0 && g->proto == UF_IPPROTO_UDP)
		check = 0xffff;
	put_be16(l4 + csum_off, check);
	return (int)seg;
}

int uf_csum_complete(uint8_t *pkt, size_t len, size_t csum_start, size_t csum_offset)
{
	uint16_t check;

	if (csum_start > len || csum_offset + 2 > len - csum_start)
		return -EINVAL;
	check = uf_csum_finish(uf_csum_partial(pkt + csum_start, len - csum_start, 0));
	put_be16(pkt + csum_start + csum_offset, check ? check : 0xffff);
	return 0;
}

/*
 * Linux leaves the checksum of every TSO/USO segment partial (the stack
 * offloads it), so a GUE link with remote checksum offload sends each
 * segment with the RCO option and the pseudo-header sum in the field. Our
 * segments come out complete; this turns one back into that partial form.
 */
int uf_gso_make_partial(const struct uf_gso *g, uint8_t *seg, size_t seg_len,
			uint16_t *csum_start, uint16_t *csum_offset)
{
	const uint8_t *ip = seg + g->l3_off;
	uint16_t off = g->proto == UF_IPPROTO_TCP ? 16 : 6;
	size_t l4_len;

	if (seg_len < g->hdr_len || g->l4_off + off + 2u > seg_len)
		return -EINVAL;
	l4_len = seg_len - g->l4_off;
	put_be16(seg + g->l4_off + off,
		 uf_csum_fold16(uf_csum_pseudo_hdr(g->version, ip, g->proto, (uint32_t)l4_len)));
	*csum_start = g->l4_off;
	*csum_offset = off;
	return 0;
}
