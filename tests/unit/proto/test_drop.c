// SPDX-License-Identifier: GPL-2.0
#include "proto/drop.h"
#include "t.h"

int main(void)
{
	TEST("every drop reason has a distinct name");
	for (int i = 0; i < UF_DROP__COUNT; i++) {
		const char *a = uf_drop_name((enum uf_drop)i);
		CHECK(a && *a && strcmp(a, "unknown") != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(a, uf_drop_name((enum uf_drop)j)) != 0);
	}
	TEST("out of range reason is unknown");
	CHECK_STR(uf_drop_name(UF_DROP__COUNT), "unknown");
	CHECK_STR(uf_drop_name((enum uf_drop)-1), "unknown");
	CHECK_STR(uf_drop_name(UF_DROP_GUE_CONTROL), "gue-control");
	return t_done();
}
