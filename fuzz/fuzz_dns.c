/*
 * fuzz_dns.c - dn_reactor_set_dns_servers(), the --dns-server list
 * "ADDR[:PORT],...": a list is taken when each of its entries is, and
 * only then; a refusal is one sentence.
 */
#include "config.h"

#include "fuzz.h"

static dn_reactor *r;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* one reactor for every input: setting servers replaces the last */
	if ((r = dn_reactor_new(NULL)) == NULL)
		abort();
	return 0;
}

static int
set(const char *list, dn_error *e)
{
	int rv;

	fz_err_reset(e);
	rv = dn_reactor_set_dns_servers(r, list, e);
	if (rv == -1) {
		fz_check_err(e, "dn_reactor_set_dns_servers", list);
		/* an entry is a literal by dn_addr_parse()'s rules: any of
		 * its input errors (ERANGE for a port) may say why */
		FZ_CHECK(dn_err_kind_of(e->code) == DN_KIND_INPUT,
		    "server list '%s' refused with %s", list,
		    dn_err_name(e->code));
	} else
		FZ_CHECK(rv == 0, "dn_reactor_set_dns_servers returned %d", rv);
	return rv;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *item, *comma;
	dn_error e, e2;
	int rv, all = 0;

	if ((text = fz_text(data, size, 1024)) == NULL)
		return 0;
	rv = set(text, &e);
	/* the same again, after another list: nothing carried over */
	FZ_CHECK(dn_reactor_set_dns_servers(r, NULL, NULL) == 0, "cannot go "
	    "back to resolv.conf");
	FZ_CHECK(set(text, &e2) == rv, "server list '%s' taken once only",
	    text);
	if (rv == -1)
		fz_check_same(&e, &e2, "dn_reactor_set_dns_servers", text);

	/* entry by entry: all taken exactly when the list is */
	if (*text != '\0') {
		all = 1;
		for (item = text; all && item != NULL; item = comma) {
			if ((comma = strchr(item, ',')) != NULL)
				*comma++ = '\0';
			while (*item == ' ')
				item++;
			all = *item != '\0' && set(item, &e2) == 0;
		}
	}
	FZ_CHECK(all == (rv == 0), "server list %s, but %s its entries",
	    rv == 0 ? "taken" : "refused", all ? "each of" : "not each of");
	free(text);
	return 0;
}
