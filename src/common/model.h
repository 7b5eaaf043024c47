/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one configuration model. The CLI grammar, the config file (lines of
 * CLI commands), the control socket and `show` all produce or consume these
 * structs. HAS_* bits keep "field given" apart from "field value", so
 * `link set` can be read-modify-write.
 */
#ifndef UFOU_COMMON_MODEL_H
#define UFOU_COMMON_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/drop.h"
#include "proto/encap.h"

#define UF_IFNAMSIZ 16

struct uf_addr {
	uint8_t family;        /* 0 = unset / any, 4, 6 */
	uint8_t a[16];
};

/* ---- FOU/GUE receive ports: ip fou add port P {ipproto N | gue} ... */

enum {
	UF_PORT_HAS_PORT      = 1u << 0,
	UF_PORT_HAS_IPPROTO   = 1u << 1,
	UF_PORT_HAS_GUE       = 1u << 2,
	UF_PORT_HAS_LOCAL     = 1u << 3,
	UF_PORT_HAS_PEER      = 1u << 4,
	UF_PORT_HAS_PEER_PORT = 1u << 5,
	UF_PORT_HAS_DEV       = 1u << 6,
	UF_PORT_HAS_FAMILY    = 1u << 7,
};

struct uf_port_conf {
	uint32_t has;
	uint16_t port;
	uint8_t family;        /* 4 (default) or 6 (-6) */
	bool gue;
	uint8_t ipproto;       /* 1..255 when !gue */
	struct uf_addr local, peer;
	uint16_t peer_port;
	char dev[UF_IFNAMSIZ];
	/* Bookkeeping, not a setting: the line of ufoud's -c file that added
	 * it, 0 when added at runtime (a reload leaves those alone). */
	unsigned int file_line;
};

/* Identity of a port, as the kernel's fou_cfg_cmp: family, port, local,
 * peer, peer_port, dev. Returns true when a and b name the same port. */
bool uf_port_same(const struct uf_port_conf *a, const struct uf_port_conf *b);

/* ---- tunnel links: ip link add name N type T ... encap fou|gue ... */

enum uf_link_type {
	UF_LINK_IPIP, UF_LINK_SIT, UF_LINK_GRE, UF_LINK_GRETAP,
	UF_LINK_IP6TNL, UF_LINK_IP6GRE, UF_LINK_IP6GRETAP,
	UF_LINK__COUNT
};

/* mode: ipip/sit/ip6tnl inner protocols accepted (and sent). */
enum uf_link_mode {
	UF_MODE_DEFAULT,   /* per type: ipip=ipip, sit=ip6ip, ip6tnl=ip6ip6... */
	UF_MODE_IPIP,      /* IPv4 in IPv4 (ipip, sit) */
	UF_MODE_IP6IP,     /* IPv6 in IPv4 (sit) */
	UF_MODE_IPIP6,     /* IPv4 in IPv6 (ip6tnl) */
	UF_MODE_IP6IP6,    /* IPv6 in IPv6 (ip6tnl) */
	UF_MODE_ANY,
};

enum {
	UF_LINK_HAS_NAME       = 1ull << 0,
	UF_LINK_HAS_TYPE       = 1ull << 1,
	UF_LINK_HAS_REMOTE     = 1ull << 2,
	UF_LINK_HAS_LOCAL      = 1ull << 3,
	UF_LINK_HAS_TTL        = 1ull << 4,
	UF_LINK_HAS_TOS        = 1ull << 5,
	UF_LINK_HAS_PMTUDISC   = 1ull << 6,
	UF_LINK_HAS_MODE       = 1ull << 7,
	UF_LINK_HAS_ENCAPLIMIT = 1ull << 8,
	UF_LINK_HAS_HOPLIMIT   = 1ull << 9,
	UF_LINK_HAS_IKEY       = 1ull << 10,
	UF_LINK_HAS_OKEY       = 1ull << 11,
	UF_LINK_HAS_ICSUM      = 1ull << 12,
	UF_LINK_HAS_OCSUM      = 1ull << 13,
	UF_LINK_HAS_ISEQ       = 1ull << 14,
	UF_LINK_HAS_OSEQ       = 1ull << 15,
	UF_LINK_HAS_DEV        = 1ull << 16,
	UF_LINK_HAS_MTU        = 1ull << 17,
	UF_LINK_HAS_ENCAP      = 1ull << 18,
	UF_LINK_HAS_SPORT      = 1ull << 19,
	UF_LINK_HAS_DPORT      = 1ull << 20,
	UF_LINK_HAS_ENCAP_CSUM = 1ull << 21,
	UF_LINK_HAS_ENCAP_CSUM6 = 1ull << 22,
	UF_LINK_HAS_REMCSUM    = 1ull << 23,
	UF_LINK_HAS_TCLASS     = 1ull << 24,
	UF_LINK_HAS_FLOWLABEL  = 1ull << 25,
	/* up / down: a request to the device, not a setting kept; the kernel
	 * owns the state and `show` reads it from there. */
	UF_LINK_HAS_UP         = 1ull << 26,
};

