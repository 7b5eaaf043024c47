/* SPDX-License-Identifier: GPL-2.0 */
/* epoll event loop with signalfd: loop_add(fd, cb, arg) and loop_run(). */
#ifndef UFOU_DAEMON_LOOP_H
#define UFOU_DAEMON_LOOP_H

#include <stdint.h>

struct loop;
typedef void (*loop_cb)(int fd, uint32_t events, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);
/* Watches fd for EPOLLIN (and events); 0 or -errno. */
int loop_add(struct loop *l, int fd, uint32_t events, loop_cb cb, void *arg);
int loop_del(struct loop *l, int fd);
/*
 * After events, keep polling (non-blocking) for up to usec before blocking
 * again: a worker that just handled a packet is awake for the reply, which
 * saves a wakeup per hop; a loop idle for longer than usec is blocked, at
 * no CPU. 0 (the default): always block.
 */
void loop_set_spin(struct loop *l, unsigned int usec);
/* Runs until loop_stop() (e.g. from a SIGTERM/SIGINT handler fd). */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
