// SPDX-License-Identifier: GPL-2.0
/*
 * uf_encap: byte-exact reproduction of packets Linux 6.1 sent (tests/vectors),
 * MTU/overhead numbers, TTL/TOS/ECN/DF/ID/flow label/source port rules,
 * GRE options, partial checksums and remote checksum offload, error returns,
 * and the deferred outer UDP checksum (csum_defer + uf_encap_finish).
 */
#include <errno.h>

#include "t.h"
#include "vec.h"

#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/decap.h"
#include "proto/encap.h"

/* ---- captured packets ---- */

#define MAX_CAPS 16
#define CAP_MAX 2048

struct cap {
	uint8_t pkt[CAP_MAX];   /* outer IP packet, trimmed to its length */
	size_t len;
	size_t ip_len;          /* outer IP header incl. IPv6 dstopt */
	size_t gue_len, gre_len, inner_off;
	uint16_t sport, id;
	uint32_t label;
};

/* Outer IP packet of dport from src: split into the layers we expect. */
static bool cap_parse(const uint8_t *l3, size_t n, uint8_t family, const uint8_t *src,
		      uint16_t dport, bool gue, bool gre, struct cap *c)
{
	size_t off, tot;

	memset(c, 0, sizeof(*c));
	if (family == 4) {
		if (n < 20 || l3[0] != 0x45 || l3[9] != 17 || memcmp(l3 + 12, src, 4))
			return false;
		tot = get_be16(l3 + 2);
		off = 20;
		c->id = get_be16(l3 + 4);
	} else {
		if (n < 48 || l3[0] >> 4 != 6 || memcmp(l3 + 8, src, 16))
			return false;
		tot = 40 + (size_t)get_be16(l3 + 4);
		off = 40;
		c->label = get_be32(l3) & 0xfffff;
		if (l3[6] == 60)
			off += 8 * ((size_t)l3[41] + 1);
		else if (l3[6] != 17)
			return false;
	}
	if (tot > n || tot > CAP_MAX || off + 8 > tot || get_be16(l3 + off + 2) != dport)
		return false;
	c->len = tot;
	memcpy(c->pkt, l3, tot);
	c->ip_len = off;
	c->sport = get_be16(l3 + off);
	off += 8;
	if (gue) {
		c->gue_len = 4 + 4 * (size_t)(l3[off] & 0x1f);
		off += c->gue_len;
	}
	if (gre) {
		uint16_t fl = get_be16(l3 + off);

		c->gre_len = 4 + (fl & 0x8000 ? 4 : 0) + (fl & 0x2000 ? 4 : 0) +
			     (fl & 0x1000 ? 4 : 0);
		off += c->gre_len;
	}
	c->inner_off = off;
	return off <= tot;
}

static int load_caps(const char *name, uint8_t family, const uint8_t *src, uint16_t dport,
		     bool gue, bool gre, struct cap *caps)
{
	struct vec_pcap vf;
	struct vec_rec rec;
	int rc = 0, n = 0;

	if (vec_pcap_open_name(&vf, name) || vf.pc.linktype != UF_DLT_EN10MB)
		goto out;
	while (n < MAX_CAPS && (rc = vec_pcap_next(&vf, &rec)) == 1) {
		if (rec.ip && cap_parse(rec.ip, rec.ip_len, family, src, dport, gue, gre, &caps[n]))
			n++;
	}
	CHECK(n == MAX_CAPS || rc == 0);   /* no truncated record */
out:
	vec_pcap_close(&vf);
	return n;
}

/* ---- vectors ---- */

static const uint8_t G4[4] = { 198, 18, 0, 2 }, H4[4] = { 198, 18, 0, 1 };
static const uint8_t G6[16] = { 0xfd, 0, 0, 0x18, [15] = 2 };
static const uint8_t H6[16] = { 0xfd, 0, 0, 0x18, [15] = 1 };

struct vec {
	const char *name;
	uint8_t family;
	enum uf_encap_type encap;
	uint16_t dport;
	uint8_t ttl;
	bool csum, remcsum, gre, eth;
	int16_t encap_limit;
	unsigned int mtu;   /* what `ip -d link` showed */
	int min_pkts;
};

static const struct vec vecs[] = {
	{ "fou-ipip", 4, UF_ENCAP_FOU, 5555, 225, false, false, false, false, -1, 1472, 8 },
	{ "fou-sit", 4, UF_ENCAP_FOU, 5541, 225, false, false, false, false, -1, 1472, 6 },
	{ "fou-gre", 4, UF_ENCAP_FOU, 5547, 225, false, false, true, false, -1, 1468, 4 },
	{ "fou-gretap", 4, UF_ENCAP_FOU, 5547, 225, false, false, true, true, -1, 1454, 4 },
	{ "gue-ipip", 4, UF_ENCAP_GUE, 5556, 225, false, false, false, false, -1, 1468, 6 },
	{ "gue-ipip-csum", 4, UF_ENCAP_GUE, 5556, 225, true, false, false, false, -1, 1468, 3 },
	{ "gue-sit", 4, UF_ENCAP_GUE, 5556, 225, false, false, false, false, -1, 1468, 3 },
	{ "gue-gre", 4, UF_ENCAP_GUE, 5556, 225, false, false, true, false, -1, 1464, 4 },
	{ "gue-ipip-remcsum", 4, UF_ENCAP_GUE, 5556, 225, false, true, false, false, -1, 1460, 5 },
	{ "fou6-ip4ip6", 6, UF_ENCAP_FOU, 5557, 64, true, false, false, false, 4, 1444, 6 },
	{ "fou6-ip6ip6", 6, UF_ENCAP_FOU, 5561, 225, true, false, false, false, 4, 1444, 6 },
	{ "gue6-ip6ip6", 6, UF_ENCAP_GUE, 5558, 64, false, false, false, false, -1, 1448, 3 },
};

static void vec_tx(const struct vec *v, struct uf_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->family = v->family;
	memcpy(tx->src, v->family == 4 ? G4 : G6, v->family == 4 ? 4 : 16);
	memcpy(tx->dst, v->family == 4 ? H4 : H6, v->family == 4 ? 4 : 16);
	tx->ttl = v->ttl;
	tx->pmtudisc = true;
	tx->encap_limit = v->encap_limit;
	tx->encap = v->encap;
	tx->dport = v->dport;
	tx->udp_csum = v->csum;
	tx->remcsum = v->remcsum;
	tx->gre = v->gre;
	tx->inner_kind = v->eth ? UF_INNER_ETH : UF_INNER_IP;
	tx->hash_seed = 0x12345678;
}

