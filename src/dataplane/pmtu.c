// SPDX-License-Identifier: GPL-2.0
/*
 * Path MTU from routers' reports. A router that cannot forward one of our
 * outer packets (DF, too big) answers the tunnel's local address with ICMP
 * "fragmentation needed" or ICMPv6 "packet too big". No socket owns the
 * outer flow (its source port is the inner flow's hash), so the kernel's
 * own handling ends there; Linux's fou/gue tunnels instead find the tunnel
 * by the quoted addresses and lower the outer route's MTU for
 * net.ipv{4,6}.route.mtu_expires seconds (ipip_err, ip6_tnl_err). ufoud
 * reads the reports on raw ICMP sockets (copies: the kernel still handles
 * its own), matches them to links (proto/ptb.c), and lowers the link's
 * underlay MTU for as long: the TUN path then answers bigger inner packets
 * with frag-needed / packet-too-big (tx.c) and the fast path hands them to
 * it (the map entry's mtu). The tunnel device's MTU is left as it is, as
 * Linux leaves it.
 *
 * Everything here runs on the control thread; the workers only read the
 * link's pmtu, underlay_mtu and path_mtu (__atomic).
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/icmp.h>

#include "dataplane/dp.h"
#include "dataplane/dp_int.h"
#include "dataplane/dplog.h"
#include "dataplane/fp.h"

#include "daemon/loop.h"

#define PMTU_READS 64            /* reports per wake-up, then others' turn */
#define PMTU_EXPIRES_DEFAULT 600 /* ip_rt_mtu_expires / ip6_rt_mtu_expires */

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* A route sysctl of this namespace (the kernel's per-netns value), or def. */
static unsigned int sysctl_uint(const char *path, unsigned int def, unsigned int min)
{
	FILE *f = fopen(path, "re");
	unsigned int v;

	if (!f)
		return def;
	if (fscanf(f, "%u", &v) != 1 || v < min)
		v = def;
	fclose(f);
	return v;
}

static unsigned int mtu_expires(uint8_t family)
{
	return sysctl_uint(family == 6 ? "/proc/sys/net/ipv6/route/mtu_expires" :
					 "/proc/sys/net/ipv4/route/mtu_expires",
			   PMTU_EXPIRES_DEFAULT, 1);
}

/* Underlay and path MTU from the device's MTU and the report, if any. */
static void link_mtus_set(struct dp_link *l)
{
	unsigned int u = dp_link_mtu_cap(l, dp_link_underlay_mtu(l, l->have_src, l->tx.src));

	__atomic_store_n(&l->underlay_mtu, u, __ATOMIC_RELAXED);
	__atomic_store_n(&l->path_mtu, uf_tx_default_mtu(&l->tx, u), __ATOMIC_RELAXED);
}

/* The timer fires when the first learned MTU expires (never while none is). */
static void timer_rearm(struct dp *dp)
{
	struct itimerspec its = { 0 };
	time_t next = 0;

	for (size_t i = 0; i < dp->nlinks; i++) {
		const struct dp_link *l = dp->links[i];

		if (l->pmtu && (!next || l->pmtu_expires < next))
			next = l->pmtu_expires;
	}
	its.it_value.tv_sec = next;
	if (dp->pmtu_tfd >= 0)
		(void)timerfd_settime(dp->pmtu_tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void pmtu_set(struct dp *dp, struct dp_link *l, unsigned int mtu, time_t expires)
{
	__atomic_store_n(&l->pmtu, mtu, __ATOMIC_RELAXED);
	l->pmtu_expires = expires;
	link_mtus_set(l);
	fp_link_pmtu(dp->fp, l->fp_slot, mtu);
	timer_rearm(dp);
}

/*
 * One report that matched link l: a smaller MTU is learned, the same one
 * refreshed (as a route exception's expiry is), anything else ignored.
 */
static enum uf_ptb_reason link_report(struct dp *dp, struct dp_link *l, uint32_t mtu)
{
	unsigned int cur = __atomic_load_n(&l->underlay_mtu, __ATOMIC_RELAXED);

	if (mtu < cur) {
		dp_log("%s: path MTU %u to the remote (a router's report; was %u)", l->conf.name,
		       mtu, cur);
	} else if (mtu != l->pmtu) {
		return UF_PTB_NOT_LOWER;
	}
	l->pmtu_learned++;
	pmtu_set(dp, l, mtu, mono_now() + (time_t)mtu_expires(l->tx.family));
	return UF_PTB_NONE;
}

/*
 * Every link that sends such packets takes the report (as the route does).
 * The floor is read only once one matches: forged reports cost no file reads.
 */
static enum uf_ptb_reason report(struct dp *dp, const struct uf_ptb *q)
{
	enum uf_ptb_reason r = UF_PTB_NOT_OURS, e;
	uint32_t mtu = 0;

	for (size_t i = 0; i < dp->nlinks; i++) {
		struct dp_link *l = dp->links[i];

		if (!l->have_dst || !uf_ptb_matches(q, &l->tx, l->have_src ? l->tx.src : NULL))
			continue;
		if (!mtu)
			mtu = uf_ptb_clamp(q->family, q->mtu,
					   sysctl_uint("/proc/sys/net/ipv4/route/min_pmtu",
						       UF_PTB_MIN_PMTU4, 68));
		e = link_report(dp, l, mtu);
		if (e == UF_PTB_NONE || r == UF_PTB_NOT_OURS)
			r = e;
	}
	return r;
}

static void icmp_cb(int fd, uint32_t events, void *arg)
{
	struct dp *dp = arg;
	/* Routers quote at most 576 (IPv4) / 1280 (IPv6) bytes in all. */
	uint8_t buf[2048];

	(void)events;
	for (int n = 0; n < PMTU_READS; n++) {
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		enum uf_ptb_reason r;
		struct uf_ptb q;

		if (len < 0)
			break;
		r = fd == dp->icmp4_fd ? uf_ptb4_decode(buf, (size_t)len, &q) :
					 uf_ptb6_decode(buf, (size_t)len, &q);
		if (r == UF_PTB_NONE)
			r = report(dp, &q);
		dp->ptb[r]++;
		if (r != UF_PTB_NONE && r != UF_PTB_OTHER)
			dp_debug("ICMP%s report ignored: %s", fd == dp->icmp4_fd ? "" : "v6",
				 uf_ptb_reason_name(r));
	}
}

/* Learned MTUs past their time: the device's MTU again, until a router says otherwise. */
static void timer_cb(int fd, uint32_t events, void *arg)
{
	struct dp *dp = arg;
	uint64_t ticks;
	time_t now = mono_now();

	(void)events;
	(void)!read(fd, &ticks, sizeof(ticks));
	for (size_t i = 0; i < dp->nlinks; i++) {
		struct dp_link *l = dp->links[i];

		if (l->pmtu && l->pmtu_expires <= now) {
			dp_log("%s: path MTU %u expired", l->conf.name, l->pmtu);
			__atomic_store_n(&l->pmtu, 0, __ATOMIC_RELAXED);
			link_mtus_set(l);
			fp_link_pmtu(dp->fp, l->fp_slot, 0);
		}
	}
	timer_rearm(dp);
}

/*
 * Only reports about UDP reach us: ufoud's own frag-needed to inner
 * senders (written into the TUN device, quoting ICMP or TCP) would
 * otherwise wake the control thread once each. IPv4 raw sockets filter
 * from the IP header, IPv6 ones from the ICMPv6 header.
 */
static const struct sock_filter udp_quote4[] = {
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),              /* x = IP header length */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 1),               /* ICMP code */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 3),        /* frag-needed */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 8 + 9),           /* quoted protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};
static const struct sock_filter udp_quote6[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8 + 6),           /* quoted next header */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 3, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_DSTOPTS, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_HOPOPTS, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ROUTING, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* A raw socket that reads only reports about UDP packets (the kernel filters). */
static int icmp_open(int family)
{
	struct sock_fprog prog = {
		.len = family == 6 ? sizeof(udp_quote6) / sizeof(udp_quote6[0]) :
				     sizeof(udp_quote4) / sizeof(udp_quote4[0]),
		.filter = (struct sock_filter *)(family == 6 ? udp_quote6 : udp_quote4),
	};
	int fd = socket(family == 6 ? AF_INET6 : AF_INET,
			SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	int e;

	if (fd < 0)
		return -errno;
	if (family == 6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		e = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		/* A bit set blocks that type. */
		struct icmp_filter f = { .data = ~(1u << ICMP_DEST_UNREACH) };

		e = setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	}
	if (e == 0)
		e = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	if (e < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Never fatal: without CAP_NET_RAW the links keep the device's MTU, as before. */
int dp_pmtu_open(struct dp *dp)
{
	int *fds[2] = { &dp->icmp4_fd, &dp->icmp6_fd };

	dp->icmp4_fd = dp->icmp6_fd = dp->pmtu_tfd = -1;
	if (!dp->loop)
		return 0;
	dp->pmtu_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (dp->pmtu_tfd < 0 || loop_add(dp->loop, dp->pmtu_tfd, EPOLLIN, timer_cb, dp) < 0) {
		dp_warn("path MTU reports: no timer (%s); routers' reports are not used",
			strerror(errno));
		dp_pmtu_close(dp);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		int fd = icmp_open(i ? 6 : 4);

		if (fd < 0) {
			dp_warn("path MTU reports: ICMP%s socket: %s; routers' reports are not used",
				i ? "v6" : "", strerror(-fd));
			continue;
		}
		if (loop_add(dp->loop, fd, EPOLLIN, icmp_cb, dp) < 0) {
			close(fd);
			continue;
		}
		*fds[i] = fd;
	}
	return 0;
}

void dp_pmtu_close(struct dp *dp)
{
	int *fds[3] = { &dp->icmp4_fd, &dp->icmp6_fd, &dp->pmtu_tfd };

	for (int i = 0; i < 3; i++) {
		if (*fds[i] < 0)
			continue;
		if (dp->loop)
			loop_del(dp->loop, *fds[i]);
		close(*fds[i]);
		*fds[i] = -1;
	}
}
