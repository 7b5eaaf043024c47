// SPDX-License-Identifier: GPL-2.0
/*
 * Bad datagrams at a ufoud's IPv4 ports as fast as one core sends them
 * (sendmmsg batches), for tests/netns/test_flood.sh:
 *
 *   flood CLASS COUNT SRC DST GUE_PORT FOU_PORT KEY SEED
 *
 * GUE_PORT is a `gue` port with a gre link of key KEY from SRC behind it,
 * FOU_PORT an `ipproto 4` port with an ipip link. CLASS:
 *
 *   random  random bytes of random length (0..1472) at both ports; drawn
 *           again when lib/proto's decoder would deliver them, so every
 *           one is a drop (the redraws are printed);
 *   remote  well-formed GRE-in-GUE (key KEY) and IPIP-in-FOU packets: the
 *           caller sends them from an address no link has (no-tunnel);
 *   key     well-formed GRE-in-GUE with a key other than KEY (no-tunnel);
 *   gue     GUE headers Linux refuses: version 2/3, an unknown flag, hlen
 *           past the end, the control bit, protocol 0, version 1 carrying
 *           no IP, a remote checksum offset past the payload;
 *   csum    a wrong, nonzero outer UDP checksum (raw socket: the kernel
 *           drops those, counting UDP InCsumErrors), a wrong GRE checksum
 *           (gre-bad-csum), a right one the link does not expect (counted
 *           by the link: gre-csum-flag-mismatch);
 *   trunc   GUE shorter than 4 bytes, GRE cut short, an inner IPv4 header
 *           cut short, an inner IPv4 total length past the datagram.
 *
 * Prints one "REASON N" line per kind sent (the drop reason ufoud should
 * count; "kernel-udp-csum" for what the kernel drops first), then
 * "total N". The PRNG is seeded: the same arguments send the same bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/csum.h"
#include "proto/decap.h"

#define BATCH 64
#define MAXLEN 1472
#define MAXKINDS 8

static uint64_t rng;

/* xorshift64*: fast and seeded. */
static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

struct kind {
	const char *reason;
	uint64_t sent;
};

struct flood {
	const char *cls;
	struct in_addr src, dst;
	uint16_t gue_port, fou_port;
	uint32_t key;
	int fd, raw;
	struct kind kinds[MAXKINDS];
	int nkinds;
	uint64_t redrawn;
	/* one batch */
	uint8_t buf[BATCH][MAXLEN + 8];
	struct iovec iov[BATCH];
	struct sockaddr_in to[BATCH];
	struct mmsghdr msg[BATCH];
	int n;
	bool batch_raw;
};

static int kind_idx(struct flood *f, const char *reason)
{
	for (int i = 0; i < f->nkinds; i++)
		if (!strcmp(f->kinds[i].reason, reason))
			return i;
	f->kinds[f->nkinds].reason = reason;
	return f->nkinds++;
}

/* A valid inner IPv4/UDP packet (198.19.99.1 -> .2, 64 bytes) at p; returns its length. */
static size_t inner4(uint8_t *p)
{
	static const uint8_t hdr[20] = { 0x45, 0, 0, 64, 0, 1, 0x40, 0, 64, 17, 0, 0,
					 198, 19, 99, 1, 198, 19, 99, 2 };
	uint16_t c;

	memcpy(p, hdr, 20);
	c = uf_csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	/* UDP 9/9, length 44, checksum 0 (none), then a payload. */
	memset(p + 20, 0, 44);
	p[21] = 9;
	p[23] = 9;
	p[25] = 44;
	memcpy(p + 28, "ufou flood: well-formed inner", 29);
	return 64;
}

/* GUE (proto 47) + GRE with a key [and checksum] + inner; returns the length. */
static size_t gue_gre(uint8_t *p, uint32_t key, bool has_key, bool csum)
{
	size_t o = 4, g;

	p[0] = 0;
	p[1] = 47;
	p[2] = p[3] = 0;
	g = o;
	p[o] = (uint8_t)((has_key ? 0x20 : 0) | (csum ? 0x80 : 0));
	p[o + 1] = 0;
	p[o + 2] = 0x08;
	p[o + 3] = 0x00;
	o += 4;
	if (csum) {
		memset(p + o, 0, 4);
		o += 4;
	}
	if (has_key) {
		p[o] = (uint8_t)(key >> 24);
		p[o + 1] = (uint8_t)(key >> 16);
		p[o + 2] = (uint8_t)(key >> 8);
		p[o + 3] = (uint8_t)key;
		o += 4;
	}
	o += inner4(p + o);
	if (csum) {
		uint16_t c = uf_csum(p + g, o - g);

		p[g + 4] = (uint8_t)(c >> 8);
		p[g + 5] = (uint8_t)c;
	}
	return o;
}

static int flush(struct flood *f)
{
	int off = 0, fd = f->batch_raw ? f->raw : f->fd;

	while (off < f->n) {
		int r = sendmmsg(fd, f->msg + off, (unsigned int)(f->n - off), 0);

		if (r < 0) {
			if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
				continue;
			fprintf(stderr, "flood: sendmmsg: %s\n", strerror(errno));
			return -1;
		}
		off += r;
	}
	f->n = 0;
	return 0;
}

