/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane's private state, shared by the files that make it up
 * (dp.c: the dp.h API and link/port setup; worker.c: worker threads and
 * parking; tx.c: the path from the TUN device to the underlay; rx.c: the
 * path from the UDP sockets to the TUN device): limits, the structures
 * every path touches, and the functions one file calls in another. Not
 * for use outside src/dataplane.
 */
#ifndef UFOU_DATAPLANE_DP_INT_H
#define UFOU_DATAPLANE_DP_INT_H

#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "dataplane/dp.h"

#include "dataplane/lookup.h"
#include "proto/decap.h"
#include "proto/encap.h"
#include "proto/gro.h"
#include "proto/ptb.h"

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
#define DP_RX_BATCH 64       /* recvmmsg messages (each up to 64 KB with UDP_GRO) */
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
	int fp_slot;                    /* fast path: its slot, -1 none */
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
	size_t overhead;                /* outer header bytes: uf_tx_overhead(&tx) */
	unsigned int offload;           /* TUN_F_* accepted */
	bool gso;
	unsigned int mtu;               /* device MTU */
	unsigned int underlay_mtu;      /* workers learn it: __atomic accesses */
	unsigned int path_mtu;          /* inner L3 bytes the underlay allows; ditto */
	/*
	 * A router's report (pmtu.c): the outer path's MTU below the device's,
	 * 0 = none; underlay_mtu is never above it while it lasts. Written by
	 * the control thread, read by the workers (__atomic).
	 */
	unsigned int pmtu;
	time_t pmtu_expires;            /* CLOCK_MONOTONIC seconds; control thread only */
	uint64_t pmtu_learned;          /* reports taken (lowered or refreshed); ditto */
	bool have_src, have_dst;
	struct sockaddr_storage dst_sa;
	socklen_t dst_salen;
	uint32_t rx_seq;                /* GRE iseq: next expected, 0 = none seen (__atomic) */
	uint32_t tx_seq;                /* GRE oseq: last sent, shared by the workers (__atomic) */
	int ntun;                       /* TUN queues opened (q[0..ntun) own one) */
	bool adopted;                   /* the device was there (a restart): ours to keep on failure */
	int ifindex;                    /* the tunnel device */
	int fp_slot;                    /* fast path: its slot, -1 none */
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
	uint32_t frag6_id;               /* next outer IPv6 fragment ID (random start) */
	uint8_t *fragbuf;               /* DP_MAX_PKT */
	uint8_t *icmpbuf;               /* an ICMP error, Ethernet header included */
	uint8_t *rxbuf;                 /* DP_RX_BATCH * DP_MAX_PKT */
	struct mmsghdr msgs[DP_RX_BATCH];
	struct dp_rxmsg rx[DP_RX_BATCH];
};

struct fp;

struct dp {
	struct loop *loop;
	struct fp *fp;                  /* eBPF fast path; NULL: TUN path only */
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
	bool adopt;                     /* restoring: existing TUN devices are attached to */
	bool keep;                      /* exit leaves devices and fast path (ufoud -k) */
	/* Path MTU reports (pmtu.c), all on the control thread. */
	int icmp4_fd, icmp6_fd;         /* raw ICMP / ICMPv6 sockets, -1 none */
	int pmtu_tfd;                   /* timerfd: the next learned MTU to expire */
	uint64_t ptb[UF_PTB__COUNT];    /* reports read, by what came of them */
};

/* dp.c */
uint32_t dp_rand32(void);
unsigned int dp_link_underlay_mtu(const struct dp_link *l, bool have_src,
				  const uint8_t *src);

/* pmtu.c */
int dp_pmtu_open(struct dp *dp);
void dp_pmtu_close(struct dp *dp);
/* The underlay MTU a link may use: the device's, or a router's report below it. */
static inline unsigned int dp_link_mtu_cap(const struct dp_link *l, unsigned int dev_mtu)
{
	unsigned int p = __atomic_load_n(&l->pmtu, __ATOMIC_RELAXED);

	return p && p < dev_mtu ? p : dev_mtu;
}

/* worker.c */
void dp_park(struct dp *dp);
void dp_unpark(struct dp *dp);
void dp_worker_free(struct dp_worker *w);
struct dp_worker *dp_worker_new(struct dp *dp, unsigned int idx);
unsigned int dp_default_workers(void);
int dp_workers_start(struct dp *dp);
void dp_workers_stop(struct dp *dp);

/* tx.c */
void dp_fsock_close(struct dp_fsock *f);
void dp_link_tun_cb(int fd, uint32_t events, void *arg);

/* rx.c */
void dp_rx_init(struct dp_worker *w);
void dp_port_cb(int fd, uint32_t events, void *arg);

#endif
