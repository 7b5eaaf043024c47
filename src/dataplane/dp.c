// SPDX-License-Identifier: GPL-2.0
/*
 * The data plane: one TUN/TAP device and one raw socket per link, one UDP
 * socket per fou/gue port, and the two packet paths between them:
 *
 *   TUN readable  -> [TSO/USO split] -> check inner / PMTU -> uf_encap
 *                 -> UDP GSO sendmsg of a super-packet's segments on a per-flow
 *                    socket, or sendmmsg batches on the raw socket (or ICMP back)
 *   UDP readable  -> recvmmsg (UDP_GRO batches) -> uf_decap_payload -> lookup
 *                 -> GRE/ECN checks -> TCP (and, with USO, UDP) coalescing -> one
 *                    vnet-header writev per super-packet to the TUN
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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
#include "proto/flow.h"
#include "proto/gre.h"
#include "proto/gro.h"
#include "proto/gso.h"
#include "proto/ip.h"
#include "proto/vnet.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

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
#define DP_MAX_WORKERS 64

/* UDP GSO also where the outer checksum is off (it becomes valid instead of zero). */
bool dp_gso_csum;
/* Worker threads; 0: one per online CPU. */
int dp_nworkers;

_Static_assert(DP_HEADROOM >= UF_ENCAP_MAX_HDR, "headroom below the largest encapsulation");

struct dp;
struct dp_worker;
struct dp_port;

/* A port's socket in one worker (SO_REUSEPORT: a flow always hits the same one). */
struct dp_pq {
	struct dp_port *pt;
	struct dp_worker *w;
	int fd;
	struct uf_port_stats stats;
};

struct dp_port {
	struct uf_port_conf conf;
	struct uf_port_kind kind;
	struct dp *dp;
	struct dp_pq q[];               /* one per worker */
};

/* A send-only UDP socket for one outer source port (UDP GSO). */
struct dp_fsock {
	uint16_t sport;
	int fd;                         /* -1: none; -2: refused until retry */
	time_t retry;
};

struct dp_link;

/*
 * A link as one worker sees it: its TUN queue and sockets, transmit state,
 * coalescing tables and counters. Only that worker touches it (the control
 * thread only while the workers are parked).
 */
struct dp_lq {
	struct dp_link *l;
	struct dp_worker *w;
	struct uf_tx tx;                /* the link's, source learned here when any */
	struct uf_tx_state st;
	bool have_src;
	time_t src_retry;
	int tun_fd;                     /* this worker's TUN queue (-1: fewer queues) */
	int tun_wfd;                    /* where received packets go: own queue or a shared one */
	int raw_fd;
	bool gso;                       /* transmit via per-flow UDP GSO sockets */
	struct dp_fsock fs[DP_FSOCKS];
	bool rx_dirty;                  /* has coalescing items to write */
	struct uf_gro gro;
	struct dp_lq *rx_next;          /* dirty list */
	bool tun_err_logged;
	struct uf_link_stats stats;
};

struct dp_link {
	struct dp_lk_link lk;           /* lookup view; dp->lkv points here */
	struct uf_link_conf conf;
	struct uf_tx tx;
	unsigned int offload;           /* TUN_F_* accepted */
	bool gso;
	unsigned int mtu;               /* device MTU */
	unsigned int underlay_mtu;      /* workers learn it: __atomic accesses */
	unsigned int path_mtu;          /* inner L3 bytes the underlay allows; ditto */
	bool have_src, have_dst;
	struct sockaddr_storage dst_sa;
	socklen_t dst_salen;
	uint32_t rx_seq;                /* GRE iseq: next expected, 0 = none seen (__atomic) */
	uint32_t tx_seq;                /* GRE oseq: last sent, shared by the workers (__atomic) */
	int ntun;                       /* TUN queues opened (q[0..ntun) own one) */
	struct dp *dp;
	struct dp_lq q[];               /* one per worker */
};

struct dp_rxmsg {
	struct sockaddr_storage name;
	struct iovec iov;
	uint8_t cmsg[DP_CMSG_SPACE];
};

/* One thread with its own epoll loop and buffers: nothing shared per packet. */
struct dp_worker {
	struct dp *dp;
	unsigned int idx;
	struct loop *loop;
	pthread_t thread;
	bool started;
	int efd;                        /* eventfd: park / stop requests */
	/* transmit: outer packets waiting for one sendmmsg on the raw socket */
	uint8_t *txarea;
	size_t txused;
	struct mmsghdr txmsgs[DP_TXQ];
	struct iovec txiov[DP_TXQ];
	size_t ntx;
	struct iovec gsoiov[DP_GSO_MAX_SEGS];
	/* links with coalesced packets to write after the receive batch */
	struct dp_lq *rx_dirty;
	struct iovec wiov[DP_IOV_MAX];
	uint16_t icmp_id;
	uint8_t *fragbuf;               /* DP_MAX_PKT */
	uint8_t *icmpbuf;               /* an ICMP error, Ethernet header included */
	uint8_t *rxbuf;                 /* DP_RX_BATCH * DP_MAX_PKT */
	struct mmsghdr msgs[DP_RX_BATCH];
	struct dp_rxmsg rx[DP_RX_BATCH];
};

