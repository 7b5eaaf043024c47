/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Classic pcap files (not pcapng), read from a memory buffer: both byte
 * orders, micro- and nanosecond variants. Every record length is checked
 * against the file before use.
 */
#ifndef UFOU_PROTO_PCAP_H
#define UFOU_PROTO_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define UF_DLT_NULL      0
#define UF_DLT_EN10MB    1
#define UF_DLT_RAW       101
#define UF_DLT_LINUX_SLL 113
#define UF_DLT_IPV4      228
#define UF_DLT_IPV6      229
#define UF_DLT_LINUX_SLL2 276

struct uf_pcap {
	const uint8_t *buf;
	size_t len, off;
	int swapped, nsec;
	uint32_t linktype, snaplen;
};

struct uf_pcap_rec {
	const uint8_t *data;
	uint32_t caplen, origlen;
	uint32_t ts_sec, ts_frac;
};

/* Parses the global header. Returns 0 or -EINVAL (bad magic, short, version). */
int uf_pcap_open(struct uf_pcap *pc, const uint8_t *buf, size_t len);

/* Next record: 1 = rec filled, 0 = clean end of file, -EINVAL = truncated/corrupt. */
int uf_pcap_next(struct uf_pcap *pc, struct uf_pcap_rec *rec);

/*
 * Offset of the IP header in a record of the given link type (Ethernet with
 * up to two VLAN tags, raw IP, Linux cooked v1/v2, BSD loopback). Returns
 * 0 and sets *off, or -ENOENT when the frame carries no IPv4/IPv6,
 * -EPROTONOSUPPORT for an unsupported link type, -EINVAL when truncated.
 */
int uf_pcap_l3_offset(uint32_t linktype, const uint8_t *data, size_t len, size_t *off);

#endif
