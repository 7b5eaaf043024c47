// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path: two TC programs that add and strip the FOU/GUE headers
 * inside the kernel's own path, so GSO packets stay whole across the
 * underlay as they do with Linux's fou.
 *
 *   ufou_encap  TC egress of a tunnel (TUN) device: outer IP + UDP [+ GUE]
 *               [+ GRE] in front of the inner packet, then out of the
 *               underlay device the FIB names (neighbour resolved here or
 *               by bpf_redirect_neigh);
 *   ufou_decap  TC ingress of every underlay device: a datagram for one of
 *               our ports, from a tunnel's remote to its local address,
 *               loses its outer headers and arrives on the tunnel device.
 *
 * Whatever these programs cannot do byte for byte as Linux does (outer
 * checksums, remcsum, GRE csum/seq, fragments, packets over the path MTU,
 * ECN changes, anything malformed or unknown) they leave untouched with
 * TC_ACT_OK: it then reaches the TUN device's queue or the port's UDP
 * socket, where ufoud's TUN path handles and counts it. Nothing is ever
 * dropped here before the packet was changed, so the hand-over can lose
 * nothing and deliver nothing twice.
 *
 * Loads on Linux 6.1 (Debian 12) and later: the decapsulation flags of 6.3
 * are used only when the control side found the kernel knows them.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dataplane/fp_abi.h"

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_DSTOPTS_ 60
#define GRE_KEY_FLAG 0x2000
#define ECN_ECT_1 1
#define ECN_ECT_0 2
#define ECN_CE 3

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_LINKS);
	__type(key, __u32);
	__type(value, struct fp_tx);
} fp_txl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_PORTS);
	__type(key, struct fp_port_key);
	__type(value, struct fp_port);
} fp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_LINKS * 2);
	__type(key, struct fp_rx_key);
	__type(value, struct fp_rx);
} fp_rxl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_ADDRS);
	__type(key, struct fp_addr_key);
	__type(value, __u8);
} fp_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_cfg);
} fp_cfgm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_MAX_LINKS);
	__type(key, __u32);
	__type(value, struct fp_lstats);
} fp_lst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct fp_pstats);
} fp_pst SEC(".maps");

static __always_inline __u16 csum_fold(__s64 s)
{
	__u32 c = (__u32)s;

	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)~c;
}

/* What the encapsulation takes from the inner packet. */
struct inner {
	__u8 ver;          /* 4 or 6 */
	__u8 ds;           /* TOS / traffic class */
	__u8 ttl;
	__u8 df;
	__u8 l4;           /* IPv4 protocol / IPv6 next header */
	__u32 fl;          /* IPv6 flow label */
	__u32 l3len;       /* header bytes */
	__u32 len;         /* whole packet, from the IP header */
};

/* Inner header bytes repeated in every segment of a GSO packet, 0 if unknown. */
static __always_inline __u32 l4_hdr_len(struct __sk_buff *skb, __u32 off, __u8 proto)
{
	__u8 doff;

	if (proto == IPPROTO_UDP)
		return 8;
	if (proto != IPPROTO_TCP || bpf_skb_load_bytes(skb, off + 12, &doff, 1))
		return 0;
	return (__u32)(doff >> 4) * 4;
}

/* Segments of a packet whose inner headers take hdrs bytes. */
static __always_inline __u32 seg_count(struct __sk_buff *skb, __u32 payload)
{
	__u32 g = skb->gso_size;

	if (!g)
		return 1;
	return (payload + g - 1) / g;
}

static __always_inline int inner_parse(struct __sk_buff *skb, __u32 off, __u16 proto,
				       struct inner *in)
{
	__u8 b[40];

	if (proto == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, off, b, 20) || b[0] >> 4 != 4 || (b[0] & 0xf) < 5)
			return -1;
		in->ver = 4;
		in->ds = b[1];
		in->ttl = b[8];
		in->df = b[6] & 0x40;
		in->l4 = b[9];
		in->l3len = (b[0] & 0xf) * 4;
		in->len = (__u32)b[2] << 8 | b[3];
		return in->len >= in->l3len ? 0 : -1;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, off, b, 40) || b[0] >> 4 != 6)
			return -1;
		in->ver = 6;
		in->ds = (__u8)(b[0] << 4 | b[1] >> 4);
		in->ttl = b[7];
		in->df = 0;
		in->l4 = b[6];
		in->fl = (__u32)(b[1] & 0xf) << 16 | (__u32)b[2] << 8 | b[3];
		in->l3len = 40;
		in->len = ((__u32)b[4] << 8 | b[5]) + 40;
		/* Extension headers (and jumbograms) are the TUN path's to check. */
		if (in->l4 == 0 || in->l4 == 43 || in->l4 == 44 || in->l4 == 60 || in->len == 40)
			return -1;
		return 0;
	}
	return -1;
}

