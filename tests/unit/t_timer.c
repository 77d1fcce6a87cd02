/* t_timer.c - the reactor (timers, deferred calls, fd watchers, signals, free) and c-ares resolution inside it. */

#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "util.h"

#define MS 1000000ull

/* ------------------------------------------------------------------ */

static int order[64], norder;

static void
order_cb(dn_timer *t, int cancelled, void *arg)
{
	(void)t;
	if (!cancelled && norder < 64)
		order[norder++] = (int)(intptr_t)arg;
}

static void
test_deadline_order(void)
{
	dn_reactor *r = dn_reactor_new(NULL);

	norder = 0;
	dn_timer_start(r, 30 * MS, order_cb, (void *)3, NULL);
	dn_timer_start(r, 10 * MS, order_cb, (void *)1, NULL);
	dn_timer_start(r, 20 * MS, order_cb, (void *)2, NULL);
	dn_timer_start(r, 0, order_cb, (void *)0, NULL);
	is_int(dn_reactor_run(r, NULL), 0, "run returns 0");
	ok(norder == 4 && order[0] == 0 && order[1] == 1 && order[2] == 2 &&
	    order[3] == 3, "timers fire in deadline order");
	dn_reactor_free(r);
}

static void
test_equal_deadlines(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	int i, inorder = 1;

	norder = 0;
	/* the cached time does not move between starts: equal deadlines */
	for (i = 0; i < 50; i++)
		dn_timer_start(r, 5 * MS, order_cb, (void *)(intptr_t)i, NULL);
	dn_reactor_run(r, NULL);
	for (i = 0; i < 50; i++)
		inorder &= order[i] == i;
	ok(norder == 50 && inorder, "50 equal deadlines fire in start order");
	dn_reactor_free(r);
}

/* ------------------------------------------------------------------ */

struct tcount {
	int fired, cancelled;
	dn_timer *other;
};

static void
count_cb(dn_timer *t, int cancelled, void *arg)
{
	struct tcount *c = arg;

	(void)t;
	if (cancelled)
		c->cancelled++;
	else
		c->fired++;
}

static void
test_cancel(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct tcount c = { 0, 0, NULL };
	dn_timer *t = dn_timer_start(r, 10 * MS, count_cb, &c, NULL);

	dn_timer_cancel(t);
	ok(c.cancelled == 0 && c.fired == 0, "cancel does not call back inline");
	dn_reactor_run_once(r, 0, NULL);
	ok(c.cancelled == 1 && c.fired == 0, "cancelled callback on the next turn");
	dn_reactor_run(r, NULL);
	ok(c.cancelled == 1 && c.fired == 0, "exactly one cancelled callback");
	dn_timer_cancel(NULL);
	dn_reactor_free(r);
}

static void
canceller_cb(dn_timer *t, int cancelled, void *arg)
{
	struct tcount *c = arg;

	count_cb(t, cancelled, arg);
	dn_timer_cancel(c->other);
	dn_timer_cancel(t);	/* its own, while firing: no effect */
}

static void
test_cancel_from_callback(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct tcount a = { 0, 0, NULL }, b = { 0, 0, NULL };

	/* same deadline: both are due in the same turn, a first */
	dn_timer_start(r, 5 * MS, canceller_cb, &a, NULL);
	a.other = dn_timer_start(r, 5 * MS, count_cb, &b, NULL);
	dn_reactor_run(r, NULL);
	ok(a.fired == 1 && a.cancelled == 0, "the cancelling timer fired once");
	ok(b.fired == 0 && b.cancelled == 1,
	    "a due timer cancelled by another's callback does not fire, "
	    "gets one cancelled callback");
	dn_reactor_free(r);
}

/* ------------------------------------------------------------------ */

struct dstate {
	dn_reactor *r;
	int seq[8], n;
	int turn_of_nested;
	int turns;
};

static void
defer_mark(void *arg)
{
	struct dstate *d = arg;

	if (d->n < 8)
		d->seq[d->n] = d->n + 1, d->n++;
}

