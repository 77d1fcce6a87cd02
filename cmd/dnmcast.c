/*
 * dnmcast - join an IPv4 or IPv6 multicast group (any-source or
 * source-specific) and print what arrives, or send standard input to one.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dgram.h"

enum {
	OPT_HOPS = DGRAM_OPT_FIRST_PRIVATE,
	OPT_LOOP,
	OPT_NO_LOOP,
	OPT_SOURCE
};

enum { ROLE_NONE, ROLE_RECV, ROLE_SEND };

typedef struct mcast {
	dgram_prog p;		/* first: the hooks cast it back */
	int role;
	dn_dgram_endpoint *ep;
	const dn_addr *group;	/* with its port */
	const dn_addr *source;	/* SSM, or NULL */
	const char *iface;	/* as given (name, index, IPv4 address) */
	char ifname[IF_NAMESIZE];	/* for messages; "" when none */
	int joined;
	int hops;		/* -1: the kernel's */
	int loop;		/* -1: the kernel's */
	int has_bind;
	dn_addr bind;		/* send: -b */
	long long sent;
} mcast;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dnmcast recv [-46hqv] [-I IFACE] [-w SEC] [--count N] "
	    "[--from] [--hex]\n"
	    "                    [--json] [--max-size BYTES] [--raw] "
	    "[--source SRC] GROUP PORT\n"
	    "       dnmcast send [-46hqv] [-b ADDR] [-I IFACE] [--count N] "
	    "[--hops N] [--json]\n"
	    "                    [--loop | --no-loop] [--raw] GROUP PORT\n"
	    "       dnmcast [recv | send] [options] DESCRIPTION\n"
	    "       dnmcast --version\n"
	    "\n"
	    "  -4, -6             IPv4 or IPv6 groups only\n"
	    "  -b ADDR            send: the source address (and port) to send from\n"
	    "  -I IFACE           the interface: name, index or IPv4 address\n"
	    "  -q                 quiet: no error messages\n"
	    "  -v                 trace joins and datagrams on stderr\n"
	    "  -w SEC             recv: give up when nothing arrives for SEC seconds\n"
	    "  --count N          recv: exit after N datagrams; send: after N sent\n"
	    "  --from             recv: prefix each datagram with its sender\n"
	    "  --hex              recv: print datagrams as hex\n"
	    "  --hops N           send: TTL / hop limit, 0..255\n"
	    "  --json             events as JSON lines on stderr\n"
	    "  --loop, --no-loop  send: whether this host's receivers get a copy\n"
	    "  --max-size BYTES   recv: longest datagram kept (1..65535)\n"
	    "  --raw              datagrams as they are: no newline added or split on\n"
	    "  --source SRC       recv: source-specific join (232/8, ff3x::/32)\n"
	    "  -h, --help         this help\n"
	    "  --version          print the version\n"
	    "\n"
	    "DESCRIPTION: multicast:GROUP:PORT[:interface=IFACE][:source=SRC]"
	    "[:hops=N][:loop=yes|no]\n");
}

/* -v and JSON name the interface; "default" when the routes pick it. */
static const char *
ifshown(const mcast *m)
{
	return m->ifname[0] != '\0' ? m->ifname : "default";
}

static void
json_iface(const mcast *m, cli_json *j)
{
	if (m->ifname[0] != '\0')
		cli_json_str(j, "interface", m->ifname);
	else
		cli_json_bool(j, "interface", -1);
}

static void
report_membership(mcast *m, const char *what)
{
	char g[DN_ADDR_STRLEN], s[DN_ADDR_STRLEN], src[DN_ADDR_STRLEN + 16];
	cli_json j;

	dn_addr_format_host(m->group, g, sizeof(g));
	if (m->source != NULL)
		dn_addr_format_host(m->source, s, sizeof(s));
	if (m->p.c.json) {
		cli_json_begin(&m->p.c, &j, what);
		cli_json_str(&j, "group", g);
		json_iface(m, &j);
		if (m->source != NULL)
			cli_json_str(&j, "source", s);
		else
			cli_json_bool(&j, "source", -1);
		cli_json_end(&m->p.c, &j);
		return;
	}
	if (m->source != NULL)
		snprintf(src, sizeof(src), "source %s", s);
	else
		snprintf(src, sizeof(src), "any-source");
	cli_trace(&m->p.c, "%s %s on %s (%s)", what, g, ifshown(m), src);
}

