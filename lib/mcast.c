/* mcast.c - multicast joinGroup/leaveGroup of the plan for IPv4 and IPv6, any-source and source-specific; outgoing interface, hops, loop. */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

struct memb {
	struct memb *next;
	dn_addr group;
	dn_addr source;		/* family AF_UNSPEC: any-source */
	unsigned ifindex;	/* 0: the kernel picked by route */
};

struct dn__mcast {
	struct memb *head;
	int all_off;		/* IP(V6)_MULTICAST_ALL turned off */
};

/* ------------------------------------------------------------------ */
/* Rules                                                              */
/* ------------------------------------------------------------------ */

/* RFC 4607 §1: 232.0.0.0/8 and FF3x::/32 are the source-specific ranges. */
static int
is_ssm(const dn_addr *g)
{
	const uint8_t *b;

	if (dn_addr_family(g) == AF_INET)
		return (ntohl(g->u.sin.sin_addr.s_addr) >> 24) == 232;
	b = g->u.sin6.sin6_addr.s6_addr;
	return b[0] == 0xff && (b[1] & 0xf0) == 0x30 && b[2] == 0 && b[3] == 0;
}

static const char *
fam(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* What one membership is, checked against every rule of dualnet.h. */
static int
membership(int sfamily, int v6only, const dn_addr *group,
    const dn_addr *source, const char *iface, struct memb *m, dn_error *err)
{
	char g[DN_ADDR_STRLEN], s[DN_ADDR_STRLEN], list[DN__IFLIST_MAX];
	char in[IF_NAMESIZE + 32];
	int gf = dn_addr_family(group);
	unsigned idx = 0, zone;

	if (gf != AF_INET && gf != AF_INET6)
		return dn__err(err, DN_EINVAL, 0, "no group given: give an "
		    "IPv4 or IPv6 multicast address");
	dn_addr_format_host(group, g, sizeof(g));
	if (!dn_addr_is_multicast(group))
		return dn__err(err, DN_EINVAL, 0, "%s is not a multicast "
		    "address: give a group in %s", g, gf == AF_INET ?
		    "224.0.0.0/4" : "ff00::/8");
	if (sfamily == AF_INET && gf == AF_INET6)
		return dn__err(err, DN_EFAMILY, 0, "group %s is IPv6 but the "
		    "socket is IPv4: listen on :: to join IPv6 groups", g);
	if (sfamily == AF_INET6 && gf == AF_INET && v6only == 1)
		return dn__err(err, DN_EFAMILY, 0, "group %s is IPv4 but the "
		    "socket is IPv6-only: listen on 0.0.0.0, or on :: "
		    "dual-stack", g);
	if (iface != NULL && *iface != '\0' &&
	    dn_iface_index(iface, &idx, err) == -1)
		return -1;
	if ((zone = dn_addr_scope(group)) != 0) {
		if (idx != 0 && idx != zone)
			return dn__err(err, DN_EBADSCOPE, 0, "group %s is on "
			    "%s but the interface given is %s: give the "
			    "interface once", g, dn__iface_name(zone, in,
			    sizeof(in)), iface);
		idx = zone;
	}
	/* RFC 4291 §2.7: scopes 1 and 2 mean nothing without a link */
	if (dn_addr_needs_scope(group) && idx == 0)
		return dn__err(err, DN_ENOSCOPE, 0, "group %s is %s multicast: "
		    "add %%IFACE or give an interface, one of: %s", g,
		    dn_addr_mcast_scope(group) == 1 ? "interface-local" :
		    "link-local", dn__iface_list(list, sizeof(list)));
	memset(m, 0, sizeof(*m));
	if (source != NULL && dn_addr_family(source) != AF_UNSPEC) {
		dn_addr_format_host(source, s, sizeof(s));
		if (dn_addr_family(source) != gf)
			return dn__err(err, DN_EFAMILY, 0, "source %s is %s but "
			    "group %s is %s: give a source of the group's "
			    "family", s, fam(dn_addr_family(source)), g,
			    fam(gf));
		if (dn_addr_is_multicast(source) ||
		    dn_addr_is_unspecified(source))
			return dn__err(err, DN_EINVAL, 0, "source %s is not a "
			    "unicast address: give the sender's address", s);
		if (!is_ssm(group))
			return dn__err(err, DN_EINVAL, 0, "source %s given for "
			    "group %s, which is not source-specific: drop the "
			    "source, or use a group in %s", s, g, gf == AF_INET ?
			    "232.0.0.0/8" : "ff3x::/32");
		m->source = *source;
		dn_addr_set_port(&m->source, 0);
	} else if (is_ssm(group))
		return dn__err(err, DN_EINVAL, 0, "group %s is source-specific "
		    "(%s): give the source to receive from", g,
		    gf == AF_INET ? "232.0.0.0/8" : "ff3x::/32");
	m->group = *group;
	dn_addr_set_port(&m->group, 0);
	if (gf == AF_INET6) {
		m->group.u.sin6.sin6_flowinfo = 0;
		m->group.u.sin6.sin6_scope_id = 0;
		if (dn_addr_family(&m->source) == AF_INET6)
			m->source.u.sin6.sin6_flowinfo = 0;
	}
	m->ifindex = idx;
	return 0;
}

static int
memb_same(const struct memb *a, const struct memb *b)
{
	return dn_addr_equal(&a->group, &b->group) &&
	    a->ifindex == b->ifindex &&
	    dn_addr_family(&a->source) == dn_addr_family(&b->source) &&
	    (dn_addr_family(&a->source) == AF_UNSPEC ||
	    dn_addr_equal(&a->source, &b->source));
}

/* ------------------------------------------------------------------ */
/* Kernel                                                             */
/* ------------------------------------------------------------------ */

/* RFC 3678 §5: the protocol-independent calls; the level is the group's. */
static int
memb_setsockopt(int fd, const struct memb *m, int join)
{
	struct group_source_req gsr;
	struct group_req gr;
	int level = dn_addr_family(&m->group) == AF_INET ? IPPROTO_IP :
	    IPPROTO_IPV6;

	if (dn_addr_family(&m->source) == AF_UNSPEC) {
		memset(&gr, 0, sizeof(gr));
		gr.gr_interface = m->ifindex;
		memcpy(&gr.gr_group, &m->group.u.ss, m->group.len);
		return setsockopt(fd, level, join ? MCAST_JOIN_GROUP :
		    MCAST_LEAVE_GROUP, &gr, sizeof(gr));
	}
	memset(&gsr, 0, sizeof(gsr));
	gsr.gsr_interface = m->ifindex;
	memcpy(&gsr.gsr_group, &m->group.u.ss, m->group.len);
	memcpy(&gsr.gsr_source, &m->source.u.ss, m->source.len);
	return setsockopt(fd, level, join ? MCAST_JOIN_SOURCE_GROUP :
	    MCAST_LEAVE_SOURCE_GROUP, &gsr, sizeof(gsr));
}

static const char *
memb_text(const struct memb *m, char *buf, size_t len)
{
	char g[DN_ADDR_STRLEN], s[DN_ADDR_STRLEN], in[IF_NAMESIZE + 32];

	dn_addr_format_host(&m->group, g, sizeof(g));
	dn__iface_name(m->ifindex, in, sizeof(in));
	if (dn_addr_family(&m->source) == AF_UNSPEC)
		snprintf(buf, len, "group %s on %s", g, in);
	else
		snprintf(buf, len, "group %s from source %s on %s", g,
		    dn_addr_format_host(&m->source, s, sizeof(s)), in);
	return buf;
}

/*
 * Linux quirk: with IP_MULTICAST_ALL on (the default) a socket bound to a
 * wildcard receives every group any socket of the host joined. A socket
 * that joins groups wants its own only (IPV6_MULTICAST_ALL: Linux 4.20).
 */
static void
multicast_all_off(int fd, int family, struct dn__mcast *mc)
{
	int off = 0;

	if (mc->all_off)
		return;
	(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off));
#ifdef IPV6_MULTICAST_ALL
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off,
		    sizeof(off));
