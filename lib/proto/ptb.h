/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "Packet too big" reports about the outer packets a tunnel sends: ICMP
 * "fragmentation needed" (type 3 code 4) and ICMPv6 "packet too big"
 * (type 2), as a router on the path returns them to the tunnel's local
 * address. Linux learns the path MTU from them even though no socket owns
 * the outer flow (the source port is the inner flow's hash): the UDP error
 * path hands them to the fou/gue error handler, which finds the tunnel by
 * the quoted addresses and lowers the route's MTU. ufoud does the same from
 * a raw ICMP socket; this is the parsing and matching, on untrusted bytes.
 *
 * Pure: no allocation, no I/O; every length is checked before a read.
 */
#ifndef UFOU_PROTO_PTB_H
#define UFOU_PROTO_PTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encap.h"

/* Why a received ICMP error taught nothing; names appear in counters. */
#define UF_PTB_REASONS(X)                                                     \
	X(NONE, "none")                   /* learned (or refreshed) */        \
	X(OTHER, "other-icmp")            /* another type or code */          \
	X(TRUNCATED, "truncated")         /* ICMP or quote cut short */       \
	X(BAD_CSUM, "bad-csum")           /* ICMP checksum (IPv4) */          \
	X(BAD_QUOTE, "bad-quote")         /* quote not an IP header, or a fragment */      \
	X(NOT_OURS, "not-ours")           /* no link sends such a packet (or not UDP) */   \
	X(NOT_LOWER, "not-lower")         /* no smaller than what we use */

enum uf_ptb_reason {
#define UF_PTB_ENUM(sym, str) UF_PTB_##sym,
	UF_PTB_REASONS(UF_PTB_ENUM)
#undef UF_PTB_ENUM
	UF_PTB__COUNT
};

#define UF_PTB_MIN_PMTU4 552    /* net.ipv4.route.min_pmtu default */
#define UF_PTB_MIN_MTU6  1280   /* IPV6_MIN_MTU */

/* A decoded report: the MTU and the quoted outer IP + UDP header. */
struct uf_ptb {
	uint32_t mtu;              /* as reported, not clamped */
	uint8_t family;            /* of the quoted packet */
	uint8_t src[16], dst[16];  /* quoted source (ours) and destination */
	uint16_t sport, dport;     /* quoted UDP ports, host order */
	const uint8_t *after;      /* quoted bytes after the UDP header */
	size_t after_len;
};

/*
 * An IPv4 datagram as a raw IPPROTO_ICMP socket reads it (IP header
 * first). The ICMP checksum is verified here: raw sockets get their copy
 * before the ICMP layer checks it. Returns UF_PTB_NONE when it is a
 * frag-needed quoting an IPv4 UDP packet, with *out filled.
 */
enum uf_ptb_reason uf_ptb4_decode(const uint8_t *p, size_t len, struct uf_ptb *out);

/*
 * An ICMPv6 message as a raw IPPROTO_ICMPV6 socket reads it (no IPv6
 * header; the kernel verified the checksum). Returns UF_PTB_NONE for a
 * packet-too-big quoting an IPv6 UDP packet (destination options, hop-by-
 * hop and routing headers are walked, as ip6tnl's encap limit puts one).
 */
enum uf_ptb_reason uf_ptb6_decode(const uint8_t *p, size_t len, struct uf_ptb *out);

/*
 * Whether the quoted packet is one that a link transmitting with tx sends:
 * addresses (the source only when src is given: a link with local "any"
 * knows its source only once learned), UDP destination port, source port
 * (fixed, or within the auto range) and, as far as quoted, the header after
 * UDP: a full GUE header (version 0, not control) carrying this link's
 * protocol, or for FOU the inner IP version / GRE version.
 */
bool uf_ptb_matches(const struct uf_ptb *q, const struct uf_tx *tx, const uint8_t *src);

/*
 * The path MTU Linux takes from a report: below min_pmtu4 (IPv4) it uses
 * min_pmtu4, below 1280 (IPv6) 1280 (__ip_rt_update_pmtu,
 * __ip6_rt_update_pmtu).
 */
uint32_t uf_ptb_clamp(uint8_t family, uint32_t mtu, uint32_t min_pmtu4);

/* Stable name of a reason ("not-ours"); "unknown" when out of range. */
const char *uf_ptb_reason_name(enum uf_ptb_reason r);

#endif
