// SPDX-License-Identifier: GPL-2.0
/* uf_gre_decode on arbitrary bytes (the whole GRE packet). */
#include "fuzz.h"
#include "proto/gre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_copy(data, size);
	struct uf_gre g;
	enum uf_drop d;

	memset(&g, 0, sizeof(g));
	d = uf_gre_decode(p, size, &g);
	if (d == UF_DROP_NONE) {
		if (g.hdr_len > size ||
		    g.hdr_len != uf_gre_hdr_len(g.has_csum, g.has_key, g.has_seq))
			abort();
		fuzz_use(&g, sizeof(g));
	}
	free(p);
	return 0;
}
