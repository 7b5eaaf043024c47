// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.1 captures (tests/vectors/NAME.pcap) against their decoded
 * descriptions (NAME.txt). Every packet is decoded with uf_decode_ip and
 * the default `ufou decode` port map; every field the .txt states is
 * parsed from the .txt and compared, nothing per file is written here.
 *
 *   tx scenarios (NAME without "rx-"): an "expect:" line holds for every
 *   tunnel packet; each "  IPv4 ... | UDP ... | ..." line describes one
 *   packet, matched to a record by outer addresses, ports and IPv4 ID.
 *   rx scenarios: "rx test: NAME (k=v ...)" holds for every request (the
 *   capture may hold a retransmitted request the .txt does not list);
 *   "request"/"reply" lines describe packets like the tx lines.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>

#include "cli/decode.h"
#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/pcap.h"
#include "t.h"
#include "vec.h"

#define MAX_RECS 64
#define MAX_LINES 64

struct rec {
	uint8_t *orig;          /* L3 bytes as captured */
	uint8_t *buf;           /* L3 bytes after decode (remcsum applied) */
	size_t len;
	struct uf_pkt pkt;
	enum uf_drop drop;
	int line;               /* index of the .txt line describing it, -1 */
	bool request;           /* rx: host -> guest */
};

struct vec {
	const char *name;
	bool rx;
	struct rec recs[MAX_RECS];
	size_t nrecs;
	char *txt;              /* whole .txt, modified by line splitting */
	char *lines[512];
	size_t nlines;
	const char *pkt_lines[MAX_LINES];   /* the per-packet descriptions */
	bool pkt_line_request[MAX_LINES];
	size_t npkt_lines;
	const char *expect;     /* "k=v k=v ..." of the expect:/rx test: line */
};

/* ---- failure reporting with context */

static const char *cur_vec;

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	t_cur_failed = 1;
	printf("# %s: ", cur_vec);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void expect_num(const char *what, long long got, long long want)
{
	if (got != want)
		fail("%s: got %lld (0x%llx), .txt says %lld (0x%llx)", what, got, got, want, want);
}

static void expect_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want))
		fail("%s: got \"%s\", .txt says \"%s\"", what, got, want);
}

/* ---- small text helpers */

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * Value of "key=" in s where key starts a word (after start, space or '(');
 * the value runs to a space, ')', '|' or the end. Returns false if absent.
 */
static bool kv(const char *s, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (const char *p = s; (p = strstr(p, key)); p++) {
		size_t n = 0;

		if ((p != s && p[-1] != ' ' && p[-1] != '(') || p[kl] != '=')
			continue;
		p += kl + 1;
		while (p[n] && p[n] != ' ' && p[n] != ')' && p[n] != '|')
			n++;
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* Numeric value of key (base prefix 0x honoured); -1 when absent. */
static long long kvnum(const char *s, const char *key)
{
	char v[64];

	if (!kv(s, key, v, sizeof(v)))
		return -1;
	return strtoll(v, NULL, 0);
}

/* Parses "A>B" at s into two address strings. */
static bool split_arrow(const char *s, char *a, char *b, size_t len)
{
	const char *gt = strchr(s, '>');
	const char *end;

	if (!gt || (size_t)(gt - s) >= len)
		return false;
	memcpy(a, s, (size_t)(gt - s));
	a[gt - s] = '\0';
	end = gt + 1;
	while (*end && *end != ' ')
		end++;
	if ((size_t)(end - gt - 1) >= len)
		return false;
	memcpy(b, gt + 1, (size_t)(end - gt - 1));
	b[end - gt - 1] = '\0';
	return true;
}

static bool addr_eq(int family, const uint8_t *got, const char *text)
{
	uint8_t a[16];

	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, text, a) != 1)
		return false;
	return !memcmp(got, a, family == 6 ? 16 : 4);
}

static void expect_addr(const char *what, int family, const uint8_t *got, const char *text)
{
	char s[INET6_ADDRSTRLEN] = "?";

	if (!addr_eq(family, got, text)) {
		inet_ntop(family == 6 ? AF_INET6 : AF_INET, got, s, sizeof(s));
		fail("%s: got %s, .txt says %s", what, s, text);
	}
}

static void expect_hex(const char *what, const uint8_t *got, size_t got_len, const char *hex)
{
	uint8_t want[128];
	size_t n = vec_unhex(hex, want, sizeof(want));

	if (n == 0 || n > got_len || memcmp(got, want, n))
		fail("%s: bytes differ from %s", what, hex);
}

/* ---- loading */

