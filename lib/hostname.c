/*
 * hostname.c - the hostname client endpoint: drives the pure RFC 8305
 * scheduler (race.c) with real resolutions, connects and timers.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "race.h"

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

/* The RFC 8305 defaults live in one place, the scheduler's policy. */
void
dn_hostname_opts_init(dn_hostname_opts *o)
{
	dn__race_policy p;

	dn__race_policy_init(&p);
	memset(o, 0, sizeof(*o));
	o->race = DN_RACE_STAGGERED;
	o->order = DN_ORDER_INTERLEAVE;
	o->family = p.family;
	o->resolution_delay_ns = p.resolution_delay;
	o->attempt_delay_ns = p.attempt_delay;
	o->first_family_count = p.first_family_count;
	o->max_concurrent = p.max_concurrent;
	o->attempt_timeout_ns = p.attempt_timeout;
	o->timeout_ns = p.timeout;
	o->resolver = DN_RESOLVER_ARES;
}

static void
policy_from_opts(dn__race_policy *p, const dn_hostname_opts *o)
{
	static const dn__race_mode modes[] = {
		[DN_RACE_STAGGERED] = DN__RACE_STAGGERED,
		[DN_RACE_CONCURRENT] = DN__RACE_CONCURRENT,
		[DN_RACE_SERIAL] = DN__RACE_SERIAL,
	};
	static const dn__race_order orders[] = {
		[DN_ORDER_INTERLEAVE] = DN__RACE_INTERLEAVE,
		[DN_ORDER_V6_FIRST] = DN__RACE_V6_FIRST,
		[DN_ORDER_V4_FIRST] = DN__RACE_V4_FIRST,
		[DN_ORDER_RESOLVER] = DN__RACE_RESOLVER,
	};

	dn__race_policy_init(p);
	if ((unsigned)o->race < DN__ARRLEN(modes))
		p->race = modes[o->race];
	if ((unsigned)o->order < DN__ARRLEN(orders))
		p->order = orders[o->order];
	p->family = o->family;
	p->resolution_delay = o->resolution_delay_ns;
	p->attempt_delay = o->attempt_delay_ns;
	p->first_family_count = o->first_family_count;
	p->max_concurrent = o->max_concurrent;
	p->attempt_timeout = o->attempt_timeout_ns;
	p->timeout = o->timeout_ns;
	p->nat64 = o->nat64 == NULL || o->nat64->mode != DN_NAT64_OFF;
}

int
dn_hostname_opts_check(const dn_hostname_opts *o, dn_error *err)
{
	dn__race_policy p;

	if ((unsigned)o->race > DN_RACE_SERIAL ||
	    (unsigned)o->order > DN_ORDER_RESOLVER ||
	    (unsigned)o->resolver > DN_RESOLVER_SYSTEM)
		return dn__err(err, DN_EINVAL, 0, "unknown race, order or "
		    "resolver value");
	if (o->bind4 != NULL && dn_addr_family(o->bind4) != AF_INET)
		return dn__err(err, DN_EFAMILY, 0, "the IPv4 bind address is not "
		    "IPv4");
	if (o->bind6 != NULL && dn_addr_family(o->bind6) != AF_INET6)
		return dn__err(err, DN_EFAMILY, 0, "the IPv6 bind address is not "
		    "IPv6");
	if (o->flowinfo > 0xfffff)
		return dn__err(err, DN_ERANGE, 0, "flow label 0x%x is over 20 "
		    "bits: give 0 to 0xfffff", o->flowinfo);
	if (o->nat64 != NULL && dn__nat64_opts_check(o->nat64, err) == -1)
		return -1;
	policy_from_opts(&p, o);
	return dn__race_policy_check(&p, err);
}

int
dn_race_mode_parse(const char *s, dn_race_mode *out, dn_error *err)
{
	dn__race_mode m;

	if (dn__race_mode_parse(s, &m, err) == -1)
		return -1;
	*out = m == DN__RACE_SERIAL ? DN_RACE_SERIAL :
	    m == DN__RACE_CONCURRENT ? DN_RACE_CONCURRENT : DN_RACE_STAGGERED;
	return 0;
}

int
dn_race_order_parse(const char *s, dn_race_order *out, dn_error *err)
{
	dn__race_order o;

	if (dn__race_order_parse(s, &o, err) == -1)
		return -1;
	*out = o == DN__RACE_V6_FIRST ? DN_ORDER_V6_FIRST :
	    o == DN__RACE_V4_FIRST ? DN_ORDER_V4_FIRST :
	    o == DN__RACE_RESOLVER ? DN_ORDER_RESOLVER : DN_ORDER_INTERLEAVE;
	return 0;
}

int
dn_race_family_parse(const char *s, int *out, dn_error *err)
{
	return dn__race_family_parse(s, out, err);
}

