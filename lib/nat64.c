/* nat64.c - IPv6-only networks: RFC 6052 synthesis and extraction of
 * IPv4-embedded IPv6 addresses, and RFC 7050 discovery of the NAT64
 * prefix, at most once per reactor. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* RFC 7050 §2.2: the well-known name and the two addresses it has. */
#define WKN		"ipv4only.arpa"
#define WKA_PRIMARY	0xc00000aau	/* 192.0.0.170 */
#define WKA_SECONDARY	0xc00000abu	/* 192.0.0.171 */

/* RFC 6052 §2.2. */
static const unsigned lens[] = { 96, 64, 56, 48, 40, 32 };

static int
len_ok(unsigned len)
{
	size_t i;

	for (i = 0; i < DN__ARRLEN(lens); i++)
		if (lens[i] == len)
			return 1;
	return 0;
}

/* Where the four IPv4 octets go: from the end of the prefix on, around
 * octet 8 (bits 64-71, the "u" octet, reserved and zero). */
static void
v4_octets(unsigned len, int pos[4])
{
	int b = (int)len / 8, i;

	for (i = 0; i < 4; i++, b++) {
		if (b == 8)
			b++;
		pos[i] = b;
	}
}

static int
is_wkp(const dn_prefix *p)
{
	static const unsigned char wkp[12] = { 0x00, 0x64, 0xff, 0x9b };

	return p->len == 96 &&
	    memcmp(p->addr.u.sin6.sin6_addr.s6_addr, wkp, 12) == 0;
}

/*
 * RFC 6052 §3.1: the Well-Known Prefix may not stand for a non-global
 * IPv4 address, those of RFC 1918 and RFC 5735 §3 (with the shared space
 * of RFC 6598); a translator drops such packets.
 */
static int
v4_global(uint32_t a)
{
	static const struct {
		uint32_t net;
		unsigned len;
	} local[] = {
		{ 0x00000000u, 8 }, { 0x0a000000u, 8 }, { 0x64400000u, 10 },
		{ 0x7f000000u, 8 }, { 0xa9fe0000u, 16 }, { 0xac100000u, 12 },
		{ 0xc0000000u, 24 }, { 0xc0000200u, 24 }, { 0xc0a80000u, 16 },
		{ 0xc6120000u, 15 }, { 0xc6336400u, 24 }, { 0xcb007100u, 24 },
		{ 0xe0000000u, 4 }, { 0xf0000000u, 4 },
	};
	size_t i;

	for (i = 0; i < DN__ARRLEN(local); i++)
		if ((a & (0xffffffffu << (32 - local[i].len))) == local[i].net)
			return 0;
	return 1;
}

int
dn_nat64_prefix_check(const dn_prefix *p, dn_error *err)
{
	char text[DN_PREFIX_STRLEN];

	if (p == NULL)
		return dn__err(err, DN_EINVAL, 0, "no NAT64 prefix given");
	dn_prefix_format(p, text, sizeof(text));
	if (dn_addr_family(&p->addr) != AF_INET6)
		return dn__err(err, DN_EFAMILY, 0, "NAT64 prefix %s is IPv4: "
		    "give the IPv6 prefix the translator uses, e.g. "
		    "64:ff9b::/96", text);
	if (!len_ok(p->len))
		return dn__err(err, DN_ERANGE, 0, "NAT64 prefix %s: the length "
		    "must be 32, 40, 48, 56, 64 or 96 (RFC 6052 §2.2)", text);
	if (p->len == 96 && p->addr.u.sin6.sin6_addr.s6_addr[8] != 0)
		return dn__err(err, DN_EINVAL, 0, "NAT64 prefix %s sets bits 64 "
		    "to 71, which RFC 6052 §2.2 reserves: they must be zero",
		    text);
	if (dn_addr_scope(&p->addr) != 0 || dn_addr_is_linklocal(&p->addr) ||
	    dn_addr_is_multicast(&p->addr) || dn_addr_is_loopback(&p->addr))
		return dn__err(err, DN_EINVAL, 0, "NAT64 prefix %s is not a "
		    "unicast prefix a translator can route", text);
	return 0;
}

