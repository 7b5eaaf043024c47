// SPDX-License-Identifier: GPL-2.0
/*
 * GUE header decode/encode with the receive rules of Linux
 * net/ipv4/fou_core.c gue_udp_recv() and include/net/gue.h
 * validate_gue_flags(), and remote checksum offload (remcsum_adjust).
 */
#include <errno.h>

#include "gue.h"

#include "bytes.h"
#include "csum.h"

#define GUE_LEN_PRIV 4
#define GUE_PLEN_REMCSUM 4

/* Variant 1: the version nibble of the bare IP packet picks the protocol. */
static enum uf_drop gue_decode_v1(const uint8_t *p, struct uf_gue *g)
{
	switch (p[0] >> 4) {
	case 4:
		g->proto = 4;
		return UF_DROP_NONE;
	case 6:
		g->proto = 41;
		return UF_DROP_NONE;
	}
	return UF_DROP_GUE_V1_BAD_IP;
}

/*
 * validate_gue_flags(): only the PRIV standard flag and the REMCSUM
 * private flag are known, and their fields must lie within hlen words.
 * Linux does not check that the 4-byte REMCSUM field itself fits (its
 * guehdr_priv_flags_len() is 0) and would read payload bytes as the
 * option; we refuse such a header instead.
 */
static enum uf_drop gue_decode_opts(const uint8_t *p, struct uf_gue *g)
{
	size_t optlen = (size_t)g->hlen * 4, need;
	const uint8_t *opt = p + UF_GUE_HLEN;

	if (g->flags & ~UF_GUE_FLAG_PRIV)
		return UF_DROP_GUE_BAD_FLAGS;
	if (!(g->flags & UF_GUE_FLAG_PRIV))
		return UF_DROP_NONE;
	need = GUE_LEN_PRIV;
	if (need > optlen)
		return UF_DROP_GUE_BAD_FLAGS;
	g->priv = get_be32(opt);
	if (g->priv & ~UF_GUE_PFLAG_REMCSUM)
		return UF_DROP_GUE_BAD_FLAGS;
	if (!(g->priv & UF_GUE_PFLAG_REMCSUM))
		return UF_DROP_NONE;
	need += GUE_PLEN_REMCSUM;
	if (need > optlen)
		return UF_DROP_GUE_BAD_FLAGS;
	g->remcsum = true;
	g->remcsum_start = get_be16(opt + GUE_LEN_PRIV);
	g->remcsum_offset = get_be16(opt + GUE_LEN_PRIV + 2);
	return UF_DROP_NONE;
}

/* gue_remcsum(): the checksum field and start must lie in the payload. */
static bool remcsum_fits(size_t payload_len, uint16_t start, uint16_t offset)
{
	size_t end = (size_t)offset + 2;

	if (start > end)
		end = start;
	return end <= payload_len;
}

enum uf_drop uf_gue_decode(const uint8_t *p, size_t len, struct uf_gue *g)
{
	enum uf_drop r;

	*g = (struct uf_gue){ 0 };
	if (len < UF_GUE_HLEN)
		return UF_DROP_GUE_TRUNCATED;
	g->version = p[0] >> 6;
	if (g->version == 1)
		return gue_decode_v1(p, g);
	if (g->version != 0)
		return UF_DROP_GUE_BAD_VERSION;
	g->control = p[0] & 0x20;
	g->hlen = p[0] & 0x1f;
	g->proto = p[1];
	g->flags = get_be16(p + 2);
	g->hdr_len = (uint16_t)(UF_GUE_HLEN + g->hlen * 4);
	if (g->hdr_len > len)
		return UF_DROP_GUE_BAD_HLEN;
	r = gue_decode_opts(p, g);
	if (r != UF_DROP_NONE)
		return r;
	if (g->remcsum && !remcsum_fits(len - g->hdr_len, g->remcsum_start, g->remcsum_offset))
		return UF_DROP_GUE_BAD_REMCSUM;
	/* Linux checks C only after the options ("No support yet"). */
	if (g->control)
		return UF_DROP_GUE_CONTROL;
	if (g->proto == 0)
		return UF_DROP_GUE_BAD_PROTO;
	return UF_DROP_NONE;
}

/*
 * remcsum_adjust(): the field holds the pseudo-header sum, so the sum of
 * inner[start..end) with it in place is the full L4 sum. The sum is taken
 * as [0..end) minus [0..start) so that an odd start keeps byte positions,
 * exactly as the kernel subtracts from skb->csum. A result of 0 is sent as
 * 0xffff, as skb_checksum_help() does (the same value for TCP/ICMP, and
 * for UDP the only correct one).
 */
int uf_gue_remcsum_apply(uint8_t *inner, size_t inner_len, uint16_t start, uint16_t offset)
{
	uint32_t sum;
	uint16_t check;

	if (!remcsum_fits(inner_len, start, offset))
		return -EINVAL;
	sum = uf_csum_partial(inner, inner_len, 0);
	sum = uf_csum_add(sum, ~uf_csum_partial(inner, start, 0));
	check = uf_csum_finish(sum);
	put_be16(inner + offset, check ? check : 0xffff);
	return 0;
}

int uf_gue_encode(uint8_t *out, size_t cap, uint8_t proto, bool remcsum,
		  uint16_t start, uint16_t offset)
{
	size_t len = remcsum ? UF_GUE_REMCSUM_HLEN : UF_GUE_HLEN;

	if (cap < len)
		return -EMSGSIZE;
	out[0] = remcsum ? 2 : 0;   /* ver 0, C 0, hlen in words */
	out[1] = proto;
	put_be16(out + 2, remcsum ? UF_GUE_FLAG_PRIV : 0);
	if (remcsum) {
		put_be32(out + 4, UF_GUE_PFLAG_REMCSUM);
		put_be16(out + 8, start);
		put_be16(out + 10, offset);
	}
	return (int)len;
}
