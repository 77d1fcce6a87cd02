/*
 * t_allport.c - the all-interfaces port: the port choice and its retries,
 * filters and following, driven with a table and sockets of the test's own
 * (no kernel); then the real thing for TCP and UDP in a private network
 * namespace: every address on one port, addresses added and removed,
 * links going down, the same link-local address on two links, a netlink
 * overflow re-read, and UDP replies from the address asked.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "util.h"

static int
has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static const char *
fmt(const dn_addr *a)
{
	static char buf[4][DN_ADDR_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return dn_addr_format(a, buf[i], sizeof(buf[i]));
}

/* --- events ------------------------------------------------------------ */

struct evrec {
	int n[DN_LISTEN_ACCEPT_RESUMED + 1];
	dn_addr last[DN_LISTEN_ACCEPT_RESUMED + 1];
	char reason[64];
	char msg[384];
	uint16_t retry_port;
	unsigned attempt;
	int close_in_cb;		/* dn__allport_free from inside */
	dn__allport *ap;
	dn_listener *l;			/* or dn_listener_close */
	char log[4096];			/* "+[::1]:5 -[..] ..." */
};

static void
on_event(const dn_listen_event *ev, void *arg)
{
	struct evrec *r = arg;
	size_t len = strlen(r->log);

	r->n[ev->kind]++;
	if (ev->addr != NULL)
		r->last[ev->kind] = *ev->addr;
	if (ev->reason != NULL)
		snprintf(r->reason, sizeof(r->reason), "%s", ev->reason);
	if (ev->err != NULL)
		snprintf(r->msg, sizeof(r->msg), "%s", ev->err->msg);
	if (ev->kind == DN_LISTEN_PORT_RETRY) {
		r->retry_port = ev->port;
		r->attempt = ev->attempt;
	}
	if (ev->addr != NULL)
		snprintf(r->log + len, sizeof(r->log) - len, "%s%s ",
		    ev->kind == DN_LISTEN_STARTED ? "+" :
		    ev->kind == DN_LISTEN_STOPPED ? "-" :
		    ev->kind == DN_LISTEN_FAILED ? "!" : "?", fmt(ev->addr));
	if (r->close_in_cb && r->ap != NULL) {
		dn__allport_free(r->ap, 1);
		r->ap = NULL;
	}
	if (r->close_in_cb && r->l != NULL) {
		dn_listener_close(r->l);
		r->l = NULL;
	}
}

/* --- a kernel of the test's own ------------------------------------- */

#define FAKE_MAX 64

struct fake {
	struct {
		char host[DN_ADDR_STRLEN];
		uint16_t port;
	} taken[16];
	int ntaken;
	uint16_t picks[8];	/* what port 0 gives, first free one */
	int npicks;
	int live, opened, closed;
	dn_addr sock[FAKE_MAX];	/* open sockets: addr (port set) */
	int used[FAKE_MAX];
};

static int
fake_taken(const struct fake *f, const char *host, uint16_t port)
{
	int i;

	for (i = 0; i < f->ntaken; i++)
		if (f->taken[i].port == port &&
		    strcmp(f->taken[i].host, host) == 0)
			return 1;
	return 0;
}

static void
take(struct fake *f, const char *host, uint16_t port)
{
	snprintf(f->taken[f->ntaken].host, sizeof(f->taken[0].host), "%s",
	    host);
	f->taken[f->ntaken++].port = port;
}

static void *
fake_open(void *ctx, const dn_addr *a, dn_addr *bound, dn_error *err)
{
	struct fake *f = ctx;
	char host[DN_ADDR_STRLEN];
	uint16_t port = dn_addr_port(a);
	int i;

	dn_addr_format_host(a, host, sizeof(host));
	if (port == 0) {
		for (i = 0; i < f->npicks; i++)
			if (!fake_taken(f, host, f->picks[i]))
				break;
		if (i == f->npicks)
			return dn__err(err, DN_ELOCAL, EADDRINUSE, "no port "
			    "left on %s", host), NULL;
		port = f->picks[i];
	} else if (fake_taken(f, host, port)) {
		*bound = *a;
		dn__err(err, DN_ELOCAL, EADDRINUSE, "cannot listen on %s: "
		    "Address already in use", fmt(a));
		return NULL;
	}
	for (i = 0; i < FAKE_MAX && f->used[i]; i++)
		;
	if (i == FAKE_MAX)
		return dn__err(err, DN_ENOMEM, ENOMEM, "fake full"), NULL;
	f->used[i] = 1;
	f->sock[i] = *a;
	dn_addr_set_port(&f->sock[i], port);
	*bound = f->sock[i];
	f->live++;
	f->opened++;
	return &f->sock[i];
}

