/*
 * fuzz.h - what every libFuzzer harness in fuzz/ shares: the input as a C
 * string, the checks on a dn_error, and FZ_CHECK, which aborts so that
 * libFuzzer reports a broken invariant as a crash and keeps the input.
 * Header-only; each harness includes it once.
 */
#ifndef DN_FUZZ_H
#define DN_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dualnet.h"

#define FZ_FN	__attribute__((unused)) static
#define FZ_ARRLEN(a)	(sizeof(a) / sizeof((a)[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: say which, with the input as text, and abort. */
#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant '%s' broken: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

/*
 * The input as a string of exactly its size, so that ASan sees a read past
 * the terminator; a NUL inside ends the text there, as it would in argv.
 * NULL for an input too long to be a command-line argument worth reading.
 */
FZ_FN char *
fz_text(const uint8_t *data, size_t size, size_t max)
{
	char *s;

	if (size > max || (s = malloc(size + 1)) == NULL)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * A failure's error: a known code of the exit-64 class (a text is bad, not
 * the system), and one sentence: not empty, terminated inside msg, one
 * line. what names the call in the report.
 */
FZ_FN void
fz_check_err(const dn_error *e, const char *what, const char *text)
{
	size_t n = strnlen(e->msg, sizeof(e->msg));

	FZ_CHECK(e->code > DN_OK && e->code < DN__ERR_MAX,
	    "%s('%s'): failed with code %d", what, text, (int)e->code);
	FZ_CHECK(dn_err_kind_of(e->code) == DN_KIND_INPUT, "%s('%s'): %s is "
	    "not an input error: %s", what, text, dn_err_name(e->code), e->msg);
	FZ_CHECK(n > 0 && n < sizeof(e->msg), "%s('%s'): message empty or "
	    "unterminated", what, text);
	FZ_CHECK(strpbrk(e->msg, "\n\r") == NULL, "%s('%s'): message is more "
	    "than one line: %s", what, text, e->msg);
}

/* An error value that shows whether a call wrote it. */
FZ_FN void
fz_err_reset(dn_error *e)
{
	memset(e, 0, sizeof(*e));
}

/*
 * What a program passes down to the endpoint parsers, in FZ_NDEFS kinds:
 * none; -6 -I lo -b ::1 with v6only; -4 -b 127.0.0.1 dual-stack off.
 */
#define FZ_NDEFS	3

FZ_FN const dn_endpoint_defaults *
fz_defaults(int i, dn_endpoint_defaults *d)
{
	static dn_addr b6, b4;
	static int ready;
	dn_addr_hints h = { .flags = DN_ADDR_PORT_OPTIONAL, .what = "bind" };

	if (!ready) {
		FZ_CHECK(dn_addr_parse(&b6, "::1", &h, NULL) == 0 &&
		    dn_addr_parse(&b4, "127.0.0.1", &h, NULL) == 0,
		    "cannot parse the bind addresses");
		ready = 1;
	}
	if (i == 0)
		return NULL;
	memset(d, 0, sizeof(*d));
	d->v6only = -1;
	if (i == 1) {
		d->family = AF_INET6;
		d->default_scope = "lo";
		d->bind = &b6;
		d->v6only = 1;
		d->timeout_ns = 2000000000u;
		d->backlog = 5;
	} else {
		d->family = AF_INET;
		d->bind = &b4;
	}
	return d;
}

/*
 * An endpoint parser took text: it is a description of one of the types
 * listed (NULL-terminated), as dn_desc_parse() reads it and as
 * dn_desc_is_description() recognises it.
 */
FZ_FN void
fz_check_type(const char *text, const char *const *types, const char *what)
{
	dn_desc *d = dn_desc_parse(text, NULL);
	size_t i;

	FZ_CHECK(d != NULL, "%s took '%s', which is no description", what,
	    text);
	for (i = 0; types[i] != NULL; i++)
		if (strcmp(dn_desc_type(d), types[i]) == 0)
			break;
	FZ_CHECK(types[i] != NULL, "%s took '%s', of type '%s'", what, text,
	    dn_desc_type(d));
	/* a type written with escapes ("\\all:80") is still one, but
	 * not one a program recognises as such among its arguments */
	FZ_CHECK(dn_desc_is_description(text) ||
	    strcspn(text, "\\") < strcspn(text, ":"), "%s took '%s', which "
	    "dn_desc_is_description() does not recognise", what, text);
	dn_desc_free(d);
}

/* Two failures of one call on one text say the same. */
FZ_FN void
fz_check_same(const dn_error *a, const dn_error *b, const char *what,
    const char *text)
{
	FZ_CHECK(a->code == b->code && strcmp(a->msg, b->msg) == 0, "%s('%s') "
	    "said '%s', then '%s'", what, text, a->msg, b->msg);
}

/*
 * One endpoint parser over text with each kind of defaults: what it takes
 * is of one of types (and check, if any, looks at it), what it refuses it
 * refuses again in the same words.
 */
struct fz_endpoint_parser {
	const char *name;
	const char *const *types;
	void *(*parse)(const char *text, const dn_endpoint_defaults *defs,
	    dn_error *err);
	void (*check)(const void *ep, const char *text);
	void (*release)(void *ep);
};

FZ_FN void
fz_endpoints(const char *text, const struct fz_endpoint_parser *p)
{
	dn_endpoint_defaults defs;
	const dn_endpoint_defaults *dp;
	dn_error e, e2;
	void *ep;
	int i;

	for (i = 0; i < FZ_NDEFS; i++) {
		dp = fz_defaults(i, &defs);
		fz_err_reset(&e);
		if ((ep = p->parse(text, dp, &e)) != NULL) {
			fz_check_type(text, p->types, p->name);
			if (p->check != NULL)
				p->check(ep, text);
			p->release(ep);
			continue;
		}
		fz_check_err(&e, p->name, text);
		fz_err_reset(&e2);
		FZ_CHECK(p->parse(text, dp, &e2) == NULL, "%s('%s') changed its "
		    "mind", p->name, text);
		fz_check_same(&e, &e2, p->name, text);
	}
}

#endif /* DN_FUZZ_H */
