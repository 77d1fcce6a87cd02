/*
 * compat.h - the BSD string and number functions the C library lacks:
 * strlcpy and strlcat (glibc has them from 2.38), strtonum (glibc never).
 * config.h includes this, so every file sees them as libbsd's overlay
 * made them seen; lib/compat.c defines what configure did not find.
 */
#ifndef DN_COMPAT_H
#define DN_COMPAT_H

#include <stddef.h>

#ifndef HAVE_STRLCPY
size_t strlcpy(char *dst, const char *src, size_t size);
#endif
#ifndef HAVE_STRLCAT
size_t strlcat(char *dst, const char *src, size_t size);
#endif
#ifndef HAVE_STRTONUM
long long strtonum(const char *s, long long min, long long max,
    const char **errstr);
#endif

#endif /* DN_COMPAT_H */
