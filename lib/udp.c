/* udp.c - listenUDP, UDP write(data, addr) and connect(addr) of the plan: datagrams with pktinfo, truncation, ICMP errors, batches, flow labels, replies from the address asked. */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* after <netinet/in.h>: glibc's libc-compat guards keep the two apart */
#include <linux/in6.h>

#include "internal.h"

#define DGRAM_DEFAULT	65536	/* holds any UDP payload but IPv6 jumbograms */
#define DGRAM_MAX	(1u << 20)
/*
 * recvmmsg() slots. Draining a full queue on loopback through the reactor
 * (64-byte datagrams): recvmsg 850k/s, batches of 4 990k/s, 8 1040k/s,
 * 16 1060k/s, 32 1075k/s. 8 takes most of the gain for half the memory
 * of 16 (each slot holds max_datagram bytes).
 */
#define BATCH_DEFAULT	8
#define BATCH_MAX	64
#define RECV_BURST	64	/* datagrams per readiness, then others run */
#define SEND_BATCH	64	/* datagrams per sendmmsg() */
#define LEASES_MAX	16	/* flow label leases remembered per socket */
#define FLOW_MASK	0xFFFFFu

/* The address a datagram leaves from, when we choose it (a reply). */
struct usrc {
	int family;		/* 0: the kernel chooses */
	union {
		struct in_addr a4;
		struct in6_addr a6;	/* v4-mapped on a dual-stack socket */
	} a;
	unsigned ifindex;	/* IPv6 link-local: its link */
};

/* One datagram on its way to the kernel. */
struct omsg {
	const void *buf;
	size_t len;
	const dn_addr *dest;	/* NULL on a connected socket */
	const struct usrc *src;	/* NULL: the kernel chooses */
};

struct qitem {
	struct qitem *next;
	int has_dest;
	dn_addr dest;		/* ready for the kernel: mapped, leased */
	struct usrc src;
	size_t len;
	char data[];
};

/* Room for the one pktinfo a datagram we send may carry. */
union sctl {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* One recvmmsg() slot's name and control buffers. */
struct rslot {
	struct sockaddr_storage name;
	union {
		struct cmsghdr align;
		/* IPV6_PKTINFO and IPV6_FLOWINFO, or IP_PKTINFO */
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		    CMSG_SPACE(sizeof(uint32_t)) +
		    CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
};

struct lease {
	uint32_t label;
	struct in6_addr dst;
};

struct dn_udp {
	dn__handle h;
	dn_reactor *r;
	int fd;
	int family;		/* the socket's */
	int v6only;		/* -1 for IPv4 */
	dn_io *io;
	dn_addr local, peer;
	int connected;

	dn_udp_recv_cb rcb;
	void *rarg;
	int reading;
	size_t bufsz;
	int batch;
	char *rbuf;		/* batch * bufsz */
	struct rslot *slots;
	struct mmsghdr *mm;
	struct iovec *iov;

	struct qitem *wq, *wqtail;
	size_t wqlen;
	int werr_set;
	dn_error werr;		/* a queued send failed with nobody to hear */

	dn_udp_drain_cb dcb;
	void *darg;
	int draining;
	dn__defer ddefer;	/* delivers the drain on the next turn */
	int derr_set;
	dn_error derr;

	struct lease leases[LEASES_MAX];
	size_t nleases;

