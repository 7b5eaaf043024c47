/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One print API for `show`: each field is printed by one call that yields
 * text or JSON, as iproute2's print_uint(PRINT_ANY, key, fmt, value).
 * Text items on a line are separated by single spaces; pr_nl ends a line.
 *
 *	pr_uint(p, PR_ANY, "port", "port %llu", 5555);  ->  port 5555 | "port":5555
 *	pr_flag(p, "csum", "encap-csum", "noencap-csum", false);
 */
#ifndef UFOU_COMMON_PRINT_H
#define UFOU_COMMON_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/json.h"

enum pr_where {
	PR_ANY,    /* text (with fmt) and JSON (with key) */
	PR_TEXT,   /* text only */
	PR_JSON,   /* JSON only */
};

struct pr {
	FILE *f;
	bool json;
	bool line_start;
	struct json j;
};

void pr_init(struct pr *p, FILE *f, bool json, bool pretty);
/* Ends the output (JSON: newline); 0 or -1. */
int pr_end(struct pr *p);

/* fmt is a printf format with one %llu / %llx (uint) or %s (str) conversion. */
void pr_uint(struct pr *p, enum pr_where w, const char *key, const char *fmt, uint64_t v);
void pr_str(struct pr *p, enum pr_where w, const char *key, const char *fmt, const char *s);
/* Text: on or off word; JSON: key: true/false. */
void pr_flag(struct pr *p, const char *key, const char *on, const char *off, bool v);
void pr_bool(struct pr *p, enum pr_where w, const char *key, const char *text, bool v);
/* Text: the word; JSON: key: null (a present key without a value, as iproute2's print_null). */
void pr_null(struct pr *p, const char *key, const char *text);

/* Containers exist only in JSON; in text they are no-ops. */
void pr_obj_begin(struct pr *p, const char *key);
void pr_obj_end(struct pr *p);
void pr_arr_begin(struct pr *p, const char *key);
void pr_arr_end(struct pr *p);

/* Text only: ends the line. */
void pr_nl(struct pr *p);

#endif
