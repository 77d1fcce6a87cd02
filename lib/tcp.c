/* tcp.c - connectTCP and listenTCP of the plan on non-blocking sockets: connect requests, listeners, streams, flow labels. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* after <netinet/in.h>: glibc's libc-compat guards keep the two apart */
#include <linux/in6.h>

#include "internal.h"

#define READ_BUFSZ	(64 * 1024)
#define ACCEPT_BURST	64		/* accepts per readiness, then others run */
#define ACCEPT_BACKOFF	(100 * 1000000ull)	/* EMFILE: retry after 100 ms */
#define WRITEV_MAX	64

/* ------------------------------------------------------------------ */
/* Sockets                                                            */
/* ------------------------------------------------------------------ */

int
dn__socket(int family, int type, dn_error *err)
{
	int fd;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return dn__err(err, errno == ENOMEM || errno == ENOBUFS ?
		    DN_ENOMEM : DN_ELOCAL, errno, "cannot create an %s socket: %s",
		    family == AF_INET6 ? "IPv6" : "IPv4", strerror(errno));
	return fd;
}

/*
 * RFC 6437 flow labels on Linux: a socket may only send a label it holds a
 * lease for (tcp_v6_connect() looks it up in the socket's list and fails
 * with EINVAL otherwise). Leases outlive their socket for a linger time
 * (at least 6 s) and a lingering label can be joined only with the same
 * share mode and destination. IPV6_FL_S_EXCL would make a second run of
 * the same command within those seconds fail with EPERM, so ask for
 * IPV6_FL_S_USER (the same user may reuse it), then IPV6_FL_S_ANY (a label
 * someone leased for anyone).
 */
int
dn__flowlabel_lease(int fd, const dn_addr *dst, dn_error *err)
{
	static const unsigned char shares[] = { IPV6_FL_S_USER, IPV6_FL_S_ANY };
	struct in6_flowlabel_req fr;
	uint32_t label = dn_addr_flowinfo(dst) & 0xFFFFF;
	char a[DN_ADDR_STRLEN];
	size_t i;
	int on = 1, e = 0;

	if (dn_addr_family(dst) != AF_INET6)
		return dn__err(err, DN_EFAMILY, 0, "flow label 0x%05x needs an "
		    "IPv6 destination, not %s", (unsigned)label,
		    dn_addr_format(dst, a, sizeof(a)));
	for (i = 0; i < DN__ARRLEN(shares); i++) {
		memset(&fr, 0, sizeof(fr));
		fr.flr_dst = dst->u.sin6.sin6_addr;
		fr.flr_label = htonl(label);
		fr.flr_action = IPV6_FL_A_GET;
		fr.flr_share = shares[i];
		fr.flr_flags = IPV6_FL_F_CREATE;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &fr,
		    sizeof(fr)) == 0) {
			e = 0;
			break;
		}
		e = errno;
		if (e != EPERM && e != EEXIST)
			break;
	}
	if (e == EPERM || e == EEXIST)
		return dn__err(err, DN_ELOCAL, e, "flow label 0x%05x is leased "
		    "by another user or towards another destination: pick "
		    "another label or wait a few seconds", (unsigned)label);
	if (e != 0)
		return dn__err(err, DN_ELOCAL, e, "cannot lease flow label 0x%05x "
		    "towards %s: %s", (unsigned)label,
		    dn_addr_format_host(dst, a, sizeof(a)), strerror(e));
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, &on,
	    sizeof(on)) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot send flow label "
		    "0x%05x (IPV6_FLOWINFO_SEND): %s", (unsigned)label,
		    strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Streams                                                            */
/* ------------------------------------------------------------------ */

struct wchunk {
	struct wchunk *next;
	size_t off, len;
	char data[];
};

struct dn_stream {
	dn__handle h;
	dn_reactor *r;
	int fd;
	dn_io *io;
	int external;		/* the relay watches the fd itself */
	dn_addr local, peer;
	int local_known;	/* else asked of the kernel when first wanted */
	dn_read_cb rcb;
	void *rarg;
	int reading;
	char *rbuf;
	struct wchunk *wq, *wqtail;
	size_t wqlen;
	int shut_pending;
	int werr_set;
	dn_error werr;		/* a write failed with nobody to hear it */
	dn_flush_cb fcb;	/* dn_stream_flush() waiting, or NULL */
	void *farg;
	dn__defer fdone;	/* delivers fcb on the turn after the news */
	int closed;
	int in_cb;		/* > 0: our frames are on the stack, free later */
};

static void stream_io_cb(dn_io *, int, unsigned, void *);