static void
defer_nested_inner(void *arg)
{
	struct dstate *d = arg;

	d->turn_of_nested = d->turns;
}

static void
defer_nested(void *arg)
{
	struct dstate *d = arg;

	dn_reactor_defer(d->r, defer_nested_inner, d, NULL);
}

static void
test_defer(void)
{
	struct dstate d;
	int i, good = 1;

	memset(&d, 0, sizeof(d));
	d.r = dn_reactor_new(NULL);
	for (i = 0; i < 5; i++)
		dn_reactor_defer(d.r, defer_mark, &d, NULL);
	ok(d.n == 0, "deferred calls do not run inline");
	dn_reactor_run_once(d.r, -1, NULL);	/* must not block */
	for (i = 0; i < 5; i++)
		good &= d.seq[i] == i + 1;
	ok(d.n == 5 && good, "deferred calls run in order after one turn");

	dn_reactor_defer(d.r, defer_nested, &d, NULL);
	d.turns = 1;
	dn_reactor_run_once(d.r, -1, NULL);
	ok(d.turn_of_nested == 0, "a call deferred from a deferred call waits "
	    "for the next turn");
	d.turns = 2;
	dn_reactor_run_once(d.r, -1, NULL);
	is_int(d.turn_of_nested, 2, "... and runs on it without blocking");
	dn_reactor_free(d.r);
}

/* ------------------------------------------------------------------ */

struct iostate {
	dn_io *io[2];
	int calls[2];
	char got;
};

static void
pipe_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct iostate *s = arg;

	if (events & DN_READABLE && read(fd, &s->got, 1) == 1)
		s->calls[0]++;
	dn_io_free(io);
}

static void
test_io_pipe(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct iostate s;
	int p[2];

	memset(&s, 0, sizeof(s));
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		abort();
	s.io[0] = dn_io_new(r, p[0], DN_READABLE, pipe_cb, &s, NULL);
	ok(s.io[0] != NULL, "io watcher on a pipe");
	dn_reactor_run_once(r, 0, NULL);
	is_int(s.calls[0], 0, "not readable before a write");
	if (write(p[1], "x", 1) != 1)
		abort();
	dn_reactor_run(r, NULL);
	ok(s.calls[0] == 1 && s.got == 'x', "readable callback read the byte");
	close(p[0]);
	close(p[1]);
	dn_reactor_free(r);
}

static void
pair_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct iostate *s = arg;
	int me = io == s->io[0] ? 0 : 1;
	char c;

	(void)events;
	s->calls[me]++;
	if (read(fd, &c, 1) != 1)
		abort();
	/* both events were fetched in the same epoll_wait */
	dn_io_free(s->io[1 - me]);
	dn_io_free(io);
}

static void
test_io_deferred_free(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct iostate s;
	int a[2], b[2];

	memset(&s, 0, sizeof(s));
	if (pipe2(a, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    pipe2(b, O_CLOEXEC | O_NONBLOCK) == -1)
		abort();
	if (write(a[1], "a", 1) != 1 || write(b[1], "b", 1) != 1)
		abort();
	s.io[0] = dn_io_new(r, a[0], DN_READABLE, pair_cb, &s, NULL);
	s.io[1] = dn_io_new(r, b[0], DN_READABLE, pair_cb, &s, NULL);
	dn_reactor_run_once(r, 100, NULL);
	is_int(s.calls[0] + s.calls[1], 1,
	    "a watcher freed by another's callback in the same turn does "
	    "not run");
	dn_reactor_run(r, NULL);	/* nothing left: returns */
	is_int(s.calls[0] + s.calls[1], 1, "and never runs later");
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
	dn_reactor_free(r);
}

static void
test_io_errors(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct iostate s;
	dn_error e;
	int p[2];
	dn_io *io;

	memset(&s, 0, sizeof(s));
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		abort();
	io = dn_io_new(r, p[0], DN_READABLE, pipe_cb, &s, NULL);
	ok(dn_io_new(r, p[0], DN_READABLE, pipe_cb, &s, &e) == NULL &&
	    e.code == DN_EINVAL, "a second watcher on one fd: DN_EINVAL");
	diag("%s", e.msg);
	ok(dn_io_new(r, 999, DN_READABLE, pipe_cb, &s, &e) == NULL &&
	    e.code == DN_ELOCAL, "a closed fd: DN_ELOCAL (%s)", e.msg);
	is_int(dn_io_set(io, 0, NULL), 0, "watching nothing leaves epoll");
	dn_reactor_run(r,
	    NULL);	/* an idle watcher keeps nothing alive */
	ok(1, "run returns with only an idle watcher");
	/* freed by dn_reactor_free without a callback */
	dn_reactor_free(r);
	close(p[0]);
	close(p[1]);
}

/* ------------------------------------------------------------------ */

struct sigstate {
	int calls, signo;
	dn_signal *s;
};

static void
sig_cb(dn_signal *s, int signo, void *arg)
{
	struct sigstate *st = arg;

	st->calls++;
	st->signo = signo;
	dn_signal_free(s);
}

static int
usr1_blocked(void)
{
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGUSR1);
}

