/*
 * dgram.c - datagram output (line, raw, hex, --from, truncation) and
 * standard input as datagrams, shared by dnudp and dnmcast.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dgram.h"

void
dgram_out_init(dgram_out *o)
{
	memset(o, 0, sizeof(*o));
	o->max_size = 65535;
}

int
dgram_opt(const cli *c, dgram_out *o, int ch, const char *arg)
{
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
	if (bad || (!o->turn_flush && fflush(stdout) == EOF)) {
		err->code = DN_EIO;
		err->os_errno = errno;
		snprintf(err->msg, sizeof(err->msg), "cannot write to standard "
		    "output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
dgram_flush(dn_error *err)
{
	if (fflush(stdout) == EOF) {
		err->code = DN_EIO;
		err->os_errno = errno;
		snprintf(err->msg, sizeof(err->msg), "cannot write to standard "
		    "output: %s", strerror(errno));
		return -1;
	}
	return 0;
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

void
dgram_report_listening(const cli *c, dn_udp *u)
{
	const dn_addr *a = dn_udp_addr(u);
	char buf[DN_ADDR_STRLEN];
	const char *mode = "";
	int v6only = dn_udp_v6only(u);
	cli_json j;

	dn_addr_format(a, buf, sizeof(buf));
	if (c->json) {
		cli_json_begin(c, &j, "listening");
		cli_json_str(&j, "address", buf);
		cli_json_bool(&j, "v6only", v6only);
		cli_json_end(c, &j);
		return;
	}
	if (dn_addr_family(a) == AF_INET6 && dn_addr_is_unspecified(a))
		mode = v6only ? " (v6only)" : " (dual-stack)";
	cli_warn(c, "listening on %s%s", buf, mode);
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

struct dgram_in {
	dn_reactor *r;
	int fd;
	int raw;
	dn_io *io;		/* NULL: not pollable, a timer reads instead */
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

/* may_read: the fd is readable now (a blocking pipe must not be read
 * otherwise), or epoll could not watch it. */
static void
in_step(dgram_in *in, int may_read)
{
	dn_error e;
	ssize_t n;

	in->in_cb++;
	if (!in->raw)
		in_split(in);
	if (in->paused || in->done || in->freed || !may_read)
		goto out;
	n = read(in->fd, in->buf + in->len, in->cap - in->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		goto out;
	if (n == -1) {
		e.code = DN_EIO;
		e.os_errno = errno;
		snprintf(e.msg, sizeof(e.msg), "cannot read standard input: %s",
		    strerror(errno));
		in_end(in, &e);
		goto out;
	}
	if (n == 0) {
		/* a last line without its "\n" is a datagram too */
		if (in->len > 0 && in->cb(in->buf, in->len, in->arg) == -1)
			in->done = 1;
		in->len = 0;
		if (!in->done && !in->freed)
			in_end(in, NULL);
		goto out;
	}
	if (in->raw) {
		if (in->cb(in->buf, (size_t)n, in->arg) == -1)
			in->done = 1;
		goto out;
	}
	in->len += (size_t)n;
	in_split(in);
	if (!in->done && !in->freed && in->len == in->cap) {
		e.code = DN_EINVAL;
		e.os_errno = 0;
		snprintf(e.msg, sizeof(e.msg), "a line of standard input is "
		    "longer than %d bytes, more than a datagram holds: split "
		    "it, or use --raw", DGRAM_LINE_MAX);
		in_end(in, &e);
	}
out:
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
		in->kick = dn_timer_start(in->r, 0, in_timer_cb, in);
}

dgram_in *
dgram_in_start(dn_reactor *r, int fd, int raw, dgram_in_cb cb,
    dgram_eof_cb eof, void *arg, dn_error *err)
{
	dgram_in *in;

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->buf = malloc(raw ? DGRAM_CHUNK_MAX : DGRAM_LINE_MAX)) ==
	    NULL) {
		free(in);
		err->code = DN_ENOMEM;
		err->os_errno = ENOMEM;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	in->r = r;
	in->fd = fd;
	in->raw = raw;
	in->cb = cb;
	in->eof = eof;
	in->arg = arg;
	in->cap = raw ? DGRAM_CHUNK_MAX : DGRAM_LINE_MAX;
	/* epoll refuses regular files and /dev/null (EPERM); they never
	 * block, so a zero timer reads them turn by turn */
	in->io = dn_io_new(r, fd, DN_READABLE, in_io_cb, in, NULL);
	if (in->io == NULL)
		in_kick(in);
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