static void
stream_free(dn_stream *s)
{
	struct wchunk *c, *n;

	dn__defer_cancel(&s->fdone);
	for (c = s->wq; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	free(s->rbuf);
	free(s);
}

static void
stream_update_io(dn_stream *s)
{
	unsigned want = 0;

	if (s->closed || s->external)
		return;
	if (s->reading)
		want |= DN_READABLE;
	if (s->wq != NULL)
		want |= DN_WRITABLE;
	/* cannot fail on a socket short of ENOMEM; then we stay idle and the
	 * next write or read_start tries again */
	(void)dn__io_want(s->r, &s->io, s->fd, want, stream_io_cb, s, NULL);
}

static int
stream_io_error(dn_stream *s, int e, const char *what, dn_error *err)
{
	char a[DN_ADDR_STRLEN];

	dn_addr_format(&s->peer, a, sizeof(a));
	if (e == ECONNRESET || e == EPIPE)
		return dn__err(err, DN_EIO, e, "connection reset by %s", a);
	if (e == ETIMEDOUT)
		return dn__err(err, DN_EIO, e, "connection to %s timed out "
		    "(keepalive or retransmissions)", a);
	return dn__err(err, DN_EIO, e, "%s %s failed: %s", what, a,
	    strerror(e));
}

/* The flush's answer: err from werr when a write failed, DN_ECANCELED
 * once closed, else success. A closed stream is freed here, after. */
static void
stream_flush_done(void *arg)
{
	dn_stream *s = arg;
	dn_flush_cb cb = s->fcb;
	dn_error e;

	s->fcb = NULL;
	if (s->closed)
		dn__err(&e, DN_ECANCELED, 0, "stream closed before its writes "
		    "went out");
	else if (s->werr_set)
		dn__err_copy(&e, &s->werr);
	if (cb != NULL) {
		s->in_cb++;
		cb(s, s->closed || s->werr_set ? &e : NULL, s->farg);
		s->in_cb--;
	}
	if (s->closed && s->in_cb == 0)
		stream_free(s);
}

/* The queue drained or a write failed: a waiting flush hears it. */
static void
stream_flush_news(dn_stream *s)
{
	if (s->fcb != NULL && !dn__defer_queued(&s->fdone) &&
	    (s->werr_set || s->closed || dn__stream_idle(s)))
		dn__defer_queue(s->r, &s->fdone);
}

/* A closed stream's memory goes once no callback of it is running and
 * no flush answer waits to be told. */
static void
stream_release(dn_stream *s)
{
	if (s->closed && s->in_cb == 0 && !dn__defer_queued(&s->fdone))
		stream_free(s);
}

static void
stream_cancel(dn__handle *h)
{
	dn_stream *s = (dn_stream *)h;
	dn_error e;

	/* a reader hears that the stream is going, as every other pending
	 * operation does when the reactor is freed; it may close it too */
	if (s->reading && !s->external) {
		s->reading = 0;
		dn__err(&e, DN_ECANCELED, 0, "stream closed: the reactor was "
		    "freed");
		s->in_cb++;
		s->rcb(s, NULL, 0, &e, s->rarg);
		s->in_cb--;
	}
	if (!s->closed)
		dn_stream_close(s);
	else
		stream_release(s);
}

/*
 * PEER as accept4() returned it, or NULL to ask the kernel; LOCAL when the
 * listening socket's own address says it (not a wildcard), else asked of
 * the kernel only when someone wants it: a keep-open server that traces
 * nothing makes no getsockname() per connection.
 */
dn_stream *
dn__stream_new(dn_reactor *r, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const dn_addr *local, dn_error *err)
{
	dn_stream *s;
	struct sockaddr_storage ss;
	socklen_t len;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for a stream");
		return NULL;
	}
	s->r = r;
	s->fd = fd;
	if (local != NULL) {
		s->local = *local;
		s->local_known = 1;
	}
	if (peer == NULL) {
		len = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
			peer = (struct sockaddr *)&ss;
			peerlen = len;
		}
	}
	if (peer != NULL)
		(void)dn_addr_from_sockaddr(&s->peer, peer, peerlen, NULL);
	dn__defer_init(&s->fdone, stream_flush_done, s);
	dn__handle_add(r, &s->h, stream_cancel);
	return s;
}

int
dn_stream_fd(const dn_stream *s)
{
	return s->fd;
}

const dn_addr *
dn_stream_local(const dn_stream *s)
{
	/* a cache filled on first use: every stream is allocated here,
	 * never const itself */
	dn_stream *w = (dn_stream *)(uintptr_t)s;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!w->local_known && w->fd != -1) {
		w->local_known = 1;
		if (getsockname(w->fd, (struct sockaddr *)&ss, &len) == 0)
			(void)dn_addr_from_sockaddr(&w->local,
			    (struct sockaddr *)&ss, len, NULL);
	}
	return &w->local;
}

const dn_addr *
dn_stream_peer(const dn_stream *s)
{
	return &s->peer;
}

int
dn_stream_read_start(dn_stream *s, dn_read_cb cb, void *arg, dn_error *err)
{
	if (s == NULL || s->closed || cb == NULL || s->external)
		return dn__err(err, DN_EINVAL, 0, "read on a closed or relayed "
		    "stream, or without a callback");
	if (s->rbuf == NULL && (s->rbuf = malloc(READ_BUFSZ)) == NULL)
		return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory for a "
		    "read buffer");
	s->rcb = cb;
	s->rarg = arg;
	s->reading = 1;
	stream_update_io(s);
	return 0;
}

void
dn_stream_read_stop(dn_stream *s)
{
	if (s == NULL || s->closed)
		return;
	s->reading = 0;
	stream_update_io(s);
}

