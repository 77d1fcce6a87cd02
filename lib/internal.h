/*
 * internal.h - what the library's files share and do not export:
 * error helpers and the reactor's hooks for c-ares.
 */
#ifndef DN_INTERNAL_H
#define DN_INTERNAL_H

#include "dualnet.h"

#include <stdarg.h>

#define DN__ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fills err (if not NULL) with code, errno and a printf-style sentence;
 * returns -1 so callers can `return dn__err(...)`. */
int dn__err(dn_error *err, dn_err code, int os_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dn__err_copy(dn_error *dst, const dn_error *src);

/*
 * One resolver answer (SA, SALEN) appended to LIST, which has room for
 * one more: only FAMILY, PORT set, a repeat of the whole sockaddr dropped,
 * and an IPv6 scope id held to a literal's rules. Returns 1 when added, 0
 * when skipped, -1 when the rules refuse it (err set; the caller drops it
 * and reports err only when nothing else was found).
 */
int dn__addr_take_answer(dn_addr *list, size_t *n, const struct sockaddr *sa,
    socklen_t salen, int family, uint16_t port, dn_error *err);

/* The interface argument of listenTCP/listenUDP with its port: a literal,
 * NULL meaning 0.0.0.0 (plan points 2 and 3). */
int dn__listen_addr(dn_addr *out, const char *interface, uint16_t port,
    dn_error *err);

/*
 * Interfaces (netif.c), the one place that turns names into indexes.
 * dn__iface_list: the names that exist, comma-separated, for "use one of"
 * hints; DN__IFLIST_MAX keeps such a list inside dn_error.msg.
 * dn__iface_lookup: an interface name or decimal index that exists, never
 * 0; WHAT ("scope", "interface") names the text in messages.
 * dn__iface_name: the name of idx for messages, "the interface the routes
 * pick" for 0.
 */
#define DN__IFLIST_MAX	200
const char *dn__iface_list(char *buf, size_t len);
int dn__iface_lookup(const char *what, const char *text, unsigned *idx,
    dn_error *err);
const char *dn__iface_name(unsigned idx, char *buf, size_t len);

/* Flow label manager (Linux): leases label (host order, 20 bits) on the
 * IPv6 socket fd towards dst and turns IPV6_FLOWINFO_SEND on. */
int dn__flowlabel_lease(int fd, const dn_addr *dst, dn_error *err);

/* Non-blocking, close-on-exec socket. */
int dn__socket(int family, int type, dn_error *err);

/*
 * Every object that can have an operation in flight (connect requests,
 * resolutions, listeners, streams, relays) embeds a dn__handle and adds it
 * to its reactor, so that dn_reactor_free() can cancel it: cancel() must
 * deliver the object's completion (DN_ECANCELED) synchronously and release
 * the object; dn_reactor_free() calls it for every handle still added,
 * newest first, then runs what was deferred, then cancels the timers.
 */
typedef struct dn__handle {
	struct dn__handle *prev, *next;
	void (*cancel)(struct dn__handle *h);
} dn__handle;
void dn__handle_add(dn_reactor *r, dn__handle *h,
    void (*cancel)(dn__handle *h));
void dn__handle_remove(dn_reactor *r, dn__handle *h);

/* --- section: reactor.c / resolve.c --- */

/*
 * A deferred call embedded in an object, so that queueing it cannot fail
 * and the object can take it back (dn__defer_cancel) before freeing itself.
 * Runs after the current dispatch, in queue order (see reactor.c).
 */
typedef struct dn__defer {
	struct dn__defer *prev, *next;
	struct dn__defer_list *list;	/* NULL when not queued */
	void (*fn)(void *arg);
	void *arg;
} dn__defer;
void dn__defer_init(dn__defer *d, void (*fn)(void *arg), void *arg);
/* No-op when already queued. */
void dn__defer_queue(dn_reactor *r, dn__defer *d);
/* The same, but queued by a deferred call it still runs in this turn
 * (up to a bound, reactor.c): for the next step of work already at hand. */
void dn__defer_soon(dn_reactor *r, dn__defer *d);
/* No-op when not queued. */
void dn__defer_cancel(dn__defer *d);
int dn__defer_queued(const dn__defer *d);

/* A buffer of size bytes, one given back with dn__buf_put() when there is
 * one (the reactor keeps a few until it is freed), else from malloc. */
void *dn__buf_get(dn_reactor *r, size_t size);
void dn__buf_put(dn_reactor *r, void *p, size_t size);
/* A non-blocking pipe for splice(2), one given back when there is; put
 * keeps it when EMPTY says nothing is left in it, closes it otherwise. */
int dn__pipe_get(dn_reactor *r, int p[2]);
void dn__pipe_put(dn_reactor *r, int p[2], int empty);
/* What kind of file a local fd is, remembered per file. */
struct dn__fdinfo {
	int pollable;		/* epoll takes it */
	int is_sock, is_reg;
	int sink;		/* a regular file or a device, not a tty */
	int ended;		/* a device that said end of file: says it again */
};
int dn__fd_info(dn_reactor *r, int fd, int same, struct dn__fdinfo *out);
/* fd read end of file: remembered for a device other than a tty. */
void dn__fd_ended(dn_reactor *r, int fd);

/* The watcher or timer no longer keeps dn_reactor_run() going on its own
 * (like uv_unref): for the resolver's sockets and timer, and signals. */
void dn__io_unref(dn_io *io);
void dn__timer_unref(dn_timer *t);
/*
 * Watching nothing keeps the fd in the epoll set, with an empty mask,
 * instead of taking it out: for an epoll fd, which reports no EPOLLHUP or
 * EPOLLERR, and whose every EPOLL_CTL_ADD makes the kernel walk all it
 * holds (ep_loop_check) - a thousand sockets each time a listener resumes.
 */
void dn__io_stay(dn_io *io);

/*
 * Watches fd for want through *iop, creating the watcher on first need;
 * nothing happens when the interest is already that. What a transport
 * calls whenever its reading or queued-writing state changes.
 */
int dn__io_want(dn_reactor *r, dn_io **iop, int fd, unsigned want,
    dn_io_cb cb, void *arg, dn_error *err);

/* What keeps r running, said in what (for a test's diagnostic): 1 while
 * anything does (watchers, timers, deferred calls, pending handles). */
int dn__reactor_busy(const dn_reactor *r, char *what, size_t len);

/* A module's per-reactor state; dn_reactor_free() calls destroy(state)
 * after it has cancelled every handle and run the deferred calls, one
 * state a round in key order. */
typedef enum dn__state_key {
	DN__STATE_RESOLVER,	/* resolve.c: the c-ares channel */
	DN__STATE_NAT64,	/* nat64.c: the RFC 7050 discovery */
	DN__STATE_MAX
} dn__state_key;
void *dn__reactor_state(dn_reactor *r, dn__state_key key);
void dn__reactor_set_state(dn_reactor *r, dn__state_key key, void *state,
    void (*destroy)(void *state));

/*
 * c-ares per-try timeout (ms, > 0) and tries (> 0) for the queries of r;
 * 0 keeps resolv.conf's value. Fails with DN_EINVAL while queries are
 * pending. Tests use it to bound a resolution through a silent server.
 */
int dn__resolver_set_timeout(dn_reactor *r, int timeout_ms, int tries,
    dn_error *err);

/* RFC 6761 names answered without DNS: localhost, *.localhost (the
 * loopback address), invalid, *.invalid (NXDOMAIN). */
int dn__resolve_is_special(const char *host);

/* --- section: tcp.c / relay.c --- */

/* Wraps a connected socket (takes the fd) into a stream, with its local
 * and peer addresses read from the kernel. */
dn_stream *dn__stream_new(dn_reactor *r, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const dn_addr *local, dn_error *err);
/* Writes what the stream has queued without waiting (and a shutdown
 * asked for after it): 0 when done, 1 when the socket would block, -1. */
int dn__stream_flush(dn_stream *s, dn_error *err);
/* The stream stops watching its fd for good: the relay watches it. */
/* nothing written before is still queued, nor a shutdown pending */
int dn__stream_idle(const dn_stream *s);
void dn__stream_release_io(dn_stream *s);

/*
 * A listener holds any number of sockets on one port (allport.c adds and
 * removes them as addresses come and go). dn__listener_new() makes one
 * with none (many: they will be many, watched as one epoll set);
 * dn__listener_add() binds and listens on local (port 0: the
 * kernel's pick, read back) and returns its socket; remove closes it. An
 * owner's release() runs once, from dn_listener_close().
 */
struct dn__lsock;
dn_listener *dn__listener_new(dn_reactor *r, const dn_listen_opts *opts,
    int many, dn_accept_cb cb, void *arg);
struct dn__lsock *dn__listener_add(dn_listener *l, const dn_addr *local,
    dn_error *err);
void dn__listener_remove(dn_listener *l, struct dn__lsock *s);
const dn_addr *dn__lsock_addr(const struct dn__lsock *s);
void dn__listener_set_owner(dn_listener *l, void *owner,
    void (*release)(void *owner));
/* What dn_listener_addr() says while the listener holds no socket. */
void dn__listener_set_idle_addr(dn_listener *l, const dn_addr *a);

/*
 * A dn_connect_req whose work is done by another file (hostname.c's race),
 * so that dn_connect_cancel() and dn_reactor_free() reach it: cancel(ext)
 * must lead to the owner's completion on a later turn, cancel_now(ext) to
 * its completion before it returns. The owner calls dn__connect_ext_done()
 * (which frees q) right before it runs its caller's callback.
 */
dn_connect_req *dn__connect_ext_new(dn_reactor *r, void (*cancel)(void *ext),
    void (*cancel_now)(void *ext), void *ext);
void dn__connect_ext_done(dn_connect_req *q);

/* --- section: dgram_endpoint.c --- */

/* A copy that owns its strings, for an open that outlives the caller's. */
dn_dgram_endpoint *dn__dgram_endpoint_dup(const dn_dgram_endpoint *src,
    dn_error *err);

/* --- section: endpoint.c --- */

/* Values inside descriptions, shared by endpoint.c and dgram_endpoint.c:
 * digits only (strtonum would take a sign or blanks; *code says syntax or
 * range), ports, yes/no, and the empty field an unescaped IPv6 colon
 * leaves; each message names the key and the description type. */
int dn__desc_number(const char *s, long long min, long long max,
    long long *out, dn_err *code);
int dn__desc_port(const dn_desc *d, const char *s, int allow_zero,
    uint16_t *port, dn_error *err);
int dn__desc_bool(const dn_desc *d, const char *key, const char *s,
    int *out, dn_error *err);
/* No empty positional field; form ("tcp:host=H:port=P") is what an
 * empty description is told to write. */
int dn__desc_no_empty_args(const dn_desc *d, const char *form,
    dn_error *err);
/* "tcp6: description has an empty 'host=' [and no port]": port as given. */
int dn__desc_empty_host(const dn_desc *d, const char *port, dn_error *err);
/* dn_addr_check_v6only() on a listener's address; key: the v6only= value
 * when the description gave it, named in the message. */
int dn__desc_v6only(const dn_desc *d, const dn_addr *local, const char *key,
    int v6only, dn_error *err);
const char *dn__family_word(int family);	/* "IPv4", "IPv6" */
/* DN_EFAMILY: a bind address of the other family than the one a name
 * host resolves to ("... but NAME resolves to IPv4 only: bind to an IPv4
 * address"); -1. dn_addr_check_bind() says it for an address. */
int dn__err_bind_name(dn_error *err, const dn_addr *bind, const char *host,
    int family);
/* all: and udp-all:: keys checked against keys, the port, then
 * interface, exclude, family, scope, follow and skip-unavailable over defs
 * into o; the strings o keeps go to *ifs and *excl, the caller's to free. */
int dn__desc_all(const dn_desc *d, const char *const *keys,
    const dn_endpoint_defaults *defs, uint16_t *port, dn_all_opts *o,
    char **ifs, char **excl, dn_error *err);
/* A listener's port, positional or port=, 0 allowed. */
int dn__desc_listen_port(const dn_desc *d, uint16_t *port, dn_error *err);

/*
 * connectTCP to a host name resolved for one family only (AF_INET: plan
 * point 5; AF_INET6: tcp6: and -6), trying each address in turn, with the
 * completion rules of dn_tcp_connect(); a literal host works as there.
 * flowinfo (host order, 0: none) goes on every IPv6 address tried.
 * A serial race of hostname.c; dn_tcp_connect() is this with AF_INET.
 */
dn_connect_req *dn__tcp_connect_family(dn_reactor *r, const char *host,
    uint16_t port, int family, uint32_t flowinfo, const char *default_scope,
    const dn_connect_opts *opts, dn_connect_cb cb, void *arg,
    dn_error *err);

/* --- section: udp.c / mcast.c --- */

/* mcast.c's memberships of one UDP socket; udp.c keeps the pointer. */
struct dn__mcast;
/* What mcast.c needs of a socket: fd (-1 once closed), family, v6only
 * (-1 for IPv4) and the slot for its memberships. */
int dn__udp_sock(dn_udp *u, int *family, int *v6only,
    struct dn__mcast ***mc);
/* Leaves every group still joined (the socket is closing) and frees. */
void dn__mcast_release(int fd, struct dn__mcast *mc);

/* --- section: nat64.c --- */

/* DN_EINVAL/DN_ERANGE/the prefix's own error for a bad dn_nat64_opts. */
int dn__nat64_opts_check(const dn_nat64_opts *n, dn_error *err);
/* What a NAT64 trace event carries: prefixes found (or err), or the
 * IPv6 address v6 that stands for v4 and why. */
typedef struct dn__nat64_news {
	const dn_prefix *prefixes;
	size_t nprefixes;
	const dn_addr *v6, *v4;
	const char *why;
	const dn_error *err;
} dn__nat64_news;
/* The DN_TRACE_NAT64_* event kind with n (NULL: nothing but the kind) to
 * cb, when there is one; host names what SYNTHESIZED was for. */
void dn__nat64_trace(dn_trace_cb cb, void *arg, dn_trace_kind kind,
    const char *host, const dn__nat64_news *n);
/* Whether n sends a connect to dest through NAT64: an IPv4 address and
 * "always", or "auto" and no IPv4 route to it (hostname.c). */
int dn__nat64_wanted(const dn_nat64_opts *n, const dn_addr *dest);

/* RFC 7050 §3: the NAT64 prefixes the AAAA answers for ipv4only.arpa
 * embed 192.0.0.170/171 under, at most max of them, in answer order. */
size_t dn__nat64_prefixes_from(const dn_addr *aaaa, size_t n, dn_prefix *out,
    size_t max);

/* --- section: resolve_sys.c --- */

/*
 * The head both kinds of dn_resolve_req start with (c-ares requests in
 * resolve.c, system ones in resolve_sys.c), so that one dn_resolve_cancel()
 * serves both: it calls cancel(), which must deliver DN_ECANCELED on the
 * next turn and never block.
 */
typedef struct dn__resolve_head {
	dn__handle h;		/* first: the handle is the request */
	void (*cancel)(dn_resolve_req *req);
} dn__resolve_head;

/*
 * resolve_sys.c's per-reactor state (worker threads' mailbox) lives beside
 * c-ares's in resolve.c, which calls destroy(state) before it destroys its
 * channel in dn_reactor_free(). Implemented in resolve.c.
 */
void *dn__resolver_sys(dn_reactor *r);
int dn__resolver_set_sys(dn_reactor *r, void *state,
    void (*destroy)(void *state), dn_error *err);


/* --- section: netif.c --- */

/*
 * The host's links and addresses as rtnetlink reports them; the
 * all-interfaces port (allport.c) decides from it where to listen.
 * Entries are kept in no particular order.
 */
typedef struct dn__iflink {
	unsigned index;
	unsigned flags;			/* IFF_UP, ... */
	char name[16];			/* IF_NAMESIZE */
} dn__iflink;

typedef struct dn__ifaddr {
	unsigned index;			/* the interface holding it */
	int family;			/* AF_INET, AF_INET6 */
	unsigned char bytes[16];	/* network order; 4 used for IPv4 */
	unsigned flags;			/* IFA_F_TENTATIVE, ... */
} dn__ifaddr;

typedef struct dn__iftab {
	dn__iflink *links;
	size_t nlinks, caplinks;
	dn__ifaddr *addrs;
	size_t naddrs, capaddrs;
} dn__iftab;

void dn__iftab_init(dn__iftab *t);
void dn__iftab_free(dn__iftab *t);
/* Adds or updates (a NULL name keeps the one known); -1: no memory. */
int dn__iftab_link_set(dn__iftab *t, unsigned index, unsigned flags,
    const char *name);
/* The link and every address on it. */
void dn__iftab_link_del(dn__iftab *t, unsigned index);
const dn__iflink *dn__iftab_link_find(const dn__iftab *t, unsigned index);
int dn__iftab_addr_set(dn__iftab *t, unsigned index, int family,
    const void *bytes, unsigned flags);
void dn__iftab_addr_del(dn__iftab *t, unsigned index, int family,
    const void *bytes);
/* Replaces t with the kernel's links and addresses (one netlink dump). */
int dn__iftab_dump(dn__iftab *t, dn_error *err);

/*
 * Keeps tab current from rtnetlink's link and address notifications, read
 * inside the reactor: after each batch that changed it, changed(arg, 0);
 * after notifications were lost (ENOBUFS) and tab was read anew,
 * changed(arg, 1). rcvbuf: the socket's queue in bytes, 0 for ours.
 * Subscribe before the first dump: what happens in between comes as
 * notifications, and applying them twice does no harm.
 */
typedef struct dn__netmon dn__netmon;
dn__netmon *dn__netmon_new(dn_reactor *r, dn__iftab *tab,
    void (*changed)(void *arg, int rescanned), void *arg, int rcvbuf,
    dn_error *err);
/* Stops at once, also from inside changed(). NULL is fine. */
void dn__netmon_free(dn__netmon *m);


/* --- section: allport.c --- */

/*
 * The all-interfaces port, for either transport: which addresses have a
 * socket, on which port, kept in line with the address table. A transport
 * supplies open (bind one socket on a, port 0 for the kernel's pick; the
 * bound address in *bound) and close. given: a table to use instead of
 * the kernel's and without following it (unit tests change it through
 * dn__allport_tab() and apply it with dn__allport_sync()).
 */
typedef struct dn__allport dn__allport;
struct dn__allport_ops {
	void *(*open)(void *ctx, const dn_addr *a, dn_addr *bound,
	    dn_error *err);
	void (*close)(void *ctx, void *sock);
};
dn__allport *dn__allport_new(dn_reactor *r, uint16_t port,
    const dn_all_opts *o, const struct dn__allport_ops *ops, void *ctx,
    const dn__iftab *given, dn_error *err);
/* close_socks 0: the transport has closed them already. Deferred when
 * called from inside one of its events. */
void dn__allport_free(dn__allport *ap, int close_socks);
uint16_t dn__allport_port(const dn__allport *ap);
/* Slots in address order; a slot's socket is NULL where binding failed. */
size_t dn__allport_nslots(const dn__allport *ap);
void *dn__allport_sock(const dn__allport *ap, size_t i, dn_addr *addr);
dn__iftab *dn__allport_tab(dn__allport *ap);
void dn__allport_sync(dn__allport *ap);

#endif /* DN_INTERNAL_H */
