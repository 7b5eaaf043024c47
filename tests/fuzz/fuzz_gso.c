// SPDX-License-Identifier: GPL-2.0
/*
 * vnet header, TSO/USO segmentation and TCP coalescing on hostile bytes.
 * Byte 0: bit 0 picks the tap layout (IP at 14), bits 1-7 the number of
 * packets the rest is cut into for the coalescer. Then a 10-byte vnet
 * header and the super-packet: every segment is cut (each must verify its
 * own length bounds) and fed to uf_gro together with the raw pieces; every
 * item written back must lie within the buffers given.
 */
#include "fuzz.h"
#include "proto/gro.h"
#include "proto/gso.h"
#include "proto/vnet.h"

#define MAXSEG 128
#define SEGBUF 70000

static void coalesce(uint8_t **pkts, const size_t *lens, size_t n, size_t l3)
{
	static struct uf_gro_item items[MAXSEG * 2];
	static struct uf_gro_seg segs[MAXSEG * 2];
	struct uf_vnet_hdr vh;
	struct uf_gro g;

	uf_gro_init(&g, items, MAXSEG * 2, segs, MAXSEG * 2);
	for (size_t i = 0; i < n; i++)
		if (uf_gro_add(&g, pkts[i], lens[i], l3) < 0)
			abort();
	for (size_t i = 0; i < g.nitems; i++) {
		struct uf_gro_item *it = &g.items[i];
		size_t total = 0;

		uf_gro_finish(it, &vh);
		for (int32_t k = it->first; k >= 0; k = g.segs[k].next)
			total += g.segs[k].len;
		if (it->nseg > 1 && (vh.gso_size == 0 || total + it->len > 65535 + 40 + l3))
			abort();
		fuzz_use(&vh, sizeof(vh));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *segbuf[MAXSEG];
	uint8_t *pkts[MAXSEG * 2], *p;
	size_t lens[MAXSEG * 2], n = 0, l3, cuts, len;
	struct uf_vnet_hdr vh;
	struct uf_gso g;
	int nseg;

	if (size < 1 + UF_VNET_HLEN)
		return 0;
	l3 = (data[0] & 1) ? 14 : 0;
	cuts = (size_t)(data[0] >> 1) % 8 + 1;
	if (uf_vnet_decode(data + 1, size - 1, &vh) < 0)
		abort();
	len = size - 1 - UF_VNET_HLEN;
	p = fuzz_copy(data + 1 + UF_VNET_HLEN, len);
	nseg = uf_gso_init(&g, p, len, l3, &vh);
	if (nseg > 0 && (size_t)nseg <= MAXSEG) {
		for (int i = 0; i < nseg; i++) {
			size_t want = uf_gso_seg_len(&g, (size_t)i);
			int m;

			if (!segbuf[i])
				segbuf[i] = malloc(SEGBUF);
			if (!segbuf[i])
				abort();
			m = uf_gso_segment(&g, (size_t)i, segbuf[i], SEGBUF);
			if (m < 0 || (size_t)m != want || want > len)
				abort();
			pkts[n] = segbuf[i];
			lens[n++] = (size_t)m;
		}
	}
	/* The raw bytes too, cut into pieces: arbitrary packets for the coalescer. */
	for (size_t i = 0, off = 0; i < cuts && n < MAXSEG * 2; i++) {
		size_t piece = i + 1 == cuts ? len - off : len / cuts;

		pkts[n] = p + off;
		lens[n++] = piece;
		off += piece;
	}
	coalesce(pkts, lens, n, l3);
	if (len >= 4) {
		uf_csum_complete(p, len, p[0], p[1]);
		fuzz_use(p, len);
	}
	free(p);
	return 0;
}
