/*
 * dgram.c - a run of dnudp or dnmcast (socket, loop, signals, timer,
 * draining), datagram output (line, raw, hex, --from, truncation) and
 * standard input as datagrams.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dgram.h"

/* Past this much waiting to be sent, standard input waits too. */
#define QUEUE_HIGH	(1024 * 1024)

/* --count --from --hex --max-size --raw: 1 taken, 0 not ours, -1 a bad
 * value (reported). */
static int
dgram_opt(void *arg_p, int ch, const char *arg)
{
	dgram_prog *p = arg_p;
	const cli *c = &p->c;
	dgram_out *o = &p->out;
	long long v;
	dn_error e;
	int ok;

	switch (ch) {
	case DGRAM_OPT_COUNT:
		/* 1..2^31 */
		v = cli_parse_num(arg, "--count", 1, 2147483648LL, &e, &ok);
		if (!ok) {
			cli_fail(c, &e);
			return -1;
		}
		o->count = v;
		return 1;
	case DGRAM_OPT_FROM:
		o->from = 1;
		return 1;
	case DGRAM_OPT_HEX:
		o->hex = 1;
		return 1;
	case DGRAM_OPT_MAX_SIZE:
		v = cli_parse_num(arg, "--max-size", 1, 65535, &e, &ok);
		if (!ok) {
			cli_fail(c, &e);
			return -1;
		}
		o->max_size = (size_t)v;
		return 1;
	case DGRAM_OPT_RAW:
		o->raw = 1;
		return 1;
	}
	return 0;
}

int
dgram_getopt(dgram_prog *p, int argc, char **argv, const char *optstring,
    const struct option *longopts)
{
	return cli_getopt(&p->c, argc, argv, optstring, longopts, dgram_opt, p);
}

const char *
dgram_ifname(unsigned ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (ifindex == 0 || if_indextoname(ifindex, name) == NULL)
		return NULL;
	snprintf(buf, len, "%s", name);
	return buf;
}

/* The address as dn_addr_format prints it, or NULL when unknown. */
static const char *
addr_or_null(const dn_addr *a, char *buf, size_t len)
{
	if (dn_addr_family(a) != AF_INET && dn_addr_family(a) != AF_INET6)
		return NULL;
	return dn_addr_format(a, buf, len);
}

