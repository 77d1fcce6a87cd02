/* t_nat64.c - NAT64: RFC 6052 synthesis and extraction against the RFC's own table, prefix rules, RFC 7050 prefix discovery (answers, once per reactor, cancel, no NAT64). */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "internal.h"
#include "tap.h"
#include "util.h"

static dn_prefix
pfx(const char *text)
{
	dn_prefix p;
	dn_error e;

	memset(&p, 0, sizeof(p));
	if (dn_prefix_parse(&p, text, &e) == -1)
		diag("prefix %s: %s", text, e.msg);
	return p;
}

/* RFC 6052 §2.4, Table 1: 192.0.2.33 behind each prefix length. */
static void
test_rfc6052_table(void)
{
	static const struct {
		const char *prefix, *embedded;
	} t[] = {
		{ "2001:db8::/32", "2001:db8:c000:221::" },
		{ "2001:db8:100::/40", "2001:db8:1c0:2:21::" },
		{ "2001:db8:122::/48", "2001:db8:122:c000:2:2100::" },
		{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::" },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0" },
		{ "2001:db8:122:344::/96", "2001:db8:122:344::c000:221" },
	};
	dn_addr v4 = mk_addr("192.0.2.33", 80), s, back;
	char got[INET6_ADDRSTRLEN], b4[INET_ADDRSTRLEN];
	dn_prefix p;
	dn_error e;
	size_t i;

	for (i = 0; i < DN__ARRLEN(t); i++) {
		p = pfx(t[i].prefix);
		memset(&s, 0, sizeof(s));
		ok(dn_nat64_synthesize(&s, &p, &v4, &e) == 0, "%s: synthesises "
		    "192.0.2.33", t[i].prefix);
		is_str(host(&s, got, sizeof(got)), t[i].embedded,
		    "  %s: 192.0.2.33 is %s (RFC 6052 Table 1)", t[i].prefix,
		    t[i].embedded);
		is_int(dn_addr_port(&s), 80, "  the port is kept");
		memset(&back, 0, sizeof(back));
		ok(dn_nat64_extract(&back, &p, &s) == 0 &&
		    strcmp(host(&back, b4, sizeof(b4)), "192.0.2.33") == 0 &&
		    dn_addr_port(&back) == 80, "  %s extracts back to "
		    "192.0.2.33:80 (§2.3)", t[i].embedded);
	}
}

static void
test_extract_rejects(void)
{
	static const struct {
		const char *prefix, *addr, *why;
	} t[] = {
		{ "2001:db8:64::/96", "2001:db8:65::c000:221", "outside the "
		    "prefix" },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:1c0:2:2100:0",
		    "the u octet (bits 64-71) set" },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:1",
		    "a suffix that is not zero" },
		{ "2001:db8:64::/96", "192.0.2.33", "an IPv4 address stands "
		    "for nothing" },
	};
	dn_prefix p96 = pfx("2001:db8:64::/96"), p;
	dn_addr v4, a;
	size_t i;

	ok(dn_nat64_extract(&v4, &p96, &(dn_addr){ 0 }) == -1,
	    "extract: no address, no answer");
	for (i = 0; i < DN__ARRLEN(t); i++) {
		p = pfx(t[i].prefix);
		a = mk_addr(t[i].addr, 0);
		ok(dn_nat64_extract(&v4, &p, &a) == -1, "extract %s from %s: "
		    "no, %s", t[i].addr, t[i].prefix, t[i].why);
	}
	a = mk_addr("2001:db8:64::c633:6402", 0);
	ok(dn_nat64_extract(NULL, &p96, &a) == 0, "extract with NULL out: "
	    "only whether it is inside");
}

