/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GRE (RFC 2784, keys and sequence numbers RFC 2890):
 *   |C| |K|S| Reserved0 | Ver | Protocol Type |
 *   [ Checksum | Reserved1 ] [ Key ] [ Sequence Number ]
 * Linux refuses version != 0 and the routing bit; other reserved bits are
 * ignored. Protocols: 0x0800 IPv4, 0x86dd IPv6, 0x6558 Ethernet (gretap).
 */
#ifndef UFOU_PROTO_GRE_H
#define UFOU_PROTO_GRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"
#include "udp.h"

#define UF_GRE_CSUM 0x8000u
#define UF_GRE_ROUTING 0x4000u
#define UF_GRE_KEY  0x2000u
#define UF_GRE_SEQ  0x1000u
#define UF_GRE_VERSION 0x0007u

#define UF_ETH_P_IP   0x0800u
#define UF_ETH_P_IPV6 0x86ddu
#define UF_ETH_P_TEB  0x6558u
#define UF_ETH_HLEN   14

struct uf_gre {
	uint16_t flags;       /* first 16 bits as on the wire */
	uint16_t proto;
	bool has_csum, has_key, has_seq;
	uint16_t csum;
	enum uf_csum_state csum_state; /* VALID or BAD when has_csum */
	uint32_t key, seq;
	uint16_t hdr_len;
};

/* Header length for a combination of present fields: 4, 8, 12 or 16. */
size_t uf_gre_hdr_len(bool csum, bool key, bool seq);

/*
 * Decodes the GRE header at p[0..len) (the whole GRE packet: the checksum
 * covers header and payload). Returns UF_DROP_NONE, GRE_TRUNCATED,
 * GRE_BAD_VERSION or GRE_BAD_CSUM (fields still filled).
 */
enum uf_drop uf_gre_decode(const uint8_t *p, size_t len, struct uf_gre *g);

/*
 * Writes the GRE header at p, where p[hdr_len .. hdr_len+payload_len)
 * already holds the payload; computes the checksum when csum is set.
 * Returns the header length.
 */
size_t uf_gre_encode(uint8_t *p, uint16_t proto, bool csum, bool key, uint32_t key_val,
		     bool seq, uint32_t seq_val, size_t payload_len);

#endif
