/* race.c - the RFC 8305 connection racing scheduler as pure logic: time and events in, actions out. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "race.h"

#define HOST_MAX	256	/* RFC 1035: a name is at most 253 characters */

enum { F6, F4 };				/* index of a family */
enum { Q_OFF, Q_PENDING, Q_OK, Q_EMPTY };	/* state of its query */

/* An address the race knows, tried or not. */
struct ent {
	dn_addr addr;
	int fam;		/* F6, F4 */
	unsigned seq;		/* arrival order, for DN__RACE_RESOLVER */
	unsigned rank;		/* place in the sorted list of untried ones */
	int taken;
};

/* A queued action: pointers are looked up when it is handed out, since
 * the arrays they point into may move until then. */
struct qact {
	dn__race_action_kind kind;
	int family;
	unsigned id;
};

struct dn__race {
	dn__race_policy p;
	char host[HOST_MAX];
	uint64_t t0, now;

	struct {
		int state;
		dn_error err;	/* Q_EMPTY: why */
	} q[2];

	struct ent *ents;
	size_t nents, entcap;
	unsigned seq;

	int started;		/* §3 wait over: attempts may begin */
	uint64_t res_deadline;	/* A came first: wait for AAAA until then
				 * (the other way round with v4-first) */
	int first_fam;		/* §4: family of the first address, -1 unset */
	int last_fam;
	unsigned ntaken;
	uint64_t next_start;	/* staggered: no new attempt before this */

	dn__race_attempt *att;
	size_t natt, attcap;
	unsigned inflight;

	/* Capacity is kept above every push the race can still make (two
	 * queries, two cancels, a start and a cancel per address, the final
	 * one), so that pushing never fails. */
	struct qact *aq;
	size_t aqhead, aqlen, aqcap;

	int decided;		/* the final action is queued */
	int finished;		/* ... and handed out */
	dn_error final;
};

static const char *mode_names[] = { "staggered", "concurrent", "serial" };
static const char *order_names[] = { "interleave", "v6-first", "v4-first",
	"resolver" };

static int
fam_of(int family)
{
	switch (family) {
	case AF_INET6:
		return F6;
	case AF_INET:
		return F4;
	}
	return -1;
}

static int
af_of(int fam)
{
	return fam == F6 ? AF_INET6 : AF_INET;
}

static const char *
rr_name(int fam)
{
	return fam == F6 ? "AAAA" : "A";
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ------------------------------------------------------------------ */
/* Policy                                                             */
/* ------------------------------------------------------------------ */

void
dn__race_policy_init(dn__race_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->race = DN__RACE_STAGGERED;
	p->order = DN__RACE_INTERLEAVE;
	p->family = AF_UNSPEC;
	p->resolution_delay = DN__RACE_RESOLUTION_DELAY;
	p->attempt_delay = DN__RACE_ATTEMPT_DELAY;
	p->first_family_count = 1;
}

int
dn__race_policy_check(const dn__race_policy *p, dn_error *err)
{
	if (p == NULL)
		return dn__err(err, DN_EINVAL, 0, "no racing policy given");
	if ((unsigned)p->race >= DN__ARRLEN(mode_names))
		return dn__err(err, DN_EINVAL, 0,
		    "race mode %d is unknown: use staggered, concurrent or "
		    "serial", (int)p->race);
	if ((unsigned)p->order >= DN__ARRLEN(order_names))
		return dn__err(err, DN_EINVAL, 0,
		    "address order %d is unknown: use interleave, v6-first, "
		    "v4-first or resolver", (int)p->order);
	if (p->family != AF_UNSPEC && p->family != AF_INET &&
	    p->family != AF_INET6)
		return dn__err(err, DN_EINVAL, 0,
		    "address family %d is unknown: use any, v4 or v6",
		    p->family);
	/* RFC 8305 §5: "a minimum of 10 milliseconds", "a maximum of 2
	 * seconds"; DESIGN.md makes both bounds inclusive. */
	if (p->attempt_delay < DN__RACE_ATTEMPT_DELAY_MIN)
		return dn__err(err, DN_ERANGE, 0,
		    "connection attempt delay %llu ms is below the minimum of "
		    "10 ms (RFC 8305 section 5)",
		    (unsigned long long)(p->attempt_delay / 1000000u));
	if (p->attempt_delay > DN__RACE_ATTEMPT_DELAY_MAX)
		return dn__err(err, DN_ERANGE, 0,
		    "connection attempt delay %llu ms is above the maximum of "
		    "2000 ms (RFC 8305 section 5)",
		    (unsigned long long)(p->attempt_delay / 1000000u));
	if (p->first_family_count < 1)
		return dn__err(err, DN_ERANGE, 0,
		    "first address family count must be at least 1");
	return 0;
}

static int
parse_name(const char *s, const char *const *names, size_t n,
    const char *what, const char *choices, int *out, dn_error *err)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return dn__err(err, DN_EINVAL, 0, "%s '%s' is unknown: use %s", what,
	    s != NULL ? s : "", choices);
}