struct dp {
	struct loop *loop;
	struct dp_worker **w;
	unsigned int nw;
	/*
	 * Parking: the control thread changes links, ports and the tables below
	 * only while every worker waits here between two events, holding no
	 * packet and no pointer into them (a quiescent point). The workers take
	 * no lock and read no shared counter per packet.
	 */
	pthread_mutex_t mu;
	pthread_cond_t parked_cv, resume_cv;
	unsigned int parked;
	bool park, stop;
	struct dp_link **links;
	const struct dp_lk_link **lkv;
	size_t nlinks, caplinks;
	struct dp_port **ports;
	size_t nports, capports;
	uint32_t seed;
	uint16_t sport_min, sport_max;  /* net.ipv4.ip_local_port_range, [min, max) */
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

/* ---- workers */

static void rx_init(struct dp_worker *w)
{
	for (int i = 0; i < DP_RX_BATCH; i++) {
		struct dp_rxmsg *m = &w->rx[i];

		m->iov.iov_base = w->rxbuf + (size_t)i * DP_MAX_PKT;
		m->iov.iov_len = DP_MAX_PKT;
		w->msgs[i].msg_hdr.msg_iov = &m->iov;
		w->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

/* The eventfd: park until the control thread is done, or stop. */
static void worker_ctl_cb(int fd, uint32_t events, void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&dp->mu);
	if (dp->park) {
		dp->parked++;
		pthread_cond_signal(&dp->parked_cv);
		while (dp->park)
			pthread_cond_wait(&dp->resume_cv, &dp->mu);
		dp->parked--;
	}
	if (dp->stop)
		loop_stop(w->loop);
	pthread_mutex_unlock(&dp->mu);
}

static void *worker_main(void *arg)
{
	struct dp_worker *w = arg;
	int e = loop_run(w->loop);

	if (e)
		dp_log("worker %u: event loop: %s", w->idx, strerror(-e));
	return NULL;
}

static void worker_kick(struct dp_worker *w)
{
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0)
		dp_debug("worker %u: eventfd: %s", w->idx, strerror(errno));
}

/* Waits until every worker sits at a quiescent point; nestable is not needed. */
static void dp_park(struct dp *dp)
{
	pthread_mutex_lock(&dp->mu);
	dp->park = true;
	pthread_mutex_unlock(&dp->mu);
	for (unsigned int i = 0; i < dp->nw; i++)
		if (dp->w[i]->started)
			worker_kick(dp->w[i]);
	pthread_mutex_lock(&dp->mu);
	for (;;) {
		unsigned int running = 0;

		for (unsigned int i = 0; i < dp->nw; i++)
			running += dp->w[i]->started;
		if (dp->parked >= running)
			break;
		pthread_cond_wait(&dp->parked_cv, &dp->mu);
	}
	pthread_mutex_unlock(&dp->mu);
}

static void dp_unpark(struct dp *dp)
{
	pthread_mutex_lock(&dp->mu);
	dp->park = false;
	pthread_cond_broadcast(&dp->resume_cv);
	pthread_mutex_unlock(&dp->mu);
}

static void worker_free(struct dp_worker *w)
{
	if (!w)
		return;
	if (w->efd >= 0) {
		if (w->loop)
			loop_del(w->loop, w->efd);
		close(w->efd);
	}
	loop_free(w->loop);
	free(w->txarea);
	free(w->fragbuf);
	free(w->icmpbuf);
	free(w->rxbuf);
	free(w);
}

static struct dp_worker *worker_new(struct dp *dp, unsigned int idx)
{
	struct dp_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->dp = dp;
	w->idx = idx;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->loop = loop_new();
	w->txarea = malloc(DP_TXAREA);
	w->fragbuf = malloc(DP_MAX_PKT);
	w->icmpbuf = malloc(UF_VNET_HLEN + UF_ETH_HLEN + DP_ICMP6_MAX_LEN);
	w->rxbuf = malloc((size_t)DP_RX_BATCH * DP_MAX_PKT);
	if (w->efd < 0 || !w->loop || !w->txarea || !w->fragbuf || !w->icmpbuf || !w->rxbuf ||
	    loop_add(w->loop, w->efd, EPOLLIN, worker_ctl_cb, w) < 0) {
		worker_free(w);
		return NULL;
	}
	w->icmp_id = (uint16_t)rand32();
	rx_init(w);
	return w;
}

static unsigned int dp_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (dp_nworkers > 0)
		return dp_nworkers > DP_MAX_WORKERS ? DP_MAX_WORKERS : (unsigned int)dp_nworkers;
	if (n < 1)
		return 1;
	return n > DP_MAX_WORKERS ? DP_MAX_WORKERS : (unsigned int)n;
}

/* Workers get no signal: SIGTERM/SIGINT belong to the main loop's signalfd. */
static int workers_start(struct dp *dp)
{
	sigset_t all, old;
	int e = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < dp->nw && !e; i++) {
		e = pthread_create(&dp->w[i]->thread, NULL, worker_main, dp->w[i]);
		if (!e)
			dp->w[i]->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}

static void workers_stop(struct dp *dp)
{
	pthread_mutex_lock(&dp->mu);
	dp->stop = true;
	pthread_mutex_unlock(&dp->mu);
	for (unsigned int i = 0; i < dp->nw; i++)
		if (dp->w[i]->started)
			worker_kick(dp->w[i]);
	for (unsigned int i = 0; i < dp->nw; i++) {
		if (dp->w[i]->started)
			pthread_join(dp->w[i]->thread, NULL);
		dp->w[i]->started = false;
	}
}

struct dp *dp_new(struct loop *loop)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->loop = loop;
	pthread_mutex_init(&dp->mu, NULL);
	pthread_cond_init(&dp->parked_cv, NULL);
	pthread_cond_init(&dp->resume_cv, NULL);
	dp->nw = dp_default_workers();
	dp->w = calloc(dp->nw, sizeof(*dp->w));
	if (!dp->w) {
		dp_free(dp);
		return NULL;
	}
	for (unsigned int i = 0; i < dp->nw; i++) {
		dp->w[i] = worker_new(dp, i);
		if (!dp->w[i]) {
			dp_free(dp);
			return NULL;
		}
	}
	dp->seed = rand32();
	read_port_range(dp);
	if (workers_start(dp) < 0) {
		dp_free(dp);
		return NULL;
	}
	dp_debug("%u workers", dp->nw);
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
static bool link_src_ready(struct dp_lq *q)
{
	time_t now;

	if (q->have_src)
		return true;
	if (!q->l->have_dst)
		return false;
	now = time(NULL);
	if (now < q->src_retry)
		return false;
	q->src_retry = now + DP_SRC_RETRY_SEC;
	q->have_src = dp_route_src(q->tx.family, q->tx.dst, q->l->conf.dev, q->tx.src) == 0;
	return q->have_src;
}

static void tx_drop(struct dp_lq *q, enum uf_tx_drop d)
{
	q->stats.tx_drops[d]++;
}

static unsigned int link_underlay_mtu(const struct dp_link *l, bool have_src,
				      const uint8_t *src);

/*
 * The underlay refused a packet as too big (EMSGSIZE): its MTU shrank since
 * the link was set up. Learn it, so the next packets over the new limit get
 * ICMP frag-needed / packet-too-big and the senders' routes learn it too.
 */
