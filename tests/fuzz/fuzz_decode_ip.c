// SPDX-License-Identifier: GPL-2.0
/* uf_decode_ip with the `ufou decode` default port map on arbitrary bytes. */
#include "cli/decode.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_copy(data, size);
	struct uf_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	if (uf_decode_ip(p, size, decode_default_ports, decode_default_nports, &pkt) != pkt.drop)
		abort();
	if (pkt.drop == UF_DROP_NONE && (pkt.tun_off > size || pkt.tun_len > size - pkt.tun_off))
		abort();
	fuzz_use(&pkt, sizeof(pkt));
	free(p);
	return 0;
}
