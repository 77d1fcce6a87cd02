/* t_race.c - the RFC 8305 racing scheduler driven through every case with a fake clock. */

#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dualnet.h"
#include "race.h"
#include "tap.h"
#include "util.h"

#define MS		DN__RACE_MS
#define mk(text)	mk_addr((text), 443)
/* A clock that does not start at 0, so that absolute and relative times
 * cannot be confused. */
#define T0		(1000u * MS(1000))

/*
 * The fake reactor: the race's actions go into a log, one token each,
 * "TIME:KIND" with TIME in ms since T0:
 *   Q6 Q4 query, X6 X4 cancel query, S1=ADDR start attempt 1,
 *   C1/ECODE cancel attempt 1, W1 won by 1, F/ECODE failed.
 */
struct sim {
	dn__race *r;
	uint64_t now;
	uint64_t wakeup;
	char log[2048];
	const dn_error *final;
	int finals;
};

__attribute__((format(printf, 2, 3)))
static void
logf_(struct sim *s, const char *fmt, ...)
{
	char tok[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tok, sizeof(tok), fmt, ap);
	va_end(ap);
	if (s->log[0] != '\0')
		strlcat(s->log, " ", sizeof(s->log));
	strlcat(s->log, tok, sizeof(s->log));
}

/* Hands out every action due now, as the endpoint will. */
static void
drain(struct sim *s)
{
	dn__race_action a;
	unsigned long long t;
	char h[INET6_ADDRSTRLEN];
	int guard;

	for (guard = 0; guard < 1000; guard++) {
		t = (unsigned long long)((s->now - T0) / MS(1));
		switch (dn__race_next_action(s->r, s->now, &a)) {
		case DN__RACE_NONE:
			s->wakeup = a.wakeup_at;
			return;
		case DN__RACE_QUERY:
			logf_(s, "%llu:Q%c", t, a.family == AF_INET6 ? '6' : '4');
			break;
		case DN__RACE_CANCEL_QUERY:
			logf_(s, "%llu:X%c", t, a.family == AF_INET6 ? '6' : '4');
			break;
		case DN__RACE_START:
			logf_(s, "%llu:S%u=%s", t, a.id,
			    host(a.addr, h, sizeof(h)));
			break;
		case DN__RACE_CANCEL_ATTEMPT:
			logf_(s, "%llu:C%u/%s", t, a.id,
			    dn_err_name(a.err->code));
			break;
		case DN__RACE_WON:
			logf_(s, "%llu:W%u", t, a.id);
			s->finals++;
			break;
		case DN__RACE_FAILED:
			logf_(s, "%llu:F/%s", t, dn_err_name(a.err->code));
			s->final = a.err;
			s->finals++;
			break;
		}
	}
	ok(0, "drain ran away");
}

static void
sim_start(struct sim *s, const dn__race_policy *p, const char *name)
{
	dn_error err;

	memset(s, 0, sizeof(*s));
	s->now = T0;
	s->r = dn__race_new(p, name, T0, &err);
	if (s->r == NULL) {
		diag("dn__race_new: %s", err.msg);
		abort();
	}
	drain(s);
}

static void
sim_end(struct sim *s)
{
	dn__race_free(s->r);
	s->r = NULL;
}

/* Runs the clock to T0 + ms, firing each deadline on its own. */
static void
at(struct sim *s, unsigned ms)
{
	uint64_t target = T0 + MS(ms);
	int guard;

	for (guard = 0; guard < 1000 && s->wakeup <= target; guard++) {
		if (s->wakeup > s->now)
			s->now = s->wakeup;
		drain(s);
	}
	if (target > s->now)
		s->now = target;
	drain(s);
}

static int
answer(struct sim *s, int family, const char *list)
{
	dn_addr a[8];
	char buf[256], *p, *tok;
	size_t n = 0;
	int rv;

	strlcpy(buf, list, sizeof(buf));
	for (p = buf; (tok = strsep(&p, ",")) != NULL && n < ARRLEN(a);)
		if (*tok != '\0')
			a[n++] = mk(tok);
	rv = dn__race_on_answer(s->r, s->now, family, a, n);
	drain(s);
	return rv;
}

static int
ans6(struct sim *s, const char *list)
{
	return answer(s, AF_INET6, list);
}

static int
ans4(struct sim *s, const char *list)
{
	return answer(s, AF_INET, list);
}

static int
aerr(struct sim *s, int family, dn_err code)
{
	int rv = dn__race_on_answer_error(s->r, s->now, family, code, NULL);

	drain(s);
	return rv;
}

static int
fail(struct sim *s, unsigned id, dn_err code)
{
	dn_error e;
	int rv;

	memset(&e, 0, sizeof(e));
	e.code = code;
	snprintf(e.msg, sizeof(e.msg), "attempt %u: %s", id,
	    dn_strerror(code));
	rv = dn__race_on_attempt_failed(s->r, s->now, id, &e);
	drain(s);
	return rv;
}

static int
conn(struct sim *s, unsigned id)
{
	int rv = dn__race_on_attempt_connected(s->r, s->now, id);

	drain(s);
	return rv;
}

/* Compares the log so far with want, then clears it. */
#define expect(s, want, ...) do {					\
	const char *got_ = (s)->log;					\
	is_str(got_, want, __VA_ARGS__);				\
	(s)->log[0] = '\0';						\
} while (0)

static dn__race_policy
policy(void)
{
	dn__race_policy p;

	dn__race_policy_init(&p);
	return p;
}

/* ------------------------------------------------------------------ */

