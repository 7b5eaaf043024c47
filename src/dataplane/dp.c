// SPDX-License-Identifier: GPL-2.0
/*
 * The data plane: one TUN/TAP device and one raw socket per link, one UDP
 * socket per fou/gue port, and the two packet paths between them:
 *
 *   TUN readable  -> check inner / PMTU -> uf_encap -> raw sendto (or ICMP back)
 *   UDP readable  -> uf_decap_payload -> tunnel lookup -> GRE/ECN checks -> TUN write
 *
 * Per-packet work uses buffers allocated once in dp_new(): a transmit
 * buffer with UF_ENCAP_MAX_HDR+ headroom in front of the inner packet, a
 * fragment buffer, and a recvmmsg batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
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
#include "proto/ip.h"

#define DP_HEADROOM 128
#define DP_MAX_PKT 65536
#define DP_RX_BATCH 32
#define DP_RX_ROUNDS 8       /* batches per readiness event, then yield to others */
#define DP_TX_BURST 64       /* TUN reads per readiness event */
#define DP_CMSG_SPACE 128
#define DP_UNDERLAY_MTU_DEFAULT 1500
#define DP_SRC_RETRY_SEC 1

_Static_assert(DP_HEADROOM >= UF_ENCAP_MAX_HDR, "headroom below the largest encapsulation");

struct dp;

struct dp_port {
	struct uf_port_conf conf;
	struct uf_port_kind kind;
	int fd;
	struct uf_port_stats stats;
	struct dp *dp;
};

