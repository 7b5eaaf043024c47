// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of the pure protocol library: nanoseconds per packet for
 * uf_encap (transmit: outer IPv4 + UDP [+ GUE] written into the headroom)
 * and uf_decap_payload (receive: everything after the outer UDP header),
 * on 64-byte and 1400-byte inner IPv4/UDP packets, FOU and GUE, plus FOU
 * with the outer UDP checksum on (the only case that touches the payload).
 *
 * Each case runs a calibrated batch (about BATCH_NS long) several times and
 * reports the median batch, so one preemption on a shared machine does not
 * move the figure. Usage: bench_encap [-j] [-q]   (-j: JSON, -q: shorter).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/csum.h"
#include "proto/decap.h"
#include "proto/encap.h"

#define HEADROOM 128
#define MAX_INNER 1500

struct bcase {
	const char *name;        /* "fou", "gue", "fou-csum" */
	enum uf_encap_type encap;
	bool udp_csum;
	size_t inner_len;
};

static const struct bcase cases[] = {
	{ "fou", UF_ENCAP_FOU, false, 64 },
	{ "fou", UF_ENCAP_FOU, false, 1400 },
	{ "gue", UF_ENCAP_GUE, false, 64 },
	{ "gue", UF_ENCAP_GUE, false, 1400 },
	{ "fou-csum", UF_ENCAP_FOU, true, 64 },
	{ "fou-csum", UF_ENCAP_FOU, true, 1400 },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* A valid inner IPv4/UDP packet of len bytes, 198.19.0.1:40000 -> 198.19.0.2:5001. */
static void make_inner(uint8_t *p, size_t len)
{
	static const uint8_t src[4] = { 198, 19, 0, 1 }, dst[4] = { 198, 19, 0, 2 };
	size_t i, ulen = len - 20;

	memset(p, 0, len);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)len);
	put16(p + 4, 0x1234);
	p[6] = 0x40;		/* DF */
	p[8] = 64;
	p[9] = UF_IPPROTO_UDP;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	put16(p + 10, uf_csum(p, 20));
	put16(p + 20, 40000);
	put16(p + 22, 5001);
	put16(p + 24, (uint16_t)ulen);
	for (i = 28; i < len; i++)
		p[i] = (uint8_t)(i * 7);
	put16(p + 26, uf_csum_finish(uf_csum_partial(p + 20, ulen,
			uf_csum_pseudo4(src, dst, UF_IPPROTO_UDP, (uint32_t)ulen))));
}

static void make_tx(struct uf_tx *tx, const struct bcase *c)
{
	static const uint8_t src[4] = { 198, 18, 0, 1 }, dst[4] = { 198, 18, 0, 2 };

	memset(tx, 0, sizeof(*tx));
	tx->family = 4;
	memcpy(tx->src, src, 4);
	memcpy(tx->dst, dst, 4);
	tx->ttl = 64;
	tx->pmtudisc = true;
	tx->encap_limit = -1;
	tx->encap = c->encap;
	tx->sport = 0;		/* auto: exercises the flow hash as Linux does */
	tx->sport_min = 32768;
	tx->sport_max = 61000;
	tx->dport = c->encap == UF_ENCAP_GUE ? 5556 : 5555;
	tx->udp_csum = c->udp_csum;
	tx->inner_kind = UF_INNER_IP;
	tx->hash_seed = 0x5eed;
}

/* Packets per batch so that one batch takes about batch_ns. */
static unsigned long calibrate(double (*run)(const struct bcase *, unsigned long, void *),
			       const struct bcase *c, void *ctx, double batch_ns)
{
	unsigned long n = 1000;
	double t;

	for (;;) {
		t = run(c, n, ctx);
		if (t < 0)
			return 0;
		if (t >= batch_ns / 4 || n >= (1ul << 30))
			break;
		n *= 4;
	}
	n = (unsigned long)((double)n * batch_ns / (t > 1 ? t : 1));
	return n ? n : 1;
}

struct ctx {
	uint8_t buf[HEADROOM + MAX_INNER];
	struct uf_tx tx;
	struct uf_tx_state st;
	struct uf_port_kind port;
	size_t udp_off, udp_len;	/* the UDP payload of one encapsulated packet */
	volatile size_t sink;
};

