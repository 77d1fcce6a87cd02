/* addr.c - structured addresses: parse and format 4-tuples, scope ids, classification. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TEXT_MAX	255	/* longest address text we read */
#define NAMETEXT_MAX	1024	/* longer when it starts with a name, for
				 * dn_host_name_check() to judge */
#define ZONE_MAX	64	/* longest zone we keep (IF_NAMESIZE is 16) */
#define FLOW_MAX	0xFFFFFu	/* RFC 6437: the flow label is 20 bits */

/* Where the text came from: changes only what a message suggests. */
enum origin { O_TEXT, O_TUPLE, O_PARTS };

/* A text cut into its pieces, before any of them is checked as a literal. */
struct parts {
	char host[NAMETEXT_MAX + 1];	/* without brackets and zone */
	char zone[ZONE_MAX];		/* after %, RFC 6874 escapes decoded */
	int has_zone;
	int bracketed;
	long port;			/* -1: none given */
	uint32_t flow;
	char scope[ZONE_MAX];		/* the 4-tuple's SCOPE field */
	int has_scope;
	enum origin origin;
};

static const char *
what_of(const dn_addr_hints *h)
{
	return h != NULL && h->what != NULL ? h->what : "address";
}

static const char *
ifaces(char *buf, size_t len)
{
	return dn__iface_list(buf, len);
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * Unsigned number, decimal or (hex_ok) 0x hex. Returns 0 and *out, 1 when
 * the text is not a number, 2 when it is one but above max.
 */
static int
number(const char *s, int hex_ok, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	unsigned base = 10, d;
	int over = 0;

	if (hex_ok && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '-' && all_digits(s + 1))
		return 2;
	if (*s == '\0')
		return 1;
	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return 1;
		if (v > (max - d) / base)
			over = 1;
		else
			v = v * base + d;
	}
	if (over)
		return 2;
	*out = v;
	return 0;
}

static int
parse_port(const char *s, long *port, dn_error *err)
{
	unsigned long v;

	if (*s == '\0')
		return dn__err(err, DN_ESYNTAX, 0,
		    "empty port: give a number 0..65535");
	switch (number(s, 0, 65535, &v)) {
	case 1:
		return dn__err(err, DN_ESYNTAX, 0,
		    "port '%s' is not a number: use 0..65535", s);
	case 2:
		return dn__err(err, DN_ERANGE, 0,
		    "port %s is out of range: use 0..65535", s);
	}
	*port = (long)v;
	return 0;
}

int
dn_port_parse(const char *text, int allow_zero, uint16_t *port,
    dn_error *err)
{
	struct servent *se;
	unsigned long v;
	int min = allow_zero ? 0 : 1;

	if (text == NULL || *text == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "the port is empty: give a "
		    "number from 1 to 65535 or a service name");
	if (all_digits(text)) {
		if (number(text, 0, 65535, &v) != 0 || v < (unsigned long)min)
			return dn__err(err, DN_ERANGE, 0, "port %s is out of "
			    "range: give %d to 65535", text, min);
		*port = (uint16_t)v;
		return 0;
	}
	/* /etc/services through NSS: a local file, not the network */
	if ((se = getservbyname(text, "tcp")) == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "port '%s' is neither a "
		    "number nor a service in /etc/services", text);
	*port = ntohs((uint16_t)se->s_port);
	return 0;
}

static int
parse_flow(const char *s, uint32_t *flow, dn_error *err)
{
	unsigned long v;

	switch (number(s, 1, FLOW_MAX, &v)) {
	case 1:
		return dn__err(err, DN_ESYNTAX, 0, "flowinfo '%s' is not a "
		    "number: use decimal or 0x hex, 0..0xFFFFF", s);
	case 2:
		return dn__err(err, DN_ERANGE, 0,
		    "flowinfo %s is over 20 bits: use 0..0xFFFFF", s);
	}
	*flow = (uint32_t)v;
	return 0;
}

/*
 * Cuts "%zone" off p->host. RFC 6874 §2: inside brackets "%25" introduces
 * the zone and the zone itself may be percent-encoded. A bare "%" inside
 * brackets is accepted too (what browsers and curl take); "[fe80::1%25]"
 * alone is then read that way, as the zone "25".
 */
static int
split_zone(struct parts *p, const char *text, dn_error *err)
{
	char *pct, *z, buf[ZONE_MAX];
	size_t n = 0;
	unsigned hi, lo;

	if ((pct = strchr(p->host, '%')) == NULL)
		return 0;
	*pct = '\0';
	z = pct + 1;
	if (p->host[0] == '\0')
		return dn__err(err, DN_ESYNTAX, 0,
		    "the address before '%%%s'%s%s%s "
		    "is empty: write ADDR%%IFACE, as in fe80::1%%%s", z,
		    text[0] != '%' ? " in '" : "", text[0] != '%' ? text : "",
		    text[0] != '%' ? "'" : "", *z != '\0' ? z : "eth0");
	if (*z == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "empty zone after '%%' in "
		    "'%s': give an interface name or index", text);
	if (p->bracketed && z[0] == '2' && z[1] == '5' && z[2] != '\0') {
		for (z += 2; *z != '\0'; z++) {
			if (n + 1 >= sizeof(buf))
				goto toolong;
			if (*z != '%') {
				buf[n++] = *z;
				continue;
			}
			if (!isxdigit((unsigned char)z[1]) ||
			    !isxdigit((unsigned char)z[2]))
				return dn__err(err, DN_ESYNTAX, 0, "bad "
				    "percent-escape in zone of '%s': write "
				    "[ADDR%%25IFACE]", text);
			hi = (unsigned)(isdigit((unsigned char)z[1]) ? z[1] - '0' :
			    tolower((unsigned char)z[1]) - 'a' + 10);
			lo = (unsigned)(isdigit((unsigned char)z[2]) ? z[2] - '0' :
			    tolower((unsigned char)z[2]) - 'a' + 10);
			buf[n] = (char)(hi << 4 | lo);
			if (!isgraph((unsigned char)buf[n]))
				return dn__err(err, DN_ESYNTAX, 0, "zone of '%s' "
				    "decodes to a space or control character",
				    text);
			n++;
			z += 2;
		}
		buf[n] = '\0';
	} else {
		if (strlen(z) >= sizeof(buf))
			goto toolong;
		if (strchr(z, '%') != NULL)
			return dn__err(err, DN_ESYNTAX, 0, "two '%%' in '%s': "
			    "write ADDR%%IFACE or [ADDR%%25IFACE]", text);
		strlcpy(buf, z, sizeof(buf));
	}
	strlcpy(p->zone, buf, sizeof(p->zone));
	p->has_zone = 1;
	return 0;
toolong:
	return dn__err(err, DN_EBADSCOPE, 0,
	    "zone in '%.40s...' is too long for an interface name", text);
}

