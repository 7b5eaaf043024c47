// SPDX-License-Identifier: GPL-2.0
/*
 * The data plane: one TUN/TAP device and one raw socket per link, one UDP
 * socket per fou/gue port, and the two packet paths between them:
 *
 *   TUN readable  -> [TSO/USO split] -> check inner / PMTU -> uf_encap
 *                 -> UDP GSO sendmsg of a super-packet's segments on a per-flow
 *                    socket, or sendmmsg batches on the raw socket (or ICMP back)
 *   UDP readable  -> recvmmsg (UDP_GRO batches) -> uf_decap_payload -> lookup
 *                 -> GRE/ECN checks -> TCP coalescing -> one vnet-header writev
 *                    per super-packet to the TUN
 *
 * The TUN device is opened with IFF_VNET_HDR and offloads (TSO4/6, USO4/6
 * where the kernel knows them), so the local stack hands over and takes
 * back 64 KB super-packets: that saves the inner TCP stack most of its
 * per-packet work, and the UDP GSO/GRO underlay saves the same per-packet
 * work for the outer packets.
 *
 * Why per-flow UDP sockets for GSO: the raw header-included socket keeps
 * every outer byte ours but cannot segment. A super-packet from the TUN
 * is one inner flow, so all its segments share one outer source port; a
 * UDP socket bound to (local address, that port) and connected to the
 * peer lets the kernel build identical outer headers (TTL and TOS per
 * sendmsg, DF by IP_PMTUDISC_PROBE, checksum by the kernel) for many
 * datagrams per system call. The kernel refuses UDP GSO without a UDP
 * checksum (EINVAL with SO_NO_CHECK), so links sending zero outer
 * checksums (Linux's default) keep to the raw path and its batches, byte
 * for byte, unless dp_gso_csum allows the checksum (-G). Outer IPv4 IDs
 * come from the kernel's per-socket counter there, as they come from our
 * own counter on the raw path (Linux's tunnels hash them). IPv6 outer
 * packets, DF-less outer packets and ports that are taken locally
 * (EADDRINUSE) use the raw path.
 *
 * Per-packet work uses buffers allocated once: transmit area with
 * headroom in front of every packet, receive batch, coalescing tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dp.h"

#include "daemon/loop.h"
#include "dataplane/dplog.h"
#include "dataplane/frag.h"
#include "dataplane/icmp.h"
#include "dataplane/lookup.h"
#include "dataplane/netdev.h"
#include "dataplane/policy.h"
#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/decap.h"
#include "proto/encap.h"
#include "proto/gre.h"
#include "proto/gro.h"
#include "proto/gso.h"
#include "proto/ip.h"
#include "proto/vnet.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define DP_HEADROOM 128
#define DP_MAX_PKT 65536
#define DP_RX_BATCH 16       /* recvmmsg messages (each up to 64 KB with UDP_GRO) */
#define DP_RX_ROUNDS 8       /* batches per readiness event, then yield to others */
#define DP_TX_BURST 64       /* TUN reads per readiness event */
#define DP_CMSG_SPACE 128
#define DP_UNDERLAY_MTU_DEFAULT 1500
#define DP_SRC_RETRY_SEC 1
#define DP_TXQ 128           /* outer packets per sendmmsg */
#define DP_TXAREA (1u << 20) /* transmit area: packets with headroom, bump-allocated */
#define DP_TXAREA_LOW (DP_MAX_PKT * 3)   /* free space needed before a TUN read */
#define DP_GSO_MAX_SEGS 64   /* UDP_MAX_SEGMENTS on older kernels */
#define DP_GSO_MAX_PAYLOAD (65535 - 20 - 8)
#define DP_FSOCKS 64         /* per-link cache of per-flow GSO sockets */
#define DP_FSOCK_RETRY_SEC 5
#define DP_GRO_ITEMS 256     /* per link: packets written per receive batch */
#define DP_GRO_SEGS 1024
#define DP_IOV_MAX (UF_GRO_MAX_SEGS + 2)

/* UDP GSO also where the outer checksum is off (it becomes valid instead of zero). */
bool dp_gso_csum;

_Static_assert(DP_HEADROOM >= UF_ENCAP_MAX_HDR, "headroom below the largest encapsulation");

struct dp;

struct dp_port {
	struct uf_port_conf conf;
	struct uf_port_kind kind;
	int fd;
	struct uf_port_stats stats;
	struct dp *dp;
};

/* A send-only UDP socket for one outer source port (UDP GSO). */
struct dp_fsock {
	uint16_t sport;
	int fd;                         /* -1: none; -2: refused until retry */
	time_t retry;
};

struct dp_link {
	struct dp_lk_link lk;           /* lookup view; dp->lkv points here */
	struct uf_link_conf conf;
	struct uf_tx tx;
	struct uf_tx_state st;
	int tun_fd, raw_fd;
	unsigned int offload;           /* TUN_F_* accepted */
	bool gso;                       /* transmit via per-flow UDP GSO sockets */
	struct dp_fsock fs[DP_FSOCKS];
	bool rx_dirty;                  /* has coalescing items to write */
	struct uf_gro gro;
	struct dp_link *rx_next;        /* dirty list */
	unsigned int mtu;               /* device MTU */
	unsigned int underlay_mtu;
	unsigned int path_mtu;          /* inner L3 bytes the underlay allows */
	bool have_src, have_dst;
	time_t src_retry;
	struct sockaddr_storage dst_sa;
	socklen_t dst_salen;
	uint32_t rx_seq;                /* GRE iseq: next expected, 0 = none seen */
	bool tun_err_logged;
	struct uf_link_stats stats;
	struct dp *dp;
};

struct dp_rxmsg {
	struct sockaddr_storage name;
	struct iovec iov;
	uint8_t cmsg[DP_CMSG_SPACE];
};