static void
test_signal(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct sigstate st = { 0, 0, NULL };

	ok(!usr1_blocked(), "SIGUSR1 not blocked at first");
	st.s = dn_signal_new(r, SIGUSR1, sig_cb, &st, NULL);
	ok(st.s != NULL && usr1_blocked(), "a dn_signal blocks SIGUSR1");
	raise(SIGUSR1);
	run_until(r, &st.calls, 1, 2000);
	ok(st.calls == 1 && st.signo == SIGUSR1, "SIGUSR1 came through "
	    "signalfd");
	ok(!usr1_blocked(), "freeing it restores the mask");

	/* a signal watcher alone does not keep run() going */
	st.s = dn_signal_new(r, SIGUSR1, sig_cb, &st, NULL);
	dn_reactor_run(r, NULL);
	ok(1, "run returns with only a signal watcher");
	dn_reactor_free(r);	/* frees st.s */
	ok(!usr1_blocked(), "dn_reactor_free restores the mask");
}

/* ------------------------------------------------------------------ */

static void
count_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	(void)io;
	(void)fd;
	(void)events;
	(*(int *)arg)++;
}

/* Some epoll set of this process holds fd (its /proc fdinfo says). */
static int
in_an_epoll_set(int fd)
{
	char path[64], line[256];
	int i, found = 0, n;
	FILE *f;

	for (i = 0; i < 1024 && !found; i++) {
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", i);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "tfd: %d", &n) == 1 && n == fd)
				found = 1;
		fclose(f);
	}
	return found;
}

/*
 * An epoll fd watched by the reactor (the all-interfaces listener's set)
 * that stays when paused: an empty mask keeps it in the set, delivers
 * nothing, and keeps dn_reactor_run() going no more than a watcher that
 * left would.
 */