/*
 * HOST, HOST:PORT (IPv4 or name), bare IPv6, [IPv6] or [IPv6]:PORT.
 * port_ok is 0 for a tuple's HOST field and for dn_addr_from_parts().
 */
static int
host_port(const char *s, struct parts *p, int port_ok, const char *text,
    dn_error *err)
{
	const char *close, *colon, *c;
	char *zc;
	size_t n, ncolon = 0;

	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL)
			return dn__err(err, DN_ESYNTAX, 0, "missing ']' in '%s': "
			    "write [IPV6]:PORT", text);
		n = (size_t)(close - (s + 1));
		if (n == 0)
			return dn__err(err, DN_ESYNTAX, 0,
			    "empty brackets in '%s'", text);
		memcpy(p->host, s + 1, n);
		p->host[n] = '\0';
		if (strchr(p->host, '[') != NULL || strchr(close + 1, ']') ||
		    strchr(close + 1, '['))
			return dn__err(err, DN_ESYNTAX, 0,
			    "stray bracket in '%s': write [IPV6]:PORT", text);
		p->bracketed = 1;
		if (close[1] == ':') {
			if (!port_ok)
				goto portplace;
			if (parse_port(close + 2, &p->port, err) == -1)
				return -1;
		} else if (close[1] != '\0')
			return dn__err(err, DN_ESYNTAX, 0, "unexpected '%s' "
			    "after ']' in '%s': write [IPV6]:PORT", close + 1,
			    text);
		return split_zone(p, text, err);
	}
	if (strchr(s, ']') != NULL)
		return dn__err(err, DN_ESYNTAX, 0,
		    "']' without '[' in '%s': write [IPV6]:PORT", text);
	for (c = s; *c != '\0'; c++)
		if (*c == ':')
			ncolon++;
	if (ncolon == 1) {
		if (!port_ok)
			goto portplace;
		colon = strchr(s, ':');
		if (colon == s)
			return dn__err(err, DN_ESYNTAX, 0,
			    "empty host before the port in '%s'", text);
		memcpy(p->host, s, (size_t)(colon - s));
		p->host[colon - s] = '\0';
		if (parse_port(colon + 1, &p->port, err) == -1)
			return -1;
		return split_zone(p, text, err);
	}
	strlcpy(p->host, s, sizeof(p->host));
	if (split_zone(p, text, err) == -1)
		return -1;
	/* A zone cannot hold ':' (Linux dev_valid_name), so this was a port. */
	if (p->has_zone && (zc = strrchr(p->zone, ':')) != NULL) {
		*zc = '\0';
		return dn__err(err, DN_ESYNTAX, 0, "a port after a bare IPv6 "
		    "address is ambiguous: write [%s%%%s]:%s", p->host,
		    p->zone, zc + 1);
	}
	return 0;
portplace:
	if (p->origin == O_PARTS)
		return dn__err(err, DN_ESYNTAX, 0, "host '%s' carries a port: "
		    "give the port separately", text);
	return dn__err(err, DN_ESYNTAX, 0, "in the tuple '%s' the port is "
	    "the second field: write HOST,PORT,FLOWINFO,SCOPE", text);
}

/* The first n bytes of s: name characters with a letter among them. */
static int
looks_like_name(const char *s, size_t n)
{
	int letter = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (isalpha((unsigned char)s[i]))
			letter = 1;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	}
	return letter;
}

static int
check_text(const char *text, const char *what, dn_error *err)
{
	const char *c;
	size_t n, h;

	if (text == NULL || *text == '\0')
		return dn__err(err, DN_ESYNTAX, 0,
		    "empty %s: give an IPv4 or IPv6 literal", what);
	/* Past what any literal needs, only a text that starts with a name
	 * ("NAME", "NAME:PORT", "NAME,PORT,...") goes on: its length is
	 * for dn_host_name_check() to judge, as on every other path. */
	if ((n = strlen(text)) > TEXT_MAX) {
		h = strcspn(text, ":,");
		if (h == n && looks_like_name(text, n) &&
		    dn_host_name_check(text, err) == -1)
			return -1;
		if (n > NAMETEXT_MAX || !looks_like_name(text, h))
			return dn__err(err, DN_ESYNTAX, 0, "%s '%.40s...' is "
			    "too long (%zu characters)", what, text, n);
	}
	for (c = text; *c != '\0'; c++)
		if (!isgraph((unsigned char)*c))
			return dn__err(err, DN_ESYNTAX, 0, "%s contains a space "
			    "or control character at offset %zu: give one "
			    "literal", what, (size_t)(c - text));
	return 0;
}

/* Cuts text (already checked by check_text) into parts. */
static int
split_text(const char *text, struct parts *p, dn_error *err)
{
	char buf[NAMETEXT_MAX + 1], *f[4], *c;
	size_t nf = 0;

	memset(p, 0, sizeof(*p));
	p->port = -1;
	if (strchr(text, ',') == NULL) {
		p->origin = O_TEXT;
		return host_port(text, p, 1, text, err);
	}
	p->origin = O_TUPLE;
	strlcpy(buf, text, sizeof(buf));
	f[nf++] = buf;
	for (c = buf; *c != '\0'; c++) {
		if (*c != ',')
			continue;
		if (nf == DN__ARRLEN(f))
			return dn__err(err, DN_ESYNTAX, 0, "too many fields in "
			    "'%s': use HOST,PORT,FLOWINFO,SCOPE", text);
		*c = '\0';
		f[nf++] = c + 1;
	}
	if (*f[0] == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "empty host in the tuple "
		    "'%s': use HOST,PORT,FLOWINFO,SCOPE", text);
	/* An empty field skips to a later one ("fe80::1,80,,eth0"); at the
	 * end it skips to nothing, and is a slip. */
	if (*f[nf - 1] == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "the tuple '%s' ends in an "
		    "empty field: drop the trailing comma%s, or fill the field",
		    text, nf > 2 && *f[nf - 2] == '\0' ? "s" : "");
	if (host_port(f[0], p, 0, text, err) == -1)
		return -1;
	if (nf > 1 && *f[1] != '\0' && parse_port(f[1], &p->port, err) == -1)
		return -1;
	if (nf > 2 && *f[2] != '\0' && parse_flow(f[2], &p->flow, err) == -1)
		return -1;
	if (nf > 3 && *f[3] != '\0') {
		if (strlcpy(p->scope, f[3], sizeof(p->scope)) >=
		    sizeof(p->scope))
			return dn__err(err, DN_EBADSCOPE, 0, "scope '%.40s...' "
			    "is too long for an interface name", f[3]);
		p->has_scope = 1;
	}
	return 0;
}

