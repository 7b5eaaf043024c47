// SPDX-License-Identifier: GPL-2.0
/*
 * Differential: the eBPF decapsulation (ufou_decap, run by
 * BPF_PROG_TEST_RUN) against the userspace receive path (uf_decode_ip,
 * the port sockets' filters, dp_lookup, link_rx's checks) on one fixed
 * configuration of ports and links.
 *
 * Input: the outer IP packet. The frame the program sees is a fixed
 * Ethernet header whose EtherType follows the version nibble (6: IPv6,
 * anything else: IPv4), then the input; userspace decodes the same bytes.
 * Whatever the program leaves alone (TC_ACT_OK) the slow path takes, so
 * the only rules are:
 *   - it returns TC_ACT_OK or TC_ACT_REDIRECT, nothing else;
 *   - TC_ACT_OK: the frame comes back unchanged;
 *   - TC_ACT_REDIRECT: userspace delivers the packet too, to the link the
 *     program counted it for (its per-link counters tell, as test_run does
 *     not show the redirect target), and the frame is the Ethernet header
 *     with the inner family's EtherType followed by exactly the bytes the
 *     tunnel device gets from userspace.
 * The program's branches are not instrumented; which hand-over reason or
 * link its counters show is fed back to libFuzzer as extra counters.
 *
 * What test_run cannot show: an skb it builds is never CHECKSUM_UNNECESSARY,
 * so a datagram with a UDP checksum always goes the slow path (the seeds
 * have theirs zeroed), and it is never GSO. It refuses a network header
 * shorter than 20 / 40 bytes and more than about a page of data.
 *
 * ufou_encap is not run: test_run always builds an skb with a 14-byte
 * link-layer header (eth_type_trans, mac_len 14, whatever ifindex ctx_in
 * names), and bpf_skb_adjust_room(BPF_ADJ_ROOM_MAC) then inserts the outer
 * headers behind those 14 bytes, where on a TUN device (mac_len 0) they go
 * in front of the inner IP header. No test_run input reproduces the
 * layout the program is written for: fuzz_bpf_encap.c runs it on a real
 * TUN device in a network namespace of its own.
 *
 * Needs root (CAP_BPF + CAP_NET_ADMIN) and a BPF-capable kernel; nothing
 * is attached anywhere, the tunnel ifindexes do not exist (test_run
 * returns the program's TC_ACT_REDIRECT without delivering anything).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/fp.h"
#include "dataplane/fp_abi.h"
#include "dataplane/fp_entry.h"
#include "dataplane/lookup.h"
#include "fuzz.h"
#include "proto/decap.h"
#include "ufou.skel.h"

#define ETH_HLEN 14
#define MAX_IP 3000                 /* test_run takes a page less head/tailroom */
#define OUT_SIZE 65536
#define FAKE_IFINDEX 0x7f000000u    /* + link slot: no such device */

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- the configuration (addresses as in tests/vectors: host .1, guest .2) */

struct lspec {
	enum uf_link_type type;
	enum uf_link_mode mode;
	const char *local, *remote;   /* NULL: any */
	int64_t ikey;                 /* -1: none */
	bool icsum;
};

/* In order of addition: where two claim the same packets the first wins. */
static const struct lspec lspecs[] = {
	{ UF_LINK_IPIP, UF_MODE_DEFAULT, "198.18.0.1", "198.18.0.2", -1, false },
	{ UF_LINK_GRE, UF_MODE_DEFAULT, "198.18.0.1", "198.18.0.2", 7, false },
	{ UF_LINK_IP6TNL, UF_MODE_ANY, "fd00:18::1", "fd00:18::2", -1, false },
	{ UF_LINK_SIT, UF_MODE_ANY, "198.18.0.1", NULL, -1, false },          /* remote any */
	{ UF_LINK_GRE, UF_MODE_DEFAULT, NULL, NULL, -1, false },              /* wildcard */
	{ UF_LINK_IP6GRE, UF_MODE_DEFAULT, "fd00:18::1", "fd00:18::2", -1, false },
	{ UF_LINK_GRE, UF_MODE_DEFAULT, "198.18.0.1", "198.18.0.3", -1, true }, /* rx slow */
	{ UF_LINK_GRETAP, UF_MODE_DEFAULT, "198.18.0.1", "198.18.0.4", -1, false },
	{ UF_LINK_GRE, UF_MODE_DEFAULT, "198.18.0.1", "198.18.0.2", 7, false }, /* twin of 1 */
	{ UF_LINK_IPIP, UF_MODE_DEFAULT, "198.18.0.9", "198.18.0.5", -1, false },
};
#define NLINKS (sizeof(lspecs) / sizeof(lspecs[0]))

