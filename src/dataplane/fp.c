// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF fast path, control side (see fp.h). The programs and their map
 * layout are in bpf/ufou.bpf.c and fp_abi.h; here they are loaded, hooked
 * to TC (filters of our own priority and handle, so that a restarted
 * daemon finds and replaces what a killed one left), and fed.
 *
 * Which links go fast is decided here from their configuration
 * (fp_link_tx_ok / fp_link_rx_ok); per packet, the programs hand anything
 * else to the TUN path themselves.
 */
#include <net/if.h>        /* before any linux/ header: glibc's struct ifreq */
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/fp.h"

#include "dataplane/dplog.h"
#include "dataplane/fp_abi.h"
#include "dataplane/fp_entry.h"
#include "dataplane/lookup.h"
#include "proto/ip.h"
#include "ufou.skel.h"

_Static_assert((int)FP_SLOW__COUNT == (int)UF_FPP__COUNT, "hand-over reasons differ");
_Static_assert((int)FP_SLOW_MTU == (int)UF_FPP_MTU && (int)FP_SLOW_BATCH == (int)UF_FPP_BATCH,
	       "hand-over reasons in another order");

#define FP_MAX_DEVS 256

struct fp_lslot {
	bool used;
	int ifindex;
	uint64_t seq;              /* order of addition: first added wins, as in dp_lookup */
	struct uf_link_conf conf;
	struct uf_tx tx;
	bool tx_fast, rx_fast;
	struct fp_tx ent;          /* as last written (oif follows routes) */
	uint32_t pmtu;             /* a router's report below the route's MTU, 0 none */
};

struct fp_pslot {
	bool used;
	struct uf_port_conf conf;
};

struct fp {
	struct ufou_bpf *skel;
	int nl;                    /* rtnetlink: link, address and route changes */
	int q;                     /* rtnetlink queries (routes, neighbours); -1: reopen */
	uint32_t qseq;
	int ncpu;
	uint64_t seq;
	struct fp_lslot links[FP_MAX_LINKS];
	struct fp_pslot ports[FP_MAX_PORTS];
	int devs[FP_MAX_DEVS];     /* ingress attached here */
	int ndevs;
	bool decap_flags;          /* the kernel can change the family on decapsulation */
};

/* ---- libbpf messages: kept for the one line that says why loading failed */

static char fp_lastmsg[384];

/*
 * The end of the last message is kept: a verifier log ends with why it
 * refused. UFOU_BPF_DEBUG=1 prints every message (logs included) whole.
 */
__attribute__((format(printf, 2, 0)))
static int fp_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static char buf[65536];
	size_t n, m;
	int r;

	if (level == LIBBPF_DEBUG && !getenv("UFOU_BPF_DEBUG"))
		return 0;
	r = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (r <= 0)
		return 0;
	n = strnlen(buf, sizeof(buf));
	if (getenv("UFOU_BPF_DEBUG"))
		fprintf(stderr, "libbpf: %s%s", buf, buf[n - 1] == '\n' ? "" : "\n");
	if (level == LIBBPF_DEBUG)
		return 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	m = n < sizeof(fp_lastmsg) - 1 ? n : sizeof(fp_lastmsg) - 1;
	memcpy(fp_lastmsg, buf + n - m, m);
	fp_lastmsg[m] = 0;
	for (char *p = fp_lastmsg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return 0;
}

/* ---- TC hooks */

static int tc_attach(int ifindex, enum bpf_tc_attach_point where, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FP_TC_HANDLE, .priority = FP_TC_PRIO,
			    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int e = bpf_tc_hook_create(&hook);

	if (e && e != -EEXIST)
		return e;
	return bpf_tc_attach(&hook, &opts);
}

static void tc_detach(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FP_TC_HANDLE, .priority = FP_TC_PRIO);

	(void)bpf_tc_detach(&hook, &opts);
}

static bool dev_is_ether(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		ok = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	close(fd);
	return ok;
}

static bool dev_is_ether_idx(uint32_t ifindex)
{
	char name[IF_NAMESIZE];

	return ifindex && if_indextoname(ifindex, name) && dev_is_ether(name);
}

static bool fp_is_tunnel(const struct fp *fp, int ifindex)
{
	for (int i = 0; i < FP_MAX_LINKS; i++)
		if (fp->links[i].used && fp->links[i].ifindex == ifindex)
			return true;
	return false;
}

