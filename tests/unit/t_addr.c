/* t_addr.c - table-driven tests of address parsing, formatting, classification and errors. */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "tap.h"
#include "util.h"

/*
 * Tokens in the tables, replaced before use so that the tests run on any
 * host: '@' the index of "lo", '#' an index no interface has, '!' the name
 * of an interface other than lo (cases using it are skipped without one).
 */
static char lo_idx[16], bad_idx[16], other_if[IF_NAMESIZE];

static int
subst(const char *in, char *out, size_t len)
{
	size_t o = 0;
	const char *r;

	for (; *in != '\0'; in++) {
		switch (*in) {
		case '@':
			r = lo_idx;
			break;
		case '#':
			r = bad_idx;
			break;
		case '!':
			if (other_if[0] == '\0')
				return -1;
			r = other_if;
			break;
		default:
			if (o + 1 < len)
				out[o++] = *in;
			continue;
		}
		while (*r != '\0' && o + 1 < len)
			out[o++] = *r++;
	}
	out[o] = '\0';
	return 0;
}

static void
setup(void)
{
	struct if_nameindex *ifs, *i;
	unsigned lo;

	lo = if_nametoindex("lo");
	if (lo == 0) {
		printf("1..0 # SKIP no loopback interface named lo\n");
		exit(0);
	}
	snprintf(lo_idx, sizeof(lo_idx), "%u", lo);
	snprintf(bad_idx, sizeof(bad_idx), "%u", no_such_ifindex());
	if ((ifs = if_nameindex()) != NULL) {
		for (i = ifs; i->if_index != 0; i++)
			if (strcmp(i->if_name, "lo") != 0) {
				snprintf(other_if, sizeof(other_if), "%s",
				    i->if_name);
				break;
			}
		if_freenameindex(ifs);
	}
}

/* Hint flags in the table: 0 means "optional", so NONE needs its own. */
#define OPT	0
#define REQ	1
#define NONE	2

struct pcase {
	const char *text;
	int port;		/* OPT, REQ, NONE */
	int family;
	const char *dscope;
	const char *what;
	dn_err code;
	const char *want;	/* format on success, else a message fragment */
	uint32_t flow;
};

