/*
 * stream: bounded, timed, buffered session I/O; the contract is in stream.h.
 *
 * Decisions made here:
 * - Timeouts.  Every wait is a poll(2) bounded by a deadline of s->timeout
 *   seconds, taken at the start of an operation (a buffer fill, a write, a
 *   handshake, a close) and moved forward whenever bytes move, so a peer that
 *   keeps sending is not cut off while one that stalls is.  A timeout of 0
 *   means no waiting at all.  poll is retried on EINTR with the time left.
 *   A stream's deadline (stream_deadline) caps the deadline of every read
 *   and handshake, and is not moved by bytes that arrive.
 * - TLS.  libtls may read and write several times inside one call, so under
 *   TLS both fds are switched to O_NONBLOCK and every TLS_WANT_POLLIN /
 *   TLS_WANT_POLLOUT becomes a poll under the same deadline.  The fds stay
 *   non-blocking after stream_close (they carry nothing but TLS by then).
 * - SIGPIPE.  A peer that went away must give STREAM_ERROR, not kill us, and
 *   callers need not ignore SIGPIPE: clear-text writes to a socket use
 *   send(2) with MSG_NOSIGNAL; writes to a pipe and every libtls call (its
 *   BIO writes with write(2)) run with SIGPIPE blocked, and a SIGPIPE they
 *   raised is taken back with sigwait before the old mask returns.
 * - A write to a pipe sends at most PIPE_BUF bytes per poll, so that it
 *   cannot block past the deadline on a blocking pipe.
 * - stream_getline leaves line NUL-terminated (the NUL not counted in len);
 *   after anything but STREAM_OK, line is empty.  An over-long line is not
 *   kept at all: the caller answers with an error, not with the text.
 * - stream_flush drops what it could not write: after an error the session
 *   is over, and stream_close must not wait a second timeout for it.
 * - Layers (stream_push_layer).  A layer sits between the buffers and
 *   read_some/write_all: fill asks it for decoded bytes, stream_flush and
 *   big stream_puts give it plain bytes, flushing at the end of each burst
 *   (every stream_flush), so the peer can always decode all we sent.
 * - stream_starttls_client also discards pending input: bytes a server sent
 *   before the handshake would otherwise be read as if they came over TLS
 *   (the client side of RFC 3207 section 4.2's concern).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>
#include <tls.h>
#include "stream.h"

static int fail(struct stream *s, int status, const char *fmt, ...)
{
	va_list ap;

	/* cut at sizeof s->err on purpose: a text for the log, no name */
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return status;
}

static int fail_sys(struct stream *s, const char *what)
{
	return fail(s, STREAM_ERROR, "%s: %s", what, strerror(errno));
}

static int fail_tls(struct stream *s, struct tls *ctx, const char *what)
{
	const char *e = ctx ? tls_error(ctx) : 0;
	return fail(s, STREAM_ERROR, "%s: %s", what, e ? e : "unknown TLS error");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long deadline_of(const struct stream *s)
{
	return now_ms() + (long long)s->timeout * 1000;
}

/* A read's deadline: the timeout's, or the stream's deadline if earlier. */
static long long read_deadline_of(const struct stream *s)
{
	long long d = deadline_of(s);
	return s->deadline && s->deadline < d ? s->deadline : d;
}

void stream_deadline(struct stream *s, unsigned seconds)
{
	s->deadline = seconds ? now_ms() + (long long)seconds * 1000 : 0;
}

/* Waits until fd is ready for events or the deadline passes.  Returns 0,
 * STREAM_TIMEOUT or STREAM_ERROR.  POLLHUP/POLLERR count as ready: the
 * read or write that follows reports what happened. */
static int wait_fd(struct stream *s, int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p;
		long long left = deadline - now_ms();
		int r;

		if (left < 0) left = 0;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0) {
			if (p.revents & POLLNVAL) return fail(s, STREAM_ERROR, "poll: fd %d is not open", fd);
			return 0;
		}
		if (r == 0 && now_ms() >= deadline)
			return fail(s, STREAM_TIMEOUT, "timed out after %u seconds", s->timeout);
		if (r < 0 && errno != EINTR) return fail_sys(s, "poll");
	}
}

/* Runs one libtls call's TLS_WANT_* answer through poll.  Returns 0 to call
 * again, or a stream_status. */
