/*
 * t_dgram.c - datagram endpoint descriptions (udp:, udp6:, multicast:) and
 * dn_dgram_endpoint_new_multicast(): every form read back through the
 * accessors, every error with its code and the words that name the fix.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dualnet.h"
#include "tap.h"
#include "util.h"

/* An interface other than lo, for the cases where two must disagree. */
static char other[IF_NAMESIZE];

static void
find_other(int in_netns)
{
	struct if_nameindex *ifs, *i;

	/* our own namespace has only lo: add one that goes nowhere (veth:
	 * the dummy driver is not always there) */
	if (in_netns && system("ip link add dndg0 type veth peer name dndg1 "
	    "2>/dev/null || ip link add dndg0 type bridge 2>/dev/null") != 0)
		diag("cannot add an interface: looking for another one");
	if ((ifs = if_nameindex()) == NULL)
		return;
	for (i = ifs; i->if_index != 0; i++)
		if (strcmp(i->if_name, "lo") != 0) {
			strlcpy(other, i->if_name, sizeof(other));
			break;
		}
	if_freenameindex(ifs);
}

static dn_endpoint_defaults
defaults(int family, const char *scope)
{
	dn_endpoint_defaults d;

	dn_endpoint_defaults_init(&d);
	d.family = family;
	d.default_scope = scope;
	return d;
}

static const char *
kind_name(dn_dgram_kind k)
{
	switch (k) {
	case DN_DGRAM_LISTEN:
		return "listen";
	case DN_DGRAM_SEND:
		return "send";
	case DN_DGRAM_MULTICAST:
		return "multicast";
	case DN_DGRAM_LISTEN_ALL:
		return "listen-all";
	}
	return "?";
}

static const char *
fam_name(int f)
{
	return f == AF_INET ? "4" : f == AF_INET6 ? "6" : "?";
}

/* Everything the accessors say, on one line, to compare with one string. */
static const char *
show(const dn_dgram_endpoint *ep, char *buf, size_t len)
{
	char l[DN_ADDR_STRLEN], d[DN_ADDR_STRLEN], s[DN_ADDR_STRLEN];
	const dn_addr *a;

	if ((a = dn_dgram_endpoint_local(ep)) != NULL)
		dn_addr_format(a, l, sizeof(l));
	else
		strlcpy(l, "-", sizeof(l));
	if ((a = dn_dgram_endpoint_dest(ep)) != NULL)
		dn_addr_format(a, d, sizeof(d));
	else
		strlcpy(d, "-", sizeof(d));
	if ((a = dn_dgram_endpoint_source(ep)) != NULL)
		dn_addr_format_host(a, s, sizeof(s));
	else
		strlcpy(s, "-", sizeof(s));
	snprintf(buf, len, "%s v%s local=%s dest=%s host=%s port=%u if=%s "
	    "src=%s hops=%d loop=%d v6only=%d",
	    kind_name(dn_dgram_endpoint_kind(ep)),
	    fam_name(dn_dgram_endpoint_family(ep)), l, d,
	    dn_dgram_endpoint_host(ep) != NULL ? dn_dgram_endpoint_host(ep) :
	    "-", dn_dgram_endpoint_port(ep),
	    dn_dgram_endpoint_interface(ep) != NULL ?
	    dn_dgram_endpoint_interface(ep) : "-", s,
	    dn_dgram_endpoint_hops(ep), dn_dgram_endpoint_loop(ep),
	    dn_dgram_endpoint_v6only(ep));
	return buf;
}

/* The endpoint of a description that must parse; NULL (a failed test
 * said) when it does not. */
static dn_dgram_endpoint *
parsed(const char *text, const dn_endpoint_defaults *defs)
{
	dn_dgram_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	if ((ep = dn_dgram_endpoint_parse(text, defs, &e)) == NULL) {
		ok(0, "%s parses", text);
		diag("  %s: %s", dn_err_name(e.code), e.msg);
	}
	return ep;
}

