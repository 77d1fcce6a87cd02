/*
 * endpoint.c - endpoint descriptions in Twisted's TYPE:ARG:KEY=VALUE syntax
 * and the tcp:/tcp6: client and server endpoints built from them.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* How much of a description an error message quotes. */
#define QUOTE_MAX 120

/* --- descriptions ---------------------------------------------------- */

struct dn_desc_kv {
	const char *key;
	const char *val;
};

struct dn_desc {
	char *buf;		/* unescaped text: every field points here */
	const char *type;
	const char **args;
	size_t nargs;
	struct dn_desc_kv *kv;
	size_t nkv;
};

/*
 * One field is complete: the first names the type, then "KEY=VALUE" or a
 * positional argument. eq points at the value when the field had an
 * unescaped '='.
 */
static int
desc_add_field(dn_desc *d, const char *text, const char *field,
    const char *eq, dn_error *err)
{
	size_t i;

	if (d->type == NULL) {
		if (eq != NULL)
			return dn__err(err, DN_ESYNTAX, 0, "description '%.*s' "
			    "must start with a type such as tcp:, not "
			    "'%s=%s'", QUOTE_MAX, text, field, eq);
		if (*field == '\0')
			return dn__err(err, DN_ESYNTAX, 0, "description '%.*s' "
			    "has an empty type: start it with tcp: or tcp6:",
			    QUOTE_MAX, text);
		d->type = field;
		return 0;
	}
	if (eq == NULL) {
		d->args[d->nargs++] = field;
		return 0;
	}
	if (*field == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "description '%.*s' has an "
		    "empty key before '=%s': write KEY=VALUE", QUOTE_MAX, text,
		    eq);
	for (i = 0; i < d->nkv; i++)
		if (strcmp(d->kv[i].key, field) == 0)
			return dn__err(err, DN_ESYNTAX, 0, "key '%s' appears "
			    "twice in %s: description: give it once", field,
			    d->type);
	d->kv[d->nkv].key = field;
	d->kv[d->nkv].val = eq;
	d->nkv++;
	return 0;
}

dn_desc *
dn_desc_parse(const char *text, dn_error *err)
{
	dn_desc *d = NULL, *ret = NULL;
	const char *p;
	char *w, *field, *eq;
	size_t nfields = 1;

	if (text == NULL) {
		dn__err(err, DN_EINVAL, 0, "no description given: write e.g. "
		    "tcp:host=H:port=P");
		goto done;
	}
	/* An upper bound: escaped colons count too. */
	for (p = text; *p != '\0'; p++)
		if (*p == ':')
			nfields++;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->buf = malloc(strlen(text) + 1)) == NULL ||
	    (d->args = calloc(nfields, sizeof(*d->args))) == NULL ||
	    (d->kv = calloc(nfields, sizeof(*d->kv))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory parsing a "
		    "description");
		goto done;
	}

	/*
	 * Twisted's _tokenize: a backslash takes the next character as it
	 * is; ':' ends a field; the first unescaped '=' of a field splits
	 * KEY from VALUE and later ones are part of the value. The unescaped
	 * text is never longer than the input, so one buffer holds it.
	 */
	w = field = d->buf;
	eq = NULL;
	for (p = text;; p++) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				dn__err(err, DN_ESYNTAX, 0,
				    "description '%.*s' "
				    "ends in a lone backslash: write \\\\ for "
				    "a backslash", QUOTE_MAX, text);
				goto done;
			}
			*w++ = *++p;
		} else if (*p == '=' && eq == NULL) {
			*w++ = '\0';
			eq = w;
		} else if (*p == ':' || *p == '\0') {
			*w++ = '\0';
			if (desc_add_field(d, text, field, eq, err) == -1)
				goto done;
			if (*p == '\0')
				break;
			field = w;
			eq = NULL;
		} else
			*w++ = *p;
	}
	ret = d;
	d = NULL;
done:
	dn_desc_free(d);
	return ret;
}

void
dn_desc_free(dn_desc *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d->args);
	free(d->kv);
	free(d);
}

const char *
dn_desc_type(const dn_desc *d)
{
	return d->type;
}

size_t
dn_desc_nargs(const dn_desc *d)
{
	return d->nargs;
}

const char *
dn_desc_arg(const dn_desc *d, size_t i)
{
	return i < d->nargs ? d->args[i] : NULL;
}

const char *
dn_desc_get(const dn_desc *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nkv; i++)
		if (strcmp(d->kv[i].key, key) == 0)
			return d->kv[i].val;
	return NULL;
}

int
dn_desc_check_keys(const dn_desc *d, const char *const *allowed,
    dn_error *err)
{
	char known[256];
	size_t i, j;

	for (i = 0; i < d->nkv; i++) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(d->kv[i].key, allowed[j]) == 0)
				break;
		if (allowed[j] != NULL)
			continue;
		known[0] = '\0';
		for (j = 0; allowed[j] != NULL; j++) {
			if (j > 0)
				strlcat(known, ", ", sizeof(known));
			strlcat(known, allowed[j], sizeof(known));
		}
		return dn__err(err, DN_ESYNTAX, 0, "unknown key '%s' in %s: "
		    "description; known: %s", d->kv[i].key, d->type,
		    known[0] != '\0' ? known : "none");
	}
	return 0;
}

/* --- the defaults programs pass down ---------------------------------- */

/* Zero is "not set" for every field but v6only, where 0 asks for
 * dual-stack. */
void
dn_endpoint_defaults_init(dn_endpoint_defaults *d)
{
	memset(d, 0, sizeof(*d));
	d->family = AF_UNSPEC;
	d->v6only = -1;
}

/* --- the table of types ---------------------------------------------- */

struct dn_client_endpoint {
	int family;		/* AF_INET6: names go to IPv6, else IPv4 */
	int literal;		/* 1: dest is the address; 0: a name */
	dn_addr dest;
	char *host;
	uint16_t port;
	uint32_t flowinfo;	/* host order; for names resolved to IPv6 */
	uint64_t timeout_ns;
	int has_bind;
	dn_addr bind;
	char *scope;
	dn_trace_cb trace;
	void *trace_arg;
	/* hostname: the racing endpoint */
	int racing;
	dn_hostname_opts hopts;	/* bind pointers aim at hbind[] */
	dn_addr hbind[2];	/* [0] IPv6, [1] IPv4 */
	/* NAT64, for hostname: and addresses (not tcp:, tcp6:) */
	int nat64_ok;
	dn_nat64_opts n64;	/* prefixes aim at n64pfx[]; hopts.nat64 at n64 */
	dn_prefix n64pfx[DN_NAT64_MAX_PREFIXES];
};

