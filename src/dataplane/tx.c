// SPDX-License-Identifier: GPL-2.0
/*
 * The transmit path, from the TUN device to the underlay: vnet-header
 * reads, TSO/USO split, inner checks and PMTU (ICMP back, or RFC 791
 * fragments), encapsulation, then per-flow UDP GSO sockets or sendmmsg
 * batches on the raw socket. Runs in the workers only; see dp.c for why
 * the two ways out.
 *
 * A GSO send hands the kernel only the UDP payloads, and the kernel sums
 * the outer UDP checksum itself: so the segments of a super-packet on a
 * GSO link are encapsulated with the checksum deferred (uf_tx.csum_defer)
 * and uf_encap_finish() adds it to the ones that leave whole after all, on
 * the raw socket or in fragments (tx_queue_whole, link_tx_one). Every
 * packet on the wire is the same as with the checksum summed up front.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dp_int.h"

#include "dataplane/dplog.h"
#include "dataplane/frag.h"
#include "dataplane/icmp.h"
#include "dataplane/netdev.h"
#include "dataplane/policy.h"
#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/encap.h"
#include "proto/flow.h"
#include "proto/gre.h"
#include "proto/gso.h"
#include "proto/ip.h"
#include "proto/vnet.h"

/* ---- transmit */

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

/*
 * The underlay refused a packet as too big (EMSGSIZE): its MTU shrank since
 * the link was set up. Learn it, so the next packets over the new limit get
 * ICMP frag-needed / packet-too-big and the senders' routes learn it too.
 */
