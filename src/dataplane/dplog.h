/* SPDX-License-Identifier: GPL-2.0 */
/* Daemon logging to stderr ("ufoud: ..."); dp_verbose > 0 enables debug lines. */
#ifndef UFOU_DATAPLANE_DPLOG_H
#define UFOU_DATAPLANE_DPLOG_H

extern int dp_verbose;

void dp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only with -v. */
void dp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