/* ep's own copy of o (NULL: auto, prefixes discovered). */
static void
nat64_keep(dn_client_endpoint *ep, const dn_nat64_opts *o)
{
	size_t n = o != NULL ? o->nprefixes : 0;

	memset(&ep->n64, 0, sizeof(ep->n64));
	if (o != NULL)
		ep->n64.mode = o->mode;
	if (n > DN__ARRLEN(ep->n64pfx))
		n = DN__ARRLEN(ep->n64pfx);
	if (n > 0)
		memcpy(ep->n64pfx, o->prefixes, n * sizeof(ep->n64pfx[0]));
	ep->n64.prefixes = ep->n64pfx;
	ep->n64.nprefixes = n;
	ep->hopts.nat64 = &ep->n64;
	ep->nat64_ok = 1;
}

struct dn_server_endpoint {
	int all;		/* all: every interface */
	dn_addr local;		/* tcp:, tcp6: */
	uint16_t port;		/* all: */
	dn_listen_opts opts;
	dn_all_opts aopts;	/* all: its strings point at ifs and excl */
	char *ifs, *excl;
};

typedef int (*client_parse_fn)(dn_client_endpoint *ep, const dn_desc *d,
    int family, const dn_endpoint_defaults *defs, dn_error *err);
typedef int (*server_parse_fn)(dn_server_endpoint *ep, const dn_desc *d,
    int family, const dn_endpoint_defaults *defs, dn_error *err);

static int tcp_client_parse(dn_client_endpoint *, const dn_desc *, int,
    const dn_endpoint_defaults *, dn_error *);
static int tcp_server_parse(dn_server_endpoint *, const dn_desc *, int,
    const dn_endpoint_defaults *, dn_error *);
static int hostname_client_parse(dn_client_endpoint *, const dn_desc *, int,
    const dn_endpoint_defaults *, dn_error *);
static int all_server_parse(dn_server_endpoint *, const dn_desc *, int,
    const dn_endpoint_defaults *, dn_error *);

/*
 * Every type DESIGN.md names, so that dn_desc_is_description() knows them
 * all; a NULL parser means this version does not build that kind yet.
 * family is what the type asks for: AF_UNSPEC for tcp: (literals of either
 * family, names IPv4 only: plan point 5).
 */
static const struct desc_type {
	const char *name;
	int family;
	client_parse_fn client;
	server_parse_fn server;
} desc_types[] = {
	{ "tcp",	AF_UNSPEC,	tcp_client_parse, tcp_server_parse },
	{ "tcp6",	AF_INET6,	tcp_client_parse, tcp_server_parse },
	{ "hostname",	AF_UNSPEC,	hostname_client_parse, NULL },
	{ "all",	AF_UNSPEC,	NULL,		all_server_parse },
	{ "udp",	AF_UNSPEC,	NULL,		NULL },
	{ "udp-all",	AF_UNSPEC,	NULL,		NULL },
	{ "udp6",	AF_INET6,	NULL,		NULL },
	{ "multicast",	AF_UNSPEC,	NULL,		NULL },
};

int
dn_desc_is_description(const char *text)
{
	size_t i, n;

	if (text == NULL)
		return 0;
	for (i = 0; i < DN__ARRLEN(desc_types); i++) {
		n = strlen(desc_types[i].name);
		if (strncmp(text, desc_types[i].name, n) == 0 && text[n] == ':')
			return 1;
	}
	return 0;
}

/* udp:, udp6:, udp-all: and multicast: are parsed by dgram_endpoint.c. */
static int
is_dgram_type(const char *type)
{
	return strcmp(type, "multicast") == 0 || strcmp(type, "udp") == 0 ||
	    strcmp(type, "udp6") == 0 || strcmp(type, "udp-all") == 0;
}

/* The type entry for d, or NULL with err set. */
static const struct desc_type *
desc_lookup(const dn_desc *d, const char *text, dn_error *err)
{
	size_t i;

	for (i = 0; i < DN__ARRLEN(desc_types); i++)
		if (strcmp(d->type, desc_types[i].name) == 0)
			return &desc_types[i];
	dn__err(err, DN_ESYNTAX, 0, "'%.*s' is not an endpoint description: "
	    "unknown type '%s', use tcp: or tcp6:", QUOTE_MAX, text, d->type);
	return NULL;
}

/* --- values inside descriptions -------------------------------------- */

