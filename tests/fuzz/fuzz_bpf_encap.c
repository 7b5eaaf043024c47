// SPDX-License-Identifier: GPL-2.0
/*
 * Differential: the eBPF encapsulation (ufou_encap on a real TUN device's
 * TC egress) against the TUN path's (dp_tx_inner, the MTU rule and
 * uf_encap, as tx.c link_tx_one runs them) for one link whose
 * configuration the input picks.
 *
 * BPF_PROG_TEST_RUN cannot run ufou_encap faithfully (it always presents
 * an Ethernet frame, mac_len 14; a TUN device's egress has none), so this
 * target builds the real thing in a private network namespace of its own
 * (unshare: it dies with the process, nothing to clean up):
 *
 *   TUN ufz0 (IFF_TUN|IFF_NO_PI|IFF_VNET_HDR, dp_tun_open, as ufoud)
 *     egress: ufou_encap, attached and fed by fp_open / fp_link_set
 *   veth ufe0 198.18.0.1/24 fd00:18::1/64 --- ufe1 (no addresses)
 *     permanent neighbours 198.18.0.2 / fd00:18::2 -> ufe1's MAC
 *
 * Per input: the first HDR bytes pick the link (kind, encap, options, see
 * link_from()), fp_link_set() writes its map entry as the daemon would;
 * the rest is the inner packet, sent on the TUN with an AF_PACKET socket
 * (dev_queue_xmit, so TC egress runs; no PACKET_QDISC_BYPASS), whole or,
 * with a virtio_net_hdr, as a TSO/USO super-packet. Then exactly one of
 * two things must have happened:
 *   - outer frames on ufe1 (captured there), one per segment: the model
 *     says the fast path takes this packet, and each frame is Ethernet
 *     (ufe1's MAC from ufe0's) + exactly what uf_encap() builds from the
 *     same conf and the inner packet (or uf_gso_segment()'s segment, as
 *     tx.c link_tx_super cuts it), with one field let differ: the outer
 *     IPv4 ID (and so the header checksum). Each sender takes "the next
 *     value" of a counter of its own, none of which the others can see:
 *     Linux's iptunnel_xmit reserves one per segment from ip_idents (a
 *     counter per hash of the outer addresses and protocol, random
 *     start, __ip_select_ident), the TUN path from its link queue's
 *     (uf_tx_state.ip_id), the fast path from its map entry's
 *     (fp_tx.ip_id, random start, advanced by the segment count). The
 *     reference is built with the ID the first frame carries, and every
 *     later segment and packet of one entry must count up by one. ufe0
 *     has checksum offload off, so the kernel's segmentation completes
 *     the inner checksums as uf_gso_segment() does (veth would otherwise
 *     pass them on partial);
 *   - the inner packet, unchanged, on the TUN fd (handed over): the link's
 *     hand-over counter for the reason the model names moved by one and
 *     no other counter did.
 * Neither within POLL_MS, both, or anything else: abort().
 *
 * The model of what the fast path takes (expect()): the link's
 * configuration (fp_link_tx_ok, else CONFIG), an inner packet it parses
 * whole (IPv4/IPv6 under the matching skb protocol, total length equal to
 * the packet, no IPv6 extension header or jumbogram) that the link's mode
 * carries (else INNER: the TUN path then drops what dp_tx_inner refuses,
 * encapsulates the rest), a next hop with a usable neighbour entry (else
 * ROUTE), the outer packet within the underlay MTU (else MTU: ICMP or
 * fragments are the TUN path's).
 *
 * Needs root (CAP_SYS_ADMIN for unshare, CAP_NET_ADMIN, CAP_BPF) and a
 * BPF- and TUN-capable kernel, and ip(8) for the namespace's set-up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/model.h"
#include "dataplane/fp.h"
#include "dataplane/fp_abi.h"
#include "dataplane/fp_entry.h"
#include "dataplane/netdev.h"
#include "dataplane/policy.h"
#include "fuzz.h"
#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/encap.h"
#include "proto/gso.h"
#include "proto/ip.h"
#include "proto/vnet.h"

#define TUN "ufz0"
#define UNDER "ufe0"
#define PEER "ufe1"
#define UNDER_MTU 1500u
#define TUN_MTU 1600u          /* above what fits: the MTU hand-over is reachable */
#define SEED 0x5eedf00du
#define SPORT_MIN 32768
#define SPORT_MAX 60999
#define POLL_MS 200            /* the redirect is synchronous: only a loss waits this long */
#define HDR 5                  /* input bytes that pick the link */
#define HEADROOM 256

