/* t_resolve_sys.c - the system resolver (getaddrinfo in threads) and tests/dnsd.py checked against c-ares and glibc. */

#include "config.h"

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "util.h"

static const char *argv0;

static void
res_cb(dn_resolve_req *req, int family, const dn_addr *addrs, size_t n,
    const dn_error *err, void *arg)
{
	(void)req;
	if (!rstate_record(arg, family, addrs, n, err))
		ok(0, "callback has addresses xor an error");
}

/* Worker threads alive (named "dn-resolve"): they are detached, this is
 * how we see them come and go. Sanitizer threads are not counted. */
static int
nthreads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
		    e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL &&
		    strncmp(comm, "dn-resolve", 10) == 0)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int
wait_threads(int want, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	int n;

	while ((n = nthreads()) > want && now_ms() < end)
		usleep(10000);
	return n;
}

/* ------------------------------------------------------------------ */
/* Without DNS: literals and /etc/hosts                               */
/* ------------------------------------------------------------------ */

static void
test_literal(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a, b, c, d;
	char buf[INET6_ADDRSTRLEN];
	int t0 = nthreads();

	memset(&a, 0, sizeof(a)); memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c)); memset(&d, 0, sizeof(d));
	dn_resolve_system(r, "192.0.2.7", 80, AF_INET, res_cb, &a, NULL);
	dn_resolve_system(r, "fe80::1%lo", 443, AF_INET6, res_cb, &b, NULL);
	dn_resolve_system(r, "::1", 80, AF_INET, res_cb, &c, NULL);
	dn_resolve_cancel(dn_resolve_system(r, "192.0.2.8", 80, AF_INET,
	    res_cb, &d, NULL));
	ok(a.calls + b.calls + c.calls + d.calls == 0,
	    "literal answers are not inline");
	is_int(nthreads(), t0, "literals start no thread");
	dn_reactor_run(r, NULL);
	ok(a.calls == 1 && a.naddrs == 1 &&
	    strcmp(host(&a.addrs[0], buf, sizeof(buf)), "192.0.2.7") == 0 &&
	    ntohs(a.addrs[0].u.sin.sin_port) == 80,
	    "IPv4 literal answered with its port");
	ok(b.calls == 1 && b.naddrs == 1 &&
	    b.addrs[0].u.sin6.sin6_scope_id == if_nametoindex("lo"),
	    "IPv6 literal keeps its zone as scope id");
	ok(c.calls == 1 && c.code == DN_ENODATA, "IPv6 literal asked as IPv4: "
	    "DN_ENODATA (%s)", c.msg);
	ok(d.calls == 1 && d.code == DN_ECANCELED, "literal cancelled: "
	    "DN_ECANCELED");
	dn_reactor_free(r);
}

static void
test_localhost(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a, b;
	char buf[INET6_ADDRSTRLEN] = "";
	int t0 = nthreads();

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ok(dn_resolve_system(r, "localhost", 8080, AF_INET, res_cb, &a,
	    NULL) != NULL,
	    "dn_resolve_system(localhost, IPv4, NULL) starts");
	ok(a.calls == 0, "no answer inline");
	run_until(r, &a.calls, 1, 5000);
	if (a.naddrs > 0)
		host(&a.addrs[0], buf, sizeof(buf));
	ok(a.calls == 1 && a.code == DN_OK && a.family == AF_INET &&
	    strcmp(buf, "127.0.0.1") == 0 &&
	    ntohs(a.addrs[0].u.sin.sin_port) == 8080 &&
	    a.addrs[0].len == sizeof(struct sockaddr_in),
	    "localhost/IPv4 from /etc/hosts: 127.0.0.1:8080 (%s)",
	    a.naddrs ? buf : a.msg);

	/* cancel while the thread runs: one DN_ECANCELED, the late answer
	 * is dropped */
	dn_resolve_cancel(dn_resolve_system(r, "localhost", 1, AF_INET, res_cb,
	    &b, NULL));
	ok(b.calls == 0, "cancel does not call back inline");
	dn_reactor_run_once(r, 0, NULL);
	ok(b.calls == 1 && b.code == DN_ECANCELED,
	    "cancelled: DN_ECANCELED on the next turn (%s)", b.msg);
	is_int(wait_threads(t0, 5000), t0, "the worker thread ended");
	/* its answer is in the mailbox now: one more turn reads and drops it */
	dn_reactor_run_once(r, 50, NULL);
	dn_reactor_run(r, NULL);
	ok(a.calls == 1 && b.calls == 1, "exactly one callback each");
	dn_reactor_free(r);
}

