/*
 * dgram_endpoint.c - udp:, udp6: and multicast: descriptions, read with
 * endpoint.c's dn_desc_* parser into what dnudp and dnmcast open.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct dn_dgram_endpoint {
	dn_dgram_kind kind;
	int family;
	int has_local;
	dn_addr local;		/* LISTEN: bind; SEND: -b / bindAddress */
	int has_dest;
	dn_addr dest;		/* SEND literal; MULTICAST group */
	char *host;		/* SEND */
	uint16_t port;
	char *iface;		/* MULTICAST */
	int has_source;
	dn_addr source;
	int hops, loop, v6only;
	dn_all_opts all;	/* LISTEN_ALL; its strings: ifs, excl */
	char *ifs, *excl;
};

/* A literal; DN_ENOTLITERAL becomes a sentence naming key and type. */
static int
dg_literal(dn_addr *out, const char *text, const char *key, const char *type,
    unsigned flags, const char *scope, const char *what, dn_error *err)
{
	dn_addr_hints hints;
	dn_error e;

	memset(&hints, 0, sizeof(hints));
	hints.flags = flags;
	hints.family = AF_UNSPEC;
	hints.default_scope = scope;
	hints.what = what;
	memset(&e, 0, sizeof(e));
	if (dn_addr_parse(out, text, &hints, &e) == -1) {
		if (e.code == DN_ENOTLITERAL && type != NULL)
			return dn__err(err, DN_ENOTLITERAL, 0, "%s '%s' in %s "
			    "must be an address literal, not a name", key, text,
			    type);
		if (e.code == DN_ENOTLITERAL)
			return dn__err(err, DN_ENOTLITERAL, 0, "%s '%s' must be "
			    "an address literal, not a name", key, text);
		dn__err_copy(err, &e);
		return -1;
	}
	return 0;
}

/* The family a type and the default family leave; who names the one
 * that decided. */
static int
dg_family(const dn_desc *d, int tfam, const dn_endpoint_defaults *defs,
    int *family, char *who, size_t wholen, dn_error *err)
{
	int dfam = defs != NULL ? defs->family : AF_UNSPEC;

	snprintf(who, wholen, "%s:", dn_desc_type(d));
	if (dfam != AF_UNSPEC && tfam != AF_UNSPEC && dfam != tfam)
		return dn__err(err, DN_EFAMILY, 0, "%s: description is %s but "
		    "%s only was asked (%s)", dn_desc_type(d),
		    dn__family_word(tfam), dn__family_word(dfam),
		    "the default family");
	if (tfam == AF_UNSPEC && dfam != AF_UNSPEC) {
		tfam = dfam;
		snprintf(who, wholen, "%s", "the default family");
	}
	*family = tfam;
	return 0;
}

/* --- udp: and udp6: -------------------------------------------------- */

static const char *const udp_keys[] = {
	"host", "port", "bindAddress", "interface", "v6only", NULL
};