struct pspec {
	uint8_t family;
	uint16_t port;
	bool gue;
	uint8_t ipproto;
	const char *local, *peer;
};

/* `ufou decode`'s default ports, per family, two with socket filters. */
static const struct pspec pspecs[] = {
	{ 4, 5555, false, 4, NULL, NULL },
	{ 4, 5541, false, 41, NULL, "198.18.0.2" },
	{ 4, 5547, false, 47, NULL, NULL },
	{ 4, 5556, true, 0, NULL, NULL },
	{ 6, 5557, false, 4, NULL, NULL },
	{ 6, 5561, false, 41, NULL, NULL },
	{ 6, 5567, false, 47, NULL, NULL },
	{ 6, 5558, true, 0, "fd00:18::1", NULL },
};
#define NPORTS (sizeof(pspecs) / sizeof(pspecs[0]))

/* The namespace's addresses: only these receive. */
static const char *const local_addrs[] = { "198.18.0.1", "198.18.0.9", "fd00:18::1", "fd00:18::9" };
#define NLOCAL (sizeof(local_addrs) / sizeof(local_addrs[0]))

static struct {
	struct ufou_bpf *skel;
	int prog, lst, pst;
	int ncpu;
	bool decap_flags;
	struct uf_link_conf links[NLINKS];
	struct dp_lk_link lk[NLINKS];
	const struct dp_lk_link *lkv[NLINKS];
	struct uf_port_conf ports[NPORTS];
	struct uf_port_kind kinds[NPORTS];
	struct uf_addr local[NLOCAL];
	struct fp_lstats lseen[NLINKS];          /* counters as last read */
	struct fp_pstats pseen[NPORTS];
	void *cpubuf;                            /* one per-CPU map value */
	uint64_t runs, redirects;
} F;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ERROR: fuzz_bpf: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static struct uf_addr addr(const char *s)
{
	struct uf_addr a;

	memset(&a, 0, sizeof(a));
	if (!s)
		return a;
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = 6;
	else
		die("bad address %s", s);
	return a;
}

