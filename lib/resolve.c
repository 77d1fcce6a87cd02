/* resolve.c - asynchronous name resolution with c-ares driven by the reactor: no threads, no blocking. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <net/if.h>

#include <ares.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/*
 * c-ares is loaded when the first name is looked up through it, not when
 * the program starts: a program given an address, or using the system
 * resolver, never maps it (the dynamic linker's work for one more shared
 * object was a twentieth of a one-shot dnconnect -z). Its calls go
 * through this table; the types are the header's own.
 */
static struct {
	__typeof__(ares_library_init) *library_init;
	__typeof__(ares_library_cleanup) *library_cleanup;
	__typeof__(ares_init_options) *init_options;
	__typeof__(ares_set_servers_ports) *set_servers_ports;
	__typeof__(ares_destroy) *destroy;
	__typeof__(ares_strerror) *strerror;
	__typeof__(ares_getaddrinfo) *getaddrinfo;
	__typeof__(ares_freeaddrinfo) *freeaddrinfo;
	__typeof__(ares_process_fd) *process_fd;
	__typeof__(ares_timeout) *timeout;
} ca;
static pthread_once_t ca_once = PTHREAD_ONCE_INIT;
static char ca_error[160];

static void
ca_load(void)
{
	static const struct {
		const char *name;
		size_t off;
	} fn[] = {
#define CA_FN(f)	{ "ares_" #f, offsetof(__typeof__(ca), f) }
		CA_FN(library_init), CA_FN(library_cleanup),
		CA_FN(init_options), CA_FN(set_servers_ports), CA_FN(destroy),
		CA_FN(strerror), CA_FN(getaddrinfo), CA_FN(freeaddrinfo),
		CA_FN(process_fd), CA_FN(timeout)
#undef CA_FN
	};
	void *h, *f;
	size_t i;

	/* never closed: c-ares keeps nothing of ours once cleaned up, and a
	 * later lookup finds it loaded */
	if ((h = dlopen(DN_CARES_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(ca_error, sizeof(ca_error), "%s", dlerror());
		return;
	}
	for (i = 0; i < DN__ARRLEN(fn); i++) {
		if ((f = dlsym(h, fn[i].name)) == NULL) {
			snprintf(ca_error, sizeof(ca_error), "%s has no %s",
			    DN_CARES_SONAME, fn[i].name);
			return;
		}
		memcpy((char *)&ca + fn[i].off, &f, sizeof(f));
	}
}

static int
ca_ready(dn_error *err)
{
	(void)pthread_once(&ca_once, ca_load);
	if (ca_error[0] == '\0')
		return 0;
	return dn__err(err, DN_ELOCAL, 0, "cannot load c-ares for DNS "
	    "lookups (%s): install it (Debian: libc-ares2), or use the system "
	    "resolver", ca_error);
}

/*
 * Lifetimes. A request has two independent ends: the user's completion
 * (delivered once, always through a deferred call, so never from inside
 * dn_resolve() even when c-ares answers inline from /etc/hosts) and
 * c-ares's callback for the query, which c-ares runs exactly once as well,
 * at the latest from ares_destroy() with ARES_EDESTRUCTION. c-ares cannot
 * cancel one query, so a cancelled request stays allocated, ignored, until
 * its query ends; it is freed when both ends are done.
 */

struct sockw {
	struct sockw *next;
	ares_socket_t fd;
	dn_io *io;
};

struct resolver {
	dn_reactor *r;
	ares_channel ch;
	int ares_init;		/* ares_library_init() done */
	int have_ch;
	struct sockw *socks;
	dn_timer *timer;
	uint64_t timer_deadline;
	struct ares_addr_port_node *servers;	/* NULL: resolv.conf */
	int timeout_ms, tries;			/* 0: resolv.conf */
	size_t ninflight;	/* queries c-ares still holds */
	size_t nlive;		/* ... whose requester still waits */
	void *sys;		/* resolve_sys.c's state, destroyed first */
	void (*sys_destroy)(void *);
};

struct dn_resolve_req {
	dn__resolve_head head;	/* first: the handle is the request */
	dn_reactor *r;
	struct resolver *res;
	char *host;
	uint16_t port;
	int family;
	dn_resolve_cb cb;
	void *arg;
	int in_ares;		/* c-ares still owes us its callback */
	int live;		/* counted in res->nlive */
	int cancelled;		/* the answer, whenever it comes, is ignored */
	int done;		/* the user's callback has run */
	dn__defer deliver;
	dn_addr *addrs;
	size_t naddrs;
	int failed;
	dn_error err;
};

static const char *
fam_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */
/* ------------------------------------------------------------------ */

static void
req_unlive(dn_resolve_req *req)
{
	if (req->live) {
		req->live = 0;
		req->res->nlive--;
	}
}

static void
req_maybe_free(dn_resolve_req *req)
{
	if (!req->done || req->in_ares || dn__defer_queued(&req->deliver))
		return;
	free(req->addrs);
	free(req->host);
	free(req);
}

static void
req_set_cancelled(dn_resolve_req *req)
{
	req->cancelled = 1;
	req_unlive(req);
	free(req->addrs);
	req->addrs = NULL;
	req->naddrs = 0;
	req->failed = 1;
	dn__err(&req->err, DN_ECANCELED, 0, "resolution of %s (%s) cancelled",
	    req->host, fam_name(req->family));
}

static void
req_complete(dn_resolve_req *req)
{
	req->done = 1;
	req_unlive(req);
	dn__handle_remove(req->r, &req->head.h);
	if (req->failed)
		req->cb(req, req->family, NULL, 0, &req->err, req->arg);
	else
		req->cb(req, req->family, req->addrs, req->naddrs, NULL,
		    req->arg);
	req_maybe_free(req);
}

static void
req_deliver(void *arg)
{
	dn_resolve_req *req = arg;

	if (!req->done)
		req_complete(req);
	else
		req_maybe_free(req);
}

/* dn_reactor_free(): completes now, there is no next turn to wait for. */
static void
req_handle_cancel(dn__handle *h)
{
	dn_resolve_req *req = (dn_resolve_req *)h;

	dn__defer_cancel(&req->deliver);
	if (req->done) {
		req_maybe_free(req);
		return;
	}
	req_set_cancelled(req);
	req_complete(req);
}

static void
ares_req_cancel(dn_resolve_req *req)
{
	if (req->done || req->cancelled)
		return;
	req_set_cancelled(req);
	dn__defer_queue(req->r, &req->deliver);
}

/* Either kind: each starts with the head that says how it is cancelled. */
void
dn_resolve_cancel(dn_resolve_req *req)
{
	if (req != NULL)
		((dn__resolve_head *)(void *)req)->cancel(req);
}

static void
req_fail(dn_resolve_req *req, dn_err code, const char *detail)
{
	req->failed = 1;
	if (code == DN_ECANCELED)
		dn__err(&req->err, code, 0, "resolution of %s (%s) cancelled",
		    req->host, fam_name(req->family));
	else
		dn__err(&req->err, code, 0, "no %s address for %s (%s)",
		    fam_name(req->family), req->host, detail);
}

static void
req_fail_status(dn_resolve_req *req, int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
		req_fail(req, DN_ENONAME, "NXDOMAIN");
		break;
	case ARES_ENODATA:
		req_fail(req, DN_ENODATA, "NODATA: the name exists without "
		    "this family");
		break;
	case ARES_ESERVFAIL:
		req_fail(req, DN_ESERVFAIL, "SERVFAIL from the name server");
		break;
	case ARES_EREFUSED:
		req_fail(req, DN_ESERVFAIL, "the name server REFUSED the query");
		break;
	case ARES_EFORMERR:
	case ARES_EBADRESP:
		req_fail(req, DN_ESERVFAIL, "malformed answer from the name "
		    "server");
		break;
	case ARES_ETIMEOUT:
		req_fail(req, DN_EDNSTIMEOUT, "the name server timed out");
		break;
	case ARES_ECONNREFUSED:
		/*
		 * Every server failed without an answer c-ares keeps: port
		 * unreachable, or (c-ares 1.18) SERVFAIL/REFUSED from each,
		 * which it reports the same way. As good as silent for the
		 * caller: DN_EDNSTIMEOUT.
		 */
		req_fail(req, DN_EDNSTIMEOUT, "no name server answered: each "
		    "refused the connection or failed the query");
		break;
	case ARES_EBADNAME:
		req_fail(req, DN_ENONAME, "not a valid host name");
		break;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		req_fail(req, DN_ECANCELED, NULL);
		break;
	case ARES_ENOMEM:
		req_fail(req, DN_ENOMEM, "out of memory");
		break;
	default:
		req_fail(req, DN_ESERVFAIL, ca.strerror(status));
		break;
	}
}

/* Keeps c-ares's order (ARES_AI_NOSORT: the caller sorts, RFC 6724 or
 * not) and sin6_scope_id; drops repeats and what a literal could not be:
 * -1 when that left nothing (req->err says why). */
static int
req_take_result(dn_resolve_req *req, const struct ares_addrinfo *ai)
{
	const struct ares_addrinfo_node *n;
	size_t cap = 0;
	int refused = 0;
	dn_error why;

	for (n = ai != NULL ? ai->nodes : NULL; n != NULL; n = n->ai_next)
		cap++;
	if (cap == 0)
		return 0;
	if ((req->addrs = calloc(cap, sizeof(*req->addrs))) == NULL) {
		req_fail(req, DN_ENOMEM, "out of memory");
		return -1;
	}
	for (n = ai->nodes; n != NULL; n = n->ai_next)
		if (dn__addr_take_answer(req->addrs, &req->naddrs, n->ai_addr,
		    (socklen_t)n->ai_addrlen, req->family, req->port,
		    &why) == -1)
			refused++;
	if (req->naddrs == 0 && refused > 0) {
		req->failed = 1;
		dn__err_copy(&req->err, &why);
		return -1;
	}
	return 0;
}

static void
ares_cb(void *arg, int status, int timeouts, struct ares_addrinfo *result)
{
	dn_resolve_req *req = arg;

	(void)timeouts;
	req->in_ares = 0;
	req->res->ninflight--;
	req_unlive(req);
	if (req->cancelled || req->done) {
		ca.freeaddrinfo(result);
		req_maybe_free(req);
		return;
	}
	if (status == ARES_SUCCESS) {
		if (req_take_result(req, result) == 0 && req->naddrs == 0)
			req_fail(req, DN_ENODATA, "the answer has no address "
			    "of this family");
	} else
		req_fail_status(req, status);
	ca.freeaddrinfo(result);
	/* c-ares may call this from inside ares_getaddrinfo() (hosts file):
	 * the user hears of it on the next turn in every case */
	dn__defer_queue(req->r, &req->deliver);
}

/*
 * A literal never goes to the resolver (DESIGN.md "Addresses"); a %zone is
 * ours to parse, never DNS's. Returns 1 when host was a literal (the answer
 * or the error is in req), 0 when it is a name.
 */
static int
req_literal(dn_resolve_req *req)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	struct in_addr a4;
	struct in6_addr a6;
	char *zone;
	int is4, is6;
	const dn_addr_hints hints = {
		.flags = DN_ADDR_PORT_NONE | DN_ADDR_SCOPE_OPTIONAL,
		.what = "address",
	};

	/* too long for a literal: a name, unless it carries a zone */
	if (strlcpy(buf, req->host, sizeof(buf)) >= sizeof(buf))
		buf[0] = '\0';
	if ((zone = strchr(buf, '%')) != NULL)
		*zone++ = '\0';
	is4 = zone == NULL && inet_pton(AF_INET, buf, &a4) == 1;
	is6 = inet_pton(AF_INET6, buf, &a6) == 1;
	if (!is4 && !is6) {
		if (strchr(req->host, '%') == NULL)
			return 0;
		req_fail(req, DN_ENONAME, "a %zone belongs on an IPv6 literal "
		    "only");
		return 1;
	}
	if ((is4 && req->family != AF_INET) || (is6 && req->family != AF_INET6)) {
		req->failed = 1;
		dn__err(&req->err, DN_ENODATA, 0, "no %s address for %s: it is "
		    "an %s literal", fam_name(req->family), req->host,
		    fam_name(is4 ? AF_INET : AF_INET6));
		return 1;
	}
	/* the address module's rules, as for any literal: a zone only where
	 * RFC 4291 gives one, on an interface that exists; no zone on a
	 * link-local address stands for any link, as getaddrinfo() has it */
	if ((req->addrs = calloc(1, sizeof(*req->addrs))) == NULL) {
		req_fail(req, DN_ENOMEM, "out of memory");
		return 1;
	}
	if (dn_addr_parse(req->addrs, req->host, &hints, &req->err) == -1) {
		req->failed = 1;
		return 1;
	}
	dn_addr_set_port(req->addrs, req->port);
	req->naddrs = 1;
	return 1;
}

