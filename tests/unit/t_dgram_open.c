/*
 * t_dgram_open.c - dn_dgram_endpoint_open(): a datagram endpoint opened
 * with one completion (listen, every address, send to an address or a
 * name, connect, join, multicast send), the constructors from values, and
 * the completion's rules: never inside the call, exactly once, cancel and
 * a freed reactor give DN_ECANCELED, and nothing is left alive after.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dualnet.h"
#include "tap.h"
#include "util.h"

/* What the one completion delivered. */
struct opened {
	int calls;
	dn_err code;
	char msg[384];
	dn_udp *u;
	dn_udp_all *all;
	dn_addr dest;
	int has_dest, joined, hops;
};

static void
opened_cb(dn_dgram_open_req *rq, const dn_dgram_opened *o,
    const dn_error *err, void *arg)
{
	struct opened *s = arg;

	(void)rq;
	s->calls++;
	s->code = err != NULL ? err->code : DN_OK;
	snprintf(s->msg, sizeof(s->msg), "%s", err != NULL ? err->msg : "");
	if (o == NULL)
		return;
	s->u = o->udp;
	s->all = o->all;
	s->has_dest = o->dest != NULL;
	if (o->dest != NULL)
		s->dest = *o->dest;
	s->joined = o->joined;
	s->hops = o->hops;
}

/* Opens ep and waits for the completion, which must not come inside
 * the call; the endpoint is freed at once (the open keeps a copy). */
static int
open_wait(dn_reactor *r, dn_dgram_endpoint *ep, const dn_dgram_open_opts *o,
    struct opened *s, const char *what)
{
	dn_error e;

	memset(s, 0, sizeof(*s));
	if (ep == NULL) {
		ok(0, "%s: no endpoint", what);
		return 0;
	}
	if (dn_dgram_endpoint_open(r, ep, o, opened_cb, s, &e) == NULL) {
		ok(0, "%s: open refused at once: %s", what, e.msg);
		dn_dgram_endpoint_free(ep);
		return 0;
	}
	dn_dgram_endpoint_free(ep);
	ok(s->calls == 0, "%s: no completion inside the call", what);
	run_until(r, &s->calls, 1, 3000);
	return s->calls == 1;
}

struct rec {
	int n;
	char data[16];
	dn_addr from;
};

static void
rec_cb(dn_udp *u, const dn_datagram *dg, const dn_error *err, void *arg)
{
	struct rec *c = arg;

	(void)u;
	if (err != NULL)
		return;
	snprintf(c->data, sizeof(c->data), "%.*s", (int)dg->len,
	    (const char *)dg->data);
	c->from = dg->from;
	c->n++;
}

/* --- constructors ----------------------------------------------------- */

