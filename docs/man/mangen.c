// SPDX-License-Identifier: GPL-2.0
/*
 * mangen: fills the generated parts of a man page template (docs/man/NAME.in)
 * from the tables the programs themselves run on, so the pages cannot drift
 * from them:
 *
 *   @GRAMMAR@     (a line of its own) the object grammar, as `ufou help`
 *                 prints it from the keyword tables, in a no-fill block
 *   @RX_DROPS@    the names of the receive drop counters
 *   @TX_DROPS@    the names of the transmit drop counters
 *   @HANDOVERS@   the reasons the fast path hands a packet to the TUN path
 *   @SOCK@        (anywhere in a line) the default control socket
 *   @STATE@       (anywhere in a line) the default state file
 *
 * Usage: mangen < TEMPLATE > PAGE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grammar.h"
#include "common/model.h"
#include "control/ctl.h"
#include "proto/drop.h"

/* Text as troff takes it: backslashes and minus signs escaped. */
static void put_escaped(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			fputs("\\e", out);
		else if (s[i] == '-')
			fputs("\\-", out);
		else
			fputc(s[i], out);
	}
}

/* Each line of text in a no-fill block; "\&" keeps a leading dot or quote text. */
static int put_block(FILE *out, const char *text)
{
	const char *p = text;

	fputs(".nf\n", out);
	while (*p) {
		size_t n = strcspn(p, "\n");

		if (*p == '.' || *p == '\'')
			fputs("\\&", out);
		put_escaped(out, p, n);
		fputc('\n', out);
		p += n + (p[n] == '\n');
	}
	fputs(".fi\n", out);
	return 0;
}

static int put_grammar(FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -1;
	gr_usage(f, GR_OBJ_NONE);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	put_block(out, text);
	free(text);
	return 0;
}

/* One bold name a line, comma-separated: a filled list. */
static void put_names(FILE *out, const char *(*name)(int), int from, int count)
{
	for (int i = from; i < count; i++) {
		fputs("\\fB", out);
		put_escaped(out, name(i), strlen(name(i)));
		fputs(i + 1 < count ? "\\fR,\n" : "\\fR.\n", out);
	}
}

static const char *rx_drop(int i) { return uf_drop_name((enum uf_drop)i); }
static const char *tx_drop(int i) { return uf_tx_drop_name((enum uf_tx_drop)i); }
static const char *handover(int i) { return uf_fp_pass_name((enum uf_fp_pass)i); }

/* A template line with every @SOCK@ and @STATE@ replaced. */
static void put_line(FILE *out, const char *line)
{
	static const struct { const char *at, *val; } subst[] = {
		{ "@SOCK@", UF_CTL_DEFAULT_SOCK },
		{ "@STATE@", UF_CTL_DEFAULT_STATE },
	};

	for (;;) {
		const char *m = NULL;
		size_t k = 0;

		for (size_t i = 0; i < sizeof(subst) / sizeof(subst[0]); i++) {
			const char *f = strstr(line, subst[i].at);

			if (f && (!m || f < m)) {
				m = f;
				k = i;
			}
		}
		if (!m)
			break;
		fwrite(line, 1, (size_t)(m - line), out);
		put_escaped(out, subst[k].val, strlen(subst[k].val));
		line = m + strlen(subst[k].at);
	}
	fputs(line, out);
}

int main(void)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "@GRAMMAR@\n")) {
			if (put_grammar(stdout) < 0) {
				perror("mangen: grammar");
				return 1;
			}
		} else if (!strcmp(line, "@RX_DROPS@\n")) {
			put_names(stdout, rx_drop, 1, UF_DROP__COUNT);   /* 0 is "none": delivered */
		} else if (!strcmp(line, "@TX_DROPS@\n")) {
			put_names(stdout, tx_drop, 0, UF_TXD__COUNT);
		} else if (!strcmp(line, "@HANDOVERS@\n")) {
			put_names(stdout, handover, 0, UF_FPP__COUNT);
		} else {
			put_line(stdout, line);
		}
	}
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