/* Digits only (no sign, no space: strtonum would take those). */
int
dn__desc_number(const char *s, long long min, long long max, long long *out,
    dn_err *code)
{
	long long v = 0;
	size_t i;

	if (*s == '\0' || strspn(s, "0123456789") != strlen(s)) {
		*code = DN_ESYNTAX;
		return -1;
	}
	for (i = 0; s[i] != '\0'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > max)
			break;
	}
	if (v < min || v > max) {
		*code = DN_ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
dn__desc_port(const dn_desc *d, const char *s, int allow_zero, uint16_t *port,
    dn_error *err)
{
	long long v;
	dn_err code;

	if (dn__desc_number(s, allow_zero ? 0 : 1, 65535, &v, &code) == -1)
		return dn__err(err, code, 0, "port '%s' in %s: description is "
		    "not a number from %d to 65535", s, d->type,
		    allow_zero ? 0 : 1);
	*port = (uint16_t)v;
	return 0;
}

/* Seconds with an optional decimal fraction: "2", "2.5", ".25". */
static int
desc_seconds(const dn_desc *d, const char *key, const char *s, uint64_t *ns,
    dn_error *err)
{
	uint64_t whole = 0, frac = 0, scale = 100000000;
	const char *p = s;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (whole < 1000000)
			whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			frac += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	if (digits == 0 || *p != '\0')
		return dn__err(err, DN_ESYNTAX, 0,
		    "%s '%s' in %s: description is "
		    "not a number of seconds: give e.g. 2 or 0.5", key, s,
		    d->type);
	/* The same bounds as the programs' -w. */
	if (whole > 86400 || (whole == 86400 && frac > 0) ||
	    (whole == 0 && frac < 1000000))
		return dn__err(err, DN_ERANGE, 0, "%s %s in %s: description is "
		    "out of range: give 0.001 to 86400 seconds", key, s,
		    d->type);
	*ns = whole * 1000000000ull + frac;
	return 0;
}

/* An empty field is most often an IPv6 address whose colons were not
 * escaped: "host=::1" splits into "host=", "" and "1". The one empty field
 * of "tcp:" is no field at all: form is what to write instead. */
int
dn__desc_no_empty_args(const dn_desc *d, const char *form, dn_error *err)
{
	size_t i;

	if (d->nargs == 1 && d->args[0][0] == '\0' && d->nkv == 0)
		return dn__err(err, DN_ESYNTAX, 0, "description '%s:' has no "
		    "fields: write %s", d->type, form);
	for (i = 0; i < d->nargs; i++)
		if (d->args[i][0] == '\0')
			return dn__err(err, DN_ESYNTAX, 0, "%s: description has "
			    "an empty field: escape the colons of an IPv6 "
			    "address, as in %s", d->type,
			    strcmp(d->type, "multicast") == 0 ?
			    "multicast:ff02\\:\\:1%eth0:5000" :
			    "host=\\:\\:1");
	return 0;
}

int
dn__desc_empty_host(const dn_desc *d, const char *port, dn_error *err)
{
	return dn__err(err, DN_ESYNTAX, 0, "%s: description has an empty "
	    "'host='%s: write %s:host=H:port=P", d->type, port == NULL ?
	    " and no port" : "", d->type);
}

const char *
dn__family_word(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* --- client endpoints ------------------------------------------------ */

/* A literal destination: its family, flow label and port checked. */
static int
client_literal(dn_client_endpoint *ep, dn_addr *a, uint16_t port,
    uint32_t flowinfo, int family, const char *who, dn_error *err)
{
	char buf[DN_ADDR_STRLEN];

	dn_addr_format_host(a, buf, sizeof(buf));
	if (family != AF_UNSPEC && dn_addr_family(a) != family)
		return dn__err(err, DN_EFAMILY, 0, "destination %s is %s but %s "
		    "asks for %s only", buf, dn__family_word(dn_addr_family(a)),
		    who, dn__family_word(family));
	if (flowinfo != 0 && dn_addr_family(a) != AF_INET6)
		return dn__err(err, DN_EFAMILY, 0, "a flow label needs an IPv6 "
		    "destination but %s is IPv4", buf);
	if (flowinfo != 0 && dn_addr_flowinfo(a) != 0 &&
	    dn_addr_flowinfo(a) != flowinfo)
		return dn__err(err, DN_EINVAL, 0, "flow label 0x%x and the "
		    "destination's flowinfo 0x%x differ: give one",
		    (unsigned)flowinfo, (unsigned)dn_addr_flowinfo(a));
	if (flowinfo != 0 && dn_addr_set_flowinfo(a, flowinfo, err) == -1)
		return -1;
	dn_addr_set_port(a, port);
	ep->literal = 1;
	ep->dest = *a;
	ep->family = dn_addr_family(a);
	return 0;
}

/* The bind address against the destination: a literal's family and zone,
 * or the one family a name resolves to here. */
static int
client_bind(dn_client_endpoint *ep, const dn_addr *bind, const char *host,
    dn_error *err)
{
	char buf[DN_ADDR_STRLEN], dbuf[DN_ADDR_STRLEN];

	dn_addr_format_host(bind, buf, sizeof(buf));
	/* Not dn_addr_check_bind's words: the caller's option may not be
	 * where the bind address came from. */
	if (ep->literal && dn_addr_family(bind) != ep->family)
		return dn__err(err, DN_EFAMILY, 0, "bind address %s is %s but "
		    "destination %s is %s: bind an %s address", buf,
		    dn__family_word(dn_addr_family(bind)),
		    dn_addr_format_host(&ep->dest, dbuf, sizeof(dbuf)),
		    dn__family_word(ep->family), dn__family_word(ep->family));
	/* RFC 4007 zones must agree too. */
	if (ep->literal && dn_addr_check_bind(bind, &ep->dest, err) == -1)
		return -1;
	if (!ep->literal && dn_addr_family(bind) != ep->family)
		return dn__err(err, DN_EFAMILY, 0, "bind address %s is %s but "
		    "%s resolves to %s only: %s", buf,
		    dn__family_word(dn_addr_family(bind)), host,
		    dn__family_word(ep->family), ep->family == AF_INET ?
		    "use tcp6: or an IPv6 default family" :
		    "bind an IPv6 address");
	ep->has_bind = 1;
	ep->bind = *bind;
	return 0;
}

/*
 * The part every client endpoint shares, whether it came from a
 * description or from HOST PORT arguments. family: AF_INET, AF_INET6, or
 * AF_UNSPEC (literals of either family; names IPv4). ctx names the source
 * in messages ("tcp6: description", "destination").
 */
static int
client_setup(dn_client_endpoint *ep, const char *ctx, const char *host,
    uint16_t port, uint32_t flowinfo, int family, const dn_addr *bind,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	dn_addr_hints hints;
	dn_addr a;
	dn_error e;
	const char *scope = defs != NULL ? defs->default_scope : NULL;
	int dfam = defs != NULL ? defs->family : AF_UNSPEC;
	const char *who = ctx;

	if (dfam != AF_UNSPEC && family != AF_UNSPEC && dfam != family)
		return dn__err(err, DN_EFAMILY, 0, "%s is %s but %s only was "
		    "asked (%s)", ctx, dn__family_word(family),
		    dn__family_word(dfam), "the default family");
	if (family == AF_UNSPEC && dfam != AF_UNSPEC) {
		family = dfam;
		who = "the default family";
	}
	if (host == NULL || *host == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "%s has no host: give "
		    "host=NAME or an address", ctx);
	if (port == 0)
		return dn__err(err, DN_ERANGE, 0, "%s has port 0: give a port "
		    "from 1 to 65535", ctx);
	if (flowinfo > 0xfffff)
		return dn__err(err, DN_ERANGE, 0, "flow label 0x%x is over 20 "
		    "bits: give 0 to 0xfffff", (unsigned)flowinfo);

	memset(&hints, 0, sizeof(hints));
	hints.flags = DN_ADDR_PORT_NONE;
	hints.default_scope = scope;
	hints.what = "destination";
	memset(&e, 0, sizeof(e));
	if (dn_addr_parse(&a, host, &hints, &e) == 0) {
		if (client_literal(ep, &a, port, flowinfo, family, who,
		    err) == -1)
			return -1;
	} else if (e.code == DN_ENOTLITERAL) {
		/* A valid name (dn_addr_parse() judged it); plan point 5: the
		 * low level resolves names to IPv4. */
		if (family == AF_UNSPEC)
			family = AF_INET;
		if (flowinfo != 0 && family != AF_INET6)
			return dn__err(err, DN_EFAMILY, 0, "a flow label needs "
			    "IPv6 but %s resolves to IPv4 only here: use "
			    "tcp6: or an IPv6 default family", host);
		ep->literal = 0;
		ep->family = family;
	} else {
		dn__err_copy(err, &e);
		return -1;
	}
	if (bind != NULL && client_bind(ep, bind, host, err) == -1)
		return -1;
	ep->port = port;
	ep->flowinfo = flowinfo;
	if ((ep->host = strdup(host)) == NULL ||
	    (scope != NULL && (ep->scope = strdup(scope)) == NULL))
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
	if (defs != NULL) {
		ep->timeout_ns = defs->timeout_ns;
		ep->trace = defs->trace;
		ep->trace_arg = defs->trace_arg;
	}
	return 0;
}

static const char *const tcp_client_keys[] = {
	"host", "port", "timeout", "bindAddress", NULL
};

/*
 * tcp:host=H:port=P[:timeout=S][:bindAddress=A] and tcp6:...; as in
 * Twisted's _parseClientTCP, "tcp:H:P" works, and one positional field is
 * the host unless host= is given, then the port.
 */
static int
tcp_client_parse(dn_client_endpoint *ep, const dn_desc *d, int family,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	const char *host = dn_desc_get(d, "host");
	const char *port = dn_desc_get(d, "port");
	const char *timeout = dn_desc_get(d, "timeout");
	const char *bindtext = dn_desc_get(d, "bindAddress");
	const dn_addr *bind = defs != NULL ? defs->bind : NULL;
	dn_addr_hints hints;
	dn_addr b;
	uint64_t tmo = 0;
	uint16_t p = 0;
	char ctx[32], form[32];

	snprintf(form, sizeof(form), "%s:host=H:port=P", d->type);
	if (dn_desc_check_keys(d, tcp_client_keys, err) == -1 ||
	    dn__desc_no_empty_args(d, form, err) == -1)
		return -1;
	if (d->nargs > 2)
		return dn__err(err, DN_ESYNTAX, 0, "%s: description has %zu "
		    "positional fields: give host=H:port=P", d->type, d->nargs);
	if (d->nargs == 2 || (d->nargs == 1 && host == NULL)) {
		if (host != NULL)
			return dn__err(err, DN_ESYNTAX, 0, "%s: description "
			    "gives the host twice", d->type);
		host = d->args[0];
	}
	if (d->nargs == 2 || (d->nargs == 1 && host != d->args[0])) {
		if (port != NULL)
			return dn__err(err, DN_ESYNTAX, 0, "%s: description "
			    "gives the port twice", d->type);
		port = d->args[d->nargs - 1];
	}
	if (host == NULL)
		return dn__err(err, DN_ESYNTAX, 0,
		    "%s: description has no host: "
		    "add host=NAME", d->type);
	if (*host == '\0')
		return dn__desc_empty_host(d, port, err);
	if (port == NULL)
		return dn__err(err, DN_ESYNTAX, 0,
		    "%s: description has no port: "
		    "add port=N", d->type);
	if (dn__desc_port(d, port, 0, &p, err) == -1)
		return -1;
	if (timeout != NULL &&
	    desc_seconds(d, "timeout", timeout, &tmo, err) == -1)
		return -1;
	if (bindtext != NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.flags = DN_ADDR_PORT_OPTIONAL;
		hints.family = AF_UNSPEC;
		hints.default_scope = defs != NULL ? defs->default_scope : NULL;
		hints.what = "bind address";
		if (dn_addr_parse(&b, bindtext, &hints, err) == -1)
			return -1;
		bind = &b;
	}
	snprintf(ctx, sizeof(ctx), "%s: description", d->type);
	if (client_setup(ep, ctx, host, p, 0, family, bind, defs, err) == -1)
		return -1;
	if (timeout != NULL)
		ep->timeout_ns = tmo;
	return 0;
}

static const char *const hostname_client_keys[] = {
	"host", "port", "race", "order", "delay", "resolution-delay",
	"family", "timeout", "attempt-timeout", "max-concurrent",
	"first-family-count", "resolver", "bindAddress", "bind4", "bind6",
	"nat64", "nat64-prefix", NULL
};

static void
hostname_set_bind(dn_client_endpoint *ep, const dn_addr *b)
{
	if (dn_addr_family(b) == AF_INET6) {
		ep->hbind[0] = *b;
		ep->hopts.bind6 = &ep->hbind[0];
	} else {
		ep->hbind[1] = *b;
		ep->hopts.bind4 = &ep->hbind[1];
	}
}

/* The binds of o live in the caller: the endpoint keeps copies. */
static void
hostname_keep(dn_client_endpoint *ep, const dn_hostname_opts *o)
{
	if (o != NULL)
		ep->hopts = *o;
	else
		dn_hostname_opts_init(&ep->hopts);
	if (ep->hopts.bind6 != NULL && ep->hopts.bind6 != &ep->hbind[0])
		hostname_set_bind(ep, ep->hopts.bind6);
	if (ep->hopts.bind4 != NULL && ep->hopts.bind4 != &ep->hbind[1])
		hostname_set_bind(ep, ep->hopts.bind4);
	nat64_keep(ep, ep->hopts.nat64);
}

/* nat64=auto|off|always, nat64-prefix=P/L[,P/L...] (colons escaped). */
static int
hostname_nat64_keys(dn_client_endpoint *ep, const dn_desc *d,
    dn_error *err)
{
	const char *v = dn_desc_get(d, "nat64");
	char list[512], *p, *save = NULL;
	dn_nat64_opts o = ep->n64;
	size_t n = 0;

	if (v != NULL && dn_nat64_mode_parse(v, &o.mode, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "nat64-prefix")) != NULL) {
		if (strlcpy(list, v, sizeof(list)) >= sizeof(list))
			return dn__err(err, DN_ESYNTAX, 0, "nat64-prefix= in "
			    "hostname: description is too long");
		for (p = strtok_r(list, ",", &save); p != NULL;
		    p = strtok_r(NULL, ",", &save)) {
			if (n == DN__ARRLEN(ep->n64pfx))
				return dn__err(err, DN_ERANGE, 0, "nat64-prefix= "
				    "in hostname: description: at most %d "
				    "prefixes", DN_NAT64_MAX_PREFIXES);
			if (dn_nat64_prefix_parse(&ep->n64pfx[n++], p, err) == -1)
				return -1;
		}
		o.nprefixes = n;
	}
	ep->n64.mode = o.mode;
	ep->n64.nprefixes = o.nprefixes;
	return 0;
}

int
dn_client_endpoint_set_nat64(dn_client_endpoint *ep, const dn_nat64_opts *o,
    dn_error *err)
{
	if (ep == NULL)
		return dn__err(err, DN_EINVAL, 0, "no endpoint to set NAT64 on");
	if (!ep->nat64_ok)
		return dn__err(err, DN_EINVAL, 0, "a tcp: or tcp6: endpoint "
		    "connects as it is given: NAT64 is for hostname: "
		    "endpoints and addresses");
	if (o != NULL && dn__nat64_opts_check(o, err) == -1)
		return -1;
	nat64_keep(ep, o);
	return 0;
}

/* An IPv4 address this host cannot reach (or "always"): raced with its
 * NAT64 addresses, as a hostname: literal is (RFC 8305 §7.1). */
static dn_connect_req *
addr_nat64_connect(dn_reactor *r, const dn_client_endpoint *ep,
    const dn_connect_opts *opts, dn_connect_cb cb, void *arg, dn_error *err)
{
	char host[DN_ADDR_STRLEN];
	dn_hostname_opts ho;

	dn_hostname_opts_init(&ho);
	ho.bind4 = opts->bind;
	ho.timeout_ns = opts->timeout_ns;
	ho.trace = opts->trace;
	ho.trace_arg = opts->trace_arg;
	ho.nat64 = &ep->n64;
	return dn_hostname_connect(r, dn_addr_format_host(&ep->dest, host,
	    sizeof(host)), ep->port, &ho, cb, arg, err);
}

/* A bind address for one family's attempts; bindAddress= goes by its own
 * family, bind4=/bind6= insist on theirs. */
static int
hostname_bind(dn_client_endpoint *ep, const dn_desc *d, const char *key,
    int want, const dn_endpoint_defaults *defs, dn_error *err)
{
	const char *text = dn_desc_get(d, key);
	dn_addr_hints hints;
	dn_addr b;

	if (text == NULL)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.flags = DN_ADDR_PORT_OPTIONAL;
	hints.family = want;
	hints.default_scope = defs != NULL ? defs->default_scope : NULL;
	hints.what = "bind address";
	if (dn_addr_parse(&b, text, &hints, err) == -1)
		return -1;
	hostname_set_bind(ep, &b);
	return 0;
}

/* Milliseconds: delay=250, resolution-delay=50. */
static int
desc_ms(const dn_desc *d, const char *key, long long max, uint64_t *ns,
    dn_error *err)
{
	const char *s = dn_desc_get(d, key);
	long long v;
	dn_err code;

	if (s == NULL)
		return 0;
	if (dn__desc_number(s, 0, max, &v, &code) == -1)
		return dn__err(err, code, 0, "%s '%s' in %s: description is not "
		    "a number of milliseconds from 0 to %lld", key, s, d->type,
		    max);
	*ns = (uint64_t)v * 1000000ull;
	return 0;
}

static int
desc_count(const dn_desc *d, const char *key, long long min, long long max,
    unsigned *out, dn_error *err)
{
	const char *s = dn_desc_get(d, key);
	long long v;
	dn_err code;

	if (s == NULL)
		return 0;
	if (dn__desc_number(s, min, max, &v, &code) == -1)
		return dn__err(err, code, 0, "%s '%s' in %s: description is not "
		    "a number from %lld to %lld", key, s, d->type, min, max);
	*out = (unsigned)v;
	return 0;
}

/* The racing keys of a hostname: description, over the defaults in o. */
static int
hostname_race_keys(dn_hostname_opts *o, const dn_desc *d, dn_error *err)
{
	const char *v;

	if ((v = dn_desc_get(d, "race")) != NULL &&
	    dn_race_mode_parse(v, &o->race, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "order")) != NULL &&
	    dn_race_order_parse(v, &o->order, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "family")) != NULL &&
	    dn_race_family_parse(v, &o->family, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "resolver")) != NULL &&
	    dn_resolver_parse(v, &o->resolver, err) == -1)
		return -1;
	if (desc_ms(d, "delay", 2000, &o->attempt_delay_ns, err) == -1 ||
	    desc_ms(d, "resolution-delay", 10000,
	    &o->resolution_delay_ns, err) == -1 ||
	    desc_count(d, "max-concurrent", 1, 1000,
	    &o->max_concurrent, err) == -1 ||
	    desc_count(d, "first-family-count", 1, 1000,
	    &o->first_family_count, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "timeout")) != NULL &&
	    desc_seconds(d, "timeout", v, &o->timeout_ns, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "attempt-timeout")) != NULL &&
	    desc_seconds(d, "attempt-timeout", v,
	    &o->attempt_timeout_ns, err) == -1)
		return -1;
	return 0;
}

