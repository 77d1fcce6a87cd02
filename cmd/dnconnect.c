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
	    "[--plan] HOST PORT\n"
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
	char a[DN_ADDR_STRLEN];
	size_t i;

	if (err != NULL) {
		cn->rv = cli_fail(&cn->c, err);
		dn_reactor_stop(cn->r);
		return;
	}
	for (i = 0; i < n; i++) {
		dn_addr_format(&plan[i].addr, a, sizeof(a));
		if (cn->c.json) {
			printf("{\"attempt\":%zu,\"start\":", i + 1);
			if (plan[i].start_ns == UINT64_MAX)
				printf("null");
			else
				printf("%.3f", (double)plan[i].start_ns / 1e9);
			printf(",\"family\":\"%s\",\"address\":\"%s\"}\n",
			    dn_addr_family(&plan[i].addr) == AF_INET6 ? "ipv6" :
			    "ipv4", a);
		} else if (plan[i].start_ns == UINT64_MAX)
			printf("%zu never %s\n", i + 1, a);
		else
			printf("%zu +%.3fs %s\n", i + 1,
			    (double)plan[i].start_ns / 1e9, a);
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

int
main(int argc, char *argv[])
{
	static const int signos[] = { SIGINT, SIGTERM };
	static const struct option longopts[] = {
		{ "flow-label", required_argument, NULL, OPT_FLOW_LABEL },
		{ "race", required_argument, NULL, OPT_RACE },
		{ "order", required_argument, NULL, OPT_ORDER },
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "resolution-delay", required_argument, NULL,
		    OPT_RESOLUTION_DELAY },
		{ "attempt-timeout", required_argument, NULL,
		    OPT_ATTEMPT_TIMEOUT },
		{ "max-concurrent", required_argument, NULL,
		    OPT_MAX_CONCURRENT },
		{ "first-family-count", required_argument, NULL,
		    OPT_FIRST_FAMILY_COUNT },
		{ "resolver", required_argument, NULL, OPT_RESOLVER },
		{ "dns-server", required_argument, NULL, OPT_DNS_SERVER },
		{ "plan", no_argument, NULL, OPT_PLAN },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, CLI_OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *bind_text[2] = { NULL, NULL }, *flow_text = NULL;
	const char *dns_servers = NULL;
	dn_hostname_opts hopts;
	dn_addr bind[2], dest;
	const dn_addr *dest_bind = NULL;
	int nbind = 0, plan = 0, ok;
	long long v;
	dn_addr_hints hints;
	dn_endpoint_defaults defs;
	dn_connect_opts opts;
	dn_client_endpoint *ep = NULL;
	dn_connect_req *req = NULL;
	uint32_t label = 0;
	char host[256];
	uint16_t port;
	int ch, have_port, i, literal = 0;
	dn_error e;
	conn cn;

	memset(&cn, 0, sizeof(cn));
	cli_init(&cn.c, "dnconnect");
	dn_hostname_opts_init(&hopts);
	cli_signals_default();
	while ((ch = cli_getopt(&cn.c, argc, argv, ":46b:hI:qvw:z", longopts,
	    NULL, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (nbind == 2)
				return cli_usage_fail(&cn.c, "-b given more than "
				    "twice: give at most one per family");
			bind_text[nbind++] = optarg;
			break;
		case 'z':
			cn.zero = 1;
			break;
		case OPT_FLOW_LABEL:
			flow_text = optarg;
			break;
		case OPT_RACE:
			if (dn_race_mode_parse(optarg, &hopts.race, &e) == -1)
				return cli_fail(&cn.c, &e);
			break;
		case OPT_ORDER:
			if (dn_race_order_parse(optarg, &hopts.order, &e) == -1)
				return cli_fail(&cn.c, &e);
			break;
		case OPT_DELAY:
			v = cli_parse_num(optarg, "--delay", 10, 2000, &e, &ok);
			if (!ok)
				return cli_fail(&cn.c, &e);
			hopts.attempt_delay_ns = (uint64_t)v * 1000000ull;
			break;
		case OPT_RESOLUTION_DELAY:
			v = cli_parse_num(optarg, "--resolution-delay", 0,
			    10000, &e, &ok);
			if (!ok)
				return cli_fail(&cn.c, &e);
			hopts.resolution_delay_ns = (uint64_t)v * 1000000ull;
			break;
		case OPT_ATTEMPT_TIMEOUT:
			if (cli_parse_seconds(optarg, "--attempt-timeout",
			    &hopts.attempt_timeout_ns, &e) == -1)
				return cli_fail(&cn.c, &e);
			break;
		case OPT_MAX_CONCURRENT:
			v = cli_parse_num(optarg, "--max-concurrent", 1, 1000,
			    &e, &ok);
			if (!ok)
				return cli_fail(&cn.c, &e);
			hopts.max_concurrent = (unsigned)v;
			break;
		case OPT_FIRST_FAMILY_COUNT:
			v = cli_parse_num(optarg, "--first-family-count", 1,
			    1000, &e, &ok);
			if (!ok)
				return cli_fail(&cn.c, &e);
			hopts.first_family_count = (unsigned)v;
			break;
		case OPT_RESOLVER:
			if (dn_resolver_parse(optarg, &hopts.resolver, &e) == -1)
				return cli_fail(&cn.c, &e);
			break;
		case OPT_DNS_SERVER:
			dns_servers = optarg;
			break;
		case OPT_PLAN:
			plan = 1;
			break;
		default:
			return cli_other_opt(&cn.c, ch, argv[optind - 1],
			    usage);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return cli_usage_fail(&cn.c, "missing destination: give HOST "
		    "PORT, ADDR:PORT or a description (see dnconnect -h)");
	if (argc > 2)
		return cli_usage_fail(&cn.c, "too many arguments, from '%s' on: "
		    "give HOST PORT, ADDR:PORT or a description", argv[2]);

	if (flow_text != NULL && cli_parse_flowlabel(flow_text, &label, &e) == -1)
		return cli_fail(&cn.c, &e);

	memset(&hints, 0, sizeof(hints));
	hints.family = cn.c.family;
	hints.default_scope = cn.c.scope;
	hints.flags = DN_ADDR_PORT_OPTIONAL;
	hints.what = "bind address";
	for (i = 0; i < nbind; i++) {
		if (dn_addr_parse(&bind[i], bind_text[i], &hints, &e) == -1)
			return cli_fail(&cn.c, &e);
		/* One bind address per family: an attempt uses its own. */
		if (dn_addr_family(&bind[i]) == AF_INET6) {
			if (hopts.bind6 != NULL)
				return cli_usage_fail(&cn.c, "-b %s: a second "
				    "IPv6 bind address; give one per family",
				    bind_text[i]);
			hopts.bind6 = &bind[i];
		} else {
			if (hopts.bind4 != NULL)
				return cli_usage_fail(&cn.c, "-b %s: a second "
				    "IPv4 bind address; give one per family",
				    bind_text[i]);
			hopts.bind4 = &bind[i];
		}
	}
	if (dns_servers != NULL && hopts.resolver == DN_RESOLVER_SYSTEM)
		return cli_usage_fail(&cn.c, "--dns-server goes with the ares "
		    "resolver: the system resolver reads resolv.conf itself");
	if (plan && cn.zero)
		return cli_usage_fail(&cn.c, "--plan and -z contradict each "
		    "other: --plan prints the attempts and connects to none");
	hopts.family = cn.c.family;
	hopts.timeout_ns = cn.c.timeout_ns;
	/* only when said: a trace asks the kernel for the local address */
	hopts.trace = cn.c.verbose || cn.c.json ? cli_connect_trace : NULL;
	hopts.trace_arg = &cn.c;
	if (dn_hostname_opts_check(&hopts, &e) == -1)
		return cli_fail(&cn.c, &e);

	memset(&defs, 0, sizeof(defs));
	defs.default_scope = cn.c.scope;
	defs.timeout_ns = cn.c.timeout_ns;
	defs.bind = nbind == 1 ? &bind[0] : NULL;
	defs.family = cn.c.family;
	defs.v6only = -1;
	defs.trace = hopts.trace;
	defs.trace_arg = &cn.c;
	defs.hostname = &hopts;

	hints.what = "destination";
	if (argc == 1 && dn_desc_is_description(argv[0])) {
		if (plan)
			return cli_usage_fail(&cn.c, "--plan takes HOST PORT or "
			    "ADDR:PORT, not a description");
		if (nbind == 2 && strncmp(argv[0], "hostname:", 9) != 0)
			return cli_usage_fail(&cn.c, "two -b addresses go with "
			    "HOST PORT or hostname: descriptions; %.*s takes "
			    "one bindAddress=", (int)strcspn(argv[0], ":") + 1,
			    argv[0]);
		if (flow_text != NULL)
			return cli_usage_fail(&cn.c, "--flow-label does not go "
			    "with a description: give HOST PORT or a 4-tuple");
		if ((ep = dn_client_endpoint_parse(argv[0], &defs, &e)) == NULL)
			return cli_fail(&cn.c, &e);
	} else {
		hints.flags = argc == 1 ? DN_ADDR_PORT_REQUIRED :
		    DN_ADDR_PORT_OPTIONAL;
		if (dn_addr_parse(&dest, argv[0], &hints, &e) == 0)
			literal = 1;
		else if (e.code != DN_ENOTLITERAL)
			return cli_fail(&cn.c, &e);

		have_port = 0;
		if (argc == 2) {
			if (cli_parse_port(argv[1], 0, &port, &e) == -1)
				return cli_fail(&cn.c, &e);
			if (literal && dn_addr_port(&dest) != 0 &&
			    dn_addr_port(&dest) != port)
				return cli_usage_fail(&cn.c, "the port is given "
				    "twice (%u in %s, and %u): give it once",
				    dn_addr_port(&dest), argv[0], port);
			have_port = 1;
		}
		if (!literal) {
			int p;

			if (dn_hostport_split(argv[0], host, sizeof(host), &p,
			    &e) == -1)
				return cli_fail(&cn.c, &e);
			if (argc == 1) {
				if (p < 0)
					return cli_usage_fail(&cn.c, "%s has no "
					    "port: give HOST PORT or HOST:PORT",
					    argv[0]);
				port = (uint16_t)p;
			} else if (p >= 0)
				return cli_usage_fail(&cn.c, "the port is given "
				    "twice (%d in %s, and %u): give it once",
				    p, argv[0], port);
			if (cn.c.scope != NULL)
				return cli_usage_fail(&cn.c, "-I %s: a scope "
				    "goes with an address literal, and %s is "
				    "a name", cn.c.scope, host);
			if (flow_text != NULL && cn.c.family == AF_INET)
				return cli_usage_fail(&cn.c, "--flow-label %s "
				    "needs IPv6, and -4 races IPv4 only",
				    flow_text);
			hopts.flowinfo = label;
		} else {
			if (have_port)
				dn_addr_set_port(&dest, port);
			if (dn_addr_port(&dest) == 0)
				return cli_usage_fail(&cn.c, "port 0 of %s cannot "
				    "be connected to: give 1 to 65535", argv[0]);
			if (flow_text != NULL) {
				if (dn_addr_family(&dest) != AF_INET6)
					return cli_usage_fail(&cn.c, "--flow-label "
					    "needs an IPv6 destination, and %s "
					    "is IPv4", argv[0]);
				if (dn_addr_flowinfo(&dest) != 0 &&
				    dn_addr_flowinfo(&dest) != label)
					return cli_usage_fail(&cn.c, "--flow-label "
					    "%s and the flowinfo 0x%x in %s "
					    "disagree: give one", flow_text,
					    dn_addr_flowinfo(&dest), argv[0]);
				dest.u.sin6.sin6_flowinfo = htonl(label);
			}
			dest_bind = dn_addr_family(&dest) == AF_INET6 ?
			    hopts.bind6 : hopts.bind4;
			if (dest_bind == NULL && nbind > 0)
				dest_bind = &bind[0];
			if (dest_bind != NULL &&
			    dn_addr_check_bind(dest_bind, &dest, &e) == -1)
				return cli_fail(&cn.c, &e);
			/* -I only fills in a missing scope */
			if (cn.c.scope != NULL && !dn_addr_needs_scope(&dest) &&
			    (nbind == 0 || !dn_addr_needs_scope(&bind[0])) &&
			    (nbind < 2 || !dn_addr_needs_scope(&bind[1])))
				return cli_usage_fail(&cn.c, "-I %s: %s takes no "
				    "scope, so -I has nothing to apply to: drop "
				    "it", cn.c.scope, argv[0]);
		}
	}

	if ((cn.r = dn_reactor_new(&e)) == NULL)
		return cli_fail(&cn.c, &e);
	if (dns_servers != NULL &&
	    dn_reactor_set_dns_servers(cn.r, dns_servers, &e) == -1) {
		cn.rv = cli_fail(&cn.c, &e);
		dn_reactor_free(cn.r);
		dn_client_endpoint_free(ep);
		return cn.rv;
	}
	if ((cn.rv = cli_signals_watch(&cn.c, cn.r, signos,
	    CLI_ARRLEN(signos), cn.sigs, on_signal, &cn)) != 0) {
		cli_signals_free(cn.sigs, CLI_ARRLEN(signos));
		dn_reactor_free(cn.r);
		dn_client_endpoint_free(ep);
		return cn.rv;
	}
	if (plan) {
		char hb[DN_ADDR_STRLEN];

		req = dn_hostname_plan(cn.r, literal ? dn_addr_format_host(&dest,
		    hb, sizeof(hb)) : host, literal ? dn_addr_port(&dest) : port,
		    &hopts, planned, &cn);
	} else if (literal) {
		memset(&opts, 0, sizeof(opts));
		opts.bind = dest_bind;
		opts.timeout_ns = defs.timeout_ns;
		opts.trace = defs.trace;
		opts.trace_arg = defs.trace_arg;
		req = dn_tcp_connect_addr(cn.r, &dest, &opts, connected, &cn);
	} else if (ep != NULL)
		req = dn_client_endpoint_connect(cn.r, ep, connected, &cn);
	else
		req = dn_hostname_connect(cn.r, host, port, &hopts, connected,
		    &cn);
	if (req == NULL)
		cn.rv = cli_failf(&cn.c, DN_ENOMEM, 0, "out of memory");
	else if (dn_reactor_run(cn.r, &e) == -1)
		cn.rv = cli_fail(&cn.c, &e);
	cli_signals_free(cn.sigs, CLI_ARRLEN(signos));
	dn_reactor_free(cn.r);
	dn_client_endpoint_free(ep);
	return cn.rv;
}
