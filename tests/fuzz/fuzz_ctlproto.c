// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: control protocol decode (request and reply) and re-encode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[CTLP_MAX_REQ];
	struct ctlp_req r;
	const char *text;
	size_t tl;
	ssize_t n, fl;
	uint8_t *buf;
	int err;

	/* exact-size copy so ASan sees any read past the end */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fl = ctlp_frame_len(buf, size, CTLP_REQ_HDR, CTLP_MAX_REQ);
	if (ctlp_req_decode(buf, size, &r) == 0) {
		if (fl != (ssize_t)size)
			abort();
		for (int i = 0; i < r.argc; i++)
			if (!r.argv[i] || r.argv[i] < (char *)buf ||
			    r.argv[i] + strlen(r.argv[i]) >= (char *)buf + size)
				abort();
		n = ctlp_req_encode(out, sizeof(out), r.flags, r.stats, r.argc, r.argv);
		if (n != (ssize_t)size || memcmp(out, buf, size) != 0)
			abort();   /* decode and encode must agree */
	}
	if (ctlp_rep_decode(buf, size, &err, &text, &tl) == 0) {
		if (err > 0 || tl != size - CTLP_REP_HDR)
			abort();
		uint8_t *o2 = malloc(size);

		if (o2) {
			n = ctlp_rep_encode(o2, size, err, text, tl);
			if (n != (ssize_t)size || memcmp(o2, buf, size) != 0)
				abort();
			free(o2);
		}
	}
	free(buf);
	return 0;
}