/* --- recv ------------------------------------------------------------ */

static void
received(dgram_prog *p, dn_udp *u, const dn_datagram *dg)
{
	mcast *m = (mcast *)p;

	if (p->out.count > 0 && ++m->sent >= p->out.count)
		dgram_finish(p, 0);
	else
		dgram_idle_restart(p);
}

static int
opened_recv(dgram_prog *p, const dn_dgram_opened *o)
{
	mcast *m = (mcast *)p;
	int rv;

	m->joined = o->joined;
	report_membership(m, "joined");
	if ((rv = dgram_recv_start(p)) != 0)
		return rv;
	dgram_idle_restart(p);
	return 0;
}

/* --- send ------------------------------------------------------------ */

/* A send the kernel refuses (no route, no device) is a local refusal
 * here: the group itself cannot refuse anything. */
static int
fail_send(dgram_prog *p, const dn_error *err)
{
	mcast *m = (mcast *)p;
	dn_error e = *err;

	if (m->role == ROLE_SEND && e.code == DN_EUNREACH) {
		e.code = DN_ELOCAL;
		if (m->ifname[0] == '\0')
			strlcat(e.msg, ": no route picks an interface for the "
			    "group, give -I IFACE", sizeof(e.msg));
	}
	return cli_fail(&m->p.c, &e);
}

static void
report_sent(mcast *m, size_t len)
{
	char a[DN_ADDR_STRLEN];
	cli_json j;

	if (m->p.c.json) {
		cli_json_begin(&m->p.c, &j, "sent");
		cli_json_addr(&j, "address", m->group);
		cli_json_uint(&j, "bytes", len);
		json_iface(m, &j);
		cli_json_int(&j, "hops", m->hops);
		cli_json_end(&m->p.c, &j);
	} else
		cli_trace(&m->p.c, "sent %zu bytes to %s via %s (hops %d)", len,
		    dn_addr_format_host(m->group, a, sizeof(a)), ifshown(m),
		    m->hops);
}

static int
on_line(const void *buf, size_t len, void *arg)
{
	mcast *m = arg;
	dn_error e;

	if (m->p.done)
		return -1;
	if (dn_udp_send(m->p.u, buf, len, m->group, &e) == -1) {
		dgram_finish(&m->p, fail_send(&m->p, &e));
		return -1;
	}
	report_sent(m, len);
	if (m->p.out.count > 0 && ++m->sent >= m->p.out.count) {
		/* --count: stop reading; exit once the queue is out */
		dgram_in_free(m->p.in);
		m->p.in = NULL;
		(void)dgram_drain(&m->p);
		return -1;
	}
	return dgram_throttle(&m->p);
}

static int
opened_send(dgram_prog *p, const dn_dgram_opened *o)
{
	char l[DN_ADDR_STRLEN], g[DN_ADDR_STRLEN];
	mcast *m = (mcast *)p;

	m->hops = o->hops;
	cli_trace(&p->c, "sending from %s to %s via %s (hops %d, loop %s)",
	    dn_addr_format(dn_udp_addr(p->u), l, sizeof(l)),
	    dn_addr_format(m->group, g, sizeof(g)), ifshown(m), m->hops,
	    m->loop == 0 ? "off" : m->loop == 1 ? "on" : "default");
	return dgram_input_start(p, on_line);
}

/* Joined to receive, or ready to send with -I, --hops and --loop set. */
static int
open_group(mcast *m)
{
	dn_dgram_open_opts o;

	memset(&o, 0, sizeof(o));
	if (m->role == ROLE_RECV) {
		o.udp.max_datagram = m->p.out.max_size;
		m->p.opened = opened_recv;
	} else {
		o.multicast_send = 1;
		o.bind = m->has_bind ? &m->bind : NULL;
		o.set_hops = m->hops >= 0;
		o.hops = m->hops;
		o.set_loop = m->loop >= 0;
		o.loop = m->loop;
		m->p.opened = opened_send;
	}
	return dgram_open(&m->p, m->ep, &o);
}

/* --- arguments ------------------------------------------------------- */

typedef struct opts {
	const char *bind_text;
	const char *source_text;
	int hops;		/* -1 not given */
	int loop;		/* -1 not given */
} opts;

