/* SPDX-License-Identifier: GPL-2.0 */
/*
 * systemd's readiness protocol (sd_notify(3)), spoken directly: one datagram
 * of "KEY=VALUE\n" lines to the AF_UNIX socket named by $NOTIFY_SOCKET
 * (a path, or an abstract name written with a leading '@'). Without
 * NOTIFY_SOCKET every call is a no-op that returns 0, so ufoud run by hand
 * or by a test behaves the same.
 */
#ifndef UFOU_DAEMON_NOTIFY_H
#define UFOU_DAEMON_NOTIFY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * Fills sa from a NOTIFY_SOCKET value ('@' = abstract namespace); returns
 * the address length or -EINVAL (with a message in err naming the value)
 * for an empty, relative or too long name.
 */
int notify_addr(const char *value, struct sockaddr_un *sa, char *err, size_t errlen);

/* Sends state (e.g. "READY=1\nSTATUS=2 links, 1 port") to $NOTIFY_SOCKET.
 * 0 (also when unset) or -errno with a message in err. */
int notify_send(const char *state, char *err, size_t errlen);

/* Reloading: "RELOADING=1" with MONOTONIC_USEC= (systemd 253's Type=notify-reload
 * wants it; older ones ignore it). */
int notify_reloading(char *err, size_t errlen);

#endif