int
dn__race_mode_parse(const char *s, dn__race_mode *out, dn_error *err)
{
	int v;

	if (parse_name(s, mode_names, DN__ARRLEN(mode_names), "race mode",
	    "staggered, concurrent or serial", &v, err) == -1)
		return -1;
	*out = (dn__race_mode)v;
	return 0;
}

int
dn__race_order_parse(const char *s, dn__race_order *out, dn_error *err)
{
	int v;

	if (parse_name(s, order_names, DN__ARRLEN(order_names),
	    "address order", "interleave, v6-first, v4-first or resolver", &v,
	    err) == -1)
		return -1;
	*out = (dn__race_order)v;
	return 0;
}

int
dn__race_family_parse(const char *s, int *out, dn_error *err)
{
	static const char *const names[] = { "any", "v4", "4", "ipv4", "v6",
		"6", "ipv6" };
	static const int fams[] = { AF_UNSPEC, AF_INET, AF_INET, AF_INET,
		AF_INET6, AF_INET6, AF_INET6 };
	int v;

	if (parse_name(s, names, DN__ARRLEN(names), "address family",
	    "any, v4 or v6", &v, err) == -1)
		return -1;
	*out = fams[v];
	return 0;
}

const char *
dn__race_mode_name(dn__race_mode m)
{
	return (unsigned)m < DN__ARRLEN(mode_names) ? mode_names[m] : "?";
}

const char *
dn__race_order_name(dn__race_order o)
{
	return (unsigned)o < DN__ARRLEN(order_names) ? order_names[o] : "?";
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */
/* ------------------------------------------------------------------ */

/* Builds a sentence from items; one that would not fit ends it with
 * ", ..." so that the reader knows the list goes on. */
struct sb {
	char *buf;
	size_t len, off;
	int full;
};

#define SB_TAIL	sizeof(", ...")

__attribute__((format(printf, 2, 3)))
static void
sb_add(struct sb *b, const char *fmt, ...)
{
	char tmp[sizeof(((dn_error *)0)->msg)];
	va_list ap;
	size_t n;

	if (b->full)
		return;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	n = strlen(tmp);
	if (b->off + n + SB_TAIL > b->len) {
		b->full = 1;
		snprintf(b->buf + b->off, b->len - b->off, ", ...");
		return;
	}
	memcpy(b->buf + b->off, tmp, n + 1);
	b->off += n;
}

static const char *
host_of(const dn__race *r)
{
	return r->host[0] != '\0' ? r->host : "the host";
}

static const char *
fmt_secs(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%03llus", (unsigned long long)(ns / 1000000000u),
	    (unsigned long long)(ns / 1000000u % 1000u));
	return buf;
}

/* "[2001:db8::1]:80 connection refused (+0.003s), 192.0.2.1:80 ..." */
static void
sb_attempts(struct sb *b, const dn__race *r)
{
	char a[DN_ADDR_STRLEN], t[32];
	const dn__race_attempt *at;
	size_t i;

	for (i = 0; i < r->natt; i++) {
		at = &r->att[i];
		dn_addr_format(&at->addr, a, sizeof(a));
		if (at->state == DN__ATTEMPT_RUNNING)
			sb_add(b, "%s%s still connecting", i ? ", " : "", a);
		else
			sb_add(b, "%s%s %s (+%s)", i ? ", " : "", a,
			    dn_strerror(at->err.code),
			    fmt_secs(at->ended, t, sizeof(t)));
	}
}

/* ------------------------------------------------------------------ */
/* Actions                                                            */
/* ------------------------------------------------------------------ */