int LLVMFuzzerInitialize(int *argc, char ***argv);

static const uint8_t mac_under[6] = { 2, 0, 0x18, 0, 0, 1 };
static const uint8_t mac_peer[6] = { 2, 0, 0x18, 0, 0, 2 };

static struct {
	struct fp *fp;
	int slot, tun_ifindex, tunfd, txs, txg, cap;
	struct uf_link_conf conf;     /* the link the map holds now */
	bool have_conf;
	bool id_known;                /* last_id is the entry's last sent ID */
	uint16_t last_id;
	uint64_t runs, delivered, handed[FP_SLOW__COUNT], gso_sent, gso_delivered;
} F;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ERROR: fuzz_bpf_encap: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void hex(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu):", what, n);
	for (size_t i = 0; i < n && i < 160; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", p[i]);
	fprintf(stderr, "%s\n", n > 160 ? " ..." : "");
}

/* ---- the namespace */

static void sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		die("set-up step failed (%d): %s", rc, cmd);
}

static void put_sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(val, f) < 0 || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* Underlay: addresses on ufe0 only, so the remotes route out of it. */
static void setup_underlay(void)
{
	sh("ip link set lo up");
	sh("ip link add " UNDER " address 02:00:18:00:00:01 mtu 1500 type veth peer name " PEER
	   " address 02:00:18:00:00:02 mtu 1500");
	/* ufe1 only captures: no IPv6 of its own to send (RS, MLD). */
	put_sysctl("/proc/sys/net/ipv6/conf/" PEER "/disable_ipv6", "1");
	sh("ip link set " UNDER " up && ip link set " PEER " up");
	sh("ip addr add 198.18.0.1/24 dev " UNDER);
	sh("ip addr add fd00:18::1/64 dev " UNDER " nodad");
	sh("ip neigh replace 198.18.0.2 lladdr 02:00:18:00:00:02 nud permanent dev " UNDER);
	sh("ip neigh replace fd00:18::2 lladdr 02:00:18:00:00:02 nud permanent dev " UNDER);
	/*
	 * Segments of a GSO packet then leave with their inner checksums
	 * complete, as uf_gso_segment() writes them (with checksum offload
	 * veth would pass them on partial).
	 */
	sh("ethtool -K " UNDER " tx off >/dev/null");
}

static void setup_tun(void)
{
	char err[128];
	unsigned int off = 0;
	bool adopted;
	int e;

	e = dp_tun_open(TUN, false, 1, false, &adopted, &F.tunfd, &off, err, sizeof(err));
	if (e != 1)
		die("TUN: %s", err);
	dp_tun_unpersist(F.tunfd);     /* ufoud's devices outlive it; this one need not */
	dp_if_no_ipv6_ll(TUN);     /* before up: no link-local, no RS / MLD of its own */
	if (dp_if_set_mtu(TUN, TUN_MTU) || dp_if_up(TUN))
		die("TUN mtu / up: %s", strerror(errno));
	F.tun_ifindex = (int)if_nametoindex(TUN);
}

static int packet_socket(const char *dev, uint16_t proto)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(proto) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(proto));

	sa.sll_ifindex = (int)if_nametoindex(dev);
	if (fd < 0 || !sa.sll_ifindex || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("packet socket on %s: %s", dev, strerror(errno));
	return fd;
}

/* How much each outcome was seen: a run that never delivers proves little. */
static void report(void)
{
	if (!F.runs)
		return;
	fprintf(stderr, "fuzz_bpf_encap: %llu runs, %llu encapsulated; handed over:",
		(unsigned long long)F.runs, (unsigned long long)F.delivered);
	for (int i = 0; i < FP_SLOW__COUNT; i++)
		fprintf(stderr, " %llu", (unsigned long long)F.handed[i]);
	fprintf(stderr, " (config mtu route inner header ecn batch); GSO %llu sent, %llu "
		"encapsulated\n", (unsigned long long)F.gso_sent,
		(unsigned long long)F.gso_delivered);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[256];

	(void)argc;
	(void)argv;
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare(CLONE_NEWNET): %s: run as root", strerror(errno));
	setup_underlay();
	setup_tun();
	F.fp = fp_open(SPORT_MIN, SPORT_MAX, SEED, why, sizeof(why));
	if (!F.fp)
		die("fast path: %s: run as root on a kernel with BPF", why);
	F.slot = -1;
	/* Protocol 0: sends only, never a copy of what the TUN or anyone sends. */
	F.txs = packet_socket(TUN, 0);
	/* The same with a virtio_net_hdr in front: GSO super-packets, as the stack's TSO. */
	F.txg = packet_socket(TUN, 0);
	if (setsockopt(F.txg, SOL_PACKET, PACKET_VNET_HDR, &(int){ 1 }, sizeof(int)) < 0)
		die("PACKET_VNET_HDR: %s", strerror(errno));
	F.cap = packet_socket(PEER, ETH_P_ALL);
	atexit(report);
	return 0;
}

