/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive coalescing of decapsulated inner packets before they are written
 * to a TUN/TAP device with IFF_VNET_HDR: consecutive TCP segments of one
 * flow become one GSO super-packet (VIRTIO_NET_HDR_GSO_TCPV4/TCPV6), as the
 * kernel's tcp_gro_receive would build it, so the receiving stack sees
 * exactly what it would have seen through a kernel tunnel with GRO.
 *
 * A packet joins the open super-packet of its flow only when nothing the
 * receiver could observe changes: same addresses and ports, same L2 header
 * (tap), IPv4 without options or fragmentation with equal TOS, TTL and DF
 * and IDs going up by one (or all equal with DF), IPv6 with TCP right after
 * the fixed header and an equal first word (traffic class, flow label) and
 * hop limit; TCP with equal header length and option bytes, ACK number and
 * window, flags ACK (ECE as the head) with PSH only on the last, the next
 * expected sequence number, a payload no larger than the first one's, a
 * valid checksum, and at most 64 KB. A payload shorter than the first, or
 * PSH, ends the super-packet.
 *
 * UDP datagrams are coalesced into a UDP_L4 super-packet (USO, as
 * udp_gro_receive_segment without fraglist) only for the IP versions the
 * caller enables, i.e. where the device accepted USO4/USO6: same addresses
 * and ports, the same IPv4/IPv6 rules as TCP except that IPv4 IDs may also
 * be all 0, a payload no larger than the first one's (a shorter one ends
 * the batch), a non-zero valid checksum, at most 64 datagrams and 64 KB.
 *
 * Anything else passes through on its own, after the open super-packet of
 * its flow (order within a flow is kept).
 *
 * Pure: items point into the caller's receive buffers, which must stay put
 * until the table is written out and reset.
 */
#ifndef UFOU_PROTO_GRO_H
#define UFOU_PROTO_GRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vnet.h"

#define UF_GRO_MAX_SEGS 64

/* uf_gro_set_udp: coalesce UDP over IPv4 / IPv6 (the device took USO4 / USO6). */
#define UF_GRO_UDP4 0x1
#define UF_GRO_UDP6 0x2

/* A payload slice appended to an item (segments after its first packet). */
struct uf_gro_seg {
	const uint8_t *p;
	uint32_t len;
	int32_t next;           /* index of the next slice of the same item, -1 = last */
};

/* One packet to write: a single packet, or a super-packet with slices. */
struct uf_gro_item {
	uint8_t *pkt;           /* first packet (headers patched by uf_gro_finish) */
	uint32_t len;           /* its bytes */
	uint32_t payload;       /* payload bytes of all segments */
	uint16_t l3_off, l4_off, hdr_len;
	uint16_t gso_size;      /* payload of the first packet */
	uint16_t nseg;
	uint16_t last_id;       /* IPv4 ID of the last segment */
	int8_t id_step;         /* -1 unknown, 0 all 0 (UDP), 1 incrementing */
	uint8_t version;
	uint8_t proto;          /* 6 or 17 */
	bool open;              /* may take more segments */
	bool psh;               /* the last segment had PSH */
	uint32_t next_seq;      /* TCP */
	uint32_t hash;          /* flow hash, quick reject */
	int32_t first, last;    /* slices */
};

struct uf_gro {
	struct uf_gro_item *items;
	size_t nitems, cap_items;
	struct uf_gro_seg *segs;
	size_t nsegs, cap_segs;
	unsigned int udp;       /* UF_GRO_UDP4 | UF_GRO_UDP6 */
};

/* Storage is the caller's: cap_items items, cap_segs slices. */
void uf_gro_init(struct uf_gro *g, struct uf_gro_item *items, size_t cap_items,
		 struct uf_gro_seg *segs, size_t cap_segs);
/* Which IP versions' UDP datagrams may be coalesced (none after init). */
void uf_gro_set_udp(struct uf_gro *g, unsigned int versions);
/* Forgets every item (after they were written). */
void uf_gro_reset(struct uf_gro *g);

/*
 * Adds the packet pkt[0..len) whose IP header is at l3_off (0 on TUN, 14
 * on TAP; for a non-IP frame pass l3_off = len). It either joins an open
 * super-packet or becomes a new item. Returns 0, or -ENOSPC when the table
 * is full: write it out, reset, and add again.
 */
int uf_gro_add(struct uf_gro *g, uint8_t *pkt, size_t len, size_t l3_off);

/*
 * Prepares item it for writing: a single packet gets an empty vnet header;
 * a super-packet gets its IPv4 total length and header checksum or IPv6
 * payload length, PSH when its last segment had it (TCP) or the UDP length
 * of the whole, the pseudo-header sum in the L4 checksum field, and a
 * NEEDS_CSUM + GSO vnet header (TCPV4/TCPV6 or UDP_L4).
 */
void uf_gro_finish(struct uf_gro_item *it, struct uf_vnet_hdr *vh);

#endif