/* udp:PORT[:interface=A], udp6:PORT[:interface=A][:v6only=yes|no] */
static int
udp_listen_parse(dn_dgram_endpoint *ep, const dn_desc *d, int tfam,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	const char *type = dn_desc_type(d);
	const char *iface = dn_desc_get(d, "interface");
	const char *v6only = dn_desc_get(d, "v6only");
	char buf[DN_ADDR_STRLEN], ctx[32], who[32];
	int family;
	dn_addr a;

	if (dn_desc_get(d, "bindAddress") != NULL)
		return dn__err(err, DN_ESYNTAX, 0, "bindAddress= in %s: "
		    "description goes with host= (sending); a listener takes "
		    "interface=", type);
	if (v6only != NULL && tfam != AF_INET6)
		return dn__err(err, DN_ESYNTAX, 0, "v6only= goes with udp6:, "
		    "not %s:", type);
	if (dn__desc_listen_port(d, &ep->port, err) == -1 ||
	    dg_family(d, tfam, defs, &family, who, sizeof(who), err) == -1)
		return -1;
	if (iface == NULL)
		iface = family == AF_INET6 ? "::" : "0.0.0.0";
	else if (*iface == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "%s: description has an "
		    "empty interface=: give an address such as 0.0.0.0 or "
		    "\\:\\:", type);
	snprintf(ctx, sizeof(ctx), "%s: description", type);
	if (dg_literal(&a, iface, "interface", ctx, DN_ADDR_PORT_NONE,
	    defs != NULL ? defs->default_scope : NULL, "listen address",
	    err) == -1)
		return -1;
	if (family != AF_UNSPEC && dn_addr_family(&a) != family)
		return dn__err(err, DN_EFAMILY, 0, "interface %s in %s: "
		    "description is %s but %s asks for %s only",
		    dn_addr_format_host(&a, buf, sizeof(buf)), type,
		    dn__family_word(dn_addr_family(&a)), who, dn__family_word(family));
	dn_addr_set_port(&a, ep->port);
	ep->kind = DN_DGRAM_LISTEN;
	ep->family = dn_addr_family(&a);
	ep->local = a;
	ep->has_local = 1;
	ep->v6only = defs != NULL ? defs->v6only : -1;
	if (v6only != NULL && dn__desc_bool(d, "v6only", v6only, &ep->v6only,
	    err) == -1)
		return -1;
	return dn__desc_v6only(d, &a, v6only, ep->v6only, err);
}

/* udp:host=H:port=P[:bindAddress=A]; "udp:H:P" works as for tcp:. */
static int
udp_send_parse(dn_dgram_endpoint *ep, const dn_desc *d, int tfam,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	const char *type = dn_desc_type(d);
	const char *host = dn_desc_get(d, "host");
	const char *port = dn_desc_get(d, "port");
	const char *bindtext = dn_desc_get(d, "bindAddress");
	const char *scope = defs != NULL ? defs->default_scope : NULL;
	const dn_addr *bind = defs != NULL ? defs->bind : NULL;
	char ctx[32], b[DN_ADDR_STRLEN], h[256], who[32];
	size_t next = 0;
	int family;
	dn_addr a, ba;
	dn_error e;

	if (dn_desc_get(d, "interface") != NULL ||
	    dn_desc_get(d, "v6only") != NULL)
		return dn__err(err, DN_ESYNTAX, 0, "%s= in %s: description "
		    "goes with a listener (%s:PORT); a sender takes "
		    "bindAddress=", dn_desc_get(d, "interface") != NULL ?
		    "interface" : "v6only", type, type);
	if (host == NULL && next < dn_desc_nargs(d))
		host = dn_desc_arg(d, next++);
	if (port == NULL && next < dn_desc_nargs(d))
		port = dn_desc_arg(d, next++);
	if (next < dn_desc_nargs(d))
		return dn__err(err, DN_ESYNTAX, 0, "%s: description has too "
		    "many positional fields: give host=H:port=P", type);
	if (*host == '\0')
		return dn__desc_empty_host(d, port, err);
	if (port == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "%s: description has no "
		    "port: add port=N", type);
	if (dn__desc_port(d, port, 0, &ep->port, err) == -1 ||
	    dg_family(d, tfam, defs, &family, who, sizeof(who), err) == -1)
		return -1;
	snprintf(ctx, sizeof(ctx), "%s: description", type);
	if (bindtext != NULL) {
		if (dg_literal(&ba, bindtext, "bindAddress", ctx,
		    DN_ADDR_PORT_OPTIONAL, scope, "bind address", err) == -1)
			return -1;
		bind = &ba;
	}

	memset(&e, 0, sizeof(e));
	if (dg_literal(&a, host, "host", ctx, DN_ADDR_PORT_NONE, scope,
	    "destination", &e) == 0) {
		dn_addr_format_host(&a, h, sizeof(h));
		if (family != AF_UNSPEC && dn_addr_family(&a) != family)
			return dn__err(err, DN_EFAMILY, 0, "destination %s is "
			    "%s but %s asks for %s only", h,
			    dn__family_word(dn_addr_family(&a)), who,
			    dn__family_word(family));
		dn_addr_set_port(&a, ep->port);
		ep->dest = a;
		ep->has_dest = 1;
		family = dn_addr_family(&a);
	} else if (e.code == DN_ENOTLITERAL) {
		/* a valid name (dn_addr_parse() judged it); plan point 5:
		 * the low level resolves names to IPv4 */
		if (family == AF_UNSPEC)
			family = AF_INET;
		snprintf(h, sizeof(h), "%s", host);
	} else {
		dn__err_copy(err, &e);
		return -1;
	}
	if (bind != NULL) {
		if (dn_addr_family(bind) != family)
			return dn__err(err, DN_EFAMILY, 0, "bind address %s is "
			    "%s but destination %s is %s: bind an %s address",
			    dn_addr_format_host(bind, b, sizeof(b)),
			    dn__family_word(dn_addr_family(bind)), h,
			    dn__family_word(family), dn__family_word(family));
		if (ep->has_dest && dn_addr_check_bind(bind, &ep->dest,
		    err) == -1)
			return -1;
		ep->local = *bind;
		ep->has_local = 1;
	}
	ep->kind = DN_DGRAM_SEND;
	ep->family = family;
	if ((ep->host = strdup(host)) == NULL)
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
	return 0;
}

