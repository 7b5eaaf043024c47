// SPDX-License-Identifier: GPL-2.0
/*
 * ufou: the command-line front end. Speaks iproute2's grammar:
 *
 *   ufou [ -s[tatistics] ] [ -j[son] ] [ -p[retty] ] [ -S PATH ] OBJECT COMMAND ...
 *
 * Every command is parsed (and, for add, checked) locally first, so misuse
 * gets its exact message without a daemon; then it goes to ufoud over the
 * control socket. Exit status: 0 ok, 1 command error, 2 usage error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/decode.h"
#include "common/ctlproto.h"
#include "common/grammar.h"
#include "control/ctl.h"

#ifndef UFOU_VERSION
#define UFOU_VERSION "0.1"
#endif

struct gopts {
	int stats;
	bool json, pretty, six, prom, details;
	const char *sock;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ufou [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       ufou decode [ --fou PORT:IPPROTO ]... [ --gue PORT ]... [ -j ] FILE.pcap\n"
		"       ufou [ -S PATH ] --prometheus [ fou show | link show [ NAME ] ]\n"
		"       ufou help\n"
		"where  OBJECT := { fou | link }\n"
		"       OPTIONS := { -s[tatistics] (repeat for more) | -d[etails] | -j[son] | -p[retty] |\n"
		"                    -4 | -6 | -S PATH (default %s) | -V[ersion] | -h[elp] }\n\n",
		UF_CTL_DEFAULT_SOCK);
	gr_usage(f, GR_OBJ_NONE);
}

static bool opt_is(const char *a, const char *shortw, const char *longw)
{
	return !strcmp(a, shortw) || !strcmp(a, longw) || (a[0] == '-' && !strcmp(a + 1, longw));
}

/* Single-letter clusters such as -sj or -ss. */
static bool opt_cluster(const char *a, struct gopts *o)
{
	for (const char *p = a + 1; *p; p++)
		if (!strchr("sjpd", *p))
			return false;
	for (const char *p = a + 1; *p; p++) {
		if (*p == 's')
			o->stats++;
		else if (*p == 'j')
			o->json = true;
		else if (*p == 'd')
			o->details = true;
		else
			o->pretty = true;
	}
	return a[1] != 0;
}

/* Returns the index of the first non-option word, or -1 (exit with *rc). */
static int parse_globals(int argc, char **argv, struct gopts *o, int *rc)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (opt_is(a, "-s", "-statistics") || !strcmp(a, "-stats")) {
			o->stats++;
		} else if (opt_is(a, "-d", "-details")) {
			o->details = true;
		} else if (opt_is(a, "-j", "-json")) {
			o->json = true;
		} else if (opt_is(a, "-p", "-pretty")) {
			o->pretty = true;
		} else if (!strcmp(a, "--prometheus") || !strcmp(a, "-prometheus")) {
			o->prom = true;
		} else if (!strcmp(a, "-6")) {
			o->six = true;
		} else if (!strcmp(a, "-4")) {
			o->six = false;
		} else if (!strcmp(a, "-S") || !strcmp(a, "--socket")) {
			if (++i >= argc) {
				fprintf(stderr, "Error: missing value for \"-S\" (PATH)\n");
				*rc = 2;
				return -1;
			}
			o->sock = argv[i];
		} else if (opt_is(a, "-V", "-Version") || !strcmp(a, "--version")) {
			printf("ufou %s\n", UFOU_VERSION);
			*rc = 0;
			return -1;
		} else if (opt_is(a, "-h", "-help") || !strcmp(a, "--help")) {
			usage(stdout);
			*rc = 0;
			return -1;
		} else if (!opt_cluster(a, o)) {
			fprintf(stderr, "Error: unknown option \"%s\"; try \"ufou help\"\n", a);
			*rc = 2;
			return -1;
		}
	}
	return i;
}

