/*
 * allport.c - the all-local-interfaces port (plan point 7): one socket per
 * address of every interface that is up, all on one port number, which
 * follows the host's addresses through rtnetlink; for TCP as a dn_listener
 * and for UDP as a dn_udp_all.
 *
 * The part that decides is the same for both: the address table (netif.c)
 * gives the candidates, filtered and sorted by address; the sockets held
 * are kept in the same order, so bringing them in line with the table is
 * one merge. Opening and closing one socket is all a transport supplies
 * (struct ops), which also lets the unit tests drive the port choice with
 * sockets of their own.
 */
#include "config.h"

#include <sys/socket.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Port 0: how many picks before giving up. Each retry starts from the
 * address where the last pick was taken, so the kernel picks a port free
 * there; it takes a host where every port is taken somewhere to use them.
 */
#define PICK_TRIES	16

struct asock {
	dn_addr addr;		/* with the port */
	void *sock;		/* the transport's; NULL: binding failed, not
				 * tried again until the address comes back */
};

/* One address of the table as a socket address, with why it cannot have
 * a socket now (NULL when it can). */
struct cand {
	dn_addr addr;
	const char *why;
};

/* A change made while bringing the sockets in line, told afterwards. */
struct change {
	dn_listen_event_kind kind;
	dn_addr addr;
	const char *reason;
	dn_error err;
};

struct dn__allport {
	dn_reactor *r;
	const struct dn__allport_ops *ops;
	void *ctx;
	int family;
	unsigned scopes;
	int follow, skip;
	char **incl, **excl;
	size_t nincl, nexcl;
	dn_listen_event_cb ev;
	void *ev_arg;
	uint16_t port;
	dn__iftab tab;
	dn__netmon *mon;
	struct asock *socks;	/* sorted by address */
	size_t nsocks;
	int in_cb;
	int closed;
};

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

void
dn_all_opts_init(dn_all_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->follow = 1;
}

int
dn_all_scopes_parse(const char *s, unsigned *out, dn_error *err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} words[] = {
		{ "loopback", DN_ALL_LOOPBACK },
		{ "link", DN_ALL_LINKLOCAL },
		{ "link-local", DN_ALL_LINKLOCAL },
		{ "global", DN_ALL_GLOBAL },
	};
	unsigned mask = 0;
	const char *p = s, *end;
	size_t i, n;

	if (s == NULL || *s == '\0')
		return dn__err(err, DN_ESYNTAX, 0, "empty scope list: give "
		    "loopback, link or global, comma-separated");
	for (;;) {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < DN__ARRLEN(words); i++)
			if (strlen(words[i].name) == n &&
			    strncmp(words[i].name, p, n) == 0)
				break;
		if (i == DN__ARRLEN(words))
			return dn__err(err, DN_ESYNTAX, 0, "scope '%.*s' in "
			    "'%s' is not loopback, link or global", (int)n, p,
			    s);
		mask |= words[i].bit;
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = mask;
	return 0;
}

static void
list_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* "eth0,eth1" into its names; each must be a possible interface name. */
static int
list_split(const char *s, const char *what, char ***out, size_t *nout,
    dn_error *err)
{
	char **v = NULL;
	const char *p = s, *end;
	size_t n = 0, len, i;

	*out = NULL;
	*nout = 0;
	if (s == NULL)
		return 0;
	for (i = 0, len = 1; s[i] != '\0'; i++)
		if (s[i] == ',')
			len++;
	if ((v = calloc(len, sizeof(*v))) == NULL)
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= IF_NAMESIZE) {
			list_free(v, n);
			return dn__err(err, DN_ESYNTAX, 0, "%s list '%s' has %s "
			    "name: give interface names separated by commas",
			    what, s, len == 0 ? "an empty" : "a too long");
		}
		if ((v[n] = strndup(p, len)) == NULL) {
			list_free(v, n);
			return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		}
		n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* A list entry names link l: by its name, or by its decimal index. */