static void
t_policy(void)
{
	dn__race_policy p = policy();
	dn__race_mode m;
	dn__race_order o;
	dn_error err;
	int fam;

	ok(p.race == DN__RACE_STAGGERED && p.order == DN__RACE_INTERLEAVE &&
	    p.family == AF_UNSPEC, "defaults: staggered, interleave, any");
	is_int(p.resolution_delay, MS(50), "default resolution delay 50 ms");
	is_int(p.attempt_delay, MS(250), "default attempt delay 250 ms");
	is_int(p.first_family_count, 1, "default first family count 1");
	ok(p.max_concurrent == 0 && p.attempt_timeout == 0 && p.timeout == 0,
	    "default: no limits");
	ok(dn__race_policy_check(&p, &err) == 0, "defaults are valid");

	p.attempt_delay = MS(9);
	ok(dn__race_policy_check(&p, &err) == -1 && err.code == DN_ERANGE,
	    "attempt delay 9 ms rejected with ERANGE");
	ok(strstr(err.msg, "10 ms") != NULL, "message names 10 ms: %s",
	    err.msg);
	p.attempt_delay = MS(2001);
	ok(dn__race_policy_check(&p, &err) == -1 && err.code == DN_ERANGE,
	    "attempt delay 2001 ms rejected with ERANGE");
	ok(strstr(err.msg, "2000 ms") != NULL, "message names 2000 ms: %s",
	    err.msg);
	p.attempt_delay = MS(10);
	ok(dn__race_policy_check(&p, &err) == 0, "attempt delay 10 ms ok");
	p.attempt_delay = MS(2000);
	ok(dn__race_policy_check(&p, &err) == 0, "attempt delay 2000 ms ok");
	p.attempt_delay = MS(2000) + 1;
	ok(dn__race_policy_check(&p, &err) == -1,
	    "attempt delay 2000 ms + 1 ns rejected");
	ok(dn__race_new(&p, "h", T0, &err) == NULL && err.code == DN_ERANGE,
	    "dn__race_new checks the policy");

	p = policy();
	p.first_family_count = 0;
	ok(dn__race_policy_check(&p, &err) == -1 && err.code == DN_ERANGE,
	    "first family count 0 rejected");
	p = policy();
	p.family = AF_UNIX;
	ok(dn__race_policy_check(&p, &err) == -1 && err.code == DN_EINVAL,
	    "unknown family rejected");
	p = policy();
	p.race = (dn__race_mode)7;
	ok(dn__race_policy_check(&p, &err) == -1 && err.code == DN_EINVAL,
	    "unknown race mode rejected");

	ok(dn__race_mode_parse("serial", &m, &err) == 0 &&
	    m == DN__RACE_SERIAL, "parse race=serial");
	ok(dn__race_mode_parse("fast", &m, &err) == -1 &&
	    err.code == DN_EINVAL && strstr(err.msg, "staggered") != NULL,
	    "parse race=fast fails listing the choices: %s", err.msg);
	ok(dn__race_order_parse("v4-first", &o, &err) == 0 &&
	    o == DN__RACE_V4_FIRST, "parse order=v4-first");
	ok(dn__race_order_parse("random", &o, &err) == -1,
	    "parse order=random fails");
	ok(dn__race_family_parse("v6", &fam, &err) == 0 && fam == AF_INET6,
	    "parse family=v6");
	ok(dn__race_family_parse("any", &fam, &err) == 0 && fam == AF_UNSPEC,
	    "parse family=any");
	ok(dn__race_family_parse("v5", &fam, &err) == -1,
	    "parse family=v5 fails");
	is_str(dn__race_mode_name(DN__RACE_CONCURRENT), "concurrent",
	    "mode name");
	is_str(dn__race_order_name(DN__RACE_RESOLVER), "resolver",
	    "order name");
}

/* §3: AAAA first starts at once; the A answer joins the race. */
static void
t_aaaa_first(void)
{
	dn__race_policy p = policy();
	struct sim s;

	sim_start(&s, &p, "example.com");
	expect(&s, "0:Q6 0:Q4", "both queries at once, AAAA first");
	ok(s.wakeup == DN__RACE_NEVER, "nothing to wait for but answers");
	at(&s, 10);
	ans6(&s, "2001:db8::1");
	expect(&s, "10:S1=2001:db8::1", "AAAA answer starts at once");
	ok(s.wakeup == DN__RACE_NEVER, "no timer while nothing is left");
	at(&s, 20);
	ans4(&s, "192.0.2.1");
	expect(&s, "", "A answer waits its turn");
	is_int(s.wakeup, T0 + MS(260), "timer set to the next stagger");
	at(&s, 260);
	expect(&s, "260:S2=192.0.2.1", "IPv4 250 ms after IPv6");
	at(&s, 270);
	conn(&s, 2);
	expect(&s, "270:C1/ECANCELED 270:W2",
	    "IPv4 wins; the IPv6 attempt is closed");
	ok(dn__race_done(s.r), "race done");
	sim_end(&s);
}

/* §3: A first waits Resolution Delay; AAAA inside it starts IPv6. */
static void
t_a_first_aaaa_in_delay(void)
{
	dn__race_policy p = policy();
	struct sim s;

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1");
	expect(&s, "", "A answer alone does not start");
	is_int(s.wakeup, T0 + MS(50), "wakes at the resolution delay");
	at(&s, 30);
	ans6(&s, "2001:db8::1");
	expect(&s, "30:S1=2001:db8::1",
	    "AAAA within the delay: IPv6 starts first, at once");
	at(&s, 280);
	expect(&s, "280:S2=192.0.2.1", "then IPv4 after 250 ms");
	sim_end(&s);
}