	struct dn__mcast *mc;
	int closed;
	int in_cb;		/* > 0: our frames are on the stack, free later */
};

static void udp_io_cb(dn_io *, int, unsigned, void *);

/* ------------------------------------------------------------------ */
/* Lifetime                                                           */
/* ------------------------------------------------------------------ */

static void
queue_drop(dn_udp *u)
{
	struct qitem *q, *n;

	for (q = u->wq; q != NULL; q = n) {
		n = q->next;
		free(q);
	}
	u->wq = u->wqtail = NULL;
	u->wqlen = 0;
}

static void
udp_maybe_free(dn_udp *u)
{
	if (!u->closed || u->in_cb > 0 || dn__defer_queued(&u->ddefer))
		return;
	queue_drop(u);
	free(u->rbuf);
	free(u->slots);
	free(u->mm);
	free(u->iov);
	free(u);
}

static void
drain_deliver(dn_udp *u)
{
	dn_udp_drain_cb cb = u->dcb;
	void *arg = u->darg;
	dn_error e = u->derr;
	int failed = u->derr_set;

	dn__defer_cancel(&u->ddefer);
	if (!u->draining)
		return;
	u->draining = 0;
	u->derr_set = 0;
	u->dcb = NULL;
	u->in_cb++;
	cb(u, failed ? &e : NULL, arg);
	u->in_cb--;
}

static void
drain_run(void *arg)
{
	dn_udp *u = arg;

	drain_deliver(u);
	udp_maybe_free(u);
}

void
dn_udp_close(dn_udp *u)
{
	if (u == NULL || u->closed)
		return;
	u->closed = 1;
	u->reading = 0;
	dn_io_free(u->io);
	u->io = NULL;
	/* the kernel would drop them on close() too; leaving first keeps the
	 * order of IGMP/MLD reports the same as an explicit leave */
	if (u->mc != NULL)
		dn__mcast_release(u->fd, u->mc);
	u->mc = NULL;
	close(u->fd);
	u->fd = -1;
	queue_drop(u);
	dn__handle_remove(u->r, &u->h);
	if (u->draining) {
		dn__err(&u->derr, DN_ECANCELED, ECANCELED, "the socket was "
		    "closed before its queue drained");
		u->derr_set = 1;
		dn__defer_queue(u->r, &u->ddefer);
	}
	udp_maybe_free(u);
}

/* The reactor is going away: the drain hears ECANCELED now. */
static void
udp_cancel(dn__handle *h)
{
	dn_udp *u = (dn_udp *)h;

	u->in_cb++;
	dn_udp_close(u);
	u->in_cb--;
	if (dn__defer_queued(&u->ddefer)) {
		dn__err(&u->derr, DN_ECANCELED, ECANCELED, "the reactor was "
		    "freed before the socket's queue drained");
		drain_run(u);
	} else
		udp_maybe_free(u);
}

/* ------------------------------------------------------------------ */
/* Opening                                                            */
/* ------------------------------------------------------------------ */

static int
sockopt_on(int fd, int level, int name, const char *what, const char *a,
    dn_error *err)
{
	int on = 1;

	if (setsockopt(fd, level, name, &on, sizeof(on)) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot set %s on %s: %s",
		    what, a, strerror(errno));
	return 0;
}

static void
refresh_local(dn_udp *u)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(u->fd, (struct sockaddr *)&ss, &len) == 0)
		(void)dn_addr_from_sockaddr(&u->local, (struct sockaddr *)&ss,
		    len, NULL);
}

/* What dn_udp_listen_addr() refuses before it makes a socket. */
static int
udp_args_check(const dn_addr *local, const dn_udp_opts *opts, const char *a,
    dn_error *err)
{
	char list[200];

	if (opts != NULL && (opts->batch < 0 || opts->batch > BATCH_MAX))
		return dn__err(err, DN_ERANGE, 0, "batch %d is out of range: "
		    "use 0 (default) to %d", opts->batch, BATCH_MAX);
	if (opts != NULL && opts->rcvbuf > INT_MAX / 2)
		return dn__err(err, DN_ERANGE, 0, "rcvbuf %zu is out of range: "
		    "use 0 (the system's) to %d", opts->rcvbuf, INT_MAX / 2);
	if (opts != NULL && opts->max_datagram > DGRAM_MAX)
		return dn__err(err, DN_ERANGE, 0, "max_datagram %zu is out of "
		    "range: use 0 (default) to %u", opts->max_datagram,
		    DGRAM_MAX);
	/* the kernel says only EINVAL */
	if (dn_addr_needs_scope(local) && dn_addr_scope(local) == 0)
		return dn__err(err, DN_ENOSCOPE, 0, "listen address %s needs a "
		    "scope: add %%IFACE, one of: %s", a, dn__iface_list(list,
		    sizeof(list)));
	return 0;
}

/* The socket options of a receiving socket, before bind(); *v6only gets
 * what an IPv6 socket ended up with. */
static int
udp_sockopts(int fd, const dn_addr *local, const dn_udp_opts *opts,
    const char *a, int *v6only, dn_error *err)
{
	int want6 = opts != NULL ? opts->v6only : -1, v;
	socklen_t len;

	/* receivers of one group share its port (SO_REUSEADDR on both) */
	if (((opts != NULL && opts->reuseaddr) || dn_addr_is_multicast(local))
	    && sockopt_on(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", a,
	    err) == -1)
		return -1;
	/* the kernel doubles it and holds it to rmem_max: a request, not a
	 * promise, so only a refusal is an error */
	if (opts != NULL && opts->rcvbuf > 0 && (v = (int)opts->rcvbuf,
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v))) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot set SO_RCVBUF on "
		    "%s: %s", a, strerror(errno));
	*v6only = -1;
	if (dn_addr_family(local) != AF_INET6)
		return sockopt_on(fd, IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO", a,
		    err);
	if (want6 >= 0 && (v = !!want6, setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v, sizeof(v))) == -1)
		return dn__err(err, DN_ELOCAL, errno, "cannot set IPV6_V6ONLY "
		    "on %s: %s", a, strerror(errno));
	len = sizeof(v);
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0)
		*v6only = !!v;
	/* IPV6_PKTINFO also comes for IPv4 datagrams on a dual-stack
	 * socket, as a v4-mapped address (ip6_datagram_recv_ctl) */
	if (sockopt_on(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO",
	    a, err) == -1)
		return -1;
	return sockopt_on(fd, IPPROTO_IPV6, IPV6_FLOWINFO, "IPV6_FLOWINFO", a,
	    err);
}