static int tls_wait(struct stream *s, long r, long long deadline)
{
	if (r == TLS_WANT_POLLIN) return wait_fd(s, s->infd, POLLIN, deadline);
	if (r == TLS_WANT_POLLOUT) return wait_fd(s, s->outfd, POLLOUT, deadline);
	return STREAM_ERROR;
}

struct pipeguard {
	sigset_t old;
	int was_pending;
};

static int sigpipe_pending(void)
{
	sigset_t pend;

	sigemptyset(&pend);
	return !sigpending(&pend) && sigismember(&pend, SIGPIPE) == 1;
}

static void guard_on(struct pipeguard *g)
{
	sigset_t set;

	g->was_pending = sigpipe_pending();
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, &g->old);
}

static void guard_off(struct pipeguard *g)
{
	if (!g->was_pending && sigpipe_pending()) {
		sigset_t set;
		int sig;
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		sigwait(&set, &sig);  /* pending, so it returns at once */
	}
	sigprocmask(SIG_SETMASK, &g->old, 0);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0) return -1;
	if (fl & O_NONBLOCK) return 0;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void stream_init(struct stream *s, int infd, int outfd, unsigned timeout_seconds)
{
	s->infd = infd;
	s->outfd = outfd;
	s->timeout = timeout_seconds;
	s->deadline = 0;
	s->tls = s->tls_owned = 0;
	s->inpos = s->inlen = 0;
	s->outlen = 0;
	s->layer = 0;
	s->layer_state = 0;
	s->err[0] = 0;
	/* Replies are already gathered until the peer's input is drained, so
	 * Nagle's algorithm only adds the peer's delayed-ACK wait (40 ms) to
	 * every exchange of small writes.  Not a socket (a pipe, a test): the
	 * call fails and nothing changes. */
	{
		int one = 1;
		setsockopt(outfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
}

/* One read of at most len bytes from the peer: the count, 0 at EOF, or a
 * stream_status. */
static long read_some(struct stream *s, char *buf, size_t len)
{
	long long deadline = read_deadline_of(s);

	for (;;) {
		struct pipeguard g;
		ssize_t r;
		int w;

		if (s->tls) {
			guard_on(&g);
			r = tls_read(s->tls, buf, len);
			guard_off(&g);
			if (r >= 0) return (long)r;
			if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) return fail_tls(s, s->tls, "TLS read");
			if ((w = tls_wait(s, (long)r, deadline))) return w;
			continue;
		}
		if ((w = wait_fd(s, s->infd, POLLIN, deadline))) return w;
		r = read(s->infd, buf, len);
		if (r >= 0) return (long)r;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return fail_sys(s, "read");
	}
}

/* One clear-text write of some of buf; the count or -1 with errno. */
static ssize_t write_clear(struct stream *s, const char *buf, size_t len)
{
	struct pipeguard g;
	ssize_t r;

	r = send(s->outfd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r >= 0 || errno != ENOTSOCK) return r;
	if (len > PIPE_BUF) len = PIPE_BUF;
	guard_on(&g);
	r = write(s->outfd, buf, len);
	guard_off(&g);
	return r;
}

static int write_all(struct stream *s, const char *buf, size_t len)
{
	long long deadline = deadline_of(s);

	while (len) {
		struct pipeguard g;
		ssize_t r;
		int w;

		if (s->tls) {
			guard_on(&g);
			r = tls_write(s->tls, buf, len);
			guard_off(&g);
			if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
				if ((w = tls_wait(s, (long)r, deadline))) return w;
				continue;
			}
			if (r < 0) return fail_tls(s, s->tls, "TLS write");
		} else {
			if ((w = wait_fd(s, s->outfd, POLLOUT, deadline))) return w;
			r = write_clear(s, buf, len);
			if (r < 0) {
				if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
				return fail_sys(s, "write");
			}
		}
		buf += r;
		len -= (size_t)r;
		deadline = deadline_of(s);
	}
	return STREAM_OK;
}

/* Refills the (consumed) input buffer, flushing our output first so the
 * peer is never waiting for a reply we hold. */