#define HEADROOM 128

static int encap_cap(const struct uf_tx *tx, const struct cap *c, uint8_t *buf, size_t *out_len,
		     uint16_t ip_id)
{
	struct uf_tx_state st = { .ip_id = ip_id };
	struct uf_partial_csum pc, *ppc = NULL;
	size_t inner_len = c->len - c->inner_off;

	memcpy(buf + HEADROOM, c->pkt + c->inner_off, inner_len);
	if (c->gue_len == 12) {
		const uint8_t *g = c->pkt + c->ip_len + 8;

		pc.start = (uint16_t)(get_be16(g + 8) - c->gre_len);
		pc.offset = (uint16_t)(get_be16(g + 10) - get_be16(g + 8));
		ppc = &pc;
	}
	return uf_encap(tx, &st, buf, HEADROOM, inner_len, ppc, out_len);
}

static void test_vector(const struct vec *v, size_t idx)
{
	static char names[16][128];   /* t.h keeps the pointer until the next TEST */
	char *name = names[idx % 16];
	struct cap caps[MAX_CAPS];
	uint8_t buf[HEADROOM + CAP_MAX];
	struct uf_tx tx;
	int n, i, rco = 0;

	snprintf(name, sizeof(names[0]),
		 "vector %s: byte-exact (also deferred csum), auto sport/label in range, mtu %u",
		 v->name, v->mtu);
	TEST(name);
	n = load_caps(v->name, v->family, v->family == 4 ? G4 : G6, v->dport,
		      v->encap == UF_ENCAP_GUE, v->gre, caps);
	CHECK(n >= v->min_pkts);
	printf("# %s: %d packets from the guest\n", v->name, n);
	vec_tx(v, &tx);
	CHECK_EQ(uf_tx_default_mtu(&tx, 1500), v->mtu);
	for (i = 0; i < n; i++) {
		const struct cap *c = &caps[i];
		size_t out_len = 0;
		uint16_t sport;
		int off;

		rco += c->gue_len == 12;
		tx.sport = c->sport;
		tx.flowlabel = c->label;
		off = encap_cap(&tx, c, buf, &out_len, c->id);
		CHECK_EQ(off, HEADROOM - (int)c->inner_off);
		CHECK_EQ(out_len, c->len);
		if (off >= 0 && out_len == c->len && memcmp(buf + off, c->pkt, c->len)) {
			size_t k;

			for (k = 0; k < c->len && buf[off + k] == c->pkt[k]; k++)
				;
			printf("# %s packet %d differs at byte %zu: %02x != %02x\n", v->name, i, k,
			       buf[off + k], c->pkt[k]);
			CHECK(0);
		}
		/* The same with the outer checksum deferred, then finished. */
		tx.csum_defer = true;
		off = encap_cap(&tx, c, buf, &out_len, c->id);
		CHECK_EQ(off, HEADROOM - (int)c->inner_off);
		if (off >= 0 && out_len == c->len) {
			if (v->csum)
				CHECK_EQ(get_be16(buf + off + c->ip_len + 6), 0);
			CHECK_EQ(uf_encap_finish(&tx, buf + off, out_len), 0);
			CHECK_MEM(buf + off, c->pkt, c->len);
		}
		tx.csum_defer = false;
		/* Automatic values: in range, and stable for the same inner packet. */
		tx.sport = 0;
		tx.flowlabel = 0;
		off = encap_cap(&tx, c, buf, &out_len, c->id);
		CHECK(off >= 0);
		if (off < 0)
			continue;
		sport = get_be16(buf + off + c->ip_len);
		CHECK(sport >= 32768 && sport < 60999);
		if (v->family == 6) {
			uint32_t label = get_be32(buf + off) & 0xfffff;

			CHECK(label != 0);
			CHECK_EQ(get_be32(buf + off) >> 28, 6);
		}
		off = encap_cap(&tx, c, buf, &out_len, c->id);
		CHECK_EQ(get_be16(buf + off + c->ip_len), sport);
	}
	if (v->remcsum)
		CHECK_EQ(rco, 3);   /* two UDP and one TCP packet carry the option */
}

/* The remcsum vector's .txt says what the receiver must compute. */
static void test_remcsum_vector_fix(void)
{
	static const uint16_t want[] = { 0x157e, 0x147d, 0x08b6 };
	struct cap caps[MAX_CAPS];
	int n, i, k = 0;

	TEST("vector gue-ipip-remcsum: receiver fix gives 0x157e 0x147d 0x08b6");
	n = load_caps("gue-ipip-remcsum", 4, G4, 5556, true, false, caps);
	for (i = 0; i < n && k < 3; i++) {
		struct uf_pkt pkt;
		struct uf_port_kind port = { 5556, 4, true, 0 };
		uint8_t *pl = caps[i].pkt + caps[i].ip_len + 8;
		size_t off;

		if (caps[i].gue_len != 12)
			continue;
		memset(&pkt, 0, sizeof(pkt));
		CHECK_EQ(uf_decap_payload(pl, caps[i].len - caps[i].ip_len - 8, &port, &pkt),
			 UF_DROP_NONE);
		off = 12 + get_be16(pl + 10);
		CHECK_EQ(get_be16(pl + off), want[k]);
		uf_pkt_verify_l4(pl, &pkt);
		CHECK(pkt.has_l4 && pkt.l4.csum_known);
		CHECK_EQ(pkt.l4.csum_state, UF_CSUM_VALID);
		k++;
	}
	CHECK_EQ(k, 3);
}

/* ---- overhead and MTU (Linux numbers on a 1500 underlay) ---- */

struct mtu_row {
	const char *name;
	uint8_t family;
	enum uf_encap_type encap;
	bool remcsum, gre, eth, gre_csum, gre_key, gre_seq;
	int16_t encap_limit;
	size_t overhead;
	unsigned int underlay, mtu;
};

