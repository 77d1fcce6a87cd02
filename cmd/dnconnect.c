/*
 * dnconnect - TCP client: connect to HOST PORT, ADDR:PORT or a description
 * and relay stdin/stdout, nc style, with scopes and 4-tuples kept straight.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_FLOW_LABEL = CLI_OPT_FIRST_PRIVATE,
	OPT_RACE,
	OPT_ORDER,
	OPT_DELAY,
	OPT_RESOLUTION_DELAY,
	OPT_ATTEMPT_TIMEOUT,
	OPT_MAX_CONCURRENT,
	OPT_FIRST_FAMILY_COUNT,
	OPT_RESOLVER,
	OPT_DNS_SERVER,
	OPT_PLAN
};

typedef struct conn {
	cli c;
	dn_reactor *r;
	int zero;		/* -z */
	int interrupted;	/* SIGINT or SIGTERM: closing, exit 0 */
	dn_signal *sigs[2];
	char peer[DN_ADDR_STRLEN];
	int rv;
} conn;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dnconnect [-46hqvz] [-b ADDR] [-I IFACE] [-w SEC] "
	    "[--flow-label LABEL] [--json]\n"
	    "                 [--race MODE] [--order ORDER] [--delay MS] "
	    "[--resolution-delay MS]\n"
	    "                 [--attempt-timeout SEC] [--max-concurrent N] "
	    "[--first-family-count N]\n"
	    "                 [--resolver ares|system] [--dns-server LIST] "
	    "[--nat64 MODE]\n"
	    "                 [--nat64-prefix P/LEN] [--plan] HOST PORT\n"
	    "       dnconnect [options] ADDR:PORT\n"
	    "       dnconnect [options] DESCRIPTION\n"
	    "       dnconnect --version\n"
	    "\n"
	    "  -4, -6                 IPv4 or IPv6 only\n"
	    "  -b ADDR                bind to ADDR (address, ADDR:PORT or 4-tuple); once per family\n"
	    "  -I IFACE               scope for link-local addresses given without one\n"
	    "  -q                     quiet: no error messages, only the exit status\n"
	    "  -v                     trace each step on stderr with times since start\n"
	    "  -w SEC                 give up connecting after SEC seconds\n"
	    "  -z                     connect, close, exit 0 (port check)\n"
	    "  --flow-label LABEL     IPv6 flow label to put on the wire (0..0xfffff)\n"
	    "  --json                 events as JSON lines on stderr\n"
	    "  --race MODE            staggered (default), concurrent or serial\n"
	    "  --order ORDER          interleave (default), v6-first, v4-first or resolver\n"
	    "  --delay MS             connection attempt delay, 10..2000 (default 250)\n"
	    "  --resolution-delay MS  wait for AAAA after A, 0..10000 (default 50)\n"
	    "  --attempt-timeout SEC  give up on one address after SEC seconds\n"
	    "  --max-concurrent N     attempts in flight at most\n"
	    "  --first-family-count N addresses of the first family before alternating (default 1)\n"
	    "  --resolver NAME        ares (default: c-ares in the event loop) or system (getaddrinfo)\n"
	    "  --dns-server LIST      ADDR[:PORT],... name servers instead of resolv.conf\n"
	    "  --plan                 print the ordered attempt plan and exit\n"
	    "  --nat64 MODE           auto (default: IPv4 without a route goes through NAT64),\n"
	    "                         off, or always (NAT64 raced beside native IPv4)\n"
	    "  --nat64-prefix P/LEN   NAT64 prefix to use instead of discovering it (repeatable)\n"
	    "  -h, --help             this help\n"
	    "  --version              print the version\n");
}

static void
relay_done(dn_relay *rl, const dn_relay_stats *st, const dn_error *err,
    void *arg)
{
	conn *cn = arg;
	cli_json j;

	if (cn->c.json) {
		cli_json_begin(&cn->c, &j, "closed");
		cli_json_str(&j, "peer", cn->peer);
		cli_json_uint(&j, "bytes_sent", st->bytes_out);
		cli_json_uint(&j, "bytes_received", st->bytes_in);
		cli_json_end(&cn->c, &j);
	} else
		cli_trace(&cn->c, "closed: sent %llu bytes, received %llu bytes",
		    (unsigned long long)st->bytes_out,
		    (unsigned long long)st->bytes_in);
	/* a signal closed it on purpose: exit 0, not an error */
	if (!cn->interrupted)
		cn->rv = err != NULL ? cli_fail(&cn->c, err) : 0;
	dn_reactor_stop(cn->r);
}

