// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path, from the UDP port sockets to the TUN device:
 * recvmmsg batches (UDP_GRO), decapsulation, link lookup, GRE checksum /
 * sequence and ECN checks, TCP (and UDP) coalescing, one vnet-header
 * writev per super-packet. Runs in the workers only.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dataplane/dp_int.h"

#include "dataplane/lookup.h"
#include "dataplane/policy.h"
#include "proto/bytes.h"
#include "proto/csum.h"
#include "proto/decap.h"
#include "proto/gre.h"
#include "proto/gro.h"
#include "proto/gso.h"
#include "proto/ip.h"
#include "proto/vnet.h"

/* ---- receive */

/* What recvmmsg changed in the n messages it filled; the pointers stay as dp_rx_init() set them. */
static void rx_reset(struct dp_worker *w, int n)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &w->msgs[i].msg_hdr;

		mh->msg_namelen = sizeof(w->rx[i].name);
		mh->msg_controllen = sizeof(w->rx[i].cmsg);
		mh->msg_flags = 0;
	}
}

void dp_rx_init(struct dp_worker *w)
{
	for (int i = 0; i < DP_RX_BATCH; i++) {
		struct dp_rxmsg *m = &w->rx[i];

		m->iov.iov_base = w->rxbuf + (size_t)i * DP_MAX_PKT;
		m->iov.iov_len = DP_MAX_PKT;
		w->msgs[i].msg_hdr.msg_iov = &m->iov;
		w->msgs[i].msg_hdr.msg_iovlen = 1;
		w->msgs[i].msg_hdr.msg_name = &m->name;
		w->msgs[i].msg_hdr.msg_control = m->cmsg;
	}
	rx_reset(w, DP_RX_BATCH);
}

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

/*
 * A kernel tunnel sender (Linux's fou, or ufoud's fast path) leaves the
 * inner TCP/UDP checksum partial (CHECKSUM_PARTIAL: the field holds only
 * the pseudo-header sum) on packets that cross a veth, since nothing
 * completes it on the way; a kernel receiver keeps that state, but our
 * socket gets the bare bytes. Such a field is completed here. Only a
 * field equal to the pseudo-header sum that does not verify is touched:
 * a valid packet is never changed. Returns true when it completed one.
 */
static bool rx_complete_partial(uint8_t *p, const struct uf_pkt *pkt)
{
	const struct uf_ip *ip = &pkt->inner;
	size_t off = pkt->tun_off + (pkt->has_eth ? UF_ETH_HLEN : 0), len, coff;
	uint8_t *l4;
	uint32_t ps;

	if (!pkt->has_inner || !pkt->has_l4 || ip->mf || ip->frag_off)
		return false;
	len = ip->total_len - ip->hdr_len;
	if (pkt->l4.proto == UF_IPPROTO_TCP && len >= 20)
		coff = 16;
	else if (pkt->l4.proto == UF_IPPROTO_UDP && len >= UF_UDP_HLEN &&
		 get_be16(p + pkt->l4_off + 4) == len)
		coff = 6;
	else
		return false;
	l4 = p + pkt->l4_off;
	ps = uf_ip_pseudo(ip, pkt->l4.proto, (uint32_t)len);
	if (get_be16(l4 + coff) != uf_csum_fold16(ps) ||
	    uf_csum_fold16(uf_csum_partial(l4, len, ps)) == 0xffff)
		return false;
	(void)uf_csum_complete(p + off, ip->total_len, ip->hdr_len, coff);
	return true;
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
	if (rx_complete_partial(p, pkt))
		q->stats.rx_csum_completed++;
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
	/* The outer layers came from the socket (k, tos); decap resets the rest. */
	pkt.has_outer = pkt.has_udp = false;
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

void dp_port_cb(int fd, uint32_t events, void *arg)
{
	struct dp_pq *pt = arg;
	struct dp_worker *dp = pt->w;

	for (int round = 0; round < DP_RX_ROUNDS; round++) {
		int n;

		n = recvmmsg(fd, dp->msgs, DP_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			rx_reset(dp, 1);
			/* EAGAIN: drained. Others (ICMP errors on a connected socket) are
			 * reported once and cleared, so just go on. */
			if (errno == EAGAIN)
				return;
			continue;
		}
		for (int i = 0; i < n; i++)
			port_rx_msg(pt, &dp->msgs[i].msg_hdr, dp->msgs[i].msg_len);
		/* Only the messages filled need their lengths back for the next call. */
		rx_reset(dp, n);
		/* The coalesced packets point into the batch buffers: out before reuse. */
		rx_flush(dp);
		if (n < DP_RX_BATCH)
			return;
	}
}
