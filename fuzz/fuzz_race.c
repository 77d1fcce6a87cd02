/*
 * fuzz_race.c - the RFC 8305 racing scheduler (race.c) fed a policy and a
 * sequence of events decoded from the input: answers, failures,
 * connections, cancels and the clock. A model of what the caller knows
 * checks every action: each event is taken exactly when the race can want
 * it; attempts start in the order the policy says, within its slots and
 * delays, never after the winner; every attempt and query is closed once;
 * nothing due is left waiting; and there is exactly one outcome.
 *
 * Input: 9 policy bytes, then events of one opcode byte and its operands;
 * a missing byte reads as 0. At the end every query and attempt still
 * open is failed, and the race must come to its outcome on its own.
 */
#include "config.h"

#include <arpa/inet.h>

#include "fuzz.h"
#include "race.h"

#define MS		DN__RACE_MS
#define T0		MS(1000000)	/* not 0: absolute and relative differ */
#define MAX_ADDRS	64
#define MAX_EVENTS	256

enum { Q_OFF, Q_PENDING, Q_DONE };
enum { SORT_NONE, SORT_REVERSE, SORT_RFC6724 };

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned
u8(struct rd *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* What the caller knows; the race is checked against it. */
struct model {
	dn__race_policy p;
	int sort;
	dn__race *r;
	uint64_t now, wakeup;

	int q[2];		/* [0] AAAA, [1] A: Q_OFF, Q_PENDING, Q_DONE */
	int q_ok[2];		/* answered with an address */
	uint64_t other_ok_at;	/* non-preferred family answered first */

	struct {
		dn_addr a;
		int f;		/* 0 IPv6, 1 IPv4 */
		unsigned seq;
		int taken;
	} ent[MAX_ADDRS];
	size_t nent;
	unsigned seq;

	struct {
		dn_addr a;
		int open;
		uint64_t started;
	} att[MAX_ADDRS];
	size_t natt;
	unsigned running;

	int ntaken;		/* §4: starts so far */
	int first_f, last_f;
	uint64_t last_start;
	int failed_since;	/* a failure since the last start (§5) */
	unsigned winner;	/* connected and taken: the WON to come */
	int cancelled;
	int finals;
	int started;		/* §3: the wait for answers is over */
};

static int
fam_i(int family)
{
	return family == AF_INET6 ? 0 : 1;
}

/* The preferred family: IPv6 but with v4-first (§3). */
static int
pref_f(const struct model *m)
{
	return m->p.order == DN__RACE_V4_FIRST ? 1 : 0;
}

static dn_addr
mkaddr(unsigned b)
{
	dn_addr a;

	memset(&a, 0, sizeof(a));
	if (b & 0x80) {
		a.u.sin.sin_family = AF_INET;
		a.u.sin.sin_port = htons(443);
		a.u.sin.sin_addr.s_addr = htonl(0xc0000200u | (b & 0x3f));
		a.len = sizeof(a.u.sin);
	} else {
		a.u.sin6.sin6_family = AF_INET6;
		a.u.sin6.sin6_port = htons(443);
		/* 2001:db8::X, or fe80::X on link 1 */
		a.u.sin6.sin6_addr.s6_addr[0] = (b & 0x40) ? 0xfe : 0x20;
		a.u.sin6.sin6_addr.s6_addr[1] = (b & 0x40) ? 0x80 : 0x01;
		if (!(b & 0x40)) {
			a.u.sin6.sin6_addr.s6_addr[2] = 0x0d;
			a.u.sin6.sin6_addr.s6_addr[3] = 0xb8;
		} else
			a.u.sin6.sin6_scope_id = 1;
		a.u.sin6.sin6_addr.s6_addr[15] = (uint8_t)(b & 0x3f);
		a.len = sizeof(a.u.sin6);
	}
	return a;
}

/* The sort hooks: the reverse of the order given, or RFC 6724 with a
 * source for half of the destinations. */
static void
sort_reverse(dn_addr *a, size_t n, void *arg)
{
	dn_addr t;
	size_t i;

	(void)arg;
	for (i = 0; i < n / 2; i++) {
		t = a[i];
		a[i] = a[n - 1 - i];
		a[n - 1 - i] = t;
	}
}

static int
fake_source(const dn_addr *dst, dn_addr *src, int *prefixlen, void *arg)
{
	const unsigned char *b = dn_addr_family(dst) == AF_INET6 ?
	    dst->u.sin6.sin6_addr.s6_addr + 15 :
	    (const unsigned char *)&dst->u.sin.sin_addr + 3;

	(void)arg;
	if (*b & 1)
		return -1;	/* no route */
	*src = *dst;
	if (dn_addr_family(dst) == AF_INET6)
		src->u.sin6.sin6_addr.s6_addr[14] ^= 0x55;
	*prefixlen = *b & 2 ? 64 : -1;
	return 0;
}

static dn__rfc6724_hook rfc_hook = { fake_source, NULL };

/* Whether x is preferred over y within what the policy compares. */
static int
better(const struct model *m, size_t x, size_t y)
{
	int kx = m->ent[x].f, ky = m->ent[y].f;

	if (m->p.order == DN__RACE_RESOLVER)
		return m->ent[x].seq < m->ent[y].seq;
	/* no hook: IPv6 first, then as received; the reverse hook turns
	 * that round */
	if (kx == ky)
		kx = (int)m->ent[x].seq, ky = (int)m->ent[y].seq;
	return m->sort == SORT_REVERSE ? kx > ky : kx < ky;
}

/* The best untried address of family f (-1: any), or -1. */
static long
best(const struct model *m, int f)
{
	long b = -1;
	size_t i;

	for (i = 0; i < m->nent; i++)
		if (!m->ent[i].taken && (f == -1 || m->ent[i].f == f) &&
		    (b == -1 || better(m, i, (size_t)b)))
			b = (long)i;
	return b;
}

/* The address the policy says comes next (RFC 8305 §4). */
static long
expected(struct model *m)
{
	long e;
	int want;

	switch (m->p.order) {
	case DN__RACE_RESOLVER:
		return best(m, -1);
	case DN__RACE_V6_FIRST:
		return (e = best(m, 0)) != -1 ? e : best(m, 1);
	case DN__RACE_V4_FIRST:
		return (e = best(m, 1)) != -1 ? e : best(m, 0);
	default:
		if (m->first_f == -1) {
			if ((e = best(m, -1)) == -1)
				return -1;
			m->first_f = m->ent[e].f;
		}
		want = m->ntaken < (int)m->p.first_family_count ? m->first_f :
		    !m->last_f;
		return (e = best(m, want)) != -1 ? e : best(m, !want);
	}
}

static long
find_ent(const struct model *m, const dn_addr *a)
{
	size_t i;

	for (i = 0; i < m->nent; i++)
		if (dn_addr_equal(&m->ent[i].a, a))
			return (long)i;
	return -1;
}

static int
untried(const struct model *m)
{
	size_t i;

	for (i = 0; i < m->nent; i++)
		if (!m->ent[i].taken)
			return 1;
	return 0;
}

static int
pending(const struct model *m)
{
	return m->q[0] == Q_PENDING || m->q[1] == Q_PENDING;
}

static int
slot_free(const struct model *m)
{
	if (m->p.race == DN__RACE_SERIAL)
		return m->running == 0;
	return m->p.max_concurrent == 0 || m->running < m->p.max_concurrent;
}

/* §5: staggered attempts wait the Connection Attempt Delay after a
 * start, unless one failed since. */
static int
delay_over(const struct model *m)
{
	return m->p.race != DN__RACE_STAGGERED || m->ntaken == 0 ||
	    m->failed_since || m->now >= m->last_start + m->p.attempt_delay;
}

static int
timed_out(const struct model *m)
{
	return m->p.timeout != 0 && m->now >= T0 + m->p.timeout;
}

/* §3: attempts begin on the preferred family's answer, or on the other's
 * once the preferred one failed or Resolution Delay passed. */
static void
update_started(struct model *m)
{
	int pf = pref_f(m), of = !pf;

	if (m->started)
		return;
	if (m->q_ok[pf] || (m->q_ok[of] && (m->q[pf] != Q_PENDING ||
	    m->now >= m->other_ok_at + m->p.resolution_delay)))
		m->started = 1;
}

static void
on_start(struct model *m, const dn__race_action *a)
{
	long e, want;

	FZ_CHECK(m->finals == 0 && m->winner == 0 && !m->cancelled,
	    "attempt %u started after the outcome was decided", a->id);
	FZ_CHECK(a->id == m->natt + 1 && a->addr != NULL, "attempt %u "
	    "started, expected id %zu", a->id, m->natt + 1);
	FZ_CHECK(!timed_out(m), "attempt %u started after the overall "
	    "timeout", a->id);
	FZ_CHECK(m->started, "attempt %u started before the answers allow "
	    "(RFC 8305 section 3)", a->id);
	FZ_CHECK(slot_free(m), "attempt %u started with %u running (%s, at "
	    "most %u)", a->id, m->running, dn__race_mode_name(m->p.race),
	    m->p.max_concurrent);
	FZ_CHECK(delay_over(m), "attempt %u started %llu ns after the last, "
	    "before the attempt delay", a->id,
	    (unsigned long long)(m->now - m->last_start));
	e = find_ent(m, a->addr);
	FZ_CHECK(e != -1 && !m->ent[e].taken, "attempt %u to an address not "
	    "answered, or tried before", a->id);
	want = expected(m);
	if (m->sort != SORT_RFC6724)
		FZ_CHECK(e == want, "attempt %u: address %ld started, the "
		    "policy (%s, %s, first family count %u) says %ld", a->id, e,
		    dn__race_mode_name(m->p.race),
		    dn__race_order_name(m->p.order), m->p.first_family_count,
		    want);
	else if (m->first_f == -1)
		m->first_f = m->ent[e].f;
	m->ent[e].taken = 1;
	m->att[m->natt].a = m->ent[e].a;
	m->att[m->natt].open = 1;
	m->att[m->natt].started = m->now;
	m->natt++;
	m->running++;
	m->ntaken++;
	m->last_f = m->ent[e].f;
	m->last_start = m->now;
	m->failed_since = 0;
}

static void
on_cancel_attempt(struct model *m, const dn__race_action *a)
{
	FZ_CHECK(a->id >= 1 && a->id <= m->natt && m->att[a->id - 1].open,
	    "attempt %u closed, but it is not open", a->id);
	FZ_CHECK(a->err != NULL && (a->err->code == DN_ETIMEDOUT ||
	    a->err->code == DN_ECANCELED) && a->err->msg[0] != '\0',
	    "attempt %u closed without a reason", a->id);
	FZ_CHECK(a->id != m->winner, "the winner %u was closed", a->id);
	m->att[a->id - 1].open = 0;
	m->running--;
	/* an attempt timeout frees its slot at once (§5) */
	if (m->winner == 0 && !m->cancelled && !timed_out(m)) {
		FZ_CHECK(m->p.attempt_timeout != 0 && m->now >=
		    m->att[a->id - 1].started + m->p.attempt_timeout &&
		    a->err->code == DN_ETIMEDOUT, "attempt %u closed before "
		    "its timeout, or not as timed out", a->id);
		m->failed_since = 1;
	}
}

/* Hands out every action due now, checking each. */
static void
drain(struct model *m)
{
	dn__race_action a;
	size_t i;
	int guard, f;

	update_started(m);
	for (guard = 0; guard < 4 * MAX_ADDRS + 16; guard++) {
		switch (dn__race_next_action(m->r, m->now, &a)) {
		case DN__RACE_NONE:
			m->wakeup = a.wakeup_at;
			goto idle;
		case DN__RACE_QUERY:
			FZ_CHECK(0, "a query asked for after the start");
			break;
		case DN__RACE_CANCEL_QUERY:
			f = fam_i(a.family);
			FZ_CHECK(m->q[f] == Q_PENDING, "query %d cancelled, but "
			    "it is not pending", a.family);
			m->q[f] = Q_DONE;
			break;
		case DN__RACE_START:
			on_start(m, &a);
			break;
		case DN__RACE_CANCEL_ATTEMPT:
			on_cancel_attempt(m, &a);
			break;
		case DN__RACE_WON:
			FZ_CHECK(m->finals == 0, "a second outcome");
			FZ_CHECK(m->winner != 0 && a.id == m->winner, "attempt %u "
			    "won, but %u connected", a.id, m->winner);
			m->finals++;
			break;
		case DN__RACE_FAILED:
			FZ_CHECK(m->finals == 0, "a second outcome");
			FZ_CHECK(m->winner == 0, "failed after attempt %u "
			    "connected", m->winner);
			FZ_CHECK(a.err != NULL && a.err->code != DN_OK &&
			    a.err->msg[0] != '\0' &&
			    strpbrk(a.err->msg, "\n\r") == NULL, "failed "
			    "without one sentence");
			FZ_CHECK(!m->cancelled || a.err->code == DN_ECANCELED,
			    "cancelled, but failed with %s",
			    dn_err_name(a.err->code));
			m->finals++;
			break;
		}
		if (m->finals) {
			/* the outcome closes all: nothing is left open but
			 * the winner */
			for (i = 0; i < m->natt; i++)
				FZ_CHECK(!m->att[i].open || i + 1 == m->winner,
				    "attempt %zu left open after the outcome",
				    i + 1);
			FZ_CHECK(!pending(m), "a query left pending after the "
			    "outcome");
		}
	}
	FZ_CHECK(0, "the race hands out actions without end");
idle:
	if (m->finals) {
		FZ_CHECK(m->wakeup == DN__RACE_NEVER, "a wakeup after the "
		    "outcome");
		return;
	}
	FZ_CHECK(m->winner == 0 && !m->cancelled, "no outcome after a "
	    "connection or a cancel");
	FZ_CHECK(m->wakeup > m->now, "wakeup %llu is not after now %llu: the "
	    "caller would spin", (unsigned long long)m->wakeup,
	    (unsigned long long)m->now);
	FZ_CHECK(!timed_out(m), "the overall timeout passed without an "
	    "outcome");
	for (i = 0; m->p.attempt_timeout != 0 && i < m->natt; i++)
		FZ_CHECK(!m->att[i].open || m->now < m->att[i].started +
		    m->p.attempt_timeout, "attempt %zu is past its timeout "
		    "but open", i + 1);
	/* waiting on nothing the caller owes: something must be due */
	if (!pending(m) && m->running == 0)
		FZ_CHECK(untried(m) && m->wakeup != DN__RACE_NEVER, "the race "
		    "waits for nothing and does not end");
	/* an address could start now: it must have */
	update_started(m);
	if (m->sort != SORT_RFC6724)
		FZ_CHECK(!(m->started && untried(m) && slot_free(m) &&
		    delay_over(m)), "idle with an address to start and room "
		    "for it");
}

/* Events return what the model expects: 0 taken, -1 not wanted. */
static void
expect_rv(int rv, int want, const char *what)
{
	FZ_CHECK(rv == (want ? 0 : -1), "%s returned %d, expected %d", what,
	    rv, want ? 0 : -1);
}

static void
answer(struct model *m, struct rd *in, int family)
{
	dn_addr a[8];
	size_t n = u8(in) % 9, i, j;
	int f = fam_i(family), want = m->q[f] == Q_PENDING && !m->finals &&
	    !m->winner && !m->cancelled, added = 0;

	for (i = 0; i < n; i++)
		a[i] = mkaddr(u8(in));
	expect_rv(dn__race_on_answer(m->r, m->now, family, a, n), want,
	    "an answer");
	if (!want)
		return;
	m->q[f] = Q_DONE;
	for (i = 0; i < n; i++) {
		/* only the family asked for, each address once */
		if (dn_addr_family(&a[i]) != family || find_ent(m, &a[i]) != -1)
			continue;
		j = m->nent++;
		m->ent[j].a = a[i];
		m->ent[j].f = f;
		m->ent[j].seq = m->seq++;
		m->ent[j].taken = 0;
		added = 1;
	}
	if (added) {
		m->q_ok[f] = 1;
		if (f != pref_f(m) && m->q[pref_f(m)] == Q_PENDING)
			m->other_ok_at = m->now;
	}
}

static unsigned
pick_id(const struct model *m, unsigned b)
{
	/* 0 and natt + 1 are ids the race never gave */
	return b % (unsigned)(m->natt + 2);
}

static int
open_id(const struct model *m, unsigned id)
{
	return id >= 1 && id <= m->natt && m->att[id - 1].open &&
	    !m->finals && !m->winner && !m->cancelled;
}

static void
fail_attempt(struct model *m, unsigned id, unsigned how)
{
	static const dn_err codes[] = { DN_EREFUSED, DN_EUNREACH,
		DN_ETIMEDOUT, DN_ECONNECT, DN_ELOCAL };
	dn_error e;
	int want = open_id(m, id);

	memset(&e, 0, sizeof(e));
	e.code = codes[how % FZ_ARRLEN(codes)];
	snprintf(e.msg, sizeof(e.msg), "attempt %u: %s", id,
	    dn_strerror(e.code));
	expect_rv(dn__race_on_attempt_failed(m->r, m->now, id,
	    how & 8 ? NULL : &e), want, "an attempt's failure");
	if (want) {
		m->att[id - 1].open = 0;
		m->running--;
		m->failed_since = 1;
	}
}

static void
step(struct model *m, struct rd *in)
{
	static const dn_err qerrs[] = { DN_ENODATA, DN_ENONAME, DN_ESERVFAIL,
		DN_EDNSTIMEOUT };
	unsigned op = u8(in) % 16, b, id;
	int f, want;

	switch (op) {
	case 0: case 1: case 2:		/* the clock, by up to 255 ms */
		m->now += MS(u8(in));
		break;
	case 3: case 4:			/* to the next deadline */
		if (m->wakeup != DN__RACE_NEVER && m->wakeup > m->now)
			m->now = m->wakeup;
		else
			m->now += MS(1000);
		break;
	case 5: case 6:
		answer(m, in, AF_INET6);
		break;
	case 7: case 8:
		answer(m, in, AF_INET);
		break;
	case 9:
		b = u8(in);
		f = b & 1;
		want = m->q[f] == Q_PENDING && !m->finals && !m->winner &&
		    !m->cancelled;
		expect_rv(dn__race_on_answer_error(m->r, m->now, f == 0 ?
		    AF_INET6 : AF_INET, qerrs[(b >> 1) % FZ_ARRLEN(qerrs)],
		    b & 0x10 ? "server said no" : NULL), want, "a failed "
		    "answer");
		if (want)
			m->q[f] = Q_DONE;
		break;
	case 10: case 11: case 12:
		b = u8(in);
		fail_attempt(m, pick_id(m, b), u8(in));
		break;
	case 13: case 14:
		id = pick_id(m, u8(in));
		want = open_id(m, id);
		expect_rv(dn__race_on_attempt_connected(m->r, m->now, id), want,
		    "a connection");
		if (want) {
			m->att[id - 1].open = 0;
			m->running--;
			m->winner = id;
		}
		break;
	case 15:
		want = !m->finals && !m->winner && !m->cancelled;
		expect_rv(dn__race_on_cancel(m->r, m->now), want, "a cancel");
		if (want)
			m->cancelled = 1;
		break;
	}
	drain(m);
}

/* No more events: what is open fails, and the race must end by itself. */
static void
wind_down(struct model *m)
{
	size_t i;
	int guard, f;

	for (guard = 0; !m->finals && guard < 8 * MAX_ADDRS + 16; guard++) {
		for (f = 0; f < 2; f++)
			if (m->q[f] == Q_PENDING) {
				expect_rv(dn__race_on_answer_error(m->r, m->now,
				    f == 0 ? AF_INET6 : AF_INET, DN_ENODATA,
				    NULL), 1, "a failed answer");
				m->q[f] = Q_DONE;
			}
		for (i = 0; i < m->natt; i++)
			if (m->att[i].open)
				fail_attempt(m, (unsigned)i + 1, 0);
		drain(m);
		/* new attempts fail on the next round; else time moves */
		if (!m->finals && m->running == 0) {
			FZ_CHECK(m->wakeup != DN__RACE_NEVER, "nothing open "
			    "and no outcome");
			m->now = m->wakeup;
			drain(m);
		}
	}
	FZ_CHECK(m->finals == 1, "%d outcomes", m->finals);
	/* after the outcome the race wants nothing */
	expect_rv(dn__race_on_cancel(m->r, m->now), 0, "a cancel after the "
	    "outcome");
}

/* The plan of dnconnect --plan for the same policy and addresses: each
 * address once, in start times that do not go back. */
static void
check_plan(const struct model *m)
{
	dn_addr v6[MAX_ADDRS], v4[MAX_ADDRS];
	dn__race_plan_entry *pl = NULL;
	size_t n6 = 0, n4 = 0, n = 0, i, j;
	dn_error e;

	for (i = 0; i < m->nent; i++) {
		if (m->ent[i].f == 0)
			v6[n6++] = m->ent[i].a;
		else
			v4[n4++] = m->ent[i].a;
	}
	FZ_CHECK(dn__race_plan(&m->p, v6, n6, v4, n4, &pl, &n, &e) == 0,
	    "no plan: %s", e.msg);
	FZ_CHECK(n == n6 + n4, "a plan of %zu for %zu addresses", n, n6 + n4);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			FZ_CHECK(!dn_addr_equal(&pl[i].addr, &pl[j].addr),
			    "the plan has an address twice");
		FZ_CHECK(i == 0 || pl[i].start >= pl[i - 1].start, "the plan "
		    "goes back in time at %zu", i);
	}
	free(pl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int fams[] = { AF_UNSPEC, AF_INET, AF_INET6 };
	static struct model m;
	struct rd in = { data, size };
	dn__race_action a;
	dn_error e;
	unsigned b, events;

	memset(&m, 0, sizeof(m));
	dn__race_policy_init(&m.p);
	m.p.race = (dn__race_mode)(u8(&in) % 3);
	m.p.order = (dn__race_order)(u8(&in) % 4);
	m.p.family = fams[u8(&in) % 3];
	m.p.resolution_delay = MS(u8(&in));
	/* 10 ms .. 2 s as RFC 8305 §5 bounds it; 255 tries 5 ms */
	b = u8(&in);
	m.p.attempt_delay = b == 255 ? MS(5) : MS(10 + b * 1990 / 254);
	b = u8(&in);
	m.p.first_family_count = 1 + b % 4;
	m.p.max_concurrent = (b >> 2) % 4;
	b = u8(&in);
	m.p.attempt_timeout = b % 4 == 0 ? 0 : MS(b * 8);
	b = u8(&in);
	m.p.timeout = b % 4 == 0 ? 0 : MS(b * 40);
	m.sort = (int)(u8(&in) % 3);
	if (m.sort == SORT_REVERSE)
		m.p.sort = sort_reverse;
	else if (m.sort == SORT_RFC6724) {
		m.p.sort = dn__rfc6724_race_sort;
		m.p.sort_arg = &rfc_hook;
	}

	m.now = T0;
	fz_err_reset(&e);
	if ((m.r = dn__race_new(&m.p, "race.test", T0, &e)) == NULL) {
		FZ_CHECK(m.p.attempt_delay < DN__RACE_ATTEMPT_DELAY_MIN &&
		    e.code == DN_ERANGE, "a good policy refused: %s", e.msg);
		fz_check_err(&e, "dn__race_new", "policy");
		return 0;
	}
	FZ_CHECK(m.p.attempt_delay >= DN__RACE_ATTEMPT_DELAY_MIN, "an attempt "
	    "delay under 10 ms taken");
	m.first_f = m.last_f = -1;
	/* §3: the AAAA query first, then A, for the families wanted */
	if (m.p.family != AF_INET) {
		FZ_CHECK(dn__race_next_action(m.r, m.now, &a) ==
		    DN__RACE_QUERY && a.family == AF_INET6, "AAAA not asked "
		    "first");
		m.q[0] = Q_PENDING;
	}
	if (m.p.family != AF_INET6) {
		FZ_CHECK(dn__race_next_action(m.r, m.now, &a) ==
		    DN__RACE_QUERY && a.family == AF_INET, "A not asked");
		m.q[1] = Q_PENDING;
	}
	drain(&m);

	for (events = 0; in.n > 0 && events < MAX_EVENTS; events++)
		step(&m, &in);
	wind_down(&m);
	dn__race_free(m.r);
	check_plan(&m);
	return 0;
}