static int
out_write(const void *buf, size_t len)
{
	return len == 0 || fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

static int
out_failed(dn_error *err)
{
	return cli_err(err, DN_EIO, errno, "cannot write to standard output: "
	    "%s", strerror(errno));
}

int
dgram_print(const cli *c, const dgram_out *o, const dn_datagram *dg,
    dn_error *err)
{
	static const char hexdig[] = "0123456789abcdef";
	char from[DN_ADDR_STRLEN], to[DN_ADDR_STRLEN], ifn[IF_NAMESIZE];
	char hex[512];
	const unsigned char *p = dg->data;
	const char *tos, *ifs;
	size_t i, k;
	cli_json j;
	int bad = 0;

	/* formatting costs as much as receiving, and if_indextoname() is a
	 * socket, an ioctl and a close: per datagram that halved what dnudp
	 * -l could take, so only what is shown */
	from[0] = '\0';
	if (o->from || c->json || c->verbose || dg->truncated)
		dn_addr_format(&dg->from, from, sizeof(from));
	tos = ifs = NULL;
	if (c->json || c->verbose) {
		tos = addr_or_null(&dg->to, to, sizeof(to));
		ifs = dgram_ifname(dg->ifindex, ifn, sizeof(ifn));
	}
	if (c->json) {
		cli_json_begin(c, &j, "datagram");
		cli_json_str(&j, "from", from);
		if (tos != NULL)
			cli_json_str(&j, "to", tos);
		else
			cli_json_bool(&j, "to", -1);
		if (ifs != NULL)
			cli_json_str(&j, "interface", ifs);
		else
			cli_json_bool(&j, "interface", -1);
		cli_json_uint(&j, "bytes", dg->size);
		cli_json_bool(&j, "truncated", dg->truncated != 0);
		cli_json_end(c, &j);
	} else
		cli_trace(c, "datagram from %s to %s on %s: %zu bytes", from,
		    tos != NULL ? tos : "?", ifs != NULL ? ifs : "?", dg->size);
	if (dg->truncated) {
		if (c->json) {
			cli_json_begin(c, &j, "truncated");
			cli_json_str(&j, "from", from);
			cli_json_uint(&j, "size", dg->size);
			cli_json_uint(&j, "kept", dg->len);
			cli_json_end(c, &j);
		} else
			cli_warn(c, "datagram from %s truncated: %zu bytes, "
			    "kept %zu", from, dg->size, dg->len);
	}

	if (o->from && (fputs(from, stdout) == EOF || putchar(' ') == EOF))
		bad = 1;
	if (o->hex) {
		for (i = 0; i < dg->len && !bad; i += k) {
			for (k = 0; k < sizeof(hex) / 2 && i + k < dg->len;
			    k++) {
				hex[2 * k] = hexdig[p[i + k] >> 4];
				hex[2 * k + 1] = hexdig[p[i + k] & 0xf];
			}
			bad = out_write(hex, 2 * k) == -1;
		}
		if (!bad && putchar('\n') == EOF)
			bad = 1;
	} else if (!bad) {
		bad = out_write(dg->data, dg->len) == -1;
		/* line mode: one line per datagram, not two */
		if (!bad && !o->raw && (dg->len == 0 || p[dg->len - 1] != '\n')
		    && putchar('\n') == EOF)
			bad = 1;
	}
	if (bad)
		return out_failed(err);
	return o->turn_flush ? 0 : dgram_flush(err);
}

int
dgram_flush(dn_error *err)
{
	return fflush(stdout) == EOF ? out_failed(err) : 0;
}

void
dgram_report_sent(const cli *c, const dn_addr *to, size_t len)
{
	char a[DN_ADDR_STRLEN];
	cli_json j;

	if (c->json) {
		cli_json_begin(c, &j, "sent");
		cli_json_addr(&j, "address", to);
		cli_json_uint(&j, "bytes", len);
		cli_json_end(c, &j);
	} else
		cli_trace(c, "sent %zu bytes to %s", len,
		    dn_addr_format(to, a, sizeof(a)));
}

/* --- standard input -------------------------------------------------- */

void
dgram_stdin_guard(void)
{
	int fd;

	/* a closed stdin would become the reactor's epoll fd, read as
	 * input: make it an empty one instead */
	if (fcntl(STDIN_FILENO, F_GETFD) == -1 && errno == EBADF &&
	    (fd = open("/dev/null", O_RDONLY)) != -1 && fd != STDIN_FILENO)
		close(fd);
}

/* reads of a non-blocking input per readiness (see in_step) */
#define IN_READS	64

struct dgram_in {
	dn_reactor *r;
	int fd;
	int raw;
	dn_io *io;		/* NULL: not pollable, a timer reads instead */
	int saved_fl;		/* O_NONBLOCK set by us: the flags to restore */
	int again;		/* may read on until EAGAIN */
	dn_timer *kick;		/* reads (or splits) on the next turn */
	int paused;
	int done;		/* eof reported */
	int in_cb;
	int freed;
	dgram_in_cb cb;
	dgram_eof_cb eof;
	void *arg;
	char *buf;
	size_t len, cap;
};

static void in_kick(dgram_in *in);

static void
in_release(dgram_in *in)
{
	if (in->in_cb > 0)
		return;
	if (in->saved_fl != -1)
		(void)fcntl(in->fd, F_SETFL, in->saved_fl);
	dn_io_free(in->io);
	dn_timer_cancel(in->kick);
	free(in->buf);
	free(in);
}

static void
in_end(dgram_in *in, const dn_error *err)
{
	in->done = 1;
	if (in->io != NULL)
		(void)dn_io_set(in->io, 0, NULL);
	in->eof(err, in->arg);
}

/* Hands out the complete lines in buf while nobody paused us. */
static void
in_split(dgram_in *in)
{
	char *nl;
	size_t start = 0;

	while (!in->paused && !in->done && !in->freed &&
	    (nl = memchr(in->buf + start, '\n', in->len - start)) != NULL) {
		size_t n = (size_t)(nl - (in->buf + start));

		if (in->cb(in->buf + start, n, in->arg) == -1)
			in->done = 1;
		start += n + 1;
	}
	if (start > 0 && !in->freed) {
		memmove(in->buf, in->buf + start, in->len - start);
		in->len -= start;
	}
}

/*
 * One read: 1 when it brought data and another may follow, else 0.
 */
static int
in_read(dgram_in *in)
{
	dn_error e;
	ssize_t n;

	n = read(in->fd, in->buf + in->len, in->cap - in->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == -1) {
		cli_err(&e, DN_EIO, errno, "cannot read standard input: %s",
		    strerror(errno));
		in_end(in, &e);
		return 0;
	}
	if (n == 0) {
		/* a last line without its "\n" is a datagram too */
		if (in->len > 0 && in->cb(in->buf, in->len, in->arg) == -1)
			in->done = 1;
		in->len = 0;
		if (!in->done && !in->freed)
			in_end(in, NULL);
		return 0;
	}
	if (in->raw) {
		if (in->cb(in->buf, (size_t)n, in->arg) == -1)
			in->done = 1;
		return 1;
	}
	in->len += (size_t)n;
	in_split(in);
	if (!in->done && !in->freed && in->len == in->cap) {
		cli_err(&e, DN_EINVAL, 0, "a line of standard input is longer "
		    "than %d bytes, more than a datagram holds: split it, or "
		    "use --raw", DGRAM_LINE_MAX);
		in_end(in, &e);
		return 0;
	}
	return 1;
}

/*
 * may_read: the fd is readable now (a blocking pipe must not be read
 * otherwise), or epoll could not watch it. A non-blocking one is read on
 * until it is empty (IN_READS at most): what a writer queued meanwhile
 * goes out in one sendmmsg() at the end of the turn, and a lone line
 * leaves as soon as the read after it finds nothing, without waiting.
 */
static void
in_step(dgram_in *in, int may_read)
{
	int i;

	in->in_cb++;
	if (!in->raw)
		in_split(in);
	for (i = 0; i < (in->again ? IN_READS : 1); i++)
		if (in->paused || in->done || in->freed || !may_read ||
		    in_read(in) == 0)
			break;
	in->in_cb--;
	if (in->freed) {
		in_release(in);
		return;
	}
	if (in->io == NULL && !in->paused && !in->done)
		in_kick(in);
}

static void
in_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	in_step(arg, 1);
}

