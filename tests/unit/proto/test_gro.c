// SPDX-License-Identifier: GPL-2.0
/*
 * uf_gro: consecutive TCP segments of one flow become one vnet GSO
 * super-packet equal to what the sender's TSO cut (round trip through
 * uf_gso), and every refusal rule: flow change, sequence gap, TOS / TTL /
 * DF / ID / flow label / hop limit / options / ACK / window / flags
 * differences, IP options, bad checksum, a larger segment, PSH and short
 * segments ending a batch, the 64 KB and segment-count limits, order
 * within a flow, table full; the same for UDP datagrams into UDP_L4
 * super-packets (round trip through uf_gso, batch and refusal rows).
 */
#include <errno.h>

#include "t.h"

#include "proto/gro.h"
#include "proto/gso.h"
#include "proto/vnet.h"
#include "unit/proto/tcpkt.h"

#define NPK 80
#define PKMAX 2048

static uint8_t pk[NPK][PKMAX];
static size_t pklen[NPK];
static struct uf_gro_item items[NPK];
static struct uf_gro_seg segs[NPK];
static uint8_t super[70000], joined[70000];

/* Concatenates an item (after uf_gro_finish) as a writev would. */
static size_t join(const struct uf_gro *g, const struct uf_gro_item *it, uint8_t *out)
{
	size_t n = it->len;

	memcpy(out, it->pkt, it->len);
	for (int32_t s = it->first; s >= 0; s = g->segs[s].next) {
		memcpy(out + n, g->segs[s].p, g->segs[s].len);
		n += g->segs[s].len;
	}
	return n;
}

/* Builds t into super and sets s up to cut it: segment count, 0 if unusable. */
static int build_and_cut(const struct tpk *t, size_t *len, const struct uf_vnet_hdr *h,
			 struct uf_gso *s)
{
	int nseg;

	*len = tpk_build(t, super);
	nseg = uf_gso_init(s, super, *len, t->l2, h);
	CHECK(nseg > 0 && nseg <= NPK);
	return nseg > 0 && nseg <= NPK ? nseg : 0;
}

/* Cuts a super-packet with uf_gso, coalesces, compares with the original. */
static void round_trip(uint8_t version, size_t l2, size_t plen, uint16_t mss, uint8_t flags)
{
	struct tpk t = tpk_default(version);
	size_t iphl = version == 4 ? 20 : 40, len, n;
	struct uf_vnet_hdr h = { .gso_type = version == 4 ? UF_VNET_GSO_TCPV4 : UF_VNET_GSO_TCPV6,
				 .gso_size = mss }, out;
	struct uf_gro g;
	struct uf_gso s;
	int nseg;

	t.l2 = l2;
	t.plen = plen;
	t.flags = flags;
	t.partial = true;
	nseg = build_and_cut(&t, &len, &h, &s);
	if (!nseg)
		return;
	uf_gro_init(&g, items, NPK, segs, NPK);
	for (int i = 0; i < nseg; i++) {
		int m = uf_gso_segment(&s, (size_t)i, pk[i], PKMAX);

		CHECK(m > 0);
		pklen[i] = (size_t)m;
		CHECK_EQ(uf_gro_add(&g, pk[i], pklen[i], l2), 0);
	}
	CHECK_EQ(g.nitems, (size_t)(nseg + UF_GRO_MAX_SEGS - 1) / UF_GRO_MAX_SEGS);
	CHECK_EQ(items[0].nseg, nseg > UF_GRO_MAX_SEGS ? UF_GRO_MAX_SEGS : nseg);
	uf_gro_finish(&items[0], &out);
	if (nseg == 1) {
		CHECK_EQ(out.flags, 0);
		CHECK_EQ(out.gso_type, UF_VNET_GSO_NONE);
		CHECK(tpk_l4_ok(items[0].pkt, items[0].len, l2));
		return;
	}
	CHECK_EQ(out.flags, UF_VNET_F_NEEDS_CSUM);
	CHECK_EQ(out.gso_type, h.gso_type);
	CHECK_EQ(out.gso_size, mss);
	CHECK_EQ(out.hdr_len, l2 + iphl + 32);
	CHECK_EQ(out.csum_start, l2 + iphl);
	CHECK_EQ(out.csum_offset, 16);
	n = join(&g, &items[0], joined);
	if (nseg > UF_GRO_MAX_SEGS) {
		/* the first 64 segments, then the rest in the next item */
		CHECK_EQ(n, len - (size_t)(nseg - UF_GRO_MAX_SEGS) * mss);
		CHECK_MEM(joined + n - 100, super + n - 100, 100);
		CHECK_EQ(items[1].nseg, nseg - UF_GRO_MAX_SEGS);
		return;
	}
	CHECK_EQ(n, len);
	/* Identical to what TSO was given: headers (partial csum included) and payload. */
	CHECK_MEM(joined, super, len);
	if (version == 4)
		CHECK_EQ(uf_csum(joined + l2, 20), 0);
}