static size_t alen(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static bool addr_is(const struct uf_addr *a, uint8_t family, const uint8_t *b)
{
	return a->family == family && !memcmp(a->a, b, alen(family));
}

/* ---- the maps, filled by the daemon's own entry builders (fp_entry.c) */

static void rx_entry(int slot, struct fp_rx_key *k, struct fp_rx *v)
{
	const struct uf_link_conf *c = &F.links[slot];

	fp_rx_entry(c, (int)(FAKE_IFINDEX + (uint32_t)slot), slot, fp_link_rx_ok(c), k, v);
}

static void port_entry(int slot, struct fp_port_key *k, struct fp_port *v)
{
	fp_port_entry(&F.ports[slot], slot, k, v);
}

static void map_put(int fd, const void *k, const void *v, const char *what)
{
	if (bpf_map_update_elem(fd, k, v, BPF_ANY))
		die("%s: %s", what, strerror(errno));
}

static void setup_links(void)
{
	int fd = bpf_map__fd(F.skel->maps.fp_rxl);
	struct fp_rx_key k, seen[NLINKS];
	struct fp_rx v;
	size_t nseen = 0;

	for (size_t i = 0; i < NLINKS; i++) {
		const struct lspec *s = &lspecs[i];
		struct uf_link_conf *c = &F.links[i];
		bool dup = false;

		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "fz%zu", i);
		c->has = UF_LINK_HAS_NAME | UF_LINK_HAS_TYPE | UF_LINK_HAS_REMOTE | UF_LINK_HAS_MODE |
			 UF_LINK_HAS_ENCAP | UF_LINK_HAS_DPORT;
		c->type = s->type;
		c->mode = s->mode;
		c->encap = UF_ENCAP_FOU;
		c->dport = 5555;
		c->local = addr(s->local);
		c->remote = addr(s->remote);
		if (s->local)
			c->has |= UF_LINK_HAS_LOCAL;
		if (s->ikey >= 0) {
			c->has |= UF_LINK_HAS_IKEY | UF_LINK_HAS_OKEY;
			c->ikey = c->okey = (uint32_t)s->ikey;
		}
		if (s->icsum) {
			c->has |= UF_LINK_HAS_ICSUM;
			c->icsum = true;
		}
		uf_link_conf_defaults(c);
		/* dp.c link_derive()'s lookup view. */
		F.lk[i] = (struct dp_lk_link){ .type = c->type, .mode = c->mode, .local = c->local,
					       .remote = c->remote,
					       .has_ikey = !!(c->has & UF_LINK_HAS_IKEY),
					       .ikey = c->ikey };
		F.lkv[i] = &F.lk[i];
		if (if_indextoname(FAKE_IFINDEX + (unsigned int)i, (char[IF_NAMESIZE]){ 0 }))
			die("ifindex %u exists: pick another FAKE_IFINDEX", FAKE_IFINDEX + (unsigned)i);
		/* fp.c rx_sync(): the oldest link claims an entry, later twins are skipped. */
		rx_entry((int)i, &k, &v);
		for (size_t j = 0; j < nseen && !dup; j++)
			dup = !memcmp(&seen[j], &k, sizeof(k));
		if (dup)
			continue;
		seen[nseen++] = k;
		map_put(fd, &k, &v, "fp_rxl");
	}
}

static void setup_ports(void)
{
	int fd = bpf_map__fd(F.skel->maps.fp_ports);

	for (size_t i = 0; i < NPORTS; i++) {
		const struct pspec *s = &pspecs[i];
		struct uf_port_conf *c = &F.ports[i];
		struct fp_port_key k, kk;
		struct fp_port v, vv;

		memset(c, 0, sizeof(*c));
		c->has = UF_PORT_HAS_PORT | UF_PORT_HAS_FAMILY |
			 (s->gue ? UF_PORT_HAS_GUE : UF_PORT_HAS_IPPROTO);
		c->port = s->port;
		c->family = s->family;
		c->gue = s->gue;
		c->ipproto = s->ipproto;
		if (s->local) {
			c->has |= UF_PORT_HAS_LOCAL;
			c->local = addr(s->local);
		}
		if (s->peer) {
			c->has |= UF_PORT_HAS_PEER;
			c->peer = addr(s->peer);
		}
		/* dp.c: the kind uf_decap_payload gets. */
		F.kinds[i] = (struct uf_port_kind){ .port = c->port, .family = c->family,
						    .gue = c->gue, .ipproto = c->ipproto };
		port_entry((int)i, &k, &v);
		/* fp.c ports_sync() sends ports sharing a key slow; none do here. */
		for (size_t j = 0; j < i; j++) {
			port_entry((int)j, &kk, &vv);
			if (!memcmp(&k, &kk, sizeof(k)))
				die("ports %zu and %zu share a map key: not modelled", i, j);
		}
		map_put(fd, &k, &v, "fp_ports");
	}
}

static void setup_addrs(void)
{
	int fd = bpf_map__fd(F.skel->maps.fp_addrs);
	uint8_t one = 1;

	for (size_t i = 0; i < NLOCAL; i++) {
		struct fp_addr_key k;

		F.local[i] = addr(local_addrs[i]);
		memset(&k, 0, sizeof(k));
		k.family = F.local[i].family;
		memcpy(k.a, F.local[i].a, alen(k.family));
		map_put(fd, &k, &one, "fp_addrs");
	}
}

/* Does this kernel strip headers with the 6.3 decapsulation flags? */
static bool probe_decap_flags(void)
{
	return fp_probe_decap_flags(bpf_program__fd(F.skel->progs.ufou_probe));
}