static const struct mtu_row mtu_rows[] = {
	{ "ipip/fou", 4, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 28, 1500, 1472 },
	{ "ipip/gue", 4, UF_ENCAP_GUE, 0, 0, 0, 0, 0, 0, -1, 32, 1500, 1468 },
	{ "ipip/gue+remcsum", 4, UF_ENCAP_GUE, 1, 0, 0, 0, 0, 0, -1, 40, 1500, 1460 },
	{ "ipip/fou+remcsum (ignored)", 4, UF_ENCAP_FOU, 1, 0, 0, 0, 0, 0, -1, 28, 1500, 1472 },
	{ "gre/fou", 4, UF_ENCAP_FOU, 0, 1, 0, 0, 0, 0, -1, 32, 1500, 1468 },
	{ "gre/gue", 4, UF_ENCAP_GUE, 0, 1, 0, 0, 0, 0, -1, 36, 1500, 1464 },
	{ "gre csum+key+seq/fou", 4, UF_ENCAP_FOU, 0, 1, 0, 1, 1, 1, -1, 44, 1500, 1456 },
	{ "gretap/fou", 4, UF_ENCAP_FOU, 0, 1, 1, 0, 0, 0, -1, 32, 1500, 1454 },
	{ "ip6tnl/fou", 6, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, 4, 56, 1500, 1444 },
	{ "ip6tnl encaplimit none/fou", 6, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 48, 1500, 1452 },
	{ "ip6tnl encaplimit none/gue", 6, UF_ENCAP_GUE, 0, 0, 0, 0, 0, 0, -1, 52, 1500, 1448 },
	{ "ip6gre/gue", 6, UF_ENCAP_GUE, 0, 1, 0, 0, 0, 0, 4, 64, 1500, 1436 },
	{ "ip6gretap/fou", 6, UF_ENCAP_FOU, 0, 1, 1, 0, 0, 0, 4, 60, 1500, 1426 },
	{ "ipip/fou underlay 9000", 4, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 28, 9000, 8972 },
	{ "ipip/fou underlay 96 = min", 4, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 28, 96, 68 },
	{ "ipip/fou underlay 95 -> clamp 68", 4, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 28, 95, 68 },
	{ "ipip/fou underlay 0 -> clamp 68", 4, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 28, 0, 68 },
	{ "ip6tnl/fou underlay 1280 -> clamp 1280", 6, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, 4, 56, 1280,
	  1280 },
	{ "ipip/fou underlay 65535", 4, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 28, 65535, 65507 },
	{ "ipip/fou underlay 70000 capped", 4, UF_ENCAP_FOU, 0, 0, 0, 0, 0, 0, -1, 28, 70000,
	  65507 },
};

static void test_mtu(void)
{
	size_t i;

	for (i = 0; i < sizeof(mtu_rows) / sizeof(mtu_rows[0]); i++) {
		const struct mtu_row *r = &mtu_rows[i];
		struct uf_tx tx;

		TEST(r->name);
		memset(&tx, 0, sizeof(tx));
		tx.family = r->family;
		tx.encap = r->encap;
		tx.remcsum = r->remcsum;
		tx.gre = r->gre;
		tx.gre_csum = r->gre_csum;
		tx.gre_key = r->gre_key;
		tx.gre_seq = r->gre_seq;
		tx.inner_kind = r->eth ? UF_INNER_ETH : UF_INNER_IP;
		tx.encap_limit = r->encap_limit;
		CHECK_EQ(uf_tx_overhead(&tx), r->overhead);
		CHECK_EQ(uf_tx_default_mtu(&tx, r->underlay), r->mtu);
	}
}

/* ---- synthetic inner packets ---- */

static const uint8_t A4[4] = { 10, 0, 0, 1 }, B4[4] = { 10, 0, 0, 2 };
static const uint8_t A6[16] = { 0xfd, 0, 0, 1, [15] = 1 }, B6[16] = { 0xfd, 0, 0, 1, [15] = 2 };

/* IPv4 or IPv6 + UDP(plen payload); the UDP checksum field holds the pseudo sum. */
static size_t mk_inner(uint8_t *p, int ver, uint8_t ttl, uint8_t tos, bool df, uint32_t label,
		       size_t plen)
{
	size_t hl = ver == 4 ? 20 : 40, ulen = 8 + plen, i;
	uint32_t ps;

	memset(p, 0, hl + ulen);
	if (ver == 4) {
		p[0] = 0x45;
		p[1] = tos;
		put_be16(p + 2, (uint16_t)(hl + ulen));
		p[6] = df ? 0x40 : 0;
		p[8] = ttl;
		p[9] = 17;
		memcpy(p + 12, A4, 4);
		memcpy(p + 16, B4, 4);
		put_be16(p + 10, uf_csum(p, 20));
		ps = uf_csum_pseudo4(A4, B4, 17, (uint32_t)ulen);
	} else {
		put_be32(p, 6u << 28 | (uint32_t)tos << 20 | label);
		put_be16(p + 4, (uint16_t)ulen);
		p[6] = 17;
		p[7] = ttl;
		memcpy(p + 8, A6, 16);
		memcpy(p + 24, B6, 16);
		ps = uf_csum_pseudo6(A6, B6, 17, (uint32_t)ulen);
	}
	put_be16(p + hl, 1234);
	put_be16(p + hl + 2, 80);
	put_be16(p + hl + 4, (uint16_t)ulen);
	for (i = 0; i < plen; i++)
		p[hl + 8 + i] = (uint8_t)(i * 31 + 7);
	put_be16(p + hl + 6, uf_csum_fold16(ps));
	return hl + ulen;
}

static void base_tx(struct uf_tx *tx, uint8_t family, enum uf_encap_type encap)
{
	memset(tx, 0, sizeof(*tx));
	tx->family = family;
	memcpy(tx->src, family == 4 ? G4 : G6, family == 4 ? 4 : 16);
	memcpy(tx->dst, family == 4 ? H4 : H6, family == 4 ? 4 : 16);
	tx->encap = encap;
	tx->dport = 5555;
	tx->pmtudisc = true;
	tx->encap_limit = -1;
}

static uint8_t big[HEADROOM + 65536];

/* Encapsulates an inner packet made by mk_inner; returns the outer offset. */
static int enc(const struct uf_tx *tx, struct uf_tx_state *st, const uint8_t *inner, size_t len,
	       const struct uf_partial_csum *pc, size_t *out_len)
{
	memcpy(big + HEADROOM, inner, len);
	return uf_encap(tx, st, big, HEADROOM, len, pc, out_len);
}

struct err_row {
	const char *name;
	uint8_t family;
	enum uf_encap_type encap;
	bool gre, eth;
	int16_t encap_limit;
	int inner_ver;          /* 4, 6, or 0 for garbage */
	size_t inner_len;       /* 0 = natural */
	size_t headroom;        /* 0 = HEADROOM */
	int partial_end;        /* 0 none, else start+offset+2 - inner_len */
	int want;               /* 0 = success */
};