/* ---- the inner flow hash: uf_flow_hash() (lib/proto/flow.c), bit for bit */

/*
 * Both data paths derive the outer source port and IPv6 flow label from
 * the same keyed hash of the inner flow, so a flow keeps its port when
 * some of its packets are handed to the TUN path (and stays on one port
 * for its whole life, kernel-made resets included).
 */
struct flowkey {
	__u8 family, proto;
	__u16 sport, dport;        /* host order */
	__u8 src[16], dst[16];
};

#define ROTL64(x, b) (__u64)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
	do {                                                                  \
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
	} while (0)

static __always_inline __u64 le64_at(const __u8 *m, __u32 off)
{
	__u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | m[(off + i) & 63];
	return v;
}

/* SipHash-1-3 of m[0..len), len 14 (IPv4) or 38 (IPv6); m has 64 bytes, zero past len. */
static __always_inline __u64 siphash13(const __u8 *m, __u32 len, __u64 k0, __u64 k1)
{
	__u64 v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	__u64 v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	__u64 b = (__u64)len << 56, w;
	__u32 off = 0;

	for (int i = 0; i < 4; i++) {
		if (off + 8 > len)
			break;
		w = le64_at(m, off);
		v3 ^= w;
		SIPROUND;
		v0 ^= w;
		off += 8;
	}
	/* The tail: the bytes past len are zero in m. */
	b |= le64_at(m, off);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static __always_inline int has_ports(__u8 p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == 136 || p == 132;
}

/* uf_flow_extract(): addresses, protocol, ports unless a fragment. */
static __always_inline void flow_extract(struct __sk_buff *skb, const struct inner *in,
					 struct flowkey *f)
{
	__u8 b[40], ports[4];
	__u32 off = in->l3len;
	__u8 nh;

	if (in->ver == 4) {
		if (bpf_skb_load_bytes(skb, 0, b, 20))
			return;
		f->family = 4;
		f->proto = b[9];
		__builtin_memcpy(f->src, b + 12, 4);
		__builtin_memcpy(f->dst, b + 16, 4);
		if (((b[6] & 0x3f) | b[7]) || !has_ports(f->proto))
			return;
	} else {
		if (bpf_skb_load_bytes(skb, 0, b, 40))
			return;
		f->family = 6;
		__builtin_memcpy(f->src, b + 8, 16);
		__builtin_memcpy(f->dst, b + 24, 16);
		/* inner_parse() left extension headers to the TUN path. */
		nh = b[6];
		f->proto = nh;
		if (!has_ports(nh))
			return;
	}
	if (off + 4 > in->len || off > 0xffff || bpf_skb_load_bytes(skb, off, ports, 4))
		return;
	f->sport = (__u16)(ports[0] << 8 | ports[1]);
	f->dport = (__u16)(ports[2] << 8 | ports[3]);
}

static __always_inline int addr_cmp(const __u8 *a, const __u8 *b, __u32 alen)
{
	for (int i = 0; i < 16; i++) {
		if ((__u32)i >= alen)
			break;
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return 0;
}

static __always_inline __u32 flow_hash(const struct flowkey *f, __u32 seed)
{
	__u8 m[64];
	__u32 alen = f->family == 4 ? 4 : 16, n;
	const __u8 *a = f->src, *b = f->dst;
	__u16 pa = f->sport, pb = f->dport, t;
	int c = addr_cmp(a, b, alen);
	__u64 h;

	/* Both directions of a flow hash alike, as uf_flow_hash() orders them. */
	if (c > 0 || (c == 0 && pa > pb)) {
		a = f->dst;
		b = f->src;
		t = pa;
		pa = pb;
		pb = t;
	}
	__builtin_memset(m, 0, sizeof(m));
	m[0] = f->family;
	m[1] = f->proto;
	m[2] = (__u8)(pa >> 8);
	m[3] = (__u8)pa;
	m[4] = (__u8)(pb >> 8);
	m[5] = (__u8)pb;
	if (alen == 4) {
		__builtin_memcpy(m + 6, a, 4);
		__builtin_memcpy(m + 10, b, 4);
		n = 14;
	} else {
		__builtin_memcpy(m + 6, a, 16);
		__builtin_memcpy(m + 22, b, 16);
		n = 38;
	}
	h = siphash13(m, n, seed, (__u64)seed << 32 ^ 0x9e3779b97f4a7c15ull);
	h ^= h >> 32;
	return (__u32)h ? (__u32)h : 1;
}

/* ---- transmit */

static __always_inline int tx_slow(struct fp_lstats *st, int why)
{
	if (why >= 0 && why < FP_SLOW__COUNT)
		st->tx_slow[why]++;
	return TC_ACT_OK;
}

/* udp_flow_src_port(): the flow hash scaled into [min, max). */
static __always_inline __be16 tx_sport(const struct fp_tx *t, const struct fp_cfg *c, __u32 h)
{
	__u32 min = 32768, max = 60999;

	if (t->sport)
		return t->sport;
	if (c && c->sport_min < c->sport_max) {
		min = c->sport_min;
		max = c->sport_max;
	}
	h ^= h << 16;
	return bpf_htons((__u16)((((__u64)h * (max - min)) >> 32) + min));
}

static __always_inline __u32 tx_flowlabel(const struct fp_tx *t, const struct inner *in, __u32 h)
{
	__u32 l = t->flowlabel & 0xfffff;

	if ((t->flags & FP_TX_FL_INHERIT) && in->ver == 6)
		l = in->fl;
	if (!l)
		l = (h << 16 | h >> 16) & 0xfffff;
	return l ? l : 1;
}

/* Outer DS field: fixed or inherited, ECN from the inner packet (CE sent as ECT(0)). */
static __always_inline __u8 tx_tos(const struct fp_tx *t, const struct inner *in)
{
	__u8 base = (t->flags & FP_TX_TOS_INHERIT) ? in->ds : t->tos;
	__u8 ecn = in->ds & 3;

	if (ecn == ECN_CE)
		ecn = ECN_ECT_0;
	return (__u8)((base & ~3) | ecn);
}

struct hdrs {
	__u32 iplen;       /* outer IP (+ IPv6 destination option) */
	__u32 enclen;      /* GUE + GRE */
	__u32 total;
};

static __always_inline void tx_hdr_lens(const struct fp_tx *t, struct hdrs *h)
{
	h->iplen = (t->flags & FP_TX_V6) ? 40 + ((t->flags & FP_TX_ENCAPLIM) ? 8 : 0) : 20;
	h->enclen = (t->flags & FP_TX_GUE) ? 4 : 0;
	if (t->flags & FP_TX_GRE)
		h->enclen += (t->flags & FP_TX_GRE_KEY) ? 8 : 4;
	h->total = h->iplen + 8 + h->enclen;
}

static __always_inline int tx_write_ip4(struct __sk_buff *skb, const struct fp_tx *t,
					const struct inner *in, __u8 tos, __u16 id, __u32 len)
{
	__u8 ip[20];
	__u16 c;

	__builtin_memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	ip[1] = tos;
	if (len > 0xffff)
		len = 0;            /* GSO beyond 64 KB: segmentation writes each one's */
	ip[2] = (__u8)(len >> 8);
	ip[3] = (__u8)len;
	ip[4] = (__u8)(id >> 8);
	ip[5] = (__u8)id;
	ip[6] = ((t->flags & FP_TX_DF) || in->df) ? 0x40 : 0;
	ip[8] = t->ttl ? t->ttl : in->ttl;
	ip[9] = IPPROTO_UDP;
	__builtin_memcpy(ip + 12, t->src, 4);
	__builtin_memcpy(ip + 16, t->dst, 4);
	c = csum_fold(bpf_csum_diff(0, 0, (__be32 *)ip, 20, 0));
	__builtin_memcpy(ip + 10, &c, 2);   /* summed as stored: no swap */
	return bpf_skb_store_bytes(skb, 0, ip, 20, 0);
}

static __always_inline int tx_write_ip6(struct __sk_buff *skb, const struct fp_tx *t,
					const struct inner *in, __u8 tc, __u32 fl, __u32 plen)
{
	__u8 ip[48];
	__u32 w = 6u << 28 | (__u32)tc << 20 | fl;

	__builtin_memset(ip, 0, sizeof(ip));
	if (plen > 0xffff)
		plen = 0;
	ip[0] = (__u8)(w >> 24);
	ip[1] = (__u8)(w >> 16);
	ip[2] = (__u8)(w >> 8);
	ip[3] = (__u8)w;
	ip[4] = (__u8)(plen >> 8);
	ip[5] = (__u8)plen;
	ip[6] = IPPROTO_UDP;
	ip[7] = t->ttl ? t->ttl : in->ttl;
	__builtin_memcpy(ip + 8, t->src, 16);
	__builtin_memcpy(ip + 24, t->dst, 16);
	if (!(t->flags & FP_TX_ENCAPLIM))
		return bpf_skb_store_bytes(skb, 0, ip, 40, 0);
	/* What ip6tnl / ip6gre send: the encap limit option and PadN(1). */
	ip[6] = IPPROTO_DSTOPTS_;
	ip[40] = IPPROTO_UDP;
	ip[42] = 4;
	ip[43] = 1;
	ip[44] = t->encap_limit;
	ip[45] = 1;
	ip[46] = 1;
	return bpf_skb_store_bytes(skb, 0, ip, 48, 0);
}

/* UDP (checksum 0), then GUE and/or GRE. */
static __always_inline int tx_write_udp(struct __sk_buff *skb, const struct fp_tx *t,
					const struct hdrs *h, const struct inner *in, __be16 sport,
					__u32 udplen)
{
	__u8 u[20];
	__u32 o = 8, n;
	__u8 proto = in->ver == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;

	__builtin_memset(u, 0, sizeof(u));
	if (udplen > 0xffff)
		udplen = 0;
	__builtin_memcpy(u, &sport, 2);
	__builtin_memcpy(u + 2, &t->dport, 2);
	u[4] = (__u8)(udplen >> 8);
	u[5] = (__u8)udplen;
	if (t->flags & FP_TX_GRE)
		proto = IPPROTO_GRE;
	if (t->flags & FP_TX_GUE) {
		u[9] = proto;           /* version 0, no control, no options */
		o = 12;
	}
	if (t->flags & FP_TX_GRE) {
		if (o != 8 && o != 12)
			return -1;
		u[o] = (t->flags & FP_TX_GRE_KEY) ? 0x20 : 0;
		u[o + 2] = in->ver == 4 ? 0x08 : 0x86;
		u[o + 3] = in->ver == 4 ? 0x00 : 0xdd;
		if (t->flags & FP_TX_GRE_KEY) {
			__builtin_memcpy(u + o + 4, &t->okey, 4);
			o += 4;
		}
		o += 4;
	}
	n = o;
	if (n > sizeof(u) || n < 8)
		return -1;
	return bpf_skb_store_bytes(skb, h->iplen, u, n, 0);
}

SEC("tc")
int ufou_encap(struct __sk_buff *skb)
{
	__u32 ifi = skb->ifindex, slot, segs = 1, seghdr = 0, hash = 0, fl = 0, zero = 0;
	struct fp_lstats *st;
	struct fp_cfg *cfg;
	struct inner in = {};
	struct hdrs h;
	struct fp_tx *t;
	__u64 flags;
	__u16 id = 0;
	__u8 tos;
	int rc;

	t = bpf_map_lookup_elem(&fp_txl, &ifi);
	if (!t)
		return TC_ACT_OK;
	slot = t->slot;
	st = bpf_map_lookup_elem(&fp_lst, &slot);
	if (!st)
		return TC_ACT_OK;
	if (t->flags & FP_TX_SLOW)
		return tx_slow(st, FP_SLOW_CONFIG);
	if (inner_parse(skb, 0, skb->protocol, &in) < 0 || in.len != skb->len)
		return tx_slow(st, FP_SLOW_INNER);
	if (!(t->flags & (in.ver == 4 ? FP_TX_INNER4 : FP_TX_INNER6)))
		return tx_slow(st, FP_SLOW_INNER);
	tx_hdr_lens(t, &h);
	tos = tx_tos(t, &in);
	if (skb->gso_size) {
		__u32 l4 = l4_hdr_len(skb, in.l3len, in.l4);

		if (!l4)
			return tx_slow(st, FP_SLOW_INNER);
		seghdr = in.l3len + l4;
		if (in.len <= seghdr)
			return tx_slow(st, FP_SLOW_INNER);
		segs = seg_count(skb, in.len - seghdr);
	}
	/*
	 * The route (device, next hop, MTU) is the control side's: it follows
	 * netlink. bpf_fib_lookup() would want forwarding on the underlay.
	 */
	if (!t->oif || !t->mtu || !(t->flags & FP_TX_NEIGH))
		return tx_slow(st, FP_SLOW_ROUTE);
	if (skb->gso_size ? seghdr + skb->gso_size + h.total > t->mtu : skb->len + h.total > t->mtu)
		return tx_slow(st, FP_SLOW_MTU);
	cfg = bpf_map_lookup_elem(&fp_cfgm, &zero);
	if (!t->sport || ((t->flags & FP_TX_V6) && !t->flowlabel)) {
		struct flowkey fk = {};

		flow_extract(skb, &in, &fk);
		hash = flow_hash(&fk, cfg ? cfg->seed : 0);
	}
	if (t->flags & FP_TX_V6)
		fl = tx_flowlabel(t, &in, hash);
	else
		id = (__u16)__sync_fetch_and_add(&t->ip_id, segs);

	flags = BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
		((t->flags & FP_TX_V6) ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4);
	if (h.enclen)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L2(h.enclen);
	if (bpf_skb_adjust_room(skb, (__s32)h.total, BPF_ADJ_ROOM_MAC, flags))
		return tx_slow(st, FP_SLOW_HEADER);
	/* From here the packet is changed: a failure can only drop it. */
	if (t->flags & FP_TX_V6)
		rc = tx_write_ip6(skb, t, &in, tos, fl, in.len + h.total - 40);
	else
		rc = tx_write_ip4(skb, t, &in, tos, id, in.len + h.total);
	if (rc || tx_write_udp(skb, t, &h, &in, tx_sport(t, cfg, hash), in.len + h.total - h.iplen))
		goto err;
	/*
	 * A tunnel device has no link-layer header, and redirecting to an
	 * Ethernet device needs one in front of the network header.
	 */
	if (bpf_skb_change_head(skb, ETH_HLEN, 0))
		goto err;
	{
		__be16 p = bpf_htons((t->flags & FP_TX_V6) ? ETH_P_IPV6 : ETH_P_IP);

		if (bpf_skb_store_bytes(skb, 12, &p, 2, 0))
			goto err;
	}
	st->tx_packets += segs;
	st->tx_bytes += in.len + (segs - 1) * seghdr;
	if (skb->gso_size)
		st->tx_gso += segs;
	/* The neighbour subsystem writes the link-layer header (or queues to resolve it). */
	{
		struct bpf_redir_neigh nh = {};

		nh.nh_family = t->nh_family;
		__builtin_memcpy(nh.ipv6_nh, t->nh, 16);
		return bpf_redirect_neigh(t->oif, &nh, sizeof(nh), 0);
	}
err:
	st->tx_error++;
	return TC_ACT_SHOT;
}

/* ---- receive */

/* The outer packet as the decapsulation sees it. */
struct outer {
	__u8 family;
	__u8 ds;
	__u32 ulen;           /* UDP length */
	__u32 l4;             /* offset of the UDP header */
	__u8 src[16], dst[16];
	__be16 sport, dport;
	__u16 ucsum;
};

static __always_inline int rx_slow(struct fp_pstats *ps, int why)
{
	if (why >= 0 && why < FP_SLOW__COUNT)
		ps->slow[why]++;
	return TC_ACT_OK;
}

/* IPv4 without options, not a fragment, UDP; 0 when it is ours to look at. */
static __always_inline int rx_outer4(struct __sk_buff *skb, struct outer *o)
{
	__u8 ip[20], u[8];
	__u32 tot;

	if (bpf_skb_load_bytes(skb, ETH_HLEN, ip, 20) || ip[0] != 0x45 || ip[9] != IPPROTO_UDP)
		return -1;
	if ((ip[6] & 0x3f) | ip[7])             /* MF or an offset: a fragment */
		return -1;
	tot = (__u32)ip[2] << 8 | ip[3];
	/* Exactly the frame: trailing bytes (padding) are for ip_rcv to trim. */
	if (tot < 28 || tot + ETH_HLEN != skb->len)
		return -1;
	if (csum_fold(bpf_csum_diff(0, 0, (__be32 *)ip, 20, 0)) != 0)
		return -1;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + 20, u, 8))
		return -1;
	o->family = 4;
	o->ds = ip[1];
	__builtin_memcpy(o->src, ip + 12, 4);
	__builtin_memcpy(o->dst, ip + 16, 4);
	o->l4 = ETH_HLEN + 20;
	__builtin_memcpy(&o->sport, u, 2);
	__builtin_memcpy(&o->dport, u + 2, 2);
	o->ulen = (__u32)u[4] << 8 | u[5];
	o->ucsum = (__u16)(u[6] << 8 | u[7]);
	/* A datagram that is not exactly the IP payload (UDP GSO batches): slow. */
	if (o->ulen != tot - 20)
		o->ulen = 0;
	return 0;
}