struct dp {
	struct loop *loop;
	/* transmit: outer packets waiting for one sendmmsg on the raw socket */
	uint8_t *txarea;
	size_t txused;
	struct mmsghdr txmsgs[DP_TXQ];
	struct iovec txiov[DP_TXQ];
	size_t ntx;
	struct iovec gsoiov[DP_GSO_MAX_SEGS];
	/* links with coalesced packets to write after the receive batch */
	struct dp_link *rx_dirty;
	struct iovec wiov[DP_IOV_MAX];
	struct dp_link **links;
	const struct dp_lk_link **lkv;
	size_t nlinks, caplinks;
	struct dp_port **ports;
	size_t nports, capports;
	uint32_t seed;
	uint16_t sport_min, sport_max;  /* net.ipv4.ip_local_port_range, [min, max) */
	uint16_t icmp_id;
	uint8_t *fragbuf;               /* DP_MAX_PKT */
	uint8_t *icmpbuf;               /* an ICMP error, Ethernet header included */
	uint8_t *rxbuf;                 /* DP_RX_BATCH * DP_MAX_PKT */
	struct mmsghdr msgs[DP_RX_BATCH];
	struct dp_rxmsg rx[DP_RX_BATCH];
};

static uint32_t rand32(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
	return v;
}

/* The kernel's auto source ports come from ip_local_port_range: [low, high). */
static void read_port_range(struct dp *dp)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	unsigned int lo = 32768, hi = 60999;

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo >= hi || hi > 65535) {
			lo = 32768;
			hi = 60999;
		}
		fclose(f);
	}
	dp->sport_min = (uint16_t)lo;
	dp->sport_max = (uint16_t)hi;
}

static void rx_init(struct dp *dp)
{
	for (int i = 0; i < DP_RX_BATCH; i++) {
		struct dp_rxmsg *m = &dp->rx[i];

		m->iov.iov_base = dp->rxbuf + (size_t)i * DP_MAX_PKT;
		m->iov.iov_len = DP_MAX_PKT;
		dp->msgs[i].msg_hdr.msg_iov = &m->iov;
		dp->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

struct dp *dp_new(struct loop *loop)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->loop = loop;
	dp->txarea = malloc(DP_TXAREA);
	dp->fragbuf = malloc(DP_MAX_PKT);
	dp->icmpbuf = malloc(UF_VNET_HLEN + UF_ETH_HLEN + DP_ICMP6_MAX_LEN);
	dp->rxbuf = malloc((size_t)DP_RX_BATCH * DP_MAX_PKT);
	if (!dp->txarea || !dp->fragbuf || !dp->icmpbuf || !dp->rxbuf) {
		dp_free(dp);
		return NULL;
	}
	dp->seed = rand32();
	dp->icmp_id = (uint16_t)rand32();
	read_port_range(dp);
	rx_init(dp);
	return dp;
}

/* ---- lookup of configured objects */

static int link_index(const struct dp *dp, const char *name)
{
	for (size_t i = 0; i < dp->nlinks; i++)
		if (strncmp(dp->links[i]->conf.name, name, UF_IFNAMSIZ) == 0)
			return (int)i;
	return -1;
}

static int port_index(const struct dp *dp, const struct uf_port_conf *c)
{
	for (size_t i = 0; i < dp->nports; i++)
		if (uf_port_same(&dp->ports[i]->conf, c))
			return (int)i;
	return -1;
}

/* ---- transmit */

static size_t addr_len(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static bool addr_is_zero(const uint8_t *a, uint8_t family)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, addr_len(family)) == 0;
}

/* Local any: the source the routing table picks, retried at most once a second. */
static bool link_src_ready(struct dp_link *l)
{
	time_t now;

	if (l->have_src)
		return true;
	if (!l->have_dst)
		return false;
	now = time(NULL);
	if (now < l->src_retry)
		return false;
	l->src_retry = now + DP_SRC_RETRY_SEC;
	l->have_src = dp_route_src(l->tx.family, l->tx.dst, l->conf.dev, l->tx.src) == 0;
	return l->have_src;
}

static void tx_drop(struct dp_link *l, enum uf_tx_drop d)
{
	l->stats.tx_drops[d]++;
}

static unsigned int link_underlay_mtu(const struct dp_link *l);

/*
 * The underlay refused a packet as too big (EMSGSIZE): its MTU shrank since
 * the link was set up. Learn it, so the next packets over the new limit get
 * ICMP frag-needed / packet-too-big and the senders' routes learn it too.
 */
static void link_mtu_refresh(struct dp_link *l)
{
	unsigned int u = link_underlay_mtu(l);

	if (u == l->underlay_mtu)
		return;
	dp_debug("%s: underlay mtu %u -> %u", l->conf.name, l->underlay_mtu, u);
	l->underlay_mtu = u;
	l->path_mtu = uf_tx_default_mtu(&l->tx, u);
}

static int raw_send(struct dp_link *l, const uint8_t *p, size_t len)
{
	ssize_t n = sendto(l->raw_fd, p, len, MSG_DONTWAIT, (const struct sockaddr *)&l->dst_sa,
			   l->dst_salen);

	if (n < 0) {
		int e = errno;

		dp_debug("%s: send %zu bytes: %s", l->conf.name, len, strerror(e));
		if (e == EMSGSIZE)
			link_mtu_refresh(l);
		return -e;
	}
	return 0;
}

/* Sends the queued outer packets with as few sendmmsg calls as possible. */
static void tx_flush(struct dp_link *l)
{
	struct dp *dp = l->dp;
	size_t done = 0;

	while (done < dp->ntx) {
		int n = sendmmsg(l->raw_fd, dp->txmsgs + done, (unsigned int)(dp->ntx - done),
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The first message failed (full buffer, no route): drop it, go on. */
			dp_debug("%s: sendmmsg: %s", l->conf.name, n < 0 ? strerror(errno) : "0");
			if (n < 0 && errno == EMSGSIZE)
				link_mtu_refresh(l);
			tx_drop(l, UF_TXD_SEND_ERROR);
			l->stats.tx_packets--;
			done++;
			continue;
		}
		done += (size_t)n;
	}
	dp->ntx = 0;
}