static const struct err_row err_rows[] = {
	{ "ok ipip/fou", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 0, 0, 0 },
	{ "family 0", 0, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 0, 0, -EINVAL },
	{ "family 5", 5, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 0, 0, -EINVAL },
	{ "encap none", 4, UF_ENCAP_NONE, 0, 0, -1, 4, 0, 0, 0, -EINVAL },
	{ "encap 3", 4, (enum uf_encap_type)3, 0, 0, -1, 4, 0, 0, 0, -EINVAL },
	{ "inner not IP", 4, UF_ENCAP_FOU, 0, 0, -1, 0, 0, 0, 0, -EINVAL },
	{ "inner empty", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 0, 0, -EINVAL },
	{ "inner IPv4 19 bytes", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 19, 0, 0, -EINVAL },
	{ "inner IPv4 20 bytes", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 20, 0, 0, 0 },
	{ "inner IPv6 39 bytes", 4, UF_ENCAP_FOU, 0, 0, -1, 6, 39, 0, 0, -EINVAL },
	{ "inner IPv6 40 bytes", 4, UF_ENCAP_FOU, 0, 0, -1, 6, 40, 0, 0, 0 },
	{ "ethernet without GRE", 4, UF_ENCAP_FOU, 0, 1, -1, 4, 0, 0, 0, -EINVAL },
	{ "ethernet 13 bytes", 4, UF_ENCAP_FOU, 1, 1, -1, 4, 13, 0, 0, -EINVAL },
	{ "ethernet 14 bytes", 4, UF_ENCAP_FOU, 1, 1, -1, 4, 14, 0, 0, 0 },
	{ "headroom exact ipip/fou (28)", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 28, 0, 0 },
	{ "headroom 27", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 27, 0, -ENOSPC },
	{ "headroom exact ip6gre/gue+limit (64)", 6, UF_ENCAP_GUE, 1, 0, 4, 6, 0, 64, 0, 0 },
	{ "headroom 63", 6, UF_ENCAP_GUE, 1, 0, 4, 6, 0, 63, 0, -ENOSPC },
	{ "headroom 1", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 1, 0, -ENOSPC },
	{ "IPv4 total 65535", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 65535 - 28, 0, 0, 0 },
	{ "IPv4 total 65536", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 65536 - 28, 0, 0, -EMSGSIZE },
	{ "IPv6 payload 65535", 6, UF_ENCAP_FOU, 0, 0, 4, 6, 65535 - 16, 0, 0, 0 },
	{ "IPv6 payload 65536", 6, UF_ENCAP_FOU, 0, 0, 4, 6, 65536 - 16, 0, 0, -EMSGSIZE },
	{ "partial field ends at inner end", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 0, 0 + 100, 0 },
	{ "partial field past inner end", 4, UF_ENCAP_FOU, 0, 0, -1, 4, 0, 0, 1 + 100, -EINVAL },
};

static void test_errors(void)
{
	uint8_t inner[64];
	size_t i;

	for (i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
		const struct err_row *r = &err_rows[i];
		struct uf_tx_state st = { 0, 0 };
		struct uf_partial_csum pc;
		struct uf_tx tx;
		size_t len, out_len = 0, hr = r->headroom ? r->headroom : HEADROOM;
		int ret;

		TEST(r->name);
		base_tx(&tx, r->family == 6 ? 6 : 4, r->encap);
		tx.family = r->family;
		tx.gre = r->gre;
		tx.inner_kind = r->eth ? UF_INNER_ETH : UF_INNER_IP;
		tx.encap_limit = r->encap_limit;
		len = mk_inner(inner, r->inner_ver == 6 ? 6 : 4, 64, 0, true, 0, 0);
		if (!r->inner_ver)
			inner[0] = 0x55;
		if (r->eth)
			put_be16(inner + 12, 0x0806);
		if (r->inner_len)
			len = r->inner_len;
		if (!strcmp(r->name, "inner empty"))
			len = 0;
		memset(big, 0, sizeof(big));
		memcpy(big + hr, inner, len < sizeof(inner) ? len : sizeof(inner));
		if (r->partial_end) {
			/* start 20, field at 26: ends at 28 = inner_len; shift by extra. */
			pc.start = (uint16_t)(20 + r->partial_end - 100);
			pc.offset = 6;
		}
		ret = uf_encap(&tx, &st, big, hr, len, r->partial_end ? &pc : NULL, &out_len);
		if (r->want)
			CHECK_EQ(ret, r->want);
		else
			CHECK_EQ(ret, (int)hr - (int)uf_tx_overhead(&tx));
		if (!r->want)
			CHECK_EQ(out_len, len + uf_tx_overhead(&tx));
	}
}

/* Decodes what uf_encap wrote at big+off. */
static enum uf_drop dec(int off, size_t len, const struct uf_tx *tx, struct uf_pkt *pkt,
			uint8_t ipproto)
{
	struct uf_port_kind port = { tx->dport, 0, tx->encap == UF_ENCAP_GUE, ipproto };

	return uf_decode_ip(big + off, len, &port, 1, pkt);
}

static void test_ttl_tos_df(void)
{
	struct uf_tx_state st = { 0, 0 };
	uint8_t inner[128];
	struct uf_pkt pkt;
	struct uf_tx tx;
	size_t len, out;
	int off;

	TEST("TTL fixed / inherited from IPv4 TTL and IPv6 hop limit");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	len = mk_inner(inner, 4, 17, 0, true, 0, 10);
	tx.ttl = 225;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 8], 225);
	tx.ttl = 0;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 8], 17);
	len = mk_inner(inner, 6, 1, 0, false, 0, 10);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 8], 1);
	base_tx(&tx, 6, UF_ENCAP_FOU);
	len = mk_inner(inner, 4, 255, 0, true, 0, 10);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 7], 255);

	TEST("TOS fixed / inherited, ECN from inner (CE -> ECT(0))");
	{
		static const struct { uint8_t fixed, inh, inner, want; } rows[] = {
			{ 0x00, 0, 0x00, 0x00 }, { 0x10, 0, 0x00, 0x10 }, { 0x10, 0, 0x01, 0x11 },
			{ 0x10, 0, 0x02, 0x12 }, { 0x10, 0, 0x03, 0x12 }, { 0x13, 0, 0x00, 0x10 },
			{ 0x00, 1, 0xb8, 0xb8 }, { 0x00, 1, 0xbb, 0xba }, { 0xfc, 1, 0x21, 0x21 },
			{ 0xff, 0, 0xff, 0xfe },
		};
		size_t i;
		int fam;

		for (fam = 4; fam <= 6; fam += 2) {
			for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
				base_tx(&tx, (uint8_t)fam, UF_ENCAP_GUE);
				tx.tos = rows[i].fixed;
				tx.tos_inherit = rows[i].inh;
				len = mk_inner(inner, 10 - fam, 64, rows[i].inner, true, 0, 4);
				off = enc(&tx, &st, inner, len, NULL, &out);
				CHECK(off >= 0);
				CHECK_EQ(fam == 4 ? big[off + 1] :
					 (uint8_t)(get_be16(big + off) >> 4), rows[i].want);
				CHECK_EQ(dec(off, out, &tx, &pkt, 0), UF_DROP_NONE);
				CHECK_EQ(pkt.outer.tos, rows[i].want);
			}
		}
	}

	TEST("DF: pmtudisc always; nopmtudisc copies inner IPv4 DF");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	len = mk_inner(inner, 4, 64, 0, false, 0, 4);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 6] & 0x40, 0x40);
	tx.pmtudisc = false;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 6] & 0x40, 0);
	len = mk_inner(inner, 4, 64, 0, true, 0, 4);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 6] & 0x40, 0x40);
	len = mk_inner(inner, 6, 64, 0, false, 0, 4);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 6] & 0x40, 0);

	TEST("IPv4 ID: st->ip_id++ including wrap; IPv6 leaves it");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	st.ip_id = 0xfffe;
	len = mk_inner(inner, 4, 64, 0, true, 0, 4);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(get_be16(big + off + 4), 0xfffe);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(get_be16(big + off + 4), 0xffff);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(get_be16(big + off + 4), 0);
	CHECK_EQ(st.ip_id, 1);
	base_tx(&tx, 6, UF_ENCAP_FOU);
	enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(st.ip_id, 1);
}

