/* SPDX-License-Identifier: GPL-2.0 */
/* Internals shared by ctl.c (state, commands) and ctl_sock.c (socket server). */
#ifndef UFOU_CONTROL_CTL_INT_H
#define UFOU_CONTROL_CTL_INT_H

#include <stddef.h>
#include <stdio.h>

#include <stdint.h>

#include "common/model.h"
#include "control/ctl.h"
#include "control/ctl_access.h"

struct ctl_client;

struct ctl {
	struct loop *loop;
	struct dp *dp;
	/* configuration, in the order it was added (show prints it so) */
	struct uf_port_conf *ports;
	size_t nports, cap_ports;
	struct uf_link_conf *links;
	size_t nlinks, cap_links;
	/* The state file (NULL: changes are not recorded) and what -c FILE made. */
	char *state_path;
	struct uf_port_conf *cfg_ports;
	size_t ncfg_ports;
	struct uf_link_conf *cfg_links;
	size_t ncfg_links;
	/* Merging the state over -c: add replaces, del of what is missing is no error. */
	bool merging;
	bool names_moved;             /* a device was renamed outside ufou */
	/* control socket */
	char *sock_path;
	int lfd;
	int spare_fd;                 /* given up to shed a connection on EMFILE */
	struct ctl_client *clients;
	int nclients;
	/* the -c file line being applied (0: a runtime command); what it adds is marked so */
	unsigned int cur_line;
	int tfd;                      /* fires at the earliest client deadline */
	uint64_t timer_at;            /* when it is armed for; 0: not armed */
	struct ctl_access access;     /* who may do what (ufoud -g, -r) */
};

/* Formats an error into err (when err and errlen) and returns ret. */
int ctl_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The commands' effects once validated, shared with the reload: each
 * changes the data plane (if any) first and the model only on success;
 * 0 or -errno with a message in err.
 */
struct uf_port_conf *ctl_port_find(struct ctl *c, const struct uf_port_conf *key);
struct uf_link_conf *ctl_link_find(struct ctl *c, const char *name);
int ctl_port_insert(struct ctl *c, const struct uf_port_conf *p, char *err, size_t errlen);
int ctl_port_remove(struct ctl *c, struct uf_port_conf *p, char *err, size_t errlen);
int ctl_link_insert(struct ctl *c, const struct uf_link_conf *l, char *err, size_t errlen);
int ctl_link_remove(struct ctl *c, struct uf_link_conf *l, char *err, size_t errlen);
/* Gives the existing link old the whole conf l (same name and type), in place. */
int ctl_link_replace(struct ctl *c, struct uf_link_conf *old, const struct uf_link_conf *l,
		     char *err, size_t errlen);
/* Links whose device ip(8) renamed take the device's name. */
void ctl_follow_renames(struct ctl *c);

/*
 * Rewrites the state file (when there is one) from the configuration,
 * without skip_link / skip_port (a deletion about to happen). 0, or -errno
 * with a message naming the file.
 */
int ctl_state_write(struct ctl *c, const struct uf_link_conf *skip_link,
		    const struct uf_port_conf *skip_port, char *err, size_t errlen);
/* The state file's text for the configuration, without skip_*. */
void ctl_state_render(const struct ctl *c, FILE *f, const struct uf_link_conf *skip_link,
		      const struct uf_port_conf *skip_port);

/*
 * After a reload applied want (the -c file as read again): it is -c's set
 * from now on, and the state file is rewritten. 0 or -errno with a message.
 */
int ctl_state_reloaded(struct ctl *c, const struct ctl *want, char *err, size_t errlen);

/* One line of CLI words (modified in place); errors as "name: message". */
int ctl_exec_line(struct ctl *c, const char *name, char *line, FILE *errout);

int ctl_sock_open(struct ctl *c, const char *path, char *err, size_t errlen);
void ctl_sock_close(struct ctl *c);

#endif
