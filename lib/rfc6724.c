/* rfc6724.c - RFC 6724 destination address selection: policy table, scopes and the §6 sort, without I/O. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "race.h"

/* RFC 4291 §2.7 / RFC 6724 §3.1 scope values */
#define SCOPE_LINK	0x2
#define SCOPE_SITE	0x5
#define SCOPE_GLOBAL	0xe

/* RFC 6724 §2.1 default policy table. */
static const struct policy {
	uint8_t prefix[16];
	int len;
	int precedence;
	int label;
} policy[] = {
	{ { 0,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,1 }, 128, 50, 0 },	/* ::1/128 */
	{ { 0 }, 0, 40, 1 },					/* ::/0 */
	{ { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff }, 96, 35, 4 },	/* ::ffff:0:0/96 */
	{ { 0x20, 0x02 }, 16, 30, 2 },				/* 2002::/16 6to4 */
	{ { 0x20, 0x01, 0, 0 }, 32, 5, 5 },			/* 2001::/32 Teredo */
	{ { 0xfc }, 7, 3, 13 },					/* fc00::/7 ULA */
	{ { 0 }, 96, 1, 3 },					/* ::/96 v4-compatible */
	{ { 0xfe, 0xc0 }, 10, 1, 11 },				/* fec0::/10 site-local */
	{ { 0x3f, 0xfe }, 16, 1, 12 },				/* 3ffe::/16 6bone */
};

/*
 * The address as 16 bytes, IPv4 as v4-mapped: §2.1 "IPv4 addresses are
 * represented as IPv4-mapped addresses" for the policy table. 0 when the
 * family is neither.
 */
static int
as16(const dn_addr *a, uint8_t out[16])
{
	switch (dn_addr_family(a)) {
	case AF_INET6:
		memcpy(out, &a->u.sin6.sin6_addr, 16);
		return 1;
	case AF_INET:
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a->u.sin.sin_addr, 4);
		return 1;
	}
	return 0;
}

/* Bits in common from the start, at most maxbits. */
static int
common_bits(const uint8_t *a, const uint8_t *b, int maxbits)
{
	int n = 0, i, bit;

	for (i = 0; n < maxbits; i++) {
		if (a[i] == b[i]) {
			n += 8;
			continue;
		}
		for (bit = 7; bit >= 0 && n < maxbits; bit--, n++)
			if (((a[i] ^ b[i]) >> bit) & 1)
				return n;
		break;
	}
	return n < maxbits ? n : maxbits;
}

/* Longest matching prefix (§2.1: "longest matching prefix" lookup). */
static const struct policy *
lookup(const dn_addr *a)
{
	const struct policy *best = &policy[1];	/* ::/0 */
	uint8_t b[16];
	size_t i;

	if (!as16(a, b))
		return best;
	for (i = 0; i < DN__ARRLEN(policy); i++)
		if (policy[i].len > best->len &&
		    common_bits(b, policy[i].prefix, policy[i].len) ==
		    policy[i].len)
			best = &policy[i];
	return best;
}

int
dn__rfc6724_precedence(const dn_addr *a)
{
	return lookup(a)->precedence;
}

int
dn__rfc6724_label(const dn_addr *a)
{
	return lookup(a)->label;
}

static int
v4_scope(const uint8_t *v4)
{
	/* §3.2: loopback 127/8 and autoconfiguration 169.254/16 are
	 * link-local; everything else, private space too, is global */
	if (v4[0] == 127 || (v4[0] == 169 && v4[1] == 254))
		return SCOPE_LINK;
	return SCOPE_GLOBAL;
}

int
dn__rfc6724_scope(const dn_addr *a)
{
	const uint8_t *b;

	switch (dn_addr_family(a)) {
	case AF_INET:
		return v4_scope((const uint8_t *)&a->u.sin.sin_addr);
	case AF_INET6:
		break;
	default:
		return SCOPE_GLOBAL;
	}
	b = a->u.sin6.sin6_addr.s6_addr;
	if (b[0] == 0xff)			/* multicast: its scope field */
		return b[1] & 0x0f;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)	/* fe80::/10 */
		return SCOPE_LINK;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)	/* fec0::/10 */
		return SCOPE_SITE;
	if (IN6_IS_ADDR_LOOPBACK(&a->u.sin6.sin6_addr))
		return SCOPE_LINK;		/* §3.1: ::1 is link-local */
	if (IN6_IS_ADDR_V4MAPPED(&a->u.sin6.sin6_addr))
		return v4_scope(b + 12);	/* §3.2 applies to mapped ones */
	return SCOPE_GLOBAL;
}

/* IPv4 and v4-mapped are one family for rule 9. */
static int
is_v4(const dn_addr *a)
{
	return dn_addr_family(a) == AF_INET ||
	    (dn_addr_family(a) == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&a->u.sin6.sin6_addr));
}