static bool load_pcap(struct vec *v, const char *path)
{
	struct vec_pcap f;
	struct vec_rec r;
	int n;

	if (vec_pcap_open(&f, path)) {
		fail("cannot read %s", path);
		vec_pcap_close(&f);
		return false;
	}
	while ((n = vec_pcap_next(&f, &r)) == 1) {
		struct rec *rc;

		if (v->nrecs == MAX_RECS || !r.ip) {
			fail("record %zu: too many or no IP", v->nrecs + 1);
			continue;
		}
		rc = &v->recs[v->nrecs++];
		rc->len = r.ip_len;
		rc->orig = malloc(rc->len + 1);
		rc->buf = malloc(rc->len + 1);
		memcpy(rc->orig, r.ip, rc->len);
		memcpy(rc->buf, r.ip, rc->len);
		rc->line = -1;
		memset(&rc->pkt, 0, sizeof(rc->pkt));
		rc->drop = uf_decode_ip(rc->buf, rc->len, decode_default_ports,
					decode_default_nports, &rc->pkt);
		if (rc->drop != rc->pkt.drop)
			fail("record %zu: return %d != pkt.drop %d", v->nrecs, rc->drop,
			     rc->pkt.drop);
	}
	if (n < 0)
		fail("%s: truncated record", path);
	vec_pcap_close(&f);
	return true;
}

static bool load_txt(struct vec *v, const char *path)
{
	size_t len;
	char *save = NULL, *line;

	v->txt = vec_load(path, &len);
	if (!v->txt) {
		fail("cannot read %s", path);
		return false;
	}
	for (line = strtok_r(v->txt, "\n", &save); line && v->nlines < 512;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *desc = NULL;
		bool request = false;

		v->lines[v->nlines++] = line;
		if (starts(line, "expect: ")) {
			v->expect = line + 8;
		} else if (starts(line, "rx test: ")) {
			v->expect = strchr(line, '(');
		} else if (starts(line, "  IPv4 ") || starts(line, "  IPv6 ")) {
			desc = line + 2;
		} else if (starts(line, "request (host -> guest): ")) {
			desc = line + strlen("request (host -> guest): ");
			request = true;
		} else if (starts(line, "reply   (guest -> host): ")) {
			desc = line + strlen("reply   (guest -> host): ");
		}
		if (desc && v->npkt_lines < MAX_LINES) {
			v->pkt_line_request[v->npkt_lines] = request;
			v->pkt_lines[v->npkt_lines++] = desc;
		}
	}
	if (!v->expect)
		fail("no expect:/rx test: line");
	return v->expect != NULL;
}

/* ---- one packet description line against one decoded record */

/* Splits "a | b | c" into segments (copies into buf). */
static size_t segments(const char *line, char *buf, size_t buflen, char **seg, size_t max)
{
	size_t n = 0;
	char *p;

	snprintf(buf, buflen, "%s", line);
	for (p = buf; p && n < max;) {
		char *bar = strstr(p, " | ");

		seg[n++] = p;
		if (bar) {
			*bar = '\0';
			p = bar + 3;
		} else {
			p = NULL;
		}
	}
	return n;
}

/* Does the line's outer IP + UDP describe this record? (for matching) */
static bool line_matches(const char *line, const struct rec *r)
{
	char buf[1024], *seg[12], a[64], b[64];
	const struct uf_pkt *p = &r->pkt;
	size_t n = segments(line, buf, sizeof(buf), seg, 12);
	int family = starts(seg[0], "IPv6") ? 6 : 4;

	if (n < 2 || !p->has_outer || !p->has_udp || p->outer.family != family)
		return false;
	if (!split_arrow(seg[0] + 5, a, b, sizeof(a)) || !addr_eq(family, p->outer.src, a) ||
	    !addr_eq(family, p->outer.dst, b))
		return false;
	if (family == 4 && kvnum(seg[0], "id") != p->outer.id)
		return false;
	if (!split_arrow(seg[1] + 4, a, b, sizeof(a)))
		return false;
	return strtol(a, NULL, 10) == p->udp.sport && strtol(b, NULL, 10) == p->udp.dport;
}

/* Encap limit from a "dstopt[HEX]" text: value of option type 4, len 1. */
static int dstopt_encap_limit(const char *hex)
{
	uint8_t b[64];
	size_t n = vec_unhex(hex, b, sizeof(b));

	for (size_t i = 2; i + 2 < n;) {
		if (b[i] == 0) {             /* Pad1 */
			i++;
			continue;
		}
		if (b[i] == 4 && b[i + 1] == 1)
			return b[i + 2];
		i += 2 + b[i + 1];
	}
	return -1;
}

static void check_outer(const char *s, const struct rec *r)
{
	const struct uf_ip *ip = &r->pkt.outer;
	char a[64], b[64], ext[128];
	int family = starts(s, "IPv6") ? 6 : 4;

	expect_num("outer family", ip->family, family);
	split_arrow(s + 5, a, b, sizeof(a));
	expect_addr("outer src", family, ip->src, a);
	expect_addr("outer dst", family, ip->dst, b);
	if (family == 4) {
		expect_num("outer ttl", ip->ttl, kvnum(s, "ttl"));
		expect_num("outer tos", ip->tos, kvnum(s, "tos"));
		expect_num("outer id", ip->id, kvnum(s, "id"));
		expect_num("outer df", ip->df, kvnum(s, "df"));
		return;
	}
	expect_num("outer hlim", ip->ttl, kvnum(s, "hlim"));
	expect_num("outer tclass", ip->tos, kvnum(s, "tclass"));
	expect_num("outer flowlabel", ip->flowlabel, kvnum(s, "flowlabel"));
	if (kv(s, "ext", ext, sizeof(ext)) && starts(ext, "dstopt[")) {
		expect_num("outer encap limit", ip->encap_limit, dstopt_encap_limit(ext + 7));
		expect_hex("outer dstopt", r->orig + UF_IP6_HLEN, r->len - UF_IP6_HLEN, ext + 7);
	} else {
		expect_num("outer encap limit", ip->encap_limit, -1);
	}
}

