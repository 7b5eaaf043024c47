/* SPDX-License-Identifier: GPL-2.0 */
/* Internals shared by ctl.c (state, commands) and ctl_sock.c (socket server). */
#ifndef UFOU_CONTROL_CTL_INT_H
#define UFOU_CONTROL_CTL_INT_H

#include <stddef.h>

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
	/* control socket */
	char *sock_path;
	int lfd;
	int spare_fd;                 /* given up to shed a connection on EMFILE */
	struct ctl_client *clients;
	int nclients;
	int tfd;                      /* fires at the earliest client deadline */
	uint64_t timer_at;            /* when it is armed for; 0: not armed */
	struct ctl_access access;     /* who may do what (ufoud -g, -r) */
};

/* Formats an error into err (when err and errlen) and returns ret. */
int ctl_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Links whose device ip(8) renamed take the device's name. */
void ctl_follow_renames(struct ctl *c);

int ctl_sock_open(struct ctl *c, const char *path, char *err, size_t errlen);
void ctl_sock_close(struct ctl *c);

#endif