static void test_eth_inherit(void)
{
	struct uf_tx_state st = { 0, 0 };
	uint8_t inner[128];
	struct uf_tx tx;
	size_t len, out;
	int off;

	TEST("gretap: inherit TTL/TOS/DF from the IP inside the frame, else 64");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	tx.gre = true;
	tx.inner_kind = UF_INNER_ETH;
	tx.tos_inherit = true;
	tx.pmtudisc = false;
	memset(inner, 0, 14);
	put_be16(inner + 12, 0x0800);
	len = 14 + mk_inner(inner + 14, 4, 33, 0x28, true, 0, 4);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 8], 33);
	CHECK_EQ(big[off + 1], 0x28);
	CHECK_EQ(big[off + 6] & 0x40, 0x40);
	CHECK_EQ(get_be16(big + off + 28 + 2), UF_ETH_P_TEB);
	CHECK_EQ(big[off + 9], 17);
	put_be16(inner + 12, 0x0806);  /* ARP: nothing to inherit */
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 8], 64);
	CHECK_EQ(big[off + 1], 0);
	CHECK_EQ(big[off + 6] & 0x40, 0);
	put_be16(inner + 12, 0x86dd);  /* says IPv6 but holds IPv4: not used */
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(big[off + 8], 64);
}

static void test_flowlabel_sport(void)
{
	struct uf_tx_state st = { 0, 0 };
	uint8_t inner[128];
	struct uf_tx tx;
	size_t len, out;
	uint32_t l1;
	int off, i;

	TEST("IPv6 flow label: fixed, inherited, auto");
	base_tx(&tx, 6, UF_ENCAP_FOU);
	tx.flowlabel = 0x12345;
	len = mk_inner(inner, 6, 64, 0, false, 0xabcde, 4);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(get_be32(big + off) & 0xfffff, 0x12345);
	tx.flowlabel = 0;
	tx.flowlabel_inherit = true;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(get_be32(big + off) & 0xfffff, 0xabcde);
	tx.flowlabel_inherit = false;
	off = enc(&tx, &st, inner, len, NULL, &out);
	l1 = get_be32(big + off) & 0xfffff;
	CHECK(l1 != 0 && l1 != 0xabcde);
	tx.flowlabel_inherit = true;
	len = mk_inner(inner, 6, 64, 0, false, 0, 4);  /* inner label 0: auto */
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK((get_be32(big + off) & 0xfffff) != 0);
	len = mk_inner(inner, 4, 64, 0, false, 0, 4);  /* IPv4 inner: auto */
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK((get_be32(big + off) & 0xfffff) != 0);

	TEST("UDP source port: fixed, default range, custom range, width 1");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	for (i = 0; i < 200; i++) {
		uint16_t sp;

		len = mk_inner(inner, 4, 64, 0, false, 0, 4);
		put_be16(inner + 20, (uint16_t)(1000 + i));   /* vary the inner flow */
		tx.sport = 0;
		tx.sport_min = tx.sport_max = 0;
		off = enc(&tx, &st, inner, len, NULL, &out);
		sp = get_be16(big + off + 20);
		CHECK(sp >= 32768 && sp < 60999);
		tx.sport_min = 49152;
		tx.sport_max = 65535;
		off = enc(&tx, &st, inner, len, NULL, &out);
		sp = get_be16(big + off + 20);
		CHECK(sp >= 49152 && sp < 65535);
		tx.sport_min = 1000;
		tx.sport_max = 1001;
		off = enc(&tx, &st, inner, len, NULL, &out);
		CHECK_EQ(get_be16(big + off + 20), 1000);
		tx.sport_min = 2000;
		tx.sport_max = 2000;  /* min >= max: default range */
		off = enc(&tx, &st, inner, len, NULL, &out);
		sp = get_be16(big + off + 20);
		CHECK(sp >= 32768 && sp < 60999);
		tx.sport = 65535;
		off = enc(&tx, &st, inner, len, NULL, &out);
		CHECK_EQ(get_be16(big + off + 20), 65535);
		CHECK_EQ(get_be16(big + off + 22), 5555);
	}
}

static void test_gre_opts(void)
{
	struct uf_tx_state st = { 0, 0xfffffffe };
	uint8_t inner[128];
	struct uf_pkt pkt;
	struct uf_tx tx;
	size_t len, out;
	int off;

	TEST("GRE key/seq/csum; seq is ++st->gre_seq with wrap");
	base_tx(&tx, 4, UF_ENCAP_GUE);
	tx.gre = tx.gre_csum = tx.gre_key = tx.gre_seq = true;
	tx.gre_okey = 0x01020304;
	len = mk_inner(inner, 6, 64, 0, false, 0, 5);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(dec(off, out, &tx, &pkt, 0), UF_DROP_NONE);
	CHECK(pkt.has_gre);
	CHECK_EQ(pkt.gre.proto, UF_ETH_P_IPV6);
	CHECK_EQ(pkt.gre.key, 0x01020304);
	CHECK_EQ(pkt.gre.seq, 0xffffffff);
	CHECK_EQ(pkt.gre.csum_state, UF_CSUM_VALID);
	CHECK_EQ(pkt.gue.proto, 47);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(dec(off, out, &tx, &pkt, 0), UF_DROP_NONE);
	CHECK_EQ(pkt.gre.seq, 0);
	tx.gre_seq = false;
	enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(st.gre_seq, 0);

	TEST("GRE seq: first packet carries 1");
	st.gre_seq = 0;
	tx.gre_seq = true;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(dec(off, out, &tx, &pkt, 0), UF_DROP_NONE);
	CHECK_EQ(pkt.gre.seq, 1);
}

