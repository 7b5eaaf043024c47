// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration model: names of link types, Linux defaults, the port
 * identity (kernel fou_cfg_cmp) and the conf -> transmit parameter mapping.
 */
#include <string.h>

#include "common/model.h"

static const char *const link_type_names[UF_LINK__COUNT] = {
	[UF_LINK_IPIP] = "ipip",
	[UF_LINK_SIT] = "sit",
	[UF_LINK_GRE] = "gre",
	[UF_LINK_GRETAP] = "gretap",
	[UF_LINK_IP6TNL] = "ip6tnl",
	[UF_LINK_IP6GRE] = "ip6gre",
	[UF_LINK_IP6GRETAP] = "ip6gretap",
};

static bool addr_same(const struct uf_addr *a, const struct uf_addr *b)
{
	size_t n = a->family == 6 ? 16 : a->family == 4 ? 4 : 0;

	return a->family == b->family && memcmp(a->a, b->a, n) == 0;
}

bool uf_port_same(const struct uf_port_conf *a, const struct uf_port_conf *b)
{
	uint8_t fa = a->family ? a->family : 4, fb = b->family ? b->family : 4;

	return fa == fb && a->port == b->port && addr_same(&a->local, &b->local) &&
	       addr_same(&a->peer, &b->peer) && a->peer_port == b->peer_port &&
	       strncmp(a->dev, b->dev, UF_IFNAMSIZ) == 0;
}

const char *uf_link_type_name(enum uf_link_type t)
{
	if ((unsigned int)t >= UF_LINK__COUNT)
		return "unknown";
	return link_type_names[t];
}

int uf_link_type_parse(const char *s)
{
	for (int t = 0; t < UF_LINK__COUNT; t++)
		if (strcmp(s, link_type_names[t]) == 0)
			return t;
	return -1;
}

int uf_link_type_family(enum uf_link_type t)
{
	return t == UF_LINK_IP6TNL || t == UF_LINK_IP6GRE || t == UF_LINK_IP6GRETAP ? 6 : 4;
}

bool uf_link_type_is_gre(enum uf_link_type t)
{
	return t == UF_LINK_GRE || t == UF_LINK_GRETAP || t == UF_LINK_IP6GRE ||
	       t == UF_LINK_IP6GRETAP;
}

bool uf_link_type_is_tap(enum uf_link_type t)
{
	return t == UF_LINK_GRETAP || t == UF_LINK_IP6GRETAP;
}

/* What `mode` means when not given, as iproute2 sends it. */
static enum uf_link_mode default_mode(enum uf_link_type t)
{
	switch (t) {
	case UF_LINK_IPIP:
		return UF_MODE_IPIP;
	case UF_LINK_SIT:
		return UF_MODE_IP6IP;
	case UF_LINK_IP6TNL:
		return UF_MODE_IP6IP6;
	default:
		return UF_MODE_DEFAULT;
	}
}

void uf_link_conf_defaults(struct uf_link_conf *c)
{
	if (!(c->has & UF_LINK_HAS_TTL))
		c->ttl = 0;                     /* inherit */
	if (!(c->has & UF_LINK_HAS_TOS)) {
		c->tos = 0;
		c->tos_inherit = false;
	}
	if (!(c->has & UF_LINK_HAS_PMTUDISC))
		c->pmtudisc = true;
	if (!(c->has & UF_LINK_HAS_MODE) || c->mode == UF_MODE_DEFAULT)
		c->mode = default_mode(c->type);
	if (!(c->has & UF_LINK_HAS_ENCAPLIMIT))
		c->encaplimit = 4;
	if (!(c->has & UF_LINK_HAS_HOPLIMIT))
		c->hoplimit = 64;
	if (!(c->has & UF_LINK_HAS_TCLASS)) {
		c->tclass = 0;
		c->tclass_inherit = false;
	}
	if (!(c->has & UF_LINK_HAS_FLOWLABEL)) {
		c->flowlabel = 0;
		c->flowlabel_inherit = false;
	}
	if (!(c->has & UF_LINK_HAS_IKEY))
		c->ikey = 0;
	if (!(c->has & UF_LINK_HAS_OKEY))
		c->okey = 0;
	if (!(c->has & UF_LINK_HAS_ICSUM))
		c->icsum = false;
	if (!(c->has & UF_LINK_HAS_OCSUM))
		c->ocsum = false;
	if (!(c->has & UF_LINK_HAS_ISEQ))
		c->iseq = false;
	if (!(c->has & UF_LINK_HAS_OSEQ))
		c->oseq = false;
	if (!(c->has & UF_LINK_HAS_MTU))
		c->mtu = 0;
	if (!(c->has & UF_LINK_HAS_SPORT))
		c->sport = 0;                   /* auto */
	if (!(c->has & UF_LINK_HAS_ENCAP_CSUM))
		c->encap_csum = false;
	/* iproute2 creates ip6tnl/ip6gre links with encap-udp6-csum on
	 * (link_ip6tnl.c, link_gre6.c: encapflags = TUNNEL_ENCAP_FLAG_CSUM6);
	 * the IPv4 types leave both checksum flags off. */
	if (!(c->has & UF_LINK_HAS_ENCAP_CSUM6))
		c->encap_csum6 = uf_link_type_family(c->type) == 6;
	if (!(c->has & UF_LINK_HAS_REMCSUM))
		c->encap_remcsum = false;
}