static void test_round_trips(void)
{
	TEST("round trip: tcp4 3 x 1000");
	round_trip(4, 0, 3000, 1000, 0x10);
	TEST("round trip: tcp4 with PSH, short tail");
	round_trip(4, 0, 3500, 1000, 0x18);
	TEST("round trip: tcp4 64 KB at mss 1448");
	round_trip(4, 0, 65535 - 52, 1448, 0x18);
	TEST("round trip: tcp6 4 segments");
	round_trip(6, 0, 4000, 1000, 0x18);
	TEST("round trip: tcp6 64 KB at mss 1428");
	round_trip(6, 0, 65535 - 32, 1428, 0x10);
	TEST("round trip: tap tcp4");
	round_trip(4, 14, 2400, 1200, 0x18);
	TEST("round trip: tap tcp6");
	round_trip(6, 14, 2400, 1000, 0x10);
	TEST("round trip: one segment stays plain");
	round_trip(4, 0, 500, 1000, 0x18);
	TEST("round trip: 65 segments split at the 64-segment limit");
	round_trip(4, 0, 65 * 100, 100, 0x10);
}

/* ---- refusal table: packet 0 and 1 of a stream, packet 1 changed */

enum change {
	CH_NONE, CH_SPORT, CH_DPORT, CH_DADDR, CH_SEQ_GAP, CH_SEQ_OLD, CH_TOS, CH_ECN_CE, CH_TTL,
	CH_DF, CH_ID_GAP, CH_ID_SAME, CH_IPOPT, CH_ACK, CH_WIN, CH_OPTS, CH_OPTLEN, CH_SYN, CH_FIN,
	CH_RST, CH_URG, CH_CWR, CH_ECE, CH_NO_ACK, CH_BAD_CSUM, CH_BIGGER, CH_EMPTY, CH_LABEL,
	CH_HOPLIMIT, CH_TCLASS, CH_ETH_SRC, CH_UDP, CH_PSH_FIRST, CH_FRAG, CH_PAD,
};

struct ref_row {
	const char *name;
	uint8_t version;
	size_t l2;
	enum change ch;
	size_t nitems;          /* 1: coalesced; 2: kept apart */
};

static const struct ref_row ref_rows[] = {
	{ "coalesce: tcp4 identical flow", 4, 0, CH_NONE, 1 },
	{ "coalesce: tcp6 identical flow", 6, 0, CH_NONE, 1 },
	{ "coalesce: tap tcp4", 4, 14, CH_NONE, 1 },
	{ "refuse: source port", 4, 0, CH_SPORT, 2 },
	{ "refuse: destination port", 4, 0, CH_DPORT, 2 },
	{ "refuse: destination address", 4, 0, CH_DADDR, 2 },
	{ "refuse: tcp6 destination address", 6, 0, CH_DADDR, 2 },
	{ "refuse: sequence gap", 4, 0, CH_SEQ_GAP, 2 },
	{ "refuse: retransmission (old seq)", 4, 0, CH_SEQ_OLD, 2 },
	{ "refuse: TOS", 4, 0, CH_TOS, 2 },
	{ "refuse: ECN CE on the second", 4, 0, CH_ECN_CE, 2 },
	{ "refuse: TTL", 4, 0, CH_TTL, 2 },
	{ "refuse: DF", 4, 0, CH_DF, 2 },
	{ "refuse: IPv4 ID gap", 4, 0, CH_ID_GAP, 2 },
	{ "refuse: IPv4 ID not incremented", 4, 0, CH_ID_SAME, 2 },
	{ "refuse: IPv4 options", 4, 0, CH_IPOPT, 2 },
	{ "refuse: IPv4 fragment", 4, 0, CH_FRAG, 2 },
	{ "refuse: bytes after the IPv4 datagram", 4, 0, CH_PAD, 2 },
	{ "refuse: ACK number", 4, 0, CH_ACK, 2 },
	{ "refuse: window", 4, 0, CH_WIN, 2 },
	{ "refuse: option bytes (timestamp)", 4, 0, CH_OPTS, 2 },
	{ "refuse: option length", 4, 0, CH_OPTLEN, 2 },
	{ "refuse: SYN", 4, 0, CH_SYN, 2 },
	{ "refuse: FIN", 4, 0, CH_FIN, 2 },
	{ "refuse: RST", 4, 0, CH_RST, 2 },
	{ "refuse: URG", 4, 0, CH_URG, 2 },
	{ "refuse: CWR", 4, 0, CH_CWR, 2 },
	{ "refuse: ECE differs", 4, 0, CH_ECE, 2 },
	{ "refuse: no ACK flag", 4, 0, CH_NO_ACK, 2 },
	{ "refuse: bad TCP checksum", 4, 0, CH_BAD_CSUM, 2 },
	{ "refuse: tcp6 bad TCP checksum", 6, 0, CH_BAD_CSUM, 2 },
	{ "refuse: larger than the first segment", 4, 0, CH_BIGGER, 2 },
	{ "refuse: no payload (pure ACK)", 4, 0, CH_EMPTY, 2 },
	{ "refuse: tcp6 flow label", 6, 0, CH_LABEL, 2 },
	{ "refuse: tcp6 hop limit", 6, 0, CH_HOPLIMIT, 2 },
	{ "refuse: tcp6 traffic class", 6, 0, CH_TCLASS, 2 },
	{ "refuse: tap source MAC", 4, 14, CH_ETH_SRC, 2 },
	{ "refuse: UDP is never coalesced", 4, 0, CH_UDP, 2 },
	{ "refuse: PSH on the first ends it", 4, 0, CH_PSH_FIRST, 2 },
};

