// SPDX-License-Identifier: GPL-2.0
/*
 * `ufou --prometheus`: the counters `ufou -s -s -j` shows, in the Prometheus
 * text exposition format (version 0.0.4), for node_exporter's textfile
 * collector. Every counter appears once: totals that -s prints and the
 * per-path split of -s -s are one family with a datapath label (sum over
 * it for the total), never both. A family's samples are contiguous, after
 * its HELP and TYPE lines, as the format requires.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "common/grammar.h"
#include "control/ctl_int.h"
#include "dataplane/dp.h"
#include "proto/ptb.h"

struct prom_link {
	const struct uf_link_conf *conf;
	struct uf_link_stats st;
	struct uf_link_dev dev;
	const char *path;
};

struct prom_port {
	const struct uf_port_conf *conf;
	struct uf_port_stats st;
};

/* Label values escape backslash, double quote and newline (the format's rule). */
static void label(FILE *f, const char *name, const char *v, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *encap_name(enum uf_encap_type e)
{
	return e == UF_ENCAP_GUE ? "gue" : "fou";
}

/* One sample of a link: name{link,kind,encap[,k1=v1[,k2=v2]]} v. */
static void link_sample(FILE *f, const char *name, const struct prom_link *l, const char *k1,
			const char *v1, const char *k2, const char *v2, uint64_t v)
{
	fprintf(f, "%s{", name);
	label(f, "link", l->conf->name, true);
	label(f, "kind", uf_link_type_name(l->conf->type), false);
	label(f, "encap", encap_name(l->conf->encap), false);
	if (k1)
		label(f, k1, v1, false);
	if (k2)
		label(f, k2, v2, false);
	fprintf(f, "} %llu\n", (unsigned long long)v);
}

/* The identity of a port (as fou_cfg_cmp) in labels: two ports never share a set. */
static void port_labels(FILE *f, const struct uf_port_conf *c)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%u", c->port);
	label(f, "port", buf, true);
	label(f, "family", c->family == 6 ? "inet6" : "inet", false);
	label(f, "encap", c->gue ? "gue" : "fou", false);
	if (!c->gue) {
		snprintf(buf, sizeof(buf), "%u", c->ipproto);
		label(f, "ipproto", buf, false);
	}
	if (c->has & UF_PORT_HAS_LOCAL)
		label(f, "local", gr_addr_str(&c->local, buf, sizeof(buf)), false);
	if (c->has & UF_PORT_HAS_PEER)
		label(f, "peer", gr_addr_str(&c->peer, buf, sizeof(buf)), false);
	if (c->has & UF_PORT_HAS_PEER_PORT) {
		snprintf(buf, sizeof(buf), "%u", c->peer_port);
		label(f, "peer_port", buf, false);
	}
	if (c->has & UF_PORT_HAS_DEV)
		label(f, "dev", c->dev, false);
}

static void port_sample(FILE *f, const char *name, const struct prom_port *p, const char *k,
			const char *v, uint64_t n)
{
	fprintf(f, "%s{", name);
	port_labels(f, p->conf);
	if (k)
		label(f, k, v, false);
	fprintf(f, "} %llu\n", (unsigned long long)n);
}

/* Which of a link's counters a family shows. */
enum link_ctr { LC_RXP, LC_RXB, LC_TXP, LC_TXB, LC_CSUM, LC_ICMP, LC_FRAG, LC_GSO, LC_PMTU };

static uint64_t link_ctr(const struct uf_link_stats *s, enum link_ctr c, bool fast)
{
	switch (c) {
	case LC_RXP: return fast ? s->fast.rx_packets : s->rx_packets - s->fast.rx_packets;
	case LC_RXB: return fast ? s->fast.rx_bytes : s->rx_bytes - s->fast.rx_bytes;
	case LC_TXP: return fast ? s->fast.tx_packets : s->tx_packets - s->fast.tx_packets;
	case LC_TXB: return fast ? s->fast.tx_bytes : s->tx_bytes - s->fast.tx_bytes;
	case LC_CSUM: return s->rx_csum_completed;
	case LC_ICMP: return s->icmp_sent;
	case LC_FRAG: return s->tx_fragmented;
	case LC_GSO: return s->tx_gso;
	case LC_PMTU: return s->pmtu_reports;
	}
	return 0;
}

