/* reactor.c - the event loop: level-triggered epoll, monotonic min-heap timers, signalfd signals, deferred calls. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * One loop turn (dn_reactor_run_once):
 *  1. epoll_wait, for at most the caller's timeout, the nearest timer, or
 *     not at all when deferred calls are queued;
 *  2. the cached time is refreshed;
 *  3. io callbacks for the events fetched; a watcher freed meanwhile is
 *     skipped (its memory stays until step 6);
 *  4. timers that are due, earliest deadline first, equal deadlines in start
 *     order; a timer started during this step waits for the next turn, so a
 *     zero-delay timer that restarts itself cannot starve the loop;
 *  5. the deferred calls queued before this step began, in order; calls
 *     queued while they run belong to the next turn (whose epoll_wait then
 *     does not block), which bounds every turn; except that the first
 *     DN__SOON_MAX calls queued with dn__defer_soon join this step;
 *  6. watchers freed during the turn are released.
 */

#define DN__EVENTS_MAX 64
/* dn_reactor_free() gives up on callbacks that keep starting new work. */
#define DN__FREE_ROUNDS 1000
/* Large buffers kept for the next user (dn__buf_put). */
#define DN__BUFS_KEPT	4
/*
 * Step 5 takes this many dn__defer_soon calls queued by its own calls: a
 * keep-open server's accept, relay and resumed accept then follow each
 * other without an epoll_wait between connections (each one a system
 * call that finds the next connection already there), while a chain that
 * never ends still lets the loop turn.
 */
#define DN__SOON_MAX	64
/* Empty pipes kept for the next relay (dn__pipe_put). */
#define DN__PIPES_KEPT	2
/* Local files (stdin, stdout) whose kind is remembered (dn__fd_info). */
#define DN__FDS_KEPT	4

struct dn__defer_list {
	dn__defer *head, *tail;
};

struct dn_timer {
	dn_reactor *r;
	uint64_t deadline;	/* ns, CLOCK_MONOTONIC */
	uint64_t seq;		/* start order: the tie-break */
	size_t idx;		/* heap slot while armed */
	enum { T_ARMED, T_FIRING, T_CANCELLED } state;
	int weak;
	dn_timer_cb cb;
	void *arg;
	dn__defer cancel_call;	/* delivers cb(cancelled=1) */
};

struct dn_io {
	dn_reactor *r;
	struct dn_io *prev, *next;	/* r->ios, or r->dead once freed */
	int fd;
	unsigned events;
	unsigned kevents;		/* what the epoll set has: >= events */
	int registered;			/* in the epoll set */
	int closed;
	int weak;
	int stays;			/* events 0 stays in the set (MOD) */
	dn_io_cb cb;
	void *arg;
};

struct dn_signal {
	dn_reactor *r;
	struct dn_signal *prev, *next;
	int signo;
	int fd;			/* signalfd */
	int was_blocked;	/* blocked before we blocked it: leave it so */
	dn_io *io;
	dn_signal_cb cb;
	void *arg;
};

struct dn_reactor {
	int epfd;
	uint64_t now;
	int stop;
	int in_turn;

	dn_timer **heap;
	size_t nheap, heapcap;
	size_t nweak_timers;	/* armed timers that keep nothing alive */
	uint64_t timer_seq;
	uint64_t fire_limit;	/* step 4: only timers with seq below this */

	struct dn__defer_list deferred;
	struct dn__defer_list *running;	/* step 5's own list, while it runs */
	int soon_left;			/* dn__defer_soon calls it still takes */

	dn_io *ios;		/* live watchers */
	dn_io *dead;		/* freed, released after the dispatch */
	size_t nref_io;		/* live, registered, not weak */

	dn_signal *signals;
	dn__handle *handles;	/* newest first */

	struct {
		void *p;
		void (*destroy)(void *);
	} state[DN__STATE_MAX];	/* see dn__reactor_state() */

	struct {
		void *p;
		size_t size;
	} bufs[DN__BUFS_KEPT];	/* see dn__buf_get() */
	size_t nbufs;
	int pipes[DN__PIPES_KEPT][2];
	size_t npipes;
	struct {
		dev_t dev, rdev;
		ino_t ino;
		mode_t mode;
		int fd;
		struct dn__fdinfo info;
	} fds[DN__FDS_KEPT];	/* see dn__fd_info() */
	size_t nfds, fdnext;
};