static void apply_change(struct tpk *t, enum change ch, bool second)
{
	if (!second) {
		if (ch == CH_PSH_FIRST)
			t->flags |= 0x08;
		return;
	}
	switch (ch) {
	case CH_SPORT: t->sport++; break;
	case CH_DPORT: t->dport++; break;
	case CH_SEQ_GAP: t->seq += 1; break;
	case CH_SEQ_OLD: t->seq -= (uint32_t)t->plen; break;
	case CH_TOS: t->tos = 0x10; break;
	case CH_ECN_CE: t->tos = 0x03; break;
	case CH_TTL: case CH_HOPLIMIT: t->ttl = 63; break;
	case CH_DF: t->df = false; break;
	case CH_ID_GAP: t->id += 1; break;
	case CH_ID_SAME: t->id -= 1; break;
	case CH_ACK: t->ack++; break;
	case CH_WIN: t->win++; break;
	case CH_OPTS: t->optbyte++; break;
	case CH_OPTLEN: t->optlen = 8; break;
	case CH_SYN: t->flags |= 0x02; break;
	case CH_FIN: t->flags |= 0x01; break;
	case CH_RST: t->flags |= 0x04; break;
	case CH_URG: t->flags |= 0x20; break;
	case CH_CWR: t->flags |= 0x80; break;
	case CH_ECE: t->flags |= 0x40; break;
	case CH_NO_ACK: t->flags = 0x08; break;
	case CH_BIGGER: t->plen++; break;
	case CH_EMPTY: t->plen = 0; break;
	case CH_LABEL: t->label = 0x12345; break;
	case CH_TCLASS: t->tos = 0x20; break;
	case CH_UDP: t->proto = 17; break;
	default: break;
	}
}

static void post_change(uint8_t *p, size_t *len, const struct tpk *t, enum change ch)
{
	uint8_t *ip = p + t->l2;

	switch (ch) {
	case CH_DADDR:
		ip[t->version == 4 ? 19 : 39] ^= 1;
		break;
	case CH_BAD_CSUM:
		p[*len - 1] ^= 0x55;
		break;
	case CH_ETH_SRC:
		p[11] ^= 1;
		break;
	case CH_IPOPT:
	case CH_FRAG:
	case CH_PAD:
		/* rebuilt below by the caller */
		break;
	default:
		break;
	}
}

/* An IPv4 packet with 4 bytes of options (NOP x 4), valid checksums. */
static size_t with_ip_options(const uint8_t *in, size_t len, uint8_t *out)
{
	uint32_t l4len = (uint32_t)(len - 20);

	memcpy(out, in, 20);
	memset(out + 20, 1, 4);
	memcpy(out + 24, in + 20, len - 20);
	out[0] = 0x46;
	put_be16(out + 2, (uint16_t)(len + 4));
	put_be16(out + 10, 0);
	put_be16(out + 10, uf_csum(out, 24));
	(void)l4len;
	return len + 4;
}