/* The next message slot (flushing a full batch, or one of the other socket). */
static uint8_t *slot(struct flood *f, bool raw)
{
	if (f->n == BATCH || (f->n && raw != f->batch_raw))
		if (flush(f) < 0)
			exit(1);
	f->batch_raw = raw;
	return f->buf[f->n];
}

static void queue(struct flood *f, size_t len, uint16_t port, int kind)
{
	int i = f->n++;

	f->iov[i].iov_base = f->buf[i];
	f->iov[i].iov_len = len;
	f->to[i] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = f->dst,
					 .sin_port = htons(f->batch_raw ? 0 : port) };
	f->msg[i].msg_hdr = (struct msghdr){ .msg_name = &f->to[i], .msg_namelen = sizeof(f->to[i]),
					     .msg_iov = &f->iov[i], .msg_iovlen = 1 };
	f->kinds[kind].sent++;
}

static void one_random(struct flood *f, uint64_t i)
{
	struct uf_port_kind gue = { .port = f->gue_port, .family = 4, .gue = true };
	struct uf_port_kind fou = { .port = f->fou_port, .family = 4, .ipproto = 4 };
	const struct uf_port_kind *k = (i & 1) ? &fou : &gue;
	uint8_t *p = slot(f, false), copy[MAXLEN];
	struct uf_pkt pkt;
	size_t len;

	for (;;) {
		len = rnd() % (MAXLEN + 1);
		for (size_t j = 0; j < len; j += 4) {
			uint32_t r = rnd();

			memcpy(p + j, &r, 4);
		}
		memcpy(copy, p, len);
		pkt.has_outer = pkt.has_udp = false;
		if (uf_decap_payload(copy, len, k, &pkt) != UF_DROP_NONE)
			break;
		f->redrawn++;
	}
	queue(f, len, k->port, kind_idx(f, "random"));
}

static void one_remote(struct flood *f, uint64_t i)
{
	uint8_t *p = slot(f, false);

	if (i & 1)
		queue(f, inner4(p), f->fou_port, kind_idx(f, "no-tunnel"));
	else
		queue(f, gue_gre(p, f->key, true, false), f->gue_port, kind_idx(f, "no-tunnel"));
}

static void one_key(struct flood *f, uint64_t i)
{
	uint8_t *p = slot(f, false);
	uint32_t k = rnd();

	if (k == f->key)
		k++;
	/* A keyed link takes no unkeyed packet either. */
	queue(f, gue_gre(p, k, i % 8 != 7, false), f->gue_port, kind_idx(f, "no-tunnel"));
}

static void one_gue(struct flood *f, uint64_t i)
{
	uint8_t *p = slot(f, false);
	size_t len = 4 + inner4(p + 4);
	const char *r;

	p[1] = 4;
	p[2] = p[3] = 0;
	switch (i % 7) {
	case 0:
		p[0] = (uint8_t)(0x80 | (rnd() & 0x40));   /* version 2 or 3 */
		r = "gue-bad-version";
		break;
	case 1:
		p[0] = 0;
		p[2] = 0x80;                               /* an unknown flag */
		r = "gue-bad-flags";
		break;
	case 2:
		p[0] = 0x1f;                               /* 124 header bytes */
		len = 4 + rnd() % 100;
		r = "gue-bad-hlen";
		break;
	case 3:
		p[0] = 0x20;                               /* control message */
		r = "gue-control";
		break;
	case 4:
		p[0] = 0;
		p[1] = 0;                                  /* protocol 0 */
		r = "gue-bad-proto";
		break;
	case 5:
		p[0] = 0x50 | (rnd() & 0x20);              /* version 1, IP version 5 or 7 */
		r = "gue-v1-bad-ip";
		break;
	default:
		/* Remote checksum offload pointing past the payload. */
		p[0] = 2;
		p[2] = 0x00;
		p[3] = 0x01;                               /* PRIV flag */
		memset(p + 4, 0, 8);
		p[4] = 0x80;                               /* REMCSUM private flag */
		p[8] = 0x10;                               /* start 4096 */
		p[10] = 0x10;                              /* offset 4096 */
		len = 12 + inner4(p + 12);
		r = "gue-bad-remcsum";
		break;
	}
	queue(f, len, f->gue_port, kind_idx(f, r));
}