/* True when name is label or ends in ".label" (a trailing dot allowed). */
static int
in_special_domain(const char *name, const char *label)
{
	size_t n = strlen(name), l = strlen(label);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n < l || strncasecmp(name + n - l, label, l) != 0)
		return 0;
	return n == l || name[n - l - 1] == '.';
}

int
dn__resolve_is_special(const char *host)
{
	return in_special_domain(host, "localhost") ||
	    in_special_domain(host, "invalid");
}

/*
 * RFC 6761 §6.3 and §6.4: localhost names are the loopback address and
 * invalid names fail at once, without asking DNS. Besides being right,
 * this keeps "localhost" AAAA queries (no ::1 line in many hosts files)
 * and test names under .invalid from leaving the machine. Returns 1 when
 * host was such a name (the answer or the error is in req).
 */
static int
req_special(dn_resolve_req *req)
{
	if (in_special_domain(req->host, "invalid")) {
		req_fail(req, DN_ENONAME, "NXDOMAIN: .invalid names never "
		    "resolve, RFC 6761");
		return 1;
	}
	if (!in_special_domain(req->host, "localhost"))
		return 0;
	if ((req->addrs = calloc(1, sizeof(*req->addrs))) == NULL) {
		req_fail(req, DN_ENOMEM, "out of memory");
		return 1;
	}
	if (req->family == AF_INET) {
		req->addrs->u.sin.sin_family = AF_INET;
		req->addrs->u.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		req->addrs->u.sin.sin_port = htons(req->port);
		req->addrs->len = sizeof(struct sockaddr_in);
	} else {
		req->addrs->u.sin6.sin6_family = AF_INET6;
		req->addrs->u.sin6.sin6_addr = in6addr_loopback;
		req->addrs->u.sin6.sin6_port = htons(req->port);
		req->addrs->len = sizeof(struct sockaddr_in6);
	}
	req->naddrs = 1;
	return 1;
}

