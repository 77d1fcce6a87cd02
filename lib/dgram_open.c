/*
 * dgram_open.c - opening a datagram endpoint: resolve, bind, connect or
 * join, with one completion, so that a program says what it wants
 * (dgram_endpoint.c) and gets a socket without driving udp.c, mcast.c and
 * the resolver itself.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct dn_dgram_open_req {
	dn__handle h;		/* first: dn_reactor_free() cancels it */
	dn_reactor *r;
	dn_dgram_open_opts o;
	dn_dgram_open_cb cb;
	void *arg;
	dn_dgram_endpoint *ep;	/* a copy: the caller's may go at once */
	dn_resolve_req *rq;
	dn_nat64_req *n64q;	/* NAT64 discovery (RFC 7050) */
	dn_addr via4;		/* dest stands for it (NAT64) */
	int has_via4;
	dn__defer done;
	int canceled;
	dn_udp *u;
	dn_udp_all *all;
	dn_addr dest;
	int has_dest, joined, hops;
	dn_error err;		/* code DN_OK: opened */
};

static void
req_free(dn_dgram_open_req *q)
{
	dn__handle_remove(q->r, &q->h);
	dn__defer_cancel(&q->done);
	dn_dgram_endpoint_free(q->ep);
	free(q);
}

/* The one completion: what was opened goes to the caller, or is closed. */
static void
finish(dn_dgram_open_req *q)
{
	dn_dgram_opened o;

	if (q->canceled && q->err.code == DN_OK)
		dn__err(&q->err, DN_ECANCELED, 0, "opening the datagram "
		    "endpoint was cancelled");
	if (q->err.code != DN_OK) {
		dn_udp_close(q->u);
		dn_udp_all_close(q->all);
		q->cb(q, NULL, &q->err, q->arg);
	} else {
		memset(&o, 0, sizeof(o));
		o.udp = q->u;
		o.all = q->all;
		o.dest = q->has_dest ? &q->dest : NULL;
		o.joined = q->joined;
		o.hops = q->hops;
		o.via4 = q->has_via4 ? &q->via4 : NULL;
		q->cb(q, &o, NULL, q->arg);
	}
	req_free(q);
}

static void
finish_run(void *arg)
{
	finish(arg);
}

static void
cancel_handle(dn__handle *h)
{
	dn_dgram_open_req *q = (dn_dgram_open_req *)h;

	/* while resolving, the resolution is the newer handle: freeing the
	 * reactor cancelled it first, and its completion finished this one */
	q->canceled = 1;
	if (q->rq == NULL && q->n64q == NULL)
		finish(q);
}

/* The wildcard of family with port. */
static void
any_addr(dn_addr *a, int family, uint16_t port)
{
	(void)dn_addr_parse(a, family == AF_INET6 ? "::" : "0.0.0.0", NULL,
	    NULL);
	dn_addr_set_port(a, port);
}

/* A bind the caller asked for: the library's "listen" is a bind here. */
static dn_udp *
bind_local(dn_dgram_open_req *q, const dn_addr *local, int asked,
    const dn_udp_opts *uo)
{
	char l[DN_ADDR_STRLEN];
	dn_udp *u;

	if ((u = dn_udp_listen_addr(q->r, local, uo, &q->err)) == NULL &&
	    asked && q->err.code == DN_ELOCAL)
		dn__err(&q->err, DN_ELOCAL, q->err.os_errno, "cannot bind to "
		    "%s: %s", dn_addr_format(local, l, sizeof(l)),
		    strerror(q->err.os_errno));
	return u;
}

static int
open_send(dn_dgram_open_req *q)
{
	const dn_addr *bind = dn_dgram_endpoint_local(q->ep);
	dn_udp_opts uo = q->o.udp;
	dn_addr any;

	if (q->o.flow_label != 0 && dn_addr_family(&q->dest) == AF_INET6 &&
	    dn_addr_flowinfo(&q->dest) == 0 &&
	    dn_addr_set_flowinfo(&q->dest, q->o.flow_label, &q->err) == -1)
		return -1;
	uo.v6only = -1;
	any_addr(&any, dn_addr_family(&q->dest), 0);
	if ((q->u = bind_local(q, bind != NULL ? bind : &any, bind != NULL,
	    &uo)) == NULL)
		return -1;
	if (q->o.connect && dn_udp_connect(q->u, &q->dest, &q->err) == -1)
		return -1;
	return 0;
}

/* The interface a sender names: the endpoint's, else the group's zone. */
static int
mcast_send_iface(dn_dgram_open_req *q, char *name, size_t len)
{
	const char *iface = dn_dgram_endpoint_interface(q->ep);
	unsigned idx = 0;

	*name = '\0';
	if (iface != NULL && dn_iface_index(iface, &idx, &q->err) == -1)
		return -1;
	if (idx == 0)
		idx = dn_addr_scope(&q->dest);
	if (idx != 0)
		(void)dn__iface_name(idx, name, len);
	return 0;
}

/* What the kernel will put on a multicast send: hops set, or its own
 * default (1, or the sysctl's), for the caller to report. */
