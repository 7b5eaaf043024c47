/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The eBPF fast path's maps, as both sides see them: the TC programs in
 * bpf/ufou.bpf.c read them, fp.c (the control side) writes them. Only
 * fixed-size types, so the layout is the same for clang -target bpf and
 * the host compiler. Addresses and ports are kept in network byte order,
 * as the programs compare them with packet bytes.
 */
#ifndef UFOU_DATAPLANE_FP_ABI_H
#define UFOU_DATAPLANE_FP_ABI_H

#include <linux/types.h>

#define FP_MAX_LINKS 1024
#define FP_MAX_PORTS 256
#define FP_MAX_ADDRS 4096

/* TC filter identity: ours on every device, whatever else is attached. */
#define FP_TC_PRIO 0xf0f
#define FP_TC_HANDLE 0xf0f

/* ---- transmit: TC egress of a tunnel device, keyed by its ifindex */

enum {
	FP_TX_V6         = 1u << 0,  /* outer IPv6 */
	FP_TX_TOS_INHERIT = 1u << 1, /* DS field from the inner packet */
	FP_TX_DF         = 1u << 2,  /* IPv4 outer: DF always (pmtudisc) */
	FP_TX_GUE        = 1u << 3,
	FP_TX_GRE        = 1u << 4,
	FP_TX_GRE_KEY    = 1u << 5,
	FP_TX_FL_INHERIT = 1u << 6,  /* IPv6 flow label from the inner IPv6 */
	FP_TX_INNER4     = 1u << 7,  /* inner IPv4 carried (the link's mode) */
	FP_TX_INNER6     = 1u << 8,
	FP_TX_ENCAPLIM   = 1u << 9,  /* IPv6 destination option: encap limit */
	FP_TX_SLOW       = 1u << 10, /* everything to the TUN path */
	FP_TX_NEIGH      = 1u << 11, /* the next hop's neighbour entry is valid */
};

struct fp_tx {
	__u32 flags;
	__u32 slot;            /* counters: index into fp_lstats */
	__u32 oif;             /* underlay device the route to dst leaves by; 0: none */
	__u32 mtu;             /* of that route (device or route metric) */
	__u32 nh_family;       /* AF_INET / AF_INET6: the next hop below */
	__u8 nh[16];           /* gateway, or dst itself when on link */
	__u32 okey;            /* GRE key, network order */
	__u32 flowlabel;       /* fixed IPv6 label, host order; 0 = per flow */
	__u32 ip_id;           /* next outer IPv4 ID (atomically advanced) */
	__u8 src[16], dst[16];
	__be16 sport;          /* 0: per-flow in [cfg.sport_min, sport_max) */
	__be16 dport;
	__u8 ttl;              /* 0: inherit */
	__u8 tos;
	__u8 encap_limit;
	__u8 pad;
};

/* ---- receive: TC ingress of the underlay devices */

enum {
	FP_PORT_GUE       = 1u << 0,
	FP_PORT_LOCAL     = 1u << 1,
	FP_PORT_PEER      = 1u << 2,
	FP_PORT_PEER_PORT = 1u << 3,
	FP_PORT_DEV       = 1u << 4,
	FP_PORT_SLOW      = 1u << 5,  /* ambiguous (two ports share it): slow path */
};

struct fp_port_key {
	__be16 port;
	__u8 family;           /* 4 or 6 */
	__u8 pad;
};

struct fp_port {
	__u32 flags;
	__u32 slot;            /* counters: index into fp_pstats */
	__u32 ifindex;         /* with FP_PORT_DEV */
	__u8 ipproto;          /* FOU */
	__u8 pad;
	__be16 peer_port;
	__u8 local[16], peer[16];
};

/* The kernel's tunnel tables, which the receive lookup searches. */
enum fp_class { FP_CL_IPIP, FP_CL_SIT, FP_CL_IP6TNL, FP_CL_GRE, FP_CL_GRETAP, FP_CL_IP6GRE,
		FP_CL_IP6GRETAP };

/* kmode: how the GRE key takes part (ip_tunnel_key_match and the wildcard stage). */
enum { FP_K_NONE = 0, FP_K_KEY = 1, FP_K_WILD = 2 };

struct fp_rx_key {
	__u8 family;
	__u8 cls;
	__u8 kmode;
	__u8 pad;
	__u32 key;             /* network order; 0 unless FP_K_KEY / GRE wildcard */
	__u8 remote[16];       /* zero: any */
	__u8 local[16];
};

enum {
	FP_RX_INNER4 = 1u << 0,   /* the link's mode carries IPv4 */
	FP_RX_INNER6 = 1u << 1,
	FP_RX_SLOW   = 1u << 2,   /* GRE csum/seq expected, tap, ...: slow path */
};

struct fp_rx {
	__u32 ifindex;            /* tunnel device */
	__u32 slot;
	__u32 flags;
};

/* Local addresses of the namespace: a packet for anything else is not ours. */
struct fp_addr_key {
	__u8 family;
	__u8 pad[3];
	__u8 a[16];
};

/* ---- settings of the whole namespace */

enum {
	FP_CFG_DECAP_FLAGS = 1u << 0,  /* kernel knows BPF_F_ADJ_ROOM_DECAP_L3_* (6.3+) */
};

struct fp_cfg {
	__u32 flags;
	__u16 sport_min, sport_max;    /* ip_local_port_range as [min, max) */
	__u32 seed;                    /* the inner flow hash's key (uf_tx.hash_seed) */
};

/* ---- counters, per CPU */

/* Why a packet left the fast path for the TUN / socket path (-s -s). */
enum fp_slow {
	FP_SLOW_CONFIG,       /* the link or port needs the slow path (csum, remcsum, ...) */
	FP_SLOW_MTU,          /* over the path MTU: ICMP or fragments */
	FP_SLOW_ROUTE,        /* no usable route / neighbour */
	FP_SLOW_INNER,        /* inner packet the link does not carry, or odd */
	FP_SLOW_HEADER,       /* outer headers beyond the fast path (options, fragments, csum) */
	FP_SLOW_ECN,          /* RFC 6040 decapsulation changes or drops it */
	FP_SLOW_BATCH,        /* several datagrams in one skb (UDP GSO) */
	FP_SLOW__COUNT
};

struct fp_lstats {
	__u64 rx_packets, rx_bytes, tx_packets, tx_bytes, tx_gso;
	__u64 tx_slow[FP_SLOW__COUNT], rx_slow[FP_SLOW__COUNT];
	__u64 tx_error;       /* lost after the headers were changed */
};

struct fp_pstats {
	__u64 rx_packets, rx_bytes;
	__u64 slow[FP_SLOW__COUNT];
};

#endif
