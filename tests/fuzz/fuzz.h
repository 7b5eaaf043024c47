/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared bits of the libFuzzer targets. Every target copies the input into
 * a malloc'd buffer of exactly the input's size, so an overread by even one
 * byte lands in ASan's redzone (libFuzzer's own buffer may be larger).
 */
#ifndef UFOU_FUZZ_H
#define UFOU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

/* A value the compiler must compute, so decoded fields are really read. */
static volatile uint64_t fuzz_sink;

static inline void fuzz_use(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0;

	for (size_t i = 0; i < n; i++)
		h = h * 31 + b[i];
	fuzz_sink += h;
}

#endif