/* IPv6, UDP directly or after one 8-byte destination options header. */
static __always_inline int rx_outer6(struct __sk_buff *skb, struct outer *o)
{
	__u8 ip[48], u[8];
	__u32 plen, ext = 0;

	if (bpf_skb_load_bytes(skb, ETH_HLEN, ip, 40) || ip[0] >> 4 != 6)
		return -1;
	if (ip[6] == IPPROTO_DSTOPTS_) {
		/* Only what ip6tnl sends: the encap limit option and PadN(1). */
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 40, ip + 40, 8) || ip[41] != 0 ||
		    ip[40] != IPPROTO_UDP || ip[42] != 4 || ip[43] != 1 || ip[45] != 1 ||
		    ip[46] != 1 || ip[47] != 0)
			return -1;
		ext = 8;
	} else if (ip[6] != IPPROTO_UDP) {
		return -1;
	}
	plen = (__u32)ip[4] << 8 | ip[5];
	if (plen < ext + 8 || plen + 40 + ETH_HLEN != skb->len)
		return -1;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + 40 + ext, u, 8))
		return -1;
	o->family = 6;
	o->ds = (__u8)(ip[0] << 4 | ip[1] >> 4);
	__builtin_memcpy(o->src, ip + 8, 16);
	__builtin_memcpy(o->dst, ip + 24, 16);
	o->l4 = ETH_HLEN + 40 + ext;
	__builtin_memcpy(&o->sport, u, 2);
	__builtin_memcpy(&o->dport, u + 2, 2);
	o->ulen = (__u32)u[4] << 8 | u[5];
	o->ucsum = (__u16)(u[6] << 8 | u[7]);
	if (o->ulen != plen - ext)
		o->ulen = 0;
	return 0;
}

