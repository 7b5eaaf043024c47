/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive: decode every layer of a FOU/GUE packet, with the reason Linux
 * would drop it. Two entry points: from the UDP payload (what ufoud's UDP
 * socket hands over) and from the outer IP header (captures, `ufou decode`).
 */
#ifndef UFOU_PROTO_DECAP_H
#define UFOU_PROTO_DECAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"
#include "encap.h"
#include "gre.h"
#include "gue.h"
#include "ip.h"
#include "udp.h"

/* How a receive port interprets its datagrams (ip fou add port P ipproto N | gue). */
struct uf_port_kind {
	uint16_t port;
	uint8_t family;    /* 4, 6; 0 = either (decoder hints) */
	bool gue;
	uint8_t ipproto;   /* FOU: protocol of the payload */
};

struct uf_l4info {        /* inner transport summary, for display and flows */
	uint8_t proto;
	bool has_ports;
	uint16_t sport, dport;
	bool has_icmp;
	uint8_t icmp_type, icmp_code;
	uint16_t csum;
	bool csum_known;
	enum uf_csum_state csum_state;
};

struct uf_pkt {
	/* Outer layers: from uf_decode_ip(), or the caller's socket (or unset). */
	bool has_outer, has_udp;
	struct uf_ip outer;
	struct uf_udp udp;
	/* From here on, reset by uf_decap_payload() (see UF_PKT_PAYLOAD_OFF). */
	bool has_gue, has_gre, has_eth, has_inner, has_l4;
	enum uf_encap_type encap;   /* FOU or GUE (NONE when not a tunnel port) */
	struct uf_gue gue;
	uint8_t ipproto;            /* protocol after the UDP encapsulation: 4, 41, 47, ... */
	struct uf_gre gre;
	uint8_t eth_dst[6], eth_src[6];
	uint16_t eth_type;
	struct uf_ip inner;
	struct uf_l4info l4;
	size_t udp_payload_off;     /* offsets into the buffer given */
	size_t l4_off;              /* inner transport header (when has_l4) */
	size_t tun_off;             /* first byte handed to the tunnel device (L3, or L2 for gretap) */
	size_t tun_len;
	enum uf_drop drop;
};

/* Where the part of struct uf_pkt that uf_decap_payload() fills begins. */
#define UF_PKT_PAYLOAD_OFF offsetof(struct uf_pkt, has_gue)

/*
 * Decodes a UDP payload p[0..len) received on a port of the given kind:
 * GUE header (or none for FOU), then GRE when the protocol is 47, then the
 * inner packet. A GUE remote checksum option is applied in place (p is
 * modified). Fills pkt (has_outer/has_udp untouched) and returns pkt->drop.
 */
enum uf_drop uf_decap_payload(uint8_t *p, size_t len, const struct uf_port_kind *port,
			      struct uf_pkt *pkt);

/*
 * Verifies the inner transport checksum of a packet uf_decap_payload()
 * decoded from p (the same buffer): fills pkt->l4.csum_known and
 * csum_state. uf_decap_payload() leaves them unset (the data path hands
 * the check to the receiving stack); uf_decode_ip() calls this.
 */
void uf_pkt_verify_l4(const uint8_t *p, struct uf_pkt *pkt);

/*
 * Decodes a whole IP packet (outer IP, UDP, then as uf_decap_payload when
 * the UDP destination port is one of ports[0..nports)). Not a tunnel port:
 * UF_DROP_NO_PORT. Modifies p like uf_decap_payload.
 */
enum uf_drop uf_decode_ip(uint8_t *p, size_t len, const struct uf_port_kind *ports,
			  size_t nports, struct uf_pkt *pkt);

#endif
