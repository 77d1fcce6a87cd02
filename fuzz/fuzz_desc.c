/*
 * fuzz_desc.c - dn_desc_parse(), Twisted's TYPE:ARG:KEY=VALUE syntax,
 * against a second reading written here from the rules alone: the same
 * verdict, type, positional arguments and values. Its escaped text
 * rebuilt from the parts parses to the same again.
 */
#include "config.h"

#include "fuzz.h"

/* The rules: '\' takes the next byte as it is (a lone one at the end is
 * an error); ':' ends a field; a field's first unescaped '=' splits KEY
 * from VALUE; the first field is the type, non-empty and without '=';
 * keys are non-empty and each given once. */
struct ref {
	char *buf;
	const char *type;
	const char *args[1100], *keys[1100], *vals[1100];
	size_t nargs, nkv;
};

static int
ref_parse(struct ref *r, const char *text)
{
	const char *p;
	char *w, *field, *eq = NULL;
	size_t i;

	memset(r, 0, sizeof(*r));
	if ((r->buf = malloc(strlen(text) + 1)) == NULL)
		return -1;
	w = field = r->buf;
	for (p = text;; p++) {
		if (*p == '\\') {
			if (p[1] == '\0')
				return -1;
			*w++ = *++p;
			continue;
		}
		if (*p == '=' && eq == NULL) {
			*w++ = '\0';
			eq = w;
			continue;
		}
		if (*p != ':' && *p != '\0') {
			*w++ = *p;
			continue;
		}
		*w++ = '\0';
		if (r->type == NULL) {
			if (eq != NULL || *field == '\0')
				return -1;
			r->type = field;
		} else if (eq == NULL)
			r->args[r->nargs++] = field;
		else {
			if (*field == '\0')
				return -1;
			for (i = 0; i < r->nkv; i++)
				if (strcmp(r->keys[i], field) == 0)
					return -1;
			r->keys[r->nkv] = field;
			r->vals[r->nkv++] = eq;
		}
		if (*p == '\0')
			return 0;
		field = w;
		eq = NULL;
	}
}

/* s with '\', ':' and '=' escaped, appended at *o. */
static void
escape(char *out, size_t len, size_t *o, const char *s)
{
	for (; *s != '\0' && *o + 3 < len; s++) {
		if (*s == '\\' || *s == ':' || *s == '=')
			out[(*o)++] = '\\';
		out[(*o)++] = *s;
	}
	out[*o] = '\0';
}

/* The parts of d in order type, args, KEY=VALUE pairs (a different order
 * than the original, which the syntax allows). */
static void
rebuild(const struct ref *r, char *out, size_t len)
{
	size_t i, o = 0;

	escape(out, len, &o, r->type);
	for (i = 0; i < r->nargs; i++) {
		out[o++] = ':';
		escape(out, len, &o, r->args[i]);
	}
	for (i = 0; i < r->nkv; i++) {
		out[o++] = ':';
		escape(out, len, &o, r->keys[i]);
		out[o++] = '=';
		escape(out, len, &o, r->vals[i]);
	}
	out[o] = '\0';
}

/* d says what r says. */
static void
agree(const dn_desc *d, const struct ref *r, const char *text)
{
	const char *v;
	size_t i;

	FZ_CHECK(strcmp(dn_desc_type(d), r->type) == 0, "'%s': type '%s', "
	    "expected '%s'", text, dn_desc_type(d), r->type);
	FZ_CHECK(dn_desc_nargs(d) == r->nargs, "'%s': %zu positional fields, "
	    "expected %zu", text, dn_desc_nargs(d), r->nargs);
	for (i = 0; i < r->nargs; i++)
		FZ_CHECK(strcmp(dn_desc_arg(d, i), r->args[i]) == 0, "'%s': "
		    "field %zu is '%s', expected '%s'", text, i,
		    dn_desc_arg(d, i), r->args[i]);
	FZ_CHECK(dn_desc_arg(d, r->nargs) == NULL, "'%s': a field past the "
	    "last", text);
	for (i = 0; i < r->nkv; i++) {
		v = dn_desc_get(d, r->keys[i]);
		FZ_CHECK(v != NULL && strcmp(v, r->vals[i]) == 0, "'%s': key "
		    "'%s' is '%s', expected '%s'", text, r->keys[i],
		    v != NULL ? v : "(absent)", r->vals[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const none[] = { NULL };
	static struct ref r, r2;
	char *text, rebuilt[4 * 1024 + 8];
	dn_desc *d, *d2;
	dn_error e;
	int rv;

	if ((text = fz_text(data, size, 1024)) == NULL)
		return 0;
	rv = ref_parse(&r, text);
	fz_err_reset(&e);
	d = dn_desc_parse(text, &e);
	if (d == NULL) {
		fz_check_err(&e, "dn_desc_parse", text);
		FZ_CHECK(rv == -1, "dn_desc_parse refused '%s' (%s), which the "
		    "rules allow", text, e.msg);
		goto done;
	}
	FZ_CHECK(rv == 0, "dn_desc_parse took '%s', which the rules refuse",
	    text);
	agree(d, &r, text);
	(void)dn_desc_is_description(text);

	/* every key is unknown to an empty list, and the message says so */
	fz_err_reset(&e);
	if (dn_desc_check_keys(d, none, &e) == -1) {
		FZ_CHECK(r.nkv > 0, "'%s' has no key but fails the key check",
		    text);
		fz_check_err(&e, "dn_desc_check_keys", text);
	} else
		FZ_CHECK(r.nkv == 0, "'%s' has keys but passes an empty list",
		    text);

	rebuild(&r, rebuilt, sizeof(rebuilt));
	fz_err_reset(&e);
	d2 = dn_desc_parse(rebuilt, &e);
	FZ_CHECK(d2 != NULL, "'%s' rebuilt as '%s' does not parse: %s", text,
	    rebuilt, e.msg);
	FZ_CHECK(ref_parse(&r2, rebuilt) == 0, "'%s' rebuilt as '%s' breaks "
	    "the rules", text, rebuilt);
	agree(d2, &r, rebuilt);
	free(r2.buf);
	dn_desc_free(d2);
	dn_desc_free(d);
done:
	free(r.buf);
	free(text);
	return 0;
}