/*
 * hostname:host=H:port=P[:KEY=VALUE...]: the RFC 8305 racing endpoint
 * (plan points 6 and 8); "hostname:H:P" works as for tcp:.
 */
static int
hostname_client_parse(dn_client_endpoint *ep, const dn_desc *d, int family,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	const char *host = dn_desc_get(d, "host");
	const char *port = dn_desc_get(d, "port");
	dn_addr_hints hints;
	dn_addr a;
	dn_error e;
	uint16_t p = 0;
	size_t next = 0;

	if (dn_desc_check_keys(d, hostname_client_keys, err) == -1 ||
	    dn__desc_no_empty_args(d, "hostname:host=H:port=P", err) == -1)
		return -1;
	if (host == NULL && next < d->nargs)
		host = d->args[next++];
	if (port == NULL && next < d->nargs)
		port = d->args[next++];
	if (next < d->nargs)
		return dn__err(err, DN_ESYNTAX, 0, "hostname: description has "
		    "too many positional fields: give host=H:port=P");
	if (host == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "hostname: description has "
		    "no host: add host=NAME");
	if (*host == '\0')
		return dn__desc_empty_host(d, port, err);
	if (port == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "hostname: description has "
		    "no port: add port=N");
	if (dn__desc_port(d, port, 0, &p, err) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.default_scope = defs != NULL ? defs->default_scope : NULL;
	hints.what = "destination";
	/* a literal, or a name dn_addr_parse() found valid */
	if (dn_addr_parse(&a, host, &hints, &e) == -1 &&
	    e.code != DN_ENOTLITERAL) {
		dn__err_copy(err, &e);
		return -1;
	}

	hostname_keep(ep, defs != NULL ? defs->hostname : NULL);
	if (defs != NULL && defs->hostname == NULL) {
		ep->hopts.family = defs->family;
		ep->hopts.timeout_ns = defs->timeout_ns;
		ep->hopts.trace = defs->trace;
		ep->hopts.trace_arg = defs->trace_arg;
		if (defs->bind != NULL)
			hostname_set_bind(ep, defs->bind);
	}
	if (hostname_race_keys(&ep->hopts, d, err) == -1 ||
	    hostname_nat64_keys(ep, d, err) == -1)
		return -1;
	/* A literal is raced alone: its family must be one the race takes. */
	if (dn_addr_parse(&a, host, &hints, NULL) == 0 &&
	    ep->hopts.family != AF_UNSPEC &&
	    dn_addr_family(&a) != ep->hopts.family)
		return dn__err(err, DN_EFAMILY, 0, "destination %s in hostname: "
		    "description is %s but the race is for %s only", host,
		    dn__family_word(dn_addr_family(&a)),
		    dn__family_word(ep->hopts.family));
	if (hostname_bind(ep, d, "bindAddress", AF_UNSPEC, defs, err) == -1 ||
	    hostname_bind(ep, d, "bind4", AF_INET, defs, err) == -1 ||
	    hostname_bind(ep, d, "bind6", AF_INET6, defs, err) == -1)
		return -1;
	if (dn_hostname_opts_check(&ep->hopts, err) == -1)
		return -1;
	ep->racing = 1;
	ep->port = p;
	if ((ep->host = strdup(host)) == NULL)
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
	return 0;
}

dn_client_endpoint *
dn_client_endpoint_parse(const char *text, const dn_endpoint_defaults *defs,
    dn_error *err)
{
	dn_client_endpoint *ep = NULL, *ret = NULL;
	const struct desc_type *t;
	dn_desc *d;

	if ((d = dn_desc_parse(text, err)) == NULL ||
	    (t = desc_lookup(d, text, err)) == NULL)
		goto done;
	if (t->client == NULL && is_dgram_type(t->name)) {
		dn__err(err, DN_EINVAL, 0, "'%s:' is not a client endpoint "
		    "type: it is a datagram endpoint: parse it with "
		    "dn_dgram_endpoint_parse", t->name);
		goto done;
	}
	if (t->client == NULL) {
		dn__err(err, DN_EINVAL, 0, "'%s:' is a server endpoint type: "
		    "listen with it, or connect with tcp:, tcp6: or hostname:",
		    t->name);
		goto done;
	}
	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		goto done;
	}
	if (t->client(ep, d, t->family, defs, err) == -1)
		goto done;
	ret = ep;
	ep = NULL;
done:
	dn_client_endpoint_free(ep);
	dn_desc_free(d);
	return ret;
}

