// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit encapsulation, as Linux ip_tunnel_xmit() / ip6_tnl_xmit() with
 * the fou/gue encap ops (fou_build_header, __gue_build_header) and GRE
 * (gre_build_header). Headers are written backwards into the headroom:
 * [GRE], then [GUE], UDP and the outer IP header (+ encap limit option).
 */
#include <errno.h>
#include <string.h>

#include "encap.h"

#include "bytes.h"
#include "csum.h"
#include "flow.h"
#include "gre.h"
#include "gso.h"
#include "gue.h"
#include "udp.h"

/* net.ipv4.ip_local_port_range default: udp_flow_src_port() with min >= max. */
#define SPORT_DEFAULT_MIN 32768
#define SPORT_DEFAULT_MAX 60999
#define ETH_TYPE_OFF 12
#define IP4_MIN_MTU 68
#define IP6_MIN_MTU 1280
#define IP_MAX_LEN 65535

/* What uf_encap found out about the inner packet and the headers to write. */
struct encap_plan {
	const uint8_t *l3;   /* inner IP header to inherit from, NULL if none */
	uint8_t l3_ver;      /* 4 or 6 when l3 */
	uint8_t ipproto;     /* protocol after UDP: 4, 41 or 47 */
	uint16_t gre_proto;
	bool rco;            /* GUE remote checksum offload option */
	size_t ip_len, gue_len, gre_len, hdr_len;
};

/* Inner IP header at p when it holds at least a full base header. */
static uint8_t inner_ip_version(const uint8_t *p, size_t len)
{
	if (len >= UF_IP4_HLEN && p[0] >> 4 == 4)
		return 4;
	if (len >= UF_IP6_HLEN && p[0] >> 4 == 6)
		return 6;
	return 0;
}

static int plan_inner_ip(const struct uf_tx *tx, const uint8_t *inner, size_t len,
			 struct encap_plan *pl)
{
	pl->l3_ver = inner_ip_version(inner, len);
	if (!pl->l3_ver)
		return -EINVAL;
	pl->l3 = inner;
	pl->ipproto = pl->l3_ver == 4 ? UF_IPPROTO_IPIP : UF_IPPROTO_IPV6;
	pl->gre_proto = pl->l3_ver == 4 ? UF_ETH_P_IP : UF_ETH_P_IPV6;
	if (tx->gre)
		pl->ipproto = UF_IPPROTO_GRE;
	return 0;
}

/*
 * gretap: Linux inherits TTL/TOS/DF from the IP packet inside the frame
 * (skb->protocol is the frame's EtherType), and from nothing otherwise.
 */
static int plan_inner_eth(const struct uf_tx *tx, const uint8_t *inner, size_t len,
			  struct encap_plan *pl)
{
	uint16_t type;

	if (!tx->gre || len < UF_ETH_HLEN)
		return -EINVAL;
	pl->ipproto = UF_IPPROTO_GRE;
	pl->gre_proto = UF_ETH_P_TEB;
	type = get_be16(inner + ETH_TYPE_OFF);
	pl->l3_ver = inner_ip_version(inner + UF_ETH_HLEN, len - UF_ETH_HLEN);
	if ((type == UF_ETH_P_IP && pl->l3_ver == 4) || (type == UF_ETH_P_IPV6 && pl->l3_ver == 6))
		pl->l3 = inner + UF_ETH_HLEN;
	else
		pl->l3_ver = 0;
	return 0;
}

static size_t outer_ip_len(const struct uf_tx *tx)
{
	if (tx->family == 6)
		return UF_IP6_HLEN + (tx->encap_limit >= 0 ? UF_DSTOPT_LEN : 0);
	return UF_IP4_HLEN;
}

static size_t tx_gre_len(const struct uf_tx *tx)
{
	return tx->gre ? uf_gre_hdr_len(tx->gre_csum, tx->gre_key, tx->gre_seq) : 0;
}

size_t uf_tx_overhead(const struct uf_tx *tx)
{
	size_t gue = 0;

	/* gue_encap_hlen(): 4, plus private flags and the RCO field with remcsum. */
	if (tx->encap == UF_ENCAP_GUE)
		gue = UF_GUE_HLEN + (tx->remcsum ? UF_GUE_REMCSUM_HLEN - UF_GUE_HLEN : 0);
	return outer_ip_len(tx) + UF_UDP_HLEN + gue + tx_gre_len(tx);
}

/*
 * Underlay MTU minus the overhead (and the Ethernet header for gretap),
 * clamped like ip_tunnel_bind_dev() (68) and ip6_tnl_link_config() (1280).
 */
unsigned int uf_tx_default_mtu(const struct uf_tx *tx, unsigned int underlay_mtu)
{
	size_t sub = uf_tx_overhead(tx) + (tx->inner_kind == UF_INNER_ETH ? UF_ETH_HLEN : 0);
	unsigned int min = tx->family == 6 ? IP6_MIN_MTU : IP4_MIN_MTU;
	unsigned int mtu;

	if (underlay_mtu > IP_MAX_LEN)
		underlay_mtu = IP_MAX_LEN;
	mtu = underlay_mtu > sub ? underlay_mtu - (unsigned int)sub : 0;
	return mtu < min ? min : mtu;
}

