/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inner flow keys and what Linux derives from them: the `encap-sport auto`
 * UDP source port (udp_flow_src_port: hash ^= hash << 16, then scaled into
 * [min, max) by multiply-shift) and the IPv6 flow label (20 bits of the
 * rotated hash). The hash is keyed with a caller-provided seed (Linux seeds
 * per boot), so values are stable per flow and per seed, spread across flows.
 * ICMP flows hash on the address pair only, as the kernel's do.
 */
#ifndef UFOU_PROTO_FLOW_H
#define UFOU_PROTO_FLOW_H

#include <stddef.h>
#include <stdint.h>

struct uf_flow {
	uint8_t family;    /* 4, 6, or 0 when not IP (hash falls back to bytes) */
	uint8_t proto;
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;    /* 0 unless TCP/UDP/SCTP/UDPLITE */
	uint16_t dport;
};

/*
 * Extracts flow keys from an inner packet (IPv4 or IPv6 at pkt, or an
 * Ethernet frame when eth is set). Never reads past len; short or unknown
 * packets give a flow with only what could be read.
 */
void uf_flow_extract(const uint8_t *pkt, size_t len, int eth, struct uf_flow *f);

/* Keyed 32-bit flow hash; never returns 0 (as skb_get_hash falls back). */
uint32_t uf_flow_hash(const struct uf_flow *f, uint32_t seed);

/* Source port in [min, max) per Linux udp_flow_src_port (min < max). */
uint16_t uf_flow_sport(uint32_t hash, uint16_t min, uint16_t max);

/* IPv6 flow label (ip6_make_flowlabel with auto labels): 20 bits, never 0. */
uint32_t uf_flow_label(uint32_t hash);

#endif
