/*
 * t_hostname.c - the hostname endpoint's race driver on real loopback
 * sockets: "localhost" is ::1 and 127.0.0.1 without DNS (RFC 6761), which
 * makes a dual-stack name every machine has. Counts completions and
 * checks none comes inline or twice.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "util.h"

struct done {
	int calls;
	int inline_call;
	int starting;
	dn_stream *s;
	dn_error err;
	char peer[DN_ADDR_STRLEN];
	int cancel_in_cb;	/* calls dn_connect_cancel(req) inside */
	char trace[2048];
};

static void
connect_cb(dn_connect_req *req, dn_stream *s, const dn_error *err, void *arg)
{
	struct done *d = arg;

	d->calls++;
	if (d->starting)
		d->inline_call = 1;
	d->s = s;
	if (s != NULL)
		dn_addr_format(dn_stream_peer(s), d->peer, sizeof(d->peer));
	if (err != NULL)
		d->err = *err;
	if (d->cancel_in_cb)
		dn_connect_cancel(req);
}

static void
trace_cb(const dn_trace_event *ev, void *arg)
{
	struct done *d = arg;
	static const char *kinds[] = { "resolving", "resolved", "connecting",
	    "failed", "connected", "cancelled" };
	char a[DN_ADDR_STRLEN];
	size_t len = strlen(d->trace);

	if (ev->kind == DN_TRACE_CONNECTING || ev->kind ==
	    DN_TRACE_ATTEMPT_FAILED || ev->kind == DN_TRACE_CONNECTED ||
	    ev->kind == DN_TRACE_ATTEMPT_CANCELED)
		snprintf(d->trace + len, sizeof(d->trace) - len, "%s %s; ",
		    kinds[ev->kind], dn_addr_format(ev->addr, a, sizeof(a)));
}

static dn_listener *
listen_on(dn_reactor *r, const char *addr, dn_accept_cb cb, void *arg)
{
	dn_listen_opts lo = { .backlog = 0, .v6only = 1 };
	dn_error e;
	dn_listener *l;

	if ((l = dn_tcp_listen(r, 0, addr, &lo, cb, arg, &e)) == NULL)
		diag("listen on %s: %s", addr, e.msg);
	return l;
}

static void
accept_close(dn_listener *l, dn_stream *s, void *arg)
{
	(void)l;
	(void)arg;
	dn_stream_close(s);
}

static dn_connect_req *
race_host(dn_reactor *r, const char *host, uint16_t port, struct done *d,
    dn_hostname_opts *o)
{
	dn_hostname_opts def;
	dn_connect_req *q;

	if (o == NULL) {
		dn_hostname_opts_init(&def);
		o = &def;
	}
	o->trace = trace_cb;
	o->trace_arg = d;
	d->starting = 1;
	q = dn_hostname_connect(r, host, port, o, connect_cb, d, NULL);
	d->starting = 0;
	return q;
}

static dn_connect_req *
race(dn_reactor *r, uint16_t port, struct done *d, dn_hostname_opts *o)
{
	return race_host(r, "localhost", port, d, o);
}

/* Both families listen: RFC 8305 prefers IPv6. */
static void
test_v6_wins(dn_reactor *r)
{
	dn_listener *l6, *l4;
	struct done d;
	char want[DN_ADDR_STRLEN];
	uint16_t port;

	memset(&d, 0, sizeof(d));
	if ((l6 = listen_on(r, "::1", accept_close, NULL)) == NULL)
		return;
	port = dn_addr_port(dn_listener_addr(l6));
	l4 = dn_tcp_listen(r, port, "127.0.0.1", NULL, accept_close, NULL,
	    NULL);
	race(r, port, &d, NULL);
	run_until(r, &d.calls, 1, 5000);
	snprintf(want, sizeof(want), "[::1]:%u", port);
	ok(d.calls == 1 && !d.inline_call && d.s != NULL, "dual-stack "
	    "localhost: one completion, not inline (%s)", d.err.msg);
	is_str(d.peer, want, "IPv6 wins");
	ok(strncmp(d.trace, "connecting [::1]", 16) == 0, "the first attempt "
	    "is IPv6 (%s)", d.trace);
	dn_stream_close(d.s);
	dn_listener_close(l6);
	dn_listener_close(l4);
	turns(r, 3);
}