void fp_cleanup_stale(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;

	for (i = ifs; i && i->if_index; i++) {
		tc_detach((int)i->if_index, BPF_TC_INGRESS);
		tc_detach((int)i->if_index, BPF_TC_EGRESS);
	}
	if (ifs)
		if_freenameindex(ifs);
}

/* Every Ethernet device but our own tunnels (taps) gets the decapsulation. */
static void devs_sync(struct fp *fp)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int prog = bpf_program__fd(fp->skel->progs.ufou_decap), keep[FP_MAX_DEVS], nkeep = 0;

	for (i = ifs; i && i->if_index; i++) {
		int idx = (int)i->if_index, e;
		bool had = false;

		if (fp_is_tunnel(fp, idx) || !dev_is_ether(i->if_name))
			continue;
		for (int k = 0; k < fp->ndevs; k++)
			had |= fp->devs[k] == idx;
		if (nkeep == FP_MAX_DEVS)
			break;
		if (!had) {
			e = tc_attach(idx, BPF_TC_INGRESS, prog);
			if (e) {
				dp_warn("fast path: %s: ingress attach: %s (its traffic takes the TUN path)",
				        i->if_name, strerror(-e));
				continue;
			}
			dp_debug("fast path: decapsulation on %s", i->if_name);
		}
		keep[nkeep++] = idx;
	}
	if (ifs)
		if_freenameindex(ifs);
	/* Devices that went away took their filters with them. */
	memcpy(fp->devs, keep, sizeof(keep[0]) * (size_t)nkeep);
	fp->ndevs = nkeep;
}

/* ---- local addresses */

static void addr_key(struct fp_addr_key *k, int family, const void *a)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)(family == AF_INET6 ? 6 : 4);
	memcpy(k->a, a, family == AF_INET6 ? 16 : 4);
}

static void addrs_sync(struct fp *fp)
{
	int mfd = bpf_map__fd(fp->skel->maps.fp_addrs);
	struct fp_addr_key k, next, cur[FP_MAX_ADDRS];
	struct ifaddrs *ifa, *a;
	size_t n = 0;
	uint8_t one = 1;

	if (getifaddrs(&ifa) < 0)
		return;
	for (a = ifa; a && n < FP_MAX_ADDRS; a = a->ifa_next) {
		if (!a->ifa_addr)
			continue;
		if (a->ifa_addr->sa_family == AF_INET)
			addr_key(&cur[n], AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr);
		else if (a->ifa_addr->sa_family == AF_INET6)
			addr_key(&cur[n], AF_INET6, &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr);
		else
			continue;
		(void)bpf_map_update_elem(mfd, &cur[n], &one, BPF_ANY);
		n++;
	}
	freeifaddrs(ifa);
	/* Then forget the ones that are gone. */
	if (bpf_map_get_next_key(mfd, NULL, &k))
		return;
	for (;;) {
		bool found = false;
		int more = bpf_map_get_next_key(mfd, &k, &next);

		for (size_t i = 0; i < n && !found; i++)
			found = !memcmp(&cur[i], &k, sizeof(k));
		if (!found)
			(void)bpf_map_delete_elem(mfd, &k);
		if (more)
			break;
		k = next;
	}
}

/* ---- routes: which device a link's packets leave by */

static void nl_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/*
 * One request on the query socket, kept open across refreshes (a route
 * change in a namespace with many links would otherwise open two sockets per
 * link); returns the length of the reply datagram in buf, or -1. A reply to
 * an earlier request that timed out is skipped by its sequence number; on
 * any error the socket is closed and the next query opens a fresh one.
 */
