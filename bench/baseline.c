/*
 * baseline.c - the plain C programs the bench/ scripts hold dualnet
 * against: a keep-open accept loop, an in-process connect loop, a UDP
 * read/sendto sender and a counting receiver, a one-shot connect, and a
 * feeder that hands a program one record per read(2). libc only, blocking
 * system calls, no event library: what a careful C programmer writes first.
 * Beside them, the many-connection client of soak.sh (epoll, non-blocking).
 *
 *   baseline serve [-e] ADDR
 *	Listen on ADDR port 0 and print "baseline: listening on ADDR:PORT"
 *	on stderr (the form of dnlisten's line). Accept one connection at a
 *	time; relay socket -> stdout and stdin -> socket through poll(2)
 *	and read/write with 128 KiB buffers; at end of file on stdin
 *	half-close (shutdown SHUT_WR) this connection and every later one
 *	at once, as dnlisten -k does; close at the peer's end of file and
 *	accept the next. With -e it waits for each connection in
 *	epoll_wait(2) before accept(2), as an event loop does: the price of
 *	waiting in epoll rather than in accept, measured apart.
 *
 *   baseline serve -x CMD ADDR
 *	The same loop, but each connection goes to /bin/sh -c CMD, forked
 *	with the socket as its stdin and stdout (dnlisten -k -e CMD); the
 *	loop accepts the next at once and reaps ended children as it goes.
 *
 *   baseline connrate ADDR PORT N|Ns
 *	Connect, write "hello\n", half-close, read until end of file (a
 *	reset counts as an end too), close; again, N times or for N
 *	seconds ("2s"). Prints connections per second on stdout. Exits 1
 *	when a call fails or no connection ended for 5 s.
 *
 *   baseline udpsend [-l] ADDR PORT
 *	Send standard input to ADDR PORT with sendto(2) from an unconnected
 *	socket, as dnudp does without --connect: with -l each line without
 *	its newline is one datagram (a last line without one too, as in
 *	dnudp); without -l each read(2), up to 65507 bytes, is one.
 *
 *   baseline udprecv [-n COUNT] [-s SIZE] [-w SEC] ADDR
 *	Bind ADDR port 0, print the listening line on stderr, count the
 *	datagrams until COUNT came (or, with -s, COUNT x SIZE bytes) or
 *	none came for SEC seconds (default 2), then print
 *	"datagrams N bytes B seconds S odd K" on stdout: S from the first
 *	to the last datagram, K the datagrams whose size was not SIZE
 *	(merged or cut records; 0 without -s). recvmmsg(2), 64 at a time,
 *	and an 8 MiB receive buffer, so that it keeps up with any sender.
 *
 *   baseline zconnect [-n] ADDR PORT
 *	Connect and close, as nc -z does. -n parses the arguments and exits
 *	at once: the cost of starting the process alone.
 *
 *   baseline soak [-b BYTES] [-c CLIENTS] [-i MS] [-s SEED] [-t MS]
 *	    SECS PORT ADDR...
 *	Not a baseline: the client of soak.sh. CLIENTS (50) connections
 *	at a time for SECS seconds, to the ADDRs in turn, each a random
 *	kind: normal (1 to BYTES bytes, 256 KiB, half-close after the last,
 *	read the echo to end of file), halfclose (0 to 64 bytes and the
 *	half-close at once), reset (a reset, SO_LINGER 0, after a random
 *	part of up to BYTES bytes was sent, or came back) or idle (nothing for up to MS, 2000, then
 *	close). Every byte that comes back is checked against what was
 *	sent; a normal or halfclose connection passes when all of it came
 *	back and then the end of file. Between two connections a client
 *	waits up to -t MS (200). Prints a line per kind, "KIND started N ok
 *	N failed N sent B verified B", describes the first failures on
 *	stderr and exits 1 when one failed.
 *
 *   baseline feed SIZE COUNT PROG [ARG...]
 *	Run PROG with a packet-mode pipe (O_DIRECT, pipe(2)) on its standard
 *	input and write COUNT records of SIZE bytes (1..4096) into it: each
 *	read(2) PROG makes returns one record, never two merged, however far
 *	the writer is ahead. Exits with PROG's status.
 *
 * Numbers are whole and bounded; errors are one line prefixed with
 * "baseline:"; exit 2 for bad usage, 1 for a failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4, pipe2, recvmmsg, SO_RCVBUFFORCE */
#endif

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RELAY_BUFSZ	(128 * 1024)
#define UDP_MAX		65507	/* the largest IPv4 UDP payload */
#define RECV_BATCH	64	/* datagrams per recvmmsg(2) */
#define RECV_RCVBUF	(8 * 1024 * 1024)
#define STALL_SECS	5	/* connrate: no progress for this long fails */

static const char *prog = "baseline";