static void
test_prefix_rules(void)
{
	static const struct {
		const char *text;
		dn_err code;
		const char *says;
	} bad[] = {
		{ "198.51.100.0/24", DN_EFAMILY, "is IPv4" },
		{ "2001:db8::/33", DN_ERANGE, "32, 40, 48, 56, 64 or 96" },
		{ "2001:db8::/128", DN_ERANGE, "32, 40, 48, 56, 64 or 96" },
		{ "2001:db8::1", DN_ERANGE, "32, 40, 48, 56, 64 or 96" },
		{ "2001:db8:0:0:100::/96", DN_EINVAL, "bits 64 to 71" },
		{ "fe80::/64", DN_EINVAL, "not a unicast prefix" },
		{ "ff0e::/96", DN_EINVAL, "not a unicast prefix" },
		{ "2001:db8::1/96", DN_EINVAL, "did you mean 2001:db8::/96" },
		{ "nat64", DN_ESYNTAX, "" },
	};
	static const char *const good[] = { "64:ff9b::/96", "64:ff9b:1::/48",
	    "2001:db8:64::/96", "2001:db8::/32", "2001:db8:100::/40",
	    "2001:db8:122:300::/56", "2001:db8:122:344::/64" };
	dn_prefix p;
	dn_error e;
	size_t i;

	for (i = 0; i < DN__ARRLEN(good); i++)
		ok(dn_nat64_prefix_parse(&p, good[i], &e) == 0, "NAT64 prefix "
		    "%s is good", good[i]);
	for (i = 0; i < DN__ARRLEN(bad); i++) {
		memset(&e, 0, sizeof(e));
		ok(dn_nat64_prefix_parse(&p, bad[i].text, &e) == -1 &&
		    e.code == bad[i].code && strstr(e.msg, bad[i].says) != NULL,
		    "NAT64 prefix %s: %s (%s)", bad[i].text,
		    dn_err_name(bad[i].code), e.msg);
	}
	ok(dn_nat64_prefix_check(NULL, &e) == -1 && e.code == DN_EINVAL,
	    "check(NULL): DN_EINVAL");
}

/* RFC 6052 §3.1: the Well-Known Prefix stands for global IPv4 only. */
static void
test_wkp_global_only(void)
{
	static const char *const local[] = { "192.0.2.33", "198.51.100.2",
	    "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1",
	    "192.0.0.170", "198.18.0.1", "203.0.113.9" };
	dn_prefix wkp = pfx("64:ff9b::/96"), own = pfx("2001:db8:64::/96");
	char got[INET6_ADDRSTRLEN];
	dn_addr v4, s;
	dn_error e;
	size_t i;

	for (i = 0; i < DN__ARRLEN(local); i++) {
		v4 = mk_addr(local[i], 0);
		ok(dn_nat64_synthesize(&s, &wkp, &v4, &e) == -1 &&
		    e.code == DN_EINVAL && strstr(e.msg, "RFC 6052 §3.1"),
		    "64:ff9b::/96 refuses %s (%s)", local[i], e.msg);
	}
	v4 = mk_addr("198.51.100.2", 0);
	ok(dn_nat64_synthesize(&s, &own, &v4, &e) == 0 &&
	    strcmp(host(&s, got, sizeof(got)), "2001:db8:64::c633:6402") == 0,
	    "a network's own prefix takes 198.51.100.2: %s", got);
	v4 = mk_addr("192.0.3.1", 0);
	ok(dn_nat64_synthesize(&s, &wkp, &v4, &e) == 0 &&
	    strcmp(host(&s, got, sizeof(got)), "64:ff9b::c000:301") == 0,
	    "64:ff9b::/96 takes a global address: %s", got);
	v4 = mk_addr("2001:db8::1", 0);
	ok(dn_nat64_synthesize(&s, &own, &v4, &e) == -1 &&
	    e.code == DN_EFAMILY, "synthesising from IPv6: DN_EFAMILY");
	for (i = 0; i < 4; i++) {
		static const char *const never[] = { "127.0.0.1",
		    "169.254.1.1", "0.0.0.0", "239.1.2.3" };

		v4 = mk_addr(never[i], 0);
		ok(dn_nat64_synthesize(&s, &own, &v4, &e) == -1 &&
		    e.code == DN_EINVAL && strstr(e.msg, "cannot be reached "
		    "through NAT64"), "%s is never synthesised (%s)", never[i],
		    e.msg);
	}
}

/* RFC 7050 §3 on answers as a DNS64 gives them. */
static void
test_prefixes_from(void)
{
	dn_addr ans[4];
	dn_prefix out[8];
	char t[DN_PREFIX_STRLEN];
	size_t n;

	ans[0] = mk_addr("2001:db8:64::c000:aa", 0);
	ans[1] = mk_addr("2001:db8:64::c000:ab", 0);
	n = dn__nat64_prefixes_from(ans, 2, out, 8);
	ok(n == 1 && strcmp(dn_prefix_format(&out[0], t, sizeof(t)),
	    "2001:db8:64::/96") == 0, "both WKAs under one /96: one prefix "
	    "(%zu, %s)", n, n > 0 ? t : "");
	ans[0] = mk_addr("2001:db8:122:344:c0:0:aa00:0", 0);	/* /64 */
	ans[1] = mk_addr("2001:db8:c000:aa::", 0);		/* /32 */
	ans[2] = mk_addr("2001:db8:64::1", 0);			/* no WKA */
	ans[3] = mk_addr("192.0.0.170", 0);			/* IPv4 */
	n = dn__nat64_prefixes_from(ans, 4, out, 8);
	ok(n == 2 && out[0].len == 64 && out[1].len == 32 &&
	    strcmp(dn_prefix_format(&out[0], t, sizeof(t)),
	    "2001:db8:122:344::/64") == 0, "a /64 and a /32, in answer order; "
	    "others skipped (%zu)", n);
	ans[0] = mk_addr("2001:db8:122:344:c0:0:aa00:1", 0);
	n = dn__nat64_prefixes_from(ans, 1, out, 8);
	ok(n == 0, "a suffix not zero: no prefix (%zu)", n);
	ans[0] = mk_addr("2001:db8:64::c000:aa", 0);
	n = dn__nat64_prefixes_from(ans, 1, out, 0);
	ok(n == 0, "no room: nothing written");
}

