// SPDX-License-Identifier: GPL-2.0
/*
 * GRE header decode/encode as Linux gre_parse_header() / gre_build_header():
 * version and routing bits refuse the packet, other reserved bits are
 * ignored; the checksum covers the GRE header and everything after it.
 */
#include "gre.h"

#include "bytes.h"
#include "csum.h"

#define GRE_BASE_LEN 4

size_t uf_gre_hdr_len(bool csum, bool key, bool seq)
{
	return GRE_BASE_LEN + (csum ? 4 : 0) + (key ? 4 : 0) + (seq ? 4 : 0);
}

/* Reads the optional words in their fixed order: checksum, key, sequence. */
static void gre_read_opts(const uint8_t *p, struct uf_gre *g)
{
	const uint8_t *opt = p + GRE_BASE_LEN;

	if (g->has_csum) {
		g->csum = get_be16(opt);
		opt += 4;
	}
	if (g->has_key) {
		g->key = get_be32(opt);
		opt += 4;
	}
	if (g->has_seq)
		g->seq = get_be32(opt);
}

enum uf_drop uf_gre_decode(const uint8_t *p, size_t len, struct uf_gre *g)
{
	*g = (struct uf_gre){ 0 };
	if (len < GRE_BASE_LEN)
		return UF_DROP_GRE_TRUNCATED;
	g->flags = get_be16(p);
	g->proto = get_be16(p + 2);
	g->has_csum = g->flags & UF_GRE_CSUM;
	g->has_key = g->flags & UF_GRE_KEY;
	g->has_seq = g->flags & UF_GRE_SEQ;
	g->hdr_len = (uint16_t)uf_gre_hdr_len(g->has_csum, g->has_key, g->has_seq);
	if (g->flags & (UF_GRE_VERSION | UF_GRE_ROUTING))
		return UF_DROP_GRE_BAD_VERSION;
	if (g->hdr_len > len)
		return UF_DROP_GRE_TRUNCATED;
	gre_read_opts(p, g);
	if (!g->has_csum)
		return UF_DROP_NONE;
	if (uf_csum_fold16(uf_csum_partial(p, len, 0)) != 0xffff) {
		g->csum_state = UF_CSUM_BAD;
		return UF_DROP_GRE_BAD_CSUM;
	}
	g->csum_state = UF_CSUM_VALID;
	return UF_DROP_NONE;
}

size_t uf_gre_encode(uint8_t *p, uint16_t proto, bool csum, bool key, uint32_t key_val,
		     bool seq, uint32_t seq_val, size_t payload_len)
{
	size_t hlen = uf_gre_hdr_len(csum, key, seq);
	uint8_t *opt = p + GRE_BASE_LEN;
	uint16_t flags = (uint16_t)((csum ? UF_GRE_CSUM : 0) | (key ? UF_GRE_KEY : 0) |
				    (seq ? UF_GRE_SEQ : 0));

	put_be16(p, flags);
	put_be16(p + 2, proto);
	if (csum) {
		put_be32(opt, 0);   /* checksum and Reserved1, summed as zero */
		opt += 4;
	}
	if (key) {
		put_be32(opt, key_val);
		opt += 4;
	}
	if (seq)
		put_be32(opt, seq_val);
	/* Unlike UDP, GRE has no "no checksum" value: a computed 0 stays 0. */
	if (csum)
		put_be16(p + GRE_BASE_LEN, uf_csum(p, hlen + payload_len));
	return hlen;
}