static int
udp_parse(dn_dgram_endpoint *ep, const dn_desc *d, int tfam,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	char form[64];

	snprintf(form, sizeof(form), "%s:PORT to listen or %s:host=H:port=P "
	    "to send", dn_desc_type(d), dn_desc_type(d));
	if (dn_desc_check_keys(d, udp_keys, err) == -1 ||
	    dn__desc_no_empty_args(d, form, err) == -1)
		return -1;
	/* host= or two positional fields send; a port alone listens */
	if (dn_desc_get(d, "host") != NULL || dn_desc_nargs(d) == 2 ||
	    (dn_desc_nargs(d) == 1 && dn_desc_get(d, "port") != NULL))
		return udp_send_parse(ep, d, tfam, defs, err);
	return udp_listen_parse(ep, d, tfam, defs, err);
}

/* --- udp-all: -------------------------------------------------------- */

static const char *const udp_all_keys[] = {
	"port", "interface", "exclude", "family", "scope", "follow",
	"skip-unavailable", NULL
};

/* udp-all:PORT[:KEY=VALUE...]: a socket on every address (plan point 7). */
static int
udp_all_parse(dn_dgram_endpoint *ep, const dn_desc *d,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	if (dn__desc_all(d, udp_all_keys, defs, &ep->port, &ep->all,
	    &ep->ifs, &ep->excl, err) == -1)
		return -1;
	ep->kind = DN_DGRAM_LISTEN_ALL;
	ep->family = ep->all.family;
	return 0;
}

/* --- multicast: ------------------------------------------------------ */

static const char *const mcast_keys[] = {
	"group", "port", "interface", "source", "hops", "loop", NULL
};

/*
 * What every multicast endpoint shares, from a description or from GROUP
 * PORT arguments. The membership rules that depend on receiving (SSM needs
 * a source) are dn_mcast_join()'s.
 */
