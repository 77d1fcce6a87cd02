/*
 * dgram.h - what dnudp and dnmcast share: printing received datagrams
 * (line, raw, hex, --from), their trace and JSON events, and reading
 * standard input as datagrams (lines or raw chunks).
 */
#ifndef DN_DGRAM_H
#define DN_DGRAM_H

#include <stddef.h>

#include "cli.h"

/* Long options both programs take; each numbers its own after these. */
enum {
	DGRAM_OPT_COUNT = CLI_OPT_FIRST_PRIVATE,
	DGRAM_OPT_FROM,
	DGRAM_OPT_HEX,
	DGRAM_OPT_MAX_SIZE,
	DGRAM_OPT_RAW,
	DGRAM_OPT_FIRST_PRIVATE
};

/* Largest UDP payload over IPv4 (65535 - 20 - 8): a --raw chunk. */
#define DGRAM_CHUNK_MAX	65507
/* Longest stdin line taken as one datagram in line mode. */
#define DGRAM_LINE_MAX	65535

typedef struct dgram_out {
	int raw;		/* --raw */
	int hex;		/* --hex */
	int from;		/* --from */
	size_t max_size;	/* --max-size, default 65535 */
	long long count;	/* --count, 0: none */
	int turn_flush;		/* 1: the caller calls dgram_flush() after
				 * each loop turn, not a write per datagram */
} dgram_out;

void dgram_out_init(dgram_out *o);
/* Writes what dgram_print() left in stdout's buffer (turn_flush). */
int dgram_flush(dn_error *err);
/* Handles --count --from --hex --max-size --raw: 1 taken, 0 not ours,
 * -1 a bad value (reported). */
int dgram_opt(const cli *c, dgram_out *o, int ch, const char *arg);

/* "eth0", or NULL when the index is 0 or unknown. */
const char *dgram_ifname(unsigned ifindex, char *buf, size_t len);

/*
 * Prints dg on stdout as o says, after the -v/--json "datagram" event and
 * the truncation report. -1 when stdout failed (err: DN_EIO).
 */
int dgram_print(const cli *c, const dgram_out *o, const dn_datagram *dg,
    dn_error *err);

/* -v "sent N bytes to X" / {"event":"sent","address":X,"bytes":N}. */
void dgram_report_sent(const cli *c, const dn_addr *to, size_t len);

/* "PROG: listening on X" with (v6only)/(dual-stack), or the JSON event. */
void dgram_report_listening(const cli *c, dn_udp *u);

/*
 * Standard input as datagrams: each line without its "\n" (raw: each
 * read() chunk of up to DGRAM_CHUNK_MAX bytes). cb returns -1 to stop;
 * eof runs once at end of input or on a read error (err set), never
 * after dgram_in_free(). Regular files and /dev/null, which epoll refuses,
 * are read one chunk per loop turn.
 */
typedef struct dgram_in dgram_in;
/* A closed stdin becomes /dev/null: call before opening anything. */
void dgram_stdin_guard(void);
typedef int (*dgram_in_cb)(const void *buf, size_t len, void *arg);
typedef void (*dgram_eof_cb)(const dn_error *err, void *arg);
dgram_in *dgram_in_start(dn_reactor *r, int fd, int raw, dgram_in_cb cb,
    dgram_eof_cb eof, void *arg, dn_error *err);
/* While paused no input is read (a full send queue); 0 resumes. */
void dgram_in_pause(dgram_in *in, int paused);
void dgram_in_free(dgram_in *in);

#endif /* DN_DGRAM_H */