static int
sent_hops(int fd, int family)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    family == AF_INET6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, &v,
	    &len) == -1)
		v = -1;
	return v;
}

static int
open_mcast(dn_dgram_open_req *q)
{
	const dn_dgram_endpoint *ep = q->ep;
	int family = dn_addr_family(&q->dest), hops, loop;
	dn_udp_opts uo = q->o.udp;
	char ifname[IF_NAMESIZE];
	dn_addr local;

	/* an IPv6 group's socket wants no IPv4 traffic on its port */
	uo.v6only = family == AF_INET6 ? 1 : -1;
	if (!q->o.multicast_send) {
		/* several receivers of a group share its port */
		uo.reuseaddr = 1;
		any_addr(&local, family, dn_addr_port(&q->dest));
		if ((q->u = bind_local(q, &local, 0, &uo)) == NULL ||
		    dn_mcast_join(q->u, &q->dest,
		    dn_dgram_endpoint_source(ep), dn_dgram_endpoint_interface(ep),
		    &q->err) == -1)
			return -1;
		q->joined = 1;
		return 0;
	}
	any_addr(&local, family, 0);
	if (q->o.bind != NULL)
		local = *q->o.bind;
	if ((q->u = bind_local(q, &local, q->o.bind != NULL, &uo)) == NULL ||
	    mcast_send_iface(q, ifname, sizeof(ifname)) == -1)
		return -1;
	hops = q->o.set_hops ? q->o.hops : dn_dgram_endpoint_hops(ep);
	loop = q->o.set_loop ? q->o.loop : dn_dgram_endpoint_loop(ep);
	if ((*ifname != '\0' &&
	    dn_mcast_set_interface(q->u, ifname, &q->err) == -1) ||
	    (hops >= 0 && dn_mcast_set_hops(q->u, hops, &q->err) == -1) ||
	    (loop >= 0 && dn_mcast_set_loop(q->u, loop, &q->err) == -1))
		return -1;
	q->hops = sent_hops(dn_udp_fd(q->u), family);
	return 0;
}

/* Everything after the destination is known. */
static void
open_now(dn_dgram_open_req *q)
{
	const dn_dgram_endpoint *ep = q->ep;
	const dn_all_opts *ao;
	dn_all_opts all;
	dn_udp_opts uo = q->o.udp;

	switch (dn_dgram_endpoint_kind(ep)) {
	case DN_DGRAM_LISTEN:
		uo.v6only = dn_dgram_endpoint_v6only(ep);
		q->u = bind_local(q, dn_dgram_endpoint_local(ep), 0, &uo);
		break;
	case DN_DGRAM_LISTEN_ALL:
		ao = dn_dgram_endpoint_all(ep);
		all = *ao;
		if (all.event == NULL) {
			all.event = q->o.event;
			all.event_arg = q->o.event_arg;
		}
		q->all = dn_udp_listen_all(q->r, dn_dgram_endpoint_port(ep),
		    &all, &uo, &q->err);
		break;
	case DN_DGRAM_SEND:
		(void)open_send(q);
		break;
	case DN_DGRAM_MULTICAST:
		(void)open_mcast(q);
		break;
	}
}

