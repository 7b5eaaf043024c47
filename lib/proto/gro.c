// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP receive coalescing into vnet-header super-packets
 * (tcp_gro_receive and udp_gro_receive_segment rules).
 */
#include <errno.h>
#include <string.h>

#include "gro.h"

#include "bytes.h"
#include "csum.h"
#include "ip.h"

#define IP4_MF_OFF 0x3fff
#define IP4_DF 0x40             /* in byte 6 */
#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_ECE 0x40
#define IP_MAX_LEN 65535

/* What uf_gro_add needs to know about one packet. */
struct view {
	uint8_t *pkt, *ip, *th;
	size_t len, l3_off, l4_off, thl, plen;
	uint8_t version, proto, flags;
	bool flow;              /* a whole TCP segment or UDP datagram: has a flow */
	bool candidate;         /* may be coalesced */
	uint32_t hash;
};

/* TCP always; UDP only where the device takes UDP_L4 super-packets back. */
static bool proto_ok(uint8_t proto, uint8_t version, unsigned int udp)
{
	if (proto == UF_IPPROTO_TCP)
		return true;
	return proto == UF_IPPROTO_UDP && (udp & (version == 4 ? UF_GRO_UDP4 : UF_GRO_UDP6));
}

static bool view_l3(struct view *v, unsigned int udp)
{
	size_t avail = v->len - v->l3_off;
	const uint8_t *ip = v->ip;

	if (avail >= UF_IP4_HLEN && ip[0] >> 4 == 4) {
		/* Options, fragments and padding after the datagram: never coalesced. */
		if (ip[0] != 0x45 || !proto_ok(ip[9], 4, udp) || (get_be16(ip + 6) & IP4_MF_OFF) ||
		    get_be16(ip + 2) != avail)
			return false;
		v->version = 4;
		v->proto = ip[9];
		v->l4_off = v->l3_off + UF_IP4_HLEN;
		return true;
	}
	if (avail >= UF_IP6_HLEN && ip[0] >> 4 == 6) {
		if (!proto_ok(ip[6], 6, udp) || (size_t)get_be16(ip + 4) + UF_IP6_HLEN != avail)
			return false;
		v->version = 6;
		v->proto = ip[6];
		v->l4_off = v->l3_off + UF_IP6_HLEN;
		return true;
	}
	return false;
}

static uint32_t view_hash(const struct view *v)
{
	const uint8_t *a = v->version == 4 ? v->ip + 12 : v->ip + 8;
	size_t n = v->version == 4 ? 8 : 32;
	uint32_t h = (2166136261u ^ v->proto) * 16777619u ^ get_be32(v->th);

	for (size_t i = 0; i < n; i += 4)
		h = (h ^ get_be32(a + i)) * 16777619u;
	return h;
}

/* A corrupt segment must reach the stack as it is, to be dropped there. */
static bool l4_csum_ok(const struct view *v, size_t l4_len)
{
	return uf_csum_fold16(uf_csum_partial(v->th, l4_len,
			uf_csum_pseudo_hdr(v->version, v->ip, v->proto, (uint32_t)l4_len))) == 0xffff;
}

static void view_tcp(struct view *v, size_t l4_len)
{
	if (l4_len < TCP_MIN_HLEN)
		return;
	v->thl = (size_t)(v->th[12] >> 4) * 4;
	if (v->thl < TCP_MIN_HLEN || v->thl > l4_len)
		return;
	v->flow = true;
	v->plen = l4_len - v->thl;
	v->flags = v->th[13];
	/* ACK (and ECE) with data, PSH allowed: the rest (SYN, FIN, RST, URG, CWR) stands alone. */
	if (v->plen == 0 || (v->flags & (uint8_t)~(TCP_PSH | TCP_ECE)) != TCP_ACK)
		return;
	v->candidate = l4_csum_ok(v, l4_len);
}

static void view_udp(struct view *v, size_t l4_len)
{
	if (l4_len < UDP_HLEN || get_be16(v->th + 4) != l4_len)
		return;
	v->thl = UDP_HLEN;
	v->flow = true;
	v->plen = l4_len - UDP_HLEN;
	/*
	 * A zero checksum (IPv4: none sent) cannot be turned into the partial
	 * one a UDP_L4 super-packet needs without inventing a checksum.
	 */
	if (v->plen == 0 || get_be16(v->th + 6) == 0)
		return;
	v->candidate = l4_csum_ok(v, l4_len);
}

