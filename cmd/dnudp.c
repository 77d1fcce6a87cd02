/*
 * dnudp - send standard input as UDP datagrams to HOST PORT and print the
 * replies, or listen (-l) and print, echo and count the datagrams that come.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dgram.h"

enum {
	OPT_CONNECT = DGRAM_OPT_FIRST_PRIVATE,
	OPT_ECHO,
	OPT_FLOW_LABEL
};

/* -l: the receive buffer asked for (net.core.rmem_max caps it). */
#define LISTEN_RCVBUF	(4 * 1024 * 1024)
/* Lines gathered for one dn_udp_send_many() (sendmmsg): at most this
 * many, and this many bytes (four of the longest lines). */
#define SEND_BATCH	64
#define BATCH_BYTES	(4 * DGRAM_LINE_MAX)

typedef struct udpc {
	dgram_prog p;		/* first: the hooks cast it back */
	int listen;		/* -l */
	int connect;		/* --connect */
	int echo;		/* --echo */
	int v6only;		/* -l: --v6only 1, --dual-stack 0, else -1 */
	dn_addr local;		/* -l: where to listen */
	int all;		/* -l --all-interfaces, udp-all: */
	int skip;		/* --skip-unavailable */
	uint16_t all_port;
	dn_all_opts ao;		/* -l --all-interfaces PORT */
	dn_dgram_endpoint *ep;	/* what to open: a description, or the
				 * arguments' (endpoint()) */
	int has_bind;
	dn_addr bind;		/* send: -b */
	dn_addr dest;		/* send */
	const char *host;	/* send: a name to resolve */
	uint16_t port;
	int resolve_family;
	uint32_t label;		/* --flow-label, for a resolved name */
	int has_label;
	cli_nat64 n64;		/* send: --nat64, --nat64-prefix */
	char *bbuf;		/* send: the lines of the batch */
	size_t bused;
	dn_udp_msg bm[SEND_BATCH];
	size_t bn;
	long long got;		/* datagrams printed */
	int sent_all;		/* stdin ended and its datagrams left */
} udpc;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dnudp [-46hqv] [-b ADDR] [-I IFACE] [-w SEC] [--connect] "
	    "[--count N]\n"
	    "             [--flow-label LABEL] [--from] [--hex] [--json] "
	    "[--max-size BYTES]\n"
	    "             [--nat64 MODE] [--nat64-prefix P/LEN] [--raw] HOST PORT\n"
	    "       dnudp -l [-46hqv] [-I IFACE] [-w SEC] [--count N] "
	    "[--dual-stack | --v6only]\n"
	    "             [--echo] [--from] [--hex] [--json] "
	    "[--max-size BYTES] [--raw]\n"
	    "             [--allow PREFIX] [--deny PREFIX] [--allow-file FILE] "
	    "[--deny-file FILE]\n"
	    "             [ADDR] PORT\n"
	    "       dnudp -l [options] --all-interfaces [--skip-unavailable] "
	    "PORT\n"
	    "       dnudp [options] ADDR:PORT | DESCRIPTION\n"
	    "       dnudp --version\n"
	    "\n"
	    "  -4, -6             IPv4 or IPv6 only\n"
	    "  -b ADDR            send from ADDR (address, ADDR:PORT or 4-tuple)\n"
	    "  -I IFACE           scope for link-local addresses given without one;\n"
	    "                     with --all-interfaces, the one interface to listen on\n"
	    "  -l                 listen on [ADDR] PORT and print the datagrams\n"
	    "  -q                 quiet: no 'listening on' line, no error messages\n"
	    "  -v                 trace each datagram on stderr with times since start\n"
	    "  -w SEC             send: wait SEC for replies after input ends;\n"
	    "                     -l: give up when nothing arrives for SEC seconds\n"
	    "  --all-interfaces   -l: a socket on every address of every interface, following\n"
	    "  --allow PREFIX     -l: take datagrams only from PREFIX (repeatable)\n"
	    "  --allow-file FILE  -l: --allow each prefix in FILE, one a line\n"
	    "  --connect          connect the socket: only the peer's replies, ICMP errors\n"
	    "  --count N          exit after N datagrams (-l) or N replies\n"
	    "  --deny PREFIX      -l: drop datagrams from PREFIX (repeatable)\n"
	    "  --deny-file FILE   -l: --deny each prefix in FILE\n"
	    "  --dual-stack       on an IPv6 wildcard, receive IPv4 too\n"
	    "  --echo             send each datagram back to its sender\n"
	    "  --flow-label LABEL IPv6 flow label to put on the wire (0..0xfffff)\n"
	    "  --from             prefix each datagram with its sender\n"
	    "  --hex              print datagrams as hex\n"
	    "  --json             events as JSON lines on stderr\n"
	    "  --nat64 MODE       send: auto (default: IPv4 without a route goes through\n"
	    "                     NAT64), off, or always\n"
	    "  --nat64-prefix P/LEN  send: NAT64 prefix instead of discovering it (repeatable)\n"
	    "  --max-size BYTES   longest datagram kept (1..65535, default 65535)\n"
	    "  --raw              datagrams as they are: no newline added or split on\n"
	    "  --skip-unavailable --all-interfaces: leave out addresses where PORT is taken\n"
	    "  --v6only           on an IPv6 wildcard, IPv6 only\n"
	    "  -h, --help         this help\n"
	    "  --version          print the version\n");
}