static void
push(dn__race *r, dn__race_action_kind kind, int family, unsigned id)
{
	struct qact *q;

	if (r->aqlen == 0)
		r->aqhead = 0;
	/*
	 * ensure_room() reserves a slot for every action an address can
	 * cause before the address is taken, so this never grows; a library
	 * does not abort() on its caller, so a broken invariant grows the
	 * queue instead, and only a failed allocation on top of it loses
	 * the action.
	 */
	if (r->aqhead + r->aqlen >= r->aqcap) {
		if ((q = reallocarray(r->aq, r->aqcap * 2, sizeof(*q))) == NULL)
			return;
		r->aq = q;
		r->aqcap *= 2;
	}
	q = &r->aq[r->aqhead + r->aqlen++];
	q->kind = kind;
	q->family = family;
	q->id = id;
}

static int
ensure_room(dn__race *r, size_t nents)
{
	struct ent *e;
	dn__race_attempt *a;
	struct qact *q;
	size_t need;

	if (nents > r->entcap) {
		if ((e = reallocarray(r->ents, nents, sizeof(*e))) == NULL)
			return -1;
		r->ents = e;
		r->entcap = nents;
	}
	if (nents > r->attcap) {
		if ((a = reallocarray(r->att, nents, sizeof(*a))) == NULL)
			return -1;
		r->att = a;
		r->attcap = nents;
	}
	need = 2 * nents + 8;
	if (need > r->aqcap) {
		if ((q = reallocarray(r->aq, need, sizeof(*q))) == NULL)
			return -1;
		r->aq = q;
		r->aqcap = need;
	}
	return 0;
}

static void
end_attempt(dn__race *r, dn__race_attempt *a, dn__race_attempt_state st)
{
	a->state = st;
	a->ended = r->now - r->t0;
	r->inflight--;
}

/* Closes what is in flight, then queues the final action. */
static void
finish(dn__race *r, dn__race_action_kind final, unsigned winner,
    dn_err why, const char *reason)
{
	char a[DN_ADDR_STRLEN], w[DN_ADDR_STRLEN];
	dn__race_attempt *at;
	size_t i;
	int f;

	if (winner != 0)
		dn_addr_format(&r->att[winner - 1].addr, w, sizeof(w));
	for (i = 0; i < r->natt; i++) {
		at = &r->att[i];
		if (at->state != DN__ATTEMPT_RUNNING)
			continue;
		dn_addr_format(&at->addr, a, sizeof(a));
		end_attempt(r, at, DN__ATTEMPT_CANCELED);
		if (winner != 0)
			dn__err(&at->err, why, 0, "%s was closed: %s connected "
			    "first", a, w);
		else
			dn__err(&at->err, why, 0, "%s %s", a, reason);
		push(r, DN__RACE_CANCEL_ATTEMPT, 0, at->id);
	}
	for (f = F6; f <= F4; f++)
		if (r->q[f].state == Q_PENDING) {
			r->q[f].state = Q_EMPTY;
			dn__err(&r->q[f].err, DN_ECANCELED, 0,
			    "the %s query was cancelled", rr_name(f));
			push(r, DN__RACE_CANCEL_QUERY, af_of(f), 0);
		}
	push(r, final, 0, winner);
	r->decided = 1;
}

static void
fail_nomem(dn__race *r)
{
	dn__err(&r->final, DN_ENOMEM, ENOMEM,
	    "out of memory while racing connections to %s", host_of(r));
	finish(r, DN__RACE_FAILED, 0, DN_ECANCELED,
	    "was closed: out of memory");
}

dn_err
dn__race_failure_code(const dn__race_attempt *a, size_t n)
{
	int refused = 0, unreach = 0, other = 0, timedout = 0;
	dn_err first = DN_OK, c;
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i].state != DN__ATTEMPT_FAILED &&
		    a[i].state != DN__ATTEMPT_CANCELED)
			continue;
		c = a[i].err.code;
		if (c == DN_EREFUSED)
			refused++;
		else if (c == DN_EUNREACH)
			unreach++;
		else if (c == DN_ETIMEDOUT)
			timedout++;
		else if (dn_err_kind_of(c) == DN_KIND_NETWORK)
			other++;
		else if (first == DN_OK)
			first = c;
	}
	if (refused)
		return DN_EREFUSED;
	if (unreach)
		return DN_EUNREACH;
	if (other)
		return DN_ECONNECT;
	if (timedout)
		return DN_ETIMEDOUT;
	return first != DN_OK ? first : DN_ECONNECT;
}