static void
test_free_in_flight(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a;
	int t0 = nthreads();

	memset(&a, 0, sizeof(a));
	dn_resolve_system(r, "localhost", 80, AF_INET, res_cb, &a, NULL);
	dn_reactor_free(r);
	ok(a.calls == 1 && a.code == DN_ECANCELED,
	    "reactor freed with a request in flight: one DN_ECANCELED (%s)",
	    a.msg);
	is_int(wait_threads(t0, 5000), t0, "the orphaned thread ended "
	    "(its mailbox is freed by it; LeakSanitizer checks at exit)");
	ok(a.calls == 1, "still exactly one callback");
}

static void
test_many(void)
{
	enum { N = 50 };
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate s[N];
	int i, total = 0, good = 0, once = 1, t0 = nthreads(), started;
	uint64_t end;

	memset(s, 0, sizeof(s));
	for (i = 0; i < N; i++)
		dn_resolve_system(r, "localhost", (uint16_t)(1000 + i),
		    AF_INET, res_cb, &s[i], NULL);
	/* while the loop does not turn, no answer is picked up and no
	 * queued request starts: the count can only fall once it peaked */
	started = 0;
	for (end = now_ms() + 300; now_ms() < end; usleep(5000))
		if (nthreads() - t0 > started)
			started = nthreads() - t0;
	ok(started <= 16, "never more than 16 worker threads (saw %d; the "
	    "namespace checks prove the bound with slow lookups)", started);
	end = now_ms() + 10000;
	while (now_ms() < end) {
		for (total = 0, i = 0; i < N; i++)
			total += s[i].calls;
		if (total >= N)
			break;
		dn_reactor_run_once(r, 10, NULL);
	}
	dn_reactor_run(r, NULL);
	for (total = 0, i = 0; i < N; i++) {
		total += s[i].calls;
		once &= s[i].calls == 1;
		good += s[i].code == DN_OK && s[i].naddrs >= 1 &&
		    ntohs(s[i].addrs[0].u.sin.sin_port) == 1000 + i;
	}
	ok(once && total == N, "%d concurrent requests: each called back "
	    "exactly once (%d calls)", N, total);
	is_int(good, N, "each answered 127.0.0.1 with its own port");
	dn_reactor_free(r);
	wait_threads(t0, 5000);
}

static void
test_bad_args(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	dn_error e;

	ok(dn_resolve_system(r, "localhost", 80, AF_UNSPEC, res_cb, NULL,
	    &e) == NULL && e.code == DN_EINVAL, "AF_UNSPEC refused with "
	    "DN_EINVAL (%s)", e.msg);
	ok(dn_resolve_system(r, NULL, 80, AF_INET, res_cb, NULL, NULL) == NULL,
	    "NULL host refused");
	dn_resolve_cancel(NULL);
	ok(1, "dn_resolve_cancel(NULL) is harmless");
	dn_reactor_free(r);
}

/* ------------------------------------------------------------------ */
/* tests/dnsd.py                                                      */
/* ------------------------------------------------------------------ */

struct dnsd {
	pid_t pid;
	int port;
	char dir[64];
};

