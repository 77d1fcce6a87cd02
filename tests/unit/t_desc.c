/*
 * t_desc.c - endpoint descriptions: Twisted's TYPE:ARG:KEY=VALUE syntax,
 * tcp:/tcp6: client and server validation with every error, and one
 * listen/connect round trip on 127.0.0.1 through endpoints.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "dualnet.h"
#include "tap.h"

static int
has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static int
sarg(const dn_desc *d, size_t i, const char *want)
{
	const char *got = dn_desc_arg(d, i);

	return got != NULL && strcmp(got, want) == 0;
}

static int
sget(const dn_desc *d, const char *key, const char *want)
{
	const char *got = dn_desc_get(d, key);

	return got != NULL && strcmp(got, want) == 0;
}

/* The parse fails with code, and the message holds substr. */
static void
desc_err(const char *text, dn_err code, const char *substr)
{
	dn_error e;
	dn_desc *d;

	memset(&e, 0, sizeof(e));
	d = dn_desc_parse(text, &e);
	if (!ok(d == NULL && e.code == code && has(e.msg, substr),
	    "parse '%s' fails with %s", text, dn_err_name(code)))
		diag("  got %s: '%s'", dn_err_name(e.code), e.msg);
	dn_desc_free(d);
}

static dn_endpoint_defaults
defaults(int family)
{
	dn_endpoint_defaults defs;

	dn_endpoint_defaults_init(&defs);
	defs.family = family;
	return defs;
}

static void
client_ok(const char *text, const dn_endpoint_defaults *defs)
{
	dn_client_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	ep = dn_client_endpoint_parse(text, defs, &e);
	if (!ok(ep != NULL, "client '%s' parses", text))
		diag("  got %s: '%s'", dn_err_name(e.code), e.msg);
	dn_client_endpoint_free(ep);
}

static void
client_err(const char *text, const dn_endpoint_defaults *defs, dn_err code,
    const char *substr)
{
	dn_client_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	ep = dn_client_endpoint_parse(text, defs, &e);
	if (!ok(ep == NULL && e.code == code && has(e.msg, substr),
	    "client '%s' fails with %s", text, dn_err_name(code)))
		diag("  got %s: '%s'", dn_err_name(e.code), e.msg);
	dn_client_endpoint_free(ep);
}

static void
server_ok(const char *text, const dn_endpoint_defaults *defs)
{
	dn_server_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	ep = dn_server_endpoint_parse(text, defs, &e);
	if (!ok(ep != NULL, "server '%s' parses", text))
		diag("  got %s: '%s'", dn_err_name(e.code), e.msg);
	dn_server_endpoint_free(ep);
}

static void
server_err(const char *text, const dn_endpoint_defaults *defs, dn_err code,
    const char *substr)
{
	dn_server_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	ep = dn_server_endpoint_parse(text, defs, &e);
	if (!ok(ep == NULL && e.code == code && has(e.msg, substr),
	    "server '%s' fails with %s", text, dn_err_name(code)))
		diag("  got %s: '%s'", dn_err_name(e.code), e.msg);
	dn_server_endpoint_free(ep);
}