int
dn_nat64_prefix_parse(dn_prefix *out, const char *text, dn_error *err)
{
	dn_prefix p;

	if (dn_prefix_parse(&p, text, err) == -1 ||
	    dn_nat64_prefix_check(&p, err) == -1)
		return -1;
	*out = p;
	return 0;
}

int
dn_nat64_synthesize(dn_addr *out, const dn_prefix *p, const dn_addr *v4,
    dn_error *err)
{
	char text[DN_ADDR_STRLEN];
	unsigned char *b;
	uint32_t a;
	int pos[4], i;
	dn_addr s;

	if (dn_nat64_prefix_check(p, err) == -1)
		return -1;
	if (v4 == NULL || dn_addr_family(v4) != AF_INET)
		return dn__err(err, DN_EFAMILY, 0, "only an IPv4 address can "
		    "be reached through NAT64");
	a = ntohl(v4->u.sin.sin_addr.s_addr);
	/* no translator forwards to these: they never leave this host's
	 * link (RFC 6890), or are not unicast */
	if (dn_addr_is_loopback(v4) || dn_addr_is_linklocal(v4) ||
	    dn_addr_is_unspecified(v4) || a >= 0xe0000000u)
		return dn__err(err, DN_EINVAL, 0, "%s cannot be reached through "
		    "NAT64: it is not a unicast address beyond this link",
		    dn_addr_format_host(v4, text, sizeof(text)));
	if (is_wkp(p) && !v4_global(a))
		return dn__err(err, DN_EINVAL, 0, "64:ff9b::/96 cannot stand "
		    "for %s, which is not a global address (RFC 6052 §3.1): "
		    "give the network's own prefix", dn_addr_format_host(v4,
		    text, sizeof(text)));
	memset(&s, 0, sizeof(s));
	s.u.sin6.sin6_family = AF_INET6;
	s.u.sin6.sin6_port = v4->u.sin.sin_port;
	b = s.u.sin6.sin6_addr.s6_addr;
	memcpy(b, p->addr.u.sin6.sin6_addr.s6_addr, p->len / 8);
	v4_octets(p->len, pos);
	for (i = 0; i < 4; i++)
		b[pos[i]] = (unsigned char)(a >> (24 - 8 * i));
	s.len = sizeof(s.u.sin6);
	*out = s;
	return 0;
}

/* The IPv4 address v6 embeds at length len, if the prefix matches and
 * the u octet and the suffix are zero (RFC 6052 §2.2). */
static int
extract_at(const unsigned char *b, const unsigned char *pfx, unsigned len,
    uint32_t *a)
{
	int pos[4], i, j;

	if (pfx != NULL && memcmp(b, pfx, len / 8) != 0)
		return -1;
	if (b[8] != 0)
		return -1;
	v4_octets(len, pos);
	for (j = pos[3] + 1; j < 16; j++)
		if (b[j] != 0)
			return -1;
	for (*a = 0, i = 0; i < 4; i++)
		*a = *a << 8 | b[pos[i]];
	return 0;
}

int
dn_nat64_extract(dn_addr *v4, const dn_prefix *p, const dn_addr *v6)
{
	uint32_t a;

	if (p == NULL || v6 == NULL || dn_addr_family(v6) != AF_INET6 ||
	    dn_nat64_prefix_check(p, NULL) == -1 ||
	    extract_at(v6->u.sin6.sin6_addr.s6_addr,
	    p->addr.u.sin6.sin6_addr.s6_addr, p->len, &a) == -1)
		return -1;
	if (v4 != NULL) {
		memset(v4, 0, sizeof(*v4));
		v4->u.sin.sin_family = AF_INET;
		v4->u.sin.sin_port = v6->u.sin6.sin6_port;
		v4->u.sin.sin_addr.s_addr = htonl(a);
		v4->len = sizeof(v4->u.sin);
	}
	return 0;
}

static void
prefix_of(dn_prefix *p, const unsigned char *b, unsigned len)
{
	memset(p, 0, sizeof(*p));
	p->addr.u.sin6.sin6_family = AF_INET6;
	memcpy(p->addr.u.sin6.sin6_addr.s6_addr, b, len / 8);
	p->addr.len = sizeof(p->addr.u.sin6);
	p->len = len;
}

