// SPDX-License-Identifier: GPL-2.0
/*
 * uf_udp_decode: on the payload of whatever IP header decodes, and on the
 * whole input with a fixed IPv4 and IPv6 pseudo-header.
 */
#include "fuzz.h"
#include "proto/udp.h"

static void one(const uint8_t *p, size_t len, const struct uf_ip *ip)
{
	struct uf_udp u;

	memset(&u, 0, sizeof(u));
	uf_udp_decode(p, len, ip, &u);
	fuzz_use(&u, sizeof(u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_copy(data, size);
	struct uf_ip ip;

	memset(&ip, 0, sizeof(ip));
	if (uf_ip_decode(p, size, &ip) == UF_DROP_NONE && ip.hdr_len <= ip.total_len &&
	    ip.total_len <= size)
		one(p + ip.hdr_len, ip.total_len - ip.hdr_len, &ip);
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	ip.proto = UF_IPPROTO_UDP;
	memcpy(ip.src, "\xc6\x12\x00\x01", 4);
	memcpy(ip.dst, "\xc6\x12\x00\x02", 4);
	one(p, size, &ip);
	ip.family = 6;
	memcpy(ip.src, "\xfd\x00\x00\x18\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	one(p, size, &ip);
	free(p);
	return 0;
}
