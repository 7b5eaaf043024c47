/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control plane: the daemon's configuration (ports and links, as
 * src/common/model.h), command validation with the kernel's semantics
 * (duplicate port -> exists, missing -> not found, ...), the Unix control
 * socket, and rendering of `show` (text or JSON, with counters).
 * A rejected command changes nothing. Changes go to the data plane (dp.h);
 * with dp == NULL commands are only validated (ufoud -n).
 */
#ifndef UFOU_CONTROL_CTL_H
#define UFOU_CONTROL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ctl;
struct dp;
struct loop;

#define UF_CTL_DEFAULT_SOCK "/run/ufou/ufoud.sock"
#define UF_CTL_DEFAULT_STATE "/var/lib/ufou/ufoud.state"

/* Creates the control plane. sock_path NULL = no socket (tests, -n). */
struct ctl *ctl_new(struct loop *loop, struct dp *dp, const char *sock_path,
		    char *err, size_t errlen);
/*
 * Who may use the control socket besides root: members of admin_group may
 * change things, members of ro_group only show them (either NULL: none).
 * With either, the socket becomes mode 0666 and each request is judged on
 * its peer's credentials. 0 or -errno with a message naming the group.
 */
int ctl_set_access(struct ctl *c, const char *admin_group, const char *ro_group, char *err,
		   size_t errlen);
/* Removes the socket; with remove_all, deletes every link and port first. */
void ctl_free(struct ctl *c, bool remove_all);

/*
 * Executes one command given as CLI words without the program name, e.g.
 * {"fou", "add", "port", "5555", "ipproto", "4"}. Output (show) goes to out
 * (JSON with json, counters with stats). Returns 0 or -errno with a one-line
 * message in err that names the bad token.
 */
int ctl_exec(struct ctl *c, int argc, char **argv, bool json, int stats, FILE *out,
	     char *err, size_t errlen);

/*
 * Applies a file of commands (one per line, '#' comments, blank lines
 * ignored). Stops at the first error, reporting "FILE:LINE: message" on
 * errout. Returns 0 or -errno.
 */
int ctl_exec_file(struct ctl *c, const char *path, FILE *errout);

/*
 * SIGHUP: applies the file again, as its difference from what it applied
 * before (ctl_reload.c says what happens to each entry); ports and links
 * added at runtime stay. A bad file (or one that clashes with runtime
 * entries) changes nothing and is reported as "FILE:LINE: message" on
 * errout. Returns 0 or -errno.
 */
int ctl_reload_file(struct ctl *c, const char *path, FILE *errout);
/* How many links and ports run (systemd's STATUS=). */
void ctl_counts(const struct ctl *c, size_t *nlinks, size_t *nports);

/*
 * At start: applies -c FILE (conf, may be NULL), then the state file
 * (state, NULL: none) over it (see state.c for how they combine), and from
 * then on records every change in state. A missing state file is an empty
 * one. Errors go to errout as "FILE:LINE: message"; returns 0 or -errno.
 */
int ctl_restore(struct ctl *c, const char *conf, const char *state, FILE *errout);

/*
 * ctl_exec with the control socket's output flags (CTLP_F_JSON, _PRETTY:
 * indented JSON, _DETAILS: text show adds what is no setting).
 */
int ctl_exec_opts(struct ctl *c, int argc, char **argv, unsigned int flags, int stats,
		  FILE *out, char *err, size_t errlen);

/*
 * The counters of `link show` and `fou show` (argv one of them, or argc 0
 * for both) in the Prometheus text exposition format, for a node_exporter
 * textfile collector or any scraper (ufou --prometheus). 0 or -errno.
 */
int ctl_prom(struct ctl *c, int argc, char **argv, FILE *out, char *err, size_t errlen);

/* ctl_exec_file on text in memory; name is used in "NAME:LINE: message".
 * Lines with NUL bytes are rejected. (The config fuzzer's entry point.) */
int ctl_exec_buf(struct ctl *c, const char *name, const char *text, size_t len,
		 FILE *errout);

#endif