/* Which options say recv, which say send, and which both may take. */
static const char *
recv_only(const mcast *m, const opts *o)
{
	if (o->source_text != NULL || dn_dgram_endpoint_source(m->ep) != NULL)
		return o->source_text != NULL ? "--source" : "source=";
	if (m->p.out.from)
		return "--from";
	if (m->p.out.hex)
		return "--hex";
	if (m->p.out.max_size != 65535)
		return "--max-size";
	if (m->p.c.timeout_ns != 0)
		return "-w";
	return NULL;
}

static const char *
send_only(const mcast *m, const opts *o)
{
	if (o->bind_text != NULL)
		return "-b";
	if (o->hops >= 0)
		return "--hops";
	if (o->loop >= 0)
		return o->loop ? "--loop" : "--no-loop";
	if (dn_dgram_endpoint_hops(m->ep) >= 0)
		return "hops=";
	if (dn_dgram_endpoint_loop(m->ep) >= 0)
		return "loop=";
	return NULL;
}

static int
check_role(mcast *m, const opts *o, int described)
{
	const char *r = recv_only(m, o), *s = send_only(m, o);

	if (m->role == ROLE_NONE) {
		/* a description alone: its keys and the options tell */
		if (r != NULL && s != NULL)
			return cli_usage_fail(&m->p.c, "%s receives and %s "
			    "sends: give recv or send", r, s);
		if (!described)
			return cli_usage_fail(&m->p.c, "give recv or send "
			    "before GROUP PORT: see dnmcast -h");
		m->role = s != NULL ? ROLE_SEND : ROLE_RECV;
	}
	if (m->role == ROLE_RECV && s != NULL)
		return cli_usage_fail(&m->p.c, "%s goes with send, not recv",
		    s);
	if (m->role == ROLE_SEND && r != NULL)
		return cli_usage_fail(&m->p.c, "%s goes with recv, not send",
		    r);
	if (m->role == ROLE_RECV && m->p.out.raw && m->p.out.hex)
		return cli_usage_fail(&m->p.c, "--raw and --hex contradict "
		    "each other: give one");
	return 0;
}

static int
set_ifname(mcast *m)
{
	unsigned idx = 0;
	dn_error e;

	if (m->iface != NULL && dn_iface_index(m->iface, &idx, &e) == -1)
		return cli_fail(&m->p.c, &e);
	if (idx == 0)
		idx = dn_addr_scope(m->group);
	if (idx != 0 && if_indextoname(idx, m->ifname) == NULL)
		snprintf(m->ifname, sizeof(m->ifname), "%u", idx);
	return 0;
}

static const struct option longopts[] = {
	{ "count", required_argument, NULL, DGRAM_OPT_COUNT },
	{ "from", no_argument, NULL, DGRAM_OPT_FROM },
	{ "hex", no_argument, NULL, DGRAM_OPT_HEX },
	{ "hops", required_argument, NULL, OPT_HOPS },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "loop", no_argument, NULL, OPT_LOOP },
	{ "max-size", required_argument, NULL, DGRAM_OPT_MAX_SIZE },
	{ "no-loop", no_argument, NULL, OPT_NO_LOOP },
	{ "raw", no_argument, NULL, DGRAM_OPT_RAW },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, CLI_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* The options; -1 to go on, or the exit status (0 after -h, --version). */
static int
parse_options(mcast *m, opts *o, int argc, char *argv[])
{
	dn_error e;
	int ch, ok;

	while ((ch = dgram_getopt(&m->p, argc, argv, ":46b:hI:qvw:",
	    longopts)) != -1) {
		switch (ch) {
		case 'b':
			if (o->bind_text != NULL)
				return cli_usage_fail(&m->p.c, "-b given twice: "
				    "give one source address");
			o->bind_text = optarg;
			break;
		case OPT_HOPS:
			o->hops = (int)cli_parse_num(optarg, "--hops", 0, 255,
			    &e, &ok);
			if (!ok)
				return cli_fail(&m->p.c, &e);
			break;
		case OPT_LOOP:
		case OPT_NO_LOOP:
			if (o->loop == (ch == OPT_NO_LOOP))
				return cli_usage_fail(&m->p.c, "--loop and "
				    "--no-loop contradict each other: give "
				    "one");
			o->loop = ch == OPT_LOOP;
			break;
		case OPT_SOURCE:
			o->source_text = optarg;
			break;
		default:
			return cli_other_opt(&m->p.c, ch, argv[optind - 1],
			    usage);
		}
	}
	return -1;
}