dn_udp *
dn_udp_listen_addr(dn_reactor *r, const dn_addr *local,
    const dn_udp_opts *opts, dn_error *err)
{
	dn_udp *u = NULL, *rv = NULL;
	char a[DN_ADDR_STRLEN];
	int fd = -1, family = dn_addr_family(local);

	if (r == NULL || local == NULL ||
	    (family != AF_INET && family != AF_INET6)) {
		dn__err(err, DN_EINVAL, 0, "dn_udp_listen_addr needs a reactor "
		    "and an IPv4 or IPv6 address");
		return NULL;
	}
	dn_addr_format(local, a, sizeof(a));
	if (udp_args_check(local, opts, a, err) == -1)
		return NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for a UDP socket");
		goto done;
	}
	if ((fd = dn__socket(family, SOCK_DGRAM, err)) == -1 ||
	    udp_sockopts(fd, local, opts, a, &u->v6only, err) == -1)
		goto done;
	if (bind(fd, &local->u.sa, local->len) == -1) {
		dn__err(err, DN_ELOCAL, errno, "cannot listen on %s: %s", a,
		    strerror(errno));
		goto done;
	}
	u->r = r;
	u->fd = fd;
	u->family = family;
	u->local = *local;
	refresh_local(u);
	u->bufsz = opts != NULL && opts->max_datagram > 0 ?
	    opts->max_datagram : DGRAM_DEFAULT;
	u->batch = opts != NULL && opts->batch > 0 ? opts->batch :
	    BATCH_DEFAULT;
	dn__defer_init(&u->ddefer, drain_run, u);
	dn__handle_add(r, &u->h, udp_cancel);
	rv = u;
	u = NULL;
	fd = -1;
done:
	if (fd != -1)
		close(fd);
	free(u);
	return rv;
}

dn_udp *
dn_udp_listen(dn_reactor *r, uint16_t port, const char *interface,
    const dn_udp_opts *opts, dn_error *err)
{
	dn_addr a;

	if (dn__listen_addr(&a, interface, port, err) == -1)
		return NULL;
	return dn_udp_listen_addr(r, &a, opts, err);
}

const dn_addr *
dn_udp_addr(const dn_udp *u)
{
	return &u->local;
}

const dn_addr *
dn_udp_peer(const dn_udp *u)
{
	return u->connected ? &u->peer : NULL;
}

int
dn_udp_fd(const dn_udp *u)
{
	return u->fd;
}

int
dn_udp_v6only(const dn_udp *u)
{
	return u->v6only;
}

int
dn__udp_sock(dn_udp *u, int *family, int *v6only, struct dn__mcast ***mc)
{
	if (u == NULL || u->closed)
		return -1;
	*family = u->family;
	*v6only = u->v6only;
	*mc = &u->mc;
	return u->fd;
}

/* ------------------------------------------------------------------ */
/* Destinations                                                       */
/* ------------------------------------------------------------------ */

/* The kernel sends a label only if this socket holds a lease for it. */
static int
udp_lease(dn_udp *u, const dn_addr *d, dn_error *err)
{
	uint32_t label = dn_addr_flowinfo(d) & FLOW_MASK;
	size_t i;

	for (i = 0; i < u->nleases; i++)
		if (u->leases[i].label == label && IN6_ARE_ADDR_EQUAL(
		    &u->leases[i].dst, &d->u.sin6.sin6_addr))
			return 0;
	if (dn__flowlabel_lease(u->fd, d, err) == -1)
		return -1;
	if (u->nleases < LEASES_MAX) {
		u->leases[u->nleases].label = label;
		u->leases[u->nleases].dst = d->u.sin6.sin6_addr;
		u->nleases++;
	}
	return 0;
}

/* Checks dest against the socket and makes it what the kernel wants;
 * on the send path, so text is made only for an error. */
static int
udp_prepare(dn_udp *u, const dn_addr *dest, dn_addr *out, dn_error *err)
{
	char a[DN_ADDR_STRLEN], l[DN_ADDR_STRLEN], list[200];
	int df = dn_addr_family(dest);
	dn_addr d;

	if (df != AF_INET && df != AF_INET6)
		return dn__err(err, DN_EINVAL, 0, "destination address is not "
		    "set: give an IPv4 or IPv6 address");
	if (u->family == AF_INET && df == AF_INET6)
		return dn__err(err, DN_EFAMILY, 0, "destination %s is IPv6 but "
		    "the socket on %s is IPv4: listen on :: to send to IPv6",
		    dn_addr_format(dest, a, sizeof(a)),
		    dn_addr_format(&u->local, l, sizeof(l)));
	d = *dest;
	if (u->family == AF_INET6 && df == AF_INET) {
		if (u->v6only == 1)
			return dn__err(err, DN_EFAMILY, 0, "destination %s is "
			    "IPv4 but the socket on %s is IPv6-only: listen on "
			    "0.0.0.0, or on :: dual-stack",
			    dn_addr_format(dest, a, sizeof(a)),
			    dn_addr_format(&u->local, l, sizeof(l)));
		/* RFC 4291 §2.5.5.2: a dual-stack socket reaches IPv4 so */
		memset(&d, 0, sizeof(d));
		d.u.sin6.sin6_family = AF_INET6;
		d.u.sin6.sin6_port = dest->u.sin.sin_port;
		d.u.sin6.sin6_addr.s6_addr[10] = 0xff;
		d.u.sin6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&d.u.sin6.sin6_addr.s6_addr[12],
		    &dest->u.sin.sin_addr, 4);
		d.len = sizeof(d.u.sin6);
	}
	if (df == AF_INET6) {
		if (dn_addr_needs_scope(&d) && dn_addr_scope(&d) == 0 &&
		    dn_addr_scope(&u->local) == 0)
			return dn__err(err, DN_ENOSCOPE, 0, "destination %s "
			    "needs a scope: add %%IFACE, one of: %s",
			    dn_addr_format(dest, a, sizeof(a)),
			    dn__iface_list(list, sizeof(list)));
		if (dn_addr_scope(&u->local) != 0 &&
		    dn_addr_check_bind(&u->local, &d, err) == -1)
			return -1;
		if (dn_addr_flowinfo(&d) != 0 && udp_lease(u, &d, err) == -1)
			return -1;
	}
	*out = d;
	return 0;
}