static void view_init(struct view *v, uint8_t *pkt, size_t len, size_t l3_off, unsigned int udp)
{
	memset(v, 0, sizeof(*v));
	v->pkt = pkt;
	v->len = len;
	v->l3_off = l3_off;
	if (l3_off >= len)
		return;
	v->ip = pkt + l3_off;
	if (!view_l3(v, udp))
		return;
	v->th = pkt + v->l4_off;
	if (v->proto == UF_IPPROTO_TCP)
		view_tcp(v, len - v->l4_off);
	else
		view_udp(v, len - v->l4_off);
	if (v->flow)
		v->hash = view_hash(v);
}

void uf_gro_init(struct uf_gro *g, struct uf_gro_item *items, size_t cap_items,
		 struct uf_gro_seg *segs, size_t cap_segs)
{
	g->items = items;
	g->cap_items = cap_items;
	g->segs = segs;
	g->cap_segs = cap_segs;
	g->udp = 0;
	uf_gro_reset(g);
}

void uf_gro_set_udp(struct uf_gro *g, unsigned int versions)
{
	g->udp = versions & (UF_GRO_UDP4 | UF_GRO_UDP6);
}

void uf_gro_reset(struct uf_gro *g)
{
	g->nitems = 0;
	g->nsegs = 0;
}

/* Same L2 header, addresses and ports as the item's first packet. */
static bool same_flow(const struct uf_gro_item *it, const struct view *v)
{
	const uint8_t *ip = it->pkt + it->l3_off;

	if (it->hash != v->hash || it->version != v->version || it->proto != v->proto ||
	    it->l3_off != v->l3_off ||
	    memcmp(it->pkt, v->pkt, v->l3_off) != 0 ||
	    memcmp(it->pkt + it->l4_off, v->th, 4) != 0)
		return false;
	if (v->version == 4)
		return memcmp(ip + 12, v->ip + 12, 8) == 0;
	return memcmp(ip + 8, v->ip + 8, 32) == 0;
}

/*
 * IDs must go up by one as a TSO/USO sender's do; UDP senders that leave
 * them all 0 (DF datagrams) are coalesced too, never a mix of the two.
 */
/*
 * IPv4 IDs must go up by one: the kernel numbers the segments of a
 * super-packet that way when it cuts it again (the vnet header cannot say
 * "fixed ID"), so coalescing datagrams with equal IDs (all 0, as many
 * stacks send with DF) would change what the receiver sees.
 */
static bool id_ok(const struct uf_gro_item *it, uint16_t id)
{
	return id == (uint16_t)(it->last_id + 1) && it->id_step != 0;
}

static bool l3_matches(const struct uf_gro_item *it, const struct view *v)
{
	const uint8_t *ip = it->pkt + it->l3_off;

	if (v->version == 6)
		return memcmp(ip, v->ip, 4) == 0 && ip[7] == v->ip[7];
	/* TOS, DF, TTL. */
	return ip[1] == v->ip[1] && (ip[6] & IP4_DF) == (v->ip[6] & IP4_DF) && ip[8] == v->ip[8] &&
	       id_ok(it, get_be16(v->ip + 4));
}

static bool tcp_matches(const struct uf_gro_item *it, const struct view *v)
{
	const uint8_t *th = it->pkt + it->l4_off;

	if ((size_t)(it->hdr_len - it->l4_off) != v->thl || get_be32(v->th + 4) != it->next_seq)
		return false;
	/* ACK number, flags but PSH, window, then every option byte. */
	return memcmp(th + 8, v->th + 8, 4) == 0 && (th[13] & ~TCP_PSH) == (v->flags & ~TCP_PSH) &&
	       memcmp(th + 14, v->th + 14, 2) == 0 &&
	       memcmp(th + TCP_MIN_HLEN, v->th + TCP_MIN_HLEN, v->thl - TCP_MIN_HLEN) == 0;
}

static bool can_append(const struct uf_gro_item *it, const struct uf_gro *g, const struct view *v)
{
	size_t l3_len = (size_t)(it->hdr_len - it->l3_off) + it->payload + v->plen;

	if (!it->open || !v->candidate || g->nsegs >= g->cap_segs || it->nseg >= UF_GRO_MAX_SEGS)
		return false;
	if (v->plen > it->gso_size || l3_len - (v->version == 6 ? UF_IP6_HLEN : 0) > IP_MAX_LEN)
		return false;
	/* UDP: ports and lengths are all there is to compare (same flow, payload size). */
	if (v->proto == UF_IPPROTO_TCP && !tcp_matches(it, v))
		return false;
	return l3_matches(it, v);
}

