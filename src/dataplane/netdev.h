/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network devices and sockets for the data plane: TUN/TAP creation, MTU
 * and flags by ioctl, addresses by getifaddrs, UDP receive sockets for
 * fou ports and raw IPv4/IPv6 sockets (header included) for transmit.
 */
#ifndef UFOU_DATAPLANE_NETDEV_H
#define UFOU_DATAPLANE_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/model.h"

/*
 * Creates TUN (IFF_TUN|IFF_NO_PI) or TAP device name with IFF_VNET_HDR and
 * nqueues queues (IFF_MULTI_QUEUE when more than one): non-blocking fds in
 * fds[]. *offload gets the TUN_F_* set every queue accepted. The device is
 * persistent (TUNSETPERSIST): it stays when the fds close. With adopt, an
 * existing TUN (TAP) device of that name is attached to instead (*adopted
 * then true: its ifindex, MTU, addresses and routes are kept); a device of
 * another kind is refused. Returns the number of queues opened (fewer when
 * the kernel refuses more) or -errno.
 */
int dp_tun_open(const char *name, bool tap, int nqueues, bool adopt, bool *adopted, int *fds,
		unsigned int *offload, char *err, size_t errlen);
/* The device goes away with its last fd (a link deleted, ufoud stopped without -k). */
void dp_tun_unpersist(int fd);

int dp_if_get_mtu(const char *name, unsigned int *mtu);
int dp_if_set_mtu(const char *name, unsigned int mtu);
int dp_if_up(const char *name);
/* Sets or clears IFF_UP, as ip link set dev NAME up|down. */
int dp_if_set_up(const char *name, bool up);
/* IFF_* flags of a device (SIOCGIFFLAGS). */
int dp_if_get_flags(const char *name, unsigned int *flags);
/* The name of the device a TUN queue fd belongs to now (TUNGETIFF). */
int dp_tun_name(int fd, char *name, size_t len);
/* SIOCSIFNAME: the kernel refuses (EBUSY) while the device is up. */
int dp_if_rename(const char *name, const char *newname);
/* Stops the kernel giving the device an IPv6 link-local address. */
void dp_if_no_ipv6_ll(const char *name);

/* Name of the device holding address a; 0 or -ENOENT. */
int dp_addr_ifname(const struct uf_addr *a, char name[UF_IFNAMSIZ]);
/* Source address the routing table picks toward dst (optionally via dev). */
int dp_route_src(int family, const uint8_t dst[16], const char *dev, uint8_t src[16]);

/* UDP socket for a fou/gue port: bound, connected to the peer, options set. */
int dp_udp_open(const struct uf_port_conf *c, bool reuseport, char *err, size_t errlen);
/*
 * A send-only UDP socket (family 4 or 6) for UDP GSO of one flow: bound to
 * src:sport (FREEBIND), connected to dst:dport, never fragmenting locally
 * (PMTUDISC_PROBE: DF on IPv4), IPv6 flow label taken from each sendmsg,
 * receiving nothing. -errno (-EADDRINUSE when the port is taken).
 */
int dp_gso_sock_open(int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		     uint16_t dport, const char *dev);
/* Raw header-included socket of family 4 or 6, bound to dev when non-empty. */
int dp_raw_open(int family, const char *dev, char *err, size_t errlen);

#endif
