/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Least privilege for ufoud. priv_become() (ufoud -u USER) switches to the
 * user before set-up but keeps every capability for it; priv_drop() after
 * set-up keeps only what the running daemon uses on its control thread:
 * CAP_NET_ADMIN (TUN devices, TC filters, interface ioctls, forced socket
 * buffers, net sysctls), CAP_NET_RAW (a raw IP socket per link) and, with
 * the eBPF fast path loaded, CAP_BPF (map updates; CAP_SYS_ADMIN on kernels
 * without CAP_BPF). The bounding and ambient sets go too. Worker threads
 * drop all of theirs (dp_sandbox_enter).
 */
#ifndef UFOU_DAEMON_PRIV_H
#define UFOU_DAEMON_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 or -errno with a message naming the user. */
int priv_become(const char *user, char *err, size_t errlen);
/* 0 or -errno with a message. bpf: the fast path is loaded. */
int priv_drop(bool bpf, char *err, size_t errlen);
/* The capability set priv_drop() keeps, as a bit mask (for its log line and tests). */
uint64_t priv_keep_mask(bool bpf);

#endif
