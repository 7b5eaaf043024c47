// SPDX-License-Identifier: GPL-2.0
/*
 * The worker sandbox (sandbox.c) in a forked child's thread: the calls the
 * packet paths make still work (a pipe write, a UDP socket, SIOCGIFINDEX),
 * the thread keeps no capability but CAP_NET_RAW, and a forbidden call
 * (a netlink socket, an ioctl other than SIOCGIFINDEX) ends the process
 * with status 159 and one line naming the call.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "dataplane/sandbox.h"
#include "t.h"

enum { DO_ALLOWED, DO_NETLINK, DO_IOCTL };

static int mode;
static int out_fd;

/* Writes one line per step to out_fd; the parent reads them. */
static void *worker(void *arg)
{
	char err[128], line[160];
	int fd, n;

	(void)arg;
	if (dp_sandbox_enter(3, err, sizeof(err)) < 0) {
		n = snprintf(line, sizeof(line), "enter failed: %s\n", err);
		(void)!write(out_fd, line, (size_t)n);
		return NULL;
	}
	(void)!write(out_fd, "entered\n", 8);
	if (mode == DO_NETLINK)
		socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (mode == DO_IOCTL)
		ioctl(0, FIONREAD, &n);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	n = snprintf(line, sizeof(line), "udp %s ifindex %s\n", fd >= 0 ? "ok" : "refused",
		     if_nametoindex("lo") > 0 ? "ok" : "refused");
	(void)!write(out_fd, line, (size_t)n);
	close(fd);
	return NULL;
}

/* Runs worker() in a thread of a child; its output in buf, its wait status returned. */
static int run_child(int m, char *buf, size_t len)
{
	int p[2], st = -1;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		close(p[0]);
		mode = m;
		out_fd = p[1];
		dup2(p[1], STDERR_FILENO);      /* the handler's line */
		pthread_create(&t, NULL, worker, NULL);
		pthread_join(t, NULL);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	return st;
}

int main(void)
{
	char buf[1024];
	int st;

	TEST("sandbox: the packet paths' calls still work in the worker");
	st = run_child(DO_ALLOWED, buf, sizeof(buf));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_STR(buf, "entered\nudp ok ifindex ok\n");

	TEST("sandbox: a netlink socket ends the process with 159 and names socket");
	st = run_child(DO_NETLINK, buf, sizeof(buf));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == DP_SANDBOX_EXIT);
	CHECK(strstr(buf, "ufoud: worker 3 made forbidden system call ") != NULL);
	CHECK(strstr(buf, " (socket), exiting\n") != NULL);
	CHECK(strstr(buf, "udp ") == NULL);

	TEST("sandbox: an ioctl other than SIOCGIFINDEX ends the process");
	st = run_child(DO_IOCTL, buf, sizeof(buf));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == DP_SANDBOX_EXIT);
	CHECK(strstr(buf, "(ioctl), exiting\n") != NULL);
	return t_done();
}