/* ::1 refuses: the next attempt starts at once, not after 250 ms. */
static void
test_v6_refused(dn_reactor *r)
{
	dn_listener *l4;
	struct done d;
	char want[DN_ADDR_STRLEN];
	uint64_t t0;
	uint16_t port;

	memset(&d, 0, sizeof(d));
	if ((l4 = listen_on(r, "127.0.0.1", accept_close, NULL)) == NULL)
		return;
	port = dn_addr_port(dn_listener_addr(l4));
	t0 = now_ms();
	race(r, port, &d, NULL);
	run_until(r, &d.calls, 1, 5000);
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	ok(d.calls == 1 && d.s != NULL, "IPv6 refused: connected (%s)",
	    d.err.msg);
	is_str(d.peer, want, "IPv4 wins");
	ok(strstr(d.trace, "failed [::1]") != NULL &&
	    strstr(d.trace, "failed [::1]") < strstr(d.trace,
	    "connecting 127.0.0.1"), "IPv6 failed before IPv4 began (%s)",
	    d.trace);
	diag("took %llu ms (the attempt delay is 250 ms)",
	    (unsigned long long)(now_ms() - t0));
	dn_stream_close(d.s);
	dn_listener_close(l4);
	turns(r, 3);
}

/* Nobody listens: one error naming every address, exit class 69. */
static void
test_all_refused(dn_reactor *r)
{
	dn_listener *l;
	struct done d;
	char a6[32], a4[32];
	uint16_t port;

	memset(&d, 0, sizeof(d));
	if ((l = listen_on(r, "::1", accept_close, NULL)) == NULL)
		return;
	port = dn_addr_port(dn_listener_addr(l));
	dn_listener_close(l);
	turns(r, 2);
	race(r, port, &d, NULL);
	run_until(r, &d.calls, 1, 5000);
	snprintf(a6, sizeof(a6), "[::1]:%u", port);
	snprintf(a4, sizeof(a4), "127.0.0.1:%u", port);
	ok(d.calls == 1 && d.s == NULL && d.err.code == DN_EREFUSED,
	    "all refused: DN_EREFUSED (%s)", dn_err_name(d.err.code));
	ok(strstr(d.err.msg, a6) != NULL && strstr(d.err.msg, a4) != NULL,
	    "the error names every address (%s)", d.err.msg);
	is_int(dn_err_kind_of(d.err.code), DN_KIND_NETWORK,
	    "kind network (exit 69)");
}

/*
 * A literal is one address of its own family: its refusal says so, with no
 * "(A: name has no address...)" about the family a literal cannot have.
 */
static void
test_literal_refused(dn_reactor *r)
{
	static const char *const hosts[] = { "::1", "127.0.0.1" };
	dn_hostname_opts o;
	dn_listener *l;
	struct done d;
	char want[128];
	uint16_t port;
	size_t i;

	if ((l = listen_on(r, "::1", accept_close, NULL)) == NULL)
		return;
	port = dn_addr_port(dn_listener_addr(l));
	dn_listener_close(l);
	turns(r, 2);
	for (i = 0; i < 2; i++) {
		memset(&d, 0, sizeof(d));
		race_host(r, hosts[i], port, &d, NULL);
		run_until(r, &d.calls, 1, 5000);
		snprintf(want, sizeof(want), "no connection to %s: %s%s%s:%u "
		    "connection refused (+", hosts[i], i == 0 ? "[" : "",
		    hosts[i], i == 0 ? "]" : "", port);
		ok(d.calls == 1 && d.err.code == DN_EREFUSED &&
		    strncmp(d.err.msg, want, strlen(want)) == 0 &&
		    strchr(d.err.msg + strlen(want), '(') == NULL,
		    "literal %s refused: the one attempt and no other family "
		    "(%s)", hosts[i], d.err.msg);
	}
	/* the other family asked for: the literal's own reason */
	memset(&d, 0, sizeof(d));
	dn_hostname_opts_init(&o);
	o.family = AF_INET6;
	race_host(r, "127.0.0.1", port, &d, &o);
	run_until(r, &d.calls, 1, 5000);
	ok(d.calls == 1 && d.err.code == DN_ENODATA &&
	    strstr(d.err.msg, "it is an IPv4 literal") != NULL,
	    "127.0.0.1 with family v6: says it is an IPv4 literal (%s)",
	    d.err.msg);
}

static void
test_cancel(dn_reactor *r)
{
	struct done d;
	dn_connect_req *q;

	memset(&d, 0, sizeof(d));
	q = race(r, 9, &d, NULL);
	dn_connect_cancel(q);
	ok(d.calls == 0, "cancel: nothing inline");
	run_until(r, &d.calls, 1, 2000);
	turns(r, 3);
	ok(d.calls == 1 && d.err.code == DN_ECANCELED, "cancel: exactly one "
	    "DN_ECANCELED (%d, %s)", d.calls, dn_err_name(d.err.code));
}