static void test_refusals(void)
{
	for (size_t k = 0; k < sizeof(ref_rows) / sizeof(ref_rows[0]); k++) {
		const struct ref_row *r = &ref_rows[k];
		struct uf_gro g;

		TEST(r->name);
		uf_gro_init(&g, items, NPK, segs, NPK);
		for (int i = 0; i < 2; i++) {
			struct tpk t = tpk_default(r->version);

			t.l2 = r->l2;
			t.plen = 1000;
			t.seq = 5000 + (uint32_t)i * 1000;
			t.id = (uint16_t)(100 + i);
			apply_change(&t, r->ch, i == 1);
			pklen[i] = tpk_build(&t, pk[i]);
			if (i == 1)
				post_change(pk[i], &pklen[i], &t, r->ch);
			if (i == 1 && r->ch == CH_IPOPT) {
				uint8_t tmp[PKMAX];

				memcpy(tmp, pk[i], pklen[i]);
				pklen[i] = with_ip_options(tmp, pklen[i], pk[i]);
			}
			if (i == 1 && r->ch == CH_FRAG) {
				pk[i][6] |= 0x20;
				put_be16(pk[i] + 10, 0);
				put_be16(pk[i] + 10, uf_csum(pk[i], 20));
			}
			if (i == 1 && r->ch == CH_PAD)
				pk[i][pklen[i]++] = 0;
			CHECK_EQ(uf_gro_add(&g, pk[i], pklen[i], r->l2), 0);
		}
		CHECK_EQ(g.nitems, r->nitems);
		if (r->nitems == 1)
			CHECK_EQ(items[0].nseg, 2);
		else
			CHECK_EQ(items[0].nseg, 1);
	}
}

/* Adds n segments of flow f (sport 40000 + f) with payload sizes from sz[]. */
static void add_stream(struct uf_gro *g, int *slot, int f, const size_t *sz, int n,
		       uint32_t *seq, uint16_t *id, uint8_t last_flags)
{
	for (int i = 0; i < n; i++) {
		struct tpk t = tpk_default(4);

		t.sport = (uint16_t)(40000 + f);
		t.plen = sz[i];
		t.seq = *seq;
		t.id = (*id)++;
		if (i == n - 1)
			t.flags |= last_flags;
		*seq += (uint32_t)sz[i];
		pklen[*slot] = tpk_build(&t, pk[*slot]);
		CHECK_EQ(uf_gro_add(g, pk[*slot], pklen[*slot], 0), 0);
		(*slot)++;
	}
}