static int
send_error(dn_udp *u, int e, const dn_addr *dest, size_t len, dn_error *err)
{
	char a[DN_ADDR_STRLEN];

	if (dest != NULL)
		dn_addr_format(dest, a, sizeof(a));
	else if (u->connected)
		dn_addr_format(&u->peer, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "(no destination)");
	switch (e) {
	case ECONNREFUSED:
		/* the ICMP error of an earlier datagram, reported now: this
		 * one was not sent (sock_alloc_send_pskb checks sk_err) */
		return dn__err(err, DN_EREFUSED, e, "%s refused a datagram "
		    "(ICMP port unreachable): nothing listens there", a);
	case EMSGSIZE:
		return dn__err(err, DN_EINVAL, e, "a datagram of %zu bytes is "
		    "too large to send to %s: send less", len, a);
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return dn__err(err, DN_EUNREACH, e, "cannot send to %s: %s", a,
		    strerror(e));
	case ENOBUFS:
	case ENOMEM:
		return dn__err(err, DN_ENOMEM, e, "cannot send to %s: %s", a,
		    strerror(e));
	case EACCES:
	case EPERM:
	case EADDRNOTAVAIL:
	case EINVAL:
		return dn__err(err, DN_ELOCAL, e, "the system refused to send "
		    "to %s: %s", a, strerror(e));
	}
	return dn__err(err, DN_EIO, e, "sending to %s failed: %s", a,
	    strerror(e));
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */
/* ------------------------------------------------------------------ */

static void
udp_update_io(dn_udp *u)
{
	unsigned want = 0;

	if (u->closed)
		return;
	if (u->reading)
		want |= DN_READABLE;
	if (u->wq != NULL)
		want |= DN_WRITABLE;
	/* fails only short of memory: we stay idle and the next send or
	 * recv_start tries again */
	(void)dn__io_want(u->r, &u->io, u->fd, want, udp_io_cb, u, NULL);
}

/*
 * A chosen source goes as IP_PKTINFO ipi_spec_dst or IPV6_PKTINFO
 * ipi6_addr (RFC 3542 §6.1); on a dual-stack socket the kernel takes a
 * v4-mapped ipi6_addr for an IPv4 destination (ip_cmsg_send).
 */
static void
msg_set(struct msghdr *mh, struct iovec *iov, union sctl *ctl,
    const struct omsg *m)
{
	struct in6_pktinfo p6;
	struct in_pktinfo p4;
	struct cmsghdr *cm;

	memset(mh, 0, sizeof(*mh));
	iov->iov_base = (void *)(uintptr_t)m->buf;
	iov->iov_len = m->len;
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	if (m->dest != NULL) {
		mh->msg_name = (void *)(uintptr_t)&m->dest->u.sa;
		mh->msg_namelen = m->dest->len;
	}
	if (m->src == NULL || m->src->family == 0)
		return;
	memset(ctl, 0, sizeof(*ctl));
	mh->msg_control = ctl->buf;
	cm = (struct cmsghdr *)(void *)ctl->buf;
	if (m->src->family == AF_INET) {
		memset(&p4, 0, sizeof(p4));
		p4.ipi_spec_dst = m->src->a.a4;
		mh->msg_controllen = CMSG_SPACE(sizeof(p4));
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(p4));
		memcpy(CMSG_DATA(cm), &p4, sizeof(p4));
	} else {
		memset(&p6, 0, sizeof(p6));
		p6.ipi6_addr = m->src->a.a6;
		p6.ipi6_ifindex = m->src->ifindex;
		mh->msg_controllen = CMSG_SPACE(sizeof(p6));
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(p6));
		memcpy(CMSG_DATA(cm), &p6, sizeof(p6));
	}
}