static ssize_t nl_query(struct fp *fp, struct nlmsghdr *req, char *buf, size_t len)
{
	struct timeval tv = { .tv_sec = 1 };
	ssize_t n;

	if (fp->q < 0) {
		fp->q = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fp->q < 0)
			return -1;
		(void)setsockopt(fp->q, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	req->nlmsg_seq = ++fp->qseq;
	if (send(fp->q, req, req->nlmsg_len, 0) < 0)
		goto fail;
	for (int tries = 0; tries < 16; tries++) {
		n = recv(fp->q, buf, len, 0);
		if (n < 0)
			goto fail;
		if ((size_t)n >= sizeof(struct nlmsghdr) &&
		    ((struct nlmsghdr *)buf)->nlmsg_seq == req->nlmsg_seq)
			return n;
	}
fail:
	close(fp->q);
	fp->q = -1;
	return -1;
}

/* Where a link's packets go: the route the kernel would pick for them. */
struct fp_route {
	int oif;                   /* 0: no unicast route out of a device */
	uint32_t mtu;
	uint32_t nh_family;
	uint8_t nh[16];
};

static uint32_t dev_mtu(int ifindex)
{
	char name[IF_NAMESIZE];
	struct ifreq ifr;
	int fd;
	uint32_t mtu = 0;

	if (!if_indextoname((unsigned int)ifindex, name))
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (uint32_t)ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* The reply to RTM_GETROUTE: device, gateway, MTU metric. */
static void route_parse(struct nlmsghdr *h, int family, struct fp_route *r)
{
	struct rtmsg *rt = NLMSG_DATA(h);
	int len = (int)RTM_PAYLOAD(h);

	/* Only a unicast route leaves by a device; local / unreachable do not. */
	if (rt->rtm_type != RTN_UNICAST)
		return;
	for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int)) {
			memcpy(&r->oif, RTA_DATA(a), sizeof(int));
		} else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) <= 16) {
			memset(r->nh, 0, sizeof(r->nh));
			memcpy(r->nh, RTA_DATA(a), RTA_PAYLOAD(a));
			r->nh_family = family == 6 ? AF_INET6 : AF_INET;
		} else if (a->rta_type == RTA_METRICS) {
			int ml = (int)RTA_PAYLOAD(a);

			for (struct rtattr *m = RTA_DATA(a); RTA_OK(m, ml); m = RTA_NEXT(m, ml))
				if (m->rta_type == RTAX_MTU && RTA_PAYLOAD(m) >= 4)
					memcpy(&r->mtu, RTA_DATA(m), 4);
		}
	}
}

/*
 * Whether the next hop's neighbour entry can take packets now. The
 * program hands packets to bpf_redirect_neigh() with the next hop given;
 * one that has to wait for resolution would be re-sent through its inner
 * route (the tunnel device) without a link-layer header, so until the
 * entry is valid the link's packets take the TUN path, whose sends
 * resolve it; the netlink watch then brings the link back.
 */
static bool neigh_valid(struct fp *fp, int ifindex, uint32_t family, const uint8_t *nh)
{
	struct {
		struct nlmsghdr h;
		struct ndmsg n;
		char attrs[64];
	} req;
	char buf[1024];
	size_t alen = family == AF_INET6 ? 16 : 4;
	bool ok = false;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	req.h.nlmsg_type = RTM_GETNEIGH;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.n.ndm_family = (unsigned char)family;
	req.n.ndm_ifindex = ifindex;
	nl_attr(&req.h, NDA_DST, nh, alen);
	n = nl_query(fp, &req.h, buf, sizeof(buf));
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		struct ndmsg *nd = NLMSG_DATA(h);

		if (h->nlmsg_type == RTM_NEWNEIGH)
			ok = nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
					      NUD_PERMANENT | NUD_NOARP);
	}
	return ok;
}

/* RTM_GETROUTE for dst (from src, out of dev when given); r->oif 0 when none. */
static void route_get(struct fp *fp, int family, const uint8_t *dst, const uint8_t *src,
		      const char *dev, struct fp_route *r)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		char attrs[128];
	} req;
	char buf[4096];
	size_t alen = family == 6 ? 16 : 4;
	uint32_t dmtu;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->nh_family = family == 6 ? AF_INET6 : AF_INET;
	memcpy(r->nh, dst, alen);
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.r.rtm_family = family == 6 ? AF_INET6 : AF_INET;
	req.r.rtm_dst_len = (unsigned char)(alen * 8);
	nl_attr(&req.h, RTA_DST, dst, alen);
	if (src) {
		req.r.rtm_src_len = (unsigned char)(alen * 8);
		nl_attr(&req.h, RTA_SRC, src, alen);
	}
	if (dev && dev[0]) {
		int idx = (int)if_nametoindex(dev);

		if (!idx)
			return;
		nl_attr(&req.h, RTA_OIF, &idx, sizeof(idx));
	}
	n = nl_query(fp, &req.h, buf, sizeof(buf));
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n))
		if (h->nlmsg_type == RTM_NEWROUTE)
			route_parse(h, family, r);
	/* A route into one of our own tunnels (or lo) is not an underlay. */
	if (r->oif && !dev_is_ether_idx((uint32_t)r->oif))
		r->oif = 0;
	dmtu = r->oif ? dev_mtu(r->oif) : 0;
	if (!r->mtu || r->mtu > dmtu)
		r->mtu = dmtu;
}