/* Every attempt failed and nothing more can come. */
static void
fail_all_tried(dn__race *r)
{
	struct sb b = { r->final.msg, sizeof(r->final.msg), 0, 0 };
	int f;

	r->final.code = dn__race_failure_code(r->att, r->natt);
	r->final.os_errno = 0;
	r->final.msg[0] = '\0';
	sb_add(&b, "no connection to %s: ", host_of(r));
	sb_attempts(&b, r);
	/* a family that did not resolve is part of the story */
	for (f = F6; f <= F4; f++)
		if (r->q[f].state == Q_EMPTY)
			sb_add(&b, " (%s: %s)", rr_name(f),
			    dn_strerror(r->q[f].err.code));
	finish(r, DN__RACE_FAILED, 0, DN_ECANCELED, "was closed");
}

/*
 * No address at all. The most telling answer wins: NXDOMAIN is the
 * authority saying the name does not exist; a server failure or timeout
 * means records may exist, which NODATA would hide.
 */
static void
fail_unresolved(dn__race *r)
{
	static const dn_err rank[] = { DN_ENONAME, DN_ESERVFAIL,
		DN_EDNSTIMEOUT, DN_ENODATA };
	struct sb b = { r->final.msg, sizeof(r->final.msg), 0, 0 };
	dn_err code = DN_OK;
	size_t i;
	int f, n = 0;

	for (i = 0; i < DN__ARRLEN(rank) && code == DN_OK; i++)
		for (f = F6; f <= F4; f++)
			if (r->q[f].state == Q_EMPTY &&
			    r->q[f].err.code == rank[i])
				code = rank[i];
	if (code == DN_OK)
		for (f = F4; f >= F6; f--)
			if (r->q[f].state == Q_EMPTY)
				code = r->q[f].err.code;
	r->final.code = code != DN_OK ? code : DN_ENODATA;
	r->final.os_errno = 0;
	r->final.msg[0] = '\0';
	sb_add(&b, "%s did not resolve (", host_of(r));
	for (f = F6; f <= F4; f++)
		if (r->q[f].state == Q_EMPTY)
			sb_add(&b, "%s%s: %s", n++ ? ", " : "", rr_name(f),
			    r->q[f].err.msg);
	sb_add(&b, ")");
	finish(r, DN__RACE_FAILED, 0, DN_ECANCELED, "was closed");
}

static void
fail_timeout(dn__race *r)
{
	struct sb b = { r->final.msg, sizeof(r->final.msg), 0, 0 };
	char t[32];

	r->final.code = DN_ETIMEDOUT;
	r->final.os_errno = 0;
	r->final.msg[0] = '\0';
	sb_add(&b, "no connection to %s within %s", host_of(r),
	    fmt_secs(r->p.timeout, t, sizeof(t)));
	if (r->natt == 0)
		sb_add(&b, ": still resolving");
	else {
		sb_add(&b, ": ");
		sb_attempts(&b, r);
	}
	/* the attempts are closed after the message, which says "still
	 * connecting" for those the timeout cut short */
	finish(r, DN__RACE_FAILED, 0, DN_ETIMEDOUT,
	    "was still connecting when the overall timeout expired");
}

/* ------------------------------------------------------------------ */
/* Ordering (RFC 8305 §4)                                             */
/* ------------------------------------------------------------------ */

/* (family, arrival) order: IPv6 first, as RFC 6724's default policy ranks
 * global addresses (precedence 40 > 35); the sort hook refines it. */
