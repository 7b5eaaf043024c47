// SPDX-License-Identifier: GPL-2.0
/* A pcap file: open, iterate, find L3, decode each record from its own
 * exact-size copy (as `ufou decode` does, minus the printing). */
#include "cli/decode.h"
#include "fuzz.h"
#include "proto/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = fuzz_copy(data, size);
	struct uf_pcap pc;
	struct uf_pcap_rec r;
	int n, guard = 0;

	if (uf_pcap_open(&pc, file, size)) {
		free(file);
		return 0;
	}
	while ((n = uf_pcap_next(&pc, &r)) == 1) {
		struct uf_pkt pkt;
		uint8_t *rec;
		size_t l3;

		if (r.data < file || r.data + r.caplen > file + size || ++guard > 100000)
			abort();
		rec = fuzz_copy(r.data, r.caplen);
		if (uf_pcap_l3_offset(pc.linktype, rec, r.caplen, &l3) == 0) {
			if (l3 > r.caplen)
				abort();
			memset(&pkt, 0, sizeof(pkt));
			uf_decode_ip(rec + l3, r.caplen - l3, decode_default_ports,
				     decode_default_nports, &pkt);
			fuzz_use(&pkt, sizeof(pkt));
		}
		free(rec);
	}
	free(file);
	return 0;
}