/* --- discovery ------------------------------------------------------ */

struct disc {
	int calls;
	dn_err code;
	char msg[384];
	dn_prefix p[DN_NAT64_MAX_PREFIXES];
	size_t n;
	int starting;
	int inline_call;
};

static void
disc_cb(dn_nat64_req *q, const dn_prefix *p, size_t n, const dn_error *err,
    void *arg)
{
	struct disc *d = arg;

	(void)q;
	d->calls++;
	d->inline_call |= d->starting;
	d->code = err != NULL ? err->code : DN_OK;
	snprintf(d->msg, sizeof(d->msg), "%s", err != NULL ? err->msg : "");
	d->n = n;
	if (n > 0)
		memcpy(d->p, p, n * sizeof(*p));
}

static dn_nat64_req *
discover(dn_reactor *r, struct disc *d)
{
	dn_nat64_req *q;
	dn_error e;

	memset(d, 0, sizeof(*d));
	d->starting = 1;
	q = dn_nat64_discover(r, DN_RESOLVER_ARES, disc_cb, d, &e);
	d->starting = 0;
	if (q == NULL)
		diag("discover: %s", e.msg);
	return q;
}

/* A reactor whose resolver asks f only. */
static int
use_server(dn_reactor *r, struct fakedns *f, int rcode)
{
	char servers[64];

	if (fakedns_start(r, f, rcode) == -1)
		return ok(0, "a fake DNS server on 127.0.0.1");
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f->port);
	return ok(dn_reactor_set_dns_servers(r, servers, NULL) == 0 &&
	    dn__resolver_set_timeout(r, 300, 1, NULL) == 0,
	    "resolver asks 127.0.0.1:%u, 300 ms, once", f->port);
}

static void
test_discover(dn_reactor *r)
{
	struct in6_addr wka[2];
	struct fakedns f;
	struct disc a, b, c;
	char t[DN_PREFIX_STRLEN];

	inet_pton(AF_INET6, "2001:db8:64::c000:aa", &wka[0]);
	inet_pton(AF_INET6, "2001:db8:64::c000:ab", &wka[1]);
	if (!use_server(r, &f, 0))
		return;
	f.aaaa = wka;
	f.naaaa = 2;
	discover(r, &a);
	discover(r, &b);
	ok(a.calls == 0 && b.calls == 0, "discovery: nothing inside the call");
	run_until(r, &b.calls, 1, 3000);
	run_until(r, &a.calls, 1, 3000);
	ok(a.calls == 1 && a.code == DN_OK && a.n == 1 &&
	    strcmp(dn_prefix_format(&a.p[0], t, sizeof(t)),
	    "2001:db8:64::/96") == 0, "discovery finds 2001:db8:64::/96 (%s)",
	    a.n > 0 ? t : a.msg);
	ok(b.calls == 1 && b.n == 1, "a second caller waiting hears the same");
	is_int(f.queries, 1, "one query for both");
	discover(r, &c);
	ok(c.calls == 0, "after: the cached answer, still not inline");
	run_until(r, &c.calls, 1, 1000);
	ok(c.calls == 1 && c.n == 1 && f.queries == 1, "after: from the "
	    "cache, no query (%d)", f.queries);
	fakedns_stop(&f);
}

static void
test_discover_none(dn_reactor *r)
{
	struct fakedns f;
	struct disc a;

	if (!use_server(r, &f, 0))
		return;		/* NODATA: no AAAA for ipv4only.arpa */
	discover(r, &a);
	run_until(r, &a.calls, 1, 3000);
	ok(a.calls == 1 && a.code == DN_ENODATA && a.n == 0 &&
	    strstr(a.msg, "no NAT64 prefix") != NULL &&
	    strstr(a.msg, "RFC 7050") != NULL, "no AAAA: DN_ENODATA, says "
	    "no NAT64 (%s)", a.msg);
	fakedns_stop(&f);
}

