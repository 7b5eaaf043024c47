// SPDX-License-Identifier: GPL-2.0
/*
 * Inner flow keys, a keyed flow hash, and the UDP source port / IPv6 flow
 * label Linux derives from it.
 *
 * Like the kernel's flow dissector (as used by skb_get_hash), fragments of
 * a datagram - the first one included - hash without ports, so every
 * fragment of one datagram gets the same outer source port and cannot be
 * reordered across ECMP paths. ICMP hashes on addresses and protocol only.
 */
#include <string.h>

#include "bytes.h"
#include "flow.h"
#include "ip.h"

#define ETH_HLEN        14
#define ETH_P_IP        0x0800
#define ETH_P_IPV6      0x86dd
#define IPPROTO_SCTP    132
#define IPPROTO_UDPLITE 136
#define IP6_HOP         0
#define IP6_ROUTING     43
#define IP6_FRAGMENT    44
#define IP6_MAX_EXTHDRS 8   /* bound on the ext header walk */

static bool has_ports(uint8_t proto)
{
	return proto == UF_IPPROTO_TCP || proto == UF_IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP;
}

static void read_ports(const uint8_t *p, size_t len, size_t off, struct uf_flow *f)
{
	if (!has_ports(f->proto) || off + 4 > len)
		return;
	f->sport = get_be16(p + off);
	f->dport = get_be16(p + off + 2);
}

static void extract4(const uint8_t *p, size_t len, struct uf_flow *f)
{
	size_t ihl;

	if (len < UF_IP4_HLEN)
		return;
	f->family = 4;
	f->proto = p[9];
	memcpy(f->src, p + 12, 4);
	memcpy(f->dst, p + 16, 4);
	ihl = (size_t)(p[0] & 0x0f) * 4;
	/* MF or a fragment offset: no ports (see the top of the file). */
	if (ihl < UF_IP4_HLEN || (get_be16(p + 6) & 0x3fff))
		return;
	read_ports(p, len, ihl, f);
}

static void extract6(const uint8_t *p, size_t len, struct uf_flow *f)
{
	size_t off = UF_IP6_HLEN;
	uint8_t nh;
	int i;

	if (len < UF_IP6_HLEN)
		return;
	f->family = 6;
	memcpy(f->src, p + 8, 16);
	memcpy(f->dst, p + 24, 16);
	nh = p[6];
	for (i = 0; i < IP6_MAX_EXTHDRS; i++) {
		if (nh != IP6_HOP && nh != UF_IPPROTO_DSTOPTS && nh != IP6_ROUTING &&
		    nh != IP6_FRAGMENT)
			break;
		if (off + 8 > len)
			break;
		if (nh == IP6_FRAGMENT) {
			/* Any fragment: the upper protocol, but no ports. */
			f->proto = p[off];
			return;
		}
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	f->proto = nh;
	read_ports(p, len, off, f);
}

void uf_flow_extract(const uint8_t *pkt, size_t len, int eth, struct uf_flow *f)
{
	uint16_t type = 0;

	memset(f, 0, sizeof(*f));
	if (eth) {
		if (len < ETH_HLEN)
			return;
		type = get_be16(pkt + 12);
		if (type != ETH_P_IP && type != ETH_P_IPV6) {
			/* Not IP: the MAC pair and ethertype are all there is. */
			memcpy(f->dst, pkt, 6);
			memcpy(f->src, pkt + 6, 6);
			f->dport = type;
			return;
		}
		pkt += ETH_HLEN;
		len -= ETH_HLEN;
	}
	if (len < 1)
		return;
	if (pkt[0] >> 4 == 4 && type != ETH_P_IPV6)
		extract4(pkt, len, f);
	else if (pkt[0] >> 4 == 6 && type != ETH_P_IP)
		extract6(pkt, len, f);
}

/* SipHash-1-3 (Aumasson/Bernstein), the variant Linux uses for hsiphash. */
#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
	do {                                                                  \
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t siphash13(const uint8_t *m, size_t len, uint64_t k0, uint64_t k1)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t b = (uint64_t)len << 56, w;
	uint8_t tail[8] = { 0 };

	for (; len >= 8; m += 8, len -= 8) {
		w = le64(m);
		v3 ^= w;
		SIPROUND;
		v0 ^= w;
	}
	memcpy(tail, m, len);
	b |= le64(tail);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t uf_flow_hash(const struct uf_flow *f, uint32_t seed)
{
	/* family, proto, sport, dport, src, dst: at most 2 + 4 + 32 bytes. */
	uint8_t m[40];
	size_t alen = f->family == 4 ? 4 : 16, n = 0;
	const uint8_t *a = f->src, *b = f->dst;
	uint16_t pa = f->sport, pb = f->dport, t;
	uint64_t h;

	/* Order the endpoints so both directions of a flow hash alike, as Linux does. */
	if (memcmp(a, b, alen) > 0 || (memcmp(a, b, alen) == 0 && pa > pb)) {
		a = f->dst;
		b = f->src;
		t = pa;
		pa = pb;
		pb = t;
	}
	m[n++] = f->family;
	m[n++] = f->proto;
	put_be16(m + n, pa);
	put_be16(m + n + 2, pb);
	n += 4;
	memcpy(m + n, a, alen);
	memcpy(m + n + alen, b, alen);
	n += 2 * alen;
	h = siphash13(m, n, seed, (uint64_t)seed << 32 ^ 0x9e3779b97f4a7c15ull);
	h ^= h >> 32;
	return (uint32_t)h ? (uint32_t)h : 1;
}

uint16_t uf_flow_sport(uint32_t hash, uint16_t min, uint16_t max)
{
	if (min >= max)
		return min;
	hash ^= hash << 16;
	return (uint16_t)((((uint64_t)hash * (uint32_t)(max - min)) >> 32) + min);
}

uint32_t uf_flow_label(uint32_t hash)
{
	uint32_t label = (hash << 16 | hash >> 16) & 0xfffff;

	return label ? label : 1;
}