static int
names_link(const char *entry, const dn__iflink *l)
{
	char idx[16];

	if (strcmp(entry, l->name) == 0)
		return 1;
	snprintf(idx, sizeof(idx), "%u", l->index);
	return strcmp(entry, idx) == 0;
}

static int
in_list(char **v, size_t n, const dn__iflink *l)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names_link(v[i], l))
			return 1;
	return 0;
}

/* Every interface a list names exists: a typo fails at once. */
static int
lists_check(const dn__allport *ap, dn_error *err)
{
	char **v[2] = { ap->incl, ap->excl }, list[200];
	size_t n[2] = { ap->nincl, ap->nexcl }, k, i, j;

	for (k = 0; k < 2; k++)
		for (i = 0; i < n[k]; i++) {
			for (j = 0; j < ap->tab.nlinks; j++)
				if (names_link(v[k][i], &ap->tab.links[j]))
					break;
			if (j == ap->tab.nlinks)
				return dn__err(err, DN_EINVAL, 0, "no interface "
				    "named '%s' to %s: use one of %s",
				    v[k][i], k == 0 ? "listen on" : "leave out",
				    dn__iface_list(list, sizeof(list)));
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Candidates                                                         */
/* ------------------------------------------------------------------ */

/* Family, address, scope: the order of the sockets (the port aside). */
static int
addr_cmp(const dn_addr *a, const dn_addr *b)
{
	int fa = dn_addr_family(a), fb = dn_addr_family(b), c;

	if (fa != fb)
		return fa == AF_INET ? -1 : 1;
	if (fa == AF_INET)
		return memcmp(&a->u.sin.sin_addr, &b->u.sin.sin_addr, 4);
	if ((c = memcmp(&a->u.sin6.sin6_addr, &b->u.sin6.sin6_addr, 16)) != 0)
		return c;
	if (a->u.sin6.sin6_scope_id != b->u.sin6.sin6_scope_id)
		return a->u.sin6.sin6_scope_id < b->u.sin6.sin6_scope_id ?
		    -1 : 1;
	return 0;
}

static int
cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int c = addr_cmp(&a->addr, &b->addr);

	/* within one address, an entry that can have a socket first */
	if (c == 0)
		c = (a->why != NULL) - (b->why != NULL);
	return c;
}

static void
ifaddr_to_addr(const dn__ifaddr *ia, dn_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ia->family == AF_INET) {
		a->u.sin.sin_family = AF_INET;
		memcpy(&a->u.sin.sin_addr, ia->bytes, 4);
		a->len = sizeof(a->u.sin);
		return;
	}
	a->u.sin6.sin6_family = AF_INET6;
	memcpy(&a->u.sin6.sin6_addr, ia->bytes, 16);
	a->len = sizeof(a->u.sin6);
	/* RFC 4007: a link-local address is one per link, and only its zone
	 * tells fe80::1%a from fe80::1%b */
	if (dn_addr_needs_scope(a))
		a->u.sin6.sin6_scope_id = ia->index;
}

static unsigned
scope_class(const dn_addr *a)
{
	if (dn_addr_is_loopback(a))
		return DN_ALL_LOOPBACK;
	if (dn_addr_is_linklocal(a))
		return DN_ALL_LINKLOCAL;
	return DN_ALL_GLOBAL;
}

/*
 * The table's addresses that pass the filters, sorted, each address once:
 * a global address on two interfaces is one socket, which stays while
 * either can have it. why says what keeps an address without a socket.
 */
