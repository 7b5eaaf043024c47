// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a config file (lines of ufou commands) applied to a control
 * plane without data plane (validation + state only), then shown. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "control/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	static char *show[][3] = { { "fou", "show", NULL }, { "link", "show", NULL } };
	char err[1024];
	struct ctl *c;

	if (!null)
		null = fopen("/dev/null", "w");
	if (!null)
		return 0;
	c = ctl_new(NULL, NULL, NULL, err, sizeof(err));
	if (!c)
		return 0;
	ctl_exec_buf(c, "fuzz.conf", (const char *)data, size, null);
	for (int i = 0; i < 2; i++)
		for (int s = 0; s < 3; s++) {
			ctl_exec(c, 2, show[i], false, s, null, err, sizeof(err));
			ctl_exec(c, 2, show[i], true, s, null, err, sizeof(err));
		}
	ctl_free(c, true);
	return 0;
}
