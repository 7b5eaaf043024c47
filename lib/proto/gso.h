/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Software segmentation of the super-packets a TUN/TAP device with
 * TUNSETOFFLOAD hands over (TSO4/TSO6, USO4/USO6), as the kernel's
 * tcp_gso_segment / __udp_gso_segment would on a device without offloads:
 * every segment gets a copy of the headers with IPv4 total length, ID (+1
 * per segment) and header checksum, IPv6 payload length, TCP sequence
 * number (FIN/PSH only on the last segment, CWR only on the first) or UDP
 * length, and a complete L4 checksum.
 *
 * Also completes a single packet's partial (NEEDS_CSUM) checksum.
 * Pure: the caller gives the packet and one output buffer per segment.
 */
#ifndef UFOU_PROTO_GSO_H
#define UFOU_PROTO_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vnet.h"

/* A validated super-packet. */
struct uf_gso {
	const uint8_t *pkt;
	size_t len;
	uint16_t l3_off;        /* IP header (14 in a tap frame) */
	uint16_t l4_off;        /* TCP/UDP header */
	uint16_t hdr_len;       /* l4_off + L4 header: copied into every segment */
	uint16_t mss;           /* payload bytes per segment (the last may be shorter) */
	uint8_t version;        /* 4 or 6 */
	uint8_t proto;          /* 6 or 17 */
	size_t nseg;
};

/*
 * Checks the super-packet pkt[0..len) described by h, IP header at l3_off:
 * a TCPV4/TCPV6/UDP_L4 GSO type matching the IP version, IPv4 without
 * fragmentation, IPv6 with TCP/UDP as the next header (no extension
 * headers), a whole L4 header, gso_size > 0 and some payload. Returns the
 * number of segments, or -EINVAL.
 */
int uf_gso_init(struct uf_gso *g, const uint8_t *pkt, size_t len, size_t l3_off,
		const struct uf_vnet_hdr *h);

/* Bytes of segment i (headers included); 0 when i is out of range. */
size_t uf_gso_seg_len(const struct uf_gso *g, size_t i);

/*
 * Writes segment i into out[0..cap) and returns its length, or -ENOSPC
 * when cap is short, -EINVAL when i is out of range.
 */
int uf_gso_segment(const struct uf_gso *g, size_t i, uint8_t *out, size_t cap);

/*
 * Turns segment seg[0..seg_len) (as written by uf_gso_segment) back into a
 * partial checksum: the L4 checksum field gets the folded pseudo-header sum
 * and *csum_start / *csum_offset say where it is (for the GUE remote
 * checksum option). Returns 0 or -EINVAL.
 */
int uf_gso_make_partial(const struct uf_gso *g, uint8_t *seg, size_t seg_len,
			uint16_t *csum_start, uint16_t *csum_offset);

/*
 * Completes a NEEDS_CSUM checksum of a single packet pkt[0..len) in place:
 * the field at csum_start + csum_offset holds the pseudo-header sum. As
 * skb_checksum_help(), a computed 0 goes out as 0xffff (right for UDP,
 * equivalent for TCP). Returns 0 or -EINVAL when the field is out of range.
 */
int uf_csum_complete(uint8_t *pkt, size_t len, size_t csum_start, size_t csum_offset);

#endif
