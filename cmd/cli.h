/*
 * cli.h - what the dualnet programs share: options common to all, the -v
 * trace and --json events, number parsing and exit codes. Only cmd/ prints.
 */
#ifndef DN_CLI_H
#define DN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "dualnet.h"

/* sysexits used by the contract (DESIGN.md "Programs"). */
#define CLI_ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

#define EX_OK_		0
#define EX_USAGE_	64
#define EX_NOHOST_	68
#define EX_UNAVAIL_	69
#define EX_OSERR_	71
#define EX_IOERR_	74
#define EX_TEMPFAIL_	75

typedef struct cli {
	const char *prog;
	int verbose;		/* -v */
	int json;		/* --json */
	int quiet;		/* -q */
	int family;		/* -4/-6: AF_INET, AF_INET6, AF_UNSPEC */
	const char *scope;	/* -I */
	uint64_t timeout_ns;	/* -w */
	uint64_t t0;		/* CLOCK_MONOTONIC at start, ns */
} cli;

/* Long options every program takes, beside its own. */
enum {
	CLI_OPT_JSON = 0x100,
	CLI_OPT_VERSION,
	CLI_OPT_HELP,
	CLI_OPT_FIRST_PRIVATE	/* programs number their own from here */
};

void cli_init(cli *c, const char *prog);
/* Handles -4 -6 -I -q -v -w --json; 1 if taken, 0 if not ours, -1 on a
 * bad value (already reported). */
int cli_common_opt(cli *c, int ch, const char *arg);

/* Seconds since start. */
double cli_elapsed(const cli *c);

/* "-v" line: "prog: +0.052s text". */
void cli_trace(const cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A one-line message on stderr, "prog: text", unless -q. */
void cli_warn(const cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports err (text, or the JSON "error" event) and returns its exit code. */
int cli_fail(const cli *c, const dn_error *err);
/* Reports a usage problem and returns 64. */
int cli_usage_fail(const cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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
/* 1..65535 (0 too when allow_zero), or a service name from /etc/services. */
int cli_parse_port(const char *s, int allow_zero, uint16_t *port,
    dn_error *err);
int cli_parse_flowlabel(const char *s, uint32_t *label, dn_error *err);
long long cli_parse_num(const char *s, const char *what, long long min,
    long long max, dn_error *err, int *okp);

void cli_version(const cli *c);

/* Blocks nothing, ignores SIGPIPE: writes to a closed peer become EPIPE. */
void cli_signals_default(void);

#endif /* DN_CLI_H */
