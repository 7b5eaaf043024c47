// SPDX-License-Identifier: GPL-2.0
/* Transmit inner-packet and PMTU decisions, GRE sequence check. */
#include "dataplane/policy.h"

#include "proto/bytes.h"
#include "proto/gre.h"
#include "proto/ip.h"
#include "dataplane/lookup.h"

static uint8_t ip_version(const uint8_t *p, size_t len)
{
	if (len >= UF_IP4_HLEN && p[0] >> 4 == 4)
		return 4;
	if (len >= UF_IP6_HLEN && p[0] >> 4 == 6)
		return 6;
	return 0;
}

static void inner_fill(const uint8_t *pkt, size_t len, size_t off, struct dp_inner *in)
{
	in->l3_off = off;
	in->l3_len = len - off;
	in->version = ip_version(pkt + off, len - off);
	in->df = in->version == 4 && (pkt[off + 6] & 0x40);
}

static int tx_inner_eth(const uint8_t *pkt, size_t len, struct dp_inner *in)
{
	uint16_t type;

	if (len < UF_ETH_HLEN)
		return -1;
	inner_fill(pkt, len, UF_ETH_HLEN, in);
	type = get_be16(pkt + 12);
	/* Only an IP packet under the matching EtherType counts as IP. */
	if ((in->version == 4 && type != UF_ETH_P_IP) ||
	    (in->version == 6 && type != UF_ETH_P_IPV6)) {
		in->version = 0;
		in->df = false;
	}
	return 0;
}

int dp_tx_inner(enum uf_link_type type, enum uf_link_mode mode, const uint8_t *pkt, size_t len,
		struct dp_inner *in)
{
	uint8_t proto;

	in->version = 0;
	in->df = false;
	if (uf_link_type_is_tap(type))
		return tx_inner_eth(pkt, len, in);
	inner_fill(pkt, len, 0, in);
	if (!in->version)
		return -1;
	if (uf_link_type_is_gre(type))
		return 0;
	proto = in->version == 4 ? UF_IPPROTO_IPIP : UF_IPPROTO_IPV6;
	return dp_mode_carries(type, mode, proto) ? 0 : -1;
}

enum dp_pmtu dp_tx_pmtu(uint8_t outer_family, const struct dp_inner *in, unsigned int limit,
			bool outer_fits, unsigned int *icmp_mtu)
{
	unsigned int v6lim = limit < DP_IP6_MIN_MTU ? DP_IP6_MIN_MTU : limit;

	*icmp_mtu = 0;
	/* IPv4 without DF over an IPv4 underlay is never refused: the outer is fragmented. */
	if (in->version == 4 && in->l3_len > limit && (in->df || outer_family == 6)) {
		*icmp_mtu = limit;
		return DP_PMTU_ICMP;
	}
	/* IPv6 up to 1280 is always sent (fragmented outside if need be), as the kernel does. */
	if (in->version == 6 && in->l3_len > v6lim) {
		*icmp_mtu = v6lim;
		return DP_PMTU_ICMP;
	}
	if (outer_fits)
		return DP_PMTU_SEND;
	/*
	 * Over IPv6 only inner IPv6 of at most 1280 bytes gets here (the
	 * rest was answered above): the entry point fragments the outer
	 * packet (RFC 2473 section 7.1). Other frames (taps) are dropped, as
	 * ip6_tnl_xmit refuses them.
	 */
	if (outer_family == 6)
		return in->version == 6 ? DP_PMTU_FRAG : DP_PMTU_DROP;
	return DP_PMTU_FRAG;
}

bool dp_gre_seq_ok(bool has_seq, uint32_t seq, uint32_t *next)
{
	if (!has_seq)
		return false;
	if (*next && (int32_t)(seq - *next) < 0)
		return false;
	*next = seq + 1;
	return true;
}
