/*
 * dnconnect - TCP client: connect to HOST PORT, ADDR:PORT or a description
 * and relay stdin/stdout, nc style, with scopes and 4-tuples kept straight.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_FLOW_LABEL = CLI_OPT_FIRST_PRIVATE };

typedef struct conn {
	cli c;
	dn_reactor *r;
	int zero;		/* -z */
	char peer[DN_ADDR_STRLEN];
	int rv;
} conn;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dnconnect [-46hqvz] [-b ADDR] [-I IFACE] [-w SEC] "
	    "[--flow-label LABEL] [--json] HOST PORT\n"
	    "       dnconnect [options] ADDR:PORT\n"
	    "       dnconnect [options] DESCRIPTION\n"
	    "       dnconnect --version\n"
	    "\n"
	    "  -4, -6             IPv4 or IPv6 only\n"
	    "  -b ADDR            bind the local end to ADDR (address, ADDR:PORT or 4-tuple)\n"
	    "  -I IFACE           scope for link-local addresses given without one\n"
	    "  -q                 quiet: no error messages, only the exit status\n"
	    "  -v                 trace each step on stderr with times since start\n"
	    "  -w SEC             connect timeout in seconds\n"
	    "  -z                 connect, close, exit 0 (port check)\n"
	    "  --flow-label LABEL IPv6 flow label to put on the wire (0..0xfffff)\n"
	    "  --json             events as JSON lines on stderr\n"
	    "  -h, --help         this help\n"
	    "  --version          print the version\n");
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
	cn->rv = err != NULL ? cli_fail(&cn->c, err) : 0;
	dn_reactor_stop(cn->r);
}

static void
connected(dn_connect_req *req, dn_stream *s, const dn_error *err, void *arg)
{
	conn *cn = arg;
	dn_error e;

	if (s == NULL) {
		cn->rv = cli_fail(&cn->c, err);
		dn_reactor_stop(cn->r);
		return;
	}
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

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "flow-label", required_argument, NULL, OPT_FLOW_LABEL },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, CLI_OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *bind_text = NULL, *flow_text = NULL;
	dn_addr bind, dest;
	dn_addr_hints hints;
	dn_endpoint_defaults defs;
	dn_connect_opts opts;
	dn_client_endpoint *ep = NULL;
	dn_connect_req *req = NULL;
	uint32_t label = 0;
	char host[256];
	uint16_t port;
	int ch, rc, have_port, literal = 0;
	dn_error e;
	conn cn;

	memset(&cn, 0, sizeof(cn));
	cli_init(&cn.c, "dnconnect");
	cli_signals_default();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":46b:hI:qvw:z", longopts,
	    NULL)) != -1) {
		if ((rc = cli_common_opt(&cn.c, ch, optarg)) == -1)
			return EX_USAGE_;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'b':
			bind_text = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'z':
			cn.zero = 1;
			break;
		case OPT_FLOW_LABEL:
			flow_text = optarg;
			break;
		case CLI_OPT_VERSION:
			cli_version(&cn.c);
			return 0;
		case ':':
			return cli_usage_fail(&cn.c, "option %s needs a value: "
			    "see dnconnect -h", argv[optind - 1]);
		default:
			return cli_usage_fail(&cn.c, "unknown option %s: see "
			    "dnconnect -h", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		return cli_usage_fail(&cn.c, "%s: give HOST PORT, ADDR:PORT or "
		    "a description (see dnconnect -h)",
		    argc < 1 ? "missing destination" : "too many arguments");

	if (flow_text != NULL && cli_parse_flowlabel(flow_text, &label, &e) == -1)
		return cli_fail(&cn.c, &e);

	memset(&hints, 0, sizeof(hints));
	hints.family = cn.c.family;
	hints.default_scope = cn.c.scope;
	if (bind_text != NULL) {
		hints.flags = DN_ADDR_PORT_OPTIONAL;
		hints.what = "bind address";
		if (dn_addr_parse(&bind, bind_text, &hints, &e) == -1)
			return cli_fail(&cn.c, &e);
	}

	memset(&defs, 0, sizeof(defs));
	defs.default_scope = cn.c.scope;
	defs.timeout_ns = cn.c.timeout_ns;
	defs.bind = bind_text != NULL ? &bind : NULL;
	defs.family = cn.c.family;
	defs.v6only = -1;
	defs.trace = cli_connect_trace;
	defs.trace_arg = &cn.c;

	hints.what = "destination";
	if (argc == 1 && dn_desc_is_description(argv[0])) {
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
			if (flow_text != NULL && cn.c.family != AF_INET6)
				return cli_usage_fail(&cn.c, "--flow-label needs "
				    "IPv6, but the name %s resolves to IPv4 "
				    "here: add -6", host);
			ep = dn_client_endpoint_new_tcp(host, port, label,
			    cn.c.family, &defs, &e);
			if (ep == NULL)
				return cli_fail(&cn.c, &e);
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
			if (bind_text != NULL &&
			    dn_addr_check_bind(&bind, &dest, &e) == -1)
				return cli_fail(&cn.c, &e);
		}
	}

	if ((cn.r = dn_reactor_new(&e)) == NULL)
		return cli_fail(&cn.c, &e);
	if (literal) {
		memset(&opts, 0, sizeof(opts));
		opts.bind = defs.bind;
		opts.timeout_ns = defs.timeout_ns;
		opts.trace = defs.trace;
		opts.trace_arg = defs.trace_arg;
		req = dn_tcp_connect_addr(cn.r, &dest, &opts, connected, &cn);
	} else
		req = dn_client_endpoint_connect(cn.r, ep, connected, &cn);
	if (req == NULL) {
		e.code = DN_ENOMEM;
		snprintf(e.msg, sizeof(e.msg), "out of memory");
		cn.rv = cli_fail(&cn.c, &e);
	} else if (dn_reactor_run(cn.r, &e) == -1)
		cn.rv = cli_fail(&cn.c, &e);
	dn_reactor_free(cn.r);
	dn_client_endpoint_free(ep);
	return cn.rv;
}