static void
test_io_stay(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct tcount idle = { 0, 0, NULL };
	struct epoll_event ev;
	uint64_t t0;
	dn_io *io;
	int inner, p[2], calls = 0;

	if ((inner = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		abort();
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if (epoll_ctl(inner, EPOLL_CTL_ADD, p[0], &ev) == -1 ||
	    write(p[1], "x", 1) != 1)
		abort();
	io = dn_io_new(r, inner, DN_READABLE, count_io_cb, &calls, NULL);
	dn__io_stay(io);
	dn_reactor_run_once(r, 0, NULL);
	is_int(calls, 1, "a nested epoll set with a ready fd is readable");
	ok(dn_io_set(io, 0, NULL) == 0, "an empty mask on a watcher that "
	    "stays");
	turns(r, 3);
	is_int(calls, 1, "  delivers nothing, though the set is still ready");
	ok(in_an_epoll_set(inner), "  and the fd is still in the reactor's "
	    "epoll set");
	t0 = dn_reactor_update_time(r);
	dn_timer_start(r, 1 * MS, count_cb, &idle, NULL);
	/* a watcher that counted would make run() wait forever */
	alarm(10);
	dn_reactor_run(r, NULL);
	alarm(0);
	ok(idle.fired == 1 && dn_reactor_now(r) - t0 < 1000 * MS,
	    "  dn_reactor_run() returns when the timer is done: the watcher "
	    "waits for nothing");
	ok(dn_io_set(io, DN_READABLE, NULL) == 0, "the mask back");
	dn_reactor_run_once(r, 0, NULL);
	ok(calls >= 2, "  delivers again");
	dn_io_free(io);
	close(inner);
	close(p[0]);
	close(p[1]);
	dn_reactor_free(r);
}

/*
 * Narrowing a mask is lazy (a paused listener, a relay's socket): the fd
 * stays in the epoll set until an event it no longer wants arrives; that
 * event is not delivered, and takes the fd out. Widening again before
 * anything arrived costs nothing and delivers as before.
 */
static void
test_io_lazy(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	dn_io *io;
	int p[2], q[2], calls = 0;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		abort();
	io = dn_io_new(r, p[0], DN_READABLE, count_io_cb, &calls, NULL);
	ok(dn_io_set(io, 0, NULL) == 0 && in_an_epoll_set(p[0]),
	    "an emptied mask leaves the fd in the epoll set until an event");
	ok(dn_io_set(io, DN_READABLE, NULL) == 0 && in_an_epoll_set(p[0]),
	    "  widened back before one arrived: still there");
	ok(dn_io_set(io, 0, NULL) == 0, "  emptied again");
	if (write(p[1], "x", 1) != 1)
		abort();
	turns(r, 3);
	is_int(calls, 0, "  a readable fd that is not wanted is not delivered");
	ok(!in_an_epoll_set(p[0]), "  and its event took it out of the set");
	alarm(10);
	dn_reactor_run(r, NULL);	/* nothing counted: returns */
	alarm(0);
	ok(dn_io_set(io, DN_READABLE, NULL) == 0, "  the mask back");
	turns(r, 1);
	is_int(calls, 1, "  delivers what waited meanwhile");
	ok(dn_io_set(io, 0, NULL) == 0, "emptied, then the writer closes");
	close(p[1]);
	turns(r, 3);
	is_int(calls, 1, "  the hang-up is not delivered either");
	/* the file closed while its watcher idled in the set: the kernel
	 * dropped it; another file on the same fd number is watched anew */
	ok(dn_io_set(io, DN_WRITABLE, NULL) == 0 &&
	    dn_io_set(io, 0, NULL) == 0, "watched for something else, then "
	    "emptied");
	if (pipe2(q, O_CLOEXEC | O_NONBLOCK) == -1 || dup2(q[0], p[0]) == -1)
		abort();
	close(q[0]);
	if (write(q[1], "y", 1) != 1)
		abort();
	ok(dn_io_set(io, DN_READABLE, NULL) == 0, "  the fd number now a "
	    "new pipe: watched again");
	turns(r, 1);
	is_int(calls, 2, "  and its event delivered");
	dn_io_free(io);
	close(p[0]);
	close(q[1]);
	dn_reactor_free(r);
}

static void
stop_cb(dn_timer *t, int cancelled, void *arg)
{
	(void)t;
	if (!cancelled)
		dn_reactor_stop(arg);
}

static void
test_run_and_free(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct tcount c[4];
	struct tcount far = { 0, 0, NULL };
	int i, good = 1;
	uint64_t t0;

	memset(c, 0, sizeof(c));
	t0 = dn_reactor_update_time(r);
	dn_timer_start(r, 20 * MS, count_cb, &c[0], NULL);
	dn_reactor_run(r, NULL);
	ok(c[0].fired == 1 && dn_reactor_now(r) - t0 >= 20 * MS,
	    "run waits for the timer, then returns when nothing is left");

	dn_timer_start(r, 5 * MS, stop_cb, r, NULL);
	dn_timer_start(r, 10000 * MS, count_cb, &far, NULL);
	dn_reactor_run(r, NULL);
	ok(far.fired == 0, "dn_reactor_stop ends run with work left");

	for (i = 0; i < 3; i++)
		dn_timer_start(r, (uint64_t)(i + 1) * 1000 * MS, count_cb,
		    &c[i + 1], NULL);
	dn_timer_cancel(dn_timer_start(r, 1000 * MS, count_cb, &c[0], NULL));
	dn_reactor_free(r);
	for (i = 0; i < 4; i++)
		good &= c[i].cancelled == 1;
	ok(good && far.cancelled == 1 && c[1].fired == 0,
	    "dn_reactor_free: one cancelled callback per pending timer");
	dn_reactor_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Resolution                                                         */
/* ------------------------------------------------------------------ */

static void
res_cb(dn_resolve_req *req, int family, const dn_addr *addrs, size_t n,
    const dn_error *err, void *arg)
{
	(void)req;
	ok(rstate_record(arg, family, addrs, n, err),
	    "callback has addresses xor an error");
}

static void
test_resolve_literal(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a, b, c, d, e;
	char buf[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a)); memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c)); memset(&d, 0, sizeof(d));
	memset(&e, 0, sizeof(e));
	dn_resolve(r, "192.0.2.7", 80, AF_INET, res_cb, &a, NULL);
	dn_resolve(r, "fe80::1%lo", 443, AF_INET6, res_cb, &b, NULL);
	dn_resolve(r, "::1", 80, AF_INET, res_cb, &c, NULL);
	dn_resolve(r, "fe80::1%nosuchif0", 80, AF_INET6, res_cb, &d, NULL);
	dn_resolve(r, "name%eth0", 80, AF_INET6, res_cb, &e, NULL);
	ok(a.calls + b.calls + c.calls + d.calls + e.calls == 0,
	    "literal answers are not inline");
	dn_reactor_run(r, NULL);
	ok(a.calls == 1 && a.naddrs == 1 && a.family == AF_INET &&
	    strcmp(host(&a.addrs[0], buf, sizeof(buf)), "192.0.2.7") == 0 &&
	    ntohs(a.addrs[0].u.sin.sin_port) == 80 &&
	    a.addrs[0].len == sizeof(struct sockaddr_in),
	    "IPv4 literal answered with its port");
	ok(b.calls == 1 && b.naddrs == 1 &&
	    b.addrs[0].u.sin6.sin6_scope_id == if_nametoindex("lo") &&
	    ntohs(b.addrs[0].u.sin6.sin6_port) == 443,
	    "IPv6 literal keeps its zone as scope id");
	ok(c.calls == 1 && c.code == DN_ENODATA, "IPv6 literal asked as IPv4: "
	    "DN_ENODATA (%s)", c.msg);
	ok(d.calls == 1 && d.code == DN_EBADSCOPE, "unknown zone: DN_EBADSCOPE "
	    "(%s)", d.msg);
	ok(e.calls == 1 && e.code == DN_ENONAME, "a zone on a name: DN_ENONAME "
	    "(%s)", e.msg);
	dn_reactor_free(r);
}

