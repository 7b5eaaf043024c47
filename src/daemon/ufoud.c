// SPDX-License-Identifier: GPL-2.0
/*
 * ufoud: the userspace FOU/GUE tunnel daemon. Always in the foreground,
 * logging to stderr.
 *
 *   ufoud [-c FILE] [-s FILE|none] [-k] [-n] [-S PATH] [-G] [-t N] [-u USER] [-g GROUP]
 *         [-r GROUP] [-v] [-f]
 *
 * -c applies a file of ufou commands before the control socket serves
 * anyone, then the state file (-s) of what ufou changed is applied over
 * it; -n only checks the -c file; -S names the control socket.
 * SIGTERM/SIGINT remove every link and port (TUN devices disappear) and
 * exit 0; with -k the devices and fast-path filters stay for the next
 * ufoud, which takes them over (an upgrade or restart without a drop).
 * SIGUSR1 is the way out that removes them even under -k: systemd cannot
 * tell ufoud whether a SIGTERM is a stop or half a restart, so the unit
 * keeps (-k, restarts and upgrades drop nothing) and taking the tunnels
 * down is asked for by name (package removal, `systemctl kill -s USR1`).
 * SIGHUP applies the -c file again (ctl_reload_file: what it changed, only).
 * Under systemd (Type=notify) the state goes to $NOTIFY_SOCKET: READY=1 once
 * the files are applied, RELOADING=1 then READY=1 around a reload, STOPPING=1,
 * and STATUS= with the counts of links and ports.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/ctl.h"
#include "daemon/loop.h"
#include "daemon/notify.h"
#include "daemon/priv.h"
#include "dataplane/dp.h"
#include "dataplane/dplog.h"

#ifndef UFOU_VERSION
#define UFOU_VERSION "unknown"
#endif

struct opts {
	const char *conf;
	const char *sock;
	const char *state;         /* NULL: -s none */
	bool check_only;
	bool keep;
	const char *user, *admin_group, *ro_group;   /* -u, -g, -r (priv.h, ctl.h) */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: ufoud [-c FILE] [-s FILE|none] [-k] [-n] [-S PATH] [-D auto|bpf|tun] [-G]\n"
		   "             [-t N] [-b USEC] [-u USER] [-g GROUP] [-r GROUP] [-v] [-f] [-h] [-V]\n"
		   "  -c FILE  apply a file of ufou commands at start\n"
		   "  -s FILE  state file: every ufou change is written there and\n"
		   "           applied at start after -c (default " UF_CTL_DEFAULT_STATE ");\n"
		   "           none: changes are not kept (--state)\n"
		   "  -k       SIGTERM leaves the tunnel devices and the fast path in\n"
		   "           place for the next ufoud to take over (--keep);\n"
		   "           SIGUSR1 exits removing them, with or without -k\n"
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
		   "  -h       print this help and exit\n"
		   "  -V       print the version and exit\n");
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