/* ---- links */

bool fp_link_tx_ok(const struct uf_link_conf *c, const struct uf_tx *tx)
{
	/*
	 * The helpers never mark a GSO packet for an outer UDP checksum, GRE
	 * checksums and sequence numbers change per segment, remcsum needs the
	 * inner checksum state; a tap's frames have no IP header up front; a
	 * local "any" needs the route's source, which the TUN path learns.
	 */
	if (tx->udp_csum || tx->remcsum || tx->gre_csum || tx->gre_seq)
		return false;
	if (uf_link_type_is_tap(c->type) || tx->inner_kind != UF_INNER_IP)
		return false;
	if (fp_addr_any(&c->local) || fp_addr_any(&c->remote))
		return false;
	return tx->encap == UF_ENCAP_FOU || tx->encap == UF_ENCAP_GUE;
}

bool fp_link_rx_ok(const struct uf_link_conf *c)
{
	/* GRE checksums and sequence numbers are checked by the TUN path. */
	return !uf_link_type_is_tap(c->type) && !c->icsum && !c->iseq;
}

static void tx_entry_route(struct fp *fp, const struct fp_lslot *s, struct fp_tx *t)
{
	struct fp_route r;

	route_get(fp, s->tx.family, s->tx.dst, s->tx.src, s->conf.dev, &r);
	t->oif = (uint32_t)r.oif;
	t->mtu = s->pmtu && s->pmtu < r.mtu ? s->pmtu : r.mtu;
	t->nh_family = r.nh_family;
	memcpy(t->nh, r.nh, sizeof(t->nh));
	t->flags &= ~FP_TX_NEIGH;
	if (r.oif && neigh_valid(fp, r.oif, r.nh_family, r.nh))
		t->flags |= FP_TX_NEIGH;
}

static void tx_entry(struct fp *fp, const struct fp_lslot *s, int slot, struct fp_tx *t)
{
	const struct uf_tx *tx = &s->tx;
	uint32_t okey = htonl(tx->gre_okey);

	memset(t, 0, sizeof(*t));
	t->slot = (uint32_t)slot;
	t->flags = fp_inner_flags(&s->conf);
	if (!s->tx_fast)
		t->flags |= FP_TX_SLOW;
	if (tx->family == 6)
		t->flags |= FP_TX_V6;
	if (tx->tos_inherit)
		t->flags |= FP_TX_TOS_INHERIT;
	if (tx->family == 4 && tx->pmtudisc)
		t->flags |= FP_TX_DF;
	if (tx->encap == UF_ENCAP_GUE)
		t->flags |= FP_TX_GUE;
	if (tx->gre)
		t->flags |= FP_TX_GRE;
	if (tx->gre && tx->gre_key)
		t->flags |= FP_TX_GRE_KEY;
	if (tx->flowlabel_inherit)
		t->flags |= FP_TX_FL_INHERIT;
	if (tx->family == 6 && tx->encap_limit >= 0) {
		t->flags |= FP_TX_ENCAPLIM;
		t->encap_limit = (uint8_t)tx->encap_limit;
	}
	memcpy(&t->okey, &okey, 4);
	t->flowlabel = tx->flowlabel;
	t->ip_id = (uint32_t)random();
	memcpy(t->src, tx->src, 16);
	memcpy(t->dst, tx->dst, 16);
	t->sport = htons(tx->sport);
	t->dport = htons(tx->dport);
	t->ttl = tx->ttl;
	t->tos = tx->tos;
	tx_entry_route(fp, s, t);
}

/*
 * Rewrites the receive table from the links, oldest first: where two links
 * claim the same addresses and key, the first added takes the packets, as
 * in dp_lookup(). A link that stays on the TUN path still claims its
 * entry (marked slow), so that no other link takes its packets here.
 */
