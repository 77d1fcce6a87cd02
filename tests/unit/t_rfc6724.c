/* t_rfc6724.c - RFC 6724 policy table, scopes and the §6 destination sort, against the §10.2 examples. */

#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dualnet.h"
#include "race.h"
#include "tap.h"
#include "util.h"

#define mk(text)	mk_addr((text), 80)

/* The sources RFC 6724 §10.2 says each destination gets (§5 is the
 * system's job; the sort only needs its result). */
struct route {
	const char *dst, *src;	/* src NULL: no route */
	int prefixlen;
};

struct routes {
	const struct route *r;
	size_t n;
	int calls;
	int dirty;	/* lookups that did not start with prefixlen -1 */
};

static int
lookup(const dn_addr *dst, dn_addr *src, int *prefixlen, void *arg)
{
	struct routes *rt = arg;
	char h[INET6_ADDRSTRLEN];
	size_t i;

	rt->calls++;
	if (*prefixlen != -1)
		rt->dirty++;
	host(dst, h, sizeof(h));
	for (i = 0; i < rt->n; i++)
		if (strcmp(rt->r[i].dst, h) == 0) {
			if (rt->r[i].src == NULL)
				return -1;
			*src = mk(rt->r[i].src);
			if (rt->r[i].prefixlen != 0)
				*prefixlen = rt->r[i].prefixlen;
			return 0;
		}
	return -1;
}

/* Sorts dsts with those routes, both ways round, and checks the order. */
static void
check(const char *name, const struct route *r, size_t nr,
    const char *const *dsts, size_t n, const char *const *want)
{
	struct routes rt = { r, nr, 0, 0 };
	dn_addr a[8];
	char got[256], exp[256], h[INET6_ADDRSTRLEN];
	const char *g = got;
	size_t i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++)
			a[i] = mk(dsts[pass ? n - 1 - i : i]);
		rt.calls = 0;
		if (dn__rfc6724_sort(a, n, lookup, &rt) == -1) {
			ok(0, "%s: sort failed", name);
			continue;
		}
		got[0] = exp[0] = '\0';
		for (i = 0; i < n; i++) {
			strlcat(got, host(&a[i], h, sizeof(h)), sizeof(got));
			strlcat(got, " ", sizeof(got));
			strlcat(exp, want[i], sizeof(exp));
			strlcat(exp, " ", sizeof(exp));
		}
		is_str(g, exp, "%s (%s input)", name,
		    pass ? "reversed" : "given");
		is_int(rt.calls, n, "%s: one source lookup per destination",
		    name);
		is_int(rt.dirty, 0, "%s: lookups start with prefix -1", name);
	}
}

#define CHECK(name, routes, dsts, want) \
	check(name, routes, ARRLEN(routes), dsts, ARRLEN(dsts), want)

