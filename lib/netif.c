/* netif.c - the host's interfaces: names and indexes (zones, -I, "which exist" for messages), and their addresses as rtnetlink tells them: a table read with one dump and kept current by a monitor socket in the reactor. */

#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/*
 * A dump answers in messages of up to 32 KiB (netlink_dump() sizes them to
 * max(NLMSG_GOODSIZE, min_dump_alloc)); notifications are one small
 * message each. One buffer of 64 KiB holds either.
 */
#define NL_BUFSZ	(64 * 1024)
/* NLM_F_DUMP_INTR: the tables changed while the dump ran; read again. */
#define DUMP_TRIES	8
/*
 * The monitor socket's queue. The default (rmem_default, about 200 KiB)
 * holds a few hundred notifications while the loop is busy elsewhere;
 * adding a thousand addresses at once overflows it. Root may go past
 * rmem_max (SO_RCVBUFFORCE); an overflow costs a re-scan, not a loss.
 */
#define MON_RCVBUF	(4 * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* The table                                                          */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Names and indexes                                                  */
/* ------------------------------------------------------------------ */

const char *
dn__iface_list(char *buf, size_t len)
{
	struct if_nameindex *ifs, *i;
	size_t off = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if ((ifs = if_nameindex()) == NULL) {
		snprintf(buf, len, "(interfaces unknown: %s)", strerror(errno));
		return buf;
	}
	for (i = ifs; i->if_index != 0 && i->if_name != NULL; i++) {
		n = snprintf(buf + off, len - off, "%s%s",
		    off ? ", " : "", i->if_name);
		if (n < 0 || (size_t)n >= len - off) {
			/* keep the list a list: end on a whole name */
			buf[off] = '\0';
			if (len - off >= sizeof(", ..."))
				strlcat(buf, ", ...", len);
			else if (len - off >= sizeof("..."))
				strlcat(buf, "...", len);
			break;
		}
		off += (size_t)n;
	}
	if_freenameindex(ifs);
	if (buf[0] == '\0')
		snprintf(buf, len, "(none)");
	return buf;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
dn__iface_lookup(const char *what, const char *text, unsigned *idx,
    dn_error *err)
{
	char name[IF_NAMESIZE], list[DN__IFLIST_MAX];
	const char *es;
	long long v;
	unsigned u;

	if (all_digits(text)) {
		v = strtonum(text, 1, UINT32_MAX, &es);
		if (es != NULL)
			return dn__err(err, DN_EBADSCOPE, 0, "%s %s is not an "
			    "interface index: use one of %s", what, text,
			    dn__iface_list(list, sizeof(list)));
		if (if_indextoname((unsigned)v, name) == NULL)
			return dn__err(err, DN_EBADSCOPE, errno, "no interface "
			    "with index %s: use one of %s", text,
			    dn__iface_list(list, sizeof(list)));
		*idx = (unsigned)v;
		return 0;
	}
	/* No Linux name holds a ':' (dev_valid_name), but the kernel's
	 * ioctls read "lo:80" as an alias of lo, and if_nametoindex() with
	 * them: a port in the zone would pass for lo */
	if (strlen(text) >= IF_NAMESIZE || strchr(text, ':') != NULL ||
	    (u = if_nametoindex(text)) == 0)
		return dn__err(err, DN_EBADSCOPE, 0, "no interface named '%s': "
		    "use one of %s", text, dn__iface_list(list, sizeof(list)));
	*idx = u;
	return 0;
}

const char *
dn__iface_name(unsigned idx, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (idx == 0)
		snprintf(buf, len, "the interface the routes pick");
	else if (if_indextoname(idx, name) != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "interface %u", idx);
	return buf;
}

/* getifaddrs() names aliases "eth0:1"; the index is the device's. */
static int
v4_iface_index(const char *text, const struct in_addr *a, unsigned *idx,
    dn_error *err)
{
	struct ifaddrs *ifs, *i;
	char name[IF_NAMESIZE + 8], *colon, list[DN__IFLIST_MAX];
	unsigned found = 0;

	if (getifaddrs(&ifs) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot list the "
		    "interfaces to find %s: %s", text, strerror(errno));
	for (i = ifs; i != NULL && found == 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr
		    != a->s_addr)
			continue;
		strlcpy(name, i->ifa_name, sizeof(name));
		if ((colon = strchr(name, ':')) != NULL)
			*colon = '\0';
		found = if_nametoindex(name);
	}
	freeifaddrs(ifs);
	if (found == 0)
		return dn__err(err, DN_EBADSCOPE, 0, "no interface has the "
		    "address %s: give an interface name, one of: %s", text,
		    dn__iface_list(list, sizeof(list)));
	*idx = found;
	return 0;
}

