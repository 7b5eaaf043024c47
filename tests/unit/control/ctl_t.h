/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ctl unit tests share: a command line split at spaces into the
 * words ctl_exec takes (as the CLI would send them), run() for a command
 * whose output is not looked at, and err, which holds the last error.
 */
#ifndef UFOU_TESTS_CTL_T_H
#define UFOU_TESTS_CTL_T_H

#include <stdio.h>
#include <string.h>

#include "control/ctl.h"

#define MAXW 80

static char err[1024];

/* Copies line into buf (size bytes) and points argv at its words; returns how many. */
static inline int words(char *buf, size_t size, const char *line, char *argv[MAXW])
{
	int argc = 0;

	snprintf(buf, size, "%s", line);
	for (char *p = strtok(buf, " "); p && argc < MAXW; p = strtok(NULL, " "))
		argv[argc++] = p;
	return argc;
}

static inline int run(struct ctl *c, const char *line)
{
	char buf[2048], *argv[MAXW];
	int argc = words(buf, sizeof(buf), line, argv);

	err[0] = 0;
	return ctl_exec(c, argc, argv, false, 0, NULL, err, sizeof(err));
}

#endif
