/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The worker threads' sandbox: each drops every capability it has but
 * CAP_NET_RAW (the packet paths use descriptors the control thread opened;
 * only the IPv6 option header sent on per-flow UDP GSO sockets needs a
 * capability, sandbox.c says why) and installs a
 * seccomp allow-list of the system calls the packet paths make. Any other
 * call traps into a SIGSYS handler that logs
 *   "ufoud: worker N made forbidden system call NR (NAME), exiting"
 * and ends the process with status DP_SANDBOX_EXIT (128 + SIGSYS, as if
 * the kernel had killed it). The control thread is not filtered.
 */
#ifndef UFOU_DATAPLANE_SANDBOX_H
#define UFOU_DATAPLANE_SANDBOX_H

#include <stddef.h>

#define DP_SANDBOX_EXIT 159

/* On the calling thread; 0 or -errno (the message in err). */
int dp_sandbox_enter(unsigned int idx, char *err, size_t errlen);

#endif
