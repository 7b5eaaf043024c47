// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven grammar for `ufou fou ...` and `ufou link ...`: see grammar.h.
 * Each keyword row names its value kind (which gives the parser, the usage
 * meta-variable and the `Where:` domain), the HAS bits it sets and a setter.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/grammar.h"

/* ---- value kinds */

enum gr_vk {
	VK_NONE, VK_PORT, VK_PROTO, VK_ADDR, VK_IFNAME, VK_NAME, VK_TYPE, VK_RADDR,
	VK_TTL, VK_TOS, VK_MODE, VK_ELIM, VK_HLIM, VK_TCLASS, VK_FLOWLABEL, VK_KEY,
	VK_MTU, VK_ENCAP, VK_SPORT, VK__COUNT
};

struct gr_vkind {
	const char *meta;     /* usage meta-variable */
	const char *domain;   /* `Where:` text */
	const char *must;     /* "<keyword> must be <must>" */
};

static const struct gr_vkind vkinds[VK__COUNT] = {
	[VK_PORT] = { "PORT", "{ 1..65535 }", "1..65535" },
	[VK_PROTO] = { "PROTO", "{ ipproto-name | 1..255 }", "1..255" },
	[VK_ADDR] = { "ADDR", "{ IPv4 or IPv6 address }", "an IPv4 or IPv6 address" },
	[VK_IFNAME] = { "IFNAME", "{ 1..15 characters, no '/', ':' or space }",
			"1..15 characters without '/', ':' or whitespace" },
	[VK_NAME] = { "NAME", "{ 1..15 characters, no '/', ':' or space }",
		      "1..15 characters without '/', ':' or whitespace" },
	[VK_TYPE] = { "TYPE", "{ ipip | sit | gre | gretap | ip6tnl | ip6gre | ip6gretap }",
		      "one of ipip sit gre gretap ip6tnl ip6gre ip6gretap" },
	[VK_RADDR] = { "RADDR", "{ ADDR | any }", "an IPv4 or IPv6 address or any" },
	[VK_TTL] = { "TTL", "{ 1..255 | inherit }", "1..255 or inherit" },
	[VK_TOS] = { "TOS", "{ 0..255 | inherit }", "0..255 or inherit" },
	[VK_MODE] = { "MODE", "{ ipip | ip6ip | ipip6 | ip6ip6 | any }",
		      "one of ipip ip6ip ipip6 ip6ip6 any" },
	[VK_ELIM] = { "ELIM", "{ 0..255 | none }", "0..255 or none" },
	[VK_HLIM] = { "HLIM", "{ 0..255 }", "0..255" },
	[VK_TCLASS] = { "TCLASS", "{ 0..255 | inherit }", "0..255 or inherit" },
	[VK_FLOWLABEL] = { "FLOWLABEL", "{ 0..0xfffff | inherit }", "0..0xfffff or inherit" },
	[VK_KEY] = { "KEY", "{ 0..4294967295 | A.B.C.D }", "a number or a dotted quad" },
	[VK_MTU] = { "MTU", "{ 68..65535 }", "68..65535" },
	[VK_ENCAP] = { "ENCAP", "{ fou | gue }", "fou or gue" },
	[VK_SPORT] = { "SPORT", "{ auto | 1..65535 }", "auto or 1..65535" },
};

union gr_val {
	uint64_t u;
	int64_t i;
	struct uf_addr addr;
	const char *s;
};

