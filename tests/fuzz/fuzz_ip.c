// SPDX-License-Identifier: GPL-2.0
/* uf_ip_decode on arbitrary bytes, plus the DS field helpers on what decoded. */
#include "fuzz.h"
#include "proto/ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_copy(data, size);
	struct uf_ip ip;

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
