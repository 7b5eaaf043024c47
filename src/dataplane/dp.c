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
 * own counter on the raw path (Linux's tunnels hash them). On IPv6 (where
 * Linux's fou6 checksums by default) the flow label goes with each
 * sendmsg as sin6_flowinfo and the encapsulation limit option as an
 * IPV6_DSTOPTS cmsg, so the kernel's segments carry exactly what the raw
 * path would. DF-less IPv4 outer packets, outer fragments and ports that
 * are taken locally (EADDRINUSE) use the raw path.
 *
 * Per-packet work uses buffers allocated once: transmit area with
 * headroom in front of every packet, receive batch, coalescing tables.
 *
 * This file keeps the dp.h API (setup, links, ports, counters); the worker
 * threads are in worker.c, the transmit path in tx.c, the receive path in
 * rx.c, and what they share in dp_int.h.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dp.h"
#include "dataplane/dp_int.h"

#include "dataplane/fp.h"

#include "daemon/loop.h"
#include "dataplane/dplog.h"
#include "dataplane/netdev.h"

/* UDP GSO also where the outer checksum is off (it becomes valid instead of zero). */
bool dp_gso_csum;
unsigned int dp_spin_usec;
/* Worker threads; 0: one per online CPU. */
int dp_nworkers;
enum dp_path dp_datapath = DP_PATH_AUTO;

uint32_t dp_rand32(void)
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

/* Underlay devices, addresses or routes changed: the fast path follows them. */
static void fast_nl_cb(int fd, uint32_t events, void *arg)
{
	struct dp *dp = arg;

	if (fp_nl_drain(dp->fp))
		fp_refresh(dp->fp);
}

/*
 * -D auto: the fast path where it loads, else every link on the TUN path,
 * said once with the reason; -D bpf: no fast path is an error; -D tun: the
 * TUN path only, and programs a killed ufoud left behind are removed.
 */
static int fast_open(struct dp *dp)
{
	char why[512];

	if (dp_datapath == DP_PATH_TUN) {
		fp_cleanup_stale();
		dp_log("data path: tun (ufoud -D tun)");
		return 0;
	}
	dp->fp = fp_open(dp->sport_min, dp->sport_max, dp->seed, why, sizeof(why));
	if (!dp->fp) {
		if (dp_datapath == DP_PATH_BPF) {
			dp_warn("data path: the eBPF fast path did not load (%s)", why);
			return -1;
		}
		fp_cleanup_stale();
		dp_warn("data path: tun for every link: the eBPF fast path did not load (%s)", why);
		return 0;
	}
	if (loop_add(dp->loop, fp_nl_fd(dp->fp), EPOLLIN, fast_nl_cb, dp) < 0) {
		dp_warn("data path: netlink watch: cannot register; the fast path is off");
		fp_close(dp->fp);
		dp->fp = NULL;
		return dp_datapath == DP_PATH_BPF ? -1 : 0;
	}
	dp_log("data path: eBPF fast path, TUN path for the rest");
	return 0;
}

bool dp_fast_path(const struct dp *dp)
{
	return dp && dp->fp;
}

struct dp *dp_new(struct loop *loop)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->loop = loop;
	dp->icmp4_fd = dp->icmp6_fd = dp->pmtu_tfd = -1;
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
		dp->w[i] = dp_worker_new(dp, i);
		if (!dp->w[i]) {
			dp_free(dp);
			return NULL;
		}
	}
	dp->seed = dp_rand32();
	read_port_range(dp);
	dp_pmtu_open(dp);
	if (fast_open(dp) < 0 || dp_workers_start(dp) < 0) {
		dp_free(dp);
		return NULL;
	}
	dp_debug("%u workers", dp->nw);
	return dp;
}

void dp_adopt(struct dp *dp, bool on)
{
	dp->adopt = on;
}

void dp_keep(struct dp *dp)
{
	dp->keep = true;
}