static void
t_policy(void)
{
	static const struct {
		const char *a;
		int prec, label, scope;
	} t[] = {
		{ "::1", 50, 0, 2 },
		{ "2001:db8:1::1", 40, 1, 14 },
		{ "192.0.2.1", 35, 4, 14 },
		{ "::ffff:192.0.2.1", 35, 4, 14 },
		{ "127.0.0.1", 35, 4, 2 },
		{ "169.254.13.78", 35, 4, 2 },
		{ "::ffff:169.254.1.1", 35, 4, 2 },
		{ "2002:c633:6401::1", 30, 2, 14 },	/* 6to4 */
		{ "2001:0:4136:e378::1", 5, 5, 14 },	/* Teredo */
		{ "2001:1::1", 40, 1, 14 },		/* not Teredo: /32 */
		{ "fc00::1", 3, 13, 14 },		/* ULA */
		{ "fd11:1111:1111:1::2", 3, 13, 14 },
		{ "::192.0.2.1", 1, 3, 14 },		/* v4-compatible */
		{ "fec0::1", 1, 11, 5 },		/* site-local */
		{ "fecf::1", 1, 11, 5 },
		{ "3ffe:1::1", 1, 12, 14 },		/* 6bone */
		{ "fe80::1", 40, 1, 2 },
		{ "febf::1", 40, 1, 2 },
		{ "ff02::1", 40, 1, 2 },		/* multicast scope */
		{ "ff05::2", 40, 1, 5 },
		{ "ff0e::1", 40, 1, 14 },
		{ "ff01::1", 40, 1, 1 },
	};
	/* §3.2: private space (RFC 1918) is global like any other unicast
	 * outside 127/8 and 169.254/16.  Written as octets: these are the
	 * blocks under test, not hosts. */
	static const unsigned char priv[][4] = {
		{ 10, 1, 2, 3 }, { 172, 16, 0, 1 }, { 192, 168, 1, 1 },
	};
	char text[INET_ADDRSTRLEN];
	dn_addr a;
	size_t i;

	for (i = 0; i < ARRLEN(priv); i++) {
		snprintf(text, sizeof(text), "%u.%u.%u.%u", priv[i][0],
		    priv[i][1], priv[i][2], priv[i][3]);
		a = mk(text);
		ok(dn__rfc6724_precedence(&a) == 35 &&
		    dn__rfc6724_label(&a) == 4 && dn__rfc6724_scope(&a) == 14,
		    "%s: precedence 35, label 4, global scope", text);
	}
	for (i = 0; i < ARRLEN(t); i++) {
		a = mk(t[i].a);
		is_int(dn__rfc6724_precedence(&a), t[i].prec,
		    "precedence of %s", t[i].a);
		is_int(dn__rfc6724_label(&a), t[i].label, "label of %s",
		    t[i].a);
		is_int(dn__rfc6724_scope(&a), t[i].scope, "scope of %s",
		    t[i].a);
	}
}

static void
t_common_prefix(void)
{
	dn_addr a = mk("2001:db8:1::2"), b = mk("2001:db8:1::1");
	dn_addr c = mk("2001:db8:3f44::2"), d = mk("2001:db8:3ffe::1");
	dn_addr e = mk("192.0.2.4"), f = mk("192.0.2.3");

	is_int(dn__rfc6724_common_prefix(&a, &b, 64), 64,
	    "CommonPrefixLen stops at the prefix (64)");
	is_int(dn__rfc6724_common_prefix(&a, &b, 128), 126,
	    "CommonPrefixLen over the whole address");
	is_int(dn__rfc6724_common_prefix(&c, &d, 64), 40,
	    "CommonPrefixLen(2001:db8:3f44::2, 2001:db8:3ffe::1) is 40");
	is_int(dn__rfc6724_common_prefix(&e, &f, 32), 29,
	    "CommonPrefixLen of IPv4 counts IPv4 bits");
	is_int(dn__rfc6724_common_prefix(&a, &e, 64), -1,
	    "no CommonPrefixLen across families");
}

/* RFC 6724 §10.2, the examples that need nothing we cannot know. */
static void
t_examples(void)
{
	static const struct route r1[] = {
		{ "2001:db8:1::1", "2001:db8:1::2", 0 },
		{ "198.51.100.121", "169.254.13.78", 0 },
	};
	static const char *const d1[] = { "2001:db8:1::1", "198.51.100.121" };
	static const char *const w1[] = { "2001:db8:1::1", "198.51.100.121" };
	static const struct route r2[] = {
		{ "2001:db8:1::1", "fe80::1", 0 },
		{ "198.51.100.121", "198.51.100.117", 0 },
	};
	static const char *const w2[] = { "198.51.100.121", "2001:db8:1::1" };
	/* the RFC writes private IPv4 here; any IPv4 pair shows rule 6 */
	static const struct route r3[] = {
		{ "2001:db8:1::1", "2001:db8:1::2", 0 },
		{ "192.0.2.3", "192.0.2.4", 0 },
	};
	static const char *const d3[] = { "2001:db8:1::1", "192.0.2.3" };
	static const struct route r4[] = {
		{ "2001:db8:1::1", "2001:db8:1::2", 0 },
		{ "fe80::1", "fe80::2", 0 },
	};
	static const char *const d4[] = { "2001:db8:1::1", "fe80::1" };
	static const char *const w4[] = { "fe80::1", "2001:db8:1::1" };
	static const struct route r7[] = {
		{ "2001:db8:1::1", "2001:db8:1::2", 0 },
		{ "2001:db8:3ffe::1", "2001:db8:3f44::2", 0 },
	};
	static const char *const d7[] = { "2001:db8:1::1", "2001:db8:3ffe::1" };
	static const struct route r8[] = {
		{ "2002:c633:6401::1", "2002:c633:6401::2", 0 },
		{ "2001:db8:1::1", "2002:c633:6401::2", 0 },
	};
	static const char *const d8[] = { "2002:c633:6401::1", "2001:db8:1::1" };
	static const struct route r9[] = {
		{ "2002:c633:6401::1", "2002:c633:6401::2", 0 },
		{ "2001:db8:1::1", "2001:db8:1::2", 0 },
	};
	static const char *const w9[] = { "2001:db8:1::1", "2002:c633:6401::1" };

	CHECK("10.2 #1 prefer matching scope", r1, d1, w1);
	CHECK("10.2 #2 prefer matching scope", r2, d1, w2);
	CHECK("10.2 #3 prefer higher precedence", r3, d3, d3);
	CHECK("10.2 #4 prefer smaller scope", r4, d4, w4);
	/* #5 (home address) and #6 (deprecated) need source flags that the
	 * system does not report: rules 3 and 4 are not implemented */
	CHECK("10.2 #7 longest matching prefix", r7, d7, d7);
	CHECK("10.2 #8 prefer matching label", r8, d8, d8);
	CHECK("10.2 #9 prefer higher precedence", r9, d8, w9);
}

