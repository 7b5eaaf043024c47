/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helper: builds IPv4/IPv6 TCP or UDP packets with valid checksums
 * (optionally behind a 14-byte Ethernet header) for the GSO/GRO tests.
 */
#ifndef UFOU_TESTS_TCPKT_H
#define UFOU_TESTS_TCPKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "proto/bytes.h"
#include "proto/csum.h"

struct tpk {
	uint8_t version;        /* 4 or 6 */
	uint8_t proto;          /* 6 or 17 */
	size_t l2;              /* 0, or 14 for an Ethernet header */
	uint8_t tos, ttl;
	bool df;
	uint16_t id;
	uint32_t label;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	size_t optlen;          /* TCP option bytes (multiple of 4), filled with NOP/TS-like bytes */
	uint8_t optbyte;        /* varies the option contents */
	size_t plen;
	uint8_t fill;           /* payload byte i is fill + i */
	bool partial;           /* leave the pseudo-header sum (NEEDS_CSUM) */
};

static inline struct tpk tpk_default(uint8_t version)
{
	struct tpk t = {
		.version = version, .proto = 6, .ttl = 64, .df = true, .id = 0x1234,
		.sport = 40000, .dport = 5201, .seq = 1000, .ack = 77, .flags = 0x10,
		.win = 512, .optlen = 12, .optbyte = 1, .plen = 100,
	};
	return t;
}

static inline uint32_t tpk_pseudo(const uint8_t *ip, uint8_t version, uint8_t proto, uint32_t len)
{
	if (version == 4)
		return uf_csum_pseudo4(ip + 12, ip + 16, proto, len);
	return uf_csum_pseudo6(ip + 8, ip + 24, proto, len);
}

/* Writes the packet into out; returns its length. */
static inline size_t tpk_build(const struct tpk *t, uint8_t *out)
{
	size_t iphl = t->version == 4 ? 20 : 40;
	size_t l4h = t->proto == 6 ? 20 + t->optlen : 8;
	size_t l4len = l4h + t->plen, len = t->l2 + iphl + l4len;
	uint8_t *ip = out + t->l2, *l4 = ip + iphl;
	uint32_t sum;

	memset(out, 0, len);
	if (t->l2) {
		memcpy(out, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
		put_be16(out + 12, t->version == 4 ? 0x0800 : 0x86dd);
	}
	if (t->version == 4) {
		ip[0] = 0x45;
		ip[1] = t->tos;
		put_be16(ip + 2, (uint16_t)(iphl + l4len));
		put_be16(ip + 4, t->id);
		ip[6] = t->df ? 0x40 : 0;
		ip[8] = t->ttl;
		ip[9] = t->proto;
		memcpy(ip + 12, "\xc6\x13\x01\x01\xc6\x13\x01\x02", 8);
		put_be16(ip + 10, uf_csum(ip, 20));
	} else {
		put_be32(ip, 6u << 28 | (uint32_t)t->tos << 20 | (t->label & 0xfffff));
		put_be16(ip + 4, (uint16_t)l4len);
		ip[6] = t->proto;
		ip[7] = t->ttl;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	}
	put_be16(l4, t->sport);
	put_be16(l4 + 2, t->dport);
	if (t->proto == 6) {
		put_be32(l4 + 4, t->seq);
		put_be32(l4 + 8, t->ack);
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = t->flags;
		put_be16(l4 + 14, t->win);
		for (size_t i = 0; i < t->optlen; i++)
			l4[20 + i] = (uint8_t)(i < 2 ? 1 : t->optbyte + i);
	} else {
		put_be16(l4 + 4, (uint16_t)l4len);
	}
	for (size_t i = 0; i < t->plen; i++)
		l4[l4h + i] = (uint8_t)(t->fill + i);
	sum = tpk_pseudo(ip, t->version, t->proto, (uint32_t)l4len);
	if (t->partial) {
		put_be16(l4 + (t->proto == 6 ? 16 : 6), uf_csum_fold16(sum));
	} else {
		uint16_t c = uf_csum_finish(uf_csum_partial(l4, l4len, sum));

		put_be16(l4 + (t->proto == 6 ? 16 : 6), c || t->proto == 6 ? c : 0xffff);
	}
	return len;
}

/* Whether the L4 checksum of pkt (IP at l2) verifies. */
static inline bool tpk_l4_ok(const uint8_t *pkt, size_t len, size_t l2)
{
	const uint8_t *ip = pkt + l2;
	uint8_t version = ip[0] >> 4;
	size_t iphl = version == 4 ? (size_t)(ip[0] & 15) * 4 : 40;
	uint8_t proto = version == 4 ? ip[9] : ip[6];
	uint32_t l4len = (uint32_t)(len - l2 - iphl);

	return uf_csum_fold16(uf_csum_partial(ip + iphl, l4len,
					      tpk_pseudo(ip, version, proto, l4len))) == 0xffff;
}

#endif