static void
in_timer_cb(dn_timer *t, int cancelled, void *arg)
{
	dgram_in *in = arg;

	if (cancelled)
		return;
	in->kick = NULL;
	in_step(in, in->io == NULL);
}

static void
in_kick(dgram_in *in)
{
	if (in->kick == NULL)
		in->kick = dn_timer_start(in->r, 0, in_timer_cb, in, NULL);
}

dgram_in *
dgram_in_start(dn_reactor *r, int fd, int raw, dgram_in_cb cb,
    dgram_eof_cb eof, void *arg, dn_error *err)
{
	dgram_in *in;
	int fl;

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->buf = malloc(raw ? DGRAM_CHUNK_MAX : DGRAM_LINE_MAX)) ==
	    NULL) {
		free(in);
		cli_err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	in->r = r;
	in->fd = fd;
	in->raw = raw;
	in->cb = cb;
	in->eof = eof;
	in->arg = arg;
	in->cap = raw ? DGRAM_CHUNK_MAX : DGRAM_LINE_MAX;
	in->saved_fl = -1;
	/* epoll refuses regular files and /dev/null (EPERM); they never
	 * block, so a zero timer reads them turn by turn */
	in->io = dn_io_new(r, fd, DN_READABLE, in_io_cb, in, NULL);
	if (in->io == NULL) {
		in->again = 1;
		in_kick(in);
	} else if ((fl = fcntl(fd, F_GETFL)) != -1) {
		/* while we run; restored when input ends, as the relay does */
		if (fl & O_NONBLOCK)
			in->again = 1;
		else if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0) {
			in->saved_fl = fl;
			in->again = 1;
		}
	}
	return in;
}