/* libbpf's warnings only (why a load failed); its info lines are noise here. */
__attribute__((format(printf, 2, 0)))
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* How much the fast path took: a run where it never redirects proves little. */
static void report(void)
{
	if (F.runs)
		fprintf(stderr, "fuzz_bpf: %llu runs, %llu redirected, decapsulation flags %s\n",
			(unsigned long long)F.runs, (unsigned long long)F.redirects,
			F.decap_flags ? "on" : "off");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fp_cfg cfg = { .sport_min = 32768, .sport_max = 60999 };
	uint32_t zero = 0;

	libbpf_set_print(quiet);
	F.skel = ufou_bpf__open_and_load();
	if (!F.skel)
		die("cannot load the BPF programs (%s): run as root on a kernel with BPF",
		    strerror(errno));
	F.ncpu = libbpf_num_possible_cpus();
	if (F.ncpu <= 0)
		die("cannot count CPUs");
	F.cpubuf = calloc((size_t)F.ncpu, sizeof(struct fp_lstats));
	if (!F.cpubuf)
		die("out of memory");
	F.prog = bpf_program__fd(F.skel->progs.ufou_decap);
	F.lst = bpf_map__fd(F.skel->maps.fp_lst);
	F.pst = bpf_map__fd(F.skel->maps.fp_pst);
	F.decap_flags = probe_decap_flags();
	if (F.decap_flags)
		cfg.flags |= FP_CFG_DECAP_FLAGS;
	map_put(bpf_map__fd(F.skel->maps.fp_cfgm), &zero, &cfg, "fp_cfgm");
	setup_links();
	setup_ports();
	setup_addrs();
	atexit(report);
	return 0;
}

/* ---- counters: which link and port the program counted a packet for, and why not */

/*
 * Coverage of the program's own branches, which are not instrumented:
 * libFuzzer reads this section as extra counters (see counted()).
 */
#define FB_SLOW 1
#define FB_LINK (FB_SLOW + FP_SLOW__COUNT)
#define FB_PORT (FB_LINK + NLINKS)
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t feedback[FB_PORT + NPORTS];

/* The per-CPU value of slot, summed over the CPUs, into the n-counter struct at sum. */
static void read_sum(int fd, uint32_t slot, size_t n, void *sum)
{
	const uint8_t *b = F.cpubuf;
	uint64_t s[32] = { 0 };

	if (n > 32 || bpf_map_lookup_elem(fd, &slot, F.cpubuf))
		die("counters of slot %u: %s", slot, strerror(errno));
	for (int c = 0; c < F.ncpu; c++)
		for (size_t i = 0; i < n; i++) {
			uint64_t v;

			memcpy(&v, b + ((size_t)c * n + i) * 8, 8);
			s[i] += v;
		}
	memcpy(sum, s, n * 8);
}

/* What the program counted in one run; a slot -1 when none, -2 when more than one. */
struct counted {
	int port, link;          /* rx_packets up by one */
	uint64_t pbytes, lbytes;
	int slow;                /* the port's hand-over reason */
};

static void note(int *slot, int i, uint64_t was, uint64_t now)
{
	if (now != was)
		*slot = *slot == -1 && now == was + 1 ? i : -2;
}

static void count_ports(struct counted *k)
{
	for (size_t i = 0; i < NPORTS; i++) {
		struct fp_pstats now, *was = &F.pseen[i];

		read_sum(F.pst, (uint32_t)i, sizeof(now) / 8, &now);
		note(&k->port, (int)i, was->rx_packets, now.rx_packets);
		if (now.rx_packets != was->rx_packets)
			k->pbytes = now.rx_bytes - was->rx_bytes;
		for (int r = 0; r < FP_SLOW__COUNT; r++)
			note(&k->slow, r, was->slow[r], now.slow[r]);
		if (memcmp(&now, was, sizeof(now)))
			feedback[FB_PORT + i]++;
		*was = now;
	}
}

static void count_links(struct counted *k)
{
	for (size_t i = 0; i < NLINKS; i++) {
		struct fp_lstats now, *was = &F.lseen[i];

		read_sum(F.lst, (uint32_t)i, sizeof(now) / 8, &now);
		note(&k->link, (int)i, was->rx_packets, now.rx_packets);
		if (now.rx_packets != was->rx_packets)
			k->lbytes = now.rx_bytes - was->rx_bytes;
		*was = now;
	}
}