static int fill(struct stream *s)
{
	long r;

	/* a layer may hold output of a big stream_put even when out is empty */
	if ((s->outlen || s->layer) && (r = stream_flush(s))) return (int)r;
	s->inpos = s->inlen = 0;
	if (s->layer) {
		r = s->layer->read(s, s->in, sizeof s->in);
		if (r < 0) return (int)r;
		s->inlen = (size_t)r;
		return STREAM_OK;
	}
	r = read_some(s, s->in, sizeof s->in);
	if (r < 0) return (int)r;
	if (r == 0) return fail(s, STREAM_EOF, "connection closed by peer");
	s->inlen = (size_t)r;
	return STREAM_OK;
}

static int line_end(struct stream *s, stralloc *line, int status)
{
	if (status != STREAM_OK) line->len = 0;
	if (!stralloc_0(line)) {
		line->len = 0;
		return fail(s, STREAM_ERROR, "out of memory");
	}
	line->len--;
	return status;
}

int stream_getline(struct stream *s, stralloc *line, size_t max)
{
	int toolong = 0, r;

	line->len = 0;
	for (;;) {
		char *start = s->in + s->inpos;
		size_t avail = s->inlen - s->inpos;
		char *lf = memchr(start, '\n', avail);
		size_t n = lf ? (size_t)(lf - start) + 1 : avail;

		/* past the bound: keep reading up to the LF, keeping nothing */
		if (!toolong && n > max - line->len) {
			toolong = 1;
			line->len = 0;
		}
		if (!toolong && !stralloc_catb(line, start, n)) {
			line->len = 0;
			return fail(s, STREAM_ERROR, "out of memory");
		}
		s->inpos += n;
		if (lf) break;
		if ((r = fill(s))) return line_end(s, line, r);
	}
	if (!toolong) return line_end(s, line, STREAM_OK);
	fail(s, STREAM_TOOLONG, "line longer than %zu bytes", max);
	return line_end(s, line, STREAM_TOOLONG);
}

long stream_read(struct stream *s, char *buf, size_t len)
{
	size_t n;
	int r;

	if (!len) return 0;
	if (s->inpos == s->inlen && (r = fill(s))) return r;
	n = s->inlen - s->inpos;
	if (n > len) n = len;
	memcpy(buf, s->in + s->inpos, n);
	s->inpos += n;
	return (long)n;
}

size_t stream_pending(const struct stream *s)
{
	size_t n = s->inlen - s->inpos;
	return n || !s->layer ? n : (size_t)(s->layer->more(s) != 0);
}

size_t stream_discard(struct stream *s)
{
	size_t n = s->inlen - s->inpos;

	s->inpos = s->inlen = 0;
	return n;
}

int stream_preload(struct stream *s, const char *buf, size_t len)
{
	size_t have = s->inlen - s->inpos;

	if (len > sizeof s->in - have) return fail(s, STREAM_ERROR, "%zu bytes do not fit in the input buffer", len);
	memmove(s->in + len, s->in + s->inpos, have);
	memcpy(s->in, buf, len);
	s->inpos = 0;
	s->inlen = have + len;
	return STREAM_OK;
}

int stream_put(struct stream *s, const char *buf, size_t len)
{
	int r;

	if (len > sizeof s->out - s->outlen) {
		if ((r = stream_flush(s))) return r;
		if (len >= sizeof s->out) return s->layer ? s->layer->write(s, buf, len, 0) : write_all(s, buf, len);
	}
	memcpy(s->out + s->outlen, buf, len);
	s->outlen += len;
	return STREAM_OK;
}

int stream_puts(struct stream *s, const char *str)
{
	return stream_put(s, str, strlen(str));
}

int stream_flush(struct stream *s)
{
	size_t n = s->outlen;

	s->outlen = 0;
	/* under a layer even 0 bytes: a big stream_put may have left output
	 * in it that this flush must push out */
	if (s->layer) return s->layer->write(s, s->out, n, 1);
	return n ? write_all(s, s->out, n) : STREAM_OK;
}

int stream_push_layer(struct stream *s, const struct stream_layer *layer, void *state)
{
	int r;

	if (s->layer) return fail(s, STREAM_ERROR, "a layer is already active");
	if ((r = stream_flush(s))) return r;
	s->layer = layer;
	s->layer_state = state;
	return STREAM_OK;
}