static void rx_sync(struct fp *fp)
{
	static struct fp_rx_key want[FP_MAX_LINKS];
	int mfd = bpf_map__fd(fp->skel->maps.fp_rxl), order[FP_MAX_LINKS], n = 0;
	struct fp_rx_key k, next;
	struct fp_rx v;
	size_t nwant = 0;

	for (int i = 0; i < FP_MAX_LINKS; i++)
		if (fp->links[i].used)
			order[n++] = i;
	for (int a = 1; a < n; a++)             /* insertion sort by age */
		for (int b = a; b > 0 && fp->links[order[b]].seq < fp->links[order[b - 1]].seq; b--) {
			int t = order[b];

			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		bool dup = false;

		{
			const struct fp_lslot *ls = &fp->links[order[i]];

			fp_rx_entry(&ls->conf, ls->ifindex, order[i], ls->rx_fast, &k, &v);
		}
		for (size_t j = 0; j < nwant && !dup; j++)
			dup = !memcmp(&want[j], &k, sizeof(k));
		if (dup)
			continue;
		want[nwant++] = k;
		if (bpf_map_update_elem(mfd, &k, &v, BPF_ANY))
			dp_err("fast path: receive table update: %s", strerror(errno));
	}
	if (bpf_map_get_next_key(mfd, NULL, &k))
		return;
	for (;;) {
		bool found = false;
		int more = bpf_map_get_next_key(mfd, &k, &next);

		for (size_t j = 0; j < nwant && !found; j++)
			found = !memcmp(&want[j], &k, sizeof(k));
		if (!found)
			(void)bpf_map_delete_elem(mfd, &k);
		if (more)
			break;
		k = next;
	}
}

static void stats_zero(int mfd, uint32_t slot, size_t vsize, int ncpu)
{
	size_t sz = ((vsize + 7) & ~(size_t)7) * (size_t)ncpu;
	void *z = calloc(1, sz);

	if (z) {
		(void)bpf_map_update_elem(mfd, &slot, z, BPF_ANY);
		free(z);
	}
}

int fp_link_set(struct fp *fp, int slot, int ifindex, const struct uf_link_conf *c,
		const struct uf_tx *tx, char *why, size_t whylen)
{
	struct fp_lslot *s;
	uint32_t key = (uint32_t)ifindex;
	int e;

	if (slot < 0) {
		for (slot = 0; slot < FP_MAX_LINKS && fp->links[slot].used; slot++)
			;
		if (slot == FP_MAX_LINKS) {
			snprintf(why, whylen, "more than %d links", FP_MAX_LINKS);
			return -ENOSPC;
		}
		stats_zero(bpf_map__fd(fp->skel->maps.fp_lst), (uint32_t)slot,
			   sizeof(struct fp_lstats), fp->ncpu);
		fp->links[slot].seq = ++fp->seq;
		fp->links[slot].pmtu = 0;
	}
	s = &fp->links[slot];
	s->ifindex = ifindex;
	s->conf = *c;
	s->tx = *tx;
	s->tx_fast = fp_link_tx_ok(c, tx);
	s->rx_fast = fp_link_rx_ok(c);
	/* Before Linux 6.3 a family change on decapsulation is the TUN path's. */
	if (!fp->decap_flags &&
	    !(fp_inner_flags(c) & (uf_link_type_family(c->type) == 6 ? FP_TX_INNER6 : FP_TX_INNER4)))
		s->rx_fast = false;
	tx_entry(fp, s, slot, &s->ent);
	if (bpf_map_update_elem(bpf_map__fd(fp->skel->maps.fp_txl), &key, &s->ent, BPF_ANY)) {
		e = -errno;
		snprintf(why, whylen, "transmit table: %s", strerror(-e));
		return e;
	}
	if (!s->used) {
		e = tc_attach(ifindex, BPF_TC_EGRESS, bpf_program__fd(fp->skel->progs.ufou_encap));
		if (e) {
			(void)bpf_map_delete_elem(bpf_map__fd(fp->skel->maps.fp_txl), &key);
			snprintf(why, whylen, "egress attach: %s", strerror(-e));
			return e;
		}
		/* A tap may have had the decapsulation (it is an Ethernet device). */
		tc_detach(ifindex, BPF_TC_INGRESS);
	}
	s->used = true;
	rx_sync(fp);
	return slot;
}

void fp_link_del(struct fp *fp, int slot)
{
	struct fp_lslot *s;
	uint32_t key;

	if (!fp || slot < 0 || slot >= FP_MAX_LINKS || !fp->links[slot].used)
		return;
	s = &fp->links[slot];
	key = (uint32_t)s->ifindex;
	/* Receive first: its packets then reach the socket, which finds no link. */
	s->used = false;
	rx_sync(fp);
	(void)bpf_map_delete_elem(bpf_map__fd(fp->skel->maps.fp_txl), &key);
	tc_detach(s->ifindex, BPF_TC_EGRESS);
}