static void test_batches(void)
{
	static const size_t full[4] = { 1000, 1000, 1000, 1000 };
	static const size_t shortmid[4] = { 1000, 500, 1000, 1000 };
	struct uf_gro g;
	uint32_t seq = 1, seq2 = 1;
	uint16_t id = 1, id2 = 1;
	int slot = 0;

	TEST("batch: a short segment ends the super-packet, the next starts anew");
	uf_gro_init(&g, items, NPK, segs, NPK);
	add_stream(&g, &slot, 0, shortmid, 4, &seq, &id, 0);
	CHECK_EQ(g.nitems, 2);
	CHECK_EQ(items[0].nseg, 2);
	CHECK_EQ(items[1].nseg, 2);
	CHECK(!items[0].open);

	TEST("batch: PSH in the middle ends it and stays on its segment");
	uf_gro_init(&g, items, NPK, segs, NPK);
	seq = 1, id = 1, slot = 0;
	add_stream(&g, &slot, 0, full, 2, &seq, &id, 0x08);
	add_stream(&g, &slot, 0, full, 2, &seq, &id, 0);
	CHECK_EQ(g.nitems, 2);
	CHECK(items[0].psh);
	CHECK(!items[1].psh);

	TEST("batch: two interleaved flows coalesce separately");
	uf_gro_init(&g, items, NPK, segs, NPK);
	seq = 1, id = 1, slot = 0;
	for (int i = 0; i < 3; i++) {
		add_stream(&g, &slot, 0, full, 1, &seq, &id, 0);
		add_stream(&g, &slot, 1, full, 1, &seq2, &id2, 0);
	}
	CHECK_EQ(g.nitems, 2);
	CHECK_EQ(items[0].nseg, 3);
	CHECK_EQ(items[1].nseg, 3);
	CHECK_EQ(get_be16(items[0].pkt + 20), 40000);
	CHECK_EQ(get_be16(items[1].pkt + 20), 40001);

	TEST("batch: a refused packet closes its flow's open item (no overtaking)");
	{
		struct tpk t = tpk_default(4);
		static const size_t one[1] = { 1000 };

		uf_gro_init(&g, items, NPK, segs, NPK);
		seq = 1, id = 1, slot = 0;
		add_stream(&g, &slot, 0, full, 2, &seq, &id, 0);
		/* pure ACK of the same flow: stands alone */
		t.plen = 0;
		t.seq = seq;
		t.id = id++;
		pklen[slot] = tpk_build(&t, pk[slot]);
		CHECK_EQ(uf_gro_add(&g, pk[slot], pklen[slot], 0), 0);
		slot++;
		add_stream(&g, &slot, 0, one, 1, &seq, &id, 0);
		CHECK_EQ(g.nitems, 3);
		CHECK_EQ(items[0].nseg, 2);
		CHECK_EQ(items[1].nseg, 1);
		CHECK_EQ(items[2].nseg, 1);
	}

	TEST("batch: 64 KB limit");
	{
		static const size_t big[2] = { 1400, 1400 };
		struct tpk t = tpk_default(4);
		uint8_t *a = super, *b = joined;
		size_t la, lb;

		uf_gro_init(&g, items, NPK, segs, NPK);
		/* first: 65535 - 20 - 32 - 1399 bytes of payload would be too much for the PKMAX
		 * buffers, so check the limit arithmetic with a large first packet */
		t.plen = 64000;
		t.seq = 1;
		t.id = 1;
		la = tpk_build(&t, a);
		CHECK_EQ(uf_gro_add(&g, a, la, 0), 0);
		t.plen = 1400;
		t.seq = 64001;
		t.id = 2;
		lb = tpk_build(&t, b);
		CHECK_EQ(uf_gro_add(&g, b, lb, 0), 0);
		CHECK_EQ(g.nitems, 1);      /* 52 + 65400 = 65452 fits */
		t.seq = 65401;
		t.id = 3;
		t.plen = 100;
		lb = tpk_build(&t, pk[0]);
		CHECK_EQ(uf_gro_add(&g, pk[0], lb, 0), 0);
		CHECK_EQ(g.nitems, 2);      /* 65552 would not */
		(void)big;
	}

	TEST("table full: -ENOSPC, nothing half-added");
	{
		struct uf_gro small;
		struct tpk t = tpk_default(4);

		uf_gro_init(&small, items, 2, segs, NPK);
		for (int i = 0; i < 3; i++) {
			t.sport = (uint16_t)(1000 + i);
			pklen[i] = tpk_build(&t, pk[i]);
		}
		CHECK_EQ(uf_gro_add(&small, pk[0], pklen[0], 0), 0);
		CHECK_EQ(uf_gro_add(&small, pk[1], pklen[1], 0), 0);
		CHECK_EQ(uf_gro_add(&small, pk[2], pklen[2], 0), -ENOSPC);
		CHECK_EQ(small.nitems, 2);
		uf_gro_reset(&small);
		CHECK_EQ(uf_gro_add(&small, pk[2], pklen[2], 0), 0);
		CHECK_EQ(small.nitems, 1);
	}

	TEST("slices full: the packet starts a new item instead");
	{
		struct uf_gro small;

		uf_gro_init(&small, items, NPK, segs, 1);
		seq = 1, id = 1, slot = 0;
		add_stream(&small, &slot, 0, full, 3, &seq, &id, 0);
		CHECK_EQ(small.nitems, 2);
		CHECK_EQ(items[0].nseg, 2);
	}
}

static void test_non_ip(void)
{
	struct uf_gro g;
	struct uf_vnet_hdr vh;
	uint8_t arp[42] = { 0 };

	TEST("non-IP frame and truncated packets pass through alone");
	uf_gro_init(&g, items, NPK, segs, NPK);
	put_be16(arp + 12, 0x0806);
	CHECK_EQ(uf_gro_add(&g, arp, sizeof(arp), sizeof(arp)), 0);
	CHECK_EQ(uf_gro_add(&g, arp, 10, 14), 0);
	CHECK_EQ(uf_gro_add(&g, arp, 0, 0), 0);
	arp[0] = 0x45;
	CHECK_EQ(uf_gro_add(&g, arp, 20, 0), 0);
	CHECK_EQ(g.nitems, 4);
	uf_gro_finish(&items[0], &vh);
	CHECK_EQ(vh.gso_type, UF_VNET_GSO_NONE);
	CHECK_EQ(vh.flags, 0);
}

/* ---- UDP (USO): round trips, batch rules and refusals */

static uint8_t orig[NPK][PKMAX];

/*
 * Cuts a UDP_L4 super-packet with uf_gso, coalesces the datagrams, checks
 * the result is the super-packet again and cuts back to the same datagrams.
 */
