/*
 * fuzz_addr.c - dn_addr_parse() and dn_addr_from_parts() under every kind
 * of hint: a value parsed formats and parses back to itself, as text and
 * as a 4-tuple, and narrower hints only ever take away.
 */
#include "config.h"

#include <net/if.h>

#include "fuzz.h"

static unsigned lo_index;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lo_index = if_nametoindex("lo");
	return 0;
}

/* Parses with hints; on failure out must be left as it was. */
static int
parse(dn_addr *out, const char *text, unsigned flags, int family,
    const char *dscope, dn_error *e)
{
	dn_addr_hints h = { .flags = flags, .family = family,
	    .default_scope = dscope, .what = "address" };
	dn_addr before;
	int rv;

	memset(out, 0xa5, sizeof(*out));
	before = *out;
	fz_err_reset(e);
	rv = dn_addr_parse(out, text, &h, e);
	FZ_CHECK(rv == 0 || rv == -1, "dn_addr_parse('%s') returned %d", text,
	    rv);
	if (rv == -1) {
		fz_check_err(e, "dn_addr_parse", text);
		FZ_CHECK(memcmp(out, &before, sizeof(before)) == 0,
		    "dn_addr_parse('%s') wrote its result on failure", text);
	}
	return rv;
}

static int
same(const dn_addr *a, const dn_addr *b)
{
	return dn_addr_equal(a, b) && a->len == b->len;
}

/* The value without its flowinfo, which "[ADDR]:PORT" cannot carry. */
static dn_addr
no_flow(const dn_addr *a)
{
	dn_addr c = *a;

	if (dn_addr_family(&c) == AF_INET6)
		c.u.sin6.sin6_flowinfo = 0;
	return c;
}

/* Every accessor and classifier on a parsed value: for UBSan, and the
 * relations that must hold between them. */
static void
classify(const dn_addr *a, const char *text)
{
	int fam = dn_addr_family(a);

	FZ_CHECK(fam == AF_INET || fam == AF_INET6, "'%s' parsed to family %d",
	    text, fam);
	FZ_CHECK(a->len == (fam == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6)), "'%s' parsed with length %u", text,
	    (unsigned)a->len);
	FZ_CHECK(dn_addr_flowinfo(a) <= 0xfffff, "'%s' has flowinfo 0x%x",
	    text, dn_addr_flowinfo(a));
	FZ_CHECK(fam == AF_INET6 || (dn_addr_scope(a) == 0 &&
	    dn_addr_flowinfo(a) == 0), "IPv4 '%s' has a scope or flowinfo", text);
	/* a scope only where one means something (RFC 4007) */
	FZ_CHECK(dn_addr_scope(a) == 0 || dn_addr_needs_scope(a),
	    "'%s' keeps scope %u on an address that takes none", text,
	    dn_addr_scope(a));
	(void)dn_addr_is_loopback(a);
	(void)dn_addr_is_unspecified(a);
	(void)dn_addr_is_linklocal(a);
	(void)dn_addr_is_v4mapped(a);
	FZ_CHECK(dn_addr_is_multicast(a) || dn_addr_mcast_scope(a) == -1,
	    "'%s' has a multicast scope but is not multicast", text);
}