dn_client_endpoint *
dn_client_endpoint_new_tcp(const char *host, uint16_t port, uint32_t flowinfo,
    int family, const dn_endpoint_defaults *defs, dn_error *err)
{
	dn_client_endpoint *ep;

	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	if (client_setup(ep, "the destination", host, port, flowinfo, family,
	    defs != NULL ? defs->bind : NULL, defs, err) == -1) {
		dn_client_endpoint_free(ep);
		return NULL;
	}
	return ep;
}

dn_client_endpoint *
dn_client_endpoint_new_hostname(const char *host, uint16_t port,
    const dn_hostname_opts *o, dn_error *err)
{
	dn_client_endpoint *ep;

	if (host == NULL || *host == '\0' || port == 0) {
		dn__err(err, port == 0 ? DN_ERANGE : DN_ESYNTAX, 0,
		    "the destination %s: give a host and a port from 1 to "
		    "65535", host == NULL || *host == '\0' ? "has no host" :
		    "has port 0");
		return NULL;
	}
	if (o != NULL && dn_hostname_opts_check(o, err) == -1)
		return NULL;
	if ((ep = calloc(1, sizeof(*ep))) == NULL ||
	    (ep->host = strdup(host)) == NULL) {
		free(ep);
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	ep->racing = 1;
	ep->port = port;
	hostname_keep(ep, o);
	return ep;
}

dn_client_endpoint *
dn_client_endpoint_new_addr(const dn_addr *dest, const dn_connect_opts *o,
    dn_error *err)
{
	dn_client_endpoint *ep;
	int fam = dest != NULL ? dn_addr_family(dest) : AF_UNSPEC;

	if (fam != AF_INET && fam != AF_INET6) {
		dn__err(err, DN_EINVAL, 0, "the destination address is not set");
		return NULL;
	}
	if (dn_addr_port(dest) == 0) {
		dn__err(err, DN_ERANGE, 0, "the destination has port 0: give "
		    "a port from 1 to 65535");
		return NULL;
	}
	if (o != NULL && o->bind != NULL &&
	    dn_addr_check_bind(o->bind, dest, err) == -1)
		return NULL;
	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	ep->literal = 1;
	ep->dest = *dest;
	ep->family = fam;
	ep->port = dn_addr_port(dest);
	if (o != NULL) {
		ep->has_bind = o->bind != NULL;
		if (o->bind != NULL)
			ep->bind = *o->bind;
		ep->timeout_ns = o->timeout_ns;
		ep->trace = o->trace;
		ep->trace_arg = o->trace_arg;
	}
	nat64_keep(ep, NULL);
	return ep;
}

dn_connect_req *
dn_client_endpoint_plan(dn_reactor *r, const dn_client_endpoint *ep,
    dn_plan_cb cb, void *arg, dn_error *err)
{
	if (r == NULL || ep == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "plan without a reactor, an "
		    "endpoint or a callback");
		return NULL;
	}
	if (!ep->racing) {
		dn__err(err, DN_EINVAL, 0, "only a racing endpoint (hostname:, "
		    "dn_client_endpoint_new_hostname) has an attempt plan");
		return NULL;
	}
	return dn_hostname_plan(r, ep->host, ep->port, &ep->hopts, cb, arg,
	    err);
}