static void check_udp(const char *s, const struct rec *r)
{
	const struct uf_udp *u = &r->pkt.udp;
	char a[64], b[64], cs[64];

	if (!r->pkt.has_udp) {
		fail("no UDP layer decoded");
		return;
	}
	split_arrow(s + 4, a, b, sizeof(a));
	expect_num("udp sport", u->sport, strtol(a, NULL, 10));
	expect_num("udp dport", u->dport, strtol(b, NULL, 10));
	expect_num("udp len", u->len, kvnum(s, "len"));
	if (!kv(s, "csum", cs, sizeof(cs)) || !strchr(cs, '(')) {   /* 0x0000(zero */
		fail("bad UDP description %s", s);
		return;
	}
	expect_num("udp csum", u->csum, strtol(cs, NULL, 16));
	expect_str("udp csum state", uf_csum_state_name(u->csum_state), strchr(cs, '(') + 1);
}

static void check_gue(const char *s, const struct rec *r)
{
	const struct uf_gue *g = &r->pkt.gue;
	char hdr[64];

	expect_num("encap", r->pkt.encap, UF_ENCAP_GUE);
	if (!r->pkt.has_gue) {
		fail("no GUE layer decoded");
		return;
	}
	if (starts(s, "GUEv1")) {
		expect_num("gue version", g->version, 1);
		return;
	}
	kv(s, "hdr", hdr, sizeof(hdr));
	expect_num("gue hdr_len", g->hdr_len, (long long)strlen(hdr) / 2);
	expect_hex("gue hdr", r->orig + r->pkt.udp_payload_off, r->len - r->pkt.udp_payload_off,
		   hdr);
	expect_num("gue version", g->version, kvnum(s, "ver"));
	expect_num("gue control", g->control, kvnum(s, "C"));
	expect_num("gue hlen", g->hlen, kvnum(s, "hlen"));
	expect_num("gue proto", g->proto, kvnum(s, "proto"));
	expect_num("gue flags", g->flags, kvnum(s, "flags"));
	if (kvnum(s, "priv") >= 0)
		expect_num("gue priv", g->priv, kvnum(s, "priv"));
	expect_num("gue remcsum", g->remcsum, strstr(s, "remcsum ") != NULL);
	if (strstr(s, "remcsum ")) {
		expect_num("gue remcsum start", g->remcsum_start, kvnum(s, "start"));
		expect_num("gue remcsum offset", g->remcsum_offset, kvnum(s, "offset"));
	}
}

static void check_gre(const char *s, const struct rec *r)
{
	const struct uf_gre *g = &r->pkt.gre;
	size_t off = r->pkt.udp_payload_off + (r->pkt.has_gue ? r->pkt.gue.hdr_len : 0);
	char hdr[64];

	if (!r->pkt.has_gre) {
		fail("no GRE layer decoded");
		return;
	}
	kv(s, "hdr", hdr, sizeof(hdr));
	expect_num("gre hdr_len", g->hdr_len, (long long)strlen(hdr) / 2);
	expect_hex("gre hdr", r->orig + off, r->len - off, hdr);
	expect_num("gre flags", g->flags, kvnum(s, "flags"));
	expect_num("gre proto", g->proto, kvnum(s, "proto"));
}

static void check_eth(const char *s, const struct rec *r)
{
	char a[64], b[64], m[32];
	const uint8_t *src = r->pkt.eth_src, *dst = r->pkt.eth_dst;

	if (!r->pkt.has_eth) {
		fail("no Ethernet layer decoded");
		return;
	}
	split_arrow(s + 4, a, b, sizeof(a));
	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", src[0], src[1], src[2], src[3],
		 src[4], src[5]);
	expect_str("eth src", m, a);
	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", dst[0], dst[1], dst[2], dst[3],
		 dst[4], dst[5]);
	expect_str("eth dst", m, b);
	expect_num("eth type", r->pkt.eth_type, kvnum(s, "type"));
}

/* Offset of the inner IP header in the record's L3 buffer. */
static size_t inner_off(const struct rec *r)
{
	return r->pkt.tun_off + (r->pkt.has_eth ? UF_ETH_HLEN : 0);
}