/* ---- the link an input picks */

struct variant {
	struct uf_link_conf c;
	struct uf_tx tx;
	uint16_t proto;        /* the skb protocol the sender claims; 0: by version */
	bool no_neigh;         /* the remote has no neighbour entry */
};

static const enum uf_link_type kinds[] = { UF_LINK_IPIP, UF_LINK_SIT, UF_LINK_GRE,
					   UF_LINK_IP6TNL, UF_LINK_IP6GRE };

/* The modes ip(8) accepts per kind (iptunnel.c / ip6tunnel.c). */
static enum uf_link_mode mode_of(enum uf_link_type t, uint8_t b)
{
	static const enum uf_link_mode m4[] = { UF_MODE_DEFAULT, UF_MODE_IPIP, UF_MODE_ANY },
				       msit[] = { UF_MODE_DEFAULT, UF_MODE_IPIP, UF_MODE_IP6IP,
						  UF_MODE_ANY },
				       m6[] = { UF_MODE_DEFAULT, UF_MODE_IPIP6, UF_MODE_IP6IP6,
						UF_MODE_ANY };

	if (t == UF_LINK_IPIP)
		return m4[b % 3];
	if (t == UF_LINK_SIT)
		return msit[b % 4];
	if (t == UF_LINK_IP6TNL)
		return m6[b % 4];
	return UF_MODE_DEFAULT;
}

/* A setting the fast path leaves to the TUN path (fp_link_tx_ok), by number. */
static void slow_option(struct uf_link_conf *c, uint8_t which)
{
	switch (which % 4) {
	case 0:
		c->has |= UF_LINK_HAS_ENCAP_CSUM | UF_LINK_HAS_ENCAP_CSUM6;
		c->encap_csum = c->encap_csum6 = true;
		break;
	case 1:
		c->has |= UF_LINK_HAS_REMCSUM;      /* honoured on GUE only */
		c->encap_remcsum = true;
		break;
	case 2:
		c->has |= UF_LINK_HAS_OCSUM;        /* GRE kinds only */
		c->ocsum = true;
		break;
	default:
		c->has |= UF_LINK_HAS_OSEQ;
		c->oseq = true;
		break;
	}
}

/*
 * h[0]: kind (low 3 bits mod 5), bit 3 GUE, bit 4 GRE key, bits 5-7 mode;
 * h[1]: bit 0 fixed TTL / hop limit h[3], bit 1 TOS inherit (else fixed
 *       h[2]), bit 2 nopmtudisc, bit 3 fixed source port, bit 4 fixed
 *       flow label, bit 5 flow label inherit, bit 6 no encap limit, bit 7
 *       a slow option (h[4] bits 2-3);
 * h[4]: bits 0-1 the skb protocol claimed: 1 IPv4, 2 IPv6, else by version;
 *       bit 4 keeps iproute2's default encap-udp6-csum on IPv6 kinds (a
 *       config hand-over), else noencap-udp6-csum as a fast link needs;
 *       bit 5 sends a TCP / UDP packet as a GSO super-packet of
 *       64 + (h[2] h[3] % 1600)-byte segments (gso_make());
 *       bit 6 sends the inner packet's length field as it is, else it is
 *       set to the packet's (fit_length());
 *       bit 7 sends to a remote on ufe0's subnet without a neighbour
 *       entry (.3 / ::3), which fp.c marks unusable: a route hand-over.
 */