/* §3: AAAA after the delay: IPv4 started; IPv6 takes the next turn. */
static void
t_a_first_aaaa_late(void)
{
	dn__race_policy p = policy();
	struct sim s;

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2");
	at(&s, 49);
	expect(&s, "", "nothing before the resolution delay");
	at(&s, 50);
	expect(&s, "50:S1=192.0.2.1", "IPv4 starts when the delay ends");
	at(&s, 100);
	ans6(&s, "2001:db8::1,2001:db8::2");
	expect(&s, "", "late AAAA does not jump the stagger");
	at(&s, 1000);
	expect(&s, "300:S2=2001:db8::1 550:S3=192.0.2.2 800:S4=2001:db8::2",
	    "late IPv6 merges in its interleaved place");
	ok(s.wakeup == DN__RACE_NEVER, "all started: no timer left");
	sim_end(&s);
}

/* §3: negative AAAA answers mean "go on with IPv4 at once". */
static void
t_aaaa_negative(void)
{
	static const dn_err codes[] = { DN_ENODATA, DN_ESERVFAIL,
		DN_ENONAME, DN_EDNSTIMEOUT };
	dn__race_policy p = policy();
	struct sim s;
	size_t i;

	for (i = 0; i < ARRLEN(codes); i++) {
		sim_start(&s, &p, "example.com");
		s.log[0] = '\0';
		ans4(&s, "192.0.2.1");
		at(&s, 10);
		aerr(&s, AF_INET6, codes[i]);
		expect(&s, "10:S1=192.0.2.1",
		    "AAAA %s after A: IPv4 at once, not at 50 ms",
		    dn_err_name(codes[i]));
		sim_end(&s);
	}

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	at(&s, 5);
	aerr(&s, AF_INET6, DN_ENODATA);
	expect(&s, "", "AAAA NODATA first: wait for A");
	at(&s, 40);
	ans4(&s, "192.0.2.1");
	expect(&s, "40:S1=192.0.2.1", "A after AAAA NODATA starts at once");
	sim_end(&s);

	/* SERVFAIL is remembered in the final error */
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	aerr(&s, AF_INET6, DN_ESERVFAIL);
	ans4(&s, "192.0.2.1");
	at(&s, 3);
	fail(&s, 1, DN_EREFUSED);
	expect(&s, "0:S1=192.0.2.1 3:F/EREFUSED",
	    "AAAA SERVFAIL, then IPv4 refused: fails refused");
	ok(s.final != NULL && strstr(s.final->msg, "AAAA: name server "
	    "failure") != NULL, "the failure mentions AAAA SERVFAIL: %s",
	    s.final ? s.final->msg : "");
	sim_end(&s);

	/* an empty AAAA answer is NODATA */
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1");
	at(&s, 7);
	ans6(&s, "");
	expect(&s, "7:S1=192.0.2.1", "empty AAAA answer counts as NODATA");
	sim_end(&s);
}

/* §5: a fast failure starts the next at once; a black hole after 250. */
static void
t_refused_and_black_holes(void)
{
	dn__race_policy p = policy();
	struct sim s;

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1");
	ans4(&s, "192.0.2.1");
	at(&s, 3);
	fail(&s, 1, DN_EREFUSED);
	expect(&s, "0:S1=2001:db8::1 3:S2=192.0.2.1",
	    "IPv6 refused at 3 ms: IPv4 at 3 ms");
	at(&s, 5);
	conn(&s, 2);
	expect(&s, "5:W2", "IPv4 wins");
	sim_end(&s);

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1");
	ans4(&s, "192.0.2.1");
	at(&s, 249);
	expect(&s, "0:S1=2001:db8::1", "IPv6 black hole: nothing before 250");
	at(&s, 250);
	expect(&s, "250:S2=192.0.2.1", "IPv4 at 250 ms");
	at(&s, 262);
	conn(&s, 2);
	expect(&s, "262:C1/ECANCELED 262:W2",
	    "IPv4 wins, the black hole is closed");
	sim_end(&s);

	/* several black holes in a row */
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2,2001:db8::3");
	ans4(&s, "192.0.2.1,192.0.2.2");
	at(&s, 5000);
	expect(&s, "0:S1=2001:db8::1 250:S2=192.0.2.1 500:S3=2001:db8::2 "
	    "750:S4=192.0.2.2 1000:S5=2001:db8::3",
	    "black holes: one every 250 ms, families alternating");
	ok(s.wakeup == DN__RACE_NEVER && s.finals == 0,
	    "then it waits on them (no attempt timeout)");
	at(&s, 5100);
	fail(&s, 3, DN_ETIMEDOUT);
	fail(&s, 1, DN_ETIMEDOUT);
	at(&s, 5200);
	conn(&s, 5);
	expect(&s, "5200:C2/ECANCELED 5200:C4/ECANCELED 5200:W5",
	    "the last one wins; the two still running are closed");
	sim_end(&s);
}