static int
ent_cmp_default(const void *x, const void *y)
{
	const struct ent *a = *(const struct ent *const *)x;
	const struct ent *b = *(const struct ent *const *)y;

	if (a->fam != b->fam)
		return a->fam - b->fam;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
addr_same(const dn_addr *a, const dn_addr *b)
{
	return dn_addr_equal(a, b);
}

/* Ranks every address not yet tried. -1 on no memory. */
static int
rerank(dn__race *r)
{
	struct ent **v = NULL;
	dn_addr *sorted = NULL;
	size_t i, j, n = 0;
	int rv = -1;

	if (r->nents == 0)
		return 0;
	if ((v = calloc(r->nents, sizeof(*v))) == NULL ||
	    (sorted = calloc(r->nents, sizeof(*sorted))) == NULL)
		goto done;
	for (i = 0; i < r->nents; i++)
		if (!r->ents[i].taken)
			v[n++] = &r->ents[i];
	qsort(v, n, sizeof(*v), ent_cmp_default);
	if (r->p.sort != NULL && r->p.order != DN__RACE_RESOLVER && n > 1) {
		for (i = 0; i < n; i++)
			sorted[i] = v[i]->addr;
		r->p.sort(sorted, n, r->p.sort_arg);
		/* addresses are unique (see add_answer), so each sorted one
		 * names exactly one entry */
		for (i = 0; i < n; i++)
			v[i]->rank = UINT32_MAX;
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (v[j]->rank == UINT32_MAX &&
				    addr_same(&v[j]->addr, &sorted[i])) {
					v[j]->rank = (unsigned)i;
					break;
				}
		/* a hook that lost or changed one: keep it, last */
		for (i = 0; i < n; i++)
			if (v[i]->rank == UINT32_MAX)
				v[i]->rank = (unsigned)(n + i);
	} else
		for (i = 0; i < n; i++)
			v[i]->rank = (unsigned)i;
	rv = 0;
done:
	free(v);
	free(sorted);
	return rv;
}

/* The best untried address of family fam (-1: either), or NULL. */
static struct ent *
best_of(dn__race *r, int fam)
{
	struct ent *best = NULL, *e;
	size_t i;

	for (i = 0; i < r->nents; i++) {
		e = &r->ents[i];
		if (e->taken || (fam != -1 && e->fam != fam))
			continue;
		if (r->p.order == DN__RACE_RESOLVER) {
			if (best == NULL || e->seq < best->seq)
				best = e;
		} else if (best == NULL || e->rank < best->rank)
			best = e;
	}
	return best;
}

/* The next address to try, or NULL when none is left for now. */
static struct ent *
next_addr(dn__race *r)
{
	struct ent *e = NULL;
	int want;

	switch (r->p.order) {
	case DN__RACE_RESOLVER:
		e = best_of(r, -1);
		break;
	case DN__RACE_V6_FIRST:
		if ((e = best_of(r, F6)) == NULL)
			e = best_of(r, F4);
		break;
	case DN__RACE_V4_FIRST:
		if ((e = best_of(r, F4)) == NULL)
			e = best_of(r, F6);
		break;
	case DN__RACE_INTERLEAVE:
		/* §4: the first family is that of the first sorted address;
		 * First Address Family Count of it, then one of each in
		 * turn. A family that has run dry (or not answered yet)
		 * gives its turn away; a late answer takes the next turn,
		 * which is its interleaved place (§3). */
		if (r->first_fam == -1) {
			if ((e = best_of(r, -1)) == NULL)
				return NULL;
			r->first_fam = e->fam;
		}
		if (r->ntaken < r->p.first_family_count)
			want = r->first_fam;
		else
			want = r->last_fam == F6 ? F4 : F6;
		if ((e = best_of(r, want)) == NULL)
			e = best_of(r, want == F6 ? F4 : F6);
		break;
	}
	return e;
}

/* ------------------------------------------------------------------ */
/* The race                                                           */
/* ------------------------------------------------------------------ */

dn__race *
dn__race_new(const dn__race_policy *p, const char *host, uint64_t now,
    dn_error *err)
{
	dn__race *r;

	if (dn__race_policy_check(p, err) == -1)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->aq = calloc(8, sizeof(*r->aq))) == NULL) {
		free(r);
		dn__err(err, DN_ENOMEM, errno,
		    "out of memory for a connection race");
		return NULL;
	}
	r->aqcap = 8;
	r->p = *p;
	if (host != NULL)
		strlcpy(r->host, host, sizeof(r->host));
	r->t0 = r->now = now;
	r->first_fam = r->last_fam = -1;
	/* RFC 8305 §3: both queries at once, "the AAAA query first" */
	if (p->family != AF_INET) {
		r->q[F6].state = Q_PENDING;
		push(r, DN__RACE_QUERY, AF_INET6, 0);
	}
	if (p->family != AF_INET6) {
		r->q[F4].state = Q_PENDING;
		push(r, DN__RACE_QUERY, AF_INET, 0);
	}
	return r;
}

void
dn__race_free(dn__race *r)
{
	if (r == NULL)
		return;
	free(r->ents);
	free(r->att);
	free(r->aq);
	free(r);
}

/* Time only goes forward: a caller's clock going back is read as "no
 * time passed". */
static uint64_t
tick(dn__race *r, uint64_t now)
{
	if (now > r->now)
		r->now = now;
	return r->now;
}

/*
 * The family whose answer starts the race at once (§3 names AAAA); with
 * v4-first the user asked IPv4 to lead, so an AAAA answer waits for A.
 */
static int
pref_fam(const dn__race *r)
{
	return r->p.order == DN__RACE_V4_FIRST ? F4 : F6;
}