size_t stream_take(struct stream *s, char *buf, size_t len)
{
	size_t n = s->inlen - s->inpos;

	if (n > len) n = len;
	memcpy(buf, s->in + s->inpos, n);
	s->inpos += n;
	return n;
}

long stream_raw_read(struct stream *s, char *buf, size_t len)
{
	return read_some(s, buf, len);
}

int stream_raw_write(struct stream *s, const char *buf, size_t len)
{
	return write_all(s, buf, len);
}

static int handshake(struct stream *s, struct tls *ctx)
{
	long long deadline = read_deadline_of(s);

	for (;;) {
		struct pipeguard g;
		int r, w;

		guard_on(&g);
		r = tls_handshake(ctx);
		guard_off(&g);
		if (r == 0) return STREAM_OK;
		if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) return fail_tls(s, ctx, "TLS handshake");
		if ((w = tls_wait(s, r, deadline))) return w;
	}
}

/* What both sides do before a handshake. */
static int tls_prepare(struct stream *s)
{
	int r;

	if (s->tls) return fail(s, STREAM_ERROR, "TLS already active");
	stream_discard(s);
	if ((r = stream_flush(s))) return r;
	if (set_nonblock(s->infd) || set_nonblock(s->outfd)) return fail_sys(s, "fcntl O_NONBLOCK");
	return STREAM_OK;
}

int stream_starttls_server(struct stream *s, struct tls *server_ctx)
{
	struct tls *conn = 0;
	int r;

	if ((r = tls_prepare(s))) return r;
	if (tls_accept_fds(server_ctx, &conn, s->infd, s->outfd))
		return fail_tls(s, server_ctx, "TLS accept");
	if ((r = handshake(s, conn))) {
		tls_free(conn);
		return r;
	}
	s->tls = s->tls_owned = conn;
	return STREAM_OK;
}

/* The client context belongs to the caller (tls_connect_fds works on it
 * directly): stream_close closes it but does not free it. */
int stream_starttls_client(struct stream *s, struct tls *client_ctx, const char *servername)
{
	int r;

	if ((r = tls_prepare(s))) return r;
	if (tls_connect_fds(client_ctx, s->infd, s->outfd, servername))
		return fail_tls(s, client_ctx, "TLS connect");
	if ((r = handshake(s, client_ctx))) return r;
	s->tls = client_ctx;
	s->tls_owned = 0;
	return STREAM_OK;
}

const char *stream_tls_version(const struct stream *s)
{
	return s->tls ? tls_conn_version(s->tls) : 0;
}

const char *stream_tls_cipher(const struct stream *s)
{
	return s->tls ? tls_conn_cipher(s->tls) : 0;
}

const char *stream_error(const struct stream *s)
{
	return s->err;
}

/* One libtls call of the relay: >0 bytes moved, 0 at EOF, or the
 * TLS_WANT_* / -1 that libtls gave. */
static ssize_t relay_tls(struct stream *s, int writing, char *buf, size_t len)
{
	struct pipeguard g;
	ssize_t r;

	guard_on(&g);
	r = writing ? tls_write(s->tls, buf, len) : tls_read(s->tls, buf, len);
	guard_off(&g);
	return r;
}

/* Decisions: each direction has one buffer, refilled only when empty, so
 * neither side can make us hold more than STREAM_BUF of its bytes; poll
 * runs only after every transfer that could move has returned "would
 * block", so no byte libtls has already decrypted waits for a wake-up
 * that will not come.  For clear-text streams the relay is the same with
 * read/send in place of libtls. */