static int
candidates(const dn__allport *ap, struct cand **out, size_t *nout)
{
	const unsigned scopes = ap->scopes != 0 ? ap->scopes :
	    DN_ALL_LOOPBACK | DN_ALL_LINKLOCAL | DN_ALL_GLOBAL;
	const dn__iftab *t = &ap->tab;
	const dn__iflink *l;
	struct cand *c;
	size_t i, n = 0, k;

	*out = NULL;
	*nout = 0;
	if (t->naddrs == 0)
		return 0;
	if ((c = calloc(t->naddrs, sizeof(*c))) == NULL)
		return -1;
	for (i = 0; i < t->naddrs; i++) {
		const dn__ifaddr *ia = &t->addrs[i];

		if (ap->family != AF_UNSPEC && ia->family != ap->family)
			continue;
		ifaddr_to_addr(ia, &c[n].addr);
		if (dn_addr_is_multicast(&c[n].addr) ||
		    dn_addr_is_unspecified(&c[n].addr) ||
		    (scope_class(&c[n].addr) & scopes) == 0)
			continue;
		l = dn__iftab_link_find(t, ia->index);
		if (ap->nincl > 0 && (l == NULL ||
		    !in_list(ap->incl, ap->nincl, l)))
			continue;
		if (l != NULL && in_list(ap->excl, ap->nexcl, l))
			continue;
		c[n].why = NULL;
		if (l == NULL || !(l->flags & IFF_UP))
			c[n].why = "link down";
		else if (ia->flags & IFA_F_DADFAILED)
			c[n].why = "duplicate address";
		/* RFC 4862 §5.4: a tentative address receives nothing
		 * (bind says EADDRNOTAVAIL); an optimistic one does
		 * (RFC 4429) */
		else if ((ia->flags & IFA_F_TENTATIVE) &&
		    !(ia->flags & IFA_F_OPTIMISTIC))
			c[n].why = "address tentative";
		n++;
	}
	qsort(c, n, sizeof(*c), cand_cmp);
	/* one entry per address: the best, which sorted first */
	for (i = k = 0; i < n; i++)
		if (k == 0 || addr_cmp(&c[k - 1].addr, &c[i].addr) != 0)
			c[k++] = c[i];
	*out = c;
	*nout = k;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Events                                                             */
/* ------------------------------------------------------------------ */

/* attempt: a DN_LISTEN_PORT_RETRY's pick (of PICK_TRIES) and port. */
static void
tell_pick(dn__allport *ap, dn_listen_event_kind kind, const dn_addr *a,
    const char *reason, const dn_error *err, uint16_t port, unsigned attempt)
{
	dn_listen_event ev;

	if (ap->ev == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.addr = a;
	ev.reason = reason;
	ev.err = err;
	ev.port = port;
	ev.attempt = attempt;
	ev.attempts = attempt != 0 ? PICK_TRIES : 0;
	ap->ev(&ev, ap->ev_arg);
}

static void
tell(dn__allport *ap, dn_listen_event_kind kind, const dn_addr *a,
    const char *reason, const dn_error *err)
{
	tell_pick(ap, kind, a, reason, err, 0, 0);
}

/* ------------------------------------------------------------------ */
/* The first bind: one port for every address                         */
/* ------------------------------------------------------------------ */

static void
close_all(dn__allport *ap, struct asock *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].sock != NULL)
			ap->ops->close(ap->ctx, s[i].sock);
}

enum { ROUND_DONE, ROUND_RETRY, ROUND_FAILED };

/*
 * One pick: s[order[0..nw)] bound on ap->port, or with port 0 on the port
 * the first one bound got. RETRY: that port was taken on s[*first], and
 * every socket is released; FAILED: err says why; e is the last failure.
 */
