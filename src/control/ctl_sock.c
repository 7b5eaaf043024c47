// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a SOCK_STREAM Unix socket, mode 0600 (bound under
 * umask 077), one size-checked request per connection (ctlproto.h), one
 * reply, close. Non-blocking accept and reads from the event loop; a bad
 * or oversized request gets an error reply and the daemon keeps serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ctlproto.h"
#include "control/ctl_int.h"
#include "daemon/loop.h"

#define CTL_MAX_CLIENTS 32

struct ctl_client {
	struct ctl *c;
	int fd;
	size_t have;
	struct ctl_client *next;
	uint8_t buf[CTLP_MAX_REQ];
};

static void client_close(struct ctl_client *cl)
{
	struct ctl *c = cl->c;

	for (struct ctl_client **pp = &c->clients; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	c->nclients--;
	if (c->loop)
		loop_del(c->loop, cl->fd);
	close(cl->fd);
	free(cl);
}

/* The reply is small next to the socket buffer in practice; a peer that does
 * not read gets 2 s before we give up, so the loop never hangs for long. */
static void send_all(int fd, const uint8_t *buf, size_t len)
{
	struct timeval tv = { .tv_sec = 2 };
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void reply(int fd, int ret, const char *text, size_t len)
{
	uint8_t *buf;
	ssize_t n;

	if (len > CTLP_MAX_REPLY - CTLP_REP_HDR) {
		ret = -EMSGSIZE;
		text = "output too large";
		len = strlen(text);
	}
	buf = malloc(CTLP_REP_HDR + len);
	if (!buf)
		return;
	n = ctlp_rep_encode(buf, CTLP_REP_HDR + len, ret, text, len);
	if (n > 0)
		send_all(fd, buf, (size_t)n);
	free(buf);
}

static void reply_str(int fd, int ret, const char *msg)
{
	reply(fd, ret, msg, strlen(msg));
}

static void serve(struct ctl_client *cl, size_t len)
{
	struct ctlp_req req;
	char err[1024] = "";
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	int ret;

	ret = ctlp_req_decode(cl->buf, len, &req);
	if (ret == -EPROTONOSUPPORT) {
		reply_str(cl->fd, ret, "unsupported control protocol version");
		return;
	}
	if (ret) {
		reply_str(cl->fd, ret, "malformed request");
		return;
	}
	f = open_memstream(&out, &outlen);
	if (!f) {
		reply_str(cl->fd, -ENOMEM, "out of memory");
		return;
	}
	if (req.flags & CTLP_F_PROM)
		ret = ctl_prom(cl->c, req.argc, req.argv, f, err, sizeof(err));
	else
		ret = ctl_exec_opts(cl->c, req.argc, req.argv, req.flags & CTLP_F_JSON,
				    req.flags & CTLP_F_PRETTY, req.stats, f, err, sizeof(err));
	fclose(f);
	if (ret)
		reply_str(cl->fd, ret, err[0] ? err : strerror(-ret));
	else
		reply(cl->fd, 0, out ? out : "", out ? outlen : 0);
	free(out);
}

static void on_client(int fd, uint32_t events, void *arg)
{
	struct ctl_client *cl = arg;
	ssize_t n, need;

	n = read(fd, cl->buf + cl->have, sizeof(cl->buf) - cl->have);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->have += (size_t)n;
	need = ctlp_frame_len(cl->buf, cl->have, CTLP_REQ_HDR, CTLP_MAX_REQ);
	if (need == 0 || (need > 0 && cl->have < (size_t)need))
		return;
	if (need == -EMSGSIZE)
		reply_str(fd, -EMSGSIZE, "request too large");
	else if (need < 0)
		reply_str(fd, (int)need, "malformed request");
	else
		serve(cl, (size_t)need);
	client_close(cl);
}

/* Out of descriptors: free the spare, take the connection and drop it,
 * so a level-triggered listener does not spin. */
static void shed(struct ctl *c)
{
	int fd;

	if (c->spare_fd < 0)
		return;
	close(c->spare_fd);
	fd = accept(c->lfd, NULL, NULL);
	if (fd >= 0)
		close(fd);
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * All slots taken: drop the connection that has waited longest. Clients send
 * their one request right after connecting, so the oldest is the likeliest to
 * be stuck or idle; this way silent connections can never lock the CLI out.
 * (New clients are pushed at the head, so the oldest is the tail.)
 */
static void evict_oldest(struct ctl *c)
{
	struct ctl_client *cl = c->clients;

	if (!cl)
		return;
	while (cl->next)
		cl = cl->next;
	reply_str(cl->fd, -ETIMEDOUT, "dropped: too many control connections");
	client_close(cl);
}

static void on_accept(int lfd, uint32_t events, void *arg)
{
	struct ctl *c = arg;

	for (;;) {
		struct ctl_client *cl;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				shed(c);
			return;
		}
		if (c->nclients >= CTL_MAX_CLIENTS)
			evict_oldest(c);
		cl = malloc(sizeof(*cl));
		if (!cl) {
			reply_str(fd, -EBUSY, "too many control connections");
			close(fd);
			continue;
		}
		cl->c = c;
		cl->fd = fd;
		cl->have = 0;
		if (c->loop && loop_add(c->loop, fd, EPOLLIN, on_client, cl) < 0) {
			close(fd);
			free(cl);
			continue;
		}
		cl->next = c->clients;
		c->clients = cl;
		c->nclients++;
	}
}

/* mkdir -p of the socket's directory (0755). */
static int mkdir_parents(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A socket file left by a dead daemon is removed; a live one is refused. */
static int clear_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;
	int ret;

	if (fd < 0)
		return ctl_fail(err, errlen, -errno, "socket: %s", strerror(errno));
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (ret == 0)
		return ctl_fail(err, errlen, -EADDRINUSE,
				"another ufoud is answering on %s", sa->sun_path);
	if (lstat(sa->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return ctl_fail(err, errlen, -EEXIST, "%s exists and is not a socket",
				sa->sun_path);
	if (unlink(sa->sun_path) < 0)
		return ctl_fail(err, errlen, -errno, "cannot remove stale %s: %s", sa->sun_path,
				strerror(errno));
	return 0;
}

int ctl_sock_open(struct ctl *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int ret;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return ctl_fail(err, errlen, -ENAMETOOLONG, "socket path \"%s\" too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = mkdir_parents(path);
	if (ret)
		return ctl_fail(err, errlen, ret, "cannot create the directory of %s: %s", path,
				strerror(-ret));
	ret = clear_stale(&sa, err, errlen);
	if (ret)
		return ret;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return ctl_fail(err, errlen, -errno, "socket: %s", strerror(errno));
	old = umask(077);
	ret = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0) {
		ret = ctl_fail(err, errlen, -errno, "bind %s: %s", path, strerror(errno));
		goto close_fd;
	}
	c->sock_path = strdup(path);
	if (!c->sock_path || chmod(path, 0600) < 0 || listen(c->lfd, 16) < 0) {
		ret = ctl_fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
		goto unlink_path;
	}
	if (c->loop) {
		ret = loop_add(c->loop, c->lfd, EPOLLIN, on_accept, c);
		if (ret < 0) {
			ctl_fail(err, errlen, ret, "cannot watch %s: %s", path, strerror(-ret));
			goto unlink_path;
		}
	}
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;

unlink_path:
	unlink(path);
	free(c->sock_path);
	c->sock_path = NULL;
close_fd:
	close(c->lfd);
	c->lfd = -1;
	return ret;
}

void ctl_sock_close(struct ctl *c)
{
	while (c->clients)
		client_close(c->clients);
	if (c->lfd >= 0) {
		if (c->loop)
			loop_del(c->loop, c->lfd);
		close(c->lfd);
		c->lfd = -1;
	}
	if (c->sock_path) {
		unlink(c->sock_path);
		free(c->sock_path);
		c->sock_path = NULL;
	}
	if (c->spare_fd >= 0) {
		close(c->spare_fd);
		c->spare_fd = -1;
	}
}