static void
test_constructors(void)
{
	dn_addr l4 = parse("127.0.0.1:0"), d6 = parse("[::1]:9");
	dn_addr d4 = parse("127.0.0.1:9"), b4 = parse("127.0.0.2");
	dn_dgram_endpoint *ep;
	dn_all_opts ao;
	dn_error e;
	char ifs[8];

	ep = dn_dgram_endpoint_new_listen(&l4, 7, &e);
	ok(ep != NULL && dn_dgram_endpoint_kind(ep) == DN_DGRAM_LISTEN &&
	    dn_addr_equal(dn_dgram_endpoint_local(ep), &l4) &&
	    dn_dgram_endpoint_v6only(ep) == 1 &&
	    dn_dgram_endpoint_family(ep) == AF_INET,
	    "new_listen: LISTEN on the address, v6only 7 read as 1");
	dn_dgram_endpoint_free(ep);

	ep = dn_dgram_endpoint_new_send_addr(&d4, &b4, &e);
	ok(ep != NULL && dn_dgram_endpoint_kind(ep) == DN_DGRAM_SEND &&
	    dn_addr_equal(dn_dgram_endpoint_dest(ep), &d4) &&
	    dn_addr_equal(dn_dgram_endpoint_local(ep), &b4) &&
	    dn_dgram_endpoint_port(ep) == 9,
	    "new_send_addr: destination, bind and port read back");
	dn_dgram_endpoint_free(ep);
	ok(dn_dgram_endpoint_new_send_addr(&d6, &b4, &e) == NULL &&
	    e.code == DN_EFAMILY && strcmp(e.msg, "bind address 127.0.0.2 is "
	    "IPv4 but destination ::1 is IPv6: bind to an IPv6 address") == 0,
	    "new_send_addr: a bind of the other family, DN_EFAMILY (%s)",
	    e.msg);
	ok(dn_dgram_endpoint_new_send_addr(&l4, NULL, &e) == NULL &&
	    e.code == DN_ERANGE && strstr(e.msg, "port 0") != NULL,
	    "new_send_addr: port 0 cannot be sent to, DN_ERANGE (%s)", e.msg);

	ep = dn_dgram_endpoint_new_send_name("localhost", 53, AF_INET6, NULL,
	    &e);
	ok(ep != NULL && dn_dgram_endpoint_dest(ep) == NULL &&
	    strcmp(dn_dgram_endpoint_host(ep), "localhost") == 0 &&
	    dn_dgram_endpoint_family(ep) == AF_INET6 &&
	    dn_dgram_endpoint_port(ep) == 53,
	    "new_send_name: a name to resolve for IPv6 when opened");
	dn_dgram_endpoint_free(ep);
	ok(dn_dgram_endpoint_new_send_name("bad..name", 53, AF_INET, NULL,
	    &e) == NULL && dn_err_kind_of(e.code) == DN_KIND_INPUT,
	    "new_send_name: a name DNS cannot carry is refused (%s)", e.msg);
	ok(dn_dgram_endpoint_new_send_name("localhost", 53, AF_UNSPEC, NULL,
	    &e) == NULL && e.code == DN_EINVAL && strstr(e.msg, "AF_INET or "
	    "AF_INET6") != NULL,
	    "new_send_name: one family, DN_EINVAL (%s)", e.msg);
	ok(dn_dgram_endpoint_new_send_name("localhost", 53, AF_INET6, &b4,
	    &e) == NULL && e.code == DN_EFAMILY && strcmp(e.msg, "bind "
	    "address 127.0.0.2 is IPv4 but localhost resolves to IPv6 only: "
	    "bind to an IPv6 address") == 0,
	    "new_send_name: an IPv4 bind for an IPv6 name, DN_EFAMILY (%s)",
	    e.msg);

	dn_all_opts_init(&ao);
	snprintf(ifs, sizeof(ifs), "lo");
	ao.interfaces = ifs;
	ao.family = AF_INET;
	ep = dn_dgram_endpoint_new_all(0, &ao, &e);
	ifs[0] = 'X';		/* the endpoint keeps its own copy */
	ok(ep != NULL && dn_dgram_endpoint_kind(ep) == DN_DGRAM_LISTEN_ALL &&
	    dn_dgram_endpoint_all(ep) != NULL &&
	    strcmp(dn_dgram_endpoint_all(ep)->interfaces, "lo") == 0 &&
	    dn_dgram_endpoint_family(ep) == AF_INET,
	    "new_all: the options copied with their strings");
	dn_dgram_endpoint_free(ep);
}

/* --- open ------------------------------------------------------------- */