static void
test_discover_not_wka(dn_reactor *r)
{
	struct in6_addr other;
	struct fakedns f;
	struct disc a;

	inet_pton(AF_INET6, "2001:db8:64::1", &other);
	if (!use_server(r, &f, 0))
		return;
	f.aaaa = &other;
	f.naaaa = 1;
	discover(r, &a);
	run_until(r, &a.calls, 1, 3000);
	ok(a.calls == 1 && a.code == DN_ENODATA &&
	    strstr(a.msg, "embed neither 192.0.0.170 nor 192.0.0.171"),
	    "an AAAA without the WKAs: DN_ENODATA (%s)", a.msg);
	fakedns_stop(&f);
}

static void
test_discover_silent(dn_reactor *r)
{
	struct fakedns f;
	struct disc a;
	int64_t t0;

	if (!use_server(r, &f, -1))
		return;
	t0 = now_ms();
	discover(r, &a);
	run_until(r, &a.calls, 1, 5000);
	ok(a.calls == 1 && a.code == DN_EDNSTIMEOUT &&
	    strstr(a.msg, "no NAT64 prefix") != NULL, "a silent server: "
	    "DN_EDNSTIMEOUT (%s)", a.msg);
	ok(now_ms() - t0 < 3000, "within the resolver's bound (%lld ms)",
	    (long long)(now_ms() - t0));
	fakedns_stop(&f);
}

static void
test_discover_cancel(dn_reactor *r)
{
	struct fakedns f;
	struct disc a, b;
	dn_nat64_req *q;

	if (!use_server(r, &f, -1))
		return;
	q = discover(r, &a);
	dn_nat64_cancel(q);
	ok(a.calls == 0, "cancel: not inline");
	run_until(r, &a.calls, 1, 1000);
	ok(a.calls == 1 && a.code == DN_ECANCELED, "cancel: one DN_ECANCELED");
	turns(r, 3);
	/* the query nobody waits for is dropped; a new caller asks again */
	f.rcode = 0;
	discover(r, &b);
	run_until(r, &b.calls, 1, 3000);
	ok(b.calls == 1 && b.code == DN_ENODATA, "after a cancel, a new "
	    "discovery asks again (%s)", b.msg);
	fakedns_stop(&f);
}

static void
test_discover_freed(dn_reactor *r)
{
	struct fakedns f;
	struct disc a;

	if (!use_server(r, &f, -1)) {
		dn_reactor_free(r);
		return;
	}
	discover(r, &a);
	turns(r, 2);
	fakedns_stop(&f);
	dn_reactor_free(r);
	ok(a.calls == 1 && a.code == DN_ECANCELED, "reactor freed: one "
	    "DN_ECANCELED (%d, %s)", a.calls, dn_err_name(a.code));
}


/* --- the race through NAT64 (RFC 8305 §7), in a private namespace ------ */

/*
 * The namespace has loopback only: no route to 198.51.100.2, as on an
 * IPv6-only host. Its synthesised address 2001:db8:64::c633:6402 is put
 * on lo, so a listener there stands for the IPv4 server behind NAT64.
 */
#define SYN6 "2001:db8:64::c633:6402"

/* "nodad": an address added by ioctl waits a second for duplicate
 * address detection, even on lo; ip(8) can say not to. */
static int
add_lo6(void)
{
	return system("ip -6 addr add " SYN6 "/128 dev lo nodad") == 0 ? 0 : -1;
}

struct conn {
	int calls;
	dn_stream *s;
	dn_error err;
	char peer[DN_ADDR_STRLEN];
	char trace[2048];
};

static void
conn_cb(dn_connect_req *q, dn_stream *s, const dn_error *err, void *arg)
{
	struct conn *c = arg;

	(void)q;
	c->calls++;
	c->s = s;
	if (s != NULL)
		dn_addr_format(dn_stream_peer(s), c->peer, sizeof(c->peer));
	if (err != NULL)
		c->err = *err;
}

/* The events as "kind addr[via4]" words, for the checks. */
static void
conn_trace(const dn_trace_event *ev, void *arg)
{
	static const char *const kinds[] = { "resolving", "resolved",
	    "connecting", "failed", "connected", "cancelled", "discovering",
	    "discovered", "synthesized" };
	struct conn *c = arg;
	char a[DN_ADDR_STRLEN] = "", v[DN_ADDR_STRLEN] = "", w[160];

	if (ev->addr != NULL)
		dn_addr_format(ev->addr, a, sizeof(a));
	if (ev->via4 != NULL)
		dn_addr_format_host(ev->via4, v, sizeof(v));
	snprintf(w, sizeof(w), "%s%s%s%s%s%s ", kinds[ev->kind], *a ? " " : "",
	    a, *v ? "[" : "", v, *v ? "]" : "");
	if (ev->kind == DN_TRACE_NAT64_DISCOVERED && ev->nprefixes > 0)
		snprintf(w, sizeof(w), "discovered %zu ", ev->nprefixes);
	strlcat(c->trace, w, sizeof(c->trace));
}