static void
test_resolve_localhost(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a, b;
	char buf[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	dn_resolve(r, "localhost", 8080, AF_INET, res_cb, &a, NULL);
	ok(a.calls == 0, "hosts-file answer is not inline");
	dn_resolve_cancel(dn_resolve(r, "localhost", 1, AF_INET, res_cb, &b,
	    NULL));
	run_until(r, &a.calls, 1, 3000);
	run_until(r, &b.calls, 1, 3000);
	ok(a.calls == 1 && a.code == DN_OK && a.naddrs >= 1 &&
	    strcmp(host(&a.addrs[0], buf, sizeof(buf)), "127.0.0.1") == 0 &&
	    ntohs(a.addrs[0].u.sin.sin_port) == 8080,
	    "localhost/IPv4 from /etc/hosts: 127.0.0.1 (%s)",
	    a.naddrs ? buf : a.msg);
	ok(b.calls == 1 && b.code == DN_ECANCELED, "cancelled: DN_ECANCELED (%s)",
	    b.msg);
	dn_reactor_run(r, NULL);
	ok(a.calls == 1 && b.calls == 1, "exactly one callback each");
	dn_reactor_free(r);
}

/* A UDP "name server" on loopback, driven by the same reactor. */
struct fakedns {
	int fd;
	uint16_t port;
	int rcode;		/* -1: never answer */
	int queries;
	dn_io *io;
};

static void
fakedns_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct fakedns *f = arg;
	unsigned char buf[512];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	(void)io;
	(void)events;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n < 12)
		return;
	f->queries++;
	if (f->rcode < 0)
		return;
	/* RFC 1035 §4.1.1: echo id and question, QR=1, RA=1, no answers */
	buf[2] = 0x80 | (buf[2] & 0x01);
	buf[3] = 0x80 | (unsigned char)f->rcode;
	buf[6] = buf[7] = buf[8] = buf[9] = buf[10] = buf[11] = 0;
	(void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
}