static void
fake_close(void *ctx, void *sock)
{
	struct fake *f = ctx;
	int i = (int)((dn_addr *)sock - f->sock);

	if (i < 0 || i >= FAKE_MAX || !f->used[i]) {
		diag("fake_close of a socket not open");
		abort();
	}
	f->used[i] = 0;
	f->live--;
	f->closed++;
}

static const struct dn__allport_ops fake_ops = { fake_open, fake_close };

/* "127.0.0.1" on link idx with IFA_F_* flags. */
static void
tab_addr(dn__iftab *t, unsigned idx, const char *text, unsigned flags)
{
	unsigned char b[16];
	int fam = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

	if (inet_pton(fam, text, b) != 1)
		abort();
	dn__iftab_addr_set(t, idx, fam, b, flags);
}

static void
tab_del(dn__iftab *t, unsigned idx, const char *text)
{
	unsigned char b[16];
	int fam = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

	if (inet_pton(fam, text, b) != 1)
		abort();
	dn__iftab_addr_del(t, idx, fam, b);
}

/*
 * lo (1): 127.0.0.1 ::1; eth0 (E0): 192.0.2.1 2001:db8::1 fe80::1;
 * eth1 (E1): fe80::1; every link up. Indexes no real interface has, so
 * that scopes print as numbers.
 */
#define E0	91
#define E1	92

static void
host_table(dn__iftab *t)
{
	dn__iftab_init(t);
	dn__iftab_link_set(t, 1, IFF_UP | IFF_LOOPBACK, "lo");
	dn__iftab_link_set(t, E0, IFF_UP, "eth0");
	dn__iftab_link_set(t, E1, IFF_UP, "eth1");
	tab_addr(t, 1, "127.0.0.1", 0);
	tab_addr(t, 1, "::1", 0);
	tab_addr(t, E0, "192.0.2.1", 0);
	tab_addr(t, E0, "2001:db8::1", 0);
	tab_addr(t, E0, "fe80::1", 0);
	tab_addr(t, E1, "fe80::1", 0);
}

/* The slots as "addr addr ...", failed ones marked '!'. */
static const char *
slots(const dn__allport *ap)
{
	static char buf[1024];
	size_t i, n = dn__allport_nslots(ap), len = 0;
	dn_addr a;
	void *s;

	buf[0] = '\0';
	for (i = 0; i < n && len < sizeof(buf); i++) {
		s = dn__allport_sock(ap, i, &a);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s%s",
		    i ? " " : "", s == NULL ? "!" : "", fmt(&a));
	}
	return buf;
}

static dn__allport *
start(dn_reactor *r, uint16_t port, dn_all_opts *o, struct fake *f,
    struct evrec *ev, const dn__iftab *t, dn_error *e)
{
	memset(e, 0, sizeof(*e));
	o->event = on_event;
	o->event_arg = ev;
	return dn__allport_new(r, port, o, &fake_ops, f, t, e);
}

