/*
 * util.h - helpers more than one unit test needs: bounded loop turns,
 * address literals, a private network namespace, resolution recording,
 * a reactor per test and the check that the test left nothing behind.
 * Header-only like tap.h, and included after it; every function is
 * marked unused because no test needs all of them.
 */
#ifndef DN_TEST_UTIL_H
#define DN_TEST_UTIL_H

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dualnet.h"

#define UTIL_FN	__attribute__((unused)) static

#define ARRLEN(a)	(sizeof(a) / sizeof((a)[0]))

UTIL_FN uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Turns the loop until *counter reaches want or ms pass; returns whether
 * it got there. */
UTIL_FN int
run_until(dn_reactor *r, const int *counter, int want, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (*counter < want && now_ms() < end)
		if (dn_reactor_run_once(r, 20, NULL) == -1)
			break;
	return *counter >= want;
}

/* Turns that wait for nothing: what is already due runs, no more. */
UTIL_FN void
turns(dn_reactor *r, int n)
{
	while (n-- > 0)
		dn_reactor_run_once(r, 0, NULL);
}

/* As with -I IFACE: scope is the zone for a link-local address written
 * without one (NULL: none). A bad literal is said and gives a zero value,
 * which the test's own check then fails on. */
UTIL_FN dn_addr
parse_scoped(const char *text, const char *scope)
{
	dn_addr_hints h = { .flags = DN_ADDR_PORT_OPTIONAL,
	    .default_scope = scope, .what = "test" };
	dn_addr a;
	dn_error e;

	memset(&a, 0, sizeof(a));
	if (dn_addr_parse(&a, text, &h, &e) == -1)
		diag("parse %s: %s", text, e.msg);
	return a;
}

UTIL_FN dn_addr
parse(const char *text)
{
	return parse_scoped(text, NULL);
}

/* A numeric literal without the library's parser, for tests of the pure
 * logic (race, RFC 6724 sort); a bad one is the test's own bug. */
UTIL_FN dn_addr
mk_addr(const char *text, uint16_t port)
{
	dn_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(text, ':') != NULL) {
		a.u.sin6.sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, text, &a.u.sin6.sin6_addr) != 1)
			abort();
		a.u.sin6.sin6_port = htons(port);
		a.len = sizeof(a.u.sin6);
	} else {
		a.u.sin.sin_family = AF_INET;
		if (inet_pton(AF_INET, text, &a.u.sin.sin_addr) != 1)
			abort();
		a.u.sin.sin_port = htons(port);
		a.len = sizeof(a.u.sin);
	}
	return a;
}

/* The bare address, without port or zone; NULL for a family other than
 * IPv4 and IPv6. */
UTIL_FN const char *
host(const dn_addr *a, char *buf, size_t len)
{
	const void *p = a->u.sa.sa_family == AF_INET6 ?
	    (const void *)&a->u.sin6.sin6_addr : (const void *)&a->u.sin.sin_addr;

	return inet_ntop(a->u.sa.sa_family, p, buf, len);
}

/*
 * A private network namespace (root only) with lo up: nothing the test
 * sends can leave the machine. Says where the test runs, or what it is
 * limited to without one (without); returns 1 when in one.
 */
UTIL_FN int
netns_private(const char *without)
{
	struct ifreq ifr;
	int fd = -1, rv = 0;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) == -1)
		goto done;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		goto done;
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) == 0)
			rv = 1;
	}
done:
	if (fd != -1)
		close(fd);
	if (rv)
		diag("running in a private network namespace");
	else
		diag("not root or no namespaces: %s", without);
	return rv;
}

/* The reactor a whole test file shares: without one nothing can run, and
 * TAP's "Bail out!" says so. */
UTIL_FN dn_reactor *
reactor_or_bail(void)
{
	dn_reactor *r;
	dn_error e;

	if ((r = dn_reactor_new(&e)) == NULL) {
		printf("Bail out! %s\n", e.msg);
		exit(1);
	}
	return r;
}

/* What one dn_resolve_* callback delivered. */
struct rstate {
	int calls;
	int family;
	dn_err code;
	char msg[384];
	dn_addr addrs[8];
	size_t naddrs;
};

/* Records a resolution callback into s; returns whether it kept the
 * contract of addresses xor an error (each test reports that its way). */