/* Local checks of what can be checked without the daemon's state. */
static int check_local(const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_link_conf l;

	if (cmd->obj == GR_OBJ_FOU && (cmd->act == GR_ADD || cmd->act == GR_DEL))
		return gr_check_port(cmd, &cmd->port, cmd->act == GR_ADD, err, errlen);
	if (cmd->obj == GR_OBJ_LINK && cmd->act == GR_ADD) {
		l = cmd->link;
		uf_link_conf_defaults(&l);
		return gr_check_link(cmd, &l, err, errlen);
	}
	return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one reply frame into a malloc'd buffer; its length or -errno. */
static ssize_t read_reply(int fd, uint8_t **out)
{
	size_t have = 0, cap = 4096;
	uint8_t *buf = malloc(cap);
	ssize_t need = 0;

	while (buf) {
		ssize_t n;

		need = ctlp_frame_len(buf, have, CTLP_REP_HDR, CTLP_MAX_REPLY);
		if (need < 0)
			break;
		if (need > 0 && have >= (size_t)need)
			break;
		if (need > 0 && (size_t)need > cap) {
			uint8_t *nb = realloc(buf, (size_t)need);

			if (!nb) {
				need = -ENOMEM;
				break;
			}
			buf = nb;
			cap = (size_t)need;
		}
		n = read(fd, buf + have, (need > 0 ? (size_t)need : CTLP_PREFIX) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			need = n < 0 ? -errno : -ECONNRESET;
			break;
		}
		have += (size_t)n;
	}
	if (!buf)
		return -ENOMEM;
	if (need < 0)
		free(buf);
	else
		*out = buf;
	return need;
}

static int talk(const struct gopts *o, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
	uint8_t *req, *rep = NULL;
	const char *text;
	size_t textlen;
	ssize_t n;
	int fd, err, rc = 1;

	if (strlen(o->sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ufou: socket path \"%s\" too long\n", o->sock);
		return 2;
	}
	memcpy(sa.sun_path, o->sock, strlen(o->sock) + 1);
	req = malloc(CTLP_MAX_REQ);
	if (!req)
		return 1;
	n = ctlp_req_encode(req, CTLP_MAX_REQ,
			    (o->json ? CTLP_F_JSON : 0) | (o->pretty ? CTLP_F_PRETTY : 0) |
			    (o->prom ? CTLP_F_PROM : 0) | (o->details ? CTLP_F_DETAILS : 0),
			    (uint8_t)(o->stats > 255 ? 255 : o->stats), argc, argv);
	if (n < 0) {
		fprintf(stderr, "Error: command too long (%s)\n", strerror((int)-n));
		free(req);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ufou: cannot connect to ufoud at %s: %s (is ufoud running?)\n",
			o->sock, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write_all(fd, req, (size_t)n) < 0) {
		fprintf(stderr, "ufou: cannot send to ufoud at %s: %s\n", o->sock, strerror(errno));
		goto out;
	}
	n = read_reply(fd, &rep);
	if (n < 0 || ctlp_rep_decode(rep, (size_t)n, &err, &text, &textlen) < 0) {
		fprintf(stderr, "ufou: bad reply from ufoud at %s: %s\n", o->sock,
			n < 0 ? strerror((int)-n) : "malformed");
		goto out;
	}
	if (err) {
		fprintf(stderr, "Error: %.*s\n", (int)textlen, text);
		goto out;
	}
	fwrite(text, 1, textlen, stdout);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	free(rep);
	free(req);
	return rc;
}

static int run(const struct gopts *o, int argc, char **argv)
{
	char err[1024];
	struct gr_cmd cmd;
	char **words = argv;
	int rc;

	if (gr_parse(argc, argv, &cmd, err, sizeof(err)) < 0) {
		fprintf(stderr, "Error: %s\n", err);
		return 2;
	}
	if (cmd.act == GR_HELP) {
		if (cmd.obj == GR_OBJ_NONE)
			usage(stdout);
		else
			gr_usage(stdout, cmd.obj);
		return 0;
	}
	/* global -6 for fou add/del, as `ip -6 fou add` */
	if (o->six && cmd.obj == GR_OBJ_FOU && cmd.act != GR_SHOW &&
	    !(cmd.port.has & UF_PORT_HAS_FAMILY)) {
		words = calloc((size_t)argc + 2, sizeof(*words));
		if (!words)
			return 1;
		memcpy(words, argv, (size_t)argc * sizeof(*words));
		words[argc++] = (char *)"-6";
		if (gr_parse(argc, words, &cmd, err, sizeof(err)) < 0) {
			fprintf(stderr, "Error: %s\n", err);
			free(words);
			return 2;
		}
	}
	if (check_local(&cmd, err, sizeof(err)) < 0) {
		fprintf(stderr, "Error: %s\n", err);
		rc = 1;
	} else {
		rc = talk(o, argc, words);
	}
	if (words != argv)
		free(words);
	return rc;
}

/*
 * Completion (contrib/bash-completion/ufou): `ufou __complete WORD... CUR`
 * prints, one a line, the candidates for CUR after the WORDs (the command
 * line without the program name); the shell filters them by CUR's prefix.
 * Everything after the options comes from the grammar tables. "@link",
 * "@ifname" and "@file" ask the shell for what only it can list cheaply.
 */
static const char *const opt_words[] = { "-s", "-d", "-j", "-p", "-4", "-6", "-S", "-V", "-h" };
static const char *const decode_opts[] = { "--fou", "--gue", "-j", "--json", "-h", "--help" };

static void put_word(const char *w, void *arg)
{
	puts(w);
}

static void put_wants(unsigned int want)
{
	if (want & GR_WANT_LINK)
		puts("@link");
	if (want & GR_WANT_IFNAME)
		puts("@ifname");
}

/* ufou decode [ --fou PORT:IPPROTO ]... [ --gue PORT ]... [ -j ] FILE.pcap */
static int complete_decode(int n, char **w)
{
	const char *prev = n >= 2 ? w[n - 2] : "";

	if (!strcmp(prev, "--fou") || !strcmp(prev, "--gue"))
		return 0;
	if (w[n - 1][0] == '-') {
		for (size_t i = 0; i < sizeof(decode_opts) / sizeof(decode_opts[0]); i++)
			puts(decode_opts[i]);
	} else {
		puts("@file");
	}
	return 0;
}

static int complete_main(int n, char **w)
{
	int i = 0;

	if (n < 1)
		return 2;
	/* Skip the global options; -S takes a value. */
	while (i < n - 1 && w[i][0] == '-') {
		if (!strcmp(w[i], "-S") || !strcmp(w[i], "--socket")) {
			if (i + 1 == n - 1) {
				puts("@file");
				return 0;
			}
			i++;
		}
		i++;
	}
	if (i == n - 1 && w[i][0] == '-') {
		for (size_t k = 0; k < sizeof(opt_words) / sizeof(opt_words[0]); k++)
			puts(opt_words[k]);
		return 0;
	}
	if (i < n - 1 && !strcmp(w[i], "decode"))
		return complete_decode(n - i - 1, w + i + 1);
	put_wants(gr_complete(n - 1 - i, w + i, put_word, NULL));
	return 0;
}

int main(int argc, char **argv)
{
	struct gopts o = { .sock = UF_CTL_DEFAULT_SOCK };
	int rc = 2, i;

	if (argc >= 2 && !strcmp(argv[1], "__complete"))
		return complete_main(argc - 2, argv + 2);
	i = parse_globals(argc, argv, &o, &rc);
	if (i < 0)
		return rc;
	if (o.prom && o.json) {
		fprintf(stderr, "Error: --prometheus and -j are two output formats; pick one\n");
		return 2;
	}
	/* ufou --prometheus alone: links and ports, one scrape. */
	if (o.prom && i >= argc)
		return talk(&o, 0, argv + i);
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "decode"))
		return decode_main(argc - i, argv + i);
	return run(&o, argc - i, argv + i);
}