static int
fakedns_start(dn_reactor *r, struct fakedns *f, int rcode)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->rcode = rcode;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(f->fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	f->port = ntohs(sin.sin_port);
	f->io = dn_io_new(r, f->fd, DN_READABLE, fakedns_cb, f, NULL);
	return f->io != NULL ? 0 : -1;
}

static void
fakedns_stop(struct fakedns *f)
{
	dn_io_free(f->io);
	close(f->fd);
}

/* RFC 6761 names: answered at once, and no query leaves (the DNS server
 * here counts what reaches it). */
static void
test_resolve_special(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a, b, c, d;
	struct fakedns f;
	char servers[64], buf[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a)); memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c)); memset(&d, 0, sizeof(d));
	ok(fakedns_start(r, &f, 0) == 0, "counting DNS server on loopback");
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f.port);
	ok(dn_reactor_set_dns_servers(r, servers, NULL) == 0, "DNS server set");
	dn_resolve(r, "localhost", 80, AF_INET6, res_cb, &a, NULL);
	dn_resolve(r, "Printer.LOCALHOST.", 80, AF_INET, res_cb, &b, NULL);
	dn_resolve(r, "nosuch.invalid", 80, AF_INET, res_cb, &c, NULL);
	ok(a.calls + b.calls + c.calls == 0, "special names are not inline");
	run_until(r, &a.calls, 1, 2000);
	run_until(r, &b.calls, 1, 2000);
	run_until(r, &c.calls, 1, 2000);
	ok(a.calls == 1 && a.naddrs == 1 &&
	    strcmp(host(&a.addrs[0], buf, sizeof(buf)), "::1") == 0,
	    "localhost/IPv6 is ::1");
	ok(b.calls == 1 && b.naddrs == 1 &&
	    strcmp(host(&b.addrs[0], buf, sizeof(buf)), "127.0.0.1") == 0,
	    "Printer.LOCALHOST. is 127.0.0.1");
	ok(c.calls == 1 && c.code == DN_ENONAME, "nosuch.invalid: DN_ENONAME "
	    "(%s)", c.msg);
	is_int(f.queries, 0, "no query for localhost or .invalid names");
	dn_resolve(r, "notlocalhost.test", 80, AF_INET, res_cb, &d, NULL);
	run_until(r, &d.calls, 1, 5000);
	ok(d.calls == 1 && f.queries >= 1, "notlocalhost.test is an ordinary "
	    "name: it was asked (%d queries)", f.queries);
	fakedns_stop(&f);
	dn_reactor_free(r);
}

