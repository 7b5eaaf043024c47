// SPDX-License-Identifier: GPL-2.0
/*
 * Tunnel lookup on receive. The kernel matches only addresses (and GRE
 * keys), never UDP ports: the fou socket strips UDP and re-injects the
 * packet as protocol 4/41/47, whose handler then looks for a device.
 */
#include <string.h>

#include "dataplane/lookup.h"

#include "proto/gre.h"
#include "proto/ip.h"

/* Link classes: the kernel's per-protocol tunnel tables. */
enum lk_class { LK_IPIP, LK_SIT, LK_IP6TNL, LK_GRE, LK_GRETAP, LK_IP6GRE, LK_IP6GRETAP };

int dp_lk_class(enum uf_link_type t)
{
	switch (t) {
	case UF_LINK_IPIP:
		return LK_IPIP;
	case UF_LINK_SIT:
		return LK_SIT;
	case UF_LINK_IP6TNL:
		return LK_IP6TNL;
	case UF_LINK_GRE:
		return LK_GRE;
	case UF_LINK_GRETAP:
		return LK_GRETAP;
	case UF_LINK_IP6GRE:
		return LK_IP6GRE;
	case UF_LINK_IP6GRETAP:
		return LK_IP6GRETAP;
	default:
		return -1;
	}
}

bool dp_mode_carries(enum uf_link_type type, enum uf_link_mode mode, uint8_t ipproto)
{
	bool v4 = ipproto == UF_IPPROTO_IPIP, v6 = ipproto == UF_IPPROTO_IPV6;

	switch (type) {
	case UF_LINK_IPIP:
		return v4 && (mode == UF_MODE_DEFAULT || mode == UF_MODE_IPIP || mode == UF_MODE_ANY);
	case UF_LINK_SIT:
		if (mode == UF_MODE_ANY)
			return v4 || v6;
		if (mode == UF_MODE_IPIP)
			return v4;
		return v6 && (mode == UF_MODE_DEFAULT || mode == UF_MODE_IP6IP);
	case UF_LINK_IP6TNL:
		if (mode == UF_MODE_ANY)
			return v4 || v6;
		if (mode == UF_MODE_IPIP6)
			return v4;
		return v6 && (mode == UF_MODE_DEFAULT || mode == UF_MODE_IP6IP6);
	default:
		/* GRE types carry what the GRE protocol says. */
		return v4 || v6;
	}
}

static size_t alen(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static bool addr_eq(const struct uf_addr *a, uint8_t family, const uint8_t *b)
{
	return a->family == family && memcmp(a->a, b, alen(family)) == 0;
}

static bool addr_any(const struct uf_addr *a)
{
	static const uint8_t zero[16];

	return a->family == 0 || memcmp(a->a, zero, alen(a->family)) == 0;
}

/* ip_tunnel_key_match(): a keyed link takes only that key, an unkeyed one only no key. */
static bool key_match(const struct dp_lk_link *l, const struct dp_lk_key *k)
{
	if (l->has_ikey)
		return k->has_key && k->key == l->ikey;
	return !k->has_key;
}

static uint32_t wild_key(const struct dp_lk_link *l)
{
	return l->has_ikey ? l->ikey : 0;
}

static uint32_t wild_key_pkt(const struct dp_lk_key *k)
{
	return k->has_key ? k->key : 0;
}

/* One stage of the kernel's lookup: which address fields must match or be any. */
static bool stage_match(const struct dp_lk_link *l, const struct dp_lk_key *k, int stage)
{
	bool lany = addr_any(&l->local), rany = addr_any(&l->remote);
	bool leq = !lany && addr_eq(&l->local, k->family, k->dst);
	bool req = !rany && addr_eq(&l->remote, k->family, k->src);

	switch (stage) {
	case 0:
		return leq && req && key_match(l, k);
	case 1:
		return req && lany && key_match(l, k);
	case 2:
		return leq && rany && key_match(l, k);
	default:
		/* Wildcard: GRE compares i_key with the packet key (0 when absent),
		 * ipip/sit/ip6tnl look up with TUNNEL_NO_KEY and take anything. */
		return lany && rany && (k->ipproto != UF_IPPROTO_GRE || wild_key(l) == wild_key_pkt(k));
	}
}

static int lookup_class(const struct dp_lk_link *const *links, size_t n,
			const struct dp_lk_key *k, int cls)
{
	for (int stage = 0; stage < 4; stage++)
		for (size_t i = 0; i < n; i++)
			if (dp_lk_class(links[i]->type) == cls && stage_match(links[i], k, stage))
				return (int)i;
	return -1;
}

/* The classes to search, in order, for this packet; returns how many. */
static int key_classes(const struct dp_lk_key *k, int cls[2])
{
	bool v6 = k->family == 6;

	switch (k->ipproto) {
	case UF_IPPROTO_IPIP:
		if (v6) {
			cls[0] = LK_IP6TNL;
			return 1;
		}
		cls[0] = LK_IPIP;
		cls[1] = LK_SIT;
		return 2;
	case UF_IPPROTO_IPV6:
		cls[0] = v6 ? LK_IP6TNL : LK_SIT;
		return 1;
	case UF_IPPROTO_GRE:
		if (k->gre_proto == UF_ETH_P_TEB)
			cls[0] = v6 ? LK_IP6GRETAP : LK_GRETAP;
		else
			cls[0] = v6 ? LK_IP6GRE : LK_GRE;
		return 1;
	default:
		return 0;
	}
}

int dp_lookup(const struct dp_lk_link *const *links, size_t n, const struct dp_lk_key *key,
	      enum uf_drop *drop)
{
	int cls[2], ncls = key_classes(key, cls), idx = -1;
	uint8_t proto;

	*drop = UF_DROP_NO_TUNNEL;
	for (int c = 0; c < ncls && idx < 0; c++)
		idx = lookup_class(links, n, key, cls[c]);
	if (idx < 0)
		return -1;
	proto = key->ipproto;
	if (proto == UF_IPPROTO_GRE)
		proto = key->gre_proto == UF_ETH_P_IPV6 ? UF_IPPROTO_IPV6 : UF_IPPROTO_IPIP;
	if (!uf_link_type_is_gre(links[idx]->type) &&
	    !dp_mode_carries(links[idx]->type, links[idx]->mode, proto)) {
		*drop = UF_DROP_TUNNEL_MODE;
		return idx;
	}
	*drop = UF_DROP_NONE;
	return idx;
}