static void tx_queue(struct dp_link *l, uint8_t *p, size_t len)
{
	struct dp *dp = l->dp;
	struct msghdr *mh = &dp->txmsgs[dp->ntx].msg_hdr;

	dp->txiov[dp->ntx].iov_base = p;
	dp->txiov[dp->ntx].iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &l->dst_sa;
	mh->msg_namelen = l->dst_salen;
	mh->msg_iov = &dp->txiov[dp->ntx];
	mh->msg_iovlen = 1;
	dp->ntx++;
	if (dp->ntx == DP_TXQ)
		tx_flush(l);
}

/* Room for the next packet (and its segments) in the transmit area. */
static uint8_t *tx_slot(struct dp_link *l)
{
	struct dp *dp = l->dp;

	if (DP_TXAREA - dp->txused < DP_TXAREA_LOW)
		tx_flush(l);
	/* Nothing queued refers to the area any more: start over. */
	if (dp->ntx == 0)
		dp->txused = 0;
	return dp->txarea + dp->txused;
}

static void tx_take(struct dp *dp, size_t bytes)
{
	dp->txused += (bytes + 63) & ~(size_t)63;
}

/*
 * An outer IPv4 packet over the underlay MTU: RFC 791 fragments. The ID
 * must be non-zero, or the raw socket would give each fragment a new one.
 */
static int send_fragments(struct dp_link *l, uint8_t *outer, size_t len)
{
	struct dp_frag4 f;
	int n;

	if (get_be16(outer + 4) == 0) {
		put_be16(outer + 4, 1);
		put_be16(outer + 10, uf_csum_replace16(get_be16(outer + 10), 0, 1));
	}
	n = dp_frag4_init(&f, outer, len, l->underlay_mtu);
	if (n < 0)
		return n;
	while ((n = dp_frag4_next(&f, l->dp->fragbuf, DP_MAX_PKT)) > 0) {
		int err = raw_send(l, l->dp->fragbuf, (size_t)n);

		if (err)
			return err;
	}
	l->stats.tx_fragmented++;
	return n;
}

/* Writes an ICMP error into the device, wrapped in Ethernet on tap links. */
static void icmp_write(struct dp_link *l, const uint8_t *frame, size_t eth, size_t len)
{
	uint8_t *buf = l->dp->icmpbuf + UF_VNET_HLEN;

	memset(l->dp->icmpbuf, 0, UF_VNET_HLEN);
	if (eth) {
		memcpy(buf, frame + 6, 6);      /* back to the sender's MAC */
		memcpy(buf + 6, frame, 6);
		put_be16(buf + 12, (buf[UF_ETH_HLEN] >> 4) == 6 ? UF_ETH_P_IPV6 : UF_ETH_P_IP);
	}
	if (write(l->tun_fd, l->dp->icmpbuf, UF_VNET_HLEN + eth + len) < 0) {
		dp_debug("%s: ICMP write: %s", l->conf.name, strerror(errno));
		return;
	}
	l->stats.icmp_sent++;
}

/*
 * Frag-needed / packet-too-big to the inner sender, written into the device
 * so that the local stack (or, for forwarded traffic, the next hop back)
 * learns the MTU. The source is the inner destination: an error injected
 * through the device from one of our own addresses is a martian source on
 * input (fib_validate_source) and would be dropped, while the inner
 * destination routes via this device, so reverse-path checks pass. The
 * kernel's tunnels send from the device address, but deliver locally.
 */
static void send_icmp(struct dp_link *l, const uint8_t *frame, const struct dp_inner *in,
		      unsigned int mtu)
{
	const uint8_t *ip = frame + in->l3_off;
	size_t eth = in->l3_off, cap = DP_ICMP6_MAX_LEN;
	uint8_t *out = l->dp->icmpbuf + UF_VNET_HLEN + eth;
	int n;

	if (in->version == 4) {
		if (!dp_icmp4_eligible(ip, in->l3_len))
			return;
		n = dp_icmp4_frag_needed(out, cap, ip, in->l3_len, ip + 16,
					 (uint16_t)(mtu > 0xffff ? 0xffff : mtu), l->dp->icmp_id++);
	} else {
		if (!dp_icmp6_eligible(ip, in->l3_len))
			return;
		n = dp_icmp6_ptb(out, cap, ip, in->l3_len, ip + 24, mtu);
	}
	if (n > 0)
		icmp_write(l, frame, eth, (size_t)n);
}

static void tx_encap_error(struct dp_link *l, int err)
{
	if (err == -ENOSPC)
		tx_drop(l, UF_TXD_NO_HEADROOM);
	else if (err == -EMSGSIZE)
		tx_drop(l, UF_TXD_TOO_BIG);
	else
		tx_drop(l, UF_TXD_BAD_INNER);
}

/*
 * One inner packet at buf + DP_HEADROOM, len bytes, encapsulated in place.
 * Returns the outer packet's offset in buf (its length in *olen) when it
 * is ready to send as is, or -1 when it was handled (dropped, answered
 * with ICMP, fragmented and sent).
 */
static int link_tx_one(struct dp_link *l, uint8_t *buf, size_t len,
		       const struct uf_partial_csum *pc, size_t *olen)
{
	uint8_t *inner = buf + DP_HEADROOM;
	unsigned int limit, icmp_mtu;
	enum dp_pmtu verdict;
	struct dp_inner in;
	bool fits;
	int off;

	if (dp_tx_inner(l->conf.type, l->conf.mode, inner, len, &in) < 0) {
		tx_drop(l, UF_TXD_BAD_INNER);
		return -1;
	}
	if (!link_src_ready(l)) {
		tx_drop(l, UF_TXD_NO_ROUTE);
		return -1;
	}
	limit = l->mtu < l->path_mtu ? l->mtu : l->path_mtu;
	fits = uf_tx_overhead(&l->tx) + len <= l->underlay_mtu;
	verdict = dp_tx_pmtu(l->tx.family, &in, limit, fits, &icmp_mtu);
	if (verdict == DP_PMTU_ICMP)
		send_icmp(l, inner, &in, icmp_mtu);
	if (verdict == DP_PMTU_ICMP || verdict == DP_PMTU_DROP) {
		tx_drop(l, UF_TXD_TOO_BIG);
		return -1;
	}
	off = uf_encap(&l->tx, &l->st, buf, DP_HEADROOM, len, pc, olen);
	if (off < 0) {
		tx_encap_error(l, off);
		return -1;
	}
	l->stats.tx_packets++;
	l->stats.tx_bytes += len;
	if (verdict == DP_PMTU_FRAG) {
		tx_flush(l);    /* keep the flow's order */
		if (send_fragments(l, buf + off, *olen) < 0) {
			l->stats.tx_packets--;
			tx_drop(l, UF_TXD_SEND_ERROR);
		}
		return -1;
	}
	return off;
}

