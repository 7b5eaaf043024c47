// SPDX-License-Identifier: GPL-2.0
/*
 * Reloading ufoud's -c file (SIGHUP): the file is the truth for what it
 * added, and nothing else. Each port and link carries the file line that
 * added it (0 = a runtime `ufou` command, which a reload never touches).
 *
 * The new file is first applied to an empty model without a data plane
 * (is it valid on its own?), then the difference is applied to a copy of
 * the running model without a data plane (does it clash with what runs,
 * such as a runtime link of the same name?), and only then to the running
 * daemon. So a bad file is refused whole and the running set-up stays.
 *
 * What happens to each entry of the file:
 *   unchanged           nothing: same device, same ifindex, no lost packet;
 *   link changed        in place (dp_link_change: the same device), as
 *                       `ufou link set` would, unless its type changed;
 *   link type changed   deleted and added again (a new device: a type is
 *                       the device's kind, TUN or TAP, and its headers);
 *   port changed        deleted and added again (its socket is bound anew);
 *   gone from the file  deleted; new in the file: added.
 * Links are matched by name: a file link renamed since (ip link set ...
 * name) is one the file no longer has, and the file's is made anew.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/print.h"
#include "common/grammar.h"
#include "control/ctl_int.h"
#include "dataplane/dp.h"

struct reload_counts {
	unsigned int same, changed, replaced, added, removed;
};

static bool port_conf_eq(const struct uf_port_conf *a, const struct uf_port_conf *b)
{
	return uf_port_same(a, b) && a->gue == b->gue && (a->gue || a->ipproto == b->ipproto);
}

/* A link's settings as `link show -j` renders them (one rendering, no padding bytes). */
static char *link_render(const struct uf_link_conf *l)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	/* The settings only: an mtu given, never what the device has now. */
	struct uf_link_dev d = { .mtu = (l->has & UF_LINK_HAS_MTU) ? l->mtu : 0 };
	struct pr p;

	if (!f)
		return NULL;
	pr_init(&p, f, true, false);
	pr_obj_begin(&p, NULL);
	gr_print_link(&p, l, &d);
	pr_obj_end(&p);
	pr_end(&p);
	fclose(f);
	return s;
}

static bool link_conf_eq(const struct uf_link_conf *a, const struct uf_link_conf *b)
{
	char *ra = link_render(a), *rb = link_render(b);
	bool eq = ra && rb && !strcmp(ra, rb) && a->type == b->type;

	free(ra);
	free(rb);
	return eq;
}

/* Prefixes err with the file line whose entry the system refused; returns ret. */
static int at_line(int ret, char *err, size_t errlen, const char *path, unsigned int line)
{
	char pre[320];
	int k = snprintf(pre, sizeof(pre), "%s:%u: ", path, line);
	size_t len = strlen(err);

	/* A prefix that does not fit leaves the message as it was. */
	if (ret && k > 0 && (size_t)k < sizeof(pre) && (size_t)k + len < errlen) {
		memmove(err + k, err, len + 1);
		memcpy(err, pre, (size_t)k);
	}
	return ret;
}

/* Step 1: file links gone from the file. */
static int drop_links(struct ctl *t, struct ctl *want, char *err, size_t errlen,
		      struct reload_counts *n)
{
	for (size_t i = t->nlinks; i-- > 0;) {
		struct uf_link_conf *l = &t->links[i];
		int ret;

		if (!l->file_line || ctl_link_find(want, l->name))
			continue;
		ret = ctl_link_remove(t, l, err, errlen);
		if (ret)
			return ret;
		n->removed++;
	}
	return 0;
}

/* Step 2: file ports gone from the file. */
static int drop_ports(struct ctl *t, struct ctl *want, char *err, size_t errlen,
		      struct reload_counts *n)
{
	for (size_t i = t->nports; i-- > 0;) {
		struct uf_port_conf *p = &t->ports[i];
		int ret;

		if (!p->file_line || ctl_port_find(want, p))
			continue;
		ret = ctl_port_remove(t, p, err, errlen);
		if (ret)
			return ret;
		n->removed++;
	}
	return 0;
}

/* Step 3: one of the file's ports: kept, bound anew (changed), or added. */
static int put_port(struct ctl *t, const struct uf_port_conf *w, const char *path, char *err,
		    size_t errlen, struct reload_counts *n)
{
	struct uf_port_conf *p = ctl_port_find(t, w);
	bool had = p != NULL;
	int ret;

	if (p && !p->file_line)
		return ctl_fail(err, errlen, -EEXIST,
				"%s:%u: port %u: added at runtime with ufou; delete it first",
				path, w->file_line, w->port);
	if (p && port_conf_eq(p, w)) {
		p->file_line = w->file_line;
		n->same++;
		return 0;
	}
	if (p) {
		ret = ctl_port_remove(t, p, err, errlen);
		if (ret)
			return ret;
	}
	ret = at_line(ctl_port_insert(t, w, err, errlen), err, errlen, path, w->file_line);
	if (!ret && had)
		n->replaced++;
	else if (!ret)
		n->added++;
	return ret;
}

