/*
 * cli.c - options, trace, JSON events, numbers and exit codes shared by the
 * dualnet programs.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * A program started with 0, 1 or 2 closed would hand those numbers to
 * its first sockets: a trace line to "stderr" would then go into a TCP
 * stream, and a closed stdin would read the peer. /dev/null in their
 * place makes a closed stdin an end of file and closed outputs a sink
 * (what the BSDs' kernels do for set-id programs, done here for all).
 */
static void
std_fds(const char *prog)
{
	int fd, got;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* the lowest free number: fd itself, those below are open */
		got = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY :
		    O_WRONLY);
		if (got == fd)
			continue;
		if (got != -1)
			close(got);
		if (fcntl(STDERR_FILENO, F_GETFD) != -1)
			dprintf(STDERR_FILENO, "%s: fd %d is closed and "
			    "/dev/null cannot be opened in its place: %s\n",
			    prog, fd, strerror(got == -1 ? errno : EBADF));
		exit(EX_OSERR_);
	}
}

void
cli_init(cli *c, const char *prog)
{
	std_fds(prog);
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->family = AF_UNSPEC;
	c->v6only = -1;
	c->t0 = mono_ns();
}

double
cli_elapsed(const cli *c)
{
	return (double)(mono_ns() - c->t0) / 1e9;
}

int
cli_common_opt(cli *c, int ch, const char *arg)
{
	dn_error e;

	switch (ch) {
	case '4':
	case '6':
		/* the later one must not quietly win */
		if (c->family == (ch == '4' ? AF_INET6 : AF_INET)) {
			cli_usage_fail(c, "-4 and -6 contradict each other: "
			    "give one, or neither for both families");
			return -1;
		}
		c->family = ch == '4' ? AF_INET : AF_INET6;
		return 1;
	case 'I':
		c->scope = arg;
		return 1;
	case 'q':
		c->quiet = 1;
		return 1;
	case 'v':
		c->verbose = 1;
		return 1;
	case 'w':
		if (cli_parse_seconds(arg, "-w", &c->timeout_ns, &e) == -1) {
			cli_fail(c, &e);
			return -1;
		}
		return 1;
	case CLI_OPT_JSON:
		c->json = 1;
		return 1;
	case CLI_OPT_DUAL_STACK:
	case CLI_OPT_V6ONLY:
		if (c->v6only == (ch == CLI_OPT_DUAL_STACK)) {
			cli_usage_fail(c, "--dual-stack and --v6only "
			    "contradict each other: give one");
			return -1;
		}
		c->v6only = ch == CLI_OPT_V6ONLY;
		return 1;
	}
	return 0;
}

int
cli_getopt(cli *c, int argc, char **argv, const char *optstring,
    const struct option *longopts,
    int (*more)(void *arg, int ch, const char *optarg), void *arg)
{
	int ch, rc;

	/* the programs word getopt's complaints themselves */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) !=
	    -1) {
		if ((rc = cli_common_opt(c, ch, optarg)) == 0 && more != NULL)
			rc = more(arg, ch, optarg);
		if (rc == -1)
			return CLI_OPT_BAD;
		if (rc == 0)
			return ch;
	}
	return -1;
}

int
cli_other_opt(const cli *c, int ch, const char *opt, void (*usage)(FILE *))
{
	switch (ch) {
	case CLI_OPT_BAD:
		return EX_USAGE_;
	case 'h':
		usage(stdout);
		return 0;
	case CLI_OPT_VERSION:
		cli_version(c);
		return 0;
	case ':':
		return cli_usage_fail(c, "option %s needs a value: see %s -h",
		    opt, c->prog);
	}
	return cli_usage_fail(c, "unknown option %s: see %s -h", opt, c->prog);
}