/*
 * The ports' counters after every run (a hand-over counts its reason
 * there), the links' after a redirect (only that counts on them).
 */
static void counted(bool redirect, struct counted *k)
{
	memset(k, 0, sizeof(*k));
	k->port = k->link = k->slow = -1;
	count_ports(k);
	if (redirect)
		count_links(k);
	if (k->slow >= 0)
		feedback[FB_SLOW + k->slow]++;
	if (k->link >= 0)
		feedback[FB_LINK + k->link]++;
	if (k->slow < 0 && k->link < 0)
		feedback[0]++;
}

/* ---- the userspace side */

struct verdict {
	struct uf_pkt pkt;
	int port;              /* index into pspecs, -1 none */
	int link;              /* dp_lookup's answer, -1 none */
	const char *why;       /* NULL: delivered to the link's tunnel device */
	uint8_t *inner;        /* what the device gets (tun_off..+tun_len), ECN applied */
};

static int port_of(const struct uf_pkt *pkt)
{
	for (size_t i = 0; i < NPORTS; i++)
		if (pspecs[i].port == pkt->udp.dport && pspecs[i].family == pkt->outer.family)
			return (int)i;
	return -1;
}

static bool is_local(const struct uf_ip *ip)
{
	for (size_t i = 0; i < NLOCAL; i++)
		if (addr_is(&F.local[i], ip->family, ip->dst))
			return true;
	return false;
}

/* The kernel's socket lookup: a port bound to a local / connected to a peer. */
static bool port_filter_ok(const struct uf_port_conf *c, const struct uf_ip *ip)
{
	if ((c->has & UF_PORT_HAS_LOCAL) && !addr_is(&c->local, ip->family, ip->dst))
		return false;
	if ((c->has & UF_PORT_HAS_PEER) && !addr_is(&c->peer, ip->family, ip->src))
		return false;
	return true;
}

static void lookup_key(const struct uf_pkt *pkt, struct dp_lk_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = pkt->outer.family;
	memcpy(k->src, pkt->outer.src, 16);
	memcpy(k->dst, pkt->outer.dst, 16);
	k->ipproto = pkt->ipproto;
	k->gre_proto = pkt->gre.proto;
	k->has_key = pkt->has_gre && pkt->gre.has_key;
	k->key = pkt->gre.key;
}

/* What ufoud does with ip[0..n): kernel socket delivery, then port_rx_one and link_rx. */
static void slow_path(uint8_t *ip, size_t n, struct verdict *v)
{
	struct uf_pkt *pkt = &v->pkt;
	const struct uf_link_conf *c;
	struct dp_lk_key k;
	enum uf_drop d;
	uint8_t ds;
	bool log;

	v->port = v->link = -1;
	v->inner = NULL;
	if (uf_decode_ip(ip, n, F.kinds, NPORTS, pkt) != UF_DROP_NONE) {
		v->why = uf_drop_name(pkt->drop);
		return;
	}
	v->why = "not to a local address";
	if (!is_local(&pkt->outer))
		return;
	v->port = port_of(pkt);
	v->why = "port socket filter";
	if (v->port < 0 || !port_filter_ok(&F.ports[v->port], &pkt->outer))
		return;
	lookup_key(pkt, &k);
	v->link = dp_lookup(F.lkv, NLINKS, &k, &d);
	if (v->link < 0 || d != UF_DROP_NONE) {
		v->why = uf_drop_name(d);
		return;
	}
	c = &F.links[v->link];
	v->why = uf_drop_name(UF_DROP_GRE_CSUM_MISMATCH);
	if (pkt->has_gre && pkt->gre.has_csum != c->icsum)
		return;
	v->why = "tap link: Ethernet frames";
	if (pkt->has_eth)
		return;
	v->why = NULL;
	v->inner = ip + pkt->tun_off;
	/* rx_ecn(): RFC 6040 may rewrite the inner DS field (a drop was decoded above). */
	if (uf_ecn_decap(pkt->outer.tos, uf_ip_get_dsfield(v->inner), &ds, &log) == 0 &&
	    ds != uf_ip_get_dsfield(v->inner))
		uf_ip_set_dsfield(v->inner, ds);
}