static void link_from(const uint8_t *h, struct variant *v)
{
	struct uf_link_conf *c = &v->c;
	bool six;

	memset(v, 0, sizeof(*v));
	snprintf(c->name, sizeof(c->name), TUN);
	c->type = kinds[(h[0] & 7) % 5];
	six = uf_link_type_family(c->type) == 6;
	c->has = UF_LINK_HAS_NAME | UF_LINK_HAS_TYPE | UF_LINK_HAS_REMOTE | UF_LINK_HAS_LOCAL |
		 UF_LINK_HAS_MODE | UF_LINK_HAS_ENCAP | UF_LINK_HAS_DPORT | UF_LINK_HAS_MTU;
	c->local.family = c->remote.family = six ? 6 : 4;
	inet_pton(six ? AF_INET6 : AF_INET, six ? "fd00:18::1" : "198.18.0.1", c->local.a);
	v->no_neigh = (h[4] & 0x80) != 0;
	if (v->no_neigh)
		inet_pton(six ? AF_INET6 : AF_INET, six ? "fd00:18::3" : "198.18.0.3", c->remote.a);
	else
		inet_pton(six ? AF_INET6 : AF_INET, six ? "fd00:18::2" : "198.18.0.2", c->remote.a);
	c->encap = h[0] & 8 ? UF_ENCAP_GUE : UF_ENCAP_FOU;
	c->dport = 5555;
	c->mtu = TUN_MTU;
	c->mode = mode_of(c->type, h[0] >> 5);
	if ((h[0] & 16) && uf_link_type_is_gre(c->type)) {
		c->has |= UF_LINK_HAS_IKEY | UF_LINK_HAS_OKEY;
		c->ikey = c->okey = 0x01000000u | h[2];
	}
	if (h[1] & 1) {
		c->has |= six ? UF_LINK_HAS_HOPLIMIT : UF_LINK_HAS_TTL;
		c->ttl = c->hoplimit = h[3];
	}
	if (h[1] & 2) {
		c->has |= six ? UF_LINK_HAS_TCLASS : UF_LINK_HAS_TOS;
		c->tos_inherit = c->tclass_inherit = true;
	} else if (h[2] & 0xfc) {
		c->has |= six ? UF_LINK_HAS_TCLASS : UF_LINK_HAS_TOS;
		c->tos = c->tclass = h[2] & 0xfc;
	}
	if (h[1] & 4) {
		c->has |= UF_LINK_HAS_PMTUDISC;
		c->pmtudisc = false;
	}
	if (h[1] & 8) {
		c->has |= UF_LINK_HAS_SPORT;
		c->sport = (uint16_t)(1024 + h[3] * 7);
	}
	if (h[1] & 0x30)
		c->has |= UF_LINK_HAS_FLOWLABEL;
	if (h[1] & 0x10)
		c->flowlabel = ((uint32_t)h[2] << 12 | h[3]) & 0xfffff;
	c->flowlabel_inherit = (h[1] & 0x20) != 0;
	if (h[1] & 0x40) {
		c->has |= UF_LINK_HAS_ENCAPLIMIT;
		c->encaplimit = -1;
	}
	if (six && !(h[4] & 16)) {
		c->has |= UF_LINK_HAS_ENCAP_CSUM6;
		c->encap_csum6 = false;
	}
	if (h[1] & 0x80)
		slow_option(c, (uint8_t)(h[4] >> 2));
	uf_link_conf_defaults(c);
	/* dp.c link_derive(): the namespace's port range and flow-hash key. */
	uf_link_conf_to_tx(c, &v->tx);
	v->tx.hash_seed = SEED;
	v->tx.sport_min = SPORT_MIN;
	v->tx.sport_max = SPORT_MAX;
	v->proto = (h[4] & 3) == 1 ? ETH_P_IP : (h[4] & 3) == 2 ? ETH_P_IPV6 : 0;
}

/* The daemon's fp_link_set, again only when the link changed (it is not cheap). */
static void link_apply(const struct variant *v)
{
	char why[256];
	int s;

	/* Both built from zeroed memory: padding compares equal. */
	if (F.have_conf && !memcmp(&F.conf, &v->c, sizeof(v->c)))
		return;
	s = fp_link_set(F.fp, F.slot, F.tun_ifindex, &v->c, &v->tx, why, sizeof(why));
	if (s < 0)
		die("fp_link_set: %s", why);
	F.slot = s;
	memcpy(&F.conf, &v->c, sizeof(F.conf));
	F.have_conf = true;
	F.id_known = false;       /* a new entry starts its IDs afresh */
}

/* ---- the model: what the fast path must do with this packet */

#define DELIVER (-1)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* inner_parse(): the packet whole, as the program reads it; the version it found or 0. */
static int fast_parsable(const uint8_t *p, size_t n, uint16_t proto)
{
	if (n >= 20 && p[0] >> 4 == 4 && proto == ETH_P_IP)
		return (p[0] & 15) >= 5 && get16(p + 2) == n && n >= (size_t)(p[0] & 15) * 4 ? 4 : 0;
	if (n >= 40 && p[0] >> 4 == 6 && proto == ETH_P_IPV6) {
		/* Extension headers and jumbograms are the TUN path's. */
		if (p[6] == 0 || p[6] == 43 || p[6] == 44 || p[6] == 60 || n == 40)
			return 0;
		return get16(p + 4) + 40u == n ? 6 : 0;
	}
	return 0;
}