void
dn_client_endpoint_free(dn_client_endpoint *ep)
{
	if (ep == NULL)
		return;
	free(ep->host);
	free(ep->scope);
	free(ep);
}

dn_connect_req *
dn_client_endpoint_connect(dn_reactor *r, const dn_client_endpoint *ep,
    dn_connect_cb cb, void *arg, dn_error *err)
{
	dn_connect_opts opts;

	if (r == NULL || ep == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "connect without a reactor, an "
		    "endpoint or a callback");
		return NULL;
	}
	if (ep->racing)
		return dn_hostname_connect(r, ep->host, ep->port, &ep->hopts,
		    cb, arg, err);
	memset(&opts, 0, sizeof(opts));
	opts.bind = ep->has_bind ? &ep->bind : NULL;
	opts.timeout_ns = ep->timeout_ns;
	opts.trace = ep->trace;
	opts.trace_arg = ep->trace_arg;
	if (ep->literal && ep->nat64_ok && dn__nat64_wanted(&ep->n64, &ep->dest))
		return addr_nat64_connect(r, ep, &opts, cb, arg, err);
	if (ep->literal)
		return dn_tcp_connect_addr(r, &ep->dest, &opts, cb, arg, err);
	return dn__tcp_connect_family(r, ep->host, ep->port, ep->family,
	    ep->flowinfo, ep->scope, &opts, cb, arg, err);
}