static __always_inline int addr_eq(const __u8 *a, const __u8 *b, __u8 family)
{
	__u32 x = 0;

	for (int i = 0; i < 16; i++)
		if (i < 4 || family == 6)
			x |= a[i] ^ b[i];
	return x == 0;
}

/* The port's own filters (local, peer, peer_port, dev), as its socket's. */
static __always_inline int port_match(struct __sk_buff *skb, const struct fp_port *p,
				      const struct outer *o)
{
	if ((p->flags & FP_PORT_LOCAL) && !addr_eq(p->local, o->dst, o->family))
		return 0;
	if ((p->flags & FP_PORT_PEER) && !addr_eq(p->peer, o->src, o->family))
		return 0;
	if ((p->flags & FP_PORT_PEER_PORT) && p->peer_port != o->sport)
		return 0;
	if ((p->flags & FP_PORT_DEV) && p->ifindex != skb->ingress_ifindex)
		return 0;
	return 1;
}

static __always_inline int addr_local(const struct outer *o)
{
	struct fp_addr_key k = {};

	k.family = o->family;
	__builtin_memcpy(k.a, o->dst, 16);
	if (o->family == 4)
		__builtin_memset(k.a + 4, 0, 12);
	return bpf_map_lookup_elem(&fp_addrs, &k) != 0;
}