const char *fp_link_path(const struct fp *fp, int slot)
{
	const struct fp_lslot *s;

	if (!fp || slot < 0 || slot >= FP_MAX_LINKS || !fp->links[slot].used)
		return "tun";
	s = &fp->links[slot];
	if (s->tx_fast && s->rx_fast)
		return "bpf";
	if (s->rx_fast)
		return "bpf-rx";
	return s->tx_fast ? "bpf-tx" : "tun";
}

/* ---- ports */

/* Two ports on one number and family (kept apart by local/peer): the socket path sorts them. */
static void ports_sync(struct fp *fp)
{
	int mfd = bpf_map__fd(fp->skel->maps.fp_ports);
	struct fp_port_key k, kk, next;
	struct fp_port v, vv;

	for (int i = 0; i < FP_MAX_PORTS; i++) {
		if (!fp->ports[i].used)
			continue;
		fp_port_entry(&fp->ports[i].conf, i, &k, &v);
		for (int j = 0; j < FP_MAX_PORTS; j++) {
			if (j == i || !fp->ports[j].used)
				continue;
			fp_port_entry(&fp->ports[j].conf, j, &kk, &vv);
			if (!memcmp(&k, &kk, sizeof(k)))
				v.flags |= FP_PORT_SLOW;
		}
		(void)bpf_map_update_elem(mfd, &k, &v, BPF_ANY);
	}
	if (bpf_map_get_next_key(mfd, NULL, &k))
		return;
	for (;;) {
		bool found = false;
		int more = bpf_map_get_next_key(mfd, &k, &next);

		for (int i = 0; i < FP_MAX_PORTS && !found; i++) {
			if (!fp->ports[i].used)
				continue;
			fp_port_entry(&fp->ports[i].conf, i, &kk, &vv);
			found = !memcmp(&k, &kk, sizeof(k));
		}
		if (!found)
			(void)bpf_map_delete_elem(mfd, &k);
		if (more)
			break;
		k = next;
	}
}

int fp_port_set(struct fp *fp, int slot, const struct uf_port_conf *c, char *why,
		size_t whylen)
{
	if (slot < 0) {
		for (slot = 0; slot < FP_MAX_PORTS && fp->ports[slot].used; slot++)
			;
		if (slot == FP_MAX_PORTS) {
			snprintf(why, whylen, "more than %d ports", FP_MAX_PORTS);
			return -ENOSPC;
		}
		stats_zero(bpf_map__fd(fp->skel->maps.fp_pst), (uint32_t)slot,
			   sizeof(struct fp_pstats), fp->ncpu);
	}
	fp->ports[slot].used = true;
	fp->ports[slot].conf = *c;
	ports_sync(fp);
	return slot;
}

void fp_port_del(struct fp *fp, int slot)
{
	if (!fp || slot < 0 || slot >= FP_MAX_PORTS || !fp->ports[slot].used)
		return;
	fp->ports[slot].used = false;
	ports_sync(fp);
}

/* ---- counters */

/*
 * Sums a per-CPU value of n 64-bit counters into the struct at dst (n * 8
 * bytes), through a u64 array and memcpy: the struct's __u64 fields are
 * another type to the compiler than uint64_t.
 */
static void percpu_sum(int mfd, uint32_t slot, int ncpu, void *dst, size_t n)
{
	size_t stride = n * 8;
	uint8_t *buf = calloc((size_t)ncpu, stride);
	uint64_t out[64];

	memset(dst, 0, n * 8);
	if (!buf || n > 64) {
		free(buf);
		return;
	}
	memset(out, 0, sizeof(out));
	if (bpf_map_lookup_elem(mfd, &slot, buf) == 0)
		for (int c = 0; c < ncpu; c++)
			for (size_t i = 0; i < n; i++) {
				uint64_t v;

				memcpy(&v, buf + (size_t)c * stride + i * 8, 8);
				out[i] += v;
			}
	memcpy(dst, out, n * 8);
	free(buf);
}

