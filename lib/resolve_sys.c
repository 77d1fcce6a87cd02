/* resolve_sys.c - the system resolver: getaddrinfo() in detached worker threads, answers delivered through the reactor. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/eventfd.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/*
 * Lifetimes. getaddrinfo() cannot be interrupted, so a thread may outlive
 * its request and even its reactor. The two meet only in a mailbox: the
 * thread owns its job until it posts it there, the loop owns the request.
 * The mailbox (mutex, eventfd, finished jobs) is refcounted: one reference
 * for the reactor, one per running thread; whoever drops the last frees the
 * jobs left in it and closes the eventfd. A cancelled request forgets its
 * job (job->req, read and written on the loop thread only) and completes on
 * the next turn; the job's late answer is dropped when it arrives.
 */

/* Threads in flight per reactor; further requests wait in a queue. */
#define SYS_MAX_THREADS 16

struct mailbox {
	pthread_mutex_t mu;
	int refs;
	int fd;			/* eventfd: jobs are waiting in done */
	struct job *done;	/* newest first */
};

struct job {
	struct job *next;
	struct mailbox *mb;
	struct sysreq *req;	/* loop thread only; NULL once forgotten */
	char *host;
	int family;
	uint16_t port;
	int gai;		/* getaddrinfo()'s answer, and its errno */
	int os_errno;
	dn_addr *addrs;
	size_t naddrs;
	int nomem;
	int nrefused;		/* answers dropped by the address rules */
	dn_error refused;	/* why the last one was */
};

struct sysres {
	struct mailbox *mb;
	dn_io *io;
	size_t nrunning;		/* jobs posted to threads, not yet picked up */
	struct sysreq *qhead, *qtail;	/* waiting for a thread */
};

struct sysreq {
	dn__resolve_head head;	/* first: the handle is the request */
	dn_reactor *r;
	struct sysres *sys;
	char *host;
	uint16_t port;
	int family;
	dn_resolve_cb cb;
	void *arg;
	struct job *job;	/* running in a thread */
	struct sysreq *qnext;	/* in sys's queue */
	int queued;
	int done;
	int cancelled;
	dn__defer deliver;	/* for a cancellation or a failure to start */
	dn_error err;
};

static const char *
fam_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* ------------------------------------------------------------------ */
/* Mailbox and worker                                                 */
/* ------------------------------------------------------------------ */

static void
job_free(struct job *j)
{
	free(j->addrs);
	free(j->host);
	free(j);
}

static void
mailbox_unref(struct mailbox *mb)
{
	struct job *j;
	int last;

	pthread_mutex_lock(&mb->mu);
	last = --mb->refs == 0;
	pthread_mutex_unlock(&mb->mu);
	if (!last)
		return;
	while ((j = mb->done) != NULL) {
		mb->done = j->next;
		job_free(j);
	}
	close(mb->fd);
	pthread_mutex_destroy(&mb->mu);
	free(mb);
}

/* Keeps getaddrinfo()'s order (it sorted by RFC 6724 already) and the
 * whole sockaddr_in6, sin6_scope_id included; drops repeats and what a
 * literal could not be (j->refused says why). */