/* A dn_reactor_defer() call that owns its node. */
struct defer_call {
	dn__defer node;
	void (*fn)(void *);
	void *arg;
};

static uint64_t
mono_now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Deferred calls                                                     */
/* ------------------------------------------------------------------ */

static void
list_append(struct dn__defer_list *l, dn__defer *d)
{
	d->list = l;
	d->next = NULL;
	d->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = d;
	else
		l->head = d;
	l->tail = d;
}

static void
list_unlink(dn__defer *d)
{
	struct dn__defer_list *l = d->list;

	if (l == NULL)
		return;
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		l->head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		l->tail = d->prev;
	d->prev = d->next = NULL;
	d->list = NULL;
}

void
dn__defer_init(dn__defer *d, void (*fn)(void *arg), void *arg)
{
	memset(d, 0, sizeof(*d));
	d->fn = fn;
	d->arg = arg;
}

void
dn__defer_queue(dn_reactor *r, dn__defer *d)
{
	if (d->list != NULL)
		return;
	list_append(&r->deferred, d);
}

void
dn__defer_soon(dn_reactor *r, dn__defer *d)
{
	if (d->list != NULL)
		return;
	if (r->running != NULL && r->soon_left > 0) {
		r->soon_left--;
		list_append(r->running, d);
	} else
		list_append(&r->deferred, d);
}

void
dn__defer_cancel(dn__defer *d)
{
	list_unlink(d);
}

int
dn__defer_queued(const dn__defer *d)
{
	return d->list != NULL;
}

static void
defer_call_run(void *arg)
{
	struct defer_call *c = arg;
	void (*fn)(void *) = c->fn;
	void *fnarg = c->arg;

	free(c);
	fn(fnarg);
}

int
dn_reactor_defer(dn_reactor *r, void (*fn)(void *arg), void *arg,
    dn_error *err)
{
	struct defer_call *c;

	if (r == NULL || fn == NULL)
		return dn__err(err, DN_EINVAL, 0, "defer without a reactor or a "
		    "function");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory for a "
		    "deferred call");
	c->fn = fn;
	c->arg = arg;
	dn__defer_init(&c->node, defer_call_run, c);
	dn__defer_queue(r, &c->node);
	return 0;
}

/* Step 5: runs what was queued before it began. */
static void
run_deferred(dn_reactor *r)
{
	struct dn__defer_list now = r->deferred;
	dn__defer *d;

	if (now.head == NULL)
		return;
	r->deferred.head = r->deferred.tail = NULL;
	for (d = now.head; d != NULL; d = d->next)
		d->list = &now;
	r->running = &now;
	r->soon_left = DN__SOON_MAX;
	/* a call may cancel a later one: always take the current head */
	while ((d = now.head) != NULL) {
		list_unlink(d);
		d->fn(d->arg);
	}
	r->running = NULL;
}

/* ------------------------------------------------------------------ */
/* Timers: a binary min-heap on (deadline, seq)                       */
/* ------------------------------------------------------------------ */

static int
timer_less(const dn_timer *a, const dn_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void
heap_set(dn_reactor *r, size_t i, dn_timer *t)
{
	r->heap[i] = t;
	t->idx = i;
}

static void
heap_up(dn_reactor *r, size_t i)
{
	dn_timer *t = r->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_less(t, r->heap[parent]))
			break;
		heap_set(r, i, r->heap[parent]);
		i = parent;
	}
	heap_set(r, i, t);
}

static void
heap_down(dn_reactor *r, size_t i)
{
	dn_timer *t = r->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= r->nheap)
			break;
		if (c + 1 < r->nheap && timer_less(r->heap[c + 1], r->heap[c]))
			c++;
		if (!timer_less(r->heap[c], t))
			break;
		heap_set(r, i, r->heap[c]);
		i = c;
	}
	heap_set(r, i, t);
}

static int
heap_push(dn_reactor *r, dn_timer *t)
{
	if (r->nheap == r->heapcap) {
		size_t ncap = r->heapcap ? r->heapcap * 2 : 16;
		dn_timer **nh;

		if ((nh = reallocarray(r->heap, ncap, sizeof(*nh))) == NULL)
			return -1;
		r->heap = nh;
		r->heapcap = ncap;
	}
	heap_set(r, r->nheap++, t);
	heap_up(r, t->idx);
	return 0;
}