static void
stream_drop_queue(dn_stream *s)
{
	struct wchunk *c, *n;

	for (c = s->wq; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	s->wq = s->wqtail = NULL;
	s->wqlen = 0;
}

/* 0 when done (queue empty, shutdown done if asked), 1 would block, -1. */
int
dn__stream_flush(dn_stream *s, dn_error *err)
{
	struct iovec iov[WRITEV_MAX];
	struct msghdr mh;
	struct wchunk *c;
	ssize_t n;
	int i;

	while (s->wq != NULL) {
		for (i = 0, c = s->wq; c != NULL && i < WRITEV_MAX;
		    c = c->next, i++) {
			iov[i].iov_base = c->data + c->off;
			iov[i].iov_len = c->len - c->off;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = i;
		n = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			stream_drop_queue(s);
			return stream_io_error(s, errno, "writing to", err);
		}
		s->wqlen -= (size_t)n;
		while ((c = s->wq) != NULL && (size_t)n >= c->len - c->off) {
			n -= (ssize_t)(c->len - c->off);
			s->wq = c->next;
			free(c);
		}
		if (c != NULL)
			c->off += (size_t)n;
		else
			s->wqtail = NULL;
	}
	if (s->shut_pending) {
		s->shut_pending = 0;
		if (shutdown(s->fd, SHUT_WR) == -1 && errno != ENOTCONN)
			return stream_io_error(s, errno, "shutting down", err);
	}
	return 0;
}

int
dn__stream_idle(const dn_stream *s)
{
	return s->wq == NULL && !s->shut_pending;
}

void
dn__stream_release_io(dn_stream *s)
{
	s->reading = 0;
	s->external = 1;
	dn_io_free(s->io);
	s->io = NULL;
}

static void
stream_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	dn_stream *s = arg;
	dn_error e;
	ssize_t n;

	(void)io;
	(void)fd;
	s->in_cb++;
	if ((events & (DN_WRITABLE | DN_ERROR | DN_HANGUP)) && s->wq != NULL) {
		if (dn__stream_flush(s, &e) == -1) {
			/* the next write and a flush hear it, and a reader
			 * if nobody waits on the writes */
			s->werr = e;
			s->werr_set = 1;
			if (s->reading && s->fcb == NULL) {
				s->reading = 0;
				s->rcb(s, NULL, 0, &e, s->rarg);
			}
		}
		stream_flush_news(s);
	}
	if (!s->closed && s->reading &&
	    (events & (DN_READABLE | DN_ERROR | DN_HANGUP))) {
		do
			n = recv(s->fd, s->rbuf, READ_BUFSZ, MSG_DONTWAIT);
		while (n == -1 && errno == EINTR);
		if (n > 0) {
			s->rcb(s, s->rbuf, (size_t)n, NULL, s->rarg);
		} else if (n == 0) {
			s->reading = 0;
			s->rcb(s, s->rbuf, 0, NULL, s->rarg);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			stream_io_error(s, errno, "reading from", &e);
			s->reading = 0;
			s->rcb(s, NULL, 0, &e, s->rarg);
		}
	}
	s->in_cb--;
	if (s->closed) {
		if (s->in_cb == 0 && !dn__defer_queued(&s->fdone))
			stream_free(s);
		return;
	}
	stream_update_io(s);
}

int
dn_stream_write(dn_stream *s, const void *buf, size_t len, dn_error *err)
{
	struct wchunk *c;
	ssize_t n = 0;

	if (s == NULL || s->closed)
		return dn__err(err, DN_EINVAL, 0, "write on a closed stream");
	if (s->werr_set) {
		dn__err_copy(err, &s->werr);
		return -1;
	}
	if (s->shut_pending)
		return dn__err(err, DN_EINVAL, 0, "write after "
		    "dn_stream_shutdown");
	if (len == 0)
		return 0;
	if (s->wq == NULL && !s->external) {
		do
			n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n == -1 && errno == EINTR);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return stream_io_error(s, errno, "writing to",
				    err);
			n = 0;
		}
		if ((size_t)n == len)
			return 0;
	}
	if ((c = malloc(sizeof(*c) + len - (size_t)n)) == NULL)
		return dn__err(err, DN_ENOMEM, errno, "out of memory for "
		    "%zu bytes of write queue", len - (size_t)n);
	c->next = NULL;
	c->off = 0;
	c->len = len - (size_t)n;
	memcpy(c->data, (const char *)buf + n, c->len);
	if (s->wqtail != NULL)
		s->wqtail->next = c;
	else
		s->wq = c;
	s->wqtail = c;
	s->wqlen += c->len;
	stream_update_io(s);
	return 0;
}

size_t
dn_stream_write_queued(const dn_stream *s)
{
	return s->wqlen;
}

int
dn_stream_shutdown(dn_stream *s, dn_error *err)
{
	if (s == NULL || s->closed)
		return dn__err(err, DN_EINVAL, 0, "shutdown on a closed stream");
	if (s->werr_set) {
		dn__err_copy(err, &s->werr);
		return -1;
	}
	s->shut_pending = 1;
	if (s->wq == NULL)
		return dn__stream_flush(s, err) == -1 ? -1 : 0;
	return 0;
}

int
dn_stream_flush(dn_stream *s, dn_flush_cb cb, void *arg, dn_error *err)
{
	if (s == NULL || s->closed || cb == NULL)
		return dn__err(err, DN_EINVAL, 0, "flush on a closed stream or "
		    "without a callback");
	if (s->external)
		return dn__err(err, DN_EINVAL, 0, "flush on a stream a relay "
		    "owns: the relay's done callback is its completion");
	if (s->fcb != NULL)
		return dn__err(err, DN_EINVAL, 0, "a flush is already waiting "
		    "on this stream: one at a time");
	s->fcb = cb;
	s->farg = arg;
	stream_flush_news(s);
	return 0;
}

static void
stream_close(dn_stream *s, int close_fd)
{
	if (s == NULL || s->closed)
		return;
	s->closed = 1;
	dn_io_free(s->io);
	s->io = NULL;
	if (close_fd && s->fd != -1)
		close(s->fd);
	s->fd = -1;
	dn__handle_remove(s->r, &s->h);
	/* a waiting flush hears DN_ECANCELED first, then the memory goes */
	stream_flush_news(s);
	stream_release(s);
}

void
dn_stream_close(dn_stream *s)
{
	stream_close(s, 1);
}

/*
 * The fd leaves blocking: it is going to a child (-e) that expects an
 * ordinary socket, and O_NONBLOCK lives on the open file, shared with it.
 */
