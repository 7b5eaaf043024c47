// SPDX-License-Identifier: GPL-2.0
/*
 * Outer fragmentation: IPv4 (RFC 791 section 3.2, as ip_do_fragment's slow
 * path) and IPv6 (RFC 8200 section 4.5, as ip6_fragment's slow path).
 */
#include <errno.h>
#include <string.h>

#include "dataplane/frag.h"

#include "proto/bytes.h"
#include "proto/csum.h"

#define IP4_HLEN 20
#define IP_MF 0x2000
#define IP_DF 0x4000
#define IP_OFFSET 0x1fff
#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IPOPT_COPY 0x80

int dp_frag4_init(struct dp_frag4 *f, const uint8_t *pkt, size_t len, unsigned int mtu)
{
	size_t tot, hlen;
	uint16_t fo;

	memset(f, 0, sizeof(*f));
	if (len < IP4_HLEN || pkt[0] >> 4 != 4)
		return -EINVAL;
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	tot = get_be16(pkt + 2);
	if (hlen < IP4_HLEN || tot < hlen || tot > len)
		return -EINVAL;
	if (mtu < hlen + 8)
		return -EMSGSIZE;
	fo = get_be16(pkt + 6);
	f->pkt = pkt;
	f->hlen = hlen;
	f->plen = tot - hlen;
	f->chunk = (mtu - hlen) & ~(size_t)7;
	f->base_off = fo & IP_OFFSET;
	f->base_mf = !!(fo & IP_MF);
	return f->plen ? (int)((f->plen + f->chunk - 1) / f->chunk) : 1;
}

/* Options of a non-first fragment: only those with the copied flag (RFC 791). */
static size_t copy_options(const uint8_t *opt, size_t olen, uint8_t *out)
{
	size_t i = 0, n = 0;

	while (i < olen && opt[i] != IPOPT_END) {
		size_t l = 1;

		if (opt[i] != IPOPT_NOOP) {
			if (i + 1 >= olen || opt[i + 1] < 2 || i + opt[i + 1] > olen)
				break;
			l = opt[i + 1];
			if (opt[i] & IPOPT_COPY) {
				memcpy(out + n, opt + i, l);
				n += l;
			}
		}
		i += l;
	}
	while (n & 3)
		out[n++] = IPOPT_END;
	return n;
}

int dp_frag4_next(struct dp_frag4 *f, uint8_t *out, size_t cap)
{
	size_t n, hlen = f->hlen, off = f->done;
	uint16_t fo;

	if (!f->pkt || (off >= f->plen && off))
		return 0;
	n = f->plen - off < f->chunk ? f->plen - off : f->chunk;
	if (cap < hlen + n)
		return -ENOSPC;
	memcpy(out, f->pkt, IP4_HLEN);
	if (off)
		hlen = IP4_HLEN + copy_options(f->pkt + IP4_HLEN, f->hlen - IP4_HLEN,
					       out + IP4_HLEN);
	else
		memcpy(out + IP4_HLEN, f->pkt + IP4_HLEN, hlen - IP4_HLEN);
	memcpy(out + hlen, f->pkt + f->hlen + off, n);
	fo = (uint16_t)(f->base_off + off / 8);
	if (off + n < f->plen || f->base_mf)
		fo |= IP_MF;
	out[0] = (uint8_t)(0x40 | hlen / 4);
	put_be16(out + 2, (uint16_t)(hlen + n));
	put_be16(out + 6, fo);
	put_be16(out + 10, 0);
	put_be16(out + 10, uf_csum(out, hlen));
	f->done = off + n;
	if (!f->plen)
		f->pkt = NULL;      /* a header-only packet is one fragment */
	return (int)(hlen + n);
}

#define IP6_HLEN 40
#define IP6_FRAGHDR 8
#define IP6_NH_HOP 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44

int dp_frag6_init(struct dp_frag6 *f, const uint8_t *pkt, size_t len, unsigned int mtu,
		  uint32_t id)
{
	size_t tot;

	memset(f, 0, sizeof(*f));
	if (len < IP6_HLEN || pkt[0] >> 4 != 6)
		return -EINVAL;
	tot = IP6_HLEN + (size_t)get_be16(pkt + 4);
	if (tot > len || pkt[6] == IP6_NH_HOP || pkt[6] == IP6_NH_ROUTING ||
	    pkt[6] == IP6_NH_FRAGMENT)
		return -EINVAL;
	if (mtu < IP6_HLEN + IP6_FRAGHDR + 8)
		return -EMSGSIZE;
	f->pkt = pkt;
	f->plen = tot - IP6_HLEN;
	f->chunk = (mtu - IP6_HLEN - IP6_FRAGHDR) & ~(size_t)7;
	f->nh = pkt[6];
	f->id = id;
	return f->plen ? (int)((f->plen + f->chunk - 1) / f->chunk) : 1;
}

int dp_frag6_next(struct dp_frag6 *f, uint8_t *out, size_t cap)
{
	size_t off = f->done, n;

	if (!f->pkt || (off >= f->plen && off))
		return 0;
	n = f->plen - off < f->chunk ? f->plen - off : f->chunk;
	if (cap < IP6_HLEN + IP6_FRAGHDR + n)
		return -ENOSPC;
	memcpy(out, f->pkt, IP6_HLEN);
	put_be16(out + 4, (uint16_t)(IP6_FRAGHDR + n));
	out[6] = IP6_NH_FRAGMENT;
	out[IP6_HLEN] = f->nh;
	out[IP6_HLEN + 1] = 0;
	put_be16(out + IP6_HLEN + 2, (uint16_t)(off | (off + n < f->plen ? 1 : 0)));
	put_be32(out + IP6_HLEN + 4, f->id);
	memcpy(out + IP6_HLEN + IP6_FRAGHDR, f->pkt + IP6_HLEN + off, n);
	f->done = off + n;
	if (!f->plen)
		f->pkt = NULL;
	return (int)(IP6_HLEN + IP6_FRAGHDR + n);
}
