// SPDX-License-Identifier: GPL-2.0
/* uf_flow_extract (byte 0 bit 0: Ethernet frame) and the derived values. */
#include "fuzz.h"
#include "proto/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uf_flow f;
	uint8_t *p;
	uint32_t h;
	uint16_t sp;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	p = fuzz_copy(data + 1, n);
	memset(&f, 0, sizeof(f));
	uf_flow_extract(p, n, data[0] & 1, &f);
	h = uf_flow_hash(&f, 0x5eed);
	if (h == 0)
		abort();   /* documented: never 0 */
	sp = uf_flow_sport(h, 32768, 61000);
	if (sp < 32768 || sp >= 61000)
		abort();
	h = uf_flow_label(h);
	if (h == 0 || h > 0xfffff)
		abort();
	free(p);
	return 0;
}