/* A GSO packet: its headers, repeated in every segment (l4_hdr_len(): TCP, UDP only). */
static size_t seg_hdr(const uint8_t *p, size_t n)
{
	size_t l3 = p[0] >> 4 == 4 ? (size_t)(p[0] & 15) * 4 : 40;
	uint8_t l4p = p[0] >> 4 == 4 ? p[9] : p[6];

	if (l4p == 17)
		return l3 + 8;
	if (l4p != 6 || l3 + 13 > n)
		return 0;
	return l3 + (size_t)(p[l3 + 12] >> 4) * 4;
}

static int expect(const struct variant *v, const uint8_t *p, size_t n, uint16_t proto,
		  const struct uf_vnet_hdr *gso)
{
	size_t seghdr = 0;
	int ver;

	if (!fp_link_tx_ok(&v->c, &v->tx))
		return FP_SLOW_CONFIG;
	ver = fast_parsable(p, n, proto);
	if (!ver || !(fp_inner_flags(&v->c) & (ver == 4 ? FP_TX_INNER4 : FP_TX_INNER6)))
		return FP_SLOW_INNER;
	if (gso) {
		seghdr = seg_hdr(p, n);
		if (!seghdr || n <= seghdr)
			return FP_SLOW_INNER;
	}
	/* The TUN path's send resolves the neighbour; the fast path cannot wait. */
	if (v->no_neigh)
		return FP_SLOW_ROUTE;
	/*
	 * tx.c link_tx_one(): "fits" is the whole outer packet within the
	 * underlay MTU; for a GSO packet, each segment (the first is the largest).
	 */
	if (uf_tx_overhead(&v->tx) + (gso ? seghdr + gso->gso_size : n) > UNDER_MTU)
		return FP_SLOW_MTU;
	return DELIVER;
}

/*
 * Most mutations break the inner IP length, and the fast path hands any
 * such packet over: so that most inputs reach the encapsulation, the
 * length field is made the packet's unless the input asks otherwise.
 */
static void fit_length(uint8_t *p, size_t n)
{
	if (p[0] >> 4 == 4 && n >= 20)
		put_be16(p + 2, (uint16_t)n);
	else if (p[0] >> 4 == 6 && n >= 40)
		put_be16(p + 4, (uint16_t)(n - 40));
}

/* ---- GSO: the input's TCP / UDP packet as a super-packet (h[4] bit 5) */

/*
 * The virtio_net_hdr the stack gives a TSO/USO super-packet of mss-byte
 * segments, for a packet the TUN path takes as one (uf_gso_init, at least
 * two segments); its L4 checksum field becomes the pseudo-header sum a
 * partial checksum starts from. false: the packet goes as it is.
 */
static bool gso_make(uint8_t *p, size_t n, uint16_t proto, uint16_t mss, struct uf_vnet_hdr *vh,
		     struct uf_gso *g)
{
	uint8_t ver = p[0] >> 4, l4p;
	size_t l4;

	if (n < 60 || proto != (ver == 4 ? ETH_P_IP : ver == 6 ? ETH_P_IPV6 : 0))
		return false;
	l4 = ver == 4 ? (size_t)(p[0] & 15) * 4 : 40;
	l4p = ver == 4 ? p[9] : p[6];
	if ((l4p != 6 && l4p != 17) || l4 + 20 > n)
		return false;
	/*
	 * The stack's UDP length is the datagram's: the kernel's USO adjusts
	 * the partial checksum from that field (__udp_gso_segment), while
	 * uf_gso_segment() sums each segment whole, so a length the stack
	 * never writes would only compare the two segmenters on garbage.
	 */
	if (l4p == 17 && get16(p + l4 + 4) != n - l4)
		return false;
	memset(vh, 0, sizeof(*vh));
	vh->flags = UF_VNET_F_NEEDS_CSUM;
	vh->gso_type = l4p == 17 ? UF_VNET_GSO_UDP_L4 : ver == 4 ? UF_VNET_GSO_TCPV4 :
		       UF_VNET_GSO_TCPV6;
	vh->gso_size = mss;
	vh->csum_start = (uint16_t)l4;
	vh->csum_offset = l4p == 6 ? 16 : 6;
	vh->hdr_len = (uint16_t)(l4 + (l4p == 6 ? (size_t)(p[l4 + 12] >> 4) * 4 : 8));
	if (uf_gso_init(g, p, n, 0, vh) < 2)
		return false;
	put_be16(p + l4 + vh->csum_offset,
		 uf_csum_fold16(uf_csum_pseudo_hdr(ver, p, l4p, (uint32_t)(n - l4))));
	return true;
}

