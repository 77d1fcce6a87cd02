/*
 * internal.h - what the library's files share and do not export:
 * error helpers and the reactor's hooks for c-ares.
 */
#ifndef DN_INTERNAL_H
#define DN_INTERNAL_H

#include "dualnet.h"

#include <stdarg.h>

#define DN__ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fills err (if not NULL) with code, errno and a printf-style sentence;
 * returns -1 so callers can `return dn__err(...)`. */
int dn__err(dn_error *err, dn_err code, int os_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dn__err_copy(dn_error *dst, const dn_error *src);

/* Interface names that exist, comma-separated, for "add %IFACE" hints. */
const char *dn__iface_list(char *buf, size_t len);

/* Flow label manager (Linux): leases label (host order, 20 bits) on the
 * IPv6 socket fd towards dst and turns IPV6_FLOWINFO_SEND on. */
int dn__flowlabel_lease(int fd, const dn_addr *dst, dn_error *err);

/* Non-blocking, close-on-exec socket. */
int dn__socket(int family, int type, dn_error *err);

#endif /* DN_INTERNAL_H */