struct dp_link {
	struct dp_lk_link lk;           /* lookup view; dp->lkv points here */
	struct uf_link_conf conf;
	struct uf_tx tx;
	struct uf_tx_state st;
	int tun_fd, raw_fd;
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
	struct dp_link **links;
	const struct dp_lk_link **lkv;
	size_t nlinks, caplinks;
	struct dp_port **ports;
	size_t nports, capports;
	uint32_t seed;
	uint16_t sport_min, sport_max;  /* net.ipv4.ip_local_port_range, [min, max) */
	uint16_t icmp_id;
	uint8_t *txbuf;                 /* DP_HEADROOM + DP_MAX_PKT */
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
	dp->txbuf = malloc(DP_HEADROOM + DP_MAX_PKT);
	dp->fragbuf = malloc(DP_MAX_PKT);
	dp->icmpbuf = malloc(UF_ETH_HLEN + DP_ICMP6_MAX_LEN);
	dp->rxbuf = malloc((size_t)DP_RX_BATCH * DP_MAX_PKT);
	if (!dp->txbuf || !dp->fragbuf || !dp->icmpbuf || !dp->rxbuf) {
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

static int raw_send(struct dp_link *l, const uint8_t *p, size_t len)
{
	ssize_t n = sendto(l->raw_fd, p, len, MSG_DONTWAIT, (const struct sockaddr *)&l->dst_sa,
			   l->dst_salen);

	if (n < 0) {
		dp_debug("%s: send %zu bytes: %s", l->conf.name, len, strerror(errno));
		return -errno;
	}
	return 0;
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
	uint8_t *buf = l->dp->icmpbuf;

	if (eth) {
		memcpy(buf, frame + 6, 6);      /* back to the sender's MAC */
		memcpy(buf + 6, frame, 6);
		put_be16(buf + 12, (buf[UF_ETH_HLEN] >> 4) == 6 ? UF_ETH_P_IPV6 : UF_ETH_P_IP);
	}
	if (write(l->tun_fd, buf, eth + len) < 0) {
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
	uint8_t *out = l->dp->icmpbuf + eth;
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

/* One inner packet at dp->txbuf + DP_HEADROOM, len bytes. */
static void link_tx(struct dp_link *l, size_t len)
{
	uint8_t *buf = l->dp->txbuf, *inner = buf + DP_HEADROOM;
	unsigned int limit, icmp_mtu;
	enum dp_pmtu verdict;
	struct dp_inner in;
	size_t olen;
	bool fits;
	int off;

	if (dp_tx_inner(l->conf.type, l->conf.mode, inner, len, &in) < 0) {
		tx_drop(l, UF_TXD_BAD_INNER);
		return;
	}
	if (!link_src_ready(l)) {
		tx_drop(l, UF_TXD_NO_ROUTE);
		return;
	}
	limit = l->mtu < l->path_mtu ? l->mtu : l->path_mtu;
	fits = uf_tx_overhead(&l->tx) + len <= l->underlay_mtu;
	verdict = dp_tx_pmtu(l->tx.family, &in, limit, fits, &icmp_mtu);
	if (verdict == DP_PMTU_ICMP)
		send_icmp(l, inner, &in, icmp_mtu);
	if (verdict == DP_PMTU_ICMP || verdict == DP_PMTU_DROP) {
		tx_drop(l, UF_TXD_TOO_BIG);
		return;
	}
	off = uf_encap(&l->tx, &l->st, buf, DP_HEADROOM, len, NULL, &olen);
	if (off < 0) {
		tx_encap_error(l, off);
		return;
	}
	if (verdict == DP_PMTU_FRAG)
		off = send_fragments(l, buf + off, olen);
	else
		off = raw_send(l, buf + off, olen);
	if (off < 0) {
		tx_drop(l, UF_TXD_SEND_ERROR);
		return;
	}
	l->stats.tx_packets++;
	l->stats.tx_bytes += len;
}

static void link_tun_cb(int fd, uint32_t events, void *arg)
{
	struct dp_link *l = arg;

	for (int i = 0; i < DP_TX_BURST; i++) {
		ssize_t n = read(fd, l->dp->txbuf + DP_HEADROOM, DP_MAX_PKT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && !l->tun_err_logged) {
				dp_log("%s: read: %s", l->conf.name, strerror(errno));
				l->tun_err_logged = true;
			}
			return;
		}
		if (n == 0)
			return;
		link_tx(l, (size_t)n);
	}
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

/* ip_tunnel_rcv(): GRE checksum presence, sequence numbers, ECN, then deliver. */
static void link_rx(struct dp_link *l, uint8_t *p, const struct uf_pkt *pkt, uint8_t outer_tos)
{
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
	if (write(l->tun_fd, p + pkt->tun_off, pkt->tun_len) < 0) {
		link_rx_drop(l, UF_DROP_TUN_WRITE);
		return;
	}
	l->stats.rx_packets++;
	l->stats.rx_bytes += pkt->tun_len;
}

/* Outer source from msg_name, outer destination and DS field from control messages. */
static void rx_outer(const struct msghdr *mh, struct dp_lk_key *k, uint8_t *tos)
{
	const struct sockaddr *sa = mh->msg_name;

	*tos = 0;
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
		}
	}
}

static void port_rx_one(struct dp_port *pt, struct msghdr *mh, size_t len)
{
	struct dp *dp = pt->dp;
	uint8_t *p = mh->msg_iov->iov_base;
	struct dp_lk_key k;
	struct uf_pkt pkt;
	enum uf_drop d;
	uint8_t tos;
	int idx;

	pt->stats.rx_packets++;
	pt->stats.rx_bytes += len;
	if (mh->msg_flags & MSG_TRUNC) {
		pt->stats.drops[UF_DROP_NO_BUFFER]++;
		return;
	}
	memset(&pkt, 0, sizeof(pkt));
	d = uf_decap_payload(p, len, &pt->kind, &pkt);
	if (d != UF_DROP_NONE) {
		pt->stats.drops[d]++;
		return;
	}
	memset(&k, 0, sizeof(k));
	rx_outer(mh, &k, &tos);
	k.ipproto = pkt.ipproto;
	k.gre_proto = pkt.gre.proto;
	k.has_key = pkt.has_gre && pkt.gre.has_key;
	k.key = pkt.gre.key;
	idx = dp_lookup(dp->lkv, dp->nlinks, &k, &d);
	/* A link in the wrong mode still counts the drop as its own. */
	if (idx < 0)
		pt->stats.drops[d]++;
	else if (d != UF_DROP_NONE)
		link_rx_drop(dp->links[idx], d);
	else
		link_rx(dp->links[idx], p, &pkt, tos);
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
			port_rx_one(pt, &dp->msgs[i].msg_hdr, dp->msgs[i].msg_len);
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
	fd = dp_udp_open(c, err, errlen);
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
	free(l);
}

static int link_open(struct dp *dp, struct dp_link *l, char *err, size_t errlen)
{
	const struct uf_link_conf *c = &l->conf;
	int e;

	l->tun_fd = dp_tun_open(c->name, uf_link_type_is_tap(c->type), err, errlen);
	if (l->tun_fd < 0)
		return l->tun_fd;
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
	l->dp = dp;
	l->conf = *c;
	l->st.ip_id = (uint16_t)rand32();
	link_derive(dp, l);
	e = link_open(dp, l, err, errlen);
	if (e) {
		link_close(dp, l);
		return e;
	}
	dp->lkv[dp->nlinks] = &l->lk;
	dp->links[dp->nlinks++] = l;
	dp_debug("link %s type %s mtu %u (underlay %u) added", c->name,
		 uf_link_type_name(c->type), l->mtu, l->underlay_mtu);
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
	free(dp->txbuf);
	free(dp->fragbuf);
	free(dp->icmpbuf);
	free(dp->rxbuf);
	free(dp);
}