static int
query_takes(dn__race *r, int family)
{
	int f = fam_of(family);

	return !r->decided && f != -1 && r->q[f].state == Q_PENDING ? f : -1;
}

static void
answer_empty(dn__race *r, int f, dn_err code, const char *msg)
{
	r->q[f].state = Q_EMPTY;
	if (msg != NULL && *msg != '\0')
		dn__err(&r->q[f].err, code, 0, "%s", msg);
	else
		dn__err(&r->q[f].err, code, 0, "%s", dn_strerror(code));
}

int
dn__race_holds(const dn__race *r, const dn_addr *a)
{
	size_t j;

	for (j = 0; j < r->nents; j++)
		if (addr_same(&r->ents[j].addr, a))
			return 1;
	return 0;
}

int
dn__race_on_answer(dn__race *r, uint64_t now, int family,
    const dn_addr *addrs, size_t n)
{
	struct ent *e;
	size_t i, old;
	int f;

	if ((f = query_takes(r, family)) == -1)
		return -1;
	tick(r, now);
	if (n > SIZE_MAX / 4 - r->nents || ensure_room(r, r->nents + n) == -1) {
		fail_nomem(r);
		return 0;
	}
	old = r->nents;
	for (i = 0; addrs != NULL && i < n; i++) {
		/* only the family asked for; a resolver may repeat itself
		 * (RFC 8305 §7: a synthesised IPv6 address stands in for
		 * the IPv4 one it embeds, in its place) */
		if (dn_addr_family(&addrs[i]) != family &&
		    !(r->p.nat64 && family == AF_INET &&
		    dn_addr_family(&addrs[i]) == AF_INET6))
			continue;
		if (dn__race_holds(r, &addrs[i]))
			continue;
		e = &r->ents[r->nents++];
		memset(e, 0, sizeof(*e));
		e->addr = addrs[i];
		e->fam = f;
		e->seq = r->seq++;
	}
	if (r->nents == old) {
		answer_empty(r, f, DN_ENODATA, "empty answer");
		return 0;
	}
	r->q[f].state = Q_OK;
	if (rerank(r) == -1) {
		fail_nomem(r);
		return 0;
	}
	/* RFC 8305 §3: an A answer first waits Resolution Delay for AAAA;
	 * with v4-first the roles of the families swap */
	if (f != pref_fam(r) && r->q[pref_fam(r)].state == Q_PENDING)
		r->res_deadline = add_sat(r->now, r->p.resolution_delay);
	return 0;
}

int
dn__race_on_answer_error(dn__race *r, uint64_t now, int family, dn_err code,
    const char *msg)
{
	int f;

	if ((f = query_takes(r, family)) == -1)
		return -1;
	tick(r, now);
	answer_empty(r, f, code, msg);
	return 0;
}

static dn__race_attempt *
running(dn__race *r, unsigned id)
{
	if (r->decided || id == 0 || id > r->natt ||
	    r->att[id - 1].state != DN__ATTEMPT_RUNNING)
		return NULL;
	return &r->att[id - 1];
}

int
dn__race_on_attempt_failed(dn__race *r, uint64_t now, unsigned id,
    const dn_error *err)
{
	dn__race_attempt *a;
	char s[DN_ADDR_STRLEN];

	if ((a = running(r, id)) == NULL)
		return -1;
	tick(r, now);
	end_attempt(r, a, DN__ATTEMPT_FAILED);
	if (err != NULL)
		dn__err_copy(&a->err, err);
	else
		dn__err(&a->err, DN_ECONNECT, 0, "connection to %s failed",
		    dn_addr_format(&a->addr, s, sizeof(s)));
	/* §5: a failure starts the next attempt at once */
	r->next_start = r->now;
	return 0;
}

int
dn__race_on_attempt_connected(dn__race *r, uint64_t now, unsigned id)
{
	dn__race_attempt *a;

	if ((a = running(r, id)) == NULL)
		return -1;
	tick(r, now);
	end_attempt(r, a, DN__ATTEMPT_WON);
	/* §5: "once one of the connection attempts succeeds ... all other
	 * connections attempts that have not yet succeeded SHOULD be
	 * canceled" */
	finish(r, DN__RACE_WON, id, DN_ECANCELED, NULL);
	return 0;
}

int
dn__race_on_cancel(dn__race *r, uint64_t now)
{
	if (r->decided)
		return -1;
	tick(r, now);
	dn__err(&r->final, DN_ECANCELED, 0, "connection to %s cancelled",
	    host_of(r));
	finish(r, DN__RACE_FAILED, 0, DN_ECANCELED,
	    "was closed: the race was cancelled");
	return 0;
}