static void
t_choice(dn_reactor *r)
{
	struct evrec ev;
	struct fake f;
	dn__iftab t;
	dn_all_opts o;
	dn__allport *ap;
	dn_error e;

	host_table(&t);

	/* port 0: one pick, the same on all */
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	f.picks[0] = 40001;
	f.picks[1] = 40000;
	f.npicks = 2;
	dn_all_opts_init(&o);
	ap = start(r, 0, &o, &f, &ev, &t, &e);
	ok(ap != NULL, "port 0 on six addresses");
	if (ap != NULL) {
		is_str(slots(ap), "127.0.0.1:40001 192.0.2.1:40001 "
		    "[::1]:40001 [2001:db8::1]:40001 [fe80::1%91]:40001 "
		    "[fe80::1%92]:40001", "  one socket each, sorted, the same "
		    "link-local on two links twice");
		is_int(dn__allport_port(ap), 40001, "  the port is the pick");
		is_int(f.live, 6, "  six sockets open");
		is_int(ev.n[DN_LISTEN_STARTED] + ev.n[DN_LISTEN_PORT_RETRY], 0,
		    "  no event for the first binds");
		dn__allport_free(ap, 1);
	}
	is_int(f.live, 0, "closing closes every socket");

	/* the pick is taken on another address: release all, retry there */
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	f.picks[0] = 40001;
	f.picks[1] = 40000;
	f.npicks = 2;
	take(&f, "2001:db8::1", 40001);
	ap = start(r, 0, &o, &f, &ev, &t, &e);
	ok(ap != NULL, "port 0 whose first pick is taken on one address");
	is_int(ev.n[DN_LISTEN_PORT_RETRY], 1, "  one retry, told");
	is_str(fmt(&ev.last[DN_LISTEN_PORT_RETRY]), "[2001:db8::1]:40001",
	    "  naming the address and the port given up");
	ok(ev.retry_port == 40001 && ev.attempt == 1 &&
	    has(ev.msg, "Address already in use"), "  with the kernel's "
	    "reason and the try");
	if (ap != NULL) {
		is_int(dn__allport_port(ap), 40000, "  the second pick, made on "
		    "the address that refused the first");
		is_int(f.live, 6, "  six sockets, all on it");
		is_int(f.opened - f.live, 3, "  the three of the first pick "
		    "were released");
		dn__allport_free(ap, 1);
	}

	/* no port free everywhere: a bounded number of picks */
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	f.picks[0] = 40001;
	f.picks[1] = 40000;
	f.npicks = 2;
	take(&f, "2001:db8::1", 40001);
	take(&f, "127.0.0.1", 40000);
	ap = start(r, 0, &o, &f, &ev, &t, &e);
	ok(ap == NULL && e.code == DN_ELOCAL && e.os_errno == EADDRINUSE &&
	    has(e.msg, "no port is free on every address") &&
	    has(e.msg, "16 picks"), "no common port: gives up, saying so");
	diag("  %s", e.msg);
	is_int(ev.n[DN_LISTEN_PORT_RETRY], 15, "  after 15 retries");
	is_int(f.live, 0, "  and nothing stays open");

	/* a fixed port taken on one address */
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	take(&f, "fe80::1%92", 8080);
	ap = start(r, 8080, &o, &f, &ev, &t, &e);
	dn__allport_free(ap, 1);
	ok(ap == NULL && e.code == DN_ELOCAL &&
	    has(e.msg, "[fe80::1%92]:8080") &&
	    dn_err_kind_of(e.code) == DN_KIND_SYSTEM,
	    "a fixed port taken on one address: 71 naming it");
	is_int(f.live, 0, "  nothing stays open");
	is_int(ev.n[DN_LISTEN_PORT_RETRY], 0, "  and no retry: the port "
	    "was asked for");

	/* ... unless asked to skip */
	memset(&ev, 0, sizeof(ev));
	o.skip_unavailable = 1;
	ap = start(r, 8080, &o, &f, &ev, &t, &e);
	ok(ap != NULL, "skip-unavailable: the port is taken on one address");
	is_int(ev.n[DN_LISTEN_FAILED], 1, "  that address is told");
	is_str(fmt(&ev.last[DN_LISTEN_FAILED]), "[fe80::1%92]:8080",
	    "  by name");
	if (ap != NULL) {
		is_int(f.live, 5, "  the other five listen");
		ok(has(slots(ap), "![fe80::1%92]:8080"), "  its slot is kept "
		    "as failed");
		dn__allport_free(ap, 1);
	}

	/* ... and skipped everywhere, there is nothing to listen on */
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	take(&f, "127.0.0.1", 8080);
	take(&f, "192.0.2.1", 8080);
	take(&f, "::1", 8080);
	take(&f, "2001:db8::1", 8080);
	take(&f, "fe80::1%91", 8080);
	take(&f, "fe80::1%92", 8080);
	ap = start(r, 8080, &o, &f, &ev, &t, &e);
	ok(ap == NULL && e.code == DN_ELOCAL && e.os_errno == EADDRINUSE &&
	    has(e.msg, "no address could be bound") &&
	    has(e.msg, "Address already in use"), "skip-unavailable, the "
	    "port taken on every address: 71, with the last reason");
	is_int(ev.n[DN_LISTEN_FAILED], 6, "  each address told first");
	o.skip_unavailable = 0;
	dn__iftab_free(&t);
}

static void
filt(dn_reactor *r, const char *what, dn_all_opts *o, const char *want)
{
	struct evrec ev;
	struct fake f;
	dn__iftab t;
	dn__allport *ap;
	dn_error e;

	host_table(&t);
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	ap = start(r, 7, o, &f, &ev, &t, &e);
	if (ap == NULL) {
		ok(0, "%s: %s", what, e.msg);
		dn__iftab_free(&t);
		return;
	}
	is_str(slots(ap), want, "%s", what);
	dn__allport_free(ap, 1);
	dn__iftab_free(&t);
}

