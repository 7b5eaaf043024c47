/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Daemon logging to stderr ("ufoud: ..."); dp_verbose > 0 enables debug
 * lines. When stderr is the journal (systemd's JOURNAL_STREAM names its
 * device:inode), each line starts with its sd-daemon(3) priority, "<3>" for
 * errors, "<4>" warnings, "<6>" information, "<7>" debug, which journald
 * strips and files the line under.
 */
#ifndef UFOU_DATAPLANE_DPLOG_H
#define UFOU_DATAPLANE_DPLOG_H

#include <stdbool.h>

extern int dp_verbose;

enum dp_prio { DP_ERR = 3, DP_WARN = 4, DP_INFO = 6, DP_DEBUG = 7 };

/* Looks at JOURNAL_STREAM and stderr again (start, and tests); returns
 * whether lines now carry a priority prefix. */
bool dp_log_init(void);

void dp_logp(enum dp_prio prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define dp_err(...)  dp_logp(DP_ERR, __VA_ARGS__)
#define dp_warn(...) dp_logp(DP_WARN, __VA_ARGS__)
/* Information (the daemon's state changes). */
void dp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only with -v. */
void dp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