int
dn_resolver_parse(const char *s, dn_resolver_kind *out, dn_error *err)
{
	if (strcmp(s, "ares") == 0 || strcmp(s, "c-ares") == 0)
		*out = DN_RESOLVER_ARES;
	else if (strcmp(s, "system") == 0)
		*out = DN_RESOLVER_SYSTEM;
	else
		return dn__err(err, DN_EINVAL, 0, "unknown resolver '%s': use ares "
		    "or system", s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* RFC 6724 source lookup                                             */
/* ------------------------------------------------------------------ */

/*
 * RFC 6724 §6 rule 1 and 2 need the source the kernel would pick: a UDP
 * socket connect()ed to the destination sends nothing and lets
 * getsockname() tell (the trick glibc's getaddrinfo uses too).
 */
static int
source_lookup(const dn_addr *dst, dn_addr *src, int *prefixlen, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	dn_addr d = *dst;
	int fd, rv = -1;

	if ((fd = socket(dn_addr_family(dst), SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (dn_addr_port(&d) == 0)
		dn_addr_set_port(&d, 9);
	if (connect(fd, &d.u.sa, d.len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    dn_addr_from_sockaddr(src, (struct sockaddr *)&ss, len, NULL) == 0)
		rv = 0;
	close(fd);
	return rv;
}

/* ------------------------------------------------------------------ */
/* The race driver                                                    */
/* ------------------------------------------------------------------ */

typedef struct hattempt {
	struct hrace *h;
	unsigned id;
	dn_addr addr;
	dn_connect_req *cq;	/* in flight */
	dn_stream *won;		/* connected, waiting for the WON action */
	int canceling;		/* we asked for the cancel */
} hattempt;

typedef struct hrace {
	dn_reactor *r;
	dn_connect_req *q;	/* the caller's handle */
	dn_connect_cb cb;	/* connect mode */
	dn_plan_cb plan_cb;	/* plan mode */
	void *arg;
	dn_hostname_opts o;
	dn_addr bind4, bind6;
	char *host;
	uint16_t port;
	dn__race *race;
	dn__rfc6724_hook hook;
	uint64_t t0;
	dn_resolve_req *query[2];	/* [0] IPv6, [1] IPv4 */
	int query_canceling[2];
	/* plan mode: the answers */
	dn_addr *ans[2];
	size_t nans[2];
	int answered[2];
	dn_error ans_err[2];
	hattempt **att;
	size_t natt;
	dn_timer *timer;
	uint64_t timer_at;
	dn__defer kick;
	int cancel_requested;	/* dn_connect_cancel() */
	int refs;		/* the request itself + each callback owed */
	int finished;		/* the caller has had its completion */
	/* NAT64 (RFC 8305 §7) */
	dn_nat64_opts n64;
	dn_prefix pfx[DN_NAT64_MAX_PREFIXES];
	size_t npfx;
	dn_nat64_req *n64q;	/* discovery in flight */
	dn_addr *held;		/* the A answer waiting for it */
	size_t nheld;
	struct syn {
		dn_addr v6, v4;
	} *syn;			/* what each synthesised address stands for */
	size_t nsyn;
	char n64_why[200];	/* why NAT64 could not help, for the error */
	int n64_unrouted;	/* an IPv4 address it was for had no route */
} hrace;

static int
fam_slot(int family)
{
	return family == AF_INET6 ? 0 : 1;
}

static void
hrace_unref(hrace *h)
{
	size_t i;

	if (--h->refs > 0)
		return;
	dn__race_free(h->race);
	for (i = 0; i < h->natt; i++) {
		dn_stream_close(h->att[i]->won);
		free(h->att[i]);
	}
	free(h->att);
	free(h->ans[0]);
	free(h->ans[1]);
	free(h->held);
	free(h->syn);
	free(h->host);
	free(h);
}

static int
same(const dn_addr *a, const dn_addr *b)
{
	return a->len == b->len && memcmp(&a->u, &b->u, a->len) == 0;
}

/*
 * Whether the AAAA answer gave a, before or beside NAT64: a DNS64's own
 * synthesis (RFC 6147) is plain IPv6 to us, and an attempt keeps the
 * name it started with whichever answer comes first (the race keeps the
 * first of two equal addresses; --plan takes AAAA first).
 */
static int
native6(const hrace *h, const dn_addr *a)
{
	const dn_addr *v6 = h->ans[fam_slot(AF_INET6)];
	size_t i;

	if (h->plan_cb == NULL)
		return h->race != NULL && dn__race_holds(h->race, a);
	for (i = 0; i < h->nans[fam_slot(AF_INET6)]; i++)
		if (same(&v6[i], a))
			return 1;
	return 0;
}

/* The IPv4 address a synthesised a stands for, or NULL. */
static const dn_addr *
via4_of(const hrace *h, const dn_addr *a)
{
	size_t i;

	for (i = 0; a != NULL && i < h->nsyn; i++)
		if (same(&h->syn[i].v6, a))
			return &h->syn[i].v4;
	return NULL;
}

static void
trace(hrace *h, dn_trace_kind kind, int family, const dn_addr *addrs,
    size_t n, const dn_addr *addr, const dn_addr *local, const dn_error *err)
{
	dn_trace_event ev;

	if (h->o.trace == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.host = h->host;
	ev.family = family;
	ev.addrs = addrs;
	ev.naddrs = n;
	ev.addr = addr;
	ev.local = local;
	ev.err = err;
	ev.via4 = via4_of(h, addr);
	h->o.trace(&ev, h->o.trace_arg);
}

/* The caller's one completion; then the request is gone for it. */
static void
finish(hrace *h, dn_stream *s, const dn_error *err)
{
	dn_connect_req *q = h->q;

	if (h->finished) {
		dn_stream_close(s);
		return;
	}
	h->finished = 1;
	h->q = NULL;
	if (h->n64q != NULL)
		dn_nat64_cancel(h->n64q);	/* its callback drops its ref */
	/* q outlives the callback, so a dn_connect_cancel(q) from inside it
	 * is the no-op it is for a finished request */
	if (h->plan_cb != NULL)
		h->plan_cb(q, NULL, 0, err, h->arg);
	else
		h->cb(q, s, err, h->arg);
	dn__connect_ext_done(q);
	if (h->timer != NULL) {
		dn_timer_cancel(h->timer);
		h->timer = NULL;
	}
	if (dn__defer_queued(&h->kick)) {
		dn__defer_cancel(&h->kick);
		h->refs--;
	}
	hrace_unref(h);
}

static void answered(dn_resolve_req *, int, const dn_addr *, size_t,
    const dn_error *, void *);
static void feed(hrace *, int, const dn_addr *, size_t, const dn_error *);
static int nat64_take(hrace *, const dn_addr *, size_t);
static void cancel_now(void *);
static void attempt_done(dn_connect_req *, dn_stream *, const dn_error *,
    void *);
static void timer_fired(dn_timer *, int, void *);

static void
start_query(hrace *h, int family)
{
	int i = fam_slot(family);
	dn_error e;

	trace(h, DN_TRACE_RESOLVING, family, NULL, 0, NULL, NULL, NULL);
	h->refs++;
	h->query_canceling[i] = 0;
	if (h->o.resolver == DN_RESOLVER_SYSTEM)
		h->query[i] = dn_resolve_system(h->r, h->host, h->port, family,
		    answered, h, &e);
	else
		h->query[i] = dn_resolve(h->r, h->host, h->port, family,
		    answered, h, &e);
	if (h->query[i] == NULL) {
		h->refs--;
		if (h->race != NULL)
			dn__race_on_answer_error(h->race,
			    dn_reactor_update_time(h->r), family, e.code,
			    e.msg);
	}
}

static void
start_attempt(hrace *h, unsigned id, const dn_addr *addr)
{
	dn_connect_opts co;
	hattempt *a, **na;
	dn_addr dst = *addr;
	dn_error e;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (na = realloc(h->att, (h->natt + 1) * sizeof(*na))) == NULL) {
		free(a);
		dn__err(&e, DN_ENOMEM, 0, "out of memory starting an attempt");
		dn__race_on_attempt_failed(h->race,
		    dn_reactor_update_time(h->r), id, &e);
		return;
	}
	h->att = na;
	h->att[h->natt++] = a;
	a->h = h;
	a->id = id;
	a->addr = *addr;
	memset(&co, 0, sizeof(co));
	if (dn_addr_family(&dst) == AF_INET6) {
		co.bind = h->o.bind6 != NULL ? &h->bind6 : NULL;
		if (h->o.flowinfo != 0)
			dst.u.sin6.sin6_flowinfo = htonl(h->o.flowinfo);
	} else
		co.bind = h->o.bind4 != NULL ? &h->bind4 : NULL;
	trace(h, DN_TRACE_CONNECTING, dn_addr_family(&dst), NULL, 0, &dst,
	    co.bind, NULL);
	h->refs++;
	a->cq = dn_tcp_connect_addr(h->r, &dst, &co, attempt_done, a, &e);
	if (a->cq == NULL) {
		h->refs--;
		dn__race_on_attempt_failed(h->race,
		    dn_reactor_update_time(h->r), id, &e);
	}
}

static hattempt *
find_attempt(hrace *h, unsigned id)
{
	size_t i;

	for (i = 0; i < h->natt; i++)
		if (h->att[i]->id == id)
			return h->att[i];
	return NULL;
}

/* Appends to e's one line, as far as it has room. */
static void
err_add(dn_error *e, const char *fmt, ...)
{
	size_t len = strlen(e->msg);
	va_list ap;

	if (len + 1 >= sizeof(e->msg))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg + len, sizeof(e->msg) - len, fmt, ap);
	va_end(ap);
}

/* The race's error, and what NAT64 did for it or why it could not. */
static const dn_error *
nat64_explain(const hrace *h, const dn_error *err, dn_error *out)
{
	char a[DN_ADDR_STRLEN], b[DN_ADDR_STRLEN];
	size_t i;

	if (h->nsyn == 0 && h->n64_why[0] == '\0' && h->n64q == NULL)
		return err;
	*out = *err;
	for (i = 0; i < h->nsyn; i++)
		err_add(out, "%s%s is %s", i == 0 ? " (NAT64: " : ", ",
		    dn_addr_format_host(&h->syn[i].v6, a, sizeof(a)),
		    dn_addr_format_host(&h->syn[i].v4, b, sizeof(b)));
	if (h->nsyn > 0)
		err_add(out, ")");
	if (h->n64_why[0] != '\0')
		err_add(out, h->n64_unrouted ? " (no IPv4 route, and NAT64 "
		    "cannot help: %s)" : " (NAT64: %s)", h->n64_why);
	if (h->n64q != NULL)
		err_add(out, " (NAT64: still looking for the prefix: no answer "
		    "for ipv4only.arpa yet)");
	return out;
}

/* Carries out what the scheduler decided, until it has nothing to do. */
static void
drain(hrace *h)
{
	dn__race_action act;
	dn_addr local;
	dn_error e;
	hattempt *a;
	dn_stream *s;
	uint64_t now;

	for (;;) {
		now = dn_reactor_update_time(h->r);
		switch (dn__race_next_action(h->race, now, &act)) {
		case DN__RACE_QUERY:
			start_query(h, act.family);
			break;
		case DN__RACE_CANCEL_QUERY:
			if (h->query[fam_slot(act.family)] != NULL) {
				h->query_canceling[fam_slot(act.family)] = 1;
				dn_resolve_cancel(h->query[fam_slot(act.family)]);
			}
			break;
		case DN__RACE_START:
			start_attempt(h, act.id, act.addr);
			break;
		case DN__RACE_CANCEL_ATTEMPT:
			a = find_attempt(h, act.id);
			if (a == NULL)
				break;
			trace(h, DN_TRACE_ATTEMPT_CANCELED,
			    dn_addr_family(act.addr), NULL, 0, act.addr, NULL,
			    act.err);
			if (a->cq != NULL) {
				a->canceling = 1;
				dn_connect_cancel(a->cq);
			}
			dn_stream_close(a->won);
			a->won = NULL;
			break;
		case DN__RACE_WON:
			a = find_attempt(h, act.id);
			s = a != NULL ? a->won : NULL;
			if (a != NULL)
				a->won = NULL;
			if (s != NULL) {
				local = *dn_stream_local(s);
				trace(h, DN_TRACE_CONNECTED,
				    dn_addr_family(act.addr), NULL, 0,
				    dn_stream_peer(s), &local, NULL);
			}
			finish(h, s, NULL);
			return;
		case DN__RACE_FAILED:
			finish(h, NULL, nat64_explain(h, act.err, &e));
			return;
		case DN__RACE_NONE:
			if (act.wakeup_at == DN__RACE_NEVER ||
			    (h->timer != NULL && h->timer_at == act.wakeup_at))
				return;
			if (h->timer != NULL)
				dn_timer_cancel(h->timer);
			h->timer_at = act.wakeup_at;
			h->refs++;
			h->timer = dn_timer_start(h->r, act.wakeup_at > now ?
			    act.wakeup_at - now : 0, timer_fired, h, NULL);
			if (h->timer == NULL)
				h->refs--;
			return;
		}
	}
}

/* The overall timeout of a plan: what has not answered by now never will
 * in time. */
static void
plan_timeout(hrace *h, int cancelled)
{
	dn_error e;
	int i;

	if (h->finished)
		return;
	for (i = 0; i < 2; i++)
		if (h->query[i] != NULL) {
			h->query_canceling[i] = 1;
			dn_resolve_cancel(h->query[i]);
		}
	if (cancelled)
		dn__err(&e, DN_ECANCELED, 0, "planning the connection to %s was "
		    "cancelled", h->host);
	else
		dn__err(&e, DN_ETIMEDOUT, 0, "%s: no %s answer within %.3fs",
		    h->host, h->query[0] != NULL && h->query[1] != NULL ?
		    "AAAA or A" : h->query[0] != NULL ? "AAAA" : "A",
		    (double)h->o.timeout_ns / 1e9);
	finish(h, NULL, &e);
}

static void
timer_fired(dn_timer *t, int cancelled, void *arg)
{
	hrace *h = arg;

	/* A timer we replaced or stopped is no longer h->timer. */
	if (t == h->timer && h->plan_cb != NULL) {
		h->timer = NULL;
		plan_timeout(h, cancelled);
	} else if (t == h->timer) {
		h->timer = NULL;
		if (cancelled)	/* not by us: the reactor is going away */
			dn__race_on_cancel(h->race,
			    dn_reactor_update_time(h->r));
		drain(h);
	}
	hrace_unref(h);
}

static void
attempt_done(dn_connect_req *cq, dn_stream *s, const dn_error *err, void *arg)
{
	hattempt *a = arg;
	hrace *h = a->h;
	uint64_t now = dn_reactor_update_time(h->r);

	a->cq = NULL;
	if (h->finished || a->canceling) {
		dn_stream_close(s);
		hrace_unref(h);
		return;
	}
	if (s != NULL) {
		a->won = s;
		if (dn__race_on_attempt_connected(h->race, now, a->id) == -1) {
			dn_stream_close(s);
			a->won = NULL;
		}
	} else if (err->code == DN_ECANCELED) {
		/* Not ours: the reactor is being freed. */
		dn__race_on_cancel(h->race, now);
	} else {
		trace(h, DN_TRACE_ATTEMPT_FAILED, dn_addr_family(&a->addr),
		    NULL, 0, &a->addr, NULL, err);
		dn__race_on_attempt_failed(h->race, now, a->id, err);
	}
	drain(h);
	hrace_unref(h);
}

static void plan_maybe_done(hrace *h);

static void
answered(dn_resolve_req *rq, int family, const dn_addr *addrs, size_t n,
    const dn_error *err, void *arg)
{
	hrace *h = arg;
	int i = fam_slot(family);

	h->query[i] = NULL;
	if (h->finished || h->query_canceling[i]) {
		hrace_unref(h);
		return;
	}
	trace(h, DN_TRACE_RESOLVED, family, addrs, n, NULL, NULL, err);
	if (family != AF_INET || err != NULL || !nat64_take(h, addrs, n))
		feed(h, family, addrs, n, err);
	hrace_unref(h);
}

/* An answer, as resolved or with NAT64's addresses, to the plan or the
 * race. */
static void
feed(hrace *h, int family, const dn_addr *addrs, size_t n,
    const dn_error *err)
{
	int i = fam_slot(family);
	uint64_t now = dn_reactor_update_time(h->r);

	if (h->plan_cb != NULL) {
		h->answered[i] = 1;
		if (err != NULL)
			dn__err_copy(&h->ans_err[i], err);
		else if (n > 0 && (h->ans[i] = malloc(n * sizeof(*addrs))) != NULL) {
			memcpy(h->ans[i], addrs, n * sizeof(*addrs));
			h->nans[i] = n;
		}
		plan_maybe_done(h);
		return;
	}
	if (err != NULL && err->code == DN_ECANCELED)
		dn__race_on_cancel(h->race, now);
	else if (err != NULL)
		dn__race_on_answer_error(h->race, now, family, err->code,
		    err->msg);
	else
		dn__race_on_answer(h->race, now, family, addrs, n);
	drain(h);
}

/* ------------------------------------------------------------------ */
/* NAT64 (RFC 8305 §7)                                                */
/* ------------------------------------------------------------------ */

/* RFC 8305 §7.1: an IPv6-only host has no route to IPv4; the routing
 * table says so without a packet (source_lookup's connect()). */
static int
v4_routed(const dn_addr *a)
{
	dn_addr src;

	return source_lookup(a, &src, NULL, NULL) == 0;
}

int
dn__nat64_wanted(const dn_nat64_opts *n, const dn_addr *dest)
{
	return dn_addr_family(dest) == AF_INET && n->mode != DN_NAT64_OFF &&
	    (n->mode == DN_NAT64_ALWAYS || !v4_routed(dest));
}

/*
 * The held A answer goes to the race with, for each IPv4 address NAT64
 * is for, its synthesised IPv6 addresses in its place (one per prefix);
 * the IPv4 address itself stays when it has a route ("always") or when
 * nothing could stand for it, so the error still names it.
 */
static void
nat64_feed(hrace *h)
{
	size_t i, j, n = 0, cap = h->nheld * (h->npfx + 1);
	dn__nat64_news news = { 0 };
	struct syn *ns;
	dn_addr *list;
	dn_error e;
	int routed, made;

	if ((list = calloc(cap, sizeof(*list))) == NULL ||
	    (ns = realloc(h->syn, (h->nsyn + cap) * sizeof(*ns))) == NULL) {
		free(list);
		feed(h, AF_INET, h->held, h->nheld, NULL);
		return;
	}
	h->syn = ns;
	for (i = 0; i < h->nheld; i++) {
		routed = v4_routed(&h->held[i]);
		h->n64_unrouted |= !routed;
		if (routed && h->n64.mode != DN_NAT64_ALWAYS) {
			list[n++] = h->held[i];
			continue;
		}
		for (made = 0, j = 0; j < h->npfx; j++) {
			if (dn_nat64_synthesize(&list[n], &h->pfx[j],
			    &h->held[i], &e) == -1) {
				strlcpy(h->n64_why, e.msg, sizeof(h->n64_why));
				continue;
			}
			if (!native6(h, &list[n])) {
				h->syn[h->nsyn].v6 = list[n];
				h->syn[h->nsyn++].v4 = h->held[i];
			}
			news.v6 = &list[n];
			news.v4 = &h->held[i];
			news.why = routed ? "always" : "no IPv4 route";
			dn__nat64_trace(h->o.trace, h->o.trace_arg,
			    DN_TRACE_NAT64_SYNTHESIZED, h->host, &news);
			n++;
			made++;
		}
		if (routed || made == 0)
			list[n++] = h->held[i];
	}
	feed(h, AF_INET, list, n, NULL);
	free(list);
}

static void
nat64_discovered(dn_nat64_req *q, const dn_prefix *p, size_t n,
    const dn_error *err, void *arg)
{
	dn__nat64_news news = { 0 };
	hrace *h = arg;

	(void)q;
	h->n64q = NULL;
	if (h->finished) {
		hrace_unref(h);
		return;
	}
	news.prefixes = p;
	news.nprefixes = n;
	news.err = err;
	dn__nat64_trace(h->o.trace, h->o.trace_arg, DN_TRACE_NAT64_DISCOVERED,
	    h->host, &news);
	if (err != NULL && err->code == DN_ECANCELED)
		feed(h, AF_INET, NULL, 0, err);	/* the reactor is going */
	else {
		if (err != NULL)
			strlcpy(h->n64_why, err->msg, sizeof(h->n64_why));
		h->npfx = n < DN__ARRLEN(h->pfx) ? n : DN__ARRLEN(h->pfx);
		if (h->npfx > 0)
			memcpy(h->pfx, p, h->npfx * sizeof(*p));
		nat64_feed(h);
	}
	hrace_unref(h);
}

/*
 * An A answer NAT64 may be for: with the prefixes at hand it goes to
 * the race now; else it waits for the discovery (RFC 7050), which only an
 * IPv4 destination this host cannot reach (or "always") sets off.
 * 0: not taken, feed it as it is.
 */
static int
nat64_take(hrace *h, const dn_addr *addrs, size_t n)
{
	size_t i, need = 0;
	dn_error e;

	if (h->n64.mode == DN_NAT64_OFF || n == 0)
		return 0;
	for (i = 0; i < n && need == 0; i++)
		need = h->n64.mode == DN_NAT64_ALWAYS || !v4_routed(&addrs[i]);
	if (need == 0 || (h->held = calloc(n, sizeof(*addrs))) == NULL)
		return 0;
	memcpy(h->held, addrs, n * sizeof(*addrs));
	h->nheld = n;
	if (h->npfx > 0) {
		nat64_feed(h);
		return 1;
	}
	dn__nat64_trace(h->o.trace, h->o.trace_arg, DN_TRACE_NAT64_DISCOVERING,
	    h->host, NULL);
	h->refs++;
	if ((h->n64q = dn_nat64_discover(h->r, h->o.resolver,
	    nat64_discovered, h, &e)) == NULL) {
		h->refs--;
		strlcpy(h->n64_why, e.msg, sizeof(h->n64_why));
		nat64_feed(h);
	}
	return 1;
}

static void
kick(void *arg)
{
	hrace *h = arg;

	h->refs--;
	if (h->cancel_requested) {
		cancel_now(h);
		return;
	}
	if (h->plan_cb != NULL) {
		/* -w bounds the plan too: it waits for both answers */
		if (h->o.timeout_ns > 0) {
			h->refs++;
			if ((h->timer = dn_timer_start(h->r, h->o.timeout_ns,
			    timer_fired, h, NULL)) == NULL)
				h->refs--;
		}
		if (h->o.family != AF_INET)
			start_query(h, AF_INET6);
		if (h->o.family != AF_INET6)
			start_query(h, AF_INET);
		return;
	}
	drain(h);
}

/* Ends the race now with DN_ECANCELED: every query and attempt in flight
 * is cancelled (their late callbacks only drop references). */
static void
cancel_now(void *impl)
{
	hrace *h = impl;
	dn_error e;
	int i;

	if (h->finished)
		return;
	if (h->plan_cb == NULL) {
		dn__race_on_cancel(h->race, dn_reactor_update_time(h->r));
		drain(h);
		return;
	}
	for (i = 0; i < 2; i++)
		if (h->query[i] != NULL) {
			h->query_canceling[i] = 1;
			dn_resolve_cancel(h->query[i]);
		}
	dn__err(&e, DN_ECANCELED, 0, "planning the connection to %s was "
	    "cancelled", h->host);
	finish(h, NULL, &e);
}

/* dn_connect_cancel(): the completion comes on a later turn. */
static void
cancel_later(void *impl)
{
	hrace *h = impl;

	if (h->finished || h->cancel_requested)
		return;
	h->cancel_requested = 1;
	if (!dn__defer_queued(&h->kick)) {
		h->refs++;
		dn__defer_queue(h->r, &h->kick);
	}
}

/* The family of a literal host, read as the resolver reads one; AF_UNSPEC
 * for a name. */
static int
literal_family(const char *host)
{
	const dn_addr_hints hints = {
		.flags = DN_ADDR_PORT_NONE | DN_ADDR_SCOPE_OPTIONAL,
	};
	dn_addr a;

	if (dn_addr_parse(&a, host, &hints, NULL) == -1)
		return AF_UNSPEC;
	return dn_addr_family(&a);
}

static hrace *
hrace_new(dn_reactor *r, const char *host, uint16_t port,
    const dn_hostname_opts *o, dn_error *err)
{
	dn__race_policy p;
	hrace *h;

	/* a name DNS cannot carry fails once, here, not once per family
	 * (a literal has ':' or '%', or passes as digits and dots) */
	if (host == NULL || (strpbrk(host, ":%") == NULL &&
	    dn_host_name_check(host, err) == -1)) {
		if (host == NULL)
			dn__err(err, DN_EINVAL, 0, "no host to connect to");
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->host = strdup(host)) == NULL) {
		free(h);
		dn__err(err, DN_ENOMEM, 0, "out of memory");
		return NULL;
	}
	h->r = r;
	h->port = port;
	h->o = *o;
	if (o->nat64 != NULL) {
		h->n64 = *o->nat64;
		h->npfx = o->nat64->nprefixes <= DN__ARRLEN(h->pfx) ?
		    o->nat64->nprefixes : 0;
		if (h->npfx > 0)
			memcpy(h->pfx, o->nat64->prefixes,
			    h->npfx * sizeof(h->pfx[0]));
	}
	h->n64.prefixes = h->pfx;
	h->n64.nprefixes = h->npfx;
	h->o.nat64 = &h->n64;
	if (o->bind4 != NULL)
		h->bind4 = *o->bind4;
	if (o->bind6 != NULL)
		h->bind6 = *o->bind6;
	h->refs = 1;
	h->hook.source = source_lookup;
	h->hook.arg = NULL;
	dn__defer_init(&h->kick, kick, h);
	h->t0 = dn_reactor_update_time(r);
	policy_from_opts(&p, o);
	/* a literal is one address of one family: a query for the other
	 * could only fail, and its "no address of the wanted family" would
	 * join the error as if the literal were a name */
	if (p.family == AF_UNSPEC)
		p.family = literal_family(host);
	if (o->order != DN_ORDER_RESOLVER) {
		p.sort = dn__rfc6724_race_sort;
		p.sort_arg = &h->hook;
	}
	if (dn_hostname_opts_check(o, err) == -1 ||
	    (h->race = dn__race_new(&p, host, h->t0, err)) == NULL) {
		free(h->host);
		free(h);
		return NULL;
	}
	return h;
}

/* Errors found before anything started still come on a later turn. */
typedef struct early_fail {
	dn_connect_req *q;
	dn_connect_cb cb;
	dn_plan_cb plan_cb;
	void *arg;
	dn_error err;
	dn__defer d;
	int done;
} early_fail;

static void
early_fail_run(void *arg)
{
	early_fail *ef = arg;
	dn_connect_req *q = ef->q;

	ef->done = 1;
	if (ef->plan_cb != NULL)
		ef->plan_cb(q, NULL, 0, &ef->err, ef->arg);
	else
		ef->cb(q, NULL, &ef->err, ef->arg);
	dn__connect_ext_done(q);
	free(ef);
}

static void
early_fail_cancel(void *impl)
{
	/* The failure is already on its way on the next turn: it stands as
	 * the one completion. */
}

static void
early_fail_cancel_now(void *impl)
{
	early_fail *ef = impl;

	if (ef->done)
		return;
	dn__defer_cancel(&ef->d);
	early_fail_run(ef);
}

static dn_connect_req *
no_memory(const char *host, dn_error *err)
{
	dn__err(err, DN_ENOMEM, ENOMEM, "out of memory for a connection "
	    "race to %s", host != NULL ? host : "(no host)");
	return NULL;
}

/* e as the completion of a request, on the next turn; NULL when there is
 * no memory for even that (err says so). */
static dn_connect_req *
early_failure(dn_reactor *r, const dn_error *e, dn_connect_cb cb,
    dn_plan_cb plan_cb, void *arg, const char *host, dn_error *err)
{
	early_fail *ef;

	if ((ef = calloc(1, sizeof(*ef))) == NULL)
		goto nomem;
	if ((ef->q = dn__connect_ext_new(r, early_fail_cancel,
	    early_fail_cancel_now, ef)) == NULL) {
		free(ef);
		goto nomem;
	}
	ef->cb = cb;
	ef->plan_cb = plan_cb;
	ef->arg = arg;
	ef->err = *e;
	dn__defer_init(&ef->d, early_fail_run, ef);
	dn__defer_queue(r, &ef->d);
	return ef->q;
nomem:
	return no_memory(host, err);
}

static dn_connect_req *
start(dn_reactor *r, const char *host, uint16_t port,
    const dn_hostname_opts *o, dn_connect_cb cb, dn_plan_cb plan_cb,
    void *arg, dn_error *err)
{
	dn_error e;
	hrace *h;

	/* what hrace_new finds wrong is told through the callback, as a
	 * failure that comes later would be; NULL is for no memory */
	if ((h = hrace_new(r, host, port, o, &e)) == NULL)
		return early_failure(r, &e, cb, plan_cb, arg, host, err);
	if ((h->q = dn__connect_ext_new(r, cancel_later, cancel_now,
	    h)) == NULL) {
		hrace_unref(h);
		goto nomem;
	}
	h->cb = cb;
	h->plan_cb = plan_cb;
	h->arg = arg;
	h->refs++;
	dn__defer_queue(r, &h->kick);
	return h->q;
nomem:
	return no_memory(host, err);
}

dn_connect_req *
dn_hostname_connect(dn_reactor *r, const char *host, uint16_t port,
    const dn_hostname_opts *o, dn_connect_cb cb, void *arg, dn_error *err)
{
	dn_hostname_opts def;

	if (o == NULL) {
		dn_hostname_opts_init(&def);
		o = &def;
	}
	return start(r, host, port, o, cb, NULL, arg, err);
}

static void
plan_maybe_done(hrace *h)
{
	dn__race_plan_entry *pe = NULL;
	dn_plan_entry *out = NULL;
	dn__race_policy p;
	dn_connect_req *q;
	size_t n = 0, i;
	dn_error e;

	if ((h->o.family != AF_INET && !h->answered[0]) ||
	    (h->o.family != AF_INET6 && !h->answered[1]))
		return;
	if (h->nans[0] + h->nans[1] == 0) {
		/* Neither family gave an address: the resolution's error. */
		e = h->answered[0] && h->ans_err[0].code != DN_OK &&
		    h->ans_err[0].code != DN_ENODATA ? h->ans_err[0] :
		    h->ans_err[1].code != DN_OK ? h->ans_err[1] : h->ans_err[0];
		if (e.code == DN_OK)
			dn__err(&e, DN_ENODATA, 0, "%s has no address", h->host);
		finish(h, NULL, &e);
		return;
	}
	policy_from_opts(&p, &h->o);
	if (h->o.order != DN_ORDER_RESOLVER) {
		p.sort = dn__rfc6724_race_sort;
		p.sort_arg = &h->hook;
	}
	if (dn__race_plan(&p, h->ans[0], h->nans[0], h->ans[1], h->nans[1],
	    &pe, &n, &e) == -1) {
		finish(h, NULL, &e);
		return;
	}
	if (n > 0 && (out = calloc(n, sizeof(*out))) == NULL) {
		free(pe);
		dn__err(&e, DN_ENOMEM, 0, "out of memory");
		finish(h, NULL, &e);
		return;
	}
	for (i = 0; i < n; i++) {
		out[i].addr = pe[i].addr;
		out[i].start_ns = pe[i].start == DN__RACE_NEVER ? UINT64_MAX :
		    pe[i].start;
		out[i].via4 = native6(h, &out[i].addr) ? NULL :
		    via4_of(h, &out[i].addr);
	}
	free(pe);
	h->finished = 1;
	q = h->q;
	h->q = NULL;
	if (h->n64q != NULL)
		dn_nat64_cancel(h->n64q);
	if (h->timer != NULL) {
		dn_timer_cancel(h->timer);
		h->timer = NULL;
	}
	h->plan_cb(q, out, n, NULL, h->arg);
	dn__connect_ext_done(q);
	free(out);
	hrace_unref(h);
}

dn_connect_req *
dn_hostname_plan(dn_reactor *r, const char *host, uint16_t port,
    const dn_hostname_opts *o, dn_plan_cb cb, void *arg, dn_error *err)
{
	dn_hostname_opts def;

	if (o == NULL) {
		dn_hostname_opts_init(&def);
		o = &def;
	}
	return start(r, host, port, o, NULL, cb, arg, err);
}

/*
 * The tcp: plan rule (DESIGN.md, plan point 5) as a racing policy: a
 * literal is one attempt as it is; a name resolves to one family, IPv4
 * unless IPv6 is asked, and its addresses are tried one at a time in the
 * resolver's order. The timeout covers resolution and every attempt.
 */
static const dn_nat64_opts nat64_off = { .mode = DN_NAT64_OFF };

dn_connect_req *
dn__tcp_connect_family(dn_reactor *r, const char *host, uint16_t port,
    int family, uint32_t flowinfo, const char *default_scope,
    const dn_connect_opts *opts, dn_connect_cb cb, void *arg, dn_error *err)
{
	const dn_addr *bind = opts != NULL ? opts->bind : NULL;
	dn_hostname_opts ho;
	dn_addr_hints hints;
	dn_addr a;
	dn_error e;

	if (r == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "connect without a reactor or a "
		    "callback");
		return NULL;
	}
	family = family == AF_INET6 ? AF_INET6 : AF_INET;
	memset(&hints, 0, sizeof(hints));
	hints.flags = DN_ADDR_PORT_NONE;
	hints.family = AF_UNSPEC;
	hints.default_scope = default_scope;
	hints.what = "destination";
	memset(&e, 0, sizeof(e));
	if (host == NULL || *host == '\0')
		dn__err(&e, DN_EINVAL, 0, "no host to connect to");
	else if (dn_addr_parse(&a, host, &hints, &e) == 0) {
		/* a literal never goes to a resolver (DESIGN.md) */
		dn_addr_set_port(&a, port);
		if (dn_addr_family(&a) == AF_INET6 && dn_addr_flowinfo(&a) == 0)
			(void)dn_addr_set_flowinfo(&a, flowinfo & 0xFFFFF, NULL);
		return dn_tcp_connect_addr(r, &a, opts, cb, arg, err);
	} else if (e.code == DN_ENOTLITERAL) {
		e.code = DN_OK;
		if (bind != NULL && dn_addr_family(bind) != family)
			dn__err_bind_name(&e, bind, host, family);
	}
	if (e.code != DN_OK)
		return early_failure(r, &e, cb, NULL, arg, host, err);
	dn_hostname_opts_init(&ho);
	ho.race = DN_RACE_SERIAL;
	ho.order = DN_ORDER_RESOLVER;
	ho.family = family;
	ho.flowinfo = flowinfo & 0xFFFFF;
	ho.nat64 = &nat64_off;	/* the plan rule: one family, as asked */
	if (opts != NULL) {
		ho.timeout_ns = opts->timeout_ns;
		ho.trace = opts->trace;
		ho.trace_arg = opts->trace_arg;
	}
	if (family == AF_INET)
		ho.bind4 = bind;
	else
		ho.bind6 = bind;
	return start(r, host, port, &ho, cb, NULL, arg, err);
}

dn_connect_req *
dn_tcp_connect(dn_reactor *r, const char *host, uint16_t port,
    const char *default_scope, const dn_connect_opts *opts, dn_connect_cb cb,
    void *arg, dn_error *err)
{
	/* plan point 5: the low level resolves names to IPv4 only */
	return dn__tcp_connect_family(r, host, port, AF_INET, 0,
	    default_scope, opts, cb, arg, err);
}
