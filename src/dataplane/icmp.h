/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP errors the data plane generates toward inner senders when a packet
 * does not fit the tunnel: ICMPv4 "fragmentation needed" (type 3 code 4)
 * and ICMPv6 "packet too big" (type 2). Pure: the caller writes the result
 * into the TUN device so the local stack learns the path MTU.
 */
#ifndef UFOU_DATAPLANE_ICMP_H
#define UFOU_DATAPLANE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux icmp_send() quotes so that the whole error is at most 576 bytes. */
#define DP_ICMP4_MAX_LEN 576
/* icmp6_send() quotes so that the whole error is at most 1280 bytes. */
#define DP_ICMP6_MAX_LEN 1280

/*
 * Whether an IPv4 packet may be answered with an ICMP error (icmp_send):
 * not a non-first fragment, not to/from broadcast, multicast or 0.0.0.0,
 * not itself an ICMP error.
 */
bool dp_icmp4_eligible(const uint8_t *pkt, size_t len);
/* icmp6_send(): source not unspecified/multicast, not itself an ICMPv6 error. */
bool dp_icmp6_eligible(const uint8_t *pkt, size_t len);

/*
 * Writes into out[0..cap) an IPv4 packet from src to the source of orig
 * carrying "fragmentation needed" with next-hop MTU mtu, quoting orig
 * (header and data, at most 548 bytes). id is the IPv4 identification.
 * Returns the length, or -EINVAL (orig not IPv4) / -ENOSPC. out and orig
 * must not overlap.
 */
int dp_icmp4_frag_needed(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
			 const uint8_t src[4], uint16_t mtu, uint16_t id);

/* Same for IPv6 "packet too big" quoting as much as fits 1280 bytes. */
int dp_icmp6_ptb(uint8_t *out, size_t cap, const uint8_t *orig, size_t len,
		 const uint8_t src[16], uint32_t mtu);

#endif
