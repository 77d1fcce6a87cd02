/* t_prefix.c - address prefixes (parse, format, match: v4-mapped peers, scoped links) and access lists (allow, deny, files), as --allow/--deny use them. */

#include "config.h"

#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dualnet.h"
#include "tap.h"
#include "util.h"

static int
has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

/* Parses and prints back as want. */
static void
pfx_ok(const char *text, const char *want)
{
	char buf[DN_PREFIX_STRLEN];
	dn_prefix p;
	dn_error e;

	memset(&e, 0, sizeof(e));
	if (!ok(dn_prefix_parse(&p, text, &e) == 0, "prefix '%s' parses",
	    text)) {
		diag("  %s: %s", dn_err_name(e.code), e.msg);
		ok(0, "  ... so it cannot print as %s", want);
		return;
	}
	is_str(dn_prefix_format(&p, buf, sizeof(buf)), want,
	    "  '%s' prints as %s", text, want);
}

static void
pfx_bad(const char *text, dn_err code, const char *substr)
{
	dn_prefix p;
	dn_error e;

	memset(&e, 0, sizeof(e));
	if (!ok(dn_prefix_parse(&p, text, &e) == -1 && e.code == code &&
	    has(e.msg, substr) && dn_err_kind_of(e.code) == DN_KIND_INPUT,
	    "prefix '%s': %s naming '%s'", text, dn_err_name(code), substr))
		diag("  got %s: '%s'", dn_err_name(e.code), e.msg);
}

/* a (a literal, scope by index as "%N") is in prefix text or not. */
static void
match(const char *prefix, const char *addr, unsigned scope, int want)
{
	dn_prefix p;
	dn_addr a = parse_scoped(addr, "lo");
	dn_error e;

	if (scope != 0)
		a.u.sin6.sin6_scope_id = scope;
	if (dn_prefix_parse(&p, prefix, &e) == -1) {
		ok(0, "prefix %s parses: %s", prefix, e.msg);
		return;
	}
	ok(dn_prefix_match(&p, &a) == want, "%s%s%.0u %s in %s", addr,
	    scope ? "%" : "", scope, want ? "is" : "is not", prefix);
}

static void
t_parse(void)
{
	pfx_ok("192.0.2.0/24", "192.0.2.0/24");
	pfx_ok("192.0.2.7", "192.0.2.7/32");
	pfx_ok("0.0.0.0/0", "0.0.0.0/0");
	pfx_ok("2001:db8::/32", "2001:db8::/32");
	pfx_ok("2001:DB8:0::/48", "2001:db8::/48");
	pfx_ok("[2001:db8::]/32", "2001:db8::/32");
	pfx_ok("::/0", "::/0");
	pfx_ok("2001:db8::1", "2001:db8::1/128");
	pfx_ok("fe80::/10", "fe80::/10");
	pfx_ok("fe80::/64%lo", "fe80::/64%lo");
	pfx_ok("fe80::%lo/64", "fe80::/64%lo");
	pfx_ok("fe80::%1/64", "fe80::/64%lo");
	pfx_ok("fe80::1%lo", "fe80::1/128%lo");
	/* RFC 4291 §2.5.5.2: the IPv4 prefix a v4-mapped one holds */
	pfx_ok("::ffff:192.0.2.0/120", "192.0.2.0/24");
	pfx_ok("::ffff:0:0/96", "0.0.0.0/0");
	pfx_ok("ff02::/16%lo", "ff02::/16%lo");

	pfx_bad("192.0.2.1/24", DN_EINVAL, "did you mean 192.0.2.0/24");
	pfx_bad("2001:db8::1/32", DN_EINVAL, "did you mean 2001:db8::/32");
	pfx_bad("192.0.2.0/33", DN_ERANGE, "/33");
	pfx_bad("2001:db8::/129", DN_ERANGE, "128 bits");
	pfx_bad("198.51.100.0/24%lo", DN_EBADSCOPE, "takes no scope");
	pfx_bad("2001:db8::/32%lo", DN_EBADSCOPE, "takes no scope");
	pfx_bad("fe80::/64%nosuch0", DN_EBADSCOPE, "nosuch0");
	pfx_bad("fe80::%lo/64%lo", DN_ESYNTAX, "twice");
	pfx_bad("/24", DN_ESYNTAX, "no address");
	pfx_bad("192.0.2.0/", DN_ESYNTAX, "number of bits");
	pfx_bad("192.0.2.0/2x", DN_ESYNTAX, "number of bits");
	pfx_bad("192.0.2.0/-1", DN_ESYNTAX, "number of bits");
	pfx_bad("192.0.2.0/24/8", DN_ESYNTAX, "number of bits");
	pfx_bad("host.example/24", DN_ESYNTAX, "not an address");
	pfx_bad("192.0.2.0:80/24", DN_ESYNTAX, "takes no port");
	pfx_bad("", DN_ESYNTAX, "empty prefix");
	pfx_bad("192.0.2.0 /24", DN_ESYNTAX, "space");
	pfx_bad("2001:db8::,,0x12/32", DN_ESYNTAX, "flowinfo");
}

