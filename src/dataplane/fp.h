/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The eBPF fast path, control side: loads the TC programs of
 * bpf/ufou.bpf.c, attaches them (egress of each tunnel device, ingress of
 * every Ethernet device of the namespace), and keeps their maps in step
 * with the links and ports the data plane has. The TUN path (the rest of
 * src/dataplane) stays in place under it: whatever the programs pass on
 * reaches the TUN queues and port sockets as before.
 *
 * Everything here runs on the daemon's control thread.
 */
#ifndef UFOU_DATAPLANE_FP_H
#define UFOU_DATAPLANE_FP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/model.h"
#include "proto/encap.h"

struct fp;

/*
 * Loads and attaches the programs for this network namespace. NULL when
 * the kernel or our privileges do not allow it, with the reason in why.
 * sport_min/max: ip_local_port_range, [min, max); seed: the inner flow
 * hash's key, the TUN path's (so both give a flow the same port).
 */
struct fp *fp_open(uint16_t sport_min, uint16_t sport_max, uint32_t seed, char *why,
		   size_t whylen);
/* Detaches every program and frees the maps: all traffic goes the TUN path. */
void fp_close(struct fp *fp);
/*
 * Lets go without detaching: the TC filters keep the programs and their
 * maps alive, and the traffic they carry flowing, for the next ufoud (-k).
 */
void fp_leave(struct fp *fp);
/*
 * After the links and ports are restored: the decapsulation on every
 * Ethernet device (replacing, in one step per hook, what a previous ufoud
 * left), and our filters removed where no link or device of ours is.
 */
void fp_start(struct fp *fp);

/* What a link can have on the fast path, by its configuration alone. */
bool fp_link_tx_ok(const struct uf_link_conf *c, const struct uf_tx *tx);
bool fp_link_rx_ok(const struct uf_link_conf *c);

/*
 * Adds (slot < 0) or updates a link whose tunnel device has ifindex; c has
 * the defaults filled. Returns the slot, or -errno with why filled.
 */
int fp_link_set(struct fp *fp, int slot, int ifindex, const struct uf_link_conf *c,
		const struct uf_tx *tx, char *why, size_t whylen);
void fp_link_del(struct fp *fp, int slot);
/* A router reported the path's MTU (0: the report expired): the entry's MTU follows. */
void fp_link_pmtu(struct fp *fp, int slot, uint32_t mtu);
/* "bpf", "tun", or "bpf-rx" / "bpf-tx" when only one direction is fast. */
const char *fp_link_path(const struct fp *fp, int slot);

int fp_port_set(struct fp *fp, int slot, const struct uf_port_conf *c, char *why,
		size_t whylen);
void fp_port_del(struct fp *fp, int slot);

/* Adds the fast path's counters (all CPUs) into st; its own fields too. */
void fp_link_stats(const struct fp *fp, int slot, struct uf_link_stats *st);
void fp_port_stats(const struct fp *fp, int slot, struct uf_port_stats *st);

/*
 * Follows the namespace: devices that came (ingress attached), local
 * addresses (only those receive), routes (each link's underlay device).
 * Called when the netlink socket fp_nl_fd() is readable, and after each
 * configuration change.
 */
void fp_refresh(struct fp *fp);
int fp_nl_fd(const struct fp *fp);
/* Reads what the netlink socket has; true when anything changed. */
bool fp_nl_drain(struct fp *fp);

/*
 * Whether the kernel strips headers with the 6.3 decapsulation flags (a
 * change of family on decapsulation needs them): runs the object's
 * ufou_probe program, whose fd is probe_fd, on a test packet.
 */
bool fp_probe_decap_flags(int probe_fd);

/* Removes programs a killed ufoud left on the namespace's devices. */
void fp_cleanup_stale(void);

#endif