static int
mcast_setup(dn_dgram_endpoint *ep, const char *ctx, const char *group,
    uint16_t port, const char *iface, const char *source,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	char g[DN_ADDR_STRLEN], s[DN_ADDR_STRLEN], idxs[16], ifn[IF_NAMESIZE];
	int dfam = defs != NULL ? defs->family : AF_UNSPEC;
	unsigned idx = 0;
	dn_addr a, sa;

	if (group == NULL || *group == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "%s has no group: give an "
		    "IPv4 or IPv6 multicast address", ctx != NULL ? ctx :
		    "the argument");
	if (port == 0)
		return dn__err(err, DN_ERANGE, 0, "port 0 cannot be a group's: "
		    "give a port from 1 to 65535");
	if (iface != NULL && *iface == '\0')
		iface = NULL;
	if (iface != NULL && dn_iface_index(iface, &idx, err) == -1)
		return -1;
	/* the interface is the scope of a link-local group (RFC 4007) */
	snprintf(idxs, sizeof(idxs), "%u", idx);
	if (dg_literal(&a, group, "group", ctx, DN_ADDR_PORT_NONE,
	    idx != 0 ? idxs : NULL, "group", err) == -1)
		return -1;
	dn_addr_format_host(&a, g, sizeof(g));
	if (!dn_addr_is_multicast(&a))
		return dn__err(err, DN_EINVAL, 0, "group %s is not a multicast "
		    "address: give one in %s", g, dn_addr_family(&a) ==
		    AF_INET ? "224.0.0.0/4" : "ff00::/8");
	if (dfam != AF_UNSPEC && dn_addr_family(&a) != dfam)
		return dn__err(err, DN_EFAMILY, 0, "group %s is %s but %s only "
		    "was asked (%s)", g, dn__family_word(dn_addr_family(&a)),
		    dn__family_word(dfam), "the default family");
	if (idx != 0 && dn_addr_scope(&a) != 0 && dn_addr_scope(&a) != idx)
		return dn__err(err, DN_EBADSCOPE, 0, "group %s is on another "
		    "interface than %s: give the interface once", g,
		    if_indextoname(idx, ifn) != NULL ? ifn : iface);
	if (source != NULL) {
		if (dg_literal(&sa, source, "source", ctx, DN_ADDR_PORT_NONE,
		    idx != 0 ? idxs : NULL, "source", err) == -1)
			return -1;
		dn_addr_format_host(&sa, s, sizeof(s));
		if (dn_addr_family(&sa) != dn_addr_family(&a))
			return dn__err(err, DN_EFAMILY, 0, "source %s is %s but "
			    "group %s is %s: give a source of the group's "
			    "family", s, dn__family_word(dn_addr_family(&sa)), g,
			    dn__family_word(dn_addr_family(&a)));
		if (dn_addr_is_multicast(&sa) || dn_addr_is_unspecified(&sa))
			return dn__err(err, DN_EINVAL, 0, "source %s is not a "
			    "unicast address: give the sender's address", s);
		ep->source = sa;
		ep->has_source = 1;
	}
	dn_addr_set_port(&a, port);
	ep->kind = DN_DGRAM_MULTICAST;
	ep->family = dn_addr_family(&a);
	ep->dest = a;
	ep->has_dest = 1;
	ep->port = port;
	if (iface != NULL && (ep->iface = strdup(iface)) == NULL)
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
	return 0;
}