static void one_csum(struct flood *f, uint64_t i)
{
	uint8_t *p;
	size_t len;

	if (i % 3 == 1) {
		p = slot(f, false);
		len = gue_gre(p, f->key, true, true);
		p[8] ^= 0x5a;                              /* the GRE checksum */
		queue(f, len, f->gue_port, kind_idx(f, "gre-bad-csum"));
		return;
	}
	if (i % 3 == 2) {
		/* Right, and right key, but the link expects no GRE checksum. */
		p = slot(f, false);
		queue(f, gue_gre(p, f->key, true, true), f->gue_port,
		      kind_idx(f, "gre-csum-flag-mismatch"));
		return;
	}
	/* Raw: our own UDP header, with a checksum that is wrong and not 0. */
	p = slot(f, true);
	len = 8 + gue_gre(p + 8, f->key, true, false);
	p[0] = 0x9c;                                       /* source port 40000 */
	p[1] = 0x40;
	p[2] = (uint8_t)(f->gue_port >> 8);
	p[3] = (uint8_t)f->gue_port;
	p[4] = (uint8_t)(len >> 8);
	p[5] = (uint8_t)len;
	p[6] = p[7] = 0;
	{
		uint32_t s = uf_csum_pseudo4((const uint8_t *)&f->src, (const uint8_t *)&f->dst,
					     17, (uint32_t)len);
		uint16_t c = uf_csum_finish(uf_csum_partial(p, len, s)), bad;

		if (c == 0)
			c = 0xffff;
		bad = (uint16_t)(c ^ (1 + (rnd() & 0xfffe)));
		if (bad == 0 || bad == 0xffff)
			bad = (uint16_t)(c ^ 1);
		p[6] = (uint8_t)(bad >> 8);
		p[7] = (uint8_t)bad;
	}
	queue(f, len, f->gue_port, kind_idx(f, "kernel-udp-csum"));
}

static void one_trunc(struct flood *f, uint64_t i)
{
	uint8_t *p = slot(f, false);
	size_t len;

	switch (i % 4) {
	case 0:
		memset(p, 0, 4);
		queue(f, rnd() % 4, f->gue_port, kind_idx(f, "gue-truncated"));
		break;
	case 1:
		len = gue_gre(p, f->key, true, false);
		/* the GRE header, or its key, cut */
		queue(f, 4 + 1 + rnd() % 7, f->gue_port, kind_idx(f, "gre-truncated"));
		(void)len;
		break;
	case 2:
		inner4(p);
		queue(f, 1 + rnd() % 19, f->fou_port, kind_idx(f, "inner-truncated"));
		break;
	default:
		inner4(p);
		len = 20 + rnd() % 44;                     /* total length 64 says more */
		queue(f, len, f->fou_port, kind_idx(f, "inner-bad-length"));
		break;
	}
}

static int sock_open(struct flood *f, int type, int proto)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = f->src };
	int fd = socket(AF_INET, type, proto);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "flood: socket/bind %s: %s\n", inet_ntoa(f->src), strerror(errno));
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static struct flood f;
	void (*one)(struct flood *, uint64_t);
	uint64_t count, total = 0;

	if (argc != 9 || inet_pton(AF_INET, argv[3], &f.src) != 1 ||
	    inet_pton(AF_INET, argv[4], &f.dst) != 1) {
		fprintf(stderr, "usage: flood random|remote|key|gue|csum|trunc COUNT SRC DST "
				"GUE_PORT FOU_PORT KEY SEED\n");
		return 2;
	}
	f.cls = argv[1];
	count = strtoull(argv[2], NULL, 0);
	f.gue_port = (uint16_t)atoi(argv[5]);
	f.fou_port = (uint16_t)atoi(argv[6]);
	f.key = (uint32_t)strtoul(argv[7], NULL, 0);
	rng = strtoull(argv[8], NULL, 0) * 0x9e3779b97f4a7c15ull + 1;
	if (!strcmp(f.cls, "random"))
		one = one_random;
	else if (!strcmp(f.cls, "remote"))
		one = one_remote;
	else if (!strcmp(f.cls, "key"))
		one = one_key;
	else if (!strcmp(f.cls, "gue"))
		one = one_gue;
	else if (!strcmp(f.cls, "csum"))
		one = one_csum;
	else if (!strcmp(f.cls, "trunc"))
		one = one_trunc;
	else {
		fprintf(stderr, "flood: unknown class %s\n", f.cls);
		return 2;
	}
	f.fd = sock_open(&f, SOCK_DGRAM, 0);
	if (f.fd < 0)
		return 1;
	/* Linux's fou sends no UDP checksum: nor do we, so that the fast
	 * path looks at these as it looks at a tunnel's packets (it leaves
	 * a checksum it cannot vouch for to the socket). */
	setsockopt(f.fd, SOL_SOCKET, SO_NO_CHECK, &(int){ 1 }, sizeof(int));
	f.raw = -1;
	if (one == one_csum) {
		f.raw = sock_open(&f, SOCK_RAW, IPPROTO_UDP);
		if (f.raw < 0)
			return 1;
		/* It would also receive every UDP datagram here: read nothing. */
		shutdown(f.raw, SHUT_RD);
		setsockopt(f.raw, SOL_SOCKET, SO_RCVBUF, &(int){ 1 }, sizeof(int));
	}
	for (uint64_t i = 0; i < count; i++)
		one(&f, i);
	if (flush(&f) < 0)
		return 1;
	for (int i = 0; i < f.nkinds; i++) {
		printf("%s %llu\n", f.kinds[i].reason, (unsigned long long)f.kinds[i].sent);
		total += f.kinds[i].sent;
	}
	if (one == one_random)
		printf("redrawn %llu\n", (unsigned long long)f.redrawn);
	printf("total %llu\n", (unsigned long long)total);
	return 0;
}