static void check_inner_l4(const char *rest, const struct rec *r)
{
	const struct uf_l4info *l4 = &r->pkt.l4;
	size_t off = inner_off(r) + r->pkt.inner.hdr_len;
	const uint8_t *o = r->orig + off;
	size_t have = off < r->len ? r->len - off : 0;
	char a[64], b[64];

	if (starts(rest, "proto ")) {   /* first next header, before any walk */
		size_t nh = inner_off(r) + (r->pkt.inner.family == 6 ? 6 : 9);

		expect_num("inner first next header", nh < r->len ? r->orig[nh] : -1,
			   strtol(rest + 6, NULL, 10));
		return;
	}
	if (!r->pkt.has_l4) {
		fail("no inner L4 decoded");
		return;
	}
	if (starts(rest, "icmp")) {
		expect_num("inner proto", l4->proto, starts(rest, "icmp6") ? 58 : 1);
		expect_num("icmp has", l4->has_icmp, 1);
		expect_num("icmp type", l4->icmp_type, kvnum(rest, "type"));
		expect_num("icmp code", l4->icmp_code, kvnum(rest, "code"));
		if (have >= 8) {
			expect_num("icmp id (bytes)", get_be16(o + 4), kvnum(rest, "id"));
			expect_num("icmp seq (bytes)", get_be16(o + 6), kvnum(rest, "seq"));
		} else {
			fail("icmp header cut");
		}
		return;
	}
	if (starts(rest, "udp ") || starts(rest, "tcp ")) {
		bool udp = rest[0] == 'u';

		expect_num("inner proto", l4->proto, udp ? 17 : 6);
		split_arrow(rest + 4, a, b, sizeof(a));
		expect_num("l4 has ports", l4->has_ports, 1);
		expect_num("l4 sport", l4->sport, strtol(a, NULL, 10));
		expect_num("l4 dport", l4->dport, strtol(b, NULL, 10));
		if (have < (udp ? 8u : 20u)) {
			fail("l4 header cut");
			return;
		}
		/* As sent: for remcsum packets the partial value, fixed by decode. */
		expect_num("l4 csum as captured", get_be16(o + (udp ? 6 : 16)),
			   kvnum(rest, "csum"));
		if (udp)
			expect_num("udp len (bytes)", get_be16(o + 4), kvnum(rest, "len"));
		else if (strstr(rest, "flags=S"))
			expect_num("tcp SYN (bytes)", o[13] & 0x02, 0x02);
		return;
	}
	fail("unknown inner description \"%s\"", rest);
}

static void check_inner(const char *s, const struct rec *r)
{
	const struct uf_ip *ip = &r->pkt.inner;
	char a[64], b[64];
	int family = starts(s, "ipv6") ? 6 : 4;
	const char *rest;

	if (!r->pkt.has_inner) {
		fail("no inner IP decoded");
		return;
	}
	expect_num("inner family", ip->family, family);
	split_arrow(s + 5, a, b, sizeof(a));
	expect_addr("inner src", family, ip->src, a);
	expect_addr("inner dst", family, ip->dst, b);
	expect_num("inner ttl", ip->ttl, kvnum(s, "ttl"));
	expect_num("inner tos", ip->tos, kvnum(s, "tos"));
	rest = strstr(s, " tos=");
	rest = rest ? strchr(rest + 1, ' ') : NULL;
	if (!rest) {
		fail("inner description without L4 part: %s", s);
		return;
	}
	check_inner_l4(rest + 1, r);
}

static void check_line(const char *line, const struct rec *r)
{
	char buf[1024], *seg[12];
	size_t n = segments(line, buf, sizeof(buf), seg, 12);

	for (size_t i = 0; i < n; i++) {
		const char *s = seg[i];

		/* A drop stops the decode: layers past it are not there to check. */
		if (r->drop != UF_DROP_NONE &&
		    (((starts(s, "ipv4 ") || starts(s, "ipv6 ")) && !r->pkt.has_inner) ||
		     (starts(s, "eth ") && !r->pkt.has_eth) ||
		     (starts(s, "GRE ") && !r->pkt.has_gre)))
			continue;
		if (starts(s, "IPv4 ") || starts(s, "IPv6 "))
			check_outer(s, r);
		else if (starts(s, "UDP "))
			check_udp(s, r);
		else if (starts(s, "FOU(proto ")) {
			expect_num("encap", r->pkt.encap, UF_ENCAP_FOU);
			expect_num("fou proto", r->pkt.ipproto, strtol(s + 10, NULL, 10));
			expect_num("fou has gue", r->pkt.has_gue, 0);
		} else if (starts(s, "GUE"))
			check_gue(s, r);
		else if (starts(s, "GRE "))
			check_gre(s, r);
		else if (starts(s, "eth "))
			check_eth(s, r);
		else if (starts(s, "ipv4 ") || starts(s, "ipv6 "))
			check_inner(s, r);
		else
			fail("unknown layer \"%s\"", s);
	}
}

/* ---- expect: (tx) and rx test: (rx) key=value lines */

