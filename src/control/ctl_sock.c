// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a SOCK_STREAM Unix socket, mode 0600 (bound under
 * umask 077; 0666 once access groups are set, the daemon then decides from
 * the peer's credentials, ctl_access.h), one size-checked request per
 * connection (ctlproto.h), one reply, close. Non-blocking accept, reads and
 * writes from the event loop; a bad or oversized request gets an error reply
 * and the daemon keeps serving.
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
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ctlproto.h"
#include "common/grammar.h"
#include "control/ctl_int.h"
#include "daemon/loop.h"

/*
 * Limits that keep a client from stalling the daemon: each has
 * CTL_DEADLINE_MS to send its request and as long again to take the reply
 * (both non-blocking), at most CTLP_MAX_REQ bytes are buffered (and only
 * once the length prefix announced them), and at most CTL_MAX_CLIENTS are
 * held at once (the longest-waiting is dropped for a new one). One accept
 * round takes CTL_ACCEPT_BATCH connections, so the loop goes back to read
 * the requests already accepted before a flood of connects can push them
 * out.
 */
#define CTL_MAX_CLIENTS 256
#define CTL_DEADLINE_MS 2000
#define CTL_ACCEPT_BATCH 16

struct ctl_client {
	struct ctl *c;
	int fd;
	enum ctl_level level;
	uid_t uid;
	uint64_t deadline;            /* CLOCK_MONOTONIC ns */
	uint8_t hdr[CTLP_PREFIX];
	uint8_t *buf;                 /* the request once its length is known */
	size_t have, need;
	uint8_t *out;                 /* the encoded reply being sent */
	size_t outlen, outoff;
	struct ctl_client *next;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

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
	free(cl->buf);
	free(cl->out);
	free(cl);
}