static int vsetf(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static int vsetf(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	return -EINVAL;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsetf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* Strict unsigned number: whole token, no sign, no spaces, base 0 or 10. */
static int get_num(const char *s, int base, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int get_range(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
{
	if (get_num(s, base, max, out) < 0 || *out < min)
		return -1;
	return 0;
}

int gr_addr_parse(const char *s, struct uf_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

const char *gr_addr_str(const struct uf_addr *a, char *buf, size_t len)
{
	if (a->family == 4 || a->family == 6) {
		if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len))
			return buf;
	}
	snprintf(buf, len, "any");
	return buf;
}

bool gr_ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= UF_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static const char *const mode_names[] = {
	[UF_MODE_DEFAULT] = "default", [UF_MODE_IPIP] = "ipip", [UF_MODE_IP6IP] = "ip6ip",
	[UF_MODE_IPIP6] = "ipip6", [UF_MODE_IP6IP6] = "ip6ip6", [UF_MODE_ANY] = "any",
};

const char *gr_mode_name(enum uf_link_mode m)
{
	return (unsigned int)m <= UF_MODE_ANY ? mode_names[m] : "unknown";
}

/* Names iproute2 takes for ipproto besides /etc/protocols (completion lists them). */
static const struct { const char *n; uint8_t v; } proto_names[] = {
	{ "ipip", 4 }, { "ipv4", 4 }, { "ip", 4 }, { "ipv6", 41 }, { "gre", 47 },
};

static int get_proto(const char *s, uint64_t *out)
{
	struct protoent *pe;

	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (!strcmp(s, proto_names[i].n)) {
			*out = proto_names[i].v;
			return 0;
		}
	if (isdigit((unsigned char)*s))
		return get_range(s, 0, 1, 255, out);
	pe = getprotobyname(s);
	if (!pe || pe->p_proto < 1 || pe->p_proto > 255)
		return -1;
	*out = (uint64_t)pe->p_proto;
	return 0;
}

/* Parses one value; -1 when it is not of the kind. */
static int vk_parse(enum gr_vk vk, const char *s, union gr_val *v)
{
	struct in_addr ia;
	uint64_t u;
	int t;

	memset(v, 0, sizeof(*v));
	switch (vk) {
	case VK_NONE:
		return 0;
	case VK_PORT:
		return get_range(s, 0, 1, 65535, &v->u);
	case VK_PROTO:
		return get_proto(s, &v->u);
	case VK_ADDR:
		return gr_addr_parse(s, &v->addr);
	case VK_RADDR:
		if (!strcmp(s, "any"))
			return 0;
		return gr_addr_parse(s, &v->addr);
	case VK_IFNAME:
	case VK_NAME:
		v->s = s;
		return gr_ifname_valid(s) ? 0 : -1;
	case VK_TYPE:
		t = uf_link_type_parse(s);
		v->i = t;
		return t < 0 ? -1 : 0;
	case VK_TTL:   /* 0 = inherit, as iproute2's get_u8 accepts it */
		if (!strcmp(s, "inherit"))
			return 0;
		return get_range(s, 0, 0, 255, &v->u);
	case VK_TOS:
	case VK_TCLASS:
		if (!strcmp(s, "inherit")) {
			v->i = -1;
			return 0;
		}
		return get_range(s, 0, 0, 255, &v->u);
	case VK_FLOWLABEL:
		if (!strcmp(s, "inherit")) {
			v->i = -1;
			return 0;
		}
		return get_range(s, 0, 0, 0xfffff, &v->u);
	case VK_MODE:
		for (t = UF_MODE_IPIP; t <= UF_MODE_ANY; t++)
			if (!strcmp(s, mode_names[t])) {
				v->i = t;
				return 0;
			}
		return -1;
	case VK_ELIM:
		if (!strcmp(s, "none")) {
			v->i = -1;
			return 0;
		}
		if (get_range(s, 0, 0, 255, &u) < 0)
			return -1;
		v->i = (int64_t)u;   /* not from v->u: overlapping members of other types */
		return 0;
	case VK_HLIM:
		return get_range(s, 0, 0, 255, &v->u);
	case VK_KEY:
		if (strchr(s, '.')) {
			if (inet_pton(AF_INET, s, &ia) != 1)
				return -1;
			v->u = ntohl(ia.s_addr);
			return 0;
		}
		return get_range(s, 0, 0, 0xffffffffu, &v->u);
	case VK_MTU:
		return get_range(s, 0, 68, 65535, &v->u);
	case VK_ENCAP:
		if (!strcmp(s, "fou"))
			v->i = UF_ENCAP_FOU;
		else if (!strcmp(s, "gue"))
			v->i = UF_ENCAP_GUE;
		else
			return -1;
		return 0;
	case VK_SPORT:
		if (!strcmp(s, "auto"))
			return 0;
		return get_range(s, 0, 1, 65535, &v->u);
	default:
		return -1;
	}
}

/* ---- keyword tables */

enum {
	KW_REQ = 1 << 0,     /* required by add */
	KW_ALIAS = 1 << 1,   /* accepted, not shown in usage */
	KW_ADDONLY = 1 << 2, /* link add only (not set) */
	KW_IDENT = 1 << 3,   /* fou: part of the port identity (del usage) */
	KW_SETONLY = 1 << 4, /* link set only (not add) */
};

struct gr_kw {
	const char *word;
	enum gr_vk vk;
	uint64_t has;
	void (*set)(struct gr_cmd *c, const union gr_val *v);
	unsigned int flags;
	unsigned int group;   /* rows sharing a group are alternatives in usage */
};

#define P(c) (&(c)->port)
#define L(c) (&(c)->link)

static void s_port(struct gr_cmd *c, const union gr_val *v) { P(c)->port = (uint16_t)v->u; }
static void s_ipproto(struct gr_cmd *c, const union gr_val *v) { P(c)->ipproto = (uint8_t)v->u; }
static void s_gue(struct gr_cmd *c, const union gr_val *v) { P(c)->gue = true; }
static void s_plocal(struct gr_cmd *c, const union gr_val *v) { P(c)->local = v->addr; }
static void s_peer(struct gr_cmd *c, const union gr_val *v) { P(c)->peer = v->addr; }
static void s_peer_port(struct gr_cmd *c, const union gr_val *v)
{
	P(c)->peer_port = (uint16_t)v->u;
}
static void s_pdev(struct gr_cmd *c, const union gr_val *v)
{
	snprintf(P(c)->dev, sizeof(P(c)->dev), "%s", v->s);
}
static void s_six(struct gr_cmd *c, const union gr_val *v) { P(c)->family = 6; }

static const struct gr_kw fou_kws[] = {
	{ "port", VK_PORT, UF_PORT_HAS_PORT, s_port, KW_REQ | KW_IDENT, 0 },
	{ "ipproto", VK_PROTO, UF_PORT_HAS_IPPROTO, s_ipproto, KW_REQ, 1 },
	{ "gue", VK_NONE, UF_PORT_HAS_GUE, s_gue, KW_REQ, 1 },
	{ "local", VK_ADDR, UF_PORT_HAS_LOCAL, s_plocal, KW_IDENT, 0 },
	{ "peer", VK_ADDR, UF_PORT_HAS_PEER, s_peer, KW_IDENT, 0 },
	{ "peer_port", VK_PORT, UF_PORT_HAS_PEER_PORT, s_peer_port, KW_IDENT, 0 },
	{ "dev", VK_IFNAME, UF_PORT_HAS_DEV, s_pdev, KW_IDENT, 0 },
	{ "-6", VK_NONE, UF_PORT_HAS_FAMILY, s_six, KW_IDENT, 0 },
};

static void s_name(struct gr_cmd *c, const union gr_val *v)
{
	snprintf(L(c)->name, sizeof(L(c)->name), "%s", v->s);
}
/* link set NAME name NEWNAME: the link keeps NAME until the rename is done. */
static void s_newname(struct gr_cmd *c, const union gr_val *v)
{
	snprintf(c->newname, sizeof(c->newname), "%s", v->s);
	c->rename = true;
}
static void s_type(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->type = (enum uf_link_type)v->i;
}
static void s_remote(struct gr_cmd *c, const union gr_val *v) { L(c)->remote = v->addr; }
static void s_local(struct gr_cmd *c, const union gr_val *v) { L(c)->local = v->addr; }
static void s_ttl(struct gr_cmd *c, const union gr_val *v) { L(c)->ttl = (uint8_t)v->u; }
static void s_tos(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->tos_inherit = v->i < 0;
	L(c)->tos = v->i < 0 ? 0 : (uint8_t)v->u;
}
static void s_pmtu(struct gr_cmd *c, const union gr_val *v) { L(c)->pmtudisc = true; }
static void s_nopmtu(struct gr_cmd *c, const union gr_val *v) { L(c)->pmtudisc = false; }
static void s_up(struct gr_cmd *c, const union gr_val *v) { L(c)->up = true; }
static void s_down(struct gr_cmd *c, const union gr_val *v) { L(c)->up = false; }
static void s_mode(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->mode = (enum uf_link_mode)v->i;
}
static void s_elim(struct gr_cmd *c, const union gr_val *v) { L(c)->encaplimit = (int16_t)v->i; }
static void s_hlim(struct gr_cmd *c, const union gr_val *v) { L(c)->hoplimit = (uint8_t)v->u; }
static void s_tclass(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->tclass_inherit = v->i < 0;
	L(c)->tclass = v->i < 0 ? 0 : (uint8_t)v->u;
}
static void s_flowlabel(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->flowlabel_inherit = v->i < 0;
	L(c)->flowlabel = v->i < 0 ? 0 : (uint32_t)v->u;
}
static void s_key(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->ikey = L(c)->okey = (uint32_t)v->u;
}
static void s_ikey(struct gr_cmd *c, const union gr_val *v) { L(c)->ikey = (uint32_t)v->u; }
static void s_okey(struct gr_cmd *c, const union gr_val *v) { L(c)->okey = (uint32_t)v->u; }
static void s_csum(struct gr_cmd *c, const union gr_val *v) { L(c)->icsum = L(c)->ocsum = true; }
static void s_nocsum(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->icsum = L(c)->ocsum = false;
}
static void s_icsum(struct gr_cmd *c, const union gr_val *v) { L(c)->icsum = true; }
static void s_noicsum(struct gr_cmd *c, const union gr_val *v) { L(c)->icsum = false; }
static void s_ocsum(struct gr_cmd *c, const union gr_val *v) { L(c)->ocsum = true; }
static void s_noocsum(struct gr_cmd *c, const union gr_val *v) { L(c)->ocsum = false; }
static void s_seq(struct gr_cmd *c, const union gr_val *v) { L(c)->iseq = L(c)->oseq = true; }
static void s_noseq(struct gr_cmd *c, const union gr_val *v) { L(c)->iseq = L(c)->oseq = false; }
static void s_iseq(struct gr_cmd *c, const union gr_val *v) { L(c)->iseq = true; }
static void s_noiseq(struct gr_cmd *c, const union gr_val *v) { L(c)->iseq = false; }
static void s_oseq(struct gr_cmd *c, const union gr_val *v) { L(c)->oseq = true; }
static void s_nooseq(struct gr_cmd *c, const union gr_val *v) { L(c)->oseq = false; }
static void s_ldev(struct gr_cmd *c, const union gr_val *v)
{
	snprintf(L(c)->dev, sizeof(L(c)->dev), "%s", v->s);
}
static void s_mtu(struct gr_cmd *c, const union gr_val *v) { L(c)->mtu = (uint32_t)v->u; }
static void s_encap(struct gr_cmd *c, const union gr_val *v)
{
	L(c)->encap = (enum uf_encap_type)v->i;
}
static void s_sport(struct gr_cmd *c, const union gr_val *v) { L(c)->sport = (uint16_t)v->u; }
static void s_dport(struct gr_cmd *c, const union gr_val *v) { L(c)->dport = (uint16_t)v->u; }
static void s_ecsum(struct gr_cmd *c, const union gr_val *v) { L(c)->encap_csum = true; }
static void s_noecsum(struct gr_cmd *c, const union gr_val *v) { L(c)->encap_csum = false; }
static void s_ecsum6(struct gr_cmd *c, const union gr_val *v) { L(c)->encap_csum6 = true; }
static void s_noecsum6(struct gr_cmd *c, const union gr_val *v) { L(c)->encap_csum6 = false; }
static void s_remcsum(struct gr_cmd *c, const union gr_val *v) { L(c)->encap_remcsum = true; }
static void s_noremcsum(struct gr_cmd *c, const union gr_val *v) { L(c)->encap_remcsum = false; }

#define LH(x) UF_LINK_HAS_##x
static const struct gr_kw link_kws[] = {
	{ "name", VK_NAME, LH(NAME), s_name, KW_REQ | KW_ADDONLY, 0 },
	{ "name", VK_NAME, LH(NAME), s_newname, KW_SETONLY, 0 },
	{ "type", VK_TYPE, LH(TYPE), s_type, KW_REQ, 0 },
	{ "remote", VK_RADDR, LH(REMOTE), s_remote, 0, 0 },
	{ "local", VK_ADDR, LH(LOCAL), s_local, KW_REQ, 0 },
	{ "ttl", VK_TTL, LH(TTL), s_ttl, 0, 0 },
	{ "tos", VK_TOS, LH(TOS), s_tos, 0, 0 },
	{ "pmtudisc", VK_NONE, LH(PMTUDISC), s_pmtu, 0, 0 },
	{ "nopmtudisc", VK_NONE, LH(PMTUDISC), s_nopmtu, 0, 0 },
	{ "mode", VK_MODE, LH(MODE), s_mode, 0, 0 },
	{ "encaplimit", VK_ELIM, LH(ENCAPLIMIT), s_elim, 0, 0 },
	{ "hoplimit", VK_HLIM, LH(HOPLIMIT), s_hlim, 0, 0 },
	{ "tclass", VK_TCLASS, LH(TCLASS), s_tclass, 0, 0 },
	/* iproute2's other spellings; gr_link_fold() files them by family. */
	{ "hlim", VK_HLIM, LH(HOPLIMIT), s_hlim, KW_ALIAS, 0 },
	{ "tc", VK_TCLASS, LH(TCLASS), s_tclass, KW_ALIAS, 0 },
	{ "dsfield", VK_TOS, LH(TOS), s_tos, KW_ALIAS, 0 },
	{ "flowlabel", VK_FLOWLABEL, LH(FLOWLABEL), s_flowlabel, 0, 0 },
	{ "key", VK_KEY, LH(IKEY) | LH(OKEY), s_key, 0, 0 },
	{ "ikey", VK_KEY, LH(IKEY), s_ikey, 0, 0 },
	{ "okey", VK_KEY, LH(OKEY), s_okey, 0, 0 },
	{ "csum", VK_NONE, LH(ICSUM) | LH(OCSUM), s_csum, 0, 0 },
	{ "nocsum", VK_NONE, LH(ICSUM) | LH(OCSUM), s_nocsum, 0, 0 },
	{ "icsum", VK_NONE, LH(ICSUM), s_icsum, 0, 0 },
	{ "noicsum", VK_NONE, LH(ICSUM), s_noicsum, 0, 0 },
	{ "ocsum", VK_NONE, LH(OCSUM), s_ocsum, 0, 0 },
	{ "noocsum", VK_NONE, LH(OCSUM), s_noocsum, 0, 0 },
	{ "seq", VK_NONE, LH(ISEQ) | LH(OSEQ), s_seq, 0, 0 },
	{ "noseq", VK_NONE, LH(ISEQ) | LH(OSEQ), s_noseq, 0, 0 },
	{ "iseq", VK_NONE, LH(ISEQ), s_iseq, 0, 0 },
	{ "noiseq", VK_NONE, LH(ISEQ), s_noiseq, 0, 0 },
	{ "oseq", VK_NONE, LH(OSEQ), s_oseq, 0, 0 },
	{ "nooseq", VK_NONE, LH(OSEQ), s_nooseq, 0, 0 },
	{ "dev", VK_IFNAME, LH(DEV), s_ldev, 0, 0 },
	{ "mtu", VK_MTU, LH(MTU), s_mtu, 0, 0 },
	{ "encap", VK_ENCAP, LH(ENCAP), s_encap, KW_REQ, 0 },
	{ "encap-sport", VK_SPORT, LH(SPORT), s_sport, 0, 0 },
	{ "encap-dport", VK_PORT, LH(DPORT), s_dport, KW_REQ, 0 },
	{ "encap-csum", VK_NONE, LH(ENCAP_CSUM), s_ecsum, 0, 0 },
	{ "noencap-csum", VK_NONE, LH(ENCAP_CSUM), s_noecsum, 0, 0 },
	{ "encap-udp6-csum", VK_NONE, LH(ENCAP_CSUM6), s_ecsum6, 0, 0 },
	{ "noencap-udp6-csum", VK_NONE, LH(ENCAP_CSUM6), s_noecsum6, 0, 0 },
	{ "encap-csum6", VK_NONE, LH(ENCAP_CSUM6), s_ecsum6, KW_ALIAS, 0 },
	{ "noencap-csum6", VK_NONE, LH(ENCAP_CSUM6), s_noecsum6, KW_ALIAS, 0 },
	{ "encap-remcsum", VK_NONE, LH(REMCSUM), s_remcsum, 0, 0 },
	{ "noencap-remcsum", VK_NONE, LH(REMCSUM), s_noremcsum, 0, 0 },
	/* As ip link add|set ... up|down: the device's state, which the kernel keeps. */
	{ "up", VK_NONE, LH(UP), s_up, 0, 0 },
	{ "down", VK_NONE, LH(UP), s_down, 0, 0 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The canonical word of a HAS bit (first row setting only that bit). */
static const char *bit_word(const struct gr_kw *kws, size_t n, uint64_t bit)
{
	for (size_t i = 0; i < n; i++)
		if (kws[i].has == bit)
			return kws[i].word;
	for (size_t i = 0; i < n; i++)
		if (kws[i].has & bit)
			return kws[i].word;
	return "?";
}

static int bit_index(uint64_t bit)
{
	return __builtin_ctzll(bit);
}

/* "port ipproto gue ..." for the unknown-keyword message. */
static void valid_words(const struct gr_kw *kws, size_t n, unsigned int skip, char *buf,
			size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && off < len; i++) {
		if (kws[i].flags & skip)
			continue;
		int w = snprintf(buf + off, len - off, "%s%s", off ? " " : "", kws[i].word);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/*
 * The keyword loop: each word must be in the table (minus rows flagged
 * skip); a value kind takes the next word; a HAS bit may be given once.
 */
static int parse_kws(const struct gr_kw *kws, size_t n, unsigned int skip, int argc,
		     char *const *argv, struct gr_cmd *cmd, uint64_t *has,
		     const char **words, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		const struct gr_kw *kw = NULL;
		union gr_val v;
		const char *val = NULL;

		for (size_t k = 0; k < n; k++)
			if (!(kws[k].flags & skip) && !strcmp(argv[i], kws[k].word)) {
				kw = &kws[k];
				break;
			}
		if (!kw) {
			char valid[512];

			valid_words(kws, n, skip, valid, sizeof(valid));
			return fail(err, errlen, "unknown keyword \"%s\"; valid: %s", argv[i],
				    valid);
		}
		for (uint64_t b = kw->has; b; b &= b - 1) {
			const char *prev = words[bit_index(b & -b)];

			if (!prev)
				continue;
			if (!strcmp(prev, kw->word))
				return fail(err, errlen, "duplicate keyword \"%s\"", kw->word);
			return fail(err, errlen, "\"%s\" conflicts with \"%s\"", kw->word, prev);
		}
		if (kw->vk != VK_NONE) {
			if (i + 1 >= argc)
				return fail(err, errlen, "missing value for \"%s\" (%s)",
					    kw->word, vkinds[kw->vk].meta);
			val = argv[++i];
			if (kw->vk == VK_ENCAP && !strcmp(val, "none"))
				return fail(err, errlen,
					    "argument \"none\" is wrong: ufou only does UDP "
					    "encapsulation (encap fou or encap gue)");
			if (vk_parse(kw->vk, val, &v) < 0)
				return fail(err, errlen, "argument \"%s\" is wrong: %s must be %s",
					    val, kw->word, vkinds[kw->vk].must);
		} else {
			memset(&v, 0, sizeof(v));
		}
		kw->set(cmd, &v);
		*has |= kw->has;
		for (uint64_t b = kw->has; b; b &= b - 1)
			words[bit_index(b & -b)] = kw->word;
	}
	return 0;
}

static int parse_fou(int argc, char *const *argv, struct gr_cmd *cmd, char *err, size_t errlen)
{
	uint64_t has = 0;
	int ret;

	cmd->port.family = 4;
	ret = parse_kws(fou_kws, NELEM(fou_kws), 0, argc, argv, cmd, &has, cmd->port_word,
			err, errlen);
	cmd->port.has = (uint32_t)has;
	return ret;
}

/* `link set|del|show { NAME | dev NAME }`: returns words consumed. */
static int parse_link_name(int argc, char *const *argv, struct gr_cmd *cmd, const char *verb,
			   bool optional, char *err, size_t errlen)
{
	const char *name;
	int used = 1;

	if (argc < 1) {
		if (optional)
			return 0;
		return fail(err, errlen, "missing value for \"%s\" (NAME)", verb);
	}
	name = argv[0];
	if (!strcmp(name, "dev")) {
		if (argc < 2)
			return fail(err, errlen, "missing value for \"dev\" (NAME)");
		name = argv[1];
		used = 2;
	}
	if (!gr_ifname_valid(name))
		return fail(err, errlen, "argument \"%s\" is wrong: name must be %s", name,
			    vkinds[VK_NAME].must);
	snprintf(cmd->link.name, sizeof(cmd->link.name), "%s", name);
	cmd->link.has |= UF_LINK_HAS_NAME;
	return used;
}

static int parse_link(int argc, char *const *argv, struct gr_cmd *cmd, char *err, size_t errlen)
{
	uint64_t has = 0;
	int used, ret;

	switch (cmd->act) {
	case GR_ADD:
		ret = parse_kws(link_kws, NELEM(link_kws), KW_SETONLY, argc, argv, cmd, &has,
				cmd->link_word, err, errlen);
		cmd->link.has = has;
		/* The type is known: file ttl/hoplimit, tos/tclass by its family (set: ctl). */
		if (!ret && (has & LH(TYPE)))
			ret = gr_link_fold(&cmd->link, cmd->link.type, err, errlen);
		return ret;
	case GR_SET:
		used = parse_link_name(argc, argv, cmd, "set", false, err, errlen);
		if (used < 0)
			return used;
		ret = parse_kws(link_kws, NELEM(link_kws), KW_ADDONLY, argc - used, argv + used,
				cmd, &has, cmd->link_word, err, errlen);
		cmd->link.has |= has;
		return ret;
	default:
		used = parse_link_name(argc, argv, cmd, cmd->act == GR_DEL ? "del" : "show",
				       cmd->act == GR_SHOW, err, errlen);
		if (used < 0)
			return used;
		if (used < argc)
			return fail(err, errlen, "unexpected argument \"%s\"", argv[used]);
		return 0;
	}
}

static const struct {
	const char *word;
	enum gr_act act;
	unsigned int objs;   /* 1 << GR_OBJ_x */
} cmd_words[] = {
	{ "add", GR_ADD, 1 << GR_OBJ_FOU | 1 << GR_OBJ_LINK },
	{ "set", GR_SET, 1 << GR_OBJ_LINK },
	{ "del", GR_DEL, 1 << GR_OBJ_FOU | 1 << GR_OBJ_LINK },
	{ "show", GR_SHOW, 1 << GR_OBJ_FOU | 1 << GR_OBJ_LINK },
	{ "help", GR_HELP, 1 << GR_OBJ_FOU | 1 << GR_OBJ_LINK },
};

static int parse_cmd_word(const char *w, const char *obj_name, struct gr_cmd *cmd, char *err,
			  size_t errlen)
{
	char valid[64] = "";
	size_t off = 0;

	for (size_t i = 0; i < NELEM(cmd_words); i++) {
		if (!(cmd_words[i].objs & (1u << cmd->obj)))
			continue;
		if (!strcmp(w, cmd_words[i].word)) {
			cmd->act = cmd_words[i].act;
			return 0;
		}
		off += (size_t)snprintf(valid + off, sizeof(valid) - off, "%s%s", off ? " " : "",
					cmd_words[i].word);
	}
	return fail(err, errlen, "unknown command \"%s\" for \"%s\"; valid: %s", w, obj_name,
		    valid);
}

int gr_parse(int argc, char *const *argv, struct gr_cmd *cmd, char *err, size_t errlen)
{
	int ret;

	memset(cmd, 0, sizeof(*cmd));
	if (argc < 1)
		return fail(err, errlen, "missing object; valid: fou link decode help");
	if (!strcmp(argv[0], "help")) {
		if (argc > 1)
			return fail(err, errlen, "unexpected argument \"%s\"", argv[1]);
		return 0;
	}
	if (!strcmp(argv[0], "fou"))
		cmd->obj = GR_OBJ_FOU;
	else if (!strcmp(argv[0], "link"))
		cmd->obj = GR_OBJ_LINK;
	else
		return fail(err, errlen, "unknown object \"%s\"; valid: fou link decode help", argv[0]);
	cmd->act = GR_SHOW;
	if (argc >= 2) {
		ret = parse_cmd_word(argv[1], argv[0], cmd, err, errlen);
		if (ret < 0)
			return ret;
	}
	argc -= argc >= 2 ? 2 : 1;
	argv += 2;
	if (cmd->act == GR_HELP || (cmd->obj == GR_OBJ_FOU && cmd->act == GR_SHOW)) {
		if (argc > 0)
			return fail(err, errlen, "unexpected argument \"%s\"", argv[0]);
		return 0;
	}
	if (cmd->obj == GR_OBJ_FOU)
		return parse_fou(argc, argv, cmd, err, errlen);
	return parse_link(argc, argv, cmd, err, errlen);
}

/* ---- cross-field rules */

static const char *pword(const struct gr_cmd *cmd, uint32_t bit)
{
	const char *w = cmd ? cmd->port_word[bit_index(bit)] : NULL;

	return w ? w : bit_word(fou_kws, NELEM(fou_kws), bit);
}

static int check_port_addr(const struct gr_cmd *cmd, const struct uf_port_conf *c,
			   const struct uf_addr *a, uint32_t bit, char *err, size_t errlen)
{
	char buf[64];

	if (!(c->has & bit) || a->family == c->family)
		return 0;
	return fail(err, errlen, "argument \"%s\" is wrong: %s must be an IPv%d address%s",
		    gr_addr_str(a, buf, sizeof(buf)), pword(cmd, bit), c->family,
		    c->family == 4 ? " (add -6 for IPv6)" : "");
}

int gr_check_port(const struct gr_cmd *cmd, const struct uf_port_conf *c, bool add, char *err,
		  size_t errlen)
{
	int ret;

	if (!(c->has & UF_PORT_HAS_PORT))
		return fail(err, errlen, "fou: missing \"port\"");
	if ((c->has & UF_PORT_HAS_IPPROTO) && (c->has & UF_PORT_HAS_GUE))
		return fail(err, errlen, "fou: \"ipproto\" and \"gue\" are exclusive");
	if (add && !(c->has & (UF_PORT_HAS_IPPROTO | UF_PORT_HAS_GUE)))
		return fail(err, errlen, "fou: must set \"ipproto\" or \"gue\"");
	if ((c->has & UF_PORT_HAS_PEER) && !(c->has & UF_PORT_HAS_PEER_PORT))
		return fail(err, errlen, "fou: \"peer\" needs \"peer_port\"");
	if ((c->has & UF_PORT_HAS_PEER_PORT) && !(c->has & UF_PORT_HAS_PEER))
		return fail(err, errlen, "fou: \"peer_port\" needs \"peer\"");
	if ((c->has & UF_PORT_HAS_DEV) && !(c->has & UF_PORT_HAS_LOCAL))
		return fail(err, errlen, "fou: \"dev\" needs \"local\"");
	ret = check_port_addr(cmd, c, &c->local, UF_PORT_HAS_LOCAL, err, errlen);
	if (!ret)
		ret = check_port_addr(cmd, c, &c->peer, UF_PORT_HAS_PEER, err, errlen);
	return ret;
}

static const char *lword(const struct gr_cmd *cmd, uint64_t bit)
{
	const char *w = cmd ? cmd->link_word[bit_index(bit)] : NULL;

	return w ? w : bit_word(link_kws, NELEM(link_kws), bit);
}

static bool is_v4(enum uf_link_type t) { return uf_link_type_family(t) == 4; }
static bool is_v6(enum uf_link_type t) { return uf_link_type_family(t) == 6; }
static bool has_mode(enum uf_link_type t) { return !uf_link_type_is_gre(t); }

/* Keywords that only some types take, with the set of types that do. */
static const struct {
	uint64_t bits;
	bool (*fits)(enum uf_link_type t);
	const char *types;
} type_only[] = {
	{ LH(TTL) | LH(TOS) | LH(PMTUDISC), is_v4, "IPv4 types (ipip sit gre gretap)" },
	{ LH(ENCAPLIMIT) | LH(HOPLIMIT) | LH(TCLASS) | LH(FLOWLABEL), is_v6,
	  "IPv6 types (ip6tnl ip6gre ip6gretap)" },
	{ LH(IKEY) | LH(OKEY) | LH(ICSUM) | LH(OCSUM) | LH(ISEQ) | LH(OSEQ), uf_link_type_is_gre,
	  "GRE types (gre gretap ip6gre ip6gretap)" },
	{ LH(MODE), has_mode, "types ipip sit ip6tnl" },
};

static bool mode_fits(enum uf_link_type t, enum uf_link_mode m)
{
	if (m == UF_MODE_ANY || m == UF_MODE_DEFAULT)
		return true;
	switch (t) {
	case UF_LINK_IPIP:
		return m == UF_MODE_IPIP;
	case UF_LINK_SIT:
		return m == UF_MODE_IPIP || m == UF_MODE_IP6IP;
	case UF_LINK_IP6TNL:
		return m == UF_MODE_IPIP6 || m == UF_MODE_IP6IP6;
	default:
		return false;
	}
}

static int check_link_addr(const struct gr_cmd *cmd, const struct uf_link_conf *c,
			   const struct uf_addr *a, uint64_t bit, char *err, size_t errlen)
{
	int fam = uf_link_type_family(c->type);
	char buf[64];

	if (!(c->has & bit) || a->family == 0 || a->family == fam)
		return 0;
	return fail(err, errlen, "argument \"%s\" is wrong: %s must be an IPv%d address for type %s",
		    gr_addr_str(a, buf, sizeof(buf)), lword(cmd, bit), fam,
		    uf_link_type_name(c->type));
}

int gr_check_link(const struct gr_cmd *cmd, const struct uf_link_conf *c, char *err,
		  size_t errlen)
{
	static const uint64_t required[] = { LH(NAME), LH(TYPE), LH(LOCAL), LH(ENCAP), LH(DPORT) };
	int ret;

	for (size_t i = 0; i < NELEM(required); i++)
		if (!(c->has & required[i]))
			return fail(err, errlen, "link: missing \"%s\"%s",
				    lword(NULL, required[i]),
				    required[i] == LH(LOCAL) ? " (ufou sends from it)" : "");
	if (!gr_ifname_valid(c->name))
		return fail(err, errlen, "argument \"%s\" is wrong: name must be %s", c->name,
			    vkinds[VK_NAME].must);
	if ((unsigned int)c->type >= UF_LINK__COUNT)
		return fail(err, errlen, "link: bad type");
	for (size_t i = 0; i < NELEM(type_only); i++) {
		uint64_t bad = c->has & type_only[i].bits;

		if (bad && !type_only[i].fits(c->type))
			return fail(err, errlen, "\"%s\" is only for %s, not %s",
				    lword(cmd, bad & -bad), type_only[i].types,
				    uf_link_type_name(c->type));
	}
	if (c->local.family == 0)
		return fail(err, errlen, "link: \"local\" must be a concrete address");
	ret = check_link_addr(cmd, c, &c->local, LH(LOCAL), err, errlen);
	if (!ret)
		ret = check_link_addr(cmd, c, &c->remote, LH(REMOTE), err, errlen);
	if (ret)
		return ret;
	if ((c->has & LH(MODE)) && !mode_fits(c->type, c->mode))
		return fail(err, errlen, "argument \"%s\" is wrong: mode does not fit type %s",
			    gr_mode_name(c->mode), uf_link_type_name(c->type));
	if (c->encap != UF_ENCAP_FOU && c->encap != UF_ENCAP_GUE)
		return fail(err, errlen, "link: encap must be fou or gue");
	if (is_v4(c->type) && c->ttl != 0 && !c->pmtudisc)
		return fail(err, errlen, "ttl != 0 and nopmtudisc are incompatible");
	if (c->dport == 0)
		return fail(err, errlen, "link: \"encap-dport\" must be 1..65535");
	return 0;
}

/* Moves field from -> to (has bits and values), unless both were given. */
static int fold_one(struct uf_link_conf *u, uint64_t from, uint64_t to, const char *tname,
		    char *err, size_t errlen)
{
	if (!(u->has & from))
		return 0;
	if (u->has & to)
		return fail(err, errlen, "\"%s\" and \"%s\" both given for type %s",
			    bit_word(link_kws, NELEM(link_kws), from),
			    bit_word(link_kws, NELEM(link_kws), to), tname);
	u->has = (u->has & ~from) | to;
	if (to == LH(HOPLIMIT)) {
		u->hoplimit = u->ttl;
	} else if (to == LH(TTL)) {
		u->ttl = u->hoplimit;
	} else if (to == LH(TCLASS)) {
		u->tclass = u->tos;
		u->tclass_inherit = u->tos_inherit;
	} else {
		u->tos = u->tclass;
		u->tos_inherit = u->tclass_inherit;
	}
	return 0;
}

int gr_link_fold(struct uf_link_conf *u, enum uf_link_type type, char *err, size_t errlen)
{
	const char *tname = uf_link_type_name(type);
	int ret;

	if (uf_link_type_family(type) == 6) {
		ret = fold_one(u, LH(TTL), LH(HOPLIMIT), tname, err, errlen);
		return ret ? ret : fold_one(u, LH(TOS), LH(TCLASS), tname, err, errlen);
	}
	ret = fold_one(u, LH(HOPLIMIT), LH(TTL), tname, err, errlen);
	return ret ? ret : fold_one(u, LH(TCLASS), LH(TOS), tname, err, errlen);
}

void gr_link_merge(struct uf_link_conf *d, const struct uf_link_conf *u)
{
	uint64_t h = u->has;

	if (h & LH(TYPE))
		d->type = u->type;
	if (h & LH(REMOTE))
		d->remote = u->remote;
	if (h & LH(LOCAL))
		d->local = u->local;
	if (h & LH(TTL))
		d->ttl = u->ttl;
	if (h & LH(TOS)) {
		d->tos = u->tos;
		d->tos_inherit = u->tos_inherit;
	}
	if (h & LH(PMTUDISC))
		d->pmtudisc = u->pmtudisc;
	if (h & LH(MODE))
		d->mode = u->mode;
	if (h & LH(ENCAPLIMIT))
		d->encaplimit = u->encaplimit;
	if (h & LH(HOPLIMIT))
		d->hoplimit = u->hoplimit;
	if (h & LH(TCLASS)) {
		d->tclass = u->tclass;
		d->tclass_inherit = u->tclass_inherit;
	}
	if (h & LH(FLOWLABEL)) {
		d->flowlabel = u->flowlabel;
		d->flowlabel_inherit = u->flowlabel_inherit;
	}
	if (h & LH(IKEY))
		d->ikey = u->ikey;
	if (h & LH(OKEY))
		d->okey = u->okey;
	if (h & LH(ICSUM))
		d->icsum = u->icsum;
	if (h & LH(OCSUM))
		d->ocsum = u->ocsum;
	if (h & LH(ISEQ))
		d->iseq = u->iseq;
	if (h & LH(OSEQ))
		d->oseq = u->oseq;
	if (h & LH(DEV))
		memcpy(d->dev, u->dev, sizeof(d->dev));
	if (h & LH(MTU))
		d->mtu = u->mtu;
	if (h & LH(UP))
		d->up = u->up;
	if (h & LH(ENCAP))
		d->encap = u->encap;
	if (h & LH(SPORT))
		d->sport = u->sport;
	if (h & LH(DPORT))
		d->dport = u->dport;
	if (h & LH(ENCAP_CSUM))
		d->encap_csum = u->encap_csum;
	if (h & LH(ENCAP_CSUM6))
		d->encap_csum6 = u->encap_csum6;
	if (h & LH(REMCSUM))
		d->encap_remcsum = u->encap_remcsum;
	d->has |= h & ~LH(NAME);
}

/* ---- usage */

struct wrap {
	FILE *f;
	size_t col;
	size_t indent;
};

static void wrap_word(struct wrap *w, const char *s)
{
	size_t n = strlen(s);

	if (w->col > w->indent && w->col + 1 + n > 78) {
		fprintf(w->f, "\n%*s", (int)w->indent, "");
		w->col = w->indent;
	}
	fprintf(w->f, " %s", s);
	w->col += 1 + n;
}

static bool has_word(const struct gr_kw *kws, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kws[i].word, word))
			return true;
	return false;
}

/* One usage line: rows not flagged skip, required ones unbracketed when req. */
static void usage_line(FILE *f, const char *head, const struct gr_kw *kws, size_t n,
		       unsigned int skip, unsigned int only, bool req)
{
	struct wrap w = { f, 0, 0 };
	char item[256];

	w.col = (size_t)fprintf(f, "%s", head);
	w.indent = w.col > 24 ? 24 : w.col;
	for (size_t i = 0; i < n; i++) {
		const struct gr_kw *k = &kws[i];
		bool r = req && (k->flags & KW_REQ);
		size_t off = 0;

		if ((k->flags & (skip | KW_ALIAS)) || (only && !(k->flags & only)))
			continue;
		if (!strncmp(k->word, "no", 2) && k->vk == VK_NONE && has_word(kws, n, k->word + 2))
			continue;
		if (k->group && i > 0 && kws[i - 1].group == k->group)
			continue;   /* printed with the first row of its group */
		off += (size_t)snprintf(item, sizeof(item), "%s", r ? (k->group ? "{ " : "") : "[ ");
		for (size_t j = i; j < n && (j == i || (k->group && kws[j].group == k->group));
		     j++) {
			char no[64];

			snprintf(no, sizeof(no), "no%s", kws[j].word);
			off += (size_t)snprintf(item + off, sizeof(item) - off, "%s%s%s%s%s",
						j > i ? " | " : "",
						kws[j].vk == VK_NONE && has_word(kws, n, no) ?
						"[no]" : "",
						kws[j].word, kws[j].vk ? " " : "",
						kws[j].vk ? vkinds[kws[j].vk].meta : "");
		}
		snprintf(item + off, sizeof(item) - off, "%s", r ? (k->group ? " }" : "") : " ]");
		wrap_word(&w, item);
	}
	fputc('\n', f);
}

static void where_block(FILE *f, const struct gr_kw *kws, size_t n, bool *done, bool *first)
{
	for (size_t i = 0; i < n; i++) {
		enum gr_vk vk = kws[i].vk;

		if (vk == VK_NONE || done[vk])
			continue;
		done[vk] = true;
		fprintf(f, "%s%s := %s\n", *first ? "Where: " : "       ", vkinds[vk].meta,
			vkinds[vk].domain);
		*first = false;
	}
}

void gr_usage(FILE *f, enum gr_obj obj)
{
	bool done[VK__COUNT] = { false }, first = true;

	if (obj == GR_OBJ_NONE || obj == GR_OBJ_FOU) {
		usage_line(f, "Usage: ufou fou add", fou_kws, NELEM(fou_kws), 0, 0, true);
		usage_line(f, "       ufou fou del", fou_kws, NELEM(fou_kws), 0, KW_IDENT, true);
		fprintf(f, "       ufou fou show\n");
	}
	if (obj == GR_OBJ_NONE || obj == GR_OBJ_LINK) {
		usage_line(f, obj == GR_OBJ_NONE ? "       ufou link add" : "Usage: ufou link add",
			   link_kws, NELEM(link_kws), KW_SETONLY, 0, true);
		usage_line(f, "       ufou link set { NAME | dev NAME }", link_kws,
			   NELEM(link_kws), KW_ADDONLY, 0, false);
		fprintf(f, "       ufou link del { NAME | dev NAME }\n");
		fprintf(f, "       ufou link show [ NAME | dev NAME ]\n");
	}
	if (obj == GR_OBJ_NONE || obj == GR_OBJ_FOU)
		where_block(f, fou_kws, NELEM(fou_kws), done, &first);
	if (obj == GR_OBJ_NONE || obj == GR_OBJ_LINK)
		where_block(f, link_kws, NELEM(link_kws), done, &first);
}

/* ---- printing: the words add takes */

void gr_print_port(struct pr *p, const struct uf_port_conf *c)
{
	char buf[64];

	pr_uint(p, PR_ANY, "port", "port %llu", c->port);
	if (c->gue)
		pr_null(p, "gue", "gue");   /* iproute2: "gue": null */
	else
		pr_uint(p, PR_ANY, "ipproto", "ipproto %llu", c->ipproto);
	pr_str(p, PR_JSON, "family", NULL, c->family == 6 ? "inet6" : "inet");
	pr_bool(p, PR_TEXT, NULL, "-6", c->family == 6);
	if (c->has & UF_PORT_HAS_LOCAL)
		pr_str(p, PR_ANY, "local", "local %s", gr_addr_str(&c->local, buf, sizeof(buf)));
	if (c->has & UF_PORT_HAS_PEER)
		pr_str(p, PR_ANY, "peer", "peer %s", gr_addr_str(&c->peer, buf, sizeof(buf)));
	if (c->has & UF_PORT_HAS_PEER_PORT)
		pr_uint(p, PR_ANY, "peer_port", "peer_port %llu", c->peer_port);
	if (c->has & UF_PORT_HAS_DEV)
		pr_str(p, PR_ANY, "dev", "dev %s", c->dev);
}

/*
 * The JSON of a link follows `ip -j -d link show`: settings in
 * linkinfo.info_data under iproute2's names and value formats, as the
 * kernel reports them (docs/json.md has the table). Text and JSON part
 * where those formats differ from the words add takes.
 */

/* "ttl inherit" / "ttl 64" in text; JSON: the number, 0 for inherit. */
static void print_ttl(struct pr *p, const char *word, uint8_t v)
{
	char fmt[32];

	snprintf(fmt, sizeof(fmt), "%s %%llu", word);
	if (v)
		pr_uint(p, PR_TEXT, NULL, fmt, v);
	else
		pr_str(p, PR_TEXT, NULL, word[0] == 't' ? "ttl %s" : "hoplimit %s", "inherit");
	pr_uint(p, PR_JSON, "ttl", NULL, v);
}

/* A hex string as iproute2's JSON has them: "0x10", "0x00000" (digits: at least). */
static void print_hex_json(struct pr *p, const char *key, int digits, unsigned int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%0*x", digits, v);
	pr_str(p, PR_JSON, key, NULL, buf);
}

static void print_link_v4(struct pr *p, const struct uf_link_conf *c)
{
	print_ttl(p, "ttl", c->ttl);
	/* iproute2: tos only when not 0, the kernel's 1 for inherit. */
	if (c->tos_inherit) {
		pr_str(p, PR_TEXT, NULL, "tos %s", "inherit");
		print_hex_json(p, "tos", 1, 1);
	} else {
		pr_uint(p, PR_TEXT, NULL, "tos 0x%02llx", c->tos);
		if (c->tos)
			print_hex_json(p, "tos", 1, c->tos);
	}
	pr_flag(p, "pmtudisc", "pmtudisc", "nopmtudisc", c->pmtudisc);
}

/* tclass / flowlabel: a hex value, or inherit, which iproute2's JSON says
 * with a flag of its own (ip6_tnl_f_use_orig_*). */
static void print_v6_field(struct pr *p, const char *word, const char *fmt, bool inherit,
			   unsigned int v, const char *flag)
{
	char tfmt[40];

	snprintf(tfmt, sizeof(tfmt), "%s %s", word, fmt);
	if (inherit) {
		snprintf(tfmt, sizeof(tfmt), "%s %%s", word);
		pr_str(p, PR_TEXT, NULL, tfmt, "inherit");
		pr_bool(p, PR_JSON, flag, NULL, true);
		return;
	}
	pr_uint(p, PR_TEXT, NULL, tfmt, v);
	print_hex_json(p, word, word[0] == 't' ? 2 : 5, v);
}

static void print_link_v6(struct pr *p, const struct uf_link_conf *c)
{
	if (c->encaplimit < 0) {
		pr_str(p, PR_TEXT, NULL, "encaplimit %s", "none");
		pr_bool(p, PR_JSON, "ip6_tnl_f_ign_encap_limit", NULL, true);
	} else {
		pr_uint(p, PR_ANY, "encap_limit", "encaplimit %llu", (uint64_t)c->encaplimit);
	}
	/* Unlike ttl, hoplimit 0 is a value: no inherit word for it. */
	pr_uint(p, PR_TEXT, NULL, "hoplimit %llu", c->hoplimit);
	pr_uint(p, PR_JSON, "ttl", NULL, c->hoplimit);
	print_v6_field(p, "tclass", "0x%02llx", c->tclass_inherit, c->tclass,
		       "ip6_tnl_f_use_orig_tclass");
	print_v6_field(p, "flowlabel", "0x%05llx", c->flowlabel_inherit, c->flowlabel,
		       "ip6_tnl_f_use_orig_flowlabel");
}

/* A GRE key: a number in text, iproute2's dotted quad in JSON. */
static void print_key(struct pr *p, const char *word, uint32_t key)
{
	char fmt[16], buf[INET_ADDRSTRLEN];
	uint32_t be = htonl(key);

	snprintf(fmt, sizeof(fmt), "%s %%llu", word);
	pr_uint(p, PR_TEXT, NULL, fmt, key);
	pr_str(p, PR_JSON, word, NULL, inet_ntop(AF_INET, &be, buf, sizeof(buf)));
}

static void print_link_gre(struct pr *p, const struct uf_link_conf *c)
{
	if (c->has & LH(IKEY))
		print_key(p, "ikey", c->ikey);
	if (c->has & LH(OKEY))
		print_key(p, "okey", c->okey);
	/* iproute2 prints the four flags only when set. */
	if (c->icsum)
		pr_bool(p, PR_ANY, "icsum", "icsum", true);
	if (c->ocsum)
		pr_bool(p, PR_ANY, "ocsum", "ocsum", true);
	if (c->iseq)
		pr_bool(p, PR_ANY, "iseq", "iseq", true);
	if (c->oseq)
		pr_bool(p, PR_ANY, "oseq", "oseq", true);
}

/* The checksum flag of the other family: JSON always, text only when on. */
static void print_side_flag(struct pr *p, bool main, const char *key, const char *on,
			    const char *off, bool v)
{
	if (main) {
		pr_flag(p, key, on, off, v);
	} else {
		pr_bool(p, PR_JSON, key, NULL, v);
		pr_bool(p, PR_TEXT, NULL, on, v);
	}
}

/*
 * Text: up or down, the words add and set take. JSON: iproute2's "flags"
 * names. SIOCGIFFLAGS has no LOWER_UP (it is past 16 bits): NO-CARRIER
 * says what RUNNING's absence on an up device means, as ip(8) does.
 */
static void print_dev_flags(struct pr *p, unsigned int f)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ IFF_LOOPBACK, "LOOPBACK" }, { IFF_BROADCAST, "BROADCAST" },
		{ IFF_POINTOPOINT, "POINTOPOINT" }, { IFF_MULTICAST, "MULTICAST" },
		{ IFF_NOARP, "NOARP" }, { IFF_ALLMULTI, "ALLMULTI" }, { IFF_PROMISC, "PROMISC" },
		{ IFF_UP, "UP" },
	};

	pr_str(p, PR_TEXT, NULL, "%s", (f & IFF_UP) ? "up" : "down");
	pr_arr_begin(p, "flags");
	if ((f & IFF_UP) && !(f & IFF_RUNNING))
		pr_str(p, PR_JSON, NULL, NULL, "NO-CARRIER");
	for (size_t i = 0; i < NELEM(names); i++)
		if (f & names[i].bit)
			pr_str(p, PR_JSON, NULL, NULL, names[i].name);
	pr_arr_end(p);
}