/* ---- UDP GSO: one sendmsg for many segments of one flow */

static void fsock_close(struct dp_fsock *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->sport = 0;
}

static void link_fsocks_close(struct dp_link *l)
{
	for (int i = 0; i < DP_FSOCKS; i++)
		fsock_close(&l->fs[i]);
}

/* The flow socket for outer source port sport, opened on first use; -1 if none. */
static int fsock_get(struct dp_link *l, uint16_t sport)
{
	struct dp_fsock *f = &l->fs[sport % DP_FSOCKS];
	time_t now;

	if (f->sport == sport && f->fd >= 0)
		return f->fd;
	if (f->sport == sport && f->fd == -2 && time(NULL) < f->retry)
		return -1;
	fsock_close(f);
	f->sport = sport;
	f->fd = dp_gso_sock_open(l->tx.src, sport, l->tx.dst, l->tx.dport, l->conf.dev);
	if (f->fd < 0) {
		now = time(NULL);
		dp_debug("%s: GSO socket for port %u: %s", l->conf.name, sport, strerror(-f->fd));
		f->fd = -2;
		f->retry = now + DP_FSOCK_RETRY_SEC;
		return -1;
	}
	return f->fd;
}

/* What the kernel must reproduce for every segment of a GSO send. */
struct gso_outer {
	uint8_t ttl, tos;
	uint16_t sport;
	size_t hlen;            /* outer IPv4 + UDP header bytes */
};

/* Outer IPv4 packet p: fixed header, DF, no fragment; the UDP payload follows. */
static bool gso_outer_of(const uint8_t *p, struct gso_outer *o)
{
	if (p[0] != 0x45 || get_be16(p + 6) != 0x4000)
		return false;
	o->ttl = p[8];
	o->tos = p[1];
	o->sport = get_be16(p + UF_IP4_HLEN);
	o->hlen = UF_IP4_HLEN + UF_UDP_HLEN;
	return true;
}

static bool gso_same(const uint8_t *p, const struct gso_outer *o)
{
	struct gso_outer x;

	return gso_outer_of(p, &x) && x.ttl == o->ttl && x.tos == o->tos && x.sport == o->sport;
}

