// SPDX-License-Identifier: GPL-2.0
/*
 * uf_decap_payload: byte 0 picks the port kind (bit 0: GUE, bits 1-2:
 * family hint), byte 1 the FOU ipproto; the rest is the UDP payload.
 * Then uf_pkt_verify_l4 on what it decoded, as uf_decode_ip does.
 */
#include "fuzz.h"
#include "proto/decap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fam[4] = { 0, 4, 6, 0 };
	struct uf_port_kind k = { .port = 5555 };
	struct uf_pkt pkt;
	uint8_t *p;
	size_t n;

	if (size < 2)
		return 0;
	k.gue = data[0] & 1;
	k.family = fam[(data[0] >> 1) & 3];
	k.ipproto = data[1];
	n = size - 2;
	p = fuzz_copy(data + 2, n);
	memset(&pkt, 0, sizeof(pkt));
	if (uf_decap_payload(p, n, &k, &pkt) != pkt.drop)
		abort();
	if (pkt.drop == UF_DROP_NONE && (pkt.tun_off > n || pkt.tun_len > n - pkt.tun_off))
		abort();   /* what goes to the tunnel device lies within the payload */
	if (pkt.has_l4 && pkt.l4_off > n)
		abort();
	uf_pkt_verify_l4(p, &pkt);
	fuzz_use(&pkt, sizeof(pkt));
	free(p);
	return 0;
}
