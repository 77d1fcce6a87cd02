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

static dn_reactor *r;

static void on_read(dn_stream *, const void *, size_t, const dn_error *,
    void *);

/* The queue has drained: read again (a slow reader was waited for). */
static void
resume(dn_stream *s, const dn_error *err, void *arg)
{
	(void)arg;
	if (err == NULL && dn_stream_read_start(s, on_read, NULL, NULL) == -1)
		dn_stream_close(s);
	else if (err != NULL && err->code != DN_ECANCELED)
		dn_stream_close(s);	/* the write failed: a reset */
}

/* After the client's FIN and every byte echoed: our FIN. */
static void
finish(dn_stream *s, const dn_error *err, void *arg)
{
	(void)arg;
	if (err == NULL || err->code != DN_ECANCELED)
		dn_stream_close(s);
}

static void
on_read(dn_stream *s, const void *buf, size_t len, const dn_error *err,
    void *arg)
{
	(void)arg;
	if (err != NULL || (len > 0 &&
	    dn_stream_write(s, buf, len, NULL) == -1))
		dn_stream_close(s);	/* a reset: nobody to answer */
	else if (len == 0) {		/* reading stopped at the EOF */
		if (dn_stream_shutdown(s, NULL) == -1 ||
		    dn_stream_flush(s, finish, NULL, NULL) == -1)
			dn_stream_close(s);
	} else if (dn_stream_write_queued(s) > QUEUED_MAX) {
		dn_stream_read_stop(s);
		if (dn_stream_flush(s, resume, NULL, NULL) == -1)
			dn_stream_close(s);
	}
}

static void
on_accept(dn_listener *l, dn_stream *s, void *arg)
{
	(void)l;
	(void)arg;
	if (dn_stream_read_start(s, on_read, NULL, NULL) == -1)
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
		/* sysexits: a bad port is usage, the rest the system's */
		return dn_err_kind_of(err.code) == DN_KIND_INPUT ? 64 : 71;
	}
	dn_server_endpoint_free(ep);
	printf("port %u\n", dn_listener_port(l));
	fflush(stdout);
	if (dn_reactor_run(r, &err) == -1) {
		fprintf(stderr, "echo: %s\n", err.msg);
		rv = 71;
	}
	dn_reactor_free(r);	/* closes the port and every connection */
	return rv;
}
