/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio_net_hdr that a TUN/TAP device opened with IFF_VNET_HDR puts in
 * front of every packet (10 bytes, little-endian after TUNSETVNETLE): how
 * the stack left the L4 checksum (NEEDS_CSUM: only the pseudo-header sum is
 * in the field, complete from csum_start) and whether the packet is a GSO
 * super-packet to be cut into gso_size pieces of L4 payload.
 */
#ifndef UFOU_PROTO_VNET_H
#define UFOU_PROTO_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UF_VNET_HLEN 10

#define UF_VNET_F_NEEDS_CSUM 0x01
#define UF_VNET_F_DATA_VALID 0x02

#define UF_VNET_GSO_NONE   0
#define UF_VNET_GSO_TCPV4  1
#define UF_VNET_GSO_UDP    3      /* UFO: refused, never offered by ufou */
#define UF_VNET_GSO_TCPV6  4
#define UF_VNET_GSO_UDP_L4 5
#define UF_VNET_GSO_ECN    0x80

struct uf_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;          /* with UF_VNET_GSO_ECN or'ed in */
	uint16_t hdr_len;          /* bytes of headers (L2..L4) before the payload */
	uint16_t gso_size;         /* payload bytes per segment */
	uint16_t csum_start;       /* from the first byte after the vnet header */
	uint16_t csum_offset;      /* of the checksum field, from csum_start */
};

/* Reads the header at p[0..len); -1 when len < UF_VNET_HLEN. */
int uf_vnet_decode(const uint8_t *p, size_t len, struct uf_vnet_hdr *h);
/* Writes the 10 bytes at p. */
void uf_vnet_encode(uint8_t *p, const struct uf_vnet_hdr *h);

#endif
