/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane: TUN/TAP devices, UDP receive sockets per FOU/GUE port,
 * raw IP sockets for transmit, and the packet loops between them. The
 * control side (src/control) validates requests against the configuration
 * and then calls these functions; they only fail for system reasons (a
 * port already bound by someone else, no TUN, ...), with a message.
 *
 * The packets move in worker threads (one per CPU by default), each with
 * its own epoll loop, TUN queue per link and SO_REUSEPORT socket per port;
 * these functions run on the daemon's control thread and park the workers
 * at a quiescent point while they change what the workers read.
 */
#ifndef UFOU_DATAPLANE_DP_H
#define UFOU_DATAPLANE_DP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/model.h"

struct dp;
struct loop;

/*
 * Whether UDP GSO may be used on links whose outer UDP checksum is off
 * (Linux's default): the kernel only segments checksummed UDP, so their
 * outer checksum becomes valid instead of zero (receivers accept both).
 * Off: such links keep exact bytes and send in sendmmsg batches.
 */
extern bool dp_gso_csum;
/* Workers poll this long after traffic before blocking (ufoud -b); 0: never. */
extern unsigned int dp_spin_usec;
/* Worker threads for the next dp_new(); 0 (default): one per online CPU. */
extern int dp_nworkers;

/* Which data path carries the links (ufoud -D). */
enum dp_path { DP_PATH_AUTO, DP_PATH_BPF, DP_PATH_TUN };
extern enum dp_path dp_datapath;

/* Creates the data plane; fds are registered with the event loop. */
struct dp *dp_new(struct loop *loop);
/* Removes every link and port (TUN devices deleted, sockets closed). */
void dp_free(struct dp *dp);
/* Whether the eBPF fast path is loaded (its map updates then need CAP_BPF). */
bool dp_fast_path(const struct dp *dp);

/*
 * Restoring after a restart: with on, a link whose device exists (a TUN
 * device a killed or -k ufoud left) attaches to it instead of failing.
 */
void dp_adopt(struct dp *dp, bool on);
/* The configuration is restored: the fast path takes over from what a previous ufoud left. */
void dp_start(struct dp *dp);
/* dp_free then leaves the tunnel devices and the fast path's filters in place (ufoud -k). */
void dp_keep(struct dp *dp);

/* Each returns 0 or -errno and writes a message naming the cause into err. */
int dp_port_add(struct dp *dp, const struct uf_port_conf *c, char *err, size_t errlen);
int dp_port_del(struct dp *dp, const struct uf_port_conf *c);
int dp_link_add(struct dp *dp, const struct uf_link_conf *c, char *err, size_t errlen);
/* Applies a changed configuration to an existing link (same name). */
int dp_link_change(struct dp *dp, const struct uf_link_conf *c, char *err, size_t errlen);
int dp_link_del(struct dp *dp, const char *name);
/*
 * Devices renamed outside ufou (ip link set ... name): each such link takes
 * its device's name now, and ren(arg, i, old, name) is called with the
 * link's position among the links (in the order they were added).
 */
void dp_links_follow_renames(struct dp *dp,
			     void (*ren)(void *arg, size_t i, const char *old, const char *name),
			     void *arg);
/* Renames the link's device (which must be down, as for any netdevice). */
int dp_link_rename(struct dp *dp, const char *name, const char *newname, char *err,
		   size_t errlen);

/* Counters; -ENOENT when unknown. */
int dp_link_stats(struct dp *dp, const char *name, struct uf_link_stats *st);
int dp_port_stats(struct dp *dp, const struct uf_port_conf *c, struct uf_port_stats *st);
/* "bpf", "tun", "bpf-rx" or "bpf-tx": which path carries the link's packets. */
const char *dp_link_path(struct dp *dp, const char *name);
/* The link device's MTU and flags as the kernel has them now. */
int dp_link_dev(struct dp *dp, const char *name, struct uf_link_dev *d);
/* Routers' ICMP MTU reports read, by what came of them (UF_PTB__COUNT values). */
void dp_ptb_stats(const struct dp *dp, uint64_t *n);
/*
 * Gives the device the link's MTU (configured or computed) again, whatever
 * ip(8) set since: `link set NAME mtu N` must reach the device even when N
 * is what ufou last set (dp_link_change sets it only when it changed).
 */
int dp_link_set_mtu(struct dp *dp, const char *name, char *err, size_t errlen);
/* ip link set dev NAME up|down. */
int dp_link_set_up(struct dp *dp, const char *name, bool up, char *err, size_t errlen);

#endif
