// SPDX-License-Identifier: GPL-2.0
/*
 * Receive decode: GUE (gue_udp_recv) or FOU, then GRE (gre_parse_header)
 * when the protocol is 47, then the inner packet the tunnel device gets.
 * Every layer is filled as far as it could be read, also on a drop, so
 * `ufou decode` can show where a packet went wrong.
 */
#include <string.h>

#include "decap.h"

#include "bytes.h"
#include "csum.h"

#define ETH_TYPE_OFF 12

/* Inner IP errors use the INNER_ names; a bad checksum or a fragment is
 * the inner stack's business (the tunnel device still gets the packet). */
static enum uf_drop inner_drop(enum uf_drop r)
{
	switch (r) {
	case UF_DROP_NONE:
	case UF_DROP_OUTER_BAD_CSUM:
	case UF_DROP_OUTER_FRAGMENT:
		return UF_DROP_NONE;
	case UF_DROP_OUTER_TRUNCATED:
		return UF_DROP_INNER_TRUNCATED;
	case UF_DROP_OUTER_BAD_VERSION:
		return UF_DROP_INNER_BAD_VERSION;
	default:
		return UF_DROP_INNER_BAD_LEN;
	}
}

static void l4_verify(struct uf_l4info *l4, const uint8_t *p, size_t len, uint32_t pseudo)
{
	l4->csum_known = true;
	l4->csum_state = uf_csum_fold16(uf_csum_partial(p, len, pseudo)) == 0xffff ?
			 UF_CSUM_VALID : UF_CSUM_BAD;
}

static void l4_tcp(struct uf_l4info *l4, const uint8_t *p, size_t len)
{
	if (len < 4)
		return;
	l4->has_ports = true;
	l4->sport = get_be16(p);
	l4->dport = get_be16(p + 2);
	if (len < 20)
		return;
	l4->csum = get_be16(p + 16);
}

static void l4_udp(struct uf_l4info *l4, const uint8_t *p, size_t len)
{
	if (len < 4)
		return;
	l4->has_ports = true;
	l4->sport = get_be16(p);
	l4->dport = get_be16(p + 2);
	if (len < UF_UDP_HLEN)
		return;
	l4->csum = get_be16(p + 6);
}

static void l4_icmp(struct uf_l4info *l4, const uint8_t *p, size_t len)
{
	if (len < 2)
		return;
	l4->has_icmp = true;
	l4->icmp_type = p[0];
	l4->icmp_code = p[1];
	if (len < 4)
		return;
	l4->csum = get_be16(p + 2);
}

void uf_pkt_verify_l4(const uint8_t *p, struct uf_pkt *pkt)
{
	const struct uf_ip *ip = &pkt->inner;
	struct uf_l4info *l4 = &pkt->l4;
	size_t len = ip->total_len - ip->hdr_len;
	uint16_t ulen;

	/* Only a whole packet carries all the bytes its checksum covers. */
	if (!pkt->has_l4 || ip->mf || l4->csum_known)
		return;
	p += pkt->l4_off;
	switch (l4->proto) {
	case UF_IPPROTO_TCP:
		if (len >= 20)
			l4_verify(l4, p, len, uf_ip_pseudo(ip, UF_IPPROTO_TCP, (uint32_t)len));
		break;
	case UF_IPPROTO_UDP:
		if (len < UF_UDP_HLEN)
			break;
		ulen = get_be16(p + 4);
		if (ulen < UF_UDP_HLEN || ulen > len)
			break;
		if (l4->csum == 0) {
			l4->csum_known = true;
			l4->csum_state = UF_CSUM_ZERO;
			break;
		}
		l4_verify(l4, p, ulen, uf_ip_pseudo(ip, UF_IPPROTO_UDP, ulen));
		break;
	case UF_IPPROTO_ICMP:
		/* ICMP sums its own bytes only; ICMPv6 includes the pseudo-header. */
		if (len >= 4)
			l4_verify(l4, p, len, 0);
		break;
	case UF_IPPROTO_ICMPV6:
		if (len >= 4)
			l4_verify(l4, p, len, uf_ip_pseudo(ip, UF_IPPROTO_ICMPV6, (uint32_t)len));
		break;
	}
}

/*
 * Transport summary of the inner packet whose transport header is at
 * p[off]. No checksum: the receiving stack (and GRO) checks that, so the
 * data path does not read every byte once more; uf_pkt_verify_l4() does
 * it for display.
 */