static bool inner_udp_valid(const uint8_t *p, size_t len)
{
	uint32_t ps;
	size_t hl = p[0] >> 4 == 4 ? 20 : 40;

	ps = hl == 20 ? uf_csum_pseudo4(p + 12, p + 16, 17, (uint32_t)(len - hl)) :
			uf_csum_pseudo6(p + 8, p + 24, 17, (uint32_t)(len - hl));
	return uf_csum_fold16(uf_csum_partial(p + hl, len - hl, ps)) == 0xffff;
}

static void test_partial(void)
{
	struct uf_partial_csum pc = { 20, 6 };
	struct uf_tx_state st = { 0, 0 };
	uint8_t inner[2048];
	struct uf_pkt pkt;
	struct uf_tx tx;
	size_t len, out;
	int off, fam;

	TEST("partial, no remcsum: inner checksum completed in place (v4/v6, fou/gue)");
	for (fam = 4; fam <= 6; fam += 2) {
		base_tx(&tx, 4, fam == 4 ? UF_ENCAP_FOU : UF_ENCAP_GUE);
		pc.start = fam == 4 ? 20 : 40;
		len = mk_inner(inner, fam, 64, 0, false, 0, 1001);
		CHECK(!inner_udp_valid(inner, len));
		off = enc(&tx, &st, inner, len, &pc, &out);
		CHECK(off >= 0);
		CHECK_EQ(out, len + uf_tx_overhead(&tx));
		CHECK(inner_udp_valid(big + HEADROOM, len));
		CHECK_EQ(dec(off, out, &tx, &pkt, fam == 4 ? 4 : 41), UF_DROP_NONE);
		CHECK_EQ(pkt.l4.csum_state, UF_CSUM_VALID);
		CHECK_EQ(pkt.gue.hdr_len, fam == 4 ? 0 : 4);
	}

	TEST("partial, no remcsum: a completed 0 is sent as 0xffff");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	pc.start = 20;
	len = mk_inner(inner, 4, 64, 0, false, 0, 2);
	put_be16(inner + 28, 0);
	enc(&tx, &st, inner, len, &pc, &out);
	put_be16(inner + 28, get_be16(big + HEADROOM + 26));   /* makes the sum 0xffff */
	enc(&tx, &st, inner, len, &pc, &out);
	CHECK_EQ(get_be16(big + HEADROOM + 26), 0xffff);
	CHECK(inner_udp_valid(big + HEADROOM, len));

	TEST("remcsum on FOU is ignored (no option, checksum completed)");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	tx.remcsum = true;
	len = mk_inner(inner, 4, 64, 0, false, 0, 10);
	off = enc(&tx, &st, inner, len, &pc, &out);
	CHECK_EQ(HEADROOM - off, 28);
	CHECK(inner_udp_valid(big + HEADROOM, len));

	TEST("remcsum GUE: 12-byte header, field left as pseudo sum, receiver completes");
	for (fam = 4; fam <= 6; fam += 2) {
		uint8_t *g;

		base_tx(&tx, (uint8_t)fam, UF_ENCAP_GUE);
		tx.remcsum = tx.udp_csum = true;
		pc.start = 20;
		len = mk_inner(inner, 4, 64, 0, false, 0, 33);
		off = enc(&tx, &st, inner, len, &pc, &out);
		CHECK_EQ(HEADROOM - off, (fam == 4 ? 20 : 40) + 8 + 12);
		CHECK_MEM(big + HEADROOM, inner, len);
		g = big + HEADROOM - 12;
		CHECK_EQ(get_be32(g), 0x02040001);
		CHECK_EQ(get_be32(g + 4), 0x80000000);
		CHECK_EQ(get_be16(g + 8), 20);
		CHECK_EQ(get_be16(g + 10), 26);
		CHECK_EQ(dec(off, out, &tx, &pkt, 0), UF_DROP_NONE);
		CHECK_EQ(pkt.udp.csum_state, UF_CSUM_VALID);
		CHECK(pkt.gue.remcsum);
		CHECK_EQ(pkt.l4.csum_state, UF_CSUM_VALID);
	}

	TEST("remcsum GUE without partial: plain 4-byte header");
	base_tx(&tx, 4, UF_ENCAP_GUE);
	tx.remcsum = true;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(HEADROOM - off, 32);
	CHECK_EQ(get_be32(big + HEADROOM - 4), 0x00040000);

	TEST("remcsum GUE+GRE(csum): start counts the GRE header; GRE csum as if complete");
	base_tx(&tx, 4, UF_ENCAP_GUE);
	tx.remcsum = tx.gre = tx.gre_csum = tx.gre_key = true;
	tx.gre_okey = 7;
	len = mk_inner(inner, 6, 64, 0, false, 0, 100);
	pc.start = 40;
	off = enc(&tx, &st, inner, len, &pc, &out);
	CHECK_EQ(HEADROOM - off, 20 + 8 + 12 + 12);
	CHECK_MEM(big + HEADROOM, inner, len);
	CHECK_EQ(get_be16(big + HEADROOM - 12 - 4), 52);
	CHECK_EQ(get_be16(big + HEADROOM - 12 - 2), 58);
	CHECK_EQ(dec(off, out, &tx, &pkt, 0), UF_DROP_NONE);
	CHECK_EQ(pkt.gre.csum_state, UF_CSUM_VALID);
	CHECK_EQ(pkt.gre.key, 7);
	CHECK_EQ(pkt.l4.csum_state, UF_CSUM_VALID);
	CHECK_EQ(pkt.inner.family, 6);
}