/* --- server endpoints ------------------------------------------------ */

static const char *const tcp_server_keys[] = {
	"port", "interface", "backlog", NULL
};
static const char *const tcp6_server_keys[] = {
	"port", "interface", "v6only", "backlog", NULL
};

int
dn__desc_bool(const dn_desc *d, const char *key, const char *s, int *out,
    dn_error *err)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };
	size_t i;

	for (i = 0; i < DN__ARRLEN(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return dn__err(err, DN_ESYNTAX, 0, "%s '%s' in %s: description is not "
	    "yes or no", key, s, d->type);
}
/* What every server endpoint takes: backlog and the event callback. */
static int
server_opts(dn_server_endpoint *ep, const dn_desc *d, const char *backlog,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	long long n;
	dn_err code;

	ep->opts.backlog = defs != NULL ? defs->backlog : 0;
	if (defs != NULL) {
		ep->opts.event = defs->listen_event;
		ep->opts.event_arg = defs->listen_event_arg;
	}
	if (backlog != NULL) {
		if (dn__desc_number(backlog, 1, 65535, &n, &code) == -1)
			return dn__err(err, code, 0, "backlog '%s' in %s: "
			    "description is not a number from 1 to 65535",
			    backlog, d->type);
		ep->opts.backlog = (int)n;
	}
	return 0;
}

/*
 * tcp:PORT[:interface=A][:backlog=N] and
 * tcp6:PORT[:interface=A][:v6only=yes|no][:backlog=N]; port=P works too.
 * tcp: listens on 0.0.0.0 unless given an IPv6 interface (plan point 2).
 */
static int
tcp_server_parse(dn_server_endpoint *ep, const dn_desc *d, int family,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	const char *iface = dn_desc_get(d, "interface");
	const char *v6only = dn_desc_get(d, "v6only");
	const char *backlog = dn_desc_get(d, "backlog");
	int dfam = defs != NULL ? defs->family : AF_UNSPEC;
	dn_addr_hints hints;
	dn_addr a;
	dn_error e;
	uint16_t p = 0;
	char buf[DN_ADDR_STRLEN], who[32], form[32];

	snprintf(who, sizeof(who), "%s:", d->type);
	snprintf(form, sizeof(form), "%s:PORT (0 picks one)", d->type);
	if (dn_desc_check_keys(d, family == AF_INET6 ? tcp6_server_keys :
	    tcp_server_keys, err) == -1 ||
	    dn__desc_no_empty_args(d, form, err) == -1 ||
	    dn__desc_listen_port(d, &p, err) == -1)
		return -1;

	if (dfam != AF_UNSPEC && family != AF_UNSPEC && dfam != family)
		return dn__err(err, DN_EFAMILY, 0,
		    "%s: description is %s but %s "
		    "only was asked (%s)", d->type, dn__family_word(family),
		    dn__family_word(dfam), "the default family");
	if (family == AF_UNSPEC && dfam != AF_UNSPEC) {
		family = dfam;
		strlcpy(who, "the default family", sizeof(who));
	}

	if (iface == NULL)
		iface = family == AF_INET6 ? "::" : "0.0.0.0";
	else if (*iface == '\0')
		return dn__err(err, DN_ESYNTAX, 0,
		    "%s: description has an empty "
		    "interface=: give an address such as 0.0.0.0 or \\:\\:",
		    d->type);
	memset(&hints, 0, sizeof(hints));
	hints.flags = DN_ADDR_PORT_NONE;
	hints.family = AF_UNSPEC;
	hints.default_scope = defs != NULL ? defs->default_scope : NULL;
	hints.what = "listen address";
	memset(&e, 0, sizeof(e));
	if (dn_addr_parse(&a, iface, &hints, &e) == -1) {
		if (e.code == DN_ENOTLITERAL)
			return dn__err(err, DN_ENOTLITERAL, 0,
			    "interface '%s' in "
			    "%s: description must be an address literal, not "
			    "a name", iface, d->type);
		dn__err_copy(err, &e);
		return -1;
	}
	if (family != AF_UNSPEC && dn_addr_family(&a) != family)
		return dn__err(err, DN_EFAMILY, 0, "interface %s in %s: "
		    "description is %s but %s asks for %s only",
		    dn_addr_format_host(&a, buf, sizeof(buf)), d->type,
		    dn__family_word(dn_addr_family(&a)), who, dn__family_word(family));
	dn_addr_set_port(&a, p);

	ep->local = a;
	ep->opts.v6only = defs != NULL ? defs->v6only : -1;
	if (server_opts(ep, d, backlog, defs, err) == -1)
		return -1;
	if (v6only != NULL && dn__desc_bool(d, "v6only", v6only,
	    &ep->opts.v6only, err) == -1)
		return -1;
	return dn__desc_v6only(d, &a, v6only, ep->opts.v6only, err);
}

int
dn__desc_v6only(const dn_desc *d, const dn_addr *local, const char *key,
    int v6only, dn_error *err)
{
	dn_error e;

	if (dn_addr_check_v6only(local, v6only, &e) == 0)
		return 0;
	if (key == NULL)
		return dn__err(err, e.code, 0, "%s: description: %s", d->type,
		    e.msg);
	return dn__err(err, e.code, 0, "v6only=%s in %s: description: %s", key,
	    d->type, e.msg);
}

/* --- all: and udp-all: ----------------------------------------------- */

static int
desc_strdup(char **dst, const char *s, dn_error *err)
{
	free(*dst);
	*dst = NULL;
	if (s != NULL && (*dst = strdup(s)) == NULL)
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
	return 0;
}

int
dn__desc_all(const dn_desc *d, const char *const *keys,
    const dn_endpoint_defaults *defs, uint16_t *port, dn_all_opts *o,
    char **ifs, char **excl, dn_error *err)
{
	const char *v, *iface = NULL, *ex = NULL;
	int dfam = defs != NULL ? defs->family : AF_UNSPEC, fam;
	char form[32];

	snprintf(form, sizeof(form), "%s:PORT (0 picks one)", d->type);
	if (dn_desc_check_keys(d, keys, err) == -1 ||
	    dn__desc_no_empty_args(d, form, err) == -1 ||
	    dn__desc_listen_port(d, port, err) == -1)
		return -1;
	if (defs != NULL && defs->v6only == 0)
		return dn__err(err, DN_EINVAL, 0, "%s: listens on each address "
		    "with its own socket, IPv6 ones v6only: dual-stack does not "
		    "apply", d->type);

	if (defs != NULL && defs->all != NULL)
		*o = *defs->all;
	else {
		dn_all_opts_init(o);
		if (defs != NULL) {
			o->family = dfam;
			o->event = defs->listen_event;
			o->event_arg = defs->listen_event_arg;
		}
	}
	iface = o->interfaces;
	ex = o->exclude;
	/* -I names the one interface: every link-local address here comes
	 * with its own scope, so that is all it can mean */
	if (iface == NULL && defs != NULL && defs->default_scope != NULL &&
	    *defs->default_scope != '\0')
		iface = defs->default_scope;
	if ((v = dn_desc_get(d, "interface")) != NULL)
		iface = v;
	if ((v = dn_desc_get(d, "exclude")) != NULL)
		ex = v;
	if ((iface != NULL && *iface == '\0') || (ex != NULL && *ex == '\0'))
		return dn__err(err, DN_ESYNTAX, 0, "%s: description has an "
		    "empty %s=: give interface names separated by commas",
		    d->type, iface != NULL && *iface == '\0' ? "interface" :
		    "exclude");
	if ((v = dn_desc_get(d, "family")) != NULL) {
		if (dn_race_family_parse(v, &fam, err) == -1)
			return -1;
		if (dfam != AF_UNSPEC && fam != AF_UNSPEC && fam != dfam)
			return dn__err(err, DN_EFAMILY, 0, "family=%s in %s: "
			    "description is %s but %s only was asked (%s)", v,
			    d->type, dn__family_word(fam), dn__family_word(dfam),
			    "the default family");
		o->family = fam;
	}
	if ((v = dn_desc_get(d, "scope")) != NULL &&
	    dn_all_scopes_parse(v, &o->scopes, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "follow")) != NULL &&
	    dn__desc_bool(d, "follow", v, &o->follow, err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "skip-unavailable")) != NULL &&
	    dn__desc_bool(d, "skip-unavailable", v, &o->skip_unavailable,
	    err) == -1)
		return -1;
	if (desc_strdup(ifs, iface, err) == -1 ||
	    desc_strdup(excl, ex, err) == -1)
		return -1;
	o->interfaces = *ifs;
	o->exclude = *excl;
	return 0;
}

