// SPDX-License-Identifier: GPL-2.0
/*
 * The worker sandbox (sandbox.c) in a forked child's thread: the calls the
 * packet paths make still work (a pipe write, a UDP socket, SIOCGIFINDEX),
 * and a forbidden call (a packet socket, an ioctl other than the two
 * interface queries, executable memory) ends the process with status 159 and one line naming
 * the call.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include "dataplane/sandbox.h"
#include "t.h"

enum { DO_ALLOWED, DO_PACKET, DO_IOCTL, DO_EXEC };

static int mode;
static int out_fd;

/* getifaddrs(), as the worker's MTU refresh after EMSGSIZE calls it, finds lo. */
static bool ifaddrs_ok(void)
{
	struct ifaddrs *ifa0;
	bool lo = false;

	if (getifaddrs(&ifa0) < 0)
		return false;
	for (struct ifaddrs *i = ifa0; i; i = i->ifa_next)
		lo = lo || !strcmp(i->ifa_name, "lo");
	freeifaddrs(ifa0);
	return lo;
}

/* SIOCGIFMTU, as the worker's MTU refresh asks it, answers for lo. */
static bool mtu_ok(int fd)
{
	struct ifreq ifr = { .ifr_name = "lo" };

	return fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0;
}

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
	if (mode == DO_PACKET)
		socket(AF_PACKET, SOCK_RAW, 0);
	if (mode == DO_IOCTL)
		ioctl(0, FIONREAD, &n);
	if (mode == DO_EXEC)
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	n = snprintf(line, sizeof(line), "udp %s ifindex %s ifaddrs %s mtu %s\n",
		     fd >= 0 ? "ok" : "refused", if_nametoindex("lo") > 0 ? "ok" : "refused",
		     ifaddrs_ok() ? "ok" : "refused", mtu_ok(fd) ? "ok" : "refused");
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
	CHECK_STR(buf, "entered\nudp ok ifindex ok ifaddrs ok mtu ok\n");

	TEST("sandbox: a packet socket ends the process with 159 and names socket");
	st = run_child(DO_PACKET, buf, sizeof(buf));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == DP_SANDBOX_EXIT);
	CHECK(strstr(buf, "ufoud: worker 3 made forbidden system call ") != NULL);
	CHECK(strstr(buf, " (socket), exiting\n") != NULL);
	CHECK(strstr(buf, "udp ") == NULL);

	TEST("sandbox: an ioctl other than the interface queries ends the process");
	st = run_child(DO_IOCTL, buf, sizeof(buf));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == DP_SANDBOX_EXIT);
	CHECK(strstr(buf, "(ioctl), exiting\n") != NULL);

	TEST("sandbox: executable memory ends the process");
	st = run_child(DO_EXEC, buf, sizeof(buf));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == DP_SANDBOX_EXIT);
	CHECK(strstr(buf, "(mmap), exiting\n") != NULL);
	return t_done();
}