static void print_link_encap(struct pr *p, const struct uf_link_conf *c)
{
	bool v6 = uf_link_type_family(c->type) == 6;

	pr_obj_begin(p, "encap");
	pr_str(p, PR_ANY, "type", "encap %s", c->encap == UF_ENCAP_GUE ? "gue" : "fou");
	if (c->sport)
		pr_uint(p, PR_TEXT, NULL, "encap-sport %llu", c->sport);
	else
		pr_str(p, PR_TEXT, NULL, "encap-sport %s", "auto");
	pr_uint(p, PR_JSON, "sport", NULL, c->sport);   /* iproute2: 0 is auto */
	pr_uint(p, PR_ANY, "dport", "encap-dport %llu", c->dport);
	print_side_flag(p, !v6, "csum", "encap-csum", "noencap-csum", c->encap_csum);
	print_side_flag(p, v6, "csum6", "encap-csum6", "noencap-csum6", c->encap_csum6);
	pr_flag(p, "remcsum", "encap-remcsum", "noencap-remcsum", c->encap_remcsum);
	pr_obj_end(p);
}

/* ipip, sit and ip6tnl: the inner protocols (iproute2's "proto"). */
static void print_link_mode(struct pr *p, const struct uf_link_conf *c)
{
	struct uf_link_conf t = { .type = c->type };

	uf_link_conf_defaults(&t);
	if (c->mode != UF_MODE_DEFAULT && c->mode != t.mode)
		pr_str(p, PR_TEXT, NULL, "mode %s", gr_mode_name(c->mode));
	pr_str(p, PR_JSON, "proto", NULL, gr_mode_name(c->mode ? c->mode : t.mode));
}