/* ---- comparison */

static void hex(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu):", what, n);
	for (size_t i = 0; i < n && i < 128; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", p[i]);
	fprintf(stderr, "%s\n", n > 128 ? " ..." : "");
}

static void check_redirect(const uint8_t *frame, size_t flen, const uint8_t *out, size_t olen,
			   const struct verdict *v, const struct counted *k)
{
	const struct uf_pkt *pkt = &v->pkt;
	size_t trailer, want;
	uint8_t ver;

	if (v->why) {
		hex("program's frame", out, olen);
		die("program redirected, userspace says: %s (port %d, link %d)", v->why, v->port,
		    v->link);
	}
	ver = pkt->inner.family;
	if (ver != pkt->outer.family && !F.decap_flags)
		die("family change redirected without the decapsulation flags");
	/* The redirect target is not in test_run's output; the counters name it. */
	if (k->link != v->link || k->port != v->port || k->slow != -1)
		die("program counted the packet for link %d / port %d (hand-over %d), userspace "
		    "found link %d / port %d", k->link, k->port, k->slow, v->link, v->port);
	if (k->lbytes != pkt->tun_len || k->pbytes != pkt->udp.len - 8u)
		die("counted %llu link / %llu port bytes, userspace %zu / %u",
		    (unsigned long long)k->lbytes, (unsigned long long)k->pbytes, pkt->tun_len,
		    pkt->udp.len - 8u);
	/* Bytes behind the outer IP packet (link-layer padding) are not the tunnel's. */
	trailer = flen - ETH_HLEN - pkt->outer.total_len;
	want = ETH_HLEN + pkt->tun_len;
	if (olen != want || memcmp(out, frame, 12) ||
	    out[12] != (ver == 6 ? 0x86 : 0x08) || out[13] != (ver == 6 ? 0xdd : 0x00) ||
	    memcmp(out + ETH_HLEN, v->inner, pkt->tun_len)) {
		hex("program's frame", out, olen);
		hex("userspace's inner packet", v->inner, pkt->tun_len);
		die("redirected frame is not Ethernet + the inner packet (%zu bytes of it, %zu of "
		    "trailer after the outer packet)", pkt->tun_len, trailer);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[ETH_HLEN + MAX_IP], out[OUT_SIZE];
	static const uint8_t mac[12] = { 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2 };
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o);
	struct counted k;
	struct verdict v;
	uint8_t *ip;
	size_t flen = ETH_HLEN + size;
	bool v6 = size && data[0] >> 4 == 6;

	/* test_run refuses a network header shorter than its EtherType's (-EINVAL). */
	if (size < (v6 ? 40u : 20u) || size > MAX_IP)
		return 0;
	memcpy(frame, mac, 12);
	frame[12] = v6 ? 0x86 : 0x08;
	frame[13] = v6 ? 0xdd : 0x00;
	memcpy(frame + ETH_HLEN, data, size);
	o.data_in = frame;
	o.data_size_in = (uint32_t)flen;
	o.data_out = out;
	o.data_size_out = sizeof(out);
	if (bpf_prog_test_run_opts(F.prog, &o))
		die("BPF_PROG_TEST_RUN: %s", strerror(errno));
	F.runs++;
	counted(o.retval == TC_ACT_REDIRECT, &k);
	ip = fuzz_copy(data, size);
	slow_path(ip, size, &v);
	switch (o.retval) {
	case TC_ACT_OK:
		if (o.data_size_out != flen || memcmp(out, frame, flen)) {
			hex("program's frame", out, o.data_size_out);
			die("TC_ACT_OK with a changed frame");
		}
		if (k.port != -1 || k.slow == -2)
			die("TC_ACT_OK, counted as received on port %d / hand-over reason %d",
			    k.port, k.slow);
		break;
	case TC_ACT_REDIRECT:
		F.redirects++;
		check_redirect(frame, flen, out, o.data_size_out, &v, &k);
		break;
	default:
		die("program returned %u (userspace: %s)", o.retval, v.why ? v.why : "deliver");
	}
	free(ip);
	return 0;
}
