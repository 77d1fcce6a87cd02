/* error.c - the one error vocabulary: names, sentences, exit codes, errno mapping. */

#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The one version: AC_INIT in configure.ac, through config.h. */

static const struct {
	const char *name;
	dn_err_kind kind;
	const char *desc;
} errtab[] = {
#define DN__ERR_ROW(name, kind, s) { #name, DN_KIND_##kind, s },
	DN_ERRORS(DN__ERR_ROW)
#undef DN__ERR_ROW
};

_Static_assert(DN__ARRLEN(errtab) == DN__ERR_MAX,
    "DN_ERRORS and errtab disagree");

const char *
dn_strerror(dn_err code)
{
	if ((unsigned)code >= DN__ARRLEN(errtab))
		return "unknown error";
	return errtab[code].desc;
}

const char *
dn_err_name(dn_err code)
{
	if ((unsigned)code >= DN__ARRLEN(errtab))
		return "EUNKNOWN";
	return errtab[code].name;
}

dn_err_kind
dn_err_kind_of(dn_err code)
{
	/* a code from a newer library: an error all the same */
	if ((unsigned)code >= DN__ARRLEN(errtab))
		return DN_KIND_SYSTEM;
	return errtab[code].kind;
}

dn_err
dn_err_from_errno(int os_errno)
{
	switch (os_errno) {
	case 0:
		return DN_OK;
	case ECONNREFUSED:
		return DN_EREFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return DN_EUNREACH;
	case ETIMEDOUT:
		return DN_ETIMEDOUT;
	case EADDRINUSE:
	case EADDRNOTAVAIL:
	case EACCES:
	case EPERM:
		return DN_ELOCAL;
	case ECONNRESET:
	case EPIPE:
		return DN_EIO;
	case ENOMEM:
		return DN_ENOMEM;
	default:
		return DN_EOTHER;
	}
}

int
dn__err(dn_error *err, dn_err code, int os_errno, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (err == NULL)
		return -1;
	err->code = code;
	err->os_errno = os_errno;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* A message quotes what it was given, which may hold a newline or
	 * an escape sequence before anything has looked at it ("'a\nb...'
	 * is too long"); it stays one line, as the programs print it. */
	for (p = err->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

void
dn__err_copy(dn_error *dst, const dn_error *src)
{
	if (dst == NULL || src == NULL || dst == src)
		return;
	memcpy(dst, src, sizeof(*dst));
	dst->msg[sizeof(dst->msg) - 1] = '\0';
}

const char *
dn_version(void)
{
	return PACKAGE_VERSION;
}