static void check_kv_common(const char *key, const char *val, const struct rec *r, bool *known)
{
	const struct uf_pkt *p = &r->pkt;
	long long n = strtoll(val, NULL, 0);

	*known = true;
	if (!strcmp(key, "family"))
		expect_num("expect family", p->outer.family, n);
	else if (!strcmp(key, "dport"))
		expect_num("expect dport", p->udp.dport, n);
	else if (!strcmp(key, "proto"))   /* a dropped GUE packet only got as far as its header */
		expect_num("expect proto", r->drop && p->has_gue ? p->gue.proto : p->ipproto, n);
	else if (!strcmp(key, "encap") && !strcmp(val, "guev1")) {
		expect_num("expect encap", p->encap, UF_ENCAP_GUE);
		expect_num("expect gue v1", p->has_gue && p->gue.version == 1, 1);
	} else if (!strcmp(key, "encap"))
		expect_num("expect encap", p->encap, !strcmp(val, "gue") ? UF_ENCAP_GUE :
						     !strcmp(val, "fou") ? UF_ENCAP_FOU : -1);
	else if (!strcmp(key, "gueflags"))
		expect_num("expect gueflags", p->has_gue ? p->gue.flags : -1, n);
	else if (!strcmp(key, "guehlen"))
		expect_num("expect guehlen", p->has_gue ? p->gue.hlen : -1, n);
	else
		*known = false;
}

static void check_tx_expect(const char *key, const char *val, const struct rec *r)
{
	const struct uf_pkt *p = &r->pkt;
	long long n = strtoll(val, NULL, 0);
	bool known;

	check_kv_common(key, val, r, &known);
	if (known)
		return;
	if (!strcmp(key, "ttl") || !strcmp(key, "hlim"))
		expect_num("expect ttl/hlim", p->outer.ttl, n);
	else if (!strcmp(key, "tos") || !strcmp(key, "tclass"))
		expect_num("expect tos/tclass", p->outer.tos, n);
	else if (!strcmp(key, "df"))
		expect_num("expect df", p->outer.df, n);
	else if (!strcmp(key, "csum"))
		expect_str("expect csum", uf_csum_state_name(p->udp.csum_state), val);
	else if (!strcmp(key, "encaplimit"))
		expect_num("expect encaplimit", p->outer.encap_limit,
			   !strcmp(val, "none") ? -1 : n);
	else if (!strcmp(key, "inner") && !strcmp(val, "gre"))
		expect_num("expect inner gre", p->has_gre, 1);
	else if (!strcmp(key, "inner"))
		expect_num("expect inner family", p->has_inner ? p->inner.family : -1,
			   !strcmp(val, "ipv4") ? 4 : !strcmp(val, "ipv6") ? 6 : -2);
	else if (!strcmp(key, "greflags"))
		expect_num("expect greflags", p->has_gre ? p->gre.flags : -1, n);
	else if (!strcmp(key, "greproto"))
		expect_num("expect greproto", p->has_gre ? p->gre.proto : -1, n);
	else if (!strcmp(key, "sport") && !strcmp(val, "auto"))
		/* Linux picks from the local port range, 32768..60999 by default. */
		expect_num("expect sport auto in range",
			   p->udp.sport >= 32768 && p->udp.sport <= 60999, 1);
	else if (!strcmp(key, "remcsum"))
		;       /* per file: at least one packet, see check_tx */
	else
		fail("unknown expect key %s=%s", key, val);
}

/* Expected drop for an rx test with expect=none, from its other keys. */
static enum uf_drop rx_expected_drop(const char *e)
{
	if (kvnum(e, "guectl") == 1)
		return UF_DROP_GUE_CONTROL;
	if (kvnum(e, "gueflags") > 0)
		return UF_DROP_GUE_BAD_FLAGS;
	return UF_DROP__COUNT;    /* any drop */
}

static void check_rx_expect(const char *key, const char *val, const struct rec *r,
			    const char *vecname)
{
	const struct uf_pkt *p = &r->pkt;
	long long n = strtoll(val, NULL, 0);
	bool known;
	uint8_t mac[6];

	check_kv_common(key, val, r, &known);
	if (known)
		return;
	if (r->drop != UF_DROP_NONE && !p->has_inner &&
	    (!strcmp(key, "src") || !strcmp(key, "dst") || !strcmp(key, "inner")))
		return;   /* dropped before the inner packet */
	if (!strcmp(key, "src") || !strcmp(key, "dst")) {
		int fam = strchr(val, ':') ? 6 : 4;

		if (!p->has_inner)
			fail("no inner IP for %s", key);
		else
			expect_addr(key[0] == 's' ? "rx inner src" : "rx inner dst", fam,
				    key[0] == 's' ? p->inner.src : p->inner.dst, val);
	} else if (!strcmp(key, "inner")) {
		int fam = !strcmp(val, "icmp6") ? 6 : 4;
		int proto = !strcmp(val, "udp4") ? 17 : fam == 6 ? 58 : 1;

		expect_num("rx inner family", p->has_inner ? p->inner.family : -1, fam);
		expect_num("rx inner l4 proto", p->has_l4 ? p->l4.proto : -1, proto);
	} else if (!strcmp(key, "udpcsum")) {
		expect_str("rx udp csum", uf_csum_state_name(p->udp.csum_state), val);
	} else if (!strcmp(key, "remcsum")) {
		expect_num("rx remcsum", p->has_gue && p->gue.remcsum, n);
	} else if (!strcmp(key, "guectl")) {
		expect_num("rx gue control", p->has_gue && p->gue.control, n);
	} else if (!strcmp(key, "l2")) {
		expect_num("rx l2 (eth)", p->has_eth, n);
	} else if (!strcmp(key, "dmac") || !strcmp(key, "smac")) {
		if (sscanf(val, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
			   &mac[4], &mac[5]) != 6)
			fail("bad mac %s", val);
		else if (memcmp(key[0] == 'd' ? p->eth_dst : p->eth_src, mac, 6))
			fail("rx %s differs from %s", key, val);
	} else if (!strcmp(key, "name")) {
		expect_str("rx name", val, vecname);
	} else if (!strcmp(key, "expect")) {
		;       /* drop checks in check_rx */
	} else {
		fail("unknown rx key %s=%s", key, val);
	}
}

