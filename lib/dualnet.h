/*
 * dualnet.h - the one public header of libdualnet: structured addresses,
 * an epoll reactor, low-level TCP (connectTCP/listenTCP of the Twisted IPv6
 * plan) and endpoint descriptions.
 *
 * Conventions (see STYLE.md):
 *  - every symbol is dn_ / DN_; handles are opaque; *_free() accepts NULL;
 *  - a function that can fail takes a dn_error * last (may be NULL) and
 *    returns -1 or NULL; out-parameters are written only on success;
 *  - callbacks end with void *arg; every operation started gets exactly one
 *    completion (success, failure or DN_ECANCELED), never from inside the
 *    call that started it, also when the reactor is freed under it;
 *  - the library never prints and never exits.
 */
#ifndef DUALNET_H
#define DUALNET_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DN_BUILDING_LIBRARY)
#define DN_EXPORT __attribute__((visibility("default")))
#else
#define DN_EXPORT
#endif

/*
 * ABI. The handles (dn_reactor, dn_stream, dn_listener, ...) are opaque.
 * dn_addr, dn_prefix and dn_error are values of a fixed size. Option
 * structs the caller fills (and arrays either side fills: dn_plan_entry,
 * dn_udp_msg) end in dn_reserved[], which must be zero: memset() them or
 * use the _init() call where there is one, so a later version can give
 * those bytes a meaning without a new soname. Structs the library fills
 * and lends to a callback (dn_trace_event, dn_listen_event,
 * dn_relay_stats, dn_datagram, dn_dgram_opened) may grow at the end: read them through
 * the pointer, never copy or allocate one.
 */

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

/*
 * X(NAME, kind, description). The kind (dn_err_kind) is what a caller
 * decides on: fix the input, try another name or address, give up.
 * DN_EOTHER is an errno the library has no better code for (the errno is
 * in dn_error.os_errno). New codes are only ever appended.
 */
#define DN_ERRORS(X)                                                       \
	X(OK,          NONE,     "success")                                \
	X(EINVAL,      INPUT,    "invalid argument")                       \
	X(ESYNTAX,     INPUT,    "malformed address or description")       \
	X(ENOSCOPE,    INPUT,    "address needs a scope (zone) id")        \
	X(EBADSCOPE,   INPUT,    "unknown or misplaced scope id")          \
	X(EFAMILY,     INPUT,    "address families do not match")          \
	X(ERANGE,      INPUT,    "value out of range")                     \
	X(ENOTLITERAL, INPUT,    "not an address literal")                 \
	X(ENONAME,     NAME,     "name does not resolve")                  \
	X(ENODATA,     NAME,     "name has no address of the wanted family") \
	X(ESERVFAIL,   NAME,     "name server failure")                    \
	X(EDNSTIMEOUT, NAME,     "name server timed out")                  \
	X(EREFUSED,    NETWORK,  "connection refused")                     \
	X(EUNREACH,    NETWORK,  "network or host unreachable")            \
	X(ECONNECT,    NETWORK,  "connection failed")                      \
	X(ELOCAL,      SYSTEM,   "the system refused a local operation")   \
	X(EIO,         IO,       "I/O error")                              \
	X(ETIMEDOUT,   TIMEOUT,  "timed out")                              \
	X(ECANCELED,   CANCELED, "operation cancelled")                    \
	X(ENOMEM,      SYSTEM,   "out of memory")                          \
	X(EOTHER,      SYSTEM,   "unexpected system error")

typedef enum dn_err_kind {
	DN_KIND_NONE,		/* DN_OK */
	DN_KIND_INPUT,		/* an argument or text is wrong: fix it */
	DN_KIND_NAME,		/* a name did not resolve (to that family) */
	DN_KIND_NETWORK,	/* the peer or the path refused or failed */
	DN_KIND_SYSTEM,		/* this host refused: descriptors, memory,
				 * permission, a local address, an errno with
				 * no better code */
	DN_KIND_IO,		/* an open connection or file failed */
	DN_KIND_TIMEOUT,	/* a deadline passed */
	DN_KIND_CANCELED	/* the caller cancelled */
} dn_err_kind;

typedef enum dn_err {
#define DN__ERR_ENUM(name, kind, s) DN_##name,
	DN_ERRORS(DN__ERR_ENUM)
#undef DN__ERR_ENUM
	DN__ERR_MAX
} dn_err;

/*
 * An error: the code, the errno behind it (0 if none) and one sentence that
 * names the bad part and, where it can, the fix.
 */
typedef struct dn_error {
	dn_err code;
	int os_errno;
	char msg[384];
} dn_error;

DN_EXPORT const char *dn_strerror(dn_err code);	/* "connection refused" */
DN_EXPORT const char *dn_err_name(dn_err code);	/* "EREFUSED" */
DN_EXPORT dn_err_kind dn_err_kind_of(dn_err code); /* DN_KIND_NETWORK */
/* Maps an errno from a failed connect/bind/... to our code. */
DN_EXPORT dn_err dn_err_from_errno(int os_errno);

/* ------------------------------------------------------------------ */
/* Addresses                                                          */
/* ------------------------------------------------------------------ */

/*
 * A socket address as a value: IPv4, or IPv6 with flowinfo and scope id -
 * the 4-tuple (address, port, flowinfo, scope) of the plan. Port and
 * flowinfo are stored in network order inside the sockaddr, as the kernel
 * wants them; use the accessors.
 */
typedef struct dn_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
} dn_addr;

/* Longest text dn_addr_format() writes, NUL included. */
#define DN_ADDR_STRLEN 80

/* Flags for dn_addr_parse(). */
#define DN_ADDR_PORT_NONE     0x00 /* no port may be given */
#define DN_ADDR_PORT_OPTIONAL 0x01 /* a port may be given */
#define DN_ADDR_PORT_REQUIRED 0x02 /* a port must be given */
#define DN_ADDR_SCOPE_OPTIONAL 0x04 /* a link-local address may come without
				     * a scope (it then stands for any link) */

