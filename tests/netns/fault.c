// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for netns tests, loaded into ufoud with LD_PRELOAD. What
 * it does is chosen by UFOU_FAULT, a comma-separated list:
 *
 *   gso-eio         every sendmsg() that asks for UDP GSO (a UDP_SEGMENT
 *                   control message) fails with EIO, as the kernel answers
 *                   where the way out cannot checksum (older kernels
 *                   without checksum offload, IPsec);
 *   tun-no-uso      TUNSETOFFLOAD with TUN_F_USO4/6 fails with EINVAL, as
 *                   on kernels before 6.2 that do not know USO;
 *   tun-no-offload  every TUNSETOFFLOAD but the one that turns all
 *                   offloads off fails with EINVAL;
 *   bpf-load        every BPF_PROG_LOAD (the bpf() system call, which
 *                   libbpf makes through syscall()) fails with EPERM, as
 *                   without CAP_BPF or where a verifier refuses;
 *   worker-syscall  a worker thread woken by an event (the control thread
 *                   parks the workers for every port or link change)
 *                   opens a packet socket, as code that took over a
 *                   worker would to sniff the host's traffic with the
 *                   CAP_NET_RAW workers keep: its seccomp filter must
 *                   stop it.
 *
 * Everything else goes through to libc, so the tests drive ufoud's real
 * probes and fallbacks against the real kernel.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
int ioctl(int fd, unsigned long req, ...);
long syscall(long nr, ...);
int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout);

/* Whether UFOU_FAULT names fault (a whole list item). */
static bool fault(const char *name)
{
	const char *s = getenv("UFOU_FAULT");
	size_t n = strlen(name);

	while (s && *s) {
		if (!strncmp(s, name, n) && (s[n] == ',' || !s[n]))
			return true;
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return false;
}

/* libc's own fn, looked up once into *slot; NULL (errno ENOSYS) if none. */
static void *real_fn(void **slot, const char *name)
{
	if (!*slot)
		*slot = dlsym(RTLD_NEXT, name);
	if (!*slot)
		errno = ENOSYS;
	return *slot;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	struct cmsghdr *c;

	if (fault("gso-eio")) {
		for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
			if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) {
				errno = EIO;
				return -1;
			}
		}
	}
	if (!real_fn((void **)&real, "sendmsg"))
		return -1;
	return real(fd, msg, flags);
}

/* Every ioctl ufoud makes takes at most one pointer or integer argument. */
int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	unsigned long arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (req == TUNSETOFFLOAD &&
	    ((fault("tun-no-uso") && (arg & (TUN_F_USO4 | TUN_F_USO6))) ||
	     (fault("tun-no-offload") && arg))) {
		errno = EINVAL;
		return -1;
	}
	if (!real_fn((void **)&real, "ioctl"))
		return -1;
	return real(fd, req, arg);
}

/* The bpf() call passes three arguments; other calls up to six, all passed on. */
long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_bpf && a[0] == BPF_PROG_LOAD && fault("bpf-load")) {
		errno = EPERM;
		return -1;
	}
	if (!real_fn((void **)&real, "syscall"))
		return -1;
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Workers are the threads that are not the main one (the control thread). */
int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);
	int n, fd;

	if (!real_fn((void **)&real, "epoll_wait"))
		return -1;
	n = real(epfd, ev, max, timeout);
	if (n > 0 && fault("worker-syscall") && gettid() != getpid()) {
		fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			close(fd);
	}
	return n;
}
