/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control protocol between ufou and ufoud over a SOCK_STREAM Unix
 * socket: one request, one reply, then the daemon closes. Every frame
 * starts with a big-endian u32 length of the bytes that follow.
 *
 * request: be32 len | u8 version (1) | u8 flags (CTLP_F_*) | u8 stats level
 *          | u8 0 | be16 argc | argc NUL-terminated words
 *          (whole frame <= CTLP_MAX_REQ bytes, argc <= CTLP_MAX_WORDS)
 * reply:   be32 len | u8 version | u8 0 u8 0 u8 0 | be32 errno (0 or -errno)
 *          | text (command output on success, the message on error; no NUL)
 *
 * Encode and decode are pure functions on caller buffers; decode checks
 * every length against the bytes present and never reads past len.
 */
#ifndef UFOU_COMMON_CTLPROTO_H
#define UFOU_COMMON_CTLPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTLP_VERSION 1
#define CTLP_PREFIX 4
#define CTLP_REQ_HDR (CTLP_PREFIX + 6)
#define CTLP_REP_HDR (CTLP_PREFIX + 8)
#define CTLP_MAX_REQ 65536u
#define CTLP_MAX_WORDS 256
#define CTLP_MAX_REPLY (16u << 20)

enum {
	CTLP_F_JSON = 1 << 0,
	CTLP_F_PRETTY = 1 << 1,
	CTLP_F_PROM = 1 << 2,     /* counters in the Prometheus text format */
	CTLP_F_DETAILS = 1 << 3,  /* -d: text show adds what is no setting */
	CTLP_F__ALL = CTLP_F_JSON | CTLP_F_PRETTY | CTLP_F_PROM | CTLP_F_DETAILS,
};

struct ctlp_req {
	uint8_t flags;
	uint8_t stats;
	int argc;
	char *argv[CTLP_MAX_WORDS + 1];   /* point into the decoded buffer; NULL-ended */
};

/*
 * Frame length from the prefix: 0 when fewer than CTLP_PREFIX bytes are
 * present, the total frame size (prefix included), or -EMSGSIZE when it
 * would exceed max, -EBADMSG when shorter than min.
 */
ssize_t ctlp_frame_len(const uint8_t *buf, size_t have, size_t min, size_t max);

/* Returns the frame size written, -EMSGSIZE when it does not fit in cap or
 * CTLP_MAX_REQ, -E2BIG for too many words, -EINVAL for bad arguments. */
ssize_t ctlp_req_encode(uint8_t *buf, size_t cap, uint8_t flags, uint8_t stats, int argc,
			char *const *argv);
/* Decodes one whole frame of exactly len bytes. buf must be writable only in
 * the sense that argv points into it (no byte is changed). 0 or -EBADMSG
 * (malformed), -EPROTONOSUPPORT (version), -EMSGSIZE (too big). */
int ctlp_req_decode(const uint8_t *buf, size_t len, struct ctlp_req *r);

ssize_t ctlp_rep_encode(uint8_t *buf, size_t cap, int err, const char *text, size_t textlen);
int ctlp_rep_decode(const uint8_t *buf, size_t len, int *err, const char **text,
		    size_t *textlen);

#endif
