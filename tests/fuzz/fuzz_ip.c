// SPDX-License-Identifier: GPL-2.0
/*
 * The IP-layer parsers of untrusted bytes: uf_ip_decode (plus the DS field
 * helpers on what decoded), and the frag-needed / packet-too-big reports a
 * raw ICMP socket reads (uf_ptb4_decode on an IPv4 datagram, uf_ptb6_decode
 * on an ICMPv6 message), matched against an IPv4 and an IPv6 link.
 */
#include "fuzz.h"
#include "proto/ip.h"
#include "proto/ptb.h"

static void ptb(const uint8_t *p, size_t size)
{
	static const uint8_t a4[4] = { 198, 18, 0, 1 }, b4[4] = { 198, 18, 1, 2 };
	static const uint8_t a6[16] = { 0xfd, 0, 0, 0x18, [15] = 1 };
	static const uint8_t b6[16] = { 0xfd, 0, 0, 0x19, [15] = 2 };
	struct uf_ptb r;
	struct uf_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.dport = 5555;
	tx.sport_min = 32768;
	tx.sport_max = 60999;
	tx.encap = size & 1 ? UF_ENCAP_GUE : UF_ENCAP_FOU;
	tx.gre = size & 2;
	if (uf_ptb4_decode(p, size, &r) == UF_PTB_NONE) {
		/* What a report says lies within the bytes given. */
		if (r.family != 4 || (r.after_len && (r.after < p || r.after + r.after_len > p + size)))
			abort();
		tx.family = 4;
		memcpy(tx.src, a4, 4);
		memcpy(tx.dst, b4, 4);
		fuzz_use(&r, sizeof(r));
		if (uf_ptb_matches(&r, &tx, tx.src) && uf_ptb_clamp(4, r.mtu, 552) < 552)
			abort();
	}
	if (uf_ptb6_decode(p, size, &r) == UF_PTB_NONE) {
		if (r.family != 6 || (r.after_len && (r.after < p || r.after + r.after_len > p + size)))
			abort();
		tx.family = 6;
		memcpy(tx.src, a6, 16);
		memcpy(tx.dst, b6, 16);
		fuzz_use(&r, sizeof(r));
		if (uf_ptb_matches(&r, &tx, NULL) && uf_ptb_clamp(6, r.mtu, 552) < 1280)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_copy(data, size);
	struct uf_ip ip;

	ptb(p, size);
	memset(&ip, 0, sizeof(ip));
	if (uf_ip_decode(p, size, &ip) == UF_DROP_NONE) {
		if (ip.hdr_len > size || ip.total_len > size || ip.hdr_len > ip.total_len)
			abort();   /* a decoded header must lie within the bytes given */
		fuzz_use(&ip, sizeof(ip));
		uf_ip_set_dsfield(p, uf_ip_get_dsfield(p) ^ 0x03);
		if (ip.family == 4 && uf_ip_decode(p, size, &ip) != UF_DROP_NONE)
			abort();   /* rewriting the DS field keeps the IPv4 checksum valid */
	}
	free(p);
	return 0;
}