static void
test_listen_send(void)
{
	dn_reactor *r = test_begin();
	dn_addr l4 = parse("127.0.0.1:0"), b = parse("127.0.0.2:0"), dest;
	struct opened lis, snd;
	dn_dgram_open_opts o;
	struct rec c;
	dn_error e;

	memset(&c, 0, sizeof(c));
	if (!open_wait(r, dn_dgram_endpoint_new_listen(&l4, -1, NULL), NULL,
	    &lis, "listen 127.0.0.1:0") || lis.u == NULL) {
		ok(0, "listen: %s", lis.msg);
		goto done;
	}
	ok(lis.code == DN_OK && lis.all == NULL && !lis.has_dest &&
	    dn_addr_port(dn_udp_addr(lis.u)) != 0,
	    "listen: one socket on a port the kernel picked");
	dn_udp_recv_start(lis.u, rec_cb, &c, NULL);
	dest = *dn_udp_addr(lis.u);

	memset(&o, 0, sizeof(o));
	o.connect = 1;
	open_wait(r, dn_dgram_endpoint_new_send_addr(&dest, &b, NULL), &o,
	    &snd, "send from 127.0.0.2, connected");
	ok(snd.code == DN_OK && snd.u != NULL && snd.has_dest &&
	    dn_addr_equal(&snd.dest, &dest) && dn_udp_peer(snd.u) != NULL &&
	    dn_addr_equal(dn_udp_peer(snd.u), &dest),
	    "send: connected to the destination it reports (%s)", snd.msg);
	if (snd.u != NULL && dn_udp_send(snd.u, "hi", 2, NULL, &e) == 0)
		run_until(r, &c.n, 1, 2000);
	ok(c.n == 1 && strcmp(c.data, "hi") == 0 &&
	    dn_addr_family(&c.from) == AF_INET &&
	    c.from.u.sin.sin_addr.s_addr == b.u.sin.sin_addr.s_addr,
	    "the datagram arrives from the bind address");
	dn_udp_close(snd.u);
done:
	dn_udp_close(lis.u);
	test_end(r, "listen and send");
}

/* A name: resolved (traced), the first answer is the destination, and an
 * IPv6 one carries the flow label asked for. */
struct traces {
	int resolving, resolved;
};

static void
trace_cb(const dn_trace_event *ev, void *arg)
{
	struct traces *t = arg;

	t->resolving += ev->kind == DN_TRACE_RESOLVING &&
	    strcmp(ev->host, "localhost") == 0;
	t->resolved += ev->kind == DN_TRACE_RESOLVED && ev->naddrs >= 1;
}

static void
test_send_name(void)
{
	dn_reactor *r = test_begin();
	dn_addr want = parse("127.0.0.1:5353");
	struct opened s;
	struct traces t;
	dn_dgram_open_opts o;

	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	o.trace = trace_cb;
	o.trace_arg = &t;
	o.flow_label = 0x12345;	/* IPv4: nothing to carry it */
	open_wait(r, dn_dgram_endpoint_new_send_name("localhost", 5353,
	    AF_INET, NULL, NULL), &o, &s, "send to localhost");
	ok(s.code == DN_OK && s.has_dest && dn_addr_equal(&s.dest, &want) &&
	    dn_addr_family(dn_udp_addr(s.u)) == AF_INET,
	    "name: resolved to 127.0.0.1:5353, an IPv4 socket (%s)", s.msg);
	ok(t.resolving == 1 && t.resolved == 1,
	    "name: RESOLVING and RESOLVED traced once each");
	dn_udp_close(s.u);

	want = parse("[::1]:5353");
	o.trace = NULL;
	open_wait(r, dn_dgram_endpoint_new_send_addr(&want, NULL, NULL), &o,
	    &s, "send to [::1]:5353 with a flow label");
	ok(s.code == DN_OK && s.has_dest &&
	    dn_addr_flowinfo(&s.dest) == 0x12345,
	    "IPv6 destination: the flow label is on it (0x%x)",
	    s.has_dest ? dn_addr_flowinfo(&s.dest) : 0);
	dn_udp_close(s.u);
	test_end(r, "send to a name");
}