static void decode_l4(struct uf_pkt *pkt, const uint8_t *p, size_t off)
{
	const struct uf_ip *ip = &pkt->inner;
	struct uf_l4info *l4 = &pkt->l4;
	size_t len = ip->total_len - ip->hdr_len;

	memset(l4, 0, sizeof(*l4));
	/* A later fragment has no transport header. */
	if (ip->frag_off != 0)
		return;
	pkt->has_l4 = true;
	pkt->l4_off = off;
	l4->proto = ip->proto;
	p += off;
	switch (ip->proto) {
	case UF_IPPROTO_TCP:
		l4_tcp(l4, p, len);
		break;
	case UF_IPPROTO_UDP:
		l4_udp(l4, p, len);
		break;
	case UF_IPPROTO_ICMP:
	case UF_IPPROTO_ICMPV6:
		l4_icmp(l4, p, len);
		break;
	}
}

/* The inner IP packet at p[off..len), promised to be IP version ver. */
static enum uf_drop decode_inner(uint8_t *p, size_t off, size_t len, uint8_t ver,
				 struct uf_pkt *pkt)
{
	enum uf_drop r;

	if (off >= len)
		return UF_DROP_INNER_TRUNCATED;
	if (p[off] >> 4 != ver)
		return UF_DROP_INNER_BAD_VERSION;
	r = inner_drop(uf_ip_decode(p + off, len - off, &pkt->inner));
	if (r != UF_DROP_NONE)
		return r;
	pkt->has_inner = true;
	pkt->tun_off = off;
	pkt->tun_len = pkt->inner.total_len;
	decode_l4(pkt, p, off + pkt->inner.hdr_len);
	return UF_DROP_NONE;
}

/* gretap: the whole frame goes to the device; the IP inside is for display. */
static enum uf_drop decode_eth(uint8_t *p, size_t off, size_t len, struct uf_pkt *pkt)
{
	uint8_t ver = 0;

	if (len - off < UF_ETH_HLEN)
		return UF_DROP_INNER_TRUNCATED;
	pkt->has_eth = true;
	memcpy(pkt->eth_dst, p + off, 6);
	memcpy(pkt->eth_src, p + off + 6, 6);
	pkt->eth_type = get_be16(p + off + ETH_TYPE_OFF);
	if (pkt->eth_type == UF_ETH_P_IP)
		ver = 4;
	else if (pkt->eth_type == UF_ETH_P_IPV6)
		ver = 6;
	if (ver)
		decode_inner(p, off + UF_ETH_HLEN, len, ver, pkt);
	pkt->tun_off = off;
	pkt->tun_len = len - off;
	return UF_DROP_NONE;
}

static enum uf_drop decode_gre(uint8_t *p, size_t off, size_t len, struct uf_pkt *pkt)
{
	enum uf_drop r;

	pkt->has_gre = len - off >= 4;
	r = uf_gre_decode(p + off, len - off, &pkt->gre);
	if (r != UF_DROP_NONE)
		return r;
	off += pkt->gre.hdr_len;
	switch (pkt->gre.proto) {
	case UF_ETH_P_IP:
		return decode_inner(p, off, len, 4, pkt);
	case UF_ETH_P_IPV6:
		return decode_inner(p, off, len, 6, pkt);
	case UF_ETH_P_TEB:
		return decode_eth(p, off, len, pkt);
	}
	return UF_DROP_GRE_BAD_PROTO;
}

/* Protocol after the UDP encapsulation; ufou carries IPv4, IPv6 and GRE only. */
static enum uf_drop decode_proto(uint8_t *p, size_t off, size_t len, struct uf_pkt *pkt)
{
	switch (pkt->ipproto) {
	case UF_IPPROTO_IPIP:
		return decode_inner(p, off, len, 4, pkt);
	case UF_IPPROTO_IPV6:
		return decode_inner(p, off, len, 6, pkt);
	case UF_IPPROTO_GRE:
		return decode_gre(p, off, len, pkt);
	}
	return UF_DROP_NO_TUNNEL;
}

static enum uf_drop decap_payload(uint8_t *p, size_t len, const struct uf_port_kind *port,
				  struct uf_pkt *pkt)
{
	const struct uf_gue *g = &pkt->gue;
	enum uf_drop r;
	size_t off = 0;

	pkt->encap = port->gue ? UF_ENCAP_GUE : UF_ENCAP_FOU;
	pkt->ipproto = port->ipproto;
	if (port->gue) {
		pkt->has_gue = len >= UF_GUE_HLEN;
		r = uf_gue_decode(p, len, &pkt->gue);
		if (r != UF_DROP_NONE)
			return r;
		if (g->remcsum)
			uf_gue_remcsum_apply(p + g->hdr_len, len - g->hdr_len,
					     g->remcsum_start, g->remcsum_offset);
		pkt->ipproto = g->proto;
		off = g->hdr_len;
	}
	return decode_proto(p, off, len, pkt);
}