int
dn_iface_index(const char *iface, unsigned *index, dn_error *err)
{
	char list[DN__IFLIST_MAX];
	struct in_addr a4;
	struct in6_addr a6;

	if (iface == NULL || *iface == '\0')
		return dn__err(err, DN_EINVAL, 0, "no interface given: name "
		    "one of: %s", dn__iface_list(list, sizeof(list)));
	if (inet_pton(AF_INET, iface, &a4) == 1)
		return v4_iface_index(iface, &a4, index, err);
	if (!all_digits(iface) && (inet_pton(AF_INET6, iface, &a6) == 1 ||
	    strchr(iface, ':') != NULL))
		return dn__err(err, DN_EBADSCOPE, 0, "interface %s: an IPv6 "
		    "address does not name one interface; give its name or "
		    "index, one of: %s", iface,
		    dn__iface_list(list, sizeof(list)));
	return dn__iface_lookup("interface", iface, index, err);
}

/* ------------------------------------------------------------------ */
/* The address table (rtnetlink)                                      */
/* ------------------------------------------------------------------ */

void
dn__iftab_init(dn__iftab *t)
{
	memset(t, 0, sizeof(*t));
}

void
dn__iftab_free(dn__iftab *t)
{
	free(t->links);
	free(t->addrs);
	memset(t, 0, sizeof(*t));
}

static int
grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *np;

	if (n < *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 16;
	if ((np = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

const dn__iflink *
dn__iftab_link_find(const dn__iftab *t, unsigned index)
{
	size_t i;

	for (i = 0; i < t->nlinks; i++)
		if (t->links[i].index == index)
			return &t->links[i];
	return NULL;
}

int
dn__iftab_link_set(dn__iftab *t, unsigned index, unsigned flags,
    const char *name)
{
	dn__iflink *l = (dn__iflink *)dn__iftab_link_find(t, index);

	if (l == NULL) {
		if (grow((void **)&t->links, &t->caplinks, t->nlinks,
		    sizeof(*t->links)) == -1)
			return -1;
		l = &t->links[t->nlinks++];
		memset(l, 0, sizeof(*l));
		l->index = index;
	}
	l->flags = flags;
	/* RTM_NEWLINK may leave the name out of a flags-only change */
	if (name != NULL)
		strlcpy(l->name, name, sizeof(l->name));
	return 0;
}

void
dn__iftab_link_del(dn__iftab *t, unsigned index)
{
	size_t i, j;

	for (i = 0; i < t->nlinks; i++)
		if (t->links[i].index == index) {
			t->links[i] = t->links[--t->nlinks];
			break;
		}
	/* the kernel says RTM_DELADDR for each too, but not always first */
	for (i = j = 0; i < t->naddrs; i++)
		if (t->addrs[i].index != index)
			t->addrs[j++] = t->addrs[i];
	t->naddrs = j;
}

static dn__ifaddr *
addr_find(dn__iftab *t, unsigned index, int family, const void *bytes)
{
	size_t i, n = family == AF_INET6 ? 16 : 4;

	for (i = 0; i < t->naddrs; i++)
		if (t->addrs[i].index == index &&
		    t->addrs[i].family == family &&
		    memcmp(t->addrs[i].bytes, bytes, n) == 0)
			return &t->addrs[i];
	return NULL;
}

static int
addr_append(dn__iftab *t, unsigned index, int family, const void *bytes,
    unsigned flags)
{
	dn__ifaddr *a;

	if (grow((void **)&t->addrs, &t->capaddrs, t->naddrs,
	    sizeof(*t->addrs)) == -1)
		return -1;
	a = &t->addrs[t->naddrs++];
	memset(a, 0, sizeof(*a));
	a->index = index;
	a->family = family;
	memcpy(a->bytes, bytes, family == AF_INET6 ? 16 : 4);
	a->flags = flags;
	return 0;
}

int
dn__iftab_addr_set(dn__iftab *t, unsigned index, int family,
    const void *bytes, unsigned flags)
{
	dn__ifaddr *a;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	if ((a = addr_find(t, index, family, bytes)) != NULL) {
		a->flags = flags;
		return 0;
	}
	return addr_append(t, index, family, bytes, flags);
}

void
dn__iftab_addr_del(dn__iftab *t, unsigned index, int family,
    const void *bytes)
{
	dn__ifaddr *a = addr_find(t, index, family, bytes);

	if (a != NULL)
		*a = t->addrs[--t->naddrs];
}

/* ------------------------------------------------------------------ */
/* rtnetlink messages                                                 */
/* ------------------------------------------------------------------ */

/* bulk: the message comes from a dump into an empty table, where every
 * address is new (no search: a thousand addresses stay linear). */
static int
apply_addr(dn__iftab *t, const struct nlmsghdr *nh, int bulk)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const struct rtattr *rta;
	const void *local = NULL, *address = NULL;
	unsigned flags;
	int len;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	flags = ifa->ifa_flags;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t want = ifa->ifa_family == AF_INET6 ? 16 : 4;

		switch (rta->rta_type) {
		case IFA_LOCAL:
			if (RTA_PAYLOAD(rta) >= want)
				local = RTA_DATA(rta);
			break;
		case IFA_ADDRESS:
			if (RTA_PAYLOAD(rta) >= want)
				address = RTA_DATA(rta);
			break;
		case IFA_FLAGS:
			/* the 8-bit ifa_flags cannot hold IFA_F_NOPREFIXROUTE
			 * and later ones */
			if (RTA_PAYLOAD(rta) >= sizeof(uint32_t))
				memcpy(&flags, RTA_DATA(rta), sizeof(uint32_t));
			break;
		}
	}
	/* On a point-to-point link IFA_ADDRESS is the peer's and IFA_LOCAL
	 * ours; elsewhere they are the same, or only IFA_ADDRESS is sent. */
	if (local == NULL)
		local = address;
	if (local == NULL)
		return 0;
	if (nh->nlmsg_type == RTM_DELADDR) {
		dn__iftab_addr_del(t, ifa->ifa_index, ifa->ifa_family, local);
		return 0;
	}
	if (bulk)
		return addr_append(t, ifa->ifa_index, ifa->ifa_family, local,
		    flags);
	return dn__iftab_addr_set(t, ifa->ifa_index, ifa->ifa_family, local,
	    flags);
}

static int
apply_link(dn__iftab *t, const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	const struct rtattr *rta;
	char name[IF_NAMESIZE];
	int len, have_name = 0;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	/* bridges repeat their ports' news as AF_BRIDGE messages */
	if (ifi->ifi_family != AF_UNSPEC)
		return 0;
	if (nh->nlmsg_type == RTM_DELLINK) {
		dn__iftab_link_del(t, (unsigned)ifi->ifi_index);
		return 0;
	}
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_IFNAME && RTA_PAYLOAD(rta) > 0) {
			size_t n = RTA_PAYLOAD(rta);

			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, RTA_DATA(rta), n);
			name[n] = '\0';
			have_name = 1;
		}
	return dn__iftab_link_set(t, (unsigned)ifi->ifi_index, ifi->ifi_flags,
	    have_name ? name : NULL);
}