/* Every setting after the type, in the words `link add` takes. */
static void print_link_body(struct pr *p, const struct uf_link_conf *c)
{
	char buf[64];

	pr_str(p, PR_ANY, "remote", "remote %s", gr_addr_str(&c->remote, buf, sizeof(buf)));
	pr_str(p, PR_ANY, "local", "local %s", gr_addr_str(&c->local, buf, sizeof(buf)));
	if (!uf_link_type_is_gre(c->type))
		print_link_mode(p, c);
	if (uf_link_type_family(c->type) == 6)
		print_link_v6(p, c);
	else
		print_link_v4(p, c);
	if (uf_link_type_is_gre(c->type))
		print_link_gre(p, c);
	if (c->has & LH(DEV))
		pr_str(p, PR_ANY, "link", "dev %s", c->dev);
	print_link_encap(p, c);
}

void gr_print_link(struct pr *p, const struct uf_link_conf *c, const struct uf_link_dev *d)
{
	pr_str(p, PR_ANY, "ifname", "%s:", c->name);
	pr_obj_begin(p, "linkinfo");
	pr_str(p, PR_ANY, "info_kind", "type %s", uf_link_type_name(c->type));
	pr_obj_begin(p, "info_data");
	print_link_body(p, c);
	pr_obj_end(p);
	pr_obj_end(p);
	pr_uint(p, PR_ANY, "mtu", "mtu %llu", d->mtu);
	if (d->known)
		print_dev_flags(p, d->flags);
}