/* ------------------------------------------------------------------ */
/* The channel inside the reactor                                     */
/* ------------------------------------------------------------------ */

static void timer_rearm(struct resolver *res);

static void
timer_cb(dn_timer *t, int cancelled, void *arg)
{
	struct resolver *res = arg;

	(void)t;
	/* a cancelled timer's resolver may be gone already */
	if (cancelled)
		return;
	res->timer = NULL;
	if (res->have_ch)
		ca.process_fd(res->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	timer_rearm(res);
}

static void
timer_stop(struct resolver *res)
{
	dn_timer_cancel(res->timer);
	res->timer = NULL;
}

/* ares_timeout() after every call into c-ares that may have sent or ended
 * a query: c-ares keeps no clock of its own. */
static void
timer_rearm(struct resolver *res)
{
	struct timeval tvbuf, *tv;
	uint64_t ns, want;

	if (!res->have_ch || res->ninflight == 0 ||
	    (tv = ca.timeout(res->ch, NULL, &tvbuf)) == NULL) {
		timer_stop(res);
		return;
	}
	ns = (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
	want = dn_reactor_now(res->r) + ns;
	/* firing early is harmless: c-ares just finds nothing due yet */
	if (res->timer != NULL && res->timer_deadline <= want)
		return;
	timer_stop(res);
	if ((res->timer = dn_timer_start(res->r, ns, timer_cb, res,
	    NULL)) != NULL) {
		dn__timer_unref(res->timer);
		res->timer_deadline = want;
	}
}

static void
sock_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct resolver *res = arg;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	(void)io;
	/* an error or hangup is for c-ares to read and report */
	if (events & (DN_READABLE | DN_HANGUP | DN_ERROR))
		rfd = fd;
	if (events & DN_WRITABLE)
		wfd = fd;
	ca.process_fd(res->ch, rfd, wfd);
	timer_rearm(res);
}

/* ARES_OPT_SOCK_STATE_CB: c-ares calls it before it closes a socket. */
static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *res = data;
	struct sockw **pp, *w;
	unsigned ev = (readable ? DN_READABLE : 0) |
	    (writable ? DN_WRITABLE : 0);

	for (pp = &res->socks; (w = *pp) != NULL; pp = &w->next)
		if (w->fd == fd)
			break;
	if (ev == 0) {
		if (w != NULL) {
			*pp = w->next;
			dn_io_free(w->io);
			free(w);
		}
		return;
	}
	if (w != NULL) {
		/* nothing to report to: c-ares's own timeout ends the query */
		(void)dn_io_set(w->io, ev, NULL);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return;
	w->fd = fd;
	if ((w->io = dn_io_new(res->r, fd, ev, sock_io_cb, res, NULL)) == NULL) {
		free(w);
		return;
	}
	/* the requests keep the loop alive, not c-ares's sockets */
	dn__io_unref(w->io);
	w->next = res->socks;
	res->socks = w;
}

/* Takes "timeout:N" and "attempts:N" from one options line. */
static void
resolv_options(const char *line, int *timeout_s, int *attempts)
{
	const char *p, *errstr;
	long long v;
	char word[32];
	size_t n;

	for (p = line; *p != '\0'; p += n) {
		p += strspn(p, " \t\r\n");
		n = strcspn(p, " \t\r\n");
		if (n == 0 || n >= sizeof(word))
			continue;
		memcpy(word, p, n);
		word[n] = '\0';
		/* glibc's bounds (resolv/res_init.c): timeout up to 30 s,
		 * attempts up to 5 */
		if (strncmp(word, "timeout:", 8) == 0) {
			v = strtonum(word + 8, 1, 30, &errstr);
			if (errstr == NULL)
				*timeout_s = (int)v;
		} else if (strncmp(word, "attempts:", 9) == 0) {
			v = strtonum(word + 9, 1, 5, &errstr);
			if (errstr == NULL)
				*attempts = (int)v;
		}
	}
}

/*
 * c-ares 1.18 reads only ndots, retrans, retry and rotate from resolv.conf
 * and RES_OPTIONS, and on its own retries for 75 s (5 s doubling over four
 * tries). DESIGN.md says the resolver honours resolv.conf, and scripts set
 * "options timeout:1 attempts:1" to fail fast, so we read those two as
 * glibc does: its defaults 5 s and 2 attempts, then the file, then the
 * environment.
 */
static void
resolv_conf_limits(int *timeout_ms, int *tries)
{
	int timeout_s = 5, attempts = 2;
	const char *env;
	char line[512];
	FILE *f;

	if ((f = fopen("/etc/resolv.conf", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "options", 7) == 0 &&
			    (line[7] == ' ' || line[7] == '\t'))
				resolv_options(line + 7, &timeout_s, &attempts);
		fclose(f);
	}
	if ((env = getenv("RES_OPTIONS")) != NULL)
		resolv_options(env, &timeout_s, &attempts);
	*timeout_ms = timeout_s * 1000;
	*tries = attempts;
}

static int
channel_ensure(struct resolver *res, dn_error *err)
{
	struct ares_options opts;
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	int st;

	if (res->have_ch)
		return 0;
	if (!res->ares_init) {
		if (ca_ready(err) == -1)
			return -1;
		if ((st = ca.library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS)
			return dn__err(err, DN_ENOMEM, 0, "cannot initialise "
			    "c-ares: %s", ca.strerror(st));
		res->ares_init = 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = sock_state_cb;
	opts.sock_state_cb_data = res;
	resolv_conf_limits(&opts.timeout, &opts.tries);
	if (res->timeout_ms > 0)
		opts.timeout = res->timeout_ms;
	if (res->tries > 0)
		opts.tries = res->tries;
	if ((st = ca.init_options(&res->ch, &opts, mask)) != ARES_SUCCESS)
		return dn__err(err, st == ARES_ENOMEM ? DN_ENOMEM : DN_ESERVFAIL,
		    0, "cannot start the DNS resolver: %s (check "
		    "/etc/resolv.conf)", ca.strerror(st));
	if (res->servers != NULL &&
	    (st = ca.set_servers_ports(res->ch, res->servers)) != ARES_SUCCESS) {
		ca.destroy(res->ch);
		return dn__err(err, DN_ESERVFAIL, 0, "cannot use the DNS "
		    "servers given: %s", ca.strerror(st));
	}
	res->have_ch = 1;
	return 0;
}

/* Ends every query still in c-ares (ARES_EDESTRUCTION) and closes its
 * sockets; the next query makes a new channel. */
static void
channel_drop(struct resolver *res)
{
	if (res->have_ch) {
		res->have_ch = 0;
		ca.destroy(res->ch);
	}
	timer_stop(res);
}

static void
resolver_destroy(void *state)
{
	struct resolver *res = state;
	struct sockw *w;

	if (res->sys_destroy != NULL)
		res->sys_destroy(res->sys);
	channel_drop(res);
	/* ares_destroy() closed them all, through sock_state_cb */
	while ((w = res->socks) != NULL) {
		res->socks = w->next;
		dn_io_free(w->io);
		free(w);
	}
	free(res->servers);
	if (res->ares_init)
		ca.library_cleanup();
	free(res);
}

static struct resolver *
resolver_get(dn_reactor *r, dn_error *err)
{
	struct resolver *res;

	if ((res = dn__reactor_state(r, DN__STATE_RESOLVER)) != NULL)
		return res;
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for the resolver");
		return NULL;
	}
	res->r = r;
	dn__reactor_set_state(r, DN__STATE_RESOLVER, res, resolver_destroy);
	return res;
}

void *
dn__resolver_sys(dn_reactor *r)
{
	struct resolver *res = dn__reactor_state(r, DN__STATE_RESOLVER);

	return res != NULL ? res->sys : NULL;
}

int
dn__resolver_set_sys(dn_reactor *r, void *state, void (*destroy)(void *),
    dn_error *err)
{
	struct resolver *res;

	if ((res = resolver_get(r, err)) == NULL)
		return -1;
	res->sys = state;
	res->sys_destroy = destroy;
	return 0;
}

/* New settings take effect through a new channel; queries in the old one
 * would end with ARES_EDESTRUCTION, so none may be waited for. */
static int
resolver_reconfigure(struct resolver *res, dn_error *err)
{
	if (res->nlive > 0)
		return dn__err(err, DN_EINVAL, 0, "cannot change the resolver "
		    "while %zu queries are pending: configure it before "
		    "resolving", res->nlive);
	channel_drop(res);
	return 0;
}

int
dn__resolver_set_timeout(dn_reactor *r, int timeout_ms, int tries,
    dn_error *err)
{
	struct resolver *res;

	if (timeout_ms < 0 || tries < 0)
		return dn__err(err, DN_ERANGE, 0, "DNS timeout %d ms and tries "
		    "%d must not be negative", timeout_ms, tries);
	if ((res = resolver_get(r, err)) == NULL ||
	    resolver_reconfigure(res, err) == -1)
		return -1;
	res->timeout_ms = timeout_ms;
	res->tries = tries;
	return 0;
}

/* ------------------------------------------------------------------ */
/* dn_reactor_set_dns_servers                                         */
/* ------------------------------------------------------------------ */

/* One ADDR[:PORT] of the list, by the address module's rules for a
 * literal; c-ares takes no zone, so no link-local server either. */
static int
server_parse(struct ares_addr_port_node *n, const char *item, size_t len,
    dn_error *err)
{
	const dn_addr_hints hints = {
		.flags = DN_ADDR_PORT_OPTIONAL | DN_ADDR_SCOPE_OPTIONAL,
		.what = "DNS server",
	};
	char buf[DN_ADDR_STRLEN + 16], host[DN_ADDR_STRLEN];
	dn_error why;
	dn_addr a;
	int port;

	if (len == 0)
		return dn__err(err, DN_ESYNTAX, 0, "empty entry in the DNS "
		    "server list: give ADDR[:PORT],...");
	if (len >= sizeof(buf))
		return dn__err(err, DN_ESYNTAX, 0, "DNS server '%.*s...' is "
		    "too long for an address", 40, item);
	memcpy(buf, item, len);
	buf[len] = '\0';
	if (dn_addr_parse(&a, buf, &hints, &why) == -1) {
		if (why.code == DN_ENOTLITERAL)
			return dn__err(err, DN_ESYNTAX, 0, "DNS server '%s' is "
			    "not an IPv4 or IPv6 address: give ADDR, ADDR:PORT "
			    "or [IPv6]:PORT", buf);
		/* hints.what names it in most messages already */
		if (strstr(why.msg, hints.what) != NULL) {
			dn__err_copy(err, &why);
			return -1;
		}
		return dn__err(err, why.code, 0, "DNS server '%s': %s", buf,
		    why.msg);
	}
	if (dn_addr_needs_scope(&a))
		return dn__err(err, DN_EBADSCOPE, 0, "DNS server '%s' is "
		    "link-local, which takes a zone c-ares cannot use: give a "
		    "global or loopback address", buf);
	/* ":0" is a port given, and no port a DNS server listens on */
	if (dn_hostport_split(buf, host, sizeof(host), &port, NULL) == 0 &&
	    port == 0)
		return dn__err(err, DN_ERANGE, 0, "DNS server '%s': port 0 is "
		    "no server's: give 1..65535", buf);
	memset(n, 0, sizeof(*n));
	n->family = dn_addr_family(&a);
	if (n->family == AF_INET)
		n->addr.addr4 = a.u.sin.sin_addr;
	else
		memcpy(&n->addr.addr6, &a.u.sin6.sin6_addr,
		    sizeof(a.u.sin6.sin6_addr));
	n->udp_port = n->tcp_port = dn_addr_port(&a) != 0 ?
	    dn_addr_port(&a) : 53;
	return 0;
}

int
dn_reactor_set_dns_servers(dn_reactor *r, const char *servers, dn_error *err)
{
	struct ares_addr_port_node *nodes = NULL;
	struct resolver *res;
	const char *p, *comma;
	size_t n = 1, i;
	int rv = -1;

	if (r == NULL)
		return dn__err(err, DN_EINVAL, 0, "no reactor given");
	if (servers != NULL) {
		if (*servers == '\0')
			return dn__err(err, DN_ESYNTAX, 0, "empty DNS server "
			    "list: give ADDR[:PORT],...");
		for (p = servers; *p != '\0'; p++)
			n += *p == ',';
		if ((nodes = calloc(n, sizeof(*nodes))) == NULL)
			return dn__err(err, DN_ENOMEM, errno, "out of memory "
			    "for the DNS server list");
		for (i = 0, p = servers; i < n; i++, p = comma + 1) {
			if ((comma = strchr(p, ',')) == NULL)
				comma = p + strlen(p);
			while (*p == ' ')
				p++;
			if (comma == p) {
				dn__err(err, DN_ESYNTAX, 0, "empty entry in the "
				    "DNS server list '%s': give ADDR[:PORT],...",
				    servers);
				goto done;
			}
			if (server_parse(&nodes[i], p,
			    (size_t)(comma - p), err) == -1)
				goto done;
			nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		}
	}
	if ((res = resolver_get(r, err)) == NULL ||
	    resolver_reconfigure(res, err) == -1)
		goto done;
	free(res->servers);
	res->servers = nodes;
	nodes = NULL;
	rv = 0;
done:
	free(nodes);
	return rv;
}

/* ------------------------------------------------------------------ */
/* dn_resolve                                                         */
/* ------------------------------------------------------------------ */

dn_resolve_req *
dn_resolve(dn_reactor *r, const char *host, uint16_t port, int family,
    dn_resolve_cb cb, void *arg, dn_error *err)
{
	dn_resolve_req *req;
	struct ares_addrinfo_hints hints;
	struct resolver *res;

	if (r == NULL || host == NULL || cb == NULL ||
	    (family != AF_INET && family != AF_INET6)) {
		dn__err(err, DN_EINVAL, 0, "resolve without a reactor, a host, "
		    "a callback or AF_INET/AF_INET6");
		return NULL;
	}
	if ((req = calloc(1, sizeof(*req))) == NULL ||
	    (req->host = strdup(host)) == NULL) {
		free(req);
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory resolving %s",
		    host);
		return NULL;
	}
	req->r = r;
	req->port = port;
	req->family = family;
	req->cb = cb;
	req->arg = arg;
	dn__defer_init(&req->deliver, req_deliver, req);
	dn__handle_add(r, &req->head.h, req_handle_cancel);
	req->head.cancel = ares_req_cancel;

	if (*host == '\0') {
		req->failed = 1;
		dn__err(&req->err, DN_ENONAME, 0, "no %s address for an empty "
		    "host name", fam_name(family));
		goto answer;
	}
	if (req_literal(req))
		goto answer;
	/* a name DNS cannot carry is the caller's mistake: never asked */
	if (dn_host_name_check(host, &req->err) == -1) {
		req->failed = 1;
		goto answer;
	}
	if (req_special(req))
		goto answer;
	if ((res = resolver_get(r, &req->err)) == NULL ||
	    channel_ensure(res, &req->err) == -1) {
		req->failed = 1;
		goto answer;
	}
	req->res = res;
	req->in_ares = 1;
	req->live = 1;
	res->ninflight++;
	res->nlive++;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_flags = ARES_AI_NOSORT;
	/* files then DNS as resolv.conf/nsswitch.conf say: c-ares reads
	 * /etc/hosts itself */
	ca.getaddrinfo(res->ch, host, NULL, &hints, ares_cb, req);
	timer_rearm(res);
	return req;

answer:
	dn__defer_queue(r, &req->deliver);
	return req;
}
