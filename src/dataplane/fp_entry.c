// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path's map entries, built from the configuration model: pure
 * functions (no BPF, no I/O but a device name lookup), shared by fp.c and
 * the differential fuzz target, so the target feeds the programs exactly
 * what the daemon does.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>

#include "dataplane/fp_entry.h"

#include "dataplane/lookup.h"
#include "proto/ip.h"

bool fp_addr_any(const struct uf_addr *a)
{
	static const uint8_t zero[16];

	return a->family == 0 || !memcmp(a->a, zero, a->family == 6 ? 16 : 4);
}

uint32_t fp_inner_flags(const struct uf_link_conf *c)
{
	uint32_t f = 0;

	if (uf_link_type_is_gre(c->type))
		return FP_TX_INNER4 | FP_TX_INNER6;
	if (dp_mode_carries(c->type, c->mode, UF_IPPROTO_IPIP))
		f |= FP_TX_INNER4;
	if (dp_mode_carries(c->type, c->mode, UF_IPPROTO_IPV6))
		f |= FP_TX_INNER6;
	return f;
}

void fp_rx_entry(const struct uf_link_conf *c, int ifindex, int slot, bool rx_fast,
		 struct fp_rx_key *k, struct fp_rx *v)
{
	bool lany = fp_addr_any(&c->local), rany = fp_addr_any(&c->remote);
	bool key = (c->has & UF_LINK_HAS_IKEY) != 0;
	uint32_t ikey = htonl(key ? c->ikey : 0);
	size_t alen = uf_link_type_family(c->type) == 6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->family = (uint8_t)uf_link_type_family(c->type);
	k->cls = (uint8_t)dp_lk_class(c->type);
	if (!rany)
		memcpy(k->remote, c->remote.a, alen);
	if (!lany)
		memcpy(k->local, c->local.a, alen);
	k->kmode = lany && rany ? FP_K_WILD : key ? FP_K_KEY : FP_K_NONE;
	if (key && (k->kmode == FP_K_KEY || uf_link_type_is_gre(c->type)))
		memcpy(&k->key, &ikey, 4);
	v->ifindex = (uint32_t)ifindex;
	v->slot = (uint32_t)slot;
	v->flags = (fp_inner_flags(c) & FP_TX_INNER4 ? FP_RX_INNER4 : 0) |
		   (fp_inner_flags(c) & FP_TX_INNER6 ? FP_RX_INNER6 : 0);
	if (!rx_fast)
		v->flags |= FP_RX_SLOW;
}

void fp_port_entry(const struct uf_port_conf *c, int slot, struct fp_port_key *k,
		   struct fp_port *v)
{
	size_t alen = c->family == 6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->port = htons(c->port);
	k->family = c->family == 6 ? 6 : 4;
	v->slot = (uint32_t)slot;
	v->ipproto = c->ipproto;
	if (c->gue)
		v->flags |= FP_PORT_GUE;
	if ((c->has & UF_PORT_HAS_LOCAL) && c->local.family) {
		v->flags |= FP_PORT_LOCAL;
		memcpy(v->local, c->local.a, alen);
	}
	if ((c->has & UF_PORT_HAS_PEER) && c->peer.family) {
		v->flags |= FP_PORT_PEER;
		memcpy(v->peer, c->peer.a, alen);
	}
	if ((c->has & UF_PORT_HAS_PEER_PORT) && c->peer_port) {
		v->flags |= FP_PORT_PEER_PORT;
		v->peer_port = htons(c->peer_port);
	}
	if ((c->has & UF_PORT_HAS_DEV) && c->dev[0]) {
		v->flags |= FP_PORT_DEV;
		v->ifindex = if_nametoindex(c->dev);
	}
}
