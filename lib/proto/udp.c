// SPDX-License-Identifier: GPL-2.0
/*
 * UDP header encode/decode. The checksum covers the IPv4 or IPv6
 * pseudo-header (RFC 768, RFC 8200 §8.1); zero means "none" on both
 * families here because Linux fou/fou6 sockets accept it (RFC 6935/6936).
 */
#include "udp.h"

#include "bytes.h"
#include "csum.h"

const char *uf_csum_state_name(enum uf_csum_state s)
{
	switch (s) {
	case UF_CSUM_ZERO:
		return "zero";
	case UF_CSUM_VALID:
		return "valid";
	case UF_CSUM_BAD:
		return "bad";
	}
	return "unknown";
}

enum uf_drop uf_udp_decode(const uint8_t *p, size_t len, const struct uf_ip *ip, struct uf_udp *u)
{
	uint32_t sum;

	*u = (struct uf_udp){ 0 };
	if (len < UF_UDP_HLEN)
		return UF_DROP_UDP_TRUNCATED;
	u->sport = get_be16(p);
	u->dport = get_be16(p + 2);
	u->len = get_be16(p + 4);
	u->csum = get_be16(p + 6);
	/* Bytes past u->len are IP padding (Linux trims them); fewer is an error. */
	if (u->len < UF_UDP_HLEN || u->len > len)
		return UF_DROP_UDP_BAD_LEN;
	if (u->csum == 0) {
		u->csum_state = UF_CSUM_ZERO;
		return UF_DROP_NONE;
	}
	sum = uf_csum_partial(p, u->len, uf_ip_pseudo(ip, UF_IPPROTO_UDP, u->len));
	if (uf_csum_fold16(sum) != 0xffff) {
		u->csum_state = UF_CSUM_BAD;
		return UF_DROP_UDP_BAD_CSUM;
	}
	u->csum_state = UF_CSUM_VALID;
	return UF_DROP_NONE;
}

void uf_udp_encode(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload_len,
		   const struct uf_ip *ip, bool csum)
{
	uint16_t ulen = (uint16_t)(UF_UDP_HLEN + payload_len);

	put_be16(p, sport);
	put_be16(p + 2, dport);
	put_be16(p + 4, ulen);
	put_be16(p + 6, 0);
	if (csum)
		uf_udp_set_csum(p, ulen, uf_ip_pseudo(ip, UF_IPPROTO_UDP, ulen));
}

void uf_udp_set_csum(uint8_t *p, size_t ulen, uint32_t pseudo)
{
	uint16_t check;

	put_be16(p + 6, 0);
	check = uf_csum_finish(uf_csum_partial(p, ulen, pseudo));
	/* 0 means "no checksum": send its one's-complement twin (udp_set_csum). */
	put_be16(p + 6, check ? check : 0xffff);
}
