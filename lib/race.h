/*
 * race.h - connection racing (RFC 8305, Happy Eyeballs v2) and RFC 6724
 * destination ordering as pure logic: internal to libdualnet, not installed.
 *
 * Nothing here reads a clock, opens a socket or touches the reactor. The
 * caller (the hostname endpoint) feeds in "now" (monotonic ns, never going
 * back) and what happened (an answer, an attempt that failed or
 * connected), then drains actions with dn__race_next_action() until it
 * returns DN__RACE_NONE, whose wakeup_at is when to call it again if
 * nothing else happens first. Unit tests drive it with a fake clock.
 *
 * The caller's side of the contract:
 *  - send the QUERY actions' queries, report each with exactly one
 *    dn__race_on_answer() or dn__race_on_answer_error();
 *  - START: begin connecting to addr; report it with exactly one of
 *    dn__race_on_attempt_failed() / dn__race_on_attempt_connected(),
 *    unless a CANCEL_ATTEMPT for it comes first (then close it and report
 *    nothing); an event the race no longer wants returns -1: close what it
 *    was about (a connection that came too late);
 *  - CANCEL_QUERY: cancel that query and report nothing more for it;
 *  - WON or FAILED is the one final action; after it there is only NONE.
 *  - after any event or timer, drain actions until NONE; pointers in an
 *    action stay valid until the next call into the race other than
 *    dn__race_next_action(), or dn__race_free().
 */
#ifndef DN_RACE_H
#define DN_RACE_H

#include "dualnet.h"

#include <stddef.h>
#include <stdint.h>

#define DN__RACE_NEVER	UINT64_MAX
#define DN__RACE_MS(x)	((uint64_t)(x) * 1000000u)

/* RFC 8305 §8 recommended values, and the bounds DESIGN.md allows. */
#define DN__RACE_RESOLUTION_DELAY	DN__RACE_MS(50)
#define DN__RACE_ATTEMPT_DELAY		DN__RACE_MS(250)
#define DN__RACE_ATTEMPT_DELAY_MIN	DN__RACE_MS(10)
#define DN__RACE_ATTEMPT_DELAY_MAX	DN__RACE_MS(2000)

typedef enum dn__race_mode {
	DN__RACE_STAGGERED,	/* §5: next after attempt_delay or a failure */
	DN__RACE_CONCURRENT,	/* all at once, up to max_concurrent */
	DN__RACE_SERIAL		/* one at a time, each bounded by attempt_timeout */
} dn__race_mode;

typedef enum dn__race_order {
	DN__RACE_INTERLEAVE,	/* §4: RFC 6724 order, families alternate */
	DN__RACE_V6_FIRST,	/* every IPv6 address, then every IPv4 one */
	DN__RACE_V4_FIRST,
	DN__RACE_RESOLVER	/* as received: first answer first, no sorting */
} dn__race_order;

/*
 * Sorts addrs in place into preference order (RFC 6724 §6). The race calls
 * it with every address not yet tried, IPv6 before IPv4 and each family in
 * the order received, whenever an answer adds some; it must not fail (on
 * trouble, leave the order alone). dn__rfc6724_race_sort() below is the
 * one to use. NULL keeps that order (IPv6 before IPv4, as RFC 6724's
 * default policy ranks global addresses).
 */
typedef void (*dn__race_sort_fn)(dn_addr *addrs, size_t n, void *arg);

typedef struct dn__race_policy {
	dn__race_mode race;
	dn__race_order order;
	int family;			/* AF_UNSPEC (any), AF_INET, AF_INET6 */
	uint64_t resolution_delay;	/* ns; §3; 0: start on the A answer */
	uint64_t attempt_delay;		/* ns; §5; 10 ms .. 2 s (staggered) */
	unsigned first_family_count;	/* §4; at least 1 */
	unsigned max_concurrent;	/* attempts in flight; 0: no limit */
	uint64_t attempt_timeout;	/* ns; 0: none (the kernel's) */
	uint64_t timeout;		/* ns, overall, from dn__race_new(); 0: none */
	dn__race_sort_fn sort;		/* NULL: see above */
	void *sort_arg;
	int nat64;	/* an A answer may hold IPv6 addresses synthesised
			 * for its IPv4 ones: they take the IPv4 turns */
} dn__race_policy;