/* A cancel from inside the completion is a no-op: no second call. */
static void
test_cancel_in_callback(dn_reactor *r)
{
	struct done d;

	memset(&d, 0, sizeof(d));
	d.cancel_in_cb = 1;
	race(r, 9, &d, NULL);
	run_until(r, &d.calls, 1, 5000);
	turns(r, 3);
	is_int(d.calls, 1, "dn_connect_cancel inside the callback: still one "
	    "completion");
}

/* A bad knob fails through the callback, on a later turn. */
static void
test_bad_policy(dn_reactor *r)
{
	dn_hostname_opts o;
	struct done d;

	memset(&d, 0, sizeof(d));
	dn_hostname_opts_init(&o);
	o.attempt_delay_ns = 5 * 1000000ull;
	race(r, 80, &d, &o);
	ok(d.calls == 0, "bad attempt delay: not inline");
	run_until(r, &d.calls, 1, 2000);
	ok(d.calls == 1 && d.err.code == DN_ERANGE, "bad attempt delay: "
	    "DN_ERANGE through the callback (%s)", d.err.msg);
	ok(dn_hostname_opts_check(&o, NULL) == -1, "dn_hostname_opts_check "
	    "refuses 5 ms too");
}

/* Freed under a running race: exactly one cancelled completion. */
static void
test_free_mid_race(void)
{
	dn_reactor *r = reactor_or_bail();
	struct done d;

	memset(&d, 0, sizeof(d));
	race(r, 9, &d, NULL);
	dn_reactor_run_once(r, 0, NULL);
	dn_reactor_free(r);
	ok(d.calls == 1 && d.err.code == DN_ECANCELED, "reactor freed "
	    "mid-race: one DN_ECANCELED (%d, %s)", d.calls,
	    dn_err_name(d.err.code));
}

struct plan {
	int calls;
	size_t n;
	dn_plan_entry e[8];
	dn_error err;
};

static void
plan_cb(dn_connect_req *req, const dn_plan_entry *p, size_t n,
    const dn_error *err, void *arg)
{
	struct plan *pl = arg;

	(void)req;
	pl->calls++;
	pl->n = n;
	if (n > 8)
		n = 8;
	if (n > 0)
		memcpy(pl->e, p, n * sizeof(*p));
	if (err != NULL)
		pl->err = *err;
}

static void
test_plan(dn_reactor *r)
{
	dn_hostname_opts o;
	struct plan pl;
	char a[DN_ADDR_STRLEN], b[DN_ADDR_STRLEN];

	memset(&pl, 0, sizeof(pl));
	dn_hostname_opts_init(&o);
	o.attempt_delay_ns = 100 * 1000000ull;
	dn_hostname_plan(r, "localhost", 80, &o, plan_cb, &pl, NULL);
	run_until(r, &pl.calls, 1, 2000);
	ok(pl.calls == 1 && pl.n == 2, "plan for localhost: 2 attempts (%zu)",
	    pl.n);
	if (pl.n == 2) {
		is_str(dn_addr_format(&pl.e[0].addr, a, sizeof(a)), "[::1]:80",
		    "first ::1");
		is_int(pl.e[0].start_ns, 0, "at once");
		is_str(dn_addr_format(&pl.e[1].addr, b, sizeof(b)),
		    "127.0.0.1:80", "then 127.0.0.1");
		is_int(pl.e[1].start_ns, 100 * 1000000ull, "after the attempt "
		    "delay");
	}
	memset(&pl, 0, sizeof(pl));
	o.family = AF_INET;
	dn_hostname_plan(r, "localhost", 80, &o, plan_cb, &pl, NULL);
	run_until(r, &pl.calls, 1, 2000);
	ok(pl.calls == 1 && pl.n == 1 && dn_addr_family(&pl.e[0].addr) ==
	    AF_INET, "family v4: IPv4 only");
}

int
main(void)
{
	dn_reactor *r = reactor_or_bail();

	test_v6_wins(r);
	test_v6_refused(r);
	test_all_refused(r);
	test_literal_refused(r);
	test_cancel(r);
	test_cancel_in_callback(r);
	test_bad_policy(r);
	test_plan(r);
	dn_reactor_free(r);
	test_free_mid_race();
	return tap_done(0);
}
