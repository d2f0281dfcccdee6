/*
 * zstream: the deflate layer of a stream; the contract is in zstream.h.
 *
 * Decisions made here:
 * - Reading inflates from raw, a buffer of what the peer sent, straight
 *   into the buffer the stream asked to fill, never more than it asked
 *   for: the memory an input costs does not depend on how well it
 *   compresses.  inflate consumes all its input while it has room for
 *   output, so raw holds unconsumed bytes only after a read filled the
 *   caller's buffer; "full" remembers that (the inflater may also hold
 *   output of its own then) for stream_pending.
 * - Z_SYNC_FLUSH both ways (RFC 4978 section 4 suggests it): the peer's
 *   sync flushes give inflate whole blocks; ours end every burst.
 * - The end of the peer's deflate stream (a final block) is an error: RFC
 *   4978 has no way to end compression, and bytes after it could not be
 *   read.
 * - Level 6 (zlib's default) and memLevel 8: IMAP output is mostly text
 *   that compresses well at that cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "zstream.h"

struct zstate {
	z_stream in, out;
	int full, pending;         /* see above; pending: deflated without a flush */
	int ended;                 /* the peer's stream ended (an error from now on) */
	char raw[STREAM_BUF];      /* the peer's compressed bytes */
	char zout[STREAM_BUF];     /* our compressed bytes on their way */
};

static int zfail(struct stream *s, int status, const char *what, const z_stream *z)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what, z && z->msg ? z->msg : "corrupt or ended stream");
	return status;
}

static long zread(struct stream *s, char *buf, size_t len)
{
	struct zstate *z = s->layer_state;

	for (;;) {
		long r;

		if (z->ended) return zfail(s, STREAM_ERROR, "inflate: the peer ended the compressed stream", 0);
		if (z->in.avail_in || z->full) {
			uInt before = z->in.avail_in;
			int k;

			z->in.next_out = (Bytef *)buf;
			z->in.avail_out = (uInt)len;
			k = inflate(&z->in, Z_SYNC_FLUSH);
			if (k == Z_STREAM_END) {
				/* what came before the end is read first */
				z->ended = 1;
				if (z->in.avail_out < len) return (long)(len - z->in.avail_out);
				continue;
			}
			if (k != Z_OK && k != Z_BUF_ERROR) return zfail(s, STREAM_ERROR, "inflate", &z->in);
			z->full = z->in.avail_out == 0;
			if (z->in.avail_out < len) return (long)(len - z->in.avail_out);
			/* no output and no input taken: nothing can move */
			if (z->in.avail_in && z->in.avail_in == before)
				return zfail(s, STREAM_ERROR, "inflate: no progress", 0);
			z->full = 0;
		}
		r = stream_raw_read(s, z->raw, sizeof z->raw);
		if (r < 0) return r;
		if (r == 0) {
			snprintf(s->err, sizeof s->err, "connection closed by peer");
			return STREAM_EOF;
		}
		z->in.next_in = (Bytef *)z->raw;
		z->in.avail_in = (uInt)r;
	}
}

static int zwrite(struct stream *s, const char *buf, size_t len, int flush)
{
	struct zstate *z = s->layer_state;

	if (!len && !(flush && z->pending)) return STREAM_OK;
	/* zlib counts in uInt; no write of ours comes near 4 GiB */
	if (len > 0xffffffffu) return zfail(s, STREAM_ERROR, "deflate: write too big", 0);
	z->out.next_in = (Bytef *)buf;
	z->out.avail_in = (uInt)len;
	do {
		size_t n;
		int k, w;

		z->out.next_out = (Bytef *)z->zout;
		z->out.avail_out = sizeof z->zout;
		k = deflate(&z->out, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH);
		if (k != Z_OK && k != Z_BUF_ERROR) return zfail(s, STREAM_ERROR, "deflate", &z->out);
		n = sizeof z->zout - z->out.avail_out;
		if (n && (w = stream_raw_write(s, z->zout, n))) return w;
	} while (z->out.avail_out == 0 || z->out.avail_in);
	z->pending = !flush;
	return STREAM_OK;
}

static int zmore(const struct stream *s)
{
	const struct zstate *z = s->layer_state;
	return z->in.avail_in || z->full;
}

static void zend(struct stream *s)
{
	struct zstate *z = s->layer_state;

	inflateEnd(&z->in);
	deflateEnd(&z->out);
	free(z);
}

static const struct stream_layer deflate_layer = {zread, zwrite, zmore, zend};

int zstream_start(struct stream *s)
{
	struct zstate *z;
	int r;

	if (s->layer) {
		snprintf(s->err, sizeof s->err, "a layer is already active");
		return STREAM_ERROR;
	}
	if (!(z = calloc(1, sizeof *z))) {
		snprintf(s->err, sizeof s->err, "out of memory");
		return STREAM_ERROR;
	}
	if (inflateInit2(&z->in, -15) != Z_OK) {
		free(z);
		return zfail(s, STREAM_ERROR, "inflateInit2", 0);
	}
	if (deflateInit2(&z->out, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&z->in);
		free(z);
		return zfail(s, STREAM_ERROR, "deflateInit2", 0);
	}
	/* what the peer sent after the command is compressed already */
	z->in.next_in = (Bytef *)z->raw;
	z->in.avail_in = (uInt)stream_take(s, z->raw, sizeof z->raw);
	if ((r = stream_push_layer(s, &deflate_layer, z))) {
		inflateEnd(&z->in);
		deflateEnd(&z->out);
		free(z);
	}
	return r;
}

int zstream_active(const struct stream *s)
{
	return s->layer == &deflate_layer;
}