static void
planned(dn_connect_req *req, const dn_plan_entry *plan, size_t n,
    const dn_error *err, void *arg)
{
	conn *cn = arg;
	char a[DN_ADDR_STRLEN], v[DN_ADDR_STRLEN], note[DN_ADDR_STRLEN + 16];
	size_t i;

	if (err != NULL) {
		cn->rv = cli_fail(&cn->c, err);
		dn_reactor_stop(cn->r);
		return;
	}
	for (i = 0; i < n; i++) {
		dn_addr_format(&plan[i].addr, a, sizeof(a));
		v[0] = note[0] = '\0';
		if (plan[i].via4 != NULL) {
			dn_addr_format_host(plan[i].via4, v, sizeof(v));
			snprintf(note, sizeof(note), " (%s via NAT64)", v);
		}
		if (cn->c.json) {
			printf("{\"attempt\":%zu,\"start\":", i + 1);
			if (plan[i].start_ns == UINT64_MAX)
				printf("null");
			else
				printf("%.3f", (double)plan[i].start_ns / 1e9);
			printf(",\"family\":\"%s\",\"address\":\"%s\"",
			    dn_addr_family(&plan[i].addr) == AF_INET6 ? "ipv6" :
			    "ipv4", a);
			if (v[0] != '\0')
				printf(",\"via\":\"%s\"", v);
			printf("}\n");
		} else if (plan[i].start_ns == UINT64_MAX)
			printf("%zu never %s%s\n", i + 1, a, note);
		else
			printf("%zu +%.3fs %s%s\n", i + 1,
			    (double)plan[i].start_ns / 1e9, a, note);
	}
	fflush(stdout);
	cn->rv = 0;
	dn_reactor_stop(cn->r);
}

static void
connected(dn_connect_req *req, dn_stream *s, const dn_error *err, void *arg)
{
	conn *cn = arg;
	dn_error e;

	if (s == NULL) {
		if (!cn->interrupted)
			cn->rv = cli_fail(&cn->c, err);
		dn_reactor_stop(cn->r);
		return;
	}
	/* for the "closed" event only */
	if (cn->c.json)
		dn_addr_format(dn_stream_peer(s), cn->peer, sizeof(cn->peer));
	if (cn->zero) {
		dn_stream_close(s);
		cn->rv = 0;
		dn_reactor_stop(cn->r);
		return;
	}
	if (dn_relay_start(cn->r, s, STDIN_FILENO, STDOUT_FILENO, 0,
	    relay_done, cn, &e) == NULL) {
		cn->rv = cli_fail(&cn->c, &e);
		dn_reactor_stop(cn->r);
	}
}

/*
 * SIGINT/SIGTERM: the same rule as the other programs (DESIGN.md). The
 * reactor's end cancels the attempt or the relay, whose close sends a
 * FIN (an RST only when the peer sent bytes nobody read), and the exit
 * status is 0.
 */
static void
on_signal(dn_signal *sg, int signo, void *arg)
{
	conn *cn = arg;

	(void)sg;
	cli_trace(&cn->c, "%s: closing", strsignal(signo));
	cn->interrupted = 1;
	cn->rv = 0;
	dn_reactor_stop(cn->r);
}

/* What the command line asked for, between parsing and connecting. */
typedef struct args {
	const char *bind_text[2];
	int nbind;
	const char *flow_text;
	uint32_t label;
	const char *dns_servers;
	int plan;
	cli_nat64 n64;
	dn_hostname_opts hopts;
	dn_addr bind[2];
	dn_addr_hints hints;
	/* the destination: one of these three */
	dn_client_endpoint *ep;		/* a description */
	int literal;			/* dest, with dest_bind */
	dn_addr dest;
	const dn_addr *dest_bind;
	char host[256];			/* a name, with port */
	uint16_t port;
} args;