/* All fail: one error listing every address with reason and time. */
static void
t_all_fail(void)
{
	dn__race_policy p = policy();
	const dn__race_attempt *a;
	struct sim s;
	size_t n;

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1");
	ans4(&s, "192.0.2.1,192.0.2.2");
	at(&s, 4);
	fail(&s, 1, DN_EUNREACH);
	at(&s, 300);
	fail(&s, 2, DN_EREFUSED);
	at(&s, 2000);
	fail(&s, 3, DN_ETIMEDOUT);
	expect(&s, "0:S1=2001:db8::1 4:S2=192.0.2.1 254:S3=192.0.2.2 "
	    "2000:F/EREFUSED", "three failures, one FAILED");
	ok(s.finals == 1, "exactly one final action");
	is_int(dn_err_kind_of(s.final->code), DN_KIND_NETWORK,
	    "kind network (exit 69)");
	is_str(s.final->msg, "no connection to example.com: "
	    "[2001:db8::1]:443 network or host unreachable (+0.004s), "
	    "192.0.2.1:443 connection refused (+0.300s), "
	    "192.0.2.2:443 timed out (+2.000s)",
	    "the message lists every address with its reason and time");
	a = dn__race_attempts(s.r, &n);
	is_int(n, 3, "three attempts recorded");
	ok(a[0].started == 0 && a[0].ended == MS(4) &&
	    a[0].err.code == DN_EUNREACH && a[0].state == DN__ATTEMPT_FAILED,
	    "attempt 1: unreachable, 0 -> 4 ms");
	ok(a[1].started == MS(4) && a[1].ended == MS(300) &&
	    a[1].err.code == DN_EREFUSED, "attempt 2: refused, 4 -> 300 ms");
	ok(a[2].started == MS(254) && a[2].ended == MS(2000) &&
	    a[2].err.code == DN_ETIMEDOUT, "attempt 3: timed out");
	is_str(a[1].err.msg, "attempt 2: connection refused",
	    "each attempt keeps its own message");
	ok(dn__race_on_attempt_failed(s.r, s.now, 3, NULL) == -1,
	    "events after the end are refused");
	at(&s, 9000);
	expect(&s, "", "nothing after the final action");
	sim_end(&s);
}

/* attempt_timeout bounds every attempt; all time out -> 75. */
static void
t_all_time_out(void)
{
	dn__race_policy p = policy();
	const dn__race_attempt *a;
	struct sim s;
	size_t n;

	p.attempt_timeout = MS(1000);
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1");
	ans4(&s, "192.0.2.1");
	at(&s, 5000);
	expect(&s, "0:S1=2001:db8::1 250:S2=192.0.2.1 1000:C1/ETIMEDOUT "
	    "1250:C2/ETIMEDOUT 1250:F/ETIMEDOUT",
	    "each attempt cut at 1 s, then the race fails");
	is_int(dn_err_kind_of(s.final->code), DN_KIND_TIMEOUT,
	    "kind timeout (exit 75)");
	a = dn__race_attempts(s.r, &n);
	ok(n == 2 && a[0].ended == MS(1000) && a[1].ended == MS(1250),
	    "timeouts recorded at their deadlines");
	ok(strstr(a[0].err.msg, "did not answer within 1.000s") != NULL,
	    "attempt timeout message: %s", a[0].err.msg);
	sim_end(&s);
}

static void
t_overall_timeout(void)
{
	dn__race_policy p = policy();
	struct sim s;

	p.timeout = MS(600);
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	ans4(&s, "192.0.2.1");
	at(&s, 5000);
	expect(&s, "0:S1=2001:db8::1 250:S2=192.0.2.1 500:S3=2001:db8::2 "
	    "600:C1/ETIMEDOUT 600:C2/ETIMEDOUT 600:C3/ETIMEDOUT "
	    "600:F/ETIMEDOUT", "overall timeout closes everything");
	ok(strstr(s.final->msg, "within 0.600s") != NULL &&
	    strstr(s.final->msg, "still connecting") != NULL,
	    "message: %s", s.final->msg);
	sim_end(&s);

	/* while still resolving: the queries are cancelled too */
	sim_start(&s, &p, "slow.example");
	s.log[0] = '\0';
	at(&s, 700);
	expect(&s, "600:X6 600:X4 600:F/ETIMEDOUT",
	    "timeout while resolving cancels both queries");
	ok(strstr(s.final->msg, "still resolving") != NULL, "message: %s",
	    s.final->msg);
	sim_end(&s);
}

/* A late answer joins when everything else has failed. */
static void
t_late_answer_merge(void)
{
	dn__race_policy p = policy();
	struct sim s;

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1");
	at(&s, 60);
	fail(&s, 1, DN_EREFUSED);
	expect(&s, "50:S1=192.0.2.1", "IPv4 fails, AAAA still pending");
	ok(s.finals == 0 && s.wakeup == DN__RACE_NEVER,
	    "no failure while an answer may still come");
	at(&s, 400);
	ans6(&s, "2001:db8::1");
	expect(&s, "400:S2=2001:db8::1", "the late IPv6 starts at once");
	at(&s, 410);
	conn(&s, 2);
	expect(&s, "410:W2", "and wins");
	sim_end(&s);

	/* interleaved place among several remaining IPv4 addresses */
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2,192.0.2.3");
	at(&s, 50);
	at(&s, 60);
	fail(&s, 1, DN_EREFUSED);
	at(&s, 70);
	ans6(&s, "2001:db8::1,2001:db8::2");
	at(&s, 900);
	expect(&s, "50:S1=192.0.2.1 60:S2=192.0.2.2 310:S3=2001:db8::1 "
	    "560:S4=192.0.2.3 810:S5=2001:db8::2",
	    "IPv6 arriving mid-race alternates with the IPv4 left");
	sim_end(&s);
}

static void
t_cancel(void)
{
	dn__race_policy p = policy();
	struct sim s;

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	at(&s, 300);
	ok(dn__race_on_cancel(s.r, s.now) == 0, "cancel taken");
	drain(&s);
	expect(&s, "0:S1=2001:db8::1 250:S2=2001:db8::2 300:C1/ECANCELED "
	    "300:C2/ECANCELED 300:X4 300:F/ECANCELED",
	    "cancel closes attempts and the pending A query, then fails once");
	is_str(s.final->msg, "connection to example.com cancelled",
	    "cancel message");
	ok(dn__race_on_cancel(s.r, s.now) == -1, "second cancel ignored");
	ok(dn__race_on_attempt_connected(s.r, s.now, 1) == -1,
	    "a connection after cancel is refused (caller closes it)");
	ok(dn__race_on_answer(s.r, s.now, AF_INET, NULL, 0) == -1,
	    "an answer after cancel is refused");
	is_int(s.finals, 1, "one final action");
	sim_end(&s);
}

