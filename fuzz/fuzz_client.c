/*
 * fuzz_client.c - client endpoints: dn_client_endpoint_parse() (tcp:,
 * tcp6:, hostname: with every racing key) and dn_client_endpoint_new_tcp()
 * (the HOST PORT arguments), with the defaults a program passes down.
 */
#include "config.h"

#include "fuzz.h"

static const char *const client_types[] = { "tcp", "tcp6", "hostname", NULL };

static void *
parse(const char *text, const dn_endpoint_defaults *defs, dn_error *err)
{
	return dn_client_endpoint_parse(text, defs, err);
}

static void
release(void *ep)
{
	dn_client_endpoint_free(ep);
}

static const struct fz_endpoint_parser client = {
	"dn_client_endpoint_parse", client_types, parse, NULL, release
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dn_endpoint_defaults defs;
	dn_client_endpoint *ep;
	dn_error e;
	char *text;
	int i;

	if ((text = fz_text(data, size, 1024)) == NULL)
		return 0;
	fz_endpoints(text, &client);
	/* the text as the HOST of HOST PORT, with and without a flow label
	 * (-L), for each kind of defaults */
	for (i = 0; i < FZ_NDEFS; i++) {
		fz_err_reset(&e);
		ep = dn_client_endpoint_new_tcp(text, 443, i == 1 ? 0x12345 : 0,
		    i == 2 ? AF_INET : AF_UNSPEC, fz_defaults(i, &defs), &e);
		if (ep == NULL)
			fz_check_err(&e, "dn_client_endpoint_new_tcp", text);
		dn_client_endpoint_free(ep);
	}
	free(text);
	return 0;
}