/* Step 4: one of the file's links: kept, changed in place, replaced or added. */
static int put_link(struct ctl *t, const struct uf_link_conf *w, const char *path, char *err,
		    size_t errlen, struct reload_counts *n)
{
	struct uf_link_conf *l = ctl_link_find(t, w->name);
	bool had = l != NULL;
	int ret;

	if (l && !l->file_line)
		return ctl_fail(err, errlen, -EEXIST,
				"%s:%u: link \"%s\": added at runtime with ufou; delete it first",
				path, w->file_line, w->name);
	if (l && link_conf_eq(l, w)) {
		l->file_line = w->file_line;
		n->same++;
		return 0;
	}
	if (l && l->type == w->type) {
		ret = at_line(ctl_link_replace(t, l, w, err, errlen), err, errlen, path,
			      w->file_line);
		if (!ret)
			n->changed++;
		return ret;
	}
	if (l) {
		ret = ctl_link_remove(t, l, err, errlen);
		if (ret)
			return ret;
	}
	ret = at_line(ctl_link_insert(t, w, err, errlen), err, errlen, path, w->file_line);
	if (!ret && had)
		n->replaced++;
	else if (!ret)
		n->added++;
	return ret;
}

/* The difference between t's file entries and want, applied to t. */
static int reload_apply(struct ctl *t, struct ctl *want, const char *path, char *err,
			size_t errlen, struct reload_counts *n)
{
	int ret;

	memset(n, 0, sizeof(*n));
	ret = drop_links(t, want, err, errlen, n);
	if (!ret)
		ret = drop_ports(t, want, err, errlen, n);
	for (size_t i = 0; !ret && i < want->nports; i++)
		ret = put_port(t, &want->ports[i], path, err, errlen, n);
	for (size_t i = 0; !ret && i < want->nlinks; i++)
		ret = put_link(t, &want->links[i], path, err, errlen, n);
	return ret;
}

/* A copy of c's model without data plane or socket: the dry run's subject. */
static struct ctl *ctl_model_copy(struct ctl *c)
{
	struct ctl *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->lfd = t->spare_fd = -1;
	/* One spare slot each: never malloc(0), whose NULL would read as a failure. */
	t->ports = malloc((c->nports + 1) * sizeof(*t->ports));
	t->links = malloc((c->nlinks + 1) * sizeof(*t->links));
	if (!t->ports || !t->links) {
		ctl_free(t, false);
		return NULL;
	}
	/* Empty arrays may be NULL: memcpy must not be handed one, even for 0 bytes. */
	if (c->nports)
		memcpy(t->ports, c->ports, c->nports * sizeof(*t->ports));
	if (c->nlinks)
		memcpy(t->links, c->links, c->nlinks * sizeof(*t->links));
	t->nports = t->cap_ports = c->nports;
	t->nlinks = t->cap_links = c->nlinks;
	t->cap_ports++;
	t->cap_links++;
	return t;
}

int ctl_reload_file(struct ctl *c, const char *path, FILE *errout)
{
	struct ctl *want = NULL, *dry = NULL;
	struct reload_counts n;
	char err[512] = "", serr[512];
	int ret;

	/* Links renamed with ip(8) are known under their new names, dry run included. */
	ctl_follow_renames(c);
	want = ctl_new(NULL, NULL, NULL, err, sizeof(err));
	dry = want ? ctl_model_copy(c) : NULL;
	if (!dry) {
		fprintf(errout, "%s: reload refused: out of memory\n", path);
		ret = -ENOMEM;
		goto out;
	}
	ret = ctl_exec_file(want, path, errout);
	if (!ret) {
		ret = reload_apply(dry, want, path, err, sizeof(err), &n);
		if (ret)
			fprintf(errout, "%s\n", err);
	}
	if (ret) {
		fprintf(errout, "%s: reload refused; the running configuration stays\n", path);
		goto out;
	}
	/* Only the system can still say no here (a port in use, no memory). */
	ret = reload_apply(c, want, path, err, sizeof(err), &n);
	/* Applied, whole or in part: the state file says what runs now. */
	if (ctl_state_reloaded(c, want, serr, sizeof(serr)))
		fprintf(errout, "%s\n", serr);
	if (ret) {
		fprintf(errout, "%s\n%s: reload stopped at that error; the changes before it "
			"are applied (ufou fou show, ufou link show)\n", err, path);
		goto out;
	}
	fprintf(errout, "%s: reloaded: %u unchanged, %u changed in place, %u replaced, "
		"%u added, %u removed\n", path, n.same, n.changed, n.replaced, n.added, n.removed);
out:
	ctl_free(dry, false);
	ctl_free(want, false);
	return ret;
}

void ctl_counts(const struct ctl *c, size_t *nlinks, size_t *nports)
{
	*nlinks = c->nlinks;
	*nports = c->nports;
}