static void
heap_remove(dn_reactor *r, dn_timer *t)
{
	size_t i = t->idx;
	dn_timer *last = r->heap[--r->nheap];

	if (last != t) {
		heap_set(r, i, last);
		heap_up(r, i);
		heap_down(r, last->idx);
	}
	t->idx = SIZE_MAX;
}

static void
timer_unarm(dn_timer *t)
{
	heap_remove(t->r, t);
	if (t->weak)
		t->r->nweak_timers--;
}

dn_timer *
dn_timer_start(dn_reactor *r, uint64_t delay_ns, dn_timer_cb cb, void *arg,
    dn_error *err)
{
	dn_timer *t;

	if (r == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "timer without a reactor or a "
		    "callback");
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	t->r = r;
	t->deadline = delay_ns > UINT64_MAX - r->now ? UINT64_MAX :
	    r->now + delay_ns;
	t->seq = r->timer_seq++;
	t->state = T_ARMED;
	t->cb = cb;
	t->arg = arg;
	if (heap_push(r, t) == -1) {
		free(t);
		goto nomem;
	}
	return t;
nomem:
	dn__err(err, DN_ENOMEM, ENOMEM, "out of memory for a timer");
	return NULL;
}

static void
timer_cancel_run(void *arg)
{
	dn_timer *t = arg;

	t->cb(t, 1, t->arg);
	free(t);
}

void
dn_timer_cancel(dn_timer *t)
{
	/* cancelling a timer from its own callback, or twice, is harmless */
	if (t == NULL || t->state != T_ARMED)
		return;
	timer_unarm(t);
	t->state = T_CANCELLED;
	dn__defer_init(&t->cancel_call, timer_cancel_run, t);
	dn__defer_queue(t->r, &t->cancel_call);
}

void
dn__timer_unref(dn_timer *t)
{
	if (t != NULL && t->state == T_ARMED && !t->weak) {
		t->weak = 1;
		t->r->nweak_timers++;
	}
}

/* Step 4. */
static void
run_timers(dn_reactor *r)
{
	r->fire_limit = r->timer_seq;
	while (r->nheap > 0) {
		dn_timer *t = r->heap[0];

		if (t->deadline > r->now || t->seq >= r->fire_limit)
			break;
		timer_unarm(t);
		t->state = T_FIRING;
		t->cb(t, 0, t->arg);
		free(t);
	}
}

/* ms until the nearest timer, rounded up so it is due when we wake. */
static int
timers_timeout(dn_reactor *r, int timeout_ms)
{
	uint64_t d, ms;

	if (r->nheap == 0)
		return timeout_ms;
	d = r->heap[0]->deadline;
	if (d <= r->now)
		return 0;
	ms = (d - r->now + 999999) / 1000000;
	if (ms > INT_MAX)
		ms = INT_MAX;
	if (timeout_ms < 0 || (uint64_t)timeout_ms > ms)
		return (int)ms;
	return timeout_ms;
}

/* ------------------------------------------------------------------ */
/* fd watchers                                                        */
/* ------------------------------------------------------------------ */

static uint32_t
to_epoll(unsigned events)
{
	uint32_t e = 0;

	if (events & DN_READABLE)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & DN_WRITABLE)
		e |= EPOLLOUT;
	return e;
}

static unsigned
from_epoll(uint32_t e)
{
	unsigned ev = 0;

	if (e & (EPOLLIN | EPOLLPRI))
		ev |= DN_READABLE;
	if (e & EPOLLOUT)
		ev |= DN_WRITABLE;
	if (e & (EPOLLHUP | EPOLLRDHUP))
		ev |= DN_HANGUP;
	if (e & EPOLLERR)
		ev |= DN_ERROR;
	return ev;
}

static void
io_link(dn_io **head, dn_io *io)
{
	io->prev = NULL;
	io->next = *head;
	if (*head != NULL)
		(*head)->prev = io;
	*head = io;
}

static void
io_unlink(dn_io **head, dn_io *io)
{
	if (io->prev != NULL)
		io->prev->next = io->next;
	else
		*head = io->next;
	if (io->next != NULL)
		io->next->prev = io->prev;
	io->prev = io->next = NULL;
}

static int
io_counted(const dn_io *io)
{
	/* one that wants nothing waits for nothing, registered or not */
	return io->events != 0 && !io->closed && !io->weak;
}