static void link_mtu_refresh(struct dp_lq *q)
{
	unsigned int u = link_underlay_mtu(q->l, q->have_src, q->tx.src);

	unsigned int old = __atomic_load_n(&q->l->underlay_mtu, __ATOMIC_RELAXED);

	if (u == old)
		return;
	dp_debug("%s: underlay mtu %u -> %u", q->l->conf.name, old, u);
	/* Shared by the workers; each value alone is consistent. */
	__atomic_store_n(&q->l->underlay_mtu, u, __ATOMIC_RELAXED);
	__atomic_store_n(&q->l->path_mtu, uf_tx_default_mtu(&q->tx, u), __ATOMIC_RELAXED);
}

static int raw_send(struct dp_lq *q, const uint8_t *p, size_t len)
{
	ssize_t n = sendto(q->raw_fd, p, len, MSG_DONTWAIT, (const struct sockaddr *)&q->l->dst_sa,
			   q->l->dst_salen);

	if (n < 0) {
		int e = errno;

		dp_debug("%s: send %zu bytes: %s", q->l->conf.name, len, strerror(e));
		if (e == EMSGSIZE)
			link_mtu_refresh(q);
		return -e;
	}
	return 0;
}

/* Sends the queued outer packets with as few sendmmsg calls as possible. */
static void tx_flush(struct dp_lq *q)
{
	struct dp_worker *dp = q->w;
	size_t done = 0;

	while (done < dp->ntx) {
		int n = sendmmsg(q->raw_fd, dp->txmsgs + done, (unsigned int)(dp->ntx - done),
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The first message failed (full buffer, no route): drop it, go on. */
			dp_debug("%s: sendmmsg: %s", q->l->conf.name, n < 0 ? strerror(errno) : "0");
			if (n < 0 && errno == EMSGSIZE)
				link_mtu_refresh(q);
			tx_drop(q, UF_TXD_SEND_ERROR);
			q->stats.tx_packets--;
			done++;
			continue;
		}
		done += (size_t)n;
	}
	dp->ntx = 0;
}

static void tx_queue(struct dp_lq *q, uint8_t *p, size_t len)
{
	struct dp_worker *dp = q->w;
	struct msghdr *mh = &dp->txmsgs[dp->ntx].msg_hdr;

	dp->txiov[dp->ntx].iov_base = p;
	dp->txiov[dp->ntx].iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &q->l->dst_sa;
	mh->msg_namelen = q->l->dst_salen;
	mh->msg_iov = &dp->txiov[dp->ntx];
	mh->msg_iovlen = 1;
	dp->ntx++;
	if (dp->ntx == DP_TXQ)
		tx_flush(q);
}

/* Room for the next packet (and its segments) in the transmit area. */
static uint8_t *tx_slot(struct dp_lq *q)
{
	struct dp_worker *dp = q->w;

	if (DP_TXAREA - dp->txused < DP_TXAREA_LOW)
		tx_flush(q);
	/* Nothing queued refers to the area any more: start over. */
	if (dp->ntx == 0)
		dp->txused = 0;
	return dp->txarea + dp->txused;
}

static void tx_take(struct dp_worker *dp, size_t bytes)
{
	dp->txused += (bytes + 63) & ~(size_t)63;
}

/*
 * An outer IPv4 packet over the underlay MTU: RFC 791 fragments. The ID
 * must be non-zero, or the raw socket would give each fragment a new one.
 */
static int send_fragments(struct dp_lq *q, uint8_t *outer, size_t len)
{
	struct dp_frag4 f;
	int n;

	if (get_be16(outer + 4) == 0) {
		put_be16(outer + 4, 1);
		put_be16(outer + 10, uf_csum_replace16(get_be16(outer + 10), 0, 1));
	}
	n = dp_frag4_init(&f, outer, len, __atomic_load_n(&q->l->underlay_mtu, __ATOMIC_RELAXED));
	if (n < 0)
		return n;
	while ((n = dp_frag4_next(&f, q->w->fragbuf, DP_MAX_PKT)) > 0) {
		int err = raw_send(q, q->w->fragbuf, (size_t)n);

		if (err)
			return err;
	}
	q->stats.tx_fragmented++;
	return n;
}