static int
enqueue(dn_udp *u, const struct omsg *m, dn_error *err)
{
	struct qitem *q;

	if ((q = malloc(sizeof(*q) + m->len)) == NULL)
		return dn__err(err, DN_ENOMEM, errno, "out of memory to queue "
		    "a datagram of %zu bytes", m->len);
	q->next = NULL;
	q->has_dest = m->dest != NULL;
	if (m->dest != NULL)
		q->dest = *m->dest;
	if (m->src != NULL)
		q->src = *m->src;
	else
		q->src.family = 0;
	q->len = m->len;
	memcpy(q->data, m->buf, m->len);
	if (u->wqtail != NULL)
		u->wqtail->next = q;
	else
		u->wq = q;
	u->wqtail = q;
	u->wqlen += m->len;
	return 0;
}

/*
 * Sends prepared datagrams with sendmmsg(); *sent counts those that went.
 * 0 all sent, 1 the socket would block, -1 msgs[*sent] failed (err set).
 * A source the kernel refuses is dropped from its datagram (msgs[i].src
 * becomes NULL) and the datagram tried again with the kernel's choice.
 */
static int
send_batch(dn_udp *u, struct omsg *msgs, size_t n, size_t *sent,
    dn_error *err)
{
	struct mmsghdr mm[SEND_BATCH];
	struct iovec iov[SEND_BATCH];
	union sctl ctl[SEND_BATCH];
	size_t i, k, done = 0;
	int got;

	while (done < n) {
		k = n - done < SEND_BATCH ? n - done : SEND_BATCH;
		memset(mm, 0, k * sizeof(mm[0]));
		for (i = 0; i < k; i++)
			msg_set(&mm[i].msg_hdr, &iov[i], &ctl[i],
			    &msgs[done + i]);
		got = sendmmsg(u->fd, mm, (unsigned)k,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			/* a source not ours (a broadcast address, one gone
			 * since the datagram came): ip6_datagram_send_ctl
			 * says EINVAL, __ip_route_output_key ENETUNREACH or
			 * EINVAL. Without it, a real error comes again. */
			if ((errno == EINVAL || errno == EADDRNOTAVAIL ||
			    errno == ENETUNREACH) && msgs[done].src != NULL) {
				msgs[done].src = NULL;
				continue;
			}
			*sent = done;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return send_error(u, errno, msgs[done].dest,
			    msgs[done].len, err);
		}
		done += (size_t)got;
	}
	*sent = done;
	return 0;
}

/* 0 queue empty, 1 would block, -1 the head failed and was dropped. */
static int
udp_flush(dn_udp *u, dn_error *err)
{
	struct omsg m[SEND_BATCH];
	struct qitem *q;
	size_t i, n, sent;
	int rv = 0;

	while (u->wq != NULL && rv == 0) {
		for (n = 0, q = u->wq; q != NULL && n < SEND_BATCH;
		    q = q->next, n++) {
			m[n].buf = q->data;
			m[n].len = q->len;
			m[n].dest = q->has_dest ? &q->dest : NULL;
			m[n].src = q->src.family != 0 ? &q->src : NULL;
		}
		rv = send_batch(u, m, n, &sent, err);
		/* a source refused once is refused again: forget it */
		for (i = 0, q = u->wq; i < n; i++, q = q->next)
			if (m[i].src == NULL)
				q->src.family = 0;
		if (rv == -1)
			sent++;		/* the one that failed goes too */
		while (sent-- > 0 && (q = u->wq) != NULL) {
			u->wq = q->next;
			u->wqlen -= q->len;
			free(q);
		}
		if (u->wq == NULL)
			u->wqtail = NULL;
	}
	return rv;
}

static int
send_check(dn_udp *u, dn_error *err)
{
	if (u == NULL || u->closed)
		return dn__err(err, DN_EINVAL, 0, "send on a closed UDP socket");
	if (u->werr_set) {
		/* a queued datagram failed earlier: say so once */
		u->werr_set = 0;
		dn__err_copy(err, &u->werr);
		return -1;
	}
	return 0;
}

/*
 * The one send path: checks every datagram, sends what the socket takes
 * now and queues the rest behind what is already queued. srcs is NULL, or
 * one source per datagram.
 */