struct uf_link_conf {
	uint64_t has;
	char name[UF_IFNAMSIZ];
	enum uf_link_type type;
	struct uf_addr remote;     /* family 0 with HAS_REMOTE = "any" */
	struct uf_addr local;      /* family 0 = any */
	uint8_t ttl;               /* 0 = inherit (IPv4 outer) */
	uint8_t tos;               /* fixed DS field, IPv4 outer */
	bool tos_inherit;
	bool pmtudisc;             /* default true */
	enum uf_link_mode mode;
	int16_t encaplimit;        /* IPv6 outer: default 4, -1 = none */
	uint8_t hoplimit;          /* IPv6 outer: default 64 */
	uint8_t tclass;            /* IPv6 outer fixed traffic class */
	bool tclass_inherit;
	uint32_t flowlabel;        /* IPv6 outer fixed label; 0 = per flow */
	bool flowlabel_inherit;
	uint32_t ikey, okey;       /* GRE keys (valid with HAS_IKEY/HAS_OKEY) */
	bool icsum, ocsum, iseq, oseq;
	char dev[UF_IFNAMSIZ];     /* underlay device */
	uint32_t mtu;              /* 0 = computed as Linux does */
	enum uf_encap_type encap;  /* FOU or GUE (NONE: plain ipip etc. not supported) */
	uint16_t sport;            /* 0 = auto */
	uint16_t dport;
	bool encap_csum;           /* IPv4 outer UDP checksum */
	bool encap_csum6;          /* IPv6 outer UDP checksum (encap-udp6-csum) */
	bool encap_remcsum;
	unsigned int file_line;    /* as uf_port_conf's: 0 = added at runtime */
	bool up;                   /* with HAS_UP: up (true) or down */
};

/* What the kernel says of a link's device now (`show` prints it). */
struct uf_link_dev {
	bool known;                /* false: no device to ask (no data plane) */
	unsigned int mtu;
	unsigned int flags;        /* IFF_* (SIOCGIFFLAGS) */
	unsigned int pmtu;         /* a router's report of the outer path's MTU, 0 none */
	unsigned int pmtu_expires; /* its seconds left */
};

/* Name of a type ("ipip", "ip6gretap"...), and the reverse (-1 unknown). */
const char *uf_link_type_name(enum uf_link_type t);
int uf_link_type_parse(const char *s);
/* Outer family of a type: 4 or 6. */
int uf_link_type_family(enum uf_link_type t);
bool uf_link_type_is_gre(enum uf_link_type t);
bool uf_link_type_is_tap(enum uf_link_type t);

/* Fills the Linux defaults for fields the conf does not have. */
void uf_link_conf_defaults(struct uf_link_conf *c);
/* Builds the transmit parameters the protocol library needs. */
void uf_link_conf_to_tx(const struct uf_link_conf *c, struct uf_tx *tx);

/* ---- counters */

enum uf_tx_drop {
	UF_TXD_TOO_BIG,      /* DF and over MTU: ICMP frag-needed / PTB sent back */
	UF_TXD_BAD_INNER,    /* not a packet this link carries */
	UF_TXD_NO_HEADROOM,
	UF_TXD_SEND_ERROR,   /* sendmsg failed */
	UF_TXD_NO_ROUTE,
	UF_TXD__COUNT
};
const char *uf_tx_drop_name(enum uf_tx_drop d);

/* Why the eBPF fast path handed a packet to the TUN path (which then counts it). */
enum uf_fp_pass {
	UF_FPP_CONFIG,       /* link or port settings the fast path leaves to the TUN path */
	UF_FPP_MTU,          /* over the path MTU: ICMP back or fragments */
	UF_FPP_ROUTE,        /* no usable route to the remote */
	UF_FPP_INNER,        /* an inner packet the link does not carry */
	UF_FPP_HEADER,       /* outer headers or checksums beyond the fast path */
	UF_FPP_ECN,          /* RFC 6040 decapsulation changes or drops it */
	UF_FPP_BATCH,        /* several datagrams in one buffer (UDP GSO senders) */
	UF_FPP__COUNT
};
const char *uf_fp_pass_name(enum uf_fp_pass p);

/* The fast path's share of a link's totals (already counted in them). */
struct uf_fp_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t tx_error;                  /* lost after the headers were changed */
	uint64_t tx_pass[UF_FPP__COUNT], rx_pass[UF_FPP__COUNT];
};

struct uf_link_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_drops[UF_DROP__COUNT];
	uint64_t tx_drops[UF_TXD__COUNT];
	uint64_t icmp_sent;          /* frag-needed / packet-too-big generated */
	uint64_t tx_fragmented;      /* outer packets sent in fragments (IPv4 no DF, IPv6 <= 1280) */
	uint64_t tx_gso;             /* outer packets the kernel segmented (UDP GSO) */
	uint64_t rx_csum_completed;  /* inner checksums a kernel sender left partial */
	uint64_t pmtu_reports;       /* routers' MTU reports taken (lowered or refreshed) */
	struct uf_fp_stats fast;
};

struct uf_port_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t drops[UF_DROP__COUNT];  /* header errors, no tunnel matched... */
	uint64_t fast_rx_packets, fast_rx_bytes;   /* the fast path's share */
	uint64_t pass[UF_FPP__COUNT];              /* handed on to the socket */
};

#endif