/* Resets everything but the outer layers a caller may have filled (they come first). */
static void pkt_reset_payload(struct uf_pkt *pkt)
{
	memset((uint8_t *)pkt + UF_PKT_PAYLOAD_OFF, 0, sizeof(*pkt) - UF_PKT_PAYLOAD_OFF);
}

enum uf_drop uf_decap_payload(uint8_t *p, size_t len, const struct uf_port_kind *port,
			      struct uf_pkt *pkt)
{
	pkt_reset_payload(pkt);
	pkt->drop = decap_payload(p, len, port, pkt);
	if (pkt->drop != UF_DROP_NONE)
		pkt->tun_off = pkt->tun_len = 0;
	return pkt->drop;
}

/* A port of this family, else one of either family (family 0). */
static const struct uf_port_kind *port_find(const struct uf_port_kind *ports, size_t n,
					    uint16_t dport, uint8_t family)
{
	const struct uf_port_kind *any = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ports[i].port != dport)
			continue;
		if (ports[i].family == family)
			return &ports[i];
		if (ports[i].family == 0 && !any)
			any = &ports[i];
	}
	return any;
}

static enum uf_drop first_drop(enum uf_drop a, enum uf_drop b)
{
	return a != UF_DROP_NONE ? a : b;
}

/*
 * Outer IP: a bad header checksum is a drop, but the rest still decodes.
 * Returns true when decoding can go on to UDP.
 */
static bool decode_outer(const uint8_t *p, size_t len, struct uf_pkt *pkt, enum uf_drop *drop)
{
	enum uf_drop r = uf_ip_decode(p, len, &pkt->outer);

	*drop = r;
	if (r != UF_DROP_NONE && r != UF_DROP_OUTER_BAD_CSUM && r != UF_DROP_OUTER_FRAGMENT)
		return false;
	pkt->has_outer = true;
	if (pkt->outer.family == 4 && !pkt->outer.csum_ok)
		*drop = UF_DROP_OUTER_BAD_CSUM;
	/* Not reassembled: a fragment's payload is not a whole datagram. */
	if (pkt->outer.mf || pkt->outer.frag_off) {
		*drop = first_drop(*drop, UF_DROP_OUTER_FRAGMENT);
		return false;
	}
	if (pkt->outer.proto != UF_IPPROTO_UDP) {
		*drop = first_drop(*drop, UF_DROP_NOT_UDP);
		return false;
	}
	return true;
}

enum uf_drop uf_decode_ip(uint8_t *p, size_t len, const struct uf_port_kind *ports,
			  size_t nports, struct uf_pkt *pkt)
{
	const struct uf_port_kind *port;
	enum uf_drop drop, r;
	size_t off;

	memset(pkt, 0, sizeof(*pkt));
	if (!decode_outer(p, len, pkt, &drop))
		goto out;
	off = pkt->outer.hdr_len;
	r = uf_udp_decode(p + off, pkt->outer.total_len - off, &pkt->outer, &pkt->udp);
	drop = first_drop(drop, r);
	if (r != UF_DROP_NONE && r != UF_DROP_UDP_BAD_CSUM)
		goto out;
	pkt->has_udp = true;
	off += UF_UDP_HLEN;
	port = port_find(ports, nports, pkt->udp.dport, pkt->outer.family);
	if (!port) {
		drop = first_drop(drop, UF_DROP_NO_PORT);
		goto out;
	}
	r = uf_decap_payload(p + off, pkt->udp.len - UF_UDP_HLEN, port, pkt);
	drop = first_drop(drop, r);
	uf_pkt_verify_l4(p + off, pkt);
	pkt->udp_payload_off = off;
	if (pkt->tun_len)
		pkt->tun_off += off;
	/* RFC 6040: CE on a Not-ECT inner packet must be dropped. */
	if (drop == UF_DROP_NONE && pkt->has_inner) {
		uint8_t ds;
		bool log;

		if (uf_ecn_decap(pkt->outer.tos, pkt->inner.tos, &ds, &log) < 0)
			drop = UF_DROP_ECN_CE_NOT_ECT;
	}
	/* Layers after a drop are decoded for display only: nothing is handed on. */
	if (drop != UF_DROP_NONE)
		pkt->tun_off = pkt->tun_len = 0;
out:
	pkt->drop = drop;
	return drop;
}