static void
t_filters(dn_reactor *r)
{
	struct evrec ev;
	struct fake f;
	dn_all_opts o;
	dn__iftab t;
	dn__allport *ap;
	dn_error e;
	unsigned m;

	dn_all_opts_init(&o);
	o.family = AF_INET6;
	filt(r, "family IPv6", &o, "[::1]:7 [2001:db8::1]:7 [fe80::1%91]:7 "
	    "[fe80::1%92]:7");
	dn_all_opts_init(&o);
	o.family = AF_INET;
	filt(r, "family IPv4", &o, "127.0.0.1:7 192.0.2.1:7");
	dn_all_opts_init(&o);
	o.scopes = DN_ALL_LINKLOCAL;
	filt(r, "scope link", &o, "[fe80::1%91]:7 [fe80::1%92]:7");
	o.scopes = DN_ALL_LOOPBACK | DN_ALL_GLOBAL;
	filt(r, "scopes loopback and global", &o,
	    "127.0.0.1:7 192.0.2.1:7 [::1]:7 [2001:db8::1]:7");
	dn_all_opts_init(&o);
	o.interfaces = "eth1";
	filt(r, "interface eth1", &o, "[fe80::1%92]:7");
	o.interfaces = "lo,92";
	filt(r, "interfaces lo and 92 (an index)", &o,
	    "127.0.0.1:7 [::1]:7 [fe80::1%92]:7");
	o.interfaces = NULL;
	o.exclude = "lo,eth1";
	filt(r, "exclude lo and eth1", &o, "192.0.2.1:7 [2001:db8::1]:7 "
	    "[fe80::1%91]:7");
	o.exclude = NULL;

	ok(dn_all_scopes_parse("loopback,link,global", &m, &e) == 0 &&
	    m == (DN_ALL_LOOPBACK | DN_ALL_LINKLOCAL | DN_ALL_GLOBAL),
	    "scopes parse: loopback,link,global");
	ok(dn_all_scopes_parse("link-local", &m, &e) == 0 &&
	    m == DN_ALL_LINKLOCAL, "scopes parse: link-local");
	ok(dn_all_scopes_parse("site", &m, &e) == -1 && e.code == DN_ESYNTAX &&
	    has(e.msg, "'site'"), "scopes parse: 'site' is refused by name");
	ok(dn_all_scopes_parse("link,", &m, &e) == -1 && has(e.msg, "''"),
	    "scopes parse: an empty one is refused");

	host_table(&t);
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	o.interfaces = "eth9";
	ap = start(r, 7, &o, &f, &ev, &t, &e);
	ok(ap == NULL && e.code == DN_EINVAL && has(e.msg, "'eth9'") &&
	    has(e.msg, "lo"), "an interface that does not exist: 64 naming "
	    "it and those that do");
	o.interfaces = "averyverylongname0";
	ap = start(r, 7, &o, &f, &ev, &t, &e);
	ok(ap == NULL && e.code == DN_ESYNTAX && has(e.msg, "too long") &&
	    has(e.msg, "averyverylongname0"), "a name longer than an "
	    "interface's: 64 naming the list");
	o.interfaces = NULL;
	o.exclude = "eth0,,eth1";
	ap = start(r, 7, &o, &f, &ev, &t, &e);
	ok(ap == NULL && e.code == DN_ESYNTAX && has(e.msg, "empty"),
	    "an empty name in a list: 64");
	o.exclude = NULL;
	o.family = AF_INET;
	o.interfaces = "eth1";
	ap = start(r, 7, &o, &f, &ev, &t, &e);
	ok(ap == NULL && e.code == DN_ELOCAL && has(e.msg, "no address to "
	    "listen on") && has(e.msg, "IPv4 only") && has(e.msg, "on eth1"),
	    "nothing matches: 71 saying which filters");
	diag("  %s", e.msg);
	dn__iftab_free(&t);

	/* down links and tentative addresses have no socket */
	dn__iftab_init(&t);
	dn__iftab_link_set(&t, 1, IFF_UP, "lo");
	dn__iftab_link_set(&t, E0, 0, "eth0");
	tab_addr(&t, 1, "::1", 0);
	tab_addr(&t, 1, "2001:db8::7", IFA_F_TENTATIVE);
	tab_addr(&t, 1, "2001:db8::8", IFA_F_TENTATIVE | IFA_F_OPTIMISTIC);
	tab_addr(&t, 1, "2001:db8::9", IFA_F_DADFAILED | IFA_F_TENTATIVE);
	tab_addr(&t, 1, "2001:db8::a", IFA_F_DEPRECATED);
	tab_addr(&t, E0, "192.0.2.1", 0);
	dn_all_opts_init(&o);
	ap = start(r, 7, &o, &f, &ev, &t, &e);
	ok(ap != NULL && strcmp(slots(ap), "[::1]:7 [2001:db8::8]:7 "
	    "[2001:db8::a]:7") == 0, "no socket on a down link, a tentative "
	    "or duplicate address; optimistic and deprecated ones have one");
	if (ap != NULL)
		diag("  %s", slots(ap));
	dn__allport_free(ap, 1);
	dn__iftab_free(&t);
}

