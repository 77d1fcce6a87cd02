/*
 * fuzz_hostport.c - dn_hostport_split(), the HOST:PORT reader of the
 * programs' arguments: what it splits joins back into text that splits
 * the same, and it takes every literal dn_addr_parse() takes.
 */
#include "config.h"

#include <ctype.h>

#include "fuzz.h"

#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789._-"

/* Bracketed text for a host with a colon, its zone percent-encoded
 * (RFC 6874), so that a zone such as "25x" cannot read as "%25" + "x". */
static void
join(char *out, size_t len, const char *host, int port)
{
	const char *pct = strchr(host, '%'), *z;
	size_t o;

	if (strcspn(host, ":") >= (pct != NULL ? (size_t)(pct - host) :
	    strlen(host))) {
		if (port >= 0)
			snprintf(out, len, "%s:%d", host, port);
		else
			snprintf(out, len, "%s", host);
		return;
	}
	o = (size_t)snprintf(out, len, "[%.*s", pct != NULL ?
	    (int)(pct - host) : (int)strlen(host), host);
	if (pct != NULL) {
		o += (size_t)snprintf(out + o, len - o, "%%25");
		for (z = pct + 1; *z != '\0' && o < len; z++)
			o += (size_t)(isalnum((unsigned char)*z) ?
			    snprintf(out + o, len - o, "%c", *z) :
			    snprintf(out + o, len - o, "%%%02X",
			    (unsigned char)*z));
	}
	if (o < len) {
		if (port >= 0)
			snprintf(out + o, len - o, "]:%d", port);
		else
			snprintf(out + o, len - o, "]");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[1100], host2[1100], text2[3400];
	dn_addr_hints h = { .flags = DN_ADDR_PORT_OPTIONAL |
	    DN_ADDR_SCOPE_OPTIONAL, .what = "address" };
	dn_addr a, b;
	dn_error e;
	const char *zone;
	char *text;
	int port = -2, port2 = -2, rv, rv2;

	if ((text = fz_text(data, size, 1100)) == NULL)
		return 0;

	fz_err_reset(&e);
	strcpy(host, "untouched");
	rv = dn_hostport_split(text, host, sizeof(host), &port, &e);
	if (rv == -1) {
		fz_check_err(&e, "dn_hostport_split", text);
		FZ_CHECK(strcmp(host, "untouched") == 0 && port == -2,
		    "dn_hostport_split('%s') wrote its results on failure", text);
	} else
		FZ_CHECK(rv == 0 && host[0] != '\0' && port >= -1 &&
		    port <= 65535, "dn_hostport_split('%s') gave host '%s' port "
		    "%d", text, host, port);
	/* A tuple's SCOPE field may hold what no %zone can (':', '%'),
	 * which then has no HOST:PORT form: only zones that look like
	 * interface names go round; and past 255 bytes only a name is
	 * read, never brackets. */
	zone = rv == 0 ? strchr(host, '%') : NULL;
	if (rv == 0 && (zone == NULL || strspn(zone + 1, NAME_CHARS) ==
	    strlen(zone + 1))) {
		join(text2, sizeof(text2), host, port);
		fz_err_reset(&e);
		rv2 = strlen(text2) <= 255 ? dn_hostport_split(text2, host2,
		    sizeof(host2), &port2, &e) : -2;
		FZ_CHECK(rv2 != -1, "'%s' splits into '%s' and %d, which join "
		    "into '%s' that does not split: %s", text, host, port,
		    text2, e.msg);
		FZ_CHECK(rv2 == -2 || (strcmp(host, host2) == 0 &&
		    port == port2), "'%s' splits into '%s' and %d, '%s' into "
		    "'%s' and %d", text, host, port, text2, host2, port2);
	}

	/* A literal the address parser takes, without flowinfo (a host
	 * carries none), splits into a host that parses to that address. */
	fz_err_reset(&e);
	if (dn_addr_parse(&a, text, &h, &e) == 0 && dn_addr_flowinfo(&a) == 0) {
		FZ_CHECK(rv == 0, "'%s' parses as an address but does not split",
		    text);
		FZ_CHECK(port == -1 || port == dn_addr_port(&a), "'%s' splits "
		    "with port %d but parses with port %u", text, port,
		    (unsigned)dn_addr_port(&a));
		h.flags = DN_ADDR_PORT_NONE | DN_ADDR_SCOPE_OPTIONAL;
		fz_err_reset(&e);
		FZ_CHECK(dn_addr_parse(&b, host, &h, &e) == 0, "'%s' splits "
		    "into host '%s' that does not parse: %s", text, host, e.msg);
		dn_addr_set_port(&b, dn_addr_port(&a));
		FZ_CHECK(dn_addr_equal(&a, &b), "'%s' splits into host '%s' "
		    "that parses to another address", text, host);
	}

	/* Short of room: an error, never a cut host. */
	if (rv == 0 && strlen(host) > 1) {
		fz_err_reset(&e);
		FZ_CHECK(dn_hostport_split(text, host2, strlen(host), &port2,
		    &e) == -1 && e.code == DN_ERANGE, "'%s': host '%s' in %zu "
		    "bytes did not fail with DN_ERANGE", text, host,
		    strlen(host));
	}

	free(text);
	return 0;
}