/* sendmsg of iov[0..n) as datagrams of seg bytes (the last may be shorter). */
static int gso_send(struct dp_link *l, int fd, const struct gso_outer *o, struct iovec *iov,
		    size_t n, size_t seg)
{
	union {
		uint8_t b[CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cb;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n, .msg_control = cb.b,
			     .msg_controllen = sizeof(cb.b) };
	struct cmsghdr *c;
	int ttl = o->ttl, tos = o->tos;
	uint16_t gs = (uint16_t)seg;

	memset(&cb, 0, sizeof(cb));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_TTL;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &ttl, sizeof(int));
	c = CMSG_NXTHDR(&mh, c);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_TOS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tos, sizeof(int));
	c = CMSG_NXTHDR(&mh, c);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(c), &gs, sizeof(gs));
	for (;;) {
		if (sendmsg(fd, &mh, MSG_DONTWAIT) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/*
 * The segments of one super-packet, encapsulated at offs[i] in the area:
 * sends them with UDP GSO when they qualify (same TTL/TOS/port, DF, equal
 * sizes but the last). Returns false to have them go the raw way.
 */
static bool link_tx_gso(struct dp_link *l, uint8_t *const *pkts, const size_t *lens, size_t n)
{
	struct dp *dp = l->dp;
	struct gso_outer o;
	size_t seg, i = 0;
	int fd, err;

	if (n < 2 || !gso_outer_of(pkts[0], &o))
		return false;
	seg = lens[0] - o.hlen;
	for (size_t k = 1; k < n; k++)
		if (!gso_same(pkts[k], &o) || lens[k] - o.hlen > seg ||
		    (k + 1 < n && lens[k] - o.hlen != seg))
			return false;
	fd = fsock_get(l, o.sport);
	if (fd < 0)
		return false;
	tx_flush(l);    /* whatever the flow queued before goes first */
	while (i < n) {
		size_t m = 0, bytes = 0;

		while (i + m < n && m < DP_GSO_MAX_SEGS && bytes + seg <= DP_GSO_MAX_PAYLOAD) {
			dp->gsoiov[m].iov_base = pkts[i + m] + o.hlen;
			dp->gsoiov[m].iov_len = lens[i + m] - o.hlen;
			bytes += lens[i + m] - o.hlen;
			m++;
		}
		err = gso_send(l, fd, &o, dp->gsoiov, m, seg);
		if (err == -EIO || err == -EINVAL || err == -EOPNOTSUPP) {
			/* No checksum offload on the way out, or GSO refused: raw from now on. */
			dp_log("%s: UDP GSO refused (%s), using batches", l->conf.name,
			       strerror(-err));
			l->gso = false;
			for (size_t k = i; k < n; k++)
				tx_queue(l, pkts[k], lens[k]);
			return true;
		}
		if (err == -EMSGSIZE)
			link_mtu_refresh(l);
		if (err) {
			dp_debug("%s: GSO send: %s", l->conf.name, strerror(-err));
			l->stats.tx_drops[UF_TXD_SEND_ERROR] += m;
			l->stats.tx_packets -= m;
		}
		i += m;
	}
	return true;
}

/* ---- from the TUN device */

/*
 * A segment of a super-packet on a GUE link with encap-remcsum goes out as
 * Linux sends it: checksum left partial and the remote checksum option in
 * the GUE header. Other links send segments with complete checksums.
 */
static const struct uf_partial_csum *seg_partial(const struct dp_link *l, const struct uf_gso *g,
						 uint8_t *buf, size_t len,
						 struct uf_partial_csum *pc)
{
	if (!l->tx.remcsum || l->tx.encap != UF_ENCAP_GUE)
		return NULL;
	if (uf_gso_make_partial(g, buf + DP_HEADROOM, len, &pc->start, &pc->offset) < 0)
		return NULL;
	return pc;
}

/* A TSO/USO super-packet at inner[0..len): cut, encapsulate each, send. */
static void link_tx_super(struct dp_link *l, const uint8_t *inner, size_t len,
			  const struct uf_vnet_hdr *vh)
{
	uint8_t *pkts[DP_GSO_MAX_SEGS * 2];
	size_t lens[DP_GSO_MAX_SEGS * 2], n = 0;
	size_t l3 = uf_link_type_is_tap(l->conf.type) ? UF_ETH_HLEN : 0;
	struct uf_partial_csum pc;
	struct uf_gso g;
	int nseg = uf_gso_init(&g, inner, len, l3, vh);

	if (nseg <= 0 || (size_t)nseg > DP_GSO_MAX_SEGS * 2) {
		tx_drop(l, UF_TXD_BAD_INNER);
		return;
	}
	for (size_t i = 0; i < (size_t)nseg; i++) {
		uint8_t *buf = l->dp->txarea + l->dp->txused;
		size_t olen;
		int m = uf_gso_segment(&g, i, buf + DP_HEADROOM, DP_MAX_PKT), off;

		if (m < 0) {
			tx_drop(l, UF_TXD_BAD_INNER);
			continue;
		}
		off = link_tx_one(l, buf, (size_t)m, seg_partial(l, &g, buf, (size_t)m, &pc),
				  &olen);
		if (off < 0)
			continue;
		pkts[n] = buf + off;
		lens[n++] = olen;
		tx_take(l->dp, (size_t)off + olen);
	}
	if (l->gso && link_tx_gso(l, pkts, lens, n))
		return;
	for (size_t i = 0; i < n; i++)
		tx_queue(l, pkts[i], lens[i]);
}

/* One read from the TUN at buf + DP_HEADROOM - UF_VNET_HLEN: vnet header, then the packet. */
static void link_tx_read(struct dp_link *l, uint8_t *buf, size_t n)
{
	uint8_t *inner = buf + DP_HEADROOM;
	struct uf_partial_csum pc, *ppc = NULL;
	struct uf_vnet_hdr vh;
	size_t len, olen;
	int off;

	if (uf_vnet_decode(buf + DP_HEADROOM - UF_VNET_HLEN, n, &vh) < 0) {
		tx_drop(l, UF_TXD_BAD_INNER);
		return;
	}
	len = n - UF_VNET_HLEN;
	tx_take(l->dp, DP_HEADROOM + len);
	if ((vh.gso_type & ~UF_VNET_GSO_ECN) != UF_VNET_GSO_NONE) {
		link_tx_super(l, inner, len, &vh);
		return;
	}
	if (vh.flags & UF_VNET_F_NEEDS_CSUM) {
		pc.start = vh.csum_start;
		pc.offset = vh.csum_offset;
		ppc = &pc;
	}
	off = link_tx_one(l, buf, len, ppc, &olen);
	if (off >= 0)
		tx_queue(l, buf + off, olen);
}

static void link_tun_cb(int fd, uint32_t events, void *arg)
{
	struct dp_link *l = arg;

	for (int i = 0; i < DP_TX_BURST; i++) {
		uint8_t *buf = tx_slot(l);
		ssize_t n = read(fd, buf + DP_HEADROOM - UF_VNET_HLEN, UF_VNET_HLEN + DP_MAX_PKT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && !l->tun_err_logged) {
				dp_log("%s: read: %s", l->conf.name, strerror(errno));
				l->tun_err_logged = true;
			}
			break;
		}
		if (n == 0)
			break;
		link_tx_read(l, buf, (size_t)n);
	}
	tx_flush(l);
}

/* ---- receive */

static void link_rx_drop(struct dp_link *l, enum uf_drop d)
{
	l->stats.rx_drops[d]++;
}

/* RFC 6040 decapsulation on the inner IP header (inside Ethernet on taps). */
static enum uf_drop rx_ecn(uint8_t *p, const struct uf_pkt *pkt, uint8_t outer_tos)
{
	uint8_t *ip = p + pkt->tun_off + (pkt->has_eth ? UF_ETH_HLEN : 0);
	uint8_t inner, ds;
	bool log;

	if (!pkt->has_inner)
		return UF_DROP_NONE;
	inner = uf_ip_get_dsfield(ip);
	if (uf_ecn_decap(outer_tos, inner, &ds, &log) < 0)
		return UF_DROP_ECN_CE_NOT_ECT;
	if (ds != inner)
		uf_ip_set_dsfield(ip, ds);
	return UF_DROP_NONE;
}

/* Writes a link's coalesced packets to its device, in order, one writev each. */
static void link_rx_flush(struct dp_link *l)
{
	struct iovec *iov = l->dp->wiov;
	uint8_t vb[UF_VNET_HLEN];

	for (size_t i = 0; i < l->gro.nitems; i++) {
		struct uf_gro_item *it = &l->gro.items[i];
		struct uf_vnet_hdr vh;
		size_t n = 2, bytes = it->len;

		uf_gro_finish(it, &vh);
		uf_vnet_encode(vb, &vh);
		iov[0].iov_base = vb;
		iov[0].iov_len = UF_VNET_HLEN;
		iov[1].iov_base = it->pkt;
		iov[1].iov_len = it->len;
		for (int32_t k = it->first; k >= 0 && n < DP_IOV_MAX; k = l->gro.segs[k].next) {
			iov[n].iov_base = (void *)l->gro.segs[k].p;
			iov[n++].iov_len = l->gro.segs[k].len;
			bytes += l->gro.segs[k].len;
		}
		if (writev(l->tun_fd, iov, (int)n) < 0) {
			l->stats.rx_drops[UF_DROP_TUN_WRITE] += it->nseg;
			continue;
		}
		l->stats.rx_packets += it->nseg;
		/* Bytes as the segments arrived: each repeats the headers. */
		l->stats.rx_bytes += bytes + (size_t)(it->nseg - 1) * it->hdr_len;
	}
	uf_gro_reset(&l->gro);
}

static void rx_flush(struct dp *dp)
{
	while (dp->rx_dirty) {
		struct dp_link *l = dp->rx_dirty;

		dp->rx_dirty = l->rx_next;
		l->rx_dirty = false;
		link_rx_flush(l);
	}
}

/* ip_tunnel_rcv(): GRE checksum presence, sequence numbers, ECN, then deliver. */
static void link_rx(struct dp_link *l, uint8_t *p, const struct uf_pkt *pkt, uint8_t outer_tos)
{
	size_t l3 = pkt->has_eth ? UF_ETH_HLEN : 0;
	uint8_t *frame = p + pkt->tun_off;
	enum uf_drop d;

	if (pkt->has_gre) {
		if (pkt->gre.has_csum != l->conf.icsum) {
			link_rx_drop(l, UF_DROP_GRE_CSUM_MISMATCH);
			return;
		}
		if (l->conf.iseq && !dp_gre_seq_ok(pkt->gre.has_seq, pkt->gre.seq, &l->rx_seq)) {
			link_rx_drop(l, UF_DROP_GRE_SEQ);
			return;
		}
	}
	d = rx_ecn(p, pkt, outer_tos);
	if (d != UF_DROP_NONE) {
		link_rx_drop(l, d);
		return;
	}
	/* A tap frame without IP inside is never coalesced. */
	if (pkt->has_eth && !pkt->has_inner)
		l3 = pkt->tun_len;
	if (uf_gro_add(&l->gro, frame, pkt->tun_len, l3) == -ENOSPC) {
		link_rx_flush(l);
		uf_gro_add(&l->gro, frame, pkt->tun_len, l3);
	}
	if (!l->rx_dirty) {
		l->rx_dirty = true;
		l->rx_next = l->dp->rx_dirty;
		l->dp->rx_dirty = l;
	}
}

/* Outer source from msg_name, outer destination and DS field from control messages. */
static void rx_outer(const struct msghdr *mh, struct dp_lk_key *k, uint8_t *tos, size_t *gso)
{
	const struct sockaddr *sa = mh->msg_name;

	*tos = 0;
	*gso = 0;
	if (sa->sa_family == AF_INET6) {
		k->family = 6;
		memcpy(k->src, &((const struct sockaddr_in6 *)mh->msg_name)->sin6_addr, 16);
	} else {
		k->family = 4;
		memcpy(k->src, &((const struct sockaddr_in *)mh->msg_name)->sin_addr, 4);
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(k->dst, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			*tos = *CMSG_DATA(c);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(k->dst, &pi.ipi6_addr, 16);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			*tos = (uint8_t)v;
		} else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			*gso = v > 0 ? (size_t)v : 0;
		}
	}
}