int
dn_stream_detach(dn_stream *s, dn_error *err)
{
	int fd, fl;

	if (s == NULL || s->closed)
		return dn__err(err, DN_EINVAL, 0, "detach of a closed stream");
	fd = s->fd;
	if ((fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	stream_close(s, 0);
	return fd;
}

/* ------------------------------------------------------------------ */
/* Connect requests                                                   */
/* ------------------------------------------------------------------ */

enum { C_RUNNING, C_PENDING, C_DELIVERED };

struct dn_connect_req {
	dn__handle h;
	dn_reactor *r;
	dn_connect_cb cb;
	void *arg;
	dn_trace_cb trace;
	void *trace_arg;
	int has_bind;
	dn_addr bind;
	uint64_t timeout_ns;
	dn_addr cur;		/* the destination */
	int fd;
	dn_io *io;
	dn_timer *timer;
	int state;
	int starting;		/* inside the call that started us */
	dn__defer deliver;
	int pfd;		/* pending success */
	dn_error perr;		/* pending failure */
	/* a request whose work is done elsewhere (dn__connect_ext_new) */
	void (*ext_cancel)(void *ext);
	void (*ext_cancel_now)(void *ext);
	void *ext;
};

static void
trace(dn_connect_req *q, dn_trace_kind kind, const dn_addr *addr,
    const dn_addr *local, const dn_error *err)
{
	dn_trace_event ev;

	if (q->trace == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.addr = addr;
	ev.local = local;
	ev.err = err;
	q->trace(&ev, q->trace_arg);
}

static void
connect_free(dn_connect_req *q)
{
	free(q);
}

/* Free only when nothing can still call us back. */
static void
connect_maybe_free(dn_connect_req *q)
{
	if (q->state == C_DELIVERED && !dn__defer_queued(&q->deliver))
		connect_free(q);
}

static void
connect_stop_attempt(dn_connect_req *q)
{
	dn_io_free(q->io);
	q->io = NULL;
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
}

static void
connect_stop(dn_connect_req *q)
{
	connect_stop_attempt(q);
	dn_timer_cancel(q->timer);
	q->timer = NULL;
}

static void
connect_deliver(dn_connect_req *q)
{
	dn_stream *s = NULL;
	dn_error e;

	if (q->state == C_DELIVERED)
		return;
	dn__defer_cancel(&q->deliver);
	q->state = C_DELIVERED;
	dn__handle_remove(q->r, &q->h);
	if (q->pfd != -1) {
		if ((s = dn__stream_new(q->r, q->pfd, &q->cur.u.sa, q->cur.len,
		    NULL, &e)) == NULL) {
			close(q->pfd);
			q->perr = e;
		}
		q->pfd = -1;
	}
	q->cb(q, s, s != NULL ? NULL : &q->perr, q->arg);
}

static void
connect_deliver_run(void *arg)
{
	dn_connect_req *q = arg;

	connect_deliver(q);
	connect_maybe_free(q);
}

/*
 * Every completion comes through here: delivered now from a callback of
 * ours, or on the next turn when we are still inside the starting call
 * (STYLE.md: no completion from inside the call that started the work).
 */
static void
connect_finish(dn_connect_req *q, int fd, const dn_error *err, int defer)
{
	if (q->state != C_RUNNING)
		return;
	q->state = C_PENDING;
	connect_stop(q);
	q->pfd = fd;
	if (err != NULL)
		q->perr = *err;
	if (defer || q->starting)
		dn__defer_queue(q->r, &q->deliver);
	else
		connect_deliver(q);
}

static void
connect_cancel_handle(dn__handle *h)
{
	dn_connect_req *q = (dn_connect_req *)h;
	dn_error e;

	if (q->ext_cancel_now != NULL) {
		q->ext_cancel_now(q->ext);
		return;
	}
	dn__err(&e, DN_ECANCELED, ECANCELED, "connection attempt cancelled: "
	    "the reactor was freed");
	if (q->state == C_RUNNING) {
		q->state = C_PENDING;
		connect_stop(q);
	}
	if (q->pfd != -1) {
		close(q->pfd);
		q->pfd = -1;
	}
	q->perr = e;
	connect_deliver(q);
	connect_maybe_free(q);
}

void
dn_connect_cancel(dn_connect_req *q)
{
	dn_error e;

	if (q == NULL || q->state == C_DELIVERED)
		return;
	if (q->ext_cancel != NULL) {
		q->ext_cancel(q->ext);
		return;
	}
	dn__err(&e, DN_ECANCELED, ECANCELED, "connection attempt cancelled");
	if (q->state == C_PENDING) {
		/* a result already waits for the next turn: cancelled wins */
		if (q->pfd != -1) {
			close(q->pfd);
			q->pfd = -1;
		}
		q->perr = e;
		return;
	}
	connect_finish(q, -1, &e, 1);
}

/* The attempt failed: traced, and the request's completion. */
static void
connect_failed(dn_connect_req *q, const dn_error *e)
{
	trace(q, DN_TRACE_ATTEMPT_FAILED, &q->cur, NULL, e);
	connect_finish(q, -1, e, 0);
}

static void
connect_connected(dn_connect_req *q)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	dn_addr local;
	int fd = q->fd;

	dn_io_free(q->io);
	q->io = NULL;
	q->fd = -1;
	if (q->trace != NULL) {
		memset(&local, 0, sizeof(local));
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
			(void)dn_addr_from_sockaddr(&local,
			    (struct sockaddr *)&ss, len, NULL);
		trace(q, DN_TRACE_CONNECTED, &q->cur, &local, NULL);
	}
	connect_finish(q, fd, NULL, 0);
}

static int
connect_error(dn_connect_req *q, int e, dn_error *err)
{
	char a[DN_ADDR_STRLEN];
	dn_err code = dn_err_from_errno(e);

	dn_addr_format(&q->cur, a, sizeof(a));
	if (e == ECONNREFUSED)
		return dn__err(err, DN_EREFUSED, e, "connection to %s refused",
		    a);
	/* connect(2) failing for a reason with no code of its own is still
	 * a connection that failed: the race tries the next address */
	if (code == DN_EOTHER)
		code = DN_ECONNECT;
	return dn__err(err, code, e, "connecting to %s failed: %s", a,
	    strerror(e));
}

static void
connect_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	dn_connect_req *q = arg;
	socklen_t len = sizeof(int);
	int soerr = 0;
	dn_error e;

	(void)io;
	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr == EINPROGRESS || soerr == EINTR)
		return;
	if (soerr == 0)
		connect_connected(q);
	else {
		connect_stop_attempt(q);
		connect_error(q, soerr, &e);
		connect_failed(q, &e);
	}
	connect_maybe_free(q);
}