void
cli_trace(const cli *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose || c->json)
		return;
	fprintf(stderr, "%s: +%.3fs ", c->prog, cli_elapsed(c));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_warn(const cli *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_sysexit(dn_err code)
{
	switch (dn_err_kind_of(code)) {
	case DN_KIND_NONE:
		return EX_OK_;
	case DN_KIND_INPUT:
		return EX_USAGE_;
	case DN_KIND_NAME:
		return EX_NOHOST_;
	case DN_KIND_NETWORK:
		return EX_UNAVAIL_;
	case DN_KIND_IO:
		return EX_IOERR_;
	case DN_KIND_TIMEOUT:
		return EX_TEMPFAIL_;
	case DN_KIND_CANCELED:
		return EX_SOFTWARE_;
	case DN_KIND_SYSTEM:
	default:
		return EX_OSERR_;
	}
}

/*
 * The library's messages name its own knobs (a default scope, binding,
 * which parse call); the programs' users know them as options and
 * programs. One table turns the first into the second. PREFIX, when set,
 * is how the message must begin for the row to apply.
 */
static const struct {
	const char *prefix, *lib, *cli;
} cli_hints[] = {
	{ NULL, "or a default scope,", "or use -I IFACE," },
	{ NULL, ": bind to an ", ": use -b with an " },
	{ NULL, "and the default interface ", "and -I " },
	{ NULL, "parse it with dn_client_endpoint_parse or "
	    "dn_server_endpoint_parse,", "use dnconnect or dnlisten," },
	{ "'multicast:'", ": parse it with dn_dgram_endpoint_parse",
	    ", use dnmcast" },
	{ NULL, ": parse it with dn_dgram_endpoint_parse", ", use dnudp" },
	{ NULL, "IPv4 only was asked (the default family)",
	    "IPv4 only was asked (-4)" },
	{ NULL, "IPv6 only was asked (the default family)",
	    "IPv6 only was asked (-6)" },
	{ NULL, "but the default family asks for IPv4", "but -4 asks for IPv4" },
	{ NULL, "but the default family asks for IPv6", "but -6 asks for IPv6" },
	{ NULL, "use tcp6: or an IPv6 default family", "use tcp6: or -6" },
};

const char *
cli_hint(const char *msg, char *buf, size_t len)
{
	const char *at;
	size_t i;

	for (i = 0; i < CLI_ARRLEN(cli_hints); i++) {
		if (cli_hints[i].prefix != NULL && strncmp(msg,
		    cli_hints[i].prefix, strlen(cli_hints[i].prefix)) != 0)
			continue;
		if ((at = strstr(msg, cli_hints[i].lib)) == NULL)
			continue;
		snprintf(buf, len, "%.*s%s%s", (int)(at - msg), msg,
		    cli_hints[i].cli, at + strlen(cli_hints[i].lib));
		return buf;
	}
	return msg;
}

int
cli_fail(const cli *c, const dn_error *err)
{
	int ex = cli_sysexit(err->code);
	char buf[sizeof(err->msg) + 64];
	const char *msg = err->msg[0] ? cli_hint(err->msg, buf, sizeof(buf)) :
	    dn_strerror(err->code);
	cli_json j;

	/* a failure that says DN_OK is still a failure */
	if (ex == EX_OK_)
		ex = EX_IOERR_;
	if (c->json) {
		cli_json_begin(c, &j, "error");
		cli_json_str(&j, "code", dn_err_name(err->code));
		cli_json_int(&j, "exit", ex);
		cli_json_str(&j, "message", msg);
		cli_json_end(c, &j);
	} else if (!c->quiet)
		fprintf(stderr, "%s: %s\n", c->prog, msg);
	return ex;
}

static void
verr(dn_error *err, dn_err code, int os_errno, const char *fmt, va_list ap)
{
	err->code = code;
	err->os_errno = os_errno;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
cli_err(dn_error *err, dn_err code, int os_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(err, code, os_errno, fmt, ap);
	va_end(ap);
	return -1;
}

int
cli_failf(const cli *c, dn_err code, int os_errno, const char *fmt, ...)
{
	dn_error e;
	va_list ap;

	va_start(ap, fmt);
	verr(&e, code, os_errno, fmt, ap);
	va_end(ap);
	return cli_fail(c, &e);
}

int
cli_usage_fail(const cli *c, const char *fmt, ...)
{
	dn_error e;
	va_list ap;

	va_start(ap, fmt);
	verr(&e, DN_EINVAL, 0, fmt, ap);
	va_end(ap);
	return cli_fail(c, &e);
}

/* --- JSON ------------------------------------------------------------ */

static void
jputc(cli_json *j, char ch)
{
	if (j->len + 1 < sizeof(j->buf))
		j->buf[j->len++] = ch;
	j->buf[j->len] = '\0';
}

static void
jputs(cli_json *j, const char *s)
{
	while (*s)
		jputc(j, *s++);
}

static void
jstring(cli_json *j, const char *s)
{
	char esc[8];

	jputc(j, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			jputc(j, '\\');
			jputc(j, (char)ch);
		} else if (ch == '\n')
			jputs(j, "\\n");
		else if (ch == '\t')
			jputs(j, "\\t");
		else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			jputs(j, esc);
		} else
			jputc(j, (char)ch);
	}
	jputc(j, '"');
}