static void
sync_(dn__allport *ap, struct evrec *ev)
{
	ev->log[0] = '\0';
	dn__allport_sync(ap);
}

static void
t_follow(dn_reactor *r)
{
	struct evrec ev;
	struct fake f;
	dn_all_opts o;
	dn__iftab t, *tt;
	dn__allport *ap;
	dn_error e;

	host_table(&t);
	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	f.picks[0] = 5555;
	f.npicks = 1;
	dn_all_opts_init(&o);
	ap = start(r, 0, &o, &f, &ev, &t, &e);
	dn__iftab_free(&t);
	if (!ok(ap != NULL, "a port to follow")) {
		diag("  %s", e.msg);
		return;
	}
	tt = dn__allport_tab(ap);

	tab_addr(tt, E0, "198.51.100.1", 0);
	sync_(ap, &ev);
	is_str(ev.log, "+198.51.100.1:5555 ", "an address comes: a socket "
	    "on the same port, told");
	tab_addr(tt, E0, "2001:db8::2", IFA_F_TENTATIVE);
	sync_(ap, &ev);
	is_str(ev.log, "", "a tentative one: nothing yet");
	tab_addr(tt, E0, "2001:db8::2", 0);
	sync_(ap, &ev);
	is_str(ev.log, "+[2001:db8::2]:5555 ", "DAD done: its socket");
	is_int(f.live, 8, "  eight sockets now");
	tab_del(tt, E0, "198.51.100.1");
	sync_(ap, &ev);
	is_str(ev.log, "-198.51.100.1:5555 ", "an address goes: its socket "
	    "closes, told");
	is_str(ev.reason, "address removed", "  as removed");

	/* the same global address on two links is one socket */
	tab_addr(tt, E1, "2001:db8::1", 0);
	sync_(ap, &ev);
	is_str(ev.log, "", "2001:db8::1 on a second link too: no new socket");
	dn__iftab_link_set(tt, E0, 0, NULL);
	sync_(ap, &ev);
	is_str(ev.log, "-192.0.2.1:5555 -[2001:db8::2]:5555 "
	    "-[fe80::1%91]:5555 ", "eth0 down: its own addresses stop, "
	    "2001:db8::1 stays on eth1");
	is_str(ev.reason, "link down", "  as link down");
	dn__iftab_link_set(tt, E0, IFF_UP, NULL);
	sync_(ap, &ev);
	is_str(ev.log, "+192.0.2.1:5555 +[2001:db8::2]:5555 "
	    "+[fe80::1%91]:5555 ", "eth0 up again: they come back on the port");

	/* a new address where the port is taken */
	take(&f, "203.0.113.5", 5555);
	tab_addr(tt, E0, "203.0.113.5", 0);
	sync_(ap, &ev);
	is_str(ev.log, "!203.0.113.5:5555 ", "the port taken on a new "
	    "address: told, the others serve");
	ok(has(ev.msg, "Address already in use"), "  with the reason");
	tab_addr(tt, E0, "203.0.113.6", 0);
	sync_(ap, &ev);
	is_str(ev.log, "+203.0.113.6:5555 ", "  not retried at each change");
	f.ntaken = 0;
	tab_del(tt, E0, "203.0.113.5");
	sync_(ap, &ev);
	is_str(ev.log, "", "  its going is no news");
	tab_addr(tt, E0, "203.0.113.5", 0);
	sync_(ap, &ev);
	is_str(ev.log, "+203.0.113.5:5555 ", "  and once back, tried again");

	dn__iftab_link_del(tt, E1);
	sync_(ap, &ev);
	is_str(ev.log, "-[fe80::1%92]:5555 ", "eth1 removed: its link-local "
	    "stops; 2001:db8::1 stays on eth0");

	/* the caller lets go of the port from inside an event */
	ev.close_in_cb = 1;
	ev.ap = ap;
	tab_addr(tt, 1, "127.0.0.2", 0);
	tab_addr(tt, 1, "127.0.0.3", 0);
	sync_(ap, &ev);
	is_str(ev.log, "+127.0.0.2:5555 ", "closed inside its first event: no "
	    "second one");
	is_int(f.live, 0, "  and every socket closed");
}

