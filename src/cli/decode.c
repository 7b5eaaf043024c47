// SPDX-License-Identifier: GPL-2.0
/*
 * ufou decode: reads a classic pcap file and shows every FOU/GUE layer of
 * each packet, with the reason Linux would drop it. Runs locally; the same
 * decoder (uf_decode_ip) as the daemon's receive path does the work.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/decode.h"
#include "common/json.h"
#include "proto/bytes.h"
#include "proto/pcap.h"

#define DECODE_MAX_PORTS 64
#define DECODE_MAX_CAPLEN 262144

const struct uf_port_kind decode_default_ports[] = {
	{ .port = 5555, .ipproto = UF_IPPROTO_IPIP },
	{ .port = 5541, .ipproto = UF_IPPROTO_IPV6 },
	{ .port = 5547, .ipproto = UF_IPPROTO_GRE },
	{ .port = 5557, .ipproto = UF_IPPROTO_IPIP },   /* IPv6 outer */
	{ .port = 5561, .ipproto = UF_IPPROTO_IPV6 },
	{ .port = 5567, .ipproto = UF_IPPROTO_GRE },
	{ .port = 5556, .gue = true },
	{ .port = 5558, .gue = true },
	{ .port = 6080, .gue = true },
};
const size_t decode_default_nports = sizeof(decode_default_ports) / sizeof(decode_default_ports[0]);

struct decode_opts {
	struct uf_port_kind ports[DECODE_MAX_PORTS];
	size_t nports;
	bool json;
	const char *file;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ufou decode [--fou PORT:IPPROTO]... [--gue PORT]... [-j] FILE.pcap\n"
		"  --fou PORT:IPPROTO  FOU receive port (IPPROTO: number, ipip, ipv6, gre)\n"
		"  --gue PORT          GUE receive port\n"
		"  -j, --json          JSON output (an array, one object per packet)\n"
		"  -h, --help          this help\n"
		"Without --fou/--gue: FOU 5555:4 5541:41 5547:47 5557:4 5561:41 5567:47,\n"
		"GUE 5556 5558 6080.\n");
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ufou decode: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

/* Parses a decimal number in [min, max] spanning all of s. */
static bool parse_num(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_ipproto(const char *s, unsigned long *out)
{
	static const struct { const char *name; uint8_t proto; } names[] = {
		{ "ipip", UF_IPPROTO_IPIP }, { "ip", UF_IPPROTO_IPIP },
		{ "ipv6", UF_IPPROTO_IPV6 }, { "sit", UF_IPPROTO_IPV6 },
		{ "gre", UF_IPPROTO_GRE },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].proto;
			return true;
		}
	}
	return parse_num(s, 1, 255, out);
}

static bool parse_fou(const char *arg, struct uf_port_kind *k)
{
	char buf[32];
	char *colon;
	unsigned long port, proto;

	if (strlen(arg) >= sizeof(buf))
		return false;
	strcpy(buf, arg);
	colon = strchr(buf, ':');
	if (!colon)
		return false;
	*colon = '\0';
	if (!parse_num(buf, 1, 65535, &port) || !parse_ipproto(colon + 1, &proto))
		return false;
	*k = (struct uf_port_kind){ .port = (uint16_t)port, .ipproto = (uint8_t)proto };
	return true;
}