/* The port: positional or port=, once; 0 picks one. */
int
dn__desc_listen_port(const dn_desc *d, uint16_t *port, dn_error *err)
{
	const char *p = dn_desc_get(d, "port");

	if (d->nargs > 1)
		return dn__err(err, DN_ESYNTAX, 0, "%s: description has %zu "
		    "positional fields: give the port, then interface=%s",
		    d->type, d->nargs, strcmp(d->type, "all") == 0 ||
		    strcmp(d->type, "udp-all") == 0 ? "IFACE" : "ADDR");
	if (d->nargs == 1) {
		if (p != NULL)
			return dn__err(err, DN_ESYNTAX, 0, "%s: description "
			    "gives the port twice", d->type);
		p = d->args[0];
	}
	if (p == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "%s: description has no "
		    "port: write e.g. %s:8080 (0 picks a free port)", d->type,
		    d->type);
	return dn__desc_port(d, p, 1, port, err);
}

static const char *const all_server_keys[] = {
	"port", "interface", "exclude", "family", "scope", "follow",
	"skip-unavailable", "backlog", NULL
};

/* all:PORT[:KEY=VALUE...]: the all-interfaces port (plan point 7). */
static int
all_server_parse(dn_server_endpoint *ep, const dn_desc *d, int family,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	(void)family;
	if (dn__desc_all(d, all_server_keys, defs, &ep->port, &ep->aopts,
	    &ep->ifs, &ep->excl, err) == -1)
		return -1;
	ep->all = 1;
	return server_opts(ep, d, dn_desc_get(d, "backlog"), defs, err);
}

dn_server_endpoint *
dn_server_endpoint_parse(const char *text, const dn_endpoint_defaults *defs,
    dn_error *err)
{
	dn_server_endpoint *ep = NULL, *ret = NULL;
	const struct desc_type *t;
	dn_desc *d;

	if ((d = dn_desc_parse(text, err)) == NULL ||
	    (t = desc_lookup(d, text, err)) == NULL)
		goto done;
	if (t->server == NULL && is_dgram_type(t->name)) {
		dn__err(err, DN_EINVAL, 0, "'%s:' is not a server endpoint "
		    "type: it is a datagram endpoint: parse it with "
		    "dn_dgram_endpoint_parse", t->name);
		goto done;
	}
	if (t->server == NULL) {
		dn__err(err, DN_EINVAL, 0,
		    "'%s:' is not a server endpoint type: use tcp:, tcp6: "
		    "or all:", t->name);
		goto done;
	}
	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		goto done;
	}
	if (t->server(ep, d, t->family, defs, err) == -1)
		goto done;
	ret = ep;
	ep = NULL;
done:
	dn_server_endpoint_free(ep);
	dn_desc_free(d);
	return ret;
}

void
dn_server_endpoint_free(dn_server_endpoint *ep)
{
	if (ep == NULL)
		return;
	free(ep->ifs);
	free(ep->excl);
	free(ep);
}

dn_server_endpoint *
dn_server_endpoint_new_addr(const dn_addr *local, const dn_listen_opts *o,
    dn_error *err)
{
	dn_server_endpoint *ep;
	int fam = local != NULL ? dn_addr_family(local) : AF_UNSPEC;

	if (fam != AF_INET && fam != AF_INET6) {
		dn__err(err, DN_EINVAL, 0, "the address to listen on is not "
		    "set");
		return NULL;
	}
	if (o != NULL && dn_addr_check_v6only(local, o->v6only, err) == -1)
		return NULL;
	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	ep->local = *local;
	if (o != NULL)
		ep->opts = *o;
	else
		ep->opts.v6only = -1;
	return ep;
}

dn_listener *
dn_server_endpoint_listen(dn_reactor *r, const dn_server_endpoint *ep,
    dn_accept_cb cb, void *arg, dn_error *err)
{
	if (ep->all)
		return dn_tcp_listen_all(r, ep->port, &ep->aopts, &ep->opts,
		    cb, arg, err);
	return dn_tcp_listen_addr(r, &ep->local, &ep->opts, cb, arg, err);
}