static void
io_ref_update(dn_io *io, int was_counted)
{
	int counted = io_counted(io);

	if (counted && !was_counted)
		io->r->nref_io++;
	else if (!counted && was_counted)
		io->r->nref_io--;
}

/*
 * The epoll instance, made when first needed: a program whose work ends
 * inside the calls that started it (dnconnect -z to a local address)
 * never waits, and never pays for one.
 */
static int
reactor_epfd(dn_reactor *r, dn_error *err)
{
	if (r->epfd == -1 && (r->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot create an epoll "
		    "instance: %s", strerror(errno));
	return r->epfd;
}

/*
 * Makes the epoll set's mask EVENTS. Watching nothing means leaving the
 * set: epoll reports EPOLLHUP and EPOLLERR whatever the mask, which would
 * spin a level-triggered loop. A watcher that stays (dn__io_stay: an epoll
 * fd, which reports neither) is modified to nothing instead.
 */
static int
io_kernel(dn_io *io, unsigned events, dn_error *err)
{
	struct epoll_event ev;
	int op, e;

	if (events == 0 && !io->stays) {
		if (io->registered &&
		    epoll_ctl(io->r->epfd, EPOLL_CTL_DEL, io->fd, NULL) == -1 &&
		    errno != EBADF && errno != ENOENT)
			return dn__err(err, DN_ELOCAL, errno,
			    "cannot stop watching fd %d: %s", io->fd,
			    strerror(errno));
		io->registered = 0;
		io->kevents = 0;
		return 0;
	}
	if (reactor_epfd(io->r, err) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.ptr = io;
	op = io->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	e = epoll_ctl(io->r->epfd, op, io->fd, &ev) == -1 ? errno : 0;
	/* idle and registered, its file was closed (the kernel dropped it
	 * from the set) and the fd number given to another */
	if (e == ENOENT && op == EPOLL_CTL_MOD)
		e = epoll_ctl(io->r->epfd, EPOLL_CTL_ADD, io->fd, &ev) == -1 ?
		    errno : 0;
	if (e == EEXIST)
		return dn__err(err, DN_EINVAL, e, "fd %d is already watched "
		    "by this reactor: use one watcher per fd", io->fd);
	if (e == EPERM)
		return dn__err(err, DN_EINVAL, e, "fd %d cannot be watched "
		    "with epoll (a regular file or directory?)", io->fd);
	if (e != 0)
		return dn__err(err, DN_ELOCAL, e, "cannot watch fd %d: %s",
		    io->fd, strerror(e));
	io->registered = 1;
	io->kevents = events;
	return 0;
}

/*
 * Narrowing is lazy: the set keeps the wider mask until an event the
 * watcher no longer wants arrives (dispatch then narrows it). A keep-open
 * server pauses its listener for every connection, a relay turns its
 * socket's interest on and off with every buffer; each change would be
 * an epoll_ctl, most of them undone before anything arrives. Widening
 * is applied at once.
 */
static int
io_apply(dn_io *io, unsigned events, dn_error *err)
{
	int was = io_counted(io);

	events &= DN_READABLE | DN_WRITABLE;
	if ((events & ~io->kevents) != 0 || (events != 0 && !io->registered))
		if (io_kernel(io, events, err) == -1)
			return -1;
	io->events = events;
	io_ref_update(io, was);
	return 0;
}

/* An event for a watcher whose mask narrowed since: what it still wants,
 * or 0 after narrowing the set's mask for good. */
static uint32_t
io_wanted(dn_io *io, uint32_t got)
{
	if (io->kevents == io->events)
		return got;
	got &= to_epoll(io->events) | EPOLLHUP | EPOLLERR;
	if (io->events == 0 || got == 0) {
		/* on failure (ENOMEM) the next event tries again */
		(void)io_kernel(io, io->events, NULL);
		return 0;
	}
	return got;
}

dn_io *
dn_io_new(dn_reactor *r, int fd, unsigned events, dn_io_cb cb, void *arg,
    dn_error *err)
{
	dn_io *io;

	if (r == NULL || cb == NULL || fd < 0) {
		dn__err(err, DN_EINVAL, 0, "dn_io_new needs a reactor, "
		    "a callback and an open fd (got fd %d)", fd);
		return NULL;
	}
	if ((io = calloc(1, sizeof(*io))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for an fd watcher");
		return NULL;
	}
	io->r = r;
	io->fd = fd;
	io->cb = cb;
	io->arg = arg;
	if (io_apply(io, events, err) == -1) {
		free(io);
		return NULL;
	}
	io_link(&r->ios, io);
	return io;
}

int
dn_io_set(dn_io *io, unsigned events, dn_error *err)
{
	if (io == NULL || io->closed)
		return dn__err(err, DN_EINVAL, 0,
		    "dn_io_set on a freed fd watcher");
	return io_apply(io, events, err);
}

int
dn__io_want(dn_reactor *r, dn_io **iop, int fd, unsigned want, dn_io_cb cb,
    void *arg, dn_error *err)
{
	if (*iop == NULL) {
		if (want == 0)
			return 0;
		*iop = dn_io_new(r, fd, want, cb, arg, err);
		return *iop != NULL ? 0 : -1;
	}
	if ((*iop)->events == (want & (DN_READABLE | DN_WRITABLE)))
		return 0;
	return dn_io_set(*iop, want, err);
}

/*
 * Free the watcher before closing its fd: epoll keys on the open file, so
 * a closed fd whose file lives on (dup, fork) would keep reporting events
 * for a watcher that is gone.
 */
void
dn_io_free(dn_io *io)
{
	int was;

	if (io == NULL || io->closed)
		return;
	was = io_counted(io);
	/* the fd may already be closed (c-ares closes right after telling
	 * us): the kernel then dropped it from the set itself */
	if (io->registered)
		(void)epoll_ctl(io->r->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->registered = 0;
	io->kevents = 0;
	io->closed = 1;
	io_ref_update(io, was);
	io_unlink(&io->r->ios, io);
	io_link(&io->r->dead, io);
}

void
dn__io_stay(dn_io *io)
{
	if (io != NULL)
		io->stays = 1;
}

void
dn__io_unref(dn_io *io)
{
	int was;

	if (io == NULL || io->closed)
		return;
	was = io_counted(io);
	io->weak = 1;
	io_ref_update(io, was);
}

static void
release_dead(dn_reactor *r)
{
	dn_io *io;

	while ((io = r->dead) != NULL) {
		io_unlink(&r->dead, io);
		free(io);
	}
}

/* ------------------------------------------------------------------ */
/* Signals                                                            */
/* ------------------------------------------------------------------ */

static void
signal_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	dn_signal *s = arg;
	struct signalfd_siginfo si;
	int n;

	(void)events;
	/* bounded: a signal raised in every callback cannot hold the turn */
	for (n = 0; n < 16; n++) {
		ssize_t got = read(fd, &si, sizeof(si));

		if (got != (ssize_t)sizeof(si))
			break;
		/* the callback may free s (and so io): stop touching them */
		s->cb(s, (int)si.ssi_signo, s->arg);
		if (io->closed)
			break;
	}
}

static int
signal_blocked_here(const dn_reactor *r, int signo, const dn_signal *except)
{
	const dn_signal *s;

	for (s = r->signals; s != NULL; s = s->next)
		if (s != except && s->signo == signo)
			return 1;
	return 0;
}

dn_signal *
dn_signal_new(dn_reactor *r, int signo, dn_signal_cb cb, void *arg,
    dn_error *err)
{
	dn_signal *s = NULL;
	sigset_t set, old;
	int blocked = 0;

	if (r == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "dn_signal_new needs a reactor "
		    "and a callback");
		return NULL;
	}
	if (sigemptyset(&set) == -1 || sigaddset(&set, signo) == -1 ||
	    signo == SIGKILL || signo == SIGSTOP) {
		dn__err(err, DN_EINVAL, EINVAL, "signal %d cannot be caught: "
		    "give a signal number other than SIGKILL or SIGSTOP", signo);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for a signal watcher");
		return NULL;
	}
	s->r = r;
	s->signo = signo;
	s->cb = cb;
	s->arg = arg;
	s->fd = -1;
	/* signalfd only sees signals that are blocked (signalfd(2)) */
	if ((errno = pthread_sigmask(SIG_BLOCK, &set, &old)) != 0) {
		dn__err(err, DN_ELOCAL, errno, "cannot block signal %d: %s",
		    signo, strerror(errno));
		goto fail;
	}
	blocked = 1;
	s->was_blocked = sigismember(&old, signo) == 1 ||
	    signal_blocked_here(r, signo, NULL);
	if ((s->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot open a signalfd for "
		    "signal %d: %s", signo, strerror(errno));
		goto fail;
	}
	if ((s->io = dn_io_new(r, s->fd, DN_READABLE, signal_io_cb, s,
	    err)) == NULL)
		goto fail;
	/* waiting for a signal alone does not keep dn_reactor_run going */
	dn__io_unref(s->io);
	s->next = r->signals;
	if (r->signals != NULL)
		r->signals->prev = s;
	r->signals = s;
	return s;

fail:
	if (s->fd != -1)
		close(s->fd);
	if (blocked && !s->was_blocked)
		(void)pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	free(s);
	return NULL;
}

void
dn_signal_free(dn_signal *s)
{
	dn_reactor *r;
	sigset_t set;

	if (s == NULL)
		return;
	r = s->r;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		r->signals = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	dn_io_free(s->io);
	close(s->fd);
	if (!s->was_blocked && !signal_blocked_here(r, s->signo, s)) {
		sigemptyset(&set);
		sigaddset(&set, s->signo);
		(void)pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	free(s);
}

/* ------------------------------------------------------------------ */
/* Handles                                                            */
/* ------------------------------------------------------------------ */

void
dn__handle_add(dn_reactor *r, dn__handle *h, void (*cancel)(dn__handle *h))
{
	h->cancel = cancel;
	h->prev = NULL;
	h->next = r->handles;
	if (r->handles != NULL)
		r->handles->prev = h;
	r->handles = h;
}

void
dn__handle_remove(dn_reactor *r, dn__handle *h)
{
	if (h->prev == NULL && r->handles != h)
		return;		/* not added, or removed already */
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		r->handles = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
}

/* ------------------------------------------------------------------ */
/* Per-module state                                                   */
/* ------------------------------------------------------------------ */

void *
dn__reactor_state(dn_reactor *r, dn__state_key key)
{
	return r->state[key].p;
}

void
dn__reactor_set_state(dn_reactor *r, dn__state_key key, void *state,
    void (*destroy)(void *state))
{
	r->state[key].p = state;
	r->state[key].destroy = destroy;
}

/* Destroys the first state still held, in key order (the NAT64 cache's
 * query goes through the resolver, so the resolver goes first); 1 if
 * there was one. */
static int
state_destroy_one(dn_reactor *r)
{
	void (*destroy)(void *);
	int k;

	for (k = 0; k < DN__STATE_MAX; k++) {
		if ((destroy = r->state[k].destroy) == NULL)
			continue;
		r->state[k].destroy = NULL;
		destroy(r->state[k].p);
		r->state[k].p = NULL;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The loop                                                           */
/* ------------------------------------------------------------------ */

dn_reactor *
dn_reactor_new(dn_error *err)
{
	dn_reactor *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for a reactor");
		return NULL;
	}
	r->epfd = -1;
	r->now = mono_now();
	return r;
}

uint64_t
dn_reactor_now(dn_reactor *r)
{
	return r->now;
}

uint64_t
dn_reactor_update_time(dn_reactor *r)
{
	r->now = mono_now();
	return r->now;
}

void
dn_reactor_stop(dn_reactor *r)
{
	if (r != NULL)
		r->stop = 1;
}

static int
reactor_alive(const dn_reactor *r)
{
	return r->nref_io > 0 || r->nheap > r->nweak_timers ||
	    r->deferred.head != NULL || r->handles != NULL;
}

int
dn__reactor_busy(const dn_reactor *r, char *what, size_t len)
{
	const dn__handle *h;
	size_t nh = 0;

	for (h = r->handles; h != NULL; h = h->next)
		nh++;
	snprintf(what, len, "%zu watchers, %zu timers, %s deferred calls, "
	    "%zu handles", r->nref_io, r->nheap - r->nweak_timers,
	    r->deferred.head != NULL ? "some" : "no", nh);
	return reactor_alive(r);
}

int
dn_reactor_run_once(dn_reactor *r, int timeout_ms, dn_error *err)
{
	struct epoll_event evs[DN__EVENTS_MAX];
	uint32_t ev;
	int i, n;

	if (r->in_turn)
		return dn__err(err, DN_EINVAL, 0, "dn_reactor_run_once called "
		    "from inside a callback of the same reactor");
	if (r->deferred.head != NULL || r->stop)
		timeout_ms = 0;
	else
		timeout_ms = timers_timeout(r, timeout_ms);

	/* nothing was ever watched: only a wait needs the instance */
	if (r->epfd == -1 && timeout_ms == 0)
		n = 0;
	else if (reactor_epfd(r, err) == -1)
		return -1;
	else
		n = epoll_wait(r->epfd, evs, DN__EVENTS_MAX, timeout_ms);
	if (n == -1) {
		if (errno != EINTR)
			return dn__err(err, DN_ELOCAL, errno, "epoll_wait "
			    "failed: %s", strerror(errno));
		n = 0;	/* a signal handler ran: just finish the turn */
	}
	r->in_turn = 1;
	dn_reactor_update_time(r);
	for (i = 0; i < n; i++) {
		dn_io *io = evs[i].data.ptr;

		/* freed earlier in this dispatch: its events are stale */
		if (io->closed || (ev = io_wanted(io, evs[i].events)) == 0)
			continue;
		io->cb(io, io->fd, from_epoll(ev), io->arg);
	}
	run_timers(r);
	run_deferred(r);
	release_dead(r);
	r->in_turn = 0;
	return 0;
}

int
dn_reactor_run(dn_reactor *r, dn_error *err)
{
	int rv = 0;

	while (!r->stop && reactor_alive(r)) {
		if (dn_reactor_run_once(r, -1, err) == -1) {
			rv = -1;
			break;
		}
	}
	r->stop = 0;
	return rv;
}

static int
cancel_handles(dn_reactor *r)
{
	dn__handle *h;
	int n = 0;

	while ((h = r->handles) != NULL && n < DN__FREE_ROUNDS) {
		h->cancel(h);
		/* a cancel() that forgot to remove itself must not loop */
		if (r->handles == h)
			dn__handle_remove(r, h);
		n++;
	}
	return n;
}

/* Synchronous: the reactor is going away, there is no next turn. */
static int
cancel_timers(dn_reactor *r)
{
	int n = 0;

	while (r->nheap > 0 && n < DN__FREE_ROUNDS) {
		dn_timer *t = r->heap[0];

		timer_unarm(t);
		t->state = T_CANCELLED;
		t->cb(t, 1, t->arg);
		free(t);
		n++;
	}
	return n;
}

static void
drain(dn_reactor *r)
{
	int round;

	for (round = 0; round < DN__FREE_ROUNDS; round++) {
		int busy = cancel_handles(r) > 0;

		if (r->deferred.head != NULL) {
			run_deferred(r);
			busy = 1;
		}
		if (!busy)
			break;
	}
}

void
dn_reactor_free(dn_reactor *r)
{
	int round;
	dn__defer *d;

	if (r == NULL)
		return;
	r->in_turn = 1;
	for (round = 0; round < DN__FREE_ROUNDS; round++) {
		int busy;

		drain(r);
		/* c-ares completes its queries with ARES_EDESTRUCTION here;
		 * their requests were cancelled above: nobody hears twice */
		if ((busy = state_destroy_one(r)))
			drain(r);
		busy |= cancel_timers(r) > 0;
		if (!busy && r->deferred.head == NULL && r->handles == NULL)
			break;
	}
	/* what callbacks still queued after all those rounds is dropped */
	while ((d = r->deferred.head) != NULL) {
		list_unlink(d);
		if (d->fn == defer_call_run)
			free(d->arg);
		else if (d->fn == timer_cancel_run)
			free(d->arg);
	}
	while (r->nheap > 0) {
		dn_timer *t = r->heap[0];

		timer_unarm(t);
		free(t);
	}
	while (r->signals != NULL)
		dn_signal_free(r->signals);
	while (r->ios != NULL)
		dn_io_free(r->ios);
	release_dead(r);
	while (r->nbufs > 0)
		free(r->bufs[--r->nbufs].p);
	while (r->npipes > 0) {
		r->npipes--;
		close(r->pipes[r->npipes][0]);
		close(r->pipes[r->npipes][1]);
	}
	if (r->epfd != -1)
		close(r->epfd);
	free(r->heap);
	free(r);
}

/*
 * A relay per connection took its 256 KiB buffers from malloc and gave
 * them back: glibc returns the top of the heap to the kernel on free
 * (M_TRIM_THRESHOLD), so every connection faulted the memory in anew, and
 * where transparent huge pages are on, that is a 2 MiB page zeroed per
 * connection (measured: half the accept rate of a keep-open server).
 */
void *
dn__buf_get(dn_reactor *r, size_t size)
{
	size_t i;
	void *p;

	for (i = 0; i < r->nbufs; i++)
		if (r->bufs[i].size == size) {
			p = r->bufs[i].p;
			r->bufs[i] = r->bufs[--r->nbufs];
			return p;
		}
	return malloc(size);
}

void
dn__buf_put(dn_reactor *r, void *p, size_t size)
{
	if (p == NULL)
		return;
	if (r->nbufs == DN__BUFS_KEPT) {
		free(p);
		return;
	}
	r->bufs[r->nbufs].p = p;
	r->bufs[r->nbufs].size = size;
	r->nbufs++;
}

/*
 * splice(2) needs a pipe between socket and file; a keep-open server made
 * one (pipe2 and two closes) for every connection, for a few bytes each.
 * Only empty pipes come back, so no connection sees another's bytes.
 */
int
dn__pipe_get(dn_reactor *r, int p[2])
{
	if (r->npipes > 0) {
		r->npipes--;
		p[0] = r->pipes[r->npipes][0];
		p[1] = r->pipes[r->npipes][1];
		return 0;
	}
	return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

void
dn__pipe_put(dn_reactor *r, int p[2], int empty)
{
	if (p[0] == -1)
		return;
	if (empty && r->npipes < DN__PIPES_KEPT) {
		r->pipes[r->npipes][0] = p[0];
		r->pipes[r->npipes][1] = p[1];
		r->npipes++;
	} else {
		close(p[0]);
		close(p[1]);
	}
	p[0] = p[1] = -1;
}

/*
 * What a relay needs to know of a local fd: what kind of file, whether
 * epoll takes it. A keep-open server relays the same stdin and stdout for
 * every connection; one fstat() tells whether the fd still names the file
 * looked at before, and spares the isatty() and the epoll probe (none at
 * all with SAME: DN_RELAY_SAME_FILES, the caller vouching for the file).
 * One record per fd, replaced when another file is found there. epoll
 * refuses regular files, directories, block devices and character devices
 * without poll (/dev/null, /dev/zero: EPERM); those never block, so they
 * need neither O_NONBLOCK nor a watcher.
 */
int
dn__fd_info(dn_reactor *r, int fd, int same, struct dn__fdinfo *out)
{
	struct epoll_event ev;
	struct stat st;
	size_t i;

	for (i = 0; i < r->nfds && r->fds[i].fd != fd; i++)
		;
	if (i < r->nfds && same) {
		*out = r->fds[i].info;
		return 0;
	}
	if (fstat(fd, &st) == -1)
		return -1;
	if (i < r->nfds && r->fds[i].dev == st.st_dev &&
	    r->fds[i].ino == st.st_ino && r->fds[i].rdev == st.st_rdev &&
	    r->fds[i].mode == st.st_mode) {
		*out = r->fds[i].info;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	out->is_sock = S_ISSOCK(st.st_mode);
	out->is_reg = S_ISREG(st.st_mode);
	out->pollable = !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ||
	    S_ISBLK(st.st_mode));
	if (S_ISCHR(st.st_mode) && !isatty(fd)) {
		out->sink = 1;
		memset(&ev, 0, sizeof(ev));
		/* without an instance it stays "pollable": tried when watched */
		if (reactor_epfd(r, NULL) != -1) {
			if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
				(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd,
				    NULL);
			else if (errno == EPERM)
				out->pollable = 0;
		}
	}
	out->sink |= out->is_reg;
	if (i == r->nfds)
		i = r->nfds < DN__FDS_KEPT ? r->nfds++ :
		    r->fdnext++ % DN__FDS_KEPT;
	r->fds[i].fd = fd;
	r->fds[i].dev = st.st_dev;
	r->fds[i].ino = st.st_ino;
	r->fds[i].rdev = st.st_rdev;
	r->fds[i].mode = st.st_mode;
	r->fds[i].info = *out;
	return 0;
}

/*
 * A device that is not a tty (/dev/null) gives end of file for good: a
 * keep-open server with stdin there reads it once, not once for every
 * connection, and half-closes each at once. A tty's end of file is one
 * ^D (the next connection reads on), a pipe's or a file's may be
 * followed by more: those are read again.
 */
void
dn__fd_ended(dn_reactor *r, int fd)
{
	size_t i;

	for (i = 0; i < r->nfds; i++)
		if (r->fds[i].fd == fd && S_ISCHR(r->fds[i].mode) &&
		    r->fds[i].info.sink)
			r->fds[i].info.ended = 1;
}