static void link_mtu_refresh(struct dp_lq *q)
{
	unsigned int u = dp_link_mtu_cap(q->l, dp_link_underlay_mtu(q->l, q->have_src, q->tx.src));
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

/* Sends the queued outer packets txmsgs[from, to) with as few sendmmsg calls as possible. */
static void raw_send_range(struct dp_lq *q, size_t from, size_t to)
{
	struct dp_worker *dp = q->w;
	size_t done = from;

	while (done < to) {
		int n = sendmmsg(q->raw_fd, dp->txmsgs + done, (unsigned int)(to - done),
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
}

static void tx_flush(struct dp_lq *q);

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

/*
 * Queues an outer packet uf_encap() built under tx for the raw socket,
 * which sends it as it is: a deferred outer checksum is summed first.
 */
static void tx_queue_whole(struct dp_lq *q, const struct uf_tx *tx, uint8_t *p, size_t len)
{
	/* Cannot fail on a packet uf_encap() built under the same tx. */
	(void)uf_encap_finish(tx, p, len);
	tx_queue(q, p, len);
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

/* An outer IPv6 packet over the path MTU (inner IPv6 of at most 1280 bytes). */
static int send_fragments6(struct dp_lq *q, uint8_t *outer, size_t len)
{
	struct dp_frag6 f;
	int n;

	n = dp_frag6_init(&f, outer, len, __atomic_load_n(&q->l->underlay_mtu, __ATOMIC_RELAXED),
			  q->w->frag6_id++);
	if (n < 0)
		return n;
	while ((n = dp_frag6_next(&f, q->w->fragbuf, DP_MAX_PKT)) > 0) {
		int err = raw_send(q, q->w->fragbuf, (size_t)n);

		if (err)
			return err;
	}
	q->stats.tx_fragmented++;
	return n;
}

/*
 * An outer IPv4 packet over the underlay MTU: RFC 791 fragments. The ID
 * must be non-zero, or the raw socket would give each fragment a new one.
 */
static int send_fragments(struct dp_lq *q, uint8_t *outer, size_t len)
{
	struct dp_frag4 f;
	int n;

	if (q->tx.family == 6)
		return send_fragments6(q, outer, len);
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
 * Not rate-limited, as the kernel's are not: icmp_ratelimit and
 * icmp_msgs_per_sec exempt "fragmentation needed" (icmpv4_mask_allow:
 * "Don't limit PMTU discovery") and ICMPv6 "packet too big" (outside the
 * default net.ipv6.icmp.ratemask); these are the only errors ufoud makes.
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
	fits = q->l->overhead + len <= __atomic_load_n(&q->l->underlay_mtu, __ATOMIC_RELAXED);
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
		(void)uf_encap_finish(tx, buf + off, *olen);
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

void dp_fsock_close(struct dp_fsock *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->sport = 0;
}

/*
 * The flow socket for outer source port sport, opened on first use; -1 if
 * none. evict: may replace another port's open socket in the slot (bulk
 * flows do; short runs of single packets must not make many flows that
 * share a slot open and close sockets in turn).
 */
static int fsock_get(struct dp_lq *q, uint16_t sport, bool evict)
{
	struct dp_fsock *f = &q->fs[sport % DP_FSOCKS];
	time_t now;

	if (f->sport == sport && f->fd >= 0)
		return f->fd;
	if (f->sport == sport && f->fd == -2 && time(NULL) < f->retry)
		return -1;
	if (!evict && f->fd >= 0)
		return -1;
	dp_fsock_close(f);
	f->sport = sport;
	f->fd = dp_gso_sock_open(q->tx.family, q->tx.src, sport, q->tx.dst, q->tx.dport,
				 q->l->conf.dev);
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
	int family;
	uint8_t ttl, tos;               /* hop limit and traffic class on IPv6 */
	uint16_t sport;
	uint32_t label;                 /* IPv6 flow label */
	size_t optlen;                  /* IPv6 destination options (encaplimit) bytes */
	uint8_t opt[UF_DSTOPT_LEN];
	size_t hlen;                    /* outer IP (+ options) + UDP header bytes */
};

/*
 * Outer packet p as uf_encap() built it: IPv4 with DF and no fragment, or
 * IPv6 with nothing or the tunnel encapsulation limit option before UDP.
 */
static bool gso_outer_of(const uint8_t *p, struct gso_outer *o)
{
	size_t ip = UF_IP4_HLEN;

	memset(o, 0, sizeof(*o));
	if (p[0] == 0x45) {
		if (get_be16(p + 6) != 0x4000)
			return false;
		o->family = 4;
		o->ttl = p[8];
		o->tos = p[1];
	} else if ((p[0] >> 4) == 6) {
		uint32_t w = get_be32(p);

		o->family = 6;
		o->tos = (uint8_t)(w >> 20);
		o->label = w & 0xfffff;
		o->ttl = p[7];
		ip = UF_IP6_HLEN;
		if (p[6] == UF_IPPROTO_DSTOPTS) {
			/* uf_encap() writes exactly one 8-byte option header, then UDP. */
			if (p[ip] != UF_IPPROTO_UDP || p[ip + 1] != 0)
				return false;
			o->optlen = UF_DSTOPT_LEN;
			memcpy(o->opt, p + ip, UF_DSTOPT_LEN);
			ip += UF_DSTOPT_LEN;
		} else if (p[6] != UF_IPPROTO_UDP) {
			return false;
		}
	} else {
		return false;
	}
	o->sport = get_be16(p + ip);
	o->hlen = ip + UF_UDP_HLEN;
	return true;
}

static bool gso_same(const uint8_t *p, const struct gso_outer *o)
{
	struct gso_outer x;

	return gso_outer_of(p, &x) && x.family == o->family && x.ttl == o->ttl &&
	       x.tos == o->tos && x.sport == o->sport && x.label == o->label &&
	       x.optlen == o->optlen && !memcmp(x.opt, o->opt, sizeof(x.opt));
}

static struct cmsghdr *cmsg_put(struct msghdr *mh, struct cmsghdr *c, int level, int type,
				const void *data, size_t len)
{
	c = c ? CMSG_NXTHDR(mh, c) : CMSG_FIRSTHDR(mh);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	return c;
}

/*
 * sendmsg of iov[0..n) as datagrams of seg bytes (the last may be shorter),
 * with the outer fields of o: TTL/TOS (hop limit/traffic class) per call;
 * on IPv6 the flow label by sin6_flowinfo and the option header by cmsg.
 */
static int gso_send(struct dp_lq *q, int fd, const struct gso_outer *o, struct iovec *iov,
		    size_t n, size_t seg)
{
	union {
		uint8_t b[CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(UF_DSTOPT_LEN) +
			  CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cb;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n, .msg_control = cb.b,
			     .msg_controllen = sizeof(cb.b) };
	struct sockaddr_in6 to;
	struct cmsghdr *c;
	int ttl = o->ttl, tos = o->tos;
	uint16_t gs = (uint16_t)seg;

	memset(&cb, 0, sizeof(cb));
	if (o->family == 6) {
		memcpy(&to, &q->l->dst_sa, sizeof(to));
		to.sin6_port = htons(q->tx.dport);
		to.sin6_flowinfo = htonl(o->label);
		mh.msg_name = &to;
		mh.msg_namelen = sizeof(to);
		c = cmsg_put(&mh, NULL, IPPROTO_IPV6, IPV6_HOPLIMIT, &ttl, sizeof(ttl));
		c = cmsg_put(&mh, c, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
		if (o->optlen)
			c = cmsg_put(&mh, c, IPPROTO_IPV6, IPV6_DSTOPTS, o->opt, o->optlen);
	} else {
		c = cmsg_put(&mh, NULL, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		c = cmsg_put(&mh, c, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	}
	c = cmsg_put(&mh, c, SOL_UDP, UDP_SEGMENT, &gs, sizeof(gs));
	mh.msg_controllen = (size_t)((uint8_t *)c - cb.b) + CMSG_SPACE(sizeof(gs));
	for (;;) {
		if (sendmsg(fd, &mh, MSG_DONTWAIT) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/*
 * How many of the outer packets v[0..n) make one GSO run from v[0]: same
 * outer fields (o), equal UDP payloads (*seg bytes) but a shorter last one.
 * 0 when fewer than 2.
 */
static size_t gso_run_len(const struct iovec *v, size_t n, struct gso_outer *o, size_t *seg)
{
	size_t k = 1;

	if (n < 2 || !gso_outer_of(v[0].iov_base, o))
		return 0;
	*seg = v[0].iov_len - o->hlen;
	while (k < n && *seg) {
		size_t len = v[k].iov_len;

		if (!gso_same(v[k].iov_base, o) || len - o->hlen > *seg)
			break;
		k++;
		if (len - o->hlen < *seg)
			break;
	}
	return k >= 2 ? k : 0;
}

/*
 * Outer packets v[0..n) of one GSO run (gso_run_len() as o and seg) by UDP
 * GSO on fd, as many per sendmsg as the kernel takes. Returns how many were
 * dealt with (sent, or counted as send errors): fewer than n when the
 * kernel refused GSO (no checksum offload on the way out, for one), which
 * also turns GSO off for the queue.
 */
static size_t gso_send_run(struct dp_lq *q, int fd, const struct gso_outer *o,
			   const struct iovec *v, size_t n, size_t seg)
{
	struct dp_worker *dp = q->w;
	size_t i = 0;
	int err;

	while (i < n) {
		size_t m = 0, bytes = 0;

		while (i + m < n && m < DP_GSO_MAX_SEGS && bytes + seg <= DP_GSO_MAX_PAYLOAD) {
			dp->gsoiov[m].iov_base = (uint8_t *)v[i + m].iov_base + o->hlen;
			dp->gsoiov[m].iov_len = v[i + m].iov_len - o->hlen;
			bytes += v[i + m].iov_len - o->hlen;
			m++;
		}
		err = gso_send(q, fd, o, dp->gsoiov, m, seg);
		if (err == -EIO || err == -EINVAL || err == -EOPNOTSUPP) {
			dp_warn("%s: UDP GSO refused (%s), using batches", q->l->conf.name,
			        strerror(-err));
			q->gso = false;
			return i;
		}
		if (err == -EMSGSIZE)
			link_mtu_refresh(q);
		if (err) {
			dp_debug("%s: GSO send: %s", q->l->conf.name, strerror(-err));
			q->stats.tx_drops[UF_TXD_SEND_ERROR] += m;
			q->stats.tx_packets -= m;
		} else {
			q->stats.tx_gso += m;
		}
		i += m;
	}
	return n;
}

/*
 * The segments v[0..n) of one super-packet, encapsulated under tx: sends
 * them with UDP GSO when they all make one run. Returns false to have them
 * go the raw way.
 */
static bool link_tx_gso(struct dp_lq *q, const struct uf_tx *tx, const struct iovec *v, size_t n)
{
	struct gso_outer o;
	size_t seg, done;
	int fd;

	if (n < 2 || gso_run_len(v, n, &o, &seg) != n)
		return false;
	fd = fsock_get(q, o.sport, true);
	if (fd < 0)
		return false;
	tx_flush(q);    /* whatever the flow queued before goes first */
	done = gso_send_run(q, fd, &o, v, n, seg);
	for (size_t k = done; k < n; k++)
		tx_queue_whole(q, tx, v[k].iov_base, v[k].iov_len);
	return true;
}

/*
 * Sends what is queued. On a GSO link, runs of one flow's packets of one
 * size (datagrams that came from the TUN one by one: small UDP, ACKs) go
 * by UDP GSO too, the rest by sendmmsg, all in queue order. The queued
 * packets are whole (their checksums done), as the raw socket needs them.
 */
static void tx_flush(struct dp_lq *q)
{
	struct dp_worker *dp = q->w;
	size_t i = 0, raw = 0;

	while (q->gso && i + 1 < dp->ntx) {
		struct gso_outer o;
		size_t seg, n = gso_run_len(dp->txiov + i, dp->ntx - i, &o, &seg);
		int fd = n ? fsock_get(q, o.sport, false) : -1;

		if (fd < 0) {
			i++;
			continue;
		}
		raw_send_range(q, raw, i);
		i += gso_send_run(q, fd, &o, dp->txiov + i, n, seg);
		raw = i;
	}
	raw_send_range(q, raw, dp->ntx);
	dp->ntx = 0;
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
 * result is what uf_encap() derives per segment: same bytes. On a GSO
 * link the outer UDP checksum is deferred: the kernel sums its own for
 * what goes by GSO, and tx_queue_whole() ours for the rest.
 */
static void super_tx(const struct dp_lq *q, const uint8_t *inner, size_t len, struct uf_tx *tx)
{
	bool label = tx_auto_label(&q->tx);
	struct uf_flow f;
	uint32_t hash;

	*tx = q->tx;
	tx->csum_defer = q->gso;
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
	struct iovec v[DP_GSO_MAX_SEGS * 2];
	size_t n = 0;
	size_t l3 = uf_link_type_is_tap(q->l->conf.type) ? UF_ETH_HLEN : 0;
	struct uf_partial_csum pc;
	struct uf_gso g;
	int nseg = uf_gso_init(&g, inner, len, l3, vh);
	struct uf_tx tx;

	if (nseg <= 0 || (size_t)nseg > DP_GSO_MAX_SEGS * 2) {
		tx_drop(q, UF_TXD_BAD_INNER);
		return;
	}
	/*
	 * The source of a `local any` link first: super_tx() copies it into
	 * every segment's headers (and outer checksum) before link_tx_one()
	 * would learn it. Without one, each segment is a no-route drop there.
	 */
	if (!link_src_ready(q)) {
		q->stats.tx_drops[UF_TXD_NO_ROUTE] += (uint64_t)nseg;
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
		v[n].iov_base = buf + off;
		v[n++].iov_len = olen;
		tx_take(q->w, (size_t)off + olen);
	}
	if (q->gso && link_tx_gso(q, &tx, v, n))
		return;
	for (size_t i = 0; i < n; i++)
		tx_queue_whole(q, &tx, v[i].iov_base, v[i].iov_len);
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

void dp_link_tun_cb(int fd, uint32_t events, void *arg)
{
	struct dp_lq *q = arg;

	for (int i = 0; i < DP_TX_BURST; i++) {
		uint8_t *buf = tx_slot(q);
		ssize_t n = read(fd, buf + DP_HEADROOM - UF_VNET_HLEN, UF_VNET_HLEN + DP_MAX_PKT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && !q->tun_err_logged) {
				dp_err("%s: read: %s", q->l->conf.name, strerror(errno));
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