#else
	(void)family;
#endif
	mc->all_off = 1;
}

int
dn_mcast_join(dn_udp *u, const dn_addr *group, const dn_addr *source,
    const char *iface, dn_error *err)
{
	struct dn__mcast **mcp, *mc;
	struct memb m, *n, *i;
	char t[3 * DN_ADDR_STRLEN];
	int fd, family, v6only, e;

	if ((fd = dn__udp_sock(u, &family, &v6only, &mcp)) == -1)
		return dn__err(err, DN_EINVAL, 0, "join on a closed UDP socket");
	if (membership(family, v6only, group, source, iface, &m, err) == -1)
		return -1;
	if (*mcp == NULL && (*mcp = calloc(1, sizeof(**mcp))) == NULL)
		return dn__err(err, DN_ENOMEM, errno, "out of memory for a "
		    "membership");
	mc = *mcp;
	for (i = mc->head; i != NULL; i = i->next)
		if (memb_same(i, &m))
			return dn__err(err, DN_EINVAL, 0, "already joined %s: "
			    "join once", memb_text(&m, t, sizeof(t)));
	if ((n = malloc(sizeof(*n))) == NULL)
		return dn__err(err, DN_ENOMEM, errno, "out of memory for a "
		    "membership");
	multicast_all_off(fd, family, mc);
	if (memb_setsockopt(fd, &m, 1) == -1) {
		e = errno;
		free(n);
		memb_text(&m, t, sizeof(t));
		if (e == ENODEV && m.ifindex == 0)
			return dn__err(err, DN_ELOCAL, e, "cannot join %s: no "
			    "route to the group picks one; give an interface",
			    t);
		if (e == ENOBUFS)
			return dn__err(err, DN_ELOCAL, e, "cannot join %s: this "
			    "socket has as many groups as the system allows "
			    "(net.ipv4.igmp_max_memberships)", t);
		return dn__err(err, DN_ELOCAL, e, "cannot join %s: %s", t,
		    strerror(e));
	}
	*n = m;
	n->next = mc->head;
	mc->head = n;
	return 0;
}

