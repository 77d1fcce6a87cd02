/* acl.c - access control for servers: allowed and denied prefixes (addr.c reads them), from arguments and files, checked against each peer. */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A line of a prefix file: a prefix and a comment fit easily. */
#define LINE_MAX_	1024

struct rule {
	dn_prefix p;
	char text[DN_PREFIX_STRLEN];
};

struct rules {
	struct rule *v;
	size_t n, cap;
};

struct dn_acl {
	struct rules allow, deny;
};

dn_acl *
dn_acl_new(dn_error *err)
{
	dn_acl *acl;

	if ((acl = calloc(1, sizeof(*acl))) == NULL)
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory for an access "
		    "list");
	return acl;
}

void
dn_acl_free(dn_acl *acl)
{
	if (acl == NULL)
		return;
	free(acl->allow.v);
	free(acl->deny.v);
	free(acl);
}

static int
rules_push(struct rules *r, const dn_prefix *p, dn_error *err)
{
	struct rule *nv;
	size_t ncap;

	if (r->n == r->cap) {
		ncap = r->cap != 0 ? r->cap * 2 : 8;
		if ((nv = realloc(r->v, ncap * sizeof(*nv))) == NULL)
			return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory "
			    "for %zu prefixes", ncap);
		r->v = nv;
		r->cap = ncap;
	}
	r->v[r->n].p = *p;
	dn_prefix_format(p, r->v[r->n].text, sizeof(r->v[r->n].text));
	r->n++;
	return 0;
}

int
dn_acl_add(dn_acl *acl, int allow, const char *prefix, dn_error *err)
{
	dn_prefix p;

	if (dn_prefix_parse(&p, prefix, err) == -1)
		return -1;
	return rules_push(allow ? &acl->allow : &acl->deny, &p, err);
}

int
dn_acl_add_file(dn_acl *acl, int allow, const char *path, dn_error *err)
{
	struct rules *r = allow ? &acl->allow : &acl->deny;
	size_t before = r->n, n;
	char line[LINE_MAX_], *s, *e;
	unsigned lineno = 0;
	dn_error pe;
	FILE *f;
	int rv = -1;

	if ((f = fopen(path, "re")) == NULL)
		return dn__err(err, DN_EINVAL, errno, "cannot read the prefix "
		    "file %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n' && !feof(f)) {
			dn__err(err, DN_ESYNTAX, 0, "%s:%u: the line is longer "
			    "than %d bytes", path, lineno, LINE_MAX_ - 2);
			goto done;
		}
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		if (strpbrk(s, " \t") != NULL) {
			dn__err(err, DN_ESYNTAX, 0, "%s:%u: '%s' holds more "
			    "than one prefix: give one a line", path, lineno,
			    s);
			goto done;
		}
		if (dn_acl_add(acl, allow, s, &pe) == -1) {
			dn__err(err, pe.code, pe.os_errno, "%s:%u: %s", path,
			    lineno, pe.msg);
			goto done;
		}
	}
	if (ferror(f)) {
		dn__err(err, DN_EINVAL, errno, "cannot read the prefix file "
		    "%s: %s", path, strerror(errno));
		goto done;
	}
	rv = 0;
done:
	if (rv == -1)
		r->n = before;
	fclose(f);
	return rv;
}

int
dn_acl_empty(const dn_acl *acl)
{
	return acl == NULL || (acl->allow.n == 0 && acl->deny.n == 0);
}

static const struct rule *
first_match(const struct rules *r, const dn_addr *a)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (dn_prefix_match(&r->v[i].p, a))
			return &r->v[i];
	return NULL;
}

int
dn_acl_check(const dn_acl *acl, const dn_addr *peer, char *why,
    size_t whylen)
{
	const struct rule *d;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (dn_acl_empty(acl))
		return 1;
	if ((d = first_match(&acl->deny, peer)) != NULL) {
		if (why != NULL)
			snprintf(why, whylen, "denied by %s", d->text);
		return 0;
	}
	if (acl->allow.n > 0 && first_match(&acl->allow, peer) == NULL) {
		if (why != NULL)
			snprintf(why, whylen, "in no allowed prefix");
		return 0;
	}
	return 1;
}
