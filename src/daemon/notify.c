// SPDX-License-Identifier: GPL-2.0
/*
 * sd_notify without libsystemd: the protocol is one sendto() of text, and
 * linking libsystemd for it would add a dependency (and its own threads of
 * logic) to a daemon that otherwise needs only libc and libbpf. The socket
 * is opened per message: messages are rare (start, reload, stop) and a
 * per-call socket needs no state and survives a systemd re-exec.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/notify.h"

int notify_addr(const char *value, struct sockaddr_un *sa, char *err, size_t errlen)
{
	size_t n = value ? strlen(value) : 0;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n < 2 || (value[0] != '/' && value[0] != '@') || n > sizeof(sa->sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET \"%s\" is not an absolute path or @name",
			 value ? value : "");
		return -EINVAL;
	}
	/* A path needs its terminating NUL inside sun_path; an abstract name does not. */
	if (value[0] == '/' && n == sizeof(sa->sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET \"%s\" is too long", value);
		return -EINVAL;
	}
	memcpy(sa->sun_path, value, n);
	if (value[0] == '@') {
		sa->sun_path[0] = 0;
		return (int)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (int)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int notify_send(const char *state, char *err, size_t errlen)
{
	const char *value = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	int fd, len, ret = 0;

	if (!value)
		return 0;
	len = notify_addr(value, &sa, err, errlen);
	if (len < 0)
		return len;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s", strerror(errno));
		return ret;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "NOTIFY_SOCKET \"%s\": %s", value, strerror(errno));
	}
	close(fd);
	return ret;
}

int notify_reloading(char *err, size_t errlen)
{
	struct timespec t;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &t);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)t.tv_sec * 1000000ull + (unsigned long long)t.tv_nsec / 1000);
	return notify_send(msg, err, errlen);
}