int
dn_mcast_leave(dn_udp *u, const dn_addr *group, const dn_addr *source,
    const char *iface, dn_error *err)
{
	struct dn__mcast **mcp;
	struct memb m, **pp, *i;
	char t[3 * DN_ADDR_STRLEN];
	int fd, family, v6only;

	if ((fd = dn__udp_sock(u, &family, &v6only, &mcp)) == -1)
		return dn__err(err, DN_EINVAL, 0, "leave on a closed UDP "
		    "socket");
	if (membership(family, v6only, group, source, iface, &m, err) == -1)
		return -1;
	for (pp = *mcp != NULL ? &(*mcp)->head : NULL;
	    pp != NULL && *pp != NULL; pp = &(*pp)->next)
		if (memb_same(*pp, &m))
			break;
	if (pp == NULL || *pp == NULL)
		return dn__err(err, DN_EINVAL, 0, "not joined to %s: nothing "
		    "to leave", memb_text(&m, t, sizeof(t)));
	if (memb_setsockopt(fd, &m, 0) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot leave %s: %s",
		    memb_text(&m, t, sizeof(t)), strerror(errno));
	i = *pp;
	*pp = i->next;
	free(i);
	return 0;
}

void
dn__mcast_release(int fd, struct dn__mcast *mc)
{
	struct memb *i, *n;

	if (mc == NULL)
		return;
	for (i = mc->head; i != NULL; i = n) {
		n = i->next;
		if (fd != -1)
			(void)memb_setsockopt(fd, i, 0);
		free(i);
	}
	free(mc);
}

/* ------------------------------------------------------------------ */
/* Sending options                                                    */
/* ------------------------------------------------------------------ */

/*
 * A dual-stack IPv6 socket sends IPv4 multicast with the IPv4 options
 * (inet_sk(sk)->mc_*): set those too, best effort.
 */
static int
both(int fd, int family, int v6only, int name4, int name6, const void *v4,
    socklen_t l4, const void *v6, socklen_t l6)
{
	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, name4, v4, l4);
	if (setsockopt(fd, IPPROTO_IPV6, name6, v6, l6) == -1)
		return -1;
	if (v6only == 0)
		(void)setsockopt(fd, IPPROTO_IP, name4, v4, l4);
	return 0;
}

int
dn_mcast_set_interface(dn_udp *u, const char *iface, dn_error *err)
{
	struct dn__mcast **mcp;
	struct ip_mreqn mr;
	unsigned idx = 0;
	int fd, family, v6only, i6;

	if ((fd = dn__udp_sock(u, &family, &v6only, &mcp)) == -1)
		return dn__err(err, DN_EINVAL, 0, "set the multicast interface "
		    "on a closed UDP socket");
	if (iface != NULL && *iface != '\0' &&
	    dn_iface_index(iface, &idx, err) == -1)
		return -1;
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = (int)idx;
	i6 = (int)idx;
	if (both(fd, family, v6only, IP_MULTICAST_IF, IPV6_MULTICAST_IF, &mr,
	    sizeof(mr), &i6, sizeof(i6)) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot send multicast "
		    "through %s: %s", iface != NULL && *iface != '\0' ? iface :
		    "the default interface", strerror(errno));
	return 0;
}

int
dn_mcast_set_hops(dn_udp *u, int hops, dn_error *err)
{
	struct dn__mcast **mcp;
	int fd, family, v6only;

	if ((fd = dn__udp_sock(u, &family, &v6only, &mcp)) == -1)
		return dn__err(err, DN_EINVAL, 0, "set multicast hops on a "
		    "closed UDP socket");
	if (hops < 0 || hops > 255)
		return dn__err(err, DN_ERANGE, 0, "multicast hops %d is out of "
		    "range: use 0..255", hops);
	if (both(fd, family, v6only, IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS,
	    &hops, sizeof(hops), &hops, sizeof(hops)) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot set multicast "
		    "hops to %d: %s", hops, strerror(errno));
	return 0;
}

int
dn_mcast_set_loop(dn_udp *u, int on, dn_error *err)
{
	struct dn__mcast **mcp;
	int fd, family, v6only, v = !!on;

	if ((fd = dn__udp_sock(u, &family, &v6only, &mcp)) == -1)
		return dn__err(err, DN_EINVAL, 0, "set multicast loop on a "
		    "closed UDP socket");
	if (both(fd, family, v6only, IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP,
	    &v, sizeof(v), &v, sizeof(v)) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot turn multicast "
		    "loop %s: %s", v ? "on" : "off", strerror(errno));
	return 0;
}
