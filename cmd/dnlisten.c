/*
 * dnlisten - TCP server: listen on [ADDR] PORT or a description, then relay
 * stdin/stdout (nc -l style) or run a command per connection (-e).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_BACKLOG = CLI_OPT_FIRST_PRIVATE,
	OPT_MAX_CONNS,
	OPT_ONCE
};

typedef struct child {
	struct child *next;
	pid_t pid;
	char peer[DN_ADDR_STRLEN];
} child;

typedef struct srv {
	cli c;
	dn_reactor *r;
	dn_listener *l;
	dn_timer *wait_timer;	/* -w: until the first connection */
	dn_signal *sigs[3];
	const char *cmd;	/* -e */
	int keep;		/* -k */
	int once;		/* --once */
	dn_acl *acl;		/* --allow, --deny */
	long long max_conns;	/* --max-conns, 0: none */
	long long live;		/* -e commands running */
	int full;		/* paused at --max-conns */
	int drop_warned;	/* a dropped connection was said */
	child *children;
	int done;
	int rv;
} srv;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dnlisten [-46hkqv] [-e CMD] [-I IFACE] [-w SEC] "
	    "[--backlog N] [--once]\n"
	    "                [--v6only | --dual-stack] [--json] [--max-conns N]\n"
	    "                [--allow PREFIX] [--deny PREFIX] [--allow-file FILE]\n"
	    "                [--deny-file FILE] [ADDR] PORT\n"
	    "       dnlisten [options] ADDR:PORT\n"
	    "       dnlisten [options] DESCRIPTION\n"
	    "       dnlisten [options] --all-interfaces [--skip-unavailable] PORT\n"
	    "       dnlisten --version\n"
	    "\n"
	    "  -4, -6              IPv4 or IPv6 only; default ADDR 0.0.0.0 or ::\n"
	    "  -e CMD              run CMD with /bin/sh -c per connection, socket as stdin/stdout\n"
	    "  -I IFACE            scope for a link-local ADDR given without one;\n"
	    "                      with --all-interfaces, the one interface to listen on\n"
	    "  -k                  keep accepting after a connection ends\n"
	    "  -q                  quiet: no 'listening on' line, no error messages\n"
	    "  -v                  trace connections on stderr with times since start\n"
	    "  -w SEC              give up if no connection arrives within SEC seconds\n"
	    "  --all-interfaces    listen on every address of every interface, following them\n"
	    "  --allow PREFIX      admit only peers in PREFIX (repeatable; fe80::/64%%eth0)\n"
	    "  --allow-file FILE   --allow each prefix in FILE, one a line, # comments\n"
	    "  --backlog N         listen backlog (1..65535)\n"
	    "  --deny PREFIX       refuse peers in PREFIX (repeatable)\n"
	    "  --deny-file FILE    --deny each prefix in FILE\n"
	    "  --dual-stack        on an IPv6 wildcard, accept IPv4 too\n"
	    "  --json              events as JSON lines on stderr\n"
	    "  --max-conns N       with -k -e: at N running commands, stop accepting\n"
	    "  --once              one connection, then exit with its status\n"
	    "  --skip-unavailable  --all-interfaces: leave out addresses where PORT is taken\n"
	    "  --v6only            on an IPv6 wildcard, IPv6 only\n"
	    "  -h, --help          this help\n"
	    "  --version           print the version\n");
}

static void
finish(srv *sv, int rv)
{
	sv->rv = rv;
	sv->done = 1;
	dn_reactor_stop(sv->r);
}

static void
report_closed(srv *sv, const char *peer, const dn_relay_stats *st)
{
	cli_json j;

	if (sv->c.json) {
		cli_json_begin(&sv->c, &j, "closed");
		cli_json_str(&j, "peer", peer);
		cli_json_uint(&j, "bytes_sent", st->bytes_out);
		cli_json_uint(&j, "bytes_received", st->bytes_in);
		cli_json_end(&sv->c, &j);
	} else
		cli_trace(&sv->c, "closed %s: sent %llu bytes, received %llu "
		    "bytes", peer, (unsigned long long)st->bytes_out,
		    (unsigned long long)st->bytes_in);
}

typedef struct relay_ctx {
	srv *sv;
	char peer[DN_ADDR_STRLEN];
} relay_ctx;