void
dgram_in_pause(dgram_in *in, int paused)
{
	if (in == NULL || in->done || in->paused == paused)
		return;
	in->paused = paused;
	if (in->io != NULL)
		(void)dn_io_set(in->io, paused ? 0 : DN_READABLE, NULL);
	/* lines already read wait in buf: split them on the next turn */
	if (!paused)
		in_kick(in);
}

void
dgram_in_free(dgram_in *in)
{
	if (in == NULL)
		return;
	in->freed = 1;
	in_release(in);
}

/* --- a run ----------------------------------------------------------- */

void
dgram_prog_init(dgram_prog *p, const char *prog)
{
	cli_init(&p->c, prog);
	memset(&p->out, 0, sizeof(p->out));
	p->out.max_size = 65535;
	cli_signals_default();
	dgram_stdin_guard();
}

void
dgram_finish(dgram_prog *p, int rv)
{
	if (p->done)
		return;
	p->done = 1;
	p->rv = rv;
	dn_reactor_stop(p->r);
}

static void
on_signal(dn_signal *sg, int signo, void *arg)
{
	dgram_prog *p = arg;

	/* SIGINT/SIGTERM: close (leaving any group) and exit 0 (DESIGN.md) */
	cli_trace(&p->c, "%s: closing", strsignal(signo));
	dgram_finish(p, 0);
}

int
dgram_prog_start(dgram_prog *p)
{
	static const int signos[] = { SIGINT, SIGTERM };
	dn_error e;

	if ((p->r = dn_reactor_new(&e)) == NULL)
		return cli_fail(&p->c, &e);
	return cli_signals_watch(&p->c, p->r, signos, CLI_ARRLEN(signos),
	    p->sigs, on_signal, p);
}

void
dgram_prog_run(dgram_prog *p)
{
	dn_error e;

	/* Turn by turn: signal watchers do not keep a reactor running.
	 * With turn_flush, datagrams printed in a turn leave in one write
	 * at its end, before the loop waits again: a write each cost more
	 * than receiving. */
	while (!p->done) {
		if (dn_reactor_run_once(p->r, -1, &e) == -1) {
			p->rv = cli_fail(&p->c, &e);
			break;
		}
		if (p->flush != NULL)
			(void)p->flush(p);
		if (p->out.turn_flush && dgram_flush(&e) == -1) {
			if (p->rv == 0)
				p->rv = cli_fail(&p->c, &e);
			break;
		}
	}
}

void
dgram_prog_free(dgram_prog *p)
{
	dgram_in_free(p->in);
	dn_timer_cancel(p->timer);
	dn_udp_close(p->u);
	dn_udp_all_close(p->all);
	dn_acl_free(p->acl);
	cli_signals_free(p->sigs, CLI_ARRLEN(p->sigs));
	dn_reactor_free(p->r);
}

/* The listening sockets, one line each; then the program goes on. */
static void
on_opened(dn_dgram_open_req *rq, const dn_dgram_opened *o,
    const dn_error *err, void *arg)
{
	dgram_prog *p = arg;
	dn_udp **v;
	size_t i, n;
	int rv;

	(void)rq;
	p->open_rq = NULL;
	if (err != NULL) {
		if (err->code != DN_ECANCELED)
			dgram_finish(p, cli_fail(&p->c, err));
		return;
	}
	p->u = o->udp;
	p->all = o->all;
	if (p->done)
		return;
	if (p->listening) {
		if ((v = dgram_socks(p, &n)) == NULL) {
			dgram_finish(p, cli_failf(&p->c, DN_ENOMEM, ENOMEM,
			    "out of memory"));
			return;
		}
		for (i = 0; i < n; i++)
			cli_report_listening(&p->c, dn_udp_addr(v[i]),
			    dn_udp_v6only(v[i]));
		free(v);
	}
	if ((rv = p->opened(p, o)) != 0)
		dgram_finish(p, rv);
}

int
dgram_open(dgram_prog *p, const dn_dgram_endpoint *ep,
    const dn_dgram_open_opts *opts)
{
	dn_dgram_kind k = dn_dgram_endpoint_kind(ep);
	dn_error e;

	p->listening = k == DN_DGRAM_LISTEN || k == DN_DGRAM_LISTEN_ALL;
	if ((p->open_rq = dn_dgram_endpoint_open(p->r, ep, opts, on_opened, p,
	    &e)) == NULL)
		return cli_fail(&p->c, &e);
	return 0;
}