/* recv or send, then GROUP PORT or a description: 0 or the exit status;
 * *argcp and *argvp are left at the group. */
static int
parse_role(mcast *m, int *argcp, char ***argvp)
{
	int argc = *argcp;
	char **argv = *argvp;

	if (argc > 0 && strcmp(argv[0], "recv") == 0)
		m->role = ROLE_RECV;
	else if (argc > 0 && strcmp(argv[0], "send") == 0)
		m->role = ROLE_SEND;
	if (m->role != ROLE_NONE) {
		argc--;
		argv++;
	}
	if (m->role == ROLE_NONE && argc == 3)
		return cli_usage_fail(&m->p.c, "unknown command '%s': give "
		    "recv or send", argv[0]);
	if (argc < 1 || argc > 2)
		return cli_usage_fail(&m->p.c, "%s: give %sGROUP PORT or a "
		    "description (see dnmcast -h)", argc < 1 ? "missing group" :
		    "too many arguments", m->role == ROLE_NONE ?
		    "recv or send, then " : "");
	*argcp = argc;
	*argvp = argv;
	return 0;
}

/* A multicast: description, with what the options add to it. */
static int
group_described(mcast *m, opts *o, const char *text,
    dn_endpoint_defaults *defs)
{
	char g[DN_ADDR_STRLEN];
	dn_dgram_endpoint *ep2;
	dn_error e;

	if ((m->ep = dn_dgram_endpoint_parse(text, defs, &e)) == NULL)
		return cli_fail(&m->p.c, &e);
	if (dn_dgram_endpoint_kind(m->ep) != DN_DGRAM_MULTICAST)
		return cli_usage_fail(&m->p.c, "%s is a unicast description: "
		    "use dnudp, or give multicast:GROUP:PORT", text);
	if (o->source_text != NULL && dn_dgram_endpoint_source(m->ep) != NULL)
		return cli_usage_fail(&m->p.c, "--source and source= both "
		    "given: give the source once");
	if ((o->hops >= 0 && dn_dgram_endpoint_hops(m->ep) >= 0) ||
	    (o->loop >= 0 && dn_dgram_endpoint_loop(m->ep) >= 0))
		return cli_usage_fail(&m->p.c, "%s given as an option and in "
		    "the description: give it once", o->hops >= 0 &&
		    dn_dgram_endpoint_hops(m->ep) >= 0 ? "hops" : "loop");
	if (o->source_text == NULL)
		return 0;
	/* rebuilt with the option's source, checked alike */
	dn_addr_format_host(dn_dgram_endpoint_dest(m->ep), g, sizeof(g));
	if (dn_dgram_endpoint_interface(m->ep) != NULL &&
	    defs->default_scope == NULL)
		defs->default_scope = dn_dgram_endpoint_interface(m->ep);
	ep2 = dn_dgram_endpoint_new_multicast(g, dn_dgram_endpoint_port(m->ep),
	    o->source_text, defs, &e);
	if (ep2 == NULL)
		return cli_fail(&m->p.c, &e);
	o->hops = dn_dgram_endpoint_hops(m->ep);
	o->loop = dn_dgram_endpoint_loop(m->ep);
	dn_dgram_endpoint_free(m->ep);
	m->ep = ep2;
	return 0;
}

/* GROUP PORT, or GROUP:PORT in one as every program takes. */
static int
group_hostport(mcast *m, opts *o, int argc, char *argv[],
    const dn_endpoint_defaults *defs)
{
	char host[256];
	uint16_t port;
	dn_error e;
	int p;

	if (argc == 2) {
		strlcpy(host, argv[0], sizeof(host));
		if (cli_parse_port(argv[1], 0, &port, &e) == -1)
			return cli_fail(&m->p.c, &e);
	} else {
		if (dn_hostport_split(argv[0], host, sizeof(host), &p,
		    &e) == -1)
			return cli_fail(&m->p.c, &e);
		if (p <= 0)
			return cli_usage_fail(&m->p.c, "%s has no port: give "
			    "GROUP PORT", argv[0]);
		port = (uint16_t)p;
	}
	if ((m->ep = dn_dgram_endpoint_new_multicast(host, port,
	    o->source_text, defs, &e)) == NULL)
		return cli_fail(&m->p.c, &e);
	return 0;
}

