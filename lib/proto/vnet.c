// SPDX-License-Identifier: GPL-2.0
/* virtio_net_hdr, little-endian (TUNSETVNETLE; the native order on x86/arm64). */
#include "vnet.h"

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int uf_vnet_decode(const uint8_t *p, size_t len, struct uf_vnet_hdr *h)
{
	if (len < UF_VNET_HLEN)
		return -1;
	h->flags = p[0];
	h->gso_type = p[1];
	h->hdr_len = get_le16(p + 2);
	h->gso_size = get_le16(p + 4);
	h->csum_start = get_le16(p + 6);
	h->csum_offset = get_le16(p + 8);
	return 0;
}

void uf_vnet_encode(uint8_t *p, const struct uf_vnet_hdr *h)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	put_le16(p + 2, h->hdr_len);
	put_le16(p + 4, h->gso_size);
	put_le16(p + 6, h->csum_start);
	put_le16(p + 8, h->csum_offset);
}