static void
trace(dn_dgram_open_req *q, dn_trace_kind kind, int family,
    const dn_addr *addrs, size_t naddrs, const dn_error *err)
{
	dn_trace_event ev;

	if (q->o.trace == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.host = dn_dgram_endpoint_host(q->ep);
	ev.family = family;
	ev.addrs = addrs;
	ev.naddrs = naddrs;
	ev.err = err;
	q->o.trace(&ev, q->o.trace_arg);
}

/* ------------------------------------------------------------------ */
/* NAT64 for a destination (RFC 8305 §7.1, as for a connection)       */
/* ------------------------------------------------------------------ */

static const dn_nat64_opts nat64_auto;

static const dn_nat64_opts *
nat64_of(const dn_dgram_open_req *q)
{
	return q->o.nat64 != NULL ? q->o.nat64 : &nat64_auto;
}

/* dest through the first prefix that takes it; else the error says why
 * there is no way there. */
static void
nat64_use(dn_dgram_open_req *q, const dn_prefix *p, size_t n,
    const char *why)
{
	char a[DN_ADDR_STRLEN];
	dn__nat64_news news = { 0 };
	dn_addr s;
	dn_error e;
	size_t i;

	for (i = 0; i < n; i++)
		if (dn_nat64_synthesize(&s, &p[i], &q->dest, &e) == 0)
			break;
	if (i == n) {
		dn__err(&q->err, DN_EUNREACH, 0, "no way to %s: %s%s",
		    dn_addr_format(&q->dest, a, sizeof(a)),
		    nat64_of(q)->mode == DN_NAT64_ALWAYS ? "" :
		    "no IPv4 route, and NAT64 cannot help: ",
		    n > 0 ? e.msg : why);
		return;
	}
	q->via4 = q->dest;
	q->has_via4 = 1;
	q->dest = s;
	news.v6 = &q->dest;
	news.v4 = &q->via4;
	news.why = nat64_of(q)->mode == DN_NAT64_ALWAYS ? "always" :
	    "no IPv4 route";
	dn__nat64_trace(q->o.trace, q->o.trace_arg, DN_TRACE_NAT64_SYNTHESIZED,
	    dn_dgram_endpoint_host(q->ep), &news);
}

static void
nat64_found(dn_nat64_req *rq, const dn_prefix *p, size_t n,
    const dn_error *err, void *arg)
{
	dn__nat64_news news = { p, n, NULL, NULL, NULL, err };
	dn_dgram_open_req *q = arg;

	(void)rq;
	q->n64q = NULL;
	if ((err != NULL && err->code == DN_ECANCELED) || q->canceled) {
		q->canceled = 1;
		finish(q);
		return;
	}
	dn__nat64_trace(q->o.trace, q->o.trace_arg, DN_TRACE_NAT64_DISCOVERED,
	    NULL, &news);
	nat64_use(q, p, n, err != NULL ? err->msg : "");
	if (q->err.code == DN_OK)
		open_now(q);
	finish(q);
}

/*
 * A SEND to IPv4 that NAT64 is for: 1 when it waits for the discovery
 * (its callback finishes q), 0 when q can open now (dest maybe replaced,
 * or q->err set).
 */
static int
nat64_dest(dn_dgram_open_req *q)
{
	const dn_nat64_opts *n = nat64_of(q);

	if (dn_dgram_endpoint_kind(q->ep) != DN_DGRAM_SEND ||
	    !dn__nat64_wanted(n, &q->dest))
		return 0;
	if (n->nprefixes > 0) {
		nat64_use(q, n->prefixes, n->nprefixes, "");
		return 0;
	}
	dn__nat64_trace(q->o.trace, q->o.trace_arg, DN_TRACE_NAT64_DISCOVERING,
	    NULL, NULL);
	if ((q->n64q = dn_nat64_discover(q->r, DN_RESOLVER_ARES, nat64_found,
	    q, &q->err)) == NULL)
		return 0;
	return 1;
}

static void
resolved(dn_resolve_req *req, int family, const dn_addr *addrs,
    size_t naddrs, const dn_error *err, void *arg)
{
	dn_dgram_open_req *q = arg;

	(void)req;
	q->rq = NULL;
	if (err != NULL && err->code == DN_ECANCELED) {
		q->canceled = 1;
		finish(q);
		return;
	}
	trace(q, DN_TRACE_RESOLVED, family, addrs, naddrs, err);
	if (err != NULL)
		dn__err_copy(&q->err, err);
	else if (!q->canceled) {
		/* a connection tries each address; a datagram goes to one */
		q->dest = addrs[0];
		q->has_dest = 1;
		if (nat64_dest(q))
			return;
		if (q->err.code == DN_OK)
			open_now(q);
	}
	finish(q);
}

dn_dgram_open_req *
dn_dgram_endpoint_open(dn_reactor *r, const dn_dgram_endpoint *ep,
    const dn_dgram_open_opts *opts, dn_dgram_open_cb cb, void *arg,
    dn_error *err)
{
	dn_dgram_open_req *q;
	const dn_addr *dest;

	if (r == NULL || ep == NULL || cb == NULL) {
		dn__err(err, DN_EINVAL, 0, "dn_dgram_endpoint_open needs a "
		    "reactor, an endpoint and a callback");
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->ep = dn__dgram_endpoint_dup(ep, err)) == NULL) {
		free(q);
		if (q == NULL)
			dn__err(err, DN_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	q->r = r;
	q->hops = -1;
	if (opts != NULL)
		q->o = *opts;
	q->cb = cb;
	q->arg = arg;
	dn__defer_init(&q->done, finish_run, q);
	if ((dest = dn_dgram_endpoint_dest(ep)) != NULL) {
		q->dest = *dest;
		q->has_dest = 1;
		if (nat64_dest(q)) {
			dn__handle_add(r, &q->h, cancel_handle);
			return q;
		}
	} else if (dn_dgram_endpoint_kind(ep) == DN_DGRAM_SEND) {
		dn__handle_add(r, &q->h, cancel_handle);
		trace(q, DN_TRACE_RESOLVING, dn_dgram_endpoint_family(ep), NULL,
		    0, NULL);
		if ((q->rq = dn_resolve(r, dn_dgram_endpoint_host(ep),
		    dn_dgram_endpoint_port(ep), dn_dgram_endpoint_family(ep),
		    resolved, q, err)) == NULL) {
			req_free(q);
			return NULL;
		}
		return q;
	}
	/* what needs no answer is done now; only the news waits. Added
	 * after its sockets, so that dn_reactor_free(), which cancels the
	 * newest handle first, finishes this one while they are open */
	if (q->err.code == DN_OK)
		open_now(q);
	dn__handle_add(r, &q->h, cancel_handle);
	dn__defer_queue(r, &q->done);
	return q;
}

void
dn_dgram_open_cancel(dn_dgram_open_req *q)
{
	if (q == NULL || q->canceled)
		return;
	q->canceled = 1;
	if (q->rq != NULL)
		dn_resolve_cancel(q->rq);
	if (q->n64q != NULL)
		dn_nat64_cancel(q->n64q);
}