/* Formats a and parses the text back: the same value, less flowinfo. */
static void
round_trip(const dn_addr *a, const char *text)
{
	char buf[DN_ADDR_STRLEN], host[DN_ADDR_STRLEN], sc[DN_ADDR_STRLEN];
	char tuple[3 * DN_ADDR_STRLEN], *pct;
	dn_addr b, want;
	dn_error e;

	dn_addr_format(a, buf, sizeof(buf));
	FZ_CHECK(strlen(buf) < sizeof(buf) - 1, "'%s' formats to '%s', which "
	    "may be cut", text, buf);
	FZ_CHECK(parse(&b, buf, DN_ADDR_PORT_REQUIRED, AF_UNSPEC, NULL,
	    &e) == 0, "'%s' formats to '%s', which does not parse: %s", text,
	    buf, e.msg);
	want = no_flow(a);
	FZ_CHECK(same(&b, &want), "'%s' formats to '%s', which parses to "
	    "another value", text, buf);

	/* HOST,PORT,FLOWINFO,SCOPE keeps all four */
	dn_addr_format_host(a, host, sizeof(host));
	if ((pct = strchr(host, '%')) != NULL)
		*pct = '\0';
	snprintf(sc, sizeof(sc), "%u", dn_addr_scope(a));
	/* no empty field: a trailing one is refused as a slip */
	if (dn_addr_scope(a) != 0)
		snprintf(tuple, sizeof(tuple), "%s,%u,0x%x,%s", host,
		    (unsigned)dn_addr_port(a), dn_addr_flowinfo(a), sc);
	else if (dn_addr_flowinfo(a) != 0)
		snprintf(tuple, sizeof(tuple), "%s,%u,0x%x", host,
		    (unsigned)dn_addr_port(a), dn_addr_flowinfo(a));
	else
		snprintf(tuple, sizeof(tuple), "%s,%u", host,
		    (unsigned)dn_addr_port(a));
	FZ_CHECK(parse(&b, tuple, DN_ADDR_PORT_OPTIONAL, AF_UNSPEC, NULL,
	    &e) == 0, "'%s' as the tuple '%s' does not parse: %s", text, tuple,
	    e.msg);
	FZ_CHECK(same(&b, a), "'%s' as the tuple '%s' parses to another value",
	    text, tuple);

	/* and from parts, as a program with separate arguments builds it */
	{
		dn_addr_hints h = { .flags = DN_ADDR_PORT_OPTIONAL,
		    .what = "address" };

		fz_err_reset(&e);
		FZ_CHECK(dn_addr_from_parts(&b, host, dn_addr_port(a),
		    dn_addr_flowinfo(a), dn_addr_scope(a) != 0 ? sc : NULL, &h,
		    &e) == 0, "'%s' from parts '%s' port %u scope '%s' fails: "
		    "%s", text, host, (unsigned)dn_addr_port(a), sc, e.msg);
		FZ_CHECK(same(&b, a), "'%s' from parts gives another value",
		    text);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dn_addr a, b;
	dn_error e0, e;
	char *text;
	int rv0, rv;

	if ((text = fz_text(data, size, 512)) == NULL)
		return 0;

	rv0 = parse(&a, text, DN_ADDR_PORT_OPTIONAL, AF_UNSPEC, NULL, &e0);
	if (rv0 == 0) {
		classify(&a, text);
		/* without SCOPE_OPTIONAL or -I, a link-local has its scope */
		FZ_CHECK(!dn_addr_needs_scope(&a) || dn_addr_scope(&a) != 0,
		    "'%s' parsed without the scope it needs", text);
		round_trip(&a, text);
	}

	/* A required port: nothing that the optional port refused. */
	rv = parse(&b, text, DN_ADDR_PORT_REQUIRED, AF_UNSPEC, NULL, &e);
	FZ_CHECK(rv == -1 || (rv0 == 0 && same(&a, &b)), "'%s' parses with a "
	    "required port but not the same with an optional one", text);

	/* No port: the same value, port 0. */
	rv = parse(&b, text, DN_ADDR_PORT_NONE, AF_UNSPEC, NULL, &e);
	FZ_CHECK(rv == -1 || (rv0 == 0 && same(&a, &b) &&
	    dn_addr_port(&b) == 0), "'%s' parses without a port but not the "
	    "same with an optional one", text);

	/* One family: the value of that family, or DN_EFAMILY. */
	rv = parse(&b, text, DN_ADDR_PORT_OPTIONAL, AF_INET, NULL, &e);
	if (rv0 == 0 && dn_addr_family(&a) == AF_INET)
		FZ_CHECK(rv == 0 && same(&a, &b), "IPv4 '%s' refused where only "
		    "IPv4 is allowed: %s", text, e.msg);
	else if (rv0 == 0)
		FZ_CHECK(rv == -1 && e.code == DN_EFAMILY, "IPv6 '%s' not refused "
		    "with DN_EFAMILY where only IPv4 is allowed", text);
	else
		FZ_CHECK(rv == -1, "'%s' parses for IPv4 only but not for any",
		    text);
	rv = parse(&b, text, DN_ADDR_PORT_OPTIONAL, AF_INET6, NULL, &e);
	if (rv0 == 0 && dn_addr_family(&a) == AF_INET6)
		FZ_CHECK(rv == 0 && same(&a, &b), "IPv6 '%s' refused where only "
		    "IPv6 is allowed: %s", text, e.msg);
	else if (rv0 == 0)
		FZ_CHECK(rv == -1 && e.code == DN_EFAMILY, "IPv4 '%s' not refused "
		    "with DN_EFAMILY where only IPv6 is allowed", text);
	else
		FZ_CHECK(rv == -1, "'%s' parses for IPv6 only but not for any",
		    text);

	/* A scope made optional forgives DN_ENOSCOPE and nothing else. */
	rv = parse(&b, text, DN_ADDR_PORT_OPTIONAL | DN_ADDR_SCOPE_OPTIONAL,
	    AF_UNSPEC, NULL, &e);
	if (rv0 == 0)
		FZ_CHECK(rv == 0 && same(&a, &b), "'%s' refused once its scope "
		    "is optional: %s", text, e.msg);
	else if (rv == 0) {
		FZ_CHECK(e0.code == DN_ENOSCOPE, "'%s' failed with %s but parses "
		    "once its scope is optional", text, dn_err_name(e0.code));
		classify(&b, text);
	}

	/* -I lo: supplies the scope a link-local lacked, changes nothing
	 * else. */
	if (lo_index != 0) {
		rv = parse(&b, text, DN_ADDR_PORT_OPTIONAL, AF_UNSPEC, "lo", &e);
		if (rv0 == 0)
			FZ_CHECK(rv == 0 && same(&a, &b), "'%s' changes or fails "
			    "with -I lo: %s", text, e.msg);
		else if (e0.code == DN_ENOSCOPE)
			FZ_CHECK(rv == 0 && dn_addr_scope(&b) == lo_index,
			    "'%s' lacked a scope but -I lo does not give it "
			    "one: %s", text, e.msg);
		else
			FZ_CHECK(rv == -1, "'%s' failed with %s but parses with "
			    "-I lo", text, dn_err_name(e0.code));
	}

	/* The whole text as the host of dn_addr_from_parts(): never more
	 * than dn_addr_parse() takes. */
	{
		dn_addr_hints h = { .flags = DN_ADDR_PORT_OPTIONAL,
		    .what = "address" };

		fz_err_reset(&e);
		if (dn_addr_from_parts(&b, text, -1, 0, NULL, &h, &e) == 0)
			FZ_CHECK(rv0 == 0 && same(&a, &b), "'%s' is a host for "
			    "dn_addr_from_parts() but not the same address for "
			    "dn_addr_parse()", text);
		else
			fz_check_err(&e, "dn_addr_from_parts", text);
	}

	free(text);
	return 0;
}
