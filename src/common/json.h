/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer to a FILE *. The writer tracks one "first
 * member" flag per nesting level, so callers never deal with commas. Every
 * value call takes a key: the member name inside an object, NULL inside an
 * array (or for the top-level value). Output is indented two spaces per
 * level when pretty is set, else compact on one line.
 *
 *	struct json j;
 *	json_init(&j, stdout, true);
 *	json_obj_begin(&j, NULL);
 *	json_str(&j, "name", "fou0");
 *	json_arr_begin(&j, "ports");
 *	json_uint(&j, NULL, 5555);
 *	json_arr_end(&j);
 *	json_obj_end(&j);
 *	json_end(&j);   // final newline; returns -1 if anything went wrong
 */
#ifndef UFOU_COMMON_JSON_H
#define UFOU_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;                   /* open containers */
	bool first[JSON_MAX_DEPTH];  /* no member written yet at this level */
	bool pretty;
	bool err;                    /* misuse (depth overflow/underflow) */
};

void json_init(struct json *j, FILE *f, bool pretty);

void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);

/* val NULL writes null. */
void json_str(struct json *j, const char *key, const char *val);
void json_strf(struct json *j, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void json_uint(struct json *j, const char *key, uint64_t val);
void json_int(struct json *j, const char *key, int64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

/* Writes s as a quoted JSON string (escaping quotes, backslashes, control
 * characters and DEL; bytes >= 0x80 pass through as UTF-8). */
void json_write_string(FILE *f, const char *s);

/* Ends the document: newline, flush. Returns 0, or -1 on misuse or a
 * write error on the stream. */
int json_end(struct json *j);

#endif