UTIL_FN int
rstate_record(struct rstate *s, int family, const dn_addr *addrs, size_t n,
    const dn_error *err)
{
	size_t i;

	s->calls++;
	s->family = family;
	s->code = err != NULL ? err->code : DN_OK;
	snprintf(s->msg, sizeof(s->msg), "%s", err != NULL ? err->msg : "");
	for (i = 0; i < n && i < 8; i++)
		s->addrs[i] = addrs[i];
	s->naddrs = n;
	return err == NULL ? n > 0 && addrs != NULL : n == 0 && addrs == NULL;
}

/* A UDP "name server" on loopback, driven by the same reactor. */
struct fakedns {
	int fd;
	uint16_t port;
	int rcode;		/* -1: never answer */
	int queries;
	dn_io *io;
	/* the answer to an AAAA or A question (rcode 0), whatever the
	 * name: these records */
	const struct in6_addr *aaaa;
	size_t naaaa;
	const struct in_addr *a;
	size_t na;
};

/* Appends f's AAAA or A records after the question (RFC 1035 §4.1.3,
 * the name as a pointer to the question's); the new length. */
UTIL_FN size_t
fakedns_aaaa(const struct fakedns *f, unsigned char *buf, size_t n,
    size_t max)
{
	size_t q = 12, i, nrec, rlen;
	const unsigned char *recs;

	while (q < n && buf[q] != 0)	/* the question's name */
		q += 1u + buf[q];
	if (q + 5 > n || buf[q + 1] != 0 || (buf[q + 2] != 28 &&
	    buf[q + 2] != 1))
		return n;		/* neither AAAA nor A: no records */
	if (buf[q + 2] == 28) {
		recs = (const unsigned char *)f->aaaa;
		nrec = f->naaaa;
		rlen = 16;
	} else {
		recs = (const unsigned char *)f->a;
		nrec = f->na;
		rlen = 4;
	}
	n = q + 5;
	for (i = 0; i < nrec && n + 12 + rlen <= max; i++, n += 12 + rlen) {
		const unsigned char rr[12] = { 0xc0, 12, 0, buf[q + 2], 0, 1,
		    0, 0, 0, 60, 0, (unsigned char)rlen };

		memcpy(buf + n, rr, sizeof(rr));
		memcpy(buf + n + 12, recs + i * rlen, rlen);
	}
	buf[7] = (unsigned char)i;
	return n;
}

UTIL_FN void
fakedns_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	struct fakedns *f = arg;
	unsigned char buf[512];
	size_t len;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	(void)io;
	(void)events;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n < 12)
		return;
	f->queries++;
	if (f->rcode < 0)
		return;
	/* RFC 1035 §4.1.1: echo id and question, QR=1, RA=1, no answers */
	buf[2] = 0x80 | (buf[2] & 0x01);
	buf[3] = 0x80 | (unsigned char)f->rcode;
	buf[6] = buf[7] = buf[8] = buf[9] = buf[10] = buf[11] = 0;
	len = f->rcode == 0 ? fakedns_aaaa(f, buf, (size_t)n, sizeof(buf)) :
	    (size_t)n;
	(void)sendto(fd, buf, len, 0, (struct sockaddr *)&from, flen);
}

UTIL_FN int
fakedns_start(dn_reactor *r, struct fakedns *f, int rcode)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->rcode = rcode;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(f->fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	f->port = ntohs(sin.sin_port);
	f->io = dn_io_new(r, f->fd, DN_READABLE, fakedns_cb, f, NULL);
	return f->io != NULL ? 0 : -1;
}

UTIL_FN void
fakedns_stop(struct fakedns *f)
{
	dn_io_free(f->io);
	close(f->fd);
}

/* The library's own view of what keeps a reactor running (internal.h). */
int dn__reactor_busy(const dn_reactor *r, char *what, size_t len);

/* Descriptors this process has open now (/proc/self/fd, less the one
 * reading it). */
UTIL_FN int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

static int test_fds;	/* open_fds() when the running test began */

/* One test's own reactor; test_end() checks it leaves nothing behind. */
UTIL_FN dn_reactor *
test_begin(void)
{
	test_fds = open_fds();
	return reactor_or_bail();
}