static const struct pcase pcases[] = {
	/* IPv4 */
	{ "192.0.2.1", OPT, 0, NULL, NULL, DN_OK, "192.0.2.1:0", 0 },
	{ "192.0.2.1:80", OPT, 0, NULL, NULL, DN_OK, "192.0.2.1:80", 0 },
	{ "0.0.0.0:0", OPT, 0, NULL, NULL, DN_OK, "0.0.0.0:0", 0 },
	{ "255.255.255.255:65535", OPT, 0, NULL, NULL, DN_OK,
	  "255.255.255.255:65535", 0 },
	{ "192.0.2.1:80", REQ, 0, NULL, NULL, DN_OK, "192.0.2.1:80", 0 },
	{ "192.0.2.1", NONE, 0, NULL, NULL, DN_OK, "192.0.2.1:0", 0 },
	{ "192.0.2.1", OPT, AF_INET, NULL, NULL, DN_OK, "192.0.2.1:0", 0 },
	{ "192.0.2.1", OPT, 0, "lo", NULL, DN_OK, "192.0.2.1:0", 0 },
	/* IPv6 */
	{ "2001:db8::1", OPT, 0, NULL, NULL, DN_OK, "[2001:db8::1]:0", 0 },
	{ "2001:db8::1:80", OPT, 0, NULL, NULL, DN_OK, "[2001:db8::1:80]:0", 0 },
	{ "2001:DB8::A", OPT, 0, NULL, NULL, DN_OK, "[2001:db8::a]:0", 0 },
	{ "[2001:db8::1]:443", OPT, 0, NULL, NULL, DN_OK, "[2001:db8::1]:443", 0 },
	{ "[2001:db8::1]", OPT, 0, NULL, NULL, DN_OK, "[2001:db8::1]:0", 0 },
	{ "::", OPT, 0, NULL, NULL, DN_OK, "[::]:0", 0 },
	{ "::1", OPT, 0, NULL, NULL, DN_OK, "[::1]:0", 0 },
	{ "[::1]:8080", REQ, 0, NULL, NULL, DN_OK, "[::1]:8080", 0 },
	{ "::ffff:192.0.2.1", OPT, 0, NULL, NULL, DN_OK,
	  "[::ffff:192.0.2.1]:0", 0 },
	{ "[::ffff:192.0.2.1]:80", OPT, 0, NULL, NULL, DN_OK,
	  "[::ffff:192.0.2.1]:80", 0 },
	{ "2001:db8::1", OPT, AF_INET6, NULL, NULL, DN_OK, "[2001:db8::1]:0", 0 },
	{ "2001:db8::1", OPT, 0, "lo", NULL, DN_OK, "[2001:db8::1]:0", 0 },
	{ "ff05::1", OPT, 0, NULL, NULL, DN_OK, "[ff05::1]:0", 0 },
	{ "ff0e::1", OPT, 0, "lo", NULL, DN_OK, "[ff0e::1]:0", 0 },
	/* scopes */
	{ "fe80::1%lo", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:0", 0 },
	{ "fe80::1%@", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:0", 0 },
	{ "fe80::abcd:1%lo", NONE, 0, NULL, NULL, DN_OK,
	  "[fe80::abcd:1%lo]:0", 0 },
	{ "[fe80::1%lo]:80", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "[fe80::1%lo]:0", REQ, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:0", 0 },
	{ "[fe80::1%25lo]:80", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "[fe80::1%@]:80", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "[fe80::1%25@]:80", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "[fe80::1%25%6Co]:80", OPT, 0, NULL, NULL, DN_OK,
	  "[fe80::1%lo]:80", 0 },
	{ "[fe80::1%25lo]", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:0", 0 },
	{ "ff02::1%lo", OPT, 0, NULL, NULL, DN_OK, "[ff02::1%lo]:0", 0 },
	{ "ff01::1%lo", OPT, 0, NULL, NULL, DN_OK, "[ff01::1%lo]:0", 0 },
	{ "ff12::1%lo", OPT, 0, NULL, NULL, DN_OK, "[ff12::1%lo]:0", 0 },
	{ "fe80::1", OPT, 0, "lo", NULL, DN_OK, "[fe80::1%lo]:0", 0 },
	{ "fe80::1", OPT, 0, "@", NULL, DN_OK, "[fe80::1%lo]:0", 0 },
	{ "[fe80::1]:22", REQ, 0, "lo", NULL, DN_OK, "[fe80::1%lo]:22", 0 },
	{ "ff02::1", OPT, 0, "lo", NULL, DN_OK, "[ff02::1%lo]:0", 0 },
	{ "fe80::1%lo", OPT, 0, "nosuchif0", NULL, DN_OK, "[fe80::1%lo]:0", 0 },
	/* 4-tuples */
	{ "192.0.2.1,80", OPT, 0, NULL, NULL, DN_OK, "192.0.2.1:80", 0 },
	{ "192.0.2.1,80,0", OPT, 0, NULL, NULL, DN_OK, "192.0.2.1:80", 0 },
	{ "2001:db8::1,80", OPT, 0, NULL, NULL, DN_OK, "[2001:db8::1]:80", 0 },
	{ "2001:db8::1,80,0,,", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "too many fields", 0 },
	{ "2001:db8::1,80,0,", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "the tuple '2001:db8::1,80,0,' ends in an empty field", 0 },
	{ "::1,,,", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "drop the trailing commas", 0 },
	{ "::1,", OPT, 0, NULL, NULL, DN_ESYNTAX, "ends in an empty field", 0 },
	{ "2001:db8::1,,0xFFFFF", OPT, 0, NULL, NULL, DN_OK,
	  "[2001:db8::1]:0", 0xFFFFF },
	{ "fe80::1,8080,,lo", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:8080", 0 },
	{ "fe80::1,8080,0x12345,lo", OPT, 0, NULL, NULL, DN_OK,
	  "[fe80::1%lo]:8080", 0x12345 },
	{ "fe80::1,8080,74565,@", OPT, 0, NULL, NULL, DN_OK,
	  "[fe80::1%lo]:8080", 0x12345 },
	{ "[fe80::1],80,,lo", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "[fe80::1%25lo],80", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "fe80::1%lo,80,,lo", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "fe80::1%lo,80,,@", OPT, 0, NULL, NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "fe80::1,80", OPT, 0, "lo", NULL, DN_OK, "[fe80::1%lo]:80", 0 },
	{ "2001:db8::1,80,0x0", REQ, 0, NULL, NULL, DN_OK, "[2001:db8::1]:80", 0 },

	/* empty, garbage, names */
	{ "", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty address", 0 },
	{ "", OPT, 0, NULL, "bind address", DN_ESYNTAX, "empty bind address", 0 },
	{ "example.com", OPT, 0, NULL, NULL, DN_ENOTLITERAL,
	  "example.com is not an address literal", 0 },
	{ "localhost:80", OPT, 0, NULL, NULL, DN_ENOTLITERAL,
	  "localhost is not an address literal", 0 },
	{ "example.com,80", OPT, 0, NULL, NULL, DN_ENOTLITERAL,
	  "example.com is not an address literal", 0 },
	{ "host-1.example", OPT, 0, NULL, NULL, DN_ENOTLITERAL,
	  "host-1.example is not an address literal", 0 },
	{ "example.com", OPT, 0, NULL, "destination", DN_ENOTLITERAL,
	  "destination example.com is not an address literal", 0 },
	{ "%lo", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "the address before '%lo' is empty", 0 },
	{ "[%25lo]:80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "the address before '%25lo' in '[%25lo]:80' is empty", 0 },
	{ "localhost%lo", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "zone goes only on an IPv6 literal", 0 },
	{ "[example.com]:80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "brackets hold an IPv6 literal", 0 },
	{ "[192.0.2.1]:80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "brackets are for IPv6", 0 },
	{ "2001:db8::g", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "'2001:db8::g' is not a valid IPv6 address", 0 },
	{ "1:2:3:4:5:6:7:8:9", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "not a valid IPv6 address", 0 },
	{ "192.0.2.256", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "'192.0.2.256' is not a valid IPv4 address", 0 },
	{ "127.1", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "not a valid IPv4 address", 0 },
	{ "foo bar", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "space or control character at offset 3", 0 },
	{ "a/b", OPT, 0, NULL, NULL, DN_ESYNTAX, "'a/b' is not an address", 0 },
	{ ":80", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty host before the port", 0 },
	/* brackets */
	{ "[::1", OPT, 0, NULL, NULL, DN_ESYNTAX, "missing ']'", 0 },
	{ "::1]", OPT, 0, NULL, NULL, DN_ESYNTAX, "']' without '['", 0 },
	{ "[]:80", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty brackets", 0 },
	{ "[::1]x", OPT, 0, NULL, NULL, DN_ESYNTAX, "unexpected 'x' after ']'", 0 },
	{ "[[::1]]:80", OPT, 0, NULL, NULL, DN_ESYNTAX, "stray bracket", 0 },
	/* ports */
	{ "192.0.2.1:65536", OPT, 0, NULL, NULL, DN_ERANGE,
	  "port 65536 is out of range: use 0..65535", 0 },
	{ "192.0.2.1:99999999999999999999999", OPT, 0, NULL, NULL, DN_ERANGE,
	  "is out of range", 0 },
	{ "[::1]:-1", OPT, 0, NULL, NULL, DN_ERANGE, "port -1 is out of range", 0 },
	{ "192.0.2.1:http", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "port 'http' is not a number", 0 },
	{ "192.0.2.1:0x50", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "port '0x50' is not a number", 0 },
	{ "192.0.2.1:", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty port", 0 },
	{ "[::1]:", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty port", 0 },
	{ "2001:db8::1,http", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "port 'http' is not a number", 0 },
	{ "2001:db8::1,65536", OPT, 0, NULL, NULL, DN_ERANGE,
	  "port 65536 is out of range", 0 },
	{ "192.0.2.1:80", NONE, 0, NULL, "interface", DN_ESYNTAX,
	  "interface 192.0.2.1 takes no port: drop the port 80", 0 },
	{ "[::1]:80", NONE, 0, NULL, NULL, DN_ESYNTAX, "takes no port", 0 },
	{ "::1,80", NONE, 0, NULL, NULL, DN_ESYNTAX, "takes no port", 0 },
	{ "192.0.2.1", REQ, 0, NULL, "destination", DN_ESYNTAX,
	  "destination 192.0.2.1 has no port: write 192.0.2.1:PORT", 0 },
	{ "2001:db8::1", REQ, 0, NULL, NULL, DN_ESYNTAX,
	  "has no port: write [2001:db8::1]:PORT", 0 },
	{ "2001:db8::1:80", REQ, 0, NULL, NULL, DN_ESYNTAX,
	  "write [2001:db8::1:80]:PORT", 0 },
	{ "fe80::1%lo", REQ, 0, NULL, NULL, DN_ESYNTAX,
	  "write [fe80::1%lo]:PORT", 0 },
	{ "2001:db8::1,,5", REQ, 0, NULL, NULL, DN_ESYNTAX,
	  "tuple's second field", 0 },
	{ "fe80::1%lo:80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "ambiguous: write [fe80::1%lo]:80", 0 },
	/* families */
	{ "2001:db8::1", OPT, AF_INET, NULL, NULL, DN_EFAMILY,
	  "address 2001:db8::1 is IPv6, but only IPv4 is allowed", 0 },
	{ "192.0.2.1:80", OPT, AF_INET6, NULL, "bind address", DN_EFAMILY,
	  "bind address 192.0.2.1 is IPv4, but only IPv6 is allowed", 0 },
	{ "fe80::1", OPT, AF_INET, NULL, NULL, DN_EFAMILY, "is IPv6", 0 },
	{ "::ffff:192.0.2.1", OPT, AF_INET, NULL, NULL, DN_EFAMILY, "is IPv6", 0 },
	/* missing scope */
	{ "fe80::1", OPT, 0, NULL, NULL, DN_ENOSCOPE,
	  "fe80::1 is link-local: add %IFACE or a default scope, one of: ", 0 },
	{ "fe80::1", OPT, 0, NULL, "bind address", DN_ENOSCOPE,
	  "bind address fe80::1 is link-local", 0 },
	{ "[fe80::1]:80", OPT, 0, NULL, NULL, DN_ENOSCOPE, "lo", 0 },
	{ "fe80::1,80", OPT, 0, NULL, NULL, DN_ENOSCOPE, "is link-local", 0 },
	{ "fe80::1,80", OPT, 0, "", NULL, DN_ENOSCOPE, "is link-local", 0 },
	{ "fe80::1,80,,", OPT, 0, "", NULL, DN_ESYNTAX, "empty field", 0 },
	{ "febf::1", OPT, 0, NULL, NULL, DN_ENOSCOPE, "is link-local", 0 },
	{ "ff02::1", OPT, 0, NULL, NULL, DN_ENOSCOPE,
	  "ff02::1 is link-local multicast: add %IFACE", 0 },
	{ "ff01::1", OPT, 0, NULL, NULL, DN_ENOSCOPE,
	  "ff01::1 is interface-local multicast: add %IFACE", 0 },
	{ "ff32::1", OPT, 0, NULL, NULL, DN_ENOSCOPE, "link-local multicast", 0 },
	{ "ff11::1", OPT, 0, NULL, NULL, DN_ENOSCOPE, "interface-local", 0 },
	/* scope where none belongs */
	{ "2001:db8::1%lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "2001:db8::1 is a global address: it takes no scope (%lo)", 0 },
	{ "[2001:db8::1%nosuchif0]:80", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "it takes no scope (%nosuchif0)", 0 },
	{ "192.0.2.1%lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "192.0.2.1 is IPv4: it takes no scope (%lo)", 0 },
	{ "192.0.2.1%lo:80", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "is IPv4: it takes no scope", 0 },
	{ "::1%lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "::1 is the loopback address: it takes no scope", 0 },
	{ "::%lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  ":: is the unspecified address", 0 },
	{ "::ffff:192.0.2.1%lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "is a v4-mapped address", 0 },
	{ "fd00::1%lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "is a unique local address", 0 },
	{ "ff05::1%lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "ff05::1 is a site-local multicast address: it takes no scope", 0 },
	{ "192.0.2.1,80,,lo", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "it takes no scope (%lo)", 0 },
	{ "2001:db8::1,80,,@", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "is a global address", 0 },
	/* unknown interfaces */
	{ "fe80::1%nosuchif0", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'nosuchif0': use one of ", 0 },
	{ "[fe80::1%25nosuchif0]:80", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'nosuchif0'", 0 },
	{ "ff02::1%nosuchif0", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'nosuchif0'", 0 },
	{ "fe80::1%#", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface with index #: use one of ", 0 },
	{ "fe80::1%0", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "scope 0 is not an interface index", 0 },
	{ "fe80::1%4294967296", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "not an interface index", 0 },
	{ "fe80::1%averyveryverylongname0", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'averyveryverylongname0'", 0 },
	{ "fe80::1,80,,nosuchif0", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'nosuchif0'", 0 },
	{ "fe80::1,80,,#", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface with index #", 0 },
	/* Linux reads "lo:80" as an alias of lo: a port slipped into the
	 * zone, never lo (found by fuzz/fuzz_hostport.c) */
	{ "[fe80::1%lo:80]:22", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'lo:80'", 0 },
	{ "[fe80::1%25lo%3A1]:22", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'lo:1'", 0 },
	{ "fe80::1,80,,lo:1", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "no interface named 'lo:1'", 0 },
	{ "fe80::1", OPT, 0, "nosuchif0", NULL, DN_EBADSCOPE,
	  "no interface named 'nosuchif0'", 0 },
	{ "fe80::1%lo,80,,!", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "%lo and tuple scope ! disagree", 0 },
	{ "fe80::1%!,80,,@", OPT, 0, NULL, NULL, DN_EBADSCOPE,
	  "%! and tuple scope @ disagree", 0 },
	/* zones */
	{ "fe80::1%", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty zone after '%'", 0 },
	{ "[fe80::1%]:80", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty zone", 0 },
	{ "[fe80::1%25%zz]:80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "bad percent-escape", 0 },
	{ "[fe80::1%25%0a]:80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "decodes to a space or control character", 0 },
	{ "fe80::1%lo%lo", OPT, 0, NULL, NULL, DN_ESYNTAX, "two '%'", 0 },
	/* tuples */
	{ "a,b,c,d,e", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "too many fields in 'a,b,c,d,e': use HOST,PORT,FLOWINFO,SCOPE", 0 },
	{ ",80", OPT, 0, NULL, NULL, DN_ESYNTAX, "empty host in the tuple", 0 },
	{ "192.0.2.1:80,80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "the port is the second field", 0 },
	{ "[::1]:80,80", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "the port is the second field", 0 },
	{ "2001:db8::1,80,0x100000", OPT, 0, NULL, NULL, DN_ERANGE,
	  "flowinfo 0x100000 is over 20 bits: use 0..0xFFFFF", 0 },
	{ "2001:db8::1,80,1048576", OPT, 0, NULL, NULL, DN_ERANGE,
	  "over 20 bits", 0 },
	{ "2001:db8::1,80,0xfffffffffffffffffffff", OPT, 0, NULL, NULL,
	  DN_ERANGE, "over 20 bits", 0 },
	{ "2001:db8::1,80,12ab", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "flowinfo '12ab' is not a number", 0 },
	{ "2001:db8::1,80,0x", OPT, 0, NULL, NULL, DN_ESYNTAX,
	  "flowinfo '0x' is not a number", 0 },
	{ "2001:db8::1,80,-1", OPT, 0, NULL, NULL, DN_ERANGE, "over 20 bits", 0 },
	{ "192.0.2.1,80,5", OPT, 0, NULL, NULL, DN_EINVAL,
	  "192.0.2.1 is IPv4: flowinfo is for IPv6 only", 0 },
};

static int
hints_of(const struct pcase *c, dn_addr_hints *h, char *ds, size_t dslen)
{
	memset(h, 0, sizeof(*h));
	h->flags = c->port == REQ ? DN_ADDR_PORT_REQUIRED :
	    c->port == NONE ? DN_ADDR_PORT_NONE : DN_ADDR_PORT_OPTIONAL;
	h->family = c->family;
	h->what = c->what;
	if (c->dscope != NULL) {
		if (subst(c->dscope, ds, dslen) == -1)
			return -1;
		h->default_scope = ds;
	}
	return 0;
}

static void
test_parse_table(void)
{
	char text[512], want[512], ds[64], buf[DN_ADDR_STRLEN];
	dn_addr a, b, poison;
	dn_addr_hints h;
	dn_error err;
	size_t i;
	int rv;

	memset(&poison, 0xa5, sizeof(poison));
	for (i = 0; i < ARRLEN(pcases); i++) {
		const struct pcase *c = &pcases[i];

		if (subst(c->text, text, sizeof(text)) == -1 ||
		    subst(c->want, want, sizeof(want)) == -1 ||
		    hints_of(c, &h, ds, sizeof(ds)) == -1) {
			ok(1, "# SKIP '%s': needs a second interface", c->text);
			continue;
		}
		a = poison;
		memset(&err, 0, sizeof(err));
		rv = dn_addr_parse(&a, text, &h, &err);
		if (c->code == DN_OK) {
			if (rv != 0) {
				ok(0, "parse '%s'", text);
				diag("  failed: %s: %s", dn_err_name(err.code),
				    err.msg);
				continue;
			}
			dn_addr_format(&a, buf, sizeof(buf));
			if (!ok(strcmp(buf, want) == 0 &&
			    dn_addr_flowinfo(&a) == c->flow, "parse '%s' -> %s",
			    text, want))
				diag("  got '%s' flowinfo 0x%x", buf,
				    dn_addr_flowinfo(&a));
			/* round trip: the formatted text parses to the same value */
			b = poison;
			rv = dn_addr_parse(&b, buf, NULL, &err);
			if (dn_addr_family(&a) == AF_INET6)
				a.u.sin6.sin6_flowinfo = 0;
			if (!ok(rv == 0 && dn_addr_equal(&a, &b) &&
			    a.len == b.len, "round trip '%s'", buf) && rv != 0)
				diag("  %s", err.msg);
		} else {
			int same = memcmp(&a, &poison, sizeof(a)) == 0;

			if (!ok(rv == -1 && err.code == c->code &&
			    strstr(err.msg, want) != NULL && same,
			    "'%s' fails with %s", text, dn_err_name(c->code)))
				diag("  got rv %d %s '%s'%s", rv,
				    dn_err_name(err.code), err.msg,
				    same ? "" : " (out written)");
			else if (strchr(err.msg, '\n') != NULL ||
			    err.msg[strlen(err.msg) - 1] == '.')
				ok(0, "message of '%s' is one line without a "
				    "trailing period", text);
		}
	}
}

static void
test_null_and_long(void)
{
	char text[400];
	dn_addr a;
	dn_error err;

	is_int(dn_addr_parse(&a, NULL, NULL, &err), -1, "NULL text fails");
	is_int(err.code, DN_ESYNTAX, "NULL text is ESYNTAX");
	memset(text, '1', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	ok(dn_addr_parse(&a, text, NULL, &err) == -1 && err.code == DN_ESYNTAX &&
	    strstr(err.msg, "too long (399 characters)") != NULL,
	    "overlong text fails with a length");
	ok(dn_addr_parse(&a, "fe80::1", NULL, NULL) == -1,
	    "a NULL dn_error is fine");
	ok(dn_addr_parse(&a, "192.0.2.1:80", NULL, &err) == 0 &&
	    dn_addr_port(&a) == 80, "NULL hints: port optional");
	ok(dn_addr_parse(&a, "fe80::1", NULL, &err) == -1 &&
	    (strstr(err.msg, "one of: lo") != NULL ||
	    strstr(err.msg, ", lo") != NULL),
	    "the interface list names lo");
}

struct ccase {
	const char *text;
	int loopback, unspec, linklocal, multicast, v4mapped, mscope, needs;
};

static const struct ccase ccases[] = {
	{ "127.0.0.1",		1, 0, 0, 0, 0, -1, 0 },
	{ "127.255.0.9",	1, 0, 0, 0, 0, -1, 0 },
	{ "::1",		1, 0, 0, 0, 0, -1, 0 },
	{ "0.0.0.0",		0, 1, 0, 0, 0, -1, 0 },
	{ "::",			0, 1, 0, 0, 0, -1, 0 },
	{ "169.254.1.1",	0, 0, 1, 0, 0, -1, 0 },
	{ "fe80::1%lo",		0, 0, 1, 0, 0, -1, 1 },
	{ "224.0.0.1",		0, 0, 0, 1, 0, -1, 0 },
	{ "239.255.255.250",	0, 0, 0, 1, 0, -1, 0 },
	{ "ff01::1%lo",		0, 0, 0, 1, 0, 1, 1 },
	{ "ff02::1%lo",		0, 0, 0, 1, 0, 2, 1 },
	{ "ff05::2",		0, 0, 0, 1, 0, 5, 0 },
	{ "ff08::2",		0, 0, 0, 1, 0, 8, 0 },
	{ "ff0e::1",		0, 0, 0, 1, 0, 14, 0 },
	{ "ff3e::1234",		0, 0, 0, 1, 0, 14, 0 },
	{ "::ffff:127.0.0.1",	1, 0, 0, 0, 1, -1, 0 },
	{ "::ffff:192.0.2.1",	0, 0, 0, 0, 1, -1, 0 },
	{ "2001:db8::1",	0, 0, 0, 0, 0, -1, 0 },
	{ "192.0.2.1",		0, 0, 0, 0, 0, -1, 0 },
};

static void
test_classify(void)
{
	const struct ccase *c;
	dn_addr a;
	dn_error err;
	size_t i;

	for (i = 0; i < ARRLEN(ccases); i++) {
		c = &ccases[i];
		if (dn_addr_parse(&a, c->text, NULL, &err) == -1) {
			ok(0, "classify %s: %s", c->text, err.msg);
			continue;
		}
		if (!ok(dn_addr_is_loopback(&a) == c->loopback &&
		    dn_addr_is_unspecified(&a) == c->unspec &&
		    dn_addr_is_linklocal(&a) == c->linklocal &&
		    dn_addr_is_multicast(&a) == c->multicast &&
		    dn_addr_is_v4mapped(&a) == c->v4mapped &&
		    dn_addr_mcast_scope(&a) == c->mscope &&
		    dn_addr_needs_scope(&a) == c->needs, "classify %s", c->text))
			diag("  got lo %d unspec %d ll %d mc %d mapped %d "
			    "scope %d needs %d", dn_addr_is_loopback(&a),
			    dn_addr_is_unspecified(&a), dn_addr_is_linklocal(&a),
			    dn_addr_is_multicast(&a), dn_addr_is_v4mapped(&a),
			    dn_addr_mcast_scope(&a), dn_addr_needs_scope(&a));
	}
}

static void
test_format_access(void)
{
	char buf[DN_ADDR_STRLEN], small[8];
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	dn_addr a, b;
	dn_error err;
	unsigned lo = if_nametoindex("lo");

	dn_addr_parse(&a, "fe80::1,8080,0x12345,lo", NULL, &err);
	is_str(dn_addr_format_host(&a, buf, sizeof(buf)), "fe80::1%lo",
	    "format_host keeps the scope, no brackets or port");
	is_str(dn_addr_format_scope(&a, buf, sizeof(buf)), "lo",
	    "format_scope gives the interface name");
	is_int(dn_addr_port(&a), 8080, "port accessor");
	is_int(dn_addr_flowinfo(&a), 0x12345, "flowinfo accessor");
	is_int(dn_addr_scope(&a), lo, "scope accessor is lo's index");
	is_int(dn_addr_family(&a), AF_INET6, "family accessor");
	is_int(a.len, sizeof(struct sockaddr_in6), "IPv6 length");
	ok(ntohs(a.u.sin6.sin6_port) == 8080 &&
	    ntohl(a.u.sin6.sin6_flowinfo) == 0x12345,
	    "port and flowinfo are stored in network order");
	dn_addr_set_port(&a, 9);
	is_str(dn_addr_format(&a, buf, sizeof(buf)), "[fe80::1%lo]:9",
	    "set_port");
	dn_addr_format(&a, small, sizeof(small));
	is_int(strlen(small), sizeof(small) - 1, "format truncates safely");

	dn_addr_parse(&a, "192.0.2.1:80", NULL, &err);
	is_str(dn_addr_format_host(&a, buf, sizeof(buf)), "192.0.2.1",
	    "format_host IPv4");
	is_str(dn_addr_format_scope(&a, buf, sizeof(buf)), "",
	    "format_scope IPv4 is empty");
	ok(dn_addr_flowinfo(&a) == 0 && dn_addr_scope(&a) == 0 &&
	    a.len == sizeof(struct sockaddr_in), "IPv4: no flowinfo, no scope");

	/* a scope index without an interface prints as a number */
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fe80::2", &s6.sin6_addr);
	s6.sin6_port = htons(443);
	s6.sin6_scope_id = (uint32_t)strtoul(bad_idx, NULL, 10);
	ok(dn_addr_from_sockaddr(&a, (struct sockaddr *)&s6, sizeof(s6),
	    NULL) == 0, "from_sockaddr IPv6");
	{
		char want[64];

		snprintf(want, sizeof(want), "[fe80::2%%%s]:443", bad_idx);
		is_str(dn_addr_format(&a, buf, sizeof(buf)), want,
		    "a scope with no interface prints in decimal");
	}
	ok(dn_addr_from_sockaddr(&b, (struct sockaddr *)&s6, sizeof(s6) - 4,
	    &err) == -1 && err.code == DN_EINVAL, "from_sockaddr refuses a short "
	    "IPv6 length (%s)", err.msg);
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(5000);
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(dn_addr_from_sockaddr(&b, (struct sockaddr *)&s4,
	    sizeof(struct sockaddr_storage), NULL) == 0 &&
	    b.len == sizeof(s4), "from_sockaddr IPv4 with a storage length");
	is_str(dn_addr_format(&b, buf, sizeof(buf)), "127.0.0.1:5000",
	    "format IPv4 from a kernel address");
	s4.sin_family = AF_UNIX;
	ok(dn_addr_from_sockaddr(&b, (struct sockaddr *)&s4, sizeof(s4),
	    &err) == -1 && err.code == DN_EFAMILY, "from_sockaddr refuses AF_UNIX "
	    "(%s)", err.msg);

	memset(&b, 0, sizeof(b));
	is_str(dn_addr_format(&b, buf, sizeof(buf)), "(none)",
	    "format of an empty value");

	/* equality is the whole 4-tuple */
	dn_addr_parse(&a, "fe80::1,80,5,lo", NULL, &err);
	dn_addr_parse(&b, "fe80::1,80,5,lo", NULL, &err);
	ok(dn_addr_equal(&a, &b), "equal 4-tuples");
	dn_addr_parse(&b, "fe80::1,80,6,lo", NULL, &err);
	ok(!dn_addr_equal(&a, &b), "flowinfo differs");
	dn_addr_parse(&b, "fe80::1,81,5,lo", NULL, &err);
	ok(!dn_addr_equal(&a, &b), "port differs");
	dn_addr_parse(&a, "127.0.0.1:80", NULL, &err);
	dn_addr_parse(&b, "::ffff:127.0.0.1", NULL, &err);
	dn_addr_set_port(&b, 80);
	ok(!dn_addr_equal(&a, &b), "v4-mapped is not equal to IPv4");
	ok(dn_addr_equal(NULL, NULL) && !dn_addr_equal(&a, NULL),
	    "equal with NULL");
}

struct fpcase {
	const char *host;
	int port;
	uint32_t flow;
	const char *scope;
	int req;
	dn_err code;
	const char *want;
};

static const struct fpcase fpcases[] = {
	{ "fe80::1", 80, 0x12345, "lo", 0, DN_OK, "[fe80::1%lo]:80" },
	{ "fe80::1%lo", 80, 0, "lo", 0, DN_OK, "[fe80::1%lo]:80" },
	{ "[2001:db8::1]", 443, 0, NULL, 0, DN_OK, "[2001:db8::1]:443" },
	{ "192.0.2.1", -1, 0, NULL, 0, DN_OK, "192.0.2.1:0" },
	{ "192.0.2.1", 0, 0, "", 0, DN_OK, "192.0.2.1:0" },
	{ "192.0.2.1", 65536, 0, NULL, 0, DN_ERANGE, "port 65536 is out of range" },
	{ "192.0.2.1", -2, 0, NULL, 0, DN_ERANGE, "out of range" },
	{ "2001:db8::1", 80, 0x100000, NULL, 0, DN_ERANGE,
	  "flowinfo 0x100000 is over 20 bits" },
	{ "192.0.2.1", 80, 5, NULL, 0, DN_EINVAL, "flowinfo is for IPv6 only" },
	{ "fe80::1%lo", 80, 0, "nosuchif0", 0, DN_EBADSCOPE,
	  "no interface named 'nosuchif0'" },
	{ "fe80::1", 80, 0, NULL, 0, DN_ENOSCOPE, "fe80::1 is link-local" },
	{ "2001:db8::1", 80, 0, "lo", 0, DN_EBADSCOPE, "is a global address" },
	{ "example.com", 80, 0, NULL, 0, DN_ENOTLITERAL,
	  "example.com is not an address literal" },
	{ "192.0.2.1:80", 80, 0, NULL, 0, DN_ESYNTAX, "carries a port" },
	{ "[::1]:80", 80, 0, NULL, 0, DN_ESYNTAX, "carries a port" },
	{ "192.0.2.1", -1, 0, NULL, 1, DN_ESYNTAX, "has no port" },
	{ "", 80, 0, NULL, 0, DN_ESYNTAX, "empty address" },
	{ "fe80::1%lo", 80, 0, "!", 0, DN_EBADSCOPE,
	  "%lo and scope ! disagree" },
};

static void
test_from_parts(void)
{
	char buf[DN_ADDR_STRLEN], want[128], sc[64];
	const struct fpcase *c;
	dn_addr_hints h;
	dn_error err;
	dn_addr a;
	size_t i;
	int rv;

	for (i = 0; i < ARRLEN(fpcases); i++) {
		c = &fpcases[i];
		if (subst(c->want, want, sizeof(want)) == -1 ||
		    (c->scope != NULL && subst(c->scope, sc, sizeof(sc)) == -1)) {
			ok(1, "# SKIP from_parts '%s': needs a second interface",
			    c->host);
			continue;
		}
		memset(&h, 0, sizeof(h));
		h.flags = c->req ? DN_ADDR_PORT_REQUIRED : DN_ADDR_PORT_OPTIONAL;
		rv = dn_addr_from_parts(&a, c->host, c->port, c->flow,
		    c->scope != NULL ? sc : NULL, &h, &err);
		if (c->code == DN_OK) {
			if (rv == -1) {
				ok(0, "from_parts '%s' %d: %s", c->host, c->port,
				    err.msg);
				continue;
			}
			dn_addr_format(&a, buf, sizeof(buf));
			ok(strcmp(buf, want) == 0 &&
			    dn_addr_flowinfo(&a) == c->flow,
			    "from_parts '%s' %d -> %s", c->host, c->port, want) ||
			    (diag("  got '%s'", buf), 0);
		} else if (!ok(rv == -1 && err.code == c->code &&
		    strstr(err.msg, want) != NULL,
		    "from_parts '%s' %d fails with %s", c->host, c->port,
		    dn_err_name(c->code)))
			diag("  got rv %d %s '%s'", rv, dn_err_name(err.code),
			    err.msg);
	}
}

struct scase {
	const char *text;
	dn_err code;
	const char *host;	/* or a message fragment */
	int port;
};

static const struct scase scases[] = {
	{ "example.com:80", DN_OK, "example.com", 80 },
	{ "example.com", DN_OK, "example.com", -1 },
	{ "localhost:0", DN_OK, "localhost", 0 },
	{ "[2001:db8::1]:80", DN_OK, "2001:db8::1", 80 },
	{ "[2001:db8::1]", DN_OK, "2001:db8::1", -1 },
	{ "2001:db8::1", DN_OK, "2001:db8::1", -1 },
	{ "2001:db8::1:80", DN_OK, "2001:db8::1:80", -1 },
	{ "192.0.2.1:80", DN_OK, "192.0.2.1", 80 },
	{ "[fe80::1%25eth0]:80", DN_OK, "fe80::1%eth0", 80 },
	{ "[fe80::1%eth0]:80", DN_OK, "fe80::1%eth0", 80 },
	{ "fe80::1%eth0", DN_OK, "fe80::1%eth0", -1 },
	{ "host,80", DN_OK, "host", 80 },
	{ "host.example,443,0", DN_OK, "host.example", 443 },
	{ "fe80::1,80,,eth0", DN_OK, "fe80::1%eth0", 80 },
	{ "fe80::1%eth0,80,0,eth0", DN_OK, "fe80::1%eth0", 80 },
	{ "[fe80::1],22", DN_OK, "fe80::1", 22 },
	{ "", DN_ESYNTAX, "empty host", 0 },
	{ "name:http", DN_ESYNTAX, "port 'http' is not a number", 0 },
	{ "name:70000", DN_ERANGE, "port 70000 is out of range", 0 },
	{ "a/b:80", DN_ESYNTAX, "host name 'a/b' has '/' at offset 1", 0 },
	{ "a..b:80", DN_ESYNTAX, "empty label at offset 2", 0 },
	{ "[::g]:80", DN_ESYNTAX, "'::g' is not an IPv6 address", 0 },
	{ "[name]:80", DN_ESYNTAX, "brackets hold an IPv6 literal", 0 },
	{ "[::1", DN_ESYNTAX, "missing ']'", 0 },
	{ "name,80,5", DN_EINVAL, "flowinfo in 'name,80,5' needs an address", 0 },
	{ "fe80::1%a,80,,b", DN_EBADSCOPE, "%a and tuple scope b disagree", 0 },
	{ "fe80::1%eth0:80", DN_ESYNTAX, "write [fe80::1%eth0]:80", 0 },
	{ "a,b,c,d,e", DN_ESYNTAX, "too many fields", 0 },
	{ "name:80 x", DN_ESYNTAX, "space or control character", 0 },
	{ "a-very-long-host-name-that-does-not-fit.example:80", DN_ERANGE,
	  "longer than 31 characters", 0 },
};

static void
test_split(void)
{
	const struct scase *c;
	char host[32], text[64];
	dn_error err;
	size_t i;
	int port, rv;

	for (i = 0; i < ARRLEN(scases); i++) {
		c = &scases[i];
		strcpy(host, "untouched");
		port = -7;
		rv = dn_hostport_split(c->text, host, sizeof(host), &port, &err);
		if (c->code == DN_OK) {
			if (!ok(rv == 0 && strcmp(host, c->host) == 0 &&
			    port == c->port, "split '%s' -> '%s' %d", c->text,
			    c->host, c->port))
				diag("  got rv %d '%s' %d %s", rv, host, port,
				    rv ? err.msg : "");
		} else if (!ok(rv == -1 && err.code == c->code &&
		    strstr(err.msg, c->host) != NULL &&
		    strcmp(host, "untouched") == 0 && port == -7,
		    "split '%s' fails with %s", c->text, dn_err_name(c->code)))
			diag("  got rv %d %s '%s'", rv, dn_err_name(err.code),
			    err.msg);
	}
	/* one interface by name and by index agrees, as dn_addr_parse()
	 * has it (fuzz/fuzz_hostport.c found the two parsers differing) */
	snprintf(text, sizeof(text), "fe80::1%%lo,80,,%s", lo_idx);
	rv = dn_hostport_split(text, host, sizeof(host), &port, &err);
	if (!ok(rv == 0 && strcmp(host, "fe80::1%lo") == 0 && port == 80,
	    "split '%s': %%lo and scope %s are one interface", text, lo_idx))
		diag("  got rv %d '%s' %d %s", rv, host, port, rv ? err.msg : "");
}

struct bcase {
	const char *bind, *dest;
	dn_err code;
	const char *frag;
};

static const struct bcase bcases[] = {
	{ "192.0.2.1", "fe80::1%lo", DN_EFAMILY,
	  "bind address 192.0.2.1 is IPv4 but destination fe80::1%lo is IPv6: "
	  "bind to an IPv6 address" },
	{ "2001:db8::2", "192.0.2.1:80", DN_EFAMILY,
	  "bind address 2001:db8::2 is IPv6 but destination 192.0.2.1 is IPv4: "
	  "bind to an IPv4 address" },
	{ "::ffff:192.0.2.2", "192.0.2.1", DN_EFAMILY, "is IPv6 but" },
	{ "192.0.2.2", "192.0.2.1:80", DN_OK, NULL },
	{ "::", "[2001:db8::1]:80", DN_OK, NULL },
	{ "fe80::2%lo", "[fe80::1%lo]:80", DN_OK, NULL },
	{ "2001:db8::2", "fe80::1%lo", DN_OK, NULL },
	{ "fe80::2%!", "fe80::1%lo", DN_EBADSCOPE, "on different interfaces" },
};

static void
test_check_bind(void)
{
	char bt[64], dt[64];
	const struct bcase *c;
	dn_addr b, d;
	dn_error err;
	size_t i;
	int rv;

	for (i = 0; i < ARRLEN(bcases); i++) {
		c = &bcases[i];
		if (subst(c->bind, bt, sizeof(bt)) == -1 ||
		    subst(c->dest, dt, sizeof(dt)) == -1) {
			ok(1, "# SKIP check_bind %s: needs a second interface",
			    c->bind);
			continue;
		}
		if (dn_addr_parse(&b, bt, NULL, &err) == -1 ||
		    dn_addr_parse(&d, dt, NULL, &err) == -1) {
			ok(0, "check_bind setup: %s", err.msg);
			continue;
		}
		rv = dn_addr_check_bind(&b, &d, &err);
		if (c->code == DN_OK)
			ok(rv == 0, "bind %s fits destination %s", bt, dt) ||
			    (diag("  %s", err.msg), 0);
		else if (!ok(rv == -1 && err.code == c->code &&
		    strstr(err.msg, c->frag) != NULL,
		    "bind %s vs destination %s fails with %s", bt, dt,
		    dn_err_name(c->code)))
			diag("  got rv %d %s '%s'", rv, dn_err_name(err.code),
			    err.msg);
	}
	dn_addr_parse(&d, "192.0.2.1:80", NULL, &err);
	ok(dn_addr_check_bind(NULL, &d, &err) == 0, "no bind address is fine");
}

static void
test_errors(void)
{
	static const struct { int e; dn_err code; } map[] = {
		{ ECONNREFUSED, DN_EREFUSED }, { ENETUNREACH, DN_EUNREACH },
		{ EHOSTUNREACH, DN_EUNREACH }, { EHOSTDOWN, DN_EUNREACH },
		{ ENETDOWN, DN_EUNREACH }, { ETIMEDOUT, DN_ETIMEDOUT },
		{ EADDRINUSE, DN_ELOCAL }, { EADDRNOTAVAIL, DN_ELOCAL },
		{ EACCES, DN_ELOCAL }, { EPERM, DN_ELOCAL },
		{ ECONNRESET, DN_EIO }, { EPIPE, DN_EIO }, { ENOMEM, DN_ENOMEM },
		{ EPROTO, DN_EOTHER }, { EINVAL, DN_EOTHER },
	};
	size_t i;
	int good = 1, d;

	is_str(dn_strerror(DN_EREFUSED), "connection refused", "strerror");
	is_str(dn_err_name(DN_EREFUSED), "EREFUSED", "err_name");
	is_str(dn_err_name(DN_OK), "OK", "err_name OK");
	is_int(dn_err_kind_of(DN_OK), DN_KIND_NONE, "kind of OK");
	is_int(dn_err_kind_of(DN_EREFUSED), DN_KIND_NETWORK, "kind refused");
	is_int(dn_err_kind_of(DN_ENOSCOPE), DN_KIND_INPUT, "kind noscope");
	is_int(dn_err_kind_of(DN_ENONAME), DN_KIND_NAME, "kind noname");
	is_int(dn_err_kind_of(DN_ELOCAL), DN_KIND_SYSTEM, "kind local");
	is_int(dn_err_kind_of(DN_EIO), DN_KIND_IO, "kind io");
	is_int(dn_err_kind_of(DN_ETIMEDOUT), DN_KIND_TIMEOUT, "kind timeout");
	is_int(dn_err_kind_of(DN_ECANCELED), DN_KIND_CANCELED, "kind cancel");
	is_int(dn_err_kind_of(DN_EOTHER), DN_KIND_SYSTEM, "kind other");
	is_int(dn_err_kind_of(DN__ERR_MAX), DN_KIND_SYSTEM,
	    "a code from a newer library is a failure");
	is_str(dn_err_name(DN__ERR_MAX), "EUNKNOWN", "unknown code name");
	is_str(dn_strerror((dn_err)-1), "unknown error", "unknown code text");
	for (d = 0; d < DN__ERR_MAX; d++)
		if (dn_strerror((dn_err)d)[0] == '\0' ||
		    dn_err_name((dn_err)d)[0] == '\0')
			good = 0;
	ok(good, "every code has a name and a text");
	good = 1;
	for (i = 0; i < ARRLEN(map); i++)
		if (dn_err_from_errno(map[i].e) != map[i].code) {
			diag("  errno %d -> %s", map[i].e,
			    dn_err_name(dn_err_from_errno(map[i].e)));
			good = 0;
		}
	ok(good, "errno mapping");
	ok(dn_version() != NULL && strchr(dn_version(), '.') != NULL,
	    "version %s", dn_version());
}

/* Text of n bytes: labels of lab bytes ("aaa.aaa...") then tail. */
static void
name_of(char *buf, size_t n, size_t lab, const char *tail)
{
	size_t i, t = strlen(tail);

	for (i = 0; i + t < n; i++)
		buf[i] = (i + 1) % (lab + 1) == 0 ? '.' : 'a';
	if (i > 0 && buf[i - 1] == '.')
		buf[i - 1] = 'a';
	memcpy(buf + i, tail, t + 1);
}

static void
test_host_names(void)
{
	static const struct {
		size_t n, lab;
		const char *tail;
		int good;
		const char *frag;
	} cases[] = {
		{ 63, 63, "", 1, NULL },
		{ 64, 64, "", 0, "label 'aaaaaaaa" },
		{ 64, 64, "", 0, "is 64 bytes: a label is at most 63" },
		{ 67, 63, ".com", 1, NULL },
		{ 253, 63, "", 1, NULL },
		{ 254, 63, ".", 1, NULL },	/* 253 and the root */
		{ 254, 63, "", 0, "is 254 bytes: a name is at most 253" },
		{ 255, 63, "", 0, "is 255 bytes" },
		{ 256, 50, "", 0, "is 256 bytes" },
		{ 255, 63, "..", 0, "empty label" },
		{ 600, 63, "", 0, "is 600 bytes" },
	};
	static const struct {
		const char *name, *frag;
	} bad[] = {
		{ "", "empty host name" },
		{ ".", "the DNS root alone" },
		{ "..", "empty label at offset 0" },
		{ ".a", "empty label at offset 0" },
		{ "a..b", "'a..b' has an empty label at offset 2" },
		{ "a.b..", "empty label at offset 4" },
		{ "a b", "space or control character at offset 1" },
		{ "a\nb", "space or control character at offset 1" },
		{ "b\xc3\xbc" "cher.example", "non-ASCII byte at offset 1" },
		{ "a/b", "'a/b' has '/' at offset 1" },
		{ "a:b", "has ':' at offset 1" },
	};
	static const char *const good[] = {
		"a", "a.", "localhost", "x-1.example", "_srv._tcp.example",
		"192.0.2.1", "A.B.C",
	};
	char name[700], msg[64];
	dn_addr a;
	dn_error err;
	size_t i;
	int rv;

	for (i = 0; i < ARRLEN(cases); i++) {
		name_of(name, cases[i].n, cases[i].lab, cases[i].tail);
		snprintf(msg, sizeof(msg), "%zu bytes, labels of %zu%s%s",
		    strlen(name), cases[i].lab, cases[i].tail[0] ? ", then " :
		    "", cases[i].tail);
		memset(&err, 0, sizeof(err));
		rv = dn_host_name_check(name, &err);
		if (cases[i].good) {
			ok(rv == 0, "name of %s is valid", msg) || (diag("  %s", err.msg), 0);
			continue;
		}
		ok(rv == -1 && err.code == DN_ESYNTAX &&
		    strstr(err.msg, cases[i].frag) != NULL,
		    "name of %s: '%s'", msg, cases[i].frag) || (diag("  got %s", err.msg), 0);
		/* the same verdict when dn_addr_parse() meets it */
		ok(dn_addr_parse(&a, name, NULL, &err) == -1 &&
		    err.code == DN_ESYNTAX && strstr(err.msg,
		    cases[i].frag) != NULL, "dn_addr_parse: the same verdict "
		    "for %s", msg) || (diag("  got %s", err.msg), 0);
	}
	for (i = 0; i < ARRLEN(bad); i++)
		ok(dn_host_name_check(bad[i].name, &err) == -1 &&
		    err.code == DN_ESYNTAX && strstr(err.msg, bad[i].frag) !=
		    NULL && strchr(err.msg, '\n') == NULL,
		    "bad name #%zu: '%s'", i, bad[i].frag) || (diag("  got %s", err.msg), 0);
	for (i = 0; i < ARRLEN(good); i++)
		ok(dn_host_name_check(good[i], &err) == 0, "'%s' is a valid "
		    "name", good[i]) || (diag("  got %s", err.msg), 0);
	ok(dn_host_name_check(NULL, &err) == -1, "NULL is no name");
	/* a name is judged before it can be "not a literal" */
	memset(name, 'a', 64);
	strcpy(name + 64, ".example:80");
	ok(dn_addr_parse(&a, name, NULL, &err) == -1 &&
	    err.code == DN_ESYNTAX && strstr(err.msg, "is 64 bytes") != NULL,
	    "NAME:PORT with a 64-byte label: ESYNTAX, not ENOTLITERAL");
	name_of(name, 300, 63, ":80");
	ok(dn_hostport_split(name, name, sizeof(name), NULL, &err) == -1 &&
	    strstr(err.msg, "a name is at most 253") != NULL,
	    "split: a 297-byte NAME:PORT gets the name verdict");
	ok(dn_hostport_split("name.example:80", name, sizeof(name), &rv,
	    &err) == 0 && rv == 80, "split: a good name goes on");
}

static void
test_check_v6only(void)
{
	static const struct {
		const char *addr;
		int v6only;
		const char *frag;	/* NULL: fine */
	} cases[] = {
		{ "::", 1, NULL }, { "::", 0, NULL }, { "::", -1, NULL },
		{ "::1", 1, NULL }, { "::1", -1, NULL },
		{ "::1", 0, "::1 is one IPv6 address: only the wildcard" },
		{ "2001:db8::1", 0, "only the wildcard :: can be dual-stack" },
		{ "127.0.0.1", 1, "127.0.0.1 is IPv4: only an IPv6 socket" },
		{ "0.0.0.0", 1, "0.0.0.0 is IPv4" },
		{ "0.0.0.0", 0, "only the IPv6 wildcard :: can be dual-stack" },
		{ "127.0.0.1", -1, NULL },
		{ "::ffff:127.0.0.1", 0, NULL },
		{ "::ffff:127.0.0.1", 1, "is v4-mapped" },
	};
	dn_addr a;
	dn_error err;
	size_t i;
	int rv;

	for (i = 0; i < ARRLEN(cases); i++) {
		if (dn_addr_parse(&a, cases[i].addr, NULL, &err) == -1) {
			ok(0, "v6only setup %s: %s", cases[i].addr, err.msg);
			continue;
		}
		rv = dn_addr_check_v6only(&a, cases[i].v6only, &err);
		if (cases[i].frag == NULL)
			ok(rv == 0, "v6only %d on %s is fine", cases[i].v6only,
			    cases[i].addr) || (diag("  %s", err.msg), 0);
		else
			ok(rv == -1 && err.code == DN_EINVAL &&
			    strstr(err.msg, cases[i].frag) != NULL,
			    "v6only %d on %s: '%s'", cases[i].v6only,
			    cases[i].addr, cases[i].frag) || (diag("  got %s", err.msg), 0);
	}
}

static void
test_set_flowinfo(void)
{
	dn_addr a6, a4;
	dn_error e;

	dn_addr_parse(&a6, "[2001:db8::1]:80", NULL, NULL);
	dn_addr_parse(&a4, "192.0.2.1:80", NULL, NULL);
	ok(dn_addr_set_flowinfo(&a6, 0x12345, &e) == 0 &&
	    dn_addr_flowinfo(&a6) == 0x12345 && dn_addr_port(&a6) == 80,
	    "set_flowinfo: the label and nothing else");
	ok(dn_addr_set_flowinfo(&a6, 0x100000, &e) == -1 &&
	    e.code == DN_ERANGE && dn_addr_flowinfo(&a6) == 0x12345,
	    "set_flowinfo: 21 bits refused, the old label kept (%s)", e.msg);
	ok(dn_addr_set_flowinfo(&a4, 1, &e) == -1 && e.code == DN_EFAMILY,
	    "set_flowinfo: IPv4 refused (%s)", e.msg);
}

/* Ports as programs take them: digits in range, or a service name. */
static void
test_port_parse(void)
{
	static const struct {
		const char *text;
		int allow_zero;
		long want;		/* -1: fails */
		dn_err code;
		const char *msg;
	} cases[] = {
		{ "80", 0, 80, DN_OK, NULL },
		{ "65535", 0, 65535, DN_OK, NULL },
		{ "0080", 0, 80, DN_OK, NULL },
		{ "0", 1, 0, DN_OK, NULL },
		{ "0", 0, -1, DN_ERANGE,
		    "port 0 is out of range: give 1 to 65535" },
		{ "65536", 1, -1, DN_ERANGE,
		    "port 65536 is out of range: give 0 to 65535" },
		{ "99999999999999999999", 0, -1, DN_ERANGE,
		    "port 99999999999999999999 is out of range: give 1 to "
		    "65535" },
		{ "", 0, -1, DN_ESYNTAX, "the port is empty: give a number "
		    "from 1 to 65535 or a service name" },
		{ "-1", 0, -1, DN_ESYNTAX, "port '-1' is neither a number "
		    "nor a service in /etc/services" },
		{ "+80", 0, -1, DN_ESYNTAX, "port '+80' is neither" },
		{ " 80", 0, -1, DN_ESYNTAX, "port ' 80' is neither" },
		{ "no-such-service-x", 0, -1, DN_ESYNTAX,
		    "port 'no-such-service-x' is neither a number nor a "
		    "service in /etc/services" },
	};
	struct servent *se;
	uint16_t port;
	dn_error e;
	size_t i;
	int rv;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		port = 7;
		memset(&e, 0, sizeof(e));
		rv = dn_port_parse(cases[i].text, cases[i].allow_zero, &port,
		    &e);
		if (cases[i].want >= 0)
			ok(rv == 0 && port == cases[i].want, "port '%s'%s is "
			    "%ld", cases[i].text, cases[i].allow_zero ?
			    " (0 allowed)" : "", cases[i].want);
		else if (!ok(rv == -1 && port == 7 && e.code == cases[i].code &&
		    strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)) == 0,
		    "port '%s' fails with %s, port untouched", cases[i].text,
		    dn_err_name(cases[i].code)))
			diag("  got %s: '%s'", dn_err_name(e.code), e.msg);
	}
	ok(dn_port_parse(NULL, 1, &port, NULL) == -1, "port NULL fails, "
	    "err NULL is fine");
	if ((se = getservbyname("http", "tcp")) == NULL)
		ok(1, "# SKIP no 'http' in /etc/services");
	else
		ok(dn_port_parse("http", 0, &port, &e) == 0 &&
		    port == ntohs((uint16_t)se->s_port), "port 'http' is the "
		    "service's (%u)", (unsigned)ntohs((uint16_t)se->s_port));
}

/* Resolver answers become addresses in one place, under a literal's rules. */
static void
test_take_answer(void)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	dn_addr list[4];
	dn_error e;
	size_t n = 0;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	is_int(dn__addr_take_answer(list, &n, (struct sockaddr *)&s6,
	    sizeof(s6), AF_INET6, 443, &e), 1, "an IPv6 answer is taken");
	ok(n == 1 && dn_addr_port(&list[0]) == 443 &&
	    list[0].len == sizeof(s6), "with the port asked for");
	is_int(dn__addr_take_answer(list, &n, (struct sockaddr *)&s6,
	    sizeof(s6), AF_INET6, 443, &e), 0, "a repeat is dropped");
	is_int(dn__addr_take_answer(list, &n, (struct sockaddr *)&s4,
	    sizeof(s4), AF_INET6, 443, &e), 0, "another family is skipped");
	is_int(dn__addr_take_answer(list, &n, (struct sockaddr *)&s6,
	    sizeof(s6) - 1, AF_INET6, 443, &e), 0, "a short sockaddr is skipped");
	s6.sin6_scope_id = if_nametoindex("lo");
	ok(dn__addr_take_answer(list, &n, (struct sockaddr *)&s6, sizeof(s6),
	    AF_INET6, 443, &e) == -1 && e.code == DN_EBADSCOPE &&
	    strstr(e.msg, "global address: it takes no scope") != NULL,
	    "a scope on a global answer is refused (%s)", e.msg);
	inet_pton(AF_INET6, "fe80::1", &s6.sin6_addr);
	s6.sin6_scope_id = no_such_ifindex();
	ok(dn__addr_take_answer(list, &n, (struct sockaddr *)&s6, sizeof(s6),
	    AF_INET6, 443, &e) == -1 && e.code == DN_EBADSCOPE &&
	    strstr(e.msg, "no interface has index") != NULL,
	    "a link-local answer on no interface is refused (%s)", e.msg);
	s6.sin6_scope_id = if_nametoindex("lo");
	ok(dn__addr_take_answer(list, &n, (struct sockaddr *)&s6, sizeof(s6),
	    AF_INET6, 443, &e) == 1 && n == 2 &&
	    dn_addr_scope(&list[1]) == if_nametoindex("lo"),
	    "a link-local answer keeps its scope id");
	is_int(dn__addr_take_answer(list, &n, (struct sockaddr *)&s4,
	    sizeof(s4), AF_INET, 80, &e), 1, "an IPv4 answer is taken");
}

int
main(void)
{
	setup();
	test_parse_table();
	test_null_and_long();
	test_classify();
	test_format_access();
	test_from_parts();
	test_split();
	test_check_bind();
	test_host_names();
	test_check_v6only();
	test_take_answer();
	test_set_flowinfo();
	test_port_parse();
	test_errors();
	return tap_done(0);
}
