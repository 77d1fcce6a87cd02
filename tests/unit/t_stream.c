/* t_stream.c - a stream's write completion (dn_stream_flush), a reader told when the reactor is freed, and what a listener says when accept4() fails. */

#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>

#include <stddef.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "util.h"

#define MiB	(1024 * 1024)

/* What a flush callback was told. */
struct fstate {
	int calls;
	dn_err code;
	size_t queued;		/* dn_stream_write_queued() at the call */
};

static void
flush_cb(dn_stream *s, const dn_error *err, void *arg)
{
	struct fstate *f = arg;

	f->calls++;
	f->code = err != NULL ? err->code : DN_OK;
	f->queued = err == NULL ? dn_stream_write_queued(s) : 0;
}

/*
 * A loopback TCP connection made with plain sockets: *cfd the client end
 * (which the test wraps in a stream), *pfd the peer the test reads or
 * resets by hand. Small buffers, so a few MiB fill them.
 */
static int
tcp_pair(int *cfd, int *pfd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l, c, small = 64 * 1024;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&a, &len) == -1 ||
	    (c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		close(l);
		return -1;
	}
	(void)setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    (*pfd = accept4(l, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		close(c);
		close(l);
		return -1;
	}
	(void)setsockopt(*pfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	close(l);
	(void)fcntl(c, F_SETFL, O_NONBLOCK);
	*cfd = c;
	return 0;
}

/* The stream over the client end; NULL bails out of the whole file. */
static dn_stream *
stream_over(dn_reactor *r, int fd)
{
	dn_stream *s = dn__stream_new(r, fd, NULL, 0, NULL, NULL);

	if (s == NULL) {
		printf("Bail out! no stream: out of memory\n");
		exit(1);
	}
	return s;
}

/* Writes until the kernel holds some back: the queue is not empty. */
static size_t
fill(dn_stream *s, char *buf, size_t chunk, int max)
{
	size_t total = 0;
	int i;

	for (i = 0; i < max && dn_stream_write_queued(s) == 0; i++) {
		if (dn_stream_write(s, buf, chunk, NULL) == -1)
			break;
		total += chunk;
	}
	return total;
}

/* Reads what is there without blocking; bytes read. */
static size_t
drain_peer(int fd, char *buf, size_t len)
{
	size_t total = 0;
	ssize_t n;

	while ((n = recv(fd, buf, len, MSG_DONTWAIT)) > 0)
		total += (size_t)n;
	return total;
}

/* One case's world: a reactor, a stream over a loopback connection, the
 * peer's end, a MiB to write, and what the flush callback heard. */
struct fx {
	dn_reactor *r;
	dn_stream *s;
	int pfd;
	char *buf;
	struct fstate f;
	dn_error e;
};

/* 0, or -1 with the case's set-up reported failed and nothing held. */
static int
fx_open(struct fx *x, const char *name)
{
	int cfd = -1;

	memset(x, 0, sizeof(*x));
	x->pfd = -1;
	x->r = reactor_or_bail();
	x->buf = calloc(1, MiB);
	if (x->buf == NULL || !ok(tcp_pair(&cfd, &x->pfd) == 0, "%s: a "
	    "loopback connection", name)) {
		free(x->buf);
		dn_reactor_free(x->r);
		return -1;
	}
	x->s = stream_over(x->r, cfd);
	return 0;
}

/* What is still open is closed; the stream only if the case has not. */
static void
fx_close(struct fx *x)
{
	dn_stream_close(x->s);
	if (x->pfd != -1)
		close(x->pfd);
	free(x->buf);
	dn_reactor_free(x->r);
}

/* The peer does not read: writes until some wait, then asks to flush. */
static void
fx_fill_and_flush(struct fx *x)
{
	fill(x->s, x->buf, MiB, 64);
	ok(dn_stream_write_queued(x->s) > 0 &&
	    dn_stream_flush(x->s, flush_cb, &x->f, &x->e) == 0, "flush "
	    "accepted with %zu bytes queued", dn_stream_write_queued(x->s));
}

/* What a read callback heard when the reactor went. */
struct rfree {
	int calls;
	dn_err code;
	int close_it;		/* close the stream inside the callback */
};

static void
rfree_cb(dn_stream *s, const void *buf, size_t len, const dn_error *err,
    void *arg)
{
	struct rfree *f = arg;

	(void)buf;
	(void)len;
	f->calls++;
	f->code = err != NULL ? err->code : DN_OK;
	if (f->close_it)
		dn_stream_close(s);
}

/* dn_reactor_free() with a stream still reading: the reader hears
 * DN_ECANCELED once, whether it closes the stream then or not. */
static void
test_read_reactor_freed(void)
{
	struct rfree f;
	struct fx x;
	int i;

	for (i = 0; i < 2; i++) {
		if (fx_open(&x, i ? "reading, freed, closed in the callback" :
		    "reading, freed") == -1)
			return;
		memset(&f, 0, sizeof(f));
		f.close_it = i;
		ok(dn_stream_read_start(x.s, rfree_cb, &f, &x.e) == 0,
		    "reading");
		turns(x.r, 2);
		dn_reactor_free(x.r);
		ok(f.calls == 1 && f.code == DN_ECANCELED, "dn_reactor_free: "
		    "the reader heard DN_ECANCELED once (%d calls)%s", f.calls,
		    i ? ", and closed the stream" : "");
		close(x.pfd);
		free(x.buf);
	}
}

static void
test_flush_empty(void)
{
	struct fx x;

	if (fx_open(&x, "flush, empty queue") == -1)
		return;
	ok(dn_stream_write(x.s, "hello", 5, &x.e) == 0 &&
	    dn_stream_write_queued(x.s) == 0, "a small write goes at once");
	ok(dn_stream_flush(x.s, flush_cb, &x.f, &x.e) == 0, "flush accepted");
	is_int(x.f.calls, 0, "never inside the call that asked");
	run_until(x.r, &x.f.calls, 1, 2000);
	ok(x.f.calls == 1 && x.f.code == DN_OK, "then once, on the next turn, "
	    "with no error");
	ok(dn_stream_flush(x.s, flush_cb, &x.f, &x.e) == 0 &&
	    dn_stream_flush(x.s, flush_cb, &x.f, &x.e) == -1 &&
	    x.e.code == DN_EINVAL, "a second flush while one waits: "
	    "DN_EINVAL (%s)", x.e.msg);
	run_until(x.r, &x.f.calls, 2, 2000);
	is_int(x.f.calls, 2, "the first of the two is answered");
	fx_close(&x);
}

static void
test_flush_waits(void)
{
	struct fx x;
	size_t got = 0;
	int i;

	if (fx_open(&x, "flush, full queue") == -1)
		return;
	fx_fill_and_flush(&x);
	turns(x.r, 5);
	is_int(x.f.calls, 0, "no answer while bytes wait in the queue");
	/* the peer reads; the queue drains turn by turn */
	for (i = 0; i < 5000 && x.f.calls == 0; i++) {
		got += drain_peer(x.pfd, x.buf, MiB);
		dn_reactor_run_once(x.r, 1, NULL);
	}
	ok(x.f.calls == 1 && x.f.code == DN_OK && x.f.queued == 0,
	    "answered once the queue is empty, with no error (the peer had "
	    "read %zu bytes)", got);
	fx_close(&x);
}

static void
test_flush_closed(void)
{
	struct fx x;

	if (fx_open(&x, "flush, closed") == -1)
		return;
	fx_fill_and_flush(&x);
	dn_stream_close(x.s);
	x.s = NULL;
	is_int(x.f.calls, 0, "closing does not call back inside the close");
	run_until(x.r, &x.f.calls, 1, 2000);
	ok(x.f.calls == 1 && x.f.code == DN_ECANCELED, "closed before the "
	    "queue drained: DN_ECANCELED, once");
	turns(x.r, 3);
	is_int(x.f.calls, 1, "and never again");
	fx_close(&x);
}

static void
test_flush_reset(void)
{
	struct linger lg = { 1, 0 };
	struct fx x;

	if (fx_open(&x, "flush, reset") == -1)
		return;
	fx_fill_and_flush(&x);
	/* linger 0: close sends RST, and the writer's next send fails */
	(void)setsockopt(x.pfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(x.pfd);
	x.pfd = -1;
	run_until(x.r, &x.f.calls, 1, 3000);
	ok(x.f.calls == 1 && x.f.code == DN_EIO, "the peer reset: the flush "
	    "hears DN_EIO (%s)", dn_err_name(x.f.code));
	ok(dn_stream_write(x.s, "x", 1, &x.e) == -1 && x.e.code == DN_EIO,
	    "and so does the next write (%s)", x.e.msg);
	fx_close(&x);
}

static void
test_flush_shutdown(void)
{
	char buf[16];
	struct fx x;

	if (fx_open(&x, "flush, shutdown") == -1)
		return;
	ok(dn_stream_write(x.s, "bye", 3, &x.e) == 0 &&
	    dn_stream_shutdown(x.s, &x.e) == 0 &&
	    dn_stream_flush(x.s, flush_cb, &x.f, &x.e) == 0, "write, "
	    "shutdown, flush");
	run_until(x.r, &x.f.calls, 1, 2000);
	ok(x.f.calls == 1 && x.f.code == DN_OK, "answered");
	ok(recv(x.pfd, buf, sizeof(buf), 0) == 3 &&
	    recv(x.pfd, buf, sizeof(buf), 0) == 0, "the peer has the bytes "
	    "and the end of file by then");
	ok(dn_stream_flush(NULL, flush_cb, &x.f, &x.e) == -1 &&
	    x.e.code == DN_EINVAL, "flush on no stream: DN_EINVAL");
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Accept errors                                                      */
/* ------------------------------------------------------------------ */

/* What the listener told, as the child sends it to the parent. */
struct accept_report {
	int setup;		/* 0 ok; 1 no listener; 2 no seccomp */
	int failed, paused, resumed, accepted;
	dn_err code;		/* of the first event with an error */
	int os_errno;
	int addr_ok;		/* ACCEPT_FAILED named the listening socket */
};

struct accept_state {
	struct accept_report rep;
	dn_reactor *r;
	const dn_addr *laddr;
};

static void
accept_event(const dn_listen_event *ev, void *arg)
{
	struct accept_state *st = arg;

	if (ev->kind == DN_LISTEN_ACCEPT_FAILED) {
		st->rep.failed++;
		st->rep.addr_ok = ev->addr != NULL &&
		    dn_addr_equal(ev->addr, st->laddr);
	} else if (ev->kind == DN_LISTEN_ACCEPT_PAUSED)
		st->rep.paused++;
	else if (ev->kind == DN_LISTEN_ACCEPT_RESUMED)
		st->rep.resumed++;
	if (ev->err != NULL && st->rep.code == DN_OK) {
		st->rep.code = ev->err->code;
		st->rep.os_errno = ev->err->os_errno;
	}
	/* the filter makes every accept4 fail alike: one is enough */
	if (ev->kind == DN_LISTEN_ACCEPT_FAILED)
		dn_reactor_stop(st->r);
}

static void
accept_cb(dn_listener *l, dn_stream *s, void *arg)
{
	struct accept_state *st = arg;

	(void)l;
	st->rep.accepted++;
	dn_stream_close(s);
}

/* From here on accept4() fails with e, before the kernel looks at the
 * queue: what a security module's refusal looks like. */
static int
accept4_fails(int e)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_accept4, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO |
		    ((unsigned)e & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* In a child (the filter cannot be taken back): a listener on loopback,
 * accept4() failing with e, one client; runs the loop for ms. */
static void
accept_child(int e, int ms, int wfd)
{
	struct accept_state st;
	dn_listen_opts lo;
	dn_addr any = parse_scoped("127.0.0.1:0", NULL);
	dn_listener *l;
	uint64_t end;
	ssize_t n;
	int c;

	memset(&st, 0, sizeof(st));
	memset(&lo, 0, sizeof(lo));
	lo.v6only = -1;
	lo.event = accept_event;
	lo.event_arg = &st;
	st.r = reactor_or_bail();
	if ((l = dn_tcp_listen_addr(st.r, &any, &lo, accept_cb, &st,
	    NULL)) == NULL)
		st.rep.setup = 1;
	else if (accept4_fails(e) == -1)
		st.rep.setup = 2;
	else {
		st.laddr = dn_listener_addr(l);
		c = socket(AF_INET, SOCK_STREAM, 0);
		(void)connect(c, &st.laddr->u.sa, st.laddr->len);
		end = now_ms() + (uint64_t)ms;
		while (now_ms() < end && st.rep.failed == 0)
			dn_reactor_run_once(st.r, 10, NULL);
		close(c);
	}
	n = write(wfd, &st.rep, sizeof(st.rep));
	_exit(n == (ssize_t)sizeof(st.rep) ? 0 : 1);
}

/* The child's report, or setup = -1 when it sent none. */
static struct accept_report
accept_run(int e, int ms)
{
	struct accept_report rep;
	int p[2], status;
	pid_t pid;

	memset(&rep, 0, sizeof(rep));
	rep.setup = -1;
	if (pipe(p) == -1)
		return rep;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(p[0]);
		accept_child(e, ms, p[1]);
	}
	close(p[1]);
	if (pid == -1 || read(p[0], &rep, sizeof(rep)) != sizeof(rep))
		rep.setup = -1;
	close(p[0]);
	if (pid != -1)
		(void)waitpid(pid, &status, 0);
	return rep;
}

static void
test_accept_errors(void)
{
	struct accept_report rep;

	rep = accept_run(EPROTO, 2000);
	if (rep.setup == 2) {
		ok(1, "# SKIP accept errors: no seccomp filter here");
		return;
	}
	ok(rep.setup == 0 && rep.failed >= 1 && rep.code == DN_ECONNECT &&
	    rep.os_errno == EPROTO && rep.addr_ok && rep.paused == 0,
	    "accept4 EPROTO: ACCEPT_FAILED naming the listening socket, "
	    "DN_ECONNECT, errno kept; not paused (setup %d, failed %d, "
	    "paused %d, %s/%d)", rep.setup, rep.failed, rep.paused,
	    dn_err_name(rep.code), rep.os_errno);

	/* a security module's EPERM leaves the connection queued: without
	 * a pause, a level-triggered loop would spin on it */
	rep = accept_run(EPERM, 350);
	ok(rep.setup == 0 && rep.paused == 1 && rep.failed == 0 &&
	    rep.accepted == 0 && rep.code == DN_ELOCAL &&
	    rep.os_errno == EPERM,
	    "accept4 EPERM: one ACCEPT_PAUSED (DN_ELOCAL, EPERM), retried "
	    "on the timer (paused %d, failed %d, %s/%d)", rep.paused,
	    rep.failed, dn_err_name(rep.code), rep.os_errno);

	rep = accept_run(ENOTSOCK, 350);
	ok(rep.setup == 0 && rep.paused == 1 && rep.failed == 0 &&
	    rep.code == DN_EOTHER && rep.os_errno == ENOTSOCK,
	    "accept4 with an errno of no code: ACCEPT_PAUSED, DN_EOTHER "
	    "(paused %d, %s/%d)", rep.paused, dn_err_name(rep.code),
	    rep.os_errno);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_flush_empty();
	test_flush_waits();
	test_flush_closed();
	test_flush_reset();
	test_flush_shutdown();
	test_read_reactor_freed();
	test_accept_errors();
	return tap_done(0);
}