static int
bind_round(dn__allport *ap, struct asock *s, const size_t *order, size_t nw,
    unsigned attempt, uint16_t *port, size_t *nbound, size_t *first,
    dn_error *e, dn_error *err)
{
	struct asock *x;
	size_t k, i;
	dn_addr a;

	*port = ap->port;
	*nbound = 0;
	for (k = 0; k < nw; k++) {
		x = &s[order[k]];
		a = x->addr;
		dn_addr_set_port(&a, *port);
		x->addr = a;
		if ((x->sock = ap->ops->open(ap->ctx, &a, &x->addr,
		    e)) != NULL) {
			*port = dn_addr_port(&x->addr);
			(*nbound)++;
			continue;
		}
		if (ap->port == 0 && e->os_errno == EADDRINUSE &&
		    *nbound > 0 && attempt < PICK_TRIES) {
			/* a port picked on one address is taken on
			 * another: say so, and pick again */
			tell_pick(ap, DN_LISTEN_PORT_RETRY, &a, NULL, e, *port,
			    attempt);
			close_all(ap, s, nw);
			for (i = 0; i < nw; i++)
				s[i].sock = NULL;
			*first = order[k];
			return ROUND_RETRY;
		}
		if (ap->skip) {
			tell(ap, DN_LISTEN_FAILED, &a, NULL, e);
			continue;
		}
		if (ap->port == 0 && e->os_errno == EADDRINUSE)
			dn__err(err, DN_ELOCAL, EADDRINUSE, "no port is free "
			    "on every address: after %d picks, %s; free it or "
			    "leave the address out", PICK_TRIES, e->msg);
		else
			dn__err_copy(err, e);
		return ROUND_FAILED;
	}
	return ROUND_DONE;
}

/*
 * Binds every candidate that can have a socket. Port 0: the first address
 * bound picks the port and the others take the same; where it is taken,
 * every socket is released and the next pick starts from that address.
 */
static int
bind_all(dn__allport *ap, const struct cand *c, size_t nc, dn_error *err)
{
	struct asock *s = NULL;
	size_t *order = NULL, i, k, nw = 0, nbound = 0, first = 0;
	unsigned attempt;
	uint16_t port = ap->port;
	int rv = -1, round = ROUND_RETRY;
	dn_error e;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < nc; i++)
		if (c[i].why == NULL)
			nw++;
	if ((s = calloc(nw + 1, sizeof(*s))) == NULL ||
	    (order = calloc(nw + 1, sizeof(*order))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		goto done;
	}
	for (i = k = 0; i < nc; i++)
		if (c[i].why == NULL)
			s[k++].addr = c[i].addr;
	for (attempt = 1; attempt <= PICK_TRIES && round == ROUND_RETRY;
	    attempt++) {
		/* the address that refused the last pick goes first */
		order[0] = first;
		for (i = 0, k = 1; i < nw; i++)
			if (i != first)
				order[k++] = i;
		round = bind_round(ap, s, order, nw, attempt, &port, &nbound,
		    &first, &e, err);
	}
	if (round == ROUND_FAILED)
		goto done;
	if (nbound == 0) {
		dn__err(err, DN_ELOCAL, e.os_errno, "no address could be "
		    "bound: the last said: %s", e.msg);
		goto done;
	}
	/* the table's order: a retry bound them starting elsewhere */
	ap->socks = s;
	ap->nsocks = nw;
	ap->port = port;
	s = NULL;
	rv = 0;
done:
	if (s != NULL) {
		close_all(ap, s, nw);
		free(s);
	}
	free(order);
	return rv;
}

/* ------------------------------------------------------------------ */
/* Following                                                          */
/* ------------------------------------------------------------------ */

static void
add_change(struct change *ch, size_t *n, dn_listen_event_kind kind,
    const dn_addr *a, const char *reason, const dn_error *e)
{
	struct change *x = &ch[(*n)++];

	x->kind = kind;
	x->addr = *a;
	x->reason = reason;
	if (e != NULL)
		x->err = *e;
}

/*
 * Brings the sockets in line with the table: one merge of two sorted
 * lists. Sockets are opened and closed first and the caller told after,
 * when dn_listener_addrs() already says what the events say.
 */