static void
jkey(cli_json *j, const char *key)
{
	if (j->len > 1 && j->buf[j->len - 1] != '{' && j->buf[j->len - 1] != '[')
		jputc(j, ',');
	jstring(j, key);
	jputc(j, ':');
}

void
cli_json_begin(const cli *c, cli_json *j, const char *event)
{
	char t[32];

	j->len = 0;
	j->buf[0] = '\0';
	jputc(j, '{');
	jkey(j, "event");
	jstring(j, event);
	snprintf(t, sizeof(t), "%.3f", cli_elapsed(c));
	jkey(j, "time");
	jputs(j, t);
}

void
cli_json_str(cli_json *j, const char *key, const char *val)
{
	jkey(j, key);
	jstring(j, val);
}

void
cli_json_addr(cli_json *j, const char *key, const dn_addr *a)
{
	char buf[DN_ADDR_STRLEN];

	cli_json_str(j, key, dn_addr_format(a, buf, sizeof(buf)));
}

void
cli_json_uint(cli_json *j, const char *key, uint64_t val)
{
	char t[32];

	snprintf(t, sizeof(t), "%llu", (unsigned long long)val);
	jkey(j, key);
	jputs(j, t);
}

void
cli_json_int(cli_json *j, const char *key, long long val)
{
	char t[32];

	snprintf(t, sizeof(t), "%lld", val);
	jkey(j, key);
	jputs(j, t);
}

void
cli_json_bool(cli_json *j, const char *key, int val)
{
	jkey(j, key);
	jputs(j, val < 0 ? "null" : val ? "true" : "false");
}

void
cli_json_array_begin(cli_json *j, const char *key)
{
	jkey(j, key);
	jputc(j, '[');
}

void
cli_json_array_str(cli_json *j, const char *val)
{
	if (j->buf[j->len - 1] != '[')
		jputc(j, ',');
	jstring(j, val);
}

void
cli_json_array_end(cli_json *j)
{
	jputc(j, ']');
}

void
cli_json_end(const cli *c, cli_json *j)
{
	jputc(j, '}');
	fprintf(stderr, "%s\n", j->buf);
}

/* --- the connect trace ----------------------------------------------- */

static const char *
family_name(int family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}

/* " (198.51.100.2 via NAT64)" after an address NAT64 synthesised. */
static const char *
via_note(const dn_trace_event *ev, char *buf, size_t len)
{
	char h[DN_ADDR_STRLEN];

	if (ev->via4 == NULL)
		return "";
	snprintf(buf, len, " (%s via NAT64)", dn_addr_format_host(ev->via4, h,
	    sizeof(h)));
	return buf;
}

static void
json_prefixes(cli_json *j, const dn_trace_event *ev)
{
	char p[DN_PREFIX_STRLEN];
	size_t i;

	cli_json_array_begin(j, "prefixes");
	for (i = 0; i < ev->nprefixes; i++)
		cli_json_array_str(j, dn_prefix_format(&ev->prefixes[i], p,
		    sizeof(p)));
	cli_json_array_end(j);
}