static void append(struct uf_gro *g, struct uf_gro_item *it, const struct view *v)
{
	struct uf_gro_seg *s = &g->segs[g->nsegs];

	s->p = v->th + v->thl;
	s->len = (uint32_t)v->plen;
	s->next = -1;
	if (it->last >= 0)
		g->segs[it->last].next = (int32_t)g->nsegs;
	else
		it->first = (int32_t)g->nsegs;
	it->last = (int32_t)g->nsegs;
	g->nsegs++;
	it->nseg++;
	it->payload += (uint32_t)v->plen;
	it->next_seq += (uint32_t)v->plen;
	if (v->version == 4) {
		uint16_t id = get_be16(v->ip + 4);

		it->id_step = id == (uint16_t)(it->last_id + 1) ? 1 : 0;
		it->last_id = id;
	}
	if (v->flags & TCP_PSH)
		it->psh = true;
	if (v->plen < it->gso_size || it->psh)
		it->open = false;
}

static void new_item(struct uf_gro *g, const struct view *v)
{
	struct uf_gro_item *it = &g->items[g->nitems++];

	memset(it, 0, sizeof(*it));
	it->pkt = v->pkt;
	it->len = (uint32_t)v->len;
	it->nseg = 1;
	it->first = it->last = -1;
	it->id_step = -1;
	if (!v->flow)
		return;
	it->l3_off = (uint16_t)v->l3_off;
	it->l4_off = (uint16_t)v->l4_off;
	it->hdr_len = (uint16_t)(v->l4_off + v->thl);
	it->version = v->version;
	it->proto = v->proto;
	it->hash = v->hash;
	it->payload = (uint32_t)v->plen;
	it->gso_size = (uint16_t)v->plen;
	if (v->proto == UF_IPPROTO_TCP)
		it->next_seq = get_be32(v->th + 4) + (uint32_t)v->plen;
	it->last_id = v->version == 4 ? get_be16(v->ip + 4) : 0;
	it->psh = v->flags & TCP_PSH;
	it->open = v->candidate && !it->psh;
}

int uf_gro_add(struct uf_gro *g, uint8_t *pkt, size_t len, size_t l3_off)
{
	struct uf_gro_item *open = NULL;
	struct view v;

	view_init(&v, pkt, len, l3_off, g->udp);
	if (v.flow) {
		for (size_t i = g->nitems; i-- > 0;) {
			if (g->items[i].open && same_flow(&g->items[i], &v)) {
				open = &g->items[i];
				break;
			}
		}
	}
	if (open && can_append(open, g, &v)) {
		append(g, open, &v);
		return 0;
	}
	if (g->nitems >= g->cap_items)
		return -ENOSPC;
	/* The flow's next packet must not overtake this one. */
	if (open)
		open->open = false;
	new_item(g, &v);
	return 0;
}

void uf_gro_finish(struct uf_gro_item *it, struct uf_vnet_hdr *vh)
{
	uint8_t *ip = it->pkt + it->l3_off, *th = it->pkt + it->l4_off;
	size_t l3_len = (size_t)(it->hdr_len - it->l3_off) + it->payload;
	uint32_t l4_len = (uint32_t)(l3_len - (size_t)(it->l4_off - it->l3_off));

	memset(vh, 0, sizeof(*vh));
	if (it->nseg < 2)
		return;
	if (it->version == 4) {
		put_be16(ip + 2, (uint16_t)l3_len);
		uf_ip4_fix_csum(ip, UF_IP4_HLEN);
	} else {
		put_be16(ip + 4, (uint16_t)(l3_len - UF_IP6_HLEN));
	}
	vh->flags = UF_VNET_F_NEEDS_CSUM;
	vh->hdr_len = it->hdr_len;
	vh->gso_size = it->gso_size;
	vh->csum_start = it->l4_off;
	if (it->proto == UF_IPPROTO_UDP) {
		/* The length of the whole, as udp_gro_complete leaves it. */
		put_be16(th + 4, (uint16_t)l4_len);
		vh->gso_type = UF_VNET_GSO_UDP_L4;
		vh->csum_offset = 6;
	} else {
		if (it->psh)
			th[13] |= TCP_PSH;
		vh->gso_type = it->version == 4 ? UF_VNET_GSO_TCPV4 : UF_VNET_GSO_TCPV6;
		vh->csum_offset = 16;
	}
	/* NEEDS_CSUM: the field holds the pseudo-header sum, as the kernel's GRO leaves it. */
	put_be16(th + vh->csum_offset, uf_csum_fold16(uf_csum_pseudo_hdr(it->version, ip, it->proto, l4_len)));
}