/* multicast:GROUP:PORT[:interface=IFACE][:source=SRC][:hops=N][:loop=B] */
static int
mcast_parse(dn_dgram_endpoint *ep, const dn_desc *d, int tfam,
    const dn_endpoint_defaults *defs, dn_error *err)
{
	const char *group = dn_desc_get(d, "group");
	const char *port = dn_desc_get(d, "port");
	const char *iface = dn_desc_get(d, "interface");
	const char *v;
	const char *scope = defs != NULL ? defs->default_scope : NULL;
	unsigned a, b;
	size_t next = 0;
	long long n;
	dn_err code;
	uint16_t p;

	if (dn_desc_check_keys(d, mcast_keys, err) == -1 ||
	    dn__desc_no_empty_args(d, "multicast:GROUP:PORT", err) == -1)
		return -1;
	if (group == NULL && next < dn_desc_nargs(d))
		group = dn_desc_arg(d, next++);
	if (port == NULL && next < dn_desc_nargs(d))
		port = dn_desc_arg(d, next++);
	if (next < dn_desc_nargs(d))
		return dn__err(err, DN_ESYNTAX, 0, "multicast: description has "
		    "too many positional fields: give GROUP:PORT, escaping "
		    "the colons of an IPv6 group (ff02\\:\\:1)");
	if (group == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "multicast: description has "
		    "no group: write multicast:GROUP:PORT");
	if (port == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "multicast: description has "
		    "no port: write multicast:GROUP:PORT");
	if (dn__desc_port(d, port, 0, &p, err) == -1)
		return -1;
	/* interface= and -I must name the same interface */
	if (iface != NULL && scope != NULL && *scope != '\0') {
		if (dn_iface_index(iface, &a, err) == -1 ||
		    dn_iface_index(scope, &b, err) == -1)
			return -1;
		if (a != b)
			return dn__err(err, DN_EBADSCOPE, 0, "interface=%s in "
			    "multicast: description and the default interface "
			    "%s differ: give "
			    "the interface once", iface, scope);
	}
	if (mcast_setup(ep, "multicast: description", group, p,
	    iface != NULL ? iface : scope, dn_desc_get(d, "source"), defs,
	    err) == -1)
		return -1;
	if ((v = dn_desc_get(d, "hops")) != NULL) {
		if (dn__desc_number(v, 0, 255, &n, &code) == -1)
			return dn__err(err, code, 0, "hops '%s' in multicast: "
			    "description is not a number from 0 to 255", v);
		ep->hops = (int)n;
	}
	if ((v = dn_desc_get(d, "loop")) != NULL &&
	    dn__desc_bool(d, "loop", v, &ep->loop, err) == -1)
		return -1;
	(void)tfam;
	return 0;
}

/* --- the API --------------------------------------------------------- */

static dn_dgram_endpoint *
dg_new(dn_error *err)
{
	dn_dgram_endpoint *ep;

	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	ep->hops = ep->loop = ep->v6only = -1;
	return ep;
}

dn_dgram_endpoint *
dn_dgram_endpoint_parse(const char *text, const dn_endpoint_defaults *defs,
    dn_error *err)
{
	dn_dgram_endpoint *ep = NULL, *ret = NULL;
	const char *type;
	dn_desc *d;
	int rv;

	if ((d = dn_desc_parse(text, err)) == NULL)
		goto done;
	type = dn_desc_type(d);
	if (strcmp(type, "tcp") == 0 || strcmp(type, "tcp6") == 0 ||
	    strcmp(type, "hostname") == 0 || strcmp(type, "all") == 0) {
		dn__err(err, DN_EINVAL, 0, "'%s:' is a stream endpoint: parse "
		    "it with dn_client_endpoint_parse or "
		    "dn_server_endpoint_parse, or give udp:, udp6:, udp-all: "
		    "or multicast:", type);
		goto done;
	}
	if ((ep = dg_new(err)) == NULL)
		goto done;
	if (strcmp(type, "udp") == 0)
		rv = udp_parse(ep, d, AF_UNSPEC, defs, err);
	else if (strcmp(type, "udp6") == 0)
		rv = udp_parse(ep, d, AF_INET6, defs, err);
	else if (strcmp(type, "udp-all") == 0)
		rv = udp_all_parse(ep, d, defs, err);
	else if (strcmp(type, "multicast") == 0)
		rv = mcast_parse(ep, d, AF_UNSPEC, defs, err);
	else
		rv = dn__err(err, DN_ESYNTAX, 0, "'%.120s' is not a datagram "
		    "endpoint description: unknown type '%s', use udp:, udp6:, "
		    "udp-all: or multicast:", text, type);
	if (rv == -1)
		goto done;
	ret = ep;
	ep = NULL;
done:
	dn_dgram_endpoint_free(ep);
	dn_desc_free(d);
	return ret;
}

dn_dgram_endpoint *
dn_dgram_endpoint_new_multicast(const char *group, uint16_t port,
    const char *source, const dn_endpoint_defaults *defs, dn_error *err)
{
	dn_dgram_endpoint *ep;

	if ((ep = dg_new(err)) == NULL)
		return NULL;
	if (mcast_setup(ep, NULL, group, port,
	    defs != NULL ? defs->default_scope : NULL, source, defs,
	    err) == -1) {
		dn_dgram_endpoint_free(ep);
		return NULL;
	}
	return ep;
}