static int
reconcile(dn__allport *ap, struct change **chp, size_t *nchp)
{
	struct cand *c = NULL;
	struct asock *ns = NULL;
	struct change *ch = NULL;
	size_t nc = 0, i = 0, j = 0, n = 0, nch = 0;
	int cmp, rv = -1;
	dn_addr a;
	dn_error e;

	if (candidates(ap, &c, &nc) == -1 ||
	    (ns = calloc(nc + ap->nsocks + 1, sizeof(*ns))) == NULL ||
	    (ch = calloc(nc + ap->nsocks + 1, sizeof(*ch))) == NULL)
		goto done;
	while (i < nc || j < ap->nsocks) {
		if (i == nc)
			cmp = 1;
		else if (j == ap->nsocks)
			cmp = -1;
		else
			cmp = addr_cmp(&c[i].addr, &ap->socks[j].addr);
		if (cmp > 0 || (cmp == 0 && c[i].why != NULL)) {
			/* the address went, or cannot have a socket now */
			struct asock *x = &ap->socks[j];

			if (x->sock != NULL) {
				ap->ops->close(ap->ctx, x->sock);
				add_change(ch, &nch, DN_LISTEN_STOPPED,
				    &x->addr, cmp > 0 ? "address removed" :
				    c[i].why, NULL);
			}
			j++;
			if (cmp == 0)
				i++;
		} else if (cmp == 0) {
			ns[n++] = ap->socks[j++];
			i++;
		} else {
			if (c[i].why == NULL) {
				a = c[i].addr;
				dn_addr_set_port(&a, ap->port);
				ns[n].addr = a;
				ns[n].sock = ap->ops->open(ap->ctx, &a,
				    &ns[n].addr, &e);
				if (ns[n].sock != NULL)
					add_change(ch, &nch, DN_LISTEN_STARTED,
					    &ns[n].addr, NULL, NULL);
				else
					add_change(ch, &nch, DN_LISTEN_FAILED,
					    &a, NULL, &e);
				n++;
			}
			i++;
		}
	}
	free(ap->socks);
	ap->socks = ns;
	ap->nsocks = n;
	ns = NULL;
	*chp = ch;
	*nchp = nch;
	ch = NULL;
	rv = 0;
done:
	free(c);
	free(ns);
	free(ch);
	return rv;
}

static void
allport_release(dn__allport *ap)
{
	dn__netmon_free(ap->mon);
	dn__iftab_free(&ap->tab);
	list_free(ap->incl, ap->nincl);
	list_free(ap->excl, ap->nexcl);
	free(ap->socks);
	free(ap);
}

/* netif.c's monitor: the table changed, or was read anew. */
static void
allport_changed(void *arg, int rescanned)
{
	dn__allport *ap = arg;
	struct change *ch = NULL;
	size_t nch = 0, i;

	ap->in_cb++;
	if (rescanned)
		tell(ap, DN_LISTEN_RESCAN, NULL, NULL, NULL);
	/* out of memory: the next change tries again */
	if (!ap->closed && reconcile(ap, &ch, &nch) == 0)
		for (i = 0; i < nch && !ap->closed; i++)
			tell(ap, ch[i].kind, &ch[i].addr, ch[i].reason,
			    ch[i].kind == DN_LISTEN_FAILED ? &ch[i].err : NULL);
	free(ch);
	ap->in_cb--;
	if (ap->closed && ap->in_cb == 0)
		allport_release(ap);
}

/* ------------------------------------------------------------------ */
/* The core, for either transport                                     */
/* ------------------------------------------------------------------ */

/* A table given by a unit test instead of the kernel's. */
static int
tab_copy(dn__iftab *dst, const dn__iftab *src)
{
	size_t i;

	for (i = 0; i < src->nlinks; i++)
		if (dn__iftab_link_set(dst, src->links[i].index,
		    src->links[i].flags, src->links[i].name) == -1)
			return -1;
	for (i = 0; i < src->naddrs; i++)
		if (dn__iftab_addr_set(dst, src->addrs[i].index,
		    src->addrs[i].family, src->addrs[i].bytes,
		    src->addrs[i].flags) == -1)
			return -1;
	return 0;
}