/* A connected send to a closed port: the contract's own words. */
static int
fail_dgram(dgram_prog *p, const dn_error *err)
{
	udpc *uc = (udpc *)p;
	char a[DN_ADDR_STRLEN];
	dn_error e;

	if (err->code != DN_EREFUSED)
		return cli_fail(&p->c, err);
	e = *err;
	snprintf(e.msg, sizeof(e.msg), "%s refused the datagram (port "
	    "unreachable)", dn_addr_format(&uc->dest, a, sizeof(a)));
	return cli_fail(&p->c, &e);
}

/* Sending, -w is the wait for replies after input ended. */
static void
replies_expired(dgram_prog *p)
{
	udpc *uc = (udpc *)p;

	if (p->out.count == 0) {
		dgram_finish(p, 0);
		return;
	}
	dgram_finish(p, cli_failf(&p->c, DN_ETIMEDOUT, 0, "%lld of %lld "
	    "replies arrived within %.3fs (-w)", uc->got, p->out.count,
	    (double)p->c.timeout_ns / 1e9));
}

/*
 * --echo: the reply leaves from the address the datagram arrived at
 * (RFC 1122 §4.1.3.5 for a multihomed host); the library queues it when
 * the socket is full and lets the kernel choose for a broadcast.
 */
static void
echo_back(udpc *uc, dn_udp *u, const dn_datagram *dg)
{
	char a[DN_ADDR_STRLEN];
	dn_error e;

	if (dn_udp_reply(u, dg, dg->data, dg->len, &e) == -1) {
		cli_warn(&uc->p.c, "cannot echo to %s: %s",
		    dn_addr_format(&dg->from, a, sizeof(a)), e.msg);
		return;
	}
	dgram_report_sent(&uc->p.c, &dg->from, dg->len);
}

static void
received(dgram_prog *p, dn_udp *u, const dn_datagram *dg)
{
	udpc *uc = (udpc *)p;

	uc->got++;
	if (uc->listen) {
		if (uc->echo)
			echo_back(uc, u, dg);
		if (p->out.count > 0 && uc->got >= p->out.count)
			dgram_finish(p, 0);
		else
			dgram_idle_restart(p);
		return;
	}
	if (uc->sent_all && p->out.count > 0 && uc->got >= p->out.count)
		dgram_finish(p, 0);
}

/* Standard input has ended and every datagram has left. */
static void
all_sent(dgram_prog *p)
{
	udpc *uc = (udpc *)p;

	uc->sent_all = 1;
	if (p->out.count > 0) {
		if (uc->got >= p->out.count)
			dgram_finish(p, 0);
		else
			dgram_idle_restart(p);
		return;
	}
	/* without -w, still one turn: what has already come back (a reply,
	 * an ICMP error on a connected socket) is handled before exit */
	dgram_timer_restart(p, p->c.timeout_ns);
}

static void
exit_drained(dn_udp *u, const dn_error *err, void *arg)
{
	udpc *uc = arg;

	uc->p.draining--;
}

/* Echoes the kernel could not take at once are still queued: a bounded
 * wait for them, on each socket that has some. */