static void
json_error(cli_json *j, const dn_error *err)
{
	cli_json_str(j, "code", dn_err_name(err->code));
	cli_json_str(j, "message", err->msg);
}

/* One --json line for ev; "via" names the IPv4 address a NAT64 one is. */
static void
trace_json(const cli *c, const dn_trace_event *ev)
{
	static const char *names[] = { "resolving", "resolved", "connecting",
	    "attempt_failed", "connected", "attempt_canceled",
	    "nat64_discovering", "nat64_discovered", "nat64_synthesized" };
	char a[DN_ADDR_STRLEN];
	cli_json j;
	size_t i;

	cli_json_begin(c, &j, names[ev->kind]);
	switch (ev->kind) {
	case DN_TRACE_RESOLVING:
	case DN_TRACE_RESOLVED:
	case DN_TRACE_NAT64_DISCOVERING:
		cli_json_str(&j, "host", ev->host);
		cli_json_str(&j, "family", family_name(ev->family));
		if (ev->kind != DN_TRACE_RESOLVED)
			break;
		if (ev->err != NULL) {
			json_error(&j, ev->err);
			break;
		}
		cli_json_array_begin(&j, "addresses");
		for (i = 0; i < ev->naddrs; i++)
			cli_json_array_str(&j, dn_addr_format_host(
			    &ev->addrs[i], a, sizeof(a)));
		cli_json_array_end(&j);
		break;
	case DN_TRACE_NAT64_DISCOVERED:
		if (ev->err != NULL)
			json_error(&j, ev->err);
		else
			json_prefixes(&j, ev);
		break;
	case DN_TRACE_NAT64_SYNTHESIZED:
		cli_json_str(&j, "address", dn_addr_format_host(ev->addr, a,
		    sizeof(a)));
		cli_json_str(&j, "why", ev->why);
		break;
	case DN_TRACE_CONNECTING:
		cli_json_addr(&j, "address", ev->addr);
		if (ev->local != NULL)
			cli_json_addr(&j, "bind", ev->local);
		break;
	case DN_TRACE_ATTEMPT_FAILED:
	case DN_TRACE_ATTEMPT_CANCELED:
		cli_json_addr(&j, "address", ev->addr);
		json_error(&j, ev->err);
		break;
	case DN_TRACE_CONNECTED:
		cli_json_addr(&j, "local", ev->local);
		cli_json_addr(&j, "peer", ev->addr);
		break;
	}
	if (ev->via4 != NULL)
		cli_json_str(&j, "via", dn_addr_format_host(ev->via4, a,
		    sizeof(a)));
	cli_json_end(c, &j);
}

/* -v: what NAT64 discovery found, and why an address was synthesised. */
static void
trace_nat64(const cli *c, const dn_trace_event *ev)
{
	char a[DN_ADDR_STRLEN], b[DN_ADDR_STRLEN], list[512];
	size_t i;

	switch (ev->kind) {
	case DN_TRACE_NAT64_DISCOVERING:
		cli_trace(c, "NAT64: looking for the prefix (AAAA %s, RFC 7050)",
		    ev->host);
		break;
	case DN_TRACE_NAT64_DISCOVERED:
		if (ev->err != NULL) {
			cli_trace(c, "NAT64: %s", ev->err->msg);
			break;
		}
		list[0] = '\0';
		for (i = 0; i < ev->nprefixes; i++) {
			if (i > 0)
				strlcat(list, ", ", sizeof(list));
			strlcat(list, dn_prefix_format(&ev->prefixes[i], a,
			    sizeof(a)), sizeof(list));
		}
		cli_trace(c, "NAT64: prefix %s", list);
		break;
	default:
		cli_trace(c, "NAT64: %s is %s (%s)",
		    dn_addr_format_host(ev->via4, b, sizeof(b)),
		    dn_addr_format_host(ev->addr, a, sizeof(a)),
		    strcmp(ev->why, "always") == 0 ? "--nat64 always" :
		    "no IPv4 route");
		break;
	}
}

