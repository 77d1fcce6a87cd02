/* t_resolve.c - c-ares resolution in the reactor: literals, the hosts file, special names, DNS answers, timeouts, server lists. */

#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "util.h"

#define MS 1000000ull

/* ------------------------------------------------------------------ */
/* Resolution                                                         */
/* ------------------------------------------------------------------ */

static void
res_cb(dn_resolve_req *req, int family, const dn_addr *addrs, size_t n,
    const dn_error *err, void *arg)
{
	(void)req;
	ok(rstate_record(arg, family, addrs, n, err),
	    "callback has addresses xor an error");
}

static void
test_resolve_literal(dn_reactor *r)
{
	struct rstate a, b, c, d, e;
	char buf[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a)); memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c)); memset(&d, 0, sizeof(d));
	memset(&e, 0, sizeof(e));
	dn_resolve(r, "192.0.2.7", 80, AF_INET, res_cb, &a, NULL);
	dn_resolve(r, "fe80::1%lo", 443, AF_INET6, res_cb, &b, NULL);
	dn_resolve(r, "::1", 80, AF_INET, res_cb, &c, NULL);
	dn_resolve(r, "fe80::1%nosuchif0", 80, AF_INET6, res_cb, &d, NULL);
	dn_resolve(r, "name%eth0", 80, AF_INET6, res_cb, &e, NULL);
	ok(a.calls + b.calls + c.calls + d.calls + e.calls == 0,
	    "literal answers are not inline");
	dn_reactor_run(r, NULL);
	ok(a.calls == 1 && a.naddrs == 1 && a.family == AF_INET &&
	    strcmp(host(&a.addrs[0], buf, sizeof(buf)), "192.0.2.7") == 0 &&
	    ntohs(a.addrs[0].u.sin.sin_port) == 80 &&
	    a.addrs[0].len == sizeof(struct sockaddr_in),
	    "IPv4 literal answered with its port");
	ok(b.calls == 1 && b.naddrs == 1 &&
	    b.addrs[0].u.sin6.sin6_scope_id == if_nametoindex("lo") &&
	    ntohs(b.addrs[0].u.sin6.sin6_port) == 443,
	    "IPv6 literal keeps its zone as scope id");
	ok(c.calls == 1 && c.code == DN_ENODATA, "IPv6 literal asked as IPv4: "
	    "DN_ENODATA (%s)", c.msg);
	ok(d.calls == 1 && d.code == DN_EBADSCOPE, "unknown zone: DN_EBADSCOPE "
	    "(%s)", d.msg);
	ok(e.calls == 1 && e.code == DN_ENONAME, "a zone on a name: DN_ENONAME "
	    "(%s)", e.msg);
}

static void
test_resolve_localhost(dn_reactor *r)
{
	struct rstate a, b;
	char buf[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	dn_resolve(r, "localhost", 8080, AF_INET, res_cb, &a, NULL);
	ok(a.calls == 0, "hosts-file answer is not inline");
	dn_resolve_cancel(dn_resolve(r, "localhost", 1, AF_INET, res_cb, &b,
	    NULL));
	run_until(r, &a.calls, 1, 3000);
	run_until(r, &b.calls, 1, 3000);
	ok(a.calls == 1 && a.code == DN_OK && a.naddrs >= 1 &&
	    strcmp(host(&a.addrs[0], buf, sizeof(buf)), "127.0.0.1") == 0 &&
	    ntohs(a.addrs[0].u.sin.sin_port) == 8080,
	    "localhost/IPv4 from /etc/hosts: 127.0.0.1 (%s)",
	    a.naddrs ? buf : a.msg);
	ok(b.calls == 1 && b.code == DN_ECANCELED, "cancelled: DN_ECANCELED (%s)",
	    b.msg);
	dn_reactor_run(r, NULL);
	ok(a.calls == 1 && b.calls == 1, "exactly one callback each");
}

/* RFC 6761 names: answered at once, and no query leaves (the DNS server
 * here counts what reaches it). */
static void
test_resolve_special(dn_reactor *r)
{
	struct rstate a, b, c, d;
	struct fakedns f;
	char servers[64], buf[INET6_ADDRSTRLEN];

	memset(&a, 0, sizeof(a)); memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c)); memset(&d, 0, sizeof(d));
	ok(fakedns_start(r, &f, 0) == 0, "counting DNS server on loopback");
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f.port);
	ok(dn_reactor_set_dns_servers(r, servers, NULL) == 0, "DNS server set");
	dn_resolve(r, "localhost", 80, AF_INET6, res_cb, &a, NULL);
	dn_resolve(r, "Printer.LOCALHOST.", 80, AF_INET, res_cb, &b, NULL);
	dn_resolve(r, "nosuch.invalid", 80, AF_INET, res_cb, &c, NULL);
	ok(a.calls + b.calls + c.calls == 0, "special names are not inline");
	run_until(r, &a.calls, 1, 2000);
	run_until(r, &b.calls, 1, 2000);
	run_until(r, &c.calls, 1, 2000);
	ok(a.calls == 1 && a.naddrs == 1 &&
	    strcmp(host(&a.addrs[0], buf, sizeof(buf)), "::1") == 0,
	    "localhost/IPv6 is ::1");
	ok(b.calls == 1 && b.naddrs == 1 &&
	    strcmp(host(&b.addrs[0], buf, sizeof(buf)), "127.0.0.1") == 0,
	    "Printer.LOCALHOST. is 127.0.0.1");
	ok(c.calls == 1 && c.code == DN_ENONAME, "nosuch.invalid: DN_ENONAME "
	    "(%s)", c.msg);
	is_int(f.queries, 0, "no query for localhost or .invalid names");
	dn_resolve(r, "notlocalhost.test", 80, AF_INET, res_cb, &d, NULL);
	run_until(r, &d.calls, 1, 5000);
	ok(d.calls == 1 && f.queries >= 1, "notlocalhost.test is an ordinary "
	    "name: it was asked (%d queries)", f.queries);
	fakedns_stop(&f);
}