void gr_print_link_add(struct pr *p, const struct uf_link_conf *c)
{
	pr_str(p, PR_TEXT, NULL, "%s", "link add");
	pr_str(p, PR_TEXT, NULL, "name %s", c->name);
	pr_str(p, PR_TEXT, NULL, "type %s", uf_link_type_name(c->type));
	print_link_body(p, c);
	/* Only an MTU the user chose: a computed one follows the underlay. */
	if (c->has & LH(MTU))
		pr_uint(p, PR_TEXT, NULL, "mtu %llu", c->mtu);
}

/* ---- completion: the words valid at a point, walked over the parsing tables */

struct gr_emit {
	void (*fn)(const char *word, void *arg);
	void *arg;
};

static const char *const gr_objects[] = { "fou", "link", "decode", "help" };

/* Values of an enumerated kind; free-form kinds (PORT, ADDR, ...) have none. */
static unsigned int complete_values(enum gr_vk vk, bool typed, enum uf_link_type type,
				    const struct gr_emit *e)
{
	switch (vk) {
	case VK_PROTO:
		for (size_t i = 0; i < NELEM(proto_names); i++)
			e->fn(proto_names[i].n, e->arg);
		return 0;
	case VK_TYPE:
		for (int t = 0; t < UF_LINK__COUNT; t++)
			e->fn(uf_link_type_name((enum uf_link_type)t), e->arg);
		return 0;
	case VK_MODE:
		for (int m = UF_MODE_IPIP; m <= UF_MODE_ANY; m++)
			if (!typed || mode_fits(type, (enum uf_link_mode)m))
				e->fn(mode_names[m], e->arg);
		return 0;
	case VK_RADDR:
		e->fn("any", e->arg);
		return 0;
	case VK_TTL:
	case VK_TOS:
	case VK_TCLASS:
	case VK_FLOWLABEL:
		e->fn("inherit", e->arg);
		return 0;
	case VK_ELIM:
		e->fn("none", e->arg);
		return 0;
	case VK_ENCAP:
		e->fn("fou", e->arg);
		e->fn("gue", e->arg);
		return 0;
	case VK_SPORT:
		e->fn("auto", e->arg);
		return 0;
	case VK_IFNAME:
		return GR_WANT_IFNAME;
	default:
		return 0;
	}
}