static void
t_rules(void)
{
	/* Rule 1: a destination with no source goes last */
	static const struct route r1[] = {
		{ "2001:db8:1::1", NULL, 0 },
		{ "192.0.2.1", "192.0.2.100", 0 },
	};
	static const char *const d1[] = { "2001:db8:1::1", "192.0.2.1" };
	static const char *const w1[] = { "192.0.2.1", "2001:db8:1::1" };
	/* ULA (precedence 3) after IPv4 (35) when both have sources */
	static const struct route ru[] = {
		{ "fd11:1111:1111:1::1", "fd11:1111:1111:1::2", 0 },
		{ "192.0.2.1", "192.0.2.100", 0 },
	};
	static const char *const du[] = { "fd11:1111:1111:1::1", "192.0.2.1" };
	static const char *const wu[] = { "192.0.2.1", "fd11:1111:1111:1::1" };
	/* Teredo (5) after native IPv6 and after IPv4 */
	static const struct route rt[] = {
		{ "2001:0:4136:e378::1", "2001:0:4136:e378::2", 0 },
		{ "2001:db8::1", "2001:db8::2", 0 },
		{ "192.0.2.1", "192.0.2.100", 0 },
	};
	static const char *const dt[] = { "2001:0:4136:e378::1", "2001:db8::1",
		"192.0.2.1" };
	static const char *const wt[] = { "2001:db8::1", "192.0.2.1",
		"2001:0:4136:e378::1" };
	/* site-local destination reached from a site-local source beats a
	 * global one reached from a link-local source (rule 2) */
	static const struct route rs[] = {
		{ "fec0::1", "fec0::2", 0 },
		{ "2001:db8::1", "fe80::2", 0 },
	};
	static const char *const ds[] = { "2001:db8::1", "fec0::1" };
	static const char *const ws[] = { "fec0::1", "2001:db8::1" };
	/* Rule 9 on IPv4 only with a known prefix length: 192.0.2.1 shares
	 * 4 bits with its source, 198.51.100.1 all 24 */
	static const struct route r9a[] = {
		{ "192.0.2.1", "203.0.113.2", 0 },
		{ "198.51.100.1", "198.51.100.2", 0 },
	};
	static const char *const d9[] = { "192.0.2.1", "198.51.100.1" };
	static const struct route r9b[] = {
		{ "192.0.2.1", "203.0.113.2", 24 },
		{ "198.51.100.1", "198.51.100.2", 24 },
	};
	static const char *const w9b[] = { "198.51.100.1", "192.0.2.1" };
	/* Rule 10: equal ones keep their order (round robin survives) */
	static const struct route r10[] = {
		{ "2001:db8::1", "2001:db8::100", 0 },
		{ "2001:db8::2", "2001:db8::100", 0 },
		{ "2001:db8::3", "2001:db8::100", 0 },
	};
	const char *d10[] = { "2001:db8::3", "2001:db8::1", "2001:db8::2" };
	struct routes rr = { r10, ARRLEN(r10), 0, 0 };
	dn_addr a[3];
	char h[INET6_ADDRSTRLEN];
	size_t i;

	CHECK("rule 1: unusable destination last", r1, d1, w1);
	CHECK("rule 6: ULA after IPv4", ru, du, wu);
	CHECK("rule 6: Teredo last", rt, dt, wt);
	CHECK("rule 2: matching scope beats precedence", rs, ds, ws);

	for (i = 0; i < 2; i++)
		a[i] = mk(d9[i]);
	struct routes ra = { r9a, ARRLEN(r9a), 0, 0 };
	dn__rfc6724_sort(a, 2, lookup, &ra);
	is_str(host(&a[0], h, sizeof(h)), "192.0.2.1",
	    "rule 9 leaves IPv4 alone without a prefix length");
	CHECK("rule 9 on IPv4 with a prefix length", r9b, d9, w9b);

	/* Rule 9 stops at the source prefix (64): beyond it, a tie that
	 * rule 10 settles in the given order */
	static const struct route r64[] = {
		{ "2001:db8:1::1", "2001:db8:1:0:8000::2", 0 },
		{ "2001:db8:1::3", "2001:db8:1::2", 0 },
	};
	struct routes r6 = { r64, ARRLEN(r64), 0, 0 };
	a[0] = mk("2001:db8:1::1");
	a[1] = mk("2001:db8:1::3");
	dn__rfc6724_sort(a, 2, lookup, &r6);
	is_str(host(&a[0], h, sizeof(h)), "2001:db8:1::1",
	    "rule 9 ignores the interface identifier");
	r6.r = (const struct route[]){
		{ "2001:db8:1::1", "2001:db8:1:0:8000::2", 128 },
		{ "2001:db8:1::3", "2001:db8:1::2", 128 },
	};
	dn__rfc6724_sort(a, 2, lookup, &r6);
	is_str(host(&a[0], h, sizeof(h)), "2001:db8:1::3",
	    "rule 9 goes as far as a given prefix length");

	/* rule 10 is about the given order, so no reversed pass here */
	for (i = 0; i < 3; i++)
		a[i] = mk(d10[i]);
	dn__rfc6724_sort(a, 3, lookup, &rr);
	for (i = 0; i < 3; i++)
		is_str(host(&a[i], h, sizeof(h)), d10[i],
		    "rule 10: equal destination %zu keeps its place", i);

	/* no source lookup at all: precedence and scope still decide */
	a[0] = mk("192.0.2.1");
	a[1] = mk("fd00::1");
	a[2] = mk("2001:db8::1");
	ok(dn__rfc6724_sort(a, 3, NULL, NULL) == 0, "sort without lookup");
	is_str(host(&a[0], h, sizeof(h)), "2001:db8::1",
	    "without lookup: global IPv6 first");
	is_str(host(&a[1], h, sizeof(h)), "192.0.2.1",
	    "without lookup: IPv4 second");
	is_str(host(&a[2], h, sizeof(h)), "fd00::1",
	    "without lookup: ULA last");

	/* the race adapter */
	dn__rfc6724_hook hook = { lookup, &rr };
	a[0] = mk("192.0.2.1");
	a[1] = mk("2001:db8::2");
	rr.calls = 0;
	struct route rh[] = {
		{ "192.0.2.1", "192.0.2.2", 0 },
		{ "2001:db8::2", "2001:db8::100", 0 },
	};
	rr.r = rh;
	rr.n = ARRLEN(rh);
	dn__rfc6724_race_sort(a, 2, &hook);
	is_str(host(&a[0], h, sizeof(h)), "2001:db8::2",
	    "race sort hook applies RFC 6724");
	dn__rfc6724_race_sort(a, 0, &hook);
	ok(1, "race sort hook takes an empty list");
}

int
main(void)
{
	t_policy();
	t_common_prefix();
	t_examples();
	t_rules();
	return tap_done(0);
}