void fp_link_stats(const struct fp *fp, int slot, struct uf_link_stats *st)
{
	struct fp_lstats s;

	if (!fp || slot < 0 || slot >= FP_MAX_LINKS || !fp->links[slot].used)
		return;
	_Static_assert(sizeof(s) % 8 == 0, "fp_lstats is u64s");
	percpu_sum(bpf_map__fd(fp->skel->maps.fp_lst), (uint32_t)slot, fp->ncpu, &s,
		   sizeof(s) / 8);
	st->fast.rx_packets += s.rx_packets;
	st->fast.rx_bytes += s.rx_bytes;
	st->fast.tx_packets += s.tx_packets;
	st->fast.tx_bytes += s.tx_bytes;
	st->fast.tx_error += s.tx_error;
	st->rx_packets += s.rx_packets;
	st->rx_bytes += s.rx_bytes;
	st->tx_packets += s.tx_packets;
	st->tx_bytes += s.tx_bytes;
	st->tx_gso += s.tx_gso;
	st->tx_drops[UF_TXD_SEND_ERROR] += s.tx_error;
	for (int i = 0; i < UF_FPP__COUNT; i++) {
		st->fast.tx_pass[i] += s.tx_slow[i];
		st->fast.rx_pass[i] += s.rx_slow[i];
	}
}

void fp_port_stats(const struct fp *fp, int slot, struct uf_port_stats *st)
{
	struct fp_pstats s;

	if (!fp || slot < 0 || slot >= FP_MAX_PORTS || !fp->ports[slot].used)
		return;
	_Static_assert(sizeof(s) % 8 == 0, "fp_pstats is u64s");
	percpu_sum(bpf_map__fd(fp->skel->maps.fp_pst), (uint32_t)slot, fp->ncpu, &s,
		   sizeof(s) / 8);
	st->rx_packets += s.rx_packets;
	st->rx_bytes += s.rx_bytes;
	st->fast_rx_packets += s.rx_packets;
	st->fast_rx_bytes += s.rx_bytes;
	for (int i = 0; i < UF_FPP__COUNT; i++)
		st->pass[i] += s.slow[i];
}

/* ---- following the namespace */

/* Rewrites a slot's entry after its route (or reported MTU) may have changed. */
static void slot_reroute(struct fp *fp, struct fp_lslot *s)
{
	int tfd = bpf_map__fd(fp->skel->maps.fp_txl);
	uint32_t key = (uint32_t)s->ifindex;
	struct fp_tx cur, was = s->ent;

	tx_entry_route(fp, s, &s->ent);
	if (s->ent.oif == was.oif && s->ent.mtu == was.mtu && s->ent.flags == was.flags &&
	    s->ent.nh_family == was.nh_family && !memcmp(s->ent.nh, was.nh, 16))
		return;
	dp_debug("fast path: %s now leaves by ifindex %u, mtu %u", s->conf.name, s->ent.oif,
		 s->ent.mtu);
	/* Keep the IPv4 ID counter the program advanced. */
	if (bpf_map_lookup_elem(tfd, &key, &cur) == 0)
		s->ent.ip_id = cur.ip_id;
	(void)bpf_map_update_elem(tfd, &key, &s->ent, BPF_ANY);
}

void fp_refresh(struct fp *fp)
{
	if (!fp)
		return;
	devs_sync(fp);
	addrs_sync(fp);
	for (int i = 0; i < FP_MAX_LINKS; i++)
		if (fp->links[i].used && fp->links[i].tx_fast)
			slot_reroute(fp, &fp->links[i]);
}

void fp_link_pmtu(struct fp *fp, int slot, uint32_t mtu)
{
	struct fp_lslot *s;

	if (!fp || slot < 0 || slot >= FP_MAX_LINKS || !fp->links[slot].used)
		return;
	s = &fp->links[slot];
	if (s->pmtu == mtu)
		return;
	s->pmtu = mtu;
	if (s->tx_fast)
		slot_reroute(fp, s);
}

int fp_nl_fd(const struct fp *fp)
{
	return fp ? fp->nl : -1;
}

bool fp_nl_drain(struct fp *fp)
{
	char buf[8192];
	bool any = false;

	while (recv(fp->nl, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		any = true;
	return any;
}

static int nl_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
			     RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_NEIGH,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* ---- load */

bool fp_probe_decap_flags(int probe_fd)
{
	uint8_t pkt[14 + 20 + 8 + 20];
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt));

	memset(pkt, 0, sizeof(pkt));
	pkt[12] = 0x08;                 /* IPv4 */
	pkt[14] = 0x45;
	pkt[17] = 20 + 8 + 20;
	pkt[14 + 9] = 17;
	pkt[14 + 20 + 5] = 8 + 20;
	pkt[14 + 28] = 0x45;
	pkt[14 + 28 + 3] = 20;
	if (bpf_prog_test_run_opts(probe_fd, &o))
		return false;
	return o.retval == 1;
}