static void
t_concurrent(void)
{
	dn__race_policy p = policy();
	struct sim s;

	p.race = DN__RACE_CONCURRENT;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	expect(&s, "0:S1=2001:db8::1 0:S2=2001:db8::2",
	    "concurrent: every IPv6 address at once");
	ans4(&s, "192.0.2.1,192.0.2.2");
	expect(&s, "0:S3=192.0.2.1 0:S4=192.0.2.2",
	    "concurrent: the A answer's addresses start on arrival");
	sim_end(&s);

	/* both answers before the first start */
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2");
	at(&s, 20);
	ans6(&s, "2001:db8::1,2001:db8::2");
	expect(&s, "20:S1=2001:db8::1 20:S2=192.0.2.1 20:S3=2001:db8::2 "
	    "20:S4=192.0.2.2", "concurrent: all four at once, interleaved");
	at(&s, 30);
	conn(&s, 3);
	expect(&s, "30:C1/ECANCELED 30:C2/ECANCELED 30:C4/ECANCELED 30:W3",
	    "winner cancels all others, in id order");
	sim_end(&s);

	p.max_concurrent = 2;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2");
	ans6(&s, "2001:db8::1,2001:db8::2");
	expect(&s, "0:S1=2001:db8::1 0:S2=192.0.2.1",
	    "max_concurrent 2: two at once");
	at(&s, 5000);
	expect(&s, "", "no more while two are in flight");
	fail(&s, 2, DN_EREFUSED);
	expect(&s, "5000:S3=2001:db8::2", "a failure frees a slot at once");
	fail(&s, 1, DN_EUNREACH);
	expect(&s, "5000:S4=192.0.2.2", "and another");
	fail(&s, 3, DN_EREFUSED);
	fail(&s, 4, DN_EREFUSED);
	expect(&s, "5000:F/EREFUSED", "all failed");
	sim_end(&s);
}

static void
t_serial(void)
{
	dn__race_policy p = policy();
	struct sim s;

	p.race = DN__RACE_SERIAL;
	p.attempt_timeout = MS(500);
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	ans4(&s, "192.0.2.1");
	at(&s, 499);
	expect(&s, "0:S1=2001:db8::1", "serial: one at a time");
	at(&s, 500);
	expect(&s, "500:C1/ETIMEDOUT 500:S2=192.0.2.1",
	    "the attempt timeout ends it and starts the next");
	at(&s, 600);
	fail(&s, 2, DN_EREFUSED);
	expect(&s, "600:S3=2001:db8::2", "a failure starts the next at once");
	at(&s, 1100);
	expect(&s, "1100:C3/ETIMEDOUT 1100:F/EREFUSED",
	    "last one times out: refused + timed out gives EREFUSED");
	is_int(dn_err_kind_of(s.final->code), DN_KIND_NETWORK,
	    "mixed: kind network (exit 69)");
	sim_end(&s);

	/* serial with no attempt timeout waits on the kernel */
	p.attempt_timeout = 0;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1");
	ans4(&s, "192.0.2.1");
	at(&s, 100000);
	expect(&s, "0:S1=2001:db8::1", "serial without timeout: one only");
	ok(s.wakeup == DN__RACE_NEVER, "no timer");
	fail(&s, 1, DN_ETIMEDOUT);
	expect(&s, "100000:S2=192.0.2.1", "next after the kernel gives up");
	sim_end(&s);
}

static void
t_orders(void)
{
	static const struct {
		dn__race_order order;
		const char *want;
	} t[] = {
		{ DN__RACE_INTERLEAVE, "0:S1=2001:db8::1 0:S2=192.0.2.1 "
		    "0:S3=2001:db8::2 0:S4=192.0.2.2" },
		{ DN__RACE_V6_FIRST, "0:S1=2001:db8::1 0:S2=2001:db8::2 "
		    "0:S3=192.0.2.1 0:S4=192.0.2.2" },
		{ DN__RACE_V4_FIRST, "0:S1=192.0.2.1 0:S2=192.0.2.2 "
		    "0:S3=2001:db8::1 0:S4=2001:db8::2" },
		{ DN__RACE_RESOLVER, "0:S1=192.0.2.1 0:S2=192.0.2.2 "
		    "0:S3=2001:db8::1 0:S4=2001:db8::2" },
	};
	dn__race_policy p = policy();
	struct sim s;
	size_t i;

	/* concurrent shows the whole order at once; A answers first and
	 * AAAA inside the resolution delay */
	p.race = DN__RACE_CONCURRENT;
	for (i = 0; i < ARRLEN(t); i++) {
		p.order = t[i].order;
		sim_start(&s, &p, "example.com");
		s.log[0] = '\0';
		ans4(&s, "192.0.2.1,192.0.2.2");
		ans6(&s, "2001:db8::1,2001:db8::2");
		expect(&s, t[i].want, "order %s",
		    dn__race_order_name(t[i].order));
		sim_end(&s);
	}

	/* v6-first with a late AAAA: the IPv6 addresses go next */
	p = policy();
	p.order = DN__RACE_V6_FIRST;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2,192.0.2.3");
	at(&s, 100);
	ans6(&s, "2001:db8::1,2001:db8::2");
	at(&s, 1100);
	expect(&s, "50:S1=192.0.2.1 300:S2=2001:db8::1 550:S3=2001:db8::2 "
	    "800:S4=192.0.2.2 1050:S5=192.0.2.3",
	    "v6-first: late IPv6 before the IPv4 left");
	sim_end(&s);

	/* v4-first: the roles of §3 swap, so an AAAA answer waits for A */
	p = policy();
	p.order = DN__RACE_V4_FIRST;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1");
	at(&s, 20);
	ans4(&s, "192.0.2.1");
	at(&s, 21);
	expect(&s, "20:S1=192.0.2.1", "v4-first: AAAA first waits for A");
	sim_end(&s);
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1");
	at(&s, 100);
	expect(&s, "50:S1=2001:db8::1", "v4-first: A late, IPv6 goes after "
	    "the resolution delay");
	sim_end(&s);
}