/*
 * RFC 1035 §2.3.4 and §3.1 (RFC 1123 §2.1 keeps them): a label is 1 to 63
 * bytes and a name at most 255 on the wire, each label with its length
 * byte and the root's zero byte, so 253 of text; one trailing dot (the
 * root, written out) may follow. Characters as the programs have always
 * taken them: letters, digits, '-', '_' (SRV-style and internal names)
 * and the dots. Every path that hands a name to a resolver asks this
 * first, so a name DNS cannot carry is one usage error, the same
 * everywhere, and never a lookup that "did not resolve".
 */
#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789-_."
#define NAME_MAX_TEXT	253
#define LABEL_MAX	63
#define QUOTE_CUT	40	/* longer quoted text is cut: "aaaa..." */

int
dn_host_name_check(const char *name, dn_error *err)
{
	const char *label, *dot, *end;
	size_t n, bad;

	if (name == NULL || *name == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "empty host name: give a "
		    "name or an address");
	n = strlen(name);
	if ((bad = strspn(name, NAME_CHARS)) < n) {
		if (isgraph((unsigned char)name[bad]))
			return dn__err(err, DN_ESYNTAX, 0, "host name '%.*s%s' "
			    "has '%c' at offset %zu: a name has letters, "
			    "digits, '-', '_' and dots", QUOTE_CUT, name,
			    n > QUOTE_CUT ? "..." : "", name[bad], bad);
		if ((unsigned char)name[bad] >= 0x80)
			return dn__err(err, DN_ESYNTAX, 0, "host name has a "
			    "non-ASCII byte at offset %zu: write an "
			    "internationalized name in its xn-- form "
			    "(RFC 5891)", bad);
		return dn__err(err, DN_ESYNTAX, 0, "host name has a space or "
		    "control character at offset %zu: give one name", bad);
	}
	end = name + n;
	if (name[n - 1] == '.')
		end--;
	if (end == name)
		return dn__err(err, DN_ESYNTAX, 0, "host name '%s' is the DNS "
		    "root alone: give a host name", name);
	for (label = name;; label = dot + 1) {
		if ((dot = memchr(label, '.', (size_t)(end - label))) == NULL)
			dot = end;
		if (dot == label)
			return dn__err(err, DN_ESYNTAX, 0, "host name "
			    "'%.*s%s' has an empty label at offset %zu: "
			    "remove the extra dot", QUOTE_CUT, name,
			    n > QUOTE_CUT ? "..." : "", (size_t)(label - name));
		if (dot - label > LABEL_MAX)
			return dn__err(err, DN_ESYNTAX, 0, "host name label "
			    "'%.*s%s' is %zu bytes: a label is at most %d",
			    QUOTE_CUT, label, dot - label > QUOTE_CUT ? "..." :
			    "", (size_t)(dot - label), LABEL_MAX);
		if (dot == end)
			break;
	}
	if ((size_t)(end - name) > NAME_MAX_TEXT)
		return dn__err(err, DN_ESYNTAX, 0, "host name '%.*s...' is %zu "
		    "bytes: a name is at most %d (255 on the wire), one "
		    "trailing dot allowed", QUOTE_CUT, name, n, NAME_MAX_TEXT);
	return 0;
}

static int
scope_index(const char *zone, uint32_t *idx, dn_error *err)
{
	unsigned u;

	if (dn__iface_lookup("scope", zone, &u, err) == -1)
		return -1;
	*idx = u;
	return 0;
}

/* For "X is KIND: it takes no scope": what an unscoped IPv6 address is. */
static const char *
v6_kind(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "the loopback address";
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "the unspecified address";
	if (IN6_IS_ADDR_V4MAPPED(a))
		return "a v4-mapped address";
	if (IN6_IS_ADDR_MULTICAST(a)) {
		switch (a->s6_addr[1] & 0x0f) {
		case 3:
			return "a realm-local multicast address";
		case 4:
			return "an admin-local multicast address";
		case 5:
			return "a site-local multicast address";
		case 8:
			return "an organization-local multicast address";
		case 14:
			return "a global multicast address";
		default:
			return "a multicast address";
		}
	}
	if (IN6_IS_ADDR_SITELOCAL(a))
		return "a site-local address";
	if ((a->s6_addr[0] & 0xfe) == 0xfc)
		return "a unique local address";
	return "a global address";
}

static int
v6_needs_scope(const struct in6_addr *a)
{
	unsigned sc;

	if (IN6_IS_ADDR_LINKLOCAL(a))
		return 1;
	/* RFC 4291 §2.7: interface-local (1) and link-local (2) scopes */
	if (IN6_IS_ADDR_MULTICAST(a)) {
		sc = a->s6_addr[1] & 0x0f;
		return sc == 1 || sc == 2;
	}
	return 0;
}

static const char *
need_kind(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return "link-local";
	if ((a->s6_addr[1] & 0x0f) == 1)
		return "interface-local multicast";
	return "link-local multicast";
}

/*
 * A resolver's answer follows a literal's rules: a scope id only where RFC
 * 4291 gives the address one, and only an interface that exists. No
 * resolver here sets one today (neither c-ares nor glibc reads a %zone in
 * a hosts file), but an answer must not become what dn_addr_parse() would
 * refuse.
 */
static int
answer_scope_check(const dn_addr *a, dn_error *err)
{
	char host[INET6_ADDRSTRLEN], name[IF_NAMESIZE];
	uint32_t sc = a->u.sin6.sin6_scope_id;

	if (sc == 0)
		return 0;
	inet_ntop(AF_INET6, &a->u.sin6.sin6_addr, host, sizeof(host));
	if (!v6_needs_scope(&a->u.sin6.sin6_addr))
		return dn__err(err, DN_EBADSCOPE, 0, "resolver answer %s is %s: "
		    "it takes no scope (%%%u)", host,
		    v6_kind(&a->u.sin6.sin6_addr), (unsigned)sc);
	if (if_indextoname(sc, name) == NULL)
		return dn__err(err, DN_EBADSCOPE, errno, "resolver answer "
		    "%s%%%u: no interface has index %u", host, (unsigned)sc,
		    (unsigned)sc);
	return 0;
}

