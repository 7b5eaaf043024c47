// SPDX-License-Identifier: GPL-2.0
/* The epoll loop: dispatch, removal during a batch, stop, spin before sleeping. */
#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <time.h>
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

/* ---- spin: awake for a while after traffic, then asleep */

struct spin {
	struct loop *l;
	int fd[2];
	int calls;
	double cpu[2];          /* the loop thread's CPU seconds at calls 1 and 2 */
};

static double thread_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void spin_cb(int fd, uint32_t events, void *arg)
{
	struct spin *s = arg;
	char b[16];

	(void)events;
	if (read(fd, b, sizeof(b)) < 0)
		return;
	s->cpu[s->calls < 2 ? s->calls : 1] = thread_cpu();
	if (++s->calls == 2)
		loop_stop(s->l);
}

static void *spin_run(void *arg)
{
	struct spin *s = arg;

	loop_run(s->l);
	return NULL;
}

/*
 * A 2 ms spin, then 300 ms without events: the loop must be blocked for
 * most of them (a spin that never ends would burn the whole window).
 */
static void test_spin(void)
{
	struct spin s = { 0 };
	pthread_t th;
	struct timespec gap = { 0, 300 * 1000 * 1000 }, tick = { 0, 1000 * 1000 };

	TEST("loop: spin after traffic, then sleep; events still dispatched");
	s.l = loop_new();
	CHECK(s.l != NULL);
	CHECK_EQ(pipe(s.fd), 0);
	CHECK_EQ(loop_add(s.l, s.fd[0], EPOLLIN, spin_cb, &s), 0);
	loop_set_spin(s.l, 2000);
	CHECK_EQ(pthread_create(&th, NULL, spin_run, &s), 0);
	CHECK_EQ(write(s.fd[1], "a", 1), 1);
	for (int i = 0; i < 2000 && !__atomic_load_n(&s.calls, __ATOMIC_ACQUIRE); i++)
		nanosleep(&tick, NULL);
	nanosleep(&gap, NULL);
	CHECK_EQ(write(s.fd[1], "b", 1), 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(s.calls, 2);
	/* About 2 ms of spinning; 60 ms leaves room for a slow, shared machine. */
	CHECK(s.cpu[1] - s.cpu[0] < 0.060);
	loop_free(s.l);
	close(s.fd[0]);
	close(s.fd[1]);
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
	test_spin();
	return t_done();
}