static void udp_round_trip(uint8_t version, size_t l2, size_t plen, uint16_t mss)
{
	struct tpk t = tpk_default(version);
	size_t iphl = version == 4 ? 20 : 40, len, n, first;
	struct uf_vnet_hdr h = { .gso_type = UF_VNET_GSO_UDP_L4, .gso_size = mss }, out;
	struct uf_gro g;
	struct uf_gso s, back;
	int nseg, nback;

	t.proto = 17;
	t.l2 = l2;
	t.plen = plen;
	t.partial = true;
	nseg = build_and_cut(&t, &len, &h, &s);
	if (!nseg)
		return;
	uf_gro_init(&g, items, NPK, segs, NPK);
	uf_gro_set_udp(&g, UF_GRO_UDP4 | UF_GRO_UDP6);
	for (int i = 0; i < nseg; i++) {
		int m = uf_gso_segment(&s, (size_t)i, pk[i], PKMAX);

		CHECK(m > 0);
		pklen[i] = (size_t)m;
		memcpy(orig[i], pk[i], pklen[i]);
		CHECK_EQ(uf_gro_add(&g, pk[i], pklen[i], l2), 0);
	}
	first = nseg > UF_GRO_MAX_SEGS ? UF_GRO_MAX_SEGS : (size_t)nseg;
	CHECK_EQ(g.nitems, (size_t)(nseg + UF_GRO_MAX_SEGS - 1) / UF_GRO_MAX_SEGS);
	CHECK_EQ(items[0].nseg, first);
	uf_gro_finish(&items[0], &out);
	if (nseg == 1) {
		CHECK_EQ(out.gso_type, UF_VNET_GSO_NONE);
		CHECK_EQ(out.flags, 0);
		CHECK_MEM(items[0].pkt, orig[0], pklen[0]);
		return;
	}
	CHECK_EQ(out.flags, UF_VNET_F_NEEDS_CSUM);
	CHECK_EQ(out.gso_type, UF_VNET_GSO_UDP_L4);
	CHECK_EQ(out.gso_size, mss);
	CHECK_EQ(out.hdr_len, l2 + iphl + 8);
	CHECK_EQ(out.csum_start, l2 + iphl);
	CHECK_EQ(out.csum_offset, 6);
	n = join(&g, &items[0], joined);
	if (nseg <= UF_GRO_MAX_SEGS) {
		CHECK_EQ(n, len);
		/* What USO was given: lengths, ID, partial checksum and payload. */
		CHECK_MEM(joined, super, len);
	}
	if (version == 4)
		CHECK_EQ(uf_csum(joined + l2, 20), 0);
	/* And cut again: the very datagrams that arrived. */
	nback = uf_gso_init(&back, joined, n, l2, &out);
	CHECK_EQ(nback, (int)first);
	for (int i = 0; i < nback && i < nseg; i++) {
		uint8_t seg[PKMAX];
		int m = uf_gso_segment(&back, (size_t)i, seg, sizeof(seg));

		CHECK_EQ(m, (int)pklen[i]);
		if (m == (int)pklen[i])
			CHECK_MEM(seg, orig[i], pklen[i]);
	}
}

static void test_udp_round_trips(void)
{
	TEST("udp round trip: udp4 3 x 1000");
	udp_round_trip(4, 0, 3000, 1000);
	TEST("udp round trip: udp4 short tail");
	udp_round_trip(4, 0, 3500, 1000);
	TEST("udp round trip: udp4 64 KB at 1472");
	udp_round_trip(4, 0, 65535 - 28, 1472);
	TEST("udp round trip: udp6 4 x 1000, short tail");
	udp_round_trip(6, 0, 3900, 1000);
	TEST("udp round trip: udp6 64 KB at 1452");
	udp_round_trip(6, 0, 65535 - 8, 1452);
	TEST("udp round trip: tap udp4");
	udp_round_trip(4, 14, 2400, 1200);
	TEST("udp round trip: tap udp6");
	udp_round_trip(6, 14, 2000, 1000);
	TEST("udp round trip: one datagram stays plain");
	udp_round_trip(4, 0, 500, 1000);
	TEST("udp round trip: 65 datagrams split at the 64-segment limit");
	udp_round_trip(4, 0, 65 * 64, 64);
}

enum uchange {
	U_NONE, U_SPORT, U_DPORT, U_DADDR, U_BIGGER, U_SHORTER, U_ZERO_CSUM, U_BAD_CSUM, U_TOS,
	U_TTL, U_DF, U_ID_GAP, U_IDS_ZERO, U_ID_ZERO_MIX, U_IPOPT, U_FRAG, U_LABEL, U_TCLASS,
	U_TCP, U_EMPTY,
};

struct udp_row {
	const char *name;
	uint8_t version;
	size_t l2;
	unsigned int udp;       /* uf_gro_set_udp */
	int n;                  /* datagrams */
	size_t plen;            /* payload of each */
	enum uchange ch;
	int at;                 /* which datagram is changed */
	size_t nitems, nseg0;   /* expected items, segments of the first */
};

#define U46 (UF_GRO_UDP4 | UF_GRO_UDP6)