/* A sort hook that puts IPv4 first (say IPv6 has no source address). */
static void
v4_first_sort(dn_addr *a, size_t n, void *arg)
{
	dn_addr tmp;
	size_t i, j;
	int *calls = arg;

	(*calls)++;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && a[j].u.sa.sa_family == AF_INET &&
		    a[j - 1].u.sa.sa_family == AF_INET6; j--) {
			tmp = a[j];
			a[j] = a[j - 1];
			a[j - 1] = tmp;
		}
}

static int
no_v6_source(const dn_addr *dst, dn_addr *src, int *prefixlen, void *arg)
{
	(void)prefixlen;
	(void)arg;
	if (dst->u.sa.sa_family == AF_INET6)
		return -1;
	*src = mk("192.0.2.100");
	return 0;
}

static void
t_sort_hook(void)
{
	dn__race_policy p = policy();
	dn__rfc6724_hook hook = { no_v6_source, NULL };
	struct sim s;
	int calls = 0;

	p.race = DN__RACE_CONCURRENT;
	p.sort = v4_first_sort;
	p.sort_arg = &calls;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	ans4(&s, "192.0.2.1,192.0.2.2");
	expect(&s, "0:S1=2001:db8::1 0:S2=2001:db8::2 0:S3=192.0.2.1 "
	    "0:S4=192.0.2.2", "AAAA first: IPv6 starts before A is known");
	sim_end(&s);

	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2");
	ans6(&s, "2001:db8::1,2001:db8::2");
	expect(&s, "0:S1=192.0.2.1 0:S2=2001:db8::1 0:S3=192.0.2.2 "
	    "0:S4=2001:db8::2",
	    "interleave starts with the family the sort put first");
	ok(calls >= 2, "the hook ran on each answer (%d)", calls);
	sim_end(&s);

	/* the RFC 6724 adapter as the hook */
	p.sort = dn__rfc6724_race_sort;
	p.sort_arg = &hook;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1");
	ans6(&s, "2001:db8::1");
	expect(&s, "0:S1=192.0.2.1 0:S2=2001:db8::1",
	    "RFC 6724 rule 1 via the hook: IPv4 first when IPv6 has no "
	    "source");
	sim_end(&s);
}

static void
t_family_filter(void)
{
	dn__race_policy p = policy();
	struct sim s;

	p.family = AF_INET;
	sim_start(&s, &p, "example.com");
	expect(&s, "0:Q4", "family v4: only the A query");
	ok(ans6(&s, "2001:db8::1") == -1, "an AAAA answer is refused");
	ans4(&s, "192.0.2.1");
	expect(&s, "0:S1=192.0.2.1", "IPv4 starts without resolution delay");
	fail(&s, 1, DN_EREFUSED);
	expect(&s, "0:F/EREFUSED", "and fails alone");
	sim_end(&s);

	p.family = AF_INET6;
	sim_start(&s, &p, "example.com");
	expect(&s, "0:Q6", "family v6: only the AAAA query");
	ok(ans4(&s, "192.0.2.1") == -1, "an A answer is refused");
	ok(ans6(&s, "192.0.2.9,2001:db8::1") == 0, "AAAA answer taken");
	expect(&s, "0:S1=2001:db8::1", "IPv4 inside an AAAA answer skipped");
	conn(&s, 1);
	expect(&s, "0:W1", "IPv6 wins");
	sim_end(&s);

	p.family = AF_INET6;
	sim_start(&s, &p, "v4only.example");
	s.log[0] = '\0';
	aerr(&s, AF_INET6, DN_ENODATA);
	expect(&s, "0:F/ENODATA", "family v6 and no AAAA: resolution error");
	is_int(dn_err_kind_of(s.final->code), DN_KIND_NAME,
	    "kind name (exit 68)");
	is_str(s.final->msg, "v4only.example did not resolve (AAAA: name has "
	    "no address of the wanted family)", "message names AAAA");
	sim_end(&s);
}

static void
t_first_family_count(void)
{
	dn__race_policy p = policy();
	struct sim s;

	p.first_family_count = 2;
	p.race = DN__RACE_CONCURRENT;
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2");
	ans6(&s, "2001:db8::1,2001:db8::2,2001:db8::3");
	expect(&s, "0:S1=2001:db8::1 0:S2=2001:db8::2 0:S3=192.0.2.1 "
	    "0:S4=2001:db8::3 0:S5=192.0.2.2",
	    "first family count 2: two IPv6, then alternate");
	sim_end(&s);
}