/* One datagram's payload p[0..len); k holds the outer addresses. */
static void port_rx_one(struct dp_port *pt, struct dp_lk_key *k, uint8_t tos, uint8_t *p,
			size_t len)
{
	struct dp *dp = pt->dp;
	struct uf_pkt pkt;
	enum uf_drop d;
	int idx;

	pt->stats.rx_packets++;
	pt->stats.rx_bytes += len;
	memset(&pkt, 0, sizeof(pkt));
	d = uf_decap_payload(p, len, &pt->kind, &pkt);
	if (d != UF_DROP_NONE) {
		pt->stats.drops[d]++;
		return;
	}
	k->ipproto = pkt.ipproto;
	k->gre_proto = pkt.gre.proto;
	k->has_key = pkt.has_gre && pkt.gre.has_key;
	k->key = pkt.gre.key;
	idx = dp_lookup(dp->lkv, dp->nlinks, k, &d);
	/* A link in the wrong mode still counts the drop as its own. */
	if (idx < 0)
		pt->stats.drops[d]++;
	else if (d != UF_DROP_NONE)
		link_rx_drop(dp->links[idx], d);
	else
		link_rx(dp->links[idx], p, &pkt, tos);
}

/* One received message: a datagram, or with UDP_GRO several of gso bytes each. */
static void port_rx_msg(struct dp_port *pt, struct msghdr *mh, size_t len)
{
	uint8_t *p = mh->msg_iov->iov_base;
	struct dp_lk_key k;
	size_t gso, off = 0;
	uint8_t tos;

	if (mh->msg_flags & MSG_TRUNC) {
		pt->stats.rx_packets++;
		pt->stats.rx_bytes += len;
		pt->stats.drops[UF_DROP_NO_BUFFER]++;
		return;
	}
	memset(&k, 0, sizeof(k));
	rx_outer(mh, &k, &tos, &gso);
	if (!gso || gso > len)
		gso = len;
	do {
		size_t n = len - off < gso ? len - off : gso;

		port_rx_one(pt, &k, tos, p + off, n);
		off += n;
	} while (off < len);
}

static void rx_reset(struct dp *dp)
{
	for (int i = 0; i < DP_RX_BATCH; i++) {
		struct msghdr *mh = &dp->msgs[i].msg_hdr;

		mh->msg_name = &dp->rx[i].name;
		mh->msg_namelen = sizeof(dp->rx[i].name);
		mh->msg_control = dp->rx[i].cmsg;
		mh->msg_controllen = sizeof(dp->rx[i].cmsg);
		mh->msg_flags = 0;
	}
}