int
dn__addr_take_answer(dn_addr *list, size_t *n, const struct sockaddr *sa,
    socklen_t salen, int family, uint16_t port, dn_error *err)
{
	dn_addr a;
	size_t i;

	memset(&a, 0, sizeof(a));
	if (sa == NULL || sa->sa_family != family)
		return 0;
	if (family == AF_INET && salen >= (socklen_t)sizeof(a.u.sin)) {
		memcpy(&a.u.sin, sa, sizeof(a.u.sin));
		a.u.sin.sin_port = htons(port);
		a.len = sizeof(a.u.sin);
	} else if (family == AF_INET6 && salen >= (socklen_t)sizeof(a.u.sin6)) {
		memcpy(&a.u.sin6, sa, sizeof(a.u.sin6));
		a.u.sin6.sin6_port = htons(port);
		a.len = sizeof(a.u.sin6);
		if (answer_scope_check(&a, err) == -1)
			return -1;
	} else
		return 0;
	for (i = 0; i < *n; i++)
		if (list[i].len == a.len && memcmp(&list[i].u, &a.u, a.len) == 0)
			return 0;
	list[(*n)++] = a;
	return 1;
}

/*
 * Which literal the host is: 1 for IPv6 (into *a6), 0 for IPv4 (into *a4),
 * -1 with the one error that says what it is instead.
 */
static int
host_literal(const struct parts *p, const char *what, struct in6_addr *a6,
    struct in_addr *a4, dn_error *err)
{
	size_t n;

	if ((n = strlen(p->host)) > TEXT_MAX && !looks_like_name(p->host, n))
		return dn__err(err, DN_ESYNTAX, 0, "%s '%.40s...' is too long "
		    "(%zu characters)", what, p->host, n);
	if (inet_pton(AF_INET6, p->host, a6) == 1)
		return 1;
	if (strchr(p->host, ':') == NULL && inet_pton(AF_INET, p->host, a4) == 1)
		return 0;
	if (strchr(p->host, '=') != NULL)
		/* "tcpx:host=...": meant as a description */
		return dn__err(err, DN_ESYNTAX, 0, "%s '%s' is no address, nor "
		    "a description of a known type: start it with tcp:, "
		    "tcp6:, hostname:, all:, udp:, udp6:, udp-all: or "
		    "multicast:", what, p->host);
	if (strchr(p->host, ':') != NULL)
		return dn__err(err, DN_ESYNTAX, 0,
		    "%s '%s' is not a valid IPv6 address", what, p->host);
	if (looks_like_name(p->host, n) && !p->bracketed && !p->has_zone) {
		/* a name only when it is a valid one: one verdict for all */
		if (dn_host_name_check(p->host, err) == -1)
			return -1;
		return dn__err(err, DN_ENOTLITERAL, 0,
		    "%s %s is not an address literal", what, p->host);
	}
	if (p->bracketed)
		return dn__err(err, DN_ESYNTAX, 0, "brackets hold an IPv6 "
		    "literal, not '%s'", p->host);
	if (p->has_zone && looks_like_name(p->host, n))
		return dn__err(err, DN_ESYNTAX, 0, "a %%zone goes only on an "
		    "IPv6 literal, not on the name '%s'", p->host);
	if (strspn(p->host, "0123456789.") == n)
		return dn__err(err, DN_ESYNTAX, 0,
		    "%s '%s' is not a valid IPv4 address", what, p->host);
	return dn__err(err, DN_ESYNTAX, 0, "%s '%s' is not an address: "
	    "give an IPv4 or IPv6 literal", what, p->host);
}

/* The port the hints ask for (required, optional or none) and flowinfo. */
static int
port_check(const struct parts *p, const char *what, unsigned flags, int v6,
    dn_error *err)
{
	char zp[ZONE_MAX + 1];

	if (p->port < 0 && (flags & DN_ADDR_PORT_REQUIRED)) {
		if (p->origin == O_TUPLE)
			return dn__err(err, DN_ESYNTAX, 0, "%s %s has no port: "
			    "give it as the tuple's second field", what,
			    p->host);
		snprintf(zp, sizeof(zp), "%s%s", p->has_zone ? "%" : "",
		    p->has_zone ? p->zone : "");
		if (v6)
			return dn__err(err, DN_ESYNTAX, 0, "%s %s has no port: "
			    "write [%s%s]:PORT", what, p->host, p->host, zp);
		return dn__err(err, DN_ESYNTAX, 0, "%s %s has no port: write "
		    "%s:PORT", what, p->host, p->host);
	}
	if (p->port >= 0 &&
	    (flags & (DN_ADDR_PORT_OPTIONAL | DN_ADDR_PORT_REQUIRED)) == 0)
		return dn__err(err, DN_ESYNTAX, 0, "%s %s takes no port: drop "
		    "the port %ld", what, p->host, p->port);
	if (!v6 && p->flow != 0)
		return dn__err(err, DN_EINVAL, 0, "%s %s is IPv4: flowinfo is "
		    "for IPv6 only", what, p->host);
	return 0;
}

/*
 * The scope index: from %zone, the scope field or the default scope, only
 * on an address that needs one (RFC 4007 §6), and required unless the
 * hints make it optional.
 */
static int
scope_of(const struct parts *p, const char *what, const dn_addr_hints *h,
    int v6, const struct in6_addr *a6, uint32_t *idx, dn_error *err)
{
	unsigned flags = h != NULL ? h->flags : DN_ADDR_PORT_OPTIONAL;
	const char *ds = h != NULL ? h->default_scope : NULL;
	const char *given = p->has_zone ? p->zone : p->scope;
	char list[DN__IFLIST_MAX];
	uint32_t zidx = 0, sidx = 0;

	*idx = 0;
	if (!v6 && (p->has_zone || p->has_scope))
		return dn__err(err, DN_EBADSCOPE, 0, "%s %s is IPv4: "
		    "it takes no scope (%%%s)", what, p->host, given);
	if (!v6)
		return 0;
	if (!v6_needs_scope(a6) && (p->has_zone || p->has_scope))
		return dn__err(err, DN_EBADSCOPE, 0, "%s %s is %s: it takes no "
		    "scope (%%%s)", what, p->host, v6_kind(a6), given);
	if (!v6_needs_scope(a6))
		return 0;
	if (p->has_zone && scope_index(p->zone, &zidx, err) == -1)
		return -1;
	if (p->has_scope && scope_index(p->scope, &sidx, err) == -1)
		return -1;
	if (zidx != 0 && sidx != 0 && zidx != sidx)
		return dn__err(err, DN_EBADSCOPE, 0, "%%%s and %s %s "
		    "disagree for %s %s: give the scope once", p->zone,
		    p->origin == O_TUPLE ? "tuple scope" : "scope",
		    p->scope, what, p->host);
	*idx = zidx != 0 ? zidx : sidx;
	if (*idx == 0 && ds != NULL && *ds != '\0' &&
	    scope_index(ds, idx, err) == -1)
		return -1;
	if (*idx == 0 && !(flags & DN_ADDR_SCOPE_OPTIONAL))
		return dn__err(err, DN_ENOSCOPE, 0, "%s %s is %s: add "
		    "%%IFACE or a default scope, one of: %s", what,
		    p->host, need_kind(a6), ifaces(list, sizeof(list)));
	return 0;
}

