// SPDX-License-Identifier: GPL-2.0
/* TUN/TAP devices, interface ioctls and the data plane's sockets. */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/dplog.h"
#include "dataplane/netdev.h"

#ifndef UDP_NO_CHECK6_RX
#define UDP_NO_CHECK6_RX 102
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

#define DP_SOCK_BUF (8 << 20)

/*
 * Offloads, most first: the stack hands over 64 KB TCP (and, where the
 * kernel knows USO, UDP) super-packets and partial checksums, and takes
 * them back. Kernels without USO refuse the whole set with EINVAL.
 */
static unsigned int tun_offload(int fd)
{
	static const unsigned int sets[] = {
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
		TUN_F_CSUM,
	};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)sets[i]) == 0)
			return sets[i];
	return 0;
}

static int tun_fail(int fd, const char *name, const char *what, char *err, size_t errlen)
{
	int e = errno;

	snprintf(err, errlen, "%s: %s: %s", name, what, strerror(e));
	close(fd);
	return -e;
}

static int tun_queue(const char *name, bool tap, bool multi, unsigned int *offload, char *err,
		     size_t errlen)
{
	struct ifreq ifr;
	int fd, le = 1;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		/* ufoud -u USER: the device node's mode decides, not a capability. */
		snprintf(err, errlen, "/dev/net/tun: %s%s", strerror(e),
			 e == EACCES && geteuid() ? " (ufoud -u needs it readable and writable by "
						    "its user: mode 0666, as udev sets it)" : "");
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | IFF_VNET_HDR |
				(multi ? IFF_MULTI_QUEUE : 0));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return tun_fail(fd, name, "TUNSETIFF", err, errlen);
	/* virtio 1.0 byte order whatever the host's; the 10-byte header is the default size. */
	if (ioctl(fd, TUNSETVNETLE, &le) < 0 && errno != EINVAL)
		return tun_fail(fd, name, "TUNSETVNETLE", err, errlen);
	*offload = tun_offload(fd);
	return fd;
}

/*
 * A device of that name exists: whether it is a TUN (or TAP) device we may
 * attach to. /sys/class/net/NAME/tun_flags exists only for TUN/TAP devices
 * (IFF_TUN 1, IFF_TAP 2). Where sysfs is not this namespace's (no such
 * device directory), TUNSETIFF's own check (EINVAL) is the answer.
 */
static int tun_kind_check(const char *name, bool tap, char *err, size_t errlen)
{
	char path[96], buf[32] = "";
	unsigned long flags;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/sys/class/net/%s", name);
		if (access(path, F_OK) != 0)
			return 0;
		snprintf(err, errlen, "device %s exists and is not a %s device", name,
			 tap ? "TAP" : "TUN");
		return -EEXIST;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	flags = n > 0 ? strtoul(buf, NULL, 16) : 0;
	if (!!(flags & IFF_TAP) != tap) {
		snprintf(err, errlen, "device %s exists and is a %s device, not a %s one", name,
			 tap ? "TUN" : "TAP", tap ? "TAP" : "TUN");
		return -EEXIST;
	}
	return 0;
}

/* Said when a device of the name is in the way of a new link. */
static int tun_exists(const char *name, char *err, size_t errlen)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	if (access(path, F_OK) == 0)
		snprintf(err, errlen, "device %s already exists (a TUN device a stopped ufoud "
			 "left? ip link del %s)", name, name);
	else
		snprintf(err, errlen, "device %s already exists", name);
	return -EEXIST;
}