/* What follows UDP: protocol, GRE key, where the inner packet starts. */
struct encap {
	__u8 ipproto;
	__u8 has_key;
	__be16 gre_proto;
	__u32 key;
	__u32 off;
};

static __always_inline int rx_encap(struct __sk_buff *skb, const struct fp_port *p,
				    const struct outer *o, struct encap *e)
{
	__u8 b[8];

	e->off = o->l4 + 8;
	e->ipproto = p->ipproto;
	e->has_key = 0;
	e->key = 0;
	e->gre_proto = 0;
	if (p->flags & FP_PORT_GUE) {
		/* Version 0, no control message, no options or flags: else slow. */
		if (bpf_skb_load_bytes(skb, e->off, b, 4) || b[0] || b[2] || b[3])
			return -1;
		e->ipproto = b[1];
		e->off += 4;
	}
	if (e->ipproto == IPPROTO_IPIP) {
		e->gre_proto = bpf_htons(ETH_P_IP);
		return 0;
	}
	if (e->ipproto == IPPROTO_IPV6) {
		e->gre_proto = bpf_htons(ETH_P_IPV6);
		return 0;
	}
	if (e->ipproto != IPPROTO_GRE)
		return -1;
	/* GRE version 0 with at most a key: checksums and sequences go slow. */
	if (bpf_skb_load_bytes(skb, e->off, b, 8) || (b[0] & ~0x20) || b[1])
		return -1;
	__builtin_memcpy(&e->gre_proto, b + 2, 2);
	if (e->gre_proto != bpf_htons(ETH_P_IP) && e->gre_proto != bpf_htons(ETH_P_IPV6))
		return -1;
	e->off += 4;
	if (b[0] & 0x20) {
		e->has_key = 1;
		__builtin_memcpy(&e->key, b + 4, 4);
		e->off += 4;
	}
	return 0;
}