/* A name DNS cannot carry is refused before any query, on each path. */
static void
test_resolve_bad_name(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a, b;
	struct fakedns f;
	char servers[64], name[80];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(name, 'a', 64);
	strcpy(name + 64, ".test");
	ok(fakedns_start(r, &f, 0) == 0, "counting DNS server on loopback");
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f.port);
	ok(dn_reactor_set_dns_servers(r, servers, NULL) == 0, "DNS server set");
	dn_resolve(r, name, 80, AF_INET, res_cb, &a, NULL);
	dn_resolve_system(r, "a..test", 80, AF_INET6, res_cb, &b, NULL);
	ok(a.calls + b.calls == 0, "bad names are answered on a later turn");
	run_until(r, &a.calls, 1, 2000);
	run_until(r, &b.calls, 1, 2000);
	ok(a.calls == 1 && a.code == DN_ESYNTAX &&
	    strstr(a.msg, "is 64 bytes: a label is at most 63") != NULL,
	    "a 64-byte label: DN_ESYNTAX (%s)", a.msg);
	ok(b.calls == 1 && b.code == DN_ESYNTAX &&
	    strstr(b.msg, "empty label") != NULL,
	    "system resolver, an empty label: DN_ESYNTAX (%s)", b.msg);
	is_int(f.queries, 0, "no query for either");
	fakedns_stop(&f);
	dn_reactor_free(r);
}

static void
test_resolve_timeout(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct fakedns f;
	struct rstate a;
	char servers[64];
	dn_error e;
	uint64_t t0, el;

	memset(&a, 0, sizeof(a));
	ok(fakedns_start(r, &f, -1) == 0, "silent UDP server on 127.0.0.1:%u",
	    f.port);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f.port);
	ok(dn_reactor_set_dns_servers(r, servers, &e) == 0, "set DNS server %s",
	    servers);
	ok(dn__resolver_set_timeout(r, 200, 1, &e) == 0, "timeout 200 ms, 1 try");
	t0 = dn_reactor_update_time(r);
	dn_resolve(r, "dualnet-timeout.test", 80, AF_INET, res_cb, &a, NULL);
	run_until(r, &a.calls, 1, 10000);
	el = (dn_reactor_now(r) - t0) / MS;
	ok(a.calls == 1 && a.code == DN_EDNSTIMEOUT,
	    "silent server: DN_EDNSTIMEOUT (%s)", a.msg);
	ok(f.queries >= 1, "the query reached our server (%d)", f.queries);
	ok(el >= 150 && el < 5000, "bounded in time (%llu ms)",
	    (unsigned long long)el);
	ok(strstr(a.msg, "dualnet-timeout.test") != NULL &&
	    strstr(a.msg, "IPv4") != NULL, "message names host and family");

	/* a cancelled query that c-ares still holds; then free under it */
	memset(&a, 0, sizeof(a));
	dn_resolve_cancel(dn_resolve(r, "dualnet-cancel.test", 80, AF_INET6,
	    res_cb, &a, NULL));
	run_until(r, &a.calls, 1, 2000);
	ok(a.calls == 1 && a.code == DN_ECANCELED, "cancel of an in-flight "
	    "query: DN_ECANCELED on the next turn");
	{
		struct rstate b;

		memset(&b, 0, sizeof(b));
		dn_resolve(r, "dualnet-pending.test", 80, AF_INET, res_cb,
		    &b, NULL);
		dn_reactor_run_once(r, 0, NULL);
		fakedns_stop(&f);
		dn_reactor_free(r);
		ok(b.calls == 1 && b.code == DN_ECANCELED, "dn_reactor_free "
		    "completes a pending resolution once with DN_ECANCELED");
		ok(a.calls == 1, "the cancelled one is not called again");
	}
}

