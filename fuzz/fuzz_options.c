/*
 * fuzz_options.c - the racing options and their kin, as --race, --order,
 * --family, --resolver and all:'s scope= read them: a word taken names a
 * value whose name reads back to it; a word refused is quoted in the
 * message.
 */
#include "config.h"

#include "fuzz.h"
#include "race.h"

/* A refusal names the bad text (when short enough to be quoted whole). */
static void
refused(const dn_error *e, const char *what, const char *text)
{
	const char *c;

	fz_check_err(e, what, text);
	for (c = text; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return;	/* quoted as '?': one line */
	if (strlen(text) < 64 && text[0] != '\0')
		FZ_CHECK(strstr(e->msg, text) != NULL, "%s('%s') does not quote "
		    "it: %s", what, text, e->msg);
}

/* The scope list by the rules: comma-separated words, each known. */
static int
scopes_ref(const char *s, unsigned *mask)
{
	static const struct {
		const char *w;
		unsigned bit;
	} words[] = { { "loopback", DN_ALL_LOOPBACK },
	    { "link", DN_ALL_LINKLOCAL }, { "link-local", DN_ALL_LINKLOCAL },
	    { "global", DN_ALL_GLOBAL } };
	const char *end;
	size_t i, n;

	*mask = 0;
	if (*s == '\0')
		return -1;
	for (;; s = end + 1) {
		end = strchr(s, ',');
		n = end != NULL ? (size_t)(end - s) : strlen(s);
		for (i = 0; i < FZ_ARRLEN(words); i++)
			if (strlen(words[i].w) == n &&
			    strncmp(words[i].w, s, n) == 0)
				break;
		if (i == FZ_ARRLEN(words))
			return -1;
		*mask |= words[i].bit;
		if (end == NULL)
			return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dn__race_mode m;
	dn__race_order o;
	dn_race_mode pm;
	dn_race_order po;
	dn_resolver_kind rk;
	unsigned mask, want;
	dn_error e;
	char *text;
	int fam, rv;

	if ((text = fz_text(data, size, 256)) == NULL)
		return 0;

	fz_err_reset(&e);
	if (dn__race_mode_parse(text, &m, &e) == 0) {
		FZ_CHECK(strcmp(dn__race_mode_name(m), text) == 0, "race mode "
		    "'%s' reads as '%s'", text, dn__race_mode_name(m));
		FZ_CHECK(dn_race_mode_parse(text, &pm, NULL) == 0 &&
		    (unsigned)pm <= DN_RACE_SERIAL, "race mode '%s' is not "
		    "public", text);
	} else {
		refused(&e, "dn__race_mode_parse", text);
		FZ_CHECK(dn_race_mode_parse(text, &pm, NULL) == -1, "race mode "
		    "'%s' is public only", text);
	}

	fz_err_reset(&e);
	if (dn__race_order_parse(text, &o, &e) == 0) {
		FZ_CHECK(strcmp(dn__race_order_name(o), text) == 0, "order "
		    "'%s' reads as '%s'", text, dn__race_order_name(o));
		FZ_CHECK(dn_race_order_parse(text, &po, NULL) == 0 &&
		    (unsigned)po <= DN_ORDER_RESOLVER, "order '%s' is not "
		    "public", text);
	} else {
		refused(&e, "dn__race_order_parse", text);
		FZ_CHECK(dn_race_order_parse(text, &po, NULL) == -1, "order "
		    "'%s' is public only", text);
	}

	fz_err_reset(&e);
	if (dn_race_family_parse(text, &fam, &e) == 0)
		FZ_CHECK(fam == AF_UNSPEC || fam == AF_INET || fam == AF_INET6,
		    "family '%s' reads as %d", text, fam);
	else
		refused(&e, "dn_race_family_parse", text);

	fz_err_reset(&e);
	if (dn_resolver_parse(text, &rk, &e) == 0)
		FZ_CHECK(rk == DN_RESOLVER_ARES || rk == DN_RESOLVER_SYSTEM,
		    "resolver '%s' reads as %d", text, (int)rk);
	else
		refused(&e, "dn_resolver_parse", text);

	fz_err_reset(&e);
	rv = dn_all_scopes_parse(text, &mask, &e);
	FZ_CHECK(rv == scopes_ref(text, &want), "scope list '%s': %s, which "
	    "the rules do not say", text, rv == 0 ? "taken" : "refused");
	if (rv == 0)
		FZ_CHECK(mask == want, "scope list '%s' reads as 0x%x, not 0x%x",
		    text, mask, want);
	else
		refused(&e, "dn_all_scopes_parse", text);

	free(text);
	return 0;
}