/* Its strings are its own: the all-options point into ifs and excl. */
static int
dg_strings(dn_dgram_endpoint *ep, const char *host, const char *iface,
    const char *ifs, const char *excl, dn_error *err)
{
	if ((host != NULL && (ep->host = strdup(host)) == NULL) ||
	    (iface != NULL && (ep->iface = strdup(iface)) == NULL) ||
	    (ifs != NULL && (ep->ifs = strdup(ifs)) == NULL) ||
	    (excl != NULL && (ep->excl = strdup(excl)) == NULL))
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
	ep->all.interfaces = ep->ifs;
	ep->all.exclude = ep->excl;
	return 0;
}

dn_dgram_endpoint *
dn__dgram_endpoint_dup(const dn_dgram_endpoint *src, dn_error *err)
{
	dn_dgram_endpoint *ep;

	if ((ep = dg_new(err)) == NULL)
		return NULL;
	*ep = *src;
	ep->host = ep->iface = ep->ifs = ep->excl = NULL;
	if (dg_strings(ep, src->host, src->iface, src->ifs, src->excl,
	    err) == -1) {
		dn_dgram_endpoint_free(ep);
		return NULL;
	}
	return ep;
}

dn_dgram_endpoint *
dn_dgram_endpoint_new_listen(const dn_addr *local, int v6only,
    dn_error *err)
{
	dn_dgram_endpoint *ep;

	if (local == NULL || (dn_addr_family(local) != AF_INET &&
	    dn_addr_family(local) != AF_INET6)) {
		dn__err(err, DN_EINVAL, 0, "no address to listen on: give an "
		    "IPv4 or IPv6 address");
		return NULL;
	}
	if ((ep = dg_new(err)) == NULL)
		return NULL;
	ep->kind = DN_DGRAM_LISTEN;
	ep->family = dn_addr_family(local);
	ep->local = *local;
	ep->has_local = 1;
	ep->port = dn_addr_port(local);
	ep->v6only = v6only < 0 ? -1 : v6only != 0;
	return ep;
}

/* A SEND endpoint of family from bind (checked by the caller). */
static dn_dgram_endpoint *
dg_send(int family, const dn_addr *bind, dn_error *err)
{
	dn_dgram_endpoint *ep;

	if ((ep = dg_new(err)) == NULL)
		return NULL;
	ep->kind = DN_DGRAM_SEND;
	ep->family = family;
	if (bind != NULL) {
		ep->local = *bind;
		ep->has_local = 1;
	}
	return ep;
}

dn_dgram_endpoint *
dn_dgram_endpoint_new_send_addr(const dn_addr *dest, const dn_addr *bind,
    dn_error *err)
{
	char a[DN_ADDR_STRLEN];
	dn_dgram_endpoint *ep;

	if (dest == NULL || (dn_addr_family(dest) != AF_INET &&
	    dn_addr_family(dest) != AF_INET6)) {
		dn__err(err, DN_EINVAL, 0, "no destination: give an IPv4 or "
		    "IPv6 address");
		return NULL;
	}
	dn_addr_format(dest, a, sizeof(a));
	if (dn_addr_port(dest) == 0) {
		dn__err(err, DN_ERANGE, 0, "destination %s has port 0, which "
		    "cannot be sent to: give 1 to 65535", a);
		return NULL;
	}
	if ((bind != NULL && dn_addr_check_bind(bind, dest, err) == -1) ||
	    (ep = dg_send(dn_addr_family(dest), bind, err)) == NULL)
		return NULL;
	ep->dest = *dest;
	ep->has_dest = 1;
	ep->port = dn_addr_port(dest);
	dn_addr_format_host(dest, a, sizeof(a));
	if (dg_strings(ep, a, NULL, NULL, NULL, err) == -1) {
		dn_dgram_endpoint_free(ep);
		return NULL;
	}
	return ep;
}