/* ttl/hoplimit and tos/tclass are one setting each (gr_link_fold): given one, hide both. */
static uint64_t link_same_setting(uint64_t has)
{
	if (has & (LH(TTL) | LH(HOPLIMIT)))
		has |= LH(TTL) | LH(HOPLIMIT);
	if (has & (LH(TOS) | LH(TCLASS)))
		has |= LH(TOS) | LH(TCLASS);
	return has;
}

static bool type_takes(uint64_t bits, enum uf_link_type type)
{
	for (size_t i = 0; i < NELEM(type_only); i++)
		if ((bits & type_only[i].bits) && !type_only[i].fits(type))
			return false;
	return true;
}

struct kw_state {
	bool link;            /* link_kws (HAS bits are UF_LINK_HAS_*) */
	unsigned int skip;    /* rows this verb does not take */
	unsigned int only;    /* if set, only rows with one of these flags */
	uint64_t has;         /* settings given so far */
	unsigned int groups;  /* alternative groups given so far (ipproto | gue) */
};

static bool kw_offered(const struct gr_kw *k, const struct kw_state *st,
		       const struct gr_cmd *cmd)
{
	uint64_t given = st->link ? link_same_setting(st->has) : st->has;

	if ((k->flags & (st->skip | KW_ALIAS)) || (st->only && !(k->flags & st->only)))
		return false;
	if ((k->has & given) || (k->group && (st->groups & (1u << k->group))))
		return false;
	return !st->link || !(st->has & LH(TYPE)) || type_takes(k->has, cmd->link.type);
}