/* Calls fn for every key=value word of an expect string. */
static void for_each_kv(const char *e, const struct rec *r, const struct vec *v)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", e);
	for (char *w = strtok_r(buf, " ()", &save); w; w = strtok_r(NULL, " ()", &save)) {
		char *eq = strchr(w, '=');

		if (!eq) {
			fail("expect word without '=': %s", w);
			continue;
		}
		*eq = '\0';
		if (v->rx)
			check_rx_expect(w, eq + 1, r, v->name);
		else
			check_tx_expect(w, eq + 1, r);
	}
}

/* ---- the auxiliary .txt lines */

static const char *find_line(const struct vec *v, const char *prefix)
{
	for (size_t i = 0; i < v->nlines; i++)
		if (starts(v->lines[i], prefix))
			return v->lines[i] + strlen(prefix);
	return NULL;
}

static const struct rec *first_matched(const struct vec *v)
{
	for (size_t i = 0; i < v->nrecs; i++)
		if (v->recs[i].line >= 0)
			return &v->recs[i];
	return NULL;
}

static void check_first_bytes(const struct vec *v)
{
	const struct rec *r = first_matched(v);
	const char *h;

	if (!r)
		return;
	h = find_line(v, "first packet outer header bytes: ");
	if (h)
		expect_hex("first outer header", r->orig, r->len, h);
	h = find_line(v, "first packet UDP header bytes:");
	if (h) {
		while (*h == ' ')
			h++;
		expect_hex("first udp header", r->orig + r->pkt.outer.hdr_len,
			   r->len - r->pkt.outer.hdr_len, h);
	}
}

/* "GUE header bytes seen: a, b": every header in the file is listed, every
 * listed one is in the file. */
static void check_seen(const struct vec *v, const char *prefix, bool gre)
{
	const char *list = find_line(v, prefix);
	char want[16][64], got[64];
	bool hit[16] = { false };
	size_t nwant = 0;

	if (!list)
		return;
	for (const char *p = list; *p && nwant < 16;) {
		size_t n = strcspn(p, ", ");

		if (n) {
			snprintf(want[nwant++], sizeof(want[0]), "%.*s", (int)n, p);
			p += n;
		} else {
			p++;
		}
	}
	for (size_t i = 0; i < v->nrecs; i++) {
		const struct rec *r = &v->recs[i];
		size_t off = r->pkt.udp_payload_off, len;
		bool found = false;

		if (r->line < 0 || (gre ? !r->pkt.has_gre : !r->pkt.has_gue))
			continue;
		if (gre) {
			off += r->pkt.has_gue ? r->pkt.gue.hdr_len : 0;
			len = r->pkt.gre.hdr_len;
		} else {
			len = r->pkt.gue.hdr_len;
		}
		if (off + len > r->len || len > 31) {
			fail("%s header out of range", gre ? "GRE" : "GUE");
			continue;
		}
		vec_tohex(got, r->orig + off, len);
		for (size_t k = 0; k < nwant; k++) {
			if (!strcmp(want[k], got)) {
				hit[k] = found = true;
			}
		}
		if (!found)
			fail("record %zu: %s header %s not in \"%s\"", i + 1,
			     gre ? "GRE" : "GUE", got, list);
	}
	for (size_t k = 0; k < nwant; k++)
		if (!hit[k])
			fail("%s header %s listed but not decoded", gre ? "GRE" : "GUE", want[k]);
}

/* "outer IPv4 IDs: 0x.. 0x.." / "outer IPv6 flow labels: ..", in order. */
static void check_id_list(const struct vec *v)
{
	const char *list = find_line(v, "outer IPv4 IDs: ");
	bool v6 = false;
	char *end;
	size_t k = 0;

	if (!list) {
		list = find_line(v, "outer IPv6 flow labels: ");
		v6 = true;
	}
	if (!list)
		return;
	for (size_t i = 0; i < v->nrecs; i++) {
		const struct rec *r = &v->recs[i];
		long long want;

		if (r->line < 0)
			continue;
		want = strtoll(list, &end, 0);
		if (end == list) {
			fail("more packets than IDs/labels listed");
			return;
		}
		list = end;
		k++;
		expect_num(v6 ? "flow label list" : "IPv4 ID list",
			   v6 ? r->pkt.outer.flowlabel : r->pkt.outer.id, want);
	}
	strtoll(list, &end, 0);
	if (end != list)
		fail("fewer packets (%zu) than IDs/labels listed", k);
}