static void
on_recv(dn_udp *u, const dn_datagram *dg, const dn_error *err, void *arg)
{
	dgram_prog *p = arg;
	dn_error e;

	if (p->done)
		return;
	if (err != NULL) {
		dgram_finish(p, p->fail(p, err));
		return;
	}
	if (!cli_acl_admit(&p->c, p->acl, "datagram", &dg->from, &dg->to))
		return;
	if (dgram_print(&p->c, &p->out, dg, &e) == -1) {
		dgram_finish(p, cli_fail(&p->c, &e));
		return;
	}
	p->received(p, u, dg);
}

int
dgram_recv_start(dgram_prog *p)
{
	dn_error e;

	if ((p->all != NULL ? dn_udp_all_recv_start(p->all, on_recv, p, &e) :
	    dn_udp_recv_start(p->u, on_recv, p, &e)) == -1)
		return cli_fail(&p->c, &e);
	return 0;
}

dn_udp **
dgram_socks(const dgram_prog *p, size_t *n)
{
	size_t k = p->all != NULL ? dn_udp_all_socks(p->all, NULL, 0) :
	    p->u != NULL;
	dn_udp **v;

	*n = 0;
	if (k == 0 || (v = calloc(k, sizeof(*v))) == NULL)
		return NULL;
	if (p->all != NULL)
		k = dn_udp_all_socks(p->all, v, k);
	else
		v[0] = p->u;
	*n = k;
	return v;
}

static void
on_eof(const dn_error *err, void *arg)
{
	dgram_prog *p = arg;

	if (err != NULL) {
		dgram_finish(p, cli_fail(&p->c, err));
		return;
	}
	dgram_in_free(p->in);
	p->in = NULL;
	if (p->flush != NULL && p->flush(p) == -1)
		return;
	(void)dgram_drain(p);
}

int
dgram_input_start(dgram_prog *p, dgram_in_cb cb)
{
	dn_error e;

	p->in = dgram_in_start(p->r, STDIN_FILENO, p->out.raw, cb, on_eof, p,
	    &e);
	return p->in == NULL ? cli_fail(&p->c, &e) : 0;
}

static void
drained(dn_udp *u, const dn_error *err, void *arg)
{
	dgram_prog *p = arg;

	p->draining = 0;
	if (p->done || (err != NULL && err->code == DN_ECANCELED))
		return;
	if (err != NULL) {
		dgram_finish(p, p->fail(p, err));
		return;
	}
	if (p->in != NULL)
		dgram_in_pause(p->in, 0);
	else if (p->all_sent != NULL)
		p->all_sent(p);
	else
		dgram_finish(p, 0);
}

int
dgram_drain(dgram_prog *p)
{
	dn_error e;

	if (p->draining)
		return 0;
	if (dn_udp_drain(p->u, drained, p, &e) == -1) {
		dgram_finish(p, cli_fail(&p->c, &e));
		return -1;
	}
	p->draining = 1;
	return 0;
}

int
dgram_throttle(dgram_prog *p)
{
	if (dn_udp_send_queued(p->u) <= QUEUE_HIGH)
		return 0;
	dgram_in_pause(p->in, 1);
	return dgram_drain(p);
}

static void
timer_expired(dn_timer *t, int cancelled, void *arg)
{
	dgram_prog *p = arg;

	if (cancelled)
		return;
	p->timer = NULL;
	if (p->expired != NULL) {
		p->expired(p);
		return;
	}
	dgram_finish(p, cli_failf(&p->c, DN_ETIMEDOUT, 0, "no datagram "
	    "arrived for %.3fs (-w)", (double)p->c.timeout_ns / 1e9));
}

void
dgram_timer_restart(dgram_prog *p, uint64_t ns)
{
	dn_timer_cancel(p->timer);
	p->timer = dn_timer_start(p->r, ns, timer_expired, p, NULL);
}

void
dgram_idle_restart(dgram_prog *p)
{
	if (p->c.timeout_ns != 0)
		dgram_timer_restart(p, p->c.timeout_ns);
}