void
cli_connect_trace(const dn_trace_event *ev, void *arg)
{
	const cli *c = arg;
	char a[DN_ADDR_STRLEN], l[DN_ADDR_STRLEN], list[1024], v[80];
	size_t i;

	if (!c->verbose && !c->json)
		return;
	if (c->json) {
		trace_json(c, ev);
		return;
	}
	switch (ev->kind) {
	case DN_TRACE_RESOLVING:
		cli_trace(c, "resolving %s (%s)", ev->host,
		    ev->family == AF_INET6 ? "IPv6" : "IPv4");
		break;
	case DN_TRACE_RESOLVED:
		if (ev->err != NULL) {
			cli_trace(c, "resolving %s failed: %s", ev->host,
			    ev->err->msg);
			break;
		}
		list[0] = '\0';
		for (i = 0; i < ev->naddrs; i++) {
			if (i > 0)
				strlcat(list, ", ", sizeof(list));
			strlcat(list, dn_addr_format_host(&ev->addrs[i], a,
			    sizeof(a)), sizeof(list));
		}
		cli_trace(c, "resolved %s: %s", ev->host, list);
		break;
	case DN_TRACE_CONNECTING:
		if (ev->local != NULL)
			cli_trace(c, "connecting to %s%s from %s",
			    dn_addr_format(ev->addr, a, sizeof(a)),
			    via_note(ev, v, sizeof(v)),
			    dn_addr_format(ev->local, l, sizeof(l)));
		else
			cli_trace(c, "connecting to %s%s",
			    dn_addr_format(ev->addr, a, sizeof(a)),
			    via_note(ev, v, sizeof(v)));
		break;
	case DN_TRACE_ATTEMPT_FAILED:
	case DN_TRACE_ATTEMPT_CANCELED:
		cli_trace(c, "attempt %s%s %s: %s",
		    dn_addr_format(ev->addr, a, sizeof(a)),
		    via_note(ev, v, sizeof(v)),
		    ev->kind == DN_TRACE_ATTEMPT_FAILED ? "failed" : "cancelled",
		    ev->err->msg);
		break;
	case DN_TRACE_CONNECTED:
		cli_trace(c, "connected %s -> %s%s",
		    dn_addr_format(ev->local, l, sizeof(l)),
		    dn_addr_format(ev->addr, a, sizeof(a)),
		    via_note(ev, v, sizeof(v)));
		break;
	default:
		trace_nat64(c, ev);
		break;
	}
}

/* --- numbers --------------------------------------------------------- */

/* strtod() and strtoull() take "", leading blanks and a sign; a number of
 * seconds or a flow label starts with a digit (or a dot). */
static int
unsigned_start(const char *s)
{
	return *s != '\0' && *s != '-' && *s != '+' && *s != ' ';
}

int
cli_parse_seconds(const char *s, const char *what, uint64_t *ns, dn_error *err)
{
	char *end;
	double v = 0;
	int ok = 0;

	if (unsigned_start(s)) {
		errno = 0;
		v = strtod(s, &end);
		ok = *end == '\0' && errno == 0 && isfinite(v);
	}
	if (!ok)
		return cli_err(err, DN_EINVAL, 0, "%s: '%s' is not a number of "
		    "seconds: give e.g. 2 or 0.5", what, s);
	if (v < 0.001 || v > 86400)
		return cli_err(err, DN_ERANGE, 0, "%s: %s seconds is out of "
		    "range: give 0.001 to 86400", what, s);
	*ns = (uint64_t)(v * 1e9 + 0.5);
	return 0;
}

long long
cli_parse_num(const char *s, const char *what, long long min, long long max,
    dn_error *err, int *okp)
{
	const char *errstr;
	long long v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		*okp = 0;
		cli_err(err, errstr[0] == 'i' ? DN_EINVAL : DN_ERANGE, 0,
		    "%s: '%s' is %s: give %lld to %lld", what, s, errstr, min,
		    max);
		return 0;
	}
	*okp = 1;
	return v;
}

int
cli_parse_port(const char *s, int allow_zero, uint16_t *port, dn_error *err)
{
	return dn_port_parse(s, allow_zero, port, err);
}