static void
test_resolve_rcodes(void)
{
	static const struct {
		int rcode;
		dn_err want;
		const char *what;
	} cases[] = {
		{ 3, DN_ENONAME, "NXDOMAIN" },
		{ 0, DN_ENODATA, "NODATA" },
		{ 2, DN_ESERVFAIL, "SERVFAIL" },
	};
	size_t i;

	for (i = 0; i < DN__ARRLEN(cases); i++) {
		dn_reactor *r = dn_reactor_new(NULL);
		struct fakedns f;
		struct rstate a;
		char servers[64];

		memset(&a, 0, sizeof(a));
		fakedns_start(r, &f, cases[i].rcode);
		snprintf(servers, sizeof(servers), "[::ffff:127.0.0.1]:%u,"
		    "127.0.0.1:%u", f.port, f.port);
		dn_reactor_set_dns_servers(r, servers, NULL);
		/* c-ares goes on to the next server after SERVFAIL */
		dn__resolver_set_timeout(r, 500, 1, NULL);
		dn_resolve(r, "dualnet-rcode.test", 80, AF_INET6, res_cb, &a,
		    NULL);
		run_until(r, &a.calls, 1, 5000);
		/* c-ares 1.18 reports SERVFAIL from every server as
		 * ARES_ECONNREFUSED: DN_EDNSTIMEOUT; later ones as SERVFAIL */
		ok(a.calls == 1 && (a.code == cases[i].want ||
		    (cases[i].rcode == 2 && a.code == DN_EDNSTIMEOUT)),
		    "%s -> %s (%s: %s)", cases[i].what,
		    dn_err_name(cases[i].want), dn_err_name(a.code), a.msg);
		fakedns_stop(&f);
		dn_reactor_free(r);
	}
}

static void
test_resolve_refused(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct rstate a;
	char servers[64];
	int fd;

	/* a port nobody listens on: ICMP port unreachable */
	memset(&a, 0, sizeof(a));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		abort();
	close(fd);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(sin.sin_port));
	dn_reactor_set_dns_servers(r, servers, NULL);
	dn__resolver_set_timeout(r, 300, 1, NULL);
	dn_resolve(r, "dualnet-refused.test", 80, AF_INET, res_cb, &a, NULL);
	run_until(r, &a.calls, 1, 5000);
	ok(a.calls == 1 && a.code == DN_EDNSTIMEOUT, "closed server port: "
	    "DN_EDNSTIMEOUT (%s)", a.msg);
	dn_reactor_free(r);
}

static void
test_dns_servers_syntax(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	/* the address module's rules: no brackets on IPv4, no sign on a
	 * port, no zone on loopback (these three passed once) */
	static const char *bad[] = { "", "nope", "1.2.3.4:99999", "[::1",
	    "[::1]x", "1.2.3.4,,5.6.7.8", "fe80::1%lo", "1.2.3.4:0",
	    "[192.0.2.1]", "127.0.0.1:+53", "::1%lo", "fe80::1" };
	dn_error e;
	size_t i;

	for (i = 0; i < DN__ARRLEN(bad); i++) {
		memset(&e, 0, sizeof(e));
		ok(dn_reactor_set_dns_servers(r, bad[i], &e) == -1 &&
		    dn_err_kind_of(e.code) == DN_KIND_INPUT,
		    "bad server list '%s': %s", bad[i], e.msg);
	}
	/* the message quotes the bad entry, not the rest of the list */
	ok(dn_reactor_set_dns_servers(r, "[::1]x,127.0.0.1", &e) == -1 &&
	    strstr(e.msg, "'[::1]x'") != NULL &&
	    strstr(e.msg, "127.0.0.1") == NULL, "'[::1]x,127.0.0.1': %s",
	    e.msg);
	ok(dn_reactor_set_dns_servers(r, "[::1]:5353, 127.0.0.1,2001:db8::53",
	    NULL) == 0, "good server list accepted");
	ok(dn_reactor_set_dns_servers(r, NULL, NULL) == 0, "NULL: back to "
	    "resolv.conf");
	dn_reactor_free(r);
}

int
main(void)
{
	test_deadline_order();
	test_equal_deadlines();
	test_cancel();
	test_cancel_from_callback();
	test_defer();
	test_io_pipe();
	test_io_deferred_free();
	test_io_errors();
	test_io_stay();
	test_io_lazy();
	test_signal();
	test_run_and_free();
	test_resolve_literal();
	resolve_zone_rules(dn_resolve, "dn_resolve");
	test_resolve_localhost();
	test_resolve_special();
	test_resolve_bad_name();
	test_resolve_timeout();
	test_resolve_rcodes();
	test_resolve_refused();
	test_dns_servers_syntax();
	return tap_done(0);
}
