/*
 * t_compat.c - strlcpy, strlcat and strtonum behave as OpenBSD's, whether
 * the C library has them or lib/compat.c does.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>

#include "tap.h"

static void
t_strlcpy(void)
{
	char b[6];

	memset(b, 'x', sizeof(b));
	is_int(strlcpy(b, "abc", sizeof(b)), 3, "strlcpy: the source's length");
	ok(strcmp(b, "abc") == 0, "  copied whole");
	is_int(strlcpy(b, "abcdefgh", sizeof(b)), 8, "  too long: still its "
	    "length (truncation shows as >= size)");
	ok(strcmp(b, "abcde") == 0, "  size - 1 bytes and the NUL");
	b[0] = 'q';
	is_int(strlcpy(b, "zz", 0), 2, "  size 0: writes nothing");
	ok(b[0] == 'q', "  (dst untouched)");
}

static void
t_strlcat(void)
{
	char b[8] = "ab";

	is_int(strlcat(b, "cd", sizeof(b)), 4, "strlcat: the length made");
	ok(strcmp(b, "abcd") == 0, "  appended");
	is_int(strlcat(b, "efghij", sizeof(b)), 10, "  too long: the length "
	    "it tried to make");
	ok(strcmp(b, "abcdefg") == 0, "  filled to size - 1");
	memset(b, 'x', sizeof(b));
	is_int(strlcat(b, "yz", sizeof(b)), 10, "  dst without its NUL in "
	    "size: size + strlen(src), nothing written");
}

static void
t_strtonum(void)
{
	const char *es = "unset";

	ok(strtonum("42", 1, 100, &es) == 42 && es == NULL,
	    "strtonum: 42 in 1..100, no error");
	ok(strtonum(" -7", -10, 10, &es) == -7 && es == NULL,
	    "  blanks and a sign, as strtoll takes them");
	errno = 0;
	ok(strtonum("0", 1, 100, &es) == 0 && es != NULL &&
	    strcmp(es, "too small") == 0 && errno == ERANGE,
	    "  below min: 0, \"too small\", ERANGE");
	ok(strtonum("101", 1, 100, &es) == 0 && strcmp(es, "too large") == 0,
	    "  above max: \"too large\"");
	ok(strtonum("99999999999999999999", 0, LLONG_MAX, &es) == 0 &&
	    strcmp(es, "too large") == 0, "  past long long: \"too large\"");
	ok(strtonum("-99999999999999999999", LLONG_MIN, 0, &es) == 0 &&
	    strcmp(es, "too small") == 0, "  below long long: \"too small\"");
	errno = 0;
	ok(strtonum("12x", 0, 100, &es) == 0 && strcmp(es, "invalid") == 0 &&
	    errno == EINVAL, "  trailing junk: \"invalid\", EINVAL");
	ok(strtonum("", 0, 100, &es) == 0 && strcmp(es, "invalid") == 0,
	    "  empty: \"invalid\"");
	ok(strtonum("5", 10, 1, &es) == 0 && strcmp(es, "invalid") == 0,
	    "  min > max: \"invalid\"");
	ok(strtonum("-0", 0, 0, NULL) == 0, "  errstr may be NULL");
}

int
main(void)
{
	t_strlcpy();
	t_strlcat();
	t_strtonum();
	return tap_done(0);
}