/* A description that parses: all it says is want. */
static void
form(const char *text, const dn_endpoint_defaults *defs, const char *want)
{
	char buf[512];
	dn_dgram_endpoint *ep;

	if ((ep = parsed(text, defs)) == NULL)
		return;
	is_str(show(ep, buf, sizeof(buf)), want, "%s", text);
	dn_dgram_endpoint_free(ep);
}

/* A description that fails with code, its message containing frag. */
static void
bad(const char *text, const dn_endpoint_defaults *defs, dn_err code,
    const char *frag)
{
	dn_dgram_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	ep = dn_dgram_endpoint_parse(text, defs, &e);
	if (!ok(ep == NULL && e.code == code && strstr(e.msg, frag) != NULL,
	    "%s: %s, says '%s'", text, dn_err_name(code), frag))
		diag("  got %s: %s", ep != NULL ? "an endpoint" :
		    dn_err_name(e.code), e.msg);
	dn_dgram_endpoint_free(ep);
}

/* --- udp: and udp6: listening ----------------------------------------- */

static void
test_listen(void)
{
	dn_endpoint_defaults any = defaults(AF_UNSPEC, NULL);
	dn_endpoint_defaults v6 = defaults(AF_INET6, NULL);
	dn_endpoint_defaults v4 = defaults(AF_INET, NULL);
	dn_endpoint_defaults lo = defaults(AF_UNSPEC, "lo");
	dn_endpoint_defaults v6only = defaults(AF_UNSPEC, NULL);

	v6only.v6only = 1;
	form("udp:5353", &any, "listen v4 local=0.0.0.0:5353 dest=- host=- "
	    "port=5353 if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp:0", NULL, "listen v4 local=0.0.0.0:0 dest=- host=- port=0 "
	    "if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp:port=0:interface=\\:\\:1", &any, "listen v6 local=[::1]:0 "
	    "dest=- host=- port=0 if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp:53:interface=127.0.0.1", &any, "listen v4 "
	    "local=127.0.0.1:53 dest=- host=- port=53 if=- src=- hops=-1 "
	    "loop=-1 v6only=-1");
	form("udp:53", &v6, "listen v6 local=[::]:53 dest=- host=- port=53 "
	    "if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp6:53", &any, "listen v6 local=[::]:53 dest=- host=- port=53 "
	    "if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp6:53:v6only=no", &any, "listen v6 local=[::]:53 dest=- "
	    "host=- port=53 if=- src=- hops=-1 loop=-1 v6only=0");
	form("udp6:53:v6only=yes", &any, "listen v6 local=[::]:53 dest=- "
	    "host=- port=53 if=- src=- hops=-1 loop=-1 v6only=1");
	form("udp6:53", &v6only, "listen v6 local=[::]:53 dest=- host=- "
	    "port=53 if=- src=- hops=-1 loop=-1 v6only=1");
	form("udp6:5:interface=fe80\\:\\:1", &lo, "listen v6 "
	    "local=[fe80::1%lo]:5 dest=- host=- port=5 if=- src=- hops=-1 "
	    "loop=-1 v6only=-1");
	form("udp6:5:interface=fe80\\:\\:1%lo", &any, "listen v6 "
	    "local=[fe80::1%lo]:5 dest=- host=- port=5 if=- src=- hops=-1 "
	    "loop=-1 v6only=-1");

	bad("udp:", &any, DN_ESYNTAX, "has no fields");
	bad("udp:port=5:interface=::1", &any, DN_ESYNTAX,
	    "escape the colons");
	bad("udp:1:2:3", &any, DN_ESYNTAX, "3 positional fields");
	bad("udp:-1", &any, DN_ESYNTAX, "port '-1' in udp: description is "
	    "not a number from 0 to 65535");
	bad("udp:65536", &any, DN_ERANGE, "port '65536'");
	bad("udp:http", &any, DN_ESYNTAX, "port 'http'");
	bad("udp6:5:v6only=maybe", &any, DN_ESYNTAX,
	    "v6only 'maybe' in udp6: description is not yes or no");
	bad("udp:5:v6only=yes", &any, DN_ESYNTAX, "v6only= goes with udp6:");
	bad("udp:5:bindAddress=127.0.0.1", &any, DN_ESYNTAX,
	    "a listener takes interface=");
	bad("udp:5:interface=", &any, DN_ESYNTAX, "empty interface=");
	bad("udp:5:interface=localhost", &any, DN_ENOTLITERAL,
	    "interface 'localhost' in udp: description must be an address "
	    "literal");
	bad("udp:5:prot=1", &any, DN_ESYNTAX, "unknown key 'prot'");
	bad("udp6:5:interface=127.0.0.1", &any, DN_EFAMILY,
	    "interface 127.0.0.1 in udp6: description is IPv4 but udp6: asks "
	    "for IPv6 only");
	bad("udp:5:interface=\\:\\:1", &v4, DN_EFAMILY,
	    "but the default family asks for IPv4 only");
	bad("udp6:5", &v4, DN_EFAMILY, "udp6: description is IPv6 but IPv4 "
	    "only was asked (the default family)");
	bad("udp6:5:interface=fe80\\:\\:1", &any, DN_ENOSCOPE, "add %IFACE");
	bad("udp6:5:interface=2001\\:db8\\:\\:1%lo", &any, DN_EBADSCOPE, "");
	bad("udp:5:interface=127.0.0.1:interface=127.0.0.2", &any, DN_ESYNTAX,
	    "key 'interface' appears");
}