/* 0: connecting (or connected), -1: this address failed (err set). */
static int
connect_start(dn_connect_req *q, dn_error *err)
{
	char a[DN_ADDR_STRLEN];
	int family = dn_addr_family(&q->cur);

	if (q->has_bind && dn_addr_check_bind(&q->bind, &q->cur, err) == -1)
		return -1;
	if ((q->fd = dn__socket(family, SOCK_STREAM, err)) == -1)
		return -1;
	if (q->has_bind && bind(q->fd, &q->bind.u.sa, q->bind.len) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot bind %s: %s",
		    dn_addr_format(&q->bind, a, sizeof(a)), strerror(errno));
		goto fail;
	}
	if (family == AF_INET6 && dn_addr_flowinfo(&q->cur) != 0 &&
	    dn__flowlabel_lease(q->fd, &q->cur, err) == -1)
		goto fail;
	trace(q, DN_TRACE_CONNECTING, &q->cur, q->has_bind ? &q->bind : NULL,
	    NULL);
	if (connect(q->fd, &q->cur.u.sa, q->cur.len) == 0) {
		connect_connected(q);
		return 0;
	}
	/*
	 * To a local address the handshake ran inside that connect() (the
	 * loopback softirq on the way out): asking again says so for one
	 * system call, where waiting would take a watcher, a turn and
	 * SO_ERROR. Still under way elsewhere: EALREADY.
	 */
	if (errno == EINPROGRESS && (connect(q->fd, &q->cur.u.sa,
	    q->cur.len) == 0 || errno == EISCONN)) {
		connect_connected(q);
		return 0;
	}
	if (errno != EINPROGRESS && errno != EALREADY && errno != EINTR) {
		connect_error(q, errno, err);
		goto fail;
	}
	if ((q->io = dn_io_new(q->r, q->fd, DN_WRITABLE, connect_io_cb, q,
	    err)) == NULL)
		goto fail;
	return 0;
fail:
	close(q->fd);
	q->fd = -1;
	return -1;
}

static void
connect_timer_cb(dn_timer *t, int cancelled, void *arg)
{
	dn_connect_req *q = arg;
	char a[DN_ADDR_STRLEN + 8];
	dn_error e;

	(void)t;
	if (cancelled)
		return;		/* q may be long gone */
	q->timer = NULL;
	dn_addr_format(&q->cur, a, sizeof(a));
	dn__err(&e, DN_ETIMEDOUT, ETIMEDOUT, "connecting to %s timed out "
	    "after %llu.%03llus", a,
	    (unsigned long long)(q->timeout_ns / 1000000000ull),
	    (unsigned long long)(q->timeout_ns / 1000000ull % 1000));
	connect_finish(q, -1, &e, 0);
	connect_maybe_free(q);
}

static dn_connect_req *
connect_new(dn_reactor *r, const dn_connect_opts *opts, dn_connect_cb cb,
    void *arg, dn_error *err)
{
	dn_connect_req *q;

	if (r == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "connect without a reactor or a "
		    "callback");
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory for a "
		    "connection");
		return NULL;
	}
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->fd = -1;
	q->pfd = -1;
	q->state = C_RUNNING;
	q->starting = 1;
	dn__defer_init(&q->deliver, connect_deliver_run, q);
	if (opts != NULL) {
		if (opts->bind != NULL) {
			q->has_bind = 1;
			q->bind = *opts->bind;
		}
		q->timeout_ns = opts->timeout_ns;
		q->trace = opts->trace;
		q->trace_arg = opts->trace_arg;
	}
	dn__handle_add(r, &q->h, connect_cancel_handle);
	if (q->timeout_ns > 0 && (q->timer = dn_timer_start(r, q->timeout_ns,
	    connect_timer_cb, q, err)) == NULL) {
		dn__handle_remove(r, &q->h);
		free(q);
		return NULL;
	}
	return q;
}