static const struct option long_opts[] = {
	{ "state", required_argument, NULL, 's' },
	{ "keep", no_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	long n;
	int c;

	o->sock = UF_CTL_DEFAULT_SOCK;
	o->state = UF_CTL_DEFAULT_STATE;
	while ((c = getopt_long(argc, argv, "c:s:knS:D:Gt:b:u:g:r:vfhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->conf = optarg;
			break;
		case 's':
			o->state = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case 'k':
			o->keep = true;
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
		case 'V':
			printf("ufoud %s\n", UFOU_VERSION);
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
		dp_err("-n needs -c FILE");
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

struct daemon {
	const struct opts *o;
	struct loop *l;
	struct ctl *c;
	bool remove; /* SIGUSR1: tunnels go, -k or not */
};

/* A failed notification is logged, never fatal: the tunnels matter more. */
static void notify(const char *state)
{
	char err[256];

	if (notify_send(state, err, sizeof(err)))
		dp_warn("%s", err);
}

static void notify_ready(struct ctl *c)
{
	char status[96], msg[128];
	size_t nl, np;

	ctl_counts(c, &nl, &np);
	snprintf(status, sizeof(status), "%zu link%s, %zu port%s", nl, nl == 1 ? "" : "s", np,
		 np == 1 ? "" : "s");
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify(msg);
	dp_log("ready: %s", status);
}

enum apply { RESTORE, RELOAD };

/*
 * Applies the -c file and the state file at start (RESTORE), or the -c file
 * again (RELOAD); the report lines go to the log as errors when it failed,
 * so the journal files "FILE:LINE: ..." as one.
 */
static int report(struct ctl *c, const struct opts *o, enum apply what)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f) {
		ret = -errno;
		dp_err("%s: %s", o->conf ? o->conf : "configuration", strerror(-ret));
		return ret;
	}
	ret = what == RELOAD ? ctl_reload_file(c, o->conf, f) :
			       ctl_restore(c, o->conf, o->state, f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		dp_logp(ret ? DP_ERR : DP_INFO, "%s", line);
	free(buf);
	return ret;
}

/* SIGHUP: without -c there is nothing to re-read; a bad file keeps what runs. */
static void reload(struct daemon *d)
{
	char err[256];

	if (!d->o->conf) {
		dp_warn("SIGHUP: no configuration file (-c) to reload");
		return;
	}
	if (notify_reloading(err, sizeof(err)))
		dp_warn("%s", err);
	/* Whatever the outcome (report() logged it), systemd waits for READY=1. */
	report(d->c, d->o, RELOAD);
	notify_ready(d->c);
}

static void signal_cb(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	struct daemon *d = arg;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT ||
		    si.ssi_signo == SIGUSR1) {
			d->remove |= si.ssi_signo == SIGUSR1;
			dp_log("signal %u: shutting down%s", si.ssi_signo,
			       d->remove ? ", removing the tunnels" : "");
			notify("STOPPING=1");
			loop_stop(d->l);
		} else if (si.ssi_signo == SIGHUP) {
			reload(d);
		}
	}
}

/* SIGTERM/SIGINT/SIGUSR1/SIGHUP arrive through a signalfd in the loop; SIGPIPE is ignored. */
static int signals_setup(struct daemon *d)
{
	sigset_t set;
	int fd, e;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = loop_add(d->l, fd, EPOLLIN, signal_cb, d);
	if (e) {
		close(fd);
		return e;
	}
	return fd;
}

/* The directory of the state file -s names, in dir ("." for a bare name). */
static void state_dir(const char *state, char *dir, size_t len)
{
	char *slash;

	snprintf(dir, len, "%s", state);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
}

/*
 * -c, then the state file; devices a previous ufoud left (kill -9, -k) are
 * taken over rather than refused, and the fast path replaces its programs
 * only once the maps hold every restored link.
 */
static int restore(const struct opts *o, struct ctl *c, struct dp *dp)
{
	char dir[4096];
	int e;

	if (o->state) {
		/* The default directory may not exist yet; a failure shows at the first write. */
		state_dir(o->state, dir, sizeof(dir));
		(void)mkdir(dir, 0700);
	}
	dp_adopt(dp, true);
	e = report(c, o, RESTORE);
	dp_adopt(dp, false);
	if (e == 0)
		dp_start(dp);
	return e;
}

/*
 * After the privilege drop to -u USER: every later ufou change rewrites the
 * state file, so a directory that user may not write would refuse them
 * all. Say so once, at start, rather than on every command.
 */
static int state_dir_check(const struct opts *o, char *err, size_t errlen)
{
	char dir[4096];

	if (!o->state)
		return 0;
	state_dir(o->state, dir, sizeof(dir));
	/*
	 * Only a user's missing permission: a read-only or full disk is for
	 * each change to report (and may come and go), as the state file says.
	 */
	if (!o->user || faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0 || errno != EACCES)
		return 0;
	snprintf(err, errlen, "state file \"%.100s\": its directory is not writable by uid %u "
		 "(%.24s): give it to that user, -s elsewhere or -s none", o->state,
		 (unsigned int)geteuid(), strerror(errno));
	return -1;
}

static int run(const struct opts *o)
{
	struct loop *l = loop_new();
	struct ctl *c = NULL;
	struct dp *dp = NULL;
	char err[256] = "";
	struct daemon d = { .o = o, .l = l };
	int ret = 1, sfd = -1, e;
	bool keep = o->keep;

	if (!l) {
		dp_err("event loop: %s", strerror(errno));
		return 1;
	}
	sfd = signals_setup(&d);
	if (sfd < 0) {
		dp_err("signals: %s", strerror(-sfd));
		goto out;
	}
	if (o->user && priv_become(o->user, err, sizeof(err)) < 0) {
		dp_log("%s", err);
		goto out;
	}
	dp = dp_new(l);
	if (!dp) {
		dp_err("data plane: could not start (see above)");
		goto out;
	}
	/* The socket listens at once, but nobody is served before the file applied. */
	c = ctl_new(l, dp, o->sock, err, sizeof(err));
	if (!c) {
		dp_err("%s", err);
		goto out;
	}
	d.c = c;
	if (restore(o, c, dp) != 0) {
		/* Devices a half-done restore adopted keep their addresses for the next try. */
		keep = true;
		goto out;
	}
	if (ctl_set_access(c, o->admin_group, o->ro_group, err, sizeof(err)) < 0 ||
	    priv_drop(dp_fast_path(dp), err, sizeof(err)) < 0 ||
	    state_dir_check(o, err, sizeof(err)) < 0) {
		dp_err("%s", err);
		goto out;
	}
	notify_ready(c);
	e = loop_run(l);
	if (e) {
		dp_err("event loop: %s", strerror(-e));
		goto out;
	}
	ret = 0;
	keep = keep && !d.remove;
out:
	if (keep && dp) {
		dp_keep(dp);
		dp_log("tunnel devices and fast path left for the next ufoud%s",
		       o->keep ? " (-k)" : "");
	}
	if (c)
		ctl_free(c, !keep);
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

	dp_log_init();
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (o.check_only)
		return check_file(&o);
	return run(&o);
}