static int
has_prefix(const dn_prefix *ps, size_t n, const dn_prefix *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ps[i].len == p->len && memcmp(&ps[i].addr.u.sin6.sin6_addr,
		    &p->addr.u.sin6.sin6_addr, 16) == 0)
			return 1;
	return 0;
}

/*
 * RFC 7050 §3: every AAAA answer for ipv4only.arpa is searched for the
 * well-known addresses at each RFC 6052 position. §3 asks to settle an
 * answer that fits more than one position with the secondary address;
 * with the u octet and the suffix held to zero no answer can: the first
 * octet of one reading (192) would have to be a zero of another.
 */
size_t
dn__nat64_prefixes_from(const dn_addr *aaaa, size_t n, dn_prefix *out,
    size_t max)
{
	const unsigned char *b;
	size_t i, j, nout = 0;
	dn_prefix p;
	uint32_t a;

	for (i = 0; i < n; i++) {
		if (dn_addr_family(&aaaa[i]) != AF_INET6)
			continue;
		b = aaaa[i].u.sin6.sin6_addr.s6_addr;
		for (j = 0; j < DN__ARRLEN(lens) && nout < max; j++) {
			if (extract_at(b, NULL, lens[j], &a) == -1 ||
			    (a != WKA_PRIMARY && a != WKA_SECONDARY))
				continue;
			prefix_of(&p, b, lens[j]);
			if (!has_prefix(out, nout, &p))
				out[nout++] = p;
		}
	}
	return nout;
}

int
dn__nat64_opts_check(const dn_nat64_opts *n, dn_error *err)
{
	size_t i;

	if ((unsigned)n->mode > DN_NAT64_ALWAYS)
		return dn__err(err, DN_EINVAL, 0, "unknown NAT64 mode %d: use "
		    "auto, off or always", (int)n->mode);
	if (n->nprefixes > DN_NAT64_MAX_PREFIXES ||
	    (n->nprefixes > 0 && n->prefixes == NULL))
		return dn__err(err, DN_ERANGE, 0, "%zu NAT64 prefixes: give 1 "
		    "to %d, or none to discover them", n->nprefixes,
		    DN_NAT64_MAX_PREFIXES);
	for (i = 0; i < n->nprefixes; i++)
		if (dn_nat64_prefix_check(&n->prefixes[i], err) == -1)
			return -1;
	return 0;
}

