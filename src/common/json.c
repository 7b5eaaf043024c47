// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->depth = 0;
	j->pretty = pretty;
	j->err = false;
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		j->first[i] = true;
}

void json_write_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Flag slot of the innermost open container; levels past the limit share
 * the last slot, which keeps their commas right (output is still flagged). */
static bool *first_slot(struct json *j)
{
	return &j->first[(j->depth > JSON_MAX_DEPTH ? JSON_MAX_DEPTH : j->depth) - 1];
}

/* Separator, indentation and "key": before any value or container. */
static void member(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!*first_slot(j))
			fputc(',', j->f);
		*first_slot(j) = false;
		indent(j);
	}
	if (key) {
		json_write_string(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth >= JSON_MAX_DEPTH)
		j->err = true;   /* output stays balanced; the caller is told at json_end */
	j->depth++;
	*first_slot(j) = true;
}

static void close_container(struct json *j, char c)
{
	bool empty;

	if (j->depth <= 0) {
		j->err = true;
		return;
	}
	empty = *first_slot(j);
	j->depth--;
	if (j->depth >= JSON_MAX_DEPTH)
		*first_slot(j) = false;   /* shared slot: the parent has a member now */
	if (!empty)
		indent(j);
	fputc(c, j->f);
}

void json_obj_begin(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_obj_end(struct json *j)
{
	close_container(j, '}');
}

void json_arr_begin(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_arr_end(struct json *j)
{
	close_container(j, ']');
}

void json_str(struct json *j, const char *key, const char *val)
{
	member(j, key);
	if (val)
		json_write_string(j->f, val);
	else
		fputs("null", j->f);
}

void json_strf(struct json *j, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		j->err = true;
		json_null(j, key);
		return;
	}
	json_str(j, key, s);
	free(s);
}

void json_uint(struct json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void json_int(struct json *j, const char *key, int64_t val)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

int json_end(struct json *j)
{
	if (j->depth != 0)
		j->err = true;
	fputc('\n', j->f);
	if (fflush(j->f) != 0 || ferror(j->f))
		return -1;
	return j->err ? -1 : 0;
}