static void
accept_close(dn_listener *l, dn_stream *s, void *arg)
{
	(void)l;
	(void)arg;
	dn_stream_close(s);
}

static dn_listener *
listen6(dn_reactor *r, const char *addr, uint16_t *port)
{
	dn_listen_opts lo = { .backlog = 0, .v6only = 1 };
	dn_listener *l;
	dn_error e;

	if ((l = dn_tcp_listen(r, 0, addr, &lo, accept_close, NULL,
	    &e)) == NULL) {
		ok(0, "listen on %s: %s", addr, e.msg);
		return NULL;
	}
	*port = dn_addr_port(dn_listener_addr(l));
	return l;
}

static void
race_within(dn_reactor *r, const char *host, uint16_t port,
    dn_nat64_opts *n, struct conn *c, unsigned ms)
{
	dn_hostname_opts o;

	memset(c, 0, sizeof(*c));
	dn_hostname_opts_init(&o);
	o.nat64 = n;
	o.trace = conn_trace;
	o.trace_arg = c;
	o.timeout_ns = ms * 1000000ull;
	if (dn_hostname_connect(r, host, port, &o, conn_cb, c, &c->err) == NULL)
		return;
	run_until(r, &c->calls, 1, ms + 1000);
	turns(r, 2);	/* the request's own clean-up */
}

static void
race(dn_reactor *r, const char *host, uint16_t port, dn_nat64_opts *n,
    struct conn *c)
{
	race_within(r, host, port, n, c, 3000);
}

/*
 * A listener on SYN6 whose accept queue is full (backlog 0, one
 * connection never accepted): Linux drops the next SYN, so a connect
 * there stays in flight. fds[0] listens, fds[1] fills the queue.
 */
static int
stuck6(int fds[2], uint16_t *port)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, SYN6, &sin6.sin6_addr);
	fds[1] = -1;
	if ((fds[0] = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fds[0], (struct sockaddr *)&sin6, sizeof(sin6)) == -1 ||
	    listen(fds[0], 0) == -1 ||
	    getsockname(fds[0], (struct sockaddr *)&sin6, &len) == -1 ||
	    (fds[1] = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fds[1], (struct sockaddr *)&sin6, len) == -1) {
		ok(0, "a listener on %s with a full queue: %s", SYN6,
		    strerror(errno));
		if (fds[1] != -1)
			close(fds[1]);
		if (fds[0] != -1)
			close(fds[0]);
		return -1;
	}
	*port = ntohs(sin6.sin6_port);
	return 0;
}

struct planned {
	int calls;
	size_t n;
	char addr[4][DN_ADDR_STRLEN];
	int via[4];
};

static void
plan_cb(dn_connect_req *q, const dn_plan_entry *plan, size_t n,
    const dn_error *err, void *arg)
{
	struct planned *p = arg;
	size_t i;

	(void)q;
	(void)err;
	p->calls++;
	p->n = n;
	for (i = 0; i < n && i < 4; i++) {
		dn_addr_format(&plan[i].addr, p->addr[i], sizeof(p->addr[i]));
		p->via[i] = plan[i].via4 != NULL;
	}
}

/*
 * A DNS64 answers AAAA with the address NAT64 would make from the A
 * answer (RFC 6147): one attempt, and it keeps the name it started with.
 * Before, the attempt began as plain IPv6 and its later events (failed,
 * connected) said "via NAT64" once the A answer's synthesis came in.
 */
