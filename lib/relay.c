/* relay.c - stream <-> stdin/stdout relay in the shape of OpenBSD nc's readwrite(): the programs' hot path. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/*
 * Big buffers keep the syscall count per byte low; 256 KiB per direction
 * is what a loopback socket takes in one write. splice(2) was measured
 * against read/write here (1 GiB pipe -> loopback -> pipe, 2 vCPUs, 11
 * runs, median): pipe->socket 0.614 s vs 0.617 s, socket->pipe 0.791 s vs
 * 0.617 s. No gain, so there is only the one path.
 */
#define RELAY_BUFSZ	(256 * 1024)
#define PUMP_ROUNDS	64	/* syscalls per wakeup before others run */
#define RELAY_SENDFILE_MAX (4 * 1024 * 1024)	/* bytes per sendfile(2) */

enum { R_RUNNING, R_PENDING, R_DELIVERED };

struct slot {
	dn_relay *rl;
	int fd;
	dn_io *io;
	int pollable;		/* regular files and the like are not */
	int rready, wready;	/* cleared by EAGAIN, set by an event */
	int saved_fl;		/* flags to restore, -1 when untouched */
	int is_sock;
	int is_reg;		/* a regular file: sendfile(2) can read it */
	int sink;		/* a regular file or a device, not a tty */
	int nosplice;		/* splice(2) into it failed: never again */
	int ended;		/* a device whose end of file is for good */
};

struct dir {
	int rfd, wfd;		/* -1: that side is off, as nc's pfd[].fd */
	struct slot *rs, *ws;
	char *buf;
	size_t off, len;
	uint64_t *count;
	int pipe[2];		/* splice(2) path; -1 until first needed */
	int pipe_full;		/* bytes may be left in it */
};

struct dn_relay {
	dn__handle h;
	dn_reactor *r;
	dn_stream *s;
	int sfd;
	unsigned flags;
	dn_relay_done_cb cb;
	void *arg;
	struct slot slots[3];
	int nslots;
	struct dir up;		/* in_fd -> socket */
	struct dir down;	/* socket -> out_fd */
	int flushq;		/* the stream's own queue goes out first */
	dn_relay_stats st;
	dn__defer pump_call, done_call;
	int state;
	int has_err;
	dn_error err;
	int in_cb;
};

/*
 * The peer, named only for a message, from the stream while it is open:
 * no copy is kept. Under 1 KiB a relay is served from glibc's per-thread
 * cache; above, each allocation of one also consolidated the heap's
 * fast bins (a keep-open server allocates one per connection).
 */
static const char *
relay_peer(dn_relay *rl, char *buf, size_t len)
{
	if (rl->s == NULL)
		return "the peer";
	return dn_addr_format(dn_stream_peer(rl->s), buf, len);
}

static void relay_pump(dn_relay *);
static void relay_pump_run(void *);

static void
relay_free(dn_relay *rl)
{
	dn__pipe_put(rl->r, rl->up.pipe, !rl->up.pipe_full);
	dn__pipe_put(rl->r, rl->down.pipe, !rl->down.pipe_full);
	dn__buf_put(rl->r, rl->up.buf, RELAY_BUFSZ);
	dn__buf_put(rl->r, rl->down.buf, RELAY_BUFSZ);
	free(rl);
}

/* The socket is ours: accept4() or connect made it non-blocking. */
static struct slot *
slot_new(dn_relay *rl, int fd)
{
	struct slot *sl = &rl->slots[rl->nslots++];

	memset(sl, 0, sizeof(*sl));
	sl->rl = rl;
	sl->fd = fd;
	sl->saved_fl = -1;
	sl->rready = sl->wready = 1;
	sl->pollable = 1;
	return sl;
}