static void
job_take(struct job *j, const struct addrinfo *res)
{
	const struct addrinfo *ai;
	size_t cap = 0;

	for (ai = res; ai != NULL; ai = ai->ai_next)
		cap++;
	if (cap == 0)
		return;
	if ((j->addrs = calloc(cap, sizeof(*j->addrs))) == NULL) {
		j->nomem = 1;
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (dn__addr_take_answer(j->addrs, &j->naddrs, ai->ai_addr,
		    ai->ai_addrlen, j->family, j->port, &j->refused) == -1)
			j->nrefused++;
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct mailbox *mb = j->mb;
	struct addrinfo hints, *res = NULL;
	uint64_t one = 1;
	ssize_t n;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = j->family;
	hints.ai_socktype = SOCK_STREAM;
	/* no AI_ADDRCONFIG: a namespace with loopback only, or a host with
	 * link-local IPv6 only, must still get what the name has */
	hints.ai_flags = 0;
	j->gai = getaddrinfo(j->host, NULL, &hints, &res);
	j->os_errno = j->gai == EAI_SYSTEM ? errno : 0;
	if (j->gai == 0) {
		job_take(j, res);
		freeaddrinfo(res);
	}
	pthread_mutex_lock(&mb->mu);
	j->next = mb->done;
	mb->done = j;
	/* cannot fail short of EAGAIN at 2^64-1, and the loop reads the
	 * counter back to zero */
	n = write(mb->fd, &one, sizeof(one));
	(void)n;
	pthread_mutex_unlock(&mb->mu);
	mailbox_unref(mb);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */
/* ------------------------------------------------------------------ */

static void
req_complete(struct sysreq *q, const dn_addr *addrs, size_t naddrs,
    const dn_error *err)
{
	q->done = 1;
	dn__defer_cancel(&q->deliver);
	dn__handle_remove(q->r, &q->head.h);
	q->cb((dn_resolve_req *)(void *)q, q->family, err != NULL ? NULL : addrs,
	    err != NULL ? 0 : naddrs, err, q->arg);
	free(q->host);
	free(q);
}

static void
req_deliver(void *arg)
{
	struct sysreq *q = arg;

	req_complete(q, NULL, 0, &q->err);
}

static void
queue_remove(struct sysres *sys, struct sysreq *q)
{
	struct sysreq **pp, *prev = NULL;

	for (pp = &sys->qhead; *pp != NULL; prev = *pp, pp = &(*pp)->qnext) {
		if (*pp != q)
			continue;
		*pp = q->qnext;
		if (sys->qtail == q)
			sys->qtail = prev;
		break;
	}
	q->qnext = NULL;
	q->queued = 0;
}

/* Leaves the thread to finish on its own: its answer will be dropped. */
static void
req_detach(struct sysreq *q)
{
	if (q->job != NULL) {
		q->job->req = NULL;
		q->job = NULL;
	}
	if (q->queued)
		queue_remove(q->sys, q);
}

static void
req_set_cancelled(struct sysreq *q)
{
	q->cancelled = 1;
	req_detach(q);
	dn__err(&q->err, DN_ECANCELED, 0, "resolution of %s (%s) cancelled",
	    q->host, fam_name(q->family));
}

static void
req_cancel(dn_resolve_req *req)
{
	struct sysreq *q = (struct sysreq *)(void *)req;

	if (q->done || q->cancelled)
		return;
	req_set_cancelled(q);
	dn__defer_queue(q->r, &q->deliver);
}

/* dn_reactor_free(): completes now, there is no next turn to wait for. */
static void
req_handle_cancel(dn__handle *h)
{
	struct sysreq *q = (struct sysreq *)(void *)h;

	req_set_cancelled(q);
	req_complete(q, NULL, 0, &q->err);
}

static void
req_fail_gai(struct sysreq *q, const struct job *j, dn_error *err)
{
	const char *why = gai_strerror(j->gai);
	dn_err code;

	switch (j->gai) {
	case EAI_NONAME:
		dn__err(err, DN_ENONAME, 0, "no %s address for %s: the system "
		    "resolver says the name does not exist (%s)",
		    fam_name(q->family), q->host, why);
		return;
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		dn__err(err, DN_ENODATA, 0, "no %s address for %s: the name "
		    "exists without this family (%s)", fam_name(q->family),
		    q->host, why);
		return;
	case EAI_AGAIN:
		dn__err(err, DN_EDNSTIMEOUT, 0, "no %s address for %s: the "
		    "system resolver got no answer in time (%s); check "
		    "/etc/resolv.conf and the name servers", fam_name(q->family),
		    q->host, why);
		return;
	case EAI_FAIL:
		dn__err(err, DN_ESERVFAIL, 0, "no %s address for %s: the name "
		    "server failed for good (%s)", fam_name(q->family), q->host,
		    why);
		return;
	case EAI_MEMORY:
		dn__err(err, DN_ENOMEM, ENOMEM, "no %s address for %s: the "
		    "system resolver ran out of memory", fam_name(q->family),
		    q->host);
		return;
	case EAI_SYSTEM:
		code = j->os_errno != 0 ? dn_err_from_errno(j->os_errno) :
		    DN_ESERVFAIL;
		dn__err(err, code, j->os_errno, "no %s address for %s: the "
		    "system resolver failed: %s", fam_name(q->family), q->host,
		    strerror(j->os_errno));
		return;
	default:
		dn__err(err, DN_ESERVFAIL, 0, "no %s address for %s: the "
		    "system resolver failed (%s)", fam_name(q->family), q->host,
		    why);
		return;
	}
}

static void
req_answer(struct sysreq *q, struct job *j)
{
	dn_error err;

	q->job = NULL;
	if (j->gai != 0)
		req_fail_gai(q, j, &err);
	else if (j->nomem)
		dn__err(&err, DN_ENOMEM, ENOMEM, "out of memory for the "
		    "addresses of %s", q->host);
	else if (j->naddrs == 0 && j->nrefused > 0)
		dn__err_copy(&err, &j->refused);
	else if (j->naddrs == 0)
		dn__err(&err, DN_ENODATA, 0, "no %s address for %s: the system "
		    "resolver's answer has none of this family",
		    fam_name(q->family), q->host);
	else {
		req_complete(q, j->addrs, j->naddrs, NULL);
		return;
	}
	req_complete(q, NULL, 0, &err);
}

/* ------------------------------------------------------------------ */
/* Threads                                                            */
/* ------------------------------------------------------------------ */

/*
 * Every signal is blocked in the worker: the reactor takes its signals
 * through signalfd, and a process-directed signal may be delivered to any
 * thread that has it unblocked (signal(7)), which would bypass the loop.
 * The worker inherits the mask in force at pthread_create().
 */
static int
job_start(struct sysres *sys, struct sysreq *q, dn_error *err)
{
	struct job *j;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	int e;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->host = strdup(q->host)) == NULL) {
		free(j);
		return dn__err(err, DN_ENOMEM, errno, "out of memory to "
		    "resolve %s", q->host);
	}
	j->mb = sys->mb;
	j->req = q;
	j->family = q->family;
	j->port = q->port;
	if ((e = pthread_attr_init(&attr)) != 0) {
		job_free(j);
		return dn__err(err, DN_ENOMEM, e, "cannot start a resolver "
		    "thread for %s: %s", q->host, strerror(e));
	}
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* held until the thread is named: it cannot post and exit before,
	 * so tid stays valid */
	pthread_mutex_lock(&sys->mb->mu);
	sys->mb->refs++;
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&tid, &attr, worker, j);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (e == 0)	/* for ps -L and gdb; the tests count workers by it */
		(void)pthread_setname_np(tid, "dn-resolve");
	else		/* the reactor's reference remains: not the last */
		sys->mb->refs--;
	pthread_mutex_unlock(&sys->mb->mu);
	if (e != 0) {
		job_free(j);
		return dn__err(err, DN_ELOCAL, e, "cannot start a resolver "
		    "thread for %s: %s", q->host, strerror(e));
	}
	q->job = j;
	sys->nrunning++;
	return 0;
}