void
dn__nat64_trace(dn_trace_cb cb, void *arg, dn_trace_kind kind,
    const char *host, const dn__nat64_news *n)
{
	dn_trace_event ev;

	if (cb == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.host = kind == DN_TRACE_NAT64_SYNTHESIZED ? host : WKN;
	ev.family = AF_INET6;
	if (n != NULL) {
		ev.addr = n->v6;
		ev.via4 = n->v4;
		ev.prefixes = n->prefixes;
		ev.nprefixes = n->nprefixes;
		ev.why = n->why;
		ev.err = n->err;
	}
	cb(&ev, arg);
}

int
dn_nat64_mode_parse(const char *s, dn_nat64_mode *out, dn_error *err)
{
	static const char *const names[] = { "auto", "off", "always" };
	size_t i;

	for (i = 0; s != NULL && i < DN__ARRLEN(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (dn_nat64_mode)i;
			return 0;
		}
	return dn__err(err, DN_EINVAL, 0, "NAT64 mode '%s' is unknown: use "
	    "auto, off or always", s != NULL ? s : "");
}

/* ------------------------------------------------------------------ */
/* Discovery, once per reactor                                        */
/* ------------------------------------------------------------------ */

enum { IDLE, RUNNING, DONE };

struct dn_nat64_req {
	struct cache *c;
	dn_nat64_cb cb;
	void *arg;
	dn__defer d;
	struct dn_nat64_req *next;	/* waiting for the answer */
	int cancelled;
};

struct cache {
	dn_reactor *r;
	int state;
	dn_resolve_req *q;
	dn_resolver_kind resolver;
	int dropping;		/* we cancelled q: nobody waited */
	dn_prefix pfx[DN_NAT64_MAX_PREFIXES];
	size_t n;
	dn_error err;		/* DONE with n == 0: why not */
	dn_nat64_req *waiting;
};

static void
cache_destroy(void *state)
{
	free(state);
}

static void
deliver(void *arg)
{
	dn_nat64_req *q = arg;
	struct cache *c = q->c;
	dn_error e;

	if (q->cancelled) {
		dn__err(&e, DN_ECANCELED, 0, "NAT64 discovery was cancelled");
		q->cb(q, NULL, 0, &e, q->arg);
	} else
		q->cb(q, c->pfx, c->n, c->n > 0 ? NULL : &c->err, q->arg);
	free(q);
}

static void
unwait(dn_nat64_req *q)
{
	dn_nat64_req **pp;

	for (pp = &q->c->waiting; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
}

static void answered(dn_resolve_req *, int, const dn_addr *, size_t,
    const dn_error *, void *);

/* A name and no port: the answer's addresses are all we use. */
static int
ask(struct cache *c, dn_error *err)
{
	c->dropping = 0;
	c->q = c->resolver == DN_RESOLVER_SYSTEM ?
	    dn_resolve_system(c->r, WKN, 0, AF_INET6, answered, c, err) :
	    dn_resolve(c->r, WKN, 0, AF_INET6, answered, c, err);
	if (c->q == NULL)
		return -1;
	c->state = RUNNING;
	return 0;
}

static void
answered(dn_resolve_req *rq, int family, const dn_addr *addrs, size_t n,
    const dn_error *err, void *arg)
{
	struct cache *c = arg;
	dn_nat64_req *q;
	dn_error e;

	(void)rq;
	(void)family;
	c->q = NULL;
	/* dropped by us, and someone came to wait since: ask again */
	if (err != NULL && err->code == DN_ECANCELED && c->dropping &&
	    c->waiting != NULL && ask(c, &e) == 0)
		return;
	if (err != NULL && err->code == DN_ECANCELED)
		c->state = IDLE;	/* the reactor is going: ask again later */
	else {
		c->state = DONE;
		c->n = err != NULL ? 0 :
		    dn__nat64_prefixes_from(addrs, n, c->pfx, DN__ARRLEN(c->pfx));
		if (err != NULL)
			dn__err(&c->err, err->code, 0, "no NAT64 prefix: %s "
			    "(RFC 7050)", err->msg);
		else if (c->n == 0)
			dn__err(&c->err, DN_ENODATA, 0, "no NAT64 prefix: the "
			    "IPv6 addresses of " WKN " embed neither "
			    "192.0.0.170 nor 192.0.0.171 (RFC 7050 §3)");
	}
	while ((q = c->waiting) != NULL) {
		c->waiting = q->next;
		q->cancelled |= c->state == IDLE;
		dn__defer_queue(c->r, &q->d);
	}
}

dn_nat64_req *
dn_nat64_discover(dn_reactor *r, dn_resolver_kind resolver, dn_nat64_cb cb,
    void *arg, dn_error *err)
{
	struct cache *c;
	dn_nat64_req *q;

	if (r == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "NAT64 discovery needs a reactor "
		    "and a callback");
		return NULL;
	}
	if ((c = dn__reactor_state(r, DN__STATE_NAT64)) == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			dn__err(err, DN_ENOMEM, 0, "out of memory");
			return NULL;
		}
		c->r = r;
		dn__reactor_set_state(r, DN__STATE_NAT64, c, cache_destroy);
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		dn__err(err, DN_ENOMEM, 0, "out of memory");
		return NULL;
	}
	q->c = c;
	q->cb = cb;
	q->arg = arg;
	dn__defer_init(&q->d, deliver, q);
	if (c->state == DONE) {
		dn__defer_queue(r, &q->d);
		return q;
	}
	if (c->state == IDLE) {
		c->resolver = resolver;
		if (ask(c, err) == -1) {
			free(q);
			return NULL;
		}
	}
	q->next = c->waiting;
	c->waiting = q;
	return q;
}

void
dn_nat64_cancel(dn_nat64_req *q)
{
	struct cache *c;

	if (q == NULL || q->cancelled)
		return;
	c = q->c;
	q->cancelled = 1;
	if (dn__defer_queued(&q->d))
		return;		/* the answer is on its way: say cancelled */
	unwait(q);
	dn__defer_queue(c->r, &q->d);
	/* nobody else waits: the query would only keep the reactor up */
	if (c->waiting == NULL && c->q != NULL && !c->dropping) {
		c->dropping = 1;
		dn_resolve_cancel(c->q);
	}
}