/* --- udp-all: ---------------------------------------------------------- */

/* What a udp-all: description gives dn_udp_listen_all(), on one line. */
static void
form_all(const char *text, const dn_endpoint_defaults *defs,
    const char *want)
{
	const dn_all_opts *o;
	dn_dgram_endpoint *ep;
	const char *got;
	char buf[256];

	if ((ep = parsed(text, defs)) == NULL)
		return;
	o = dn_dgram_endpoint_all(ep);
	if (o == NULL)
		snprintf(buf, sizeof(buf), "%s: no options",
		    kind_name(dn_dgram_endpoint_kind(ep)));
	else
		snprintf(buf, sizeof(buf), "%s port=%u family=%s scopes=%u "
		    "if=%s ex=%s follow=%d skip=%d",
		    kind_name(dn_dgram_endpoint_kind(ep)),
		    dn_dgram_endpoint_port(ep), fam_name(o->family), o->scopes,
		    o->interfaces != NULL ? o->interfaces : "-",
		    o->exclude != NULL ? o->exclude : "-", o->follow,
		    o->skip_unavailable);
	got = buf;
	is_str(got, want, "%s", text);
	dn_dgram_endpoint_free(ep);
}

static void
test_listen_all(void)
{
	dn_endpoint_defaults any = defaults(AF_UNSPEC, NULL);
	dn_endpoint_defaults v6 = defaults(AF_INET6, NULL);
	dn_endpoint_defaults lo = defaults(AF_UNSPEC, "lo");
	dn_endpoint_defaults dual = defaults(AF_UNSPEC, NULL);
	dn_all_opts skip;

	dual.v6only = 0;
	form_all("udp-all:5353", &any, "listen-all port=5353 family=? "
	    "scopes=0 if=- ex=- follow=1 skip=0");
	form_all("udp-all:port=0:family=6:scope=link,global", &any,
	    "listen-all port=0 family=6 scopes=6 if=- ex=- follow=1 skip=0");
	form_all("udp-all:0", &v6, "listen-all port=0 family=6 scopes=0 if=- "
	    "ex=- follow=1 skip=0");
	form_all("udp-all:0", &lo, "listen-all port=0 family=? scopes=0 "
	    "if=lo ex=- follow=1 skip=0");
	form_all("udp-all:0:interface=eth0,eth1:exclude=lo:follow=no:"
	    "skip-unavailable=yes", &lo, "listen-all port=0 family=? scopes=0 "
	    "if=eth0,eth1 ex=lo follow=0 skip=1");
	dn_all_opts_init(&skip);
	skip.skip_unavailable = 1;
	any.all = &skip;
	form_all("udp-all:7:family=4", &any, "listen-all port=7 family=4 "
	    "scopes=0 if=- ex=- follow=1 skip=1");
	any.all = NULL;
	form_all("udp:7", &any, "listen: no options");

	bad("udp-all:", &any, DN_ESYNTAX, "has no fields");
	bad("udp-all:1:2", &any, DN_ESYNTAX, "interface=IFACE");
	bad("udp-all:interface=lo", &any, DN_ESYNTAX, "no port");
	bad("udp-all:0:interface=", &any, DN_ESYNTAX, "empty interface=");
	bad("udp-all:0:family=v5", &any, DN_EINVAL, "'v5'");
	bad("udp-all:0:family=4", &v6, DN_EFAMILY, "(the default family)");
	bad("udp-all:0:scope=", &any, DN_ESYNTAX, "empty scope list");
	bad("udp-all:0:v6only=yes", &any, DN_ESYNTAX, "unknown key 'v6only'");
	bad("udp-all:0:host=x", &any, DN_ESYNTAX, "unknown key 'host'");
	bad("udp-all:0", &dual, DN_EINVAL, "dual-stack does not apply");
	bad("all:0", &any, DN_EINVAL, "stream endpoint");
}