int
cli_parse_flowlabel(const char *s, uint32_t *label, dn_error *err)
{
	unsigned long long v = 0;
	char *end;
	int ok = 0;

	if (unsigned_start(s)) {
		errno = 0;
		v = strtoull(s, &end, 0);
		ok = *end == '\0' && errno == 0;
	}
	if (!ok)
		return cli_err(err, DN_EINVAL, 0, "--flow-label: '%s' is not a "
		    "number: give 0 to 0xfffff", s);
	if (v > 0xfffff)
		return cli_err(err, DN_ERANGE, 0, "--flow-label: %s is over 20 "
		    "bits: give 0 to 0xfffff", s);
	*label = (uint32_t)v;
	return 0;
}

void
cli_version(const cli *c)
{
	printf("%s (dualnet) %s\n", c->prog, dn_version());
}

void
cli_signals_default(void)
{
	signal(SIGPIPE, SIG_IGN);
}

int
cli_signals_watch(const cli *c, dn_reactor *r, const int *signos, size_t n,
    dn_signal **sigs, dn_signal_cb cb, void *arg)
{
	dn_error e;
	size_t i;

	for (i = 0; i < n; i++) {
		sigs[i] = dn_signal_new(r, signos[i], cb, arg, &e);
		if (sigs[i] == NULL)
			return cli_fail(c, &e);
	}
	return 0;
}

void
cli_signals_free(dn_signal **sigs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dn_signal_free(sigs[i]);
}

/* --- listening ------------------------------------------------------- */

void
cli_report_listening(const cli *c, const dn_addr *a, int v6only)
{
	char buf[DN_ADDR_STRLEN];
	const char *mode = "";
	cli_json j;

	dn_addr_format(a, buf, sizeof(buf));
	if (c->json) {
		cli_json_begin(c, &j, "listening");
		cli_json_str(&j, "address", buf);
		cli_json_bool(&j, "v6only", v6only);
		cli_json_end(c, &j);
		return;
	}
	if (dn_addr_family(a) == AF_INET6 && dn_addr_is_unspecified(a))
		mode = v6only ? " (v6only)" : " (dual-stack)";
	cli_warn(c, "listening on %s%s", buf, mode);
}

/* "PORT" alone: digits or a service name, no address characters. */
static int
is_port_only(const char *s)
{
	return strpbrk(s, ":.,[]%") == NULL;
}

int
cli_listen_args(const cli *c, int argc, char **argv, dn_addr *local)
{
	const char *addr_text = NULL, *port_text = NULL, *dflt = "";
	dn_addr_hints hints;
	dn_error e;
	uint16_t port;

	if (argc == 2) {
		addr_text = argv[0];
		port_text = argv[1];
	} else if (is_port_only(argv[0]))
		port_text = argv[0];
	else
		addr_text = argv[0];
	if (addr_text == NULL) {
		addr_text = c->family == AF_INET6 ? "::" : "0.0.0.0";
		dflt = " on the default address";
	}
	memset(&hints, 0, sizeof(hints));
	hints.family = c->family;
	hints.default_scope = c->scope;
	hints.what = "listen address";
	hints.flags = port_text != NULL ? DN_ADDR_PORT_NONE :
	    DN_ADDR_PORT_REQUIRED;
	if (dn_addr_parse(local, addr_text, &hints, &e) == -1) {
		if (e.code == DN_ENOTLITERAL)
			return cli_usage_fail(c, "listen address %s is not an "
			    "address literal: give e.g. 0.0.0.0, :: or "
			    "fe80::1%%eth0", addr_text);
		return cli_fail(c, &e);
	}
	/* -I supplies a missing scope; on anything else it would be
	 * quietly ignored */
	if (c->scope != NULL && !dn_addr_needs_scope(local))
		return cli_usage_fail(c, "-I %s: listen address %s takes no "
		    "scope, so -I has nothing to apply to: drop it", c->scope,
		    addr_text);
	if (dn_addr_check_v6only(local, c->v6only, &e) == -1)
		return cli_usage_fail(c, "%s%s: %s", c->v6only ? "--v6only" :
		    "--dual-stack", dflt, e.msg);
	if (port_text != NULL) {
		if (cli_parse_port(port_text, 1, &port, &e) == -1)
			return cli_fail(c, &e);
		dn_addr_set_port(local, port);
	}
	return 0;
}

