/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive-side tunnel lookup, as the kernel's ip_tunnel_lookup() /
 * ipip6_tunnel_lookup() / ip6_tnl_lookup(): which link takes a decapsulated
 * packet, from the outer addresses, the protocol after UDP (4, 41, 47), the
 * GRE protocol and key. Pure: works over an array of link views.
 */
#ifndef UFOU_DATAPLANE_LOOKUP_H
#define UFOU_DATAPLANE_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/model.h"

/* What the lookup needs to know about one link. */
struct dp_lk_link {
	enum uf_link_type type;
	enum uf_link_mode mode;     /* after uf_link_conf_defaults() */
	struct uf_addr local;       /* family 0 = any */
	struct uf_addr remote;      /* family 0 = any */
	bool has_ikey;
	uint32_t ikey;
};

/* What a received packet offers to match against. */
struct dp_lk_key {
	uint8_t family;             /* outer: 4 or 6 */
	uint8_t src[16], dst[16];   /* outer addresses (IPv4 in bytes 0..3) */
	uint8_t ipproto;            /* 4, 41 or 47 */
	uint16_t gre_proto;         /* with 47 */
	bool has_key;               /* GRE key present */
	uint32_t key;
};

/*
 * Finds the link for key among links[0..n). Returns its index with *drop
 * UF_DROP_NONE (deliver) or UF_DROP_TUNNEL_MODE (the link matches but its
 * mode does not carry this protocol: the link drops and counts it), or -1
 * with *drop UF_DROP_NO_TUNNEL. Order within a class: exact local+remote, remote
 * with local any, local with remote any, both any (keys as the kernel's
 * ip_tunnel_key_match). For protocol 4 over IPv4, ipip links are tried
 * before sit links (tunnel4 handler priority).
 */
int dp_lookup(const struct dp_lk_link *const *links, size_t n, const struct dp_lk_key *key,
	      enum uf_drop *drop);

/*
 * The kernel's tunnel table a link type is in: 0 ipip, 1 sit, 2 ip6tnl,
 * 3 gre, 4 gretap, 5 ip6gre, 6 ip6gretap (the fast path's FP_CL_*); -1 none.
 */
int dp_lk_class(enum uf_link_type t);

/* Whether a link of this type/mode carries inner IP protocol 4 or 41. */
bool dp_mode_carries(enum uf_link_type type, enum uf_link_mode mode, uint8_t ipproto);

#endif