static void
test_race_dns64_answer(dn_reactor *r)
{
	dn_prefix p = pfx("2001:db8:64::/96");
	dn_nat64_opts n = { .mode = DN_NAT64_AUTO, .prefixes = &p,
	    .nprefixes = 1 };
	dn_hostname_opts o;
	struct in6_addr six;
	struct in_addr four;
	struct fakedns f;
	struct planned pl;
	struct conn c;
	char want[64], labelled[80];
	uint16_t port;
	int fds[2];

	inet_pton(AF_INET6, SYN6, &six);
	inet_pton(AF_INET, "198.51.100.2", &four);
	if (stuck6(fds, &port) == -1)
		return;
	if (!use_server(r, &f, 0)) {
		close(fds[1]);
		close(fds[0]);
		return;
	}
	f.aaaa = &six;
	f.naaaa = 1;
	f.a = &four;
	f.na = 1;
	race_within(r, "dns64.test", port, &n, &c, 400);
	snprintf(want, sizeof(want), "connecting [" SYN6 "]:%u ", port);
	ok(c.calls == 1 && c.s == NULL && c.err.code == DN_ETIMEDOUT,
	    "AAAA and A for one address, the connect held: timed out (%s)",
	    c.err.msg);
	ok(strstr(c.trace, want) != NULL && strstr(strstr(c.trace, want) + 1,
	    "connecting") == NULL, "  one attempt, as plain IPv6 (%s)",
	    c.trace);
	snprintf(labelled, sizeof(labelled), "cancelled [" SYN6 "]:%u ", port);
	ok(strstr(c.trace, "synthesized") != NULL &&
	    strstr(c.trace, labelled) != NULL, "  the A answer's synthesis "
	    "does not rename it afterwards (%s)", c.trace);

	memset(&pl, 0, sizeof(pl));
	dn_hostname_opts_init(&o);
	o.nat64 = &n;
	if (dn_hostname_plan(r, "dns64.test", port, &o, plan_cb, &pl,
	    &c.err) != NULL)
		run_until(r, &pl.calls, 1, 2000);
	snprintf(want, sizeof(want), "[" SYN6 "]:%u", port);
	ok(pl.calls == 1 && pl.n == 1 && strcmp(pl.addr[0], want) == 0 &&
	    !pl.via[0], "  --plan: the same one entry, plain (%zu, %s%s)",
	    pl.n, pl.addr[0], pl.via[0] ? " via NAT64" : "");
	turns(r, 2);
	fakedns_stop(&f);
	close(fds[1]);
	close(fds[0]);
}

/* An IPv4 literal without a route, and a prefix given: no DNS at all. */
static void
test_race_literal(dn_reactor *r)
{
	dn_prefix p = pfx("2001:db8:64::/96");
	dn_nat64_opts n = { .mode = DN_NAT64_AUTO, .prefixes = &p,
	    .nprefixes = 1 };
	struct conn c;
	dn_listener *l;
	uint16_t port;
	char want[64];

	if ((l = listen6(r, SYN6, &port)) == NULL)
		return;
	race(r, "198.51.100.2", port, &n, &c);
	snprintf(want, sizeof(want), "[" SYN6 "]:%u", port);
	ok(c.s != NULL && strcmp(c.peer, want) == 0, "198.51.100.2 without "
	    "a route: connected to %s (%s)", want, c.s ? c.peer : c.err.msg);
	ok(strstr(c.trace, "synthesized [" SYN6) != NULL &&
	    strstr(c.trace, "[198.51.100.2]") != NULL &&
	    strstr(c.trace, "discovering") == NULL, "  traced as synthesised "
	    "for 198.51.100.2, no discovery (%s)", c.trace);
	ok(strstr(c.trace, "connecting 198.51.100.2") == NULL, "  no native "
	    "attempt without a route");
	dn_stream_close(c.s);
	dn_listener_close(l);
}

/* Nothing found: the native address fails and the error says why. */
static void
test_race_no_nat64(dn_reactor *r)
{
	struct fakedns f;
	struct conn c;

	if (!use_server(r, &f, 0))
		return;
	race(r, "198.51.100.2", 80, NULL, &c);
	ok(c.calls == 1 && c.s == NULL && c.err.code == DN_EUNREACH &&
	    strstr(c.err.msg, "no IPv4 route, and NAT64 cannot help: no "
	    "NAT64 prefix") != NULL, "no route, no NAT64: DN_EUNREACH naming "
	    "both (%s)", c.err.msg);
	ok(strstr(c.trace, "discovering") != NULL, "  discovery was tried");
	fakedns_stop(&f);
}

/* Discovered through the resolver (RFC 7050), then used. */
static void
test_race_discovered(dn_reactor *r)
{
	struct in6_addr wka;
	struct fakedns f;
	struct conn c;
	dn_listener *l;
	uint16_t port;

	inet_pton(AF_INET6, "2001:db8:64::c000:aa", &wka);
	if ((l = listen6(r, SYN6, &port)) == NULL)
		return;
	if (!use_server(r, &f, 0)) {
		dn_listener_close(l);
		return;
	}
	f.aaaa = &wka;
	f.naaaa = 1;
	race(r, "198.51.100.2", port, NULL, &c);
	ok(c.s != NULL && strstr(c.peer, SYN6) != NULL, "auto: discovered, "
	    "connected to %s (%s)", SYN6, c.s ? c.peer : c.err.msg);
	ok(strstr(c.trace, "discovering discovered 1 synthesized") != NULL,
	    "  trace: discovering, 1 prefix, synthesised (%s)", c.trace);
	ok(strstr(c.trace, "connected [" SYN6) != NULL &&
	    strstr(c.trace, "[198.51.100.2] ") != NULL, "  the connected "
	    "event names the IPv4 address too");
	dn_stream_close(c.s);
	dn_listener_close(l);
	fakedns_stop(&f);
}