int stream_relay(struct stream *s, int fd)
{
	char up[STREAM_BUF], down[STREAM_BUF];
	size_t uplen = 0, uppos = 0, downlen = 0, downpos = 0;
	int peer_eof = 0, peer_dead = 0, local_eof = 0, status = STREAM_OK;

	if (s->layer) return fail(s, STREAM_ERROR, "no relay under a layer");
	if ((status = stream_flush(s))) return status;
	if (set_nonblock(fd) || set_nonblock(s->infd) || set_nonblock(s->outfd)) return fail_sys(s, "fcntl O_NONBLOCK");
	for (;;) {
		short peer_in = 0, peer_out = 0, local_ev = 0;
		int moved = 0;
		ssize_t r;

		/* peer -> up */
		if (!peer_eof && uplen == 0) {
			if (s->inpos < s->inlen) {   /* what the stream had read ahead */
				uplen = s->inlen - s->inpos;
				memcpy(up, s->in + s->inpos, uplen);
				s->inpos = s->inlen = 0;
				r = (ssize_t)uplen;
			} else if (s->tls)
				r = relay_tls(s, 0, up, sizeof up);
			else if ((r = read(s->infd, up, sizeof up)) < 0 && (errno == EAGAIN || errno == EINTR))
				r = TLS_WANT_POLLIN;
			if (r > 0) {
				uplen = (size_t)r;
				uppos = 0;
				moved = 1;
			} else if (r == TLS_WANT_POLLIN) peer_in = POLLIN;
			else if (r == TLS_WANT_POLLOUT) peer_out = POLLOUT;
			else {   /* EOF or error: the session hears EOF */
				peer_eof = 1;
				if (r < 0) peer_dead = 1;
				shutdown(fd, SHUT_WR);
				moved = 1;
			}
		}
		/* up -> fd */
		if (uppos < uplen) {
			r = send(fd, up + uppos, uplen - uppos, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r > 0) {
				uppos += (size_t)r;
				if (uppos == uplen) uppos = uplen = 0;
				moved = 1;
			} else if (r < 0 && (errno == EAGAIN || errno == EINTR)) local_ev |= POLLOUT;
			else {   /* the session is gone: what the peer sends is dropped */
				uppos = uplen = 0;
				peer_eof = 1;
			}
		}
		/* fd -> down */
		if (!local_eof && downlen == 0) {
			r = read(fd, down, sizeof down);
			if (r > 0) {
				downlen = (size_t)r;
				downpos = 0;
				moved = 1;
			} else if (r < 0 && (errno == EAGAIN || errno == EINTR)) local_ev |= POLLIN;
			else {
				local_eof = 1;
				moved = 1;
			}
		}
		/* down -> peer */
		if (downpos < downlen && !peer_dead) {
			if (s->tls)
				r = relay_tls(s, 1, down + downpos, downlen - downpos);
			else if ((r = send(s->outfd, down + downpos, downlen - downpos, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 &&
			         (errno == EAGAIN || errno == EINTR))
				r = TLS_WANT_POLLOUT;
			if (r > 0) {
				downpos += (size_t)r;
				if (downpos == downlen) downpos = downlen = 0;
				moved = 1;
			} else if (r == TLS_WANT_POLLIN) peer_in = POLLIN;
			else if (r == TLS_WANT_POLLOUT) peer_out = POLLOUT;
			else {
				peer_dead = peer_eof = 1;
				status = s->tls ? fail_tls(s, s->tls, "TLS write") : fail_sys(s, "write");
				shutdown(fd, SHUT_WR);
			}
		}
		if (peer_dead) downpos = downlen = 0;
		if (local_eof && downlen == 0) return status;
		if (moved) continue;
		{
			struct pollfd p[3];
			int n = 0, timeout = downlen ? (int)s->timeout * 1000 : -1;
			if (peer_in) {
				p[n].fd = s->infd;
				p[n++].events = POLLIN;
			}
			if (peer_out) {
				p[n].fd = s->outfd;
				p[n++].events = POLLOUT;
			}
			if (local_ev) {
				p[n].fd = fd;
				p[n++].events = local_ev;
			}
			if (!n) return status;   /* nothing left that could move */
			r = poll(p, (nfds_t)n, timeout);
			if (r == 0) return fail(s, STREAM_TIMEOUT, "peer took nothing for %u seconds", s->timeout);
			if (r < 0 && errno != EINTR) return fail_sys(s, "poll");
		}
	}
}

void stream_close(struct stream *s)
{
	stream_flush(s);
	if (s->layer) {
		s->layer->end(s);
		s->layer = 0;
		s->layer_state = 0;
	}
	if (s->tls) {
		long long deadline = deadline_of(s);
		for (;;) {
			struct pipeguard g;
			int r;
			guard_on(&g);
			r = tls_close(s->tls);
			guard_off(&g);
			if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) break;
			if (tls_wait(s, r, deadline)) break;
		}
		if (s->tls_owned) tls_free(s->tls_owned);
		s->tls = s->tls_owned = 0;
	}
	s->inpos = s->inlen = 0;
}