static const char *
dnsd_path(char *buf, size_t len)
{
	const char *env = getenv("DN_DNSD");
	const char *dirs[2] = { getenv("DN_SRCDIR"), getenv("srcdir") };
	char *slash;
	size_t i;

	if (env != NULL && access(env, R_OK) == 0)
		return env;
	for (i = 0; i < DN__ARRLEN(dirs); i++) {
		if (dirs[i] == NULL)
			continue;
		snprintf(buf, len, "%s/tests/dnsd.py", dirs[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	/* tests/unit/t_resolve_sys -> tests/dnsd.py */
	snprintf(buf, len, "%s", argv0);
	if ((slash = strrchr(buf, '/')) != NULL) {
		*slash = '\0';
		strlcat(buf, "/../dnsd.py", len);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	snprintf(buf, len, "tests/dnsd.py");
	return access(buf, R_OK) == 0 ? buf : NULL;
}

static const char zone_text[] =
    "name.test A 198.51.100.2 198.51.100.3\n"
    "name.test AAAA fd00::2\n"
    "name.test AAAA delay=300\n"
    "nodata.test A 198.51.100.9\n"
    "nodata.test AAAA nodata\n"
    "gone.test ANY nxdomain\n"
    "broken.test AAAA servfail\n"
    "silent.test AAAA drop\n"
    "silent.test A 198.51.100.7\n";

/* Starts dnsd.py on 127.0.0.1:port (0 picks) and waits for its port
 * file; 0 or -1 with the reason in why. */
static int
dnsd_start(struct dnsd *d, int port, char *why, size_t whylen)
{
	char script[512], zone[128], pf[128], portarg[16], log[128];
	const char *py;
	uint64_t end;
	FILE *f;

	memset(d, 0, sizeof(*d));
	if ((py = dnsd_path(script, sizeof(script))) == NULL) {
		snprintf(why, whylen, "tests/dnsd.py not found (set DN_DNSD)");
		return -1;
	}
	snprintf(d->dir, sizeof(d->dir), "/tmp/t_resolve_sys.XXXXXX");
	if (mkdtemp(d->dir) == NULL) {
		snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	snprintf(zone, sizeof(zone), "%s/zone", d->dir);
	snprintf(pf, sizeof(pf), "%s/port", d->dir);
	snprintf(log, sizeof(log), "%s/log", d->dir);
	snprintf(portarg, sizeof(portarg), "%d", port);
	if ((f = fopen(zone, "w")) == NULL) {
		snprintf(why, whylen, "cannot write %s", zone);
		return -1;
	}
	fputs(zone_text, f);
	fclose(f);
	fflush(stdout);
	if ((d->pid = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd != -1)
			dup2(fd, 2);
		execlp("python3", "python3", py, "--listen", "127.0.0.1",
		    "--port", portarg, "--port-file", pf, "--zone", zone, "-v",
		    (char *)NULL);
		_exit(127);
	}
	end = now_ms() + 10000;
	while (now_ms() < end) {
		int st;

		if ((f = fopen(pf, "r")) != NULL) {
			int ok1 = fscanf(f, "%d", &d->port) == 1;

			fclose(f);
			if (ok1 && d->port > 0)
				return 0;
		}
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			snprintf(why, whylen, "dnsd.py exited (status %d, see "
			    "%s)", WEXITSTATUS(st), log);
			return -1;
		}
		usleep(20000);
	}
	snprintf(why, whylen, "dnsd.py did not report its port in 10 s");
	return -1;
}

static void
dnsd_stop(struct dnsd *d)
{
	char cmd[128];
	uint64_t end = now_ms() + 5000;
	int st;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		while (waitpid(d->pid, &st, WNOHANG) == 0 && now_ms() < end)
			usleep(10000);
		if (now_ms() >= end) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
		}
	}
	if (d->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
		if (system(cmd) != 0)
			diag("could not remove %s", d->dir);
	}
}

/* c-ares (dn_resolve) against dnsd.py on a loopback port. */
static void
test_dnsd_cares(void)
{
	dn_reactor *r = dn_reactor_new(NULL);
	struct rstate a4, a6, nd, gone, bad, sil, uc, mx;
	struct dnsd d;
	char why[256], servers[64], b1[INET6_ADDRSTRLEN], b2[INET6_ADDRSTRLEN];

	if (dnsd_start(&d, 0, why, sizeof(why)) == -1) {
		ok(1, "# SKIP dnsd.py with c-ares: %s", why);
		dnsd_stop(&d);
		dn_reactor_free(r);
		return;
	}
	snprintf(servers, sizeof(servers), "127.0.0.1:%d", d.port);
	ok(dn_reactor_set_dns_servers(r, servers, NULL) == 0,
	    "c-ares pointed at dnsd.py on %s", servers);
	/* above the 300 ms the zone holds the AAAA answer back */
	dn__resolver_set_timeout(r, 1000, 1, NULL);
	memset(&a4, 0, sizeof(a4)); memset(&a6, 0, sizeof(a6));
	memset(&nd, 0, sizeof(nd)); memset(&gone, 0, sizeof(gone));
	memset(&bad, 0, sizeof(bad)); memset(&sil, 0, sizeof(sil));
	memset(&uc, 0, sizeof(uc)); memset(&mx, 0, sizeof(mx));
	/* AAAA first: its answer is held 300 ms, the A answer is not */
	dn_resolve(r, "name.test", 80, AF_INET6, res_cb, &a6, NULL);
	dn_resolve(r, "name.test", 80, AF_INET, res_cb, &a4, NULL);
	run_until(r, &a4.calls, 1, 3000);
	ok(a4.calls == 1 && a6.calls == 0, "A answered while the delayed "
	    "AAAA is still pending");
	ok(a4.naddrs == 2 &&
	    strcmp(host(&a4.addrs[0], b1, sizeof(b1)), "198.51.100.2") == 0 &&
	    strcmp(host(&a4.addrs[1], b2, sizeof(b2)), "198.51.100.3") == 0,
	    "A name.test: 198.51.100.2 198.51.100.3");
	run_until(r, &a6.calls, 1, 3000);
	ok(a6.calls == 1 && a6.naddrs == 1 &&
	    strcmp(host(&a6.addrs[0], b1, sizeof(b1)), "fd00::2") == 0,
	    "AAAA name.test after its delay: fd00::2 (%s)", a6.msg);
	dn_resolve(r, "NoData.TEST", 80, AF_INET6, res_cb, &nd, NULL);
	dn_resolve(r, "gone.test", 80, AF_INET, res_cb, &gone, NULL);
	dn_resolve(r, "broken.test", 80, AF_INET6, res_cb, &bad, NULL);
	dn_resolve(r, "silent.test", 80, AF_INET6, res_cb, &sil, NULL);
	dn_resolve(r, "NAME.test", 80, AF_INET, res_cb, &uc, NULL);
	dn_resolve(r, "unknown.test", 80, AF_INET, res_cb, &mx, NULL);
	dn_reactor_run(r, NULL);
	ok(nd.code == DN_ENODATA, "nodata (mixed-case query): DN_ENODATA (%s)",
	    nd.msg);
	ok(gone.code == DN_ENONAME, "nxdomain: DN_ENONAME (%s)", gone.msg);
	ok(bad.code == DN_ESERVFAIL || bad.code == DN_EDNSTIMEOUT,
	    "servfail: DN_ESERVFAIL or DN_EDNSTIMEOUT (c-ares 1.18 reports "
	    "a lone failing server as refused) (%s: %s)", dn_err_name(bad.code),
	    bad.msg);
	ok(sil.code == DN_EDNSTIMEOUT, "drop: DN_EDNSTIMEOUT (%s)", sil.msg);
	ok(uc.code == DN_OK && uc.naddrs == 2, "names are case-insensitive");
	ok(mx.code == DN_ENONAME, "unknown name: DN_ENONAME (%s)", mx.msg);
	dn_reactor_free(r);
	dnsd_stop(&d);
}

/* ------------------------------------------------------------------ */
/* In a network namespace of our own: glibc's DNS path                */
/* ------------------------------------------------------------------ */

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Every worker thread blocks every signal (checked in /proc). */
static int
workers_block_all(int *seen)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int all = 1;
	pid_t self = getpid();

	*seen = 0;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[300], line[256];
		FILE *f;

		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status",
		    e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), f) == NULL ||
		    strncmp(line, "Name:\tdn-resolve", 16) != 0) {
			fclose(f);
			continue;
		}
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long long m;

			if (sscanf(line, "SigBlk: %llx", &m) == 1) {
				(*seen)++;
				/* SIGKILL, SIGSTOP cannot be blocked; glibc
				 * keeps SIGCANCEL (32), SIGSETXID (33) open */
				all &= (m | 1ull << 8 | 1ull << 18 |
				    1ull << 31 | 1ull << 32) == ~0ull;
			}
		}
		fclose(f);
	}
	closedir(d);
	return all;
}