static struct slot *
slot_get(dn_relay *rl, int fd)
{
	struct dn__fdinfo fi;
	struct slot *sl;
	int i, fl;

	for (i = 0; i < rl->nslots; i++)
		if (rl->slots[i].fd == fd)
			return &rl->slots[i];
	sl = slot_new(rl, fd);
	if (dn__fd_info(rl->r, fd, !!(rl->flags & DN_RELAY_SAME_FILES),
	    &fi) == 0) {
		sl->pollable = fi.pollable;
		sl->is_sock = fi.is_sock;
		sl->is_reg = fi.is_reg;
		sl->sink = fi.sink;
		sl->ended = fi.ended;
	}
	if (sl->pollable && (fl = fcntl(fd, F_GETFL)) != -1 &&
	    !(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
		sl->saved_fl = fl;
	return sl;
}

static void
slot_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct slot *sl = arg;
	dn_relay *rl = sl->rl;

	(void)io;
	(void)fd;
	if (events & (DN_READABLE | DN_HANGUP | DN_ERROR))
		sl->rready = 1;
	if (events & (DN_WRITABLE | DN_HANGUP | DN_ERROR))
		sl->wready = 1;
	relay_pump_run(rl);
}

static void
slot_set(struct slot *sl, unsigned want)
{
	dn_relay *rl = sl->rl;
	dn_error e;

	if (!sl->pollable)
		return;
	if (dn__io_want(rl->r, &sl->io, sl->fd, want, slot_io_cb, sl,
	    &e) == 0)
		return;
	/* /dev/null and friends: a character device epoll refuses */
	dn_io_free(sl->io);
	sl->io = NULL;
	sl->pollable = 0;
	sl->rready = sl->wready = 1;
	if (sl->saved_fl != -1) {
		(void)fcntl(sl->fd, F_SETFL, sl->saved_fl);
		sl->saved_fl = -1;
	}
}

static void
relay_teardown(dn_relay *rl)
{
	int i;

	dn__defer_cancel(&rl->pump_call);
	for (i = 0; i < rl->nslots; i++) {
		struct slot *sl = &rl->slots[i];

		dn_io_free(sl->io);
		sl->io = NULL;
		if (sl->saved_fl != -1 && sl->fd != rl->sfd)
			(void)fcntl(sl->fd, F_SETFL, sl->saved_fl);
		sl->saved_fl = -1;
	}
	dn_stream_close(rl->s);
	rl->s = NULL;
	rl->up.rfd = rl->up.wfd = rl->down.rfd = rl->down.wfd = -1;
}

static void
relay_deliver(dn_relay *rl)
{
	if (rl->state == R_DELIVERED)
		return;
	dn__defer_cancel(&rl->done_call);
	rl->state = R_DELIVERED;
	dn__handle_remove(rl->r, &rl->h);
	rl->cb(rl, &rl->st, rl->has_err ? &rl->err : NULL, rl->arg);
}

/* The stream is closed before the callback, as dualnet.h promises. */
static void
relay_finish(dn_relay *rl, const dn_error *err, int defer)
{
	if (rl->state != R_RUNNING)
		return;
	rl->state = R_PENDING;
	relay_teardown(rl);
	if (err != NULL) {
		rl->err = *err;
		rl->has_err = 1;
	}
	if (defer)
		dn__defer_soon(rl->r, &rl->done_call);
	else
		relay_deliver(rl);
}

static void
relay_done_run(void *arg)
{
	dn_relay *rl = arg;

	relay_deliver(rl);
	if (rl->in_cb == 0)
		relay_free(rl);
}

/* The relay may finish inside relay_pump(): it is freed here, once no
 * callback of ours is still on the stack. */
static void
relay_pump_run(void *arg)
{
	dn_relay *rl = arg;

	rl->in_cb++;
	relay_pump(rl);
	rl->in_cb--;
	if (rl->state == R_DELIVERED && rl->in_cb == 0)
		relay_free(rl);
}

static void
relay_cancel_handle(dn__handle *h)
{
	dn_relay *rl = (dn_relay *)h;
	char a[DN_ADDR_STRLEN];
	dn_error e;

	dn__err(&e, DN_ECANCELED, ECANCELED, "relay with %s cancelled: the "
	    "reactor was freed", relay_peer(rl, a, sizeof(a)));
	if (rl->state == R_RUNNING) {
		rl->state = R_PENDING;
		relay_teardown(rl);
	}
	if (!rl->has_err) {
		rl->err = e;
		rl->has_err = 1;
	}
	relay_deliver(rl);
	if (rl->in_cb == 0)
		relay_free(rl);
}

void
dn_relay_cancel(dn_relay *rl)
{
	char a[DN_ADDR_STRLEN];
	dn_error e;

	if (rl == NULL || rl->state != R_RUNNING)
		return;
	dn__err(&e, DN_ECANCELED, ECANCELED, "relay with %s cancelled",
	    relay_peer(rl, a, sizeof(a)));
	relay_finish(rl, &e, 1);
}

static void
relay_fail(dn_relay *rl, struct slot *sl, int e, int writing)
{
	char a[DN_ADDR_STRLEN];
	dn_error err;

	if (sl->fd == rl->sfd) {
		if (e == ECONNRESET || e == EPIPE)
			dn__err(&err, DN_EIO, e, "connection reset by %s",
			    relay_peer(rl, a, sizeof(a)));
		else
			dn__err(&err, DN_EIO, e, "%s %s failed: %s",
			    writing ? "writing to" : "reading from",
			    relay_peer(rl, a, sizeof(a)), strerror(e));
	} else if (writing)
		dn__err(&err, DN_EIO, e, "cannot write to output fd %d: %s",
		    sl->fd, strerror(e));
	else
		dn__err(&err, DN_EIO, e, "cannot read input fd %d: %s", sl->fd,
		    strerror(e));
	relay_finish(rl, &err, 0);
}

/*
 * The socket going to a file or a device that epoll refuses (dnlisten >
 * file, > /dev/null): splice(2) through a pipe of our own moves page
 * references, so the bytes never cross into user space. Each batch is
 * drained from the pipe before anything else is read, which keeps the
 * order. Into a pipe or a socket (pollable, with a reader copying anyway)
 * read/write measured faster here, so those keep the buffer. An output
 * that refuses splice (EINVAL: O_APPEND files on older kernels, some file
 * systems) gets what is in the pipe through the buffer, and the buffer
 * from then on. 1 when a syscall ran, -1 when the relay is done.
 */
static int
dir_splice_out(dn_relay *rl, struct dir *d)
{
	ssize_t n, m;
	size_t left;

	if (d->pipe[0] == -1 && dn__pipe_get(rl->r, d->pipe) == -1) {
		d->ws->nosplice = 1;
		return 1;
	}
	/* at most one buffer's worth, so a fallback fits in the buffer */
	n = splice(d->rfd, NULL, d->pipe[1], NULL, RELAY_BUFSZ,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n == 0) {
		d->rfd = -1;			/* EOF */
		return 1;
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			d->rs->rready = 0;
		else if (errno == EINVAL || errno == ENOSYS)
			d->ws->nosplice = 1;
		else if (errno != EINTR) {
			relay_fail(rl, d->rs, errno, 0);
			return -1;
		}
		return 1;
	}
	d->pipe_full = 1;
	for (left = (size_t)n; left > 0; ) {
		m = splice(d->pipe[0], NULL, d->wfd, NULL, left, SPLICE_F_MOVE);
		if (m > 0) {
			left -= (size_t)m;
			*d->count += (uint64_t)m;
		} else if (m < 0 && errno == EINTR)
			continue;
		else if (m < 0 && (errno == EINVAL || errno == ENOSYS)) {
			d->ws->nosplice = 1;
			m = read(d->pipe[0], d->buf, left);
			if (m != (ssize_t)left) {
				relay_fail(rl, d->ws, m < 0 ? errno : EIO, 1);
				return -1;
			}
			d->off = 0;
			d->len = left;
			return 1;
		} else {
			relay_fail(rl, d->ws, m < 0 ? errno : EIO, 1);
			return -1;
		}
	}
	d->pipe_full = 0;
	return 1;
}

/* One read and one write at most: 1 when a syscall ran, 0 idle, -1 done. */
static int
dir_step(dn_relay *rl, struct dir *d, int blocked)
{
	ssize_t n;
	int did = 0;

	/* a pipe and its setup pay only for volume: the first buffer's
	 * worth goes through the buffer (a keep-open server's connections
	 * are mostly a few bytes each) */
	if (d->rfd != -1 && d->rs->is_sock && d->wfd != -1 &&
	    d->ws->sink && !d->ws->nosplice && d->len == 0 &&
	    d->rs->rready && !blocked && *d->count >= RELAY_BUFSZ)
		return dir_splice_out(rl, d);

	/*
	 * A regular file going to the socket: sendfile(2) moves it in the
	 * kernel without the copy through our buffer (dnconnect < file).
	 * Only with the buffer empty, so bytes keep their order; it advances
	 * the file offset as read(2) would. Files it cannot take (EINVAL:
	 * some file systems) fall back to read/write for good.
	 */
	if (d->rfd != -1 && d->rs->is_reg && d->wfd != -1 && d->ws->is_sock &&
	    d->len == 0 && d->ws->wready && !blocked) {
		n = sendfile(d->wfd, d->rfd, NULL, RELAY_SENDFILE_MAX);
		if (n > 0) {
			*d->count += (uint64_t)n;
			return 1;
		}
		if (n == 0) {
			d->rfd = -1;		/* EOF */
			return 1;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			d->ws->wready = 0;
			return 1;
		}
		if (errno != EINVAL && errno != ENOSYS && errno != EINTR) {
			relay_fail(rl, errno == EPIPE || errno == ECONNRESET ?
			    d->ws : d->rs, errno, errno == EPIPE ||
			    errno == ECONNRESET);
			return -1;
		}
		if (errno != EINTR)
			d->rs->is_reg = 0;
		return 1;
	}
	if (d->rfd != -1 && d->len < RELAY_BUFSZ && d->rs->rready) {
		if (d->off > 0 && RELAY_BUFSZ - d->len < RELAY_BUFSZ / 4) {
			memmove(d->buf, d->buf + d->off, d->len - d->off);
			d->len -= d->off;
			d->off = 0;
		}
		if (d->rs->is_sock)
			n = recv(d->rfd, d->buf + d->len, RELAY_BUFSZ - d->len,
			    MSG_DONTWAIT);
		else
			n = read(d->rfd, d->buf + d->len, RELAY_BUFSZ - d->len);
		did = 1;
		if (n > 0)
			d->len += (size_t)n;
		else if (n == 0) {
			d->rfd = -1;		/* EOF: nc turns the side off */
			dn__fd_ended(rl->r, d->rs->fd);
		}
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			d->rs->rready = 0;
		else if (errno != EINTR) {
			relay_fail(rl, d->rs, errno, 0);
			return -1;
		}
	}
	if (d->wfd != -1 && d->len > d->off && d->ws->wready && !blocked) {
		if (d->ws->is_sock)
			n = send(d->wfd, d->buf + d->off, d->len - d->off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = write(d->wfd, d->buf + d->off, d->len - d->off);
		did = 1;
		if (n > 0) {
			d->off += (size_t)n;
			*d->count += (uint64_t)n;
			if (d->off == d->len)
				d->off = d->len = 0;
		} else if (n == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			d->ws->wready = 0;
		else if (n == -1 && errno != EINTR) {
			relay_fail(rl, d->ws, errno, 1);
			return -1;
		}
	}
	return did;
}

static int
dir_runnable(const struct dir *d, int blocked)
{
	return (d->rfd != -1 && d->len < RELAY_BUFSZ && d->rs->rready) ||
	    (d->wfd != -1 && d->len > d->off && d->ws->wready && !blocked);
}

/*
 * stdin EOF and its data sent: half-close, nc's shutdown(SHUT_WR), at
 * once: a client waiting for our EOF goes on while we finish. With the
 * socket's EOF read and written out too, the close that ends the relay
 * sends the FIN itself (an empty receive queue: no RST).
 */
static int
relay_half_close(dn_relay *rl)
{
	if (rl->up.rfd != -1 || rl->up.wfd == -1 || rl->up.off != rl->up.len ||
	    rl->flushq)
		return 0;
	if (!(rl->flags & DN_RELAY_NO_SHUTDOWN) &&
	    (rl->down.buf == NULL || rl->down.rfd != -1 ||
	    rl->down.off != rl->down.len) &&
	    shutdown(rl->sfd, SHUT_WR) == -1 && errno != ENOTCONN) {
		relay_fail(rl, &rl->slots[0], errno, 1);
		return -1;
	}
	rl->up.wfd = -1;
	return 0;
}

static void
relay_pump(dn_relay *rl)
{
	unsigned want[3] = { 0, 0, 0 };
	struct slot *ss = &rl->slots[0];	/* the socket */
	dn_error e;
	int i, a, b, rv;

	if (rl->state != R_RUNNING)
		return;
	for (i = 0; i < PUMP_ROUNDS; i++) {
		if (rl->flushq && ss->wready) {
			if ((rv = dn__stream_flush(rl->s, &e)) == -1) {
				relay_finish(rl, &e, 0);
				return;
			}
			if (rv == 1)
				ss->wready = 0;
			else
				rl->flushq = 0;
		}
		if ((a = dir_step(rl, &rl->up, rl->flushq)) == -1 ||
		    relay_half_close(rl) == -1 ||
		    (b = dir_step(rl, &rl->down, 0)) == -1)
			return;
		if (a == 0 && b == 0)
			break;
	}
	/* socket EOF and its data written: out_fd is left open, not ours */
	if (rl->down.rfd == -1 && rl->down.off == rl->down.len)
		rl->down.wfd = -1;
	if (relay_half_close(rl) == -1)
		return;
	if (rl->up.rfd == -1 && rl->up.wfd == -1 && rl->down.rfd == -1 &&
	    rl->down.wfd == -1 && !rl->flushq) {
		relay_finish(rl, NULL, 0);
		return;
	}

	for (i = 0; i < rl->nslots; i++) {
		struct slot *sl = &rl->slots[i];
		unsigned w = 0;

		if (rl->up.rfd != -1 && rl->up.rs == sl &&
		    rl->up.len < RELAY_BUFSZ && !sl->rready)
			w |= DN_READABLE;
		if (rl->down.rfd != -1 && rl->down.rs == sl &&
		    rl->down.len < RELAY_BUFSZ && !sl->rready)
			w |= DN_READABLE;
		if (rl->up.wfd != -1 && rl->up.ws == sl &&
		    rl->up.len > rl->up.off && !rl->flushq && !sl->wready)
			w |= DN_WRITABLE;
		if (rl->down.wfd != -1 && rl->down.ws == sl &&
		    rl->down.len > rl->down.off && !sl->wready)
			w |= DN_WRITABLE;
		if (sl == ss && rl->flushq && !ss->wready)
			w |= DN_WRITABLE;
		want[i] = w;
	}
	for (i = 0; i < rl->nslots; i++)
		slot_set(&rl->slots[i], want[i]);
	/* work left without waiting (round limit, or a regular file that
	 * epoll cannot watch): go on next turn, after the others */
	if (dir_runnable(&rl->up, rl->flushq) || dir_runnable(&rl->down, 0) ||
	    (rl->flushq && ss->wready))
		dn__defer_queue(rl->r, &rl->pump_call);
}

dn_relay *
dn_relay_start(dn_reactor *r, dn_stream *s, int in_fd, int out_fd,
    unsigned flags, dn_relay_done_cb cb, void *arg, dn_error *err)
{
	dn_relay *rl;

	if (r == NULL || s == NULL || cb == NULL || dn_stream_fd(s) == -1) {
		dn__err(err, DN_EINVAL, 0, "dn_relay_start needs a reactor, "
		    "an open stream and a callback");
		return NULL;
	}
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		goto nomem;
	rl->r = r;
	rl->s = s;
	rl->sfd = dn_stream_fd(s);
	rl->flags = flags;
	rl->cb = cb;
	rl->arg = arg;
	rl->state = R_RUNNING;
	dn__defer_init(&rl->pump_call, relay_pump_run, rl);
	dn__defer_init(&rl->done_call, relay_done_run, rl);

	rl->up.rfd = rl->up.wfd = rl->down.rfd = rl->down.wfd = -1;
	rl->up.pipe[0] = rl->up.pipe[1] = rl->down.pipe[0] = -1;
	rl->down.pipe[1] = -1;
	rl->up.count = &rl->st.bytes_out;
	rl->down.count = &rl->st.bytes_in;
	if (in_fd != -1 && !(flags & DN_RELAY_RECV_ONLY) &&
	    (rl->up.buf = dn__buf_get(r, RELAY_BUFSZ)) == NULL)
		goto nomem;
	if (out_fd != -1 && !(flags & DN_RELAY_SEND_ONLY) &&
	    (rl->down.buf = dn__buf_get(r, RELAY_BUFSZ)) == NULL)
		goto nomem;

	/* slot 0 is the socket; in and out may share one (same fd) */
	slot_new(rl, rl->sfd)->is_sock = 1;
	if (rl->up.buf != NULL) {
		rl->up.rs = slot_get(rl, in_fd);
		rl->up.rfd = rl->up.rs->ended ? -1 : in_fd;
		rl->up.wfd = rl->sfd;
		rl->up.ws = &rl->slots[0];
	}
	if (rl->down.buf != NULL) {
		rl->down.rfd = rl->sfd;
		rl->down.rs = &rl->slots[0];
		rl->down.wfd = out_fd;
		rl->down.ws = slot_get(rl, out_fd);
	}
	dn__stream_release_io(s);
	rl->flushq = 1;		/* whatever was written before us, and a shutdown */
	/*
	 * Input known to be at its end (a device's remembered end of file)
	 * and nothing queued: the FIN goes now rather than a turn later,
	 * since the peer may be waiting for it (a keep-open server's client).
	 * A failure is left to the pump, which reports it.
	 */
	if (rl->up.buf != NULL && rl->up.rfd == -1 && dn__stream_idle(s) &&
	    !(flags & DN_RELAY_NO_SHUTDOWN)) {
		rl->flushq = 0;
		if (shutdown(rl->sfd, SHUT_WR) == 0)
			rl->up.wfd = -1;
	}
	dn__handle_add(r, &rl->h, relay_cancel_handle);
	/* what the peer sent with its connection is usually there already */
	dn__defer_soon(r, &rl->pump_call);
	return rl;
nomem:
	dn__err(err, DN_ENOMEM, errno, "out of memory for relay buffers");
	if (rl != NULL)
		relay_free(rl);
	return NULL;
}
