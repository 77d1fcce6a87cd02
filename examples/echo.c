/*
 * echo - an echo server on every address of every interface: echo [PORT]
 * binds them all on one port (0: one free on every address), prints
 * "port N", follows addresses as they come and go, and sends back what
 * each connection sends until the client half-closes. SIGINT and SIGTERM
 * end it with exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <dualnet.h>

#define QUEUED_MAX (256 * 1024)	/* bytes not yet sent before reading stops */
#define TICK (10 * 1000000ULL)	/* ns */

static dn_reactor *r;

static void on_read(dn_stream *, const void *, size_t, const dn_error *,
    void *);

/*
 * A stream says nothing when its write queue has drained, so a peer that
 * reads slowly is waited for by looking again every TICK.
 */
static void
later(dn_timer_cb cb, dn_stream *s)
{
	if (dn_timer_start(r, TICK, cb, s) == NULL)
		dn_stream_close(s);
}

static void
resume(dn_timer *t, int cancelled, void *arg)
{
	(void)t;
	if (cancelled)		/* the reactor's end closed the stream */
		return;
	if (dn_stream_write_queued(arg) > QUEUED_MAX / 2)
		later(resume, arg);
	else if (dn_stream_read_start(arg, on_read, NULL) == -1)
		dn_stream_close(arg);
}

/* After the client's FIN: ours once every byte has gone. */
static void
finish(dn_timer *t, int cancelled, void *arg)
{
	(void)t;
	if (cancelled)
		return;
	if (dn_stream_write_queued(arg) > 0)
		later(finish, arg);
	else	/* the kernel sends what it holds, then the FIN */
		dn_stream_close(arg);
}

static void
on_read(dn_stream *s, const void *buf, size_t len, const dn_error *err,
    void *arg)
{
	(void)arg;
	if (err != NULL || (len > 0 &&
	    dn_stream_write(s, buf, len, NULL) == -1))
		dn_stream_close(s);	/* a reset: nobody to answer */
	else if (len == 0)
		finish(NULL, 0, s);	/* reading stopped at the EOF */
	else if (dn_stream_write_queued(s) > QUEUED_MAX) {
		dn_stream_read_stop(s);
		later(resume, s);
	}
}

static void
on_accept(dn_listener *l, dn_stream *s, void *arg)
{
	(void)l;
	(void)arg;
	if (dn_stream_read_start(s, on_read, NULL) == -1)
		dn_stream_close(s);
}

static void
on_signal(dn_signal *sg, int signo, void *arg)
{
	(void)sg;
	(void)signo;
	(void)arg;
	dn_reactor_stop(r);
}

int
main(int argc, char *argv[])
{
	dn_server_endpoint *ep = NULL;
	dn_listener *l = NULL;
	dn_error err;
	char text[32];
	char *end = NULL;
	int rv = 0;
	long port = argc == 2 ? strtol(argv[1], &end, 10) : 0;

	if (argc > 2 || (end != NULL && *end != '\0') || port < 0 ||
	    port > 65535) {
		fprintf(stderr, "usage: echo [PORT]   (PORT 0..65535)\n");
		return 64;
	}
	snprintf(text, sizeof(text), "all:%ld", port);
	if ((r = dn_reactor_new(&err)) == NULL ||
	    dn_signal_new(r, SIGINT, on_signal, NULL, &err) == NULL ||
	    dn_signal_new(r, SIGTERM, on_signal, NULL, &err) == NULL ||
	    (ep = dn_server_endpoint_parse(text, NULL, &err)) == NULL ||
	    (l = dn_server_endpoint_listen(r, ep, on_accept, NULL,
	    &err)) == NULL) {
		fprintf(stderr, "echo: %s\n", err.msg);
		dn_server_endpoint_free(ep);
		dn_reactor_free(r);
		return dn_err_sysexit(err.code);
	}
	dn_server_endpoint_free(ep);
	printf("port %u\n", dn_listener_port(l));
	fflush(stdout);
	if (dn_reactor_run(r, &err) == -1) {
		fprintf(stderr, "echo: %s\n", err.msg);
		rv = dn_err_sysexit(err.code);
	}
	dn_reactor_free(r);	/* closes the port and every connection */
	return rv;
}