static void port_cb(int fd, uint32_t events, void *arg)
{
	struct dp_port *pt = arg;
	struct dp *dp = pt->dp;

	for (int round = 0; round < DP_RX_ROUNDS; round++) {
		int n;

		rx_reset(dp);
		n = recvmmsg(fd, dp->msgs, DP_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			/* EAGAIN: drained. Others (ICMP errors on a connected socket) are
			 * reported once and cleared, so just go on. */
			if (errno == EAGAIN)
				return;
			continue;
		}
		for (int i = 0; i < n; i++)
			port_rx_msg(pt, &dp->msgs[i].msg_hdr, dp->msgs[i].msg_len);
		/* The coalesced packets point into the batch buffers: out before reuse. */
		rx_flush(dp);
		if (n < DP_RX_BATCH)
			return;
	}
}

/* ---- ports */

int dp_port_add(struct dp *dp, const struct uf_port_conf *c, char *err, size_t errlen)
{
	struct dp_port *pt;
	int fd, e;

	if (port_index(dp, c) >= 0) {
		snprintf(err, errlen, "port %u: already configured", c->port);
		return -EALREADY;
	}
	if (dp->nports == dp->capports) {
		size_t n = dp->capports ? dp->capports * 2 : 8;
		struct dp_port **v = realloc(dp->ports, n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		dp->ports = v;
		dp->capports = n;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	fd = dp_udp_open(c, false, err, errlen);
	if (fd < 0) {
		free(pt);
		return fd;
	}
	pt->conf = *c;
	pt->fd = fd;
	pt->dp = dp;
	pt->kind.port = c->port;
	pt->kind.family = c->family == 6 ? 6 : 4;
	pt->kind.gue = c->gue;
	pt->kind.ipproto = c->ipproto;
	e = loop_add(dp->loop, fd, EPOLLIN, port_cb, pt);
	if (e) {
		snprintf(err, errlen, "port %u: event loop: %s", c->port, strerror(-e));
		close(fd);
		free(pt);
		return e;
	}
	dp->ports[dp->nports++] = pt;
	if (c->gue)
		dp_debug("port %u%s gue added", c->port, c->family == 6 ? " -6" : "");
	else
		dp_debug("port %u%s ipproto %u added", c->port, c->family == 6 ? " -6" : "",
			 c->ipproto);
	return 0;
}

static void port_free(struct dp *dp, struct dp_port *pt)
{
	loop_del(dp->loop, pt->fd);
	close(pt->fd);
	free(pt);
}

int dp_port_del(struct dp *dp, const struct uf_port_conf *c)
{
	int i = port_index(dp, c);

	if (i < 0)
		return -ENOENT;
	port_free(dp, dp->ports[i]);
	memmove(&dp->ports[i], &dp->ports[i + 1], (dp->nports - (size_t)i - 1) * sizeof(dp->ports[0]));
	dp->nports--;
	return 0;
}

int dp_port_stats(struct dp *dp, const struct uf_port_conf *c, struct uf_port_stats *st)
{
	int i = port_index(dp, c);

	if (i < 0)
		return -ENOENT;
	*st = dp->ports[i]->stats;
	return 0;
}

/* ---- links */

static unsigned int link_underlay_mtu(const struct dp_link *l)
{
	char ifn[UF_IFNAMSIZ];
	struct uf_addr src;
	unsigned int mtu;

	if (l->conf.dev[0] && dp_if_get_mtu(l->conf.dev, &mtu) == 0)
		return mtu;
	if (l->have_src) {
		memset(&src, 0, sizeof(src));
		src.family = l->tx.family;
		memcpy(src.a, l->tx.src, addr_len(src.family));
		if (dp_addr_ifname(&src, ifn) == 0 && dp_if_get_mtu(ifn, &mtu) == 0)
			return mtu;
	}
	return DP_UNDERLAY_MTU_DEFAULT;
}

static void link_dst_sa(struct dp_link *l)
{
	memset(&l->dst_sa, 0, sizeof(l->dst_sa));
	if (l->tx.family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&l->dst_sa;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, l->tx.dst, 16);
		if (l->conf.dev[0])
			s6->sin6_scope_id = if_nametoindex(l->conf.dev);
		l->dst_salen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&l->dst_sa;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, l->tx.dst, 4);
		l->dst_salen = sizeof(*s4);
	}
}

/* Everything derived from the configuration: transmit parameters, lookup view, MTUs. */
static void link_derive(struct dp *dp, struct dp_link *l)
{
	const struct uf_link_conf *c = &l->conf;

	uf_link_conf_to_tx(c, &l->tx);
	l->tx.hash_seed = dp->seed;
	l->tx.sport_min = dp->sport_min;
	l->tx.sport_max = dp->sport_max;
	l->have_dst = !addr_is_zero(l->tx.dst, l->tx.family);
	l->have_src = !addr_is_zero(l->tx.src, l->tx.family);
	l->src_retry = 0;
	link_src_ready(l);
	link_dst_sa(l);
	l->lk.type = c->type;
	l->lk.mode = c->mode;
	l->lk.local = c->local;
	l->lk.remote = c->remote;
	l->lk.has_ikey = !!(c->has & UF_LINK_HAS_IKEY);
	l->lk.ikey = c->ikey;
	l->underlay_mtu = link_underlay_mtu(l);
	l->path_mtu = uf_tx_default_mtu(&l->tx, l->underlay_mtu);
	l->mtu = c->mtu ? c->mtu : l->path_mtu;
	/* Outer addresses or ports may have changed: new flow sockets. */
	link_fsocks_close(l);
	l->gso = l->tx.family == 4 && (l->tx.udp_csum || dp_gso_csum);
}

static int link_set_mtu(struct dp_link *l, char *err, size_t errlen)
{
	int e = dp_if_set_mtu(l->conf.name, l->mtu);

	if (e)
		snprintf(err, errlen, "%s: mtu %u: %s", l->conf.name, l->mtu, strerror(-e));
	return e;
}