struct fp *fp_open(uint16_t sport_min, uint16_t sport_max, uint32_t seed, char *why,
		   size_t whylen)
{
	struct fp_cfg cfg = { .sport_min = sport_min, .sport_max = sport_max, .seed = seed };
	uint32_t zero = 0;
	struct fp *fp;
	int e;

	libbpf_set_print(fp_print);
	fp_lastmsg[0] = 0;
	fp = calloc(1, sizeof(*fp));
	if (!fp) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	fp->nl = -1;
	fp->q = -1;
	fp->ncpu = libbpf_num_possible_cpus();
	fp->skel = ufou_bpf__open();
	if (!fp->skel || fp->ncpu <= 0) {
		snprintf(why, whylen, "BPF object: %s", fp_lastmsg[0] ? fp_lastmsg : strerror(errno));
		goto fail;
	}
	e = ufou_bpf__load(fp->skel);
	if (e) {
		snprintf(why, whylen, "BPF load: %s%s%s", strerror(-e), fp_lastmsg[0] ? ": " : "",
			 fp_lastmsg);
		goto fail;
	}
	fp->decap_flags = fp_probe_decap_flags(bpf_program__fd(fp->skel->progs.ufou_probe));
	if (fp->decap_flags)
		cfg.flags |= FP_CFG_DECAP_FLAGS;
	if (bpf_map_update_elem(bpf_map__fd(fp->skel->maps.fp_cfgm), &zero, &cfg, BPF_ANY)) {
		snprintf(why, whylen, "BPF map: %s", strerror(errno));
		goto fail;
	}
	fp->nl = nl_open();
	if (fp->nl < 0) {
		snprintf(why, whylen, "netlink: %s", strerror(-fp->nl));
		goto fail;
	}
	/* Probe the TC hook on loopback: no cls_bpf / clsact shows here. */
	e = tc_attach(1, BPF_TC_INGRESS, bpf_program__fd(fp->skel->progs.ufou_decap));
	if (e) {
		snprintf(why, whylen, "TC attach: %s", strerror(-e));
		goto fail;
	}
	tc_detach(1, BPF_TC_INGRESS);
	/*
	 * Filters a previous ufoud left (kill -9, -k) keep carrying traffic
	 * with their programs and maps until fp_start(): the links are restored
	 * into our maps first, then every hook is replaced in one step each.
	 */
	addrs_sync(fp);
	dp_debug("fast path loaded%s", cfg.flags & FP_CFG_DECAP_FLAGS ? "" :
		 " (no decapsulation flags: family changes take the TUN path)");
	return fp;
fail:
	fp_close(fp);
	return NULL;
}

void fp_start(struct fp *fp)
{
	struct if_nameindex *ifs, *i;

	if (!fp)
		return;
	devs_sync(fp);
	ifs = if_nameindex();
	for (i = ifs; i && i->if_index; i++) {
		int idx = (int)i->if_index;
		bool dev = false;

		for (int k = 0; k < fp->ndevs; k++)
			dev |= fp->devs[k] == idx;
		if (!dev)
			tc_detach(idx, BPF_TC_INGRESS);
		if (!fp_is_tunnel(fp, idx))
			tc_detach(idx, BPF_TC_EGRESS);
	}
	if (ifs)
		if_freenameindex(ifs);
}

void fp_leave(struct fp *fp)
{
	if (!fp)
		return;
	if (fp->nl >= 0)
		close(fp->nl);
	ufou_bpf__destroy(fp->skel);
	free(fp);
}

void fp_close(struct fp *fp)
{
	if (!fp)
		return;
	for (int i = 0; i < fp->ndevs; i++)
		tc_detach(fp->devs[i], BPF_TC_INGRESS);
	for (int i = 0; i < FP_MAX_LINKS; i++)
		if (fp->links[i].used)
			tc_detach(fp->links[i].ifindex, BPF_TC_EGRESS);
	if (fp->nl >= 0)
		close(fp->nl);
	if (fp->q >= 0)
		close(fp->q);
	ufou_bpf__destroy(fp->skel);
	free(fp);
}
