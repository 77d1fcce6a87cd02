/*
 * tap.h - a minimal TAP producer for the unit tests (automake's TAP driver
 * reads it). Header-only: each test file includes it once.
 */
#ifndef DN_TAP_H
#define DN_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static void tap_plan(int n) { printf("1..%d\n", n); fflush(stdout); }

__attribute__((format(printf, 2, 3)))
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

__attribute__((format(printf, 1, 2)))
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define is_str(got, want, ...) \
	(ok((got) != NULL && strcmp((got), (want)) == 0, __VA_ARGS__) ? 1 : \
	 (diag("  got '%s', want '%s'", (got) ? (got) : "(null)", (want)), 0))
#define is_int(got, want, ...) \
	(ok((long long)(got) == (long long)(want), __VA_ARGS__) ? 1 : \
	 (diag("  got %lld, want %lld", (long long)(got), (long long)(want)), 0))

/* Ends the test: prints the plan when none was given up front. */
static int tap_done(int planned)
{
	if (!planned)
		tap_plan(tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* DN_TAP_H */