/* Starts queued requests while threads are free. A request whose thread
 * cannot start fails, unless others run: it then waits for one to end. */
static void
pump(struct sysres *sys)
{
	struct sysreq *q;

	while ((q = sys->qhead) != NULL && sys->nrunning < SYS_MAX_THREADS) {
		queue_remove(sys, q);
		if (job_start(sys, q, &q->err) == 0)
			continue;
		if (sys->nrunning > 0 && q->err.code != DN_ENOMEM) {
			/* back to the front, in its turn */
			q->qnext = sys->qhead;
			sys->qhead = q;
			if (sys->qtail == NULL)
				sys->qtail = q;
			q->queued = 1;
			break;
		}
		dn__defer_queue(q->r, &q->deliver);
	}
}

static void
mailbox_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct sysres *sys = arg;
	struct job *list, *j, *rev = NULL;
	uint64_t cnt;
	ssize_t n;

	(void)io;
	(void)events;
	/* level-triggered: what we do not read now wakes us again */
	n = read(fd, &cnt, sizeof(cnt));
	(void)n;
	pthread_mutex_lock(&sys->mb->mu);
	list = sys->mb->done;
	sys->mb->done = NULL;
	pthread_mutex_unlock(&sys->mb->mu);
	/* oldest first */
	while ((j = list) != NULL) {
		list = j->next;
		j->next = rev;
		rev = j;
	}
	while ((j = rev) != NULL) {
		rev = j->next;
		sys->nrunning--;
		/* the callback may cancel a request whose job is still in rev:
		 * job->req is read only now */
		if (j->req != NULL)
			req_answer(j->req, j);
		job_free(j);
	}
	pump(sys);
}