int dp_tun_open(const char *name, bool tap, int nqueues, bool adopt, bool *adopted, int *fds,
		unsigned int *offload, char *err, size_t errlen)
{
	bool multi = nqueues > 1;
	int e;

	*adopted = if_nametoindex(name) != 0;
	if (*adopted && !adopt)
		return tun_exists(name, err, errlen);
	if (*adopted) {
		e = tun_kind_check(name, tap, err, errlen);
		if (e)
			return e;
	}
	for (int i = 0; i < nqueues; i++) {
		unsigned int off = 0;

		fds[i] = tun_queue(name, tap, multi, &off, err, errlen);
		if (fds[i] < 0) {
			e = fds[i];
			/* No multi-queue support: carry on with the queues we have. */
			if (i > 0 && multi) {
				for (int j = i; j < nqueues; j++)
					fds[j] = -1;
				nqueues = i;
				break;
			}
			while (i-- > 0)
				close(fds[i]);
			return e;
		}
		if (i == 0 || off < *offload)
			*offload = off;
	}
	/* The device outlives us (kill -9, ufoud -k); dp_tun_unpersist before a real delete. */
	if (ioctl(fds[0], TUNSETPERSIST, 1L) < 0) {
		e = -errno;
		snprintf(err, errlen, "%s: TUNSETPERSIST: %s", name, strerror(-e));
		for (int i = 0; i < nqueues; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return e;
	}
	return nqueues;
}

void dp_tun_unpersist(int fd)
{
	if (fd >= 0 && ioctl(fd, TUNSETPERSIST, 0L) < 0)
		dp_log("TUNSETPERSIST 0: %s", strerror(errno));
}

/* An ioctl on a throwaway datagram socket, as ip(8)'s old paths do. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}

static void ifreq_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

int dp_if_get_mtu(const char *name, unsigned int *mtu)
{
	struct ifreq ifr;
	int err;

	ifreq_init(&ifr, name);
	err = if_ioctl(SIOCGIFMTU, &ifr);
	if (!err)
		*mtu = (unsigned int)ifr.ifr_mtu;
	return err;
}

int dp_if_set_mtu(const char *name, unsigned int mtu)
{
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	ifr.ifr_mtu = (int)mtu;
	return if_ioctl(SIOCSIFMTU, &ifr);
}

/*
 * A Linux ipip device gets no IPv6 link-local address (the kernel has no
 * interface identifier for ARPHRD_TUNNEL), so it never sends router
 * solicitations or MLD reports into an IPv4-only tunnel. A TUN device
 * would; turning address generation off keeps ours as quiet. Best effort:
 * without IPv6 in the kernel there is nothing to turn off.
 */
void dp_if_no_ipv6_ll(const char *name)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0)
		dp_warn("%s: addr_gen_mode: %s", name, strerror(errno));
	close(fd);
}

int dp_tun_name(int fd, char *name, size_t len)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	snprintf(name, len, "%.*s", (int)sizeof(ifr.ifr_name), ifr.ifr_name);
	return 0;
}

int dp_if_rename(const char *name, const char *newname)
{
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	snprintf(ifr.ifr_newname, sizeof(ifr.ifr_newname), "%s", newname);
	return if_ioctl(SIOCSIFNAME, &ifr);
}

int dp_if_set_up(const char *name, bool up)
{
	struct ifreq ifr;
	int err;

	ifreq_init(&ifr, name);
	err = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

int dp_if_up(const char *name)
{
	return dp_if_set_up(name, true);
}

int dp_if_get_flags(const char *name, unsigned int *flags)
{
	struct ifreq ifr;
	int err;

	ifreq_init(&ifr, name);
	err = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (!err)
		*flags = (unsigned short)ifr.ifr_flags;
	return err;
}

static const uint8_t *sa_addr(const struct sockaddr *sa, int *family)
{
	if (sa && sa->sa_family == AF_INET) {
		*family = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	}
	if (sa && sa->sa_family == AF_INET6) {
		*family = 6;
		return (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	}
	*family = 0;
	return NULL;
}

int dp_addr_ifname(const struct uf_addr *a, char name[UF_IFNAMSIZ])
{
	struct ifaddrs *ifa0, *ifa;
	int ret = -ENOENT;

	if (getifaddrs(&ifa0) < 0)
		return -errno;
	for (ifa = ifa0; ifa; ifa = ifa->ifa_next) {
		int fam;
		const uint8_t *p = sa_addr(ifa->ifa_addr, &fam);

		if (p && fam == a->family && memcmp(p, a->a, fam == 6 ? 16 : 4) == 0) {
			snprintf(name, UF_IFNAMSIZ, "%s", ifa->ifa_name);
			ret = 0;
			break;
		}
	}
	freeifaddrs(ifa0);
	return ret;
}

/* scope: the IPv6 interface index for a link-local address (0: none). */
static socklen_t sa_fill(struct sockaddr_storage *ss, int family, const uint8_t *a, uint16_t port,
			 unsigned int scope)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_scope_id = scope;
		if (a)
			memcpy(&s6->sin6_addr, a, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (a)
		memcpy(&s4->sin_addr, a, 4);
	return sizeof(*s4);
}

static int bind_dev(int fd, const char *dev)
{
	if (!dev || !dev[0])
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0)
		return -errno;
	return 0;
}

int dp_route_src(int family, const uint8_t dst[16], const char *dev, uint8_t src[16])
{
	struct sockaddr_storage ss;
	socklen_t sl = sa_fill(&ss, family, dst, 9, 0);
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0, fam;
	const uint8_t *p;

	if (fd < 0)
		return -errno;
	if (bind_dev(fd, dev) < 0 || connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		ret = -errno;
		goto out;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		ret = -errno;
		goto out;
	}
	p = sa_addr((struct sockaddr *)&ss, &fam);
	if (!p || fam != family) {
		ret = -EAFNOSUPPORT;
		goto out;
	}
	memcpy(src, p, family == 6 ? 16 : 4);
out:
	close(fd);
	return ret;
}

static void sock_bufs(int fd, int opt, int force)
{
	int v = DP_SOCK_BUF;

	/* As root, *BUFFORCE passes net.core.[rw]mem_max; else take what we get. */
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static int udp_opts(int fd, int family)
{
	int one = 1;

	if (family == 6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
		    /* fou6 sockets accept zero UDP checksums (udp_set_no_check6_rx). */
		    setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_RX, &one, sizeof(one)) < 0)
			return -errno;
	} else {
		if (setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			return -errno;
	}
	/* Batches of one flow's datagrams per receive (UDP_GRO cmsg); optional. */
	setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
	sock_bufs(fd, SO_RCVBUF, SO_RCVBUFFORCE);
	return 0;
}

static int udp_fail(int fd, const char *what, uint16_t port, int e, char *err, size_t errlen)
{
	/* ufoud keeps no CAP_NET_BIND_SERVICE after set-up (daemon/priv.h). */
	const char *hint = e == EACCES && port < 1024 ?
		" (ports below 1024 need CAP_NET_BIND_SERVICE, which ufoud gives up after "
		"start: add them with ufoud -c)" : "";

	snprintf(err, errlen, "port %u: %s%s%s%s", port, what, *what ? ": " : "", strerror(e), hint);
	if (fd >= 0)
		close(fd);
	return -e;
}

int dp_udp_open(const struct uf_port_conf *c, bool reuseport, char *err, size_t errlen)
{
	int family = c->family == 6 ? 6 : 4;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, e;

	fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return udp_fail(-1, "socket", c->port, errno, err, errlen);
	e = udp_opts(fd, family);
	if (e)
		return udp_fail(fd, "setsockopt", c->port, -e, err, errlen);
	e = bind_dev(fd, (c->has & UF_PORT_HAS_DEV) ? c->dev : NULL);
	if (e)
		return udp_fail(fd, c->dev, c->port, -e, err, errlen);
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) < 0)
		return udp_fail(fd, "SO_REUSEPORT", c->port, errno, err, errlen);
	sl = sa_fill(&ss, family, c->local.family == family ? c->local.a : NULL, c->port, 0);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		return udp_fail(fd, "", c->port, errno, err, errlen);
	if (c->peer.family == family) {
		sl = sa_fill(&ss, family, c->peer.a, c->peer_port, 0);
		if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
			return udp_fail(fd, "connect", c->port, errno, err, errlen);
	}
	return fd;
}