static int
untried_left(const dn__race *r)
{
	size_t i;

	for (i = 0; i < r->nents; i++)
		if (!r->ents[i].taken)
			return 1;
	return 0;
}

static int
slot_free(const dn__race *r)
{
	if (r->p.race == DN__RACE_SERIAL)
		return r->inflight == 0;
	return r->p.max_concurrent == 0 || r->inflight < r->p.max_concurrent;
}

static int
query_pending(const dn__race *r)
{
	return r->q[F6].state == Q_PENDING || r->q[F4].state == Q_PENDING;
}

static void
start_one(dn__race *r, struct ent *e)
{
	dn__race_attempt *a = &r->att[r->natt++];

	e->taken = 1;
	r->ntaken++;
	r->last_fam = e->fam;
	memset(a, 0, sizeof(*a));
	a->id = (unsigned)r->natt;
	a->addr = e->addr;
	a->state = DN__ATTEMPT_RUNNING;
	a->started = r->now - r->t0;
	a->ended = DN__RACE_NEVER;
	r->inflight++;
	if (r->p.race == DN__RACE_STAGGERED)
		r->next_start = add_sat(r->now, r->p.attempt_delay);
	push(r, DN__RACE_START, 0, a->id);
}

/*
 * Everything that is due at now, in a fixed order so that equal deadlines
 * give the same result every time: the overall timeout first (nothing
 * starts at the instant everything stops), then attempt timeouts by id
 * (they free slots), then the end of the resolution wait, then starts.
 */
static void
advance(dn__race *r)
{
	uint64_t now = r->now;
	dn__race_attempt *a;
	char s[DN_ADDR_STRLEN], t[32];
	struct ent *e;
	size_t i;

	if (r->decided)
		return;
	if (r->p.timeout != 0 && now >= add_sat(r->t0, r->p.timeout)) {
		fail_timeout(r);
		return;
	}
	for (i = 0; r->p.attempt_timeout != 0 && i < r->natt; i++) {
		a = &r->att[i];
		if (a->state != DN__ATTEMPT_RUNNING || now <
		    add_sat(r->t0 + a->started, r->p.attempt_timeout))
			continue;
		end_attempt(r, a, DN__ATTEMPT_FAILED);
		dn__err(&a->err, DN_ETIMEDOUT, 0, "%s did not answer within "
		    "%s (attempt timeout)",
		    dn_addr_format(&a->addr, s, sizeof(s)),
		    fmt_secs(r->p.attempt_timeout, t, sizeof(t)));
		push(r, DN__RACE_CANCEL_ATTEMPT, 0, a->id);
		r->next_start = now;
	}
	if (!r->started) {
		/* §3: AAAA first starts at once; A first waits Resolution
		 * Delay for AAAA, or less if AAAA fails (a negative answer
		 * means go on with IPv4) */
		int pf = pref_fam(r), of = pf == F6 ? F4 : F6;

		if (r->q[pf].state == Q_OK)
			r->started = 1;
		else if (r->q[of].state == Q_OK &&
		    (r->q[pf].state != Q_PENDING || now >= r->res_deadline))
			r->started = 1;
		else if (!query_pending(r)) {
			fail_unresolved(r);
			return;
		}
	}
	if (!r->started)
		return;
	while (slot_free(r) && (r->p.race != DN__RACE_STAGGERED ||
	    now >= r->next_start) && (e = next_addr(r)) != NULL)
		start_one(r, e);
	if (r->inflight == 0 && !untried_left(r) && !query_pending(r))
		fail_all_tried(r);
}

static uint64_t
wakeup(const dn__race *r)
{
	uint64_t w = DN__RACE_NEVER, d;
	size_t i;

	if (r->decided)
		return w;
	if (r->p.timeout != 0)
		w = add_sat(r->t0, r->p.timeout);
	for (i = 0; r->p.attempt_timeout != 0 && i < r->natt; i++)
		if (r->att[i].state == DN__ATTEMPT_RUNNING) {
			d = add_sat(r->t0 + r->att[i].started,
			    r->p.attempt_timeout);
			if (d < w)
				w = d;
		}
	if (!r->started && r->q[pref_fam(r) == F6 ? F4 : F6].state == Q_OK &&
	    r->q[pref_fam(r)].state == Q_PENDING && r->res_deadline < w)
		w = r->res_deadline;
	if (r->started && r->p.race == DN__RACE_STAGGERED && slot_free(r) &&
	    r->next_start < w) {
		/* only when there is something left to start */
		if (untried_left(r))
			w = r->next_start;
	}
	return w;
}