/* 1: the table changed (or may have), 0: nothing for us, -1: no memory. */
static int
apply(dn__iftab *t, const struct nlmsghdr *nh, int bulk)
{
	switch (nh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return apply_addr(t, nh, bulk) == -1 ? -1 : 1;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return apply_link(t, nh) == -1 ? -1 : 1;
	}
	return 0;
}

static int
nl_socket(int flags, dn_error *err)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags,
	    NETLINK_ROUTE);

	if (fd == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot open a netlink "
		    "socket to read the interfaces: %s", strerror(errno));
	return fd;
}

/*
 * One RTM_GETLINK or RTM_GETADDR dump into t. The kernel answers a dump
 * from its own tables without waiting on anything, so the blocking reads
 * are bounded by SO_RCVTIMEO only against a kernel that never answers.
 * 1: read it all; 0: the dump was interrupted (read again); -1: failed.
 */
static int
dump_one(int fd, int type, uint32_t seq, char *buf, dn__iftab *t,
    dn_error *err)
{
	struct {
		struct nlmsghdr nh;
		union {
			struct ifinfomsg ifi;
			struct ifaddrmsg ifa;
		} u;
	} req;
	struct sockaddr_nl sa;
	const struct nlmsghdr *nh;
	ssize_t n;
	int intr = 0, len;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = (unsigned short)type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = seq;
	if (type == RTM_GETLINK) {
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifi));
		req.u.ifi.ifi_family = AF_UNSPEC;
	} else {
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.u.ifa));
		req.u.ifa.ifa_family = AF_UNSPEC;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot ask the kernel "
		    "for its interfaces (netlink): %s", strerror(errno));
	for (;;) {
		n = recv(fd, buf, NL_BUFSZ, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return dn__err(err, DN_ELOCAL, errno, "cannot read the "
			    "kernel's interfaces (netlink): %s",
			    strerror(errno));
		len = (int)n;
		for (nh = (const struct nlmsghdr *)(void *)buf;
		    NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = 1;
			if (nh->nlmsg_type == NLMSG_DONE)
				return intr ? 0 : 1;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				return dn__err(err, DN_ELOCAL, -e->error, "the "
				    "kernel refused to list its interfaces "
				    "(netlink): %s", strerror(-e->error));
			}
			if (apply(t, nh, 1) == -1)
				return dn__err(err, DN_ENOMEM, ENOMEM, "out of "
				    "memory reading the interfaces");
		}
	}
}