/* Writes an ICMP error into the device, wrapped in Ethernet on tap links. */
static void icmp_write(struct dp_lq *q, const uint8_t *frame, size_t eth, size_t len)
{
	uint8_t *buf = q->w->icmpbuf + UF_VNET_HLEN;

	memset(q->w->icmpbuf, 0, UF_VNET_HLEN);
	if (eth) {
		memcpy(buf, frame + 6, 6);      /* back to the sender's MAC */
		memcpy(buf + 6, frame, 6);
		put_be16(buf + 12, (buf[UF_ETH_HLEN] >> 4) == 6 ? UF_ETH_P_IPV6 : UF_ETH_P_IP);
	}
	if (write(q->tun_wfd, q->w->icmpbuf, UF_VNET_HLEN + eth + len) < 0) {
		dp_debug("%s: ICMP write: %s", q->l->conf.name, strerror(errno));
		return;
	}
	q->stats.icmp_sent++;
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
static void send_icmp(struct dp_lq *q, const uint8_t *frame, const struct dp_inner *in,
		      unsigned int mtu)
{
	const uint8_t *ip = frame + in->l3_off;
	size_t eth = in->l3_off, cap = DP_ICMP6_MAX_LEN;
	uint8_t *out = q->w->icmpbuf + UF_VNET_HLEN + eth;
	int n;

	if (in->version == 4) {
		if (!dp_icmp4_eligible(ip, in->l3_len))
			return;
		n = dp_icmp4_frag_needed(out, cap, ip, in->l3_len, ip + 16,
					 (uint16_t)(mtu > 0xffff ? 0xffff : mtu), q->w->icmp_id++);
	} else {
		if (!dp_icmp6_eligible(ip, in->l3_len))
			return;
		n = dp_icmp6_ptb(out, cap, ip, in->l3_len, ip + 24, mtu);
	}
	if (n > 0)
		icmp_write(q, frame, eth, (size_t)n);
}

static void tx_encap_error(struct dp_lq *q, int err)
{
	if (err == -ENOSPC)
		tx_drop(q, UF_TXD_NO_HEADROOM);
	else if (err == -EMSGSIZE)
		tx_drop(q, UF_TXD_TOO_BIG);
	else
		tx_drop(q, UF_TXD_BAD_INNER);
}

/*
 * One inner packet at buf + DP_HEADROOM, len bytes, encapsulated in place.
 * Returns the outer packet's offset in buf (its length in *olen) when it
 * is ready to send as is, or -1 when it was handled (dropped, answered
 * with ICMP, fragmented and sent).
 */
static int link_tx_one(struct dp_lq *q, const struct uf_tx *tx, uint8_t *buf, size_t len,
		       const struct uf_partial_csum *pc, size_t *olen)
{
	uint8_t *inner = buf + DP_HEADROOM;
	unsigned int limit, icmp_mtu;
	enum dp_pmtu verdict;
	struct dp_inner in;
	bool fits;
	int off;

	if (dp_tx_inner(q->l->conf.type, q->l->conf.mode, inner, len, &in) < 0) {
		tx_drop(q, UF_TXD_BAD_INNER);
		return -1;
	}
	if (!link_src_ready(q)) {
		tx_drop(q, UF_TXD_NO_ROUTE);
		return -1;
	}
	limit = __atomic_load_n(&q->l->path_mtu, __ATOMIC_RELAXED);
	if (q->l->mtu < limit)
		limit = q->l->mtu;
	fits = uf_tx_overhead(&q->tx) + len <= __atomic_load_n(&q->l->underlay_mtu, __ATOMIC_RELAXED);
	verdict = dp_tx_pmtu(q->tx.family, &in, limit, fits, &icmp_mtu);
	if (verdict == DP_PMTU_ICMP)
		send_icmp(q, inner, &in, icmp_mtu);
	if (verdict == DP_PMTU_ICMP || verdict == DP_PMTU_DROP) {
		tx_drop(q, UF_TXD_TOO_BIG);
		return -1;
	}
	/* One GRE oseq space per link, as Linux's atomic o_seqno, across workers. */
	if (q->tx.gre_seq)
		q->st.gre_seq = __atomic_fetch_add(&q->l->tx_seq, 1, __ATOMIC_RELAXED);
	off = uf_encap(tx, &q->st, buf, DP_HEADROOM, len, pc, olen);
	if (off < 0) {
		tx_encap_error(q, off);
		return -1;
	}
	q->stats.tx_packets++;
	q->stats.tx_bytes += len;
	if (verdict == DP_PMTU_FRAG) {
		tx_flush(q);    /* keep the flow's order */
		if (send_fragments(q, buf + off, *olen) < 0) {
			q->stats.tx_packets--;
			tx_drop(q, UF_TXD_SEND_ERROR);
		}
		return -1;
	}
	return off;
}

/* IPv6 outer label from the flow hash: no fixed label (inheriting falls back to it). */
static bool tx_auto_label(const struct uf_tx *tx)
{
	return tx->family == 6 && !(tx->flowlabel & 0xfffff);
}

/* ---- UDP GSO: one sendmsg for many segments of one flow */

static void fsock_close(struct dp_fsock *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->sport = 0;
}

/* The flow socket for outer source port sport, opened on first use; -1 if none. */
static int fsock_get(struct dp_lq *q, uint16_t sport)
{
	struct dp_fsock *f = &q->fs[sport % DP_FSOCKS];
	time_t now;

	if (f->sport == sport && f->fd >= 0)
		return f->fd;
	if (f->sport == sport && f->fd == -2 && time(NULL) < f->retry)
		return -1;
	fsock_close(f);
	f->sport = sport;
	f->fd = dp_gso_sock_open(q->tx.src, sport, q->tx.dst, q->tx.dport, q->l->conf.dev);
	if (f->fd < 0) {
		now = time(NULL);
		dp_debug("%s: GSO socket for port %u: %s", q->l->conf.name, sport, strerror(-f->fd));
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
static int gso_send(struct dp_lq *q, int fd, const struct gso_outer *o, struct iovec *iov,
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
static bool link_tx_gso(struct dp_lq *q, uint8_t *const *pkts, const size_t *lens, size_t n)
{
	struct dp_worker *dp = q->w;
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
	fd = fsock_get(q, o.sport);
	if (fd < 0)
		return false;
	tx_flush(q);    /* whatever the flow queued before goes first */
	while (i < n) {
		size_t m = 0, bytes = 0;

		while (i + m < n && m < DP_GSO_MAX_SEGS && bytes + seg <= DP_GSO_MAX_PAYLOAD) {
			dp->gsoiov[m].iov_base = pkts[i + m] + o.hlen;
			dp->gsoiov[m].iov_len = lens[i + m] - o.hlen;
			bytes += lens[i + m] - o.hlen;
			m++;
		}
		err = gso_send(q, fd, &o, dp->gsoiov, m, seg);
		if (err == -EIO || err == -EINVAL || err == -EOPNOTSUPP) {
			/* No checksum offload on the way out, or GSO refused: raw from now on. */
			dp_log("%s: UDP GSO refused (%s), using batches", q->l->conf.name,
			       strerror(-err));
			q->gso = false;
			for (size_t k = i; k < n; k++)
				tx_queue(q, pkts[k], lens[k]);
			return true;
		}
		if (err == -EMSGSIZE)
			link_mtu_refresh(q);
		if (err) {
			dp_debug("%s: GSO send: %s", q->l->conf.name, strerror(-err));
			q->stats.tx_drops[UF_TXD_SEND_ERROR] += m;
			q->stats.tx_packets -= m;
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
static const struct uf_partial_csum *seg_partial(const struct uf_tx *tx, const struct uf_gso *g,
						 uint8_t *buf, size_t len,
						 struct uf_partial_csum *pc)
{
	if (!tx->remcsum || tx->encap != UF_ENCAP_GUE)
		return NULL;
	if (uf_gso_make_partial(g, buf + DP_HEADROOM, len, &pc->start, &pc->offset) < 0)
		return NULL;
	return pc;
}

/*
 * The transmit parameters for every segment of one super-packet: they are
 * one flow, so the flow hash behind the auto source port (and IPv6 auto
 * flow label) is computed once here instead of once per segment. The
 * result is what uf_encap() derives per segment: same bytes.
 */
static void super_tx(const struct dp_lq *q, const uint8_t *inner, size_t len, struct uf_tx *tx)
{
	bool label = tx_auto_label(&q->tx);
	struct uf_flow f;
	uint32_t hash;

	*tx = q->tx;
	if (tx->sport && !label)
		return;
	uf_flow_extract(inner, len, tx->inner_kind == UF_INNER_ETH, &f);
	hash = uf_flow_hash(&f, tx->hash_seed);
	if (!tx->sport && tx->sport_min < tx->sport_max)
		tx->sport = uf_flow_sport(hash, tx->sport_min, tx->sport_max);
	if (label)
		tx->flowlabel = uf_flow_label(hash);
}

/* A TSO/USO super-packet at inner[0..len): cut, encapsulate each, send. */
static void link_tx_super(struct dp_lq *q, const uint8_t *inner, size_t len,
			  const struct uf_vnet_hdr *vh)
{
	uint8_t *pkts[DP_GSO_MAX_SEGS * 2];
	size_t lens[DP_GSO_MAX_SEGS * 2], n = 0;
	size_t l3 = uf_link_type_is_tap(q->l->conf.type) ? UF_ETH_HLEN : 0;
	struct uf_partial_csum pc;
	struct uf_gso g;
	int nseg = uf_gso_init(&g, inner, len, l3, vh);

	struct uf_tx tx;

	if (nseg <= 0 || (size_t)nseg > DP_GSO_MAX_SEGS * 2) {
		tx_drop(q, UF_TXD_BAD_INNER);
		return;
	}
	super_tx(q, inner, len, &tx);
	for (size_t i = 0; i < (size_t)nseg; i++) {
		uint8_t *buf = q->w->txarea + q->w->txused;
		size_t olen;
		int m = uf_gso_segment(&g, i, buf + DP_HEADROOM, DP_MAX_PKT), off;

		if (m < 0) {
			tx_drop(q, UF_TXD_BAD_INNER);
			continue;
		}
		off = link_tx_one(q, &tx, buf, (size_t)m,
				  seg_partial(&tx, &g, buf, (size_t)m, &pc), &olen);
		if (off < 0)
			continue;
		pkts[n] = buf + off;
		lens[n++] = olen;
		tx_take(q->w, (size_t)off + olen);
	}
	if (q->gso && link_tx_gso(q, pkts, lens, n))
		return;
	for (size_t i = 0; i < n; i++)
		tx_queue(q, pkts[i], lens[i]);
}

/* One read from the TUN at buf + DP_HEADROOM - UF_VNET_HLEN: vnet header, then the packet. */
static void link_tx_read(struct dp_lq *q, uint8_t *buf, size_t n)
{
	uint8_t *inner = buf + DP_HEADROOM;
	struct uf_partial_csum pc, *ppc = NULL;
	struct uf_vnet_hdr vh;
	size_t len, olen;
	int off;

	if (uf_vnet_decode(buf + DP_HEADROOM - UF_VNET_HLEN, n, &vh) < 0) {
		tx_drop(q, UF_TXD_BAD_INNER);
		return;
	}
	len = n - UF_VNET_HLEN;
	tx_take(q->w, DP_HEADROOM + len);
	if ((vh.gso_type & ~UF_VNET_GSO_ECN) != UF_VNET_GSO_NONE) {
		link_tx_super(q, inner, len, &vh);
		return;
	}
	if (vh.flags & UF_VNET_F_NEEDS_CSUM) {
		pc.start = vh.csum_start;
		pc.offset = vh.csum_offset;
		ppc = &pc;
	}
	off = link_tx_one(q, &q->tx, buf, len, ppc, &olen);
	if (off >= 0)
		tx_queue(q, buf + off, olen);
}

static void link_tun_cb(int fd, uint32_t events, void *arg)
{
	struct dp_lq *q = arg;

	for (int i = 0; i < DP_TX_BURST; i++) {
		uint8_t *buf = tx_slot(q);
		ssize_t n = read(fd, buf + DP_HEADROOM - UF_VNET_HLEN, UF_VNET_HLEN + DP_MAX_PKT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && !q->tun_err_logged) {
				dp_log("%s: read: %s", q->l->conf.name, strerror(errno));
				q->tun_err_logged = true;
			}
			break;
		}
		if (n == 0)
			break;
		link_tx_read(q, buf, (size_t)n);
	}
	tx_flush(q);
}

/* ---- receive */

static void link_rx_drop(struct dp_lq *q, enum uf_drop d)
{
	q->stats.rx_drops[d]++;
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
static void link_rx_flush(struct dp_lq *q)
{
	struct iovec *iov = q->w->wiov;
	uint8_t vb[UF_VNET_HLEN];

	for (size_t i = 0; i < q->gro.nitems; i++) {
		struct uf_gro_item *it = &q->gro.items[i];
		struct uf_vnet_hdr vh;
		size_t n = 2, bytes = it->len;

		uf_gro_finish(it, &vh);
		uf_vnet_encode(vb, &vh);
		iov[0].iov_base = vb;
		iov[0].iov_len = UF_VNET_HLEN;
		iov[1].iov_base = it->pkt;
		iov[1].iov_len = it->len;
		for (int32_t k = it->first; k >= 0 && n < DP_IOV_MAX; k = q->gro.segs[k].next) {
			iov[n].iov_base = (void *)q->gro.segs[k].p;
			iov[n++].iov_len = q->gro.segs[k].len;
			bytes += q->gro.segs[k].len;
		}
		if (writev(q->tun_wfd, iov, (int)n) < 0) {
			q->stats.rx_drops[UF_DROP_TUN_WRITE] += it->nseg;
			continue;
		}
		q->stats.rx_packets += it->nseg;
		/* Bytes as the segments arrived: each repeats the headers. */
		q->stats.rx_bytes += bytes + (size_t)(it->nseg - 1) * it->hdr_len;
	}
	uf_gro_reset(&q->gro);
}

static void rx_flush(struct dp_worker *w)
{
	while (w->rx_dirty) {
		struct dp_lq *q = w->rx_dirty;

		w->rx_dirty = q->rx_next;
		q->rx_dirty = false;
		link_rx_flush(q);
	}
}

/*
 * GRE iseq, per link as in ip_tunnel_rcv(), which also reads and writes
 * the expected number without a lock: a flow stays on one worker, so only
 * flows racing each other can see a stale value, as on Linux.
 */
static bool link_rx_seq_ok(struct dp_link *l, const struct uf_gre *g)
{
	uint32_t next = __atomic_load_n(&l->rx_seq, __ATOMIC_RELAXED);

	if (!dp_gre_seq_ok(g->has_seq, g->seq, &next))
		return false;
	__atomic_store_n(&l->rx_seq, next, __ATOMIC_RELAXED);
	return true;
}

/* ip_tunnel_rcv(): GRE checksum presence, sequence numbers, ECN, then deliver. */
static void link_rx(struct dp_lq *q, uint8_t *p, const struct uf_pkt *pkt, uint8_t outer_tos)
{
	size_t l3 = pkt->has_eth ? UF_ETH_HLEN : 0;
	uint8_t *frame = p + pkt->tun_off;
	enum uf_drop d;

	if (pkt->has_gre) {
		if (pkt->gre.has_csum != q->l->conf.icsum) {
			link_rx_drop(q, UF_DROP_GRE_CSUM_MISMATCH);
			return;
		}
		if (q->l->conf.iseq && !link_rx_seq_ok(q->l, &pkt->gre)) {
			link_rx_drop(q, UF_DROP_GRE_SEQ);
			return;
		}
	}
	d = rx_ecn(p, pkt, outer_tos);
	if (d != UF_DROP_NONE) {
		link_rx_drop(q, d);
		return;
	}
	/* A tap frame without IP inside is never coalesced. */
	if (pkt->has_eth && !pkt->has_inner)
		l3 = pkt->tun_len;
	if (uf_gro_add(&q->gro, frame, pkt->tun_len, l3) == -ENOSPC) {
		link_rx_flush(q);
		uf_gro_add(&q->gro, frame, pkt->tun_len, l3);
	}
	if (!q->rx_dirty) {
		q->rx_dirty = true;
		q->rx_next = q->w->rx_dirty;
		q->w->rx_dirty = q;
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
static void port_rx_one(struct dp_pq *pt, struct dp_lk_key *k, uint8_t tos, uint8_t *p,
			size_t len)
{
	struct dp *dp = pt->pt->dp;
	unsigned int wi = pt->w->idx;
	struct uf_pkt pkt;
	enum uf_drop d;
	int idx;

	pt->stats.rx_packets++;
	pt->stats.rx_bytes += len;
	memset(&pkt, 0, sizeof(pkt));
	d = uf_decap_payload(p, len, &pt->pt->kind, &pkt);
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
		link_rx_drop(&dp->links[idx]->q[wi], d);
	else
		link_rx(&dp->links[idx]->q[wi], p, &pkt, tos);
}

/* One received message: a datagram, or with UDP_GRO several of gso bytes each. */
static void port_rx_msg(struct dp_pq *pt, struct msghdr *mh, size_t len)
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

static void rx_reset(struct dp_worker *dp)
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
	struct dp_pq *pt = arg;
	struct dp_worker *dp = pt->w;

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

static void port_close(struct dp_port *pt, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (pt->q[i].fd >= 0)
			close(pt->q[i].fd);
	free(pt);
}

/* One socket per worker in a SO_REUSEPORT group: the kernel hashes each flow to one. */
static int port_open(struct dp *dp, struct dp_port *pt, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < dp->nw; i++) {
		int fd = dp_udp_open(&pt->conf, dp->nw > 1, err, errlen);

		if (fd < 0)
			return fd;
		pt->q[i].fd = fd;
	}
	return 0;
}

static int ports_reserve(struct dp *dp)
{
	size_t n = dp->capports ? dp->capports * 2 : 8;
	struct dp_port **v;

	if (dp->nports < dp->capports)
		return 0;
	v = realloc(dp->ports, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	dp->ports = v;
	dp->capports = n;
	return 0;
}

int dp_port_add(struct dp *dp, const struct uf_port_conf *c, char *err, size_t errlen)
{
	struct dp_port *pt;
	unsigned int i;
	int e;

	if (port_index(dp, c) >= 0) {
		snprintf(err, errlen, "port %u: already configured", c->port);
		return -EALREADY;
	}
	/* Only the control thread reads or grows the port table. */
	if (ports_reserve(dp))
		return -ENOMEM;
	pt = calloc(1, sizeof(*pt) + dp->nw * sizeof(pt->q[0]));
	if (!pt)
		return -ENOMEM;
	pt->conf = *c;
	pt->dp = dp;
	pt->kind.port = c->port;
	pt->kind.family = c->family == 6 ? 6 : 4;
	pt->kind.gue = c->gue;
	pt->kind.ipproto = c->ipproto;
	for (i = 0; i < dp->nw; i++) {
		pt->q[i].fd = -1;
		pt->q[i].pt = pt;
		pt->q[i].w = dp->w[i];
	}
	e = port_open(dp, pt, err, errlen);
	if (e) {
		port_close(pt, dp->nw);
		return e;
	}
	dp_park(dp);
	for (i = 0; i < dp->nw && !e; i++)
		e = loop_add(dp->w[i]->loop, pt->q[i].fd, EPOLLIN, port_cb, &pt->q[i]);
	if (e) {
		while (i-- > 0)
			loop_del(dp->w[i]->loop, pt->q[i].fd);
		dp_unpark(dp);
		snprintf(err, errlen, "port %u: event loop: %s", c->port, strerror(-e));
		port_close(pt, dp->nw);
		return e;
	}
	dp->ports[dp->nports++] = pt;
	dp_unpark(dp);
	if (c->gue)
		dp_debug("port %u%s gue added", c->port, c->family == 6 ? " -6" : "");
	else
		dp_debug("port %u%s ipproto %u added", c->port, c->family == 6 ? " -6" : "",
			 c->ipproto);
	return 0;
}

int dp_port_del(struct dp *dp, const struct uf_port_conf *c)
{
	int i = port_index(dp, c);
	struct dp_port *pt;

	if (i < 0)
		return -ENOENT;
	pt = dp->ports[i];
	/* Out of every worker's loop before the sockets close. */
	dp_park(dp);
	for (unsigned int k = 0; k < dp->nw; k++)
		loop_del(dp->w[k]->loop, pt->q[k].fd);
	dp_unpark(dp);
	port_close(pt, dp->nw);
	memmove(&dp->ports[i], &dp->ports[i + 1], (dp->nports - (size_t)i - 1) * sizeof(dp->ports[0]));
	dp->nports--;
	return 0;
}

static void port_stats_add(struct uf_port_stats *st, const struct uf_port_stats *x)
{
	st->rx_packets += x->rx_packets;
	st->rx_bytes += x->rx_bytes;
	for (int d = 0; d < UF_DROP__COUNT; d++)
		st->drops[d] += x->drops[d];
}

int dp_port_stats(struct dp *dp, const struct uf_port_conf *c, struct uf_port_stats *st)
{
	int i = port_index(dp, c);

	if (i < 0)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	dp_park(dp);
	for (unsigned int k = 0; k < dp->nw; k++)
		port_stats_add(st, &dp->ports[i]->q[k].stats);
	dp_unpark(dp);
	return 0;
}

/* ---- links */

static unsigned int link_underlay_mtu(const struct dp_link *l, bool have_src,
				      const uint8_t *srcaddr)
{
	char ifn[UF_IFNAMSIZ];
	struct uf_addr src;
	unsigned int mtu;

	if (l->conf.dev[0] && dp_if_get_mtu(l->conf.dev, &mtu) == 0)
		return mtu;
	if (have_src) {
		memset(&src, 0, sizeof(src));
		src.family = l->tx.family;
		memcpy(src.a, srcaddr, addr_len(src.family));
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

static void link_fsocks_close(struct dp_lq *q)
{
	for (int i = 0; i < DP_FSOCKS; i++)
		fsock_close(&q->fs[i]);
}

/* Hands the link's transmit parameters to every worker's view (workers parked). */
static void link_queues_derive(struct dp_link *l)
{
	for (unsigned int i = 0; i < l->dp->nw; i++) {
		struct dp_lq *q = &l->q[i];

		q->tx = l->tx;
		q->have_src = l->have_src;
		q->src_retry = 0;
		/* Outer addresses or ports may have changed: new flow sockets. */
		link_fsocks_close(q);
		q->gso = l->gso;
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
	if (!l->have_src && l->have_dst)
		l->have_src = dp_route_src(l->tx.family, l->tx.dst, c->dev, l->tx.src) == 0;
	link_dst_sa(l);
	l->lk.type = c->type;
	l->lk.mode = c->mode;
	l->lk.local = c->local;
	l->lk.remote = c->remote;
	l->lk.has_ikey = !!(c->has & UF_LINK_HAS_IKEY);
	l->lk.ikey = c->ikey;
	l->underlay_mtu = link_underlay_mtu(l, l->have_src, l->tx.src);
	l->path_mtu = uf_tx_default_mtu(&l->tx, l->underlay_mtu);
	l->mtu = c->mtu ? c->mtu : l->path_mtu;
	l->gso = l->tx.family == 4 && (l->tx.udp_csum || dp_gso_csum);
}

static int link_set_mtu(struct dp_link *l, char *err, size_t errlen)
{
	int e = dp_if_set_mtu(l->conf.name, l->mtu);

	if (e)
		snprintf(err, errlen, "%s: mtu %u: %s", l->conf.name, l->mtu, strerror(-e));
	return e;
}

/* Grows the link tables; the workers read them, so they are parked. */
static int links_reserve(struct dp *dp)
{
	size_t n = dp->caplinks ? dp->caplinks * 2 : 8;
	struct dp_link **v;
	const struct dp_lk_link **lv;
	int e = 0;

	if (dp->nlinks < dp->caplinks)
		return 0;
	dp_park(dp);
	v = realloc(dp->links, n * sizeof(*v));
	if (v)
		dp->links = v;
	lv = v ? realloc(dp->lkv, n * sizeof(*lv)) : NULL;
	if (lv) {
		dp->lkv = lv;
		dp->caplinks = n;
	} else {
		e = -ENOMEM;
	}
	dp_unpark(dp);
	return e;
}

/* Closes what link_open() opened; the workers no longer see the link. */
static void link_close(struct dp *dp, struct dp_link *l)
{
	for (unsigned int i = 0; i < dp->nw; i++) {
		struct dp_lq *q = &l->q[i];

		if (q->tun_fd >= 0)
			close(q->tun_fd);
		if (q->raw_fd >= 0)
			close(q->raw_fd);
		link_fsocks_close(q);
		free(q->gro.items);
		free(q->gro.segs);
	}
	free(l);
}

static int raw_open_all(struct dp *dp, const struct uf_link_conf *c, int *fds, char *err,
			size_t errlen)
{
	for (unsigned int i = 0; i < dp->nw; i++) {
		fds[i] = dp_raw_open(uf_link_type_family(c->type), c->dev, err, errlen);
		if (fds[i] < 0) {
			int e = fds[i];

			while (i-- > 0)
				close(fds[i]);
			return e;
		}
	}
	return 0;
}

/*
 * UDP_L4 super-packets only go to a device whose kernel knows USO: the one
 * that accepted TUN_F_USO4/6 also parses them back from the vnet header.
 */
static unsigned int link_udp_gro(unsigned int offload)
{
	return (offload & TUN_F_USO4 ? UF_GRO_UDP4 : 0) | (offload & TUN_F_USO6 ? UF_GRO_UDP6 : 0);
}

/*
 * One TUN queue per worker (IFF_MULTI_QUEUE: the kernel keeps a flow on
 * the queue it came from), one raw socket per worker. Workers beyond the
 * queues the kernel gave still deliver, writing into a shared queue.
 */
static int link_open(struct dp *dp, struct dp_link *l, char *err, size_t errlen)
{
	const struct uf_link_conf *c = &l->conf;
	int fds[DP_MAX_WORKERS];
	int n, e;

	n = dp_tun_open(c->name, uf_link_type_is_tap(c->type), (int)dp->nw, fds, &l->offload,
			err, errlen);
	if (n < 0)
		return n;
	l->ntun = n;
	for (unsigned int i = 0; i < dp->nw; i++) {
		l->q[i].tun_fd = (int)i < n ? fds[i] : -1;
		l->q[i].tun_wfd = fds[i % (unsigned int)n];
		uf_gro_set_udp(&l->q[i].gro, link_udp_gro(l->offload));
	}
	e = raw_open_all(dp, c, fds, err, errlen);
	if (e)
		return e;
	for (unsigned int i = 0; i < dp->nw; i++)
		l->q[i].raw_fd = fds[i];
	e = link_set_mtu(l, err, errlen);
	if (e)
		return e;
	if (c->type == UF_LINK_IPIP)
		dp_if_no_ipv6_ll(c->name);
	e = dp_if_up(c->name);
	if (e)
		snprintf(err, errlen, "%s: up: %s", c->name, strerror(-e));
	return e;
}

static struct dp_link *link_alloc(struct dp *dp, const struct uf_link_conf *c)
{
	struct dp_link *l = calloc(1, sizeof(*l) + dp->nw * sizeof(l->q[0]));

	if (!l)
		return NULL;
	l->dp = dp;
	l->conf = *c;
	for (unsigned int i = 0; i < dp->nw; i++) {
		struct dp_lq *q = &l->q[i];

		q->l = l;
		q->w = dp->w[i];
		q->tun_fd = q->tun_wfd = q->raw_fd = -1;
		for (int k = 0; k < DP_FSOCKS; k++)
			q->fs[k].fd = -1;
		q->st.ip_id = (uint16_t)rand32();
		uf_gro_init(&q->gro, calloc(DP_GRO_ITEMS, sizeof(struct uf_gro_item)),
			    DP_GRO_ITEMS, calloc(DP_GRO_SEGS, sizeof(struct uf_gro_seg)),
			    DP_GRO_SEGS);
		if (!q->gro.items || !q->gro.segs) {
			link_close(dp, l);
			return NULL;
		}
	}
	return l;
}

static void link_unloop(struct dp *dp, struct dp_link *l, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (l->q[i].tun_fd >= 0)
			loop_del(dp->w[i]->loop, l->q[i].tun_fd);
}

int dp_link_add(struct dp *dp, const struct uf_link_conf *c, char *err, size_t errlen)
{
	struct dp_link *l;
	unsigned int i;
	int e = 0;

	if (link_index(dp, c->name) >= 0) {
		snprintf(err, errlen, "link %s exists", c->name);
		return -EEXIST;
	}
	if (links_reserve(dp))
		return -ENOMEM;
	l = link_alloc(dp, c);
	if (!l)
		return -ENOMEM;
	link_derive(dp, l);
	link_queues_derive(l);
	e = link_open(dp, l, err, errlen);
	if (e) {
		link_close(dp, l);
		return e;
	}
	dp_park(dp);
	for (i = 0; i < dp->nw && !e; i++)
		if (l->q[i].tun_fd >= 0)
			e = loop_add(dp->w[i]->loop, l->q[i].tun_fd, EPOLLIN, link_tun_cb, &l->q[i]);
	if (e) {
		link_unloop(dp, l, i - 1);
		dp_unpark(dp);
		snprintf(err, errlen, "%s: event loop: %s", c->name, strerror(-e));
		link_close(dp, l);
		return e;
	}
	dp->lkv[dp->nlinks] = &l->lk;
	dp->links[dp->nlinks++] = l;
	dp_unpark(dp);
	dp_debug("link %s type %s mtu %u (underlay %u) offloads 0x%x queues %d%s added", c->name,
		 uf_link_type_name(c->type), l->mtu, l->underlay_mtu, l->offload, l->ntun,
		 l->gso ? " udp-gso" : "");
	return 0;
}

int dp_link_change(struct dp *dp, const struct uf_link_conf *c, char *err, size_t errlen)
{
	int i = link_index(dp, c->name), raw[DP_MAX_WORKERS], e;
	bool newraw;
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
	newraw = strncmp(c->dev, l->conf.dev, UF_IFNAMSIZ) != 0;
	if (newraw) {
		e = raw_open_all(dp, c, raw, err, errlen);
		if (e)
			return e;
	}
	dp_park(dp);
	old = *l;       /* the fixed part: configuration and what derives from it */
	l->conf = *c;
	link_derive(dp, l);
	e = l->mtu != old.mtu ? link_set_mtu(l, err, errlen) : 0;
	if (e) {
		memcpy(l, &old, sizeof(old));
		link_queues_derive(l);
		dp_unpark(dp);
		if (newraw)
			for (unsigned int k = 0; k < dp->nw; k++)
				close(raw[k]);
		return e;
	}
	link_queues_derive(l);
	for (unsigned int k = 0; k < dp->nw && newraw; k++) {
		int fd = l->q[k].raw_fd;

		l->q[k].raw_fd = raw[k];
		raw[k] = fd;
	}
	if (c->iseq != old.conf.iseq)
		l->rx_seq = 0;
	dp_unpark(dp);
	for (unsigned int k = 0; k < dp->nw && newraw; k++)
		close(raw[k]);
	return 0;
}

int dp_link_del(struct dp *dp, const char *name)
{
	int i = link_index(dp, name);
	struct dp_link *l;
	size_t tail;

	if (i < 0)
		return -ENOENT;
	l = dp->links[i];
	/* No worker may hold the link or poll its queues when they close. */
	dp_park(dp);
	link_unloop(dp, l, dp->nw);
	tail = dp->nlinks - (size_t)i - 1;
	memmove(&dp->links[i], &dp->links[i + 1], tail * sizeof(dp->links[0]));
	memmove(&dp->lkv[i], &dp->lkv[i + 1], tail * sizeof(dp->lkv[0]));
	dp->nlinks--;
	dp_unpark(dp);
	link_close(dp, l);
	return 0;
}

static void link_stats_add(struct uf_link_stats *st, const struct uf_link_stats *x)
{
	st->rx_packets += x->rx_packets;
	st->rx_bytes += x->rx_bytes;
	st->tx_packets += x->tx_packets;
	st->tx_bytes += x->tx_bytes;
	for (int d = 0; d < UF_DROP__COUNT; d++)
		st->rx_drops[d] += x->rx_drops[d];
	for (int d = 0; d < UF_TXD__COUNT; d++)
		st->tx_drops[d] += x->tx_drops[d];
	st->icmp_sent += x->icmp_sent;
	st->tx_fragmented += x->tx_fragmented;
}

/* Per-worker counters, summed while the workers are parked (no torn values). */
int dp_link_stats(struct dp *dp, const char *name, struct uf_link_stats *st)
{
	int i = link_index(dp, name);

	if (i < 0)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	dp_park(dp);
	for (unsigned int k = 0; k < dp->nw; k++)
		link_stats_add(st, &dp->links[i]->q[k].stats);
	dp_unpark(dp);
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
	if (dp->w)
		workers_stop(dp);
	while (dp->nlinks)
		dp_link_del(dp, dp->links[dp->nlinks - 1]->conf.name);
	while (dp->nports)
		dp_port_del(dp, &dp->ports[dp->nports - 1]->conf);
	for (unsigned int i = 0; dp->w && i < dp->nw; i++)
		worker_free(dp->w[i]);
	free(dp->w);
	free(dp->links);
	free(dp->lkv);
	free(dp->ports);
	pthread_cond_destroy(&dp->parked_cv);
	pthread_cond_destroy(&dp->resume_cv);
	pthread_mutex_destroy(&dp->mu);
	free(dp);
}