/* "off": the IPv4 literal alone, failing at once. */
static void
test_race_off(dn_reactor *r)
{
	dn_nat64_opts n = { .mode = DN_NAT64_OFF };
	struct conn c;

	race(r, "198.51.100.2", 80, &n, &c);
	ok(c.calls == 1 && c.err.code == DN_EUNREACH &&
	    strstr(c.err.msg, "NAT64") == NULL && strstr(c.trace,
	    "discovering") == NULL, "off: unreachable, NAT64 not mentioned "
	    "(%s)", c.err.msg);
}

/* "always" where IPv4 has a route: both raced, the native one first. */
static void
test_race_always(dn_reactor *r)
{
	dn_prefix p = pfx("2001:db8:64::/96");
	dn_nat64_opts n = { .mode = DN_NAT64_ALWAYS, .prefixes = &p,
	    .nprefixes = 1 };
	struct conn c;

	race(r, "127.0.0.1", 9, &n, &c);
	ok(c.calls == 1 && c.err.code == DN_EREFUSED &&
	    strstr(c.err.msg, "(NAT64: 127.0.0.1 cannot be reached through "
	    "NAT64") != NULL, "always, 127.0.0.1: refused, and why there "
	    "was no NAT64 attempt (%s)", c.err.msg);
}

/* A hostname: description with its NAT64 keys. */
static void
test_desc_keys(dn_reactor *r)
{
	char text[128];
	dn_client_endpoint *ep;
	struct conn c;
	dn_listener *l;
	uint16_t port;
	dn_error e;

	if ((l = listen6(r, SYN6, &port)) == NULL)
		return;
	snprintf(text, sizeof(text), "hostname:198.51.100.2:%u:"
	    "nat64-prefix=2001\\:db8\\:64\\:\\:/96", port);
	memset(&c, 0, sizeof(c));
	ep = dn_client_endpoint_parse(text, NULL, &e);
	if (!ok(ep != NULL, "%s parses (%s)", text, ep ? "" : e.msg)) {
		dn_listener_close(l);
		return;
	}
	if (dn_client_endpoint_connect(r, ep, conn_cb, &c, &e) != NULL)
		run_until(r, &c.calls, 1, 3000);
	ok(c.s != NULL && strstr(c.peer, SYN6) != NULL, "  connects through "
	    "the prefix given (%s)", c.s ? c.peer : c.err.msg);
	dn_stream_close(c.s);
	dn_client_endpoint_free(ep);
	ok(dn_client_endpoint_parse("hostname:h:1:nat64=sometimes", NULL,
	    &e) == NULL && e.code == DN_EINVAL && strstr(e.msg, "auto, off or "
	    "always"), "nat64=sometimes: DN_EINVAL (%s)", e.msg);
	ok(dn_client_endpoint_parse("hostname:h:1:nat64-prefix=198.51.100.0/24",
	    NULL, &e) == NULL && e.code == DN_EFAMILY, "nat64-prefix= IPv4: "
	    "DN_EFAMILY (%s)", e.msg);
	dn_listener_close(l);
}

/* An address endpoint takes NAT64 too; tcp: does not. */
static void
test_addr_endpoint(dn_reactor *r)
{
	dn_prefix p = pfx("2001:db8:64::/96");
	dn_nat64_opts n = { .mode = DN_NAT64_AUTO, .prefixes = &p,
	    .nprefixes = 1 };
	dn_client_endpoint *ep, *tcp;
	dn_addr dest;
	struct conn c;
	dn_listener *l;
	uint16_t port;
	dn_error e;

	if ((l = listen6(r, SYN6, &port)) == NULL)
		return;
	dest = mk_addr("198.51.100.2", port);
	memset(&c, 0, sizeof(c));
	ep = dn_client_endpoint_new_addr(&dest, NULL, &e);
	ok(ep != NULL && dn_client_endpoint_set_nat64(ep, &n, &e) == 0,
	    "new_addr + set_nat64");
	if (ep != NULL && dn_client_endpoint_connect(r, ep, conn_cb, &c,
	    &e) != NULL)
		run_until(r, &c.calls, 1, 3000);
	ok(c.s != NULL && strstr(c.peer, SYN6) != NULL, "  198.51.100.2 "
	    "reached as %s (%s)", SYN6, c.s ? c.peer : c.err.msg);
	dn_stream_close(c.s);
	dn_client_endpoint_free(ep);
	tcp = dn_client_endpoint_parse("tcp:198.51.100.2:80", NULL, &e);
	ok(tcp != NULL && dn_client_endpoint_set_nat64(tcp, &n, &e) == -1 &&
	    e.code == DN_EINVAL && strstr(e.msg, "connects as it is given"),
	    "tcp: refuses NAT64 (%s)", e.msg);
	dn_client_endpoint_free(tcp);
	dn_listener_close(l);
}

