/*
 * fuzz_prefix.c - dn_prefix_parse() and the access lists built from it
 * (--allow/--deny, one prefix or a file of them): a prefix formats and
 * parses back to itself and holds its own network address; a list
 * admits what it allows, refuses what it denies, and a bad file adds
 * nothing.
 */
#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static int
prefix_parse(dn_prefix *p, const char *text, dn_error *e)
{
	dn_prefix before;
	int rv;

	memset(p, 0x5a, sizeof(*p));
	before = *p;
	fz_err_reset(e);
	rv = dn_prefix_parse(p, text, e);
	if (rv == -1) {
		fz_check_err(e, "dn_prefix_parse", text);
		FZ_CHECK(memcmp(p, &before, sizeof(before)) == 0,
		    "dn_prefix_parse('%s') wrote its result on failure", text);
	} else
		FZ_CHECK(rv == 0, "dn_prefix_parse('%s') returned %d", text, rv);
	return rv;
}

/* The checks on one prefix that parsed. */
static void
check_prefix(const dn_prefix *p, const char *text)
{
	char buf[DN_PREFIX_STRLEN], why[128];
	int fam = dn_addr_family(&p->addr);
	dn_prefix q;
	dn_error e;

	FZ_CHECK((fam == AF_INET && p->len <= 32) || (fam == AF_INET6 &&
	    p->len <= 128), "'%s' parsed to family %d length %u", text, fam,
	    p->len);
	FZ_CHECK(dn_addr_port(&p->addr) == 0 && dn_addr_flowinfo(&p->addr) == 0,
	    "'%s' keeps a port or flowinfo", text);
	/* RFC 4291 §2.5.5.2: a v4-mapped prefix is kept as the IPv4 one */
	FZ_CHECK(!dn_addr_is_v4mapped(&p->addr) || p->len < 96, "'%s' stays a "
	    "v4-mapped /%u", text, p->len);
	FZ_CHECK(dn_prefix_match(p, &p->addr), "'%s' does not hold its own "
	    "network address", text);

	dn_prefix_format(p, buf, sizeof(buf));
	FZ_CHECK(strlen(buf) < sizeof(buf) - 1, "'%s' formats to '%s', which "
	    "may be cut", text, buf);
	FZ_CHECK(prefix_parse(&q, buf, &e) == 0, "'%s' formats to '%s', which "
	    "does not parse: %s", text, buf, e.msg);
	FZ_CHECK(dn_addr_equal(&p->addr, &q.addr) && p->len == q.len, "'%s' "
	    "formats to '%s', which parses to another prefix", text, buf);

	/* an access list of it alone: allowing admits, denying refuses */
	{
		dn_acl *allow = dn_acl_new(NULL), *deny = dn_acl_new(NULL);

		FZ_CHECK(allow != NULL && deny != NULL, "dn_acl_new failed");
		FZ_CHECK(dn_acl_add(allow, 1, text, NULL) == 0 &&
		    dn_acl_add(deny, 0, text, NULL) == 0, "'%s' parses as a "
		    "prefix but an access list does not take it", text);
		FZ_CHECK(!dn_acl_empty(allow) && !dn_acl_empty(deny),
		    "'%s' added, but the list is empty", text);
		FZ_CHECK(dn_acl_check(allow, &p->addr, why, sizeof(why)) == 1,
		    "allowing '%s' refuses its own address: %s", text, why);
		why[0] = '\0';
		FZ_CHECK(dn_acl_check(deny, &p->addr, why, sizeof(why)) == 0 &&
		    why[0] != '\0' && strpbrk(why, "\n\r") == NULL, "denying "
		    "'%s' admits its own address, or says nothing why", text);
		dn_acl_free(allow);
		dn_acl_free(deny);
	}
}

/* The whole input as a prefix file (one a line, '#' comments). */
static void
check_file(const uint8_t *data, size_t size)
{
	char path[64];
	dn_acl *acl;
	dn_error e;
	int fd, rv;

	if ((fd = memfd_create("prefixes", MFD_CLOEXEC)) == -1)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	FZ_CHECK((acl = dn_acl_new(NULL)) != NULL, "dn_acl_new failed");
	fz_err_reset(&e);
	rv = dn_acl_add_file(acl, size % 2, path, &e);
	if (rv == -1) {
		FZ_CHECK(e.code != DN_OK && e.msg[0] != '\0' &&
		    strpbrk(e.msg, "\n\r") == NULL, "a bad prefix file fails "
		    "with %s: '%s'", dn_err_name(e.code), e.msg);
		FZ_CHECK(dn_acl_empty(acl), "a bad prefix file added some of "
		    "its prefixes");
	} else
		FZ_CHECK(rv == 0, "dn_acl_add_file returned %d", rv);
	dn_acl_free(acl);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dn_prefix p;
	dn_error e;
	char *text;

	if ((text = fz_text(data, size, 1024)) == NULL)
		return 0;
	if (prefix_parse(&p, text, &e) == 0)
		check_prefix(&p, text);
	else {
		/* an access list refuses it with the same words, and stays
		 * as it was */
		dn_acl *acl = dn_acl_new(NULL);
		dn_error e2;

		fz_err_reset(&e2);
		FZ_CHECK(acl != NULL && dn_acl_add(acl, 1, text, &e2) == -1 &&
		    e2.code == e.code && strcmp(e2.msg, e.msg) == 0 &&
		    dn_acl_empty(acl), "'%s' is no prefix, but an access list "
		    "says otherwise: %s", text, e2.msg);
		dn_acl_free(acl);
	}
	check_file(data, size);
	free(text);
	return 0;
}
