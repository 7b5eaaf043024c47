// SPDX-License-Identifier: GPL-2.0
/*
 * The state file: what `ufou` changed, so that a restarted ufoud comes back
 * with it. It is written in the -c file's grammar (the words `show` prints,
 * as `add` commands), so a person can read it and the one fuzzed parser
 * reads it back. Every change rewrites it whole and atomically: a temporary
 * file, fsync, rename, fsync of the directory; a crash leaves the old file
 * or the new one, never half of either.
 *
 * How it combines with -c FILE (the operator's declarative file): -c is
 * applied first, then the state file on top of it. A link or port in the
 * state replaces the one of the same name (identity) from -c, and what
 * was deleted at runtime from -c's set is recorded as a `del` line, so it
 * stays deleted. What -c gains later that the state does not name is added.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/grammar.h"
#include "common/print.h"
#include "control/ctl_int.h"

static const char state_header[] =
	"# ufoud state: the configuration as ufou left it, rewritten on every change.\n"
	"# Applied at start after ufoud -c FILE. Lines as in a -c file.\n";

/* `fou del` takes only the words that make a port's identity. */
static void print_port_del(FILE *f, const struct uf_port_conf *p)
{
	char buf[64];

	fprintf(f, "fou del port %u", p->port);
	if (p->family == 6)
		fprintf(f, " -6");
	if (p->has & UF_PORT_HAS_LOCAL)
		fprintf(f, " local %s", gr_addr_str(&p->local, buf, sizeof(buf)));
	if (p->has & UF_PORT_HAS_PEER)
		fprintf(f, " peer %s", gr_addr_str(&p->peer, buf, sizeof(buf)));
	if (p->has & UF_PORT_HAS_PEER_PORT)
		fprintf(f, " peer_port %u", p->peer_port);
	if (p->has & UF_PORT_HAS_DEV)
		fprintf(f, " dev %s", p->dev);
	fputc('\n', f);
}

static bool has_port(const struct uf_port_conf *v, size_t n, const struct uf_port_conf *p)
{
	for (size_t i = 0; i < n; i++)
		if (uf_port_same(&v[i], p))
			return true;
	return false;
}

static bool has_link(const struct uf_link_conf *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

/* What -c made and is gone now (or about to go: skip). */
static void print_tombstones(const struct ctl *c, FILE *f, const struct uf_link_conf *skip_link,
			     const struct uf_port_conf *skip_port)
{
	for (size_t i = 0; i < c->ncfg_links; i++) {
		const char *n = c->cfg_links[i].name;

		if (!has_link(c->links, c->nlinks, n) || (skip_link && !strcmp(skip_link->name, n)))
			fprintf(f, "link del %s\n", n);
	}
	for (size_t i = 0; i < c->ncfg_ports; i++) {
		const struct uf_port_conf *p = &c->cfg_ports[i];

		if (!has_port(c->ports, c->nports, p) || (skip_port && uf_port_same(skip_port, p)))
			print_port_del(f, p);
	}
}

void ctl_state_render(const struct ctl *c, FILE *f, const struct uf_link_conf *skip_link,
		      const struct uf_port_conf *skip_port)
{
	struct pr p;

	fputs(state_header, f);
	print_tombstones(c, f, skip_link, skip_port);
	pr_init(&p, f, false, false);
	for (size_t i = 0; i < c->nports; i++) {
		if (skip_port && uf_port_same(skip_port, &c->ports[i]))
			continue;
		pr_str(&p, PR_TEXT, NULL, "%s", "fou add");
		gr_print_port(&p, &c->ports[i]);
		pr_nl(&p);
	}
	for (size_t i = 0; i < c->nlinks; i++) {
		if (skip_link && !strcmp(skip_link->name, c->links[i].name))
			continue;
		gr_print_link_add(&p, &c->links[i]);
		pr_nl(&p);
	}
	pr_end(&p);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory's entry is durable too: fsync the directory after the rename. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, e = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		e = -errno;
	close(fd);
	return e;
}

/* write, fsync, rename over path, fsync the directory; -errno, nothing left behind on failure. */
static int write_atomic(const char *path, const char *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	e = write_all(fd, buf, len);
	if (!e && fsync(fd) < 0)
		e = -errno;
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, path) < 0)
		e = -errno;
	if (e) {
		unlink(tmp);
		return e;
	}
	return sync_dir(path);
}

int ctl_state_write(struct ctl *c, const struct uf_link_conf *skip_link,
		    const struct uf_port_conf *skip_port, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int e;

	if (!c->state_path)
		return 0;
	m = open_memstream(&buf, &len);
	if (!m)
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	ctl_state_render(c, m, skip_link, skip_port);
	if (fclose(m) != 0) {
		free(buf);
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	}
	e = write_atomic(c->state_path, buf, len);
	free(buf);
	if (e)
		return ctl_fail(err, errlen, e, "state file \"%s\": %s (the change is not made)",
				c->state_path, strerror(-e));
	return 0;
}