/* "  ('198.19.3.1', '198.19.3.2', 'icmp', 399) -> 51565": every packet of
 * that inner flow left with that UDP source port. */
static void check_flow_line(const struct vec *v, const char *l)
{
	char buf[256], *tok[6], *save = NULL;
	size_t nt = 0, hits = 0;
	const char *arrow = strstr(l, ") -> ");
	long sport;

	if (!arrow)
		return;
	sport = strtol(arrow + 5, NULL, 10);
	snprintf(buf, sizeof(buf), "%.*s", (int)(arrow - l), l + 3);
	for (char *w = strtok_r(buf, ", '", &save); w && nt < 6; w = strtok_r(NULL, ", '", &save))
		tok[nt++] = w;
	if (nt < 3) {
		fail("bad flow line %s", l);
		return;
	}
	for (size_t i = 0; i < v->nrecs; i++) {
		const struct rec *r = &v->recs[i];
		const struct uf_pkt *p = &r->pkt;
		int fam = strchr(tok[0], ':') ? 6 : 4;
		size_t off = inner_off(r) + p->inner.hdr_len;

		if (r->line < 0 || !p->has_inner || p->inner.family != fam ||
		    !addr_eq(fam, p->inner.src, tok[0]) || !addr_eq(fam, p->inner.dst, tok[1]))
			continue;
		if (!strncmp(tok[2], "icmp", 4)) {
			if (nt < 4 || !p->has_l4 || !p->l4.has_icmp || off + 6 > r->len ||
			    get_be16(r->orig + off + 4) != strtol(tok[3], NULL, 10))
				continue;
		} else if (!strcmp(tok[2], "udp") || !strcmp(tok[2], "tcp")) {
			if (nt < 5 || !p->has_l4 || p->l4.sport != strtol(tok[3], NULL, 10) ||
			    p->l4.dport != strtol(tok[4], NULL, 10))
				continue;
		}
		hits++;
		expect_num("flow sport", p->udp.sport, sport);
	}
	if (!hits)
		fail("no packet of flow %s", l);
}

/* "      remcsum: ... receiver fix -> 0x157e valid", in order of the remcsum
 * packets: after decode the inner checksum has that value and verifies. */
static void check_remcsum_fixes(const struct vec *v)
{
	size_t k = 0;

	for (size_t li = 0; li < v->nlines; li++) {
		const char *fix = strstr(v->lines[li], "receiver fix -> ");
		const struct rec *r = NULL;
		size_t foff;

		if (!starts(v->lines[li], "      remcsum: ") || !fix)
			continue;
		while (k < v->nrecs && !r) {
			if (v->recs[k].pkt.has_gue && v->recs[k].pkt.gue.remcsum)
				r = &v->recs[k];
			k++;
		}
		if (!r) {
			fail("more remcsum fixes listed than remcsum packets");
			return;
		}
		fix += strlen("receiver fix -> ");
		foff = r->pkt.udp_payload_off + r->pkt.gue.hdr_len + r->pkt.gue.remcsum_offset;
		if (foff + 2 > r->len) {
			fail("remcsum offset beyond packet");
			continue;
		}
		expect_num("remcsum fixed field (bytes)", get_be16(r->buf + foff),
			   strtol(fix, NULL, 16));
		expect_num("remcsum fixed l4 csum", r->pkt.l4.csum, strtol(fix, NULL, 16));
		expect_str("remcsum fixed state", uf_csum_state_name(r->pkt.l4.csum_state),
			   strchr(fix, ' ') ? strchr(fix, ' ') + 1 : "?");
	}
	while (k < v->nrecs) {
		if (v->recs[k].pkt.has_gue && v->recs[k].pkt.gue.remcsum && v->rx == false &&
		    find_line(v, "      remcsum: "))
			fail("remcsum packet %zu without a receiver fix line", k + 1);
		k++;
	}
}

/* ---- per vector */

static void match_lines(struct vec *v)
{
	for (size_t li = 0; li < v->npkt_lines; li++) {
		size_t i;

		for (i = 0; i < v->nrecs; i++)
			if (v->recs[i].line < 0 && line_matches(v->pkt_lines[li], &v->recs[i]))
				break;
		if (i == v->nrecs) {
			fail("no record for line: %s", v->pkt_lines[li]);
			continue;
		}
		v->recs[i].line = (int)li;
		v->recs[i].request = v->pkt_line_request[li];
		cur_vec = v->name;
		check_line(v->pkt_lines[li], &v->recs[i]);
	}
}