/* A name DNS cannot carry is refused before any query, on each path. */
static void
test_resolve_bad_name(dn_reactor *r)
{
	struct rstate a, b;
	struct fakedns f;
	char servers[64], name[80];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(name, 'a', 64);
	strcpy(name + 64, ".test");
	ok(fakedns_start(r, &f, 0) == 0, "counting DNS server on loopback");
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f.port);
	ok(dn_reactor_set_dns_servers(r, servers, NULL) == 0, "DNS server set");
	dn_resolve(r, name, 80, AF_INET, res_cb, &a, NULL);
	dn_resolve_system(r, "a..test", 80, AF_INET6, res_cb, &b, NULL);
	ok(a.calls + b.calls == 0, "bad names are answered on a later turn");
	run_until(r, &a.calls, 1, 2000);
	run_until(r, &b.calls, 1, 2000);
	ok(a.calls == 1 && a.code == DN_ESYNTAX &&
	    strstr(a.msg, "is 64 bytes: a label is at most 63") != NULL,
	    "a 64-byte label: DN_ESYNTAX (%s)", a.msg);
	ok(b.calls == 1 && b.code == DN_ESYNTAX &&
	    strstr(b.msg, "empty label") != NULL,
	    "system resolver, an empty label: DN_ESYNTAX (%s)", b.msg);
	is_int(f.queries, 0, "no query for either");
	fakedns_stop(&f);
}

static void
test_resolve_timeout(dn_reactor *r)
{
	struct fakedns f;
	struct rstate a;
	char servers[64];
	dn_error e;
	uint64_t t0, el;
	int started;

	memset(&a, 0, sizeof(a));
	/* not in one call: the port would be read before the start sets it */
	started = fakedns_start(r, &f, -1);
	ok(started == 0, "silent UDP server on 127.0.0.1:%u", f.port);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f.port);
	ok(dn_reactor_set_dns_servers(r, servers, &e) == 0, "set DNS server %s",
	    servers);
	ok(dn__resolver_set_timeout(r, 200, 1, &e) == 0, "timeout 200 ms, 1 try");
	t0 = dn_reactor_update_time(r);
	dn_resolve(r, "dualnet-timeout.test", 80, AF_INET, res_cb, &a, NULL);
	run_until(r, &a.calls, 1, 10000);
	el = (dn_reactor_now(r) - t0) / MS;
	ok(a.calls == 1 && a.code == DN_EDNSTIMEOUT,
	    "silent server: DN_EDNSTIMEOUT (%s)", a.msg);
	ok(f.queries >= 1, "the query reached our server (%d)", f.queries);
	ok(el >= 150 && el < 5000, "bounded in time (%llu ms)",
	    (unsigned long long)el);
	ok(strstr(a.msg, "dualnet-timeout.test") != NULL &&
	    strstr(a.msg, "IPv4") != NULL, "message names host and family");

	/* a cancelled query that c-ares still holds; then free under it */
	memset(&a, 0, sizeof(a));
	dn_resolve_cancel(dn_resolve(r, "dualnet-cancel.test", 80, AF_INET6,
	    res_cb, &a, NULL));
	run_until(r, &a.calls, 1, 2000);
	ok(a.calls == 1 && a.code == DN_ECANCELED, "cancel of an in-flight "
	    "query: DN_ECANCELED on the next turn");
	{
		struct rstate b;
		char what[128];

		memset(&b, 0, sizeof(b));
		dn_resolve(r, "dualnet-pending.test", 80, AF_INET, res_cb,
		    &b, NULL);
		dn_reactor_run_once(r, 0, NULL);
		fakedns_stop(&f);
		ok(dn__reactor_busy(r, what, sizeof(what)) &&
		    strstr(what, "1 handles") != NULL, "the leak check sees "
		    "the pending resolution (%s)", what);
		dn_reactor_free(r);
		ok(b.calls == 1 && b.code == DN_ECANCELED, "dn_reactor_free "
		    "completes a pending resolution once with DN_ECANCELED");
		ok(a.calls == 1, "the cancelled one is not called again");
	}
}

