/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transmit: everything a tunnel link puts in front of an inner packet, as
 * Linux's ip_tunnel_xmit / ip6_tnl_xmit with fou/gue encap ops do:
 *
 *   outer IP [IPv6 dst-opt encap limit] | UDP | [GUE] | [GRE] | inner
 *
 * The caller owns one buffer with headroom in front of the inner packet;
 * headers are written backwards into the headroom, payload never moves.
 */
#ifndef UFOU_PROTO_ENCAP_H
#define UFOU_PROTO_ENCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"

/* Most header bytes any encapsulation prepends (IPv6+dstopt+UDP+GUE/RCO+GRE). */
#define UF_ENCAP_MAX_HDR (UF_IP6_HLEN + UF_DSTOPT_LEN + 8 + 12 + 16)

enum uf_encap_type { UF_ENCAP_NONE = 0, UF_ENCAP_FOU = 1, UF_ENCAP_GUE = 2 };

/* What the inner payload is, which decides FOU ipproto / GUE proto / GRE proto. */
enum uf_inner_kind {
	UF_INNER_IP,    /* IPv4 or IPv6, from the version nibble */
	UF_INNER_ETH,   /* Ethernet frame: GRE proto 0x6558 (gretap) */
};

/* Static parameters of one tunnel link's transmit side. */
struct uf_tx {
	/* outer IP */
	uint8_t family;            /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint8_t ttl;               /* 0 = inherit from inner (IPv4 TTL / IPv6 hop limit) */
	uint8_t tos;               /* fixed DS field (ECN bits come from inner) */
	bool tos_inherit;          /* DS field from inner TOS / traffic class */
	bool pmtudisc;             /* IPv4: DF always; else copied from inner IPv4 */
	int16_t encap_limit;       /* IPv6: RFC 2473 option value, -1 = none */
	uint32_t flowlabel;        /* IPv6: fixed label, 0 = derived from the inner flow */
	bool flowlabel_inherit;    /* IPv6: copy the inner IPv6 flow label */
	/* UDP encapsulation */
	enum uf_encap_type encap;  /* NONE is not valid here: ufou always encapsulates */
	uint16_t sport;            /* 0 = auto (per-flow hash in [sport_min, sport_max)) */
	uint16_t sport_min, sport_max;
	uint16_t dport;
	bool udp_csum;             /* outer UDP checksum (encap-csum / encap-udp6-csum) */
	bool csum_defer;           /* outer UDP and IPv4 header sums: uf_encap_finish() */
	bool remcsum;              /* GUE remote checksum offload */
	/* GRE (gre, gretap, ip6gre, ip6gretap) */
	bool gre;
	bool gre_csum, gre_key, gre_seq;
	uint32_t gre_okey;
	enum uf_inner_kind inner_kind;
	uint32_t hash_seed;
};

/* Per-link mutable transmit state. */
struct uf_tx_state {
	uint16_t ip_id;            /* next IPv4 ID */
	uint32_t gre_seq;          /* last GRE sequence number sent (first sent is 1) */
};

/* Where an inner L4 checksum still holds only the pseudo-header sum
 * (a "partial" checksum, as CHECKSUM_PARTIAL in Linux / vnet NEEDS_CSUM). */
struct uf_partial_csum {
	uint16_t start;   /* offset of the L4 header from the inner packet start */
	uint16_t offset;  /* offset of the checksum field from start */
};

/* Header bytes the link adds (for its MTU), as Linux counts: GUE reserves
 * 12 bytes only with remcsum... per gue_encap_hlen; ip6 adds 8 for an
 * encap limit; gretap also subtracts 14 for the Ethernet header in the MTU. */
size_t uf_tx_overhead(const struct uf_tx *tx);

/* Default link MTU on an underlay of underlay_mtu bytes (1500 -> 1472 for ipip/fou). */
unsigned int uf_tx_default_mtu(const struct uf_tx *tx, unsigned int underlay_mtu);

/*
 * Encapsulates the inner packet at buf[headroom .. headroom+inner_len).
 * partial, when not NULL, says the inner L4 checksum is partial: with
 * remcsum the GUE option is emitted and the field is left as is; without,
 * the checksum is completed first. Returns the offset in buf where the
 * outer packet starts (its length in *out_len), or -errno: -ENOSPC when the
 * headroom is short, -EINVAL for an inner packet the link cannot carry
 * (e.g. not IPv4 on ipip), -EMSGSIZE when the result would exceed 65535.
 */
int uf_encap(const struct uf_tx *tx, struct uf_tx_state *st, uint8_t *buf, size_t headroom,
	     size_t inner_len, const struct uf_partial_csum *partial, size_t *out_len);

/*
 * With tx->csum_defer (and tx->udp_csum), uf_encap() writes the outer UDP
 * checksum and the outer IPv4 header checksum as zero and leaves them to this: for a sender that has most outer packets checksummed
 * elsewhere (UDP GSO, where only the UDP payload goes to the kernel) and
 * pays for the sum only on the packets it sends whole. pkt[0..len) is the
 * outer packet uf_encap() returned under the same tx, unchanged since; it
 * gets the checksum tx->udp_csum asks for, so that it is then byte for
 * byte what uf_encap() without csum_defer builds. Nothing to do without
 * csum_defer or udp_csum. Returns 0, or -EINVAL when pkt cannot be such a
 * packet (too short, another family or header layout, wrong UDP length).
 */
int uf_encap_finish(const struct uf_tx *tx, uint8_t *pkt, size_t len);

#endif