static int
udp_send_msgs(dn_udp *u, const dn_udp_msg *msgs, const struct usrc *srcs,
    size_t n, dn_error *err)
{
	struct omsg small[8], *m = small;
	dn_addr sdest[8], *dests = sdest;
	size_t i, sent = 0;
	int rv = -1, st;

	if (send_check(u, err) == -1)
		return -1;
	if (n == 0)
		return 0;
	if (msgs == NULL)
		return dn__err(err, DN_EINVAL, 0, "no datagrams to send");
	if (n > DN__ARRLEN(small) &&
	    ((m = calloc(n, sizeof(*m))) == NULL ||
	    (dests = calloc(n, sizeof(*dests))) == NULL)) {
		dn__err(err, DN_ENOMEM, errno, "out of memory for %zu "
		    "datagrams", n);
		goto done;
	}
	for (i = 0; i < n; i++) {
		m[i].buf = msgs[i].buf;
		m[i].len = msgs[i].len;
		m[i].dest = msgs[i].dest;
		m[i].src = srcs != NULL && srcs[i].family != 0 ? &srcs[i] :
		    NULL;
		if (m[i].buf == NULL && m[i].len > 0) {
			dn__err(err, DN_EINVAL, 0, "datagram %zu has no data",
			    i + 1);
			goto done;
		}
		if (m[i].dest == NULL) {
			if (!u->connected) {
				dn__err(err, DN_EINVAL, 0, "datagram %zu has no "
				    "destination: give one, or connect the "
				    "socket first", i + 1);
				goto done;
			}
			continue;
		}
		if (udp_prepare(u, m[i].dest, &dests[i], err) == -1)
			goto done;
		m[i].dest = &dests[i];
	}
	/* behind a queue, sending now would reorder */
	st = u->wq == NULL ? send_batch(u, m, n, &sent, err) : 1;
	if (st == -1) {
		if (n > 1 && err != NULL) {
			dn_error e = *err;

			dn__err(err, e.code, e.os_errno, "datagram %zu of %zu: "
			    "%s", sent + 1, n, e.msg);
		}
		goto done;
	}
	for (i = sent; i < n; i++)
		if (enqueue(u, &m[i], err) == -1)
			goto done;
	udp_update_io(u);
	rv = 0;
done:
	if (m != small)
		free(m);
	if (dests != sdest)
		free(dests);
	return rv;
}

int
dn_udp_send(dn_udp *u, const void *buf, size_t len, const dn_addr *dest,
    dn_error *err)
{
	dn_udp_msg m;

	m.buf = buf;
	m.len = len;
	m.dest = dest;
	return udp_send_msgs(u, &m, NULL, 1, err);
}

int
dn_udp_send_many(dn_udp *u, const dn_udp_msg *msgs, size_t n, dn_error *err)
{
	return udp_send_msgs(u, msgs, NULL, n, err);
}

/* The IPv4 address of a, also v4-mapped; 0 when it has none. */
static int
v4_addr(const dn_addr *a, uint32_t *v4)
{
	if (dn_addr_family(a) == AF_INET) {
		*v4 = ntohl(a->u.sin.sin_addr.s_addr);
		return 1;
	}
	if (dn_addr_is_v4mapped(a)) {
		memcpy(v4, &a->u.sin6.sin6_addr.s6_addr[12], 4);
		*v4 = ntohl(*v4);
		return 1;
	}
	return 0;
}

/*
 * Where a reply to dg leaves from: the address it arrived at, unless that
 * cannot be a source (RFC 1122 §3.2.1.3: never a broadcast or multicast
 * address); then the kernel chooses, as without pktinfo.
 */
static void
reply_source(const dn_udp *u, const dn_datagram *dg, struct usrc *s)
{
	uint32_t v4;

	memset(s, 0, sizeof(*s));
	if (dn_addr_family(&dg->to) != u->family ||
	    dn_addr_family(&dg->from) != u->family ||
	    dn_addr_is_unspecified(&dg->to) || dn_addr_is_multicast(&dg->to))
		return;
	if (v4_addr(&dg->to, &v4) && (v4 == 0 || v4 == INADDR_BROADCAST ||
	    IN_MULTICAST(v4)))
		return;
	s->family = u->family;
	if (u->family == AF_INET) {
		s->a.a4 = dg->to.u.sin.sin_addr;
		return;
	}
	s->a.a6 = dg->to.u.sin6.sin6_addr;
	/* RFC 4007 §6: a link-local address names its link */
	if (dn_addr_needs_scope(&dg->to))
		s->ifindex = dg->ifindex != 0 ? dg->ifindex :
		    dn_addr_scope(&dg->to);
}

int
dn_udp_reply(dn_udp *u, const dn_datagram *dg, const void *buf, size_t len,
    dn_error *err)
{
	struct usrc src;
	dn_udp_msg m;

	if (u == NULL || u->closed)
		return send_check(u, err);
	if (dg == NULL)
		return dn__err(err, DN_EINVAL, 0, "dn_udp_reply needs the "
		    "datagram to answer");
	if (dn_addr_port(&dg->from) == 0)
		return dn__err(err, DN_EINVAL, 0, "the datagram to answer has "
		    "no sender to reply to: give one received on this socket");
	reply_source(u, dg, &src);
	m.buf = buf;
	m.len = len;
	m.dest = &dg->from;
	return udp_send_msgs(u, &m, &src, 1, err);
}

size_t
dn_udp_send_queued(const dn_udp *u)
{
	return u->wqlen;
}

