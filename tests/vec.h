/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared unit test helpers: whole files, the captured Linux packets in
 * tests/vectors (read with the library's own pcap reader, so every test
 * walks a capture the same bounds-checked way), and hex text.
 */
#ifndef UFOU_TESTS_VEC_H
#define UFOU_TESTS_VEC_H

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pcap.h"

/* tests/vectors, or $UFOU_VECTORS (e.g. to check that an edited .txt makes a test fail). */
static inline const char *vec_dir(void)
{
	const char *d = getenv("UFOU_VECTORS");

	return d ? d : "tests/vectors";
}

/*
 * The whole file, NUL-terminated so text can be parsed in place; *len (if
 * len) excludes the NUL. Reads to EOF rather than trusting a size, so it
 * works on any stream. NULL (and *len 0) if the file cannot be read.
 * Caller frees.
 */
static inline void *vec_load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (len)
		*len = 0;
	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Pairs of hex digits into bytes, up to the first non-pair or cap bytes. */
static inline size_t vec_unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (n < cap && isxdigit((unsigned char)h[0]) && isxdigit((unsigned char)h[1])) {
		char b[3] = { h[0], h[1], 0 };

		out[n++] = (uint8_t)strtoul(b, NULL, 16);
		h += 2;
	}
	return n;
}

/* n bytes as lower-case hex into out (2 * n + 1 chars). */
static inline void vec_tohex(char *out, const uint8_t *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		snprintf(out + 2 * k, 3, "%02x", p[k]);
	out[2 * n] = '\0';
}

/* ---- captures */

struct vec_pcap {
	uint8_t *file;
	size_t len;
	struct uf_pcap pc;     /* pc.linktype for callers that insist on one */
};

struct vec_rec {
	struct uf_pcap_rec r;  /* the record as the reader returned it */
	const uint8_t *ip;     /* its IP packet, NULL when it carries none */
	size_t ip_len;         /* caplen minus the link-layer header */
};

/* Opens a capture file: 0, -ENOENT (cannot read) or -EINVAL (not pcap). */
static inline int vec_pcap_open(struct vec_pcap *v, const char *path)
{
	memset(v, 0, sizeof(*v));
	v->file = vec_load(path, &v->len);
	if (!v->file)
		return -ENOENT;
	return uf_pcap_open(&v->pc, v->file, v->len);
}

/* tests/vectors/NAME.pcap (see vec_dir). */
static inline int vec_pcap_open_name(struct vec_pcap *v, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.pcap", vec_dir(), name);
	return vec_pcap_open(v, path);
}

/*
 * Next record: 1 = rec filled (rec->ip NULL when the link layer holds no
 * IPv4/IPv6), 0 = clean end of file, -EINVAL = truncated or corrupt.
 */
static inline int vec_pcap_next(struct vec_pcap *v, struct vec_rec *rec)
{
	size_t l3;
	int rc = uf_pcap_next(&v->pc, &rec->r);

	rec->ip = NULL;
	rec->ip_len = 0;
	if (rc != 1)
		return rc;
	if (uf_pcap_l3_offset(v->pc.linktype, rec->r.data, rec->r.caplen, &l3) == 0) {
		rec->ip = rec->r.data + l3;
		rec->ip_len = rec->r.caplen - l3;
	}
	return 1;
}

static inline void vec_pcap_close(struct vec_pcap *v)
{
	free(v->file);
	v->file = NULL;
}

#endif