static void warnmsg(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: baseline serve [-e | -x CMD] ADDR\n"
	    "       baseline connrate ADDR PORT N|Ns\n"
	    "       baseline udpsend [-l] ADDR PORT\n"
	    "       baseline udprecv [-n COUNT] [-s SIZE] [-w SEC] ADDR\n"
	    "       baseline zconnect [-n] ADDR PORT\n"
	    "       baseline soak [-b BYTES] [-c CLIENTS] [-i MS] [-s SEED] "
	    "[-t MS]\n"
	    "                     SECS PORT ADDR...\n"
	    "       baseline feed SIZE COUNT PROG [ARG...]\n");
	exit(2);
}

/* A whole number in [min, max] from s, or -1 with a message naming what. */
static int
number(const char *s, long long min, long long max, const char *what,
    long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max) {
		warnmsg("%s '%s' is not a whole number from %lld to %lld",
		    what, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The address literal HOST with PORT (NULL: 0) into ss/len. Numeric only:
 * a benchmark must not time a resolver.
 */
static int
sockaddr_of(const char *host, const char *port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints, *res;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((e = getaddrinfo(host, port ? port : "0", &hints, &res)) != 0) {
		warnmsg("%s port %s: %s", host, port ? port : "0",
		    gai_strerror(e));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* A socket of FAMILY and TYPE, close-on-exec, or -1 with a message. */
static int
new_socket(int family, int type)
{
	int fd;

	if ((fd = socket(family, type | SOCK_CLOEXEC, 0)) == -1)
		warnmsg("socket: %s", strerror(errno));
	return fd;
}

/*
 * A socket of TYPE bound to ADDR port 0 (listening, for a stream one), its
 * real address printed as dnlisten and dnudp print theirs, so that the
 * scripts read the port back the same way.
 */
static int
bound_socket(const char *addr, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int fd, one = 1;

	if (sockaddr_of(addr, NULL, &ss, &len) == -1)
		return -1;
	if ((fd = new_socket(ss.ss_family, type)) == -1)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		warnmsg("cannot listen on %s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		fprintf(stderr, "%s: listening on [%s]:%s\n", prog, host, serv);
	else
		fprintf(stderr, "%s: listening on %s:%s\n", prog, host, serv);
	return fd;
}

/* --- serve ---------------------------------------------------------------- */

struct dir {
	int rfd, wfd;		/* -1: that side is done */
	char buf[RELAY_BUFSZ];
	size_t len, off;
};

static struct dir to_out;	/* socket -> stdout */
static struct dir to_net;	/* stdin -> socket */
static int stdin_eof;

/* Writes what d holds; 0 when it went (or some did), -1 on an error. */
static int
dir_write(struct dir *d)
{
	ssize_t n;

	n = write(d->wfd, d->buf + d->off, d->len - d->off);
	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	d->off += (size_t)n;
	if (d->off == d->len)
		d->len = d->off = 0;
	return 0;
}

/*
 * One connection, in the shape of nc's readwrite(): a direction reads
 * only when its buffer is empty, and stdin's end becomes a half-close
 * once what it read has gone. Ends at the peer's end of file (after its
 * bytes reached stdout) or at an error on the socket.
 */
static void
relay(int s)
{
	struct pollfd pfd[4];
	ssize_t n;
	int i;

	to_out.rfd = s;
	to_out.wfd = STDOUT_FILENO;
	to_out.len = to_out.off = 0;
	to_net.rfd = stdin_eof ? -1 : STDIN_FILENO;
	to_net.wfd = s;
	to_net.len = to_net.off = 0;
	if (stdin_eof)
		shutdown(s, SHUT_WR);
	for (;;) {
		/* poll(2) skips negative fds: an idle side is fd -1 */
		pfd[0].fd = to_out.len == 0 ? to_out.rfd : -1;
		pfd[1].fd = to_out.len > 0 ? to_out.wfd : -1;
		pfd[2].fd = to_net.len == 0 ? to_net.rfd : -1;
		pfd[3].fd = to_net.len > 0 ? to_net.wfd : -1;
		pfd[0].events = pfd[2].events = POLLIN;
		pfd[1].events = pfd[3].events = POLLOUT;
		if (to_out.rfd == -1 && to_out.len == 0)
			return;
		if (poll(pfd, 4, -1) == -1) {
			if (errno == EINTR)
				continue;
			warnmsg("poll: %s", strerror(errno));
			return;
		}
		for (i = 0; i < 4; i++)
			if (pfd[i].fd != -1 && (pfd[i].revents & POLLNVAL))
				return;
		if (pfd[1].revents && dir_write(&to_out) == -1) {
			warnmsg("write to stdout: %s", strerror(errno));
			return;
		}
		if (pfd[3].revents && dir_write(&to_net) == -1)
			return;		/* the peer went: next connection */
		if (pfd[0].revents) {
			n = read(s, to_out.buf, sizeof(to_out.buf));
			if (n == -1 && errno != EINTR && errno != EAGAIN)
				return;
			if (n == 0)
				to_out.rfd = -1;
			else if (n > 0)
				to_out.len = (size_t)n;
		}
		if (pfd[2].revents) {
			n = read(STDIN_FILENO, to_net.buf, sizeof(to_net.buf));
			if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN)) {
				stdin_eof = 1;
				to_net.rfd = -1;
				shutdown(s, SHUT_WR);
			} else if (n > 0)
				to_net.len = (size_t)n;
		}
	}
}

/* serve -x: the connection on fd s to sh -c CMD in a child of its own. */
static void
spawn_sh(int s, const char *cmd)
{
	pid_t pid;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if ((pid = fork()) == 0) {
		if (dup2(s, STDIN_FILENO) == -1 || dup2(s, STDOUT_FILENO) == -1)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid == -1)
		warnmsg("fork: %s", strerror(errno));
}

static int
cmd_serve(int argc, char **argv)
{
	struct epoll_event ev;
	int l, s, ep = -1, use_ep = argc == 3 && strcmp(argv[1], "-e") == 0;
	const char *cmd = argc == 4 && strcmp(argv[1], "-x") == 0 ? argv[2] :
	    NULL;

	if (argc != 2 + use_ep + 2 * (cmd != NULL))
		usage();
	if ((l = bound_socket(argv[argc - 1], SOCK_STREAM)) == -1)
		return 1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if (use_ep && ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == -1)) {
		warnmsg("epoll: %s", strerror(errno));
		return 1;
	}
	for (;;) {
		if (ep != -1 && epoll_wait(ep, &ev, 1, -1) == -1 &&
		    errno != EINTR) {
			warnmsg("epoll_wait: %s", strerror(errno));
			return 1;
		}
		if ((s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			warnmsg("accept: %s", strerror(errno));
			close(l);
			return 1;
		}
		if (cmd != NULL)
			spawn_sh(s, cmd);
		else
			relay(s);
		close(s);
	}
}

/* --- connrate ------------------------------------------------------------- */

static volatile sig_atomic_t progress;

/*
 * Every STALL_SECS: no connection ended since the last tick means a
 * server that stopped closing; fail rather than hang. A timer instead of
 * SO_RCVTIMEO keeps the loop at the system calls a client needs.
 */
static void
on_alarm(int sig)
{
	static const char m[] = "baseline: connrate: no connection ended "
	    "for 5 s\n";

	if (progress) {
		progress = 0;
		return;
	}
	(void)sig;
	(void)!write(STDERR_FILENO, m, sizeof(m) - 1);
	_exit(1);
}

/* One connection: 0 when it ended as it should, else -1. */
static int
one_conn(const struct sockaddr_storage *ss, socklen_t len)
{
	static const char hello[] = "hello\n";
	char buf[4096];
	ssize_t n;
	int fd, rv = -1;

	if ((fd = new_socket(ss->ss_family, SOCK_STREAM)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, len) == -1) {
		warnmsg("connect: %s", strerror(errno));
		goto done;
	}
	/*
	 * A server that closed first (dnlisten -e true) makes the write
	 * fail, and one that closes with our bytes unread resets: both are
	 * ends too.
	 */
	if (write(fd, hello, sizeof(hello) - 1) != sizeof(hello) - 1) {
		if (errno == EPIPE || errno == ECONNRESET) {
			rv = 0;
			goto done;
		}
		warnmsg("write: %s", strerror(errno));
		goto done;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == ECONNRESET)
			break;
		if (n == -1 && errno != EINTR) {
			warnmsg("read: %s", strerror(errno));
			goto done;
		}
	}
	rv = 0;
done:
	close(fd);
	return rv;
}

static int
cmd_connrate(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct itimerval it;
	struct sigaction sa;
	socklen_t len;
	size_t sl;
	long long limit, n = 0;
	double t0, t;
	int secs = 0;
	char *lim;

	if (argc != 4)
		usage();
	lim = argv[3];
	sl = strlen(lim);
	if (sl > 1 && lim[sl - 1] == 's') {
		lim[sl - 1] = '\0';
		secs = 1;
	}
	if (number(lim, 1, secs ? 3600 : 100000000, secs ? "seconds" :
	    "count", &limit) == -1 ||
	    sockaddr_of(argv[1], argv[2], &ss, &len) == -1)
		return 2;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	it.it_interval.tv_sec = it.it_value.tv_sec = STALL_SECS;
	it.it_interval.tv_usec = it.it_value.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);

	t0 = t = now();
	while (secs ? t - t0 < (double)limit : n < limit) {
		if (one_conn(&ss, len) == -1)
			return 1;
		n++;
		progress = 1;
		t = now();
	}
	printf("%.0f\n", (double)n / (t - t0));
	return 0;
}

/* --- udpsend -------------------------------------------------------------- */

static int
send_one(int fd, const char *p, size_t n, const struct sockaddr_storage *ss,
    socklen_t len)
{
	if (sendto(fd, p, n, 0, (const struct sockaddr *)ss, len) == -1) {
		warnmsg("sendto: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmd_udpsend(int argc, char **argv)
{
	static char buf[2 * UDP_MAX];
	struct sockaddr_storage ss;
	socklen_t len;
	size_t have = 0, start;
	ssize_t n;
	char *nl;
	int fd, lines = 0, rv = 1;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		lines = 1;
		argc--;
		argv++;
	}
	if (argc != 3)
		usage();
	if (sockaddr_of(argv[1], argv[2], &ss, &len) == -1)
		return 2;
	if ((fd = new_socket(ss.ss_family, SOCK_DGRAM)) == -1)
		return 1;
	for (;;) {
		n = read(STDIN_FILENO, buf + have, (lines ? sizeof(buf) :
		    UDP_MAX) - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			warnmsg("read: %s", strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (!lines) {
			if (send_one(fd, buf, (size_t)n, &ss, len) == -1)
				goto done;
			continue;
		}
		have += (size_t)n;
		start = 0;
		while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
			if (send_one(fd, buf + start,
			    (size_t)(nl - (buf + start)), &ss, len) == -1)
				goto done;
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have > UDP_MAX) {
			warnmsg("a line is longer than %d bytes", UDP_MAX);
			goto done;
		}
	}
	/* a last line without its newline is a datagram too, as in dnudp */
	if (have > 0 && send_one(fd, buf, have, &ss, len) == -1)
		goto done;
	rv = 0;
done:
	close(fd);
	return rv;
}

/* --- udprecv -------------------------------------------------------------- */

static int
cmd_udprecv(int argc, char **argv)
{
	static char bufs[RECV_BATCH][UDP_MAX + 1];
	struct mmsghdr mm[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct pollfd pfd;
	long long count = 0, size = -1, wait = 2;
	unsigned long long got = 0, bytes = 0, odd = 0;
	double first = 0, last = 0;
	int fd, i, k, ch, rcvbuf = RECV_RCVBUF;

	while ((ch = getopt(argc, argv, "+n:s:w:")) != -1) {
		switch (ch) {
		case 'n':
			if (number(optarg, 1, 1000000000, "-n", &count) == -1)
				return 2;
			break;
		case 's':
			if (number(optarg, 0, UDP_MAX, "-s", &size) == -1)
				return 2;
			break;
		case 'w':
			if (number(optarg, 1, 3600, "-w", &wait) == -1)
				return 2;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if ((fd = bound_socket(argv[optind], SOCK_DGRAM)) == -1)
		return 1;
	/* FORCE passes net.core.rmem_max where allowed (root) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < RECV_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	/* with -s, COUNT records' bytes end it too: merged ones are fewer */
	while (count == 0 || ((long long)got < count &&
	    (size <= 0 || (long long)bytes < count * size))) {
		if ((k = poll(&pfd, 1, (int)wait * 1000)) == 0)
			break;
		if (k == -1) {
			if (errno == EINTR)
				continue;
			warnmsg("poll: %s", strerror(errno));
			close(fd);
			return 1;
		}
		k = recvmmsg(fd, mm, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (k == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			warnmsg("recvmmsg: %s", strerror(errno));
			close(fd);
			return 1;
		}
		last = now();
		if (got == 0)
			first = last;
		for (i = 0; i < k; i++) {
			bytes += mm[i].msg_len;
			if (size >= 0 && mm[i].msg_len != (unsigned)size)
				odd++;
		}
		got += (unsigned)k;
	}
	close(fd);
	printf("datagrams %llu bytes %llu seconds %.6f odd %llu\n", got, bytes,
	    last - first, odd);
	return 0;
}

/* --- zconnect ------------------------------------------------------------- */

static int
cmd_zconnect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, noop = 0, rv = 1;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		noop = 1;
		argc--;
		argv++;
	}
	if (argc != 3)
		usage();
	if (noop)
		return 0;
	if (sockaddr_of(argv[1], argv[2], &ss, &len) == -1)
		return 2;
	if ((fd = new_socket(ss.ss_family, SOCK_STREAM)) == -1)
		return 1;
	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		warnmsg("connect to %s port %s: %s", argv[1], argv[2],
		    strerror(errno));
	else
		rv = 0;
	close(fd);
	return rv;
}

/* --- soak ----------------------------------------------------------------- */

/*
 * Not a baseline: the client of bench/soak.sh, which needs many
 * connections at once, ended in every way a peer ends one, and each echo
 * checked byte for byte. A shell client cannot send a reset (SO_LINGER
 * 0) nor keep 50 connections apart.
 */

#define SOAK_CHUNK	16384	/* bytes generated and written at a time */
#define SOAK_STALL	30	/* seconds without progress: a failure */
#define SOAK_DRAIN	60	/* seconds after the run for the last ones */
#define SOAK_TELL	10	/* failures described on stderr */

enum soak_kind { K_NORMAL, K_HALFCLOSE, K_RESET, K_IDLE, K_COUNT };
static const char *const soak_kind_name[K_COUNT] = {
	"normal", "halfclose", "reset", "idle"
};

enum soak_state { S_DONE, S_THINK, S_CONNECTING, S_ACTIVE, S_IDLE };

/* A byte stream from a seed: the sender writes it, the checker replays it. */
struct soak_stream {
	uint64_t s, word;
	int left;
};

struct soak_slot {
	int fd;
	enum soak_kind kind;
	enum soak_state state;
	int wr_done;		/* half-closed */
	int reset_rx;		/* reset: at reset_at bytes received, not sent */
	uint32_t events;	/* what epoll watches for fd */
	unsigned long long id;
	unsigned short lport;	/* our port, to find it in dnlisten -v */
	int addr;
	double deadline;	/* end of the think or idle time */
	double last;		/* last progress */
	long long len, sent, rcvd, reset_at;
	struct soak_stream tx, rx;
	size_t blen, boff;
	unsigned char buf[SOAK_CHUNK];
};

struct soak_count {
	long long started, ok, failed, sent, verified;
};

static struct soak_count soak_counts[K_COUNT];
static uint64_t soak_rng;
static int soak_told;

/* splitmix64: small, fast, and good enough to pick kinds and bytes */
static uint64_t
soak_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long long
soak_below(unsigned long long n)
{
	return n == 0 ? 0 : soak_next(&soak_rng) % n;
}

static unsigned char
soak_byte(struct soak_stream *st)
{
	unsigned char b;

	if (st->left == 0) {
		st->word = soak_next(&st->s);
		st->left = 8;
	}
	b = (unsigned char)(st->word & 0xff);
	st->word >>= 8;
	st->left--;
	return b;
}

/* 1 to max bytes, each power of two alike: many small, some large */
static long long
soak_size(long long max)
{
	int bits = 0;

	while ((1LL << (bits + 1)) <= max)
		bits++;
	return 1 + (long long)soak_below(1ULL << soak_below((unsigned)bits + 1));
}

static void soak_fail(struct soak_slot *, char *const *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
soak_end(struct soak_slot *sl, double think, double t)
{
	if (sl->fd != -1)
		close(sl->fd);
	sl->fd = -1;
	sl->events = 0;
	sl->state = S_THINK;
	sl->deadline = t + think * soak_below(1001) / 1000.0;
}

/* The connection failed: say why (the first few), count it, close it. */
static void
soak_fail(struct soak_slot *sl, char *const *addrs, const char *fmt, ...)
{
	va_list ap;

	soak_counts[sl->kind].failed++;
	if (soak_told++ < SOAK_TELL) {
		fprintf(stderr, "%s: soak: %s connection %llu to %s from port "
		    "%u (sent %lld of %lld, received %lld): ", prog,
		    soak_kind_name[sl->kind], sl->id, addrs[sl->addr],
		    sl->lport, sl->sent, sl->len, sl->rcvd);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	/* unread echo makes close() send a reset anyway: no lingering */
	soak_end(sl, 0, now());
}

static int
soak_watch(int ep, struct soak_slot *sl, int idx, uint32_t events)
{
	struct epoll_event ev;

	if (sl->events == events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u32 = (uint32_t)idx;
	if (epoll_ctl(ep, sl->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
	    sl->fd, &ev) == -1) {
		warnmsg("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	sl->events = events;
	return 0;
}

/* A reset, as a peer that dies or gives up sends it: SO_LINGER 0. */
static void
soak_reset(struct soak_slot *sl, double think, double t)
{
	struct linger lg = { 1, 0 };

	setsockopt(sl->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	soak_counts[sl->kind].ok++;
	soak_end(sl, think, t);
}

/* Connected: begin what the kind does. */
static int
soak_connected(int ep, struct soak_slot *sl, int idx, double idle, double t)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(sl->fd, (struct sockaddr *)&ss, &len) == 0)
		sl->lport = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	sl->last = t;
	if (sl->kind == K_IDLE) {
		sl->state = S_IDLE;
		sl->deadline = t + idle * soak_below(1001) / 1000.0;
		return soak_watch(ep, sl, idx, EPOLLIN);
	}
	sl->state = S_ACTIVE;
	return soak_watch(ep, sl, idx, EPOLLIN | EPOLLOUT);
}

/* A new connection on slot sl, of a random kind. */
static int
soak_start(int ep, struct soak_slot *sl, int idx, char *const *addrs,
    const struct sockaddr_storage *ss, const socklen_t *lens, int naddrs,
    long long maxb, double idle, double t)
{
	static unsigned long long ids;
	unsigned long long r = soak_below(100);

	/* normal 40%, early half-close 20%, reset 25%, idle 15% */
	sl->kind = r < 40 ? K_NORMAL : r < 60 ? K_HALFCLOSE : r < 85 ?
	    K_RESET : K_IDLE;
	sl->id = ++ids;
	sl->addr = (int)(sl->id % (unsigned)naddrs);
	sl->wr_done = 0;
	sl->reset_rx = 0;
	sl->events = 0;
	sl->lport = 0;
	sl->sent = sl->rcvd = 0;
	sl->blen = sl->boff = 0;
	sl->reset_at = -1;
	switch (sl->kind) {
	case K_NORMAL:
		sl->len = soak_size(maxb);
		break;
	case K_HALFCLOSE:
		/* a quarter half-close before a byte: the command sees EOF */
		sl->len = soak_below(4) == 0 ? 0 : (long long)soak_below(65);
		break;
	case K_RESET:
		/*
		 * Half of them while sending, from before the first byte on;
		 * half once the echo is flowing back, with every byte sent
		 * and no half-close: the command is blocked in a read.
		 */
		sl->len = soak_size(maxb);
		sl->reset_rx = soak_below(2) == 0;
		sl->reset_at = sl->reset_rx ? 1 + (long long)soak_below(
		    (unsigned long long)sl->len) : (long long)soak_below(
		    (unsigned long long)sl->len + 1);
		break;
	default:
		sl->len = 0;
		break;
	}
	sl->tx.s = sl->rx.s = soak_next(&soak_rng);
	sl->tx.left = sl->rx.left = 0;
	soak_counts[sl->kind].started++;
	if ((sl->fd = socket(ss[sl->addr].ss_family, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		warnmsg("socket: %s", strerror(errno));
		return -1;
	}
	sl->last = t;
	if (connect(sl->fd, (const struct sockaddr *)&ss[sl->addr],
	    lens[sl->addr]) == 0)
		return soak_connected(ep, sl, idx, idle, t);
	if (errno != EINPROGRESS) {
		soak_fail(sl, addrs, "connect: %s", strerror(errno));
		return 0;
	}
	sl->state = S_CONNECTING;
	return soak_watch(ep, sl, idx, EPOLLOUT);
}

/* Writes what is due; half-closes after the last byte, resets at reset_at. */
static int
soak_write(int ep, struct soak_slot *sl, int idx, char *const *addrs,
    double think, double t)
{
	ssize_t n;
	size_t i;

	for (;;) {
		if (sl->kind == K_RESET && !sl->reset_rx &&
		    sl->sent >= sl->reset_at) {
			soak_reset(sl, think, t);
			return 0;
		}
		if (sl->boff == sl->blen) {
			if (sl->sent == sl->len && sl->reset_rx)
				return soak_watch(ep, sl, idx, EPOLLIN);
			if (sl->sent == sl->len) {
				if (shutdown(sl->fd, SHUT_WR) == -1) {
					soak_fail(sl, addrs, "shutdown: %s",
					    strerror(errno));
					return 0;
				}
				sl->wr_done = 1;
				return soak_watch(ep, sl, idx, EPOLLIN);
			}
			sl->blen = (size_t)(sl->len - sl->sent);
			/* a reset mid-stream: at reset_at, not a chunk later */
			if (sl->kind == K_RESET && !sl->reset_rx &&
			    sl->blen > (size_t)(sl->reset_at - sl->sent))
				sl->blen = (size_t)(sl->reset_at - sl->sent);
			if (sl->blen > sizeof(sl->buf))
				sl->blen = sizeof(sl->buf);
			for (i = 0; i < sl->blen; i++)
				sl->buf[i] = soak_byte(&sl->tx);
			sl->boff = 0;
		}
		n = write(sl->fd, sl->buf + sl->boff, sl->blen - sl->boff);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			soak_fail(sl, addrs, "write: %s", strerror(errno));
			return 0;
		}
		sl->boff += (size_t)n;
		sl->sent += n;
		soak_counts[sl->kind].sent += n;
		sl->last = t;
	}
}

/* Reads and checks what came back; the end of file ends the connection. */
static void
soak_read(struct soak_slot *sl, char *const *addrs, double think, double t)
{
	static unsigned char in[65536];
	ssize_t n, i;

	for (;;) {
		n = read(sl->fd, in, sizeof(in));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			soak_fail(sl, addrs, "read: %s", strerror(errno));
			return;
		}
		if (n == 0)
			break;
		if (sl->kind == K_IDLE) {
			soak_fail(sl, addrs, "%zd bytes on an idle connection",
			    n);
			return;
		}
		for (i = 0; i < n; i++) {
			if (sl->rcvd >= sl->sent) {
				soak_fail(sl, addrs, "more came back than "
				    "was sent");
				return;
			}
			if (in[i] != soak_byte(&sl->rx)) {
				soak_fail(sl, addrs, "byte %lld of the echo "
				    "differs", sl->rcvd);
				return;
			}
			sl->rcvd++;
			soak_counts[sl->kind].verified++;
		}
		sl->last = t;
		if (sl->reset_rx && sl->rcvd >= sl->reset_at) {
			soak_reset(sl, think, t);
			return;
		}
	}
	if (sl->kind == K_IDLE)
		soak_fail(sl, addrs, "the server ended an idle connection");
	else if (!sl->wr_done)
		soak_fail(sl, addrs, "end of file before we half-closed");
	else if (sl->rcvd != sl->len)
		soak_fail(sl, addrs, "end of file after %lld of %lld bytes",
		    sl->rcvd, sl->len);
	else {
		soak_counts[sl->kind].ok++;
		soak_end(sl, think, t);
	}
}

static int
soak_event(int ep, struct soak_slot *sl, int idx, uint32_t ev,
    char *const *addrs, double think, double idle, double t)
{
	int e = 0;
	socklen_t elen = sizeof(e);

	switch (sl->state) {
	case S_CONNECTING:
		if (getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
			e = errno;
		if (e != 0) {
			soak_fail(sl, addrs, "connect: %s", strerror(e));
			return 0;
		}
		return soak_connected(ep, sl, idx, idle, t);
	case S_ACTIVE:
		if ((ev & EPOLLOUT) && !sl->wr_done &&
		    soak_write(ep, sl, idx, addrs, think, t) == -1)
			return -1;
		if (sl->state == S_ACTIVE && (ev & (EPOLLIN | EPOLLHUP |
		    EPOLLERR)))
			soak_read(sl, addrs, think, t);
		return 0;
	case S_IDLE:
		soak_read(sl, addrs, think, t);
		return 0;
	default:
		return 0;
	}
}

static int
cmd_soak(int argc, char **argv)
{
	static struct soak_slot slots[1000];
	struct sockaddr_storage ss[16];
	socklen_t lens[16];
	struct epoll_event evs[64];
	long long nclients = 50, maxb = 262144, think = 200, idle = 2000, secs;
	long long seed = -1;
	double t, t0, t_end, next;
	int ch, ep, i, k, n, naddrs, busy, rv = 1;
	char **addrs;

	while ((ch = getopt(argc, argv, "+b:c:i:s:t:")) != -1) {
		switch (ch) {
		case 'b':
			if (number(optarg, 1, 1 << 30, "-b", &maxb) == -1)
				return 2;
			break;
		case 'c':
			if (number(optarg, 1, 1000, "-c", &nclients) == -1)
				return 2;
			break;
		case 'i':
			if (number(optarg, 0, 60000, "-i", &idle) == -1)
				return 2;
			break;
		case 's':
			if (number(optarg, 0, LLONG_MAX, "-s", &seed) == -1)
				return 2;
			break;
		case 't':
			if (number(optarg, 0, 60000, "-t", &think) == -1)
				return 2;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 3 || argc - optind > 2 + 16)
		usage();
	if (number(argv[optind], 1, 86400, "SECS", &secs) == -1)
		return 2;
	naddrs = argc - optind - 2;
	addrs = argv + optind + 2;
	for (i = 0; i < naddrs; i++)
		if (sockaddr_of(addrs[i], argv[optind + 1], &ss[i],
		    &lens[i]) == -1)
			return 2;
	soak_rng = seed >= 0 ? (uint64_t)seed :
	    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	fprintf(stderr, "%s: soak: seed %llu\n", prog,
	    (unsigned long long)soak_rng);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		warnmsg("epoll_create1: %s", strerror(errno));
		return 1;
	}
	t0 = now();
	t_end = t0 + (double)secs;
	/* the clients start spread over the first think time */
	for (i = 0; i < nclients; i++) {
		slots[i].fd = -1;
		soak_end(&slots[i], (double)think / 1000, t0);
	}
	for (;;) {
		t = now();
		busy = 0;
		next = t + 1;
		for (i = 0; i < nclients; i++) {
			struct soak_slot *sl = &slots[i];

			if (sl->state == S_THINK && t >= sl->deadline) {
				if (t >= t_end) {
					sl->state = S_DONE;
					continue;
				}
				if (soak_start(ep, sl, i, addrs, ss, lens,
				    naddrs, maxb, (double)idle / 1000,
				    t) == -1)
					goto done;
			}
			if (sl->state == S_IDLE && t >= sl->deadline) {
				/* nothing unread: close() sends a FIN */
				soak_counts[K_IDLE].ok++;
				soak_end(sl, (double)think / 1000, t);
			}
			if ((sl->state == S_CONNECTING ||
			    sl->state == S_ACTIVE) &&
			    t - sl->last > SOAK_STALL)
				soak_fail(sl, addrs, "no progress for %d s",
				    SOAK_STALL);
			if (sl->state == S_DONE)
				continue;
			busy++;
			if (sl->state == S_THINK || sl->state == S_IDLE) {
				if (sl->deadline < next)
					next = sl->deadline;
			} else if (sl->last + SOAK_STALL < next)
				next = sl->last + SOAK_STALL;
		}
		if (busy == 0)
			break;
		if (t > t_end + SOAK_DRAIN) {
			for (i = 0; i < nclients; i++)
				if (slots[i].state != S_THINK &&
				    slots[i].state != S_DONE)
					soak_fail(&slots[i], addrs, "still "
					    "open %d s after the end",
					    SOAK_DRAIN);
			break;
		}
		k = (int)((next - t) * 1000) + 1;
		if ((n = epoll_wait(ep, evs, 64, k < 0 ? 0 : k)) == -1) {
			if (errno == EINTR)
				continue;
			warnmsg("epoll_wait: %s", strerror(errno));
			goto done;
		}
		t = now();
		for (i = 0; i < n; i++)
			if (soak_event(ep, &slots[evs[i].data.u32],
			    (int)evs[i].data.u32, evs[i].events, addrs,
			    (double)think / 1000, (double)idle / 1000,
			    t) == -1)
				goto done;
	}
	rv = 0;
	for (i = 0; i < K_COUNT; i++) {
		printf("%s started %lld ok %lld failed %lld sent %lld "
		    "verified %lld\n", soak_kind_name[i],
		    soak_counts[i].started, soak_counts[i].ok,
		    soak_counts[i].failed, soak_counts[i].sent,
		    soak_counts[i].verified);
		if (soak_counts[i].failed > 0)
			rv = 1;
	}
done:
	close(ep);
	return rv;
}

/* --- feed ----------------------------------------------------------------- */

static volatile pid_t feed_child;

/* timeout(1) or a script's kill stops the feeder: stop PROG with it */
static void
on_stop(int sig)
{
	if (feed_child > 0)
		kill(feed_child, sig);
}

static int
cmd_feed(int argc, char **argv)
{
	static char rec[PIPE_BUF];
	struct sigaction sa;
	long long size, count, i;
	pid_t pid;
	int p[2], st;

	if (argc < 4)
		usage();
	/* a packet pipe splits writes over PIPE_BUF into several packets */
	if (number(argv[1], 1, PIPE_BUF, "SIZE", &size) == -1 ||
	    number(argv[2], 0, LLONG_MAX, "COUNT", &count) == -1)
		return 2;
	if (pipe2(p, O_DIRECT | O_CLOEXEC) == -1) {
		warnmsg("pipe2 O_DIRECT: %s", strerror(errno));
		return 1;
	}
	switch ((pid = fork())) {
	case -1:
		warnmsg("fork: %s", strerror(errno));
		return 1;
	case 0:
		/* an ignored signal stays ignored across exec: give it back */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(p[0], STDIN_FILENO) == -1)
			_exit(127);
		execvp(argv[3], argv + 3);
		warnmsg("%s: %s", argv[3], strerror(errno));
		_exit(127);
	}
	feed_child = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	close(p[0]);
	memset(rec, 'u', sizeof(rec));
	/* EPIPE (SIGPIPE is ignored): PROG stopped reading; its status says why */
	for (i = 0; i < count; i++)
		if (write(p[1], rec, (size_t)size) != (ssize_t)size)
			break;
	close(p[1]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			warnmsg("waitpid: %s", strerror(errno));
			return 1;
		}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	if (i < count && WEXITSTATUS(st) == 0) {
		warnmsg("%s stopped reading after %lld of %lld records",
		    argv[3], i, count);
		return 1;
	}
	return WEXITSTATUS(st);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "serve", cmd_serve },
		{ "connrate", cmd_connrate },
		{ "udpsend", cmd_udpsend },
		{ "udprecv", cmd_udprecv },
		{ "zconnect", cmd_zconnect },
		{ "soak", cmd_soak },
		{ "feed", cmd_feed },
	};
	size_t i;

	if (argc < 2)
		usage();
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	warnmsg("unknown command '%s'", argv[1]);
	usage();
	return 2;
}