void uf_link_conf_to_tx(const struct uf_link_conf *c, struct uf_tx *tx)
{
	int fam = uf_link_type_family(c->type);
	size_t alen = fam == 6 ? 16 : 4;

	memset(tx, 0, sizeof(*tx));
	tx->family = (uint8_t)fam;
	if (c->local.family == fam)
		memcpy(tx->src, c->local.a, alen);
	if (c->remote.family == fam)
		memcpy(tx->dst, c->remote.a, alen);
	if (fam == 4) {
		tx->ttl = c->ttl;
		tx->tos = c->tos;
		tx->tos_inherit = c->tos_inherit;
		tx->pmtudisc = c->pmtudisc;
		tx->encap_limit = -1;
		tx->udp_csum = c->encap_csum;
	} else {
		tx->ttl = c->hoplimit;
		tx->tos = c->tclass;
		tx->tos_inherit = c->tclass_inherit;
		tx->pmtudisc = true;            /* IPv6 never fragments in flight */
		tx->encap_limit = c->encaplimit;
		tx->flowlabel = c->flowlabel;
		tx->flowlabel_inherit = c->flowlabel_inherit;
		tx->udp_csum = c->encap_csum6;
	}
	tx->encap = c->encap;
	tx->sport = c->sport;
	tx->sport_min = 32768;                  /* Linux ip_local_port_range 32768-60999 */
	tx->sport_max = 60999;                  /* exclusive, as udp_flow_src_port */
	tx->dport = c->dport;
	/* Linux only honours remcsum in the GUE encap ops. */
	tx->remcsum = c->encap_remcsum && c->encap == UF_ENCAP_GUE;
	tx->gre = uf_link_type_is_gre(c->type);
	if (tx->gre) {
		tx->gre_csum = c->ocsum;
		tx->gre_key = !!(c->has & UF_LINK_HAS_OKEY);
		tx->gre_okey = c->okey;
		tx->gre_seq = c->oseq;
	}
	tx->inner_kind = uf_link_type_is_tap(c->type) ? UF_INNER_ETH : UF_INNER_IP;
	tx->hash_seed = 0;
}

static const char *const tx_drop_names[UF_TXD__COUNT] = {
	[UF_TXD_TOO_BIG] = "too-big",
	[UF_TXD_BAD_INNER] = "bad-inner",
	[UF_TXD_NO_HEADROOM] = "no-headroom",
	[UF_TXD_SEND_ERROR] = "send-error",
	[UF_TXD_NO_ROUTE] = "no-route",
};

const char *uf_tx_drop_name(enum uf_tx_drop d)
{
	if ((unsigned int)d >= UF_TXD__COUNT)
		return "unknown";
	return tx_drop_names[d];
}

const char *uf_fp_pass_name(enum uf_fp_pass p)
{
	static const char *const names[UF_FPP__COUNT] = {
		[UF_FPP_CONFIG] = "config", [UF_FPP_MTU] = "mtu", [UF_FPP_ROUTE] = "route",
		[UF_FPP_INNER] = "inner", [UF_FPP_HEADER] = "header", [UF_FPP_ECN] = "ecn",
		[UF_FPP_BATCH] = "batch",
	};

	return (unsigned int)p < UF_FPP__COUNT ? names[p] : "unknown";
}