/* --- listening ports' events --------------------------------------- */

/* {"event":NAME,"address":A,"code":...,"message":...} */
static void
json_addr_error(const cli *c, const char *name, const char *a,
    const dn_error *err)
{
	cli_json j;

	cli_json_begin(c, &j, name);
	cli_json_str(&j, "address", a);
	cli_json_str(&j, "code", dn_err_name(err->code));
	cli_json_str(&j, "message", err->msg);
	cli_json_end(c, &j);
}

void
cli_listen_event(const dn_listen_event *ev, void *arg)
{
	const cli *c = arg;
	char a[DN_ADDR_STRLEN];
	cli_json j;

	if (ev->addr != NULL)
		dn_addr_format(ev->addr, a, sizeof(a));
	else
		a[0] = '\0';
	switch (ev->kind) {
	case DN_LISTEN_STARTED:
		cli_report_listening(c, ev->addr,
		    dn_addr_family(ev->addr) == AF_INET6 ? 1 : -1);
		return;
	case DN_LISTEN_STOPPED:
		if (c->json) {
			cli_json_begin(c, &j, "stopped_listening");
			cli_json_str(&j, "address", a);
			cli_json_str(&j, "reason", ev->reason);
			cli_json_end(c, &j);
		} else
			cli_warn(c, "stopped listening on %s (%s)", a,
			    ev->reason);
		return;
	case DN_LISTEN_FAILED:
		if (c->json)
			json_addr_error(c, "listen_failed", a, ev->err);
		else
			cli_warn(c, "%s (left out; the other addresses "
			    "serve)", ev->err->msg);
		return;
	case DN_LISTEN_PORT_RETRY:
		if (c->json) {
			cli_json_begin(c, &j, "port_retry");
			cli_json_str(&j, "address", a);
			cli_json_uint(&j, "port", ev->port);
			cli_json_uint(&j, "attempt", ev->attempt);
			cli_json_uint(&j, "attempts", ev->attempts);
			cli_json_str(&j, "message", ev->err->msg);
			cli_json_end(c, &j);
		} else
			cli_trace(c, "port %u is taken on %s: releasing every "
			    "socket and picking another port (pick %u of %u "
			    "failed)", ev->port, a, ev->attempt, ev->attempts);
		return;
	case DN_LISTEN_RESCAN:
		if (c->json) {
			cli_json_begin(c, &j, "rescan");
			cli_json_end(c, &j);
		} else
			cli_trace(c, "address notifications were lost "
			    "(netlink overflow): read every address anew");
		return;
	case DN_LISTEN_ACCEPT_FAILED:
		if (c->json)
			json_addr_error(c, "accept_failed", a, ev->err);
		else
			cli_trace(c, "%s", ev->err->msg);
		return;
	case DN_LISTEN_ACCEPT_PAUSED:
		if (c->json) {
			cli_json_begin(c, &j, "accept_paused");
			cli_json_str(&j, "reason", ev->err->code == DN_ELOCAL &&
			    ev->err->os_errno == EPERM ? "refused" :
			    ev->err->code == DN_EOTHER ? "error" : "resources");
			cli_json_str(&j, "code", dn_err_name(ev->err->code));
			cli_json_str(&j, "message", ev->err->msg);
			cli_json_end(c, &j);
		} else
			cli_trace(c, "%s", ev->err->msg);
		return;
	case DN_LISTEN_ACCEPT_RESUMED:
		if (c->json) {
			cli_json_begin(c, &j, "accept_resumed");
			cli_json_str(&j, "reason", "resources");
			cli_json_end(c, &j);
		} else
			cli_trace(c, "accepting again");
		return;
	}
}