static void
t_resolution_failures(void)
{
	static const struct {
		dn_err e6, e4, want;
	} t[] = {
		{ DN_ENONAME, DN_ENONAME, DN_ENONAME },
		{ DN_ENODATA, DN_ESERVFAIL, DN_ESERVFAIL },
		{ DN_EDNSTIMEOUT, DN_ENODATA, DN_EDNSTIMEOUT },
		{ DN_ENODATA, DN_ENODATA, DN_ENODATA },
		{ DN_ESERVFAIL, DN_ENONAME, DN_ENONAME },
	};
	dn__race_policy p = policy();
	struct sim s;
	char want[64];
	size_t i;

	for (i = 0; i < ARRLEN(t); i++) {
		sim_start(&s, &p, "nowhere.example");
		s.log[0] = '\0';
		aerr(&s, AF_INET6, t[i].e6);
		at(&s, 30);
		aerr(&s, AF_INET, t[i].e4);
		snprintf(want, sizeof(want), "30:F/%s", dn_err_name(t[i].want));
		expect(&s, want, "AAAA %s + A %s -> %s", dn_err_name(t[i].e6),
		    dn_err_name(t[i].e4), dn_err_name(t[i].want));
		is_int(dn_err_kind_of(s.final->code), DN_KIND_NAME,
		    "kind name (exit 68)");
		sim_end(&s);
	}

	sim_start(&s, &p, "nowhere.example");
	s.log[0] = '\0';
	ans6(&s, "");
	ans4(&s, "");
	expect(&s, "0:F/ENODATA", "two empty answers: ENODATA");
	is_str(s.final->msg, "nowhere.example did not resolve (AAAA: empty "
	    "answer, A: empty answer)", "message");
	sim_end(&s);
}

static void
t_events_refused(void)
{
	dn__race_policy p = policy();
	const dn__race_attempt *a;
	struct sim s;
	size_t n;

	sim_start(&s, &p, NULL);
	s.log[0] = '\0';
	ok(dn__race_on_attempt_failed(s.r, s.now, 1, NULL) == -1,
	    "failure of an attempt never started is refused");
	ok(ans6(&s, "2001:db8::1,2001:db8::1,2001:db8::2") == 0,
	    "AAAA with a duplicate taken");
	ok(ans6(&s, "2001:db8::9") == -1, "a second AAAA answer is refused");
	ok(dn__race_on_answer(s.r, s.now, AF_UNIX, NULL, 0) == -1,
	    "an answer for a strange family is refused");
	at(&s, 250);
	expect(&s, "0:S1=2001:db8::1 250:S2=2001:db8::2",
	    "the duplicate is tried once");
	ok(dn__race_on_attempt_failed(s.r, s.now, 0, NULL) == 0 - 1,
	    "id 0 is refused");
	ok(dn__race_on_attempt_failed(s.r, s.now, 9, NULL) == -1,
	    "unknown id is refused");
	fail(&s, 1, DN_EREFUSED);
	ok(dn__race_on_attempt_connected(s.r, s.now, 1) == -1,
	    "a failed attempt cannot connect");
	/* the clock going back is read as no time passing */
	ok(dn__race_on_attempt_failed(s.r, T0, 2, NULL) == 0,
	    "failure with an older time taken");
	a = dn__race_attempts(s.r, &n);
	ok(n == 2 && a[1].ended == MS(250) && a[1].err.code == DN_ECONNECT,
	    "clamped to the last time seen; NULL error is ECONNECT");
	aerr(&s, AF_INET, DN_ENODATA);
	expect(&s, "250:F/EREFUSED", "then the race fails");
	ok(strstr(s.final->msg, "the host") != NULL,
	    "no host name: 'the host' (%s)", s.final->msg);
	sim_end(&s);
	dn__race_free(NULL);
	ok(1, "dn__race_free(NULL)");
}

/* Equal deadlines come out the same way every time. */
static void
t_equal_deadlines(void)
{
	dn__race_policy p = policy();
	struct sim s;

	/* two attempts time out at the same instant: in id order, then
	 * the two next ones start in order */
	p.race = DN__RACE_CONCURRENT;
	p.max_concurrent = 2;
	p.attempt_timeout = MS(100);
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans4(&s, "192.0.2.1,192.0.2.2");
	ans6(&s, "2001:db8::1,2001:db8::2");
	at(&s, 100);
	expect(&s, "0:S1=2001:db8::1 0:S2=192.0.2.1 100:C1/ETIMEDOUT "
	    "100:C2/ETIMEDOUT 100:S3=2001:db8::2 100:S4=192.0.2.2",
	    "equal attempt timeouts: cancels by id, then starts by order");
	sim_end(&s);

	/* attempt timeout == stagger: one start, not two */
	p = policy();
	p.attempt_timeout = MS(250);
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	ans4(&s, "192.0.2.1,192.0.2.2");
	at(&s, 250);
	expect(&s, "0:S1=2001:db8::1 250:C1/ETIMEDOUT 250:S2=192.0.2.1",
	    "timeout and stagger at 250: cancel first, then one start");
	is_int(s.wakeup, T0 + MS(500), "next deadline 500 ms");
	sim_end(&s);

	/* overall timeout == stagger: nothing starts */
	p = policy();
	p.timeout = MS(500);
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	ans4(&s, "192.0.2.1,192.0.2.2");
	at(&s, 500);
	expect(&s, "0:S1=2001:db8::1 250:S2=192.0.2.1 500:C1/ETIMEDOUT "
	    "500:C2/ETIMEDOUT 500:F/ETIMEDOUT",
	    "overall timeout at a stagger instant: no new start");
	sim_end(&s);

	/* a late timer: several deadlines due at one call */
	p = policy();
	sim_start(&s, &p, "example.com");
	s.log[0] = '\0';
	ans6(&s, "2001:db8::1,2001:db8::2");
	ans4(&s, "192.0.2.1");
	s.now = T0 + MS(900);
	drain(&s);
	expect(&s, "0:S1=2001:db8::1 900:S2=192.0.2.1",
	    "a late wakeup starts one, not a burst");
	is_int(s.wakeup, T0 + MS(1150), "and keeps the stagger after it");
	sim_end(&s);
}