int dp_raw_open(int family, const char *dev, char *err, size_t errlen)
{
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	int e;

	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "raw IPv%d socket: %s", family, strerror(e));
		return -e;
	}
	e = bind_dev(fd, dev);
	if (e) {
		snprintf(err, errlen, "dev %s: %s", dev, strerror(-e));
		close(fd);
		return e;
	}
	sock_bufs(fd, SO_SNDBUF, SO_SNDBUFFORCE);
	return fd;
}

/* Classic BPF "ret 0": the socket accepts no datagram at all. */
static int drop_all(int fd)
{
	static struct sock_filter insn[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = insn };
	int small = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

/* From linux/in6.h, which clashes with netinet/in.h. */
#ifndef IPV6_FLOWINFO_SEND
#define IPV6_FLOWINFO_SEND 33
#endif
#ifndef IPV6_AUTOFLOWLABEL
#define IPV6_AUTOFLOWLABEL 70
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

/* Per-family options of a flow socket: DF / no local fragmentation, foreign source. */
static int gso_sock_opts(int fd, int family)
{
	int one = 1, zero = 0, probe4 = IP_PMTUDISC_PROBE, probe6 = IPV6_PMTUDISC_PROBE;

	/* DF on every datagram but no PMTU refusals, as the raw path; the tunnel does PMTU. */
	if (family == 4)
		return setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe4, sizeof(probe4)) < 0 ||
			       setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ?
			       -errno : 0;
	/*
	 * The flow label is ours, per sendmsg (sin6_flowinfo): the kernel must
	 * neither refuse it (FLOWINFO_SEND) nor replace a zero one (AUTOFLOWLABEL).
	 */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe6, sizeof(probe6)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero)) < 0)
		return -errno;
	return 0;
}

int dp_gso_sock_open(int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		     uint16_t dport, const char *dev)
{
	struct sockaddr_storage ss;
	unsigned int scope = dev && *dev ? if_nametoindex(dev) : 0;
	socklen_t sl;
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0), e;

	if (fd < 0)
		return -errno;
	e = gso_sock_opts(fd, family);
	if (e)
		goto fail;
	e = bind_dev(fd, dev);
	if (e || drop_all(fd) < 0)
		goto fail;
	sock_bufs(fd, SO_SNDBUF, SO_SNDBUFFORCE);
	sl = sa_fill(&ss, family, src, sport, scope);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sa_fill(&ss, family, dst, dport, scope);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	return fd;
fail:
	e = -errno;
	close(fd);
	return e ? e : -EINVAL;
}