static int encap_plan(const struct uf_tx *tx, const uint8_t *inner, size_t inner_len,
		      const struct uf_partial_csum *partial, struct encap_plan *pl)
{
	int err;

	memset(pl, 0, sizeof(*pl));
	if ((tx->family != 4 && tx->family != 6) ||
	    (tx->encap != UF_ENCAP_FOU && tx->encap != UF_ENCAP_GUE))
		return -EINVAL;
	if (tx->inner_kind == UF_INNER_ETH)
		err = plan_inner_eth(tx, inner, inner_len, pl);
	else
		err = plan_inner_ip(tx, inner, inner_len, pl);
	if (err)
		return err;
	if (partial && (size_t)partial->start + partial->offset + 2 > inner_len)
		return -EINVAL;
	pl->rco = tx->remcsum && partial && tx->encap == UF_ENCAP_GUE;
	pl->ip_len = outer_ip_len(tx);
	pl->gre_len = tx_gre_len(tx);
	if (tx->encap == UF_ENCAP_GUE)
		pl->gue_len = pl->rco ? UF_GUE_REMCSUM_HLEN : UF_GUE_HLEN;
	pl->hdr_len = pl->ip_len + UF_UDP_HLEN + pl->gue_len + pl->gre_len;
	/* IPv4 total length, or IPv6 payload length (which includes the dstopt). */
	if (pl->hdr_len + inner_len - (tx->family == 6 ? UF_IP6_HLEN : 0) > IP_MAX_LEN)
		return -EMSGSIZE;
	if (pl->rco && partial->start + pl->gre_len + partial->offset > 0xffff)
		return -EMSGSIZE;
	return 0;
}

/* encap_plan() checked start/offset against inner_len, so this cannot fail. */
static void csum_complete(uint8_t *inner, size_t len, const struct uf_partial_csum *pc)
{
	(void)uf_csum_complete(inner, len, pc->start, pc->offset);
}

/*
 * GRE checksum next to a GUE remote checksum option: Linux computes it with
 * lco_csum(), as if the inner checksum were already complete, because the
 * receiver completes it before GRE verifies. Do the same, then restore.
 */
static void gre_write(const struct uf_tx *tx, struct uf_tx_state *st, uint8_t *inner,
		      size_t inner_len, const struct uf_partial_csum *pc,
		      const struct encap_plan *pl)
{
	uint8_t *field = pc ? inner + pc->start + pc->offset : NULL;
	uint8_t saved[2] = { 0, 0 };
	bool lco = pl->rco && tx->gre_csum;
	uint32_t seq = 0;

	if (tx->gre_seq)
		seq = ++st->gre_seq;
	if (lco) {
		memcpy(saved, field, 2);
		csum_complete(inner, inner_len, pc);
	}
	uf_gre_encode(inner - pl->gre_len, pl->gre_proto, tx->gre_csum, tx->gre_key,
		      tx->gre_okey, tx->gre_seq, seq, inner_len);
	if (lco)
		memcpy(field, saved, 2);
}

static uint32_t inner_flow_hash(const struct uf_tx *tx, const uint8_t *inner, size_t len)
{
	struct uf_flow f;

	uf_flow_extract(inner, len, tx->inner_kind == UF_INNER_ETH, &f);
	return uf_flow_hash(&f, tx->hash_seed);
}

static uint16_t tx_sport(const struct uf_tx *tx, uint32_t hash)
{
	uint16_t min = tx->sport_min, max = tx->sport_max;

	if (tx->sport)
		return tx->sport;
	if (min >= max) {
		min = SPORT_DEFAULT_MIN;
		max = SPORT_DEFAULT_MAX;
	}
	return uf_flow_sport(hash, min, max);
}

static uint8_t inner_dsfield(const struct encap_plan *pl)
{
	if (pl->l3_ver == 4)
		return pl->l3[1];
	if (pl->l3_ver == 6)
		return (uint8_t)(get_be16(pl->l3) >> 4);
	return 0;
}

/* TTL / hop limit: fixed, or inherited; 64 when there is nothing to inherit. */
static uint8_t outer_ttl(const struct uf_tx *tx, const struct encap_plan *pl)
{
	if (tx->ttl)
		return tx->ttl;
	if (pl->l3_ver == 4)
		return pl->l3[8];
	if (pl->l3_ver == 6)
		return pl->l3[7];
	return 64;
}

static uint32_t outer_flowlabel(const struct uf_tx *tx, const struct encap_plan *pl,
				uint32_t hash)
{
	uint32_t label = tx->flowlabel & 0xfffff;

	if (tx->flowlabel_inherit && pl->l3_ver == 6)
		label = get_be32(pl->l3) & 0xfffff;
	/* ip6_make_flowlabel(autolabel=true): derive when nothing is set. */
	return label ? label : uf_flow_label(hash);
}