static void
t_failure_code(void)
{
	dn__race_attempt a[3];

	memset(a, 0, sizeof(a));
	a[0].state = a[1].state = a[2].state = DN__ATTEMPT_FAILED;
	a[0].err.code = DN_ETIMEDOUT;
	a[1].err.code = DN_ETIMEDOUT;
	a[2].err.code = DN_ETIMEDOUT;
	is_int(dn__race_failure_code(a, 3), DN_ETIMEDOUT, "all timed out");
	a[1].err.code = DN_EREFUSED;
	is_int(dn__race_failure_code(a, 3), DN_EREFUSED,
	    "mixed refused/timed out: refused (69)");
	a[1].err.code = DN_EUNREACH;
	is_int(dn__race_failure_code(a, 3), DN_EUNREACH,
	    "mixed unreachable/timed out: unreachable (69)");
	a[2].err.code = DN_EREFUSED;
	is_int(dn__race_failure_code(a, 3), DN_EREFUSED,
	    "refused beats unreachable");
	a[0].err.code = a[1].err.code = a[2].err.code = DN_ELOCAL;
	is_int(dn__race_failure_code(a, 3), DN_ELOCAL,
	    "only local errors: ELOCAL (71)");
	a[2].err.code = DN_ECONNECT;
	is_int(dn__race_failure_code(a, 3), DN_ECONNECT,
	    "a connect error beats local ones");
	a[2].state = DN__ATTEMPT_RUNNING;
	is_int(dn__race_failure_code(a, 3), DN_ELOCAL,
	    "running attempts do not count");
	is_int(dn__race_failure_code(a, 0), DN_ECONNECT, "none: ECONNECT");
}

static void
t_plan(void)
{
	dn_addr v6[2], v4[2];
	dn__race_plan_entry *pl;
	dn__race_policy p = policy();
	dn_error err;
	char h[INET6_ADDRSTRLEN];
	size_t n;

	v6[0] = mk("2001:db8::1");
	v6[1] = mk("2001:db8::2");
	v4[0] = mk("192.0.2.1");
	v4[1] = mk("192.0.2.2");

	ok(dn__race_plan(&p, v6, 2, v4, 2, &pl, &n, &err) == 0, "plan");
	is_int(n, 4, "four entries");
	is_str(host(&pl[0].addr, h, sizeof(h)), "2001:db8::1", "1st IPv6");
	is_str(host(&pl[1].addr, h, sizeof(h)), "192.0.2.1", "2nd IPv4");
	is_str(host(&pl[2].addr, h, sizeof(h)), "2001:db8::2", "3rd IPv6");
	is_str(host(&pl[3].addr, h, sizeof(h)), "192.0.2.2", "4th IPv4");
	ok(pl[0].start == 0 && pl[1].start == MS(250) &&
	    pl[2].start == MS(500) && pl[3].start == MS(750),
	    "at 0, 250, 500, 750 ms");
	free(pl);

	p.timeout = MS(600);
	ok(dn__race_plan(&p, v6, 2, v4, 2, &pl, &n, &err) == 0 && n == 4 &&
	    pl[2].start == MS(500) && pl[3].start == DN__RACE_NEVER,
	    "overall timeout 600 ms: the 4th never starts");
	is_str(host(&pl[3].addr, h, sizeof(h)), "192.0.2.2",
	    "but keeps its place");
	free(pl);

	p = policy();
	p.race = DN__RACE_SERIAL;
	p.attempt_timeout = MS(1000);
	ok(dn__race_plan(&p, v6, 2, v4, 2, &pl, &n, &err) == 0 && n == 4 &&
	    pl[1].start == MS(1000) && pl[3].start == MS(3000),
	    "serial, 1 s attempt timeout: 0, 1, 2, 3 s");
	free(pl);

	p.attempt_timeout = 0;
	ok(dn__race_plan(&p, v6, 2, v4, 2, &pl, &n, &err) == 0 && n == 4 &&
	    pl[0].start == 0 && pl[1].start == DN__RACE_NEVER,
	    "serial, no attempt timeout: the rest wait forever");
	is_str(host(&pl[3].addr, h, sizeof(h)), "192.0.2.2",
	    "in interleaved order all the same");
	free(pl);

	p = policy();
	p.family = AF_INET;
	p.order = DN__RACE_V6_FIRST;
	ok(dn__race_plan(&p, v6, 2, v4, 2, &pl, &n, &err) == 0 && n == 2 &&
	    pl[0].start == 0 && pl[1].start == MS(250),
	    "family v4: only the IPv4 addresses");
	free(pl);

	p = policy();
	p.race = DN__RACE_CONCURRENT;
	ok(dn__race_plan(&p, NULL, 0, v4, 2, &pl, &n, &err) == 0 && n == 2 &&
	    pl[0].start == 0 && pl[1].start == 0,
	    "concurrent, no IPv6: all at 0");
	free(pl);

	p.attempt_delay = 1;
	ok(dn__race_plan(&p, v6, 2, v4, 2, &pl, &n, &err) == -1 &&
	    err.code == DN_ERANGE, "plan checks the policy");
}

int
main(void)
{
	t_policy();
	t_aaaa_first();
	t_a_first_aaaa_in_delay();
	t_a_first_aaaa_late();
	t_aaaa_negative();
	t_refused_and_black_holes();
	t_all_fail();
	t_all_time_out();
	t_overall_timeout();
	t_late_answer_merge();
	t_cancel();
	t_concurrent();
	t_serial();
	t_orders();
	t_sort_hook();
	t_family_filter();
	t_first_family_count();
	t_resolution_failures();
	t_events_refused();
	t_equal_deadlines();
	t_failure_code();
	t_plan();
	return tap_done(0);
}
