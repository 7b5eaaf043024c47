/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv4 and IPv6 headers: decode (outer and inner) and encode (outer), with
 * the tunnel semantics Linux applies: TTL/hop limit fixed or inherited,
 * TOS/traffic class fixed or inherited with ECN per RFC 6040, DF from
 * pmtudisc or copied from the inner packet, and the RFC 2473 Tunnel
 * Encapsulation Limit destination option that ip6tnl/ip6gre insert.
 *
 * Pure: no allocation, no I/O; every length is checked before a read.
 */
#ifndef UFOU_PROTO_IP_H
#define UFOU_PROTO_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

#define UF_IPPROTO_ICMP    1
#define UF_IPPROTO_IPIP    4
#define UF_IPPROTO_TCP     6
#define UF_IPPROTO_UDP     17
#define UF_IPPROTO_IPV6    41
#define UF_IPPROTO_GRE     47
#define UF_IPPROTO_ICMPV6  58
#define UF_IPPROTO_DSTOPTS 60

#define UF_IP4_HLEN   20
#define UF_IP6_HLEN   40
#define UF_DSTOPT_LEN 8   /* encap limit option + PadN, one 8-byte unit */

#define UF_ECN_MASK    0x03
#define UF_ECN_NOT_ECT 0x00
#define UF_ECN_ECT_1   0x01
#define UF_ECN_ECT_0   0x02
#define UF_ECN_CE      0x03

/* A decoded (or to-be-encoded) IP header. Addresses: IPv4 uses bytes 0..3. */
struct uf_ip {
	uint8_t family;        /* 4 or 6 */
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t ttl;           /* hop limit on IPv6 */
	uint8_t tos;           /* traffic class on IPv6 */
	uint8_t proto;         /* IPv6: next header after the ext headers we walk */
	bool df;               /* IPv4 only */
	bool mf;               /* IPv4: more fragments */
	uint16_t frag_off;     /* IPv4: fragment offset in 8-byte units */
	uint16_t id;           /* IPv4 identification */
	uint32_t flowlabel;    /* IPv6, 20 bits */
	int16_t encap_limit;   /* IPv6 tunnel encap limit option, -1 = absent */
	uint16_t hdr_len;      /* bytes of IP header incl. walked ext headers */
	uint32_t total_len;    /* header + payload as the header states */
	bool csum_ok;          /* IPv4 header checksum verified */
};

/*
 * Decodes the IP header at p[0..len). IPv6 destination-options and
 * hop-by-hop headers are walked (the encap limit option is reported); the
 * payload must lie within len. Returns UF_DROP_NONE or the drop reason.
 */
enum uf_drop uf_ip_decode(const uint8_t *p, size_t len, struct uf_ip *ip);

/* Header bytes uf_ip_encode() writes: 20, 40, or 48 with an encap limit. */
size_t uf_ip_hdr_len(const struct uf_ip *ip);

/*
 * Writes the header for ip (family, addresses, ttl, tos, df, id, proto,
 * flowlabel, encap_limit; IPv4 mf/frag_off too, normally 0) in front of
 * payload_len bytes of payload, into
 * out[0..cap). IPv4 gets a valid header checksum. With encap_limit >= 0 an
 * IPv6 header is followed by the 8-byte destination options header
 * (next header = ip->proto). Returns the header length, or -EMSGSIZE/-EINVAL.
 */
int uf_ip_encode(uint8_t *out, size_t cap, const struct uf_ip *ip, size_t payload_len);
/* uf_ip_encode() with an IPv4 header checksum of 0, for a caller that sums it later. */
int uf_ip_encode_nocsum(uint8_t *out, size_t cap, const struct uf_ip *ip, size_t payload_len);

/* RFC 6040 / Linux INET_ECN_encapsulate: outer DS field from (outer tos, inner tos). */
uint8_t uf_ecn_encap(uint8_t outer_tos, uint8_t inner_tos);

/*
 * RFC 6040 decapsulation (Linux __INET_ECN_decapsulate): given the outer and
 * inner DS fields, returns -1 to drop (CE on Not-ECT), otherwise 0 and sets
 * *new_inner to the inner DS field to forward; *log is set when Linux would
 * log "non-ECT from ..." (ECT outer on Not-ECT inner).
 */
int uf_ecn_decap(uint8_t outer_tos, uint8_t inner_tos, uint8_t *new_inner, bool *log);

/* Reads / rewrites the DS field (TOS / traffic class) of an IP packet in place. */
uint8_t uf_ip_get_dsfield(const uint8_t *pkt);
void uf_ip_set_dsfield(uint8_t *pkt, uint8_t ds); /* fixes the IPv4 checksum */

/* Pseudo-header partial sum for an upper layer of proto and len under ip. */
uint32_t uf_ip_pseudo(const struct uf_ip *ip, uint8_t proto, uint32_t len);

/* Recomputes the header checksum of an IPv4 header of ihl bytes in place. */
void uf_ip4_fix_csum(uint8_t *hdr, size_t ihl);

#endif
