// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmarks of the pure protocol library. Each section is one
 * function listed in sections[]; add encap/decap timing the same way.
 *
 *   checksum: uf_csum_partial vs memcpy over the same buffers, in ns/KiB
 *             and GB/s, for 64, 1500 and 65536 bytes (~0.3 s each).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/csum.h"

#define TARGET_NS 300000000.0 /* per measurement */

static volatile uint32_t sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * Runs fn(arg) in growing batches until ~TARGET_NS, returns ns per call.
 * A short calibration sizes the batch so the clock is read rarely.
 */
static double time_per_call(void (*fn)(void *), void *arg)
{
	double t0, dt, per;
	uint64_t n = 1, i;

	for (;;) {
		t0 = now_ns();
		for (i = 0; i < n; i++)
			fn(arg);
		dt = now_ns() - t0;
		if (dt > 1e6)
			break;
		n *= 4;
	}
	per = dt / (double)n;
	n = (uint64_t)(TARGET_NS / per) + 1;
	t0 = now_ns();
	for (i = 0; i < n; i++)
		fn(arg);
	return (now_ns() - t0) / (double)n;
}

/* ---- checksum ---------------------------------------------------------- */

struct csum_arg {
	uint8_t *src, *dst;
	size_t len;
};

static void run_csum(void *p)
{
	struct csum_arg *a = p;

	sink = uf_csum_partial(a->src, a->len, sink);
}

static void run_memcpy(void *p)
{
	struct csum_arg *a = p;

	memcpy(a->dst, a->src, a->len);
	/* make the copy observable so it is not elided */
	sink += a->dst[a->len - 1];
	__asm__ __volatile__("" : : "r"(a->dst) : "memory");
}

static void bench_checksum(void)
{
	static const size_t sizes[] = { 64, 1500, 65536 };
	struct csum_arg a;
	size_t i, j;

	printf("checksum: uf_csum_partial vs memcpy (same buffers)\n");
	printf("  %7s  %12s %9s  %13s %9s  %8s\n", "bytes", "csum ns/KiB", "GB/s",
	       "memcpy ns/KiB", "GB/s", "csum/cpy");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double tc, tm, kib;

		a.len = sizes[i];
		/* +1: an odd start address, as packet payloads often have */
		a.src = malloc(a.len + 1);
		a.dst = malloc(a.len + 1);
		if (!a.src || !a.dst) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		for (j = 0; j < a.len + 1; j++)
			a.src[j] = (uint8_t)(j * 131 + 7);
		a.src++;
		tc = time_per_call(run_csum, &a);
		tm = time_per_call(run_memcpy, &a);
		kib = (double)a.len / 1024.0;
		printf("  %7zu  %12.1f %9.2f  %13.1f %9.2f  %8.2f\n", a.len, tc / kib,
		       (double)a.len / tc, tm / kib, (double)a.len / tm, tc / tm);
		free(a.src - 1);
		free(a.dst);
	}
}

/* ---- sections ---------------------------------------------------------- */

static const struct {
	const char *name;
	void (*run)(void);
} sections[] = {
	{ "checksum", bench_checksum },
};

int main(int argc, char **argv)
{
	size_t i;
	int k, ran = 0;

	/* bench_proto [section...]: all sections when none named */
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		int want = argc < 2;

		for (k = 1; k < argc; k++)
			want |= strcmp(argv[k], sections[i].name) == 0;
		if (want) {
			sections[i].run();
			ran++;
		}
	}
	if (!ran) {
		fprintf(stderr, "usage: %s [section...]; sections:", argv[0]);
		for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			fprintf(stderr, " %s", sections[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	return 0;
}