static void outer_ip_fill(const struct uf_tx *tx, struct uf_tx_state *st,
			  const struct encap_plan *pl, uint32_t hash, struct uf_ip *ip)
{
	uint8_t inner_ds = inner_dsfield(pl);

	memset(ip, 0, sizeof(*ip));
	ip->family = tx->family;
	memcpy(ip->src, tx->src, tx->family == 6 ? 16 : 4);
	memcpy(ip->dst, tx->dst, tx->family == 6 ? 16 : 4);
	ip->proto = UF_IPPROTO_UDP;
	ip->ttl = outer_ttl(tx, pl);
	ip->tos = uf_ecn_encap(tx->tos_inherit ? inner_ds : tx->tos, inner_ds);
	ip->encap_limit = -1;
	if (tx->family == 4) {
		ip->df = tx->pmtudisc || (pl->l3_ver == 4 && (pl->l3[6] & 0x40));
		ip->id = st->ip_id++;
	} else {
		ip->encap_limit = tx->encap_limit;
		ip->flowlabel = outer_flowlabel(tx, pl, hash);
	}
}

int uf_encap(const struct uf_tx *tx, struct uf_tx_state *st, uint8_t *buf, size_t headroom,
	     size_t inner_len, const struct uf_partial_csum *partial, size_t *out_len)
{
	uint8_t *inner = buf + headroom, *p;
	struct encap_plan pl;
	uint32_t hash = 0;
	struct uf_ip ip;
	size_t udp_len;
	int err;

	err = encap_plan(tx, inner, inner_len, partial, &pl);
	if (err)
		return err;
	if (headroom < pl.hdr_len)
		return -ENOSPC;
	if (partial && !pl.rco)
		csum_complete(inner, inner_len, partial);
	if (!tx->sport || (tx->family == 6 && !tx->flowlabel))
		hash = inner_flow_hash(tx, inner, inner_len);
	if (pl.gre_len)
		gre_write(tx, st, inner, inner_len, partial, &pl);
	p = inner - pl.gre_len - pl.gue_len;
	if (pl.gue_len) {
		uint16_t start = (uint16_t)(pl.rco ? partial->start + pl.gre_len : 0);

		uf_gue_encode(p, pl.gue_len, pl.ipproto, pl.rco, start,
			      (uint16_t)(pl.rco ? start + partial->offset : 0));
	}
	udp_len = UF_UDP_HLEN + pl.gue_len + pl.gre_len + inner_len;
	outer_ip_fill(tx, st, &pl, hash, &ip);
	p -= UF_UDP_HLEN;
	uf_udp_encode(p, tx_sport(tx, hash), tx->dport, udp_len - UF_UDP_HLEN, &ip,
		      tx->udp_csum && !tx->csum_defer);
	p -= pl.ip_len;
	/*
	 * Deferred: most of these packets go by UDP GSO, where the kernel writes
	 * its own IP header; uf_encap_finish() sums it for the others.
	 */
	if (tx->csum_defer && tx->udp_csum)
		err = uf_ip_encode_nocsum(p, pl.ip_len, &ip, udp_len);
	else
		err = uf_ip_encode(p, pl.ip_len, &ip, udp_len);
	if (err < 0)
		return err;
	*out_len = pl.hdr_len + inner_len;
	return (int)(headroom - pl.hdr_len);
}

int uf_encap_finish(const struct uf_tx *tx, uint8_t *pkt, size_t len)
{
	size_t ip_len = outer_ip_len(tx), ulen;
	bool ok;

	if (!tx->csum_defer || !tx->udp_csum)
		return 0;
	if ((tx->family != 4 && tx->family != 6) || len < ip_len + UF_UDP_HLEN)
		return -EINVAL;
	/* The layout uf_encap() wrote: IPv4 without options, IPv6 [+ one dstopt]. */
	if (tx->family == 4)
		ok = pkt[0] == 0x45 && pkt[9] == UF_IPPROTO_UDP;
	else if (ip_len == UF_IP6_HLEN)
		ok = pkt[0] >> 4 == 6 && pkt[6] == UF_IPPROTO_UDP;
	else
		ok = pkt[0] >> 4 == 6 && pkt[6] == UF_IPPROTO_DSTOPTS &&
		     pkt[UF_IP6_HLEN] == UF_IPPROTO_UDP && pkt[UF_IP6_HLEN + 1] == 0;
	if (!ok)
		return -EINVAL;
	ulen = len - ip_len;
	if (get_be16(pkt + ip_len + 4) != ulen)
		return -EINVAL;
	if (tx->family == 4)
		uf_ip4_fix_csum(pkt, UF_IP4_HLEN);
	uf_udp_set_csum(pkt + ip_len, ulen,
			uf_csum_pseudo_hdr(tx->family, pkt, UF_IPPROTO_UDP, (uint32_t)ulen));
	return 0;
}