dn__race_action_kind
dn__race_next_action(dn__race *r, uint64_t now, dn__race_action *out)
{
	struct qact *q;

	memset(out, 0, sizeof(*out));
	out->kind = DN__RACE_NONE;
	out->wakeup_at = DN__RACE_NEVER;
	if (r == NULL || r->finished)
		return DN__RACE_NONE;
	tick(r, now);
	if (r->aqlen == 0)
		advance(r);
	if (r->aqlen == 0) {
		out->wakeup_at = wakeup(r);
		return DN__RACE_NONE;
	}
	q = &r->aq[r->aqhead++];
	r->aqlen--;
	out->kind = q->kind;
	out->family = q->family;
	out->id = q->id;
	switch (q->kind) {
	case DN__RACE_START:
	case DN__RACE_WON:
		out->addr = &r->att[q->id - 1].addr;
		break;
	case DN__RACE_CANCEL_ATTEMPT:
		out->addr = &r->att[q->id - 1].addr;
		out->err = &r->att[q->id - 1].err;
		break;
	case DN__RACE_FAILED:
		out->err = &r->final;
		break;
	default:
		break;
	}
	if (q->kind == DN__RACE_WON || q->kind == DN__RACE_FAILED)
		r->finished = 1;
	return out->kind;
}

int
dn__race_done(const dn__race *r)
{
	return r != NULL && r->finished;
}

const dn__race_attempt *
dn__race_attempts(const dn__race *r, size_t *n)
{
	*n = r != NULL ? r->natt : 0;
	return r != NULL ? r->att : NULL;
}

/* ------------------------------------------------------------------ */
/* The plan (dnconnect --plan)                                        */
/* ------------------------------------------------------------------ */

int
dn__race_plan(const dn__race_policy *p, const dn_addr *v6, size_t n6,
    const dn_addr *v4, size_t n4, dn__race_plan_entry **out, size_t *nout,
    dn_error *err)
{
	dn__race_plan_entry *pl = NULL;
	dn__race_action act;
	dn__race *r = NULL;
	struct ent *e;
	uint64_t now = 0;
	size_t n = 0, cap, steps, maxsteps;
	int rv = -1;

	if ((r = dn__race_new(p, NULL, now, err)) == NULL)
		goto done;
	if (n6 > SIZE_MAX / 8 - n4) {
		dn__err(err, DN_ERANGE, 0, "too many addresses to plan");
		goto done;
	}
	cap = n6 + n4 + 1;
	if ((pl = calloc(cap, sizeof(*pl))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for the plan");
		goto done;
	}
	/* both answers at t=0, AAAA first; the race ignores a family the
	 * policy filters out */
	if (n6 > 0)
		dn__race_on_answer(r, now, AF_INET6, v6, n6);
	else
		dn__race_on_answer_error(r, now, AF_INET6, DN_ENODATA, NULL);
	if (n4 > 0)
		dn__race_on_answer(r, now, AF_INET, v4, n4);
	else
		dn__race_on_answer_error(r, now, AF_INET, DN_ENODATA, NULL);
	/* each address: one start and one timeout; plus the queries and
	 * the end; each NONE moves the clock to a later deadline */
	maxsteps = 4 * (n6 + n4) + 16;
	for (steps = 0; steps < maxsteps; steps++) {
		switch (dn__race_next_action(r, now, &act)) {
		case DN__RACE_START:
			if (n < cap) {
				pl[n].addr = *act.addr;
				pl[n++].start = now;
			}
			continue;
		case DN__RACE_NONE:
			if (act.wakeup_at == DN__RACE_NEVER)
				break;
			now = act.wakeup_at;
			continue;
		case DN__RACE_FAILED:
		case DN__RACE_WON:
			break;
		default:
			continue;
		}
		break;
	}
	/* what is left waits on an attempt that never ends, or comes after
	 * the overall timeout: in the order the race would take it */
	while (n < cap && (e = next_addr(r)) != NULL) {
		e->taken = 1;
		r->ntaken++;
		r->last_fam = e->fam;
		pl[n].addr = e->addr;
		pl[n++].start = DN__RACE_NEVER;
	}
	*out = pl;
	*nout = n;
	pl = NULL;
	rv = 0;
done:
	free(pl);
	dn__race_free(r);
	return rv;
}