static void
test_parse(void)
{
	static const char *const keys[] = { "host", "port", NULL };
	dn_error e;
	dn_desc *d;

	d = dn_desc_parse("tcp:host=example.com:port=80", NULL);
	ok(d != NULL && strcmp(dn_desc_type(d), "tcp") == 0 &&
	    dn_desc_nargs(d) == 0 && sget(d, "host", "example.com") &&
	    sget(d, "port", "80"), "keyword fields");
	ok(d != NULL && dn_desc_get(d, "timeout") == NULL &&
	    dn_desc_arg(d, 0) == NULL, "absent key and arg are NULL");
	ok(d != NULL && dn_desc_check_keys(d, keys, NULL) == 0,
	    "check_keys accepts known keys");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:example.com:80", NULL);
	ok(d != NULL && dn_desc_nargs(d) == 2 && sarg(d, 0, "example.com") &&
	    sarg(d, 1, "80") && dn_desc_get(d, "port") == NULL,
	    "positional fields");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:80:interface=127.0.0.1:backlog=5:x", NULL);
	ok(d != NULL && dn_desc_nargs(d) == 2 && sarg(d, 0, "80") &&
	    sarg(d, 1, "x") && sget(d, "interface", "127.0.0.1") &&
	    sget(d, "backlog", "5"), "positional and keyword mixed");
	dn_desc_free(d);

	d = dn_desc_parse("tcp6:host=\\:\\:1:port=80", NULL);
	ok(d != NULL && sget(d, "host", "::1") && sget(d, "port", "80"),
	    "\\: escapes a colon");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:interface=fe80\\:\\:1%lo:0", NULL);
	ok(d != NULL && sget(d, "interface", "fe80::1%lo") && sarg(d, 0, "0"),
	    "escaped colons with a zone");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:a\\\\b:c\\\\", NULL);
	ok(d != NULL && sarg(d, 0, "a\\b") && sarg(d, 1, "c\\"),
	    "\\\\ is one backslash");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:\\ab\\c", NULL);
	ok(d != NULL && sarg(d, 0, "abc"),
	    "a backslash takes any next character as is (Twisted)");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:a\\=b:k\\=x=y", NULL);
	ok(d != NULL && dn_desc_nargs(d) == 1 && sarg(d, 0, "a=b") &&
	    sget(d, "k=x", "y"),
	    "\\= makes a positional field, or a key with =");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:k=a=b:j=", NULL);
	ok(d != NULL && sget(d, "k", "a=b") && sget(d, "j", ""),
	    "only the first = splits; an empty value is kept");
	dn_desc_free(d);

	d = dn_desc_parse("tcp::80:", NULL);
	ok(d != NULL && dn_desc_nargs(d) == 3 && sarg(d, 0, "") &&
	    sarg(d, 1, "80") && sarg(d, 2, ""),
	    "empty fields are kept as empty positional fields");
	dn_desc_free(d);

	d = dn_desc_parse("tcp", NULL);
	ok(d != NULL && strcmp(dn_desc_type(d), "tcp") == 0 &&
	    dn_desc_nargs(d) == 0, "a type alone");
	dn_desc_free(d);

	d = dn_desc_parse("tcp:prot=1:port=2", NULL);
	memset(&e, 0, sizeof(e));
	ok(d != NULL && dn_desc_check_keys(d, keys, &e) == -1 &&
	    e.code == DN_ESYNTAX && has(e.msg, "unknown key 'prot'") &&
	    has(e.msg, "known: host, port"), "check_keys names the bad key "
	    "and the known ones");
	dn_desc_free(d);

	desc_err(":80", DN_ESYNTAX, "empty type");
	desc_err("", DN_ESYNTAX, "empty type");
	desc_err("tcp:=5", DN_ESYNTAX, "empty key");
	desc_err("tcp:port=1:port=2", DN_ESYNTAX, "'port' appears twice");
	desc_err("tcp:80\\", DN_ESYNTAX, "lone backslash");
	desc_err("tcp:a\\\\\\", DN_ESYNTAX, "lone backslash");
	desc_err("a=b:80", DN_ESYNTAX, "must start with a type");
	desc_err(NULL, DN_EINVAL, "no description");
}

