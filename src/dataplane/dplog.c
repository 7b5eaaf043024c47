// SPDX-License-Identifier: GPL-2.0
/* stderr logging with one prefix; one write per line so lines never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "dataplane/dplog.h"

int dp_verbose;

static __attribute__((format(printf, 1, 0))) void vlog(const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "ufoud: ");

	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void dp_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void dp_debug(const char *fmt, ...)
{
	va_list ap;

	if (dp_verbose <= 0)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