/* encode -> decode gives back every field, for each link kind. */
static void test_roundtrip(void)
{
	static const struct { uint8_t fam; enum uf_encap_type e; bool gre; int iv; } rows[] = {
		{ 4, UF_ENCAP_FOU, 0, 4 }, { 4, UF_ENCAP_FOU, 0, 6 }, { 4, UF_ENCAP_GUE, 0, 4 },
		{ 4, UF_ENCAP_GUE, 1, 6 }, { 6, UF_ENCAP_FOU, 0, 4 }, { 6, UF_ENCAP_FOU, 1, 6 },
		{ 6, UF_ENCAP_GUE, 0, 6 }, { 6, UF_ENCAP_GUE, 1, 4 },
	};
	struct uf_tx_state st = { 0x1234, 0 };
	uint8_t inner[256];
	size_t i, len, out;

	TEST("encode -> uf_decode_ip round trip (8 link kinds)");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct uf_pkt pkt;
		struct uf_tx tx;
		int off;
		uint8_t proto = rows[i].gre ? 47 : rows[i].iv == 4 ? 4 : 41;

		base_tx(&tx, rows[i].fam, rows[i].e);
		tx.gre = rows[i].gre;
		tx.ttl = 99;
		tx.udp_csum = i & 1;
		tx.encap_limit = (int16_t)(rows[i].fam == 6 && (i & 2) ? 4 : -1);
		tx.sport = 4242;
		len = mk_inner(inner, rows[i].iv, 64, 0, true, 0, 50 + i);
		put_be16(inner + (rows[i].iv == 4 ? 26 : 46), 0);  /* inner UDP csum: zero */
		off = enc(&tx, &st, inner, len, NULL, &out);
		CHECK(off >= 0);
		if (off < 0)
			continue;
		CHECK_EQ(dec(off, out, &tx, &pkt, proto), UF_DROP_NONE);
		CHECK(pkt.has_outer && pkt.has_udp && pkt.has_inner && pkt.has_l4);
		CHECK_EQ(pkt.outer.family, rows[i].fam);
		CHECK_EQ(pkt.outer.ttl, 99);
		CHECK_EQ(pkt.outer.encap_limit, tx.encap_limit);
		CHECK_EQ(pkt.udp.sport, 4242);
		CHECK_EQ(pkt.udp.dport, 5555);
		CHECK_EQ(pkt.udp.csum_state, tx.udp_csum ? UF_CSUM_VALID : UF_CSUM_ZERO);
		CHECK_EQ(pkt.encap, rows[i].e);
		CHECK_EQ(pkt.has_gue, rows[i].e == UF_ENCAP_GUE);
		CHECK_EQ(pkt.has_gre, rows[i].gre);
		CHECK_EQ(pkt.ipproto, proto);
		CHECK_EQ(pkt.inner.family, rows[i].iv);
		CHECK_EQ(pkt.tun_off, (size_t)(HEADROOM - off));
		CHECK_EQ(pkt.tun_len, len);
		CHECK_MEM(big + off + pkt.tun_off, inner, len);
		CHECK_EQ(pkt.l4.sport, 1234);
		CHECK_EQ(pkt.l4.dport, 80);
		CHECK_EQ(pkt.l4.csum_state, UF_CSUM_ZERO);
	}
}

/* ---- deferred outer UDP checksum ---- */

static uint8_t dbuf[2][HEADROOM + 65536];

/*
 * Inner packet for the deferred-checksum matrix: IPv4/IPv6 + UDP, behind an
 * Ethernet header for gretap (eth); *start is where the UDP header begins.
 */
static size_t mk_defer_inner(uint8_t *p, int ver, bool eth, size_t plen, uint16_t *start)
{
	size_t l2 = eth ? 14 : 0, n;

	if (eth) {
		memset(p, 0, 14);
		p[0] = 0x02;
		p[6] = 0x02;
		p[11] = 1;
		put_be16(p + 12, ver == 4 ? 0x0800 : 0x86dd);
	}
	n = mk_inner(p + l2, ver, 64, 0x02, true, 0x54321, plen);
	*start = (uint16_t)(l2 + (ver == 4 ? 20 : 40));
	return l2 + n;
}

struct defer_case {
	uint8_t fam;
	enum uf_encap_type encap;
	int16_t encap_limit;
	int gre;        /* 0 none, 1 plain, 2 csum+key+seq */
	bool eth;       /* gretap (needs gre) */
	int iv;         /* inner IP version */
	size_t plen;    /* inner UDP payload bytes */
	bool partial;   /* inner checksum partial (remcsum option on GUE) */
	bool csum;      /* tx->udp_csum */
};

/*
 * Encapsulates one case twice from the same inner bytes and state: with the
 * checksum up front (dbuf[0]) and deferred then finished (dbuf[1]). The two
 * outer packets must be byte-identical. Returns false on a mismatch.
 */
static bool defer_one(const struct defer_case *c)
{
	struct uf_partial_csum pc = { 0, 6 };
	static uint8_t inner[65536];
	struct uf_tx_state st0 = { 0x7fff, 41 }, st1 = st0;
	size_t len, out0 = 0, out1 = 0, ip_len;
	struct uf_tx tx;
	int off0, off1;
	bool ok = true;

	base_tx(&tx, c->fam, c->encap);
	tx.encap_limit = c->encap_limit;
	tx.udp_csum = c->csum;
	tx.remcsum = c->partial;
	tx.gre = c->gre > 0;
	tx.gre_csum = tx.gre_key = tx.gre_seq = c->gre == 2;
	tx.gre_okey = 0xa1b2c3d4;
	tx.inner_kind = c->eth ? UF_INNER_ETH : UF_INNER_IP;
	tx.ttl = 0;
	tx.tos_inherit = true;
	tx.hash_seed = 99;
	len = mk_defer_inner(inner, c->iv, c->eth, c->plen, &pc.start);
	memcpy(dbuf[0] + HEADROOM, inner, len);
	memcpy(dbuf[1] + HEADROOM, inner, len);
	off0 = uf_encap(&tx, &st0, dbuf[0], HEADROOM, len, c->partial ? &pc : NULL, &out0);
	tx.csum_defer = true;
	off1 = uf_encap(&tx, &st1, dbuf[1], HEADROOM, len, c->partial ? &pc : NULL, &out1);
	CHECK(off0 >= 0);
	CHECK_EQ(off1, off0);
	CHECK_EQ(out1, out0);
	CHECK_EQ(st1.ip_id, st0.ip_id);
	CHECK_EQ(st1.gre_seq, st0.gre_seq);
	if (off0 < 0 || off1 != off0 || out1 != out0)
		return false;
	ip_len = c->fam == 4 ? 20 : c->encap_limit >= 0 ? 48 : 40;
	/*
	 * Deferred: the UDP checksum (and, with one asked for, the IPv4 header
	 * checksum) is zero until finished; the rest is already the same.
	 */
	CHECK_EQ(get_be16(dbuf[1] + off1 + ip_len + 6), 0);
	if (c->fam == 4 && c->csum) {
		CHECK_EQ(get_be16(dbuf[1] + off1 + 10), 0);
		ok = !memcmp(dbuf[0] + off0, dbuf[1] + off1, 10) &&
		     !memcmp(dbuf[0] + off0 + 12, dbuf[1] + off1 + 12, ip_len - 12 + 6);
	} else {
		ok = !memcmp(dbuf[0] + off0, dbuf[1] + off1, ip_len + 6);
	}
	ok = ok && !memcmp(dbuf[0] + off0 + ip_len + 8, dbuf[1] + off1 + ip_len + 8,
			   out0 - ip_len - 8);
	CHECK(ok);
	CHECK_EQ(uf_encap_finish(&tx, dbuf[1] + off1, out1), 0);
	if (memcmp(dbuf[0] + off0, dbuf[1] + off1, out0)) {
		CHECK(0);
		ok = false;
	}
	/* Not deferred: finishing changes nothing. */
	tx.csum_defer = false;
	CHECK_EQ(uf_encap_finish(&tx, dbuf[0] + off0, out0), 0);
	CHECK_MEM(dbuf[0] + off0, dbuf[1] + off1, out0);
	if (c->csum) {
		struct uf_pkt pkt;
		uint8_t proto = c->gre ? 47 : c->iv == 4 ? 4 : 41;
		struct uf_port_kind port = { tx.dport, 0, tx.encap == UF_ENCAP_GUE, proto };

		CHECK_EQ(uf_decode_ip(dbuf[1] + off1, out1, &port, 1, &pkt), UF_DROP_NONE);
		CHECK_EQ(pkt.udp.csum_state, UF_CSUM_VALID);
	}
	return ok;
}

