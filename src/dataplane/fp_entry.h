/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fast path's map entries from the configuration model (fp_entry.c):
 * what fp.c writes into the BPF maps, and what tests/fuzz/fuzz_bpf.c
 * feeds the programs.
 */
#ifndef UFOU_DATAPLANE_FP_ENTRY_H
#define UFOU_DATAPLANE_FP_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/model.h"
#include "dataplane/fp_abi.h"

/* A link address that is unset or all zeros ("any"). */
bool fp_addr_any(const struct uf_addr *a);

/* FP_TX_INNER4 / FP_TX_INNER6: the inner families a link carries (its mode). */
uint32_t fp_inner_flags(const struct uf_link_conf *c);

/*
 * The receive-table entry of a link (defaults filled) whose tunnel device
 * is ifindex and counters slot; rx_fast false marks it for the TUN path
 * while it still claims its addresses.
 */
void fp_rx_entry(const struct uf_link_conf *c, int ifindex, int slot, bool rx_fast,
		 struct fp_rx_key *k, struct fp_rx *v);

/* The port-table entry of a port (its local/peer/peer_port/dev filters). */
void fp_port_entry(const struct uf_port_conf *c, int slot, struct fp_port_key *k,
		   struct fp_port *v);

#endif
