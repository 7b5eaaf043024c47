/* SPDX-License-Identifier: GPL-2.0 */
/* UDP header encode/decode and checksum (computed, zero, verified). */
#ifndef UFOU_PROTO_UDP_H
#define UFOU_PROTO_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"
#include "ip.h"

#define UF_UDP_HLEN 8

enum uf_csum_state { UF_CSUM_ZERO, UF_CSUM_VALID, UF_CSUM_BAD };

struct uf_udp {
	uint16_t sport, dport, len, csum;
	enum uf_csum_state csum_state;
};

/* Human name of a checksum state: "zero", "valid", "bad". */
const char *uf_csum_state_name(enum uf_csum_state s);

/*
 * Decodes the UDP header at p (len bytes of IP payload); ip gives the
 * pseudo-header. The checksum is verified when non-zero. Returns
 * UF_DROP_NONE, UF_DROP_UDP_TRUNCATED/UDP_BAD_LEN, or UF_DROP_UDP_BAD_CSUM.
 */
enum uf_drop uf_udp_decode(const uint8_t *p, size_t len, const struct uf_ip *ip, struct uf_udp *u);

/*
 * Writes the 8-byte UDP header at p, where p[8..8+payload_len) already
 * holds the payload. With csum set, computes the checksum over the
 * pseudo-header from ip (a computed 0 is sent as 0xffff); else writes 0.
 */
void uf_udp_encode(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload_len,
		   const struct uf_ip *ip, bool csum);

/*
 * Writes the checksum of the UDP datagram at p[0..ulen) (header included,
 * whatever its checksum field holds) under the pseudo-header sum pseudo;
 * a computed 0 is sent as 0xffff. The checksum uf_udp_encode() writes with
 * csum set, for a header written without it: the same two bytes.
 */
void uf_udp_set_csum(uint8_t *p, size_t ulen, uint32_t pseudo);

#endif