static const struct {
	const char *name, *help;
	enum link_ctr c;
	bool split;   /* by datapath: the fast path's share and the TUN path's */
} link_ctrs[] = {
	{ "ufou_link_receive_packets_total", "Inner packets received from the tunnel.", LC_RXP, true },
	{ "ufou_link_receive_bytes_total", "Inner bytes received from the tunnel.", LC_RXB, true },
	{ "ufou_link_transmit_packets_total", "Inner packets sent into the tunnel.", LC_TXP, true },
	{ "ufou_link_transmit_bytes_total", "Inner bytes sent into the tunnel.", LC_TXB, true },
	{ "ufou_link_receive_csum_completed_total",
	  "Inner checksums a kernel sender left partial, completed on receive.", LC_CSUM, false },
	{ "ufou_link_icmp_sent_total",
	  "ICMP fragmentation-needed / packet-too-big messages sent back.", LC_ICMP, false },
	{ "ufou_link_transmit_fragmented_total",
	  "Outer packets sent in fragments (IPv4 without DF; IPv6 inner <= 1280 bytes).",
	  LC_FRAG, false },
	{ "ufou_link_transmit_gso_total", "Outer packets the kernel segmented (UDP GSO).", LC_GSO,
	  false },
	{ "ufou_link_pmtu_reports_total",
	  "Routers' ICMP reports of a smaller path MTU taken (lowered or refreshed).", LC_PMTU,
	  false },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void prom_link_ctrs(FILE *f, const struct prom_link *ls, size_t n)
{
	for (size_t k = 0; k < NELEM(link_ctrs); k++) {
		head(f, link_ctrs[k].name, "counter", link_ctrs[k].help);
		for (size_t i = 0; i < n; i++) {
			const struct uf_link_stats *s = &ls[i].st;

			if (!link_ctrs[k].split) {
				link_sample(f, link_ctrs[k].name, &ls[i], NULL, NULL, NULL, NULL,
					    link_ctr(s, link_ctrs[k].c, false));
				continue;
			}
			link_sample(f, link_ctrs[k].name, &ls[i], "datapath", "bpf", NULL, NULL,
				    link_ctr(s, link_ctrs[k].c, true));
			link_sample(f, link_ctrs[k].name, &ls[i], "datapath", "tun", NULL, NULL,
				    link_ctr(s, link_ctrs[k].c, false));
		}
	}
}

static void prom_link_drops(FILE *f, const struct prom_link *ls, size_t n)
{
	const char *rx = "ufou_link_receive_drops_total", *tx = "ufou_link_transmit_drops_total";
	const char *ho = "ufou_link_fastpath_handovers_total";

	head(f, rx, "counter", "Packets from the tunnel dropped, by reason.");
	for (size_t i = 0; i < n; i++)
		for (int d = 1; d < UF_DROP__COUNT; d++)
			link_sample(f, rx, &ls[i], "reason", uf_drop_name((enum uf_drop)d), NULL,
				    NULL, ls[i].st.rx_drops[d]);
	head(f, tx, "counter", "Packets for the tunnel dropped, by reason.");
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < UF_TXD__COUNT; d++)
			link_sample(f, tx, &ls[i], "reason", uf_tx_drop_name((enum uf_tx_drop)d),
				    NULL, NULL, ls[i].st.tx_drops[d]);
	head(f, ho, "counter",
	     "Packets the eBPF fast path handed to the TUN path (counted there too), by reason.");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < UF_FPP__COUNT; r++) {
			const char *why = uf_fp_pass_name((enum uf_fp_pass)r);

			link_sample(f, ho, &ls[i], "direction", "rx", "reason", why,
				    ls[i].st.fast.rx_pass[r]);
			link_sample(f, ho, &ls[i], "direction", "tx", "reason", why,
				    ls[i].st.fast.tx_pass[r]);
		}
}

/* What the kernel and ufoud say of each link now: gauges. */
static void prom_link_state(FILE *f, const struct prom_link *ls, size_t n)
{
	head(f, "ufou_link_info", "gauge", "A tunnel link; datapath: the path carrying it now.");
	for (size_t i = 0; i < n; i++)
		link_sample(f, "ufou_link_info", &ls[i], "datapath", ls[i].path, NULL, NULL, 1);
	head(f, "ufou_link_up", "gauge", "1 when the link's device is up.");
	for (size_t i = 0; i < n; i++)
		if (ls[i].dev.known)
			link_sample(f, "ufou_link_up", &ls[i], NULL, NULL, NULL, NULL,
				    (ls[i].dev.flags & IFF_UP) != 0);
	head(f, "ufou_link_mtu_bytes", "gauge", "The link device's MTU.");
	for (size_t i = 0; i < n; i++)
		if (ls[i].dev.known)
			link_sample(f, "ufou_link_mtu_bytes", &ls[i], NULL, NULL, NULL, NULL,
				    ls[i].dev.mtu);
	head(f, "ufou_link_path_mtu_bytes", "gauge",
	     "The outer path's MTU a router reported, while it lasts (net.ipv4/6.route.mtu_expires).");
	for (size_t i = 0; i < n; i++)
		if (ls[i].dev.pmtu)
			link_sample(f, "ufou_link_path_mtu_bytes", &ls[i], NULL, NULL, NULL, NULL,
				    ls[i].dev.pmtu);
}

/* Routers' MTU reports the daemon read, by what came of them: not per link. */
static void prom_ptb(struct ctl *c, FILE *f)
{
	const char *name = "ufou_icmp_mtu_reports_total";
	uint64_t n[UF_PTB__COUNT];

	if (!c->dp)
		return;
	dp_ptb_stats(c->dp, n);
	head(f, name, "counter",
	     "ICMP frag-needed / packet-too-big read, by result (none: taken by a link).");
	for (int r = 0; r < UF_PTB__COUNT; r++)
		fprintf(f, "%s{result=\"%s\"} %llu\n", name, uf_ptb_reason_name((enum uf_ptb_reason)r),
			(unsigned long long)n[r]);
}