/* --- udp: and udp6: sending ------------------------------------------- */

static void
test_send(void)
{
	dn_endpoint_defaults any = defaults(AF_UNSPEC, NULL);
	dn_endpoint_defaults v6 = defaults(AF_INET6, NULL);
	dn_endpoint_defaults v4 = defaults(AF_INET, NULL);
	dn_endpoint_defaults lo = defaults(AF_UNSPEC, "lo");
	dn_endpoint_defaults bind = defaults(AF_UNSPEC, NULL);
	dn_addr b = parse("127.0.0.3");

	bind.bind = &b;
	form("udp:host=127.0.0.1:port=53", &any, "send v4 local=- "
	    "dest=127.0.0.1:53 host=127.0.0.1 port=53 if=- src=- hops=-1 "
	    "loop=-1 v6only=-1");
	form("udp:127.0.0.1:53", &any, "send v4 local=- dest=127.0.0.1:53 "
	    "host=127.0.0.1 port=53 if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp:host=\\:\\:1:port=53", &any, "send v6 local=- "
	    "dest=[::1]:53 host=::1 port=53 if=- src=- hops=-1 loop=-1 "
	    "v6only=-1");
	/* plan point 5: a name goes to the resolver, IPv4 unless asked */
	form("udp:host=example.test:port=53", &any, "send v4 local=- dest=- "
	    "host=example.test port=53 if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp6:host=example.test:port=53", &any, "send v6 local=- dest=- "
	    "host=example.test port=53 if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp:host=example.test:port=53", &v6, "send v6 local=- dest=- "
	    "host=example.test port=53 if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp:host=127.0.0.1:port=53:bindAddress=127.0.0.2\\:99", &any,
	    "send v4 local=127.0.0.2:99 dest=127.0.0.1:53 host=127.0.0.1 "
	    "port=53 if=- src=- hops=-1 loop=-1 v6only=-1");
	form("udp:host=127.0.0.1:port=53", &bind, "send v4 local=127.0.0.3:0 "
	    "dest=127.0.0.1:53 host=127.0.0.1 port=53 if=- src=- hops=-1 "
	    "loop=-1 v6only=-1");
	form("udp6:host=fe80\\:\\:1:port=5", &lo, "send v6 local=- "
	    "dest=[fe80::1%lo]:5 host=fe80::1 port=5 if=- src=- hops=-1 "
	    "loop=-1 v6only=-1");

	bad("udp:host=127.0.0.1", &any, DN_ESYNTAX, "has no port: add port=N");
	bad("udp:host=127.0.0.1:port=0", &any, DN_ERANGE,
	    "not a number from 1 to 65535");
	bad("udp:host=127.0.0.1:port=x", &any, DN_ESYNTAX, "port 'x'");
	bad("udp:host=:port=5", &any, DN_ESYNTAX, "empty 'host='");
	bad("udp:host=bad!name:port=5", &any, DN_ESYNTAX,
	    "destination 'bad!name' is not an address");
	bad("udp:host=a:port=1:c", &any, DN_ESYNTAX,
	    "too many positional fields: give host=H:port=P");
	bad("udp6:host=127.0.0.1:port=1", &any, DN_EFAMILY,
	    "destination 127.0.0.1 is IPv4 but udp6: asks for IPv6 only");
	bad("udp:host=\\:\\:1:port=1", &v4, DN_EFAMILY,
	    "destination ::1 is IPv6 but the default family asks for IPv4 only");
	bad("udp:host=\\:\\:1:port=1:bindAddress=127.0.0.1", &any, DN_EFAMILY,
	    "bind address 127.0.0.1 is IPv4 but destination ::1 is IPv6");
	bad("udp:host=example.test:port=1:bindAddress=\\:\\:1", &any,
	    DN_EFAMILY, "destination example.test is IPv4");
	bad("udp:host=127.0.0.1:port=1:bindAddress=localhost", &any,
	    DN_ENOTLITERAL, "bindAddress 'localhost' in udp: description must "
	    "be an address literal");
	bad("udp:host=127.0.0.1:port=1:interface=127.0.0.1", &any, DN_ESYNTAX,
	    "a sender takes bindAddress=");
	bad("udp6:host=fe80\\:\\:1:port=5", &any, DN_ENOSCOPE, "add %IFACE");
	bad("udp:host=127.0.0.1:port=5:ttl=3", &any, DN_ESYNTAX,
	    "unknown key 'ttl'");
	bad("tcp:host=127.0.0.1:port=5", &any, DN_EINVAL,
	    "'tcp:' is a stream endpoint");
	bad("foo:1", &any, DN_ESYNTAX, "unknown type 'foo'");
}