static int links_reserve(struct dp *dp)
{
	size_t n = dp->caplinks ? dp->caplinks * 2 : 8;
	struct dp_link **v;
	const struct dp_lk_link **lv;

	if (dp->nlinks < dp->caplinks)
		return 0;
	v = realloc(dp->links, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	dp->links = v;
	lv = realloc(dp->lkv, n * sizeof(*lv));
	if (!lv)
		return -ENOMEM;
	dp->lkv = lv;
	dp->caplinks = n;
	return 0;
}

static void link_close(struct dp *dp, struct dp_link *l)
{
	if (l->tun_fd >= 0) {
		loop_del(dp->loop, l->tun_fd);
		close(l->tun_fd);
	}
	if (l->raw_fd >= 0)
		close(l->raw_fd);
	link_fsocks_close(l);
	free(l->gro.items);
	free(l->gro.segs);
	free(l);
}

static int link_open(struct dp *dp, struct dp_link *l, char *err, size_t errlen)
{
	const struct uf_link_conf *c = &l->conf;
	int e;

	e = dp_tun_open(c->name, uf_link_type_is_tap(c->type), 1, &l->tun_fd, &l->offload, err,
			errlen);
	if (e < 0)
		return e;
	l->raw_fd = dp_raw_open(uf_link_type_family(c->type), c->dev, err, errlen);
	if (l->raw_fd < 0)
		return l->raw_fd;
	e = link_set_mtu(l, err, errlen);
	if (e)
		return e;
	e = dp_if_up(c->name);
	if (e) {
		snprintf(err, errlen, "%s: up: %s", c->name, strerror(-e));
		return e;
	}
	e = loop_add(dp->loop, l->tun_fd, EPOLLIN, link_tun_cb, l);
	if (e)
		snprintf(err, errlen, "%s: event loop: %s", c->name, strerror(-e));
	return e;
}

int dp_link_add(struct dp *dp, const struct uf_link_conf *c, char *err, size_t errlen)
{
	struct dp_link *l;
	int e;

	if (link_index(dp, c->name) >= 0) {
		snprintf(err, errlen, "link %s exists", c->name);
		return -EEXIST;
	}
	if (links_reserve(dp))
		return -ENOMEM;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->tun_fd = l->raw_fd = -1;
	for (int k = 0; k < DP_FSOCKS; k++)
		l->fs[k].fd = -1;
	l->dp = dp;
	l->conf = *c;
	l->st.ip_id = (uint16_t)rand32();
	uf_gro_init(&l->gro, calloc(DP_GRO_ITEMS, sizeof(struct uf_gro_item)), DP_GRO_ITEMS,
		    calloc(DP_GRO_SEGS, sizeof(struct uf_gro_seg)), DP_GRO_SEGS);
	if (!l->gro.items || !l->gro.segs) {
		link_close(dp, l);
		return -ENOMEM;
	}
	link_derive(dp, l);
	e = link_open(dp, l, err, errlen);
	if (e) {
		link_close(dp, l);
		return e;
	}
	dp->lkv[dp->nlinks] = &l->lk;
	dp->links[dp->nlinks++] = l;
	dp_debug("link %s type %s mtu %u (underlay %u) offloads 0x%x%s added", c->name,
		 uf_link_type_name(c->type), l->mtu, l->underlay_mtu, l->offload,
		 l->gso ? " udp-gso" : "");
	return 0;
}

int dp_link_change(struct dp *dp, const struct uf_link_conf *c, char *err, size_t errlen)
{
	int i = link_index(dp, c->name), raw, e;
	struct dp_link *l, old;

	if (i < 0) {
		snprintf(err, errlen, "link %s not found", c->name);
		return -ENOENT;
	}
	l = dp->links[i];
	if (c->type != l->conf.type) {
		snprintf(err, errlen, "%s: the link type cannot be changed", c->name);
		return -EOPNOTSUPP;
	}
	old = *l;
	raw = l->raw_fd;
	if (strncmp(c->dev, l->conf.dev, UF_IFNAMSIZ) != 0) {
		raw = dp_raw_open(uf_link_type_family(c->type), c->dev, err, errlen);
		if (raw < 0)
			return raw;
	}
	l->conf = *c;
	link_derive(dp, l);
	e = l->mtu != old.mtu ? link_set_mtu(l, err, errlen) : 0;
	if (e) {
		if (raw != old.raw_fd)
			close(raw);
		*l = old;
		/* link_derive() closed the flow sockets the copy still names. */
		for (int k = 0; k < DP_FSOCKS; k++)
			l->fs[k].fd = -1;
		return e;
	}
	if (raw != old.raw_fd) {
		close(old.raw_fd);
		l->raw_fd = raw;
	}
	if (c->iseq != old.conf.iseq)
		l->rx_seq = 0;
	return 0;
}

int dp_link_del(struct dp *dp, const char *name)
{
	int i = link_index(dp, name);
	size_t tail;

	if (i < 0)
		return -ENOENT;
	link_close(dp, dp->links[i]);
	tail = dp->nlinks - (size_t)i - 1;
	memmove(&dp->links[i], &dp->links[i + 1], tail * sizeof(dp->links[0]));
	memmove(&dp->lkv[i], &dp->lkv[i + 1], tail * sizeof(dp->lkv[0]));
	dp->nlinks--;
	return 0;
}

int dp_link_stats(struct dp *dp, const char *name, struct uf_link_stats *st)
{
	int i = link_index(dp, name);

	if (i < 0)
		return -ENOENT;
	*st = dp->links[i]->stats;
	return 0;
}

int dp_link_mtu(struct dp *dp, const char *name, unsigned int *mtu)
{
	int i = link_index(dp, name);

	if (i < 0)
		return -ENOENT;
	*mtu = dp->links[i]->mtu;
	return 0;
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	while (dp->nlinks)
		dp_link_del(dp, dp->links[dp->nlinks - 1]->conf.name);
	while (dp->nports)
		dp_port_del(dp, &dp->ports[dp->nports - 1]->conf);
	free(dp->links);
	free(dp->lkv);
	free(dp->ports);
	free(dp->txarea);
	free(dp->fragbuf);
	free(dp->icmpbuf);
	free(dp->rxbuf);
	free(dp);
}