/* ---- what happened */

static void link_counters(struct uf_link_stats *st)
{
	memset(st, 0, sizeof(*st));
	fp_link_stats(F.fp, F.slot, st);
}

/* Anything stale (an earlier loss that arrived late, the kernel's own) goes first. */
static void drain(void)
{
	uint8_t b[4096];

	while (read(F.tunfd, b, sizeof(b)) > 0)
		;
	while (recv(F.cap, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
}

/* false: the kernel refused a super-packet (virtio_net_hdr_to_skb): no input then. */
static bool send_inner(const uint8_t *p, size_t n, uint16_t proto, const struct uf_vnet_hdr *gso)
{
	static uint8_t b[UF_VNET_HLEN + 65536];
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = F.tun_ifindex,
				  .sll_protocol = htons(proto) };
	ssize_t m;

	if (!gso) {
		if (sendto(F.txs, p, n, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)n)
			die("sendto %s (%zu bytes): %s", TUN, n, strerror(errno));
		return true;
	}
	uf_vnet_encode(b, gso);
	memcpy(b + UF_VNET_HLEN, p, n);
	m = sendto(F.txg, b, UF_VNET_HLEN + n, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (m < 0 && errno == EINVAL)
		return false;
	if (m != (ssize_t)(UF_VNET_HLEN + n))
		die("sendto %s (GSO, %zu bytes): %s", TUN, n, strerror(errno));
	return true;
}

/* A frame for ufe1's MAC: ours. The kernel's multicast (MLD, NS) is not. */
static ssize_t capture(uint8_t *b, size_t cap)
{
	ssize_t m;

	while ((m = recv(F.cap, b, cap, MSG_DONTWAIT)) >= 0)
		if (m >= ETH_HLEN && !memcmp(b, mac_peer, 6))
			return m;
	return -1;
}

#define MAX_SEGS 32            /* 1600 bytes in segments of 64 or more */
#define FRAME_MAX 4096

struct frames {
	size_t n;
	ssize_t len[MAX_SEGS];
	uint8_t b[MAX_SEGS][FRAME_MAX];
};

/*
 * Waits (bounded) for either outcome; both are read, so both can be seen.
 * Frames: all that are there (want of them expected: a GSO packet's
 * segments), so one too many shows as a mismatch.
 */
static void outcome(struct frames *fr, size_t want, uint8_t *tun, ssize_t *tlen)
{
	struct pollfd pf[2] = { { .fd = F.cap, .events = POLLIN }, { .fd = F.tunfd, .events = POLLIN } };

	fr->n = 0;
	*tlen = -1;
	for (int round = 0; round < 2; round++) {
		while (fr->n < MAX_SEGS && (fr->len[fr->n] = capture(fr->b[fr->n], FRAME_MAX)) >= 0)
			fr->n++;
		if (*tlen < 0)
			*tlen = read(F.tunfd, tun, 65536);
		if (fr->n >= want || *tlen >= 0 || (round == 0 && poll(pf, 2, POLL_MS) <= 0))
			break;
	}
}

/* ---- feedback */

/*
 * The program's branches are not instrumented: which outcome each link
 * kind and inner family met, and which inner shapes were encapsulated,
 * are fed back to libFuzzer as extra counters.
 */
#define NOUT (FP_SLOW__COUNT + 1)
#define NKIND (sizeof(kinds) / sizeof(kinds[0]))
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t feedback[NKIND * 2 * 3 * NOUT + 4 * 4 * 2 * 2];

static size_t kind_index(enum uf_link_type t)
{
	for (size_t i = 0; i < NKIND; i++)
		if (kinds[i] == t)
			return i;
	return 0;
}

/* Inner shapes: ECN, ports or a fragment, IPv4 options, fixed or flow-derived fields. */
static size_t shape(const struct variant *v, const uint8_t *p, size_t n)
{
	size_t ecn = (p[0] >> 4 == 4 ? p[1] : (uint8_t)(p[0] << 4 | p[1] >> 4)) & 3;
	size_t l4 = 2, opts = 0;

	if (p[0] >> 4 == 4 && n >= 20) {
		opts = (p[0] & 15) > 5;
		l4 = ((p[6] & 0x3f) | p[7]) ? 3 : p[9] == 6 ? 0 : p[9] == 17 ? 1 : 2;
	} else if (n >= 40) {
		l4 = p[6] == 6 ? 0 : p[6] == 17 ? 1 : 2;
	}
	return ((ecn * 4 + l4) * 2 + opts) * 2 + (v->tx.sport == 0);
}

static void feed(const struct variant *v, const uint8_t *p, size_t n, int outcome)
{
	size_t fam = p[0] >> 4 == 4 ? 0 : p[0] >> 4 == 6 ? 1 : 2;
	size_t out = outcome == DELIVER ? 0 : (size_t)outcome + 1;
	size_t i = ((kind_index(v->c.type) * 2 + (v->tx.encap == UF_ENCAP_GUE)) * 3 + fam) * NOUT +
		   out;

	feedback[i]++;
	if (outcome == DELIVER)
		feedback[NKIND * 2 * 3 * NOUT + shape(v, p, n)]++;
}

/* ---- checks */

static void check_handover(int want, const uint8_t *p, size_t n, const uint8_t *tun, ssize_t tlen,
			   const struct uf_link_stats *a, const struct uf_link_stats *b)
{
	if (want == DELIVER) {
		hex("inner", p, n);
		die("handed to the TUN path, the model says the fast path takes it");
	}
	if ((size_t)tlen != UF_VNET_HLEN + n || memcmp(tun + UF_VNET_HLEN, p, n)) {
		hex("sent", p, n);
		hex("TUN read (vnet header first)", tun, (size_t)(tlen > 0 ? tlen : 0));
		die("handed over, but the TUN fd got something else");
	}
	for (int i = 0; i < FP_SLOW__COUNT; i++)
		if (b->fast.tx_pass[i] - a->fast.tx_pass[i] != (i == want ? 1u : 0u))
			die("hand-over reason %d counted %llu times, want reason %d once", i,
			    (unsigned long long)(b->fast.tx_pass[i] - a->fast.tx_pass[i]), want);
	if (b->fast.tx_packets != a->fast.tx_packets || b->fast.tx_error != a->fast.tx_error)
		die("handed over but counted as sent (%llu) or lost (%llu)",
		    (unsigned long long)(b->fast.tx_packets - a->fast.tx_packets),
		    (unsigned long long)(b->fast.tx_error - a->fast.tx_error));
	F.handed[want]++;
}

/* The outer IPv4 ID the fast path chose; the reference takes it (see the top). */
static uint16_t frame_id(const uint8_t *f, size_t flen, const struct variant *v)
{
	uint16_t id;

	if (v->tx.family != 4 || flen < ETH_HLEN + 20)
		return 0;
	id = get16(f + ETH_HLEN + 4);
	if (F.id_known && id != (uint16_t)(F.last_id + 1))
		die("outer IPv4 ID %u after %u: not the entry's next", id, F.last_id);
	F.id_known = true;
	F.last_id = id;
	return id;
}

/* Offset into the outer packet of the first byte where frame f and ref differ. */
static size_t first_diff(const uint8_t *f, size_t flen, const uint8_t *ref, size_t rlen)
{
	size_t i = 0;

	if (flen < ETH_HLEN)
		return 0;
	while (i < flen - ETH_HLEN && i < rlen && f[ETH_HLEN + i] == ref[i])
		i++;
	return i;
}

/* Frame f against segment i of the inner packet (i 0 and g NULL: the packet whole). */
static void check_frame(const struct variant *v, struct uf_tx_state *st, const uint8_t *p,
			size_t n, const struct uf_gso *g, size_t i, const uint8_t *f, size_t flen)
{
	static uint8_t buf[HEADROOM + 65536];
	struct dp_inner in;
	size_t olen = 0, len = n;
	int off;

	if (g) {
		int m = uf_gso_segment(g, i, buf + HEADROOM, sizeof(buf) - HEADROOM);

		if (m < 0)
			die("uf_gso_segment %zu: %d", i, m);
		len = (size_t)m;
	} else {
		memcpy(buf + HEADROOM, p, n);
	}
	if (dp_tx_inner(v->c.type, v->c.mode, buf + HEADROOM, len, &in) < 0)
		die("encapsulated a packet the TUN path refuses (dp_tx_inner)");
	off = uf_encap(&v->tx, st, buf, HEADROOM, len, NULL, &olen);
	if (off < 0)
		die("encapsulated a packet uf_encap refuses (%d)", off);
	if (flen != ETH_HLEN + olen || memcmp(f, mac_peer, 6) || memcmp(f + 6, mac_under, 6) ||
	    get16(f + 12) != (v->tx.family == 6 ? ETH_P_IPV6 : ETH_P_IP) ||
	    memcmp(f + ETH_HLEN, buf + off, olen)) {
		hex("inner", p, n);
		hex("fast path's frame", f, flen);
		hex("uf_encap's outer packet", buf + off, olen);
		die("fast path and TUN path encapsulate differently (%s, %s, segment %zu of %zu, "
		    "first difference at outer byte %zu)", uf_link_type_name(v->c.type),
		    v->tx.encap == UF_ENCAP_GUE ? "gue" : "fou", i, g ? g->nseg : 1,
		    first_diff(f, flen, buf + off, olen));
	}
}

static void check_deliver(int want, const struct variant *v, const uint8_t *p, size_t n,
			  const struct uf_gso *g, const struct frames *fr,
			  const struct uf_link_stats *a, const struct uf_link_stats *b)
{
	size_t nseg = g ? g->nseg : 1, bytes = n + (nseg - 1) * (g ? g->hdr_len : 0);
	struct uf_tx_state st = { 0 };

	if (want != DELIVER) {
		hex("frame", fr->b[0], (size_t)fr->len[0]);
		die("encapsulated, the model says hand over (reason %d)", want);
	}
	if (fr->n != nseg)
		die("%zu frames for %zu segments", fr->n, nseg);
	st.ip_id = frame_id(fr->b[0], (size_t)fr->len[0], v);
	for (size_t i = 0; i < nseg; i++)
		check_frame(v, &st, p, n, g, i, fr->b[i], (size_t)fr->len[i]);
	/* One ID per segment, as the kernel's segmentation gives them. */
	F.last_id = (uint16_t)(st.ip_id - 1);
	if (b->fast.tx_packets - a->fast.tx_packets != nseg ||
	    b->fast.tx_bytes - a->fast.tx_bytes != bytes ||
	    b->tx_gso - a->tx_gso != (g ? nseg : 0))
		die("sent %zu segments of %zu inner bytes, counted %llu / %llu (GSO %llu)", nseg,
		    bytes, (unsigned long long)(b->fast.tx_packets - a->fast.tx_packets),
		    (unsigned long long)(b->fast.tx_bytes - a->fast.tx_bytes),
		    (unsigned long long)(b->tx_gso - a->tx_gso));
	for (int i = 0; i < FP_SLOW__COUNT; i++)
		if (b->fast.tx_pass[i] != a->fast.tx_pass[i])
			die("sent and counted as handed over (reason %d)", i);
	F.delivered++;
	F.gso_delivered += g != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frames fr;
	static uint8_t tun[65536];
	struct uf_link_stats a, b;
	struct uf_vnet_hdr vh;
	struct uf_gso g;
	struct variant v;
	bool gso = false;
	ssize_t tlen;
	uint8_t *p;
	size_t n;
	uint16_t proto;
	int want;

	/* packet_snd() refuses more than the device's MTU. */
	if (size <= HDR || size - HDR > TUN_MTU)
		return 0;
	link_from(data, &v);
	link_apply(&v);
	n = size - HDR;
	p = fuzz_copy(data + HDR, n);
	proto = v.proto ? v.proto : p[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP;
	if (!(data[4] & 0x40))
		fit_length(p, n);
	if (data[4] & 0x20)
		gso = gso_make(p, n, proto, (uint16_t)(64 + (data[2] << 8 | data[3]) % 1600), &vh, &g);
	want = expect(&v, p, n, proto, gso ? &vh : NULL);
	drain();
	link_counters(&a);
	if (!send_inner(p, n, proto, gso ? &vh : NULL)) {
		free(p);
		return 0;
	}
	F.gso_sent += gso;
	outcome(&fr, gso ? g.nseg : 1, tun, &tlen);
	link_counters(&b);
	F.runs++;
	feed(&v, p, n, tlen >= 0 ? want : DELIVER);
	if (fr.n && tlen >= 0) {
		hex("frame", fr.b[0], (size_t)fr.len[0]);
		die("both encapsulated and handed over");
	}
	if (!fr.n && tlen < 0) {
		hex("inner", p, n);
		die("lost: neither encapsulated nor handed over within %d ms (model: %d, GSO %d, "
		    "fast path errors %llu)", POLL_MS, want, gso,
		    (unsigned long long)(b.fast.tx_error - a.fast.tx_error));
	}
	if (tlen >= 0)
		check_handover(want, p, n, tun, tlen, &a, &b);
	else
		check_deliver(want, &v, p, n, gso ? &g : NULL, &fr, &a, &b);
	free(p);
	return 0;
}