int
dn__iftab_dump(dn__iftab *t, dn_error *err)
{
	struct timeval tv = { 2, 0 };
	char *buf = NULL;
	int fd, rv = -1, got = 0, tries;
	uint32_t seq = 1;

	if ((fd = nl_socket(0, err)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((buf = malloc(NL_BUFSZ)) == NULL) {
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory reading the "
		    "interfaces");
		goto done;
	}
	for (tries = 0; tries < DUMP_TRIES && !got; tries++) {
		dn__iftab_free(t);
		if ((got = dump_one(fd, RTM_GETLINK, seq++, buf, t, err)) == 1)
			got = dump_one(fd, RTM_GETADDR, seq++, buf, t, err);
		if (got == -1)
			goto done;
	}
	if (!got) {
		dn__err(err, DN_ELOCAL, EAGAIN, "the interfaces kept changing "
		    "while being read (%d tries): try again", DUMP_TRIES);
		goto done;
	}
	rv = 0;
done:
	if (rv == -1)
		dn__iftab_free(t);
	free(buf);
	close(fd);
	return rv;
}

/* ------------------------------------------------------------------ */
/* The monitor                                                        */
/* ------------------------------------------------------------------ */

struct dn__netmon {
	dn_reactor *r;
	int fd;
	dn_io *io;
	dn__iftab *tab;
	void (*changed)(void *arg, int rescanned);
	void *arg;
	char *buf;
	int in_cb;
	int freed;
};

static void
mon_release(dn__netmon *m)
{
	dn_io_free(m->io);
	if (m->fd != -1)
		close(m->fd);
	free(m->buf);
	free(m);
}

/* Events were lost: the whole table is read again. */
static int
mon_rescan(dn__netmon *m)
{
	dn__iftab fresh;

	dn__iftab_init(&fresh);
	if (dn__iftab_dump(&fresh, NULL) == -1)
		return -1;
	dn__iftab_free(m->tab);
	*m->tab = fresh;
	return 0;
}

static void
mon_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	dn__netmon *m = arg;
	const struct nlmsghdr *nh;
	int changed = 0, lost = 0, len, rc;
	ssize_t n;

	(void)io;
	(void)events;
	for (;;) {
		n = recv(fd, m->buf, NL_BUFSZ, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			/* the queue overflowed: what is left is read, but
			 * the table can only be trusted after a full dump */
			lost = 1;
			continue;
		}
		if (n <= 0)
			break;
		len = (int)n;
		for (nh = (const struct nlmsghdr *)(void *)m->buf;
		    NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			rc = apply(m->tab, nh, 0);
			if (rc == -1)
				lost = 1;	/* out of memory: re-read later */
			else if (rc == 1)
				changed = 1;
		}
	}
	/* a failed re-scan (out of memory) keeps what we have; the next
	 * event tries again */
	if (lost && mon_rescan(m) == -1)
		lost = 0;
	if (!lost && !changed)
		return;
	m->in_cb++;
	m->changed(m->arg, lost);
	m->in_cb--;
	if (m->freed && m->in_cb == 0)
		mon_release(m);
}

dn__netmon *
dn__netmon_new(dn_reactor *r, dn__iftab *tab,
    void (*changed)(void *arg, int rescanned), void *arg, int rcvbuf,
    dn_error *err)
{
	struct sockaddr_nl sa;
	dn__netmon *m;
	int v = rcvbuf > 0 ? rcvbuf : MON_RCVBUF;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->buf = malloc(NL_BUFSZ)) == NULL) {
		free(m);
		dn__err(err, DN_ENOMEM, ENOMEM, "out of memory to follow the "
		    "interfaces");
		return NULL;
	}
	m->r = r;
	m->tab = tab;
	m->changed = changed;
	m->arg = arg;
	if ((m->fd = nl_socket(SOCK_NONBLOCK, err)) == -1)
		goto fail;
	if (setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == -1)
		(void)setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot follow the interfaces' "
		    "addresses (netlink): %s", strerror(errno));
		goto fail;
	}
	if ((m->io = dn_io_new(r, m->fd, DN_READABLE, mon_io_cb, m,
	    err)) == NULL)
		goto fail;
	return m;
fail:
	mon_release(m);
	return NULL;
}

void
dn__netmon_free(dn__netmon *m)
{
	if (m == NULL || m->freed)
		return;
	m->freed = 1;
	/* stop at once: no event reaches a caller that let us go */
	dn_io_free(m->io);
	m->io = NULL;
	if (m->in_cb == 0)
		mon_release(m);
}
