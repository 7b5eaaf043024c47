// SPDX-License-Identifier: GPL-2.0
/* stderr logging with one prefix; one write per line so lines never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataplane/dplog.h"

int dp_verbose;
static bool to_journal;

/*
 * JOURNAL_STREAM is inherited by children whose stderr may be elsewhere
 * (ufoud started by hand from a unit's shell, stderr redirected): only
 * the very stream systemd connected counts, so compare device and inode.
 */
bool dp_log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	to_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		     fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
		     (unsigned long long)st.st_ino == ino;
	return to_journal;
}

static __attribute__((format(printf, 2, 0))) void vlog(enum dp_prio prio, const char *fmt,
						       va_list ap)
{
	char line[512];
	int n = to_journal ? snprintf(line, sizeof(line), "<%d>ufoud: ", (int)prio) :
			     snprintf(line, sizeof(line), "ufoud: ");

	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void dp_logp(enum dp_prio prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, fmt, ap);
	va_end(ap);
}

void dp_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(DP_INFO, fmt, ap);
	va_end(ap);
}

void dp_debug(const char *fmt, ...)
{
	va_list ap;

	if (dp_verbose <= 0)
		return;
	va_start(ap, fmt);
	vlog(DP_DEBUG, fmt, ap);
	va_end(ap);
}