static void check_common(const struct rec *r, size_t idx)
{
	/* A delivered packet's inner checksum must verify (remcsum applied). */
	if (r->drop == UF_DROP_NONE && r->pkt.has_l4 && r->pkt.l4.csum_known &&
	    r->pkt.l4.csum_state != UF_CSUM_VALID)
		fail("record %zu: inner l4 csum 0x%04x %s", idx + 1, r->pkt.l4.csum,
		     uf_csum_state_name(r->pkt.l4.csum_state));
}

static void check_tx(struct vec *v)
{
	size_t tunnel = 0;
	bool any_remcsum = false;
	long long count = -1;
	const char *c = find_line(v, "packets (guest -> host, dport ");

	for (size_t i = 0; i < v->nrecs; i++) {
		struct rec *r = &v->recs[i];

		if (r->line < 0) {
			/* Not described: must be other traffic (e.g. a neighbour solicitation). */
			if (r->drop != UF_DROP_NOT_UDP && r->drop != UF_DROP_NO_PORT)
				fail("record %zu not described, decoded drop %s", i + 1,
				     uf_drop_name(r->drop));
			continue;
		}
		tunnel++;
		if (r->drop != UF_DROP_NONE)
			fail("record %zu dropped: %s", i + 1, uf_drop_name(r->drop));
		any_remcsum |= r->pkt.has_gue && r->pkt.gue.remcsum;
		for_each_kv(v->expect, r, v);
		check_common(r, i);
	}
	if (c && strstr(c, "): "))
		count = strtoll(strstr(c, "): ") + 3, NULL, 10);
	expect_num("tunnel packet count", (long long)tunnel, count);
	if (kvnum(v->expect, "remcsum") == 1 && !any_remcsum)
		fail("remcsum=1 but no packet carries the option");
	check_first_bytes(v);
	check_seen(v, "GUE header bytes seen: ", false);
	check_seen(v, "GRE header bytes seen: ", true);
	check_id_list(v);
	for (size_t li = 0; li < v->nlines; li++)
		if (starts(v->lines[li], "  ('"))
			check_flow_line(v, v->lines[li]);
	check_remcsum_fixes(v);
}

static void check_rx(struct vec *v)
{
	bool dropping = kv(v->expect, "expect", (char[8]){ 0 }, 8);
	enum uf_drop want = rx_expected_drop(v->expect);
	const struct rec *req = NULL;
	size_t nreq = 0;

	for (size_t i = 0; i < v->nrecs; i++)
		if (v->recs[i].request)
			req = &v->recs[i];
	if (!req) {
		fail("request line matched no record");
		return;
	}
	for (size_t i = 0; i < v->nrecs; i++) {
		struct rec *r = &v->recs[i];
		bool is_req = r->request ||
			      (r->pkt.has_udp && r->pkt.udp.dport == req->pkt.udp.dport &&
			       !memcmp(r->pkt.outer.src, req->pkt.outer.src, 16));

		if (is_req) {
			nreq++;
			for_each_kv(v->expect, r, v);
		}
		if (is_req && dropping) {
			if (r->drop == UF_DROP_NONE)
				fail("record %zu: expected a drop, decoded as delivered", i + 1);
			else if (want != UF_DROP__COUNT)
				expect_str("drop reason", uf_drop_name(r->drop),
					   uf_drop_name(want));
		} else if (r->drop != UF_DROP_NONE) {
			fail("record %zu dropped: %s", i + 1, uf_drop_name(r->drop));
		} else {
			check_common(r, i);
		}
		if (r->line < 0 && !is_req)
			fail("record %zu is neither described nor a request", i + 1);
	}
	if (!nreq)
		fail("no requests");
}

static void run_vector(const char *name)
{
	static struct vec v;
	char path[512];

	memset(&v, 0, sizeof(v));
	v.name = name;
	v.rx = starts(name, "rx-");
	cur_vec = name;
	TEST(name);
	snprintf(path, sizeof(path), "%s/%s.pcap", vec_dir(), name);
	if (!load_pcap(&v, path))
		goto out;
	snprintf(path, sizeof(path), "%s/%s.txt", vec_dir(), name);
	if (!load_txt(&v, path))
		goto out;
	if (!v.npkt_lines)
		fail("no packet lines in .txt");
	match_lines(&v);
	if (v.rx)
		check_rx(&v);
	else
		check_tx(&v);
out:
	for (size_t i = 0; i < v.nrecs; i++) {
		free(v.recs[i].orig);
		free(v.recs[i].buf);
	}
	free(v.txt);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	DIR *d = opendir(vec_dir());
	struct dirent *e;
	char *names[256];
	size_t n = 0;
	int rc;

	TEST("vector directory");
	if (!d) {
		printf("# cannot open %s (run from the project root): %s\n", vec_dir(),
		       strerror(errno));
		CHECK(d != NULL);
		return t_done();
	}
	while ((e = readdir(d)) && n < 256) {
		size_t l = strlen(e->d_name);

		if (l > 5 && !strcmp(e->d_name + l - 5, ".pcap"))
			names[n++] = strndup(e->d_name, l - 5);
	}
	closedir(d);
	CHECK(n >= 30);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		run_vector(names[i]);
	rc = t_done();        /* test names live until the last one is reported */
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return rc;
}
