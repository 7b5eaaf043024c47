// SPDX-License-Identifier: GPL-2.0
/*
 * ufoud: the userspace FOU/GUE tunnel daemon. Always in the foreground,
 * logging to stderr.
 *
 *   ufoud [-c FILE] [-n] [-S PATH] [-G] [-t N] [-u USER] [-g GROUP] [-r GROUP] [-v] [-f]
 *
 * -c applies a file of ufou commands before the control socket serves
 * anyone; -n only checks that file; -S names the control socket.
 * SIGTERM/SIGINT remove every link and port (TUN devices disappear) and exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "control/ctl.h"
#include "daemon/loop.h"
#include "daemon/priv.h"
#include "dataplane/dp.h"
#include "dataplane/dplog.h"

struct opts {
	const char *conf;
	const char *sock;
	bool check_only;
	const char *user, *admin_group, *ro_group;   /* -u, -g, -r (priv.h, ctl.h) */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: ufoud [-c FILE] [-n] [-S PATH] [-D auto|bpf|tun] [-G] [-t N] [-b USEC]\n"
		   "             [-u USER] [-g GROUP] [-r GROUP] [-v] [-f] [-h]\n"
		   "  -c FILE  apply a file of ufou commands at start\n"
		   "  -n       only check the file given with -c, then exit\n"
		   "  -S PATH  control socket (default " UF_CTL_DEFAULT_SOCK ")\n"
		   "  -D PATH  data path: auto (default: the eBPF fast path where it\n"
		   "           loads, else the TUN path), bpf (the fast path or fail),\n"
		   "           tun (TUN devices and sockets only; outer packets then\n"
		   "           pass the host's netfilter)\n"
		   "  -G       UDP GSO also on links without encap-csum (their outer\n"
		   "           UDP checksum is then valid instead of zero)\n"
		   "  -t N     data-plane worker threads (default: one per CPU)\n"
		   "  -b USEC  workers keep polling USEC microseconds after traffic\n"
		   "           before they sleep: lower latency, more CPU (default 0)\n"
		   "  -u USER  run as USER (from set-up on), keeping after set-up\n"
		   "           only CAP_NET_ADMIN, CAP_NET_RAW (and CAP_BPF for the fast\n"
		   "           path); as root the same capabilities are kept\n"
		   "  -g GROUP members of GROUP may change the configuration (root always)\n"
		   "  -r GROUP members of GROUP may only show it; with -g or -r the\n"
		   "           socket is mode 0666 and each peer's credentials decide\n"
		   "  -v       more log output\n"
		   "  -f       stay in the foreground (always the case)\n"
		   "  -h       print this help and exit\n");
}

/* A decimal number in [min, max] from option -opt, or -1 with a message naming it. */
static long parse_num(int opt, const char *s, long min, long max, const char *what)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || n < min || n > max) {
		fprintf(stderr, "ufoud: -%c: \"%s\" is not %s (%ld..%ld)\n", opt, s, what, min, max);
		return -1;
	}
	return n;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	long n;
	int c;

	o->sock = UF_CTL_DEFAULT_SOCK;
	while ((c = getopt(argc, argv, "c:nS:D:Gt:b:u:g:r:vfh")) != -1) {
		switch (c) {
		case 'c':
			o->conf = optarg;
			break;
		case 'n':
			o->check_only = true;
			break;
		case 'S':
			o->sock = optarg;
			break;
		case 'D':
			if (!strcmp(optarg, "auto")) {
				dp_datapath = DP_PATH_AUTO;
			} else if (!strcmp(optarg, "bpf")) {
				dp_datapath = DP_PATH_BPF;
			} else if (!strcmp(optarg, "tun")) {
				dp_datapath = DP_PATH_TUN;
			} else {
				fprintf(stderr, "ufoud: -D: \"%s\" is not a data path (auto, bpf, tun)\n",
					optarg);
				return -1;
			}
			break;
		case 'G':
			dp_gso_csum = true;
			break;
		case 't':
			n = parse_num(c, optarg, 1, 64, "a number of worker threads");
			if (n < 0)
				return -1;
			dp_nworkers = (int)n;
			break;
		case 'b':
			n = parse_num(c, optarg, 0, 1000000, "a time in microseconds");
			if (n < 0)
				return -1;
			dp_spin_usec = (unsigned int)n;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'g':
			o->admin_group = optarg;
			break;
		case 'r':
			o->ro_group = optarg;
			break;
		case 'v':
			dp_verbose++;
			break;
		case 'f':
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* -n: validate the file against an empty configuration, no data plane. */
static int check_file(const struct opts *o)
{
	char err[256] = "";
	struct ctl *c;
	int ret;

	if (!o->conf) {
		dp_log("-n needs -c FILE");
		return 1;
	}
	c = ctl_new(NULL, NULL, NULL, err, sizeof(err));
	if (!c) {
		dp_log("%s", err);
		return 1;
	}
	ret = ctl_exec_file(c, o->conf, stderr);
	ctl_free(c, false);
	if (ret == 0)
		dp_log("%s: configuration ok", o->conf);
	return ret ? 1 : 0;
}

static void signal_cb(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	struct loop *l = arg;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			dp_debug("signal %u: shutting down", si.ssi_signo);
			loop_stop(l);
		}
	}
}

/* SIGTERM/SIGINT arrive through a signalfd in the loop; SIGPIPE is ignored. */
static int signals_setup(struct loop *l)
{
	sigset_t set;
	int fd, e;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = loop_add(l, fd, EPOLLIN, signal_cb, l);
	if (e) {
		close(fd);
		return e;
	}
	return fd;
}

static int run(const struct opts *o)
{
	struct loop *l = loop_new();
	struct ctl *c = NULL;
	struct dp *dp = NULL;
	char err[256] = "";
	int ret = 1, sfd = -1, e;

	if (!l) {
		dp_log("event loop: %s", strerror(errno));
		return 1;
	}
	sfd = signals_setup(l);
	if (sfd < 0) {
		dp_log("signals: %s", strerror(-sfd));
		goto out;
	}
	if (o->user && priv_become(o->user, err, sizeof(err)) < 0) {
		dp_log("%s", err);
		goto out;
	}
	dp = dp_new(l);
	if (!dp) {
		dp_log("data plane: could not start (see above)");
		goto out;
	}
	/* The socket listens at once, but nobody is served before the file applied. */
	c = ctl_new(l, dp, o->sock, err, sizeof(err));
	if (!c) {
		dp_log("%s", err);
		goto out;
	}
	if (o->conf && ctl_exec_file(c, o->conf, stderr) != 0)
		goto out;
	if (ctl_set_access(c, o->admin_group, o->ro_group, err, sizeof(err)) < 0 ||
	    priv_drop(dp_fast_path(dp), err, sizeof(err)) < 0) {
		dp_log("%s", err);
		goto out;
	}
	dp_log("ready");
	e = loop_run(l);
	if (e) {
		dp_log("event loop: %s", strerror(-e));
		goto out;
	}
	ret = 0;
out:
	if (c)
		ctl_free(c, true);
	dp_free(dp);
	if (sfd >= 0) {
		loop_del(l, sfd);
		close(sfd);
	}
	loop_free(l);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (o.check_only)
		return check_file(&o);
	return run(&o);
}