static const struct option longopts[] = {
	{ "flow-label", required_argument, NULL, OPT_FLOW_LABEL },
	{ "race", required_argument, NULL, OPT_RACE },
	{ "order", required_argument, NULL, OPT_ORDER },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "resolution-delay", required_argument, NULL, OPT_RESOLUTION_DELAY },
	{ "attempt-timeout", required_argument, NULL, OPT_ATTEMPT_TIMEOUT },
	{ "max-concurrent", required_argument, NULL, OPT_MAX_CONCURRENT },
	{ "first-family-count", required_argument, NULL,
	    OPT_FIRST_FAMILY_COUNT },
	{ "resolver", required_argument, NULL, OPT_RESOLVER },
	{ "dns-server", required_argument, NULL, OPT_DNS_SERVER },
	{ "plan", no_argument, NULL, OPT_PLAN },
	CLI_NAT64_LONGOPTS,
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, CLI_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* --NAME N in [min, max] times unit into *out; 0 or the exit status. */
static int
num_opt(conn *cn, const char *name, long long min, long long max,
    uint64_t unit, uint64_t *out)
{
	long long v;
	dn_error e;
	int ok;

	v = cli_parse_num(optarg, name, min, max, &e, &ok);
	if (!ok)
		return cli_fail(&cn->c, &e);
	*out = (uint64_t)v * unit;
	return 0;
}

/* The options; -1 to go on, or the exit status (0 after -h, --version). */
static int
parse_options(conn *cn, args *a, int argc, char *argv[])
{
	uint64_t v = 0;
	dn_error e;
	int ch, rv;

	while ((ch = cli_getopt(&cn->c, argc, argv, ":46b:hI:qvw:z", longopts,
	    NULL, NULL)) != -1) {
		rv = 0;
		switch (ch) {
		case 'b':
			if (a->nbind == 2)
				return cli_usage_fail(&cn->c, "-b given more "
				    "than twice: give at most one per family");
			a->bind_text[a->nbind++] = optarg;
			break;
		case 'z':
			cn->zero = 1;
			break;
		case OPT_FLOW_LABEL:
			a->flow_text = optarg;
			break;
		case OPT_RACE:
			if (dn_race_mode_parse(optarg, &a->hopts.race, &e) == -1)
				return cli_fail(&cn->c, &e);
			break;
		case OPT_ORDER:
			if (dn_race_order_parse(optarg, &a->hopts.order,
			    &e) == -1)
				return cli_fail(&cn->c, &e);
			break;
		case OPT_DELAY:
			rv = num_opt(cn, "--delay", 10, 2000, 1000000ull,
			    &a->hopts.attempt_delay_ns);
			break;
		case OPT_RESOLUTION_DELAY:
			rv = num_opt(cn, "--resolution-delay", 0, 10000,
			    1000000ull, &a->hopts.resolution_delay_ns);
			break;
		case OPT_ATTEMPT_TIMEOUT:
			if (cli_parse_seconds(optarg, "--attempt-timeout",
			    &a->hopts.attempt_timeout_ns, &e) == -1)
				return cli_fail(&cn->c, &e);
			break;
		case OPT_MAX_CONCURRENT:
			if ((rv = num_opt(cn, "--max-concurrent", 1, 1000, 1,
			    &v)) == 0)
				a->hopts.max_concurrent = (unsigned)v;
			break;
		case OPT_FIRST_FAMILY_COUNT:
			if ((rv = num_opt(cn, "--first-family-count", 1, 1000,
			    1, &v)) == 0)
				a->hopts.first_family_count = (unsigned)v;
			break;
		case OPT_RESOLVER:
			if (dn_resolver_parse(optarg, &a->hopts.resolver,
			    &e) == -1)
				return cli_fail(&cn->c, &e);
			break;
		case OPT_DNS_SERVER:
			a->dns_servers = optarg;
			break;
		case OPT_PLAN:
			a->plan = 1;
			break;
		default:
			if ((rv = cli_nat64_opt(&cn->c, &a->n64, ch,
			    optarg)) == 1)
				break;
			if (rv == -1)
				return EX_USAGE_;
			return cli_other_opt(&cn->c, ch, argv[optind - 1],
			    usage);
		}
		if (rv != 0 && rv != 1)
			return rv;
	}
	return -1;
}