/* --- multicast: -------------------------------------------------------- */

static void
test_multicast(void)
{
	dn_endpoint_defaults any = defaults(AF_UNSPEC, NULL);
	dn_endpoint_defaults v6 = defaults(AF_INET6, NULL);
	dn_endpoint_defaults lo = defaults(AF_UNSPEC, "lo");
	dn_endpoint_defaults oth = defaults(AF_UNSPEC, other);
	char text[128], frag[128];

	form("multicast:239.1.1.1:5000", &any, "multicast v4 local=- "
	    "dest=239.1.1.1:5000 host=- port=5000 if=- src=- hops=-1 loop=-1 "
	    "v6only=-1");
	form("multicast:group=ff02\\:\\:1%lo:port=5:hops=0:loop=yes", &any,
	    "multicast v6 local=- dest=[ff02::1%lo]:5 host=- port=5 if=- "
	    "src=- hops=0 loop=1 v6only=-1");
	form("multicast:ff02\\:\\:1:5", &lo, "multicast v6 local=- "
	    "dest=[ff02::1%lo]:5 host=- port=5 if=lo src=- hops=-1 loop=-1 "
	    "v6only=-1");
	form("multicast:ff02\\:\\:1%lo:5:interface=lo", &any, "multicast v6 "
	    "local=- dest=[ff02::1%lo]:5 host=- port=5 if=lo src=- hops=-1 "
	    "loop=-1 v6only=-1");
	form("multicast:ff02\\:\\:1:5:interface=1", &any, "multicast v6 "
	    "local=- dest=[ff02::1%lo]:5 host=- port=5 if=1 src=- hops=-1 "
	    "loop=-1 v6only=-1");
	form("multicast:ff05\\:\\:2:5:hops=255:loop=no", &any, "multicast v6 "
	    "local=- dest=[ff05::2]:5 host=- port=5 if=- src=- hops=255 "
	    "loop=0 v6only=-1");
	form("multicast:232.1.1.1:5:source=192.0.2.1:interface=lo", &any,
	    "multicast v4 local=- dest=232.1.1.1:5 host=- port=5 if=lo "
	    "src=192.0.2.1 hops=-1 loop=-1 v6only=-1");
	form("multicast:ff3e\\:\\:8000\\:1:5:source=2001\\:db8\\:\\:1", &any,
	    "multicast v6 local=- dest=[ff3e::8000:1]:5 host=- port=5 if=- "
	    "src=2001:db8::1 hops=-1 loop=-1 v6only=-1");
	form("multicast:239.1.1.1:5:interface=127.0.0.1", &any, "multicast v4 "
	    "local=- dest=239.1.1.1:5 host=- port=5 if=127.0.0.1 src=- "
	    "hops=-1 loop=-1 v6only=-1");
	/* a sender of an SSM group needs no source: the join says so */
	form("multicast:232.1.1.1:5", &any, "multicast v4 local=- "
	    "dest=232.1.1.1:5 host=- port=5 if=- src=- hops=-1 loop=-1 "
	    "v6only=-1");

	bad("multicast:192.0.2.1:5", &any, DN_EINVAL, "192.0.2.1 is not a "
	    "multicast address: give one in 224.0.0.0/4");
	bad("multicast:2001\\:db8\\:\\:1:5", &any, DN_EINVAL,
	    "give one in ff00::/8");
	bad("multicast:239.1.1.1:0", &any, DN_ERANGE, "from 1 to 65535");
	bad("multicast:239.1.1.1:65536", &any, DN_ERANGE, "port '65536'");
	bad("multicast:239.1.1.1", &any, DN_ESYNTAX, "no port");
	bad("multicast:port=5", &any, DN_ESYNTAX, "no group");
	bad("multicast:1:2:3", &any, DN_ESYNTAX, "too many positional fields");
	bad("multicast:ff02::1:5", &any, DN_ESYNTAX, "empty field");
	bad("multicast:239.1.1.1:5:ttl=3", &any, DN_ESYNTAX,
	    "unknown key 'ttl'");
	bad("multicast:239.1.1.1:5:hops=256", &any, DN_ERANGE,
	    "hops '256' in multicast: description is not a number from 0 to "
	    "255");
	bad("multicast:239.1.1.1:5:hops=-1", &any, DN_ESYNTAX, "hops '-1'");
	bad("multicast:239.1.1.1:5:hops=ten", &any, DN_ESYNTAX, "hops 'ten'");
	bad("multicast:239.1.1.1:5:loop=maybe", &any, DN_ESYNTAX,
	    "loop 'maybe' in multicast: description is not yes or no");
	bad("multicast:ff02\\:\\:1:5", &any, DN_ENOSCOPE,
	    "link-local multicast");
	bad("multicast:239.1.1.1:5:source=\\:\\:1", &any, DN_EFAMILY,
	    "source ::1 is IPv6 but group 239.1.1.1 is IPv4");
	bad("multicast:232.1.1.1:5:source=239.2.2.2", &any, DN_EINVAL,
	    "source 239.2.2.2 is not a unicast address");
	bad("multicast:232.1.1.1:5:source=0.0.0.0", &any, DN_EINVAL,
	    "is not a unicast address");
	bad("multicast:232.1.1.1:5:source=localhost", &any, DN_ENOTLITERAL,
	    "source 'localhost'");
	bad("multicast:239.1.1.1:5", &v6, DN_EFAMILY,
	    "group 239.1.1.1 is IPv4 but IPv6 only was asked (the default "
	    "family)");
	bad("multicast:239.1.1.1:5:interface=nosuchif0", &any, DN_EBADSCOPE,
	    "no interface named 'nosuchif0'");
	bad("multicast:239.1.1.1:5:interface=192.0.2.99", &any, DN_EBADSCOPE,
	    "no interface has the address 192.0.2.99");
	bad("multicast:group=239.1.1.1:port=5:group=239.1.1.2", &any,
	    DN_ESYNTAX, "key 'group' appears");

	if (other[0] == '\0') {
		ok(1, "# SKIP zone and interface disagree: one interface only");
		ok(1, "# SKIP interface= and -I disagree: one interface only");
		return;
	}
	snprintf(text, sizeof(text), "multicast:ff02\\:\\:1%%lo:5:interface=%s",
	    other);
	snprintf(frag, sizeof(frag), "is on another interface than %s: give "
	    "the interface once", other);
	bad(text, &any, DN_EBADSCOPE, frag);
	snprintf(frag, sizeof(frag), "interface=lo in multicast: description "
	    "and the default interface %s differ", other);
	bad("multicast:239.1.1.1:5:interface=lo", &oth, DN_EBADSCOPE, frag);
}