void
cli_report_max_conns(const cli *c, int paused, long long live, long long max)
{
	cli_json j;

	if (c->json) {
		cli_json_begin(c, &j, paused ? "accept_paused" :
		    "accept_resumed");
		cli_json_str(&j, "reason", "max_conns");
		cli_json_int(&j, "connections", live);
		cli_json_int(&j, "max_conns", max);
		cli_json_end(c, &j);
	} else if (paused)
		cli_trace(c, "%lld connection%s (--max-conns %lld): accepting "
		    "paused, new clients wait in the backlog", live,
		    live == 1 ? "" : "s", max);
	else
		cli_trace(c, "%lld connection%s (--max-conns %lld): accepting "
		    "again", live, live == 1 ? "" : "s", max);
}

/* --- access control ------------------------------------------------ */

int
cli_nat64_opt(const cli *c, cli_nat64 *n, int ch, const char *arg)
{
	dn_error e;

	if (ch != CLI_OPT_NAT64 && ch != CLI_OPT_NAT64_PREFIX)
		return 0;
	if (n->given == NULL)
		n->given = ch == CLI_OPT_NAT64 ? "--nat64" : "--nat64-prefix";
	if (ch == CLI_OPT_NAT64 &&
	    dn_nat64_mode_parse(arg, &n->o.mode, &e) == -1) {
		cli_failf(c, e.code, 0, "--nat64: %s", e.msg);
		return -1;
	}
	if (ch == CLI_OPT_NAT64)
		return 1;
	if (n->o.nprefixes == CLI_ARRLEN(n->pfx)) {
		cli_usage_fail(c, "--nat64-prefix given more than %zu times",
		    CLI_ARRLEN(n->pfx));
		return -1;
	}
	if (dn_nat64_prefix_parse(&n->pfx[n->o.nprefixes], arg, &e) == -1) {
		cli_failf(c, e.code, 0, "--nat64-prefix: %s", e.msg);
		return -1;
	}
	n->o.prefixes = n->pfx;
	n->o.nprefixes++;
	return 1;
}

int
cli_acl_opt(const cli *c, dn_acl **acl, int ch, const char *arg)
{
	dn_error e;
	int allow, rc;

	switch (ch) {
	case CLI_OPT_ALLOW:
	case CLI_OPT_ALLOW_FILE:
		allow = 1;
		break;
	case CLI_OPT_DENY:
	case CLI_OPT_DENY_FILE:
		allow = 0;
		break;
	default:
		return 0;
	}
	if (*acl == NULL && (*acl = dn_acl_new(&e)) == NULL) {
		cli_fail(c, &e);
		return -1;
	}
	if (ch == CLI_OPT_ALLOW || ch == CLI_OPT_DENY)
		rc = dn_acl_add(*acl, allow, arg, &e);
	else
		rc = dn_acl_add_file(*acl, allow, arg, &e);
	if (rc == -1) {
		/* a bad prefix or an unreadable file: both usage, 64 */
		cli_failf(c, e.code, e.os_errno, "%s: %s", ch == CLI_OPT_ALLOW ? "--allow" :
		    ch == CLI_OPT_DENY ? "--deny" : ch == CLI_OPT_ALLOW_FILE ?
		    "--allow-file" : "--deny-file", e.msg);
		return -1;
	}
	return 1;
}

int
cli_acl_admit(const cli *c, const dn_acl *acl, const char *what,
    const dn_addr *peer, const dn_addr *local)
{
	char why[160], p[DN_ADDR_STRLEN], l[DN_ADDR_STRLEN];
	cli_json j;

	if (dn_acl_empty(acl) || dn_acl_check(acl, peer, why, sizeof(why)))
		return 1;
	if (!c->verbose && !c->json)
		return 0;
	dn_addr_format(peer, p, sizeof(p));
	dn_addr_format(local, l, sizeof(l));
	if (c->json) {
		cli_json_begin(c, &j, "refused");
		cli_json_str(&j, "what", what);
		cli_json_str(&j, "peer", p);
		cli_json_str(&j, "local", l);
		cli_json_str(&j, "reason", why);
		cli_json_end(c, &j);
	} else
		cli_trace(c, "refused %s from %s to %s: %s", what, p, l, why);
	return 0;
}
