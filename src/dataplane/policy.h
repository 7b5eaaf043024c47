/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-packet decisions of the data plane that need no I/O: does a link
 * carry this inner packet, what to do with one over the MTU (send,
 * fragment the outer IPv4 packet, or answer with ICMP), and the GRE
 * receive sequence-number rule.
 */
#ifndef UFOU_DATAPLANE_POLICY_H
#define UFOU_DATAPLANE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/model.h"

#define DP_IP6_MIN_MTU 1280

/* What a transmit-side inner packet is. */
struct dp_inner {
	uint8_t version;   /* 4 or 6; 0 for a non-IP frame on a tap link */
	size_t l3_off;     /* offset of the IP header (14 on tap links) */
	size_t l3_len;     /* bytes from l3_off to the end */
	bool df;           /* IPv4 DF bit */
};

/*
 * Classifies pkt[0..len) as read from a link's TUN/TAP device: ipip takes
 * IPv4, sit IPv6 (mode ip6ip) or IPv4 (ipip/any), ip6tnl IPv4 (ipip6),
 * IPv6 (ip6ip6) or both (any), gre/ip6gre IPv4 and IPv6, taps any
 * Ethernet frame. Returns 0, or -1 when the link cannot carry it.
 */
int dp_tx_inner(enum uf_link_type type, enum uf_link_mode mode, const uint8_t *pkt, size_t len,
		struct dp_inner *in);

enum dp_pmtu {
	DP_PMTU_SEND,    /* fits: encapsulate and send */
	DP_PMTU_FRAG,    /* encapsulate, then fragment the outer packet */
	DP_PMTU_ICMP,    /* too big: answer with frag-needed / packet-too-big */
	DP_PMTU_DROP,    /* too big, nobody to tell */
};

/*
 * The PMTU rule of ip_tunnel_xmit()/tnl_update_pmtu(): limit is the link's
 * MTU for inner L3 packets (the smaller of the device MTU and what the
 * underlay allows), outer_fits whether the whole outer packet fits the
 * underlay MTU. IPv4 with DF (and IPv6 always) over the limit gets ICMP
 * with *icmp_mtu (IPv6: at least 1280); IPv4 without DF is sent, its outer
 * packet fragmented when it does not fit an IPv4 underlay.
 */
enum dp_pmtu dp_tx_pmtu(uint8_t outer_family, const struct dp_inner *in, unsigned int limit,
			bool outer_fits, unsigned int *icmp_mtu);

/*
 * GRE iseq (ip_tunnel_rcv): a packet must carry a sequence number no older
 * than *next (0 = nothing seen yet); on acceptance *next becomes seq + 1.
 */
bool dp_gre_seq_ok(bool has_seq, uint32_t seq, uint32_t *next);

#endif