dn_dgram_endpoint *
dn_dgram_endpoint_new_send_name(const char *host, uint16_t port, int family,
    const dn_addr *bind, dn_error *err)
{
	dn_dgram_endpoint *ep;

	if (host == NULL || dn_host_name_check(host, err) == -1) {
		if (host == NULL)
			dn__err(err, DN_EINVAL, 0, "no host to send to");
		return NULL;
	}
	if (port == 0) {
		dn__err(err, DN_ERANGE, 0, "port 0 of %s cannot be sent to: "
		    "give 1 to 65535", host);
		return NULL;
	}
	if (family != AF_INET && family != AF_INET6) {
		dn__err(err, DN_EINVAL, 0, "%s resolves for one family: give "
		    "AF_INET or AF_INET6", host);
		return NULL;
	}
	if (bind != NULL && dn_addr_family(bind) != family) {
		dn__err_bind_name(err, bind, host, family);
		return NULL;
	}
	if ((ep = dg_send(family, bind, err)) == NULL)
		return NULL;
	ep->port = port;
	if (dg_strings(ep, host, NULL, NULL, NULL, err) == -1) {
		dn_dgram_endpoint_free(ep);
		return NULL;
	}
	return ep;
}

dn_dgram_endpoint *
dn_dgram_endpoint_new_all(uint16_t port, const dn_all_opts *ao,
    dn_error *err)
{
	dn_dgram_endpoint *ep;

	if ((ep = dg_new(err)) == NULL)
		return NULL;
	ep->kind = DN_DGRAM_LISTEN_ALL;
	ep->port = port;
	if (ao != NULL)
		ep->all = *ao;
	else
		dn_all_opts_init(&ep->all);
	ep->family = ep->all.family;
	if (dg_strings(ep, NULL, NULL, ao != NULL ? ao->interfaces : NULL,
	    ao != NULL ? ao->exclude : NULL, err) == -1) {
		dn_dgram_endpoint_free(ep);
		return NULL;
	}
	return ep;
}

void
dn_dgram_endpoint_free(dn_dgram_endpoint *ep)
{
	if (ep == NULL)
		return;
	free(ep->host);
	free(ep->iface);
	free(ep->ifs);
	free(ep->excl);
	free(ep);
}

const dn_all_opts *
dn_dgram_endpoint_all(const dn_dgram_endpoint *ep)
{
	return ep->kind == DN_DGRAM_LISTEN_ALL ? &ep->all : NULL;
}

dn_dgram_kind
dn_dgram_endpoint_kind(const dn_dgram_endpoint *ep)
{
	return ep->kind;
}

const dn_addr *
dn_dgram_endpoint_local(const dn_dgram_endpoint *ep)
{
	return ep->has_local ? &ep->local : NULL;
}

const dn_addr *
dn_dgram_endpoint_dest(const dn_dgram_endpoint *ep)
{
	return ep->has_dest ? &ep->dest : NULL;
}

const char *
dn_dgram_endpoint_host(const dn_dgram_endpoint *ep)
{
	return ep->host;
}

uint16_t
dn_dgram_endpoint_port(const dn_dgram_endpoint *ep)
{
	return ep->port;
}

int
dn_dgram_endpoint_family(const dn_dgram_endpoint *ep)
{
	return ep->family;
}

const char *
dn_dgram_endpoint_interface(const dn_dgram_endpoint *ep)
{
	return ep->iface;
}

const dn_addr *
dn_dgram_endpoint_source(const dn_dgram_endpoint *ep)
{
	return ep->has_source ? &ep->source : NULL;
}

int
dn_dgram_endpoint_hops(const dn_dgram_endpoint *ep)
{
	return ep->hops;
}

int
dn_dgram_endpoint_loop(const dn_dgram_endpoint *ep)
{
	return ep->loop;
}

int
dn_dgram_endpoint_v6only(const dn_dgram_endpoint *ep)
{
	return ep->v6only;
}