/* The defaults: staggered, interleave, any, 50 ms, 250 ms, 1, no limits. */
void dn__race_policy_init(dn__race_policy *p);
/* DN_ERANGE / DN_EINVAL naming the bad field and its bounds. */
int dn__race_policy_check(const dn__race_policy *p, dn_error *err);

/* Names as in descriptions and options: "staggered", "concurrent",
 * "serial"; "interleave", "v6-first", "v4-first", "resolver"; "any",
 * "v4", "v6" (also "4", "6", "ipv4", "ipv6"). DN_EINVAL lists the choices. */
int dn__race_mode_parse(const char *s, dn__race_mode *out, dn_error *err);
int dn__race_order_parse(const char *s, dn__race_order *out, dn_error *err);
int dn__race_family_parse(const char *s, int *out, dn_error *err);
const char *dn__race_mode_name(dn__race_mode m);
const char *dn__race_order_name(dn__race_order o);

typedef struct dn__race dn__race;

typedef enum dn__race_action_kind {
	DN__RACE_NONE,		/* nothing now; call again at wakeup_at */
	DN__RACE_QUERY,		/* send the query for family */
	DN__RACE_CANCEL_QUERY,	/* the race is over: drop that query */
	DN__RACE_START,		/* connect attempt id to addr */
	DN__RACE_CANCEL_ATTEMPT,/* close attempt id; err says why */
	DN__RACE_WON,		/* final: attempt id connected; keep it */
	DN__RACE_FAILED		/* final: err is the race's error */
} dn__race_action_kind;

typedef struct dn__race_action {
	dn__race_action_kind kind;
	int family;		/* QUERY, CANCEL_QUERY: AF_INET6 or AF_INET */
	unsigned id;		/* START, CANCEL_ATTEMPT, WON: from 1 */
	const dn_addr *addr;	/* START, CANCEL_ATTEMPT, WON */
	const dn_error *err;	/* CANCEL_ATTEMPT: why (DN_ETIMEDOUT for the
				 * attempt or overall timeout, DN_ECANCELED
				 * when another won or the race was cancelled);
				 * FAILED: code and the sentence listing every
				 * address tried */
	uint64_t wakeup_at;	/* NONE: absolute ns; DN__RACE_NEVER: none */
} dn__race_action;

typedef enum dn__race_attempt_state {
	DN__ATTEMPT_RUNNING,
	DN__ATTEMPT_FAILED,	/* reported failed, or over attempt_timeout */
	DN__ATTEMPT_CANCELED,	/* another won, overall timeout, cancel */
	DN__ATTEMPT_WON
} dn__race_attempt_state;

/* One address tried. Times are ns since the race began. */
typedef struct dn__race_attempt {
	unsigned id;
	dn_addr addr;
	dn__race_attempt_state state;
	uint64_t started;
	uint64_t ended;		/* DN__RACE_NEVER while running */
	dn_error err;		/* FAILED, CANCELED: its own reason */
} dn__race_attempt;

/*
 * A race that begins now. host (may be NULL) only names the target in
 * messages. Queues the QUERY actions: AAAA first, then A (§3), for the
 * families the policy wants. NULL with err on a bad policy or no memory.
 */
dn__race *dn__race_new(const dn__race_policy *p, const char *host,
    uint64_t now, dn_error *err);
void dn__race_free(dn__race *r);

/*
 * Events. Each returns 0 when taken, -1 when the race does not want it:
 * over, an id it does not know or has already closed, a family it did not
 * ask for or already has. An answer with no usable address counts as
 * DN_ENODATA. Running out of memory fails the race (FAILED, DN_ENOMEM).
 */
int dn__race_on_answer(dn__race *r, uint64_t now, int family,
    const dn_addr *addrs, size_t n);
/* code: DN_ENODATA, DN_ENONAME, DN_ESERVFAIL, DN_EDNSTIMEOUT, ...; msg
 * may be NULL (dn_strerror(code) is used). */
int dn__race_on_answer_error(dn__race *r, uint64_t now, int family,
    dn_err code, const char *msg);
/* err NULL means DN_ECONNECT. */
int dn__race_on_attempt_failed(dn__race *r, uint64_t now, unsigned id,
    const dn_error *err);