/* What no address matched, in words: the filters and what exists. */
static int
none_error(const dn_all_opts *o, dn_error *err)
{
	char list[200], filt[200] = "";

	if (o->family != AF_UNSPEC)
		snprintf(filt + strlen(filt), sizeof(filt) - strlen(filt),
		    "%s%s only", filt[0] ? ", " : "", dn__family_word(o->family));
	if (o->interfaces != NULL)
		snprintf(filt + strlen(filt), sizeof(filt) - strlen(filt),
		    "%son %s", filt[0] ? ", " : "", o->interfaces);
	if (o->exclude != NULL)
		snprintf(filt + strlen(filt), sizeof(filt) - strlen(filt),
		    "%snot on %s", filt[0] ? ", " : "", o->exclude);
	if (o->scopes != 0)
		snprintf(filt + strlen(filt), sizeof(filt) - strlen(filt),
		    "%sscopes%s%s%s", filt[0] ? ", " : "",
		    o->scopes & DN_ALL_LOOPBACK ? " loopback" : "",
		    o->scopes & DN_ALL_LINKLOCAL ? " link" : "",
		    o->scopes & DN_ALL_GLOBAL ? " global" : "");
	return dn__err(err, DN_ELOCAL, EADDRNOTAVAIL, "no address to listen "
	    "on: no interface that is up has an address%s%s%s (interfaces: "
	    "%s)", filt[0] ? " (" : "", filt, filt[0] ? ")" : "",
	    dn__iface_list(list, sizeof(list)));
}

