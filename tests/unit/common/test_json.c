// SPDX-License-Identifier: GPL-2.0
/* JSON writer: commas, nesting, escaping, compact and pretty output. */
#include "common/json.h"
#include "t.h"

/* Runs fn against a memory stream and returns the text (static buffer). */
static const char *render(void (*fn)(struct json *), bool pretty, int *end_rc)
{
	static char out[4096];
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct json j;

	json_init(&j, f, pretty);
	fn(&j);
	*end_rc = json_end(&j);
	fclose(f);
	snprintf(out, sizeof(out), "%s", mem ? mem : "");
	free(mem);
	return out;
}

static void doc_nested(struct json *j)
{
	json_obj_begin(j, NULL);
	json_str(j, "s", "a\"b\\c\n\t\x01\x7f" "\xc3\xa9");
	json_uint(j, "u", 18446744073709551615ull);
	json_int(j, "i", -5);
	json_bool(j, "t", true);
	json_bool(j, "f", false);
	json_null(j, "n");
	json_str(j, "sn", NULL);
	json_strf(j, "fmt", "%s-%d", "x", 7);
	json_arr_begin(j, "a");
	json_uint(j, NULL, 1);
	json_obj_begin(j, NULL);
	json_obj_end(j);
	json_arr_begin(j, NULL);
	json_arr_end(j);
	json_uint(j, NULL, 2);
	json_arr_end(j);
	json_obj_begin(j, "o");
	json_uint(j, "k", 0);
	json_obj_end(j);
	json_obj_end(j);
}

static void doc_empty_arr(struct json *j)
{
	json_arr_begin(j, NULL);
	json_arr_end(j);
}

static void doc_scalar(struct json *j)
{
	json_uint(j, NULL, 42);
}

static void doc_unbalanced(struct json *j)
{
	json_obj_begin(j, NULL);
}

static void doc_underflow(struct json *j)
{
	json_arr_end(j);
}

static void doc_deep(struct json *j)
{
	for (int i = 0; i < JSON_MAX_DEPTH + 3; i++)
		json_arr_begin(j, NULL);
	json_uint(j, NULL, 1);
	json_uint(j, NULL, 2);
	for (int i = 0; i < JSON_MAX_DEPTH + 3; i++)
		json_arr_end(j);
}

int main(void)
{
	int rc;
	const char *s;

	TEST("compact nested document");
	s = render(doc_nested, false, &rc);
	CHECK_EQ(rc, 0);
	CHECK_STR(s, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xc3\xa9\","
		  "\"u\":18446744073709551615,"
		  "\"i\":-5,\"t\":true,\"f\":false,\"n\":null,\"sn\":null,\"fmt\":\"x-7\","
		  "\"a\":[1,{},[],2],\"o\":{\"k\":0}}\n");

	TEST("pretty nested document");
	s = render(doc_nested, true, &rc);
	CHECK_EQ(rc, 0);
	CHECK(strstr(s, "{\n  \"s\": ") == s);
	CHECK(strstr(s, "\n  \"a\": [\n    1,\n    {},\n    [],\n    2\n  ],\n") != NULL);
	CHECK(strstr(s, "\n  \"o\": {\n    \"k\": 0\n  }\n}\n") != NULL);

	TEST("empty array, scalar");
	s = render(doc_empty_arr, true, &rc);
	CHECK_EQ(rc, 0);
	CHECK_STR(s, "[]\n");
	s = render(doc_scalar, false, &rc);
	CHECK_EQ(rc, 0);
	CHECK_STR(s, "42\n");

	TEST("misuse is reported");
	render(doc_unbalanced, false, &rc);
	CHECK_EQ(rc, -1);
	s = render(doc_underflow, false, &rc);
	CHECK_EQ(rc, -1);
	CHECK_STR(s, "\n");

	TEST("depth beyond the limit stays balanced");
	s = render(doc_deep, false, &rc);
	CHECK_EQ(rc, -1);
	CHECK_EQ(strlen(s), 2 * (JSON_MAX_DEPTH + 3) + 3 + 1);
	return t_done();
}