void dp_start(struct dp *dp)
{
	fp_start(dp->fp);
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
		e = loop_add(dp->w[i]->loop, pt->q[i].fd, EPOLLIN, dp_port_cb, &pt->q[i]);
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
	pt->fp_slot = -1;
	if (dp->fp) {
		char why[128];

		pt->fp_slot = fp_port_set(dp->fp, -1, c, why, sizeof(why));
		if (pt->fp_slot < 0)
			dp_log("port %u: TUN path only: %s", c->port, why);
	}
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
	fp_port_del(dp->fp, pt->fp_slot);
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
	fp_port_stats(dp->fp, dp->ports[i]->fp_slot, st);
	return 0;
}

/* ---- links */

static size_t addr_len(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static bool addr_is_zero(const uint8_t *a, uint8_t family)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, addr_len(family)) == 0;
}

unsigned int dp_link_underlay_mtu(const struct dp_link *l, bool have_src,
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
		dp_fsock_close(&q->fs[i]);
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
	/* -G: a valid outer checksum on every packet, not only the GSO ones. */
	if (dp_gso_csum)
		l->tx.udp_csum = true;
	l->tx.hash_seed = dp->seed;
	l->tx.sport_min = dp->sport_min;
	l->tx.sport_max = dp->sport_max;
	l->overhead = uf_tx_overhead(&l->tx);
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
	/* The device's default MTU follows the device below, never a router's report. */
	l->underlay_mtu = dp_link_underlay_mtu(l, l->have_src, l->tx.src);
	l->mtu = c->mtu ? c->mtu : uf_tx_default_mtu(&l->tx, l->underlay_mtu);
	l->underlay_mtu = dp_link_mtu_cap(l, l->underlay_mtu);
	l->path_mtu = uf_tx_default_mtu(&l->tx, l->underlay_mtu);
	l->gso = l->tx.udp_csum;
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

/*
 * Closes what link_open() opened; the workers no longer see the link. The
 * device goes with it unless ufoud -k keeps it, or it was adopted and the
 * link never came up (a failed restore must not delete the user's device).
 */
static void link_close(struct dp *dp, struct dp_link *l, bool added)
{
	if (!dp->keep && (added || !l->adopted))
		dp_tun_unpersist(l->q[0].tun_fd);
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

	n = dp_tun_open(c->name, uf_link_type_is_tap(c->type), (int)dp->nw, dp->adopt, &l->adopted,
			fds, &l->offload, err, errlen);
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
	/* A device taken over keeps what it had: MTU, up or down, addresses. */
	if (l->adopted)
		return dp_if_get_mtu(c->name, &l->mtu) == 0 ? 0 : link_set_mtu(l, err, errlen);
	e = link_set_mtu(l, err, errlen);
	if (e)
		return e;
	if (c->type == UF_LINK_IPIP)
		dp_if_no_ipv6_ll(c->name);
	/* Up unless the add said down, as a Linux tunnel made by ufou always was. */
	e = (c->has & UF_LINK_HAS_UP) && !c->up ? 0 : dp_if_up(c->name);
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
	l->fp_slot = -1;
	for (unsigned int i = 0; i < dp->nw; i++) {
		struct dp_lq *q = &l->q[i];

		q->l = l;
		q->w = dp->w[i];
		q->tun_fd = q->tun_wfd = q->raw_fd = -1;
		for (int k = 0; k < DP_FSOCKS; k++)
			q->fs[k].fd = -1;
		q->st.ip_id = (uint16_t)dp_rand32();
		uf_gro_init(&q->gro, calloc(DP_GRO_ITEMS, sizeof(struct uf_gro_item)),
			    DP_GRO_ITEMS, calloc(DP_GRO_SEGS, sizeof(struct uf_gro_seg)),
			    DP_GRO_SEGS);
		if (!q->gro.items || !q->gro.segs) {
			link_close(dp, l, false);
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

/* Puts the link on the fast path (or updates it there); on failure it stays on the TUN path. */
static void link_fast(struct dp *dp, struct dp_link *l)
{
	struct uf_link_conf d = l->conf;
	char why[128];
	int slot;

	if (!dp->fp)
		return;
	if (!l->ifindex)
		l->ifindex = (int)if_nametoindex(l->conf.name);
	uf_link_conf_defaults(&d);
	slot = fp_link_set(dp->fp, l->fp_slot, l->ifindex, &d, &l->tx, why, sizeof(why));
	if (slot < 0) {
		dp_log("%s: TUN path only: %s", l->conf.name, why);
		fp_link_del(dp->fp, l->fp_slot);
		l->fp_slot = -1;
		return;
	}
	l->fp_slot = slot;
	fp_link_pmtu(dp->fp, slot, l->pmtu);
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
		link_close(dp, l, false);
		return e;
	}
	dp_park(dp);
	for (i = 0; i < dp->nw && !e; i++)
		if (l->q[i].tun_fd >= 0)
			e = loop_add(dp->w[i]->loop, l->q[i].tun_fd, EPOLLIN, dp_link_tun_cb, &l->q[i]);
	if (e) {
		link_unloop(dp, l, i - 1);
		dp_unpark(dp);
		snprintf(err, errlen, "%s: event loop: %s", c->name, strerror(-e));
		link_close(dp, l, false);
		return e;
	}
	dp->lkv[dp->nlinks] = &l->lk;
	dp->links[dp->nlinks++] = l;
	dp_unpark(dp);
	link_fast(dp, l);
	dp_debug("link %s type %s mtu %u (underlay %u) offloads 0x%x queues %d%s added, path %s",
		 c->name, uf_link_type_name(c->type), l->mtu, l->underlay_mtu, l->offload, l->ntun,
		 l->gso ? " udp-gso" : "", fp_link_path(dp->fp, l->fp_slot));
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
	/* A router's report was about one path: other addresses, other path. */
	if (memcmp(&c->remote, &l->conf.remote, sizeof(c->remote)) ||
	    memcmp(&c->local, &l->conf.local, sizeof(c->local)) || newraw)
		__atomic_store_n(&l->pmtu, 0, __ATOMIC_RELAXED);
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
	link_fast(dp, l);
	for (unsigned int k = 0; k < dp->nw && newraw; k++)
		close(raw[k]);
	return 0;
}

void dp_links_follow_renames(struct dp *dp,
			     void (*ren)(void *arg, size_t i, const char *old, const char *name),
			     void *arg)
{
	bool parked = false;

	for (size_t i = 0; i < dp->nlinks; i++) {
		struct dp_link *l = dp->links[i];
		char cur[IFNAMSIZ], was[UF_IFNAMSIZ];

		/* The TUN queue knows its device, whatever it is called now. */
		if (dp_tun_name(l->q[0].tun_wfd, cur, sizeof(cur)) < 0 ||
		    !strncmp(cur, l->conf.name, sizeof(l->conf.name)))
			continue;
		if (!parked) {
			dp_park(dp);    /* workers name links in their log lines */
			parked = true;
		}
		memcpy(was, l->conf.name, sizeof(was));
		snprintf(l->conf.name, sizeof(l->conf.name), "%s", cur);
		ren(arg, i, was, cur);
	}
	if (parked)
		dp_unpark(dp);
}

int dp_link_rename(struct dp *dp, const char *name, const char *newname, char *err,
		   size_t errlen)
{
	int i = link_index(dp, name), e;
	struct dp_link *l;

	if (i < 0) {
		snprintf(err, errlen, "link %s not found", name);
		return -ENOENT;
	}
	l = dp->links[i];
	if (if_nametoindex(newname)) {
		snprintf(err, errlen, "argument \"%s\" is wrong: device %s already exists", newname,
			 newname);
		return -EEXIST;
	}
	e = dp_if_rename(name, newname);
	if (e) {
		if (e == -EBUSY)
			snprintf(err, errlen, "%s: rename to %s: %s (it is up: ip link set dev %s "
				 "down first)", name, newname, strerror(-e), name);
		else
			snprintf(err, errlen, "%s: rename to %s: %s", name, newname, strerror(-e));
		return e;
	}
	/* Workers name the link in their log lines. */
	dp_park(dp);
	snprintf(l->conf.name, sizeof(l->conf.name), "%s", newname);
	dp_unpark(dp);
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
	fp_link_del(dp->fp, l->fp_slot);
	/* No worker may hold the link or poll its queues when they close. */
	dp_park(dp);
	link_unloop(dp, l, dp->nw);
	tail = dp->nlinks - (size_t)i - 1;
	memmove(&dp->links[i], &dp->links[i + 1], tail * sizeof(dp->links[0]));
	memmove(&dp->lkv[i], &dp->lkv[i + 1], tail * sizeof(dp->lkv[0]));
	dp->nlinks--;
	dp_unpark(dp);
	link_close(dp, l, true);
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
	st->tx_gso += x->tx_gso;
	st->rx_csum_completed += x->rx_csum_completed;
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
	st->pmtu_reports = dp->links[i]->pmtu_learned;
	fp_link_stats(dp->fp, dp->links[i]->fp_slot, st);
	return 0;
}

const char *dp_link_path(struct dp *dp, const char *name)
{
	int i = link_index(dp, name);

	return i < 0 ? "tun" : fp_link_path(dp->fp, dp->links[i]->fp_slot);
}

/*
 * Asked of the kernel at each call: ip(8) may have changed the MTU or the
 * flags since. The TUN queue names the device whatever it is called now.
 */
int dp_link_dev(struct dp *dp, const char *name, struct uf_link_dev *d)
{
	int i = link_index(dp, name), e;
	char cur[IFNAMSIZ];

	memset(d, 0, sizeof(*d));
	if (i < 0)
		return -ENOENT;
	e = dp_tun_name(dp->links[i]->q[0].tun_wfd, cur, sizeof(cur));
	if (!e)
		e = dp_if_get_mtu(cur, &d->mtu);
	if (!e)
		e = dp_if_get_flags(cur, &d->flags);
	d->known = e == 0;
	if (dp->links[i]->pmtu) {
		struct timespec now;
		time_t left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = dp->links[i]->pmtu_expires - now.tv_sec;
		d->pmtu = dp->links[i]->pmtu;
		d->pmtu_expires = left > 0 ? (unsigned int)left : 0;
	}
	return e;
}

void dp_ptb_stats(const struct dp *dp, uint64_t *n)
{
	memcpy(n, dp->ptb, sizeof(dp->ptb));
}

int dp_link_set_mtu(struct dp *dp, const char *name, char *err, size_t errlen)
{
	int i = link_index(dp, name);

	if (i < 0) {
		snprintf(err, errlen, "link %s not found", name);
		return -ENOENT;
	}
	return link_set_mtu(dp->links[i], err, errlen);
}

int dp_link_set_up(struct dp *dp, const char *name, bool up, char *err, size_t errlen)
{
	int e = link_index(dp, name) < 0 ? -ENOENT : dp_if_set_up(name, up);

	if (e)
		snprintf(err, errlen, "%s: %s: %s", name, up ? "up" : "down", strerror(-e));
	return e;
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	if (dp->w)
		dp_workers_stop(dp);
	/*
	 * -k: the filters keep their programs and maps (and the traffic they
	 * carry) once the fast path lets go of them untouched; the devices stay
	 * (link_close); the next ufoud adopts both.
	 */
	if (dp->keep && dp->fp) {
		loop_del(dp->loop, fp_nl_fd(dp->fp));
		fp_leave(dp->fp);
		dp->fp = NULL;
	}
	while (dp->nlinks)
		dp_link_del(dp, dp->links[dp->nlinks - 1]->conf.name);
	while (dp->nports)
		dp_port_del(dp, &dp->ports[dp->nports - 1]->conf);
	if (dp->fp) {
		loop_del(dp->loop, fp_nl_fd(dp->fp));
		fp_close(dp->fp);
	}
	dp_pmtu_close(dp);
	for (unsigned int i = 0; dp->w && i < dp->nw; i++)
		dp_worker_free(dp->w[i]);
	free(dp->w);
	free(dp->links);
	free(dp->lkv);
	free(dp->ports);
	pthread_cond_destroy(&dp->parked_cv);
	pthread_cond_destroy(&dp->resume_cv);
	pthread_mutex_destroy(&dp->mu);
	free(dp);
}