static void test_defer_matrix(void)
{
	static const size_t plens[] = { 0, 1, 2, 3, 101, 1372, 1373, 1400, 1401, 40001 };
	static const int16_t limits[] = { -1, 4 };
	unsigned int cases = 0, bad = 0;

	TEST("csum_defer + uf_encap_finish == checksum up front: v4/v6 outer, fou/gue, "
	     "encaplimit, GRE/gretap, remcsum, odd lengths");
	for (int fam = 4; fam <= 6; fam += 2)
	for (int e = UF_ENCAP_FOU; e <= UF_ENCAP_GUE; e++)
	for (size_t li = 0; li < 2; li++)
	for (int gre = 0; gre <= 2; gre++)
	for (int eth = 0; eth <= 1; eth++)
	for (int iv = 4; iv <= 6; iv += 2)
	for (size_t pi = 0; pi < sizeof(plens) / sizeof(plens[0]); pi++)
	for (int partial = 0; partial <= 1; partial++)
	for (int csum = 0; csum <= 1; csum++) {
		struct defer_case c = {
			(uint8_t)fam, (enum uf_encap_type)e, limits[li], gre, eth, iv,
			plens[pi], partial, csum,
		};

		if ((fam == 4 && limits[li] >= 0) || (eth && !gre))
			continue;
		cases++;
		if (!defer_one(&c)) {
			bad++;
			if (bad <= 5)
				printf("# mismatch: outer v%d encap %d limit %d gre %d eth %d "
				       "inner v%d plen %zu partial %d csum %d\n", fam, e,
				       limits[li], gre, eth, iv, plens[pi], partial, csum);
		}
	}
	printf("# %u cases, %u mismatches\n", cases, bad);
	CHECK_EQ(bad, 0);
}

static void test_defer_finish_errors(void)
{
	struct uf_tx_state st = { 0, 0 };
	uint8_t inner[256];
	struct uf_pkt pkt;
	struct uf_tx tx;
	size_t len, out;
	uint8_t save;
	int off;

	TEST("uf_encap_finish: -EINVAL for what uf_encap did not build under tx");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	tx.udp_csum = tx.csum_defer = true;
	len = mk_inner(inner, 4, 64, 0, true, 0, 21);
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK(off >= 0);
	CHECK_EQ(uf_encap_finish(&tx, big + off, 27), -EINVAL);     /* no room for UDP */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out - 1), -EINVAL); /* UDP length */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out + 1), -EINVAL);
	big[off] = 0x46;                                             /* IPv4 options */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), -EINVAL);
	big[off] = 0x45;
	big[off + 9] = 6;                                            /* not UDP */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), -EINVAL);
	big[off + 9] = 17;
	tx.family = 6;                                               /* other family */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), -EINVAL);
	tx.family = 5;
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), -EINVAL);
	tx.family = 4;
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), 0);
	CHECK_EQ(dec(off, out, &tx, &pkt, 4), UF_DROP_NONE);
	CHECK_EQ(pkt.udp.csum_state, UF_CSUM_VALID);

	base_tx(&tx, 6, UF_ENCAP_GUE);
	tx.udp_csum = tx.csum_defer = true;
	tx.encap_limit = 4;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK(off >= 0);
	tx.encap_limit = -1;                                         /* dstopt not expected */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), -EINVAL);
	tx.encap_limit = 4;
	save = big[off + 41];
	big[off + 41] = 1;                                           /* a 16-byte option header */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), -EINVAL);
	big[off + 41] = save;
	CHECK_EQ(uf_encap_finish(&tx, big + off, 55), -EINVAL);
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), 0);
	base_tx(&tx, 6, UF_ENCAP_GUE);
	tx.udp_csum = tx.csum_defer = true;
	off = enc(&tx, &st, inner, len, NULL, &out);
	tx.encap_limit = 4;                                          /* dstopt expected, absent */
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), -EINVAL);
	tx.encap_limit = -1;
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), 0);

	TEST("uf_encap_finish: no udp_csum or no csum_defer: nothing to do, zero stays");
	base_tx(&tx, 4, UF_ENCAP_FOU);
	tx.csum_defer = true;
	off = enc(&tx, &st, inner, len, NULL, &out);
	CHECK_EQ(uf_encap_finish(&tx, big + off, out), 0);
	CHECK_EQ(get_be16(big + off + 26), 0);
	CHECK_EQ(uf_encap_finish(&tx, big + off, 3), 0);             /* not even looked at */
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		test_vector(&vecs[i], i);
	test_remcsum_vector_fix();
	test_mtu();
	test_errors();
	test_ttl_tos_df();
	test_eth_inherit();
	test_flowlabel_sport();
	test_gre_opts();
	test_partial();
	test_roundtrip();
	test_defer_matrix();
	test_defer_finish_errors();
	return t_done();
}
