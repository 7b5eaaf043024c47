/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny TAP-producing unit test harness. Each TEST() is one TAP test point;
 * a failed CHECK marks the current test "not ok" and keeps going, so one
 * run reports every broken row of a table. The runner (tests/run.sh) sums
 * the ok / not ok lines of every binary.
 */
#ifndef UFOU_TESTS_T_H
#define UFOU_TESTS_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_num, t_failed_total, t_cur_failed;
static const char *t_cur_name;

static inline void t_end_current(void)
{
	if (!t_cur_name)
		return;
	printf("%sok %d - %s\n", t_cur_failed ? "not " : "", t_num, t_cur_name);
	if (t_cur_failed)
		t_failed_total++;
	t_cur_name = NULL;
}

static inline void t_begin(const char *name)
{
	t_end_current();
	t_num++;
	t_cur_name = name;
	t_cur_failed = 0;
}

#define TEST(name) t_begin(name)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			t_cur_failed = 1;                                      \
			printf("# %s:%d: %s: CHECK(%s) failed\n", __FILE__,    \
			       __LINE__, t_cur_name ? t_cur_name : "?", #cond); \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			t_cur_failed = 1;                                      \
			printf("# %s:%d: %s: %s == %lld, expected %s == %lld\n", \
			       __FILE__, __LINE__,                             \
			       t_cur_name ? t_cur_name : "?", #a, _a, #b, _b);  \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                       \
			t_cur_failed = 1;                                      \
			printf("# %s:%d: %s: got \"%s\", expected \"%s\"\n",     \
			       __FILE__, __LINE__,                             \
			       t_cur_name ? t_cur_name : "?", _a ? _a : "(null)", \
			       _b ? _b : "(null)");                            \
		}                                                              \
	} while (0)

#define CHECK_MEM(a, b, n)                                                     \
	do {                                                                   \
		if (memcmp((a), (b), (n)) != 0) {                              \
			t_cur_failed = 1;                                      \
			printf("# %s:%d: %s: memory %s != %s (%zu bytes)\n",   \
			       __FILE__, __LINE__,                             \
			       t_cur_name ? t_cur_name : "?", #a, #b,          \
			       (size_t)(n));                                   \
		}                                                              \
	} while (0)

/* Call at the end of main(): prints the plan and returns the exit code. */
static inline int t_done(void)
{
	t_end_current();
	printf("1..%d\n", t_num);
	return t_failed_total ? 1 : 0;
}

#endif
