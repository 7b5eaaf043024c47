// SPDX-License-Identifier: GPL-2.0
/* Log lines get sd-daemon priorities only when stderr is the journal's stream. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataplane/dplog.h"
#include "t.h"

static int saved_stderr = -1;
static int pipefd[2];

/* stderr into a fresh pipe; JOURNAL_STREAM names it (match) or another file. */
static void capture(bool match)
{
	struct stat st;
	char v[64];

	CHECK(pipe(pipefd) == 0);
	dup2(pipefd[1], STDERR_FILENO);
	close(pipefd[1]);
	if (match)
		fstat(STDERR_FILENO, &st);
	else
		stat("/", &st);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
}

static char *release(void)
{
	static char buf[1024];
	ssize_t n;

	dup2(saved_stderr, STDERR_FILENO);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void emit_all(void)
{
	dp_err("bad %s", "x");
	dp_warn("careful");
	dp_log("ready: %d links", 2);
	dp_debug("detail");
}

int main(void)
{
	saved_stderr = dup(STDERR_FILENO);
	dp_verbose = 1;

	TEST("stderr is the journal's stream: <3> <4> <6> <7> prefixes");
	capture(true);
	CHECK(dp_log_init());
	emit_all();
	CHECK_STR(release(), "<3>ufoud: bad x\n<4>ufoud: careful\n<6>ufoud: ready: 2 links\n"
			     "<7>ufoud: detail\n");

	TEST("JOURNAL_STREAM naming another file (inherited, stderr redirected): no prefix");
	capture(false);
	CHECK(!dp_log_init());
	emit_all();
	CHECK_STR(release(), "ufoud: bad x\nufoud: careful\nufoud: ready: 2 links\n"
			     "ufoud: detail\n");

	TEST("no JOURNAL_STREAM, or a malformed one: no prefix; debug only with -v");
	capture(true);
	setenv("JOURNAL_STREAM", "junk", 1);
	CHECK(!dp_log_init());
	unsetenv("JOURNAL_STREAM");
	CHECK(!dp_log_init());
	dp_verbose = 0;
	emit_all();
	CHECK_STR(release(), "ufoud: bad x\nufoud: careful\nufoud: ready: 2 links\n");
	return t_done();
}
