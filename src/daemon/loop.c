// SPDX-License-Identifier: GPL-2.0
/*
 * epoll event loop. Callbacks are kept in a table indexed by fd rather than
 * behind epoll's data pointer, so a callback may remove any fd (itself or
 * one whose event is still pending in the current batch) without leaving a
 * dangling pointer: a removed fd's pending event finds an empty slot.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "daemon/loop.h"

#define LOOP_BATCH 64

struct loop_slot {
	loop_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	struct loop_slot *slots;
	size_t nslots;
	uint64_t spin_ns;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->slots);
	free(l);
}

static int loop_grow(struct loop *l, size_t fd)
{
	size_t n = l->nslots ? l->nslots : 64;
	struct loop_slot *s;

	while (n <= fd)
		n *= 2;
	if (n == l->nslots)
		return 0;
	s = realloc(l->slots, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + l->nslots, 0, (n - l->nslots) * sizeof(*s));
	l->slots = s;
	l->nslots = n;
	return 0;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events ? events : EPOLLIN, .data.fd = fd };
	int err;

	if (fd < 0 || !cb)
		return -EINVAL;
	err = loop_grow(l, (size_t)fd);
	if (err)
		return err;
	if (l->slots[fd].cb)
		return -EEXIST;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->slots[fd].cb = cb;
	l->slots[fd].arg = arg;
	return 0;
}

int loop_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nslots || !l->slots[fd].cb)
		return -ENOENT;
	l->slots[fd].cb = NULL;
	l->slots[fd].arg = NULL;
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
		return -errno;
	return 0;
}

static void loop_dispatch(struct loop *l, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n && !l->stop; i++) {
		int fd = ev[i].data.fd;
		struct loop_slot *s;

		if (fd < 0 || (size_t)fd >= l->nslots)
			continue;
		s = &l->slots[fd];
		if (s->cb)
			s->cb(fd, ev[i].events, s->arg);
	}
}

void loop_set_spin(struct loop *l, unsigned int usec)
{
	l->spin_ns = (uint64_t)usec * 1000;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * Events within spin_ns of the last ones, polled; sched_yield() lets any
 * thread waiting for this CPU run first, so the spin only uses time nobody
 * else wants. 0 when the spin ran out.
 */
static int loop_spin(struct loop *l, struct epoll_event *ev)
{
	uint64_t end = mono_ns() + l->spin_ns;

	do {
		int n = epoll_wait(l->epfd, ev, LOOP_BATCH, 0);

		if (n != 0)
			return n;
		sched_yield();
	} while (!l->stop && mono_ns() < end);
	return 0;
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_BATCH];
	bool busy = false;

	l->stop = false;
	while (!l->stop) {
		int n = busy && l->spin_ns ? loop_spin(l, ev) : 0;

		if (n == 0)
			n = epoll_wait(l->epfd, ev, LOOP_BATCH, -1);
		busy = n > 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		loop_dispatch(l, ev, n);
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