/* -b: at most one address per family, each used by its own attempts. */
static int
parse_binds(conn *cn, args *a)
{
	const dn_addr **slot;
	dn_error e;
	int i;

	a->hints.what = "bind address";
	for (i = 0; i < a->nbind; i++) {
		if (dn_addr_parse(&a->bind[i], a->bind_text[i], &a->hints,
		    &e) == -1)
			return cli_fail(&cn->c, &e);
		slot = dn_addr_family(&a->bind[i]) == AF_INET6 ?
		    &a->hopts.bind6 : &a->hopts.bind4;
		if (*slot != NULL)
			return cli_usage_fail(&cn->c, "-b %s: a second %s bind "
			    "address; give one per family", a->bind_text[i],
			    slot == &a->hopts.bind6 ? "IPv6" : "IPv4");
		*slot = &a->bind[i];
	}
	return 0;
}

/* Options that contradict each other, and the racing options as a whole. */
static int
check_options(conn *cn, args *a)
{
	dn_error e;

	if (a->dns_servers != NULL && a->hopts.resolver == DN_RESOLVER_SYSTEM)
		return cli_usage_fail(&cn->c, "--dns-server goes with the ares "
		    "resolver: the system resolver reads resolv.conf itself");
	if (a->plan && cn->zero)
		return cli_usage_fail(&cn->c, "--plan and -z contradict each "
		    "other: --plan prints the attempts and connects to none");
	/* synthesised destinations are IPv6, which -4 rules out */
	if (a->n64.given != NULL && cn->c.family == AF_INET)
		return cli_usage_fail(&cn->c, "%s reaches IPv4 through IPv6, "
		    "and -4 allows IPv4 only: drop one", a->n64.given);
	if (cn->c.family == AF_INET)
		a->n64.o.mode = DN_NAT64_OFF;
	a->hopts.nat64 = &a->n64.o;
	a->hopts.family = cn->c.family;
	a->hopts.timeout_ns = cn->c.timeout_ns;
	/* only when said: a trace asks the kernel for the local address */
	a->hopts.trace = cn->c.verbose || cn->c.json ? cli_connect_trace : NULL;
	a->hopts.trace_arg = &cn->c;
	if (dn_hostname_opts_check(&a->hopts, &e) == -1)
		return cli_fail(&cn->c, &e);
	return 0;
}

static int
dest_description(conn *cn, args *a, const char *text)
{
	dn_endpoint_defaults defs;
	dn_error e;

	if (a->plan)
		return cli_usage_fail(&cn->c, "--plan takes HOST PORT or "
		    "ADDR:PORT, not a description");
	if (a->n64.given != NULL && strncmp(text, "hostname:", 9) != 0)
		return cli_usage_fail(&cn->c, "%s goes with HOST PORT, an "
		    "address or a hostname: description; %.*s connects as "
		    "given", a->n64.given, (int)strcspn(text, ":") + 1, text);
	if (a->nbind == 2 && strncmp(text, "hostname:", 9) != 0)
		return cli_usage_fail(&cn->c, "two -b addresses go with HOST "
		    "PORT or hostname: descriptions; %.*s takes one "
		    "bindAddress=", (int)strcspn(text, ":") + 1, text);
	if (a->flow_text != NULL)
		return cli_usage_fail(&cn->c, "--flow-label does not go with a "
		    "description: give HOST PORT or a 4-tuple");
	dn_endpoint_defaults_init(&defs);
	defs.default_scope = cn->c.scope;
	defs.timeout_ns = cn->c.timeout_ns;
	defs.bind = a->nbind == 1 ? &a->bind[0] : NULL;
	defs.family = cn->c.family;
	defs.trace = a->hopts.trace;
	defs.trace_arg = &cn->c;
	defs.hostname = &a->hopts;
	if ((a->ep = dn_client_endpoint_parse(text, &defs, &e)) == NULL)
		return cli_fail(&cn->c, &e);
	return 0;
}