int
dn_udp_drain(dn_udp *u, dn_udp_drain_cb cb, void *arg, dn_error *err)
{
	if (u == NULL || u->closed || cb == NULL)
		return dn__err(err, DN_EINVAL, 0, "dn_udp_drain needs an open "
		    "socket and a callback");
	if (u->draining)
		return dn__err(err, DN_EINVAL, 0, "a drain already waits on "
		    "this socket: wait for its callback");
	u->draining = 1;
	u->dcb = cb;
	u->darg = arg;
	u->derr_set = 0;
	if (u->werr_set) {
		u->werr_set = 0;
		u->derr = u->werr;
		u->derr_set = 1;
	}
	/* never from inside this call: the next turn at the earliest */
	if (u->wq == NULL || u->derr_set)
		dn__defer_queue(u->r, &u->ddefer);
	return 0;
}

/* A queued send failed: the drain hears it, else the reader, else the
 * next send. */
static void
report_send_error(dn_udp *u, const dn_error *e)
{
	if (u->draining) {
		u->derr = *e;
		u->derr_set = 1;
		drain_deliver(u);
	} else if (u->reading) {
		u->in_cb++;
		u->rcb(u, NULL, e, u->rarg);
		u->in_cb--;
	} else {
		u->werr = *e;
		u->werr_set = 1;
	}
}

/* ------------------------------------------------------------------ */
/* Connecting                                                         */
/* ------------------------------------------------------------------ */

int
dn_udp_connect(dn_udp *u, const dn_addr *peer, dn_error *err)
{
	struct sockaddr unspec;
	char a[DN_ADDR_STRLEN];
	dn_addr d;

	if (u == NULL || u->closed)
		return dn__err(err, DN_EINVAL, 0, "connect on a closed UDP "
		    "socket");
	if (peer == NULL) {
		/* connect(2): AF_UNSPEC dissolves the association */
		memset(&unspec, 0, sizeof(unspec));
		unspec.sa_family = AF_UNSPEC;
		if (connect(u->fd, &unspec, sizeof(unspec)) == -1)
			return dn__err(err, DN_ELOCAL, errno, "cannot "
			    "disconnect the socket on %s: %s",
			    dn_addr_format(&u->local, a, sizeof(a)),
			    strerror(errno));
		u->connected = 0;
		memset(&u->peer, 0, sizeof(u->peer));
		refresh_local(u);
		return 0;
	}
	if (udp_prepare(u, peer, &d, err) == -1)
		return -1;
	if (connect(u->fd, &d.u.sa, d.len) == -1) {
		int e = errno;
		dn_err code = dn_err_from_errno(e);

		dn_addr_format(peer, a, sizeof(a));
		return dn__err(err, code == DN_EOTHER ? DN_ELOCAL : code, e,
		    "cannot connect the UDP socket to %s: %s", a, strerror(e));
	}
	u->peer = d;
	u->connected = 1;
	refresh_local(u);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Receiving                                                          */
/* ------------------------------------------------------------------ */

int
dn_udp_recv_start(dn_udp *u, dn_udp_recv_cb cb, void *arg, dn_error *err)
{
	if (u == NULL || u->closed || cb == NULL)
		return dn__err(err, DN_EINVAL, 0, "receive on a closed socket "
		    "or without a callback");
	if (u->rbuf == NULL) {
		u->rbuf = malloc(u->bufsz * (size_t)u->batch);
		u->slots = calloc((size_t)u->batch, sizeof(*u->slots));
		u->mm = calloc((size_t)u->batch, sizeof(*u->mm));
		u->iov = calloc((size_t)u->batch, sizeof(*u->iov));
		if (u->rbuf == NULL || u->slots == NULL || u->mm == NULL ||
		    u->iov == NULL) {
			free(u->rbuf);
			free(u->slots);
			free(u->mm);
			free(u->iov);
			u->rbuf = NULL;
			u->slots = NULL;
			u->mm = NULL;
			u->iov = NULL;
			return dn__err(err, DN_ENOMEM, ENOMEM, "out of memory "
			    "for %d receive buffers of %zu bytes", u->batch,
			    u->bufsz);
		}
	}
	u->rcb = cb;
	u->rarg = arg;
	u->reading = 1;
	udp_update_io(u);
	return 0;
}

void
dn_udp_recv_stop(dn_udp *u)
{
	if (u == NULL || u->closed)
		return;
	u->reading = 0;
	udp_update_io(u);
}

static void
recv_error(dn_udp *u, int e, dn_error *err)
{
	char a[DN_ADDR_STRLEN];

	if (u->connected)
		dn_addr_format(&u->peer, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "a destination");
	if (e == ECONNREFUSED)
		dn__err(err, DN_EREFUSED, e, "%s refused a datagram (ICMP port "
		    "unreachable): nothing listens there", a);
	else if (e == ENETUNREACH || e == EHOSTUNREACH || e == EHOSTDOWN ||
	    e == ENETDOWN)
		dn__err(err, DN_EUNREACH, e, "%s is unreachable (ICMP): %s", a,
		    strerror(e));
	else
		dn__err(err, DN_EIO, e, "receiving on %s failed: %s",
		    dn_addr_format(&u->local, a, sizeof(a)), strerror(e));
}

static void
dgram_fill(dn_udp *u, dn_datagram *dg, const struct msghdr *mh,
    const char *buf, size_t size)
{
	const struct in6_pktinfo *p6;
	const struct in_pktinfo *p4;
	struct cmsghdr *c;
	uint32_t fi;

	memset(dg, 0, sizeof(*dg));
	dg->data = buf;
	dg->size = size;
	dg->len = size > u->bufsz ? u->bufsz : size;
	dg->truncated = (mh->msg_flags & MSG_TRUNC) != 0 || size > dg->len;
	(void)dn_addr_from_sockaddr(&dg->from, mh->msg_name, mh->msg_namelen,
	    NULL);
	for (c = CMSG_FIRSTHDR(mh); c != NULL;
	    c = CMSG_NXTHDR((struct msghdr *)(uintptr_t)mh, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*p6))) {
			p6 = (const struct in6_pktinfo *)CMSG_DATA(c);
			dg->to.u.sin6.sin6_family = AF_INET6;
			dg->to.u.sin6.sin6_addr = p6->ipi6_addr;
			dg->to.len = sizeof(dg->to.u.sin6);
			dg->ifindex = (unsigned)p6->ipi6_ifindex;
			/* RFC 4007 §6: the arrival link is the zone */
			if (dn_addr_needs_scope(&dg->to))
				dg->to.u.sin6.sin6_scope_id = dg->ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_FLOWINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(fi))) {
			memcpy(&fi, CMSG_DATA(c), sizeof(fi));
			dg->flowlabel = ntohl(fi) & FLOW_MASK;
		} else if (c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*p4))) {
			p4 = (const struct in_pktinfo *)CMSG_DATA(c);
			dg->to.u.sin.sin_family = AF_INET;
			/* ipi_addr is the header's destination; ipi_spec_dst
			 * the local address a reply would come from */
			dg->to.u.sin.sin_addr = p4->ipi_addr;
			dg->to.len = sizeof(dg->to.u.sin);
			dg->ifindex = (unsigned)p4->ipi_ifindex;
		}
	}
	dn_addr_set_port(&dg->to, dn_addr_port(&u->local));
}