static const struct udp_row udp_rows[] = {
	{ "udp coalesce: udp4 flow", 4, 0, U46, 4, 1000, U_NONE, 0, 1, 4 },
	{ "udp coalesce: udp6 flow", 6, 0, U46, 4, 1000, U_NONE, 0, 1, 4 },
	{ "udp coalesce: tap udp4 flow", 4, 14, U46, 3, 1000, U_NONE, 0, 1, 3 },
	{ "udp refuse: udp4 IDs all 0 (re-segmenting would renumber them)", 4, 0, U46, 4, 1000,
	  U_IDS_ZERO, 0, 4, 1 },
	{ "udp coalesce: shorter last ends the batch", 4, 0, U46, 3, 1000, U_SHORTER, 2, 1, 3 },
	{ "udp coalesce: 64 datagrams", 4, 0, U46, 64, 100, U_NONE, 0, 1, 64 },
	{ "udp refuse: not enabled", 4, 0, 0, 3, 1000, U_NONE, 0, 3, 1 },
	{ "udp refuse: udp4 with only USO6", 4, 0, UF_GRO_UDP6, 3, 1000, U_NONE, 0, 3, 1 },
	{ "udp refuse: udp6 with only USO4", 6, 0, UF_GRO_UDP4, 3, 1000, U_NONE, 0, 3, 1 },
	{ "udp refuse: 65th datagram", 4, 0, U46, 65, 100, U_NONE, 0, 2, 64 },
	{ "udp refuse: over 64 KB (udp4)", 4, 0, U46, 47, 1400, U_NONE, 0, 2, 46 },
	{ "udp refuse: over 64 KB (udp6)", 6, 0, U46, 48, 1400, U_NONE, 0, 2, 46 },
	{ "udp refuse: other source port", 4, 0, U46, 2, 1000, U_SPORT, 1, 2, 1 },
	{ "udp refuse: other destination port", 6, 0, U46, 2, 1000, U_DPORT, 1, 2, 1 },
	{ "udp refuse: other destination address", 4, 0, U46, 2, 1000, U_DADDR, 1, 2, 1 },
	{ "udp refuse: TCP with the same ports", 4, 0, U46, 2, 1000, U_TCP, 1, 2, 1 },
	{ "udp refuse: shorter in the middle ends it", 4, 0, U46, 4, 1000, U_SHORTER, 1, 2, 2 },
	/* [1000] [1100, then 1000 as its shorter last] [1000] */
	{ "udp refuse: bigger in the middle starts anew", 4, 0, U46, 4, 1000, U_BIGGER, 1, 3, 1 },
	{ "udp refuse: zero checksum in the middle", 4, 0, U46, 3, 1000, U_ZERO_CSUM, 1, 3, 1 },
	{ "udp refuse: zero checksum first", 4, 0, U46, 3, 1000, U_ZERO_CSUM, 0, 2, 1 },
	{ "udp refuse: bad checksum", 6, 0, U46, 3, 1000, U_BAD_CSUM, 1, 3, 1 },
	{ "udp refuse: empty datagram", 4, 0, U46, 3, 1000, U_EMPTY, 1, 3, 1 },
	{ "udp refuse: TOS differs", 4, 0, U46, 3, 1000, U_TOS, 1, 3, 1 },
	{ "udp refuse: TTL differs", 4, 0, U46, 3, 1000, U_TTL, 1, 3, 1 },
	{ "udp refuse: DF differs", 4, 0, U46, 3, 1000, U_DF, 1, 3, 1 },
	{ "udp refuse: ID gap", 4, 0, U46, 3, 1000, U_ID_GAP, 1, 3, 1 },
	{ "udp refuse: IDs 0, 0, 1: only the 0, 1 pair joins", 4, 0, U46, 3, 1000, U_ID_ZERO_MIX,
	  2, 2, 1 },
	{ "udp refuse: IP options", 4, 0, U46, 3, 1000, U_IPOPT, 1, 3, 1 },
	{ "udp refuse: fragment", 4, 0, U46, 3, 1000, U_FRAG, 1, 3, 1 },
	{ "udp refuse: hop limit differs", 6, 0, U46, 3, 1000, U_TTL, 1, 3, 1 },
	{ "udp refuse: flow label differs", 6, 0, U46, 3, 1000, U_LABEL, 1, 3, 1 },
	{ "udp refuse: traffic class differs", 6, 0, U46, 3, 1000, U_TCLASS, 1, 3, 1 },
};