/* HOST [PORT] where HOST is a name; PORT is -1 when not given. */
static int
dest_name(conn *cn, args *a, const char *text, int port)
{
	dn_error e;
	int p;

	if (dn_hostport_split(text, a->host, sizeof(a->host), &p, &e) == -1)
		return cli_fail(&cn->c, &e);
	if (port < 0) {
		if (p < 0)
			return cli_usage_fail(&cn->c, "%s has no port: give "
			    "HOST PORT or HOST:PORT", text);
		port = p;
	} else if (p >= 0)
		return cli_usage_fail(&cn->c, "the port is given twice (%d in "
		    "%s, and %d): give it once", p, text, port);
	a->port = (uint16_t)port;
	if (cn->c.scope != NULL)
		return cli_usage_fail(&cn->c, "-I %s: a scope goes with an "
		    "address literal, and %s is a name", cn->c.scope, a->host);
	if (a->flow_text != NULL && cn->c.family == AF_INET)
		return cli_usage_fail(&cn->c, "--flow-label %s needs IPv6, and "
		    "-4 races IPv4 only", a->flow_text);
	a->hopts.flowinfo = a->label;
	return 0;
}

/* An address literal already parsed into a->dest; PORT as in dest_name. */
static int
dest_literal(conn *cn, args *a, const char *text, int port)
{
	dn_addr *dest = &a->dest;
	dn_error e;
	int i;

	if (port >= 0)
		dn_addr_set_port(dest, (uint16_t)port);
	if (dn_addr_port(dest) == 0)
		return cli_usage_fail(&cn->c, "port 0 of %s cannot be connected "
		    "to: give 1 to 65535", text);
	if (a->flow_text != NULL) {
		if (dn_addr_family(dest) != AF_INET6)
			return cli_usage_fail(&cn->c, "--flow-label needs an "
			    "IPv6 destination, and %s is IPv4", text);
		if (dn_addr_flowinfo(dest) != 0 &&
		    dn_addr_flowinfo(dest) != a->label)
			return cli_usage_fail(&cn->c, "--flow-label %s and the "
			    "flowinfo 0x%x in %s disagree: give one",
			    a->flow_text, dn_addr_flowinfo(dest), text);
		if (dn_addr_set_flowinfo(dest, a->label, &e) == -1)
			return cli_fail(&cn->c, &e);
	}
	a->dest_bind = dn_addr_family(dest) == AF_INET6 ? a->hopts.bind6 :
	    a->hopts.bind4;
	if (a->dest_bind == NULL && a->nbind > 0)
		a->dest_bind = &a->bind[0];
	if (a->dest_bind != NULL &&
	    dn_addr_check_bind(a->dest_bind, dest, &e) == -1)
		return cli_fail(&cn->c, &e);
	/* -I only fills in a missing scope */
	if (cn->c.scope == NULL || dn_addr_needs_scope(dest))
		return 0;
	for (i = 0; i < a->nbind; i++)
		if (dn_addr_needs_scope(&a->bind[i]))
			return 0;
	return cli_usage_fail(&cn->c, "-I %s: %s takes no scope, so -I has "
	    "nothing to apply to: drop it", cn->c.scope, text);
}

/* HOST PORT, ADDR:PORT, ADDR PORT or HOST:PORT. */
static int
dest_hostport(conn *cn, args *a, int argc, char *argv[])
{
	uint16_t port;
	dn_error e;

	a->hints.what = "destination";
	a->hints.flags = argc == 1 ? DN_ADDR_PORT_REQUIRED :
	    DN_ADDR_PORT_OPTIONAL;
	if (dn_addr_parse(&a->dest, argv[0], &a->hints, &e) == 0)
		a->literal = 1;
	else if (e.code != DN_ENOTLITERAL)
		return cli_fail(&cn->c, &e);
	if (argc == 1)
		return a->literal ? dest_literal(cn, a, argv[0], -1) :
		    dest_name(cn, a, argv[0], -1);
	if (cli_parse_port(argv[1], 0, &port, &e) == -1)
		return cli_fail(&cn->c, &e);
	if (a->literal && dn_addr_port(&a->dest) != 0 &&
	    dn_addr_port(&a->dest) != port)
		return cli_usage_fail(&cn->c, "the port is given twice (%u in "
		    "%s, and %u): give it once", dn_addr_port(&a->dest),
		    argv[0], port);
	return a->literal ? dest_literal(cn, a, argv[0], port) :
	    dest_name(cn, a, argv[0], port);
}