/* Checks the parts against every rule and builds the value. */
static int
build(dn_addr *out, struct parts *p, const dn_addr_hints *h, dn_error *err)
{
	const char *what = what_of(h);
	unsigned flags = h != NULL ? h->flags : DN_ADDR_PORT_OPTIONAL;
	int family = h != NULL ? h->family : AF_UNSPEC;
	struct in6_addr a6;
	struct in_addr a4;
	uint32_t idx;
	dn_addr a;
	int v6;

	if ((v6 = host_literal(p, what, &a6, &a4, err)) == -1)
		return -1;
	/* RFC 3986 §3.2.2: brackets are for IPv6 (and IPvFuture) only */
	if (!v6 && p->bracketed)
		return dn__err(err, DN_ESYNTAX, 0, "brackets are for IPv6: "
		    "write %s without them", p->host);
	if (family == AF_INET && v6)
		return dn__err(err, DN_EFAMILY, 0, "%s %s is IPv6, but only "
		    "IPv4 is allowed here", what, p->host);
	if (family == AF_INET6 && !v6)
		return dn__err(err, DN_EFAMILY, 0, "%s %s is IPv4, but only "
		    "IPv6 is allowed here", what, p->host);
	if (port_check(p, what, flags, v6, err) == -1 ||
	    scope_of(p, what, h, v6, &a6, &idx, err) == -1)
		return -1;

	memset(&a, 0, sizeof(a));
	if (v6) {
		a.u.sin6.sin6_family = AF_INET6;
		a.u.sin6.sin6_addr = a6;
		a.u.sin6.sin6_port = htons((uint16_t)(p->port < 0 ? 0 : p->port));
		a.u.sin6.sin6_flowinfo = htonl(p->flow);
		a.u.sin6.sin6_scope_id = idx;
		a.len = sizeof(a.u.sin6);
	} else {
		a.u.sin.sin_family = AF_INET;
		a.u.sin.sin_addr = a4;
		a.u.sin.sin_port = htons((uint16_t)(p->port < 0 ? 0 : p->port));
		a.len = sizeof(a.u.sin);
	}
	*out = a;
	return 0;
}

int
dn_addr_parse(dn_addr *out, const char *text, const dn_addr_hints *hints,
    dn_error *err)
{
	struct parts p;

	if (check_text(text, what_of(hints), err) == -1)
		return -1;
	if (split_text(text, &p, err) == -1)
		return -1;
	return build(out, &p, hints, err);
}

int
dn_addr_from_parts(dn_addr *out, const char *host, int port,
    uint32_t flowinfo, const char *scope, const dn_addr_hints *hints,
    dn_error *err)
{
	struct parts p;

	if (check_text(host, what_of(hints), err) == -1)
		return -1;
	if (port < -1 || port > 65535)
		return dn__err(err, DN_ERANGE, 0,
		    "port %d is out of range: use 0..65535", port);
	if (flowinfo > FLOW_MAX)
		return dn__err(err, DN_ERANGE, 0,
		    "flowinfo 0x%x is over 20 bits: use 0..0xFFFFF", flowinfo);
	memset(&p, 0, sizeof(p));
	p.port = -1;
	p.origin = O_PARTS;
	if (host_port(host, &p, 0, host, err) == -1)
		return -1;
	p.port = port;
	p.flow = flowinfo;
	if (scope != NULL && *scope != '\0') {
		if (check_text(scope, "scope", err) == -1)
			return -1;
		if (strlcpy(p.scope, scope, sizeof(p.scope)) >= sizeof(p.scope))
			return dn__err(err, DN_EBADSCOPE, 0, "scope '%.40s...' "
			    "is too long for an interface name", scope);
		p.has_scope = 1;
	}
	return build(out, &p, hints, err);
}