static void
t_match(void)
{
	unsigned lo = if_nametoindex("lo");

	match("192.0.2.0/24", "192.0.2.7", 0, 1);
	match("192.0.2.0/24", "192.0.3.7", 0, 0);
	match("192.0.2.0/24", "::ffff:192.0.2.7", 0, 1);
	match("192.0.2.0/24", "::ffff:192.0.3.7", 0, 0);
	match("192.0.2.0/24", "2001:db8::1", 0, 0);
	match("0.0.0.0/0", "203.0.113.9", 0, 1);
	match("0.0.0.0/0", "::ffff:203.0.113.9", 0, 1);
	match("0.0.0.0/0", "::1", 0, 0);
	match("192.0.2.7", "192.0.2.7", 0, 1);
	match("192.0.2.7", "192.0.2.8", 0, 0);
	match("2001:db8::/32", "2001:db8:1::1", 0, 1);
	match("2001:db8::/32", "2001:db9::1", 0, 0);
	match("2001:db8::/32", "192.0.2.1", 0, 0);
	/* an IPv4 peer is IPv4 whatever socket it came through */
	match("::/0", "::ffff:192.0.2.1", 0, 0);
	match("::/0", "2001:db8::1", 0, 1);
	match("::ffff:192.0.2.0/120", "192.0.2.200", 0, 1);
	match("2001:db8:0:1::/64", "2001:db8:0:1:ffff::1", 0, 1);
	match("2001:db8:0:2::/63", "2001:db8:0:3::1", 0, 1);
	match("2001:db8:0:2::/63", "2001:db8:0:4::1", 0, 0);
	match("2001:db8:0:1::/64", "2001:db8:0:2::1", 0, 0);
	/* RFC 4007: a scoped prefix is one link's */
	match("fe80::/64", "fe80::1", lo, 1);
	match("fe80::/64", "fe80::1", 999, 1);
	match("fe80::/64%lo", "fe80::1", lo, 1);
	match("fe80::/64%lo", "fe80::1", lo + 100, 0);
	match("fe80::1%lo", "fe80::1", lo, 1);
	match("fe80::1%lo", "fe80::2", lo, 0);
	match("fe80::/10", "fe80:0:0:1::5", 7, 1);
	match("::1", "::1", 0, 1);
	match("127.0.0.0/8", "::ffff:127.0.0.1", 0, 1);
}

static char tmpdir[] = "/tmp/t_prefix.XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL)
		return "/nonexistent";
	fputs(text, f);
	fclose(f);
	return path;
}

static int
admits(const dn_acl *acl, const char *addr, unsigned scope, char *why,
    size_t len)
{
	dn_addr a = parse_scoped(addr, "lo");

	if (scope != 0)
		a.u.sin6.sin6_scope_id = scope;
	return dn_acl_check(acl, &a, why, len);
}

