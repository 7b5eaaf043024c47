// SPDX-License-Identifier: GPL-2.0
/*
 * Classic pcap reader over a memory buffer. The file's byte order is the
 * writer's: the magic tells which, and every header field is read in that
 * order with explicit byte loads, so the result does not depend on ours.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "pcap.h"

#define PCAP_GLOBAL_HLEN 24
#define PCAP_REC_HLEN    16
#define PCAP_MAX_CAPLEN  262144u  /* libpcap's MAXIMUM_SNAPLEN */

#define ETHERTYPE_IP    0x0800u
#define ETHERTYPE_IPV6  0x86ddu

/* Link-layer type is the low 16 bits; the upper bits may carry FCS info. */
#define PCAP_LINKTYPE_MASK 0xffffu

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

/* pc->swapped here means "big-endian file" (bytes in network order). */
static uint32_t rd32(const struct uf_pcap *pc, const uint8_t *p)
{
	return pc->swapped ? get_be32(p) : get_le32(p);
}

static uint16_t rd16(const struct uf_pcap *pc, const uint8_t *p)
{
	return pc->swapped ? get_be16(p) : get_le16(p);
}

int uf_pcap_open(struct uf_pcap *pc, const uint8_t *buf, size_t len)
{
	uint32_t magic;

	memset(pc, 0, sizeof(*pc));
	if (!buf || len < PCAP_GLOBAL_HLEN)
		return -EINVAL;
	magic = get_be32(buf);
	switch (magic) {
	case 0xa1b2c3d4u: pc->swapped = 1; pc->nsec = 0; break;
	case 0xa1b23c4du: pc->swapped = 1; pc->nsec = 1; break;
	case 0xd4c3b2a1u: pc->swapped = 0; pc->nsec = 0; break;
	case 0x4d3cb2a1u: pc->swapped = 0; pc->nsec = 1; break;
	default:
		return -EINVAL;
	}
	if (rd16(pc, buf + 4) != 2)   /* major version; any 2.x minor */
		return -EINVAL;
	pc->snaplen = rd32(pc, buf + 16);
	pc->linktype = rd32(pc, buf + 20) & PCAP_LINKTYPE_MASK;
	pc->buf = buf;
	pc->len = len;
	pc->off = PCAP_GLOBAL_HLEN;
	return 0;
}

int uf_pcap_next(struct uf_pcap *pc, struct uf_pcap_rec *rec)
{
	const uint8_t *h;
	size_t left;
	uint32_t caplen;

	if (!pc->buf || pc->off > pc->len)
		return -EINVAL;
	left = pc->len - pc->off;
	if (left == 0)
		return 0;
	if (left < PCAP_REC_HLEN)
		return -EINVAL;
	h = pc->buf + pc->off;
	caplen = rd32(pc, h + 8);
	if (caplen > PCAP_MAX_CAPLEN || caplen > left - PCAP_REC_HLEN)
		return -EINVAL;
	rec->ts_sec = rd32(pc, h);
	rec->ts_frac = rd32(pc, h + 4);
	rec->caplen = caplen;
	rec->origlen = rd32(pc, h + 12);
	rec->data = h + PCAP_REC_HLEN;
	pc->off += PCAP_REC_HLEN + caplen;
	return 1;
}

static int ethertype_l3(uint16_t type)
{
	return type == ETHERTYPE_IP || type == ETHERTYPE_IPV6;
}

static int l3_ether(const uint8_t *data, size_t len, size_t *off)
{
	size_t type_off = 12;
	uint16_t type;
	int tags;

	for (tags = 0;; tags++) {
		if (len < type_off + 2)
			return -EINVAL;
		type = get_be16(data + type_off);
		if (type != 0x8100 && type != 0x88a8 && type != 0x9100)
			break;
		if (tags == 2)    /* a third tag: more than we look through */
			return -ENOENT;
		type_off += 4;
	}
	if (!ethertype_l3(type))
		return -ENOENT;
	*off = type_off + 2;
	return 0;
}

/* Raw IP: the version nibble says what it is; want is 4, 6 or 0 (either). */
static int l3_raw(const uint8_t *data, size_t len, int want, size_t *off)
{
	int ver;

	if (len < 1)
		return -EINVAL;
	ver = data[0] >> 4;
	if ((ver != 4 && ver != 6) || (want && ver != want))
		return -ENOENT;
	*off = 0;
	return 0;
}

/* BSD loopback: AF_ value in the writer's byte order; small values read
 * unambiguously either way. AF_INET6 is 10 (Linux), 24, 28 or 30 (BSDs). */
static int null_family_ok(uint32_t af)
{
	return af == 2 || af == 10 || af == 24 || af == 28 || af == 30;
}

static int l3_null(const uint8_t *data, size_t len, size_t *off)
{
	if (len < 4)
		return -EINVAL;
	if (!null_family_ok(get_le32(data)) && !null_family_ok(get_be32(data)))
		return -ENOENT;
	*off = 4;
	return 0;
}

/* Linux cooked capture: protocol (an ethertype) at proto_at, header hlen. */
static int l3_sll(const uint8_t *data, size_t len, size_t hlen, size_t proto_at, size_t *off)
{
	if (len < hlen)
		return -EINVAL;
	if (!ethertype_l3(get_be16(data + proto_at)))
		return -ENOENT;
	*off = hlen;
	return 0;
}

int uf_pcap_l3_offset(uint32_t linktype, const uint8_t *data, size_t len, size_t *off)
{
	switch (linktype) {
	case UF_DLT_EN10MB:
		return l3_ether(data, len, off);
	case UF_DLT_RAW:
		return l3_raw(data, len, 0, off);
	case UF_DLT_IPV4:
		return l3_raw(data, len, 4, off);
	case UF_DLT_IPV6:
		return l3_raw(data, len, 6, off);
	case UF_DLT_LINUX_SLL:
		return l3_sll(data, len, 16, 14, off);
	case UF_DLT_LINUX_SLL2:
		return l3_sll(data, len, 20, 0, off);
	case UF_DLT_NULL:
		return l3_null(data, len, off);
	default:
		return -EPROTONOSUPPORT;
	}
}
