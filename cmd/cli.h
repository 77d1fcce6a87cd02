/*
 * cli.h - what the dualnet programs share: options common to all, the -v
 * trace and --json events, number parsing and exit codes. Only cmd/ prints.
 */
#ifndef DN_CLI_H
#define DN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "dualnet.h"

#define CLI_ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

/* sysexits used by the contract (DESIGN.md "Programs"). */
#define EX_OK_		0
#define EX_USAGE_	64
#define EX_NOHOST_	68
#define EX_UNAVAIL_	69
#define EX_SOFTWARE_	70
#define EX_OSERR_	71
#define EX_IOERR_	74
#define EX_TEMPFAIL_	75

typedef struct cli {
	const char *prog;
	int verbose;		/* -v */
	int json;		/* --json */
	int quiet;		/* -q */
	int family;		/* -4/-6: AF_INET, AF_INET6, AF_UNSPEC */
	int v6only;		/* --v6only 1, --dual-stack 0, else -1 */
	const char *scope;	/* -I */
	uint64_t timeout_ns;	/* -w */
	uint64_t t0;		/* CLOCK_MONOTONIC at start, ns */
} cli;

/* Long options every program takes, beside its own. */
enum {
	CLI_OPT_JSON = 0x100,
	CLI_OPT_VERSION,
	CLI_OPT_HELP,
	CLI_OPT_DUAL_STACK,	/* the listening programs' --dual-stack */
	CLI_OPT_V6ONLY,		/* and --v6only */
	CLI_OPT_ALL_INTERFACES,	/* and --all-interfaces */
	CLI_OPT_SKIP_UNAVAILABLE, /* and --skip-unavailable */
	CLI_OPT_ALLOW,		/* their access control (cli_acl_opt) */
	CLI_OPT_DENY,
	CLI_OPT_ALLOW_FILE,
	CLI_OPT_DENY_FILE,
	CLI_OPT_NAT64,		/* the clients' NAT64 (cli_nat64_opt) */
	CLI_OPT_NAT64_PREFIX,
	CLI_OPT_FIRST_PRIVATE	/* programs number their own from here */
};

/* The NAT64 options of the programs that connect or send. */
#define CLI_NAT64_LONGOPTS \
	{ "nat64", required_argument, NULL, CLI_OPT_NAT64 }, \
	{ "nat64-prefix", required_argument, NULL, CLI_OPT_NAT64_PREFIX }

/* --nat64 MODE and the --nat64-prefix PREFIX/LEN given (o.prefixes aims
 * at pfx); all zero is the default, auto with discovery. */
typedef struct cli_nat64 {
	dn_nat64_opts o;
	dn_prefix pfx[DN_NAT64_MAX_PREFIXES];
	const char *given;	/* the first NAT64 option given, or NULL */
} cli_nat64;

/* The access-control options, for a program's longopts. */
#define CLI_ACL_LONGOPTS \
	{ "allow", required_argument, NULL, CLI_OPT_ALLOW }, \
	{ "allow-file", required_argument, NULL, CLI_OPT_ALLOW_FILE }, \
	{ "deny", required_argument, NULL, CLI_OPT_DENY }, \
	{ "deny-file", required_argument, NULL, CLI_OPT_DENY_FILE }

/* cli_getopt(): an option's value was bad (reported). */
#define CLI_OPT_BAD	(-2)

struct option;

void cli_init(cli *c, const char *prog);
/* Handles -4 -6 -I -q -v -w --json --dual-stack --v6only; 1 if taken, 0
 * if not ours, -1 on a bad value (already reported). */
int cli_common_opt(cli *c, int ch, const char *arg);
/*
 * getopt_long() past what cli_common_opt() and then more(arg, ch, optarg)
 * (1 taken, 0 not, -1 bad; NULL: none) take: the next option for the
 * program's own switch, CLI_OPT_BAD, or -1 at the end.
 */
int cli_getopt(cli *c, int argc, char **argv, const char *optstring,
    const struct option *longopts,
    int (*more)(void *arg, int ch, const char *optarg), void *arg);
/*
 * The rest of a getopt_long() switch, alike in every program: -h prints
 * usage, --version the version (both 0); ':' and anything unknown are
 * usage errors, CLI_OPT_BAD one already reported (64). opt:
 * argv[optind - 1].
 */
int cli_other_opt(const cli *c, int ch, const char *opt,
    void (*usage)(FILE *));

/* Seconds since start. */
double cli_elapsed(const cli *c);