static void
test_resolve_rcodes(void)
{
	static const struct {
		int rcode;
		dn_err want;
		const char *what;
	} cases[] = {
		{ 3, DN_ENONAME, "NXDOMAIN" },
		{ 0, DN_ENODATA, "NODATA" },
		{ 2, DN_ESERVFAIL, "SERVFAIL" },
	};
	size_t i;

	for (i = 0; i < DN__ARRLEN(cases); i++) {
		dn_reactor *r = test_begin();
		struct fakedns f;
		struct rstate a;
		char servers[64], name[64];

		snprintf(name, sizeof(name), "test_resolve_rcodes %s",
		    cases[i].what);
		memset(&a, 0, sizeof(a));
		fakedns_start(r, &f, cases[i].rcode);
		snprintf(servers, sizeof(servers), "[::ffff:127.0.0.1]:%u,"
		    "127.0.0.1:%u", f.port, f.port);
		dn_reactor_set_dns_servers(r, servers, NULL);
		/* c-ares goes on to the next server after SERVFAIL */
		dn__resolver_set_timeout(r, 500, 1, NULL);
		dn_resolve(r, "dualnet-rcode.test", 80, AF_INET6, res_cb, &a,
		    NULL);
		run_until(r, &a.calls, 1, 5000);
		/* c-ares 1.18 reports SERVFAIL from every server as
		 * ARES_ECONNREFUSED: DN_EDNSTIMEOUT; later ones as SERVFAIL */
		ok(a.calls == 1 && (a.code == cases[i].want ||
		    (cases[i].rcode == 2 && a.code == DN_EDNSTIMEOUT)),
		    "%s -> %s (%s: %s)", cases[i].what,
		    dn_err_name(cases[i].want), dn_err_name(a.code), a.msg);
		fakedns_stop(&f);
		test_end(r, name);
	}
}

static void
test_resolve_refused(dn_reactor *r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct rstate a;
	char servers[64];
	int fd;

	/* a port nobody listens on: ICMP port unreachable */
	memset(&a, 0, sizeof(a));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		abort();
	close(fd);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(sin.sin_port));
	dn_reactor_set_dns_servers(r, servers, NULL);
	dn__resolver_set_timeout(r, 300, 1, NULL);
	dn_resolve(r, "dualnet-refused.test", 80, AF_INET, res_cb, &a, NULL);
	run_until(r, &a.calls, 1, 5000);
	ok(a.calls == 1 && a.code == DN_EDNSTIMEOUT, "closed server port: "
	    "DN_EDNSTIMEOUT (%s)", a.msg);
}

static void
test_dns_servers_syntax(dn_reactor *r)
{
	/* the address module's rules: no brackets on IPv4, no sign on a
	 * port, no zone on loopback (these three passed once) */
	static const char *bad[] = { "", "nope", "1.2.3.4:99999", "[::1",
	    "[::1]x", "1.2.3.4,,5.6.7.8", "fe80::1%lo", "1.2.3.4:0",
	    "[192.0.2.1]", "127.0.0.1:+53", "::1%lo", "fe80::1" };
	dn_error e;
	size_t i;

	for (i = 0; i < DN__ARRLEN(bad); i++) {
		memset(&e, 0, sizeof(e));
		ok(dn_reactor_set_dns_servers(r, bad[i], &e) == -1 &&
		    dn_err_kind_of(e.code) == DN_KIND_INPUT,
		    "bad server list '%s': %s", bad[i], e.msg);
	}
	/* the message quotes the bad entry, not the rest of the list */
	ok(dn_reactor_set_dns_servers(r, "[::1]x,127.0.0.1", &e) == -1 &&
	    strstr(e.msg, "'[::1]x'") != NULL &&
	    strstr(e.msg, "127.0.0.1") == NULL, "'[::1]x,127.0.0.1': %s",
	    e.msg);
	ok(dn_reactor_set_dns_servers(r, "[::1]:5353, 127.0.0.1,2001:db8::53",
	    NULL) == 0, "good server list accepted");
	ok(dn_reactor_set_dns_servers(r, NULL, NULL) == 0, "NULL: back to "
	    "resolv.conf");
}

int
main(void)
{
	each("test_resolve_literal", test_resolve_literal);
	resolve_zone_rules(dn_resolve, "dn_resolve");
	each("test_resolve_localhost", test_resolve_localhost);
	each("test_resolve_special", test_resolve_special);
	each("test_resolve_bad_name", test_resolve_bad_name);
	/* frees its reactor under a pending resolution: the one completion
	 * that dn_reactor_free owes it is the point */
	each_freeing("test_resolve_timeout", test_resolve_timeout);
	test_resolve_rcodes();	/* a reactor per case, checked each */
	each("test_resolve_refused", test_resolve_refused);
	each("test_dns_servers_syntax", test_dns_servers_syntax);
	return tap_done(0);
}
