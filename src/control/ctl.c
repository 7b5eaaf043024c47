// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane's state and commands: ports and links as the model,
 * validated with the kernel's semantics, applied to the data plane (when
 * there is one) only after validation, and rendered by `show`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctlproto.h"
#include "common/grammar.h"
#include "common/print.h"
#include "control/ctl_int.h"
#include "dataplane/dp.h"
#include "dataplane/dplog.h"

int ctl_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

struct ctl *ctl_new(struct loop *loop, struct dp *dp, const char *sock_path, char *err,
		    size_t errlen)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (!c) {
		ctl_fail(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->dp = dp;
	c->lfd = -1;
	c->spare_fd = -1;
	c->tfd = -1;
	if (sock_path && ctl_sock_open(c, sock_path, err, errlen) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

void ctl_free(struct ctl *c, bool remove_all)
{
	if (!c)
		return;
	ctl_sock_close(c);
	if (remove_all && c->dp) {
		for (size_t i = c->nlinks; i-- > 0;)
			dp_link_del(c->dp, c->links[i].name);
		for (size_t i = c->nports; i-- > 0;)
			dp_port_del(c->dp, &c->ports[i]);
	}
	free(c->ports);
	free(c->links);
	free(c->cfg_ports);
	free(c->cfg_links);
	free(c->state_path);
	free(c);
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- ports */

struct uf_port_conf *ctl_port_find(struct ctl *c, const struct uf_port_conf *k)
{
	for (size_t i = 0; i < c->nports; i++)
		if (uf_port_same(&c->ports[i], k))
			return &c->ports[i];
	return NULL;
}

/* Drops a port from the model only (the merge of -c and state has no data plane). */
static void port_forget(struct ctl *c, struct uf_port_conf *p)
{
	memmove(p, p + 1, (size_t)(c->ports + c->nports - (p + 1)) * sizeof(*p));
	c->nports--;
}

int ctl_port_insert(struct ctl *c, const struct uf_port_conf *p, char *err, size_t errlen)
{
	int ret;

	if (ctl_port_find(c, p))
		return ctl_fail(err, errlen, -EEXIST, "fou: port %u exists (File exists)", p->port);
	if (grow((void **)&c->ports, &c->cap_ports, c->nports, sizeof(*p)))
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	if (c->dp) {
		ret = dp_port_add(c->dp, p, err, errlen);
		if (ret)
			return ret;
	}
	c->ports[c->nports++] = *p;
	return 0;
}

static int port_add(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_port_conf p = cmd->port;
	int ret = gr_check_port(cmd, &p, true, err, errlen);

	if (ret)
		return ret;
	/* Merging the state over -c: the state's port replaces -c's. */
	if (ctl_port_find(c, &p) && c->merging)
		port_forget(c, ctl_port_find(c, &p));
	p.file_line = c->cur_line;
	return ctl_port_insert(c, &p, err, errlen);
}

int ctl_port_remove(struct ctl *c, struct uf_port_conf *p, char *err, size_t errlen)
{
	int ret;

	if (c->dp) {
		ret = dp_port_del(c->dp, p);
		if (ret)
			return ctl_fail(err, errlen, ret, "fou: cannot delete port %u: %s", p->port,
					strerror(-ret));
	}
	port_forget(c, p);
	return 0;
}

static int port_del(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_port_conf *p;
	int ret = gr_check_port(cmd, &cmd->port, false, err, errlen);

	if (ret)
		return ret;
	p = ctl_port_find(c, &cmd->port);
	if (!p && c->merging)
		return 0;
	if (!p)
		return ctl_fail(err, errlen, -ENOENT, "fou: port %u not found", cmd->port.port);
	return ctl_port_remove(c, p, err, errlen);
}

/* ---- links */

struct uf_link_conf *ctl_link_find(struct ctl *c, const char *name)
{
	for (size_t i = 0; i < c->nlinks; i++)
		if (!strcmp(c->links[i].name, name))
			return &c->links[i];
	return NULL;
}

static bool addr_eq(const struct uf_addr *a, const struct uf_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, a->family == 6 ? 16 : 4);
}

/* The kernel's ip_tunnel_find: same device type, endpoints and input key. */
static struct uf_link_conf *link_twin(struct ctl *c, const struct uf_link_conf *l)
{
	for (size_t i = 0; i < c->nlinks; i++) {
		struct uf_link_conf *o = &c->links[i];
		bool kl = l->has & UF_LINK_HAS_IKEY, ko = o->has & UF_LINK_HAS_IKEY;

		if (!strcmp(o->name, l->name) || o->type != l->type ||
		    !addr_eq(&o->remote, &l->remote) || !addr_eq(&o->local, &l->local))
			continue;
		if (uf_link_type_is_gre(l->type) && (kl != ko || (kl && o->ikey != l->ikey)))
			continue;
		return o;
	}
	return NULL;
}

static int link_check_twin(struct ctl *c, const struct uf_link_conf *l, char *err,
			   size_t errlen)
{
	struct uf_link_conf *t = link_twin(c, l);

	if (!t)
		return 0;
	return ctl_fail(err, errlen, -EEXIST,
		"link \"%s\" has the same type, remote, local and key (File exists)", t->name);
}

/* Drops a link from the model only. */
static void link_forget(struct ctl *c, struct uf_link_conf *l)
{
	memmove(l, l + 1, (size_t)(c->links + c->nlinks - (l + 1)) * sizeof(*l));
	c->nlinks--;
}

int ctl_link_insert(struct ctl *c, const struct uf_link_conf *l, char *err, size_t errlen)
{
	int ret;

	if (ctl_link_find(c, l->name))
		return ctl_fail(err, errlen, -EEXIST, "link \"%s\" exists (File exists)", l->name);
	ret = link_check_twin(c, l, err, errlen);
	if (ret)
		return ret;
	if (grow((void **)&c->links, &c->cap_links, c->nlinks, sizeof(*l)))
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	if (c->dp) {
		ret = dp_link_add(c->dp, l, err, errlen);
		if (ret)
			return ret;
	}
	c->links[c->nlinks] = *l;
	c->links[c->nlinks++].has &= ~UF_LINK_HAS_UP;   /* the kernel keeps it; show asks there */
	return 0;
}

static int link_add(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_link_conf l = cmd->link;
	int ret;

	uf_link_conf_defaults(&l);
	ret = gr_check_link(cmd, &l, err, errlen);
	if (ret)
		return ret;
	/* Merging the state over -c: the state's link replaces -c's. */
	if (ctl_link_find(c, l.name) && c->merging)
		link_forget(c, ctl_link_find(c, l.name));
	l.file_line = c->cur_line;
	return ctl_link_insert(c, &l, err, errlen);
}

int ctl_link_replace(struct ctl *c, struct uf_link_conf *old, const struct uf_link_conf *l,
		     char *err, size_t errlen)
{
	int ret = link_check_twin(c, l, err, errlen);

	/* As link set: an mtu given reaches the device even if it was ufou's before. */
	if (!ret && c->dp)
		ret = dp_link_change(c->dp, l, err, errlen);
	if (!ret && c->dp && (l->has & UF_LINK_HAS_MTU))
		ret = dp_link_set_mtu(c->dp, l->name, err, errlen);
	if (!ret) {
		*old = *l;
		old->has &= ~UF_LINK_HAS_UP;
	}
	return ret;
}

/*
 * The device rename, last step of a link set: when the kernel refuses it
 * (the device is up, say), a change applied before it is undone, so
 * nothing of the command stays half applied.
 */
static int dp_rename_or_undo(struct ctl *c, const struct uf_link_conf *old, bool changed,
			    const char *newname, char *err, size_t errlen)
{
	char err2[256];
	int ret = dp_link_rename(c->dp, old->name, newname, err, errlen);
	size_t n;

	if (ret && changed && dp_link_change(c->dp, old, err2, sizeof(err2))) {
		n = strlen(err);
		snprintf(err + n, errlen - n, "; undoing the rest failed: %s", err2);
	}
	return ret;
}

/*
 * A validated link set, to the data plane: down first (a device must be
 * down to be renamed), then the change (an mtu given is set even if ufou
 * set the same before: ip(8) may have changed it), the rename, up last, as
 * `ip link set dev X name Y up` does.
 */
static int link_apply(struct ctl *c, const struct uf_link_conf *old, const struct uf_link_conf *l,
		      bool change, bool mtu, const char *newname, char *err, size_t errlen)
{
	bool updown = l->has & UF_LINK_HAS_UP;
	int ret = 0;

	if (updown && !l->up)
		ret = dp_link_set_up(c->dp, old->name, false, err, errlen);
	if (!ret && change)
		ret = dp_link_change(c->dp, l, err, errlen);
	if (!ret && mtu)
		ret = dp_link_set_mtu(c->dp, old->name, err, errlen);
	if (!ret && newname)
		ret = dp_rename_or_undo(c, old, change, newname, err, errlen);
	if (!ret && updown && l->up)
		ret = dp_link_set_up(c->dp, newname ? newname : old->name, true, err, errlen);
	return ret;
}

static int link_set(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_link_conf *old = ctl_link_find(c, cmd->link.name), l, upd = cmd->link;
	bool rename = cmd->rename && strcmp(cmd->newname, cmd->link.name) != 0;
	/* Anything but the name and up/down: the data path has a change to apply. */
	bool change = (upd.has & ~(UF_LINK_HAS_NAME | UF_LINK_HAS_UP)) != 0;
	int ret;

	if (!old)
		return ctl_fail(err, errlen, -ENOENT, "link \"%s\" not found", cmd->link.name);
	if ((cmd->link.has & UF_LINK_HAS_TYPE) && cmd->link.type != old->type)
		return ctl_fail(err, errlen, -EINVAL,
			"argument \"%s\" is wrong: link \"%s\" is %s; the type cannot change",
			uf_link_type_name(cmd->link.type), old->name,
			uf_link_type_name(old->type));
	ret = gr_link_fold(&upd, old->type, err, errlen);
	if (ret)
		return ret;
	l = *old;
	gr_link_merge(&l, &upd);
	ret = gr_check_link(cmd, &l, err, errlen);
	if (!ret)
		ret = link_check_twin(c, &l, err, errlen);
	if (!ret && rename && ctl_link_find(c, cmd->newname))
		ret = ctl_fail(err, errlen, -EEXIST, "argument \"%s\" is wrong: link \"%s\" exists",
			       cmd->newname, cmd->newname);
	if (ret)
		return ret;
	if (c->dp) {
		ret = link_apply(c, old, &l, change, upd.has & UF_LINK_HAS_MTU,
				 rename ? cmd->newname : NULL, err, errlen);
		if (ret)
			return ret;
	}
	if (rename)
		snprintf(l.name, sizeof(l.name), "%s", cmd->newname);
	l.has &= ~UF_LINK_HAS_UP;
	*old = l;
	return 0;
}

int ctl_link_remove(struct ctl *c, struct uf_link_conf *l, char *err, size_t errlen)
{
	int ret;

	if (c->dp) {
		ret = dp_link_del(c->dp, l->name);
		if (ret)
			return ctl_fail(err, errlen, ret, "link \"%s\": cannot delete: %s", l->name,
					strerror(-ret));
	}
	link_forget(c, l);
	return 0;
}

static int link_del(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_link_conf *l = ctl_link_find(c, cmd->link.name);

	if (!l && c->merging)
		return 0;
	if (!l)
		return ctl_fail(err, errlen, -ENOENT, "link \"%s\" not found", cmd->link.name);
	return ctl_link_remove(c, l, err, errlen);
}

/* ---- changes recorded in the state file */

/* An add the state file cannot record is taken back whole (it was just appended). */
static int add_recorded(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	bool fou = cmd->obj == GR_OBJ_FOU;
	int ret = fou ? port_add(c, cmd, err, errlen) : link_add(c, cmd, err, errlen);

	if (ret || !c->state_path)
		return ret;
	ret = ctl_state_write(c, NULL, NULL, err, errlen);
	if (!ret)
		return 0;
	if (fou) {
		if (c->dp)
			dp_port_del(c->dp, &c->ports[c->nports - 1]);
		port_forget(c, &c->ports[c->nports - 1]);
	} else {
		if (c->dp)
			dp_link_del(c->dp, c->links[c->nlinks - 1].name);
		link_forget(c, &c->links[c->nlinks - 1]);
	}
	return ret;
}

/*
 * A deletion is recorded first: a device deleted cannot be given back with
 * its addresses and routes, so when the file cannot say it, nothing goes.
 */
static int del_recorded(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	bool fou = cmd->obj == GR_OBJ_FOU;
	struct uf_port_conf *p = NULL;
	struct uf_link_conf *l = NULL;
	char err2[256];
	int ret;

	if (c->state_path) {
		if (fou)
			p = ctl_port_find(c, &cmd->port);
		else
			l = ctl_link_find(c, cmd->link.name);
		ret = p || l ? ctl_state_write(c, l, p, err, errlen) : 0;
		if (ret)
			return ret;
	}
	ret = fou ? port_del(c, cmd, err, errlen) : link_del(c, cmd, err, errlen);
	/* Refused after all: the file names the object again. */
	if (ret && (p || l))
		ctl_state_write(c, NULL, NULL, err2, sizeof(err2));
	return ret;
}

/* Puts a link back as saved before a `link set` the state file could not record. */
static void link_unset(struct ctl *c, const struct uf_link_conf *saved, const struct gr_cmd *cmd)
{
	bool rename = cmd->rename && strcmp(cmd->newname, saved->name) != 0;
	struct uf_link_conf *l = ctl_link_find(c, rename ? cmd->newname : saved->name);
	char err2[256];

	if (!l)
		return;
	if (c->dp && rename)
		dp_link_rename(c->dp, cmd->newname, saved->name, err2, sizeof(err2));
	if (c->dp && (cmd->link.has & ~UF_LINK_HAS_NAME))
		dp_link_change(c->dp, saved, err2, sizeof(err2));
	*l = *saved;
}

static int set_recorded(struct ctl *c, const struct gr_cmd *cmd, char *err, size_t errlen)
{
	struct uf_link_conf *l = ctl_link_find(c, cmd->link.name), saved;
	int ret;

	if (l)
		saved = *l;
	ret = link_set(c, cmd, err, errlen);
	if (ret || !c->state_path)
		return ret;
	ret = ctl_state_write(c, NULL, NULL, err, errlen);
	if (ret)
		link_unset(c, &saved, cmd);
	return ret;
}

/* ---- show */

/*
 * The device as the kernel has it now: ip(8) may have changed its MTU or
 * taken it down since ufou set it. Without a data plane (config checks),
 * the MTU the link would get.
 */
static void link_dev(struct ctl *c, const struct uf_link_conf *l, struct uf_link_dev *d)
{
	struct uf_tx tx;

	if (c->dp && dp_link_dev(c->dp, l->name, d) == 0)
		return;
	memset(d, 0, sizeof(*d));
	if (l->has & UF_LINK_HAS_MTU) {
		d->mtu = l->mtu;
		return;
	}
	uf_link_conf_to_tx(l, &tx);
	d->mtu = uf_tx_default_mtu(&tx, 1500);
}

static void print_count(struct pr *p, const char *name, uint64_t v, int stats)
{
	char fmt[64];

	if (!v && stats < 2)
		return;
	snprintf(fmt, sizeof(fmt), "%s %%llu", name);
	pr_uint(p, PR_ANY, name, fmt, v);
}

static void print_drops(struct pr *p, const uint64_t *rx, const uint64_t *tx, int stats)
{
	bool any = stats >= 2;

	for (int i = 1; i < UF_DROP__COUNT && !any; i++)
		any = rx[i] != 0;
	for (int i = 0; tx && i < UF_TXD__COUNT && !any; i++)
		any = tx[i] != 0;
	pr_obj_begin(p, "drops");
	if (any) {
		pr_nl(p);
		pr_str(p, PR_TEXT, NULL, "%s", "    drops:");
	}
	for (int i = 1; i < UF_DROP__COUNT; i++)
		print_count(p, uf_drop_name((enum uf_drop)i), rx[i], stats);
	for (int i = 0; tx && i < UF_TXD__COUNT; i++)
		print_count(p, uf_tx_drop_name((enum uf_tx_drop)i), tx[i], stats);
	pr_obj_end(p);
}

/* Opens stats64's "rx" or "tx" object with its packet and byte counts; the caller closes it. */
static void print_dir_open(struct pr *p, const char *dir, uint64_t packets, uint64_t bytes)
{
	pr_obj_begin(p, dir);
	pr_str(p, PR_TEXT, NULL, "    %s:", dir);
	pr_uint(p, PR_ANY, "packets", "packets %llu", packets);
	pr_uint(p, PR_ANY, "bytes", "bytes %llu", bytes);
}

/* How many of a counter went each way: the fast path's share and the TUN path's. */
static void print_split(struct pr *p, const char *dir, uint64_t pk, uint64_t by, uint64_t fpk,
			uint64_t fby)
{
	pr_obj_begin(p, dir);
	pr_str(p, PR_TEXT, NULL, "      %s:", dir);
	pr_obj_begin(p, "bpf");
	pr_uint(p, PR_ANY, "packets", "bpf packets %llu", fpk);
	pr_uint(p, PR_ANY, "bytes", "bytes %llu", fby);
	pr_obj_end(p);
	pr_obj_begin(p, "tun");
	pr_uint(p, PR_ANY, "packets", "tun packets %llu", pk - fpk);
	pr_uint(p, PR_ANY, "bytes", "bytes %llu", by - fby);
	pr_obj_end(p);
	pr_obj_end(p);
}

/* Hand-overs from the fast path to the TUN path, by reason (-s -s). */
static void print_pass(struct pr *p, const char *dir, const uint64_t *n)
{
	pr_obj_begin(p, dir);
	pr_str(p, PR_TEXT, NULL, "      %s to tun:", dir);
	for (int i = 0; i < UF_FPP__COUNT; i++)
		print_count(p, uf_fp_pass_name((enum uf_fp_pass)i), n[i], 2);
	pr_obj_end(p);
}

static void print_link_paths(struct pr *p, const struct uf_link_stats *st)
{
	pr_obj_begin(p, "datapath");
	pr_nl(p);
	pr_str(p, PR_TEXT, NULL, "%s", "    datapath:");
	pr_nl(p);
	print_split(p, "rx", st->rx_packets, st->rx_bytes, st->fast.rx_packets, st->fast.rx_bytes);
	pr_nl(p);
	print_split(p, "tx", st->tx_packets, st->tx_bytes, st->fast.tx_packets, st->fast.tx_bytes);
	pr_nl(p);
	pr_obj_begin(p, "handover");
	print_pass(p, "rx", st->fast.rx_pass);
	pr_nl(p);
	print_pass(p, "tx", st->fast.tx_pass);
	pr_obj_end(p);
	pr_obj_end(p);
}

static void print_link_stats(struct ctl *c, struct pr *p, const struct uf_link_conf *l,
			     int stats)
{
	struct uf_link_stats st;

	memset(&st, 0, sizeof(st));
	if (c->dp)
		dp_link_stats(c->dp, l->name, &st);
	pr_obj_begin(p, "stats64");
	pr_nl(p);
	print_dir_open(p, "rx", st.rx_packets, st.rx_bytes);
	print_count(p, "csum_completed", st.rx_csum_completed, stats);
	pr_obj_end(p);
	pr_nl(p);
	print_dir_open(p, "tx", st.tx_packets, st.tx_bytes);
	print_count(p, "icmp_sent", st.icmp_sent, stats);
	print_count(p, "pmtu_reports", st.pmtu_reports, stats);
	print_count(p, "fragmented", st.tx_fragmented, stats);
	print_count(p, "gso", st.tx_gso, stats);
	pr_obj_end(p);
	print_drops(p, st.rx_drops, st.tx_drops, stats);
	if (stats >= 2)
		print_link_paths(p, &st);
	pr_obj_end(p);
}

static void print_port_stats(struct ctl *c, struct pr *p, const struct uf_port_conf *pc,
			     int stats)
{
	struct uf_port_stats st;

	memset(&st, 0, sizeof(st));
	if (c->dp)
		dp_port_stats(c->dp, pc, &st);
	pr_obj_begin(p, "stats64");
	pr_nl(p);
	print_dir_open(p, "rx", st.rx_packets, st.rx_bytes);
	pr_obj_end(p);
	print_drops(p, st.drops, NULL, stats);
	if (stats >= 2) {
		pr_obj_begin(p, "datapath");
		pr_nl(p);
		pr_str(p, PR_TEXT, NULL, "%s", "    datapath:");
		pr_nl(p);
		print_split(p, "rx", st.rx_packets, st.rx_bytes, st.fast_rx_packets,
			    st.fast_rx_bytes);
		pr_nl(p);
		pr_obj_begin(p, "handover");
		print_pass(p, "rx", st.pass);
		pr_obj_end(p);
		pr_obj_end(p);
	}
	pr_obj_end(p);
}

static int show_ports(struct ctl *c, struct pr *p, int stats)
{
	pr_arr_begin(p, NULL);
	for (size_t i = 0; i < c->nports; i++) {
		pr_obj_begin(p, NULL);
		gr_print_port(p, &c->ports[i]);
		if (stats > 0)
			print_port_stats(c, p, &c->ports[i], stats);
		pr_obj_end(p);
		pr_nl(p);
	}
	pr_arr_end(p);
	return 0;
}

static int show_links(struct ctl *c, struct pr *p, const struct gr_cmd *cmd, int stats,
		      bool details)
{
	bool one = cmd->link.has & UF_LINK_HAS_NAME;

	pr_arr_begin(p, NULL);
	for (size_t i = 0; i < c->nlinks; i++) {
		const struct uf_link_conf *l = &c->links[i];
		struct uf_link_dev dev;

		if (one && strcmp(l->name, cmd->link.name))
			continue;
		link_dev(c, l, &dev);
		pr_obj_begin(p, NULL);
		gr_print_link(p, l, &dev);
		/*
		 * Not a setting (ufoud -D chooses): what carries the link now. In
		 * text only with -d, so that the plain line is an add's words.
		 */
		if (c->dp)
			pr_str(p, details ? PR_ANY : PR_JSON, "datapath", "datapath %s",
			       dp_link_path(c->dp, l->name));
		/* Learned, not set: a router's report, as `ip route get` shows one. */
		if (dev.pmtu) {
			pr_uint(p, details ? PR_ANY : PR_JSON, "pmtu", "pmtu %llu", dev.pmtu);
			pr_uint(p, details ? PR_ANY : PR_JSON, "pmtu_expires", "expires %llusec",
				dev.pmtu_expires);
		}
		if (stats > 0)
			print_link_stats(c, p, l, stats);
		pr_obj_end(p);
		pr_nl(p);
	}
	pr_arr_end(p);
	return 0;
}

static int show(struct ctl *c, const struct gr_cmd *cmd, unsigned int flags, int stats,
		FILE *out, char *err, size_t errlen)
{
	struct pr p;
	int ret;

	if (cmd->obj == GR_OBJ_LINK && (cmd->link.has & UF_LINK_HAS_NAME) &&
	    !ctl_link_find(c, cmd->link.name))
		return ctl_fail(err, errlen, -ENOENT, "link \"%s\" not found", cmd->link.name);
	pr_init(&p, out, flags & CTLP_F_JSON, flags & CTLP_F_PRETTY);
	if (cmd->obj == GR_OBJ_FOU)
		ret = show_ports(c, &p, stats);
	else
		ret = show_links(c, &p, cmd, stats, flags & CTLP_F_DETAILS);
	if (pr_end(&p) < 0 && !ret)
		ret = ctl_fail(err, errlen, -EIO, "cannot write the output");
	return ret;
}

/* dp_links_follow_renames' report: link i (named old until now) is name. */
static void link_renamed(void *arg, size_t i, const char *old, const char *name)
{
	struct ctl *c = arg;
	struct uf_link_conf *l = i < c->nlinks && !strcmp(c->links[i].name, old) ?
				 &c->links[i] : ctl_link_find(c, old);

	if (l) {
		snprintf(l->name, sizeof(l->name), "%s", name);
		c->names_moved = true;
	}
}

/*
 * A device renamed with ip(8) keeps its link: every command sees the
 * names the kernel has now, as ip(8) would.
 */
void ctl_follow_renames(struct ctl *c)
{
	char err[256];

	if (!c->dp)
		return;
	c->names_moved = false;
	dp_links_follow_renames(c->dp, link_renamed, c);
	/* The state file follows too, so that a restart finds the device. */
	if (c->names_moved && ctl_state_write(c, NULL, NULL, err, sizeof(err)))
		dp_log("%s", err);
}

int ctl_exec_opts(struct ctl *c, int argc, char **argv, unsigned int flags, int stats,
		  FILE *out, char *err, size_t errlen)
{
	struct gr_cmd cmd;
	int ret;

	if (err && errlen)
		err[0] = 0;
	ret = gr_parse(argc, argv, &cmd, err, errlen);
	if (ret)
		return ret;
	ctl_follow_renames(c);
	switch (cmd.act) {
	case GR_HELP:
		if (out)
			gr_usage(out, cmd.obj);
		return 0;
	case GR_SHOW:
		return out ? show(c, &cmd, flags, stats, out, err, errlen) : 0;
	case GR_ADD:
		return add_recorded(c, &cmd, err, errlen);
	case GR_DEL:
		return del_recorded(c, &cmd, err, errlen);
	case GR_SET:
		return set_recorded(c, &cmd, err, errlen);
	}
	return ctl_fail(err, errlen, -EINVAL, "unknown command");
}

int ctl_exec(struct ctl *c, int argc, char **argv, bool json, int stats, FILE *out, char *err,
	     size_t errlen)
{
	return ctl_exec_opts(c, argc, argv, json ? CTLP_F_JSON : 0, stats, out, err, errlen);
}

/* ---- config files: lines of CLI words */

#define CTL_LINE_WORDS 256

/* Splits line (modified in place) into words; '#' at a word start ends it. */
static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			return n;
		if (n == max)
			return -1;
		words[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = 0;
	}
}

static int exec_line(struct ctl *c, const char *name, unsigned int lineno, char *line,
		     FILE *errout)
{
	char *words[CTL_LINE_WORDS], err[512];
	char *outbuf = NULL;
	size_t outlen = 0;
	FILE *out;
	int n, ret;

	n = split_words(line, words, CTL_LINE_WORDS);
	if (n == 0)
		return 0;
	if (n < 0) {
		fprintf(errout, "%s:%u: more than %d words\n", name, lineno, CTL_LINE_WORDS);
		return -E2BIG;
	}
	out = open_memstream(&outbuf, &outlen);
	c->cur_line = lineno;
	ret = ctl_exec(c, n, words, false, 0, out, err, sizeof(err));
	c->cur_line = 0;
	if (out)
		fclose(out);
	free(outbuf);
	if (ret && lineno)
		fprintf(errout, "%s:%u: %s\n", name, lineno, err);
	else if (ret)
		fprintf(errout, "%s: %s\n", name, err);
	return ret;
}

int ctl_exec_line(struct ctl *c, const char *name, char *line, FILE *errout)
{
	return exec_line(c, name, 0, line, errout);
}

int ctl_exec_buf(struct ctl *c, const char *name, const char *text, size_t len, FILE *errout)
{
	unsigned int lineno = 0;
	size_t off = 0;
	int ret = 0;

	while (off < len && !ret) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		char *line;

		lineno++;
		if (memchr(text + off, 0, n)) {
			fprintf(errout, "%s:%u: NUL byte in line\n", name, lineno);
			return -EINVAL;
		}
		line = malloc(n + 1);
		if (!line)
			return -ENOMEM;
		memcpy(line, text + off, n);
		line[n] = 0;
		ret = exec_line(c, name, lineno, line, errout);
		free(line);
		off += n + 1;
	}
	return ret;
}

int ctl_exec_file(struct ctl *c, const char *path, FILE *errout)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	if (!f) {
		ret = -errno;
		fprintf(errout, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb = cap >= (64u << 20) ? NULL : realloc(buf, cap ? cap * 2 : 4096);

			if (!nb) {
				fprintf(errout, "%s: too large or out of memory\n", path);
				fclose(f);
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (ret)
		fprintf(errout, "%s: read error\n", path);
	else
		ret = ctl_exec_buf(c, path, buf, len, errout);
	free(buf);
	return ret;
}
