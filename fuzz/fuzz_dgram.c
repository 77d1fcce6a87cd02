/*
 * fuzz_dgram.c - datagram endpoints: dn_dgram_endpoint_parse() (udp:,
 * udp6:, udp-all:, multicast:) and dn_dgram_endpoint_new_multicast()
 * (GROUP PORT arguments). What parses is what its getters say it is:
 * a listener has a local address with its port, a sender a destination
 * or a host name, a group is multicast.
 */
#include "config.h"

#include "fuzz.h"

static const char *const dgram_types[] = { "udp", "udp6", "udp-all",
	"multicast", NULL };

static void
check_ep(const dn_dgram_endpoint *ep, const char *text)
{
	const dn_addr *local = dn_dgram_endpoint_local(ep);
	const dn_addr *dest = dn_dgram_endpoint_dest(ep);
	const dn_addr *src = dn_dgram_endpoint_source(ep);
	const char *host = dn_dgram_endpoint_host(ep);
	uint16_t port = dn_dgram_endpoint_port(ep);
	int fam = dn_dgram_endpoint_family(ep);
	int hops = dn_dgram_endpoint_hops(ep), loop = dn_dgram_endpoint_loop(ep);
	int v6only = dn_dgram_endpoint_v6only(ep);

	FZ_CHECK(hops >= -1 && hops <= 255 && loop >= -1 && loop <= 1 &&
	    v6only >= -1 && v6only <= 1, "'%s': hops %d, loop %d, v6only %d",
	    text, hops, loop, v6only);
	switch (dn_dgram_endpoint_kind(ep)) {
	case DN_DGRAM_LISTEN:
		FZ_CHECK(local != NULL && dest == NULL && host == NULL,
		    "listener '%s' without its address, or with a peer", text);
		FZ_CHECK(dn_addr_port(local) == port && dn_addr_family(local) ==
		    fam, "listener '%s': port or family disagree", text);
		break;
	case DN_DGRAM_SEND:
		FZ_CHECK(host != NULL && port != 0, "sender '%s' without host "
		    "or port", text);
		FZ_CHECK(fam == AF_INET || fam == AF_INET6, "sender '%s' of "
		    "family %d", text, fam);
		FZ_CHECK(dest == NULL || (dn_addr_port(dest) == port &&
		    dn_addr_family(dest) == fam), "sender '%s': destination "
		    "disagrees with port or family", text);
		FZ_CHECK(local == NULL || dn_addr_family(local) == fam,
		    "sender '%s' binds another family", text);
		break;
	case DN_DGRAM_MULTICAST:
		FZ_CHECK(dest != NULL && dn_addr_is_multicast(dest) &&
		    dn_addr_port(dest) == port && port != 0, "multicast '%s': "
		    "no group, not multicast, or another port", text);
		FZ_CHECK(src == NULL || (dn_addr_family(src) ==
		    dn_addr_family(dest) && !dn_addr_is_multicast(src)),
		    "multicast '%s': a source of another family, or multicast",
		    text);
		FZ_CHECK(dn_addr_family(dest) == fam, "multicast '%s': family "
		    "disagrees", text);
		break;
	case DN_DGRAM_LISTEN_ALL:
		FZ_CHECK(dn_dgram_endpoint_all(ep) != NULL && local == NULL &&
		    dest == NULL, "udp-all '%s' without its options", text);
		break;
	default:
		FZ_CHECK(0, "'%s': kind %d", text, (int)dn_dgram_endpoint_kind(ep));
	}
	FZ_CHECK(dn_dgram_endpoint_kind(ep) == DN_DGRAM_LISTEN_ALL ||
	    dn_dgram_endpoint_all(ep) == NULL, "'%s' has all-interfaces "
	    "options but is not udp-all", text);
}

static void *
parse(const char *text, const dn_endpoint_defaults *defs, dn_error *err)
{
	return dn_dgram_endpoint_parse(text, defs, err);
}

static void
check(const void *ep, const char *text)
{
	check_ep(ep, text);
}

static void
release(void *ep)
{
	dn_dgram_endpoint_free(ep);
}

static const struct fz_endpoint_parser dgram = {
	"dn_dgram_endpoint_parse", dgram_types, parse, check, release
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dn_endpoint_defaults defs;
	dn_dgram_endpoint *ep;
	dn_error e;
	char *text, *sep;
	int i;

	if ((text = fz_text(data, size, 1024)) == NULL)
		return 0;
	fz_endpoints(text, &dgram);

	/* GROUP [SOURCE] as dnmcast's arguments: the text up to a space is
	 * the group, the rest the source */
	if ((sep = strchr(text, ' ')) != NULL)
		*sep++ = '\0';
	for (i = 0; i < FZ_NDEFS; i++) {
		fz_err_reset(&e);
		ep = dn_dgram_endpoint_new_multicast(text, 5000, sep,
		    fz_defaults(i, &defs), &e);
		if (ep != NULL) {
			check_ep(ep, text);
			FZ_CHECK(dn_dgram_endpoint_kind(ep) == DN_DGRAM_MULTICAST,
			    "group '%s' makes kind %d", text,
			    (int)dn_dgram_endpoint_kind(ep));
			dn_dgram_endpoint_free(ep);
		} else
			fz_check_err(&e, "dn_dgram_endpoint_new_multicast",
			    text);
	}
	free(text);
	return 0;
}
