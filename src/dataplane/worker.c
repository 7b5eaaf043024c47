// SPDX-License-Identifier: GPL-2.0
/*
 * The data plane's worker threads: each runs its own epoll loop over its
 * TUN queues and port sockets, with its own buffers. The control thread
 * parks them all at a quiescent point (dp_park/dp_unpark) before it
 * changes the link and port tables they read, so the packet paths take
 * no lock. Kept apart from the packet paths, which never park.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dataplane/dp_int.h"

#include "daemon/loop.h"
#include "dataplane/dplog.h"
#include "dataplane/icmp.h"
#include "dataplane/sandbox.h"
#include "proto/gre.h"
#include "proto/vnet.h"

/* The eventfd: park until the control thread is done, or stop. */
static void worker_ctl_cb(int fd, uint32_t events, void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&dp->mu);
	if (dp->park) {
		dp->parked++;
		pthread_cond_signal(&dp->parked_cv);
		while (dp->park)
			pthread_cond_wait(&dp->resume_cv, &dp->mu);
		dp->parked--;
	}
	if (dp->stop)
		loop_stop(w->loop);
	pthread_mutex_unlock(&dp->mu);
}

/*
 * A worker that cannot enter its sandbox ends the daemon: it starts with
 * the data plane, so ufoud then fails to start, saying why.
 */
static void *worker_main(void *arg)
{
	struct dp_worker *w = arg;
	char err[128];
	int e = dp_sandbox_enter(w->idx, err, sizeof(err));

	if (e) {
		dp_log("worker %u: sandbox: %s", w->idx, err);
		_exit(1);
	}
	e = loop_run(w->loop);
	if (e)
		dp_err("worker %u: event loop: %s", w->idx, strerror(-e));
	return NULL;
}

static void worker_kick(struct dp_worker *w)
{
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0)
		dp_debug("worker %u: eventfd: %s", w->idx, strerror(errno));
}

/* Waits until every worker sits at a quiescent point; nestable is not needed. */
void dp_park(struct dp *dp)
{
	pthread_mutex_lock(&dp->mu);
	dp->park = true;
	pthread_mutex_unlock(&dp->mu);
	for (unsigned int i = 0; i < dp->nw; i++)
		if (dp->w[i]->started)
			worker_kick(dp->w[i]);
	pthread_mutex_lock(&dp->mu);
	for (;;) {
		unsigned int running = 0;

		for (unsigned int i = 0; i < dp->nw; i++)
			running += dp->w[i]->started;
		if (dp->parked >= running)
			break;
		pthread_cond_wait(&dp->parked_cv, &dp->mu);
	}
	pthread_mutex_unlock(&dp->mu);
}

void dp_unpark(struct dp *dp)
{
	pthread_mutex_lock(&dp->mu);
	dp->park = false;
	pthread_cond_broadcast(&dp->resume_cv);
	pthread_mutex_unlock(&dp->mu);
}

void dp_worker_free(struct dp_worker *w)
{
	if (!w)
		return;
	if (w->efd >= 0) {
		if (w->loop)
			loop_del(w->loop, w->efd);
		close(w->efd);
	}
	loop_free(w->loop);
	free(w->txarea);
	free(w->fragbuf);
	free(w->icmpbuf);
	free(w->rxbuf);
	free(w);
}

struct dp_worker *dp_worker_new(struct dp *dp, unsigned int idx)
{
	struct dp_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->dp = dp;
	w->idx = idx;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->loop = loop_new();
	w->txarea = malloc(DP_TXAREA);
	w->fragbuf = malloc(DP_MAX_PKT);
	w->icmpbuf = malloc(UF_VNET_HLEN + UF_ETH_HLEN + DP_ICMP6_MAX_LEN);
	w->rxbuf = malloc((size_t)DP_RX_BATCH * DP_MAX_PKT);
	if (w->efd < 0 || !w->loop || !w->txarea || !w->fragbuf || !w->icmpbuf || !w->rxbuf ||
	    loop_add(w->loop, w->efd, EPOLLIN, worker_ctl_cb, w) < 0) {
		dp_worker_free(w);
		return NULL;
	}
	loop_set_spin(w->loop, dp_spin_usec);
	w->icmp_id = (uint16_t)dp_rand32();
	w->frag6_id = dp_rand32();
	dp_rx_init(w);
	return w;
}

unsigned int dp_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (dp_nworkers > 0)
		return dp_nworkers > DP_MAX_WORKERS ? DP_MAX_WORKERS : (unsigned int)dp_nworkers;
	if (n < 1)
		return 1;
	return n > DP_MAX_WORKERS ? DP_MAX_WORKERS : (unsigned int)n;
}

/* Workers get no signal: SIGTERM/SIGINT belong to the main loop's signalfd. */
int dp_workers_start(struct dp *dp)
{
	sigset_t all, old;
	int e = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < dp->nw && !e; i++) {
		e = pthread_create(&dp->w[i]->thread, NULL, worker_main, dp->w[i]);
		if (!e)
			dp->w[i]->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}

void dp_workers_stop(struct dp *dp)
{
	pthread_mutex_lock(&dp->mu);
	dp->stop = true;
	pthread_mutex_unlock(&dp->mu);
	for (unsigned int i = 0; i < dp->nw; i++)
		if (dp->w[i]->started)
			worker_kick(dp->w[i]);
	for (unsigned int i = 0; i < dp->nw; i++) {
		if (dp->w[i]->started)
			pthread_join(dp->w[i]->thread, NULL);
		dp->w[i]->started = false;
	}
}