static int parse_args(int argc, char **argv, struct decode_opts *o)
{
	static const struct option longopts[] = {
		{ "fou", required_argument, NULL, 'f' },
		{ "gue", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long port;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;     /* GNU: full reinitialisation, decode_main may run twice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		const char *tok = argv[optind - 1];

		switch (c) {
		case 'f':
		case 'g':
			if (o->nports == DECODE_MAX_PORTS)
				return usage_error("too many ports at '%s'", optarg);
			if (c == 'f' && !parse_fou(optarg, &o->ports[o->nports]))
				return usage_error("bad --fou '%s' (want PORT:IPPROTO)", optarg);
			if (c == 'g') {
				if (!parse_num(optarg, 1, 65535, &port))
					return usage_error("bad --gue port '%s'", optarg);
				o->ports[o->nports] = (struct uf_port_kind){
					.port = (uint16_t)port, .gue = true };
			}
			o->nports++;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument", tok);
		default:
			if (optopt) {
				char t[3] = { '-', (char)optopt, '\0' };

				return usage_error("unknown option '%s'", t);
			}
			return usage_error("unknown option '%s'", tok);
		}
	}
	if (optind >= argc)
		return usage_error("missing FILE.pcap");
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	o->file = argv[optind];
	if (!o->nports) {
		memcpy(o->ports, decode_default_ports, sizeof(decode_default_ports));
		o->nports = decode_default_nports;
	}
	return -1;
}

/* Reads the whole file; returns 0, or an errno value. */
static int read_file(const char *path, uint8_t **out, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	int err = 0;

	if (!f)
		return errno;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = errno ? errno : EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

static const char *addr_str(const struct uf_ip *ip, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(ip->family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static const char *l4_name(uint8_t proto)
{
	switch (proto) {
	case UF_IPPROTO_ICMP: return "ICMP";
	case UF_IPPROTO_TCP: return "TCP";
	case UF_IPPROTO_UDP: return "UDP";
	case UF_IPPROTO_ICMPV6: return "ICMPv6";
	case UF_IPPROTO_IPIP: return "IPIP";
	case UF_IPPROTO_IPV6: return "IPv6";
	case UF_IPPROTO_GRE: return "GRE";
	default: return NULL;
	}
}

/* ---- human output: one line per layer */

static void human_ip(const struct uf_ip *ip, bool outer)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	printf("  IPv%u %s > %s", ip->family, addr_str(ip, ip->src, s, sizeof(s)),
	       addr_str(ip, ip->dst, d, sizeof(d)));
	if (!outer)
		printf(" proto %u", ip->proto);
	if (ip->family == 4) {
		printf(" ttl %u tos 0x%02x", ip->ttl, ip->tos);
		if (outer) {
			printf("%s id 0x%04x", ip->df ? " df" : "", ip->id);
			if (ip->mf || ip->frag_off)
				printf(" frag %u%s", ip->frag_off * 8u, ip->mf ? "+" : "");
		}
	} else {
		printf(" hlim %u tclass 0x%02x", ip->ttl, ip->tos);
		if (outer) {
			printf(" flowlabel 0x%05x", ip->flowlabel);
			if (ip->encap_limit >= 0)
				printf(" encap-limit %d", ip->encap_limit);
		}
	}
	putchar('\n');
}

static void human_gue(const struct uf_gue *g)
{
	if (g->version == 1) {
		printf("  GUE ver 1 (direct IP) proto %u\n", g->proto);
		return;
	}
	printf("  GUE ver %u C %u hlen %u proto %u flags 0x%04x", g->version, g->control,
	       g->hlen, g->proto, g->flags);
	if (g->flags & UF_GUE_FLAG_PRIV)
		printf(" priv 0x%08x", g->priv);
	if (g->remcsum)
		printf(" remcsum start %u offset %u", g->remcsum_start, g->remcsum_offset);
	putchar('\n');
}

static void human_gre(const struct uf_gre *g)
{
	printf("  GRE flags 0x%04x proto 0x%04x", g->flags, g->proto);
	if (g->has_key)
		printf(" key 0x%08x", g->key);
	if (g->has_seq)
		printf(" seq %u", g->seq);
	if (g->has_csum)
		printf(" csum 0x%04x %s", g->csum, uf_csum_state_name(g->csum_state));
	putchar('\n');
}

static void human_l4(const struct uf_l4info *l4)
{
	const char *name = l4_name(l4->proto);

	if (name)
		printf("  %s", name);
	else
		printf("  proto %u", l4->proto);
	if (l4->has_ports)
		printf(" %u > %u", l4->sport, l4->dport);
	if (l4->has_icmp)
		printf(" type %u code %u", l4->icmp_type, l4->icmp_code);
	if (l4->csum_known)
		printf(" csum 0x%04x %s", l4->csum, uf_csum_state_name(l4->csum_state));
	putchar('\n');
}

static void human_pkt(const struct uf_pkt *pkt)
{
	char s[32], d[32];

	if (pkt->has_outer)
		human_ip(&pkt->outer, true);
	if (pkt->has_udp)
		printf("  UDP %u > %u len %u csum 0x%04x %s\n", pkt->udp.sport, pkt->udp.dport,
		       pkt->udp.len, pkt->udp.csum, uf_csum_state_name(pkt->udp.csum_state));
	if (pkt->encap == UF_ENCAP_FOU)
		printf("  FOU proto %u\n", pkt->ipproto);
	if (pkt->has_gue)
		human_gue(&pkt->gue);
	if (pkt->has_gre)
		human_gre(&pkt->gre);
	if (pkt->has_eth)
		printf("  Ethernet %s > %s type 0x%04x\n", mac_str(pkt->eth_src, s, sizeof(s)),
		       mac_str(pkt->eth_dst, d, sizeof(d)), pkt->eth_type);
	if (pkt->has_inner)
		human_ip(&pkt->inner, false);
	if (pkt->has_l4)
		human_l4(&pkt->l4);
	if (pkt->drop != UF_DROP_NONE)
		printf("  drop: %s\n", uf_drop_name(pkt->drop));
}

/* ---- JSON output */

static void json_ip(struct json *j, const char *key, const struct uf_ip *ip, bool outer)
{
	char a[INET6_ADDRSTRLEN];

	json_obj_begin(j, key);
	json_uint(j, "family", ip->family);
	json_str(j, "src", addr_str(ip, ip->src, a, sizeof(a)));
	json_str(j, "dst", addr_str(ip, ip->dst, a, sizeof(a)));
	json_uint(j, "proto", ip->proto);
	json_uint(j, "ttl", ip->ttl);
	json_uint(j, "tos", ip->tos);
	if (ip->family == 4) {
		json_bool(j, "df", ip->df);
		json_uint(j, "id", ip->id);
		if (outer) {
			json_bool(j, "mf", ip->mf);
			json_uint(j, "frag_off", ip->frag_off);
		}
	} else {
		json_uint(j, "flowlabel", ip->flowlabel);
	}
	if (outer) {
		if (ip->family == 6 && ip->encap_limit >= 0)
			json_uint(j, "encap_limit", (uint64_t)ip->encap_limit);
		else
			json_null(j, "encap_limit");
	}
	json_obj_end(j);
}

static void json_gue(struct json *j, const struct uf_gue *g)
{
	json_obj_begin(j, "gue");
	json_uint(j, "version", g->version);
	json_bool(j, "control", g->control);
	json_uint(j, "hlen", g->hlen);
	json_uint(j, "proto", g->proto);
	json_uint(j, "flags", g->flags);
	if (g->flags & UF_GUE_FLAG_PRIV)
		json_uint(j, "priv", g->priv);
	if (g->remcsum) {
		json_obj_begin(j, "remcsum");
		json_uint(j, "start", g->remcsum_start);
		json_uint(j, "offset", g->remcsum_offset);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_gre(struct json *j, const struct uf_gre *g)
{
	json_obj_begin(j, "gre");
	json_uint(j, "flags", g->flags);
	json_uint(j, "proto", g->proto);
	if (g->has_key)
		json_uint(j, "key", g->key);
	if (g->has_seq)
		json_uint(j, "seq", g->seq);
	if (g->has_csum)
		json_str(j, "csum", uf_csum_state_name(g->csum_state));
	json_obj_end(j);
}

static void json_l4(struct json *j, const struct uf_l4info *l4)
{
	json_obj_begin(j, "l4");
	json_uint(j, "proto", l4->proto);
	if (l4->has_ports) {
		json_uint(j, "sport", l4->sport);
		json_uint(j, "dport", l4->dport);
	}
	if (l4->has_icmp) {
		json_uint(j, "type", l4->icmp_type);
		json_uint(j, "code", l4->icmp_code);
	}
	if (l4->csum_known) {
		json_uint(j, "csum_value", l4->csum);
		json_str(j, "csum", uf_csum_state_name(l4->csum_state));
	}
	json_obj_end(j);
}

static void json_pkt(struct json *j, const struct uf_pkt *pkt)
{
	char s[32];

	if (pkt->has_outer)
		json_ip(j, "outer", &pkt->outer, true);
	if (pkt->has_udp) {
		json_obj_begin(j, "udp");
		json_uint(j, "sport", pkt->udp.sport);
		json_uint(j, "dport", pkt->udp.dport);
		json_uint(j, "len", pkt->udp.len);
		json_str(j, "csum", uf_csum_state_name(pkt->udp.csum_state));
		json_uint(j, "csum_value", pkt->udp.csum);
		json_obj_end(j);
	}
	if (pkt->encap == UF_ENCAP_FOU || pkt->encap == UF_ENCAP_GUE) {
		json_str(j, "encap", pkt->encap == UF_ENCAP_FOU ? "fou" : "gue");
		json_uint(j, "ipproto", pkt->ipproto);
	}
	if (pkt->has_gue)
		json_gue(j, &pkt->gue);
	if (pkt->has_gre)
		json_gre(j, &pkt->gre);
	if (pkt->has_eth) {
		json_obj_begin(j, "eth");
		json_str(j, "src", mac_str(pkt->eth_src, s, sizeof(s)));
		json_str(j, "dst", mac_str(pkt->eth_dst, s, sizeof(s)));
		json_uint(j, "type", pkt->eth_type);
		json_obj_end(j);
	}
	if (pkt->has_inner)
		json_ip(j, "inner", &pkt->inner, false);
	if (pkt->has_l4)
		json_l4(j, &pkt->l4);
	if (pkt->drop != UF_DROP_NONE)
		json_str(j, "drop", uf_drop_name(pkt->drop));
}

/* ---- the capture loop */

struct decode_run {
	const struct decode_opts *o;
	struct json j;
	uint8_t *pkt_buf;      /* each record is copied here: decode writes (remcsum) */
	unsigned int index;
};

static void decode_record(struct decode_run *r, uint32_t linktype, const struct uf_pcap_rec *rec)
{
	struct uf_pkt pkt;
	size_t l3 = 0;
	int err;

	r->index++;
	memcpy(r->pkt_buf, rec->data, rec->caplen);
	err = uf_pcap_l3_offset(linktype, r->pkt_buf, rec->caplen, &l3);
	if (!err) {
		memset(&pkt, 0, sizeof(pkt));
		uf_decode_ip(r->pkt_buf + l3, rec->caplen - l3, r->o->ports, r->o->nports, &pkt);
	}
	if (r->o->json) {
		json_obj_begin(&r->j, NULL);
		json_uint(&r->j, "index", r->index);
		json_uint(&r->j, "len", rec->caplen);
		if (rec->origlen != rec->caplen)
			json_uint(&r->j, "origlen", rec->origlen);
		if (err)
			json_str(&r->j, "skipped", err == -ENOENT ? "not IPv4/IPv6"
							: "truncated link header");
		else
			json_pkt(&r->j, &pkt);
		json_obj_end(&r->j);
		return;
	}
	printf("packet %u: %u bytes", r->index, rec->caplen);
	if (rec->origlen != rec->caplen)
		printf(" (of %u)", rec->origlen);
	putchar('\n');
	if (err)
		printf("  skipped: %s\n",
		       err == -ENOENT ? "not IPv4/IPv6" : "truncated link header");
	else
		human_pkt(&pkt);
}

/* Explains why uf_pcap_open refused the file. */
static const char *open_error(const uint8_t *buf, size_t len)
{
	uint32_t magic;

	if (len < 24)
		return "too short for a pcap file header";
	magic = get_be32(buf);
	if (magic == 0x0a0d0d0a)
		return "pcapng is not supported (convert: editcap -F pcap IN OUT)";
	if (magic != 0xa1b2c3d4 && magic != 0xd4c3b2a1 && magic != 0xa1b23c4d &&
	    magic != 0x4d3cb2a1)
		return "not a pcap file (bad magic)";
	return "unsupported pcap version (want 2.x)";
}

static int decode_file(const struct decode_opts *o, const uint8_t *buf, size_t len)
{
	struct decode_run r = { .o = o };
	struct uf_pcap pc;
	struct uf_pcap_rec rec;
	size_t dummy;
	int rc = 0, n;

	if (uf_pcap_open(&pc, buf, len)) {
		fprintf(stderr, "ufou decode: %s: %s\n", o->file, open_error(buf, len));
		return 1;
	}
	if (uf_pcap_l3_offset(pc.linktype, NULL, 0, &dummy) == -EPROTONOSUPPORT) {
		fprintf(stderr, "ufou decode: %s: unsupported link type %u\n", o->file,
			pc.linktype);
		return 1;
	}
	r.pkt_buf = malloc(DECODE_MAX_CAPLEN);
	if (!r.pkt_buf) {
		fprintf(stderr, "ufou decode: out of memory\n");
		return 1;
	}
	if (o->json) {
		json_init(&r.j, stdout, true);
		json_arr_begin(&r.j, NULL);
	}
	while ((n = uf_pcap_next(&pc, &rec)) == 1)
		decode_record(&r, pc.linktype, &rec);
	if (n < 0) {
		fflush(stdout);
		fprintf(stderr, "ufou decode: %s: truncated or corrupt record after packet %u "
			"(file offset %zu of %zu)\n", o->file, r.index, pc.off, len);
		rc = 1;
	}
	if (o->json) {
		json_arr_end(&r.j);
		if (json_end(&r.j))
			rc = 1;
	}
	free(r.pkt_buf);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

int decode_main(int argc, char **argv)
{
	struct decode_opts o;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc, err;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	err = read_file(o.file, &buf, &len);
	if (err) {
		fprintf(stderr, "ufou decode: %s: %s\n", o.file, strerror(err));
		return 1;
	}
	rc = decode_file(&o, buf, len);
	free(buf);
	return rc;
}