/* "-v" line: "prog: +0.052s text". */
void cli_trace(const cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A one-line message on stderr, "prog: text", unless -q. */
void cli_warn(const cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports err (text, or the JSON "error" event) and returns its exit code. */
/* A library message with the programs' option names in it (-I, -b). */
const char *cli_hint(const char *msg, char *buf, size_t len);
/* The contract's exit code for a library error: one table, by kind. */
int cli_sysexit(dn_err code);
int cli_fail(const cli *c, const dn_error *err);
/* Reports a usage problem and returns 64. */
int cli_usage_fail(const cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Fills err (code, os_errno, message) and returns -1. */
int cli_err(dn_error *err, dn_err code, int os_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* cli_err() then cli_fail(): the exit code. */
int cli_failf(const cli *c, dn_err code, int os_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "PROG: listening on X" with (v6only)/(dual-stack), or the JSON event. */
void cli_report_listening(const cli *c, const dn_addr *a, int v6only);
/* A listening port's events (arg: the cli): "listening on", "stopped
 * listening on" and failures always (but -q), the rest with -v/--json. */
void cli_listen_event(const dn_listen_event *ev, void *arg);
/* -v/--json: accepting paused or resumed for --max-conns. */
void cli_report_max_conns(const cli *c, int paused, long long live,
    long long max);

/*
 * --allow PREFIX, --deny PREFIX, --allow-file F, --deny-file F into *acl
 * (made on first use): 1 taken, 0 not ours, -1 bad (reported, 64).
 */
int cli_acl_opt(const cli *c, dn_acl **acl, int ch, const char *arg);
/* --nat64, --nat64-prefix into *n: 1 taken, 0 not ours, -1 bad (reported,
 * 64). */
int cli_nat64_opt(const cli *c, cli_nat64 *n, int ch, const char *arg);
/* 1: peer admitted; 0: refused, and said with -v/--json ("connection" or
 * "datagram" from peer to local). */
int cli_acl_admit(const cli *c, const dn_acl *acl, const char *what,
    const dn_addr *peer, const dn_addr *local);
/* -l [ADDR] PORT or ADDR:PORT (argc 1 or 2) into local: 0, or the exit
 * code (reported). */
int cli_listen_args(const cli *c, int argc, char **argv, dn_addr *local);

/*
 * JSON events, one object per line on stderr:
 *	cli_json j; cli_json_begin(c, &j, "connected");
 *	cli_json_str(&j, "local", text); ...; cli_json_end(c, &j);
 * "event" and "time" come first.
 */
typedef struct cli_json {
	char buf[4096];
	size_t len;
} cli_json;
void cli_json_begin(const cli *c, cli_json *j, const char *event);
void cli_json_str(cli_json *j, const char *key, const char *val);
void cli_json_addr(cli_json *j, const char *key, const dn_addr *a);
void cli_json_uint(cli_json *j, const char *key, uint64_t val);
void cli_json_int(cli_json *j, const char *key, long long val);
/* val: 1 true, 0 false, -1 null. */
void cli_json_bool(cli_json *j, const char *key, int val);
/* Opens a "key":[ array of strings; close with cli_json_array_end. */
void cli_json_array_begin(cli_json *j, const char *key);
void cli_json_array_str(cli_json *j, const char *val);
void cli_json_array_end(cli_json *j);
void cli_json_end(const cli *c, cli_json *j);

/* Trace hook for connect operations: -v lines and --json events. */
void cli_connect_trace(const dn_trace_event *ev, void *arg);

/* Numbers: each reports "PROG: OPT: ..." (64) through err on failure. */
int cli_parse_seconds(const char *s, const char *what, uint64_t *ns,
    dn_error *err);
/* dn_port_parse(): 1..65535 (0 too when allow_zero), or a service name
 * from /etc/services. */
int cli_parse_port(const char *s, int allow_zero, uint16_t *port,
    dn_error *err);
int cli_parse_flowlabel(const char *s, uint32_t *label, dn_error *err);
long long cli_parse_num(const char *s, const char *what, long long min,
    long long max, dn_error *err, int *okp);

void cli_version(const cli *c);

/* Blocks nothing, ignores SIGPIPE: writes to a closed peer become EPIPE. */
void cli_signals_default(void);
/* A watcher in sigs[i] for each of signos[0..n): 0, or the exit code
 * (reported); cli_signals_free() either way. */
int cli_signals_watch(const cli *c, dn_reactor *r, const int *signos,
    size_t n, dn_signal **sigs, dn_signal_cb cb, void *arg);
void cli_signals_free(dn_signal **sigs, size_t n);

#endif /* DN_CLI_H */