struct opened {
	int calls;
	dn_error err;
	char dest[DN_ADDR_STRLEN], via[DN_ADDR_STRLEN];
};

static void
opened_cb(dn_dgram_open_req *q, const dn_dgram_opened *o,
    const dn_error *err, void *arg)
{
	struct opened *d = arg;

	(void)q;
	d->calls++;
	if (err != NULL) {
		d->err = *err;
		return;
	}
	dn_addr_format(o->dest, d->dest, sizeof(d->dest));
	if (o->via4 != NULL)
		dn_addr_format_host(o->via4, d->via, sizeof(d->via));
	dn_udp_close(o->udp);
}

static void
open_send(dn_reactor *r, const char *dest, const dn_nat64_opts *n,
    struct opened *d)
{
	dn_dgram_open_opts o;
	dn_dgram_endpoint *ep;
	dn_addr a = mk_addr(dest, 5555);
	dn_error e;

	memset(d, 0, sizeof(*d));
	memset(&o, 0, sizeof(o));
	o.nat64 = n;
	if ((ep = dn_dgram_endpoint_new_send_addr(&a, NULL, &e)) == NULL ||
	    dn_dgram_endpoint_open(r, ep, &o, opened_cb, d, &e) == NULL)
		d->err = e;
	else
		run_until(r, &d->calls, 1, 3000);
	dn_dgram_endpoint_free(ep);
	turns(r, 2);
}

/* A datagram goes to one address: the synthesised one, or none. */
static void
test_dgram(dn_reactor *r)
{
	dn_prefix p = pfx("2001:db8:64::/96");
	dn_nat64_opts n = { .mode = DN_NAT64_AUTO, .prefixes = &p,
	    .nprefixes = 1 };
	dn_nat64_opts off = { .mode = DN_NAT64_OFF };
	struct fakedns f;
	struct opened d;

	open_send(r, "198.51.100.2", &n, &d);
	ok(d.calls == 1 && strcmp(d.dest, "[" SYN6 "]:5555") == 0 &&
	    strcmp(d.via, "198.51.100.2") == 0, "datagrams to 198.51.100.2: "
	    "opened to %s via %s (%s)", d.dest, d.via, d.err.msg);
	open_send(r, "127.0.0.1", &n, &d);
	ok(d.calls == 1 && strcmp(d.dest, "127.0.0.1:5555") == 0 &&
	    d.via[0] == '\0', "127.0.0.1 has a route: as it is (%s)", d.dest);
	open_send(r, "198.51.100.2", &off, &d);
	ok(d.calls == 1 && strcmp(d.dest, "198.51.100.2:5555") == 0,
	    "off: as it is (%s)", d.dest);
	if (!use_server(r, &f, 0))
		return;
	open_send(r, "198.51.100.2", NULL, &d);
	ok(d.calls == 1 && d.err.code == DN_EUNREACH &&
	    strstr(d.err.msg, "no IPv4 route, and NAT64 cannot help") != NULL,
	    "no prefix: DN_EUNREACH saying why (%s)", d.err.msg);
	fakedns_stop(&f);
}

int
main(void)
{
	test_rfc6052_table();
	test_extract_rejects();
	test_prefix_rules();
	test_wkp_global_only();
	test_prefixes_from();
	each("test_discover", test_discover);
	each("test_discover_none", test_discover_none);
	each("test_discover_not_wka", test_discover_not_wka);
	each("test_discover_silent", test_discover_silent);
	each("test_discover_cancel", test_discover_cancel);
	each_freeing("test_discover_freed", test_discover_freed);
	if (netns_private("the races through NAT64 need a namespace without "
	    "IPv4 routes") && ok(add_lo6() == 0, "%s on lo (ip -6 addr add)", SYN6)) {
		each("test_race_literal", test_race_literal);
		each("test_race_no_nat64", test_race_no_nat64);
		each("test_race_discovered", test_race_discovered);
		each("test_race_dns64_answer", test_race_dns64_answer);
		each("test_race_off", test_race_off);
		each("test_race_always", test_race_always);
		each("test_desc_keys", test_desc_keys);
		each("test_addr_endpoint", test_addr_endpoint);
		each("test_dgram", test_dgram);
	}
	return tap_done(0);
}