/* Elapsed ns for n encapsulations, or -1 on an error. */
static double run_encap(const struct bcase *c, unsigned long n, void *vctx)
{
	struct ctx *x = vctx;
	size_t out_len = 0, acc = 0;
	unsigned long i;
	double t0 = now_ns();

	for (i = 0; i < n; i++) {
		int off = uf_encap(&x->tx, &x->st, x->buf, HEADROOM, c->inner_len, NULL, &out_len);

		if (off < 0)
			return -1;
		acc += (size_t)off + out_len;
	}
	x->sink = acc;
	return now_ns() - t0;
}

/* Elapsed ns for n decapsulations of the same UDP payload (FOU and GUE
 * without remote checksum offload leave it unmodified), or -1. */
static double run_decap(const struct bcase *c, unsigned long n, void *vctx)
{
	struct ctx *x = vctx;
	struct uf_pkt pkt;
	size_t acc = 0;
	unsigned long i;
	double t0 = now_ns();

	for (i = 0; i < n; i++) {
		memset(&pkt, 0, sizeof(pkt));
		if (uf_decap_payload(x->buf + x->udp_off, x->udp_len, &x->port, &pkt) !=
		    UF_DROP_NONE || pkt.tun_len != c->inner_len)
			return -1;
		acc += pkt.tun_off + pkt.tun_len;
	}
	x->sink = acc;
	return now_ns() - t0;
}

/* Sets up ctx for case c and leaves one encapsulated packet in the buffer. */
static int prepare(struct ctx *x, const struct bcase *c)
{
	size_t out_len = 0;
	int off;

	memset(x, 0, sizeof(*x));
	make_tx(&x->tx, c);
	make_inner(x->buf + HEADROOM, c->inner_len);
	off = uf_encap(&x->tx, &x->st, x->buf, HEADROOM, c->inner_len, NULL, &out_len);
	if (off < 0)
		return off;
	x->udp_off = (size_t)off + UF_IP4_HLEN + 8;
	x->udp_len = out_len - UF_IP4_HLEN - 8;
	x->port.port = x->tx.dport;
	x->port.family = 4;
	x->port.gue = c->encap == UF_ENCAP_GUE;
	x->port.ipproto = UF_IPPROTO_IPIP;
	return 0;
}

static double measure(double (*run)(const struct bcase *, unsigned long, void *),
		      const struct bcase *c, struct ctx *x, int reps, double batch_ns)
{
	double per[16];
	unsigned long n = calibrate(run, c, x, batch_ns);
	int r;

	if (!n)
		return -1;
	for (r = 0; r < reps; r++) {
		double t = run(c, n, x);

		if (t < 0)
			return -1;
		per[r] = t / (double)n;
	}
	qsort(per, (size_t)reps, sizeof(per[0]), cmp_double);
	return per[reps / 2];
}

int main(int argc, char **argv)
{
	static struct ctx x;
	bool json = false, quick = false;
	double batch_ns;
	size_t i;
	int reps, a, rc = 0;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-j")) {
			json = true;
		} else if (!strcmp(argv[a], "-q")) {
			quick = true;
		} else {
			fprintf(stderr, "usage: bench_encap [-j] [-q]\n");
			return 2;
		}
	}
	batch_ns = quick ? 20e6 : 100e6;
	reps = quick ? 3 : 7;

	if (json)
		printf("{\"unit\":\"ns/packet\",\"results\":[");
	else
		printf("bench_encap: ns per packet, IPv4 outer, ipip inner (median of %d batches)\n"
		       "  %-9s %6s %10s %10s\n", reps, "encap", "inner", "uf_encap", "uf_decap");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *c = &cases[i];
		double enc, dec;
		int err = prepare(&x, c);

		if (err < 0) {
			fprintf(stderr, "bench_encap: %s %zu B: uf_encap failed: %s\n",
				c->name, c->inner_len, strerror(-err));
			rc = 1;
			continue;
		}
		enc = measure(run_encap, c, &x, reps, batch_ns);
		if (prepare(&x, c) < 0)
			enc = -1;
		dec = measure(run_decap, c, &x, reps, batch_ns);
		if (enc < 0 || dec < 0) {
			fprintf(stderr, "bench_encap: %s %zu B: %s failed\n", c->name,
				c->inner_len, enc < 0 ? "uf_encap" : "uf_decap_payload");
			rc = 1;
		}
		if (json)
			printf("%s{\"encap\":\"%s\",\"inner_bytes\":%zu,\"encap_ns\":%.2f,"
			       "\"decap_ns\":%.2f}", i ? "," : "", c->name, c->inner_len, enc, dec);
		else
			printf("  %-9s %4zu B %10.1f %10.1f\n", c->name, c->inner_len, enc, dec);
	}
	if (json)
		printf("]}\n");
	return rc;
}
