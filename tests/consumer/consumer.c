/*
 * consumer.c - a program built against the installed libdualnet the way
 * any other would be: <dualnet.h> and pkg-config, nothing of the source
 * tree. It listens on 127.0.0.1 (a port the kernel picks), connects to
 * itself through a client endpoint, sends "ping", waits for the write to
 * complete, and checks that the server read "ping" then end of file.
 * Exit 0 when all of that happened.
 */
#include <stdio.h>
#include <string.h>

#include <dualnet.h>

struct run {
	dn_reactor *r;
	char got[16];
	size_t ngot;
	int flushed, eof, failed;
};

static void
fail(struct run *run, const char *what, const dn_error *err)
{
	fprintf(stderr, "consumer: %s: %s\n", what,
	    err != NULL ? err->msg : "failed");
	run->failed = 1;
	dn_reactor_stop(run->r);
}

/* Both ends done: the write completed and the server saw the end. */
static void
maybe_done(struct run *run)
{
	if (run->flushed && run->eof)
		dn_reactor_stop(run->r);
}

static void
on_read(dn_stream *s, const void *buf, size_t len, const dn_error *err,
    void *arg)
{
	struct run *run = arg;

	if (err != NULL) {
		fail(run, "server read", err);
		return;
	}
	if (len == 0) {
		run->eof = 1;
		dn_stream_close(s);
		maybe_done(run);
		return;
	}
	if (run->ngot + len < sizeof(run->got)) {
		memcpy(run->got + run->ngot, buf, len);
		run->ngot += len;
	}
}

static void
on_accept(dn_listener *l, dn_stream *s, void *arg)
{
	(void)l;
	if (dn_stream_read_start(s, on_read, arg, NULL) == -1) {
		dn_stream_close(s);
		fail(arg, "read_start", NULL);
	}
}

static void
on_flush(dn_stream *s, const dn_error *err, void *arg)
{
	struct run *run = arg;

	if (err != NULL) {
		fail(run, "flush", err);
		return;
	}
	run->flushed = 1;
	dn_stream_close(s);
	maybe_done(run);
}

static void
on_connect(dn_connect_req *req, dn_stream *s, const dn_error *err, void *arg)
{
	struct run *run = arg;
	dn_error e;

	(void)req;
	if (s == NULL) {
		fail(run, "connect", err);
		return;
	}
	if (dn_stream_write(s, "ping", 4, &e) == -1 ||
	    dn_stream_shutdown(s, &e) == -1 ||
	    dn_stream_flush(s, on_flush, run, &e) == -1) {
		dn_stream_close(s);
		fail(run, "write", &e);
	}
}

int
main(void)
{
	dn_server_endpoint *sep = NULL;
	dn_client_endpoint *cep = NULL;
	dn_listener *l = NULL;
	struct run run;
	dn_addr local;
	dn_error e;

	memset(&run, 0, sizeof(run));
	if ((run.r = dn_reactor_new(&e)) == NULL ||
	    dn_addr_parse(&local, "127.0.0.1:0", NULL, &e) == -1 ||
	    (sep = dn_server_endpoint_new_addr(&local, NULL, &e)) == NULL ||
	    (l = dn_server_endpoint_listen(run.r, sep, on_accept, &run,
	    &e)) == NULL ||
	    (cep = dn_client_endpoint_new_addr(dn_listener_addr(l), NULL,
	    &e)) == NULL ||
	    dn_client_endpoint_connect(run.r, cep, on_connect, &run,
	    &e) == NULL) {
		fprintf(stderr, "consumer: %s\n", e.msg);
		return 1;
	}
	if (dn_reactor_run(run.r, &e) == -1)
		fail(&run, "run", &e);
	dn_listener_close(l);
	dn_client_endpoint_free(cep);
	dn_server_endpoint_free(sep);
	dn_reactor_free(run.r);
	if (run.failed || !run.flushed || !run.eof || run.ngot != 4 ||
	    memcmp(run.got, "ping", 4) != 0) {
		fprintf(stderr, "consumer: flushed %d, eof %d, read '%.*s'\n",
		    run.flushed, run.eof, (int)run.ngot, run.got);
		return 1;
	}
	printf("consumer: %s, ping went through\n", dn_version());
	return 0;
}