/* --- dn_dgram_endpoint_new_multicast ---------------------------------- */

static void
nm_form(const char *group, uint16_t port, const char *source,
    const dn_endpoint_defaults *defs, const char *want)
{
	char buf[512];
	dn_dgram_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	ep = dn_dgram_endpoint_new_multicast(group, port, source, defs, &e);
	if (ep == NULL) {
		ok(0, "new_multicast %s %u", group, port);
		diag("  %s: %s", dn_err_name(e.code), e.msg);
		return;
	}
	is_str(show(ep, buf, sizeof(buf)), want, "new_multicast %s %u%s%s",
	    group, port, source != NULL ? " source " : "",
	    source != NULL ? source : "");
	dn_dgram_endpoint_free(ep);
}

static void
nm_bad(const char *group, uint16_t port, const char *source,
    const dn_endpoint_defaults *defs, dn_err code, const char *frag)
{
	dn_dgram_endpoint *ep;
	dn_error e;

	memset(&e, 0, sizeof(e));
	ep = dn_dgram_endpoint_new_multicast(group, port, source, defs, &e);
	if (!ok(ep == NULL && e.code == code && strstr(e.msg, frag) != NULL,
	    "new_multicast %s %u%s%s: %s, says '%s'", group != NULL ? group :
	    "(null)", port, source != NULL ? " source " : "",
	    source != NULL ? source : "", dn_err_name(code), frag))
		diag("  got %s: %s", ep != NULL ? "an endpoint" :
		    dn_err_name(e.code), e.msg);
	dn_dgram_endpoint_free(ep);
}