/* --- the real thing -------------------------------------------------- */

/* The defaults, with events recorded into a cleared ev. */
static void
opts_events(dn_all_opts *o, struct evrec *ev)
{
	memset(ev, 0, sizeof(*ev));
	dn_all_opts_init(o);
	o->event = on_event;
	o->event_arg = ev;
}

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		diag("'%s' said %d", cmd, rc);
	return rc;
}

struct acc {
	int n;
	dn_addr local;
};

static void
on_accept(dn_listener *l, dn_stream *s, void *arg)
{
	struct acc *a = arg;

	(void)l;
	a->n++;
	a->local = *dn_stream_local(s);
	dn_stream_close(s);
}

struct conn {
	int done;
	dn_err code;
};

static void
on_connect(dn_connect_req *q, dn_stream *s, const dn_error *err, void *arg)
{
	struct conn *c = arg;

	(void)q;
	c->done++;
	c->code = err != NULL ? err->code : DN_OK;
	dn_stream_close(s);
}

/* Connects to text (a literal with its zone) on port; the code. */
static dn_err
connect_to(dn_reactor *r, const char *text, uint16_t port, struct acc *a)
{
	dn_addr d = parse(text);
	struct conn c;
	int before = a->n;

	memset(&c, 0, sizeof(c));
	dn_addr_set_port(&d, port);
	if (dn_tcp_connect_addr(r, &d, NULL, on_connect, &c, NULL) == NULL)
		return DN_ENOMEM;
	run_until(r, &c.done, 1, 2000);
	if (c.code == DN_OK)
		run_until(r, &a->n, before + 1, 2000);
	return c.done ? c.code : DN_ETIMEDOUT;
}

static int
lcount(const dn_listener *l, const char *want)
{
	dn_addr a[512];
	size_t n = dn_listener_addrs(l, a, 512), i;

	for (i = 0; i < n && i < 512; i++)
		if (strcmp(fmt(&a[i]), want) == 0)
			return 1;
	return 0;
}

