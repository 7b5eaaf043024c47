/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic UDP Encapsulation (draft-ietf-intarea-gue), as Linux does it:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|C|  Hlen   |  Proto/ctype  |        Flags              |P|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|          private flags (present iff P)                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     csum start (16)           |     csum offset (16)          |  iff R
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Variant 0 carries the header; variant 1 ("direct IP") is a bare IPv4 or
 * IPv6 packet whose version nibble reads as Ver=01. Linux sends variant 0
 * only (4 bytes, or 12 with remote checksum offload) and receives both.
 * Hlen counts 32-bit words after the first. "start" is the offset of the
 * inner L4 header and "offset" the absolute offset of its checksum field,
 * both from the first byte after the GUE header.
 */
#ifndef UFOU_PROTO_GUE_H
#define UFOU_PROTO_GUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

#define UF_GUE_HLEN          4
#define UF_GUE_REMCSUM_HLEN  12
#define UF_GUE_FLAG_PRIV     0x0001u      /* standard flags, host order */
#define UF_GUE_PFLAG_REMCSUM 0x80000000u  /* private flags, host order */

struct uf_gue {
	uint8_t version;     /* 0 or 1 */
	bool control;
	uint8_t hlen;        /* in 32-bit words, after the first word */
	uint8_t proto;       /* proto/ctype; for v1: 4 or 41 from the IP version */
	uint16_t flags;
	uint32_t priv;       /* private flags when UF_GUE_FLAG_PRIV */
	bool remcsum;
	uint16_t remcsum_start, remcsum_offset;
	uint16_t hdr_len;    /* bytes before the payload (0 for v1) */
};

/*
 * Decodes a GUE header at the start of the UDP payload p[0..len) with
 * exactly the kernel's receive drop rules (gue_udp_recv, validate_gue_flags):
 * empty/short, version 2/3, v1 with IP version not 4/6, hlen past the end,
 * unknown standard/private flags or flags needing more than hlen, remcsum
 * start/offset past the end, control messages. Fields are filled as far as
 * they could be read, also on a drop (for the decoder's display).
 */
enum uf_drop uf_gue_decode(const uint8_t *p, size_t len, struct uf_gue *g);

/*
 * Completes the inner L4 checksum that a remote-checksum-offload sender left
 * as a pseudo-header sum (Linux remcsum_adjust): inner points to the first
 * byte after the GUE header, inner_len bytes. Returns 0, or -EINVAL when
 * start/offset are out of range.
 */
int uf_gue_remcsum_apply(uint8_t *inner, size_t inner_len, uint16_t start, uint16_t offset);

/*
 * Writes a variant 0 header at out[0..cap): 4 bytes, or 12 when remcsum is
 * set (start/offset as defined above). Returns the header length or -EMSGSIZE.
 */
int uf_gue_encode(uint8_t *out, size_t cap, uint8_t proto, bool remcsum,
		  uint16_t start, uint16_t offset);

#endif