static void
test_new_multicast(void)
{
	dn_endpoint_defaults any = defaults(AF_UNSPEC, NULL);
	dn_endpoint_defaults lo = defaults(AF_UNSPEC, "lo");
	dn_endpoint_defaults v6 = defaults(AF_INET6, NULL);
	dn_endpoint_defaults bogus = defaults(AF_UNSPEC, "nosuchif0");
	dn_endpoint_defaults oth = defaults(AF_UNSPEC, other);
	char frag[128];

	nm_form("239.1.1.1", 5000, NULL, NULL, "multicast v4 local=- "
	    "dest=239.1.1.1:5000 host=- port=5000 if=- src=- hops=-1 loop=-1 "
	    "v6only=-1");
	nm_form("ff02::1%lo", 5, NULL, &any, "multicast v6 local=- "
	    "dest=[ff02::1%lo]:5 host=- port=5 if=- src=- hops=-1 loop=-1 "
	    "v6only=-1");
	nm_form("ff02::1", 5, NULL, &lo, "multicast v6 local=- "
	    "dest=[ff02::1%lo]:5 host=- port=5 if=lo src=- hops=-1 loop=-1 "
	    "v6only=-1");
	nm_form("232.1.1.1", 5, "192.0.2.1", &lo, "multicast v4 local=- "
	    "dest=232.1.1.1:5 host=- port=5 if=lo src=192.0.2.1 hops=-1 "
	    "loop=-1 v6only=-1");
	nm_form("ff12::db8:1%lo", 9, NULL, &any, "multicast v6 local=- "
	    "dest=[ff12::db8:1%lo]:9 host=- port=9 if=- src=- hops=-1 loop=-1 "
	    "v6only=-1");

	nm_bad("192.0.2.1", 5, NULL, &any, DN_EINVAL, "is not a multicast "
	    "address");
	nm_bad("239.1.1.1", 0, NULL, &any, DN_ERANGE, "port 0 cannot be a "
	    "group's");
	nm_bad(NULL, 5, NULL, &any, DN_ESYNTAX, "has no group");
	nm_bad("", 5, NULL, &any, DN_ESYNTAX, "has no group");
	nm_bad("ff02::1", 5, NULL, &any, DN_ENOSCOPE, "add %IFACE");
	nm_bad("239.1.1.1", 5, "::1", &any, DN_EFAMILY, "source ::1 is IPv6 "
	    "but group 239.1.1.1 is IPv4");
	nm_bad("239.1.1.1", 5, NULL, &v6, DN_EFAMILY, "IPv6 only was asked");
	nm_bad("ff02::1", 5, NULL, &bogus, DN_EBADSCOPE, "no interface named "
	    "'nosuchif0'");
	nm_bad("groups.example", 5, NULL, &any, DN_ENOTLITERAL,
	    "group 'groups.example' must be an address literal");
	nm_bad("fe80::1%lo%lo", 5, NULL, &any, DN_ESYNTAX, "");
	if (other[0] == '\0') {
		ok(1, "# SKIP zone and -I disagree: one interface only");
		return;
	}
	snprintf(frag, sizeof(frag), "is on another interface than %s", other);
	nm_bad("ff02::1%lo", 5, NULL, &oth, DN_EBADSCOPE, frag);
}