int
dn__rfc6724_common_prefix(const dn_addr *a, const dn_addr *b, int maxbits)
{
	uint8_t x[16], y[16];

	if (!as16(a, x) || !as16(b, y) || is_v4(a) != is_v4(b))
		return -1;
	if (is_v4(a)) {
		if (maxbits > 32)
			maxbits = 32;
		return common_bits(x + 12, y + 12, maxbits);
	}
	if (maxbits > 128)
		maxbits = 128;
	return common_bits(x, y, maxbits);
}

/* What the sort knows of one destination. */
struct dst {
	dn_addr addr;
	size_t index;		/* rule 10 */
	int has_src;
	dn_addr src;
	int src_prefixlen;	/* -1: unknown */
	int scope, label, precedence;
	int src_scope, src_label;
};

/*
 * §2.2: CommonPrefixLen "up to the length of S's prefix". IPv6: the
 * source's prefix length, or 64 (the interface identifier is never part of
 * it, RFC 4291 §2.5.1). IPv4: only a known prefix length; -1 skips rule 9.
 */
static int
rule9_len(const struct dst *d)
{
	int max;

	if (!d->has_src || is_v4(&d->addr) != is_v4(&d->src))
		return -1;
	if (is_v4(&d->addr)) {
		if (d->src_prefixlen < 0)
			return -1;
		max = d->src_prefixlen;
	} else
		max = d->src_prefixlen >= 0 ? d->src_prefixlen : 64;
	return dn__rfc6724_common_prefix(&d->src, &d->addr, max);
}

/* < 0 when a comes first. */
static int
compare(const struct dst *a, const struct dst *b)
{
	int ma, mb, pa, pb;

	/* Rule 1: avoid unusable destinations */
	if (a->has_src != b->has_src)
		return a->has_src ? -1 : 1;
	if (a->has_src && b->has_src) {
		/* Rule 2: prefer matching scope */
		ma = a->scope == a->src_scope;
		mb = b->scope == b->src_scope;
		if (ma != mb)
			return ma ? -1 : 1;
		/* Rules 3 (deprecated source) and 4 (home address) need
		 * what the system does not tell us. */
		/* Rule 5: prefer matching label */
		ma = a->label == a->src_label;
		mb = b->label == b->src_label;
		if (ma != mb)
			return ma ? -1 : 1;
	}
	/* Rule 6: prefer higher precedence */
	if (a->precedence != b->precedence)
		return a->precedence > b->precedence ? -1 : 1;
	/* Rule 7 (native transport) is not known either. */
	/* Rule 8: prefer smaller scope */
	if (a->scope != b->scope)
		return a->scope < b->scope ? -1 : 1;
	/* Rule 9: longest matching prefix, "when DA and DB belong to the
	 * same address family" */
	if (a->has_src && b->has_src && is_v4(&a->addr) == is_v4(&b->addr)) {
		pa = rule9_len(a);
		pb = rule9_len(b);
		if (pa >= 0 && pb >= 0 && pa != pb)
			return pa > pb ? -1 : 1;
	}
	/* Rule 10: otherwise, leave the order unchanged */
	return a->index < b->index ? -1 : a->index > b->index;
}

int
dn__rfc6724_sort(dn_addr *addrs, size_t n, dn__rfc6724_source_fn source,
    void *arg)
{
	struct dst *d, tmp;
	size_t i, j;

	if (n < 2)
		return 0;
	if ((d = calloc(n, sizeof(*d))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		d[i].addr = addrs[i];
		d[i].index = i;
		d[i].src_prefixlen = -1;
		d[i].scope = dn__rfc6724_scope(&addrs[i]);
		d[i].label = dn__rfc6724_label(&addrs[i]);
		d[i].precedence = dn__rfc6724_precedence(&addrs[i]);
		if (source != NULL && source(&addrs[i], &d[i].src,
		    &d[i].src_prefixlen, arg) == 0) {
			d[i].has_src = 1;
			d[i].src_scope = dn__rfc6724_scope(&d[i].src);
			d[i].src_label = dn__rfc6724_label(&d[i].src);
		} else
			d[i].src_prefixlen = -1;
	}
	/* insertion sort: stable, and n is a handful of addresses */
	for (i = 1; i < n; i++) {
		tmp = d[i];
		for (j = i; j > 0 && compare(&tmp, &d[j - 1]) < 0; j--)
			d[j] = d[j - 1];
		d[j] = tmp;
	}
	for (i = 0; i < n; i++)
		addrs[i] = d[i].addr;
	free(d);
	return 0;
}

void
dn__rfc6724_race_sort(dn_addr *addrs, size_t n, void *hook)
{
	const dn__rfc6724_hook *h = hook;

	/* on no memory the order stays as it was: still a valid order */
	(void)dn__rfc6724_sort(addrs, n, h != NULL ? h->source : NULL,
	    h != NULL ? h->arg : NULL);
}