static const struct gr_kw *find_kw(const struct gr_kw *kws, size_t n, unsigned int skip,
				   const char *word)
{
	for (size_t k = 0; k < n; k++)
		if (!(kws[k].flags & skip) && !strcmp(word, kws[k].word))
			return &kws[k];
	return NULL;
}

/*
 * Replays the given keywords through the table (as parse_kws does, setters
 * included, so the type is known), then offers the value the last keyword
 * still needs or the keywords not yet given. A word the table does not take
 * ends it with nothing: completing after an error would only mislead.
 */
static unsigned int complete_kws(const struct gr_kw *kws, size_t n, struct kw_state *st,
				 int argc, char *const *argv, struct gr_cmd *cmd,
				 const struct gr_emit *e)
{
	for (int i = 0; i < argc; i++) {
		const struct gr_kw *kw = find_kw(kws, n, st->skip, argv[i]);
		union gr_val v;

		if (!kw)
			return 0;
		memset(&v, 0, sizeof(v));
		if (kw->vk != VK_NONE) {
			if (i + 1 == argc)
				return complete_values(kw->vk, st->link && (st->has & LH(TYPE)),
						       cmd->link.type, e);
			if (vk_parse(kw->vk, argv[++i], &v) < 0)
				return 0;
		}
		kw->set(cmd, &v);
		st->has |= kw->has;
		if (kw->group)
			st->groups |= 1u << kw->group;
	}
	for (size_t k = 0; k < n; k++)
		if (kw_offered(&kws[k], st, cmd))
			e->fn(kws[k].word, e->arg);
	return 0;
}

