/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every reason a received packet is dropped, so each drop can be counted
 * by name. UF_DROP_NONE (0) means "deliver". Names are stable: they appear
 * in `ufou -s` output, JSON and `ufou decode`.
 */
#ifndef UFOU_PROTO_DROP_H
#define UFOU_PROTO_DROP_H

#define UF_DROP_REASONS(X)                                                    \
	X(NONE, "none")                                                       \
	X(OUTER_TRUNCATED, "outer-truncated")     /* outer IP header cut */  \
	X(OUTER_BAD_VERSION, "outer-bad-version")                            \
	X(OUTER_BAD_HDRLEN, "outer-bad-hdrlen")                              \
	X(OUTER_BAD_LEN, "outer-bad-length")      /* total len vs bytes */   \
	X(OUTER_BAD_CSUM, "outer-bad-ip-csum")                               \
	X(OUTER_FRAGMENT, "outer-fragment")       /* not reassembled */      \
	X(OUTER_BAD_EXTHDR, "outer-bad-exthdr")                              \
	X(NOT_UDP, "not-udp")                                                \
	X(UDP_TRUNCATED, "udp-truncated")                                    \
	X(UDP_BAD_LEN, "udp-bad-length")                                     \
	X(UDP_BAD_CSUM, "udp-bad-csum")                                      \
	X(UDP_ZERO_CSUM6, "udp-zero-csum6")       /* only if refused */      \
	X(NO_PORT, "no-port")                     /* no fou/gue port */      \
	X(PORT_FILTER, "port-filter")             /* local/peer mismatch */  \
	X(GUE_TRUNCATED, "gue-truncated")         /* < 4 bytes, incl. empty */ \
	X(GUE_BAD_VERSION, "gue-bad-version")     /* ver 2/3 */              \
	X(GUE_V1_BAD_IP, "gue-v1-bad-ip")         /* v1, IP version not 4/6 */ \
	X(GUE_BAD_HLEN, "gue-bad-hlen")           /* hlen beyond packet */   \
	X(GUE_BAD_FLAGS, "gue-bad-flags")         /* unknown/oversized flags */ \
	X(GUE_BAD_REMCSUM, "gue-bad-remcsum")     /* start/offset beyond */  \
	X(GUE_CONTROL, "gue-control")             /* C bit: not supported */ \
	X(GUE_BAD_PROTO, "gue-bad-proto")         /* proto 0 */              \
	X(GRE_TRUNCATED, "gre-truncated")                                    \
	X(GRE_BAD_VERSION, "gre-bad-version")     /* version/routing bits */ \
	X(GRE_BAD_CSUM, "gre-bad-csum")                                      \
	X(GRE_CSUM_MISMATCH, "gre-csum-flag-mismatch")                       \
	X(GRE_SEQ, "gre-seq")                     /* missing or old seq */   \
	X(GRE_BAD_PROTO, "gre-bad-proto")                                    \
	X(INNER_TRUNCATED, "inner-truncated")                                \
	X(INNER_BAD_VERSION, "inner-bad-version")                            \
	X(INNER_BAD_LEN, "inner-bad-length")                                 \
	X(ECN_CE_NOT_ECT, "ecn-ce-on-not-ect")    /* RFC 6040 must drop */   \
	X(NO_TUNNEL, "no-tunnel")                 /* nothing matched */      \
	X(TUNNEL_MODE, "tunnel-mode")             /* proto not in mode */    \
	X(TUNNEL_DOWN, "tunnel-down")                                        \
	X(NO_BUFFER, "no-buffer")                                            \
	X(TUN_WRITE, "tun-write-error")

enum uf_drop {
#define UF_DROP_ENUM(sym, str) UF_DROP_##sym,
	UF_DROP_REASONS(UF_DROP_ENUM)
#undef UF_DROP_ENUM
	UF_DROP__COUNT
};

/* Stable name of a reason ("gue-control"); "unknown" when out of range. */
const char *uf_drop_name(enum uf_drop reason);

#endif