static void
test_errors(void)
{
	dn_reactor *r = test_begin();
	dn_addr d = parse("127.0.0.1:9"), b = parse("192.0.2.1:0");
	dn_addr l = parse("127.0.0.1:0");
	struct opened s, t;

	open_wait(r, dn_dgram_endpoint_new_send_addr(&d, &b, NULL), NULL, &s,
	    "bind to an address not on this host");
	ok(s.code == DN_ELOCAL && s.u == NULL && strstr(s.msg, "cannot bind "
	    "to 192.0.2.1:0") != NULL,
	    "not ours: the completion says so, DN_ELOCAL (%s)", s.msg);

	/* the port a listener holds cannot be bound again */
	open_wait(r, dn_dgram_endpoint_new_listen(&l, -1, NULL), NULL, &s,
	    "a first listener");
	if (s.u != NULL) {
		open_wait(r, dn_dgram_endpoint_new_listen(dn_udp_addr(s.u), -1,
		    NULL), NULL, &t, "the same port again");
		ok(t.code == DN_ELOCAL && t.u == NULL,
		    "a taken port: DN_ELOCAL (%s)", t.msg);
	}
	dn_udp_close(s.u);
	ok(dn_dgram_endpoint_open(r, NULL, NULL, opened_cb, &s, NULL) == NULL,
	    "no endpoint: refused at once");
	test_end(r, "errors");
}

static void
test_cancel(void)
{
	dn_reactor *r = test_begin();
	dn_addr l = parse("127.0.0.1:0");
	dn_dgram_endpoint *ep = dn_dgram_endpoint_new_listen(&l, -1, NULL);
	dn_dgram_endpoint *nm = dn_dgram_endpoint_new_send_name("localhost",
	    9, AF_INET, NULL, NULL);
	dn_dgram_open_req *q;
	struct opened a, b, c;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	q = dn_dgram_endpoint_open(r, ep, NULL, opened_cb, &a, NULL);
	dn_dgram_open_cancel(q);
	dn_dgram_open_cancel(q);
	ok(a.calls == 0, "cancel: no completion inside it");
	q = dn_dgram_endpoint_open(r, nm, NULL, opened_cb, &b, NULL);
	dn_dgram_open_cancel(q);
	run_until(r, &a.calls, 1, 2000);
	run_until(r, &b.calls, 1, 2000);
	turns(r, 3);
	ok(a.calls == 1 && a.code == DN_ECANCELED && a.u == NULL,
	    "cancelled after the bind: once, DN_ECANCELED, the socket closed "
	    "(%s)", a.msg);
	ok(b.calls == 1 && b.code == DN_ECANCELED && b.u == NULL,
	    "cancelled while resolving: once, DN_ECANCELED (%s)", b.msg);
	dn_dgram_open_cancel(NULL);
	test_end(r, "cancel");

	/* freeing the reactor completes what is pending, there and then */
	r = test_begin();
	memset(&a, 0, sizeof(a));
	(void)dn_dgram_endpoint_open(r, ep, NULL, opened_cb, &a, NULL);
	(void)dn_dgram_endpoint_open(r, nm, NULL, opened_cb, &c, NULL);
	dn_reactor_free(r);
	ok(a.calls == 1 && a.code == DN_ECANCELED && c.calls == 1 &&
	    c.code == DN_ECANCELED,
	    "dn_reactor_free: each pending open completes, DN_ECANCELED "
	    "(%s / %s)", a.msg, c.msg);
	is_int(open_fds(), test_fds, "dn_reactor_free: no descriptor left");
	dn_dgram_endpoint_free(ep);
	dn_dgram_endpoint_free(nm);
}

static void
test_all(void)
{
	dn_reactor *r = test_begin();
	dn_all_opts ao;
	struct opened s;
	dn_udp *v[8];
	size_t n;

	dn_all_opts_init(&ao);
	ao.interfaces = "lo";
	ao.follow = 0;
	open_wait(r, dn_dgram_endpoint_new_all(0, &ao, NULL), NULL, &s,
	    "every address of lo");
	n = s.all != NULL ? dn_udp_all_socks(s.all, v, 8) : 0;
	ok(s.code == DN_OK && s.u == NULL && n >= 1 &&
	    dn_udp_all_port(s.all) != 0,
	    "udp-all: %zu sockets on one port (%s)", n, s.msg);
	dn_udp_all_close(s.all);
	test_end(r, "every address");
}

