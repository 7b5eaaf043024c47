// SPDX-License-Identifier: GPL-2.0
/* uf_gue_decode on a UDP payload; on success with remcsum, the remote
 * checksum is applied to a copy of the inner bytes (exact size again). */
#include "fuzz.h"
#include "proto/gue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_copy(data, size);
	struct uf_gue g;

	memset(&g, 0, sizeof(g));
	if (uf_gue_decode(p, size, &g) == UF_DROP_NONE) {
		if (g.hdr_len > size)
			abort();
		fuzz_use(&g, sizeof(g));
		if (g.remcsum) {
			size_t n = size - g.hdr_len;
			uint8_t *inner = fuzz_copy(p + g.hdr_len, n);

			if (uf_gue_remcsum_apply(inner, n, g.remcsum_start, g.remcsum_offset))
				abort();   /* decode accepted start/offset: apply must too */
			free(inner);
		}
	}
	/* The apply routine alone, with start/offset from the first bytes. */
	if (size >= 4) {
		size_t n = size - 4;
		uint8_t *inner = fuzz_copy(p + 4, n);

		uf_gue_remcsum_apply(inner, n, (uint16_t)(p[0] << 8 | p[1]),
				     (uint16_t)(p[2] << 8 | p[3]));
		free(inner);
	}
	free(p);
	return 0;
}