typedef struct dn_addr_hints {
	unsigned flags;		  /* DN_ADDR_PORT_* */
	int family;		  /* AF_UNSPEC, or the only family allowed */
	const char *default_scope;/* -I IFACE: scope for a scoped address without one */
	const char *what;	  /* "bind address", "destination": used in messages */
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_addr_hints;

/*
 * Parses every literal form of DESIGN.md "Addresses": 192.0.2.1,
 * 192.0.2.1:80, 2001:db8::1, fe80::1%eth0, fe80::1%3, [fe80::1%eth0]:80,
 * [fe80::1%25eth0]:80, and 4-tuples HOST,PORT,FLOWINFO,SCOPE with trailing
 * fields optional (HOST may be bracketed; FLOWINFO decimal or 0x hex).
 * Checks every rule: scope required on link-local unicast and on link- and
 * interface-local multicast (the message lists the interfaces that exist),
 * scope refused on addresses that have none, unknown interface, flowinfo
 * over 20 bits, port range, %scope vs tuple SCOPE agreement. A text whose
 * host part is not a literal fails with DN_ENOTLITERAL (the caller may then
 * resolve it, see dn_hostport_split()).
 */
DN_EXPORT int dn_addr_parse(dn_addr *out, const char *text,
    const dn_addr_hints *hints, dn_error *err);

/*
 * A host name as DNS can carry it (RFC 1035 §2.3.4, RFC 1123 §2.1): labels
 * of 1 to 63 bytes, at most 253 bytes of text (255 on the wire), one
 * trailing dot allowed, no empty label; letters, digits, '-', '_' and
 * dots. Fails with DN_ESYNTAX naming the bad part ("host name label
 * 'aaaa...' is 64 bytes: a label is at most 63"). Every path of the
 * library that resolves a name (dn_addr_parse() on a name, descriptions,
 * dn_resolve(), dn_hostname_connect(), ...) asks it first, so the verdict
 * is the same on each.
 */
DN_EXPORT int dn_host_name_check(const char *name, dn_error *err);

/*
 * Splits "HOST PORT" style text that may name a host: "name:80",
 * "[v6]:80", "v4:80", "v6" (bare, port absent), "host,80,flow,scope".
 * host receives the host part without brackets (and with its %zone, if
 * any); *port is set to -1 when no port was given. A name is checked by
 * dn_host_name_check(); an IPv6 literal only for its characters.
 */
DN_EXPORT int dn_hostport_split(const char *text, char *host, size_t hostlen,
    int *port, dn_error *err);

/*
 * A port as a program takes it: digits, 1 to 65535 (0 too when
 * allow_zero: "pick one"), or a service name from /etc/services (its TCP
 * port). Fails with DN_ERANGE ("port 70000 is out of range: give 1 to
 * 65535") or DN_ESYNTAX (empty, or neither a number nor a service).
 */
DN_EXPORT int dn_port_parse(const char *text, int allow_zero, uint16_t *port,
    dn_error *err);

/* Builds an address from parts; scope may be NULL; flowinfo is host order. */
DN_EXPORT int dn_addr_from_parts(dn_addr *out, const char *host, int port,
    uint32_t flowinfo, const char *scope, const dn_addr_hints *hints,
    dn_error *err);

/* "[fe80::1%eth0]:80", "192.0.2.1:80", "[::ffff:192.0.2.1]:80". */
DN_EXPORT const char *dn_addr_format(const dn_addr *a, char *buf, size_t len);
/* The host alone: "fe80::1%eth0", "192.0.2.1". */
DN_EXPORT const char *dn_addr_format_host(const dn_addr *a, char *buf, size_t len);
/* The scope as an interface name when it has one, else decimal; "" if none. */
DN_EXPORT const char *dn_addr_format_scope(const dn_addr *a, char *buf, size_t len);

DN_EXPORT int dn_addr_family(const dn_addr *a);		/* AF_INET, AF_INET6 */
DN_EXPORT uint16_t dn_addr_port(const dn_addr *a);		/* host order */
DN_EXPORT void dn_addr_set_port(dn_addr *a, uint16_t port);
DN_EXPORT uint32_t dn_addr_flowinfo(const dn_addr *a);	/* host order, 0 for IPv4 */
/* The flow label (RFC 6437) an IPv6 address carries: DN_EFAMILY on IPv4,
 * DN_ERANGE past 20 bits. */
DN_EXPORT int dn_addr_set_flowinfo(dn_addr *a, uint32_t label,
    dn_error *err);
DN_EXPORT uint32_t dn_addr_scope(const dn_addr *a);		/* 0 for IPv4 */
/* Builds a value from a kernel sockaddr (accept, getsockname, ...). */
DN_EXPORT int dn_addr_from_sockaddr(dn_addr *out, const struct sockaddr *sa,
    socklen_t len, dn_error *err);
DN_EXPORT int dn_addr_equal(const dn_addr *a, const dn_addr *b);

/* Classification. */
DN_EXPORT int dn_addr_is_loopback(const dn_addr *a);
DN_EXPORT int dn_addr_is_unspecified(const dn_addr *a);	/* 0.0.0.0, :: */
DN_EXPORT int dn_addr_is_linklocal(const dn_addr *a);	/* fe80::/10, 169.254/16 */
DN_EXPORT int dn_addr_is_multicast(const dn_addr *a);
DN_EXPORT int dn_addr_is_v4mapped(const dn_addr *a);
/* Multicast scope (RFC 4291 §2.7: 1 interface-local, 2 link-local, 5 site,
 * 8 organisation, 14 global); -1 when not IPv6 multicast. */
DN_EXPORT int dn_addr_mcast_scope(const dn_addr *a);
/* True when the address is meaningless without a scope id. */
DN_EXPORT int dn_addr_needs_scope(const dn_addr *a);

/*
 * An address prefix, for access control: the network (host bits zero),
 * its length, and for a link-local prefix the link it is limited to.
 */
typedef struct dn_prefix {
	dn_addr addr;		/* port 0; scope 0 for any link */
	unsigned len;		/* 0..32, 0..128 */
} dn_prefix;

/* Longest text dn_prefix_format() writes, NUL included. */
#define DN_PREFIX_STRLEN 96

/*
 * "192.0.2.0/24", "2001:db8::/32", "fe80::/64%eth0" (or "fe80::%eth0/64",
 * RFC 4007 §11.7), or one address ("192.0.2.7": all its bits). The address
 * follows dn_addr_parse()'s rules, but a link-local one may go without a
 * scope (any link). A v4-mapped prefix of /96 or longer
 * (::ffff:192.0.2.0/120) is the IPv4 prefix it holds. Host bits set past
 * the length are an error that names the network meant.
 */
DN_EXPORT int dn_prefix_parse(dn_prefix *out, const char *text,
    dn_error *err);
/* Whether a is inside p: a v4-mapped a counts as its IPv4 address, and a
 * prefix with a scope takes only addresses with that scope. */
DN_EXPORT int dn_prefix_match(const dn_prefix *p, const dn_addr *a);
/* "2001:db8::/32", "fe80::/64%eth0". */
DN_EXPORT const char *dn_prefix_format(const dn_prefix *p, char *buf,
    size_t len);

/*
 * Access control: a peer is admitted when it is inside an allowed prefix
 * (or none was given) and inside no denied one.
 */
typedef struct dn_acl dn_acl;

DN_EXPORT dn_acl *dn_acl_new(dn_error *err);
DN_EXPORT void dn_acl_free(dn_acl *acl);
/* allow 1 adds to the allowed prefixes, 0 to the denied. */
DN_EXPORT int dn_acl_add(dn_acl *acl, int allow, const char *prefix,
    dn_error *err);
/* One prefix a line; '#' starts a comment; blank lines are skipped. A bad
 * line fails with "FILE:LINE: ..." and adds nothing of the file. */
DN_EXPORT int dn_acl_add_file(dn_acl *acl, int allow, const char *path,
    dn_error *err);
/* No prefix at all: every peer is admitted without a look. */
DN_EXPORT int dn_acl_empty(const dn_acl *acl);
/* 1 admitted, 0 refused; why (may be NULL) gets the reason of a refusal:
 * "denied by 203.0.113.0/24", "in no allowed prefix". */
DN_EXPORT int dn_acl_check(const dn_acl *acl, const dn_addr *peer,
    char *why, size_t whylen);

/*
 * The bind address must have the destination's family. Fails with
 * DN_EFAMILY naming which is which ("bind address 192.0.2.1 is IPv4 but
 * destination fe80::1 is IPv6").
 */
DN_EXPORT int dn_addr_check_bind(const dn_addr *bind, const dn_addr *dest,
    dn_error *err);

/*
 * Whether a listening socket on local can take v6only: 1 (IPv6 only), 0
 * (dual-stack: IPv4 too, as v4-mapped peers) or -1 (the system's
 * default: always fine). Only an IPv6 socket has the option, and only the
 * wildcard :: takes both families: v6only on an IPv4 or v4-mapped address,
 * or dual-stack on an IPv4 or one IPv6 address, fails with DN_EINVAL
 * naming the address.
 */
DN_EXPORT int dn_addr_check_v6only(const dn_addr *local, int v6only,
    dn_error *err);

/* ------------------------------------------------------------------ */
/* Reactor                                                            */
/* ------------------------------------------------------------------ */

typedef struct dn_reactor dn_reactor;
typedef struct dn_timer dn_timer;
typedef struct dn_io dn_io;
typedef struct dn_signal dn_signal;

DN_EXPORT dn_reactor *dn_reactor_new(dn_error *err);
/* Cancels what is still pending (each gets its completion) and frees. */
DN_EXPORT void dn_reactor_free(dn_reactor *r);
/* Runs until dn_reactor_stop() or until nothing is left to wait for.
 * Returns 0, or -1 if epoll itself failed. */
DN_EXPORT int dn_reactor_run(dn_reactor *r, dn_error *err);
/* Runs one turn: waits at most timeout_ms (-1 forever) for events. */
DN_EXPORT int dn_reactor_run_once(dn_reactor *r, int timeout_ms, dn_error *err);
DN_EXPORT void dn_reactor_stop(dn_reactor *r);
/* Monotonic time in nanoseconds, cached at the start of each loop turn. */
DN_EXPORT uint64_t dn_reactor_now(dn_reactor *r);
/* Refreshes the cached time and returns it. */
DN_EXPORT uint64_t dn_reactor_update_time(dn_reactor *r);

/* Calls fn(arg) on the next loop turn, after the current dispatch. */
DN_EXPORT int dn_reactor_defer(dn_reactor *r, void (*fn)(void *arg), void *arg,
    dn_error *err);

/* One-shot timers on CLOCK_MONOTONIC; equal deadlines fire in the order
 * they were started. cancelled is 1 when the timer was cancelled (by
 * dn_timer_cancel or the reactor being freed); the handle is then gone. */
typedef void (*dn_timer_cb)(dn_timer *t, int cancelled, void *arg);
DN_EXPORT dn_timer *dn_timer_start(dn_reactor *r, uint64_t delay_ns,
    dn_timer_cb cb, void *arg, dn_error *err);
/* The callback runs with cancelled=1 on the next loop turn. NULL is fine. */
DN_EXPORT void dn_timer_cancel(dn_timer *t);

/* fd watchers (edge: no; level-triggered). */
#define DN_READABLE 0x1
#define DN_WRITABLE 0x2
#define DN_HANGUP   0x4
#define DN_ERROR    0x8
typedef void (*dn_io_cb)(dn_io *io, int fd, unsigned events, void *arg);
DN_EXPORT dn_io *dn_io_new(dn_reactor *r, int fd, unsigned events,
    dn_io_cb cb, void *arg, dn_error *err);
DN_EXPORT int dn_io_set(dn_io *io, unsigned events, dn_error *err);
/* Stops watching at once; freed after the current dispatch. Does not close
 * the fd. Events already fetched for it are dropped. */
DN_EXPORT void dn_io_free(dn_io *io);

/* Signals delivered through signalfd inside the loop. */
typedef void (*dn_signal_cb)(dn_signal *s, int signo, void *arg);
DN_EXPORT dn_signal *dn_signal_new(dn_reactor *r, int signo,
    dn_signal_cb cb, void *arg, dn_error *err);
DN_EXPORT void dn_signal_free(dn_signal *s);

/* ------------------------------------------------------------------ */
/* Name resolution                                                    */
/* ------------------------------------------------------------------ */

typedef struct dn_resolve_req dn_resolve_req;

/* One answer: the addresses of one family (port set), or an error code
 * DN_ENONAME, DN_ENODATA, DN_ESERVFAIL, DN_EDNSTIMEOUT, DN_ECANCELED. */
typedef void (*dn_resolve_cb)(dn_resolve_req *req, int family,
    const dn_addr *addrs, size_t naddrs, const dn_error *err, void *arg);

/* Where the resolver comes from. servers: NULL for resolv.conf, else a
 * comma-separated list "ADDR[:PORT],..." (IPv6 in brackets with a port). */
DN_EXPORT int dn_reactor_set_dns_servers(dn_reactor *r, const char *servers,
    dn_error *err);

/*
 * Resolves host for one family (AF_INET or AF_INET6) through c-ares inside
 * the reactor, honouring /etc/hosts and resolv.conf. cb runs exactly once.
 */
DN_EXPORT dn_resolve_req *dn_resolve(dn_reactor *r, const char *host,
    uint16_t port, int family, dn_resolve_cb cb, void *arg, dn_error *err);
/*
 * The same through the system's getaddrinfo() in a worker thread, for NSS
 * sources (mDNS, LDAP, systemd-resolved); delivered through the reactor,
 * cancellable without blocking the loop. Scope ids that come back are
 * kept. A literal is answered without a thread.
 */
DN_EXPORT dn_resolve_req *dn_resolve_system(dn_reactor *r, const char *host,
    uint16_t port, int family, dn_resolve_cb cb, void *arg, dn_error *err);
/* Either kind; the callback runs with DN_ECANCELED on the next turn. */
DN_EXPORT void dn_resolve_cancel(dn_resolve_req *req);

/* Which resolver a racing connect or a discovery asks. */
typedef enum dn_resolver_kind {
	DN_RESOLVER_ARES,	/* c-ares inside the reactor */
	DN_RESOLVER_SYSTEM	/* getaddrinfo in a worker thread (NSS) */
} dn_resolver_kind;

/* ------------------------------------------------------------------ */
/* IPv6-only networks: NAT64 (RFC 6052, RFC 7050, RFC 8305 §7)        */
/* ------------------------------------------------------------------ */

/*
 * A NAT64 prefix is an IPv6 prefix of 32, 40, 48, 56, 64 or 96 bits
 * (RFC 6052 §2.2; bits 64-71 stay zero), e.g. the Well-Known Prefix
 * 64:ff9b::/96 or a network's own such as 2001:db8:64::/96. check fails
 * with DN_EFAMILY, DN_ERANGE or DN_EINVAL naming the rule broken.
 */
DN_EXPORT int dn_nat64_prefix_check(const dn_prefix *p, dn_error *err);
/* dn_prefix_parse() and dn_nat64_prefix_check() in one. */
DN_EXPORT int dn_nat64_prefix_parse(dn_prefix *out, const char *text,
    dn_error *err);
/*
 * The IPv6 address that stands for the IPv4 address v4 behind prefix p
 * (RFC 6052 §2.2), port kept. The Well-Known Prefix is refused for a
 * non-global IPv4 address (RFC 6052 §3.1: DN_EINVAL).
 */
DN_EXPORT int dn_nat64_synthesize(dn_addr *out, const dn_prefix *p,
    const dn_addr *v4, dn_error *err);
/* The IPv4 address v6 stands for behind p (RFC 6052 §2.3), port kept;
 * -1 if v6 is not inside p or breaks the format. v4 may be NULL. */
DN_EXPORT int dn_nat64_extract(dn_addr *v4, const dn_prefix *p,
    const dn_addr *v6);

typedef enum dn_nat64_mode {
	DN_NAT64_AUTO,		/* an IPv4 destination this host has no route
				 * to is reached through NAT64 */
	DN_NAT64_OFF,		/* never */
	DN_NAT64_ALWAYS		/* through NAT64 and natively, both raced */
} dn_nat64_mode;
/* "auto" | "off" | "always". */
DN_EXPORT int dn_nat64_mode_parse(const char *s, dn_nat64_mode *out,
    dn_error *err);

/* What a racing connect does with IPv4 destinations (all zero: auto,
 * prefixes discovered when one is needed). */
typedef struct dn_nat64_opts {
	dn_nat64_mode mode;
	const dn_prefix *prefixes;	/* NULL: discover (RFC 7050) */
	size_t nprefixes;		/* at most DN_NAT64_MAX_PREFIXES */
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_nat64_opts;

#define DN_NAT64_MAX_PREFIXES 8

/*
 * RFC 7050 discovery: the AAAA records of ipv4only.arpa, asked through the
 * reactor's resolver, give the NAT64 prefixes (every RFC 6052 length).
 * The query goes out at most once per reactor; later calls get the same
 * answer. cb runs once, never inside the call: the prefixes (n >= 1,
 * err NULL), or err: DN_ENODATA when the network has no NAT64 (no AAAA,
 * or none embeds 192.0.0.170/171), a resolver's code when the question
 * failed, DN_ECANCELED.
 */
typedef struct dn_nat64_req dn_nat64_req;
typedef void (*dn_nat64_cb)(dn_nat64_req *req, const dn_prefix *prefixes,
    size_t n, const dn_error *err, void *arg);
DN_EXPORT dn_nat64_req *dn_nat64_discover(dn_reactor *r,
    dn_resolver_kind resolver, dn_nat64_cb cb, void *arg, dn_error *err);
/* The callback runs with DN_ECANCELED on a later turn. */
DN_EXPORT void dn_nat64_cancel(dn_nat64_req *req);

/* ------------------------------------------------------------------ */
/* TCP                                                                */
/* ------------------------------------------------------------------ */

typedef struct dn_stream dn_stream;
typedef struct dn_listener dn_listener;
typedef struct dn_connect_req dn_connect_req;

/*
 * Trace events: what a connect operation decided and when, for -v and
 * --json. Pointers are valid during the call only.
 */
typedef enum dn_trace_kind {
	DN_TRACE_RESOLVING,	 /* host, family */
	DN_TRACE_RESOLVED,	 /* host, family, addrs/naddrs, or err */
	DN_TRACE_CONNECTING,	 /* addr (destination), local (bind or NULL) */
	DN_TRACE_ATTEMPT_FAILED, /* addr, err */
	DN_TRACE_CONNECTED,	 /* addr (peer), local */
	DN_TRACE_ATTEMPT_CANCELED, /* addr, err: another won, or a timeout */
	DN_TRACE_NAT64_DISCOVERING, /* host: ipv4only.arpa (RFC 7050) */
	DN_TRACE_NAT64_DISCOVERED, /* prefixes/nprefixes, or err */
	DN_TRACE_NAT64_SYNTHESIZED /* addr (IPv6), via4, why */
} dn_trace_kind;

typedef struct dn_trace_event {
	dn_trace_kind kind;
	const char *host;
	int family;
	const dn_addr *addrs;
	size_t naddrs;
	const dn_addr *addr;
	const dn_addr *local;
	const dn_error *err;
	/* NAT64: the IPv4 address addr stands for (CONNECTING, CONNECTED,
	 * ATTEMPT_FAILED, ATTEMPT_CANCELED, NAT64_SYNTHESIZED), else NULL */
	const dn_addr *via4;
	const dn_prefix *prefixes;	/* NAT64_DISCOVERED */
	size_t nprefixes;
	const char *why;	/* NAT64_SYNTHESIZED: "no IPv4 route",
				 * "always" */
} dn_trace_event;

typedef void (*dn_trace_cb)(const dn_trace_event *ev, void *arg);

typedef struct dn_connect_opts {
	const dn_addr *bind;	/* NULL, or the local 4-tuple to bind */
	uint64_t timeout_ns;	/* 0: none */
	dn_trace_cb trace;	/* NULL, or called for each decision */
	void *trace_arg;
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_connect_opts;

/* Exactly one call: s is the connected stream (yours to close) or NULL
 * with err set. */
typedef void (*dn_connect_cb)(dn_connect_req *req, dn_stream *s,
    const dn_error *err, void *arg);

/*
 * connectTCP to an address value. A flowinfo on dest (20-bit flow label)
 * is put on the wire through the Linux flow label manager.
 */
DN_EXPORT dn_connect_req *dn_tcp_connect_addr(dn_reactor *r,
    const dn_addr *dest, const dn_connect_opts *opts, dn_connect_cb cb,
    void *arg, dn_error *err);
/*
 * connectTCP(host, port, bindAddress) of the plan: host is an IPv4 literal,
 * an IPv6 literal with optional %scope, or a hostname, which is resolved to
 * IPv4 only (plan point 5); its addresses are tried one after another.
 * default_scope (may be NULL) plays -I. Parse errors come through cb too.
 */
DN_EXPORT dn_connect_req *dn_tcp_connect(dn_reactor *r, const char *host,
    uint16_t port, const char *default_scope, const dn_connect_opts *opts,
    dn_connect_cb cb, void *arg, dn_error *err);
/* The callback runs with DN_ECANCELED on the next loop turn. */
DN_EXPORT void dn_connect_cancel(dn_connect_req *req);

/*
 * What happens to a listening port after the call that opened it: its
 * sockets (the all-interfaces port follows the host's addresses) and its
 * accepting. Pointers are valid during the call only; the callback may
 * close the port.
 */
typedef enum dn_listen_event_kind {
	DN_LISTEN_STARTED,	 /* addr: a socket listens there now */
	DN_LISTEN_STOPPED,	 /* addr, reason: its socket is closed; the
				  * connections it accepted stay */
	DN_LISTEN_FAILED,	 /* addr, err: no socket there (the port is
				  * taken, ...); the others go on */
	DN_LISTEN_PORT_RETRY,	 /* addr, err, port, attempt, attempts: port 0
				  * gave a port taken on addr; every socket
				  * is released and another port tried */
	DN_LISTEN_RESCAN,	 /* address notifications were lost (netlink
				  * overflow): every address was read anew */
	DN_LISTEN_ACCEPT_PAUSED, /* err: accept ran out of file descriptors or
				  * memory, or failed in a way that would
				  * repeat (EPERM from a security module, an
				  * errno with no code); it retries on a
				  * timer, the backlog holds the clients */
	DN_LISTEN_ACCEPT_RESUMED, /* a connection was accepted again */
	DN_LISTEN_ACCEPT_FAILED	 /* addr, err: one connection died while
				  * being accepted (the client aborted, a
				  * protocol error); the others go on */
} dn_listen_event_kind;

typedef struct dn_listen_event {
	dn_listen_event_kind kind;
	const dn_addr *addr;	/* with the port */
	const dn_error *err;
	const char *reason;	/* STOPPED: "address removed", "link down",
				 * "address tentative" */
	uint16_t port;		/* PORT_RETRY: the port given up */
	unsigned attempt;	/* PORT_RETRY: this was try attempt of attempts */
	unsigned attempts;
} dn_listen_event;

typedef void (*dn_listen_event_cb)(const dn_listen_event *ev, void *arg);

typedef struct dn_listen_opts {
	int backlog;		/* 0: SOMAXCONN */
	int v6only;		/* -1: system default; 0: dual stack; 1: v6 only */
	dn_listen_event_cb event; /* NULL, or told of ACCEPT_PAUSED/RESUMED */
	void *event_arg;
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_listen_opts;

/* s is a new accepted stream, yours to close; dn_stream_local(s) is the
 * address that accepted it (with its scope). */
typedef void (*dn_accept_cb)(dn_listener *l, dn_stream *s, void *arg);

/* listenTCP on an address value (port 0 picks one). Bind errors return at
 * once with DN_ELOCAL naming the address. */
DN_EXPORT dn_listener *dn_tcp_listen_addr(dn_reactor *r, const dn_addr *local,
    const dn_listen_opts *opts, dn_accept_cb cb, void *arg, dn_error *err);
/* listenTCP(port, interface) of the plan: interface NULL means "0.0.0.0";
 * an IPv6 literal ("::", "fe80::1%eth0") listens on IPv6. */
DN_EXPORT dn_listener *dn_tcp_listen(dn_reactor *r, uint16_t port,
    const char *interface, const dn_listen_opts *opts, dn_accept_cb cb,
    void *arg, dn_error *err);
/* The bound address, with the real port; for an all-interfaces port, the
 * first of its sockets (see dn_listener_addrs()), or the unspecified
 * address with the port while it holds none. */
DN_EXPORT const dn_addr *dn_listener_addr(const dn_listener *l);
/* The port every socket of the listener is bound to. */
DN_EXPORT uint16_t dn_listener_port(const dn_listener *l);
/* The addresses it listens on now, one per socket: copies up to max into
 * out and returns how many there are. */
DN_EXPORT size_t dn_listener_addrs(const dn_listener *l, dn_addr *out,
    size_t max);
/* IPv6 listeners: 1 v6only, 0 dual-stack (as the kernel reports it);
 * IPv4 listeners: -1. Of the first socket for an all-interfaces port. */
DN_EXPORT int dn_listener_v6only(const dn_listener *l);
/* The socket; -1 unless the listener holds exactly one. */
DN_EXPORT int dn_listener_fd(const dn_listener *l);
/* Stops (paused=1) or resumes (0) accepting on every socket; connections
 * wait in the backlog meanwhile (nc -k serves one at a time). Resumed, it
 * accepts what waits in this loop turn, polling the backlog up to 30 us. */
DN_EXPORT int dn_listener_pause(dn_listener *l, int paused, dn_error *err);
/* Closes every socket before it returns (accepted streams stay) and stops
 * following addresses; no callback of the listener runs afterwards;
 * deferred free. NULL is fine. */
DN_EXPORT void dn_listener_close(dn_listener *l);

/* ------------------------------------------------------------------ */
/* All local interfaces: the aggregate port (plan point 7)              */
/* ------------------------------------------------------------------ */

/* Address scopes for dn_all_opts.scopes. */
#define DN_ALL_LOOPBACK	 0x1	/* 127.0.0.0/8, ::1 */
#define DN_ALL_LINKLOCAL 0x2	/* fe80::/10, 169.254.0.0/16 */
#define DN_ALL_GLOBAL	 0x4	/* every other unicast: global, ULA, RFC 1918 */

typedef struct dn_all_opts {
	int family;		/* AF_UNSPEC (both), AF_INET, AF_INET6 */
	unsigned scopes;	/* DN_ALL_* ORed; 0: all three */
	const char *interfaces;	/* "eth0,wlan0": only these (names or
				 * indexes); NULL: every interface */
	const char *exclude;	/* "docker0": never these; NULL: none */
	int follow;		/* 1 (default): sockets come and go with the
				 * addresses; 0: the addresses at the start */
	int skip_unavailable;	/* 1: an address where the port cannot be
				 * bound is reported (DN_LISTEN_FAILED) and
				 * left out; 0 (default): the open fails */
	int rcvbuf;		/* the netlink queue in bytes; 0: the
				 * library's (4 MiB, as far as allowed) */
	dn_listen_event_cb event; /* NULL, or told of the port's sockets */
	void *event_arg;
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_all_opts;

/* Fills in the defaults: both families, every scope and interface,
 * following on. */
DN_EXPORT void dn_all_opts_init(dn_all_opts *o);
/* "loopback,link,global" (any of them, comma-separated) into DN_ALL_*. */
DN_EXPORT int dn_all_scopes_parse(const char *s, unsigned *out,
    dn_error *err);

/*
 * listenTCP on every address of every interface that is up (link-local
 * ones with their scope, IPv6 sockets v6only), all on one port: port 0
 * picks one that is free on every address (when the port the first
 * address got is taken on another, every socket is released and the pick
 * starts again from that address, a bounded number of times). A fixed port
 * that is taken fails with DN_ELOCAL naming the address, unless
 * ao->skip_unavailable. With ao->follow the port follows rtnetlink: a new
 * address gets a socket (an IPv6 one once duplicate address detection
 * has passed: until then nothing reaches it), a removed address or a link
 * going down loses its socket, and ao->event hears of each change. No
 * matching address at all is DN_ELOCAL naming the interfaces.
 */
DN_EXPORT dn_listener *dn_tcp_listen_all(dn_reactor *r, uint16_t port,
    const dn_all_opts *ao, const dn_listen_opts *lo, dn_accept_cb cb,
    void *arg, dn_error *err);

/* Streams. */
DN_EXPORT int dn_stream_fd(const dn_stream *s);
DN_EXPORT const dn_addr *dn_stream_local(const dn_stream *s);
DN_EXPORT const dn_addr *dn_stream_peer(const dn_stream *s);
/* Gives the fd to the caller (for -e: the child gets it); the stream is
 * freed without closing it. Returns the fd. */
DN_EXPORT int dn_stream_detach(dn_stream *s, dn_error *err);

/* Buffered I/O on a stream. read_cb gets len 0 at EOF, and err on error
 * (then buf is NULL): DN_ECANCELED when dn_reactor_free() closes a stream
 * that is still reading (closing it in the callback is fine). */
typedef void (*dn_read_cb)(dn_stream *s, const void *buf, size_t len,
    const dn_error *err, void *arg);
DN_EXPORT int dn_stream_read_start(dn_stream *s, dn_read_cb cb, void *arg,
    dn_error *err);
DN_EXPORT void dn_stream_read_stop(dn_stream *s);
/* Queues data; what the socket does not take now is written when it can. */
DN_EXPORT int dn_stream_write(dn_stream *s, const void *buf, size_t len,
    dn_error *err);
DN_EXPORT size_t dn_stream_write_queued(const dn_stream *s);
/* After the queue drains, shutdown(SHUT_WR). */
DN_EXPORT int dn_stream_shutdown(dn_stream *s, dn_error *err);
/*
 * Write completion: cb runs once, on a later turn, when everything
 * written before this call has gone to the kernel (and a shutdown asked
 * for is done) with err NULL; with the write's error if one failed; with
 * DN_ECANCELED if the stream is closed first (the stream pointer is then
 * only for matching, not for use). One flush at a time per stream; not
 * on a stream a relay owns.
 */
typedef void (*dn_flush_cb)(dn_stream *s, const dn_error *err, void *arg);
DN_EXPORT int dn_stream_flush(dn_stream *s, dn_flush_cb cb, void *arg,
    dn_error *err);
/* Closes at once (queued data is dropped); deferred free; NULL is fine. */
DN_EXPORT void dn_stream_close(dn_stream *s);

/* ------------------------------------------------------------------ */
/* Hostname client endpoint: RFC 8305 Happy Eyeballs v2                */
/* ------------------------------------------------------------------ */

typedef enum dn_race_mode {
	DN_RACE_STAGGERED,	/* next attempt after the attempt delay */
	DN_RACE_CONCURRENT,	/* every attempt at once */
	DN_RACE_SERIAL		/* one at a time */
} dn_race_mode;

typedef enum dn_race_order {
	DN_ORDER_INTERLEAVE,	/* RFC 6724 order, families alternate */
	DN_ORDER_V6_FIRST,
	DN_ORDER_V4_FIRST,
	DN_ORDER_RESOLVER	/* as the answers came */
} dn_race_order;

typedef struct dn_hostname_opts {
	dn_race_mode race;
	dn_race_order order;
	int family;			/* AF_UNSPEC (both), AF_INET, AF_INET6 */
	uint64_t resolution_delay_ns;	/* default 50 ms */
	uint64_t attempt_delay_ns;	/* default 250 ms; 10 ms .. 2 s */
	unsigned first_family_count;	/* default 1 */
	unsigned max_concurrent;	/* 0: no limit */
	uint64_t attempt_timeout_ns;	/* 0: none */
	uint64_t timeout_ns;		/* overall; 0: none */
	dn_resolver_kind resolver;
	const dn_addr *bind4;		/* bind for IPv4 attempts, or NULL */
	const dn_addr *bind6;		/* bind for IPv6 attempts, or NULL */
	uint32_t flowinfo;		/* flow label for IPv6 attempts */
	dn_trace_cb trace;
	void *trace_arg;
	const dn_nat64_opts *nat64;	/* NULL: auto, prefixes discovered */
	void *dn_reserved[3];	/* zero; room to grow (see "ABI" above) */
} dn_hostname_opts;

/* Fills in the RFC 8305 defaults. */
DN_EXPORT void dn_hostname_opts_init(dn_hostname_opts *o);
/* DN_ERANGE/DN_EINVAL naming the bad knob and its bounds. */
DN_EXPORT int dn_hostname_opts_check(const dn_hostname_opts *o,
    dn_error *err);
/* "staggered" | "concurrent" | "serial"; "interleave" | "v6-first" |
 * "v4-first" | "resolver"; "any" | "v4" | "v6"; "ares" | "system". */
DN_EXPORT int dn_race_mode_parse(const char *s, dn_race_mode *out,
    dn_error *err);
DN_EXPORT int dn_race_order_parse(const char *s, dn_race_order *out,
    dn_error *err);
DN_EXPORT int dn_race_family_parse(const char *s, int *out, dn_error *err);
DN_EXPORT int dn_resolver_parse(const char *s, dn_resolver_kind *out,
    dn_error *err);

/*
 * Resolves host (A and AAAA queries sent together, AAAA first) and races
 * connections as RFC 8305 says, steered by o. A literal host is one
 * attempt, no resolver. When every attempt fails, err lists each address
 * with its own reason and time; its code is DN_EREFUSED/DN_EUNREACH (69)
 * if any attempt was refused or unreachable, else DN_ETIMEDOUT (75); a
 * name that gave no address fails with the resolution's code (68).
 */
DN_EXPORT dn_connect_req *dn_hostname_connect(dn_reactor *r,
    const char *host, uint16_t port, const dn_hostname_opts *o,
    dn_connect_cb cb, void *arg, dn_error *err);

/* One planned attempt: start_ns after the start, or UINT64_MAX when it
 * would never start (serial without attempt timeout, or past the overall
 * timeout). */
typedef struct dn_plan_entry {
	dn_addr addr;
	uint64_t start_ns;
	const dn_addr *via4;	/* NAT64: the IPv4 address addr stands for,
				 * or NULL */
	void *dn_reserved[3];	/* zero; room to grow (see "ABI" above) */
} dn_plan_entry;
typedef void (*dn_plan_cb)(dn_connect_req *req, const dn_plan_entry *plan,
    size_t n, const dn_error *err, void *arg);
/*
 * Resolves host like dn_hostname_connect() (waiting for both answers) and
 * gives the ordered attempt plan if every address were a black hole;
 * connects nowhere. Cancel with dn_connect_cancel().
 */
DN_EXPORT dn_connect_req *dn_hostname_plan(dn_reactor *r, const char *host,
    uint16_t port, const dn_hostname_opts *o, dn_plan_cb cb,
    void *arg, dn_error *err);

/* ------------------------------------------------------------------ */
/* Relay: a stream <-> a pair of fds (stdin/stdout), nc's readwrite()   */
/* ------------------------------------------------------------------ */

typedef struct dn_relay dn_relay;

typedef struct dn_relay_stats {
	uint64_t bytes_in;	/* socket -> out_fd */
	uint64_t bytes_out;	/* in_fd -> socket */
} dn_relay_stats;

#define DN_RELAY_NO_SHUTDOWN 0x1 /* in_fd EOF does not shut the socket's write side */
#define DN_RELAY_RECV_ONLY   0x2 /* do not read in_fd */
#define DN_RELAY_SEND_ONLY   0x4 /* do not read the socket */
/* in_fd and out_fd still name the files they named in this reactor's last
 * relays (a keep-open server's stdin and stdout): not looked at again */
#define DN_RELAY_SAME_FILES  0x8

/* Exactly one call, when both directions are done or one failed. The
 * stream is closed by the relay before the call. err NULL on success. */
typedef void (*dn_relay_done_cb)(dn_relay *rl, const dn_relay_stats *st,
    const dn_error *err, void *arg);

/*
 * Relays in_fd -> s and s -> out_fd until both are done: in_fd EOF becomes
 * shutdown(SHUT_WR) on the socket; socket EOF closes out_fd's direction.
 * Takes ownership of s. in_fd/out_fd may be -1 (that side is off).
 */
DN_EXPORT dn_relay *dn_relay_start(dn_reactor *r, dn_stream *s, int in_fd,
    int out_fd, unsigned flags, dn_relay_done_cb cb, void *arg,
    dn_error *err);
/* Ends the relay now; cb gets DN_ECANCELED. */
DN_EXPORT void dn_relay_cancel(dn_relay *rl);

/* ------------------------------------------------------------------ */
/* UDP and multicast                                                  */
/* ------------------------------------------------------------------ */

/*
 * listenUDP of the plan (point 3) and multicast (point 4). A dn_udp is one
 * non-blocking UDP socket driven by the reactor: it receives datagrams with
 * their sender (a full 4-tuple, scope set for link-local), destination
 * address and arrival interface, and sends to 4-tuples, a flowinfo going on
 * the wire through the Linux flow label manager.
 */
typedef struct dn_udp dn_udp;

typedef struct dn_udp_opts {
	int v6only;		/* IPv6 sockets: -1 system default, 0 dual stack, 1 v6 only */
	int reuseaddr;		/* 1: SO_REUSEADDR; always on for a multicast bind address */
	size_t max_datagram;	/* receive buffer per datagram; 0: 65536 */
	int batch;		/* datagrams per recvmmsg(); 0: default, 1: recvmsg() */
	size_t rcvbuf;		/* SO_RCVBUF bytes to ask for, held to
				 * net.core.rmem_max; 0: the system's */
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_udp_opts;

/* One received datagram; valid during the callback only. */
typedef struct dn_datagram {
	const void *data;
	size_t len;		/* bytes in data */
	size_t size;		/* its real size: > len when truncated */
	int truncated;		/* MSG_TRUNC: the tail beyond len is lost */
	dn_addr from;		/* the sender, scope set for link-local */
	dn_addr to;		/* destination address (IP_PKTINFO / IPV6_PKTINFO)
				 * with our port; scope set for link-local */
	unsigned ifindex;	/* arrival interface, 0 when unknown */
	uint32_t flowlabel;	/* IPv6: the flow label on the wire (20 bits) */
} dn_datagram;

/*
 * A datagram (err NULL), or an error for this socket with dg NULL: an ICMP
 * error on a connected socket (port unreachable: DN_EREFUSED), or a queued
 * send that failed. Receiving goes on after an error.
 */
typedef void (*dn_udp_recv_cb)(dn_udp *u, const dn_datagram *dg,
    const dn_error *err, void *arg);

/* listenUDP on an address value (port 0 picks one). Errors return at once:
 * bind refused is DN_ELOCAL naming the address. */
DN_EXPORT dn_udp *dn_udp_listen_addr(dn_reactor *r, const dn_addr *local,
    const dn_udp_opts *opts, dn_error *err);
/* listenUDP(port, interface) of the plan: interface NULL means "0.0.0.0";
 * an IPv6 literal ("::", "fe80::1%eth0") listens on IPv6. */
DN_EXPORT dn_udp *dn_udp_listen(dn_reactor *r, uint16_t port,
    const char *interface, const dn_udp_opts *opts, dn_error *err);
/* The bound address with its real port (after a connect, the local address
 * the kernel chose). */
DN_EXPORT const dn_addr *dn_udp_addr(const dn_udp *u);
/* The connected peer, or NULL. */
DN_EXPORT const dn_addr *dn_udp_peer(const dn_udp *u);
DN_EXPORT int dn_udp_fd(const dn_udp *u);
/* IPv6 sockets: 1 v6 only, 0 dual stack (as the kernel reports it); IPv4: -1. */
DN_EXPORT int dn_udp_v6only(const dn_udp *u);

/*
 * UDP connect(addr) of the plan: a 4-tuple (its flowinfo goes on the wire
 * of every send); afterwards only the peer's datagrams arrive, and ICMP
 * errors come back (DN_EREFUSED through the receive callback or from the
 * next send). peer NULL disconnects. On a dual-stack socket an IPv4 peer is
 * reached as ::ffff:a.b.c.d.
 */
DN_EXPORT int dn_udp_connect(dn_udp *u, const dn_addr *peer, dn_error *err);

DN_EXPORT int dn_udp_recv_start(dn_udp *u, dn_udp_recv_cb cb,
    void *arg, dn_error *err);
DN_EXPORT void dn_udp_recv_stop(dn_udp *u);

/*
 * UDP write(data, addr) of the plan: sends one datagram to dest (a 4-tuple;
 * NULL on a connected socket). What the socket cannot take now is queued
 * and sent when it can, in order. Fails at once on bad input and on errors
 * the kernel reports for this send (a refused earlier datagram on a
 * connected socket: DN_EREFUSED).
 */
DN_EXPORT int dn_udp_send(dn_udp *u, const void *buf, size_t len,
    const dn_addr *dest, dn_error *err);

typedef struct dn_udp_msg {
	const void *buf;
	size_t len;
	const dn_addr *dest;	/* NULL on a connected socket */
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_udp_msg;

/*
 * Sends n datagrams with as few system calls as it can (sendmmsg). Every
 * destination is checked before any is sent; when the kernel fails one,
 * err names it: those before it were sent, it and those after were not.
 */
DN_EXPORT int dn_udp_send_many(dn_udp *u, const dn_udp_msg *msgs, size_t n,
    dn_error *err);
/*
 * Answers dg (received on u) with buf: sends it to dg->from, from the
 * address dg arrived at (dg->to; for a link-local one, on dg->ifindex), as
 * a server on a wildcard address must on a multihomed host (RFC 1122
 * §4.1.3.5). Queued and reported as dn_udp_send(). Where that address
 * cannot be a source (a multicast or broadcast destination, or one the
 * kernel refuses), the kernel picks the source as for dn_udp_send().
 */
DN_EXPORT int dn_udp_reply(dn_udp *u, const dn_datagram *dg,
    const void *buf, size_t len, dn_error *err);
/* Bytes queued and not yet sent. */
DN_EXPORT size_t dn_udp_send_queued(const dn_udp *u);

/* Exactly one call, never from inside dn_udp_drain(): when the queue is
 * empty (err NULL), when a queued send failed, or with DN_ECANCELED when
 * the socket is closed or the reactor freed first. */
typedef void (*dn_udp_drain_cb)(dn_udp *u, const dn_error *err, void *arg);
/* One drain at a time: a second one while the first waits is DN_EINVAL. */
DN_EXPORT int dn_udp_drain(dn_udp *u, dn_udp_drain_cb cb, void *arg,
    dn_error *err);

/* Closes at once: queued datagrams are dropped, groups are left; deferred
 * free. NULL is fine. */
DN_EXPORT void dn_udp_close(dn_udp *u);

/*
 * listenUDP on all local interfaces: one socket per address, on one port,
 * chosen and followed as dn_tcp_listen_all() does; a datagram arrives
 * through the socket bound to the address it was sent to, so a reply with
 * dn_udp_reply() on that socket leaves from that address (RFC 1122
 * §4.1.3.5) for every address, new ones too. uo->v6only is ignored: the
 * IPv6 sockets are v6only.
 */
typedef struct dn_udp_all dn_udp_all;

DN_EXPORT dn_udp_all *dn_udp_listen_all(dn_reactor *r, uint16_t port,
    const dn_all_opts *ao, const dn_udp_opts *uo, dn_error *err);
/* Datagrams of every socket, present and future; cb's u is the socket
 * that received (the aggregate's: reply or send on it, never close it). */
DN_EXPORT int dn_udp_all_recv_start(dn_udp_all *a, dn_udp_recv_cb cb,
    void *arg, dn_error *err);
DN_EXPORT void dn_udp_all_recv_stop(dn_udp_all *a);
DN_EXPORT uint16_t dn_udp_all_port(const dn_udp_all *a);
/* Its sockets now: copies up to max into out, returns how many. */
DN_EXPORT size_t dn_udp_all_socks(const dn_udp_all *a, dn_udp **out,
    size_t max);
/* Closes every socket before it returns and stops following; queued
 * datagrams are dropped. NULL is fine. */
DN_EXPORT void dn_udp_all_close(dn_udp_all *a);

/*
 * Multicast (plan point 4), IPv4 and IPv6, any-source and source-specific.
 * iface: an interface name ("eth0"), index ("2") or, for IPv4, one of the
 * interface's addresses; NULL or "" for none. A group's zone (ff02::1%eth0)
 * is its interface; giving both, they must agree. Rules, each failing with
 * one sentence: the group must be multicast (DN_EINVAL); an IPv6 link- or
 * interface-local group needs an interface (DN_ENOSCOPE); a group in the
 * source-specific ranges (232.0.0.0/8, ff3x::/32) needs a source, and a
 * source is taken only for those (DN_EINVAL); the source has the group's
 * family (DN_EFAMILY); a join the kernel refuses is DN_ELOCAL naming the
 * group and the interface. An IPv4 group may be joined on a dual-stack
 * IPv6 socket. Memberships are left when the socket is closed.
 */
DN_EXPORT int dn_mcast_join(dn_udp *u, const dn_addr *group,
    const dn_addr *source, const char *iface, dn_error *err);
DN_EXPORT int dn_mcast_leave(dn_udp *u, const dn_addr *group,
    const dn_addr *source, const char *iface, dn_error *err);
/* Outgoing interface for multicast sends (IP_MULTICAST_IF with the index,
 * IPV6_MULTICAST_IF); NULL or "" gives the choice back to the routes. */
DN_EXPORT int dn_mcast_set_interface(dn_udp *u, const char *iface,
    dn_error *err);
/* Hop limit / TTL of multicast sends, 0..255. */
DN_EXPORT int dn_mcast_set_hops(dn_udp *u, int hops, dn_error *err);
/* Whether our own multicast sends come back to this host (1) or not (0). */
DN_EXPORT int dn_mcast_set_loop(dn_udp *u, int on, dn_error *err);
/* An interface name, decimal index or IPv4 interface address to its index;
 * DN_EBADSCOPE naming the interfaces that exist when there is none. */
DN_EXPORT int dn_iface_index(const char *iface, unsigned *index,
    dn_error *err);

/* ------------------------------------------------------------------ */
/* Endpoint descriptions                                              */
/* ------------------------------------------------------------------ */

/*
 * Twisted syntax: TYPE:ARG:KEY=VALUE:..., "\:" and "\\" escape. A parsed
 * description keeps positional args and key=value pairs in order.
 */
typedef struct dn_desc dn_desc;

DN_EXPORT dn_desc *dn_desc_parse(const char *text, dn_error *err);
DN_EXPORT void dn_desc_free(dn_desc *d);
DN_EXPORT const char *dn_desc_type(const dn_desc *d);
DN_EXPORT size_t dn_desc_nargs(const dn_desc *d);
DN_EXPORT const char *dn_desc_arg(const dn_desc *d, size_t i);
/* NULL when absent. */
DN_EXPORT const char *dn_desc_get(const dn_desc *d, const char *key);
/* Fails with DN_ESYNTAX naming the first key not in the NULL-terminated
 * list allowed ("unknown key 'prot' in tcp: description; known: ..."). */
DN_EXPORT int dn_desc_check_keys(const dn_desc *d, const char *const *allowed,
    dn_error *err);
/* 1 when text starts with a known description type ("tcp:", "tcp6:",
 * "hostname:", "all:", "udp:", "udp6:", "udp-all:", "multicast:"). */
DN_EXPORT int dn_desc_is_description(const char *text);

typedef struct dn_client_endpoint dn_client_endpoint;
typedef struct dn_server_endpoint dn_server_endpoint;

/* Defaults a program passes down (-I, -w, -b, -4/-6). */
typedef struct dn_endpoint_defaults {
	const char *default_scope;	/* -I */
	uint64_t timeout_ns;		/* -w; 0 none */
	const dn_addr *bind;		/* -b */
	int family;			/* AF_UNSPEC, AF_INET, AF_INET6 */
	int v6only;			/* servers: -1 system, 0, 1 */
	int backlog;
	dn_trace_cb trace;		/* clients: see dn_connect_opts */
	void *trace_arg;
	/* hostname: descriptions start from these (NULL: the defaults of
	 * dn_hostname_opts_init(), with family, bind, timeout and trace
	 * above); keys in the description override them. */
	const struct dn_hostname_opts *hostname;
	/* servers: told of accepting (and for all:, of the sockets) */
	dn_listen_event_cb listen_event;
	void *listen_event_arg;
	/* all: and udp-all: start from these (NULL: dn_all_opts_init(),
	 * with family above, default_scope as the one interface, and
	 * listen_event); keys in the description override them. */
	const dn_all_opts *all;
	void *dn_reserved[4];	/* zero; room to grow (see "ABI" above) */
} dn_endpoint_defaults;

/*
 * Fills in "nothing set": no scope, timeout, bind address, backlog (0:
 * SOMAXCONN), trace or events, both families, and v6only -1 (the system's
 * default). A zeroed struct is not that: its v6only 0 asks for dual-stack,
 * which all: descriptions and tcp6: ones on an address other than ::
 * refuse.
 */
DN_EXPORT void dn_endpoint_defaults_init(dn_endpoint_defaults *d);

/*
 * The client endpoint for HOST PORT arguments: host is a literal or a name;
 * family AF_INET resolves names to IPv4 only (tcp:), AF_INET6 to IPv6 only
 * (tcp6:); AF_UNSPEC means AF_INET for names (plan point 5).
 */
DN_EXPORT dn_client_endpoint *dn_client_endpoint_new_tcp(const char *host,
    uint16_t port, uint32_t flowinfo, int family,
    const dn_endpoint_defaults *defs, dn_error *err);
/*
 * The racing endpoint (RFC 8305) for HOST PORT, as hostname: is: host a
 * name or a literal, o the racing policy (NULL: dn_hostname_opts_init()),
 * copied with its bind addresses.
 */
DN_EXPORT dn_client_endpoint *dn_client_endpoint_new_hostname(
    const char *host, uint16_t port, const dn_hostname_opts *o,
    dn_error *err);
/* One address, connected to as it is (scope and flow label included),
 * with o's bind address, timeout and trace (o may be NULL). An IPv4
 * address this host has no route to goes through NAT64 (see
 * dn_client_endpoint_set_nat64()). */
DN_EXPORT dn_client_endpoint *dn_client_endpoint_new_addr(
    const dn_addr *dest, const dn_connect_opts *o, dn_error *err);
/*
 * NAT64 for a hostname: endpoint or an address (RFC 8305 §7): o is
 * copied, prefixes too; NULL is auto with discovery, the default. A
 * tcp: or tcp6: endpoint connects as given: DN_EINVAL.
 */
DN_EXPORT int dn_client_endpoint_set_nat64(dn_client_endpoint *ep,
    const dn_nat64_opts *o, dn_error *err);

/* tcp:host=H:port=P[:timeout=S][:bindAddress=A], tcp6:...,
 * hostname:host=H:port=P[:race=..][:order=..][:delay=MS]... (every knob of
 * dn_hostname_opts; see dualnet-addresses(7)). */
DN_EXPORT dn_client_endpoint *dn_client_endpoint_parse(const char *text,
    const dn_endpoint_defaults *defs, dn_error *err);
DN_EXPORT void dn_client_endpoint_free(dn_client_endpoint *ep);
/* Same completion rules as dn_tcp_connect(). */
DN_EXPORT dn_connect_req *dn_client_endpoint_connect(dn_reactor *r,
    const dn_client_endpoint *ep, dn_connect_cb cb, void *arg, dn_error *err);
/* A racing endpoint's attempt plan, as dn_hostname_plan() gives it; no
 * connection is made. */
DN_EXPORT dn_connect_req *dn_client_endpoint_plan(dn_reactor *r,
    const dn_client_endpoint *ep, dn_plan_cb cb, void *arg, dn_error *err);

/*
 * tcp:P[:interface=A][:backlog=N], tcp6:P[:interface=A][:v6only=yes|no],
 * all:P[:interface=IF,...][:exclude=IF,...][:family=4|6|any]
 * [:scope=loopback,link,global][:follow=yes|no][:skip-unavailable=yes|no]
 * [:backlog=N] (every address of every interface, dn_tcp_listen_all()).
 */
DN_EXPORT dn_server_endpoint *dn_server_endpoint_parse(const char *text,
    const dn_endpoint_defaults *defs, dn_error *err);
DN_EXPORT void dn_server_endpoint_free(dn_server_endpoint *ep);
/* One address (port 0: the kernel picks one) with o's backlog, v6only and
 * events (o may be NULL: the system's defaults). */
DN_EXPORT dn_server_endpoint *dn_server_endpoint_new_addr(
    const dn_addr *local, const dn_listen_opts *o, dn_error *err);
DN_EXPORT dn_listener *dn_server_endpoint_listen(dn_reactor *r,
    const dn_server_endpoint *ep, dn_accept_cb cb, void *arg, dn_error *err);

/*
 * Datagram endpoint descriptions: what to open for dnudp and dnmcast.
 *	udp:PORT[:interface=A]			listen (IPv4 unless A is IPv6)
 *	udp6:PORT[:interface=A][:v6only=yes|no]	listen on IPv6 (default ::)
 *	udp:host=H:port=P[:bindAddress=A]	send; a name resolves to IPv4
 *	udp6:host=H:port=P[:bindAddress=A]	send; a name resolves to IPv6
 *	udp-all:PORT[:interface=IF,..][:exclude=IF,..][:family=4|6|any]
 *	    [:scope=..][:follow=yes|no][:skip-unavailable=yes|no]
 *						listen on every address
 *	multicast:GROUP:PORT[:interface=IFACE][:source=SRC][:hops=N]
 *	    [:loop=yes|no]			a group (group=, port= work too)
 * defs gives -I (the scope of link-local addresses; for multicast: the
 * interface), -b (send: the bind address), -4/-6 and v6only (listen).
 * Checks everything that can be checked without a socket; whether an
 * SSM group has its source is the join's to say (a sender needs none).
 */
typedef struct dn_dgram_endpoint dn_dgram_endpoint;

typedef enum dn_dgram_kind {
	DN_DGRAM_LISTEN,
	DN_DGRAM_SEND,
	DN_DGRAM_MULTICAST,
	DN_DGRAM_LISTEN_ALL	/* udp-all: every address, dn_udp_listen_all() */
} dn_dgram_kind;

DN_EXPORT dn_dgram_endpoint *dn_dgram_endpoint_parse(const char *text,
    const dn_endpoint_defaults *defs, dn_error *err);
/* The multicast endpoint from parts (GROUP PORT arguments): group is a
 * literal with an optional %zone, source NULL or a literal; the interface
 * is defs->default_scope. */
DN_EXPORT dn_dgram_endpoint *dn_dgram_endpoint_new_multicast(
    const char *group, uint16_t port, const char *source,
    const dn_endpoint_defaults *defs, dn_error *err);
DN_EXPORT void dn_dgram_endpoint_free(dn_dgram_endpoint *ep);
DN_EXPORT dn_dgram_kind dn_dgram_endpoint_kind(const dn_dgram_endpoint *ep);
/* LISTEN: the address to bind (port 0 picks one). SEND: the bind address,
 * or NULL. MULTICAST: NULL. */
DN_EXPORT const dn_addr *dn_dgram_endpoint_local(const dn_dgram_endpoint *ep);
/* SEND: the destination, or NULL when the host is a name (resolve
 * dn_dgram_endpoint_host() for dn_dgram_endpoint_family()). MULTICAST:
 * the group with its port, and its zone when it has one. LISTEN: NULL. */
DN_EXPORT const dn_addr *dn_dgram_endpoint_dest(const dn_dgram_endpoint *ep);
/* SEND: the host as given; else NULL. */
DN_EXPORT const char *dn_dgram_endpoint_host(const dn_dgram_endpoint *ep);
DN_EXPORT uint16_t dn_dgram_endpoint_port(const dn_dgram_endpoint *ep);
/* AF_INET or AF_INET6: of the address, or what a name resolves to. */
DN_EXPORT int dn_dgram_endpoint_family(const dn_dgram_endpoint *ep);
/* MULTICAST: the interface (name, index or IPv4 address) or NULL. */
DN_EXPORT const char *dn_dgram_endpoint_interface(
    const dn_dgram_endpoint *ep);
/* MULTICAST: the source of a source-specific membership, or NULL. */
DN_EXPORT const dn_addr *dn_dgram_endpoint_source(
    const dn_dgram_endpoint *ep);
/* MULTICAST: hops= 0..255 and loop= 1/0; -1 when not given. */
DN_EXPORT int dn_dgram_endpoint_hops(const dn_dgram_endpoint *ep);
DN_EXPORT int dn_dgram_endpoint_loop(const dn_dgram_endpoint *ep);
/* LISTEN: v6only= as 1/0, else defs->v6only (-1: the system's). */
DN_EXPORT int dn_dgram_endpoint_v6only(const dn_dgram_endpoint *ep);
/* LISTEN_ALL: the options for dn_udp_listen_all() (port: _port()); valid
 * while ep is. Else NULL. */
DN_EXPORT const dn_all_opts *dn_dgram_endpoint_all(
    const dn_dgram_endpoint *ep);

/* The same endpoints from values, as a program's arguments give them:
 * LISTEN on local (port 0: the kernel picks one; v6only -1 the system's,
 * 0 or 1); SEND to an address value (port 1..65535) or to a name resolved
 * for family (AF_INET or AF_INET6) when opened, from bind (NULL: the
 * kernel picks); LISTEN_ALL on port with ao (copied with its strings;
 * NULL: dn_all_opts_init()'s). */
DN_EXPORT dn_dgram_endpoint *dn_dgram_endpoint_new_listen(
    const dn_addr *local, int v6only, dn_error *err);
DN_EXPORT dn_dgram_endpoint *dn_dgram_endpoint_new_send_addr(
    const dn_addr *dest, const dn_addr *bind, dn_error *err);
DN_EXPORT dn_dgram_endpoint *dn_dgram_endpoint_new_send_name(
    const char *host, uint16_t port, int family, const dn_addr *bind,
    dn_error *err);
DN_EXPORT dn_dgram_endpoint *dn_dgram_endpoint_new_all(uint16_t port,
    const dn_all_opts *ao, dn_error *err);

/*
 * Opening a datagram endpoint: everything between a description and the
 * first datagram, with one completion. LISTEN binds (ep's v6only);
 * LISTEN_ALL opens dn_udp_listen_all(); SEND resolves a name (the first
 * answer is the destination, as a datagram has one), binds and, with
 * connect, connects; MULTICAST either joins the group on a socket bound to
 * its port (reuseaddr, so receivers share it; an IPv6 group's socket is
 * v6only) or, with multicast_send, binds bind (or any) and sets the
 * outgoing interface (the endpoint's, else the group's zone), hops and
 * loop.
 */
typedef struct dn_dgram_open_opts {
	dn_udp_opts udp;	/* the sockets' options; v6only and reuseaddr
				 * are the endpoint's to say, not these */
	int connect;		/* SEND: connect(2) to the destination */
	int multicast_send;	/* MULTICAST: open to send, not to receive */
	const dn_addr *bind;	/* MULTICAST send: the source to bind, NULL any
				 * (SEND takes it from the endpoint) */
	int set_hops, hops;	/* MULTICAST send: with set_hops, hops 0..255
				 * over the endpoint's (else its, else the
				 * kernel's) */
	int set_loop, loop;	/* MULTICAST send: the same for loop 1/0 */
	uint32_t flow_label;	/* SEND to IPv6: 20-bit label, 0 none; a
				 * literal's own flowinfo wins */
	dn_trace_cb trace;	/* NULL, or SEND by name: DN_TRACE_RESOLVING
				 * and DN_TRACE_RESOLVED */
	void *trace_arg;
	dn_listen_event_cb event; /* LISTEN_ALL: when ep's options have none */
	void *event_arg;
	const dn_nat64_opts *nat64; /* SEND to IPv4: NULL is auto (through
				 * NAT64 when there is no IPv4 route);
				 * "always" sends through NAT64 even so */
	void *dn_reserved[3];	/* zero; room to grow (see "ABI" above) */
} dn_dgram_open_opts;

typedef struct dn_dgram_open_req dn_dgram_open_req;

/* What was opened, lent to the callback; the sockets become the caller's. */
typedef struct dn_dgram_opened {
	dn_udp *udp;		/* LISTEN, SEND, MULTICAST: close it with
				 * dn_udp_close() (which leaves the group) */
	dn_udp_all *all;	/* LISTEN_ALL: dn_udp_all_close() */
	const dn_addr *dest;	/* SEND: the destination with its flowinfo;
				 * MULTICAST: the group; else NULL */
	int joined;		/* MULTICAST receiver: 1, a member now */
	int hops;		/* MULTICAST sender: the hop limit its
				 * datagrams leave with; else -1 */
	const dn_addr *via4;	/* SEND through NAT64: the IPv4 address dest
				 * stands for; else NULL */
} dn_dgram_opened;

/* Exactly one call, never from inside dn_dgram_endpoint_open(): o with
 * err NULL, or o NULL and err (DN_ECANCELED after a cancel). */
typedef void (*dn_dgram_open_cb)(dn_dgram_open_req *req,
    const dn_dgram_opened *o, const dn_error *err, void *arg);

/* ep is read during the call only; opts may be NULL (the defaults). */
DN_EXPORT dn_dgram_open_req *dn_dgram_endpoint_open(dn_reactor *r,
    const dn_dgram_endpoint *ep, const dn_dgram_open_opts *opts,
    dn_dgram_open_cb cb, void *arg, dn_error *err);
/* The callback runs with DN_ECANCELED on a later turn; what was opened is
 * closed. NULL is fine. */
DN_EXPORT void dn_dgram_open_cancel(dn_dgram_open_req *req);

/* Library version "X.Y.Z". */
DN_EXPORT const char *dn_version(void);

#ifdef __cplusplus
}
#endif
#endif /* DUALNET_H */