static void udp_apply(struct tpk *t, const struct udp_row *r, int i)
{
	t->proto = 17;
	t->l2 = r->l2;
	t->plen = r->plen;
	t->id = (uint16_t)(100 + i);
	if (r->ch == U_IDS_ZERO || r->ch == U_ID_ZERO_MIX)
		t->id = r->ch == U_ID_ZERO_MIX && i >= r->at ? (uint16_t)(i - r->at + 1) : 0;
	if (i != r->at)
		return;
	switch (r->ch) {
	case U_SPORT: t->sport++; break;
	case U_DPORT: t->dport++; break;
	case U_BIGGER: t->plen += 100; break;
	case U_SHORTER: t->plen -= 500; break;
	case U_EMPTY: t->plen = 0; break;
	case U_TOS: case U_TCLASS: t->tos = 0x10; break;
	case U_TTL: t->ttl = 63; break;
	case U_DF: t->df = false; break;
	case U_ID_GAP: t->id += 5; break;
	case U_LABEL: t->label = 0x12345; break;
	case U_TCP: t->proto = 6; break;
	default: break;
	}
}

static void udp_post(uint8_t *p, size_t *len, const struct tpk *t, enum uchange ch)
{
	uint8_t *ip = p + t->l2, tmp[PKMAX];
	size_t iphl = t->version == 4 ? 20 : 40;

	switch (ch) {
	case U_DADDR:
		ip[t->version == 4 ? 19 : 39] ^= 1;
		if (t->version == 4) {
			put_be16(ip + 10, 0);
			put_be16(ip + 10, uf_csum(ip, 20));
		}
		break;
	case U_ZERO_CSUM:
		put_be16(ip + iphl + 6, 0);
		break;
	case U_BAD_CSUM:
		p[*len - 1] ^= 0x55;
		break;
	case U_IPOPT:
		memcpy(tmp, p, *len);
		*len = with_ip_options(tmp, *len, p);
		break;
	case U_FRAG:
		ip[6] |= 0x20;
		put_be16(ip + 10, 0);
		put_be16(ip + 10, uf_csum(ip, 20));
		break;
	default:
		break;
	}
}

static void test_udp_rows(void)
{
	for (size_t k = 0; k < sizeof(udp_rows) / sizeof(udp_rows[0]); k++) {
		const struct udp_row *r = &udp_rows[k];
		struct uf_gro g;

		TEST(r->name);
		uf_gro_init(&g, items, NPK, segs, NPK);
		uf_gro_set_udp(&g, r->udp);
		for (int i = 0; i < r->n; i++) {
			struct tpk t = tpk_default(r->version);

			udp_apply(&t, r, i);
			t.fill = (uint8_t)i;
			pklen[i] = tpk_build(&t, pk[i]);
			if (i == r->at)
				udp_post(pk[i], &pklen[i], &t, r->ch);
			CHECK_EQ(uf_gro_add(&g, pk[i], pklen[i], r->l2), 0);
		}
		CHECK_EQ(g.nitems, r->nitems);
		CHECK_EQ(items[0].nseg, r->nseg0);
	}
}

static void test_udp_order(void)
{
	struct uf_gro g;
	struct uf_vnet_hdr vh;

	TEST("udp order: a refused datagram closes its flow's batch, others go on");
	uf_gro_init(&g, items, NPK, segs, NPK);
	uf_gro_set_udp(&g, U46);
	for (int i = 0; i < 6; i++) {
		struct tpk t = tpk_default(4);

		t.proto = 17;
		t.plen = 1000;
		t.sport = (uint16_t)(i & 1 ? 50000 : 40000);
		t.id = (uint16_t)(10 + i / 2);
		pklen[i] = tpk_build(&t, pk[i]);
		if (i == 2)     /* the second of flow 40000 has no checksum */
			put_be16(pk[i] + 26, 0);
		CHECK_EQ(uf_gro_add(&g, pk[i], pklen[i], 0), 0);
	}
	/* 40000: [0] [2] [4]; 50000: [1 3 5] */
	CHECK_EQ(g.nitems, 4);
	CHECK(items[0].pkt == pk[0] && items[0].nseg == 1);
	CHECK(items[1].pkt == pk[1] && items[1].nseg == 3);
	CHECK(items[2].pkt == pk[2] && items[2].nseg == 1);
	CHECK(items[3].pkt == pk[4] && items[3].nseg == 1);
	uf_gro_finish(&items[2], &vh);
	CHECK_EQ(vh.gso_type, UF_VNET_GSO_NONE);
	CHECK_EQ(get_be16(pk[2] + 26), 0);
}

int main(void)
{
	test_round_trips();
	test_refusals();
	test_batches();
	test_non_ip();
	test_udp_round_trips();
	test_udp_rows();
	test_udp_order();
	return t_done();
}