dn_connect_req *
dn__connect_ext_new(dn_reactor *r, void (*cancel)(void *ext),
    void (*cancel_now)(void *ext), void *ext)
{
	dn_connect_req *q;

	if (r == NULL || (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->r = r;
	q->fd = -1;
	q->pfd = -1;
	q->state = C_RUNNING;
	q->ext_cancel = cancel;
	q->ext_cancel_now = cancel_now;
	q->ext = ext;
	dn__defer_init(&q->deliver, connect_deliver_run, q);
	dn__handle_add(r, &q->h, connect_cancel_handle);
	return q;
}

void
dn__connect_ext_done(dn_connect_req *q)
{
	dn__handle_remove(q->r, &q->h);
	connect_free(q);
}

dn_connect_req *
dn_tcp_connect_addr(dn_reactor *r, const dn_addr *dest,
    const dn_connect_opts *opts, dn_connect_cb cb, void *arg, dn_error *err)
{
	dn_connect_req *q;
	dn_error e;

	if (dest == NULL) {
		dn__err(err, DN_EINVAL, 0, "connect without a destination");
		return NULL;
	}
	if ((q = connect_new(r, opts, cb, arg, err)) == NULL)
		return NULL;
	q->cur = *dest;
	if (connect_start(q, &e) == -1)
		connect_failed(q, &e);
	q->starting = 0;
	return q;
}

/* ------------------------------------------------------------------ */
/* Listeners                                                          */
/* ------------------------------------------------------------------ */

/*
 * A listener is a listening port: one socket for listenTCP, one socket per
 * address for the all-interfaces port (allport.c), every one on the same
 * port number and driven as one: one accept callback, one pause, one
 * close. The sockets of a port that may hold many sit in an epoll set of
 * their own, which the reactor watches as one descriptor: pausing (as
 * dnlisten -k does around every connection) is then one epoll_ctl() for a
 * thousand addresses as for one.
 */
struct dn__lsock {
	dn_listener *l;
	int fd;
	dn_io *io;
	dn_addr addr;		/* bound, with the real port */
	int v6only;		/* -1 for IPv4 */
	struct dn__lsock *next;	/* on l->dead once closed */
};

struct dn_listener {
	dn__handle h;
	dn_reactor *r;
	struct dn__lsock **socks;
	size_t nsocks, capsocks;
	struct dn__lsock *dead;	/* closed while a callback ran: freed after */
	dn_addr none;		/* dn_listener_addr() while it holds no socket */
	int backlog;
	int v6only;		/* asked for IPv6 sockets: -1, 0, 1 */
	dn_accept_cb cb;
	void *arg;
	dn_listen_event_cb ev;
	void *ev_arg;
	int epfd;		/* the sockets' own epoll set, or -1 */
	dn_io *eio;		/* the reactor's watcher of epfd */
	dn_timer *backoff;
	int starved;		/* accept ran out of descriptors or memory */
	int paused;
	int closed;
	int in_cb;
	dn__defer resume_call;	/* accepts what waited while paused */
	void *owner;		/* what follows the addresses (allport.c) */
	void (*owner_release)(void *owner);
};

static void lsock_io_cb(dn_io *, int, unsigned, void *);
static void lset_io_cb(dn_io *, int, unsigned, void *);

static int
listener_update_io(dn_listener *l, dn_error *err)
{
	unsigned want = (!l->paused && l->backoff == NULL) ? DN_READABLE : 0;
	size_t i;

	if (l->epfd != -1) {
		if (dn__io_want(l->r, &l->eio, l->epfd, want, lset_io_cb, l,
		    err) == -1)
			return -1;
		dn__io_stay(l->eio);
		return 0;
	}
	for (i = 0; i < l->nsocks; i++)
		if (dn__io_want(l->r, &l->socks[i]->io, l->socks[i]->fd, want,
		    lsock_io_cb, l->socks[i], err) == -1)
			return -1;
	return 0;
}

static void
listener_event_at(dn_listener *l, dn_listen_event_kind kind,
    const dn_addr *addr, const dn_error *e)
{
	dn_listen_event ev;

	if (l->ev == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.addr = addr;
	ev.err = e;
	l->ev(&ev, l->ev_arg);
}

static void
listener_event(dn_listener *l, dn_listen_event_kind kind, const dn_error *e)
{
	listener_event_at(l, kind, NULL, e);
}

static void
listener_backoff_cb(dn_timer *t, int cancelled, void *arg)
{
	dn_listener *l = arg;

	(void)t;
	if (cancelled)
		return;
	l->backoff = NULL;
	(void)listener_update_io(l, NULL);
}

/*
 * accept() failed for want of descriptors or memory, or in a way that
 * leaves the connection queued (a security module's EPERM comes before
 * the kernel takes it off the queue; an errno we do not know may too).
 * Level-triggered, the pending connection would wake us at once, again
 * and again: every socket stops watching until a timer, and the caller
 * hears of it once per shortage (the kernel's backlog holds the clients
 * meanwhile).
 */
static void
listener_starve(dn_listener *l, int e)
{
	dn_error er;

	if (l->backoff == NULL)
		l->backoff = dn_timer_start(l->r, ACCEPT_BACKOFF,
		    listener_backoff_cb, l, NULL);
	(void)listener_update_io(l, NULL);
	if (l->starved)
		return;
	l->starved = 1;
	if (e == EMFILE)
		dn__err(&er, DN_ELOCAL, e, "out of file descriptors (EMFILE: "
		    "the process's limit, ulimit -n): accepting paused, "
		    "retrying every %llu ms",
		    (unsigned long long)(ACCEPT_BACKOFF / 1000000));
	else if (e == ENFILE)
		dn__err(&er, DN_ELOCAL, e, "the system is out of file "
		    "descriptors (ENFILE): accepting paused, retrying every "
		    "%llu ms", (unsigned long long)(ACCEPT_BACKOFF / 1000000));
	else if (e == ENOBUFS || e == ENOMEM)
		dn__err(&er, DN_ENOMEM, e, "out of memory accepting a "
		    "connection (%s): accepting paused, retrying every %llu "
		    "ms", strerror(e),
		    (unsigned long long)(ACCEPT_BACKOFF / 1000000));
	else if (e == EPERM)
		dn__err(&er, DN_ELOCAL, e, "the system's security policy "
		    "refused accepting a connection (EPERM): accepting paused, "
		    "retrying every %llu ms",
		    (unsigned long long)(ACCEPT_BACKOFF / 1000000));
	else
		dn__err(&er, DN_EOTHER, e, "accepting a connection failed: %s: "
		    "accepting paused, retrying every %llu ms", strerror(e),
		    (unsigned long long)(ACCEPT_BACKOFF / 1000000));
	listener_event(l, DN_LISTEN_ACCEPT_PAUSED, &er);
}

static void
lsock_free(struct dn__lsock *s)
{
	free(s);
}

static void
listener_maybe_free(dn_listener *l)
{
	struct dn__lsock *s;

	if (l->in_cb > 0)
		return;
	while ((s = l->dead) != NULL) {
		l->dead = s->next;
		lsock_free(s);
	}
	if (l->closed) {
		free(l->socks);
		free(l);
	}
}

static void
accept_failed(dn_listener *l, struct dn__lsock *ls, int e)
{
	char a[DN_ADDR_STRLEN];
	dn_error er;

	dn_addr_format(&ls->addr, a, sizeof(a));
	dn__err(&er, DN_ECONNECT, e, "a connection to %s died while being "
	    "accepted: %s", a, e == ECONNABORTED ? "the client aborted it" :
	    strerror(e));
	listener_event_at(l, DN_LISTEN_ACCEPT_FAILED, &ls->addr, &er);
}

/* Accepts what waits on one socket, a burst at most; l->in_cb is held.
 * How many it took off the queue. */
static int
lsock_accept(struct dn__lsock *ls)
{
	dn_listener *l = ls->l;
	struct sockaddr_storage peer;
	socklen_t plen;
	dn_stream *s;
	int i, cfd, n = 0;

	for (i = 0; i < ACCEPT_BURST && !l->closed && !l->paused &&
	    ls->fd != -1 && l->backoff == NULL; i++) {
		plen = sizeof(peer);
		cfd = accept4(ls->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* off the queue already: that one connection died */
			if (errno == ECONNABORTED || errno == EPROTO) {
				accept_failed(l, ls, errno);
				continue;
			}
			listener_starve(l, errno);
			break;
		}
		if (l->starved) {
			l->starved = 0;
			listener_event(l, DN_LISTEN_ACCEPT_RESUMED, NULL);
			if (l->closed) {
				close(cfd);
				break;
			}
		}
		n++;
		if ((s = dn__stream_new(l->r, cfd, (struct sockaddr *)&peer,
		    plen, dn_addr_is_unspecified(&ls->addr) ? NULL : &ls->addr,
		    NULL)) == NULL) {
			close(cfd);
			continue;
		}
		l->cb(l, s, l->arg);
	}
	return n;
}

static void
lsock_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct dn__lsock *ls = arg;
	dn_listener *l = ls->l;

	(void)io;
	(void)fd;
	(void)events;
	l->in_cb++;
	lsock_accept(ls);
	l->in_cb--;
	listener_maybe_free(l);
}

/* Which sockets of the set are readable, and their connections;
 * l->in_cb is held. */
static int
lset_accept(dn_listener *l)
{
	struct epoll_event ev[ACCEPT_BURST];
	int i, n, took = 0;

	do
		n = epoll_wait(l->epfd, ev, ACCEPT_BURST, 0);
	while (n == -1 && errno == EINTR);
	/* a socket closed by a callback of this batch is on l->dead, its
	 * memory kept until we are out: lsock_accept sees fd -1 */
	for (i = 0; i < n; i++)
		took += lsock_accept(ev[i].data.ptr);
	return took;
}

static void
lset_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	dn_listener *l = arg;

	(void)io;
	(void)fd;
	(void)events;
	l->in_cb++;
	lset_accept(l);
	l->in_cb--;
	listener_maybe_free(l);
}

/*
 * Resumed: the connection that waited in the backlog meanwhile is taken
 * now, in this turn, not after another epoll_wait() that would only say
 * it is there (a keep-open server resumes after every connection, and
 * its next client is usually queued already). When none is there yet,
 * the backlog is polled for up to RESUME_SPIN_NS before the loop may
 * sleep: going to sleep in epoll_wait() and being woken for the next
 * connection cost a keep-open server a fifth of its rate in a VM
 * (bench/accept.sh), while a client that is already reconnecting
 * arrives within microseconds. sched_yield() in between lets a client
 * that shares our CPU run.
 */
#define RESUME_SPIN_NS	30000

static void
listener_resume_run(void *arg)
{
	dn_listener *l = arg;
	uint64_t until = 0, now;
	size_t i;
	int took;

	l->in_cb++;
	while (!l->closed && !l->paused && l->backoff == NULL) {
		took = 0;
		if (l->epfd != -1)
			took = lset_accept(l);
		else
			for (i = 0; i < l->nsocks && !l->paused && !l->closed;
			    i++)
				took += lsock_accept(l->socks[i]);
		if (took > 0)
			break;
		now = dn_reactor_update_time(l->r);
		if (until == 0)
			until = now + RESUME_SPIN_NS;
		else if (now >= until)
			break;
		sched_yield();
	}
	l->in_cb--;
	listener_maybe_free(l);
}

static void
listener_cancel(dn__handle *h)
{
	dn_listener_close((dn_listener *)h);
}

dn_listener *
dn__listener_new(dn_reactor *r, const dn_listen_opts *opts, int many,
    dn_accept_cb cb, void *arg)
{
	dn_listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->epfd = -1;
	if (many && (l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(l);
		return NULL;
	}
	l->r = r;
	l->backlog = opts != NULL && opts->backlog > 0 ? opts->backlog :
	    SOMAXCONN;
	l->v6only = opts != NULL ? opts->v6only : -1;
	l->cb = cb;
	l->arg = arg;
	dn__defer_init(&l->resume_call, listener_resume_run, l);
	if (opts != NULL) {
		l->ev = opts->event;
		l->ev_arg = opts->event_arg;
	}
	dn__handle_add(r, &l->h, listener_cancel);
	return l;
}

void
dn__listener_set_owner(dn_listener *l, void *owner,
    void (*release)(void *owner))
{
	l->owner = owner;
	l->owner_release = release;
}

void
dn__listener_set_idle_addr(dn_listener *l, const dn_addr *a)
{
	l->none = *a;
}

static int
grow_socks(dn_listener *l)
{
	size_t ncap = l->capsocks != 0 ? l->capsocks * 2 : 4;
	struct dn__lsock **n;

	if ((n = realloc(l->socks, ncap * sizeof(*n))) == NULL)
		return -1;
	l->socks = n;
	l->capsocks = ncap;
	return 0;
}

struct dn__lsock *
dn__listener_add(dn_listener *l, const dn_addr *local, dn_error *err)
{
	struct sockaddr_storage ss;
	struct dn__lsock *s = NULL, *rv = NULL;
	socklen_t len;
	char a[DN_ADDR_STRLEN];
	int fd = -1, on = 1, v;

	if (l->closed) {
		dn__err(err, DN_EINVAL, 0, "the listener is closed");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (l->nsocks == l->capsocks && grow_socks(l) == -1)) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for a listener");
		goto done;
	}
	dn_addr_format(local, a, sizeof(a));
	if ((fd = dn__socket(dn_addr_family(local), SOCK_STREAM, err)) == -1)
		goto done;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot set SO_REUSEADDR for "
		    "%s: %s", a, strerror(errno));
		goto done;
	}
	s->v6only = -1;
	if (dn_addr_family(local) == AF_INET6) {
		if (l->v6only >= 0 && (v = !!l->v6only, setsockopt(fd,
		    IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v))) == -1) {
			dn__err(err, DN_ELOCAL, errno, "cannot set IPV6_V6ONLY "
			    "on %s: %s", a, strerror(errno));
			goto done;
		}
		/* what the kernel does, not what we asked: -1 follows
		 * net.ipv6.bindv6only */
		len = sizeof(v);
		if (l->v6only >= 0)
			s->v6only = !!l->v6only;
		else if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v,
		    &len) == 0)
			s->v6only = !!v;
	}
	if (bind(fd, &local->u.sa, local->len) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot listen on %s: %s", a,
		    strerror(errno));
		goto done;
	}
	if (listen(fd, l->backlog) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot listen on %s: %s", a,
		    strerror(errno));
		goto done;
	}
	s->addr = *local;
	/* only port 0 leaves something to learn */
	len = sizeof(ss);
	if (dn_addr_port(local) == 0 &&
	    (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    dn_addr_from_sockaddr(&s->addr, (struct sockaddr *)&ss, len,
	    NULL) == -1))
		s->addr = *local;
	s->l = l;
	s->fd = fd;
	if (l->epfd != -1) {
		struct epoll_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = s;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			dn__err(err, errno == ENOMEM || errno == ENOSPC ?
			    DN_ENOMEM : DN_ELOCAL, errno, "cannot watch %s: "
			    "%s", a, strerror(errno));
			goto done;
		}
		if (listener_update_io(l, err) == -1)
			goto done;
	} else if (dn__io_want(l->r, &s->io, fd, (!l->paused &&
	    l->backoff == NULL) ? DN_READABLE : 0, lsock_io_cb, s, err) == -1)
		goto done;
	l->socks[l->nsocks++] = s;
	rv = s;
	s = NULL;
	fd = -1;
