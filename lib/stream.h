#ifndef STREAM_H
#define STREAM_H
/*
 * A network session's byte stream on two fds (fd 0 / fd 1 under tcpserver or
 * inetd), in the clear or, after stream_starttls_*, through libtls.  Every
 * read waits at most the stream's timeout; every line is bounded.  Used by
 * every network program (smtpd, remote, pop3d, imapd); programs on the
 * per-message path never link it (it pulls in libtls).
 *
 * Reads are buffered in the stream; writes are buffered until stream_flush
 * (or a read, which flushes first so a client is never left waiting for a
 * reply we still hold).
 *
 * A write to a peer that has gone never raises SIGPIPE here (sockets use
 * MSG_NOSIGNAL; pipe and TLS writes run with SIGPIPE blocked), so callers need
 * not ignore it.  After a STARTTLS both fds stay non-blocking.
 */
#include <stddef.h>
#include <stralloc.h>

#define STREAM_BUF 16384

struct tls;
struct stream;

/* A layer between the stream's buffers and the peer (lib/zstream: the
 * deflate of IMAP COMPRESS).  Under a layer the buffers hold decoded
 * bytes, so every bound on lines and literals applies to what the layer
 * produced, never to what arrived; the layer reads and writes the peer
 * (in the clear or through TLS) with stream_raw_read and stream_raw_write. */
struct stream_layer {
	/* Up to len decoded bytes into buf: the count (> 0) or a
	 * stream_status (its text in s->err). */
	long (*read)(struct stream *s, char *buf, size_t len);
	/* Encodes len bytes for the peer; flush: everything so far must reach
	 * the peer decodable now.  0 or a stream_status. */
	int (*write)(struct stream *s, const char *buf, size_t len, int flush);
	/* Nonzero when read may give bytes without reading the peer. */
	int (*more)(const struct stream *s);
	/* Frees the layer's state (stream_close). */
	void (*end)(struct stream *s);
};

enum stream_status {
	STREAM_OK = 0,
	STREAM_EOF = -1,       /* peer closed (a partial last line is dropped) */
	STREAM_TIMEOUT = -2,   /* nothing arrived within the timeout */
	STREAM_TOOLONG = -3,   /* a line longer than the bound: the rest of it was
	                          read and discarded up to its LF, so the session
	                          can answer and go on */
	STREAM_ERROR = -4      /* I/O or TLS error; stream_error() says which */
};

struct stream {
	int infd, outfd;
	unsigned timeout;          /* seconds for each wait on the peer */
	long long deadline;        /* CLOCK_MONOTONIC ms that ends every read; 0: none (stream_deadline) */
	struct tls *tls;           /* null while in the clear */
	struct tls *tls_owned;     /* what stream_close must free */
	size_t inpos, inlen;
	size_t outlen;
	const struct stream_layer *layer;   /* null: none */
	void *layer_state;
	char err[256];             /* last error text */
	/* the buffers last: a stream in .bss dirties only the pages it uses */
	char in[STREAM_BUF];
	char out[STREAM_BUF];
};

void stream_init(struct stream *s, int infd, int outfd, unsigned timeout_seconds);

/* From now on, no read (and no TLS handshake) waits past seconds from
 * now, however the peer trickles its bytes: a total bound on top of the
 * timeout of each wait (the login deadline of pop3d and imapd).  Writes
 * keep their own timeout, so a reply that says why we hang up still goes
 * out.  0 removes the deadline. */
void stream_deadline(struct stream *s, unsigned seconds);

/* Reads one line ending in LF into line (replacing its contents), the LF and
 * a CR before it included, so callers can tell CRLF from bare LF.  Lines
 * longer than max bytes give STREAM_TOOLONG.  Returns a stream_status. */
int stream_getline(struct stream *s, stralloc *line, size_t max);

/* Reads up to len bytes (at least 1 unless EOF/error).  Returns the count, or
 * a negative stream_status. */
long stream_read(struct stream *s, char *buf, size_t len);

/* Bytes already buffered but not yet consumed; under a layer, nonzero
 * also when the layer may decode more without reading the peer (so a
 * caller that polls the fd when this is 0 never waits on bytes we hold). */
size_t stream_pending(const struct stream *s);

/* Puts len bytes in front of the input, as if the peer had sent them
 * first (a session handed over with commands the client had already
 * pipelined).  0, or STREAM_ERROR when they do not fit in the buffer. */
int stream_preload(struct stream *s, const char *buf, size_t len);

/* Drops buffered input; returns how many bytes were dropped.  STARTTLS calls
 * this: anything a client pipelined before the handshake is discarded
 * (RFC 3207 section 4.2, the CVE-2011-0411 class of attack). */
size_t stream_discard(struct stream *s);

/* Buffered writes; 0 or STREAM_ERROR/STREAM_TIMEOUT. */
int stream_put(struct stream *s, const char *buf, size_t len);
int stream_puts(struct stream *s, const char *str);
int stream_flush(struct stream *s);

/* Server side: discards pending input, then runs the TLS handshake with a
 * connection context made by tls_accept_fds from the configured server ctx.
 * Client side: tls_connect_fds with servername for SNI and verification.
 * Both bounded by the timeout.  0 or STREAM_ERROR/STREAM_TIMEOUT. */
int stream_starttls_server(struct stream *s, struct tls *server_ctx);
int stream_starttls_client(struct stream *s, struct tls *client_ctx, const char *servername);

/* "TLSv1.3", "TLS_AES_256_GCM_SHA384"; null in the clear. */
const char *stream_tls_version(const struct stream *s);
const char *stream_tls_cipher(const struct stream *s);

/* Puts a layer on the stream (its state already in s->layer_state);
 * input already buffered but not consumed stays for the layer to decode
 * (stream_take).  Output is flushed in the clear first. */
int stream_push_layer(struct stream *s, const struct stream_layer *layer, void *state);

/* For layers: moves the buffered, unconsumed input (up to len bytes) to
 * buf; the count. */
size_t stream_take(struct stream *s, char *buf, size_t len);

/* For layers: one read of the peer (0 at EOF), and a write of all of buf,
 * under the stream's timeouts and TLS. */
long stream_raw_read(struct stream *s, char *buf, size_t len);
int stream_raw_write(struct stream *s, const char *buf, size_t len);

/* The text of the last error. */
const char *stream_error(const struct stream *s);

/* Copies bytes both ways between the peer and fd (a local socket, whose
 * other end serves the session) until fd's side has ended and everything
 * it sent has reached the peer.  When the peer ends, fd gets a shutdown
 * for writing.  Waits without limit while both sides are idle (the
 * session has its own timeouts); a peer that takes none of our output for
 * the stream's timeout ends the relay.  Not under a layer (the relay
 * copies raw bytes): STREAM_ERROR.  0, or a stream_status. */
int stream_relay(struct stream *s, int fd);

/* Flushes, ends the layer, closes the TLS session (close_notify) and frees
 * it; the fds stay open (they belong to the caller). */
void stream_close(struct stream *s);
#endif