/* link set|del|show { NAME | dev NAME } [ set's keywords ] */
static unsigned int complete_link_named(int argc, char *const *argv, struct gr_cmd *cmd,
					const struct gr_emit *e)
{
	struct kw_state st = { .link = true, .skip = KW_ADDONLY };
	int used = argc > 0 && !strcmp(argv[0], "dev") ? 2 : 1;

	if (argc == 0)
		e->fn("dev", e->arg);
	if (argc < used)
		return GR_WANT_LINK;
	if (cmd->act != GR_SET)
		return 0;
	return complete_kws(link_kws, NELEM(link_kws), &st, argc - used, argv + used, cmd, e);
}

unsigned int gr_complete(int argc, char *const *argv, void (*fn)(const char *word, void *arg),
			 void *arg)
{
	const struct gr_emit e = { fn, arg };
	struct kw_state st = { 0 };
	struct gr_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	if (argc == 0) {
		for (size_t i = 0; i < NELEM(gr_objects); i++)
			fn(gr_objects[i], arg);
		return 0;
	}
	if (!strcmp(argv[0], "fou"))
		cmd.obj = GR_OBJ_FOU;
	else if (!strcmp(argv[0], "link"))
		cmd.obj = GR_OBJ_LINK;
	else
		return 0;
	if (argc == 1) {
		for (size_t i = 0; i < NELEM(cmd_words); i++)
			if (cmd_words[i].objs & (1u << cmd.obj))
				fn(cmd_words[i].word, arg);
		return 0;
	}
	if (parse_cmd_word(argv[1], argv[0], &cmd, NULL, 0) < 0)
		return 0;
	if (cmd.obj == GR_OBJ_LINK && cmd.act == GR_ADD) {
		st.link = true;
		st.skip = KW_SETONLY;
		return complete_kws(link_kws, NELEM(link_kws), &st, argc - 2, argv + 2, &cmd, &e);
	}
	if (cmd.obj == GR_OBJ_LINK && cmd.act != GR_HELP)
		return complete_link_named(argc - 2, argv + 2, &cmd, &e);
	if (cmd.act == GR_ADD || cmd.act == GR_DEL) {
		st.only = cmd.act == GR_DEL ? KW_IDENT : 0;
		return complete_kws(fou_kws, NELEM(fou_kws), &st, argc - 2, argv + 2, &cmd, &e);
	}
	return 0;
}
