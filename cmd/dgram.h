/*
 * dgram.h - what dnudp and dnmcast share: the socket, loop, signals and
 * timer of a run, printing received datagrams (line, raw, hex, --from),
 * their trace and JSON events, and reading standard input as datagrams.
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

/* Writes what dgram_print() left in stdout's buffer (turn_flush). */
int dgram_flush(dn_error *err);

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

/*
 * A run of either program: the first member of its own state, which its
 * hooks cast back to. The hooks tell the programs apart.
 */
typedef struct dgram_prog dgram_prog;
struct dgram_prog {
	cli c;
	dgram_out out;
	dn_reactor *r;
	dn_udp *u;
	dn_udp_all *all;	/* dnudp -l --all-interfaces: instead of u */
	dn_dgram_open_req *open_rq;	/* until the endpoint is open */
	int listening;		/* it listens: its sockets are reported */
	dn_acl *acl;		/* --allow/--deny: datagrams from others drop */
	dgram_in *in;		/* standard input, while it lasts */
	dn_timer *timer;
	dn_signal *sigs[2];	/* SIGINT, SIGTERM */
	int draining;
	int done;
	int rv;
	/* a socket error as an exit code, in the program's own words */
	int (*fail)(dgram_prog *p, const dn_error *err);
	/* the endpoint is open (p->u or p->all set): 0, or the exit code */
	int (*opened)(dgram_prog *p, const dn_dgram_opened *o);
	/* a datagram has been printed; u is the socket it came to */
	void (*received)(dgram_prog *p, dn_udp *u, const dn_datagram *dg);
	/* input ended and all of it left; NULL: exit 0 */
	void (*all_sent)(dgram_prog *p);
	/* sends what was gathered, after each turn and at end of input;
	 * -1 once finished; NULL: each datagram leaves as it is read */
	int (*flush)(dgram_prog *p);
	/* the timer ran out; NULL: "no datagram arrived for SEC (-w)" */
	void (*expired)(dgram_prog *p);
};

/* cli_init() and the output defaults; SIGPIPE and a closed stdin. */
void dgram_prog_init(dgram_prog *p, const char *prog);
/* cli_getopt() with --count --from --hex --max-size --raw taken too. */
int dgram_getopt(dgram_prog *p, int argc, char **argv,
    const char *optstring, const struct option *longopts);
/* The reactor and the SIGINT/SIGTERM watchers: 0, or the exit code. */
int dgram_prog_start(dgram_prog *p);
/* Turns the loop until dgram_finish(); p->rv is the exit code. */
void dgram_prog_run(dgram_prog *p);
void dgram_prog_free(dgram_prog *p);
/* Stops the loop with rv; the first call decides. */
void dgram_finish(dgram_prog *p, int rv);

/* Opens ep as opts say (dn_dgram_endpoint_open()); once open, p->u or
 * p->all is set, a LISTEN or LISTEN_ALL endpoint's sockets each print a
 * "listening on" line, and p->opened goes on: 0, or the exit code. */
int dgram_open(dgram_prog *p, const dn_dgram_endpoint *ep,
    const dn_dgram_open_opts *opts);
/* The program's sockets, p->u or p->all's, in an array to free; NULL
 * (*n 0) when there is none or no memory. */
dn_udp **dgram_socks(const dgram_prog *p, size_t *n);
/* Received datagrams (on p->u or p->all) that p->acl admits go to
 * dgram_print() and p->received: 0, or the exit code. */
int dgram_recv_start(dgram_prog *p);
/* Standard input, as datagrams, to cb(buf, len, p): 0, or the exit code. */
int dgram_input_start(dgram_prog *p, dgram_in_cb cb);
/* After sending: past a high mark queued, input waits for the queue.
 * -1 once finished. */
int dgram_throttle(dgram_prog *p);
/* Waits for the queue to leave, then resumes input or ends: -1 once
 * finished. */
int dgram_drain(dgram_prog *p);
/* Restarts the timer for ns (0: the next turn). */
void dgram_timer_restart(dgram_prog *p, uint64_t ns);
/* With -w, restarts it for the -w time. */
void dgram_idle_restart(dgram_prog *p);

#endif /* DN_DGRAM_H */
