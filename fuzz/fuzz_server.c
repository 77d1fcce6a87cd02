/*
 * fuzz_server.c - dn_server_endpoint_parse(): tcp:, tcp6: and all: with
 * the defaults a program passes down; what it takes is a server type.
 */
#include "config.h"

#include "fuzz.h"

static const char *const server_types[] = { "tcp", "tcp6", "all", NULL };

static void *
parse(const char *text, const dn_endpoint_defaults *defs, dn_error *err)
{
	return dn_server_endpoint_parse(text, defs, err);
}

static void
release(void *ep)
{
	dn_server_endpoint_free(ep);
}

static const struct fz_endpoint_parser server = {
	"dn_server_endpoint_parse", server_types, parse, NULL, release
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if ((text = fz_text(data, size, 1024)) == NULL)
		return 0;
	fz_endpoints(text, &server);
	free(text);
	return 0;
}
