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

#endif
