// SPDX-License-Identifier: GPL-2.0
/* The epoll loop: dispatch, removal during a batch, stop. */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "t.h"

#include "daemon/loop.h"

struct ctx {
	struct loop *l;
	int calls[2];
	int fds[2][2];
	int stop_after;
};

static void cb(int fd, uint32_t events, void *arg)
{
	struct ctx *c = arg;
	int which = fd == c->fds[0][0] ? 0 : 1;
	char b[16];

	c->calls[which]++;
	if (read(fd, b, sizeof(b)) < 0)
		return;
	/* The first callback removes the other fd, whose event may be pending. */
	loop_del(c->l, c->fds[!which][0]);
	if (c->calls[0] + c->calls[1] >= c->stop_after)
		loop_stop(c->l);
}

int main(void)
{
	struct ctx c = { .stop_after = 1 };

	TEST("loop: add, dispatch, delete a pending fd, stop");
	c.l = loop_new();
	CHECK(c.l != NULL);
	CHECK_EQ(pipe(c.fds[0]), 0);
	CHECK_EQ(pipe(c.fds[1]), 0);
	CHECK_EQ(loop_add(c.l, c.fds[0][0], EPOLLIN, cb, &c), 0);
	CHECK_EQ(loop_add(c.l, c.fds[1][0], EPOLLIN, cb, &c), 0);
	CHECK_EQ(loop_add(c.l, c.fds[1][0], EPOLLIN, cb, &c), -EEXIST);
	CHECK_EQ(loop_add(c.l, -1, EPOLLIN, cb, &c), -EINVAL);
	CHECK_EQ(write(c.fds[0][1], "x", 1), 1);
	CHECK_EQ(write(c.fds[1][1], "y", 1), 1);
	CHECK_EQ(loop_run(c.l), 0);
	CHECK_EQ(c.calls[0] + c.calls[1], 1);

	TEST("loop: delete unknown fd, run again");
	/* Exactly one of the two is still registered. */
	CHECK_EQ(loop_del(c.l, c.fds[0][0]) + loop_del(c.l, c.fds[1][0]), -ENOENT);
	CHECK_EQ(loop_del(c.l, 100000), -ENOENT);
	CHECK_EQ(loop_add(c.l, c.fds[0][0], EPOLLIN, cb, &c), 0);
	CHECK_EQ(loop_add(c.l, c.fds[1][0], EPOLLIN, cb, &c), 0);
	c.stop_after = 2;
	CHECK_EQ(loop_run(c.l), 0);
	CHECK_EQ(c.calls[0] + c.calls[1], 2);
	loop_free(c.l);
	for (int i = 0; i < 2; i++) {
		close(c.fds[i][0]);
		close(c.fds[i][1]);
	}
	return t_done();
}