/* One stage of the kernel's tunnel lookup in one class. */
static __always_inline struct fp_rx *rx_stage(const struct outer *o, const struct encap *e,
					      __u8 cls, int stage)
{
	struct fp_rx_key k = {};

	k.family = o->family;
	k.cls = cls;
	k.kmode = e->has_key ? FP_K_KEY : FP_K_NONE;
	k.key = e->key;
	if (stage == 0 || stage == 1)
		__builtin_memcpy(k.remote, o->src, 16);
	if (stage == 0 || stage == 2)
		__builtin_memcpy(k.local, o->dst, 16);
	if (o->family == 4) {
		__builtin_memset(k.remote + 4, 0, 12);
		__builtin_memset(k.local + 4, 0, 12);
	}
	if (stage == 3) {
		/* GRE compares i_key with the key or 0; the others take any. */
		k.kmode = FP_K_WILD;
		if (e->ipproto != IPPROTO_GRE)
			k.key = 0;
	}
	return bpf_map_lookup_elem(&fp_rxl, &k);
}

static __always_inline struct fp_rx *rx_class(const struct outer *o, const struct encap *e, __u8 cls)
{
	struct fp_rx *r;

	r = rx_stage(o, e, cls, 0);
	if (!r)
		r = rx_stage(o, e, cls, 1);
	if (!r)
		r = rx_stage(o, e, cls, 2);
	if (!r)
		r = rx_stage(o, e, cls, 3);
	return r;
}

