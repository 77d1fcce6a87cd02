/* head HOST [PORT]: HEAD / over Happy Eyeballs with RFC 8305's defaults. */
#include <stdio.h>
#include <string.h>
#include <dualnet.h>

static int status = 1;		/* 0 for a 2xx or 3xx status line */

static void
on_read(dn_stream *s, const void *buf, size_t n, const dn_error *err,
    void *arg)
{
	const char *p = buf, *eol = n > 0 ? memchr(p, '\r', n) : NULL;
	int len = eol != NULL ? (int)(eol - p) : (int)n;

	(void)arg;	/* the status line comes in the first segment */
	if (err == NULL && len >= 12 && memcmp(p, "HTTP/", 5) == 0) {
		printf("%.*s\n", len, p);
		status = p[9] == '2' || p[9] == '3' ? 0 : 1;
	} else
		fprintf(stderr, "head: %s\n", err ? err->msg : "no status line");
	dn_stream_close(s);	/* nothing left: dn_reactor_run() returns */
}

static void
on_connect(dn_connect_req *req, dn_stream *s, const dn_error *err,
    void *arg)
{
	static const char rq[] = "HEAD / HTTP/1.0\r\n\r\n";
	char peer[DN_ADDR_STRLEN];
	dn_error e;

	(void)req;
	(void)arg;
	if (s == NULL) {	/* sysexits: no such name, or nobody answered */
		fprintf(stderr, "head: %s\n", err->msg);
		status = dn_err_kind_of(err->code) == DN_KIND_NAME ? 68 : 69;
		return;
	}
	printf("connected to %s\n",
	    dn_addr_format(dn_stream_peer(s), peer, sizeof(peer)));
	if (dn_stream_read_start(s, on_read, NULL, &e) == -1 ||
	    dn_stream_write(s, rq, sizeof(rq) - 1, &e) == -1) {
		fprintf(stderr, "head: %s\n", e.msg);
		dn_stream_close(s);
	}
}

int
main(int argc, char *argv[])
{
	dn_error err = { DN_EINVAL, 0, "usage: head HOST [PORT]" };
	dn_client_endpoint *ep = NULL;
	dn_reactor *r = NULL;
	uint16_t port = 80;

	if (argc < 2 || argc > 3 ||
	    (argc == 3 && dn_port_parse(argv[2], 0, &port, &err) == -1) ||
	    (r = dn_reactor_new(&err)) == NULL ||
	    (ep = dn_client_endpoint_new_hostname(argv[1], port, NULL,
	    &err)) == NULL ||
	    dn_client_endpoint_connect(r, ep, on_connect, NULL, &err) == NULL ||
	    dn_reactor_run(r, &err) == -1) {
		fprintf(stderr, "head: %s\n", err.msg);
		status = dn_err_kind_of(err.code) == DN_KIND_INPUT ? 64 : 71;
	}
	dn_client_endpoint_free(ep);
	dn_reactor_free(r);
	return status;
}
