// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the CLI grammar. The input is argv, words separated by NUL;
 * parsed commands are checked and printed (text and JSON). */
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXW 256

static void print_both(const struct gr_cmd *cmd)
{
	static FILE *null;
	struct uf_link_conf l = cmd->link;
	/* The device as a kernel would show it: up or down as the words asked. */
	struct uf_link_dev dev = { .known = true, .mtu = 1500, .flags = l.up ? IFF_UP : 0 };
	struct pr p;

	if (!null)
		null = fopen("/dev/null", "w");
	if (!null)
		return;
	uf_link_conf_defaults(&l);
	for (int json = 0; json < 2; json++) {
		pr_init(&p, null, json, json);
		pr_obj_begin(&p, NULL);
		if (cmd->obj == GR_OBJ_FOU)
			gr_print_port(&p, &cmd->port);
		else
			gr_print_link(&p, &l, &dev);
		pr_obj_end(&p);
		pr_end(&p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAXW], err[1024];
	struct gr_cmd cmd;
	struct uf_link_conf l;
	int argc = 0;
	size_t off = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	while (off <= size && argc < MAXW) {
		argv[argc++] = buf + off;
		off += strlen(buf + off) + 1;
	}
	if (gr_parse(argc, argv, &cmd, err, sizeof(err)) == 0) {
		if (cmd.obj == GR_OBJ_FOU && (cmd.act == GR_ADD || cmd.act == GR_DEL)) {
			if (gr_check_port(&cmd, &cmd.port, cmd.act == GR_ADD, err, sizeof(err)) == 0)
				print_both(&cmd);
		} else if (cmd.obj == GR_OBJ_LINK && cmd.act == GR_ADD) {
			l = cmd.link;
			uf_link_conf_defaults(&l);
			if (gr_check_link(&cmd, &l, err, sizeof(err)) == 0)
				print_both(&cmd);
		}
	} else if (!err[0]) {
		abort();   /* every rejection says why */
	}
	free(buf);
	return 0;
}