/* ip_tunnel_lookup() and friends: the classes searched, in order. */
static __always_inline struct fp_rx *rx_lookup(const struct outer *o, const struct encap *e)
{
	struct fp_rx *r;

	if (e->ipproto == IPPROTO_GRE)
		return rx_class(o, e, o->family == 6 ? FP_CL_IP6GRE : FP_CL_GRE);
	if (o->family == 6)
		return rx_class(o, e, FP_CL_IP6TNL);
	if (e->ipproto == IPPROTO_IPV6)
		return rx_class(o, e, FP_CL_SIT);
	r = rx_class(o, e, FP_CL_IPIP);   /* tunnel4 tries ipip before sit */
	return r ? r : rx_class(o, e, FP_CL_SIT);
}

/* RFC 6040: only packets the decapsulation leaves as they are stay here. */
static __always_inline int ecn_unchanged(__u8 outer, __u8 inner)
{
	outer &= 3;
	inner &= 3;
	if (outer == ECN_CE)
		return 0;
	return !(outer == ECN_ECT_1 && inner == ECN_ECT_0);
}

SEC("tc")
int ufou_decap(struct __sk_buff *skb)
{
	struct fp_port_key pk = {};
	struct fp_pstats *ps;
	struct fp_lstats *ls;
	struct outer o = {};
	struct inner in = {};
	struct encap e;
	struct fp_port *p;
	struct fp_rx *r;
	struct fp_cfg *cfg;
	__u32 zero = 0, slot, pop, segs = 1, seghdr = 0;
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (rx_outer4(skb, &o))
			return TC_ACT_OK;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (rx_outer6(skb, &o))
			return TC_ACT_OK;
	} else {
		return TC_ACT_OK;
	}
	pk.port = o.dport;
	pk.family = o.family;
	p = bpf_map_lookup_elem(&fp_ports, &pk);
	if (!p)
		return TC_ACT_OK;
	slot = p->slot;
	ps = bpf_map_lookup_elem(&fp_pst, &slot);
	if (!ps)
		return TC_ACT_OK;
	if ((p->flags & FP_PORT_SLOW) || !port_match(skb, p, &o) || !addr_local(&o))
		return rx_slow(ps, FP_SLOW_CONFIG);
	if (!o.ulen)
		return rx_slow(ps, FP_SLOW_BATCH);
	if (rx_encap(skb, p, &o, &e))
		return rx_slow(ps, FP_SLOW_HEADER);
	if (inner_parse(skb, e.off, e.gre_proto, &in) < 0)
		return rx_slow(ps, FP_SLOW_HEADER);
	/* The inner packet must fill the datagram: else several are batched in it. */
	if (in.len != o.l4 + o.ulen - e.off)
		return rx_slow(ps, FP_SLOW_BATCH);
	/* A checksum the kernel has not verified is for the UDP socket to check. */
	if (o.ucsum && bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY) < 0)
		return rx_slow(ps, FP_SLOW_HEADER);
	r = rx_lookup(&o, &e);
	if (!r)
		return rx_slow(ps, FP_SLOW_CONFIG);
	if ((r->flags & FP_RX_SLOW) ||
	    !(r->flags & (in.ver == 4 ? FP_RX_INNER4 : FP_RX_INNER6)))
		return rx_slow(ps, FP_SLOW_CONFIG);
	if (!ecn_unchanged(o.ds, in.ds))
		return rx_slow(ps, FP_SLOW_ECN);
	if (in.ver != o.family) {
		cfg = bpf_map_lookup_elem(&fp_cfgm, &zero);
		if (!cfg || !(cfg->flags & FP_CFG_DECAP_FLAGS))
			return rx_slow(ps, FP_SLOW_CONFIG);
		flags |= in.ver == 4 ? BPF_F_ADJ_ROOM_DECAP_L3_IPV4 : BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
	}
	if (skb->gso_size) {
		__u32 l4 = l4_hdr_len(skb, e.off + in.l3len, in.l4);

		if (!l4 || in.len <= in.l3len + l4)
			return rx_slow(ps, FP_SLOW_HEADER);
		seghdr = in.l3len + l4;
		segs = seg_count(skb, in.len - seghdr);
	}
	slot = r->slot;
	ls = bpf_map_lookup_elem(&fp_lst, &slot);
	if (!ls)
		return rx_slow(ps, FP_SLOW_CONFIG);
	pop = e.off - ETH_HLEN;
	if (bpf_skb_adjust_room(skb, -(__s32)pop, BPF_ADJ_ROOM_MAC, flags))
		return rx_slow(ps, FP_SLOW_HEADER);
	if (in.ver != o.family) {
		__be16 t = in.ver == 4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);

		bpf_skb_store_bytes(skb, 12, &t, 2, 0);
	}
	ps->rx_packets += segs;
	ps->rx_bytes += o.ulen - 8 + (segs - 1) * (seghdr + (e.off - o.l4 - 8));
	ls->rx_packets += segs;
	ls->rx_bytes += in.len + (segs - 1) * seghdr;
	return bpf_redirect(r->ifindex, BPF_F_INGRESS);
}

/*
 * Run once by the control side (BPF_PROG_TEST_RUN) on an IPv4/UDP packet:
 * 1 when this kernel strips headers with the 6.3 decapsulation flags,
 * which a change of inner family needs (6.1 answers -EINVAL).
 */
SEC("tc")
int ufou_probe(struct __sk_buff *skb)
{
	return bpf_skb_adjust_room(skb, -8, BPF_ADJ_ROOM_MAC,
				   BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4) == 0;
}