static int copy_conf(struct ctl *dst, const struct ctl *src)
{
	dst->cfg_links = src->nlinks ? malloc(src->nlinks * sizeof(*src->links)) : NULL;
	dst->cfg_ports = src->nports ? malloc(src->nports * sizeof(*src->ports)) : NULL;
	if ((src->nlinks && !dst->cfg_links) || (src->nports && !dst->cfg_ports))
		return -ENOMEM;
	if (src->nlinks)
		memcpy(dst->cfg_links, src->links, src->nlinks * sizeof(*src->links));
	if (src->nports)
		memcpy(dst->cfg_ports, src->ports, src->nports * sizeof(*src->ports));
	dst->ncfg_links = src->nlinks;
	dst->ncfg_ports = src->nports;
	return 0;
}

/* -c then the state, merged in a configuration without data plane; its text in *out. */
static int merge(struct ctl *c, const char *conf, const char *state, char **out, size_t *outlen,
		 FILE *errout)
{
	char err[256];
	struct ctl *m = ctl_new(NULL, NULL, NULL, err, sizeof(err));
	FILE *f;
	int e = 0;

	if (!m) {
		fprintf(errout, "%s\n", err);
		return -ENOMEM;
	}
	if (conf)
		e = ctl_exec_file(m, conf, errout);
	if (!e)
		e = copy_conf(c, m);
	if (!e && state) {
		m->merging = true;
		e = ctl_exec_file(m, state, errout);
	}
	f = e ? NULL : open_memstream(out, outlen);
	if (f) {
		ctl_state_render(m, f, NULL, NULL);
		fclose(f);
	} else if (!e) {
		e = -ENOMEM;
	}
	ctl_free(m, false);
	return e;
}

/*
 * The merged configuration, line by line. Its lines are not the state
 * file's (-c is in them too): a message names the file and the object.
 */
static int apply_lines(struct ctl *c, const char *name, char *text, FILE *errout)
{
	char *save = NULL;
	int e = 0;

	for (char *line = strtok_r(text, "\n", &save); line && !e;
	     line = strtok_r(NULL, "\n", &save))
		e = ctl_exec_line(c, name, line, errout);
	return e;
}

/*
 * Entries -c names keep its line numbers, as if applied from it: a reload
 * (SIGHUP) re-applies the file to them and leaves the others, added with
 * ufou, alone. A link or port the state changed counts as -c's too: the
 * operator's file is the authority again once it is reloaded.
 */
static void mark_conf_lines(struct ctl *c)
{
	for (size_t i = 0; i < c->nlinks; i++) {
		c->links[i].file_line = 0;
		for (size_t j = 0; j < c->ncfg_links; j++)
			if (!strcmp(c->cfg_links[j].name, c->links[i].name))
				c->links[i].file_line = c->cfg_links[j].file_line;
	}
	for (size_t i = 0; i < c->nports; i++) {
		c->ports[i].file_line = 0;
		for (size_t j = 0; j < c->ncfg_ports; j++)
			if (uf_port_same(&c->cfg_ports[j], &c->ports[i]))
				c->ports[i].file_line = c->cfg_ports[j].file_line;
	}
}

int ctl_state_reloaded(struct ctl *c, const struct ctl *want, char *err, size_t errlen)
{
	int e;

	free(c->cfg_links);
	free(c->cfg_ports);
	c->cfg_links = NULL;
	c->cfg_ports = NULL;
	c->ncfg_links = c->ncfg_ports = 0;
	e = copy_conf(c, want);
	if (e)
		return ctl_fail(err, errlen, e, "state: out of memory");
	/*
	 * What the system refused (a reload stopped part way) is not -c's yet:
	 * no "del" line may keep it out; the next start or reload applies it.
	 */
	for (size_t i = c->ncfg_links; i-- > 0;)
		if (!has_link(c->links, c->nlinks, c->cfg_links[i].name))
			memmove(&c->cfg_links[i], &c->cfg_links[i + 1],
				(--c->ncfg_links - i) * sizeof(*c->cfg_links));
	for (size_t i = c->ncfg_ports; i-- > 0;)
		if (!has_port(c->ports, c->nports, &c->cfg_ports[i]))
			memmove(&c->cfg_ports[i], &c->cfg_ports[i + 1],
				(--c->ncfg_ports - i) * sizeof(*c->cfg_ports));
	return c->state_path ? ctl_state_write(c, NULL, NULL, err, errlen) : 0;
}

int ctl_restore(struct ctl *c, const char *conf, const char *state, FILE *errout)
{
	char *text = NULL, name[PATH_MAX + 32];
	size_t len = 0;
	bool have_state = state && access(state, F_OK) == 0;
	int e;

	/* Only "no such file" means no state: anything else would lose it silently. */
	if (state && !have_state && errno != ENOENT) {
		e = -errno;
		fprintf(errout, "state file \"%s\": %s\n", state, strerror(-e));
		return e;
	}
	if (!have_state) {
		e = conf ? ctl_exec_file(c, conf, errout) : 0;
		if (!e)
			e = copy_conf(c, c);
	} else {
		e = merge(c, conf, state, &text, &len, errout);
		snprintf(name, sizeof(name), "%s (restoring)", state);
		if (!e)
			e = apply_lines(c, name, text, errout);
		if (!e)
			mark_conf_lines(c);
	}
	free(text);
	if (!e && state) {
		c->state_path = strdup(state);
		if (!c->state_path)
			e = -ENOMEM;
	}
	return e;
}
