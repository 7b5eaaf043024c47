// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for test_gso.sh, loaded into ufoud with LD_PRELOAD: every
 * sendmsg() that asks for UDP GSO (a UDP_SEGMENT control message) fails
 * with EIO, as the kernel answers where the way out cannot checksum (older
 * kernels without checksum offload, IPsec). Everything else goes through.
 * It lets the test drive ufoud's real fallback to sendmmsg batches.
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) {
			errno = EIO;
			return -1;
		}
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sendmsg");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, msg, flags);
}