/* -b: a source address of the group's family. */
static int
parse_bind(mcast *m, const opts *o, const dn_endpoint_defaults *defs)
{
	char b[DN_ADDR_STRLEN];
	dn_addr_hints hints;
	dn_error e;

	if (o->bind_text == NULL)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.family = dn_addr_family(m->group);
	hints.default_scope = defs->default_scope;
	hints.flags = DN_ADDR_PORT_OPTIONAL;
	hints.what = "bind address";
	if (dn_addr_parse(&m->bind, o->bind_text, &hints, &e) == -1) {
		if (e.code == DN_EFAMILY || e.code == DN_ENOTLITERAL)
			return cli_usage_fail(&m->p.c, "bind address %s must "
			    "be an %s literal, the family of group %s",
			    o->bind_text, dn_addr_family(m->group) ==
			    AF_INET6 ? "IPv6" : "IPv4",
			    dn_addr_format_host(m->group, b, sizeof(b)));
		return cli_fail(&m->p.c, &e);
	}
	m->has_bind = 1;
	return 0;
}

/* Group, role and options checked; the endpoint's settings taken. */
static int
setup(mcast *m, opts *o, int argc, char *argv[])
{
	dn_endpoint_defaults defs;
	char idxs[16];
	int described = 0, rv;
	unsigned idx;
	dn_error e;

	/* -I as an index: an IPv4 interface address names one too */
	dn_endpoint_defaults_init(&defs);
	defs.family = m->p.c.family;
	if (m->p.c.scope != NULL) {
		if (dn_iface_index(m->p.c.scope, &idx, &e) == -1)
			return cli_fail(&m->p.c, &e);
		snprintf(idxs, sizeof(idxs), "%u", idx);
		defs.default_scope = idxs;
	}
	if (argc == 1 && dn_desc_is_description(argv[0])) {
		described = 1;
		rv = group_described(m, o, argv[0], &defs);
	} else
		rv = group_hostport(m, o, argc, argv, &defs);
	if (rv != 0 || (rv = check_role(m, o, described)) != 0)
		return rv;
	m->group = dn_dgram_endpoint_dest(m->ep);
	m->source = dn_dgram_endpoint_source(m->ep);
	m->iface = dn_dgram_endpoint_interface(m->ep);
	m->hops = o->hops >= 0 ? o->hops : dn_dgram_endpoint_hops(m->ep);
	m->loop = o->loop >= 0 ? o->loop : dn_dgram_endpoint_loop(m->ep);
	if ((rv = set_ifname(m)) != 0)
		return rv;
	return parse_bind(m, o, &defs);
}

int
main(int argc, char *argv[])
{
	dn_error e;
	opts o;
	mcast m;
	int rv;

	memset(&m, 0, sizeof(m));
	memset(&o, 0, sizeof(o));
	o.hops = o.loop = -1;
	dgram_prog_init(&m.p, "dnmcast");
	if ((rv = parse_options(&m, &o, argc, argv)) != -1)
		return rv;
	argc -= optind;
	argv += optind;
	if ((rv = parse_role(&m, &argc, &argv)) != 0)
		return rv;
	if ((m.p.rv = setup(&m, &o, argc, argv)) != 0)
		goto done;
	m.p.fail = fail_send;
	m.p.received = received;
	if ((m.p.rv = dgram_prog_start(&m.p)) != 0)
		goto done;
	if ((rv = open_group(&m)) != 0) {
		m.p.rv = rv;
		goto done;
	}
	dgram_prog_run(&m.p);
done:
	/* closing would leave too; leaving first lets -v and --json say so */
	if (m.joined) {
		if (dn_mcast_leave(m.p.u, m.group, m.source, m.iface, &e) == 0)
			report_membership(&m, "left");
		else
			cli_warn(&m.p.c, "%s", e.msg);
	}
	dgram_prog_free(&m.p);
	dn_dgram_endpoint_free(m.ep);
	return m.p.rv;
}
