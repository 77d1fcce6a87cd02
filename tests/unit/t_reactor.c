/* t_reactor.c - the reactor: timers, deferred calls, fd watchers, signals, run and free. */

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
test_deadline_order(dn_reactor *r)
{
	norder = 0;
	dn_timer_start(r, 30 * MS, order_cb, (void *)3, NULL);
	dn_timer_start(r, 10 * MS, order_cb, (void *)1, NULL);
	dn_timer_start(r, 20 * MS, order_cb, (void *)2, NULL);
	dn_timer_start(r, 0, order_cb, (void *)0, NULL);
	is_int(dn_reactor_run(r, NULL), 0, "run returns 0");
	ok(norder == 4 && order[0] == 0 && order[1] == 1 && order[2] == 2 &&
	    order[3] == 3, "timers fire in deadline order");
}

static void
test_equal_deadlines(dn_reactor *r)
{
	int i, inorder = 1;

	norder = 0;
	/* the cached time does not move between starts: equal deadlines */
	for (i = 0; i < 50; i++)
		dn_timer_start(r, 5 * MS, order_cb, (void *)(intptr_t)i, NULL);
	dn_reactor_run(r, NULL);
	for (i = 0; i < 50; i++)
		inorder &= order[i] == i;
	ok(norder == 50 && inorder, "50 equal deadlines fire in start order");
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
test_cancel(dn_reactor *r)
{
	struct tcount c = { 0, 0, NULL };
	dn_timer *t = dn_timer_start(r, 10 * MS, count_cb, &c, NULL);

	dn_timer_cancel(t);
	ok(c.cancelled == 0 && c.fired == 0, "cancel does not call back inline");
	dn_reactor_run_once(r, 0, NULL);
	ok(c.cancelled == 1 && c.fired == 0, "cancelled callback on the next turn");
	dn_reactor_run(r, NULL);
	ok(c.cancelled == 1 && c.fired == 0, "exactly one cancelled callback");
	dn_timer_cancel(NULL);
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
test_cancel_from_callback(dn_reactor *r)
{
	struct tcount a = { 0, 0, NULL }, b = { 0, 0, NULL };

	/* same deadline: both are due in the same turn, a first */
	dn_timer_start(r, 5 * MS, canceller_cb, &a, NULL);
	a.other = dn_timer_start(r, 5 * MS, count_cb, &b, NULL);
	dn_reactor_run(r, NULL);
	ok(a.fired == 1 && a.cancelled == 0, "the cancelling timer fired once");
	ok(b.fired == 0 && b.cancelled == 1,
	    "a due timer cancelled by another's callback does not fire, "
	    "gets one cancelled callback");
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
test_defer(dn_reactor *r)
{
	struct dstate d;
	int i, good = 1;

	memset(&d, 0, sizeof(d));
	d.r = r;
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
}

/* dn__defer_soon: the next step of work at hand, still in this turn. */
struct soon {
	dn_reactor *r;
	dn__defer d;
	int runs;
};

static void
soon_count(void *arg)
{
	((struct soon *)arg)->runs++;
}

static void
soon_again(void *arg)
{
	struct soon *s = arg;

	s->runs++;
	dn__defer_soon(s->r, &s->d);
}

static void
soon_from_deferred(void *arg)
{
	struct soon *s = arg;

	dn__defer_soon(s->r, &s->d);
}

static void
test_defer_soon(dn_reactor *r)
{
	struct soon s;

	memset(&s, 0, sizeof(s));
	s.r = r;
	dn__defer_init(&s.d, soon_count, &s);
	dn_reactor_defer(r, soon_from_deferred, &s, NULL);
	dn_reactor_run_once(r, -1, NULL);
	is_int(s.runs, 1, "a soon call queued by a deferred call runs in "
	    "the same turn");

	dn__defer_init(&s.d, soon_again, &s);
	s.runs = 0;
	dn__defer_soon(r, &s.d);
	dn_reactor_run_once(r, -1, NULL);
	ok(s.runs > 1 && s.runs < 1000 && dn__defer_queued(&s.d),
	    "one that queues itself again runs a bounded number of times "
	    "a turn (%d), then waits for the next", s.runs);
	dn__defer_cancel(&s.d);
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
test_io_pipe(dn_reactor *r)
{
	struct iostate s;
	char what[128];
	int p[2];

	memset(&s, 0, sizeof(s));
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		abort();
	s.io[0] = dn_io_new(r, p[0], DN_READABLE, pipe_cb, &s, NULL);
	ok(s.io[0] != NULL, "io watcher on a pipe");
	dn_reactor_run_once(r, 0, NULL);
	is_int(s.calls[0], 0, "not readable before a write");
	ok(dn__reactor_busy(r, what, sizeof(what)) && strcmp(what,
	    "1 watchers, 0 timers, no deferred calls, 0 handles") == 0,
	    "the leak check sees the waiting watcher (%s)", what);
	if (write(p[1], "x", 1) != 1)
		abort();
	dn_reactor_run(r, NULL);
	ok(s.calls[0] == 1 && s.got == 'x', "readable callback read the byte");
	close(p[0]);
	close(p[1]);
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
test_io_deferred_free(dn_reactor *r)
{
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
}

static void
test_io_errors(dn_reactor *r)
{
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
	dn_reactor_run(r, NULL);	/* an idle watcher keeps nothing alive */
	ok(1, "run returns with only an idle watcher");
	test_idle(r, "test_io_errors, an idle watcher only");
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
test_signal(dn_reactor *r)
{
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
	test_idle(r, "test_signal, a signal watcher only");
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
test_io_stay(dn_reactor *r)
{
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
}

/*
 * Narrowing a mask is lazy (a paused listener, a relay's socket): the fd
 * stays in the epoll set until an event it no longer wants arrives; that
 * event is not delivered, and takes the fd out. Widening again before
 * anything arrived costs nothing and delivers as before.
 */
static void
test_io_lazy(dn_reactor *r)
{
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
}

static void
stop_cb(dn_timer *t, int cancelled, void *arg)
{
	(void)t;
	if (!cancelled)
		dn_reactor_stop(arg);
}

static void
test_run_and_free(dn_reactor *r)
{
	struct tcount c[4];
	struct tcount far = { 0, 0, NULL };
	char what[128];
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
	ok(dn__reactor_busy(r, what, sizeof(what)) && strcmp(what,
	    "0 watchers, 4 timers, some deferred calls, 0 handles") == 0,
	    "the leak check sees the armed timers and the cancelled one's "
	    "callback (%s)", what);
	dn_reactor_free(r);
	for (i = 0; i < 4; i++)
		good &= c[i].cancelled == 1;
	ok(good && far.cancelled == 1 && c[1].fired == 0,
	    "dn_reactor_free: one cancelled callback per pending timer");
	dn_reactor_free(NULL);
}

int
main(void)
{
	each("test_deadline_order", test_deadline_order);
	each("test_equal_deadlines", test_equal_deadlines);
	each("test_cancel", test_cancel);
	each("test_cancel_from_callback", test_cancel_from_callback);
	each("test_defer", test_defer);
	each("test_defer_soon", test_defer_soon);
	each("test_io_pipe", test_io_pipe);
	each("test_io_deferred_free", test_io_deferred_free);
	each("test_io_stay", test_io_stay);
	each("test_io_lazy", test_io_lazy);
	/* these free their reactor themselves, under an idle watcher, a
	 * signal watcher and armed timers: dn_reactor_free must cope */
	each_freeing("test_io_errors", test_io_errors);
	each_freeing("test_signal", test_signal);
	each_freeing("test_run_and_free", test_run_and_free);
	return tap_done(0);
}