int dn__race_on_attempt_connected(dn__race *r, uint64_t now, unsigned id);
/* Cancels everything: CANCEL_ATTEMPT/CANCEL_QUERY for what is in flight,
 * then FAILED with DN_ECANCELED. Ignored (-1) once the final action is
 * decided. */
int dn__race_on_cancel(dn__race *r, uint64_t now);

/* Fills out and returns its kind. Call until DN__RACE_NONE. */
dn__race_action_kind dn__race_next_action(dn__race *r, uint64_t now,
    dn__race_action *out);

/* 1 once the final action has been handed out. */
int dn__race_done(const dn__race *r);
/* 1 when an answer has already given a: another answer repeating it is
 * dropped, so a's first source is the one it keeps. */
int dn__race_holds(const dn__race *r, const dn_addr *a);
/* Every attempt so far, in start order (id = index + 1). */
const dn__race_attempt *dn__race_attempts(const dn__race *r, size_t *n);

/*
 * The code for "every attempt failed" (the summary's exit status): any
 * refused -> DN_EREFUSED; else any unreachable -> DN_EUNREACH; else any
 * other exit-69 error -> DN_ECONNECT; else any timeout -> DN_ETIMEDOUT;
 * else the first attempt's own code (DN_ELOCAL...). So a mix of refused
 * and timed out gives 69: something answered, the service is not there.
 * Running and won attempts are not counted. No attempt: DN_ECONNECT.
 */
dn_err dn__race_failure_code(const dn__race_attempt *a, size_t n);

/*
 * The plan for dnconnect --plan: the attempts in the order the race makes
 * them when both answers (v6 then v4) come at t=0 and every address is a
 * black hole, with the time (ns from the start) each one would begin, or
 * DN__RACE_NEVER when it would wait on the previous one forever (serial,
 * no attempt timeout) or begin after the overall timeout. *out is
 * malloc'ed, the caller frees it. Filtered families are left out.
 */
typedef struct dn__race_plan_entry {
	dn_addr addr;
	uint64_t start;
} dn__race_plan_entry;

int dn__race_plan(const dn__race_policy *p, const dn_addr *v6, size_t n6,
    const dn_addr *v4, size_t n4, dn__race_plan_entry **out, size_t *nout,
    dn_error *err);

/* ------------------------------------------------------------------ */
/* RFC 6724 destination address selection (rfc6724.c)                */
/* ------------------------------------------------------------------ */

/*
 * Source lookup for dst: fills *src with the source address the system
 * would use, and may set *prefixlen to that source's prefix length (it is
 * -1 on entry: unknown); returns -1 when dst has no usable source (no
 * route: Rule 1). Implemented by the caller (a connected UDP socket and
 * getsockname()), so that this file stays free of I/O.
 */
typedef int (*dn__rfc6724_source_fn)(const dn_addr *dst, dn_addr *src,
    int *prefixlen, void *arg);

/* §2.1 default policy table (IPv4 as v4-mapped), and scopes (§3.1,
 * §3.2: 1 interface, 2 link, 5 site, 14 global). */
int dn__rfc6724_precedence(const dn_addr *a);
int dn__rfc6724_label(const dn_addr *a);
int dn__rfc6724_scope(const dn_addr *a);
/* CommonPrefixLen of §2.2, capped at maxbits; -1 across families. */
int dn__rfc6724_common_prefix(const dn_addr *a, const dn_addr *b,
    int maxbits);

/*
 * Sorts addrs by §6 rules 1, 2, 5, 6, 8, 9 and 10 (3, 4 and 7 need what
 * the system does not tell us). source may be NULL: every destination then
 * has an unknown source and only rules 6, 8 and 10 decide. Rule 9 applies
 * within one family: IPv6 capped at the source's prefix length (64 when
 * unknown), IPv4 only when the source lookup gave a prefix length, since
 * comparing whole IPv4 addresses would undo DNS round robin. -1 (addrs
 * untouched) when out of memory.
 */
int dn__rfc6724_sort(dn_addr *addrs, size_t n, dn__rfc6724_source_fn source,
    void *arg);

/* Adapter for dn__race_policy.sort: sort_arg points to this. */
typedef struct dn__rfc6724_hook {
	dn__rfc6724_source_fn source;
	void *arg;
} dn__rfc6724_hook;
void dn__rfc6724_race_sort(dn_addr *addrs, size_t n, void *hook);

#endif /* DN_RACE_H */
