/*
 * compat.c - strlcpy, strlcat and strtonum as OpenBSD defines them, for a
 * C library without them (see compat.h). They were libbsd's; a one-shot
 * run of a program spent a tenth of its time having the dynamic linker
 * map libbsd and libmd for these three.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVE_STRLCPY
/* Copies at most size - 1 bytes, always terminated (size > 0); returns
 * strlen(src): truncation when that is >= size. */
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t k = n < size - 1 ? n : size - 1;

		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}
#endif

#ifndef HAVE_STRLCAT
/* Appends to the string in dst (of size bytes); returns the length it
 * tried to make: truncation when that is >= size. */
size_t
strlcat(char *dst, const char *src, size_t size)
{
	size_t d = strnlen(dst, size);

	if (d == size)
		return size + strlen(src);
	return d + strlcpy(dst + d, src, size - d);
}
#endif

#ifndef HAVE_STRTONUM
/*
 * A decimal number in [min, max], or 0 with *errstr "invalid", "too
 * small" or "too large" (errno EINVAL or ERANGE). Like strtoll it takes
 * leading blanks and a sign.
 */
long long
strtonum(const char *s, long long min, long long max, const char **errstr)
{
	const char *why = NULL;
	long long v = 0;
	char *end;
	int e;

	if (min > max) {
		why = "invalid";
		e = EINVAL;
	} else {
		errno = 0;
		v = strtoll(s, &end, 10);
		e = errno;
		if (end == s || *end != '\0') {
			why = "invalid";
			e = EINVAL;
		} else if ((v == LLONG_MIN && e == ERANGE) || v < min) {
			why = "too small";
			e = ERANGE;
		} else if ((v == LLONG_MAX && e == ERANGE) || v > max) {
			why = "too large";
			e = ERANGE;
		}
	}
	if (errstr != NULL)
		*errstr = why;
	if (why != NULL) {
		errno = e;
		return 0;
	}
	return v;
}
#endif