static int
hosts_has(const char *addr, const char *name)
{
	FILE *f = fopen("/etc/hosts", "r");
	char line[512];
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *tok, *save, *p = strchr(line, '#');

		if (p != NULL)
			*p = '\0';
		if ((tok = strtok_r(line, " \t\n", &save)) == NULL ||
		    strcmp(tok, addr) != 0)
			continue;
		while ((tok = strtok_r(NULL, " \t\n", &save)) != NULL)
			if (strcasecmp(tok, name) == 0)
				found = 1;
	}
	fclose(f);
	return found;
}

static void
netns_checks(const char *dir)
{
	char rc[128], hosts[128];
	dn_reactor *r;
	struct rstate a, b, c, d, e;
	int t0, seen, fd, blocked;
	struct sockaddr_in sin;
	struct dnsd dd;
	char why[256], buf[INET6_ADDRSTRLEN] = "";
	int has6 = hosts_has("::1", "localhost");

	snprintf(rc, sizeof(rc), "%s/resolv.conf", dir);
	snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
	/* what `ip netns exec` does for /etc/netns/NAME/resolv.conf */
	if (!ok(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    write_file(rc, "nameserver 127.0.0.1\n"
	    "options timeout:1 attempts:1\n") == 0 &&
	    mount(rc, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0,
	    "namespace: /etc/resolv.conf -> 127.0.0.1, nothing listening"))
		return;
	if (system("ip link set lo up") != 0)
		diag("cannot bring lo up in the namespace");
	r = dn_reactor_new(NULL);
	t0 = nthreads();

	memset(&a, 0, sizeof(a));
	dn_resolve_system(r, "nosuch.test", 80, AF_INET, res_cb, &a, NULL);
	run_until(r, &a.calls, 1, 10000);
	ok(a.calls == 1 && (a.code == DN_ENONAME || a.code == DN_EDNSTIMEOUT) &&
	    strstr(a.msg, "nosuch.test") != NULL &&
	    strstr(a.msg, "IPv4") != NULL,
	    "nosuch.test: DN_ENONAME or DN_EDNSTIMEOUT, message names host "
	    "and family (%s: %s)", dn_err_name(a.code), a.msg);

	/* localhost over IPv6: only /etc/hosts can answer here */
	memset(&b, 0, sizeof(b));
	dn_resolve_system(r, "localhost", 80, AF_INET6, res_cb, &b, NULL);
	run_until(r, &b.calls, 1, 10000);
	if (b.naddrs > 0)
		host(&b.addrs[0], buf, sizeof(buf));
	/* RFC 6761 §6.3: answered without asking anyone, hosts file or not */
	ok(b.calls == 1 && b.code == DN_OK && strcmp(buf, "::1") == 0 &&
	    b.family == AF_INET6, "localhost/IPv6 is ::1 (%s)",
	    b.naddrs ? buf : b.msg);
	(void)has6;

	/* a server that never answers keeps the thread in getaddrinfo */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(fd != -1 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "silent UDP server on 127.0.0.1:53 in the namespace");
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	memset(&e, 0, sizeof(e));
	dn_resolve_system(r, "slow.test", 80, AF_INET, res_cb, &c, NULL);
	dn_reactor_run_once(r, 100, NULL);
	blocked = workers_block_all(&seen);
	ok(blocked && seen == 1 && nthreads() == t0 + 1,
	    "the worker thread blocks every signal (%d worker seen)", seen);
	{
		/* cancel the one in flight */
		dn_resolve_req *q = dn_resolve_system(r, "slow2.test", 80,
		    AF_INET, res_cb, &d, NULL);

		dn_reactor_run_once(r, 0, NULL);
		dn_resolve_cancel(q);
		dn_reactor_run_once(r, 0, NULL);
	}
	ok(d.calls == 1 && d.code == DN_ECANCELED && nthreads() > t0,
	    "cancel while getaddrinfo runs: DN_ECANCELED at once, the thread "
	    "still runs (%s)", d.msg);
	dn_resolve_system(r, "slow3.test", 80, AF_INET, res_cb, &e, NULL);
	dn_reactor_free(r);
	ok(e.calls == 1 && e.code == DN_ECANCELED && c.calls == 1 &&
	    c.code == DN_ECANCELED && nthreads() > t0,
	    "reactor freed under two threads inside getaddrinfo: returns at "
	    "once, one DN_ECANCELED each");
	is_int(wait_threads(t0, 15000), t0, "the orphaned threads end on "
	    "their own");
	ok(c.calls == 1 && d.calls == 1 && e.calls == 1, "and nobody hears "
	    "twice");

	/* 20 slow lookups: 16 threads, 4 queued that never start */
	{
		struct rstate m[20];
		char name[32];
		int i, n16, ncanc = 0, ncalls = 0;

		memset(m, 0, sizeof(m));
		r = dn_reactor_new(NULL);
		for (i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "slow%d.test", i);
			dn_resolve_system(r, name, 80, AF_INET, res_cb,
			    &m[i], NULL);
		}
		dn_reactor_run_once(r, 200, NULL);
		n16 = nthreads() - t0;
		dn_reactor_free(r);
		for (i = 0; i < 20; i++) {
			ncalls += m[i].calls;
			ncanc += m[i].calls == 1 && m[i].code == DN_ECANCELED;
		}
		is_int(n16, 16, "20 slow lookups: 16 threads, the rest queued");
		ok(ncalls == 20 && ncanc == 20, "reactor freed: 20 DN_ECANCELED, "
		    "one each (%d calls)", ncalls);
		ok(nthreads() - t0 <= 16, "the queued ones never start");
		is_int(wait_threads(t0, 15000), t0, "the 16 threads end on "
		    "their own");
	}
	close(fd);

	/* glibc's stub resolver against dnsd.py on port 53 */
	if (dnsd_start(&dd, 53, why, sizeof(why)) == -1) {
		ok(1, "# SKIP dnsd.py with getaddrinfo: %s", why);
		dnsd_stop(&dd);
		return;
	}
	{
		static const struct {
			const char *host;
			int family;
			dn_err want, alt;
			const char *first;
		} cases[] = {
			{ "name.test", AF_INET, DN_OK, DN_OK, "198.51.100.2" },
			{ "NAME.TEST", AF_INET6, DN_OK, DN_OK, "fd00::2" },
			{ "gone.test", AF_INET, DN_ENONAME, DN_ENONAME, NULL },
			/* glibc reports NODATA as EAI_NODATA, or as
			 * EAI_NONAME since 2.27 for some paths */
			{ "nodata.test", AF_INET6, DN_ENODATA, DN_ENONAME,
			    NULL },
			/* SERVFAIL is TRY_AGAIN to the stub resolver */
			{ "broken.test", AF_INET6, DN_EDNSTIMEOUT,
			    DN_ESERVFAIL, NULL },
			{ "silent.test", AF_INET6, DN_EDNSTIMEOUT,
			    DN_EDNSTIMEOUT, NULL },
		};
		struct rstate s[DN__ARRLEN(cases)];
		size_t i;
		int calls = 0;

		r = dn_reactor_new(NULL);
		memset(s, 0, sizeof(s));
		for (i = 0; i < DN__ARRLEN(cases); i++)
			dn_resolve_system(r, cases[i].host, 80,
			    cases[i].family, res_cb, &s[i], NULL);
		dn_reactor_run(r, NULL);
		for (i = 0; i < DN__ARRLEN(cases); i++) {
			buf[0] = '\0';
			if (s[i].naddrs > 0)
				host(&s[i].addrs[0], buf, sizeof(buf));
			calls += s[i].calls;
			ok(s[i].calls == 1 && (s[i].code == cases[i].want ||
			    s[i].code == cases[i].alt) &&
			    (cases[i].first == NULL ||
			    strcmp(buf, cases[i].first) == 0),
			    "getaddrinfo %s/%s via dnsd.py: %s (%s)",
			    cases[i].host, cases[i].family == AF_INET ?
			    "IPv4" : "IPv6", dn_err_name(s[i].code),
			    s[i].naddrs ? buf : s[i].msg);
		}
		ok(s[0].naddrs == 2, "both A records of name.test");
		dn_reactor_free(r);
	}
	dnsd_stop(&dd);
}