/* The timer fires at the earliest deadline of any client (never while none waits). */
static void timer_arm(struct ctl *c, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (c->tfd < 0 || (c->timer_at && c->timer_at <= at))
		return;
	its.it_value.tv_sec = (time_t)(at / 1000000000u);
	its.it_value.tv_nsec = (long)(at % 1000000000u);
	if (timerfd_settime(c->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		c->timer_at = at;
}

static void client_deadline(struct ctl_client *cl)
{
	cl->deadline = now_ns() + (uint64_t)CTL_DEADLINE_MS * 1000000u;
	timer_arm(cl->c, cl->deadline);
}

/* Sends what the socket takes now: 1 when all is sent, 0 for more later, -1 on error. */
static int client_flush(struct ctl_client *cl)
{
	while (cl->outoff < cl->outlen) {
		ssize_t n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		cl->outoff += (size_t)n;
	}
	return 1;
}

static void on_client_out(int fd, uint32_t events, void *arg)
{
	struct ctl_client *cl = arg;

	if (client_flush(cl) != 0)
		client_close(cl);
}

/*
 * A client about to be dropped is told why when its socket takes the few
 * bytes at once: one non-blocking send, no retry, nothing if a reply is
 * already on its way.
 */
static void notice(struct ctl_client *cl, int ret, const char *msg)
{
	uint8_t buf[CTLP_REP_HDR + 96];
	size_t len = strlen(msg);
	ssize_t n;

	if (cl->out)
		return;
	n = ctlp_rep_encode(buf, sizeof(buf), ret, msg, len < 96 ? len : 96);
	if (n > 0 && send(cl->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return;
}

/* Queues the reply and sends it without blocking; the client is closed once it is out. */
static void reply(struct ctl_client *cl, int ret, const char *text, size_t len)
{
	ssize_t n;
	int sent;

	if (len > CTLP_MAX_REPLY - CTLP_REP_HDR) {
		ret = -EMSGSIZE;
		text = "output too large";
		len = strlen(text);
	}
	cl->out = malloc(CTLP_REP_HDR + len);
	n = cl->out ? ctlp_rep_encode(cl->out, CTLP_REP_HDR + len, ret, text, len) : -ENOMEM;
	cl->outlen = n > 0 ? (size_t)n : 0;
	sent = n > 0 ? client_flush(cl) : -1;
	/* The rest when the peer reads, within a new deadline. */
	if (sent != 0 || !cl->c->loop || loop_del(cl->c->loop, cl->fd) < 0 ||
	    loop_add(cl->c->loop, cl->fd, EPOLLOUT, on_client_out, cl) < 0) {
		client_close(cl);
		return;
	}
	client_deadline(cl);
}

static void reply_str(struct ctl_client *cl, int ret, const char *msg)
{
	reply(cl, ret, msg, strlen(msg));
}

/* Whether the request only reads (show, help, the Prometheus counters). */
static bool req_readonly(const struct ctlp_req *req, char *what, size_t len)
{
	struct gr_cmd cmd;
	char err[256];

	snprintf(what, len, "%s%s%s", req->argc > 0 ? req->argv[0] : "",
		 req->argc > 1 ? " " : "", req->argc > 1 ? req->argv[1] : "");
	if (req->flags & CTLP_F_PROM)
		return true;
	/* What does not parse changes nothing either; the parser says why. */
	if (gr_parse(req->argc, req->argv, &cmd, err, sizeof(err)) < 0)
		return true;
	return cmd.act == GR_SHOW || cmd.act == GR_HELP;
}

static int run_req(struct ctl_client *cl, struct ctlp_req *req, FILE *f, char *err,
		   size_t errlen)
{
	struct ctl_peer peer = { .uid = cl->uid };
	char what[128];
	bool ro = req_readonly(req, what, sizeof(what));
	int ret = ctl_access_check(&cl->c->access, &peer, cl->level, ro, what, err, errlen);

	if (ret)
		return ret;
	if (req->flags & CTLP_F_PROM)
		return ctl_prom(cl->c, req->argc, req->argv, f, err, errlen);
	return ctl_exec_opts(cl->c, req->argc, req->argv, req->flags, req->stats, f, err,
			     errlen);
}

static void serve(struct ctl_client *cl)
{
	struct ctlp_req req;
	char err[1024] = "";
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	int ret;

	ret = ctlp_req_decode(cl->buf, cl->need, &req);
	if (ret == -EPROTONOSUPPORT) {
		reply_str(cl, ret, "unsupported control protocol version");
		return;
	}
	if (ret) {
		reply_str(cl, ret, "malformed request");
		return;
	}
	f = open_memstream(&out, &outlen);
	if (!f) {
		reply_str(cl, -ENOMEM, "out of memory");
		return;
	}
	ret = run_req(cl, &req, f, err, sizeof(err));
	fclose(f);
	if (ret)
		reply_str(cl, ret, err[0] ? err : strerror(-ret));
	else
		reply(cl, 0, out ? out : "", out ? outlen : 0);
	free(out);
}

/* The length prefix is in: check it, then buffer exactly that frame. 0, or -1 once replied. */
static int client_frame(struct ctl_client *cl)
{
	ssize_t need = ctlp_frame_len(cl->hdr, CTLP_PREFIX, CTLP_REQ_HDR, CTLP_MAX_REQ);

	if (need < 0) {
		reply_str(cl, (int)need, need == -EMSGSIZE ? "request too large" : "malformed request");
		return -1;
	}
	cl->buf = malloc((size_t)need);
	if (!cl->buf) {
		reply_str(cl, -ENOMEM, "out of memory");
		return -1;
	}
	memcpy(cl->buf, cl->hdr, CTLP_PREFIX);
	cl->need = (size_t)need;
	return 0;
}

static void on_client(int fd, uint32_t events, void *arg)
{
	struct ctl_client *cl = arg;
	uint8_t *dst = cl->buf ? cl->buf + cl->have : cl->hdr + cl->have;
	size_t want = cl->buf ? cl->need - cl->have : CTLP_PREFIX - cl->have;
	ssize_t n = read(fd, dst, want);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->have += (size_t)n;
	if (!cl->buf && cl->have == CTLP_PREFIX && client_frame(cl) < 0)
		return;
	if (cl->buf && cl->have == cl->need)
		serve(cl);
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
	notice(cl, -EBUSY, "dropped: too many control connections");
	client_close(cl);
}

/* The clients past their deadline are dropped; the timer moves to the next one. */
static void on_timer(int fd, uint32_t events, void *arg)
{
	struct ctl *c = arg;
	uint64_t v, now = now_ns(), next = 0;
	struct ctl_client *cl, *nx;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	c->timer_at = 0;
	for (cl = c->clients; cl; cl = nx) {
		nx = cl->next;
		if (cl->deadline <= now) {
			notice(cl, -ETIMEDOUT, "dropped: no complete request within 2 s");
			client_close(cl);
		}
		else if (!next || cl->deadline < next)
			next = cl->deadline;
	}
	if (next)
		timer_arm(c, next);
}

static struct ctl_client *client_new(struct ctl *c, int fd)
{
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	struct ctl_peer peer;

	if (!cl)
		return NULL;
	cl->c = c;
	cl->fd = fd;
	/* No credentials, no access: the request still gets its refusal. */
	if (ctl_access_peer(fd, &peer) == 0) {
		cl->uid = peer.uid;
		cl->level = ctl_access_level(&c->access, &peer);
	} else {
		cl->uid = (uid_t)-1;
	}
	if (c->loop && loop_add(c->loop, fd, EPOLLIN, on_client, cl) < 0) {
		free(cl);
		return NULL;
	}
	cl->next = c->clients;
	c->clients = cl;
	c->nclients++;
	client_deadline(cl);
	return cl;
}

static void on_accept(int lfd, uint32_t events, void *arg)
{
	struct ctl *c = arg;

	for (int i = 0; i < CTL_ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				shed(c);
			return;
		}
		if (c->nclients >= CTL_MAX_CLIENTS)
			evict_oldest(c);
		if (!client_new(c, fd))
			close(fd);
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

/* The deadline timer, only with an event loop to watch it. */
static int timer_open(struct ctl *c)
{
	int e;

	if (!c->loop)
		return 0;
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->tfd < 0)
		return -errno;
	e = loop_add(c->loop, c->tfd, EPOLLIN, on_timer, c);
	if (e < 0) {
		close(c->tfd);
		c->tfd = -1;
	}
	return e;
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
	ret = timer_open(c);
	if (ret < 0) {
		ctl_fail(err, errlen, ret, "control socket timer: %s", strerror(-ret));
		goto unwatch;
	}
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;

unwatch:
	if (c->loop)
		loop_del(c->loop, c->lfd);
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
	if (c->tfd >= 0) {
		if (c->loop)
			loop_del(c->loop, c->tfd);
		close(c->tfd);
		c->tfd = -1;
	}
}

int ctl_set_access(struct ctl *c, const char *admin_group, const char *ro_group, char *err,
		   size_t errlen)
{
	struct ctl_access a = { 0 };
	int ret;

	if (admin_group) {
		ret = ctl_access_group(admin_group, &a.admin_gid, err, errlen);
		if (ret)
			return ret;
		a.has_admin = true;
		snprintf(a.admin_name, sizeof(a.admin_name), "%s", admin_group);
	}
	if (ro_group) {
		ret = ctl_access_group(ro_group, &a.ro_gid, err, errlen);
		if (ret)
			return ret;
		a.has_ro = true;
		snprintf(a.ro_name, sizeof(a.ro_name), "%s", ro_group);
	}
	/* Everyone may connect: the daemon decides, and says why it refuses. */
	if ((a.has_admin || a.has_ro) && c->sock_path && chmod(c->sock_path, 0666) < 0)
		return ctl_fail(err, errlen, -errno, "%s: %s", c->sock_path, strerror(errno));
	c->access = a;
	return 0;
}