static void
sysres_destroy(void *state)
{
	struct sysres *sys = state;
	struct sysreq *q;

	/* dn_reactor_free() cancelled every request before: none is queued */
	while ((q = sys->qhead) != NULL)
		queue_remove(sys, q);
	dn_io_free(sys->io);
	mailbox_unref(sys->mb);
	free(sys);
}

static struct sysres *
sysres_get(dn_reactor *r, dn_error *err)
{
	struct sysres *sys;
	struct mailbox *mb = NULL;

	if ((sys = dn__resolver_sys(r)) != NULL)
		return sys;
	if ((sys = calloc(1, sizeof(*sys))) == NULL ||
	    (mb = calloc(1, sizeof(*mb))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for the system "
		    "resolver");
		goto fail;
	}
	mb->refs = 1;
	if ((mb->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot create an eventfd for "
		    "the system resolver: %s", strerror(errno));
		goto fail;
	}
	if ((errno = pthread_mutex_init(&mb->mu, NULL)) != 0) {
		dn__err(err, DN_ELOCAL, errno, "cannot create a mutex for the "
		    "system resolver: %s", strerror(errno));
		close(mb->fd);
		goto fail;
	}
	sys->mb = mb;
	if ((sys->io = dn_io_new(r, mb->fd, DN_READABLE, mailbox_io_cb, sys,
	    err)) == NULL) {
		pthread_mutex_destroy(&mb->mu);
		close(mb->fd);
		goto fail;
	}
	/* the requests keep the loop alive, not the mailbox */
	dn__io_unref(sys->io);
	if (dn__resolver_set_sys(r, sys, sysres_destroy, err) == -1) {
		sysres_destroy(sys);
		return NULL;
	}
	return sys;

fail:
	free(mb);
	free(sys);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* dn_resolve_system                                                  */
/* ------------------------------------------------------------------ */

/* A literal, a %zone, an empty or invalid name: resolve.c answers those
 * without any resolver (a literal never goes to one). */
static int
not_for_getaddrinfo(const char *host)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char a[sizeof(struct in6_addr)];

	if (*host == '\0' || strchr(host, '%') != NULL ||
	    dn__resolve_is_special(host))
		return 1;
	/* resolve.c says what is wrong with a name DNS cannot carry */
	if (dn_host_name_check(host, NULL) == -1)
		return 1;
	if (strlcpy(buf, host, sizeof(buf)) >= sizeof(buf))
		return 0;
	return inet_pton(AF_INET, buf, a) == 1 ||
	    inet_pton(AF_INET6, buf, a) == 1;
}

dn_resolve_req *
dn_resolve_system(dn_reactor *r, const char *host, uint16_t port, int family,
    dn_resolve_cb cb, void *arg, dn_error *err)
{
	struct sysreq *q;
	struct sysres *sys;

	if (r == NULL || host == NULL || cb == NULL ||
	    (family != AF_INET && family != AF_INET6)) {
		dn__err(err, DN_EINVAL, 0, "resolve without a reactor, a host, "
		    "a callback or AF_INET/AF_INET6");
		return NULL;
	}
	if (not_for_getaddrinfo(host))
		return dn_resolve(r, host, port, family, cb, arg, err);
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->host = strdup(host)) == NULL) {
		free(q);
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory resolving %s",
		    host);
		return NULL;
	}
	q->r = r;
	q->port = port;
	q->family = family;
	q->cb = cb;
	q->arg = arg;
	dn__defer_init(&q->deliver, req_deliver, q);
	dn__handle_add(r, &q->head.h, req_handle_cancel);
	q->head.cancel = req_cancel;
	if ((sys = sysres_get(r, &q->err)) == NULL) {
		dn__defer_queue(r, &q->deliver);
		return (dn_resolve_req *)(void *)q;
	}
	q->sys = sys;
	q->queued = 1;
	if (sys->qtail != NULL)
		sys->qtail->qnext = q;
	else
		sys->qhead = q;
	sys->qtail = q;
	pump(sys);
	return (dn_resolve_req *)(void *)q;
}