static int prom_links(struct ctl *c, FILE *f, const char *only)
{
	struct prom_link *ls = calloc(c->nlinks ? c->nlinks : 1, sizeof(*ls));
	size_t n = 0;

	if (!ls)
		return -ENOMEM;
	for (size_t i = 0; i < c->nlinks; i++) {
		if (only && strcmp(only, c->links[i].name))
			continue;
		ls[n].conf = &c->links[i];
		ls[n].path = "tun";
		if (c->dp) {
			dp_link_stats(c->dp, c->links[i].name, &ls[n].st);
			dp_link_dev(c->dp, c->links[i].name, &ls[n].dev);
			ls[n].path = dp_link_path(c->dp, c->links[i].name);
		}
		n++;
	}
	prom_link_state(f, ls, n);
	prom_link_ctrs(f, ls, n);
	prom_link_drops(f, ls, n);
	free(ls);
	return 0;
}

static void prom_port_ctrs(FILE *f, const struct prom_port *ps, size_t n)
{
	const char *pk = "ufou_port_receive_packets_total", *by = "ufou_port_receive_bytes_total";
	const char *dr = "ufou_port_receive_drops_total", *ho = "ufou_port_fastpath_handovers_total";

	head(f, pk, "counter", "Outer datagrams received on the port.");
	for (size_t i = 0; i < n; i++) {
		port_sample(f, pk, &ps[i], "datapath", "bpf", ps[i].st.fast_rx_packets);
		port_sample(f, pk, &ps[i], "datapath", "tun",
			    ps[i].st.rx_packets - ps[i].st.fast_rx_packets);
	}
	head(f, by, "counter", "Outer bytes received on the port.");
	for (size_t i = 0; i < n; i++) {
		port_sample(f, by, &ps[i], "datapath", "bpf", ps[i].st.fast_rx_bytes);
		port_sample(f, by, &ps[i], "datapath", "tun",
			    ps[i].st.rx_bytes - ps[i].st.fast_rx_bytes);
	}
	head(f, dr, "counter", "Datagrams on the port dropped, by reason.");
	for (size_t i = 0; i < n; i++)
		for (int d = 1; d < UF_DROP__COUNT; d++)
			port_sample(f, dr, &ps[i], "reason", uf_drop_name((enum uf_drop)d),
				    ps[i].st.drops[d]);
	head(f, ho, "counter",
	     "Datagrams the eBPF fast path handed to the port's socket (counted there too), by reason.");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < UF_FPP__COUNT; r++)
			port_sample(f, ho, &ps[i], "reason", uf_fp_pass_name((enum uf_fp_pass)r),
				    ps[i].st.pass[r]);
}

static int prom_ports(struct ctl *c, FILE *f)
{
	struct prom_port *ps = calloc(c->nports ? c->nports : 1, sizeof(*ps));

	if (!ps)
		return -ENOMEM;
	for (size_t i = 0; i < c->nports; i++) {
		ps[i].conf = &c->ports[i];
		if (c->dp)
			dp_port_stats(c->dp, &c->ports[i], &ps[i].st);
	}
	prom_port_ctrs(f, ps, c->nports);
	free(ps);
	return 0;
}

int ctl_prom(struct ctl *c, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
	bool one = false;
	struct gr_cmd cmd;
	int ret = 0;

	if (err && errlen)
		err[0] = 0;
	if (argc > 0) {
		ret = gr_parse(argc, argv, &cmd, err, errlen);
		if (ret)
			return ret;
		if (cmd.act != GR_SHOW)
			return ctl_fail(err, errlen, -EINVAL,
				"argument \"%s\" is wrong: --prometheus shows counters: "
				"fou show or link show", argc > 1 ? argv[1] : argv[0]);
		one = cmd.obj == GR_OBJ_LINK && (cmd.link.has & UF_LINK_HAS_NAME);
	}
	ctl_follow_renames(c);
	if (one) {
		bool found = false;

		for (size_t i = 0; i < c->nlinks && !found; i++)
			found = !strcmp(c->links[i].name, cmd.link.name);
		if (!found)
			return ctl_fail(err, errlen, -ENOENT, "link \"%s\" not found",
					cmd.link.name);
	}
	if (argc == 0 || cmd.obj == GR_OBJ_LINK)
		ret = prom_links(c, out, one ? cmd.link.name : NULL);
	if (!ret && (argc == 0 || cmd.obj == GR_OBJ_FOU))
		ret = prom_ports(c, out);
	if (!ret && argc == 0)
		prom_ptb(c, out);
	if (ret)
		return ctl_fail(err, errlen, ret, "out of memory");
	if (fflush(out) != 0 || ferror(out))
		return ctl_fail(err, errlen, -EIO, "cannot write the output");
	return 0;
}