static void
t_tcp(dn_reactor *r)
{
	static const char *const targets[] = {
		"127.0.0.1", "::1", "192.0.2.1", "2001:db8::1", "fe80::1%ta",
		"fe80::1%tb"
	};
	char want[DN_ADDR_STRLEN];
	struct evrec ev;
	struct acc acc;
	dn_listener *l;
	dn_all_opts o;
	dn_error e;
	uint16_t port;
	size_t i;
	int code;

	memset(&acc, 0, sizeof(acc));
	opts_events(&o, &ev);
	l = dn_tcp_listen_all(r, 0, &o, NULL, on_accept, &acc, &e);
	if (!ok(l != NULL, "dn_tcp_listen_all, port 0")) {
		diag("  %s", e.msg);
		return;
	}
	port = dn_listener_port(l);
	is_int(dn_listener_addrs(l, NULL, 0), 6, "  six sockets on port %u",
	    port);
	is_int(dn_listener_fd(l), -1, "  no one fd for the port");
	for (i = 0; i < DN__ARRLEN(targets); i++) {
		dn_addr t = parse(targets[i]);

		dn_addr_set_port(&t, port);
		code = connect_to(r, targets[i], port, &acc);
		if (!ok(code == DN_OK && dn_addr_equal(&acc.local, &t),
		    "%s: accepted on that address", fmt(&t)))
			diag("  connect: %s; last accepted on %s",
			    dn_err_name(code), fmt(&acc.local));
	}
	sh("ip addr add 198.51.100.1/32 dev lo");
	ok(run_until(r, &ev.n[DN_LISTEN_STARTED], 1, 2000),
	    "an address added: a socket, told");
	snprintf(want, sizeof(want), "198.51.100.1:%u", port);
	is_str(fmt(&ev.last[DN_LISTEN_STARTED]), want, "  for it");
	ok(lcount(l, want), "  among the listener's addresses");
	ok(connect_to(r, "198.51.100.1", port, &acc) == DN_OK,
	    "  and it serves");
	sh("ip addr del 198.51.100.1/32 dev lo");
	ok(run_until(r, &ev.n[DN_LISTEN_STOPPED], 1, 2000),
	    "the address deleted: told");
	is_str(ev.reason, "address removed", "  as removed");
	ok(!lcount(l, want), "  gone from the listener's addresses");
	sh("ip link set ta down");
	ok(run_until(r, &ev.n[DN_LISTEN_STOPPED], 2, 2000),
	    "link ta down: its fe80::1 stops");
	snprintf(want, sizeof(want), "[fe80::1%%ta]:%u", port);
	is_str(fmt(&ev.last[DN_LISTEN_STOPPED]), want, "  that one");
	ok(connect_to(r, "fe80::1%tb", port, &acc) == DN_OK,
	    "  fe80::1%%tb still serves");
	sh("ip link set ta up && ip addr add fe80::1/64 dev ta nodad");
	ok(run_until(r, &ev.n[DN_LISTEN_STARTED], 2, 2000) &&
	    connect_to(r, "fe80::1%ta", port, &acc) == DN_OK,
	    "ta up again with fe80::1: listening and serving there again");
	ok(dn_listener_pause(l, 1, &e) == 0, "pause every socket");
	ok(dn_listener_pause(l, 0, &e) == 0 &&
	    connect_to(r, "::1", port, &acc) == DN_OK, "  and resume");

	/* closing from inside an event, with a second change queued */
	ev.close_in_cb = 1;
	ev.l = l;
	sh("ip addr add 198.51.100.2/32 dev lo && "
	    "ip addr add 198.51.100.3/32 dev lo");
	ok(run_until(r, &ev.n[DN_LISTEN_STARTED], 3, 2000) && ev.l == NULL,
	    "the listener closed inside an event");
	turns(r, 3);
	ok(connect_to(r, "198.51.100.2", port, &acc) == DN_EREFUSED,
	    "  nothing listens any more");
	sh("ip addr del 198.51.100.2/32 dev lo; "
	    "ip addr del 198.51.100.3/32 dev lo");
}

/* Lost notifications: the table is read anew and nothing is missed. */
/* ip -batch: VERB ("add", "del") 203.0.113.1-200/32 on lo, in one go. The
 * batch file is this process's own: two runs at once must not share it. */
static int
addrs_batch(const char *verb)
{
	char path[] = "/tmp/t_allport.XXXXXX", cmd[64];
	FILE *f;
	int fd, i, rv;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	for (i = 1; i <= 200; i++)
		fprintf(f, "addr %s 203.0.113.%d/32 dev lo\n", verb, i);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "ip -batch %s", path);
	rv = sh(cmd);
	unlink(path);
	return rv;
}

static void
t_rescan(dn_reactor *r)
{
	char want[DN_ADDR_STRLEN];
	struct evrec ev;
	struct acc acc;
	dn_listener *l;
	dn_all_opts o;
	dn_error e;

	memset(&acc, 0, sizeof(acc));
	opts_events(&o, &ev);
	o.rcvbuf = 1;		/* the kernel's smallest queue */
	o.family = AF_INET;
	l = dn_tcp_listen_all(r, 0, &o, NULL, on_accept, &acc, &e);
	if (!ok(l != NULL, "a port with a tiny netlink queue")) {
		diag("  %s", e.msg);
		return;
	}
	/* the loop is not running: the queue overflows */
	if (!ok(addrs_batch("add") == 0, "200 addresses added at once")) {
		dn_listener_close(l);
		return;
	}
	ok(run_until(r, &ev.n[DN_LISTEN_RESCAN], 1, 3000), "the queue "
	    "overflowed: a re-read, told");
	run_until(r, &ev.n[DN_LISTEN_STARTED], 200, 2000);
	is_int(dn_listener_addrs(l, NULL, 0), 202, "  202 addresses listen: "
	    "127.0.0.1, 192.0.2.1 and the 200 new");
	snprintf(want, sizeof(want), "203.0.113.200:%u", dn_listener_port(l));
	ok(lcount(l, want) && connect_to(r, "203.0.113.200",
	    dn_listener_port(l), &acc) == DN_OK, "  the last one serves");
	dn_listener_close(l);
	(void)addrs_batch("del");
}