static void
relay_done(dn_relay *rl, const dn_relay_stats *st, const dn_error *err,
    void *arg)
{
	relay_ctx *rc = arg;
	srv *sv = rc->sv;
	dn_error e;
	int rv = 0;

	report_closed(sv, rc->peer, st);
	free(rc);
	/* A signal closed everything on purpose: that is exit 0, not an
	 * error of this connection. */
	if (err != NULL && !(sv->done && err->code == DN_ECANCELED))
		rv = cli_fail(&sv->c, err);
	if (sv->done)
		return;
	if (sv->keep && !sv->once) {
		if (dn_listener_pause(sv->l, 0, &e) == -1)
			finish(sv, cli_fail(&sv->c, &e));
		return;
	}
	finish(sv, rv);
}

/* The connection's variables for -e: DN_PEER, DN_PEER_ADDR, DN_PEER_PORT,
 * DN_PEER_SCOPE, DN_LOCAL, DN_LOCAL_ADDR, DN_LOCAL_PORT. */
#define CONN_VARS	7
typedef char conn_var[sizeof("DN_PEER_SCOPE=") + DN_ADDR_STRLEN];

static void
conn_addr_vars(conn_var *v, const char *prefix, const dn_addr *a)
{
	char buf[DN_ADDR_STRLEN];

	snprintf(v[0], sizeof(v[0]), "%s=%s", prefix,
	    dn_addr_format(a, buf, sizeof(buf)));
	snprintf(v[1], sizeof(v[1]), "%s_ADDR=%s", prefix,
	    dn_addr_format_host(a, buf, sizeof(buf)));
	snprintf(v[2], sizeof(v[2]), "%s_PORT=%u", prefix, dn_addr_port(a));
}

/*
 * The command's environment: ours without any DN_PEER or DN_LOCAL
 * variable, then the connection's (the strings in v). NULL without memory.
 */