/* HOST PORT or an address as a client endpoint; --plan races even a
 * literal, so that it shows the one attempt with its start time. */
static dn_client_endpoint *
endpoint(conn *cn, args *a, dn_error *e)
{
	char hb[DN_ADDR_STRLEN];
	dn_client_endpoint *ep;
	dn_connect_opts opts;

	if (a->plan || !a->literal)
		return dn_client_endpoint_new_hostname(a->literal ?
		    dn_addr_format_host(&a->dest, hb, sizeof(hb)) : a->host,
		    a->literal ? dn_addr_port(&a->dest) : a->port, &a->hopts, e);
	memset(&opts, 0, sizeof(opts));
	opts.bind = a->dest_bind;
	opts.timeout_ns = cn->c.timeout_ns;
	opts.trace = a->hopts.trace;
	opts.trace_arg = &cn->c;
	if ((ep = dn_client_endpoint_new_addr(&a->dest, &opts, e)) != NULL &&
	    dn_client_endpoint_set_nat64(ep, &a->n64.o, e) == -1) {
		dn_client_endpoint_free(ep);
		return NULL;
	}
	return ep;
}

/* The reactor, the signals and the one request the arguments make. */
static int
run(conn *cn, args *a)
{
	static const int signos[] = { SIGINT, SIGTERM };
	dn_connect_req *req;
	dn_error e;

	if ((cn->r = dn_reactor_new(&e)) == NULL)
		return cli_fail(&cn->c, &e);
	if (a->dns_servers != NULL &&
	    dn_reactor_set_dns_servers(cn->r, a->dns_servers, &e) == -1) {
		cn->rv = cli_fail(&cn->c, &e);
		goto out;
	}
	if ((cn->rv = cli_signals_watch(&cn->c, cn->r, signos,
	    CLI_ARRLEN(signos), cn->sigs, on_signal, cn)) != 0)
		goto out;
	if (a->ep == NULL && (a->ep = endpoint(cn, a, &e)) == NULL) {
		cn->rv = cli_fail(&cn->c, &e);
		goto out;
	}
	if (a->plan)
		req = dn_client_endpoint_plan(cn->r, a->ep, planned, cn, &e);
	else
		req = dn_client_endpoint_connect(cn->r, a->ep, connected, cn,
		    &e);
	if (req == NULL)
		cn->rv = cli_fail(&cn->c, &e);
	else if (dn_reactor_run(cn->r, &e) == -1)
		cn->rv = cli_fail(&cn->c, &e);
out:
	cli_signals_free(cn->sigs, CLI_ARRLEN(signos));
	dn_reactor_free(cn->r);
	return cn->rv;
}

int
main(int argc, char *argv[])
{
	args a;
	dn_error e;
	conn cn;
	int rv;

	memset(&cn, 0, sizeof(cn));
	memset(&a, 0, sizeof(a));
	cli_init(&cn.c, "dnconnect");
	dn_hostname_opts_init(&a.hopts);
	cli_signals_default();
	if ((rv = parse_options(&cn, &a, argc, argv)) != -1)
		return rv;
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return cli_usage_fail(&cn.c, "missing destination: give HOST "
		    "PORT, ADDR:PORT or a description (see dnconnect -h)");
	if (argc > 2)
		return cli_usage_fail(&cn.c, "too many arguments, from '%s' on: "
		    "give HOST PORT, ADDR:PORT or a description", argv[2]);
	if (a.flow_text != NULL &&
	    cli_parse_flowlabel(a.flow_text, &a.label, &e) == -1)
		return cli_fail(&cn.c, &e);
	a.hints.family = cn.c.family;
	a.hints.default_scope = cn.c.scope;
	a.hints.flags = DN_ADDR_PORT_OPTIONAL;
	if ((rv = parse_binds(&cn, &a)) != 0 ||
	    (rv = check_options(&cn, &a)) != 0)
		return rv;
	if (argc == 1 && dn_desc_is_description(argv[0]))
		rv = dest_description(&cn, &a, argv[0]);
	else
		rv = dest_hostport(&cn, &a, argc, argv);
	if (rv == 0)
		rv = run(&cn, &a);
	dn_client_endpoint_free(a.ep);
	return rv;
}
