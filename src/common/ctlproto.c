// SPDX-License-Identifier: GPL-2.0
/* Control protocol framing: see ctlproto.h. Pure: no I/O, no allocation. */
#include <errno.h>
#include <string.h>

#include "common/ctlproto.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

ssize_t ctlp_frame_len(const uint8_t *buf, size_t have, size_t min, size_t max)
{
	uint64_t total;

	if (have < CTLP_PREFIX)
		return 0;
	total = (uint64_t)get32(buf) + CTLP_PREFIX;
	if (total > max)
		return -EMSGSIZE;
	if (total < min)
		return -EBADMSG;
	return (ssize_t)total;
}

ssize_t ctlp_req_encode(uint8_t *buf, size_t cap, uint8_t flags, uint8_t stats, int argc,
			char *const *argv)
{
	size_t total = CTLP_REQ_HDR, off;

	if (argc < 0 || (argc > 0 && !argv) || (flags & ~CTLP_F__ALL))
		return -EINVAL;
	if (argc > CTLP_MAX_WORDS)
		return -E2BIG;
	for (int i = 0; i < argc; i++) {
		if (!argv[i])
			return -EINVAL;
		total += strlen(argv[i]) + 1;
		if (total > CTLP_MAX_REQ)
			return -EMSGSIZE;
	}
	if (total > cap)
		return -EMSGSIZE;
	put32(buf, (uint32_t)(total - CTLP_PREFIX));
	buf[4] = CTLP_VERSION;
	buf[5] = flags;
	buf[6] = stats;
	buf[7] = 0;
	buf[8] = (uint8_t)(argc >> 8);
	buf[9] = (uint8_t)argc;
	off = CTLP_REQ_HDR;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(buf + off, argv[i], n);
		off += n;
	}
	return (ssize_t)total;
}

int ctlp_req_decode(const uint8_t *buf, size_t len, struct ctlp_req *r)
{
	size_t off = CTLP_REQ_HDR;
	int argc;

	memset(r, 0, sizeof(*r));
	if (len > CTLP_MAX_REQ)
		return -EMSGSIZE;
	if (len < CTLP_REQ_HDR || get32(buf) != len - CTLP_PREFIX)
		return -EBADMSG;
	if (buf[4] != CTLP_VERSION)
		return -EPROTONOSUPPORT;
	if ((buf[5] & ~CTLP_F__ALL) || buf[7] != 0)
		return -EBADMSG;
	argc = buf[8] << 8 | buf[9];
	if (argc > CTLP_MAX_WORDS)
		return -EBADMSG;
	for (int i = 0; i < argc; i++) {
		const uint8_t *nul;

		if (off >= len)
			return -EBADMSG;
		nul = memchr(buf + off, 0, len - off);
		if (!nul)
			return -EBADMSG;
		r->argv[i] = (char *)(uintptr_t)(buf + off);
		off = (size_t)(nul - buf) + 1;
	}
	if (off != len)
		return -EBADMSG;   /* trailing bytes */
	r->flags = buf[5];
	r->stats = buf[6];
	r->argc = argc;
	r->argv[argc] = NULL;
	return 0;
}

ssize_t ctlp_rep_encode(uint8_t *buf, size_t cap, int err, const char *text, size_t textlen)
{
	size_t total = CTLP_REP_HDR + textlen;

	if (err > 0 || err < -4095 || (textlen && !text))
		return -EINVAL;
	if (total > CTLP_MAX_REPLY || total > cap)
		return -EMSGSIZE;
	put32(buf, (uint32_t)(total - CTLP_PREFIX));
	buf[4] = CTLP_VERSION;
	buf[5] = buf[6] = buf[7] = 0;
	put32(buf + 8, (uint32_t)err);
	if (textlen)
		memcpy(buf + CTLP_REP_HDR, text, textlen);
	return (ssize_t)total;
}

int ctlp_rep_decode(const uint8_t *buf, size_t len, int *err, const char **text,
		    size_t *textlen)
{
	int32_t e;

	if (len > CTLP_MAX_REPLY)
		return -EMSGSIZE;
	if (len < CTLP_REP_HDR || get32(buf) != len - CTLP_PREFIX)
		return -EBADMSG;
	if (buf[4] != CTLP_VERSION)
		return -EPROTONOSUPPORT;
	if (buf[5] || buf[6] || buf[7])
		return -EBADMSG;
	e = (int32_t)get32(buf + 8);
	if (e > 0 || e < -4095)
		return -EBADMSG;
	*err = e;
	*text = (const char *)(buf + CTLP_REP_HDR);
	*textlen = len - CTLP_REP_HDR;
	return 0;
}