struct urec {
	int n;
	dn_addr to;
};

static void
on_dgram(dn_udp *u, const dn_datagram *dg, const dn_error *err, void *arg)
{
	struct urec *ur = arg;
	dn_error e;

	if (err != NULL)
		return;
	ur->n++;
	ur->to = dg->to;
	(void)dn_udp_reply(u, dg, dg->data, dg->len, &e);
}

/* A client connected to text: only a reply from that address reaches
 * it (the kernel drops others on a connected socket). */
static int
udp_roundtrip(dn_reactor *r, const char *text, uint16_t port,
    struct urec *ur)
{
	dn_addr d = parse(text);
	char buf[16];
	int fd, got = 0, i, before = ur->n;
	ssize_t n;

	dn_addr_set_port(&d, port);
	if ((fd = socket(dn_addr_family(&d), SOCK_DGRAM | SOCK_NONBLOCK, 0)) ==
	    -1)
		return 0;
	if (connect(fd, &d.u.sa, d.len) == 0 && send(fd, "hi", 2, 0) == 2) {
		run_until(r, &ur->n, before + 1, 2000);
		for (i = 0; i < 100 && !got; i++) {
			turns(r, 1);
			n = recv(fd, buf, sizeof(buf), 0);
			if (n == 2)
				got = 1;
			else
				usleep(10000);
		}
	}
	close(fd);
	return got && ur->n == before + 1 && dn_addr_equal(&ur->to, &d);
}

static void
t_udp(dn_reactor *r)
{
	static const char *const targets[] = {
		"127.0.0.1", "::1", "192.0.2.1", "2001:db8::1", "fe80::1%ta",
		"fe80::1%tb"
	};
	struct evrec ev;
	struct urec ur;
	dn_udp_all *ua;
	dn_udp *socks[16];
	dn_all_opts o;
	dn_error e;
	uint16_t port;
	size_t i;

	memset(&ur, 0, sizeof(ur));
	opts_events(&o, &ev);
	ua = dn_udp_listen_all(r, 0, &o, NULL, &e);
	if (!ok(ua != NULL, "dn_udp_listen_all, port 0")) {
		diag("  %s", e.msg);
		return;
	}
	port = dn_udp_all_port(ua);
	is_int(dn_udp_all_socks(ua, socks, 16), 6, "  six sockets on %u",
	    port);
	for (i = 0; i < 6; i++)
		if (dn_udp_v6only(socks[i]) != (dn_addr_family(
		    dn_udp_addr(socks[i])) == AF_INET6 ? 1 : -1))
			break;
	ok(i == 6, "  IPv6 ones v6only");
	ok(dn_udp_all_recv_start(ua, on_dgram, &ur, NULL) == 0, "receiving");
	for (i = 0; i < DN__ARRLEN(targets); i++)
		ok(udp_roundtrip(r, targets[i], port, &ur), "%s: the datagram "
		    "came to it, the reply left from it", targets[i]);
	sh("ip addr add 198.51.100.9/32 dev lo");
	ok(run_until(r, &ev.n[DN_LISTEN_STARTED], 1, 2000) &&
	    udp_roundtrip(r, "198.51.100.9", port, &ur),
	    "a new address receives, and replies leave from it");
	sh("ip addr del 198.51.100.9/32 dev lo");
	ok(run_until(r, &ev.n[DN_LISTEN_STOPPED], 1, 2000),
	    "its removal is told");
	/* left open: dn_reactor_free() must let it go, leaking nothing */
}

static int
veth_setup(void)
{
	return sh("ip link add ta type veth peer name tb && "
	    "ip link set ta addrgenmode none && "
	    "ip link set tb addrgenmode none && "
	    "ip link set ta up && ip link set tb up && "
	    "ip addr add fe80::1/64 dev ta nodad && "
	    "ip addr add fe80::1/64 dev tb nodad && "
	    "ip addr add 192.0.2.1/32 dev lo && "
	    "ip addr add 2001:db8::1/128 dev lo nodad") == 0;
}

int
main(void)
{
	dn_reactor *r = reactor_or_bail();

	t_choice(r);
	t_filters(r);
	t_follow(r);
	if (netns_private("the real sockets and netlink are not tested") &&
	    veth_setup()) {
		t_tcp(r);
		t_rescan(r);
		t_udp(r);
	} else
		ok(1, "# SKIP real sockets: need root, namespaces, ip and "
		    "veth");
	dn_reactor_free(r);
	return tap_done(0);
}