static char **
conn_env(conn_var *v, const dn_addr *pa, const dn_addr *la)
{
	extern char **environ;
	char scope[DN_ADDR_STRLEN], **env;
	size_t n = 0, i, k = 0;

	conn_addr_vars(v, "DN_PEER", pa);
	dn_addr_format_scope(pa, scope, sizeof(scope));
	snprintf(v[3], sizeof(v[3]), "DN_PEER_SCOPE=%s", scope);
	conn_addr_vars(v + 4, "DN_LOCAL", la);
	while (environ != NULL && environ[n] != NULL)
		n++;
	if ((env = calloc(n + CONN_VARS + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "DN_PEER", 7) != 0 &&
		    strncmp(environ[i], "DN_LOCAL", 8) != 0)
			env[k++] = environ[i];
	for (i = 0; i < CONN_VARS; i++)
		env[k++] = v[i];
	return env;
}

/*
 * Runs sv->cmd with the connection as stdin and stdout; the stream is
 * gone afterwards, whatever happened. posix_spawn, not
 * fork: glibc's shares our memory with the child until the exec (clone
 * with CLONE_VM), where fork copies the page tables and makes us take a
 * copy-on-write fault for every page we write while the child lives: a
 * sixth of a keep-open server's rate in a VM (bench/accept.sh, -e).
 */
static int
spawn(srv *sv, dn_stream *s, const char *peer)
{
	/* posix_spawn's argv is not const for history's sake; it is not
	 * written to */
	char *argv[] = { "sh", "-c", (char *)sv->cmd, NULL }, **env;
	conn_var v[CONN_VARS];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, pipe;
	child *ch;
	pid_t pid;
	int fd, rv;

	if ((ch = calloc(1, sizeof(*ch))) == NULL ||
	    (env = conn_env(v, dn_stream_peer(s), dn_stream_local(s))) ==
	    NULL) {
		rv = errno;
		free(ch);
		dn_stream_close(s);
		errno = rv;
		return -1;
	}
	/* blocking again, as ordinary programs want their stdin and stdout;
	 * the accept4() flag closes fd itself in the child at the exec */
	fd = dn_stream_detach(s, NULL);
	/* The reactor blocks signals for signalfd and we ignore SIGPIPE;
	 * both would be inherited across exec. */
	sigemptyset(&none);
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if ((rv = posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO)) ==
	    0 && (rv = posix_spawn_file_actions_adddup2(&fa, fd,
	    STDOUT_FILENO)) == 0 && (rv = posix_spawnattr_setflags(&at,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (rv = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
	    (rv = posix_spawnattr_setsigdefault(&at, &pipe)) == 0)
		rv = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	free(env);
	if (rv != 0) {
		free(ch);
		errno = rv;
		return -1;
	}
	ch->pid = pid;
	strlcpy(ch->peer, peer, sizeof(ch->peer));
	ch->next = sv->children;
	sv->children = ch;
	return 0;
}

/*
 * --max-conns: at the limit the listening sockets pause and the kernel's
 * backlog holds the next clients; below it they accept again.
 */
static void
max_conns_check(srv *sv)
{
	dn_error e;
	int full = sv->max_conns > 0 && sv->live >= sv->max_conns;

	if (full == sv->full || sv->l == NULL || sv->done)
		return;
	if (dn_listener_pause(sv->l, full, &e) == -1) {
		finish(sv, cli_fail(&sv->c, &e));
		return;
	}
	sv->full = full;
	cli_report_max_conns(&sv->c, full, sv->live, sv->max_conns);
}

static void
reap(srv *sv)
{
	child **pp, *ch;
	cli_json j;
	pid_t pid;
	int status, code;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (pp = &sv->children; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->pid == pid)
				break;
		if ((ch = *pp) == NULL)
			continue;
		*pp = ch->next;
		code = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
		if (sv->c.json) {
			cli_json_begin(&sv->c, &j, "exited");
			cli_json_str(&j, "peer", ch->peer);
			cli_json_int(&j, "status", code);
			cli_json_end(&sv->c, &j);
		} else if (WIFEXITED(status))
			cli_trace(&sv->c, "command for %s exited with status %d",
			    ch->peer, code);
		else
			cli_trace(&sv->c, "command for %s killed by signal %d",
			    ch->peer, WTERMSIG(status));
		free(ch);
		sv->live--;
		if (!sv->keep || sv->once)
			finish(sv, sv->once ? code : 0);
		else
			max_conns_check(sv);
	}
}

/*
 * A connection that cannot be served - fork() failed (EAGAIN at a process
 * limit, ENOMEM), or no memory for its relay - is closed unserved. Said
 * once as a warning, and for each with -v or --json, so that a server at
 * its limit does not flood stderr; a keep-open server goes on.
 */
static void
dropped(srv *sv, const char *peer, const char *reason, int err)
{
	char what[64];
	cli_json j;

	if (strcmp(reason, "fork") == 0)
		snprintf(what, sizeof(what), "cannot run '%.40s%s'", sv->cmd,
		    strlen(sv->cmd) > 40 ? "..." : "");
	else
		snprintf(what, sizeof(what), "cannot relay");
	if (sv->c.json) {
		cli_json_begin(&sv->c, &j, "dropped");
		cli_json_str(&j, "peer", peer);
		cli_json_str(&j, "reason", reason);
		cli_json_str(&j, "message", strerror(err));
		cli_json_end(&sv->c, &j);
	} else if (sv->c.verbose)
		cli_trace(&sv->c, "%s for %s: %s; connection dropped", what,
		    peer, strerror(err));
	else if (!sv->drop_warned || !sv->keep || sv->once)
		cli_warn(&sv->c, "%s for %s: %s%s", what, peer, strerror(err),
		    sv->keep && !sv->once ? "; dropping connections while "
		    "this lasts (-v says each)" : "");
	sv->drop_warned = 1;
	if (!sv->keep || sv->once)
		finish(sv, EX_OSERR_);
}

static void
accepted(dn_listener *l, dn_stream *s, void *arg)
{
	srv *sv = arg;
	char peer[DN_ADDR_STRLEN], local[DN_ADDR_STRLEN];
	relay_ctx *rc;
	cli_json j;
	dn_error e;

	/* refused before anything else: it never counts as the one
	 * connection of nc -l, nor runs -e */
	if (!dn_acl_empty(sv->acl) && !cli_acl_admit(&sv->c, sv->acl,
	    "connection", dn_stream_peer(s), dn_stream_local(s))) {
		dn_stream_close(s);
		return;
	}
	dn_timer_cancel(sv->wait_timer);
	sv->wait_timer = NULL;
	/* formatted only for what is said of it: a keep-open server that
	 * traces nothing spends no time (nor a getsockname) on names */
	peer[0] = '\0';
	if (sv->c.verbose || sv->c.json || sv->cmd != NULL)
		dn_addr_format(dn_stream_peer(s), peer, sizeof(peer));
	if (sv->c.json) {
		dn_addr_format(dn_stream_local(s), local, sizeof(local));
		cli_json_begin(&sv->c, &j, "accepted");
		cli_json_str(&j, "local", local);
		cli_json_str(&j, "peer", peer);
		cli_json_end(&sv->c, &j);
	} else if (sv->c.verbose) {
		dn_addr_format(dn_stream_local(s), local, sizeof(local));
		cli_trace(&sv->c, "connection from %s to %s", peer, local);
	}

	/* nc -l: without -k the listening socket goes once one is taken. */
	if (!sv->keep || sv->once) {
		dn_listener_close(sv->l);
		sv->l = NULL;
	}
	if (sv->cmd != NULL) {
		/* The listener accepts a burst before the SIGCHLD watcher
		 * is read: commands that ended meanwhile would stay zombies
		 * (and count against --max-conns and the process limit)
		 * until the whole burst was forked. */
		if (sv->live > 0)
			reap(sv);
		/* one connection's failure never ends a keep-open server:
		 * the next may find a process slot free */
		if (spawn(sv, s, peer) == -1) {
			dropped(sv, peer, "fork", errno);
			return;
		}
		sv->live++;
		max_conns_check(sv);
		return;
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		dropped(sv, peer, "memory", errno);
		dn_stream_close(s);
		return;
	}
	rc->sv = sv;
	strlcpy(rc->peer, peer, sizeof(rc->peer));
	/* nc -k serves one connection at a time; the next waits in the
	 * backlog until this one ends. */
	if (sv->l != NULL && dn_listener_pause(sv->l, 1, &e) == -1) {
		free(rc);
		dn_stream_close(s);
		finish(sv, cli_fail(&sv->c, &e));
		return;
	}
	/* stdin and stdout stay what they were: looked at once, not for
	 * every connection */
	if (dn_relay_start(sv->r, s, STDIN_FILENO, STDOUT_FILENO,
	    DN_RELAY_SAME_FILES, relay_done, rc, &e) == NULL) {
		free(rc);
		finish(sv, cli_fail(&sv->c, &e));
	}
}

static void
on_signal(dn_signal *sg, int signo, void *arg)
{
	srv *sv = arg;
	child *ch;

	if (signo == SIGCHLD) {
		reap(sv);
		return;
	}
	/* SIGINT/SIGTERM: close everything and exit 0 (DESIGN.md). */
	for (ch = sv->children; ch != NULL; ch = ch->next)
		kill(ch->pid, SIGTERM);
	cli_trace(&sv->c, "%s: closing", strsignal(signo));
	finish(sv, 0);
}

static void
wait_expired(dn_timer *t, int cancelled, void *arg)
{
	srv *sv = arg;
	dn_error e;

	if (cancelled)
		return;
	sv->wait_timer = NULL;
	e.code = DN_ETIMEDOUT;
	e.os_errno = 0;
	snprintf(e.msg, sizeof(e.msg), "no connection arrived within %.3fs "
	    "(-w)", (double)sv->c.timeout_ns / 1e9);
	finish(sv, cli_fail(&sv->c, &e));
}

/* Options that only make sense together, checked once all are read. */
static int
check_opts(srv *sv, int all, int skip, int argc, char **argv)
{
	if (sv->once && sv->keep)
		return cli_usage_fail(&sv->c, "--once and -k contradict each "
		    "other: give one");
	if (sv->max_conns > 0 && (!sv->keep || sv->cmd == NULL))
		return cli_usage_fail(&sv->c, "--max-conns goes with -k -e: "
		    "without -e one connection is served at a time");
	if (sv->cmd != NULL && *sv->cmd == '\0')
		return cli_usage_fail(&sv->c, "-e needs a command: give e.g. "
		    "-e cat");
	if (skip && !all)
		return cli_usage_fail(&sv->c, "--skip-unavailable goes with "
		    "--all-interfaces (or all:PORT:skip-unavailable=yes)");
	if (all && sv->c.v6only >= 0)
		return cli_usage_fail(&sv->c, "%s does not go with "
		    "--all-interfaces: it binds each address on its own, IPv6 "
		    "ones v6only", sv->c.v6only ? "--v6only" : "--dual-stack");
	if (argc < 1)
		return cli_usage_fail(&sv->c, "missing port: give [ADDR] PORT, "
		    "ADDR:PORT or a description (see dnlisten -h)");
	if (all && argc > 1)
		return cli_usage_fail(&sv->c, "--all-interfaces takes the port "
		    "alone, not an address: give --all-interfaces PORT");
	if (argc > 2)
		return cli_usage_fail(&sv->c, "too many arguments, from '%s' "
		    "on: give [ADDR] PORT, ADDR:PORT or a description",
		    argv[2]);
	return 0;
}

/*
 * The listening port from the arguments: a description (all: among
 * them), --all-interfaces PORT, or [ADDR] PORT. Prints what it listens on.
 */
static int
open_port(srv *sv, int argc, char **argv, int all, int skip, int backlog)
{
	dn_endpoint_defaults defs;
	dn_server_endpoint *ep = NULL;
	dn_all_opts ao;
	dn_listen_opts lo;
	dn_addr local, *addrs = NULL;
	char desc[32];
	const char *text = argv[0];
	size_t i, n;
	uint16_t port;
	dn_error e;
	int rc = 0;

	dn_endpoint_defaults_init(&defs);
	defs.default_scope = sv->c.scope;
	defs.family = sv->c.family;
	defs.v6only = sv->c.v6only;
	defs.backlog = backlog;
	defs.listen_event = cli_listen_event;
	defs.listen_event_arg = &sv->c;
	dn_all_opts_init(&ao);
	ao.family = sv->c.family;
	ao.skip_unavailable = skip;
	ao.event = cli_listen_event;
	ao.event_arg = &sv->c;
	defs.all = &ao;
	if (all) {
		if (dn_desc_is_description(text))
			return cli_usage_fail(&sv->c, "--all-interfaces takes "
			    "a port, not the description '%s'", text);
		if (cli_parse_port(text, 1, &port, &e) == -1)
			return cli_fail(&sv->c, &e);
		/* -I is all:'s interface= (default_scope above) */
		snprintf(desc, sizeof(desc), "all:%u", port);
		text = desc;
	}
	if (argc == 1 && dn_desc_is_description(text)) {
		if ((ep = dn_server_endpoint_parse(text, &defs, &e)) == NULL)
			return cli_fail(&sv->c, &e);
	} else {
		if ((rc = cli_listen_args(&sv->c, argc, argv, &local)) != 0)
			return rc;
		memset(&lo, 0, sizeof(lo));
		lo.backlog = backlog;
		lo.v6only = sv->c.v6only;
		lo.event = cli_listen_event;
		lo.event_arg = &sv->c;
		if ((ep = dn_server_endpoint_new_addr(&local, &lo, &e)) == NULL)
			return cli_fail(&sv->c, &e);
	}
	sv->l = dn_server_endpoint_listen(sv->r, ep, accepted, sv, &e);
	dn_server_endpoint_free(ep);
	if (sv->l == NULL)
		return cli_fail(&sv->c, &e);
	n = dn_listener_addrs(sv->l, NULL, 0);
	if ((addrs = calloc(n, sizeof(*addrs))) == NULL)
		return cli_failf(&sv->c, DN_ENOMEM, errno, "out of memory");
	n = dn_listener_addrs(sv->l, addrs, n);
	/* one socket: what the kernel says (a wildcard may be dual-stack);
	 * each of an aggregate's IPv6 sockets is v6only */
	for (i = 0; i < n; i++)
		cli_report_listening(&sv->c, &addrs[i], n == 1 ?
		    dn_listener_v6only(sv->l) :
		    dn_addr_family(&addrs[i]) == AF_INET6 ? 1 : -1);
	free(addrs);
	return 0;
}

static const struct option longopts[] = {
	{ "all-interfaces", no_argument, NULL, CLI_OPT_ALL_INTERFACES },
	CLI_ACL_LONGOPTS,
	{ "backlog", required_argument, NULL, OPT_BACKLOG },
	{ "dual-stack", no_argument, NULL, CLI_OPT_DUAL_STACK },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "skip-unavailable", no_argument, NULL, CLI_OPT_SKIP_UNAVAILABLE },
	{ "v6only", no_argument, NULL, CLI_OPT_V6ONLY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, CLI_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const int signos[] = { SIGINT, SIGTERM, SIGCHLD };

/* What the options say about opening the port. */
typedef struct port_opts {
	int backlog;		/* --backlog, 0: the library's */
	int all;		/* --all-interfaces */
	int skip;		/* --skip-unavailable */
} port_opts;

/* The options: -1 to go on, or the exit status (0 after -h, --version). */
static int
parse_options(srv *sv, port_opts *o, int argc, char *argv[])
{
	int ch, rc, ok;
	dn_error e;

	while ((ch = cli_getopt(&sv->c, argc, argv, ":46e:hI:kqvw:", longopts,
	    NULL, NULL)) != -1) {
		switch (ch) {
		case 'e':
			sv->cmd = optarg;
			break;
		case 'k':
			sv->keep = 1;
			break;
		case CLI_OPT_ALL_INTERFACES:
			o->all = 1;
			break;
		case CLI_OPT_SKIP_UNAVAILABLE:
			o->skip = 1;
			break;
		case OPT_BACKLOG:
			o->backlog = (int)cli_parse_num(optarg, "--backlog", 1,
			    65535, &e, &ok);
			if (!ok)
				return cli_fail(&sv->c, &e);
			break;
		case OPT_MAX_CONNS:
			sv->max_conns = cli_parse_num(optarg, "--max-conns", 1,
			    1000000, &e, &ok);
			if (!ok)
				return cli_fail(&sv->c, &e);
			break;
		case OPT_ONCE:
			sv->once = 1;
			break;
		default:
			if ((rc = cli_acl_opt(&sv->c, &sv->acl, ch, optarg)) == 1)
				break;
			if (rc == -1)
				return EX_USAGE_;
			return cli_other_opt(&sv->c, ch, argv[optind - 1],
			    usage);
		}
	}
	return -1;
}

/* The port, the signals and the -w timer, then the loop: turn by turn
 * rather than dn_reactor_run(), as a running -e command is waited for
 * through SIGCHLD, and signal watchers do not keep a reactor running on
 * their own. The exit status. */
static int
serve(srv *sv, const port_opts *o, int argc, char *argv[])
{
	dn_error e;

	if ((sv->r = dn_reactor_new(&e)) == NULL)
		return cli_fail(&sv->c, &e);
	if ((sv->rv = open_port(sv, argc, argv, o->all, o->skip,
	    o->backlog)) != 0)
		return sv->rv;
	if ((sv->rv = cli_signals_watch(&sv->c, sv->r, signos,
	    CLI_ARRLEN(signos), sv->sigs, on_signal, sv)) != 0)
		return sv->rv;
	if (sv->c.timeout_ns != 0)
		sv->wait_timer = dn_timer_start(sv->r, sv->c.timeout_ns,
		    wait_expired, sv, NULL);
	while (!sv->done)
		if (dn_reactor_run_once(sv->r, -1, &e) == -1)
			return sv->rv = cli_fail(&sv->c, &e);
	return sv->rv;
}

int
main(int argc, char *argv[])
{
	port_opts o;
	child *next;
	srv sv;
	int rc;

	memset(&sv, 0, sizeof(sv));
	memset(&o, 0, sizeof(o));
	cli_init(&sv.c, "dnlisten");
	cli_signals_default();
	if ((rc = parse_options(&sv, &o, argc, argv)) == -1 &&
	    (rc = check_opts(&sv, o.all, o.skip, argc - optind,
	    argv + optind)) == 0)
		rc = serve(&sv, &o, argc - optind, argv + optind);
	dn_listener_close(sv.l);
	cli_signals_free(sv.sigs, CLI_ARRLEN(sv.sigs));
	dn_reactor_free(sv.r);
	dn_acl_free(sv.acl);
	for (; sv.children != NULL; sv.children = next) {
		next = sv.children->next;
		free(sv.children);
	}
	return rc;
}