dn__allport *
dn__allport_new(dn_reactor *r, uint16_t port, const dn_all_opts *o,
    const struct dn__allport_ops *ops, void *ctx, const dn__iftab *given,
    dn_error *err)
{
	dn__allport *ap;
	struct cand *c = NULL;
	size_t nc = 0, i, ok = 0;
	dn_all_opts def;

	if (o == NULL) {
		dn_all_opts_init(&def);
		o = &def;
	}
	if (o->family != AF_UNSPEC && o->family != AF_INET &&
	    o->family != AF_INET6) {
		dn__err(err, DN_EINVAL, 0, "family %d is neither AF_INET nor "
		    "AF_INET6", o->family);
		return NULL;
	}
	if ((ap = calloc(1, sizeof(*ap))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	ap->r = r;
	ap->ops = ops;
	ap->ctx = ctx;
	ap->family = o->family;
	ap->scopes = o->scopes;
	ap->follow = o->follow;
	ap->skip = o->skip_unavailable;
	ap->ev = o->event;
	ap->ev_arg = o->event_arg;
	ap->port = port;
	dn__iftab_init(&ap->tab);
	if (list_split(o->interfaces, "interface", &ap->incl, &ap->nincl,
	    err) == -1 ||
	    list_split(o->exclude, "exclude", &ap->excl, &ap->nexcl, err) == -1)
		goto fail;
	if (given != NULL) {
		if (tab_copy(&ap->tab, given) == -1) {
			dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
			goto fail;
		}
	} else {
		/* subscribed before the dump: a change in between arrives as
		 * a notification, and applying it once more does no harm */
		if (ap->follow && (ap->mon = dn__netmon_new(r, &ap->tab,
		    allport_changed, ap, o->rcvbuf, err)) == NULL)
			goto fail;
		if (dn__iftab_dump(&ap->tab, err) == -1)
			goto fail;
	}
	if (lists_check(ap, err) == -1)
		goto fail;
	if (candidates(ap, &c, &nc) == -1) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < nc; i++)
		if (c[i].why == NULL)
			ok++;
	if (ok == 0) {
		none_error(o, err);
		goto fail;
	}
	if (bind_all(ap, c, nc, err) == -1)
		goto fail;
	free(c);
	return ap;
fail:
	free(c);
	allport_release(ap);
	return NULL;
}

void
dn__allport_free(dn__allport *ap, int close_socks)
{
	if (ap == NULL || ap->closed)
		return;
	ap->closed = 1;
	if (close_socks)
		close_all(ap, ap->socks, ap->nsocks);
	ap->nsocks = 0;
	/* no notification may reach a port that is gone */
	dn__netmon_free(ap->mon);
	ap->mon = NULL;
	if (ap->in_cb == 0)
		allport_release(ap);
}

uint16_t
dn__allport_port(const dn__allport *ap)
{
	return ap->port;
}

size_t
dn__allport_nslots(const dn__allport *ap)
{
	return ap->nsocks;
}

void *
dn__allport_sock(const dn__allport *ap, size_t i, dn_addr *addr)
{
	if (i >= ap->nsocks)
		return NULL;
	if (addr != NULL)
		*addr = ap->socks[i].addr;
	return ap->socks[i].sock;
}

dn__iftab *
dn__allport_tab(dn__allport *ap)
{
	return &ap->tab;
}

void
dn__allport_sync(dn__allport *ap)
{
	allport_changed(ap, 0);
}

/* ------------------------------------------------------------------ */
/* TCP: a dn_listener whose sockets follow the addresses               */
/* ------------------------------------------------------------------ */

static void *
tcp_open(void *ctx, const dn_addr *a, dn_addr *bound, dn_error *err)
{
	struct dn__lsock *s = dn__listener_add(ctx, a, err);

	if (s != NULL)
		*bound = *dn__lsock_addr(s);
	return s;
}

static void
tcp_close(void *ctx, void *sock)
{
	dn__listener_remove(ctx, sock);
}

static const struct dn__allport_ops tcp_ops = { tcp_open, tcp_close };

/* dn_listener_close() closed the sockets already. */
static void
tcp_release(void *owner)
{
	dn__allport_free(owner, 0);
}

dn_listener *
dn_tcp_listen_all(dn_reactor *r, uint16_t port, const dn_all_opts *ao,
    const dn_listen_opts *lo, dn_accept_cb cb, void *arg, dn_error *err)
{
	dn_listen_opts opts;
	dn_listener *l;
	dn__allport *ap;
	dn_addr idle;

	if (r == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "dn_tcp_listen_all needs a reactor "
		    "and a callback");
		return NULL;
	}
	memset(&opts, 0, sizeof(opts));
	if (lo != NULL)
		opts = *lo;
	/* one socket per address: an IPv4 address has its own */
	opts.v6only = 1;
	if ((l = dn__listener_new(r, &opts, 1, cb, arg)) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory for a listener");
		return NULL;
	}
	if ((ap = dn__allport_new(r, port, ao, &tcp_ops, l, NULL,
	    err)) == NULL) {
		dn_listener_close(l);
		return NULL;
	}
	memset(&idle, 0, sizeof(idle));
	if (ao != NULL && ao->family == AF_INET) {
		idle.u.sin.sin_family = AF_INET;
		idle.len = sizeof(idle.u.sin);
	} else {
		idle.u.sin6.sin6_family = AF_INET6;
		idle.len = sizeof(idle.u.sin6);
	}
	dn_addr_set_port(&idle, dn__allport_port(ap));
	dn__listener_set_idle_addr(l, &idle);
	dn__listener_set_owner(l, ap, tcp_release);
	return l;
}

/* ------------------------------------------------------------------ */
/* UDP: a set of dn_udp sockets                                       */
/* ------------------------------------------------------------------ */

struct dn_udp_all {
	dn__handle h;
	dn_reactor *r;
	dn__allport *ap;
	dn_udp_opts uo;
	dn_udp_recv_cb cb;
	void *arg;
	int reading;
	int closed;
};

static void udp_all_cancel(dn__handle *h);