static void
test_netns(void)
{
	char dir[] = "/tmp/t_resolve_sys_ns.XXXXXX", cmd[96];
	int p[2], st, counts[2] = { 0, 0 };
	pid_t pid;

	if (geteuid() != 0) {
		ok(1, "# SKIP namespace checks (nosuch.test, glibc DNS "
		    "path, threads in getaddrinfo): not root");
		return;
	}
	if (mkdtemp(dir) == NULL || pipe(p) == -1) {
		ok(0, "temporary directory and pipe for the namespace child");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET | CLONE_NEWNS) == -1)
			ok(1, "# SKIP namespace checks: unshare: %s",
			    strerror(errno));
		else
			netns_checks(dir);
		counts[0] = tap_n;
		counts[1] = tap_failed;
		if (write(p[1], counts, sizeof(counts)) != sizeof(counts))
			_exit(3);
		close(p[1]);
		fflush(stdout);
		/* exit(), not _exit(): LeakSanitizer checks the child too */
		exit(0);
	}
	close(p[1]);
	if (pid == -1 || read(p[0], counts, sizeof(counts)) !=
	    sizeof(counts)) {
		close(p[0]);
		if (pid > 0)
			waitpid(pid, &st, 0);
		ok(0, "namespace child reported its checks");
		return;
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	tap_n = counts[0];
	tap_failed += counts[1];
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "namespace child exited "
	    "cleanly, without leaks (status %d)", WIFEXITED(st) ?
	    WEXITSTATUS(st) : -WTERMSIG(st));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

int
main(int argc, char **argv)
{
	(void)argc;
	argv0 = argv[0];
	signal(SIGPIPE, SIG_IGN);
	test_literal();
	resolve_zone_rules(dn_resolve_system, "dn_resolve_system");
	test_localhost();
	test_free_in_flight();
	test_many();
	test_bad_args();
	test_dnsd_cares();
	test_netns();
	return tap_done(0);
}