static void
drain_at_exit(udpc *uc)
{
	dn_udp **v;
	size_t n, i;
	dn_error e;

	if (uc->p.draining || (v = dgram_socks(&uc->p, &n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (dn_udp_send_queued(v[i]) > 0 &&
		    dn_udp_drain(v[i], exit_drained, uc, &e) == 0)
			uc->p.draining++;
	for (i = 0; uc->p.draining > 0 && i < 100; i++)
		if (dn_reactor_run_once(uc->p.r, 100, &e) == -1)
			break;
	free(v);
}

/*
 * Sends the lines gathered so far in one sendmmsg(): at most a loop turn
 * after they were read, and a system call each cost more than the rest.
 */
static int
batch_flush(dgram_prog *p)
{
	udpc *uc = (udpc *)p;
	dn_error e;
	size_t i, n = uc->bn;

	if (n == 0 || p->done)
		return p->done ? -1 : 0;
	uc->bn = 0;
	uc->bused = 0;
	if (dn_udp_send_many(p->u, uc->bm, n, &e) == -1) {
		dgram_finish(p, fail_dgram(p, &e));
		return -1;
	}
	for (i = 0; i < n; i++)
		dgram_report_sent(&p->c, &uc->dest, uc->bm[i].len);
	return dgram_throttle(p);
}

static int
on_line(const void *buf, size_t len, void *arg)
{
	udpc *uc = arg;
	dn_udp_msg *m;

	if (uc->p.done)
		return -1;
	if ((uc->bn == SEND_BATCH || uc->bused + len > BATCH_BYTES) &&
	    batch_flush(&uc->p) == -1)
		return -1;
	m = &uc->bm[uc->bn++];
	memcpy(uc->bbuf + uc->bused, buf, len);
	m->buf = uc->bbuf + uc->bused;
	m->len = len;
	m->dest = uc->connect ? NULL : &uc->dest;
	uc->bused += len;
	return 0;
}

/* Sending: the destination is known now (a name resolved). */
static int
opened_send(dgram_prog *p, const dn_dgram_opened *o)
{
	char a[DN_ADDR_STRLEN], l[DN_ADDR_STRLEN], v[DN_ADDR_STRLEN + 16];
	udpc *uc = (udpc *)p;
	int rv;

	uc->dest = *o->dest;
	v[0] = '\0';
	if (o->via4 != NULL)
		snprintf(v, sizeof(v), " (%s via NAT64)",
		    dn_addr_format_host(o->via4, l, sizeof(l)));
	cli_trace(&p->c, "%s %s%s from %s", uc->connect ? "connected to" :
	    "sending to", dn_addr_format(&uc->dest, a, sizeof(a)), v,
	    dn_addr_format(dn_udp_addr(p->u), l, sizeof(l)));
	if ((rv = dgram_recv_start(p)) != 0)
		return rv;
	if ((uc->bbuf = malloc(BATCH_BYTES)) == NULL)
		return cli_failf(&p->c, DN_ENOMEM, errno, "out of memory "
		    "for a batch of datagrams");
	return dgram_input_start(p, on_line);
}

static int
opened_listen(dgram_prog *p, const dn_dgram_opened *o)
{
	int rv;

	(void)o;
	if ((rv = dgram_recv_start(p)) != 0)
		return rv;
	dgram_idle_restart(p);
	return 0;
}

/* The endpoint the arguments describe, when no description gave it. */
static int
endpoint(udpc *uc)
{
	dn_error e;

	if (uc->ep != NULL)
		return 0;
	if (uc->all)
		uc->ep = dn_dgram_endpoint_new_all(uc->all_port, &uc->ao, &e);
	else if (uc->listen)
		uc->ep = dn_dgram_endpoint_new_listen(&uc->local, uc->v6only,
		    &e);
	else if (uc->host != NULL)
		uc->ep = dn_dgram_endpoint_new_send_name(uc->host, uc->port,
		    uc->resolve_family, uc->has_bind ? &uc->bind : NULL, &e);
	else
		uc->ep = dn_dgram_endpoint_new_send_addr(&uc->dest,
		    uc->has_bind ? &uc->bind : NULL, &e);
	return uc->ep == NULL ? cli_fail(&uc->p.c, &e) : 0;
}

static int
open_endpoint(udpc *uc)
{
	dn_dgram_open_opts o;

	memset(&o, 0, sizeof(o));
	o.udp.max_datagram = uc->p.out.max_size;
	if (uc->listen)
		/* a burst arriving while we are scheduled out waits here
		 * instead of being dropped (the default holds some 300 small
		 * datagrams) */
		o.udp.rcvbuf = LISTEN_RCVBUF;
	o.connect = uc->connect;
	o.flow_label = uc->has_label ? uc->label : 0;
	o.nat64 = &uc->n64.o;
	o.trace = cli_connect_trace;
	o.trace_arg = &uc->p.c;
	o.event = cli_listen_event;
	o.event_arg = &uc->p.c;
	uc->p.opened = uc->listen ? opened_listen : opened_send;
	return dgram_open(&uc->p, uc->ep, &o);
}

/* HOST PORT, ADDR:PORT, a 4-tuple with its port, NAME:PORT */
static int
args_send(udpc *uc, int argc, char **argv, const char *flow_text,
    char *host, size_t hostlen)
{
	char a[DN_ADDR_STRLEN];
	dn_addr_hints hints;
	dn_error e;
	uint16_t port = 0;
	int literal = 0, have_port = 0, p;

	memset(&hints, 0, sizeof(hints));
	hints.family = uc->p.c.family;
	hints.default_scope = uc->p.c.scope;
	hints.what = "destination";
	hints.flags = argc == 1 ? DN_ADDR_PORT_REQUIRED : DN_ADDR_PORT_OPTIONAL;
	if (dn_addr_parse(&uc->dest, argv[0], &hints, &e) == 0)
		literal = 1;
	else if (e.code != DN_ENOTLITERAL)
		return cli_fail(&uc->p.c, &e);
	if (argc == 2) {
		if (cli_parse_port(argv[1], 0, &port, &e) == -1)
			return cli_fail(&uc->p.c, &e);
		if (literal && dn_addr_port(&uc->dest) != 0 &&
		    dn_addr_port(&uc->dest) != port)
			return cli_usage_fail(&uc->p.c, "the port is given "
			    "twice (%u in %s, and %u): give it once",
			    dn_addr_port(&uc->dest), argv[0], port);
		have_port = 1;
	}
	if (!literal) {
		if (dn_hostport_split(argv[0], host, hostlen, &p, &e) == -1)
			return cli_fail(&uc->p.c, &e);
		if (argc == 1) {
			if (p < 0)
				return cli_usage_fail(&uc->p.c, "%s has no "
				    "port: give HOST PORT or HOST:PORT",
				    argv[0]);
			port = (uint16_t)p;
		} else if (p >= 0)
			return cli_usage_fail(&uc->p.c, "the port is given "
			    "twice (%d in %s, and %u): give it once", p,
			    argv[0], port);
		if (port == 0)
			return cli_usage_fail(&uc->p.c, "port 0 of %s cannot "
			    "be sent to: give 1 to 65535", argv[0]);
		if (uc->p.c.scope != NULL)
			return cli_usage_fail(&uc->p.c, "-I %s: a scope goes "
			    "with an address literal, and %s is a name",
			    uc->p.c.scope, host);
		/* plan point 5: names resolve to IPv4 unless -6 */
		uc->resolve_family = uc->p.c.family == AF_INET6 ? AF_INET6 :
		    AF_INET;
		if (flow_text != NULL && uc->resolve_family != AF_INET6)
			return cli_usage_fail(&uc->p.c, "--flow-label needs "
			    "IPv6 but %s resolves to IPv4 only here: add -6",
			    host);
		if (uc->has_bind &&
		    dn_addr_family(&uc->bind) != uc->resolve_family)
			return cli_usage_fail(&uc->p.c, "bind address %s is "
			    "%s but %s resolves to %s only here%s",
			    dn_addr_format_host(&uc->bind, a, sizeof(a)),
			    dn_addr_family(&uc->bind) == AF_INET6 ? "IPv6" :
			    "IPv4", host, uc->resolve_family == AF_INET6 ?
			    "IPv6" : "IPv4", uc->resolve_family == AF_INET ?
			    ": add -6" : "");
		uc->host = host;
		uc->port = port;
		return 0;
	}
	if (have_port)
		dn_addr_set_port(&uc->dest, port);
	if (dn_addr_port(&uc->dest) == 0)
		return cli_usage_fail(&uc->p.c, "port 0 of %s cannot be sent "
		    "to: give 1 to 65535", argv[0]);
	if (flow_text != NULL) {
		if (dn_addr_family(&uc->dest) != AF_INET6)
			return cli_usage_fail(&uc->p.c, "--flow-label needs an "
			    "IPv6 destination, and %s is IPv4", argv[0]);
		if (dn_addr_flowinfo(&uc->dest) != 0 &&
		    dn_addr_flowinfo(&uc->dest) != uc->label)
			return cli_usage_fail(&uc->p.c, "--flow-label %s and "
			    "the flowinfo 0x%x in %s disagree: give one",
			    flow_text, dn_addr_flowinfo(&uc->dest), argv[0]);
		if (dn_addr_set_flowinfo(&uc->dest, uc->label, &e) == -1)
			return cli_fail(&uc->p.c, &e);
	}
	if (uc->has_bind && dn_addr_check_bind(&uc->bind, &uc->dest, &e) == -1)
		return cli_fail(&uc->p.c, &e);
	/* -I only fills in a missing scope */
	if (uc->p.c.scope != NULL && !dn_addr_needs_scope(&uc->dest) &&
	    (!uc->has_bind || !dn_addr_needs_scope(&uc->bind)))
		return cli_usage_fail(&uc->p.c, "-I %s: %s takes no scope, so "
		    "-I has nothing to apply to: drop it", uc->p.c.scope,
		    argv[0]);
	return 0;
}

/* A description decides the mode: udp:PORT listens, udp:host=H sends. */
static int
args_description(udpc *uc, const char *text, const char *flow_text)
{
	dn_endpoint_defaults defs;
	dn_dgram_endpoint *ep;
	dn_error e;
	int rv = EX_USAGE_;

	dn_endpoint_defaults_init(&defs);
	defs.default_scope = uc->p.c.scope;
	defs.bind = uc->has_bind ? &uc->bind : NULL;
	defs.family = uc->p.c.family;
	defs.v6only = uc->v6only;
	defs.all = &uc->ao;
	if ((ep = dn_dgram_endpoint_parse(text, &defs, &e)) == NULL)
		return cli_fail(&uc->p.c, &e);
	switch (dn_dgram_endpoint_kind(ep)) {
	case DN_DGRAM_MULTICAST:
		cli_usage_fail(&uc->p.c, "multicast: descriptions go to "
		    "dnmcast");
		goto done;
	case DN_DGRAM_LISTEN_ALL:
		if (uc->all) {
			cli_usage_fail(&uc->p.c, "--all-interfaces takes a "
			    "port, not the description '%s'", text);
			goto done;
		}
		uc->listen = 1;
		uc->all = 1;
		break;
	case DN_DGRAM_LISTEN:
		if (uc->all) {
			cli_usage_fail(&uc->p.c, "--all-interfaces takes a "
			    "port, not the description '%s'", text);
			goto done;
		}
		uc->listen = 1;
		if (uc->v6only >= 0 &&
		    dn_dgram_endpoint_v6only(ep) != uc->v6only) {
			cli_usage_fail(&uc->p.c, "%s and v6only= in the "
			    "description disagree: give one", uc->v6only ?
			    "--v6only" : "--dual-stack");
			goto done;
		}
		break;
	case DN_DGRAM_SEND:
		if (uc->listen) {
			cli_usage_fail(&uc->p.c, "%s sends (it has a host): "
			    "drop -l, or give udp:PORT to listen", text);
			goto done;
		}
		if (flow_text != NULL) {
			cli_usage_fail(&uc->p.c, "--flow-label does not go "
			    "with a description: give HOST PORT or a 4-tuple");
			goto done;
		}
		break;
	}
	uc->ep = ep;
	ep = NULL;
	rv = 0;
done:
	dn_dgram_endpoint_free(ep);
	return rv;
}

/* Options that belong to the other mode are mistakes, not defaults. */
static int
check_mode(udpc *uc, int bind_given, const char *flow_text, int v6flag)
{
	const char *bad = NULL;

	if (uc->skip && !uc->all)
		return cli_usage_fail(&uc->p.c, "--skip-unavailable goes with "
		    "--all-interfaces (or udp-all:PORT:skip-unavailable=yes)");
	if (uc->all && v6flag >= 0)
		return cli_usage_fail(&uc->p.c, "%s does not go with "
		    "--all-interfaces: it binds each address on its own, IPv6 "
		    "ones v6only", v6flag ? "--v6only" : "--dual-stack");
	if (!uc->listen && uc->all)
		return cli_usage_fail(&uc->p.c, "--all-interfaces goes with -l "
		    "(listening), not with sending");
	if (!uc->listen && uc->p.acl != NULL)
		return cli_usage_fail(&uc->p.c, "--allow and --deny go with -l "
		    "(listening), not with sending");
	if (uc->listen) {
		if (bind_given)
			bad = "-b";
		else if (uc->connect)
			bad = "--connect";
		else if (flow_text != NULL)
			bad = "--flow-label";
		if (bad != NULL)
			return cli_usage_fail(&uc->p.c, "%s goes with "
			    "sending, not with -l", bad);
		if (uc->p.out.raw && uc->p.out.hex)
			return cli_usage_fail(&uc->p.c, "--raw and --hex "
			    "contradict each other: give one");
		return 0;
	}
	if (uc->echo)
		bad = "--echo";
	else if (v6flag == 1)
		bad = "--v6only";
	else if (v6flag == 0)
		bad = "--dual-stack";
	if (bad != NULL)
		return cli_usage_fail(&uc->p.c, "%s goes with -l "
		    "(listening), not with sending", bad);
	return 0;
}

/* -l --all-interfaces PORT */
static int
args_all(udpc *uc, int argc, char **argv)
{
	dn_error e;

	if (argc > 1)
		return cli_usage_fail(&uc->p.c, "--all-interfaces takes the "
		    "port alone, not an address: give -l --all-interfaces "
		    "PORT");
	if (cli_parse_port(argv[0], 1, &uc->all_port, &e) == -1)
		return cli_fail(&uc->p.c, &e);
	uc->ao.interfaces = uc->p.c.scope;
	return 0;
}

/* Everything after the options: what to open, checked. */
static int
args(udpc *uc, int argc, char **argv, const char *bind_text,
    const char *flow_text, char *host, size_t hostlen)
{
	dn_addr_hints hints;
	dn_error e;
	int rc = 0, v6flag;

	v6flag = uc->v6only = uc->p.c.v6only;
	if (argc < 1)
		return cli_usage_fail(&uc->p.c, "missing %s: give %s, ADDR:PORT "
		    "or a description (see dnudp -h)", uc->listen ? "port" :
		    "destination", uc->listen ? "[ADDR] PORT" : "HOST PORT");
	if (argc > 2)
		return cli_usage_fail(&uc->p.c, "too many arguments, from '%s' "
		    "on: give %s, ADDR:PORT or a description", argv[2],
		    uc->listen ? "[ADDR] PORT" : "HOST PORT");
	if (flow_text != NULL &&
	    cli_parse_flowlabel(flow_text, &uc->label, &e) == -1)
		return cli_fail(&uc->p.c, &e);
	uc->has_label = flow_text != NULL;
	if (uc->n64.given != NULL && uc->listen)
		return cli_usage_fail(&uc->p.c, "%s is for sending: -l "
		    "receives what comes", uc->n64.given);
	/* synthesised destinations are IPv6, which -4 rules out */
	if (uc->n64.given != NULL && uc->p.c.family == AF_INET)
		return cli_usage_fail(&uc->p.c, "%s reaches IPv4 through IPv6, "
		    "and -4 allows IPv4 only: drop one", uc->n64.given);
	if (uc->p.c.family == AF_INET)
		uc->n64.o.mode = DN_NAT64_OFF;
	if (bind_text != NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.family = uc->p.c.family;
		hints.default_scope = uc->p.c.scope;
		hints.flags = DN_ADDR_PORT_OPTIONAL;
		hints.what = "bind address";
		if (dn_addr_parse(&uc->bind, bind_text, &hints, &e) == -1)
			return cli_fail(&uc->p.c, &e);
		uc->has_bind = 1;
	}
	dn_all_opts_init(&uc->ao);
	uc->ao.family = uc->p.c.family;
	uc->ao.skip_unavailable = uc->skip;

	if (argc == 1 && dn_desc_is_description(argv[0]))
		rc = args_description(uc, argv[0], flow_text);
	if (rc == 0)
		rc = check_mode(uc, bind_text != NULL, flow_text, v6flag);
	if (rc != 0 || dn_desc_is_description(argv[0]))
		return rc;
	if (uc->all)
		return args_all(uc, argc, argv);
	if (uc->listen)
		return cli_listen_args(&uc->p.c, argc, argv, &uc->local);
	return args_send(uc, argc, argv, flow_text, host, hostlen);
}

static const struct option longopts[] = {
	{ "all-interfaces", no_argument, NULL, CLI_OPT_ALL_INTERFACES },
	CLI_ACL_LONGOPTS,
	{ "connect", no_argument, NULL, OPT_CONNECT },
	{ "count", required_argument, NULL, DGRAM_OPT_COUNT },
	{ "dual-stack", no_argument, NULL, CLI_OPT_DUAL_STACK },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "flow-label", required_argument, NULL, OPT_FLOW_LABEL },
	{ "from", no_argument, NULL, DGRAM_OPT_FROM },
	{ "hex", no_argument, NULL, DGRAM_OPT_HEX },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "max-size", required_argument, NULL, DGRAM_OPT_MAX_SIZE },
	CLI_NAT64_LONGOPTS,
	{ "raw", no_argument, NULL, DGRAM_OPT_RAW },
	{ "skip-unavailable", no_argument, NULL, CLI_OPT_SKIP_UNAVAILABLE },
	{ "v6only", no_argument, NULL, CLI_OPT_V6ONLY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, CLI_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* The options: -1 to go on, or the exit status (0 after -h, --version). */
static int
parse_options(udpc *uc, int argc, char *argv[], const char **bind_text,
    const char **flow_text)
{
	int ch, rc;

	while ((ch = dgram_getopt(&uc->p, argc, argv, ":46b:hI:lqvw:",
	    longopts)) != -1) {
		switch (ch) {
		case 'b':
			if (*bind_text != NULL)
				return cli_usage_fail(&uc->p.c, "-b given "
				    "twice: give one bind address");
			*bind_text = optarg;
			break;
		case 'l':
			uc->listen = 1;
			break;
		case OPT_CONNECT:
			uc->connect = 1;
			break;
		case OPT_ECHO:
			uc->echo = 1;
			break;
		case OPT_FLOW_LABEL:
			*flow_text = optarg;
			break;
		case CLI_OPT_ALL_INTERFACES:
			uc->all = 1;
			break;
		case CLI_OPT_SKIP_UNAVAILABLE:
			uc->skip = 1;
			break;
		default:
			if ((rc = cli_acl_opt(&uc->p.c, &uc->p.acl, ch,
			    optarg)) == 1 || (rc == 0 && (rc = cli_nat64_opt(
			    &uc->p.c, &uc->n64, ch, optarg)) == 1))
				break;
			if (rc == -1)
				return EX_USAGE_;
			return cli_other_opt(&uc->p.c, ch, argv[optind - 1],
			    usage);
		}
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	const char *bind_text = NULL, *flow_text = NULL;
	char host[256];
	udpc uc;
	int rc;

	memset(&uc, 0, sizeof(uc));
	dgram_prog_init(&uc.p, "dnudp");
	uc.p.out.turn_flush = 1;
	(void)setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if ((rc = parse_options(&uc, argc, argv, &bind_text,
	    &flow_text)) != -1) {
		dn_acl_free(uc.p.acl);
		return rc;
	}
	uc.p.fail = fail_dgram;
	uc.p.received = received;
	uc.p.all_sent = all_sent;
	uc.p.flush = batch_flush;
	if (!uc.listen)
		uc.p.expired = replies_expired;
	if ((rc = args(&uc, argc - optind, argv + optind, bind_text,
	    flow_text, host, sizeof(host))) != 0 ||
	    (rc = endpoint(&uc)) != 0 ||
	    (rc = dgram_prog_start(&uc.p)) != 0 ||
	    (rc = open_endpoint(&uc)) != 0)
		uc.p.rv = rc;
	else {
		dgram_prog_run(&uc.p);
		if (uc.p.rv == 0)
			drain_at_exit(&uc);
	}
	dgram_prog_free(&uc.p);
	dn_dgram_endpoint_free(uc.ep);
	free(uc.bbuf);
	return uc.p.rv;
}