static void *
udp_open(void *ctx, const dn_addr *a, dn_addr *bound, dn_error *err)
{
	dn_udp_all *ua = ctx;
	dn_udp *u;

	if ((u = dn_udp_listen_addr(ua->r, a, &ua->uo, err)) == NULL)
		return NULL;
	if (ua->reading && dn_udp_recv_start(u, ua->cb, ua->arg, NULL) == -1) {
		dn__err(err, DN_ENOMEM, errno, "out of memory to receive on "
		    "%s", "a new socket");
		dn_udp_close(u);
		return NULL;
	}
	/*
	 * dn_reactor_free() cancels handles newest first; each socket's own
	 * handle is newer than ours, so ours moves in front again and the
	 * aggregate lets its sockets go before they go on their own.
	 */
	dn__handle_remove(ua->r, &ua->h);
	dn__handle_add(ua->r, &ua->h, udp_all_cancel);
	*bound = *dn_udp_addr(u);
	return u;
}

static void
udp_close(void *ctx, void *sock)
{
	(void)ctx;
	dn_udp_close(sock);
}

static const struct dn__allport_ops udp_ops = { udp_open, udp_close };

dn_udp_all *
dn_udp_listen_all(dn_reactor *r, uint16_t port, const dn_all_opts *ao,
    const dn_udp_opts *uo, dn_error *err)
{
	dn_udp_all *ua;

	if (r == NULL) {
		dn__err(err, DN_EINVAL, 0, "dn_udp_listen_all needs a reactor");
		return NULL;
	}
	if ((ua = calloc(1, sizeof(*ua))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	ua->r = r;
	if (uo != NULL)
		ua->uo = *uo;
	ua->uo.v6only = 1;
	dn__handle_add(r, &ua->h, udp_all_cancel);
	if ((ua->ap = dn__allport_new(r, port, ao, &udp_ops, ua, NULL,
	    err)) == NULL) {
		dn__handle_remove(r, &ua->h);
		free(ua);
		return NULL;
	}
	return ua;
}

static void
udp_all_each(dn_udp_all *ua, int start)
{
	size_t i, n = dn__allport_nslots(ua->ap);
	dn_udp *u;

	for (i = 0; i < n; i++) {
		if ((u = dn__allport_sock(ua->ap, i, NULL)) == NULL)
			continue;
		if (start)
			(void)dn_udp_recv_start(u, ua->cb, ua->arg, NULL);
		else
			dn_udp_recv_stop(u);
	}
}

int
dn_udp_all_recv_start(dn_udp_all *ua, dn_udp_recv_cb cb, void *arg,
    dn_error *err)
{
	if (ua == NULL || ua->closed || cb == NULL)
		return dn__err(err, DN_EINVAL, 0, "receive on a closed port or "
		    "without a callback");
	ua->cb = cb;
	ua->arg = arg;
	ua->reading = 1;
	udp_all_each(ua, 1);
	return 0;
}

void
dn_udp_all_recv_stop(dn_udp_all *ua)
{
	if (ua == NULL || ua->closed)
		return;
	ua->reading = 0;
	udp_all_each(ua, 0);
}

uint16_t
dn_udp_all_port(const dn_udp_all *ua)
{
	return dn__allport_port(ua->ap);
}

size_t
dn_udp_all_socks(const dn_udp_all *ua, dn_udp **out, size_t max)
{
	size_t i, n = 0, slots = dn__allport_nslots(ua->ap);
	dn_udp *u;

	for (i = 0; i < slots; i++)
		if ((u = dn__allport_sock(ua->ap, i, NULL)) != NULL) {
			if (n < max)
				out[n] = u;
			n++;
		}
	return n;
}

void
dn_udp_all_close(dn_udp_all *ua)
{
	if (ua == NULL || ua->closed)
		return;
	ua->closed = 1;
	dn__handle_remove(ua->r, &ua->h);
	dn__allport_free(ua->ap, 1);
	ua->ap = NULL;
	free(ua);
}

static void
udp_all_cancel(dn__handle *h)
{
	dn_udp_all_close((dn_udp_all *)h);
}