static void
slot_reset(dn_udp *u, int i)
{
	struct msghdr *mh = &u->mm[i].msg_hdr;

	u->iov[i].iov_base = u->rbuf + (size_t)i * u->bufsz;
	u->iov[i].iov_len = u->bufsz;
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &u->iov[i];
	mh->msg_iovlen = 1;
	mh->msg_name = &u->slots[i].name;
	mh->msg_namelen = sizeof(u->slots[i].name);
	mh->msg_control = u->slots[i].ctl.buf;
	mh->msg_controllen = sizeof(u->slots[i].ctl.buf);
	u->mm[i].msg_len = 0;
}

/*
 * Up to RECV_BURST datagrams per readiness. MSG_TRUNC makes UDP return a
 * datagram's real size even when the buffer held less (udp(7)).
 */
static void
udp_recv(dn_udp *u)
{
	dn_datagram dg;
	dn_error e;
	int i, n, total = 0;
	ssize_t got;

	while (total < RECV_BURST && u->reading && !u->closed) {
		if (u->batch > 1) {
			for (i = 0; i < u->batch; i++)
				slot_reset(u, i);
			n = recvmmsg(u->fd, u->mm, (unsigned)u->batch,
			    MSG_DONTWAIT | MSG_TRUNC, NULL);
		} else {
			slot_reset(u, 0);
			got = recvmsg(u->fd, &u->mm[0].msg_hdr,
			    MSG_DONTWAIT | MSG_TRUNC);
			if ((n = got == -1 ? -1 : 1) == 1)
				u->mm[0].msg_len = (unsigned)got;
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* an ICMP error (connected sockets): reading clears
			 * it, so this cannot spin */
			recv_error(u, errno, &e);
			total++;
			u->rcb(u, NULL, &e, u->rarg);
			continue;
		}
		for (i = 0; i < n && u->reading && !u->closed; i++) {
			dgram_fill(u, &dg, &u->mm[i].msg_hdr,
			    u->rbuf + (size_t)i * u->bufsz, u->mm[i].msg_len);
			u->rcb(u, &dg, NULL, u->rarg);
		}
		total += n;
		if (n < u->batch)
			break;		/* the queue is empty for now */
	}
}

static void
udp_io_cb(dn_io *io, int fd, unsigned events, void *arg)
{
	dn_udp *u = arg;
	dn_error e;

	(void)io;
	(void)fd;
	u->in_cb++;
	if ((events & (DN_WRITABLE | DN_ERROR)) && u->wq != NULL) {
		if (udp_flush(u, &e) == -1)
			report_send_error(u, &e);
		else if (u->wq == NULL && u->draining && !u->closed)
			drain_deliver(u);
	}
	if (!u->closed && u->reading &&
	    (events & (DN_READABLE | DN_ERROR | DN_HANGUP)))
		udp_recv(u);
	u->in_cb--;
	if (u->closed) {
		udp_maybe_free(u);
		return;
	}
	udp_update_io(u);
}