/* A group on lo: the receiver joins it; the sender's hops, loop and
 * interface are set; a datagram goes from one to the other. */
static void
test_multicast(void)
{
	dn_reactor *r = test_begin();
	dn_addr any = parse("127.0.0.1:0"), g;
	dn_dgram_endpoint *ep = NULL;
	dn_endpoint_defaults defs;
	struct opened rx, tx;
	dn_dgram_open_opts o;
	char text[64];
	socklen_t len = sizeof(int);
	int ttl = -1;
	struct rec c;
	dn_udp *probe;
	dn_error e;

	memset(&c, 0, sizeof(c));
	memset(&rx, 0, sizeof(rx));
	memset(&tx, 0, sizeof(tx));
	/* a free port for the group: a group's port cannot be 0 */
	if ((probe = dn_udp_listen_addr(r, &any, NULL, &e)) == NULL) {
		ok(0, "a free port: %s", e.msg);
		goto done;
	}
	snprintf(text, sizeof(text), "multicast:239.255.77.9:%u:interface=lo",
	    dn_addr_port(dn_udp_addr(probe)));
	dn_udp_close(probe);
	dn_endpoint_defaults_init(&defs);
	if ((ep = dn_dgram_endpoint_parse(text, &defs, &e)) == NULL) {
		ok(0, "%s: %s", text, e.msg);
		goto done;
	}
	open_wait(r, dn_dgram_endpoint_parse(text, &defs, NULL), NULL, &rx, "join on lo");
	g = *dn_dgram_endpoint_dest(ep);
	ok(rx.code == DN_OK && rx.joined && rx.has_dest &&
	    dn_addr_equal(&rx.dest, &g) &&
	    dn_addr_port(dn_udp_addr(rx.u)) == dn_addr_port(&g),
	    "receiver: joined, on the group's port (%s)", rx.msg);
	if (rx.u != NULL)
		dn_udp_recv_start(rx.u, rec_cb, &c, NULL);

	memset(&o, 0, sizeof(o));
	o.multicast_send = 1;
	o.set_hops = 1;
	o.hops = 3;
	o.set_loop = 1;
	o.loop = 1;
	open_wait(r, dn_dgram_endpoint_parse(text, &defs, NULL), &o, &tx, "sender on lo");
	if (tx.u != NULL)
		(void)getsockopt(dn_udp_fd(tx.u), IPPROTO_IP,
		    IP_MULTICAST_TTL, &ttl, &len);
	ok(tx.code == DN_OK && !tx.joined && ttl == 3 && tx.hops == 3 &&
	    rx.hops == -1 &&
	    dn_addr_port(dn_udp_addr(tx.u)) != dn_addr_port(&g),
	    "sender: not a member, hops 3, its own port (%s)", tx.msg);
	if (rx.u != NULL && tx.u != NULL &&
	    dn_udp_send(tx.u, "mc", 2, &g, &e) == 0)
		run_until(r, &c.n, 1, 2000);
	ok(c.n == 1 && strcmp(c.data, "mc") == 0,
	    "the sender's datagram reaches the member through lo");
done:
	dn_udp_close(rx.u);
	dn_udp_close(tx.u);
	dn_dgram_endpoint_free(ep);
	test_end(r, "multicast");
}

int
main(void)
{
	if (!netns_private("a private loopback for multicast"))
		diag("in the host's namespace: traffic stays on lo");
	test_constructors();
	test_listen_send();
	test_send_name();
	test_errors();
	test_cancel();
	test_all();
	test_multicast();
	return tap_done(0);
}