done:
	if (fd != -1)
		close(fd);
	free(s);
	return rv;
}

const dn_addr *
dn__lsock_addr(const struct dn__lsock *s)
{
	return &s->addr;
}

static void
lsock_close(dn_listener *l, struct dn__lsock *s)
{
	dn_io_free(s->io);
	s->io = NULL;
	if (l->epfd != -1 && s->fd != -1)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->next = l->dead;
	l->dead = s;
}

void
dn__listener_remove(dn_listener *l, struct dn__lsock *s)
{
	size_t i;

	for (i = 0; i < l->nsocks; i++)
		if (l->socks[i] == s)
			break;
	if (i == l->nsocks)
		return;
	memmove(&l->socks[i], &l->socks[i + 1],
	    (l->nsocks - i - 1) * sizeof(*l->socks));
	l->nsocks--;
	lsock_close(l, s);
	listener_maybe_free(l);
}

dn_listener *
dn_tcp_listen_addr(dn_reactor *r, const dn_addr *local,
    const dn_listen_opts *opts, dn_accept_cb cb, void *arg, dn_error *err)
{
	dn_listener *l;

	if (r == NULL || local == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "dn_tcp_listen_addr needs a reactor, "
		    "an address and a callback");
		return NULL;
	}
	if ((l = dn__listener_new(r, opts, 0, cb, arg)) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for a listener");
		return NULL;
	}
	if (dn__listener_add(l, local, err) == NULL) {
		dn_listener_close(l);
		return NULL;
	}
	return l;
}