static void
t_acl(void)
{
	unsigned lo = if_nametoindex("lo");
	char why[160];
	const char *path;
	dn_acl *acl;
	dn_error e;

	acl = dn_acl_new(&e);
	ok(acl != NULL && dn_acl_empty(acl), "a new list is empty");
	ok(admits(acl, "203.0.113.5", 0, why, sizeof(why)) == 1 &&
	    why[0] == '\0', "an empty list admits everyone");
	ok(dn_acl_add(acl, 0, "203.0.113.0/24", &e) == 0 && !dn_acl_empty(acl),
	    "--deny 203.0.113.0/24");
	ok(admits(acl, "203.0.113.5", 0, why, sizeof(why)) == 0,
	    "a denied peer is refused");
	ok(strcmp(why, "denied by 203.0.113.0/24") == 0, "  the reason names the prefix (%s)", why);
	ok(admits(acl, "::ffff:203.0.113.5", 0, why, sizeof(why)) == 0,
	    "a v4-mapped peer in a denied IPv4 prefix is refused");
	ok(admits(acl, "198.51.100.1", 0, NULL, 0) == 1,
	    "deny only: the others are admitted");
	ok(dn_acl_add(acl, 1, "198.51.100.0/24", &e) == 0 &&
	    dn_acl_add(acl, 1, "fe80::/64%lo", &e) == 0 &&
	    dn_acl_add(acl, 1, "2001:db8::/32", &e) == 0,
	    "--allow 198.51.100.0/24, fe80::/64%%lo, 2001:db8::/32");
	ok(admits(acl, "198.51.100.1", 0, NULL, 0) == 1, "allowed IPv4");
	ok(admits(acl, "::ffff:198.51.100.1", 0, NULL, 0) == 1,
	    "allowed IPv4, v4-mapped");
	ok(admits(acl, "192.0.2.1", 0, why, sizeof(why)) == 0,
	    "allows given: a peer in none is refused");
	ok(strcmp(why, "in no allowed prefix") == 0, "  the reason says so (%s)", why);
	ok(admits(acl, "fe80::9", lo, NULL, 0) == 1,
	    "link-local on the allowed link");
	ok(admits(acl, "fe80::9", lo + 50, NULL, 0) == 0,
	    "the same link-local on another link is refused");
	ok(admits(acl, "2001:db8::5", 0, NULL, 0) == 1, "allowed IPv6");
	ok(dn_acl_add(acl, 0, "2001:db8::5", &e) == 0 &&
	    admits(acl, "2001:db8::5", 0, why, sizeof(why)) == 0 &&
	    strcmp(why, "denied by 2001:db8::5/128") == 0,
	    "deny wins over allow");
	ok(dn_acl_add(acl, 1, "192.0.2.1/24", &e) == -1 &&
	    e.code == DN_EINVAL && has(e.msg, "192.0.2.0/24"),
	    "a bad prefix is refused with the network meant");
	dn_acl_free(acl);

	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "mkdtemp: cannot test prefix files");
		return;
	}
	acl = dn_acl_new(&e);
	path = write_file("allow", "# clients\n192.0.2.0/24  # lab\n\n"
	    "   2001:db8:1::/48\t\n\t# more\nfe80::/64%lo\r\n");
	ok(dn_acl_add_file(acl, 1, path, &e) == 0, "a prefix file with "
	    "comments, blanks, tabs and CRLF reads");
	ok(admits(acl, "192.0.2.9", 0, NULL, 0) == 1 &&
	    admits(acl, "2001:db8:1::9", 0, NULL, 0) == 1 &&
	    admits(acl, "fe80::1", lo, NULL, 0) == 1 &&
	    admits(acl, "2001:db8:2::9", 0, NULL, 0) == 0,
	    "  every prefix of it counts, and only those");
	path = write_file("bad", "192.0.2.0/24\n198.51.100.0/24\nnot-a-prefix\n");
	ok(dn_acl_add_file(acl, 0, path, &e) == -1 &&
	    dn_err_kind_of(e.code) == DN_KIND_INPUT && has(e.msg, "bad:3:") &&
	    has(e.msg, "not-a-prefix"), "a bad line: 64 naming FILE:LINE");
	ok(admits(acl, "198.51.100.1", 0, NULL, 0) == 0 &&
	    admits(acl, "192.0.2.9", 0, NULL, 0) == 1,
	    "  nothing of that file was added");
	path = write_file("two", "192.0.2.0/24 198.51.100.0/24\n");
	ok(dn_acl_add_file(acl, 0, path, &e) == -1 && has(e.msg, "two:1:") &&
	    has(e.msg, "one a line"), "two prefixes on a line are refused");
	ok(dn_acl_add_file(acl, 1, "/nonexistent/prefixes", &e) == -1 &&
	    dn_err_kind_of(e.code) == DN_KIND_INPUT &&
	    has(e.msg, "/nonexistent/prefixes")
	    && has(e.msg, "No such file"), "a missing file: 64 naming it");
	dn_acl_free(acl);
	dn_acl_free(NULL);
	unlink(write_file("allow", ""));
	unlink(write_file("bad", ""));
	unlink(write_file("two", ""));
	rmdir(tmpdir);
}

/*
 * A message quotes the text it refuses, even where nothing has looked at
 * it yet ("'...' is too long"): a newline, CR or escape in it stays out,
 * so that the programs' one line is one line (fuzz/fuzz_addr.c found it).
 */
static void
t_one_line(void)
{
	char text[300];
	dn_prefix p;
	dn_addr a;
	dn_error e;

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[3] = '\n';
	text[5] = '\r';
	text[7] = '\033';
	memset(&e, 0, sizeof(e));
	ok(dn_prefix_parse(&p, text, &e) == -1 && e.code == DN_ESYNTAX &&
	    strpbrk(e.msg, "\n\r\033") == NULL && has(e.msg, "aaa?a?a?"),
	    "an over-long prefix with control characters: one line (%s)",
	    e.msg);
	memset(&e, 0, sizeof(e));
	ok(dn_addr_parse(&a, text, NULL, &e) == -1 && e.code == DN_ESYNTAX &&
	    strpbrk(e.msg, "\n\r\033") == NULL && has(e.msg, "aaa?a?a?"),
	    "the same as an address: one line (%s)", e.msg);
}

/*
 * A long text that starts as a name gets past the first length check (a
 * name is judged by its own rules), and overflowed the prefix's copy of
 * its address part (fuzz/fuzz_prefix.c found it under ASan).
 */
static void
t_long(void)
{
	char text[400];
	dn_prefix p;
	dn_error e;

	memset(text, 'a', 300);
	snprintf(text + 300, sizeof(text) - 300, ":1/24");
	memset(&e, 0, sizeof(e));
	ok(dn_prefix_parse(&p, text, &e) == -1 && e.code == DN_ESYNTAX &&
	    has(e.msg, "is too long (305 characters)"), "a 305-byte prefix "
	    "that starts as a name is too long (%s)", e.msg);
	text[300] = ':';
	text[301] = '\0';
	memset(&e, 0, sizeof(e));
	ok(dn_prefix_parse(&p, text, &e) == -1 && e.code == DN_ESYNTAX &&
	    has(e.msg, "is too long (301 characters)"), "without a length: "
	    "too long, not cut to 255 (%s)", e.msg);
}

int
main(void)
{
	t_parse();
	t_match();
	t_acl();
	t_one_line();
	t_long();
	return tap_done(0);
}