/* --- the membership rules the description leaves to the join ---------- */

static void
test_join_rules(void)
{
	dn_endpoint_defaults any = defaults(AF_UNSPEC, NULL);
	dn_dgram_endpoint *ssm, *asm_src;
	dn_reactor *r;
	dn_udp *u;
	dn_error e;
	int rv;

	r = reactor_or_bail();
	u = dn_udp_listen(r, 0, "0.0.0.0", NULL, &e);
	ssm = dn_dgram_endpoint_parse("multicast:232.1.1.1:5:interface=lo",
	    &any, &e);
	asm_src = dn_dgram_endpoint_parse("multicast:239.1.1.1:5:"
	    "source=192.0.2.1:interface=lo", &any, &e);
	if (u == NULL || ssm == NULL || asm_src == NULL) {
		ok(0, "join rules: socket and endpoints (%s)", e.msg);
		ok(0, "join rules: socket and endpoints");
		goto done;
	}
	memset(&e, 0, sizeof(e));
	rv = dn_mcast_join(u, dn_dgram_endpoint_dest(ssm),
	    dn_dgram_endpoint_source(ssm), dn_dgram_endpoint_interface(ssm),
	    &e);
	ok(rv == -1 && e.code == DN_EINVAL && strstr(e.msg, "group 232.1.1.1 "
	    "is source-specific (232.0.0.0/8): give the source") != NULL,
	    "SSM group without a source: the join refuses, DN_EINVAL (%s)",
	    e.msg);
	memset(&e, 0, sizeof(e));
	rv = dn_mcast_join(u, dn_dgram_endpoint_dest(asm_src),
	    dn_dgram_endpoint_source(asm_src),
	    dn_dgram_endpoint_interface(asm_src), &e);
	ok(rv == -1 && e.code == DN_EINVAL && strstr(e.msg, "source 192.0.2.1 "
	    "given for group 239.1.1.1, which is not source-specific") != NULL,
	    "a source for a group that is not SSM: the join refuses, "
	    "DN_EINVAL (%s)", e.msg);
done:
	dn_dgram_endpoint_free(ssm);
	dn_dgram_endpoint_free(asm_src);
	dn_udp_close(u);
	dn_reactor_free(r);
}

int
main(void)
{
	find_other(netns_private("the host's interfaces"));
	if (other[0] != '\0')
		diag("the other interface is %s", other);
	test_listen();
	test_listen_all();
	test_send();
	test_multicast();
	test_new_multicast();
	test_join_rules();
	dn_dgram_endpoint_free(NULL);
	ok(1, "dn_dgram_endpoint_free(NULL) is fine");
	return tap_done(0);
}
