/*
 * head - HTTP HEAD over Happy Eyeballs: head HOST [PORT] races the
 * addresses of HOST (RFC 8305), prints the one that won and the status
 * line, and exits 0 on 2xx and 3xx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dualnet.h>

#define SEC 1000000000ULL

static dn_reactor *r;
static char line[256];		/* the status line, as far as it came */
static size_t len;
static int status = 75;		/* what a timeout leaves */

static void
on_read(dn_stream *s, const void *buf, size_t n, const dn_error *err,
    void *arg)
{
	int code = 0;

	(void)arg;
	if (n > sizeof(line) - 1 - len)
		n = sizeof(line) - 1 - len;
	if (n > 0)
		memcpy(line + len, buf, n);
	len += n;
	if (err == NULL && n > 0 && strchr(line, '\n') == NULL)
		return;		/* more of the line to come */
	line[strcspn(line, "\r\n")] = '\0';
	if (err != NULL)
		fprintf(stderr, "head: %s\n", err->msg);
	else if (sscanf(line, "HTTP/%*d.%*d %d", &code) == 1)
		printf("%s\n", line);
	else
		fprintf(stderr, "head: no HTTP status line: '%s'\n", line);
	status = code >= 200 && code < 400 ? 0 : 1;
	dn_stream_close(s);
	dn_reactor_stop(r);
}

static void
on_connect(dn_connect_req *req, dn_stream *s, const dn_error *err,
    void *arg)
{
	static const char rq[] = "HEAD / HTTP/1.0\r\n\r\n";
	char peer[DN_ADDR_STRLEN];

	(void)req;
	(void)arg;
	if (s == NULL) {
		fprintf(stderr, "head: %s\n", err->msg);
		/* sysexits: the name did not resolve, or nothing answered */
		status = dn_err_kind_of(err->code) == DN_KIND_NAME ? 68 : 69;
		dn_reactor_stop(r);
		return;
	}
	printf("connected to %s\n",
	    dn_addr_format(dn_stream_peer(s), peer, sizeof(peer)));
	if (dn_stream_read_start(s, on_read, NULL, NULL) == -1 ||
	    dn_stream_write(s, rq, sizeof(rq) - 1, NULL) == -1) {
		fprintf(stderr, "head: cannot send to %s\n", peer);
		status = 74;
		dn_stream_close(s);
		dn_reactor_stop(r);
	}
}

static void
on_timeout(dn_timer *t, int cancelled, void *arg)
{
	(void)t;
	if (!cancelled) {
		fprintf(stderr, "head: no answer from %s in 10 s\n", (char *)arg);
		dn_reactor_stop(r);
	}
}

int
main(int argc, char *argv[])
{
	char *end = NULL;
	long port = argc == 3 ? strtol(argv[2], &end, 10) : 80;
	dn_client_endpoint *ep = NULL;
	dn_error err;

	if (argc < 2 || argc > 3 || (end != NULL && *end != '\0') ||
	    port < 1 || port > 65535) {
		fprintf(stderr, "usage: head HOST [PORT]   (PORT 1..65535)\n");
		return 64;
	}
	/* NULL options: RFC 8305's defaults, both families */
	if ((r = dn_reactor_new(&err)) == NULL ||
	    (ep = dn_client_endpoint_new_hostname(argv[1], (uint16_t)port,
	    NULL, &err)) == NULL ||
	    dn_timer_start(r, 10 * SEC, on_timeout, argv[1], &err) == NULL ||
	    dn_client_endpoint_connect(r, ep, on_connect, NULL, &err) == NULL ||
	    dn_reactor_run(r, &err) == -1) {
		fprintf(stderr, "head: %s\n", err.msg);
		status = dn_err_kind_of(err.code) == DN_KIND_INPUT ? 64 : 71;
	}
	dn_client_endpoint_free(ep);
	dn_reactor_free(r);
	return status;
}
