/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RFC 791 fragmentation of an outer IPv4 packet (tunnels with nopmtudisc,
 * or inner IPv4 without DF larger than the underlay allows): fragments
 * carry 8-byte aligned offsets, a copy of the header (non-first fragments
 * only keep options with the copied flag) and fresh checksums. Pure;
 * iterate with dp_frag4_next() into one output buffer per fragment.
 */
#ifndef UFOU_DATAPLANE_FRAG_H
#define UFOU_DATAPLANE_FRAG_H

#include <stddef.h>
#include <stdint.h>

struct dp_frag4 {
	const uint8_t *pkt;
	size_t hlen, plen;      /* header and payload length of the original */
	size_t done;            /* payload bytes already emitted */
	size_t chunk;           /* payload bytes per fragment (multiple of 8) */
	uint16_t base_off;      /* original fragment offset, 8-byte units */
	int base_mf;            /* original MF bit: kept on the last fragment */
};

/*
 * Prepares to split pkt[0..len) (a valid IPv4 packet; len is trusted only
 * up to the header's total length) into fragments of at most mtu bytes.
 * DF is cleared in the fragments. Returns the number of fragments, or
 * -EINVAL (not IPv4) / -EMSGSIZE (mtu too small for header + 8 bytes).
 */
int dp_frag4_init(struct dp_frag4 *f, const uint8_t *pkt, size_t len, unsigned int mtu);

/* Writes the next fragment into out[0..cap); returns its length, 0 when done, -ENOSPC. */
int dp_frag4_next(struct dp_frag4 *f, uint8_t *out, size_t cap);

/*
 * RFC 8200 section 4.5 fragmentation of an outer IPv6 packet, which RFC
 * 2473 section 7.1 asks of a tunnel entry point for inner IPv6 packets of
 * up to 1280 bytes on a narrower path (Linux clamps its ip6 tunnels' MTU at
 * 1280 and lets the outer packet be fragmented). The unfragmentable part
 * is the 40-byte header: a tunnel's outer packets carry no hop-by-hop or
 * routing header (the encapsulation limit option is for the far end, so
 * it travels in the fragments).
 */
struct dp_frag6 {
	const uint8_t *pkt;
	size_t plen;            /* bytes after the IPv6 header */
	size_t done;            /* of those, already emitted */
	size_t chunk;           /* per fragment (multiple of 8) */
	uint8_t nh;             /* the original next header */
	uint32_t id;
};

/*
 * Prepares to split pkt[0..len) (IPv6; len trusted up to its payload
 * length) into fragments of at most mtu bytes with identification id.
 * Returns the number of fragments, or -EINVAL (not IPv6, a hop-by-hop or
 * routing header first) / -EMSGSIZE (mtu below header + fragment header + 8).
 */
int dp_frag6_init(struct dp_frag6 *f, const uint8_t *pkt, size_t len, unsigned int mtu,
		  uint32_t id);

/* Writes the next fragment into out[0..cap); returns its length, 0 when done, -ENOSPC. */
int dp_frag6_next(struct dp_frag6 *f, uint8_t *out, size_t cap);

#endif