static void
test_is_description(void)
{
	static const char *const yes[] = { "tcp:80", "tcp6:80", "hostname:x",
	    "all:0", "udp:53", "udp6:53", "multicast:x", "tcp:" };
	static const char *const no[] = { "TCP:80", "tcp", "tcp6",
	    "localhost:80", "[::1]:80", "::1", "tcpx:1", "192.0.2.1:80", "",
	    "fe80::1%eth0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok(dn_desc_is_description(yes[i]) == 1, "'%s' is a description",
		    yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(dn_desc_is_description(no[i]) == 0,
		    "'%s' is not a description", no[i]);
	ok(dn_desc_is_description(NULL) == 0, "NULL is not a description");
}

/* Names DNS cannot carry: the same verdict in every description. */
static void
test_name_rules(void)
{
	dn_endpoint_defaults none = defaults(AF_UNSPEC);
	char label[65], text[400];
	int i;

	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(text, sizeof(text), "tcp:host=%s.example:port=80", label);
	client_err(text, &none, DN_ESYNTAX, "is 64 bytes: a label is at "
	    "most 63");
	snprintf(text, sizeof(text), "hostname:%s.example:80", label);
	client_err(text, &none, DN_ESYNTAX, "is 64 bytes");
	snprintf(text, sizeof(text), "tcp6:host=%s:port=80", label);
	client_err(text, &none, DN_ESYNTAX, "label 'aaaa");
	/* 258 bytes: four labels of 63 with their dots, then "ab" */
	strcpy(text, "tcp:host=");
	for (i = 0; i < 4; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "%.63s.", label);
	strcat(text, "ab:port=80");
	client_err(text, &none, DN_ESYNTAX, "is 258 bytes: a name is at most "
	    "253");
	client_err("tcp:host=a..b:port=80", &none, DN_ESYNTAX,
	    "empty label");
	client_err("hostname:host=a.b..:port=80", &none, DN_ESYNTAX,
	    "empty label at offset 4");
}

static void
test_client(void)
{
	dn_endpoint_defaults none = defaults(AF_UNSPEC);
	dn_endpoint_defaults v4 = defaults(AF_INET);
	dn_endpoint_defaults v6 = defaults(AF_INET6);
	dn_endpoint_defaults withbind = defaults(AF_UNSPEC);
	dn_addr b6;
	dn_error e;
	dn_client_endpoint *ep;

	client_ok("tcp:host=127.0.0.1:port=80", &none);
	client_ok("tcp:127.0.0.1:80", NULL);
	client_ok("tcp:80:host=127.0.0.1", &none);
	client_ok("tcp:host=localhost:port=80", &none);
	client_ok("tcp:host=\\:\\:1:port=80", &none);
	client_ok("tcp6:host=\\:\\:1:port=80", &none);
	client_ok("tcp6:host=localhost:port=80", &none);
	client_ok("tcp6:host=fe80\\:\\:1%lo:port=80", &none);
	client_ok("tcp:host=127.0.0.1:port=80:timeout=2.5", &none);
	client_ok("tcp:host=127.0.0.1:port=80:timeout=.5", &none);
	client_ok("tcp:host=127.0.0.1:port=65535:timeout=86400", &none);
	client_ok("tcp:host=127.0.0.1:port=80:bindAddress=127.0.0.1", &none);
	client_ok("tcp:host=127.0.0.1:port=80:bindAddress=127.0.0.1\\:4000",
	    &none);
	client_ok("tcp6:host=\\:\\:1:port=80:bindAddress=[\\:\\:1]\\:0", &none);
	client_ok("tcp:host=127.0.0.1:port=80", &v4);
	client_ok("tcp:host=\\:\\:1:port=80", &v6);

	client_err("foo:host=a:port=1", &none, DN_ESYNTAX,
	    "unknown type 'foo', use tcp: or tcp6:");
	client_err("localhost", &none, DN_ESYNTAX, "unknown type");
	client_ok("hostname:host=example.test:port=80", &none);
	client_ok("hostname:example.test:443", &none);
	client_ok("hostname:host=example.test:port=443:race=serial:"
	    "order=v4-first:delay=100:resolution-delay=0:family=v6:timeout=5:"
	    "attempt-timeout=1.5:max-concurrent=2:first-family-count=2:"
	    "resolver=system:bindAddress=\\:\\:1:bind4=127.0.0.1", &none);
	client_ok("hostname:host=\\:\\:1:port=80", &none);
	client_err("hostname:host=a:port=1:delay=5", &none, DN_ERANGE,
	    "attempt delay");
	client_err("hostname:host=a:port=1:delay=2001", &none, DN_ERANGE,
	    "2001");
	client_err("hostname:host=a:port=1:race=fast", &none, DN_EINVAL,
	    "fast");
	client_err("hostname:host=a:port=1:order=random", &none, DN_EINVAL,
	    "random");
	client_err("hostname:host=a:port=1:resolver=dns", &none, DN_EINVAL,
	    "unknown resolver 'dns'");
	client_err("hostname:host=a:port=1:bind4=\\:\\:1", &none,
	    DN_EFAMILY, "bind address");
	client_err("hostname:host=a:port=1:max-concurrent=0", &none,
	    DN_ERANGE, "max-concurrent");
	client_err("hostname:host=a", &none, DN_ESYNTAX, "no port");
	client_err("hostname:host=a:port=1:speed=9", &none, DN_ESYNTAX,
	    "unknown key 'speed'");
	client_err("hostname:host=a!b:port=1", &none, DN_ESYNTAX,
	    "'a!b'");
	client_err("udp:host=a:port=1", &none, DN_EINVAL,
	    "'udp:' is not a client endpoint type");
	client_err("all:80", &none, DN_EINVAL,
	    "'all:' is a server endpoint type: listen with it");
	client_err("udp-all:80", &none, DN_EINVAL,
	    "'udp-all:' is not a client endpoint type: it is a datagram "
	    "endpoint");
	client_err("tcp:host=127.0.0.1", &none, DN_ESYNTAX, "no port");
	client_err("tcp:port=80", &none, DN_ESYNTAX, "no host");
	client_err("tcp:host=127.0.0.1:port=0", &none, DN_ERANGE,
	    "port '0' in tcp: description");
	client_err("tcp:host=127.0.0.1:port=65536", &none, DN_ERANGE,
	    "from 1 to 65535");
	client_err("tcp:host=127.0.0.1:port=http", &none, DN_ESYNTAX,
	    "port 'http'");
	client_err("tcp:host=127.0.0.1:port=+80", &none, DN_ESYNTAX,
	    "port '+80'");
	client_err("tcp:host=127.0.0.1:port=", &none, DN_ESYNTAX, "port ''");
	client_err("tcp:host=127.0.0.1:port=80:timeout=0", &none, DN_ERANGE,
	    "0.001 to 86400");
	client_err("tcp:host=127.0.0.1:port=80:timeout=86400.5", &none,
	    DN_ERANGE, "out of range");
	client_err("tcp:host=127.0.0.1:port=80:timeout=-1", &none, DN_ESYNTAX,
	    "timeout '-1'");
	client_err("tcp:host=127.0.0.1:port=80:timeout=1e3", &none,
	    DN_ESYNTAX, "not a number of seconds");
	client_err("tcp:host=127.0.0.1:port=80:timeout=.", &none, DN_ESYNTAX,
	    "not a number of seconds");
	client_err("tcp:host=127.0.0.1:prot=80", &none, DN_ESYNTAX,
	    "unknown key 'prot' in tcp: description; known: host, port, "
	    "timeout, bindAddress");
	client_err("tcp6:host=127.0.0.1:port=80", &none, DN_EFAMILY,
	    "destination 127.0.0.1 is IPv4 but tcp6: description asks for "
	    "IPv6 only");
	client_err("tcp6:host=::1:port=80", &none, DN_ESYNTAX,
	    "escape the colons");
	client_err("tcp:a:1:2", &none, DN_ESYNTAX, "3 positional fields");
	client_err("tcp:a:80:host=b", &none, DN_ESYNTAX, "host twice");
	client_err("tcp:80:host=a:port=81", &none, DN_ESYNTAX, "port twice");
	client_err("tcp:host=a/b:port=1", &none, DN_ESYNTAX, "'a/b'");
	client_err("tcp:host=:port=1", &none, DN_ESYNTAX, "empty 'host='");
	client_err("tcp6:host=", &none, DN_ESYNTAX,
	    "empty 'host=' and no port: write tcp6:host=H:port=P");
	client_err("tcp:", &none, DN_ESYNTAX,
	    "description 'tcp:' has no fields: write tcp:host=H:port=P");
	client_err("hostname:", &none, DN_ESYNTAX, "no fields");
	client_err("tcp:host=127.0.0.1:port=80:bindAddress=\\:\\:1", &none,
	    DN_EFAMILY, "bind address ::1 is IPv6 but destination "
	    "127.0.0.1 is IPv4: bind an IPv4 address");
	client_err("tcp:host=localhost:port=80:bindAddress=\\:\\:1", &none,
	    DN_EFAMILY, "resolves to IPv4 only");
	client_err("tcp6:host=localhost:port=80:bindAddress=127.0.0.1", &none,
	    DN_EFAMILY, "resolves to IPv6 only");
	client_err("tcp:host=127.0.0.1:port=80:bindAddress=nosuchname", &none,
	    DN_ENOTLITERAL, "");
	client_err("tcp6:host=fe80\\:\\:1:port=80", &none, DN_ENOSCOPE,
	    "link-local");
	client_err("tcp6:host=\\:\\:1:port=80", &v4, DN_EFAMILY,
	    "IPv4 only was asked (the default family)");
	client_err("tcp:host=127.0.0.1:port=80", &v6, DN_EFAMILY,
	    "is IPv4 but the default family asks for IPv6 only");
	client_err("tcp:host=\\:\\:1:port=80", &v4, DN_EFAMILY,
	    "is IPv6 but the default family asks for IPv4 only");

	/* defaults: -I supplies the scope, -b the bind address. */
	withbind.default_scope = "lo";
	client_ok("tcp6:host=fe80\\:\\:1:port=80", &withbind);
	memset(&e, 0, sizeof(e));
	if (dn_addr_parse(&b6, "::1", &(dn_addr_hints){ .flags =
	    DN_ADDR_PORT_OPTIONAL, .what = "bind address" }, &e) == 0) {
		withbind.bind = &b6;
		client_err("tcp:host=127.0.0.1:port=80", &withbind, DN_EFAMILY,
		    "bind address");
		client_ok("tcp:host=127.0.0.1:port=80:bindAddress=127.0.0.1",
		    &withbind);
		client_ok("tcp6:host=\\:\\:1:port=80", &withbind);
	} else
		ok(0, "parse ::1 as a bind address: %s", e.msg);

	/* HOST PORT arguments. */
	ep = dn_client_endpoint_new_tcp("127.0.0.1", 80, 0, AF_UNSPEC, &none,
	    &e);
	ok(ep != NULL, "new_tcp with an IPv4 literal");
	dn_client_endpoint_free(ep);
	ep = dn_client_endpoint_new_tcp("::1", 80, 0x12345, AF_INET6, &v6, &e);
	ok(ep != NULL, "new_tcp with an IPv6 literal and a flow label");
	dn_client_endpoint_free(ep);
	ep = dn_client_endpoint_new_tcp("localhost", 80, 0x12345, AF_INET6, &v6,
	    &e);
	ok(ep != NULL, "new_tcp with a name, -6 and a flow label");
	dn_client_endpoint_free(ep);
	memset(&e, 0, sizeof(e));
	ep = dn_client_endpoint_new_tcp("127.0.0.1", 80, 1, AF_UNSPEC, &none,
	    &e);
	ok(ep == NULL && e.code == DN_EFAMILY && has(e.msg, "flow label"),
	    "new_tcp: a flow label on IPv4 is DN_EFAMILY");
	memset(&e, 0, sizeof(e));
	ep = dn_client_endpoint_new_tcp("localhost", 80, 1, AF_UNSPEC, &none,
	    &e);
	ok(ep == NULL && e.code == DN_EFAMILY && has(e.msg, "IPv4 only"),
	    "new_tcp: a flow label on a name resolved to IPv4 is DN_EFAMILY");
	memset(&e, 0, sizeof(e));
	ep = dn_client_endpoint_new_tcp("127.0.0.1", 0, 0, AF_UNSPEC, &none,
	    &e);
	ok(ep == NULL && e.code == DN_ERANGE, "new_tcp: port 0 is DN_ERANGE");
	memset(&e, 0, sizeof(e));
	ep = dn_client_endpoint_new_tcp("::1", 80, 0, AF_INET, &none, &e);
	ok(ep == NULL && e.code == DN_EFAMILY,
	    "new_tcp: an IPv6 literal with AF_INET is DN_EFAMILY");
}

static void
test_server(void)
{
	dn_endpoint_defaults none = defaults(AF_UNSPEC);
	dn_endpoint_defaults v4 = defaults(AF_INET);
	dn_endpoint_defaults v6 = defaults(AF_INET6);

	server_ok("tcp:0", &none);
	server_ok("tcp:port=8080", NULL);
	server_ok("tcp:8080:interface=127.0.0.1:backlog=10", &none);
	server_ok("tcp:0:interface=\\:\\:", &none);
	server_ok("tcp6:0", &none);
	server_ok("tcp6:0:interface=\\:\\:1:v6only=yes", &none);
	server_ok("tcp6:0:v6only=false:backlog=65535", &none);
	server_ok("tcp6:0:interface=fe80\\:\\:1%lo", &none);
	server_ok("tcp:0", &v6);
	server_ok("tcp:0", &v4);

	server_err("tcp:interface=127.0.0.1", &none, DN_ESYNTAX,
	    "no port: write e.g. tcp:8080");
	server_err("tcp:65536", &none, DN_ERANGE, "from 0 to 65535");
	server_err("tcp:http", &none, DN_ESYNTAX, "port 'http'");
	server_err("tcp:80:port=81", &none, DN_ESYNTAX, "port twice");
	server_err("tcp:80:127.0.0.1", &none, DN_ESYNTAX, "interface=ADDR");
	server_err("tcp:0:v6only=yes", &none, DN_ESYNTAX,
	    "unknown key 'v6only' in tcp: description; known: port, "
	    "interface, backlog");
	server_err("tcp6:0:v6only=maybe", &none, DN_ESYNTAX, "yes or no");
	server_err("tcp:0:backlog=0", &none, DN_ERANGE, "backlog '0'");
	server_err("tcp:0:backlog=70000", &none, DN_ERANGE, "1 to 65535");
	server_err("tcp:0:backlog=x", &none, DN_ESYNTAX, "backlog 'x'");
	server_err("tcp:0:interface=localhost", &none, DN_ENOTLITERAL,
	    "must be an address literal");
	server_err("tcp:0:interface=", &none, DN_ESYNTAX, "empty interface");
	server_err("tcp:0:interface=127.0.0.1\\:80", &none, DN_ESYNTAX, "");
	server_err("tcp6:0:interface=127.0.0.1", &none, DN_EFAMILY,
	    "interface 127.0.0.1 in tcp6: description is IPv4 but tcp6: asks "
	    "for IPv6 only");
	server_err("tcp6:0", &v4, DN_EFAMILY,
	    "IPv4 only was asked (the default family)");
	server_err("tcp:0:interface=127.0.0.1", &v6, DN_EFAMILY,
	    "is IPv4 but the default family asks for IPv6 only");
	server_err("tcp:0:interface=\\:\\:1", &v4, DN_EFAMILY,
	    "is IPv6 but the default family asks for IPv4 only");
	server_err("tcp6:0:interface=::1", &none, DN_ESYNTAX,
	    "escape the colons");
	server_ok("all:0", &none);
	server_ok("all:port=8080:interface=lo:exclude=eth9:family=6", &none);
	server_ok("all:0:scope=loopback,link:follow=no:skip-unavailable=yes:"
	    "backlog=5", &v4);
	server_ok("all:0:family=any", &v6);
	server_err("all:", &none, DN_ESYNTAX, "has no fields: write all:PORT");
	server_err("all:0:1", &none, DN_ESYNTAX, "interface=IFACE");
	server_err("all:interface=lo", &none, DN_ESYNTAX,
	    "no port: write e.g. all:8080");
	server_err("all:0:interface=", &none, DN_ESYNTAX, "empty interface=");
	server_err("all:0:exclude=", &none, DN_ESYNTAX, "empty exclude=");
	server_err("all:0:family=7", &none, DN_EINVAL, "'7'");
	server_err("all:0:family=4", &v6, DN_EFAMILY,
	    "family=4 in all: description is IPv4 but IPv6 only was asked "
	    "(the default family)");
	server_err("all:0:scope=site", &none, DN_ESYNTAX, "scope 'site'");
	server_err("all:0:follow=perhaps", &none, DN_ESYNTAX, "yes or no");
	server_err("all:0:skip-unavailable=1x", &none, DN_ESYNTAX,
	    "yes or no");
	server_err("all:0:backlog=0", &none, DN_ERANGE, "backlog '0'");
	server_err("all:0:v6only=no", &none, DN_ESYNTAX,
	    "unknown key 'v6only' in all: description; known: port, "
	    "interface, exclude, family, scope, follow, skip-unavailable, "
	    "backlog");
	server_err("udp-all:0", &none, DN_EINVAL, "datagram endpoint: parse "
	    "it with dn_dgram_endpoint_parse");
	none.v6only = 0;
	server_err("all:0", &none, DN_EINVAL, "dual-stack does not apply");
	server_err("bogus:0", &none, DN_ESYNTAX, "unknown type 'bogus'");
}

/* "Nothing set" is not a zeroed struct: v6only 0 asks for dual-stack. */
static void
test_defaults_init(void)
{
	dn_endpoint_defaults zero, d;
	size_t i;
	int rest_zero = 1;

	memset(&d, 0xa5, sizeof(d));
	dn_endpoint_defaults_init(&d);
	memset(&zero, 0, sizeof(zero));
	is_int(d.v6only, -1, "dn_endpoint_defaults_init: v6only -1 (the "
	    "system's)");
	d.v6only = 0;
	for (i = 0; i < sizeof(d); i++)
		if (((unsigned char *)&d)[i] != 0)
			rest_zero = 0;
	ok(rest_zero && d.family == AF_UNSPEC, "dn_endpoint_defaults_init: "
	    "everything else zero (AF_UNSPEC, no scope, reserved zero)");
	dn_endpoint_defaults_init(&d);
	server_ok("all:0", &d);
	server_ok("tcp6:0:interface=\\:\\:1", &d);
	server_err("all:0", &zero, DN_EINVAL, "dual-stack does not apply");
	server_err("tcp6:0:interface=\\:\\:1", &zero, DN_EINVAL,
	    "dual-stack");
}

/* --- one round trip over 127.0.0.1 ---------------------------------- */

#ifndef T_DESC_NO_TCP
struct trip {
	int accepted, connected, failed;
	dn_addr peer;
	dn_error err;
};

static void
on_accept(dn_listener *l, dn_stream *s, void *arg)
{
	struct trip *t = arg;

	(void)l;
	t->accepted++;
	dn_stream_close(s);
}

static void
on_connect(dn_connect_req *req, dn_stream *s, const dn_error *err,
    void *arg)
{
	struct trip *t = arg;

	(void)req;
	if (s != NULL) {
		t->connected++;
		t->peer = *dn_stream_peer(s);
		dn_stream_close(s);
	} else {
		t->failed++;
		t->err = *err;
	}
}
#endif

static void
on_plan(dn_connect_req *req, const dn_plan_entry *plan, size_t n,
    const dn_error *err, void *arg)
{
	struct trip *t = arg;

	(void)req;
	(void)err;
	t->failed = -1;
	t->connected = (int)n;
	if (n > 0)
		t->peer = plan[0].addr;
}

/* Turns until the trip has an answer (bounded: 100 turns of 50 ms). */
static void
trip_wait(dn_reactor *r, struct trip *t, int accepts)
{
	int i;

	for (i = 0; i < 100 && (t->connected + t->failed == 0 ||
	    t->accepted < accepts); i++)
		dn_reactor_run_once(r, 50, NULL);
}

/* An address as a server endpoint: the same listener a tcp: gives. */
static void
server_new_addr(dn_reactor *r)
{
	dn_server_endpoint *sep;
	dn_addr local;
	dn_listen_opts lo;
	dn_listener *l = NULL;
	dn_error e;

	dn_addr_parse(&local, "127.0.0.1:0", NULL, NULL);
	memset(&lo, 0, sizeof(lo));
	lo.v6only = -1;
	sep = dn_server_endpoint_new_addr(&local, &lo, &e);
	if (sep != NULL)
		l = dn_server_endpoint_listen(r, sep, on_accept, NULL, &e);
	ok(l != NULL && dn_addr_port(dn_listener_addr(l)) != 0,
	    "server new_addr: listens on 127.0.0.1 and a port the kernel "
	    "gave");
	dn_listener_close(l);
	dn_server_endpoint_free(sep);
	lo.v6only = 1;
	ok(dn_server_endpoint_new_addr(&local, &lo, &e) == NULL &&
	    dn_err_kind_of(e.code) == DN_KIND_INPUT, "server new_addr: v6only "
	    "on IPv4 refused (%s)", e.msg);
	ok(dn_server_endpoint_new_addr(NULL, NULL, &e) == NULL &&
	    e.code == DN_EINVAL, "server new_addr: no address, DN_EINVAL");
}

/* HOST PORT and an address as client endpoints, and the racing one's
 * plan, against the listener at la. */
static void
other_ways_in(dn_reactor *r, const dn_addr *la, struct trip *t)
{
	dn_client_endpoint *ep;
	dn_connect_opts o;
	dn_addr zero = *la;
	dn_error e;

	memset(t, 0, sizeof(*t));
	memset(&o, 0, sizeof(o));
	o.timeout_ns = 5000000000ull;
	ep = dn_client_endpoint_new_addr(la, &o, &e);
	ok(ep != NULL && dn_client_endpoint_connect(r, ep, on_connect, t, NULL) !=
	    NULL, "new_addr: an endpoint for the listener's address");
	trip_wait(r, t, 1);
	ok(t->connected == 1 && dn_addr_equal(&t->peer, la), "new_addr "
	    "reaches it");
	ok(dn_client_endpoint_plan(r, ep, on_plan, t, &e) == NULL &&
	    e.code == DN_EINVAL, "new_addr has no attempt plan: DN_EINVAL (%s)",
	    e.msg);
	dn_client_endpoint_free(ep);
	dn_addr_set_port(&zero, 0);
	ok(dn_client_endpoint_new_addr(&zero, NULL, &e) == NULL &&
	    e.code == DN_ERANGE, "new_addr with port 0: DN_ERANGE");

	memset(t, 0, sizeof(*t));
	ep = dn_client_endpoint_new_hostname("127.0.0.1", dn_addr_port(la),
	    NULL, &e);
	ok(ep != NULL && dn_client_endpoint_connect(r, ep, on_connect, t, NULL) !=
	    NULL, "new_hostname: a racing endpoint for HOST PORT");
	trip_wait(r, t, 2);
	ok(t->connected == 1 && dn_addr_equal(&t->peer, la), "new_hostname "
	    "reaches it");
	memset(t, 0, sizeof(*t));
	ok(ep != NULL && dn_client_endpoint_plan(r, ep, on_plan, t, &e) !=
	    NULL, "new_hostname: a plan asked");
	trip_wait(r, t, 0);
	ok(t->failed == -1 && t->connected == 1 && dn_addr_equal(&t->peer,
	    la), "the plan is the one address");
	dn_client_endpoint_free(ep);
	ok(dn_client_endpoint_new_hostname("127.0.0.1", 0, NULL, &e) == NULL &&
	    e.code == DN_ERANGE, "new_hostname with port 0: DN_ERANGE");
	server_new_addr(r);
}

static void
test_roundtrip(void)
{
#ifdef T_DESC_NO_TCP
	/* Helper builds without tcp.c. */
	ok(1, "# SKIP built without tcp.c");
#else
	dn_endpoint_defaults none = defaults(AF_UNSPEC);
	dn_server_endpoint *sep = NULL;
	dn_client_endpoint *cep = NULL;
	dn_reactor *r = NULL;
	dn_listener *l = NULL;
	struct trip t;
	char text[64], buf[DN_ADDR_STRLEN];
	dn_error e;
	int i;

	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	if ((r = dn_reactor_new(&e)) == NULL) {
		ok(1, "# SKIP no reactor: %s", e.msg);
		return;
	}
	sep = dn_server_endpoint_parse("tcp:0:interface=127.0.0.1", &none, &e);
	l = sep != NULL ? dn_server_endpoint_listen(r, sep, on_accept, &t, &e) :
	    NULL;
	if (!ok(l != NULL && dn_addr_family(dn_listener_addr(l)) == AF_INET &&
	    dn_addr_port(dn_listener_addr(l)) != 0 &&
	    dn_listener_v6only(l) == -1, "tcp:0:interface=127.0.0.1 listens "
	    "on a real port")) {
		diag("  %s", e.msg);
		goto done;
	}
	snprintf(text, sizeof(text), "tcp:127.0.0.1:%u:timeout=5",
	    dn_addr_port(dn_listener_addr(l)));
	if ((cep = dn_client_endpoint_parse(text, &none, &e)) == NULL ||
	    dn_client_endpoint_connect(r, cep, on_connect, &t, NULL) == NULL) {
		ok(0, "connect through '%s': %s", text, e.msg);
		goto done;
	}
	/* Bounded: 100 turns of at most 50 ms. */
	for (i = 0; i < 100 && (t.connected + t.failed == 0 ||
	    t.accepted == 0); i++)
		dn_reactor_run_once(r, 50, NULL);
	ok(t.connected == 1 && t.accepted == 1 &&
	    dn_addr_equal(&t.peer, dn_listener_addr(l)),
	    "client endpoint '%s' reaches the server endpoint", text);
	if (t.failed)
		diag("  connect failed: %s", t.err.msg);
	else if (t.connected)
		diag("  peer %s", dn_addr_format(&t.peer, buf, sizeof(buf)));
	other_ways_in(r, dn_listener_addr(l), &t);
done:
	dn_listener_close(l);
	dn_reactor_free(r);
	dn_client_endpoint_free(cep);
	dn_server_endpoint_free(sep);
#endif
}

int
main(void)
{
	test_parse();
	test_is_description();
	test_name_rules();
	test_client();
	test_server();
	test_defaults_init();
	test_roundtrip();
	return tap_done(0);
}