dn_listener *
dn_tcp_listen(dn_reactor *r, uint16_t port, const char *interface,
    const dn_listen_opts *opts, dn_accept_cb cb, void *arg, dn_error *err)
{
	dn_addr a;

	if (dn__listen_addr(&a, interface, port, err) == -1)
		return NULL;
	return dn_tcp_listen_addr(r, &a, opts, cb, arg, err);
}

const dn_addr *
dn_listener_addr(const dn_listener *l)
{
	return l->nsocks > 0 ? &l->socks[0]->addr : &l->none;
}

uint16_t
dn_listener_port(const dn_listener *l)
{
	return dn_addr_port(dn_listener_addr(l));
}

size_t
dn_listener_addrs(const dn_listener *l, dn_addr *out, size_t max)
{
	size_t i;

	for (i = 0; i < l->nsocks && i < max; i++)
		out[i] = l->socks[i]->addr;
	return l->nsocks;
}

int
dn_listener_v6only(const dn_listener *l)
{
	return l->nsocks > 0 ? l->socks[0]->v6only : -1;
}

int
dn_listener_fd(const dn_listener *l)
{
	return l->nsocks == 1 ? l->socks[0]->fd : -1;
}

int
dn_listener_pause(dn_listener *l, int paused, dn_error *err)
{
	if (l == NULL || l->closed)
		return dn__err(err, DN_EINVAL, 0, "pause on a closed listener");
	if (l->paused && !paused && l->backoff == NULL)
		dn__defer_soon(l->r, &l->resume_call);
	else if (paused)
		dn__defer_cancel(&l->resume_call);
	l->paused = !!paused;
	return listener_update_io(l, err);
}

void
dn_listener_close(dn_listener *l)
{
	size_t i;

	if (l == NULL || l->closed)
		return;
	l->closed = 1;
	for (i = 0; i < l->nsocks; i++)
		lsock_close(l, l->socks[i]);
	l->nsocks = 0;
	dn_io_free(l->eio);
	l->eio = NULL;
	if (l->epfd != -1)
		close(l->epfd);
	l->epfd = -1;
	dn_timer_cancel(l->backoff);
	l->backoff = NULL;
	dn__defer_cancel(&l->resume_call);
	dn__handle_remove(l->r, &l->h);
	if (l->owner_release != NULL)
		l->owner_release(l->owner);
	l->owner_release = NULL;
	listener_maybe_free(l);
}