/* Nothing keeps r running: no watcher, timer, deferred call or pending
 * request. */
UTIL_FN int
test_idle(dn_reactor *r, const char *name)
{
	char what[128];

	return ok(!dn__reactor_busy(r, what, sizeof(what)), "%s: nothing left "
	    "alive (%s)", name, what);
}

/* Every descriptor opened since test_begin() is closed again; the
 * reactor's own too, so only once it is freed. */
UTIL_FN int
test_closed(const char *name)
{
	return is_int(open_fds(), test_fds, "%s: no descriptor left open",
	    name);
}

/* After a test that cleaned up: nothing alive, then nothing open. */
UTIL_FN void
test_end(dn_reactor *r, const char *name)
{
	test_idle(r, name);
	dn_reactor_free(r);
	test_closed(name);
}

/* One test on a reactor of its own, which it must leave with nothing
 * alive and no descriptor open. */
UTIL_FN void
each(const char *name, void (*test)(dn_reactor *))
{
	dn_reactor *r = test_begin();

	test(r);
	test_end(r, name);
}

/*
 * A test that frees its reactor itself, to see dn_reactor_free() cope
 * with what is still in it (watchers, armed timers, pending requests):
 * the test asserts before the free what its reactor held, which need not
 * be nothing, and after it only the descriptors are left to check.
 */
UTIL_FN void
each_freeing(const char *name, void (*test)(dn_reactor *))
{
	test(test_begin());
	test_closed(name);
}

/* An interface index no interface has, for "no such scope" cases. */
UTIL_FN unsigned
no_such_ifindex(void)
{
	char name[IF_NAMESIZE];
	unsigned n;

	for (n = 99999; if_indextoname(n, name) != NULL; n++)
		;
	return n;
}

static void
zone_rules_cb(dn_resolve_req *req, int family, const dn_addr *addrs,
    size_t n, const dn_error *err, void *arg)
{
	(void)req;
	rstate_record(arg, family, addrs, n, err);
}

typedef dn_resolve_req *(*resolve_fn)(dn_reactor *r, const char *host,
    uint16_t port, int family, dn_resolve_cb cb, void *arg, dn_error *err);

/*
 * A literal given to a resolver obeys dn_addr_parse()'s zone rules: a
 * zone only where RFC 4291 gives the address one, on an interface that
 * exists. Both resolvers once took fe80::1%99 and 2001:db8::1%lo.
 */
UTIL_FN void
resolve_zone_rules(resolve_fn resolve, const char *who)
{
	char bad[64];
	struct {
		const char *host;
		dn_err code;
		unsigned scope;
	} t[] = {
		{ bad, DN_EBADSCOPE, 0 },
		{ "2001:db8::1%lo", DN_EBADSCOPE, 0 },
		{ "::1%lo", DN_EBADSCOPE, 0 },
		{ "fe80::1%lo:80", DN_ESYNTAX, 0 },
		{ "fe80::1%lo", DN_OK, if_nametoindex("lo") },
		{ "fe80::1", DN_OK, 0 },
		{ "ff02::1%1", DN_OK, 1 },
	};
	struct rstate st[sizeof(t) / sizeof(t[0])];
	dn_reactor *r = test_begin();
	char name[64];
	size_t i;

	snprintf(name, sizeof(name), "%s zone rules", who);
	snprintf(bad, sizeof(bad), "fe80::1%%%u", no_such_ifindex());
	memset(st, 0, sizeof(st));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		resolve(r, t[i].host, 80, AF_INET6, zone_rules_cb, &st[i],
		    NULL);
	dn_reactor_run(r, NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code != DN_OK)
			ok(st[i].calls == 1 && st[i].code == t[i].code,
			    "%s: %s refused as a literal is: %s (%s)", who,
			    t[i].host, dn_err_name(t[i].code), st[i].msg);
		else
			ok(st[i].calls == 1 && st[i].naddrs == 1 &&
			    st[i].addrs[0].u.sin6.sin6_scope_id == t[i].scope &&
			    dn_addr_port(&st[i].addrs[0]) == 80,
			    "%s: %s answered, scope id %u (%s)", who,
			    t[i].host, t[i].scope, st[i].msg);
	test_end(r, name);
}

#endif /* DN_TEST_UTIL_H */