int
dn_hostport_split(const char *text, char *host, size_t hostlen, int *port,
    dn_error *err)
{
	struct parts p;
	char buf[NAMETEXT_MAX + ZONE_MAX + 2];
	uint32_t zi, si;

	if (check_text(text, "host", err) == -1)
		return -1;
	if (split_text(text, &p, err) == -1)
		return -1;
	if (p.bracketed && strchr(p.host, ':') == NULL)
		return dn__err(err, DN_ESYNTAX, 0, "brackets hold an IPv6 "
		    "literal, not '%s'", p.host);
	/* without a colon: a name (or an IPv4 literal, which passes) */
	if (strchr(p.host, ':') == NULL) {
		if (dn_host_name_check(p.host, err) == -1)
			return -1;
	} else if (p.host[strspn(p.host, "ABCDEFabcdef0123456789.:")] != '\0')
		return dn__err(err, DN_ESYNTAX, 0, "'%s' is not an IPv6 "
		    "address", p.host);
	/* The value carries no flowinfo: only dn_addr_parse() keeps it. */
	if (p.flow != 0)
		return dn__err(err, DN_EINVAL, 0, "flowinfo in '%s' needs an "
		    "address literal as HOST, not '%s'", text, p.host);
	/* "%lo" and the tuple's "1" may name one interface, which is
	 * agreement to dn_addr_parse() too */
	if (p.has_zone && p.has_scope && strcmp(p.zone, p.scope) != 0 &&
	    (scope_index(p.zone, &zi, NULL) == -1 ||
	    scope_index(p.scope, &si, NULL) == -1 || zi != si))
		return dn__err(err, DN_EBADSCOPE, 0, "%%%s and tuple scope %s "
		    "disagree in '%s': give the scope once", p.zone, p.scope,
		    text);
	if (p.has_zone || p.has_scope)
		snprintf(buf, sizeof(buf), "%s%%%s", p.host,
		    p.has_zone ? p.zone : p.scope);
	else
		strlcpy(buf, p.host, sizeof(buf));
	if (host == NULL || strlen(buf) >= hostlen)
		return dn__err(err, DN_ERANGE, 0, "host part of '%s' is longer "
		    "than %zu characters", text, hostlen ? hostlen - 1 : 0);
	memcpy(host, buf, strlen(buf) + 1);
	if (port != NULL)
		*port = (int)p.port;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                         */
/* ------------------------------------------------------------------ */

const char *
dn_addr_format_scope(const dn_addr *a, char *buf, size_t len)
{
	char name[IF_NAMESIZE];
	uint32_t sc;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	if ((sc = dn_addr_scope(a)) == 0)
		return buf;
	if (if_indextoname(sc, name) != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", sc);
	return buf;
}

const char *
dn_addr_format_host(const dn_addr *a, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN], sc[IF_NAMESIZE + 12];

	if (buf == NULL || len == 0)
		return buf;
	switch (dn_addr_family(a)) {
	case AF_INET:
		inet_ntop(AF_INET, &a->u.sin.sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s", h);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a->u.sin6.sin6_addr, h, sizeof(h));
		dn_addr_format_scope(a, sc, sizeof(sc));
		snprintf(buf, len, "%s%s%s", h, sc[0] ? "%" : "", sc);
		break;
	default:
		snprintf(buf, len, "(none)");
		break;
	}
	return buf;
}

const char *
dn_addr_format(const dn_addr *a, char *buf, size_t len)
{
	char h[DN_ADDR_STRLEN];

	if (buf == NULL || len == 0)
		return buf;
	dn_addr_format_host(a, h, sizeof(h));
	switch (dn_addr_family(a)) {
	case AF_INET:
		snprintf(buf, len, "%s:%u", h, (unsigned)dn_addr_port(a));
		break;
	case AF_INET6:
		snprintf(buf, len, "[%s]:%u", h, (unsigned)dn_addr_port(a));
		break;
	default:
		snprintf(buf, len, "%s", h);
		break;
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                          */
/* ------------------------------------------------------------------ */

int
dn_addr_family(const dn_addr *a)
{
	if (a == NULL)
		return AF_UNSPEC;
	return a->u.sa.sa_family;
}

uint16_t
dn_addr_port(const dn_addr *a)
{
	switch (dn_addr_family(a)) {
	case AF_INET:
		return ntohs(a->u.sin.sin_port);
	case AF_INET6:
		return ntohs(a->u.sin6.sin6_port);
	}
	return 0;
}

void
dn_addr_set_port(dn_addr *a, uint16_t port)
{
	switch (dn_addr_family(a)) {
	case AF_INET:
		a->u.sin.sin_port = htons(port);
		break;
	case AF_INET6:
		a->u.sin6.sin6_port = htons(port);
		break;
	}
}

int
dn_addr_set_flowinfo(dn_addr *a, uint32_t label, dn_error *err)
{
	if (dn_addr_family(a) != AF_INET6)
		return dn__err(err, DN_EFAMILY, 0, "a flow label needs an IPv6 "
		    "address");
	if (label > 0xfffff)
		return dn__err(err, DN_ERANGE, 0, "flow label 0x%x is over 20 "
		    "bits: give 0 to 0xfffff", (unsigned)label);
	a->u.sin6.sin6_flowinfo = htonl(label);
	return 0;
}

uint32_t
dn_addr_flowinfo(const dn_addr *a)
{
	if (dn_addr_family(a) != AF_INET6)
		return 0;
	return ntohl(a->u.sin6.sin6_flowinfo);
}

uint32_t
dn_addr_scope(const dn_addr *a)
{
	if (dn_addr_family(a) != AF_INET6)
		return 0;
	return a->u.sin6.sin6_scope_id;
}

int
dn_addr_from_sockaddr(dn_addr *out, const struct sockaddr *sa, socklen_t len,
    dn_error *err)
{
	dn_addr a;
	size_t n;

	if (out == NULL || sa == NULL || len < (socklen_t)sizeof(sa_family_t))
		return dn__err(err, DN_EINVAL, 0, "no sockaddr given");
	switch (sa->sa_family) {
	case AF_INET:
		n = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		n = sizeof(struct sockaddr_in6);
		break;
	default:
		return dn__err(err, DN_EFAMILY, 0, "sockaddr family %d is "
		    "neither AF_INET nor AF_INET6", (int)sa->sa_family);
	}
	if ((size_t)len < n)
		return dn__err(err, DN_EINVAL, 0, "sockaddr of %u bytes is "
		    "shorter than its family's %zu", (unsigned)len, n);
	memset(&a, 0, sizeof(a));
	memcpy(&a.u.ss, sa, n);
	a.len = (socklen_t)n;
	*out = a;
	return 0;
}

/* The whole 4-tuple: address, port, flowinfo and scope. */
int
dn_addr_equal(const dn_addr *a, const dn_addr *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (dn_addr_family(a) != dn_addr_family(b))
		return 0;
	switch (dn_addr_family(a)) {
	case AF_INET:
		return a->u.sin.sin_addr.s_addr == b->u.sin.sin_addr.s_addr &&
		    a->u.sin.sin_port == b->u.sin.sin_port;
	case AF_INET6:
		return IN6_ARE_ADDR_EQUAL(&a->u.sin6.sin6_addr,
		    &b->u.sin6.sin6_addr) &&
		    a->u.sin6.sin6_port == b->u.sin6.sin6_port &&
		    a->u.sin6.sin6_flowinfo == b->u.sin6.sin6_flowinfo &&
		    a->u.sin6.sin6_scope_id == b->u.sin6.sin6_scope_id;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Classification                                                     */
/* ------------------------------------------------------------------ */

/* The IPv4 address inside a v4-mapped IPv6 one counts as IPv4 here, so
 * that a dual-stack listener's peer ::ffff:127.0.0.1 is loopback too. */
static int
v4_of(const dn_addr *a, uint32_t *v4)
{
	const struct in6_addr *a6;

	switch (dn_addr_family(a)) {
	case AF_INET:
		*v4 = ntohl(a->u.sin.sin_addr.s_addr);
		return 1;
	case AF_INET6:
		a6 = &a->u.sin6.sin6_addr;
		if (!IN6_IS_ADDR_V4MAPPED(a6))
			return 0;
		*v4 = (uint32_t)a6->s6_addr[12] << 24 |
		    (uint32_t)a6->s6_addr[13] << 16 |
		    (uint32_t)a6->s6_addr[14] << 8 | a6->s6_addr[15];
		return 1;
	}
	return 0;
}

int
dn_addr_is_loopback(const dn_addr *a)
{
	uint32_t v4;

	if (v4_of(a, &v4))
		return (v4 >> 24) == 127;
	return dn_addr_family(a) == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&a->u.sin6.sin6_addr);
}

int
dn_addr_is_unspecified(const dn_addr *a)
{
	switch (dn_addr_family(a)) {
	case AF_INET:
		return a->u.sin.sin_addr.s_addr == htonl(INADDR_ANY);
	case AF_INET6:
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.sin6.sin6_addr);
	}
	return 0;
}

int
dn_addr_is_linklocal(const dn_addr *a)
{
	uint32_t v4;

	if (v4_of(a, &v4))
		return (v4 >> 16) == 0xa9fe;	/* RFC 3927: 169.254/16 */
	return dn_addr_family(a) == AF_INET6 &&
	    IN6_IS_ADDR_LINKLOCAL(&a->u.sin6.sin6_addr);
}

int
dn_addr_is_multicast(const dn_addr *a)
{
	switch (dn_addr_family(a)) {
	case AF_INET:
		return IN_MULTICAST(ntohl(a->u.sin.sin_addr.s_addr));
	case AF_INET6:
		return IN6_IS_ADDR_MULTICAST(&a->u.sin6.sin6_addr);
	}
	return 0;
}

int
dn_addr_is_v4mapped(const dn_addr *a)
{
	return dn_addr_family(a) == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&a->u.sin6.sin6_addr);
}

int
dn_addr_mcast_scope(const dn_addr *a)
{
	if (dn_addr_family(a) != AF_INET6 ||
	    !IN6_IS_ADDR_MULTICAST(&a->u.sin6.sin6_addr))
		return -1;
	return a->u.sin6.sin6_addr.s6_addr[1] & 0x0f;
}

int
dn_addr_needs_scope(const dn_addr *a)
{
	return dn_addr_family(a) == AF_INET6 &&
	    v6_needs_scope(&a->u.sin6.sin6_addr);
}

static const char *
family_name(const dn_addr *a)
{
	return dn_addr_family(a) == AF_INET ? "IPv4" : "IPv6";
}

int
dn__err_bind_name(dn_error *err, const dn_addr *bind, const char *host,
    int family)
{
	char b[DN_ADDR_STRLEN];

	return dn__err(err, DN_EFAMILY, 0, "bind address %s is %s but %s "
	    "resolves to %s only: bind to an %s address",
	    dn_addr_format_host(bind, b, sizeof(b)),
	    dn__family_word(dn_addr_family(bind)), host,
	    dn__family_word(family), dn__family_word(family));
}

int
dn_addr_check_bind(const dn_addr *bind, const dn_addr *dest, dn_error *err)
{
	char bh[DN_ADDR_STRLEN], dh[DN_ADDR_STRLEN];
	int bf = dn_addr_family(bind), df = dn_addr_family(dest);

	if (bind == NULL || dest == NULL)
		return 0;
	if ((bf != AF_INET && bf != AF_INET6) ||
	    (df != AF_INET && df != AF_INET6))
		return dn__err(err, DN_EINVAL, 0, "%s address is not set",
		    bf != AF_INET && bf != AF_INET6 ? "bind" : "destination");
	dn_addr_format_host(bind, bh, sizeof(bh));
	dn_addr_format_host(dest, dh, sizeof(dh));
	if (bf != df)
		return dn__err(err, DN_EFAMILY, 0, "bind address %s is %s but "
		    "destination %s is %s: bind to an %s address", bh,
		    family_name(bind), dh, family_name(dest),
		    family_name(dest));
	/* RFC 4007 §6: one zone per link; the kernel would say only EINVAL */
	if (dn_addr_scope(bind) != 0 && dn_addr_scope(dest) != 0 &&
	    dn_addr_scope(bind) != dn_addr_scope(dest))
		return dn__err(err, DN_EBADSCOPE, 0, "bind address %s and "
		    "destination %s are on different interfaces: give both the "
		    "same scope", bh, dh);
	return 0;
}

int
dn_addr_check_v6only(const dn_addr *local, int v6only, dn_error *err)
{
	char h[DN_ADDR_STRLEN];

	if (local == NULL || v6only < 0)
		return 0;
	dn_addr_format_host(local, h, sizeof(h));
	/* IPV6_V6ONLY is an IPv6 socket's option (RFC 3493 §5.3) */
	if (dn_addr_family(local) != AF_INET6)
		return dn__err(err, DN_EINVAL, 0, v6only ? "%s is IPv4: only an "
		    "IPv6 socket can be v6only (listen on :: or an IPv6 "
		    "address)" : "%s is IPv4: only the IPv6 wildcard :: can be "
		    "dual-stack (listen on ::)", h);
	/* a v4-mapped bind carries IPv4 and needs the option off */
	if (v6only && dn_addr_is_v4mapped(local))
		return dn__err(err, DN_EINVAL, 0, "%s is v4-mapped, IPv4 on an "
		    "IPv6 socket: it cannot be v6only", h);
	/* one IPv6 address takes IPv6 only, whatever the option says */
	if (!v6only && !dn_addr_is_unspecified(local) &&
	    !dn_addr_is_v4mapped(local))
		return dn__err(err, DN_EINVAL, 0, "%s is one IPv6 address: only "
		    "the wildcard :: can be dual-stack (listen on ::)", h);
	return 0;
}

/*
 * The interface argument of listenTCP/listenUDP (plan points 2 and 3): an
 * address literal, IPv6 with its zone; NULL keeps the default 0.0.0.0,
 * and "::" asks for IPv6. A name is refused: the low level resolves
 * nothing it listens on.
 */
int
dn__listen_addr(dn_addr *out, const char *interface, uint16_t port,
    dn_error *err)
{
	dn_addr_hints hints;
	dn_addr a;
	dn_error e;

	memset(&hints, 0, sizeof(hints));
	hints.flags = DN_ADDR_PORT_NONE;
	hints.family = AF_UNSPEC;
	hints.what = "listen address";
	if (interface == NULL)
		interface = "0.0.0.0";
	if (dn_addr_parse(&a, interface, &hints, &e) == -1) {
		if (e.code == DN_ENOTLITERAL)
			return dn__err(err, DN_ENOTLITERAL, 0, "listen address "
			    "%s must be a literal, not a name", interface);
		dn__err_copy(err, &e);
		return -1;
	}
	dn_addr_set_port(&a, port);
	*out = a;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Prefixes                                                           */
/* ------------------------------------------------------------------ */

/* Clears the bits of b (len bytes) past bits; 1 if any was set. */
static int
mask_bits(unsigned char *b, size_t len, unsigned bits)
{
	size_t i;
	int set = 0;

	for (i = 0; i < len; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 :
		    bits > 8 * i ? bits - 8 * i : 0;
		unsigned char m = (unsigned char)(keep == 0 ? 0 :
		    0xff << (8 - keep));

		if (b[i] & ~m)
			set = 1;
		b[i] &= m;
	}
	return set;
}

int
dn_prefix_parse(dn_prefix *out, const char *text, dn_error *err)
{
	dn_addr_hints hints;
	char host[TEXT_MAX + 1], net[INET6_ADDRSTRLEN], zone[ZONE_MAX + 2];
	const char *slash, *lenp, *pct;
	unsigned char *b;
	unsigned long len, max;
	dn_prefix p;
	size_t n;

	if (check_text(text, "prefix", err) == -1)
		return -1;
	/* check_text() lets a long text that starts as a name go on, for
	 * the name check to judge; a prefix is never a name, and host
	 * holds what a literal needs */
	if ((n = strlen(text)) > TEXT_MAX)
		return dn__err(err, DN_ESYNTAX, 0, "prefix '%.40s...' is too "
		    "long (%zu characters)", text, n);
	memset(&p, 0, sizeof(p));
	zone[0] = '\0';
	if ((slash = strchr(text, '/')) == NULL) {
		strlcpy(host, text, sizeof(host));
		lenp = NULL;
	} else {
		n = (size_t)(slash - text);
		if (n == 0)
			return dn__err(err, DN_ESYNTAX, 0, "prefix '%s' has no "
			    "address before the '/': write e.g. 192.0.2.0/24",
			    text);
		memcpy(host, text, n);
		host[n] = '\0';
		lenp = slash + 1;
		/* "fe80::/64%eth0": the zone after the length */
		if ((pct = strchr(lenp, '%')) != NULL) {
			if (strchr(host, '%') != NULL)
				return dn__err(err, DN_ESYNTAX, 0, "prefix '%s' "
				    "gives the zone twice: write "
				    "fe80::/64%%IFACE", text);
			snprintf(zone, sizeof(zone), "%s", pct);
			if (strlcat(host, zone, sizeof(host)) >= sizeof(host))
				return dn__err(err, DN_ESYNTAX, 0, "prefix "
				    "'%.40s...' is too long", text);
		}
		n = pct != NULL ? (size_t)(pct - lenp) : strlen(lenp);
		if (n == 0 || n > 3 || strspn(lenp, "0123456789") != n)
			return dn__err(err, DN_ESYNTAX, 0, "prefix '%s': the "
			    "length after '/' must be a number of bits", text);
	}
	if (strchr(host, '/') != NULL)
		return dn__err(err, DN_ESYNTAX, 0, "prefix '%s' has two '/'",
		    text);
	memset(&hints, 0, sizeof(hints));
	hints.flags = DN_ADDR_PORT_NONE | DN_ADDR_SCOPE_OPTIONAL;
	hints.family = AF_UNSPEC;
	hints.what = "prefix";
	if (dn_addr_parse(&p.addr, host, &hints, err) == -1) {
		if (err != NULL && err->code == DN_ENOTLITERAL)
			return dn__err(err, DN_ESYNTAX, 0, "prefix '%s' is not "
			    "an address: write e.g. 192.0.2.0/24 or "
			    "2001:db8::/32", text);
		return -1;
	}
	if (dn_addr_flowinfo(&p.addr) != 0)
		return dn__err(err, DN_ESYNTAX, 0, "prefix '%s' carries a "
		    "flowinfo", text);
	max = dn_addr_family(&p.addr) == AF_INET6 ? 128 : 32;
	len = max;
	if (lenp != NULL && (len = strtoul(lenp, NULL, 10)) > max)
		return dn__err(err, DN_ERANGE, 0, "prefix '%s': /%lu is longer "
		    "than the %lu bits of an %s address", text, len, max,
		    max == 128 ? "IPv6" : "IPv4");
	/* RFC 4291 §2.5.5.2: ::ffff:0:0/96 holds the IPv4 addresses, which
	 * is how a dual-stack socket shows an IPv4 peer */
	if (max == 128 && len >= 96 && dn_addr_is_v4mapped(&p.addr)) {
		struct in_addr a4;

		memcpy(&a4, &p.addr.u.sin6.sin6_addr.s6_addr[12], 4);
		memset(&p.addr, 0, sizeof(p.addr));
		p.addr.u.sin.sin_family = AF_INET;
		p.addr.u.sin.sin_addr = a4;
		p.addr.len = sizeof(p.addr.u.sin);
		len -= 96;
		max = 32;
	}
	b = max == 32 ? (unsigned char *)&p.addr.u.sin.sin_addr :
	    p.addr.u.sin6.sin6_addr.s6_addr;
	if (mask_bits(b, max / 8, (unsigned)len))
		return dn__err(err, DN_EINVAL, 0, "prefix '%s' has bits set "
		    "past its /%lu: did you mean %s/%lu?", text, len,
		    inet_ntop(max == 32 ? AF_INET : AF_INET6, b, net,
		    sizeof(net)), len);
	p.len = (unsigned)len;
	*out = p;
	return 0;
}

int
dn_prefix_match(const dn_prefix *p, const dn_addr *a)
{
	unsigned char x[16];
	const unsigned char *pb;
	size_t n;
	uint32_t v4;

	if (dn_addr_family(&p->addr) == AF_INET) {
		if (!v4_of(a, &v4))
			return 0;
		v4 = htonl(v4);
		memcpy(x, &v4, 4);
		pb = (const unsigned char *)&p->addr.u.sin.sin_addr;
		n = 4;
	} else {
		if (dn_addr_family(a) != AF_INET6 || dn_addr_is_v4mapped(a))
			return 0;
		if (dn_addr_scope(&p->addr) != 0 &&
		    dn_addr_scope(&p->addr) != dn_addr_scope(a))
			return 0;
		memcpy(x, a->u.sin6.sin6_addr.s6_addr, 16);
		pb = p->addr.u.sin6.sin6_addr.s6_addr;
		n = 16;
	}
	(void)mask_bits(x, n, p->len);
	return memcmp(x, pb, n) == 0;
}

const char *
dn_prefix_format(const dn_prefix *p, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN], sc[IF_NAMESIZE + 12];

	if (buf == NULL || len == 0)
		return buf;
	if (dn_addr_family(&p->addr) == AF_INET)
		inet_ntop(AF_INET, &p->addr.u.sin.sin_addr, h, sizeof(h));
	else
		inet_ntop(AF_INET6, &p->addr.u.sin6.sin6_addr, h, sizeof(h));
	dn_addr_format_scope(&p->addr, sc, sizeof(sc));
	snprintf(buf, len, "%s/%u%s%s", h, p->len, sc[0] ? "%" : "", sc);
	return buf;
}
