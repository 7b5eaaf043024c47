// SPDX-License-Identifier: GPL-2.0
/* sd_notify as systemd receives it: datagrams on a bound path or abstract socket. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/notify.h"
#include "t.h"

static char err[256];

/* A datagram socket bound to name ('@' = abstract), as systemd's notify socket. */
static int listener(const char *name)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int len = notify_addr(name, &sa, err, sizeof(err));

	if (fd < 0 || len < 0 || bind(fd, (struct sockaddr *)&sa, (socklen_t)len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static char *recv_msg(int fd)
{
	static char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

static void test_addr(void)
{
	struct sockaddr_un sa;
	char longname[200];

	TEST("notify_addr: a path keeps its NUL, an abstract name starts with a NUL");
	CHECK_EQ(notify_addr("/run/systemd/notify", &sa, err, sizeof(err)),
		 offsetof(struct sockaddr_un, sun_path) + 20);
	CHECK_STR(sa.sun_path, "/run/systemd/notify");
	CHECK_EQ(notify_addr("@ufou-test", &sa, err, sizeof(err)),
		 offsetof(struct sockaddr_un, sun_path) + 10);
	CHECK_EQ(sa.sun_path[0], 0);
	CHECK(!memcmp(sa.sun_path + 1, "ufou-test", 9));

	TEST("notify_addr: relative, empty and too long names are refused, named");
	CHECK_EQ(notify_addr("relative/sock", &sa, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "\"relative/sock\"") != NULL);
	CHECK_EQ(notify_addr("", &sa, err, sizeof(err)), -EINVAL);
	CHECK_EQ(notify_addr("@", &sa, err, sizeof(err)), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = 0;
	CHECK_EQ(notify_addr(longname, &sa, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "aaaa") != NULL);
}

static void test_send_path(void)
{
	char dir[] = "/tmp/ufou-notify.XXXXXX", path[128];
	int fd;

	TEST("notify_send: READY and STATUS reach a socket bound to a path");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	CHECK(fd >= 0);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK_EQ(notify_send("READY=1\nSTATUS=2 links, 1 port", err, sizeof(err)), 0);
	CHECK_STR(recv_msg(fd), "READY=1\nSTATUS=2 links, 1 port");
	CHECK_EQ(notify_reloading(err, sizeof(err)), 0);
	{
		char *m = recv_msg(fd);

		CHECK(m && !strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27));
		CHECK(m && strtoull(m + 27, NULL, 10) > 0);
	}
	close(fd);
	unlink(path);
	rmdir(dir);

	TEST("notify_send: a socket nobody listens on is an error naming it");
	CHECK_EQ(notify_send("READY=1", err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) != NULL);
}

static void test_send_abstract(void)
{
	char name[64];
	int fd;

	TEST("notify_send: STOPPING reaches an abstract socket ('@' name)");
	snprintf(name, sizeof(name), "@ufou-notify-test-%d", (int)getpid());
	fd = listener(name);
	CHECK(fd >= 0);
	setenv("NOTIFY_SOCKET", name, 1);
	CHECK_EQ(notify_send("STOPPING=1", err, sizeof(err)), 0);
	CHECK_STR(recv_msg(fd), "STOPPING=1");
	close(fd);

	TEST("notify_send: without NOTIFY_SOCKET nothing is sent and all is well");
	unsetenv("NOTIFY_SOCKET");
	CHECK_EQ(notify_send("READY=1", err, sizeof(err)), 0);
	setenv("NOTIFY_SOCKET", "not-absolute", 1);
	CHECK_EQ(notify_send("READY=1", err, sizeof(err)), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	test_addr();
	test_send_path();
	test_send_abstract();
	return t_done();
}
