// SPDX-License-Identifier: GPL-2.0
/* Dual text / JSON output: see print.h. */
#include "common/print.h"

void pr_init(struct pr *p, FILE *f, bool json, bool pretty)
{
	p->f = f;
	p->json = json;
	p->line_start = true;
	json_init(&p->j, f, pretty);
}

int pr_end(struct pr *p)
{
	if (p->json)
		return json_end(&p->j);
	if (!p->line_start)
		pr_nl(p);
	return fflush(p->f) == 0 && !ferror(p->f) ? 0 : -1;
}

static bool want_text(const struct pr *p, enum pr_where w)
{
	return !p->json && w != PR_JSON;
}

static bool want_json(const struct pr *p, enum pr_where w)
{
	return p->json && w != PR_TEXT;
}

static void sep(struct pr *p)
{
	if (!p->line_start)
		fputc(' ', p->f);
	p->line_start = false;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void pr_uint(struct pr *p, enum pr_where w, const char *key, const char *fmt, uint64_t v)
{
	if (want_text(p, w) && fmt) {
		sep(p);
		fprintf(p->f, fmt, (unsigned long long)v);
	} else if (want_json(p, w)) {
		json_uint(&p->j, key, v);
	}
}

void pr_str(struct pr *p, enum pr_where w, const char *key, const char *fmt, const char *s)
{
	if (want_text(p, w) && fmt) {
		sep(p);
		fprintf(p->f, fmt, s);
	} else if (want_json(p, w)) {
		json_str(&p->j, key, s);
	}
}
#pragma GCC diagnostic pop

void pr_flag(struct pr *p, const char *key, const char *on, const char *off, bool v)
{
	if (p->json) {
		json_bool(&p->j, key, v);
		return;
	}
	sep(p);
	fputs(v ? on : off, p->f);
}

void pr_bool(struct pr *p, enum pr_where w, const char *key, const char *text, bool v)
{
	if (want_text(p, w)) {
		if (v && text) {
			sep(p);
			fputs(text, p->f);
		}
	} else if (want_json(p, w)) {
		json_bool(&p->j, key, v);
	}
}

void pr_null(struct pr *p, const char *key, const char *text)
{
	if (p->json) {
		json_null(&p->j, key);
		return;
	}
	sep(p);
	fputs(text, p->f);
}

void pr_obj_begin(struct pr *p, const char *key)
{
	if (p->json)
		json_obj_begin(&p->j, key);
}

void pr_obj_end(struct pr *p)
{
	if (p->json)
		json_obj_end(&p->j);
}

void pr_arr_begin(struct pr *p, const char *key)
{
	if (p->json)
		json_arr_begin(&p->j, key);
}

void pr_arr_end(struct pr *p)
{
	if (p->json)
		json_arr_end(&p->j);
}

void pr_nl(struct pr *p)
{
	if (p->json)
		return;
	fputc('\n', p->f);
	p->line_start = true;
}
