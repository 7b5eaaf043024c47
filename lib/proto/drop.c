// SPDX-License-Identifier: GPL-2.0
#include "drop.h"

static const char *const drop_names[] = {
#define UF_DROP_NAME(sym, str) [UF_DROP_##sym] = str,
	UF_DROP_REASONS(UF_DROP_NAME)
#undef UF_DROP_NAME
};

const char *uf_drop_name(enum uf_drop reason)
{
	if ((unsigned int)reason >= UF_DROP__COUNT)
		return "unknown";
	return drop_names[reason];
}
